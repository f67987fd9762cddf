#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# QEMU 11.1, the oracle, installed nowhere.  Debian's build for Debian 13
# (qemu-system-x86 from trixie-backports) and its dependency closure are
# resolved and downloaded by apt with a private state (vm/apt.sh: an
# empty dpkg status, the system's mirror, signatures checked), unpacked
# into a sysroot in the cache, and run through that sysroot's own loader,
# firmware and modules.  The sysroot is keyed by the version apt
# resolved; once it is there no apt runs: warm runs are offline.
#
#   vm/qemu.sh [--arch ARCH] [--release R] fetch
#                                   fetch it once; print the path of a
#                                   wrapper that runs it
#   vm/qemu.sh [--arch ARCH] [--release R] run ARGS...
#                                   run it with ARGS (exec)
#   vm/qemu.sh [--arch ARCH] [--release R] version
#                                   print its version, e.g. 11.1.3
#   vm/qemu.sh --arch aarch64 --release 10.0 efi
#                                   print the path of the UEFI firmware
#                                   (Debian 12's QEMU_EFI.fd) it came with
#   vm/qemu.sh [--arch ARCH] payload OUT.cpio
#                                   a cpio to append to a guest
#                                   initramfs: /qemu (see cmd_payload);
#                                   for aarch64, Debian's arm64 build,
#                                   for a guest that is arm64 itself
#
# R is 11.1 (the default, above) or 10.0: Debian 12's own bookworm-
# backports build, which runs on Debian 12 as it is; the smmuv3 guests
# boot on it (its aarch64 virt machine has a nested SMMUv3), with
# qemu-efi-aarch64 beside it in the same sysroot.  Each release has its
# own apt state and sysroot.
#
# ARCH is x86_64 (the default: qemu-system-x86_64) or aarch64
# (qemu-system-aarch64 from qemu-system-arm, 10 MB more with the same
# dependencies, added to the same sysroot).  IOMMUFD_NEST_QEMU=PATH
# (IOMMUFD_NEST_QEMU_AARCH64 for aarch64) takes a QEMU of your own
# instead, and nothing is fetched.
#
# Progress goes to stderr; the one result goes to stdout.  Exit status:
# 0; 2 on bad usage; 4 when no QEMU can be had on this machine (no
# mirror offers it, another host arch), the reason being the last line
# on stderr (callers SKIP with it); 1 when one was had but is broken, or
# its fetch fails after it was once fetched here (callers fail).  "run"
# exits as QEMU does.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${IOMMUFD_NEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iommufd-nest}
series=11.1
release=trixie-backports
suites="trixie $release"
apt_dir=$cache/apt-qemu
# data packages unpacked beside QEMU (firmware), no binary of theirs run
data_pkgs=
# the packages a sysroot may hold, for either arch
all_pkgs="qemu-system-x86 qemu-system-arm"
# always in the sysroot: strace shows the ioctls QEMU has no trace point
# for, when QEMU runs as the VMM inside a guest
tool_pkgs=strace
NO_QEMU=4

say() { echo "[qemu] $*" >&2; }
# No QEMU can be had here: callers turn the status into a SKIP.
no_qemu() { echo "error: $*" >&2; exit "$NO_QEMU"; }
# A QEMU that was had and is broken: callers fail.
die() { echo "error: $*" >&2; exit 1; }
usage()
{
	echo "usage: $0 [--arch x86_64|aarch64] [--release 11.1|10.0] fetch | run ARGS... | version | efi | payload OUT.cpio" >&2
	exit 2
}

# shellcheck source=vm/apt.sh
. "$here/vm/apt.sh"

# apt cannot give the QEMU: none can be had, unless it was fetched here
# before ($apt_dir/version), when a failure is a regression to report
apt_die()
{
	[ ! -f "$apt_dir/version" ] ||
		die "$1 (QEMU $series was fetched on this machine before: $apt_dir/version)"
	no_qemu "$1${apt_hint:+; $apt_hint}"
}

# Where the sysroot of a version goes (its epoch dropped).
sysroot()
{
	echo "$cache/qemu-sysroot-${1#*:}"
}

# The wrapper of the recorded version's sysroot, if it holds $pkg.
warm()
{
	local ver root p

	ver=$(cat "$apt_dir/version" 2>/dev/null) || return 1
	root=$(sysroot "$ver")
	[ -f "$root/.iommufd-nest-$pkg" ] && [ -x "$root/wrap/$bin" ] ||
		return 1
	for p in $tool_pkgs $data_pkgs; do
		[ -f "$root/.iommufd-nest-$p" ] || return 1
	done
	echo "$root/wrap/$bin"
}

# write_wrapper ROOT BINARY: ROOT/wrap/BINARY runs ROOT's BINARY with
# ROOT's loader and libraries only (not the host's ld.so.cache), its
# modules and its firmware (Debian's QEMU also looks in /usr/share/seabios)
# Debian 13 has its libraries in /usr/lib only; Debian 12's libc6 is
# still in /lib: the loader and the search path cover both.
libdirs=usr/lib/x86_64-linux-gnu:lib/x86_64-linux-gnu
ldso=lib/x86_64-linux-gnu/ld-linux-x86-64.so.2

# sysroot_ldso ROOT: ROOT's loader, relative to ROOT
sysroot_ldso()
{
	if [ -e "$1/usr/$ldso" ]; then echo "usr/$ldso"; else echo "$ldso"; fi
}

write_wrapper()
{
	mkdir -p "$1/wrap"
	cat >"$1/wrap/$2" <<EOF
#!/bin/sh
# Written by iommufd-nest's vm/qemu.sh: $2 from the sysroot above.
root=\$(cd "\$(dirname "\$0")/.." && pwd)
lib=\$root/${libdirs//:/:\$root/}
export QEMU_MODULE_DIR="\$root/usr/lib/x86_64-linux-gnu/qemu"
exec "\$root/$(sysroot_ldso "$1")" --inhibit-cache --library-path "\$lib" \\
	"\$root/usr/bin/$2" -L "\$root/usr/share/qemu" \\
	-L "\$root/usr/share/seabios" "\$@"
EOF
	chmod +x "$1/wrap/$2"
}

# check_closure ROOT BINARY: every library BINARY loads is ROOT's own
check_closure()
{
	local lib=$1/${libdirs//:/:$1/} out

	out=$("$1/$(sysroot_ldso "$1")" --inhibit-cache --library-path "$lib" \
		--list "$1/usr/bin/$2" 2>&1) ||
		die "the sysroot's loader cannot load $2: $out"
	out=$(printf '%s\n' "$out" | grep -e 'not found' -e "=> /" |
		grep -v "=> $1/" || true)
	[ -z "$out" ] ||
		die "$2 needs libraries its sysroot lacks: $(echo "$out" | xargs)"
}

cmd_fetch()
{
	local ver root tmp pkgs p deb n size

	if [ -n "$own" ]; then
		[ -f "$own" ] && [ -x "$own" ] ||
			die "$own_var=$own is not an executable file"
		echo "$own"
		return
	fi
	warm && return
	[ "$(uname -m)" = x86_64 ] ||
		no_qemu "Debian's QEMU $series runs here from an amd64 sysroot, and this host is $(uname -m); set $own_var=PATH to a QEMU of your own"
	mkdir -p "$apt_dir"
	exec 9>"$apt_dir/lock"
	flock -n 9 || { say "waiting for another fetch"; flock 9; }
	warm && return
	rm -rf "$cache"/.qemu-sysroot.*

	apt_hint="or set $own_var=PATH to a QEMU of your own"
	# shellcheck disable=SC2086
	apt_state_init "$apt_dir" $suites
	apt_state_update "$apt_dir"
	ver=$(apt_state_candidate "$apt_dir" "$pkg" "$release")
	[ -n "$ver" ] || apt_die "$release offers no $pkg"
	case ${ver#*:} in
	"$series".*) ;;
	*) say "warning: $release now has QEMU ${ver#*:}, not $series; using it" ;;
	esac
	root=$(sysroot "$ver")
	# the other arch's QEMU of the same version stays in the sysroot
	pkgs=$pkg
	for p in $all_pkgs; do
		[ "$p" = "$pkg" ] || [ ! -f "$root/.iommufd-nest-$p" ] ||
			pkgs="$pkgs $p"
	done

	say "resolving and downloading $pkgs $ver with its dependencies"
	rm -f "$apt_dir/cache/archives/"*.deb
	# shellcheck disable=SC2046
	apt_state "$apt_dir" apt-get install -y --download-only -t "$release" \
		$(for p in $pkgs; do echo "$p=$ver"; done) $tool_pkgs $data_pkgs \
		>"$apt_dir/log/fetch.log" 2>&1 || {
		tail -n 5 "$apt_dir/log/fetch.log" >&2
		apt_die "apt could not download $pkgs $ver (log: $apt_dir/log/fetch.log)"
	}
	n=$(find "$apt_dir/cache/archives" -maxdepth 1 -name '*.deb' | wc -l)
	size=$(du -sh "$apt_dir/cache/archives" | cut -f1)
	say "downloaded $n packages, $size"

	tmp=$(mktemp -d "$cache/.qemu-sysroot.XXXXXX")
	trap 'rm -rf "$tmp" "$tmp.old"' EXIT
	for deb in "$apt_dir/cache/archives/"*.deb; do
		dpkg-deb -x "$deb" "$tmp" || die "cannot unpack $deb"
	done
	for p in $pkgs; do
		case $p in
		qemu-system-x86) p=qemu-system-x86_64 ;;
		qemu-system-arm) p=qemu-system-aarch64 ;;
		esac
		check_closure "$tmp" "$p"
		write_wrapper "$tmp" "$p"
	done
	for p in $tool_pkgs; do
		check_closure "$tmp" "$p"
	done
	for p in $pkgs $tool_pkgs $data_pkgs; do
		echo "$ver" >"$tmp/.iommufd-nest-$p"
	done
	say "unpacked into $root ($(du -sh "$tmp" | cut -f1))"
	[ ! -d "$root" ] || mv "$root" "$tmp.old"
	mv "$tmp" "$root"
	echo "$ver" >"$apt_dir/version.new"
	mv "$apt_dir/version.new" "$apt_dir/version"
	# older versions' sysroots of this series, the debs and the package
	# lists go: the next cold fetch reads the lists again
	for p in "$cache/qemu-sysroot-$series".*; do
		[ "$p" = "$root" ] || rm -rf "$p"
	done
	rm -rf "$tmp.old" "$apt_dir/cache" "$apt_dir/state/lists"
	trap - EXIT
	echo "$root/wrap/$bin"
}

cmd_version()
{
	local q out ver

	q=$(cmd_fetch)
	out=$("$q" --version 2>&1) || die "$q --version failed: $out"
	ver=$(printf '%s\n' "$out" |
		sed -n '1s/^QEMU emulator version \([0-9][0-9.]*\).*/\1/p')
	[ -n "$ver" ] || die "$q --version says: $(echo "$out" | head -n 1)"
	echo "$ver"
}

# The files of ROOT that BINARY loads: the loader's own list, not the
# whole sysroot (170 MB), for a guest that has only what it is given.
loaded_libs()
{
	local lib=$1/usr/lib/x86_64-linux-gnu

	"$lib/ld-linux-x86-64.so.2" --inhibit-cache --library-path "$lib" \
		--list "$1/usr/bin/$2" | sed -n "s|.* => \($1/[^ ]*\) .*|\1|p"
}

# The arm64 build of QEMU for an arm64 guest that runs it under its own
# KVM: the same packages for Debian's arm64 architecture, downloaded by
# a private apt state of that architecture and unpacked; nothing of it
# runs here.  Prints the sysroot.
guest_apt_dir=$cache/apt-qemu-arm64
# the UEFI firmware: loaded, never run, by a paused virt machine, which
# then has ACPI (accel=on refuses a device-tree machine)
arm64_efi=usr/share/qemu-efi-aarch64/QEMU_EFI.fd

fetch_arm64()
{
	local ver root tmp deb

	ver=$(cat "$guest_apt_dir/version" 2>/dev/null) &&
		root=$cache/qemu-sysroot-arm64-${ver#*:} &&
		[ -f "$root/.iommufd-nest-$pkg" ] && { echo "$root"; return; }
	mkdir -p "$guest_apt_dir"
	exec 9>"$guest_apt_dir/lock"
	flock 9
	apt_dir=$guest_apt_dir
	# shellcheck disable=SC2086
	apt_state_init "$apt_dir" $suites
	arm64_apt() { apt_state "$apt_dir" "$1" -o APT::Architecture=arm64 -o APT::Architectures=arm64 "${@:2}"; }
	say "reading the arm64 package lists of $suites"
	arm64_apt apt-get update -o APT::Update::Error-Mode=any >&2 ||
		apt_die "cannot read the arm64 package lists of $suites"
	ver=$(arm64_apt apt-cache -t "$release" policy "$pkg" 2>/dev/null |
		sed -n 's/^ *Candidate: //p' | grep -vx '(none)' || true)
	[ -n "$ver" ] || apt_die "$release offers no $pkg for arm64"
	say "resolving and downloading $pkg:arm64 $ver with its dependencies"
	rm -f "$apt_dir/cache/archives/"*.deb
	arm64_apt apt-get install -y --download-only -t "$release" \
		"$pkg:arm64=$ver" qemu-efi-aarch64 >"$apt_dir/log/fetch.log" 2>&1 || {
		tail -n 5 "$apt_dir/log/fetch.log" >&2
		apt_die "apt could not download $pkg:arm64 $ver (log: $apt_dir/log/fetch.log)"
	}
	root=$cache/qemu-sysroot-arm64-${ver#*:}
	tmp=$(mktemp -d "$cache/.qemu-sysroot-arm64.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	for deb in "$apt_dir/cache/archives/"*.deb; do
		dpkg-deb -x "$deb" "$tmp" || die "cannot unpack $deb"
	done
	needed_libs "$tmp" "$tmp/usr/bin/$bin" >/dev/null
	[ -f "$tmp/$arm64_efi" ] || die "qemu-efi-aarch64 has no /$arm64_efi"
	echo "$ver" >"$tmp/.iommufd-nest-$pkg"
	rm -rf "$root" "$cache"/qemu-sysroot-arm64-*
	mv "$tmp" "$root"
	trap - EXIT
	echo "$ver" >"$apt_dir/version"
	rm -rf "$apt_dir/cache" "$apt_dir/state/lists"
	say "unpacked into $root ($(du -sh "$root" | cut -f1))"
	echo "$root"
}

# needed_libs ROOT FILE: the libraries FILE needs, and theirs, from
# ROOT's arm64 library folders: read from the ELF (NEEDED), since no
# arm64 loader runs here.  A library ROOT lacks is an error.
needed_libs()
{
	local root=$1 todo=("$2") seen=" " f so p

	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		for so in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
			case $seen in *" $so "*) continue ;; esac
			seen="$seen$so "
			p=
			for d in usr/lib/aarch64-linux-gnu lib/aarch64-linux-gnu; do
				[ -e "$root/$d/$so" ] && p=$root/$d/$so && break
			done
			[ -n "$p" ] || die "$bin needs $so, which its arm64 packages lack"
			echo "$p"
			todo+=("$p")
		done
	done
}

# payload OUT: a newc cpio that, appended to a guest initramfs, gives
# /qemu: for x86_64, qemu-system-x86_64 and strace, the libraries they
# load, the firmware a paused q35 reads (bios-256k.bin, kvmvapic.bin:
# seen with strace); for aarch64, the arm64 qemu-system-aarch64, the
# libraries it needs and QEMU_EFI.fd (qemu-efi-aarch64); and
# /qemu/BINARY running each through that loader.  Without a QEMU it
# holds /qemu/missing, the reason, so the guest test SKIPs with it; exit
# 0 either way.
cmd_payload()
{
	local out=$1 q root tmp f err rc=0 key loader tools=$tool_pkgs

	err=$(mktemp)
	if [ "$arch" = aarch64 ]; then
		loader=ld-linux-aarch64.so.1 tools=
		q=$own
		[ -n "$own" ] || q=$(fetch_arm64 2>"$err") || rc=$?
	else
		q=$(cmd_fetch 2>"$err") || rc=$?
		loader=ld-linux-x86-64.so.2
	fi
	[ "$rc" = 0 ] || [ "$rc" = "$NO_QEMU" ] || { cat "$err" >&2; exit "$rc"; }
	key=$({ echo "$q"; tail -n 1 "$err"; cat "$0"; } | sha1sum | cut -d' ' -f1)
	if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
		rm -f "$err"
		return
	fi
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp" "$err"' EXIT
	mkdir -p "$tmp/qemu/bin" "$tmp/qemu/lib" "$tmp/qemu/share"
	if [ "$rc" != 0 ]; then
		say "no QEMU for the guests: $(tail -n 1 "$err")"
		tail -n 1 "$err" | sed 's/^error: //' >"$tmp/qemu/missing"
	elif [ -n "$own" ]; then
		echo "$own_var=$own is not a Debian sysroot: it cannot be carried into a guest" >"$tmp/qemu/missing"
	elif [ "$arch" = aarch64 ]; then
		cp "$q/usr/bin/$bin" "$tmp/qemu/bin/"
		# shellcheck disable=SC2046
		cp $({ needed_libs "$q" "$q/usr/bin/$bin"
			echo "$q/usr/lib/aarch64-linux-gnu/$loader"; } | sort -u) \
			"$tmp/qemu/lib/"
		cp "$q/$arm64_efi" "$tmp/qemu/share/"
	else
		root=${q%/wrap/*}
		for f in "$bin" $tools; do
			cp "$root/usr/bin/$f" "$tmp/qemu/bin/"
			# shellcheck disable=SC2046
			cp $(loaded_libs "$root" "$f") "$tmp/qemu/lib/"
		done
		cp "$root/usr/lib/x86_64-linux-gnu/$loader" "$tmp/qemu/lib/"
		cp "$root/usr/share/seabios/bios-256k.bin" \
			"$root/usr/share/qemu/kvmvapic.bin" "$tmp/qemu/share/"
	fi
	if [ "$rc" = 0 ] && [ -z "$own" ]; then
		for f in "$bin" $tools; do
			cat >"$tmp/qemu/$f" <<EOF
#!/bin/sh
# Written by iommufd-nest's vm/qemu.sh payload: $f from /qemu.
export QEMU_MODULE_DIR=/qemu/lib/qemu
exec /qemu/lib/$loader --inhibit-cache --library-path /qemu/lib \\
	/qemu/bin/$f $([ "$f" = "$bin" ] && echo "-L /qemu/share ")"\$@"
EOF
			chmod +x "$tmp/qemu/$f"
		done
		say "guest payload: $(du -sh "$tmp/qemu" | cut -f1) in $(find "$tmp/qemu" -type f | wc -l) files"
	fi
	(cd "$tmp" && find qemu | cpio -o -H newc --quiet) >"$out.tmp"
	mv "$out.tmp" "$out"
	echo "$key" >"$out.key"
	rm -rf "$tmp" "$err"
	trap - EXIT
}

arch=x86_64
rel=11.1
while [ "${1:-}" = --arch ] || [ "${1:-}" = --release ]; do
	[ $# -ge 2 ] || usage
	case $1 in
	--arch)		arch=$2 ;;
	--release)	rel=$2 ;;
	esac
	shift 2
done
case $rel in
11.1)	;;
10.0)	series=10.0 release=bookworm-backports
	suites="bookworm $release"
	apt_dir=$cache/apt-qemu-10.0
	# the guests of this release boot and stop on their own: no strace
	tool_pkgs=
	[ "$arch" != aarch64 ] || data_pkgs=qemu-efi-aarch64 ;;
*)	echo "error: unknown release '$rel' (expected 11.1 or 10.0)" >&2
	usage ;;
esac
case $arch in
x86_64)		pkg=qemu-system-x86 own_var=IOMMUFD_NEST_QEMU ;;
aarch64)	pkg=qemu-system-arm own_var=IOMMUFD_NEST_QEMU_AARCH64 ;;
*)		echo "error: unknown arch '$arch' (expected x86_64 or aarch64)" >&2
		usage ;;
esac
bin=qemu-system-$arch
own=${!own_var:-}

case "${1:-}" in
fetch)		[ $# -eq 1 ] || usage
		cmd_fetch ;;
run)		shift
		q=$(cmd_fetch)
		exec "$q" "$@" ;;
version)	[ $# -eq 1 ] || usage
		cmd_version ;;
efi)		[ $# -eq 1 ] && [ -n "$data_pkgs" ] || usage
		q=$(cmd_fetch)
		efi=${q%/wrap/*}/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
		# a QEMU of one's own: the firmware of one's own too
		[ -z "$own" ] || efi=${IOMMUFD_NEST_QEMU_EFI:-/usr/share/qemu-efi-aarch64/QEMU_EFI.fd}
		[ -f "$efi" ] || die "qemu-efi-aarch64 has no $efi"
		echo "$efi" ;;
payload)	[ $# -eq 2 ] && [ "$rel" = 11.1 ] || usage
		cmd_payload "$2" ;;
*)		usage ;;
esac
