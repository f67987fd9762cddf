#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP: vm/guests.py expect, which picks each host's expected
# refusals from vm/migrate_expect by probing that host's guest outputs
# (HOST[FILE~RE], HOST[!FILE~RE]), never by the kernel's version; and
# vm/guests.py matrix, which judges each cell on the guests' outputs.
#   tests/migrate_expect_test.sh

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# shellcheck source=vm/tap.sh
. "$here/vm/tap.sh"

# expect_load VMDIR: the expected phrases, as guests.py expect reads them
expect_load()
{
	"$here/vm/guests.py" expect "$1" >"$tmp/expect"
}

# want NAME HOST|CONFIG PHRASE: the row's phrase is PHRASE ("" for
# accepted, no row)
want()
{
	local got

	got=$(awk -F '\t' -v k="$2" '$1 == k { print $2 }' "$tmp/expect")
	[ "$got" = "$3" ]
	tap_ok $? "$1" "$2 expects '$got', not '$3'"
}

echo "TAP version 13"
echo "1..14"
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

# cells: what guests mock and vtd printed for two configs of theirs
m=$tmp/m
mkdir -p "$m/mock" "$m/vtd"
: >"$m/mock/problem"
: >"$m/vtd/problem"
# save SOURCE CONFIG LINES: SOURCE's block save.CONFIG
save()
{
	printf '%b' "$3" >"$m/$1/save.$2.out"
	echo 0 >"$m/$1/save.$2.rc"
}
# load TARGET SOURCE CONFIG RC LINES: TARGET's block mig.SOURCE.CONFIG
load()
{
	printf '%b' "$5" >"$m/$1/mig.$2.$3.out"
	echo "$4" >"$m/$1/mig.$2.$3.rc"
}
save mock none 'source: accepted\nstream: 00\n'
save vtd none 'source: accepted\nstream: 00\n'
load vtd mock none 0 'flags: source 0x0 target 0x0\nverdict: accepted\n'
load mock vtd none 0 'flags: source 0x0 target 0x1\nverdict: accepted\n'
save mock smmuv3_accel 'error: Migration not supported with SMMUv3 accelerator mode enabled\n'
save vtd smmuv3_accel 'source: accepted\nstream: 00\n'
# cell CONFIG.S_to_T: its KTAP line, and the diagnostic before it
cell()
{
	awk -v c="$1" '$NF == c && /^  (not )?ok / {
		if (prev ~ /^    # /)
			printf "%s ", prev
		print
	} { prev = $0 }' "$tmp/matrix"
}

# cell_is NAME CELL GLOB: the cell's diagnostic and result match GLOB
cell_is()
{
	local got

	got=$(cell "$2")
	# shellcheck disable=SC2254
	case $got in
	$3) tap_ok 0 "$1" ;;
	*) tap_ok 1 "$1" "$2: $got" ;;
	esac
}
"$here/vm/guests.py" matrix "$m" mock vtd >"$tmp/matrix"
cell_is matrix_passes_a_cell_with_equal_flags none.mock_to_vtd '  ok *'
cell_is matrix_fails_flags_that_differ none.vtd_to_mock \
	'*# flags differ: 0x0->0x1*not ok*'
cell_is matrix_fails_a_stream_of_a_blocked_config smmuv3_accel.vtd_to_mock \
	'*# source vtd saved a stream of a config QEMU blocks*not ok*'
cell_is matrix_passes_a_blocked_config_refused smmuv3_accel.mock_to_vtd '  ok *'
# a config no target loaded: the cell names the target and why
echo "guest timed out after 300 s of work" >"$m/vtd/problem"
"$here/vm/guests.py" matrix "$m" mock vtd >"$tmp/matrix"
cell_is matrix_fails_a_source_that_saved_nothing intel_cm.mock_to_vtd \
	'*# source mock saved no stream (exit ?)*not ok*'
cell_is matrix_fails_a_cell_whose_target_failed none.mock_to_vtd \
	'*# target vtd: guest timed out after 300 s of work*not ok*'
tap_exit
