/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI devices by BDF through sysfs: validating a BDF, finding its VFIO
 * cdev, its driver and IDs, and whether it sits behind a conventional
 * PCI bridge (its requester ID aliased).
 */
#ifndef PCI_SYSFS_H
#define PCI_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

#define BDF_LEN 13	/* "DDDD:BB:DD.F" */
/* What a bad BDF's message says is expected. */
#define PCI_BDF_FORM \
	"DDDD:BB:DD.F (hex domain, bus, device <= 1f, function <= 7)"

/*
 * Normalize "DDDD:BB:DD.F" or "BB:DD.F"; -EINVAL with a message if bad
 * (none when @err is NULL).
 */
int pci_bdf_parse(const char *str, char *bdf, char *err, size_t err_len);
/* "/dev/vfio/devices/vfioN" of a device bound to vfio-pci. */
int pci_vfio_cdev(const char *bdf, char *path, size_t len);
/* The bound driver's name, "" when none. */
int pci_driver(const char *bdf, char *drv, size_t len);
int pci_ids(const char *bdf, unsigned int *vendor, unsigned int *device);
/* True when a bridge above it is conventional PCI (or PCIe-to-PCI). */
bool pci_behind_bridge(const char *bdf);

#endif
