// SPDX-License-Identifier: GPL-2.0
/* none: no vIOMMU.  No keys, no flags, any host. */
#include "kinds.h"

const struct viommu_kind_ops viommu_kind_none = {
	.name = "none",
	.qemu_arch = "x86_64",
	.qemu_machine = "q35",
};
