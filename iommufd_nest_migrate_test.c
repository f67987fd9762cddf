// SPDX-License-Identifier: GPL-2.0
/*
 * Flag migration invariance, in one process on the kernel's mock IOMMU.
 * A source VM (its own iommufd, a dirty-tracking mock device) attaches
 * under a vIOMMU config and saves its state; a target VM (another
 * iommufd, a mock device without dirty tracking) loads the stream and
 * replays the attach.  The flags must be equal; what the host decides
 * (dirty tracking, quirks) may differ, and the tests say where.
 * Failures name the side that disagreed (nest_blame.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nest_kselftest.h"

#include "nest_mig.h"
#include "nest_trace.h"
#include "nest_ioctl_test.h"
#include "backend_mock.h"
#include "viommu_mig.h"
#include "viommu_model.h"
#include "nest_blame.h"

#define TRACE_LEN	2048

struct vm {
	int fd;
	struct viommu viommu;
	struct nest_ctx ctx;
	struct nest_dev *dev;
};

/*
 * Written out per config, not derived from the model: the flags, a
 * phrase of the mock host's refusal (NULL: accepted) and whether the
 * source turns on a SELFTEST stage-1.
 */
struct mig_expect {
	const char *config;
	uint64_t flags;
	const char *refusal;
	bool stage1;
};

FIXTURE(migrate) {
	struct vm src, dst;
	struct viommu_mig_state saved, loaded;
	uint8_t stream[VIOMMU_MIG_STREAM_MAX];
	int stream_len;
	char err[VIOMMU_ERR_LEN];
};

FIXTURE_VARIANT(migrate) {
	struct mig_expect e;
};

FIXTURE_VARIANT_ADD(migrate, none) { { "none", 0, NULL, false } };
FIXTURE_VARIANT_ADD(migrate, virtio_iommu) {
	{ "virtio-iommu", 0, NULL, false }
};
FIXTURE_VARIANT_ADD(migrate, intel_legacy) {
	{ "intel-iommu", 0,
	  "Device assignment is not allowed without enabling caching-mode=on",
	  false }
};
FIXTURE_VARIANT_ADD(migrate, intel_flts_on) {
	{ "intel-iommu,caching-mode=on,scalable-mode=on,fsts=on,pasid-bits=8",
	  0xf, "aw-bits 48 > host aw-bits 31", false }
};
/* QEMU's VFIO cannot serve an emulated vSMMU's address space */
FIXTURE_VARIANT_ADD(migrate, smmuv3_plain) {
	{ "arm-smmuv3", 0, "requires iommu MAP notifier", false }
};
FIXTURE_VARIANT_ADD(migrate, selftest_nesting_off) {
	{ "selftest-iommu,nesting=off", 0, NULL, false }
};
FIXTURE_VARIANT_ADD(migrate, selftest_nesting_on) {
	{ "selftest-iommu,nesting=on", VIOMMU_FLAG_WANT_NESTING_PARENT, NULL,
	  true }
};
FIXTURE_VARIANT_ADD(migrate, selftest_nesting_dirty) {
	{ "selftest-iommu,nesting=on,dirty=on",
	  VIOMMU_FLAG_WANT_NESTING_PARENT |
	  VIOMMU_FLAG_WANT_NESTING_DIRTY_TRACKING, NULL, true }
};
FIXTURE_VARIANT_ADD(migrate, selftest_nesting_on_aw30) {
	{ "selftest-iommu,nesting=on,aw-bits=30",
	  VIOMMU_FLAG_WANT_NESTING_PARENT, NULL, true }
};

/* Open an iommufd with one mock device; a SKIP reason, or NULL. */
static const char *vm_open(struct vm *vm, const struct viommu_config *cfg,
			   uint32_t dev_flags, const char *name)
{
	static char why[96];

	vm->fd = nest_mock_open(why, sizeof(why));
	if (vm->fd < 0)
		return why;
	viommu_init(&vm->viommu, cfg);
	if (nest_ctx_init(&vm->ctx, vm->fd, &vm->viommu))
		return vm->ctx.err;
	vm->dev = nest_mock_dev_new(name, dev_flags);
	return vm->dev ? NULL : "out of memory";
}

static void vm_close(struct vm *vm)
{
	if (vm->fd < 0)
		return;
	nest_vm_teardown(&vm->ctx, &vm->dev, 1);
	close(vm->fd);
	vm->fd = -1;
}

FIXTURE_SETUP(migrate)
{
	struct viommu_config cfg;
	const char *skip;

	self->src.fd = -1;
	self->dst.fd = -1;
	ASSERT_EQ(0, viommu_config_parse(variant->e.config, &cfg, self->err,
					 sizeof(self->err)))
		TH_LOG("model: %s", self->err);
	skip = vm_open(&self->src, &cfg, 0, "mock0");
	if (skip)
		SKIP(return, "%s", skip);
}

FIXTURE_TEARDOWN(migrate)
{
	vm_close(&self->dst);
	vm_close(&self->src);
}

/* The source attaches (and turns on stage-1), then saves its state. */
#define source_runs_and_saves() do {					\
	int __rc = nest_attach_device(&self->src.ctx, self->src.dev);	\
	const char *__side = nest_blame(&self->src.ctx, 0);		\
	if (variant->e.refusal) {					\
		ASSERT_EQ(-EPERM, __rc)					\
			TH_LOG("%s: the source's refusal did not come: %s", \
			       __rc ? __side : "model",			\
			       __rc ? self->src.ctx.err : "accepted");	\
		ASSERT_NE(NULL, strstr(self->src.ctx.err, variant->e.refusal)) \
			TH_LOG("model: source refusal: %s", self->src.ctx.err); \
	} else {							\
		ASSERT_EQ(0, __rc)					\
			TH_LOG("%s: %s", __side, self->src.ctx.err);	\
	}								\
	if (variant->e.stage1) {					\
		unsigned int __mark = self->src.ctx.nr_events;		\
		ASSERT_EQ(0, nest_enable_stage1(&self->src.ctx,		\
						self->src.dev, 0))	\
			TH_LOG("%s: %s", nest_blame(&self->src.ctx, __mark), \
			       self->src.ctx.err);			\
	}								\
	ASSERT_EQ(0, nest_mig_capture(&self->src.ctx, &self->src.dev, 1, \
				      &self->saved))			\
		TH_LOG("engine: the source's state cannot be captured"); \
	self->stream_len = viommu_mig_save(&self->saved, self->stream,	\
					   sizeof(self->stream),	\
					   self->err, sizeof(self->err)); \
	ASSERT_LT(0, self->stream_len) TH_LOG("model: %s", self->err);	\
} while (0)

/* The target loads the stream into a fresh VM of its own. */
#define target_loads() do {						\
	const char *__skip;						\
	ASSERT_EQ(0, viommu_mig_load(self->stream, self->stream_len,	\
				     &self->loaded, self->err,		\
				     sizeof(self->err)))		\
		TH_LOG("model: %s", self->err);				\
	__skip = vm_open(&self->dst, &self->loaded.cfg,			\
			 MOCK_FLAGS_DEVICE_NO_DIRTY, "mock0");		\
	ASSERT_EQ(NULL, __skip) TH_LOG("kernel: the target: %s", __skip); \
} while (0)

TEST_F(migrate, flags_equal_at_target)
{
	struct nest_mig_result res;
	enum nest_mig_verdict v;

	source_runs_and_saves();
	ASSERT_EQ(variant->e.flags, self->saved.flags)
		TH_LOG("model: the source saved flags 0x%llx",
		       (unsigned long long)self->saved.flags);
	target_loads();
	v = nest_mig_replay(&self->dst.ctx, &self->loaded, &self->dst.dev, 1,
			    &res);
	ASSERT_NE(NEST_MIG_MISMATCH, v) TH_LOG("model: %s", res.reason);
	ASSERT_EQ(variant->e.flags, res.src_flags)
		TH_LOG("model: source flags 0x%llx",
		       (unsigned long long)res.src_flags);
	ASSERT_EQ(variant->e.flags, res.dst_flags)
		TH_LOG("model: target flags 0x%llx",
		       (unsigned long long)res.dst_flags);
	/* both mocks are the same IOMMU: the target agrees with the source */
	ASSERT_EQ(variant->e.refusal ? NEST_MIG_REFUSED : NEST_MIG_ACCEPTED, v)
		TH_LOG("%s: the target's verdict: %s",
		       v == NEST_MIG_ACCEPTED ? "model" :
		       nest_blame(&self->dst.ctx, 0), res.reason);
	if (variant->e.refusal) {
		ASSERT_NE(NULL, strstr(res.reason, variant->e.refusal))
			TH_LOG("model: target refusal: %s", res.reason);
	}
}

TEST_F(migrate, replay_has_the_source_trace_shape)
{
	uint64_t f = variant->e.flags;
	bool src_dirty = !(f & VIOMMU_FLAG_WANT_NESTING_PARENT) ||
			 (f & VIOMMU_FLAG_WANT_NESTING_DIRTY_TRACKING);
	char src[TRACE_LEN], dst[TRACE_LEN];
	struct nest_mig_result res;
	int i;

	source_runs_and_saves();
	target_loads();
	nest_mig_replay(&self->dst.ctx, &self->loaded, &self->dst.dev, 1,
			&res);
	ASSERT_EQ(0, nest_trace_shape(&self->src.ctx, 0, src, sizeof(src)))
		TH_LOG("engine: the source's trace does not print");
	ASSERT_EQ(0, nest_trace_shape(&self->dst.ctx, 0, dst, sizeof(dst)))
		TH_LOG("engine: the target's trace does not print");
	ASSERT_STREQ(src, dst) TH_LOG("engine: the replay's trace shape differs");
	/*
	 * Dirty tracking is allowed to differ: VFIO core takes it from the
	 * host's caps (step 4), and for a nesting parent only with flag
	 * bit 2.  Where the source tracks, it does differ.
	 */
	i = nest_trace_find(&self->src.ctx, 0, NEST_EV_HWPT_ALLOC);
	ASSERT_LE(0, i)
		TH_LOG("engine: the source trace has no HWPT_ALLOC: %s", src);
	ASSERT_EQ(src_dirty, !!(self->src.ctx.trace[i].arg &
				IOMMU_HWPT_ALLOC_DIRTY_TRACKING))
		TH_LOG("engine: the source's HWPT flags 0x%llx",
		       (unsigned long long)self->src.ctx.trace[i].arg);
	ASSERT_TRUE(res.src_dirty[0] == (src_dirty && !variant->e.refusal))
		TH_LOG("engine: the source's dirty tracking as replayed");
	ASSERT_FALSE(res.dst_dirty[0])
		TH_LOG("engine: dirty tracking on the no-dirty target");
	i = nest_trace_find(&self->dst.ctx, 0, NEST_EV_HWPT_ALLOC);
	ASSERT_LE(0, i)
		TH_LOG("engine: the target trace has no HWPT_ALLOC: %s", dst);
	ASSERT_FALSE(self->dst.ctx.trace[i].arg & IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
		TH_LOG("engine: the target asked for dirty tracking");
}

TEST_F(migrate, stream_round_trips)
{
	uint8_t again[VIOMMU_MIG_STREAM_MAX];
	int len;

	source_runs_and_saves();
	target_loads();
	ASSERT_EQ(self->saved.flags, self->loaded.flags)
		TH_LOG("model: the stream lost the flags");
	ASSERT_EQ(0, memcmp(&self->saved.cfg, &self->loaded.cfg,
			    sizeof(self->saved.cfg)))
		TH_LOG("model: the stream lost the config");
	ASSERT_EQ(1, self->loaded.nr_devs) TH_LOG("model: devices in the stream");
	ASSERT_STREQ("mock0", self->loaded.devs[0].id)
		TH_LOG("model: the device's identity in the stream");
	ASSERT_EQ(variant->e.refusal ? VIOMMU_MIG_LAYOUT_NONE :
		  (variant->e.flags & VIOMMU_FLAG_WANT_NESTING_PARENT ?
		   VIOMMU_MIG_LAYOUT_PARENT : VIOMMU_MIG_LAYOUT_PLAIN),
		  self->loaded.devs[0].layout)
		TH_LOG("engine: the captured layout");
	ASSERT_EQ(!variant->e.refusal, self->loaded.devs[0].hiod_set)
		TH_LOG("engine: the captured hiod state");
	ASSERT_EQ(variant->e.stage1, self->loaded.devs[0].nested)
		TH_LOG("engine: the captured stage-1 state");
	len = viommu_mig_save(&self->loaded, again, sizeof(again), self->err,
			      sizeof(self->err));
	ASSERT_EQ(self->stream_len, len) TH_LOG("model: %s", self->err);
	ASSERT_EQ(0, memcmp(self->stream, again, len))
		TH_LOG("model: the stream does not round trip");
}

TEST_F(migrate, target_leaves_nothing_behind)
{
	struct nest_mig_result res;

	source_runs_and_saves();
	target_loads();
	if (nest_mig_replay(&self->dst.ctx, &self->loaded, &self->dst.dev, 1,
			    &res) == NEST_MIG_ACCEPTED)
		nest_detach_device(&self->dst.ctx, self->dst.dev);
	/* nothing is left, whatever the verdict was */
	ASSERT_EQ(0, nest_count_live_ids(&self->dst.ctx))
		TH_LOG("%s: objects outlived the target",
		       nest_blame_leak(&self->dst.ctx));
	ASSERT_EQ(0, self->dst.viommu.nr_hiods)
		TH_LOG("engine: the target's vIOMMU holds a host IOMMU device");
}

/* ---- a target that cannot honour the config ---- */

static int reserve_rc;

/* The target host's usable IOVA ends at 2^28 - 1: 28 address bits. */
static void reserve_above_28_bits(struct nest_ctx *ctx, uint32_t ioas_id)
{
	reserve_rc = nest_test_add_reserved(ctx->fd, ioas_id, 1ULL << 28,
					    (1ULL << 31) - (1ULL << 28));
}

TEST(refusing_target_leaves_source_untouched)
{
	struct vm src = { .fd = -1 }, dst = { .fd = -1 };
	struct viommu_mig_state saved, loaded;
	uint8_t stream[VIOMMU_MIG_STREAM_MAX];
	struct nest_mig_result res;
	struct viommu_config cfg;
	char err[VIOMMU_ERR_LEN];
	const char *skip, *side;
	enum nest_mig_verdict v;
	unsigned int mark;
	int len;

	ASSERT_EQ(0, viommu_config_parse("selftest-iommu,nesting=on,aw-bits=30",
					 &cfg, err, sizeof(err)))
		TH_LOG("model: %s", err);
	skip = vm_open(&src, &cfg, 0, "mock0");
	if (skip) {
		vm_close(&src);
		SKIP(return, "%s", skip);
	}
	ASSERT_EQ(0, nest_attach_device(&src.ctx, src.dev))
		TH_LOG("%s: %s", nest_blame(&src.ctx, 0), src.ctx.err);
	mark = src.ctx.nr_events;
	ASSERT_EQ(0, nest_enable_stage1(&src.ctx, src.dev, 0))
		TH_LOG("%s: %s", nest_blame(&src.ctx, mark), src.ctx.err);
	ASSERT_EQ(0, nest_mig_capture(&src.ctx, &src.dev, 1, &saved))
		TH_LOG("engine: the source's state cannot be captured");
	len = viommu_mig_save(&saved, stream, sizeof(stream), err, sizeof(err));
	ASSERT_LT(0, len) TH_LOG("model: %s", err);

	/* the target host's usable IOVA ends at 2^28 - 1: 28 address bits */
	ASSERT_EQ(0, viommu_mig_load(stream, len, &loaded, err, sizeof(err)))
		TH_LOG("model: %s", err);
	skip = vm_open(&dst, &loaded.cfg, MOCK_FLAGS_DEVICE_NO_DIRTY, "mock0");
	ASSERT_EQ(NULL, skip) TH_LOG("kernel: the target: %s", skip);
	dst.ctx.ioas_created = reserve_above_28_bits;
	reserve_rc = -ENOENT;
	v = nest_mig_replay(&dst.ctx, &loaded, &dst.dev, 1, &res);
	ASSERT_EQ(0, reserve_rc)
		TH_LOG("kernel: IOMMU_TEST_OP_ADD_RESERVED answered %s",
		       nest_errno_name(-reserve_rc));
	/* a refusal the kernel made is the kernel's; else the model's */
	side = nest_blame(&dst.ctx, 0);
	ASSERT_EQ(NEST_MIG_REFUSED, v)
		TH_LOG("%s: the target's verdict: %s",
		       strcmp(side, "kernel") ? "model" : side, res.reason);
	ASSERT_EQ(res.src_flags, res.dst_flags)
		TH_LOG("model: flags 0x%llx at the source, 0x%llx at the target",
		       (unsigned long long)res.src_flags,
		       (unsigned long long)res.dst_flags);
	ASSERT_NE(NULL, strstr(res.reason,
			       "aw-bits 30 > host aw-bits 28"))
		TH_LOG("model: reason: %s", res.reason);
	ASSERT_EQ(0, nest_count_live_ids(&dst.ctx))
		TH_LOG("%s: objects outlived the refused target",
		       nest_blame_leak(&dst.ctx));

	/*
	 * The source runs on: its device is bound and on its stage-1, which
	 * sits on the parent (both busy, so IOMMU_DESTROY leaves them).
	 */
	test_cmd_get_hw_info(src.fd, src.dev->dev_id, NULL, NULL);
	ASSERT_NE(0, src.dev->nested_id)
		TH_LOG("engine: the source lost its stage-1");
	test_err_destroy(EBUSY, src.fd, src.dev->nested_id);
	test_err_destroy(EBUSY, src.fd, src.dev->hwpt_id);
	ASSERT_EQ(1, src.viommu.nr_hiods)
		TH_LOG("engine: the source's vIOMMU holds %u host IOMMU devices",
		       src.viommu.nr_hiods);
	vm_close(&dst);
	/* and still tears down to nothing */
	nest_detach_device(&src.ctx, src.dev);
	ASSERT_EQ(0, nest_count_live_ids(&src.ctx))
		TH_LOG("%s: objects outlived the source",
		       nest_blame_leak(&src.ctx));
	vm_close(&src);
}

/* ---- host quirks may differ, flags may not ---- */

TEST(quirks_differ_flags_do_not)
{
	static const char *const configs[] = {
		"selftest-iommu,nesting=on", "intel-iommu,scalable-mode=on,fsts=on",
		"arm-smmuv3,accel=on,ssidsize=4", "virtio-iommu", "none",
	};
	/*
	 * QEMU 11.1's get_viommu_flags() for each, written out by hand, not
	 * taken from the model: 0x5 is NESTING_PARENT + NESTING_DIRTY_TRACKING,
	 * 0x3 NESTING_PARENT + PASID_SUPPORTED (ssidsize > 0)
	 */
	static const uint64_t want[] = { 0x1, 0x5, 0x3, 0x0, 0x0 };
	/* a VT-d host with the SPR17 errata, and the mock host */
	uint8_t vtd[VTD_INFO_LEN] = { VTD_INFO_ERRATA_772415_SPR17 };
	struct viommu a, b;
	struct viommu_config cfg;
	char err[VIOMMU_ERR_LEN];
	uint64_t fa, fb, qa, qb;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(configs); i++) {
		ASSERT_EQ(0, viommu_config_parse(configs[i], &cfg, err,
						 sizeof(err)))
			TH_LOG("model: %s", err);
		viommu_init(&a, &cfg);
		viommu_init(&b, &cfg);
		fa = viommu_get_flags(&a);
		fb = viommu_get_flags(&b);
		qa = viommu_get_host_quirks(&a, VIOMMU_HW_INFO_TYPE_INTEL_VTD,
					    vtd, sizeof(vtd));
		qb = viommu_get_host_quirks(&b, VIOMMU_HW_INFO_TYPE_SELFTEST,
					    NULL, 0);
		ASSERT_EQ(HOST_IOMMU_QUIRK_NESTING_PARENT_BYPASS_RO, qa)
			TH_LOG("model: %s: VT-d quirks", configs[i]);
		ASSERT_EQ(0, qb) TH_LOG("model: %s: mock quirks", configs[i]);
		ASSERT_EQ(want[i], fa)
			TH_LOG("model: %s: flags 0x%llx on VT-d, QEMU 11.1 gives 0x%llx",
			       configs[i], (unsigned long long)fa,
			       (unsigned long long)want[i]);
		ASSERT_EQ(want[i], fb)
			TH_LOG("model: %s: flags 0x%llx on the mock, QEMU 11.1 gives 0x%llx",
			       configs[i], (unsigned long long)fb,
			       (unsigned long long)want[i]);
		/* and asking again after the host was seen changes nothing */
		ASSERT_EQ(fa, viommu_get_flags(&a))
			TH_LOG("model: %s: flags changed on VT-d", configs[i]);
		ASSERT_EQ(fb, viommu_get_flags(&b))
			TH_LOG("model: %s: flags changed on the mock", configs[i]);
	}
}

TEST_HARNESS_MAIN
