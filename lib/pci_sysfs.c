// SPDX-License-Identifier: GPL-2.0
/*
 * PCI devices through sysfs.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nest_util.h"
#include "pci_sysfs.h"

#define PCI_DEVICES "/sys/bus/pci/devices"
#define PCI_CAP_PTR 0x34
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_ID_EXP 0x10
#define PCI_EXP_TYPE_PCI_BRIDGE 0x7

static int hex_field(const char *s, int digits, unsigned int max,
		     unsigned int *out)
{
	char buf[8];
	char *end;
	int i;

	for (i = 0; i < digits; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
	memcpy(buf, s, digits);
	buf[digits] = 0;
	*out = strtoul(buf, &end, 16);
	return *out > max ? -EINVAL : 0;
}

int pci_bdf_parse(const char *str, char *bdf, char *err, size_t err_len)
{
	unsigned int dom = 0, bus, dev, fn;
	const char *s = str;

	if (strlen(s) == 12) {
		if (hex_field(s, 4, 0xffff, &dom) || s[4] != ':')
			goto bad;
		s += 5;
	}
	if (strlen(s) != 7 || hex_field(s, 2, 0xff, &bus) || s[2] != ':' ||
	    hex_field(s + 3, 2, 0x1f, &dev) || s[5] != '.' ||
	    hex_field(s + 6, 1, 7, &fn))
		goto bad;
	snprintf(bdf, BDF_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
bad:
	return nest_fail(err, err_len, -EINVAL,
			 "bad BDF '%.32s': expected " PCI_BDF_FORM, str);
}

int pci_vfio_cdev(const char *bdf, char *path, size_t len)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int rc = -ENODEV;

	snprintf(dir, sizeof(dir), PCI_DEVICES "/%s/vfio-dev", bdf);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!strncmp(e->d_name, "vfio", 4) && isdigit(e->d_name[4])) {
			snprintf(path, len, "/dev/vfio/devices/%s", e->d_name);
			rc = 0;
			break;
		}
	}
	closedir(d);
	return rc;
}

int pci_driver(const char *bdf, char *drv, size_t len)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	char *base;

	snprintf(link, sizeof(link), PCI_DEVICES "/%s/driver", bdf);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		if (errno != ENOENT)
			return -errno;
		snprintf(drv, len, "%s", "");
		return access(PCI_DEVICES, F_OK) ? -ENODEV : 0;
	}
	target[n] = 0;
	base = strrchr(target, '/');
	snprintf(drv, len, "%s", base ? base + 1 : target);
	return 0;
}

static int read_hex_attr(const char *bdf, const char *attr, unsigned int *val)
{
	char path[PATH_MAX];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, attr);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	rc = fscanf(f, "%x", val) == 1 ? 0 : -EIO;
	fclose(f);
	return rc;
}

int pci_ids(const char *bdf, unsigned int *vendor, unsigned int *device)
{
	return read_hex_attr(bdf, "vendor", vendor) ?:
	       read_hex_attr(bdf, "device", device);
}

/* PCIe port type of the device whose sysfs dir is @dir, -1 if not PCIe. */
static int pcie_type(const char *dir)
{
	unsigned char cfg[256];
	char path[PATH_MAX + 16];
	int fd, n, pos, guard = 48;

	snprintf(path, sizeof(path), "%s/config", dir);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, cfg, sizeof(cfg));
	close(fd);
	if (n < 64 || !(cfg[6] & PCI_STATUS_CAP_LIST))
		return -1;
	for (pos = cfg[PCI_CAP_PTR] & ~3; pos >= 0x40 && pos + 3 < n && guard--;
	     pos = cfg[pos + 1] & ~3)
		if (cfg[pos] == PCI_CAP_ID_EXP)
			return (cfg[pos + 2] >> 4) & 0xf;
	return -1;
}

bool pci_behind_bridge(const char *bdf)
{
	char link[PATH_MAX], real[PATH_MAX];
	char *slash, *parent;
	int type;

	snprintf(link, sizeof(link), PCI_DEVICES "/%s", bdf);
	if (!realpath(link, real))
		return false;
	/*
	 * Walk up the parents that are PCI devices, e.g. 0000:00:1c.0 in
	 * /sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0, stopping at the
	 * root bus (pci0000:00).
	 */
	while ((slash = strrchr(real, '/'))) {
		*slash = 0;
		parent = strrchr(real, '/');
		if (!parent || !strncmp(parent + 1, "pci", 3) ||
		    !strchr(parent + 1, ':'))
			break;
		type = pcie_type(real);
		if (type < 0 || type == PCI_EXP_TYPE_PCI_BRIDGE)
			return true;
	}
	return false;
}
