# SPDX-License-Identifier: GPL-2.0
#
# Private apt states: what the project takes from Debian suites this
# system does not use (trixie-backports: the newer kernel tree, QEMU
# 11.1) is resolved and downloaded by apt with a state of its own in the
# cache, and installed nowhere.  A state is a directory with its own
# sources.list, package lists, archive cache and log, an empty dpkg
# status file (apt treats nothing as installed) and no preferences of
# the system's.  The mirror is the system's own (vm/debian_mirror.sh),
# and apt checks the suites' signatures against Debian's archive keyring.
#
# Sourced by vm/kernel.sh, vm/qemu.sh and vm/busybox.sh, which define
# say() and apt_die() (an error that ends with what the user can do
# instead).
#
#   apt_state DIR CMD ARGS...     run apt-get or apt-cache on DIR's state
#   apt_state_init DIR SUITE...   lay out DIR for the SUITEs' main
#                                 component; check apt, dpkg-deb, keyring
#   apt_state_update DIR          read the package lists (the network)
#   apt_state_candidate DIR PKG [RELEASE]
#                                 the version apt would fetch (with -t
#                                 RELEASE), empty when there is none

apt_keyring=/usr/share/keyrings/debian-archive-keyring.gpg
apt_vm=$(dirname "${BASH_SOURCE[0]}")

apt_state()
{
	local dir=$1 cmd=$2

	shift 2
	"$cmd" -q -o Dir::State="$dir/state" \
		-o Dir::State::status="$dir/state/status" \
		-o Dir::Cache="$dir/cache" -o Dir::Log="$dir/log" \
		-o Dir::Etc::SourceList="$dir/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::Etc::Preferences=/dev/null \
		-o Dir::Etc::PreferencesParts=/dev/null \
		-o APT::Install-Recommends=false -o Debug::NoLocking=1 \
		-o APT::Sandbox::User="$(id -un)" "$@"
}

apt_state_init()
{
	local dir=$1 mirror suite

	shift
	command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
		apt_die "fetching from $* needs apt-get and dpkg-deb (Debian)"
	[ -f "$apt_keyring" ] ||
		apt_die "no $apt_keyring (run: apt-get install debian-archive-keyring)"
	mirror=$("$apt_vm/debian_mirror.sh") ||
		apt_die "no Debian mirror to fetch $* from"
	mkdir -p "$dir/state/lists/partial" "$dir/cache/archives/partial" \
		"$dir/log"
	: >>"$dir/state/status"
	for suite in "$@"; do
		echo "deb [signed-by=$apt_keyring] $mirror $suite main"
	done >"$dir/sources.list"
}

apt_state_update()
{
	local dir=$1 mirror suites

	mirror=$(awk 'NR == 1 { print $3 }' "$dir/sources.list")
	suites=$(awk '{ print $4 }' "$dir/sources.list" | xargs)
	say "reading the package lists of $suites from $mirror"
	# any index that cannot be read fails (apt's default only warns)
	apt_state "$dir" apt-get update -o APT::Update::Error-Mode=any >&2 ||
		apt_die "cannot read $suites from $mirror (the system's apt mirror)"
}

apt_state_candidate()
{
	apt_state "$1" apt-cache ${3:+-t "$3"} policy "$2" 2>/dev/null |
		sed -n 's/^ *Candidate: //p' | grep -vx '(none)' || true
}
