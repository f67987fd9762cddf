#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP: what a fresh checkout does.  Into an empty OUTPUT with an empty
# header directory, make must install the headers first and build the
# real tools from them, not the no-uAPI stubs; and the same OUTPUT must
# follow the headers when they change (old ones, then new ones again).
# The kernel tree is used as it is: nothing is configured or built.
#   tests/fresh_build_test.sh KDIR

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1
old=/usr/include
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
out=$tmp/out
hdr=$tmp/hdr/usr/include
# shellcheck source=vm/tap.sh
. "$here/vm/tap.sh"

# build HEADERS: nest_report and nest_migrate into $out against HEADERS,
# unoptimized: what is checked is which headers the build follows
build()
{
	CFLAGS=-O0 make -s -C "$here" KDIR="$kdir" KHDR_DIR="$1" OUTPUT="$out" \
		"$out/nest_report" "$out/nest_migrate" >"$tmp/build.log" 2>&1
}

# the real tools answer: a flag query, and a missing stream file (exit
# 2); the stubs exit 4 saying why
real_tool()
{
	local rc

	"$out/nest_report" --viommu none >"$tmp/run.log" 2>&1 &&
		grep -qE '^none +0x0 ' "$tmp/run.log" || return 1
	"$out/nest_migrate" dump "$tmp/none.bin" >>"$tmp/run.log" 2>&1
	rc=$?
	[ $rc = 2 ] && grep -q "No such file" "$tmp/run.log"
}

stub_tool()
{
	"$out/nest_report" --viommu none >"$tmp/run.log" 2>&1
	[ $? = 4 ] && grep -q "without the iommufd nesting uAPI" "$tmp/run.log"
}

echo "TAP version 13"
echo "1..4"
build "$hdr"
tap_step builds_into_empty_output_and_headers $? "$tmp/build.log"
real_tool
tap_step built_the_real_tools $? "$tmp/run.log"
if grep -qs IOMMU_HWPT_INVALIDATE "$old/linux/iommufd.h"; then
	why="$old has the nesting uAPI: no old headers on this machine"
	tap_skip rebuilt_as_stubs_for_old_headers "$why"
	tap_skip rebuilt_real_for_new_headers "$why"
else
	build "$old" && stub_tool
	tap_step rebuilt_as_stubs_for_old_headers $? "$tmp/run.log"
	build "$hdr" && real_tool
	tap_step rebuilt_real_for_new_headers $? "$tmp/run.log"
fi
tap_exit
