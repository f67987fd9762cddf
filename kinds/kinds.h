/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vIOMMU kinds: each is one file here with a struct viommu_kind_ops, and
 * one row of the registry (registry.c).  The model (viommu_model.c) does
 * the work common to every kind and asks the kind for the rest.
 *
 * Pure C like the model: no ioctls and no kernel headers.
 */
#ifndef VIOMMU_KINDS_H
#define VIOMMU_KINDS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nest_util.h"
#include "viommu_model.h"

/*
 * How a key's value is parsed: QEMU's property types, with QEMU's
 * messages for a value the type does not take.
 */
enum viommu_key_type {
	VIOMMU_KEY_BOOL,	/* bool: on|off, yes|no, true|false, y|n */
	VIOMMU_KEY_UINT8,	/* unsigned int, decimal, 0x hex or 0 octal */
	VIOMMU_KEY_UINT32,
	VIOMMU_KEY_ENUM,	/* int: vals[i] for the value names[i] */
	VIOMMU_KEY_STR,		/* char[VIOMMU_STR_MAX] */
};

struct viommu_enum {
	const char *const *names;
	const int *vals;
	unsigned int n;
};

/* One key of a config string: its type, default, and struct field. */
struct viommu_key {
	const char *name;
	enum viommu_key_type type;
	const char *def;
	size_t offset;
	const struct viommu_enum *e;
};

#define VIOMMU_KEY(_name, _type, _def, _field, _e) \
	{ .name = _name, .type = _type, .def = _def, \
	  .offset = offsetof(struct viommu_config, _field), .e = _e }
#define VIOMMU_BOOL(n, d, f)	VIOMMU_KEY(n, VIOMMU_KEY_BOOL, d, f, NULL)
#define VIOMMU_UINT8(n, d, f)	VIOMMU_KEY(n, VIOMMU_KEY_UINT8, d, f, NULL)
#define VIOMMU_UINT32(n, d, f)	VIOMMU_KEY(n, VIOMMU_KEY_UINT32, d, f, NULL)
#define VIOMMU_ENUM(n, d, f, e)	VIOMMU_KEY(n, VIOMMU_KEY_ENUM, d, f, e)
#define VIOMMU_STR(n, d, f)	VIOMMU_KEY(n, VIOMMU_KEY_STR, d, f, NULL)

/* QEMU's OnOffAuto, shared by several kinds */
extern const struct viommu_enum viommu_on_off_auto;

/* A key QEMU renamed: the old name gets a hint to the new one. */
struct viommu_rename {
	const char *old;
	const char *new;
};

/* A kind's key and rename tables, each with its length. */
#define VIOMMU_KEYS(k)		.keys = (k), .nr_keys = ARRAY_SIZE(k)
#define VIOMMU_RENAMED(r)	.renamed = (r), .nr_renamed = ARRAY_SIZE(r)

/* Any hook may be NULL: no check, the bare name, no flags, safe, accept. */
struct viommu_kind_ops {
	const char *name;
	/* QEMU's -device name; NULL: a kind QEMU does not have */
	const char *qemu_name;
	/* where QEMU realizes it: qemu-system-ARCH -M MACHINE; NULL: nowhere */
	const char *qemu_arch;
	const char *qemu_machine;
	/* what QEMU's -device needs besides the config's keys, or NULL */
	const char *qemu_props;
	/* in QEMU's order, the canonical string's and the hint's order */
	const struct viommu_key *keys;
	unsigned int nr_keys;	/* VIOMMU_KEYS() sets both */
	const struct viommu_rename *renamed;
	unsigned int nr_renamed;	/* VIOMMU_RENAMED() sets both */
	/* realize-time rules, in QEMU's order, with QEMU's messages */
	int (*check)(const struct viommu_config *cfg, char *err, size_t len);
	/* the canonical string, kind first; NULL: every key, in order */
	int (*format)(const struct viommu_config *cfg, char *buf, size_t len);
	/* get_viommu_flags(), from the config alone */
	uint64_t (*flags)(const struct viommu_config *cfg);
	/* NULL if the config migrates, else why it cannot */
	const char *(*migration_unsafe)(const struct viommu_config *cfg);
	/* NULL if VFIO's memory listener can serve the device's address
	 * space, else why not, in QEMU's words
	 */
	const char *(*listener_refuses)(const struct viommu_config *cfg);
	/* true when each device has an address space of its own, so that
	 * no device meets another's container; NULL: all share one
	 */
	bool (*own_address_space)(const struct viommu_config *cfg);
	/* what it builds when its flags want a nesting parent */
	enum viommu_stage1 stage1;
	/* set_iommu_device(): 0, or -EINVAL with @why */
	int (*check_hiod)(const struct viommu_config *cfg,
			  const struct viommu_hiod *hiod, char *why,
			  size_t len);
};

/* The registry: indexed by enum viommu_kind. */
extern const struct viommu_kind_ops *const viommu_kinds[];
extern const unsigned int viommu_nr_kinds;

extern const struct viommu_kind_ops viommu_kind_none;
extern const struct viommu_kind_ops viommu_kind_virtio;
extern const struct viommu_kind_ops viommu_kind_intel;
extern const struct viommu_kind_ops viommu_kind_smmuv3;
extern const struct viommu_kind_ops viommu_kind_selftest;
extern const struct viommu_kind_ops viommu_kind_amd;

/* What the model lends a kind (viommu_model.c). */
/* -EINVAL, and the message in @err unless it is NULL */
#define viommu_fail(err, len, ...) nest_fail(err, len, -EINVAL, __VA_ARGS__)
const char *viommu_on_off(bool b);
/* set_iommu_device(): the guest's @aw_bits fit in the host's */
int viommu_check_aw_bits(unsigned int aw_bits, const struct viommu_hiod *h,
			 char *why, size_t len);

#endif
