#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-qemu.sh VMLINUX INITRD LOG [extra kernel args...]
#
# Boot the rig: qemu-system-ppc64 -M powernv9 with Debian's skiboot, one
# PHB4 with a root port and an emulated PCIe device (igb) behind it, an
# IPMI BMC so that OPAL power-off ends QEMU. The console goes to LOG; the
# exit status is QEMU's (124 on timeout). Environment: RIG_TIMEOUT
# (seconds, default 300), RIG_MEM (default 2G), RIG_DEVICE (default igb).

. "$(dirname "$0")/../scripts/lib.sh"

vmlinux=$1 initrd=$2 log=$3
shift 3
bios=/usr/share/qemu/skiboot.lid
[ -r "$bios" ] || die "$bios is missing: install qemu-system-data"

args=(
	-M powernv9 -m "${RIG_MEM:-2G}" -smp 1 -no-reboot
	-bios "$bios" -kernel "$vmlinux" -initrd "$initrd"
	-append "console=hvc0 panic=-1 rig.vfio=0000:01:00.0 $*"
	-nodefaults -display none -serial stdio -monitor none
	-device ipmi-bmc-sim,id=bmc0 -device isa-ipmi-bt,bmc=bmc0,irq=10
	-device pnv-phb,chip-id=0,index=0,id=pcie.0
	-device pnv-phb-root-port,bus=pcie.0,id=rp0
	-device "${RIG_DEVICE:-igb}",bus=rp0,addr=0x0
)
timeout --foreground -k 5 "${RIG_TIMEOUT:-300}" \
	qemu-system-ppc64 "${args[@]}" </dev/null >"$log" 2>&1
