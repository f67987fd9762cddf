// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-iommu: no keys; it never wants a nesting parent, so any host
 * will do.
 */
#include "kinds.h"

const struct viommu_kind_ops viommu_kind_virtio = {
	.name = "virtio-iommu",
};
