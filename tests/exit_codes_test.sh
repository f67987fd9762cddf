#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP: every test program exits as kselftest runners expect: 1 when a
# test failed, else 0 when one passed, else 4 (all skipped).  Run where
# there is no /dev/iommu, most programs skip everything: the case a
# runner would otherwise count as a pass.
#   tests/exit_codes_test.sh BINARY_DIR PROGRAM...

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT INT TERM
# shellcheck source=vm/tap.sh
. "$here/vm/tap.sh"

echo "TAP version 13"
echo "1..$#"
if [ -e /dev/iommu ]; then
	# here they would run for real: the host group checks them there
	for p in "$@"; do
		tap_skip "${p}_exit_code" "this host has /dev/iommu: no all-skipped run to check"
	done
	tap_exit
fi
for p in "$@"; do
	timeout 120 "$dir/$p" >"$tmp" 2>&1 </dev/null
	rc=$?
	read -r pass fail skip < <(awk '
		/^ok / { if ($0 ~ /# [Ss][Kk][Ii][Pp]/) s++; else p++ }
		/^not ok / { if ($0 ~ /# [Ss][Kk][Ii][Pp]/) s++; else f++ }
		END { print p + 0, f + 0, s + 0 }' "$tmp")
	if [ "$fail" -gt 0 ]; then
		want=1
	elif [ "$pass" -gt 0 ]; then
		want=0
	else
		want=4
	fi
	echo "# $p: $pass passed, $fail failed, $skip skipped: exit $rc, expected $want"
	ok=1
	[ "$rc" = "$want" ] && [ $((pass + fail + skip)) -gt 0 ] && ok=0
	[ $ok = 0 ] || tail -n 3 "$tmp" | sed 's/^/#   /'
	tap_ok $ok "${p}_exit_code"
done
tap_exit
