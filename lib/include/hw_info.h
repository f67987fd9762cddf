/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding IOMMU_GET_HW_INFO answers for people and for expectations:
 * what the host IOMMU is, and whether it can be a nesting parent.
 * Pure code, like the model.
 */
#ifndef HW_INFO_H
#define HW_INFO_H

#include <stddef.h>
#include <stdint.h>

enum hw_nesting {
	HW_NESTING_NO,
	HW_NESTING_YES,
	HW_NESTING_UNKNOWN,	/* a type we cannot judge */
};

const char *hw_info_type_name(uint32_t type);
/* Can this host IOMMU be a nesting parent?  @why names the deciding bits. */
enum hw_nesting hw_info_nesting(uint32_t type, const void *data, size_t len,
				char *why, size_t why_len);
/* One line per fact ("cap_reg 0x...", "ecap.NEST=0"...), for reports. */
int hw_info_describe(uint32_t type, const void *data, size_t len, char *buf,
		     size_t buf_len);

#endif
