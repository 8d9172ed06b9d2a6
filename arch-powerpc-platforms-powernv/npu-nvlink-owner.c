// SPDX-License-Identifier: GPL-2.0-only
/*
 * NVLink2 GPUs on POWER9 powernv: who owns a GPU.
 *
 * A V100 reaches system memory over its NVLinks with addresses the NPU2
 * translates (ATS) with the radix page tables of one logical partition,
 * through a context that firmware keeps per GPU: the host's (LPAR 0,
 * with MSR_HV) while the host drives the GPU, a guest's while it is
 * passed through, none while VFIO holds it between two guests. skiboot
 * (hw/npu2.c, hw/npu-opal.c) offers three calls for it:
 *
 * - OPAL_NPU_MAP_LPAR binds the GPU's requester id to an LPAR (the LPCR
 *   must be 0: radix only); since skiboot 6.4 it also forgets the GPU's
 *   context, whatever its refcount;
 * - OPAL_NPU_INIT_CONTEXT gives it a context with the MSR bits it runs
 *   with; it needs MAP_LPAR first, and takes a reference (skiboot 6.3 and
 *   later: a second call leaves two);
 * - OPAL_NPU_DESTROY_CONTEXT drops one reference, and the context with the
 *   last; with none left it fails (OPAL_PARAMETER).
 *
 * So a binding is MAP_LPAR then INIT_CONTEXT, and an unbinding drops
 * every reference to the context (DESTROY_CONTEXT until firmware says
 * there is none), then MAP_LPAR to LPAR 0, which takes the GPU out of the
 * partition. skiboot 6.4 is the firmware this was written for; with 6.3,
 * whose MAP_LPAR keeps a context behind, the draining still leaves none.
 * Before 6.3, DESTROY_CONTEXT succeeds and keeps the context: no
 * unbinding ever completes there, and VFIO never gets a GPU (-EBUSY).
 * A binding or an unbinding that fails is remembered as a binding, which
 * is undone before anybody else gets the GPU.
 *
 * The RAM of the GPU, which the NPU2 maps into the system address space,
 * reaches the IOMMU of a process through a registration of its mapping as
 * device memory of the process's mm (mm_iommu_newdev()), which a
 * container that registers the range too, or has DMA mappings of it,
 * keeps alive after the mapping is gone.
 *
 * Both outlive an open of the GPU when something goes wrong: firmware may
 * refuse to unbind the GPU from a guest's partition, and a former user's
 * container may still reach the GPU RAM. What says so is kept here, with
 * the GPU's device-tree node, and not in a driver: it must survive the
 * driver being unbound, and it decides whether anybody may have the GPU
 * next.
 */

#define pr_fmt(fmt) "nvlink2: " fmt

#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mmu_context.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/of.h>
#include <linux/pci.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>
#include <asm/eeh.h>
#include <asm/opal.h>
#include <asm/pci-bridge.h>
#include <asm/pnv-pci.h>
#include <asm/reg.h>
#if IS_ENABLED(CONFIG_KVM_BOOK3S_HV_POSSIBLE)
#include <linux/kvm_host.h>
#endif

#include "npu-nvlink.h"
#include "pci.h"

/* The OPAL calls, which the KUnit tests replace with a model of skiboot. */
VISIBLE_IF_KUNIT s64 pnv_npu_opal_map_lpar(u64 phb_id, u64 bdf, u64 lpid)
{
	KUNIT_STATIC_STUB_REDIRECT(pnv_npu_opal_map_lpar, phb_id, bdf, lpid);
	return opal_npu_map_lpar(phb_id, bdf, lpid, 0);
}
EXPORT_SYMBOL_IF_KUNIT(pnv_npu_opal_map_lpar);

VISIBLE_IF_KUNIT s64 pnv_npu_opal_init_context(u64 phb_id, u64 msr, u64 bdf)
{
	KUNIT_STATIC_STUB_REDIRECT(pnv_npu_opal_init_context, phb_id, msr, bdf);
	return opal_npu_init_context(phb_id, 0, msr, bdf);
}
EXPORT_SYMBOL_IF_KUNIT(pnv_npu_opal_init_context);

VISIBLE_IF_KUNIT s64 pnv_npu_opal_destroy_context(u64 phb_id, u64 bdf)
{
	KUNIT_STATIC_STUB_REDIRECT(pnv_npu_opal_destroy_context, phb_id, bdf);
	return opal_npu_destroy_context(phb_id, 0, bdf);
}
EXPORT_SYMBOL_IF_KUNIT(pnv_npu_opal_destroy_context);

/**
 * pnv_nvlink2_lpar_bind() - Bind a GPU to an LPAR, with a context
 * @opal_id: the OPAL id of the GPU's NPU2 PHB
 * @bdf: the GPU's requester id
 * @lpid: the LPAR, 0 for the host
 * @msr: the MSR bits of the context: MSR_DR | MSR_PR, and MSR_HV for the
 *	host
 *
 * Return: 0, or -errno if firmware refuses; the GPU is then in LPAR 0
 * without a context (or where it was, if even that is refused).
 */
VISIBLE_IF_KUNIT int pnv_nvlink2_lpar_bind(u64 opal_id, u16 bdf, u64 lpid,
					   unsigned long msr)
{
	s64 rc;

	rc = pnv_npu_opal_map_lpar(opal_id, bdf, lpid);
	if (rc) {
		pr_err("%04x: OPAL error %lld binding to LPAR %llu\n", bdf, rc,
		       lpid);
		return opal_error_code(rc);
	}
	rc = pnv_npu_opal_init_context(opal_id, msr, bdf);
	if (rc < 0) {
		pr_err("%04x: OPAL error %lld setting up the NVLink context in LPAR %llu\n",
		       bdf, rc, lpid);
		pnv_npu_opal_map_lpar(opal_id, bdf, 0);
		return opal_error_code(rc);
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_lpar_bind);

/*
 * Enough for any context a GPU can have: one per binding, and on skiboot
 * 6.3 one more per kernel that bound it to the host before a kexec.
 */
#define NVLINK2_MAX_CONTEXT_REFS	16

/**
 * pnv_nvlink2_lpar_unbind() - Take a GPU out of its LPAR
 * @opal_id: the OPAL id of the GPU's NPU2 PHB
 * @bdf: the GPU's requester id
 *
 * Drops every reference to the GPU's context (a kernel before a kexec
 * may have left one more, which skiboot 6.3 keeps across MAP_LPAR),
 * until firmware says there is none (OPAL_PARAMETER), then binds the GPU
 * to LPAR 0 without one: its NVLink accesses translate nowhere.
 *
 * Return: 0, or -errno if firmware fails otherwise: the GPU may then
 * still translate for its LPAR.
 */
VISIBLE_IF_KUNIT int pnv_nvlink2_lpar_unbind(u64 opal_id, u16 bdf)
{
	unsigned int i;
	s64 rc;

	for (i = 0; i <= NVLINK2_MAX_CONTEXT_REFS; i++) {
		rc = pnv_npu_opal_destroy_context(opal_id, bdf);
		if (rc == OPAL_PARAMETER)
			break;
		if (rc) {
			pr_err("%04x: OPAL error %lld dropping the NVLink context\n",
			       bdf, rc);
			return opal_error_code(rc);
		}
	}
	if (i > NVLINK2_MAX_CONTEXT_REFS) {
		pr_err("%04x: the NVLink context does not go\n", bdf);
		return -EBUSY;
	}
	rc = pnv_npu_opal_map_lpar(opal_id, bdf, 0);
	if (rc) {
		pr_err("%04x: OPAL error %lld taking the GPU out of its LPAR\n",
		       bdf, rc);
		return opal_error_code(rc);
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_lpar_unbind);

/*
 * What must be remembered of the owners of a GPU, kept while there is
 * something to remember, by the GPU's device-tree node, which lives as
 * long as the GPU's slot, across drivers and hotplug. All of it is under
 * nvlink2_owner_lock.
 */
struct nvlink2_owner {
	struct list_head list;		/* in nvlink2_owners */
	struct device_node *np;		/* the GPU's, held */
	/*
	 * The GPU may be bound to LPAR @lpid (0: the host) with a context:
	 * it was bound, or firmware failed to bind or unbind it.
	 */
	bool bound;
	u64 lpid;
	/* Its links to GPUs outside its IOMMU group may be up. */
	bool links_up;
	/*
	 * A registration of a mapping of the GPU RAM: its mm (held with
	 * mmgrab()), address, and the system address it maps. @ram_mem is
	 * our reference to it, until mm_iommu_put() lets it go; @ram_live
	 * says whether the mapping still exists.
	 */
	struct mm_struct *ram_mm;
	struct mm_iommu_table_group_mem_t *ram_mem;
	unsigned long ram_ua;
	u64 ram_hpa;
	bool ram_live;
};

static DEFINE_MUTEX(nvlink2_owner_lock);
static LIST_HEAD(nvlink2_owners);

/* The record of the GPU @np, created if @create; NULL if none. */
static struct nvlink2_owner *nvlink2_owner_get(struct device_node *np,
					       bool create)
{
	struct nvlink2_owner *o;

	lockdep_assert_held(&nvlink2_owner_lock);
	list_for_each_entry(o, &nvlink2_owners, list)
		if (o->np == np)
			return o;
	if (!create)
		return NULL;
	o = kzalloc_obj(*o);
	if (!o)
		return NULL;
	o->np = of_node_get(np);
	/*
	 * Nothing known of the GPU yet: it may have a context from a kernel
	 * before a kexec, which skiboot 6.3 keeps across MAP_LPAR. Taken as
	 * bound to LPAR 0, it is drained before anything binds it.
	 */
	o->bound = true;
	list_add(&o->list, &nvlink2_owners);
	return o;
}

/* Forget @o once there is nothing left to remember. */
static void nvlink2_owner_put(struct nvlink2_owner *o)
{
	lockdep_assert_held(&nvlink2_owner_lock);
	if (!o || o->bound || o->ram_mm || o->links_up)
		return;
	list_del(&o->list);
	of_node_put(o->np);
	kfree(o);
}

#ifdef CONFIG_SPAPR_TCE_IOMMU
/*
 * Whether the GPU RAM registration of @o may still be used for DMA by its
 * mm: the mapping is alive, or the IOMMU still holds the registration (a
 * container registered the range too, or has DMA mappings of it). It is
 * the registration that decides, not what one mm_iommu_put() returns:
 * that only tells whether ours was the last reference. Drops our
 * reference once the mapping is gone, and forgets the registration once
 * it is gone.
 */
static bool nvlink2_ram_reachable(struct nvlink2_owner *o)
{
	unsigned long size;

	lockdep_assert_held(&nvlink2_owner_lock);
	if (!o || !o->ram_mm)
		return false;
	if (o->ram_live)
		return true;
	/* It refuses to drop the last reference while DMA mappings use it. */
	if (o->ram_mem && !mm_iommu_put(o->ram_mm, o->ram_mem))
		o->ram_mem = NULL;
	if (o->ram_mem ||
	    mm_iommu_is_devmem(o->ram_mm, o->ram_hpa, PAGE_SHIFT, &size))
		return true;
	mmdrop(o->ram_mm);
	o->ram_mm = NULL;
	return false;
}

/**
 * pnv_nvlink2_ram_register() - Register a mapping of GPU RAM with the IOMMU
 * @gpu: the GPU
 * @ua: the start of the mapping in the current mm
 * @size: its size
 * @hpa: the system physical address of the GPU RAM it maps
 *
 * Registers the mapping as device memory of the current mm
 * (mm_iommu_newdev()), so that the sPAPR TCE IOMMU and KVM can map it for
 * DMA without struct pages, until pnv_nvlink2_ram_unregister(). A GPU has
 * one registration at a time.
 *
 * Return: 0; -EBUSY if an earlier registration of the GPU's RAM still
 * exists; as mm_iommu_newdev() otherwise.
 */
int pnv_nvlink2_ram_register(struct pci_dev *gpu, unsigned long ua,
			     unsigned long size, u64 hpa)
{
	struct device_node *np = pci_device_to_OF_node(gpu);
	struct mm_iommu_table_group_mem_t *mem;
	struct nvlink2_owner *o;
	long ret;

	if (!np)
		return -ENODEV;
	guard(mutex)(&nvlink2_owner_lock);
	o = nvlink2_owner_get(np, true);
	if (!o)
		return -ENOMEM;
	if (nvlink2_ram_reachable(o)) {
		ret = -EBUSY;
	} else {
		ret = mm_iommu_newdev(current->mm, ua, size >> PAGE_SHIFT, hpa,
				      &mem);
		if (!ret) {
			mmgrab(current->mm);
			o->ram_mm = current->mm;
			o->ram_mem = mem;
			o->ram_ua = ua;
			o->ram_hpa = hpa;
			o->ram_live = true;
		}
	}
	nvlink2_owner_put(o);
	return ret;
}
EXPORT_SYMBOL_GPL(pnv_nvlink2_ram_register);

/**
 * pnv_nvlink2_ram_unregister() - The mapping of GPU RAM at @ua is gone
 * @gpu: the GPU
 * @ua: where the mapping was
 *
 * Drops the registration that pnv_nvlink2_ram_register() made, or, if
 * the IOMMU still uses it, remembers it until it is gone.
 */
void pnv_nvlink2_ram_unregister(struct pci_dev *gpu, unsigned long ua)
{
	struct device_node *np = pci_device_to_OF_node(gpu);
	struct nvlink2_owner *o;

	guard(mutex)(&nvlink2_owner_lock);
	o = np ? nvlink2_owner_get(np, false) : NULL;
	/* Not the registered mapping: the copy of a refused mremap(). */
	if (!o || !o->ram_live || o->ram_ua != ua)
		return;
	o->ram_live = false;
	if (nvlink2_ram_reachable(o))
		pci_dbg(gpu, "GPU RAM at 0x%llx unmapped, still registered with the IOMMU\n",
			o->ram_hpa);
	nvlink2_owner_put(o);
}
EXPORT_SYMBOL_GPL(pnv_nvlink2_ram_unregister);
#else
static bool nvlink2_ram_reachable(struct nvlink2_owner *o)
{
	return false;
}
#endif /* CONFIG_SPAPR_TCE_IOMMU */

/* Undo the binding of @o, if any; it stays remembered on failure. */
static int nvlink2_owner_unbind(struct nvlink2_owner *o, u64 opal_id, u16 bdf)
{
	int ret;

	lockdep_assert_held(&nvlink2_owner_lock);
	if (!o || !o->bound)
		return 0;
	ret = pnv_nvlink2_lpar_unbind(opal_id, bdf);
	if (!ret)
		o->bound = false;
	return ret;
}

/*
 * Bind the GPU of @o to @lpid, undoing what binding is left first. Even
 * a failed binding is remembered: firmware may have done part of it.
 */
static int nvlink2_owner_bind(struct nvlink2_owner *o, u64 opal_id, u16 bdf,
			      u64 lpid, unsigned long msr)
{
	int ret;

	lockdep_assert_held(&nvlink2_owner_lock);
	ret = nvlink2_owner_unbind(o, opal_id, bdf);
	if (ret)
		return ret;
	ret = pnv_nvlink2_lpar_bind(opal_id, bdf, lpid, msr);
	o->bound = true;
	o->lpid = lpid;
	return ret;
}

/**
 * pnv_nvlink2_owner_bind_guest() - Bind a GPU to a guest's LPAR
 * @np: the GPU's device-tree node
 * @opal_id: the OPAL id of its NPU2 PHB
 * @bdf: its requester id
 * @lpid: the guest's LPAR
 *
 * Return: 0 or -errno; the binding is remembered until it is undone, a
 * failed one too.
 */
VISIBLE_IF_KUNIT int pnv_nvlink2_owner_bind_guest(struct device_node *np,
						  u64 opal_id, u16 bdf,
						  u64 lpid)
{
	struct nvlink2_owner *o;
	int ret;

	guard(mutex)(&nvlink2_owner_lock);
	o = nvlink2_owner_get(np, true);
	if (!o)
		return -ENOMEM;
	ret = nvlink2_owner_bind(o, opal_id, bdf, lpid, MSR_DR | MSR_PR);
	nvlink2_owner_put(o);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_owner_bind_guest);

/**
 * pnv_nvlink2_owner_unbind_guest() - Take a GPU out of a guest's LPAR
 * @np: the GPU's device-tree node
 * @opal_id: the OPAL id of its NPU2 PHB
 * @bdf: its requester id
 *
 * Return: 0, or -errno if firmware refuses: the GPU is then still bound,
 * and nobody gets it until a later try unbinds it.
 */
VISIBLE_IF_KUNIT int pnv_nvlink2_owner_unbind_guest(struct device_node *np,
						    u64 opal_id, u16 bdf)
{
	struct nvlink2_owner *o;
	int ret;

	guard(mutex)(&nvlink2_owner_lock);
	o = nvlink2_owner_get(np, false);
	ret = nvlink2_owner_unbind(o, opal_id, bdf);
	nvlink2_owner_put(o);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_owner_unbind_guest);

/**
 * pnv_nvlink2_owner_host() - Bind a GPU to the host, or take it out
 * @np: the GPU's device-tree node
 * @opal_id: the OPAL id of its NPU2 PHB
 * @bdf: its requester id
 * @bind: true to bind it to LPAR 0 with the host's context, false to
 *	leave it in LPAR 0 without a context
 *
 * The NPU2 PHB calls this at boot and as VFIO takes and gives back the
 * GPU's group. A binding to a guest left behind is undone first; taking
 * the GPU out drains whatever context firmware holds, also one a kernel
 * before a kexec left, but leaves a guest's binding to the guest's owner
 * (VFIO takes the PE of a bridge added again while the GPU is passed
 * through). Whatever fails is remembered as a binding.
 *
 * Return: 0 or -errno.
 */
VISIBLE_IF_KUNIT int pnv_nvlink2_owner_host(struct device_node *np,
					    u64 opal_id, u16 bdf, bool bind)
{
	struct nvlink2_owner *o;
	int ret;

	guard(mutex)(&nvlink2_owner_lock);
	o = nvlink2_owner_get(np, true);
	if (!o)
		return -ENOMEM;
	if (bind) {
		ret = nvlink2_owner_bind(o, opal_id, bdf, 0,
					 MSR_DR | MSR_PR | MSR_HV);
	} else if (o->bound && o->lpid) {
		/* A guest's binding, which its owner undoes. */
		ret = 0;
	} else {
		ret = pnv_nvlink2_lpar_unbind(opal_id, bdf);
		if (ret && !o->bound) {
			o->bound = true;
			o->lpid = 0;
		} else if (!ret) {
			o->bound = false;
		}
	}
	nvlink2_owner_put(o);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_owner_host);

/**
 * pnv_nvlink2_owner_links_up() - Say whether an isolated GPU's links are up
 * @np: the GPU's device-tree node
 * @err: 0 if they were just cut, else why they may be up
 *
 * While they may be up, nobody can take the GPU.
 */
void pnv_nvlink2_owner_links_up(struct device_node *np, int err)
{
	struct nvlink2_owner *o;

	guard(mutex)(&nvlink2_owner_lock);
	o = nvlink2_owner_get(np, err);
	if (!o) {
		if (err)
			pr_err("%pOF: NVLinks up, and no memory to remember it\n",
			       np);
		return;
	}
	o->links_up = err;
	nvlink2_owner_put(o);
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_owner_links_up);

/**
 * pnv_nvlink2_owner_links_are_up() - What pnv_nvlink2_owner_links_up() said
 * @np: the GPU's device-tree node
 *
 * Return: true if the GPU's links to GPUs outside its group may be up.
 */
bool pnv_nvlink2_owner_links_are_up(struct device_node *np)
{
	struct nvlink2_owner *o;

	guard(mutex)(&nvlink2_owner_lock);
	o = nvlink2_owner_get(np, false);
	return o && o->links_up;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_owner_links_are_up);

/**
 * pnv_nvlink2_owner_claim() - Whether a GPU may have a new user
 * @np: the GPU's device-tree node
 * @opal_id: the OPAL id of its NPU2 PHB
 * @bdf: its requester id
 * @mm: the mm of the new user
 *
 * An isolated GPU must have its links to GPUs outside its IOMMU group cut.
 * A GPU still bound to the LPAR of a guest, the one it was last passed
 * to, or after a failure, is unbound first; the host's binding is left to
 * the NPU PE, which VFIO takes with the group (pnv_npu_take_ownership()),
 * so that a group that VFIO fails to take keeps it. Its RAM must not be
 * reachable through the IOMMU of another mm than @mm.
 *
 * Return: 0; -EIO if the links may be up; -EBUSY if the GPU stays bound
 * or its RAM reachable; with a message.
 */
VISIBLE_IF_KUNIT int pnv_nvlink2_owner_claim(struct device_node *np,
					     u64 opal_id, u16 bdf,
					     struct mm_struct *mm)
{
	struct nvlink2_owner *o;
	int ret = 0;

	guard(mutex)(&nvlink2_owner_lock);
	o = nvlink2_owner_get(np, false);
	if (!o)
		return 0;
	if (o->links_up) {
		pr_warn("%pOF: NVLinks to GPUs outside its IOMMU group may be up: refused\n",
			np);
		ret = -EIO;
	} else if (o->lpid && nvlink2_owner_unbind(o, opal_id, bdf)) {
		pr_warn("%pOF: still bound to LPAR %llu: refused\n", np,
			o->lpid);
		ret = -EBUSY;
	} else if (nvlink2_ram_reachable(o) && o->ram_mm != mm) {
		pr_warn("%pOF: GPU RAM still reachable through the IOMMU of its previous user: refused\n",
			np);
		ret = -EBUSY;
	}
	nvlink2_owner_put(o);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_owner_claim);

#ifdef CONFIG_EEH
/*
 * EEH resets of a GPU's PE do not go through the PCI core's reset paths,
 * and so not through the reset_prepare()/reset_done() of its driver: what
 * maps the GPU RAM hears of them here.
 */
static BLOCKING_NOTIFIER_HEAD(nvlink2_eeh_chain);

/**
 * pnv_nvlink2_register_eeh_notifier() - Hear of EEH resets of NVLink2 GPUs
 * @nb: called with PNV_NVLINK2_EEH_RESET or PNV_NVLINK2_EEH_RESET_DONE and
 *	the GPU's pci_dev, in process context
 *
 * Return: 0.
 */
int pnv_nvlink2_register_eeh_notifier(struct notifier_block *nb)
{
	return blocking_notifier_chain_register(&nvlink2_eeh_chain, nb);
}
EXPORT_SYMBOL_GPL(pnv_nvlink2_register_eeh_notifier);

/**
 * pnv_nvlink2_unregister_eeh_notifier() - Undo the registration of @nb
 * @nb: the notifier
 */
void pnv_nvlink2_unregister_eeh_notifier(struct notifier_block *nb)
{
	blocking_notifier_chain_unregister(&nvlink2_eeh_chain, nb);
}
EXPORT_SYMBOL_GPL(pnv_nvlink2_unregister_eeh_notifier);

/**
 * pnv_nvlink2_eeh_reset() - A step of an EEH reset of a PE
 * @pe: the PE
 * @option: EEH_RESET_HOT or EEH_RESET_FUNDAMENTAL as the reset starts,
 *	EEH_RESET_DEACTIVATE as it ends
 *
 * Tells the notifiers of every NVLink2 GPU of @pe and of the PEs below,
 * which the reset resets too.
 */
void pnv_nvlink2_eeh_reset(struct eeh_pe *pe, int option)
{
	struct eeh_dev *edev, *tmp;
	struct pci_dev *pdev;
	unsigned long event;
	struct eeh_pe *child;

	if (option == EEH_RESET_HOT || option == EEH_RESET_FUNDAMENTAL)
		event = PNV_NVLINK2_EEH_RESET;
	else if (option == EEH_RESET_DEACTIVATE)
		event = PNV_NVLINK2_EEH_RESET_DONE;
	else
		return;

	eeh_for_each_pe(pe, child) {
		eeh_pe_for_each_dev(child, edev, tmp) {
			pdev = eeh_dev_to_pci_dev(edev);
			if (!pdev || pnv_nvlink2_role(pdev) != PNV_NVLINK2_GPU)
				continue;
			if (event == PNV_NVLINK2_EEH_RESET)
				pnv_nvlink2_isolate_reset(pdev);
			blocking_notifier_call_chain(&nvlink2_eeh_chain, event,
						     pdev);
		}
	}
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_eeh_reset);
#endif /* CONFIG_EEH */

/* The NPU2 PHB behind a GPU's first NVLink, or NULL. */
static struct pnv_phb *nvlink2_gpu_npu(struct pci_dev *gpu)
{
	struct pci_dev *bridge = pnv_nvlink2_get_bridge(gpu, 0);
	struct pnv_phb *nphb;

	if (!bridge)
		return NULL;
	nphb = pci_bus_to_pnvhb(bridge->bus);
	pci_dev_put(bridge);
	return nphb && nphb->type == PNV_PHB_NPU_NVLINK ? nphb : NULL;
}

/**
 * pnv_nvlink2_gpu_claim() - Whether a GPU may be opened by the current mm
 * @gpu: the GPU
 *
 * Return: 0; -EBUSY if the GPU is still bound to the LPAR of the guest of
 * its previous user, and unbinding it fails again, or if its RAM is still
 * reachable through the IOMMU of another mm, with a message.
 */
int pnv_nvlink2_gpu_claim(struct pci_dev *gpu)
{
	struct device_node *np = pci_device_to_OF_node(gpu);
	struct pnv_phb *nphb = nvlink2_gpu_npu(gpu);

	if (!np)
		return 0;
	return pnv_nvlink2_owner_claim(np, nphb ? nphb->opal_id : 0,
				       pci_dev_id(gpu), current->mm);
}
EXPORT_SYMBOL_GPL(pnv_nvlink2_gpu_claim);

/**
 * pnv_nvlink2_bind_guest() - Bind a GPU to the LPAR of a guest
 * @gpu: the GPU
 * @kvm: the guest, or NULL
 *
 * The GPU's NVLink translation goes to the guest's partition with a
 * context for its kernel and user (MSR_DR | MSR_PR). Only HV guests have
 * a partition of their own; with no guest, or a PR one, or no NPU2
 * behind the GPU, there is nothing to bind. Whether the guest uses radix
 * or hash page tables is not known yet: QEMU opens the GPU before the
 * guest chooses at client-architecture-support time. skiboot sets the
 * NPU2 up for radix tables only; a hash guest's GPU is bound all the
 * same, and its translations stay within the guest's partition.
 *
 * Return: 0, or -errno if firmware refuses.
 */
int pnv_nvlink2_bind_guest(struct pci_dev *gpu, struct kvm *kvm)
{
#if IS_ENABLED(CONFIG_KVM_BOOK3S_HV_POSSIBLE)
	struct device_node *np = pci_device_to_OF_node(gpu);
	struct pnv_phb *nphb;

	if (!kvm || !np)
		return 0;
	if (!kvm->arch.lpid) {
		pci_info(gpu, "the guest has no LPAR of its own (not KVM HV), GPU not bound to it\n");
		return 0;
	}
	nphb = nvlink2_gpu_npu(gpu);
	if (!nphb)
		return 0;
	return pnv_nvlink2_owner_bind_guest(np, nphb->opal_id, pci_dev_id(gpu),
					    kvm->arch.lpid);
#else
	return 0;
#endif
}
EXPORT_SYMBOL_GPL(pnv_nvlink2_bind_guest);

/**
 * pnv_nvlink2_unbind_guest() - Undo pnv_nvlink2_bind_guest()
 * @gpu: the GPU
 *
 * If firmware refuses, the GPU stays remembered as bound, and
 * pnv_nvlink2_gpu_claim() tries again before anybody else gets it.
 */
void pnv_nvlink2_unbind_guest(struct pci_dev *gpu)
{
	struct device_node *np = pci_device_to_OF_node(gpu);
	struct pnv_phb *nphb = nvlink2_gpu_npu(gpu);

	if (np && nphb &&
	    pnv_nvlink2_owner_unbind_guest(np, nphb->opal_id, pci_dev_id(gpu)))
		pci_warn(gpu, "still bound to the guest's LPAR: nobody gets the GPU until it is unbound\n");
}
EXPORT_SYMBOL_GPL(pnv_nvlink2_unbind_guest);
