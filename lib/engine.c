// SPDX-License-Identifier: GPL-2.0
/*
 * The VMM attach engine.  Step numbers follow the attach sequence in
 * shared/reference/qemu-viommu.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "nest_engine.h"
#include "nest_ioctl.h"
#include "hw_info.h"
#include "smmu.h"

_Static_assert(VIOMMU_HW_INFO_TYPE_INTEL_VTD == IOMMU_HW_INFO_TYPE_INTEL_VTD,
	       "hw_info type values drifted from the uAPI");
_Static_assert(VIOMMU_HW_INFO_TYPE_SELFTEST == IOMMU_HW_INFO_TYPE_SELFTEST,
	       "hw_info type values drifted from the uAPI");
_Static_assert(VIOMMU_HW_CAP_DIRTY_TRACKING == IOMMU_HW_CAP_DIRTY_TRACKING,
	       "hw cap values drifted from the uAPI");
_Static_assert(sizeof(struct iommu_hw_info_vtd) == VTD_INFO_LEN,
	       "struct iommu_hw_info_vtd changed size");

/*
 * Once the trace has dropped events, ctx->err says so whatever else it
 * says: the overflow note goes after the message, cutting it if need be.
 */
static void note_trace_overflow(struct nest_ctx *ctx)
{
	char note[64];
	size_t used, len;

	if (!ctx->trace_overflow || strstr(ctx->err, NEST_TRACE_OVERFLOW))
		return;
	len = snprintf(note, sizeof(note), "%s past %d", NEST_TRACE_OVERFLOW,
		       NEST_TRACE_MAX);
	used = strlen(ctx->err);
	if (used + len + 2 >= sizeof(ctx->err))
		used = sizeof(ctx->err) - len - 3;
	snprintf(ctx->err + used, sizeof(ctx->err) - used, "%s%s",
		 used ? "; " : "", note);
}

static void set_err(struct nest_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
	note_trace_overflow(ctx);
}

/*
 * Append an event whose step created @new_id (0: none).  @ret is the
 * step's return: 0 or a negative errno.  A full trace counts the event
 * as dropped rather than lose it silently.
 */
static void trace_new(struct nest_ctx *ctx, enum nest_event_type type,
		      uint32_t id, uint64_t arg, int ret, uint32_t new_id)
{
	struct nest_event *ev;

	if (ctx->nr_events >= NEST_TRACE_MAX) {
		ctx->trace_overflow++;
		note_trace_overflow(ctx);
		return;
	}
	ev = &ctx->trace[ctx->nr_events++];
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->id = id;
	ev->new_id = new_id;
	ev->arg = arg;
	ev->err = -ret;
}

static void trace(struct nest_ctx *ctx, enum nest_event_type type,
		  uint32_t id, uint64_t arg, int ret)
{
	trace_new(ctx, type, id, arg, ret, 0);
}

void nest_ctx_note_id(struct nest_ctx *ctx, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_ids; i++)
		if (ctx->ids[i] == id)
			return;
	if (ctx->nr_ids < NEST_MAX_IDS)
		ctx->ids[ctx->nr_ids++] = id;
}

/* ENOENT: no object of the probe's type; ENOTTY: no such ioctl. */
static bool probe_found(int ret)
{
	return ret != -ENOENT && ret != -ENOTTY;
}

/*
 * Is @id a live object of @fd, of any type the engine makes?  Each probe
 * looks it up as one type and, once found, fails on an argument or does
 * nothing: an IOAS has options, a device hw_info, a paging HWPT a dirty
 * bitmap (of no length), a nested one an empty invalidation, and a mock
 * device handle cannot be replaced onto itself.
 */
static bool id_alive(int fd, uint32_t id)
{
	uint32_t none = 0;
	uint64_t val = 0;

	return probe_found(nest_option(fd, IOMMU_OPTION_HUGE_PAGES,
				       IOMMU_OPTION_OP_GET, id, &val)) ||
	       probe_found(nest_get_hw_info(fd, id, NULL, NULL, NULL, NULL)) ||
	       probe_found(nest_hwpt_get_dirty_bitmap(fd, id, 0, 0, 0, 0,
						      NULL)) ||
	       probe_found(nest_hwpt_invalidate(fd, id, 0, NULL, 0, &none)) ||
	       probe_found(nest_test_mock_domain_replace(fd, id, id));
}

unsigned int nest_count_live_ids(const struct nest_ctx *ctx)
{
	unsigned int i, live = 0;

	for (i = 0; i < ctx->nr_ids; i++)
		if (id_alive(ctx->fd, ctx->ids[i]))
			live++;
	return live;
}

int nest_ctx_init(struct nest_ctx *ctx, int fd, struct viommu *v)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->fd = fd;
	ctx->viommu = v;
	return 0;
}

struct nest_ioas *nest_find_ioas(struct nest_ctx *ctx, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_ioas; i++)
		if (ctx->ioas[i].id == id)
			return &ctx->ioas[i];
	return NULL;
}

struct nest_hwpt *nest_find_hwpt(struct nest_ctx *ctx, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_hwpts; i++)
		if (ctx->hwpts[i].id == id)
			return &ctx->hwpts[i];
	return NULL;
}

/* Destroy a container; the lists stay in creation order. */
static int drop_ioas(struct nest_ctx *ctx, struct nest_ioas *ioas)
{
	uint32_t id = ioas->id;
	int err = nest_destroy(ctx->fd, id);
	unsigned int i = ioas - ctx->ioas;

	trace(ctx, NEST_EV_DESTROY, id, NEST_DESTROY_IOAS, err);
	memmove(ioas, ioas + 1, (--ctx->nr_ioas - i) * sizeof(*ioas));
	ctx->ioas_id = ctx->nr_ioas ? ctx->ioas[ctx->nr_ioas - 1].id : 0;
	return err;
}

int nest_ctx_fini(struct nest_ctx *ctx)
{
	int err, first = 0;

	while (ctx->nr_ioas) {
		uint32_t id = ctx->ioas[ctx->nr_ioas - 1].id;

		err = drop_ioas(ctx, &ctx->ioas[ctx->nr_ioas - 1]);
		if (err && !first) {
			set_err(ctx, "destroying IOAS %u failed: %s", id,
				strerror(-err));
			first = err;
		}
	}
	if (ctx->ram)
		munmap(ctx->ram, ctx->guest_ram);
	ctx->ram = NULL;
	return first;
}

static int drop_hwpt(struct nest_ctx *ctx, struct nest_hwpt *hwpt)
{
	uint32_t id = hwpt->id;
	int err = nest_destroy(ctx->fd, id);
	unsigned int i = hwpt - ctx->hwpts;

	trace(ctx, NEST_EV_DESTROY, id, 0, err);
	memmove(hwpt, hwpt + 1, (--ctx->nr_hwpts - i) * sizeof(*hwpt));
	return err;
}

/* A container goes with its last HWPT. */
static int drop_ioas_if_empty(struct nest_ctx *ctx, uint32_t ioas_id)
{
	struct nest_ioas *ioas = nest_find_ioas(ctx, ioas_id);
	unsigned int i;

	if (!ioas)
		return 0;
	for (i = 0; i < ctx->nr_hwpts; i++)
		if (ctx->hwpts[i].ioas_id == ioas_id)
			return 0;
	return drop_ioas(ctx, ioas);
}

static int get_hw_info(struct nest_ctx *ctx, struct nest_dev *dev,
		       struct viommu_hiod *hiod, uint8_t *max_pasid_log2)
{
	uint32_t len = sizeof(hiod->data);
	int err;

	memset(hiod, 0, sizeof(*hiod));
	err = nest_get_hw_info_pasid(ctx->fd, dev->dev_id, hiod->data, &len,
				     &hiod->hw_info_type, &hiod->caps,
				     max_pasid_log2);
	if (err)
		return err;
	hiod->dev_id = dev->dev_id;
	hiod->data_len = len < sizeof(hiod->data) ? len : sizeof(hiod->data);
	hiod->behind_bridge = dev->behind_bridge;
	return 0;
}

/*
 * Step 7, once per new container: the host address width from the
 * IOAS's usable ranges (the bits of the last usable IOVA).  Like QEMU,
 * ranges it cannot read only cost the check: 64 bits, no failure.
 */
static void read_iova_ranges(struct nest_ctx *ctx, struct nest_ioas *ioas)
{
	struct iommu_iova_range r[32];
	uint32_t n = 32;
	int err;

	err = nest_ioas_iova_ranges(ctx->fd, ioas->id, r, &n, NULL);
	ioas->host_aw_bits = !err && n ?
			     viommu_aw_bits_from_last(r[n - 1].last) : 64;
	trace(ctx, NEST_EV_IOVA_RANGES, ioas->id, ioas->host_aw_bits, err);
}

/* Step 7: all guest RAM into the new container, read-write at its IPA. */
static int map_guest_ram(struct nest_ctx *ctx, struct nest_dev *dev,
			 uint32_t ioas_id)
{
	uint64_t iova = ctx->ram_ipa;
	int err;

	if (!ctx->guest_ram)
		return 0;
	if (!ctx->ram) {
		ctx->ram = mmap(NULL, ctx->guest_ram, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ctx->ram == MAP_FAILED) {
			ctx->ram = NULL;
			err = -errno;
			set_err(ctx, "%s: no memory for %llu bytes of guest RAM: %s",
				dev->name, (unsigned long long)ctx->guest_ram,
				strerror(-err));
			return err;
		}
	}
	err = nest_ioas_map(ctx->fd, ioas_id,
			    IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			    IOMMU_IOAS_MAP_WRITEABLE, ctx->ram, ctx->guest_ram,
			    &iova);
	trace(ctx, NEST_EV_MAP, ioas_id, ctx->guest_ram, err);
	if (err)
		set_err(ctx, "%s: mapping %llu bytes of guest RAM at IOVA 0x%llx failed: %s",
			dev->name, (unsigned long long)ctx->guest_ram,
			(unsigned long long)ctx->ram_ipa, strerror(-err));
	return err;
}

static int hwpt_alloc(struct nest_ctx *ctx, struct nest_dev *dev,
		      uint32_t pt_id, uint32_t flags, uint32_t data_type,
		      const void *data, uint32_t data_len, uint32_t *out_id)
{
	int err = nest_hwpt_alloc(ctx->fd, dev->dev_id, pt_id, flags,
				  data_type, data, data_len, out_id);

	if (!err)
		nest_ctx_note_id(ctx, *out_id);
	return err;
}

static void use_hwpt(struct nest_dev *dev, struct nest_hwpt *hwpt)
{
	hwpt->users++;
	dev->hwpt_id = hwpt->id;
	dev->dirty_tracking =
		hwpt->alloc_flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
}

/* Name the hardware fact behind a refused nesting parent. */
static void explain_no_nesting(struct nest_ctx *ctx,
			       const struct viommu_hiod *info)
{
	size_t used = strlen(ctx->err);
	char why[96];

	hw_info_nesting(info->hw_info_type, info->data, info->data_len, why,
			sizeof(why));
	snprintf(ctx->err + used, sizeof(ctx->err) - used,
		 " (the host IOMMU cannot be a nesting parent: %s; the vIOMMU wants one)",
		 why);
}

/* The HWPT flags: what the vIOMMU wants, as far as the host can. */
static uint32_t hwpt_flags(uint64_t vflags, const struct viommu_hiod *info,
			   uint8_t max_pasid_log2)
{
	bool nesting = vflags & VIOMMU_FLAG_WANT_NESTING_PARENT;
	uint32_t flags = 0;

	if (nesting)
		flags |= IOMMU_HWPT_ALLOC_NEST_PARENT;
	/* a nesting parent tracks dirty pages only when the vIOMMU says so */
	if ((info->caps & IOMMU_HW_CAP_DIRTY_TRACKING) &&
	    (!nesting || (vflags & VIOMMU_FLAG_WANT_NESTING_DIRTY_TRACKING)))
		flags |= IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	if ((vflags & VIOMMU_FLAG_WANT_PASID_ATTACH) && max_pasid_log2)
		flags |= NEST_HWPT_ALLOC_PASID;
	return flags;
}

/*
 * Steps 4-6 on @ioas: read the device, ask the vIOMMU (flags, then host
 * quirks for a nesting parent), allocate a HWPT there, attach to it.
 */
static int attach_fresh(struct nest_ctx *ctx, struct nest_dev *dev,
			uint32_t ioas_id)
{
	struct nest_hwpt *hwpt;
	struct viommu_hiod info;
	uint64_t vflags, quirks = 0;
	uint32_t flags, id = 0;
	uint8_t pasid_log2 = 0;
	int err;

	err = get_hw_info(ctx, dev, &info, &pasid_log2);
	trace(ctx, NEST_EV_DEVICE_INFO, dev->dev_id, info.caps, err);
	if (err) {
		set_err(ctx, "%s: IOMMU_GET_HW_INFO failed: %s", dev->name,
			strerror(-err));
		return err;
	}
	/* only now, and only here: a reused HWPT needs no flags */
	vflags = viommu_get_flags(ctx->viommu);
	trace(ctx, NEST_EV_GET_FLAGS, 0, vflags, 0);
	if (vflags & VIOMMU_FLAG_WANT_NESTING_PARENT) {
		quirks = viommu_get_host_quirks(ctx->viommu, info.hw_info_type,
						info.data, info.data_len);
		trace(ctx, NEST_EV_HOST_QUIRKS, ioas_id, quirks, 0);
	}
	flags = hwpt_flags(vflags, &info, pasid_log2);

	err = hwpt_alloc(ctx, dev, ioas_id, flags, IOMMU_HWPT_DATA_NONE,
			 NULL, 0, &id);
	trace_new(ctx, NEST_EV_HWPT_ALLOC, ioas_id, flags, err, id);
	if (err) {
		/* no fallback to a plain HWPT */
		set_err(ctx, "%s: IOMMU_HWPT_ALLOC flags 0x%x failed: %s",
			dev->name, flags, strerror(-err));
		if ((flags & IOMMU_HWPT_ALLOC_NEST_PARENT) && err == -EOPNOTSUPP)
			explain_no_nesting(ctx, &info);
		return err;
	}
	if (ctx->nr_hwpts >= NEST_MAX_HWPTS) {
		trace(ctx, NEST_EV_DESTROY, id, 0, nest_destroy(ctx->fd, id));
		set_err(ctx, "more than %d HWPTs in one context", NEST_MAX_HWPTS);
		return -ENOSPC;
	}
	hwpt = &ctx->hwpts[ctx->nr_hwpts++];
	memset(hwpt, 0, sizeof(*hwpt));
	hwpt->id = id;
	hwpt->ioas_id = ioas_id;
	hwpt->alloc_flags = flags;

	err = dev->ops->attach(ctx, dev, id);
	trace(ctx, NEST_EV_ATTACH, id, 0, err);
	if (err) {
		set_err(ctx, "%s: attach to new HWPT %u failed: %s", dev->name,
			id, strerror(-err));
		drop_hwpt(ctx, hwpt);
		return err;
	}
	/* the quirk holds for every mapping of the container */
	if (quirks & HOST_IOMMU_QUIRK_NESTING_PARENT_BYPASS_RO)
		nest_find_ioas(ctx, ioas_id)->bypass_ro = true;
	use_hwpt(dev, hwpt);
	return 0;
}

/*
 * One container: its HWPTs newest first, where EINVAL means "not this
 * one"; when none fits, a new HWPT on it.
 */
static int attach_container(struct nest_ctx *ctx, struct nest_dev *dev,
			    uint32_t ioas_id)
{
	unsigned int i;
	int err;

	for (i = ctx->nr_hwpts; i-- > 0;) {
		struct nest_hwpt *hwpt = &ctx->hwpts[i];

		if (hwpt->ioas_id != ioas_id)
			continue;
		err = dev->ops->attach(ctx, dev, hwpt->id);
		trace(ctx, NEST_EV_REUSE_TRY, hwpt->id, 0, err);
		if (err == -EINVAL)
			continue;
		if (err) {
			set_err(ctx, "%s: attach to existing HWPT %u failed: %s",
				dev->name, hwpt->id, strerror(-err));
			return err;
		}
		use_hwpt(dev, hwpt);
		return 0;
	}
	return attach_fresh(ctx, dev, ioas_id);
}

/* Steps 3-7: a new IOAS, the device on it, its ranges; else no IOAS. */
static int attach_new_container(struct nest_ctx *ctx, struct nest_dev *dev)
{
	struct nest_ioas *ioas;
	const char *why;
	uint32_t id = 0;
	int err;

	if (ctx->nr_ioas >= NEST_MAX_IOAS) {
		set_err(ctx, "%s: more than %d IOASes in one context",
			dev->name, NEST_MAX_IOAS);
		return -ENOSPC;
	}
	err = nest_ioas_alloc(ctx->fd, &id);
	trace_new(ctx, NEST_EV_IOAS_ALLOC, 0, 0, err, id);
	if (err) {
		set_err(ctx, "%s: IOMMU_IOAS_ALLOC failed: %s", dev->name,
			strerror(-err));
		return err;
	}
	nest_ctx_note_id(ctx, id);
	ioas = &ctx->ioas[ctx->nr_ioas++];
	memset(ioas, 0, sizeof(*ioas));
	ioas->id = id;
	ctx->ioas_id = id;
	if (ctx->ioas_created)
		ctx->ioas_created(ctx, id);

	err = attach_container(ctx, dev, id);
	if (err) {
		drop_ioas(ctx, nest_find_ioas(ctx, id));
		return err;
	}
	read_iova_ranges(ctx, nest_find_ioas(ctx, id));
	why = viommu_config_listener_refuses(&ctx->viommu->cfg);
	if (why) {
		/* QEMU names the VM's region and device: R and D here */
		set_err(ctx, "%s: memory listener initialization failed: Region R: device D %s",
			dev->name, why);
		return -EPERM;
	}
	return map_guest_ram(ctx, dev, id);
}

/* What a vIOMMU does through iommufd in set_iommu_device() (below) */
struct set_hiod_work {
	bool rereads_hw_info;
	int (*accept)(struct nest_ctx *ctx, struct nest_dev *dev);
};

static const struct set_hiod_work *set_hiod_work(const struct nest_ctx *ctx);

/* Steps 8-9, only after the attach: realize the hiod, hand it over. */
static int realize_and_set_hiod(struct nest_ctx *ctx, struct nest_dev *dev)
{
	struct nest_hwpt *hwpt = nest_find_hwpt(ctx, dev->hwpt_id);
	struct nest_ioas *ioas = nest_find_ioas(ctx, hwpt->ioas_id);
	const struct set_hiod_work *work = set_hiod_work(ctx);
	char why[VIOMMU_ERR_LEN];
	int err;

	err = get_hw_info(ctx, dev, &dev->hiod, NULL);
	dev->hiod.host_aw_bits = ioas->host_aw_bits;
	dev->hiod.hwpt_id = dev->hwpt_id;
	trace(ctx, NEST_EV_HIOD_REALIZE, dev->hwpt_id, dev->hiod.hw_info_type,
	      err);
	if (err) {
		set_err(ctx, "%s: host IOMMU device realize failed: %s",
			dev->name, strerror(-err));
		return err;
	}
	if (work && work->rereads_hw_info) {
		struct viommu_hiod fresh;

		err = get_hw_info(ctx, dev, &fresh, NULL);
		trace(ctx, NEST_EV_DEVICE_INFO, dev->dev_id, fresh.caps, err);
		if (err) {
			set_err(ctx, "%s: the vIOMMU's GET_HW_INFO failed: %s",
				dev->name, strerror(-err));
			return err;
		}
	}
	err = viommu_set_iommu_device(ctx->viommu, &dev->hiod, why,
				      sizeof(why));
	trace(ctx, NEST_EV_SET_IOMMU_DEVICE, dev->dev_id, 0,
	      err ? -EPERM : 0);
	if (err) {
		set_err(ctx, "%s: %s refused the host IOMMU device: %s",
			dev->name, viommu_kind_name(ctx->viommu->cfg.kind), why);
		return -EPERM;
	}
	err = work && work->accept ? work->accept(ctx, dev) : 0;
	if (err) {
		viommu_unset_iommu_device(ctx->viommu, dev->dev_id);
		trace(ctx, NEST_EV_UNSET_IOMMU_DEVICE, dev->dev_id, 0, 0);
		return err;
	}
	dev->hiod_set = true;
	return 0;
}

/* Destroy *@id if set, traced; the first error wins over @err. */
static int drop_id(struct nest_ctx *ctx, uint32_t *id, int err)
{
	int rc;

	if (!*id)
		return err;
	rc = nest_destroy(ctx->fd, *id);
	trace(ctx, NEST_EV_DESTROY, *id, 0, rc);
	*id = 0;
	return err ?: rc;
}

/*
 * Leave the context HWPT, destroy it when it was the last user and its
 * container when that was its last HWPT.  The first detach or destroy
 * error, all of them in the trace.
 */
static int leave_hwpt(struct nest_ctx *ctx, struct nest_dev *dev)
{
	struct nest_hwpt *hwpt = nest_find_hwpt(ctx, dev->hwpt_id);
	int err, rc;

	if (!dev->hwpt_id)
		return 0;
	err = dev->ops->detach(ctx, dev);
	trace(ctx, NEST_EV_DETACH, dev->nested_id ?: dev->hwpt_id, 0, err);
	/* what sits on the parent goes first, the vIOMMU last */
	err = drop_id(ctx, &dev->nested_id, err);
	err = drop_id(ctx, &dev->vdev_id, err);
	if (dev->on_vsmmu && --ctx->vsmmu.users == 0) {
		err = drop_id(ctx, &ctx->vsmmu.abort_id, err);
		err = drop_id(ctx, &ctx->vsmmu.bypass_id, err);
		err = drop_id(ctx, &ctx->vsmmu.viommu_id, err);
	}
	dev->on_vsmmu = false;
	if (hwpt && --hwpt->users == 0) {
		uint32_t ioas_id = hwpt->ioas_id;

		rc = drop_hwpt(ctx, hwpt);
		err = err ?: rc;
		rc = drop_ioas_if_empty(ctx, ioas_id);
		err = err ?: rc;
	}
	dev->hwpt_id = 0;
	return err;
}

static void unbind(struct nest_ctx *ctx, struct nest_dev *dev)
{
	if (!dev->bound)
		return;
	dev->ops->unbind(ctx, dev);
	trace(ctx, NEST_EV_UNBIND, dev->dev_id, 0, 0);
	dev->bound = false;
}

int nest_attach_device(struct nest_ctx *ctx, struct nest_dev *dev)
{
	unsigned int i;
	int err;

	ctx->err[0] = 0;
	err = dev->ops->bind(ctx, dev);
	trace(ctx, NEST_EV_BIND, dev->dev_id, 0, err);
	if (err) {
		set_err(ctx, "%s: bind to iommufd failed: %s", dev->name,
			strerror(-err));
		return err;
	}
	dev->bound = true;
	nest_ctx_note_id(ctx, dev->dev_id);

	/* step 2: the containers of its address space, newest first */
	i = viommu_config_own_address_space(&ctx->viommu->cfg) ? 0 :
	    ctx->nr_ioas;
	for (err = -ENOENT; err && i-- > 0;) {
		err = attach_container(ctx, dev, ctx->ioas[i].id);
		/* QEMU drops the error and goes on: it is not the device's */
		if (err) {
			ctx->err[0] = 0;
			note_trace_overflow(ctx);
		}
	}
	if (err)
		err = attach_new_container(ctx, dev);
	if (!err)
		err = realize_and_set_hiod(ctx, dev);
	if (err) {
		leave_hwpt(ctx, dev);
		unbind(ctx, dev);
		return err;
	}
	return 0;
}

#ifdef IOMMU_VIOMMU_ALLOC
/* A HWPT on the vSMMU's vIOMMU from one vSTE, kept in *@out. */
static int vste_hwpt(struct nest_ctx *ctx, struct nest_dev *dev,
		     unsigned int cfg, uint64_t cd_ipa, uint32_t *out)
{
	uint32_t viommu = ctx->vsmmu.viommu_id;
	uint64_t ste[2];
	int err;

	smmu_vste(ste, cfg, cd_ipa);
	err = hwpt_alloc(ctx, dev, viommu, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, ste,
			 sizeof(ste), out);
	trace_new(ctx, NEST_EV_NESTED_ALLOC, viommu,
		  IOMMU_HWPT_DATA_ARM_SMMUV3, err, *out);
	if (err)
		set_err(ctx, "%s: HWPT from a vSTE (Config %u) on vIOMMU %u failed: %s",
			dev->name, cfg, viommu, strerror(-err));
	return err;
}

/* IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV (6.17 headers) */
#define NEST_HW_INFO_TYPE_TEGRA241_CMDQV	3

/*
 * @dev on the vSMMU's objects: made with the first device (a vIOMMU on
 * its nesting parent, then the abort and bypass vSTE HWPTs), shared by
 * the next on the same parent.  A reference on @dev either way, so that
 * leave_hwpt() undoes what was made, also after a failure.
 */
static int smmuv3_vsmmu_get(struct nest_ctx *ctx, struct nest_dev *dev)
{
	uint32_t parent = dev->hiod.hwpt_id;
	int err;

	if (ctx->vsmmu.viommu_id) {
		if (ctx->vsmmu.parent_id != parent) {
			set_err(ctx, "%s: nesting parent %u, yet the vSMMU's vIOMMU is on parent %u",
				dev->name, parent, ctx->vsmmu.parent_id);
			return -EINVAL;
		}
		dev->on_vsmmu = true;
		ctx->vsmmu.users++;
		return 0;
	}
	err = nest_viommu_alloc(ctx->fd, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 0,
				dev->dev_id, parent, &ctx->vsmmu.viommu_id);
	trace_new(ctx, NEST_EV_VIOMMU_ALLOC, parent,
		  IOMMU_VIOMMU_TYPE_ARM_SMMUV3, err, ctx->vsmmu.viommu_id);
	if (err) {
		ctx->vsmmu.viommu_id = 0;
		set_err(ctx, "%s: Unable to alloc vIOMMU: IOMMU_VIOMMU_ALLOC(ARM_SMMUV3) on parent %u: %s",
			dev->name, parent, strerror(-err));
		return err;
	}
	nest_ctx_note_id(ctx, ctx->vsmmu.viommu_id);
	ctx->vsmmu.parent_id = parent;
	dev->on_vsmmu = true;
	ctx->vsmmu.users++;
	err = vste_hwpt(ctx, dev, SMMU_STE_CFG_ABORT, 0, &ctx->vsmmu.abort_id);
	if (!err)
		err = vste_hwpt(ctx, dev, SMMU_STE_CFG_BYPASS, 0,
				&ctx->vsmmu.bypass_id);
	return err;
}

/*
 * Step 9 for arm-smmuv3 accel=on once it accepted the device, as QEMU
 * 11.1 does it: unless cmdqv=off, ask the host for Tegra241 CMDQV data
 * (no such host: EOPNOTSUPP; cmdqv=on refuses, auto goes on without);
 * then the vIOMMU with its two vSTE HWPTs, and the device onto the one
 * the reset GBPA (no ABORT) picks: bypass.  A later device only checks
 * and joins (QEMU attaches it at the machine's reset).  What is made
 * stays referenced by @dev for leave_hwpt().
 */
static int smmuv3_accel_accept(struct nest_ctx *ctx, struct nest_dev *dev)
{
	uint8_t buf[64];
	uint32_t len = sizeof(buf);
	bool first;
	int err;

	/* the vSMMU's first device: the probe, then its objects */
	if (!ctx->vsmmu.viommu_id && ctx->viommu->cfg.cmdqv != VIOMMU_OFF) {
		err = nest_get_hw_info_as(ctx->fd, dev->dev_id,
					  NEST_HW_INFO_TYPE_TEGRA241_CMDQV,
					  buf, &len);
		trace(ctx, NEST_EV_HW_INFO_PROBE, dev->dev_id,
		      NEST_HW_INFO_TYPE_TEGRA241_CMDQV, err);
		if (err && ctx->viommu->cfg.cmdqv == VIOMMU_ON) {
			set_err(ctx, "%s: %s refused the host IOMMU device: Failed to get hardware info: %s",
				dev->name,
				viommu_kind_name(ctx->viommu->cfg.kind),
				strerror(-err));
			return -EPERM;
		}
		if (!err) {
			set_err(ctx, "%s: the host has a Tegra241 CMDQV, which this engine does not model",
				dev->name);
			return -EOPNOTSUPP;
		}
	}
	first = !ctx->vsmmu.viommu_id;
	err = smmuv3_vsmmu_get(ctx, dev);
	/* a later device stays on the parent until the machine's reset */
	if (err || !first)
		return err;
	err = dev->ops->attach(ctx, dev, ctx->vsmmu.bypass_id);
	trace(ctx, NEST_EV_ATTACH, ctx->vsmmu.bypass_id, 0, err);
	if (err)
		set_err(ctx, "%s: attach to the bypass vSTE HWPT %u failed: %s",
			dev->name, ctx->vsmmu.bypass_id, strerror(-err));
	return err;
}

/*
 * Step 10 for arm-smmuv3 accel=on, as QEMU 11.1 does it: the vSMMU's
 * objects of step 9, the device's vDEVICE at its vSID, then a HWPT from
 * the guest's S1_TRANS vSTE, whose CD is at @cd_ipa.  What is made stays
 * on @dev for leave_hwpt() to undo, also after a failure.
 */
static int smmuv3_stage1(struct nest_ctx *ctx, struct nest_dev *dev,
			 uint64_t cd_ipa, uint32_t *id)
{
	int err;

	if (!dev->on_vsmmu) {
		err = smmuv3_vsmmu_get(ctx, dev);
		if (err)
			return err;
	}
	if (!dev->vdev_id) {
		err = nest_vdevice_alloc(ctx->fd, ctx->vsmmu.viommu_id,
					 dev->dev_id, dev->vsid, &dev->vdev_id);
		trace_new(ctx, NEST_EV_VDEVICE_ALLOC, ctx->vsmmu.viommu_id,
			  dev->vsid, err, dev->vdev_id);
		if (err) {
			dev->vdev_id = 0;
			set_err(ctx, "%s: IOMMU_VDEVICE_ALLOC at vSID %u failed: %s",
				dev->name, dev->vsid, strerror(-err));
			return err;
		}
		nest_ctx_note_id(ctx, dev->vdev_id);
	}
	return vste_hwpt(ctx, dev, SMMU_STE_CFG_S1_TRANS, cd_ipa, id);
}
#endif

/* A nested HWPT on @dev's parent from @len bytes of @type at @data. */
static int parent_nested(struct nest_ctx *ctx, struct nest_dev *dev,
			 uint32_t type, const void *data, uint32_t len,
			 uint32_t *id)
{
	int err;

	err = hwpt_alloc(ctx, dev, dev->hiod.hwpt_id, 0, type, data, len, id);
	trace_new(ctx, NEST_EV_NESTED_ALLOC, dev->hiod.hwpt_id, type, err,
		  *id);
	if (err)
		set_err(ctx, "%s: nested HWPT on parent %u failed: %s",
			dev->name, dev->hiod.hwpt_id, strerror(-err));
	return err;
}

static int selftest_stage1(struct nest_ctx *ctx, struct nest_dev *dev,
			   uint64_t s1_addr, uint32_t *id)
{
	struct iommu_hwpt_selftest selftest = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
	};

	return parent_nested(ctx, dev, IOMMU_HWPT_DATA_SELFTEST, &selftest,
			     NEST_SELFTEST_DATA_LEN, id);
}

static int vtd_stage1(struct nest_ctx *ctx, struct nest_dev *dev,
		      uint64_t s1_addr, uint32_t *id)
{
	struct iommu_hwpt_vtd_s1 vtd = {
		.pgtbl_addr = s1_addr,
		.addr_width = ctx->viommu->cfg.aw_bits,
	};

	return parent_nested(ctx, dev, IOMMU_HWPT_DATA_VTD_S1, &vtd,
			     sizeof(vtd), id);
}

#ifndef IOMMU_VIOMMU_ALLOC
static int smmuv3_stage1(struct nest_ctx *ctx, struct nest_dev *dev,
			 uint64_t cd_ipa, uint32_t *id)
{
	set_err(ctx, "%s: built without IOMMU_VIOMMU_ALLOC (uAPI headers before 6.13): no SMMUv3 stage-1",
		dev->name);
	return -EOPNOTSUPP;
}

static int smmuv3_accel_accept(struct nest_ctx *ctx, struct nest_dev *dev)
{
	set_err(ctx, "%s: Unable to alloc vIOMMU: built without IOMMU_VIOMMU_ALLOC (uAPI headers before 6.13)",
		dev->name);
	return -EOPNOTSUPP;
}
#endif

/*
 * What a vIOMMU does through iommufd in set_iommu_device(), by enum
 * viommu_stage1: whether it reads the host's info again for its checks,
 * and what it builds once it accepted the device.
 */
static const struct set_hiod_work set_hiod_works[] = {
	[VIOMMU_STAGE1_SMMUV3] = { true, smmuv3_accel_accept },
};

static const struct set_hiod_work *set_hiod_work(const struct nest_ctx *ctx)
{
	enum viommu_stage1 s1 = viommu_config_stage1(&ctx->viommu->cfg);

	return (unsigned int)s1 < ARRAY_SIZE(set_hiod_works) ?
	       &set_hiod_works[s1] : NULL;
}

/* What builds each kind's stage 1 (enum viommu_stage1): the HWPT in @id. */
static int (*const stage1_builders[])(struct nest_ctx *ctx,
				      struct nest_dev *dev, uint64_t s1_addr,
				      uint32_t *id) = {
	[VIOMMU_STAGE1_SELFTEST] = selftest_stage1,
	[VIOMMU_STAGE1_VTD] = vtd_stage1,
	[VIOMMU_STAGE1_SMMUV3] = smmuv3_stage1,
};

int nest_enable_stage1(struct nest_ctx *ctx, struct nest_dev *dev,
		       uint64_t s1_addr)
{
	enum viommu_stage1 s1 = viommu_config_stage1(&ctx->viommu->cfg);
	uint32_t id = 0;
	int err;

	if (!dev->hiod_set) {
		set_err(ctx, "%s: no host IOMMU device set", dev->name);
		return -EINVAL;
	}
	if ((unsigned int)s1 >= ARRAY_SIZE(stage1_builders) ||
	    !stage1_builders[s1]) {
		set_err(ctx, "%s: %s builds no nested HWPT stage-1", dev->name,
			viommu_kind_name(ctx->viommu->cfg.kind));
		return -EOPNOTSUPP;
	}
	err = stage1_builders[s1](ctx, dev, s1_addr, &id);
	if (err)
		return err;
	err = dev->ops->attach(ctx, dev, id);
	trace(ctx, NEST_EV_ATTACH, id, 0, err);
	if (err) {
		set_err(ctx, "%s: replace onto nested HWPT %u failed: %s",
			dev->name, id, strerror(-err));
		trace(ctx, NEST_EV_DESTROY, id, 0, nest_destroy(ctx->fd, id));
		return err;
	}
	/* a new vSTE replaces the old one: that HWPT has no user now */
	drop_id(ctx, &dev->nested_id, 0);
	dev->nested_id = id;
	return 0;
}

int nest_detach_device(struct nest_ctx *ctx, struct nest_dev *dev)
{
	int err;

	if (dev->hiod_set) {
		viommu_unset_iommu_device(ctx->viommu, dev->dev_id);
		trace(ctx, NEST_EV_UNSET_IOMMU_DEVICE, dev->dev_id, 0, 0);
		dev->hiod_set = false;
	}
	err = leave_hwpt(ctx, dev);
	unbind(ctx, dev);
	if (err)
		set_err(ctx, "%s: detach or destroy failed: %s", dev->name,
			strerror(-err));
	return err;
}

void nest_dev_free(struct nest_dev *dev)
{
	if (dev && dev->ops->free)
		dev->ops->free(dev);
	free(dev);
}

void nest_vm_teardown(struct nest_ctx *ctx, struct nest_dev **devs,
		      unsigned int nr)
{
	while (nr--) {
		if (devs[nr])
			nest_detach_device(ctx, devs[nr]);
		nest_dev_free(devs[nr]);
		devs[nr] = NULL;
	}
	nest_ctx_fini(ctx);
}
