// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the vIOMMU config parser.  Every input is either
 * refused with a message, or accepted and then survives a format/parse
 * round trip with flags inside the known bits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "viommu_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct viommu_config cfg, again;
	char err[VIOMMU_ERR_LEN] = "", buf[256];
	char *str = malloc(size + 1);

	if (!str)
		return 0;
	memcpy(str, data, size);
	str[size] = 0;
	if (viommu_config_parse(str, &cfg, err, sizeof(err))) {
		if (!err[0])
			abort();	/* a refusal without a reason */
	} else {
		if (viommu_config_format(&cfg, buf, sizeof(buf)) >= (int)sizeof(buf))
			abort();
		if (viommu_config_parse(buf, &again, err, sizeof(err)) ||
		    memcmp(&cfg, &again, sizeof(cfg)))
			abort();	/* the canonical string must mean the same */
		if (viommu_config_flags(&cfg) & ~VIOMMU_FLAGS_KNOWN)
			abort();
	}
	free(str);
	return 0;
}
