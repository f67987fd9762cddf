/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ioctl layer in the three forms of the iommufd selftests, for test
 * programs; include it after kselftest_harness.h.  For a call X:
 *
 *   _test_cmd_X(fd, ...)         returns 0 or a negative errno
 *   test_cmd_X(fd, ...)          asserts that it succeeds
 *   test_err_X(ERRNO, fd, ...)   asserts that it fails with ERRNO
 *
 * The asserting forms end in ASSERT_EQ(), so a TH_LOG() may follow.  On
 * failure they first log "kernel: CALL answered ERRNO, expected ...": the
 * kernel's side disagreed, not the test's.
 */
#ifndef NEST_IOCTL_TEST_H
#define NEST_IOCTL_TEST_H

#include "nest_ioctl.h"

/* @ret, logged as the kernel's answer when it is not @want */
#define nest_kernel_answer(want, ret) ({				\
	int __ret = (ret);						\
	if (__ret != (want))						\
		TH_LOG("kernel: %s answered %s, expected %s", #ret,	\
		       nest_errno_name(-__ret),				\
		       (want) ? nest_errno_name(-(want)) : "success");	\
	__ret;								\
})

#define nest_test_ok(ret)		ASSERT_EQ(0, nest_kernel_answer(0, ret))
#define nest_test_err(err, ret) \
	ASSERT_EQ(-(err), nest_kernel_answer(-(err), ret))

#define _test_cmd_ioas_alloc(fd, id)	nest_ioas_alloc(fd, id)
#define test_cmd_ioas_alloc(...)	nest_test_ok(_test_cmd_ioas_alloc(__VA_ARGS__))
#define test_err_ioas_alloc(e, ...)	nest_test_err(e, _test_cmd_ioas_alloc(__VA_ARGS__))

#define _test_cmd_destroy(fd, id)	nest_destroy(fd, id)
#define test_cmd_destroy(...)		nest_test_ok(_test_cmd_destroy(__VA_ARGS__))
#define test_err_destroy(e, ...)	nest_test_err(e, _test_cmd_destroy(__VA_ARGS__))

/* A paging HWPT: no driver data. */
static inline int _test_cmd_hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id,
				       uint32_t flags, uint32_t *hwpt_id)
{
	return nest_hwpt_alloc(fd, dev_id, pt_id, flags, IOMMU_HWPT_DATA_NONE,
			       NULL, 0, hwpt_id);
}

#define test_cmd_hwpt_alloc(...)	nest_test_ok(_test_cmd_hwpt_alloc(__VA_ARGS__))
#define test_err_hwpt_alloc(e, ...)	nest_test_err(e, _test_cmd_hwpt_alloc(__VA_ARGS__))

/* A SELFTEST nested HWPT on @pt_id, its IOTLB at the default value. */
static inline int _test_cmd_hwpt_alloc_nested(int fd, uint32_t dev_id,
					      uint32_t pt_id, uint32_t *hwpt_id)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };

	return nest_hwpt_alloc(fd, dev_id, pt_id, 0, IOMMU_HWPT_DATA_SELFTEST,
			       &data, NEST_SELFTEST_DATA_LEN, hwpt_id);
}

#define test_cmd_hwpt_alloc_nested(...) \
	nest_test_ok(_test_cmd_hwpt_alloc_nested(__VA_ARGS__))
#define test_err_hwpt_alloc_nested(e, ...) \
	nest_test_err(e, _test_cmd_hwpt_alloc_nested(__VA_ARGS__))

/* The type and caps (either may be NULL), without the driver's data. */
#define _test_cmd_get_hw_info(fd, dev_id, type, caps) \
	nest_get_hw_info(fd, dev_id, NULL, NULL, type, caps)
#define test_cmd_get_hw_info(...)	nest_test_ok(_test_cmd_get_hw_info(__VA_ARGS__))
#define test_err_get_hw_info(e, ...)	nest_test_err(e, _test_cmd_get_hw_info(__VA_ARGS__))

/* Read and write, at a fixed IOVA. */
static inline int _test_cmd_ioas_map_fixed(int fd, uint32_t ioas_id, void *va,
					   uint64_t length, uint64_t iova)
{
	return nest_ioas_map(fd, ioas_id, IOMMU_IOAS_MAP_FIXED_IOVA |
			     IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
			     va, length, &iova);
}

#define test_cmd_ioas_map_fixed(...)	nest_test_ok(_test_cmd_ioas_map_fixed(__VA_ARGS__))
#define test_err_ioas_map_fixed(e, ...) \
	nest_test_err(e, _test_cmd_ioas_map_fixed(__VA_ARGS__))

#define _test_cmd_ioas_unmap(fd, ioas_id, iova, length) \
	nest_ioas_unmap(fd, ioas_id, iova, length, NULL)
#define test_cmd_ioas_unmap(...)	nest_test_ok(_test_cmd_ioas_unmap(__VA_ARGS__))
#define test_err_ioas_unmap(e, ...)	nest_test_err(e, _test_cmd_ioas_unmap(__VA_ARGS__))

#define _test_cmd_mock_domain_replace(fd, stdev_id, pt_id) \
	nest_test_mock_domain_replace(fd, stdev_id, pt_id)
#define test_cmd_mock_domain_replace(...) \
	nest_test_ok(_test_cmd_mock_domain_replace(__VA_ARGS__))
#define test_err_mock_domain_replace(e, ...) \
	nest_test_err(e, _test_cmd_mock_domain_replace(__VA_ARGS__))

#define _test_cmd_md_check_iotlb(fd, hwpt_id, iotlb_id, iotlb) \
	nest_test_md_check_iotlb(fd, hwpt_id, iotlb_id, iotlb)
#define test_cmd_md_check_iotlb(...)	nest_test_ok(_test_cmd_md_check_iotlb(__VA_ARGS__))
#define test_err_md_check_iotlb(e, ...) \
	nest_test_err(e, _test_cmd_md_check_iotlb(__VA_ARGS__))

#ifdef IOMMU_VIOMMU_ALLOC
#define _test_cmd_viommu_alloc(fd, type, flags, dev_id, hwpt_id, id) \
	nest_viommu_alloc(fd, type, flags, dev_id, hwpt_id, id)
#define test_cmd_viommu_alloc(...)	nest_test_ok(_test_cmd_viommu_alloc(__VA_ARGS__))
#define test_err_viommu_alloc(e, ...)	nest_test_err(e, _test_cmd_viommu_alloc(__VA_ARGS__))
#endif

#ifdef IOMMU_VDEVICE_ALLOC
#define _test_cmd_vdevice_alloc(fd, viommu_id, dev_id, virt_id, id) \
	nest_vdevice_alloc(fd, viommu_id, dev_id, virt_id, id)
#define test_cmd_vdevice_alloc(...)	nest_test_ok(_test_cmd_vdevice_alloc(__VA_ARGS__))
#define test_err_vdevice_alloc(e, ...)	nest_test_err(e, _test_cmd_vdevice_alloc(__VA_ARGS__))
#endif

#define _test_cmd_vfio_bind_iommufd(devfd, iommufd, dev_id) \
	nest_vfio_bind_iommufd(devfd, iommufd, dev_id)
#define test_cmd_vfio_bind_iommufd(...) \
	nest_test_ok(_test_cmd_vfio_bind_iommufd(__VA_ARGS__))
#define test_err_vfio_bind_iommufd(e, ...) \
	nest_test_err(e, _test_cmd_vfio_bind_iommufd(__VA_ARGS__))

#define _test_cmd_vfio_attach_pt(devfd, pt_id)	nest_vfio_attach_pt(devfd, pt_id)
#define test_cmd_vfio_attach_pt(...)	nest_test_ok(_test_cmd_vfio_attach_pt(__VA_ARGS__))
#define test_err_vfio_attach_pt(e, ...) \
	nest_test_err(e, _test_cmd_vfio_attach_pt(__VA_ARGS__))

/*
 * The id the next object of @fd gets: iommufd hands out the lowest free
 * one, so an object a failed call leaked would take it.
 */
static inline int nest_test_next_free_id(int fd, uint32_t *id)
{
	int ret = nest_ioas_alloc(fd, id);

	return ret ?: nest_destroy(fd, *id);
}

#endif
