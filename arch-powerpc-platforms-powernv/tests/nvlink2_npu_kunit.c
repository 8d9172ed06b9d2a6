// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the NVLink2 NPU PE, IOMMU group and LPAR binding code of
 * powernv, run against a model of skiboot's NPU2: the OPAL calls that
 * code makes go to the model instead (KUNIT_STATIC_STUB_REDIRECT), which
 * does what skiboot does, rule by rule, each with the file and function
 * of open-power/skiboot it comes from. The tests drive the kernel's own
 * code with fake PHBs, PEs and PCI functions, as far as it needs them,
 * and assert what must hold whatever the calls were: an owned PE is
 * never in bypass, a failure leaves DMA off, a GPU never stays bound to a
 * former guest's LPAR without the next user being refused.
 */

#include <linux/device.h>
#include <linux/notifier.h>
#include <linux/of.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <kunit/of.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <asm/eeh.h>
#include <asm/opal.h>
#include <asm/pci-bridge.h>
#include <asm/reg.h>

#include "../npu-nvlink.h"
#include "../pci.h"

/* ------------------------------------------------------------------ */
/* The model of skiboot's NPU2 */

#define NPU2_MAX_PE		8	/* include/npu2.h NPU2_MAX_PE_NUM */
#define NPU2_XTS_ENTRIES	16	/* include/npu2-regs.h NPU2_XTS_BDF_MAP_SIZE */
#define NPU2_TVE_DISABLED	PPC_BIT(51)

struct npu2_model {
	u64 opal_id;
	/*
	 * skiboot 5.10 and later ("npu2: Disable TVT range check when in
	 * bypass mode"): a TVE of 0 is bypass, PPC_BIT(51) disabled. Before,
	 * 0 was disabled and bypass a range.
	 */
	bool tve_5_10;
	/* skiboot 6.4 and later: OPAL_NPU_MAP_LPAR resets the context. */
	bool map_lpar_resets;
	u64 tve[NPU2_MAX_PE];
	/* The next call of each kind that must fail, and how. */
	int fail_map_window, fail_real, fail_map_lpar, fail_init, fail_destroy;
	struct {
		bool used;
		u16 bdf;
		u64 lpid;
		u64 msr;		/* of the context, 0: none */
		int ctx_ref;
	} xts[NPU2_XTS_ENTRIES];
	int tce_kills;
};

#define TVE_BYPASS_PRE_5_10	(PPC_BIT(51) | 1)

static bool model_bypass(struct npu2_model *m, int pe)
{
	return m->tve_5_10 ? m->tve[pe] == 0 : m->tve[pe] == TVE_BYPASS_PRE_5_10;
}

static bool model_dma_off(struct npu2_model *m, int pe)
{
	return m->tve_5_10 ? m->tve[pe] == NPU2_TVE_DISABLED : m->tve[pe] == 0;
}

static struct npu2_model *model(void)
{
	return kunit_get_current_test()->priv;
}

static int model_fail(int *counter)
{
	return *counter && !--*counter;
}

/*
 * hw/npu2.c npu2_map_pe_dma_window(): window id must be the PE; a size
 * of 0 writes TVE 0 ("zero TCE table size used to disable the TVE");
 * otherwise 1 to 4 levels and a power of two of at least 4 KiB, else
 * OPAL_PARAMETER.
 */
static s64 model_map_window(u64 phb_id, u16 pe, u16 levels, u64 table,
			    u64 size, u64 page_size)
{
	struct npu2_model *m = model();

	if (phb_id != m->opal_id || pe >= NPU2_MAX_PE)
		return OPAL_PARAMETER;
	if (model_fail(&m->fail_map_window))
		return OPAL_HARDWARE;
	if (!size) {
		m->tve[pe] = 0;
		return OPAL_SUCCESS;
	}
	if (levels < 1 || levels > 4 || !is_power_of_2(size) || size < SZ_4K)
		return OPAL_PARAMETER;
	m->tve[pe] = table | levels;
	return OPAL_SUCCESS;
}

/*
 * hw/npu2.c npu2_map_pe_dma_window_real(): from skiboot 5.10, a size
 * writes TVE 0, bypass of every address, and no size PPC_BIT(51),
 * disabled; before, a size set a bypass range and none wrote 0.
 */
static s64 model_map_window_real(u64 phb_id, u16 pe, u64 size)
{
	struct npu2_model *m = model();

	if (phb_id != m->opal_id || pe >= NPU2_MAX_PE)
		return OPAL_PARAMETER;
	if (model_fail(&m->fail_real))
		return OPAL_HARDWARE;
	if (m->tve_5_10)
		m->tve[pe] = size ? 0 : NPU2_TVE_DISABLED;
	else
		m->tve[pe] = size ? TVE_BYPASS_PRE_5_10 : 0;
	return OPAL_SUCCESS;
}

/* hw/npu2.c npu2_tce_kill(): a PE kill is a kill of all. */
static s64 model_tce_kill(u64 phb_id, u16 pe)
{
	model()->tce_kills++;
	return OPAL_SUCCESS;
}

static int model_xts(struct npu2_model *m, u16 bdf, bool alloc)
{
	int i;

	for (i = 0; i < NPU2_XTS_ENTRIES; i++)
		if (m->xts[i].used && m->xts[i].bdf == bdf)
			return i;
	if (!alloc)
		return -1;
	for (i = 0; i < NPU2_XTS_ENTRIES; i++) {
		if (!m->xts[i].used) {
			m->xts[i].used = true;
			m->xts[i].bdf = bdf;
			return i;
		}
	}
	return -1;
}

/*
 * hw/npu2.c npu2_map_lpar() (through hw/npu-opal.c): the entry of the
 * BDF, or a free one (none: OPAL_RESOURCE), gets the LPID; from skiboot
 * 6.4 the context of the entry is reset ("npu2: Reset PID wildcard and
 * refcounter when mapped to LPID").
 */
static s64 model_map_lpar(u64 phb_id, u64 bdf, u64 lpid)
{
	struct npu2_model *m = model();
	int id;

	if (phb_id != m->opal_id)
		return OPAL_PARAMETER;
	if (model_fail(&m->fail_map_lpar))
		return OPAL_HARDWARE;
	id = model_xts(m, bdf, true);
	if (id < 0)
		return OPAL_RESOURCE;
	m->xts[id].lpid = lpid;
	if (m->map_lpar_resets) {
		m->xts[id].msr = 0;
		m->xts[id].ctx_ref = 0;
	}
	return OPAL_SUCCESS;
}

/*
 * hw/npu2.c npu2_init_context(): MSR bits other than DR/HV/PR/SF are
 * OPAL_UNSUPPORTED; the BDF must be mapped to an LPAR (OPAL_PARAMETER);
 * a context with other MSR bits is OPAL_PARAMETER; else one more
 * reference (skiboot 6.3 and later), returning the context id.
 */
static s64 model_init_context(u64 phb_id, u64 msr, u64 bdf)
{
	struct npu2_model *m = model();
	int id;

	if (phb_id != m->opal_id)
		return OPAL_PARAMETER;
	if (msr & ~(MSR_DR | MSR_HV | MSR_PR | MSR_SF))
		return OPAL_UNSUPPORTED;
	if (model_fail(&m->fail_init))
		return OPAL_HARDWARE;
	id = model_xts(m, bdf, false);
	if (id < 0)
		return OPAL_PARAMETER;
	if (m->xts[id].ctx_ref && m->xts[id].msr != msr)
		return OPAL_PARAMETER;
	m->xts[id].msr = msr;
	m->xts[id].ctx_ref++;
	return id;
}

/*
 * hw/npu2.c npu2_destroy_context(): an unknown BDF, or no reference
 * left, is OPAL_PARAMETER; the last reference clears the context.
 */
static s64 model_destroy_context(u64 phb_id, u64 bdf)
{
	struct npu2_model *m = model();
	int id;

	if (phb_id != m->opal_id)
		return OPAL_PARAMETER;
	if (model_fail(&m->fail_destroy))
		return OPAL_HARDWARE;
	id = model_xts(m, bdf, false);
	if (id < 0 || !m->xts[id].ctx_ref)
		return OPAL_PARAMETER;
	if (!--m->xts[id].ctx_ref)
		m->xts[id].msr = 0;
	return OPAL_SUCCESS;
}

/* The LPAR @bdf translates for, -1 if it has no context. */
static s64 model_lpar_of(struct npu2_model *m, u16 bdf)
{
	int id = model_xts(m, bdf, false);

	return id < 0 || !m->xts[id].ctx_ref ? -1 : m->xts[id].lpid;
}

static struct npu2_model *model_init(struct kunit *test, bool tve_5_10,
				     bool map_lpar_resets)
{
	struct npu2_model *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	int pe;

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->opal_id = 0x42;
	m->tve_5_10 = tve_5_10;
	m->map_lpar_resets = map_lpar_resets;
	/* hw/npu2.c npu2_init_ioda_cache(): every TVE 0 at boot */
	for (pe = 0; pe < NPU2_MAX_PE; pe++)
		m->tve[pe] = 0;
	test->priv = m;

	kunit_activate_static_stub(test, pnv_npu_opal_map_window,
				   model_map_window);
	kunit_activate_static_stub(test, pnv_npu_opal_map_window_real,
				   model_map_window_real);
	kunit_activate_static_stub(test, pnv_npu_opal_tce_kill, model_tce_kill);
	kunit_activate_static_stub(test, pnv_npu_opal_map_lpar, model_map_lpar);
	kunit_activate_static_stub(test, pnv_npu_opal_init_context,
				   model_init_context);
	kunit_activate_static_stub(test, pnv_npu_opal_destroy_context,
				   model_destroy_context);
	return m;
}

/* ------------------------------------------------------------------ */
/* Fake PHB, PE, bridge and TCE tables */

#define GPU_BDF		0x0100	/* 0004:01:00.0, as skiboot sees it */

#define NPE		1	/* the PE number of the bridges of GPU0 */

/* Two bridges of GPU0 on the NPU PHB's root bus, and their pci_dn. */
struct fake_npu {
	struct pci_controller hose;
	struct pnv_phb phb;
	struct pnv_ioda_pe npe;
	struct pci_bus bus;
	struct pci_dev bridge, bridge1;
	struct pci_dn bridge_pdn, bridge1_pdn;
	struct device_node *bridge_np, *bridge1_np;
	struct pci_dn gpu_pdn;
	struct device_node *gpu;
};

static void fake_npu_exit(void *data)
{
	struct fake_npu *f = data;

	f->gpu->data = NULL;
	f->bridge_np->data = NULL;
	f->bridge1_np->data = NULL;
	of_node_put(f->npe.npu_gpu);
	put_device(&f->bridge.dev);
	put_device(&f->bridge1.dev);
}

static void fake_bridge_release(struct device *dev)
{
}

static struct device_node *redbud_node(struct kunit *test, const char *name)
{
	struct device_node *np;
	char path[64];

	snprintf(path, sizeof(path), "/kunit-nvlink2-redbud/%s", name);
	np = of_find_node_by_path(path);
	KUNIT_ASSERT_NOT_NULL(test, np);
	of_node_put_kunit(test, np);
	return np;
}

static void fake_bridge(struct fake_npu *f, struct pci_dev *pdev,
			struct device_node *np, struct pci_dn *pdn,
			unsigned int devfn, const char *name)
{
	device_initialize(&pdev->dev);
	pdev->dev.release = fake_bridge_release;
	pdev->dev.of_node = np;
	dev_set_name(&pdev->dev, "%s", name);
	pdev->bus = &f->bus;
	pdev->devfn = devfn;
	pdn->devfn = devfn;
	pdn->pe_number = NPE;
	np->data = pdn;
	list_add_tail(&pdev->bus_list, &f->bus.devices);
	f->phb.ioda.pe_rmap[pci_dev_id(pdev)] = NPE;
}

/*
 * An NPU PHB with one PE, the PE of bridges 0 and 1 of GPU0 of the Redbud
 * overlay, as pnv_npu_dma_dev_setup() leaves it for the host: DMA in
 * bypass, the GPU bound to LPAR 0 with the host's context.
 */
static struct fake_npu *fake_npu(struct kunit *test, struct npu2_model *m)
{
	struct fake_npu *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_ASSERT_EQ(test, 0, of_overlay_apply_kunit(test, nvlink2_redbud));
	f->bridge_np = redbud_node(test, "bridge0-0");
	f->bridge1_np = redbud_node(test, "bridge0-1");
	f->gpu = redbud_node(test, "gpu0");
	/* The GPU's requester id, from its pci_dn as on a real tree. */
	f->gpu_pdn.busno = GPU_BDF >> 8;
	f->gpu_pdn.devfn = GPU_BDF & 0xff;
	f->gpu->data = &f->gpu_pdn;

	f->hose.private_data = &f->phb;
	f->hose.node = NUMA_NO_NODE;
	f->phb.hose = &f->hose;
	f->phb.type = PNV_PHB_NPU_NVLINK;
	f->phb.opal_id = m->opal_id;
	f->phb.ioda.total_pe_num = NPU2_MAX_PE;
	f->phb.ioda.pe_array = &f->npe - NPE;
	f->bus.sysdata = &f->hose;
	INIT_LIST_HEAD(&f->bus.devices);
	fake_bridge(f, &f->bridge, f->bridge_np, &f->bridge_pdn, 0,
		    "0007:00:00.0");
	fake_bridge(f, &f->bridge1, f->bridge1_np, &f->bridge1_pdn, 1,
		    "0007:00:00.1");
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, fake_npu_exit, f));

	f->npe.phb = &f->phb;
	f->npe.pe_number = NPE;
	f->npe.flags = PNV_IODA_PE_DEV;
	f->npe.pdev = &f->bridge;
	f->npe.rid = pci_dev_id(&f->bridge);
	f->npe.device_count = 2;

	/* As pnv_npu_dma_dev_setup() does for the GPU's first bridge */
	KUNIT_ASSERT_EQ(test, 0, pnv_npu_pe_init(&f->npe));
	pnv_npu_host_setup(&f->npe);
	KUNIT_ASSERT_TRUE(test, model_bypass(m, NPE));
	KUNIT_ASSERT_EQ(test, 0, model_lpar_of(m, GPU_BDF));
	return f;
}

static void fake_table_free(struct iommu_table *tbl)
{
	kfree((void *)tbl->it_base);
}

static struct iommu_table_ops fake_table_ops = {
	.free = fake_table_free,
};

/* A TCE table of @levels levels, freed with its last reference. */
static struct iommu_table *fake_table(struct kunit *test, int levels)
{
	struct iommu_table *tbl = kzalloc_obj(*tbl);

	KUNIT_ASSERT_NOT_NULL(test, tbl);
	tbl->it_base = (unsigned long)kzalloc(PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NE(test, 0, tbl->it_base);
	tbl->it_indirect_levels = levels - 1;
	tbl->it_level_size = PAGE_SIZE / sizeof(u64);
	tbl->it_size = PAGE_SIZE / sizeof(u64);
	tbl->it_page_shift = 16;
	tbl->it_ops = &fake_table_ops;
	INIT_LIST_HEAD(&tbl->it_group_list);
	kref_init(&tbl->it_kref);
	return tbl;
}

static struct iommu_table_group *npe_tg(struct fake_npu *f)
{
	return &f->npe.table_group;
}

/* VFIO takes the bridge's group, or gives it back to the host. */
static long take(struct fake_npu *f)
{
	return pnv_npu_pe_ops.take_ownership(npe_tg(f), &f->bridge.dev);
}

static void give(struct fake_npu *f)
{
	pnv_npu_pe_ops.release_ownership(npe_tg(f), &f->bridge.dev);
}

/* VFIO takes the group: the host's bypass and context go. */
static void own(struct kunit *test, struct npu2_model *m, struct fake_npu *f)
{
	KUNIT_ASSERT_EQ(test, 0, take(f));
	KUNIT_ASSERT_TRUE(test, model_dma_off(m, 1));
	KUNIT_ASSERT_EQ(test, -1, model_lpar_of(m, GPU_BDF));
}

/* ------------------------------------------------------------------ */
/* DMA windows of an NPU PE */

/*
 * Removing a window turns DMA off with the encoding skiboot honours: a
 * window of size 0, which the removed v5.x code and the first version of
 * this one used, is bypass of all addresses since skiboot 5.10.
 */
static void unset_window_turns_dma_off(struct kunit *test, bool tve_5_10)
{
	struct npu2_model *m = model_init(test, tve_5_10, true);
	struct fake_npu *f = fake_npu(test, m);
	struct iommu_table *tbl = fake_table(test, 2);

	own(test, m, f);
	KUNIT_ASSERT_EQ(test, 0, pnv_npu_pe_ops.set_window(npe_tg(f), 0, tbl));
	KUNIT_EXPECT_EQ(test, __pa(tbl->it_base) | 2, m->tve[1]);
	KUNIT_EXPECT_FALSE(test, model_bypass(m, 1));

	KUNIT_EXPECT_EQ(test, 0, pnv_npu_pe_ops.unset_window(npe_tg(f), 0));
	KUNIT_EXPECT_TRUE(test, model_dma_off(m, 1));
	KUNIT_EXPECT_FALSE(test, model_bypass(m, 1));
	KUNIT_EXPECT_NULL(test, npe_tg(f)->tables[0]);
	iommu_tce_table_put(tbl);
}

static void unset_window_dma_off(struct kunit *test)
{
	unset_window_turns_dma_off(test, true);
}

static void unset_window_dma_off_pre_5_10(struct kunit *test)
{
	unset_window_turns_dma_off(test, false);
}

/*
 * The NPU PE has one TVE: setting window 1 replaces window 0, with DMA
 * off in between; a failure of the new window leaves DMA off, not in
 * bypass, and no table linked.
 */
static void set_window_failure_leaves_dma_off(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);
	struct iommu_table *tbl0 = fake_table(test, 1), *tbl1 = fake_table(test, 1);

	own(test, m, f);
	KUNIT_ASSERT_EQ(test, 0, pnv_npu_pe_ops.set_window(npe_tg(f), 0, tbl0));
	m->fail_map_window = 1;
	KUNIT_EXPECT_NE(test, 0, pnv_npu_pe_ops.set_window(npe_tg(f), 1, tbl1));
	KUNIT_EXPECT_TRUE(test, model_dma_off(m, 1));
	KUNIT_EXPECT_NULL(test, npe_tg(f)->tables[0]);
	KUNIT_EXPECT_NULL(test, npe_tg(f)->tables[1]);
	iommu_tce_table_put(tbl0);
	iommu_tce_table_put(tbl1);
}

/* A failure to turn DMA off keeps the table linked: the TVE may use it. */
static void unset_window_failure_keeps_table(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);
	struct iommu_table *tbl = fake_table(test, 1);

	own(test, m, f);
	KUNIT_ASSERT_EQ(test, 0, pnv_npu_pe_ops.set_window(npe_tg(f), 0, tbl));
	m->fail_real = 1;
	KUNIT_EXPECT_NE(test, 0, pnv_npu_pe_ops.unset_window(npe_tg(f), 0));
	KUNIT_EXPECT_PTR_EQ(test, tbl, npe_tg(f)->tables[0]);
	KUNIT_EXPECT_EQ(test, 0, pnv_npu_pe_ops.unset_window(npe_tg(f), 0));
	KUNIT_EXPECT_TRUE(test, model_dma_off(m, 1));
	iommu_tce_table_put(tbl);
}

/* skiboot's NPU2 takes 4 levels at most: 5 is refused, DMA stays off. */
static void npu_refuses_5_levels(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);
	struct iommu_table *tbl = fake_table(test, 5);

	own(test, m, f);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			pnv_npu_pe_ops.set_window(npe_tg(f), 0, tbl));
	KUNIT_EXPECT_TRUE(test, model_dma_off(m, 1));
	iommu_tce_table_put(tbl);
}

/* ------------------------------------------------------------------ */
/* Ownership */

/* Taken by VFIO, given back to the host: bypass and context come back. */
static void ownership_round_trip(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);
	struct iommu_table *tbl = fake_table(test, 1);
	int id = model_xts(m, GPU_BDF, false);

	own(test, m, f);
	KUNIT_ASSERT_EQ(test, 0, pnv_npu_pe_ops.set_window(npe_tg(f), 0, tbl));
	/* VFIO gives the group back with its window still set. */
	give(f);
	KUNIT_EXPECT_TRUE(test, model_bypass(m, 1));
	KUNIT_EXPECT_NULL(test, npe_tg(f)->tables[0]);
	KUNIT_EXPECT_EQ(test, 0, model_lpar_of(m, GPU_BDF));
	KUNIT_EXPECT_EQ(test, MSR_DR | MSR_PR | MSR_HV, m->xts[id].msr);
	KUNIT_EXPECT_EQ(test, 1, m->xts[id].ctx_ref);
	iommu_tce_table_put(tbl);
}

/*
 * If the GPU cannot leave the host's LPAR, VFIO does not get the PE, whose
 * DMA stays off (the host's context is gone already), and the next try
 * takes the GPU out: a PE VFIO failed to get is not one it may get with
 * the host's context.
 */
static void take_ownership_failure_fails_closed(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);

	m->fail_map_lpar = 1;
	KUNIT_EXPECT_NE(test, 0, take(f));
	KUNIT_EXPECT_TRUE(test, model_dma_off(m, NPE));
	KUNIT_EXPECT_FALSE(test, f->npe.npu_owned);

	own(test, m, f);
	KUNIT_EXPECT_TRUE(test, f->npe.npu_owned);
}

/*
 * A PE whose bypass firmware refuses at setup has DMA off, and the GPU
 * is not bound to the host: VFIO, which finds it so, must not get a GPU
 * that still has the host's context.
 */
static void host_setup_failure_binds_nothing(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);

	take(f);
	give(f);
	KUNIT_ASSERT_EQ(test, 0, model_lpar_of(m, GPU_BDF));

	/* The host gets the PE back, and firmware refuses bypass. */
	own(test, m, f);
	m->fail_real = 2;
	give(f);
	KUNIT_EXPECT_TRUE(test, model_dma_off(m, NPE));
	KUNIT_EXPECT_EQ(test, -1, model_lpar_of(m, GPU_BDF));

	/*
	 * Whatever the PE's DMA, VFIO takes the GPU out of the host's LPAR:
	 * bound as the removed v5.x code bound it even without bypass.
	 */
	KUNIT_ASSERT_EQ(test, 0, pnv_nvlink2_owner_host(f->gpu, m->opal_id,
							GPU_BDF, true));
	own(test, m, f);
}

/* If DMA cannot be turned off, VFIO does not get the PE either. */
static void take_ownership_dma_off_failure(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);

	m->fail_real = 1;
	KUNIT_EXPECT_NE(test, 0, take(f));
	KUNIT_EXPECT_EQ(test, 0, model_lpar_of(m, GPU_BDF));
}

/* A PE that goes away leaves DMA off (skiboot cannot unmap it). */
static void release_pe_dma_off(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);
	struct iommu_table *tbl = fake_table(test, 1);

	own(test, m, f);
	KUNIT_ASSERT_EQ(test, 0, pnv_npu_pe_ops.set_window(npe_tg(f), 0, tbl));
	pnv_npu_release_pe(&f->npe);
	KUNIT_EXPECT_TRUE(test, model_dma_off(m, 1));
	KUNIT_EXPECT_NULL(test, npe_tg(f)->tables[0]);
	iommu_tce_table_put(tbl);
}

/*
 * The PE holds none of its bridges, whose release is what releases it: a
 * reference would keep the PE, in whatever DMA state, forever. When its
 * first bridge goes before the others, the PE keeps no pointer to it, and
 * the last one is released with the PE.
 */
static void first_bridge_goes_first(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);
	u16 rid0 = pci_dev_id(&f->bridge), rid1 = pci_dev_id(&f->bridge1);

	KUNIT_EXPECT_EQ(test, 1, kref_read(&f->bridge.dev.kobj.kref));
	KUNIT_EXPECT_PTR_EQ(test, f->gpu, f->npe.npu_gpu);

	/* Bridge 0 is removed from the bus, then released. */
	list_del(&f->bridge.bus_list);
	pnv_npu_release_bridge(&f->bridge);
	KUNIT_EXPECT_NULL(test, f->npe.pdev);
	KUNIT_EXPECT_EQ(test, IODA_INVALID_PE, f->phb.ioda.pe_rmap[rid0]);
	f->npe.device_count--;

	/* The GPU is still known by its node, not by a bridge. */
	KUNIT_EXPECT_PTR_EQ(test, f->gpu, f->npe.npu_gpu);
	own(test, m, f);

	/* Bridge 1, the last, is released with the PE. */
	list_del(&f->bridge1.bus_list);
	pnv_npu_release_bridge(&f->bridge1);
	KUNIT_EXPECT_PTR_EQ(test, &f->bridge1, f->npe.pdev);
	KUNIT_EXPECT_EQ(test, rid1, f->npe.rid);
	pnv_npu_release_pe(&f->npe);
	KUNIT_EXPECT_TRUE(test, model_dma_off(m, NPE));
	KUNIT_EXPECT_NULL(test, f->npe.npu_gpu);
}

/*
 * A kexec shuts the NPU PHB down with the DMA of every PE off, not with
 * the IODA reset of the other PHBs, which is bypass of every address on
 * the NPU2 (hw/npu2.c npu2_ioda_reset() writes TVE 0).
 */
static void shutdown_leaves_dma_off(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);
	int pe;

	own(test, m, f);
	give(f);
	KUNIT_ASSERT_TRUE(test, model_bypass(m, NPE));
	pnv_npu_shutdown(&f->hose);
	for (pe = 0; pe < NPU2_MAX_PE; pe++)
		KUNIT_EXPECT_TRUE_MSG(test, model_dma_off(m, pe), "PE#%d", pe);
}

/* ------------------------------------------------------------------ */
/* The compound group of a GPU PE and an NPU PE */

struct fake_gpu_pe {
	struct pnv_ioda_pe pe;
	int sets, unsets, fail_set;
	u32 created_levels;
};

static struct fake_gpu_pe *to_fake_gpu(struct iommu_table_group *tg)
{
	return container_of(tg, struct fake_gpu_pe, pe.table_group);
}

static long fake_gpu_create_table(struct iommu_table_group *tg, int num,
				  __u32 page_shift, __u64 window_size,
				  __u32 levels, struct iommu_table **ptbl)
{
	struct kunit *test = kunit_get_current_test();

	to_fake_gpu(tg)->created_levels = levels;
	*ptbl = fake_table(test, levels);
	return 0;
}

static long fake_gpu_set_window(struct iommu_table_group *tg, int num,
				struct iommu_table *tbl)
{
	struct fake_gpu_pe *g = to_fake_gpu(tg);

	if (g->fail_set)
		return -EIO;
	g->sets++;
	return 0;
}

static long fake_gpu_unset_window(struct iommu_table_group *tg, int num)
{
	to_fake_gpu(tg)->unsets++;
	return 0;
}

static struct iommu_table_group_ops fake_gpu_ops = {
	.create_table = fake_gpu_create_table,
	.set_window = fake_gpu_set_window,
	.unset_window = fake_gpu_unset_window,
};

/* The group as pnv_nvlink2_join_group() builds it: GPU PE first. */
static struct nvlink2_group *fake_group(struct kunit *test,
					struct fake_npu *f,
					struct fake_gpu_pe **gpu)
{
	struct nvlink2_group *grp = kunit_kzalloc(test, sizeof(*grp), GFP_KERNEL);
	struct fake_gpu_pe *g = kunit_kzalloc(test, sizeof(*g), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, grp);
	KUNIT_ASSERT_NOT_NULL(test, g);
	g->pe.phb = kunit_kzalloc(test, sizeof(*g->pe.phb), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, g->pe.phb);
	g->pe.phb->type = PNV_PHB_IODA2;
	g->pe.table_group.ops = &fake_gpu_ops;
	/* A PHB4 takes 5 levels, the NPU2 4: the group offers 4. */
	g->pe.table_group.max_levels = 5;
	grp->table_group.ops = &pnv_nvlink2_group_ops;
	grp->table_group.max_levels = 4;
	grp->pes[grp->nr_pes++] = &g->pe;
	grp->pes[grp->nr_pes++] = &f->npe;
	*gpu = g;
	return grp;
}

/* A window of 5 levels is refused before anything is created or set. */
static void group_refuses_5_levels(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);
	struct fake_gpu_pe *g;
	struct nvlink2_group *grp = fake_group(test, f, &g);
	struct iommu_table *tbl = NULL;

	own(test, m, f);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			grp->table_group.ops->create_table(&grp->table_group, 0,
							   16, SZ_1G, 5, &tbl));
	KUNIT_EXPECT_NULL(test, tbl);
	KUNIT_EXPECT_EQ(test, 0, g->created_levels);
	KUNIT_ASSERT_EQ(test, 0,
			grp->table_group.ops->create_table(&grp->table_group, 0,
							   16, SZ_1G, 4, &tbl));
	KUNIT_EXPECT_EQ(test, 4, g->created_levels);
	KUNIT_EXPECT_TRUE(test, model_dma_off(m, 1));
	iommu_tce_table_put(tbl);
}

/*
 * A member that fails to take the window has the others undo it, and
 * the NPU PE ends with DMA off; the group has no table.
 */
static void group_set_window_unwinds(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);
	struct fake_gpu_pe *g;
	struct nvlink2_group *grp = fake_group(test, f, &g);
	struct iommu_table *tbl = fake_table(test, 1);

	own(test, m, f);
	m->fail_map_window = 1;
	KUNIT_EXPECT_NE(test, 0,
			grp->table_group.ops->set_window(&grp->table_group, 0,
							 tbl));
	KUNIT_EXPECT_EQ(test, 1, g->sets);
	KUNIT_EXPECT_EQ(test, 1, g->unsets);
	KUNIT_EXPECT_TRUE(test, model_dma_off(m, 1));
	KUNIT_EXPECT_NULL(test, grp->table_group.tables[0]);
	iommu_tce_table_put(tbl);
}

/*
 * If a member cannot drop the window, the group keeps its reference to
 * the table, which that member may still use.
 */
static void group_unset_window_failure_keeps_table(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);
	struct fake_gpu_pe *g;
	struct nvlink2_group *grp = fake_group(test, f, &g);
	struct iommu_table *tbl = fake_table(test, 1);

	own(test, m, f);
	KUNIT_ASSERT_EQ(test, 0,
			grp->table_group.ops->set_window(&grp->table_group, 0,
							 tbl));
	m->fail_real = 1;
	KUNIT_EXPECT_NE(test, 0,
			grp->table_group.ops->unset_window(&grp->table_group, 0));
	KUNIT_EXPECT_PTR_EQ(test, tbl, grp->table_group.tables[0]);
	KUNIT_EXPECT_EQ(test, 0,
			grp->table_group.ops->unset_window(&grp->table_group, 0));
	KUNIT_EXPECT_NULL(test, grp->table_group.tables[0]);
	KUNIT_EXPECT_TRUE(test, model_dma_off(m, 1));
	iommu_tce_table_put(tbl);
}

/* ------------------------------------------------------------------ */
/* Disabling a bridge */

/*
 * The config space skiboot emulates for two bridges of an NPU PHB: a PCIe
 * capability at 0x40 (hw/npu2.c npu2_populate_cfg()), whose DEVCTL keeps
 * what is written, and a 16-bit write of it with the FLR bit resets that
 * bridge's link alone (npu2_dev_cfg_exp_devcap() calls
 * npu2_dev_procedure_reset() for the brick).
 */
#define BRIDGE_PCIE_CAP		0x40

struct fake_npu_cfg {
	struct pci_bus bus;
	struct pci_dev bridges[2];
	u16 devctl[2];
	int link_resets[2];
};

static struct fake_npu_cfg *fake_cfg;

static int fake_cfg_read(struct pci_bus *bus, unsigned int devfn, int where,
			 int size, u32 *val)
{
	if (devfn > 1 || where != BRIDGE_PCIE_CAP + PCI_EXP_DEVCTL || size != 2) {
		*val = 0;
		return PCIBIOS_SUCCESSFUL;
	}
	*val = fake_cfg->devctl[devfn];
	return PCIBIOS_SUCCESSFUL;
}

static int fake_cfg_write(struct pci_bus *bus, unsigned int devfn, int where,
			  int size, u32 val)
{
	if (devfn > 1 || where != BRIDGE_PCIE_CAP + PCI_EXP_DEVCTL)
		return PCIBIOS_SUCCESSFUL;
	/* Other sizes are OPAL_PARAMETER: the write is dropped. */
	if (size != 2)
		return PCIBIOS_SET_FAILED;
	if (val & PCI_EXP_DEVCTL_BCR_FLR)
		fake_cfg->link_resets[devfn]++;
	fake_cfg->devctl[devfn] = val;
	return PCIBIOS_SUCCESSFUL;
}

static struct pci_ops fake_cfg_ops = {
	.read = fake_cfg_read,
	.write = fake_cfg_write,
};

/*
 * Disabling a bridge resets its link, not the other links of the NPU (a
 * hot reset of the NPU PHB, npu2_hreset(), resets them all), and leaves
 * the FLR bit clear, so that a later read-modify-write of DEVCTL does not
 * reset the link again.
 */
static void disable_resets_one_link(struct kunit *test)
{
	struct fake_npu_cfg *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	fake_cfg = c;
	c->bus.ops = &fake_cfg_ops;
	for (i = 0; i < 2; i++) {
		c->bridges[i].bus = &c->bus;
		c->bridges[i].devfn = i;
		c->bridges[i].pcie_cap = BRIDGE_PCIE_CAP;
		c->bridges[i].pcie_flags_reg = PCI_EXP_TYPE_ENDPOINT << 4;
		c->bridges[i].dev.init_name = i ? "0007:00:00.1" : "0007:00:00.0";
	}

	pnv_npu_disable_device(&c->bridges[0]);
	KUNIT_EXPECT_EQ(test, 1, c->link_resets[0]);
	KUNIT_EXPECT_EQ(test, 0, c->link_resets[1]);
	KUNIT_EXPECT_EQ(test, 0, c->devctl[0] & PCI_EXP_DEVCTL_BCR_FLR);

	KUNIT_ASSERT_EQ(test, 0, pcie_capability_set_word(&c->bridges[0],
							  PCI_EXP_DEVCTL,
							  PCI_EXP_DEVCTL_RELAX_EN));
	KUNIT_EXPECT_EQ(test, 1, c->link_resets[0]);
	fake_cfg = NULL;
}

/* ------------------------------------------------------------------ */
/* Binding to a guest's LPAR */

#define GUEST_LPID	5

static int bind_guest(struct npu2_model *m, struct fake_npu *f, u64 lpid)
{
	return pnv_nvlink2_owner_bind_guest(f->gpu, m->opal_id, GPU_BDF, lpid);
}

static int unbind_guest(struct npu2_model *m, struct fake_npu *f)
{
	return pnv_nvlink2_owner_unbind_guest(f->gpu, m->opal_id, GPU_BDF);
}

/*
 * A guest binding that firmware refuses to undo keeps the GPU from
 * anybody else, and is tried again at every claim until it goes.
 */
static void failed_unbind_refuses_claim(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);

	own(test, m, f);
	KUNIT_ASSERT_EQ(test, 0, bind_guest(m, f, GUEST_LPID));
	KUNIT_EXPECT_EQ(test, GUEST_LPID, model_lpar_of(m, GPU_BDF));

	m->fail_map_lpar = 1;
	KUNIT_EXPECT_NE(test, 0, unbind_guest(m, f));
	KUNIT_EXPECT_EQ(test, GUEST_LPID, m->xts[model_xts(m, GPU_BDF, false)].lpid);

	m->fail_map_lpar = 1;
	KUNIT_EXPECT_EQ(test, -EBUSY, pnv_nvlink2_owner_claim(f->gpu, m->opal_id,
							      GPU_BDF, NULL));
	KUNIT_EXPECT_EQ(test, 0, pnv_nvlink2_owner_claim(f->gpu, m->opal_id,
							 GPU_BDF, NULL));
	KUNIT_EXPECT_EQ(test, 0, m->xts[model_xts(m, GPU_BDF, false)].lpid);
	KUNIT_EXPECT_EQ(test, -1, model_lpar_of(m, GPU_BDF));
	/* Claimed once, nothing is left to remember. */
	KUNIT_EXPECT_EQ(test, 0, pnv_nvlink2_owner_claim(f->gpu, m->opal_id,
							 GPU_BDF, NULL));
}

/*
 * A GPU claimed by VFIO keeps the host's binding: the NPU PE drops it as
 * VFIO takes the group, whose taking may still fail after the claim.
 */
static void claim_leaves_host_binding(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);

	KUNIT_EXPECT_EQ(test, 0, pnv_nvlink2_owner_claim(f->gpu, m->opal_id,
							 GPU_BDF, NULL));
	KUNIT_EXPECT_EQ(test, 0, model_lpar_of(m, GPU_BDF));
	own(test, m, f);
}

/*
 * A guest binding that firmware refused to undo survives the host taking
 * the GPU back, when firmware refuses that too: the next user is refused
 * until the guest's binding is undone (skiboot 6.3, whose MAP_LPAR does
 * not reset the context).
 */
static void failed_unbind_survives_host_bind(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, false);
	struct fake_npu *f = fake_npu(test, m);

	own(test, m, f);
	KUNIT_ASSERT_EQ(test, 0, bind_guest(m, f, GUEST_LPID));
	m->fail_map_lpar = 1;
	KUNIT_EXPECT_NE(test, 0, unbind_guest(m, f));
	m->fail_map_lpar = 1;
	give(f);
	KUNIT_EXPECT_EQ(test, GUEST_LPID,
			m->xts[model_xts(m, GPU_BDF, false)].lpid);
	m->fail_map_lpar = 1;
	KUNIT_EXPECT_EQ(test, -EBUSY, pnv_nvlink2_owner_claim(f->gpu, m->opal_id,
							      GPU_BDF, NULL));
	KUNIT_EXPECT_EQ(test, 0, pnv_nvlink2_owner_claim(f->gpu, m->opal_id,
							 GPU_BDF, NULL));
	KUNIT_EXPECT_EQ(test, -1, model_lpar_of(m, GPU_BDF));
}

/*
 * A context that firmware cannot set up for the guest leaves the GPU in
 * no LPAR, not the guest's.
 */
static void failed_bind_leaves_no_lpar(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);

	own(test, m, f);
	m->fail_init = 1;
	KUNIT_EXPECT_NE(test, 0, bind_guest(m, f, GUEST_LPID));
	KUNIT_EXPECT_EQ(test, 0, m->xts[model_xts(m, GPU_BDF, false)].lpid);
	KUNIT_EXPECT_EQ(test, -1, model_lpar_of(m, GPU_BDF));
	KUNIT_EXPECT_EQ(test, 0, pnv_nvlink2_owner_claim(f->gpu, m->opal_id,
							 GPU_BDF, NULL));
}

/*
 * Guest after guest: each binding and unbinding leaves one reference at
 * most, with skiboot 6.3's refcount and without 6.4's reset too.
 */
static void guests_in_turn_balance_contexts(struct kunit *test, bool resets)
{
	struct npu2_model *m = model_init(test, true, resets);
	struct fake_npu *f = fake_npu(test, m);
	int id = model_xts(m, GPU_BDF, false), i;

	own(test, m, f);
	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_EQ(test, 0, bind_guest(m, f, GUEST_LPID + i));
		KUNIT_EXPECT_EQ(test, 1, m->xts[id].ctx_ref);
		KUNIT_EXPECT_EQ(test, GUEST_LPID + i, model_lpar_of(m, GPU_BDF));
		KUNIT_ASSERT_EQ(test, 0, unbind_guest(m, f));
		KUNIT_EXPECT_EQ(test, 0, m->xts[id].ctx_ref);
	}
	give(f);
	KUNIT_EXPECT_EQ(test, 1, m->xts[id].ctx_ref);
	KUNIT_EXPECT_EQ(test, 0, model_lpar_of(m, GPU_BDF));
}

static void guests_in_turn_6_4(struct kunit *test)
{
	guests_in_turn_balance_contexts(test, true);
}

static void guests_in_turn_6_3(struct kunit *test)
{
	guests_in_turn_balance_contexts(test, false);
}

/*
 * A kernel before a kexec set the host's context up too, and skiboot 6.3
 * keeps it across MAP_LPAR: taking the GPU from the host must leave it no
 * context at all, or a VFIO user would have the host's translations.
 */
static void take_ownership_drains_contexts(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, false);
	struct fake_npu *f = fake_npu(test, m);

	KUNIT_ASSERT_LE(test, 0, model_init_context(m->opal_id,
						    MSR_DR | MSR_PR | MSR_HV,
						    GPU_BDF));
	own(test, m, f);
}

/*
 * A context firmware fails to drop: VFIO does not get the PE, whose DMA
 * stays off, and gets it once the context goes.
 */
static void destroy_failure_refuses_ownership(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, false);
	struct fake_npu *f = fake_npu(test, m);

	m->fail_destroy = 1;
	KUNIT_EXPECT_NE(test, 0, take(f));
	KUNIT_EXPECT_TRUE(test, model_dma_off(m, NPE));
	KUNIT_EXPECT_EQ(test, 0, model_lpar_of(m, GPU_BDF));
	own(test, m, f);
}

/*
 * skiboot before 6.3 has no context refcount: DESTROY_CONTEXT succeeds for
 * a known BDF and keeps the context (hw/npu2.c, before "npu2: Add
 * XTS_BDF_MAP wildcard refcount"). No unbinding completes: VFIO never
 * gets the PE, rather than a GPU with the host's context.
 */
static s64 model_destroy_context_pre_6_3(u64 phb_id, u64 bdf)
{
	struct npu2_model *m = model();

	if (phb_id != m->opal_id || model_xts(m, bdf, false) < 0)
		return OPAL_PARAMETER;
	return OPAL_SUCCESS;
}

static void pre_6_3_refuses_ownership(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, false);
	struct fake_npu *f = fake_npu(test, m);

	kunit_activate_static_stub(test, pnv_npu_opal_destroy_context,
				   model_destroy_context_pre_6_3);
	KUNIT_EXPECT_EQ(test, -EBUSY, take(f));
	KUNIT_EXPECT_TRUE(test, model_dma_off(m, NPE));
	KUNIT_EXPECT_FALSE(test, f->npe.npu_owned);
}

/* ------------------------------------------------------------------ */
/* NVLink isolation */

/*
 * A GPU whose links to GPUs outside its IOMMU group may be up (an EEH
 * reset left them so until its PE thaws, or a cut failed) is nobody's
 * until they are cut.
 */
static void links_up_refuses_claim(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);

	pnv_nvlink2_owner_links_up(f->gpu, -EAGAIN);
	KUNIT_EXPECT_TRUE(test, pnv_nvlink2_owner_links_are_up(f->gpu));
	KUNIT_EXPECT_EQ(test, -EIO, pnv_nvlink2_owner_claim(f->gpu, m->opal_id,
							    GPU_BDF, NULL));
	pnv_nvlink2_owner_links_up(f->gpu, 0);
	KUNIT_EXPECT_FALSE(test, pnv_nvlink2_owner_links_are_up(f->gpu));
	KUNIT_EXPECT_EQ(test, 0, pnv_nvlink2_owner_claim(f->gpu, m->opal_id,
							 GPU_BDF, NULL));
}

/*
 * EEH resets. The tests go through powernv's EEH operations, with a PHB
 * whose freeze and thaw of the GPU's PE are recorded, and a cut of the
 * GPU's links that, like pnv_nvlink2_v100_cut_links() on a V100, fails
 * while the PE's MMIO is frozen (MMIO reads all ones).
 */
#define GPU_PE		3

struct fake_eeh {
	struct pci_controller hose;
	struct pnv_phb phb;
	struct eeh_pe pe;
	struct eeh_dev edev;
	struct pci_dev gpu;
	bool mmio_frozen, dma_frozen;
	int cuts, fail_cut;
	u32 mask;
	bool was_isolated;
};

static struct fake_eeh *to_fake_eeh(struct pnv_phb *phb)
{
	return container_of(phb, struct fake_eeh, phb);
}

static int fake_unfreeze_pe(struct pnv_phb *phb, int pe_no, int opt)
{
	struct fake_eeh *e = to_fake_eeh(phb);

	if (opt == OPAL_EEH_ACTION_CLEAR_FREEZE_MMIO ||
	    opt == OPAL_EEH_ACTION_CLEAR_FREEZE_ALL)
		e->mmio_frozen = false;
	if (opt == OPAL_EEH_ACTION_CLEAR_FREEZE_DMA ||
	    opt == OPAL_EEH_ACTION_CLEAR_FREEZE_ALL)
		e->dma_frozen = false;
	return 0;
}

static void fake_freeze_pe(struct pnv_phb *phb, int pe_no)
{
	struct fake_eeh *e = to_fake_eeh(phb);

	e->mmio_frozen = true;
	e->dma_frozen = true;
}

static int fake_cut(struct pci_dev *pdev, u32 mask)
{
	struct fake_eeh *e = container_of(pdev, struct fake_eeh, gpu);

	e->cuts++;
	if (e->mmio_frozen || model_fail(&e->fail_cut))
		return -EIO;
	e->mask = mask;
	return 0;
}

static void fake_eeh_exit(void *data)
{
	struct fake_eeh *e = data;

	pnv_nvlink2_owner_links_up(e->gpu.dev.of_node, 0);
	pnv_nvlink2_set_isolate(e->was_isolated);
}

/* The GPU0 of the Redbud overlay, isolated, alone in its PE, frozen. */
static struct fake_eeh *fake_eeh(struct kunit *test)
{
	struct fake_eeh *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct eeh_ops *ops = pnv_nvlink2_eeh_ops();

	if (!ops || strcmp(ops->name, "powernv"))
		kunit_skip(test, "no powernv EEH");
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_ASSERT_EQ(test, 0, of_overlay_apply_kunit(test, nvlink2_redbud));

	e->hose.private_data = &e->phb;
	e->phb.hose = &e->hose;
	e->phb.unfreeze_pe = fake_unfreeze_pe;
	e->phb.freeze_pe = fake_freeze_pe;
	e->pe.phb = &e->hose;
	e->pe.addr = GPU_PE;
	INIT_LIST_HEAD(&e->pe.child_list);
	INIT_LIST_HEAD(&e->pe.edevs);
	e->edev.pe = &e->pe;
	e->edev.pdev = &e->gpu;
	list_add_tail(&e->edev.entry, &e->pe.edevs);
	e->gpu.dev.of_node = redbud_node(test, "gpu0");
	e->gpu.dev.init_name = "0004:04:00.0";
	e->gpu.dev.archdata.edev = &e->edev;
	e->was_isolated = pnv_nvlink2_set_isolate(true);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, fake_eeh_exit, e));
	kunit_activate_static_stub(test, pnv_nvlink2_cut, fake_cut);
	e->mmio_frozen = true;
	e->dma_frozen = true;
	return e;
}

/*
 * An EEH reset brings the links up; they are cut as the PE is thawed,
 * with MMIO thawed for that first, before the thaw goes on. The removed
 * code cut them after the thaw of MMIO, which powernv's PHBs never reach
 * (pnv_eeh_set_option() returns through phb->unfreeze_pe()).
 */
static void eeh_thaw_cuts_first(struct kunit *test)
{
	struct fake_eeh *e = fake_eeh(test);
	struct eeh_ops *ops = pnv_nvlink2_eeh_ops();
	struct device_node *gpu = e->gpu.dev.of_node;

	pnv_nvlink2_eeh_reset(&e->pe, EEH_RESET_HOT);
	KUNIT_EXPECT_TRUE(test, pnv_nvlink2_owner_links_are_up(gpu));

	KUNIT_EXPECT_EQ(test, 0, ops->set_option(&e->pe, EEH_OPT_THAW_MMIO));
	KUNIT_EXPECT_EQ(test, 1, e->cuts);
	KUNIT_EXPECT_NE(test, 0, e->mask);
	KUNIT_EXPECT_FALSE(test, pnv_nvlink2_owner_links_are_up(gpu));
	KUNIT_EXPECT_EQ(test, 0, ops->set_option(&e->pe, EEH_OPT_THAW_DMA));
	KUNIT_EXPECT_FALSE(test, e->dma_frozen);
	KUNIT_EXPECT_EQ(test, 1, e->cuts);
}

/*
 * A cut that fails refuses the thaw, of MMIO or DMA, whoever asks (a
 * guest through VFIO_EEH_PE_OP too): the PE stays frozen, and nobody
 * else can take the GPU, until a cut succeeds.
 */
static void eeh_cut_failure_keeps_frozen(struct kunit *test)
{
	struct fake_eeh *e = fake_eeh(test);
	struct eeh_ops *ops = pnv_nvlink2_eeh_ops();
	struct device_node *gpu = e->gpu.dev.of_node;

	pnv_nvlink2_eeh_reset(&e->pe, EEH_RESET_HOT);
	e->fail_cut = 1;
	KUNIT_EXPECT_EQ(test, -EIO, ops->set_option(&e->pe, EEH_OPT_THAW_MMIO));
	KUNIT_EXPECT_TRUE(test, e->mmio_frozen);
	KUNIT_EXPECT_TRUE(test, e->dma_frozen);
	KUNIT_EXPECT_TRUE(test, pnv_nvlink2_owner_links_are_up(gpu));
	KUNIT_EXPECT_EQ(test, -EIO, pnv_nvlink2_owner_claim(gpu, 0, GPU_BDF,
							    NULL));

	e->fail_cut = 1;
	KUNIT_EXPECT_EQ(test, -EIO, ops->set_option(&e->pe, EEH_OPT_THAW_DMA));
	KUNIT_EXPECT_TRUE(test, e->dma_frozen);

	KUNIT_EXPECT_EQ(test, 0, ops->set_option(&e->pe, EEH_OPT_THAW_DMA));
	KUNIT_EXPECT_FALSE(test, e->dma_frozen);
	KUNIT_EXPECT_FALSE(test, pnv_nvlink2_owner_links_are_up(gpu));
}

/*
 * A reset of the whole PHB thaws every PE: a GPU whose links it left up
 * is frozen again as its config space is restored, so that its MMIO and
 * DMA wait for the cut (eeh_pci_enable() thaws only frozen PEs).
 */
static void eeh_restore_refreezes(struct kunit *test)
{
	struct fake_eeh *e = fake_eeh(test);

	pnv_nvlink2_eeh_reset(&e->pe, EEH_RESET_HOT);
	e->mmio_frozen = false;
	e->dma_frozen = false;
	pnv_nvlink2_eeh_restored(&e->edev);
	KUNIT_EXPECT_TRUE(test, e->mmio_frozen);
	KUNIT_EXPECT_TRUE(test, e->dma_frozen);
	KUNIT_EXPECT_EQ(test, 0, e->cuts);
}

struct eeh_listener {
	struct notifier_block nb;
	struct pci_dev *gpu;
	unsigned long events[4];
	int nr;
};

static int eeh_listen(struct notifier_block *nb, unsigned long event,
		      void *data)
{
	struct eeh_listener *l = container_of(nb, struct eeh_listener, nb);

	if (data == l->gpu && l->nr < ARRAY_SIZE(l->events))
		l->events[l->nr++] = event;
	return NOTIFY_OK;
}

static void eeh_unlisten(void *data)
{
	pnv_nvlink2_unregister_eeh_notifier(data);
}

/*
 * An EEH reset of a GPU's PE goes through neither the PCI core's resets
 * nor its driver's reset_prepare()/reset_done(): whatever maps its RAM
 * hears of it from the platform, as it starts and as it ends, with no
 * freeze or thaw in between (VFIO_EEH_PE_OP takes the steps one by one).
 */
static void eeh_reset_is_heard(struct kunit *test)
{
	struct fake_eeh *e = fake_eeh(test);
	struct eeh_listener *l;

	/*
	 * Not on the stack: the listener is unregistered by a deferred
	 * action, which runs after this function has returned.
	 */
	l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, l);
	l->nb.notifier_call = eeh_listen;
	l->gpu = &e->gpu;
	KUNIT_ASSERT_EQ(test, 0, pnv_nvlink2_register_eeh_notifier(&l->nb));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, eeh_unlisten,
							   &l->nb));
	pnv_nvlink2_eeh_reset(&e->pe, EEH_RESET_HOT);
	KUNIT_EXPECT_EQ(test, 1, l->nr);
	KUNIT_EXPECT_EQ(test, PNV_NVLINK2_EEH_RESET, l->events[0]);
	pnv_nvlink2_eeh_reset(&e->pe, EEH_RESET_DEACTIVATE);
	KUNIT_EXPECT_EQ(test, 2, l->nr);
	KUNIT_EXPECT_EQ(test, PNV_NVLINK2_EEH_RESET_DONE, l->events[1]);
}

static struct kunit_case nvlink2_npu_test_cases[] = {
	KUNIT_CASE(unset_window_dma_off),
	KUNIT_CASE(unset_window_dma_off_pre_5_10),
	KUNIT_CASE(set_window_failure_leaves_dma_off),
	KUNIT_CASE(unset_window_failure_keeps_table),
	KUNIT_CASE(npu_refuses_5_levels),
	KUNIT_CASE(ownership_round_trip),
	KUNIT_CASE(take_ownership_failure_fails_closed),
	KUNIT_CASE(host_setup_failure_binds_nothing),
	KUNIT_CASE(take_ownership_dma_off_failure),
	KUNIT_CASE(release_pe_dma_off),
	KUNIT_CASE(first_bridge_goes_first),
	KUNIT_CASE(shutdown_leaves_dma_off),
	KUNIT_CASE(group_refuses_5_levels),
	KUNIT_CASE(group_set_window_unwinds),
	KUNIT_CASE(group_unset_window_failure_keeps_table),
	KUNIT_CASE(disable_resets_one_link),
	KUNIT_CASE(failed_unbind_refuses_claim),
	KUNIT_CASE(failed_bind_leaves_no_lpar),
	KUNIT_CASE(claim_leaves_host_binding),
	KUNIT_CASE(failed_unbind_survives_host_bind),
	KUNIT_CASE(guests_in_turn_6_4),
	KUNIT_CASE(guests_in_turn_6_3),
	KUNIT_CASE(take_ownership_drains_contexts),
	KUNIT_CASE(destroy_failure_refuses_ownership),
	KUNIT_CASE(pre_6_3_refuses_ownership),
	KUNIT_CASE(links_up_refuses_claim),
	KUNIT_CASE(eeh_thaw_cuts_first),
	KUNIT_CASE(eeh_cut_failure_keeps_frozen),
	KUNIT_CASE(eeh_restore_refreezes),
	KUNIT_CASE(eeh_reset_is_heard),
	{}
};

static struct kunit_suite nvlink2_npu_test_suite = {
	.name = "powernv-nvlink2-npu",
	.test_cases = nvlink2_npu_test_cases,
};

kunit_test_suite(nvlink2_npu_test_suite);
