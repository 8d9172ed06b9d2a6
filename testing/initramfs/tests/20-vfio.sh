# SPDX-License-Identifier: GPL-2.0
# Bind the emulated PCIe device(s) named by rig.vfio=BDF[,BDF...] to
# vfio-pci (or to the driver named by rig.vfio_driver=) and check that
# their IOMMU group shows up as /dev/vfio/N.
arg=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^rig\.vfio=//p')
drv=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^rig\.vfio_driver=//p')
drv=${drv:-vfio-pci}
[ -n "$arg" ] || { echo "no rig.vfio= device: nothing to bind"; exit 0; }
rc=0
for bdf in $(echo "$arg" | tr ',' ' '); do
	d=/sys/bus/pci/devices/$bdf
	if [ ! -d "$d" ]; then
		echo "FAIL: $bdf does not exist"; rc=1; continue
	fi
	[ -e "$d/driver" ] && echo "$bdf" >"$d/driver/unbind"
	echo "$drv" >"$d/driver_override"
	echo "$bdf" >/sys/bus/pci/drivers_probe
	bound=$(readlink "$d/driver")
	g=$(readlink "$d/iommu_group")
	g=${g##*/}
	if [ "${bound##*/}" = "$drv" ] && [ -c "/dev/vfio/$g" ]; then
		echo "ok: $bdf bound to $drv, /dev/vfio/$g"
	else
		echo "FAIL: $bdf driver=${bound##*/} group=$g"; rc=1
	fi
done
exit $rc
