# SPDX-License-Identifier: GPL-2.0
#
# KTAP merging for run_tests.sh: each test binary's TAP becomes a subtest
# of its topology, each topology a subtest of the run, and every result
# is counted once into KTAP_PASS, KTAP_FAIL and KTAP_SKIP.

KTAP_PASS=0
KTAP_FAIL=0
KTAP_SKIP=0

# ktap_binary INDENT NUMBER NAME FILE RC [REASON]
# Print FILE's TAP as subtest NUMBER, indented by INDENT, and its result
# line.  Missing results, a non-zero RC or a REASON fail it; when none
# of its own results failed, that counts as one failure: the binary
# itself, as JUnit (vm/junit.sh) and LAVA (lava/results.py) list it.
ktap_binary()
{
	local indent=$1 nr=$2 name=$3 file=$4 rc=$5 reason=${6:-} counts p f s own

	counts=$(mktemp)
	awk -v ind="$indent  " -v counts="$counts" -v rc="$rc" '
	{ sub(/\r$/, "") }
	/^TAP version/ { print ind "KTAP version 1"; next }
	/^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0 }
	/^ok / { if ($0 ~ /# [Ss][Kk][Ii][Pp]/) s++; else p++ }
	/^not ok / { if ($0 ~ /# [Ss][Kk][Ii][Pp]/) s++; else f++ }
	{ print ind $0 }
	END {
		seen = p + f + s
		own = 0
		if (seen < plan) {
			print ind "# " plan - seen " of " plan " results missing"
			own = 1
		}
		if (rc != 0 && rc != 4 && f == 0) {
			print ind "# exited with status " rc
			own = 1
		}
		# kselftest: 4 when nothing ran, 0 when something passed
		if (rc == 0 && f == 0 && p == 0 && s > 0) {
			print ind "# exited 0, but all " s " results were skips: kselftest wants 4"
			own = 1
		}
		if (rc == 4 && p > 0) {
			print ind "# exited 4 (skipped), but " p " results passed: kselftest wants 0"
			own = 1
		}
		print p + 0, f + 0, s + 0, own > counts
	}' "$file"
	read -r p f s own <"$counts"
	rm -f "$counts"
	if [ -n "$reason" ]; then
		echo "$indent  # $reason"
		own=1
	fi
	[ "$own" = 0 ] || [ "$f" -gt 0 ] || f=1
	KTAP_PASS=$((KTAP_PASS + p))
	KTAP_FAIL=$((KTAP_FAIL + f))
	KTAP_SKIP=$((KTAP_SKIP + s))
	if [ "$f" -gt 0 ]; then
		echo "${indent}not ok $nr $name"
	elif [ "$p" -eq 0 ]; then
		echo "${indent}ok $nr $name # SKIP all $s tests skipped"
	else
		echo "${indent}ok $nr $name"
	fi
}

# ktap_result INDENT NUMBER NAME FAIL_BEFORE PASS_BEFORE
# The result line of a group, from the counts it added.
ktap_result()
{
	local indent=$1 nr=$2 name=$3 f0=$4 p0=$5

	if [ "$KTAP_FAIL" -gt "$f0" ]; then
		echo "${indent}not ok $nr $name"
	elif [ "$KTAP_PASS" -eq "$p0" ]; then
		echo "${indent}ok $nr $name # SKIP nothing ran"
	else
		echo "${indent}ok $nr $name"
	fi
}

# ktap_group_problem FAIL_BEFORE: a group (a guest) failed as a whole;
# it is one failed case itself unless one of its results failed since
# FAIL_BEFORE, as vm/junit.sh lists it
ktap_group_problem()
{
	[ "$KTAP_FAIL" -gt "$1" ] || KTAP_FAIL=$((KTAP_FAIL + 1))
}

ktap_totals()
{
	echo "totals: $KTAP_PASS passed, $KTAP_FAIL failed, $KTAP_SKIP skipped"
}

# Exit status by the kselftest convention: 1 on failure, 4 if all skipped.
ktap_exit_code()
{
	if [ "$KTAP_FAIL" -gt 0 ]; then
		echo 1
	elif [ "$KTAP_PASS" -eq 0 ]; then
		echo 4
	else
		echo 0
	fi
}
