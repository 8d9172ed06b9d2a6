# SPDX-License-Identifier: GPL-2.0
# vfio_pci_nvlink2_test on the devices of rig.nvlink2=GPU,BRIDGE[,BRIDGE],
# bound to nvlink2-vfio-pci, twice: first as they are (no NVLink2 part, so
# every case must skip), then on the emulated NVLink2 platform
# (/rig/nvlink2-emu.ko), where every case must pass. make check reads the
# TAP between the RIG: NVLINK2-BEGIN/END lines.
. /rig/lib.sh
devs=$(arg nvlink2 | tr ',' ' ')
t=/rig/kselftest/vfio/vfio_pci_nvlink2_test
[ -n "$devs" ] || { echo "no rig.nvlink2= devices"; exit 0; }
[ -x "$t" ] || { echo "no vfio_pci_nvlink2_test in this initramfs"; exit 0; }
nv=nvlink2_vfio_pci
rc=0
nvlink2_driver && loaded=1

bind_all() {
	for bdf in $devs; do
		bind "$bdf" "$1" || rc=1
	done
}

run() {
	echo "RIG: NVLINK2-BEGIN $1"
	# The emulated platform backs all of its GPU RAM, with plain RAM the
	# kernel does not use, and can inject memory failures of it.
	_ram=$(arg nvlink2_ram)
	export NVLINK2_GPU_RAM_BACKED="${_ram#*,}"
	mf=/sys/kernel/debug/nvlink2-emu/corrupt-offset
	[ -e "$mf" ] && export NVLINK2_CORRUPT_OFFSET=$mf
	# and take the platform through the steps of an EEH reset (the QEMU
	# PHB4 does not come back from a real one).
	eeh=/sys/kernel/debug/nvlink2-emu/eeh-reset
	[ -e "$eeh" ] && export NVLINK2_EEH_INJECT=$eeh
	# shellcheck disable=SC2086 # one BDF per word
	"$t" $devs
	echo "RIG: NVLINK2-END $1 rc=$?"
	unset NVLINK2_CORRUPT_OFFSET NVLINK2_GPU_RAM_BACKED NVLINK2_EEH_INJECT
}

bind_all $nv
run without-platform
bind_all ""

if emu_load; then
	bind_all $nv
	run emulated-platform
	bind_all ""
	emu_unload || { echo "FAIL: nvlink2-emu does not unload"; rc=1; }
else
	echo "FAIL: insmod nvlink2-emu"; rc=1
fi

[ -z "${loaded:-}" ] || modprobe -r nvlink2-vfio-pci || rc=1
exit $rc
