// SPDX-License-Identifier: GPL-2.0
/*
 * intel-iommu, keys and defaults:
 *   x-scalable-mode=off  scalable mode
 *   x-flts=off           first-stage translation; needs x-scalable-mode=on
 *   aw-bits=48           guest address width: 39 or 48 (QEMU >= 9.2)
 *   fs1gp=on             1 GiB first-stage pages (checked with x-flts=on)
 * x-flts=on wants a nesting parent and builds a VT-d stage-1.
 */
#include <errno.h>
#include <stdio.h>

#include "kinds.h"

static int set_aw_bits(void *field, const char *key, const char *val,
		       char *err, size_t len)
{
	unsigned long n;

	if (viommu_parse_uint(key, val, 48, "39 or 48", &n, err, len))
		return -EINVAL;
	if (n != 39 && n != 48)
		return viommu_bad_value(key, val, "39 or 48", err, len);
	*(unsigned int *)field = n;
	return 0;
}

static const struct viommu_key intel_keys[] = {
	VIOMMU_KEY("x-scalable-mode", "off", scalable_mode, viommu_set_bool),
	VIOMMU_KEY("x-flts", "off", flts, viommu_set_bool),
	VIOMMU_KEY("aw-bits", "48", aw_bits, set_aw_bits),
	VIOMMU_KEY("fs1gp", "on", fs1gp, viommu_set_bool),
};

static int intel_check(const struct viommu_config *cfg, unsigned int given,
		       char *err, size_t len)
{
	if (cfg->flts && !cfg->scalable_mode)
		return viommu_fail(err, len,
				   "x-flts: 'on' needs x-scalable-mode=on");
	return 0;
}

static int intel_format(const struct viommu_config *cfg, char *buf,
			size_t len)
{
	return snprintf(buf, len,
			"intel-iommu,x-scalable-mode=%s,x-flts=%s,aw-bits=%u,fs1gp=%s",
			viommu_on_off(cfg->scalable_mode),
			viommu_on_off(cfg->flts), cfg->aw_bits,
			viommu_on_off(cfg->fs1gp));
}

static uint64_t intel_flags(const struct viommu_config *cfg)
{
	return cfg->flts ? VIOMMU_FLAG_WANT_NESTING_PARENT : 0;
}

static int intel_check_hiod(const struct viommu_config *cfg,
			    const struct viommu_hiod *h, char *why, size_t len)
{
	uint64_t cap;

	/*
	 * QEMU checks aw-bits first; we check the type first when x-flts=on
	 * because the other checks mean nothing on another vendor's data.
	 */
	if (cfg->flts && h->hw_info_type != VIOMMU_HW_INFO_TYPE_INTEL_VTD)
		return viommu_fail(why, len,
				   "x-flts=on needs a host VT-d IOMMU: hw_info type is 0x%x, expected INTEL_VTD (0x%x)",
				   h->hw_info_type,
				   VIOMMU_HW_INFO_TYPE_INTEL_VTD);
	if (viommu_check_aw_bits(cfg->aw_bits, h, why, len))
		return -EINVAL;
	if (!cfg->flts)
		return 0;
	if (h->data_len < VTD_INFO_LEN)
		return viommu_fail(why, len,
				   "VT-d hw_info too short: %u bytes, expected %d",
				   h->data_len, VTD_INFO_LEN);
	cap = nest_get_le64(h->data + 8);
	if (cfg->fs1gp && !(cap & VTD_CAP_FS1GP))
		return viommu_fail(why, len,
				   "fs1gp=on but the host cap_reg 0x%llx lacks FS1GP (bit 56)",
				   (unsigned long long)cap);
	if (h->behind_bridge)
		return viommu_fail(why, len,
				   "x-flts=on cannot use a host device behind a PCI bridge");
	return 0;
}

const struct viommu_kind_ops viommu_kind_intel = {
	.name = "intel-iommu",
	.keys = intel_keys,
	.nr_keys = ARRAY_SIZE(intel_keys),
	.check = intel_check,
	.format = intel_format,
	.flags = intel_flags,
	.stage1 = VIOMMU_STAGE1_VTD,
	.check_hiod = intel_check_hiod,
};
