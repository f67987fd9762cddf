// SPDX-License-Identifier: GPL-2.0
/*
 * The vIOMMU model: config parsing, flags, host quirks and the
 * set_iommu_device() compatibility checks.  See viommu_model.h.  What
 * differs between vIOMMU kinds is asked of the kind (kinds/kinds.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viommu_model.h"
#include "kinds/kinds.h"

#define KEY_MAX 32

/* Outside the registry: named "?", no keys or flags, any host. */
static const struct viommu_kind_ops unknown_kind = { .name = "?" };

static const struct viommu_kind_ops *kind_ops(enum viommu_kind kind)
{
	if ((unsigned int)kind >= viommu_nr_kinds)
		return &unknown_kind;
	return viommu_kinds[kind];
}

const char *viommu_kind_name(enum viommu_kind kind)
{
	return kind_ops(kind)->name;
}

int viommu_kind_qemu(enum viommu_kind kind, struct viommu_qemu_place *p)
{
	const struct viommu_kind_ops *ops;

	if ((unsigned int)kind >= viommu_nr_kinds)
		return -ENOENT;
	ops = viommu_kinds[kind];
	p->device = ops->qemu_name;
	p->arch = ops->qemu_arch;
	p->machine = ops->qemu_machine;
	p->props = ops->qemu_props;
	return ops->qemu_machine ? 0 : -ENODEV;
}

static const char *const on_off_auto_names[] = { "auto", "on", "off" };
static const int on_off_auto_vals[] = { VIOMMU_AUTO, VIOMMU_ON, VIOMMU_OFF };

const struct viommu_enum viommu_on_off_auto = {
	on_off_auto_names, on_off_auto_vals, ARRAY_SIZE(on_off_auto_vals)
};

static int parse_bool(const char *key, const char *val, bool *out, char *err,
		      size_t len)
{
	static const char *const yes[] = { "on", "yes", "true", "y" };
	static const char *const no[] = { "off", "no", "false", "n" };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(val, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(val, no[i])) {
			*out = false;
			return 0;
		}
	}
	return viommu_fail(err, len, "Parameter '%s' expects 'on' or 'off'",
			   key);
}

/* QEMU's number syntax: C's, whole string; a range error names the type */
static int parse_uint(const char *key, const char *val, unsigned long long max,
		      const char *type, unsigned int *out, char *err,
		      size_t len)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(val, &end, 0);
	if (!*val || *end || (errno && errno != ERANGE))
		return viommu_fail(err, len, "Parameter '%s' expects integer",
				   key);
	if (errno || n > max)
		return viommu_fail(err, len, "Parameter '%s' expects %s", key,
				   type);
	*out = n;
	return 0;
}

static int parse_enum(const struct viommu_key *k, const char *val, int *out,
		      char *err, size_t len)
{
	unsigned int i;

	for (i = 0; i < k->e->n; i++) {
		if (!strcmp(val, k->e->names[i])) {
			*out = k->e->vals[i];
			return 0;
		}
	}
	return viommu_fail(err, len,
			   "Parameter '%s' does not accept value '%s'",
			   k->name, val);
}

/* Set the field of @k in @cfg from @val. */
static int key_set(const struct viommu_key *k, struct viommu_config *cfg,
		   const char *val, char *err, size_t len)
{
	void *field = (char *)cfg + k->offset;

	switch (k->type) {
	case VIOMMU_KEY_BOOL:
		return parse_bool(k->name, val, field, err, len);
	case VIOMMU_KEY_UINT8:
		return parse_uint(k->name, val, 0xff, "uint8_t", field, err,
				  len);
	case VIOMMU_KEY_UINT32:
		return parse_uint(k->name, val, 0xffffffffULL, "uint32_t",
				  field, err, len);
	case VIOMMU_KEY_ENUM:
		return parse_enum(k, val, field, err, len);
	case VIOMMU_KEY_STR:
		if (strlen(val) >= VIOMMU_STR_MAX)
			return viommu_fail(err, len,
					   "Parameter '%s': value longer than %d",
					   k->name, VIOMMU_STR_MAX - 1);
		/*
		 * the whole field: a repeated key's shorter value must not
		 * leave the longer one's tail behind the NUL
		 */
		memset(field, 0, VIOMMU_STR_MAX);
		memcpy(field, val, strlen(val));
		return 0;
	}
	return -EINVAL;
}

/* Print the value of @k in @cfg, as key_set() reads it back. */
static int key_format(const struct viommu_key *k,
		      const struct viommu_config *cfg, char *buf, size_t len)
{
	const void *field = (const char *)cfg + k->offset;
	unsigned int i;

	switch (k->type) {
	case VIOMMU_KEY_BOOL:
		return snprintf(buf, len, "%s", viommu_on_off(*(bool *)field));
	case VIOMMU_KEY_UINT8:
	case VIOMMU_KEY_UINT32:
		return snprintf(buf, len, "%u", *(unsigned int *)field);
	case VIOMMU_KEY_ENUM:
		for (i = 0; i < k->e->n; i++)
			if (k->e->vals[i] == *(int *)field)
				return snprintf(buf, len, "%s", k->e->names[i]);
		return snprintf(buf, len, "?");
	case VIOMMU_KEY_STR:
		return snprintf(buf, len, "%s", (const char *)field);
	}
	return snprintf(buf, len, "?");
}

const char *viommu_on_off(bool b)
{
	return b ? "on" : "off";
}

int viommu_check_aw_bits(unsigned int aw_bits, const struct viommu_hiod *h,
			 char *why, size_t len)
{
	if (aw_bits > h->host_aw_bits)
		return viommu_fail(why, len, "aw-bits %u > host aw-bits %u",
				   aw_bits, h->host_aw_bits);
	return 0;
}

static int config_defaults(struct viommu_config *cfg, enum viommu_kind kind,
			   char *err, size_t len)
{
	const struct viommu_kind_ops *ops = kind_ops(kind);
	const struct viommu_key *k;
	unsigned int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->kind = kind;
	for (i = 0; i < ops->nr_keys; i++) {
		k = &ops->keys[i];
		if (key_set(k, cfg, k->def, NULL, 0))
			return viommu_fail(err, len, "%s: bad default %s=%s",
					   ops->name, k->name, k->def);
	}
	return 0;
}

/* QEMU's device name, or ours for a kind QEMU does not have */
static const char *qemu_name(const struct viommu_kind_ops *ops)
{
	return ops->qemu_name ? ops->qemu_name : ops->name;
}

/* QEMU's message for an unknown key, and a hint: the new name, or all */
static int unknown_key(const struct viommu_kind_ops *ops, const char *key,
		       char *err, size_t len)
{
	char list[VIOMMU_ERR_LEN] = "";
	unsigned int i;

	for (i = 0; i < ops->nr_renamed; i++)
		if (!strcmp(key, ops->renamed[i].old))
			return viommu_fail(err, len,
					   "Property '%s.%s' not found (QEMU %s renamed it '%s')",
					   qemu_name(ops), key,
					   VIOMMU_QEMU_RELEASE,
					   ops->renamed[i].new);
	if (!ops->nr_keys)
		return viommu_fail(err, len,
				   "Property '%s.%s' not found (%s takes no keys)",
				   qemu_name(ops), key, ops->name);
	for (i = 0; i < ops->nr_keys; i++)
		nest_list_add(list, sizeof(list), i, ops->nr_keys,
			      ops->keys[i].name);
	return viommu_fail(err, len, "Property '%s.%s' not found (expected %s)",
			   qemu_name(ops), key, list);
}

/* Set one key; as in QEMU, a key given twice takes its last value. */
static int parse_key(struct viommu_config *cfg, const char *key,
		     const char *val, char *err, size_t len)
{
	const struct viommu_kind_ops *ops = kind_ops(cfg->kind);
	unsigned int i;

	for (i = 0; i < ops->nr_keys; i++)
		if (!strcmp(key, ops->keys[i].name))
			return key_set(&ops->keys[i], cfg, val, err, len);
	return unknown_key(ops, key, err, len);
}

/* Every kind, in the registry's order, as "a, b or c". */
static const char *kind_list(char *buf, size_t size)
{
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < viommu_nr_kinds; i++)
		nest_list_add(buf, size, i, viommu_nr_kinds, viommu_kinds[i]->name);
	return buf;
}

static int config_kind(const char *name, size_t n, enum viommu_kind *kind)
{
	unsigned int i;

	const char *q;

	for (i = 0; i < viommu_nr_kinds; i++) {
		q = viommu_kinds[i]->qemu_name;
		if ((strlen(viommu_kinds[i]->name) == n &&
		     !strncmp(name, viommu_kinds[i]->name, n)) ||
		    (q && strlen(q) == n && !strncmp(name, q, n))) {
			*kind = i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Split one "key=value" at @p, ending at @end, into @key and @val.  A
 * bare "key" is QEMU's (deprecated) short form of key=on.
 */
static int split_option(const char *p, const char *end, char *key,
			char *val, char *err, size_t len)
{
	int n = end - p > KEY_MAX ? KEY_MAX : end - p;
	const char *eq = memchr(p, '=', end - p);

	if (!eq && p != end && end - p <= KEY_MAX) {
		snprintf(key, KEY_MAX + 1, "%.*s", (int)(end - p), p);
		snprintf(val, KEY_MAX + 1, "on");
		return 0;
	}
	if (!eq)
		return viommu_fail(err, len,
				   "bad option '%.*s': expected key=value", n, p);
	if (eq == p || eq - p > KEY_MAX || end - eq - 1 > KEY_MAX)
		return viommu_fail(err, len,
				   "bad option '%.*s': key empty, or key or value longer than %d",
				   n, p, KEY_MAX);
	snprintf(key, KEY_MAX + 1, "%.*s", (int)(eq - p), p);
	snprintf(val, KEY_MAX + 1, "%.*s", (int)(end - eq - 1), eq + 1);
	return 0;
}

int viommu_config_parse(const char *str, struct viommu_config *cfg,
			char *err, size_t err_len)
{
	char key[KEY_MAX + 1], val[KEY_MAX + 1], kinds[VIOMMU_ERR_LEN];
	const struct viommu_kind_ops *ops;
	enum viommu_kind kind;
	const char *p, *end;
	size_t n;

	if (!str || !*str)
		return viommu_fail(err, err_len,
				   "empty vIOMMU config: expected %s",
				   kind_list(kinds, sizeof(kinds)));
	n = strcspn(str, ",");
	if (config_kind(str, n, &kind))
		return viommu_fail(err, err_len,
				   "unknown vIOMMU kind '%.*s': expected %s",
				   (int)(n > KEY_MAX ? KEY_MAX : n), str,
				   kind_list(kinds, sizeof(kinds)));
	if (config_defaults(cfg, kind, err, err_len))
		return -EINVAL;
	for (p = str + n; *p; p = end) {
		p++;
		end = p + strcspn(p, ",");
		if (split_option(p, end, key, val, err, err_len))
			return -EINVAL;
		if (parse_key(cfg, key, val, err, err_len))
			return -EINVAL;
	}
	ops = kind_ops(kind);
	return ops->check ? ops->check(cfg, err, err_len) : 0;
}

/* The canonical string: the kind, then each key not at its default. */
int viommu_config_format(const struct viommu_config *cfg, char *buf,
			 size_t len)
{
	const struct viommu_kind_ops *ops = kind_ops(cfg->kind);
	char val[VIOMMU_STR_MAX + 8], def[VIOMMU_STR_MAX + 8];
	struct viommu_config dflt;
	size_t used;
	unsigned int i;
	int n;

	if (ops->format)
		return ops->format(cfg, buf, len);
	config_defaults(&dflt, cfg->kind, NULL, 0);
	n = snprintf(buf, len, "%s", ops->name);
	for (i = 0; i < ops->nr_keys && n >= 0; i++) {
		key_format(&ops->keys[i], cfg, val, sizeof(val));
		key_format(&ops->keys[i], &dflt, def, sizeof(def));
		if (!strcmp(val, def))
			continue;
		used = (size_t)n < len ? (size_t)n : len;
		n += snprintf(buf + used, len - used, ",%s=%s",
			      ops->keys[i].name, val);
	}
	return n;
}

uint64_t viommu_config_flags(const struct viommu_config *cfg)
{
	const struct viommu_kind_ops *ops = kind_ops(cfg->kind);

	return ops->flags ? ops->flags(cfg) : 0;
}

bool viommu_config_migration_safe(const struct viommu_config *cfg,
				  const char **why)
{
	const struct viommu_kind_ops *ops = kind_ops(cfg->kind);
	const char *unsafe = NULL;

	if (ops->migration_unsafe)
		unsafe = ops->migration_unsafe(cfg);
	if (why)
		*why = unsafe;
	return !unsafe;
}

const char *viommu_config_listener_refuses(const struct viommu_config *cfg)
{
	const struct viommu_kind_ops *ops = kind_ops(cfg->kind);

	return ops->listener_refuses ? ops->listener_refuses(cfg) : NULL;
}

bool viommu_config_own_address_space(const struct viommu_config *cfg)
{
	const struct viommu_kind_ops *ops = kind_ops(cfg->kind);

	return ops->own_address_space && ops->own_address_space(cfg);
}

enum viommu_stage1 viommu_config_stage1(const struct viommu_config *cfg)
{
	if (!(viommu_config_flags(cfg) & VIOMMU_FLAG_WANT_NESTING_PARENT))
		return VIOMMU_STAGE1_NONE;
	return kind_ops(cfg->kind)->stage1;
}

void viommu_init(struct viommu *v, const struct viommu_config *cfg)
{
	memset(v, 0, sizeof(*v));
	v->cfg = *cfg;
}

static void record(struct viommu *v, enum viommu_event event,
		   uint32_t dev_id, uint64_t answer)
{
	struct viommu_record *r;

	if (v->nr_records >= VIOMMU_LOG_MAX)
		return;
	r = &v->log[v->nr_records++];
	r->event = event;
	r->host_info_known = v->host_info_known;
	r->dev_id = dev_id;
	r->answer = answer;
}

uint64_t viommu_get_flags(struct viommu *v)
{
	uint64_t flags = viommu_config_flags(&v->cfg);

	record(v, VIOMMU_EV_GET_FLAGS, 0, flags);
	return flags;
}

uint64_t viommu_get_host_quirks(struct viommu *v, uint32_t type,
				const void *data, size_t len)
{
	uint64_t quirks = 0;

	v->host_info_known = true;
	if (type == VIOMMU_HW_INFO_TYPE_INTEL_VTD && data && len >= 4 &&
	    nest_get_le32(data) & VTD_INFO_ERRATA_772415_SPR17)
		quirks |= HOST_IOMMU_QUIRK_NESTING_PARENT_BYPASS_RO;
	record(v, VIOMMU_EV_GET_HOST_QUIRKS, 0, quirks);
	return quirks;
}

unsigned int viommu_aw_bits_from_last(uint64_t last)
{
	unsigned int bits = 0;

	while (last) {
		bits++;
		last >>= 1;
	}
	return bits;
}

int viommu_check_hiod(const struct viommu_config *cfg,
		      const struct viommu_hiod *h, char *why, size_t why_len)
{
	const struct viommu_kind_ops *ops = kind_ops(cfg->kind);

	return ops->check_hiod ? ops->check_hiod(cfg, h, why, why_len) : 0;
}

int viommu_set_iommu_device(struct viommu *v, const struct viommu_hiod *hiod,
			    char *why, size_t why_len)
{
	int rc;

	v->host_info_known = true;
	rc = viommu_check_hiod(&v->cfg, hiod, why, why_len);
	if (!rc && viommu_find_hiod(v, hiod->dev_id))
		rc = viommu_fail(why, why_len,
				 "device %u already has a host IOMMU device",
				 hiod->dev_id);
	if (!rc && v->nr_hiods >= VIOMMU_MAX_DEVICES)
		rc = viommu_fail(why, why_len, "more than %d devices",
				 VIOMMU_MAX_DEVICES);
	if (!rc)
		v->hiods[v->nr_hiods++] = *hiod;
	record(v, VIOMMU_EV_SET_IOMMU_DEVICE, hiod->dev_id, rc == 0);
	return rc ? -1 : 0;
}

void viommu_unset_iommu_device(struct viommu *v, uint32_t dev_id)
{
	unsigned int i;

	for (i = 0; i < v->nr_hiods; i++) {
		if (v->hiods[i].dev_id != dev_id)
			continue;
		v->hiods[i] = v->hiods[--v->nr_hiods];
		break;
	}
	record(v, VIOMMU_EV_UNSET_IOMMU_DEVICE, dev_id, 0);
}

const struct viommu_hiod *viommu_find_hiod(const struct viommu *v,
					   uint32_t dev_id)
{
	unsigned int i;

	for (i = 0; i < v->nr_hiods; i++)
		if (v->hiods[i].dev_id == dev_id)
			return &v->hiods[i];
	return NULL;
}
