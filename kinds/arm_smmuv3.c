// SPDX-License-Identifier: GPL-2.0
/*
 * arm-smmuv3, keys and defaults:
 *   accel=off            host-backed (nested) vSMMU
 *   ssidsize=0           0..20, or auto (host derived: not migration safe)
 *   oas=44               output address size in bits: 32..52 (SMMU codes)
 *   ril=on               range invalidation
 *   ats=off              address translation services
 * ssidsize, oas, ril and ats need accel=on, which wants a nesting parent
 * and puts a vIOMMU object on it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kinds.h"

#define OAS_ALLOWED "32, 36, 40, 42, 44, 48 or 52"

/* SMMU_IDR5.OAS encodings, indexed by code */
static const unsigned int smmu_oas_bits[] = { 32, 36, 40, 42, 44, 48, 52 };

static int set_ssidsize(void *field, const char *key, const char *val,
			char *err, size_t len)
{
	unsigned long n;

	if (!strcmp(val, "auto")) {
		*(int *)field = VIOMMU_SSIDSIZE_AUTO;
		return 0;
	}
	if (viommu_parse_uint(key, val, VIOMMU_SSIDSIZE_MAX, "0..20 or auto",
			      &n, err, len))
		return -EINVAL;
	*(int *)field = n;
	return 0;
}

static int set_oas(void *field, const char *key, const char *val, char *err,
		   size_t len)
{
	unsigned long n;
	unsigned int i;

	if (viommu_parse_uint(key, val, 52, OAS_ALLOWED, &n, err, len))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(smmu_oas_bits); i++) {
		if (smmu_oas_bits[i] == n) {
			*(unsigned int *)field = n;
			return 0;
		}
	}
	return viommu_bad_value(key, val, OAS_ALLOWED, err, len);
}

/* accel first: the others need it */
static const struct viommu_key smmuv3_keys[] = {
	VIOMMU_KEY("accel", "off", accel, viommu_set_bool),
	VIOMMU_KEY("ssidsize", "0", ssidsize, set_ssidsize),
	VIOMMU_KEY("oas", "44", oas, set_oas),
	VIOMMU_KEY("ril", "on", ril, viommu_set_bool),
	VIOMMU_KEY("ats", "off", ats, viommu_set_bool),
};

static int smmuv3_check(const struct viommu_config *cfg, unsigned int given,
			char *err, size_t len)
{
	unsigned int i;

	if (cfg->accel)
		return 0;
	for (i = 1; i < ARRAY_SIZE(smmuv3_keys); i++)
		if (given & (1u << i))
			return viommu_fail(err, len, "%s: needs accel=on",
					   smmuv3_keys[i].name);
	return 0;
}

static int smmuv3_format(const struct viommu_config *cfg, char *buf,
			 size_t len)
{
	char ssid[8];

	if (!cfg->accel)
		return snprintf(buf, len, "arm-smmuv3,accel=off");
	if (cfg->ssidsize == VIOMMU_SSIDSIZE_AUTO)
		snprintf(ssid, sizeof(ssid), "auto");
	else
		snprintf(ssid, sizeof(ssid), "%d", cfg->ssidsize);
	return snprintf(buf, len,
			"arm-smmuv3,accel=on,ssidsize=%s,oas=%u,ril=%s,ats=%s",
			ssid, cfg->oas, viommu_on_off(cfg->ril),
			viommu_on_off(cfg->ats));
}

static uint64_t smmuv3_flags(const struct viommu_config *cfg)
{
	uint64_t flags;

	if (!cfg->accel)
		return 0;
	flags = VIOMMU_FLAG_WANT_NESTING_PARENT;
	/* auto is host derived: never reported as a flag */
	if (cfg->ssidsize > 0)
		flags |= VIOMMU_FLAG_PASID_SUPPORTED;
	return flags;
}

static const char *smmuv3_migration_unsafe(const struct viommu_config *cfg)
{
	if (cfg->accel && cfg->ssidsize == VIOMMU_SSIDSIZE_AUTO)
		return "ssidsize=auto takes the SSID size from the host (IDR1 of the first cold-plugged device), so PASID support depends on the host";
	return NULL;
}

static unsigned int field(uint32_t reg, unsigned int lo, unsigned int bits)
{
	return (reg >> lo) & ((1u << bits) - 1);
}

/* The vSMMU's own register view, from its config. */
static int check_idrs(const struct viommu_config *cfg, const uint32_t *idr,
		      char *why, size_t len)
{
	unsigned int oas = field(idr[5], 0, 3);
	unsigned int ssid = field(idr[1], 6, 5);
	unsigned int endian = field(idr[0], 21, 2);

	if (!(idr[0] & (1u << 1)) || !(idr[0] & (1u << 0)))
		return viommu_fail(why, len,
				   "host SMMU lacks stage 1 and stage 2 (IDR0.S1P/S2P)");
	if (!(field(idr[0], 2, 2) & 2))
		return viommu_fail(why, len,
				   "host SMMU lacks AArch64 tables (IDR0.TTF)");
	if (endian == 3)
		return viommu_fail(why, len,
				   "host SMMU is big-endian only (IDR0.TTENDIAN)");
	if (field(idr[1], 0, 6) < 16)
		return viommu_fail(why, len,
				   "host SIDSIZE %u is below the vSMMU's 16 bits",
				   field(idr[1], 0, 6));
	if (cfg->ssidsize > 0 && ssid < (unsigned int)cfg->ssidsize)
		return viommu_fail(why, len,
				   "ssidsize=%d exceeds the host SSIDSIZE of %u",
				   cfg->ssidsize, ssid);
	if (cfg->ril && !(idr[3] & (1u << 10)))
		return viommu_fail(why, len,
				   "ril=on but the host lacks range invalidation (IDR3.RIL)");
	if (oas >= ARRAY_SIZE(smmu_oas_bits) || smmu_oas_bits[oas] < cfg->oas)
		return viommu_fail(why, len,
				   "oas=%u exceeds the host OAS code %u",
				   cfg->oas, oas);
	if (cfg->ats && !(idr[0] & (1u << 10)))
		return viommu_fail(why, len,
				   "ats=on but the host lacks ATS (IDR0.ATS)");
	if (!(idr[5] & (1u << 4)))
		return viommu_fail(why, len,
				   "host SMMU lacks the 4K granule the vSMMU uses (IDR5.GRAN4K)");
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
				   "accel=on needs a host SMMUv3: hw_info type is 0x%x, expected ARM_SMMUV3 (0x%x)",
				   h->hw_info_type,
				   VIOMMU_HW_INFO_TYPE_ARM_SMMUV3);
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
	.keys = smmuv3_keys,
	.nr_keys = ARRAY_SIZE(smmuv3_keys),
	.check = smmuv3_check,
	.format = smmuv3_format,
	.flags = smmuv3_flags,
	.migration_unsafe = smmuv3_migration_unsafe,
	.stage1 = VIOMMU_STAGE1_SMMUV3,
	.check_hiod = smmuv3_check_hiod,
};
