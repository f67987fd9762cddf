# SPDX-License-Identifier: GPL-2.0
#
# The processes a script started, for its signal traps.  Sourced by
# run_tests.sh and lava/check.sh.

# descendants PID: every process below PID, deepest first
descendants()
{
	local f line ppid

	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$f" || continue
		ppid=${line##*) }
		ppid=${ppid#* }
		ppid=${ppid%% *}
		[ "$ppid" = "$1" ] || continue
		f=${f#/proc/}
		descendants "${f%/stat}"
		echo "${f%/stat}"
	done
}
