/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU's edu device (1234:11e8) as a DMA engine behind VFIO: copies
 * between an IOVA and its 4 KiB buffer, so a test can see whether DMA
 * goes through the IOAS.
 */
#ifndef EDU_H
#define EDU_H

#include <stdbool.h>
#include <stdint.h>

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_BUF_ADDR	0x40000		/* device buffer in its DMA space */
#define EDU_BUF_SIZE	4096
/*
 * QEMU 7.2's edu range check is off by one: a DMA that ends at the end of
 * its buffer aborts QEMU ("DMA range ... out of bounds").  Stay below it.
 */
#define EDU_DMA_MAX	(EDU_BUF_SIZE / 2)
#define EDU_DMA_MASK	((1ULL << 28) - 1)

struct edu;

/* Map BAR0 and enable bus mastering on a bound VFIO device fd. */
struct edu *edu_open(int device_fd, char *err, size_t err_len);
void edu_close(struct edu *edu);
/* Copy @len bytes RAM(IOVA) -> device buffer, or back when @to_ram. */
int edu_dma(struct edu *edu, uint64_t iova, uint32_t len, bool to_ram);

#endif
