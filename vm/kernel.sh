#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel-side artifacts for iommufd-nest: the packages the runner needs,
# Debian's 6.12 source, the uAPI headers of a tree, and a cached bzImage.
#
#   vm/kernel.sh deps [build|vm|fuzz|cross|lava|upstream|coverage]
#                                      install missing Debian packages
#   vm/kernel.sh source [next]      unpack Debian's source, print its path;
#                                   next: the newer tree from trixie-backports
#   vm/kernel.sh version KDIR       the tree's version, e.g. 6.12.117
#   vm/kernel.sh headers KDIR [DIR] install KDIR's uAPI headers (into DIR,
#                                   which ends in /usr/include), print the dir
#   vm/kernel.sh headers-dir KDIR   print where they go, building nothing
#                                   (NEST_HDR_ARCH=arm64: another arch's)
#   vm/kernel.sh bzimage KDIR FRAG  build KDIR with the fragments, print bzImage
#   vm/kernel.sh image arm64 KDIR FRAG...
#                                   the same cross-built for arm64 (the
#                                   smmuv3 topologies), print its Image
#
# Progress goes to stderr; the one result goes to stdout.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${IOMMUFD_NEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iommufd-nest}
src_pkg=linux-source-6.12
src_tar=/usr/src/$src_pkg.tar.xz

# build: compile the tests against a tree; vm: also build and boot a kernel
# (perl: prove; libxml2-utils: xmllint; rsync: the kselftest install;
# python3: vm/ktap.py)
build_pkgs="gcc make libc6-dev perl xz-utils bc flex bison libxml2-utils
	    rsync libcmocka-dev python3 $src_pkg"
vm_pkgs="$build_pkgs qemu-system-x86 busybox-static libelf-dev libssl-dev
	 cpio gzip"
# fuzz: libFuzzer targets of the model (make fuzz)
fuzz_pkgs="clang-14 libfuzzer-14-dev"
# cross: the arm64 guests (smmuv3 topologies): their kernel and static
# test binaries
cross_pkgs="$vm_pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
# lava: what lava/check.sh needs to run LAVA's jobs (nothing else of LAVA)
lava_pkgs="lava-dispatcher cpio git"
# upstream: the tree's own iommufd selftests, static (vm/upstream.sh);
# coverage: lcov for make coverage
upstream_pkgs="$build_pkgs libcap-dev"
coverage_pkgs="$upstream_pkgs lcov"

# A tree newer than 6.12, with the vIOMMU object uAPI, from Debian's
# trixie-backports; fetched with a private apt state, not installed.
next_pkg=${IOMMUFD_NEST_NEXT_SOURCE:-linux-source-7.2}
next_suite=trixie-backports
next_dir=$cache/apt-next

say() { echo "[kernel] $*" >&2; }
die() { echo "error: $*" >&2; exit 1; }
apt_die() { die "$1; pass --kdir DIR for a tree of your own"; }

# shellcheck source=vm/apt.sh
. "$here/vm/apt.sh"

pkg_missing()
{
	local p

	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

cmd_deps()
{
	local want=$build_pkgs missing sudo=

	[ "${1:-vm}" = vm ] && want=$vm_pkgs
	[ "${1:-vm}" = fuzz ] && want=$fuzz_pkgs
	[ "${1:-vm}" = cross ] && want=$cross_pkgs
	[ "${1:-vm}" = lava ] && want=$lava_pkgs
	[ "${1:-vm}" = upstream ] && want=$upstream_pkgs
	[ "${1:-vm}" = coverage ] && want=$coverage_pkgs
	command -v dpkg-query >/dev/null ||
		die "not a Debian system: install by hand: $want"
	# shellcheck disable=SC2086
	missing=$(pkg_missing $want | xargs)
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		sudo -n true 2>/dev/null ||
			die "missing packages: $missing (run: sudo apt-get install $missing)"
		sudo="sudo -n"
	fi
	say "installing missing packages: $missing"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -q >&2 ||
		die "apt-get update failed; install by hand: $missing"
	# shellcheck disable=SC2086
	$sudo apt-get install -y -q --no-install-recommends $missing >&2 ||
		die "apt-get install failed for: $missing"
}

# Version of the source a tree holds, from its top Makefile.
tree_version()
{
	awk '/^VERSION =/ {v=$3} /^PATCHLEVEL =/ {p=$3}
	     /^SUBLEVEL =/ {s=$3} /^EXTRAVERSION =/ {e=$3}
	     END {print v "." p "." s e}' "$1/Makefile"
}

cmd_source()
{
	local ver dir="$cache/$src_pkg" tmp

	[ -f "$src_tar" ] ||
		die "no kernel source: $src_tar is missing (run: apt-get install $src_pkg, or pass --kdir DIR)"
	ver=$(dpkg-query -W -f='${Version}' "$src_pkg" 2>/dev/null || echo unknown)
	if [ "$(cat "$dir/.iommufd-nest-source" 2>/dev/null)" != "$ver" ]; then
		say "unpacking $src_pkg $ver into $dir"
		mkdir -p "$cache"
		tmp=$(mktemp -d "$cache/.unpack.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		tar -C "$tmp" -xJf "$src_tar" ||
			die "cannot unpack $src_tar"
		echo "$ver" >"$tmp/$src_pkg/.iommufd-nest-source"
		rm -rf "$dir" "$cache/hdr-$(echo "$dir" | sha1sum | cut -c1-10)"
		mv "$tmp/$src_pkg" "$dir"
		rm -rf "$tmp"
		trap - EXIT
	fi
	echo "$dir"
}

# The version apt would fetch of a package, empty when there is none.
next_candidate()
{
	apt_state_candidate "$next_dir" "$1"
}

# The newest linux-source-X.Y the suite offers, for when $next_pkg left it.
next_newest()
{
	apt_state "$next_dir" apt-cache show linux-source 2>/dev/null |
		sed -n 's/^Depends: \(linux-source-[0-9.]*\).*/\1/p' |
		sort -V | tail -n 1
}

cmd_source_next()
{
	local dir=$next_dir pkg=$next_pkg ver tmp tree

	# an unpacked tree is kept, as is the fallback chosen for a package
	# the suite dropped: warm runs need no network
	for tree in "$cache/$pkg" "$cache/$(cat "$dir/fallback-for-$pkg" 2>/dev/null)"; do
		if [ -f "$tree/.iommufd-nest-source" ]; then
			echo "$tree"
			return
		fi
	done
	apt_state_init "$dir" "$next_suite"
	mkdir -p "$dir/debs"
	apt_state_update "$dir"
	ver=$(next_candidate "$pkg")
	if [ -z "$ver" ]; then
		pkg=$(next_newest)
		[ -n "$pkg" ] || die "trixie-backports offers no linux-source package"
		say "$next_pkg is gone from trixie-backports; using $pkg"
		echo "$pkg" >"$dir/fallback-for-$next_pkg"
		ver=$(next_candidate "$pkg")
	fi
	say "downloading $pkg $ver (about 165 MB)"
	(cd "$dir/debs" && rm -f ./*.deb && apt_state "$dir" apt-get download "$pkg" >&2) ||
		die "downloading $pkg failed"
	tmp=$(mktemp -d "$cache/.unpack.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	dpkg-deb -x "$dir/debs/"*.deb "$tmp/deb" ||
		die "cannot unpack the $pkg package"
	say "unpacking $pkg $ver into $cache/$pkg"
	tar -C "$tmp" -xJf "$tmp/deb/usr/src/$pkg.tar.xz" ||
		die "cannot unpack $pkg.tar.xz"
	echo "$ver" >"$tmp/$pkg/.iommufd-nest-source"
	rm -rf "${cache:?}/$pkg"
	mv "$tmp/$pkg" "$cache/$pkg"
	rm -rf "$tmp" "$dir/debs"
	trap - EXIT
	echo "$cache/$pkg"
}

check_tree()
{
	[ -f "$1/Makefile" ] && [ -d "$1/include/uapi" ] ||
		die "not a kernel source tree: $1 (expected Makefile and include/uapi)"
}

# A key naming a tree: Debian's sources unpacked here by package and
# version, others by path.
tree_key()
{
	local kdir
	kdir=$(cd "$1" && pwd -P)
	if [ "${kdir%/*}" = "$(cd "$cache" && pwd -P)" ] &&
	   [ -f "$kdir/.iommufd-nest-source" ]; then
		echo "deb-${kdir##*/}-$(cat "$kdir/.iommufd-nest-source")"
	else
		echo "tree-$(tree_version "$kdir")-$(echo "$kdir" | sha1sum | cut -c1-8)"
	fi
}

# Kbuild refuses O= on a tree configured in place; use that tree's own output.
is_built_in_place()
{
	[ -f "$1/.config" ] || [ -d "$1/include/config" ]
}

# The architecture of the uAPI headers (asm/ differs): the host's unless
# NEST_HDR_ARCH names another, e.g. arm64 for the arm64 guests' tests.
hdr_arch=${NEST_HDR_ARCH:-}

# Where a tree's uAPI headers go: its own usr/include when it is built in
# place, else a cache directory per tree (and arch).
headers_out()
{
	if [ -z "$hdr_arch" ] && is_built_in_place "$1"; then
		echo "$1"
	else
		echo "$cache/hdr-${hdr_arch:+$hdr_arch-}$(echo "$1" | sha1sum | cut -c1-10)"
	fi
}

# cmd_headers KDIR [DIR]: DIR, if given, is where the headers end up and
# must end in /usr/include (make headers O=X installs into X/usr/include).
cmd_headers()
{
	local kdir=$1 want=${2:-} out

	check_tree "$kdir"
	out=$(headers_out "$kdir")
	if [ -n "$want" ] && [ "$want" != "$out/usr/include" ]; then
		[ "${want%/usr/include}" != "$want" ] ||
			die "cannot install headers into $want: expected a directory ending in /usr/include"
		[ "$out" != "$kdir" ] ||
			die "$kdir is configured in place: its headers go to $kdir/usr/include, not $want"
		out=${want%/usr/include}
		mkdir -p "$out"
		out=$(cd "$out" && pwd)
	fi
	say "installing uAPI headers of $kdir"
	if [ "$out" = "$kdir" ]; then
		make -s -C "$kdir" headers >&2
	else
		make -s -C "$kdir" O="$out" ${hdr_arch:+ARCH=$hdr_arch} headers >&2
	fi || die "'make headers' failed in $kdir${hdr_arch:+ for $hdr_arch}"
	echo "$out/usr/include"
}

# Whether a tree's Kconfig knows an option at all: the fragment names
# options of several kernel versions, and older trees lack the newer ones.
defines_symbol()
{
	local sym=${2%%=*}

	grep -rqsx --include='Kconfig*' "\(menu\)\?config ${sym#CONFIG_}" \
		"$1/drivers" "$1/arch/$karch" "$1/lib" "$1/mm" "$1/init" "$1/kernel" \
		"$1/fs" "$1/security" "$1/Kconfig" 2>/dev/null
}

# Print build progress every 15 s until the make process ends.
watch_build()
{
	local pid=$1 log=$2 start=$SECONDS last=$SECONDS n

	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		[ $((SECONDS - last)) -ge 15 ] || continue
		last=$SECONDS
		n=$(grep -cE '^ +(CC|AS|LD|AR) ' "$log" || true)
		say "building: $n objects, $((SECONDS - start)) s"
	done
}

# The architecture built (set by "image"): x86 for the q35 guests, arm64
# (cross-compiled) for the virt guests.
karch=x86
kimage=bzImage
kmake=()
# options of the shared fragment ("config") that only x86 can have
arch_only=

cmd_bzimage()
{
	local kdir=$1 frags=("${@:2}") key out log f opt img missing=

	check_tree "$kdir"
	is_built_in_place "$kdir" &&
		die "$kdir is configured in place (.config present); pass a clean tree ('make mrproper') so builds go to a separate output directory"
	key=$(tree_key "$kdir")-$(cat "${frags[@]}" | sha1sum | cut -c1-10)
	[ "$karch" = x86 ] || key=$karch-$key
	out="$cache/kbuild-$key"
	log="$out/build.log"
	img=$out/arch/$karch/boot/$kimage
	# Debian's source never changes under a version; other trees may.
	if [ -f "$out/.iommufd-nest-built" ] && [ "${key#*deb-}" != "$key" ]; then
		echo "$img"
		return
	fi
	mkdir -p "$out"
	if [ ! -f "$out/.config" ]; then
		say "configuring $(tree_version "$kdir") for $karch in $out"
		make -s -C "$kdir" O="$out" "${kmake[@]}" tinyconfig >"$log" 2>&1 ||
			die "tinyconfig failed, see $log"
		"$kdir/scripts/kconfig/merge_config.sh" -m -O "$out" \
			"$out/.config" "${frags[@]}" >>"$log" 2>&1 ||
			die "merge_config failed, see $log"
		make -s -C "$kdir" O="$out" "${kmake[@]}" olddefconfig >>"$log" 2>&1 ||
			die "olddefconfig failed, see $log"
		for f in "${frags[@]}"; do
			while read -r opt; do
				grep -qx "$opt" "$out/.config" ||
					! defines_symbol "$kdir" "$opt" ||
					missing="$missing ${opt%%=*}"
			done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$f")
		done
		for opt in $arch_only; do
			missing=$(echo "$missing" | tr ' ' '\n' |
				{ grep -vx "$opt" || true; } | xargs)
		done
		[ -z "$missing" ] ||
			say "warning: this tree cannot enable: $missing (tests needing them will SKIP)"
	fi
	say "building $karch $kimage (log: $log)"
	make -C "$kdir" O="$out" "${kmake[@]}" -j"$(($(nproc) + 1))" "$kimage" \
		>>"$log" 2>&1 &
	watch_build $! "$log"
	wait $! || { tail -n 25 "$log" >&2; die "kernel build failed, see $log"; }
	touch "$out/.iommufd-nest-built"
	say "built $img"
	echo "$img"
}

# image ARCH KDIR FRAG...: x86 is bzimage; arm64 is cross-compiled with
# Debian's gcc-aarch64-linux-gnu (vm/kernel.sh deps cross)
cmd_image()
{
	case $1 in
	x86)	;;
	arm64)	command -v aarch64-linux-gnu-gcc >/dev/null ||
			die "no aarch64-linux-gnu-gcc to build an arm64 kernel (run: vm/kernel.sh deps cross)"
		karch=arm64 kimage=Image
		# x86 only (the mock needs GENERIC_PT, which on 7.2 only
		# x86 IOMMU drivers select; virtio-iommu needs VIRTIO)
		arch_only="CONFIG_INTEL_IOMMU CONFIG_IOMMUFD_TEST CONFIG_IOMMU_PT_AMDV1 CONFIG_VIRTIO_IOMMU"
		kmake=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-) ;;
	*)	die "image: unknown arch '$1' (expected x86 or arm64)" ;;
	esac
	cmd_bzimage "${@:2}"
}

case "${1:-}" in
deps)		case "${2:-vm}" in
		build|vm|fuzz|cross|lava|upstream|coverage) cmd_deps "${2:-vm}" ;;
		*)	die "deps: unknown set '$2' (expected build, vm, fuzz, cross, lava, upstream or coverage)" ;;
		esac ;;
source)		case "${2:-stable}" in
		stable)	cmd_source ;;
		next)	cmd_source_next ;;
		*)	die "source: unknown tree '$2' (expected stable or next)" ;;
		esac ;;
version)	[ $# -eq 2 ] || die "usage: $0 version KDIR"; check_tree "$2"
		tree_version "$2" ;;
headers)	[ $# -ge 2 ] && [ $# -le 3 ] ||
			die "usage: $0 headers KDIR [DIR/usr/include]"
		cmd_headers "${@:2}" ;;
headers-dir)	[ $# -eq 2 ] || die "usage: $0 headers-dir KDIR"
		echo "$(headers_out "$2")/usr/include" ;;
bzimage)	[ $# -ge 3 ] || die "usage: $0 bzimage KDIR FRAGMENT..."
		cmd_bzimage "${@:2}" ;;
image)		[ $# -ge 4 ] || die "usage: $0 image x86|arm64 KDIR FRAGMENT..."
		cmd_image "${@:2}" ;;
*)		die "usage: $0 deps|source [next]|headers KDIR|bzimage KDIR FRAGMENT...|image ARCH KDIR FRAGMENT..." ;;
esac
