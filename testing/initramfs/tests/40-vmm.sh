# SPDX-License-Identifier: GPL-2.0
# The vmm step: Debian 12's stock QEMU 7.2 (/rig/vmm, in the initramfs of
# the boot that runs this step only) drives nvlink2-vfio-pci on the
# emulated NVLink2 platform, as it would a V100 and its bridges on a
# Witherspoon. rig.vmm=GPU,SAME,OTHER,NOATSD: the GPU, a bridge in its
# IOMMU group (function 1 of its slot), a bridge in another group, and a
# bridge without an ATSD register. QEMU runs a pseries machine under TCG
# with the GPU and SAME on the first vPHB, OTHER and NOATSD on a second,
# stopped before its first instruction (-S): QEMU itself reads and writes
# guest memory on the guest's behalf through its gdbstub (gdbmem), with
# the vCPU's MMU off, so at guest physical addresses. Each check prints
# "VMM: PASS|FAIL NAME: what was compared"; make check reads them between
# the RIG: VMM-BEGIN and VMM-END lines.
. /rig/lib.sh
v=/rig/vmm
[ -x $v/bin/qemu-system-ppc64 ] || { echo "no QEMU 7.2 in this initramfs"; exit 0; }
devs=$(arg vmm | tr ',' ' ')
# shellcheck disable=SC2086 # one BDF per word
set -- $devs
[ $# = 4 ] || { echo "FAIL: rig.vmm= wants GPU,SAME,OTHER,NOATSD"; exit 1; }
gpu=$1 same=$2 other=$3 noatsd=$4
ld="$v/lib/ld64.so.2 --library-path $v/lib"
t=/tmp/vmm
mkdir -p $t
rc=0
t0=$(cut -d' ' -f1 /proc/uptime)
echo "RIG: VMM-BEGIN"

# The end: QEMU's output if anything failed, the devices unbound, the
# platform unloaded.
finish() {
	[ "$rc" = 0 ] || sed 's/^/qemu: /' $t/qemu.log
	for bdf in $devs; do
		bind "$bdf" ""
	done
	rmmod nvlink2_emu || rc=1
	[ -z "${loaded:-}" ] || modprobe -r nvlink2-vfio-pci || rc=1
	echo "RIG: VMM-END rc=$rc $(awk -v t0="$t0" '{ printf "%.0f s in the rig", $1 - t0 }' /proc/uptime)"
	exit $rc
}

check() { # check NAME CONDITION-STATUS WHAT
	if [ "$2" = 0 ]; then
		echo "VMM: PASS $1: $3"
	else
		echo "VMM: FAIL $1: $3"
		rc=1
	fi
}

# stop_qemu PID PIPE: quit QEMU through its monitor; kill it if it does
# not go within a minute. Returns QEMU's exit status.
stop_qemu() {
	$v/bin/gdbmem -p "$1" "$2" mon:quit >/dev/null 2>&1
	(sleep 60; kill -9 "$1" 2>/dev/null) &
	_w=$!
	wait "$1"
	_st=$?
	kill $_w 2>/dev/null
	return $_st
}

# The IOMMU group of a device, or nothing.
grp() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")" 2>/dev/null; }

# A property of a node of the host's device tree, as hex (no 0x).
host_prop() { hexdump -v -e '1/1 "%02x"' "/sys/bus/pci/devices/$1/of_node/$2" 2>/dev/null; }
# A property of the guest's device tree, as hex cells (fdtget -t x).
guest_prop() { $ld $v/bin/fdtget -t x $t/guest.dtb "$1" "$2" 2>/dev/null; }
# 64-bit value of two hex cells "HI LO".
cells64() { printf '%08x%08x' "0x$1" "0x$2"; }

# The emulated platform, with the bridge in the GPU's group first (link
# 0) and OTHER second (link 1), each with an ATSD page; NOATSD sits on
# another PHB, beyond atsd_links.
_ram=$(arg nvlink2_ram)
insmod /rig/nvlink2-emu.ko gpu="$gpu" bridges="$same,$other,$noatsd" \
	ram_base="${_ram%%,*}" ram_size="${_ram#*,}" atsd="$(arg nvlink2_atsd)" \
	atsd_links=2 || { echo "FAIL: insmod nvlink2-emu"; echo "RIG: VMM-END rc=1"; exit 1; }
nvlink2_driver && loaded=1
for bdf in $devs; do
	bind "$bdf" nvlink2_vfio_pci || rc=1
done
[ -n "$(grp "$gpu")" ] && [ "$(grp "$gpu")" = "$(grp "$same")" ] &&
	[ -n "$(grp "$other")" ] && [ "$(grp "$other")" != "$(grp "$gpu")" ]
check topology $? "IOMMU groups: $gpu (GPU) $(grp "$gpu"), $same (bridge) $(grp "$same"), $other (bridge) $(grp "$other"), $noatsd (bridge without ATSD) $(grp "$noatsd")"

# 1. The host writes a pattern through the driver, and reads the
#    capabilities QEMU will read.
/rig/vmm/bin/nvlink2-rw $devs -- ram:0=4e564c32686f7330 ram:-8=4e564c32686f7331 \
	atsd@$same:0=4e564c32686f7332 atsd@$other:0=4e564c32686f7333 >$t/host.txt 2>&1
check host-write $? "the host writes GPU RAM and both ATSD registers through nvlink2-vfio-pci ($(tr '\n' ';' <$t/host.txt))"
ram_size=$(sed -n 's/^ram size=0x\([0-9a-f]*\).*/\1/p' $t/host.txt)
ram_tgt=$(sed -n 's/^ram .* tgt=0x\([0-9a-f]*\).*/\1/p' $t/host.txt)
same_tgt=$(sed -n "s/^atsd $same .* tgt=0x\([0-9a-f]*\).*/\1/p" $t/host.txt)
same_speed=$(sed -n "s/^atsd $same .* speed=\([0-9]*\).*/\1/p" $t/host.txt)
host_tgt=$(host_prop "$same" ibm,device-tgt-addr)
host_speed=$(host_prop "$same" ibm,nvlink-speed)
[ -n "$ram_tgt" ] && [ "$(printf '%016x' "0x$ram_tgt")" = "$host_tgt" ] &&
	[ "$(printf '%016x' "0x$same_tgt")" = "$host_tgt" ] &&
	[ "$(printf '%08x' "0x${same_speed:-x}" 2>/dev/null)" = "$host_speed" ] &&
	grep -q "^atsd $noatsd none$" $t/host.txt
check host-caps $? "SSATGT of the GPU RAM region 0x$ram_tgt and of $same's ATSD region 0x$same_tgt, LNKSPD $same_speed; host device tree: ibm,device-tgt-addr $host_tgt, ibm,nvlink-speed $host_speed; $noatsd: $(grep "^atsd $noatsd" $t/host.txt)"

# 2. QEMU 7.2, unmodified. nofree.so works around QEMU's own use after
#    free of the TGT and link speed (see testing/vmm/nofree.c).
ids() { echo "x-pci-vendor-id=$1,x-pci-device-id=$2"; }
# start_qemu PIPE LOG MACHINE ACCEL [QEMU ARGS...]: QEMU 7.2 in the
# background, stopped (-S), its gdbstub on the FIFOs PIPE.in/.out, with
# the GPU and SAME on the first vPHB (slots 1 and 2), OTHER and NOATSD on
# a second; $! is its pid.
start_qemu() {
	_p=$1 _log=$2 _m=$3 _a=$4
	shift 4
	rm -f "$_p.in" "$_p.out"
	mkfifo "$_p.in" "$_p.out"
	# shellcheck disable=SC2086 # the loader and its options, one word each
	$ld --preload $v/lib/nofree.so $v/bin/qemu-system-ppc64 -L $v/share/qemu \
		-M "$_m" -accel "$_a" -m 256M -smp 1 -nographic -nodefaults -S \
		-gdb "pipe:$_p" "$@" \
		-device spapr-pci-host-bridge,index=1,id=phb1 \
		-device vfio-pci,host=$gpu,bus=pci.0,addr=1.0,"$(ids 0x10de 0x1db1)" \
		-device vfio-pci,host=$same,bus=pci.0,addr=2.0,"$(ids 0x1014 0x04ea)" \
		-device vfio-pci,host=$other,bus=phb1.0,addr=1.0,"$(ids 0x1014 0x04ea)" \
		-device vfio-pci,host=$noatsd,bus=phb1.0,addr=2.0,"$(ids 0x1014 0x04ea)" \
		>"$_log" 2>&1 &
}
start_qemu $t/gdb $t/qemu.log pseries tcg -trace 'vfio_pci_nv*' -trace 'vfio_pci_reset*'
qpid=$!
g="$v/bin/gdbmem -p $qpid $t/gdb"
$g fdt:$t/guest.dtb >$t/gdb.log 2>&1
st=$?
check realize $st "QEMU 7.2 started with the four functions (the bridge without ATSD as a plain device), the guest's device tree saved ($(cat $t/guest.dtb 2>/dev/null | wc -c) bytes) $(cat $t/gdb.log)"
if [ $st != 0 ]; then
	kill -9 $qpid 2>/dev/null
	wait $qpid
	finish
fi
trace='vfio_pci_nv[a-z0-9_]*quirk'
grep -iE 'nvlink|v100|atsd|vfio.*(fail|error)' $t/qemu.log | grep -vE "$trace" >$t/qemu-errors.txt
[ ! -s $t/qemu-errors.txt ]
check no-nvlink2-error $? "QEMU's NVLink2 messages: $(tr '\n' ';' <$t/qemu-errors.txt) QEMU's trace: $(grep -oE "$trace.*" $t/qemu.log | tr '\n' ';')"

# 3. The guest's device tree against the host's values.
mem= ; for n in $($ld $v/bin/fdtget -l $t/guest.dtb / 2>/dev/null); do
	case $n in memory@*)
		[ "$($ld $v/bin/fdtget $t/guest.dtb /$n compatible 2>/dev/null)" = ibm,coherent-device-memory ] && mem=/$n ;;
	esac
done
reg=$(guest_prop "$mem" reg)
# shellcheck disable=SC2086 # four cells
set -- $reg
gpa=$(cells64 "${1:-0}" "${2:-0}") gsize=$(cells64 "${3:-0}" "${4:-0}")
[ -n "$mem" ] && [ "$gsize" = "$(printf '%016x' "0x${ram_size:-0}")" ]
check guest-ram $? "guest $mem, compatible ibm,coherent-device-memory, reg 0x$gpa+0x$gsize; GPU RAM region size 0x$ram_size"
# The vPHBs are named after their BUID, which grows with the index.
set -- $($ld $v/bin/fdtget -l $t/guest.dtb / | grep '^pci@' | sort)
phb0=/$1 phb1=/$2
bnode= gnode=
for p in $phb0 $phb1; do
	for n in $($ld $v/bin/fdtget -l $t/guest.dtb "$p"); do
		props=$($ld $v/bin/fdtget -p $t/guest.dtb "$p/$n")
		case " $(echo $props) " in *" ibm,device-tgt-addr "*) bnode="$bnode $p/$n" ;; esac
		case " $(echo $props) " in *" ibm,npu "*) gnode="$gnode $p/$n" ;; esac
	done
done
# QEMU names a device node after its class, @ its slot: the GPU at 1 and
# $same at 2 of the first vPHB.
set -- $bnode
[ $# = 1 ] && [ "${1%@*}" != "$1" ] && [ "${1#"$phb0"/}" != "$1" ] && [ "${1##*@}" = 2 ] &&
	[ "$(echo $gnode)" != "" ] && [ "${gnode##*@}" = 1 ] && [ "${gnode# "$phb0"/}" != "$gnode" ]
check guest-links $? "NVLink bridges in the guest's tree:$bnode, GPU:$gnode (QEMU links only a bridge whose GPU is on its vPHB: $same, slot 2 of $phb0; the GPU is slot 1)"
btgt=$(guest_prop "$1" ibm,device-tgt-addr) bspeed=$(guest_prop "${1:-/}" ibm,nvlink-speed)
set -- $btgt
[ -n "$host_tgt" ] && [ "$(cells64 "${1:-0}" "${2:-0}")" = "$host_tgt" ]
check guest-tgt $? "guest ibm,device-tgt-addr $(cells64 "${1:-0}" "${2:-0}") = SSATGT of the ATSD region = host's $host_tgt"
[ -n "$host_speed" ] && [ "$(printf '%08x' "0x${bspeed:-x}")" = "$host_speed" ]
check guest-speed $? "guest ibm,nvlink-speed ${bspeed:-none} = LNKSPD of the ATSD region = host's $host_speed"
atsd0=$(guest_prop "$phb0" ibm,mmio-atsd) atsd1=$(guest_prop "$phb1" ibm,mmio-atsd)
set -- $atsd0
[ $# = 2 ] && [ -z "$atsd1" ]
check guest-atsd $? "ibm,mmio-atsd on $phb0 (GPU and $same, one IOMMU group): ${atsd0:-none}; on $phb1 (no GPU): ${atsd1:-none}"
atsd_gpa=$(printf '%x' "0x$(cells64 "${1:-0}" "${2:-0}")")

# 4. The data path, both ways: QEMU reads what the host wrote, and writes.
# As gdbmem prints them: hex, no leading zeros.
last=$(printf '%x' $((0x$gpa + 0x$gsize - 8)))
gpa=$(printf '%x' "0x$gpa")
$g r:$gpa r:$last r:$atsd_gpa >$t/read1.txt 2>&1
grep -q "^$gpa 4e564c32686f7330$" $t/read1.txt && grep -q "^$last 4e564c32686f7331$" $t/read1.txt &&
	grep -q " 4e564c32686f7332$" $t/read1.txt
check guest-reads $? "the guest's view of GPU RAM (first and last 8 bytes) and of the ATSD register holds what the host wrote: $(tr '\n' ';' <$t/read1.txt)"
$g w:$gpa=4e564c3267737430 w:$last=4e564c3267737431 w:$atsd_gpa=4e564c3267737432 \
	r:$gpa r:$last >$t/write1.txt 2>&1 &&
	grep -q "^$gpa 4e564c3267737430$" $t/write1.txt && grep -q "^$last 4e564c3267737431$" $t/write1.txt
check guest-writes $? "the guest writes GPU RAM and ATSD ($(tr '\n' ';' <$t/write1.txt))"

# 5. A system reset, the path a guest's reboot takes. The vCPU never runs,
#    so no guest firmware turns the GPU's memory decode on: the host does
#    it, behind QEMU, so that the reset has something to turn off. QEMU's
#    reset of the GPU (trace vfio_pci_reset*) leaves decode off; GPU RAM
#    is then still mapped where the guest had it, and read and written.
pcicmd() { # the GPU's PCI_COMMAND as 4 hex digits, ffff if unreadable
	_c=$(hexdump -s 4 -n 2 -e '1/2 "%04x"' /sys/bus/pci/devices/$gpu/config 2>/dev/null)
	case $_c in [0-9a-f][0-9a-f][0-9a-f][0-9a-f]) echo "$_c" ;; *) echo ffff ;; esac
}
c=$(pcicmd)
printf "\\$(printf '%03o' $((0x$c & 0xff | 2)))\\$(printf '%03o' $((0x$c >> 8)))" |
	dd of=/sys/bus/pci/devices/$gpu/config bs=1 seek=4 count=2 conv=notrunc 2>/dev/null
before=$(pcicmd)
resets=$(grep -c "vfio_pci_reset.*$gpu" $t/qemu.log)
$g mon:system_reset >$t/reset.txt 2>&1
st=$?
i=0
while [ $st = 0 ] && [ "$(grep -c "vfio_pci_reset.*$gpu" $t/qemu.log)" = "$resets" ]; do
	i=$((i + 1))
	[ $i -le 60 ] || { st=1; break; }
	sleep 1
done
check reset $st "system_reset: QEMU reset the GPU ($(grep "vfio_pci_reset.*$gpu" $t/qemu.log | tail -n +$((resets + 1)) | tr '\n' ';'))"
after=$(pcicmd)
[ $((0x$before & 2)) = 2 ] && [ "$after" != ffff ] && [ $((0x$after & 2)) = 0 ]
check decode-off $? "the GPU's PCI_COMMAND: 0x$before before QEMU's reset, 0x$after after it (memory decode off)"
$g r:$gpa r:$last >$t/read2.txt 2>&1 &&
	grep -q "^$gpa 4e564c3267737430$" $t/read2.txt && grep -q "^$last 4e564c3267737431$" $t/read2.txt &&
	$g w:$gpa=4e564c3272737430 w:$last=4e564c3272737431 r:$gpa r:$last >>$t/read2.txt 2>&1
grep -q "^$gpa 4e564c3272737430$" $t/read2.txt && grep -q "^$last 4e564c3272737431$" $t/read2.txt
check after-reset $? "with decode off, after the reset, GPU RAM (emulated: it keeps its content) still holds what was written before it, and is written: $(tr '\n' ';' <$t/read2.txt)"

# 6. QEMU quits; another process gets the GPU, and reads what the guest
#    wrote.
stop_qemu $qpid $t/gdb
check quit $? "QEMU exited with status 0"
/rig/vmm/bin/nvlink2-rw $devs -- ram:0 ram:-8 atsd@$same:0 >$t/host2.txt 2>&1 &&
	grep -q '^ram:0 4e564c3272737430$' $t/host2.txt && grep -q '^ram:-8 4e564c3272737431$' $t/host2.txt &&
	grep -q "^atsd@$same:0 4e564c3267737432$" $t/host2.txt
check host-reads $? "another process opens the GPU and its bridges, no registration left behind, and reads what the guest wrote: $(grep : $t/host2.txt | tr '\n' ';')"

# 7. KVM HV, which QEMU's powernv9 emulates: the only accelerator under
#    which QEMU gives the driver a KVM with an LPAR of its own. The caps
#    that KVM in the emulated POWER9 cannot offer are turned off. The
#    LPAR binding itself needs an NPU2 behind the GPU, which the emulated
#    platform does not have: what this shows is that the GPU opens with a
#    KVM HV guest attached and QEMU reaches GPU RAM.
if ! (exec 3<>/dev/kvm) 2>/dev/null; then
	echo "VMM: SKIP kvm: /dev/kvm cannot be opened in this rig"
else
	start_qemu $t/kvm $t/kvm.log \
		pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off kvm
	kpid=$!
	$v/bin/gdbmem -p $kpid $t/kvm r:$gpa >$t/kvm-gdb.txt 2>&1
	st=$?
	stop_qemu $kpid $t/kvm
	st=$((st | $?))
	grep -q "^$gpa 4e564c3272737430$" $t/kvm-gdb.txt || st=1
	check kvm $st "QEMU 7.2 with -accel kvm (KVM HV in the emulated POWER9): $(grep -v "TCG doesn't" $t/kvm.log | tr '\n' ';') GPU RAM as the guest sees it: $(tr '\n' ';' <$t/kvm-gdb.txt)"
	[ $st = 0 ] || sed 's/^/qemu-kvm: /' $t/kvm.log
fi

finish
