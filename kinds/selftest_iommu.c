// SPDX-License-Identifier: GPL-2.0
/*
 * selftest-iommu: ours, for the kernel's mock IOMMU.  Keys and defaults:
 *   nesting=off          wants a nesting parent and a SELFTEST stage-1
 *   aw-bits=0            guest address width 1..64 checked against the
 *                        host's as intel-iommu does; 0: not checked
 *   dirty=off            with nesting=on: flag bit 2, dirty tracking on
 *                        the nesting parent too (as 11.1's intel-iommu)
 *   pasid=off            with nesting=on: flag bit 3, a PASID-capable
 *                        parent when the host has PASIDs
 * The last two exist so the mock can ask for what real vIOMMUs ask.
 */
#include <errno.h>
#include <stdio.h>

#include "kinds.h"

static const struct viommu_key selftest_keys[] = {
	VIOMMU_BOOL("nesting", "off", nesting),
	VIOMMU_UINT8("aw-bits", "0", aw_bits),
	VIOMMU_BOOL("dirty", "off", nesting_dirty),
	VIOMMU_BOOL("pasid", "off", pasid_attach),
};

/* bits 2 and 3 only qualify a nesting parent: alone they mean nothing */
static int selftest_check(const struct viommu_config *cfg, char *err,
			  size_t len)
{
	if (cfg->aw_bits > 64)
		return viommu_fail(err, len,
				   "aw-bits must be within [0,64], 0 for unchecked");
	if (cfg->nesting)
		return 0;
	if (cfg->nesting_dirty)
		return viommu_fail(err, len, "dirty=on needs nesting=on");
	if (cfg->pasid_attach)
		return viommu_fail(err, len, "pasid=on needs nesting=on");
	return 0;
}

static int selftest_format(const struct viommu_config *cfg, char *buf,
			   size_t len)
{
	char aw[16] = "";

	/* the other keys only when set, so the common string stays short */
	if (cfg->aw_bits)
		snprintf(aw, sizeof(aw), ",aw-bits=%u", cfg->aw_bits);
	return snprintf(buf, len, "selftest-iommu,nesting=%s%s%s%s",
			viommu_on_off(cfg->nesting), aw,
			cfg->nesting_dirty ? ",dirty=on" : "",
			cfg->pasid_attach ? ",pasid=on" : "");
}

static uint64_t selftest_flags(const struct viommu_config *cfg)
{
	uint64_t flags = 0;

	if (!cfg->nesting)
		return 0;
	flags |= VIOMMU_FLAG_WANT_NESTING_PARENT;
	if (cfg->nesting_dirty)
		flags |= VIOMMU_FLAG_WANT_NESTING_DIRTY_TRACKING;
	if (cfg->pasid_attach)
		flags |= VIOMMU_FLAG_WANT_PASID_ATTACH;
	return flags;
}

static int selftest_check_hiod(const struct viommu_config *cfg,
			       const struct viommu_hiod *h, char *why,
			       size_t len)
{
	if (cfg->nesting && h->hw_info_type != VIOMMU_HW_INFO_TYPE_SELFTEST)
		return viommu_fail(why, len,
				   "nesting=on needs the mock IOMMU: hw_info type is 0x%x, expected SELFTEST (0x%x)",
				   h->hw_info_type,
				   VIOMMU_HW_INFO_TYPE_SELFTEST);
	return viommu_check_aw_bits(cfg->aw_bits, h, why, len);
}

const struct viommu_kind_ops viommu_kind_selftest = {
	.name = "selftest-iommu",
	VIOMMU_KEYS(selftest_keys),
	.check = selftest_check,
	.format = selftest_format,
	.flags = selftest_flags,
	.stage1 = VIOMMU_STAGE1_SELFTEST,
	.check_hiod = selftest_check_hiod,
};
