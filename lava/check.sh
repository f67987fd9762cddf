#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lava-check: run the suite through LAVA's own engine and hold it to
# the runner's KTAP for the same build.
#
#   lava/check.sh [--mutate] [--out DIR] [--timeout SEC]
#
# Installs lava-dispatcher (Debian 12's, nothing else from LAVA) when
# missing, runs run_tests.sh --vm for the mock and vtd topologies, packs a
# LAVA ramdisk per topology (the runner's initramfs, lava/init as /init),
# renders a QEMU job for each (lava/jobs/qemu.yaml.jinja2) and its device
# description (lava/devices/qemu.jinja2), runs both with lava-run and
# compares LAVA's results with the KTAP (lava/results.py).
#
# --mutate: the same on a copy of the tree with lava/mutation.patch
# applied, which makes one test fail: it must fail in both, and in LAVA
# with its diagnostic.  --out: where the KTAP, jobs and LAVA logs go
# (default build/lava, build/lava-mutate).  --timeout: for each lava-run
# (default 900 s).
#
# Exit status: 0 LAVA agrees with the KTAP, 1 it does not or something
# failed, 2 usage, 4 skipped (lava-dispatcher cannot be installed or run
# here; the reason is printed).

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
topologies=(mock vtd)
# the test named by lava/mutation.patch, as TOPOLOGY/CASE
mutant=mock/iommufd_nest_uapi_test.nest_uapi.destroy_arg_null.exact_errno

say() { echo "[lava] $*" >&2; }
die() { echo "error: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 4; }
usage()
{
	echo "usage: $0 [--mutate] [--out DIR] [--timeout SEC]" >&2
	exit 2
}

mutate=0
out=
timeout=900
while [ $# -gt 0 ]; do
	case "$1" in
	--mutate)	mutate=1 ;;
	--out)		[ $# -ge 2 ] || usage; out=$2; shift ;;
	--timeout)	[ $# -ge 2 ] || usage; timeout=$2; shift ;;
	-h|--help)	sed -n '3,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*)		echo "error: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
case "$timeout" in
''|*[!0-9]*|0) echo "error: --timeout '$timeout': expected a positive number of seconds" >&2; exit 2 ;;
esac
out=${out:-$here/build/lava$([ "$mutate" = 1 ] && echo -mutate)}
mkdir -p "$out" || die "--out $out: cannot create it"
out=$(cd "$out" && pwd)

# lava-dispatcher and what the jobs need, by vm/kernel.sh deps; when it
# cannot install them, the reason is the SKIP's
lava_deps()
{
	local err

	err=$(mktemp)
	if "$here/vm/kernel.sh" deps lava 2>"$err"; then
		cat "$err" >&2
		rm -f "$err"
		return
	fi
	grep -v '^error: ' "$err" >&2
	set -- "$(sed -n 's/^error: //p' "$err" | tail -n 1)"
	rm -f "$err"
	skip "$1"
}

lava_deps
lava-run --help >/dev/null 2>&1 ||
	skip "lava-run does not run here: $(lava-run --help 2>&1 | tail -n 1)"
[ -w /var/lib/lava/dispatcher/tmp ] ||
	skip "lava-run needs to write /var/lib/lava/dispatcher/tmp: run as root"
say "lava-dispatcher $(dpkg-query -W -f='${Version}' lava-dispatcher)"

# Everything lava-run starts (QEMU under pexpect) goes when we do.
pids=()
cleanup()
{
	local p

	for p in "${pids[@]}"; do
		# shellcheck disable=SC2046
		kill -TERM $(descendants "$p" 2>/dev/null) "$p" 2>/dev/null
	done
	[ ${#pids[@]} = 0 ] || wait
	# a lava-run stopped before its own cleanup leaves its tmp directory
	rm -rf /var/lib/lava/dispatcher/tmp/"nest-$$-"*
	[ -z "${tmp:-}" ] || rm -rf "$tmp"
}
# shellcheck source=vm/procs.sh
. "$here/vm/procs.sh"
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM HUP
tmp=$(mktemp -d)

# --mutate: a copy of the tree (as it is, uncommitted changes too) with
# the mutation applied; the kernel comes from the shared cache
src=$here
if [ "$mutate" = 1 ]; then
	src=$tmp/tree
	mkdir -p "$src"
	(cd "$here" && git ls-files -co --exclude-standard -z |
		xargs -0 tar -c --no-recursion -f -) | tar -x -C "$src" ||
		die "cannot copy the tree to $src"
	patch -s -d "$src" -p1 <"$here/lava/mutation.patch" ||
		die "lava/mutation.patch does not apply"
	say "mutation: $(sed -n 's/^Subject: //p' "$here/lava/mutation.patch")"
fi

t0=$SECONDS
say "runner: run_tests.sh --vm --no-unit --topology mock --topology vtd"
# in the background: a signal to this script stops it at once
# shellcheck disable=SC2046
"$src/run_tests.sh" --vm --no-unit $(printf -- '--topology %s ' "${topologies[@]}") \
	>"$out/runner.ktap" 2>"$out/runner.log" &
pids=($!)
rc=0
wait "${pids[0]}" || rc=$?
pids=()
[ "$rc" = 0 ] || [ "$rc" = 1 ] ||
	{ tail -n 20 "$out/runner.log" >&2; die "run_tests.sh exited $rc (log: $out/runner.log)"; }
say "runner: $(tail -n 1 "$out/runner.ktap") in $((SECONDS - t0)) s"

# the same kernel and initramfs the runner booted
kdir=$("$src/vm/kernel.sh" source) || die "no kernel source"
kernel=$("$src/vm/kernel.sh" bzimage "$kdir" "$src/vm/boot.config" \
	"$src/config") || die "no guest kernel"
guest_dir=$src/build/guest-$(echo "$kdir" | sha1sum | cut -c1-8)
[ -f "$guest_dir/initramfs.cpio" ] ||
	die "the runner left no initramfs in $guest_dir"
# shellcheck source=vm/topologies.sh
. "$src/vm/topologies.sh"

# ramdisk TOPOLOGY OUT: the topology's initramfs as one newc archive
# (LAVA appends its overlay by unpacking the first archive only) with
# lava/init as /init
ramdisk()
{
	local root=$tmp/root-$1 c

	rm -rf "$root"
	mkdir -p "$root"
	for c in "$guest_dir/initramfs.cpio" \
		 $(topology_carries_qemu "$1" && echo "$guest_dir/qemu-payload.cpio"); do
		(cd "$root" && cpio -idm --quiet) <"$c" ||
			die "cannot unpack $c"
	done
	cp "$src/lava/init" "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$2" ||
		die "cannot pack $2"
	rm -rf "$root"
}

# The test definition as LAVA fetches it: a git repository, here a
# snapshot of lava/ as it is in the tree.
if ! { git init -q "$tmp/testdef" && cp -r "$src/lava" "$tmp/testdef/" &&
	git -C "$tmp/testdef" add lava &&
	git -C "$tmp/testdef" -c user.name=lava-check \
		-c user.email=lava-check@localhost commit -qm "lava-check snapshot"; }; then
	die "cannot make the test definition repository in $tmp/testdef"
fi
printf 'dispatcher_ip: 127.0.0.1\n' >"$out/dispatcher.yaml"

# render TOPOLOGY: its ramdisk, job and device description in $out
render()
{
	local topo=$1 memory=512 opts=() item='' w

	# one option and its value per item; -m is the context's memory
	for w in $(topology_qemu_args "$topo") END; do
		case "$w" in
		-*|END)	case "$item" in
			"-m "*)	memory=${item#-m } ;;
			?*)	opts+=("extra_options+=$item") ;;
			esac
			item=$w ;;
		*)	item="$item $w" ;;
		esac
	done
	ramdisk "$topo" "$out/ramdisk-$topo.cpio"
	"$src/lava/render.py" job qemu.yaml.jinja2 "$out/job-$topo.yaml" \
		topology="$topo" kernel_url="file://$kernel" \
		ramdisk_url="file://$out/ramdisk-$topo.cpio" \
		cmdline="$(topology_cmdline "$topo")" memory="$memory" \
		tests="$(topology_tests "$topo")" \
		testdef_repo="$tmp/testdef" testdef_revision='' "${opts[@]}" ||
		die "cannot render the $topo job"
	"$src/lava/render.py" device "$out/job-$topo.yaml" \
		"$out/device-$topo.yaml" ||
		die "cannot render the $topo device description"
}

for topo in "${topologies[@]}"; do
	render "$topo"
done
# the board templates cannot run here: rendered with a lab's kind of
# settings, LAVA's job schema must take them, on a ramdisk and on NFS
board=(device_type=lab-board kernel_url=https://lab.example/Image
       dtb_url=https://lab.example/board.dtb testdef_repo="$tmp/testdef"
       bdfs=0000:01:00.0)
"$src/lava/render.py" job board-tftp.yaml.jinja2 "$out/board-ramdisk.yaml" \
	"${board[@]}" ramdisk_url=https://lab.example/ramdisk.cpio.gz \
	ramdisk_compression=gz ramdisk_header=1 ||
	die "the board job template on a ramdisk renders to a job LAVA refuses"
"$src/lava/render.py" job board-tftp.yaml.jinja2 "$out/board-nfs.yaml" \
	"${board[@]}" nfsrootfs_url=https://lab.example/rootfs.tar.xz \
	login=root prompt='root@board:~# ' tests_dir=/opt/kselftest/iommufd_nest ||
	die "the board job template on NFS renders to a job LAVA refuses"

# both jobs at once, each its own job id (its own LAVA tmp directory)
t0=$SECONDS
for topo in "${topologies[@]}"; do
	say "lava-run: $topo (log: $out/lava-$topo.log)"
	(
		start=$SECONDS
		timeout -k 10 "$timeout" lava-run --job-id "nest-$$-$topo" \
			--output-dir "$out/lava-$topo" \
			--device "$out/device-$topo.yaml" \
			--dispatcher "$out/dispatcher.yaml" \
			"$out/job-$topo.yaml" >"$out/lava-$topo.log" 2>&1
		rc=$?
		say "lava-run: $topo exited $rc after $((SECONDS - start)) s"
		exit "$rc"
	) &
	pids+=($!)
done
fail=0
for p in "${pids[@]}"; do
	wait "$p" || fail=1
done
pids=()
say "lava-run: both jobs done in $((SECONDS - t0)) s"
[ "$fail" = 0 ] || say "a lava-run failed; its results are compared all the same"

expect=()
[ "$mutate" = 0 ] || expect=(--expect-fail "$mutant")
# shellcheck disable=SC2046
"$here/lava/results.py" "${expect[@]}" "$out/runner.ktap" \
	$(for t in "${topologies[@]}"; do echo "$t=$out/lava-$t.log"; done) ||
	die "LAVA's results differ from the KTAP (logs in $out)"
[ "$fail" = 0 ] || die "lava-run failed (logs in $out)"
say "LAVA agrees with the KTAP$([ "$mutate" = 1 ] && echo ", and the mutant fails in both")"
