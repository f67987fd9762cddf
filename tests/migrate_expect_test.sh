#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP: vm/migrate.sh's expect_load, which picks each host's expected
# refusals from vm/migrate_expect by probing that host's guest outputs
# (HOST[FILE~RE], HOST[!FILE~RE]), never by the kernel's version.
#   tests/migrate_expect_test.sh

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# shellcheck source=vm/tap.sh
. "$here/vm/tap.sh"
# shellcheck source=vm/migrate.sh
. "$here/vm/migrate.sh"
declare -A EXPECT

# want NAME HOST|CONFIG PHRASE: EXPECT holds PHRASE ("" for accepted)
want()
{
	local got=${EXPECT[$2]:-}

	[ "$got" = "$3" ]
	tap_ok $? "$1" "EXPECT[$2] is '$got', expected '$3'"
}

echo "TAP version 13"
echo "1..8"
vm=$tmp/vm
mkdir -p "$vm/smmuv3" "$vm/smmuv3-nested" "$vm/virtio-iommu"
# smmuv3 grants a nesting parent, smmuv3-nested refuses it
echo "#   arm-smmuv3,accel=on   0x1   nest-parent granted: accepted" \
	>"$vm/smmuv3/report_smmu.out"
echo "#   arm-smmuv3,accel=on   0x1   nest-parent wanted: refused" \
	>"$vm/smmuv3-nested/report_smmu.out"
echo "# its usable ranges are only 0x0-0x0 (the IOMMU driver reports that aperture)" \
	>"$vm/virtio-iommu/cdev_edu.out"
expect_load "$vm"
want granted_host_refuses_by_width "smmuv3|intel_flts" \
	"aw-bits 48 > host aw-bits 44"
want granted_host_checks_hw_info "smmuv3|selftest_nesting" \
	"needs the mock IOMMU: hw_info type is 0x2"
want refusing_host_has_no_parent "smmuv3-nested|intel_flts" \
	"cannot be a nesting parent"
want empty_ioas_refuses_by_width "virtio-iommu|intel_cm" \
	"aw-bits 48 > host aw-bits 0"
want unprobed_rows_always_hold "mock|intel_cm" "aw-bits 48 > host aw-bits 31"
want blocked_everywhere "*|smmuv3_accel" \
	"Migration not supported with SMMUv3 accelerator mode enabled"

# a wide IOAS: the virtio-iommu row no longer holds, it must accept
echo "ok 1 cdev_dma.unmapped_iova_never_reaches_memory" \
	>"$vm/virtio-iommu/cdev_edu.out"
expect_load "$vm"
want wide_ioas_accepts "virtio-iommu|intel_cm" ""

# no output to probe: neither row holds, so the cell fails as accepted
rm "$vm/smmuv3/report_smmu.out"
expect_load "$vm"
want unprobed_host_expects_nothing "smmuv3|intel_flts" ""
tap_exit
