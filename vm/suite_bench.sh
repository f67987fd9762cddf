#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The suite's own benchmark: run_tests.sh, warm, several times; per
# phase (build check, unit tests and the config conformance, each
# guest's boot, tests, barrier wait and migration loads, the device
# conformance runs) the min, median and max over the runs, the share of
# the guests' busy time and of the machine's time (wall x cores) spent
# booting, and CPU time over wall time (how well the cores were used).
# Numbers come from each run's build/timings.tsv; JSON for CI history.
#   vm/suite_bench.sh [--runs N] [--json FILE] [-- RUNNER ARGS...]
# Default runner arguments: make check's (--vm --topology all --migrate).
# One warm-up run first, not counted.  Exit 1 if a run fails.

set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=5
json=$here/build/suite-bench.json
args=()

usage()
{
	sed -n 's/^#   //p' "$0"
	exit "$1"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--runs)	[ $# -ge 2 ] || { echo "error: --runs needs a number" >&2; exit 2; }
		runs=$2; shift ;;
	--json)	[ $# -ge 2 ] || { echo "error: --json needs a FILE" >&2; exit 2; }
		json=$2; shift ;;
	--)	shift; args=("$@"); break ;;
	-h|--help) usage 0 ;;
	*)	echo "error: unknown option '$1' (expected --runs N, --json FILE or -- RUNNER ARGS)" >&2
		exit 2 ;;
	esac
	shift
done
case "$runs" in
''|*[!0-9]*|0) echo "error: --runs '$runs': expected a positive number" >&2; exit 2 ;;
esac
[ ${#args[@]} -gt 0 ] || args=(--vm --topology all --migrate)
( : >"$json" ) 2>/dev/null || { echo "error: --json $json: cannot write there" >&2; exit 2; }

tmp=$(mktemp -d)
child=
trap 'rm -rf "$tmp"' EXIT
# the runner stops its guests on TERM
trap '[ -z "$child" ] || kill -TERM "$child" 2>/dev/null; wait; exit 130' INT TERM

# children_cpu FILE: the user + system seconds of every child waited
# for so far ("times" in this shell: a subshell would count its own)
children_cpu()
{
	times >"$1"
	tail -n 1 "$1" | awk '{
		for (i = 1; i <= 2; i++) {
			split($i, p, "m"); t += p[1] * 60 + p[2]
		}
		printf "%.2f\n", t
	}' >"$1.s"
}

# one_run N: the runner once; its timings plus its whole CPU time
one_run()
{
	local rc=0 c0 c1

	children_cpu "$tmp/cpu0"
	read -r c0 <"$tmp/cpu0.s"
	"$here/run_tests.sh" "${args[@]}" >"$tmp/ktap.$1" 2>"$tmp/err.$1" &
	child=$!
	wait "$child" || rc=$?
	child=
	children_cpu "$tmp/cpu1"
	read -r c1 <"$tmp/cpu1.s"
	if [ "$rc" != 0 ]; then
		echo "error: run $1 failed (exit $rc): $(tail -n 1 "$tmp/ktap.$1")" >&2
		tail -n 5 "$tmp/err.$1" >&2
		return 1
	fi
	cp "$here/build/timings.tsv" "$tmp/timings.$1"
	printf 'cpu.total\t%s\n' "$(awk -v a="$c0" -v b="$c1" \
		'BEGIN { printf "%.2f", b - a }')" >>"$tmp/timings.$1"
}

echo "[bench] warm-up run (not counted): run_tests.sh ${args[*]}" >&2
one_run 0 || exit 1
for r in $(seq "$runs"); do
	echo "[bench] run $r of $runs" >&2
	one_run "$r" || exit 1
done

# per run, the figures derived from its phases
for r in $(seq "$runs"); do
	awk -F '\t' -v cores="$(nproc 2>/dev/null || echo 1)" '
	{ v[$1] = $2; print }
	$1 ~ /^guest\.[^.]*\.wall$/ { g = $1; sub(/\.wall$/, "", g); guests[g] = 1 }
	END {
		for (g in guests) {
			boot += v[g ".qemu_firmware_exit"] + v[g ".kernel_boot"]
			busy += v[g ".wall"] - v[g ".barrier_wait"]
			cpu += v[g ".cpu"]
		}
		printf "derived.boot_overhead\t%.2f\n", boot
		printf "derived.boot_share_of_guest_busy_time\t%.3f\n", busy ? boot / busy : 0
		# of all the machine time the run had (wall x cores)
		printf "derived.boot_share_of_machine_time\t%.3f\n", v["total"] ? boot / (v["total"] * cores) : 0
		printf "cpu.guests\t%.2f\n", cpu
		printf "derived.guest_cpu_over_wall\t%.3f\n", v["total"] ? cpu / v["total"] : 0
		printf "derived.total_cpu_over_wall\t%.3f\n", v["total"] ? v["cpu.total"] / v["total"] : 0
	}' "$tmp/timings.$r" >"$tmp/all.$r"
done

# min, median and max of each phase, in the first run's order
cat "$tmp"/all.[1-9]* | awk -F '\t' -v runs="$runs" -v json="$json" \
	-v args="${args[*]}" '
function median(list,    n, v, i, j, x) {
	n = split(list, v, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			x = v[j]; v[j] = v[j - 1]; v[j - 1] = x
		}
	lo = v[1]; hi = v[n]
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
!($1 in seen) { seen[$1] = 1; order[++n] = $1 }
{ vals[$1] = vals[$1] " " $2 }
END {
	printf "%-50s %8s %8s %8s\n", "phase (seconds; derived: ratios)", "min", "median", "max"
	printf "{\"runs\": %d, \"runner_args\": \"%s\", \"phases\": {", runs, args >json
	for (i = 1; i <= n; i++) {
		k = order[i]
		m = median(vals[k])
		printf "%-50s %8.2f %8.2f %8.2f\n", k, lo, m, hi
		printf "%s\"%s\": {\"min\": %s, \"median\": %s, \"max\": %s}",
			(i > 1 ? ", " : ""), k, lo + 0, m + 0, hi + 0 >json
	}
	printf "}}\n" >json
}'
echo "JSON: $json"
