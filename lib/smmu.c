// SPDX-License-Identifier: GPL-2.0
/*
 * The guest side of a vSMMUv3's stage 1 (see smmu.h).  Field
 * positions are the SMMUv3 and AArch64 VMSA architecture's.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "smmu.h"

#define BIT(n)			(1ULL << (n))
#define FIELD(v, lo)		((uint64_t)(v) << (lo))
#define ADDR(a, hi, lo)		((a) & (~0ULL >> (63 - (hi))) & ~(BIT(lo) - 1))

/* STE word 0: V, Config[3:1], S1ContextPtr[51:6]; word 1: S1 cacheability */
#define STE0_V			BIT(0)
#define STE0_CFG		1
#define STE1_S1CIR		2
#define STE1_S1COR		4
#define STE1_S1CSH		6
#define CACHE_WBRA		1
#define SH_INNER		3

/* CD word 0 */
#define CD0_TG0			6
#define CD0_IR0			8
#define CD0_OR0			10
#define CD0_SH0			12
#define CD0_EPD1		BIT(30)
#define CD0_V			BIT(31)
#define CD0_IPS			32
#define CD0_AA64		BIT(41)
#define CD0_R			BIT(45)
#define CD0_A			BIT(46)
#define CD0_ASID		48

/* Long descriptors: table or page (0b11), AttrIndx 0, AP, SH, AF */
#define PTE_TYPE_TABLE		3ULL
#define PTE_TYPE_PAGE		3ULL
#define PTE_AP_UNPRIV		BIT(6)
#define PTE_AP_RDONLY		BIT(7)
#define PTE_SH			8
#define PTE_AF			BIT(10)
#define PTE_ADDR(p)		ADDR(p, 47, 12)

void smmu_vste(uint64_t ste[2], unsigned int cfg, uint64_t cd_ipa)
{
	uint64_t w0 = STE0_V | FIELD(cfg, STE0_CFG), w1 = 0;

	if (cfg == SMMU_STE_CFG_S1_TRANS) {
		w0 |= ADDR(cd_ipa, 51, 6);
		w1 = FIELD(CACHE_WBRA, STE1_S1CIR) |
		     FIELD(CACHE_WBRA, STE1_S1COR) |
		     FIELD(SH_INNER, STE1_S1CSH);
	}
	ste[0] = htole64(w0);
	ste[1] = htole64(w1);
}

void smmu_cd(uint64_t cd[8], const struct smmu_cd_cfg *c)
{
	memset(cd, 0, 8 * sizeof(*cd));
	cd[0] = htole64(FIELD(c->t0sz & 0x3f, 0) | FIELD(0, CD0_TG0) |
			FIELD(CACHE_WBRA, CD0_IR0) |
			FIELD(CACHE_WBRA, CD0_OR0) |
			FIELD(SH_INNER, CD0_SH0) | CD0_EPD1 | CD0_V |
			FIELD(c->ips & 7, CD0_IPS) | CD0_AA64 | CD0_R |
			CD0_A | FIELD(c->asid, CD0_ASID));
	cd[1] = htole64(ADDR(c->ttb0, 51, 4));
	cd[3] = htole64(c->mair);
}

uint64_t smmu_gmem_alloc(struct smmu_gmem *g, size_t size, size_t align)
{
	size_t at = (g->used + align - 1) & ~(align - 1);

	/* 0 means full, so IPA 0 itself is never handed out */
	if (!g->ipa && !at)
		at = align;
	if (!align || (align & (align - 1)) || at > g->size ||
	    size > g->size - at)
		return 0;
	g->used = at + size;
	memset(g->va + at, 0, size);
	return g->ipa + at;
}

void *smmu_gmem_ptr(const struct smmu_gmem *g, uint64_t ipa, size_t len)
{
	if (ipa < g->ipa || ipa - g->ipa > g->size ||
	    len > g->size - (ipa - g->ipa))
		return NULL;
	return g->va + (ipa - g->ipa);
}

int smmu_s1_init(struct smmu_s1 *s, struct smmu_gmem *g, unsigned int t0sz)
{
	if (t0sz != SMMU_T0SZ_39)
		return -EINVAL;
	s->g = g;
	s->t0sz = t0sz;
	s->root = smmu_gmem_alloc(g, SMMU_PAGE_SIZE, SMMU_PAGE_SIZE);
	return s->root ? 0 : -ENOMEM;
}

/* The index of @iova in a table of @level (1: bits 38:30, 3: 20:12) */
static unsigned int index_at(uint64_t iova, int level)
{
	return (iova >> (12 + 9 * (3 - level))) & 511;
}

/* The level-3 entry of @iova; with @grow, tables are made on the way. */
static uint64_t *walk(struct smmu_s1 *s, uint64_t iova, bool grow)
{
	uint64_t table = s->root, next;
	uint64_t *t, *e;
	int level;

	if (iova >> (64 - s->t0sz))
		return NULL;
	for (level = 1; ; level++) {
		t = smmu_gmem_ptr(s->g, table, SMMU_PAGE_SIZE);
		if (!t)
			return NULL;
		e = &t[index_at(iova, level)];
		if (level == 3)
			return e;
		if (!(le64toh(*e) & 1)) {
			if (!grow)
				return NULL;
			next = smmu_gmem_alloc(s->g, SMMU_PAGE_SIZE,
					       SMMU_PAGE_SIZE);
			if (!next)
				return NULL;
			*e = htole64(PTE_ADDR(next) | PTE_TYPE_TABLE);
		}
		table = PTE_ADDR(le64toh(*e));
	}
}

int smmu_s1_map(struct smmu_s1 *s, uint64_t iova, uint64_t ipa, bool write)
{
	uint64_t *e;

	if ((iova | ipa) & (SMMU_PAGE_SIZE - 1))
		return -EINVAL;
	e = walk(s, iova, true);
	if (!e)
		return -ENOMEM;
	*e = htole64(PTE_ADDR(ipa) | PTE_TYPE_PAGE | PTE_AF |
		     FIELD(SH_INNER, PTE_SH) | PTE_AP_UNPRIV |
		     (write ? 0 : PTE_AP_RDONLY));
	return 0;
}

uint64_t *smmu_s1_pte(struct smmu_s1 *s, uint64_t iova)
{
	return walk(s, iova, false);
}

uint64_t smmu_pte_ipa(uint64_t pte)
{
	pte = le64toh(pte);
	return (pte & 3) == PTE_TYPE_PAGE ? PTE_ADDR(pte) : (uint64_t)-1;
}

static void cmd(uint64_t c[2], uint64_t w0, uint64_t w1)
{
	c[0] = htole64(w0);
	c[1] = htole64(w1);
}

void smmu_cmd_cfgi_cd(uint64_t c[2], uint32_t sid, uint32_t ssid, bool leaf)
{
	cmd(c, SMMU_CMD_CFGI_CD | FIELD(ssid & 0xfffff, 12) | FIELD(sid, 32),
	    leaf);
}

void smmu_cmd_tlbi_nh_asid(uint64_t c[2], uint16_t asid)
{
	cmd(c, SMMU_CMD_TLBI_NH_ASID | FIELD(asid, 48), 0);
}

void smmu_cmd_tlbi_nh_va(uint64_t c[2], uint16_t asid, uint64_t iova,
			 bool leaf)
{
	cmd(c, SMMU_CMD_TLBI_NH_VA | FIELD(asid, 48),
	    ADDR(iova, 63, 12) | leaf);
}

void smmu_cmd_tlbi_nsnh_all(uint64_t c[2])
{
	cmd(c, SMMU_CMD_TLBI_NSNH_ALL, 0);
}
