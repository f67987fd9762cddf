#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A static busybox for a foreign guest architecture (the arm64 guests of
# the smmuv3 topologies): Debian 12's busybox-static for that arch,
# downloaded by apt with a private state (vm/apt.sh) whose
# APT::Architecture is the guest's, so the system's own architectures
# are never touched, then unpacked with dpkg-deb.  Cached by version.
#   vm/busybox.sh ARCH    print the path of ARCH's static busybox
# ARCH is a Debian architecture, e.g. arm64.  Exit 4 when it cannot be
# had, the reason on stderr's last line.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${IOMMUFD_NEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iommufd-nest}

say() { echo "[busybox] $*" >&2; }
die() { echo "error: $*" >&2; exit 4; }

# shellcheck source=vm/apt.sh
. "$here/vm/apt.sh"

[ $# -eq 1 ] || { echo "usage: $0 ARCH (a Debian architecture, e.g. arm64)" >&2; exit 2; }
arch=$1
case $arch in
''|*[!a-z0-9]*)	echo "error: bad architecture '$arch' (expected e.g. arm64)" >&2
		exit 2 ;;
esac
dir=$cache/apt-busybox-$arch
out=$cache/busybox-$arch

if [ -x "$out/bin/busybox" ]; then
	echo "$out/bin/busybox"
	exit 0
fi
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}") ||
	codename=
[ -n "$codename" ] || die "cannot tell this system's Debian release (no VERSION_CODENAME in /etc/os-release)"
apt_die()
{
	die "$1; or install busybox-static:$arch yourself and copy /bin/busybox to $out/bin/"
}
apt_state_init "$dir" "$codename"
# every apt call of this state sees only the guest's architecture
apt_arch() { apt_state "$dir" "$1" -o APT::Architecture="$arch" -o APT::Architectures="$arch" "${@:2}"; }
say "reading the $arch package list of $codename"
apt_arch apt-get update -o APT::Update::Error-Mode=any >&2 ||
	apt_die "cannot read $codename's $arch package list"
rm -rf "$dir/debs"
mkdir -p "$dir/debs"
(cd "$dir/debs" && apt_arch apt-get download "busybox-static:$arch" >&2) ||
	apt_die "cannot download busybox-static:$arch"
tmp=$(mktemp -d "$cache/.busybox.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$dir/debs/"*.deb "$tmp" || die "cannot unpack $(ls "$dir/debs")"
[ -f "$tmp/bin/busybox" ] || die "busybox-static:$arch has no /bin/busybox"
rm -rf "$out"
mkdir -p "$out/bin"
mv "$tmp/bin/busybox" "$out/bin/busybox"
rm -rf "$dir/debs" "$dir/state/lists"
echo "$out/bin/busybox"
