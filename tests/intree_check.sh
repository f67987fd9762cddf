#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kselftest route, checked on a kernel tree: a copy of this project as
# tools/testing/selftests/iommufd_nest builds with "make -C
# tools/testing/selftests TARGETS=iommufd_nest", its run_tests prints KTAP
# that prove accepts, and the installed copy runs through
# run_kselftest.sh -c iommufd_nest.  The copy and the output are removed
# afterwards, whatever happens.  Prints TAP.
#   tests/intree_check.sh KDIR

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1
dest=$kdir/tools/testing/selftests/iommufd_nest
# shellcheck source=vm/tap.sh
. "$here/vm/tap.sh"

echo "TAP version 13"
echo "1..6"
[ -f "$kdir/tools/testing/selftests/lib.mk" ] ||
	{ echo "# $kdir: not a kernel tree with kselftests"; exit 1; }
if [ -e "$dest" ] && [ ! -f "$dest/.iommufd-nest-copy" ]; then
	echo "# $dest exists and is not a copy made here: not touching it"
	exit 1
fi
command -v rsync >/dev/null ||
	echo "# rsync is missing (apt-get install rsync, or vm/kernel.sh deps build): the kselftest install needs it"
out=$(mktemp -d)
cleanup() { rm -rf "$dest" "$out"; }
trap cleanup EXIT INT TERM
rm -rf "$dest"
mkdir -p "$dest"
tar -C "$here" --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$dest"
touch "$dest/.iommufd-nest-copy"

make -s -C "$kdir" O="$out/obj" headers >"$out/headers.log" 2>&1
rc=$?
make -C "$kdir/tools/testing/selftests" TARGETS=iommufd_nest O="$out/obj" \
	>"$out/build.log" 2>&1 || rc=1
tap_step builds_in_tree $rc "$out/build.log"

# every test program of the Makefile's NEST_TESTS has its result line:
# ok, or ok # SKIP where it exited 4 (here, without /dev/iommu, all do)
tests=$(make -s -C "$here" -f Makefile print-tests)
all_results() # FILE
{
	local t

	for t in $tests; do
		grep -qE "^ok [0-9]+ selftests: iommufd_nest: $t( # SKIP.*)?\$" "$1" ||
			{ echo "# no 'ok' result line for $t"; return 1; }
	done
}

make -s -C "$kdir/tools/testing/selftests" TARGETS=iommufd_nest \
	O="$out/obj" run_tests >"$out/run.ktap" 2>&1
# Newer frameworks (7.2's) print the TAP header and plan only from
# run_kselftest.sh, not on "make run_tests", for every target alike.
header=0
grep -q '^TAP version' "$out/run.ktap" && header=1
rc=0
all_results "$out/run.ktap" || rc=1
[ $header = 0 ] || grep -q "^1\.\.$(echo "$tests" | wc -w)\$" "$out/run.ktap" ||
	rc=1
tap_step run_tests_prints_ktap $rc "$out/run.ktap"

if [ $header = 1 ]; then
	prove -e cat "$out/run.ktap" >"$out/prove.log" 2>&1
	tap_step prove_accepts_run_tests $? "$out/prove.log"
else
	tap_skip prove_accepts_run_tests "this tree's make run_tests prints no TAP header or plan; run_kselftest.sh's output is proved instead"
fi

make -s -C "$kdir/tools/testing/selftests" TARGETS=iommufd_nest \
	O="$out/obj" INSTALL_PATH="$out/install" install >"$out/install.log" 2>&1 &&
	[ -x "$out/install/iommufd_nest/iommufd_nest_test" ] &&
	[ -f "$out/install/iommufd_nest/settings" ] &&
	[ -x "$out/install/iommufd_nest/nest_report" ]
tap_step installs_with_settings_and_tools $? "$out/install.log"

"$out/install/run_kselftest.sh" -c iommufd_nest >"$out/kselftest.ktap" 2>&1
all_results "$out/kselftest.ktap"
tap_step run_kselftest_runs_the_collection $? "$out/kselftest.ktap"

prove -e cat "$out/kselftest.ktap" >"$out/prove-ksft.log" 2>&1
tap_step prove_accepts_run_kselftest $? "$out/prove-ksft.log"
tap_exit
