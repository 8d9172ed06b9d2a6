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
 * The platform (arch/powerpc/platforms/powernv/npu-nvlink*.c) reads the
 * facts from the device tree, says which part a function plays, binds the
 * GPU to partitions and keeps, with the GPU, what must outlive an open of
 * it. A function with no NVLink2 part is handled as vfio-pci would.
 *
 * What the GPU RAM region guarantees:
 *
 * - Only the mm that mapped it reaches it. The mapping is registered with
 *   the sPAPR TCE IOMMU as device memory of that mm for as long as the
 *   mapping lives; a registration that DMA mappings keep alive after that
 *   keeps every other mm from opening the GPU until they are gone.
 * - It is reached over the GPU's links, which its bridges stand for: it
 *   faults in, and reads and writes go through, only while every bridge
 *   of the GPU is open through this driver and none is being reset
 *   (firmware fences the links of a bridge it resets or that is disabled,
 *   as VFIO disables a bridge it closes), while the GPU itself is not
 *   being reset, by the PCI core or by EEH, and while it is not in a
 *   low-power state. Otherwise faults get SIGBUS and reads and writes
 *   -EIO, and the mappings are revoked as any of these starts. After a
 *   reset a mapping comes back on the next fault once the GPU answers
 *   config cycles again; whether its links are trained again is for the
 *   GPU's driver to know, not the host.
 * - Memory decode does not gate it. GPU RAM is reached through the NPU2,
 *   not through the GPU's BARs, and a VMM maps it as guest RAM: guests
 *   clear PCI_COMMAND_MEMORY to size BARs, and QEMU clears it at every
 *   reset, and neither may cut the guest off its RAM (v5.x never did).
 * - GPU RAM that the host added as System RAM (the host's GPU driver
 *   can) is not handed out: the GPU is refused (-EBUSY) at open until
 *   that memory is removed again.
 */

#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/list.h>
#include <linux/memory-failure.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/of.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio_pci_core.h>
#include <kunit/visibility.h>
#include <asm/pnv-pci.h>

#include "nvlink2.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/* The ATSD register of a link: one 64 KiB page of NPU2 MMIO. */
#define NVLINK2_ATSD_SIZE	SZ_64K

/* What userspace may do with the NVLink2 regions. */
#define NVLINK2_REGION_FLAGS	(VFIO_REGION_INFO_FLAG_READ |	\
				 VFIO_REGION_INFO_FLAG_WRITE |	\
				 VFIO_REGION_INFO_FLAG_MMAP)

/* Page offset in its region of a mapping of a VFIO device region. */
#define NVLINK2_PGOFF_MASK	(VFIO_PCI_OFFSET_MASK >> PAGE_SHIFT)

/* An NPU2 has six links: no GPU has more bridges. */
#define NVLINK2_MAX_BRIDGES	6

struct nvlink2_vfio_pci_device {
	struct vfio_pci_core_device core_device;
	union {
		struct pnv_nvlink2_gpu_info gpu;	/* GPU role */
		struct pnv_nvlink2_bridge_info bridge;	/* bridge role */
	};

	/*
	 * GPU role. Faults and reads and writes of GPU RAM hold @ram_gate
	 * for reading (after memory_lock), revocations for writing. Under
	 * it: @ram_resets counts the resets of the GPU in progress, @ram_eeh
	 * says that an EEH reset of its PE is, @ram_links counts its bridges
	 * that are open and not being reset, @ram_checked says whether the
	 * GPU answered since the last revocation, and @ram_index is the
	 * region index of the GPU RAM while the GPU is open.
	 */
	struct rw_semaphore ram_gate;
	unsigned int ram_resets;
	bool ram_eeh;
	unsigned int ram_links;
	bool ram_checked;
	unsigned int ram_index;
	/* Where memory failures of GPU RAM find its mappings. */
	struct pfn_address_space ram_pfn_space;
	bool ram_pfn_space_registered;
	/*
	 * GPU role: the device-tree nodes of its bridges, held, which stay
	 * the same when a bridge is removed and added again; NULL where a
	 * bridge had no PCI function when the GPU was bound.
	 */
	struct device_node *bridges[NVLINK2_MAX_BRIDGES];

	/* In nvlink2_gpus or nvlink2_bridges, under nvlink2_lock. */
	struct list_head node;
	/* Bridge role, under nvlink2_lock: open, and being reset. */
	bool bridge_open;
	bool bridge_resetting;
	/* Bridge role: its ATSD register, mapped while the device is open. */
	void __iomem *atsd;
};

/* The GPUs and bridges bound to this driver, and the state of bridges. */
static LIST_HEAD(nvlink2_gpus);
static LIST_HEAD(nvlink2_bridges);
static DEFINE_MUTEX(nvlink2_lock);

static const struct vfio_device_ops nvlink2_gpu_ops;
static const struct vfio_device_ops nvlink2_bridge_ops;

static struct nvlink2_vfio_pci_device *
to_nvdev(struct vfio_pci_core_device *vdev)
{
	return container_of(vdev, struct nvlink2_vfio_pci_device, core_device);
}

static struct vfio_pci_core_device *nvlink2_core(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vfio_pci_core_device, vdev);
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
VISIBLE_IF_KUNIT ssize_t nvlink2_rw_len(u64 pos, size_t count, u64 size)
{
	if (pos >= size)
		return -EINVAL;
	return min_t(u64, count, size - pos);
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
 * nvlink2_pfn_to_pgoff() - The file offset at which a mapping maps a pfn
 * @vma: a mapping of the NVLINK2_RAM region
 * @pfn: a page frame of GPU RAM
 * @ram_base: physical address of the GPU RAM window
 * @pgoff: set to the page offset in the device file that maps @pfn
 *
 * Return: 0; -EFAULT if @pfn lies outside the part of the region @vma maps.
 */
VISIBLE_IF_KUNIT int nvlink2_pfn_to_pgoff(struct vm_area_struct *vma,
					  unsigned long pfn, u64 ram_base,
					  pgoff_t *pgoff)
{
	pgoff_t first = vma->vm_pgoff & NVLINK2_PGOFF_MASK;

	if (pfn < PHYS_PFN(ram_base) + first ||
	    pfn - PHYS_PFN(ram_base) - first >= vma_pages(vma))
		return -EFAULT;
	*pgoff = vma->vm_pgoff + (pfn - PHYS_PFN(ram_base) - first);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(nvlink2_pfn_to_pgoff);

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
 * GPU RAM revocation.
 *
 * The core revokes the mappings of device regions with those of the BARs
 * when VFIO resets the GPU or puts it in a low-power state, under
 * memory_lock. The other resets of the GPU that the PCI core makes (sysfs,
 * another driver's bus reset) come through reset_prepare()/reset_done(),
 * EEH resets of its PE through the platform's notifier, and the bridges,
 * which are other devices, through their open, close and resets.
 */
static void nvlink2_ram_zap(struct nvlink2_vfio_pci_device *nvdev)
{
	struct vfio_pci_core_device *vdev = &nvdev->core_device;
	loff_t start = VFIO_PCI_INDEX_TO_OFFSET(nvdev->ram_index);

	lockdep_assert_held_write(&nvdev->ram_gate);
	if (nvdev->ram_index)
		unmap_mapping_range(vdev->vdev.inode->i_mapping, start,
				    VFIO_PCI_INDEX_TO_OFFSET(1), true);
	nvdev->ram_checked = false;
}

/* A reset of the GPU begins: revoke, and refuse faults until it ends. */
static void nvlink2_ram_reset_begin(struct nvlink2_vfio_pci_device *nvdev)
{
	guard(rwsem_write)(&nvdev->ram_gate);
	nvdev->ram_resets++;
	nvlink2_ram_zap(nvdev);
}

static void nvlink2_ram_reset_end(struct nvlink2_vfio_pci_device *nvdev)
{
	guard(rwsem_write)(&nvdev->ram_gate);
	if (!WARN_ON_ONCE(!nvdev->ram_resets))
		nvdev->ram_resets--;
}

/* The bridges of @gpu that are open here and not being reset. */
static unsigned int nvlink2_links_ready(struct nvlink2_vfio_pci_device *gpu)
{
	struct nvlink2_vfio_pci_device *bridge;
	unsigned int i, n = 0;

	lockdep_assert_held(&nvlink2_lock);
	for (i = 0; i < gpu->gpu.nr_bridges; i++) {
		list_for_each_entry(bridge, &nvlink2_bridges, node) {
			if (gpu->bridges[i] &&
			    pci_device_to_OF_node(bridge->core_device.pdev) ==
			    gpu->bridges[i] &&
			    bridge->bridge_open && !bridge->bridge_resetting)
				n++;
		}
	}
	return n;
}

/* Count the links of @gpu again; revoke its mappings if one is down. */
static void nvlink2_gpu_links_changed(struct nvlink2_vfio_pci_device *gpu)
{
	unsigned int n = nvlink2_links_ready(gpu);

	guard(rwsem_write)(&gpu->ram_gate);
	if (n < gpu->gpu.nr_bridges)
		nvlink2_ram_zap(gpu);
	gpu->ram_links = n;
}

/* A bridge opened, closed, or began or ended a reset: tell its GPU. */
static void nvlink2_bridge_set(struct nvlink2_vfio_pci_device *bridge,
			       bool *state, bool value)
{
	struct nvlink2_vfio_pci_device *gpu;
	unsigned int i;

	guard(mutex)(&nvlink2_lock);
	*state = value;
	list_for_each_entry(gpu, &nvlink2_gpus, node) {
		for (i = 0; i < gpu->gpu.nr_bridges; i++) {
			if (gpu->bridges[i] &&
			    gpu->bridges[i] ==
			    pci_device_to_OF_node(bridge->core_device.pdev)) {
				nvlink2_gpu_links_changed(gpu);
				break;
			}
		}
	}
}

/*
 * An EEH reset of the PE of a GPU starts or ends (platform notifier). The
 * end comes as the reset is deactivated; until the GPU answers config
 * cycles again, faults are refused all the same (ram_checked), and EEH
 * blocks its config space until then.
 */
static int nvlink2_eeh_event(struct notifier_block *nb, unsigned long event,
			     void *data)
{
	struct nvlink2_vfio_pci_device *gpu;

	guard(mutex)(&nvlink2_lock);
	list_for_each_entry(gpu, &nvlink2_gpus, node) {
		if (gpu->core_device.pdev != data)
			continue;
		guard(rwsem_write)(&gpu->ram_gate);
		gpu->ram_eeh = event == PNV_NVLINK2_EEH_RESET;
		if (gpu->ram_eeh)
			nvlink2_ram_zap(gpu);
	}
	return NOTIFY_OK;
}

static struct notifier_block nvlink2_eeh_nb = {
	.notifier_call = nvlink2_eeh_event,
};

/*
 * Whether GPU RAM may be touched now: with all the links of the GPU up as
 * far as the host knows, not while the GPU resets, nor in a low-power
 * state, and, after a revocation, only once the GPU answers config cycles
 * again.
 */
static bool nvlink2_ram_usable(struct nvlink2_vfio_pci_device *nvdev)
{
	struct vfio_pci_core_device *vdev = &nvdev->core_device;

	lockdep_assert_held_read(&vdev->memory_lock);
	lockdep_assert_held_read(&nvdev->ram_gate);

	if (vdev->pm_runtime_engaged || vdev->pdev->current_state != PCI_D0)
		return false;
	if (nvdev->ram_resets || nvdev->ram_eeh ||
	    nvdev->ram_links < nvdev->gpu.nr_bridges)
		return false;
	if (!READ_ONCE(nvdev->ram_checked)) {
		if (!pci_device_is_present(vdev->pdev))
			return false;
		WRITE_ONCE(nvdev->ram_checked, true);
	}
	return true;
}

/*
 * GPU RAM reads and writes map only the page they touch, for as long as
 * they copy it, through a bounce page, so that no user fault happens with
 * the locks held: a long-lived cacheable kernel mapping of GPU RAM would
 * let the CPU prefetch from it before the links are trained, which raises
 * HMIs. Reads copy with machine-check recovery: GPU RAM behind a fenced
 * link reads as uncorrectable errors, which fail the read (-EIO) rather
 * than the host.
 */
static int nvlink2_ram_copy(struct nvlink2_vfio_pci_device *nvdev,
			    phys_addr_t phys, void *bounce, size_t n,
			    bool iswrite)
{
	size_t off = offset_in_page(phys);
	int ret = 0;
	void *va;

	guard(rwsem_read)(&nvdev->core_device.memory_lock);
	guard(rwsem_read)(&nvdev->ram_gate);
	if (!nvlink2_ram_usable(nvdev))
		return -EIO;
	va = memremap(phys - off, PAGE_SIZE, MEMREMAP_WB);
	if (!va)
		return -ENOMEM;
	if (iswrite)
		memcpy(va + off, bounce, n);
	else if (copy_mc_to_kernel(bounce, va + off, n))
		ret = -EIO;
	memunmap(va);
	return ret;
}

static ssize_t nvlink2_ram_rw(struct vfio_pci_core_device *vdev,
			      char __user *buf, size_t count, loff_t *ppos,
			      bool iswrite)
{
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(vdev);
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
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
		ret = nvlink2_ram_copy(nvdev, phys, bounce, n, iswrite);
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

static vm_fault_t nvlink2_ram_insert(struct vm_fault *vmf, unsigned long pfn,
				     unsigned int order)
{
	if (!order)
		return vmf_insert_pfn(vmf->vma, vmf->address, pfn);
	if (IS_ENABLED(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP) && order == PMD_ORDER)
		return vmf_insert_pfn_pmd(vmf, pfn, false);
	if (IS_ENABLED(CONFIG_ARCH_SUPPORTS_PUD_PFNMAP) && order == PUD_ORDER)
		return vmf_insert_pfn_pud(vmf, pfn, false);
	return VM_FAULT_FALLBACK;
}

static vm_fault_t nvlink2_ram_huge_fault(struct vm_fault *vmf,
					 unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct nvlink2_vfio_pci_device *nvdev = vma->vm_private_data;
	struct vfio_pci_core_device *vdev = &nvdev->core_device;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	unsigned long pfn;

	if (!nvlink2_fault_pfn(vma, vmf->address, order, nvdev->gpu.ram_base,
			       &pfn))
		return VM_FAULT_FALLBACK;

	scoped_guard(rwsem_read, &vdev->memory_lock) {
		guard(rwsem_read)(&nvdev->ram_gate);
		if (nvlink2_ram_usable(nvdev))
			ret = nvlink2_ram_insert(vmf, pfn, order);
	}

	trace_nvlink2_ram_fault(vdev->pdev, vmf->address, PFN_PHYS(pfn), order,
				ret);
	return ret;
}

static vm_fault_t nvlink2_ram_fault(struct vm_fault *vmf)
{
	return nvlink2_ram_huge_fault(vmf, 0);
}

/* The registration with the IOMMU lives as long as the mapping. */
static void nvlink2_ram_vm_close(struct vm_area_struct *vma)
{
	struct nvlink2_vfio_pci_device *nvdev = vma->vm_private_data;

	pnv_nvlink2_ram_unregister(nvdev->core_device.pdev, vma->vm_start);
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
	.close = nvlink2_ram_vm_close,
	.fault = nvlink2_ram_fault,
#ifdef CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP
	.huge_fault = nvlink2_ram_huge_fault,
#endif
	.may_split = nvlink2_may_split,
	.mremap = nvlink2_ram_mremap,
};

/*
 * One mapping at a time, inserted on fault. The platform registers it as
 * device memory of the mm (mm_iommu_newdev()), which lets the sPAPR TCE
 * IOMMU and KVM map it for DMA without the struct pages it has not. A
 * fork does not copy it: the registration is of this mm only.
 */
static int nvlink2_ram_mmap(struct vfio_pci_core_device *vdev,
			    struct vfio_pci_region *region,
			    struct vm_area_struct *vma)
{
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(vdev);
	u64 offset = PFN_PHYS(vma->vm_pgoff & NVLINK2_PGOFF_MASK);
	u64 len, end;
	int ret;

	if (check_sub_overflow(vma->vm_end, vma->vm_start, &len) ||
	    check_add_overflow(offset, len, &end))
		return -EOVERFLOW;
	if (end > region->size)
		return -EINVAL;

	ret = pnv_nvlink2_ram_register(vdev->pdev, vma->vm_start, len,
				       nvdev->gpu.ram_base + offset);
	trace_nvlink2_ram_mmap(vdev->pdev, vma->vm_start,
			       nvdev->gpu.ram_base + offset, len, ret);
	if (ret)
		return ret;

	/* GPU RAM is coherent memory: the default, cacheable protection. */
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP |
			  VM_DONTCOPY);
	vma->vm_ops = &nvlink2_ram_vm_ops;
	vma->vm_private_data = nvdev;
	return 0;
}

/* Where a memory failure of GPU RAM finds the mappings to kill. */
static int nvlink2_ram_pfn_to_vma_pgoff(struct vm_area_struct *vma,
					unsigned long pfn, pgoff_t *pgoff)
{
	struct nvlink2_vfio_pci_device *nvdev;

	if (vma->vm_ops != &nvlink2_ram_vm_ops)
		return -EINVAL;
	nvdev = vma->vm_private_data;
	return nvlink2_pfn_to_pgoff(vma, pfn, nvdev->gpu.ram_base, pgoff);
}

static void nvlink2_ram_release(struct vfio_pci_core_device *vdev,
				struct vfio_pci_region *region)
{
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(vdev);

	if (nvdev->ram_pfn_space_registered) {
		unregister_pfn_address_space(&nvdev->ram_pfn_space);
		nvdev->ram_pfn_space_registered = false;
	}
	guard(rwsem_write)(&nvdev->ram_gate);
	nvdev->ram_index = 0;
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
 * The GPU RAM region, and the registration of its page frames for memory
 * failures: a poisoned page of GPU RAM then kills the processes that map
 * it (SIGBUS) rather than going unhandled. Without CONFIG_MEMORY_FAILURE
 * there is nothing to register.
 */
static int nvlink2_ram_region_init(struct nvlink2_vfio_pci_device *nvdev)
{
	struct vfio_pci_core_device *vdev = &nvdev->core_device;
	struct pfn_address_space *space = &nvdev->ram_pfn_space;
	int ret;

	space->node.start = PHYS_PFN(nvdev->gpu.ram_base);
	space->node.last = PHYS_PFN(nvdev->gpu.ram_base + nvdev->gpu.ram_size) - 1;
	space->mapping = vdev->vdev.inode->i_mapping;
	space->pfn_to_vma_pgoff = nvlink2_ram_pfn_to_vma_pgoff;
	ret = register_pfn_address_space(space);
	if (ret && ret != -EOPNOTSUPP)
		return ret;
	nvdev->ram_pfn_space_registered = !ret;

	ret = vfio_pci_core_register_dev_region(vdev, VFIO_REGION_TYPE_PCI_VENDOR_TYPE |
						PCI_VENDOR_ID_NVIDIA,
						VFIO_REGION_SUBTYPE_NVIDIA_NVLINK2_RAM,
						&nvlink2_ram_regops,
						nvdev->gpu.ram_size,
						NVLINK2_REGION_FLAGS, nvdev);
	if (ret) {
		nvlink2_ram_release(vdev, NULL);
		return ret;
	}

	/*
	 * A new user starts from a GPU that VFIO has just reset, whatever EEH
	 * reset a former user left asserted.
	 */
	guard(rwsem_write)(&nvdev->ram_gate);
	nvdev->ram_index = VFIO_PCI_NUM_REGIONS + vdev->num_regions - 1;
	nvdev->ram_checked = false;
	nvdev->ram_eeh = false;
	return 0;
}

/*
 * Whether the host has added any of the GPU RAM window as System RAM
 * (add_memory*(), online or not).
 */
static bool nvlink2_ram_online(const struct pnv_nvlink2_gpu_info *gpu)
{
	return region_intersects(gpu->ram_base, gpu->ram_size,
				 IORESOURCE_SYSTEM_RAM,
				 IORES_DESC_NONE) != REGION_DISJOINT;
}

static int nvlink2_gpu_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = nvlink2_core(core_vdev);
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(vdev);
	int ret;

	/*
	 * Refused while the GPU RAM is still reachable through DMA mappings
	 * that another mm made, or while the GPU is still bound to the
	 * partition of a guest it was passed to before.
	 */
	ret = pnv_nvlink2_gpu_claim(vdev->pdev);
	if (ret)
		return ret;
	if (nvlink2_ram_online(&nvdev->gpu)) {
		pci_warn(vdev->pdev, "GPU RAM added as System RAM: refused\n");
		return -EBUSY;
	}

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;

	ret = nvlink2_ram_region_init(nvdev);
	if (ret)
		goto disable;

	/* The device has a KVM if the VMM added the group to one first. */
	ret = pnv_nvlink2_bind_guest(vdev->pdev, core_vdev->kvm);
	if (ret)
		goto disable;

	vfio_pci_core_finish_enable(vdev);
	return 0;

disable:
	vfio_pci_core_disable(vdev);
	return ret;
}

static void nvlink2_gpu_close_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = nvlink2_core(core_vdev);

	/* Unbound once the GPU no longer masters the bus and was reset. */
	vfio_pci_core_close_device(core_vdev);
	pnv_nvlink2_unbind_guest(vdev->pdev);
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
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
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
	trace_nvlink2_atsd_mmap(vdev->pdev, vma->vm_start, nvdev->bridge.atsd,
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
	struct vfio_pci_core_device *vdev = nvlink2_core(core_vdev);
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;

	/*
	 * No ATSD register, no region: QEMU (4.1 to 8.1) takes a bridge
	 * with an ATSD region for an NVLink2 bridge, and aborts on one whose
	 * region is empty (spapr_phb_pci_collect_nvgpu()).
	 */
	if (nvdev->bridge.atsd) {
		nvdev->atsd = ioremap(nvdev->bridge.atsd, NVLINK2_ATSD_SIZE);
		if (!nvdev->atsd) {
			ret = -ENOMEM;
			goto disable;
		}
		ret = vfio_pci_core_register_dev_region(vdev,
							VFIO_REGION_TYPE_PCI_VENDOR_TYPE |
							PCI_VENDOR_ID_IBM,
							VFIO_REGION_SUBTYPE_IBM_NVLINK2_ATSD,
							&nvlink2_atsd_regops,
							NVLINK2_ATSD_SIZE,
							NVLINK2_REGION_FLAGS, nvdev);
		if (ret) {
			nvlink2_atsd_release(vdev, NULL);
			goto disable;
		}
	}

	vfio_pci_core_finish_enable(vdev);
	nvlink2_bridge_set(nvdev, &nvdev->bridge_open, true);
	return 0;

disable:
	vfio_pci_core_disable(vdev);
	return ret;
}

/*
 * Closing a bridge disables it, and firmware then fences its link: the
 * GPU's mappings go first.
 */
static void nvlink2_bridge_close_device(struct vfio_device *core_vdev)
{
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(nvlink2_core(core_vdev));

	nvlink2_bridge_set(nvdev, &nvdev->bridge_open, false);
	vfio_pci_core_close_device(core_vdev);
}

/* A function with no NVLink2 part: vfio-pci's open. */
static int nvlink2_plain_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = nvlink2_core(core_vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;

	vfio_pci_core_finish_enable(vdev);
	return 0;
}

static int nvlink2_init_dev(struct vfio_device *core_vdev)
{
	struct nvlink2_vfio_pci_device *nvdev = to_nvdev(nvlink2_core(core_vdev));

	init_rwsem(&nvdev->ram_gate);
	INIT_LIST_HEAD(&nvdev->node);
	return vfio_pci_core_init_dev(core_vdev);
}

/*
 * The iommufd operations are there because vfio requires them when
 * IOMMUFD is enabled; the PASID ones are left out, since only the device
 * cdev reaches them and the sPAPR TCE IOMMU, which this driver depends
 * on, excludes it.
 */
static const struct vfio_device_ops nvlink2_gpu_ops = {
	.name		= "nvlink2-vfio-pci",
	.init		= nvlink2_init_dev,
	.release	= vfio_pci_core_release_dev,
	.open_device	= nvlink2_gpu_open_device,
	.close_device	= nvlink2_gpu_close_device,
	.ioctl		= vfio_pci_core_ioctl,
	.get_region_info_caps = vfio_pci_ioctl_get_region_info,
	.device_feature	= vfio_pci_core_ioctl_feature,
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
	.match_token_uuid = vfio_pci_core_match_token_uuid,
	.bind_iommufd	= vfio_iommufd_physical_bind,
	.unbind_iommufd	= vfio_iommufd_physical_unbind,
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
};

static const struct vfio_device_ops nvlink2_bridge_ops = {
	.name		= "nvlink2-vfio-pci",
	.init		= nvlink2_init_dev,
	.release	= vfio_pci_core_release_dev,
	.open_device	= nvlink2_bridge_open_device,
	.close_device	= nvlink2_bridge_close_device,
	.ioctl		= vfio_pci_core_ioctl,
	.get_region_info_caps = vfio_pci_ioctl_get_region_info,
	.device_feature	= vfio_pci_core_ioctl_feature,
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
	.match_token_uuid = vfio_pci_core_match_token_uuid,
	.bind_iommufd	= vfio_iommufd_physical_bind,
	.unbind_iommufd	= vfio_iommufd_physical_unbind,
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
};

static const struct vfio_device_ops nvlink2_plain_ops = {
	.name		= "nvlink2-vfio-pci",
	.init		= nvlink2_init_dev,
	.release	= vfio_pci_core_release_dev,
	.open_device	= nvlink2_plain_open_device,
	.close_device	= vfio_pci_core_close_device,
	.ioctl		= vfio_pci_core_ioctl,
	.get_region_info_caps = vfio_pci_ioctl_get_region_info,
	.device_feature	= vfio_pci_core_ioctl_feature,
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
	.match_token_uuid = vfio_pci_core_match_token_uuid,
	.bind_iommufd	= vfio_iommufd_physical_bind,
	.unbind_iommufd	= vfio_iommufd_physical_unbind,
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
};

static const struct vfio_pci_device_ops nvlink2_vfio_pci_dev_ops = {
	.get_dmabuf_phys = vfio_pci_core_get_dmabuf_phys,
};

/* The device-tree node of bridge @i of @gpu, held, or NULL with a warning. */
static struct device_node *nvlink2_bridge_node(struct pci_dev *gpu,
					       unsigned int i)
{
	struct pci_dev *bridge = pnv_nvlink2_get_bridge(gpu, i);
	struct device_node *np;

	if (!bridge) {
		pci_warn(gpu, "NVLink bridge %u has no PCI function: no GPU RAM until the GPU is bound again\n",
			 i);
		return NULL;
	}
	np = of_node_get(pci_device_to_OF_node(bridge));
	pci_dev_put(bridge);
	return np;
}

/* Take @nvdev off the lists, and drop the bridges it holds. */
static void nvlink2_vfio_pci_forget(struct nvlink2_vfio_pci_device *nvdev)
{
	unsigned int i;

	scoped_guard(mutex, &nvlink2_lock)
		list_del_init(&nvdev->node);
	for (i = 0; i < NVLINK2_MAX_BRIDGES; i++) {
		of_node_put(nvdev->bridges[i]);
		nvdev->bridges[i] = NULL;
	}
}

static int nvlink2_vfio_pci_probe(struct pci_dev *pdev,
				  const struct pci_device_id *id)
{
	const struct vfio_device_ops *ops = &nvlink2_plain_ops;
	struct nvlink2_vfio_pci_device *nvdev;
	struct pnv_nvlink2_bridge_info bridge = {};
	struct pnv_nvlink2_gpu_info gpu = {};
	unsigned int i;
	int ret;

	/* The platform says what the function is; no NVLink2 is no error. */
	switch (pnv_nvlink2_role(pdev)) {
	case PNV_NVLINK2_GPU:
		ret = pnv_nvlink2_gpu_info(pdev, &gpu);
		if (!ret && gpu.nr_bridges > NVLINK2_MAX_BRIDGES)
			ret = -E2BIG;
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

	if (ops == &nvlink2_gpu_ops) {
		nvdev->gpu = gpu;
		for (i = 0; i < gpu.nr_bridges; i++)
			nvdev->bridges[i] = nvlink2_bridge_node(pdev, i);
	} else if (ops == &nvlink2_bridge_ops) {
		nvdev->bridge = bridge;
	}
	nvdev->core_device.pci_ops = &nvlink2_vfio_pci_dev_ops;
	dev_set_drvdata(&pdev->dev, &nvdev->core_device);

	/* Known to the bridges before userspace can open it. */
	scoped_guard(mutex, &nvlink2_lock) {
		if (ops == &nvlink2_gpu_ops) {
			list_add(&nvdev->node, &nvlink2_gpus);
			nvlink2_gpu_links_changed(nvdev);
		} else if (ops == &nvlink2_bridge_ops) {
			list_add(&nvdev->node, &nvlink2_bridges);
		}
	}

	ret = vfio_pci_core_register_device(&nvdev->core_device);
	if (ret) {
		nvlink2_vfio_pci_forget(nvdev);
		vfio_put_device(&nvdev->core_device.vdev);
		return ret;
	}
	return 0;
}

static void nvlink2_vfio_pci_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	nvlink2_vfio_pci_forget(to_nvdev(vdev));
	vfio_put_device(&vdev->vdev);
}

/*
 * Resets of the GPU, and of its bridges, which fence their links: the PCI
 * core calls these around every reset of a function it makes (function,
 * slot and bus resets, from VFIO, sysfs or another driver).
 */
static void nvlink2_vfio_pci_reset_prepare(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);
	const struct vfio_device_ops *ops = vdev ? vdev->vdev.ops : NULL;
	struct nvlink2_vfio_pci_device *nvdev = vdev ? to_nvdev(vdev) : NULL;

	if (ops == &nvlink2_gpu_ops)
		nvlink2_ram_reset_begin(nvdev);
	else if (ops == &nvlink2_bridge_ops)
		nvlink2_bridge_set(nvdev, &nvdev->bridge_resetting, true);
}

static void nvlink2_vfio_pci_reset_done(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);
	const struct vfio_device_ops *ops = vdev ? vdev->vdev.ops : NULL;
	struct nvlink2_vfio_pci_device *nvdev = vdev ? to_nvdev(vdev) : NULL;

	if (ops == &nvlink2_gpu_ops)
		nvlink2_ram_reset_end(nvdev);
	else if (ops == &nvlink2_bridge_ops)
		nvlink2_bridge_set(nvdev, &nvdev->bridge_resetting, false);
}

static const struct pci_error_handlers nvlink2_vfio_pci_err_handlers = {
	.error_detected = vfio_pci_core_aer_err_detected,
	.reset_prepare = nvlink2_vfio_pci_reset_prepare,
	.reset_done = nvlink2_vfio_pci_reset_done,
};

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
	.err_handler = &nvlink2_vfio_pci_err_handlers,
	.driver_managed_dma = true,
};

static int __init nvlink2_vfio_pci_init(void)
{
	int ret;

	ret = pnv_nvlink2_register_eeh_notifier(&nvlink2_eeh_nb);
	if (ret)
		return ret;
	ret = pci_register_driver(&nvlink2_vfio_pci_driver);
	if (ret)
		pnv_nvlink2_unregister_eeh_notifier(&nvlink2_eeh_nb);
	return ret;
}
module_init(nvlink2_vfio_pci_init);

static void __exit nvlink2_vfio_pci_exit(void)
{
	pci_unregister_driver(&nvlink2_vfio_pci_driver);
	pnv_nvlink2_unregister_eeh_notifier(&nvlink2_eeh_nb);
}
module_exit(nvlink2_vfio_pci_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO PCI driver for NVIDIA V100 GPUs with NVLink2 on POWER9");
