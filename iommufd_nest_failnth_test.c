// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection over the attach-then-hiod sequence.  For N = 1, 2, ...
 * the Nth fault point the kernel passes for the sequence fails: a slab or
 * page allocation (failslab, fail_page_alloc) or a mock iommufd object
 * lookup (fail_iommufd), through /proc/self/task/TID/fail-nth.  The
 * engine must either fail cleanly or see the kernel absorb the fault,
 * unwind to nothing, and leave the fd usable.  Runs on the kernel's mock
 * IOMMU (CONFIG_IOMMUFD_TEST); without it, or without fault injection,
 * the test SKIPs.  Failures name the side that disagreed
 * (nest_blame.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nest_kselftest.h"

#include "nest_engine.h"
#include "nest_trace.h"
#include "nest_ioctl.h"
#include "backend_mock.h"
#include "viommu_model.h"
#include "nest_blame.h"

#define DEBUGFS		"/sys/kernel/debug/"
#define FAIL_NTH_MAX	2000
/* fewer points than this means injection did not reach the kernel paths */
#define MIN_POINTS	10
/* every object a fresh fd gets has a small id: iommufd allocates the lowest */
#define SCAN_IDS	64
#define KNOB_LEN	32
#define STEPS_LEN	512
#define NR_STEPS	16

struct knob {
	const char *name;
	const char *value;	/* NULL: only saved and restored */
};

/*
 * fail-nth counts only the allocations a capability does not filter out.
 * By default both skip allocations that may sleep, which is nearly every
 * GFP_KERNEL one iommufd makes, and fail_page_alloc skips order 0.  User
 * pages (__GFP_HIGHMEM) stay filtered: a failed page fault of this
 * process is not the code under test.  fail-nth also drives the mock's own
 * fail_iommufd (an object lookup answers ENOENT), whose default verbosity
 * is a stack dump per fault.  Each injected fault also uses up one of
 * "times", so that is put back too.
 */
static const struct knob knobs[] = {
	{ "failslab/ignore-gfp-wait", "N" },
	{ "failslab/verbose", "0" },
	{ "failslab/times", NULL },
	{ "fail_page_alloc/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/ignore-gfp-highmem", "Y" },
	{ "fail_page_alloc/min-order", "0" },
	{ "fail_page_alloc/verbose", "0" },
	{ "fail_page_alloc/times", NULL },
	{ "fail_iommufd/verbose", "0" },
	{ "fail_iommufd/times", NULL },
};

/* Read (@value NULL) or write a debugfs knob; 0 or -errno. */
static int knob_io(const char *name, const char *value, char *buf,
		   size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), DEBUGFS "%s", name);
	fd = open(path, value ? O_WRONLY : O_RDONLY);
	if (fd < 0)
		return -errno;
	n = value ? write(fd, value, strlen(value)) : read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	if (!value) {
		buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
	}
	return 0;
}

static int read_knob(const char *name, char *buf, size_t len)
{
	return knob_io(name, NULL, buf, len);
}

static int write_knob(const char *name, const char *value)
{
	return knob_io(name, value, NULL, 0);
}

static int nth_write(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

/* What is left of the countdown: 0 once the fault was injected. */
static long nth_read(int fd)
{
	char buf[16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

struct saved_knobs {
	char value[ARRAY_SIZE(knobs)][KNOB_LEN];
	unsigned int nr_applied;
};

/* One context under test: an fd, its IOAS and vIOMMU, one mock device. */
struct run {
	int fd;
	struct viommu viommu;
	struct nest_ctx ctx;
	struct nest_dev *dev;
	char trace[4096];
};

FIXTURE(failnth) {
	int nth_fd;
	struct saved_knobs knobs;
	struct run run;
};

FIXTURE_VARIANT(failnth) {
	uint32_t dev_flags;
};

FIXTURE_VARIANT_ADD(failnth, dirty) { 0 };
FIXTURE_VARIANT_ADD(failnth, no_dirty) { MOCK_FLAGS_DEVICE_NO_DIRTY };

static void restore_knobs(struct saved_knobs *k)
{
	while (k->nr_applied > 0) {
		k->nr_applied--;
		write_knob(knobs[k->nr_applied].name, k->value[k->nr_applied]);
	}
}

FIXTURE_SETUP(failnth)
{
	char path[64], why[VIOMMU_ERR_LEN];
	unsigned int i;
	int fd, rc;

	self->run.fd = -1;
	self->nth_fd = -1;
	fd = nest_mock_open(why, sizeof(why));
	if (fd < 0)
		SKIP(return, "%s", why);
	close(fd);
	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	self->nth_fd = open(path, O_RDWR);
	if (self->nth_fd < 0)
		SKIP(return, "no %s (%s): kernel lacks CONFIG_FAULT_INJECTION",
		     path, strerror(errno));
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		rc = read_knob(knobs[i].name, self->knobs.value[i], KNOB_LEN);
		if (rc)
			SKIP(return, "no %s%s (%s): needs FAILSLAB, FAIL_PAGE_ALLOC, FAULT_INJECTION_DEBUG_FS and debugfs mounted",
			     DEBUGFS, knobs[i].name, strerror(-rc));
	}
	/* last in setup: teardown restores only after a completed setup */
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		if (!knobs[i].value) {
			self->knobs.nr_applied++;
			continue;
		}
		rc = write_knob(knobs[i].name, knobs[i].value);
		if (rc) {
			restore_knobs(&self->knobs);
			ASSERT_EQ(0, rc) TH_LOG("test: writing %s%s: %s",
						DEBUGFS, knobs[i].name,
						strerror(-rc));
		}
		self->knobs.nr_applied++;
	}
}

static void run_close(struct run *r)
{
	if (r->fd < 0)
		return;
	nest_vm_teardown(&r->ctx, &r->dev, 1);
	close(r->fd);
	r->fd = -1;
}

FIXTURE_TEARDOWN(failnth)
{
	if (self->nth_fd >= 0) {
		nth_write(self->nth_fd, 0);
		close(self->nth_fd);
	}
	run_close(&self->run);
	restore_knobs(&self->knobs);
}

/* A fresh fd, IOAS and vIOMMU, and a mock device not yet bound. */
static int run_open(struct run *r, uint32_t dev_flags)
{
	struct viommu_config cfg;
	char err[VIOMMU_ERR_LEN];
	int rc;

	rc = viommu_config_parse("selftest-iommu,nesting=on", &cfg, err,
				 sizeof(err));
	if (rc)
		return rc;
	viommu_init(&r->viommu, &cfg);
	r->fd = open("/dev/iommu", O_RDWR);
	if (r->fd < 0)
		return -errno;
	rc = nest_ctx_init(&r->ctx, r->fd, &r->viommu);
	if (rc) {
		close(r->fd);
		r->fd = -1;
		return rc;
	}
	r->dev = nest_mock_dev_new("mock0", dev_flags);
	return r->dev ? 0 : -ENOMEM;
}

static void list_id(char *buf, size_t len, uint32_t id)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, " %u", id);
}

static bool engine_id(const struct run *r, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < r->ctx.nr_ids; i++)
		if (r->ctx.ids[i] == id)
			return true;
	return false;
}

/*
 * Object ids alive on the fd besides @keep, destroyed on the way: the
 * engine's own ids and any the kernel made for it.  Listed in @buf; the
 * side to blame in @side: the kernel for an id the engine never got, or
 * whose destroy failed, else the engine.
 */
static unsigned int live_ids(struct run *r, uint32_t keep, char *buf,
			     size_t len, const char **side)
{
	unsigned int i, live = 0;
	uint32_t id;

	buf[0] = 0;
	*side = nest_blame_leak(&r->ctx);
	for (i = 0; i < r->ctx.nr_ids; i++) {
		id = r->ctx.ids[i];
		if (id >= SCAN_IDS && id != keep &&
		    nest_destroy(r->fd, id) != -ENOENT) {
			list_id(buf, len, id);
			live++;
		}
	}
	for (id = 1; id < SCAN_IDS; id++) {
		if (id != keep && nest_destroy(r->fd, id) != -ENOENT) {
			list_id(buf, len, id);
			if (!engine_id(r, id))
				*side = "kernel";
			live++;
		}
	}
	return live;
}

/* The calls under test: steps 1-10 for one device. */
static int run_sequence(struct run *r, bool *attached)
{
	int rc = nest_attach_device(&r->ctx, r->dev);

	*attached = !rc;
	if (!rc)
		rc = nest_enable_stage1(&r->ctx, r->dev, 0);
	return rc;
}

struct step_count {
	char name[32];
	unsigned int count;
};

/* Count the failed step, as the trace prints it, with its errno. */
static void tally_step(struct run *r, int rc, struct step_count *steps,
		       unsigned int max)
{
	unsigned int i;
	char name[32];

	for (i = 0; i < r->ctx.nr_events; i++)
		if (r->ctx.trace[i].err)
			break;
	if (i == r->ctx.nr_events ||
	    nest_trace_format(&r->ctx, i, r->trace, sizeof(r->trace)))
		r->trace[0] = 0;
	snprintf(name, sizeof(name), "%.*s=%s",
		 (int)strcspn(r->trace, "(= "), r->trace,
		 nest_errno_name(-rc));
	for (i = 0; i < max && steps[i].count; i++)
		if (!strcmp(steps[i].name, name))
			break;
	if (i == max)
		return;
	if (!steps[i].count)
		snprintf(steps[i].name, sizeof(steps[i].name), "%s", name);
	steps[i].count++;
}

TEST_F_TIMEOUT(failnth, attach_hiod_stage1, 300)
{
	unsigned int i, n, failed = 0, absorbed = 0, calls = 0;
	struct step_count steps[NR_STEPS] = {};
	struct run *r = &self->run;
	char leaks[256], line[STEPS_LEN] = "";
	unsigned int mark;
	const char *side;
	bool attached;
	long left;
	int rc;

	/* a run with no fault: the baseline works, its pages are touched */
	rc = run_open(r, variant->dev_flags);
	ASSERT_EQ(0, rc) TH_LOG("kernel: a fresh fd, IOAS and device: %s",
				nest_errno_name(-rc));
	ASSERT_EQ(0, run_sequence(r, &attached))
		TH_LOG("%s: %s", nest_blame(&r->ctx, 0), r->ctx.err);
	run_close(r);

	for (n = 1; ; n++) {
		ASSERT_GE(FAIL_NTH_MAX, n)
			TH_LOG("kernel: faults still fire at N=%u", FAIL_NTH_MAX);
		rc = run_open(r, variant->dev_flags);
		ASSERT_EQ(0, rc) TH_LOG("kernel: N=%u: %s (%s)", n,
					nest_errno_name(-rc), r->ctx.err);

		/* armed for the calls under test only */
		ASSERT_EQ(0, nth_write(self->nth_fd, n))
			TH_LOG("test: cannot arm fail-nth");
		rc = run_sequence(r, &attached);
		left = nth_read(self->nth_fd);
		ASSERT_EQ(0, nth_write(self->nth_fd, 0))
			TH_LOG("test: cannot disarm fail-nth");

		ASSERT_LE(0, left)
			TH_LOG("test: reading fail-nth: %s", strerror(-left));
		nest_trace_format(&r->ctx, 0, r->trace,
				  sizeof(r->trace));
		if (left) {
			/* the sequence made fewer than N allocations */
			ASSERT_EQ(0, rc) TH_LOG("%s: N=%u, no fault: %s",
						nest_blame(&r->ctx, 0), n,
						r->ctx.err);
			calls = n - left;
			run_close(r);
			break;
		}
		if (rc) {
			ASSERT_GT(0, rc)
				TH_LOG("engine: N=%u: returned %d", n, rc);
			ASSERT_LE(-4095, rc)
				TH_LOG("engine: N=%u: returned %d", n, rc);
			ASSERT_NE(0, r->ctx.err[0])
				TH_LOG("engine: N=%u: %s and no message", n,
				       nest_errno_name(-rc));
			tally_step(r, rc, steps, NR_STEPS);
			failed++;
		} else {
			absorbed++;
		}
		if (attached && rc) {
			/* a failed stage-1 leaves the device on its parent */
			ASSERT_EQ(0, r->dev->nested_id)
				TH_LOG("engine: N=%u: a failed stage-1 kept: %s",
				       n, r->trace);
			ASSERT_TRUE(r->dev->hiod_set)
				TH_LOG("engine: N=%u: the hiod went with the stage-1: %s",
				       n, r->trace);
		} else if (!attached) {
			/* a failed attach unwinds by itself */
			ASSERT_FALSE(r->dev->bound)
				TH_LOG("engine: N=%u: still bound: %s", n,
				       r->trace);
			ASSERT_EQ(0, r->ctx.nr_hwpts)
				TH_LOG("engine: N=%u: HWPTs listed: %s", n,
				       r->trace);
			ASSERT_EQ(0, r->viommu.nr_hiods)
				TH_LOG("engine: N=%u: a hiod held: %s", n,
				       r->trace);
		}
		mark = r->ctx.nr_events;
		ASSERT_EQ(0, nest_detach_device(&r->ctx, r->dev))
			TH_LOG("%s: N=%u: %s", nest_blame(&r->ctx, mark), n,
			       r->ctx.err);
		nest_trace_format(&r->ctx, 0, r->trace,
				  sizeof(r->trace));
		ASSERT_EQ(0, r->ctx.nr_hwpts)
			TH_LOG("engine: N=%u: HWPTs listed: %s", n, r->trace);
		ASSERT_EQ(0, r->viommu.nr_hiods)
			TH_LOG("engine: N=%u: a hiod held: %s", n, r->trace);
		ASSERT_EQ(0, live_ids(r, r->ctx.ioas_id, leaks,
				      sizeof(leaks), &side))
			TH_LOG("%s: N=%u (%s): object ids%s outlived the teardown; trace: %s",
			       side, n, rc ? r->ctx.err : "absorbed", leaks,
			       r->trace);

		/* the fd and the IOAS still work */
		mark = r->ctx.nr_events;
		rc = run_sequence(r, &attached);
		ASSERT_EQ(0, rc) TH_LOG("%s: N=%u, retry: %s",
					nest_blame(&r->ctx, mark), n,
					r->ctx.err);
		mark = r->ctx.nr_events;
		ASSERT_EQ(0, nest_detach_device(&r->ctx, r->dev))
			TH_LOG("%s: N=%u: %s", nest_blame(&r->ctx, mark), n,
			       r->ctx.err);
		ASSERT_EQ(0, nest_ctx_fini(&r->ctx))
			TH_LOG("kernel: N=%u: %s", n, r->ctx.err);
		ASSERT_EQ(0, nest_count_live_ids(&r->ctx))
			TH_LOG("%s: N=%u: objects outlived the retry",
			       nest_blame_leak(&r->ctx), n);
		ASSERT_EQ(0, live_ids(r, 0, leaks, sizeof(leaks), &side))
			TH_LOG("%s: N=%u: object ids%s outlived the retry",
			       side, n, leaks);
		run_close(r);
	}
	ksft_print_msg("fail-nth: %u injection points, %u failed cleanly, %u absorbed; the run at N=%u passed %u untouched\n",
		       n - 1, failed, absorbed, n, calls);
	for (i = 0; i < NR_STEPS && steps[i].count; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 " %s x%u", steps[i].name, steps[i].count);
	ksft_print_msg("fail-nth: failed at:%s\n", line[0] ? line : " none");
	ASSERT_LE(MIN_POINTS, n - 1)
		TH_LOG("test: injection reached only %u points", n - 1);
}

TEST_HARNESS_MAIN
