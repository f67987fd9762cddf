// SPDX-License-Identifier: GPL-2.0
/*
 * amd-iommu.  Keys and defaults (parsed and kept: none changes an
 * answer):
 *   device-iotlb=off, dma-remap=off, dma-translation=on,
 *   intremap=auto, pci-id= (a device of the machine), xtsup=off
 * QEMU 11.1 gives it no get_viommu_flags() and no set_iommu_device():
 * no flags, any host.
 */
#include "kinds.h"

static const struct viommu_key amd_keys[] = {
	VIOMMU_BOOL("device-iotlb", "off", device_iotlb),
	VIOMMU_BOOL("dma-remap", "off", dma_remap),
	VIOMMU_BOOL("dma-translation", "on", dma_translation),
	VIOMMU_ENUM("intremap", "auto", intremap, &viommu_on_off_auto),
	VIOMMU_STR("pci-id", "", pci_id),
	VIOMMU_BOOL("xtsup", "off", xtsup),
};

const struct viommu_kind_ops viommu_kind_amd = {
	.name = "amd-iommu",
	.qemu_name = "amd-iommu",
	.qemu_arch = "x86_64",
	.qemu_machine = "q35",
	VIOMMU_KEYS(amd_keys),
};
