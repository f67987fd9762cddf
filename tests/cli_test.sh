#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP tests of the command lines: run_tests.sh usage errors and the
# engine tools (nest_report, nest_migrate and nest_vmm beside them).
# Each bad input must give one line on stderr and exit 2.
#   tests/cli_test.sh NEST_REPORT_BINARY NEST_MIGRATE_BINARY

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
report=$1
migrate=$2
vmm=$(dirname "$report")/nest_vmm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

# expect NAME STATUS STDERR_LINES STDOUT_PATTERN -- COMMAND...
expect()
{
	local name=$1 want_rc=$2 want_lines=$3 pattern=$4 rc=0 out err
	shift 5
	out=$(mktemp)
	err=$(mktemp)
	"$@" >"$out" 2>"$err" </dev/null || rc=$?
	n=$((n + 1))
	if [ "$rc" != "$want_rc" ]; then
		echo "# $name: exit $rc, expected $want_rc; stderr: $(head -n 3 "$err")"
	elif [ "$want_lines" != - ] && [ "$(wc -l <"$err")" != "$want_lines" ]; then
		echo "# $name: $(wc -l <"$err") stderr lines, expected $want_lines:"
		sed 's/^/#   /' "$err"
	elif ! grep -qE -- "$pattern" "$out" "$err"; then
		echo "# $name: no line matches '$pattern'"
		sed 's/^/#   /' "$out" "$err"
	else
		echo "ok $n $name"
		rm -f "$out" "$err"
		return
	fi
	echo "not ok $n $name"
	failed=$((failed + 1))
	rm -f "$out" "$err"
}

echo "TAP version 13"
echo "1..45"
expect report_bad_config 2 1 "Property 'intel-iommu.x-flts' not found .QEMU 11.1 renamed it 'fsts'" -- \
	"$report" --viommu intel-iommu,x-flts=on
expect report_unknown_kind 2 1 "unknown vIOMMU kind 'amd-iommu-pci'" -- \
	"$report" --viommu amd-iommu-pci
expect report_no_config 2 - "no --viommu CONFIG given" -- "$report"
expect report_flags 0 0 '^intel-iommu,scalable-mode=on,fsts=on,caching-mode=on +0x5 +wanted' -- \
	"$report" --viommu intel-iommu,caching-mode=on,scalable-mode=on,fsts=on
expect report_accel_blocked 0 0 '"migration_safe": false, "unsafe_reason": "Migration not supported with SMMUv3 accelerator mode enabled"' -- \
	"$report" --json --viommu arm-smmuv3,accel=on
expect report_pasid_flag 0 0 '"flags": 15, "want_nesting_parent": true, "pasid_supported": true, "want_nesting_dirty_tracking": true, "want_pasid_attach": true, "migration_safe": true' -- \
	"$report" --json --viommu intel-iommu,scalable-mode=on,fsts=on,pasid-bits=20
# the registry, with where QEMU realizes each kind (conformance reads it)
expect report_list_kinds 0 0 $'^arm-smmuv3\tarm-smmuv3\taarch64\tvirt\tprimary-bus=pcie.0$' -- \
	"$report" --list-kinds
expect report_list_kinds_alone 2 1 "--list-kinds takes no other argument" -- \
	"$report" --list-kinds --json
expect report_names_qemu 0 0 '^vIOMMU model: QEMU 11.1$' -- \
	"$report" --viommu none
expect vmm_no_device 2 - "both needed" -- "$vmm" --viommu none
expect vmm_bad_config 2 1 "Parameter 'aw-bits' expects uint8_t" -- \
	"$vmm" --viommu intel-iommu,aw-bits=300 --device 00:02.0
expect vmm_bad_placement 2 1 "device '00:02.0@left'" -- \
	"$vmm" --viommu none --device 00:02.0@left
expect vmm_bad_ram 2 1 "--guest-ram 'lots': expected MiB" -- \
	"$vmm" --viommu none --device 00:02.0 --guest-ram lots
expect vmm_unknown_option 2 - "unexpected argument '--fast'" -- \
	"$vmm" --fast
expect vmm_too_many_devices 2 1 "more than 4 --device" -- \
	"$vmm" --viommu none --device 00:02.0 --device 00:03.0 \
	--device 00:04.0 --device 00:05.0 --device 00:06.0
expect vmm_bad_second_device 2 1 "device '00:03.0@left'" -- \
	"$vmm" --viommu none --device 00:02.0 --device 00:03.0@left
expect runner_unknown_topology 2 1 "unknown topology 'bogus'" -- \
	"$here/run_tests.sh" --vm --topology bogus
expect runner_bad_kdir 2 1 "not a kernel source tree" -- \
	"$here/run_tests.sh" --vm --kdir /nonexistent
expect runner_unknown_option 2 1 "unknown option '--frobnicate'" -- \
	"$here/run_tests.sh" --frobnicate
expect runner_bad_timeout 2 1 "--timeout 'soon'" -- \
	"$here/run_tests.sh" --vm --timeout soon
expect runner_bad_bdf 2 1 "bad BDF '00:3.0'" -- \
	"$here/run_tests.sh" --device 00:3.0
expect runner_device_with_vm 2 1 "does not go with --vm" -- \
	"$here/run_tests.sh" --vm --device 0000:00:03.0
expect report_bad_bdf 2 1 "device 'zz:00.0': expected mock, mock-no-dirty or a PCI BDF DDDD:BB:DD.F" -- \
	"$report" --device zz:00.0 --viommu none

# A stream saved in the vtd guest (selftest-iommu,nesting=on, refused
# there): streams must load wherever this build runs.
good=564e4d530200100041000000030000000100190073656c66746573742d696f6d6d752c6e657374696e673d6f6e02000800010000000000000003001400000000000000000c303030303a30303a30322e30cb6f7c11
# the same state as a version 1 stream, from before the QEMU 11.1 model
old=564e4d530100100041000000030000000100190073656c66746573742d696f6d6d752c6e657374696e673d6f6e02000800010000000000000003001400000000000000000c303030303a30303a30322e30a4883c88
echo "$good" >"$tmp/good.hex"
echo "$old" >"$tmp/old.hex"
echo "${good%??}00" >"$tmp/badcrc.hex"
printf 'VNMS\001\000' >"$tmp/short.bin"
echo "$good" | sed 's/^564e/464e/' >"$tmp/magic.hex"
echo "${good}0a0b" >"$tmp/trailing.hex"
echo "not hex" >"$tmp/text.hex"
expect migrate_dump 0 0 '^device 0: 0000:00:02.0 layout none' -- \
	"$migrate" dump --hex "$tmp/good.hex"
expect migrate_bad_crc 2 1 "bad migration stream: checksum mismatch" -- \
	"$migrate" load --hex "$tmp/badcrc.hex" mock
expect migrate_truncated 2 1 "bad migration stream: truncated: 6 bytes" -- \
	"$migrate" load "$tmp/short.bin" mock
expect migrate_bad_magic 2 1 "not a migration stream" -- \
	"$migrate" dump --hex "$tmp/magic.hex"
expect migrate_trailing 2 1 "2 trailing bytes after the checksum" -- \
	"$migrate" dump --hex "$tmp/trailing.hex"
expect migrate_old_version 2 1 "stream version 1 predates the QEMU 11.1 model" -- \
	"$migrate" dump --hex "$tmp/old.hex"
expect migrate_not_hex 2 1 "byte 0 is not a hex digit" -- \
	"$migrate" dump --hex "$tmp/text.hex"
expect migrate_missing_file 2 1 "No such file" -- \
	"$migrate" dump "$tmp/none.bin"
expect migrate_unsafe 2 1 "cannot migrate: Migration not supported with SMMUv3 accelerator mode enabled" -- \
	"$migrate" save --viommu arm-smmuv3,accel=on,ssidsize=auto --out "$tmp/s" mock
expect migrate_bad_device 2 1 "device '00:3': expected mock, mock-no-dirty or a PCI BDF DDDD:BB:DD.F" -- \
	"$migrate" load --hex "$tmp/good.hex" 00:3
expect migrate_no_command 2 - "unknown command 'send'" -- "$migrate" send
expect runner_migrate_one_topology 2 1 "--migrate needs two or more topologies" -- \
	"$here/run_tests.sh" --vm --migrate --topology mock
expect runner_compare_without_bench 2 1 "--compare-kdir goes with --bench" -- \
	"$here/run_tests.sh" --vm --compare-kdir /tmp
expect runner_bad_rounds 2 1 "--rounds 'x'" -- \
	"$here/run_tests.sh" --bench --rounds x
expect runner_bench_host 2 1 "--bench runs in QEMU guests" -- \
	"$here/run_tests.sh" --bench --host
expect runner_bench_with_kasan 2 1 "--bench measures the kernel's speed: not with --kasan" -- \
	"$here/run_tests.sh" --bench --kasan
expect runner_bad_jobs 2 1 "--jobs '0'" -- \
	"$here/run_tests.sh" --vm --jobs 0
# JUnit from a KTAP with a nested failure (with XML specials) and skips
printf '%s\n' 'KTAP version 1' '1..2' '  KTAP version 1' '  1..2' \
	'    1..2' '    ok 1 alpha.one' '    # expected <1> & "2"' \
	'    not ok 2 alpha.two' '  not ok 1 bin_a' \
	'  ok 2 bin_b # SKIP all 3 skipped' 'not ok 1 unit' \
	'ok 2 mock # SKIP nothing ran' >"$tmp/sample.ktap"
expect junit_writes_xml 0 0 "testsuites" -- sh -c '"$1" junit "$2" "$3" && cat "$3"' sh "$here/vm/ktap.py" "$tmp/sample.ktap" "$tmp/s.xml"
expect junit_parses_back 0 0 '^4 1 2 unit.bin_a alpha.two expected <1> & "2"$' -- \
	sh -c 'x=$1; echo "$(xmllint --xpath "count(//testcase)" "$x") $(xmllint --xpath "count(//failure)" "$x") $(xmllint --xpath "count(//skipped)" "$x") $(xmllint --xpath "string(//testcase[failure]/@classname)" "$x") $(xmllint --xpath "string(//testcase[failure]/@name)" "$x") $(xmllint --xpath "string(//failure)" "$x")"' sh "$tmp/s.xml"
# a crashed binary, a bad exit status, a hung guest: one case each, in
# the totals and in the JUnit alike (9 passed, 6 failed, 1 skipped)
expect ktap_counts_match_junit 0 0 '^16 6 16 6$' -- "$here/tests/ktap_junit_check.sh"
expect runner_migrate_host 2 1 "--migrate runs between QEMU guests" -- \
	"$here/run_tests.sh" --host --migrate
expect suite_bench_bad_runs 2 1 "--runs 'two': expected a positive number" -- \
	"$here/vm/suite_bench.sh" --runs two
expect suite_bench_bad_option 2 1 "unknown option '--rounds'" -- \
	"$here/vm/suite_bench.sh" --rounds 3
[ "$failed" = 0 ]
