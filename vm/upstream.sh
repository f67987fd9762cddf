#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The upstream iommufd selftests of a kernel tree (tools/testing/
# selftests/iommu: iommufd, iommufd_fail_nth), built static for the
# guests by the tree's own kselftest Makefile, against its uAPI headers.
# They run in the "upstream" topology: the anchor this suite's power is
# measured against (make kernel-mutants, make coverage).
#   vm/upstream.sh KDIR OUT    build them into OUT, print their paths
# Progress goes to stderr.  Exit status: 0; 1 when the build fails.

set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

[ $# -eq 2 ] || { echo "usage: $0 KDIR OUT" >&2; exit 2; }
kdir=$1
out=$2
src=$kdir/tools/testing/selftests/iommu
[ -f "$src/iommufd.c" ] || {
	echo "error: $kdir has no $src/iommufd.c: not a tree with the iommufd selftests" >&2
	exit 1
}
# -lcap, static: libcap-dev's libcap.a
"$here/vm/kernel.sh" deps upstream >&2
hdr=$("$here/vm/kernel.sh" headers-dir "$kdir")
[ -f "$hdr/linux/iommufd.h" ] ||
	hdr=$("$here/vm/kernel.sh" headers "$kdir")
mkdir -p "$out"
echo "[upstream] building $src into $out" >&2
make -s -C "$src" OUTPUT="$out" KHDR_INCLUDES="-isystem $hdr" \
	LDFLAGS=-static "$out/iommufd" "$out/iommufd_fail_nth" \
	>"$out/build.log" 2>&1 || {
	tail -n 20 "$out/build.log" >&2
	echo "error: building the upstream iommufd selftests failed (log: $out/build.log)" >&2
	exit 1
}
echo "$out/iommufd"
echo "$out/iommufd_fail_nth"
