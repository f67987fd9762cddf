/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which side disagreed when a test fails: the first word of its log line,
 * so a kernel CI maintainer sees at once whether the kernel regressed.
 *
 *   kernel:  an ioctl's answer (an errno, a value) or a state the kernel
 *            holds (an object alive or busy, an IOTLB, a DMA's effect)
 *   model:   the vIOMMU model's verdict: flags, a config, quirks,
 *            set_iommu_device(), the migration stream
 *   engine:  the library's own steps: the attach engine's trace and
 *            bookkeeping, a refusal it made without the kernel or the
 *            model, the migration capture and replay, hw_info decoding
 *   test:    the test's own setup failed; no verdict on any side
 *
 * test_cmd_X() and test_err_X() say "kernel:" by themselves
 * (nest_ioctl_test.h), and so do ASSERT_KERNEL() and EXPECT_KERNEL() for
 * any other call.  Include it after kselftest_harness.h.
 */
#ifndef NEST_BLAME_H
#define NEST_BLAME_H

#include <errno.h>

#include "nest_engine.h"
#include "nest_ioctl_test.h"

/* test_err_X()'s check for any call whose answer is the kernel's */
#define ASSERT_KERNEL(want, ret)	ASSERT_EQ(want, nest_kernel_answer(want, ret))
#define EXPECT_KERNEL(want, ret)	EXPECT_EQ(want, nest_kernel_answer(want, ret))

/*
 * Who answered first among the engine's steps from @from on: the kernel
 * when a traced ioctl failed, the model when set_iommu_device() refused,
 * else the engine itself.  EINVAL on a reuse is not a failure: it tells
 * the engine to try a fresh HWPT, which is then the engine's to do.
 */
static inline const char *nest_blame(const struct nest_ctx *ctx,
				     unsigned int from)
{
	const struct nest_event *ev;
	unsigned int i;

	for (i = from; i < ctx->nr_events; i++) {
		ev = &ctx->trace[i];
		if (!ev->err ||
		    (ev->type == NEST_EV_REUSE_TRY && ev->err == EINVAL))
			continue;
		return ev->type == NEST_EV_SET_IOMMU_DEVICE ? "model" : "kernel";
	}
	return "engine";
}

/*
 * Who left an object behind after a teardown: the kernel when a traced
 * detach or destroy failed, else the engine, which did not undo it.
 */
static inline const char *nest_blame_leak(const struct nest_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_events; i++)
		if (ctx->trace[i].err && (ctx->trace[i].type == NEST_EV_DETACH ||
					  ctx->trace[i].type == NEST_EV_DESTROY))
			return "kernel";
	return "engine";
}

#endif
