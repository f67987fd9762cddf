// SPDX-License-Identifier: GPL-2.0
/*
 * The nesting path on real PCI devices through VFIO cdev.  Devices come
 * as trailing BDF arguments or IOMMUFD_NEST_BDF (comma-separated), bound
 * to vfio-pci; with none, every test SKIPs.  Expected outcomes come from
 * each device's own IOMMU_GET_HW_INFO, never from a list of hosts.  Bad
 * input to the cdev ioctls is iommufd_nest_cdev_input_test's.  Failures
 * name the side that disagreed (nest_blame.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nest_kselftest.h"

#include "nest_engine.h"
#include "nest_trace.h"
#include "nest_ioctl_test.h"
#include "backend_cdev.h"
#include "edu.h"
#include "hw_info.h"
#include "pci_sysfs.h"
#include "viommu_model.h"
#include "nest_bdfs.h"
#include "nest_blame.h"
#include "nest_util.h"

#define IOVA_A		0x100000
#define IOVA_B		0x200000
#define IOVA_C		0x300000
#define PAGE		4096
#define DMA_LEN		EDU_DMA_MAX

/* What a device's IOMMU says about itself, read without the engine. */
struct hw_facts {
	uint32_t type;
	uint64_t caps;
	uint8_t data[VIOMMU_HW_DATA_MAX];
	uint32_t len;
	enum hw_nesting nesting;
	char why[96];		/* why the kernel nests or not */
	char hw_why[96];	/* what hw_info alone says */
	bool bridged;
	bool edu;
	bool smmuv3;	/* behind arm-smmu-v3, by hw_info or by driver */
};

/* Whether @bdf's IOMMU is driven by arm-smmu-v3, from sysfs. */
static bool iommu_is_smmuv3(const char *bdf)
{
	char path[96], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu/device/driver",
		 bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = 0;
	return !strcmp(strrchr(link, '/') ? strrchr(link, '/') + 1 : link,
		       "arm-smmu-v3");
}

static int probe_hw(const char *bdf, struct hw_facts *f)
{
	unsigned int vendor = 0, device = 0;
	uint32_t dev_id = 0, len = sizeof(f->data);
	char path[64];
	int iommufd, fd, rc;

	memset(f, 0, sizeof(*f));
	if (pci_vfio_cdev(bdf, path, sizeof(path)))
		return -ENODEV;
	iommufd = open("/dev/iommu", O_RDWR);
	fd = open(path, O_RDWR);
	if (iommufd < 0 || fd < 0)
		rc = -errno;
	else
		rc = nest_vfio_bind_iommufd(fd, iommufd, &dev_id);
	if (!rc)
		rc = nest_get_hw_info(iommufd, dev_id, f->data, &len, &f->type,
				      &f->caps);
	close(fd);
	close(iommufd);
	if (rc)
		return rc;
	f->len = len < sizeof(f->data) ? len : sizeof(f->data);
	f->nesting = hw_info_nesting(f->type, f->data, f->len, f->why,
				     sizeof(f->why));
	memcpy(f->hw_why, f->why, sizeof(f->hw_why));
	f->smmuv3 = f->type == VIOMMU_HW_INFO_TYPE_ARM_SMMUV3 ||
		    iommu_is_smmuv3(bdf);
	/*
	 * The probe, not the version: an arm-smmu-v3 that reports no hw_info
	 * (type NONE) is the driver before Linux 6.13, whose domain_alloc_user
	 * takes only DIRTY_TRACKING: no nesting parent, whatever the IDRs say.
	 */
	if (f->smmuv3 && f->type == VIOMMU_HW_INFO_TYPE_NONE) {
		f->nesting = HW_NESTING_NO;
		snprintf(f->why, sizeof(f->why),
			 "arm-smmu-v3 reports no hw_info: the driver before Linux 6.13 has no nesting parent");
	}
	f->bridged = pci_behind_bridge(bdf);
	f->edu = !pci_ids(bdf, &vendor, &device) && vendor == EDU_VENDOR &&
		 device == EDU_DEVICE;
	return 0;
}

static uint64_t vtd_cap(const struct hw_facts *f)
{
	uint64_t cap;

	memcpy(&cap, f->data + 8, sizeof(cap));
	return cap;
}

/* The usable IOVA ranges of @ioas, read without the engine; -1 on error. */
static int iova_ranges(int fd, uint32_t ioas, struct iommu_iova_range *r,
		       unsigned int max)
{
	uint32_t n = max;

	if (nest_ioas_iova_ranges(fd, ioas, r, &n, NULL))
		return -1;
	return n < max ? n : max;
}

/* Bits of the last usable IOVA of @ioas. */
static unsigned int ioas_aw_bits(int fd, uint32_t ioas)
{
	struct iommu_iova_range r[16];
	int n = iova_ranges(fd, ioas, r, 16);
	unsigned int bits = 0;
	uint64_t last;

	if (n <= 0)
		return 0;
	for (last = r[n - 1].last; last; last >>= 1)
		bits++;
	return bits;
}

/* One page at a fixed @iova, with @flags for its access. */
static int ioas_map(int fd, uint32_t ioas, void *buf, uint64_t iova,
		    uint32_t flags)
{
	return nest_ioas_map(fd, ioas, IOMMU_IOAS_MAP_FIXED_IOVA | flags, buf,
			     PAGE, &iova);
}

/* ---- every vIOMMU config on every given device ---- */

/* A context, its vIOMMU, and one engine device per given BDF. */
struct cdev_env {
	int fd;
	struct viommu viommu;
	struct nest_ctx ctx;
	struct nest_dev *dev[MAX_BDFS];
	struct hw_facts hw[MAX_BDFS];
};

FIXTURE(cdev_nest) {
	struct cdev_env e;
};

FIXTURE_VARIANT(cdev_nest) {
	const char *config;
};

FIXTURE_VARIANT_ADD(cdev_nest, none) { "none" };
FIXTURE_VARIANT_ADD(cdev_nest, virtio_iommu) { "virtio-iommu" };
FIXTURE_VARIANT_ADD(cdev_nest, intel_flts_off) {
	"intel-iommu,caching-mode=on,scalable-mode=on,fsts=off"
};
FIXTURE_VARIANT_ADD(cdev_nest, intel_flts_on) {
	"intel-iommu,caching-mode=on,scalable-mode=on,fsts=on"
};
FIXTURE_VARIANT_ADD(cdev_nest, smmuv3_accel) { "arm-smmuv3,accel=on" };

/* Open the context for @config and one engine device per given BDF. */
static void cdev_setup(struct __test_metadata *_metadata,
		       struct cdev_env *self, const char *config)
{
	struct viommu_config cfg;
	char err[VIOMMU_ERR_LEN];
	int i, rc;

	if (!nr_bdfs)
		SKIP(return, "no device: pass BDFs or set IOMMUFD_NEST_BDF");
	self->fd = open("/dev/iommu", O_RDWR);
	if (self->fd < 0)
		SKIP(return, "no /dev/iommu (%s): kernel lacks CONFIG_IOMMUFD",
		     strerror(errno));
	ASSERT_EQ(0, viommu_config_parse(config, &cfg, err, sizeof(err)))
		TH_LOG("model: %s", err);
	viommu_init(&self->viommu, &cfg);
	ASSERT_EQ(0, nest_ctx_init(&self->ctx, self->fd, &self->viommu))
		TH_LOG("kernel: %s", self->ctx.err);
	for (i = 0; i < nr_bdfs; i++) {
		rc = probe_hw(bdfs[i], &self->hw[i]);
		ASSERT_EQ(0, rc)
			TH_LOG("kernel: %s: cannot read hw_info: %s", bdfs[i],
			       strerror(-rc));
		self->dev[i] = nest_cdev_dev_new(bdfs[i], err, sizeof(err));
		ASSERT_NE(NULL, self->dev[i]) TH_LOG("test: %s", err);
	}
}

static void cdev_teardown(struct cdev_env *self)
{
	nest_vm_teardown(&self->ctx, self->dev, nr_bdfs);
	close(self->fd);
}

FIXTURE_SETUP(cdev_nest)
{
	cdev_setup(_metadata, &self->e, variant->config);
}

FIXTURE_TEARDOWN(cdev_nest)
{
	cdev_teardown(&self->e);
}

/* Checks that need one plain attach per device, under no vIOMMU. */
FIXTURE(cdev_plain) {
	struct cdev_env e;
};

FIXTURE_SETUP(cdev_plain)
{
	cdev_setup(_metadata, &self->e, "none");
}

FIXTURE_TEARDOWN(cdev_plain)
{
	cdev_teardown(&self->e);
}

/* Append "@bdf: @what" to @list, "; " between entries. */
static void list_add(char *list, size_t len, const char *bdf,
		     const char *what)
{
	size_t used = strlen(list);

	if (used < len)
		snprintf(list + used, len - used, "%s%s: %s", used ? "; " : "",
			 bdf, what);
}

/*
 * NEST_PARENT is granted iff the hardware says it can nest; a refusal
 * fails the attach with the cause named and leaves no object behind.
 * A device whose hw_info cannot be judged is logged, not checked; with
 * no device judged, the test SKIPs with the reason.
 */
TEST_F(cdev_nest, nest_parent_matches_hw)
{
	bool want = viommu_config_flags(&self->e.viommu.cfg) &
		    VIOMMU_FLAG_WANT_NESTING_PARENT;
	int i, ev, rc, alloc_err, judged = 0;
	char unknown[512] = "";
	unsigned int mark;

	for (i = 0; i < nr_bdfs; i++) {
		const struct hw_facts *hw = &self->e.hw[i];

		mark = self->e.ctx.nr_events;
		rc = nest_attach_device(&self->e.ctx, self->e.dev[i]);
		ev = nest_trace_find(&self->e.ctx, mark, NEST_EV_HWPT_ALLOC);
		ASSERT_LE(0, ev) TH_LOG("%s: %s: no HWPT_ALLOC: %s",
					nest_blame(&self->e.ctx, mark),
					bdfs[i], self->e.ctx.err);
		alloc_err = self->e.ctx.trace[ev].err;
		if (!want || hw->nesting == HW_NESTING_YES) {
			judged++;
			ASSERT_EQ(0, alloc_err)
				TH_LOG("kernel: %s: hw_info says %s; HWPT_ALLOC flags 0x%llx answered %s",
				       bdfs[i], hw->why,
				       (unsigned long long)self->e.ctx.trace[ev].arg,
				       nest_errno_name(alloc_err));
		} else if (hw->nesting == HW_NESTING_NO) {
			judged++;
			ASSERT_EQ(EOPNOTSUPP, alloc_err)
				TH_LOG("kernel: %s: hw_info says %s; NEST_PARENT answered %s",
				       bdfs[i], hw->why,
				       alloc_err ? nest_errno_name(alloc_err) : "success");
			ASSERT_EQ(-EOPNOTSUPP, rc)
				TH_LOG("engine: %s: the refused NEST_PARENT: %s",
				       bdfs[i], self->e.ctx.err);
			ASSERT_NE(NULL, strstr(self->e.ctx.err,
					       "cannot be a nesting parent"))
				TH_LOG("engine: %s: %s", bdfs[i],
				       self->e.ctx.err);
			/* only the IOAS is alive: nothing left behind */
			ASSERT_EQ(0, self->e.ctx.nr_hwpts)
				TH_LOG("engine: %s: HWPTs still listed",
				       bdfs[i]);
		} else {
			TH_LOG("%s: not checked, hw_info cannot tell whether the IOMMU nests (%s); NEST_PARENT answered %s",
			       bdfs[i], hw->why,
			       alloc_err ? nest_errno_name(alloc_err) : "success");
			list_add(unknown, sizeof(unknown), bdfs[i], hw->why);
		}
		if (rc && rc != -EOPNOTSUPP) {
			/* the vIOMMU may refuse later, but must say why */
			ASSERT_EQ(-EPERM, rc)
				TH_LOG("%s: %s", nest_blame(&self->e.ctx, mark),
				       self->e.ctx.err);
			ASSERT_NE(NULL, strstr(self->e.ctx.err, "refused"))
				TH_LOG("model: %s", self->e.ctx.err);
		}
		TH_LOG("%s: %s", bdfs[i], rc ? self->e.ctx.err : "attached");
		/* leave, so the next device allocates its own HWPT */
		nest_detach_device(&self->e.ctx, self->e.dev[i]);
	}
	if (!judged)
		SKIP(return, "no device's IOMMU can be judged for NEST_PARENT: %s",
		     unknown);
}

/* The model's set_iommu_device() checks on each device's real hw_info. */
TEST_F(cdev_plain, model_checks_on_real_hw_info)
{
	struct cdev_env *n = &self->e;
	static const char *const fsts =
		"intel-iommu,caching-mode=on,scalable-mode=on,fsts=on";
	struct viommu_config cfg;
	struct viommu_hiod hh;
	char why[VIOMMU_ERR_LEN], str[128];
	unsigned int aw, mark;
	int i, rc;

	for (i = 0; i < nr_bdfs; i++) {
		const struct hw_facts *hw = &n->hw[i];
		const struct viommu_hiod *h = &n->dev[i]->hiod;
		bool vtd = hw->type == VIOMMU_HW_INFO_TYPE_INTEL_VTD;

		mark = n->ctx.nr_events;
		ASSERT_EQ(0, nest_attach_device(&n->ctx, n->dev[i]))
			TH_LOG("%s: %s", nest_blame(&n->ctx, mark), n->ctx.err);
		aw = ioas_aw_bits(n->fd, nest_find_hwpt(&n->ctx, n->dev[i]->hwpt_id)->ioas_id);
		ASSERT_EQ(aw, h->host_aw_bits)
			TH_LOG("engine: %s: hiod aw %u, the IOAS's %u", bdfs[i],
			       h->host_aw_bits, aw);
		/* the placement is the VM's: a plain BDF is on its root bus */
		ASSERT_FALSE(h->behind_bridge)
			TH_LOG("engine: %s: placed behind a bridge", bdfs[i]);

		/* aw-bits against the IOAS's usable ranges */
		ASSERT_EQ(0, viommu_config_parse("intel-iommu,caching-mode=on,aw-bits=48",
						 &cfg, why, sizeof(why)))
			TH_LOG("model: %s", why);
		rc = viommu_check_hiod(&cfg, h, why, sizeof(why));
		ASSERT_EQ(aw < 48 ? -EINVAL : 0, rc) TH_LOG("model: %s", why);

		/* fsts=on on this hw_info, at fsts's 48 bits: the type first */
		hh = *h;
		hh.host_aw_bits = 48;
		snprintf(str, sizeof(str), "%s,fs1gp=off", fsts);
		ASSERT_EQ(0, viommu_config_parse(str, &cfg, why, sizeof(why)))
			TH_LOG("model: %s", why);
		rc = viommu_check_hiod(&cfg, &hh, why, sizeof(why));
		if (!vtd) {
			ASSERT_EQ(-EINVAL, rc)
				TH_LOG("model: fsts=on took a non-VT-d host");
			ASSERT_NE(NULL, strstr(why, "Incompatible host platform IOMMU type"))
				TH_LOG("model: %s", why);
			continue;
		}
		ASSERT_EQ(0, rc) TH_LOG("model: %s", why);
		/* placed behind a bridge in the VM: refused for fsts=on only */
		hh.behind_bridge = true;
		rc = viommu_check_hiod(&cfg, &hh, why, sizeof(why));
		ASSERT_EQ(-EINVAL, rc) TH_LOG("model: a bridge with fsts=on");
		ASSERT_NE(NULL, strstr(why, "downstream to a PCI bridge"))
			TH_LOG("model: %s", why);
		ASSERT_EQ(0, viommu_config_parse("intel-iommu,caching-mode=on,scalable-mode=on,aw-bits=39",
						 &cfg, why, sizeof(why)))
			TH_LOG("model: %s", why);
		ASSERT_EQ(0, viommu_check_hiod(&cfg, &hh, why, sizeof(why)))
			TH_LOG("model: %s", why);
		hh.behind_bridge = false;

		/* fs1gp=on follows cap_reg bit 56 */
		snprintf(str, sizeof(str), "%s,fs1gp=on", fsts);
		ASSERT_EQ(0, viommu_config_parse(str, &cfg, why, sizeof(why)))
			TH_LOG("model: %s", why);
		rc = viommu_check_hiod(&cfg, &hh, why, sizeof(why));
		if (!(vtd_cap(hw) & VTD_CAP_FS1GP)) {
			ASSERT_EQ(-EINVAL, rc)
				TH_LOG("model: fs1gp=on without cap.FS1GP");
			ASSERT_NE(NULL, strstr(why, "First stage 1GB large page is unsupported"))
				TH_LOG("model: %s", why);
		}
	}
}

/*
 * Attach every device, tear down in reverse, and nothing may be left.
 * A refusal (NEST_PARENT on a host that cannot nest, or the vIOMMU
 * refusing the host IOMMU device) is allowed, and what the refused
 * attach made is checked gone all the same; when every attach was
 * refused there was no reverse teardown, and the test SKIPs saying so.
 */
TEST_F(cdev_nest, reverse_teardown_leaves_nothing)
{
	bool want = viommu_config_flags(&self->e.viommu.cfg) &
		    VIOMMU_FLAG_WANT_NESTING_PARENT;
	int i, rc, attached = 0, leaks = 0;
	char first[NEST_ERR_LEN] = "";
	unsigned int mark;

	for (i = 0; i < nr_bdfs; i++) {
		struct nest_dev *dev = self->e.dev[i];

		mark = self->e.ctx.nr_events;
		rc = nest_attach_device(&self->e.ctx, dev);
		if (!rc) {
			/* on a HWPT of this context that the kernel holds */
			ASSERT_TRUE(dev->bound && dev->hiod_set)
				TH_LOG("engine: %s: not bound and set", bdfs[i]);
			ASSERT_NE(NULL, nest_find_hwpt(&self->e.ctx, dev->hwpt_id))
				TH_LOG("engine: %s: HWPT %u not listed", bdfs[i],
				       dev->hwpt_id);
			test_err_destroy(EBUSY, self->e.fd, dev->hwpt_id)
				TH_LOG("%s: HWPT %u is not attached", bdfs[i],
				       dev->hwpt_id);
			attached++;
			continue;
		}
		ASSERT_TRUE((rc == -EOPNOTSUPP && want) ||
			    (rc == -EPERM && strstr(self->e.ctx.err, "refused")))
			TH_LOG("%s: attach failed: %s",
			       nest_blame(&self->e.ctx, mark), self->e.ctx.err);
		/* it got as far as a bind: there was something to undo */
		ASSERT_LT(mark, self->e.ctx.nr_events)
			TH_LOG("engine: %s: the refusal traced nothing", bdfs[i]);
		ASSERT_EQ(NEST_EV_BIND, self->e.ctx.trace[mark].type)
			TH_LOG("engine: %s: the attach did not bind first",
			       bdfs[i]);
		ASSERT_EQ(0, self->e.ctx.trace[mark].err)
			TH_LOG("kernel: %s: bind answered %s", bdfs[i],
			       nest_errno_name(self->e.ctx.trace[mark].err));
		ASSERT_FALSE(dev->bound)
			TH_LOG("engine: %s: still bound after the refusal",
			       bdfs[i]);
		TH_LOG("refused: %s", self->e.ctx.err);
		if (!first[0])
			memcpy(first, self->e.ctx.err, sizeof(first));
	}
	ASSERT_EQ(!!attached, self->e.ctx.nr_hwpts > 0)
		TH_LOG("engine: %u HWPTs listed for %d attached devices",
		       self->e.ctx.nr_hwpts, attached);
	for (i = nr_bdfs - 1; i >= 0; i--) {
		mark = self->e.ctx.nr_events;
		ASSERT_EQ(0, nest_detach_device(&self->e.ctx, self->e.dev[i]))
			TH_LOG("%s: %s", nest_blame(&self->e.ctx, mark),
			       self->e.ctx.err);
	}
	ASSERT_EQ(0, self->e.ctx.nr_hwpts) TH_LOG("engine: HWPTs still listed");
	ASSERT_EQ(0, nest_ctx_fini(&self->e.ctx))
		TH_LOG("kernel: destroying the IOAS: %s", self->e.ctx.err);
	/* the IOAS and at least one device were made */
	ASSERT_LE(2, self->e.ctx.nr_ids) TH_LOG("engine: too few ids noted");
	for (i = 0; i < (int)self->e.ctx.nr_ids; i++) {
		rc = nest_destroy(self->e.fd, self->e.ctx.ids[i]);
		if (rc != -ENOENT) {
			TH_LOG("%s: object %u outlived the teardown (IOMMU_DESTROY: %s)",
			       nest_blame_leak(&self->e.ctx), self->e.ctx.ids[i],
			       rc ? nest_errno_name(-rc) : "ok");
			leaks++;
		}
	}
	ASSERT_EQ(0, leaks) TH_LOG("%s: %d objects left",
				   nest_blame_leak(&self->e.ctx), leaks);
	if (!attached)
		SKIP(return, "no reverse teardown: all %d attaches were refused (first: %s); what they made is gone",
		     nr_bdfs, first);
}

TEST_F(cdev_plain, hw_info_decoded)
{
	char text[1024], copy[1024], want[64], *line, *save;
	uint64_t reg;
	int i;

	for (i = 0; i < nr_bdfs; i++) {
		const struct hw_facts *hw = &self->e.hw[i];

		ASSERT_EQ(0, hw_info_describe(hw->type, hw->data, hw->len, text,
					      sizeof(text)))
			TH_LOG("engine: %s: hw_info does not decode", bdfs[i]);
		memcpy(copy, text, sizeof(copy));
		for (line = strtok_r(copy, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			TH_LOG("%s: %s", bdfs[i], line);
		snprintf(want, sizeof(want), "type 0x%x (%s)", hw->type,
			 hw_info_type_name(hw->type));
		ASSERT_NE(NULL, strstr(text, want))
			TH_LOG("engine: %s: no '%s' decoded", bdfs[i], want);
		ASSERT_NE(NULL, strstr(text, hw->hw_why))
			TH_LOG("engine: %s: no '%s' decoded", bdfs[i],
			       hw->hw_why);
		if (hw->type != VIOMMU_HW_INFO_TYPE_INTEL_VTD)
			continue;
		reg = vtd_cap(hw);
		snprintf(want, sizeof(want), "cap_reg 0x%llx\n",
			 (unsigned long long)reg);
		ASSERT_NE(NULL, strstr(text, want))
			TH_LOG("engine: %s: no '%s' decoded", bdfs[i], want);
		memcpy(&reg, hw->data + 16, 8);
		snprintf(want, sizeof(want), "ecap_reg 0x%llx\n",
			 (unsigned long long)reg);
		ASSERT_NE(NULL, strstr(text, want))
			TH_LOG("engine: %s: no '%s' decoded", bdfs[i], want);
	}
}

/* Does one usable IOVA range of @ioas hold [start, last]?  Lists them. */
static bool iovas_usable(int fd, uint32_t ioas, uint64_t start, uint64_t last,
			 char *list, size_t len)
{
	struct iommu_iova_range r[16];
	int i, n = iova_ranges(fd, ioas, r, 16);
	size_t used = 0;
	bool ok = false;

	list[0] = 0;
	for (i = 0; i < n; i++) {
		ok |= r[i].start <= start && last <= r[i].last;
		if (used < len)
			used += snprintf(list + used, len - used, "%s0x%llx-0x%llx",
					 i ? ", " : "",
					 (unsigned long long)r[i].start,
					 (unsigned long long)r[i].last);
	}
	return ok;
}

/* ---- DMA through the IOAS, on edu devices ---- */

FIXTURE(cdev_dma) {
	int fd;
	struct viommu viommu;
	struct nest_ctx ctx;
	struct nest_dev *dev;
	struct edu *edu;
	uint8_t *buf[3];
	int edu_idx;
};

FIXTURE_SETUP(cdev_dma)
{
	struct viommu_config cfg;
	struct hw_facts hw;
	char err[VIOMMU_ERR_LEN];
	int i;

	self->edu_idx = -1;
	for (i = 0; i < nr_bdfs && self->edu_idx < 0; i++)
		if (!probe_hw(bdfs[i], &hw) && hw.edu && !hw.bridged)
			self->edu_idx = i;
	if (self->edu_idx < 0)
		SKIP(return, "no edu device (1234:11e8) outside a bridge among the given BDFs");
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("kernel: /dev/iommu: %s", strerror(errno));
	ASSERT_EQ(0, viommu_config_parse("none", &cfg, err, sizeof(err)))
		TH_LOG("model: %s", err);
	viommu_init(&self->viommu, &cfg);
	ASSERT_EQ(0, nest_ctx_init(&self->ctx, self->fd, &self->viommu))
		TH_LOG("kernel: %s", self->ctx.err);
	self->dev = nest_cdev_dev_new(bdfs[self->edu_idx], err, sizeof(err));
	ASSERT_NE(NULL, self->dev) TH_LOG("test: %s", err);
	ASSERT_EQ(0, nest_attach_device(&self->ctx, self->dev))
		TH_LOG("%s: %s", nest_blame(&self->ctx, 0), self->ctx.err);
	if (!iovas_usable(self->fd, self->ctx.ioas_id, IOVA_A, IOVA_C + PAGE - 1,
			  err, sizeof(err)))
		SKIP(return, "the IOAS cannot map the test IOVAs 0x%x-0x%x: its usable ranges are only %s (the IOMMU driver reports that aperture)",
		     IOVA_A, IOVA_C + PAGE - 1, err);
	self->edu = edu_open(nest_cdev_fd(self->dev), err, sizeof(err));
	ASSERT_NE(NULL, self->edu) TH_LOG("kernel: edu through VFIO: %s", err);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, posix_memalign((void **)&self->buf[i], PAGE, PAGE))
			TH_LOG("test: out of memory");
}

FIXTURE_TEARDOWN(cdev_dma)
{
	int i;

	edu_close(self->edu);
	nest_detach_device(&self->ctx, self->dev);
	nest_dev_free(self->dev);
	nest_ctx_fini(&self->ctx);
	close(self->fd);
	for (i = 0; i < 3; i++)
		free(self->buf[i]);
}

/*
 * Map @src at IOVA_A and @dst at @iova, and have the edu copy DMA_LEN
 * bytes from one to the other through the IOAS.
 */
#define EDU_COPY(src, dst, iova) do {					\
	uint32_t __rw = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE; \
	ASSERT_EQ(0, ioas_map(self->fd, self->ctx.ioas_id, src, IOVA_A, \
			      __rw))					\
		TH_LOG("kernel: IOAS_MAP of the source");		\
	ASSERT_EQ(0, ioas_map(self->fd, self->ctx.ioas_id, dst, iova,	\
			      __rw))					\
		TH_LOG("kernel: IOAS_MAP of the target");		\
	ASSERT_EQ(0, edu_dma(self->edu, IOVA_A, DMA_LEN, false))	\
		TH_LOG("kernel: the DMA from the source failed");	\
	ASSERT_EQ(0, edu_dma(self->edu, iova, DMA_LEN, true))		\
		TH_LOG("kernel: the DMA to the target failed");		\
	ASSERT_EQ(0, memcmp(src, dst, DMA_LEN))				\
		TH_LOG("kernel: the DMA through the IOAS changed the data"); \
} while (0)

TEST_F(cdev_dma, round_trip_through_ioas)
{
	uint8_t *a = self->buf[0], *b = self->buf[1];
	int i;

	for (i = 0; i < PAGE; i++)
		a[i] = i * 7 + 3;
	memset(b, 0, PAGE);
	EDU_COPY(a, b, IOVA_B);
	/* past the copy, B is untouched */
	ASSERT_EQ(0, b[DMA_LEN]) TH_LOG("kernel: the DMA wrote past its end");
}

TEST_F(cdev_dma, unmapped_iova_never_reaches_memory)
{
	uint8_t *a = self->buf[0], *c = self->buf[2];
	int i;

	for (i = 0; i < PAGE; i++)
		a[i] = i ^ 0xa5;
	memset(c, 0x5a, PAGE);
	/* mapped: the device can write it */
	EDU_COPY(a, c, IOVA_C);
	memset(c, 0x5a, PAGE);
	test_cmd_ioas_unmap(self->fd, self->ctx.ioas_id, IOVA_C, PAGE);
	/* unmapped: the same DMA must not land */
	ASSERT_EQ(0, edu_dma(self->edu, IOVA_C, DMA_LEN, true))
		TH_LOG("kernel: the DMA to the unmapped IOVA failed");
	for (i = 0; i < PAGE; i++)
		ASSERT_EQ(0x5a, c[i])
			TH_LOG("kernel: byte %d changed after the unmap", i);
}

/*
 * Without the engine: @bdf's cdev bound to a new iommufd, an IOAS, and a
 * NEST_PARENT HWPT on it, not yet attached.
 */
static void open_nest_parent(struct __test_metadata *_metadata,
			     const char *bdf, int *fd, int *devfd,
			     uint32_t *dev_id, uint32_t *ioas_id,
			     uint32_t *hwpt_id)
{
	char path[64];

	ASSERT_EQ(0, pci_vfio_cdev(bdf, path, sizeof(path)))
		TH_LOG("kernel: %s has no VFIO cdev", bdf);
	*fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, *fd) TH_LOG("kernel: /dev/iommu: %s", strerror(errno));
	*devfd = open(path, O_RDWR);
	ASSERT_LE(0, *devfd) TH_LOG("kernel: %s: %s", path, strerror(errno));
	test_cmd_vfio_bind_iommufd(*devfd, *fd, dev_id);
	test_cmd_ioas_alloc(*fd, ioas_id);
	test_cmd_hwpt_alloc(*fd, *dev_id, *ioas_id,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, hwpt_id);
}

/* Read-only mappings on a nesting parent follow the errata quirk. */
TEST(ro_mapping_on_nest_parent)
{
	struct viommu_config cfg = { .kind = VIOMMU_KIND_INTEL };
	uint32_t dev_id, ioas_id, hwpt_id;
	struct viommu v;
	struct hw_facts hw;
	uint64_t quirks;
	void *buf;
	int i, found = -1, fd, devfd;

	if (!nr_bdfs)
		SKIP(return, "no device: pass BDFs or set IOMMUFD_NEST_BDF");
	for (i = 0; i < nr_bdfs && found < 0; i++)
		if (!probe_hw(bdfs[i], &hw) && hw.nesting == HW_NESTING_YES)
			found = i;
	if (found < 0)
		SKIP(return, "no given device's IOMMU can nest (%s)", hw.why);
	viommu_init(&v, &cfg);
	quirks = viommu_get_host_quirks(&v, hw.type, hw.data, hw.len);
	open_nest_parent(_metadata, bdfs[found], &fd, &devfd, &dev_id,
			 &ioas_id, &hwpt_id);
	test_cmd_vfio_attach_pt(devfd, hwpt_id);
	ASSERT_EQ(0, posix_memalign(&buf, PAGE, PAGE))
		TH_LOG("test: out of memory");
	/* with the quirk the kernel refuses read-only maps on the parent */
	ASSERT_EQ(quirks & HOST_IOMMU_QUIRK_NESTING_PARENT_BYPASS_RO ?
		  -EINVAL : 0,
		  ioas_map(fd, ioas_id, buf, IOVA_A, IOMMU_IOAS_MAP_READABLE))
		TH_LOG("kernel: a read-only map on the parent, quirks 0x%llx",
		       (unsigned long long)quirks);
	close(devfd);
	close(fd);
	free(buf);
}

#ifdef IOMMU_VIOMMU_ALLOC
#define IORT_PATH		"/sys/firmware/acpi/tables/IORT"
#define IORT_HDR_LEN		48
#define IORT_NODE_RC		2
/* root complex node: memory access flags; CANWBS is bit 2 */
#define IORT_RC_MAF		23
#define IORT_MAF_CANWBS		0x4
#define SMMU_IDR3_FWB		(1u << 8)

/*
 * Whether the firmware says the root complex's writes are coherent
 * (IORT CANWBS): 1 or 0, -1 without an IORT (a device-tree boot cannot
 * say it at all).  @why names what was found.
 */
static int iort_canwbs(char *why, size_t len)
{
	static uint8_t t[65536];
	uint32_t nodes, off, i, n = 0, size;
	int fd = open(IORT_PATH, O_RDONLY), canwbs = 0;
	ssize_t got;

	if (fd < 0) {
		snprintf(why, len, "no IORT (%s): no CANWBS", strerror(errno));
		return -1;
	}
	got = read(fd, t, sizeof(t));
	close(fd);
	if (got < IORT_HDR_LEN) {
		snprintf(why, len, "IORT of %zd bytes: no CANWBS", got);
		return -1;
	}
	size = got;
	nodes = nest_get_le32(t + 36);
	off = nest_get_le32(t + 40);
	for (i = 0; i < nodes && off + IORT_RC_MAF < size; i++) {
		uint16_t node_len = t[off + 1] | t[off + 2] << 8;

		if (t[off] == IORT_NODE_RC) {
			n++;
			if (t[off + IORT_RC_MAF] & IORT_MAF_CANWBS)
				canwbs = 1;
			snprintf(why, len, "IORT root complex memory access flags 0x%x: %s",
				 t[off + IORT_RC_MAF],
				 canwbs ? "CANWBS" : "no CANWBS");
		}
		if (!node_len)
			break;
		off += node_len;
	}
	if (!n)
		snprintf(why, len, "IORT without a root complex: no CANWBS");
	return canwbs;
}
#endif

/*
 * arm-smmu-v3 gives a vIOMMU only when the guest's stage 1 cannot make
 * DMA incoherent: the root complex is CANWBS in the IORT, or the SMMU
 * forces write-back (IDR3.FWB).  QEMU's SMMUv3 has no FWB and its IORT
 * no CANWBS, so IOMMU_VIOMMU_ALLOC answers EOPNOTSUPP unless the IORT
 * is upgraded (the smmuv3-nested topology).
 */
TEST(smmuv3_viommu_needs_canwbs_or_fwb)
{
#ifndef IOMMU_VIOMMU_ALLOC
	SKIP(return, "headers lack IOMMU_VIOMMU_ALLOC: Linux 6.13 or later needed");
#else
	uint32_t dev_id, ioas_id, hwpt_id, viommu_id, idr3;
	int i, found = -1, fd, devfd, canwbs, rc;
	char iort[96];
	struct hw_facts hw;
	bool fwb;

	if (!nr_bdfs)
		SKIP(return, "no device: pass BDFs or set IOMMUFD_NEST_BDF");
	for (i = 0; i < nr_bdfs && found < 0; i++)
		if (!probe_hw(bdfs[i], &hw) && hw.smmuv3)
			found = i;
	if (found < 0)
		SKIP(return, "no given device is behind an SMMUv3");
	if (hw.nesting != HW_NESTING_YES)
		SKIP(return, "%s: no nesting parent (%s)", bdfs[found],
		     hw.why);
	idr3 = nest_get_le32(hw.data + 8 + 4 * 3);
	fwb = idr3 & SMMU_IDR3_FWB;
	canwbs = iort_canwbs(iort, sizeof(iort));
	open_nest_parent(_metadata, bdfs[found], &fd, &devfd, &dev_id,
			 &ioas_id, &hwpt_id);
	rc = nest_viommu_alloc(fd, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 0, dev_id,
			       hwpt_id, &viommu_id);
	close(devfd);
	close(fd);
	if (rc == -ENOTTY)
		SKIP(return, "kernel lacks IOMMU_VIOMMU_ALLOC (ENOTTY): Linux 6.13 or later needed");
	if (canwbs > 0 || fwb) {
		ASSERT_EQ(0, rc)
			TH_LOG("kernel: %s: %s, IDR3.FWB=%d, yet IOMMU_VIOMMU_ALLOC(ARM_SMMUV3) answered %s",
			       bdfs[found], iort, fwb, nest_errno_name(-rc));
	} else {
		ASSERT_EQ(-EOPNOTSUPP, rc)
			TH_LOG("kernel: %s: %s and IDR3.FWB=0, yet IOMMU_VIOMMU_ALLOC(ARM_SMMUV3) answered %s",
			       bdfs[found], iort,
			       rc ? nest_errno_name(-rc) : "success");
	}
	TH_LOG("%s: IOMMU_VIOMMU_ALLOC(ARM_SMMUV3) %s: %s, IDR3.FWB=%d",
	       bdfs[found], rc ? "EOPNOTSUPP" : "granted", iort, fwb);
#endif
}

int main(int argc, char **argv)
{
	argc = take_bdfs(argc, argv);
	return argc < 0 ? 2 : test_harness_run(argc, argv);
}
