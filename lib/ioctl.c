// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl layer.  Nothing here decides anything: a command is built
 * from the arguments, issued, and its outputs handed back.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "nest_ioctl.h"
#include "nest_util.h"

int nest_ioctl(int fd, unsigned long request, void *arg)
{
	int ret = ioctl(fd, request, arg);

	return ret < 0 ? -errno : ret;
}

const char *nest_errno_name(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ 0, "0" },
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EIO, "EIO" },
		{ ENXIO, "ENXIO" }, { E2BIG, "E2BIG" }, { EBADF, "EBADF" },
		{ ENOMEM, "ENOMEM" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" }, { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" },
		{ ENOSPC, "ENOSPC" }, { ENOTTY, "ENOTTY" }, { ERANGE, "ERANGE" },
		{ EOVERFLOW, "EOVERFLOW" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		{ EBADFD, "EBADFD" }, { EMSGSIZE, "EMSGSIZE" },
	};
	static __thread char buf[16];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

/* ---- iommufd ---- */

int nest_ioas_alloc(int fd, uint32_t *ioas_id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int ret = nest_ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);

	if (!ret)
		*ioas_id = cmd.out_ioas_id;
	return ret;
}

int nest_destroy(int fd, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return nest_ioctl(fd, IOMMU_DESTROY, &cmd);
}

int nest_ioas_iova_ranges(int fd, uint32_t ioas_id,
			  struct iommu_iova_range *ranges, uint32_t *num,
			  uint64_t *alignment)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = *num,
		.allowed_iovas = (uintptr_t)ranges,
	};
	int ret = nest_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd);

	*num = cmd.num_iovas;
	if (!ret && alignment)
		*alignment = cmd.out_iova_alignment;
	return ret;
}

int nest_ioas_map(int fd, uint32_t ioas_id, uint32_t flags, void *va,
		  uint64_t length, uint64_t *iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)va,
		.length = length,
		.iova = *iova,
	};
	int ret = nest_ioctl(fd, IOMMU_IOAS_MAP, &cmd);

	if (!ret)
		*iova = cmd.iova;
	return ret;
}

int nest_ioas_unmap(int fd, uint32_t ioas_id, uint64_t iova, uint64_t length,
		    uint64_t *unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
	};
	int ret = nest_ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);

	if (!ret && unmapped)
		*unmapped = cmd.length;
	return ret;
}

int nest_option(int fd, uint32_t option_id, uint16_t op, uint32_t object_id,
		uint64_t *val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = option_id,
		.op = op,
		.object_id = object_id,
		.val64 = *val,
	};
	int ret = nest_ioctl(fd, IOMMU_OPTION, &cmd);

	if (!ret)
		*val = cmd.val64;
	return ret;
}

int nest_hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags,
		    uint32_t data_type, const void *data, uint32_t data_len,
		    uint32_t *hwpt_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = data_type,
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
	};
	int ret = nest_ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!ret)
		*hwpt_id = cmd.out_hwpt_id;
	return ret;
}

/*
 * out_max_pasid_log2 is the first byte after out_data_type.  Headers from
 * before it name that byte __reserved, and kernels from before it leave
 * it zero, so it is read by its place: every header builds.
 */
#define HW_INFO_PASID_OFF	(offsetof(struct iommu_hw_info, out_data_type) + \
				 sizeof(__u32))
_Static_assert(offsetof(struct iommu_hw_info, out_capabilities) ==
	       HW_INFO_PASID_OFF + 4, "struct iommu_hw_info layout changed");

int nest_get_hw_info_pasid(int fd, uint32_t dev_id, void *data,
			   uint32_t *data_len, uint32_t *type, uint64_t *caps,
			   uint8_t *max_pasid_log2)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.data_len = data_len ? *data_len : 0,
		.data_uptr = (uintptr_t)data,
	};
	int ret = nest_ioctl(fd, IOMMU_GET_HW_INFO, &cmd);

	if (ret)
		return ret;
	if (data_len)
		*data_len = cmd.data_len;
	if (type)
		*type = cmd.out_data_type;
	if (caps)
		*caps = cmd.out_capabilities;
	if (max_pasid_log2)
		*max_pasid_log2 = ((const uint8_t *)&cmd)[HW_INFO_PASID_OFF];
	return 0;
}

/* IOMMU_HW_INFO_FLAG_INPUT_TYPE: in_data_type shares out_data_type's place */
#define NEST_HW_INFO_FLAG_INPUT_TYPE	(1u << 0)

int nest_get_hw_info_as(int fd, uint32_t dev_id, uint32_t in_type,
			void *data, uint32_t *data_len)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.flags = NEST_HW_INFO_FLAG_INPUT_TYPE,
		.dev_id = dev_id,
		.data_len = *data_len,
		.data_uptr = (uintptr_t)data,
		.out_data_type = in_type,
	};
	int ret = nest_ioctl(fd, IOMMU_GET_HW_INFO, &cmd);

	if (!ret)
		*data_len = cmd.data_len;
	return ret;
}

int nest_get_hw_info(int fd, uint32_t dev_id, void *data, uint32_t *data_len,
		     uint32_t *type, uint64_t *caps)
{
	return nest_get_hw_info_pasid(fd, dev_id, data, data_len, type, caps,
				      NULL);
}

int nest_hwpt_set_dirty_tracking(int fd, uint32_t hwpt_id, uint32_t flags)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.hwpt_id = hwpt_id,
	};

	return nest_ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

int nest_hwpt_get_dirty_bitmap(int fd, uint32_t hwpt_id, uint32_t flags,
			       uint64_t iova, uint64_t length,
			       uint64_t page_size, void *bitmap)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt_id,
		.flags = flags,
		.iova = iova,
		.length = length,
		.page_size = page_size,
		.data = (uintptr_t)bitmap,
	};

	return nest_ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
}

int nest_hwpt_invalidate(int fd, uint32_t hwpt_id, uint32_t data_type,
			 const void *entries, uint32_t entry_len,
			 uint32_t *entry_num)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt_id,
		.data_uptr = (uintptr_t)entries,
		.data_type = data_type,
		.entry_len = entry_len,
		.entry_num = *entry_num,
	};
	int ret = nest_ioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd);

	*entry_num = cmd.entry_num;
	return ret;
}

#ifdef IOMMU_VIOMMU_ALLOC
int nest_viommu_alloc(int fd, uint32_t type, uint32_t flags, uint32_t dev_id,
		      uint32_t hwpt_id, uint32_t *viommu_id)
{
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.type = type,
		.dev_id = dev_id,
		.hwpt_id = hwpt_id,
	};
	int ret = nest_viommu_alloc_raw(fd, &cmd);

	if (!ret)
		*viommu_id = cmd.out_viommu_id;
	return ret;
}

int nest_viommu_alloc_raw(int fd, struct iommu_viommu_alloc *cmd)
{
	return nest_ioctl(fd, IOMMU_VIOMMU_ALLOC, cmd);
}
#endif

#ifdef IOMMU_VDEVICE_ALLOC
int nest_vdevice_alloc(int fd, uint32_t viommu_id, uint32_t dev_id,
		       uint64_t virt_id, uint32_t *vdevice_id)
{
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.dev_id = dev_id,
		.virt_id = virt_id,
	};
	int ret = nest_ioctl(fd, IOMMU_VDEVICE_ALLOC, &cmd);

	if (!ret)
		*vdevice_id = cmd.out_vdevice_id;
	return ret;
}
#endif

#ifdef IOMMU_VEVENTQ_ALLOC
int nest_veventq_alloc(int fd, uint32_t viommu_id, uint32_t type,
		       uint32_t depth, uint32_t *veventq_id, int *veventq_fd)
{
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.type = type,
		.veventq_depth = depth,
	};
	int ret = nest_ioctl(fd, IOMMU_VEVENTQ_ALLOC, &cmd);

	if (ret)
		return ret;
	*veventq_id = cmd.out_veventq_id;
	*veventq_fd = cmd.out_veventq_fd;
	return 0;
}
#endif

#ifdef IOMMU_HW_QUEUE_ALLOC
int nest_hw_queue_alloc(int fd, uint32_t viommu_id, uint32_t type,
			uint32_t index, uint64_t iova, uint64_t length,
			uint32_t *hw_queue_id)
{
	struct iommu_hw_queue_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.type = type,
		.index = index,
		.nesting_parent_iova = iova,
		.length = length,
	};
	int ret = nest_ioctl(fd, IOMMU_HW_QUEUE_ALLOC, &cmd);

	if (!ret)
		*hw_queue_id = cmd.out_hw_queue_id;
	return ret;
}
#endif

/* ---- the mock's test ops ---- */

int nest_test_cmd(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return nest_ioctl(fd, IOMMU_TEST_CMD, cmd);
}

int nest_test_access_rw(int fd, uint32_t access_fd, uint64_t iova, void *buf,
			uint64_t len, uint32_t flags)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_RW,
		.id = access_fd,
		.access_rw = { .iova = iova, .length = len,
			       .uptr = (uintptr_t)buf, .flags = flags },
	};

	return nest_test_cmd(fd, &cmd);
}

int nest_test_mock_domain_flags(int fd, uint32_t pt_id, uint32_t dev_flags,
				uint32_t *stdev_id, uint32_t *idev_id,
				uint32_t *hwpt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.id = pt_id,
		.mock_domain_flags = { .dev_flags = dev_flags },
	};
	int ret = nest_test_cmd(fd, &cmd);

	if (ret)
		return ret;
	*stdev_id = cmd.mock_domain_flags.out_stdev_id;
	*idev_id = cmd.mock_domain_flags.out_idev_id;
	*hwpt_id = cmd.mock_domain_flags.out_hwpt_id;
	return 0;
}

int nest_test_mock_domain_replace(int fd, uint32_t stdev_id, uint32_t pt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev_id,
		.mock_domain_replace = { .pt_id = pt_id },
	};

	return nest_test_cmd(fd, &cmd);
}

int nest_test_add_reserved(int fd, uint32_t ioas_id, uint64_t start,
			   uint64_t length)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ADD_RESERVED,
		.id = ioas_id,
		.add_reserved = { .start = start, .length = length },
	};

	return nest_test_cmd(fd, &cmd);
}

int nest_test_md_check_iotlb(int fd, uint32_t hwpt_id, uint32_t iotlb_id,
			     uint32_t iotlb)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_IOTLB,
		.id = hwpt_id,
		.check_iotlb = { .id = iotlb_id, .iotlb = iotlb },
	};

	return nest_test_cmd(fd, &cmd);
}

/* ---- VFIO cdev ---- */

int nest_vfio_bind_iommufd(int devfd, int iommufd, uint32_t *dev_id)
{
	struct vfio_device_bind_iommufd cmd = {
		.argsz = sizeof(cmd),
		.iommufd = iommufd,
	};
	int ret = nest_vfio_bind_iommufd_raw(devfd, &cmd);

	if (!ret)
		*dev_id = cmd.out_devid;
	return ret;
}

int nest_vfio_bind_iommufd_raw(int devfd, struct vfio_device_bind_iommufd *cmd)
{
	return nest_ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, cmd);
}

int nest_vfio_attach_pt(int devfd, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt cmd = {
		.argsz = sizeof(cmd),
		.pt_id = pt_id,
	};

	return nest_vfio_attach_pt_raw(devfd, &cmd);
}

int nest_vfio_attach_pt_raw(int devfd,
			    struct vfio_device_attach_iommufd_pt *cmd)
{
	return nest_ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, cmd);
}

int nest_vfio_detach_pt(int devfd)
{
	struct vfio_device_detach_iommufd_pt cmd = { .argsz = sizeof(cmd) };

	return nest_vfio_detach_pt_raw(devfd, &cmd);
}

int nest_vfio_detach_pt_raw(int devfd,
			    struct vfio_device_detach_iommufd_pt *cmd)
{
	return nest_ioctl(devfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, cmd);
}

int nest_vfio_region_info(int devfd, uint32_t index,
			  struct vfio_region_info *info)
{
	*info = (struct vfio_region_info){
		.argsz = sizeof(*info),
		.index = index,
	};
	return nest_ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, info);
}
