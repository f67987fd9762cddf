/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VFIO cdev device backend: a real PCI device, bound to vfio-pci,
 * driven through /dev/vfio/devices/vfioN.
 */
#ifndef BACKEND_CDEV_H
#define BACKEND_CDEV_H

#include <stddef.h>

#include "nest_engine.h"

/* A device by BDF; NULL with @err filled when it has no VFIO cdev. */
struct nest_dev *nest_cdev_dev_new(const char *bdf, char *err, size_t len);
/* The open cdev of a bound device, -1 before bind. */
int nest_cdev_fd(const struct nest_dev *dev);
/* Its /dev/vfio/devices/vfioN, found when it was made. */
const char *nest_cdev_path(const struct nest_dev *dev);

#endif
