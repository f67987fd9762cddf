#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP: git tracks no build output (no ELF file, nothing under a build*/
# folder, no compiled Python) and no path of one machine (a home, a cache, a temporary
# folder), which a build stamp or a copied log would carry.
#   tests/tracked_files_test.sh [GIT_DIR_OF_WORK_TREE]

set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=vm/tap.sh
. "$(dirname "$0")/../vm/tap.sh"

echo "TAP version 13"
echo "1..3"
if ! files=$(git -C "$top" ls-files -z 2>/dev/null | tr '\0' '\n') ||
	[ -z "$files" ]; then
	for t in no_elf_tracked no_build_dir_tracked no_machine_path_tracked; do
		tap_skip "$t" "$top is not a git work tree (a tarball or a kernel tree's copy)"
	done
	tap_exit
fi

elf=
while IFS= read -r f; do
	{ [ -f "$top/$f" ] && [ ! -L "$top/$f" ]; } || continue
	[ "$(head -c 4 "$top/$f" | od -An -c | tr -d ' ')" = '177ELF' ] &&
		elf="$elf $f"
done <<<"$files"
tap_ok "$([ -z "$elf" ]; echo $?)" no_elf_tracked \
	"ELF files tracked:$elf (build output belongs in build*/, which is ignored)"

built=$(grep -E '(^build[^/]*/|(^|/)__pycache__/|\.pyc$)' <<<"$files" |
	head -n 5 | xargs)
tap_ok "$([ -z "$built" ]; echo $?)" no_build_dir_tracked \
	"tracked build output (build*/, Python's __pycache__): $built"

# an absolute path into a home or a cache, as a build writes them
paths=$(cd "$top" && tr '\n' '\0' <<<"$files" |
	xargs -0 grep -IlE '(/root/|/home/[a-z_][a-z0-9_-]*/|[A-Za-z0-9_-]/\.cache/iommufd-nest|/tmp/tmp\.[A-Za-z0-9]{6,})' -- 2>/dev/null |
	grep -vx 'tests/tracked_files_test.sh' | head -n 5 | xargs)
tap_ok "$([ -z "$paths" ]; echo $?)" no_machine_path_tracked \
	"files naming a machine's own path: $paths"
tap_exit
