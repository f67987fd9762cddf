// SPDX-License-Identifier: GPL-2.0
/*
 * The mock device backend.  A mock device is created bound and attached
 * to an IOAS (through an automatic domain), so "bind" creates it on an
 * IOAS of its own, a parking place outside the VM's containers, and
 * "detach" moves it back there, which lets its HWPT and container go.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_mock.h"
#include "nest_backend.h"
#include "nest_ioctl.h"
#include "nest_util.h"

struct mock_priv {
	uint32_t dev_flags;
	uint32_t stdev_id;
	uint32_t park_id;	/* its own IOAS while bound */
};

/*
 * 0 when @fd answers the mock's test ops; else -ENOTTY with @why naming
 * the kernel option.  Checking a reference count of an empty range
 * touches nothing.
 */
static int mock_check(int fd, char *why, size_t len)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = 0, .uptr = 0, .refs = 0 },
	};

	if (nest_test_cmd(fd, &cmd) != -ENOTTY)
		return 0;
	return nest_fail(why, len, -ENOTTY,
			 "no mock devices (%s): kernel lacks CONFIG_IOMMUFD_TEST",
			 strerror(ENOTTY));
}

int nest_mock_open(char *why, size_t len)
{
	int fd = open("/dev/iommu", O_RDWR), err;

	if (fd < 0) {
		err = errno;
		/* only a missing node means a kernel without iommufd */
		if (err == ENOENT || err == ENODEV || err == ENXIO)
			snprintf(why, len, "no /dev/iommu (%s): kernel lacks CONFIG_IOMMUFD",
				 strerror(err));
		else
			snprintf(why, len, "cannot open /dev/iommu: %s%s",
				 strerror(err), err == EACCES || err == EPERM ?
				 " (run as root)" : "");
		return -1;
	}
	err = mock_check(fd, why, len);
	if (err) {
		close(fd);
		return -1;
	}
	return fd;
}

static int mock_bind(struct nest_ctx *ctx, struct nest_dev *dev)
{
	struct mock_priv *p = dev->priv;
	uint32_t auto_id;
	int err;

	err = nest_ioas_alloc(ctx->fd, &p->park_id);
	if (err)
		return err;
	nest_ctx_note_id(ctx, p->park_id);
	err = nest_test_mock_domain_flags(ctx->fd, p->park_id, p->dev_flags,
					  &p->stdev_id, &dev->dev_id, &auto_id);
	if (err) {
		nest_destroy(ctx->fd, p->park_id);
		p->park_id = 0;
		return err;
	}
	nest_ctx_note_id(ctx, p->stdev_id);
	/* the automatic domain must be gone once the device is */
	nest_ctx_note_id(ctx, auto_id);
	return 0;
}

static int mock_replace(struct nest_ctx *ctx, struct nest_dev *dev,
			uint32_t pt_id)
{
	struct mock_priv *p = dev->priv;

	return nest_test_mock_domain_replace(ctx->fd, p->stdev_id, pt_id);
}

static int mock_detach(struct nest_ctx *ctx, struct nest_dev *dev)
{
	struct mock_priv *p = dev->priv;

	return mock_replace(ctx, dev, p->park_id);
}

static void mock_unbind(struct nest_ctx *ctx, struct nest_dev *dev)
{
	struct mock_priv *p = dev->priv;

	nest_destroy(ctx->fd, p->stdev_id);
	nest_destroy(ctx->fd, p->park_id);
	p->stdev_id = 0;
	p->park_id = 0;
}

static void mock_free(struct nest_dev *dev)
{
	free(dev->priv);
}

static const struct nest_dev_ops mock_ops = {
	.name = "mock",
	.bind_attaches = true,
	.bind = mock_bind,
	.attach = mock_replace,
	.detach = mock_detach,
	.unbind = mock_unbind,
	.free = mock_free,
};

struct nest_dev *nest_mock_dev_new(const char *name, uint32_t dev_flags)
{
	struct nest_dev *dev = calloc(1, sizeof(*dev));
	struct mock_priv *p = calloc(1, sizeof(*p));

	if (!dev || !p) {
		free(dev);
		free(p);
		return NULL;
	}
	p->dev_flags = dev_flags;
	dev->ops = &mock_ops;
	dev->priv = p;
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	return dev;
}

uint32_t nest_mock_dev_flags(const struct nest_dev *dev)
{
	const struct mock_priv *p = dev->priv;

	return p->dev_flags;
}

/* The specs this backend takes: variants of one mock device. */
static const struct {
	const char *spec;
	uint32_t dev_flags;
} mock_specs[] = {
	{ "mock", 0 },
	{ "mock-no-dirty", MOCK_FLAGS_DEVICE_NO_DIRTY },
};

static int mock_spec(const char *spec)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mock_specs); i++)
		if (!strcmp(spec, mock_specs[i].spec))
			return i;
	return -1;
}

static bool mock_probe_spec(const char *spec)
{
	return mock_spec(spec) >= 0;
}

static int mock_open_spec(int iommufd, const char *spec, unsigned int index,
			  struct nest_dev **out, char *err, size_t len)
{
	int i = mock_spec(spec), rc;
	char name[NEST_NAME_LEN];

	rc = mock_check(iommufd, err, len);
	if (rc)
		return rc;
	snprintf(name, sizeof(name), "mock%u", index);
	*out = nest_mock_dev_new(name, mock_specs[i].dev_flags);
	return *out ? 0 : nest_fail(err, len, -ENOMEM, "out of memory");
}

const struct nest_backend nest_backend_mock = {
	.specs = "mock, mock-no-dirty",
	.viommu = "selftest-iommu,nesting=on",
	.probe = mock_probe_spec,
	.open = mock_open_spec,
};
