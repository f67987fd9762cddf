// SPDX-License-Identifier: GPL-2.0
/*
 * The vIOMMU object uAPI (Linux 6.13 on), reached the way an accelerated
 * vIOMMU reaches it: its flags ask for a nesting parent, the engine
 * attaches the device to a NEST_PARENT HWPT and hands the hiod over, and
 * on that parent the vIOMMU object, its vDEVICEs, nested HWPTs, vEVENTQs
 * and HW queues are built.  Runs on the kernel's mock IOMMU.
 *
 * Every test exists on every tree so CI history keeps its names.  What a
 * test needs is checked twice: the headers it was built against (else
 * SKIP "built against headers without ...") and the running kernel,
 * probed by the ioctl answering ENOTTY or E2BIG (else SKIP "kernel lacks
 * ...").  Failures name the side that disagreed (nest_blame.h).
 * Features and where they came:
 *
 *   vIOMMU, vDEVICE, nested HWPT on a vIOMMU    6.13  IOMMU_VIOMMU_ALLOC
 *   cache invalidation through a vIOMMU         6.14  IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST
 *   vEVENTQ                                     6.15  IOMMU_VEVENTQ_ALLOC
 *   HW queue, vIOMMU driver data and mmap       6.17  IOMMU_HW_QUEUE_ALLOC
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nest_kselftest.h"

#include "nest_engine.h"
#include "nest_ioctl_test.h"
#include "backend_mock.h"
#include "viommu_model.h"
#include "nest_blame.h"

#define NR_DEVS		2
#define MAX_OBJS	16
#define VIRT_ID0	0x51	/* a guest's vSID / vRID; 0 means "none" */
#define VIRT_ID1	0x52
#define QUEUE_IOVA	(1ULL << 24)	/* MOCK_APERTURE_START on every tree */
#define QUEUE_OFFSET	0x40		/* a queue's start inside its page */
#define FAULT_ADDR	0x5eed000ULL	/* a guest IOVA that faulted */

#define HEADERS_LACK(sym, ver) \
	"built against headers without " sym " (Linux " ver "): rebuild against a newer tree"

#if defined(IOMMU_VIOMMU_ALLOC) && defined(IOMMU_VIOMMU_TYPE_SELFTEST)
#define HAVE_VIOMMU 1
#endif
#if defined(HAVE_VIOMMU) && defined(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST)
#define HAVE_VIOMMU_INVALIDATE 1
#endif
#if defined(HAVE_VIOMMU) && defined(IOMMU_VEVENTQ_TYPE_SELFTEST)
#define HAVE_VEVENTQ 1
#endif
#if defined(HAVE_VIOMMU) && defined(IOMMU_HW_QUEUE_TYPE_SELFTEST)
#define HAVE_HW_QUEUE 1
#endif

/* What the running kernel answers to, from probes that allocate nothing. */
struct vobj_kernel {
	bool viommu;
	bool veventq;
	bool hw_queue;
	bool viommu_data;
};

/* Objects a test created, destroyed newest first. */
struct obj_stack {
	unsigned int nr;
	uint32_t ids[MAX_OBJS];
};

FIXTURE(vobj) {
	int fd;
	struct viommu viommu;
	struct nest_ctx ctx;
	struct nest_dev *dev[NR_DEVS];
	struct vobj_kernel kernel;
	uint32_t parent;	/* the NEST_PARENT HWPT the engine attached */
	struct obj_stack objs;
};

#ifdef HAVE_VIOMMU

/* ENOTTY: the kernel predates the ioctl.  An all-zero call creates nothing. */
static bool kernel_has_ioctl(int fd, unsigned long nr)
{
	uint64_t zero[8] = { 0 };

	zero[0] = sizeof(zero);	/* size is the first u32 of every command */
	return nest_ioctl(fd, nr, zero) != -ENOTTY;
}

static void probe_kernel(int fd, struct vobj_kernel *k)
{
	memset(k, 0, sizeof(*k));
	k->viommu = kernel_has_ioctl(fd, IOMMU_VIOMMU_ALLOC);
#ifdef IOMMU_VEVENTQ_ALLOC
	k->veventq = kernel_has_ioctl(fd, IOMMU_VEVENTQ_ALLOC);
#endif
#ifdef IOMMU_HW_QUEUE_ALLOC
	k->hw_queue = kernel_has_ioctl(fd, IOMMU_HW_QUEUE_ALLOC);
#endif
#ifdef HAVE_HW_QUEUE
	{
		/*
		 * Before 6.17 the command ended at out_viommu_id, so a
		 * kernel that refuses the longer one with E2BIG takes no
		 * driver data.  dev_id 0 names nothing: ENOENT otherwise.
		 */
		struct iommu_viommu_alloc cmd = {
			.size = sizeof(cmd),
			.type = IOMMU_VIOMMU_TYPE_SELFTEST,
			.data_len = 1,
		};

		k->viommu_data = k->viommu &&
				 nest_viommu_alloc_raw(fd, &cmd) != -E2BIG;
	}
#endif
}

static void push_obj(struct obj_stack *st, uint32_t id)
{
	if (st->nr < MAX_OBJS)
		st->ids[st->nr++] = id;
}

/* Forget @id once a test destroyed it itself. */
static void drop_obj(struct obj_stack *st, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < st->nr; i++)
		if (st->ids[i] == id)
			st->ids[i] = 0;
}

/*
 * A page of guest memory, each byte @fill, mapped at QUEUE_IOVA in the
 * IOAS under the parent (NULL: out of memory, or the map failed); the
 * test unmaps and frees it.
 */
static uint8_t *guest_page(FIXTURE_DATA(vobj) * self, uint8_t fill)
{
	long psize = sysconf(_SC_PAGESIZE);
	uint8_t *buf;

	buf = mmap(NULL, psize, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return NULL;
	memset(buf, fill, psize);
	if (nest_ioas_map(self->fd, self->ctx.ioas_id,
			  IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			  IOMMU_IOAS_MAP_WRITEABLE, buf, psize,
			  &(uint64_t){ QUEUE_IOVA })) {
		munmap(buf, psize);
		return NULL;
	}
	return buf;
}

#endif /* HAVE_VIOMMU */

/* Destroy what the test built, newest first: 0 or the first error. */
static int unwind_objs(int fd, struct obj_stack *st)
{
	int first = 0, err;

	while (st->nr) {
		uint32_t id = st->ids[--st->nr];

		if (!id)
			continue;
		err = nest_destroy(fd, id);
		if (err && !first)
			first = err;
	}
	return first;
}

FIXTURE_SETUP(vobj)
{
#ifndef HAVE_VIOMMU
	self->fd = -1;
	SKIP(return, HEADERS_LACK("IOMMU_VIOMMU_ALLOC", "6.13"));
#else
	struct viommu_config cfg;
	char err[VIOMMU_ERR_LEN];
	struct nest_hwpt *hwpt;
	char name[16];
	int i, rc;

	self->fd = nest_mock_open(err, sizeof(err));
	if (self->fd < 0)
		SKIP(return, "%s", err);
	probe_kernel(self->fd, &self->kernel);
	if (!self->kernel.viommu)
		SKIP(return, "kernel lacks IOMMU_VIOMMU_ALLOC (ENOTTY): Linux 6.13 or later needed");

	/* the accelerated vIOMMU: its flags ask for a nesting parent */
	rc = viommu_config_parse("selftest-iommu,nesting=on", &cfg, err,
				 sizeof(err));
	ASSERT_EQ(0, rc) TH_LOG("model: %s", err);
	viommu_init(&self->viommu, &cfg);
	ASSERT_NE(0, viommu_get_flags(&self->viommu) &
		  VIOMMU_FLAG_WANT_NESTING_PARENT)
		TH_LOG("model: the accelerated vIOMMU wants no nesting parent");
	rc = nest_ctx_init(&self->ctx, self->fd, &self->viommu);
	ASSERT_EQ(0, rc) TH_LOG("kernel: %s", self->ctx.err);
	for (i = 0; i < NR_DEVS; i++) {
		unsigned int mark = self->ctx.nr_events;

		snprintf(name, sizeof(name), "mock%d", i);
		self->dev[i] = nest_mock_dev_new(name, 0);
		ASSERT_NE(NULL, self->dev[i]) TH_LOG("test: out of memory");
		rc = nest_attach_device(&self->ctx, self->dev[i]);
		ASSERT_EQ(0, rc) TH_LOG("%s: %s", nest_blame(&self->ctx, mark),
					self->ctx.err);
		ASSERT_TRUE(self->dev[i]->hiod_set)
			TH_LOG("engine: mock%d has no hiod set", i);
	}
	/* both devices share the one parent, as QEMU's reuse does */
	self->parent = self->dev[0]->hwpt_id;
	ASSERT_EQ(self->parent, self->dev[1]->hwpt_id)
		TH_LOG("engine: the devices are on two HWPTs");
	hwpt = nest_find_hwpt(&self->ctx, self->parent);
	ASSERT_NE(NULL, hwpt) TH_LOG("engine: the parent is not listed");
	ASSERT_NE(0, hwpt->alloc_flags & IOMMU_HWPT_ALLOC_NEST_PARENT)
		TH_LOG("engine: the HWPT is no nesting parent");
#endif
}

FIXTURE_TEARDOWN(vobj)
{
	int i;

	if (self->fd < 0)
		return;
	/* a test that stopped half-way may leave a device on a nested HWPT */
	for (i = 0; i < NR_DEVS; i++)
		if (self->dev[i] && self->dev[i]->bound)
			self->dev[i]->ops->attach(&self->ctx, self->dev[i],
						  self->dev[i]->hwpt_id);
	unwind_objs(self->fd, &self->objs);
	nest_vm_teardown(&self->ctx, self->dev, NR_DEVS);
	close(self->fd);
}

/* End of every test: the objects unwind cleanly, then so does the engine. */
#define ASSERT_CLEAN_UNWIND() do {					\
	int __i;							\
	ASSERT_KERNEL(0, unwind_objs(self->fd, &self->objs));		\
	for (__i = NR_DEVS - 1; __i >= 0; __i--) {			\
		unsigned int __mark = self->ctx.nr_events;		\
		ASSERT_EQ(0, nest_detach_device(&self->ctx,		\
						self->dev[__i]))	\
			TH_LOG("%s: %s", nest_blame(&self->ctx, __mark), \
			       self->ctx.err);				\
	}								\
	ASSERT_EQ(0, nest_count_live_ids(&self->ctx))			\
		TH_LOG("%s: the container outlived its last HWPT",	\
		       nest_blame_leak(&self->ctx));			\
} while (0)

#ifdef HAVE_VIOMMU

/* A vIOMMU on the fixture's parent, for dev[0]; recorded for unwind. */
#define VIOMMU_ON_PARENT(out) do {					\
	test_cmd_viommu_alloc(self->fd, IOMMU_VIOMMU_TYPE_SELFTEST, 0,	\
			      self->dev[0]->dev_id, self->parent, &(out)); \
	push_obj(&self->objs, out);					\
} while (0)

#define VDEVICE(viommu_id, i, virt, out) do {				\
	test_cmd_vdevice_alloc(self->fd, viommu_id,			\
			       self->dev[i]->dev_id, virt, &(out));	\
	push_obj(&self->objs, out);					\
} while (0)

/* dev[i] onto a nested HWPT of the vIOMMU: the guest installed its table */
#define NESTED_ON_VIOMMU(viommu_id, i, out) do {			\
	test_cmd_hwpt_alloc_nested(self->fd, self->dev[i]->dev_id,	\
				   viommu_id, &(out));			\
	push_obj(&self->objs, out);					\
	ASSERT_KERNEL(0, self->dev[i]->ops->attach(&self->ctx,		\
						   self->dev[i], out));	\
} while (0)

#define BACK_TO_PARENT(i)						\
	ASSERT_KERNEL(0, self->dev[i]->ops->attach(&self->ctx,		\
						   self->dev[i],	\
						   self->parent))

#endif

TEST_F(vobj, viommu_pins_its_nesting_parent)
{
#ifdef HAVE_VIOMMU
	uint32_t spare = 0, viommu_id = 0;

	/* an idle second parent, so only the vIOMMU can keep it busy */
	test_cmd_hwpt_alloc(self->fd, self->dev[0]->dev_id, self->ctx.ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &spare);
	push_obj(&self->objs, spare);
	test_cmd_viommu_alloc(self->fd, IOMMU_VIOMMU_TYPE_SELFTEST, 0,
			      self->dev[0]->dev_id, spare, &viommu_id);
	push_obj(&self->objs, viommu_id);
	ASSERT_NE(0, viommu_id) TH_LOG("kernel: vIOMMU id 0");
	EXPECT_KERNEL(-EBUSY, nest_destroy(self->fd, spare));
	test_cmd_destroy(self->fd, viommu_id);
	drop_obj(&self->objs, viommu_id);
	EXPECT_KERNEL(0, nest_destroy(self->fd, spare));
	drop_obj(&self->objs, spare);
	ASSERT_CLEAN_UNWIND();
#endif
}

TEST_F(vobj, viommu_refused_without_nesting_parent)
{
#ifdef HAVE_VIOMMU
	uint32_t plain = 0, id = 0, before = 0, after = 0;

	test_cmd_hwpt_alloc(self->fd, self->dev[0]->dev_id, self->ctx.ioas_id, 0,
			    &plain);
	push_obj(&self->objs, plain);
	ASSERT_KERNEL(0, nest_test_next_free_id(self->fd, &before));
	EXPECT_KERNEL(-EINVAL,
		      _test_cmd_viommu_alloc(self->fd, IOMMU_VIOMMU_TYPE_SELFTEST, 0,
					     self->dev[0]->dev_id, plain, &id));
	/* an IOAS is no HWPT at all */
	EXPECT_KERNEL(-ENOENT,
		      _test_cmd_viommu_alloc(self->fd, IOMMU_VIOMMU_TYPE_SELFTEST, 0,
					     self->dev[0]->dev_id,
					     self->ctx.ioas_id, &id));
	ASSERT_KERNEL(0, nest_test_next_free_id(self->fd, &after));
	EXPECT_EQ(before, after) TH_LOG("kernel: a refused vIOMMU left an object");
	ASSERT_CLEAN_UNWIND();
#endif
}

TEST_F(vobj, viommu_bad_type_flags_and_device)
{
#ifdef HAVE_VIOMMU
	uint32_t dev_id = self->dev[0]->dev_id, id, before, after;

	ASSERT_KERNEL(0, nest_test_next_free_id(self->fd, &before));
	EXPECT_KERNEL(-EOPNOTSUPP,
		      _test_cmd_viommu_alloc(self->fd, IOMMU_VIOMMU_TYPE_DEFAULT, 0,
					     dev_id, self->parent, &id));
	/* a real driver's type on the mock IOMMU */
	EXPECT_KERNEL(-EOPNOTSUPP,
		      _test_cmd_viommu_alloc(self->fd, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 0,
					     dev_id, self->parent, &id));
	EXPECT_KERNEL(-EOPNOTSUPP,
		      _test_cmd_viommu_alloc(self->fd, IOMMU_VIOMMU_TYPE_SELFTEST, 1,
					     dev_id, self->parent, &id));
	EXPECT_KERNEL(-ENOENT,
		      _test_cmd_viommu_alloc(self->fd, IOMMU_VIOMMU_TYPE_SELFTEST, 0,
					     self->parent, self->parent, &id));
	ASSERT_KERNEL(0, nest_test_next_free_id(self->fd, &after));
	EXPECT_EQ(before, after) TH_LOG("kernel: a refused vIOMMU left an object");
	ASSERT_CLEAN_UNWIND();
#endif
}

TEST_F(vobj, vdevice_virt_ids_are_unique)
{
#ifdef HAVE_VIOMMU
	uint32_t viommu_id = 0, vdev0 = 0, vdev1 = 0, id = 0, before = 0, after = 0;

	VIOMMU_ON_PARENT(viommu_id);
	VDEVICE(viommu_id, 0, VIRT_ID0, vdev0);
	ASSERT_KERNEL(0, nest_test_next_free_id(self->fd, &before));
	/* one vDEVICE per device, one device per virtual id */
	EXPECT_KERNEL(-EEXIST, _test_cmd_vdevice_alloc(self->fd, viommu_id,
						       self->dev[0]->dev_id,
						       VIRT_ID1, &id));
	EXPECT_KERNEL(-EEXIST, _test_cmd_vdevice_alloc(self->fd, viommu_id,
						       self->dev[1]->dev_id,
						       VIRT_ID0, &id));
	EXPECT_KERNEL(-ENOENT, _test_cmd_vdevice_alloc(self->fd, self->parent,
						       self->dev[1]->dev_id,
						       VIRT_ID1, &id));
	EXPECT_KERNEL(-ENOENT, _test_cmd_vdevice_alloc(self->fd, viommu_id,
						       self->parent, VIRT_ID1,
						       &id));
	ASSERT_KERNEL(0, nest_test_next_free_id(self->fd, &after));
	EXPECT_EQ(before, after) TH_LOG("kernel: a refused vDEVICE left an object");
	VDEVICE(viommu_id, 1, VIRT_ID1, vdev1);
	EXPECT_KERNEL(-EBUSY, nest_destroy(self->fd, viommu_id));
	ASSERT_CLEAN_UNWIND();
#endif
}

TEST_F(vobj, nested_hwpt_on_viommu)
{
#ifdef HAVE_VIOMMU
	uint32_t viommu_id = 0, vdev = 0, nested = 0;

	VIOMMU_ON_PARENT(viommu_id);
	VDEVICE(viommu_id, 0, VIRT_ID0, vdev);
	NESTED_ON_VIOMMU(viommu_id, 0, nested);
	EXPECT_KERNEL(0, _test_cmd_md_check_iotlb(self->fd, nested, 0,
						  IOMMU_TEST_IOTLB_DEFAULT));
	/* dev[1] has no vDEVICE: the vIOMMU cannot name it to the guest */
	EXPECT_KERNEL(-ENOENT, self->dev[1]->ops->attach(&self->ctx,
							 self->dev[1], nested));
	/* the vIOMMU and, through it, the parent stay while it is used */
	EXPECT_KERNEL(-EBUSY, nest_destroy(self->fd, viommu_id));
	EXPECT_KERNEL(-EBUSY, nest_destroy(self->fd, nested));
	BACK_TO_PARENT(0);
	ASSERT_CLEAN_UNWIND();
#endif
}

/*
 * An emulated device of the same VM reads and writes guest memory through
 * the IOAS under the nesting parent, and may pin it; an unmap by the VMM
 * tells it to let go instead of failing.
 */
TEST_F(vobj, emulated_device_shares_the_parent_ioas)
{
#ifdef HAVE_VIOMMU
	long psize = sysconf(_SC_PAGESIZE);
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = self->ctx.ioas_id,
		.create_access = {
			.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
		},
	};
	uint8_t got[16], put[16];
	uint32_t afd, pages_id, ioas2 = 0;
	uint8_t *buf;

	buf = guest_page(self, 0x3c);
	ASSERT_NE(NULL, buf) TH_LOG("kernel: a page at 0x%llx", QUEUE_IOVA);
	ASSERT_KERNEL(0, nest_test_cmd(self->fd, &cmd));
	afd = cmd.create_access.out_access_fd;

	/* a read, a write, and a read the slow way */
	ASSERT_KERNEL(0, nest_test_access_rw(self->fd, afd, QUEUE_IOVA + 8,
					     got, sizeof(got), 0));
	EXPECT_EQ(0, memcmp(got, buf + 8, sizeof(got)))
		TH_LOG("kernel: the access read other bytes");
	memset(put, 0xa5, sizeof(put));
	ASSERT_KERNEL(0, nest_test_access_rw(self->fd, afd, QUEUE_IOVA + 8,
					     put, sizeof(put),
					     MOCK_ACCESS_RW_WRITE));
	EXPECT_EQ(0, memcmp(put, buf + 8, sizeof(put)))
		TH_LOG("kernel: the access's write did not land");
	EXPECT_EQ(0x3c, buf[8 + sizeof(put)]) TH_LOG("kernel: wrote past");
	ASSERT_KERNEL(0, nest_test_access_rw(self->fd, afd, QUEUE_IOVA + 8,
					     got, sizeof(got),
					     MOCK_ACCESS_RW_SLOW_PATH));
	EXPECT_EQ(0, memcmp(got, put, sizeof(got)))
		TH_LOG("kernel: the slow read differs");

	/* pinned pages are the VMM's own; an unmap makes the access drop them */
	memset(&cmd, 0, sizeof(cmd));
	cmd.op = IOMMU_TEST_OP_ACCESS_PAGES;
	cmd.id = afd;
	cmd.access_pages.iova = QUEUE_IOVA;
	cmd.access_pages.length = psize;
	cmd.access_pages.uptr = (uintptr_t)buf;
	cmd.access_pages.flags = MOCK_FLAGS_ACCESS_WRITE;
	ASSERT_KERNEL(0, nest_test_cmd(self->fd, &cmd));
	pages_id = cmd.access_pages.out_access_pages_id;
	EXPECT_KERNEL(0, _test_cmd_ioas_unmap(self->fd, self->ctx.ioas_id,
					      QUEUE_IOVA, psize));
	memset(&cmd, 0, sizeof(cmd));
	cmd.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES;
	cmd.id = afd;
	cmd.destroy_access_pages.access_pages_id = pages_id;
	EXPECT_KERNEL(-ENOENT, nest_test_cmd(self->fd, &cmd))
		TH_LOG("kernel: the pin outlived the unmap");
	EXPECT_GT(0, nest_test_access_rw(self->fd, afd, QUEUE_IOVA, got,
					 sizeof(got), 0))
		TH_LOG("kernel: the access read an unmapped IOVA");
	/* moved to another IOAS where the page is mapped: it reads there */
	test_cmd_ioas_alloc(self->fd, &ioas2);
	test_cmd_ioas_map_fixed(self->fd, ioas2, buf, psize, QUEUE_IOVA);
	memset(&cmd, 0, sizeof(cmd));
	cmd.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS;
	cmd.id = afd;
	cmd.access_replace_ioas.ioas_id = ioas2;
	ASSERT_KERNEL(0, nest_test_cmd(self->fd, &cmd));
	ASSERT_KERNEL(0, nest_test_access_rw(self->fd, afd, QUEUE_IOVA + 8,
					     got, sizeof(got), 0));
	EXPECT_EQ(0, memcmp(got, put, sizeof(got)))
		TH_LOG("kernel: the access read other bytes in the new IOAS");
	/* the access pins it: the IOAS stays until the access goes */
	EXPECT_KERNEL(-EBUSY, nest_destroy(self->fd, ioas2));
	close(afd);
	EXPECT_KERNEL(0, nest_destroy(self->fd, ioas2));
	munmap(buf, psize);
	ASSERT_CLEAN_UNWIND();
#endif
}

/*
 * Hot-unplug: the device object goes while the guest still names it.
 * Its vDEVICE goes with it, so the vIOMMU is free again.  Before 6.17
 * the vDEVICE pinned the device (EBUSY); HW queues came in the same
 * release, so they are the probe.
 */
TEST_F(vobj, unplugged_device_takes_its_vdevice)
{
#ifdef HAVE_VIOMMU
	uint32_t viommu_id = 0, stdev = 0, idev = 0, hwpt = 0, vdev = 0;
	int rc;

	VIOMMU_ON_PARENT(viommu_id);
	ASSERT_KERNEL(0, nest_test_mock_domain_flags(self->fd, self->parent, 0,
						     &stdev, &idev, &hwpt));
	push_obj(&self->objs, stdev);
	ASSERT_KERNEL(0, nest_vdevice_alloc(self->fd, viommu_id, idev,
					    VIRT_ID1, &vdev));
	EXPECT_KERNEL(-EBUSY, nest_destroy(self->fd, viommu_id));
	rc = nest_destroy(self->fd, stdev);
	if (rc == -EBUSY && !self->kernel.hw_queue) {
		EXPECT_KERNEL(0, nest_destroy(self->fd, vdev));
		ASSERT_CLEAN_UNWIND();
		SKIP(return, "kernel keeps a device with a vDEVICE (EBUSY): Linux 6.17 or later needed");
	}
	ASSERT_KERNEL(0, rc);
	drop_obj(&self->objs, stdev);
	EXPECT_KERNEL(-ENOENT, nest_destroy(self->fd, vdev));
	/* the virtual id is free for the next device the guest names */
	VDEVICE(viommu_id, 1, VIRT_ID1, vdev);
	ASSERT_CLEAN_UNWIND();
#endif
}

#ifdef HAVE_VIOMMU_INVALIDATE
/* @num entries of @inv to the vIOMMU; @num is left at how many were done. */
static int invalidate_caches(int fd, uint32_t viommu_id,
			     const struct iommu_viommu_invalidate_selftest *inv,
			     uint32_t *num)
{
	return nest_hwpt_invalidate(fd, viommu_id,
				    IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, inv,
				    sizeof(*inv), num);
}
#endif

TEST_F(vobj, invalidate_device_cache_through_viommu)
{
#ifndef HAVE_VIOMMU_INVALIDATE
	SKIP(return, HEADERS_LACK("IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST", "6.14"));
#else
	struct iommu_viommu_invalidate_selftest inv[2] = {
		{ .vdev_id = VIRT_ID0, .cache_id = 1 },
		{ .vdev_id = VIRT_ID0, .cache_id = 2 },
	};
	struct iommu_test_cmd check = {
		.op = IOMMU_TEST_OP_DEV_CHECK_CACHE,
	};
	uint32_t viommu_id = 0, vdev = 0, i = 0, num = 0;
	int rc;

	VIOMMU_ON_PARENT(viommu_id);
	VDEVICE(viommu_id, 0, VIRT_ID0, vdev);
	/* an empty array only checks its type: 6.13 has no vIOMMU here */
	rc = invalidate_caches(self->fd, viommu_id, NULL, &num);
	if (rc) {
		ASSERT_EQ(-ENOENT, rc)
			TH_LOG("kernel: an empty vIOMMU invalidation answered %s",
			       nest_errno_name(-rc));
		ASSERT_FALSE(self->kernel.veventq)
			TH_LOG("kernel: a 6.15+ kernel must invalidate through a vIOMMU");
		SKIP(return, "kernel does not invalidate through a vIOMMU: Linux 6.14 or later needed");
	}
	/* an empty array still has its type checked */
	num = 0;
	EXPECT_KERNEL(-EINVAL,
		      nest_hwpt_invalidate(self->fd, viommu_id,
					   IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID,
					   NULL, sizeof(*inv), &num));
	/* an unknown flag stops the array before its first entry */
	inv[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL << 1;
	num = 2;
	EXPECT_KERNEL(-EOPNOTSUPP, invalidate_caches(self->fd, viommu_id, inv,
						     &num));
	EXPECT_EQ(0, num) TH_LOG("kernel: %u entries done", num);
	inv[0].flags = 0;
	check.id = self->dev[0]->dev_id;
	check.check_dev_cache.id = 1;
	check.check_dev_cache.cache = IOMMU_TEST_DEV_CACHE_DEFAULT;
	EXPECT_KERNEL(0, nest_test_cmd(self->fd, &check))
		TH_LOG("kernel: a refused array invalidated cache 1");
	num = 2;
	ASSERT_KERNEL(0, invalidate_caches(self->fd, viommu_id, inv, &num));
	EXPECT_EQ(2, num) TH_LOG("kernel: %u entries done", num);
	for (i = 0; i < MOCK_DEV_CACHE_NUM; i++) {
		check.check_dev_cache.id = i;
		check.check_dev_cache.cache = (i == 1 || i == 2) ?
			0 : IOMMU_TEST_DEV_CACHE_DEFAULT;
		EXPECT_KERNEL(0, nest_test_cmd(self->fd, &check))
			TH_LOG("kernel: device cache %u", i);
	}
	/* the second entry names no vDEVICE: one done, then EINVAL */
	inv[0].cache_id = 3;
	inv[1].vdev_id = VIRT_ID1;
	num = 2;
	EXPECT_KERNEL(-EINVAL, invalidate_caches(self->fd, viommu_id, inv, &num));
	EXPECT_EQ(1, num) TH_LOG("kernel: %u entries done", num);
	check.check_dev_cache.id = 3;
	check.check_dev_cache.cache = 0;
	EXPECT_KERNEL(0, nest_test_cmd(self->fd, &check));
	/* dev[1] has no vDEVICE, so its cache is untouched */
	check.id = self->dev[1]->dev_id;
	check.check_dev_cache.cache = IOMMU_TEST_DEV_CACHE_DEFAULT;
	EXPECT_KERNEL(0, nest_test_cmd(self->fd, &check));
	/* FLAG_ALL ignores cache_id and empties every entry, the last too */
	VDEVICE(viommu_id, 1, VIRT_ID1, vdev);
	inv[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	inv[0].vdev_id = VIRT_ID1;
	inv[0].cache_id = 0;
	num = 1;
	ASSERT_KERNEL(0, invalidate_caches(self->fd, viommu_id, inv, &num));
	EXPECT_EQ(1, num) TH_LOG("kernel: %u entries done", num);
	check.check_dev_cache.cache = 0;
	for (i = 0; i < MOCK_DEV_CACHE_NUM; i++) {
		check.check_dev_cache.id = i;
		EXPECT_KERNEL(0, nest_test_cmd(self->fd, &check))
			TH_LOG("kernel: device cache %u after FLAG_ALL", i);
	}
	ASSERT_CLEAN_UNWIND();
#endif
}

#ifdef HAVE_VEVENTQ
static int trigger_vevent(int fd, uint32_t dev_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_TRIGGER_VEVENT,
		.trigger_vevent = { .dev_id = dev_id },
	};

	return nest_test_cmd(fd, &cmd);
}

/* One record as read(2) returns it: a header, then the mock's event. */
struct vevent_record {
	struct iommufd_vevent_header hdr;
	struct iommu_viommu_event_selftest ev;
};
#endif

#define NO_VEVENTQ \
	"kernel lacks IOMMU_VEVENTQ_ALLOC (ENOTTY): Linux 6.15 or later needed"

TEST_F(vobj, veventq_reports_the_virtual_id)
{
#ifndef HAVE_VEVENTQ
	SKIP(return, HEADERS_LACK("IOMMU_VEVENTQ_ALLOC", "6.15"));
#else
	uint32_t viommu_id = 0, vdev = 0, nested = 0, q = 0;
	struct vevent_record rec[2];
	int qfd = -1;

	if (!self->kernel.veventq)
		SKIP(return, NO_VEVENTQ);
	VIOMMU_ON_PARENT(viommu_id);
	ASSERT_KERNEL(0, nest_veventq_alloc(self->fd, viommu_id,
					    IOMMU_VEVENTQ_TYPE_SELFTEST, 4, &q, &qfd));
	push_obj(&self->objs, q);
	/* the vDEVICE first: the nested attach picks its virtual id up */
	VDEVICE(viommu_id, 0, VIRT_ID0, vdev);
	NESTED_ON_VIOMMU(viommu_id, 0, nested);
	/* dev[1] is not behind the vIOMMU: nothing to report */
	EXPECT_KERNEL(-ENOENT, trigger_vevent(self->fd, self->dev[1]->dev_id));
	ASSERT_KERNEL(0, trigger_vevent(self->fd, self->dev[0]->dev_id));
	ASSERT_KERNEL(0, trigger_vevent(self->fd, self->dev[0]->dev_id));
	/* too small for one record: EINVAL, and the record stays */
	EXPECT_EQ(-1, read(qfd, rec, sizeof(rec[0].hdr) + 1))
		TH_LOG("kernel: a short read took a record");
	EXPECT_EQ(EINVAL, errno) TH_LOG("kernel: a short read: %s",
					strerror(errno));
	ASSERT_EQ((ssize_t)sizeof(rec), read(qfd, rec, sizeof(rec)))
		TH_LOG("kernel: not two records");
	EXPECT_EQ(0, rec[0].hdr.flags) TH_LOG("kernel: record 0 flags");
	EXPECT_EQ(0, rec[0].hdr.sequence) TH_LOG("kernel: record 0 sequence");
	EXPECT_EQ(VIRT_ID0, rec[0].ev.virt_id)
		TH_LOG("kernel: record 0 virtual id");
	EXPECT_EQ(0, rec[1].hdr.flags) TH_LOG("kernel: record 1 flags");
	EXPECT_EQ(1, rec[1].hdr.sequence) TH_LOG("kernel: record 1 sequence");
	EXPECT_EQ(VIRT_ID0, rec[1].ev.virt_id)
		TH_LOG("kernel: record 1 virtual id");
	close(qfd);
	BACK_TO_PARENT(0);
	ASSERT_CLEAN_UNWIND();
#endif
}

TEST_F(vobj, veventq_overflow_reports_lost_events)
{
#ifndef HAVE_VEVENTQ
	SKIP(return, HEADERS_LACK("IOMMU_VEVENTQ_ALLOC", "6.15"));
#else
	struct iommufd_vevent_header lost;
	uint32_t viommu_id = 0, vdev = 0, nested = 0, q = 0;
	struct vevent_record rec[2];
	uint8_t buf[sizeof(rec) + sizeof(lost)];
	int qfd = -1, i;

	if (!self->kernel.veventq)
		SKIP(return, NO_VEVENTQ);
	VIOMMU_ON_PARENT(viommu_id);
	ASSERT_KERNEL(0, nest_veventq_alloc(self->fd, viommu_id,
					    IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &q, &qfd));
	push_obj(&self->objs, q);
	VDEVICE(viommu_id, 0, VIRT_ID0, vdev);
	NESTED_ON_VIOMMU(viommu_id, 0, nested);
	for (i = 0; i < 5; i++)
		ASSERT_KERNEL(0, trigger_vevent(self->fd, self->dev[0]->dev_id));
	/* two records fit the depth; the loss is one header, no data */
	ASSERT_EQ((ssize_t)sizeof(buf), read(qfd, buf, sizeof(buf)))
		TH_LOG("kernel: not two records and a loss");
	memcpy(rec, buf, sizeof(rec));
	memcpy(&lost, buf + sizeof(rec), sizeof(lost));
	EXPECT_EQ(0, rec[0].hdr.sequence) TH_LOG("kernel: record 0 sequence");
	EXPECT_EQ(1, rec[1].hdr.sequence) TH_LOG("kernel: record 1 sequence");
	EXPECT_EQ(VIRT_ID0, rec[1].ev.virt_id)
		TH_LOG("kernel: record 1 virtual id");
	EXPECT_EQ(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, lost.flags)
		TH_LOG("kernel: the loss's flags");
	/* the loss took sequence 2 and perhaps one per further loss */
	EXPECT_GE(lost.sequence, 2) TH_LOG("kernel: the loss's sequence");
	EXPECT_LE(lost.sequence, 4) TH_LOG("kernel: the loss's sequence");
	/* drained: a new event is delivered again, in sequence */
	ASSERT_KERNEL(0, trigger_vevent(self->fd, self->dev[0]->dev_id));
	ASSERT_EQ((ssize_t)sizeof(rec[0]), read(qfd, rec, sizeof(rec)))
		TH_LOG("kernel: not one record after the drain");
	EXPECT_EQ(0, rec[0].hdr.flags) TH_LOG("kernel: the record's flags");
	EXPECT_EQ(lost.sequence + 1, rec[0].hdr.sequence)
		TH_LOG("kernel: the record's sequence");
	EXPECT_EQ(VIRT_ID0, rec[0].ev.virt_id)
		TH_LOG("kernel: the record's virtual id");
	close(qfd);
	BACK_TO_PARENT(0);
	ASSERT_CLEAN_UNWIND();
#endif
}

TEST_F(vobj, veventq_one_per_type)
{
#ifndef HAVE_VEVENTQ
	SKIP(return, HEADERS_LACK("IOMMU_VEVENTQ_ALLOC", "6.15"));
#else
	uint32_t viommu_id = 0, q = 0, id = 0, before = 0, after = 0;
	int qfd = -1, fd2 = -1;

	if (!self->kernel.veventq)
		SKIP(return, NO_VEVENTQ);
	VIOMMU_ON_PARENT(viommu_id);
	ASSERT_KERNEL(0, nest_veventq_alloc(self->fd, viommu_id,
					    IOMMU_VEVENTQ_TYPE_SELFTEST, 1, &q, &qfd));
	push_obj(&self->objs, q);
	ASSERT_KERNEL(0, nest_test_next_free_id(self->fd, &before));
	EXPECT_KERNEL(-EEXIST, nest_veventq_alloc(self->fd, viommu_id,
						  IOMMU_VEVENTQ_TYPE_SELFTEST, 1, &id,
						  &fd2));
	EXPECT_KERNEL(-EINVAL, nest_veventq_alloc(self->fd, viommu_id,
						  IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 0, &id,
						  &fd2));
	EXPECT_KERNEL(-EOPNOTSUPP, nest_veventq_alloc(self->fd, viommu_id,
						      IOMMU_VEVENTQ_TYPE_DEFAULT, 1,
						      &id, &fd2));
	EXPECT_KERNEL(-ENOENT, nest_veventq_alloc(self->fd, self->parent,
						  IOMMU_VEVENTQ_TYPE_SELFTEST, 1, &id,
						  &fd2));
	ASSERT_KERNEL(0, nest_test_next_free_id(self->fd, &after));
	EXPECT_EQ(before, after) TH_LOG("kernel: a refused vEVENTQ left an object");
	EXPECT_KERNEL(-EBUSY, nest_destroy(self->fd, viommu_id));
	close(qfd);
	ASSERT_CLEAN_UNWIND();
#endif
}

#ifdef HAVE_HW_QUEUE
static int hw_queue_alloc(int fd, uint32_t viommu_id, uint32_t index,
			  uint64_t iova, uint64_t len, uint32_t *out_id)
{
	return nest_hw_queue_alloc(fd, viommu_id, IOMMU_HW_QUEUE_TYPE_SELFTEST,
				   index, iova, len, out_id);
}
#endif

TEST_F(vobj, viommu_driver_data_and_mmap)
{
#ifndef HAVE_HW_QUEUE
	SKIP(return, HEADERS_LACK("IOMMU_HW_QUEUE_ALLOC", "6.17"));
#else
	struct iommu_viommu_selftest data = { .in_data = 0xfeed5eed };
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.type = IOMMU_VIOMMU_TYPE_SELFTEST,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};
	uint32_t *page;

	if (!self->kernel.viommu_data) {
		ASSERT_FALSE(self->kernel.hw_queue)
			TH_LOG("kernel: a kernel with HW queues must take vIOMMU data");
		SKIP(return, "kernel's IOMMU_VIOMMU_ALLOC takes no driver data (E2BIG): Linux 6.17 or later needed");
	}
	cmd.dev_id = self->dev[0]->dev_id;
	cmd.hwpt_id = self->parent;
	ASSERT_KERNEL(0, nest_viommu_alloc_raw(self->fd, &cmd));
	push_obj(&self->objs, cmd.out_viommu_id);
	EXPECT_EQ(data.in_data, data.out_data)
		TH_LOG("kernel: the driver data's loopback");
	ASSERT_NE(0, data.out_mmap_length) TH_LOG("kernel: nothing to mmap");
	page = mmap(NULL, data.out_mmap_length, PROT_READ, MAP_SHARED,
		    self->fd, data.out_mmap_offset);
	ASSERT_NE(MAP_FAILED, page)
		TH_LOG("kernel: mmap: %s", strerror(errno));
	/* the driver's page, seen through iommufd: the loopback value */
	EXPECT_EQ(data.in_data, page[0])
		TH_LOG("kernel: the mmap'ed page's loopback");
	/* only the offset the kernel handed out maps, and all of it */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, data.out_mmap_length, PROT_READ,
				   MAP_SHARED, self->fd,
				   data.out_mmap_offset + data.out_mmap_length))
		TH_LOG("kernel: an offset not handed out maps");
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * data.out_mmap_length, PROT_READ,
				   MAP_SHARED, self->fd, data.out_mmap_offset))
		TH_LOG("kernel: more than the driver's page maps");
	munmap(page, data.out_mmap_length);
	ASSERT_CLEAN_UNWIND();
#endif
}

TEST_F(vobj, hw_queue_pins_the_guest_queue)
{
#ifndef HAVE_HW_QUEUE
	SKIP(return, HEADERS_LACK("IOMMU_HW_QUEUE_ALLOC", "6.17"));
#else
	long psize = sysconf(_SC_PAGESIZE);
	uint32_t viommu_id = 0, q0 = 0, q1 = 0, id = 0;
	void *buf;

	if (!self->kernel.hw_queue)
		SKIP(return, "kernel lacks IOMMU_HW_QUEUE_ALLOC (ENOTTY): Linux 6.17 or later needed");
	buf = guest_page(self, 0);
	ASSERT_NE(NULL, buf) TH_LOG("kernel: a page at 0x%llx", QUEUE_IOVA);
	VIOMMU_ON_PARENT(viommu_id);
	/* queues come in index order; 1 depends on 0 */
	EXPECT_KERNEL(-EIO, hw_queue_alloc(self->fd, viommu_id, 1, QUEUE_IOVA,
					   psize, &id));
	/* on a vIOMMU, in guest memory the parent maps */
	EXPECT_KERNEL(-ENOENT, hw_queue_alloc(self->fd, self->parent, 0,
					      QUEUE_IOVA, psize, &id));
	EXPECT_KERNEL(-ENOENT, hw_queue_alloc(self->fd, viommu_id, 0,
					      QUEUE_IOVA + psize, psize, &id));
	ASSERT_KERNEL(0, hw_queue_alloc(self->fd, viommu_id, 0, QUEUE_IOVA, psize,
					&q0));
	push_obj(&self->objs, q0);
	EXPECT_KERNEL(-EEXIST, hw_queue_alloc(self->fd, viommu_id, 0, QUEUE_IOVA,
					      psize, &id));
	EXPECT_KERNEL(-EINVAL, hw_queue_alloc(self->fd, viommu_id, 0, QUEUE_IOVA,
					      0, &id));
	/* a queue may start inside a page: the driver gets its exact PA */
	ASSERT_KERNEL(0, hw_queue_alloc(self->fd, viommu_id, 1,
					QUEUE_IOVA + QUEUE_OFFSET,
					psize - QUEUE_OFFSET, &q1));
	push_obj(&self->objs, q1);
	EXPECT_KERNEL(-EBUSY, nest_destroy(self->fd, q0));
	EXPECT_KERNEL(-EBUSY, nest_destroy(self->fd, viommu_id));
	/* the hardware reads the queue: its memory cannot be unmapped */
	EXPECT_KERNEL(-EBUSY, _test_cmd_ioas_unmap(self->fd, self->ctx.ioas_id,
						   QUEUE_IOVA, psize));
	ASSERT_KERNEL(0, unwind_objs(self->fd, &self->objs));
	EXPECT_KERNEL(0, _test_cmd_ioas_unmap(self->fd, self->ctx.ioas_id,
					      QUEUE_IOVA, psize));
	munmap(buf, psize);
	ASSERT_CLEAN_UNWIND();
#endif
}

#define OFFSETOFEND(type, m)	(offsetof(type, m) + sizeof(((type *)0)->m))

/* A vIOMMU-era command: its shortest size, and what all zeros get there. */
struct vcmd_size {
	const char *name;
	unsigned long nr;
	uint32_t min;
	int zero_errno;		/* type 0 is DEFAULT, id 0 names nothing */
	bool present;		/* the running kernel has the ioctl */
};

TEST_F(vobj, vcmd_shortest_sizes)
{
#ifdef HAVE_VIOMMU
	const struct vcmd_size cmds[] = {
		{ "IOMMU_VIOMMU_ALLOC", IOMMU_VIOMMU_ALLOC,
		  OFFSETOFEND(struct iommu_viommu_alloc, out_viommu_id),
		  EOPNOTSUPP, true },
		{ "IOMMU_VDEVICE_ALLOC", IOMMU_VDEVICE_ALLOC,
		  OFFSETOFEND(struct iommu_vdevice_alloc, virt_id),
		  ENOENT, true },
#ifdef HAVE_VEVENTQ
		{ "IOMMU_VEVENTQ_ALLOC", IOMMU_VEVENTQ_ALLOC,
		  OFFSETOFEND(struct iommu_veventq_alloc, out_veventq_fd),
		  EOPNOTSUPP, self->kernel.veventq },
#endif
#ifdef HAVE_HW_QUEUE
		{ "IOMMU_HW_QUEUE_ALLOC", IOMMU_HW_QUEUE_ALLOC,
		  OFFSETOFEND(struct iommu_hw_queue_alloc, length),
		  EOPNOTSUPP, self->kernel.hw_queue },
#endif
	};
	uint32_t before = 0, after = 0, buf[16];
	unsigned int i;

	ASSERT_KERNEL(0, nest_test_next_free_id(self->fd, &before));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (!cmds[i].present)
			continue;
		/* a word short: EINVAL before any field is read */
		memset(buf, 0, sizeof(buf));
		buf[0] = cmds[i].min - 4;
		EXPECT_EQ(-EINVAL, nest_ioctl(self->fd, cmds[i].nr, buf))
			TH_LOG("kernel: %s of %u bytes", cmds[i].name, buf[0]);
		/* the shortest size gets past the size to the fields */
		memset(buf, 0, sizeof(buf));
		buf[0] = cmds[i].min;
		EXPECT_EQ(-cmds[i].zero_errno,
			  nest_ioctl(self->fd, cmds[i].nr, buf))
			TH_LOG("kernel: %s of %u zero bytes, expected %s",
			       cmds[i].name, buf[0],
			       nest_errno_name(cmds[i].zero_errno));
	}
	ASSERT_KERNEL(0, nest_test_next_free_id(self->fd, &after));
	EXPECT_EQ(before, after) TH_LOG("kernel: a refused command left an object");
	ASSERT_CLEAN_UNWIND();
#endif
}

TEST_F(vobj, iopf_on_nested_hwpt_reaches_fault_queue)
{
#if !defined(HAVE_VIOMMU) || !defined(IOMMU_FAULT_QUEUE_ALLOC)
	SKIP(return, HEADERS_LACK("IOMMU_VIOMMU_ALLOC", "6.13"));
#else
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_fault_alloc fq = { .size = sizeof(fq) };
	struct iommu_hwpt_alloc ha = {
		.size = sizeof(ha),
		.flags = IOMMU_HWPT_FAULT_ID_VALID,
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};
	struct iommu_test_cmd trig = {
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = {
			.grpid = 0x23,
			.perm = IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE,
			.addr = FAULT_ADDR,
		},
	};
	struct iommu_hwpt_page_response resp = { 0 };
	struct iommu_hwpt_pgfault f[2];
	uint32_t viommu_id = 0, vdev = 0;
	int qfd;

	VIOMMU_ON_PARENT(viommu_id);
	ASSERT_KERNEL(0, nest_ioctl(self->fd, IOMMU_FAULT_QUEUE_ALLOC, &fq));
	push_obj(&self->objs, fq.out_fault_id);
	qfd = fq.out_fault_fd;
	VDEVICE(viommu_id, 0, VIRT_ID0, vdev);
	/* the guest's stage 1 with page requests: faults go to the queue */
	ha.dev_id = self->dev[0]->dev_id;
	ha.pt_id = viommu_id;
	ha.fault_id = fq.out_fault_id;
	ASSERT_KERNEL(0, nest_ioctl(self->fd, IOMMU_HWPT_ALLOC, &ha));
	push_obj(&self->objs, ha.out_hwpt_id);
	ASSERT_KERNEL(0, self->dev[0]->ops->attach(&self->ctx, self->dev[0],
						   ha.out_hwpt_id));
	trig.trigger_iopf.dev_id = self->dev[0]->dev_id;
	ASSERT_KERNEL(0, nest_test_cmd(self->fd, &trig));
	/* reads come in whole records */
	EXPECT_EQ(-1, read(qfd, f, sizeof(f[0]) - 1));
	EXPECT_EQ(ESPIPE, errno) TH_LOG("kernel: a part record: %s",
					strerror(errno));
	/* a buffer of exactly the group's size takes the group */
	ASSERT_EQ((ssize_t)sizeof(f[0]), read(qfd, f, sizeof(f[0])))
		TH_LOG("kernel: one fault in a one-record buffer: %s",
		       strerror(errno));
	EXPECT_EQ(self->dev[0]->dev_id, f[0].dev_id) TH_LOG("kernel: dev_id");
	EXPECT_EQ(FAULT_ADDR, f[0].addr) TH_LOG("kernel: addr");
	EXPECT_EQ(0x23, f[0].grpid) TH_LOG("kernel: grpid");
	EXPECT_EQ(trig.trigger_iopf.perm, f[0].perm) TH_LOG("kernel: perm");
	EXPECT_EQ(IOMMU_PGFAULT_FLAGS_LAST_PAGE, f[0].flags)
		TH_LOG("kernel: flags 0x%x", f[0].flags);
	/* nothing more to read: 0, not a wait */
	EXPECT_EQ(0, read(qfd, f, sizeof(f))) TH_LOG("kernel: a second fault");
	/* an unknown response code, then the answer, then the same again */
	resp.cookie = f[0].cookie;
	resp.code = IOMMUFD_PAGE_RESP_INVALID + 1;
	EXPECT_EQ(-1, write(qfd, &resp, sizeof(resp)));
	EXPECT_EQ(EINVAL, errno) TH_LOG("kernel: response code %u", resp.code);
	resp.code = IOMMUFD_PAGE_RESP_SUCCESS;
	EXPECT_EQ((ssize_t)sizeof(resp), write(qfd, &resp, sizeof(resp)))
		TH_LOG("kernel: the response: %s", strerror(errno));
	EXPECT_EQ(-1, write(qfd, &resp, sizeof(resp)))
		TH_LOG("kernel: a cookie answered twice");
	/* one fault read and one not: leaving the HWPT answers both */
	ASSERT_KERNEL(0, nest_test_cmd(self->fd, &trig));
	ASSERT_KERNEL(0, nest_test_cmd(self->fd, &trig));
	ASSERT_EQ((ssize_t)sizeof(f[0]), read(qfd, f, sizeof(f[0])));
	BACK_TO_PARENT(0);
	EXPECT_EQ(0, read(qfd, f, sizeof(f)))
		TH_LOG("kernel: a fault outlived the detach");
	resp.cookie = f[0].cookie;
	EXPECT_EQ(-1, write(qfd, &resp, sizeof(resp)))
		TH_LOG("kernel: a fault answered on detach can be answered again");
	close(qfd);
	ASSERT_CLEAN_UNWIND();
#endif
}

#ifdef MOCK_PASID_WIDTH
/* One PASID attach through the mock's test op (@hwpt_id 0: detach). */
static int pasid_attach(int fd, uint32_t stdev_id, uint32_t pasid,
			uint32_t hwpt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_ATTACH,
		.id = stdev_id,
		.pasid_attach = { .pasid = pasid, .pt_id = hwpt_id },
	};

	if (!hwpt_id) {
		cmd.op = IOMMU_TEST_OP_PASID_DETACH;
		cmd.pasid_detach.pasid = pasid;
	}
	return nest_test_cmd(fd, &cmd);
}
#endif

/*
 * Nested HWPTs on a PASID: only one allocated with ALLOC_PASID may go
 * there, whether it stands on the parent or on a vIOMMU.
 */
TEST(nested_hwpts_on_a_pasid)
{
#if !defined(HAVE_VIOMMU) || !defined(MOCK_PASID_WIDTH)
	SKIP(return, HEADERS_LACK("MOCK_FLAGS_DEVICE_PASID", "6.15"));
#else
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_test_cmd check = {
		.op = IOMMU_TEST_OP_PASID_CHECK_HWPT,
		.pasid_check = { .pasid = 1 },
	};
	uint32_t ioas = 0, stdev = 0, idev = 0, hwpt = 0, parent = 0;
	uint32_t nested[4] = { 0 }, viommu_id = 0, plain = 0;
#ifdef IOMMU_TEST_PASID_RESERVED
	struct iommu_test_cmd fail = {
		.op = IOMMU_TEST_OP_PASID_REPLACE,
		.pasid_replace = { .pasid = IOMMU_TEST_PASID_RESERVED },
	};
#endif
	struct vobj_kernel kernel;
	char err[VIOMMU_ERR_LEN];
	int fd, rc, i;

	fd = nest_mock_open(err, sizeof(err));
	if (fd < 0)
		SKIP(return, "%s", err);
	probe_kernel(fd, &kernel);
	if (!kernel.viommu)
		SKIP(goto out, "kernel lacks IOMMU_VIOMMU_ALLOC (ENOTTY): Linux 6.13 or later needed");
	ASSERT_KERNEL(0, nest_ioas_alloc(fd, &ioas));
	rc = nest_test_mock_domain_flags(fd, ioas, MOCK_FLAGS_DEVICE_PASID,
					 &stdev, &idev, &hwpt);
	/* PASID mock devices came with vEVENTQs (6.15) */
	if (rc == -EINVAL && !kernel.veventq)
		SKIP(goto out, "kernel refuses MOCK_FLAGS_DEVICE_PASID (EINVAL): Linux 6.15 or later needed");
	ASSERT_KERNEL(0, rc);
	ASSERT_KERNEL(0, nest_hwpt_alloc(fd, idev, ioas, 0, IOMMU_HWPT_DATA_NONE,
					 NULL, 0, &plain));
	ASSERT_KERNEL(0, nest_hwpt_alloc(fd, idev, ioas,
					 IOMMU_HWPT_ALLOC_NEST_PARENT |
					 NEST_HWPT_ALLOC_PASID,
					 IOMMU_HWPT_DATA_NONE, NULL, 0, &parent));
	/* the RID's domain must take PASIDs too, else none may attach */
	ASSERT_KERNEL(0, nest_test_mock_domain_replace(fd, stdev, parent));
	ASSERT_KERNEL(0, nest_viommu_alloc(fd, IOMMU_VIOMMU_TYPE_SELFTEST, 0,
					   idev, parent, &viommu_id));
	/* 0, 1: on the parent; 2, 3: on the vIOMMU; odd ones take PASIDs */
	for (i = 0; i < 4; i++) {
		ASSERT_KERNEL(0, nest_hwpt_alloc(fd, idev,
						 i < 2 ? parent : viommu_id,
						 i & 1 ? NEST_HWPT_ALLOC_PASID : 0,
						 IOMMU_HWPT_DATA_SELFTEST,
						 &data, sizeof(data),
						 &nested[i]))
			TH_LOG("kernel: nested HWPT %d", i);
	}
	EXPECT_KERNEL(-EINVAL, pasid_attach(fd, stdev, 1, nested[0]));
	EXPECT_KERNEL(-EINVAL, pasid_attach(fd, stdev, 1, nested[2]));
	ASSERT_KERNEL(0, pasid_attach(fd, stdev, 1, nested[1]));
	EXPECT_KERNEL(-EBUSY, pasid_attach(fd, stdev, 1, nested[1]))
		TH_LOG("kernel: a PASID attached twice");
	/* a PASID never attached detaches as a no-op */
	EXPECT_KERNEL(0, pasid_attach(fd, stdev, 2, 0));
	check.id = stdev;
	check.pasid_check.hwpt_id = nested[1];
	EXPECT_KERNEL(0, nest_test_cmd(fd, &check))
		TH_LOG("kernel: PASID 1 is not on its nested HWPT");
	/* replaced by the vIOMMU's nested HWPT that takes PASIDs */
	{
		struct iommu_test_cmd replace = {
			.op = IOMMU_TEST_OP_PASID_REPLACE,
			.id = stdev,
			.pasid_replace = { .pasid = 1, .pt_id = nested[2] },
		};

		EXPECT_KERNEL(-EINVAL, nest_test_cmd(fd, &replace));
		replace.pasid_replace.pt_id = nested[3];
		EXPECT_KERNEL(0, nest_test_cmd(fd, &replace));
	}
	check.pasid_check.hwpt_id = nested[3];
	EXPECT_KERNEL(0, nest_test_cmd(fd, &check))
		TH_LOG("kernel: PASID 1 is not on the vIOMMU's nested HWPT");
	/* a PASID is taken: the RID may not move to a HWPT without PASIDs */
	EXPECT_KERNEL(-EINVAL, nest_test_mock_domain_replace(fd, stdev, plain));
	EXPECT_KERNEL(0, pasid_attach(fd, stdev, 1, 0));
#ifdef IOMMU_TEST_PASID_RESERVED
	/* the driver fails the replace on this PASID: the old HWPT stays */
	fail.id = stdev;
	fail.pasid_replace.pt_id = nested[3];
	ASSERT_KERNEL(0, pasid_attach(fd, stdev, IOMMU_TEST_PASID_RESERVED,
				      nested[1]));
	EXPECT_KERNEL(-ENOMEM, nest_test_cmd(fd, &fail))
		TH_LOG("kernel: the mock's failure on replace is lost");
	check.pasid_check.pasid = IOMMU_TEST_PASID_RESERVED;
	check.pasid_check.hwpt_id = nested[1];
	EXPECT_KERNEL(0, nest_test_cmd(fd, &check))
		TH_LOG("kernel: a failed replace left the PASID off its HWPT");
	/* hwpt 0 asks whether the PASID is free */
	check.pasid_check.hwpt_id = 0;
	EXPECT_KERNEL(-EINVAL, nest_test_cmd(fd, &check))
		TH_LOG("kernel: an attached PASID checks as free");
	EXPECT_KERNEL(0, pasid_attach(fd, stdev, IOMMU_TEST_PASID_RESERVED, 0));
	EXPECT_KERNEL(0, nest_test_cmd(fd, &check))
		TH_LOG("kernel: a detached PASID checks as attached");
	/* what is no mock device takes no PASID */
	fail.id = ioas;
	EXPECT_KERNEL(-ENOENT, nest_test_cmd(fd, &fail));
	EXPECT_KERNEL(-ENOENT, pasid_attach(fd, ioas, 1, 0));
	EXPECT_KERNEL(-ENOENT, pasid_attach(fd, ioas, 1, nested[1]));
#endif
	for (i = 3; i >= 0; i--)
		EXPECT_KERNEL(0, nest_destroy(fd, nested[i]));
	EXPECT_KERNEL(0, nest_destroy(fd, viommu_id));
	EXPECT_KERNEL(0, nest_test_mock_domain_replace(fd, stdev, ioas));
	EXPECT_KERNEL(0, nest_destroy(fd, parent));
	EXPECT_KERNEL(0, nest_destroy(fd, plain));
	EXPECT_KERNEL(0, nest_destroy(fd, stdev));
	EXPECT_KERNEL(0, nest_destroy(fd, ioas));
out:
	close(fd);
#endif
}

/*
 * The point of asking the vIOMMU first: without the nesting-parent flag
 * the engine builds a plain HWPT, and no vIOMMU object can stand on it.
 */
TEST(flags_without_nesting_parent_cannot_back_a_viommu)
{
#ifndef HAVE_VIOMMU
	SKIP(return, HEADERS_LACK("IOMMU_VIOMMU_ALLOC", "6.13"));
#else
	struct viommu_config cfg;
	struct vobj_kernel kernel;
	char err[VIOMMU_ERR_LEN];
	struct nest_dev *dev;
	struct nest_ctx ctx;
	struct viommu v;
	uint32_t id = 0;
	unsigned int mark;
	int fd;

	fd = nest_mock_open(err, sizeof(err));
	if (fd < 0)
		SKIP(return, "%s", err);
	probe_kernel(fd, &kernel);
	if (!kernel.viommu) {
		close(fd);
		SKIP(return, "kernel lacks IOMMU_VIOMMU_ALLOC (ENOTTY): Linux 6.13 or later needed");
	}
	ASSERT_EQ(0, viommu_config_parse("selftest-iommu,nesting=off", &cfg,
					 err, sizeof(err)))
		TH_LOG("model: %s", err);
	viommu_init(&v, &cfg);
	ASSERT_EQ(0, viommu_get_flags(&v) & VIOMMU_FLAG_WANT_NESTING_PARENT)
		TH_LOG("model: nesting=off wants a nesting parent");
	ASSERT_EQ(0, nest_ctx_init(&ctx, fd, &v)) TH_LOG("kernel: %s", ctx.err);
	dev = nest_mock_dev_new("mock0", 0);
	ASSERT_NE(NULL, dev) TH_LOG("test: out of memory");
	ASSERT_EQ(0, nest_attach_device(&ctx, dev))
		TH_LOG("%s: %s", nest_blame(&ctx, 0), ctx.err);
	EXPECT_KERNEL(-EINVAL,
		      _test_cmd_viommu_alloc(fd, IOMMU_VIOMMU_TYPE_SELFTEST, 0,
					     dev->dev_id, dev->hwpt_id, &id));
	mark = ctx.nr_events;
	EXPECT_EQ(0, nest_detach_device(&ctx, dev))
		TH_LOG("%s: %s", nest_blame(&ctx, mark), ctx.err);
	nest_dev_free(dev);
	/* the container went with its last HWPT: nothing is left */
	EXPECT_EQ(0, nest_count_live_ids(&ctx))
		TH_LOG("%s: objects outlived the device",
		       nest_blame_leak(&ctx));
	nest_ctx_fini(&ctx);
	close(fd);
#endif
}

TEST_HARNESS_MAIN
