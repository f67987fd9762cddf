#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the URI of the Debian archive this system's apt uses, so that the
# project's private apt states (newer trees, newer QEMU) go through the
# user's own mirror or proxy.  The archive is the first enabled "deb"
# entry for the system's own release (its VERSION_CODENAME, e.g.
# bookworm): that mirror also carries the other suites, such as
# trixie-backports, while the security suite often lives elsewhere.
#   vm/debian_mirror.sh [ROOT]   ROOT: read ROOT/etc/... instead of /etc
# IOMMUFD_NEST_MIRROR=URI overrides it.

set -euo pipefail

root=${1:-}
lists=("$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*.list)
parts=("$root"/etc/apt/sources.list.d/*.sources)

die() { echo "error: $*" >&2; exit 1; }

if [ -n "${IOMMUFD_NEST_MIRROR:-}" ]; then
	echo "${IOMMUFD_NEST_MIRROR%/}"
	exit 0
fi
codename=$(. "$root/etc/os-release" 2>/dev/null && echo "${VERSION_CODENAME:-}") ||
	codename=
[ -n "$codename" ] ||
	die "cannot tell this system's Debian release: no VERSION_CODENAME in $root/etc/os-release (set IOMMUFD_NEST_MIRROR=URI)"

# One-line format: deb [options] URI SUITE COMPONENT...
one_line()
{
	local f

	for f in "${lists[@]}"; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk -v want="$codename" '$1 == "deb" && $3 == want { print $2; exit }'
	done
}

# deb822 format: stanzas of Types, URIs, Suites, Enabled.
deb822()
{
	local f

	for f in "${parts[@]}"; do
		[ -f "$f" ] || continue
		awk -v want="$codename" '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no" &&
			    (" " suites " ") ~ (" " want " ") && uri != "") {
				split(uri, u, " ")
				print u[1]
				exit
			}
			types = suites = uri = ""; enabled = "yes"
		}
		BEGIN { enabled = "yes" }
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		{
			key = tolower($1); sub(/:$/, "", key)
			val = $0; sub(/^[^:]*:[ \t]*/, "", val)
			if (key == "types") types = val
			else if (key == "uris") uri = val
			else if (key == "suites") suites = val
			else if (key == "enabled") enabled = val
		}
		END { flush() }' "$f"
	done
}

uri=$({ one_line; deb822; } | head -n 1)
[ -n "$uri" ] ||
	die "no enabled 'deb' entry for $codename in $root/etc/apt/sources.list or $root/etc/apt/sources.list.d/: cannot tell which Debian mirror to use (set IOMMUFD_NEST_MIRROR=URI)"
echo "${uri%/}"
