// SPDX-License-Identifier: GPL-2.0
/*
 * nest_vmm: realize one device as QEMU 11.1 realizes a vfio-pci device
 * under a vIOMMU config (the attach sequence up to set_iommu_device,
 * guest RAM mapped first), undo it, and print one record in the form
 * vm/guest/qemu_vmm_edu records QEMU's own run, so the two compare:
 *
 *   CONFIG|PLACEMENT|SEQUENCE|HWPT_FLAGS|OUTCOME|REASON
 *
 * SEQUENCE names the ioctls as strace does, short (BIND IOAS_ALLOC
 * GET_HW_INFO HWPT_ALLOC(flags=0x1) ATTACH IOVA_RANGES MAP GET_HW_INFO),
 * up to set_iommu_device or the first that failed (NAME=ERRNO).  REASON
 * is "vIOMMU: WHY" for a set_iommu_device refusal, NAME=ERRNO for a
 * failed ioctl, "-" when realized.
 *
 * Exit: 0 realized, 1 refused, 2 bad usage, 4 no /dev/iommu.
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

static void print_usage(FILE *f, const char *prog)
{
	char specs[256];

	nest_backend_specs(specs, sizeof(specs));
	fprintf(f, "usage: %s --viommu CONFIG --device DEV [--guest-ram MIB]\n"
		"DEV: %s\n"
		"Prints CONFIG|PLACEMENT|SEQUENCE|HWPT_FLAGS|OUTCOME|REASON.\n",
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
	case NEST_EV_HIOD_REALIZE:	return "GET_HW_INFO";
	case NEST_EV_HWPT_ALLOC:	return "HWPT_ALLOC";
	case NEST_EV_IOVA_RANGES:	return "IOVA_RANGES";
	case NEST_EV_MAP:		return "MAP";
	case NEST_EV_DETACH:		return "DETACH";
	case NEST_EV_DESTROY:		return "DESTROY";
	default:			return NULL;
	}
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

/* The record's SEQUENCE, HWPT_FLAGS and, for a failed ioctl, REASON. */
static void sequence(const struct nest_ctx *ctx, char *seq, char *flags,
		     char *reason, size_t len)
{
	const struct nest_event *ev;
	const char *name;
	unsigned int i;

	seq[0] = flags[0] = 0;
	for (i = 0; i < ctx->nr_events; i++) {
		ev = &ctx->trace[i];
		if (ev->type == NEST_EV_SET_IOMMU_DEVICE)
			break;
		name = ioctl_name(ev);
		if (!name)
			continue;
		add(seq, len, "%s%s", seq[0] ? " " : "", name);
		if (ev->type == NEST_EV_HWPT_ALLOC) {
			add(seq, len, "(flags=0x%llx)",
			    (unsigned long long)ev->arg);
			add(flags, len, "%s0x%llx", flags[0] ? "," : "",
			    (unsigned long long)ev->arg);
		}
		if (ev->err) {
			add(seq, len, "=%s", nest_errno_name(ev->err));
			snprintf(reason, len, "%s=%s", name,
				 nest_errno_name(ev->err));
			break;
		}
	}
	if (!flags[0])
		snprintf(flags, len, "-");
}

int main(int argc, char **argv)
{
	static const char refused[] = "refused the host IOMMU device: ";
	char err[NEST_ERR_LEN], seq[RECORD_LEN], flags[RECORD_LEN];
	char reason[RECORD_LEN] = "-";
	const char *config = NULL, *spec = NULL, *why;
	unsigned long ram_mib = DEFAULT_RAM_MIB;
	struct viommu_config cfg;
	struct nest_ctx ctx;
	struct nest_dev *dev;
	struct viommu v;
	int i, fd, rc;
	char *end;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--viommu") && i + 1 < argc) {
			config = argv[++i];
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			spec = argv[++i];
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
	if (!config || !spec) {
		fprintf(stderr, "error: --viommu CONFIG and --device DEV are both needed\n");
		print_usage(stderr, argv[0]);
		return 2;
	}
	if (viommu_config_parse(config, &cfg, err, sizeof(err))) {
		fprintf(stderr, "error: --viommu '%s': %s\n", config, err);
		return 2;
	}
	if (!nest_backend_find(spec, err, sizeof(err))) {
		fprintf(stderr, "error: %s\n", err);
		return 2;
	}
	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "error: /dev/iommu: %s\n", strerror(errno));
		return 4;
	}
	viommu_init(&v, &cfg);
	nest_ctx_init(&ctx, fd, &v);
	ctx.guest_ram = (uint64_t)ram_mib << 20;
	if (nest_dev_open_spec(fd, spec, 0, &dev, err, sizeof(err))) {
		fprintf(stderr, "error: %s\n", err);
		close(fd);
		return 2;
	}
	rc = nest_attach_device(&ctx, dev);
	sequence(&ctx, seq, flags, reason, sizeof(reason));
	why = strstr(ctx.err, refused);
	if (rc && why)
		snprintf(reason, sizeof(reason), "vIOMMU: %s",
			 why + strlen(refused));
	/* refused with no ioctl failing: the message itself is compared */
	else if (rc && !strcmp(reason, "-"))
		snprintf(reason, sizeof(reason), "refused: %s", ctx.err);
	printf("%s|%s|%s|%s|%s|%s\n", config,
	       dev->behind_bridge ? "bridge" : "root", seq[0] ? seq : "-",
	       flags, rc ? "refused" : "realized", rc ? reason : "-");
	if (rc)
		fprintf(stderr, "# %s\n", ctx.err);
	else
		nest_detach_device(&ctx, dev);
	nest_dev_free(dev);
	nest_ctx_fini(&ctx);
	close(fd);
	return rc ? 1 : 0;
}
