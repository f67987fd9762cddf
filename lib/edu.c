// SPDX-License-Identifier: GPL-2.0
/*
 * The edu device's DMA engine.  Register offsets are from QEMU's edu
 * specification: 0x80 source, 0x88 destination, 0x90 count, 0x98 command
 * (bit 0 start, bit 1 direction: set for device-to-RAM).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "edu.h"
#include "nest_ioctl.h"

#define EDU_REG_IDENT	0x00
#define EDU_REG_SRC	0x80
#define EDU_REG_DST	0x88
#define EDU_REG_COUNT	0x90
#define EDU_REG_CMD	0x98
#define EDU_CMD_START	0x1
#define EDU_CMD_TO_RAM	0x2
#define PCI_COMMAND	0x04
#define PCI_COMMAND_MASTER 0x4
#define EDU_TIMEOUT_MS	5000

struct edu {
	uint8_t *bar;
	size_t bar_size;
};

static int enable_bus_master(int fd)
{
	struct vfio_region_info cfg;
	uint16_t cmd;
	int err;

	err = nest_vfio_region_info(fd, VFIO_PCI_CONFIG_REGION_INDEX, &cfg);
	if (err)
		return err;
	if (pread(fd, &cmd, 2, cfg.offset + PCI_COMMAND) != 2)
		return -EIO;
	cmd |= PCI_COMMAND_MASTER;
	if (pwrite(fd, &cmd, 2, cfg.offset + PCI_COMMAND) != 2)
		return -EIO;
	return 0;
}

struct edu *edu_open(int fd, char *err, size_t err_len)
{
	struct vfio_region_info bar;
	struct edu *edu;
	void *map;

	if (nest_vfio_region_info(fd, VFIO_PCI_BAR0_REGION_INDEX, &bar) ||
	    !(bar.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		snprintf(err, err_len, "edu BAR0 cannot be mapped");
		return NULL;
	}
	map = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   bar.offset);
	if (map == MAP_FAILED) {
		snprintf(err, err_len, "mmap of edu BAR0: %s", strerror(errno));
		return NULL;
	}
	if (enable_bus_master(fd)) {
		snprintf(err, err_len, "cannot enable bus mastering");
		munmap(map, bar.size);
		return NULL;
	}
	/* MMIO: atomic accesses keep the compiler from merging or caching */
	if ((__atomic_load_n((uint32_t *)((uint8_t *)map + EDU_REG_IDENT),
			     __ATOMIC_SEQ_CST) & 0xff) != 0xed) {
		snprintf(err, err_len, "not an edu device: bad ident register");
		munmap(map, bar.size);
		return NULL;
	}
	edu = calloc(1, sizeof(*edu));
	if (!edu) {
		munmap(map, bar.size);
		return NULL;
	}
	edu->bar = map;
	edu->bar_size = bar.size;
	return edu;
}

void edu_close(struct edu *edu)
{
	if (!edu)
		return;
	munmap(edu->bar, edu->bar_size);
	free(edu);
}

static void wr64(struct edu *edu, unsigned int reg, uint64_t val)
{
	__atomic_store_n((uint64_t *)(edu->bar + reg), val, __ATOMIC_SEQ_CST);
}

static uint64_t rd64(struct edu *edu, unsigned int reg)
{
	return __atomic_load_n((uint64_t *)(edu->bar + reg), __ATOMIC_SEQ_CST);
}

int edu_dma(struct edu *edu, uint64_t iova, uint32_t len, bool to_ram)
{
	struct timespec pause = { .tv_nsec = 1000000 };
	int waited;

	if (len > EDU_DMA_MAX || iova + len - 1 > EDU_DMA_MASK)
		return -EINVAL;
	wr64(edu, EDU_REG_SRC, to_ram ? EDU_BUF_ADDR : iova);
	wr64(edu, EDU_REG_DST, to_ram ? iova : EDU_BUF_ADDR);
	wr64(edu, EDU_REG_COUNT, len);
	wr64(edu, EDU_REG_CMD, EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0));
	/* the engine clears START when the copy is done; never wait forever */
	for (waited = 0; rd64(edu, EDU_REG_CMD) & EDU_CMD_START; waited++) {
		if (waited >= EDU_TIMEOUT_MS)
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
	return 0;
}
