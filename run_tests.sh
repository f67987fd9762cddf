#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run iommufd-nest and print KTAP: the model's unit tests on this host,
# then the iommufd suite on this host's /dev/iommu or in QEMU guests.
# Progress goes to stderr, KTAP to stdout, the last line is the totals.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=vm/topologies.sh
. "$here/vm/topologies.sh"
# shellcheck source=vm/procs.sh
. "$here/vm/procs.sh"
# shellcheck source=vm/bench.sh
. "$here/vm/bench.sh"

usage()
{
	cat <<EOF
usage: $0 [--vm | --host] [options]
       $0 --device BDF [--device BDF]... [--force] [options]
       $0 --report [--json] [--device BDF]... --viommu CONFIG...
       $0 --restore
       $0 --bench [--topology NAME]... [--kdir A [--compare-kdir B]]

  --vm              run the suite in QEMU guests (TCG) with a kernel built
                    from --kdir; the default when there is no /dev/iommu
  --host            run the suite on this host's /dev/iommu (as root)
  --topology NAME   guest to boot, repeatable: all (default) or one of:
$(for t in $(topology_names); do printf '                      %-14s %s\n' "$t" "$(topology_describe "$t")"; done)
  --kdir DIR        kernel tree to build the tests against and, with --vm,
                    to build and boot (default: Debian's linux-source-6.12,
                    unpacked into ${XDG_CACHE_HOME:-\$HOME/.cache}/iommufd-nest)
  --kernel next     instead of --kdir: Debian's newer tree (linux-source-7.2
                    from trixie-backports, with the vIOMMU object uAPI),
                    downloaded once into the same cache
  --boot-kdir DIR    with --vm: boot a kernel built from DIR while the
                    tests build against --kdir's headers (newer headers
                    on an older kernel: what it lacks must SKIP)
  --migrate         with --vm: also save a migration stream per vIOMMU
                    config in each topology and load it in every other
                    one (needs two or more topologies); prints the matrix
  --timeout SEC     hard limit for each guest (default 300)
  --junit FILE      also write the results as JUnit XML to FILE (checked
                    by parsing it back with xmllint)
  --jobs N          guests to boot at once (default: the number of CPUs)
  --gcov            boot kernels with gcov counters for the nesting code
                    (vm/gcov.config; the tree's Makefiles must say
                    GCOV_PROFILE, as vm/coverage.py's copy does) and dump
                    them after each guest's tests (make coverage)
  --kasan           boot a kernel built with KASAN (cached separately) and
                    with panic_on_warn: any KASAN report or WARN fails
  --bench           run nest_bench in guests (default topologies:
                    mock and vtd), one at a time; exit 1 if engine/bare
                    is above $(bench_limit)
  --compare-kdir B  with --bench: also boot a kernel built from tree B and
                    print B / A per operation, A being --kdir
  --rounds N        interleaved rounds of A and B (default 3)
  --timings         end with a summary of where the time went
  --no-unit         skip the model's unit tests
  -h, --help        this text

Exit status: 0 all passed, 1 something failed, 2 bad usage, 4 all skipped.
EOF
}

# The INT and TERM trap: stop every guest, then exit.
on_interrupt()
{
	say "interrupted: stopping the guests"
	# shellcheck disable=SC2046
	kill -TERM $(descendants $$) 2>/dev/null
	exit 130
}

die_usage()
{
	echo "error: $*" >&2
	exit 2
}

say()
{
	echo "[run] $*" >&2
}

mode=
topos=
kdir=
kernel_name=stable
timeout=300
unit=1
report=0
report_args=()
devices=()
force=
restore=0
migrate=0
jobs_max=$(nproc 2>/dev/null || echo 1)
timings=0
kasan=0
gcov=0
bench=0
kdir_b=
boot_kdir=
rounds=3

all_args=("$@")
junit=
while [ $# -gt 0 ]; do
	case "$1" in
	--junit)	[ $# -ge 2 ] || die_usage "--junit needs a FILE"
			junit=$2; shift ;;
	--junit=*)	junit=${1#*=} ;;
	--vm)		mode=vm ;;
	--host)		mode=host ;;
	--topology)	[ $# -ge 2 ] || die_usage "--topology needs a NAME"
			topos="$topos $2"; shift ;;
	--topology=*)	topos="$topos ${1#*=}" ;;
	--kdir)		[ $# -ge 2 ] || die_usage "--kdir needs a DIR"
			kdir=$2; shift ;;
	--kdir=*)	kdir=${1#*=} ;;
	--kernel)	[ $# -ge 2 ] || die_usage "--kernel needs stable or next"
			kernel_name=$2; shift ;;
	--kernel=*)	kernel_name=${1#*=} ;;
	--timeout)	[ $# -ge 2 ] || die_usage "--timeout needs seconds"
			timeout=$2; shift ;;
	--no-unit)	unit=0 ;;
	--migrate)	migrate=1 ;;
	--timings)	timings=1 ;;
	--kasan)	kasan=1 ;;
	--gcov)		gcov=1 ;;
	--bench)	bench=1 ;;
	--boot-kdir)	[ $# -ge 2 ] || die_usage "--boot-kdir needs a DIR"
			boot_kdir=$2; shift ;;
	--boot-kdir=*)	boot_kdir=${1#*=} ;;
	--compare-kdir)	[ $# -ge 2 ] || die_usage "--compare-kdir needs a DIR"
			kdir_b=$2; shift ;;
	--compare-kdir=*) kdir_b=${1#*=} ;;
	--rounds)	[ $# -ge 2 ] || die_usage "--rounds needs a number"
			rounds=$2; shift ;;
	--jobs)		[ $# -ge 2 ] || die_usage "--jobs needs a number"
			jobs_max=$2; shift ;;
	--jobs=*)	jobs_max=${1#*=} ;;
	--report)	report=1 ;;
	--device)	[ $# -ge 2 ] || die_usage "--device needs a BDF"
			devices+=("$2"); shift ;;
	--device=*)	devices+=("${1#*=}") ;;
	--force)	force=--force ;;
	--restore)	restore=1 ;;
	--json)		report_args+=(--json) ;;
	--viommu)	[ $# -ge 2 ] || die_usage "--viommu needs a CONFIG"
			report_args+=(--viommu "$2"); shift ;;
	--viommu=*)	report_args+=(--viommu "${1#*=}") ;;
	-h|--help)	usage; exit 0 ;;
	*)		die_usage "unknown option '$1' (see --help)" ;;
	esac
	shift
done

# --junit: run as usual, keeping the KTAP, then convert and check it.
if [ -n "$junit" ]; then
	( : >"$junit" ) 2>/dev/null || die_usage "--junit $junit: cannot write there"
	rest=()
	skip=0
	for a in "${all_args[@]}"; do
		if [ "$skip" = 1 ]; then
			skip=0
		elif [ "$a" = --junit ]; then
			skip=1
		elif [ "${a#--junit=}" = "$a" ]; then
			rest+=("$a")
		fi
	done
	run_out=$(mktemp)
	trap 'rm -f "$run_out"' EXIT
	"$0" "${rest[@]}" | tee "$run_out"
	rc=${PIPESTATUS[0]}
	"$here/vm/ktap.py" junit "$run_out" "$junit" || exit 1
	want=$(sed -n 's/^totals: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$run_out" | awk '{ print $1 + $2 + $3 }')
	got=$(xmllint --xpath 'count(//testcase)' "$junit" 2>/dev/null) ||
		{ echo "error: $junit does not parse as XML" >&2; exit 1; }
	[ "$got" = "${want:-0}" ] ||
		{ echo "error: $junit has $got testcases, the KTAP totals say ${want:-0}" >&2; exit 1; }
	say "JUnit XML: $junit ($got testcases)"
	exit "$rc"
fi

if [ -n "${IOMMUFD_NEST_BDF:-}" ]; then
	IFS=, read -r -a env_bdfs <<<"$IOMMUFD_NEST_BDF"
	devices+=("${env_bdfs[@]}")
fi
bdf_re='^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[01][0-9a-fA-F]\.[0-7]$'
for b in "${devices[@]}"; do
	[[ "$b" =~ $bdf_re ]] ||
		die_usage "bad BDF '$b': expected DDDD:BB:DD.F (hex domain, bus, device <= 1f, function <= 7)"
done
device_args=()
for b in "${devices[@]}"; do
	device_args+=(--device "$b")
done

# host_tool NAME: build one host binary against the default tree, print it
host_tool()
{
	"$here/vm/kernel.sh" deps build >&2 || exit 1
	[ -n "$kdir" ] || kdir=$("$here/vm/kernel.sh" source "$kernel_name") ||
		exit 1
	make -s -C "$here" KDIR="$kdir" OUTPUT="$here/build/host" \
		"$here/build/host/$1" >&2 ||
		{ echo "error: cannot build $1" >&2; exit 1; }
	echo "$here/build/host/$1"
}

if [ "$restore" = 1 ]; then
	exec "$(host_tool nest_bind)" restore
fi
if [ "$report" = 1 ]; then
	tool=$(host_tool nest_report)
	[ ${#devices[@]} -eq 0 ] && exec "$tool" "${report_args[@]}"
	exec "$(host_tool nest_bind)" $force run "${device_args[@]}" -- \
		"$tool" "${device_args[@]}" "${report_args[@]}"
fi
[ ${#report_args[@]} -eq 0 ] || die_usage "--viommu and --json go with --report"
if [ ${#devices[@]} -gt 0 ]; then
	[ "${mode:-host}" = host ] ||
		die_usage "--device runs on this host's IOMMU; it does not go with --vm"
	mode=host
fi

case "$timeout" in
''|*[!0-9]*|0) die_usage "--timeout '$timeout': expected a positive number of seconds" ;;
esac
case "$jobs_max" in
''|*[!0-9]*|0) die_usage "--jobs '$jobs_max': expected a positive number of guests" ;;
esac
case "${BOOT_PATIENCE:-30}" in
''|*[!0-9]*|0) die_usage "BOOT_PATIENCE '${BOOT_PATIENCE:-}': expected a positive number of seconds" ;;
esac
case "$rounds" in
''|*[!0-9]*|0) die_usage "--rounds '$rounds': expected a positive number" ;;
esac
if [ "$bench" = 1 ]; then
	[ "$mode" != host ] && [ ${#devices[@]} -eq 0 ] && [ "$migrate" = 0 ] ||
		die_usage "--bench runs in QEMU guests: not with --host, --device or --migrate"
	[ "$kasan" = 0 ] && [ "$gcov" = 0 ] ||
		die_usage "--bench measures the kernel's speed: not with --kasan or --gcov, which slow it"
	mode=vm
	topos=${topos:-mock vtd}
elif [ -n "$kdir_b" ]; then
	die_usage "--compare-kdir goes with --bench"
fi
selected=
for t in ${topos:-all}; do
	if [ "$t" = all ]; then
		selected="$selected $(topology_names all)"
	elif topology_exists "$t"; then
		selected="$selected $t"
	else
		die_usage "unknown topology '$t': expected all or one of: $(topology_names)"
	fi
done
# the arm64 guests (smmuv3*) need their own kernel, tests and QEMU
selected_x86=
selected_arm64=
for t in $selected; do
	if [ "$(topology_arch "$t")" = arm64 ]; then
		selected_arm64="$selected_arm64 $t"
	else
		selected_x86="$selected_x86 $t"
	fi
done
# migration streams go between every two guests, x86 and arm64 alike
if [ "$migrate" = 1 ]; then
	[ "$mode" != host ] && [ ${#devices[@]} -eq 0 ] ||
		die_usage "--migrate runs between QEMU guests: it goes with --vm, not --host or --device"
	mode=vm
	[ "$(echo $selected | wc -w)" -ge 2 ] ||
		die_usage "--migrate needs two or more topologies, got:$selected"
fi
[ "$bench" = 0 ] || [ -z "$selected_arm64" ] ||
	die_usage "--bench runs in x86 guests, not in:$selected_arm64"
# kernel_tree OPTION DIR: DIR made absolute, or a usage error
kernel_tree()
{
	[ -f "$2/Makefile" ] && [ -d "$2/include/uapi" ] ||
		die_usage "$1 $2: not a kernel source tree (expected Makefile and include/uapi)"
	cd "$2" && pwd
}
case "$kernel_name" in
stable|next) ;;
*)	die_usage "--kernel $kernel_name: expected stable (Debian's 6.12) or next (the newer tree from trixie-backports)" ;;
esac
[ -z "$kdir" ] || [ "$kernel_name" = stable ] ||
	die_usage "--kdir and --kernel both name the tree; give one"
[ -z "$kdir" ] || kdir=$(kernel_tree --kdir "$kdir") || exit 2
[ -z "$kdir_b" ] || kdir_b=$(kernel_tree --compare-kdir "$kdir_b") || exit 2
[ -z "$boot_kdir" ] || boot_kdir=$(kernel_tree --boot-kdir "$boot_kdir") ||
	exit 2
if [ -z "$mode" ]; then
	if [ -c /dev/iommu ]; then
		mode=host
	else
		say "no /dev/iommu on this host: running in QEMU guests (--vm)"
		mode=vm
	fi
fi
[ -n "$boot_kdir" ] && [ "$mode" != vm ] &&
	die_usage "--boot-kdir goes with --vm"
[ "$mode" = host ] && [ ! -c /dev/iommu ] &&
	die_usage "there is no /dev/iommu on this host (kernel without CONFIG_IOMMUFD): --host and --device need one; use --vm"

build_dir=$here/build
fail_setup()
{
	echo "error: $*" >&2
	exit 1
}

"$here/vm/kernel.sh" deps "$([ "$mode" = vm ] && echo vm || echo build)" ||
	fail_setup "cannot install the packages this run needs"
if [ -z "$kdir" ]; then
	kdir=$("$here/vm/kernel.sh" source "$kernel_name") ||
		fail_setup "no kernel source"
fi
# seconds between two date +%s.%N stamps
elapsed()
{
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

# what each phase took, one "NAME<TAB>SECONDS" per line, rewritten by
# every run: build, unit tests, each guest's phases and tests
timings_file=$build_dir/timings.tsv
guest_cpu_file=$build_dir/guest-cpu.tsv
# what the runner probed of this host, for vm/required
host_probes=$build_dir/host.probes
mkdir -p "$build_dir"
: >"$timings_file"
: >"$host_probes"
t0=$SECONDS
run_start=$(date +%s.%N)
# what vm/images.sh built: the host's tests in IMAGE[host-dir]; for each
# topology's guest KERNEL[t] and INITRD[t], or SKIP[t], the reason it
# cannot boot here; IMAGE[key] for the rest of what it says
declare -A KERNEL INITRD SKIP IMAGE
images_args=(--kdir "$kdir" --build-dir "$build_dir" --probes "$host_probes")
[ "$unit" = 0 ] || images_args+=(--unit)
[ "$mode" != host ] || images_args+=(--host)
[ -z "$boot_kdir" ] || images_args+=(--boot-kdir "$boot_kdir")
[ -z "$kdir_b" ] || images_args+=(--compare-kdir "$kdir_b")
[ "$gcov" = 0 ] || images_args+=(--gcov)
[ "$kasan" = 0 ] || images_args+=(--kasan)
[ "$mode" = vm ] || selected=
# in the background: a signal stops the build (and a guest it boots) at once
trap on_interrupt INT TERM
# shellcheck disable=SC2086
"$here/vm/images.sh" "${images_args[@]}" $selected >"$build_dir/images.txt" &
wait $! || exit 1
while read -r key t rest; do
	case $key in
	guest)	KERNEL[$t]=${rest%% *} INITRD[$t]=${rest#* } ;;
	skip)	SKIP[$t]=$rest ;;
	?*)	IMAGE[$key]="$t${rest:+ $rest}" ;;
	esac
done <"$build_dir/images.txt"
host_dir=${IMAGE[host-dir]:-}
say "build done in $((SECONDS - t0)) s"
build_end=$(date +%s.%N)

if [ "$bench" = 1 ]; then
	trap on_interrupt INT TERM
	# shellcheck disable=SC2086
	if [ -n "$kdir_b" ]; then
		bench_compare "$build_dir/bench" "$rounds" "${IMAGE[initrd]}" \
			"$timeout" "${IMAGE[kernel]}" "$kdir" "${IMAGE[kernel-b]}" \
			"$kdir_b" $selected
	else
		bench_run "$build_dir/bench" "${IMAGE[kernel]}" "${IMAGE[initrd]}" \
			"$timeout" $selected
	fi
	exit
fi

# Groups at the top level: the unit tests, then host or each topology.
groups=0
[ "$unit" = 1 ] && groups=1
if [ "$mode" = host ]; then
	groups=$((groups + 1))
else
	groups=$((groups + $(echo "$selected" | wc -w) + migrate))
fi

# timing NAME SECONDS: one line of build/timings.tsv (vm/suite_bench.sh)
timing()
{
	printf '%s\t%s\n' "$1" "$2" >>"$timings_file"
}

run_unit()
{
	nr=$((nr + 1))
	"$here/vm/groups.sh" --probes "$host_probes" --timings "$timings_file" \
		unit "$host_dir" "$kdir" | "$here/vm/ktap.py" group "$nr" unit
}

run_host()
{
	nr=$((nr + 1))
	# shellcheck disable=SC2086
	"$here/vm/groups.sh" --probes "$host_probes" --timings "$timings_file" \
		host "$host_dir" $force "${devices[@]}" |
		"$here/vm/ktap.py" group "$nr" host
}

# The tests a topology's guest runs: with --migrate, its streams are
# saved first, so that the others wait the least for them; with --gcov,
# the coverage counters are dumped last
guest_tests()
{
	echo "$([ "$migrate" = 1 ] && echo "migrate_save ")$(topology_tests "$1")$([ "$gcov" = 0 ] || echo " gcov_dump")"
}

# What it runs once every guest is ready: with --migrate, it loads the
# others' streams (vm/guests.py boot)
guest_later()
{
	[ "$migrate" = 0 ] || echo migrate_load
}

# The KTAP of one topology whose guest has run (vm/guests.py boot).
run_topology()
{
	local topo=$1 dir=$build_dir/vm/$1 problem=

	nr=$((nr + 1))
	# what an earlier run left is not this run's
	if [ -z "${SKIP[$topo]:-}" ]; then
		problem="guest was never booted"
		[ ! "$dir/problem" -nt "$build_end_file" ] ||
			problem=$(cat "$dir/problem")
	fi
	"$here/vm/groups.sh" --probes "$host_probes" topology "$topo" "$dir" \
		"${SKIP[$topo]:-}" |
		"$here/vm/ktap.py" group --problem "$problem" "$nr" "$topo"
}

trap on_interrupt INT TERM
build_end_file=$build_dir/.build-end
touch "$build_end_file"

# run_suite: the KTAP of every group; the totals are counted from it
run_suite()
{
	local nr=0 t hosts=()
	# what vm/guests.py boot needs beyond its guests
	local opts=(--qemu-aarch64 "${IMAGE[qemu-aarch64]:-}"
		    --efi "${IMAGE[efi]:-}" --append "${IMAGE[append]:-}"
		    --patience "${BOOT_PATIENCE:-30}")

	echo "KTAP version 1"
	echo "1..$groups"
	if [ "$mode" = host ]; then
		[ "$unit" = 1 ] && run_unit
		run_host
	else
		# the guests boot while the unit tests run here, the longest first
		# (by the last run's guest CPU time): the last to start must not be
		# a long one, with the others waiting for it at the barrier
		# shellcheck disable=SC2086
		for topo in $("$here/vm/guests.py" order "$guest_cpu_file" $selected); do
			[ -z "${SKIP[$topo]:-}" ] || continue
			echo "$topo ${KERNEL[$topo]:-none} ${INITRD[$topo]:-none} $build_dir/vm/$topo $(guest_tests "$topo" | tr ' ' ,) $(guest_later)"
		done | "$here/vm/guests.py" boot --jobs "$jobs_max" \
			--timeout "$timeout" "${opts[@]}" &
		boots=$!
		unit_start=$(date +%s.%N)
		[ "$unit" = 1 ] && run_unit
		unit_secs=$(elapsed "$unit_start" "$(date +%s.%N)")
		wait "$boots"
		for topo in $selected; do
			run_topology "$topo"
		done
		if [ "$migrate" = 1 ]; then
			# x86 hosts first, then arm64 ones, those that SKIP left out
			for t in $selected_x86 $selected_arm64; do
				[ -n "${SKIP[$t]:-}" ] || hosts+=("$t")
			done
			nr=$((nr + 1))
			"$here/vm/guests.py" matrix "$build_dir/vm" "${hosts[@]}" |
				"$here/vm/ktap.py" group "$nr" migration
		fi
	fi
	if [ "$mode" = vm ]; then
		timing build "$(elapsed "$run_start" "$build_end")"
		timing unit "${unit_secs:-0}"
		"$here/vm/guests.py" timings "$build_dir/vm" "$build_end_file" \
			"$guest_cpu_file" >>"$timings_file"
		timing total "$(elapsed "$run_start" "$(date +%s.%N)")"
		# --timings: where the time went, as KTAP diagnostics
		[ "$timings" = 0 ] || {
			echo "# timings: build $(elapsed "$run_start" "$build_end") s, unit tests ${unit_secs:-0} s (alongside the guests), total $(elapsed "$run_start" "$(date +%s.%N)") s"
			"$here/vm/guests.py" summary "$timings_file"
		}
	fi
}

run_ktap=$build_dir/run.ktap
# in the background: a signal runs the trap at once, not after the suite
run_suite | tee "$run_ktap" &
wait $!
"$here/vm/ktap.py" totals "$run_ktap"
