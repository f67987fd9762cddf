# SPDX-License-Identifier: GPL-2.0
#
# run_tests.sh --bench: nest_bench in QEMU guests, one guest at a
# time so they do not disturb each other; with --compare-kdir, the same
# bench on a second kernel, interleaved with the first.  Sourced by
# run_tests.sh.

# The most engine/bare may be.
bench_limit()
{
	echo 1.05
}

# bench_boot TOPOLOGY KERNEL INITRD DIR TIMEOUT: one guest that runs
# vm/guest/bench
bench_boot()
{
	echo "$1 $2 $3 $4 bench" |
		"$(dirname "${BASH_SOURCE[0]}")/guests.py" boot --jobs 1 \
		--timeout "$5" --what bench
}

# bench_problem DIR: why the bench in DIR gave no result, or nothing
bench_problem()
{
	local dir=$1

	if [ -s "$dir/problem" ]; then
		cat "$dir/problem"
	elif [ "$(cat "$dir/bench.rc" 2>/dev/null)" != 0 ]; then
		echo "nest_bench exited $(cat "$dir/bench.rc" 2>/dev/null || echo '?'): $(grep -m1 '^error' "$dir/bench.out")"
	elif ! grep -q '^json: ' "$dir/bench.out"; then
		echo "no JSON in the bench output"
	fi
}

# bench_medians DIR: "operation median_ns" per measured operation
bench_medians()
{
	sed -n 's/^json: //p' "$1/bench.out" |
		grep -o '"[a-z0-9_]*": {"median_ns": [0-9]*' |
		sed 's/"\([a-z0-9_]*\)": {"median_ns": \([0-9]*\)/\1 \2/'
}

# bench_run OUT KERNEL INITRD TIMEOUT TOPOLOGY...: print each bench
# table (results under OUT/TOPOLOGY); 1 if any failed or engine/bare
# exceeded bench_limit
bench_run()
{
	local out=$1 kernel=$2 initrd=$3 timeout=$4 t dir problem ratio rc=0

	shift 4
	for t in "$@"; do
		dir=$out/$t
		bench_boot "$t" "$kernel" "$initrd" "$dir" "$timeout"
		echo "== $t: $(topology_describe "$t")"
		problem=$(bench_problem "$dir")
		if [ -n "$problem" ]; then
			echo "error: $t: $problem"
			rc=1
			continue
		fi
		grep -v '^json: ' "$dir/bench.out"
		sed -n 's/^json: //p' "$dir/bench.out" >"$dir/bench.json"
		ratio=$(sed -n 's/^engine\/bare: //p' "$dir/bench.out")
		if awk -v r="$ratio" -v l="$(bench_limit)" 'BEGIN { exit !(r > l) }'; then
			echo "engine/bare $ratio is above the $(bench_limit) limit"
			rc=1
		fi
		echo "(JSON: $dir/bench.json)"
	done
	return $rc
}

# bench_compare OUT ROUNDS INITRD TIMEOUT KERNEL_A NAME_A KERNEL_B NAME_B
#	TOPOLOGY...: B / A per operation, from ROUNDS rounds of A then B,
# each side's median of its per-round medians; NAME_* say what A and B are
bench_compare()
{
	local out=$1 rounds=$2 initrd=$3 timeout=$4 kernel_a=$5 name_a=$6
	local kernel_b=$7 name_b=$8 t r side dir problem rc=0 kernel

	shift 8
	for t in "$@"; do
		for r in $(seq "$rounds"); do
			for side in A B; do
				dir=$out/$t/$side$r
				kernel=$kernel_a
				[ "$side" = B ] && kernel=$kernel_b
				bench_boot "$t" "$kernel" "$initrd" "$dir" \
					"$timeout"
				problem=$(bench_problem "$dir")
				[ -z "$problem" ] && continue
				echo "error: $t, kernel $side, round $r: $problem"
				return 1
			done
		done
		echo "== $t: B / A per operation, $rounds interleaved rounds"
		echo "   A = $name_a ($(cat "$out/$t/A1/kernel"))"
		echo "   B = $name_b ($(cat "$out/$t/B1/kernel"))"
		for r in $(seq "$rounds"); do
			bench_medians "$out/$t/A$r" | sed 's/^/A /'
			bench_medians "$out/$t/B$r" | sed 's/^/B /'
		done | awk '
		function median(list,    n, v, i, j, x) {
			n = split(list, v, " ")
			for (i = 2; i <= n; i++)
				for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
					x = v[j]; v[j] = v[j - 1]; v[j - 1] = x
				}
			return v[int((n + 1) / 2)]
		}
		!($2 in seen) { seen[$2] = 1; order[++nops] = $2 }
		{ vals[$1, $2] = vals[$1, $2] " " $3 }
		END {
			printf "%-24s %12s %12s %7s\n", "operation", "A median ns", "B median ns", "B/A"
			for (i = 1; i <= nops; i++) {
				op = order[i]
				a = median(vals["A", op]); b = median(vals["B", op])
				printf "%-24s %12d %12d %7.3f\n", op, a, b, a ? b / a : 0
			}
		}'
	done
	return $rc
}
