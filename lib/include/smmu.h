/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest of a vSMMUv3 writes for stage 1: the vSTE it hands to
 * IOMMU_HWPT_ALLOC, its context descriptor, its stage-1 page tables (4K
 * granule, AArch64 long descriptors) and its invalidation commands.
 * Layouts are the SMMUv3 architecture's; every address in them is an IPA,
 * an IOVA of the IOAS.  Pure code: no ioctls, no kernel headers.
 */
#ifndef SMMU_H
#define SMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMMU_PAGE_SIZE		4096ULL

/* STE.Config */
#define SMMU_STE_CFG_ABORT	0
#define SMMU_STE_CFG_BYPASS	4
#define SMMU_STE_CFG_S1_TRANS	5

/* Command opcodes the kernel passes through a vIOMMU */
#define SMMU_CMD_CFGI_CD	0x05
#define SMMU_CMD_CFGI_CD_ALL	0x06
#define SMMU_CMD_TLBI_NH_ASID	0x11
#define SMMU_CMD_TLBI_NH_VA	0x12
#define SMMU_CMD_TLBI_S12_VMALL	0x28
#define SMMU_CMD_TLBI_NSNH_ALL	0x30

/* CD.IPS for 44 bits, QEMU's OAS */
#define SMMU_IPS_44		4
/* T0SZ for a 39-bit input: three levels (1-3) of 4K tables */
#define SMMU_T0SZ_39		25

/* A vSTE: valid, @cfg, and for S1_TRANS the CD at @cd_ipa. */
void smmu_vste(uint64_t ste[2], unsigned int cfg, uint64_t cd_ipa);

struct smmu_cd_cfg {
	uint64_t ttb0;		/* IPA of the level-1 table */
	uint16_t asid;
	unsigned int t0sz;
	unsigned int ips;
	uint64_t mair;
};

/* A valid AArch64 CD, 4K TG0, TTB1 walks disabled, faults recorded. */
void smmu_cd(uint64_t cd[8], const struct smmu_cd_cfg *c);

/* Guest memory: @size bytes at @va, which the IOAS maps at IPA @ipa. */
struct smmu_gmem {
	uint8_t *va;
	uint64_t ipa;
	size_t size;
	size_t used;
};

/* Zeroed, @align-aligned memory from @g: its IPA (never 0), or 0. */
uint64_t smmu_gmem_alloc(struct smmu_gmem *g, size_t size, size_t align);
/* The CPU's pointer to IPA @ipa, or NULL outside @g. */
void *smmu_gmem_ptr(const struct smmu_gmem *g, uint64_t ipa, size_t len);

struct smmu_s1 {
	struct smmu_gmem *g;
	unsigned int t0sz;
	uint64_t root;		/* IPA of the first-level table */
};

/* Only SMMU_T0SZ_39 (levels 1-3) is built; -EINVAL otherwise. */
int smmu_s1_init(struct smmu_s1 *s, struct smmu_gmem *g, unsigned int t0sz);
/* Map the 4K page at @iova to @ipa, read-write or read-only. */
int smmu_s1_map(struct smmu_s1 *s, uint64_t iova, uint64_t ipa, bool write);
/* The level-3 entry for @iova, or NULL when no table covers it. */
uint64_t *smmu_s1_pte(struct smmu_s1 *s, uint64_t iova);
/* The output IPA of a valid page entry, else -1. */
uint64_t smmu_pte_ipa(uint64_t pte);

/* Invalidation commands, two little-endian words each */
void smmu_cmd_cfgi_cd(uint64_t cmd[2], uint32_t sid, uint32_t ssid,
		      bool leaf);
void smmu_cmd_tlbi_nh_asid(uint64_t cmd[2], uint16_t asid);
void smmu_cmd_tlbi_nh_va(uint64_t cmd[2], uint16_t asid, uint64_t iova,
			 bool leaf);
void smmu_cmd_tlbi_nsnh_all(uint64_t cmd[2]);

#endif
