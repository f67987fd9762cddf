# SPDX-License-Identifier: GPL-2.0
#
# run_tests.sh --migrate: the cross-host migration matrix.  Each
# topology's guest saves one stream per config first (vm/guest/
# migrate_save, "save.CONFIG" blocks), runs its tests, and waits; once
# all are waiting, boot_all hands each the others' streams (migrate_feed)
# and it loads them (vm/guest/migrate_load) in the same boot.  Each
# source x target x config becomes a KTAP result, judged against
# vm/migrate_expect.  Sourced after vm/boot.sh and vm/ktap.sh.

MIGRATE_VM=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# NAME CONFIG, one pair per line
migrate_configs()
{
	grep -v '^#' "$MIGRATE_VM/guest/migrate_configs" | awk 'NF == 2'
}

# migrate_expect HOST NAME KVER: the phrase a refusal must contain, or
# nothing when the host must accept the config.  A host written HOST@A-B
# holds for guest kernels A to B (MAJOR.MINOR, either end open); KVER is
# the booted tree's version (its SUBLEVEL is ignored).
migrate_expect()
{
	awk -F '\t+' -v h="$1" -v c="$2" -v k="${3:-0.0}" '
		function num(v,  p) {
			split(v, p, ".")
			return p[1] * 1000 + p[2]
		}
		!/^#/ && $2 == c {
			n = split($1, hv, "@")
			if (hv[1] != h)
				next
			if (n == 2) {
				split(hv[2], r, "-")
				if (r[1] != "" && num(k) < num(r[1]))
					next
				if (r[2] != "" && num(k) > num(r[2]))
					next
			}
			print $3
		}' "$MIGRATE_VM/migrate_expect"
}

# verdict_problem VERDICT PHRASE: why VERDICT is not what PHRASE expects
verdict_problem()
{
	if [ -z "$2" ]; then
		[ "$1" = accepted ] || echo "expected accepted, got '$1'"
	elif [ "${1#refused: }" = "$1" ]; then
		echo "expected a refusal with '$2', got '$1'"
	elif [ "${1#*"$2"}" = "$1" ]; then
		echo "refused, but not with '$2': '$1'"
	fi
}

# migrate_feed DIR DIRS...: for boot_all's BOOT_FEED: the streams every
# other guest of DIRS saved (blocks save.CONFIG of its test port), as
# "@@FILE SOURCE.CONFIG.hex" and the stream's line, then the test that
# loads them.  Each DIR's name is its topology's.
migrate_feed()
{
	local t=$1 d

	shift
	for d in "$@"; do
		[ "$d" = "$t" ] && continue
		tr -d '\r' <"$d/serial.out" | awk -v s="${d##*/}" '
			/^@@BEGIN save\./ { c = substr($2, 6); next }
			/^@@END / { c = ""; next }
			c != "" && /^stream: / {
				print "@@FILE " s "." c ".hex"
				print substr($0, 9)
			}'
	done
	echo "@@RUN migrate_load"
}

# migrate_cell VMDIR KVER SOURCE TARGET CONFIG:
# print "source verdict|flags|target verdict|problem"
migrate_cell()
{
	local vmdir=$1 kver=$2 s=$3 t=$4 c=$5 src tgt flags fsrc= fdst=
	local verdict problem= at_source blocked

	src=$vmdir/$s/save.$c.out
	tgt=$vmdir/$t/mig.$s.$c
	# a config QEMU will not migrate on any host ("*" in migrate_expect)
	blocked=$(migrate_expect "*" "$c" "$kver")
	if [ -n "$blocked" ]; then
		if grep -q '^stream: ' "$src" 2>/dev/null; then
			problem="source $s saved a stream of a config QEMU blocks"
		elif ! grep -qF -- "$blocked" "$src" 2>/dev/null; then
			problem="source $s did not say '$blocked': $(grep -m1 '^error' "$src" 2>/dev/null)"
		fi
		echo "blocked|-|blocked|${problem:-}"
		return
	fi
	at_source=$(sed -n 's/^source: //p' "$src" 2>/dev/null)
	problem=$(verdict_problem "$at_source" "$(migrate_expect "$s" "$c" "$kver")")
	[ -n "$problem" ] && problem="source $s: $problem"
	if ! grep -q '^stream: ' "$src" 2>/dev/null; then
		problem="source $s saved no stream (exit $(cat "$vmdir/$s/save.$c.rc" 2>/dev/null || echo ?))"
	elif [ ! -f "$tgt.rc" ]; then
		problem="target $t did not load it: $(cat "$vmdir/$t/problem" 2>/dev/null)"
	elif [ -s "$vmdir/$t/problem" ]; then
		problem="target $t: $(cat "$vmdir/$t/problem")"
	fi
	read -r fsrc fdst < <(sed -n 's/^flags: source \(0x[0-9a-f]*\) target \(0x[0-9a-f]*\) .*/\1 \2/p' "$tgt.out" 2>/dev/null)
	# equal flags once; unequal ones as source->target
	flags=$fsrc
	[ "$fsrc" = "$fdst" ] || flags="$fsrc->$fdst"
	verdict=$(sed -n 's/^verdict: //p' "$tgt.out" 2>/dev/null)
	if [ -z "$problem" ]; then
		if [ -z "$fsrc" ] || [ -z "$fdst" ]; then
			problem="no flags printed by the target"
		elif [ "$fsrc" != "$fdst" ]; then
			problem="flags differ: $flags"
		elif [ "$(cat "$tgt.rc")" != 0 ]; then
			problem="nest_migrate load exited $(cat "$tgt.rc"): $(grep -m1 '^error' "$tgt.out")"
		else
			problem=$(verdict_problem "$verdict" "$(migrate_expect "$t" "$c" "$kver")")
			[ -n "$problem" ] && problem="target $t: $problem"
		fi
	fi
	echo "${at_source%%: *}|${flags:--}|${verdict:--}|$problem"
}

# short_verdict VERDICT TARGET CONFIG KVER: the table's verdict:
# accepted, or refused and the expected phrase.
short_verdict()
{
	case "$1" in
	refused:*) echo "refused: $(migrate_expect "$2" "$3" "$4")" ;;
	*) echo "${1%%: *}" ;;
	esac
}

# migrate_report NR VMDIR KVER TOPOLOGY...: the matrix as KTAP group NR,
# and its table in VMDIR/migration-matrix.txt
migrate_report()
{
	local nr=$1 vmdir=$2 kver=$3 f0=$KTAP_FAIL p0=$KTAP_PASS i=0 s t c
	local cfg flags verdict problem table cells=0 at_source

	shift 3
	table=$vmdir/migration-matrix.txt
	for s in "$@"; do
		for t in "$@"; do
			[ "$s" != "$t" ] && cells=$((cells + $(migrate_configs | wc -l)))
		done
	done
	echo "  KTAP version 1"
	echo "  # migration: each topology's stream, loaded in every other one"
	echo "  1..$cells"
	printf '%-19s %-23s %-13s %-11s %s\n' config "source (its verdict)" \
		target flags "target verdict" >"$table"
	while read -r c cfg; do
		for s in "$@"; do
			for t in "$@"; do
				[ "$s" = "$t" ] && continue
				i=$((i + 1))
				IFS='|' read -r at_source flags verdict problem \
					< <(migrate_cell "$vmdir" "$kver" \
						"$s" "$t" "$c")
				printf '%-19s %-23s %-13s %-11s %s\n' "$c" \
					"$s ($at_source)" "$t" "$flags" \
					"$(short_verdict "$verdict" "$t" "$c" \
						"$kver")" \
					>>"$table"
				if [ -n "$problem" ]; then
					echo "    # $problem"
					echo "  not ok $i $c.${s}_to_$t"
					KTAP_FAIL=$((KTAP_FAIL + 1))
				else
					echo "  ok $i $c.${s}_to_$t"
					KTAP_PASS=$((KTAP_PASS + 1))
				fi
			done
		done
	done < <(migrate_configs)
	sed 's/^/  # /' "$table"
	ktap_result "" "$nr" migration "$f0" "$p0"
}
