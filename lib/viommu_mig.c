// SPDX-License-Identifier: GPL-2.0
/*
 * Saving and loading the vIOMMU migration stream; the format is in
 * viommu_migration.h.  The loader trusts no byte: every read is checked
 * against the bytes that remain.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "viommu_mig.h"
#include "nest_util.h"

#define REC_HDR_LEN	4
#define DEV_FIXED_LEN	8

uint32_t viommu_mig_crc32(const uint8_t *buf, size_t len)
{
	uint32_t crc = 0xffffffff;
	size_t i;
	int bit;

	for (i = 0; i < len; i++) {
		crc ^= buf[i];
		for (bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
	}
	return ~crc;
}

const char *viommu_mig_layout_name(enum viommu_mig_layout layout)
{
	switch (layout) {
	case VIOMMU_MIG_LAYOUT_NONE:
		return "none";
	case VIOMMU_MIG_LAYOUT_PLAIN:
		return "plain";
	case VIOMMU_MIG_LAYOUT_PARENT:
		return "nest-parent";
	}
	return "?";
}

static bool id_valid(const char *id, size_t n)
{
	size_t i;

	if (!n || n > VIOMMU_MIG_ID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (id[i] < 0x21 || id[i] > 0x7e)
			return false;
	return true;
}

/* One device's fields must describe a state the engine can be in. */
static int check_dev(const struct viommu_mig_dev *d, unsigned int i,
		     char *err, size_t len)
{
	bool parent = d->hwpt_flags & VIOMMU_MIG_HWPT_NEST_PARENT;

	if (d->hwpt_flags & ~VIOMMU_MIG_HWPT_KNOWN)
		return nest_fail(err, len, -EINVAL,
				 "device %u: unknown HWPT flag bits 0x%x (known 0x%x)",
				 i, d->hwpt_flags & ~VIOMMU_MIG_HWPT_KNOWN,
				 VIOMMU_MIG_HWPT_KNOWN);
	switch (d->layout) {
	case VIOMMU_MIG_LAYOUT_NONE:
		if (d->hwpt_flags || d->hiod_set || d->nested)
			return nest_fail(err, len, -EINVAL,
					 "device %u: layout none with HWPT flags 0x%x, hiod %d, nested %d",
					 i, d->hwpt_flags, d->hiod_set, d->nested);
		return 0;
	case VIOMMU_MIG_LAYOUT_PLAIN:
	case VIOMMU_MIG_LAYOUT_PARENT:
		if (parent != (d->layout == VIOMMU_MIG_LAYOUT_PARENT))
			return nest_fail(err, len, -EINVAL,
					 "device %u: layout %s disagrees with HWPT flags 0x%x",
					 i, viommu_mig_layout_name(d->layout),
					 d->hwpt_flags);
		if (d->nested && (!parent || !d->hiod_set))
			return nest_fail(err, len, -EINVAL,
					 "device %u: a nested HWPT needs a nesting parent and a hiod",
					 i);
		return 0;
	}
	return nest_fail(err, len, -EINVAL, "device %u: unknown layout %u", i,
			 (unsigned int)d->layout);
}

/* Append one record, or fail when @buf has no room. */
static int put_record(uint8_t *buf, size_t len, size_t *off, uint16_t tag,
		      const void *val, size_t n)
{
	if (n > 0xffff || *off + REC_HDR_LEN + n > len)
		return -ENOSPC;
	nest_put_le(buf + *off, 2, tag);
	nest_put_le(buf + *off + 2, 2, n);
	memcpy(buf + *off + REC_HDR_LEN, val, n);
	*off += REC_HDR_LEN + n;
	return 0;
}

static size_t encode_dev(const struct viommu_mig_dev *d, uint8_t *out)
{
	size_t n = strlen(d->id);

	nest_put_le(out, 4, d->hwpt_flags);
	out[4] = d->layout;
	out[5] = (d->hiod_set ? VIOMMU_MIG_STATE_HIOD : 0) |
		 (d->nested ? VIOMMU_MIG_STATE_NESTED : 0) |
		 (d->behind_bridge ? VIOMMU_MIG_STATE_BRIDGE : 0);
	out[6] = 0;
	out[7] = n;
	memcpy(out + DEV_FIXED_LEN, d->id, n);
	return DEV_FIXED_LEN + n;
}

int viommu_mig_save(const struct viommu_mig_state *s, uint8_t *buf,
		    size_t len, char *err, size_t err_len)
{
	uint8_t val[DEV_FIXED_LEN + VIOMMU_MIG_CONFIG_MAX + 1];
	char config[VIOMMU_MIG_CONFIG_MAX + 1];
	size_t off = VIOMMU_MIG_HDR_LEN;
	const char *why;
	unsigned int i;
	int n, rc;

	if (!viommu_config_migration_safe(&s->cfg, &why))
		return nest_fail(err, err_len, -EINVAL,
				 "config is not migration-safe: %s", why);
	if (s->flags & ~VIOMMU_FLAGS_KNOWN)
		return nest_fail(err, err_len, -EINVAL,
				 "unknown flag bits 0x%llx",
				 (unsigned long long)(s->flags & ~VIOMMU_FLAGS_KNOWN));
	if (s->nr_devs > VIOMMU_MAX_DEVICES)
		return nest_fail(err, err_len, -EINVAL, "%u devices, at most %d",
				 s->nr_devs, VIOMMU_MAX_DEVICES);
	n = viommu_config_format(&s->cfg, config, sizeof(config));
	if (n <= 0 || n > VIOMMU_MIG_CONFIG_MAX)
		return nest_fail(err, err_len, -EINVAL, "config string too long");

	rc = put_record(buf, len, &off, VIOMMU_MIG_TAG_CONFIG, config, n);
	nest_put_le(val, 8, s->flags);
	rc = rc ?: put_record(buf, len, &off, VIOMMU_MIG_TAG_FLAGS, val, 8);
	for (i = 0; !rc && i < s->nr_devs; i++) {
		const struct viommu_mig_dev *d = &s->devs[i];

		if (!id_valid(d->id, strnlen(d->id, sizeof(d->id))))
			return nest_fail(err, err_len, -EINVAL,
					 "device %u: identity must be 1..%d printable characters",
					 i, VIOMMU_MIG_ID_MAX);
		rc = check_dev(d, i, err, err_len);
		if (rc)
			return rc;
		rc = put_record(buf, len, &off, VIOMMU_MIG_TAG_DEVICE, val,
				encode_dev(d, val));
	}
	if (rc || off + VIOMMU_MIG_CRC_LEN > len)
		return nest_fail(err, err_len, -ENOSPC,
				 "stream does not fit in %zu bytes", len);

	memcpy(buf, VIOMMU_MIG_MAGIC, 4);
	nest_put_le(buf + 4, 2, VIOMMU_MIG_VERSION);
	nest_put_le(buf + 6, 2, VIOMMU_MIG_HDR_LEN);
	nest_put_le(buf + 8, 4, off - VIOMMU_MIG_HDR_LEN);
	nest_put_le(buf + 12, 4, 2 + s->nr_devs);
	nest_put_le(buf + off, 4, viommu_mig_crc32(buf, off));
	return off + VIOMMU_MIG_CRC_LEN;
}

static int load_config(const uint8_t *p, size_t n, unsigned int rec,
		       struct viommu_mig_state *s, char *err, size_t len)
{
	char str[VIOMMU_MIG_CONFIG_MAX + 1], why[VIOMMU_ERR_LEN];
	const char *unsafe;

	if (!n || n > VIOMMU_MIG_CONFIG_MAX || memchr(p, 0, n))
		return nest_fail(err, len, -EINVAL,
				 "record %u: CONFIG of %zu bytes, expected 1..%d without NUL",
				 rec, n, VIOMMU_MIG_CONFIG_MAX);
	memcpy(str, p, n);
	str[n] = 0;
	if (viommu_config_parse(str, &s->cfg, why, sizeof(why)))
		return nest_fail(err, len, -EINVAL, "record %u: config '%.40s': %s",
				 rec, str, why);
	if (!viommu_config_migration_safe(&s->cfg, &unsafe))
		return nest_fail(err, len, -EINVAL,
				 "record %u: config '%.40s' is not migration-safe: %s",
				 rec, str, unsafe);
	return 0;
}

static int load_flags(const uint8_t *p, size_t n, unsigned int rec,
		      struct viommu_mig_state *s, char *err, size_t len)
{
	if (n != 8)
		return nest_fail(err, len, -EINVAL,
				 "record %u: FLAGS of %zu bytes, expected 8", rec, n);
	s->flags = nest_get_le64(p);
	if (s->flags & ~VIOMMU_FLAGS_KNOWN)
		return nest_fail(err, len, -EINVAL,
				 "record %u: unknown flag bits 0x%llx (known 0x%llx)",
				 rec,
				 (unsigned long long)(s->flags & ~VIOMMU_FLAGS_KNOWN),
				 (unsigned long long)VIOMMU_FLAGS_KNOWN);
	return 0;
}

static int load_dev(const uint8_t *p, size_t n, unsigned int rec,
		    struct viommu_mig_state *s, char *err, size_t len)
{
	struct viommu_mig_dev *d;
	unsigned int i = s->nr_devs;

	if (i >= VIOMMU_MAX_DEVICES)
		return nest_fail(err, len, -EINVAL,
				 "record %u: more than %d devices", rec,
				 VIOMMU_MAX_DEVICES);
	if (n < DEV_FIXED_LEN || n != DEV_FIXED_LEN + (size_t)p[7])
		return nest_fail(err, len, -EINVAL,
				 "record %u: DEVICE of %zu bytes, its identity length says %u",
				 rec, n, n < DEV_FIXED_LEN ? 0 : DEV_FIXED_LEN + p[7]);
	if (p[5] & ~VIOMMU_MIG_STATE_KNOWN || p[6])
		return nest_fail(err, len, -EINVAL,
				 "record %u: unknown state bits 0x%x or reserved byte 0x%x",
				 rec, p[5] & ~VIOMMU_MIG_STATE_KNOWN, p[6]);
	if (!id_valid((const char *)p + DEV_FIXED_LEN, p[7]))
		return nest_fail(err, len, -EINVAL,
				 "record %u: identity must be 1..%d printable characters",
				 rec, VIOMMU_MIG_ID_MAX);
	d = &s->devs[i];
	memset(d, 0, sizeof(*d));
	d->hwpt_flags = nest_get_le32(p);
	d->layout = p[4];
	d->hiod_set = p[5] & VIOMMU_MIG_STATE_HIOD;
	d->nested = p[5] & VIOMMU_MIG_STATE_NESTED;
	d->behind_bridge = p[5] & VIOMMU_MIG_STATE_BRIDGE;
	memcpy(d->id, p + DEV_FIXED_LEN, p[7]);
	s->nr_devs++;
	return check_dev(d, i, err, len);
}

static int load_header(const uint8_t *buf, size_t len, uint32_t *body,
		       char *err, size_t err_len)
{
	const size_t min = VIOMMU_MIG_HDR_LEN + VIOMMU_MIG_CRC_LEN;
	uint32_t crc, want;

	if (len < min)
		return nest_fail(err, err_len, -EINVAL,
				 "truncated: %zu bytes, a stream has at least %zu",
				 len, min);
	if (memcmp(buf, VIOMMU_MIG_MAGIC, 4))
		return nest_fail(err, err_len, -EINVAL,
				 "not a migration stream: magic %02x%02x%02x%02x, expected \"%s\"",
				 buf[0], buf[1], buf[2], buf[3], VIOMMU_MIG_MAGIC);
	if (nest_get_le16(buf + 4) == 1)
		return nest_fail(err, err_len, -EINVAL,
				 "stream version 1 predates the QEMU %s model (x- config names, flag bits 0-1, no guest bridge placement): save it again with this build, which reads version %d",
				 VIOMMU_QEMU_RELEASE, VIOMMU_MIG_VERSION);
	if (nest_get_le16(buf + 4) != VIOMMU_MIG_VERSION)
		return nest_fail(err, err_len, -EINVAL,
				 "stream version %u, this build reads version %d",
				 nest_get_le16(buf + 4), VIOMMU_MIG_VERSION);
	if (nest_get_le16(buf + 6) != VIOMMU_MIG_HDR_LEN)
		return nest_fail(err, err_len, -EINVAL,
				 "header size %u, expected %d", nest_get_le16(buf + 6),
				 VIOMMU_MIG_HDR_LEN);
	*body = nest_get_le32(buf + 8);
	if (*body > len - min)
		return nest_fail(err, err_len, -EINVAL,
				 "truncated: the header announces %u bytes of records, %zu are present",
				 *body, len - min);
	if (*body < len - min)
		return nest_fail(err, err_len, -EINVAL,
				 "%zu trailing bytes after the checksum",
				 len - min - *body);
	want = nest_get_le32(buf + VIOMMU_MIG_HDR_LEN + *body);
	crc = viommu_mig_crc32(buf, VIOMMU_MIG_HDR_LEN + *body);
	if (crc != want)
		return nest_fail(err, err_len, -EINVAL,
				 "checksum mismatch: the stream says 0x%08x, its bytes give 0x%08x",
				 want, crc);
	return 0;
}

/* Each tag's loader; CONFIG and FLAGS come once per stream. */
static const struct {
	const char *name;
	bool once;
	int (*load)(const uint8_t *p, size_t n, unsigned int rec,
		    struct viommu_mig_state *s, char *err, size_t len);
} mig_records[] = {
	[VIOMMU_MIG_TAG_CONFIG] = { "CONFIG", true, load_config },
	[VIOMMU_MIG_TAG_FLAGS] = { "FLAGS", true, load_flags },
	[VIOMMU_MIG_TAG_DEVICE] = { "DEVICE", false, load_dev },
};

#define MIG_SEEN(tag)	(1u << (tag))

int viommu_mig_load(const uint8_t *buf, size_t len,
		    struct viommu_mig_state *s, char *err, size_t err_len)
{
	uint32_t body = 0, count, rec, seen = 0;
	const uint8_t *p, *end;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = load_header(buf, len, &body, err, err_len);
	if (rc)
		return rc;
	count = nest_get_le32(buf + 12);
	p = buf + VIOMMU_MIG_HDR_LEN;
	end = p + body;
	for (rec = 0; rec < count; rec++) {
		uint16_t tag, n;

		if (end - p < REC_HDR_LEN)
			return nest_fail(err, err_len, -EINVAL,
					 "record %u of %u: header runs past the records' end",
					 rec, count);
		tag = nest_get_le16(p);
		n = nest_get_le16(p + 2);
		p += REC_HDR_LEN;
		if (end - p < n)
			return nest_fail(err, err_len, -EINVAL,
					 "record %u: %u bytes announced, %td left",
					 rec, n, end - p);
		if (tag >= ARRAY_SIZE(mig_records) || !mig_records[tag].load)
			return nest_fail(err, err_len, -EINVAL,
					 "record %u: unknown tag %u", rec, tag);
		if (mig_records[tag].once && (seen & MIG_SEEN(tag)))
			return nest_fail(err, err_len, -EINVAL,
					 "record %u: a second %s", rec,
					 mig_records[tag].name);
		seen |= MIG_SEEN(tag);
		rc = mig_records[tag].load(p, n, rec, s, err, err_len);
		if (rc)
			return rc;
		p += n;
	}
	if (p != end)
		return nest_fail(err, err_len, -EINVAL,
				 "%td bytes after the last of %u records", end - p,
				 count);
	if (!(seen & MIG_SEEN(VIOMMU_MIG_TAG_CONFIG)))
		return nest_fail(err, err_len, -EINVAL, "no CONFIG record");
	if (!(seen & MIG_SEEN(VIOMMU_MIG_TAG_FLAGS)))
		return nest_fail(err, err_len, -EINVAL, "no FLAGS record");
	return 0;
}
