/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ioctl layer: one wrapper per iommufd and VFIO cdev ioctl the project
 * issues, each returning 0 or a negative errno.  The wrappers build the
 * command with its full size and pass flags through; a caller that must
 * send a malformed command uses a _raw variant or nest_ioctl().  Outputs
 * are written on success, and also on failure where the kernel reports
 * progress there (entry_num, num_iovas).
 *
 * Ioctls newer than the headers are declared only when the headers define
 * them; whether the running kernel has them is probed by the caller
 * (-ENOTTY).
 */
#ifndef NEST_IOCTL_H
#define NEST_IOCTL_H

#include <stddef.h>
#include <stdint.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "iommufd_test.h"

/*
 * data_len of SELFTEST stage-1 data that every kernel takes: the struct
 * grew after 6.12 (pagetable_type), and 6.12 refuses any length past
 * iotlb, while later kernels take one that ends there.
 */
#define NEST_SELFTEST_DATA_LEN \
	(offsetof(struct iommu_hwpt_selftest, iotlb) + sizeof(uint32_t))

/*
 * IOMMU_HWPT_ALLOC_PASID (6.15): an enum, so headers cannot be asked
 * whether they have it; uAPI values do not change.
 */
#define NEST_HWPT_ALLOC_PASID	(1u << 3)

/* Any ioctl: -errno when it fails, else what it returned (0 for these). */
int nest_ioctl(int fd, unsigned long request, void *arg);
/* An errno's name ("EINVAL"); "0" for 0, "E<n>" for one it does not know. */
const char *nest_errno_name(int err);

/* ---- iommufd ---- */

int nest_ioas_alloc(int fd, uint32_t *ioas_id);
int nest_destroy(int fd, uint32_t id);
/* @num: in, room in @ranges; out, the number of ranges (also on EMSGSIZE). */
int nest_ioas_iova_ranges(int fd, uint32_t ioas_id,
			  struct iommu_iova_range *ranges, uint32_t *num,
			  uint64_t *alignment);
/* @iova: in with IOMMU_IOAS_MAP_FIXED_IOVA; out, where it was mapped. */
int nest_ioas_map(int fd, uint32_t ioas_id, uint32_t flags, void *va,
		  uint64_t length, uint64_t *iova);
/* @unmapped (may be NULL): how many bytes went away. */
int nest_ioas_unmap(int fd, uint32_t ioas_id, uint64_t iova, uint64_t length,
		    uint64_t *unmapped);
/* IOMMU_OPTION; @val is read for IOMMU_OPTION_OP_SET, written for GET. */
int nest_option(int fd, uint32_t option_id, uint16_t op, uint32_t object_id,
		uint64_t *val);
int nest_hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags,
		    uint32_t data_type, const void *data, uint32_t data_len,
		    uint32_t *hwpt_id);
/*
 * @data_len: in, the size of @data; out, the length the driver has, which
 * may be more than was copied.  Any output pointer may be NULL.
 */
int nest_get_hw_info(int fd, uint32_t dev_id, void *data, uint32_t *data_len,
		     uint32_t *type, uint64_t *caps);
/* The same, and the device's PASID width (0: none, or an older kernel). */
int nest_get_hw_info_pasid(int fd, uint32_t dev_id, void *data,
			   uint32_t *data_len, uint32_t *type, uint64_t *caps,
			   uint8_t *max_pasid_log2);
/* GET_HW_INFO asking for @in_type's data (6.17+): EOPNOTSUPP, not that */
int nest_get_hw_info_as(int fd, uint32_t dev_id, uint32_t in_type,
			void *data, uint32_t *data_len);
int nest_hwpt_set_dirty_tracking(int fd, uint32_t hwpt_id, uint32_t flags);
int nest_hwpt_get_dirty_bitmap(int fd, uint32_t hwpt_id, uint32_t flags,
			       uint64_t iova, uint64_t length,
			       uint64_t page_size, void *bitmap);
/* @entry_num: in, entries to send; out, entries the kernel handled. */
int nest_hwpt_invalidate(int fd, uint32_t hwpt_id, uint32_t data_type,
			 const void *entries, uint32_t entry_len,
			 uint32_t *entry_num);

#ifdef IOMMU_VIOMMU_ALLOC
int nest_viommu_alloc(int fd, uint32_t type, uint32_t flags, uint32_t dev_id,
		      uint32_t hwpt_id, uint32_t *viommu_id);
/* The caller's command as it is: its size decides what the kernel reads. */
int nest_viommu_alloc_raw(int fd, struct iommu_viommu_alloc *cmd);
#endif
#ifdef IOMMU_VDEVICE_ALLOC
int nest_vdevice_alloc(int fd, uint32_t viommu_id, uint32_t dev_id,
		       uint64_t virt_id, uint32_t *vdevice_id);
#endif
#ifdef IOMMU_VEVENTQ_ALLOC
int nest_veventq_alloc(int fd, uint32_t viommu_id, uint32_t type,
		       uint32_t depth, uint32_t *veventq_id, int *veventq_fd);
#endif
#ifdef IOMMU_HW_QUEUE_ALLOC
int nest_hw_queue_alloc(int fd, uint32_t viommu_id, uint32_t type,
			uint32_t index, uint64_t iova, uint64_t length,
			uint32_t *hw_queue_id);
#endif

/* ---- the mock's test ops (CONFIG_IOMMUFD_TEST) ---- */

/* IOMMU_TEST_CMD with cmd->size set to the struct's. */
int nest_test_cmd(int fd, struct iommu_test_cmd *cmd);
/* An emulated device's copy of @len bytes at @iova to or from @buf. */
int nest_test_access_rw(int fd, uint32_t access_fd, uint64_t iova, void *buf,
			uint64_t len, uint32_t flags);
/* A mock device on @pt_id; the ids of its handle, device and domain. */
int nest_test_mock_domain_flags(int fd, uint32_t pt_id, uint32_t dev_flags,
				uint32_t *stdev_id, uint32_t *idev_id,
				uint32_t *hwpt_id);
int nest_test_mock_domain_replace(int fd, uint32_t stdev_id, uint32_t pt_id);
/* Reserve [start, start + length) of @ioas_id: its usable IOVA shrinks. */
int nest_test_add_reserved(int fd, uint32_t ioas_id, uint64_t start,
			   uint64_t length);
int nest_test_md_check_iotlb(int fd, uint32_t hwpt_id, uint32_t iotlb_id,
			     uint32_t iotlb);

/* ---- VFIO cdev (@devfd: an open /dev/vfio/devices/vfioN) ---- */

int nest_vfio_bind_iommufd(int devfd, int iommufd, uint32_t *dev_id);
int nest_vfio_bind_iommufd_raw(int devfd, struct vfio_device_bind_iommufd *cmd);
int nest_vfio_attach_pt(int devfd, uint32_t pt_id);
int nest_vfio_attach_pt_raw(int devfd,
			    struct vfio_device_attach_iommufd_pt *cmd);
int nest_vfio_detach_pt(int devfd);
int nest_vfio_detach_pt_raw(int devfd,
			    struct vfio_device_detach_iommufd_pt *cmd);
int nest_vfio_region_info(int devfd, uint32_t index,
			  struct vfio_region_info *info);

#endif
