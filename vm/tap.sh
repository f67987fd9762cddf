# SPDX-License-Identifier: GPL-2.0
#
# TAP for the project's shell tests: the host's (tests/) and, packed
# into the initramfs as /tests/tap.sh, the guests' (vm/guest/, busybox
# sh).  Results are numbered in order; tap_exit gives the kselftest exit
# status.

tap_n=0
tap_failed=0
tap_skipped=0

# tap_ok STATUS NAME [DIAGNOSTIC]: ok when STATUS is 0
tap_ok()
{
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n $2"
	else
		[ -n "${3:-}" ] && echo "# $3"
		echo "not ok $tap_n $2"
		tap_failed=$((tap_failed + 1))
	fi
}

# tap_step NAME STATUS [LOG]: the same, with the tail of LOG on failure
tap_step()
{
	[ "$2" = 0 ] || [ -z "${3:-}" ] || tail -n 15 "$3" | sed 's/^/# /'
	tap_ok "$2" "$1"
}

# tap_skip NAME REASON
tap_skip()
{
	tap_n=$((tap_n + 1))
	tap_skipped=$((tap_skipped + 1))
	echo "ok $tap_n $1 # SKIP $2"
}

# Exit 1 if one failed, 4 if all skipped, else 0.
tap_exit()
{
	[ "$tap_failed" = 0 ] || exit 1
	[ "$tap_skipped" -lt "$tap_n" ] || exit 4
	exit 0
}
