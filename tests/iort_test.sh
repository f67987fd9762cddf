#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP: vm/iort.sh, which gives the smmuv3-nested guest an IORT whose
# root complex says CANWBS, on a small synthetic table laid out as
# QEMU's: the flags byte and the revision change, the checksum still
# sums to zero, nothing else moves; bad tables are refused by name.
#   tests/iort_test.sh

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
iort=$here/vm/iort.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# shellcheck source=vm/tap.sh
. "$here/vm/tap.sh"

# bytes as octal escapes, from decimal numbers
emit() { printf '%b' "$(printf '\\0%03o' "$@")"; }
le32() { echo $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
# ASCII codes of a string
str() { printf '%s' "$1" | od -An -v -tu1; }

# table NODE_TYPE: a 48-byte header and one 36-byte node of that type
# with memory access flags 0x3 at byte 23, checksum 0x00 left unfixed
table()
{
	# shellcheck disable=SC2046
	emit $(str IORT) $(le32 84) 3 0 $(str "BOCHS ") $(str "BXPC    ") \
		$(le32 1) $(str BXPC) $(le32 1) $(le32 1) $(le32 48) $(le32 0) \
		"$1" 36 0 3 $(le32 0) $(le32 0) $(le32 0) $(le32 1) 0 0 0 3 \
		$(le32 0) $(le32 0) 64 0 0 0
}
# table2 TYPE TYPE: the same with two such nodes
table2()
{
	# shellcheck disable=SC2046
	emit $(str IORT) $(le32 120) 3 0 $(str "BOCHS ") $(str "BXPC    ") \
		$(le32 1) $(str BXPC) $(le32 1) $(le32 2) $(le32 48) $(le32 0) \
		"$1" 36 0 3 $(le32 0) $(le32 0) $(le32 0) $(le32 1) 0 0 0 3 \
		$(le32 0) $(le32 0) 64 0 0 0 \
		"$2" 36 0 3 $(le32 0) $(le32 0) $(le32 0) $(le32 1) 0 0 0 3 \
		$(le32 0) $(le32 0) 64 0 0 0
}
byte() { od -An -v -tu1 -j "$2" -N 1 "$1" | tr -d ' '; }
sum() { od -An -v -tu1 "$1" | xargs -n 1 | awk '{ s += $1 } END { print s % 256 }'; }

echo "TAP version 13"
echo "1..7"

table 2 >"$tmp/q.aml"
"$iort" canwbs "$tmp/q.aml" "$tmp/c.aml" 2>"$tmp/err"
tap_ok $? canwbs_runs "$(cat "$tmp/err")"
tap_ok "$([ "$(byte "$tmp/c.aml" $((48 + 23)))" = 7 ] && echo 0)" \
	root_complex_gains_canwbs "flags byte $(byte "$tmp/c.aml" $((48 + 23)))"
tap_ok "$([ "$(byte "$tmp/c.aml" 24)" = 2 ] && [ "$(sum "$tmp/c.aml")" = 0 ] &&
	  [ "$(cmp -l "$tmp/q.aml" "$tmp/c.aml" | wc -l)" = 3 ] && echo 0)" \
	revision_checksum_and_nothing_else \
	"oem_revision $(byte "$tmp/c.aml" 24), byte sum $(sum "$tmp/c.aml"), changed: $(cmp -l "$tmp/q.aml" "$tmp/c.aml" | xargs)"
# a table without a root complex node (an SMMUv3 node, type 4)
table 4 >"$tmp/n.aml"
"$iort" canwbs "$tmp/n.aml" "$tmp/x.aml" 2>"$tmp/err"
rc=$?
tap_ok "$([ $rc = 1 ] && grep -q "n.aml has no root complex node" "$tmp/err" && echo 0)" \
	no_root_complex_refused "exit $rc: $(cat "$tmp/err")"
printf 'DSDT and more, not an IORT at all, but 48 bytes long....\n' >"$tmp/d.aml"
"$iort" canwbs "$tmp/d.aml" "$tmp/x.aml" 2>"$tmp/err"
rc=$?
tap_ok "$([ $rc = 1 ] && grep -q "d.aml is not an IORT" "$tmp/err" && echo 0)" \
	not_an_iort_refused "exit $rc: $(cat "$tmp/err")"
# no-rmr: a root complex, then an RMR node (type 6), as QEMU's accel IORT
table2 2 6 >"$tmp/r.aml"
"$iort" no-rmr "$tmp/r.aml" "$tmp/s.aml" 2>"$tmp/err"
rc=$?
tap_ok "$([ $rc = 0 ] && [ "$(stat -c %s "$tmp/s.aml")" = 84 ] &&
	  [ "$(byte "$tmp/s.aml" 4)" = 84 ] && [ "$(byte "$tmp/s.aml" 36)" = 1 ] &&
	  [ "$(byte "$tmp/s.aml" 24)" = 2 ] && [ "$(sum "$tmp/s.aml")" = 0 ] &&
	  [ "$(cmp -l "$tmp/s.aml" <(head -c 84 "$tmp/r.aml") | wc -l)" = 4 ] && echo 0)" \
	no_rmr_drops_the_trailing_rmr \
	"exit $rc $(cat "$tmp/err"); $(stat -c %s "$tmp/s.aml" 2>/dev/null) bytes, nodes $(byte "$tmp/s.aml" 36), byte sum $(sum "$tmp/s.aml")"
table2 6 2 >"$tmp/r.aml"
"$iort" no-rmr "$tmp/r.aml" "$tmp/s.aml" 2>"$tmp/err"
rc=$?
tap_ok "$([ $rc = 1 ] && grep -q "an RMR node at offset 48 comes before a node of type 2" "$tmp/err" && echo 0)" \
	rmr_before_another_node_refused "exit $rc: $(cat "$tmp/err")"
tap_exit
