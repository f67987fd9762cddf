#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What the runner's guests boot: for each topology, a kernel and an
# initramfs with the tests built against KDIR.  x86: a bzImage from the
# booted tree, static tests, the tree's own selftests and QEMU 11.1 for
# the topologies that run them.  arm64: a cross-built Image, static
# aarch64 tests and busybox, QEMU 10.0 and its UEFI firmware, QEMU's
# IORT upgraded to CANWBS, QEMU 11.1 for arm64 and an L2 guest's files.
# What cannot be had makes the arm64 topologies SKIP with the reason.
#
#   vm/images.sh --kdir DIR --build-dir DIR --probes FILE [--unit]
#                [--host] [--boot-kdir DIR] [--compare-kdir DIR]
#                [--gcov] [--kasan] [TOPOLOGY...]
#
# --unit builds the unit tests' programs for this host, --host the suite
# for this host's /dev/iommu.  Progress goes to stderr; stdout says what
# was built, one per line:
#   host-dir DIR                   where the host's programs are
#   guest TOPOLOGY KERNEL INITRD   what the topology's guest boots
#   skip TOPOLOGY REASON           it cannot boot here
#   kernel PATH, initrd PATH       the x86 kernel and initramfs without
#                                  QEMU 11.1 (run_tests.sh --bench)
#   kernel-b PATH                  the x86 kernel from --compare-kdir
#   qemu-aarch64 PATH, efi PATH    what boots the arm64 guests
#   append TEXT                    the guests' kernel command line adds
# FILE gains the probes vm/required reads.  Exit 1 on a failed build.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=vm/topologies.sh
. "$here/vm/topologies.sh"

say()
{
	echo "[run] $*" >&2
}

fail_setup()
{
	echo "error: $*" >&2
	exit 1
}

usage()
{
	echo "usage: $0 --kdir DIR --build-dir DIR --probes FILE [--unit] [--host] [--boot-kdir DIR] [--compare-kdir DIR] [--gcov] [--kasan] [TOPOLOGY...]" >&2
	exit 2
}

kdir=
boot_kdir=
kdir_b=
build_dir=
host_probes=
gcov=0
kasan=0
unit=0
host=0
while [ $# -gt 0 ]; do
	case "$1" in
	--unit)		unit=1 ;;
	--host)		host=1 ;;
	--kdir)		[ $# -ge 2 ] || usage; kdir=$2; shift ;;
	--boot-kdir)	[ $# -ge 2 ] || usage; boot_kdir=$2; shift ;;
	--compare-kdir)	[ $# -ge 2 ] || usage; kdir_b=$2; shift ;;
	--build-dir)	[ $# -ge 2 ] || usage; build_dir=$2; shift ;;
	--probes)	[ $# -ge 2 ] || usage; host_probes=$2; shift ;;
	--gcov)		gcov=1 ;;
	--kasan)	kasan=1 ;;
	-*)		usage ;;
	*)		break ;;
	esac
	shift
done
[ -n "$kdir" ] && [ -n "$build_dir" ] && [ -n "$host_probes" ] || usage
boot_tree=${boot_kdir:-$kdir}
selected_x86=
selected_arm64=
for t in "$@"; do
	topology_exists "$t" || fail_setup "unknown topology '$t'"
	if [ "$(topology_arch "$t")" = arm64 ]; then
		selected_arm64="$selected_arm64 $t"
	else
		selected_x86="$selected_x86 $t"
	fi
done
cache=${IOMMUFD_NEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iommufd-nest}
# binaries per kernel tree, so switching --kdir never reuses stale ones
tree_tag=$(echo "$kdir" | sha1sum | cut -c1-8)
host_dir=$build_dir/host-$tree_tag
guest_dir=$build_dir/guest-$tree_tag
arm64_dir=$build_dir/guest-arm64-$tree_tag
nest_tests=$(make -s -C "$here" print-tests) ||
	fail_setup "cannot list the test programs (make print-tests)"
guest_bins="$nest_tests nest_bind nest_report nest_migrate nest_bench nest_vmm"

# pvh_image BZIMAGE: the vmlinux beside it when it has a PVH entry (see
# vm/boot.config): QEMU boots it without running the decompressor
pvh_image()
{
	local top=${1%/arch/x86/boot/bzImage}

	if grep -qx CONFIG_PVH=y "$top/.config" 2>/dev/null &&
	   [ -f "$top/vmlinux" ]; then
		echo "$top/vmlinux"
	else
		echo "$1"
	fi
}

# kernel_probes BZIMAGE: what the x86 guests' kernel offers, for
# vm/required: "boot SYM" and "build SYM" for each nesting uAPI symbol
# the booted tree and the tests' tree define, and whether the kernel's
# config has the mock IOMMU
kernel_probes()
{
	local sym tree side top=${1%/arch/x86/boot/bzImage}

	for side in boot build; do
		tree=$kdir
		[ "$side" = build ] || tree=$boot_tree
		for sym in IOMMU_VIOMMU_ALLOC IOMMU_VEVENTQ_ALLOC \
			   IOMMU_HW_QUEUE_ALLOC IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST \
			   MOCK_PASID_WIDTH IOMMU_TEST_OP_DMABUF_GET; do
			grep -qsE "^#define $sym\b|^\s+$sym( =|,)" \
				"$tree/include/uapi/linux/iommufd.h" \
				"$tree/drivers/iommu/iommufd/iommufd_test.h" &&
				echo "$side $sym"
		done
	done >>"$host_probes"
	grep -qsx CONFIG_IOMMUFD_TEST=y "$top/.config" &&
		echo "kconfig CONFIG_IOMMUFD_TEST=y" >>"$host_probes"
	return 0
}

# build_tests OUTPUT [make args...]: the test binaries for one target
build_tests()
{
	local out=$1

	shift
	say "building tests in $out"
	make -s -C "$here" KDIR="$kdir" OUTPUT="$out" "$@" >&2 ||
		fail_setup "building the tests against $kdir failed"
}

# pack_initrd BINDIR [--busybox BB] OUT [FILE...]: a guest initramfs
# (vm/initramfs.sh) of FILEs, BINDIR's ioctl_log.so and guest binaries,
# the guest scripts and the device conformance's configs
pack_initrd()
{
	local bins=$1

	shift
	# shellcheck disable=SC2046
	"$here/vm/initramfs.sh" "$@" "$bins/ioctl_log.so" \
		$(for b in $guest_bins; do echo "$bins/$b"; done) \
		"$here"/vm/guest/* "$here/vm/tap.sh" \
		"$here/tests/conformance/device_configs"
}

# pack_payload ARCH OUT PROBE: vm/qemu.sh's QEMU 11.1 payload for ARCH's
# guests in OUT, and the host probe "PROBE yes" when it holds a QEMU,
# "PROBE no" when it holds the reason there is none
pack_payload()
{
	"$here/vm/qemu.sh" --arch "$1" payload "$2" || return 1
	if cpio -it <"$2" 2>/dev/null | grep -qx qemu/missing; then
		echo "$3 no"
	else
		echo "$3 yes"
	fi >>"$host_probes"
}

# host_programs: what the unit tests (--unit) and the suite on this
# host (--host) run, built for this host
host_programs()
{
	local t units=

	[ "$unit" = 0 ] || units="viommu_model_test viommu_migration_test
		nest_report san/viommu_model_test san/viommu_migration_test
		smmu_test san/smmu_test san/replay_config san/replay_stream
		nest_migrate nest_vmm"
	[ "$host" = 0 ] || units="$units nest_bind"
	for t in $units $nest_tests; do
		echo "$host_dir/$t"
	done
}

# x86_frags: the x86 kernel's config fragments
x86_frags()
{
	printf '%s\n' "$here/vm/boot.config" "$here/config"
	[ "$gcov" = 0 ] || echo "$here/vm/gcov.config"
	[ "$kasan" = 0 ] || echo "$here/vm/kasan.config"
}

# images_x86: the x86 guests' kernel and initramfs, and the payload
images_x86()
{
	local frags kernel initrd initrd_qemu='' upstream_bins=() bins t

	# shellcheck disable=SC2046
	build_tests "$guest_dir" STATIC=1 "$guest_dir/ioctl_log.so" \
		$(for b in $guest_bins; do echo "$guest_dir/$b"; done)
	mapfile -t frags < <(x86_frags)
	kernel=$("$here/vm/kernel.sh" bzimage "$boot_tree" "${frags[@]}") ||
		fail_setup "no guest kernel"
	kernel_probes "$kernel"
	kernel=$(pvh_image "$kernel")
	initrd=$guest_dir/initramfs.cpio
	# the booted tree's own selftests, when a topology runs them
	for t in $selected_x86; do
		topology_uses_upstream "$t" || continue
		bins=$("$here/vm/upstream.sh" "$boot_tree" "$guest_dir/upstream") ||
			fail_setup "cannot build the upstream iommufd selftests"
		mapfile -t upstream_bins <<<"$bins"
	done
	pack_initrd "$guest_dir" "$initrd" "${upstream_bins[@]}" ||
		fail_setup "cannot pack the initramfs"
	# QEMU 11.1 goes only to the guests whose tests run it (a payload
	# vm/qemu.sh packs: 70 MB, or the reason there is none)
	for t in $selected_x86; do
		topology_carries_qemu "$t" || continue
		pack_payload x86_64 "$guest_dir/qemu-payload.cpio" qemu-payload ||
			fail_setup "cannot pack QEMU 11.1 for the guests"
		initrd_qemu=$guest_dir/initramfs-qemu.cpio
		[ "$initrd_qemu" -nt "$initrd" ] &&
			[ "$initrd_qemu" -nt "$guest_dir/qemu-payload.cpio" ] ||
			cat "$initrd" "$guest_dir/qemu-payload.cpio" >"$initrd_qemu"
		break
	done
	echo "kernel $kernel"
	echo "initrd $initrd"
	for t in $selected_x86; do
		if [ -n "$initrd_qemu" ] && topology_carries_qemu "$t"; then
			echo "guest $t $kernel $initrd_qemu"
		else
			echo "guest $t $kernel $initrd"
		fi
	done
	if [ -n "$kdir_b" ]; then
		kernel=$("$here/vm/kernel.sh" bzimage "$kdir_b" "${frags[@]}") ||
			fail_setup "no guest kernel from $kdir_b"
		echo "kernel-b $(pvh_image "$kernel")"
	fi
}

# fetch_or_skip VAR CMD...: VAR is CMD's output; on CMD's exit 4, the
# arm64 topologies SKIP with its reason and this returns 1
fetch_or_skip()
{
	local var=$1 err rc=0 got

	shift
	err=$(mktemp)
	got=$("$@" 2>"$err") || rc=$?
	grep '^\[' "$err" >&2
	if [ "$rc" = 4 ]; then
		skip_arm64 "$(tail -n 1 "$err" | sed 's/^error: //')"
		rm -f "$err"
		return 1
	elif [ "$rc" != 0 ]; then
		cat "$err" >&2
		rm -f "$err"
		fail_setup "$* failed (exit $rc)"
	fi
	rm -f "$err"
	printf -v "$var" '%s' "$got"
}

skip_arm64()
{
	local t

	say "the arm64 topologies ($selected_arm64 ) SKIP: $1"
	for t in $selected_arm64; do
		echo "skip $t $1"
	done
}

# boot_one TOPOLOGY KERNEL INITRD DIR TIMEOUT TESTS: one guest, alone,
# that dumps what TESTS print (DIR/problem says how it went)
boot_one()
{
	echo "$1 $2 $3 $4 $6" |
		"$here/vm/guests.py" boot --jobs 1 --timeout "$5" \
		--qemu-aarch64 "$qemu_aarch64" --efi "$aarch64_efi"
}

# iort_initrd TOPOLOGY KERNEL INITRD: INITRD after a cpio with QEMU's
# IORT upgraded to CANWBS (vm/iort.sh), into OUT.  QEMU's IORT depends
# only on the QEMU build and the machine: it is dumped from a guest once
# and cached by those.
iort_initrd()
{
	local t=$1 kernel=$2 initrd=$3 out=$4 key d problem
	local dir=$build_dir/vm/$1-iort

	key=$({ "$qemu_aarch64" --version | head -n 1
		topology_qemu_args "$t"; sha1sum <"$aarch64_efi"
		sha1sum <"$here/vm/iort.sh"; } | sha1sum | cut -c1-10)
	d=$cache/iort-$key
	if [ ! -f "$d/iort.cpio" ]; then
		say "dumping QEMU's IORT from a $t guest (once, into $d)"
		boot_one "$t" "$kernel" "$initrd" "$dir" 120 dump_iort
		problem=$(cat "$dir/problem" 2>/dev/null || echo "no guest")
		[ -z "$problem" ] && [ "$(cat "$dir/dump_iort.rc" 2>/dev/null)" = 0 ] ||
			fail_setup "cannot dump QEMU's IORT: ${problem:-$(cat "$dir/dump_iort.out" 2>/dev/null)} (logs in $dir)"
		# the cache gets a whole result or nothing
		rm -rf "$d.tmp"
		mkdir -p "$d.tmp"
		"$here/vm/iort.sh" unhex "$dir/dump_iort.out" "$d.tmp/IORT-qemu.aml" &&
			"$here/vm/iort.sh" canwbs "$d.tmp/IORT-qemu.aml" "$d.tmp/IORT.aml" &&
			"$here/vm/iort.sh" cpio "$d.tmp/IORT.aml" "$d.tmp/iort.cpio" ||
			{ rm -rf "$d.tmp"; fail_setup "cannot upgrade QEMU's IORT (logs in $dir)"; }
		rm -rf "$d"
		mv "$d.tmp" "$d"
	fi
	# the kernel looks for table upgrades in the first, uncompressed cpio
	cat "$d/iort.cpio" "$initrd" >"$out"
}

# l2_cpio TOPOLOGY KERNEL INITRD IORT_INITRD OUT: /l2 for
# vm/guest/qemu_l2_edu into the cpio OUT: the arm64 kernel and initramfs
# again, for a guest of the guest, that initramfs after a cpio with the
# IORT QEMU 11.1 gives such a guest without its RMR node (vm/iort.sh
# no-rmr: the RMR asks a 1:1 mapping of the edu, which vfio-pci refuses).
# That IORT depends only on the QEMU build and the L2 machine: dumped
# from an L2 guest once (vm/guest/dump_l2_iort), cached.  A tree without
# IOMMU_VIOMMU_ALLOC can run no arm-smmuv3,accel=on: /l2/missing says so.
l2_cpio()
{
	local t=$1 kernel=$2 initrd=$3 initrd_iort=$4 out=$5 key d tmp problem
	local dir=$build_dir/vm/$1-l2iort

	tmp=$(mktemp -d)
	mkdir -p "$tmp/l2"
	if ! grep -qsE '^#define IOMMU_VIOMMU_ALLOC\b' "$boot_tree/include/uapi/linux/iommufd.h"; then
		echo "the booted tree has no IOMMU_VIOMMU_ALLOC: no arm-smmuv3,accel=on" >"$tmp/l2/missing"
	elif ! grep -qx 'qemu-payload-arm64 yes' "$host_probes"; then
		echo "the guest carries no QEMU 11.1 for arm64" >"$tmp/l2/missing"
	else
		cp "$kernel" "$tmp/l2/Image"
		key=$({ cat "$arm64_dir/qemu-payload.cpio.key"
			sha1sum <"$here/vm/guest/guest.sh"
			sha1sum <"$here/vm/guest/dump_l2_iort"
			sha1sum <"$here/vm/guest/dump_iort"
			sha1sum <"$here/vm/iort.sh"; } | sha1sum | cut -c1-10)
		d=$cache/l2iort-$key
		if [ ! -f "$d/iort.cpio" ]; then
			say "dumping the IORT of an L2 guest from a $t guest (once, into $d)"
			cp "$initrd" "$tmp/l2/initrd.cpio"
			(cd "$tmp" && find l2 | cpio -o -H newc --quiet) >"$arm64_dir/l2-dump.cpio"
			cat "$initrd_iort" "$arm64_dir/l2-dump.cpio" >"$arm64_dir/initramfs-l2-dump.cpio"
			boot_one "$t" "$kernel" "$arm64_dir/initramfs-l2-dump.cpio" \
				"$dir" 300 dump_l2_iort
			problem=$(cat "$dir/problem" 2>/dev/null || echo "no guest")
			rm -rf "$d.tmp"
			mkdir -p "$d.tmp"
			if [ -z "$problem" ] && [ "$(cat "$dir/dump_l2_iort.rc" 2>/dev/null)" = 0 ] &&
				"$here/vm/iort.sh" unhex "$dir/dump_l2_iort.out" "$d.tmp/IORT-qemu.aml" &&
				"$here/vm/iort.sh" no-rmr "$d.tmp/IORT-qemu.aml" "$d.tmp/IORT.aml" &&
				"$here/vm/iort.sh" cpio "$d.tmp/IORT.aml" "$d.tmp/iort.cpio"; then
				rm -rf "$d"
				mv "$d.tmp" "$d"
			else
				# the test then fails where nesting is granted
				say "warning: no L2 IORT without its RMR: ${problem:-$(tail -n 3 "$dir/dump_l2_iort.out" 2>/dev/null | xargs)} (logs in $dir)"
				rm -rf "$d.tmp"
			fi
		fi
		if [ -f "$d/iort.cpio" ]; then
			cat "$d/iort.cpio" "$initrd" >"$tmp/l2/initrd.cpio"
		else
			cp "$initrd" "$tmp/l2/initrd.cpio"
		fi
	fi
	(cd "$tmp" && find l2 | cpio -o -H newc --quiet) >"$out"
	rm -rf "$tmp"
}

# images_arm64: the arm64 guests' kernel and initramfs, or why they SKIP
images_arm64()
{
	local bb t kernel initrd payload='' img
	local frags=("$here/vm/arm64.config" "$here/config")

	if [ "$kasan" = 1 ]; then
		skip_arm64 "--kasan builds x86 kernels only"
		return
	fi
	# without the cross compiler (not root, no sudo) they SKIP
	if ! "$here/vm/kernel.sh" deps cross 2>"$build_dir/deps-cross.err"; then
		cat "$build_dir/deps-cross.err" >&2
		skip_arm64 "no cross compiler for the arm64 guests: $(tail -n 1 "$build_dir/deps-cross.err" | sed 's/^error: //')"
		return
	fi
	fetch_or_skip qemu_aarch64 "$here/vm/qemu.sh" --arch aarch64 \
		--release 10.0 fetch || return 0
	fetch_or_skip bb "$here/vm/busybox.sh" arm64 || return 0
	# shellcheck disable=SC2046
	build_tests "$arm64_dir" STATIC=1 CROSS_COMPILE=aarch64-linux-gnu- \
		"$arm64_dir/ioctl_log.so" \
		$(for b in $guest_bins; do echo "$arm64_dir/$b"; done)
	[ "$gcov" = 0 ] || frags+=("$here/vm/gcov.config")
	kernel=$("$here/vm/kernel.sh" image arm64 "$boot_tree" "${frags[@]}") ||
		fail_setup "no arm64 guest kernel"
	initrd=$arm64_dir/initramfs.cpio
	pack_initrd "$arm64_dir" --busybox "$bb" "$initrd" ||
		fail_setup "cannot pack the arm64 initramfs"
	# QEMU 11.1 built for arm64, for the guests that run it under KVM
	for t in $selected_arm64; do
		topology_carries_qemu "$t" || continue
		payload=$arm64_dir/qemu-payload.cpio
		pack_payload aarch64 "$payload" qemu-payload-arm64 ||
			fail_setup "cannot pack the arm64 QEMU 11.1 for the guests"
		break
	done
	grep -qsx CONFIG_KVM=y "$(dirname "$kernel")/../../../.config" &&
		echo "kconfig-arm64 CONFIG_KVM=y" >>"$host_probes"
	echo "qemu-aarch64 $qemu_aarch64"
	for t in $selected_arm64; do
		if [ "$(topology_firmware "$t")" != uefi-iort ]; then
			echo "guest $t $kernel $initrd"
			continue
		fi
		aarch64_efi=$("$here/vm/qemu.sh" --arch aarch64 --release 10.0 efi) ||
			fail_setup "no UEFI firmware for $t"
		echo "efi $aarch64_efi"
		img=$arm64_dir/initramfs-iort-$t.cpio
		iort_initrd "$t" "$kernel" "$initrd" "$img"
		if topology_carries_qemu "$t" && [ -n "$payload" ]; then
			cat "$payload" >>"$img"
		fi
		# the L2 IORT is dumped by the QEMU 11.1 of the image so far
		if topology_runs_l2 "$t"; then
			l2_cpio "$t" "$kernel" "$initrd" "$img" "$arm64_dir/l2.cpio"
			cat "$arm64_dir/l2.cpio" >>"$img"
		fi
		echo "guest $t $kernel $img"
	done
}

qemu_aarch64=
aarch64_efi=
mkdir -p "$build_dir"
if [ "$unit" = 1 ] || [ "$host" = 1 ]; then
	# shellcheck disable=SC2046
	build_tests "$host_dir" $(host_programs)
	echo "host-dir $host_dir"
fi
[ "$kasan" = 0 ] || echo "append panic_on_warn=1 kasan.fault=panic"
[ -z "$selected_x86" ] && [ -z "$kdir_b" ] || images_x86
[ -z "$selected_arm64" ] || images_arm64
