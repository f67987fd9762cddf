#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The runner's totals and its JUnit must count the same cases when a
# test binary or a guest fails as a whole.  Merges crafted binaries'
# TAP with vm/ktap.py as run_tests.sh does, adds a topology whose guest
# hung after its tests passed, and prints "TOTALS_CASES TOTALS_FAILED
# JUNIT_CASES JUNIT_FAILURES", the JUnit's read back by xmllint.
#   tests/ktap_junit_check.sh

set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
ktap=$here/vm/ktap.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '%s\n' 'TAP version 13' '1..3' 'not ok 1 a' >"$tmp/crash_after_fail"
printf '%s\n' 'TAP version 13' '1..3' 'ok 1 a' >"$tmp/crash_after_pass"
printf '%s\n' 'TAP version 13' '1..2' 'ok 1 a' 'ok 2 b' >"$tmp/all_pass"
printf '%s\n' 'TAP version 13' '1..1' 'ok 1 a # SKIP no device' >"$tmp/all_skip"
{
	echo 'KTAP version 1'
	echo '1..2'
	{
		echo '  KTAP version 1'
		echo '  1..6'
		"$ktap" program --indent "  " --number 1 crash_after_fail "$tmp/crash_after_fail" 139
		"$ktap" program --indent "  " --number 2 crash_after_pass "$tmp/crash_after_pass" 139
		"$ktap" program --indent "  " --number 3 bad_status "$tmp/all_pass" 1
		"$ktap" program --indent "  " --number 4 --reason "unfinished did not finish" unfinished "$tmp/all_pass" 0
		"$ktap" program --indent "  " --number 5 skips_exit_0 "$tmp/all_skip" 0
		"$ktap" program --indent "  " --number 6 fine "$tmp/all_pass" 0
	} | "$ktap" group 1 host
	# a guest that hung after its tests passed
	{
		echo '  KTAP version 1'
		echo '  1..1'
		"$ktap" program --indent "  " --number 1 fine "$tmp/all_pass" 0
	} | "$ktap" group --problem "guest timed out after 300 s of work" 2 hung
} >"$tmp/run.ktap"
totals=$("$ktap" totals "$tmp/run.ktap" | tail -n 1) || :
"$ktap" junit "$tmp/run.ktap" "$tmp/run.xml"
echo "$totals" | awk '{ print $2 + $4 + $6, $4 }' | tr '\n' ' '
echo "$(xmllint --xpath 'count(//testcase)' "$tmp/run.xml")" \
	"$(xmllint --xpath 'count(//failure)' "$tmp/run.xml")"
