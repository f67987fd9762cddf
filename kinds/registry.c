// SPDX-License-Identifier: GPL-2.0
/*
 * The registry of vIOMMU kinds, one row each.  Its order is the order
 * the config errors list the kinds in.
 */
#include "kinds.h"

const struct viommu_kind_ops *const viommu_kinds[] = {
	[VIOMMU_KIND_NONE] = &viommu_kind_none,
	[VIOMMU_KIND_VIRTIO] = &viommu_kind_virtio,
	[VIOMMU_KIND_INTEL] = &viommu_kind_intel,
	[VIOMMU_KIND_SMMUV3] = &viommu_kind_smmuv3,
	[VIOMMU_KIND_SELFTEST] = &viommu_kind_selftest,
	[VIOMMU_KIND_AMD] = &viommu_kind_amd,
};

const unsigned int viommu_nr_kinds = ARRAY_SIZE(viommu_kinds);
