// SPDX-License-Identifier: GPL-2.0
/*
 * Nested translation on a real driver, with DMA: an edu device behind
 * arm-smmu-v3 (QEMU's emulated nested SMMUv3), attached as QEMU 11.1's
 * arm-smmuv3,accel=on attaches it.  The guest memory is the VM's RAM the
 * engine maps at IPA 0 (stage 2); in it the test builds a CD and stage-1
 * tables (lib/smmu.c), and the engine's stage-1 puts a vIOMMU, a
 * vDEVICE and an S1_TRANS vSTE over them.  Then edu DMA must land where
 * both stages point, a stage-1 miss must leave memory untouched, and a
 * changed PTE must take effect once invalidated through the vIOMMU.
 *
 * Devices: BDFs of edu devices bound to vfio-pci, as trailing arguments
 * or IOMMUFD_NEST_BDF; the first on a root bus is used.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nest_kselftest.h"

#include "nest_engine.h"
#include "nest_ioctl_test.h"
#include "backend_cdev.h"
#include "edu.h"
#include "pci_sysfs.h"
#include "smmu.h"
#include "viommu_model.h"
#include "nest_bdfs.h"
#include "nest_blame.h"
#include "nest_trace.h"
#include "nest_util.h"

/* the vIOMMU uAPI came with 6.13: older headers build SKIPs */
#ifdef IOMMU_VIOMMU_ALLOC
#define HAVE_VIOMMU 1
#endif

#define RAM_SIZE	(2u << 20)	/* stage 2: IPA 0..2 MiB */
/*
 * The guest's name for the device.  Its bits are not those of a PCI
 * function's SID on a root bus (0x8 here), so a vSID left in, or a pSID
 * ORed into, a command or an event word shows.
 */
#define VSID		0xa5a5
/* what a guest may write in a TLBI's VMID field: the kernel's replaces it */
#define GUEST_VMID	0x5a5aULL
#define ASID		1
/* stage-1 input addresses: below edu's 28-bit DMA mask, outside RAM */
#define IOVA_A		0x8000000ULL
#define IOVA_B		(IOVA_A + SMMU_PAGE_SIZE)
/* below RAM's end, so only stage 1 keeps a DMA from landing there */
#define IOVA_MISS	0x1000ULL
#define LEN		256

FIXTURE(smmu) {
	int fd;
	struct viommu viommu;
	struct nest_ctx ctx;
	struct nest_dev *dev;
	struct edu *edu;
	struct smmu_gmem g;
	struct smmu_s1 s1;
	uint64_t page[3];	/* IPAs of three data pages */
	uint64_t cd_ipa;	/* the guest's context descriptor */
	struct smmu_cd_cfg cd;
	char bdf[16];
};

static const char *first_edu(void)
{
	unsigned int vendor, device;
	int i;

	for (i = 0; i < nr_bdfs; i++)
		if (!pci_ids(bdfs[i], &vendor, &device) &&
		    vendor == EDU_VENDOR && device == EDU_DEVICE &&
		    !pci_behind_bridge(bdfs[i]))
			return bdfs[i];
	return NULL;
}

#define IORT_PATH	"/sys/firmware/acpi/tables/IORT"
#define IORT_NODE_RC	2
#define IORT_RC_MAF	23	/* root complex: memory access flags */
#define IORT_MAF_CANWBS	(1 << 2)
#define SMMU_IDR3_FWB	(1 << 8)

/* Bit @bit of the memory access flags of every IORT root complex. */
static bool iort_rc_says(uint8_t bit)
{
	uint8_t t[4096];
	uint32_t nodes, off, i;
	bool any = false;
	ssize_t n;
	int fd;

	fd = open(IORT_PATH, O_RDONLY);
	if (fd < 0)
		return false;	/* no ACPI: a device tree has no CANWBS */
	n = read(fd, t, sizeof(t));
	close(fd);
	if (n < 48)
		return false;
	nodes = nest_get_le32(t + 36);
	off = nest_get_le32(t + 40);
	for (i = 0; i < nodes && off + IORT_RC_MAF < n; i++) {
		uint16_t len = t[off + 1] | t[off + 2] << 8;

		if (t[off] == IORT_NODE_RC) {
			if (!(t[off + IORT_RC_MAF] & bit))
				return false;
			any = true;
		}
		if (!len)
			break;
		off += len;
	}
	return any;
}

/*
 * Whether arm-smmu-v3 must give this device a vIOMMU: a guest must not
 * bypass the cache, so it needs CANWBS from the IORT or stage-2 FWB.
 */
/* From the device's hw_info as the engine read it (struct
 * iommu_hw_info_arm_smmuv3: IDR3 after flags, __reserved and IDR0-2)
 */
static bool viommu_allowed(const struct viommu_hiod *h, char *why,
			   size_t len)
{
	bool canwbs = iort_rc_says(IORT_MAF_CANWBS);
	bool fwb = false;

	if (h->hw_info_type == VIOMMU_HW_INFO_TYPE_ARM_SMMUV3 &&
	    h->data_len >= 24)
		fwb = nest_get_le32(h->data + 20) & SMMU_IDR3_FWB;
	snprintf(why, len, "IORT root complex CANWBS=%d, SMMU IDR3.FWB=%d",
		 canwbs, fwb);
	return canwbs || fwb;
}

/* The CPU's view of a guest page */
static uint8_t *at(struct smmu_gmem *g, uint64_t ipa)
{
	return smmu_gmem_ptr(g, ipa, SMMU_PAGE_SIZE);
}

FIXTURE_SETUP(smmu)
{
	struct smmu_cd_cfg c = {
		.asid = ASID, .t0sz = SMMU_T0SZ_39, .ips = SMMU_IPS_44,
		.mair = 0xff,	/* index 0: normal write-back memory */
	};
	const char *bdf = first_edu();
	struct viommu_config cfg;
	char err[NEST_ERR_LEN], why[96];
	uint64_t cd_ipa;
	bool allowed;
	int i, rc;

	self->fd = -1;
#ifndef HAVE_VIOMMU
	SKIP(return, "built against uAPI headers without IOMMU_VIOMMU_ALLOC (before 6.13)");
#endif
	if (!bdf)
		SKIP(return, "no edu device (1234:11e8) on a root bus among the given BDFs");
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("kernel: /dev/iommu: %s", strerror(errno));
	ASSERT_EQ(0, viommu_config_parse("arm-smmuv3,accel=on", &cfg, err,
					 sizeof(err)))
		TH_LOG("model: %s", err);
	viommu_init(&self->viommu, &cfg);
	nest_ctx_init(&self->ctx, self->fd, &self->viommu);
	self->ctx.guest_ram = RAM_SIZE;
	snprintf(self->bdf, sizeof(self->bdf), "%s", bdf);
	self->dev = nest_cdev_dev_new(bdf, err, sizeof(err));
	ASSERT_NE(NULL, self->dev) TH_LOG("test: %s", err);
	self->dev->vsid = VSID;
	rc = nest_attach_device(&self->ctx, self->dev);
	/* set_iommu_device's vIOMMU: refused without CANWBS or FWB */
	if (rc == -EOPNOTSUPP &&
	    nest_trace_find(&self->ctx, 0, NEST_EV_VIOMMU_ALLOC) >= 0) {
		allowed = viommu_allowed(&self->dev->hiod, why, sizeof(why));
		if (!allowed)
			SKIP(return, "%s: no vIOMMU without one of them (the smmuv3-nested topology gives CANWBS)",
			     why);
		ASSERT_EQ(0, rc) TH_LOG("kernel: %s, yet the vIOMMU was refused: %s",
					why, self->ctx.err);
	}
	if (rc == -EOPNOTSUPP)
		SKIP(return, "no nesting parent: %s (arm-smmu-v3 grants one from Linux 6.13, on an SMMU with S1P and S2P)",
		     self->ctx.err);
	ASSERT_EQ(0, rc) TH_LOG("%s: %s", nest_blame(&self->ctx, 0),
				self->ctx.err);

	/* the guest's memory is the RAM the engine mapped at IPA 0 */
	self->g.va = self->ctx.ram;
	self->g.ipa = 0;
	self->g.size = RAM_SIZE;
	ASSERT_EQ(0, smmu_s1_init(&self->s1, &self->g, SMMU_T0SZ_39));
	cd_ipa = smmu_gmem_alloc(&self->g, 64, 64);
	ASSERT_NE(0, cd_ipa) TH_LOG("test: no guest memory for the CD");
	c.ttb0 = self->s1.root;
	smmu_cd(smmu_gmem_ptr(&self->g, cd_ipa, 64), &c);
	self->cd_ipa = cd_ipa;
	self->cd = c;
	for (i = 0; i < 3; i++) {
		self->page[i] = smmu_gmem_alloc(&self->g, SMMU_PAGE_SIZE,
						SMMU_PAGE_SIZE);
		ASSERT_NE(0, self->page[i]) TH_LOG("test: guest memory full");
	}
	ASSERT_EQ(0, smmu_s1_map(&self->s1, IOVA_A, self->page[0], true));
	ASSERT_EQ(0, smmu_s1_map(&self->s1, IOVA_B, self->page[1], true));

	allowed = viommu_allowed(&self->dev->hiod, why, sizeof(why));
	rc = nest_enable_stage1(&self->ctx, self->dev, cd_ipa);
	if (rc == -EOPNOTSUPP && !allowed)
		SKIP(return, "%s: no vIOMMU without one of them (the smmuv3-nested topology gives CANWBS)",
		     why);
	ASSERT_TRUE(allowed || rc)
		TH_LOG("kernel: a vIOMMU was given though %s", why);
	ASSERT_EQ(0, rc) TH_LOG("%s: %s (%s)", nest_blame(&self->ctx, 0),
				self->ctx.err, why);
	self->edu = edu_open(nest_cdev_fd(self->dev), err, sizeof(err));
	ASSERT_NE(NULL, self->edu) TH_LOG("kernel: edu through VFIO: %s", err);
}

FIXTURE_TEARDOWN(smmu)
{
	if (self->edu)
		edu_close(self->edu);
	if (self->fd < 0)
		return;
	nest_vm_teardown(&self->ctx, &self->dev, 1);
	close(self->fd);
}

/* Fill the device's buffer from @iova (a DMA read through both stages). */
static int edu_load(struct edu *edu, uint64_t iova)
{
	return edu_dma(edu, iova, LEN, false);
}

/* The DMA reads page 0 through IOVA_A and writes page 1 through IOVA_B. */
TEST_F(smmu, dma_lands_where_both_stages_point)
{
	uint8_t *src = at(&self->g, self->page[0]), *dst = at(&self->g, self->page[1]);
	uint8_t *before = malloc(RAM_SIZE);
	int i;

	ASSERT_NE(NULL, before) TH_LOG("test: out of memory");
	for (i = 0; i < LEN; i++)
		src[i] = 0x5a ^ i;
	memcpy(before, self->ctx.ram, RAM_SIZE);
	ASSERT_EQ(0, edu_load(self->edu, IOVA_A)) TH_LOG("kernel: edu DMA read");
	ASSERT_EQ(0, edu_dma(self->edu, IOVA_B, LEN, true))
		TH_LOG("kernel: edu DMA write");
	ASSERT_EQ(0, memcmp(src, dst, LEN))
		TH_LOG("kernel: the data did not land where stage 1 (IOVA 0x%llx -> IPA 0x%llx) and stage 2 point",
		       (unsigned long long)IOVA_B,
		       (unsigned long long)self->page[1]);
	/* and nowhere else: the rest of RAM is as it was */
	memcpy(before + self->page[1], dst, LEN);
	ASSERT_EQ(0, memcmp(before, self->ctx.ram, RAM_SIZE))
		TH_LOG("kernel: the DMA also wrote outside its page");
	free(before);
}

#ifdef IOMMU_VEVENTQ_ALLOC
#define F_TRANSLATION	0x10

/* The first vEVENT of @qfd within 2 s: its type, and its SID in @sid. */
static int read_vevent(int qfd, uint32_t *sid, uint64_t *addr)
{
	struct {
		struct iommufd_vevent_header hdr;
		struct iommu_vevent_arm_smmuv3 ev;
	} rec;
	struct pollfd p = { .fd = qfd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 2000) != 1)
		return -ETIMEDOUT;
	n = read(qfd, &rec, sizeof(rec));
	if (n != sizeof(rec))
		return n < 0 ? -errno : -EIO;
	*sid = le64toh(rec.ev.evt[0]) >> 32;
	*addr = le64toh(rec.ev.evt[2]);
	return le64toh(rec.ev.evt[0]) & 0xff;
}
#endif

/*
 * No stage-1 entry: the write must go nowhere, even to the RAM at that
 * IPA, and the fault reaches the vIOMMU's vEVENTQ as the vSID's.
 */
TEST_F(smmu, stage1_miss_leaves_memory_untouched)
{
	uint8_t *src = at(&self->g, self->page[0]);
	uint8_t *before = malloc(RAM_SIZE);
	uint32_t q = 0, sid = 0;
	uint64_t addr = 0;
	int qfd = -1, type;

	ASSERT_NE(NULL, before) TH_LOG("test: out of memory");
	memset(src, 0xc3, LEN);
	ASSERT_EQ(0, edu_load(self->edu, IOVA_A)) TH_LOG("kernel: edu DMA read");
	ASSERT_EQ(NULL, smmu_s1_pte(&self->s1, IOVA_MISS))
		TH_LOG("test: IOVA 0x%llx has a stage-1 table",
		       (unsigned long long)IOVA_MISS);
#ifdef IOMMU_VEVENTQ_ALLOC
	ASSERT_EQ(0, nest_veventq_alloc(self->fd, self->ctx.vsmmu.viommu_id,
					IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 4, &q,
					&qfd))
		TH_LOG("kernel: IOMMU_VEVENTQ_ALLOC(ARM_SMMUV3) failed");
#endif
	memcpy(before, self->ctx.ram, RAM_SIZE);
	edu_dma(self->edu, IOVA_MISS, LEN, true);
	ASSERT_EQ(0, memcmp(before, self->ctx.ram, RAM_SIZE))
		TH_LOG("kernel: a DMA to an IOVA stage 1 does not map changed guest memory");
	free(before);
#ifdef IOMMU_VEVENTQ_ALLOC
	type = read_vevent(qfd, &sid, &addr);
	close(qfd);
	/* the vIOMMU goes with the teardown: its queue must go first */
	ASSERT_EQ(0, nest_destroy(self->fd, q));
	ASSERT_EQ(F_TRANSLATION, type)
		TH_LOG("kernel: the vEVENTQ gave %d, not F_TRANSLATION", type);
	ASSERT_EQ(VSID, sid) TH_LOG("kernel: the event names SID %u", sid);
	TH_LOG("F_TRANSLATION for vSID %u at 0x%llx", sid,
	       (unsigned long long)addr);
#else
	(void)q; (void)sid; (void)addr; (void)qfd; (void)type;
	SKIP(return, "headers lack IOMMU_VEVENTQ_ALLOC: the fault report is not checked");
#endif
}

/* Whether all @len bytes at @p are @v. */
static bool all_bytes(const uint8_t *p, uint8_t v, size_t len)
{
	while (len--)
		if (*p++ != v)
			return false;
	return true;
}

/* The edu copies LEN bytes of @fill from IOVA_A to IOVA_B: 0 or -errno. */
static int copy_a_to_b(FIXTURE_DATA(smmu) * self, uint8_t fill)
{
	int rc;

	memset(at(&self->g, self->page[0]), fill, LEN);
	rc = edu_load(self->edu, IOVA_A);
	return rc ? rc : edu_dma(self->edu, IOVA_B, LEN, true);
}

/* @n commands through the vIOMMU: 0 or -errno, all of them taken. */
static int vcmds(FIXTURE_DATA(smmu) * self, uint64_t (*cmd)[2], uint32_t n)
{
#ifdef HAVE_VIOMMU
	uint32_t done = n;
	int rc;

	rc = nest_hwpt_invalidate(self->fd, self->ctx.vsmmu.viommu_id,
				  IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, cmd,
				  sizeof(cmd[0]), &done);
	return rc ? rc : done == n ? 0 : -EIO;
#else
	return -EOPNOTSUPP;
#endif
}

/*
 * A PTE moved to page 2: until the TLBI the SMMU keeps the old, cached
 * translation (a write still lands in page 1), after it the DMA follows.
 * Without the first half, a kernel that never cached, or one whose TLBI
 * did nothing on a cache that missed anyway, would pass.
 */
TEST_F(smmu, invalidation_moves_the_mapping)
{
	uint8_t *old = at(&self->g, self->page[1]), *new = at(&self->g, self->page[2]);
	uint64_t cmd[1][2];
	int rc;

	memset(new, 0, SMMU_PAGE_SIZE);
	ASSERT_EQ(0, copy_a_to_b(self, 0x11));
	ASSERT_TRUE(all_bytes(old, 0x11, LEN))
		TH_LOG("kernel: the first write missed page 1");

	ASSERT_EQ(0, smmu_s1_map(&self->s1, IOVA_B, self->page[2], true));
	ASSERT_EQ(0, copy_a_to_b(self, 0x33));
	ASSERT_TRUE(all_bytes(old, 0x33, LEN) && all_bytes(new, 0, LEN))
		TH_LOG("kernel: before the TLBI the write did not use the cached translation (page 1 %02x, page 2 %02x): nothing shows the TLBI matters",
		       old[0], new[0]);

	smmu_cmd_tlbi_nh_va(cmd[0], ASID, IOVA_B, true);
	/* the guest's VMID: the kernel must put the vIOMMU's in its place */
	cmd[0][0] |= htole64(GUEST_VMID << 32);
	rc = vcmds(self, cmd, 1);
	ASSERT_EQ(0, rc) TH_LOG("kernel: TLBI_NH_VA through the vIOMMU: %s",
				strerror(-rc));

	ASSERT_EQ(0, copy_a_to_b(self, 0x22));
	ASSERT_TRUE(all_bytes(new, 0x22, LEN) &&
		    all_bytes(new + LEN, 0, SMMU_PAGE_SIZE - LEN))
		TH_LOG("kernel: after the invalidation the DMA missed the new page, or wrote past its %d bytes (0x%02x)",
		       LEN, new[0]);
	ASSERT_TRUE(all_bytes(old, 0x33, LEN))
		TH_LOG("kernel: the old page was written after the invalidation");
}

/*
 * The guest points its CD at a new table: the SMMU may keep the old
 * context until CFGI_CD names the device by its vSID, which the kernel
 * turns into the pSID.  A TLBI alone does not drop a cached context.
 */
TEST_F(smmu, cd_change_follows_cfgi_cd)
{
#ifdef HAVE_VIOMMU
	uint8_t *old = at(&self->g, self->page[1]), *new = at(&self->g, self->page[2]);
	uint64_t cmd[2][2];
	struct smmu_s1 s1b;
	bool cached;

	memset(new, 0, SMMU_PAGE_SIZE);
	ASSERT_EQ(0, copy_a_to_b(self, 0x44));
	ASSERT_TRUE(all_bytes(old, 0x44, LEN))
		TH_LOG("kernel: the first write missed page 1");

	/* a second table, IOVA_B on page 2, and the CD pointing at it */
	ASSERT_EQ(0, smmu_s1_init(&s1b, &self->g, SMMU_T0SZ_39))
		TH_LOG("test: guest memory full");
	ASSERT_EQ(0, smmu_s1_map(&s1b, IOVA_A, self->page[0], false));
	ASSERT_EQ(0, smmu_s1_map(&s1b, IOVA_B, self->page[2], true));
	self->cd.ttb0 = s1b.root;
	smmu_cd(smmu_gmem_ptr(&self->g, self->cd_ipa, 64), &self->cd);

	smmu_cmd_tlbi_nh_asid(cmd[0], ASID);
	ASSERT_EQ(0, vcmds(self, cmd, 1)) TH_LOG("kernel: TLBI_NH_ASID");
	ASSERT_EQ(0, copy_a_to_b(self, 0x55));
	cached = all_bytes(old, 0x55, LEN);
	if (!cached)
		TH_LOG("the SMMU keeps no context: CFGI_CD is not shown to matter");

	smmu_cmd_cfgi_cd(cmd[0], VSID, 0, true);
	smmu_cmd_tlbi_nh_asid(cmd[1], ASID);
	ASSERT_EQ(0, vcmds(self, cmd, 2)) TH_LOG("kernel: CFGI_CD, TLBI_NH_ASID");
	ASSERT_EQ(0, copy_a_to_b(self, 0x66));
	ASSERT_TRUE(all_bytes(new, 0x66, LEN))
		TH_LOG("kernel: after CFGI_CD for vSID 0x%x the DMA did not follow the new CD (page 2 0x%02x, page 1 0x%02x)",
		       VSID, new[0], old[0]);
	ASSERT_TRUE(all_bytes(old, cached ? 0x55 : 0x44, LEN))
		TH_LOG("kernel: the old page was written after CFGI_CD");
#else
	SKIP(return, "headers lack IOMMU_VIOMMU_ALLOC");
#endif
}

#ifdef HAVE_VIOMMU
/* A HWPT on the vIOMMU from a raw vSTE: the errno, the HWPT destroyed. */
static int vste_flags_errno(FIXTURE_DATA(smmu) * self, uint32_t flags,
			    uint64_t ste0, uint64_t ste1)
{
	uint64_t ste[2] = { htole64(ste0), htole64(ste1) };
	uint32_t id = 0;
	int rc;

	rc = nest_hwpt_alloc(self->fd, self->dev->dev_id, self->ctx.vsmmu.viommu_id,
			     flags, IOMMU_HWPT_DATA_ARM_SMMUV3, ste, sizeof(ste),
			     &id);
	if (!rc)
		nest_destroy(self->fd, id);
	return rc;
}

static int vste_errno(FIXTURE_DATA(smmu) * self, uint64_t ste0, uint64_t ste1)
{
	return vste_flags_errno(self, 0, ste0, ste1);
}

/* One command through the vIOMMU: the errno, and how many were taken. */
static int cmd_errno(FIXTURE_DATA(smmu) * self, uint32_t type,
		     uint64_t w0, uint64_t w1, uint32_t *done)
{
	uint64_t cmd[2] = { htole64(w0), htole64(w1) };

	*done = 1;
	return nest_hwpt_invalidate(self->fd, self->ctx.vsmmu.viommu_id, type, cmd,
				    sizeof(cmd), done);
}
#endif

/*
 * What arm-smmu-v3 refuses, with the errno its iommufd code gives: a vSTE
 * with a field the guest may not set, a Config or EATS it does not take
 * (EIO, kept for bad STE data); a command it does not pass, or one for an
 * unknown vSID or one on stage 2 (EIO, none taken); a nested HWPT flag
 * (EOPNOTSUPP); the wrong data type (EINVAL); a second
 * vDEVICE for the device (EEXIST); a vIOMMU of the default type
 * (EOPNOTSUPP) or on a HWPT that is no nesting parent (EINVAL).
 */
TEST_F(smmu, bad_inputs_get_exact_errnos)
{
#ifdef HAVE_VIOMMU
	const uint64_t s1 = 0x1 | SMMU_STE_CFG_S1_TRANS << 1;
	uint32_t done, id = 0, plain = 0;

	ASSERT_EQ(0, vste_errno(self, s1 | 0x40000, 0))
		TH_LOG("kernel: a valid S1_TRANS vSTE was refused");
	EXPECT_EQ(-EIO, vste_errno(self, s1, 1ULL << 8))
		TH_LOG("kernel: vSTE word 1 bit 8 (not the guest's)");
	/* shareability is the host's to set (STE word 1 SHCFG, bits 45:44) */
	EXPECT_EQ(-EIO, vste_errno(self, s1, 1ULL << 44))
		TH_LOG("kernel: vSTE SHCFG 1");
	EXPECT_EQ(-EIO, vste_errno(self, 0x1 | 6 << 1, 0))
		TH_LOG("kernel: vSTE Config 6 (stage 2 only)");
	EXPECT_EQ(-EIO, vste_errno(self, s1, 2ULL << 28))
		TH_LOG("kernel: vSTE EATS 2");
	/* the core passes PASID on to the driver, which takes no flag */
	EXPECT_EQ(-EOPNOTSUPP, vste_flags_errno(self, IOMMU_HWPT_ALLOC_PASID,
						s1 | 0x40000, 0))
		TH_LOG("kernel: a vSTE HWPT with IOMMU_HWPT_ALLOC_PASID");

	EXPECT_EQ(-EIO, cmd_errno(self, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
				  0x01, 0, &done))
		TH_LOG("kernel: opcode 0x01 (PREFETCH_CONFIG) passed");
	EXPECT_EQ(0, done);
	/* stage 2 is the host's: a guest may not invalidate it */
	EXPECT_EQ(-EIO, cmd_errno(self, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
				  SMMU_CMD_TLBI_S12_VMALL, 0, &done))
		TH_LOG("kernel: opcode 0x28 (TLBI_S12_VMALL) passed");
	EXPECT_EQ(0, done);
	EXPECT_EQ(-EIO, cmd_errno(self, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
				  SMMU_CMD_CFGI_CD_ALL | 99ULL << 32, 0, &done))
		TH_LOG("kernel: CFGI_CD_ALL for vSID 99, which has no vDEVICE");
	EXPECT_EQ(0, done);
	EXPECT_EQ(-EINVAL, cmd_errno(self,
				     IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 + 1,
				     SMMU_CMD_TLBI_NSNH_ALL, 0, &done))
		TH_LOG("kernel: an unknown invalidation data type");
	EXPECT_EQ(0, cmd_errno(self, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
			       SMMU_CMD_CFGI_CD_ALL | (uint64_t)VSID << 32, 0,
			       &done))
		TH_LOG("kernel: CFGI_CD_ALL for the device's own vSID");
	EXPECT_EQ(1, done);

	EXPECT_EQ(-EEXIST, nest_vdevice_alloc(self->fd, self->ctx.vsmmu.viommu_id,
					      self->dev->dev_id, VSID + 1,
					      &id))
		TH_LOG("kernel: a second vDEVICE for one device");
	EXPECT_EQ(-EOPNOTSUPP,
		  nest_viommu_alloc(self->fd, IOMMU_VIOMMU_TYPE_DEFAULT, 0,
				    self->dev->dev_id, self->dev->hiod.hwpt_id,
				    &id))
		TH_LOG("kernel: a vIOMMU of the default type");
	ASSERT_EQ(0, nest_hwpt_alloc(self->fd, self->dev->dev_id,
				     self->ctx.ioas_id, 0, IOMMU_HWPT_DATA_NONE,
				     NULL, 0, &plain))
		TH_LOG("kernel: a plain HWPT");
	EXPECT_EQ(-EINVAL,
		  nest_viommu_alloc(self->fd, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 0,
				    self->dev->dev_id, plain, &id))
		TH_LOG("kernel: a vIOMMU on a HWPT that is no nesting parent");
	EXPECT_EQ(0, nest_destroy(self->fd, plain));
#else
	SKIP(return, "headers lack IOMMU_VIOMMU_ALLOC");
#endif
}

/* IOMMU_HW_INFO_FLAG_INPUT_TYPE (6.17, with HW queues), an enum */
#define HW_INFO_INPUT_TYPE	(1u << 0)

/*
 * Asked for by name, the driver's own type is the default one; any other
 * goes to an implementation, which plain arm-smmu-v3 lacks (EOPNOTSUPP).
 */
TEST_F(smmu, hw_info_by_type)
{
#ifdef HAVE_VIOMMU
	struct iommu_hw_info_arm_smmuv3 info = { 0 };
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.flags = HW_INFO_INPUT_TYPE,
		.dev_id = self->dev->dev_id,
		.data_len = sizeof(info),
		.data_uptr = (uintptr_t)&info,
		/* in_data_type on 6.17+, where it shares out_data_type's place */
		.out_data_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
	};
	bool queues = false;
	int rc;

#ifdef IOMMU_HW_QUEUE_ALLOC
	{
		uint64_t zero[8] = { sizeof(zero) };

		/* all zeros create nothing; ENOTTY: no HW queues */
		queues = nest_ioctl(self->fd, IOMMU_HW_QUEUE_ALLOC, zero) != -ENOTTY;
	}
#endif
	rc = nest_ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd);
	if (rc == -EOPNOTSUPP && !queues)
		SKIP(return, "kernel lacks IOMMU_HW_INFO_FLAG_INPUT_TYPE (EOPNOTSUPP) and HW queues: Linux 6.17 or later needed");
	ASSERT_EQ(0, rc) TH_LOG("kernel: GET_HW_INFO of type ARM_SMMUV3: %s",
				nest_errno_name(-rc));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_ARM_SMMUV3, cmd.out_data_type);
	EXPECT_NE(0, info.idr[0]) TH_LOG("kernel: IDR0 is 0");
	cmd.out_data_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3 + 1;
	EXPECT_EQ(-EOPNOTSUPP, nest_ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd))
		TH_LOG("kernel: GET_HW_INFO of a type no implementation has");
#else
	SKIP(return, "headers lack IOMMU_VIOMMU_ALLOC");
#endif
}

/*
 * The SMMU's register page, read through /dev/mem.  arm-smmu-v3 names
 * its sysfs IOMMU device after the page's physical address, so the
 * device's iommu link says which SMMU translates it.
 */
#ifdef HAVE_VIOMMU
static int smmu_regs(const char *bdf, uint32_t regs[8], char *why, size_t len)
{
	char link[96], target[256], *name;
	unsigned long long base;
	uint32_t *page;
	ssize_t n;
	int fd, i;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu", bdf);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return snprintf(why, len, "%s: %s", link, strerror(errno)), -1;
	target[n] = 0;
	name = strrchr(target, '/');
	if (!name || sscanf(name, "/smmu3.%llx", &base) != 1 || base & 0xfff)
		return snprintf(why, len, "%s -> %s: not an arm-smmu-v3 (smmu3.<address>)",
				link, target), -1;
	fd = open("/dev/mem", O_RDONLY | O_SYNC);
	if (fd < 0)
		return snprintf(why, len, "/dev/mem: %s (kernel without CONFIG_DEVMEM?)",
				strerror(errno)), -1;
	page = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, base);
	close(fd);
	if (page == MAP_FAILED)
		return snprintf(why, len, "/dev/mem at 0x%llx: %s (CONFIG_IO_STRICT_DEVMEM keeps a driver's registers from it)",
				base, strerror(errno)), -1;
	/* one 32-bit load each: IDR0-5, IIDR, AIDR at 0x0-0x1c */
	for (i = 0; i < 8; i++)
		regs[i] = __atomic_load_n(page + i, __ATOMIC_RELAXED);
	munmap(page, 4096);
	return 0;
}
#endif

/* GET_HW_INFO hands the VMM the SMMU's own ID registers, unchanged. */
TEST_F(smmu, hw_info_is_the_smmu_registers)
{
#ifdef HAVE_VIOMMU
	static const char * const reg[8] = {
		"IDR0", "IDR1", "IDR2", "IDR3", "IDR4", "IDR5", "IIDR", "AIDR",
	};
	struct iommu_hw_info_arm_smmuv3 info = { 0 };
	uint32_t data_len = sizeof(info), type = 0, regs[8], got[8];
	char why[160];
	int i, bad = 0;

	if (smmu_regs(self->bdf, regs, why, sizeof(why)))
		SKIP(return, "cannot read the SMMU's registers: %s", why);
	ASSERT_EQ(0, nest_get_hw_info(self->fd, self->dev->dev_id, &info,
				      &data_len, &type, NULL));
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_ARM_SMMUV3, type);
	memcpy(got, info.idr, sizeof(info.idr));
	got[6] = info.iidr;
	got[7] = info.aidr;
	for (i = 0; i < 8; i++) {
		if (got[i] == regs[i])
			continue;
		TH_LOG("kernel: hw_info %s 0x%08x, the register reads 0x%08x",
		       reg[i], got[i], regs[i]);
		bad++;
	}
	EXPECT_EQ(0, bad) TH_LOG("kernel: %d ID registers differ", bad);
#else
	SKIP(return, "headers lack IOMMU_VIOMMU_ALLOC");
#endif
}

/*
 * On a vIOMMU where the device has no vDEVICE (the guest's GBPA before
 * it names the device), a BYPASS or ABORT vSTE attaches; a translating
 * one needs the vSID and is refused (ENOENT).
 */
TEST_F(smmu, vste_without_vdevice)
{
#ifdef HAVE_VIOMMU
	const uint64_t s1 = 0x1 | SMMU_STE_CFG_S1_TRANS << 1 | 0x40000;
	const uint64_t ste0[3] = {
		0x1 | SMMU_STE_CFG_BYPASS << 1, 0x1 | SMMU_STE_CFG_ABORT << 1, s1,
	};
	uint32_t v2 = 0, hwpt[3] = { 0 }, ctx_hwpt = self->dev->hwpt_id;
	int i, rc;

	ASSERT_EQ(0, nest_viommu_alloc(self->fd, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 0,
				       self->dev->dev_id,
				       self->dev->hiod.hwpt_id, &v2))
		TH_LOG("kernel: a second vIOMMU on the nesting parent");
	for (i = 0; i < 3; i++) {
		uint64_t ste[2] = { htole64(ste0[i]), 0 };

		ASSERT_EQ(0, nest_hwpt_alloc(self->fd, self->dev->dev_id, v2, 0,
					     IOMMU_HWPT_DATA_ARM_SMMUV3, ste,
					     sizeof(ste), &hwpt[i]))
			TH_LOG("kernel: vSTE %d on the second vIOMMU", i);
	}
	for (i = 0; i < 3; i++) {
		rc = self->dev->ops->attach(&self->ctx, self->dev, hwpt[i]);
		EXPECT_EQ(i < 2 ? 0 : -ENOENT, rc)
			TH_LOG("kernel: a %s vSTE without a vDEVICE: %s",
			       i == 0 ? "BYPASS" : i == 1 ? "ABORT" : "S1_TRANS",
			       nest_errno_name(-rc));
	}
	ASSERT_EQ(0, self->dev->ops->attach(&self->ctx, self->dev, ctx_hwpt))
		TH_LOG("kernel: back to the guest's context");
	for (i = 2; i >= 0; i--)
		EXPECT_EQ(0, nest_destroy(self->fd, hwpt[i]));
	EXPECT_EQ(0, nest_destroy(self->fd, v2));
#else
	SKIP(return, "headers lack IOMMU_VIOMMU_ALLOC");
#endif
}

int main(int argc, char **argv)
{
	argc = take_bdfs(argc, argv);
	return argc < 0 ? 2 : test_harness_run(argc, argv);
}
