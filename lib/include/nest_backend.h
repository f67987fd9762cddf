/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device backends by spec.  Each backend is one file with its
 * struct nest_dev_ops and a descriptor here, and one row of the registry
 * (lib/backends.c).  A tool names a device by spec ("mock", a BDF) and
 * the factory asks the rows in order which one takes it, as VFIO's
 * drivers are probed for a device.
 */
#ifndef NEST_BACKEND_H
#define NEST_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "nest_engine.h"

struct nest_backend {
	/* the specs it takes, as an error or a usage line lists them */
	const char *specs;
	/* a vIOMMU config its devices suit, for a tool given none */
	const char *viommu;
	/* Does @spec name a device of this backend?  Its form only: no I/O. */
	bool (*probe)(const char *spec);
	/*
	 * A device of @spec for @iommufd, not yet bound.  @index is its place
	 * in the VM, which names a device the spec does not (mock0, mock1..).
	 * 0, or a negative errno with @err: -ENOTTY when the kernel lacks
	 * what the backend needs.
	 */
	int (*open)(int iommufd, const char *spec, unsigned int index,
		    struct nest_dev **out, char *err, size_t len);
};

extern const struct nest_backend nest_backend_mock;
extern const struct nest_backend nest_backend_cdev;

/*
 * The backend that takes @spec, or NULL with @err naming the spec and
 * every form the registry takes.
 */
const struct nest_backend *nest_backend_find(const char *spec, char *err,
					     size_t len);
/* "mock, mock-no-dirty or a PCI BDF ...": every row's specs. */
void nest_backend_specs(char *buf, size_t len);
/*
 * The factory: the device @spec names, by the first backend that takes
 * it (see struct nest_backend's open).  -EINVAL when none does.
 */
int nest_dev_open_spec(int iommufd, const char *spec, unsigned int index,
		       struct nest_dev **out, char *err, size_t len);

#endif
