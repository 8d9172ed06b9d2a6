# SPDX-License-Identifier: GPL-2.0
# Run the kselftests the series adds, installed in /rig/kselftest by
# testing/boot.sh, with the kselftest runner (TAP on the console). The vfio
# tests get the first rig.vfio= device, bound to vfio-pci.
if [ ! -x /rig/kselftest/run_kselftest.sh ]; then
	echo "no kselftests in this initramfs"
	exit 0
fi
. /rig/lib.sh
bdf=$(arg vfio | cut -d, -f1)
if [ -n "$bdf" ]; then
	bind "$bdf" vfio-pci && export VFIO_SELFTESTS_BDF=$bdf
fi
cd /rig/kselftest || exit 1
./run_kselftest.sh
[ -z "$bdf" ] || bind "$bdf" ""
# The runner's exit status is not the verdict: make check counts the
# "ok"/"not ok" lines, so that a skip (no hardware) is not a failure.
exit 0
