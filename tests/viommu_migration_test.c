// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the migration stream: round trips, hand-made bad streams
 * (each refused with its own reason), every truncation and every bit
 * flip of a good stream, and the ssidsize=auto counter-example.  The bad
 * streams are built byte by byte here, not by the code under test.
 * gcc and cmocka, no kernel.
 *
 *   viommu_migration_test [PATTERN]   TAP on stdout; PATTERN (* and ?
 *                                     globs) picks tests by name
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit_tap.h"

#include "viommu_mig.h"

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
	raw_le(r, 2, 2);	/* version */
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

static void crc32_check_value(void **state)
{
	/* the CRC-32 (IEEE) check value of "123456789" */
	assert_int_equal(0xcbf43926,
			 viommu_mig_crc32((const uint8_t *)"123456789", 9));
}

static void hand_made_good_stream_loads(void **state)
{
	struct viommu_mig_state s;
	char err[VIOMMU_ERR_LEN] = "";
	struct raw r;

	raw_good(&r);
	assert_int_why(0, viommu_mig_load(r.b, r.len, &s, err, sizeof(err)),
		       "%s", err);
	assert_int_equal(VIOMMU_KIND_SELFTEST, s.cfg.kind);
	assert_true(s.cfg.nesting);
	assert_int_equal(0x1, s.flags);
	assert_int_equal(1, s.nr_devs);
	assert_string_equal("mock0", s.devs[0].id);
	assert_int_equal(VIOMMU_MIG_LAYOUT_PARENT, s.devs[0].layout);
	assert_int_equal(0x3, s.devs[0].hwpt_flags);
	assert_true(s.devs[0].hiod_set);
	assert_true(s.devs[0].nested);
}

static void save_writes_what_the_format_says(void **state)
{
	struct viommu_mig_state s = { .flags = 0x1, .nr_devs = 1 };
	uint8_t buf[BUF_LEN];
	char err[VIOMMU_ERR_LEN];
	struct raw r;
	int len;

	assert_int_equal(0, viommu_config_parse("selftest-iommu,nesting=on",
						&s.cfg, err, sizeof(err)));
	snprintf(s.devs[0].id, sizeof(s.devs[0].id), "mock0");
	s.devs[0].hwpt_flags = 0x3;
	s.devs[0].layout = VIOMMU_MIG_LAYOUT_PARENT;
	s.devs[0].hiod_set = true;
	s.devs[0].nested = true;
	len = viommu_mig_save(&s, buf, sizeof(buf), err, sizeof(err));
	raw_good(&r);
	assert_int_why(r.len, len, "%s", err);
	assert_memory_equal(r.b, buf, len);
	/* too small a buffer is refused, never overrun */
	assert_int_equal(-ENOSPC, viommu_mig_save(&s, buf, len - 1, err,
						  sizeof(err)));
}

static void every_config_round_trips(void **state)
{
	static const char *const configs[] = {
		"none", "virtio-iommu", "intel-iommu",
		"intel-iommu,caching-mode=on,scalable-mode=on,fsts=on,pasid-bits=20,fs1gp=off",
		"intel-iommu,aw-bits=39,version=4294967295,intremap=off,eim=off",
		"arm-smmuv3", "virtio-iommu,granule=64k,aw-bits=48",
		"amd-iommu,pci-id=0000:00:01.0,xtsup=on",
		"selftest-iommu,nesting=on,aw-bits=64",
	};
	struct viommu_mig_state s, back;
	uint8_t buf[VIOMMU_MIG_STREAM_MAX];
	char err[VIOMMU_ERR_LEN];
	unsigned int i, d;
	int len;

	for (i = 0; i < ARRAY_SIZE(configs); i++) {
		memset(&s, 0, sizeof(s));
		assert_int_equal(0, viommu_config_parse(configs[i], &s.cfg,
							err, sizeof(err)));
		s.flags = viommu_config_flags(&s.cfg);
		/* the most devices with the longest identities */
		s.nr_devs = VIOMMU_MAX_DEVICES;
		for (d = 0; d < s.nr_devs; d++) {
			memset(s.devs[d].id, 'a' + d, VIOMMU_MIG_ID_MAX);
			s.devs[d].layout = VIOMMU_MIG_LAYOUT_PLAIN;
			s.devs[d].hwpt_flags = d & 1 ?
				VIOMMU_MIG_HWPT_DIRTY_TRACKING : 0;
			s.devs[d].hiod_set = d & 2;
			s.devs[d].behind_bridge = d & 4;
		}
		len = viommu_mig_save(&s, buf, sizeof(buf), err, sizeof(err));
		assert_true_why(len > 0, "%s: save returned %d: %s",
				configs[i], len, err);
		assert_int_why(0, viommu_mig_load(buf, len, &back, err,
						  sizeof(err)),
			       "%s: %s", configs[i], err);
		assert_memory_equal(&s.cfg, &back.cfg, sizeof(s.cfg));
		assert_int_equal(s.flags, back.flags);
		assert_memory_equal(s.devs, back.devs, sizeof(s.devs));
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

static void version_1(struct raw *r)
{
	raw_good(r);
	r->b[4] = 1;
	raw_reseal(r);
}

static void version_3(struct raw *r)
{
	raw_good(r);
	r->b[4] = 3;
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
	raw_flags(r, 0x1 | 0x10);
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
	raw_config(r, "intel-iommu,x-flts=on");	/* an 11.0 name */
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
	raw_config(r, "arm-smmuv3,accel=on,ssidsize=20");
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
	raw_device(r, 0, 1, 0x8, "mock0");
	raw_finish(r);
}

static void device_unknown_hwpt_flag(struct raw *r)
{
	raw_header(r);
	raw_config(r, "none");
	raw_flags(r, 0);
	raw_device(r, 0x8, 1, 1, "mock0");
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
	{ "version_1", version_1, "stream version 1 predates the QEMU 11.1 model" },
	{ "version_3", version_3, "stream version 3, this build reads version 2" },
	{ "header_size_20", header_size_20, "header size 20, expected 16" },
	{ "cut_short", cut_short, "truncated: the header announces" },
	{ "trailing_garbage", trailing_garbage, "3 trailing bytes" },
	{ "flipped_byte", flipped_byte, "checksum mismatch" },
	{ "unknown_flag_bit", unknown_flag_bit, "unknown flag bits 0x10" },
	{ "unknown_tag", unknown_tag, "unknown tag 9" },
	{ "two_configs", two_configs, "a second CONFIG" },
	{ "no_flags", no_flags, "no FLAGS record" },
	{ "no_config", no_config, "no CONFIG record" },
	{ "bad_config", bad_config, "renamed it 'fsts'" },
	{ "config_with_nul", config_with_nul, "without NUL" },
	{ "unsafe_config", unsafe_config, "Migration not supported with SMMUv3 accelerator mode enabled" },
	{ "short_flags", short_flags, "FLAGS of 4 bytes" },
	{ "record_overruns", record_overruns, "announced" },
	{ "count_too_high", count_too_high, "runs past the records' end" },
	{ "count_too_low", count_too_low, "bytes after the last of 2 records" },
	{ "device_id_length_lies", device_id_length_lies, "identity length says" },
	{ "device_unknown_state", device_unknown_state, "unknown state bits 0x8" },
	{ "device_unknown_hwpt_flag", device_unknown_hwpt_flag,
	  "unknown HWPT flag bits 0x8" },
	{ "device_parent_without_flag", device_parent_without_flag,
	  "disagrees with HWPT flags" },
	{ "device_nested_without_hiod", device_nested_without_hiod,
	  "needs a nesting parent and a hiod" },
	{ "device_unknown_layout", device_unknown_layout, "unknown layout 7" },
	{ "device_unprintable_id", device_unprintable_id, "printable" },
	{ "too_many_devices", too_many_devices, "more than 16 devices" },
};

static void hand_made_bad_streams_refused(void **state)
{
	struct viommu_mig_state s;
	char err[VIOMMU_ERR_LEN];
	unsigned int i;
	struct raw r;

	for (i = 0; i < ARRAY_SIZE(bad_streams); i++) {
		memset(&r, 0, sizeof(r));
		bad_streams[i].make(&r);
		err[0] = 0;
		assert_int_why(-EINVAL, load_exact(r.b, r.len, &s, err,
						   sizeof(err)),
			       "%s was accepted", bad_streams[i].name);
		assert_true_why(strstr(err, bad_streams[i].error),
				"%s: error '%s', expected '%s'",
				bad_streams[i].name, err, bad_streams[i].error);
	}
	assert_true(ARRAY_SIZE(bad_streams) >= 10);
}

static void every_truncation_refused(void **state)
{
	struct viommu_mig_state s;
	char err[VIOMMU_ERR_LEN];
	struct raw r;
	size_t n;

	raw_good(&r);
	for (n = 0; n < r.len; n++) {
		err[0] = 0;
		assert_int_why(-EINVAL,
			       load_exact(r.b, n, &s, err, sizeof(err)),
			       "%zu of %zu bytes accepted", n, r.len);
		assert_int_not_equal(0, err[0]);
	}
}

static void every_bit_flip_refused(void **state)
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
			assert_int_why(-EINVAL, load_exact(r.b, r.len, &s, err,
							   sizeof(err)),
				       "byte %zu bit %d flipped, accepted", n,
				       bit);
			assert_int_not_equal(0, err[0]);
			r.b[n] ^= 1 << bit;
		}
	}
}

static void save_refuses_bad_state(void **state)
{
	struct viommu_mig_state s = { 0 };
	uint8_t buf[BUF_LEN];
	char err[VIOMMU_ERR_LEN];

	assert_int_equal(0, viommu_config_parse("none", &s.cfg, err,
						sizeof(err)));
	s.flags = 0x10;
	assert_int_equal(-EINVAL, viommu_mig_save(&s, buf, sizeof(buf), err,
						  sizeof(err)));
	assert_non_null(strstr(err, "unknown flag bits 0x10"));
	s.flags = 0;
	s.nr_devs = 1;
	assert_int_equal(-EINVAL, viommu_mig_save(&s, buf, sizeof(buf), err,
						  sizeof(err)));
	assert_non_null(strstr(err, "identity"));
	snprintf(s.devs[0].id, sizeof(s.devs[0].id), "dev");
	s.devs[0].layout = VIOMMU_MIG_LAYOUT_NONE;
	s.devs[0].hiod_set = true;
	assert_int_equal(-EINVAL, viommu_mig_save(&s, buf, sizeof(buf), err,
						  sizeof(err)));
	assert_non_null(strstr(err, "layout none"));
}

/*
 * ---- arm-smmuv3 accel=on never migrates ----
 *
 * QEMU 11.1 adds a migration blocker to every accel=on vSMMU, and its
 * auto properties (the default) are the first host device's, so even
 * its PASID bit is host-derived.  The model refuses to save any such
 * config with QEMU's own message; accel=off saves.
 */
static void accel_on_never_migrates(void **state)
{
	static const char *const accel[] = {
		"arm-smmuv3,accel=on", "arm-smmuv3,accel=on,ssidsize=20",
		"arm-smmuv3,accel=on,ssidsize=0,oas=44,ril=on,ats=off",
	};
	struct viommu_mig_state s = { .nr_devs = 0 };
	uint8_t buf[BUF_LEN];
	char err[VIOMMU_ERR_LEN];
	const char *why;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(accel); i++) {
		assert_int_equal(0, viommu_config_parse(accel[i], &s.cfg, err,
							sizeof(err)));
		assert_false(viommu_config_migration_safe(&s.cfg, &why));
		assert_string_equal("Migration not supported with SMMUv3 accelerator mode enabled",
				    why);
		s.flags = viommu_config_flags(&s.cfg);
		assert_int_equal(-EINVAL, viommu_mig_save(&s, buf, sizeof(buf),
							  err, sizeof(err)));
		assert_non_null(strstr(err, why));
	}
	assert_int_equal(0, viommu_config_parse("arm-smmuv3", &s.cfg, err,
						sizeof(err)));
	assert_true(viommu_config_migration_safe(&s.cfg, &why));
	s.flags = viommu_config_flags(&s.cfg);
	assert_true(viommu_mig_save(&s, buf, sizeof(buf), err,
				    sizeof(err)) > 0);
}

static const struct CMUnitTest tests[] = {
	UNIT_TEST(crc32_check_value),
	UNIT_TEST(hand_made_good_stream_loads),
	UNIT_TEST(save_writes_what_the_format_says),
	UNIT_TEST(every_config_round_trips),
	UNIT_TEST(hand_made_bad_streams_refused),
	UNIT_TEST(every_truncation_refused),
	UNIT_TEST(every_bit_flip_refused),
	UNIT_TEST(save_refuses_bad_state),
	UNIT_TEST(accel_on_never_migrates),
};

int unit_tap_group(void)
{
	return cmocka_run_group_tests_name("global", tests, NULL, NULL);
}
