// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of what a vSMMUv3 guest writes (lib/smmu.c): vSTEs
 * within the fields Linux lets through a vIOMMU, the CD, stage-1 tables
 * walked by hand here, and the invalidation commands.  Expected words
 * are written out from the SMMUv3 and VMSA layouts, not computed by the
 * code under test.  gcc and cmocka, no kernel.
 *
 *   smmu_test [PATTERN]   TAP on stdout
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit_tap.h"

#include "smmu.h"

/* The vSTE fields Linux takes from a guest (others: EIO) */
#define STE0_ALLOWED	(0x1ULL | 0xeULL | 0x30ULL | 0x000fffffffffffc0ULL | \
			 0xf800000000000000ULL)
#define STE1_ALLOWED	(0xffULL | (1ULL << 27) | (3ULL << 28))

#define GMEM_SIZE	(64 * 4096)
#define GMEM_IPA	0x100000ULL

/* page-aligned, as the guest memory a VMM maps */
static uint8_t *gmem_buf;

static struct smmu_gmem gmem(void)
{
	struct smmu_gmem g = { .ipa = GMEM_IPA, .size = GMEM_SIZE };

	if (!gmem_buf)
		gmem_buf = aligned_alloc(4096, GMEM_SIZE);
	assert_non_null(gmem_buf);
	memset(gmem_buf, 0xa5, GMEM_SIZE);
	g.va = gmem_buf;
	return g;
}

static void vste_words(void **state)
{
	uint64_t ste[2];

	smmu_vste(ste, SMMU_STE_CFG_S1_TRANS, 0x12340);
	/* V, Config 5, S1ContextPtr; WBRA in and out, inner shareable */
	assert_int_equal(0x1 | 5 << 1 | 0x12340, ste[0]);
	assert_int_equal(1 << 2 | 1 << 4 | 3 << 6, ste[1]);
	assert_int_equal(0, ste[0] & ~STE0_ALLOWED);
	assert_int_equal(0, ste[1] & ~STE1_ALLOWED);
	/* the pointer is 64-byte aligned: low bits never leak in */
	smmu_vste(ste, SMMU_STE_CFG_S1_TRANS, 0x1237f);
	assert_int_equal(0x1 | 5 << 1 | 0x12340, ste[0]);
	smmu_vste(ste, SMMU_STE_CFG_BYPASS, 0x12340);
	assert_int_equal(0x9, ste[0]);
	assert_int_equal(0, ste[1]);
	smmu_vste(ste, SMMU_STE_CFG_ABORT, 0);
	assert_int_equal(0x1, ste[0]);
}

static void cd_words(void **state)
{
	struct smmu_cd_cfg c = {
		.ttb0 = 0x123456789000ULL, .asid = 0x42, .t0sz = SMMU_T0SZ_39,
		.ips = SMMU_IPS_44, .mair = 0xff,
	};
	uint64_t cd[8];
	int i;

	smmu_cd(cd, &c);
	assert_int_equal(25, cd[0] & 0x3f);		/* T0SZ */
	assert_int_equal(0, (cd[0] >> 6) & 3);		/* TG0 4K */
	assert_true(cd[0] & (1ULL << 30));		/* EPD1 */
	assert_true(cd[0] & (1ULL << 31));		/* V */
	assert_int_equal(4, (cd[0] >> 32) & 7);		/* IPS 44 */
	assert_true(cd[0] & (1ULL << 41));		/* AA64 */
	assert_false(cd[0] & (1ULL << 42));		/* HD */
	assert_false(cd[0] & (1ULL << 43));		/* HA */
	assert_false(cd[0] & (1ULL << 44));		/* S: no stall */
	assert_true(cd[0] & (1ULL << 46));		/* A */
	assert_int_equal(0x42, cd[0] >> 48);		/* ASID */
	assert_int_equal(0x123456789000ULL, cd[1]);	/* TTB0 */
	assert_int_equal(0xff, cd[3]);			/* MAIR */
	for (i = 4; i < 8; i++)
		assert_int_equal(0, cd[i]);
}

static uint64_t *table_at(uint64_t desc)
{
	uint64_t ipa = desc & 0x0000fffffffff000ULL;

	assert_int_equal(3, desc & 3);
	assert_true(ipa >= GMEM_IPA && ipa < GMEM_IPA + GMEM_SIZE);
	return (uint64_t *)(gmem_buf + (ipa - GMEM_IPA));
}

static void tables_walked_by_hand(void **state)
{
	const uint64_t iova = 0x8000000 + 0x5000, out = 0x10000000;
	struct smmu_gmem g = gmem();
	struct smmu_s1 s;
	uint64_t *l1, *l2, *l3, pte;

	assert_int_equal(0, smmu_s1_init(&s, &g, SMMU_T0SZ_39));
	assert_int_equal(GMEM_IPA, s.root);
	assert_int_equal(0, smmu_s1_map(&s, iova, out, true));
	l1 = (uint64_t *)gmem_buf;
	/* bits 38:30, 29:21 and 20:12 of the IOVA index the three levels */
	l2 = table_at(l1[0]);
	l3 = table_at(l2[0x40]);
	pte = l3[5];
	assert_int_equal(out, pte & 0x0000fffffffff000ULL);
	assert_int_equal(3, pte & 3);			/* page */
	assert_true(pte & (1ULL << 10));		/* AF */
	assert_true(pte & (1ULL << 6));			/* AP: unprivileged */
	assert_false(pte & (1ULL << 7));		/* AP: writable */
	assert_int_equal(3, (pte >> 8) & 3);		/* inner shareable */
	assert_int_equal(0, (pte >> 2) & 7);		/* AttrIndx 0 */
	assert_ptr_equal(&l3[5], smmu_s1_pte(&s, iova));
	assert_int_equal(out, smmu_pte_ipa(*smmu_s1_pte(&s, iova)));
	/* the next page shares the tables and has no entry */
	assert_ptr_equal(&l3[6], smmu_s1_pte(&s, iova + 4096));
	assert_int_equal((uint64_t)-1, smmu_pte_ipa(l3[6]));
	/* read-only */
	assert_int_equal(0, smmu_s1_map(&s, iova + 4096, out, false));
	assert_true(l3[6] & (1ULL << 7));
	/* elsewhere: no table yet, and none made by a lookup */
	assert_null(smmu_s1_pte(&s, 0x40000000));
	assert_int_equal(0, l1[1]);
}

static void bad_maps_refused(void **state)
{
	struct smmu_gmem g = gmem();
	struct smmu_s1 s;

	assert_int_equal(-EINVAL, smmu_s1_init(&s, &g, 16));
	assert_int_equal(0, smmu_s1_init(&s, &g, SMMU_T0SZ_39));
	assert_int_equal(-EINVAL, smmu_s1_map(&s, 0x1001, 0, true));
	assert_int_equal(-EINVAL, smmu_s1_map(&s, 0x1000, 0x10, true));
	/* beyond the 39 input bits */
	assert_int_equal(-ENOMEM, smmu_s1_map(&s, 1ULL << 39, 0, true));
	assert_null(smmu_s1_pte(&s, 1ULL << 39));
	/* tables run out with guest memory */
	g.size = g.used;
	assert_int_equal(-ENOMEM, smmu_s1_map(&s, 0x200000, 0, true));
}

static void gmem_bounds(void **state)
{
	struct smmu_gmem g = gmem();

	assert_int_equal(GMEM_IPA, smmu_gmem_alloc(&g, 64, 64));
	assert_int_equal(GMEM_IPA + 4096, smmu_gmem_alloc(&g, 8, 4096));
	assert_int_equal(0, gmem_buf[4096]);		/* zeroed */
	assert_int_equal(0xa5, gmem_buf[4096 + 8]);	/* and no more */
	assert_int_equal(0, smmu_gmem_alloc(&g, GMEM_SIZE, 64));
	assert_int_equal(0, smmu_gmem_alloc(&g, 8, 3));
	assert_ptr_equal(gmem_buf + 16, smmu_gmem_ptr(&g, GMEM_IPA + 16, 8));
	/* memory at IPA 0 skips IPA 0: 0 is the allocator's "full" */
	g = gmem();
	g.ipa = 0;
	assert_int_equal(4096, smmu_gmem_alloc(&g, 4096, 4096));
	assert_null(smmu_gmem_ptr(&g, GMEM_IPA - 1, 1));
	assert_null(smmu_gmem_ptr(&g, GMEM_IPA + GMEM_SIZE - 4, 8));
}

static void command_words(void **state)
{
	uint64_t c[2];

	smmu_cmd_cfgi_cd(c, 8, 0, true);
	assert_int_equal(0x05 | 8ULL << 32, c[0]);
	assert_int_equal(1, c[1]);
	smmu_cmd_tlbi_nh_asid(c, 0x42);
	assert_int_equal(0x11 | 0x42ULL << 48, c[0]);
	assert_int_equal(0, c[1]);
	smmu_cmd_tlbi_nh_va(c, 0x42, 0x8005123, true);
	assert_int_equal(0x12 | 0x42ULL << 48, c[0]);
	assert_int_equal(0x8005000 | 1, c[1]);
	smmu_cmd_tlbi_nsnh_all(c);
	assert_int_equal(0x30, c[0]);
	assert_int_equal(0, c[1]);
}

static const struct CMUnitTest tests[] = {
	UNIT_TEST(vste_words),
	UNIT_TEST(cd_words),
	UNIT_TEST(tables_walked_by_hand),
	UNIT_TEST(bad_maps_refused),
	UNIT_TEST(gmem_bounds),
	UNIT_TEST(command_words),
};

int unit_tap_group(void)
{
	return cmocka_run_group_tests_name("global", tests, NULL, NULL);
}
