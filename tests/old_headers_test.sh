#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP: against kernel headers without the iommufd nesting uAPI (Debian
# 12's own /usr/include is 6.1) everything still builds, each test SKIPs
# with the reason and exits 4, and each tool says why and exits 4.
#   tests/old_headers_test.sh KDIR [HEADERS_DIR]

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1
hdr=${2:-/usr/include}
tests="iommufd_nest_test iommufd_nest_cdev_test iommufd_nest_cdev_input_test
       iommufd_nest_migrate_test iommufd_nest_failnth_test iommufd_nest_uapi_test
       iommufd_nest_viommu_test"
tools="nest_report nest_migrate nest_bench"
n=0
failed=0

echo "TAP version 13"
echo "1..11"
if grep -qs IOMMU_HWPT_INVALIDATE "$hdr/linux/iommufd.h"; then
	why="$hdr has the nesting uAPI: no old headers here"
	echo "ok 1 builds_against_old_headers # SKIP $why"
	for p in $tests $tools; do
		n=$((n + 1))
		echo "ok $((n + 1)) ${p}_skips_with_reason # SKIP $why"
	done
	exit 4
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck disable=SC2086
make -s -C "$here" KDIR="$kdir" KHDR_DIR="$hdr" OUTPUT="$out" \
	$(for p in $tests $tools; do echo "$out/$p"; done) >"$out/build.log" 2>&1
rc=$?
n=1
if [ $rc = 0 ]; then
	echo "ok 1 builds_against_old_headers"
else
	sed 's/^/# /' "$out/build.log" | tail -n 20
	echo "not ok 1 builds_against_old_headers"
	exit 1
fi
for p in $tests $tools; do
	n=$((n + 1))
	"$out/$p" >"$out/run.out" 2>&1
	rc=$?
	if [ $rc = 4 ] && grep -q "without the iommufd nesting uAPI" "$out/run.out" &&
		{ [ "${p%_test}" = "$p" ] || grep -q "^ok 1 $p # SKIP" "$out/run.out"; }; then
		echo "ok $n ${p}_skips_with_reason"
	else
		echo "# exit $rc: $(head -n 3 "$out/run.out")"
		echo "not ok $n ${p}_skips_with_reason"
		failed=$((failed + 1))
	fi
done
[ $failed = 0 ]
