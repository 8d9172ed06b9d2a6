#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-qemu.sh VMLINUX INITRD LOG [extra kernel args...]
#
# Boot the rig: qemu-system-ppc64 -M powernv9 with Debian's skiboot, two
# PHB4s with emulated PCIe devices: an igb NIC, and three virtio-rng
# functions that play NVLink bridges for the emulated NVLink2 platform,
# one of them function 1 of the igb's slot (so that they share an IOMMU
# group); an IPMI BMC so that OPAL power-off ends QEMU. The bridges are
# virtio functions because they have an FLR: the bus reset that vfio-pci
# falls back to for a function without one takes 5 to 8 s here (skiboot
# waits on QEMU's PHB4), and the tests reset the bridges often. The
# console goes to LOG; the exit status is QEMU's (124 on timeout).
# Two vCPUs, run by one host thread in turn (thread=single). Under
# multi-threaded TCG (thread=multi, one host thread per vCPU) QEMU 10.0.2
# lost the guest now and then: 5 of 13 boots of the 6.12 tip on the 2-core
# machine failed, four in a fatal machine check on an MMIO access of one
# vCPU while the other ran the vfio kselftests (three on skiboot's store
# to the LPC UART, real address 0x60300d00103f8, "Kernel re-entered
# OPAL"), one in a stall in skiboot 0.17 s after power-on that the BMC's
# watchdog ended at 60 s (QEMU exit 0). The same day on the same machine
# (some loops side by side), 14 boots with thread=single and 8 with one
# vCPU all passed. RIG_TCG_THREAD=multi brings MTTCG back.
# Environment: RIG_TIMEOUT (seconds, default 900), RIG_DEVICE (default
# igb), RIG_TRACE (a file for QEMU's trace of the device's register writes
# and of PCI config writes). The kernel runs with isolate_nvlink on, so that
# NVLink isolation runs on every reset the rig does.
#
# RIG_RADIX_HUGE=1 (make bench): test scaffolding for the radix MMU's huge
# pages. QEMU's powernv9 device tree has no
# ibm,processor-radix-AP-encodings, so the kernel knows the 4K and 64K
# radix page sizes only and leaves THP off, although QEMU's radix walk
# takes 2M and 1G leaf entries. The script dumps the device tree QEMU
# would give skiboot for this very command line (monitor dumpdtb), adds
# the property to every CPU node with the POWER9 encodings (AP in the top
# three bits, the page shift below: 4K 0, 64K 5, 2M 1, 1G 2; the values
# QEMU's pseries machine gives), and boots with -dtb. Nothing of the
# kernel changes.

. "$(dirname "$0")/../scripts/lib.sh"

vmlinux=$1 initrd=$2 log=$3
shift 3
bios=/usr/share/qemu/skiboot.lid
[ -r "$bios" ] || die "$bios is missing: install qemu-system-data"

args=(
	-M powernv9 -m 4G -smp "${RIG_SMP:-2}" -accel "tcg,thread=${RIG_TCG_THREAD:-single}" -no-reboot
	-bios "$bios" -kernel "$vmlinux" -initrd "$initrd"
	-append "console=hvc0 panic=-1 mem=2G isolate_nvlink rig.vfio=0000:03:00.0 rig.nvlink2=0000:03:00.0,0000:04:00.0,0001:01:00.0 rig.nvlink2_ram=0x80000000,0x40000000 rig.nvlink2_atsd=0xc0000000 rig.vmm=0000:03:00.0,0000:03:00.1,0000:04:00.0,0001:01:00.0 pci=noari $*"
	-nodefaults -display none -serial stdio -monitor none
	-device ipmi-bmc-sim,id=bmc0 -device isa-ipmi-bt,bmc=bmc0,irq=10
	-device pnv-phb,chip-id=0,index=0,id=pcie.0
	-device pnv-phb-root-port,bus=pcie.0,id=rp0
	-device x3130-upstream,bus=rp0,id=up0
	-device xio3130-downstream,bus=up0,id=dp0,chassis=1,slot=1
	-device "${RIG_DEVICE:-igb}",bus=dp0,addr=0x0,multifunction=on
	-device virtio-rng-pci,bus=dp0,addr=0x0.1
	-device xio3130-downstream,bus=up0,id=dp1,chassis=1,slot=2
	-device virtio-rng-pci,bus=dp1,addr=0x0
	-device pnv-phb,chip-id=0,index=1,id=pcie.1
	-device pnv-phb-root-port,bus=pcie.1,id=rp1
	-device virtio-rng-pci,bus=rp1,addr=0x0
)
if [ -n "${RIG_RADIX_HUGE:-}" ]; then
	command -v fdtput >/dev/null || die "RIG_RADIX_HUGE: no fdtput (device-tree-compiler)"
	dtb=$log.dtb
	rm -f "$dtb"
	# The same machine, stopped before the first instruction (-S); the
	# monitor on stdin dumps the tree pnv_reset() made.
	mon=() prev=
	for a in "${args[@]}"; do
		case $prev in
		-serial) mon+=(null) ;;
		-monitor) mon+=(stdio) ;;
		*) mon+=("$a") ;;
		esac
		prev=$a
	done
	printf 'dumpdtb %s\nquit\n' "$dtb" |
		timeout -k 5 60 qemu-system-ppc64 "${mon[@]}" -S >"$log.dumpdtb" 2>&1 || true
	[ -s "$dtb" ] || die "RIG_RADIX_HUGE: QEMU dumped no device tree ($log.dumpdtb)"
	ncpu=0
	for node in $(fdtget -l "$dtb" /cpus); do
		case $node in PowerPC,*) ;; *) continue ;; esac
		fdtput -t x "$dtb" "/cpus/$node" ibm,processor-radix-AP-encodings \
			0x0000000c 0xa0000010 0x20000015 0x4000001e
		ncpu=$((ncpu + 1))
	done
	[ "$ncpu" -gt 0 ] || die "RIG_RADIX_HUGE: no CPU node in QEMU's device tree"
	# The command line is in the tree's /chosen, and QEMU refuses -append
	# with -dtb; -kernel and -initrd load where the tree says.
	boot=() prev=
	for a in "${args[@]}"; do
		[ "$a" = -append ] || [ "$prev" = -append ] || boot+=("$a")
		prev=$a
	done
	args=("${boot[@]}" -dtb "$dtb")
fi
# Why QEMU stopped when the guest cannot say so itself: a POWER9 that
# takes a machine check it cannot handle enters checkstop, which QEMU
# treats as a guest panic. -action panic=exit-failure should make that
# exit 1 (the default, shutdown, exits 0 like a clean power-off) and put
# its "checkstop" line in QEMU's log (RIG_TRACE, or LOG.qemu), which also
# gets the cause of every shutdown request. No rig boot has entered
# checkstop yet: that path is untried.
args+=(-action panic=exit-failure -trace qemu_system_shutdown_request
       -D "${RIG_TRACE:-$log.qemu}")
if [ -n "${RIG_TRACE:-}" ]; then
	args+=(-trace e1000e_core_write -trace "e1000e_wrn_regs_write_*"
	       -trace pci_cfg_write)
fi
timeout --foreground -k 5 "${RIG_TIMEOUT:-900}" \
	qemu-system-ppc64 "${args[@]}" </dev/null >"$log" 2>&1
