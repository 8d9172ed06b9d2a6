/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nvlink2-vfio-pci: the pure logic, visible to its KUnit tests.
 */
#ifndef NVLINK2_VFIO_PCI_H
#define NVLINK2_VFIO_PCI_H

#include <linux/mm_types.h>
#include <linux/types.h>
#include <linux/vfio.h>

#if IS_ENABLED(CONFIG_KUNIT)
ssize_t nvlink2_rw_len(u64 pos, size_t count, u64 size);
bool nvlink2_fault_pfn(struct vm_area_struct *vma,
		       unsigned long address, unsigned int order,
		       u64 ram_base, unsigned long *pfn);
int nvlink2_pfn_to_pgoff(struct vm_area_struct *vma, unsigned long pfn,
			 u64 ram_base, pgoff_t *pgoff);
int nvlink2_add_tgt_cap(struct vfio_info_cap *caps, u64 tgt);
int nvlink2_add_lnkspd_cap(struct vfio_info_cap *caps, u32 link_speed);
#endif

#endif /* NVLINK2_VFIO_PCI_H */
