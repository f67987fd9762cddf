// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding hw_info.  Layouts are the uAPI's (struct iommu_hw_info_vtd,
 * struct iommu_hw_info_arm_smmuv3, struct iommu_test_hw_info), read as
 * little-endian bytes so this builds without the headers that define them.
 */
#include <stdarg.h>
#include <stdio.h>

#include "hw_info.h"
#include "nest_util.h"
#include "viommu_model.h"

const char *hw_info_type_name(uint32_t type)
{
	switch (type) {
	case VIOMMU_HW_INFO_TYPE_NONE:
		return "NONE";
	case VIOMMU_HW_INFO_TYPE_INTEL_VTD:
		return "INTEL_VTD";
	case VIOMMU_HW_INFO_TYPE_ARM_SMMUV3:
		return "ARM_SMMUV3";
	case VIOMMU_HW_INFO_TYPE_SELFTEST:
		return "SELFTEST";
	default:
		return "unknown";
	}
}

static int put(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*used < len ? buf + *used : NULL,
		      *used < len ? len - *used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used += n;
	return n;
}

enum hw_nesting hw_info_nesting(uint32_t type, const void *data, size_t len,
				char *why, size_t why_len)
{
	const uint8_t *d = data;
	size_t used = 0;

	switch (type) {
	case VIOMMU_HW_INFO_TYPE_INTEL_VTD: {
		uint64_t ecap;
		int smts, nest;

		if (len < VTD_INFO_LEN) {
			put(why, why_len, &used, "VT-d hw_info of %zu bytes", len);
			return HW_NESTING_UNKNOWN;
		}
		ecap = nest_get_le64(d + 16);
		smts = !!(ecap & VTD_ECAP_SMTS);
		nest = !!(ecap & VTD_ECAP_NEST);
		if (smts && nest) {
			put(why, why_len, &used,
			    "nesting: ecap.SMTS=1 ecap.NEST=1");
			return HW_NESTING_YES;
		}
		/* name only the missing bits */
		put(why, why_len, &used, "no nesting:%s%s",
		    nest ? "" : " ecap.NEST=0", smts ? "" : " ecap.SMTS=0");
		return HW_NESTING_NO;
	}
	case VIOMMU_HW_INFO_TYPE_ARM_SMMUV3: {
		uint32_t idr0;

		if (len < SMMUV3_INFO_LEN) {
			put(why, why_len, &used, "SMMUv3 hw_info of %zu bytes",
			    len);
			return HW_NESTING_UNKNOWN;
		}
		idr0 = nest_get_le32(d + 8);
		put(why, why_len, &used, "%s: IDR0.S1P=%d IDR0.S2P=%d",
		    (idr0 & 3) == 3 ? "nesting" : "no nesting",
		    !!(idr0 & 2), !!(idr0 & 1));
		return (idr0 & 3) == 3 ? HW_NESTING_YES : HW_NESTING_NO;
	}
	case VIOMMU_HW_INFO_TYPE_SELFTEST:
		put(why, why_len, &used, "nesting: the mock IOMMU nests");
		return HW_NESTING_YES;
	case VIOMMU_HW_INFO_TYPE_NONE:
		/* every nesting driver reports vendor hw_info for stage-1 */
		put(why, why_len, &used,
		    "no nesting: the driver reports no hw_info (type NONE)");
		return HW_NESTING_NO;
	default:
		put(why, why_len, &used, "hw_info type 0x%x: nesting unknown",
		    type);
		return HW_NESTING_UNKNOWN;
	}
}

static void describe_vtd(const uint8_t *d, char *buf, size_t buf_len,
			 size_t *used)
{
	uint64_t cap = nest_get_le64(d + 8), ecap = nest_get_le64(d + 16);
	uint32_t flags = nest_get_le32(d);

	put(buf, buf_len, used, "flags 0x%x%s\n", flags,
	    flags & VTD_INFO_ERRATA_772415_SPR17 ? " (ERRATA_772415_SPR17)" : "");
	put(buf, buf_len, used, "cap_reg 0x%llx\n", (unsigned long long)cap);
	put(buf, buf_len, used, "ecap_reg 0x%llx\n", (unsigned long long)ecap);
	put(buf, buf_len, used, "cap.FS1GP=%d\n", !!(cap & VTD_CAP_FS1GP));
	put(buf, buf_len, used, "ecap.SMTS=%d\n", !!(ecap & VTD_ECAP_SMTS));
	put(buf, buf_len, used, "ecap.NEST=%d\n", !!(ecap & VTD_ECAP_NEST));
}

static void describe_smmuv3(const uint8_t *d, char *buf, size_t buf_len,
			    size_t *used)
{
	int i;

	for (i = 0; i < SMMUV3_IDR_MAX; i++)
		put(buf, buf_len, used, "IDR%d 0x%08x\n", i,
		    nest_get_le32(d + 8 + 4 * i));
	put(buf, buf_len, used, "IIDR 0x%08x\nAIDR 0x%08x\n",
	    nest_get_le32(d + 32), nest_get_le32(d + 36));
}

int hw_info_describe(uint32_t type, const void *data, size_t len, char *buf,
		     size_t buf_len)
{
	const uint8_t *d = data;
	size_t used = 0, i;
	char why[96];

	if (buf_len)
		buf[0] = 0;
	put(buf, buf_len, &used, "type 0x%x (%s)\n", type,
	    hw_info_type_name(type));
	if (type == VIOMMU_HW_INFO_TYPE_INTEL_VTD && len >= VTD_INFO_LEN) {
		describe_vtd(d, buf, buf_len, &used);
	} else if (type == VIOMMU_HW_INFO_TYPE_ARM_SMMUV3 &&
		   len >= SMMUV3_INFO_LEN) {
		describe_smmuv3(d, buf, buf_len, &used);
	} else if (len) {
		put(buf, buf_len, &used, "data");
		for (i = 0; i < len; i++)
			put(buf, buf_len, &used, "%s%02x", i % 4 ? "" : " ",
			    d[i]);
		put(buf, buf_len, &used, "\n");
	}
	hw_info_nesting(type, data, len, why, sizeof(why));
	put(buf, buf_len, &used, "%s\n", why);
	return used < buf_len ? 0 : -1;
}
