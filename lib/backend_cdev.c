// SPDX-License-Identifier: GPL-2.0
/*
 * The VFIO cdev backend.  Bind opens the cdev and binds it to the
 * iommufd; closing the cdev unbinds.  Attach doubles as replace.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_cdev.h"
#include "nest_backend.h"
#include "nest_ioctl.h"
#include "pci_sysfs.h"
#include "nest_util.h"

struct cdev_priv {
	char path[64];
	int fd;
};

static int cdev_bind(struct nest_ctx *ctx, struct nest_dev *dev)
{
	struct cdev_priv *p = dev->priv;
	int err;

	p->fd = open(p->path, O_RDWR | O_CLOEXEC);
	if (p->fd < 0)
		return -errno;
	err = nest_vfio_bind_iommufd(p->fd, ctx->fd, &dev->dev_id);
	if (err) {
		close(p->fd);
		p->fd = -1;
	}
	return err;
}

static int cdev_attach(struct nest_ctx *ctx, struct nest_dev *dev,
		       uint32_t pt_id)
{
	struct cdev_priv *p = dev->priv;

	return nest_vfio_attach_pt(p->fd, pt_id);
}

static int cdev_detach(struct nest_ctx *ctx, struct nest_dev *dev)
{
	struct cdev_priv *p = dev->priv;

	return nest_vfio_detach_pt(p->fd);
}

static void cdev_unbind(struct nest_ctx *ctx, struct nest_dev *dev)
{
	struct cdev_priv *p = dev->priv;

	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static void cdev_free(struct nest_dev *dev)
{
	free(dev->priv);
}

static const struct nest_dev_ops cdev_ops = {
	.name = "vfio-cdev",
	.bind = cdev_bind,
	.attach = cdev_attach,
	.detach = cdev_detach,
	.unbind = cdev_unbind,
	.free = cdev_free,
};

struct nest_dev *nest_cdev_dev_new(const char *bdf, char *err, size_t len)
{
	struct nest_dev *dev;
	struct cdev_priv *p;
	char norm[BDF_LEN];
	int rc;

	if (pci_bdf_parse(bdf, norm, err, len))
		return NULL;
	dev = calloc(1, sizeof(*dev));
	p = calloc(1, sizeof(*p));
	if (!dev || !p) {
		snprintf(err, len, "out of memory");
		goto fail;
	}
	rc = pci_vfio_cdev(norm, p->path, sizeof(p->path));
	if (rc) {
		snprintf(err, len,
			 "%s has no VFIO cdev (%s): bind it to vfio-pci, with CONFIG_VFIO_DEVICE_CDEV",
			 norm, strerror(-rc));
		goto fail;
	}
	p->fd = -1;
	dev->ops = &cdev_ops;
	dev->priv = p;
	snprintf(dev->name, sizeof(dev->name), "%s", norm);
	return dev;
fail:
	free(dev);
	free(p);
	return NULL;
}

int nest_cdev_fd(const struct nest_dev *dev)
{
	const struct cdev_priv *p = dev->priv;

	return p->fd;
}

const char *nest_cdev_path(const struct nest_dev *dev)
{
	const struct cdev_priv *p = dev->priv;

	return p->path;
}

/*
 * "BDF", "BDF@root" or "BDF@bridge": the device and where the VM places
 * it, on its root bus or behind a PCI bridge.  The placement is the
 * VM's config (QEMU's bus=), not the host's topology.
 */
static int split_spec(const char *spec, char *bdf, bool *bridge)
{
	const char *at = strchr(spec, '@');
	size_t n = at ? (size_t)(at - spec) : strlen(spec);

	if (n >= BDF_LEN)
		return -EINVAL;
	memcpy(bdf, spec, n);
	bdf[n] = 0;
	*bridge = at && !strcmp(at, "@bridge");
	return at && !*bridge && strcmp(at, "@root") ? -EINVAL : 0;
}

static bool cdev_probe_spec(const char *spec)
{
	char bdf[BDF_LEN], norm[BDF_LEN];
	bool bridge;

	return !split_spec(spec, bdf, &bridge) &&
	       !pci_bdf_parse(bdf, norm, NULL, 0);
}

static int cdev_open_spec(int iommufd, const char *spec, unsigned int index,
			  struct nest_dev **out, char *err, size_t len)
{
	char bdf[BDF_LEN];
	bool bridge;

	if (split_spec(spec, bdf, &bridge))
		return nest_fail(err, len, -EINVAL,
				 "device '%.40s': expected BDF, BDF@root or BDF@bridge",
				 spec);
	*out = nest_cdev_dev_new(bdf, err, len);
	if (!*out)
		return -ENODEV;
	(*out)->behind_bridge = bridge;
	return 0;
}

const struct nest_backend nest_backend_cdev = {
	.specs = "a PCI BDF " PCI_BDF_FORM " (@bridge: behind a bridge in the VM)",
	.viommu = "none",
	.probe = cdev_probe_spec,
	.open = cdev_open_spec,
};
