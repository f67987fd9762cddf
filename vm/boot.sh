# SPDX-License-Identifier: GPL-2.0
#
# Boot one topology's guest under QEMU and split what it printed.
# Sourced by run_tests.sh after vm/topologies.sh.

# Console lines that mean the guest kernel itself went wrong.
GUEST_TROUBLE='Kernel panic|Oops|BUG:|WARNING:|KASAN:|general protection fault|watchdog: BUG|hung_task'

# boot_guest TOPOLOGY KERNEL INITRD DIR TIMEOUT [TESTS]
# Writes DIR/console.log and DIR/serial.log, then DIR/NAME.out and
# DIR/NAME.rc for each @@BEGIN/@@END block.  TESTS (default: the
# topology's) are run in order.  Sets GUEST_PROBLEM to a reason when the
# guest failed as a whole, and GUEST_KERNEL to its release.  arm64
# topologies run $QEMU_AARCH64 (and $AARCH64_EFI for UEFI), which the
# runner fetched.
boot_guest()
{
	local topo=$1 kernel=$2 initrd=$3 dir=$4 timeout=$5 rc=0 tests
	local append qemu=qemu-system-x86_64 console=ttyS0 out=ttyS1 fw=()

	tests=$(echo "${6:-$(topology_tests "$topo")}" | tr ' ' ,)
	if [ "$(topology_arch "$topo")" = arm64 ]; then
		# virt's PL011s: the second one appears with a second -serial
		qemu=$QEMU_AARCH64 console=ttyAMA0 out=ttyAMA1
		[ "$(topology_firmware "$topo")" != uefi-iort ] ||
			fw=(-bios "$AARCH64_EFI")
	fi
	# no_timer_check: a TCG guest on a loaded host can fail the IO-APIC
	# timer check and panic before any test runs
	append="console=$console loglevel=5 panic=-1 no_timer_check nest_out=$out nest_run=$tests $(topology_cmdline "$topo") ${GUEST_CMDLINE_EXTRA:-}"
	GUEST_PROBLEM=
	rm -f "$dir"/*.out "$dir"/*.rc
	mkdir -p "$dir"
	# shellcheck disable=SC2046
	timeout -k 5 "$timeout" "$qemu" -accel tcg "${fw[@]}" \
		$(topology_qemu_args "$topo") \
		-display none -monitor none -nic none -no-reboot \
		-serial "file:$dir/console.log" -serial "file:$dir/serial.log" \
		-kernel "$kernel" -initrd "$initrd" -append "$append" \
		</dev/null >"$dir/qemu.log" 2>&1 || rc=$?
	tr -d '\r' <"$dir/serial.log" >"$dir/serial.txt" 2>/dev/null || :
	split_serial "$dir"
	GUEST_KERNEL=$(sed -n 's/^@@KERNEL //p' "$dir/serial.txt" | head -n 1)
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		GUEST_PROBLEM="guest timed out after ${timeout} s"
	elif grep -qE "$GUEST_TROUBLE" "$dir/console.log" 2>/dev/null; then
		GUEST_PROBLEM="guest kernel: $(grep -m1 -E "$GUEST_TROUBLE" "$dir/console.log" | tr -d '\r')"
	elif [ "$rc" != 0 ]; then
		GUEST_PROBLEM="qemu exited with status $rc: $(tail -n 1 "$dir/qemu.log")"
	elif ! grep -q '^@@DONE' "$dir/serial.txt"; then
		GUEST_PROBLEM="guest stopped before its tests finished"
	fi
}

# One DIR/NAME.out per @@BEGIN NAME ... @@END NAME rc=N block.
split_serial()
{
	awk -v dir="$1" '
	/^@@BEGIN / { name = $2; out = dir "/" name ".out"; printf "" > out; next }
	/^@@END / { split($3, a, "="); print a[2] > (dir "/" $2 ".rc"); name = ""; next }
	name != "" { print > out }
	' "$1/serial.txt"
}

# Console lines around the first sign of trouble, as KTAP diagnostics.
guest_excerpt()
{
	local log=$1/console.log n

	n=$(grep -n -m1 -E "$GUEST_TROUBLE" "$log" 2>/dev/null | cut -d: -f1)
	if [ -n "$n" ]; then
		sed -n "$((n > 3 ? n - 3 : 1)),$((n + 20))p" "$log"
	else
		tail -n 15 "$log" 2>/dev/null
	fi | tr -d '\r' | sed 's/^/# console: /'
}

# boot_job TOPOLOGY KERNEL INITRD DIR TESTS TIMEOUT [WHAT]: boot_guest,
# its outcome kept in DIR (problem, kernel, wall) for the parent to read.
boot_job()
{
	local start=$SECONDS t0 t1 dir=$4

	t0=$(date +%s.%N)
	boot_guest "$1" "$2" "$3" "$dir" "$6" "$5"
	t1=$(date +%s.%N)
	printf '%s' "$GUEST_PROBLEM" >"$dir/problem"
	printf '%s' "$GUEST_KERNEL" >"$dir/kernel"
	echo "$t0 $t1" >"$dir/wall"
	say "$1${7:+ $7} finished in $((SECONDS - start)) s"
}

# boot_all JOBS TIMEOUT [WHAT]: boot each "TOPOLOGY KERNEL INITRD DIR
# TESTS" line of stdin (TESTS comma-separated), JOBS guests at a time,
# each within TIMEOUT seconds, and wait for all.
boot_all()
{
	local max=$1 timeout=$2 what=${3:-} topo kernel initrd dir tests

	while read -r topo kernel initrd dir tests; do
		while [ "$(jobs -rp | wc -l)" -ge "$max" ]; do
			wait -n
		done
		mkdir -p "$dir"
		say "booting $topo${what:+ $what} (timeout $timeout s, logs in $dir)"
		boot_job "$topo" "$kernel" "$initrd" "$dir" "${tests//,/ }" \
			"$timeout" "$what" </dev/null &
	done
	wait
}

# Guest outcome recorded by boot_job: GUEST_PROBLEM and GUEST_KERNEL.
boot_outcome()
{
	GUEST_PROBLEM=$(cat "$1/problem" 2>/dev/null || echo "guest was never booted")
	GUEST_KERNEL=$(cat "$1/kernel" 2>/dev/null)
}

# Every process below PID, deepest first.
descendants()
{
	local f line ppid

	for f in /proc/[0-9]*/stat; do
		read -r line <"$f" 2>/dev/null || continue
		ppid=${line##*) }
		ppid=${ppid#* }
		ppid=${ppid%% *}
		[ "$ppid" = "$1" ] || continue
		f=${f#/proc/}
		descendants "${f%/stat}"
		echo "${f%/stat}"
	done
}

# The runner's INT and TERM trap: stop every guest, then exit.
on_interrupt()
{
	echo "[run] interrupted: stopping the guests" >&2
	# shellcheck disable=SC2046
	kill -TERM $(descendants $$) 2>/dev/null
	exit 130
}
