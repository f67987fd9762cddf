// SPDX-License-Identifier: GPL-2.0
/*
 * A benchmark of the iommufd nesting path: median and p99 of each ioctl
 * a VMM issues, IOAS_MAP throughput, and the whole attach-then-hiod
 * sequence through the engine against the same ioctls written out by
 * hand.  The engine/bare ratio says what the model and the trace cost.
 *
 *   nest_bench [--iterations N] [--viommu CONFIG] [--json]
 *                      [--json-out FILE] [DEV]
 *
 * DEV is a device spec, as the backends' registry takes them: "mock"
 * (default: the kernel's mock IOMMU), "mock-no-dirty" or the BDF of a
 * device bound to vfio-pci.  --json prints JSON instead of the table;
 * --json-out writes it to FILE as well as printing the table.  Exit
 * status: 0, 1 when an operation that must work failed, 2 for bad usage,
 * 4 without iommufd (or what DEV's backend needs, such as the mock).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "nest.h"

#define MAX_OPS		32
#define MAP_BUF		(2UL << 20)
#define MAP_IOVA	(1UL << 24)	/* inside the mock aperture */

struct op_stats {
	const char *name;
	const char *skip;	/* why it was not measured */
	uint64_t median, p99;	/* ns */
	uint64_t bytes;		/* mapped per call, for throughput */
};

/* The hand-written baseline knows these backends' ioctls. */
enum bare_kind { BARE_NONE, BARE_MOCK, BARE_CDEV };

struct bench {
	int fd;
	const char *spec;	/* DEV, as given */
	const struct nest_backend *backend;
	enum bare_kind bare;
	uint32_t bare_mock_flags;
	char cdev[64];
	bool selftest_iommu;	/* takes IOMMU_HWPT_DATA_SELFTEST stage-1s */
	char attach_skip[64];
	unsigned int iters;
	const char *config;
	uint32_t ioas_id;
	struct nest_ctx ctx;
	struct viommu viommu;
	struct nest_dev *dev;	/* bound and attached, for the micro ops */
	uint64_t *samples;
	unsigned int nr_ops;
	struct op_stats ops[MAX_OPS];
	double ratio;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Record one operation from @n samples in b->samples. */
static struct op_stats *record(struct bench *b, const char *name,
			       unsigned int n)
{
	struct op_stats *op = &b->ops[b->nr_ops++];

	memset(op, 0, sizeof(*op));
	op->name = name;
	qsort(b->samples, n, sizeof(*b->samples), cmp_u64);
	op->median = b->samples[n / 2];
	op->p99 = b->samples[n * 99 / 100 < n ? n * 99 / 100 : n - 1];
	return op;
}

static void skipped(struct bench *b, const char *name, const char *why)
{
	struct op_stats *op = &b->ops[b->nr_ops++];

	memset(op, 0, sizeof(*op));
	op->name = name;
	op->skip = why;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "error: %s: %s\n", what, strerror(-err));
	return 1;
}

static int hwpt_alloc(struct bench *b, uint32_t pt_id, uint32_t flags,
		      uint32_t type, void *data, uint32_t len, uint32_t *id)
{
	return nest_hwpt_alloc(b->fd, b->dev->dev_id, pt_id, flags, type, data,
			       len, id);
}

static int bench_ioas(struct bench *b)
{
	uint64_t *destroy = calloc(b->iters, sizeof(*destroy));
	unsigned int i;
	uint32_t id = 0;
	uint64_t t;
	int err = 0;

	for (i = 0; destroy && !err && i < b->iters; i++) {
		t = now_ns();
		err = nest_ioas_alloc(b->fd, &id);
		b->samples[i] = now_ns() - t;
		if (err)
			break;
		t = now_ns();
		err = nest_destroy(b->fd, id);
		destroy[i] = now_ns() - t;
	}
	if (!destroy || err) {
		free(destroy);
		return fail("IOAS_ALLOC/DESTROY", destroy ? err : -ENOMEM);
	}
	record(b, "ioas_alloc", b->iters);
	memcpy(b->samples, destroy, b->iters * sizeof(*destroy));
	record(b, "ioas_destroy", b->iters);
	free(destroy);
	return 0;
}

/* HWPT_ALLOC of one kind, then its DESTROY; an unsupported kind is noted. */
static int bench_hwpt_kind(struct bench *b, const char *name, uint32_t pt_id,
			   uint32_t flags, uint32_t type, void *data,
			   uint32_t len)
{
	unsigned int i;
	uint64_t t;
	uint32_t id;
	int err;

	for (i = 0; i < b->iters; i++) {
		t = now_ns();
		err = hwpt_alloc(b, pt_id, flags, type, data, len, &id);
		b->samples[i] = now_ns() - t;
		if (err == -EOPNOTSUPP && i == 0) {
			skipped(b, name, "EOPNOTSUPP: this host cannot do it");
			return 0;
		}
		if (err)
			return fail(name, err);
		nest_destroy(b->fd, id);
	}
	record(b, name, b->iters);
	return 0;
}

static int bench_hwpts(struct bench *b)
{
	struct iommu_hwpt_selftest st = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	uint32_t parent, id;
	unsigned int i;
	uint64_t t;
	int err;

	err = bench_hwpt_kind(b, "hwpt_alloc", b->ioas_id, 0,
			      IOMMU_HWPT_DATA_NONE, NULL, 0);
	err = err ?: bench_hwpt_kind(b, "hwpt_alloc_nest_parent", b->ioas_id,
				     IOMMU_HWPT_ALLOC_NEST_PARENT,
				     IOMMU_HWPT_DATA_NONE, NULL, 0);
	if (err)
		return err;
	if (hwpt_alloc(b, b->ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT,
		       IOMMU_HWPT_DATA_NONE, NULL, 0, &parent)) {
		skipped(b, "hwpt_alloc_nested", "no nesting parent on this host");
	} else if (!b->selftest_iommu) {
		nest_destroy(b->fd, parent);
		skipped(b, "hwpt_alloc_nested",
			"a vendor stage-1 needs a guest page table");
	} else {
		err = bench_hwpt_kind(b, "hwpt_alloc_nested", parent, 0,
				      IOMMU_HWPT_DATA_SELFTEST, &st,
				      NEST_SELFTEST_DATA_LEN);
		nest_destroy(b->fd, parent);
		if (err)
			return err;
	}
	for (i = 0; i < b->iters; i++) {
		err = hwpt_alloc(b, b->ioas_id, 0, IOMMU_HWPT_DATA_NONE, NULL,
				 0, &id);
		if (err)
			return fail("hwpt_alloc", err);
		t = now_ns();
		err = nest_destroy(b->fd, id);
		b->samples[i] = now_ns() - t;
		if (err)
			return fail("hwpt_destroy", err);
	}
	record(b, "hwpt_destroy", b->iters);
	return 0;
}

/*
 * Replace between two HWPTs; where bind does not attach (a cdev) also
 * detach, then time attach.
 */
static int bench_attach(struct bench *b)
{
	uint32_t hwpt[2];
	unsigned int i;
	uint64_t t;
	int err;

	err = hwpt_alloc(b, b->ioas_id, 0, IOMMU_HWPT_DATA_NONE, NULL, 0,
			 &hwpt[0]);
	err = err ?: hwpt_alloc(b, b->ioas_id, 0, IOMMU_HWPT_DATA_NONE, NULL,
				0, &hwpt[1]);
	if (err)
		return fail("hwpt_alloc for attach", err);
	for (i = 0; !err && i < b->iters; i++) {
		t = now_ns();
		err = b->dev->ops->attach(&b->ctx, b->dev, hwpt[i & 1]);
		b->samples[i] = now_ns() - t;
	}
	if (!err)
		record(b, "replace", b->iters);
	for (i = 0; !err && !b->dev->ops->bind_attaches && i < b->iters; i++) {
		err = b->dev->ops->detach(&b->ctx, b->dev);
		t = now_ns();
		err = err ?: b->dev->ops->attach(&b->ctx, b->dev, hwpt[0]);
		b->samples[i] = now_ns() - t;
	}
	snprintf(b->attach_skip, sizeof(b->attach_skip),
		 "%s devices are born attached: see replace", b->dev->ops->name);
	if (!err && b->dev->ops->bind_attaches)
		skipped(b, "attach", b->attach_skip);
	else if (!err)
		record(b, "attach", b->iters);
	/* back onto the IOAS, so the HWPTs can go */
	b->dev->ops->attach(&b->ctx, b->dev, b->ioas_id);
	nest_destroy(b->fd, hwpt[0]);
	nest_destroy(b->fd, hwpt[1]);
	return err ? fail("attach/replace", err) : 0;
}

static int bench_hw_info(struct bench *b)
{
	uint8_t data[64];
	unsigned int i;
	uint32_t len;
	uint64_t t;
	int err;

	for (i = 0; i < b->iters; i++) {
		len = sizeof(data);
		t = now_ns();
		err = nest_get_hw_info(b->fd, b->dev->dev_id, data, &len, NULL,
				       NULL);
		if (err)
			return fail("GET_HW_INFO", err);
		b->samples[i] = now_ns() - t;
	}
	record(b, "get_hw_info", b->iters);
	return 0;
}

static int bench_map_size(struct bench *b, void *buf, uint64_t size,
			  const char *map_name, const char *unmap_name)
{
	const uint32_t flags = IOMMU_IOAS_MAP_FIXED_IOVA |
			       IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	uint64_t *unmap = calloc(b->iters, sizeof(*unmap));
	uint64_t t, iova;
	unsigned int i;
	int err;

	if (!unmap)
		return fail(map_name, -ENOMEM);
	for (i = 0; i < b->iters; i++) {
		iova = MAP_IOVA;
		t = now_ns();
		err = nest_ioas_map(b->fd, b->ioas_id, flags, buf, size, &iova);
		if (err) {
			free(unmap);
			return fail(map_name, err);
		}
		b->samples[i] = now_ns() - t;
		t = now_ns();
		err = nest_ioas_unmap(b->fd, b->ioas_id, MAP_IOVA, size, NULL);
		if (err) {
			free(unmap);
			return fail(unmap_name, err);
		}
		unmap[i] = now_ns() - t;
	}
	record(b, map_name, b->iters)->bytes = size;
	memcpy(b->samples, unmap, b->iters * sizeof(*unmap));
	record(b, unmap_name, b->iters)->bytes = size;
	free(unmap);
	return 0;
}

static int bench_maps(struct bench *b)
{
	void *buf = mmap(NULL, MAP_BUF, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	int err;

	if (buf == MAP_FAILED)
		return fail("mmap", -errno);
	err = bench_map_size(b, buf, 4096, "map_4k", "unmap_4k");
	err = err ?: bench_map_size(b, buf, 65536, "map_64k", "unmap_64k");
	err = err ?: bench_map_size(b, buf, MAP_BUF, "map_2m", "unmap_2m");
	munmap(buf, MAP_BUF);
	return err;
}

/*
 * ---- the attach-then-hiod sequence: engine, and the same by hand ----
 *
 * The hand-written side issues its ioctls raw, past the ioctl layer: it
 * is the baseline the engine's cost is measured against.
 */

/* The device's fd while bound by hand: the cdev, or the mock stdev id. */
struct bare_dev {
	int cdev_fd;
	uint32_t stdev_id, dev_id;
};

static int bare_bind(struct bench *b, int fd, uint32_t ioas_id,
		     struct bare_dev *d)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind), .iommufd = fd,
	};
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.id = ioas_id,
		.mock_domain_flags = { .dev_flags = b->bare_mock_flags },
	};

	if (b->bare == BARE_MOCK) {
		if (ioctl(fd, IOMMU_TEST_CMD, &mock))
			return -errno;
		d->stdev_id = mock.mock_domain_flags.out_stdev_id;
		d->dev_id = mock.mock_domain_flags.out_idev_id;
		return 0;
	}
	d->cdev_fd = open(b->cdev, O_RDWR | O_CLOEXEC);
	if (d->cdev_fd < 0)
		return -errno;
	if (ioctl(d->cdev_fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		close(d->cdev_fd);
		return -errno;
	}
	d->dev_id = bind.out_devid;
	return 0;
}

static int bare_attach(struct bench *b, int fd, struct bare_dev *d,
		       uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at), .pt_id = pt_id,
	};
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = d->stdev_id,
		.mock_domain_replace = { .pt_id = pt_id },
	};

	if (b->bare == BARE_MOCK)
		return ioctl(fd, IOMMU_TEST_CMD, &mock) ? -errno : 0;
	return ioctl(d->cdev_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) ?
	       -errno : 0;
}

static int bare_hw_info(int fd, uint32_t dev_id, uint8_t *data,
			uint64_t *caps)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd), .dev_id = dev_id,
		.data_len = VIOMMU_HW_DATA_MAX, .data_uptr = (uintptr_t)data,
	};

	if (ioctl(fd, IOMMU_GET_HW_INFO, &cmd))
		return -errno;
	*caps = cmd.out_capabilities;
	return 0;
}

static int bare_ioas_alloc(int fd, uint32_t *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &cmd))
		return -errno;
	*id = cmd.out_ioas_id;
	return 0;
}

/*
 * What nest_attach_device() and nest_detach_device() issue for a VM's
 * first device, without the engine: bind (a mock on an IOAS of its own),
 * a new IOAS, hw_info, HWPT_ALLOC, attach, IOVA ranges, hw_info for the
 * hiod; then detach, destroy the HWPT and the IOAS, unbind.
 */
static int bare_sequence(struct bench *b, int fd, uint64_t vflags)
{
	struct vfio_device_detach_iommufd_pt det = { .argsz = sizeof(det) };
	struct iommu_iova_range ranges[32];
	struct iommu_ioas_iova_ranges rq = {
		.size = sizeof(rq), .num_iovas = 32,
		.allowed_iovas = (uintptr_t)ranges,
	};
	struct iommu_hwpt_alloc ha = {
		.size = sizeof(ha), .data_type = IOMMU_HWPT_DATA_NONE,
	};
	uint8_t data[VIOMMU_HW_DATA_MAX];
	struct bare_dev d = { .cdev_fd = -1 };
	uint32_t park = 0, ioas = 0;
	uint64_t caps = 0;
	int err = 0;

	if (b->bare == BARE_MOCK)
		err = bare_ioas_alloc(fd, &park);
	err = err ?: bare_bind(b, fd, park, &d);
	if (err) {
		if (park)
			nest_destroy(fd, park);
		return err;
	}
	err = bare_ioas_alloc(fd, &ioas);
	err = err ?: bare_hw_info(fd, d.dev_id, data, &caps);
	ha.dev_id = d.dev_id;
	ha.pt_id = ioas;
	if (vflags & VIOMMU_FLAG_WANT_NESTING_PARENT)
		ha.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
	if ((caps & IOMMU_HW_CAP_DIRTY_TRACKING) &&
	    (!ha.flags || (vflags & VIOMMU_FLAG_WANT_NESTING_DIRTY_TRACKING)))
		ha.flags |= IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	if (!err && ioctl(fd, IOMMU_HWPT_ALLOC, &ha))
		err = -errno;
	err = err ?: bare_attach(b, fd, &d, ha.out_hwpt_id);
	rq.ioas_id = ioas;
	if (!err && ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &rq))
		err = -errno;
	err = err ?: bare_hw_info(fd, d.dev_id, data, &caps);
	if (b->bare == BARE_MOCK)
		bare_attach(b, fd, &d, park);
	else
		ioctl(d.cdev_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &det);
	if (ha.out_hwpt_id)
		nest_destroy(fd, ha.out_hwpt_id);
	if (ioas)
		nest_destroy(fd, ioas);
	if (b->bare == BARE_MOCK) {
		nest_destroy(fd, d.stdev_id);
		nest_destroy(fd, park);
	} else {
		close(d.cdev_fd);
	}
	return err;
}

static int engine_sequence(struct bench *b, struct nest_ctx *ctx,
			   struct nest_dev *dev)
{
	int err = nest_attach_device(ctx, dev);

	nest_detach_device(ctx, dev);
	/* a long run must not fill the trace */
	ctx->nr_events = 0;
	ctx->trace_overflow = 0;
	ctx->nr_hwpts = 0;
	ctx->nr_ids = 0;
	ctx->viommu->nr_records = 0;
	return err;
}

/*
 * Engine and bare alternate, in both orders, each on IOASes of its own,
 * so drift in the machine hits both alike.
 */
static int bench_sequence(struct bench *b)
{
	uint64_t *bare = calloc(b->iters, sizeof(*bare));
	uint64_t want = viommu_config_flags(&b->viommu.cfg);
	char err_msg[NEST_ERR_LEN] = "";
	struct viommu v = b->viommu;
	struct nest_dev *dev;
	struct nest_ctx ctx;
	unsigned int i, k;
	uint64_t t;
	int err;

	nest_dev_open_spec(b->fd, b->spec, 0, &dev, err_msg, sizeof(err_msg));
	if (!bare || !dev || nest_ctx_init(&ctx, b->fd, &v)) {
		free(bare);
		nest_dev_free(dev);
		fprintf(stderr, "error: sequence setup: %s\n", err_msg);
		return 1;
	}
	err = 0;
	for (i = 0; !err && i < b->iters; i++) {
		for (k = 0; !err && k < 2; k++) {
			t = now_ns();
			if (!((i + k) & 1)) {
				err = engine_sequence(b, &ctx, dev);
				b->samples[i] = now_ns() - t;
			} else if (b->bare) {
				err = bare_sequence(b, b->fd, want);
				bare[i] = now_ns() - t;
			}
		}
	}
	if (err) {
		fprintf(stderr, "error: attach-then-hiod sequence under %s: %s\n",
			b->config, ctx.err[0] ? ctx.err : strerror(-err));
	} else if (!b->bare) {
		record(b, "sequence_engine", b->iters);
		skipped(b, "sequence_bare", "no hand-written baseline for this backend");
	} else {
		b->ratio = (double)record(b, "sequence_engine", b->iters)->median;
		memcpy(b->samples, bare, b->iters * sizeof(*bare));
		b->ratio /= record(b, "sequence_bare", b->iters)->median;
	}
	nest_ctx_fini(&ctx);
	nest_dev_free(dev);
	free(bare);
	return err ? 1 : 0;
}

/* ---- output ---- */

static void print_ns(uint64_t ns)
{
	if (ns < 10000)
		printf(" %8llu ns", (unsigned long long)ns);
	else
		printf(" %8.1f us", ns / 1000.0);
}

static void print_table(const struct bench *b, const char *host)
{
	unsigned int i;

	printf("nest_bench on %s, kernel %s, %u iterations, sequence under %s\n",
	       b->spec, host, b->iters, b->config);
	printf("%-24s %11s %11s  %s\n", "operation", "median", "p99", "");
	for (i = 0; i < b->nr_ops; i++) {
		const struct op_stats *op = &b->ops[i];

		printf("%-24s", op->name);
		if (op->skip) {
			printf(" %23s  (%s)\n", "-", op->skip);
			continue;
		}
		print_ns(op->median);
		print_ns(op->p99);
		if (op->bytes && op->median)
			printf("  %.2f GiB/s", (double)op->bytes / op->median *
			       1e9 / (1 << 30));
		printf("\n");
	}
	if (b->ratio)
		printf("engine/bare: %.3f\n", b->ratio);
	else
		printf("engine/bare: -\n");
}

static void print_json(FILE *f, const struct bench *b, const char *host)
{
	unsigned int i;

	fprintf(f, "{\"device\": \"%s\", \"kernel\": \"%s\", \"iterations\": %u, \"config\": \"%s\", \"engine_bare\": %.4f, \"ops\": {",
	       b->spec, host, b->iters, b->config, b->ratio);
	for (i = 0; i < b->nr_ops; i++) {
		const struct op_stats *op = &b->ops[i];

		fprintf(f, "%s\"%s\": ", i ? ", " : "", op->name);
		if (op->skip)
			fprintf(f, "{\"skipped\": \"%s\"}", op->skip);
		else if (op->bytes)
			fprintf(f, "{\"median_ns\": %llu, \"p99_ns\": %llu, \"bytes\": %llu}",
			       (unsigned long long)op->median,
			       (unsigned long long)op->p99,
			       (unsigned long long)op->bytes);
		else
			fprintf(f, "{\"median_ns\": %llu, \"p99_ns\": %llu}",
			       (unsigned long long)op->median,
			       (unsigned long long)op->p99);
	}
	fprintf(f, "}}\n");
}

/* ---- setup ---- */

static int usage(const char *fmt, const char *arg)
{
	char specs[256];

	nest_backend_specs(specs, sizeof(specs));
	fprintf(stderr, "error: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: nest_bench [--iterations N] [--viommu CONFIG] [--json] [--json-out FILE] [DEV]\nDEV: %s\n",
		specs);
	return 2;
}

static int parse_args(int argc, char **argv, struct bench *b, bool *json,
		      const char **json_out)
{
	char err[NEST_ERR_LEN];
	struct viommu_config cfg;
	char *end;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			*json = true;
		} else if (!strcmp(argv[i], "--iterations") && i + 1 < argc) {
			b->iters = strtoul(argv[++i], &end, 10);
			if (*end || b->iters < 10 || b->iters > 1000000)
				return usage("--iterations '%s': expected 10..1000000",
					     argv[i]);
		} else if (!strcmp(argv[i], "--json-out") && i + 1 < argc) {
			*json_out = argv[++i];
		} else if (!strcmp(argv[i], "--viommu") && i + 1 < argc) {
			b->config = argv[++i];
		} else if (argv[i][0] != '-') {
			b->spec = argv[i];
		} else {
			return usage("unknown option '%s'", argv[i]);
		}
	}
	b->backend = nest_backend_find(b->spec, err, sizeof(err));
	if (!b->backend)
		return usage("%s", err);
	if (!b->config)
		b->config = b->backend->viommu;
	if (viommu_config_parse(b->config, &cfg, err, sizeof(err))) {
		fprintf(stderr, "error: --viommu '%s': %s\n", b->config, err);
		return 2;
	}
	viommu_init(&b->viommu, &cfg);
	return 0;
}

/* The baseline's device: the mock's flags, or the cdev to open by hand. */
static void bare_setup(struct bench *b)
{
	if (b->backend == &nest_backend_mock) {
		b->bare = BARE_MOCK;
		b->bare_mock_flags = nest_mock_dev_flags(b->dev);
	} else if (b->backend == &nest_backend_cdev) {
		/* kept: the device is freed before the baseline runs */
		snprintf(b->cdev, sizeof(b->cdev), "%s",
			 nest_cdev_path(b->dev));
		b->bare = BARE_CDEV;
	}
}

static int setup(struct bench *b)
{
	char err[NEST_ERR_LEN] = "";
	uint32_t type = 0;
	int rc;

	b->fd = open("/dev/iommu", O_RDWR);
	if (b->fd < 0) {
		fprintf(stderr, "error: /dev/iommu: %s: kernel lacks CONFIG_IOMMUFD\n",
			strerror(errno));
		return 4;
	}
	rc = nest_dev_open_spec(b->fd, b->spec, 0, &b->dev, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "error: %s\n", err);
		return rc == -ENOTTY ? 4 : 1;
	}
	b->samples = calloc(b->iters, sizeof(*b->samples));
	rc = b->samples ? nest_ctx_init(&b->ctx, b->fd, &b->viommu) : -ENOMEM;
	/* the per-operation benches' own IOAS: the engine makes none yet */
	rc = rc ?: nest_ioas_alloc(b->fd, &b->ioas_id);
	rc = rc ?: b->dev->ops->bind(&b->ctx, b->dev);
	rc = rc ?: b->dev->ops->attach(&b->ctx, b->dev, b->ioas_id);
	rc = rc ?: nest_get_hw_info(b->fd, b->dev->dev_id, NULL, NULL, &type,
				    NULL);
	if (rc) {
		fprintf(stderr, "error: bench device: %s\n", strerror(-rc));
		return 1;
	}
	b->selftest_iommu = type == IOMMU_HW_INFO_TYPE_SELFTEST;
	bare_setup(b);
	return 0;
}

static void release_dev(struct bench *b)
{
	if (!b->dev)
		return;
	b->dev->ops->detach(&b->ctx, b->dev);
	b->dev->ops->unbind(&b->ctx, b->dev);
	nest_dev_free(b->dev);
	b->dev = NULL;
}

int main(int argc, char **argv)
{
	static struct bench b = { .spec = "mock", .iters = 1000 };
	const char *json_out = NULL;
	struct utsname u;
	bool json = false;
	FILE *f;
	int rc;

	rc = parse_args(argc, argv, &b, &json, &json_out);
	rc = rc ?: setup(&b);
	if (rc)
		return rc;
	uname(&u);
	rc = bench_ioas(&b);
	rc = rc ?: bench_hwpts(&b);
	rc = rc ?: bench_attach(&b);
	rc = rc ?: bench_hw_info(&b);
	rc = rc ?: bench_maps(&b);
	/* a VFIO device binds to one iommufd at a time: free it first */
	release_dev(&b);
	rc = rc ?: bench_sequence(&b);
	if (!rc && json)
		print_json(stdout, &b, u.release);
	else if (!rc)
		print_table(&b, u.release);
	if (!rc && json_out) {
		f = fopen(json_out, "w");
		if (f) {
			print_json(f, &b, u.release);
			rc = fclose(f) ? 1 : 0;
		}
		if (!f || rc)
			fprintf(stderr, "error: writing %s failed\n", json_out);
		rc = f ? rc : 1;
	}
	nest_ctx_fini(&b.ctx);
	if (b.ioas_id)
		nest_destroy(b.fd, b.ioas_id);
	close(b.fd);
	free(b.samples);
	return rc;
}
