#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP: the runner's guest scheduler (vm/guests.py boot) against fake
# guests: a qemu-system-x86_64 of our own, first in PATH, that speaks
# vm/init's side of the test port and does what its -kernel says.  One
# boot per guest: the waiting ones are fed once every guest waits or has
# ended, time spent waiting does not count against the timeout, a hung
# guest is stopped alone, and a corrupted transfer is sent again, so is
# one the guest never answers (a lost @@RUN), at most 3 times; what it
# is fed is the others' saved streams with sums that hold; no guest
# outlives a signal to the runner's whole process group.
#   tests/guests_test.sh

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=vm/tap.sh
. "$here/vm/tap.sh"

# The fake guest.  -kernel names its behaviour: ready (at once), slowN
# (N s of work before it waits), hang (never ready), again (asks for
# the files a second time once), long (works 2 s after it is fed), deaf
# (misses the first @@RUN), mute (misses every @@RUN).  It logs what it
# was sent in feed.log.
mkdir -p "$tmp/bin"
cat >"$tmp/bin/qemu-system-x86_64" <<'EOF'
#!/bin/bash
while [ $# -gt 0 ]; do
	case "$1" in
	-chardev) port=${2#*path=}; shift ;;
	-kernel) kind=$2; shift ;;
	-append) append=$2; shift ;;
	esac
	shift
done
out=$port.out
exec 3>>"$out"
dir=${port%/serial}
echo "@@KERNEL fake-$kind" >&3
echo "@@UPTIME start 0.10" >&3
printf '@@BEGIN save.cfg\nstream: %s\n@@END save.cfg rc=0\n' \
	"$(echo "$dir" | md5sum | cut -c1-16)" >&3
case $kind in
hang) while :; do sleep 1; done ;;
slow*) sleep "${kind#slow}" ;;
esac
case " $append " in
*" nest_later=1 "*)
	echo "@@READY" >&3
	echo "@@UPTIME wait 1.00" >&3
	asked=0
	# read-write, as QEMU opens it: never blocks
	exec 4<>"$port.in"
	while read -r line <&4; do
		echo "$line" >>"$dir/feed.log"
		case $line in
		@@FEED) rm -rf "$dir/recv"; mkdir -p "$dir/recv" ;;
		"@@FILE "*)
			read -r data <&4
			echo "$data" >"$dir/recv/${line#@@FILE }" ;;
		"@@SUM "*)
			set -- $line
			echo "$2  $3" >>"$dir/recv/.sums" ;;
		"@@RUN "*)
			if (cd "$dir/recv" && md5sum -c --quiet .sums) >/dev/null 2>&1; then
				echo "@@CHECK ok" >>"$dir/feed.log"
			fi
			if [ "$kind" = again ] && [ "$asked" = 0 ]; then
				asked=1
				echo "@@AGAIN 1" >&3
				continue
			fi
			if [ "$kind" = mute ] ||
			   { [ "$kind" = deaf ] && [ "$asked" = 0 ]; }; then
				asked=1
				continue
			fi
			break ;;
		esac
	done
	echo "@@UPTIME go 2.00" >&3
	echo "@@BEGIN ${line#@@RUN }" >&3
	case $kind in long*) sleep "${kind#long}" ;; esac
	echo "@@END ${line#@@RUN } rc=0" >&3 ;;
esac
echo "@@UPTIME end 3.00" >&3
echo "@@DONE" >&3
EOF
chmod +x "$tmp/bin/qemu-system-x86_64"
export PATH=$tmp/bin:$PATH

# run TIMEOUT JOBS NAME:KIND...: the scheduler on fake guests under
# $tmp/NAME; PATIENCE, when set, is its --patience
run()
{
	local timeout=$1 jobs=$2 g

	shift 2
	for g in "$@"; do
		echo "mock ${g#*:} /dev/null $tmp/${g%%:*} t1 later"
	done | "$here/vm/guests.py" boot --jobs "$jobs" --timeout "$timeout" \
		--patience "${PATIENCE:-30}" --qboot /nonexistent 2>>"$tmp/say.log"
}

problem()
{
	cat "$tmp/$1/problem" 2>/dev/null
}

echo "TAP version 13"
echo "1..12"

# a, b and c with 2 at work at once: c starts only when a waits; each
# loads the other two once, after all three wait
run 30 2 a:ready b:slow1 c:ready
ok=0
for g in a b c; do
	[ -z "$(problem $g)" ] && [ "$(grep -c '^@@FILE' "$tmp/$g/feed.log")" = 2 ] &&
		grep -q '^@@END later rc=0' "$tmp/$g/serial.out" || ok=1
done
tap_ok $ok each_guest_boots_once_and_loads_the_others \
	"problems: $(problem a) / $(problem b) / $(problem c)"
# the others' streams, named SOURCE.CONFIG.hex, and sums that hold
[ "$(grep '^@@FILE' "$tmp/a/feed.log" | sort | xargs)" = "@@FILE b.cfg.hex @@FILE c.cfg.hex" ] &&
	[ "$(cat "$tmp/a/recv/b.cfg.hex")" = "$(echo "$tmp/b" | md5sum | cut -c1-16)" ]
tap_ok $? each_guest_is_fed_the_others_streams "a was fed: $(grep '^@@FILE' "$tmp/a/feed.log" | xargs)"
grep -qx '@@CHECK ok' "$tmp/a/feed.log"
tap_ok $? the_feed_sums_hold "a's feed: $(head -c 300 "$tmp/a/feed.log" | tr '\n' ' ')"

# x works 5 s before it is ready, w waits for it, then works 5 s: 10 s
# of wall, 5 s of work each; 3 s of the timeout are for a loaded machine
run 8 2 w:long5 x:slow5
[ -z "$(problem w)" ] && [ -z "$(problem x)" ]
tap_ok $? waiting_does_not_count_against_the_timeout \
	"problems: $(problem w) / $(problem x)"

# h never gets ready: it alone times out, and the others go on
start=$SECONDS
run 4 3 h:hang p:ready q:ready
took=$((SECONDS - start))
[ "$(problem h)" = "guest timed out after 4 s of work, before it was ready to load the others' streams" ] &&
	[ -z "$(problem p)" ] && [ -z "$(problem q)" ] &&
	[ "$(grep -c '^@@FILE' "$tmp/p/feed.log")" = 2 ]
tap_ok $? a_hung_guest_fails_alone "h: $(problem h); p: $(problem p); q: $(problem q)"
[ "$took" -lt 20 ]
tap_ok $? the_hung_guest_is_stopped_in_time "the run took $took s, timeout 4 s"

# r asks again once: it is sent everything a second time
run 30 2 r:again s:ready
[ -z "$(problem r)" ] && [ "$(cat "$tmp/r/resent" 2>/dev/null)" = 1 ] &&
	[ "$(grep -c '^@@RUN' "$tmp/r/feed.log")" = 2 ]
tap_ok $? a_corrupted_transfer_is_sent_again \
	"r: $(problem r); resent: $(cat "$tmp/r/resent" 2>/dev/null)"

# d misses its first @@RUN: after 1 s of silence it is fed again
PATIENCE=1 run 30 2 d:deaf e:ready
# (a loaded machine may make it slow to answer the second feed too)
sent=$(cat "$tmp/d/resent" 2>/dev/null)
[ -z "$(problem d)" ] && [ "${sent:-0}" -ge 1 ] &&
	[ "$(head -n 1 "$tmp/d/resent-why")" = "no answer in 1 s" ] &&
	[ "$(grep -c '^@@RUN' "$tmp/d/feed.log")" = $((sent + 1)) ] &&
	[ "$(grep -c '^@@FEED' "$tmp/d/feed.log")" = $((sent + 1)) ]
tap_ok $? a_silent_guest_is_sent_everything_again \
	"d: $(problem d); resent: $(cat "$tmp/d/resent" 2>/dev/null)"

# m never answers: fed 4 times in all, then stopped, saying where it was
PATIENCE=1 run 6 2 m:mute e:ready
[ "$(problem m)" = "guest timed out after 6 s of work, after it was sent the others' streams, which it never began to load" ] &&
	[ "$(cat "$tmp/m/resent" 2>/dev/null)" = 3 ] &&
	[ "$(grep -c '^@@RUN' "$tmp/m/feed.log")" = 4 ] && [ -z "$(problem e)" ]
tap_ok $? a_mute_guest_is_fed_4_times_then_stopped \
	"m: $(problem m); resent: $(cat "$tmp/m/resent" 2>/dev/null)"

# TERM to the whole process group of a runner (a CI job cancelled) kills
# its boot jobs before the runner can stop their guests, which run in
# process groups of their own: they must die with their jobs
# shellcheck disable=SC2016
setsid bash -c '
	echo "mock hang /dev/null $2/k t1 later" |
		"$1/vm/guests.py" boot --jobs 1 --timeout 60 --qboot /nonexistent
' sh "$here" "$tmp" >/dev/null 2>&1 &
group=$!
for _ in $(seq 100); do
	[ -p "$tmp/k/serial.in" ] && break
	sleep 0.1
done
sleep 0.5
started=$(pgrep -fc "$tmp/k/")
kill -TERM -- "-$group" 2>/dev/null
left=
for _ in $(seq 50); do
	left=$(pgrep -f "$tmp/k/")
	[ -n "$left" ] || break
	sleep 0.1
done
[ "$started" -gt 0 ] && [ -z "$left" ]
# shellcheck disable=SC2086
tap_ok $? no_guest_outlives_its_runners_process_group \
	"$started processes of the guest before; left running: $(ps -o pid=,args= -p "$(echo ${left:-0} | tr ' ' ,)" 2>/dev/null | tr '\n' ';')"
# shellcheck disable=SC2086
[ -z "$left" ] || kill -KILL $left 2>/dev/null

# the guests that took the most CPU last time boot first, unknown ones
# before all, in the order given
printf 'vtd\t17.40\nmock\t6.80\nsmmuv3\t30.00\n' >"$tmp/cpu.tsv"
got=$("$here/vm/guests.py" order "$tmp/cpu.tsv" mock vtd new smmuv3 other | xargs)
[ "$got" = "new other smmuv3 vtd mock" ]
tap_ok $? the_longest_guests_boot_first "order: $got"

# a guest never booted (here: a bad line beside it) keeps nothing of an
# earlier run that could pass for this one's results
mkdir -p "$tmp/z"
: >"$tmp/z/problem"
echo 0 >"$tmp/z/t1.rc"
printf 'mock ready /dev/null %s t1\nbad line\n' "$tmp/z" |
	"$here/vm/guests.py" boot --qboot /nonexistent 2>"$tmp/z.err"
rc=$?
[ "$rc" = 2 ] && [ "$(cat "$tmp/z/problem")" = "guest was never booted" ] &&
	[ ! -e "$tmp/z/t1.rc" ] && grep -q "bad guest line 'bad line'" "$tmp/z.err"
tap_ok $? an_unbooted_guest_leaves_no_old_results \
	"exit $rc; problem: $(cat "$tmp/z/problem"); $(cat "$tmp/z.err")"
tap_exit
