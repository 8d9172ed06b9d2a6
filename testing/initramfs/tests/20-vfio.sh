# SPDX-License-Identifier: GPL-2.0
# For each emulated PCIe device named by rig.vfio=BDF[,BDF...]: bind it to
# vfio-pci through driver_override and run vfio-smoke on it, which opens
# it as a VMM does and prints what userspace sees. Then, if the kernel has
# nvlink2-vfio-pci (built in, or as a module, loaded here), do the same
# with it: the emulated device has no NVLink role, so the variant driver
# must behave exactly as vfio-pci and the two outputs must be the same.
# A module is unbound from the device and unloaded at the end; the
# 90-debug-state test then asks kmemleak for leftovers.
. /rig/lib.sh
devs=$(arg vfio | tr ',' ' ')
[ -n "$devs" ] || { echo "no rig.vfio= device: nothing to bind"; exit 0; }
rc=0

# vbind BDF DRIVER: bind, and check that its group shows up in /dev/vfio.
vbind() {
	bind "$1" "$2" || return 1
	g=$(readlink "/sys/bus/pci/devices/$1/iommu_group")
	g=${g##*/}
	[ -c "/dev/vfio/$g" ] || { echo "FAIL: no /dev/vfio/$g for $1"; return 1; }
	echo "ok: $1 bound to $2, /dev/vfio/$g"
}

# smoke BDF OUT: vfio-smoke's output in OUT, also on the console.
smoke() {
	if [ ! -x /rig/bin/vfio-smoke ]; then
		echo "FAIL: no vfio-smoke in the initramfs"
		return 1
	fi
	/rig/bin/vfio-smoke "$1" >"$2"
	r=$?
	sed 's/^/  /' "$2"
	[ "$r" = 0 ] || echo "FAIL: vfio-smoke $1 exited $r"
	return $r
}

nv=nvlink2_vfio_pci
loaded=
if [ ! -d /sys/bus/pci/drivers/$nv ] &&
   grep -q 'nvlink2-vfio-pci\.ko:' "/lib/modules/$(uname -r)/modules.dep" 2>/dev/null; then
	if nvlink2_driver; then
		loaded=1
		echo "loaded nvlink2-vfio-pci"
	else
		rc=1
	fi
fi

for bdf in $devs; do
	if [ ! -d "/sys/bus/pci/devices/$bdf" ]; then
		echo "FAIL: $bdf does not exist"; rc=1; continue
	fi
	vbind "$bdf" vfio-pci && smoke "$bdf" "/tmp/smoke-$bdf.vfio-pci" || rc=1
	if [ ! -d /sys/bus/pci/drivers/$nv ]; then
		echo "no $nv in this kernel: vfio-pci only"
		bind "$bdf" ""
		continue
	fi
	vbind "$bdf" $nv && smoke "$bdf" "/tmp/smoke-$bdf.$nv" || rc=1
	if diff "/tmp/smoke-$bdf.vfio-pci" "/tmp/smoke-$bdf.$nv"; then
		echo "ok: $bdf: $nv behaves as vfio-pci"
	else
		echo "FAIL: $bdf: $nv differs from vfio-pci (diff above)"; rc=1
	fi
	bind "$bdf" ""
done

if [ -n "$loaded" ]; then
	if modprobe -r nvlink2-vfio-pci && [ ! -d /sys/module/$nv ]; then
		echo "ok: nvlink2-vfio-pci unloaded"
	else
		echo "FAIL: nvlink2-vfio-pci does not unload"; rc=1
	fi
fi
exit $rc
