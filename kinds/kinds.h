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
 * One key of a config string.  @set parses @val into the field at
 * @offset of struct viommu_config, or fails naming @key and what it
 * allows; the model also runs it on @def to apply the default.
 */
struct viommu_key {
	const char *name;
	const char *def;
	size_t offset;
	int (*set)(void *field, const char *key, const char *val, char *err,
		   size_t len);
};

#define VIOMMU_KEY(_name, _def, _field, _set) \
	{ .name = _name, .def = _def, \
	  .offset = offsetof(struct viommu_config, _field), .set = _set }

/* Any hook may be NULL: no check, the bare name, no flags, safe, accept. */
struct viommu_kind_ops {
	const char *name;
	/* at most 32, in the order an unknown key's message lists them */
	const struct viommu_key *keys;
	unsigned int nr_keys;
	/* relations between keys; bit i of @given: keys[i] was given */
	int (*check)(const struct viommu_config *cfg, unsigned int given,
		     char *err, size_t len);
	/* the canonical string, kind first */
	int (*format)(const struct viommu_config *cfg, char *buf, size_t len);
	/* get_viommu_flags(), from the config alone */
	uint64_t (*flags)(const struct viommu_config *cfg);
	/* NULL if the config migrates, else why it cannot */
	const char *(*migration_unsafe)(const struct viommu_config *cfg);
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

/* What the model lends a kind (viommu_model.c). */
/* -EINVAL, and the message in @err unless it is NULL */
#define viommu_fail(err, len, ...) nest_fail(err, len, -EINVAL, __VA_ARGS__)
/* "KEY: bad value 'VAL': expected ALLOWED" */
int viommu_bad_value(const char *key, const char *val, const char *allowed,
		     char *err, size_t len);
/* A decimal number up to @max, else viommu_bad_value(). */
int viommu_parse_uint(const char *key, const char *val, unsigned long max,
		      const char *allowed, unsigned long *out, char *err,
		      size_t len);
/* A bool key's @set: on|off, yes|no, true|false or y|n. */
int viommu_set_bool(void *field, const char *key, const char *val, char *err,
		    size_t len);
const char *viommu_on_off(bool b);
/* set_iommu_device(): the guest's @aw_bits fit in the host's */
int viommu_check_aw_bits(unsigned int aw_bits, const struct viommu_hiod *h,
			 char *why, size_t len);

#endif
