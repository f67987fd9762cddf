// SPDX-License-Identifier: GPL-2.0
/*
 * Printing the attach engine's trace.  Object ids are kernel-assigned and
 * reused, so they print as names given in order of creation: devices
 * D1, D2..., HWPTs H1, H2..., IOASes IOAS1, IOAS2...
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/iommufd.h>

#include "nest_trace.h"
#include "nest_ioctl.h"

enum obj_kind { OBJ_DEV, OBJ_HWPT, OBJ_IOAS, NR_OBJ_KINDS };

static const char *const obj_prefix[NR_OBJ_KINDS] = {
	[OBJ_DEV] = "D", [OBJ_HWPT] = "H", [OBJ_IOAS] = "IOAS",
};

struct trace_names {
	unsigned int nr, nr_of[NR_OBJ_KINDS];
	struct {
		uint32_t id;
		enum obj_kind kind;
		char name[12];
	} map[NEST_TRACE_MAX * 2];
	bool shape;	/* leave out what the host decides */
};

/* HWPT_ALLOC flags the host decides rather than the vIOMMU */
#define HOST_HWPT_FLAGS (IOMMU_HWPT_ALLOC_DIRTY_TRACKING | NEST_HWPT_ALLOC_PASID)

static const char *const event_names[] = {
	[NEST_EV_BIND] = "BIND",
	[NEST_EV_REUSE_TRY] = "REUSE_TRY",
	[NEST_EV_IOAS_ALLOC] = "IOAS_ALLOC",
	[NEST_EV_DEVICE_INFO] = "DEVICE_INFO",
	[NEST_EV_GET_FLAGS] = "GET_FLAGS",
	[NEST_EV_HOST_QUIRKS] = "HOST_QUIRKS",
	[NEST_EV_HWPT_ALLOC] = "HWPT_ALLOC",
	[NEST_EV_ATTACH] = "ATTACH",
	[NEST_EV_IOVA_RANGES] = "IOVA_RANGES",
	[NEST_EV_MAP] = "MAP",
	[NEST_EV_HIOD_REALIZE] = "HIOD_REALIZE",
	[NEST_EV_SET_IOMMU_DEVICE] = "SET_IOMMU_DEVICE",
	[NEST_EV_NESTED_ALLOC] = "NESTED_ALLOC",
	[NEST_EV_VIOMMU_ALLOC] = "VIOMMU_ALLOC",
	[NEST_EV_VDEVICE_ALLOC] = "VDEVICE_ALLOC",
	[NEST_EV_HW_INFO_PROBE] = "HW_INFO_PROBE",
	[NEST_EV_UNSET_IOMMU_DEVICE] = "UNSET_IOMMU_DEVICE",
	[NEST_EV_DETACH] = "DETACH",
	[NEST_EV_DESTROY] = "DESTROY",
	[NEST_EV_UNBIND] = "UNBIND",
};

/* Give a newly created object the next name of its kind. */
static void name_new(struct trace_names *n, uint32_t id, enum obj_kind kind)
{
	if (n->nr >= ARRAY_SIZE(n->map))
		return;
	n->map[n->nr].id = id;
	n->map[n->nr].kind = kind;
	snprintf(n->map[n->nr].name, sizeof(n->map[n->nr].name), "%s%u",
		 obj_prefix[kind], ++n->nr_of[kind]);
	n->nr++;
}

/*
 * The newest name for @id as a @kind (ids of destroyed objects come
 * back as other kinds); objects created before the slice get one now.
 */
static const char *name_of(struct trace_names *n, uint32_t id,
			   enum obj_kind kind)
{
	unsigned int i;

	for (i = n->nr; i-- > 0;)
		if (n->map[i].id == id)
			return n->map[i].name;
	name_new(n, id, kind);
	return n->nr ? n->map[n->nr - 1].name : "?";
}

static enum obj_kind acts_on(const struct nest_event *ev)
{
	switch (ev->type) {
	case NEST_EV_BIND:
	case NEST_EV_DEVICE_INFO:
	case NEST_EV_HW_INFO_PROBE:
	case NEST_EV_SET_IOMMU_DEVICE:
	case NEST_EV_UNSET_IOMMU_DEVICE:
	case NEST_EV_UNBIND:
		return OBJ_DEV;
	case NEST_EV_HOST_QUIRKS:
	case NEST_EV_IOVA_RANGES:
	case NEST_EV_MAP:
		return OBJ_IOAS;
	case NEST_EV_DESTROY:
		return ev->arg == NEST_DESTROY_IOAS ? OBJ_IOAS : OBJ_HWPT;
	default:
		return OBJ_HWPT;
	}
}

/*
 * Events whose result is a number: its label and base.  The host's
 * answers are left out of a trace's shape, which must not depend on it.
 */
static const struct {
	const char *label;
	bool hex;
	bool host;
} numbers[] = {
	[NEST_EV_GET_FLAGS] = { "", true, false },
	[NEST_EV_HOST_QUIRKS] = { "", true, true },
	[NEST_EV_DEVICE_INFO] = { "caps:", true, true },
	[NEST_EV_IOVA_RANGES] = { "aw:", false, true },
	[NEST_EV_HIOD_REALIZE] = { "type:", true, true },
};

/* The "=result" part of one event. */
static int format_result(struct trace_names *n, const struct nest_event *ev,
			 char *buf, size_t len)
{
	unsigned long long arg = ev->arg;

	if (ev->err)
		return snprintf(buf, len, "=%s", nest_errno_name(ev->err));
	if ((unsigned int)ev->type < ARRAY_SIZE(numbers) &&
	    numbers[ev->type].label) {
		if (n->shape && numbers[ev->type].host)
			return snprintf(buf, len, "%s", "");
		return snprintf(buf, len, numbers[ev->type].hex ?
				"=%s0x%llx" : "=%s%llu",
				numbers[ev->type].label, arg);
	}
	switch (ev->type) {
	case NEST_EV_IOAS_ALLOC:
		name_new(n, ev->new_id, OBJ_IOAS);
		return snprintf(buf, len, "=%s",
				name_of(n, ev->new_id, OBJ_IOAS));
	case NEST_EV_HWPT_ALLOC:
	case NEST_EV_NESTED_ALLOC:
	case NEST_EV_VIOMMU_ALLOC:
	case NEST_EV_VDEVICE_ALLOC:
		/* objects on a vIOMMU share the HWPTs' names */
		name_new(n, ev->new_id, OBJ_HWPT);
		return snprintf(buf, len, "=%s",
				name_of(n, ev->new_id, OBJ_HWPT));
	case NEST_EV_SET_IOMMU_DEVICE:
	case NEST_EV_REUSE_TRY:
		return snprintf(buf, len, "=ok");
	default:
		return snprintf(buf, len, "%s", "");
	}
}

/* The "NAME(object)" part of one event. */
static int format_call(struct trace_names *n, const struct nest_event *ev,
		       char *buf, size_t len)
{
	const char *name = event_names[ev->type];

	if (ev->type == NEST_EV_BIND && !ev->err)
		name_new(n, ev->id, OBJ_DEV);
	switch (ev->type) {
	case NEST_EV_GET_FLAGS:
	case NEST_EV_IOAS_ALLOC:
		return snprintf(buf, len, "%s", name);
	case NEST_EV_HWPT_ALLOC:
		return snprintf(buf, len, "%s(0x%llx)", name,
				(unsigned long long)(n->shape ?
				ev->arg & ~HOST_HWPT_FLAGS : ev->arg));
	case NEST_EV_BIND:
		if (ev->err)
			return snprintf(buf, len, "%s", name);
		/* fall through */
	default:
		return snprintf(buf, len, "%s(%s)", name,
				name_of(n, ev->id, acts_on(ev)));
	}
}

static int format_trace(const struct nest_ctx *ctx, unsigned int from,
			char *buf, size_t len, bool shape)
{
	struct trace_names names = { .shape = shape };
	size_t used = 0;
	unsigned int i;
	char call[64], result[32];

	if (len)
		buf[0] = 0;
	for (i = from; i < ctx->nr_events && used < len; i++) {
		format_call(&names, &ctx->trace[i], call, sizeof(call));
		format_result(&names, &ctx->trace[i], result, sizeof(result));
		used += snprintf(buf + used, len - used, "%s%s%s",
				 i == from ? "" : " ", call, result);
	}
	if (used >= len)
		return -ENOSPC;
	/* an incomplete trace is no trace to compare */
	return ctx->trace_overflow ? -EOVERFLOW : 0;
}

int nest_trace_format(const struct nest_ctx *ctx, unsigned int from,
		      char *buf, size_t len)
{
	return format_trace(ctx, from, buf, len, false);
}

int nest_trace_shape(const struct nest_ctx *ctx, unsigned int from,
		     char *buf, size_t len)
{
	return format_trace(ctx, from, buf, len, true);
}

int nest_trace_find(const struct nest_ctx *ctx, unsigned int from,
		    enum nest_event_type type)
{
	unsigned int i;

	for (i = from; i < ctx->nr_events; i++)
		if (ctx->trace[i].type == type)
			return i;
	return -1;
}
