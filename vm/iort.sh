#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The IORT the smmuv3-nested guest boots with.  QEMU's virt machine
# describes its root complex with memory access flags 0x3 (CCA, CPM):
# without CANWBS (bit 2), arm-smmu-v3 refuses a vIOMMU, since a guest's
# stage 1 could then make DMA non-coherent.  Under TCG that cannot
# happen: every access of the emulated root complex is to always
# coherent RAM, so CANWBS is true of it.  The kernel takes an upgraded
# table from the initrd (ACPI_TABLE_UPGRADE): same OEM ID and table ID,
# a higher oem_revision, at kernel/firmware/acpi/IORT.aml in an
# uncompressed cpio.
#
#   vm/iort.sh unhex IN.txt OUT.aml    bytes from "iort: xx xx ..." lines
#                                      (a guest's dump, vm/guest/dump_iort)
#   vm/iort.sh canwbs IN.aml OUT.aml   every root complex node gains
#                                      CANWBS; oem_revision + 1; checksum
#   vm/iort.sh no-rmr IN.aml OUT.aml   the trailing RMR nodes dropped (the
#                                      L2 guest of vm/guest/qemu_l2_edu);
#                                      oem_revision + 1; checksum
#   vm/iort.sh cpio IN.aml OUT.cpio    the cpio the initrd starts with

set -euo pipefail

die() { echo "error: $*" >&2; exit 1; }

IORT_NODE_RC=2
IORT_NODE_RMR=6
RC_MAF=23		# memory access flags byte in a root complex node
MAF_CANWBS=4

# bytes FILE: the file's bytes as decimal numbers
bytes() { od -An -v -tu1 "$1" | xargs; }
le32() { echo $(( b[$1] | b[$1 + 1] << 8 | b[$1 + 2] << 16 | b[$1 + 3] << 24 )); }
# write OUT: the array b as bytes
write() { printf '%b' "$(printf '\\0%03o' "${b[@]}")" >"$1"; }

cmd_unhex()
{
	local hex

	hex=$(sed -n 's/^iort: //p' "$1" | xargs)
	[ -n "$hex" ] || die "$1 holds no 'iort:' lines: the guest dumped no IORT"
	# shellcheck disable=SC2206
	b=($(for x in $hex; do echo $((16#$x)); done))
	write "$2"
}

# load FILE: the array b, checked to be a whole IORT
load()
{
	# shellcheck disable=SC2207
	b=($(bytes "$1"))
	len=${#b[@]}
	[ "$len" -ge 48 ] && [ "$(head -c 4 "$1")" = IORT ] ||
		die "$1 is not an IORT (no 'IORT' signature, or shorter than 48 bytes)"
	[ "$(le32 4)" = "$len" ] ||
		die "$1: the header says $(le32 4) bytes, the file has $len"
}

# put32 OFFSET VALUE: a little-endian u32 into b
put32()
{
	local i

	for i in 0 1 2 3; do
		b[$1 + i]=$(( $2 >> (8 * i) & 255 ))
	done
}

# finish OUT: the table's length, a higher oem_revision (or the kernel
# keeps the firmware's table), the checksum; written to OUT
finish()
{
	local i sum=0

	len=${#b[@]}
	put32 4 "$len"
	put32 24 $(( $(le32 24) + 1 ))
	b[9]=0
	for ((i = 0; i < len; i++)); do
		sum=$(( (sum + b[i]) & 255 ))
	done
	b[9]=$(( (256 - sum) & 255 ))
	write "$1"
}

# nodes FILE: each node's "OFFSET TYPE", checked to lie in the table
nodes()
{
	local nodes off i nlen

	nodes=$(le32 36)
	off=$(le32 40)
	for ((i = 0; i < nodes; i++)); do
		[ $((off + RC_MAF)) -lt "$len" ] ||
			die "$1: node $i at offset $off runs past the table"
		nlen=$(( b[off + 1] | b[off + 2] << 8 ))
		[ "$nlen" -gt 0 ] || die "$1: node $i has length 0"
		echo "$off ${b[off]}"
		off=$((off + nlen))
	done
}

cmd_canwbs()
{
	local len off type n=0 list

	load "$1"
	list=$(nodes "$1") || exit 1
	while read -r off type; do
		[ "$type" = "$IORT_NODE_RC" ] || continue
		b[off + RC_MAF]=$(( b[off + RC_MAF] | MAF_CANWBS ))
		n=$((n + 1))
	done <<<"$list"
	[ "$n" -gt 0 ] || die "$1 has no root complex node"
	finish "$2"
}

# QEMU 11.1's IORT for arm-smmuv3,accel=on ends in an RMR node that asks
# a 1:1 mapping of the device (the MSI doorbell's), which makes vfio-pci
# refuse it; a guest that needs no MSI can drop it.  Trailing RMR nodes
# go (nothing refers to them); one before another node is an error.
cmd_no_rmr()
{
	local len off type n=0 cut='' list

	load "$1"
	list=$(nodes "$1") || exit 1
	while read -r off type; do
		if [ "$type" = "$IORT_NODE_RMR" ]; then
			cut=${cut:-$off}
		else
			[ -z "$cut" ] ||
				die "$1: an RMR node at offset $cut comes before a node of type $type"
			n=$((n + 1))
		fi
	done <<<"$list"
	[ -n "$cut" ] || die "$1 has no RMR node"
	b=("${b[@]:0:cut}")
	put32 36 "$n"
	finish "$2"
}

cmd_cpio()
{
	[ "$(head -c 4 "$1")" = IORT ] || die "$1 is not an IORT"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp/kernel/firmware/acpi"
	cp "$1" "$tmp/kernel/firmware/acpi/IORT.aml"
	(cd "$tmp" && find kernel | cpio -o -H newc --quiet) >"$2.tmp"
	mv "$2.tmp" "$2"
}

[ $# -eq 3 ] || die "usage: $0 unhex IN.txt OUT.aml | canwbs IN.aml OUT.aml | no-rmr IN.aml OUT.aml | cpio IN.aml OUT.cpio"
[ -f "$2" ] || die "$1: no such file: $2"
case $1 in
unhex)	cmd_unhex "$2" "$3" ;;
canwbs)	cmd_canwbs "$2" "$3" ;;
no-rmr)	cmd_no_rmr "$2" "$3" ;;
cpio)	cmd_cpio "$2" "$3" ;;
*)	die "unknown command '$1' (expected unhex, canwbs, no-rmr or cpio)" ;;
esac
