// SPDX-License-Identifier: GPL-2.0
/*
 * The bring-up report.  For each vIOMMU config: the flags it answers and
 * whether they survive migration.  With --device (a device spec: a BDF
 * bound to vfio-pci, or "mock"): the host IOMMU's type, decoded
 * capabilities and quirks, and per config whether a nesting parent was
 * granted and the vIOMMU's verdict.
 *
 *   nest_report [--json] [--device DEV]... --viommu CONFIG [--viommu CONFIG]...
 *   nest_report --list-kinds
 *
 * --list-kinds prints the registry, one kind a line: its name, QEMU's
 * -device name, arch, machine and the properties QEMU's -device needs
 * besides the config's, tab-separated, "-" for none (a kind QEMU lacks
 * has "-" for all four).
 *
 * Exit status: 0, 1 when a device cannot be examined, 2 for bad usage or
 * a bad config or device spec (one-line error).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nest.h"
#include "viommu_model.h"

#define MAX_CONFIGS 32
#define MAX_DEVICES 8

struct report_row {
	const char *input;
	struct viommu_config cfg;
	char canonical[160];
	uint64_t flags;
	bool safe;
	const char *unsafe_why;
};

/* One config tried on one device. */
struct attempt {
	const char *nest_parent;	/* "granted", "refused", "not wanted" */
	int alloc_err;
	bool accepted;
	char reason[NEST_ERR_LEN];
};

struct device_report {
	const char *spec;
	unsigned int index;
	char name[NEST_NAME_LEN];
	struct viommu_hiod hiod;
	uint64_t quirks;
	char decoded[1024];
	struct attempt attempts[MAX_CONFIGS];
};

static void print_usage(FILE *f, const char *prog)
{
	char specs[256];

	nest_backend_specs(specs, sizeof(specs));
	fprintf(f, "usage: %s [--json] [--device DEV]... --viommu CONFIG [--viommu CONFIG]...\n"
		"       %s --list-kinds\n"
		"DEV: %s\n", prog, prog, specs);
}

static const char *dash(const char *s)
{
	return s && *s ? s : "-";
}

static void list_kinds(void)
{
	struct viommu_qemu_place p;
	int k, rc;

	for (k = 0; (rc = viommu_kind_qemu(k, &p)) != -ENOENT; k++) {
		if (rc)
			p.device = p.arch = p.machine = p.props = NULL;
		printf("%s\t%s\t%s\t%s\t%s\n", viommu_kind_name(k),
		       dash(p.device), dash(p.arch), dash(p.machine),
		       dash(p.props));
	}
}

/* Attach @d under @cfg through the engine, as a VMM would, and undo it. */
static int try_config(struct device_report *d, const struct viommu_config *cfg,
		      struct attempt *a, struct viommu_hiod *hiod)
{
	struct nest_ctx ctx;
	struct nest_dev *dev;
	struct viommu v;
	unsigned int i;
	int fd, rc;

	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0) {
		snprintf(a->reason, sizeof(a->reason), "/dev/iommu: %s",
			 strerror(errno));
		return -errno;
	}
	viommu_init(&v, cfg);
	rc = nest_ctx_init(&ctx, fd, &v);
	if (rc)
		snprintf(a->reason, sizeof(a->reason), "%s", ctx.err);
	else
		rc = nest_dev_open_spec(fd, d->spec, d->index, &dev, a->reason,
					sizeof(a->reason));
	if (rc) {
		close(fd);
		return -ENODEV;
	}
	snprintf(d->name, sizeof(d->name), "%s", dev->name);
	rc = nest_attach_device(&ctx, dev);
	a->accepted = !rc;
	snprintf(a->reason, sizeof(a->reason), "%s", rc ? ctx.err : "");
	a->nest_parent = "not wanted";
	for (i = 0; i < ctx.nr_events; i++) {
		const struct nest_event *ev = &ctx.trace[i];

		if (ev->type != NEST_EV_HWPT_ALLOC ||
		    !(ev->arg & IOMMU_HWPT_ALLOC_NEST_PARENT))
			continue;
		a->nest_parent = ev->err ? "refused" : "granted";
		a->alloc_err = ev->err;
	}
	if (!rc && hiod)
		*hiod = dev->hiod;
	nest_detach_device(&ctx, dev);
	nest_dev_free(dev);
	nest_ctx_fini(&ctx);
	close(fd);
	return 0;
}

static int examine(struct device_report *d, const struct report_row *rows,
		   int n)
{
	struct viommu_config none = { .kind = VIOMMU_KIND_NONE };
	struct attempt plain;
	struct viommu v;
	int i;

	/* a plain attach realizes the hiod: the host's own report */
	if (try_config(d, &none, &plain, &d->hiod) || !plain.accepted) {
		fprintf(stderr, "error: %s: %s\n", d->name, plain.reason);
		return -1;
	}
	viommu_init(&v, &none);
	d->quirks = viommu_get_host_quirks(&v, d->hiod.hw_info_type,
					   d->hiod.data, d->hiod.data_len);
	hw_info_describe(d->hiod.hw_info_type, d->hiod.data, d->hiod.data_len,
			 d->decoded, sizeof(d->decoded));
	for (i = 0; i < n; i++)
		if (try_config(d, &rows[i].cfg, &d->attempts[i], NULL)) {
			fprintf(stderr, "error: %s: %s\n", d->name,
				d->attempts[i].reason);
			return -1;
		}
	return 0;
}

static void print_device(const struct device_report *d,
			 const struct report_row *rows, int n)
{
	char decoded[sizeof(d->decoded)], *line, *save;
	int i;

	printf("\ndevice %s%s\n", d->name,
	       d->hiod.behind_bridge ? " (behind a PCI bridge)" : "");
	printf("  host IOMMU:\n");
	memcpy(decoded, d->decoded, sizeof(decoded));
	for (line = strtok_r(decoded, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		printf("    %s\n", line);
	printf("    capabilities 0x%llx, usable IOVA width %u bits\n",
	       (unsigned long long)d->hiod.caps, d->hiod.host_aw_bits);
	printf("  quirks: 0x%llx%s\n", (unsigned long long)d->quirks,
	       d->quirks & HOST_IOMMU_QUIRK_NESTING_PARENT_BYPASS_RO ?
	       " (NESTING_PARENT_BYPASS_RO)" : "");
	for (i = 0; i < n; i++) {
		const struct attempt *a = &d->attempts[i];

		printf("  %-62s 0x%-4llx nest-parent %s%s%s: %s\n",
		       rows[i].canonical, (unsigned long long)rows[i].flags,
		       a->nest_parent, a->alloc_err ? " " : "",
		       a->alloc_err ? nest_errno_name(a->alloc_err) : "",
		       a->accepted ? "accepted" : "refused");
		if (!a->accepted)
			printf("    reason: %s\n", a->reason);
	}
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void print_json_devices(const struct device_report *d, int nd,
			       const struct report_row *rows, int n)
{
	int i, j;

	printf(", \"devices\": [");
	for (j = 0; j < nd; j++, d++) {
		printf("%s\n  {\"bdf\": \"%s\", \"hw_info_type\": %u, \"behind_bridge\": %s, \"capabilities\": %llu, \"quirks\": %llu, \"decoded\": ",
		       j ? "," : "", d->name, d->hiod.hw_info_type,
		       d->hiod.behind_bridge ? "true" : "false",
		       (unsigned long long)d->hiod.caps,
		       (unsigned long long)d->quirks);
		json_string(d->decoded);
		printf(", \"configs\": [");
		for (i = 0; i < n; i++) {
			printf("%s\n    {\"config\": ", i ? "," : "");
			json_string(rows[i].canonical);
			printf(", \"nest_parent\": \"%s\", \"verdict\": \"%s\", \"reason\": ",
			       d->attempts[i].nest_parent,
			       d->attempts[i].accepted ? "accepted" : "refused");
			json_string(d->attempts[i].reason);
			printf("}");
		}
		printf("]}");
	}
	printf("\n]");
}

static void print_json(const struct report_row *rows, int n)
{
	int i;

	printf("{\"qemu_release\": \"%s\", \"configs\": [",
	       VIOMMU_QEMU_RELEASE);
	for (i = 0; i < n; i++) {
		printf("%s\n  {\"config\": ", i ? "," : "");
		json_string(rows[i].canonical);
		printf(", \"flags\": %llu, \"want_nesting_parent\": %s, \"pasid_supported\": %s, \"want_nesting_dirty_tracking\": %s, \"want_pasid_attach\": %s, \"migration_safe\": %s",
		       (unsigned long long)rows[i].flags,
		       rows[i].flags & VIOMMU_FLAG_WANT_NESTING_PARENT ? "true" : "false",
		       rows[i].flags & VIOMMU_FLAG_PASID_SUPPORTED ? "true" : "false",
		       rows[i].flags & VIOMMU_FLAG_WANT_NESTING_DIRTY_TRACKING ? "true" : "false",
		       rows[i].flags & VIOMMU_FLAG_WANT_PASID_ATTACH ? "true" : "false",
		       rows[i].safe ? "true" : "false");
		if (!rows[i].safe) {
			printf(", \"unsafe_reason\": ");
			json_string(rows[i].unsafe_why);
		}
		printf("}");
	}
	printf("\n]");
}

static void print_table(const struct report_row *rows, int n)
{
	int i;

	printf("vIOMMU model: QEMU %s\n", VIOMMU_QEMU_RELEASE);
	printf("%-62s %-6s %-13s %-6s %s\n", "vIOMMU config", "flags",
	       "nest-parent", "pasid", "migration-safe");
	for (i = 0; i < n; i++) {
		printf("%-62s 0x%-4llx %-13s %-6s %s\n", rows[i].canonical,
		       (unsigned long long)rows[i].flags,
		       rows[i].flags & VIOMMU_FLAG_WANT_NESTING_PARENT ? "wanted" : "-",
		       rows[i].flags & VIOMMU_FLAG_PASID_SUPPORTED ? "yes" : "-",
		       rows[i].safe ? "yes" : "NO");
		if (!rows[i].safe)
			printf("  not migration safe: %s\n", rows[i].unsafe_why);
	}
}

int main(int argc, char **argv)
{
	static struct report_row rows[MAX_CONFIGS];
	static struct device_report devs[MAX_DEVICES];
	char err[NEST_ERR_LEN];
	bool json = false;
	int i, n = 0, nd = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--list-kinds")) {
			if (argc != 2) {
				fprintf(stderr, "error: --list-kinds takes no other argument\n");
				return 2;
			}
			list_kinds();
			return 0;
		} else if (!strcmp(argv[i], "--viommu") && i + 1 < argc) {
			if (n == MAX_CONFIGS) {
				fprintf(stderr, "error: more than %d --viommu configs\n",
					MAX_CONFIGS);
				return 2;
			}
			rows[n++].input = argv[++i];
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			if (nd == MAX_DEVICES) {
				fprintf(stderr, "error: more than %d devices\n",
					MAX_DEVICES);
				return 2;
			}
			devs[nd].spec = argv[++i];
			devs[nd].index = nd;
			snprintf(devs[nd].name, sizeof(devs[nd].name), "%s",
				 argv[i]);
			if (!nest_backend_find(argv[i], err, sizeof(err))) {
				fprintf(stderr, "error: %s\n", err);
				return 2;
			}
			nd++;
		} else {
			return nest_usage_exit(argv[i], argv[0], print_usage);
		}
	}
	if (!n) {
		fprintf(stderr, "error: no --viommu CONFIG given\n");
		print_usage(stderr, argv[0]);
		return 2;
	}
	for (i = 0; i < n; i++) {
		struct report_row *r = &rows[i];

		if (viommu_config_parse(r->input, &r->cfg, err, sizeof(err))) {
			fprintf(stderr, "error: --viommu '%s': %s\n", r->input,
				err);
			return 2;
		}
		viommu_config_format(&r->cfg, r->canonical,
				     sizeof(r->canonical));
		r->flags = viommu_config_flags(&r->cfg);
		r->safe = viommu_config_migration_safe(&r->cfg, &r->unsafe_why);
	}
	for (i = 0; i < nd; i++)
		if (examine(&devs[i], rows, n))
			return 1;
	if (json) {
		print_json(rows, n);
		if (nd)
			print_json_devices(devs, nd, rows, n);
		printf("}\n");
	} else {
		print_table(rows, n);
		for (i = 0; i < nd; i++)
			print_device(&devs[i], rows, n);
	}
	return 0;
}
