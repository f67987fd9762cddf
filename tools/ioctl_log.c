// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD for QEMU in the guests (vm/guest/qemu_vmm_edu): each VFIO
 * and iommufd ioctl it makes, one line in $NEST_IOCTL_LOG, in strace's
 * form ("ioctl(FD, NAME, ...) = RET" or "= -1 ERRNO").  strace stops
 * QEMU at every system call and cost each TCG run a third more.
 * A HWPT made from an SMMUv3 vSTE, and an attach to one, say which:
 * "ioctl(FD, NAME, {vste=abort|bypass|s1|cfgN}) = RET".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

/* VFIO and iommufd share the ioctl type ';' */
#define NEST_IOC_TYPE ';'

/* command numbers of <linux/iommufd.h> (from 0x80) and <linux/vfio.h>'s
 * device ioctls (from 100), by number: the tree's headers may be older
 * than what QEMU asks
 */
static const char *const iommufd_names[] = {
	"IOMMU_DESTROY", "IOMMU_IOAS_ALLOC", "IOMMU_IOAS_ALLOW_IOVAS",
	"IOMMU_IOAS_COPY", "IOMMU_IOAS_IOVA_RANGES", "IOMMU_IOAS_MAP",
	"IOMMU_IOAS_UNMAP", "IOMMU_OPTION", "IOMMU_VFIO_IOAS",
	"IOMMU_HWPT_ALLOC", "IOMMU_GET_HW_INFO",
	"IOMMU_HWPT_SET_DIRTY_TRACKING", "IOMMU_HWPT_GET_DIRTY_BITMAP",
	"IOMMU_HWPT_INVALIDATE", "IOMMU_FAULT_QUEUE_ALLOC",
	"IOMMU_IOAS_MAP_FILE", "IOMMU_VIOMMU_ALLOC", "IOMMU_VDEVICE_ALLOC",
	"IOMMU_IOAS_CHANGE_PROCESS", "IOMMU_VEVENTQ_ALLOC",
	"IOMMU_HW_QUEUE_ALLOC",
};

static const char *const vfio_names[] = {
	"VFIO_GET_API_VERSION", "VFIO_CHECK_EXTENSION", "VFIO_SET_IOMMU",
	"VFIO_GROUP_GET_STATUS", "VFIO_GROUP_SET_CONTAINER",
	"VFIO_GROUP_UNSET_CONTAINER", "VFIO_GROUP_GET_DEVICE_FD",
	"VFIO_DEVICE_GET_INFO", "VFIO_DEVICE_GET_REGION_INFO",
	"VFIO_DEVICE_GET_IRQ_INFO", "VFIO_DEVICE_SET_IRQS",
	"VFIO_DEVICE_RESET", "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO",
	"VFIO_DEVICE_PCI_HOT_RESET", "VFIO_DEVICE_QUERY_GFX_PLANE",
	"VFIO_DEVICE_GET_GFX_DMABUF", "VFIO_DEVICE_IOEVENTFD",
	"VFIO_DEVICE_FEATURE", "VFIO_DEVICE_BIND_IOMMUFD",
	"VFIO_DEVICE_ATTACH_IOMMUFD_PT", "VFIO_DEVICE_DETACH_IOMMUFD_PT",
	"VFIO_MIG_GET_PRECOPY_INFO",
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* uAPI facts: struct iommu_hwpt_alloc and vfio_device_attach_iommufd_pt */
#define DESTROY_NR		0x80
#define DESTROY_ID_OFF		4
#define HWPT_ALLOC_NR		0x89
#define ATTACH_PT_NR		119
#define HWPT_OUT_ID_OFF		16
#define HWPT_DATA_TYPE_OFF	24
#define HWPT_DATA_LEN_OFF	28
#define HWPT_DATA_PTR_OFF	32
#define ATTACH_PT_ID_OFF	8
#define HWPT_DATA_ARM_SMMUV3	2
/* STE dword 0: V (bit 0), Config (bits 3:1) */
#define STE_CONFIG(d0)		(((d0) >> 1) & 7)

/* the vSTE HWPTs alive, by id (0: a free slot): what an attach lands on */
static struct {
	unsigned int id;
	char what[8];
} vste_hwpts[64];

/* the slot of @id, or a free one when @id is 0; -1: none */
static int vste_slot(unsigned int id)
{
	unsigned int i;

	for (i = 0; i < N_OF(vste_hwpts); i++)
		if (vste_hwpts[i].id == id)
			return i;
	return -1;
}

static int log_fd = -1;

__attribute__((constructor)) static void ioctl_log_open(void)
{
	const char *path = getenv("NEST_IOCTL_LOG");

	if (path)
		log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			      0644);
}

static const char *ioctl_name(unsigned long req)
{
	unsigned int nr = _IOC_NR(req);

	if (nr >= 0x80 && nr - 0x80 < N_OF(iommufd_names))
		return iommufd_names[nr - 0x80];
	if (nr >= 100 && nr - 100 < N_OF(vfio_names))
		return vfio_names[nr - 100];
	return NULL;
}

static unsigned int u32_at(const void *arg, unsigned int off)
{
	unsigned int v;

	memcpy(&v, (const char *)arg + off, sizeof(v));
	return v;
}

/* What @arg of HWPT_ALLOC or ATTACH_IOMMUFD_PT says of a vSTE, or "" */
static const char *vste_of(unsigned long req, const void *arg, long ret,
			   char *buf, size_t len)
{
	static const char *const cfg[8] = {
		[0] = "abort", [4] = "bypass", [5] = "s1",
	};
	unsigned long long d0, ptr;
	unsigned int id, c;
	int slot;

	if (_IOC_NR(req) == ATTACH_PT_NR) {
		id = u32_at(arg, ATTACH_PT_ID_OFF);
		slot = id ? vste_slot(id) : -1;
		return slot < 0 ? "" : vste_hwpts[slot].what;
	}
	/* a destroyed id may come back for another HWPT */
	if (_IOC_NR(req) == DESTROY_NR) {
		id = u32_at(arg, DESTROY_ID_OFF);
		slot = id && ret == 0 ? vste_slot(id) : -1;
		if (slot >= 0)
			vste_hwpts[slot].id = 0;
		return "";
	}
	if (_IOC_NR(req) != HWPT_ALLOC_NR ||
	    u32_at(arg, HWPT_DATA_TYPE_OFF) != HWPT_DATA_ARM_SMMUV3 ||
	    u32_at(arg, HWPT_DATA_LEN_OFF) < sizeof(d0))
		return "";
	memcpy(&ptr, (const char *)arg + HWPT_DATA_PTR_OFF, sizeof(ptr));
	memcpy(&d0, (const void *)(unsigned long)ptr, sizeof(d0));
	c = STE_CONFIG(d0);
	if (cfg[c])
		snprintf(buf, len, "%s", cfg[c]);
	else
		snprintf(buf, len, "cfg%u", c);
	id = u32_at(arg, HWPT_OUT_ID_OFF);
	slot = ret == 0 && id ? vste_slot(id) : -1;
	if (ret == 0 && id && slot < 0)
		slot = vste_slot(0);
	if (slot >= 0) {
		vste_hwpts[slot].id = id;
		snprintf(vste_hwpts[slot].what, sizeof(vste_hwpts[slot].what),
			 "%s", buf);
	}
	return buf;
}

/* one write per line: QEMU's threads do not interleave inside a line */
static void ioctl_log(int fd, unsigned long req, const void *arg, long ret,
		      int err)
{
	const char *name = ioctl_name(req), *vste;
	char line[160], what[8];
	int n;

	vste = arg ? vste_of(req, arg, ret, what, sizeof(what)) : "";
	if (name && *vste)
		n = snprintf(line, sizeof(line), "ioctl(%d, %s, {vste=%s}) = ",
			     fd, name, vste);
	else if (name)
		n = snprintf(line, sizeof(line), "ioctl(%d, %s, ...) = ", fd,
			     name);
	else
		n = snprintf(line, sizeof(line), "ioctl(%d, %#lx, ...) = ", fd,
			     req);
	if (ret < 0)
		n += snprintf(line + n, sizeof(line) - n, "-1 %s\n",
			      strerrorname_np(err) ?: "E?");
	else
		n += snprintf(line + n, sizeof(line) - n, "%ld\n", ret);
	if (write(log_fd, line, n) != n)
		log_fd = -1;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	long ret;
	int err;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	ret = syscall(SYS_ioctl, fd, req, arg);
	err = errno;
	if (log_fd >= 0 && _IOC_TYPE(req) == NEST_IOC_TYPE)
		ioctl_log(fd, req, arg, ret, err);
	errno = err;
	return ret;
}
