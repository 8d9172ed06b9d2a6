/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tracepoints of nvlink2-vfio-pci: mappings of GPU RAM and of ATSD
 * registers, and GPU RAM faults.
 */

#undef TRACE_SYSTEM
#define TRACE_SYSTEM nvlink2_vfio_pci

#if !defined(_NVLINK2_VFIO_PCI_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _NVLINK2_VFIO_PCI_TRACE_H

#include <linux/pci.h>
#include <linux/tracepoint.h>

TRACE_EVENT(nvlink2_ram_fault,
	    TP_PROTO(struct pci_dev *pdev, unsigned long addr, u64 phys,
		     unsigned int order, vm_fault_t ret),
	    TP_ARGS(pdev, addr, phys, order, ret),
	    TP_STRUCT__entry(__string(dev, pci_name(pdev))
			     __field(unsigned long, addr)
			     __field(u64, phys)
			     __field(unsigned int, order)
			     __field(unsigned int, ret)),
	    TP_fast_assign(__assign_str(dev);
			   __entry->addr = addr;
			   __entry->phys = phys;
			   __entry->order = order;
			   __entry->ret = (__force unsigned int)ret;),
	    TP_printk("%s: 0x%lx -> 0x%llx order %u: 0x%x", __get_str(dev),
		      __entry->addr, __entry->phys, __entry->order,
		      __entry->ret)
);

DECLARE_EVENT_CLASS(nvlink2_mmap_class,
		    TP_PROTO(struct pci_dev *pdev, unsigned long addr, u64 phys,
			     unsigned long len, int ret),
		    TP_ARGS(pdev, addr, phys, len, ret),
		    TP_STRUCT__entry(__string(dev, pci_name(pdev))
				     __field(unsigned long, addr)
				     __field(u64, phys)
				     __field(unsigned long, len)
				     __field(int, ret)),
		    TP_fast_assign(__assign_str(dev);
				   __entry->addr = addr;
				   __entry->phys = phys;
				   __entry->len = len;
				   __entry->ret = ret;),
		    TP_printk("%s: 0x%lx -> 0x%llx size 0x%lx: %d",
			      __get_str(dev), __entry->addr, __entry->phys,
			      __entry->len, __entry->ret)
);

DEFINE_EVENT(nvlink2_mmap_class, nvlink2_ram_mmap,
	     TP_PROTO(struct pci_dev *pdev, unsigned long addr, u64 phys,
		      unsigned long len, int ret),
	     TP_ARGS(pdev, addr, phys, len, ret));

DEFINE_EVENT(nvlink2_mmap_class, nvlink2_atsd_mmap,
	     TP_PROTO(struct pci_dev *pdev, unsigned long addr, u64 phys,
		      unsigned long len, int ret),
	     TP_ARGS(pdev, addr, phys, len, ret));

#endif /* _NVLINK2_VFIO_PCI_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace

#include <trace/define_trace.h>
