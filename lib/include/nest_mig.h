/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Migration through the attach engine: capture a source context into a
 * viommu_mig_state, and replay that state on a target context, which
 * redoes the attach sequence on its own host and compares the outcome.
 */
#ifndef NEST_MIG_H
#define NEST_MIG_H

#include "nest_engine.h"
#include "viommu_mig.h"

enum nest_mig_verdict {
	NEST_MIG_ACCEPTED,	/* same flags, same layout, target running */
	NEST_MIG_REFUSED,	/* same flags, the target host cannot honour them */
	NEST_MIG_MISMATCH,	/* flags or layout differ: invariance broken */
};

struct nest_mig_result {
	enum nest_mig_verdict verdict;
	uint64_t src_flags;
	uint64_t dst_flags;
	int err;		/* negative errno of the refusing step */
	/* per device: dirty tracking at the source and at the target */
	bool src_dirty[VIOMMU_MAX_DEVICES];
	bool dst_dirty[VIOMMU_MAX_DEVICES];
	char reason[NEST_ERR_LEN];
};

/* The flags the context's vIOMMU answered last, or its config's. */
uint64_t nest_mig_answered_flags(const struct viommu *v);
/* Fill @s from @ctx and its @nr devices as they stand now. */
int nest_mig_capture(const struct nest_ctx *ctx, struct nest_dev **devs,
		     unsigned int nr, struct viommu_mig_state *s);
/*
 * Attach @nr target devices on @ctx, whose vIOMMU has the stream's
 * config, and judge the result.  A refused or mismatched target is left
 * with nothing attached; an accepted one keeps its devices.
 */
enum nest_mig_verdict nest_mig_replay(struct nest_ctx *ctx,
				      const struct viommu_mig_state *s,
				      struct nest_dev **devs, unsigned int nr,
				      struct nest_mig_result *res);
const char *nest_mig_verdict_name(enum nest_mig_verdict v);

#endif
