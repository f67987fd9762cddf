#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP tests of the command lines: run_tests.sh usage errors and the
# report tool.  Each bad input must give one line on stderr and exit 2.
#   tests/cli_test.sh NEST_REPORT_BINARY

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
report=$1
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
echo "1..13"
expect report_bad_config 2 1 "x-flts: 'on' needs x-scalable-mode=on" -- \
	"$report" --viommu intel-iommu,x-flts=on
expect report_unknown_kind 2 1 "unknown vIOMMU kind 'amd-iommu'" -- \
	"$report" --viommu amd-iommu
expect report_no_config 2 - "no --viommu CONFIG given" -- "$report"
expect report_flags 0 0 '^intel-iommu,x-scalable-mode=on,x-flts=on,aw-bits=48,fs1gp=on +0x1 +wanted' -- \
	"$report" --viommu intel-iommu,x-scalable-mode=on,x-flts=on
expect report_unsafe_auto 0 0 '"migration_safe": false, "unsafe_reason": "ssidsize=auto' -- \
	"$report" --json --viommu arm-smmuv3,accel=on,ssidsize=auto
expect report_pasid_flag 0 0 '"flags": 3, "want_nesting_parent": true, "pasid_supported": true, "migration_safe": true' -- \
	"$report" --json --viommu arm-smmuv3,accel=on,ssidsize=20
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
expect report_bad_bdf 2 1 "bad BDF 'zz:00.0'" -- \
	"$report" --device zz:00.0 --viommu none
[ "$failed" = 0 ]
