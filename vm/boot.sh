# SPDX-License-Identifier: GPL-2.0
#
# Boot one topology's guest under QEMU and split what it printed.
# Sourced by run_tests.sh after vm/topologies.sh.

QBOOT=/usr/share/qemu/qboot.rom

# Console lines that mean the guest kernel itself went wrong.
GUEST_TROUBLE='Kernel panic|Oops|BUG:|WARNING:|KASAN:|general protection fault|watchdog: BUG|hung_task'

# boot_guest TOPOLOGY KERNEL INITRD DIR TIMEOUT [TESTS [LATER]]
# Writes DIR/console.log and DIR/serial.out (the test port; the runner
# writes to it through the FIFO DIR/serial.in), then DIR/NAME.out and
# DIR/NAME.rc for each @@BEGIN/@@END block.  TESTS (default: the
# topology's) are run in order; with LATER the guest then waits for the
# runner (boot_all) and runs those.  Sets GUEST_PROBLEM to a reason when
# the guest failed as a whole, and GUEST_KERNEL to its release; DIR/cpu
# holds QEMU's "wall user system" seconds.  arm64 topologies run
# $QEMU_AARCH64 (and $AARCH64_EFI for UEFI), which the runner fetched.
boot_guest()
{
	local topo=$1 kernel=$2 initrd=$3 dir=$4 timeout=$5 rc=0 tests
	local append qemu=qemu-system-x86_64 console=ttyS0 out=ttyS1 fw=()
	local later=${7:-} TIMEFORMAT='%R %U %S'

	tests=$(echo "${6:-$(topology_tests "$topo")}" | tr ' ' ,)
	if [ "$(topology_arch "$topo")" = arm64 ]; then
		# virt's PL011s: the second one appears with a second -serial
		qemu=$QEMU_AARCH64 console=ttyAMA0 out=ttyAMA1
		[ "$(topology_firmware "$topo")" != uefi-iort ] ||
			fw=(-bios "$AARCH64_EFI")
	elif [ -f "$QBOOT" ]; then
		# qboot (Debian's QEMU ships it): a minimal firmware, faster
		# than SeaBIOS to hand over to the kernel
		fw=(-bios "$QBOOT")
	fi
	# no_timer_check: a TCG guest on a loaded host can fail the IO-APIC
	# timer check and panic before any test runs
	append="console=$console loglevel=5 panic=-1 no_timer_check nest_out=$out nest_run=$tests${later:+ nest_later=1} $(topology_cmdline "$topo") ${GUEST_CMDLINE_EXTRA:-}"
	GUEST_PROBLEM=
	rm -f "$dir"/*.out "$dir"/*.rc "$dir/serial.in" "$dir/timed-out" \
		"$dir/resent" "$dir/resent-why" "$dir/ready-at" "$dir/fed-at"
	mkdir -p "$dir"
	# QEMU's pipe backend: it reads serial.in (a FIFO it opens read-write,
	# so never blocks) and appends to serial.out (a plain file)
	: >"$dir/serial.out"
	mkfifo "$dir/serial.in"
	# the guest dies with this job, even when a signal to the runner's
	# whole process group kills the job first (timeout runs in a group
	# of its own): setpriv's parent-death signals
	# shellcheck disable=SC2046
	{ time setpriv --pdeathsig TERM timeout -k 5 "$timeout" \
		setpriv --pdeathsig KILL "$qemu" -accel tcg "${fw[@]}" \
		$(topology_qemu_args "$topo") \
		-display none -monitor none -nic none -no-reboot \
		-serial "file:$dir/console.log" \
		-chardev "pipe,id=nestio,path=$dir/serial" -serial chardev:nestio \
		-kernel "$kernel" -initrd "$initrd" -append "$append" \
		</dev/null >"$dir/qemu.log" 2>&1 || rc=$?; } 2>"$dir/cpu"
	rm -f "$dir/serial.in"
	tr -d '\r' <"$dir/serial.out" >"$dir/serial.txt" 2>/dev/null || :
	split_serial "$dir"
	GUEST_KERNEL=$(sed -n 's/^@@KERNEL //p' "$dir/serial.txt" | head -n 1)
	if [ -f "$dir/timed-out" ]; then
		GUEST_PROBLEM="guest timed out after $(timed_out "$dir")"
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		GUEST_PROBLEM="guest timed out after ${timeout} s"
	elif grep -qE "$GUEST_TROUBLE" "$dir/console.log" 2>/dev/null; then
		GUEST_PROBLEM="guest kernel: $(grep -m1 -E "$GUEST_TROUBLE" "$dir/console.log" | tr -d '\r')"
	elif [ "$rc" != 0 ]; then
		GUEST_PROBLEM="qemu exited with status $rc: $(tail -n 1 "$dir/qemu.log")"
	elif ! grep -q '^@@DONE' "$dir/serial.txt"; then
		GUEST_PROBLEM="guest stopped before its tests finished"
	fi
}

# timed_out DIR: boot_all's record of a guest it stopped: the seconds
# of work it was given, and where it was, when it had LATER tests
timed_out()
{
	local secs state where=

	read -r secs state <"$1/timed-out"
	case $state in
	tests) where="before it was ready to load the others' streams" ;;
	fed) where="after it was sent the others' streams, which it never began to load" ;;
	loading) where="while it loaded the others' streams" ;;
	esac
	echo "$secs s of work${where:+, $where}"
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

# guest_phases DIR: seconds of the guest that ran in DIR, as "wall boot
# tests wait later firmware cpu": kernel boot (until init), its tests,
# idle at boot_all's barrier, the LATER tests, QEMU and firmware (the
# wall time the kernel did not see), and QEMU's user + system CPU time.
# The wait is the runner's own clock (ready-at, fed-at); the rest is the
# guest's uptime, which a TCG guest on a loaded host may keep badly (its
# TSC calibration can fail): if its phases exceed the wall time, they
# are scaled down to fit.
guest_phases()
{
	local ready=0 fed=0

	[ -f "$1/ready-at" ] && read -r ready <"$1/ready-at"
	[ -f "$1/fed-at" ] && read -r fed <"$1/fed-at"
	awk -v ready="$ready" -v fed="$fed" '
	FILENAME ~ /wall$/ { wall = $2 - $1; next }
	FILENAME ~ /cpu$/ { cpu = $2 + $3; next }
	$1 == "@@UPTIME" { t[$2] = $3 }
	function pos(v) { return v < 0 ? 0 : v }
	END {
		# cut short: the rest of the wall time counts as its tests
		if (!("start" in t))
			t["start"] = 0
		if (!("end" in t))
			t["end"] = t["wait"] = t["go"] = wall
		if (!("wait" in t))
			t["wait"] = t["end"]
		if (!("go" in t))
			t["go"] = t["wait"]
		boot = pos(t["start"])
		tests = pos(t["wait"] - t["start"])
		later = pos(t["end"] - t["go"])
		wait = (ready && fed) ? pos(fed - ready) : pos(t["go"] - t["wait"])
		busy = boot + tests + later
		if (busy + wait > wall && busy > 0) {
			k = pos(wall - wait) / busy
			boot *= k; tests *= k; later *= k
		}
		printf "%.2f %.2f %.2f %.2f %.2f %.2f %.2f\n", wall, boot, tests,
			wait, later, pos(wall - boot - tests - wait - later), cpu
	}' "$1/wall" "$1/cpu" "$1/serial.txt"
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
	# where a stopped guest was, in the runner's protocol
	[ ! -f "$1/timed-out" ] ||
		tail -n 3 "$1/serial.txt" 2>/dev/null | sed 's/^/# test port: /'
}

# boot_job TOPOLOGY KERNEL INITRD DIR TESTS TIMEOUT LATER [WHAT]:
# boot_guest, its outcome kept in DIR (problem, kernel, wall) for the
# parent to read.
boot_job()
{
	local start=$SECONDS t0 t1 dir=$4

	t0=$(date +%s.%N)
	boot_guest "$1" "$2" "$3" "$dir" "$6" "$5" "$7"
	t1=$(date +%s.%N)
	printf '%s' "$GUEST_PROBLEM" >"$dir/problem"
	printf '%s' "$GUEST_KERNEL" >"$dir/kernel"
	echo "$t0 $t1" >"$dir/wall"
	say "$1${8:+ $8} finished in $((SECONDS - start)) s"
}

# boot_feed DIR DIRS...: send the ready guest in DIR what $BOOT_FEED
# prints for it, through its test port.  "@@FEED" first makes the guest
# forget what an earlier, damaged feed left (the empty line before it
# ends a line a lost newline left open).
boot_feed()
{
	local fd

	# read-write: opening never blocks, even if the guest just died
	exec {fd}<>"$1/serial.in" || return
	{ printf '\n@@FEED\n'; "$BOOT_FEED" "$@"; } >&"$fd"
	exec {fd}>&-
}

# How long a fed guest may stay silent, in seconds of work, before it
# is sent everything again: a lost "@@RUN" line would leave it waiting
# for good.  Receiving takes it under a second.
BOOT_PATIENCE=${BOOT_PATIENCE:-30}

# boot_resend I WHY: feed guest I of boot_all again (at most 3 times),
# and keep the count and WHY for its KTAP
boot_resend()
{
	[ "${sends[$1]}" -lt 3 ] || return 0
	sends[$1]=$((sends[$1] + 1))
	fedwork[$1]=0
	say "${dirs[$1]##*/}: $2, sending its streams again"
	echo "${sends[$1]}" >"${dirs[$1]}/resent"
	echo "$2" >>"${dirs[$1]}/resent-why"
	boot_feed "${dirs[$1]}" "${dirs[@]}"
}

# boot_all JOBS TIMEOUT [WHAT]: boot each "TOPOLOGY KERNEL INITRD DIR
# TESTS [LATER]" line of stdin (TESTS and LATER comma-separated), JOBS
# guests at work at a time, each given TIMEOUT seconds of work, and
# wait for all.  A guest with LATER tests says @@READY after TESTS and
# then waits, idle: it counts neither against JOBS nor against its
# TIMEOUT.  Once no guest is at work, $BOOT_FEED DIR DIRS... tells each
# waiting one what to load and run (vm/init's protocol); one that asks
# again (@@AGAIN) or stays silent for $BOOT_PATIENCE s is sent it again.
# A guest that dies or hangs ends alone; the others are fed without it.
boot_all()
{
	local max=$1 timeout=$2 what=${3:-} n=0 i busy queued ready t0 t1 dt
	local topo kernel initrd dir tests later cap line f
	local -a spec state pid used dirs fd part fedwork sends

	while read -r topo kernel initrd dir tests later; do
		spec[n]="$topo $kernel $initrd $dir $tests ${later:-}"
		dirs[n]=$dir
		state[n]=queued
		used[n]=0
		n=$((n + 1))
	done
	t0=${EPOCHREALTIME/./}
	while :; do
		t1=${EPOCHREALTIME/./}
		dt=$((t1 - t0))
		t0=$t1
		busy=0 queued=0 ready=0
		for ((i = 0; i < n; i++)); do
			case ${state[i]} in
			queued)	queued=$((queued + 1)); continue ;;
			ended)	continue ;;
			esac
			if ! kill -0 "${pid[i]}" 2>/dev/null; then
				state[i]=ended
				f=${fd[i]:-}
				[ -z "$f" ] || exec {f}<&-
				continue
			fi
			# the lines it wrote since the last look (no process
			# per look: this loop runs ten times a second)
			while [ "${state[i]}" != ready ] &&
			      [ "${state[i]}" != loading ] && [ -n "${fd[i]:-}" ]; do
				if ! read -r line <&"${fd[i]}"; then
					part[i]+=$line
					break
				fi
				line=${part[i]}$line
				part[i]=
				case ${line%$'\r'} in
				@@READY)
					[ "${state[i]}" != busy ] || {
						state[i]=ready
						echo "$EPOCHREALTIME" >"${dirs[i]}/ready-at"
					} ;;
				"@@AGAIN "*)
					[ "${state[i]}" != fed ] ||
						boot_resend "$i" "they arrived corrupted (${line#@@AGAIN })" ;;
				"@@UPTIME go "*)
					[ "${state[i]}" != fed ] || state[i]=loading ;;
				esac
			done
			if [ "${state[i]}" = ready ]; then
				ready=$((ready + 1))
				continue
			fi
			busy=$((busy + 1))
			used[i]=$((used[i] + dt))
			if [ "${state[i]}" = fed ]; then
				fedwork[i]=$((fedwork[i] + dt))
				[ "${fedwork[i]}" -le $((BOOT_PATIENCE * 1000000)) ] ||
					boot_resend "$i" "no answer in $BOOT_PATIENCE s"
			fi
			if [ "${used[i]}" -gt $((timeout * 1000000)) ]; then
				# where it was: in its tests, fed or loading
				echo "$timeout $([ -z "${spec[i]##* }" ] || echo "${state[i]/busy/tests}")" \
					>"${dirs[i]}/timed-out"
				# shellcheck disable=SC2046
				kill -TERM $(descendants "${pid[i]}") 2>/dev/null
			fi
		done
		for ((i = 0; i < n && busy < max; i++)); do
			[ "${state[i]}" = queued ] || continue
			read -r topo kernel initrd dir tests later <<<"${spec[i]}"
			mkdir -p "$dir"
			# a waiting guest's hard limit leaves room for the others
			cap=$timeout
			[ -z "$later" ] || cap=$((3 * timeout))
			say "booting $topo${what:+ $what} (timeout $timeout s, logs in $dir)"
			rm -f "$dir/serial.out" "$dir/serial.in"
			boot_job "$topo" "$kernel" "$initrd" "$dir" \
				"${tests//,/ }" "$cap" "$later" "$what" </dev/null &
			pid[i]=$!
			state[i]=busy
			fd[i]=
			part[i]=
			fedwork[i]=0
			sends[i]=0
			# boot_guest makes serial.out, then serial.in
			if [ -n "$later" ]; then
				while [ ! -p "$dir/serial.in" ] &&
				      kill -0 "${pid[i]}" 2>/dev/null; do
					sleep 0.01
				done
				# none when the guest failed before it began
				if exec {f}<"$dir/serial.out"; then
					fd[i]=$f
				fi 2>/dev/null
			fi
			busy=$((busy + 1))
			queued=$((queued - 1))
		done
		if [ "$busy" = 0 ] && [ "$queued" = 0 ] && [ "$ready" = 0 ]; then
			break
		fi
		if [ "$busy" = 0 ] && [ "$queued" = 0 ]; then
			say "every guest is ready: sending each what it loads"
			for ((i = 0; i < n; i++)); do
				[ "${state[i]}" = ready ] || continue
				boot_feed "${dirs[i]}" "${dirs[@]}"
				echo "$EPOCHREALTIME" >"${dirs[i]}/fed-at"
				state[i]=fed
			done
		fi
		sleep 0.1
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

# The runner's INT and TERM trap: stop every guest, then exit.
on_interrupt()
{
	echo "[run] interrupted: stopping the guests" >&2
	# shellcheck disable=SC2046
	kill -TERM $(descendants $$) 2>/dev/null
	exit 130
}
