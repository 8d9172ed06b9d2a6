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
 *   links (u64) and "ibm,nvlink-speed" the speed code of the link (u32),
 *   when firmware knows it;
 * - the GPU RAM node is "ibm,coherent-device-memory" and its "reg" the
 *   window;
 * - the NPU PHB node lists its ATSD registers in "ibm,mmio-atsd", indexed by
 *   link index.
 *
 * This file reads and checks these properties and hands the result out in
 * structs, so that drivers never parse powernv device-tree properties.
 */

#define pr_fmt(fmt) "nvlink2: " fmt

#include <linux/mm.h>
#include <linux/of.h>
#include <linux/of_address.h>
#include <linux/pci.h>
#include <kunit/visibility.h>
#include <asm/pci-bridge.h>
#include <asm/pnv-pci.h>

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
 * bridge, the TGT from its "ibm,device-tgt-addr", the bridges from the
 * GPU's "ibm,npu".
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
	if (ret)
		goto put_bridge;
	ret = of_count_phandle_with_args(gpu, "ibm,npu", NULL);
	if (ret < 0)
		goto put_bridge;
	tmp.nr_bridges = ret;
	*info = tmp;
	ret = 0;
put_bridge:
	of_node_put(bridge);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(pnv_nvlink2_of_gpu_info);

/*
 * The ATSD register of link @index: entry @index of the PHB's
 * "ibm,mmio-atsd", 0 if there is none. Firmware lists one per link since
 * skiboot 6.2, one for all links before: the links past the first get
 * none rather than share it, as GPUs in different IOMMU groups would.
 */
static int nvlink2_read_atsd(const struct device_node *phb, u32 index,
			     u64 *atsd)
{
	const __be32 *prop;
	int len, count;

	*atsd = 0;
	prop = of_get_property(phb, "ibm,mmio-atsd", &len);
	if (!prop)
		return 0;
	count = len / sizeof(u64);
	if (!count || len % sizeof(u64)) {
		pr_warn("%pOF: ibm,mmio-atsd is malformed\n", phb);
		return -EINVAL;
	}
	if (index >= count) {
		pr_warn("%pOF: no ATSD register of its own for link %u\n", phb,
			index);
		return 0;
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
	/*
	 * skiboot writes the speed only when the host boot firmware (HDAT)
	 * gives it, and 0 for a code it does not know: 0 is unknown.
	 */
	ret = nvlink2_read_cells(bridge, "ibm,nvlink-speed", 1, &val);
	if (ret == -EINVAL) {
		pr_warn("%pOF: ibm,nvlink-speed is malformed\n", bridge);
		return ret;
	}
	tmp.link_speed = ret ? 0 : val;

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
