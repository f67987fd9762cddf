#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The runner's totals and its JUnit must count the same cases when a
# test binary or a guest fails as a whole.  Merges crafted binaries'
# TAP with vm/ktap.sh, adds a topology whose guest hung after its tests
# passed (as run_tests.sh's run_topology does), converts it with
# vm/junit.sh and prints "TOTALS_CASES TOTALS_FAILED JUNIT_CASES
# JUNIT_FAILURES".
#   tests/ktap_junit_check.sh

set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=vm/ktap.sh
. "$here/vm/ktap.sh"

printf '%s\n' 'TAP version 13' '1..3' 'not ok 1 a' >"$tmp/crash_after_fail"
printf '%s\n' 'TAP version 13' '1..3' 'ok 1 a' >"$tmp/crash_after_pass"
printf '%s\n' 'TAP version 13' '1..2' 'ok 1 a' 'ok 2 b' >"$tmp/all_pass"
printf '%s\n' 'TAP version 13' '1..1' 'ok 1 a # SKIP no device' >"$tmp/all_skip"
{
	echo 'KTAP version 1'
	echo '1..2'
	echo '  KTAP version 1'
	echo '  1..6'
	f0=$KTAP_FAIL p0=$KTAP_PASS
	ktap_binary "  " 1 crash_after_fail "$tmp/crash_after_fail" 139
	ktap_binary "  " 2 crash_after_pass "$tmp/crash_after_pass" 139
	ktap_binary "  " 3 bad_status "$tmp/all_pass" 1
	ktap_binary "  " 4 unfinished "$tmp/all_pass" 0 "unfinished did not finish"
	ktap_binary "  " 5 skips_exit_0 "$tmp/all_skip" 0
	ktap_binary "  " 6 fine "$tmp/all_pass" 0
	ktap_result "" 1 host "$f0" "$p0"
	# a guest that hung after its tests passed
	echo '  KTAP version 1'
	echo '  1..1'
	f0=$KTAP_FAIL p0=$KTAP_PASS
	ktap_binary "  " 1 fine "$tmp/all_pass" 0
	echo "  # guest timed out after 300 s of work"
	ktap_group_problem "$f0"
	ktap_result "" 2 hung "$f0" "$p0"
	ktap_totals
} >"$tmp/run.ktap"
"$here/vm/junit.sh" "$tmp/run.ktap" "$tmp/run.xml"
echo "$((KTAP_PASS + KTAP_FAIL + KTAP_SKIP)) $KTAP_FAIL" \
	"$(xmllint --xpath 'count(//testcase)' "$tmp/run.xml")" \
	"$(xmllint --xpath 'count(//failure)' "$tmp/run.xml")"
