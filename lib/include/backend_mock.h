/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mock device backend: devices of the kernel's iommufd selftest
 * driver (CONFIG_IOMMUFD_TEST), driven through IOMMU_TEST_CMD.
 */
#ifndef BACKEND_MOCK_H
#define BACKEND_MOCK_H

#include <stddef.h>
#include <stdint.h>

#include "nest_engine.h"

/* A mock device with MOCK_FLAGS_DEVICE_* @dev_flags, not yet bound. */
struct nest_dev *nest_mock_dev_new(const char *name, uint32_t dev_flags);
/* The MOCK_FLAGS_DEVICE_* it was made with. */
uint32_t nest_mock_dev_flags(const struct nest_dev *dev);
/*
 * Open /dev/iommu and check it has the mock: the fd, or -1 with @why
 * naming the missing kernel option (a test's SKIP reason).
 */
int nest_mock_open(char *why, size_t len);

#endif
