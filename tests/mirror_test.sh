#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP: the private apt states take the Debian mirror from the system's
# own apt sources (vm/debian_mirror.sh), and the project names no mirror
# host of its own.
#   tests/mirror_test.sh

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
tool=$here/vm/debian_mirror.sh
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT INT TERM
# shellcheck source=vm/tap.sh
. "$here/vm/tap.sh"

# expect NAME WANT_RC PATTERN: run the tool on $root
expect()
{
	local out rc

	out=$(env -u IOMMUFD_NEST_MIRROR "$tool" "$root" 2>&1)
	rc=$?
	[ "$rc" = "$2" ] && printf '%s\n' "$out" | grep -qE -- "$3"
	tap_ok $? "$1" "exit $rc (expected $2): $out"
}

# fixture FILE CONTENT: a fresh $root with only FILE under etc/apt
fixture()
{
	rm -rf "${root:?}/etc"
	mkdir -p "$root/etc/apt/sources.list.d"
	echo "VERSION_CODENAME=bookworm" >"$root/etc/os-release"
	[ -z "$1" ] || printf '%s\n' "$2" >"$root/etc/apt/$1"
}

echo "TAP version 13"
echo "1..7"
fixture sources.list "deb http://sec.example/debian-security bookworm-security main
# deb http://old.example/debian bookworm main
deb [arch=amd64 signed-by=/k.gpg] http://mirror.example:3142/debian/ bookworm main"
expect one_line_format_skips_security_and_comments 0 '^http://mirror\.example:3142/debian$'

fixture sources.list.d/debian.sources "Types: deb
URIs: http://off.example/debian
Suites: bookworm
Enabled: no

# the archive
Types: deb-src deb
URIs: http://b.example/debian http://c.example/debian
Suites: bookworm bookworm-updates
Components: main"
expect deb822_format_skips_disabled 0 '^http://b\.example/debian$'

fixture sources.list.d/other.sources "Types: deb
URIs: http://other.example/apt
Suites: nodistro
Components: main"
expect no_debian_entry_is_an_error 1 "no enabled 'deb' entry for bookworm.*IOMMUFD_NEST_MIRROR"

fixture "" ""
rm -f "$root/etc/os-release"
expect no_release_is_an_error 1 "no VERSION_CODENAME"

out=$(IOMMUFD_NEST_MIRROR=http://proxy.example/debian/ "$tool" "$root" 2>&1)
[ "$out" = http://proxy.example/debian ]
tap_ok $? override_wins "got: $out"

env -u IOMMUFD_NEST_MIRROR "$tool" >"$root/sys" 2>&1 &&
	grep -qE '^(https?|file|ftp)://' "$root/sys"
rc=$?
echo "# this system's mirror: $(cat "$root/sys")"
tap_ok $rc this_system_has_a_mirror

# Debian's mirror hosts, written out anywhere in the project's files
hosts='(deb|ftp[.a-z0-9-]*|security|cdn-fastly)\.debian\.org'
if git -C "$here" rev-parse --git-dir >/dev/null 2>&1; then
	files=$(git -C "$here" ls-files)
else
	files=$(cd "$here" && find . -type f ! -path './build/*')
fi
hits=$(cd "$here" && printf '%s\n' "$files" | xargs -r grep -nE "$hosts" 2>/dev/null)
[ -z "$hits" ] || printf '%s\n' "$hits" | sed 's/^/# /'
[ -z "$hits" ]
tap_ok $? no_mirror_host_in_project
tap_exit
