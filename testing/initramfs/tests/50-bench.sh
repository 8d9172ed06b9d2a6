# SPDX-License-Identifier: GPL-2.0
# With rig.bench on the command line (make bench): nvlink2-bench on the GPU
# of the emulated NVLink2 platform. Figures, not a test.
. /rig/lib.sh
grep -qw rig.bench /proc/cmdline || { echo "no rig.bench"; exit 0; }
[ -x /rig/bin/nvlink2-bench ] || { echo "FAIL: no nvlink2-bench"; exit 1; }
devs=$(arg nvlink2 | tr ',' ' ')
nvlink2_driver && loaded=1
emu_load || { echo "FAIL: insmod nvlink2-emu"; exit 1; }
rc=0
# GPU RAM is reachable only while all the GPU's bridges are open too.
for bdf in $devs; do bind "$bdf" nvlink2_vfio_pci || rc=1; done
# shellcheck disable=SC2086 # one BDF per word, the GPU first
[ "$rc" = 0 ] && { nvlink2-bench $devs || rc=1; }
for bdf in $devs; do bind "$bdf" ""; done
emu_unload || rc=1
[ -z "${loaded:-}" ] || modprobe -r nvlink2-vfio-pci || rc=1
exit $rc
