// SPDX-License-Identifier: GPL-2.0
/*
 * Migration between hosts, one side at a time.  "save" runs the source
 * VM's attach under a vIOMMU config and writes the migration stream;
 * "load" reads a stream on the target host, replays the attach there and
 * prints the verdict; "dump" decodes a stream.
 *
 *   nest_migrate save --viommu CONFIG --out FILE [--hex] [--stage1] DEV...
 *   nest_migrate load [--hex] FILE DEV...
 *   nest_migrate dump [--hex] FILE
 *
 * DEV is a device spec, as the backends' registry takes them: "mock" or
 * "mock-no-dirty" (the kernel's mock IOMMU) or the BDF of a device bound
 * to vfio-pci.  --hex reads and writes the stream as hex text, for
 * carrying it over a serial console.
 *
 * Exit status: 0 the stream was saved, or replayed to a verdict with
 * equal flags (accepted or refused); 1 a flags or layout mismatch, or a
 * failure; 2 bad usage, a bad config or a bad stream (one-line error);
 * 4 the kernel lacks iommufd or the mock devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nest.h"

#define FILE_MAX	(2 * VIOMMU_MIG_STREAM_MAX + 64)
#define TRACE_LEN	4096

enum { EXIT_MISMATCH = 1, EXIT_USAGE = 2, EXIT_NO_KERNEL = 4 };

struct opts {
	const char *cmd;
	const char *config;
	const char *file;
	bool hex;
	bool stage1;
	int nr_devs;
	char *devs[VIOMMU_MAX_DEVICES];
};

struct vm {
	int fd;
	struct viommu viommu;
	struct nest_ctx ctx;
	int nr_devs;
	struct nest_dev *devs[VIOMMU_MAX_DEVICES];
};

static void print_usage(FILE *f)
{
	char specs[256];

	nest_backend_specs(specs, sizeof(specs));
	fprintf(f, "usage: nest_migrate save --viommu CONFIG --out FILE [--hex] [--stage1] DEV...\n"
		"       nest_migrate load [--hex] FILE DEV...\n"
		"       nest_migrate dump [--hex] FILE\n"
		"DEV: %s\n", specs);
}

static int usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "error: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	print_usage(stderr);
	return EXIT_USAGE;
}

/* Some backend takes every DEV, before anything is opened. */
static int check_devs(const struct opts *o)
{
	char err[NEST_ERR_LEN];
	int i;

	for (i = 0; i < o->nr_devs; i++) {
		if (nest_backend_find(o->devs[i], err, sizeof(err)))
			continue;
		fprintf(stderr, "error: %s\n", err);
		return EXIT_USAGE;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	int i;

	if (argc < 2)
		return usage("no command: expected %s", "save, load or dump");
	o->cmd = argv[1];
	if (strcmp(o->cmd, "save") && strcmp(o->cmd, "load") &&
	    strcmp(o->cmd, "dump"))
		return usage("unknown command '%s': expected save, load or dump",
			     o->cmd);
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--hex")) {
			o->hex = true;
		} else if (!strcmp(a, "--stage1")) {
			o->stage1 = true;
		} else if (!strcmp(a, "--viommu") || !strcmp(a, "--out")) {
			if (i + 1 >= argc)
				return usage("%s needs a value", a);
			*(a[2] == 'v' ? &o->config : &o->file) = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			return usage("unknown option '%s'", a);
		} else if (strcmp(o->cmd, "save") && !o->file) {
			o->file = a;
		} else if (o->nr_devs < VIOMMU_MAX_DEVICES) {
			o->devs[o->nr_devs++] = argv[i];
		} else {
			return usage("more than 16 devices at '%s'", a);
		}
	}
	if (!o->file)
		return usage("%s needs a stream FILE", o->cmd);
	if (!strcmp(o->cmd, "save") && !o->config)
		return usage("%s needs --viommu CONFIG", o->cmd);
	if (strcmp(o->cmd, "dump") && !o->nr_devs)
		return usage("%s needs at least one DEV", o->cmd);
	if (!strcmp(o->cmd, "dump") && o->nr_devs)
		return usage("dump takes no DEV, got '%s'", o->devs[0]);
	return check_devs(o);
}

static void vm_close(struct vm *vm)
{
	int i;

	for (i = vm->nr_devs - 1; i >= 0; i--) {
		nest_detach_device(&vm->ctx, vm->devs[i]);
		nest_dev_free(vm->devs[i]);
	}
	vm->nr_devs = 0;
	if (vm->fd >= 0) {
		nest_ctx_fini(&vm->ctx);
		close(vm->fd);
	}
	vm->fd = -1;
}

/* One device by spec; an exit status on failure. */
static int add_dev(struct vm *vm, const char *spec)
{
	char err[NEST_ERR_LEN];
	struct nest_dev *dev;
	int rc;

	rc = nest_dev_open_spec(vm->fd, spec, vm->nr_devs, &dev, err,
				sizeof(err));
	if (rc) {
		fprintf(stderr, "error: %s\n", err);
		return rc == -ENOTTY ? EXIT_NO_KERNEL :
		       rc == -EINVAL ? EXIT_USAGE : 1;
	}
	vm->devs[vm->nr_devs++] = dev;
	return 0;
}

static int vm_open(struct vm *vm, const struct viommu_config *cfg,
		   const struct opts *o)
{
	int i, rc;

	vm->fd = open("/dev/iommu", O_RDWR);
	if (vm->fd < 0) {
		fprintf(stderr, "error: /dev/iommu: %s: kernel lacks CONFIG_IOMMUFD\n",
			strerror(errno));
		return EXIT_NO_KERNEL;
	}
	viommu_init(&vm->viommu, cfg);
	if (nest_ctx_init(&vm->ctx, vm->fd, &vm->viommu)) {
		fprintf(stderr, "error: %s\n", vm->ctx.err);
		close(vm->fd);
		vm->fd = -1;
		return 1;
	}
	for (i = 0; i < o->nr_devs; i++) {
		rc = add_dev(vm, o->devs[i]);
		if (rc) {
			vm_close(vm);
			return rc;
		}
	}
	return 0;
}

static void print_trace(const struct nest_ctx *ctx)
{
	static char trace[TRACE_LEN];

	nest_trace_format(ctx, 0, trace, sizeof(trace));
	printf("trace: %s\n", trace);
}

static int write_stream(const struct opts *o, const uint8_t *buf, int len)
{
	FILE *f = fopen(o->file, "w");
	int i, bad;

	if (!f) {
		fprintf(stderr, "error: %s: %s\n", o->file, strerror(errno));
		return 1;
	}
	if (o->hex) {
		for (i = 0; i < len; i++)
			fprintf(f, "%02x", buf[i]);
		fputc('\n', f);
	} else {
		fwrite(buf, 1, len, f);
	}
	bad = ferror(f);
	if (fclose(f) || bad) {
		fprintf(stderr, "error: writing %s failed\n", o->file);
		return 1;
	}
	return 0;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex text to bytes in place; whitespace is ignored.  -1 on bad text. */
static int unhex(uint8_t *buf, size_t len, size_t *out, const char *file)
{
	size_t i, n = 0;
	int hi = -1, d;

	for (i = 0; i < len; i++) {
		if (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' ||
		    buf[i] == '\t')
			continue;
		d = hex_digit(buf[i]);
		if (d < 0) {
			fprintf(stderr, "error: %s: byte %zu is not a hex digit\n",
				file, i);
			return -1;
		}
		if (hi < 0) {
			hi = d;
			continue;
		}
		buf[n++] = hi << 4 | d;
		hi = -1;
	}
	if (hi >= 0) {
		fprintf(stderr, "error: %s: odd number of hex digits\n", file);
		return -1;
	}
	*out = n;
	return 0;
}

static int read_stream(const struct opts *o, struct viommu_mig_state *s)
{
	static uint8_t buf[FILE_MAX + 1];
	char err[VIOMMU_ERR_LEN];
	size_t len;
	FILE *f = fopen(o->file, "r");

	if (!f) {
		fprintf(stderr, "error: %s: %s\n", o->file, strerror(errno));
		return EXIT_USAGE;
	}
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (len > FILE_MAX) {
		fprintf(stderr, "error: %s: larger than any stream (%d bytes at most)\n",
			o->file, FILE_MAX);
		return EXIT_USAGE;
	}
	if (o->hex && unhex(buf, len, &len, o->file))
		return EXIT_USAGE;
	if (viommu_mig_load(buf, len, s, err, sizeof(err))) {
		fprintf(stderr, "error: %s: bad migration stream: %s\n",
			o->file, err);
		return EXIT_USAGE;
	}
	return 0;
}

static void print_state(const struct viommu_mig_state *s)
{
	char config[VIOMMU_MIG_CONFIG_MAX + 1];
	unsigned int i;

	viommu_config_format(&s->cfg, config, sizeof(config));
	printf("config: %s\n", config);
	printf("flags: 0x%llx\n", (unsigned long long)s->flags);
	for (i = 0; i < s->nr_devs; i++) {
		const struct viommu_mig_dev *d = &s->devs[i];

		printf("device %u: %s layout %s hwpt-flags 0x%x hiod %s stage1 %s\n",
		       i, d->id, viommu_mig_layout_name(d->layout),
		       d->hwpt_flags, d->hiod_set ? "set" : "unset",
		       d->nested ? "on" : "off");
	}
}

static int cmd_save(const struct opts *o)
{
	static uint8_t buf[VIOMMU_MIG_STREAM_MAX];
	struct viommu_mig_state s;
	struct viommu_config cfg;
	char err[VIOMMU_ERR_LEN];
	const char *why;
	struct vm vm = { .fd = -1 };
	int i, rc, len;

	if (viommu_config_parse(o->config, &cfg, err, sizeof(err))) {
		fprintf(stderr, "error: --viommu '%s': %s\n", o->config, err);
		return EXIT_USAGE;
	}
	if (!viommu_config_migration_safe(&cfg, &why)) {
		fprintf(stderr, "error: --viommu '%s' cannot migrate: %s\n",
			o->config, why);
		return EXIT_USAGE;
	}
	rc = vm_open(&vm, &cfg, o);
	if (rc)
		return rc;
	for (i = 0; i < vm.nr_devs; i++) {
		rc = nest_attach_device(&vm.ctx, vm.devs[i]);
		if (!rc && o->stage1 && viommu_config_stage1(&cfg) ==
					VIOMMU_STAGE1_SELFTEST)
			rc = nest_enable_stage1(&vm.ctx, vm.devs[i], 0);
		if (rc)
			break;
	}
	nest_mig_capture(&vm.ctx, vm.devs, vm.nr_devs, &s);
	print_state(&s);
	if (rc)
		printf("source: refused: %s\n", vm.ctx.err);
	else
		printf("source: accepted\n");
	print_trace(&vm.ctx);
	len = viommu_mig_save(&s, buf, sizeof(buf), err, sizeof(err));
	vm_close(&vm);
	if (len < 0) {
		fprintf(stderr, "error: saving the stream: %s\n", err);
		return 1;
	}
	return write_stream(o, buf, len);
}

static int cmd_load(const struct opts *o)
{
	struct viommu_mig_state s;
	struct nest_mig_result res;
	struct vm vm = { .fd = -1 };
	enum nest_mig_verdict v;
	int i, rc;

	rc = read_stream(o, &s);
	if (rc)
		return rc;
	print_state(&s);
	rc = vm_open(&vm, &s.cfg, o);
	if (rc)
		return rc;
	v = nest_mig_replay(&vm.ctx, &s, vm.devs, vm.nr_devs, &res);
	printf("flags: source 0x%llx target 0x%llx %s\n",
	       (unsigned long long)res.src_flags,
	       (unsigned long long)res.dst_flags,
	       res.src_flags == res.dst_flags ? "equal" : "DIFFERENT");
	for (i = 0; v == NEST_MIG_ACCEPTED && i < vm.nr_devs; i++)
		printf("dirty tracking %d: source %s target %s (host caps decide)\n",
		       i, res.src_dirty[i] ? "on" : "off",
		       res.dst_dirty[i] ? "on" : "off");
	printf("verdict: %s%s%s\n", nest_mig_verdict_name(v),
	       res.reason[0] ? ": " : "", res.reason);
	print_trace(&vm.ctx);
	vm_close(&vm);
	return v == NEST_MIG_MISMATCH ? EXIT_MISMATCH : 0;
}

int main(int argc, char **argv)
{
	struct viommu_mig_state s;
	struct opts o = { 0 };
	int rc;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		print_usage(stdout);
		return 0;
	}
	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(o.cmd, "save"))
		return cmd_save(&o);
	if (!strcmp(o.cmd, "load"))
		return cmd_load(&o);
	rc = read_stream(&o, &s);
	if (!rc)
		print_state(&s);
	return rc;
}
