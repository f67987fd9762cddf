#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack a guest initramfs: static busybox, vm/init and the test binaries.
#   vm/initramfs.sh OUT.cpio.gz BINARY...

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$1
shift
busybox=/bin/busybox

[ -x "$busybox" ] && "$busybox" --list >/dev/null 2>&1 ||
	{ echo "error: no static busybox at $busybox (apt-get install busybox-static)" >&2; exit 1; }
ldd "$busybox" >/dev/null 2>&1 &&
	{ echo "error: $busybox is not static (apt-get install busybox-static)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,tests}
cp "$busybox" "$root/bin/busybox"
cp "$here/init" "$root/init"
for bin in "$@"; do
	cp "$bin" "$root/tests/"
done
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
