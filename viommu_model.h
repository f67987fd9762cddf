/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A userspace model of a VMM's vIOMMU: which flags it answers, which host
 * quirks it derives, and whether it accepts a host IOMMU device.
 *
 * Pure code: no ioctls and no kernel headers, so it builds and is unit
 * tested anywhere.  Numeric uAPI facts it needs (hw_info types, register
 * bits) are defined here and checked against the kernel headers by the
 * attach engine where those headers have them.
 *
 * Config strings use QEMU's -device syntax, "kind[,key=value]...", with
 * QEMU 11.1's property names, types, defaults, realize-time rules and
 * messages.  Each kind is one file of kinds/ (its keys and defaults are
 * at its top) and one row of kinds/registry.c.
 */
#ifndef VIOMMU_MODEL_H
#define VIOMMU_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* get_viommu_flags() bits, as QEMU defines them */
#define VIOMMU_FLAG_WANT_NESTING_PARENT		(1ULL << 0)
#define VIOMMU_FLAG_PASID_SUPPORTED		(1ULL << 1)
#define VIOMMU_FLAG_WANT_NESTING_DIRTY_TRACKING	(1ULL << 2)
#define VIOMMU_FLAG_WANT_PASID_ATTACH (1ULL << 3)
#define VIOMMU_FLAGS_KNOWN			0xfULL

/* The QEMU release whose answers the model gives */
#define VIOMMU_QEMU_RELEASE			"11.1"

/* get_host_iommu_quirks() bits */
#define HOST_IOMMU_QUIRK_NESTING_PARENT_BYPASS_RO	(1ULL << 0)

/* uAPI facts: enum iommu_hw_info_type and IOMMU_HW_CAP_* values */
#define VIOMMU_HW_INFO_TYPE_NONE	0u
#define VIOMMU_HW_INFO_TYPE_INTEL_VTD	1u
#define VIOMMU_HW_INFO_TYPE_ARM_SMMUV3	2u
#define VIOMMU_HW_INFO_TYPE_SELFTEST	0xfeedbeefu
#define VIOMMU_HW_CAP_DIRTY_TRACKING	(1ULL << 0)

/* struct iommu_hw_info_vtd: flags, reserved, cap_reg, ecap_reg */
#define VTD_INFO_LEN			24
#define VTD_INFO_ERRATA_772415_SPR17	(1u << 0)
#define VTD_CAP_FS1GP			(1ULL << 56)
#define VTD_ECAP_NEST			(1ULL << 26)
#define VTD_ECAP_SMTS			(1ULL << 43)

/* struct iommu_hw_info_arm_smmuv3: flags, reserved, idr[6], iidr, aidr */
#define SMMUV3_INFO_LEN			40
#define SMMUV3_IDR_MAX			6

#define VIOMMU_SSIDSIZE_AUTO		(-1)
#define VIOMMU_OAS_AUTO			0
#define VIOMMU_STR_MAX			32
#define VIOMMU_SSIDSIZE_MAX		20
#define VIOMMU_MAX_DEVICES		16
#define VIOMMU_LOG_MAX			64
#define VIOMMU_HW_DATA_MAX		64
#define VIOMMU_ERR_LEN			256

/* The rows of the registry, kinds/registry.c */
enum viommu_kind {
	VIOMMU_KIND_NONE,
	VIOMMU_KIND_VIRTIO,
	VIOMMU_KIND_INTEL,
	VIOMMU_KIND_SMMUV3,
	VIOMMU_KIND_SELFTEST,
	VIOMMU_KIND_AMD,
};

/* QEMU's OnOffAuto values */
enum viommu_on_off_auto {
	VIOMMU_AUTO,
	VIOMMU_ON,
	VIOMMU_OFF,
};

/* Every key of every kind; see the top of each kinds/ file. */
struct viommu_config {
	enum viommu_kind kind;
	/* intel-iommu (and amd-iommu: intremap, device_iotlb, dma_*) */
	bool scalable_mode;
	bool fsts;
	unsigned int pasid_bits;
	bool svm;
	bool fs1gp;
	unsigned int aw_bits;	/* also virtio-iommu and selftest-iommu */
	bool caching_mode;
	int intremap;		/* enum viommu_on_off_auto */
	bool device_iotlb;
	bool dma_translation;
	int eim;
	bool snoop_control;
	bool stale_tm;
	unsigned int version;
	/* amd-iommu */
	bool dma_remap;
	bool xtsup;
	char pci_id[VIOMMU_STR_MAX];
	/* virtio-iommu */
	int granule;		/* log2 of the page size; 0: host */
	bool boot_bypass;
	/* arm-smmuv3 */
	bool accel;
	int ssidsize;		/* or VIOMMU_SSIDSIZE_AUTO */
	int oas;		/* bits, or VIOMMU_OAS_AUTO */
	int ril;		/* enum viommu_on_off_auto */
	int ats;
	int cmdqv;
	char stage[VIOMMU_STR_MAX];
	/* selftest-iommu */
	bool nesting;
	bool nesting_dirty;
	bool pasid_attach;
};

/* What the vIOMMU builds its stage-1 (step 10) with. */
enum viommu_stage1 {
	VIOMMU_STAGE1_NONE,
	VIOMMU_STAGE1_SELFTEST,	/* nested HWPT, IOMMU_HWPT_DATA_SELFTEST */
	VIOMMU_STAGE1_VTD,	/* nested HWPT, IOMMU_HWPT_DATA_VTD_S1 */
	VIOMMU_STAGE1_SMMUV3,	/* vIOMMU object on the parent */
};

/* The host IOMMU device, as the VMM realizes it after the attach. */
struct viommu_hiod {
	uint32_t dev_id;
	uint32_t hwpt_id;
	uint32_t hw_info_type;
	uint32_t data_len;
	uint8_t data[VIOMMU_HW_DATA_MAX];
	uint64_t caps;
	unsigned int host_aw_bits;	/* from the IOAS's usable IOVA ranges */
	unsigned int host_pasid_bits;	/* GET_HW_INFO's max_pasid_log2 */
	/* placed behind a PCI bridge in the guest: the VM's config */
	bool behind_bridge;
};

enum viommu_event {
	VIOMMU_EV_GET_FLAGS,
	VIOMMU_EV_GET_HOST_QUIRKS,
	VIOMMU_EV_SET_IOMMU_DEVICE,
	VIOMMU_EV_UNSET_IOMMU_DEVICE,
};

/* One thing the vIOMMU was asked or shown, in order. */
struct viommu_record {
	enum viommu_event event;
	bool host_info_known;	/* had host information reached it by then? */
	uint32_t dev_id;
	uint64_t answer;	/* flags, quirks, or 0/1 accepted */
};

struct viommu {
	struct viommu_config cfg;
	unsigned int nr_records;
	struct viommu_record log[VIOMMU_LOG_MAX];
	bool host_info_known;
	unsigned int nr_hiods;
	struct viommu_hiod hiods[VIOMMU_MAX_DEVICES];
};

/* Parse a config string; on error fill @err and return -EINVAL. */
int viommu_config_parse(const char *str, struct viommu_config *cfg,
			char *err, size_t err_len);
/* Print the canonical config string: kind, then non-default keys. */
int viommu_config_format(const struct viommu_config *cfg, char *buf,
			 size_t len);
const char *viommu_kind_name(enum viommu_kind kind);

/* Where QEMU realizes a kind; NULL members: it has no such thing. */
struct viommu_qemu_place {
	const char *device;	/* -device name; NULL: none is needed */
	const char *arch;	/* qemu-system-ARCH */
	const char *machine;	/* -M */
	const char *props;	/* -device properties besides the config's */
};

/* The registry's row @kind: 0, or -ENOENT past the last; -ENODEV: no QEMU. */
int viommu_kind_qemu(enum viommu_kind kind, struct viommu_qemu_place *p);

/* Flags a config gives, from the config alone. */
uint64_t viommu_config_flags(const struct viommu_config *cfg);
/* False, with @why, when a config lets the host decide a flag. */
bool viommu_config_migration_safe(const struct viommu_config *cfg,
				  const char **why);
enum viommu_stage1 viommu_config_stage1(const struct viommu_config *cfg);
/*
 * NULL, or why VFIO's memory listener refuses the device's address space
 * (an emulated IOMMU region without MAP notifiers): after the ranges are
 * read, before any guest RAM is mapped.
 */
const char *viommu_config_listener_refuses(const struct viommu_config *cfg);
/*
 * True when the vIOMMU gives each device an address space of its own:
 * a device then gets a new container, never another device's.
 */
bool viommu_config_own_address_space(const struct viommu_config *cfg);

void viommu_init(struct viommu *v, const struct viommu_config *cfg);
/* get_viommu_flags(): recorded, never looks at host information. */
uint64_t viommu_get_flags(struct viommu *v);
/* get_host_iommu_quirks(): derived from host hw_info, recorded. */
uint64_t viommu_get_host_quirks(struct viommu *v, uint32_t type,
				const void *data, size_t len);
/* Accept (0) or refuse (-1, reason in @why) a host IOMMU device. */
int viommu_set_iommu_device(struct viommu *v, const struct viommu_hiod *hiod,
			    char *why, size_t why_len);
void viommu_unset_iommu_device(struct viommu *v, uint32_t dev_id);
const struct viommu_hiod *viommu_find_hiod(const struct viommu *v,
					   uint32_t dev_id);

/* Pure compatibility check behind set_iommu_device(). */
int viommu_check_hiod(const struct viommu_config *cfg,
		      const struct viommu_hiod *hiod, char *why,
		      size_t why_len);
/* Address width covered by an IOVA range ending at @last (QEMU's rule). */
unsigned int viommu_aw_bits_from_last(uint64_t last);

#endif
