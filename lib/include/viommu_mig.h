/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vIOMMU's migration state as a byte stream: the config, the flags
 * the source answered, and per device its identity, its HWPT layout and
 * whether a host IOMMU device was set.  Pure code, like the model.
 *
 * Stream version 2, every integer little-endian:
 *
 *   offset  size  field
 *   0       4     magic "VNMS"
 *   4       2     version (2)
 *   6       2     header size (16)
 *   8       4     records size: bytes of records after the header
 *   12      4     record count
 *   16      ...   records, each: u16 tag, u16 length, length bytes
 *   end-4   4     CRC-32 (IEEE 802.3) of every byte before it
 *
 * Records (each required one exactly once, devices in order):
 *
 *   tag 1 CONFIG  the canonical config string (QEMU 11.1 names),
 *                 1..200 bytes, no NUL
 *   tag 2 FLAGS   u64: get_viommu_flags() at the source, bits 0-3
 *   tag 3 DEVICE  u32 HWPT alloc flags (NEST_PARENT, DIRTY_TRACKING,
 *                 PASID), u8 layout (0 none, 1 plain, 2 nesting
 *                 parent), u8 state (bit 0 hiod set, bit 1 stage-1
 *                 nested HWPT attached, bit 2 placed behind a PCI
 *                 bridge in the guest), u8 reserved (0), u8 identity
 *                 length (1..31), identity (printable ASCII)
 *
 * Version 1 (before the model followed QEMU 11.1: x- names, flag bits
 * 0-1, no bridge placement) is refused by name: its config strings do
 * not parse under 11.1 and its devices have no placement.
 *
 * The loader refuses anything else: unknown tags, versions, flag or
 * state bits, lengths that disagree, a bad checksum, trailing bytes.
 */
#ifndef VIOMMU_MIG_H
#define VIOMMU_MIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "viommu_model.h"

#define VIOMMU_MIG_MAGIC	"VNMS"
#define VIOMMU_MIG_VERSION	2
#define VIOMMU_MIG_HDR_LEN	16
#define VIOMMU_MIG_CRC_LEN	4
#define VIOMMU_MIG_CONFIG_MAX	200
#define VIOMMU_MIG_ID_MAX	31
/* The largest stream this version can hold. */
#define VIOMMU_MIG_STREAM_MAX	(VIOMMU_MIG_HDR_LEN + 4 + VIOMMU_MIG_CONFIG_MAX + \
				 4 + 8 + VIOMMU_MAX_DEVICES * \
				 (4 + 8 + VIOMMU_MIG_ID_MAX) + VIOMMU_MIG_CRC_LEN)

enum viommu_mig_tag {
	VIOMMU_MIG_TAG_CONFIG = 1,
	VIOMMU_MIG_TAG_FLAGS = 2,
	VIOMMU_MIG_TAG_DEVICE = 3,
};

/* uAPI facts: IOMMU_HWPT_ALLOC_NEST_PARENT, _DIRTY_TRACKING, _PASID */
#define VIOMMU_MIG_HWPT_NEST_PARENT	(1u << 0)
#define VIOMMU_MIG_HWPT_DIRTY_TRACKING	(1u << 1)
#define VIOMMU_MIG_HWPT_PASID		(1u << 2)
#define VIOMMU_MIG_HWPT_KNOWN		0x7u

enum viommu_mig_layout {
	VIOMMU_MIG_LAYOUT_NONE,		/* not attached: realize failed */
	VIOMMU_MIG_LAYOUT_PLAIN,	/* a HWPT that is not a parent */
	VIOMMU_MIG_LAYOUT_PARENT,	/* a nesting-parent HWPT */
};

#define VIOMMU_MIG_STATE_HIOD	(1u << 0)
#define VIOMMU_MIG_STATE_NESTED	(1u << 1)
#define VIOMMU_MIG_STATE_BRIDGE	(1u << 2)
#define VIOMMU_MIG_STATE_KNOWN	0x7u

struct viommu_mig_dev {
	char id[VIOMMU_MIG_ID_MAX + 1];
	uint32_t hwpt_flags;
	enum viommu_mig_layout layout;
	bool hiod_set;
	bool nested;
	bool behind_bridge;	/* the guest's placement: VM config */
};

struct viommu_mig_state {
	struct viommu_config cfg;
	uint64_t flags;
	unsigned int nr_devs;
	struct viommu_mig_dev devs[VIOMMU_MAX_DEVICES];
};

/*
 * Write @s into @buf; return the stream length, or -EINVAL with @err
 * filled (a migration-unsafe config, a bad device record) or -ENOSPC.
 */
int viommu_mig_save(const struct viommu_mig_state *s, uint8_t *buf,
		    size_t len, char *err, size_t err_len);
/* Parse a stream into @s: 0, or -EINVAL with the precise reason. */
int viommu_mig_load(const uint8_t *buf, size_t len,
		    struct viommu_mig_state *s, char *err, size_t err_len);
uint32_t viommu_mig_crc32(const uint8_t *buf, size_t len);
const char *viommu_mig_layout_name(enum viommu_mig_layout layout);

#endif
