// SPDX-License-Identifier: GPL-2.0
/*
 * intel-iommu as QEMU 11.1 has it.  Keys and defaults:
 *   scalable-mode=off    scalable mode
 *   fsts=off             first-stage translation; needs scalable-mode=on
 *   pasid-bits=0         PASID width, 0..20; needs scalable-mode=on
 *   svm=off              shared virtual memory
 *   fs1gp=on             1 GiB first-stage pages (checked with fsts=on)
 *   aw-bits=48           guest address width: 39 or 48
 *   caching-mode=off     must be on for any assigned device
 *   intremap, device-iotlb, dma-translation, eim, snoop-control,
 *   stale-tm, version    parsed and kept; eim=on needs intremap
 * fsts=on wants a nesting parent with dirty tracking (0x5), and PASID
 * attach when pasid-bits > 0 (0xf); it builds a VT-d stage-1.
 */
#include <errno.h>
#include <stdio.h>

#include "kinds.h"

static const struct viommu_key intel_keys[] = {
	VIOMMU_BOOL("scalable-mode", "off", scalable_mode),
	VIOMMU_BOOL("fsts", "off", fsts),
	VIOMMU_UINT8("pasid-bits", "0", pasid_bits),
	VIOMMU_BOOL("svm", "off", svm),
	VIOMMU_BOOL("fs1gp", "on", fs1gp),
	VIOMMU_UINT8("aw-bits", "48", aw_bits),
	VIOMMU_BOOL("caching-mode", "off", caching_mode),
	VIOMMU_ENUM("intremap", "auto", intremap, &viommu_on_off_auto),
	VIOMMU_BOOL("device-iotlb", "off", device_iotlb),
	VIOMMU_BOOL("dma-translation", "on", dma_translation),
	VIOMMU_ENUM("eim", "auto", eim, &viommu_on_off_auto),
	VIOMMU_BOOL("snoop-control", "off", snoop_control),
	VIOMMU_BOOL("stale-tm", "off", stale_tm),
	VIOMMU_UINT32("version", "0", version),
};

/* The 11.0 names, gone in 11.1 */
static const struct viommu_rename intel_renamed[] = {
	{ "x-scalable-mode", "scalable-mode" },
	{ "x-flts", "fsts" },
	{ "x-pasid-mode", "pasid-bits" },
};

#define VTD_PASID_BITS_MAX	20

/* Realize: QEMU's rules, in its order */
static int intel_check(const struct viommu_config *cfg, char *err,
		       size_t len)
{
	if (cfg->eim == VIOMMU_ON && cfg->intremap == VIOMMU_OFF)
		return viommu_fail(err, len,
				   "eim=on cannot be selected without intremap=on");
	if (cfg->fsts && !cfg->scalable_mode)
		return viommu_fail(err, len,
				   "fsts is only available in scalable mode");
	if (cfg->fsts && cfg->aw_bits != 48)
		return viommu_fail(err, len,
				   "Scalable mode(fsts=on): supported value for aw-bits is: 48");
	if (cfg->aw_bits != 39 && cfg->aw_bits != 48)
		return viommu_fail(err, len,
				   "%s: supported values for aw-bits are: 39, 48",
				   cfg->scalable_mode ?
				   "Scalable mode(fsts=off)" : "Legacy mode");
	if (cfg->pasid_bits && !cfg->scalable_mode)
		return viommu_fail(err, len,
				   "Need to set scalable mode for PASID");
	if (cfg->pasid_bits > VTD_PASID_BITS_MAX)
		return viommu_fail(err, len,
				   "PASID width %u exceeds Max PASID Width %d allowed in PCI spec",
				   cfg->pasid_bits, VTD_PASID_BITS_MAX);
	if (!cfg->svm)
		return 0;
	if (!cfg->device_iotlb)
		return viommu_fail(err, len, "Need to set device IOTLB for svm");
	if (!cfg->fsts)
		return viommu_fail(err, len, "Need to set fsts for svm");
	if (!cfg->dma_translation)
		return viommu_fail(err, len,
				   "Need to set dma-translation for svm");
	if (!cfg->pasid_bits)
		return viommu_fail(err, len,
				   "Need to set PASID support for svm");
	return 0;
}

static uint64_t intel_flags(const struct viommu_config *cfg)
{
	uint64_t flags;

	if (!cfg->fsts)
		return 0;
	flags = VIOMMU_FLAG_WANT_NESTING_PARENT |
		VIOMMU_FLAG_WANT_NESTING_DIRTY_TRACKING;
	if (cfg->pasid_bits)
		flags |= VIOMMU_FLAG_PASID_SUPPORTED |
			 VIOMMU_FLAG_WANT_PASID_ATTACH;
	return flags;
}

/* set_iommu_device: QEMU's checks, in its order, with its messages */
static int intel_check_hiod(const struct viommu_config *cfg,
			    const struct viommu_hiod *h, char *why, size_t len)
{
	uint64_t cap;

	if (!cfg->caching_mode)
		return viommu_fail(why, len,
				   "Device assignment is not allowed without enabling caching-mode=on for Intel IOMMU.");
	if (viommu_check_aw_bits(cfg->aw_bits, h, why, len))
		return -EINVAL;
	if (!cfg->fsts)
		return 0;
	if (h->hw_info_type != VIOMMU_HW_INFO_TYPE_INTEL_VTD)
		return viommu_fail(why, len,
				   "Incompatible host platform IOMMU type %d",
				   (int)h->hw_info_type);
	if (h->data_len < VTD_INFO_LEN)
		return viommu_fail(why, len,
				   "VT-d hw_info too short: %u bytes, expected %d",
				   h->data_len, VTD_INFO_LEN);
	cap = nest_get_le64(h->data + 8);
	if (cfg->fs1gp && !(cap & VTD_CAP_FS1GP))
		return viommu_fail(why, len,
				   "First stage 1GB large page is unsupported by host IOMMU");
	if (cfg->pasid_bits > h->host_pasid_bits)
		return viommu_fail(why, len,
				   "PASID bits size %u > host IOMMU PASID bits size %u",
				   cfg->pasid_bits, h->host_pasid_bits);
	if (h->behind_bridge)
		return viommu_fail(why, len,
				   "Host device downstream to a PCI bridge is unsupported when fsts=on");
	return 0;
}

/* fsts=on translates in the guest: devices share the system memory's */
static bool intel_own_address_space(const struct viommu_config *cfg)
{
	return !cfg->fsts;
}

const struct viommu_kind_ops viommu_kind_intel = {
	.name = "intel-iommu",
	.qemu_name = "intel-iommu",
	.qemu_arch = "x86_64",
	.qemu_machine = "q35",
	VIOMMU_KEYS(intel_keys),
	VIOMMU_RENAMED(intel_renamed),
	.check = intel_check,
	.flags = intel_flags,
	.stage1 = VIOMMU_STAGE1_VTD,
	.check_hiod = intel_check_hiod,
	.own_address_space = intel_own_address_space,
};
