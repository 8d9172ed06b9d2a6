# SPDX-License-Identifier: GPL-2.0
# Helpers of the rig's init tests (sourced).

# arg NAME: the value of rig.NAME= on the kernel command line.
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^rig\.$1=//p"; }

# bind BDF DRIVER: bind BDF to DRIVER through driver_override (DRIVER
# empty: unbind it and clear the override). 0 if it ends up as asked.
bind() {
	_d=/sys/bus/pci/devices/$1
	[ -e "$_d/driver" ] && echo "$1" >"$_d/driver/unbind"
	echo "$2" >"$_d/driver_override"
	[ -n "$2" ] || return 0
	echo "$1" >/sys/bus/pci/drivers_probe
	[ "$(basename "$(readlink "$_d/driver")")" = "$2" ] && return 0
	echo "FAIL: $1 is not bound to $2"
	return 1
}

# emu_load: the emulated NVLink2 platform on the devices of rig.nvlink2=
# (the GPU first), with rig.nvlink2_ram=BASE,SIZE and rig.nvlink2_atsd=.
emu_load() {
	_devs=$(arg nvlink2)
	_ram=$(arg nvlink2_ram)
	insmod /rig/nvlink2-emu.ko gpu="${_devs%%,*}" bridges="${_devs#*,}" \
		ram_base="${_ram%%,*}" ram_size="${_ram#*,}" \
		atsd="$(arg nvlink2_atsd)"
}

emu_unload() {
	rmmod nvlink2_emu
}

# nvlink2_driver: make sure nvlink2-vfio-pci is there; 0 if it was
# loaded here (then unload it with modprobe -r at the end).
nvlink2_driver() {
	[ -d /sys/bus/pci/drivers/nvlink2_vfio_pci ] && return 1
	modprobe nvlink2-vfio-pci && return 0
	echo "FAIL: no nvlink2_vfio_pci driver"
	return 1
}
