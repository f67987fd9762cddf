# SPDX-License-Identifier: GPL-2.0
#
# The QEMU guests run_tests.sh --vm can boot.  Each topology names its
# machine, its kernel command line additions and the tests it runs (files
# in the initramfs's /tests: binaries, or vm/guest scripts).

TOPOLOGIES="mock vtd vtd-scalable virtio-iommu"

# Two edu DMA devices: one on the root bus, one behind a PCI bridge.
EDU_PAIR="-device edu -device pci-bridge,id=br1,chassis_nr=1 -device edu,bus=br1,addr=1"
VTD="-device intel-iommu,intremap=on,caching-mode=on,aw-bits=48"

# topology_describe NAME: one line for --help and the KTAP header
topology_describe()
{
	case "$1" in
	mock) echo "q35, no vIOMMU: the kernel's mock IOMMU (CONFIG_IOMMUFD_TEST)" ;;
	vtd) echo "q35 + intel-iommu (legacy mode) + 2 edu, one behind a PCI bridge" ;;
	vtd-scalable) echo "q35 + intel-iommu x-scalable-mode=on + 2 edu, one behind a PCI bridge" ;;
	virtio-iommu) echo "q35 + virtio-iommu-pci + edu" ;;
	esac
}

topology_qemu_args()
{
	case "$1" in
	mock) echo "-M q35 -m 512 -smp 1" ;;
	vtd) echo "-M q35,kernel-irqchip=split -m 512 -smp 1 $VTD $EDU_PAIR" ;;
	vtd-scalable) echo "-M q35,kernel-irqchip=split -m 512 -smp 1 $VTD,x-scalable-mode=on $EDU_PAIR" ;;
	virtio-iommu) echo "-M q35 -m 512 -smp 1 -device virtio-iommu-pci -device edu" ;;
	esac
}

topology_cmdline()
{
	case "$1" in
	vtd|vtd-scalable) echo "intel_iommu=on" ;;
	# x86 has no MSI isolation behind virtio-iommu (no interrupt
	# remapping), so iommufd refuses binds with EPERM unless allowed.
	virtio-iommu) echo "iommufd.allow_unsafe_interrupts=1" ;;
	*) echo "" ;;
	esac
}

topology_tests()
{
	case "$1" in
	mock) echo "iommufd_nest_test iommufd_nest_migrate_test iommufd_nest_failnth_test iommufd_nest_uapi_test iommufd_nest_viommu_test bench_smoke" ;;
	vtd|vtd-scalable) echo "cdev_edu cdev_input_edu report_edu bind_restore" ;;
	virtio-iommu) echo "cdev_edu cdev_input_edu" ;;
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
