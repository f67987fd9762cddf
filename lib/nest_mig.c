// SPDX-License-Identifier: GPL-2.0
/*
 * Capture and replay of the migration state.  The target judges a
 * replay the way a VMM must: the flags come from its own vIOMMU, which
 * has only the config to go on, and its host may refuse; any difference
 * in flags or in the HWPT layout they lead to breaks invariance.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/iommufd.h>

#include "nest_mig.h"

_Static_assert(VIOMMU_MIG_HWPT_NEST_PARENT == IOMMU_HWPT_ALLOC_NEST_PARENT,
	       "HWPT flag values drifted from the uAPI");
_Static_assert(VIOMMU_MIG_HWPT_DIRTY_TRACKING == IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
	       "HWPT flag values drifted from the uAPI");

const char *nest_mig_verdict_name(enum nest_mig_verdict v)
{
	switch (v) {
	case NEST_MIG_ACCEPTED:
		return "accepted";
	case NEST_MIG_REFUSED:
		return "refused";
	case NEST_MIG_MISMATCH:
		return "MISMATCH";
	}
	return "?";
}

uint64_t nest_mig_answered_flags(const struct viommu *v)
{
	unsigned int i;

	for (i = v->nr_records; i-- > 0;)
		if (v->log[i].event == VIOMMU_EV_GET_FLAGS)
			return v->log[i].answer;
	return viommu_config_flags(&v->cfg);
}

static void capture_dev(const struct nest_ctx *ctx, const struct nest_dev *dev,
			struct viommu_mig_dev *d)
{
	const struct nest_hwpt *hwpt = NULL;
	unsigned int i;

	memset(d, 0, sizeof(*d));
	snprintf(d->id, sizeof(d->id), "%s", dev->name);
	for (i = 0; i < ctx->nr_hwpts; i++)
		if (dev->hwpt_id && ctx->hwpts[i].id == dev->hwpt_id)
			hwpt = &ctx->hwpts[i];
	if (!hwpt)
		return;
	d->hwpt_flags = hwpt->alloc_flags;
	d->layout = hwpt->alloc_flags & IOMMU_HWPT_ALLOC_NEST_PARENT ?
		    VIOMMU_MIG_LAYOUT_PARENT : VIOMMU_MIG_LAYOUT_PLAIN;
	d->hiod_set = dev->hiod_set;
	d->nested = dev->nested_id != 0;
}

int nest_mig_capture(const struct nest_ctx *ctx, struct nest_dev **devs,
		     unsigned int nr, struct viommu_mig_state *s)
{
	unsigned int i;

	if (nr > VIOMMU_MAX_DEVICES)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->cfg = ctx->viommu->cfg;
	s->flags = nest_mig_answered_flags(ctx->viommu);
	s->nr_devs = nr;
	for (i = 0; i < nr; i++)
		capture_dev(ctx, devs[i], &s->devs[i]);
	return 0;
}

/* Compare one accepted target device with its source record. */
static bool layout_matches(struct nest_ctx *ctx, const struct viommu_mig_dev *src,
			   struct nest_dev *dev, struct nest_mig_result *res)
{
	struct viommu_mig_dev dst;
	uint32_t mask = ~VIOMMU_MIG_HWPT_DIRTY_TRACKING;

	capture_dev(ctx, dev, &dst);
	if (src->layout == VIOMMU_MIG_LAYOUT_NONE)
		return true;	/* the source never realized it */
	if (dst.layout == src->layout && dst.hiod_set == src->hiod_set &&
	    dst.nested == src->nested &&
	    (dst.hwpt_flags & mask) == (src->hwpt_flags & mask))
		return true;
	snprintf(res->reason, sizeof(res->reason),
		 "%s: layout %s, HWPT flags 0x%x, hiod %d, nested %d at the target; %s, 0x%x, %d, %d at the source",
		 dev->name, viommu_mig_layout_name(dst.layout), dst.hwpt_flags,
		 dst.hiod_set, dst.nested, viommu_mig_layout_name(src->layout),
		 src->hwpt_flags, src->hiod_set, src->nested);
	return false;
}

static void unwind(struct nest_ctx *ctx, struct nest_dev **devs,
		   unsigned int nr)
{
	while (nr-- > 0)
		nest_detach_device(ctx, devs[nr]);
}

static int replay_dev(struct nest_ctx *ctx, const struct viommu_mig_dev *src,
		      struct nest_dev *dev)
{
	int err = nest_attach_device(ctx, dev);

	if (!err && src->nested) {
		err = nest_enable_stage1(ctx, dev, 0);
		if (err)
			nest_detach_device(ctx, dev);
	}
	return err;
}

enum nest_mig_verdict nest_mig_replay(struct nest_ctx *ctx,
				      const struct viommu_mig_state *s,
				      struct nest_dev **devs, unsigned int nr,
				      struct nest_mig_result *res)
{
	unsigned int i, done;

	memset(res, 0, sizeof(*res));
	res->src_flags = s->flags;
	for (i = 0; i < s->nr_devs; i++)
		res->src_dirty[i] =
			s->devs[i].hwpt_flags & VIOMMU_MIG_HWPT_DIRTY_TRACKING;
	if (nr != s->nr_devs) {
		res->dst_flags = viommu_config_flags(&ctx->viommu->cfg);
		snprintf(res->reason, sizeof(res->reason),
			 "the stream has %u devices, the target %u",
			 s->nr_devs, nr);
		return res->verdict = NEST_MIG_MISMATCH;
	}
	for (done = 0; done < nr; done++) {
		res->err = replay_dev(ctx, &s->devs[done], devs[done]);
		if (res->err)
			break;
		res->dst_dirty[done] = devs[done]->dirty_tracking;
	}
	/* the target's own answer, from its own query (step 2) */
	res->dst_flags = nest_mig_answered_flags(ctx->viommu);
	if (res->dst_flags != res->src_flags) {
		snprintf(res->reason, sizeof(res->reason),
			 "flags 0x%llx at the target, 0x%llx at the source",
			 (unsigned long long)res->dst_flags,
			 (unsigned long long)res->src_flags);
		res->verdict = NEST_MIG_MISMATCH;
	} else if (res->err) {
		snprintf(res->reason, sizeof(res->reason), "%s", ctx->err);
		res->verdict = NEST_MIG_REFUSED;
	} else {
		res->verdict = NEST_MIG_ACCEPTED;
		for (i = 0; i < nr; i++)
			if (!layout_matches(ctx, &s->devs[i], devs[i], res))
				res->verdict = NEST_MIG_MISMATCH;
	}
	if (res->verdict != NEST_MIG_ACCEPTED)
		unwind(ctx, devs, done);
	return res->verdict;
}
