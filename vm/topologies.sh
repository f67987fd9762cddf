# SPDX-License-Identifier: GPL-2.0
#
# The QEMU guests run_tests.sh --vm can boot.  Each topology names its
# machine, its kernel command line additions and the test binaries it runs.

TOPOLOGIES="mock"

# topology_describe NAME: one line for --help and the KTAP header
topology_describe()
{
	case "$1" in
	mock) echo "q35, no vIOMMU: the kernel's mock IOMMU (CONFIG_IOMMUFD_TEST)" ;;
	esac
}

topology_qemu_args()
{
	case "$1" in
	mock) echo "-M q35 -m 512 -smp 1" ;;
	esac
}

topology_cmdline()
{
	case "$1" in
	mock) echo "" ;;
	esac
}

topology_tests()
{
	case "$1" in
	mock) echo "iommufd_nest_test" ;;
	esac
}

topology_exists()
{
	local t

	for t in $TOPOLOGIES; do
		[ "$t" = "$1" ] && return 0
	done
	return 1
}
