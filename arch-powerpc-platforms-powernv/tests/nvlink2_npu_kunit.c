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
#include <linux/of.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <kunit/of.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>
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

struct fake_npu {
	struct pci_controller hose;
	struct pnv_phb phb;
	struct pnv_ioda_pe npe;
	struct pci_dev bridge;
	struct pci_dn gpu_pdn;
	struct device_node *gpu;
	int bridge_refs_dropped;
};

static void fake_bridge_release(struct device *dev)
{
	struct fake_npu *f = container_of(dev, struct fake_npu, bridge.dev);

	f->bridge_refs_dropped++;
}

static void fake_npu_exit(void *data)
{
	struct fake_npu *f = data;
	unsigned int refs = kref_read(&f->bridge.dev.kobj.kref);

	f->gpu->data = NULL;
	/* The references left: the test's and, unless released, the PE's */
	while (refs--)
		put_device(&f->bridge.dev);
}

/*
 * An NPU PHB with one PE, the PE of the bridges of GPU0 of the Redbud
 * overlay, as pnv_npu_dma_dev_setup() leaves it for the host: DMA in
 * bypass, the GPU bound to LPAR 0 with the host's context.
 */
static struct fake_npu *fake_npu(struct kunit *test, struct npu2_model *m)
{
	struct fake_npu *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	struct device_node *bridge;

	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_ASSERT_EQ(test, 0, of_overlay_apply_kunit(test, nvlink2_redbud));
	bridge = of_find_node_by_path("/kunit-nvlink2-redbud/bridge0-0");
	KUNIT_ASSERT_NOT_NULL(test, bridge);
	of_node_put_kunit(test, bridge);
	f->gpu = of_find_node_by_path("/kunit-nvlink2-redbud/gpu0");
	KUNIT_ASSERT_NOT_NULL(test, f->gpu);
	of_node_put_kunit(test, f->gpu);
	/* The GPU's requester id, from its pci_dn as on a real tree. */
	f->gpu_pdn.busno = GPU_BDF >> 8;
	f->gpu_pdn.devfn = GPU_BDF & 0xff;
	f->gpu->data = &f->gpu_pdn;

	device_initialize(&f->bridge.dev);
	f->bridge.dev.release = fake_bridge_release;
	f->bridge.dev.of_node = bridge;
	dev_set_name(&f->bridge.dev, "0007:00:00.0");
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, fake_npu_exit, f));

	f->hose.private_data = &f->phb;
	f->hose.node = NUMA_NO_NODE;
	f->phb.hose = &f->hose;
	f->phb.type = PNV_PHB_NPU_NVLINK;
	f->phb.opal_id = m->opal_id;
	f->npe.phb = &f->phb;
	f->npe.pe_number = 1;
	f->npe.flags = PNV_IODA_PE_DEV;
	f->npe.pdev = &f->bridge;

	/* As pnv_npu_dma_dev_setup() does for the GPU's first bridge */
	pnv_npu_pe_init(&f->npe);
	KUNIT_ASSERT_EQ(test, 0, model_map_window_real(m->opal_id, 1, SZ_1G));
	f->npe.tce_bypass_enabled = true;
	KUNIT_ASSERT_EQ(test, 0, pnv_nvlink2_owner_host(f->gpu, m->opal_id,
							GPU_BDF, true));
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

/* VFIO takes the group: the host's bypass and context go. */
static void own(struct kunit *test, struct npu2_model *m, struct fake_npu *f)
{
	KUNIT_ASSERT_EQ(test, 0, pnv_npu_pe_ops.take_ownership(npe_tg(f),
								&f->bridge.dev));
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
	pnv_npu_pe_ops.release_ownership(npe_tg(f), &f->bridge.dev);
	KUNIT_EXPECT_TRUE(test, model_bypass(m, 1));
	KUNIT_EXPECT_NULL(test, npe_tg(f)->tables[0]);
	KUNIT_EXPECT_EQ(test, 0, model_lpar_of(m, GPU_BDF));
	KUNIT_EXPECT_EQ(test, MSR_DR | MSR_PR | MSR_HV, m->xts[id].msr);
	KUNIT_EXPECT_EQ(test, 1, m->xts[id].ctx_ref);
	iommu_tce_table_put(tbl);
}

/*
 * If the GPU cannot leave the host's LPAR, VFIO does not get the PE, and
 * the host keeps it as it was.
 */
static void take_ownership_failure_keeps_host(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);

	m->fail_map_lpar = 1;
	KUNIT_EXPECT_NE(test, 0, pnv_npu_pe_ops.take_ownership(npe_tg(f),
								&f->bridge.dev));
	KUNIT_EXPECT_TRUE(test, model_bypass(m, 1));
	KUNIT_EXPECT_TRUE(test, f->npe.tce_bypass_enabled);
}

/* If DMA cannot be turned off, VFIO does not get the PE either. */
static void take_ownership_dma_off_failure(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);

	m->fail_real = 1;
	KUNIT_EXPECT_NE(test, 0, pnv_npu_pe_ops.take_ownership(npe_tg(f),
								&f->bridge.dev));
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
 * The PE holds its first bridge from its setup to its release, so that
 * the bridge can go away before the others of its GPU.
 */
static void pe_holds_first_bridge(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);

	/* fake_npu() set the PE up: the bridge's own reference goes. */
	put_device(&f->bridge.dev);
	KUNIT_EXPECT_EQ(test, 0, f->bridge_refs_dropped);
	KUNIT_EXPECT_STREQ(test, "0007:00:00.0", dev_name(&f->npe.pdev->dev));
	pnv_npu_release_pe(&f->npe);
	KUNIT_EXPECT_EQ(test, 1, f->bridge_refs_dropped);
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
/* Binding to a guest's LPAR */

#define GUEST_LPID	5

/*
 * A guest binding that firmware refuses to undo keeps the GPU from
 * anybody else, and is tried again at every claim until it goes.
 */
static void failed_unbind_refuses_claim(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);

	own(test, m, f);
	KUNIT_ASSERT_EQ(test, 0, pnv_nvlink2_owner_bind_guest(f->gpu, m->opal_id,
							     GPU_BDF, GUEST_LPID));
	KUNIT_EXPECT_EQ(test, GUEST_LPID, model_lpar_of(m, GPU_BDF));

	m->fail_map_lpar = 1;
	KUNIT_EXPECT_NE(test, 0, pnv_nvlink2_owner_unbind_guest(f->gpu, m->opal_id,
								 GPU_BDF));
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
 * A context that firmware cannot set up for the guest leaves the GPU in
 * no LPAR, not the guest's.
 */
static void failed_bind_leaves_no_lpar(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, true);
	struct fake_npu *f = fake_npu(test, m);

	own(test, m, f);
	m->fail_init = 1;
	KUNIT_EXPECT_NE(test, 0, pnv_nvlink2_owner_bind_guest(f->gpu, m->opal_id,
							     GPU_BDF, GUEST_LPID));
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
		KUNIT_ASSERT_EQ(test, 0,
				pnv_nvlink2_owner_bind_guest(f->gpu, m->opal_id,
							     GPU_BDF,
							     GUEST_LPID + i));
		KUNIT_EXPECT_EQ(test, 1, m->xts[id].ctx_ref);
		KUNIT_EXPECT_EQ(test, GUEST_LPID + i, model_lpar_of(m, GPU_BDF));
		KUNIT_ASSERT_EQ(test, 0,
				pnv_nvlink2_owner_unbind_guest(f->gpu, m->opal_id,
							       GPU_BDF));
		KUNIT_EXPECT_EQ(test, 0, m->xts[id].ctx_ref);
	}
	pnv_npu_pe_ops.release_ownership(npe_tg(f), &f->bridge.dev);
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

/* A context firmware fails to drop keeps the GPU with the host. */
static void destroy_failure_refuses_ownership(struct kunit *test)
{
	struct npu2_model *m = model_init(test, true, false);
	struct fake_npu *f = fake_npu(test, m);

	m->fail_destroy = 1;
	KUNIT_EXPECT_NE(test, 0, pnv_npu_pe_ops.take_ownership(npe_tg(f),
								&f->bridge.dev));
	KUNIT_EXPECT_TRUE(test, model_bypass(m, 1));
	KUNIT_EXPECT_EQ(test, 0, model_lpar_of(m, GPU_BDF));
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

static struct kunit_case nvlink2_npu_test_cases[] = {
	KUNIT_CASE(unset_window_dma_off),
	KUNIT_CASE(unset_window_dma_off_pre_5_10),
	KUNIT_CASE(set_window_failure_leaves_dma_off),
	KUNIT_CASE(unset_window_failure_keeps_table),
	KUNIT_CASE(npu_refuses_5_levels),
	KUNIT_CASE(ownership_round_trip),
	KUNIT_CASE(take_ownership_failure_keeps_host),
	KUNIT_CASE(take_ownership_dma_off_failure),
	KUNIT_CASE(release_pe_dma_off),
	KUNIT_CASE(pe_holds_first_bridge),
	KUNIT_CASE(group_refuses_5_levels),
	KUNIT_CASE(group_set_window_unwinds),
	KUNIT_CASE(group_unset_window_failure_keeps_table),
	KUNIT_CASE(failed_unbind_refuses_claim),
	KUNIT_CASE(failed_bind_leaves_no_lpar),
	KUNIT_CASE(guests_in_turn_6_4),
	KUNIT_CASE(guests_in_turn_6_3),
	KUNIT_CASE(take_ownership_drains_contexts),
	KUNIT_CASE(destroy_failure_refuses_ownership),
	KUNIT_CASE(links_up_refuses_claim),
	{}
};

static struct kunit_suite nvlink2_npu_test_suite = {
	.name = "powernv-nvlink2-npu",
	.test_cases = nvlink2_npu_test_cases,
};

kunit_test_suite(nvlink2_npu_test_suite);
