// SPDX-License-Identifier: GPL-2.0-only
/*
 * NVLink2 GPUs on POWER9 powernv: isolation of the NVLinks between GPUs.
 *
 * The GPUs of a Witherspoon are linked to each other directly too, and
 * neither the NPU2 nor the IOMMU sees that traffic. A V100 SXM2 can turn
 * off its own links by a mask written to BAR0; a reset turns them on
 * again. With "isolate_nvlink" on the command line, every V100 whose
 * links firmware describes ("ibm,nvlink-peers") gets an IOMMU group of
 * its own, and its links to any other GPU are cut each time it comes out
 * of reset, whatever driver it has.
 *
 * The ways a V100 can be reset on powernv, and where the links are cut
 * after each:
 *
 * - added at boot or by hotplug: in a final PCI fixup, before any driver
 *   or IOMMU group user can reach it;
 * - a secondary bus reset of the bridge above it, which function resets
 *   (a V100 has no FLR: its reset method is "bus"), slot resets and VFIO
 *   hot resets all are: in pnv_pci_reset_secondary_bus(), once the GPU
 *   answers again;
 * - an EEH reset of its PE, hot or fundamental (EEH recovery, or a guest
 *   through VFIO_EEH_PE_OP), which freezes the PE first, blocks config
 *   space, and restores the BARs before anything thaws the PE: the reset
 *   marks the links up (pnv_nvlink2_isolate_reset()), the GPU's PE is kept
 *   frozen as its config space is restored, even if the reset thawed it
 *   (pnv_nvlink2_eeh_restored()), and before MMIO or DMA of the PE is
 *   thawed, by the host or by the guest, the links are cut with MMIO
 *   thawed alone for it; if that fails, the PE is frozen again and the
 *   thaw refused (pnv_nvlink2_eeh_thaw());
 * - D3hot to D0, which may reset the GPU without a bus reset: a header
 *   fixup forbids D3hot, and with it the PM reset method.
 *
 * A cut that fails (the GPU does not answer, BAR0 unusable, the mask does
 * not read back) leaves the GPU's links up with an IOMMU group of its
 * own. It fails closed: the GPU's PE is frozen, so that the GPU can do
 * neither MMIO nor DMA, and nobody can take the GPU (VFIO ownership and
 * open are refused, pnv_nvlink2_gpu_claim()) until a later reset cuts
 * the links.
 *
 * A GPU whose links firmware does not describe, or describes wrongly,
 * keeps the shared group: only the device-tree checks decide that. Its
 * peers that are isolated cut their end of the links to it.
 */

#define pr_fmt(fmt) "nvlink2: " fmt

#include <linux/of.h>
#include <linux/pci.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>
#include <asm/eeh.h>
#include <asm/machdep.h>
#include <asm/opal.h>
#include <asm/pci-bridge.h>
#include <asm/pnv-pci.h>

#include "npu-nvlink.h"
#include "pci.h"
#include "../../../../drivers/pci/pci.h"

/* The NVLinks of a V100, and the bits of its link disable mask. */
#define NVLINK2_GPU_LINKS		6
#define NVLINK2_LINK_MASK_SHIFT		16

/*
 * The V100 BAR0 writes that cut links, in order, from NVIDIA's
 * "NVLink isolation on multi-tenant systems" application note, which
 * does not name the registers: two values to write, a bit to set in a
 * control register, then the disable mask to OR into the link control
 * register.
 */
#define V100_ISOLATE_CTL		0x200
#define V100_LINK_DISABLE		0xa00148

static const struct {
	u32 offset;
	u32 value;
	bool set;	/* OR @value in, rather than write it */
} v100_isolate_seq[] = {
	{ 0x12004c, 0x4, false },
	{ 0x122204, 0x2, false },
	{ V100_ISOLATE_CTL, BIT(25), true },
};

/* BAR0 is 16 MiB: map it up to the last register only. */
#define V100_ISOLATE_MAP_SIZE		PAGE_ALIGN(V100_LINK_DISABLE + 4)

static bool nvlink2_isolate;

static int __init nvlink2_isolate_setup(char *str)
{
	/* A bare "isolate_nvlink" turns it on. */
	if (!str || !*str) {
		nvlink2_isolate = true;
		return 0;
	}
	return kstrtobool(str, &nvlink2_isolate);
}
early_param("isolate_nvlink", nvlink2_isolate_setup);

#if IS_ENABLED(CONFIG_KUNIT)
/* For the KUnit tests: set isolate_nvlink, and say what it was. */
bool pnv_nvlink2_set_isolate(bool on)
{
	bool was = nvlink2_isolate;

	nvlink2_isolate = on;
	return was;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_set_isolate);
#endif

/* Whether @vendor:@device is a V100 SXM2, whose link disable mask we know. */
static bool nvlink2_is_v100_sxm2(u32 vendor, u32 device)
{
	if (vendor != PCI_VENDOR_ID_NVIDIA)
		return false;
	switch (device) {
	case 0x1db1:	/* Tesla V100 SXM2 16GB */
	case 0x1db5:	/* Tesla V100 SXM2 32GB */
	case 0x1df5:	/* Tesla V100 SXM2 16GB */
		return true;
	}
	return false;
}

/* Whether @np lists @node in its phandle list property @name. */
static bool nvlink2_lists(const struct device_node *np, const char *name,
			  const struct device_node *node)
{
	struct of_phandle_iterator it;
	int err;

	of_for_each_phandle(&it, err, np, name, NULL, 0) {
		if (it.node == node) {
			of_node_put(it.node);
			return true;
		}
	}
	return false;
}

/**
 * pnv_nvlink2_of_link_mask() - The NVLinks of a GPU to cut
 * @gpu: device-tree node of the GPU
 * @group: the GPU nodes of the IOMMU group of @gpu (@gpu may be one)
 * @n: the number of nodes in @group
 * @mask: set to the link disable mask of @gpu: bit 16 + N cuts link N
 *
 * "ibm,nvlink-peers" gives the node at the other end of each link of @gpu:
 * one of its NVLink bridges (a link to the CPU), another GPU, or none
 * (phandle 0: the link is not wired, or firmware did not find its other
 * end). A link stays up if it goes to a bridge of @gpu or to a GPU of
 * @group; every other link is cut, unwired ones too.
 *
 * Return: 0; -ENODEV if @gpu has no "ibm,nvlink-peers"; -EINVAL if it does
 * not have one cell per link or one of them does not resolve.
 */
VISIBLE_IF_KUNIT
int pnv_nvlink2_of_link_mask(const struct device_node *gpu,
			     const struct device_node *const *group,
			     unsigned int n, u32 *mask)
{
	const __be32 *peers;
	unsigned int link, i;
	u32 keep = 0;
	int len;

	peers = of_get_property(gpu, "ibm,nvlink-peers", &len);
	if (!peers)
		return -ENODEV;
	if (len != NVLINK2_GPU_LINKS * sizeof(*peers))
		return -EINVAL;

	for (link = 0; link < NVLINK2_GPU_LINKS; link++) {
		struct device_node *peer;

		if (!peers[link])
			continue;
		peer = of_find_node_by_phandle(be32_to_cpu(peers[link]));
		if (!peer)
			return -EINVAL;
		if (nvlink2_lists(gpu, "ibm,npu", peer))
			keep |= BIT(link);
		for (i = 0; i < n; i++)
			if (group[i] == peer)
				keep |= BIT(link);
		of_node_put(peer);
	}

	*mask = (~keep & GENMASK(NVLINK2_GPU_LINKS - 1, 0)) <<
		NVLINK2_LINK_MASK_SHIFT;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_of_link_mask);

/**
 * pnv_nvlink2_of_isolation() - The isolation policy for a GPU
 * @gpu: device-tree node of the GPU
 * @mask: set to its link disable mask if it is isolated
 *
 * With isolate_nvlink on, a GPU is isolated, and has an IOMMU group of its
 * own, if it is a V100 SXM2 (from the ids firmware gives in its node),
 * whose links we know how to cut, and its "ibm,nvlink-peers" is sound. Its
 * group is then itself and its bridges.
 *
 * Return: 0 if @gpu is isolated; -EOPNOTSUPP if it is not a V100 SXM2; as
 * pnv_nvlink2_of_link_mask() if "ibm,nvlink-peers" is not sound.
 */
VISIBLE_IF_KUNIT int pnv_nvlink2_of_isolation(struct device_node *gpu,
					      u32 *mask)
{
	const struct device_node *group[] = { gpu };
	u32 vendor, device;

	if (of_property_read_u32(gpu, "vendor-id", &vendor) ||
	    of_property_read_u32(gpu, "device-id", &device) ||
	    !nvlink2_is_v100_sxm2(vendor, device))
		return -EOPNOTSUPP;
	return pnv_nvlink2_of_link_mask(gpu, group, ARRAY_SIZE(group), mask);
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_of_isolation);

/**
 * pnv_nvlink2_gpu_isolated() - Whether a GPU has an IOMMU group of its own
 * @gpu: device-tree node of the GPU
 *
 * Return: true if isolate_nvlink is on and the policy isolates @gpu.
 */
bool pnv_nvlink2_gpu_isolated(struct device_node *gpu)
{
	u32 mask;

	return nvlink2_isolate && !pnv_nvlink2_of_isolation(gpu, &mask);
}

/**
 * pnv_nvlink2_v100_cut_links() - Write a link disable mask to a V100
 * @bar0: the start of BAR0, mapped for at least %V100_ISOLATE_MAP_SIZE
 * @mask: the links to cut, as pnv_nvlink2_of_link_mask() gives them
 *
 * Return: 0; -EIO if the GPU does not answer (nothing is written then),
 * or if the link control register does not read back with @mask set.
 */
VISIBLE_IF_KUNIT int pnv_nvlink2_v100_cut_links(void __iomem *bar0, u32 mask)
{
	unsigned int i;

	/* All ones: the GPU is not there, or its PE is frozen. */
	if (readl(bar0 + V100_ISOLATE_CTL) == ~0U)
		return -EIO;

	for (i = 0; i < ARRAY_SIZE(v100_isolate_seq); i++) {
		void __iomem *reg = bar0 + v100_isolate_seq[i].offset;
		u32 val = v100_isolate_seq[i].value;

		writel(v100_isolate_seq[i].set ? readl(reg) | val : val, reg);
	}
	writel(readl(bar0 + V100_LINK_DISABLE) | mask, bar0 + V100_LINK_DISABLE);

	if ((readl(bar0 + V100_LINK_DISABLE) & mask) != mask)
		return -EIO;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_v100_cut_links);

/*
 * Whether the policy isolates @pdev, and its link disable mask: the device
 * tree decides, as it decided the IOMMU group.
 */
static bool nvlink2_isolation_of(struct pci_dev *pdev, u32 *mask)
{
	struct device_node *np = pci_device_to_OF_node(pdev);

	return nvlink2_isolate && np && !pnv_nvlink2_of_isolation(np, mask);
}

/*
 * Cut the links of @pdev: 0, or -errno with nothing known to be cut. The
 * KUnit tests, which have no V100, replace it.
 */
VISIBLE_IF_KUNIT int pnv_nvlink2_cut(struct pci_dev *pdev, u32 mask)
{
	void __iomem *bar0;
	u16 cmd;
	int ret;

	KUNIT_STATIC_STUB_REDIRECT(pnv_nvlink2_cut, pdev, mask);

	/* Not the V100 the device tree says it is: no known way to cut. */
	if (!nvlink2_is_v100_sxm2(pdev->vendor, pdev->device))
		return -ENODEV;
	if (!pci_device_is_present(pdev))
		return -ENODEV;
	if (!(pci_resource_flags(pdev, 0) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, 0) < V100_ISOLATE_MAP_SIZE)
		return -ENXIO;
	bar0 = pci_iomap_range(pdev, 0, 0, V100_ISOLATE_MAP_SIZE);
	if (!bar0)
		return -ENOMEM;

	/* A reset cleared BAR0 and memory decode: set them for the cut. */
	pci_update_resource(pdev, 0);
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	pci_write_config_word(pdev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	ret = pnv_nvlink2_v100_cut_links(bar0, mask);
	pci_write_config_word(pdev, PCI_COMMAND, cmd);
	pci_iounmap(pdev, bar0);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_cut);

/* Freeze the PE of @pdev, so that the GPU can do neither MMIO nor DMA. */
static void nvlink2_freeze(struct pci_dev *pdev)
{
#ifdef CONFIG_EEH
	struct eeh_dev *edev = pci_dev_to_eeh_dev(pdev);

	if (edev && edev->pe && eeh_ops && eeh_ops->set_option &&
	    !eeh_ops->set_option(edev->pe, EEH_OPT_FREEZE_PE))
		return;
#endif
	pci_err(pdev, "cannot freeze its PE either\n");
}

/**
 * pnv_nvlink2_isolate() - Cut the NVLinks of a GPU that leave its group
 * @pdev: a PCI function just added, or out of a reset
 *
 * Does nothing unless the isolation policy isolates @pdev. If the cut
 * fails, or the function is not the V100 SXM2 the device tree says it is,
 * the GPU's PE is frozen and nobody can take the GPU until a later cut
 * succeeds.
 *
 * Return: 0, or the -errno of a failed cut.
 */
int pnv_nvlink2_isolate(struct pci_dev *pdev)
{
	struct device_node *np = pci_device_to_OF_node(pdev);
	u32 mask;
	int ret;

	if (!nvlink2_isolation_of(pdev, &mask))
		return 0;

	ret = pnv_nvlink2_cut(pdev, mask);
	pnv_nvlink2_owner_links_up(np, ret);
	if (!ret) {
		pci_dbg(pdev, "NVLinks cut: disable mask %#x\n", mask);
		return 0;
	}
	pci_err(pdev, "cannot cut the NVLinks to GPUs outside its IOMMU group (%pe): PE frozen, GPU refused to its users\n",
		ERR_PTR(ret));
	nvlink2_freeze(pdev);
	return ret;
}

/*
 * Whether @pdev is in an EEH reset, whose end cuts its links: its config
 * space is blocked until then.
 */
static bool nvlink2_in_eeh_reset(struct pci_dev *pdev)
{
#ifdef CONFIG_EEH
	struct eeh_dev *edev = pci_dev_to_eeh_dev(pdev);

	return edev && edev->pe && (edev->pe->state & EEH_PE_CFG_BLOCKED);
#else
	return false;
#endif
}

/* Whether the policy isolates @pdev, and a bus reset is to cut its links. */
static bool nvlink2_cut_after_sbr(struct pci_dev *pdev)
{
	u32 mask;

	return nvlink2_isolation_of(pdev, &mask) && !nvlink2_in_eeh_reset(pdev);
}

/**
 * pnv_nvlink2_isolate_bus() - Cut the NVLinks of the GPUs below a bridge
 * @bridge: a bridge whose secondary bus was just reset
 *
 * Waits for the devices below to answer first, as the PCI core does next.
 * An EEH reset, which resets the bus too, cuts the links at its end.
 */
void pnv_nvlink2_isolate_bus(struct pci_dev *bridge)
{
	struct pci_dev *pdev;
	bool any = false;

	if (!bridge->subordinate)
		return;
	list_for_each_entry(pdev, &bridge->subordinate->devices, bus_list)
		any |= nvlink2_cut_after_sbr(pdev);
	if (!any)
		return;

	pci_bridge_wait_for_secondary_bus(bridge, "NVLink isolation");
	list_for_each_entry(pdev, &bridge->subordinate->devices, bus_list)
		if (nvlink2_cut_after_sbr(pdev))
			pnv_nvlink2_isolate(pdev);
}

#ifdef CONFIG_EEH
/**
 * pnv_nvlink2_isolate_reset() - An EEH reset of a GPU's PE is starting
 * @pdev: the GPU
 *
 * An isolated GPU comes out of it with its links up, and its PE frozen:
 * they are cut before the PE thaws (pnv_nvlink2_eeh_thaw()).
 */
void pnv_nvlink2_isolate_reset(struct pci_dev *pdev)
{
	u32 mask;

	if (nvlink2_isolation_of(pdev, &mask))
		pnv_nvlink2_owner_links_up(pci_device_to_OF_node(pdev), -EAGAIN);
}

/* Whether a GPU of @pdev's isolation has links an EEH reset left up. */
static bool nvlink2_links_left_up(struct pci_dev *pdev)
{
	u32 mask;

	return pdev && nvlink2_isolation_of(pdev, &mask) &&
	       pnv_nvlink2_owner_links_are_up(pci_device_to_OF_node(pdev));
}

/**
 * pnv_nvlink2_eeh_restored() - A device is configured again after an EEH reset
 * @edev: the device, whose BARs were just restored
 *
 * A GPU whose links the reset left up stays frozen, even if the reset
 * thawed its PE (a reset of the whole PHB does): it is reached again only
 * through pnv_nvlink2_eeh_thaw(), which cuts the links first.
 */
void pnv_nvlink2_eeh_restored(struct eeh_dev *edev)
{
	struct pci_dev *pdev = eeh_dev_to_pci_dev(edev);

	if (nvlink2_links_left_up(pdev))
		nvlink2_freeze(pdev);
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_eeh_restored);

/* Thaw the MMIO of @pe only, as pnv_eeh_set_option() thaws it. */
static int nvlink2_thaw_mmio(struct eeh_pe *pe)
{
	struct pnv_phb *phb = pe->phb->private_data;

	if (phb->unfreeze_pe)
		return phb->unfreeze_pe(phb, pe->addr,
					OPAL_EEH_ACTION_CLEAR_FREEZE_MMIO);
	if (opal_pci_eeh_freeze_clear(phb->opal_id, pe->addr,
				      OPAL_EEH_ACTION_CLEAR_FREEZE_MMIO))
		return -EIO;
	return 0;
}

/**
 * pnv_nvlink2_eeh_thaw() - MMIO or DMA of a PE is about to be thawed
 * @pe: the PE
 *
 * The GPUs of @pe whose links an EEH reset left up have them cut first,
 * which takes MMIO: it is thawed alone for that. If a cut fails, the PE is
 * frozen again (pnv_nvlink2_isolate()).
 *
 * Return: 0 if the thaw may go on; -EIO if not.
 */
int pnv_nvlink2_eeh_thaw(struct eeh_pe *pe)
{
	struct eeh_dev *edev, *tmp;
	struct pci_dev *pdev;
	bool any = false;
	int ret = 0;

	eeh_pe_for_each_dev(pe, edev, tmp)
		any |= nvlink2_links_left_up(eeh_dev_to_pci_dev(edev));
	if (!any)
		return 0;
	if (nvlink2_thaw_mmio(pe))
		return -EIO;

	eeh_pe_for_each_dev(pe, edev, tmp) {
		pdev = eeh_dev_to_pci_dev(edev);
		if (nvlink2_links_left_up(pdev) && pnv_nvlink2_isolate(pdev))
			ret = -EIO;
	}
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_eeh_thaw);

#if IS_ENABLED(CONFIG_KUNIT)
/* For the KUnit tests, which go through the platform's EEH operations. */
struct eeh_ops *pnv_nvlink2_eeh_ops(void)
{
	return eeh_ops;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_eeh_ops);
#endif
#endif

/*
 * No D3hot for an isolated GPU, and so no PM reset: D3hot to D0 may reset
 * it (whether a V100 sets No_Soft_Reset is not known here) without a bus
 * reset or an EEH reset, after which nothing would cut its links.
 */
static void nvlink2_no_d3hot(struct pci_dev *pdev)
{
	u32 mask;

	if (machine_is(powernv) && nvlink2_isolation_of(pdev, &mask))
		pdev->dev_flags |= PCI_DEV_FLAGS_NO_D3 |
				   PCI_DEV_FLAGS_NO_PM_RESET;
}
DECLARE_PCI_FIXUP_HEADER(PCI_ANY_ID, PCI_ANY_ID, nvlink2_no_d3hot);

/*
 * Isolate the GPUs at boot and hotplug, before any driver sees them, and
 * say once why one is not. The device tree decides which function is a
 * GPU: one whose PCI ids are not a V100's fails its cut.
 */
static void nvlink2_isolate_fixup(struct pci_dev *pdev)
{
	struct device_node *np = pci_device_to_OF_node(pdev);
	u32 mask;
	int ret;

	if (!machine_is(powernv) || !nvlink2_isolate || !np ||
	    pnv_nvlink2_of_role(np) != PNV_NVLINK2_GPU)
		return;

	ret = pnv_nvlink2_of_isolation(np, &mask);
	if (ret == -EOPNOTSUPP)
		pci_warn(pdev, "not a V100 SXM2: NVLinks not isolated, IOMMU group shared with its peers\n");
	else if (ret)
		pci_warn(pdev, "ibm,nvlink-peers is %s: NVLinks not isolated, IOMMU group shared with its peers\n",
			 ret == -ENODEV ? "missing" : "malformed");
	else
		pnv_nvlink2_isolate(pdev);
}
DECLARE_PCI_FIXUP_FINAL(PCI_ANY_ID, PCI_ANY_ID, nvlink2_isolate_fixup);
