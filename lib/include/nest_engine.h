/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMM attach engine: the VFIO-core side of attaching a device under a
 * vIOMMU with the iommufd backend, step by step as QEMU does it, with
 * every step appended to a trace.  Devices sit behind an ops table so the
 * mock and the VFIO cdev backends share one engine.
 */
#ifndef NEST_ENGINE_H
#define NEST_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "viommu_model.h"

#define NEST_MAX_HWPTS	16
#define NEST_MAX_IOAS	8
#define NEST_TRACE_MAX	256
#define NEST_MAX_IDS	128
#define NEST_ERR_LEN	256
#define NEST_NAME_LEN	32
/* What ctx->err holds (or ends with) once the trace has overflowed. */
#define NEST_TRACE_OVERFLOW	"trace overflow: events dropped"

/* From a member to its struct: a backend that wraps another's ops. */
#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

struct nest_ctx;
struct nest_dev;

/* Every op returns 0 or a negative errno. */
struct nest_dev_ops {
	const char *name;
	/* bind attaches it to an IOAS of its own: every attach replaces */
	bool bind_attaches;
	/* Bind to ctx->fd and set dev->dev_id; may attach to the IOAS. */
	int (*bind)(struct nest_ctx *ctx, struct nest_dev *dev);
	/* Attach to @pt_id, or replace the current attachment with it. */
	int (*attach)(struct nest_ctx *ctx, struct nest_dev *dev, uint32_t pt_id);
	/* Leave the current HWPT so it can be destroyed. */
	int (*detach)(struct nest_ctx *ctx, struct nest_dev *dev);
	void (*unbind)(struct nest_ctx *ctx, struct nest_dev *dev);
	void (*free)(struct nest_dev *dev);
};

/* A container: an IOAS and the HWPTs on it. */
struct nest_ioas {
	uint32_t id;
	/* HOST_IOMMU_QUIRK_NESTING_PARENT_BYPASS_RO: skip read-only RAM */
	bool bypass_ro;
	/* from IOAS_IOVA_RANGES, read once: 64 when they are unknown */
	unsigned int host_aw_bits;
};

struct nest_hwpt {
	uint32_t id;
	uint32_t ioas_id;	/* its container */
	uint32_t alloc_flags;
	unsigned int users;
};

struct nest_dev {
	const struct nest_dev_ops *ops;
	void *priv;
	char name[NEST_NAME_LEN];
	bool behind_bridge;
	bool bound;
	uint32_t dev_id;
	uint32_t hwpt_id;	/* the context HWPT it is attached to */
	uint32_t nested_id;	/* its stage-1 HWPT, 0 when none */
	/* arm-smmuv3 accel=on: its virtual SID, its vDEVICE, and whether
	 * it holds a reference on the context's vSMMU objects
	 */
	uint32_t vsid;
	uint32_t vdev_id;
	bool on_vsmmu;
	bool dirty_tracking;
	bool hiod_set;
	struct viommu_hiod hiod;
};

enum nest_event_type {
	NEST_EV_BIND,
	NEST_EV_REUSE_TRY,
	NEST_EV_IOAS_ALLOC,
	NEST_EV_DEVICE_INFO,
	NEST_EV_GET_FLAGS,
	NEST_EV_HOST_QUIRKS,
	NEST_EV_HWPT_ALLOC,
	NEST_EV_ATTACH,
	NEST_EV_IOVA_RANGES,
	NEST_EV_MAP,
	NEST_EV_HIOD_REALIZE,
	NEST_EV_SET_IOMMU_DEVICE,
	NEST_EV_NESTED_ALLOC,
	NEST_EV_VIOMMU_ALLOC,
	NEST_EV_VDEVICE_ALLOC,
	/* a GET_HW_INFO for another data type, whose failure is an answer */
	NEST_EV_HW_INFO_PROBE,
	NEST_EV_UNSET_IOMMU_DEVICE,
	NEST_EV_DETACH,
	NEST_EV_DESTROY,
	NEST_EV_UNBIND,
};

/* A DESTROY event's arg when it destroyed an IOAS (else a HWPT) */
#define NEST_DESTROY_IOAS	1

struct nest_event {
	enum nest_event_type type;
	uint32_t id;		/* the device, HWPT or IOAS it acted on */
	uint32_t new_id;	/* the object it created, if any */
	uint64_t arg;		/* flags, caps, address bits or hw_info type */
	int err;		/* positive errno, 0 on success */
};

struct nest_ctx {
	int fd;
	/* the newest container's IOAS, 0 when none: where a VM maps */
	uint32_t ioas_id;
	struct viommu *viommu;
	/* containers and HWPTs, oldest first */
	unsigned int nr_ioas;
	struct nest_ioas ioas[NEST_MAX_IOAS];
	unsigned int nr_hwpts;
	struct nest_hwpt hwpts[NEST_MAX_HWPTS];
	/*
	 * arm-smmuv3 accel=on: the VM's vSMMU as iommufd objects, a vIOMMU on
	 * the nesting parent and HWPTs from an abort and a bypass vSTE, made
	 * for its first device and shared by all (QEMU's per-vSMMU state);
	 * users: the devices holding them.
	 */
	struct {
		uint32_t viommu_id, abort_id, bypass_id, parent_id;
		unsigned int users;
	} vsmmu;
	unsigned int nr_events;
	struct nest_event trace[NEST_TRACE_MAX];
	/*
	 * Events dropped because the trace was full.  Non-zero makes the
	 * formatters fail with -EOVERFLOW and puts NEST_TRACE_OVERFLOW in
	 * err; the steps themselves still return what the kernel said.
	 */
	unsigned int trace_overflow;
	/*
	 * Called with each new IOAS before anything attaches to it, where a
	 * test plays the host's reserved regions.  NULL: nothing.
	 */
	void (*ioas_created)(struct nest_ctx *ctx, uint32_t ioas_id);
	/*
	 * Bytes of guest RAM the VM maps at IPA @ram_ipa into each new
	 * container after the attach and before set_iommu_device, as QEMU's
	 * memory listener does; 0: none.  The engine owns @ram, its backing.
	 * @ram_ipa is the machine's RAM base (0 on x86's pc and q35).
	 */
	uint64_t guest_ram;
	uint64_t ram_ipa;
	void *ram;
	/* every object id ever created here, for leak checks */
	unsigned int nr_ids;
	uint32_t ids[NEST_MAX_IDS];
	char err[NEST_ERR_LEN];
};

/* A VM on @fd whose vIOMMU is @v; containers come with the attaches. */
int nest_ctx_init(struct nest_ctx *ctx, int fd, struct viommu *v);
/* Destroy the containers left; every device must be detached first. */
int nest_ctx_fini(struct nest_ctx *ctx);
void nest_ctx_note_id(struct nest_ctx *ctx, uint32_t id);

/*
 * Steps 1-9: bind; an existing container's HWPT or a new one on it; else
 * a new container; then the hiod, and set_iommu_device().
 */
int nest_attach_device(struct nest_ctx *ctx, struct nest_dev *dev);
/*
 * Step 10: the vIOMMU's stage-1.  A nested HWPT on hiod.hwpt_id (VT-d:
 * @s1_addr is the first-stage table), or for arm-smmuv3 accel=on, on the
 * vSMMU's vIOMMU that step 9 made, the device's vDEVICE at dev->vsid and
 * a HWPT from an S1_TRANS vSTE whose CD is at IPA @s1_addr.  Called
 * again, the new stage-1 replaces the old.
 */
int nest_enable_stage1(struct nest_ctx *ctx, struct nest_dev *dev,
		       uint64_t s1_addr);
/*
 * Reverse of the above: unset, detach, destroy, unbind.  0, or the first
 * detach or destroy error (the device is unbound all the same).
 */
int nest_detach_device(struct nest_ctx *ctx, struct nest_dev *dev);
void nest_dev_free(struct nest_dev *dev);
/*
 * A VM going away: detach and free each of @devs (NULL entries skipped),
 * last first, then destroy what containers are left.  For fixture
 * teardowns.
 */
void nest_vm_teardown(struct nest_ctx *ctx, struct nest_dev **devs,
		      unsigned int nr);

struct nest_hwpt *nest_find_hwpt(struct nest_ctx *ctx, uint32_t id);
struct nest_ioas *nest_find_ioas(struct nest_ctx *ctx, uint32_t id);
/*
 * How many ids of ctx->ids are still alive, asked without destroying
 * anything: a leak check for after teardown.
 */
unsigned int nest_count_live_ids(const struct nest_ctx *ctx);

#endif
