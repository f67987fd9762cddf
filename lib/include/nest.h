/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libnest in one include, for a program that wants the whole library.
 * Layers, bottom up; each header also stands alone:
 *   nest_util.h     header-only helpers of the pure code
 *   nest_ioctl.h    one wrapper per iommufd and VFIO cdev ioctl
 *   hw_info.h       IOMMU_GET_HW_INFO decoded
 *   pci_sysfs.h     PCI devices by BDF through sysfs
 *   nest_engine.h   the VMM attach engine (its trace: nest_trace.h)
 *   nest_backend.h  device backends by spec (backend_mock.h, backend_cdev.h)
 *   viommu_mig.h    the vIOMMU's migration stream (nest_mig.h replays it)
 *   smmu.h          what a vSMMUv3's guest writes for stage 1
 *   edu.h           QEMU's edu device as a DMA engine
 * The kselftest side (nest_ioctl_test.h, nest_blame.h, nest_bdfs.h,
 * nest_kselftest.h) needs kselftest_harness.h first and is not here.
 */
#ifndef NEST_H
#define NEST_H

#include "nest_util.h"
#include "nest_ioctl.h"
#include "hw_info.h"
#include "pci_sysfs.h"
#include "nest_engine.h"
#include "nest_trace.h"
#include "nest_backend.h"
#include "backend_mock.h"
#include "backend_cdev.h"
#include "viommu_mig.h"
#include "nest_mig.h"
#include "smmu.h"
#include "edu.h"

#endif
