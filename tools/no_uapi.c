// SPDX-License-Identifier: GPL-2.0
/*
 * What every iommufd program is built as when the kernel headers lack
 * the nesting uAPI (linux/iommufd.h without IOMMU_HWPT_INVALIDATE, Linux
 * before 6.8): a test prints one KTAP SKIP with the reason, a tool an
 * error; both exit 4, the kselftest code for "skipped".
 */
#include <stdio.h>
#include <string.h>

#define WHY "built against kernel headers without the iommufd nesting uAPI (" \
	    HEADERS "/linux/iommufd.h lacks IOMMU_HWPT_INVALIDATE: Linux 6.8 or later needed)"

int main(void)
{
	if (!strstr(PROG, "_test")) {
		fprintf(stderr, "error: %s was %s\n", PROG, WHY);
		return 4;
	}
	printf("TAP version 13\n1..1\nok 1 %s # SKIP %s\n", PROG, WHY);
	printf("# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0\n");
	return 4;
}
