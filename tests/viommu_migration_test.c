// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the migration stream: round trips, hand-made bad streams
 * (each refused with its own reason), every truncation and every bit
 * flip of a good stream, and the ssidsize=auto counter-example.  The bad
 * streams are built byte by byte here, not by the code under test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "viommu_migration.h"

#define BUF_LEN 512

/* ---- a byte-level stream builder, independent of viommu_mig_save ---- */

struct raw {
	uint8_t b[BUF_LEN];
	size_t len;
	unsigned int records;
};

static void raw_bytes(struct raw *r, const void *p, size_t n)
{
	memcpy(r->b + r->len, p, n);
	r->len += n;
}

static void raw_le(struct raw *r, uint64_t v, int n)
{
	while (n--) {
		r->b[r->len++] = v & 0xff;
		v >>= 8;
	}
}

static void raw_header(struct raw *r)
{
	r->len = 0;
	r->records = 0;
	raw_bytes(r, "VNMS", 4);
	raw_le(r, 1, 2);	/* version */
	raw_le(r, 16, 2);	/* header size */
	raw_le(r, 0, 4);	/* records size, set by raw_finish */
	raw_le(r, 0, 4);	/* record count, set by raw_finish */
}

static void raw_record(struct raw *r, uint16_t tag, const void *p, size_t n)
{
	raw_le(r, tag, 2);
	raw_le(r, n, 2);
	raw_bytes(r, p, n);
	r->records++;
}

static void raw_config(struct raw *r, const char *config)
{
	raw_record(r, 1, config, strlen(config));
}

static void raw_flags(struct raw *r, uint64_t flags)
{
	uint8_t v[8];
	int i;

	for (i = 0; i < 8; i++)
		v[i] = flags >> (8 * i);
	raw_record(r, 2, v, 8);
}

static void raw_device(struct raw *r, uint32_t hwpt_flags, uint8_t layout,
		       uint8_t state, const char *id)
{
	uint8_t v[64] = {
		hwpt_flags, hwpt_flags >> 8, hwpt_flags >> 16, hwpt_flags >> 24,
		layout, state, 0, strlen(id),
	};

	memcpy(v + 8, id, strlen(id));
	raw_record(r, 3, v, 8 + strlen(id));
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* Fill in the sizes and append the CRC-32 of everything before it. */
static void raw_finish(struct raw *r)
{
	put_le32(r->b + 8, r->len - 16);
	put_le32(r->b + 12, r->records);
	put_le32(r->b + r->len, viommu_mig_crc32(r->b, r->len));
	r->len += 4;
}

/* Recompute the CRC after editing a finished stream. */
static void raw_reseal(struct raw *r)
{
	put_le32(r->b + r->len - 4, viommu_mig_crc32(r->b, r->len - 4));
}

/* The good stream the bad ones start from. */
static void raw_good(struct raw *r)
{
	raw_header(r);
	raw_config(r, "selftest-iommu,nesting=on");
	raw_flags(r, 0x1);
	raw_device(r, 0x3, 2, 0x3, "mock0");
	raw_finish(r);
}

/*
 * Load from a heap copy of exactly @len bytes, so that under ASan any
 * read past the stream's end is caught, not hidden by the builder's
 * larger buffer.
 */
static int load_exact(const uint8_t *buf, size_t len,
		      struct viommu_mig_state *s, char *err, size_t err_len)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	rc = viommu_mig_load(copy, len, s, err, err_len);
	free(copy);
	return rc;
}

TEST(crc32_check_value)
{
	/* the CRC-32 (IEEE) check value of "123456789" */
	ASSERT_EQ(0xcbf43926, viommu_mig_crc32((const uint8_t *)"123456789", 9));
}

TEST(hand_made_good_stream_loads)
{
	struct viommu_mig_state s;
	char err[VIOMMU_ERR_LEN] = "";
	struct raw r;

	raw_good(&r);
	ASSERT_EQ(0, viommu_mig_load(r.b, r.len, &s, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(VIOMMU_KIND_SELFTEST, s.cfg.kind);
	ASSERT_TRUE(s.cfg.nesting);
	ASSERT_EQ(0x1, s.flags);
	ASSERT_EQ(1, s.nr_devs);
	ASSERT_STREQ("mock0", s.devs[0].id);
	ASSERT_EQ(VIOMMU_MIG_LAYOUT_PARENT, s.devs[0].layout);
	ASSERT_EQ(0x3, s.devs[0].hwpt_flags);
	ASSERT_TRUE(s.devs[0].hiod_set);
	ASSERT_TRUE(s.devs[0].nested);
}

TEST(save_writes_what_the_format_says)
{
	struct viommu_mig_state s = { .flags = 0x1, .nr_devs = 1 };
	uint8_t buf[BUF_LEN];
	char err[VIOMMU_ERR_LEN];
	struct raw r;
	int len;

	ASSERT_EQ(0, viommu_config_parse("selftest-iommu,nesting=on", &s.cfg,
					 err, sizeof(err)));
	snprintf(s.devs[0].id, sizeof(s.devs[0].id), "mock0");
	s.devs[0].hwpt_flags = 0x3;
	s.devs[0].layout = VIOMMU_MIG_LAYOUT_PARENT;
	s.devs[0].hiod_set = true;
	s.devs[0].nested = true;
	len = viommu_mig_save(&s, buf, sizeof(buf), err, sizeof(err));
	raw_good(&r);
	ASSERT_EQ(r.len, len) TH_LOG("%s", err);
	ASSERT_EQ(0, memcmp(r.b, buf, len));
	/* too small a buffer is refused, never overrun */
	ASSERT_EQ(-ENOSPC, viommu_mig_save(&s, buf, len - 1, err, sizeof(err)));
}

TEST(every_config_round_trips)
{
	static const char *const configs[] = {
		"none", "virtio-iommu", "intel-iommu",
		"intel-iommu,x-scalable-mode=on,x-flts=on,aw-bits=39,fs1gp=off",
		"arm-smmuv3", "arm-smmuv3,accel=on,ssidsize=20,oas=52,ril=off,ats=on",
		"selftest-iommu,nesting=on,aw-bits=64",
	};
	struct viommu_mig_state s, back;
	uint8_t buf[VIOMMU_MIG_STREAM_MAX];
	char err[VIOMMU_ERR_LEN];
	unsigned int i, d;
	int len;

	for (i = 0; i < ARRAY_SIZE(configs); i++) {
		memset(&s, 0, sizeof(s));
		ASSERT_EQ(0, viommu_config_parse(configs[i], &s.cfg, err,
						 sizeof(err)));
		s.flags = viommu_config_flags(&s.cfg);
		/* the most devices with the longest identities */
		s.nr_devs = VIOMMU_MAX_DEVICES;
		for (d = 0; d < s.nr_devs; d++) {
			memset(s.devs[d].id, 'a' + d, VIOMMU_MIG_ID_MAX);
			s.devs[d].layout = VIOMMU_MIG_LAYOUT_PLAIN;
			s.devs[d].hwpt_flags = d & 1 ?
				VIOMMU_MIG_HWPT_DIRTY_TRACKING : 0;
			s.devs[d].hiod_set = d & 2;
		}
		len = viommu_mig_save(&s, buf, sizeof(buf), err, sizeof(err));
		ASSERT_LT(0, len) TH_LOG("%s: %s", configs[i], err);
		ASSERT_EQ(0, viommu_mig_load(buf, len, &back, err, sizeof(err)))
			TH_LOG("%s: %s", configs[i], err);
		ASSERT_EQ(0, memcmp(&s.cfg, &back.cfg, sizeof(s.cfg)));
		ASSERT_EQ(s.flags, back.flags);
		ASSERT_EQ(0, memcmp(s.devs, back.devs, sizeof(s.devs)));
	}
}

/* ---- hand-made bad streams: each refused, each for its own reason ---- */

struct bad_stream {
	const char *name;
	void (*make)(struct raw *r);
	const char *error;	/* a phrase the loader's error must contain */
};

static void empty(struct raw *r)
{
	r->len = 0;
}

static void short_header(struct raw *r)
{
	raw_good(r);
	r->len = 19;
}

static void bad_magic(struct raw *r)
{
	raw_good(r);
	r->b[0] = 'X';
	raw_reseal(r);
}

static void version_2(struct raw *r)
{
	raw_good(r);
	r->b[4] = 2;
	raw_reseal(r);
}

static void header_size_20(struct raw *r)
{
	raw_good(r);
	r->b[6] = 20;
	raw_reseal(r);
}

static void cut_short(struct raw *r)
{
	raw_good(r);
	r->len -= 5;
}

static void trailing_garbage(struct raw *r)
{
	raw_good(r);
	raw_bytes(r, "xyz", 3);
}

static void flipped_byte(struct raw *r)
{
	raw_good(r);
	r->b[20] ^= 0x20;	/* 's' of the config becomes 'S' */
}

static void unknown_flag_bit(struct raw *r)
{
	raw_header(r);
	raw_config(r, "selftest-iommu,nesting=on");
	raw_flags(r, 0x1 | 0x8);
	raw_finish(r);
}

static void unknown_tag(struct raw *r)
{
	raw_header(r);
	raw_config(r, "none");
	raw_flags(r, 0);
	raw_record(r, 9, "??", 2);
	raw_finish(r);
}

static void two_configs(struct raw *r)
{
	raw_header(r);
	raw_config(r, "none");
	raw_config(r, "virtio-iommu");
	raw_flags(r, 0);
	raw_finish(r);
}

static void no_flags(struct raw *r)
{
	raw_header(r);
	raw_config(r, "none");
	raw_finish(r);
}

static void no_config(struct raw *r)
{
	raw_header(r);
	raw_flags(r, 0);
	raw_finish(r);
}

static void bad_config(struct raw *r)
{
	raw_header(r);
	raw_config(r, "intel-iommu,x-flts=on");
	raw_flags(r, 1);
	raw_finish(r);
}

static void config_with_nul(struct raw *r)
{
	raw_header(r);
	raw_record(r, 1, "none\0", 5);
	raw_flags(r, 0);
	raw_finish(r);
}

static void unsafe_config(struct raw *r)
{
	raw_header(r);
	raw_config(r, "arm-smmuv3,accel=on,ssidsize=auto");
	raw_flags(r, 1);
	raw_finish(r);
}

static void short_flags(struct raw *r)
{
	raw_header(r);
	raw_config(r, "none");
	raw_record(r, 2, "\0\0\0\0", 4);
	raw_finish(r);
}

static void record_overruns(struct raw *r)
{
	raw_good(r);
	r->b[16 + 2] = 0xff;	/* the CONFIG length */
	raw_reseal(r);
}

static void count_too_high(struct raw *r)
{
	raw_good(r);
	r->b[12] = 5;
	raw_reseal(r);
}

static void count_too_low(struct raw *r)
{
	raw_good(r);
	r->b[12] = 2;
	raw_reseal(r);
}

static void device_id_length_lies(struct raw *r)
{
	/* 5 identity bytes, but the identity length byte says 9 */
	static const uint8_t dev[] = { 0, 0, 0, 0, 1, 1, 0, 9,
				       'm', 'o', 'c', 'k', '0' };

	raw_header(r);
	raw_config(r, "none");
	raw_flags(r, 0);
	raw_record(r, 3, dev, sizeof(dev));
	raw_finish(r);
}

static void device_unknown_state(struct raw *r)
{
	raw_header(r);
	raw_config(r, "none");
	raw_flags(r, 0);
	raw_device(r, 0, 1, 0x4, "mock0");
	raw_finish(r);
}

static void device_unknown_hwpt_flag(struct raw *r)
{
	raw_header(r);
	raw_config(r, "none");
	raw_flags(r, 0);
	raw_device(r, 0x4, 1, 1, "mock0");
	raw_finish(r);
}

static void device_parent_without_flag(struct raw *r)
{
	raw_header(r);
	raw_config(r, "selftest-iommu,nesting=on");
	raw_flags(r, 1);
	raw_device(r, 0, 2, 1, "mock0");
	raw_finish(r);
}

static void device_nested_without_hiod(struct raw *r)
{
	raw_header(r);
	raw_config(r, "selftest-iommu,nesting=on");
	raw_flags(r, 1);
	raw_device(r, 1, 2, 0x2, "mock0");
	raw_finish(r);
}

static void device_unknown_layout(struct raw *r)
{
	raw_header(r);
	raw_config(r, "none");
	raw_flags(r, 0);
	raw_device(r, 0, 7, 0, "mock0");
	raw_finish(r);
}

static void device_unprintable_id(struct raw *r)
{
	raw_header(r);
	raw_config(r, "none");
	raw_flags(r, 0);
	raw_device(r, 0, 1, 1, "mo\nk0");
	raw_finish(r);
}

static void too_many_devices(struct raw *r)
{
	int i;

	raw_header(r);
	raw_config(r, "none");
	raw_flags(r, 0);
	for (i = 0; i <= VIOMMU_MAX_DEVICES; i++)
		raw_device(r, 0, 1, 1, "d");
	raw_finish(r);
}

static const struct bad_stream bad_streams[] = {
	{ "empty", empty, "truncated: 0 bytes" },
	{ "short_header", short_header, "truncated: 19 bytes" },
	{ "bad_magic", bad_magic, "not a migration stream" },
	{ "version_2", version_2, "stream version 2, this build reads version 1" },
	{ "header_size_20", header_size_20, "header size 20, expected 16" },
	{ "cut_short", cut_short, "truncated: the header announces" },
	{ "trailing_garbage", trailing_garbage, "3 trailing bytes" },
	{ "flipped_byte", flipped_byte, "checksum mismatch" },
	{ "unknown_flag_bit", unknown_flag_bit, "unknown flag bits 0x8" },
	{ "unknown_tag", unknown_tag, "unknown tag 9" },
	{ "two_configs", two_configs, "a second CONFIG" },
	{ "no_flags", no_flags, "no FLAGS record" },
	{ "no_config", no_config, "no CONFIG record" },
	{ "bad_config", bad_config, "needs x-scalable-mode=on" },
	{ "config_with_nul", config_with_nul, "without NUL" },
	{ "unsafe_config", unsafe_config, "not migration-safe" },
	{ "short_flags", short_flags, "FLAGS of 4 bytes" },
	{ "record_overruns", record_overruns, "announced" },
	{ "count_too_high", count_too_high, "runs past the records' end" },
	{ "count_too_low", count_too_low, "bytes after the last of 2 records" },
	{ "device_id_length_lies", device_id_length_lies, "identity length says" },
	{ "device_unknown_state", device_unknown_state, "unknown state bits 0x4" },
	{ "device_unknown_hwpt_flag", device_unknown_hwpt_flag,
	  "unknown HWPT flag bits 0x4" },
	{ "device_parent_without_flag", device_parent_without_flag,
	  "disagrees with HWPT flags" },
	{ "device_nested_without_hiod", device_nested_without_hiod,
	  "needs a nesting parent and a hiod" },
	{ "device_unknown_layout", device_unknown_layout, "unknown layout 7" },
	{ "device_unprintable_id", device_unprintable_id, "printable" },
	{ "too_many_devices", too_many_devices, "more than 16 devices" },
};

TEST(hand_made_bad_streams_refused)
{
	struct viommu_mig_state s;
	char err[VIOMMU_ERR_LEN];
	unsigned int i;
	struct raw r;

	for (i = 0; i < ARRAY_SIZE(bad_streams); i++) {
		memset(&r, 0, sizeof(r));
		bad_streams[i].make(&r);
		err[0] = 0;
		ASSERT_EQ(-EINVAL, load_exact(r.b, r.len, &s, err, sizeof(err)))
			TH_LOG("%s was accepted", bad_streams[i].name);
		ASSERT_NE(NULL, strstr(err, bad_streams[i].error))
			TH_LOG("%s: error '%s', expected '%s'",
			       bad_streams[i].name, err, bad_streams[i].error);
	}
	ASSERT_LE(10, ARRAY_SIZE(bad_streams));
}

TEST(every_truncation_refused)
{
	struct viommu_mig_state s;
	char err[VIOMMU_ERR_LEN];
	struct raw r;
	size_t n;

	raw_good(&r);
	for (n = 0; n < r.len; n++) {
		err[0] = 0;
		ASSERT_EQ(-EINVAL, load_exact(r.b, n, &s, err, sizeof(err)))
			TH_LOG("%zu of %zu bytes accepted", n, r.len);
		ASSERT_NE(0, err[0]);
	}
}

TEST(every_bit_flip_refused)
{
	struct viommu_mig_state s;
	char err[VIOMMU_ERR_LEN];
	struct raw r;
	size_t n;
	int bit;

	raw_good(&r);
	for (n = 0; n < r.len; n++) {
		for (bit = 0; bit < 8; bit++) {
			r.b[n] ^= 1 << bit;
			err[0] = 0;
			ASSERT_EQ(-EINVAL, load_exact(r.b, r.len, &s, err,
						      sizeof(err)))
				TH_LOG("byte %zu bit %d flipped, accepted", n, bit);
			ASSERT_NE(0, err[0]);
			r.b[n] ^= 1 << bit;
		}
	}
}

TEST(save_refuses_bad_state)
{
	struct viommu_mig_state s = { 0 };
	uint8_t buf[BUF_LEN];
	char err[VIOMMU_ERR_LEN];

	ASSERT_EQ(0, viommu_config_parse("none", &s.cfg, err, sizeof(err)));
	s.flags = 0x10;
	ASSERT_EQ(-EINVAL, viommu_mig_save(&s, buf, sizeof(buf), err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "unknown flag bits 0x10"));
	s.flags = 0;
	s.nr_devs = 1;
	ASSERT_EQ(-EINVAL, viommu_mig_save(&s, buf, sizeof(buf), err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "identity"));
	snprintf(s.devs[0].id, sizeof(s.devs[0].id), "dev");
	s.devs[0].layout = VIOMMU_MIG_LAYOUT_NONE;
	s.devs[0].hiod_set = true;
	ASSERT_EQ(-EINVAL, viommu_mig_save(&s, buf, sizeof(buf), err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "layout none"));
}

/*
 * ---- the counter-example: ssidsize=auto ----
 *
 * QEMU's arm-smmuv3,accel=on,ssidsize=auto takes the SSID size from
 * IDR1.SSIDSIZE (bits 10:6) of the first cold-plugged host device, and
 * PASID support follows from it.  Answered that way, the same config
 * gives different flags on two hosts, which is exactly what migration
 * cannot survive.  The model must not answer that way: it marks the
 * config unsafe, answers no PASID bit, and refuses to migrate it.
 */

/* What a host-derived answer would be (QEMU's rule, our words). */
static uint64_t host_derived_flags(uint32_t idr1)
{
	unsigned int ssidsize = (idr1 >> 6) & 0x1f;

	return VIOMMU_FLAG_WANT_NESTING_PARENT |
	       (ssidsize ? VIOMMU_FLAG_PASID_SUPPORTED : 0);
}

TEST(ssidsize_auto_breaks_invariance)
{
	const uint32_t host_a_idr1 = 20 << 6;	/* 20 SSID bits */
	const uint32_t host_b_idr1 = 0;		/* no substreams */
	struct viommu_mig_state s = { .nr_devs = 0 };
	struct viommu_config cfg;
	struct viommu va, vb;
	uint8_t buf[BUF_LEN];
	char err[VIOMMU_ERR_LEN];
	const char *why;

	/* the counter-example itself: host-derived flags differ */
	ASSERT_NE(host_derived_flags(host_a_idr1),
		  host_derived_flags(host_b_idr1));

	ASSERT_EQ(0, viommu_config_parse("arm-smmuv3,accel=on,ssidsize=auto",
					 &cfg, err, sizeof(err)));
	ASSERT_FALSE(viommu_config_migration_safe(&cfg, &why));
	ASSERT_NE(NULL, strstr(why, "from the host"));
	/* the model never answers a host-derived bit... */
	viommu_init(&va, &cfg);
	viommu_init(&vb, &cfg);
	ASSERT_EQ(VIOMMU_FLAG_WANT_NESTING_PARENT, viommu_get_flags(&va));
	ASSERT_EQ(viommu_get_flags(&va), viommu_get_flags(&vb));
	/* ...and will not put such a config into a stream */
	s.cfg = cfg;
	s.flags = viommu_config_flags(&cfg);
	ASSERT_EQ(-EINVAL, viommu_mig_save(&s, buf, sizeof(buf), err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "not migration-safe"));
	/* an explicit size is safe and carries the PASID bit everywhere */
	ASSERT_EQ(0, viommu_config_parse("arm-smmuv3,accel=on,ssidsize=20",
					 &s.cfg, err, sizeof(err)));
	ASSERT_TRUE(viommu_config_migration_safe(&s.cfg, &why));
	s.flags = viommu_config_flags(&s.cfg);
	ASSERT_EQ(VIOMMU_FLAG_WANT_NESTING_PARENT | VIOMMU_FLAG_PASID_SUPPORTED,
		  s.flags);
	ASSERT_LT(0, viommu_mig_save(&s, buf, sizeof(buf), err, sizeof(err)));
}

TEST_HARNESS_MAIN
