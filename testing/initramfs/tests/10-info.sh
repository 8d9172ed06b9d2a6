# SPDX-License-Identifier: GPL-2.0
# What the rig runs on: kernel, MMU, PCI devices and IOMMU groups.
uname -a
grep -m1 -E '^(cpu|MMU)' /proc/cpuinfo
grep '^MMU' /proc/cpuinfo
for d in /sys/bus/pci/devices/*; do
	g=$(readlink "$d/iommu_group" 2>/dev/null)
	drv=$(readlink "$d/driver" 2>/dev/null)
	echo "pci ${d##*/} $(cat "$d/vendor"):$(cat "$d/device") class=$(cat "$d/class") driver=${drv##*/} iommu_group=${g##*/}"
done
# The RAM the kernel uses and what firmware reserves: the emulated NVLink2
# platform takes its GPU RAM and ATSD pages above mem=.
grep -i 'system ram' /proc/iomem
r=/proc/device-tree/reserved-ranges
[ -r $r ] && echo "firmware reserved-ranges (base size ...): $(hexdump -v -e '8/1 "%02x" " "' $r)"
echo "THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo none)"
