# SPDX-License-Identifier: GPL-2.0
#
# The QEMU guests run_tests.sh --vm can boot.  Each topology names its
# machine, its kernel command line additions and the tests it runs (files
# in the initramfs's /tests: binaries, or vm/guest scripts).

# Two edu DMA devices: one on the root bus, one behind a PCI bridge.
EDU_PAIR="-device edu -device pci-bridge,id=br1,chassis_nr=1 -device edu,bus=br1,addr=1"
VTD="-device intel-iommu,intremap=on,caching-mode=on,aw-bits=48"
Q35="-M q35 -m 512 -smp 1"
Q35_SPLIT="-M q35,kernel-irqchip=split -m 512 -smp 1"
# the upstream selftests map 2 MiB huge pages (up to 128 MiB at once):
# 192 of them are reserved at boot, out of 1 GiB
Q35_HUGE="-M q35 -m 1024 -smp 1"
# QEMU 10.0's virt machine with its nested SMMUv3 (stage 1 and 2, the
# default since virt-9.2) in front of the PCIe root complex; GICv3 for
# its ITS, whose MSIs are isolated (with GICv2m iommufd refuses binds)
VIRT_SMMU="-M virt,iommu=smmuv3,gic-version=3 -cpu max -m 512 -smp 1"
# The same at EL2 (virtualization=on: TCG emulates EL2 and the GICv3's
# virtualization interface), so the guest's kernel runs KVM for the QEMU
# 11.1 it carries (arm-smmuv3,accel=on needs KVM); the payload (73 MB
# unpacked) and that QEMU's own RAM want more than 512 MiB.
VIRT_SMMU_EL2="-M virt,iommu=smmuv3,gic-version=3,virtualization=on -cpu max -m 1024 -smp 1"
# Behind a conventional PCI bridge the edu's DMA would alias to the
# bridge's stream ID, which arm-smmu-v3 does not support (vfio-pci's
# probe fails with EINVAL): the second edu sits behind a PCIe root port.
EDU_PAIR_PCIE="-device edu -device pcie-root-port,id=rp1,chassis=1 -device edu,bus=rp1"

# The booted tree's own selftests (tools/testing/selftests/iommu), built
# by vm/upstream.sh
UPSTREAM_TESTS="iommufd iommufd_fail_nth"

# The hook for the SMMUv3 stage-1 tests on the vIOMMU (vm/guest/smmu_stage1
# runs every program it names that the initramfs holds).
SMMU_NESTED_TESTS="smmu_stage1"

# One row per topology: NAME|DESCRIPTION|QEMU ARGS|KERNEL CMDLINE|TESTS
# [|ARCH|FIRMWARE|OPT-IN].  OPT-IN "named": not part of "all", booted
# only when named (--topology upstream).  ARCH is x86 (default: qemu-system-x86_64 from the
# system, bzImage) or arm64 (QEMU 10.0 from bookworm-backports, a
# cross-built Image, static aarch64 tests: vm/qemu.sh, vm/busybox.sh).
# FIRMWARE uefi-iort: boot through UEFI so the kernel uses ACPI, with
# QEMU's IORT upgraded through the initrd to say CANWBS (vm/iort.sh).
# virtio-iommu: x86 has no MSI isolation behind it (no interrupt
# remapping), so iommufd refuses binds with EPERM unless allowed.
topology_table()
{
	cat <<EOF
mock|q35, no vIOMMU: the kernel's mock IOMMU (CONFIG_IOMMUFD_TEST)|$Q35||iommufd_nest_test iommufd_nest_migrate_test iommufd_nest_failnth_test iommufd_nest_uapi_test iommufd_nest_viommu_test bench_smoke
vtd|q35 + intel-iommu (legacy mode) + 2 edu, one behind a PCI bridge|$Q35_SPLIT $VTD $EDU_PAIR|intel_iommu=on|cdev_edu cdev_input_edu report_edu bind_restore qemu_vmm_edu
vtd-scalable|q35 + intel-iommu x-scalable-mode=on + 2 edu, one behind a PCI bridge|$Q35_SPLIT $VTD,x-scalable-mode=on $EDU_PAIR|intel_iommu=on|cdev_edu cdev_input_edu report_edu bind_restore qemu_vmm_edu
virtio-iommu|q35 + virtio-iommu-pci + 2 edu|$Q35 -device virtio-iommu-pci -device edu -device edu|iommufd.allow_unsafe_interrupts=1|cdev_edu cdev_input_edu qemu_vmm_edu
smmuv3|arm64 virt + nested SMMUv3 (device tree) + 2 edu, one behind a PCIe root port|$VIRT_SMMU $EDU_PAIR_PCIE||cdev_edu cdev_input_edu report_smmu $SMMU_NESTED_TESTS|arm64|
smmuv3-nested|arm64 virt at EL2 + nested SMMUv3 through UEFI/ACPI, IORT upgraded to CANWBS + 2 edu|$VIRT_SMMU_EL2 $EDU_PAIR_PCIE|acpi=force|iort_canwbs cdev_edu report_smmu $SMMU_NESTED_TESTS qemu_vmm_edu qemu_l2_edu|arm64|uefi-iort
upstream|q35, no vIOMMU: the booted tree's own iommufd selftests (the anchor of make kernel-mutants), 192 huge pages|$Q35_HUGE|hugepages=192|$UPSTREAM_TESTS|x86||named
EOF
}

# topology_field NAME N: field N of NAME's row
topology_field()
{
	topology_table | awk -F '|' -v n="$1" -v f="$2" '$1 == n { print $f }'
}

# topology_names [all]: every topology's name; with "all", what "all"
# boots: every topology but those booted only when named
topology_names()
{
	if [ "${1:-}" = all ]; then
		topology_table | awk -F '|' '$8 != "named" { print $1 }' | xargs
	else
		topology_table | cut -d '|' -f 1 | xargs
	fi
}

# NAME: one line for --help and the KTAP header
topology_describe() { topology_field "$1" 2; }
topology_qemu_args() { topology_field "$1" 3; }
topology_cmdline() { topology_field "$1" 4; }
topology_tests() { topology_field "$1" 5; }
topology_arch() { local a; a=$(topology_field "$1" 6); echo "${a:-x86}"; }
topology_firmware() { topology_field "$1" 7; }
topology_uses_upstream() { [ "$(topology_tests "$1")" = "$UPSTREAM_TESTS" ]; }

# Guest tests that run QEMU 11.1 as the VMM inside the guest: a topology
# that runs one boots with vm/qemu.sh's payload (70 MB; for arm64, QEMU's
# arm64 build) appended to its initramfs, the others without it.
QEMU_GUEST_TESTS="qemu_vmm_edu qemu_l2_edu"

topology_carries_qemu()
{
	local t

	for t in $(topology_tests "$1"); do
		case " $QEMU_GUEST_TESTS " in
		*" $t "*) return 0 ;;
		esac
	done
	return 1
}

# A topology whose guest boots a guest of its own (vm/guest/qemu_l2_edu):
# its initramfs also carries /l2 (vm/images.sh l2_cpio).
topology_runs_l2()
{
	case " $(topology_tests "$1") " in
	*" qemu_l2_edu "*) return 0 ;;
	esac
	return 1
}

topology_exists()
{
	local t

	for t in $(topology_names); do
		[ "$t" = "$1" ] && return 0
	done
	return 1
}
