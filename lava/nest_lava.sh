#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The device-under-test side of the LAVA test definition
# (lava/iommufd-nest.yaml).  POSIX sh: it runs in the project's busybox
# guests as well as on a board's own root filesystem.
#
#   nest_lava.sh suite [--dir DIR] [--bdf BDF]... [TEST]...
#       run each TEST (a program or guest script in DIR, default /tests)
#       and, with BDFs, the cdev suite on them lent to vfio-pci by
#       nest_bind; every leaf result of their TAP becomes one LAVA test
#       case named TEST.LEAF
#   nest_lava.sh restore [--dir DIR]
#       give back any device a killed run left on vfio-pci
#   nest_lava.sh tap2lava TEST FILE RC
#       the conversion alone: FILE holds TEST's output, RC its status
#
# A case's log is its TAP block: the lines since the previous result up
# to its own result line, so a failure keeps its diagnostic and a skip
# its reason.  Characters LAVA cannot carry in a name (it splits signals
# at spaces and '=') become '_': lava/results.py maps the runner's KTAP
# names the same way.  Besides the leaves, a case named TEST fails when
# the program itself went wrong (missing results, an exit status that
# contradicts them), as run_tests.sh counts it.  Outside LAVA (no
# lava-test-case) the cases are printed as "CASE NAME RESULT".
# NEST_LAVA_PAUSE: seconds to wait after starting the log of a case that
# did not pass (default 0.2), so that LAVA links the right lines to it.

dir=/tests
bdfs=
pause=${NEST_LAVA_PAUSE:-0.2}

usage()
{
	echo "usage: $0 suite [--dir DIR] [--bdf BDF]... [TEST]... | restore [--dir DIR] | tap2lava TEST FILE RC" >&2
	exit 2
}

# case_result NAME RESULT: one LAVA test case
case_result()
{
	if command -v lava-test-case >/dev/null 2>&1; then
		lava-test-case "$1" --result "$2"
	else
		echo "CASE $1 $2"
	fi
}

# LAVA links a case to the log lines between these two signals
case_start() { echo "<LAVA_SIGNAL_STARTTC $1>"; }
case_end() { echo "<LAVA_SIGNAL_ENDTC $1>"; }

# tap2lava TEST FILE RC: FILE's results as cases (see the top)
tap2lava()
{
	awk -v test="$1" -v rc="$3" '
	function lava_name(s) { gsub(/[^A-Za-z0-9._-]/, "_", s); return s }
	# print the buffered block as the log of case NAME
	function emit(name, result,    i) {
		print "S " result " " name
		for (i = 1; i <= n; i++)
			print "L " buf[i]
		print "C " name " " result
		n = 0
	}
	{ sub(/\r$/, ""); buf[++n] = $0; lines++ }
	/^1\.\.[0-9]+/ && !planned {
		planned = 1
		plan = $0; sub(/^1\.\./, "", plan); plan += 0
		if (plan == 0 && $0 ~ /# [Ss][Kk][Ii][Pp]/)
			whole = 1
	}
	/^(not )?ok / {
		line = $0
		skip = line ~ /# [Ss][Kk][Ii][Pp]/
		bad = line ~ /^not ok /
		sub(/^(not )?ok [0-9]* */, "", line)
		sub(/ *# .*$/, "", line)
		if (skip) { s++; r = "skip" }
		else if (bad) { f++; r = "fail" }
		else { p++; r = "pass" }
		emit(lava_name(test "." line), r)
	}
	END {
		why = ""
		seen = p + f + s
		# vm/ktap.py decides the same on the host (tests/ktap_test.py)
		if (!lines)
			why = "it printed nothing"
		else if (!planned)
			why = "it printed no plan"
		else if (!seen && !whole)
			why = "it printed no result"
		else if (seen < plan)
			why = plan - seen " of " plan " results missing"
		else if (rc != 0 && rc != 4 && f == 0)
			why = "exited with status " rc
		else if (rc == 0 && f == 0 && p == 0 && s > 0)
			why = "exited 0, but all " s " results were skips: kselftest wants 4"
		else if (rc == 4 && p > 0)
			why = "exited 4 (skipped), but " p " results passed: kselftest wants 0"
		else if (whole && rc == 0)
			why = "exited 0, but it skipped as a whole: kselftest wants 4"
		if (why != "")
			buf[++n] = "# " test ": " why
		# a case of its own when none of its results failed
		if (why != "" && !f) {
			emit(lava_name(test), "fail")
		} else if (!why && whole && !seen) {
			emit(lava_name(test), "skip")
		} else {
			for (i = 1; i <= n; i++)
				print "L " buf[i]
		}
	}' "$2" | while IFS= read -r line; do
		case "$line" in
		"S "*)	line=${line#S }
			case_start "${line#* }"
			# LAVA marks where a case's log starts when it reads
			# the signal: alone, not in one read with the lines
			# after it (a failure's diagnostic, a skip's reason)
			[ "${line%% *}" = pass ] || sleep "$pause" ;;
		"L "*)	printf '%s\n' "${line#L }" ;;
		"C "*)	line=${line#C }
			case_end "${line% *}"
			case_result "${line% *}" "${line##* }" ;;
		esac
	done
}

# run_one TEST [CMD...]: run CMD (default DIR/TEST), report its results
run_one()
{
	t=$1
	out=/tmp/nest-lava.$$.out

	shift
	[ $# -gt 0 ] || set -- "$dir/$t"
	if [ ! -x "$1" ]; then
		case_start "$t"
		sleep "$pause"
		echo "# $t: $1 is missing or not executable"
		case_end "$t"
		case_result "$t" fail
		return
	fi
	echo "# running $t"
	"$@" >"$out" 2>&1 </dev/null
	tap2lava "$t" "$out" $?
	rm -f "$out"
}

suite()
{
	bdf_args=

	for b in $bdfs; do
		bdf_args="$bdf_args --device $b"
	done
	for t in "$@"; do
		run_one "$t"
	done
	[ -n "$bdfs" ] || return 0
	# the cdev suite on the board's devices, lent to vfio-pci for the run
	for t in iommufd_nest_cdev_test iommufd_nest_cdev_input_test; do
		# shellcheck disable=SC2086
		run_one "$t" "$dir/nest_bind" run $bdf_args -- "$dir/$t" $bdfs
	done
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
suite|restore) ;;
tap2lava) [ $# -eq 3 ] || usage; tap2lava "$@"; exit 0 ;;
*) usage ;;
esac
while [ $# -gt 0 ]; do
	case "$1" in
	--dir)	[ $# -ge 2 ] || usage; dir=$2; shift ;;
	--bdf)	[ $# -ge 2 ] || usage; bdfs="$bdfs $2"; shift ;;
	--)	shift; break ;;
	-*)	echo "error: unknown option '$1'" >&2; usage ;;
	*)	break ;;
	esac
	shift
done

if [ "$cmd" = restore ]; then
	# a case only when a device had been left behind or cannot go back
	log=/tmp/nest-lava.$$.restore
	if [ ! -x "$dir/nest_bind" ]; then
		echo "# no $dir/nest_bind: nothing was lent"
		exit 0
	fi
	"$dir/nest_bind" restore >"$log" 2>&1
	rc=$?
	if [ "$rc" != 0 ] || [ -s "$log" ]; then
		case_start nest_bind.restore
		sleep "$pause"
		cat "$log"
		echo "# nest_bind restore: exit $rc; a test left these devices on vfio-pci"
		case_end nest_bind.restore
		case_result nest_bind.restore fail
	fi
	rm -f "$log"
	exit 0
fi

[ -d "$dir" ] || { echo "error: --dir $dir: no such directory" >&2; exit 2; }
# LAVA runs each step under sh -e: the results are the cases, so the
# step itself succeeds and the restore step after it always runs
suite "$@"
exit 0
