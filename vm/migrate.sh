# SPDX-License-Identifier: GPL-2.0
#
# run_tests.sh --migrate: the cross-host migration matrix.  Each
# topology's guest saves one stream per config first (vm/guest/
# migrate_save, "save.CONFIG" blocks), runs its tests, and waits; once
# all are waiting, boot_all hands each the others' streams (migrate_feed)
# and it loads them (vm/guest/migrate_load) in the same boot.  Each
# source x target x config becomes a KTAP result, judged against
# vm/migrate_expect.  Sourced after vm/boot.sh.

MIGRATE_VM=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# NAME CONFIG, one pair per line
migrate_configs()
{
	grep -v '^#' "$MIGRATE_VM/guest/migrate_configs" | awk 'NF == 2'
}

# flags_want NAME: the flags QEMU 11.1 gives config NAME (vm/migrate_flags)
flags_want()
{
	awk -v n="$1" '$1 == n { print $2 }' "$MIGRATE_VM/migrate_flags"
}

# expect_load VMDIR: EXPECT[HOST|NAME], the phrase a refusal of config
# NAME on HOST must contain (none: HOST must accept it), read once from
# vm/migrate_expect for the whole matrix.  A host written HOST[FILE~RE]
# holds when a line of FILE, an output of HOST's guest in VMDIR, matches
# the extended regex RE; HOST[!FILE~RE] when FILE is there and none does.
expect_load()
{
	local h c p probe neg file re

	EXPECT=()
	while IFS=$'\t' read -r h c p; do
		if [[ $h == *"["*"]" ]]; then
			probe=${h#*[} probe=${probe%]} h=${h%%[*} neg=
			[[ $probe != !* ]] || neg=1 probe=${probe#!}
			file=$1/$h/${probe%%~*} re=${probe#*~}
			# no output to probe: the row holds neither way
			[ -f "$file" ] || continue
			if grep -qE -- "$re" "$file"; then
				[ -z "$neg" ] || continue
			else
				[ -n "$neg" ] || continue
			fi
		fi
		EXPECT[$h|$c]=$p
	done < <(awk -F '\t+' '!/^#/ && NF >= 3 { print $1 "\t" $2 "\t" $3 }' \
		"$MIGRATE_VM/migrate_expect")
}

# verdict_problem VERDICT PHRASE: PROBLEM, why VERDICT is not what
# PHRASE expects, or nothing
verdict_problem()
{
	PROBLEM=
	if [ -z "$2" ]; then
		[ "$1" = accepted ] || PROBLEM="expected accepted, got '$1'"
	elif [ "${1#refused: }" = "$1" ]; then
		PROBLEM="expected a refusal with '$2', got '$1'"
	elif [ "${1#*"$2"}" = "$1" ]; then
		PROBLEM="refused, but not with '$2': '$1'"
	fi
}

# migrate_feed DIR DIRS...: for boot_all's BOOT_FEED: the streams every
# other guest of DIRS saved (blocks save.CONFIG of its test port), as
# "@@FILE SOURCE.CONFIG.hex" and the stream's line, their sums, then the
# test that loads them.  Each DIR's name is its topology's.
migrate_feed()
{
	local t=$1 d name hex

	shift
	for d in "$@"; do
		[ "$d" = "$t" ] && continue
		tr -d '\r' <"$d/serial.out" | awk -v s="${d##*/}" '
			/^@@BEGIN save\./ { c = substr($2, 6); next }
			/^@@END / { c = ""; next }
			c != "" && /^stream: / {
				print s "." c ".hex " substr($0, 9)
			}'
	done >"$t/feed"
	# each file as the guest will write it, summed by one md5sum
	rm -rf "$t/feed.d"
	mkdir -p "$t/feed.d"
	while read -r name hex; do
		printf '@@FILE %s\n%s\n' "$name" "$hex"
		printf '%s\n' "$hex" >"$t/feed.d/$name"
	done <"$t/feed"
	if [ -s "$t/feed" ]; then
		(cd "$t/feed.d" && md5sum -- *) | sed 's/^\([0-9a-f]*\)  /@@SUM \1 /'
	fi
	echo "@@RUN migrate_load"
}

# out_scan FILE: from a save.* or mig.* block of a guest, OUT_STREAM (1
# when it holds a stream), OUT_SOURCE and OUT_VERDICT (the source's and
# the target's verdict), OUT_FSRC and OUT_FDST (the flags at either end),
# OUT_ERROR (its first error line) and OUT_TEXT (all of it); shell
# builtins only, the matrix reads some 700 of them
out_scan()
{
	local line

	OUT_STREAM=0 OUT_SOURCE='' OUT_VERDICT='' OUT_FSRC='' OUT_FDST='' OUT_ERROR=''
	OUT_TEXT=
	[ -f "$1" ] || return 0
	while IFS= read -r line || [ -n "$line" ]; do
		OUT_TEXT+=$line$'\n'
		case $line in
		"stream: "*)	OUT_STREAM=1 ;;
		"source: "*)	OUT_SOURCE=${line#source: } ;;
		"verdict: "*)	OUT_VERDICT=${line#verdict: } ;;
		"flags: source 0x"*" target 0x"*)
			read -r _ _ OUT_FSRC _ OUT_FDST _ <<<"$line" ;;
		error*)		[ -n "$OUT_ERROR" ] || OUT_ERROR=$line ;;
		esac
	done <"$1"
}

# file_word FILE: its first word, or "?"
file_word()
{
	local w=

	[ -f "$1" ] && read -r w <"$1"
	echo "${w:-?}"
}

# migrate_cell VMDIR SOURCE TARGET CONFIG: with EXPECT loaded, set
# CELL_SOURCE, CELL_FLAGS, CELL_VERDICT (the source's verdict, the flags,
# the target's verdict) and CELL_PROBLEM (empty when the cell passes)
migrate_cell()
{
	local vmdir=$1 s=$2 t=$3 c=$4 src tgt flags fsrc fdst
	local verdict problem='' at_source blocked src_stream src_error

	src=$vmdir/$s/save.$c.out
	tgt=$vmdir/$t/mig.$s.$c
	out_scan "$src"
	at_source=$OUT_SOURCE src_stream=$OUT_STREAM src_error=$OUT_ERROR
	# a config QEMU will not migrate on any host ("*" in vm/migrate_expect)
	blocked=${EXPECT[*|$c]:-}
	if [ -n "$blocked" ]; then
		if [ "$src_stream" = 1 ]; then
			problem="source $s saved a stream of a config QEMU blocks"
		elif [[ $OUT_TEXT != *"$blocked"* ]]; then
			problem="source $s did not say '$blocked': $src_error"
		fi
		CELL_SOURCE=blocked CELL_FLAGS=- CELL_VERDICT=blocked
		CELL_PROBLEM=$problem
		return
	fi
	verdict_problem "$at_source" "${EXPECT[$s|$c]:-}"
	[ -z "$PROBLEM" ] || problem="source $s: $PROBLEM"
	out_scan "$tgt.out"
	fsrc=$OUT_FSRC fdst=$OUT_FDST verdict=$OUT_VERDICT
	if [ "$src_stream" = 0 ]; then
		problem="source $s saved no stream (exit $(file_word "$vmdir/$s/save.$c.rc"))"
	elif [ ! -f "$tgt.rc" ]; then
		problem="target $t did not load it: $(cat "$vmdir/$t/problem" 2>/dev/null)"
	elif [ -s "$vmdir/$t/problem" ]; then
		problem="target $t: $(cat "$vmdir/$t/problem")"
	fi
	# equal flags once; unequal ones as source->target
	flags=$fsrc
	[ "$fsrc" = "$fdst" ] || flags="$fsrc->$fdst"
	if [ -z "$problem" ]; then
		if [ -z "$fsrc" ] || [ -z "$fdst" ]; then
			problem="no flags printed by the target"
		elif [ "$fsrc" != "$fdst" ]; then
			problem="flags differ: $flags"
		elif [ "$fsrc" != "$(flags_want "$c")" ]; then
			problem="flags $fsrc at both ends, QEMU 11.1 gives $(flags_want "$c") (vm/migrate_flags)"
		elif [ "$(file_word "$tgt.rc")" != 0 ]; then
			problem="nest_migrate load exited $(file_word "$tgt.rc"): $OUT_ERROR"
		else
			verdict_problem "$verdict" "${EXPECT[$t|$c]:-}"
			[ -z "$PROBLEM" ] || problem="target $t: $PROBLEM"
		fi
	fi
	CELL_SOURCE=${at_source%%: *} CELL_FLAGS=${flags:--}
	CELL_VERDICT=${verdict:--} CELL_PROBLEM=$problem
}

# short_verdict VERDICT TARGET CONFIG: SHORT, the table's verdict:
# accepted, or refused and the expected phrase (EXPECT loaded)
short_verdict()
{
	case "$1" in
	refused:*) SHORT="refused: ${EXPECT[$2|$3]:-}" ;;
	*) SHORT=${1%%: *} ;;
	esac
}

# migrate_report VMDIR TOPOLOGY...: the matrix as a KTAP group's
# subtests, and its table in VMDIR/migration-matrix.txt
migrate_report()
{
	local vmdir=$1 i=0 s t c
	local table configs=() n=$(($# - 1))

	shift
	table=$vmdir/migration-matrix.txt
	while read -r c _; do
		configs+=("$c")
	done < <(migrate_configs)
	declare -gA EXPECT
	expect_load "$vmdir"
	echo "  KTAP version 1"
	echo "  # migration: each topology's stream, loaded in every other one"
	echo "  1..$((${#configs[@]} * n * (n - 1)))"
	{
	printf '%-19s %-23s %-13s %-11s %s\n' config "source (its verdict)" \
		target flags "target verdict" >&3
	for c in "${configs[@]}"; do
		for s in "$@"; do
			for t in "$@"; do
				[ "$s" = "$t" ] && continue
				i=$((i + 1))
				migrate_cell "$vmdir" "$s" "$t" "$c"
				short_verdict "$CELL_VERDICT" "$t" "$c"
				printf '%-19s %-23s %-13s %-11s %s\n' "$c" \
					"$s ($CELL_SOURCE)" "$t" "$CELL_FLAGS" \
					"$SHORT" >&3
				if [ -n "$CELL_PROBLEM" ]; then
					echo "    # $CELL_PROBLEM"
					echo "  not ok $i $c.${s}_to_$t"
				else
					echo "  ok $i $c.${s}_to_$t"
				fi
			done
		done
	done
	} 3>"$table"
	sed 's/^/  # /' "$table"
}
