# SPDX-License-Identifier: GPL-2.0
# NVLink isolation must leave alone every device that is not a V100: with
# isolate_nvlink on the command line, give the bus of the first rig.vfio=
# device a secondary bus reset through sysfs (reset_subordinate of its
# downstream port: the device shares its slot with another function, so
# it has no reset_method "bus" of its own), which takes the powernv
# reset_secondary_bus path where isolation hooks in, and check that the
# device still works through vfio-pci. Just before and just after the
# reset, vfio-smoke writes a marker to BAR0 (RAL0, a receive address
# register of the igb): make check reads QEMU's trace of the device's
# register writes and of config writes, and requires an SBR and no BAR0
# write between the two markers.
. /rig/lib.sh
bdf=$(arg vfio | cut -d, -f1)
[ -n "$bdf" ] || { echo "no rig.vfio= device"; exit 0; }
grep -qw isolate_nvlink /proc/cmdline || { echo "FAIL: isolate_nvlink is not on"; exit 1; }
d=/sys/bus/pci/devices/$bdf
ral0=0x5400

bind "$bdf" vfio-pci || exit 1
vfio-smoke "$bdf" 0 $ral0 0x5b5b0001 >/tmp/sbr-before || {
	cat /tmp/sbr-before; echo "FAIL: vfio-smoke before the reset"; exit 1; }
bind "$bdf" ""
echo "RIG: SBR-MARKERS $ral0 0x5b5b0001 0x5b5b0002"

port=$(basename "$(readlink -f "$d/..")")
echo 1 >"/sys/bus/pci/devices/$port/reset_subordinate" ||
	{ echo "FAIL: secondary bus reset of $bdf by $port failed"; exit 1; }
echo "ok: secondary bus reset of $bdf by $port"

bind "$bdf" vfio-pci || exit 1
if vfio-smoke "$bdf" 0 $ral0 0x5b5b0002 >/tmp/sbr-after; then
	echo "ok: $bdf works after the reset"
else
	cat /tmp/sbr-after; echo "FAIL: vfio-smoke after the reset"; exit 1
fi
bind "$bdf" ""
exit 0
