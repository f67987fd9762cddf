// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the migration stream loader.  Every input is either
 * refused with a message, or accepted; an accepted state saves to a
 * stream that loads back to the same state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "viommu_mig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[VIOMMU_MIG_STREAM_MAX];
	struct viommu_mig_state s, again;
	char err[VIOMMU_ERR_LEN] = "";
	int n;

	if (viommu_mig_load(data, size, &s, err, sizeof(err))) {
		if (!err[0])
			abort();	/* a refusal without a reason */
		return 0;
	}
	n = viommu_mig_save(&s, out, sizeof(out), err, sizeof(err));
	if (n <= 0)
		abort();	/* what loads must save */
	if (viommu_mig_load(out, n, &again, err, sizeof(err)) ||
	    memcmp(&s, &again, sizeof(s)))
		abort();
	return 0;
}
