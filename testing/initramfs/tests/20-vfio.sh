# SPDX-License-Identifier: GPL-2.0
# For each emulated PCIe device named by rig.vfio=BDF[,BDF...]: bind it to
# vfio-pci through driver_override and run vfio-smoke on it, which opens
# it as a VMM does and prints what userspace sees. Then, if the kernel has
# nvlink2-vfio-pci (built in, or as a module, loaded here), do the same
# with it: the emulated device has no NVLink role, so the variant driver
# must behave exactly as vfio-pci and the two outputs must be the same.
# A module is unbound from the device and unloaded at the end; the
# 90-debug-state test then asks kmemleak for leftovers.
arg=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^rig\.vfio=//p')
[ -n "$arg" ] || { echo "no rig.vfio= device: nothing to bind"; exit 0; }
rc=0

# bind BDF DRIVER: 0 if BDF ends up bound to DRIVER with a /dev/vfio node.
bind() {
	d=/sys/bus/pci/devices/$1
	[ -e "$d/driver" ] && echo "$1" >"$d/driver/unbind"
	echo "$2" >"$d/driver_override"
	echo "$1" >/sys/bus/pci/drivers_probe
	bound=$(readlink "$d/driver")
	g=$(readlink "$d/iommu_group")
	g=${g##*/}
	if [ "${bound##*/}" = "$2" ] && [ -c "/dev/vfio/$g" ]; then
		echo "ok: $1 bound to $2, /dev/vfio/$g"
		return 0
	fi
	echo "FAIL: $1 driver=${bound##*/} group=$g, not $2"
	return 1
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
	if modprobe nvlink2-vfio-pci; then
		loaded=1
		echo "loaded nvlink2-vfio-pci"
	else
		echo "FAIL: modprobe nvlink2-vfio-pci"; rc=1
	fi
fi

for bdf in $(echo "$arg" | tr ',' ' '); do
	if [ ! -d "/sys/bus/pci/devices/$bdf" ]; then
		echo "FAIL: $bdf does not exist"; rc=1; continue
	fi
	bind "$bdf" vfio-pci && smoke "$bdf" "/tmp/smoke-$bdf.vfio-pci" || rc=1
	if [ ! -d /sys/bus/pci/drivers/$nv ]; then
		echo "no $nv in this kernel: vfio-pci only"
		continue
	fi
	bind "$bdf" $nv && smoke "$bdf" "/tmp/smoke-$bdf.$nv" || rc=1
	if diff "/tmp/smoke-$bdf.vfio-pci" "/tmp/smoke-$bdf.$nv"; then
		echo "ok: $bdf: $nv behaves as vfio-pci"
	else
		echo "FAIL: $bdf: $nv differs from vfio-pci (diff above)"; rc=1
	fi
	echo "$bdf" >"/sys/bus/pci/devices/$bdf/driver/unbind"
	echo >"/sys/bus/pci/devices/$bdf/driver_override"
done

if [ -n "$loaded" ]; then
	if modprobe -r nvlink2-vfio-pci && [ ! -d /sys/module/$nv ]; then
		echo "ok: nvlink2-vfio-pci unloaded"
	else
		echo "FAIL: nvlink2-vfio-pci does not unload"; rc=1
	fi
fi
exit $rc
