// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO PCI variant driver for NVIDIA V100 GPUs attached to POWER9 by NVLink2.
 *
 * On IBM Witherspoon (AC922) systems, a V100 SXM2 GPU is reached by PCIe
 * and by NVLinks, each of which the NPU2 presents as a PCI function of
 * its own, an NVLink bridge (IBM 0x04ea). The NPU2 maps the RAM of the GPU
 * into the system address space, coherently, and translates the GPU's
 * accesses to system memory (ATS) with the page tables of one partition.
 * On top of vfio-pci, a guest then needs:
 *
 * - the GPU RAM, as a vendor region of the GPU (NVLINK2_RAM) that a VMM
 *   maps into the guest; it carries the TGT, the address of the GPU RAM
 *   on the links, with which the guest's GPU driver routes DMA;
 * - per bridge, the ATSD register of its link, with which the guest
 *   invalidates the GPU's cached translations, as a vendor region of the
 *   bridge (IBM_NVLINK2_ATSD), with the TGT of its GPU, so that a VMM can
 *   pair bridges with GPUs, and the speed of the link;
 * - the GPU's NVLink translation bound to the guest's partition.
 *
 * The platform (arch/powerpc/platforms/powernv/npu-nvlink.c) reads all of
 * it from the device tree; which part a function plays comes from there
 * too, not from its PCI id. A function with no NVLink2 part is handled
 * exactly as vfio-pci would.
 */

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/mmu_context.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/pci.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vfio_pci_core.h>
#include <kunit/visibility.h>
#include <asm/pnv-pci.h>
#include <asm/reg.h>
#if IS_ENABLED(CONFIG_KVM_BOOK3S_HV_POSSIBLE)
#include <linux/kvm_host.h>
#endif

#include "nvlink2.h"

#define CREATE_TRACE_POINTS
#include "../trace.h"

/* The ATSD register of a link: one 64 KiB page of NPU2 MMIO. */
#define NVLINK2_ATSD_SIZE	SZ_64K

/* What userspace may do with the NVLink2 regions. */
#define NVLINK2_REGION_FLAGS	(VFIO_REGION_INFO_FLAG_READ |	\
				 VFIO_REGION_INFO_FLAG_WRITE |	\
				 VFIO_REGION_INFO_FLAG_MMAP)

/* Page offset in its region of a mapping of a VFIO device region. */
#define NVLINK2_PGOFF_MASK	(VFIO_PCI_OFFSET_MASK >> PAGE_SHIFT)

struct nvlink2_vfio_pci_device {
	struct vfio_pci_core_device core_device;
	union {
		struct pnv_nvlink2_gpu_info gpu;	/* GPU role */
		struct pnv_nvlink2_bridge_info bridge;	/* bridge role */
	};
	/* Protects @mm, @mem and @mem_left. */
	struct mutex lock;
	/* The mm that mapped GPU RAM, held with mmgrab() while registered. */
	struct mm_struct *mm;
	/* The one mapping of an open, preregistered as device memory in @mm. */
	struct mm_iommu_table_group_mem_t *mem;
	/* @mem outlived the open that made it: it was still mapped for DMA. */
	bool mem_left;
	/* The GPU is bound to the partition of the guest that opened it. */
	bool lpar_bound;
	/* Bridge role: its ATSD register, mapped while the device is open. */
	void __iomem *atsd;
};

static struct nvlink2_vfio_pci_device *
to_nvdev(struct vfio_pci_core_device *vdev)
{
	return container_of(vdev, struct nvlink2_vfio_pci_device, core_device);
}

/**
 * nvlink2_rw_len() - Clamp a read or a write of a region
 * @pos: offset in the region
 * @count: bytes asked for
 * @size: size of the region
 *
 * Return: the bytes to transfer, up to the end of the region; -EINVAL if
 * @pos is at or past the end.
 */
VISIBLE_IF_KUNIT ssize_t nvlink2_rw_len(loff_t pos, size_t count, size_t size)
{
	if (pos < 0 || pos >= size)
		return -EINVAL;
	return min_t(size_t, count, size - pos);
}
EXPORT_SYMBOL_IF_KUNIT(nvlink2_rw_len);

/**
 * nvlink2_fault_pfn() - The page frame a fault in GPU RAM maps
 * @vma: the mapping of the NVLINK2_RAM region
 * @address: the faulting address
 * @order: the order of the mapping the fault asks for
 * @ram_base: physical address of the GPU RAM window
 * @pfn: set to the first page frame of the mapping
 *
 * Return: whether a mapping of @order fits: inside @vma, with @pfn
 * aligned to it; if not, the fault falls back to a smaller order.
 */
VISIBLE_IF_KUNIT bool nvlink2_fault_pfn(struct vm_area_struct *vma,
					unsigned long address,
					unsigned int order, u64 ram_base,
					unsigned long *pfn)
{
	unsigned long addr = ALIGN_DOWN(address, PAGE_SIZE << order);

	*pfn = PHYS_PFN(ram_base) + (vma->vm_pgoff & NVLINK2_PGOFF_MASK) +
	       linear_page_delta(vma, addr);
	return is_aligned_for_order(vma, addr, *pfn, order);
}
EXPORT_SYMBOL_IF_KUNIT(nvlink2_fault_pfn);

/**
 * nvlink2_add_tgt_cap() - Add the SSATGT capability to a region's info
 * @caps: the capability chain being built
 * @tgt: the TGT of the GPU RAM
 *
 * Return: 0 or -ENOMEM.
 */
VISIBLE_IF_KUNIT int nvlink2_add_tgt_cap(struct vfio_info_cap *caps, u64 tgt)
{
	struct vfio_region_info_cap_nvlink2_ssatgt cap = {
		.header.id = VFIO_REGION_INFO_CAP_NVLINK2_SSATGT,
		.header.version = 1,
		.tgt = tgt,
	};

	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}
EXPORT_SYMBOL_IF_KUNIT(nvlink2_add_tgt_cap);

/**
 * nvlink2_add_lnkspd_cap() - Add the LNKSPD capability to a region's info
 * @caps: the capability chain being built
 * @link_speed: the link speed code of the bridge
 *
 * Return: 0 or -ENOMEM.
 */
VISIBLE_IF_KUNIT int nvlink2_add_lnkspd_cap(struct vfio_info_cap *caps,
					    u32 link_speed)
{
	struct vfio_region_info_cap_nvlink2_lnkspd cap = {
		.header.id = VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD,
		.header.version = 1,
		.link_speed = link_speed,
	};

	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}
EXPORT_SYMBOL_IF_KUNIT(nvlink2_add_lnkspd_cap);

/*
 * GPU RAM.
 *
 * Reads and writes map only the page they touch, for as long as they copy
 * it, through a bounce page, so that no user fault happens with
 * memory_lock held: a long-lived cacheable kernel mapping of GPU RAM would
 * let the CPU prefetch from it before the links are trained, which raises
 * HMIs.
 */
/* Copy @n bytes between @bounce and GPU RAM at @phys, within one page. */
static int nvlink2_ram_copy(struct vfio_pci_core_device *vdev,
			    phys_addr_t phys, void *bounce, size_t n,
			    bool iswrite)
{
	size_t off = offset_in_page(phys);
	void *va;

	guard(rwsem_read)(&vdev->memory_lock);
	if (!__vfio_pci_memory_enabled(vdev))
		return -EIO;
	va = memremap(phys - off, PAGE_SIZE, MEMREMAP_WB);
	if (!va)
		return -ENOMEM;
	if (iswrite)
		memcpy(va + off, bounce, n);
	else
		memcpy(bounce, va + off, n);
	memunmap(va);
	return 0;
}

static ssize_t nvlink2_ram_rw(struct vfio_pci_core_device *vdev,
			      char __user *buf, size_t count, loff_t *ppos,
			      bool iswrite)
{
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(vdev);
	loff_t pos = *ppos & VFIO_PCI_OFFSET_MASK;
	ssize_t len = nvlink2_rw_len(pos, count, nvdev->gpu.ram_size);
	ssize_t done = 0;
	void *bounce;
	int ret = 0;

	if (len < 0)
		return len;
	bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;

	while (done < len) {
		phys_addr_t phys = nvdev->gpu.ram_base + pos + done;
		size_t n = min_t(size_t, len - done,
				 PAGE_SIZE - offset_in_page(phys));

		if (iswrite && copy_from_user(bounce, buf + done, n)) {
			ret = -EFAULT;
			break;
		}
		ret = nvlink2_ram_copy(vdev, phys, bounce, n, iswrite);
		if (ret)
			break;
		if (!iswrite && copy_to_user(buf + done, bounce, n)) {
			ret = -EFAULT;
			break;
		}
		done += n;
	}
	kfree(bounce);

	if (!done)
		return ret;
	*ppos += done;
	return done;
}

static vm_fault_t nvlink2_ram_huge_fault(struct vm_fault *vmf,
					 unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct nvlink2_vfio_pci_device *nvdev = vma->vm_private_data;
	struct vfio_pci_core_device *vdev = &nvdev->core_device;
	unsigned long pfn;
	vm_fault_t ret;

	if (!nvlink2_fault_pfn(vma, vmf->address, order, nvdev->gpu.ram_base,
			       &pfn))
		return VM_FAULT_FALLBACK;

	/* Refused (SIGBUS) while memory is off or the GPU is in reset. */
	scoped_guard(rwsem_read, &vdev->memory_lock)
		ret = vfio_pci_vmf_insert_pfn(vdev, vmf, pfn, order);

	trace_vfio_pci_nvgpu_mmap_fault(vdev->pdev, PFN_PHYS(pfn),
					vmf->address, ret);
	return ret;
}

static vm_fault_t nvlink2_ram_fault(struct vm_fault *vmf)
{
	return nvlink2_ram_huge_fault(vmf, 0);
}

/*
 * A mapping stays whole where it was made: the GPU RAM registration is of
 * its address range, and the ATSD register is mapped whole or not at all.
 */
static int nvlink2_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

static int nvlink2_ram_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static const struct vm_operations_struct nvlink2_ram_vm_ops = {
	.fault = nvlink2_ram_fault,
#ifdef CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP
	.huge_fault = nvlink2_ram_huge_fault,
#endif
	.may_split = nvlink2_may_split,
	.mremap = nvlink2_ram_mremap,
};

/*
 * Undo the registration of the GPU RAM mapping. mm_iommu_put() refuses with
 * -EBUSY while the sPAPR TCE IOMMU or KVM still map part of it for DMA: the
 * registration then stays, with its mm, until a later try finds it unmapped.
 */
static long nvlink2_ram_unregister(struct nvlink2_vfio_pci_device *nvdev)
{
	long ret;

	lockdep_assert_held(&nvdev->lock);
	if (!nvdev->mem)
		return 0;

	ret = mm_iommu_put(nvdev->mm, nvdev->mem);
	if (ret)
		return ret;
	mmdrop(nvdev->mm);
	nvdev->mm = NULL;
	nvdev->mem = NULL;
	nvdev->mem_left = false;
	return 0;
}

/*
 * One mapping per open, inserted page by page on fault. It is registered
 * as device memory of the mm (mm_iommu_newdev()), which lets the sPAPR TCE
 * IOMMU and KVM map it for DMA without pinning struct pages it has not.
 */
static int nvlink2_ram_mmap(struct vfio_pci_core_device *vdev,
			    struct vfio_pci_region *region,
			    struct vm_area_struct *vma)
{
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(vdev);
	u64 offset = PFN_PHYS(vma->vm_pgoff & NVLINK2_PGOFF_MASK);
	u64 len = vma->vm_end - vma->vm_start;
	struct mm_iommu_table_group_mem_t *mem;
	u64 end;
	long ret;

	if (check_add_overflow(offset, len, &end) || end > region->size)
		return -EINVAL;

	guard(mutex)(&nvdev->lock);
	/* Left by an earlier open of this mm: gone once it is DMA-unmapped. */
	if (nvdev->mem_left)
		nvlink2_ram_unregister(nvdev);
	if (nvdev->mem)
		return -EBUSY;

	ret = mm_iommu_newdev(current->mm, vma->vm_start, vma_pages(vma),
			      nvdev->gpu.ram_base + offset, &mem);
	trace_vfio_pci_nvgpu_mmap(vdev->pdev, nvdev->gpu.ram_base + offset,
				  vma->vm_start, len, ret);
	if (ret)
		return ret;

	nvdev->mem = mem;
	nvdev->mm = current->mm;
	mmgrab(nvdev->mm);

	/* GPU RAM is coherent memory: the default, cacheable protection. */
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &nvlink2_ram_vm_ops;
	vma->vm_private_data = nvdev;
	return 0;
}

static void nvlink2_ram_release(struct vfio_pci_core_device *vdev,
				struct vfio_pci_region *region)
{
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(vdev);
	long ret;

	guard(mutex)(&nvdev->lock);
	ret = nvlink2_ram_unregister(nvdev);
	if (ret) {
		nvdev->mem_left = true;
		pci_warn(vdev->pdev,
			 "GPU RAM still mapped for DMA at close (%ld): only its mm can open the GPU until it is unmapped\n",
			 ret);
	}
}

static int nvlink2_ram_add_capability(struct vfio_pci_core_device *vdev,
				      struct vfio_pci_region *region,
				      struct vfio_info_cap *caps)
{
	return nvlink2_add_tgt_cap(caps, to_nvdev(vdev)->gpu.tgt);
}

static const struct vfio_pci_regops nvlink2_ram_regops = {
	.rw = nvlink2_ram_rw,
	.mmap = nvlink2_ram_mmap,
	.release = nvlink2_ram_release,
	.add_capability = nvlink2_ram_add_capability,
};

/*
 * Bind the GPU's NVLink translation to the partition of the guest that
 * opened it. The VMM must have added the group to the KVM-VFIO device
 * before opening the device: only then does the device have a KVM.
 */
static int nvlink2_gpu_bind_kvm(struct nvlink2_vfio_pci_device *nvdev)
{
#if IS_ENABLED(CONFIG_KVM_BOOK3S_HV_POSSIBLE)
	struct vfio_pci_core_device *vdev = &nvdev->core_device;
	struct kvm *kvm = vdev->vdev.kvm;
	int ret;

	if (!kvm)
		return 0;
	/* Only HV guests have a partition of their own (LPID 0 is the host). */
	if (!kvm->arch.lpid) {
		pci_info(vdev->pdev, "the guest has no partition of its own (not KVM HV), GPU not bound to it\n");
		return 0;
	}
	ret = pnv_nvlink2_map_lpar(vdev->pdev, kvm->arch.lpid,
				   MSR_DR | MSR_PR);
	if (ret == -ENODEV) {
		pci_info(vdev->pdev, "no NPU2 behind the GPU, nothing to bind to the guest\n");
		return 0;
	}
	if (ret)
		return ret;
	nvdev->lpar_bound = true;
#endif
	return 0;
}

static int nvlink2_gpu_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(vdev);
	int ret;

	/*
	 * GPU RAM that an earlier open left mapped for DMA stays with that
	 * mm: nobody else gets the GPU before those mappings are gone.
	 */
	scoped_guard(mutex, &nvdev->lock) {
		if (nvlink2_ram_unregister(nvdev) && nvdev->mm != current->mm) {
			pci_warn(vdev->pdev, "GPU RAM still mapped for DMA by its previous user, not opened\n");
			return -EBUSY;
		}
	}

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;

	ret = vfio_pci_core_register_dev_region(vdev, VFIO_REGION_TYPE_PCI_VENDOR_TYPE |
						PCI_VENDOR_ID_NVIDIA,
						VFIO_REGION_SUBTYPE_NVIDIA_NVLINK2_RAM,
						&nvlink2_ram_regops,
						nvdev->gpu.ram_size,
						NVLINK2_REGION_FLAGS, nvdev);
	if (!ret)
		ret = nvlink2_gpu_bind_kvm(nvdev);
	if (ret) {
		vfio_pci_core_disable(vdev);
		return ret;
	}

	vfio_pci_core_finish_enable(vdev);
	return 0;
}

static void nvlink2_gpu_close_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(vdev);
	int ret;

	/* Unbound once the GPU no longer masters the bus and was reset. */
	vfio_pci_core_close_device(core_vdev);
	if (nvdev->lpar_bound) {
		ret = pnv_nvlink2_unmap_lpar(vdev->pdev);
		if (ret)
			pci_warn(vdev->pdev, "unbinding from the guest's partition failed (%d)\n",
				 ret);
		nvdev->lpar_bound = false;
	}
}

/*
 * The ATSD register of a bridge. Its pages are inserted on fault too, so
 * that the core can revoke the mapping around resets like any other.
 */
static ssize_t nvlink2_atsd_rw(struct vfio_pci_core_device *vdev,
			       char __user *buf, size_t count, loff_t *ppos,
			       bool iswrite)
{
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(vdev);
	loff_t pos = *ppos & VFIO_PCI_OFFSET_MASK;
	ssize_t len;

	len = nvlink2_rw_len(pos, count, nvdev->atsd ? NVLINK2_ATSD_SIZE : 0);
	if (len < 0)
		return len;

	len = vfio_pci_core_do_io_rw(vdev, false, nvdev->atsd, buf, pos, len,
				     0, 0, iswrite, VFIO_PCI_IO_WIDTH_8);
	if (len > 0)
		*ppos += len;
	return len;
}

static vm_fault_t nvlink2_atsd_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct nvlink2_vfio_pci_device *nvdev = vma->vm_private_data;
	struct vfio_pci_core_device *vdev = &nvdev->core_device;
	unsigned long pfn = PHYS_PFN(nvdev->bridge.atsd) +
			    (vma->vm_pgoff & NVLINK2_PGOFF_MASK) +
			    linear_page_delta(vma, vmf->address);

	/* NPU2 MMIO: the bridge's memory decode does not gate it. */
	guard(rwsem_read)(&vdev->memory_lock);
	if (vdev->pm_runtime_engaged)
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vma, vmf->address, pfn);
}

static const struct vm_operations_struct nvlink2_atsd_vm_ops = {
	.fault = nvlink2_atsd_fault,
	.may_split = nvlink2_may_split,
};

static int nvlink2_atsd_mmap(struct vfio_pci_core_device *vdev,
			     struct vfio_pci_region *region,
			     struct vm_area_struct *vma)
{
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(vdev);
	u64 len = vma->vm_end - vma->vm_start;

	/* The register whole, or nothing. */
	if (!nvdev->atsd || (vma->vm_pgoff & NVLINK2_PGOFF_MASK) ||
	    len != NVLINK2_ATSD_SIZE)
		return -EINVAL;

	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_ops = &nvlink2_atsd_vm_ops;
	vma->vm_private_data = nvdev;
	trace_vfio_pci_npu2_mmap(vdev->pdev, nvdev->bridge.atsd, vma->vm_start,
				 len, 0);
	return 0;
}

static void nvlink2_atsd_release(struct vfio_pci_core_device *vdev,
				 struct vfio_pci_region *region)
{
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(vdev);

	if (nvdev->atsd) {
		iounmap(nvdev->atsd);
		nvdev->atsd = NULL;
	}
}

static int nvlink2_atsd_add_capability(struct vfio_pci_core_device *vdev,
				       struct vfio_pci_region *region,
				       struct vfio_info_cap *caps)
{
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(vdev);
	int ret;

	ret = nvlink2_add_tgt_cap(caps, nvdev->bridge.tgt);
	if (ret)
		return ret;
	return nvlink2_add_lnkspd_cap(caps, nvdev->bridge.link_speed);
}

static const struct vfio_pci_regops nvlink2_atsd_regops = {
	.rw = nvlink2_atsd_rw,
	.mmap = nvlink2_atsd_mmap,
	.release = nvlink2_atsd_release,
	.add_capability = nvlink2_atsd_add_capability,
};

static int nvlink2_bridge_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(vdev);
	size_t size = 0;
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;

	if (nvdev->bridge.atsd) {
		nvdev->atsd = ioremap(nvdev->bridge.atsd, NVLINK2_ATSD_SIZE);
		if (!nvdev->atsd) {
			ret = -ENOMEM;
			goto disable;
		}
		size = NVLINK2_ATSD_SIZE;
	}

	/*
	 * Registered even without an ATSD register, empty: its capabilities
	 * still tell the VMM the TGT and link speed of the link.
	 */
	ret = vfio_pci_core_register_dev_region(vdev, VFIO_REGION_TYPE_PCI_VENDOR_TYPE |
						PCI_VENDOR_ID_IBM,
						VFIO_REGION_SUBTYPE_IBM_NVLINK2_ATSD,
						&nvlink2_atsd_regops, size,
						NVLINK2_REGION_FLAGS, nvdev);
	if (ret) {
		nvlink2_atsd_release(vdev, NULL);
		goto disable;
	}

	vfio_pci_core_finish_enable(vdev);
	return 0;

disable:
	vfio_pci_core_disable(vdev);
	return ret;
}

/* A function with no NVLink2 part: vfio-pci's open. */
static int nvlink2_plain_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;

	vfio_pci_core_finish_enable(vdev);
	return 0;
}

static int nvlink2_init_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);

	mutex_init(&to_nvdev(vdev)->lock);
	return vfio_pci_core_init_dev(core_vdev);
}

static void nvlink2_release_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(vdev);

	/* Nothing can try again later: a registration still busy is lost. */
	scoped_guard(mutex, &nvdev->lock) {
		if (nvlink2_ram_unregister(nvdev))
			pci_warn(vdev->pdev, "GPU RAM still mapped for DMA as the driver lets the GPU go, its registration is leaked\n");
	}
	mutex_destroy(&nvdev->lock);
	vfio_pci_core_release_dev(core_vdev);
}

#define NVLINK2_VFIO_PCI_OPS(_open, _close)				\
{									\
	.name		= "nvlink2-vfio-pci",				\
	.init		= nvlink2_init_dev,				\
	.release	= nvlink2_release_dev,				\
	.open_device	= _open,					\
	.close_device	= _close,					\
	.ioctl		= vfio_pci_core_ioctl,				\
	.get_region_info_caps = vfio_pci_ioctl_get_region_info,		\
	.device_feature	= vfio_pci_core_ioctl_feature,			\
	.read		= vfio_pci_core_read,				\
	.write		= vfio_pci_core_write,				\
	.mmap		= vfio_pci_core_mmap,				\
	.request	= vfio_pci_core_request,			\
	.match		= vfio_pci_core_match,				\
	.match_token_uuid = vfio_pci_core_match_token_uuid,		\
	.bind_iommufd	= vfio_iommufd_physical_bind,			\
	.unbind_iommufd	= vfio_iommufd_physical_unbind,			\
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,		\
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,		\
	.pasid_attach_ioas = vfio_iommufd_physical_pasid_attach_ioas,	\
	.pasid_detach_ioas = vfio_iommufd_physical_pasid_detach_ioas,	\
}

static const struct vfio_device_ops nvlink2_gpu_ops =
	NVLINK2_VFIO_PCI_OPS(nvlink2_gpu_open_device, nvlink2_gpu_close_device);
static const struct vfio_device_ops nvlink2_bridge_ops =
	NVLINK2_VFIO_PCI_OPS(nvlink2_bridge_open_device,
			     vfio_pci_core_close_device);
static const struct vfio_device_ops nvlink2_plain_ops =
	NVLINK2_VFIO_PCI_OPS(nvlink2_plain_open_device,
			     vfio_pci_core_close_device);

static const struct vfio_pci_device_ops nvlink2_vfio_pci_dev_ops = {
	.get_dmabuf_phys = vfio_pci_core_get_dmabuf_phys,
};

static int nvlink2_vfio_pci_probe(struct pci_dev *pdev,
				  const struct pci_device_id *id)
{
	const struct vfio_device_ops *ops = &nvlink2_plain_ops;
	struct nvlink2_vfio_pci_device *nvdev;
	struct pnv_nvlink2_bridge_info bridge = {};
	struct pnv_nvlink2_gpu_info gpu = {};
	int ret;

	/* The platform says what the function is; no NVLink2 is no error. */
	switch (pnv_nvlink2_role(pdev)) {
	case PNV_NVLINK2_GPU:
		ret = pnv_nvlink2_gpu_info(pdev, &gpu);
		if (!ret)
			ops = &nvlink2_gpu_ops;
		break;
	case PNV_NVLINK2_BRIDGE:
		ret = pnv_nvlink2_bridge_info(pdev, &bridge);
		if (!ret)
			ops = &nvlink2_bridge_ops;
		break;
	default:
		ret = 0;
	}
	if (ret)
		pci_warn(pdev, "NVLink2 facts unusable (%d), passed through without the NVLink2 regions\n",
			 ret);

	nvdev = vfio_alloc_device(nvlink2_vfio_pci_device, core_device.vdev,
				  &pdev->dev, ops);
	if (IS_ERR(nvdev))
		return PTR_ERR(nvdev);

	if (ops == &nvlink2_gpu_ops)
		nvdev->gpu = gpu;
	else if (ops == &nvlink2_bridge_ops)
		nvdev->bridge = bridge;
	nvdev->core_device.pci_ops = &nvlink2_vfio_pci_dev_ops;
	dev_set_drvdata(&pdev->dev, &nvdev->core_device);

	ret = vfio_pci_core_register_device(&nvdev->core_device);
	if (ret) {
		vfio_put_device(&nvdev->core_device.vdev);
		return ret;
	}
	return 0;
}

static void nvlink2_vfio_pci_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

static const struct pci_device_id nvlink2_vfio_pci_table[] = {
	/* NVIDIA Tesla V100 SXM2 (GV100GL) */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_NVIDIA, 0x1db1) }, /* SXM2 16GB */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_NVIDIA, 0x1db5) }, /* SXM2 32GB */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_NVIDIA, 0x1df5) }, /* SXM2 16GB */
	/* IBM POWER9 NPU2 NVLink bridge */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_IBM, 0x04ea) },
	{}
};
MODULE_DEVICE_TABLE(pci, nvlink2_vfio_pci_table);

static struct pci_driver nvlink2_vfio_pci_driver = {
	.name = KBUILD_MODNAME,
	.id_table = nvlink2_vfio_pci_table,
	.probe = nvlink2_vfio_pci_probe,
	.remove = nvlink2_vfio_pci_remove,
	.err_handler = &vfio_pci_core_err_handlers,
	.driver_managed_dma = true,
};

module_pci_driver(nvlink2_vfio_pci_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO PCI driver for NVIDIA V100 GPUs with NVLink2 on POWER9");
