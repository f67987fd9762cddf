// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the vIOMMU model: config keys and errors, the flags table,
 * migration safety, host quirks, set_iommu_device() checks on synthetic
 * hw_info, and flags that never depend on the host.  No kernel needed:
 * gcc and cmocka.
 *
 *   viommu_model_test [PATTERN]   TAP on stdout; PATTERN (* and ? globs)
 *                                 picks tests by name
 */
#include <dirent.h>
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

#include "hw_info.h"
#include "kinds/kinds.h"
#include "viommu_model.h"

/*
 * A miss is noted and counted, and the test goes on, so that one run
 * names every bad row of a table; the test fails at its end, on
 * assert_int_equal(0, misses).
 */
static void expect_int_at(unsigned int *misses, const char *file, int line,
			  const char *expr, intmax_t want, intmax_t got,
			  const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (want == got)
		return;
	(*misses)++;
	snprintf(what, sizeof(what), "%s is %jd, expected %jd", expr, got,
		 want);
	va_start(ap, fmt);
	unit_vnote(file, line, what, fmt, ap);
	va_end(ap);
}

static void expect_str_at(unsigned int *misses, const char *file, int line,
			  const char *expr, const char *want, const char *got,
			  const char *fmt, ...)
{
	char what[512];
	va_list ap;

	if (want && got && !strcmp(want, got))
		return;
	(*misses)++;
	snprintf(what, sizeof(what), "%s is \"%s\", expected \"%s\"", expr,
		 got ? got : "(null)", want ? want : "(null)");
	va_start(ap, fmt);
	unit_vnote(file, line, what, fmt, ap);
	va_end(ap);
}

#define expect_int(misses, want, got, ...) \
	expect_int_at(&(misses), __FILE__, __LINE__, #got, (want), (got), \
		      __VA_ARGS__)
#define expect_str(misses, want, got, ...) \
	expect_str_at(&(misses), __FILE__, __LINE__, #got, (want), (got), \
		      __VA_ARGS__)

static int parse(const char *str, struct viommu_config *cfg, char *err)
{
	return viommu_config_parse(str, cfg, err, VIOMMU_ERR_LEN);
}

/* ---- config parsing: every key and its default ---- */

static void defaults_of_every_kind(void **state)
{
	struct viommu_config c, again;
	char err[VIOMMU_ERR_LEN], buf[128];
	unsigned int i;

	assert_int_equal(0, parse("intel-iommu", &c, err));
	assert_int_equal(VIOMMU_KIND_INTEL, c.kind);
	assert_false(c.scalable_mode);
	assert_false(c.fsts);
	assert_int_equal(0, c.pasid_bits);
	assert_int_equal(48, c.aw_bits);
	assert_true(c.fs1gp);
	assert_false(c.caching_mode);
	assert_true(c.dma_translation);
	assert_int_equal(VIOMMU_AUTO, c.intremap);
	assert_int_equal(0, parse("arm-smmuv3", &c, err));
	assert_int_equal(VIOMMU_KIND_SMMUV3, c.kind);
	assert_false(c.accel);
	/* 11.1: the host decides unless told */
	assert_int_equal(VIOMMU_SSIDSIZE_AUTO, c.ssidsize);
	assert_int_equal(VIOMMU_OAS_AUTO, c.oas);
	assert_int_equal(VIOMMU_AUTO, c.ril);
	assert_int_equal(VIOMMU_AUTO, c.ats);
	assert_int_equal(VIOMMU_AUTO, c.cmdqv);
	assert_string_equal("1", c.stage);
	assert_int_equal(0, parse("selftest-iommu", &c, err));
	assert_false(c.nesting);
	assert_int_equal(0, parse("virtio-iommu", &c, err));
	assert_int_equal(VIOMMU_KIND_VIRTIO, c.kind);
	assert_int_equal(0, c.granule);
	assert_int_equal(64, c.aw_bits);
	assert_true(c.boot_bypass);
	assert_int_equal(0, parse("virtio-iommu-pci", &c, err));
	assert_int_equal(VIOMMU_KIND_VIRTIO, c.kind);
	assert_int_equal(0, parse("amd-iommu", &c, err));
	assert_int_equal(VIOMMU_KIND_AMD, c.kind);
	assert_false(c.dma_remap);
	assert_int_equal(0, parse("none", &c, err));
	assert_int_equal(VIOMMU_KIND_NONE, c.kind);

	/* every row of the registry: its defaults parse and round trip */
	for (i = 0; i < viommu_nr_kinds; i++) {
		assert_true(viommu_kinds[i]->nr_keys <= 32);
		assert_int_why(0, parse(viommu_kind_name(i), &c, err), "%s",
			       err);
		assert_int_equal(i, c.kind);
		viommu_config_format(&c, buf, sizeof(buf));
		assert_int_why(0, parse(buf, &again, err), "%s: %s", buf, err);
		assert_memory_equal(&c, &again, sizeof(c));
	}
}

static void intel_keys(void **state)
{
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN];

	assert_int_why(0, parse("intel-iommu,scalable-mode=on,fsts=on,aw-bits=48,fs1gp=on,pasid-bits=20,caching-mode=on",
				&c, err), "%s", err);
	assert_true(c.scalable_mode);
	assert_true(c.fsts);
	assert_int_equal(48, c.aw_bits);
	assert_true(c.fs1gp);
	assert_int_equal(20, c.pasid_bits);
	assert_true(c.caching_mode);
	assert_int_equal(0, parse("intel-iommu,aw-bits=39,fs1gp=off,scalable-mode=true",
				  &c, err));
	assert_int_equal(39, c.aw_bits);
	assert_false(c.fs1gp);
	assert_true(c.scalable_mode);
	/* QEMU's number syntax: hex too; a repeated key takes the last */
	assert_int_equal(0, parse("intel-iommu,aw-bits=0x27", &c, err));
	assert_int_equal(39, c.aw_bits);
	assert_int_equal(0, parse("intel-iommu,caching-mode=on,caching-mode=off",
				  &c, err));
	assert_false(c.caching_mode);
	/* a bare key is the short form of key=on */
	assert_int_equal(0, parse("intel-iommu,caching-mode", &c, err));
	assert_true(c.caching_mode);
}

static void smmuv3_keys(void **state)
{
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN];

	assert_int_why(0, parse("arm-smmuv3,accel=on,ssidsize=20,oas=48,ril=off,ats=on,stage=1",
				&c, err), "%s", err);
	assert_true(c.accel);
	assert_int_equal(20, c.ssidsize);
	assert_int_equal(48, c.oas);
	assert_int_equal(VIOMMU_OFF, c.ril);
	assert_int_equal(VIOMMU_ON, c.ats);
	assert_int_equal(0, parse("arm-smmuv3,accel=on,ssidsize=auto", &c,
				  err));
	assert_int_equal(VIOMMU_SSIDSIZE_AUTO, c.ssidsize);
	assert_int_equal(0, parse("arm-smmuv3,accel=on,ssidsize=0", &c, err));
	assert_int_equal(0, c.ssidsize);
}

static void selftest_keys(void **state)
{
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN];

	assert_int_equal(0, parse("selftest-iommu,nesting=on", &c, err));
	assert_true(c.nesting);
	assert_int_equal(0, parse("selftest-iommu,nesting=off", &c, err));
	assert_false(c.nesting);
	assert_int_equal(0, c.aw_bits);
	assert_int_equal(0, parse("selftest-iommu,aw-bits=30", &c, err));
	assert_int_equal(30, c.aw_bits);
	/* bits 2 and 3 on request, and only for a nesting parent */
	assert_int_equal(0, parse("selftest-iommu,nesting=on,dirty=on", &c, err));
	assert_int_equal(0x5, viommu_config_flags(&c));
	assert_int_equal(0, parse("selftest-iommu,nesting=on,pasid=on", &c, err));
	assert_int_equal(0x9, viommu_config_flags(&c));
	assert_int_equal(0, parse("selftest-iommu,nesting=on,dirty=on,pasid=on",
				  &c, err));
	assert_int_equal(0xf & ~VIOMMU_FLAG_PASID_SUPPORTED,
			 viommu_config_flags(&c));
	assert_true(viommu_config_format(&c, err, sizeof(err)) > 0);
	assert_string_equal("selftest-iommu,nesting=on,dirty=on,pasid=on", err);
	assert_int_equal(-EINVAL, parse("selftest-iommu,dirty=on", &c, err));
	assert_string_equal("dirty=on needs nesting=on", err);
	assert_int_equal(-EINVAL, parse("selftest-iommu,pasid=on", &c, err));
	assert_string_equal("pasid=on needs nesting=on", err);
}

static void every_bool_spelling(void **state)
{
	static const char *const on[] = { "on", "yes", "true", "y" };
	static const char *const off[] = { "off", "no", "false", "n" };
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN], str[64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(on); i++) {
		snprintf(str, sizeof(str), "selftest-iommu,nesting=%s", on[i]);
		assert_int_equal(0, parse(str, &c, err));
		assert_true(c.nesting);
		snprintf(str, sizeof(str), "selftest-iommu,nesting=%s", off[i]);
		assert_int_equal(0, parse(str, &c, err));
		assert_false(c.nesting);
	}
}

/* ---- config errors: every message names the key and what is allowed ---- */

struct bad_config {
	const char *str;
	const char *msg;
};

static const struct bad_config bad_configs[] = {
	{ "", "empty vIOMMU config: expected none, virtio-iommu, intel-iommu, arm-smmuv3, selftest-iommu or amd-iommu" },
	{ "smmuv3", "unknown vIOMMU kind 'smmuv3': expected none, virtio-iommu, intel-iommu, arm-smmuv3, selftest-iommu or amd-iommu" },
	{ "intel-iommu,fsts=on", "fsts is only available in scalable mode" },
	{ "intel-iommu,aw-bits=52", "Legacy mode: supported values for aw-bits are: 39, 48" },
	{ "intel-iommu,scalable-mode=on,aw-bits=52", "Scalable mode(fsts=off): supported values for aw-bits are: 39, 48" },
	{ "intel-iommu,scalable-mode=on,fsts=on,aw-bits=39", "Scalable mode(fsts=on): supported value for aw-bits is: 48" },
	{ "intel-iommu,aw-bits=4x", "Parameter 'aw-bits' expects integer" },
	{ "intel-iommu,aw-bits=039", "Parameter 'aw-bits' expects integer" },
	{ "intel-iommu,aw-bits=", "Parameter 'aw-bits' expects integer" },
	{ "intel-iommu,aw-bits=-39", "Parameter 'aw-bits' expects uint8_t" },
	{ "intel-iommu,aw-bits=256", "Parameter 'aw-bits' expects uint8_t" },
	{ "intel-iommu,pasid-bits=20", "Need to set scalable mode for PASID" },
	{ "intel-iommu,scalable-mode=on,pasid-bits=21", "PASID width 21 exceeds Max PASID Width 20 allowed in PCI spec" },
	{ "intel-iommu,svm=on", "Need to set device IOTLB for svm" },
	{ "intel-iommu,scalable-mode=on,svm=on,device-iotlb=on", "Need to set fsts for svm" },
	{ "intel-iommu,scalable-mode=on,fsts=on,svm=on,device-iotlb=on,dma-translation=off", "Need to set dma-translation for svm" },
	{ "intel-iommu,scalable-mode=on,fsts=on,svm=on,device-iotlb=on", "Need to set PASID support for svm" },
	{ "intel-iommu,eim=on,intremap=off", "eim=on cannot be selected without intremap=on" },
	{ "intel-iommu,intremap=maybe", "Parameter 'intremap' does not accept value 'maybe'" },
	{ "intel-iommu,x-flts=on", "Property 'intel-iommu.x-flts' not found (QEMU 11.1 renamed it 'fsts')" },
	{ "intel-iommu,bogus=on", "Property 'intel-iommu.bogus' not found (expected scalable-mode, fsts, pasid-bits, svm, fs1gp, aw-bits, caching-mode, intremap, device-iotlb, dma-translation, eim, snoop-control, stale-tm or version)" },
	{ "intel-iommu,fs1gp=maybe", "Parameter 'fs1gp' expects 'on' or 'off'" },
	{ "intel-iommu,fs1gp=ON", "Parameter 'fs1gp' expects 'on' or 'off'" },
	{ "intel-iommu,=on", "bad option '=on': key empty, or key or value longer than 32" },
	{ "intel-iommu,", "bad option '': expected key=value" },
	{ "arm-smmuv3,accel=on,ssidsize=21", "Parameter 'ssidsize' does not accept value '21'" },
	{ "arm-smmuv3,accel=on,oas=46", "Parameter 'oas' does not accept value '46'" },
	{ "arm-smmuv3,accel=on,oas=52", "QEMU SMMUv3 model only implements auto, 44 bit, or 48 bit OAS. Other OasMode values are not supported." },
	{ "arm-smmuv3,accel=on,stage=nested", "Only stage1 is supported for SMMUv3 with accel=on" },
	{ "arm-smmuv3,ssidsize=20", "ssidsize can only be greater than 0 bits if accel=on" },
	{ "arm-smmuv3,ats=on", "ats can only be enabled if accel=on" },
	{ "arm-smmuv3,accel=off,ril=off", "ril can only be disabled if accel=on" },
	{ "arm-smmuv3,oas=48", "oas must be 44 bits when accel=off" },
	{ "arm-smmuv3,cmdqv=on", "cmdqv can only be enabled if accel=on" },
	{ "virtio-iommu,granule=2k", "Parameter 'granule' does not accept value '2k'" },
	{ "virtio-iommu,aw-bits=31", "aw-bits must be within [32,64]" },
	{ "virtio-iommu,bogus=on", "Property 'virtio-iommu-pci.bogus' not found (expected granule, aw-bits or boot-bypass)" },
	{ "none,x=1", "Property 'none.x' not found (none takes no keys)" },
	{ "selftest-iommu,nest=on", "Property 'selftest-iommu.nest' not found (expected nesting, aw-bits, dirty or pasid)" },
	{ "selftest-iommu,dirty=on", "dirty=on needs nesting=on" },
	{ "selftest-iommu,pasid=on", "pasid=on needs nesting=on" },
	{ "selftest-iommu,aw-bits=65", "aw-bits must be within [0,64], 0 for unchecked" },
	{ "selftest-iommu,aw-bits=wide", "Parameter 'aw-bits' expects integer" },
	{ "selftest-iommu,nesting=2", "Parameter 'nesting' expects 'on' or 'off'" },
	{ "intel-iommu,scalable-mode=onnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn",
	  "bad option 'scalable-mode=onnnnnnnnnnnnnnnnn': key empty, or key or value longer than 32" },
};

static void every_config_error(void **state)
{
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN];
	unsigned int i, misses = 0;

	for (i = 0; i < ARRAY_SIZE(bad_configs); i++) {
		err[0] = 0;
		expect_int(misses, -EINVAL, parse(bad_configs[i].str, &c, err),
			   "accepted '%s'", bad_configs[i].str);
		expect_str(misses, bad_configs[i].msg, err, "for '%s'",
			   bad_configs[i].str);
	}
	assert_int_equal(0, misses);
}

static void null_config_and_tiny_error_buffer(void **state)
{
	struct viommu_config c;
	char err[8];

	assert_int_equal(-EINVAL,
			 viommu_config_parse(NULL, &c, err, sizeof(err)));
	assert_int_equal(7, strlen(err));
	assert_int_equal(-EINVAL, viommu_config_parse("bogus", &c, NULL, 0));
}

static const char *const round_trip_configs[] = {
	"none", "virtio-iommu",
	"intel-iommu", "virtio-iommu,granule=4k,aw-bits=48,boot-bypass=off",
	"intel-iommu,scalable-mode=on,fsts=on,pasid-bits=20,fs1gp=off,caching-mode=on",
	"intel-iommu,aw-bits=39,intremap=off,version=4294967295",
	"arm-smmuv3,accel=on,oas=48,ril=off,ats=on",
	"arm-smmuv3,ssidsize=0,oas=44,ril=on,ats=off,cmdqv=off,stage=2",
	"arm-smmuv3", "amd-iommu,dma-remap=on,pci-id=00:03.0",
	"selftest-iommu,nesting=on",
	"selftest-iommu,nesting=off,aw-bits=30",
};

static void format_round_trips(void **state)
{
	const char *const *strs = round_trip_configs;
	struct viommu_config a, b;
	char err[VIOMMU_ERR_LEN], buf[256];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(round_trip_configs); i++) {
		assert_int_why(0, parse(strs[i], &a, err), "%s", err);
		viommu_config_format(&a, buf, sizeof(buf));
		assert_string_equal(strs[i], buf);
		assert_int_equal(0, parse(buf, &b, err));
		assert_memory_equal(&a, &b, sizeof(a));
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
	{ "intel-iommu,caching-mode=on", 0, VIOMMU_STAGE1_NONE },
	{ "intel-iommu,scalable-mode=on", 0, VIOMMU_STAGE1_NONE },
	{ "intel-iommu,scalable-mode=on,pasid-bits=20", 0, VIOMMU_STAGE1_NONE },
	{ "intel-iommu,scalable-mode=on,fsts=off", 0, VIOMMU_STAGE1_NONE },
	{ "intel-iommu,scalable-mode=on,fsts=on", 0x5, VIOMMU_STAGE1_VTD },
	{ "intel-iommu,scalable-mode=on,fsts=on,fs1gp=off", 0x5,
	  VIOMMU_STAGE1_VTD },
	{ "intel-iommu,scalable-mode=on,fsts=on,pasid-bits=1", 0xf,
	  VIOMMU_STAGE1_VTD },
	{ "intel-iommu,scalable-mode=on,fsts=on,pasid-bits=20", 0xf,
	  VIOMMU_STAGE1_VTD },
	{ "amd-iommu", 0, VIOMMU_STAGE1_NONE },
	{ "virtio-iommu,granule=4k", 0, VIOMMU_STAGE1_NONE },
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

static void flags_table(void **state)
{
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN];
	unsigned int i, misses = 0;

	for (i = 0; i < ARRAY_SIZE(flag_rows); i++) {
		assert_int_equal(0, parse(flag_rows[i].config, &c, err));
		expect_int(misses, flag_rows[i].flags, viommu_config_flags(&c),
			   "flags of %s", flag_rows[i].config);
		expect_int(misses, flag_rows[i].stage1,
			   viommu_config_stage1(&c), "stage-1 of %s",
			   flag_rows[i].config);
		expect_int(misses, 0,
			   viommu_config_flags(&c) & ~VIOMMU_FLAGS_KNOWN,
			   "unknown flags of %s", flag_rows[i].config);
	}
	assert_int_equal(0, misses);
}

/* QEMU blocks migration of any accel=on VM, and of nothing else */
static void only_accel_on_is_migration_unsafe(void **state)
{
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN];
	const char *why = "unset";
	unsigned int i, misses = 0;

	for (i = 0; i < ARRAY_SIZE(flag_rows); i++) {
		bool unsafe = strstr(flag_rows[i].config, "accel=on");

		assert_int_equal(0, parse(flag_rows[i].config, &c, err));
		expect_int(misses, !unsafe,
			   viommu_config_migration_safe(&c, &why), "%s",
			   flag_rows[i].config);
		expect_int(misses, unsafe, why != NULL, "%s",
			   flag_rows[i].config);
		if (unsafe)
			expect_int(misses, true,
				   why && !strcmp(why, "Migration not supported with SMMUv3 accelerator mode enabled"),
				   "%s: why is '%s'", flag_rows[i].config,
				   why ? why : "(null)");
	}
	assert_int_equal(0, misses);
}

/* ---- the model's record of what it was shown ---- */

#define CM "intel-iommu,caching-mode=on"
#define FSTS CM ",scalable-mode=on,fsts=on"

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

static void records_flags_before_host_info(void **state)
{
	struct viommu_config c;
	struct viommu v;
	struct viommu_hiod h = vtd_hiod(VTD_CAP_FS1GP, 48, false);
	char err[VIOMMU_ERR_LEN];

	assert_int_equal(0, parse(FSTS, &c, err));
	viommu_init(&v, &c);
	assert_int_equal(0x5, viommu_get_flags(&v));
	assert_int_equal(HOST_IOMMU_QUIRK_NESTING_PARENT_BYPASS_RO,
			 viommu_get_host_quirks(&v, h.hw_info_type, h.data,
						h.data_len));
	assert_int_equal(0, viommu_set_iommu_device(&v, &h, err, sizeof(err)));
	assert_int_equal(0x5, viommu_get_flags(&v));
	viommu_unset_iommu_device(&v, h.dev_id);

	assert_int_equal(5, v.nr_records);
	assert_int_equal(VIOMMU_EV_GET_FLAGS, v.log[0].event);
	assert_false(v.log[0].host_info_known);
	assert_int_equal(VIOMMU_EV_GET_HOST_QUIRKS, v.log[1].event);
	assert_true(v.log[1].host_info_known);
	assert_int_equal(VIOMMU_EV_SET_IOMMU_DEVICE, v.log[2].event);
	assert_true(v.log[2].host_info_known);
	assert_int_equal(1, v.log[2].answer);
	assert_int_equal(7, v.log[2].dev_id);
	/* the same answer once the host is known */
	assert_int_equal(VIOMMU_EV_GET_FLAGS, v.log[3].event);
	assert_true(v.log[3].host_info_known);
	assert_int_equal(v.log[0].answer, v.log[3].answer);
	assert_int_equal(VIOMMU_EV_UNSET_IOMMU_DEVICE, v.log[4].event);
	assert_null(viommu_find_hiod(&v, 7));
}

static void log_is_bounded(void **state)
{
	struct viommu_config c;
	struct viommu v;
	char err[VIOMMU_ERR_LEN];
	int i;

	assert_int_equal(0, parse("none", &c, err));
	viommu_init(&v, &c);
	for (i = 0; i < VIOMMU_LOG_MAX + 10; i++)
		viommu_get_flags(&v);
	assert_int_equal(VIOMMU_LOG_MAX, v.nr_records);
}

/* ---- host quirks ---- */

static void quirks_from_vtd_errata_only(void **state)
{
	struct viommu_config c;
	struct viommu v;
	const uint32_t vtd = VIOMMU_HW_INFO_TYPE_INTEL_VTD;
	uint8_t d[VTD_INFO_LEN];
	char err[VIOMMU_ERR_LEN];

	assert_int_equal(0, parse("intel-iommu", &c, err));
	viommu_init(&v, &c);
	vtd_info(d, VTD_INFO_ERRATA_772415_SPR17, 0, 0);
	assert_int_equal(HOST_IOMMU_QUIRK_NESTING_PARENT_BYPASS_RO,
			 viommu_get_host_quirks(&v, vtd, d, sizeof(d)));
	vtd_info(d, 0, ~0ULL, ~0ULL);
	assert_int_equal(0, viommu_get_host_quirks(&v, vtd, d, sizeof(d)));
	/* the same bit means nothing for another vendor */
	vtd_info(d, VTD_INFO_ERRATA_772415_SPR17, 0, 0);
	assert_int_equal(0, viommu_get_host_quirks(&v,
						   VIOMMU_HW_INFO_TYPE_SELFTEST,
						   d, sizeof(d)));
	assert_int_equal(0, viommu_get_host_quirks(&v, vtd, d, 3));
	assert_int_equal(0, viommu_get_host_quirks(&v, vtd, NULL, 0));
	/* quirks never change flags */
	assert_int_equal(0, viommu_get_flags(&v));
}

/* ---- set_iommu_device checks, on synthetic hw_info ---- */

static int check(const char *config, const struct viommu_hiod *h, char *why)
{
	struct viommu_config c;
	char err[VIOMMU_ERR_LEN];

	if (parse(config, &c, err))
		return -100;
	why[0] = 0;
	return viommu_check_hiod(&c, h, why, VIOMMU_ERR_LEN);
}


static void vtd_checks(void **state)
{
	struct viommu_hiod h;
	char why[VIOMMU_ERR_LEN];

	h = vtd_hiod(VTD_CAP_FS1GP, 48, false);
	assert_int_why(0, check(FSTS, &h, why), "%s", why);
	assert_int_equal(0, check(CM, &h, why));
	/* 10.2+: no assigned device without caching-mode, checked first */
	assert_int_equal(-EINVAL, check("intel-iommu", &h, why));
	assert_string_equal("Device assignment is not allowed without enabling caching-mode=on for Intel IOMMU.",
			    why);
	h = vtd_hiod(VTD_CAP_FS1GP, 30, true);
	assert_int_equal(-EINVAL, check("intel-iommu,scalable-mode=on", &h,
					why));
	assert_string_equal("Device assignment is not allowed without enabling caching-mode=on for Intel IOMMU.",
			    why);

	h = vtd_hiod(VTD_CAP_FS1GP, 39, false);
	assert_int_equal(-EINVAL, check(CM, &h, why));
	assert_string_equal("aw-bits 48 > host aw-bits 39", why);
	assert_int_equal(0, check(CM ",aw-bits=39", &h, why));
	assert_int_equal(-EINVAL, check(FSTS, &h, why));
	assert_string_equal("aw-bits 48 > host aw-bits 39", why);

	h = vtd_hiod(0, 48, false);
	assert_int_equal(-EINVAL, check(FSTS, &h, why));
	assert_string_equal("First stage 1GB large page is unsupported by host IOMMU",
			    why);
	assert_int_equal(0, check(FSTS ",fs1gp=off", &h, why));
	/* fsts=off checks nothing but caching-mode and the width */
	assert_int_equal(0, check(CM ",scalable-mode=on", &h, why));

	h = vtd_hiod(VTD_CAP_FS1GP, 48, false);
	h.host_pasid_bits = 19;
	assert_int_equal(-EINVAL, check(FSTS ",pasid-bits=20", &h, why));
	assert_string_equal("PASID bits size 20 > host IOMMU PASID bits size 19",
			    why);
	assert_int_equal(0, check(FSTS ",pasid-bits=19", &h, why));

	/* the bridge is where the device sits in the guest */
	h = vtd_hiod(VTD_CAP_FS1GP, 48, true);
	assert_int_equal(-EINVAL, check(FSTS, &h, why));
	assert_string_equal("Host device downstream to a PCI bridge is unsupported when fsts=on",
			    why);
	assert_int_equal(0, check(CM ",scalable-mode=on,fsts=off", &h, why));

	h = vtd_hiod(VTD_CAP_FS1GP, 48, false);
	h.hw_info_type = VIOMMU_HW_INFO_TYPE_SELFTEST;
	assert_int_equal(-EINVAL, check(FSTS, &h, why));
	assert_string_equal("Incompatible host platform IOMMU type -17973521",
			    why);
	/* without fsts the vendor does not matter */
	assert_int_equal(0, check(CM, &h, why));

	h = vtd_hiod(VTD_CAP_FS1GP, 48, false);
	h.data_len = 16;
	assert_int_equal(-EINVAL, check(FSTS, &h, why));
	assert_string_equal("VT-d hw_info too short: 16 bytes, expected 24",
			    why);
}

/* IDRs of a capable host SMMUv3: S1P, S2P, AArch64, LE, ATS, two-level
 * stream table, 16-bit SIDs, 20-bit SSIDs, RIL, OAS 48 bits, every granule.
 */
static struct viommu_hiod smmu_hiod(void)
{
	uint32_t idr[SMMUV3_IDR_MAX] = {
		[0] = 0x3 | (2u << 2) | (1u << 10) | (2u << 21) | (1u << 27),
		[1] = 16 | (20u << 6),
		[3] = 1u << 10,
		[5] = 5 | (7u << 4),
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

static void smmuv3_checks(void **state)
{
	static const struct {
		int idr;
		uint32_t clear, set;
		const char *config;
		const char *why;
	} cases[] = {
		{ 0, 3u << 27, 0, ACCEL, "Host SMMUv3 Stream Table format mismatch (host STLEVEL=0, QEMU STLEVEL=1)" },
		{ 0, 0, 3u << 21, ACCEL, "Host SMMUv3 doesn't support Little-endian translation table" },
		{ 0, 3u << 2, 1u << 2, ACCEL, "Host SMMUv3 doesn't support AArch64 translation table format" },
		{ 1, 0x3f, 8, ACCEL, "Host SMMUv3 SIDSIZE not compatible (host=8, QEMU=16)" },
		{ 1, 0x1f << 6, 8 << 6, ACCEL ",ssidsize=20", "Host SMMUv3 SSIDSIZE not compatible (host=8, QEMU=20)" },
		{ 3, 1u << 10, 0, ACCEL ",ril=on", "Host SMMUv3 doesn't support Range Invalidation" },
		{ 5, 0x7, 4, ACCEL ",oas=48", "Host SMMUv3 supports only 44-bit IPA, but the vSMMU OAS implies 48-bit IPA" },
		{ 0, 1u << 10, 0, ACCEL ",ats=on", "Host SMMUv3 doesn't support Address Translation Services" },
		{ 5, 1u << 4, 0, ACCEL, "Host SMMUv3 doesn't support 4K translation granule" },
		{ 5, 1u << 5, 0, ACCEL, "Host SMMUv3 doesn't support 16K translation granule" },
		{ 5, 1u << 6, 0, ACCEL, "Host SMMUv3 doesn't support 64K translation granule" },
	};
	struct viommu_hiod h = smmu_hiod();
	char why[VIOMMU_ERR_LEN];
	unsigned int i, misses = 0;

	assert_int_why(0, check(ACCEL ",ssidsize=20,oas=48,ats=on", &h, why),
		       "%s", why);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		h = smmu_hiod();
		set_idr(&h, cases[i].idr,
			(get_idr(&h, cases[i].idr) & ~cases[i].clear) |
			cases[i].set);
		expect_int(misses, -EINVAL, check(cases[i].config, &h, why),
			   "case %u accepted", i);
		expect_str(misses, cases[i].why, why, "case %u", i);
	}
	assert_int_equal(0, misses);
	/* the same weak host is fine for the features it was not asked for */
	h = smmu_hiod();
	set_idr(&h, 3, 0);
	assert_int_equal(0, check(ACCEL ",ril=off", &h, why));
	/* auto takes the host's value, so it always fits */
	assert_int_equal(0, check(ACCEL, &h, why));
	assert_int_equal(0, check("arm-smmuv3", &h, why));
	/* S1P and S2P are not compared; OAS 56 (code 7) is fine */
	h = smmu_hiod();
	set_idr(&h, 0, get_idr(&h, 0) & ~0x3u);
	set_idr(&h, 5, get_idr(&h, 5) | 0x7);
	assert_int_why(0, check(ACCEL ",oas=48", &h, why), "%s", why);

	h = smmu_hiod();
	h.hw_info_type = VIOMMU_HW_INFO_TYPE_INTEL_VTD;
	assert_int_equal(-EINVAL, check(ACCEL, &h, why));
	assert_string_equal("Wrong data type (1) for Host SMMUv3 device info",
			    why);
	assert_int_equal(0, check("arm-smmuv3,accel=off", &h, why));
	h = smmu_hiod();
	h.data_len = 39;
	assert_int_equal(-EINVAL, check(ACCEL, &h, why));
	assert_string_equal("SMMUv3 hw_info too short: 39 bytes, expected 40",
			    why);
}

static void selftest_virtio_none_checks(void **state)
{
	struct viommu_hiod h = smmu_hiod();
	char why[VIOMMU_ERR_LEN];

	assert_int_equal(-EINVAL, check("selftest-iommu,nesting=on", &h, why));
	assert_string_equal("nesting=on needs the mock IOMMU: hw_info type is 0x2, expected SELFTEST (0xfeedbeef)",
			    why);
	assert_int_equal(0, check("selftest-iommu,nesting=off", &h, why));
	h.hw_info_type = VIOMMU_HW_INFO_TYPE_SELFTEST;
	h.data_len = 0;
	assert_int_equal(0, check("selftest-iommu,nesting=on", &h, why));
	/* aw-bits, when given, is checked as intel-iommu's is */
	h.host_aw_bits = 31;
	assert_int_equal(0, check("selftest-iommu,nesting=on,aw-bits=31", &h,
				  why));
	assert_int_equal(-EINVAL, check("selftest-iommu,nesting=on,aw-bits=32",
					&h, why));
	assert_string_equal("aw-bits 32 > host aw-bits 31", why);
	/* no refusal whatever the host */
	h.host_aw_bits = 1;
	h.behind_bridge = true;
	assert_int_equal(0, check("virtio-iommu", &h, why));
	assert_int_equal(0, check("none", &h, why));
}

static void set_iommu_device_bookkeeping(void **state)
{
	struct viommu_config c;
	struct viommu v;
	struct viommu_hiod h = vtd_hiod(VTD_CAP_FS1GP, 48, false);
	char err[VIOMMU_ERR_LEN];
	int i;

	assert_int_equal(0, parse(FSTS, &c, err));
	viommu_init(&v, &c);
	assert_int_equal(0, viommu_set_iommu_device(&v, &h, err, sizeof(err)));
	assert_int_equal(-1, viommu_set_iommu_device(&v, &h, err, sizeof(err)));
	assert_string_equal("device 7 already has a host IOMMU device", err);
	assert_int_equal(9, viommu_find_hiod(&v, 7)->hwpt_id);
	/* a refusal stores nothing */
	h.dev_id = 8;
	h.behind_bridge = true;
	assert_int_equal(-1, viommu_set_iommu_device(&v, &h, err, sizeof(err)));
	assert_null(viommu_find_hiod(&v, 8));
	assert_int_equal(0, v.log[v.nr_records - 1].answer);
	h.behind_bridge = false;
	for (i = 1; i < VIOMMU_MAX_DEVICES; i++) {
		h.dev_id = 100 + i;
		assert_int_equal(0, viommu_set_iommu_device(&v, &h, err,
							    sizeof(err)));
	}
	h.dev_id = 500;
	assert_int_equal(-1, viommu_set_iommu_device(&v, &h, err, sizeof(err)));
	assert_string_equal("more than 16 devices", err);
	viommu_unset_iommu_device(&v, 101);
	assert_int_equal(VIOMMU_MAX_DEVICES - 1, v.nr_hiods);
	assert_int_equal(0, viommu_set_iommu_device(&v, &h, err, sizeof(err)));
}

static void aw_bits_from_iova_range(void **state)
{
	assert_int_equal(0, viommu_aw_bits_from_last(0));
	assert_int_equal(31, viommu_aw_bits_from_last((1ULL << 31) - 1));
	assert_int_equal(39, viommu_aw_bits_from_last((1ULL << 39) - 1));
	assert_int_equal(48, viommu_aw_bits_from_last((1ULL << 48) - 1));
	assert_int_equal(64, viommu_aw_bits_from_last(~0ULL));
}

static void kind_names(void **state)
{
	assert_string_equal("intel-iommu", viommu_kind_name(VIOMMU_KIND_INTEL));
	assert_string_equal("selftest-iommu",
			    viommu_kind_name(VIOMMU_KIND_SELFTEST));
	assert_string_equal("?", viommu_kind_name((enum viommu_kind)99));
}

/*
 * ---- flags never depend on the host ----
 *
 * get_viommu_flags() answers from the vIOMMU's configuration alone: for
 * every config we know (the tables above and the fuzzer's config corpus)
 * and every synthetic host, the stateful vIOMMU's answer equals
 * viommu_config_flags() before any host information, after the host's
 * quirks, after one host IOMMU device and after two, whether
 * set_iommu_device() accepted them or not.
 */

#ifndef UNIT_CONFIG_CORPUS
#define UNIT_CONFIG_CORPUS "tests/fuzz/corpus/config"
#endif
/* fewer configs than this from the corpus: it was not read */
#define CORPUS_MIN		5
#define CONFIG_FILE_MAX		4096
#define CHECKS_PER_PAIR		4
#define MISSES_SHOWN		10

/* configs the hiod checks above use */
static const char *const check_configs[] = {
	FSTS ",fs1gp=off", CM ",aw-bits=39", FSTS ",pasid-bits=20",
	ACCEL ",ssidsize=20,oas=48,ats=on", ACCEL ",ril=off",
	ACCEL ",oas=48", ACCEL ",ats=on",
	"selftest-iommu,nesting=on,aw-bits=31",
};

enum host {
	HOST_VTD_NEST,
	HOST_VTD_NO_NEST,
	HOST_SMMU_SSID0,
	HOST_SMMU_SSID20,
	HOST_SELFTEST,
	HOST_NONE,
	NR_HOSTS,
};

static const char *const host_names[NR_HOSTS] = {
	[HOST_VTD_NEST] = "VT-d ecap.NEST=1",
	[HOST_VTD_NO_NEST] = "VT-d ecap.NEST=0",
	[HOST_SMMU_SSID0] = "SMMUv3 IDR1.SSIDSIZE=0",
	[HOST_SMMU_SSID20] = "SMMUv3 IDR1.SSIDSIZE=20",
	[HOST_SELFTEST] = "SELFTEST",
	[HOST_NONE] = "NONE",
};

/* IDR1.SSIDSIZE, bits 10:6 */
static unsigned int ssidsize(const struct viommu_hiod *h)
{
	return (get_idr(h, 1) >> 6) & 0x1f;
}

static void synthetic_hosts(struct viommu_hiod *h)
{
	struct viommu_hiod *st = &h[HOST_SELFTEST];
	uint32_t idr1;
	int i;

	h[HOST_VTD_NEST] = vtd_hiod(VTD_CAP_FS1GP, 48, false);
	h[HOST_VTD_NO_NEST] = vtd_hiod(VTD_CAP_FS1GP, 48, false);
	vtd_info(h[HOST_VTD_NO_NEST].data, 0, VTD_CAP_FS1GP, VTD_ECAP_SMTS);
	h[HOST_SMMU_SSID20] = smmu_hiod();
	h[HOST_SMMU_SSID0] = smmu_hiod();
	idr1 = get_idr(&h[HOST_SMMU_SSID0], 1);
	set_idr(&h[HOST_SMMU_SSID0], 1, idr1 & ~(0x1fu << 6));
	/* struct iommu_test_hw_info: flags, then test_reg */
	memset(st, 0, sizeof(*st));
	st->hw_info_type = VIOMMU_HW_INFO_TYPE_SELFTEST;
	st->data_len = 8;
	for (i = 0; i < 4; i++)
		st->data[4 + i] = 0xdeadbeefu >> (8 * i);
	st->host_aw_bits = 48;
	memset(&h[HOST_NONE], 0, sizeof(h[HOST_NONE]));
	h[HOST_NONE].hw_info_type = VIOMMU_HW_INFO_TYPE_NONE;
	h[HOST_NONE].host_aw_bits = 48;
}

struct host_stats {
	unsigned int configs;
	unsigned int checks;
	unsigned int misses;
	unsigned int refused;
	unsigned int stored[NR_HOSTS];
};

/* What the vIOMMU has been shown so far, for a miss's note. */
struct shown {
	const char *config;
	enum host host[2];
	int accepted[2];
	unsigned int hiods;	/* 0, 1 or 2 */
	bool quirks;
};

static void same_flags(struct host_stats *st, struct viommu *v,
		       uint64_t want, const struct shown *s)
{
	uint64_t got = viommu_get_flags(v);
	char after[256];
	unsigned int i;
	int n = 0;

	st->checks++;
	if (got == want)
		return;
	if (++st->misses > MISSES_SHOWN)
		return;
	after[0] = 0;
	if (!s->quirks)
		snprintf(after, sizeof(after), " before any host information");
	else if (!s->hiods)
		snprintf(after, sizeof(after), " after the quirks of %s",
			 host_names[s->host[0]]);
	for (i = 0; i < s->hiods && n >= 0 && n < (int)sizeof(after); i++)
		n += snprintf(after + n, sizeof(after) - n,
			      "%s hiod %u (%s, %s)", i ? " and" : " after",
			      i + 1, host_names[s->host[i]],
			      s->accepted[i] ? "accepted" : "refused");
	unit_note("'%s'%s: get_viommu_flags 0x%llx, its config alone 0x%llx",
	     s->config, after, (unsigned long long)got,
	     (unsigned long long)want);
}

static void hand_hiod(struct host_stats *st, struct viommu *v,
		      const struct viommu_hiod *hosts, struct shown *s)
{
	struct viommu_hiod h = hosts[s->host[s->hiods]];
	char why[VIOMMU_ERR_LEN];

	h.dev_id = s->hiods + 1;
	s->accepted[s->hiods] = !viommu_set_iommu_device(v, &h, why,
							 sizeof(why));
	if (s->accepted[s->hiods])
		st->stored[s->host[s->hiods]]++;
	else
		st->refused++;
	s->hiods++;
}

/* Every pair of hosts against one config; false if it does not parse. */
static bool flags_against_hosts(struct host_stats *st, const char *config,
				const struct viommu_hiod *hosts)
{
	struct viommu_config cfg;
	struct viommu v;
	unsigned int a, b;
	uint64_t want;

	if (viommu_config_parse(config, &cfg, NULL, 0))
		return false;
	want = viommu_config_flags(&cfg);
	st->configs++;
	for (a = 0; a < NR_HOSTS; a++) {
		for (b = 0; b < NR_HOSTS; b++) {
			struct shown s = {
				.config = config, .host = { a, b },
			};
			const struct viommu_hiod *h = &hosts[a];

			viommu_init(&v, &cfg);
			same_flags(st, &v, want, &s);
			viommu_get_host_quirks(&v, h->hw_info_type, h->data,
					       h->data_len);
			s.quirks = true;
			same_flags(st, &v, want, &s);
			hand_hiod(st, &v, hosts, &s);
			same_flags(st, &v, want, &s);
			hand_hiod(st, &v, hosts, &s);
			same_flags(st, &v, want, &s);
		}
	}
	return true;
}

/* Every file of @dir that parses: how many did, or -errno. */
static int corpus_against_hosts(struct host_stats *st, const char *dir,
				const struct viommu_hiod *hosts)
{
	static char buf[CONFIG_FILE_MAX + 1];
	char path[4096];
	struct dirent *e;
	int parsed = 0;
	size_t n;
	FILE *f;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		/* as the fuzz target reads it: the bytes, up to a NUL */
		n = fread(buf, 1, CONFIG_FILE_MAX, f);
		fclose(f);
		buf[n] = 0;
		parsed += flags_against_hosts(st, buf, hosts);
	}
	closedir(d);
	return parsed;
}

static void flags_ignore_the_host(void **state)
{
	unsigned int i, builtin = 0, floor;
	struct viommu_hiod hosts[NR_HOSTS];
	struct host_stats st = { 0 };
	char why[96];
	int corpus;

	synthetic_hosts(hosts);
	/* the hosts are what their names say */
	assert_int_equal(HW_NESTING_YES,
			 hw_info_nesting(VIOMMU_HW_INFO_TYPE_INTEL_VTD,
					 hosts[HOST_VTD_NEST].data,
					 VTD_INFO_LEN, why, sizeof(why)));
	assert_int_equal(HW_NESTING_NO,
			 hw_info_nesting(VIOMMU_HW_INFO_TYPE_INTEL_VTD,
					 hosts[HOST_VTD_NO_NEST].data,
					 VTD_INFO_LEN, why, sizeof(why)));
	assert_int_equal(0, ssidsize(&hosts[HOST_SMMU_SSID0]));
	assert_int_equal(20, ssidsize(&hosts[HOST_SMMU_SSID20]));

	for (i = 0; i < ARRAY_SIZE(flag_rows); i++, builtin++)
		assert_true(flags_against_hosts(&st, flag_rows[i].config,
						hosts));
	for (i = 0; i < ARRAY_SIZE(round_trip_configs); i++, builtin++)
		assert_true(flags_against_hosts(&st, round_trip_configs[i],
						hosts));
	for (i = 0; i < ARRAY_SIZE(check_configs); i++, builtin++)
		assert_true(flags_against_hosts(&st, check_configs[i], hosts));
	corpus = corpus_against_hosts(&st, UNIT_CONFIG_CORPUS, hosts);

	unit_note("%u configs (%d from %s), %d hosts, %u checks, %u hiods refused",
	     st.configs, corpus < 0 ? 0 : corpus, UNIT_CONFIG_CORPUS,
	     NR_HOSTS, st.checks, st.refused);
	if (st.misses > MISSES_SHOWN)
		unit_note("... and %u more", st.misses - MISSES_SHOWN);
	assert_int_why(0, st.misses, "%u of %u checks saw host-dependent flags",
		       st.misses, st.checks);
	assert_true_why(corpus >= 0, "cannot read %s: %s", UNIT_CONFIG_CORPUS,
			strerror(-corpus));
	assert_true_why(corpus >= CORPUS_MIN,
			"%s: %d configs that parse, expected %d or more",
			UNIT_CONFIG_CORPUS, corpus, CORPUS_MIN);
	floor = (builtin + CORPUS_MIN) * NR_HOSTS * NR_HOSTS * CHECKS_PER_PAIR;
	assert_true_why(st.checks >= floor, "%u checks, expected %u or more",
			st.checks, floor);
	/* every host reached the vIOMMU's state, and some were refused */
	for (i = 0; i < NR_HOSTS; i++)
		assert_true_why(st.stored[i] > 0, "no config accepted %s",
				host_names[i]);
	assert_true(st.refused > 0);
}

static const struct CMUnitTest tests[] = {
	UNIT_TEST(defaults_of_every_kind),
	UNIT_TEST(intel_keys),
	UNIT_TEST(smmuv3_keys),
	UNIT_TEST(selftest_keys),
	UNIT_TEST(every_bool_spelling),
	UNIT_TEST(every_config_error),
	UNIT_TEST(null_config_and_tiny_error_buffer),
	UNIT_TEST(format_round_trips),
	UNIT_TEST(flags_table),
	UNIT_TEST(only_accel_on_is_migration_unsafe),
	UNIT_TEST(records_flags_before_host_info),
	UNIT_TEST(log_is_bounded),
	UNIT_TEST(quirks_from_vtd_errata_only),
	UNIT_TEST(vtd_checks),
	UNIT_TEST(smmuv3_checks),
	UNIT_TEST(selftest_virtio_none_checks),
	UNIT_TEST(set_iommu_device_bookkeeping),
	UNIT_TEST(aw_bits_from_iova_range),
	UNIT_TEST(kind_names),
	UNIT_TEST(flags_ignore_the_host),
};

int unit_tap_group(void)
{
	return cmocka_run_group_tests_name("global", tests, NULL, NULL);
}
