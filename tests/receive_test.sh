#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP: the guest's feed reader (vm/receive) run as vm/init runs it, a
# child of PID 1, in a PID namespace of its own where orphans exit all
# the time (as busybox timeout's watcher does after each L2 QEMU), fed
# lines that arrive in two halves.  Every file must arrive whole.  Run
# as PID 1 itself (RECEIVE_AS_PID1=1), busybox's read loses the first
# half of the lines a SIGCHLD interrupts.
#   tests/receive_test.sh [BUSYBOX]

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
bb=${1:-/bin/busybox}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# shellcheck source=vm/tap.sh
. "$here/vm/tap.sh"

echo "TAP version 13"
echo "1..1"
name=receive_as_a_child_of_pid_1_survives_orphans
if ! "$bb" sh -c 'exit 0' 2>/dev/null; then
	tap_skip "$name" "no busybox at $bb"
	tap_exit
fi
if ! unshare --fork --pid --mount-proc true 2>/dev/null; then
	tap_skip "$name" "cannot make a PID namespace here (unshare needs root)"
	tap_exit
fi
mkdir "$tmp/in" "$tmp/want"
mkfifo "$tmp/port"
# 40 files of 200 hex digits, their sums as the runner sends them
for i in $(seq 1 40); do
	head -c 100 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$tmp/want/f$i"
	echo >>"$tmp/want/f$i"
done
# PID 1 in the namespace: keeps orphans coming, and runs the reader
# (vm/init's way unless RECEIVE_AS_PID1 is set)
# shellcheck disable=SC2016
RECEIVE_DIR=$tmp/in unshare --fork --pid --mount-proc "$bb" sh -c '
	bb=$1 receive=$2 port=$3
	( while :; do ( "$bb" sleep 0.001 & ); done ) &
	if [ -n "${RECEIVE_AS_PID1:-}" ]; then
		exec "$bb" sh "$receive" "$port"
	fi
	run=$("$bb" sh "$receive" "$port")
	echo "$run"
' sh "$bb" "$here/vm/receive" "$tmp/port" >"$tmp/out" 3>"$tmp/again" \
	2>"$tmp/err" &
pid=$!
# each line in two writes, 10 ms apart: the reader waits mid-line
{
	echo "@@FEED"
	for i in $(seq 1 40); do
		line=$(cat "$tmp/want/f$i")
		echo "@@FILE f$i"
		printf '%s' "${line:0:100}"
		sleep 0.01
		printf '%s\n' "${line:100}"
	done
	(cd "$tmp/want" && md5sum -- *) | sed 's/^\([0-9a-f]*\)  /@@SUM \1 /'
	echo "@@RUN later"
} >"$tmp/port"
# the reader's namespace ends with it (its PID 1 exits)
wait "$pid"
ok=0
[ "$(cat "$tmp/out")" = later ] && [ ! -s "$tmp/again" ] || ok=1
tap_ok $ok "$name" \
	"printed '$(cat "$tmp/out")', asked again: $(head -c 300 "$tmp/again")"
tap_exit
