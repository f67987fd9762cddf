// SPDX-License-Identifier: GPL-2.0
/*
 * Bad-input matrix for every ioctl of the iommufd nesting flow, on the
 * kernel's mock IOMMU (CONFIG_IOMMUFD_TEST).  Each row is a variant of
 * the nest_uapi fixture, one KTAP result "nest_uapi.<row>.exact_errno": a
 * valid argument for one ioctl, one thing made wrong, the exact errno
 * expected.  After every row the test proves nothing leaked: the same
 * free object ids, no IOVA mapped, every fixture object alive and busy,
 * and a teardown that frees everything down to an empty id space.
 *
 * Errnos are those of Debian's 6.12.117.  Rows marked LATER() answer
 * otherwise once a feature arrived, as Debian's 7.2.12 does.  Which
 * applies is decided by a probe: another use of the same feature on the
 * running kernel, never its version.  Where the headers the test was
 * built against cannot express the probe, nothing can tell, and the row
 * accepts exactly the two answers measured (it says so when it fails).
 *
 *   ioctl / input                   6.12.117    7.2.12       probe
 *   HWPT_ALLOC flag bit 3           EOPNOTSUPP  0            NEST_PARENT |
 *                                                            ALLOC_PASID
 *   HWPT_ALLOC FAULT_ID_VALID,      EOPNOTSUPP  ENOENT (bad  a paging HWPT
 *     paging                                    fault id)    on a real fault
 *                                                            queue (1)
 *   HWPT_ALLOC SELFTEST data,       EOPNOTSUPP  0            the mock's huge
 *     paging or parent                                       page table type
 *   GET_HW_INFO flags bit 0         EOPNOTSUPP  0            INPUT_TYPE
 *                                                            SELFTEST
 *   HWPT_INVALIDATE on no nested    ENOENT      EINVAL       invalidation
 *     HWPT                                                   through a
 *                                                            vIOMMU (2)
 *   MOCK_DOMAIN_FLAGS bit 2         EINVAL      0            the mock's
 *                                                            PASID test op (3)
 *
 * (1) needs IOMMU_FAULT_QUEUE_ALLOC in the headers (6.11), (2)
 * IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST (6.14), (3) the mock's PASID test
 * ops (IOMMU_TEST_PASID_RESERVED, after 6.12).  Built against 6.12,
 * (2) and (3) cannot be probed: those rows accept either answer.
 *
 * Older stable releases differ too, with the same errno:
 *   HWPT_INVALIDATE entry_len > PAGE     EINVAL        < 6.12.96: EINVAL
 *                                                      from the mock
 *   HWPT_INVALIDATE entry_num > 2^19     EINVAL        < 6.12.96: the
 *                                                      mock walks it
 *
 * Where 6.12 differs from its own uAPI comments:
 *   HWPT_ALLOC __reserved2 is "must be 0" but never checked; data_uptr
 *   with DATA_NONE "should be zero" but is ignored; a pt_id that is no
 *   object gives EINVAL, not ENOENT; driver data (nested data_len,
 *   invalidation entry_len) longer than the driver's struct is EINVAL even
 *   when the extra bytes are zero, unlike the ioctl structs (E2BIG only
 *   for non-zero tails); invalidating a non-nested HWPT is ENOENT.
 *
 * Failures name the side: "kernel:" for an answer or a state of the
 * kernel's, "test:" for a row of this table that cannot be built.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nest_kselftest.h"

#include "nest_ioctl_test.h"
#include "backend_mock.h"

#define OFFSETOFEND(type, m)	(offsetof(type, m) + sizeof(((type *)0)->m))

#define NR_PROBE	8	/* probe IOASes: catches up to 8 leaked ids */
#define NR_PAD		32	/* freed ids below the stale ones */
#define MAX_EDITS	4
#define TAIL		0x5a	/* a non-zero byte past the kernel's struct */
#define SENTINEL	0x5a5a5a5a5a5a5a5aULL

/*
 * Nested driver data: up to iotlb is what every kernel takes (6.12 has
 * nothing more, later trees add pagetable_type); one word longer than
 * the tree's struct is too long everywhere.
 */
#define SELFTEST_WORDS	(sizeof(struct iommu_hwpt_selftest) / 4)
#define SELFTEST_LONG	(sizeof(struct iommu_hwpt_selftest) + 4)

/* IOVAs inside the mock aperture [2^24, 2^31 - 1] */
#define PREP_IOVA	MOCK_APERTURE_START
#define MAP_IOVA	(MOCK_APERTURE_START + (1UL << 20))

/* Objects of the fixture, and ids no object holds. */
enum uapi_obj {
	O_IOAS,
	O_AUTO,		/* the automatic domain dev2 is on */
	O_PLAIN,	/* paging, dev1 on it */
	O_PARENT,	/* NEST_PARENT, parent of O_NESTED */
	O_DIRTY,	/* DIRTY_TRACKING, dev3 on it */
	O_NESTED,	/* SELFTEST nested on O_PARENT, dev0 on it */
	O_IDEV0, O_IDEV1, O_IDEV2, O_IDEV3,	/* dev1 has no dirty tracking */
	O_STDEV0, O_STDEV1, O_STDEV2, O_STDEV3,	/* selftest device handles */
	O_STALE_IOAS,	/* destroyed, and not reused during a case */
	O_STALE_NESTED,
	O_VICTIM,	/* an IOAS made for the case (PREP_VICTIM) */
	NR_OBJ
};

/* Addresses an argument field can point at. */
enum uapi_ptr {
	P_PAYLOAD,	/* uapi_case.data, at the start of a page */
	P_UNMAPPED,	/* a munmap'ed page */
	P_RO,		/* a read-only page */
	P_MAPBUF,	/* the page IOMMU_IOAS_MAP maps */
};

enum uapi_val { V_LIT, V_OBJ, V_PTR };

struct uapi_edit {
	uint16_t off;
	uint8_t width;		/* 0: no edit */
	uint8_t kind;		/* enum uapi_val */
	uint64_t val;
};

enum uapi_kind {
	K_IOAS_ALLOC,
	K_HWPT,		/* IOMMU_HWPT_ALLOC on the IOAS */
	K_PARENT,	/* the same with NEST_PARENT */
	K_NESTED,	/* on O_PARENT with IOMMU_HWPT_DATA_SELFTEST */
	K_HW_INFO,
	K_INVALIDATE,
	K_DESTROY,
	K_MAP,
	K_UNMAP,
	K_TEST_CMD,	/* IOMMU_TEST_CMD, op MD_CHECK_REFS of nothing */
	K_MOCK_DOMAIN,
	K_MOCK_FLAGS,
	K_REPLACE,
	K_CHECK_IOTLB,
	NR_KIND
};

enum uapi_place {
	ARG_NORMAL,
	ARG_NULL,
	ARG_READONLY,	/* the kernel cannot write the result back */
	ARG_PAGE_END,	/* sizeof bytes end where the unmapped page starts */
};

#define PREP_VICTIM	(1 << 0)
#define PREP_MAP	(1 << 1)	/* one page mapped at PREP_IOVA */
#define UNDO_ON_FAIL	(1 << 2)	/* the effect stays despite the errno */
#define CHECK_PAYLOAD	(1 << 3)	/* the payload page is .payload after */

/* Features whose arrival changed a row's answer, each probed for. */
enum uapi_feature {
	FEAT_NONE,
	FEAT_ALLOC_PASID,		/* IOMMU_HWPT_ALLOC_PASID */
	FEAT_FAULT_ON_PAGING,	/* a fault queue on a paging HWPT */
	FEAT_PAGING_DATA,		/* the mock's page table types */
	FEAT_HW_INFO_TYPE,	/* IOMMU_HW_INFO_FLAG_INPUT_TYPE */
	FEAT_VIOMMU_INVALIDATE,	/* HWPT_INVALIDATE takes a vIOMMU id */
	FEAT_MOCK_PASID,		/* the mock's PASID devices */
};

/* a row answering @err once feature @feat is there */
#define LATER(feat, err)	.feature = (feat), .later = (err)

struct uapi_env {
	int fd;
	size_t page;
	uint8_t *arena;
	uint32_t id[NR_OBJ];
	uint32_t probe[NR_PROBE];
};

FIXTURE(nest_uapi) {
	struct uapi_env env;
};

/* One row of the table, a variant of the fixture: nest_uapi.<row>.* */
FIXTURE_VARIANT(nest_uapi) {
	enum uapi_kind kind;
	int expect;		/* errno, 0: the call must succeed */
	unsigned int flags;
	enum uapi_feature feature;
	int later;		/* the errno once the probed feature is there */
	enum uapi_place place;
	uint32_t size;		/* 0: sizeof the argument */
	uint8_t trail;		/* fill of bytes past sizeof, up to size */
	uint32_t data[4];	/* payload at P_PAYLOAD */
	uint32_t payload[4];	/* and after the call, with CHECK_PAYLOAD */
	struct uapi_edit edit[MAX_EDITS];
	struct uapi_edit out;	/* a field checked after the call */
};


#define EDIT(type, f, k, v) \
	{ offsetof(type, f), sizeof(((type *)0)->f), (k), (v) }
#define LIT(type, f, v)	EDIT(type, f, V_LIT, v)
#define OBJ(type, f, o)	EDIT(type, f, V_OBJ, o)
#define PTR(type, f, p)	EDIT(type, f, V_PTR, p)

/* Per-struct shorthands, so the table stays one case per line or two. */
#define IA(f, v)	LIT(struct iommu_ioas_alloc, f, v)
#define HA(f, v)	LIT(struct iommu_hwpt_alloc, f, v)
#define HA_O(f, o)	OBJ(struct iommu_hwpt_alloc, f, o)
#define HA_P(f, p)	PTR(struct iommu_hwpt_alloc, f, p)
#define HI(f, v)	LIT(struct iommu_hw_info, f, v)
#define HI_O(f, o)	OBJ(struct iommu_hw_info, f, o)
#define HI_P(f, p)	PTR(struct iommu_hw_info, f, p)
#define HV(f, v)	LIT(struct iommu_hwpt_invalidate, f, v)
#define HV_O(f, o)	OBJ(struct iommu_hwpt_invalidate, f, o)
#define HV_P(f, p)	PTR(struct iommu_hwpt_invalidate, f, p)
#define DS(f, v)	LIT(struct iommu_destroy, f, v)
#define DS_O(f, o)	OBJ(struct iommu_destroy, f, o)
#define MP(f, v)	LIT(struct iommu_ioas_map, f, v)
#define MP_O(f, o)	OBJ(struct iommu_ioas_map, f, o)
#define MP_P(f, p)	PTR(struct iommu_ioas_map, f, p)
#define UM(f, v)	LIT(struct iommu_ioas_unmap, f, v)
#define UM_O(f, o)	OBJ(struct iommu_ioas_unmap, f, o)
#define TC(f, v)	LIT(struct iommu_test_cmd, f, v)
#define TC_O(f, o)	OBJ(struct iommu_test_cmd, f, o)

#define SZ(type)	sizeof(type)
#define SZ_MIN(type, last)	OFFSETOFEND(type, last)

#define HWPT_A		struct iommu_hwpt_alloc
#define HW_INFO		struct iommu_hw_info
#define INV		struct iommu_hwpt_invalidate
#define IOAS_MAP	struct iommu_ioas_map
#define IOAS_UNMAP	struct iommu_ioas_unmap
#define TEST_CMD	struct iommu_test_cmd

#define PAGE_4K		4096	/* x86: the guest's page size */

/* ---- the rows ---- */

/* ---- IOMMU_IOAS_ALLOC ---- */
FIXTURE_VARIANT_ADD(nest_uapi, ioas_alloc_ok) {
	K_IOAS_ALLOC, 0, .place = ARG_NORMAL
};
FIXTURE_VARIANT_ADD(nest_uapi, ioas_alloc_size_zero) {
	K_IOAS_ALLOC, EINVAL, .edit = { IA(size, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, ioas_alloc_size_short) {
	K_IOAS_ALLOC, EINVAL,
	.size = SZ_MIN(struct iommu_ioas_alloc, out_ioas_id) - 4
};
FIXTURE_VARIANT_ADD(nest_uapi, ioas_alloc_size_long_nonzero) {
	K_IOAS_ALLOC, E2BIG,
	.size = SZ(struct iommu_ioas_alloc) + 8, .trail = TAIL
};
FIXTURE_VARIANT_ADD(nest_uapi, ioas_alloc_size_long_zero) {
	K_IOAS_ALLOC, 0, .size = SZ(struct iommu_ioas_alloc) + 8
};
/* the kernel reads the tail to see it is zero: it is not there */
FIXTURE_VARIANT_ADD(nest_uapi, ioas_alloc_size_past_mapping) {
	K_IOAS_ALLOC, EFAULT,
	.place = ARG_PAGE_END, .size = SZ(struct iommu_ioas_alloc) + 8
};
FIXTURE_VARIANT_ADD(nest_uapi, ioas_alloc_flags_bit0) {
	K_IOAS_ALLOC, EOPNOTSUPP, .edit = { IA(flags, 1) }
};
FIXTURE_VARIANT_ADD(nest_uapi, ioas_alloc_flags_bit31) {
	K_IOAS_ALLOC, EOPNOTSUPP, .edit = { IA(flags, 1U << 31) }
};
FIXTURE_VARIANT_ADD(nest_uapi, ioas_alloc_arg_null) {
	K_IOAS_ALLOC, EFAULT, .place = ARG_NULL
};
/* the IOAS exists until the id is written back: then it is aborted */
FIXTURE_VARIANT_ADD(nest_uapi, ioas_alloc_arg_readonly) {
	K_IOAS_ALLOC, EFAULT, .place = ARG_READONLY
};

/* ---- IOMMU_HWPT_ALLOC, plain paging HWPT on the IOAS ---- */
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_ok) {
	K_HWPT, 0, .place = ARG_NORMAL
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_size_short) {
	K_HWPT, EINVAL, .size = SZ_MIN(HWPT_A, __reserved) - 4
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_size_long_nonzero) {
	K_HWPT, E2BIG, .size = SZ(HWPT_A) + 8, .trail = TAIL
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_size_long_zero) {
	K_HWPT, 0, .size = SZ(HWPT_A) + 8
};
/* the first version of the struct, before data_type */
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_size_v1) {
	K_HWPT, 0, .size = SZ_MIN(HWPT_A, __reserved)
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_size_past_mapping) {
	K_HWPT, EFAULT, .place = ARG_PAGE_END, .size = SZ(HWPT_A) + 8
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_reserved) {
	K_HWPT, EOPNOTSUPP, .edit = { HA(__reserved, 1) }
};
/* documented "must be 0", but 6.12 never looks at it */
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_reserved2_ignored) {
	K_HWPT, 0, .edit = { HA(__reserved2, 1) }
};
/* 6.13+ defines bit 3 as IOMMU_HWPT_ALLOC_PASID */
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_flags_bit3) {
	K_HWPT, EOPNOTSUPP, LATER(FEAT_ALLOC_PASID, 0),
	.edit = { HA(flags, 1 << 3) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_flags_bit31) {
	K_HWPT, EOPNOTSUPP, .edit = { HA(flags, 1U << 31) }
};
/* 6.12: fault reporting only on nested HWPTs */
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_fault_id_on_paging) {
	K_HWPT, EOPNOTSUPP,
	LATER(FEAT_FAULT_ON_PAGING, ENOENT),
	.edit = { HA(flags, IOMMU_HWPT_FAULT_ID_VALID) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_dirty_ok) {
	K_HWPT, 0, .edit = { HA(flags, IOMMU_HWPT_ALLOC_DIRTY_TRACKING) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_dirty_on_no_dirty_dev) {
	K_HWPT, EOPNOTSUPP,
	.edit = { HA(flags, IOMMU_HWPT_ALLOC_DIRTY_TRACKING),
		  HA_O(dev_id, O_IDEV1) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_dev_id_zero) {
	K_HWPT, ENOENT, .edit = { HA(dev_id, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_dev_id_stale) {
	K_HWPT, ENOENT, .edit = { HA_O(dev_id, O_STALE_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_dev_id_max) {
	K_HWPT, ENOENT, .edit = { HA(dev_id, UINT32_MAX) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_dev_id_is_ioas) {
	K_HWPT, ENOENT, .edit = { HA_O(dev_id, O_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_dev_id_is_hwpt) {
	K_HWPT, ENOENT, .edit = { HA_O(dev_id, O_PLAIN) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_dev_id_is_stdev) {
	K_HWPT, ENOENT, .edit = { HA_O(dev_id, O_STDEV0) }
};
/* a pt_id that finds no object is EINVAL, not ENOENT */
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_pt_id_zero) {
	K_HWPT, EINVAL, .edit = { HA(pt_id, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_pt_id_stale) {
	K_HWPT, EINVAL, .edit = { HA_O(pt_id, O_STALE_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_pt_id_max) {
	K_HWPT, EINVAL, .edit = { HA(pt_id, UINT32_MAX) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_pt_id_is_device) {
	K_HWPT, EINVAL, .edit = { HA_O(pt_id, O_IDEV0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_pt_id_is_stdev) {
	K_HWPT, EINVAL, .edit = { HA_O(pt_id, O_STDEV0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_data_none_with_len) {
	K_HWPT, EINVAL, .edit = { HA(data_len, 4), HA_P(data_uptr, P_PAYLOAD) }
};
/* "should be zero", yet ignored when data_len is 0 */
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_data_none_uptr_ignored) {
	K_HWPT, 0, .edit = { HA_P(data_uptr, P_UNMAPPED) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_data_type_without_len) {
	K_HWPT, EINVAL, .edit = { HA(data_type, IOMMU_HWPT_DATA_SELFTEST) }
};
/* the mock takes no driver data for a paging domain */
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_selftest_data_on_ioas) {
	K_HWPT, EOPNOTSUPP,
	LATER(FEAT_PAGING_DATA, 0),
	.edit = { HA(data_type, IOMMU_HWPT_DATA_SELFTEST), HA(data_len, 4),
		  HA_P(data_uptr, P_PAYLOAD) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_vtd_data_on_ioas) {
	K_HWPT, EOPNOTSUPP,
	.edit = { HA(data_type, IOMMU_HWPT_DATA_VTD_S1),
		  HA(data_len, sizeof(struct iommu_hwpt_vtd_s1)),
		  HA_P(data_uptr, P_PAYLOAD) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_arg_null) {
	K_HWPT, EFAULT, .place = ARG_NULL
};
FIXTURE_VARIANT_ADD(nest_uapi, hwpt_alloc_arg_readonly) {
	K_HWPT, EFAULT, .place = ARG_READONLY
};

/* ---- IOMMU_HWPT_ALLOC with NEST_PARENT ---- */
FIXTURE_VARIANT_ADD(nest_uapi, parent_alloc_ok) {
	K_PARENT, 0, .place = ARG_NORMAL
};
FIXTURE_VARIANT_ADD(nest_uapi, parent_alloc_dirty_ok) {
	K_PARENT, 0,
	.edit = { HA(flags, IOMMU_HWPT_ALLOC_NEST_PARENT |
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING) }
};
FIXTURE_VARIANT_ADD(nest_uapi, parent_alloc_flags_bit31) {
	K_PARENT, EOPNOTSUPP,
	.edit = { HA(flags, IOMMU_HWPT_ALLOC_NEST_PARENT | 1U << 31) }
};
FIXTURE_VARIANT_ADD(nest_uapi, parent_alloc_with_fault_id) {
	K_PARENT, EOPNOTSUPP,
	.edit = { HA(flags, IOMMU_HWPT_ALLOC_NEST_PARENT |
			    IOMMU_HWPT_FAULT_ID_VALID) }
};
FIXTURE_VARIANT_ADD(nest_uapi, parent_alloc_dirty_on_no_dirty_dev) {
	K_PARENT, EOPNOTSUPP,
	.edit = { HA(flags, IOMMU_HWPT_ALLOC_NEST_PARENT |
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING),
		  HA_O(dev_id, O_IDEV1) }
};
FIXTURE_VARIANT_ADD(nest_uapi, parent_alloc_with_selftest_data) {
	K_PARENT, EOPNOTSUPP,
	LATER(FEAT_PAGING_DATA, 0),
	.edit = { HA(data_type, IOMMU_HWPT_DATA_SELFTEST), HA(data_len, 4),
		  HA_P(data_uptr, P_PAYLOAD) }
};
/* on a paging HWPT this is a nested request, whose flags are bad */
FIXTURE_VARIANT_ADD(nest_uapi, parent_alloc_on_parent) {
	K_PARENT, EOPNOTSUPP, .edit = { HA_O(pt_id, O_PARENT) }
};
FIXTURE_VARIANT_ADD(nest_uapi, parent_alloc_on_nested) {
	K_PARENT, EINVAL, .edit = { HA_O(pt_id, O_NESTED) }
};
FIXTURE_VARIANT_ADD(nest_uapi, parent_alloc_dev_id_stale) {
	K_PARENT, ENOENT, .edit = { HA_O(dev_id, O_STALE_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, parent_alloc_arg_readonly) {
	K_PARENT, EFAULT, .place = ARG_READONLY
};

/* ---- IOMMU_HWPT_ALLOC, nested on the parent (SELFTEST data) ---- */
FIXTURE_VARIANT_ADD(nest_uapi, nested_alloc_ok) {
	K_NESTED, 0, .data = { IOMMU_TEST_IOTLB_DEFAULT }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_on_plain) {
	K_NESTED, EINVAL, .edit = { HA_O(pt_id, O_PLAIN) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_on_dirty) {
	K_NESTED, EINVAL, .edit = { HA_O(pt_id, O_DIRTY) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_on_auto_domain) {
	K_NESTED, EINVAL, .edit = { HA_O(pt_id, O_AUTO) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_on_nested) {
	K_NESTED, EINVAL, .edit = { HA_O(pt_id, O_NESTED) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_on_stale) {
	K_NESTED, EINVAL, .edit = { HA_O(pt_id, O_STALE_NESTED) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_on_device) {
	K_NESTED, EINVAL, .edit = { HA_O(pt_id, O_IDEV0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_data_len_zero) {
	K_NESTED, EINVAL, .edit = { HA(data_len, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_data_len_short) {
	K_NESTED, EINVAL, .edit = { HA(data_len, 2) }
};
/* driver data longer than the driver's struct: EINVAL, not E2BIG */
FIXTURE_VARIANT_ADD(nest_uapi, nested_data_len_long_nonzero) {
	K_NESTED, EINVAL,
	.data = { [SELFTEST_WORDS] = 1 }, .edit = { HA(data_len, SELFTEST_LONG) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_data_len_long_zero) {
	K_NESTED, EINVAL, .edit = { HA(data_len, SELFTEST_LONG) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_data_len_huge) {
	K_NESTED, EINVAL, .edit = { HA(data_len, 1 << 20) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_data_uptr_null) {
	K_NESTED, EFAULT, .edit = { HA(data_uptr, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_data_uptr_unmapped) {
	K_NESTED, EFAULT, .edit = { HA_P(data_uptr, P_UNMAPPED) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_data_type_none) {
	K_NESTED, EOPNOTSUPP,
	.edit = { HA(data_type, IOMMU_HWPT_DATA_NONE), HA(data_len, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_data_type_none_with_len) {
	K_NESTED, EINVAL, .edit = { HA(data_type, IOMMU_HWPT_DATA_NONE) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_data_type_vtd) {
	K_NESTED, EOPNOTSUPP, .edit = { HA(data_type, IOMMU_HWPT_DATA_VTD_S1) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_data_type_unknown) {
	K_NESTED, EOPNOTSUPP, .edit = { HA(data_type, 0xbeef) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_flags_dirty) {
	K_NESTED, EOPNOTSUPP,
	.edit = { HA(flags, IOMMU_HWPT_ALLOC_DIRTY_TRACKING) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_flags_nest_parent) {
	K_NESTED, EOPNOTSUPP,
	.edit = { HA(flags, IOMMU_HWPT_ALLOC_NEST_PARENT) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_flags_bit31) {
	K_NESTED, EOPNOTSUPP, .edit = { HA(flags, 1U << 31) }
};
/* the domain is built first, then the fault lookup fails: abort */
FIXTURE_VARIANT_ADD(nest_uapi, nested_fault_id_zero) {
	K_NESTED, ENOENT,
	.edit = { HA(flags, IOMMU_HWPT_FAULT_ID_VALID), HA(fault_id, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_fault_id_is_ioas) {
	K_NESTED, ENOENT,
	.edit = { HA(flags, IOMMU_HWPT_FAULT_ID_VALID),
		  HA_O(fault_id, O_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_dev_id_zero) {
	K_NESTED, ENOENT, .edit = { HA(dev_id, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_dev_id_is_ioas) {
	K_NESTED, ENOENT, .edit = { HA_O(dev_id, O_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_reserved) {
	K_NESTED, EOPNOTSUPP, .edit = { HA(__reserved, 1) }
};
FIXTURE_VARIANT_ADD(nest_uapi, nested_size_short) {
	K_NESTED, EINVAL, .size = SZ_MIN(HWPT_A, __reserved) - 4
};
/* the parent's reference must come back with the aborted child */
FIXTURE_VARIANT_ADD(nest_uapi, nested_arg_readonly) {
	K_NESTED, EFAULT, .place = ARG_READONLY
};

/* ---- IOMMU_GET_HW_INFO ---- */
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_ok) {
	K_HW_INFO, 0, .out = HI(data_len, sizeof(struct iommu_test_hw_info))
};
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_size_short) {
	K_HW_INFO, EINVAL, .size = SZ_MIN(HW_INFO, __reserved) - 4
};
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_size_long_nonzero) {
	K_HW_INFO, E2BIG, .size = SZ(HW_INFO) + 8, .trail = TAIL
};
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_size_long_zero) {
	K_HW_INFO, 0, .size = SZ(HW_INFO) + 8
};
/* before out_capabilities: the kernel must not write past size */
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_size_v1) {
	K_HW_INFO, 0,
	.size = SZ_MIN(HW_INFO, __reserved),
	.edit = { HI(out_capabilities, SENTINEL) },
	.out = HI(out_capabilities, SENTINEL)
};
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_size_past_mapping) {
	K_HW_INFO, EFAULT, .place = ARG_PAGE_END, .size = SZ(HW_INFO) + 8
};
/* later mainline defines bit 0 (IOMMU_HW_INFO_FLAG_INPUT_TYPE) */
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_flags_bit0) {
	K_HW_INFO, EOPNOTSUPP, LATER(FEAT_HW_INFO_TYPE, 0),
	.edit = { HI(flags, 1) }
};
/* an unknown flag is EOPNOTSUPP, never EINVAL, on every tree */
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_flags_bit1) {
	K_HW_INFO, EOPNOTSUPP, .edit = { HI(flags, 2) }
};
/* without INPUT_TYPE the field is output only: its input is not a type */
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_out_type_ignored) {
	K_HW_INFO, 0, .edit = { HI(out_data_type, 0xff) },
	.out = HI(out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST)
};
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_reserved0) {
	K_HW_INFO, EOPNOTSUPP, .edit = { HI(__reserved[0], 1) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_reserved2) {
	K_HW_INFO, EOPNOTSUPP, .edit = { HI(__reserved[2], 0x80) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_dev_id_zero) {
	K_HW_INFO, ENOENT, .edit = { HI(dev_id, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_dev_id_stale) {
	K_HW_INFO, ENOENT, .edit = { HI_O(dev_id, O_STALE_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_dev_id_max) {
	K_HW_INFO, ENOENT, .edit = { HI(dev_id, UINT32_MAX) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_dev_id_is_ioas) {
	K_HW_INFO, ENOENT, .edit = { HI_O(dev_id, O_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_dev_id_is_hwpt) {
	K_HW_INFO, ENOENT, .edit = { HI_O(dev_id, O_PARENT) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_dev_id_is_stdev) {
	K_HW_INFO, ENOENT, .edit = { HI_O(dev_id, O_STDEV0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_data_null) {
	K_HW_INFO, EFAULT, .edit = { HI(data_uptr, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_data_unmapped) {
	K_HW_INFO, EFAULT, .edit = { HI_P(data_uptr, P_UNMAPPED) }
};
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_data_readonly) {
	K_HW_INFO, EFAULT, .edit = { HI_P(data_uptr, P_RO) }
};
/* a zero-length query is allowed and tells the length */
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_data_len_zero) {
	K_HW_INFO, 0,
	.edit = { HI(data_len, 0), HI(data_uptr, 0) },
	.out = HI(data_len, sizeof(struct iommu_test_hw_info))
};
/* the kernel's 8 bytes, then the rest of the user's 16 zeroed */
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_data_len_long) {
	K_HW_INFO, 0, .flags = CHECK_PAYLOAD,
	.data = { 1, 2, 3, 4 }, .edit = { HI(data_len, 16) },
	.out = HI(data_len, sizeof(struct iommu_test_hw_info)),
	.payload = { 0, IOMMU_HW_INFO_SELFTEST_REGVAL, 0, 0 }
};
FIXTURE_VARIANT_ADD(nest_uapi, hw_info_arg_null) {
	K_HW_INFO, EFAULT, .place = ARG_NULL
};

/* ---- IOMMU_HWPT_INVALIDATE on the nested HWPT ---- */
FIXTURE_VARIANT_ADD(nest_uapi, inv_ok) {
	K_INVALIDATE, 0, .out = HV(entry_num, 1)
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_size_short) {
	K_INVALIDATE, EINVAL, .size = SZ_MIN(INV, __reserved) - 4
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_size_long_nonzero) {
	K_INVALIDATE, E2BIG, .size = SZ(INV) + 8, .trail = TAIL
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_size_long_zero) {
	K_INVALIDATE, 0, .size = SZ(INV) + 8, .out = HV(entry_num, 1)
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_reserved) {
	K_INVALIDATE, EOPNOTSUPP,
	.edit = { HV(__reserved, 1) }, .out = HV(entry_num, 0)
};
/* the lookup is typed: a paging HWPT is "no such nested HWPT" */
FIXTURE_VARIANT_ADD(nest_uapi, inv_hwpt_is_parent) {
	K_INVALIDATE, ENOENT,
	LATER(FEAT_VIOMMU_INVALIDATE, EINVAL),
	.edit = { HV_O(hwpt_id, O_PARENT) }, .out = HV(entry_num, 0)
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_hwpt_is_ioas) {
	K_INVALIDATE, ENOENT,
	LATER(FEAT_VIOMMU_INVALIDATE, EINVAL),
	.edit = { HV_O(hwpt_id, O_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_hwpt_is_device) {
	K_INVALIDATE, ENOENT,
	LATER(FEAT_VIOMMU_INVALIDATE, EINVAL),
	.edit = { HV_O(hwpt_id, O_IDEV0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_hwpt_zero) {
	K_INVALIDATE, ENOENT, .edit = { HV(hwpt_id, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_hwpt_stale) {
	K_INVALIDATE, ENOENT, .edit = { HV_O(hwpt_id, O_STALE_NESTED) }
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_type_invalid) {
	K_INVALIDATE, EINVAL,
	.edit = { HV(data_type, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID) },
	.out = HV(entry_num, 0)
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_type_vtd) {
	K_INVALIDATE, EINVAL,
	.edit = { HV(data_type, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1) },
	.out = HV(entry_num, 0)
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_entry_len_zero) {
	K_INVALIDATE, EINVAL,
	.edit = { HV(entry_len, 0) }, .out = HV(entry_num, 0)
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_entry_len_short) {
	K_INVALIDATE, EINVAL,
	.edit = { HV(entry_len, 4) }, .out = HV(entry_num, 0)
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_entry_len_long_nonzero) {
	K_INVALIDATE, EINVAL,
	.data = { 0, 0, 1 }, .edit = { HV(entry_len, 12) },
	.out = HV(entry_num, 0)
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_entry_len_long_zero) {
	K_INVALIDATE, EINVAL,
	.edit = { HV(entry_len, 12) }, .out = HV(entry_num, 0)
};
/* bounded since 6.12.96; before, the mock refused it, also EINVAL */
FIXTURE_VARIANT_ADD(nest_uapi, inv_entry_len_over_page) {
	K_INVALIDATE, EINVAL,
	.edit = { HV(entry_len, PAGE_4K + 8) }, .out = HV(entry_num, 0)
};
/* bounded since 6.12.96; before, the mock walked the array */
FIXTURE_VARIANT_ADD(nest_uapi, inv_entry_num_over_max) {
	K_INVALIDATE, EINVAL,
	.edit = { HV(entry_num, (1 << 19) + 1) }, .out = HV(entry_num, 0)
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_data_null) {
	K_INVALIDATE, EINVAL,
	.edit = { HV(data_uptr, 0) }, .out = HV(entry_num, 0)
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_data_unmapped) {
	K_INVALIDATE, EFAULT,
	.edit = { HV_P(data_uptr, P_UNMAPPED) }, .out = HV(entry_num, 0)
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_entry_flags_unknown) {
	K_INVALIDATE, EOPNOTSUPP, .data = { 1 << 1 }, .out = HV(entry_num, 0)
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_entry_iotlb_id_over) {
	K_INVALIDATE, EINVAL,
	.data = { 0, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1 },
	.out = HV(entry_num, 0)
};
/* the last valid id is valid */
FIXTURE_VARIANT_ADD(nest_uapi, inv_entry_iotlb_id_max) {
	K_INVALIDATE, 0,
	.data = { 0, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX }, .out = HV(entry_num, 1)
};
/* entry_num comes back as the number of entries handled */
FIXTURE_VARIANT_ADD(nest_uapi, inv_second_entry_bad) {
	K_INVALIDATE, EINVAL,
	.data = { 0, 0, 0, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1 },
	.edit = { HV(entry_num, 2) }, .out = HV(entry_num, 1)
};
/* an empty array probes the data type: pointer and length ignored */
FIXTURE_VARIANT_ADD(nest_uapi, inv_empty_ok) {
	K_INVALIDATE, 0,
	.edit = { HV(entry_num, 0), HV(entry_len, 0), HV(data_uptr, 0) },
	.out = HV(entry_num, 0)
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_empty_bad_type) {
	K_INVALIDATE, EINVAL,
	.edit = { HV(entry_num, 0),
		  HV(data_type, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID) }
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_arg_null) {
	K_INVALIDATE, EFAULT, .place = ARG_NULL
};
FIXTURE_VARIANT_ADD(nest_uapi, inv_arg_readonly) {
	K_INVALIDATE, EFAULT, .place = ARG_READONLY
};

/* ---- IOMMU_DESTROY ---- */
FIXTURE_VARIANT_ADD(nest_uapi, destroy_ok) {
	K_DESTROY, 0, .place = ARG_NORMAL
};
FIXTURE_VARIANT_ADD(nest_uapi, destroy_size_short) {
	K_DESTROY, EINVAL, .size = SZ_MIN(struct iommu_destroy, id) - 4
};
FIXTURE_VARIANT_ADD(nest_uapi, destroy_size_long_nonzero) {
	K_DESTROY, E2BIG, .size = SZ(struct iommu_destroy) + 8, .trail = TAIL
};
FIXTURE_VARIANT_ADD(nest_uapi, destroy_size_long_zero) {
	K_DESTROY, 0, .size = SZ(struct iommu_destroy) + 8
};
FIXTURE_VARIANT_ADD(nest_uapi, destroy_id_zero) {
	K_DESTROY, ENOENT, .edit = { DS(id, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, destroy_id_stale) {
	K_DESTROY, ENOENT, .edit = { DS_O(id, O_STALE_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, destroy_id_max) {
	K_DESTROY, ENOENT, .edit = { DS(id, UINT32_MAX) }
};
/* ids are allocated below 2^31 */
FIXTURE_VARIANT_ADD(nest_uapi, destroy_id_bit31) {
	K_DESTROY, ENOENT, .edit = { DS(id, 1U << 31) }
};
FIXTURE_VARIANT_ADD(nest_uapi, destroy_ioas_in_use) {
	K_DESTROY, EBUSY, .edit = { DS_O(id, O_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, destroy_auto_domain_in_use) {
	K_DESTROY, EBUSY, .edit = { DS_O(id, O_AUTO) }
};
FIXTURE_VARIANT_ADD(nest_uapi, destroy_plain_attached) {
	K_DESTROY, EBUSY, .edit = { DS_O(id, O_PLAIN) }
};
FIXTURE_VARIANT_ADD(nest_uapi, destroy_dirty_attached) {
	K_DESTROY, EBUSY, .edit = { DS_O(id, O_DIRTY) }
};
FIXTURE_VARIANT_ADD(nest_uapi, destroy_parent_with_child) {
	K_DESTROY, EBUSY, .edit = { DS_O(id, O_PARENT) }
};
FIXTURE_VARIANT_ADD(nest_uapi, destroy_nested_attached) {
	K_DESTROY, EBUSY, .edit = { DS_O(id, O_NESTED) }
};
FIXTURE_VARIANT_ADD(nest_uapi, destroy_device_bound) {
	K_DESTROY, EBUSY, .edit = { DS_O(id, O_IDEV0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, destroy_arg_null) {
	K_DESTROY, EFAULT, .place = ARG_NULL
};

/* ---- IOMMU_IOAS_MAP ---- */
FIXTURE_VARIANT_ADD(nest_uapi, map_ok) { K_MAP, 0, .place = ARG_NORMAL };
FIXTURE_VARIANT_ADD(nest_uapi, map_size_short) {
	K_MAP, EINVAL, .size = SZ_MIN(IOAS_MAP, iova) - 4
};
FIXTURE_VARIANT_ADD(nest_uapi, map_size_long_nonzero) {
	K_MAP, E2BIG, .size = SZ(IOAS_MAP) + 8, .trail = TAIL
};
FIXTURE_VARIANT_ADD(nest_uapi, map_size_long_zero) {
	K_MAP, 0, .size = SZ(IOAS_MAP) + 8
};
FIXTURE_VARIANT_ADD(nest_uapi, map_flags_bit3) {
	K_MAP, EOPNOTSUPP,
	.edit = { MP(flags, IOMMU_IOAS_MAP_FIXED_IOVA |
			    IOMMU_IOAS_MAP_READABLE | 1 << 3) }
};
FIXTURE_VARIANT_ADD(nest_uapi, map_reserved) {
	K_MAP, EOPNOTSUPP, .edit = { MP(__reserved, 1) }
};
FIXTURE_VARIANT_ADD(nest_uapi, map_no_prot) {
	K_MAP, EINVAL, .edit = { MP(flags, IOMMU_IOAS_MAP_FIXED_IOVA) }
};
FIXTURE_VARIANT_ADD(nest_uapi, map_iova_u64_max) {
	K_MAP, EOVERFLOW, .edit = { MP(iova, UINT64_MAX) }
};
FIXTURE_VARIANT_ADD(nest_uapi, map_length_u64_max) {
	K_MAP, EOVERFLOW, .edit = { MP(length, UINT64_MAX) }
};
FIXTURE_VARIANT_ADD(nest_uapi, map_length_zero) {
	K_MAP, EINVAL, .edit = { MP(length, 0) }
};
/* below the mock's IO page size (half a CPU page) */
FIXTURE_VARIANT_ADD(nest_uapi, map_length_unaligned) {
	K_MAP, EINVAL, .edit = { MP(length, 100) }
};
FIXTURE_VARIANT_ADD(nest_uapi, map_iova_unaligned) {
	K_MAP, EINVAL, .edit = { MP(iova, MAP_IOVA + 1) }
};
/* below the aperture: reserved by every domain of the IOAS */
FIXTURE_VARIANT_ADD(nest_uapi, map_iova_reserved) {
	K_MAP, EINVAL, .edit = { MP(iova, PAGE_4K) }
};
FIXTURE_VARIANT_ADD(nest_uapi, map_iova_in_use) {
	K_MAP, EEXIST, .flags = PREP_MAP, .edit = { MP(iova, PREP_IOVA) }
};
FIXTURE_VARIANT_ADD(nest_uapi, map_ioas_zero) {
	K_MAP, ENOENT, .edit = { MP(ioas_id, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, map_ioas_stale) {
	K_MAP, ENOENT, .edit = { MP_O(ioas_id, O_STALE_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, map_ioas_is_hwpt) {
	K_MAP, ENOENT, .edit = { MP_O(ioas_id, O_PLAIN) }
};
FIXTURE_VARIANT_ADD(nest_uapi, map_ioas_is_device) {
	K_MAP, ENOENT, .edit = { MP_O(ioas_id, O_IDEV0) }
};
/* domains are attached, so the pages are pinned now and fail now */
FIXTURE_VARIANT_ADD(nest_uapi, map_uva_null) {
	K_MAP, EFAULT, .edit = { MP(user_va, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, map_uva_unmapped) {
	K_MAP, EFAULT, .edit = { MP_P(user_va, P_UNMAPPED) }
};
FIXTURE_VARIANT_ADD(nest_uapi, map_uva_wraps) {
	K_MAP, EOVERFLOW,
	.edit = { MP(user_va, -(uint64_t)PAGE_4K),
		  MP(length, 2 * PAGE_4K) }
};
FIXTURE_VARIANT_ADD(nest_uapi, map_write_readonly_page) {
	K_MAP, EFAULT, .edit = { MP_P(user_va, P_RO) }
};
/* mapped, then the IOVA cannot be written back: the map stays */
FIXTURE_VARIANT_ADD(nest_uapi, map_arg_readonly) {
	K_MAP, EFAULT, .place = ARG_READONLY, .flags = UNDO_ON_FAIL
};

/* ---- IOMMU_IOAS_UNMAP of the page mapped at PREP_IOVA ---- */
FIXTURE_VARIANT_ADD(nest_uapi, unmap_ok) {
	K_UNMAP, 0, .out = UM(length, PAGE_4K)
};
FIXTURE_VARIANT_ADD(nest_uapi, unmap_size_short) {
	K_UNMAP, EINVAL, .size = SZ_MIN(IOAS_UNMAP, length) - 4
};
FIXTURE_VARIANT_ADD(nest_uapi, unmap_size_long_nonzero) {
	K_UNMAP, E2BIG, .size = SZ(IOAS_UNMAP) + 8, .trail = TAIL
};
FIXTURE_VARIANT_ADD(nest_uapi, unmap_size_long_zero) {
	K_UNMAP, 0, .size = SZ(IOAS_UNMAP) + 8, .out = UM(length, PAGE_4K)
};
FIXTURE_VARIANT_ADD(nest_uapi, unmap_all_ok) {
	K_UNMAP, 0,
	.edit = { UM(iova, 0), UM(length, UINT64_MAX) },
	.out = UM(length, PAGE_4K)
};
FIXTURE_VARIANT_ADD(nest_uapi, unmap_ioas_zero) {
	K_UNMAP, ENOENT, .edit = { UM(ioas_id, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, unmap_ioas_stale) {
	K_UNMAP, ENOENT, .edit = { UM_O(ioas_id, O_STALE_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, unmap_ioas_is_hwpt) {
	K_UNMAP, ENOENT, .edit = { UM_O(ioas_id, O_PLAIN) }
};
FIXTURE_VARIANT_ADD(nest_uapi, unmap_iova_u64_max) {
	K_UNMAP, EOVERFLOW, .edit = { UM(iova, UINT64_MAX) }
};
FIXTURE_VARIANT_ADD(nest_uapi, unmap_length_u64_max) {
	K_UNMAP, EOVERFLOW, .edit = { UM(length, UINT64_MAX) }
};
FIXTURE_VARIANT_ADD(nest_uapi, unmap_range_wraps) {
	K_UNMAP, EOVERFLOW, .edit = { UM(length, UINT64_MAX - 1) }
};
FIXTURE_VARIANT_ADD(nest_uapi, unmap_length_zero) {
	K_UNMAP, EINVAL, .edit = { UM(length, 0) }
};
/* a mapping is unmapped whole or not at all */
FIXTURE_VARIANT_ADD(nest_uapi, unmap_partial) {
	K_UNMAP, ENOENT, .edit = { UM(length, PAGE_4K / 2) }
};
FIXTURE_VARIANT_ADD(nest_uapi, unmap_hole) {
	K_UNMAP, ENOENT, .edit = { UM(iova, MAP_IOVA) }
};
/* unmapped, then the length cannot be written back */
FIXTURE_VARIANT_ADD(nest_uapi, unmap_arg_readonly) {
	K_UNMAP, EFAULT, .place = ARG_READONLY, .flags = UNDO_ON_FAIL
};

/* ---- IOMMU_TEST_CMD itself ---- */
FIXTURE_VARIANT_ADD(nest_uapi, test_cmd_ok) {
	K_TEST_CMD, 0, .place = ARG_NORMAL
};
FIXTURE_VARIANT_ADD(nest_uapi, test_cmd_size_short) {
	K_TEST_CMD, EINVAL, .size = SZ_MIN(TEST_CMD, last) - 4
};
/* without the padding after "last" */
FIXTURE_VARIANT_ADD(nest_uapi, test_cmd_size_min) {
	K_TEST_CMD, 0, .size = SZ_MIN(TEST_CMD, last)
};
FIXTURE_VARIANT_ADD(nest_uapi, test_cmd_size_long_nonzero) {
	K_TEST_CMD, E2BIG, .size = SZ(TEST_CMD) + 8, .trail = TAIL
};
FIXTURE_VARIANT_ADD(nest_uapi, test_cmd_size_long_zero) {
	K_TEST_CMD, 0, .size = SZ(TEST_CMD) + 8
};
FIXTURE_VARIANT_ADD(nest_uapi, test_cmd_op_zero) {
	K_TEST_CMD, EOPNOTSUPP, .edit = { TC(op, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, test_cmd_op_unknown) {
	K_TEST_CMD, EOPNOTSUPP, .edit = { TC(op, 0xffff) }
};
FIXTURE_VARIANT_ADD(nest_uapi, test_cmd_arg_null) {
	K_TEST_CMD, EFAULT, .place = ARG_NULL
};

/* ---- IOMMU_TEST_OP_MOCK_DOMAIN: a new device on a pt_id ---- */
FIXTURE_VARIANT_ADD(nest_uapi, mock_domain_ok) {
	K_MOCK_DOMAIN, 0, .place = ARG_NORMAL
};
FIXTURE_VARIANT_ADD(nest_uapi, mock_domain_id_zero) {
	K_MOCK_DOMAIN, ENOENT, .edit = { TC(id, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, mock_domain_id_stale) {
	K_MOCK_DOMAIN, ENOENT, .edit = { TC_O(id, O_STALE_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, mock_domain_id_is_device) {
	K_MOCK_DOMAIN, EINVAL, .edit = { TC_O(id, O_IDEV0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, mock_domain_id_is_stdev) {
	K_MOCK_DOMAIN, EINVAL, .edit = { TC_O(id, O_STDEV0) }
};
/* bound and attached, then undone when the ids cannot be written */
FIXTURE_VARIANT_ADD(nest_uapi, mock_domain_arg_readonly) {
	K_MOCK_DOMAIN, EFAULT, .place = ARG_READONLY
};

/* ---- IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS ---- */
FIXTURE_VARIANT_ADD(nest_uapi, mock_flags_ok) {
	K_MOCK_FLAGS, 0, .place = ARG_NORMAL
};
FIXTURE_VARIANT_ADD(nest_uapi, mock_flags_unknown) {
	K_MOCK_FLAGS, EINVAL, LATER(FEAT_MOCK_PASID, 0),
	.edit = { TC(mock_domain_flags.dev_flags, 1 << 2) }
};
FIXTURE_VARIANT_ADD(nest_uapi, mock_flags_bit31) {
	K_MOCK_FLAGS, EINVAL,
	.edit = { TC(mock_domain_flags.dev_flags, 1U << 31) }
};
FIXTURE_VARIANT_ADD(nest_uapi, mock_flags_no_dirty_on_dirty) {
	K_MOCK_FLAGS, EINVAL,
	.edit = { TC(mock_domain_flags.dev_flags, MOCK_FLAGS_DEVICE_NO_DIRTY),
		  TC_O(id, O_DIRTY) }
};

/* ---- IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE of dev1 ---- */
FIXTURE_VARIANT_ADD(nest_uapi, replace_same_ok) {
	K_REPLACE, 0, .out = OBJ(TEST_CMD, mock_domain_replace.pt_id, O_PLAIN)
};
FIXTURE_VARIANT_ADD(nest_uapi, replace_stdev_zero) {
	K_REPLACE, ENOENT, .edit = { TC(id, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, replace_stdev_stale) {
	K_REPLACE, ENOENT, .edit = { TC_O(id, O_STALE_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, replace_stdev_is_device) {
	K_REPLACE, ENOENT, .edit = { TC_O(id, O_IDEV1) }
};
FIXTURE_VARIANT_ADD(nest_uapi, replace_stdev_is_ioas) {
	K_REPLACE, ENOENT, .edit = { TC_O(id, O_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, replace_pt_zero) {
	K_REPLACE, ENOENT, .edit = { TC(mock_domain_replace.pt_id, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, replace_pt_stale) {
	K_REPLACE, ENOENT,
	.edit = { TC_O(mock_domain_replace.pt_id, O_STALE_NESTED) }
};
FIXTURE_VARIANT_ADD(nest_uapi, replace_pt_is_device) {
	K_REPLACE, EINVAL, .edit = { TC_O(mock_domain_replace.pt_id, O_IDEV0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, replace_pt_is_stdev) {
	K_REPLACE, EINVAL, .edit = { TC_O(mock_domain_replace.pt_id, O_STDEV0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, replace_no_dirty_onto_dirty) {
	K_REPLACE, EINVAL, .edit = { TC_O(mock_domain_replace.pt_id, O_DIRTY) }
};

/* ---- IOMMU_TEST_OP_MD_CHECK_IOTLB ---- */
FIXTURE_VARIANT_ADD(nest_uapi, iotlb_ok) {
	K_CHECK_IOTLB, 0, .place = ARG_NORMAL
};
FIXTURE_VARIANT_ADD(nest_uapi, iotlb_id_is_parent) {
	K_CHECK_IOTLB, ENOENT, .edit = { TC_O(id, O_PARENT) }
};
FIXTURE_VARIANT_ADD(nest_uapi, iotlb_id_is_ioas) {
	K_CHECK_IOTLB, ENOENT, .edit = { TC_O(id, O_IOAS) }
};
FIXTURE_VARIANT_ADD(nest_uapi, iotlb_id_zero) {
	K_CHECK_IOTLB, ENOENT, .edit = { TC(id, 0) }
};
FIXTURE_VARIANT_ADD(nest_uapi, iotlb_id_stale) {
	K_CHECK_IOTLB, ENOENT, .edit = { TC_O(id, O_STALE_NESTED) }
};
FIXTURE_VARIANT_ADD(nest_uapi, iotlb_index_over) {
	K_CHECK_IOTLB, EINVAL,
	.edit = { TC(check_iotlb.id, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1) }
};
FIXTURE_VARIANT_ADD(nest_uapi, iotlb_value_wrong) {
	K_CHECK_IOTLB, EINVAL, .edit = { TC(check_iotlb.iotlb, 0) }
};

/* ---- the fixture ---- */

/* Arena pages; the unmapped one has mapped neighbours. */
enum {
	PG_ARG,
	PG_PAYLOAD,
	PG_MAPBUF,
	PG_PREPBUF,
	PG_RO,
	PG_ARG_END,	/* ARG_PAGE_END puts the argument at its end */
	PG_HOLE,	/* munmap'ed */
	PG_GUARD,
	NR_PAGES
};

static uint8_t *arena_page(struct uapi_env *env, int pg)
{
	return env->arena + pg * env->page;
}

/* ---- probes of the features that changed answers ---- */

enum found { FEATURE_ABSENT, FEATURE_PRESENT, FEATURE_UNKNOWN, FEATURE_ODD };

/* A probe's answer @rc: @present, @absent (the kernel predates it), or odd. */
static enum found judge(int rc, int present, int absent, const char *what,
			char *why, size_t len)
{
	snprintf(why, len, "%s answered %s", what,
		 rc ? nest_errno_name(-rc) : "success");
	if (rc == present)
		return FEATURE_PRESENT;
	return rc == absent ? FEATURE_ABSENT : FEATURE_ODD;
}

/* A HWPT of @cmd on the IOAS for device 0, destroyed at once. */
static int try_hwpt(struct uapi_env *env, struct iommu_hwpt_alloc *cmd)
{
	int rc;

	cmd->size = sizeof(*cmd);
	cmd->dev_id = env->id[O_IDEV0];
	cmd->pt_id = env->id[O_IOAS];
	rc = nest_ioctl(env->fd, IOMMU_HWPT_ALLOC, cmd);
	return rc ?: nest_destroy(env->fd, cmd->out_hwpt_id);
}

/* bit 3 of HWPT_ALLOC, IOMMU_HWPT_ALLOC_PASID where the headers have it */
#define HWPT_ALLOC_BIT3		(1 << 3)
/* the second word of SELFTEST data: MOCK_IOMMUPT_HUGE where it exists */
#define MOCK_PT_HUGE		1

static enum found probe_feature(struct uapi_env *env, enum uapi_feature f,
				char *why, size_t len)
{
	struct iommu_hwpt_alloc hwpt = { 0 };
	struct iommu_hw_info info = { 0 };
	uint32_t data[2] = { 0, MOCK_PT_HUGE };
	int rc;

	switch (f) {
	case FEAT_ALLOC_PASID:
		/* the row asks for it on a plain HWPT, this on a parent */
		hwpt.flags = IOMMU_HWPT_ALLOC_NEST_PARENT | HWPT_ALLOC_BIT3;
		return judge(try_hwpt(env, &hwpt), 0, -EOPNOTSUPP,
			     "HWPT_ALLOC NEST_PARENT | bit 3", why, len);
	case FEAT_FAULT_ON_PAGING:
#ifdef IOMMU_FAULT_QUEUE_ALLOC
	{
		struct iommu_fault_alloc fault = { .size = sizeof(fault) };
		int err;

		rc = nest_ioctl(env->fd, IOMMU_FAULT_QUEUE_ALLOC, &fault);
		if (rc)
			return judge(rc, 0, -ENOTTY, "IOMMU_FAULT_QUEUE_ALLOC",
				     why, len);
		hwpt.flags = IOMMU_HWPT_FAULT_ID_VALID;
		hwpt.fault_id = fault.out_fault_id;
		rc = try_hwpt(env, &hwpt);
		close(fault.out_fault_fd);
		err = nest_destroy(env->fd, fault.out_fault_id);
		if (err)
			return judge(err, 0, 0, "IOMMU_DESTROY of the fault queue",
				     why, len);
		return judge(rc, 0, -EOPNOTSUPP,
			     "HWPT_ALLOC FAULT_ID_VALID of a fault queue", why,
			     len);
	}
#else
		snprintf(why, len, "built against headers without IOMMU_FAULT_QUEUE_ALLOC");
		return FEATURE_UNKNOWN;
#endif
	case FEAT_PAGING_DATA:
		hwpt.data_type = IOMMU_HWPT_DATA_SELFTEST;
		hwpt.data_len = sizeof(data);
		hwpt.data_uptr = (uintptr_t)data;
		return judge(try_hwpt(env, &hwpt), 0, -EOPNOTSUPP,
			     "HWPT_ALLOC SELFTEST data of the huge page table type",
			     why, len);
	case FEAT_HW_INFO_TYPE:
		/* with bit 0 (INPUT_TYPE) out_data_type names a type: the mock's */
		info.size = sizeof(info);
		info.flags = 1;
		info.dev_id = env->id[O_IDEV0];
		info.out_data_type = IOMMU_HW_INFO_TYPE_SELFTEST;
		return judge(nest_ioctl(env->fd, IOMMU_GET_HW_INFO, &info), 0,
			     -EOPNOTSUPP, "GET_HW_INFO flags 1 for type SELFTEST",
			     why, len);
	case FEAT_VIOMMU_INVALIDATE:
#ifdef IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST
	{
		uint32_t viommu = 0, none = 0;
		int err;

		rc = nest_viommu_alloc(env->fd, IOMMU_VIOMMU_TYPE_SELFTEST, 0,
				       env->id[O_IDEV0], env->id[O_PARENT],
				       &viommu);
		if (rc)
			return judge(rc, 0, -ENOTTY, "IOMMU_VIOMMU_ALLOC", why,
				     len);
		/* an empty array only checks its type */
		rc = nest_hwpt_invalidate(env->fd, viommu,
					  IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
					  NULL, 0, &none);
		err = nest_destroy(env->fd, viommu);
		if (err)
			return judge(err, 0, 0, "IOMMU_DESTROY of the vIOMMU", why,
				     len);
		return judge(rc, 0, -ENOENT, "HWPT_INVALIDATE of a vIOMMU", why,
			     len);
	}
#else
		snprintf(why, len, "built against headers without IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST");
		return FEATURE_UNKNOWN;
#endif
	case FEAT_MOCK_PASID:
#ifdef IOMMU_TEST_PASID_RESERVED
	{
		/* id 0 names no mock device */
		struct iommu_test_cmd cmd = {
			.op = IOMMU_TEST_OP_PASID_CHECK_HWPT,
		};

		return judge(nest_test_cmd(env->fd, &cmd), -ENOENT, -EOPNOTSUPP,
			     "IOMMU_TEST_OP_PASID_CHECK_HWPT of id 0", why, len);
	}
#else
		snprintf(why, len, "built against a tree whose mock has no PASID test ops");
		return FEATURE_UNKNOWN;
#endif
	case FEAT_NONE:
		break;
	}
	return FEATURE_ABSENT;
}

/*
 * The errno a row expects: @expect, or @later once the probe found the
 * feature; with nothing to tell, either measured answer, so @got if it
 * is one of them.
 */
static int expected_errno(int expect, int later, enum found found, int got)
{
	switch (found) {
	case FEATURE_PRESENT:
		return later;
	case FEATURE_UNKNOWN:
		return got == later ? later : expect;
	default:
		return expect;
	}
}

/*
 * iommufd hands out object ids with xa_alloc(): always the lowest free
 * one.  The ids NR_PROBE fresh IOASes get are a fingerprint of the low
 * free ids, which any object a case leaked would change.
 */
static int probe_ids(int fd, uint32_t *ids)
{
	int i, rc;

	for (i = 0; i < NR_PROBE; i++) {
		rc = nest_ioas_alloc(fd, &ids[i]);
		if (rc)
			return rc;
	}
	for (i = NR_PROBE - 1; i >= 0; i--) {
		rc = nest_destroy(fd, ids[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static size_t kind_size(enum uapi_kind kind);

FIXTURE_SETUP(nest_uapi)
{
	typeof(variant) c = variant;
	struct uapi_env *env = &self->env;
	uint32_t pad[NR_PAD], auto_id, *id = env->id;
	static const uint32_t dev_flags[] = {
		0, MOCK_FLAGS_DEVICE_NO_DIRTY, 0, 0
	};
	size_t size = kind_size(c->kind);
	char why[96];
	int i;

	/* a broken row is a bug of the test, with or without an IOMMU */
	ASSERT_NE(0, size) TH_LOG("test: the row's kind is unknown");
	for (i = 0; i < MAX_EDITS; i++)
		ASSERT_GE(size, c->edit[i].off + c->edit[i].width)
			TH_LOG("test: edit %d is outside the argument", i);
	ASSERT_GE(size, c->out.off + c->out.width)
		TH_LOG("test: the out check is outside the argument");
	ASSERT_FALSE(c->place == ARG_PAGE_END && c->trail)
		TH_LOG("test: no tail bytes past the mapping");
	ASSERT_GE(2 * size + 64, c->size)
		TH_LOG("test: the size is far past the argument buffer");
	env->fd = nest_mock_open(why, sizeof(why));
	if (env->fd < 0)
		SKIP(return, "%s", why);

	env->page = sysconf(_SC_PAGESIZE);
	ASSERT_EQ(PAGE_4K, env->page)
		TH_LOG("test: the table assumes 4 KiB pages");
	env->arena = mmap(NULL, NR_PAGES * env->page, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, env->arena) TH_LOG("test: no arena");
	ASSERT_EQ(0, munmap(arena_page(env, PG_HOLE), env->page))
		TH_LOG("test: no hole in the arena");
	memset(arena_page(env, PG_MAPBUF), 0xa5, 2 * env->page);
	ASSERT_EQ(0, mprotect(arena_page(env, PG_RO), env->page, PROT_READ))
		TH_LOG("test: no read-only page in the arena");

	/* four devices on one automatic domain, then spread out */
	test_cmd_ioas_alloc(env->fd, &id[O_IOAS]);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, nest_test_mock_domain_flags(env->fd, id[O_IOAS],
							 dev_flags[i],
							 &id[O_STDEV0 + i],
							 &id[O_IDEV0 + i],
							 &auto_id))
			TH_LOG("kernel: mock device %d refused", i);
		if (i)
			ASSERT_EQ(id[O_AUTO], auto_id)
				TH_LOG("kernel: mock device %d got its own automatic domain",
				       i);
		id[O_AUTO] = auto_id;
	}
	test_cmd_hwpt_alloc(env->fd, id[O_IDEV0], id[O_IOAS], 0, &id[O_PLAIN]);
	test_cmd_hwpt_alloc(env->fd, id[O_IDEV0], id[O_IOAS],
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &id[O_PARENT]);
	test_cmd_hwpt_alloc(env->fd, id[O_IDEV0], id[O_IOAS],
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &id[O_DIRTY]);
	test_cmd_hwpt_alloc_nested(env->fd, id[O_IDEV0], id[O_PARENT],
				   &id[O_NESTED]);
	test_cmd_mock_domain_replace(env->fd, id[O_STDEV0], id[O_NESTED]);
	test_cmd_mock_domain_replace(env->fd, id[O_STDEV1], id[O_PLAIN]);
	test_cmd_mock_domain_replace(env->fd, id[O_STDEV3], id[O_DIRTY]);

	/*
	 * Stale ids above a block of freed ones: a case's own allocations
	 * take the lowest free ids, so they never revive a stale id.
	 */
	for (i = 0; i < NR_PAD; i++)
		test_cmd_ioas_alloc(env->fd, &pad[i]);
	test_cmd_ioas_alloc(env->fd, &id[O_STALE_IOAS]);
	test_cmd_hwpt_alloc_nested(env->fd, id[O_IDEV0], id[O_PARENT],
				   &id[O_STALE_NESTED]);
	test_cmd_destroy(env->fd, id[O_STALE_NESTED]);
	test_cmd_destroy(env->fd, id[O_STALE_IOAS]);
	for (i = NR_PAD - 1; i >= 0; i--)
		test_cmd_destroy(env->fd, pad[i]);
}

FIXTURE_TEARDOWN(nest_uapi)
{
	struct uapi_env *env = &self->env;

	/* closing the file frees whatever a failed case left */
	if (env->fd >= 0)
		close(env->fd);
	if (env->arena)
		munmap(env->arena, NR_PAGES * env->page);
}

/* ---- per kind: the valid argument, and undoing its success ---- */

static void base_hwpt(struct uapi_env *env, void *arg, uint32_t flags)
{
	struct iommu_hwpt_alloc *cmd = arg;

	cmd->flags = flags;
	cmd->dev_id = env->id[O_IDEV0];
	cmd->pt_id = env->id[O_IOAS];
}

static void build_base(struct uapi_env *env, enum uapi_kind kind,
		       void *arg)
{
	uintptr_t payload = (uintptr_t)arena_page(env, PG_PAYLOAD);
	struct iommu_hwpt_invalidate *inv = arg;
	struct iommu_ioas_unmap *unmap_cmd = arg;
	struct iommu_hwpt_alloc *hwpt = arg;
	struct iommu_ioas_map *map = arg;
	struct iommu_test_cmd *tc = arg;
	struct iommu_hw_info *info = arg;
	uint32_t *id = env->id;

	switch (kind) {
	case K_IOAS_ALLOC:
	case NR_KIND:
		break;
	case K_HWPT:
		base_hwpt(env, arg, 0);
		break;
	case K_PARENT:
		base_hwpt(env, arg, IOMMU_HWPT_ALLOC_NEST_PARENT);
		break;
	case K_NESTED:
		base_hwpt(env, arg, 0);
		hwpt->pt_id = id[O_PARENT];
		hwpt->data_type = IOMMU_HWPT_DATA_SELFTEST;
		hwpt->data_len = NEST_SELFTEST_DATA_LEN;
		hwpt->data_uptr = payload;
		break;
	case K_HW_INFO:
		info->dev_id = id[O_IDEV0];
		info->data_len = sizeof(struct iommu_test_hw_info);
		info->data_uptr = payload;
		break;
	case K_INVALIDATE:
		inv->hwpt_id = id[O_NESTED];
		inv->data_uptr = payload;
		inv->data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
		inv->entry_len = sizeof(struct iommu_hwpt_invalidate_selftest);
		inv->entry_num = 1;
		break;
	case K_DESTROY:
		((struct iommu_destroy *)arg)->id = id[O_VICTIM];
		break;
	case K_MAP:
		map->flags = IOMMU_IOAS_MAP_FIXED_IOVA |
			     IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
		map->ioas_id = id[O_IOAS];
		map->user_va = (uintptr_t)arena_page(env, PG_MAPBUF);
		map->length = env->page;
		map->iova = MAP_IOVA;
		break;
	case K_UNMAP:
		unmap_cmd->ioas_id = id[O_IOAS];
		unmap_cmd->iova = PREP_IOVA;
		unmap_cmd->length = env->page;
		break;
	case K_TEST_CMD:
		/* the reference count of an empty range: touches nothing */
		tc->op = IOMMU_TEST_OP_MD_CHECK_REFS;
		break;
	case K_MOCK_DOMAIN:
		tc->op = IOMMU_TEST_OP_MOCK_DOMAIN;
		tc->id = id[O_IOAS];
		break;
	case K_MOCK_FLAGS:
		tc->op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS;
		tc->id = id[O_IOAS];
		break;
	case K_REPLACE:
		/* onto the HWPT dev1 is on already: a no-op */
		tc->op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
		tc->id = id[O_STDEV1];
		tc->mock_domain_replace.pt_id = id[O_PLAIN];
		break;
	case K_CHECK_IOTLB:
		tc->op = IOMMU_TEST_OP_MD_CHECK_IOTLB;
		tc->id = id[O_NESTED];
		tc->check_iotlb.id = 0;
		tc->check_iotlb.iotlb = IOMMU_TEST_IOTLB_DEFAULT;
		break;
	}
}

static const struct {
	const char *ioctl;
	unsigned long request;
	size_t size;
	unsigned int prep;
} kinds[NR_KIND] = {
	[K_IOAS_ALLOC] = { "IOMMU_IOAS_ALLOC", IOMMU_IOAS_ALLOC,
			   sizeof(struct iommu_ioas_alloc) },
	[K_HWPT] = { "IOMMU_HWPT_ALLOC", IOMMU_HWPT_ALLOC, sizeof(HWPT_A) },
	[K_PARENT] = { "IOMMU_HWPT_ALLOC", IOMMU_HWPT_ALLOC, sizeof(HWPT_A) },
	[K_NESTED] = { "IOMMU_HWPT_ALLOC", IOMMU_HWPT_ALLOC, sizeof(HWPT_A) },
	[K_HW_INFO] = { "IOMMU_GET_HW_INFO", IOMMU_GET_HW_INFO,
			sizeof(HW_INFO) },
	[K_INVALIDATE] = { "IOMMU_HWPT_INVALIDATE", IOMMU_HWPT_INVALIDATE,
			   sizeof(INV) },
	[K_DESTROY] = { "IOMMU_DESTROY", IOMMU_DESTROY,
			sizeof(struct iommu_destroy), PREP_VICTIM },
	[K_MAP] = { "IOMMU_IOAS_MAP", IOMMU_IOAS_MAP, sizeof(IOAS_MAP) },
	[K_UNMAP] = { "IOMMU_IOAS_UNMAP", IOMMU_IOAS_UNMAP, sizeof(IOAS_UNMAP),
		      PREP_MAP },
	[K_TEST_CMD] = { "IOMMU_TEST_CMD", IOMMU_TEST_CMD, sizeof(TEST_CMD) },
	[K_MOCK_DOMAIN] = { "IOMMU_TEST_OP_MOCK_DOMAIN", IOMMU_TEST_CMD,
			    sizeof(TEST_CMD) },
	[K_MOCK_FLAGS] = { "IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS", IOMMU_TEST_CMD,
			   sizeof(TEST_CMD) },
	[K_REPLACE] = { "IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE", IOMMU_TEST_CMD,
			sizeof(TEST_CMD) },
	[K_CHECK_IOTLB] = { "IOMMU_TEST_OP_MD_CHECK_IOTLB", IOMMU_TEST_CMD,
			    sizeof(TEST_CMD) },
};

static size_t kind_size(enum uapi_kind kind)
{
	return kind < NR_KIND ? kinds[kind].size : 0;
}

/*
 * Undo what a successful call (or, with UNDO_ON_FAIL, a failed one that
 * still had its effect) did, proving the effect is there: 0 or -errno.
 */
static int undo(struct uapi_env *env, enum uapi_kind kind,
		const void *arg)
{
	const struct iommu_ioas_map *map = arg;
	const struct iommu_test_cmd *tc = arg;
	uint64_t gone = 0;
	int rc;

	switch (kind) {
	case K_IOAS_ALLOC:
		return nest_destroy(env->fd,
				    ((const struct iommu_ioas_alloc *)arg)->out_ioas_id);
	case K_HWPT:
	case K_PARENT:
	case K_NESTED:
		return nest_destroy(env->fd,
				    ((const struct iommu_hwpt_alloc *)arg)->out_hwpt_id);
	case K_DESTROY:
		/* the victim must be gone */
		rc = nest_destroy(env->fd, env->id[O_VICTIM]);
		return rc == -ENOENT ? 0 : rc ? rc : -EEXIST;
	case K_MAP:
		rc = nest_ioas_unmap(env->fd, env->id[O_IOAS], map->iova,
				     map->length, &gone);
		return rc ? rc : gone == map->length ? 0 : -ERANGE;
	case K_UNMAP:
		/* the prepared page must be gone */
		rc = nest_ioas_unmap(env->fd, env->id[O_IOAS], PREP_IOVA,
				     env->page, &gone);
		return rc == -ENOENT ? 0 : rc ? rc : -EEXIST;
	case K_MOCK_DOMAIN:
	case K_MOCK_FLAGS:
		return nest_destroy(env->fd, tc->mock_domain.out_stdev_id);
	default:
		return 0;
	}
}

static uint64_t edit_value(struct uapi_env *env,
			   const struct uapi_edit *e)
{
	static const int ptr_page[] = {
		[P_PAYLOAD] = PG_PAYLOAD,
		[P_UNMAPPED] = PG_HOLE,
		[P_RO] = PG_RO,
		[P_MAPBUF] = PG_MAPBUF,
	};

	switch (e->kind) {
	case V_OBJ:
		return env->id[e->val];
	case V_PTR:
		return (uintptr_t)arena_page(env, ptr_page[e->val]);
	default:
		return e->val;
	}
}

static void put_field(uint8_t *arg, const struct uapi_edit *e, uint64_t v)
{
	uint8_t v8 = v;
	uint16_t v16 = v;
	uint32_t v32 = v;

	switch (e->width) {
	case 1:
		memcpy(arg + e->off, &v8, 1);
		break;
	case 2:
		memcpy(arg + e->off, &v16, 2);
		break;
	case 4:
		memcpy(arg + e->off, &v32, 4);
		break;
	case 8:
		memcpy(arg + e->off, &v, 8);
		break;
	}
}

static uint64_t get_field(const uint8_t *arg, const struct uapi_edit *e)
{
	uint8_t v8 = 0;
	uint16_t v16 = 0;
	uint32_t v32 = 0;
	uint64_t v = 0;

	switch (e->width) {
	case 1:
		memcpy(&v8, arg + e->off, 1);
		return v8;
	case 2:
		memcpy(&v16, arg + e->off, 2);
		return v16;
	case 4:
		memcpy(&v32, arg + e->off, 4);
		return v32;
	default:
		memcpy(&v, arg + e->off, 8);
		return v;
	}
}

/* ---- after the case: nothing leaked, the fixture as it was ---- */

static int ioas_alive(int fd, uint32_t id)
{
	uint64_t huge = 0;

	return nest_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, id,
			   &huge);
}

static int paging_alive(int fd, uint32_t id)
{
	/* checking no IOVA of a paging mock domain: only the type counts */
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = id,
	};

	return nest_test_cmd(fd, &cmd);
}

static int nested_alive(int fd, uint32_t id)
{
	uint32_t none = 0;

	return nest_hwpt_invalidate(fd, id, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    NULL, 0, &none);
}

static int device_alive(int fd, uint32_t id)
{
	return _test_cmd_get_hw_info(fd, id, NULL, NULL);
}

/* What every case must leave as it found it. */
static const struct {
	enum uapi_obj obj;
	const char *name;
	int (*alive)(int fd, uint32_t id);	/* 0: there, of its type */
} fixture_objs[] = {
	{ O_IOAS, "IOAS", ioas_alive },
	{ O_AUTO, "automatic domain", paging_alive },
	{ O_PLAIN, "plain HWPT", paging_alive },
	{ O_PARENT, "parent HWPT", paging_alive },
	{ O_DIRTY, "dirty-tracking HWPT", paging_alive },
	{ O_NESTED, "nested HWPT", nested_alive },
	{ O_IDEV0, "device 0", device_alive },
	{ O_IDEV1, "device 1", device_alive },
	{ O_IDEV2, "device 2", device_alive },
	{ O_IDEV3, "device 3", device_alive },
};

/* Where each device sits. */
static const struct {
	enum uapi_obj stdev;
	enum uapi_obj pt;
} fixture_devs[] = {
	{ O_STDEV0, O_NESTED },
	{ O_STDEV1, O_PLAIN },
	{ O_STDEV2, O_AUTO },
	{ O_STDEV3, O_DIRTY },
};

/* Each object free once the ones before it are gone. */
static const enum uapi_obj teardown[] = {
	O_STDEV0, O_NESTED, O_PARENT, O_STDEV1, O_PLAIN, O_STDEV3, O_DIRTY,
	O_STDEV2, O_IOAS,
};

TEST_F(nest_uapi, exact_errno)
{
	typeof(variant) c = variant;
	struct uapi_env *env = &self->env;
	size_t size = kinds[c->kind].size;
	uint32_t after[NR_PROBE], first = 0;
	unsigned int flags = c->flags | kinds[c->kind].prep;
	uint8_t *arg, *buf = arena_page(env, PG_ARG);
	unsigned char vec;
	enum found found = FEATURE_ABSENT;
	char why[128] = "";
	uint64_t gone = 0;
	int i, rc, err, want;

	/* before the ids are taken: the probe's objects are gone again */
	if (c->feature) {
		found = probe_feature(env, c->feature, why, sizeof(why));
		ASSERT_NE(FEATURE_ODD, found)
			TH_LOG("kernel: probe: %s, the answer of neither 6.12.117 nor 7.2.12",
			       why);
	}
	ASSERT_EQ(0, probe_ids(env->fd, env->probe))
		TH_LOG("kernel: IOAS_ALLOC or DESTROY failed taking the free ids");
	if (flags & PREP_VICTIM)
		test_cmd_ioas_alloc(env->fd, &env->id[O_VICTIM]);
	if (flags & PREP_MAP)
		test_cmd_ioas_map_fixed(env->fd, env->id[O_IOAS],
					arena_page(env, PG_PREPBUF), env->page,
					PREP_IOVA);

	/* the argument: valid, then made wrong */
	arg = c->place == ARG_PAGE_END ?
	      arena_page(env, PG_HOLE) - size : buf;
	memset(buf, 0, env->page);
	memset(arena_page(env, PG_ARG_END), 0, env->page);
	memset(arena_page(env, PG_PAYLOAD), 0, env->page);
	memcpy(arena_page(env, PG_PAYLOAD), c->data, sizeof(c->data));
	build_base(env, c->kind, arg);
	*(uint32_t *)arg = c->size ? c->size : size;
	if (c->trail && c->size > size)
		arg[c->size - 1] = c->trail;
	for (i = 0; i < MAX_EDITS && c->edit[i].width; i++)
		put_field(arg, &c->edit[i], edit_value(env, &c->edit[i]));
	/* the hole must still be a hole, or EFAULT cases prove nothing */
	ASSERT_EQ(-1, mincore(arena_page(env, PG_HOLE), env->page, &vec))
		TH_LOG("test: the arena's hole is mapped");
	ASSERT_EQ(ENOMEM, errno) TH_LOG("test: the arena's hole is mapped");

	if (c->place == ARG_READONLY)
		ASSERT_EQ(0, mprotect(buf, env->page, PROT_READ))
			TH_LOG("test: cannot make the argument read-only");
	/* the argument as built, past the typed wrappers */
	rc = nest_ioctl(env->fd, kinds[c->kind].request,
			c->place == ARG_NULL ? NULL : arg);
	err = rc < 0 ? -rc : 0;
	if (c->place == ARG_READONLY)
		ASSERT_EQ(0, mprotect(buf, env->page, PROT_READ | PROT_WRITE))
			TH_LOG("test: cannot make the argument writable again");
	ASSERT_GE(0, rc) TH_LOG("kernel: %s returned %d, not 0 or -errno",
				kinds[c->kind].ioctl, rc);
	want = expected_errno(c->expect, c->later, found, err);
	ASSERT_EQ(want, err)
		TH_LOG("kernel: %s returned %s (%d), expected %s (%d)%s%s%s%s",
		       kinds[c->kind].ioctl, nest_errno_name(err), err,
		       nest_errno_name(want), want,
		       found == FEATURE_UNKNOWN ? " or " : "",
		       found == FEATURE_UNKNOWN ? nest_errno_name(c->later) : "",
		       why[0] ? "; probe: " : "", why);
	if (c->out.width)
		ASSERT_EQ(edit_value(env, &c->out), get_field(arg, &c->out))
			TH_LOG("kernel: field at offset %u after the call",
			       c->out.off);
	if (c->flags & CHECK_PAYLOAD) {
		uint32_t *got = (uint32_t *)arena_page(env, PG_PAYLOAD);

		for (i = 0; i < ARRAY_SIZE(c->payload); i++)
			ASSERT_EQ(c->payload[i], got[i])
				TH_LOG("kernel: word %d of the data after the call",
				       i);
	}

	if (!err || (c->flags & UNDO_ON_FAIL))
		ASSERT_EQ(0, undo(env, c->kind, arg))
			TH_LOG("kernel: the call's effect is not there to undo");
	if (flags & PREP_MAP) {
		rc = nest_ioas_unmap(env->fd, env->id[O_IOAS], PREP_IOVA,
				     env->page, &gone);
		ASSERT_TRUE(rc == 0 || rc == -ENOENT)
			TH_LOG("kernel: unmapping the prepared page: %s",
			       nest_errno_name(-rc));
	}
	if (flags & PREP_VICTIM) {
		rc = nest_destroy(env->fd, env->id[O_VICTIM]);
		ASSERT_TRUE(rc == 0 || rc == -ENOENT)
			TH_LOG("kernel: destroying the victim IOAS: %s",
			       nest_errno_name(-rc));
	}

	/* nothing leaked: the same free ids, and no IOVA left mapped */
	ASSERT_EQ(0, probe_ids(env->fd, after))
		TH_LOG("kernel: IOAS_ALLOC or DESTROY failed taking the free ids");
	ASSERT_EQ(0, memcmp(env->probe, after, sizeof(after)))
		TH_LOG("kernel: the free ids changed (first %u, was %u): an object leaked",
		       after[0], env->probe[0]);
	ASSERT_EQ(0, nest_ioas_unmap(env->fd, env->id[O_IOAS], 0, UINT64_MAX,
				     &gone))
		TH_LOG("kernel: unmapping all IOVA failed");
	ASSERT_EQ(0, gone) TH_LOG("kernel: %llu bytes of IOVA left mapped",
				  (unsigned long long)gone);

	/* every fixture object is there, of its type, and still in use */
	for (i = 0; i < ARRAY_SIZE(fixture_objs); i++) {
		uint32_t id = env->id[fixture_objs[i].obj];

		ASSERT_EQ(0, fixture_objs[i].alive(env->fd, id))
			TH_LOG("kernel: the %s (id %u) is gone",
			       fixture_objs[i].name, id);
		test_err_destroy(EBUSY, env->fd, id)
			TH_LOG("kernel: the %s (id %u) is not in use any more",
			       fixture_objs[i].name, id);
	}
	/* a replace onto the HWPT a device is on is a no-op */
	for (i = 0; i < ARRAY_SIZE(fixture_devs); i++)
		test_cmd_mock_domain_replace(env->fd,
					     env->id[fixture_devs[i].stdev],
					     env->id[fixture_devs[i].pt])
			TH_LOG("kernel: device handle %u left HWPT %u",
			       env->id[fixture_devs[i].stdev],
			       env->id[fixture_devs[i].pt]);

	/*
	 * No reference leaked either: the teardown in dependency order
	 * succeeds at every step and leaves no object at all.
	 */
	for (i = 0; i < ARRAY_SIZE(teardown); i++)
		test_cmd_destroy(env->fd, env->id[teardown[i]])
			TH_LOG("kernel: teardown step %d (id %u)", i,
			       env->id[teardown[i]]);
	/* the automatic domain and the devices went with their handles */
	test_err_destroy(ENOENT, env->fd, env->id[O_AUTO])
		TH_LOG("kernel: the automatic domain outlived its devices");
	for (i = 0; i < 4; i++)
		test_err_destroy(ENOENT, env->fd, env->id[O_IDEV0 + i])
			TH_LOG("kernel: device %d outlived its handle", i);
	test_cmd_ioas_alloc(env->fd, &first);
	ASSERT_EQ(1, first)
		TH_LOG("kernel: objects outlived the teardown");
	test_cmd_destroy(env->fd, first);
}

TEST_HARNESS_MAIN
