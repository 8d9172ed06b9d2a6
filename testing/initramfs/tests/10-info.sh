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
