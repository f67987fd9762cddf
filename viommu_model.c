// SPDX-License-Identifier: GPL-2.0
/*
 * The vIOMMU model: config parsing, flags, host quirks and the
 * set_iommu_device() compatibility checks.  See viommu_model.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viommu_model.h"

#define KEY_MAX 32

static const char *const kind_names[] = {
	[VIOMMU_KIND_NONE] = "none",
	[VIOMMU_KIND_VIRTIO] = "virtio-iommu",
	[VIOMMU_KIND_INTEL] = "intel-iommu",
	[VIOMMU_KIND_SMMUV3] = "arm-smmuv3",
	[VIOMMU_KIND_SELFTEST] = "selftest-iommu",
};

/* SMMU_IDR5.OAS encodings, indexed by code */
static const unsigned int smmu_oas_bits[] = { 32, 36, 40, 42, 44, 48, 52 };

const char *viommu_kind_name(enum viommu_kind kind)
{
	if ((unsigned int)kind >= ARRAY_SIZE(kind_names))
		return "?";
	return kind_names[kind];
}

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void config_defaults(struct viommu_config *cfg, enum viommu_kind kind)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kind = kind;
	cfg->aw_bits = kind == VIOMMU_KIND_INTEL ? 48 : 0;
	cfg->fs1gp = true;
	cfg->oas = 44;
	cfg->ril = true;
}

static int parse_bool(const char *key, const char *val, bool *out,
		      char *err, size_t len)
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
	return fail(err, len, "%s: bad value '%s': expected on or off",
		    key, val);
}

static int parse_uint(const char *key, const char *val, unsigned long *out,
		      char *err, size_t len, const char *allowed)
{
	char *end;

	if (val[0] < '0' || val[0] > '9')
		goto bad;
	errno = 0;
	*out = strtoul(val, &end, 10);
	if (errno || *end)
		goto bad;
	return 0;
bad:
	return fail(err, len, "%s: bad value '%s': expected %s", key, val,
		    allowed);
}

static int parse_intel_key(struct viommu_config *cfg, const char *key,
			   const char *val, char *err, size_t len)
{
	unsigned long n;

	if (!strcmp(key, "x-scalable-mode"))
		return parse_bool(key, val, &cfg->scalable_mode, err, len);
	if (!strcmp(key, "x-flts"))
		return parse_bool(key, val, &cfg->flts, err, len);
	if (!strcmp(key, "fs1gp"))
		return parse_bool(key, val, &cfg->fs1gp, err, len);
	if (!strcmp(key, "aw-bits")) {
		if (parse_uint(key, val, &n, err, len, "39 or 48"))
			return -EINVAL;
		if (n != 39 && n != 48)
			return fail(err, len,
				    "aw-bits: bad value '%s': expected 39 or 48",
				    val);
		cfg->aw_bits = n;
		return 0;
	}
	return fail(err, len,
		    "intel-iommu: unknown key '%s': expected x-scalable-mode, x-flts, aw-bits or fs1gp",
		    key);
}

static int parse_oas(struct viommu_config *cfg, const char *val, char *err,
		     size_t len)
{
	unsigned long n;
	unsigned int i;

	if (parse_uint("oas", val, &n, err, len, "32, 36, 40, 42, 44, 48 or 52"))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(smmu_oas_bits); i++) {
		if (smmu_oas_bits[i] == n) {
			cfg->oas = n;
			return 0;
		}
	}
	return fail(err, len,
		    "oas: bad value '%s': expected 32, 36, 40, 42, 44, 48 or 52",
		    val);
}

static int parse_smmuv3_key(struct viommu_config *cfg, const char *key,
			    const char *val, char *err, size_t len)
{
	unsigned long n;

	if (!strcmp(key, "accel"))
		return parse_bool(key, val, &cfg->accel, err, len);
	if (!strcmp(key, "ril"))
		return parse_bool(key, val, &cfg->ril, err, len);
	if (!strcmp(key, "ats"))
		return parse_bool(key, val, &cfg->ats, err, len);
	if (!strcmp(key, "oas"))
		return parse_oas(cfg, val, err, len);
	if (!strcmp(key, "ssidsize")) {
		if (!strcmp(val, "auto")) {
			cfg->ssidsize = VIOMMU_SSIDSIZE_AUTO;
			return 0;
		}
		if (parse_uint(key, val, &n, err, len, "0..20 or auto"))
			return -EINVAL;
		if (n > VIOMMU_SSIDSIZE_MAX)
			return fail(err, len,
				    "ssidsize: bad value '%s': expected 0..20 or auto",
				    val);
		cfg->ssidsize = n;
		return 0;
	}
	return fail(err, len,
		    "arm-smmuv3: unknown key '%s': expected accel, ssidsize, oas, ril or ats",
		    key);
}

static int parse_selftest_key(struct viommu_config *cfg, const char *key,
			      const char *val, char *err, size_t len)
{
	unsigned long n;

	if (!strcmp(key, "nesting"))
		return parse_bool(key, val, &cfg->nesting, err, len);
	if (!strcmp(key, "aw-bits")) {
		if (parse_uint(key, val, &n, err, len, "0..64") || n > 64)
			return fail(err, len,
				    "aw-bits: bad value '%s': expected 0..64", val);
		cfg->aw_bits = n;
		return 0;
	}
	return fail(err, len,
		    "selftest-iommu: unknown key '%s': expected nesting or aw-bits",
		    key);
}

static int parse_key(struct viommu_config *cfg, const char *key,
		     const char *val, char *err, size_t len)
{
	switch (cfg->kind) {
	case VIOMMU_KIND_INTEL:
		return parse_intel_key(cfg, key, val, err, len);
	case VIOMMU_KIND_SMMUV3:
		return parse_smmuv3_key(cfg, key, val, err, len);
	case VIOMMU_KIND_SELFTEST:
		return parse_selftest_key(cfg, key, val, err, len);
	default:
		return fail(err, len, "%s: unknown key '%s': it takes no keys",
			    viommu_kind_name(cfg->kind), key);
	}
}

#define MAX_KEYS 16

struct seen_keys {
	unsigned int n;
	char key[MAX_KEYS][KEY_MAX + 1];
};

static bool key_seen(const struct seen_keys *seen, const char *key)
{
	unsigned int i;

	for (i = 0; i < seen->n; i++)
		if (!strcmp(seen->key[i], key))
			return true;
	return false;
}

/* Relations between keys, checked once every key is known. */
static int check_config(const struct viommu_config *cfg,
			const struct seen_keys *seen, char *err, size_t len)
{
	static const char *const accel_keys[] = { "ssidsize", "oas", "ril", "ats" };
	unsigned int i;

	if (cfg->kind == VIOMMU_KIND_INTEL && cfg->flts && !cfg->scalable_mode)
		return fail(err, len,
			    "x-flts: 'on' needs x-scalable-mode=on");
	if (cfg->kind != VIOMMU_KIND_SMMUV3 || cfg->accel)
		return 0;
	for (i = 0; i < ARRAY_SIZE(accel_keys); i++)
		if (key_seen(seen, accel_keys[i]))
			return fail(err, len, "%s: needs accel=on",
				    accel_keys[i]);
	return 0;
}

static int config_kind(const char *name, size_t n, enum viommu_kind *kind)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kind_names); i++) {
		if (strlen(kind_names[i]) == n && !strncmp(name, kind_names[i], n)) {
			*kind = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Split one "key=value" at @p, ending at @end, into @key and @val. */
static int split_option(const char *p, const char *end, char *key,
			char *val, char *err, size_t len)
{
	int n = end - p > KEY_MAX ? KEY_MAX : end - p;
	const char *eq = memchr(p, '=', end - p);

	if (!eq)
		return fail(err, len, "bad option '%.*s': expected key=value",
			    n, p);
	if (eq == p || eq - p > KEY_MAX || end - eq - 1 > KEY_MAX)
		return fail(err, len,
			    "bad option '%.*s': key empty, or key or value longer than %d",
			    n, p, KEY_MAX);
	snprintf(key, KEY_MAX + 1, "%.*s", (int)(eq - p), p);
	snprintf(val, KEY_MAX + 1, "%.*s", (int)(end - eq - 1), eq + 1);
	return 0;
}

int viommu_config_parse(const char *str, struct viommu_config *cfg,
			char *err, size_t err_len)
{
	char key[KEY_MAX + 1], val[KEY_MAX + 1];
	struct seen_keys seen = { 0 };
	enum viommu_kind kind;
	const char *p, *end;
	size_t n;

	if (!str || !*str)
		return fail(err, err_len,
			    "empty vIOMMU config: expected none, virtio-iommu, intel-iommu, arm-smmuv3 or selftest-iommu");
	n = strcspn(str, ",");
	if (config_kind(str, n, &kind))
		return fail(err, err_len,
			    "unknown vIOMMU kind '%.*s': expected none, virtio-iommu, intel-iommu, arm-smmuv3 or selftest-iommu",
			    (int)(n > KEY_MAX ? KEY_MAX : n), str);
	config_defaults(cfg, kind);
	for (p = str + n; *p; p = end) {
		p++;
		end = p + strcspn(p, ",");
		if (split_option(p, end, key, val, err, err_len))
			return -EINVAL;
		if (parse_key(cfg, key, val, err, err_len))
			return -EINVAL;
		if (key_seen(&seen, key))
			return fail(err, err_len, "%s: given twice", key);
		if (seen.n >= MAX_KEYS)
			return fail(err, err_len, "more than %d options",
				    MAX_KEYS);
		memcpy(seen.key[seen.n++], key, sizeof(key));
	}
	return check_config(cfg, &seen, err, err_len);
}

static const char *on_off(bool b)
{
	return b ? "on" : "off";
}

int viommu_config_format(const struct viommu_config *cfg, char *buf,
			 size_t len)
{
	char ssid[8];

	switch (cfg->kind) {
	case VIOMMU_KIND_INTEL:
		return snprintf(buf, len,
				"intel-iommu,x-scalable-mode=%s,x-flts=%s,aw-bits=%u,fs1gp=%s",
				on_off(cfg->scalable_mode), on_off(cfg->flts),
				cfg->aw_bits, on_off(cfg->fs1gp));
	case VIOMMU_KIND_SMMUV3:
		if (!cfg->accel)
			return snprintf(buf, len, "arm-smmuv3,accel=off");
		if (cfg->ssidsize == VIOMMU_SSIDSIZE_AUTO)
			snprintf(ssid, sizeof(ssid), "auto");
		else
			snprintf(ssid, sizeof(ssid), "%d", cfg->ssidsize);
		return snprintf(buf, len,
				"arm-smmuv3,accel=on,ssidsize=%s,oas=%u,ril=%s,ats=%s",
				ssid, cfg->oas, on_off(cfg->ril),
				on_off(cfg->ats));
	case VIOMMU_KIND_SELFTEST:
		/* aw-bits only when set, so the common string stays short */
		if (!cfg->aw_bits)
			return snprintf(buf, len, "selftest-iommu,nesting=%s",
					on_off(cfg->nesting));
		return snprintf(buf, len, "selftest-iommu,nesting=%s,aw-bits=%u",
				on_off(cfg->nesting), cfg->aw_bits);
	default:
		return snprintf(buf, len, "%s", viommu_kind_name(cfg->kind));
	}
}

uint64_t viommu_config_flags(const struct viommu_config *cfg)
{
	uint64_t flags = 0;

	switch (cfg->kind) {
	case VIOMMU_KIND_INTEL:
		if (cfg->flts)
			flags |= VIOMMU_FLAG_WANT_NESTING_PARENT;
		break;
	case VIOMMU_KIND_SMMUV3:
		if (!cfg->accel)
			break;
		flags |= VIOMMU_FLAG_WANT_NESTING_PARENT;
		/* auto is host derived: never reported as a flag */
		if (cfg->ssidsize > 0)
			flags |= VIOMMU_FLAG_PASID_SUPPORTED;
		break;
	case VIOMMU_KIND_SELFTEST:
		if (cfg->nesting)
			flags |= VIOMMU_FLAG_WANT_NESTING_PARENT;
		break;
	default:
		break;
	}
	return flags;
}

bool viommu_config_migration_safe(const struct viommu_config *cfg,
				  const char **why)
{
	if (cfg->kind == VIOMMU_KIND_SMMUV3 && cfg->accel &&
	    cfg->ssidsize == VIOMMU_SSIDSIZE_AUTO) {
		if (why)
			*why = "ssidsize=auto takes the SSID size from the host (IDR1 of the first cold-plugged device), so PASID support depends on the host";
		return false;
	}
	if (why)
		*why = NULL;
	return true;
}

enum viommu_stage1 viommu_config_stage1(const struct viommu_config *cfg)
{
	if (!(viommu_config_flags(cfg) & VIOMMU_FLAG_WANT_NESTING_PARENT))
		return VIOMMU_STAGE1_NONE;
	switch (cfg->kind) {
	case VIOMMU_KIND_INTEL:
		return VIOMMU_STAGE1_VTD;
	case VIOMMU_KIND_SMMUV3:
		return VIOMMU_STAGE1_SMMUV3;
	default:
		return VIOMMU_STAGE1_SELFTEST;
	}
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

static uint64_t le_u64(const uint8_t *p)
{
	uint64_t x = 0;
	int i;

	for (i = 7; i >= 0; i--)
		x = x << 8 | p[i];
	return x;
}

static uint32_t le_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

uint64_t viommu_get_host_quirks(struct viommu *v, uint32_t type,
				const void *data, size_t len)
{
	uint64_t quirks = 0;

	v->host_info_known = true;
	if (type == VIOMMU_HW_INFO_TYPE_INTEL_VTD && data && len >= 4 &&
	    le_u32(data) & VTD_INFO_ERRATA_772415_SPR17)
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

static int check_vtd(const struct viommu_config *cfg,
		     const struct viommu_hiod *h, char *why, size_t len)
{
	uint64_t cap;

	/*
	 * QEMU checks aw-bits first; we check the type first when x-flts=on
	 * because the other checks mean nothing on another vendor's data.
	 */
	if (cfg->flts && h->hw_info_type != VIOMMU_HW_INFO_TYPE_INTEL_VTD)
		return fail(why, len,
			    "x-flts=on needs a host VT-d IOMMU: hw_info type is 0x%x, expected INTEL_VTD (0x%x)",
			    h->hw_info_type, VIOMMU_HW_INFO_TYPE_INTEL_VTD);
	if (cfg->aw_bits > h->host_aw_bits)
		return fail(why, len,
			    "aw-bits=%u exceeds the host address width of %u bits",
			    cfg->aw_bits, h->host_aw_bits);
	if (!cfg->flts)
		return 0;
	if (h->data_len < VTD_INFO_LEN)
		return fail(why, len,
			    "VT-d hw_info too short: %u bytes, expected %d",
			    h->data_len, VTD_INFO_LEN);
	cap = le_u64(h->data + 8);
	if (cfg->fs1gp && !(cap & VTD_CAP_FS1GP))
		return fail(why, len,
			    "fs1gp=on but the host cap_reg 0x%llx lacks FS1GP (bit 56)",
			    (unsigned long long)cap);
	if (h->behind_bridge)
		return fail(why, len,
			    "x-flts=on cannot use a host device behind a PCI bridge");
	return 0;
}

static unsigned int field(uint32_t reg, unsigned int lo, unsigned int bits)
{
	return (reg >> lo) & ((1u << bits) - 1);
}

/* The vSMMU's own register view, from its config. */
static int check_smmuv3_idrs(const struct viommu_config *cfg,
			     const uint32_t *idr, char *why, size_t len)
{
	unsigned int oas = field(idr[5], 0, 3);
	unsigned int ssid = field(idr[1], 6, 5);
	unsigned int endian = field(idr[0], 21, 2);

	if (!(idr[0] & (1u << 1)) || !(idr[0] & (1u << 0)))
		return fail(why, len,
			    "host SMMU lacks stage 1 and stage 2 (IDR0.S1P/S2P)");
	if (!(field(idr[0], 2, 2) & 2))
		return fail(why, len,
			    "host SMMU lacks AArch64 tables (IDR0.TTF)");
	if (endian == 3)
		return fail(why, len,
			    "host SMMU is big-endian only (IDR0.TTENDIAN)");
	if (field(idr[1], 0, 6) < 16)
		return fail(why, len,
			    "host SIDSIZE %u is below the vSMMU's 16 bits",
			    field(idr[1], 0, 6));
	if (cfg->ssidsize > 0 && ssid < (unsigned int)cfg->ssidsize)
		return fail(why, len,
			    "ssidsize=%d exceeds the host SSIDSIZE of %u",
			    cfg->ssidsize, ssid);
	if (cfg->ril && !(idr[3] & (1u << 10)))
		return fail(why, len,
			    "ril=on but the host lacks range invalidation (IDR3.RIL)");
	if (oas >= ARRAY_SIZE(smmu_oas_bits) ||
	    smmu_oas_bits[oas] < cfg->oas)
		return fail(why, len,
			    "oas=%u exceeds the host OAS code %u", cfg->oas, oas);
	if (cfg->ats && !(idr[0] & (1u << 10)))
		return fail(why, len, "ats=on but the host lacks ATS (IDR0.ATS)");
	if (!(idr[5] & (1u << 4)))
		return fail(why, len,
			    "host SMMU lacks the 4K granule the vSMMU uses (IDR5.GRAN4K)");
	return 0;
}

static int check_smmuv3(const struct viommu_config *cfg,
			const struct viommu_hiod *h, char *why, size_t len)
{
	uint32_t idr[SMMUV3_IDR_MAX];
	int i;

	if (!cfg->accel)
		return 0;
	if (h->hw_info_type != VIOMMU_HW_INFO_TYPE_ARM_SMMUV3)
		return fail(why, len,
			    "accel=on needs a host SMMUv3: hw_info type is 0x%x, expected ARM_SMMUV3 (0x%x)",
			    h->hw_info_type, VIOMMU_HW_INFO_TYPE_ARM_SMMUV3);
	if (h->data_len < SMMUV3_INFO_LEN)
		return fail(why, len,
			    "SMMUv3 hw_info too short: %u bytes, expected %d",
			    h->data_len, SMMUV3_INFO_LEN);
	for (i = 0; i < SMMUV3_IDR_MAX; i++)
		idr[i] = le_u32(h->data + 8 + 4 * i);
	return check_smmuv3_idrs(cfg, idr, why, len);
}

int viommu_check_hiod(const struct viommu_config *cfg,
		      const struct viommu_hiod *h, char *why, size_t why_len)
{
	switch (cfg->kind) {
	case VIOMMU_KIND_INTEL:
		return check_vtd(cfg, h, why, why_len);
	case VIOMMU_KIND_SMMUV3:
		return check_smmuv3(cfg, h, why, why_len);
	case VIOMMU_KIND_SELFTEST:
		if (cfg->nesting && h->hw_info_type != VIOMMU_HW_INFO_TYPE_SELFTEST)
			return fail(why, why_len,
				    "nesting=on needs the mock IOMMU: hw_info type is 0x%x, expected SELFTEST (0x%x)",
				    h->hw_info_type,
				    VIOMMU_HW_INFO_TYPE_SELFTEST);
		if (cfg->aw_bits > h->host_aw_bits)
			return fail(why, why_len,
				    "aw-bits=%u exceeds the host address width of %u bits",
				    cfg->aw_bits, h->host_aw_bits);
		return 0;
	default:
		return 0;
	}
}

int viommu_set_iommu_device(struct viommu *v, const struct viommu_hiod *hiod,
			    char *why, size_t why_len)
{
	int rc;

	v->host_info_known = true;
	rc = viommu_check_hiod(&v->cfg, hiod, why, why_len);
	if (!rc && viommu_find_hiod(v, hiod->dev_id))
		rc = fail(why, why_len, "device %u already has a host IOMMU device",
			  hiod->dev_id);
	if (!rc && v->nr_hiods >= VIOMMU_MAX_DEVICES)
		rc = fail(why, why_len, "more than %d devices",
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
