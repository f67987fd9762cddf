#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The KTAP of one of the runner's groups: its programs' results, each
# judged by vm/ktap.py with the results vm/required makes required.
#
#   vm/groups.sh --probes FILE --timings FILE unit HOSTDIR KDIR
#       the model's unit tests and the command lines, on this host
#   vm/groups.sh --probes FILE --timings FILE host HOSTDIR [--force] [BDF...]
#       the suite on this host's /dev/iommu, BDFs lent to vfio-pci
#   vm/groups.sh --probes FILE topology TOPOLOGY DIR [SKIP]
#       what the topology's guest ran into DIR (vm/guests.py boot), or
#       each of its tests skipped with the reason SKIP
#
# FILE is the runner's probes (vm/required "host"); each program's wall
# time goes to the timings as unit.NAME.  Progress goes to stderr.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=vm/topologies.sh
. "$here/vm/topologies.sh"

say()
{
	echo "[run] $*" >&2
}

usage()
{
	echo "usage: $0 --probes FILE [--timings FILE] unit HOSTDIR KDIR | host HOSTDIR [--force] [BDF...] | topology TOPOLOGY DIR [SKIP]" >&2
	exit 2
}

host_probes=
timings_file=/dev/null
while [ $# -gt 0 ]; do
	case "$1" in
	--probes)	[ $# -ge 2 ] || usage; host_probes=$2; shift ;;
	--timings)	[ $# -ge 2 ] || usage; timings_file=$2; shift ;;
	*)		break ;;
	esac
	shift
done
[ -n "$host_probes" ] && [ $# -ge 1 ] || usage

# seconds between two date +%s.%N stamps
elapsed()
{
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

# timing NAME SECONDS: one line of the timings (vm/suite_bench.sh)
timing()
{
	printf '%s\t%s\n' "$1" "$2" >>"$timings_file"
}

# ktap_program GROUP DIR NUMBER NAME OUT RC [REASON]: a program's TAP
# as subtest NUMBER of GROUP, judged by vm/ktap.py, with the results
# that vm/required's probes (on DIR's files) make required
ktap_program()
{
	"$here/vm/ktap.py" program --indent "  " --number "$3" \
		--reason "${7:-}" \
		--required "$here/vm/required" "$1" "$2" "$host_probes" \
		"$4" "$5" "$6"
}

# run_binary GROUP NUMBER NAME OUT CMD...: run CMD, its TAP becomes
# subtest NUMBER of GROUP, judged on the outputs beside OUT
run_binary()
{
	local group=$1 nr=$2 name=$3 out=$4 rc=0 t0

	shift 4
	t0=$(date +%s.%N)
	"$@" >"$out" 2>&1 || rc=$?
	timing "unit.$name" "$(elapsed "$t0" "$(date +%s.%N)")"
	ktap_program "$group" "$(dirname "$out")" "$nr" "$name" "$out" "$rc"
}

# qemu_probe: whether QEMU 11.1 is here, for vm/required
qemu_probe()
{
	local v

	if v=$("$here/vm/qemu.sh" version 2>/dev/null); then
		echo "qemu-11.1 $v"
	else
		echo "qemu-11.1 none"
	fi >>"$host_probes"
}

# The seed corpus of a fuzz target and every crash it ever found.
fuzz_inputs()
{
	ls "$here/tests/fuzz/corpus/$1"/* "$here/tests/fuzz/regressions/$1"/* \
		2>/dev/null
}

# unit_body HOSTDIR KDIR
unit_body()
{
	local dir=$1 kdir=$2 t_ba pid_ba rc

	# mostly waiting on fake guests: it runs beside the others
	t_ba=$(date +%s.%N)
	"$here/tests/guests_test.sh" >"$dir/guests.out" 2>&1 &
	pid_ba=$!
	echo "  KTAP version 1"
	echo "  # the model and the command lines, no kernel needed"
	echo "  1..22"
	run_binary unit 1 viommu_model_test "$dir/unit.out" "$dir/viommu_model_test"
	run_binary unit 2 viommu_migration_test "$dir/migration.out" \
		"$dir/viommu_migration_test"
	run_binary unit 3 viommu_model_test.asan_ubsan "$dir/unit-san.out" \
		"$dir/san/viommu_model_test"
	run_binary unit 4 viommu_migration_test.asan_ubsan "$dir/migration-san.out" \
		"$dir/san/viommu_migration_test"
	# shellcheck disable=SC2046
	run_binary unit 5 fuzz_corpus_config.asan_ubsan "$dir/replay-config.out" \
		"$dir/san/replay_config" $(fuzz_inputs config)
	# shellcheck disable=SC2046
	run_binary unit 6 fuzz_corpus_stream.asan_ubsan "$dir/replay-stream.out" \
		"$dir/san/replay_stream" $(fuzz_inputs stream)
	run_binary unit 7 old_headers_test "$dir/old-headers.out" \
		"$here/tests/old_headers_test.sh" "$kdir"
	run_binary unit 8 cli_test "$dir/cli.out" \
		"$here/tests/cli_test.sh" "$dir/nest_report" "$dir/nest_migrate"
	run_binary unit 9 fresh_build_test "$dir/fresh-build.out" \
		"$here/tests/fresh_build_test.sh" "$kdir"
	# shellcheck disable=SC2046
	run_binary unit 10 exit_codes_test "$dir/exit-codes.out" \
		"$here/tests/exit_codes_test.sh" "$dir" \
		$(make -s -C "$here" print-tests)
	run_binary unit 11 mirror_test "$dir/mirror.out" "$here/tests/mirror_test.sh"
	run_binary unit 12 qemu_fetch_test "$dir/qemu-fetch.out" \
		"$here/tests/qemu_fetch_test.sh"
	qemu_probe
	run_binary unit 13 config_conformance "$dir/conformance.out" \
		"$here/tests/conformance_config.sh" "$dir/nest_report"
	run_binary unit 14 iort_test "$dir/iort.out" "$here/tests/iort_test.sh"
	run_binary unit 15 smmu_test "$dir/smmu.out" "$dir/smmu_test"
	run_binary unit 16 smmu_test.asan_ubsan "$dir/smmu-san.out" \
		"$dir/san/smmu_test"
	run_binary unit 17 receive_test "$dir/receive.out" \
		"$here/tests/receive_test.sh" /bin/busybox
	run_binary unit 18 tracked_files_test "$dir/tracked.out" \
		"$here/tests/tracked_files_test.sh"
	run_binary unit 19 ktap_test "$dir/ktap.out" "$here/tests/ktap_test.py"
	run_binary unit 20 migrate_expect_test "$dir/migrate-expect.out" \
		"$here/tests/migrate_expect_test.sh"
	run_binary unit 21 test_power_test "$dir/test-power.out" \
		"$here/tests/test_power_test.py"
	rc=0
	wait "$pid_ba" || rc=$?
	timing unit.guests_test "$(elapsed "$t_ba" "$(date +%s.%N)")"
	ktap_program unit "$dir" 22 guests_test "$dir/guests.out" "$rc"
}

# host_body HOSTDIR FORCE [BDF...]
host_body()
{
	local dir=$1 force=$2 lend=() devices=() b

	shift 2
	devices=("$@")

	echo "  KTAP version 1"
	echo "  # host $(uname -r)${devices:+, devices ${devices[*]}}"
	echo "  1..7"
	run_binary host 1 iommufd_nest_test "$dir/iommufd_nest_test.out" \
		"$dir/iommufd_nest_test"
	run_binary host 2 iommufd_nest_migrate_test "$dir/migrate.out" \
		"$dir/iommufd_nest_migrate_test"
	run_binary host 3 iommufd_nest_failnth_test "$dir/failnth.out" \
		"$dir/iommufd_nest_failnth_test"
	run_binary host 4 iommufd_nest_uapi_test "$dir/uapi.out" \
		"$dir/iommufd_nest_uapi_test"
	if [ ${#devices[@]} -gt 0 ]; then
		say "lending ${devices[*]} to vfio-pci for the run"
		lend=("$dir/nest_bind" ${force:+"$force"} run)
		for b in "${devices[@]}"; do
			lend+=(--device "$b")
		done
		lend+=(--)
	fi
	run_binary host 5 iommufd_nest_viommu_test "$dir/viommu.out" \
		"$dir/iommufd_nest_viommu_test"
	run_binary host 6 iommufd_nest_cdev_test "$dir/cdev.out" "${lend[@]}" \
		"$dir/iommufd_nest_cdev_test" "${devices[@]}"
	run_binary host 7 iommufd_nest_cdev_input_test "$dir/cdev-input.out" \
		"${lend[@]}" "$dir/iommufd_nest_cdev_input_test" "${devices[@]}"
}

# topology_body TOPOLOGY DIR SKIP: its programs' results
topology_body()
{
	local topo=$1 dir=$2 skip=$3 i=0 t rc reason kern problem

	kern=$(cat "$dir/kernel" 2>/dev/null)
	problem=$(cat "$dir/problem" 2>/dev/null || echo "guest was never booted")

	echo "  KTAP version 1"
	echo "  # $topo: $(topology_describe "$topo"); kernel ${kern:-?}"
	echo "  1..$(topology_tests "$topo" | wc -w)"
	for t in $(topology_tests "$topo"); do
		i=$((i + 1))
		if [ -n "$skip" ]; then
			echo "  ok $i $t # SKIP $skip"
			continue
		fi
		rc=0
		reason=
		if [ -f "$dir/$t.rc" ]; then
			rc=$(cat "$dir/$t.rc")
		else
			reason="$t did not finish"
		fi
		ktap_program "$topo" "$dir" "$i" "$t" "$dir/$t.out" "$rc" "$reason"
	done
	[ ! -f "$dir/resent" ] ||
		echo "  # the migration streams were sent again $(cat "$dir/resent") time(s): $(paste -sd, "$dir/resent-why" | sed 's/,/, /g')"
	[ -n "$skip" ] || [ -z "$problem" ] ||
		"$here/vm/guests.py" excerpt "$dir" | sed 's/^/  /'
}


what=$1
shift
case "$what" in
unit)		[ $# -eq 2 ] || usage; unit_body "$@" ;;
host)		[ $# -ge 1 ] || usage
		dir=$1 force=
		shift
		[ "${1:-}" != --force ] || { force=--force; shift; }
		host_body "$dir" "$force" "$@" ;;
topology)	[ $# -ge 2 ] && [ $# -le 3 ] || usage
		topology_body "$1" "$2" "${3:-}" ;;
*)		usage ;;
esac
