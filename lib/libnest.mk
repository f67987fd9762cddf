# SPDX-License-Identifier: GPL-2.0
#
# The VMM side of iommufd-nest as a library: the ioctl layer (one
# wrapper per ioctl, and their kselftest forms), the attach engine and its
# trace, migration capture/replay and the stream, hw_info decoding, PCI
# sysfs, the device backends (mock, VFIO cdev) with their registry, and
# the edu DMA driver.
# It rests on the vIOMMU model (../viommu_model.c and ../kinds/).
# Another selftest includes this file and adds to its build:
#
#   include path/to/iommufd_nest/lib/libnest.mk
#   $(OUTPUT)/prog: prog.c $(LIBNEST_SRCS) $(LIBNEST_HEADERS)
#	$(CC) $(CFLAGS) $(LIBNEST_CPPFLAGS) $(KHDR_INCLUDES) -o $@ $(filter %.c,$^)
#
# It needs the kernel's uAPI headers (linux/iommufd.h, linux/vfio.h) and
# drivers/iommu/iommufd/iommufd_test.h on the include path.

LIBNEST_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
LIBNEST_TOP := $(abspath $(LIBNEST_DIR)/..)

# pure C, no kernel headers: the model with its kinds (one file each),
# and the migration stream
LIBNEST_VIOMMU_SRCS := $(LIBNEST_TOP)/viommu_model.c \
	$(sort $(wildcard $(LIBNEST_TOP)/kinds/*.c))
LIBNEST_MODEL_SRCS := $(LIBNEST_VIOMMU_SRCS) $(LIBNEST_DIR)/viommu_mig.c \
	$(LIBNEST_DIR)/smmu.c
# the device backends, one file each, and their registry
LIBNEST_BACKEND_SRCS := $(LIBNEST_DIR)/backends.c \
	$(sort $(wildcard $(LIBNEST_DIR)/backend_*.c))
LIBNEST_SRCS := $(LIBNEST_MODEL_SRCS) \
	$(addprefix $(LIBNEST_DIR)/,ioctl.c engine.c trace.c nest_mig.c hw_info.c \
		pci_sysfs.c edu.c) $(LIBNEST_BACKEND_SRCS)
LIBNEST_HEADERS := $(wildcard $(LIBNEST_TOP)/*.h $(LIBNEST_TOP)/kinds/*.h \
	$(LIBNEST_DIR)/include/*.h)
LIBNEST_CPPFLAGS := -I$(LIBNEST_TOP) -I$(LIBNEST_DIR)/include
