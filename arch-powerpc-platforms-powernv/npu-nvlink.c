// SPDX-License-Identifier: GPL-2.0-only
/*
 * NVLink2 GPUs on POWER9 powernv: the platform facts.
 *
 * On Witherspoon (AC922) systems, NVIDIA V100 SXM2 GPUs are attached to the
 * CPU by PCIe and by NVLinks. The NPU2 of each POWER9 chip presents every
 * link as a PCI function of its own (IBM 0x04ea, an "NVLink bridge") on an
 * NPU PHB, and maps the RAM of each GPU into the system address space.
 * Firmware describes this in the device tree:
 *
 * - the GPU node lists its bridges, one per link, in "ibm,npu";
 * - a bridge node points to its GPU with "ibm,gpu", to the GPU RAM node with
 *   "memory-region" (NPU2 only: the NVLink1 NPU of POWER8 has none), to its
 *   link node, whose "ibm,npu-link-index" is the index of the link, with
 *   "ibm,nvlink"; "ibm,device-tgt-addr" is the address of the GPU RAM on the
 *   links (u64) and "ibm,nvlink-speed" the speed code of the link (u32);
 * - the GPU RAM node is "ibm,coherent-device-memory" and its "reg" the
 *   window;
 * - the NPU PHB node lists its ATSD registers in "ibm,mmio-atsd", indexed by
 *   link index.
 *
 * This file reads and checks these properties and hands the result out in
 * structs, so that drivers never parse powernv device-tree properties.
 *
 * It also binds a GPU to a logical partition: the NPU2 translates the
 * addresses the GPU sends over the NVLinks (ATS) with the page tables of
 * one LPAR, the host's (LPAR 0) or a guest's, through a context that
 * firmware keeps per GPU.
 */

#define pr_fmt(fmt) "nvlink2: " fmt

#include <linux/mm.h>
#include <linux/of.h>
#include <linux/of_address.h>
#include <linux/pci.h>
#include <kunit/visibility.h>
#include <asm/machdep.h>
#include <asm/opal.h>
#include <asm/pci-bridge.h>
#include <asm/pnv-pci.h>
#include <asm/reg.h>

#include "npu-nvlink.h"
#include "pci.h"

/*
 * Read a property that must hold exactly @cells cells: -ENODEV if it is
 * absent, -EINVAL if it has another size.
 */
static int nvlink2_read_cells(const struct device_node *np, const char *name,
			      int cells, u64 *val)
{
	const __be32 *prop;
	int len;

	prop = of_get_property(np, name, &len);
	if (!prop)
		return -ENODEV;
	if (len != cells * sizeof(*prop))
		return -EINVAL;
	*val = of_read_number(prop, cells);
	return 0;
}

/* As nvlink2_read_cells(), for a property the NPU2 always provides. */
static int nvlink2_read_required(const struct device_node *np,
				 const char *name, int cells, u64 *val)
{
	int ret = nvlink2_read_cells(np, name, cells, val);

	if (ret) {
		pr_warn("%pOF: %s is %s\n", np, name,
			ret == -ENODEV ? "missing" : "malformed");
		return -EINVAL;
	}
	return 0;
}

/**
 * pnv_nvlink2_of_bridge() - Bridge @index of an NVLink2 GPU
 * @gpu: device-tree node of the GPU
 * @index: index of the bridge in the GPU's "ibm,npu"
 *
 * Return: the bridge's node with a reference held; NULL if @gpu lists no
 * bridge at @index; ERR_PTR(-EINVAL) if the entry does not resolve, or
 * resolves to a node whose "ibm,gpu" is not @gpu.
 */
VISIBLE_IF_KUNIT
struct device_node *pnv_nvlink2_of_bridge(const struct device_node *gpu,
					  unsigned int index)
{
	struct device_node *bridge, *back;
	int count;

	count = of_count_phandle_with_args(gpu, "ibm,npu", NULL);
	if (count <= 0 || index >= count)
		return NULL;

	bridge = of_parse_phandle(gpu, "ibm,npu", index);
	if (!bridge) {
		pr_warn("%pOF: ibm,npu entry %u does not resolve\n", gpu, index);
		return ERR_PTR(-EINVAL);
	}

	back = of_parse_phandle(bridge, "ibm,gpu", 0);
	of_node_put(back);
	if (back != gpu) {
		pr_warn("%pOF: ibm,npu entry %u, %pOF, is not a bridge of it\n",
			gpu, index, bridge);
		of_node_put(bridge);
		return ERR_PTR(-EINVAL);
	}
	return bridge;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_of_bridge);

/**
 * pnv_nvlink2_of_gpu() - The GPU at the other end of an NVLink bridge
 * @bridge: device-tree node of the bridge
 *
 * Return: the GPU's node with a reference held; NULL if @bridge has no
 * "ibm,gpu"; ERR_PTR(-EINVAL) if it does not resolve, or resolves to a node
 * that does not list @bridge in its "ibm,npu".
 */
VISIBLE_IF_KUNIT
struct device_node *pnv_nvlink2_of_gpu(const struct device_node *bridge)
{
	struct device_node *gpu, *np;
	int i, count;

	if (!of_property_present(bridge, "ibm,gpu"))
		return NULL;

	gpu = of_parse_phandle(bridge, "ibm,gpu", 0);
	if (!gpu) {
		pr_warn("%pOF: ibm,gpu does not resolve\n", bridge);
		return ERR_PTR(-EINVAL);
	}

	count = of_count_phandle_with_args(gpu, "ibm,npu", NULL);
	for (i = 0; i < count; i++) {
		np = of_parse_phandle(gpu, "ibm,npu", i);
		of_node_put(np);
		if (np == bridge)
			return gpu;
	}

	pr_warn("%pOF: ibm,gpu is %pOF, which does not list it in ibm,npu\n",
		bridge, gpu);
	of_node_put(gpu);
	return ERR_PTR(-EINVAL);
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_of_gpu);

/**
 * pnv_nvlink2_of_role() - The part a device-tree node plays in NVLink2
 * @np: device-tree node of a PCI function
 *
 * A GPU lists bridges that point back to it; a bridge points to a GPU that
 * lists it back and has GPU RAM behind it ("memory-region"), which tells an
 * NPU2 bridge from a POWER8 NVLink1 one. A GPU counts only if its first
 * bridge is such a bridge.
 *
 * Return: %PNV_NVLINK2_GPU, %PNV_NVLINK2_BRIDGE or %PNV_NVLINK2_NONE.
 */
VISIBLE_IF_KUNIT
enum pnv_nvlink2_role pnv_nvlink2_of_role(const struct device_node *np)
{
	enum pnv_nvlink2_role role = PNV_NVLINK2_NONE;
	bool lists_bridges = of_property_present(np, "ibm,npu");
	bool has_gpu = of_property_present(np, "ibm,gpu");
	struct device_node *other;

	if (lists_bridges == has_gpu)
		return PNV_NVLINK2_NONE;

	if (lists_bridges) {
		other = pnv_nvlink2_of_bridge(np, 0);
		if (!IS_ERR_OR_NULL(other) &&
		    of_property_present(other, "memory-region"))
			role = PNV_NVLINK2_GPU;
	} else {
		other = pnv_nvlink2_of_gpu(np);
		if (!IS_ERR_OR_NULL(other) &&
		    of_property_present(np, "memory-region"))
			role = PNV_NVLINK2_BRIDGE;
	}
	if (!IS_ERR_OR_NULL(other))
		of_node_put(other);
	return role;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_of_role);

/* The window of a GPU RAM node: one <base size> pair, page aligned. */
static int nvlink2_read_ram(struct device_node *mem, u64 *base, u64 *size)
{
	const __be32 *reg;
	int na, ns, len;

	if (!of_device_is_compatible(mem, "ibm,coherent-device-memory")) {
		pr_warn("%pOF: not ibm,coherent-device-memory\n", mem);
		return -EINVAL;
	}

	na = of_n_addr_cells(mem);
	ns = of_n_size_cells(mem);
	reg = of_get_property(mem, "reg", &len);
	if (!reg || na < 1 || na > 2 || ns < 1 || ns > 2 ||
	    len != (na + ns) * sizeof(*reg)) {
		pr_warn("%pOF: reg is not one <base size> pair\n", mem);
		return -EINVAL;
	}

	*base = of_read_number(reg, na);
	*size = of_read_number(reg + na, ns);
	if (!*size || !PAGE_ALIGNED(*base) || !PAGE_ALIGNED(*size) ||
	    *base + *size < *base) {
		pr_warn("%pOF: reg 0x%llx+0x%llx is not a page aligned window\n",
			mem, *base, *size);
		return -EINVAL;
	}
	return 0;
}

/**
 * pnv_nvlink2_of_gpu_info() - The platform facts of an NVLink2 GPU
 * @gpu: device-tree node of the GPU
 * @info: filled in on success, left alone on failure
 *
 * The GPU RAM window comes from the "memory-region" of the GPU's first
 * bridge, the TGT from its "ibm,device-tgt-addr".
 *
 * Return: 0; -ENODEV if @gpu is not an NVLink2 GPU; -EINVAL if a property
 * it needs is missing or malformed (the message names it).
 */
VISIBLE_IF_KUNIT
int pnv_nvlink2_of_gpu_info(const struct device_node *gpu,
			    struct pnv_nvlink2_gpu_info *info)
{
	struct pnv_nvlink2_gpu_info tmp;
	struct device_node *bridge, *mem;
	int ret;

	bridge = pnv_nvlink2_of_bridge(gpu, 0);
	if (!bridge)
		return -ENODEV;
	if (IS_ERR(bridge))
		return PTR_ERR(bridge);

	if (!of_property_present(bridge, "memory-region")) {
		ret = -ENODEV;		/* an NVLink1 bridge */
		goto put_bridge;
	}
	mem = of_parse_phandle(bridge, "memory-region", 0);
	if (!mem) {
		pr_warn("%pOF: memory-region does not resolve\n", bridge);
		ret = -EINVAL;
		goto put_bridge;
	}
	ret = nvlink2_read_ram(mem, &tmp.ram_base, &tmp.ram_size);
	of_node_put(mem);
	if (ret)
		goto put_bridge;

	ret = nvlink2_read_required(bridge, "ibm,device-tgt-addr", 2,
				    &tmp.tgt);
	if (!ret)
		*info = tmp;
put_bridge:
	of_node_put(bridge);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_of_gpu_info);

/*
 * The ATSD register of link @index: entry @index of the PHB's
 * "ibm,mmio-atsd", or entry 0 if there are fewer (firmware before skiboot
 * 6.3 gave one register for all links), 0 if the PHB has none.
 */
static int nvlink2_read_atsd(const struct device_node *phb, u32 index,
			     u64 *atsd)
{
	const __be32 *prop;
	int len, count;

	prop = of_get_property(phb, "ibm,mmio-atsd", &len);
	if (!prop) {
		*atsd = 0;
		return 0;
	}
	count = len / sizeof(u64);
	if (!count || len % sizeof(u64)) {
		pr_warn("%pOF: ibm,mmio-atsd is malformed\n", phb);
		return -EINVAL;
	}
	if (index >= count) {
		pr_warn("%pOF: no ATSD register for link %u, sharing the first one\n",
			phb, index);
		index = 0;
	}
	*atsd = of_read_number(prop + 2 * index, 2);
	return 0;
}

/**
 * pnv_nvlink2_of_bridge_info() - The platform facts of an NVLink2 bridge
 * @bridge: device-tree node of the bridge
 * @phb: device-tree node of the PHB the bridge is on
 * @info: filled in on success, left alone on failure
 *
 * Return: 0; -ENODEV if @bridge is not an NVLink2 bridge; -EINVAL if a
 * property it needs is missing or malformed (the message names it).
 */
VISIBLE_IF_KUNIT
int pnv_nvlink2_of_bridge_info(const struct device_node *bridge,
			       const struct device_node *phb,
			       struct pnv_nvlink2_bridge_info *info)
{
	struct pnv_nvlink2_bridge_info tmp;
	struct device_node *gpu, *link;
	u64 val;
	int ret;

	gpu = pnv_nvlink2_of_gpu(bridge);
	if (!gpu)
		return -ENODEV;
	if (IS_ERR(gpu))
		return PTR_ERR(gpu);
	of_node_put(gpu);
	if (!of_property_present(bridge, "memory-region"))
		return -ENODEV;		/* an NVLink1 bridge */

	ret = nvlink2_read_required(bridge, "ibm,device-tgt-addr", 2,
				    &tmp.tgt);
	if (ret)
		return ret;
	ret = nvlink2_read_required(bridge, "ibm,nvlink-speed", 1, &val);
	if (ret)
		return ret;
	tmp.link_speed = val;

	link = of_parse_phandle(bridge, "ibm,nvlink", 0);
	if (!link) {
		pr_warn("%pOF: ibm,nvlink is missing or does not resolve\n",
			bridge);
		return -EINVAL;
	}
	ret = nvlink2_read_required(link, "ibm,npu-link-index", 1, &val);
	of_node_put(link);
	if (ret)
		return ret;
	tmp.link_index = val;

	ret = nvlink2_read_atsd(phb, tmp.link_index, &tmp.atsd);
	if (ret)
		return ret;

	*info = tmp;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_of_bridge_info);

/* The PCI function of a device-tree node, with a reference held. */
static struct pci_dev *nvlink2_node_to_pci(struct device_node *np)
{
	struct pci_dn *pdn = PCI_DN(np);

	if (!pdn || !pdn->phb || !pdn->phb->bus)
		return NULL;
	return pci_get_domain_bus_and_slot(pci_domain_nr(pdn->phb->bus),
					   pdn->busno, pdn->devfn);
}

/**
 * pnv_nvlink2_same_gpu() - Whether two NVLink bridges link the same GPU
 * @bridge1: a bridge
 * @bridge2: another bridge
 *
 * Compares the GPUs' device-tree nodes, so that it works before the GPU's
 * PCI function is added, as the NPU PHB sets up its PEs.
 *
 * Return: true if both are NVLink2 bridges of one GPU.
 */
bool pnv_nvlink2_same_gpu(struct pci_dev *bridge1, struct pci_dev *bridge2)
{
	struct device_node *np1 = pci_device_to_OF_node(bridge1);
	struct device_node *np2 = pci_device_to_OF_node(bridge2);
	struct device_node *gpu1, *gpu2;
	bool same;

	if (!np1 || !np2)
		return false;
	gpu1 = pnv_nvlink2_of_gpu(np1);
	if (IS_ERR_OR_NULL(gpu1))
		return false;
	gpu2 = pnv_nvlink2_of_gpu(np2);
	same = gpu1 == gpu2;
	of_node_put(gpu1);
	if (!IS_ERR_OR_NULL(gpu2))
		of_node_put(gpu2);
	return same;
}

/**
 * pnv_nvlink2_role() - The part a PCI function plays in NVLink2
 * @pdev: the function
 *
 * Return: %PNV_NVLINK2_GPU, %PNV_NVLINK2_BRIDGE or %PNV_NVLINK2_NONE.
 */
enum pnv_nvlink2_role pnv_nvlink2_role(struct pci_dev *pdev)
{
	struct device_node *np = pci_device_to_OF_node(pdev);

	return np ? pnv_nvlink2_of_role(np) : PNV_NVLINK2_NONE;
}
EXPORT_SYMBOL_GPL(pnv_nvlink2_role);

/**
 * pnv_nvlink2_get_gpu() - The GPU at the other end of an NVLink bridge
 * @bridge: the bridge
 *
 * Return: the GPU with a reference held (pci_dev_put() it), or NULL.
 */
struct pci_dev *pnv_nvlink2_get_gpu(struct pci_dev *bridge)
{
	struct device_node *np = pci_device_to_OF_node(bridge);
	struct device_node *gpu;
	struct pci_dev *pdev;

	if (!np)
		return NULL;
	gpu = pnv_nvlink2_of_gpu(np);
	if (IS_ERR_OR_NULL(gpu))
		return NULL;
	pdev = nvlink2_node_to_pci(gpu);
	of_node_put(gpu);
	return pdev;
}
EXPORT_SYMBOL_GPL(pnv_nvlink2_get_gpu);

/**
 * pnv_nvlink2_get_bridge() - An NVLink bridge of a GPU
 * @gpu: the GPU
 * @index: which bridge, from 0
 *
 * Return: the bridge with a reference held (pci_dev_put() it), or NULL.
 */
struct pci_dev *pnv_nvlink2_get_bridge(struct pci_dev *gpu, unsigned int index)
{
	struct device_node *np = pci_device_to_OF_node(gpu);
	struct device_node *bridge;
	struct pci_dev *pdev;

	if (!np)
		return NULL;
	bridge = pnv_nvlink2_of_bridge(np, index);
	if (IS_ERR_OR_NULL(bridge))
		return NULL;
	pdev = nvlink2_node_to_pci(bridge);
	of_node_put(bridge);
	return pdev;
}
EXPORT_SYMBOL_GPL(pnv_nvlink2_get_bridge);

/**
 * pnv_nvlink2_gpu_info() - The platform facts of an NVLink2 GPU
 * @gpu: the GPU
 * @info: filled in on success, left alone on failure
 *
 * Return: 0; -ENODEV if @gpu is not an NVLink2 GPU; -EINVAL if the device
 * tree describes it wrongly (a message names the property).
 */
int pnv_nvlink2_gpu_info(struct pci_dev *gpu, struct pnv_nvlink2_gpu_info *info)
{
	struct device_node *np = pci_device_to_OF_node(gpu);

	return np ? pnv_nvlink2_of_gpu_info(np, info) : -ENODEV;
}
EXPORT_SYMBOL_GPL(pnv_nvlink2_gpu_info);

/**
 * pnv_nvlink2_bridge_info() - The platform facts of an NVLink2 bridge
 * @bridge: the bridge
 * @info: filled in on success, left alone on failure
 *
 * Return: 0; -ENODEV if @bridge is not an NVLink2 bridge; -EINVAL if the
 * device tree describes it wrongly (a message names the property).
 */
int pnv_nvlink2_bridge_info(struct pci_dev *bridge,
			    struct pnv_nvlink2_bridge_info *info)
{
	struct device_node *np = pci_device_to_OF_node(bridge);
	struct pci_controller *hose = pci_bus_to_host(bridge->bus);

	if (!np || !hose || !hose->dn)
		return -ENODEV;
	return pnv_nvlink2_of_bridge_info(np, hose->dn, info);
}
EXPORT_SYMBOL_GPL(pnv_nvlink2_bridge_info);

/*
 * Bind the GPU with requester id @bdf to LPAR @lpid in the NPU2 of @nphb
 * and give it a translation context with @msr. The NPU2 translates for
 * radix page tables only: the LPCR argument of the binding is always 0.
 */
static int nvlink2_bind(struct pnv_phb *nphb, u16 bdf, u64 lpid,
			unsigned long msr, struct device *dev)
{
	s64 rc;

	rc = opal_npu_map_lpar(nphb->opal_id, bdf, lpid, 0);
	if (rc) {
		dev_err(dev, "OPAL error %lld binding to LPAR %llu\n", rc, lpid);
		return opal_error_code(rc);
	}

	rc = opal_npu_init_context(nphb->opal_id, 0, msr, bdf);
	if (rc < 0) {
		dev_err(dev, "OPAL error %lld setting up the NVLink context\n",
			rc);
		opal_npu_map_lpar(nphb->opal_id, bdf, 0, 0);
		return opal_error_code(rc);
	}
	return 0;
}

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
 * pnv_nvlink2_map_lpar() - Translate a GPU's NVLink accesses for an LPAR
 * @gpu: the GPU
 * @lpid: the LPAR, 0 for the host
 * @msr: the MSR bits of the translation context: MSR_DR | MSR_PR for a
 *	guest, with MSR_HV for the host
 *
 * Return: 0; -ENODEV if @gpu has no NVLink to an NPU2; another -errno
 * if firmware refuses, with a message.
 */
int pnv_nvlink2_map_lpar(struct pci_dev *gpu, u64 lpid, unsigned long msr)
{
	struct pnv_phb *nphb = nvlink2_gpu_npu(gpu);

	if (!nphb)
		return -ENODEV;
	return nvlink2_bind(nphb, pci_dev_id(gpu), lpid, msr, &gpu->dev);
}
EXPORT_SYMBOL_GPL(pnv_nvlink2_map_lpar);

/**
 * pnv_nvlink2_unmap_lpar() - Undo pnv_nvlink2_map_lpar()
 * @gpu: the GPU
 *
 * Destroys the GPU's translation context and binds it to LPAR 0 without
 * one, until it is mapped again.
 *
 * Return: 0; -ENODEV if @gpu has no NVLink to an NPU2; another -errno
 * if firmware refuses, with a message.
 */
int pnv_nvlink2_unmap_lpar(struct pci_dev *gpu)
{
	struct pnv_phb *nphb = nvlink2_gpu_npu(gpu);
	u16 bdf = pci_dev_id(gpu);
	s64 rc;

	if (!nphb)
		return -ENODEV;

	rc = opal_npu_destroy_context(nphb->opal_id, 0, bdf);
	if (rc < 0) {
		pci_err(gpu, "OPAL error %lld destroying the NVLink context\n",
			rc);
		return opal_error_code(rc);
	}
	rc = opal_npu_map_lpar(nphb->opal_id, bdf, 0, 0);
	if (rc) {
		pci_err(gpu, "OPAL error %lld binding to LPAR 0\n", rc);
		return opal_error_code(rc);
	}
	return 0;
}
EXPORT_SYMBOL_GPL(pnv_nvlink2_unmap_lpar);

/**
 * pnv_nvlink2_bind_host() - Bind the GPU of a bridge to the host
 * @nphb: the NPU2 PHB of @bridge
 * @bridge: the first bridge of a GPU the NPU2 PHB sets up
 *
 * At boot the GPU's PCI function may not be added yet, so its requester
 * id comes from its device-tree node.
 */
void pnv_nvlink2_bind_host(struct pnv_phb *nphb, struct pci_dev *bridge)
{
	struct device_node *np = pci_device_to_OF_node(bridge);
	struct device_node *gpu;
	struct pci_dn *pdn;

	gpu = np ? pnv_nvlink2_of_gpu(np) : NULL;
	if (IS_ERR_OR_NULL(gpu))
		return;
	pdn = PCI_DN(gpu);
	if (pdn)
		nvlink2_bind(nphb, PCI_DEVID(pdn->busno, pdn->devfn), 0,
			     MSR_DR | MSR_PR | MSR_HV, &bridge->dev);
	of_node_put(gpu);
}

/*
 * NVLink isolation.
 *
 * The GPUs of a Witherspoon are linked to each other directly too, and
 * neither the NPU2 nor the IOMMU sees that traffic. A V100 SXM2 can turn
 * off its own links by a mask written to BAR0; they stay off until its
 * next secondary bus reset. With "isolate_nvlink" on the command line,
 * every V100 whose links firmware describes ("ibm,nvlink-peers") gets an
 * IOMMU group of its own, and the platform cuts its links to any other
 * GPU each time the GPU comes out of reset, whatever driver it has: when
 * it is added (boot, hotplug), after every secondary bus reset
 * (pnv_pci_reset_secondary_bus(), which function resets, VFIO hot resets
 * and slot resets all go through) and after every EEH reset
 * (pnv_eeh_restore_config(), called before or after the BARs are
 * restored: the cut writes BAR0 from its resource first).
 *
 * A GPU whose links firmware does not describe, or describes wrongly,
 * keeps the shared group: its group never claims an isolation it does not
 * have. Its peers that are isolated cut their end of the links to it.
 */

/* The NVLinks of a V100, and the bits of its link disable mask. */
#define NVLINK2_GPU_LINKS		6
#define NVLINK2_LINK_MASK_SHIFT		16

/*
 * The V100 BAR0 registers that cut links, from NVIDIA's "NVLink isolation
 * on multi-tenant systems" application note, which does not name them:
 * two writes, a bit to set in a control register, then the disable mask
 * ORed into the link control register.
 */
#define V100_ISOLATE_REG1		0x12004c
#define V100_ISOLATE_REG1_VAL		0x4
#define V100_ISOLATE_REG2		0x122204
#define V100_ISOLATE_REG2_VAL		0x2
#define V100_ISOLATE_CTL		0x200
#define V100_ISOLATE_CTL_BIT		BIT(25)
#define V100_LINK_DISABLE		0xa00148
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
 * (phandle 0: the link is not wired). A link stays up if it goes to a
 * bridge of @gpu or to a GPU of @group; every other link is cut.
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

static bool nvlink2_gpu_isolated(struct device_node *gpu)
{
	u32 mask;

	return nvlink2_isolate && !pnv_nvlink2_of_isolation(gpu, &mask);
}

/**
 * pnv_nvlink2_v100_cut_links() - Write a link disable mask to a V100
 * @bar0: the start of BAR0, mapped for at least %V100_ISOLATE_MAP_SIZE
 * @mask: the links to cut, as pnv_nvlink2_of_link_mask() gives them
 *
 * Return: 0; -EIO if the GPU does not answer (nothing is written then).
 */
VISIBLE_IF_KUNIT int pnv_nvlink2_v100_cut_links(void __iomem *bar0, u32 mask)
{
	/* All ones: the GPU is not there, or its PE is frozen. */
	if (readl(bar0 + V100_ISOLATE_CTL) == ~0U)
		return -EIO;

	writel(V100_ISOLATE_REG1_VAL, bar0 + V100_ISOLATE_REG1);
	writel(V100_ISOLATE_REG2_VAL, bar0 + V100_ISOLATE_REG2);
	writel(readl(bar0 + V100_ISOLATE_CTL) | V100_ISOLATE_CTL_BIT,
	       bar0 + V100_ISOLATE_CTL);
	writel(readl(bar0 + V100_LINK_DISABLE) | mask, bar0 + V100_LINK_DISABLE);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_v100_cut_links);

/**
 * pnv_nvlink2_isolate() - Cut the NVLinks of a GPU that leave its group
 * @pdev: a PCI function just added, or out of a reset
 *
 * Does nothing unless @pdev is a V100 SXM2 that the isolation policy
 * isolates. BAR0 is programmed from its resource (a reset clears it) and
 * memory decode is on only while the mask is written.
 */
void pnv_nvlink2_isolate(struct pci_dev *pdev)
{
	struct device_node *np = pci_device_to_OF_node(pdev);
	void __iomem *bar0;
	u32 mask;
	u16 cmd;
	int ret;

	if (!nvlink2_isolate || !np ||
	    !nvlink2_is_v100_sxm2(pdev->vendor, pdev->device) ||
	    pnv_nvlink2_of_isolation(np, &mask))
		return;

	if (!pci_device_is_present(pdev)) {
		ret = -ENODEV;
		goto err;
	}
	if (!(pci_resource_flags(pdev, 0) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, 0) < V100_ISOLATE_MAP_SIZE) {
		ret = -ENXIO;
		goto err;
	}
	bar0 = pci_iomap_range(pdev, 0, 0, V100_ISOLATE_MAP_SIZE);
	if (!bar0) {
		ret = -ENOMEM;
		goto err;
	}

	pci_update_resource(pdev, 0);
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	pci_write_config_word(pdev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	ret = pnv_nvlink2_v100_cut_links(bar0, mask);
	pci_write_config_word(pdev, PCI_COMMAND, cmd);
	pci_iounmap(pdev, bar0);
	if (ret)
		goto err;
	pci_dbg(pdev, "NVLinks cut: disable mask %#x\n", mask);
	return;
err:
	pci_err(pdev, "cannot cut the NVLinks to GPUs outside its IOMMU group (%pe): they are up\n",
		ERR_PTR(ret));
}

/*
 * Isolate the GPUs at boot and hotplug, before any driver sees them, and
 * say once why one is not.
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
DECLARE_PCI_FIXUP_FINAL(PCI_VENDOR_ID_NVIDIA, PCI_ANY_ID, nvlink2_isolate_fixup);

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
 * (nvlink2_gpu_isolated(), above).
 */

/* Witherspoon: up to three GPUs per NPU, with an NPU PE each. */
#define NVLINK2_GROUP_MAX_PES	8

struct nvlink2_group {
	struct iommu_table_group table_group;
	struct device_node *key;	/* what the policy groups by */
	struct list_head list;		/* in nvlink2_groups */
	unsigned int nr_pes;
	struct pnv_ioda_pe *pes[NVLINK2_GROUP_MAX_PES];
};

/* Protects nvlink2_groups and the members of every group. */
static DEFINE_MUTEX(nvlink2_groups_lock);
static LIST_HEAD(nvlink2_groups);

static struct nvlink2_group *to_nvlink2_group(struct iommu_table_group *tg)
{
	return container_of(tg, struct nvlink2_group, table_group);
}

static bool nvlink2_phb_is_npu(const struct pnv_phb *phb)
{
	return phb->type == PNV_PHB_NPU_NVLINK;
}

static bool nvlink2_pe_is_npu(const struct pnv_ioda_pe *pe)
{
	return nvlink2_phb_is_npu(pe->phb);
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
	struct pnv_ioda_pe *gpe = nvlink2_group_gpu_pe(to_nvlink2_group(tg));

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

	for (i = 0; i < grp->nr_pes; i++) {
		pe = grp->pes[i];
		ret = pe->table_group.ops->set_window(&pe->table_group, num,
						      tbl);
		if (ret)
			break;
	}
	if (ret) {
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

	if (!tg->tables[num])
		return 0;

	/* Unset it everywhere: a member left with the table could still DMA. */
	for (i = 0; i < grp->nr_pes; i++) {
		pe = grp->pes[i];
		rc = pe->table_group.ops->unset_window(&pe->table_group, num);
		if (rc && !ret)
			ret = rc;
	}
	iommu_tce_table_put(tg->tables[num]);
	tg->tables[num] = NULL;
	return ret;
}

/* The member PE that @dev is in, or NULL. */
static struct pnv_ioda_pe *nvlink2_group_dev_pe(struct nvlink2_group *grp,
						struct device *dev)
{
	struct pnv_ioda_pe *pe;
	unsigned int i;

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
 * its PE, which acts on the first of its devices only.
 */
static long nvlink2_group_take_ownership(struct iommu_table_group *tg,
					 struct device *dev)
{
	struct pnv_ioda_pe *pe = nvlink2_group_dev_pe(to_nvlink2_group(tg),
						      dev);

	if (WARN_ON_ONCE(!pe))
		return -ENODEV;
	return pe->table_group.ops->take_ownership(&pe->table_group, dev);
}

static void nvlink2_group_release_ownership(struct iommu_table_group *tg,
					    struct device *dev)
{
	struct pnv_ioda_pe *pe = nvlink2_group_dev_pe(to_nvlink2_group(tg),
						      dev);

	if (!WARN_ON_ONCE(!pe))
		pe->table_group.ops->release_ownership(&pe->table_group, dev);
}

static struct iommu_table_group_ops nvlink2_group_ops = {
	.get_table_size = pnv_pci_ioda2_get_table_size,
	.create_table = nvlink2_group_create_table,
	.set_window = nvlink2_group_set_window,
	.unset_window = nvlink2_group_unset_window,
	.take_ownership = nvlink2_group_take_ownership,
	.release_ownership = nvlink2_group_release_ownership,
};

/*
 * The grouping policy: what the group of @gpu is keyed by, the node of
 * the NPU PHB of its first bridge, or the GPU itself.
 */
static struct device_node *nvlink2_group_key(struct device_node *gpu)
{
	struct device_node *bridge, *key = NULL;
	struct pci_dn *pdn;

	if (nvlink2_gpu_isolated(gpu))
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
	if (pdn && pdn->phb && pdn->phb->private_data)
		ret = nvlink2_phb_is_npu(pdn->phb->private_data);
	of_node_put(bridge);
	return ret;
}

/*
 * The GPU node of an NVLink2 PE, with a reference held: the GPU of the
 * bridges of an NPU PE, or an NVLink2 GPU of a PE of an ordinary PHB whose
 * links go to an NPU2 PHB.
 */
static struct device_node *nvlink2_pe_gpu(struct pnv_ioda_pe *pe)
{
	struct device_node *np;
	struct pci_dev *pdev;

	if (nvlink2_pe_is_npu(pe)) {
		np = pe->pdev ? pci_device_to_OF_node(pe->pdev) : NULL;
		np = np ? pnv_nvlink2_of_gpu(np) : NULL;
		return IS_ERR(np) ? NULL : np;
	}

	if (pe->pdev) {
		np = pci_device_to_OF_node(pe->pdev);
		if (np && pnv_nvlink2_of_role(np) == PNV_NVLINK2_GPU &&
		    nvlink2_gpu_on_npu(np))
			return of_node_get(np);
		return NULL;
	}
	if (!pe->pbus)
		return NULL;
	list_for_each_entry(pdev, &pe->pbus->devices, bus_list) {
		np = pci_device_to_OF_node(pdev);
		if (np && pnv_nvlink2_of_role(np) == PNV_NVLINK2_GPU &&
		    nvlink2_gpu_on_npu(np))
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
 * Return: true if @pe is in a compound group, whose iommu_group is then in
 * @pe->table_group.group, with a reference held.
 */
bool pnv_nvlink2_join_group(struct pnv_ioda_pe *pe)
{
	struct device_node *gpu, *key;
	struct nvlink2_group *grp;
	bool joined = false;

	gpu = nvlink2_pe_gpu(pe);
	if (!gpu)
		return false;
	key = nvlink2_group_key(gpu);
	of_node_put(gpu);
	if (!key)
		return false;

	mutex_lock(&nvlink2_groups_lock);
	grp = nvlink2_group_find(key);
	if (!grp) {
		grp = kzalloc_obj(*grp);
		if (!grp)
			goto unlock;
		grp->key = of_node_get(key);
		grp->table_group.ops = &nvlink2_group_ops;
		grp->table_group.pgsizes = ~0ULL;
		iommu_register_group(&grp->table_group,
				     pe->phb->hose->global_number,
				     pe->pe_number);
		if (!grp->table_group.group) {
			of_node_put(grp->key);
			kfree(grp);
			goto unlock;
		}
		list_add_tail(&grp->list, &nvlink2_groups);
	}
	if (WARN_ON(grp->nr_pes == NVLINK2_GROUP_MAX_PES))
		goto unlock;

	grp->pes[grp->nr_pes++] = pe;
	grp->table_group.pgsizes &= pe->table_group.pgsizes;
	if (!nvlink2_pe_is_npu(pe)) {
		/* The DMA windows are the GPUs'. */
		grp->table_group.tce32_start = pe->table_group.tce32_start;
		grp->table_group.tce32_size = pe->table_group.tce32_size;
		grp->table_group.max_dynamic_windows_supported =
			pe->table_group.max_dynamic_windows_supported;
		grp->table_group.max_levels = pe->table_group.max_levels;
	}
	pe->table_group.group = iommu_group_ref_get(grp->table_group.group);
	pe_info(pe, "In the NVLink2 IOMMU group of %pOF\n", key);
	joined = true;
unlock:
	mutex_unlock(&nvlink2_groups_lock);
	of_node_put(key);
	return joined;
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
