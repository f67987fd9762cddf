// SPDX-License-Identifier: GPL-2.0
/*
 * nest_vmm: realize devices as QEMU 11.1 realizes vfio-pci devices, in
 * order, in one VM under a vIOMMU config (each attach up to and through
 * set_iommu_device, guest RAM mapped by the first of a container), undo
 * it, and print one record per device in the form vm/guest/qemu_vmm_edu
 * records QEMU's own run, so the two compare:
 *
 *   CONFIG|PLACEMENT|SEQUENCE|HWPT_FLAGS|OUTCOME|REASON
 *
 * SEQUENCE names the device's ioctls as strace does, short (BIND
 * IOAS_ALLOC GET_HW_INFO HWPT_ALLOC(flags=0x1) ATTACH IOVA_RANGES MAP
 * GET_HW_INFO), then what set_iommu_device does through iommufd (for
 * arm-smmuv3 accel=on its vIOMMU objects, the vSTE of each HWPT named),
 * or up to the first that failed (NAME=ERRNO).  REASON is "vIOMMU: WHY"
 * for a set_iommu_device refusal, NAME=ERRNO for a failed ioctl,
 * "refused: WHY" for another refusal, "-" when realized.  Like QEMU it
 * stops at the first refusal: the devices after it are "not reached".
 *
 * Exit: 0 all realized, 1 one refused, 2 bad usage, 4 no /dev/iommu.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nest.h"
#include "viommu_model.h"

#define RECORD_LEN	1024
/* QEMU's -m 64 in the recording */
#define DEFAULT_RAM_MIB	64
#define MAX_DEVICES	4

static void print_usage(FILE *f, const char *prog)
{
	char specs[256];

	nest_backend_specs(specs, sizeof(specs));
	fprintf(f, "usage: %s --viommu CONFIG --device DEV [--device DEV]... [--guest-ram MIB]\n"
		"DEV: %s\n"
		"Prints CONFIG|PLACEMENT|SEQUENCE|HWPT_FLAGS|OUTCOME|REASON per device.\n",
		prog, specs);
}

/* QEMU's name for the ioctl behind @ev, or NULL: not an ioctl */
static const char *ioctl_name(const struct nest_event *ev)
{
	switch (ev->type) {
	case NEST_EV_BIND:		return "BIND";
	case NEST_EV_REUSE_TRY:
	case NEST_EV_ATTACH:		return "ATTACH";
	case NEST_EV_IOAS_ALLOC:	return "IOAS_ALLOC";
	case NEST_EV_DEVICE_INFO:
	case NEST_EV_HW_INFO_PROBE:
	case NEST_EV_HIOD_REALIZE:	return "GET_HW_INFO";
	case NEST_EV_HWPT_ALLOC:
	case NEST_EV_NESTED_ALLOC:	return "HWPT_ALLOC";
	case NEST_EV_VIOMMU_ALLOC:	return "VIOMMU_ALLOC";
	case NEST_EV_VDEVICE_ALLOC:	return "VDEVICE_ALLOC";
	case NEST_EV_IOVA_RANGES:	return "IOVA_RANGES";
	case NEST_EV_MAP:		return "MAP";
	case NEST_EV_DETACH:		return "DETACH";
	case NEST_EV_DESTROY:		return "DESTROY";
	default:			return NULL;
	}
}

/* The vSTE of the HWPT @ev made or attached to, as ioctl_log.so names it */
static const char *vste_of(const struct nest_ctx *ctx,
			   const struct nest_event *ev)
{
	uint32_t id;

	if (ev->type == NEST_EV_NESTED_ALLOC)
		id = ev->new_id;
	else if (ev->type == NEST_EV_ATTACH)
		id = ev->id;
	else
		return NULL;
	if (id && id == ctx->vsmmu.abort_id)
		return "abort";
	if (id && id == ctx->vsmmu.bypass_id)
		return "bypass";
	return NULL;
}

static void add(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/*
 * The record's SEQUENCE, HWPT_FLAGS and, for a failed ioctl, REASON: the
 * attach, then what the vIOMMU did through iommufd when it accepted the
 * device (arm-smmuv3 accel=on builds its objects there).
 */
static void sequence(const struct nest_ctx *ctx, unsigned int start,
		     char *seq, char *flags, char *reason, size_t len)
{
	const struct nest_event *ev;
	const char *name, *vste;
	unsigned long long hwpt_flags;
	unsigned int i;

	seq[0] = flags[0] = 0;
	for (i = start; i < ctx->nr_events; i++) {
		ev = &ctx->trace[i];
		if (ev->type == NEST_EV_SET_IOMMU_DEVICE && ev->err)
			break;
		/* what the vIOMMU started to build is being undone */
		if (ev->type == NEST_EV_UNSET_IOMMU_DEVICE)
			break;
		name = ioctl_name(ev);
		if (!name)
			continue;
		add(seq, len, "%s%s", seq[0] ? " " : "", name);
		vste = vste_of(ctx, ev);
		if (ev->type == NEST_EV_HWPT_ALLOC ||
		    ev->type == NEST_EV_NESTED_ALLOC) {
			/* the engine allocates nested HWPTs with no flags */
			hwpt_flags = ev->type == NEST_EV_HWPT_ALLOC ? ev->arg : 0;
			add(seq, len, "(flags=0x%llx%s%s)", hwpt_flags,
			    vste ? ",vste=" : "", vste ?: "");
			add(flags, len, "%s0x%llx", flags[0] ? "," : "",
			    hwpt_flags);
		} else if (vste) {
			add(seq, len, "(vste=%s)", vste);
		}
		/* a probe's failure is its answer: QEMU goes on */
		if (ev->err && ev->type == NEST_EV_HW_INFO_PROBE) {
			add(seq, len, "=%s", nest_errno_name(ev->err));
			continue;
		}
		if (ev->err) {
			add(seq, len, "=%s", nest_errno_name(ev->err));
			snprintf(reason, len, "%s=%s", name,
				 nest_errno_name(ev->err));
			break;
		}
		/* a refused realize being undone: the attach ended */
		if (ev->type == NEST_EV_DETACH)
			break;
	}
	if (!flags[0])
		snprintf(flags, len, "-");
}

/* @err without the "NAME: " the engine starts a device's errors with */
static const char *unprefixed(const char *err, const char *name)
{
	size_t n = strlen(name);

	return strncmp(err, name, n) || strncmp(err + n, ": ", 2) ?
	       err : err + n + 2;
}

/*
 * Attach @dev as the VM's next device; print its record.  @start: where
 * its events begin in the trace.  0 realized, 1 refused.
 */
static int realize(struct nest_ctx *ctx, struct nest_dev *dev,
		   const char *config)
{
	static const char refused[] = "refused the host IOMMU device: ";
	char seq[RECORD_LEN], flags[RECORD_LEN], reason[RECORD_LEN] = "-";
	unsigned int start = ctx->nr_events;
	const char *why;
	int rc;

	rc = nest_attach_device(ctx, dev);
	sequence(ctx, start, seq, flags, reason, sizeof(reason));
	why = strstr(ctx->err, refused);
	if (rc && why)
		snprintf(reason, sizeof(reason), "vIOMMU: %s",
			 why + strlen(refused));
	/* refused with no ioctl failing: the message itself is compared */
	else if (rc && !strcmp(reason, "-"))
		snprintf(reason, sizeof(reason), "refused: %s",
			 unprefixed(ctx->err, dev->name));
	printf("%s|%s|%s|%s|%s|%s\n", config,
	       dev->behind_bridge ? "bridge" : "root", seq[0] ? seq : "-",
	       flags, rc ? "refused" : "realized", rc ? reason : "-");
	if (rc)
		fprintf(stderr, "# %s\n", ctx->err);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *config = NULL, *specs[MAX_DEVICES];
	struct nest_dev *devs[MAX_DEVICES] = { NULL };
	unsigned long ram_mib = DEFAULT_RAM_MIB;
	unsigned int nr = 0, n, k;
	char err[NEST_ERR_LEN];
	struct viommu_config cfg;
	struct nest_ctx ctx;
	struct viommu v;
	int i, fd, rc = 0;
	char *end;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--viommu") && i + 1 < argc) {
			config = argv[++i];
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			if (nr == MAX_DEVICES) {
				fprintf(stderr, "error: more than %d --device\n",
					MAX_DEVICES);
				return 2;
			}
			specs[nr++] = argv[++i];
		} else if (!strcmp(argv[i], "--guest-ram") && i + 1 < argc) {
			errno = 0;
			ram_mib = strtoul(argv[++i], &end, 10);
			if (errno || *end || !*argv[i] || ram_mib > 1 << 20) {
				fprintf(stderr, "error: --guest-ram '%s': expected MiB, 0..1048576\n",
					argv[i]);
				return 2;
			}
		} else {
			return nest_usage_exit(argv[i], argv[0], print_usage);
		}
	}
	if (!config || !nr) {
		fprintf(stderr, "error: --viommu CONFIG and --device DEV are both needed\n");
		print_usage(stderr, argv[0]);
		return 2;
	}
	if (viommu_config_parse(config, &cfg, err, sizeof(err))) {
		fprintf(stderr, "error: --viommu '%s': %s\n", config, err);
		return 2;
	}
	for (k = 0; k < nr; k++) {
		if (!nest_backend_find(specs[k], err, sizeof(err))) {
			fprintf(stderr, "error: %s\n", err);
			return 2;
		}
	}
	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "error: /dev/iommu: %s\n", strerror(errno));
		return 4;
	}
	viommu_init(&v, &cfg);
	nest_ctx_init(&ctx, fd, &v);
	ctx.guest_ram = (uint64_t)ram_mib << 20;
	for (k = 0; k < nr; k++) {
		if (nest_dev_open_spec(fd, specs[k], 0, &devs[k], err,
				       sizeof(err))) {
			fprintf(stderr, "error: %s\n", err);
			rc = 2;
			break;
		}
	}
	/* QEMU realizes them in order and stops at the first refusal */
	for (n = 0; !rc && n < nr; n++)
		rc = realize(&ctx, devs[n], config);
	for (k = rc == 2 ? 0 : n; k < nr; k++)
		if (devs[k])
			printf("%s|%s|-|-|not reached|-\n", config,
			       devs[k]->behind_bridge ? "bridge" : "root");
	/* detaching one that was refused or never attached does nothing */
	nest_vm_teardown(&ctx, devs, nr);
	close(fd);
	return rc;
}
