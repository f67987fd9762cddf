// SPDX-License-Identifier: GPL-2.0
/*
 * arm-smmuv3 as QEMU 11.1 has it.  Keys and defaults:
 *   accel=off            host-backed (nested) vSMMU
 *   ssidsize=auto        0..20 or auto
 *   oas=auto             44, 48 or auto (OasMode also names 32..56)
 *   ril=auto, ats=auto, cmdqv=auto   on, off or auto
 *   stage=1              the emulated vSMMU's stage: 1, 2 or nested
 * auto is resolved from the first cold-plugged VFIO device's host IDRs.
 * Without accel only the defaults (and oas=44, ril=on, ssidsize=0)
 * realize.  accel=on wants a nesting parent (plus PASID for an explicit
 * ssidsize > 0: with auto that bit is the host's), puts a vIOMMU object
 * on it, and blocks migration.  accel=on needs KVM: under TCG QEMU
 * refuses it before these rules, so they come from QEMU's source.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kinds.h"

static const char *const ssid_names[] = {
	"auto", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
	"11", "12", "13", "14", "15", "16", "17", "18", "19", "20",
};
static const int ssid_vals[] = {
	VIOMMU_SSIDSIZE_AUTO, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
	11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
};
static const struct viommu_enum ssidsize = {
	ssid_names, ssid_vals, ARRAY_SIZE(ssid_vals)
};

/* SMMU_IDR5.OAS: OasMode takes each code's width, QEMU builds 44 and 48 */
static const char *const oas_names[] = {
	"auto", "32", "36", "40", "42", "44", "48", "52", "56",
};
static const int oas_vals[] = { VIOMMU_OAS_AUTO, 32, 36, 40, 42, 44, 48, 52, 56 };
static const struct viommu_enum oas = {
	oas_names, oas_vals, ARRAY_SIZE(oas_vals)
};

static const struct viommu_key smmuv3_keys[] = {
	VIOMMU_BOOL("accel", "off", accel),
	VIOMMU_ENUM("ssidsize", "auto", ssidsize, &ssidsize),
	VIOMMU_ENUM("oas", "auto", oas, &oas),
	VIOMMU_ENUM("ril", "auto", ril, &viommu_on_off_auto),
	VIOMMU_ENUM("ats", "auto", ats, &viommu_on_off_auto),
	VIOMMU_ENUM("cmdqv", "auto", cmdqv, &viommu_on_off_auto),
	VIOMMU_STR("stage", "1", stage),
};

/* Realize: QEMU's rules, in its order */
static int smmuv3_check(const struct viommu_config *cfg, char *err,
			size_t len)
{
	if (cfg->oas != VIOMMU_OAS_AUTO && cfg->oas != 44 && cfg->oas != 48)
		return viommu_fail(err, len,
				   "QEMU SMMUv3 model only implements auto, 44 bit, or 48 bit OAS. Other OasMode values are not supported.");
	if (cfg->accel) {
		if (!strcmp(cfg->stage, "2") || !strcmp(cfg->stage, "nested"))
			return viommu_fail(err, len,
					   "Only stage1 is supported for SMMUv3 with accel=on");
		return 0;
	}
	if (cfg->ril == VIOMMU_OFF)
		return viommu_fail(err, len,
				   "ril can only be disabled if accel=on");
	if (cfg->ats == VIOMMU_ON)
		return viommu_fail(err, len,
				   "ats can only be enabled if accel=on");
	if (cfg->oas == 48)
		return viommu_fail(err, len,
				   "oas must be 44 bits when accel=off");
	if (cfg->ssidsize > 0)
		return viommu_fail(err, len,
				   "ssidsize can only be greater than 0 bits if accel=on");
	if (cfg->cmdqv == VIOMMU_ON)
		return viommu_fail(err, len,
				   "cmdqv can only be enabled if accel=on");
	return 0;
}

static uint64_t smmuv3_flags(const struct viommu_config *cfg)
{
	uint64_t flags;

	if (!cfg->accel)
		return 0;
	flags = VIOMMU_FLAG_WANT_NESTING_PARENT;
	/* auto is the host's: not known from the config */
	if (cfg->ssidsize > 0)
		flags |= VIOMMU_FLAG_PASID_SUPPORTED;
	return flags;
}

static const char *smmuv3_migration_unsafe(const struct viommu_config *cfg)
{
	if (cfg->accel)
		return "Migration not supported with SMMUv3 accelerator mode enabled";
	return NULL;
}

/* Without accel the device's address space is the emulated vSMMU's */
static const char *smmuv3_listener_refuses(const struct viommu_config *cfg)
{
	return cfg->accel ? NULL :
		"requires iommu MAP notifier which is not currently supported";
}

/* accel=on puts every device in one address space of system memory */
static bool smmuv3_own_address_space(const struct viommu_config *cfg)
{
	return !cfg->accel;
}

static unsigned int field(uint32_t reg, unsigned int lo, unsigned int bits)
{
	return (reg >> lo) & ((1u << bits) - 1);
}

/* The vSMMU's own IDR fields that a host must match */
#define VSMMU_STLEVEL	1	/* two-level stream table */
#define VSMMU_SIDSIZE	16

/* SMMU_IDR5.OAS codes to bits */
static const unsigned int oas_code_bits[] = { 32, 36, 40, 42, 44, 48, 52, 56 };

/* smmuv3_accel_set_iommu_device(): host IDRs against the vSMMU's */
static int check_idrs(const struct viommu_config *cfg, const uint32_t *idr,
		      char *why, size_t len)
{
	static const char *const gran[] = { "4K", "16K", "64K" };
	unsigned int stlevel = field(idr[0], 27, 2);
	unsigned int host_oas = oas_code_bits[field(idr[5], 0, 3)];
	unsigned int ssid = field(idr[1], 6, 5);
	unsigned int sid = field(idr[1], 0, 6);
	int i;

	if (stlevel != VSMMU_STLEVEL)
		return viommu_fail(why, len,
				   "Host SMMUv3 Stream Table format mismatch (host STLEVEL=%u, QEMU STLEVEL=%u)",
				   stlevel, VSMMU_STLEVEL);
	if (field(idr[0], 21, 2) == 3)
		return viommu_fail(why, len,
				   "Host SMMUv3 doesn't support Little-endian translation table");
	if (!(field(idr[0], 2, 2) & 2))
		return viommu_fail(why, len,
				   "Host SMMUv3 doesn't support AArch64 translation table format");
	if (sid < VSMMU_SIDSIZE)
		return viommu_fail(why, len,
				   "Host SMMUv3 SIDSIZE not compatible (host=%u, QEMU=%u)",
				   sid, VSMMU_SIDSIZE);
	if (cfg->ssidsize > 0 && ssid < (unsigned int)cfg->ssidsize)
		return viommu_fail(why, len,
				   "Host SMMUv3 SSIDSIZE not compatible (host=%u, QEMU=%d)",
				   ssid, cfg->ssidsize);
	if (cfg->ril == VIOMMU_ON && !(idr[3] & (1u << 10)))
		return viommu_fail(why, len,
				   "Host SMMUv3 doesn't support Range Invalidation");
	if (cfg->oas != VIOMMU_OAS_AUTO && host_oas < (unsigned int)cfg->oas)
		return viommu_fail(why, len,
				   "Host SMMUv3 supports only %u-bit IPA, but the vSMMU OAS implies %d-bit IPA",
				   host_oas, cfg->oas);
	if (cfg->ats == VIOMMU_ON && !(idr[0] & (1u << 10)))
		return viommu_fail(why, len,
				   "Host SMMUv3 doesn't support Address Translation Services");
	/* the vSMMU offers all three granules: the host must too */
	for (i = 0; i < 3; i++)
		if (!(idr[5] & (1u << (4 + i))))
			return viommu_fail(why, len,
					   "Host SMMUv3 doesn't support %s translation granule",
					   gran[i]);
	return 0;
}

static int smmuv3_check_hiod(const struct viommu_config *cfg,
			     const struct viommu_hiod *h, char *why,
			     size_t len)
{
	uint32_t idr[SMMUV3_IDR_MAX];
	int i;

	if (!cfg->accel)
		return 0;
	if (h->hw_info_type != VIOMMU_HW_INFO_TYPE_ARM_SMMUV3)
		return viommu_fail(why, len,
				   "Wrong data type (%d) for Host SMMUv3 device info",
				   (int)h->hw_info_type);
	if (h->data_len < SMMUV3_INFO_LEN)
		return viommu_fail(why, len,
				   "SMMUv3 hw_info too short: %u bytes, expected %d",
				   h->data_len, SMMUV3_INFO_LEN);
	for (i = 0; i < SMMUV3_IDR_MAX; i++)
		idr[i] = nest_get_le32(h->data + 8 + 4 * i);
	return check_idrs(cfg, idr, why, len);
}

const struct viommu_kind_ops viommu_kind_smmuv3 = {
	.name = "arm-smmuv3",
	.qemu_name = "arm-smmuv3",
	.qemu_arch = "aarch64",
	.qemu_machine = "virt",
	.qemu_props = "primary-bus=pcie.0",
	VIOMMU_KEYS(smmuv3_keys),
	.check = smmuv3_check,
	.flags = smmuv3_flags,
	.migration_unsafe = smmuv3_migration_unsafe,
	.listener_refuses = smmuv3_listener_refuses,
	.own_address_space = smmuv3_own_address_space,
	.stage1 = VIOMMU_STAGE1_SMMUV3,
	.check_hiod = smmuv3_check_hiod,
};
