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
