// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd nesting path as a VMM drives it: an existing HWPT, else a new
 * container whose device is read before the vIOMMU is asked for its
 * flags, then a nesting-parent HWPT and the attach, then the host IOMMU
 * device (hiod) handed to the vIOMMU, then its stage-1.  Runs on the kernel's mock
 * IOMMU (CONFIG_IOMMUFD_TEST); without it every test SKIPs.  Failures
 * name the side that disagreed (nest_blame.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nest_kselftest.h"

#include "nest_engine.h"
#include "nest_trace.h"
#include "nest_ioctl_test.h"
#include "backend_mock.h"
#include "viommu_model.h"
#include "nest_blame.h"

#define TRACE_LEN	2048
#define NR_DEVS		3

/* ---- uAPI calls, independent of the engine under test ---- */

/*
 * GET_HW_INFO's caps and PASID width for a fresh mock device of
 * @dev_flags, asked without the engine, on an IOAS of its own.  Besides
 * DIRTY_TRACKING, newer kernels set bits of their own
 * (PCI_ATS_NOT_SUPPORTED: the mock is no PCI device).
 */
static int mock_info(int fd, uint32_t dev_flags, uint64_t *caps,
		     uint8_t *pasid_log2)
{
	uint32_t ioas, stdev, idev, hwpt;
	int err;

	err = nest_ioas_alloc(fd, &ioas);
	if (err)
		return err;
	err = nest_test_mock_domain_flags(fd, ioas, dev_flags, &stdev, &idev,
					  &hwpt);
	if (!err) {
		err = nest_get_hw_info_pasid(fd, idev, NULL, NULL, NULL, caps,
					     pasid_log2);
		nest_destroy(fd, stdev);
	}
	nest_destroy(fd, ioas);
	return err;
}

static int mock_caps(int fd, uint32_t dev_flags, uint64_t *caps)
{
	uint8_t pasid_log2;

	return mock_info(fd, dev_flags, caps, &pasid_log2);
}

/* The address bits of the mock's aperture, as the hiod must carry them. */
#define MOCK_AW_BITS	viommu_aw_bits_from_last(MOCK_APERTURE_LAST)

/* One SELFTEST invalidation entry; @done: how many the kernel took. */
static int invalidate_selftest(int fd, uint32_t hwpt_id, uint32_t flags,
			       uint32_t iotlb_id, uint32_t *done)
{
	struct iommu_hwpt_invalidate_selftest inv = {
		.flags = flags,
		.iotlb_id = iotlb_id,
	};

	*done = 1;
	return nest_hwpt_invalidate(fd, hwpt_id,
				    IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, &inv,
				    sizeof(inv), done);
}

/* ---- the mock fixture: one vIOMMU config x one mock device kind ---- */

FIXTURE(mock_nest) {
	int fd;
	struct viommu viommu;
	struct nest_ctx ctx;
	struct nest_dev *dev[NR_DEVS];
	char trace[TRACE_LEN];
	bool small_batches;	/* the kernel's pin batches were shrunk */
};

/*
 * Expectations are written out per config, not derived from the model:
 * @flags is what get_viommu_flags() must answer, @refusal a phrase the
 * set_iommu_device() refusal on the mock host must contain (NULL: it is
 * accepted), @stage1 whether the vIOMMU builds a SELFTEST nested HWPT.
 */
struct mock_expect {
	const char *config;
	uint64_t flags;
	const char *refusal;
	bool stage1;
	/* set_iommu_device() reads GET_HW_INFO itself (arm-smmuv3 accel) */
	bool rereads;
	/*
	 * each device has an address space of its own, so a container of
	 * its own (virtio-iommu: measured with two devices in one QEMU 11.1)
	 */
	bool own_as;
};

static const struct mock_expect cfg_none = { "none", 0, NULL, false, false, false };
static const struct mock_expect cfg_virtio = {
	"virtio-iommu", 0, NULL, false, false, true
};
static const struct mock_expect cfg_intel_flts_off = {
	"intel-iommu,caching-mode=on,scalable-mode=on,fsts=off", 0,
	"aw-bits 48 > host aw-bits 31", false, false, false
};
static const struct mock_expect cfg_intel_flts_on = {
	"intel-iommu,caching-mode=on,scalable-mode=on,fsts=on",
	VIOMMU_FLAG_WANT_NESTING_PARENT |
	VIOMMU_FLAG_WANT_NESTING_DIRTY_TRACKING,
	"aw-bits 48 > host aw-bits 31", false, false, false
};
static const struct mock_expect cfg_smmuv3_accel = {
	"arm-smmuv3,accel=on,ssidsize=20",
	VIOMMU_FLAG_WANT_NESTING_PARENT | VIOMMU_FLAG_PASID_SUPPORTED,
	"Wrong data type (-17973521) for Host SMMUv3 device info", false,
	true, false
};
static const struct mock_expect cfg_selftest_on = {
	"selftest-iommu,nesting=on", VIOMMU_FLAG_WANT_NESTING_PARENT, NULL,
	true, false, false
};
static const struct mock_expect cfg_selftest_off = {
	"selftest-iommu,nesting=off", 0, NULL, false, false, false
};
static const struct mock_expect cfg_selftest_dirty = {
	"selftest-iommu,nesting=on,dirty=on",
	VIOMMU_FLAG_WANT_NESTING_PARENT |
	VIOMMU_FLAG_WANT_NESTING_DIRTY_TRACKING, NULL, true, false, false
};
static const struct mock_expect cfg_selftest_pasid = {
	"selftest-iommu,nesting=on,pasid=on",
	VIOMMU_FLAG_WANT_NESTING_PARENT | VIOMMU_FLAG_WANT_PASID_ATTACH, NULL,
	true, false, false
};

FIXTURE_VARIANT(mock_nest) {
	const struct mock_expect *cfg;
	uint32_t dev_flags;
};

#define NO_DIRTY MOCK_FLAGS_DEVICE_NO_DIRTY

FIXTURE_VARIANT_ADD(mock_nest, none_dirty) { &cfg_none, 0 };
FIXTURE_VARIANT_ADD(mock_nest, none_no_dirty) { &cfg_none, NO_DIRTY };
FIXTURE_VARIANT_ADD(mock_nest, virtio_iommu_dirty) { &cfg_virtio, 0 };
FIXTURE_VARIANT_ADD(mock_nest, virtio_iommu_no_dirty) { &cfg_virtio, NO_DIRTY };
FIXTURE_VARIANT_ADD(mock_nest, intel_flts_off_dirty) {
	&cfg_intel_flts_off, 0
};
FIXTURE_VARIANT_ADD(mock_nest, intel_flts_off_no_dirty) {
	&cfg_intel_flts_off, NO_DIRTY
};
FIXTURE_VARIANT_ADD(mock_nest, intel_flts_on_dirty) {
	&cfg_intel_flts_on, 0
};
FIXTURE_VARIANT_ADD(mock_nest, intel_flts_on_no_dirty) {
	&cfg_intel_flts_on, NO_DIRTY
};
FIXTURE_VARIANT_ADD(mock_nest, smmuv3_accel_dirty) { &cfg_smmuv3_accel, 0 };
FIXTURE_VARIANT_ADD(mock_nest, smmuv3_accel_no_dirty) {
	&cfg_smmuv3_accel, NO_DIRTY
};
FIXTURE_VARIANT_ADD(mock_nest, selftest_nesting_on_dirty) {
	&cfg_selftest_on, 0
};
FIXTURE_VARIANT_ADD(mock_nest, selftest_nesting_on_no_dirty) {
	&cfg_selftest_on, NO_DIRTY
};
FIXTURE_VARIANT_ADD(mock_nest, selftest_nesting_off_dirty) {
	&cfg_selftest_off, 0
};
FIXTURE_VARIANT_ADD(mock_nest, selftest_nesting_off_no_dirty) {
	&cfg_selftest_off, NO_DIRTY
};
FIXTURE_VARIANT_ADD(mock_nest, selftest_nesting_dirty_dirty) {
	&cfg_selftest_dirty, 0
};
FIXTURE_VARIANT_ADD(mock_nest, selftest_nesting_dirty_no_dirty) {
	&cfg_selftest_dirty, NO_DIRTY
};
FIXTURE_VARIANT_ADD(mock_nest, selftest_nesting_pasid_dirty) {
	&cfg_selftest_pasid, 0
};

/* selftest.c's initial pin batch memory: no ioctl reads it back */
#define PIN_BATCH_DEFAULT	65536
/* the least it takes: one PFN and its count, a PFN per batch */
#define PIN_BATCH_LEAST		(sizeof(unsigned long) + sizeof(uint32_t))

static int set_pin_batch_limit(int fd, uint32_t bytes)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
		.memory_limit = { .limit = bytes },
	};

	return nest_test_cmd(fd, &cmd);
}

/* Does the mock page table of @hwpt_id map @iova.. to the pages at @va? */
static int parent_maps(int fd, uint32_t hwpt_id, uint64_t iova, void *va,
		       size_t len)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt_id,
		.check_map = { .iova = iova, .length = len, .uptr = (uintptr_t)va },
	};

	return nest_test_cmd(fd, &cmd);
}

/* Is each page at @va pinned @refs times?  -EIO when one is not. */
static int pinned(int fd, void *va, size_t len, uint32_t refs)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = len, .uptr = (uintptr_t)va, .refs = refs },
	};

	return nest_test_cmd(fd, &cmd);
}

FIXTURE_SETUP(mock_nest)
{
	struct viommu_config cfg;
	char err[VIOMMU_ERR_LEN];
	char name[16];
	int i, rc;

	self->fd = nest_mock_open(err, sizeof(err));
	if (self->fd < 0)
		SKIP(return, "%s", err);
	rc = viommu_config_parse(variant->cfg->config, &cfg, err, sizeof(err));
	ASSERT_EQ(0, rc) TH_LOG("model: %s", err);
	viommu_init(&self->viommu, &cfg);
	rc = nest_ctx_init(&self->ctx, self->fd, &self->viommu);
	ASSERT_EQ(0, rc) TH_LOG("kernel: %s", self->ctx.err);
	for (i = 0; i < NR_DEVS; i++) {
		snprintf(name, sizeof(name), "mock%d", i);
		self->dev[i] = nest_mock_dev_new(name, variant->dev_flags);
		ASSERT_NE(NULL, self->dev[i]) TH_LOG("test: out of memory");
	}
}

FIXTURE_TEARDOWN(mock_nest)
{
	if (self->small_batches)
		set_pin_batch_limit(self->fd, PIN_BATCH_DEFAULT);
	nest_vm_teardown(&self->ctx, self->dev, NR_DEVS);
	close(self->fd);
}

static bool dirty_dev(uint32_t dev_flags)
{
	return !(dev_flags & MOCK_FLAGS_DEVICE_NO_DIRTY);
}

/*
 * QEMU 11.1's rule: a nesting parent tracks dirty pages only with flag
 * bit 2.  No variant's mock device has PASIDs, so never ALLOC_PASID.
 */
static uint32_t expected_hwpt_flags(uint64_t viommu_flags, uint32_t dev_flags)
{
	bool nesting = viommu_flags & VIOMMU_FLAG_WANT_NESTING_PARENT;
	uint32_t flags = 0;

	if (nesting)
		flags |= IOMMU_HWPT_ALLOC_NEST_PARENT;
	if (dirty_dev(dev_flags) &&
	    (!nesting ||
	     (viommu_flags & VIOMMU_FLAG_WANT_NESTING_DIRTY_TRACKING)))
		flags |= IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	return flags;
}

/*
 * Attach dev[i]; assert it is accepted or refused as the variant says,
 * naming the side whose answer came first when it is not.
 */
#define attach_as_expected(i) do {					\
	unsigned int __mark = self->ctx.nr_events;			\
	int __rc = nest_attach_device(&self->ctx, self->dev[i]);	\
	const char *__side = nest_blame(&self->ctx, __mark);		\
	if (variant->cfg->refusal) {					\
		ASSERT_EQ(-EPERM, __rc)					\
			TH_LOG("%s: the refusal '%s' did not come: %s",	\
			       __rc ? __side : "model",			\
			       variant->cfg->refusal,			\
			       __rc ? self->ctx.err : "accepted");	\
		ASSERT_NE(NULL, strstr(self->ctx.err, variant->cfg->refusal)) \
			TH_LOG("model: refusal was: %s", self->ctx.err); \
	} else {							\
		ASSERT_EQ(0, __rc) TH_LOG("%s: %s", __side, self->ctx.err); \
	}								\
} while (0)

TEST_F(mock_nest, single_attach_trace)
{
	uint32_t hwpt_flags = expected_hwpt_flags(variant->cfg->flags, variant->dev_flags);
	char expect[TRACE_LEN];
	uint64_t caps;
	int n;

	ASSERT_EQ(0, mock_caps(self->fd, variant->dev_flags, &caps))
		TH_LOG("kernel: a mock device or its GET_HW_INFO failed");
	ASSERT_EQ(dirty_dev(variant->dev_flags),
		  !!(caps & IOMMU_HW_CAP_DIRTY_TRACKING))
		TH_LOG("kernel: caps 0x%llx for mock device flags 0x%x",
		       (unsigned long long)caps, variant->dev_flags);
	attach_as_expected(0);
	/* QEMU 11.1: the device is read, then the vIOMMU is asked */
	n = snprintf(expect, sizeof(expect),
		     "BIND(D1) IOAS_ALLOC=IOAS1 DEVICE_INFO(D1)=caps:0x%llx GET_FLAGS=0x%llx",
		     (unsigned long long)caps,
		     (unsigned long long)variant->cfg->flags);
	if (hwpt_flags & IOMMU_HWPT_ALLOC_NEST_PARENT)
		n += snprintf(expect + n, sizeof(expect) - n,
			      " HOST_QUIRKS(IOAS1)=0x0");
	n += snprintf(expect + n, sizeof(expect) - n,
		      " HWPT_ALLOC(0x%x)=H1 ATTACH(H1) IOVA_RANGES(IOAS1)=aw:%u HIOD_REALIZE(H1)=type:0xfeedbeef",
		      hwpt_flags, MOCK_AW_BITS);
	if (variant->cfg->rereads)
		n += snprintf(expect + n, sizeof(expect) - n,
			      " DEVICE_INFO(D1)=caps:0x%llx",
			      (unsigned long long)caps);
	if (variant->cfg->refusal)
		snprintf(expect + n, sizeof(expect) - n,
			 " SET_IOMMU_DEVICE(D1)=EPERM DETACH(H1) DESTROY(H1) DESTROY(IOAS1) UNBIND(D1)");
	else
		snprintf(expect + n, sizeof(expect) - n,
			 " SET_IOMMU_DEVICE(D1)=ok");
	ASSERT_EQ(0, nest_trace_format(&self->ctx, 0, self->trace,
				       sizeof(self->trace)))
		TH_LOG("engine: the trace does not print: %s", self->ctx.err);
	ASSERT_STREQ(expect, self->trace) TH_LOG("engine: trace differs");
}

TEST_F(mock_nest, nest_parent_iff_wanted)
{
	bool want = variant->cfg->flags & VIOMMU_FLAG_WANT_NESTING_PARENT;
	struct nest_dev *dev = self->dev[0];
	uint32_t nested = 0;
	int ev, rc;

	attach_as_expected(0);
	ev = nest_trace_find(&self->ctx, 0, NEST_EV_HWPT_ALLOC);
	ASSERT_LE(0, ev) TH_LOG("engine: no HWPT_ALLOC in the trace");
	ASSERT_EQ(want, !!(self->ctx.trace[ev].arg &
			   IOMMU_HWPT_ALLOC_NEST_PARENT))
		TH_LOG("engine: HWPT_ALLOC flags 0x%llx for vIOMMU flags 0x%llx",
		       (unsigned long long)self->ctx.trace[ev].arg,
		       (unsigned long long)variant->cfg->flags);
	if (variant->cfg->refusal)
		return;
	/* The kernel's view: only a nesting parent takes a nested child. */
	rc = _test_cmd_hwpt_alloc_nested(self->fd, dev->dev_id, dev->hwpt_id,
					 &nested);
	ASSERT_EQ(want ? 0 : -EINVAL, rc)
		TH_LOG("kernel: a nested HWPT on a %sparent answered %s",
		       want ? "" : "non-", nest_errno_name(-rc));
	if (!rc)
		test_cmd_destroy(self->fd, nested);
}

/*
 * DIRTY_TRACKING iff the host has the cap and, for a nesting parent,
 * the vIOMMU sets flag bit 2: dropped for nesting=on, kept for dirty=on.
 */
#define DIRTY_PAGES	8
/* the mock's IO page on 6.12 (half a 4K page); its DIRTY op counts in it */
#define MOCK_IO_PAGE	2048
#define DIRTY_IOVA	MOCK_APERTURE_START

/* The bitmap of DIRTY_PAGES 4K pages at DIRTY_IOVA, as the kernel reads it. */
static int read_dirty(int fd, uint32_t hwpt_id, uint32_t flags,
		      uint64_t *bits)
{
	*bits = 0;
	return nest_hwpt_get_dirty_bitmap(fd, hwpt_id, flags, DIRTY_IOVA,
					  DIRTY_PAGES * 4096ULL, 4096, bits);
}

/*
 * What migration reads from a HWPT that tracks: the pages the device
 * wrote (the mock's DIRTY op stands for the writes), each read clearing
 * them unless NO_CLEAR says to keep them.
 */
static void check_dirty_bits(struct __test_metadata *_metadata, int fd,
			     uint32_t ioas_id, uint32_t hwpt_id)
{
	/* 2K pages 2, 6 and 12 are 4K pages 1, 3 and 6 */
	uint64_t mock_bits = 1 << 2 | 1 << 6 | 1 << 12, wrote = 0x4a;
	uint64_t bits = 0, first = 0, iova = DIRTY_IOVA;
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DIRTY,
		.id = hwpt_id,
		.dirty = {
			.iova = DIRTY_IOVA,
			.length = DIRTY_PAGES * 4096ULL,
			.page_size = MOCK_IO_PAGE,
			.uptr = (uintptr_t)&mock_bits,
		},
	};
	size_t len = DIRTY_PAGES * 4096;
	void *buf;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf) TH_LOG("test: out of memory");
	ASSERT_EQ(0, nest_ioas_map(fd, ioas_id, IOMMU_IOAS_MAP_FIXED_IOVA |
				   IOMMU_IOAS_MAP_READABLE |
				   IOMMU_IOAS_MAP_WRITEABLE, buf, len, &iova))
		TH_LOG("kernel: mapping %zu bytes at 0x%llx", len,
		       (unsigned long long)iova);
	ASSERT_EQ(0, read_dirty(fd, hwpt_id, 0, &bits));
	EXPECT_EQ(0, bits) TH_LOG("kernel: dirty before any write: 0x%llx",
				  (unsigned long long)bits);
	ASSERT_EQ(0, nest_test_cmd(fd, &cmd)) TH_LOG("kernel: the DIRTY op");
	EXPECT_EQ(3, cmd.dirty.out_nr_dirty);
	/* every written page, and perhaps its neighbours in one IOPTE */
	ASSERT_EQ(0, read_dirty(fd, hwpt_id,
				IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, &first));
	EXPECT_EQ(wrote, first & wrote) TH_LOG("kernel: 0x%llx read for 0x%llx",
					       (unsigned long long)first,
					       (unsigned long long)wrote);
	ASSERT_EQ(0, read_dirty(fd, hwpt_id, 0, &bits));
	EXPECT_EQ(first, bits) TH_LOG("kernel: NO_CLEAR cleared: 0x%llx",
				      (unsigned long long)bits);
	ASSERT_EQ(0, read_dirty(fd, hwpt_id, 0, &bits));
	EXPECT_EQ(0, bits) TH_LOG("kernel: a read did not clear: 0x%llx",
				  (unsigned long long)bits);
	EXPECT_EQ(0, nest_ioas_unmap(fd, ioas_id, DIRTY_IOVA, len, NULL));
	munmap(buf, len);
}

TEST_F(mock_nest, dirty_tracking_iff_caps_and_flags)
{
	bool want = expected_hwpt_flags(variant->cfg->flags,
					variant->dev_flags) &
		    IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	struct nest_dev *dev = self->dev[0];
	uint32_t type = 0;
	uint64_t caps = 0;
	bool dirty;
	int ev, rc;

	attach_as_expected(0);
	ev = nest_trace_find(&self->ctx, 0, NEST_EV_HWPT_ALLOC);
	ASSERT_LE(0, ev) TH_LOG("engine: no HWPT_ALLOC in the trace");
	ASSERT_EQ(want, !!(self->ctx.trace[ev].arg &
			   IOMMU_HWPT_ALLOC_DIRTY_TRACKING))
		TH_LOG("engine: HWPT_ALLOC flags 0x%llx for vIOMMU flags 0x%llx",
		       (unsigned long long)self->ctx.trace[ev].arg,
		       (unsigned long long)variant->cfg->flags);
	if (variant->cfg->refusal)
		return;
	test_cmd_get_hw_info(self->fd, dev->dev_id, &type, &caps);
	ASSERT_EQ(dirty_dev(variant->dev_flags),
		  !!(caps & IOMMU_HW_CAP_DIRTY_TRACKING))
		TH_LOG("kernel: caps 0x%llx for mock device flags 0x%x",
		       (unsigned long long)caps, variant->dev_flags);
	dirty = want;
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, type)
		TH_LOG("kernel: hw_info type 0x%x", type);
	ASSERT_EQ(dirty, dev->dirty_tracking)
		TH_LOG("engine: the device's dirty tracking is not its HWPT's");
	ASSERT_EQ(dirty, !!(nest_find_hwpt(&self->ctx, dev->hwpt_id)->alloc_flags &
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING))
		TH_LOG("engine: HWPT flags not kept as allocated");
	/* The kernel's view: only a dirty-tracking HWPT can start tracking. */
	rc = nest_hwpt_set_dirty_tracking(self->fd, dev->hwpt_id,
					  IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	ASSERT_EQ(dirty ? 0 : -EOPNOTSUPP, rc)
		TH_LOG("kernel: SET_DIRTY_TRACKING answered %s",
		       nest_errno_name(-rc));
	if (dirty) {
		check_dirty_bits(_metadata, self->fd, self->ctx.ioas_id,
				 dev->hwpt_id);
		ASSERT_EQ(0, nest_hwpt_set_dirty_tracking(self->fd,
							  dev->hwpt_id, 0))
			TH_LOG("kernel: dirty tracking does not stop");
	}
}

/* How many times the vIOMMU was asked for its flags. */
static unsigned int count_flags_asked(const struct viommu *v)
{
	unsigned int i, n = 0;

	for (i = 0; i < v->nr_records; i++)
		n += v->log[i].event == VIOMMU_EV_GET_FLAGS;
	return n;
}

TEST_F(mock_nest, second_device_reuses_hwpt)
{
	unsigned int mark;

	attach_as_expected(0);
	ASSERT_EQ(1, count_flags_asked(&self->viommu))
		TH_LOG("engine: a new container asked the flags %u times",
		       count_flags_asked(&self->viommu));
	mark = self->ctx.nr_events;
	attach_as_expected(1);
	ASSERT_EQ(0, nest_trace_format(&self->ctx, mark, self->trace,
				       sizeof(self->trace)))
		TH_LOG("engine: the trace does not print: %s", self->ctx.err);
	if (variant->cfg->refusal) {
		/* the refused device's HWPT is gone: nothing to reuse */
		ASSERT_EQ(-1, nest_trace_find(&self->ctx, mark, NEST_EV_REUSE_TRY))
			TH_LOG("engine: reused a refused HWPT: %s", self->trace);
		ASSERT_EQ(0, self->ctx.nr_hwpts)
			TH_LOG("engine: a refused HWPT is still listed");
		return;
	}
	if (variant->cfg->own_as) {
		/* no other device's container: one of its own, flags asked */
		ASSERT_EQ(-1, nest_trace_find(&self->ctx, mark,
					      NEST_EV_REUSE_TRY))
			TH_LOG("engine: tried another address space's HWPT: %s",
			       self->trace);
		ASSERT_LE(0, nest_trace_find(&self->ctx, mark,
					     NEST_EV_IOAS_ALLOC))
			TH_LOG("engine: no container of its own: %s",
			       self->trace);
		ASSERT_EQ(2, count_flags_asked(&self->viommu));
		ASSERT_NE(self->dev[0]->hwpt_id, self->dev[1]->hwpt_id);
		ASSERT_EQ(2, self->ctx.nr_ioas) TH_LOG("engine: IOASes listed");
		return;
	}
	/* a reused HWPT: the vIOMMU's flags are not asked */
	ASSERT_STREQ("BIND(D1) REUSE_TRY(H1)=ok HIOD_REALIZE(H1)=type:0xfeedbeef SET_IOMMU_DEVICE(D1)=ok",
		     self->trace)
		TH_LOG("engine: trace differs");
	ASSERT_EQ(1, count_flags_asked(&self->viommu))
		TH_LOG("engine: the flags were asked on a reuse");
	ASSERT_EQ(self->dev[0]->hwpt_id, self->dev[1]->hwpt_id)
		TH_LOG("engine: the second device is on another HWPT");
	ASSERT_EQ(1, self->ctx.nr_hwpts) TH_LOG("engine: HWPTs listed");
	ASSERT_EQ(2, self->ctx.hwpts[0].users) TH_LOG("engine: HWPT users");
}

#ifdef NEST_HAVE_TEST_DMABUF
/* The mock's dma-buf of @len bytes: its fd, or -errno. */
static int dmabuf_get(int fd, uint32_t len)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DMABUF_GET,
		.dmabuf_get = { .length = len, .open_flags = O_RDWR | O_CLOEXEC },
	};

	return nest_test_cmd(fd, &cmd);
}

/* The exporter takes @dbfd back (@revoked 1) or gives it back (0). */
static int dmabuf_revoke(int fd, int dbfd, uint32_t revoked)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DMABUF_REVOKE,
		.dmabuf_revoke = { .dmabuf_fd = dbfd, .revoked = revoked },
	};

	return nest_test_cmd(fd, &cmd);
}

static int map_dmabuf(int fd, uint32_t ioas_id, int dbfd, uint64_t len,
		      uint64_t iova)
{
	struct iommu_ioas_map_file map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.fd = dbfd,
		.length = len,
		.iova = iova,
	};

	return nest_ioctl(fd, IOMMU_IOAS_MAP_FILE, &map);
}
#endif

/* where the mock's aperture starts, on every tree: RAM goes there */
#define MOCK_RAM_IPA		(1ULL << 24)
/* another device's BAR, in the guest's view, above its RAM */
#define BAR_IPA			(MOCK_RAM_IPA + (1ULL << 20))
#define BAR_SIZE		(2 * 4096)

/*
 * Another assigned device's BAR, which vfio-pci exports as a dma-buf,
 * mapped into the nesting parent for peer-to-peer DMA (the mock exports
 * plain memory instead).  Emulated devices cannot reach it; when the
 * exporter revokes it, new domains skip it and it cannot be mapped
 * again until given back, and its unmap still takes the whole range.
 */
TEST(p2p_dmabuf_in_the_nesting_parent)
{
#ifndef NEST_HAVE_TEST_DMABUF
	SKIP(return, "built against a tree whose mock exports no dma-buf (IOMMU_TEST_OP_DMABUF_GET)");
#else
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_CREATE_ACCESS };
	uint32_t stdev[2] = { 0 }, idev, hwpt;
	char err[VIOMMU_ERR_LEN];
	struct viommu_config cfg;
	struct viommu viommu;
	struct nest_ctx ctx;
	struct nest_dev *dev;
	uint64_t unmapped;
	uint8_t byte[8];
	int fd, dbfd, i;

	fd = nest_mock_open(err, sizeof(err));
	if (fd < 0)
		SKIP(return, "%s", err);
	ASSERT_EQ(0, viommu_config_parse("selftest-iommu,nesting=on", &cfg,
					 err, sizeof(err)));
	viommu_init(&viommu, &cfg);
	nest_ctx_init(&ctx, fd, &viommu);
	ctx.guest_ram = 4 * 4096;
	ctx.ram_ipa = MOCK_RAM_IPA;
	dev = nest_mock_dev_new("mock0", 0);
	ASSERT_NE(NULL, dev);
	ASSERT_EQ(0, nest_attach_device(&ctx, dev)) TH_LOG("%s", ctx.err);

	dbfd = dmabuf_get(fd, BAR_SIZE);
	if (dbfd == -EOPNOTSUPP) {
		nest_vm_teardown(&ctx, &dev, 1);
		close(fd);
		SKIP(return, "kernel: the mock exports no dma-buf (EOPNOTSUPP)");
	}
	ASSERT_LE(0, dbfd) TH_LOG("kernel: a dma-buf: %s", nest_errno_name(-dbfd));
	EXPECT_EQ(-EINVAL, dmabuf_get(fd, 0))
		TH_LOG("kernel: a dma-buf of no bytes");
	EXPECT_EQ(-EINVAL, map_dmabuf(fd, ctx.ioas_id, dbfd, BAR_SIZE + 4096,
				      BAR_IPA))
		TH_LOG("kernel: a map past the dma-buf's end");
	ASSERT_EQ(0, map_dmabuf(fd, ctx.ioas_id, dbfd, BAR_SIZE, BAR_IPA))
		TH_LOG("kernel: the BAR into the parent's IOAS");

	/* an emulated device: CPU copies of P2P memory are refused */
	cmd.id = ctx.ioas_id;
	ASSERT_EQ(0, nest_test_cmd(fd, &cmd));
	i = cmd.create_access.out_access_fd;
	EXPECT_EQ(-EINVAL, nest_test_access_rw(fd, i, BAR_IPA, byte,
					       sizeof(byte), 0))
		TH_LOG("kernel: an emulated device read P2P memory");
	close(i);

	/* a domain made now maps it; the exporter takes it back */
	ASSERT_EQ(0, nest_test_mock_domain_flags(fd, ctx.ioas_id, 0, &stdev[0],
						 &idev, &hwpt));
	EXPECT_EQ(-EINVAL, dmabuf_revoke(fd, fd, 1))
		TH_LOG("kernel: revoking what is no dma-buf");
	ASSERT_EQ(0, dmabuf_revoke(fd, dbfd, 1));
	EXPECT_EQ(-ENODEV, map_dmabuf(fd, ctx.ioas_id, dbfd, BAR_SIZE,
				      BAR_IPA + BAR_SIZE))
		TH_LOG("kernel: a revoked dma-buf mapped again");
	EXPECT_EQ(0, nest_test_mock_domain_flags(fd, ctx.ioas_id, 0, &stdev[1],
						 &idev, &hwpt))
		TH_LOG("kernel: a new domain beside a revoked BAR");
	EXPECT_EQ(0, nest_ioas_unmap(fd, ctx.ioas_id, BAR_IPA, BAR_SIZE,
				     &unmapped));
	EXPECT_EQ(BAR_SIZE, unmapped) TH_LOG("kernel: a revoked BAR's unmap");

	/* given back, it maps again */
	ASSERT_EQ(0, dmabuf_revoke(fd, dbfd, 0));
	EXPECT_EQ(0, map_dmabuf(fd, ctx.ioas_id, dbfd, BAR_SIZE, BAR_IPA))
		TH_LOG("kernel: a dma-buf given back");
	EXPECT_EQ(0, nest_ioas_unmap(fd, ctx.ioas_id, BAR_IPA, BAR_SIZE, NULL));
	close(dbfd);
	for (i = 1; i >= 0; i--)
		if (stdev[i])
			EXPECT_EQ(0, nest_destroy(fd, stdev[i]));
	nest_vm_teardown(&ctx, &dev, 1);
	close(fd);
#endif
}

/*
 * The VM's RAM, mapped by the engine at its IPA, is what the nesting
 * parent's page table points at, pinned once however many devices share
 * it, even when the kernel pins it a PFN at a time, and when an emulated
 * device pins it too; a refused device leaves nothing pinned.
 */
TEST_F(mock_nest, guest_ram_mapped_and_pinned_once)
{
	const size_t ram = 16 * 4096;
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.create_access = {
			.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
		},
	};
	uint32_t afd;

	self->ctx.guest_ram = ram;
	self->ctx.ram_ipa = MOCK_RAM_IPA;
	EXPECT_EQ(-EINVAL, set_pin_batch_limit(self->fd, PIN_BATCH_LEAST - 1))
		TH_LOG("kernel: a pin batch smaller than one PFN");
	ASSERT_EQ(0, set_pin_batch_limit(self->fd, PIN_BATCH_LEAST));
	self->small_batches = true;
	attach_as_expected(0);
	if (variant->cfg->refusal) {
		ASSERT_NE(NULL, self->ctx.ram) TH_LOG("engine: no RAM was mapped");
		EXPECT_EQ(0, pinned(self->fd, self->ctx.ram, ram, 0))
			TH_LOG("engine: a refused device left guest RAM pinned");
		return;
	}
	attach_as_expected(1);
	if (variant->cfg->own_as) {
		/* two containers, each mapping the RAM: pinned by each */
		ASSERT_NE(self->dev[0]->hwpt_id, self->dev[1]->hwpt_id);
		EXPECT_EQ(0, parent_maps(self->fd, self->dev[1]->hwpt_id,
					 MOCK_RAM_IPA, self->ctx.ram, ram))
			TH_LOG("kernel: the RAM's IPAs do not reach the VM's RAM");
		EXPECT_EQ(0, pinned(self->fd, self->ctx.ram, ram, 2))
			TH_LOG("kernel: two devices, two IOASes: RAM not pinned by each");
		return;
	}
	ASSERT_EQ(self->dev[0]->hwpt_id, self->dev[1]->hwpt_id);
	EXPECT_EQ(0, parent_maps(self->fd, self->dev[0]->hwpt_id, MOCK_RAM_IPA,
				 self->ctx.ram, ram))
		TH_LOG("kernel: the RAM's IPAs do not reach the VM's RAM");
	EXPECT_EQ(0, pinned(self->fd, self->ctx.ram, ram, 1))
		TH_LOG("kernel: two devices, one IOAS: RAM not pinned once");

	/* an emulated device stands on an IOAS, not on a HWPT */
	cmd.id = self->dev[0]->hwpt_id;
	EXPECT_EQ(-ENOENT, nest_test_cmd(self->fd, &cmd))
		TH_LOG("kernel: an access on a HWPT");
	cmd.id = self->ctx.ioas_id;
	ASSERT_EQ(0, nest_test_cmd(self->fd, &cmd));
	afd = cmd.create_access.out_access_fd;
	memset(&cmd, 0, sizeof(cmd));
	cmd.op = IOMMU_TEST_OP_ACCESS_PAGES;
	cmd.id = afd;
	cmd.access_pages.iova = MOCK_RAM_IPA;
	cmd.access_pages.length = ram;
	cmd.access_pages.uptr = (uintptr_t)self->ctx.ram;
	ASSERT_EQ(0, nest_test_cmd(self->fd, &cmd))
		TH_LOG("kernel: an emulated device pins the RAM");
	EXPECT_EQ(0, pinned(self->fd, self->ctx.ram, ram, 1))
		TH_LOG("kernel: an emulated device pinned the RAM again");
	cmd.destroy_access_pages.access_pages_id =
		cmd.access_pages.out_access_pages_id;
	cmd.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES;
	ASSERT_EQ(0, nest_test_cmd(self->fd, &cmd))
		TH_LOG("kernel: the emulated device lets go");
	EXPECT_EQ(0, pinned(self->fd, self->ctx.ram, ram, 1));
	/* what it pins is the RAM: other memory at its VA does not match */
	cmd.op = IOMMU_TEST_OP_ACCESS_PAGES;
	cmd.access_pages.flags = 0;
	cmd.access_pages.length = 4096;
	cmd.access_pages.uptr = (uintptr_t)self->ctx.ram + 4096;
	EXPECT_EQ(-EBADE, nest_test_cmd(self->fd, &cmd))
		TH_LOG("kernel: IPA 0 of the RAM pinned another page");
	/* past the RAM nothing is mapped */
	cmd.access_pages.iova = MOCK_RAM_IPA + ram;
	cmd.access_pages.uptr = 0;
	EXPECT_EQ(-ENOENT, nest_test_cmd(self->fd, &cmd))
		TH_LOG("kernel: an emulated device pinned past the RAM");
	close(afd);

	EXPECT_EQ(0, _test_cmd_ioas_unmap(self->fd, self->ctx.ioas_id,
					  MOCK_RAM_IPA, ram));
	EXPECT_NE(0, parent_maps(self->fd, self->dev[0]->hwpt_id, MOCK_RAM_IPA,
				 self->ctx.ram, ram))
		TH_LOG("kernel: the parent still maps unmapped RAM");
	EXPECT_EQ(0, pinned(self->fd, self->ctx.ram, ram, 0))
		TH_LOG("kernel: unmapped RAM is still pinned");
}

TEST_F(mock_nest, other_device_kind_after_einval)
{
	uint32_t other = variant->dev_flags ^ MOCK_FLAGS_DEVICE_NO_DIRTY;
	struct nest_dev *odev;
	unsigned int mark;
	int ev;

	if (variant->cfg->refusal)
		SKIP(return, "refused on the mock host: %s", variant->cfg->refusal);
	attach_as_expected(0);
	odev = nest_mock_dev_new("other", other);
	ASSERT_NE(NULL, odev) TH_LOG("test: out of memory");
	nest_dev_free(self->dev[2]);
	self->dev[2] = odev;
	mark = self->ctx.nr_events;
	ASSERT_EQ(0, nest_attach_device(&self->ctx, odev))
		TH_LOG("%s: %s", nest_blame(&self->ctx, mark), self->ctx.err);
	ev = nest_trace_find(&self->ctx, mark, NEST_EV_REUSE_TRY);
	if (variant->cfg->own_as) {
		/* another address space: no HWPT of the first is tried */
		ASSERT_EQ(-1, ev) TH_LOG("engine: tried another address space's HWPT");
		ASSERT_EQ(2, self->ctx.nr_ioas) TH_LOG("engine: IOASes listed");
		ASSERT_NE(self->dev[0]->hwpt_id, odev->hwpt_id);
		return;
	}
	ASSERT_LE(0, ev) TH_LOG("engine: no REUSE_TRY in the trace");
	if (self->dev[0]->dirty_tracking) {
		/* a no-dirty device cannot join a dirty-tracking domain */
		ASSERT_EQ(EINVAL, self->ctx.trace[ev].err)
			TH_LOG("kernel: attaching a no-dirty device to a dirty HWPT answered %s",
			       nest_errno_name(self->ctx.trace[ev].err));
		ASSERT_LE(0, nest_trace_find(&self->ctx, ev, NEST_EV_HWPT_ALLOC))
			TH_LOG("engine: no fresh HWPT after EINVAL");
		ASSERT_EQ(2, self->ctx.nr_hwpts) TH_LOG("engine: HWPTs listed");
		/* EINVAL is no container failure: the new HWPT joins it */
		ASSERT_EQ(-1, nest_trace_find(&self->ctx, mark,
					      NEST_EV_IOAS_ALLOC))
			TH_LOG("engine: a new IOAS after EINVAL");
		ASSERT_EQ(1, self->ctx.nr_ioas) TH_LOG("engine: IOASes listed");
		ASSERT_NE(self->dev[0]->hwpt_id, odev->hwpt_id)
			TH_LOG("engine: both devices on one HWPT");
		ASSERT_FALSE(odev->dirty_tracking)
			TH_LOG("engine: tracking on a no-dirty device");
	} else {
		/* a dirty-capable device joins, and tracking follows the HWPT */
		ASSERT_EQ(0, self->ctx.trace[ev].err)
			TH_LOG("kernel: reusing the no-dirty HWPT answered %s",
			       nest_errno_name(self->ctx.trace[ev].err));
		ASSERT_EQ(-1, nest_trace_find(&self->ctx, ev, NEST_EV_HWPT_ALLOC))
			TH_LOG("engine: a fresh HWPT after a reuse");
		ASSERT_EQ(1, self->ctx.nr_hwpts) TH_LOG("engine: HWPTs listed");
		ASSERT_EQ(self->dev[0]->hwpt_id, odev->hwpt_id)
			TH_LOG("engine: the devices are on two HWPTs");
		ASSERT_FALSE(odev->dirty_tracking)
			TH_LOG("engine: tracking on a no-dirty HWPT");
	}
}

TEST_F(mock_nest, nested_hwpt_replace)
{
	struct nest_dev *dev = self->dev[0];
	unsigned int mark;
	uint32_t nested;

	if (variant->cfg->refusal)
		SKIP(return, "refused on the mock host: %s", variant->cfg->refusal);
	attach_as_expected(0);
	mark = self->ctx.nr_events;
	if (!variant->cfg->stage1) {
		ASSERT_EQ(-EOPNOTSUPP, nest_enable_stage1(&self->ctx, dev, 0))
			TH_LOG("engine: a stage-1 for %s: %s",
			       variant->cfg->config, self->ctx.err);
		ASSERT_EQ(mark, self->ctx.nr_events)
			TH_LOG("engine: a refused stage-1 left events");
		return;
	}
	ASSERT_EQ(0, nest_enable_stage1(&self->ctx, dev, 0))
		TH_LOG("%s: %s", nest_blame(&self->ctx, mark), self->ctx.err);
	ASSERT_EQ(0, nest_trace_format(&self->ctx, mark, self->trace,
				       sizeof(self->trace)))
		TH_LOG("engine: the trace does not print: %s", self->ctx.err);
	ASSERT_STREQ("NESTED_ALLOC(H1)=H2 ATTACH(H2)", self->trace)
		TH_LOG("engine: trace differs");
	ASSERT_EQ(dev->hiod.hwpt_id, self->ctx.trace[mark].id)
		TH_LOG("engine: the stage-1 is not on the hiod's HWPT");
	nested = dev->nested_id;
	ASSERT_NE(0, nested) TH_LOG("engine: no nested id kept");
	/* a fresh SELFTEST nested domain holds the default IOTLB value */
	test_cmd_md_check_iotlb(self->fd, nested, 0, IOMMU_TEST_IOTLB_DEFAULT);
	/* nested-on-nested is not a thing */
	test_err_hwpt_alloc_nested(EINVAL, self->fd, dev->dev_id, nested,
				   &nested);
}

TEST_F(mock_nest, iotlb_invalidation)
{
	uint32_t nested, done, i;
	unsigned int mark;
	int rc;

	if (variant->cfg->refusal)
		SKIP(return, "refused on the mock host: %s", variant->cfg->refusal);
	if (!variant->cfg->stage1)
		SKIP(return, "%s builds no stage-1", variant->cfg->config);
	attach_as_expected(0);
	mark = self->ctx.nr_events;
	ASSERT_EQ(0, nest_enable_stage1(&self->ctx, self->dev[0], 0))
		TH_LOG("%s: %s", nest_blame(&self->ctx, mark), self->ctx.err);
	nested = self->dev[0]->nested_id;
	for (i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		test_cmd_md_check_iotlb(self->fd, nested, i,
					IOMMU_TEST_IOTLB_DEFAULT);
	rc = invalidate_selftest(self->fd, nested, 0, 1, &done);
	ASSERT_EQ(0, rc) TH_LOG("kernel: invalidating IOTLB 1 answered %s",
				nest_errno_name(-rc));
	ASSERT_EQ(1, done) TH_LOG("kernel: %u entries handled", done);
	for (i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		test_cmd_md_check_iotlb(self->fd, nested, i,
					i == 1 ? 0 : IOMMU_TEST_IOTLB_DEFAULT);
	rc = invalidate_selftest(self->fd, nested,
				 IOMMU_TEST_INVALIDATE_FLAG_ALL, 0, &done);
	ASSERT_EQ(0, rc) TH_LOG("kernel: invalidating all answered %s",
				nest_errno_name(-rc));
	for (i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		test_cmd_md_check_iotlb(self->fd, nested, i, 0);
	/* the parent is not a stage-1: it takes no SELFTEST invalidation */
	ASSERT_NE(0, invalidate_selftest(self->fd, self->dev[0]->hwpt_id, 0, 0,
					 &done))
		TH_LOG("kernel: the parent took a SELFTEST invalidation");
}

TEST_F(mock_nest, destroy_busy)
{
	struct nest_dev *dev = self->dev[0];
	uint32_t parent, nested;
	unsigned int mark;

	if (variant->cfg->refusal)
		SKIP(return, "refused on the mock host: %s", variant->cfg->refusal);
	attach_as_expected(0);
	/* an attached HWPT cannot go */
	test_err_destroy(EBUSY, self->fd, dev->hwpt_id);
	if (!variant->cfg->stage1)
		return;
	mark = self->ctx.nr_events;
	ASSERT_EQ(0, nest_enable_stage1(&self->ctx, dev, 0))
		TH_LOG("%s: %s", nest_blame(&self->ctx, mark), self->ctx.err);
	/* the device left the parent for the nested HWPT: only it holds it */
	test_err_destroy(EBUSY, self->fd, dev->hwpt_id);
	test_err_destroy(EBUSY, self->fd, dev->nested_id);
	parent = dev->hwpt_id;
	nested = dev->nested_id;
	mark = self->ctx.nr_events;
	ASSERT_EQ(0, nest_detach_device(&self->ctx, dev))
		TH_LOG("%s: %s", nest_blame(&self->ctx, mark), self->ctx.err);
	test_err_destroy(ENOENT, self->fd, nested);
	test_err_destroy(ENOENT, self->fd, parent);
}

/* Is @id an object of @fd?  IOMMU_DESTROY on an attached one is EBUSY. */
static bool hwpt_busy(int fd, uint32_t id)
{
	return nest_destroy(fd, id) == -EBUSY;
}

TEST_F(mock_nest, reverse_teardown_leaves_nothing)
{
	uint32_t made[2 * NR_DEVS];
	unsigned int i, mark, nr_made = 0;
	const char *expect;
	int ev;

	attach_as_expected(0);
	attach_as_expected(1);
	mark = self->ctx.nr_events;
	if (variant->cfg->stage1)
		ASSERT_EQ(0, nest_enable_stage1(&self->ctx, self->dev[1], 0))
			TH_LOG("%s: %s", nest_blame(&self->ctx, mark),
			       self->ctx.err);
	/*
	 * Something must have been made for "nothing left" to mean
	 * anything: the HWPTs the attaches allocated.  A refused attach
	 * made one too, and its rollback is then what is checked.
	 */
	for (ev = nest_trace_find(&self->ctx, 0, NEST_EV_HWPT_ALLOC); ev >= 0;
	     ev = nest_trace_find(&self->ctx, ev + 1, NEST_EV_HWPT_ALLOC)) {
		ASSERT_EQ(0, self->ctx.trace[ev].err)
			TH_LOG("kernel: HWPT_ALLOC answered %s",
			       nest_errno_name(self->ctx.trace[ev].err));
		ASSERT_GT(ARRAY_SIZE(made), nr_made)
			TH_LOG("engine: more HWPTs than attaches");
		made[nr_made++] = self->ctx.trace[ev].new_id;
	}
	ASSERT_LT(0, nr_made) TH_LOG("engine: the attaches allocated no HWPT");
	if (variant->cfg->refusal) {
		ASSERT_EQ(0, self->ctx.nr_hwpts)
			TH_LOG("engine: a refused HWPT is still listed");
		ASSERT_LE(0, nest_trace_find(&self->ctx, 0, NEST_EV_DESTROY))
			TH_LOG("engine: the refused attach destroyed nothing");
	} else {
		/* one HWPT, or one per device in their own address spaces */
		ASSERT_EQ(variant->cfg->own_as ? 2 : 1, self->ctx.nr_hwpts)
			TH_LOG("engine: HWPTs listed");
		for (i = 0; i < 2; i++) {
			struct nest_dev *dev = self->dev[i];

			ASSERT_TRUE(dev->bound && dev->hiod_set)
				TH_LOG("engine: device %u not bound and set", i);
			ASSERT_EQ(self->ctx.hwpts[variant->cfg->own_as ? i : 0].id,
				  dev->hwpt_id)
				TH_LOG("engine: device %u on another HWPT", i);
			test_cmd_get_hw_info(self->fd, dev->dev_id, NULL, NULL);
			made[nr_made++] = dev->dev_id;
		}
		ASSERT_TRUE(hwpt_busy(self->fd, self->dev[0]->hwpt_id))
			TH_LOG("kernel: the attached HWPT is not busy");
		if (variant->cfg->stage1) {
			ASSERT_NE(0, self->dev[1]->nested_id)
				TH_LOG("engine: no nested id kept");
			ASSERT_TRUE(hwpt_busy(self->fd, self->dev[1]->nested_id))
				TH_LOG("kernel: the attached stage-1 is not busy");
			made[nr_made++] = self->dev[1]->nested_id;
		}
	}
	mark = self->ctx.nr_events;
	ASSERT_EQ(0, nest_detach_device(&self->ctx, self->dev[0]))
		TH_LOG("%s: %s", nest_blame(&self->ctx, mark), self->ctx.err);
	mark = self->ctx.nr_events;
	ASSERT_EQ(0, nest_detach_device(&self->ctx, self->dev[1]))
		TH_LOG("%s: %s", nest_blame(&self->ctx, mark), self->ctx.err);
	ASSERT_EQ(0, nest_trace_format(&self->ctx, mark, self->trace,
				       sizeof(self->trace)))
		TH_LOG("engine: the trace does not print: %s", self->ctx.err);
	if (variant->cfg->refusal)
		expect = "";
	else if (variant->cfg->stage1)
		expect = "UNSET_IOMMU_DEVICE(D1) DETACH(H1) DESTROY(H1) DESTROY(H2) DESTROY(IOAS1) UNBIND(D1)";
	else
		expect = "UNSET_IOMMU_DEVICE(D1) DETACH(H1) DESTROY(H1) DESTROY(IOAS1) UNBIND(D1)";
	ASSERT_STREQ(expect, self->trace) TH_LOG("engine: trace differs");
	ASSERT_EQ(0, self->ctx.nr_hwpts) TH_LOG("engine: HWPTs still listed");
	/* the container went with its last HWPT */
	ASSERT_EQ(0, self->ctx.nr_ioas) TH_LOG("engine: IOASes still listed");
	ASSERT_EQ(0, nest_ctx_fini(&self->ctx))
		TH_LOG("kernel: destroying the IOAS: %s", self->ctx.err);
	ASSERT_LE(3, self->ctx.nr_ids) TH_LOG("engine: too few ids noted");
	for (i = 0; i < self->ctx.nr_ids; i++)
		EXPECT_EQ(-ENOENT, nest_destroy(self->fd, self->ctx.ids[i]))
			TH_LOG("%s: object %u outlived the teardown",
			       nest_blame_leak(&self->ctx), self->ctx.ids[i]);
	for (i = 0; i < nr_made; i++)
		EXPECT_EQ(-ENOENT, nest_destroy(self->fd, made[i]))
			TH_LOG("%s: object %u, made by the attaches, outlived the teardown",
			       nest_blame_leak(&self->ctx), made[i]);
}

TEST_F(mock_nest, flags_unchanged_by_set_iommu_device)
{
	uint64_t before = viommu_get_flags(&self->viommu);

	ASSERT_EQ(variant->cfg->flags, before)
		TH_LOG("model: flags 0x%llx for %s", (unsigned long long)before,
		       variant->cfg->config);
	attach_as_expected(0);
	ASSERT_EQ(before, viommu_get_flags(&self->viommu))
		TH_LOG("model: flags changed by set_iommu_device()");
	ASSERT_EQ(variant->cfg->refusal ? 0 : 1, self->viommu.nr_hiods)
		TH_LOG("model: %u host IOMMU devices held",
		       self->viommu.nr_hiods);
}

/*
 * QEMU 11.1 asks the flags only for a new HWPT, after IOMMU_GET_HW_INFO,
 * and the host quirks after the flags and before the HWPT allocation.
 * The flags still never depend on host information.
 */
TEST_F(mock_nest, flags_asked_after_device_info)
{
	const struct viommu_record *log = self->viommu.log;
	int info, flags, quirks, alloc;

	attach_as_expected(0);
	info = nest_trace_find(&self->ctx, 0, NEST_EV_DEVICE_INFO);
	flags = nest_trace_find(&self->ctx, 0, NEST_EV_GET_FLAGS);
	quirks = nest_trace_find(&self->ctx, 0, NEST_EV_HOST_QUIRKS);
	alloc = nest_trace_find(&self->ctx, 0, NEST_EV_HWPT_ALLOC);
	ASSERT_LE(0, info) TH_LOG("engine: no DEVICE_INFO");
	ASSERT_LT(info, flags) TH_LOG("engine: GET_FLAGS before DEVICE_INFO");
	ASSERT_LT(flags, alloc) TH_LOG("engine: HWPT_ALLOC before GET_FLAGS");
	if (variant->cfg->flags & VIOMMU_FLAG_WANT_NESTING_PARENT) {
		ASSERT_LT(flags, quirks)
			TH_LOG("engine: HOST_QUIRKS before GET_FLAGS");
		ASSERT_LT(quirks, alloc)
			TH_LOG("engine: HOST_QUIRKS after HWPT_ALLOC");
	} else {
		ASSERT_EQ(-1, quirks)
			TH_LOG("engine: quirks asked with no nesting wanted");
	}
	ASSERT_LT(nest_trace_find(&self->ctx, 0, NEST_EV_ATTACH),
		  nest_trace_find(&self->ctx, 0, NEST_EV_HIOD_REALIZE))
		TH_LOG("engine: HIOD_REALIZE before ATTACH");

	ASSERT_LE(2, self->viommu.nr_records)
		TH_LOG("engine: the vIOMMU was asked %u times",
		       self->viommu.nr_records);
	ASSERT_EQ(VIOMMU_EV_GET_FLAGS, log[0].event)
		TH_LOG("engine: the flags were not the vIOMMU's first question");
	ASSERT_FALSE(log[0].host_info_known)
		TH_LOG("model: the flags were answered with host information");
	ASSERT_EQ(VIOMMU_EV_SET_IOMMU_DEVICE,
		  log[self->viommu.nr_records - 1].event)
		TH_LOG("engine: set_iommu_device() was not the last call");
	ASSERT_TRUE(log[self->viommu.nr_records - 1].host_info_known)
		TH_LOG("model: set_iommu_device() did not record the host");
	ASSERT_EQ(variant->cfg->refusal ? 0 : 1,
		  log[self->viommu.nr_records - 1].answer)
		TH_LOG("model: set_iommu_device() answered %llu",
		       (unsigned long long)log[self->viommu.nr_records - 1].answer);
}

/* ---- engine error paths, with a backend that fails on demand ---- */

struct faulty_priv {
	struct nest_dev_ops ops;
	const struct nest_dev_ops *real;
	int fail_attach_nr;	/* fail the Nth attach (1-based) */
	int fail_errno;
	int attaches;
};

static int faulty_attach(struct nest_ctx *ctx, struct nest_dev *dev,
			 uint32_t pt_id)
{
	struct faulty_priv *f = container_of(dev->ops, struct faulty_priv, ops);

	if (++f->attaches == f->fail_attach_nr)
		return f->fail_errno;
	return f->real->attach(ctx, dev, pt_id);
}

static void make_faulty(struct nest_dev *dev, struct faulty_priv *f,
			int nth, int err)
{
	f->real = dev->ops;
	f->ops = *dev->ops;
	f->ops.attach = faulty_attach;
	f->fail_attach_nr = nth;
	f->fail_errno = -err;
	dev->ops = &f->ops;
}

#define NR_FAULT_DEVS	3

FIXTURE(engine_faults) {
	int fd;
	struct viommu viommu;
	struct nest_ctx ctx;
	struct nest_dev *dev[NR_FAULT_DEVS];
	struct faulty_priv faulty[NR_FAULT_DEVS];
	char trace[TRACE_LEN];
};

FIXTURE_SETUP(engine_faults)
{
	struct viommu_config cfg;
	char err[VIOMMU_ERR_LEN], name[16];
	int i;

	self->fd = nest_mock_open(err, sizeof(err));
	if (self->fd < 0)
		SKIP(return, "%s", err);
	ASSERT_EQ(0, viommu_config_parse("selftest-iommu,nesting=on", &cfg,
					 err, sizeof(err)))
		TH_LOG("model: %s", err);
	viommu_init(&self->viommu, &cfg);
	ASSERT_EQ(0, nest_ctx_init(&self->ctx, self->fd, &self->viommu))
		TH_LOG("kernel: %s", self->ctx.err);
	for (i = 0; i < NR_FAULT_DEVS; i++) {
		snprintf(name, sizeof(name), "mock%d", i);
		self->dev[i] = nest_mock_dev_new(name, 0);
		ASSERT_NE(NULL, self->dev[i]) TH_LOG("test: out of memory");
	}
}

FIXTURE_TEARDOWN(engine_faults)
{
	int i;

	for (i = NR_FAULT_DEVS - 1; i >= 0; i--) {
		if (!self->dev[i])
			continue;
		nest_detach_device(&self->ctx, self->dev[i]);
		/* restore the real ops so free() frees the mock's state */
		if (self->dev[i]->ops == &self->faulty[i].ops)
			self->dev[i]->ops = self->faulty[i].real;
		nest_dev_free(self->dev[i]);
	}
	nest_ctx_fini(&self->ctx);
	close(self->fd);
}

#define FAULTY(i, nth, err) make_faulty(self->dev[i], &self->faulty[i], nth, err)

/*
 * The trace as expected, printf-style.  The faults are injected, so a
 * trace that differs is the engine's.
 */
#define EXPECT_TRACE(...) do {						\
	char __want[TRACE_LEN];						\
	snprintf(__want, sizeof(__want), __VA_ARGS__);			\
	ASSERT_STREQ(__want, self->trace) TH_LOG("engine: trace differs"); \
} while (0)

/* "caps:0x..." as the trace prints a plain mock device's caps */
#define PLAIN_CAPS(caps) do {						\
	int __rc = mock_caps(self->fd, 0, &(caps));			\
	ASSERT_EQ(0, __rc)						\
		TH_LOG("kernel: a mock device or its GET_HW_INFO failed"); \
} while (0)

#define FORMAT_FROM(mark) do {						\
	int __rc = nest_trace_format(&self->ctx, mark, self->trace,	\
				     sizeof(self->trace));		\
	ASSERT_EQ(0, __rc)						\
		TH_LOG("engine: the trace does not print: %s", self->ctx.err); \
} while (0)

TEST_F(engine_faults, fresh_hwpt_destroyed_when_attach_fails)
{
	uint64_t caps;

	PLAIN_CAPS(caps);
	FAULTY(0, 1, EIO);
	ASSERT_EQ(-EIO, nest_attach_device(&self->ctx, self->dev[0]))
		TH_LOG("engine: %s", self->ctx.err);
	ASSERT_NE(NULL, strstr(self->ctx.err, "attach to new HWPT"))
		TH_LOG("engine: %s", self->ctx.err);
	FORMAT_FROM(0);
	EXPECT_TRACE("BIND(D1) IOAS_ALLOC=IOAS1 DEVICE_INFO(D1)=caps:0x%llx GET_FLAGS=0x1 HOST_QUIRKS(IOAS1)=0x0 HWPT_ALLOC(0x1)=H1 ATTACH(H1)=EIO DESTROY(H1) DESTROY(IOAS1) UNBIND(D1)",
		     (unsigned long long)caps);
	ASSERT_EQ(0, self->ctx.nr_hwpts) TH_LOG("engine: HWPTs still listed");
	ASSERT_EQ(0, self->ctx.nr_ioas) TH_LOG("engine: IOASes still listed");
	ASSERT_EQ(0, self->viommu.nr_hiods)
		TH_LOG("engine: the vIOMMU holds a host IOMMU device");
	/* the fresh IOAS went with the fresh HWPT: nothing is left */
	ASSERT_EQ(0, nest_count_live_ids(&self->ctx))
		TH_LOG("%s: objects outlived the failed attach",
		       nest_blame_leak(&self->ctx));
}

/*
 * An error other than EINVAL fails the container, not the device: QEMU
 * discards it and makes a new container.
 */
TEST_F(engine_faults, reuse_error_other_than_einval_takes_new_ioas)
{
	unsigned int mark;
	uint32_t first_ioas;
	uint64_t caps;

	PLAIN_CAPS(caps);
	ASSERT_EQ(0, nest_attach_device(&self->ctx, self->dev[0]))
		TH_LOG("%s: %s", nest_blame(&self->ctx, 0), self->ctx.err);
	first_ioas = self->ctx.ioas_id;
	FAULTY(1, 1, ENOMEM);
	mark = self->ctx.nr_events;
	ASSERT_EQ(0, nest_attach_device(&self->ctx, self->dev[1]))
		TH_LOG("engine: the ENOMEM was not discarded: %s",
		       self->ctx.err);
	ASSERT_EQ(0, self->ctx.err[0])
		TH_LOG("engine: a discarded error stayed: %s", self->ctx.err);
	FORMAT_FROM(mark);
	EXPECT_TRACE("BIND(D1) REUSE_TRY(H1)=ENOMEM IOAS_ALLOC=IOAS1 DEVICE_INFO(D1)=caps:0x%llx GET_FLAGS=0x1 HOST_QUIRKS(IOAS1)=0x0 HWPT_ALLOC(0x1)=H2 ATTACH(H2) IOVA_RANGES(IOAS1)=aw:%u HIOD_REALIZE(H2)=type:0xfeedbeef SET_IOMMU_DEVICE(D1)=ok",
		     (unsigned long long)caps, MOCK_AW_BITS);
	ASSERT_EQ(2, self->ctx.nr_ioas) TH_LOG("engine: IOASes listed");
	ASSERT_NE(first_ioas, self->ctx.ioas_id)
		TH_LOG("engine: no new IOAS");
	ASSERT_EQ(self->ctx.ioas_id,
		  nest_find_hwpt(&self->ctx, self->dev[1]->hwpt_id)->ioas_id)
		TH_LOG("engine: the new HWPT is not on the new IOAS");
	ASSERT_EQ(1, nest_find_hwpt(&self->ctx, self->dev[0]->hwpt_id)->users)
		TH_LOG("engine: HWPT users");
	/* each container goes with its own last device */
	ASSERT_EQ(0, nest_detach_device(&self->ctx, self->dev[0]))
		TH_LOG("%s: %s", nest_blame(&self->ctx, 0), self->ctx.err);
	ASSERT_EQ(1, self->ctx.nr_ioas) TH_LOG("engine: IOASes listed");
	test_err_destroy(ENOENT, self->fd, first_ioas);
}

TEST_F(engine_faults, reuse_einval_tries_fresh)
{
	unsigned int mark;
	uint64_t caps;

	PLAIN_CAPS(caps);
	ASSERT_EQ(0, nest_attach_device(&self->ctx, self->dev[0]))
		TH_LOG("%s: %s", nest_blame(&self->ctx, 0), self->ctx.err);
	FAULTY(1, 1, EINVAL);
	mark = self->ctx.nr_events;
	ASSERT_EQ(0, nest_attach_device(&self->ctx, self->dev[1]))
		TH_LOG("%s: %s", nest_blame(&self->ctx, mark), self->ctx.err);
	FORMAT_FROM(0);
	/* the new HWPT joins the container: no second IOAS */
	EXPECT_TRACE("BIND(D1) IOAS_ALLOC=IOAS1 DEVICE_INFO(D1)=caps:0x%1$llx GET_FLAGS=0x1 HOST_QUIRKS(IOAS1)=0x0 HWPT_ALLOC(0x1)=H1 ATTACH(H1) IOVA_RANGES(IOAS1)=aw:%2$u HIOD_REALIZE(H1)=type:0xfeedbeef SET_IOMMU_DEVICE(D1)=ok BIND(D2) REUSE_TRY(H1)=EINVAL DEVICE_INFO(D2)=caps:0x%1$llx GET_FLAGS=0x1 HOST_QUIRKS(IOAS1)=0x0 HWPT_ALLOC(0x1)=H2 ATTACH(H2) HIOD_REALIZE(H2)=type:0xfeedbeef SET_IOMMU_DEVICE(D2)=ok",
		     (unsigned long long)caps, MOCK_AW_BITS);
	ASSERT_EQ(2, self->ctx.nr_hwpts) TH_LOG("engine: HWPTs listed");
	ASSERT_EQ(1, self->ctx.nr_ioas) TH_LOG("engine: IOASes listed");
}

/* QEMU 11.1 tries a container's HWPTs newest first. */
TEST_F(engine_faults, reuse_tries_newest_first)
{
	unsigned int mark;
	int ev;

	ASSERT_EQ(0, nest_attach_device(&self->ctx, self->dev[0]))
		TH_LOG("%s: %s", nest_blame(&self->ctx, 0), self->ctx.err);
	/* an EINVAL gives the second device a second HWPT */
	FAULTY(1, 1, EINVAL);
	ASSERT_EQ(0, nest_attach_device(&self->ctx, self->dev[1]))
		TH_LOG("%s: %s", nest_blame(&self->ctx, 0), self->ctx.err);
	ASSERT_NE(self->dev[0]->hwpt_id, self->dev[1]->hwpt_id)
		TH_LOG("engine: one HWPT for both");
	/* the third: EINVAL from the newest, then the older one fits */
	FAULTY(2, 1, EINVAL);
	mark = self->ctx.nr_events;
	ASSERT_EQ(0, nest_attach_device(&self->ctx, self->dev[2]))
		TH_LOG("%s: %s", nest_blame(&self->ctx, mark), self->ctx.err);
	ev = nest_trace_find(&self->ctx, mark, NEST_EV_REUSE_TRY);
	ASSERT_LE(0, ev) TH_LOG("engine: no REUSE_TRY");
	ASSERT_EQ(self->dev[1]->hwpt_id, self->ctx.trace[ev].id)
		TH_LOG("engine: the first try was not the newest HWPT");
	ASSERT_EQ(EINVAL, self->ctx.trace[ev].err)
		TH_LOG("engine: the injected EINVAL is not traced");
	ASSERT_EQ(ev + 1, nest_trace_find(&self->ctx, ev + 1,
					  NEST_EV_REUSE_TRY))
		TH_LOG("engine: no second try right after the EINVAL");
	ASSERT_EQ(self->dev[0]->hwpt_id, self->ctx.trace[ev + 1].id)
		TH_LOG("engine: the second try was not the older HWPT");
	ASSERT_EQ(self->dev[0]->hwpt_id, self->dev[2]->hwpt_id)
		TH_LOG("engine: the third device is not on the older HWPT");
	ASSERT_EQ(-1, nest_trace_find(&self->ctx, mark, NEST_EV_GET_FLAGS))
		TH_LOG("engine: the flags were asked on a reuse");
}

/*
 * IOMMU_HWPT_ALLOC_PASID iff flag bit 3 and the host has PASIDs: a mock
 * device without PASIDs gets none whatever the flags, and one with
 * PASIDs (6.15+ mock) gets one only with pasid=on.
 */
static int pasid_attach(int fd, const char *config, uint32_t dev_flags,
			uint32_t *hwpt_flags, char *err, size_t len)
{
	struct viommu_config cfg;
	struct viommu viommu;
	struct nest_ctx ctx;
	struct nest_dev *dev;
	int rc, ev;

	rc = viommu_config_parse(config, &cfg, err, len);
	if (rc)
		return rc;
	viommu_init(&viommu, &cfg);
	nest_ctx_init(&ctx, fd, &viommu);
	dev = nest_mock_dev_new("mock0", dev_flags);
	if (!dev)
		return -ENOMEM;
	rc = nest_attach_device(&ctx, dev);
	snprintf(err, len, "%s", ctx.err);
	ev = nest_trace_find(&ctx, 0, NEST_EV_HWPT_ALLOC);
	*hwpt_flags = ev < 0 ? ~0u : ctx.trace[ev].arg;
	nest_vm_teardown(&ctx, &dev, 1);
	return rc;
}

TEST_F(engine_faults, alloc_pasid_iff_flag_and_host_pasids)
{
	char err[NEST_ERR_LEN];
	uint8_t log2 = 0;
	uint64_t caps;
	uint32_t flags;
#ifdef MOCK_PASID_WIDTH
	int rc;
#endif

	ASSERT_EQ(0, pasid_attach(self->fd, "selftest-iommu,nesting=on,pasid=on",
				  0, &flags, err, sizeof(err)))
		TH_LOG("engine: %s", err);
	ASSERT_EQ(0, mock_info(self->fd, 0, &caps, &log2))
		TH_LOG("kernel: a mock device or its GET_HW_INFO failed");
	ASSERT_EQ(0, log2) TH_LOG("kernel: a plain mock device has PASIDs");
	ASSERT_EQ(0, flags & NEST_HWPT_ALLOC_PASID)
		TH_LOG("engine: ALLOC_PASID with no host PASIDs: 0x%x", flags);
	ASSERT_EQ(IOMMU_HWPT_ALLOC_NEST_PARENT, flags & ~IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
		TH_LOG("engine: HWPT_ALLOC flags 0x%x", flags);
#ifndef MOCK_PASID_WIDTH
	SKIP(return, "headers lack MOCK_FLAGS_DEVICE_PASID (iommufd_test.h of 6.15+): no mock device has PASIDs");
#else
	rc = mock_info(self->fd, MOCK_FLAGS_DEVICE_PASID, &caps, &log2);
	/* headers newer than the kernel: it refuses the unknown flag */
	if (rc == -EINVAL)
		SKIP(return, "kernel refuses MOCK_FLAGS_DEVICE_PASID (EINVAL): its mock has no PASIDs, Linux 6.15+ needed");
	ASSERT_EQ(0, rc)
		TH_LOG("kernel: a PASID mock device or its GET_HW_INFO failed");
	if (!log2)
		SKIP(return, "kernel's mock device reports no PASIDs (out_max_pasid_log2 0): Linux 6.15+ needed");
	ASSERT_EQ(0, pasid_attach(self->fd, "selftest-iommu,nesting=on,pasid=on",
				  MOCK_FLAGS_DEVICE_PASID, &flags, err,
				  sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_TRUE(flags & NEST_HWPT_ALLOC_PASID)
		TH_LOG("engine: no ALLOC_PASID with bit 3 and %u PASID bits: 0x%x",
		       log2, flags);
	ASSERT_EQ(0, pasid_attach(self->fd, "selftest-iommu,nesting=on",
				  MOCK_FLAGS_DEVICE_PASID, &flags, err,
				  sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(0, flags & NEST_HWPT_ALLOC_PASID)
		TH_LOG("engine: ALLOC_PASID without bit 3: 0x%x", flags);
#endif
}

TEST_F(engine_faults, stage1_replace_failure_destroys_nested)
{
	unsigned int mark;

	FAULTY(0, 2, EIO);
	ASSERT_EQ(0, nest_attach_device(&self->ctx, self->dev[0]))
		TH_LOG("%s: %s", nest_blame(&self->ctx, 0), self->ctx.err);
	mark = self->ctx.nr_events;
	ASSERT_EQ(-EIO, nest_enable_stage1(&self->ctx, self->dev[0], 0))
		TH_LOG("engine: %s", self->ctx.err);
	ASSERT_EQ(0, nest_trace_format(&self->ctx, mark, self->trace,
				       sizeof(self->trace)))
		TH_LOG("engine: the trace does not print: %s", self->ctx.err);
	ASSERT_STREQ("NESTED_ALLOC(H1)=H2 ATTACH(H2)=EIO DESTROY(H2)",
		     self->trace)
		TH_LOG("engine: trace differs");
	ASSERT_EQ(0, self->dev[0]->nested_id)
		TH_LOG("engine: the failed stage-1 is still kept");
	/* the device still works on its parent */
	test_err_destroy(EBUSY, self->fd, self->dev[0]->hwpt_id);
}

/*
 * A full trace must not lose events silently: attach-detach rounds fill
 * it, and the events of the round that goes past NEST_TRACE_MAX are
 * counted, named in ctx.err and make both formatters fail.
 */
TEST_F(engine_faults, trace_overflow_is_reported)
{
	char full[NEST_TRACE_MAX * 64];
	unsigned int rounds = 0, per_round = 0, mark;

	do {
		mark = self->ctx.nr_events;
		ASSERT_EQ(0, nest_attach_device(&self->ctx, self->dev[0]))
			TH_LOG("%s: round %u: %s", nest_blame(&self->ctx, mark),
			       rounds, self->ctx.err);
		ASSERT_EQ(0, nest_detach_device(&self->ctx, self->dev[0]))
			TH_LOG("%s: round %u: %s", nest_blame(&self->ctx, mark),
			       rounds, self->ctx.err);
		if (!rounds++)
			per_round = self->ctx.nr_events - mark;
		ASSERT_EQ(per_round, self->ctx.nr_events - mark)
			TH_LOG("engine: round %u traced another count", rounds);
	} while (self->ctx.nr_events + per_round <= NEST_TRACE_MAX);
	/* a trace that is merely full is no error */
	ASSERT_LT(0, per_round) TH_LOG("engine: a round traced nothing");
	ASSERT_LT(NEST_TRACE_MAX - per_round, self->ctx.nr_events)
		TH_LOG("engine: the trace is not full");
	ASSERT_EQ(0, self->ctx.trace_overflow)
		TH_LOG("engine: a full trace counted as overflowed");
	ASSERT_EQ(0, nest_trace_format(&self->ctx, 0, full, sizeof(full)))
		TH_LOG("engine: a full trace does not print");

	/* the round that does not fit */
	mark = self->ctx.nr_events;
	ASSERT_EQ(0, nest_attach_device(&self->ctx, self->dev[0]))
		TH_LOG("%s: %s", nest_blame(&self->ctx, mark), self->ctx.err);
	ASSERT_EQ(0, nest_detach_device(&self->ctx, self->dev[0]))
		TH_LOG("%s: %s", nest_blame(&self->ctx, mark), self->ctx.err);
	ASSERT_EQ(NEST_TRACE_MAX, self->ctx.nr_events)
		TH_LOG("engine: %u events kept", self->ctx.nr_events);
	ASSERT_EQ(mark + per_round - NEST_TRACE_MAX, self->ctx.trace_overflow)
		TH_LOG("engine: %u events counted dropped",
		       self->ctx.trace_overflow);
	ASSERT_NE(NULL, strstr(self->ctx.err, NEST_TRACE_OVERFLOW))
		TH_LOG("engine: ctx.err after the overflow: '%s'", self->ctx.err);
	ASSERT_EQ(-EOVERFLOW, nest_trace_format(&self->ctx, 0, full,
						sizeof(full)))
		TH_LOG("engine: an overflowed trace prints");
	ASSERT_EQ(-EOVERFLOW, nest_trace_shape(&self->ctx, 0, full,
					       sizeof(full)))
		TH_LOG("engine: an overflowed trace's shape prints");
	ASSERT_EQ(-EOVERFLOW, nest_trace_format(&self->ctx, mark, self->trace,
						sizeof(self->trace)))
		TH_LOG("engine: the overflowed round prints");
	TH_LOG("%u rounds of %u events; %u dropped; ctx.err: %s", rounds + 1,
	       per_round, self->ctx.trace_overflow, self->ctx.err);

	/* a later error, with no event to trace, keeps the overflow note */
	ASSERT_EQ(-EINVAL, nest_enable_stage1(&self->ctx, self->dev[1], 0))
		TH_LOG("engine: a stage-1 with no host IOMMU device: %s",
		       self->ctx.err);
	ASSERT_NE(NULL, strstr(self->ctx.err, "no host IOMMU device set"))
		TH_LOG("engine: %s", self->ctx.err);
	ASSERT_NE(NULL, strstr(self->ctx.err, NEST_TRACE_OVERFLOW))
		TH_LOG("engine: %s", self->ctx.err);
}

TEST_HARNESS_MAIN
