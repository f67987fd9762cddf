// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input to the VFIO cdev ioctls (bind, attach, detach) and to
 * IOMMU_DESTROY of what a bound device uses, on a real PCI device.
 * Devices come as trailing BDF arguments or IOMMUFD_NEST_BDF, bound to
 * vfio-pci; the matrix runs on the first one.  With none, every row
 * SKIPs.
 *
 * Each row runs on a fresh iommufd and cdev, bound and attached to a HWPT
 * or not as it says, and asserts the exact errno of 6.12's
 * drivers/vfio/device_cdev.c and iommufd.  Afterwards the device must
 * still attach and detach, and no object may be left: the next IOAS id
 * must be the one probed before the row.  Every answer checked is the
 * kernel's, and a failure says "kernel:" (nest_blame.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nest_kselftest.h"

#include "nest_ioctl_test.h"
#include "nest_bdfs.h"

struct uapi_env {
	int iommufd;
	int cdev;
	uint32_t ioas_id;
	uint32_t dev_id;
	uint32_t hwpt_id;	/* the paging HWPT it is attached to, when bound */
	uint32_t hwpt2_id;	/* another one, to replace onto */
	uint32_t dead_id;	/* a HWPT id already destroyed */
	uint32_t probe_id;
};

struct uapi_case {
	int (*run)(struct uapi_env *e);
	int expect;		/* 0 or a negative errno */
	bool bound;		/* start bound and attached to a HWPT */
};

static int raw_bind(struct uapi_env *e, uint32_t argsz, uint32_t flags,
		    int iommufd)
{
	struct vfio_device_bind_iommufd b = {
		.argsz = argsz, .flags = flags, .iommufd = iommufd,
	};
	int rc = nest_vfio_bind_iommufd_raw(e->cdev, &b);

	if (!rc)
		e->dev_id = b.out_devid;
	return rc;
}

static int raw_attach(struct uapi_env *e, uint32_t argsz, uint32_t flags,
		      uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt a = {
		.argsz = argsz, .flags = flags, .pt_id = pt_id,
	};

	return nest_vfio_attach_pt_raw(e->cdev, &a);
}

static int raw_detach(struct uapi_env *e, uint32_t argsz, uint32_t flags)
{
	struct vfio_device_detach_iommufd_pt d = {
		.argsz = argsz, .flags = flags,
	};

	return nest_vfio_detach_pt_raw(e->cdev, &d);
}

#define BIND_SZ		sizeof(struct vfio_device_bind_iommufd)
#define ATTACH_SZ	sizeof(struct vfio_device_attach_iommufd_pt)
#define DETACH_SZ	sizeof(struct vfio_device_detach_iommufd_pt)

static int bind_argsz_small(struct uapi_env *e)
{
	return raw_bind(e, 4, 0, e->iommufd);
}

static int bind_flags_unknown(struct uapi_env *e)
{
	return raw_bind(e, BIND_SZ, 1U << 31, e->iommufd);
}

static int bind_iommufd_negative(struct uapi_env *e)
{
	return raw_bind(e, BIND_SZ, 0, -1);
}

static int bind_iommufd_closed(struct uapi_env *e)
{
	int fd = dup(e->iommufd);

	close(fd);
	return raw_bind(e, BIND_SZ, 0, fd);
}

static int bind_iommufd_not_iommufd(struct uapi_env *e)
{
	int fd = open("/dev/null", O_RDWR), rc;

	rc = raw_bind(e, BIND_SZ, 0, fd);
	close(fd);
	return rc;
}

static int bind_arg_null(struct uapi_env *e)
{
	return nest_vfio_bind_iommufd_raw(e->cdev, NULL);
}

static int bind_twice(struct uapi_env *e)
{
	return raw_bind(e, BIND_SZ, 0, e->iommufd);
}

static int attach_before_bind(struct uapi_env *e)
{
	return raw_attach(e, ATTACH_SZ, 0, e->ioas_id);
}

static int detach_before_bind(struct uapi_env *e)
{
	return raw_detach(e, DETACH_SZ, 0);
}

static int attach_argsz_small(struct uapi_env *e)
{
	return raw_attach(e, 8, 0, e->hwpt_id);
}

static int attach_flags_unknown(struct uapi_env *e)
{
	return raw_attach(e, ATTACH_SZ, 1U << 31, e->hwpt_id);
}

static int attach_pt_missing(struct uapi_env *e)
{
	return raw_attach(e, ATTACH_SZ, 0, 0x7fffffff);
}

static int attach_pt_zero(struct uapi_env *e)
{
	return raw_attach(e, ATTACH_SZ, 0, 0);
}

static int attach_pt_destroyed(struct uapi_env *e)
{
	return raw_attach(e, ATTACH_SZ, 0, e->dead_id);
}

static int attach_pt_device_id(struct uapi_env *e)
{
	return raw_attach(e, ATTACH_SZ, 0, e->dev_id);
}

static int attach_arg_null(struct uapi_env *e)
{
	return nest_vfio_attach_pt_raw(e->cdev, NULL);
}

static int attach_replace_to_hwpt(struct uapi_env *e)
{
	return raw_attach(e, ATTACH_SZ, 0, e->hwpt2_id);
}

static int detach_argsz_small(struct uapi_env *e)
{
	return raw_detach(e, 4, 0);
}

static int detach_flags_unknown(struct uapi_env *e)
{
	return raw_detach(e, DETACH_SZ, 1U << 31);
}

static int detach_twice(struct uapi_env *e)
{
	int rc = raw_detach(e, DETACH_SZ, 0);

	return rc ?: raw_detach(e, DETACH_SZ, 0);
}

static int destroy_attached_hwpt(struct uapi_env *e)
{
	return nest_destroy(e->iommufd, e->hwpt_id);
}

static int destroy_ioas_in_use(struct uapi_env *e)
{
	return nest_destroy(e->iommufd, e->ioas_id);
}

static int destroy_bound_device(struct uapi_env *e)
{
	return nest_destroy(e->iommufd, e->dev_id);
}

FIXTURE(cdev_uapi) {
	struct uapi_env e;
};

FIXTURE_VARIANT(cdev_uapi) {
	struct uapi_case c;
};

FIXTURE_VARIANT_ADD(cdev_uapi, bind_argsz_small) { { bind_argsz_small, -EINVAL, false } };
FIXTURE_VARIANT_ADD(cdev_uapi, bind_flags_unknown) { { bind_flags_unknown, -EINVAL, false } };
FIXTURE_VARIANT_ADD(cdev_uapi, bind_iommufd_negative) { { bind_iommufd_negative, -EINVAL, false } };
FIXTURE_VARIANT_ADD(cdev_uapi, bind_iommufd_closed) { { bind_iommufd_closed, -EBADF, false } };
FIXTURE_VARIANT_ADD(cdev_uapi, bind_iommufd_not_iommufd) {
	{ bind_iommufd_not_iommufd, -EBADFD, false }
};
FIXTURE_VARIANT_ADD(cdev_uapi, bind_arg_null) { { bind_arg_null, -EFAULT, false } };
FIXTURE_VARIANT_ADD(cdev_uapi, bind_twice) { { bind_twice, -EINVAL, true } };
FIXTURE_VARIANT_ADD(cdev_uapi, attach_before_bind) { { attach_before_bind, -EINVAL, false } };
FIXTURE_VARIANT_ADD(cdev_uapi, detach_before_bind) { { detach_before_bind, -EINVAL, false } };
FIXTURE_VARIANT_ADD(cdev_uapi, attach_argsz_small) { { attach_argsz_small, -EINVAL, true } };
FIXTURE_VARIANT_ADD(cdev_uapi, attach_flags_unknown) { { attach_flags_unknown, -EINVAL, true } };
FIXTURE_VARIANT_ADD(cdev_uapi, attach_pt_missing) { { attach_pt_missing, -ENOENT, true } };
FIXTURE_VARIANT_ADD(cdev_uapi, attach_pt_zero) { { attach_pt_zero, -ENOENT, true } };
FIXTURE_VARIANT_ADD(cdev_uapi, attach_pt_destroyed) { { attach_pt_destroyed, -ENOENT, true } };
/* a device id names an object, but not one a device can attach to */
FIXTURE_VARIANT_ADD(cdev_uapi, attach_pt_device_id) { { attach_pt_device_id, -EINVAL, true } };
FIXTURE_VARIANT_ADD(cdev_uapi, attach_arg_null) { { attach_arg_null, -EFAULT, true } };
FIXTURE_VARIANT_ADD(cdev_uapi, attach_replace_to_hwpt) { { attach_replace_to_hwpt, 0, true } };
FIXTURE_VARIANT_ADD(cdev_uapi, detach_argsz_small) { { detach_argsz_small, -EINVAL, true } };
FIXTURE_VARIANT_ADD(cdev_uapi, detach_flags_unknown) { { detach_flags_unknown, -EINVAL, true } };
/* detaching a detached device is a no-op, not an error */
FIXTURE_VARIANT_ADD(cdev_uapi, detach_twice) { { detach_twice, 0, true } };
FIXTURE_VARIANT_ADD(cdev_uapi, destroy_attached_hwpt) { { destroy_attached_hwpt, -EBUSY, true } };
FIXTURE_VARIANT_ADD(cdev_uapi, destroy_ioas_in_use) { { destroy_ioas_in_use, -EBUSY, true } };
FIXTURE_VARIANT_ADD(cdev_uapi, destroy_bound_device) { { destroy_bound_device, -EBUSY, true } };

static int alloc_paging(struct uapi_env *e, uint32_t *id)
{
	return _test_cmd_hwpt_alloc(e->iommufd, e->dev_id, e->ioas_id, 0, id);
}

FIXTURE_SETUP(cdev_uapi)
{
	struct uapi_env *e = &self->e;
	char path[64];

	e->iommufd = -1;
	e->cdev = -1;
	if (!nr_bdfs)
		SKIP(return, "no device: pass BDFs bound to vfio-pci (or IOMMUFD_NEST_BDF)");
	ASSERT_EQ(0, pci_vfio_cdev(bdfs[0], path, sizeof(path)))
		TH_LOG("kernel: %s has no VFIO cdev", bdfs[0]);
	e->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, e->iommufd)
		TH_LOG("kernel: /dev/iommu: %s", strerror(errno));
	e->cdev = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, e->cdev) TH_LOG("kernel: %s: %s", path, strerror(errno));
	test_cmd_ioas_alloc(e->iommufd, &e->ioas_id);
	if (variant->c.bound) {
		/* on a HWPT of its own: no automatic domain comes or goes */
		nest_test_ok(raw_bind(e, BIND_SZ, 0, e->iommufd));
		nest_test_ok(alloc_paging(e, &e->hwpt_id));
		nest_test_ok(alloc_paging(e, &e->hwpt2_id));
		nest_test_ok(alloc_paging(e, &e->dead_id));
		test_cmd_destroy(e->iommufd, e->dead_id);
		nest_test_ok(raw_attach(e, ATTACH_SZ, 0, e->hwpt_id));
	}
	nest_test_ok(nest_test_next_free_id(e->iommufd, &e->probe_id));
}

FIXTURE_TEARDOWN(cdev_uapi)
{
	if (self->e.cdev >= 0)
		close(self->e.cdev);
	if (self->e.iommufd >= 0)
		close(self->e.iommufd);
}

TEST_F(cdev_uapi, exact_errno)
{
	struct uapi_env *e = &self->e;
	uint32_t next;
	int rc;

	rc = variant->c.run(e);
	ASSERT_EQ(variant->c.expect, rc)
		TH_LOG("kernel: answered %s, expected %s",
		       rc ? nest_errno_name(-rc) : "success",
		       variant->c.expect ? nest_errno_name(-variant->c.expect) :
		       "success");
	/* nothing new is left in the iommufd */
	nest_test_ok(nest_test_next_free_id(e->iommufd, &next));
	ASSERT_EQ(e->probe_id, next)
		TH_LOG("kernel: the next free id is %u, was %u: an object leaked",
		       next, e->probe_id);
	if (!variant->c.bound)
		return;
	/* the device still attaches, replaces and detaches */
	nest_test_ok(raw_attach(e, ATTACH_SZ, 0, e->hwpt2_id));
	nest_test_ok(raw_attach(e, ATTACH_SZ, 0, e->hwpt_id));
	nest_test_ok(raw_detach(e, DETACH_SZ, 0));
	test_cmd_destroy(e->iommufd, e->hwpt_id);
	test_cmd_destroy(e->iommufd, e->hwpt2_id);
}

int main(int argc, char **argv)
{
	argc = take_bdfs(argc, argv);
	return argc < 0 ? 2 : test_harness_run(argc, argv);
}
