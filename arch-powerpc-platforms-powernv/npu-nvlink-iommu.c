// SPDX-License-Identifier: GPL-2.0-only
/*
 * NVLink2 GPUs on POWER9 powernv: the PEs of the NPU2 PHB and the IOMMU
 * groups of the GPUs.
 *
 * The NPU2 presents every NVLink between the CPU and a GPU as a PCI
 * function, an NVLink bridge, of an NPU PHB. The bridges of one GPU share
 * a PE: their DMA is the GPU's (skiboot maps the GPU's requester id to
 * the PE, hw/npu2.c npu2_set_pe()), translated by the NPU. An NPU PE has
 * one TVE, so its DMA is in bypass, as the host uses the GPU, or goes
 * through one of the GPU's TCE tables when VFIO owns the GPU, or is off.
 *
 * What skiboot's NPU2 does with a TVE (hw/npu2.c) decides how to turn DMA
 * off. Since skiboot 5.10 ("npu2: Disable TVT range check when in bypass
 * mode"), npu2_map_pe_dma_window_real() of any size writes 0 to the TVE
 * and reads it as bypass of all addresses, and of size 0 writes
 * PPC_BIT(51), which disables DMA; before, it wrote 0 for size 0, which
 * disabled DMA then. npu2_map_pe_dma_window() of size 0, the usual way to
 * remove a window, writes 0 too: bypass on any skiboot since 5.10. So the
 * only call that turns DMA off on every skiboot is
 * opal_pci_map_pe_dma_window_real() of size 0, and nothing here removes
 * a window any other way. The NPU2 also takes TCE tables of at most 4
 * levels, where PHB4 takes 5, and cannot unmap a PE (npu2_set_pe()
 * ignores OPAL_UNMAP_PE): a PE that goes away is left with DMA off.
 *
 * skiboot's NPU2 has no EEH: it can neither freeze nor thaw a PE, and
 * reports none frozen. Its errors are HMIs, and what contains them is the
 * fence firmware puts on a link as it resets it. So the bridges are left
 * out of EEH (eeh-powernv.c), and disabling a bridge resets its link
 * alone, through the per-link reset skiboot emulates as the bridge's FLR
 * (hw/npu2.c, npu2_dev_cfg_exp_devcap(); skiboot 6.1 and later fence the
 * link and its GPU RAM), not through a reset of the NPU PHB, which
 * resets every link of the NPU (npu2_hreset()), those of GPUs in other
 * groups too.
 */

#define pr_fmt(fmt) "nvlink2: " fmt

#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/memblock.h>
#include <linux/mutex.h>
#include <linux/of.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>
#include <asm/iommu.h>
#include <asm/opal.h>
#include <asm/pci-bridge.h>
#include <asm/pnv-pci.h>

#include "npu-nvlink.h"
#include "pci.h"

/* The most TCE levels skiboot's NPU2 takes (npu2_map_pe_dma_window()). */
#define NPU2_MAX_TCE_LEVELS	4

/* Whether the machine has an NVLink2 NPU PHB: nothing to do without. */
bool pnv_nvlink2_npu_present __ro_after_init;

/* The OPAL calls, which the KUnit tests replace with a model of skiboot. */
VISIBLE_IF_KUNIT s64 pnv_npu_opal_map_window(u64 phb_id, u16 pe, u16 levels,
					     u64 table, u64 size, u64 page_size)
{
	KUNIT_STATIC_STUB_REDIRECT(pnv_npu_opal_map_window, phb_id, pe, levels,
				   table, size, page_size);
	return opal_pci_map_pe_dma_window(phb_id, pe, pe, levels, table, size,
					  page_size);
}
EXPORT_SYMBOL_IF_KUNIT(pnv_npu_opal_map_window);

VISIBLE_IF_KUNIT s64 pnv_npu_opal_map_window_real(u64 phb_id, u16 pe,
						  u64 size)
{
	KUNIT_STATIC_STUB_REDIRECT(pnv_npu_opal_map_window_real, phb_id, pe,
				   size);
	return opal_pci_map_pe_dma_window_real(phb_id, pe, pe, 0, size);
}
EXPORT_SYMBOL_IF_KUNIT(pnv_npu_opal_map_window_real);

VISIBLE_IF_KUNIT s64 pnv_npu_opal_tce_kill(u64 phb_id, u16 pe)
{
	KUNIT_STATIC_STUB_REDIRECT(pnv_npu_opal_tce_kill, phb_id, pe);
	return opal_pci_tce_kill(phb_id, OPAL_PCI_TCE_KILL_PE, pe, 0, 0, 0);
}
EXPORT_SYMBOL_IF_KUNIT(pnv_npu_opal_tce_kill);

/*
 * pe_err() names a PE by its pdev, which may be gone for an NPU PE whose
 * first bridge was released before the others (pnv_npu_release_bridge()).
 */
static __printf(2, 3) void npe_err(struct pnv_ioda_pe *npe, const char *fmt,
				   ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("PHB#%x-PE#%x: %pV", npe->phb->hose->global_number,
	       npe->pe_number, &vaf);
	va_end(args);
}

static struct pnv_ioda_pe *to_npe(struct iommu_table_group *table_group)
{
	return container_of(table_group, struct pnv_ioda_pe, table_group);
}

/* Turn the DMA of @npe off: the one state that fails closed. */
static int pnv_npu_dma_off(struct pnv_ioda_pe *npe)
{
	u64 opal_id = npe->phb->opal_id;
	s64 rc;

	rc = pnv_npu_opal_map_window_real(opal_id, npe->pe_number, 0);
	if (rc) {
		npe_err(npe, "OPAL error %lld turning DMA off\n", rc);
		return -EIO;
	}
	npe->tce_bypass_enabled = false;
	pnv_npu_opal_tce_kill(opal_id, npe->pe_number);
	return 0;
}

/* DMA bypass, as the host uses the GPU: DMA off first if it fails. */
static int pnv_npu_dma_bypass(struct pnv_ioda_pe *npe)
{
	u64 top = roundup_pow_of_two(memblock_end_of_DRAM());
	s64 rc;

	rc = pnv_npu_opal_map_window_real(npe->phb->opal_id, npe->pe_number,
					  top);
	if (rc) {
		npe_err(npe, "OPAL error %lld enabling DMA bypass\n", rc);
		pnv_npu_dma_off(npe);
		return -EIO;
	}
	npe->tce_bypass_enabled = true;
	pnv_npu_opal_tce_kill(npe->phb->opal_id, npe->pe_number);
	return 0;
}

/* Forget the tables the one TVE of @npe pointed to. */
static void pnv_npu_unlink_tables(struct pnv_ioda_pe *npe)
{
	int num;

	for (num = 0; num < IOMMU_TABLE_GROUP_MAX_TABLES; num++)
		if (npe->table_group.tables[num])
			pnv_pci_unlink_table_and_group(npe->table_group.tables[num],
						       &npe->table_group);
}

/*
 * Removing window @num turns DMA off. On failure the table stays linked:
 * the TVE may still point to it.
 */
static long pnv_npu_unset_window(struct iommu_table_group *table_group,
				 int num)
{
	struct pnv_ioda_pe *npe = to_npe(table_group);
	int ret;

	if (!npe->table_group.tables[num])
		return 0;
	ret = pnv_npu_dma_off(npe);
	if (ret)
		return ret;
	pnv_pci_unlink_table_and_group(npe->table_group.tables[num],
				       &npe->table_group);
	return 0;
}

/*
 * The NPU PE takes the GPU's tables, its one TVE the last one set: DMA
 * goes off before the TVE changes, and stays off if the change fails.
 */
static long pnv_npu_set_window(struct iommu_table_group *table_group, int num,
			       struct iommu_table *tbl)
{
	struct pnv_ioda_pe *npe = to_npe(table_group);
	const unsigned long size = tbl->it_indirect_levels ?
				   tbl->it_level_size : tbl->it_size;
	struct pnv_phb *phb = npe->phb;
	long ret;
	s64 rc;

	if (tbl->it_indirect_levels + 1 > NPU2_MAX_TCE_LEVELS)
		return -EINVAL;

	ret = pnv_npu_dma_off(npe);
	if (ret)
		return ret;
	pnv_npu_unlink_tables(npe);

	rc = pnv_npu_opal_map_window(phb->opal_id, npe->pe_number,
				     tbl->it_indirect_levels + 1,
				     __pa(tbl->it_base), size << 3,
				     IOMMU_PAGE_SIZE(tbl));
	if (rc) {
		npe_err(npe, "OPAL error %lld setting the DMA window\n", rc);
		pnv_npu_dma_off(npe);
		return -EIO;
	}
	/* Linked, the table's TCE kills reach this PE too. */
	ret = pnv_pci_link_table_and_group(phb->hose->node, num, tbl,
					   &npe->table_group);
	if (ret) {
		pnv_npu_dma_off(npe);
		return ret;
	}
	pnv_npu_opal_tce_kill(phb->opal_id, npe->pe_number);
	return 0;
}

/*
 * Bind the GPU of @npe to the host, or take it out of the host's LPAR.
 * The GPU's PCI function may not be added yet: its requester id comes
 * from its device-tree node.
 */
static int pnv_npu_gpu_host(struct pnv_ioda_pe *npe, bool bind)
{
	struct device_node *gpu = npe->npu_gpu;
	struct pci_dn *pdn = gpu ? PCI_DN(gpu) : NULL;

	if (!pdn)
		return -ENODEV;
	return pnv_nvlink2_owner_host(gpu, npe->phb->opal_id,
				      PCI_DEVID(pdn->busno, pdn->devfn), bind);
}

/**
 * pnv_npu_host_setup() - Set an NPU PE up for the host
 * @npe: the PE
 *
 * DMA in bypass, and the GPU bound to the host's LPAR. If bypass cannot
 * be set, DMA is off and the GPU is not bound: the host's context would
 * be of no use.
 */
VISIBLE_IF_KUNIT void pnv_npu_host_setup(struct pnv_ioda_pe *npe)
{
	if (pnv_npu_dma_bypass(npe))
		return;
	if (pnv_npu_gpu_host(npe, true))
		npe_err(npe, "the GPU has no NVLink translation for the host\n");
}
EXPORT_SYMBOL_IF_KUNIT(pnv_npu_host_setup);

/*
 * Ownership moves device by device; an NPU PE acts on the first of its
 * bridges only. VFIO gets it with DMA off and the GPU out of the host's
 * LPAR. If the GPU cannot be taken out, VFIO does not get the PE, which
 * stays with DMA off: the host's context may be gone already, and the
 * owner record remembers the binding, which the next try undoes.
 */
static long pnv_npu_take_ownership(struct iommu_table_group *table_group,
				   struct device *dev)
{
	struct pnv_ioda_pe *npe = to_npe(table_group);
	int ret;

	if (npe->npu_owned)
		return 0;
	ret = pnv_npu_dma_off(npe);
	if (ret)
		return ret;
	ret = pnv_npu_gpu_host(npe, false);
	if (ret) {
		npe_err(npe, "the GPU may still be bound to the host: not given to VFIO, NVLink DMA off\n");
		return ret;
	}
	npe->npu_owned = true;
	return 0;
}

static void pnv_npu_release_ownership(struct iommu_table_group *table_group,
				      struct device *dev)
{
	struct pnv_ioda_pe *npe = to_npe(table_group);

	if (!npe->npu_owned)
		return;
	/* Windows VFIO left behind go with DMA off; then the host's setup. */
	if (pnv_npu_dma_off(npe))
		return;
	pnv_npu_unlink_tables(npe);
	npe->npu_owned = false;
	pnv_npu_host_setup(npe);
}

VISIBLE_IF_KUNIT struct iommu_table_group_ops pnv_npu_pe_ops = {
	.set_window = pnv_npu_set_window,
	.unset_window = pnv_npu_unset_window,
	.take_ownership = pnv_npu_take_ownership,
	.release_ownership = pnv_npu_release_ownership,
};
EXPORT_SYMBOL_IF_KUNIT(pnv_npu_pe_ops);

/* The device-tree node of the GPU of @bridge, held, or NULL. */
static struct device_node *pnv_npu_bridge_gpu(struct pci_dev *bridge)
{
	struct device_node *np = pci_device_to_OF_node(bridge);
	struct device_node *gpu = np ? pnv_nvlink2_of_gpu(np) : NULL;

	return IS_ERR(gpu) ? NULL : gpu;
}

/**
 * pnv_npu_pe_init() - Make a new PE of the NPU PHB an NVLink2 bridge PE
 * @npe: the PE, of which @npe->pdev is the first bridge
 *
 * The PE knows its GPU by its device-tree node, which it holds, and not
 * by its first bridge, which may go before the others of the GPU.
 *
 * Return: 0, or -ENODEV if the bridge has no GPU.
 */
VISIBLE_IF_KUNIT int pnv_npu_pe_init(struct pnv_ioda_pe *npe)
{
	npe->npu_gpu = pnv_npu_bridge_gpu(npe->pdev);
	if (!npe->npu_gpu)
		return -ENODEV;
	npe->npu_owned = false;
	npe->table_group.ops = &pnv_npu_pe_ops;
	npe->table_group.pgsizes = pnv_ioda_parse_tce_sizes(npe->phb);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_npu_pe_init);

/* The PE of another bridge of the same GPU on this PHB, if there is one. */
static struct pnv_ioda_pe *pnv_npu_find_gpu_pe(struct pnv_phb *phb,
					       struct pci_dev *bridge)
{
	struct device_node *gpu = pnv_npu_bridge_gpu(bridge);
	struct pnv_ioda_pe *pe, *found = NULL;

	if (!gpu)
		return NULL;
	mutex_lock(&phb->ioda.pe_list_mutex);
	list_for_each_entry(pe, &phb->ioda.pe_list, list) {
		if (pe->npu_gpu == gpu) {
			found = pe;
			break;
		}
	}
	mutex_unlock(&phb->ioda.pe_list_mutex);
	of_node_put(gpu);
	return found;
}

/**
 * pnv_npu_dma_dev_setup() - Put an NVLink bridge in the PE of its GPU
 * @pdev: the bridge
 *
 * The first bridge of a GPU gets a PE, in bypass, with the GPU bound to
 * the host; the others share it.
 */
void pnv_npu_dma_dev_setup(struct pci_dev *pdev)
{
	struct pnv_phb *phb = pci_bus_to_pnvhb(pdev->bus);
	struct pci_dn *pdn = pci_get_pdn(pdev);
	u16 rid = pci_dev_id(pdev);
	struct pnv_ioda_pe *pe;
	s64 rc;

	if (!pdn || pdn->pe_number != IODA_INVALID_PE)
		return;
	if (pnv_nvlink2_role(pdev) != PNV_NVLINK2_BRIDGE) {
		pci_warn(pdev, "not an NVLink2 bridge, no PE assigned\n");
		return;
	}

	pe = pnv_npu_find_gpu_pe(phb, pdev);
	if (!pe) {
		pe = pnv_npu_setup_dev_pe(pdev);
		if (!pe)
			return;
		if (pnv_npu_pe_init(pe)) {
			npe_err(pe, "the NVLink bridge has no GPU: DMA off\n");
			pnv_npu_dma_off(pe);
			return;
		}
		/*
		 * The PE joins its GPU's group with DMA off. Outside the group,
		 * its DMA would stay as the host left it while VFIO owns the
		 * GPU: off and out of the host's LPAR, the GPU gets no DMA over
		 * its links instead. In a group VFIO owns already (a bridge
		 * added again while the GPU is passed through), VFIO takes the
		 * PE as it is added, with the host's setup never made.
		 */
		pnv_npu_dma_off(pe);
		if (!pnv_nvlink2_join_group(pe) || !pe->table_group.group) {
			npe_err(pe, "not in the IOMMU group of its GPU: NVLink DMA off\n");
			pnv_npu_gpu_host(pe, false);
		} else if (!iommu_group_dma_owner_claimed(pe->table_group.group)) {
			pnv_npu_host_setup(pe);
			pe->dma_setup_done = pe->tce_bypass_enabled;
		}
		goto add_to_group;
	}

	rc = opal_pci_set_pe(phb->opal_id, pe->pe_number, rid, OpalPciBusAll,
			     OPAL_COMPARE_RID_DEVICE_NUMBER,
			     OPAL_COMPARE_RID_FUNCTION_NUMBER, OPAL_MAP_PE);
	if (rc) {
		npe_err(pe, "OPAL error %lld adding %s to the PE\n", rc,
			pci_name(pdev));
		return;
	}
	phb->ioda.pe_rmap[rid] = pe->pe_number;
	pdn->pe_number = pe->pe_number;
	pe->device_count++;
	/* Its first bridge went before the others: this one is the first. */
	if (!pe->pdev) {
		pe->pdev = pdev;
		pe->rid = rid;
	}
	pci_info(pdev, "Added to PE#%x of its GPU's NVLink bridges\n",
		 pe->pe_number);
add_to_group:
	if (pe->table_group.group)
		iommu_add_device(&pe->table_group, &pdev->dev);
}

/**
 * pnv_npu_release_pe() - An NPU PE goes away
 * @npe: the PE
 *
 * skiboot cannot unmap it: its DMA goes off, whatever it was, and the
 * tables VFIO left are unlinked.
 */
void pnv_npu_release_pe(struct pnv_ioda_pe *npe)
{
	pnv_npu_dma_off(npe);
	pnv_npu_unlink_tables(npe);
	npe->npu_owned = false;
	of_node_put(npe->npu_gpu);
	npe->npu_gpu = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_npu_release_pe);

/**
 * pnv_npu_release_bridge() - Take an NVLink bridge out of its PE
 * @pdev: the bridge, being released
 *
 * The PE does not hold its bridges (that would keep them, and the PE,
 * forever): as its first bridge goes before the others, the PE has no
 * first bridge (pe->pdev is NULL) until one is added again or the last
 * one goes, which the PE is released with, and which pe->pdev then names
 * for pnv_ioda_release_pe(). skiboot does not unmap a requester id from a
 * PE (npu2_set_pe() ignores OPAL_UNMAP_PE), so only the kernel forgets it.
 */
void pnv_npu_release_bridge(struct pci_dev *pdev)
{
	struct pnv_phb *phb = pci_bus_to_pnvhb(pdev->bus);
	struct pci_dn *pdn = pci_get_pdn(pdev);
	u16 rid = pci_dev_id(pdev);
	struct pnv_ioda_pe *pe;

	if (!pdn || pdn->pe_number == IODA_INVALID_PE)
		return;
	pe = &phb->ioda.pe_array[pdn->pe_number];
	if (pe->device_count <= 1) {
		/* The last: released with the PE, which unmaps its RID. */
		pe->pdev = pdev;
		pe->rid = rid;
		return;
	}
	phb->ioda.pe_rmap[rid] = IODA_INVALID_PE;
	if (pe->pdev == pdev)
		pe->pdev = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_npu_release_bridge);

/**
 * pnv_npu_disable_device() - Reset the link of an NVLink bridge
 * @pdev: the bridge, which its driver disables (as VFIO does when its
 *	user goes away)
 *
 * skiboot resets the link of a bridge, and fences it and the GPU RAM
 * behind it, on a 16-bit write of the FLR bit to the bridge's emulated
 * PCIe device control register; it keeps the bit set, so it is cleared
 * again, lest a later read-modify-write reset the link once more.
 */
void pnv_npu_disable_device(struct pci_dev *pdev)
{
	if (!pci_is_pcie(pdev) ||
	    pcie_capability_set_word(pdev, PCI_EXP_DEVCTL,
				     PCI_EXP_DEVCTL_BCR_FLR) ||
	    pcie_capability_clear_word(pdev, PCI_EXP_DEVCTL,
				       PCI_EXP_DEVCTL_BCR_FLR))
		pci_warn(pdev, "the NVLink was not reset\n");
}
EXPORT_SYMBOL_IF_KUNIT(pnv_npu_disable_device);

/**
 * pnv_npu_dma_off_all() - Turn the DMA of every PE of an NPU PHB off
 * @phb: the NPU PHB
 *
 * A reset of the IODA tables, which the kernel makes of every PHB as it
 * probes it, writes a TVE of 0 for every PE of the NPU2 (npu2_ioda_reset()):
 * since skiboot 5.10, bypass of every address, until a PE is set up, and
 * for ever for a PE none is. And it keeps the requester ids mapped to the
 * PEs, from a kernel before a kexec too. So DMA goes off for all of them,
 * after that reset and as the kernel shuts down.
 */
void pnv_npu_dma_off_all(struct pnv_phb *phb)
{
	unsigned int pe;

	for (pe = 0; pe < phb->ioda.total_pe_num; pe++)
		pnv_npu_opal_map_window_real(phb->opal_id, pe, 0);
}

/**
 * pnv_npu_shutdown() - Shut an NPU PHB down for a kexec
 * @hose: the NPU PHB
 *
 * Every PE with DMA off, rather than the IODA reset of the other PHBs,
 * which would put them all in bypass for as long as the next kernel
 * takes to probe the PHB.
 */
void pnv_npu_shutdown(struct pci_controller *hose)
{
	pnv_npu_dma_off_all(hose->private_data);
}
EXPORT_SYMBOL_IF_KUNIT(pnv_npu_shutdown);

/*
 * IOMMU groups.
 *
 * The NVLinks carry a GPU's DMA through the NPU, translated by the PE of
 * its bridges, so a GPU and its bridges must be in one IOMMU group, and
 * all their PEs must use the same TCE tables. A compound table group,
 * which VFIO and KVM see as the group's iommudata, passes every window
 * and ownership change on to its member PEs: the GPUs' PEs on their PHBs
 * and the bridges' PEs on the NPU PHB.
 *
 * Which GPUs share a group is the grouping policy, decided in
 * nvlink2_group_key() only: by default all the GPUs linked to one NPU,
 * since nothing controls the direct NVLinks between them (as in v5.x);
 * each GPU with its own bridges if its links to other GPUs are cut
 * (pnv_nvlink2_gpu_isolated(), npu-nvlink-isolate.c).
 */

/*
 * Protects nvlink2_groups and the members of every group, which the
 * group's operations walk.
 */
static DEFINE_MUTEX(nvlink2_groups_lock);
static LIST_HEAD(nvlink2_groups);

static struct nvlink2_group *to_nvlink2_group(struct iommu_table_group *tg)
{
	return container_of(tg, struct nvlink2_group, table_group);
}

static bool nvlink2_pe_is_npu(const struct pnv_ioda_pe *pe)
{
	return pe->phb->type == PNV_PHB_NPU_NVLINK;
}

/* A GPU's PE of @grp, which creates the tables for all members. */
static struct pnv_ioda_pe *nvlink2_group_gpu_pe(struct nvlink2_group *grp)
{
	unsigned int i;

	for (i = 0; i < grp->nr_pes; i++)
		if (!nvlink2_pe_is_npu(grp->pes[i]))
			return grp->pes[i];
	return NULL;
}

static long nvlink2_group_create_table(struct iommu_table_group *tg, int num,
				       __u32 page_shift, __u64 window_size,
				       __u32 levels, struct iommu_table **ptbl)
{
	struct pnv_ioda_pe *gpe;

	/* The group's limit is the NPU2's, below the GPU PE's. */
	if (levels > tg->max_levels)
		return -EINVAL;
	guard(mutex)(&nvlink2_groups_lock);
	gpe = nvlink2_group_gpu_pe(to_nvlink2_group(tg));
	if (!gpe)
		return -ENODEV;
	return gpe->table_group.ops->create_table(&gpe->table_group, num,
						  page_shift, window_size,
						  levels, ptbl);
}

static long nvlink2_group_set_window(struct iommu_table_group *tg, int num,
				     struct iommu_table *tbl)
{
	struct nvlink2_group *grp = to_nvlink2_group(tg);
	struct pnv_ioda_pe *pe;
	unsigned int i;
	long ret = 0;

	guard(mutex)(&nvlink2_groups_lock);
	for (i = 0; i < grp->nr_pes; i++) {
		pe = grp->pes[i];
		ret = pe->table_group.ops->set_window(&pe->table_group, num,
						      tbl);
		if (ret)
			break;
	}
	if (ret) {
		/* The member that failed left its DMA off; so do the others. */
		while (i--) {
			pe = grp->pes[i];
			pe->table_group.ops->unset_window(&pe->table_group, num);
		}
		return ret;
	}
	tg->tables[num] = iommu_tce_table_get(tbl);
	return 0;
}

static long nvlink2_group_unset_window(struct iommu_table_group *tg, int num)
{
	struct nvlink2_group *grp = to_nvlink2_group(tg);
	struct pnv_ioda_pe *pe;
	unsigned int i;
	long ret = 0, rc;

	guard(mutex)(&nvlink2_groups_lock);
	if (!tg->tables[num])
		return 0;

	/* Unset it everywhere: a member left with the table could still DMA. */
	for (i = 0; i < grp->nr_pes; i++) {
		pe = grp->pes[i];
		rc = pe->table_group.ops->unset_window(&pe->table_group, num);
		if (rc && !ret)
			ret = rc;
	}
	/* A member may still point to the table: it must stay. */
	if (ret)
		return ret;
	iommu_tce_table_put(tg->tables[num]);
	tg->tables[num] = NULL;
	return 0;
}

/* The member PE that @dev is in, or NULL. */
static struct pnv_ioda_pe *nvlink2_group_dev_pe(struct nvlink2_group *grp,
						struct device *dev)
{
	struct pnv_ioda_pe *pe;
	unsigned int i;

	lockdep_assert_held(&nvlink2_groups_lock);
	if (!dev_is_pci(dev))
		return NULL;
	pe = pnv_ioda_get_pe(to_pci_dev(dev));
	for (i = 0; i < grp->nr_pes; i++)
		if (grp->pes[i] == pe)
			return pe;
	return NULL;
}

/*
 * The IOMMU core moves ownership device by device: pass each device on to
 * its PE, which acts on the first of its devices only. A GPU whose RAM a
 * former user can still reach through its IOMMU is nobody else's.
 */
static long nvlink2_group_take_ownership(struct iommu_table_group *tg,
					 struct device *dev)
{
	struct pnv_ioda_pe *pe;
	long ret;

	if (dev_is_pci(dev) &&
	    pnv_nvlink2_role(to_pci_dev(dev)) == PNV_NVLINK2_GPU) {
		ret = pnv_nvlink2_gpu_claim(to_pci_dev(dev));
		if (ret)
			return ret;
	}

	guard(mutex)(&nvlink2_groups_lock);
	pe = nvlink2_group_dev_pe(to_nvlink2_group(tg), dev);
	if (WARN_ON_ONCE(!pe))
		return -ENODEV;
	return pe->table_group.ops->take_ownership(&pe->table_group, dev);
}

static void nvlink2_group_release_ownership(struct iommu_table_group *tg,
					    struct device *dev)
{
	struct pnv_ioda_pe *pe;

	guard(mutex)(&nvlink2_groups_lock);
	pe = nvlink2_group_dev_pe(to_nvlink2_group(tg), dev);
	if (!WARN_ON_ONCE(!pe))
		pe->table_group.ops->release_ownership(&pe->table_group, dev);
}

VISIBLE_IF_KUNIT struct iommu_table_group_ops pnv_nvlink2_group_ops = {
	.get_table_size = pnv_pci_ioda2_get_table_size,
	.create_table = nvlink2_group_create_table,
	.set_window = nvlink2_group_set_window,
	.unset_window = nvlink2_group_unset_window,
	.take_ownership = nvlink2_group_take_ownership,
	.release_ownership = nvlink2_group_release_ownership,
};
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_group_ops);

/*
 * The grouping policy: what the group of @gpu is keyed by, the node of
 * the NPU PHB of its first bridge, or the GPU itself.
 */
static struct device_node *nvlink2_group_key(struct device_node *gpu)
{
	struct device_node *bridge, *key = NULL;
	struct pci_dn *pdn;

	if (pnv_nvlink2_gpu_isolated(gpu))
		return of_node_get(gpu);

	bridge = pnv_nvlink2_of_bridge(gpu, 0);
	if (IS_ERR_OR_NULL(bridge))
		return NULL;
	pdn = PCI_DN(bridge);
	if (pdn && pdn->phb)
		key = of_node_get(pdn->phb->dn);
	of_node_put(bridge);
	return key;
}

/*
 * Whether the first bridge of @gpu is on an NPU2 NVLink PHB: only then do
 * its links carry DMA that the GPU's group must cover (an NVLink2 topology
 * emulated on ordinary PHBs keeps ordinary groups).
 */
static bool nvlink2_gpu_on_npu(struct device_node *gpu)
{
	struct device_node *bridge = pnv_nvlink2_of_bridge(gpu, 0);
	struct pci_dn *pdn;
	bool ret = false;

	if (IS_ERR_OR_NULL(bridge))
		return false;
	pdn = PCI_DN(bridge);
	if (pdn && pdn->phb && pdn->phb->private_data) {
		struct pnv_phb *phb = pdn->phb->private_data;

		ret = phb->type == PNV_PHB_NPU_NVLINK;
	}
	of_node_put(bridge);
	return ret;
}

/* Whether the device-tree node @np is an NVLink2 GPU behind an NPU2 PHB. */
static bool nvlink2_is_npu_gpu(struct device_node *np)
{
	return np && pnv_nvlink2_of_role(np) == PNV_NVLINK2_GPU &&
	       nvlink2_gpu_on_npu(np);
}

/*
 * The GPU node of an NVLink2 PE, with a reference held: the GPU of the
 * bridges of an NPU PE, or an NVLink2 GPU of a PE of an ordinary PHB whose
 * links go to an NPU2 PHB. Machines without NPU2 PHBs look no further.
 */
static struct device_node *nvlink2_pe_gpu(struct pnv_ioda_pe *pe)
{
	struct device_node *np;
	struct pci_dev *pdev;

	if (!pnv_nvlink2_npu_present)
		return NULL;
	if (nvlink2_pe_is_npu(pe))
		return of_node_get(pe->npu_gpu);

	if (pe->pdev) {
		np = pci_device_to_OF_node(pe->pdev);
		return nvlink2_is_npu_gpu(np) ? of_node_get(np) : NULL;
	}
	if (!pe->pbus)
		return NULL;
	list_for_each_entry(pdev, &pe->pbus->devices, bus_list) {
		np = pci_device_to_OF_node(pdev);
		if (nvlink2_is_npu_gpu(np))
			return of_node_get(np);
	}
	return NULL;
}

static struct nvlink2_group *nvlink2_group_find(struct device_node *key)
{
	struct nvlink2_group *grp;

	list_for_each_entry(grp, &nvlink2_groups, list)
		if (grp->key == key)
			return grp;
	return NULL;
}

/**
 * pnv_nvlink2_join_group() - Put an NVLink2 PE in its IOMMU group
 * @pe: a PE whose DMA is set up and whose table group has its ops
 *
 * The PHBs call this instead of iommu_register_group(). A PE of an NVLink2
 * GPU or of its bridges goes into the group the policy gives it, created
 * on first use; any other PE is left alone.
 *
 * Return: true if @pe is an NVLink2 PE. It is then in a compound group,
 * whose iommu_group is in @pe->table_group.group with a reference held,
 * or, if that failed, in none: VFIO cannot have a GPU whose group would
 * not cover its links.
 */
bool pnv_nvlink2_join_group(struct pnv_ioda_pe *pe)
{
	struct device_node *gpu, *key;
	struct nvlink2_group *grp;

	gpu = nvlink2_pe_gpu(pe);
	if (!gpu)
		return false;
	key = nvlink2_group_key(gpu);
	of_node_put(gpu);
	if (!key) {
		pe_err(pe, "no NVLink2 IOMMU group: no IOMMU group at all\n");
		return true;
	}

	mutex_lock(&nvlink2_groups_lock);
	grp = nvlink2_group_find(key);
	if (!grp) {
		grp = kzalloc_obj(*grp);
		if (!grp)
			goto fail;
		grp->key = of_node_get(key);
		grp->table_group.ops = &pnv_nvlink2_group_ops;
		grp->table_group.pgsizes = ~0ULL;
		grp->table_group.max_levels = NPU2_MAX_TCE_LEVELS;
		iommu_register_group(&grp->table_group,
				     pe->phb->hose->global_number,
				     pe->pe_number);
		if (!grp->table_group.group) {
			of_node_put(grp->key);
			kfree(grp);
			goto fail;
		}
		list_add_tail(&grp->list, &nvlink2_groups);
	}
	if (WARN_ON(grp->nr_pes == NVLINK2_GROUP_MAX_PES))
		goto fail;

	grp->pes[grp->nr_pes++] = pe;
	grp->table_group.pgsizes &= pe->table_group.pgsizes;
	if (!nvlink2_pe_is_npu(pe)) {
		/* The DMA windows are the GPUs', within what the NPU2 takes. */
		grp->table_group.tce32_start = pe->table_group.tce32_start;
		grp->table_group.tce32_size = pe->table_group.tce32_size;
		grp->table_group.max_dynamic_windows_supported =
			pe->table_group.max_dynamic_windows_supported;
		grp->table_group.max_levels = min_t(u32, NPU2_MAX_TCE_LEVELS,
						    pe->table_group.max_levels);
	}
	pe->table_group.group = iommu_group_ref_get(grp->table_group.group);
	pe_info(pe, "In the NVLink2 IOMMU group of %pOF\n", key);
	mutex_unlock(&nvlink2_groups_lock);
	of_node_put(key);
	return true;
fail:
	mutex_unlock(&nvlink2_groups_lock);
	pe_err(pe, "cannot join the NVLink2 IOMMU group of %pOF: no IOMMU group at all\n",
	       key);
	of_node_put(key);
	return true;
}

/**
 * pnv_nvlink2_leave_group() - Take a PE that goes away out of its group
 * @pe: a PE being released
 *
 * The group stays, for the PE that comes back after a hotplug or an EEH
 * recovery; @pe->table_group.group is cleared.
 */
void pnv_nvlink2_leave_group(struct pnv_ioda_pe *pe)
{
	struct nvlink2_group *grp;
	unsigned int i;

	mutex_lock(&nvlink2_groups_lock);
	list_for_each_entry(grp, &nvlink2_groups, list) {
		for (i = 0; i < grp->nr_pes; i++) {
			if (grp->pes[i] != pe)
				continue;
			grp->pes[i] = grp->pes[--grp->nr_pes];
			iommu_group_put(pe->table_group.group);
			pe->table_group.group = NULL;
			goto unlock;
		}
	}
unlock:
	mutex_unlock(&nvlink2_groups_lock);
}
