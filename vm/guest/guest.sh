# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest scripts (busybox sh): the edu devices, their
# drivers, the device a migration test uses.  TAP comes from /tests/tap.sh
# (vm/tap.sh).

# Every edu device (1234:11e8), by BDF.
edu_bdfs()
{
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] &&
			[ "$(cat "$d/device")" = 0x11e8 ] && echo "${d##*/}"
	done
}

# edu_exec PROGRAM: PROGRAM on every edu device's BDF, the devices lent to
# vfio-pci for the run (nest_bind gives them back); on none without any
edu_exec()
{
	bdfs=$(edu_bdfs)
	[ -n "$bdfs" ] || exec "$1"
	args=
	for b in $bdfs; do
		args="$args --device $b"
	done
	# shellcheck disable=SC2086
	exec /tests/nest_bind run $args -- "$1" $bdfs
}

driver_of()
{
	l=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)
	echo "${l##*/}"
}

# wait_driver BDF NAME: up to 5 s for the driver to become NAME
wait_driver()
{
	i=0
	while [ "$(driver_of "$1")" != "$2" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(driver_of "$1")" = "$2" ]
}

# The device a migration test attaches: the edu on the root bus (the
# bridged one would add a refusal of its own), else the mock IOMMU.
migrate_dev()
{
	for b in $(edu_bdfs); do
		case "$(readlink "/sys/bus/pci/devices/$b")" in
		*/pci0000:00/"$b") echo "$b"; return ;;
		esac
	done
	echo mock
}

# lend_self DEVICE SCRIPT: re-run SCRIPT with DEVICE lent to vfio-pci
lend_self()
{
	[ "$1" = mock ] || [ -n "${NEST_LENT:-}" ] && return
	NEST_LENT=1 exec /tests/nest_bind run --device "$1" -- "$2"
}

# l2_boot BDF TESTS DIR: QEMU 11.1 (/qemu, under this guest's KVM) boots
# /l2/Image and /l2/initrd.cpio as an arm64 virt guest through UEFI,
# with arm-smmuv3,accel=on in front of BDF (lent to vfio-pci by the
# caller), which runs TESTS (vm/init's nest_run=) and powers off.  Its
# console goes to DIR/console, the tests' output to DIR/out, QEMU's own
# to DIR/qemu.log and its ioctls (ioctl_log.so) to DIR/ioctls.  QEMU's
# exit status; 137 when killed after 300 s.
l2_boot()
{
	rm -rf "$3"
	mkdir -p "$3"
	NEST_IOCTL_LOG=$3/ioctls LD_PRELOAD=/tests/ioctl_log.so \
		timeout -s KILL 300 /qemu/qemu-system-aarch64 \
		-M virt,gic-version=3 -accel kvm,kernel-irqchip=on -cpu host \
		-bios /qemu/share/QEMU_EFI.fd -m 256 -smp 1 -nodefaults \
		-display none -monitor none -no-reboot \
		-serial "file:$3/console" -serial "file:$3/out" \
		-kernel /l2/Image -initrd /l2/initrd.cpio \
		-append "console=ttyAMA0 loglevel=5 panic=-1 acpi=force nest_out=ttyAMA1 nest_run=$2" \
		-object iommufd,id=fd0 \
		-device arm-smmuv3,primary-bus=pcie.0,accel=on \
		-device "vfio-pci,host=$1,iommufd=fd0" >"$3/qemu.log" 2>&1
}
