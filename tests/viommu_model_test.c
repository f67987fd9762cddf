// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the vIOMMU model: config keys and errors, the flags table,
 * migration safety, host quirks and set_iommu_device() checks on
 * synthetic hw_info.  No kernel needed.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"

#include "viommu_model.h"

static int parse(const char *str, struct viommu_config *cfg, char *err)
{
	return viommu_config_parse(str, cfg, err, VIOMMU_ERR_LEN);
}

/* ---- config parsing: every key and its default ---- */

TEST(defaults_of_every_kind)
{
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN];

	ASSERT_EQ(0, parse("intel-iommu", &c, err));
	ASSERT_EQ(VIOMMU_KIND_INTEL, c.kind);
	ASSERT_FALSE(c.scalable_mode);
	ASSERT_FALSE(c.flts);
	ASSERT_EQ(48, c.aw_bits);
	ASSERT_TRUE(c.fs1gp);
	ASSERT_EQ(0, parse("arm-smmuv3", &c, err));
	ASSERT_EQ(VIOMMU_KIND_SMMUV3, c.kind);
	ASSERT_FALSE(c.accel);
	ASSERT_EQ(0, c.ssidsize);
	ASSERT_EQ(44, c.oas);
	ASSERT_TRUE(c.ril);
	ASSERT_FALSE(c.ats);
	ASSERT_EQ(0, parse("selftest-iommu", &c, err));
	ASSERT_FALSE(c.nesting);
	ASSERT_EQ(0, parse("virtio-iommu", &c, err));
	ASSERT_EQ(VIOMMU_KIND_VIRTIO, c.kind);
	ASSERT_EQ(0, parse("none", &c, err));
	ASSERT_EQ(VIOMMU_KIND_NONE, c.kind);
}

TEST(intel_keys)
{
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN];

	ASSERT_EQ(0, parse("intel-iommu,x-scalable-mode=on,x-flts=on,aw-bits=48,fs1gp=on",
			   &c, err)) TH_LOG("%s", err);
	ASSERT_TRUE(c.scalable_mode);
	ASSERT_TRUE(c.flts);
	ASSERT_EQ(48, c.aw_bits);
	ASSERT_TRUE(c.fs1gp);
	ASSERT_EQ(0, parse("intel-iommu,aw-bits=39,fs1gp=off,x-scalable-mode=true",
			   &c, err));
	ASSERT_EQ(39, c.aw_bits);
	ASSERT_FALSE(c.fs1gp);
	ASSERT_TRUE(c.scalable_mode);
}

TEST(smmuv3_keys)
{
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN];

	ASSERT_EQ(0, parse("arm-smmuv3,accel=on,ssidsize=20,oas=48,ril=off,ats=on",
			   &c, err)) TH_LOG("%s", err);
	ASSERT_TRUE(c.accel);
	ASSERT_EQ(20, c.ssidsize);
	ASSERT_EQ(48, c.oas);
	ASSERT_FALSE(c.ril);
	ASSERT_TRUE(c.ats);
	ASSERT_EQ(0, parse("arm-smmuv3,accel=on,ssidsize=auto", &c, err));
	ASSERT_EQ(VIOMMU_SSIDSIZE_AUTO, c.ssidsize);
	ASSERT_EQ(0, parse("arm-smmuv3,accel=on,ssidsize=0", &c, err));
	ASSERT_EQ(0, c.ssidsize);
}

TEST(selftest_keys)
{
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN];

	ASSERT_EQ(0, parse("selftest-iommu,nesting=on", &c, err));
	ASSERT_TRUE(c.nesting);
	ASSERT_EQ(0, parse("selftest-iommu,nesting=off", &c, err));
	ASSERT_FALSE(c.nesting);
	ASSERT_EQ(0, c.aw_bits);
	ASSERT_EQ(0, parse("selftest-iommu,aw-bits=30", &c, err));
	ASSERT_EQ(30, c.aw_bits);
}

TEST(every_bool_spelling)
{
	static const char *const on[] = { "on", "yes", "true", "y" };
	static const char *const off[] = { "off", "no", "false", "n" };
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN], str[64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(on); i++) {
		snprintf(str, sizeof(str), "selftest-iommu,nesting=%s", on[i]);
		ASSERT_EQ(0, parse(str, &c, err));
		ASSERT_TRUE(c.nesting);
		snprintf(str, sizeof(str), "selftest-iommu,nesting=%s", off[i]);
		ASSERT_EQ(0, parse(str, &c, err));
		ASSERT_FALSE(c.nesting);
	}
}

/* ---- config errors: every message names the key and what is allowed ---- */

struct bad_config {
	const char *str;
	const char *msg;
};

static const struct bad_config bad_configs[] = {
	{ "", "empty vIOMMU config: expected none, virtio-iommu, intel-iommu, arm-smmuv3 or selftest-iommu" },
	{ "amd-iommu", "unknown vIOMMU kind 'amd-iommu': expected none, virtio-iommu, intel-iommu, arm-smmuv3 or selftest-iommu" },
	{ "intel-iommu,x-flts=on", "x-flts: 'on' needs x-scalable-mode=on" },
	{ "intel-iommu,aw-bits=52", "aw-bits: bad value '52': expected 39 or 48" },
	{ "intel-iommu,aw-bits=4x", "aw-bits: bad value '4x': expected 39 or 48" },
	{ "intel-iommu,aw-bits=-39", "aw-bits: bad value '-39': expected 39 or 48" },
	{ "intel-iommu,caching-mode=on", "intel-iommu: unknown key 'caching-mode': expected x-scalable-mode, x-flts, aw-bits or fs1gp" },
	{ "intel-iommu,fs1gp=maybe", "fs1gp: bad value 'maybe': expected on or off" },
	{ "intel-iommu,x-scalable-mode", "bad option 'x-scalable-mode': expected key=value" },
	{ "intel-iommu,=on", "bad option '=on': key empty, or key or value longer than 32" },
	{ "intel-iommu,", "bad option '': expected key=value" },
	{ "intel-iommu,aw-bits=39,aw-bits=48", "aw-bits: given twice" },
	{ "arm-smmuv3,accel=on,ssidsize=21", "ssidsize: bad value '21': expected 0..20 or auto" },
	{ "arm-smmuv3,accel=on,ssidsize=big", "ssidsize: bad value 'big': expected 0..20 or auto" },
	{ "arm-smmuv3,accel=on,oas=46", "oas: bad value '46': expected 32, 36, 40, 42, 44, 48 or 52" },
	{ "arm-smmuv3,accel=on,oas=x", "oas: bad value 'x': expected 32, 36, 40, 42, 44, 48 or 52" },
	{ "arm-smmuv3,ssidsize=20", "ssidsize: needs accel=on" },
	{ "arm-smmuv3,ats=on", "ats: needs accel=on" },
	{ "arm-smmuv3,accel=off,ril=off", "ril: needs accel=on" },
	{ "arm-smmuv3,oas=48", "oas: needs accel=on" },
	{ "arm-smmuv3,stage=nested", "arm-smmuv3: unknown key 'stage': expected accel, ssidsize, oas, ril or ats" },
	{ "virtio-iommu,granule=4k", "virtio-iommu: unknown key 'granule': it takes no keys" },
	{ "none,x=1", "none: unknown key 'x': it takes no keys" },
	{ "selftest-iommu,nest=on", "selftest-iommu: unknown key 'nest': expected nesting or aw-bits" },
	{ "selftest-iommu,aw-bits=65", "aw-bits: bad value '65': expected 0..64" },
	{ "selftest-iommu,aw-bits=wide", "aw-bits: bad value 'wide': expected 0..64" },
	{ "selftest-iommu,nesting=2", "nesting: bad value '2': expected on or off" },
	{ "intel-iommu,x-scalable-mode=onnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn",
	  "bad option 'x-scalable-mode=onnnnnnnnnnnnnnn': key empty, or key or value longer than 32" },
};

TEST(every_config_error)
{
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_configs); i++) {
		err[0] = 0;
		EXPECT_EQ(-EINVAL, parse(bad_configs[i].str, &c, err))
			TH_LOG("accepted '%s'", bad_configs[i].str);
		EXPECT_STREQ(bad_configs[i].msg, err)
			TH_LOG("for '%s'", bad_configs[i].str);
	}
}

TEST(null_config_and_tiny_error_buffer)
{
	struct viommu_config c;
	char err[8];

	ASSERT_EQ(-EINVAL, viommu_config_parse(NULL, &c, err, sizeof(err)));
	ASSERT_EQ(7, strlen(err));
	ASSERT_EQ(-EINVAL, viommu_config_parse("bogus", &c, NULL, 0));
}

TEST(format_round_trips)
{
	static const char *const strs[] = {
		"none", "virtio-iommu",
		"intel-iommu,x-scalable-mode=on,x-flts=on,aw-bits=39,fs1gp=off",
		"arm-smmuv3,accel=on,ssidsize=auto,oas=48,ril=off,ats=on",
		"arm-smmuv3,accel=off", "selftest-iommu,nesting=on",
		"selftest-iommu,nesting=off,aw-bits=30",
	};
	struct viommu_config a, b;
	char err[VIOMMU_ERR_LEN], buf[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(strs); i++) {
		ASSERT_EQ(0, parse(strs[i], &a, err)) TH_LOG("%s", err);
		viommu_config_format(&a, buf, sizeof(buf));
		ASSERT_STREQ(strs[i], buf);
		ASSERT_EQ(0, parse(buf, &b, err));
		ASSERT_EQ(0, memcmp(&a, &b, sizeof(a)));
	}
}

/* ---- the flags table of qemu-viommu.md ---- */

struct flags_row {
	const char *config;
	uint64_t flags;
	enum viommu_stage1 stage1;
};

static const struct flags_row flag_rows[] = {
	{ "none", 0, VIOMMU_STAGE1_NONE },
	{ "virtio-iommu", 0, VIOMMU_STAGE1_NONE },
	{ "intel-iommu", 0, VIOMMU_STAGE1_NONE },
	{ "intel-iommu,x-scalable-mode=on", 0, VIOMMU_STAGE1_NONE },
	{ "intel-iommu,x-scalable-mode=on,x-flts=off", 0, VIOMMU_STAGE1_NONE },
	{ "intel-iommu,x-scalable-mode=on,x-flts=on", 0x1, VIOMMU_STAGE1_VTD },
	{ "intel-iommu,x-scalable-mode=on,x-flts=on,aw-bits=39,fs1gp=off", 0x1,
	  VIOMMU_STAGE1_VTD },
	{ "arm-smmuv3", 0, VIOMMU_STAGE1_NONE },
	{ "arm-smmuv3,accel=off", 0, VIOMMU_STAGE1_NONE },
	{ "arm-smmuv3,accel=on", 0x1, VIOMMU_STAGE1_SMMUV3 },
	{ "arm-smmuv3,accel=on,ssidsize=0", 0x1, VIOMMU_STAGE1_SMMUV3 },
	{ "arm-smmuv3,accel=on,ssidsize=1", 0x3, VIOMMU_STAGE1_SMMUV3 },
	{ "arm-smmuv3,accel=on,ssidsize=20", 0x3, VIOMMU_STAGE1_SMMUV3 },
	{ "arm-smmuv3,accel=on,ssidsize=auto", 0x1, VIOMMU_STAGE1_SMMUV3 },
	{ "selftest-iommu", 0, VIOMMU_STAGE1_NONE },
	{ "selftest-iommu,nesting=off", 0, VIOMMU_STAGE1_NONE },
	{ "selftest-iommu,nesting=on", 0x1, VIOMMU_STAGE1_SELFTEST },
};

TEST(flags_table)
{
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flag_rows); i++) {
		ASSERT_EQ(0, parse(flag_rows[i].config, &c, err));
		EXPECT_EQ(flag_rows[i].flags, viommu_config_flags(&c))
			TH_LOG("flags of %s", flag_rows[i].config);
		EXPECT_EQ(flag_rows[i].stage1, viommu_config_stage1(&c))
			TH_LOG("stage-1 of %s", flag_rows[i].config);
		EXPECT_EQ(0, viommu_config_flags(&c) & ~VIOMMU_FLAGS_KNOWN);
	}
}

TEST(only_ssidsize_auto_is_migration_unsafe)
{
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN];
	const char *why = "unset";
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flag_rows); i++) {
		bool unsafe = strstr(flag_rows[i].config, "ssidsize=auto");

		ASSERT_EQ(0, parse(flag_rows[i].config, &c, err));
		EXPECT_EQ(!unsafe, viommu_config_migration_safe(&c, &why))
			TH_LOG("%s", flag_rows[i].config);
		EXPECT_EQ(unsafe, why != NULL);
		if (unsafe)
			EXPECT_NE(NULL, strstr(why, "from the host"));
	}
}

/* ---- the model's record of what it was shown ---- */

static void vtd_info(uint8_t *d, uint32_t flags, uint64_t cap, uint64_t ecap)
{
	int i;

	memset(d, 0, VTD_INFO_LEN);
	for (i = 0; i < 4; i++)
		d[i] = flags >> (8 * i);
	for (i = 0; i < 8; i++) {
		d[8 + i] = cap >> (8 * i);
		d[16 + i] = ecap >> (8 * i);
	}
}

static struct viommu_hiod vtd_hiod(uint64_t cap, unsigned int aw,
				   bool bridge)
{
	struct viommu_hiod h = {
		.dev_id = 7,
		.hwpt_id = 9,
		.hw_info_type = VIOMMU_HW_INFO_TYPE_INTEL_VTD,
		.data_len = VTD_INFO_LEN,
		.host_aw_bits = aw,
		.behind_bridge = bridge,
	};

	vtd_info(h.data, VTD_INFO_ERRATA_772415_SPR17, cap,
		 VTD_ECAP_NEST | VTD_ECAP_SMTS);
	return h;
}

TEST(records_flags_before_host_info)
{
	struct viommu_config c;
	struct viommu v;
	struct viommu_hiod h = vtd_hiod(VTD_CAP_FS1GP, 48, false);
	char err[VIOMMU_ERR_LEN];

	ASSERT_EQ(0, parse("intel-iommu,x-scalable-mode=on,x-flts=on", &c, err));
	viommu_init(&v, &c);
	ASSERT_EQ(VIOMMU_FLAG_WANT_NESTING_PARENT, viommu_get_flags(&v));
	ASSERT_EQ(HOST_IOMMU_QUIRK_NESTING_PARENT_BYPASS_RO,
		  viommu_get_host_quirks(&v, h.hw_info_type, h.data,
					 h.data_len));
	ASSERT_EQ(0, viommu_set_iommu_device(&v, &h, err, sizeof(err)));
	ASSERT_EQ(VIOMMU_FLAG_WANT_NESTING_PARENT, viommu_get_flags(&v));
	viommu_unset_iommu_device(&v, h.dev_id);

	ASSERT_EQ(5, v.nr_records);
	ASSERT_EQ(VIOMMU_EV_GET_FLAGS, v.log[0].event);
	ASSERT_FALSE(v.log[0].host_info_known);
	ASSERT_EQ(VIOMMU_EV_GET_HOST_QUIRKS, v.log[1].event);
	ASSERT_TRUE(v.log[1].host_info_known);
	ASSERT_EQ(VIOMMU_EV_SET_IOMMU_DEVICE, v.log[2].event);
	ASSERT_TRUE(v.log[2].host_info_known);
	ASSERT_EQ(1, v.log[2].answer);
	ASSERT_EQ(7, v.log[2].dev_id);
	/* the same answer once the host is known */
	ASSERT_EQ(VIOMMU_EV_GET_FLAGS, v.log[3].event);
	ASSERT_TRUE(v.log[3].host_info_known);
	ASSERT_EQ(v.log[0].answer, v.log[3].answer);
	ASSERT_EQ(VIOMMU_EV_UNSET_IOMMU_DEVICE, v.log[4].event);
	ASSERT_EQ(NULL, viommu_find_hiod(&v, 7));
}

TEST(log_is_bounded)
{
	struct viommu_config c;
	struct viommu v;
	char err[VIOMMU_ERR_LEN];
	int i;

	ASSERT_EQ(0, parse("none", &c, err));
	viommu_init(&v, &c);
	for (i = 0; i < VIOMMU_LOG_MAX + 10; i++)
		viommu_get_flags(&v);
	ASSERT_EQ(VIOMMU_LOG_MAX, v.nr_records);
}

/* ---- host quirks ---- */

TEST(quirks_from_vtd_errata_only)
{
	struct viommu_config c;
	struct viommu v;
	uint8_t d[VTD_INFO_LEN];
	char err[VIOMMU_ERR_LEN];

	ASSERT_EQ(0, parse("intel-iommu", &c, err));
	viommu_init(&v, &c);
	vtd_info(d, VTD_INFO_ERRATA_772415_SPR17, 0, 0);
	ASSERT_EQ(HOST_IOMMU_QUIRK_NESTING_PARENT_BYPASS_RO,
		  viommu_get_host_quirks(&v, VIOMMU_HW_INFO_TYPE_INTEL_VTD, d,
					 sizeof(d)));
	vtd_info(d, 0, ~0ULL, ~0ULL);
	ASSERT_EQ(0, viommu_get_host_quirks(&v, VIOMMU_HW_INFO_TYPE_INTEL_VTD,
					    d, sizeof(d)));
	/* the same bit means nothing for another vendor */
	vtd_info(d, VTD_INFO_ERRATA_772415_SPR17, 0, 0);
	ASSERT_EQ(0, viommu_get_host_quirks(&v, VIOMMU_HW_INFO_TYPE_SELFTEST,
					    d, sizeof(d)));
	ASSERT_EQ(0, viommu_get_host_quirks(&v, VIOMMU_HW_INFO_TYPE_INTEL_VTD,
					    d, 3));
	ASSERT_EQ(0, viommu_get_host_quirks(&v, VIOMMU_HW_INFO_TYPE_INTEL_VTD,
					    NULL, 0));
	/* quirks never change flags */
	ASSERT_EQ(0, viommu_get_flags(&v));
}

/* ---- set_iommu_device checks, on synthetic hw_info ---- */

struct hiod_case {
	const char *config;
	struct viommu_hiod hiod;
	const char *refusal;	/* NULL: accepted */
};

static int check(const char *config, const struct viommu_hiod *h, char *why)
{
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN];

	if (parse(config, &c, err))
		return -100;
	why[0] = 0;
	return viommu_check_hiod(&c, h, why, VIOMMU_ERR_LEN);
}

#define FLTS "intel-iommu,x-scalable-mode=on,x-flts=on"

TEST(vtd_checks)
{
	struct viommu_hiod h;
	char why[VIOMMU_ERR_LEN];

	h = vtd_hiod(VTD_CAP_FS1GP, 48, false);
	ASSERT_EQ(0, check(FLTS, &h, why)) TH_LOG("%s", why);
	ASSERT_EQ(0, check("intel-iommu", &h, why));

	h = vtd_hiod(VTD_CAP_FS1GP, 39, false);
	ASSERT_EQ(-EINVAL, check("intel-iommu", &h, why));
	ASSERT_STREQ("aw-bits=48 exceeds the host address width of 39 bits", why);
	ASSERT_EQ(0, check("intel-iommu,aw-bits=39", &h, why));
	ASSERT_EQ(-EINVAL, check(FLTS, &h, why));
	ASSERT_STREQ("aw-bits=48 exceeds the host address width of 39 bits", why);

	h = vtd_hiod(0, 48, false);
	ASSERT_EQ(-EINVAL, check(FLTS, &h, why));
	ASSERT_STREQ("fs1gp=on but the host cap_reg 0x0 lacks FS1GP (bit 56)", why);
	ASSERT_EQ(0, check(FLTS ",fs1gp=off", &h, why));
	/* x-flts=off checks nothing but the width */
	ASSERT_EQ(0, check("intel-iommu,x-scalable-mode=on", &h, why));

	h = vtd_hiod(VTD_CAP_FS1GP, 48, true);
	ASSERT_EQ(-EINVAL, check(FLTS, &h, why));
	ASSERT_STREQ("x-flts=on cannot use a host device behind a PCI bridge", why);
	ASSERT_EQ(0, check("intel-iommu,x-scalable-mode=on,x-flts=off", &h, why));

	h = vtd_hiod(VTD_CAP_FS1GP, 48, false);
	h.hw_info_type = VIOMMU_HW_INFO_TYPE_SELFTEST;
	ASSERT_EQ(-EINVAL, check(FLTS, &h, why));
	ASSERT_STREQ("x-flts=on needs a host VT-d IOMMU: hw_info type is 0xfeedbeef, expected INTEL_VTD (0x1)",
		     why);
	/* without x-flts the vendor does not matter */
	ASSERT_EQ(0, check("intel-iommu", &h, why));

	h = vtd_hiod(VTD_CAP_FS1GP, 48, false);
	h.data_len = 16;
	ASSERT_EQ(-EINVAL, check(FLTS, &h, why));
	ASSERT_STREQ("VT-d hw_info too short: 16 bytes, expected 24", why);
}

/* IDRs of a capable host SMMUv3: S1P, S2P, AArch64, LE, ATS, 16-bit SIDs,
 * 20-bit SSIDs, RIL, OAS 48 bits, 4K and 64K granules.
 */
static struct viommu_hiod smmu_hiod(void)
{
	uint32_t idr[SMMUV3_IDR_MAX] = {
		[0] = 0x3 | (2u << 2) | (1u << 10) | (2u << 21),
		[1] = 16 | (20u << 6),
		[3] = 1u << 10,
		[5] = 5 | (1u << 4) | (1u << 6),
	};
	struct viommu_hiod h = {
		.hw_info_type = VIOMMU_HW_INFO_TYPE_ARM_SMMUV3,
		.data_len = SMMUV3_INFO_LEN,
		.host_aw_bits = 48,
	};
	int i, b;

	for (i = 0; i < SMMUV3_IDR_MAX; i++)
		for (b = 0; b < 4; b++)
			h.data[8 + 4 * i + b] = idr[i] >> (8 * b);
	return h;
}

static void set_idr(struct viommu_hiod *h, int i, uint32_t val)
{
	int b;

	for (b = 0; b < 4; b++)
		h->data[8 + 4 * i + b] = val >> (8 * b);
}

static uint32_t get_idr(const struct viommu_hiod *h, int i)
{
	return h->data[8 + 4 * i] | h->data[9 + 4 * i] << 8 |
	       h->data[10 + 4 * i] << 16 | (uint32_t)h->data[11 + 4 * i] << 24;
}

#define ACCEL "arm-smmuv3,accel=on"

TEST(smmuv3_checks)
{
	static const struct {
		int idr;
		uint32_t clear, set;
		const char *config;
		const char *why;
	} cases[] = {
		{ 0, 0x1, 0, ACCEL, "host SMMU lacks stage 1 and stage 2 (IDR0.S1P/S2P)" },
		{ 0, 0x2, 0, ACCEL, "host SMMU lacks stage 1 and stage 2 (IDR0.S1P/S2P)" },
		{ 0, 3u << 2, 1u << 2, ACCEL, "host SMMU lacks AArch64 tables (IDR0.TTF)" },
		{ 0, 0, 3u << 21, ACCEL, "host SMMU is big-endian only (IDR0.TTENDIAN)" },
		{ 1, 0x3f, 8, ACCEL, "host SIDSIZE 8 is below the vSMMU's 16 bits" },
		{ 1, 0x1f << 6, 8 << 6, ACCEL ",ssidsize=20", "ssidsize=20 exceeds the host SSIDSIZE of 8" },
		{ 3, 1u << 10, 0, ACCEL, "ril=on but the host lacks range invalidation (IDR3.RIL)" },
		{ 5, 0x7, 4, ACCEL ",oas=48", "oas=48 exceeds the host OAS code 4" },
		{ 5, 0x7, 7, ACCEL, "oas=44 exceeds the host OAS code 7" },
		{ 0, 1u << 10, 0, ACCEL ",ats=on", "ats=on but the host lacks ATS (IDR0.ATS)" },
		{ 5, 1u << 4, 0, ACCEL, "host SMMU lacks the 4K granule the vSMMU uses (IDR5.GRAN4K)" },
	};
	struct viommu_hiod h = smmu_hiod();
	char why[VIOMMU_ERR_LEN];
	unsigned int i;

	ASSERT_EQ(0, check(ACCEL ",ssidsize=20,oas=48,ats=on", &h, why))
		TH_LOG("%s", why);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		h = smmu_hiod();
		set_idr(&h, cases[i].idr,
			(get_idr(&h, cases[i].idr) & ~cases[i].clear) |
			cases[i].set);
		EXPECT_EQ(-EINVAL, check(cases[i].config, &h, why))
			TH_LOG("case %u accepted", i);
		EXPECT_STREQ(cases[i].why, why);
	}
	/* the same weak host is fine for the features it was not asked for */
	h = smmu_hiod();
	set_idr(&h, 3, 0);
	ASSERT_EQ(0, check(ACCEL ",ril=off", &h, why));
	ASSERT_EQ(0, check("arm-smmuv3", &h, why));

	h = smmu_hiod();
	h.hw_info_type = VIOMMU_HW_INFO_TYPE_INTEL_VTD;
	ASSERT_EQ(-EINVAL, check(ACCEL, &h, why));
	ASSERT_STREQ("accel=on needs a host SMMUv3: hw_info type is 0x1, expected ARM_SMMUV3 (0x2)",
		     why);
	ASSERT_EQ(0, check("arm-smmuv3,accel=off", &h, why));
	h = smmu_hiod();
	h.data_len = 39;
	ASSERT_EQ(-EINVAL, check(ACCEL, &h, why));
	ASSERT_STREQ("SMMUv3 hw_info too short: 39 bytes, expected 40", why);
}

TEST(selftest_virtio_none_checks)
{
	struct viommu_hiod h = smmu_hiod();
	char why[VIOMMU_ERR_LEN];

	ASSERT_EQ(-EINVAL, check("selftest-iommu,nesting=on", &h, why));
	ASSERT_STREQ("nesting=on needs the mock IOMMU: hw_info type is 0x2, expected SELFTEST (0xfeedbeef)",
		     why);
	ASSERT_EQ(0, check("selftest-iommu,nesting=off", &h, why));
	h.hw_info_type = VIOMMU_HW_INFO_TYPE_SELFTEST;
	h.data_len = 0;
	ASSERT_EQ(0, check("selftest-iommu,nesting=on", &h, why));
	/* aw-bits, when given, is checked as intel-iommu's is */
	h.host_aw_bits = 31;
	ASSERT_EQ(0, check("selftest-iommu,nesting=on,aw-bits=31", &h, why));
	ASSERT_EQ(-EINVAL, check("selftest-iommu,nesting=on,aw-bits=32", &h, why));
	ASSERT_STREQ("aw-bits=32 exceeds the host address width of 31 bits", why);
	/* no refusal whatever the host */
	h.host_aw_bits = 1;
	h.behind_bridge = true;
	ASSERT_EQ(0, check("virtio-iommu", &h, why));
	ASSERT_EQ(0, check("none", &h, why));
}

TEST(set_iommu_device_bookkeeping)
{
	struct viommu_config c;
	struct viommu v;
	struct viommu_hiod h = vtd_hiod(VTD_CAP_FS1GP, 48, false);
	char err[VIOMMU_ERR_LEN];
	int i;

	ASSERT_EQ(0, parse(FLTS, &c, err));
	viommu_init(&v, &c);
	ASSERT_EQ(0, viommu_set_iommu_device(&v, &h, err, sizeof(err)));
	ASSERT_EQ(-1, viommu_set_iommu_device(&v, &h, err, sizeof(err)));
	ASSERT_STREQ("device 7 already has a host IOMMU device", err);
	ASSERT_EQ(9, viommu_find_hiod(&v, 7)->hwpt_id);
	/* a refusal stores nothing */
	h.dev_id = 8;
	h.behind_bridge = true;
	ASSERT_EQ(-1, viommu_set_iommu_device(&v, &h, err, sizeof(err)));
	ASSERT_EQ(NULL, viommu_find_hiod(&v, 8));
	ASSERT_EQ(0, v.log[v.nr_records - 1].answer);
	h.behind_bridge = false;
	for (i = 1; i < VIOMMU_MAX_DEVICES; i++) {
		h.dev_id = 100 + i;
		ASSERT_EQ(0, viommu_set_iommu_device(&v, &h, err, sizeof(err)));
	}
	h.dev_id = 500;
	ASSERT_EQ(-1, viommu_set_iommu_device(&v, &h, err, sizeof(err)));
	ASSERT_STREQ("more than 16 devices", err);
	viommu_unset_iommu_device(&v, 101);
	ASSERT_EQ(VIOMMU_MAX_DEVICES - 1, v.nr_hiods);
	ASSERT_EQ(0, viommu_set_iommu_device(&v, &h, err, sizeof(err)));
}

TEST(aw_bits_from_iova_range)
{
	ASSERT_EQ(0, viommu_aw_bits_from_last(0));
	ASSERT_EQ(31, viommu_aw_bits_from_last((1ULL << 31) - 1));
	ASSERT_EQ(39, viommu_aw_bits_from_last((1ULL << 39) - 1));
	ASSERT_EQ(48, viommu_aw_bits_from_last((1ULL << 48) - 1));
	ASSERT_EQ(64, viommu_aw_bits_from_last(~0ULL));
}

TEST(kind_names)
{
	ASSERT_STREQ("intel-iommu", viommu_kind_name(VIOMMU_KIND_INTEL));
	ASSERT_STREQ("selftest-iommu", viommu_kind_name(VIOMMU_KIND_SELFTEST));
	ASSERT_STREQ("?", viommu_kind_name((enum viommu_kind)99));
}

TEST_HARNESS_MAIN
