// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-iommu (QEMU's virtio-iommu-pci).  Keys and defaults:
 *   granule=host         4k, 8k, 16k, 64k or host
 *   aw-bits=64           guest address width, 32..64
 *   boot-bypass=on       DMA bypasses translation until the driver runs
 * It never wants a nesting parent: no flags.
 */
#include "kinds.h"

static const char *const granule_names[] = { "4k", "8k", "16k", "64k", "host" };
static const int granule_vals[] = { 12, 13, 14, 16, 0 };

static const struct viommu_enum granule = {
	granule_names, granule_vals, ARRAY_SIZE(granule_vals)
};

static const struct viommu_key virtio_keys[] = {
	VIOMMU_ENUM("granule", "host", granule, &granule),
	VIOMMU_UINT8("aw-bits", "64", aw_bits),
	VIOMMU_BOOL("boot-bypass", "on", boot_bypass),
};

static int virtio_check(const struct viommu_config *cfg, char *err,
			size_t len)
{
	if (cfg->aw_bits < 32 || cfg->aw_bits > 64)
		return viommu_fail(err, len, "aw-bits must be within [32,64]");
	return 0;
}

static bool virtio_own_address_space(const struct viommu_config *cfg)
{
	return true;
}

const struct viommu_kind_ops viommu_kind_virtio = {
	.name = "virtio-iommu",
	.qemu_name = "virtio-iommu-pci",
	.qemu_arch = "x86_64",
	.qemu_machine = "q35",
	VIOMMU_KEYS(virtio_keys),
	.check = virtio_check,
	.own_address_space = virtio_own_address_space,
};
