#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack a guest initramfs: static busybox, vm/init and the test binaries.
#   vm/initramfs.sh [--busybox PATH] OUT.cpio BINARY...
# Uncompressed: a TCG guest unpacks it faster than it would gunzip it.
# OUT is kept while its inputs are unchanged (OUT.key holds their hash).
# --busybox: another architecture's static busybox (vm/busybox.sh), for
# a guest that is not this host's architecture.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
busybox=/bin/busybox
if [ "${1:-}" = --busybox ]; then
	busybox=$2
	# it cannot run here: an ELF file is all that can be checked
	[ -f "$busybox" ] && [ "$(head -c 4 "$busybox" | tail -c 3)" = ELF ] ||
		{ echo "error: --busybox $busybox: not an ELF file" >&2; exit 1; }
	shift 2
else
	[ -x "$busybox" ] && "$busybox" --list >/dev/null 2>&1 ||
		{ echo "error: no static busybox at $busybox (apt-get install busybox-static)" >&2; exit 1; }
	ldd "$busybox" >/dev/null 2>&1 &&
		{ echo "error: $busybox is not static (apt-get install busybox-static)" >&2; exit 1; }
fi
out=$1
shift

key=$({ printf '%s\n' "$@"; cat "$busybox" "$here/init" "$here/receive" "$@"; } | sha1sum | cut -d' ' -f1)
[ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ] && exit 0

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,tests}
cp "$busybox" "$root/bin/busybox"
cp "$here/init" "$root/init"
cp "$here/receive" "$root/receive"
for bin in "$@"; do
	cp "$bin" "$root/tests/"
done
(cd "$root" && find . | cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
echo "$key" >"$out.key"
