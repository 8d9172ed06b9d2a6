// SPDX-License-Identifier: GPL-2.0
/*
 * nvlink2-emu: an emulated NVLink2 platform for the QEMU powernv9 rig.
 *
 * Not part of the series: the rig builds it as an out-of-tree module. It
 * gives ordinary emulated PCIe functions the device-tree properties that
 * skiboot gives a V100 GPU and its NVLink bridges on Witherspoon, so that
 * the series' platform code and nvlink2-vfio-pci run unmodified on them:
 *
 * - the function "gpu" lists its bridges in "ibm,npu" and its links in
 *   "ibm,nvlink-peers";
 * - each function of "bridges" points back to it ("ibm,gpu") and to the
 *   GPU RAM ("memory-region"), and gets a TGT, a link speed and a link
 *   node with its link index (bridge N has link index N);
 * - the GPU RAM is a node "ibm,coherent-device-memory" whose "reg" is
 *   ram_base/ram_size: RAM that the guest kernel does not use (mem=), with
 *   the other properties skiboot gives the node;
 * - the PHB of a bridge whose link index is below "atsd_links" gets
 *   "ibm,mmio-atsd", one 64 KiB page per link from "atsd" up, RAM the
 *   kernel does not use either; a bridge on another PHB has no ATSD
 *   register;
 * - debugfs "nvlink2-emu/corrupt-offset" reports a memory failure of a
 *   page of the GPU RAM, as a machine check would (not on 6.12, see
 *   EMU_MEMORY_FAILURE);
 * - debugfs "nvlink2-emu/eeh-reset" takes the GPU's PE through the steps
 *   of an EEH reset as the platform sees them (1: the reset starts, 0: it
 *   is deactivated), without resetting anything: the QEMU PHB4 does not
 *   come back from an EEH hot reset of a PE below a bridge.
 *
 * It does not emulate the NPU2 PHB (the bridges sit on ordinary PHB4s,
 * so their IOMMU groups are ordinary ones), the OPAL NPU calls, the V100
 * registers or any NVLink traffic. Load it before binding the functions
 * to nvlink2-vfio-pci, which asks the platform for their roles at probe;
 * unloading it reverts the device tree.
 */

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/pci.h>
#include <asm/eeh.h>
#include <asm/pci-bridge.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/version.h>

/*
 * The same source builds against the main series (7.3) and the 6.12
 * backport: symbol namespaces became string literals in 6.13, and GPU
 * RAM, which has no struct pages, can only be registered for memory
 * failures where <linux/memory-failure.h> exists (the 6.12 driver does
 * not, so the rig has no failure to inject there).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define EMU_KUNIT_NS "EXPORTED_FOR_KUNIT_TESTING"
#else
#define EMU_KUNIT_NS EXPORTED_FOR_KUNIT_TESTING
#endif
#if __has_include(<linux/memory-failure.h>)
#define EMU_MEMORY_FAILURE 1
#else
#define EMU_MEMORY_FAILURE 0
#endif

#define EMU_MAX_BRIDGES		6
#define EMU_ATSD_SIZE		0x10000

static char *gpu;
module_param(gpu, charp, 0444);
MODULE_PARM_DESC(gpu, "BDF of the function that plays the GPU");

static char *bridges;
module_param(bridges, charp, 0444);
MODULE_PARM_DESC(bridges, "BDFs of the functions that play its NVLink bridges, comma separated");

static unsigned long ram_base;
module_param(ram_base, ulong, 0444);
MODULE_PARM_DESC(ram_base, "Physical address of the GPU RAM (RAM the kernel does not use)");

static unsigned long ram_size;
module_param(ram_size, ulong, 0444);
MODULE_PARM_DESC(ram_size, "Size of the GPU RAM");

static unsigned long atsd;
module_param(atsd, ulong, 0444);
MODULE_PARM_DESC(atsd, "Physical address of the ATSD register of link 0 (0: none)");

static unsigned int atsd_links = 1;
module_param(atsd_links, uint, 0444);
MODULE_PARM_DESC(atsd_links, "How many links have an ATSD register");

/*
 * 0: what skiboot gives, its compression of the GPU RAM base
 * (npu2_dn_fixup_gmb(), hw/npu2.c:566-569 in skiboot v7.1-139-gecebf4fb3).
 */
static unsigned long tgt;
module_param(tgt, ulong, 0444);
MODULE_PARM_DESC(tgt, "The TGT of the GPU RAM (default: skiboot's compression of ram_base)");

/*
 * 0x9: HDAT's 25 Gbps, as skiboot copies it from HDAT's nvidia,link-speed
 * (npu2_dn_fixup(), hw/npu2.c:675; hdata/spira.c:1662-1673).
 */
static unsigned int link_speed = 0x9;
module_param(link_speed, uint, 0444);
MODULE_PARM_DESC(link_speed, "The link speed code of every link");

/*
 * skiboot's "ibm,chip-id" and "ibm,associativity" of its first GPU RAM
 * node: a fake chip id that counts down from 255, one per GPU RAM node
 * (npu2_create_memory_dn(), hw/npu2.c:519-541).
 */
#define EMU_RAM_CHIP_ID		255

/*
 * The TGT skiboot gives for GPU RAM at @base: the NPU2's "Coral" address
 * compression, bits 42, 45-46 and 49-50 of the address to bits 42, 43-44
 * and 45-46, bits 0-42 kept (npu2_dn_fixup_gmb(), hw/npu2.c:566-569).
 */
static u64 emu_tgt(u64 base)
{
	return ((base >> 42) & 0x1) << 42 |
	       ((base >> 45) & 0x3) << 43 |
	       ((base >> 49) & 0x3) << 45 |
	       (base & (BIT_ULL(43) - 1));
}

static struct of_changeset emu_cs;

static struct pci_dev *emu_get_pci(const char *bdf)
{
	unsigned int dom, bus, dev, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return NULL;
	return pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(dev, fn));
}

/* The highest phandle in the tree: new nodes get the ones above it. */
static phandle emu_max_phandle(void)
{
	struct device_node *np = NULL;
	phandle max = 0;

	while ((np = of_find_all_nodes(np)))
		max = max(max, np->phandle);
	return max;
}

static int emu_add_u64(struct of_changeset *cs, struct device_node *np,
		       const char *name, const u64 *vals, size_t n)
{
	u32 *cells;
	size_t i;
	int ret;

	cells = kcalloc(2 * n, sizeof(*cells), GFP_KERNEL);
	if (!cells)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		cells[2 * i] = upper_32_bits(vals[i]);
		cells[2 * i + 1] = lower_32_bits(vals[i]);
	}
	ret = of_changeset_add_prop_u32_array(cs, np, name, cells, 2 * n);
	kfree(cells);
	return ret;
}

/*
 * The new nodes, whose references of_changeset_create_node() gives us,
 * and their phandles, set once the changeset is applied.
 */
static struct {
	struct device_node *np;
	phandle ph;
} emu_nodes[2 + EMU_MAX_BRIDGES];
static unsigned int emu_nr_nodes;

static struct device_node *emu_create_node(struct of_changeset *cs,
					   struct device_node *parent,
					   const char *name, phandle ph)
{
	struct device_node *np = of_changeset_create_node(cs, parent, name);

	if (np) {
		emu_nodes[emu_nr_nodes].np = np;
		emu_nodes[emu_nr_nodes++].ph = ph;
	}
	return np;
}

static void emu_put_nodes(void)
{
	while (emu_nr_nodes)
		of_node_put(emu_nodes[--emu_nr_nodes].np);
}

static struct device_node *emu_new_node(struct of_changeset *cs,
					struct device_node *parent,
					const char *name, const char *compat,
					phandle ph)
{
	struct device_node *np = emu_create_node(cs, parent, name, ph);

	/*
	 * Attaching a node takes its phandle from its "phandle" property,
	 * which the changeset only adds after the node: it is set again
	 * once the changeset is applied.
	 */
	if (!np ||
	    of_changeset_add_prop_string(cs, np, "compatible", compat) ||
	    of_changeset_add_prop_u32(cs, np, "phandle", ph))
		return NULL;
	return np;
}

static int emu_build(struct of_changeset *cs, struct pci_dev *gdev,
		     struct pci_dev **bdevs, unsigned int nr)
{
	struct device_node *gnp = pci_device_to_OF_node(gdev);
	struct device_node *root, *emu, *mem, *link, *bnp, *phb;
	u32 npu[EMU_MAX_BRIDGES], peers[6] = {};
	u64 reg[2] = { ram_base, ram_size };
	u64 usable[2] = { ram_base, 0 };
	u32 assoc[5] = { 4, EMU_RAM_CHIP_ID, EMU_RAM_CHIP_ID, EMU_RAM_CHIP_ID,
			 EMU_RAM_CHIP_ID };
	u64 tgt64 = tgt ?: emu_tgt(ram_base);
	u64 atsds[8];
	phandle ph = emu_max_phandle();
	phandle mem_ph = ++ph;
	char name[32];
	unsigned int i, j;
	int ret;

	if (!gnp || !gnp->phandle)
		return -ENODEV;

	root = of_find_node_by_path("/");
	emu = emu_create_node(cs, root, "nvlink2-emu", 0);
	of_node_put(root);
	if (!emu)
		return -ENOMEM;
	ret = of_changeset_add_prop_u32(cs, emu, "#address-cells", 2) ?:
	      of_changeset_add_prop_u32(cs, emu, "#size-cells", 2);
	if (ret)
		return ret;

	/*
	 * The GPU RAM node as npu2_create_memory_dn() makes it
	 * (hw/npu2.c:519-541): "linux,usable-memory" of size 0, the driver
	 * manages the RAM; the window is ram_base/ram_size, not skiboot's
	 * 128 GiB at GPU_MEM_4T_UP (hw/phys-map.c:167-170), which the QEMU
	 * machine does not have.
	 */
	snprintf(name, sizeof(name), "memory@%lx", ram_base);
	mem = emu_new_node(cs, emu, name, "ibm,coherent-device-memory", mem_ph);
	if (!mem)
		return -ENOMEM;
	ret = of_changeset_add_prop_string(cs, mem, "device_type", "memory") ?:
	      emu_add_u64(cs, mem, "reg", reg, ARRAY_SIZE(reg)) ?:
	      of_changeset_add_prop_u32(cs, mem, "ibm,chip-id", EMU_RAM_CHIP_ID) ?:
	      emu_add_u64(cs, mem, "linux,usable-memory", usable,
			  ARRAY_SIZE(usable)) ?:
	      of_changeset_add_prop_u32_array(cs, mem, "ibm,associativity",
					      assoc, ARRAY_SIZE(assoc));
	if (ret)
		return ret;

	for (i = 0; i < nr; i++) {
		bnp = pci_device_to_OF_node(bdevs[i]);
		if (!bnp || !bnp->phandle)
			return -ENODEV;
		npu[i] = bnp->phandle;
		peers[i] = bnp->phandle;

		snprintf(name, sizeof(name), "link@%u", i);
		link = emu_new_node(cs, emu, name, "ibm,npu-link", ++ph);
		if (!link)
			return -ENOMEM;
		ret = of_changeset_add_prop_u32(cs, link, "ibm,npu-link-index", i) ?:
		      of_changeset_add_prop_u32(cs, bnp, "ibm,gpu", gnp->phandle) ?:
		      of_changeset_add_prop_u32(cs, bnp, "memory-region", mem_ph) ?:
		      emu_add_u64(cs, bnp, "ibm,device-tgt-addr", &tgt64, 1) ?:
		      of_changeset_add_prop_u32(cs, bnp, "ibm,nvlink-speed", link_speed) ?:
		      of_changeset_add_prop_u32(cs, bnp, "ibm,nvlink", ph);
		if (ret)
			return ret;

		/* The ATSD list goes on the PHB, once. */
		phb = pci_bus_to_host(bdevs[i]->bus)->dn;
		if (!atsd || i >= atsd_links ||
		    of_property_present(phb, "ibm,mmio-atsd"))
			continue;
		for (j = 0; j < atsd_links; j++)
			atsds[j] = atsd + j * EMU_ATSD_SIZE;
		for (j = 0; j < i; j++)
			if (pci_bus_to_host(bdevs[j]->bus)->dn == phb)
				break;
		if (j < i)
			continue;
		ret = emu_add_u64(cs, phb, "ibm,mmio-atsd", atsds, atsd_links);
		if (ret)
			return ret;
	}

	return of_changeset_add_prop_u32_array(cs, gnp, "ibm,npu", npu, nr) ?:
	       of_changeset_add_prop_u32_array(cs, gnp, "ibm,nvlink-peers",
					       peers, ARRAY_SIZE(peers));
}

/*
 * /sys/kernel/debug/nvlink2-emu/corrupt-offset: a memory failure of the
 * page at an offset in the emulated GPU RAM, as a machine check of real
 * GPU RAM would report it (the rig has no way to make one). hwpoison's
 * corrupt-pfn wants struct pages, which GPU RAM has not.
 */
static struct dentry *emu_debugfs;

static int emu_corrupt_offset(void *data, u64 offset)
{
	if (!IS_ENABLED(CONFIG_MEMORY_FAILURE))
		return -EOPNOTSUPP;
	if (offset >= ram_size)
		return -EINVAL;
	return memory_failure(PHYS_PFN(ram_base + offset), MF_SW_SIMULATED);
}
DEFINE_DEBUGFS_ATTRIBUTE(emu_corrupt_offset_fops, NULL, emu_corrupt_offset,
			 "%llu\n");

/*
 * The series' platform hook, exported for its KUnit tests (so the module
 * needs a kernel with the series and CONFIG_KUNIT; symbol_get() takes GPL
 * exports only).
 */
void pnv_nvlink2_eeh_reset(struct eeh_pe *pe, int option);
MODULE_IMPORT_NS(EMU_KUNIT_NS);

static struct pci_dev *emu_gpu;

static int emu_eeh_reset(void *data, u64 start)
{
	struct eeh_dev *edev = pci_dev_to_eeh_dev(emu_gpu);

	if (!edev || !edev->pe)
		return -EOPNOTSUPP;
	pnv_nvlink2_eeh_reset(edev->pe, start ? EEH_RESET_HOT :
				      EEH_RESET_DEACTIVATE);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(emu_eeh_reset_fops, NULL, emu_eeh_reset, "%llu\n");

static int __init emu_init(void)
{
	struct pci_dev *gdev, *bdevs[EMU_MAX_BRIDGES] = {};
	char *list, *cur, *bdf;
	unsigned int nr = 0, i;
	int ret = -EINVAL;

	if (!gpu || !bridges || !ram_size || atsd_links > 8) {
		pr_err("nvlink2-emu: gpu=, bridges= and ram_size= are needed\n");
		return -EINVAL;
	}
	gdev = emu_get_pci(gpu);
	if (!gdev) {
		pr_err("nvlink2-emu: no PCI function %s\n", gpu);
		return -ENODEV;
	}

	list = kstrdup(bridges, GFP_KERNEL);
	cur = list;
	while (cur && (bdf = strsep(&cur, ",")) && nr < EMU_MAX_BRIDGES) {
		bdevs[nr] = emu_get_pci(bdf);
		if (!bdevs[nr]) {
			pr_err("nvlink2-emu: no PCI function %s\n", bdf);
			ret = -ENODEV;
			goto out;
		}
		nr++;
	}
	if (!nr)
		goto out;

	of_changeset_init(&emu_cs);
	ret = emu_build(&emu_cs, gdev, bdevs, nr);
	if (!ret)
		ret = of_changeset_apply(&emu_cs);
	for (i = 0; !ret && i < emu_nr_nodes; i++)
		if (emu_nodes[i].ph)
			emu_nodes[i].np->phandle = emu_nodes[i].ph;
	if (ret) {
		pr_err("nvlink2-emu: cannot build the device tree: %d\n", ret);
		of_changeset_destroy(&emu_cs);
		emu_put_nodes();
	} else {
		pr_info("nvlink2-emu: %s is an NVLink2 GPU with %u bridge(s), GPU RAM %#lx+%#lx\n",
			gpu, nr, ram_base, ram_size);
		emu_debugfs = debugfs_create_dir("nvlink2-emu", NULL);
		if (EMU_MEMORY_FAILURE)
			debugfs_create_file_unsafe("corrupt-offset", 0200,
						   emu_debugfs, NULL,
						   &emu_corrupt_offset_fops);
		emu_gpu = pci_dev_get(gdev);
		debugfs_create_file_unsafe("eeh-reset", 0200, emu_debugfs,
					   NULL, &emu_eeh_reset_fops);
	}
out:
	for (i = 0; i < nr; i++)
		pci_dev_put(bdevs[i]);
	pci_dev_put(gdev);
	kfree(list);
	return ret;
}

static void __exit emu_exit(void)
{
	debugfs_remove(emu_debugfs);
	pci_dev_put(emu_gpu);
	of_changeset_revert(&emu_cs);
	of_changeset_destroy(&emu_cs);
	emu_put_nodes();
}

module_init(emu_init);
module_exit(emu_exit);
MODULE_DESCRIPTION("Emulated NVLink2 platform for the QEMU powernv9 rig");
MODULE_LICENSE("GPL");
