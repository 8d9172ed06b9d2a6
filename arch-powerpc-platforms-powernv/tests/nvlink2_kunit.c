// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the NVLink2 platform facts and NVLink isolation: the
 * device-tree parsing of npu-nvlink.c on overlays of Witherspoon's two
 * topologies and of broken trees, the link disable masks, and the V100
 * register sequence that applies them. The expected values below are written out by hand from the
 * overlays, not computed.
 */

#include <linux/of.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <kunit/of.h>
#include <kunit/test.h>

#include "../npu-nvlink.h"

#define GIB(x)	((u64)(x) << 30)

struct expect_bridge {
	const char *name;
	u32 link_index;
	u64 atsd;
};

struct expect_gpu {
	const char *name;
	u64 ram_base;
	u64 tgt;
	const char *phb;
	struct expect_bridge bridges[3];
};

struct topology {
	const char *root;
	u32 link_speed;
	int nr_gpus;
	int nr_bridges;
	int gpus_per_npu;
	struct expect_gpu gpus[6];
	/* The link disable mask of each GPU alone in its IOMMU group. */
	u32 cut[6];
};

/*
 * As skiboot gives them (see the overlays for the sources): every GPU RAM
 * window is 128 GiB; the ATSD register of link i of the NPU of chip 0 and
 * of chip 8 is MMIO_ATSD_ADDR(NPU_REGS BAR, i).
 */
#define RAM_SIZE	GIB(128)
#define NPU0_ATSD(i)	(0x6030200800000ULL + (i) * 0x10000)
#define NPU1_ATSD(i)	(0x6230200800000ULL + (i) * 0x10000)

/*
 * Redbud: two GPUs per chip, three links each (links 0-2 and 3-5). The GPU
 * RAM is GPU_MEM_4T_UP <GPU index> + (chip id << 42), chip ids 0 and 8,
 * the TGT skiboot's compression of it.
 */
static const struct topology redbud = {
	.root = "/kunit-nvlink2-redbud",
	.link_speed = 0x9,
	.nr_gpus = 4,
	.nr_bridges = 3,
	.gpus_per_npu = 2,
	.gpus = {
		{ "gpu0", 0x40000000000, 0x40000000000, "npu0-phb",
		  { { "bridge0-0", 0, NPU0_ATSD(0) },
		    { "bridge0-1", 1, NPU0_ATSD(1) },
		    { "bridge0-2", 2, NPU0_ATSD(2) } } },
		{ "gpu1", 0x42000000000, 0x42000000000, "npu0-phb",
		  { { "bridge1-0", 3, NPU0_ATSD(3) },
		    { "bridge1-1", 4, NPU0_ATSD(4) },
		    { "bridge1-2", 5, NPU0_ATSD(5) } } },
		{ "gpu2", 0x240000000000, 0xc0000000000, "npu1-phb",
		  { { "bridge2-0", 0, NPU1_ATSD(0) },
		    { "bridge2-1", 1, NPU1_ATSD(1) },
		    { "bridge2-2", 2, NPU1_ATSD(2) } } },
		{ "gpu3", 0x242000000000, 0xc2000000000, "npu1-phb",
		  { { "bridge3-0", 3, NPU1_ATSD(3) },
		    { "bridge3-1", 4, NPU1_ATSD(4) },
		    { "bridge3-2", 5, NPU1_ATSD(5) } } },
	},
	/*
	 * ibm,nvlink-peers of GPU0 is [G1 N0 G1 N1 G1 N2], of GPU1
	 * [G0 N3 G0 N4 G0 N5]: links 0, 2 and 4 go to the other GPU of the
	 * chip, bits 16, 18 and 20.
	 */
	.cut = { 0x150000, 0x150000, 0x150000, 0x150000 },
};

/*
 * Sequoia: three GPUs per chip, two links each (0-1, 2-3 and 4-5), GPU RAM
 * and TGT as on Redbud.
 */
static const struct topology sequoia = {
	.root = "/kunit-nvlink2-sequoia",
	.link_speed = 0x8,
	.nr_gpus = 6,
	.nr_bridges = 2,
	.gpus_per_npu = 3,
	.gpus = {
		{ "gpu0", 0x40000000000, 0x40000000000, "npu0-phb",
		  { { "bridge0-0", 0, NPU0_ATSD(0) },
		    { "bridge0-1", 1, NPU0_ATSD(1) } } },
		{ "gpu1", 0x42000000000, 0x42000000000, "npu0-phb",
		  { { "bridge1-0", 2, NPU0_ATSD(2) },
		    { "bridge1-1", 3, NPU0_ATSD(3) } } },
		{ "gpu2", 0x44000000000, 0x44000000000, "npu0-phb",
		  { { "bridge2-0", 4, NPU0_ATSD(4) },
		    { "bridge2-1", 5, NPU0_ATSD(5) } } },
		{ "gpu3", 0x240000000000, 0xc0000000000, "npu1-phb",
		  { { "bridge3-0", 0, NPU1_ATSD(0) },
		    { "bridge3-1", 1, NPU1_ATSD(1) } } },
		{ "gpu4", 0x242000000000, 0xc2000000000, "npu1-phb",
		  { { "bridge4-0", 2, NPU1_ATSD(2) },
		    { "bridge4-1", 3, NPU1_ATSD(3) } } },
		{ "gpu5", 0x244000000000, 0xc4000000000, "npu1-phb",
		  { { "bridge5-0", 4, NPU1_ATSD(4) },
		    { "bridge5-1", 5, NPU1_ATSD(5) } } },
	},
	/*
	 * ibm,nvlink-peers of GPU0 is [G1 N0 G2 G2 G1 N1]: links 0, 2, 3
	 * and 4 go to other GPUs, bits 16, 18, 19 and 20; GPU1 is
	 * [G0 N2 G2 G2 G0 N3], the same links; GPU2 is [G1 G0 G1 N4 G0 N5]:
	 * links 0, 1, 2 and 4, bits 16, 17, 18 and 20.
	 */
	.cut = { 0x1d0000, 0x1d0000, 0x170000, 0x1d0000, 0x1d0000, 0x170000 },
};

/* The node @root/@name of an applied overlay, put when the test ends. */
static struct device_node *tnode(struct kunit *test, const char *root,
				 const char *name)
{
	struct device_node *np;
	char path[64];

	KUNIT_ASSERT_LT(test, snprintf(path, sizeof(path), "%s/%s", root, name),
			sizeof(path));
	np = of_find_node_by_path(path);
	KUNIT_ASSERT_NOT_NULL_MSG(test, np, "%s is missing", path);
	of_node_put_kunit(test, np);
	return np;
}

static void apply(struct kunit *test, const struct topology *t)
{
	if (t == &redbud)
		KUNIT_ASSERT_EQ(test, 0,
				of_overlay_apply_kunit(test, nvlink2_redbud));
	else
		KUNIT_ASSERT_EQ(test, 0,
				of_overlay_apply_kunit(test, nvlink2_sequoia));
}

static void check_roles(struct kunit *test, const struct topology *t)
{
	int g, b;

	apply(test, t);
	for (g = 0; g < t->nr_gpus; g++) {
		const struct expect_gpu *e = &t->gpus[g];

		KUNIT_EXPECT_EQ_MSG(test, PNV_NVLINK2_GPU,
				    pnv_nvlink2_of_role(tnode(test, t->root, e->name)),
				    "%s", e->name);
		for (b = 0; b < t->nr_bridges; b++)
			KUNIT_EXPECT_EQ_MSG(test, PNV_NVLINK2_BRIDGE,
					    pnv_nvlink2_of_role(tnode(test, t->root,
								      e->bridges[b].name)),
					    "%s", e->bridges[b].name);
	}
	KUNIT_EXPECT_EQ(test, PNV_NVLINK2_NONE,
			pnv_nvlink2_of_role(tnode(test, t->root, "npu0-phb")));
	KUNIT_EXPECT_EQ(test, PNV_NVLINK2_NONE,
			pnv_nvlink2_of_role(tnode(test, t->root, "npu1-link5")));
	KUNIT_EXPECT_EQ(test, PNV_NVLINK2_NONE,
			pnv_nvlink2_of_role(tnode(test, t->root,
						  "memory@40000000000")));
}

static void check_gpu_of_bridge(struct kunit *test, const struct topology *t)
{
	struct device_node *gpu;
	int g, b;

	apply(test, t);
	for (g = 0; g < t->nr_gpus; g++) {
		const struct expect_gpu *e = &t->gpus[g];

		for (b = 0; b < t->nr_bridges; b++) {
			gpu = pnv_nvlink2_of_gpu(tnode(test, t->root,
						       e->bridges[b].name));
			KUNIT_ASSERT_NOT_ERR_OR_NULL(test, gpu);
			KUNIT_EXPECT_PTR_EQ_MSG(test, gpu,
						tnode(test, t->root, e->name),
						"%s", e->bridges[b].name);
			of_node_put(gpu);
		}
	}
}

static void check_bridges_of_gpu(struct kunit *test, const struct topology *t)
{
	struct device_node *gpu, *bridge;
	int g, b;

	apply(test, t);
	for (g = 0; g < t->nr_gpus; g++) {
		const struct expect_gpu *e = &t->gpus[g];

		gpu = tnode(test, t->root, e->name);
		for (b = 0; b < t->nr_bridges; b++) {
			bridge = pnv_nvlink2_of_bridge(gpu, b);
			KUNIT_ASSERT_NOT_ERR_OR_NULL(test, bridge);
			KUNIT_EXPECT_PTR_EQ_MSG(test, bridge,
						tnode(test, t->root,
						      e->bridges[b].name),
						"%s bridge %d", e->name, b);
			of_node_put(bridge);
		}
		KUNIT_EXPECT_NULL(test, pnv_nvlink2_of_bridge(gpu, b));
	}
}

static void check_gpu_info(struct kunit *test, const struct topology *t)
{
	struct pnv_nvlink2_gpu_info info;
	int g;

	apply(test, t);
	for (g = 0; g < t->nr_gpus; g++) {
		const struct expect_gpu *e = &t->gpus[g];

		memset(&info, 0x5a, sizeof(info));
		KUNIT_ASSERT_EQ(test, 0,
				pnv_nvlink2_of_gpu_info(tnode(test, t->root,
							      e->name), &info));
		KUNIT_EXPECT_EQ_MSG(test, e->ram_base, info.ram_base, "%s", e->name);
		KUNIT_EXPECT_EQ_MSG(test, RAM_SIZE, info.ram_size, "%s", e->name);
		KUNIT_EXPECT_EQ_MSG(test, e->tgt, info.tgt, "%s", e->name);
		KUNIT_EXPECT_EQ_MSG(test, t->nr_bridges, info.nr_bridges, "%s",
				    e->name);
	}
}

static void check_bridge_info(struct kunit *test, const struct topology *t)
{
	struct pnv_nvlink2_bridge_info info;
	int g, b;

	apply(test, t);
	for (g = 0; g < t->nr_gpus; g++) {
		const struct expect_gpu *e = &t->gpus[g];

		for (b = 0; b < t->nr_bridges; b++) {
			const struct expect_bridge *eb = &e->bridges[b];

			memset(&info, 0x5a, sizeof(info));
			KUNIT_ASSERT_EQ(test, 0,
					pnv_nvlink2_of_bridge_info(tnode(test, t->root, eb->name),
								   tnode(test, t->root, e->phb),
								   &info));
			KUNIT_EXPECT_EQ_MSG(test, e->tgt, info.tgt, "%s", eb->name);
			KUNIT_EXPECT_EQ_MSG(test, t->link_speed, info.link_speed,
					    "%s", eb->name);
			KUNIT_EXPECT_EQ_MSG(test, eb->link_index, info.link_index,
					    "%s", eb->name);
			KUNIT_EXPECT_EQ_MSG(test, eb->atsd, info.atsd, "%s", eb->name);
		}
	}
}

/* Each GPU alone in its group: its links to other GPUs are cut. */
static void check_isolated_masks(struct kunit *test, const struct topology *t)
{
	const struct device_node *group[1];
	struct device_node *gpu;
	u32 mask;
	int g;

	apply(test, t);
	for (g = 0; g < t->nr_gpus; g++) {
		gpu = tnode(test, t->root, t->gpus[g].name);
		group[0] = gpu;
		mask = 0xdead;
		KUNIT_ASSERT_EQ(test, 0,
				pnv_nvlink2_of_link_mask(gpu, group, 1, &mask));
		KUNIT_EXPECT_EQ_MSG(test, t->cut[g], mask, "%s", t->gpus[g].name);

		/* The policy isolates every GPU of both topologies. */
		mask = 0xdead;
		KUNIT_EXPECT_EQ_MSG(test, 0, pnv_nvlink2_of_isolation(gpu, &mask),
				    "%s", t->gpus[g].name);
		KUNIT_EXPECT_EQ_MSG(test, t->cut[g], mask, "%s", t->gpus[g].name);
	}
}

/* All the GPUs of an NPU in one group, the default: no link is cut. */
static void check_shared_masks(struct kunit *test, const struct topology *t)
{
	const struct device_node *group[3];
	int g, i, first;
	u32 mask;

	apply(test, t);
	for (g = 0; g < t->nr_gpus; g++) {
		first = g - g % t->gpus_per_npu;
		for (i = 0; i < t->gpus_per_npu; i++)
			group[i] = tnode(test, t->root, t->gpus[first + i].name);
		mask = 0xdead;
		KUNIT_ASSERT_EQ(test, 0,
				pnv_nvlink2_of_link_mask(tnode(test, t->root,
							       t->gpus[g].name),
							 group, t->gpus_per_npu,
							 &mask));
		KUNIT_EXPECT_EQ_MSG(test, 0, mask, "%s", t->gpus[g].name);
	}
}

static void redbud_roles(struct kunit *test)
{
	check_roles(test, &redbud);
}

static void redbud_gpu_of_bridge(struct kunit *test)
{
	check_gpu_of_bridge(test, &redbud);
}

static void redbud_bridges_of_gpu(struct kunit *test)
{
	check_bridges_of_gpu(test, &redbud);
}

static void redbud_gpu_info(struct kunit *test)
{
	check_gpu_info(test, &redbud);
}

static void redbud_bridge_info(struct kunit *test)
{
	check_bridge_info(test, &redbud);
}

static void redbud_link_masks_isolated(struct kunit *test)
{
	check_isolated_masks(test, &redbud);
}

static void redbud_link_masks_shared(struct kunit *test)
{
	check_shared_masks(test, &redbud);
}

static void sequoia_roles(struct kunit *test)
{
	check_roles(test, &sequoia);
}

static void sequoia_gpu_of_bridge(struct kunit *test)
{
	check_gpu_of_bridge(test, &sequoia);
}

static void sequoia_bridges_of_gpu(struct kunit *test)
{
	check_bridges_of_gpu(test, &sequoia);
}

static void sequoia_gpu_info(struct kunit *test)
{
	check_gpu_info(test, &sequoia);
}

static void sequoia_bridge_info(struct kunit *test)
{
	check_bridge_info(test, &sequoia);
}

static void sequoia_link_masks_isolated(struct kunit *test)
{
	check_isolated_masks(test, &sequoia);
}

static void sequoia_link_masks_shared(struct kunit *test)
{
	check_shared_masks(test, &sequoia);
}

/* Groups of two of the three GPUs of a chip keep the links between them. */
static void sequoia_link_masks_pairs(struct kunit *test)
{
	const struct device_node *group[2];
	struct device_node *gpu0, *gpu1, *gpu2;
	u32 mask;

	apply(test, &sequoia);
	gpu0 = tnode(test, sequoia.root, "gpu0");
	gpu1 = tnode(test, sequoia.root, "gpu1");
	gpu2 = tnode(test, sequoia.root, "gpu2");

	/* GPU0 and GPU1: both cut links 2 and 3, to GPU2. */
	group[0] = gpu0;
	group[1] = gpu1;
	KUNIT_ASSERT_EQ(test, 0, pnv_nvlink2_of_link_mask(gpu0, group, 2, &mask));
	KUNIT_EXPECT_EQ(test, 0x0c0000, mask);
	KUNIT_ASSERT_EQ(test, 0, pnv_nvlink2_of_link_mask(gpu1, group, 2, &mask));
	KUNIT_EXPECT_EQ(test, 0x0c0000, mask);

	/* GPU2 and GPU0: GPU2 cuts links 0 and 2, to GPU1. */
	group[0] = gpu2;
	group[1] = gpu0;
	KUNIT_ASSERT_EQ(test, 0, pnv_nvlink2_of_link_mask(gpu2, group, 2, &mask));
	KUNIT_EXPECT_EQ(test, 0x050000, mask);
}

/* ------------------------------------------------------------------ */
/* Broken trees: one GPU/bridge pair per case in nvlink2_broken.dtso.  */

#define BROKEN	"/kunit-nvlink2-broken"

static struct device_node *broken(struct kunit *test, const char *name)
{
	KUNIT_ASSERT_EQ(test, 0, of_overlay_apply_kunit(test, nvlink2_broken));
	return tnode(test, BROKEN, name);
}

/* gpu_info() on @gpu must fail with @err and leave the struct alone. */
static void expect_gpu_info_fails(struct kunit *test, struct device_node *gpu,
				  int err)
{
	struct pnv_nvlink2_gpu_info info, poison;

	memset(&info, 0x5a, sizeof(info));
	memset(&poison, 0x5a, sizeof(poison));
	KUNIT_EXPECT_EQ(test, err, pnv_nvlink2_of_gpu_info(gpu, &info));
	KUNIT_EXPECT_MEMEQ(test, &poison, &info, sizeof(info));
}

/* bridge_info() on @bridge must fail with @err and leave the struct alone. */
static void expect_bridge_info_fails(struct kunit *test,
				     struct device_node *bridge,
				     struct device_node *phb, int err)
{
	struct pnv_nvlink2_bridge_info info, poison;

	memset(&info, 0x5a, sizeof(info));
	memset(&poison, 0x5a, sizeof(poison));
	KUNIT_EXPECT_EQ(test, err, pnv_nvlink2_of_bridge_info(bridge, phb, &info));
	KUNIT_EXPECT_MEMEQ(test, &poison, &info, sizeof(info));
}

/* The reference pair of the broken overlay is fine. */
static void good_pair(struct kunit *test)
{
	struct device_node *gpu = broken(test, "good-gpu");
	struct device_node *bridge = tnode(test, BROKEN, "good-bridge");
	struct pnv_nvlink2_gpu_info gi;
	struct pnv_nvlink2_bridge_info bi;

	KUNIT_EXPECT_EQ(test, PNV_NVLINK2_GPU, pnv_nvlink2_of_role(gpu));
	KUNIT_EXPECT_EQ(test, PNV_NVLINK2_BRIDGE, pnv_nvlink2_of_role(bridge));
	KUNIT_ASSERT_EQ(test, 0, pnv_nvlink2_of_gpu_info(gpu, &gi));
	KUNIT_EXPECT_EQ(test, 0x400000000000ULL, gi.ram_base);
	KUNIT_EXPECT_EQ(test, RAM_SIZE, gi.ram_size);
	KUNIT_EXPECT_EQ(test, 0x20000000000ULL, gi.tgt);
	KUNIT_ASSERT_EQ(test, 0,
			pnv_nvlink2_of_bridge_info(bridge,
						   tnode(test, BROKEN, "phb-no-atsd"),
						   &bi));
	KUNIT_EXPECT_EQ(test, 0x20000000000ULL, bi.tgt);
	KUNIT_EXPECT_EQ(test, 0x9, bi.link_speed);
	KUNIT_EXPECT_EQ(test, 3, bi.link_index);
}

/* A POWER8 NVLink1 pair has no GPU RAM: no NVLink2 role, -ENODEV. */
static void nvlink1_is_not_nvlink2(struct kunit *test)
{
	struct device_node *gpu = broken(test, "nvlink1-gpu");
	struct device_node *bridge = tnode(test, BROKEN, "nvlink1-bridge");

	KUNIT_EXPECT_EQ(test, PNV_NVLINK2_NONE, pnv_nvlink2_of_role(gpu));
	KUNIT_EXPECT_EQ(test, PNV_NVLINK2_NONE, pnv_nvlink2_of_role(bridge));
	expect_gpu_info_fails(test, gpu, -ENODEV);
	expect_bridge_info_fails(test, bridge,
				 tnode(test, BROKEN, "phb-no-atsd"), -ENODEV);
}

/* A node that is neither GPU nor bridge: -ENODEV, not -EINVAL. */
static void plain_node_is_not_nvlink2(struct kunit *test)
{
	struct device_node *np = broken(test, "link");

	KUNIT_EXPECT_EQ(test, PNV_NVLINK2_NONE, pnv_nvlink2_of_role(np));
	KUNIT_EXPECT_NULL(test, pnv_nvlink2_of_gpu(np));
	KUNIT_EXPECT_NULL(test, pnv_nvlink2_of_bridge(np, 0));
	expect_gpu_info_fails(test, np, -ENODEV);
	expect_bridge_info_fails(test, np, np, -ENODEV);
}

/* An ibm,npu entry that does not resolve. */
static void dangling_bridge_phandle(struct kunit *test)
{
	struct device_node *gpu = broken(test, "dangling-gpu");

	KUNIT_EXPECT_EQ(test, PNV_NVLINK2_NONE, pnv_nvlink2_of_role(gpu));
	KUNIT_EXPECT_PTR_EQ(test, ERR_PTR(-EINVAL), pnv_nvlink2_of_bridge(gpu, 0));
	expect_gpu_info_fails(test, gpu, -EINVAL);
}

/* ibm,gpu points to a node that does not list the bridge back. */
static void gpu_phandle_to_wrong_node(struct kunit *test)
{
	struct device_node *bridge = broken(test, "stray-bridge");

	KUNIT_EXPECT_EQ(test, PNV_NVLINK2_NONE, pnv_nvlink2_of_role(bridge));
	KUNIT_EXPECT_PTR_EQ(test, ERR_PTR(-EINVAL), pnv_nvlink2_of_gpu(bridge));
	expect_bridge_info_fails(test, bridge,
				 tnode(test, BROKEN, "phb-no-atsd"), -EINVAL);
}

/* A node with both ibm,npu and ibm,gpu plays no part. */
static void both_roles_is_none(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, PNV_NVLINK2_NONE,
			pnv_nvlink2_of_role(broken(test, "both")));
}

/* The GPU RAM node's reg holds two ranges instead of one. */
static void ram_reg_two_ranges(struct kunit *test)
{
	expect_gpu_info_fails(test, broken(test, "ram2r-gpu"), -EINVAL);
}

/* The GPU RAM node's parent has three address cells. */
static void ram_reg_three_address_cells(struct kunit *test)
{
	expect_gpu_info_fails(test, broken(test, "ram3-gpu"), -EINVAL);
}

static void ram_not_coherent_memory(struct kunit *test)
{
	expect_gpu_info_fails(test, broken(test, "ramnc-gpu"), -EINVAL);
}

static void ram_empty(struct kunit *test)
{
	expect_gpu_info_fails(test, broken(test, "ram0-gpu"), -EINVAL);
}

static void ram_unaligned(struct kunit *test)
{
	expect_gpu_info_fails(test, broken(test, "ramu-gpu"), -EINVAL);
}

/* memory-region points to the GPU node instead of its RAM. */
static void ram_phandle_to_wrong_node(struct kunit *test)
{
	expect_gpu_info_fails(test, broken(test, "ramgpu-gpu"), -EINVAL);
}

static void tgt_short(struct kunit *test)
{
	struct device_node *gpu = broken(test, "tgtshort-gpu");

	expect_gpu_info_fails(test, gpu, -EINVAL);
	expect_bridge_info_fails(test, tnode(test, BROKEN, "tgtshort-bridge"),
				 tnode(test, BROKEN, "phb-no-atsd"), -EINVAL);
}

static void tgt_oversized(struct kunit *test)
{
	struct device_node *gpu = broken(test, "tgtlong-gpu");

	expect_gpu_info_fails(test, gpu, -EINVAL);
	expect_bridge_info_fails(test, tnode(test, BROKEN, "tgtlong-bridge"),
				 tnode(test, BROKEN, "phb-no-atsd"), -EINVAL);
}

static void tgt_missing(struct kunit *test)
{
	struct device_node *gpu = broken(test, "notgt-gpu");

	expect_gpu_info_fails(test, gpu, -EINVAL);
	expect_bridge_info_fails(test, tnode(test, BROKEN, "notgt-bridge"),
				 tnode(test, BROKEN, "phb-no-atsd"), -EINVAL);
}

/* skiboot gives no ibm,nvlink-speed when HDAT has none: 0, unknown. */
static void link_speed_missing(struct kunit *test)
{
	struct device_node *bridge = broken(test, "nospeed-bridge");
	struct pnv_nvlink2_bridge_info info;

	memset(&info, 0x5a, sizeof(info));
	KUNIT_EXPECT_EQ(test, 0,
			pnv_nvlink2_of_bridge_info(bridge,
						   tnode(test, BROKEN, "phb-no-atsd"),
						   &info));
	KUNIT_EXPECT_EQ(test, 0, info.link_speed);
	KUNIT_EXPECT_EQ(test, 0x20000000000ULL, info.tgt);
	KUNIT_EXPECT_EQ(test, 3, info.link_index);
}

static void link_speed_garbage(struct kunit *test)
{
	expect_bridge_info_fails(test, broken(test, "strspeed-bridge"),
				 tnode(test, BROKEN, "phb-no-atsd"), -EINVAL);
}

static void link_missing(struct kunit *test)
{
	expect_bridge_info_fails(test, broken(test, "nolink-bridge"),
				 tnode(test, BROKEN, "phb-no-atsd"), -EINVAL);
}

/* ibm,nvlink points to a node without ibm,npu-link-index. */
static void link_phandle_to_wrong_node(struct kunit *test)
{
	expect_bridge_info_fails(test, broken(test, "badlink-bridge"),
				 tnode(test, BROKEN, "phb-no-atsd"), -EINVAL);
}

/*
 * Link 3 of a PHB that has one ATSD register (skiboot before 6.2) gets
 * none: that one register would be shared with the GPUs of other links.
 */
static void atsd_not_shared(struct kunit *test)
{
	struct device_node *bridge = broken(test, "good-bridge");
	struct pnv_nvlink2_bridge_info info;

	KUNIT_ASSERT_EQ(test, 0,
			pnv_nvlink2_of_bridge_info(bridge,
						   tnode(test, BROKEN, "phb-one-atsd"),
						   &info));
	KUNIT_EXPECT_EQ(test, 0, info.atsd);
}

/* A PHB without ibm,mmio-atsd: the link has no ATSD register. */
static void atsd_absent(struct kunit *test)
{
	struct device_node *bridge = broken(test, "good-bridge");
	struct pnv_nvlink2_bridge_info info;

	memset(&info, 0x5a, sizeof(info));
	KUNIT_ASSERT_EQ(test, 0,
			pnv_nvlink2_of_bridge_info(bridge,
						   tnode(test, BROKEN, "phb-no-atsd"),
						   &info));
	KUNIT_EXPECT_EQ(test, 0, info.atsd);
}

/* ibm,mmio-atsd of 12 bytes is not a list of u64. */
static void atsd_malformed(struct kunit *test)
{
	expect_bridge_info_fails(test, broken(test, "good-bridge"),
				 tnode(test, BROKEN, "phb-bad-atsd"), -EINVAL);
}

/*
 * iso-gpu: a link to its bridge, two unwired ones, one to a peer GPU, one
 * to the bridge of that peer and one to another GPU.
 */
static void link_mask_unusual_peers(struct kunit *test)
{
	struct device_node *gpu = broken(test, "iso-gpu");
	const struct device_node *group[3] = {
		gpu, tnode(test, BROKEN, "iso-peer"), tnode(test, BROKEN, "good-gpu")
	};
	u32 mask;

	/* Alone: only link 0, to its own bridge, stays. */
	KUNIT_ASSERT_EQ(test, 0, pnv_nvlink2_of_link_mask(gpu, group, 1, &mask));
	KUNIT_EXPECT_EQ(test, 0x3e0000, mask);
	KUNIT_ASSERT_EQ(test, 0, pnv_nvlink2_of_isolation(gpu, &mask));
	KUNIT_EXPECT_EQ(test, 0x3e0000, mask);

	/* With iso-peer: link 2 stays too, not link 4 to the peer's bridge. */
	KUNIT_ASSERT_EQ(test, 0, pnv_nvlink2_of_link_mask(gpu, group, 2, &mask));
	KUNIT_EXPECT_EQ(test, 0x3a0000, mask);

	/* With good-gpu too: link 5 stays. */
	KUNIT_ASSERT_EQ(test, 0, pnv_nvlink2_of_link_mask(gpu, group, 3, &mask));
	KUNIT_EXPECT_EQ(test, 0x1a0000, mask);
}

/*
 * A Sequoia chip without GPU2: links 2 and 3 of GPU0 and GPU1, to GPU2, are
 * unwired (0 in ibm,nvlink-peers). They are cut whatever the group, and
 * the links to the GPU's own bridges, 1 and 5, stay.
 */
static void link_mask_unwired_peer(struct kunit *test)
{
	struct device_node *gpu0 = broken(test, "unwired-gpu0");
	struct device_node *gpu1 = tnode(test, BROKEN, "unwired-gpu1");
	const struct device_node *group[2] = { gpu0, gpu1 };
	u32 mask;

	/* Alone: links 0 and 4 to GPU1 and 2, 3 unwired: bits 16, 18-20. */
	mask = 0xdead;
	KUNIT_ASSERT_EQ(test, 0, pnv_nvlink2_of_link_mask(gpu0, group, 1, &mask));
	KUNIT_EXPECT_EQ(test, 0x1d0000, mask);
	mask = 0xdead;
	KUNIT_ASSERT_EQ(test, 0, pnv_nvlink2_of_isolation(gpu0, &mask));
	KUNIT_EXPECT_EQ(test, 0x1d0000, mask);

	/* With all the GPUs of the chip: only links 2 and 3, bits 18-19. */
	mask = 0xdead;
	KUNIT_ASSERT_EQ(test, 0, pnv_nvlink2_of_link_mask(gpu0, group, 2, &mask));
	KUNIT_EXPECT_EQ(test, 0x0c0000, mask);
	mask = 0xdead;
	KUNIT_ASSERT_EQ(test, 0, pnv_nvlink2_of_link_mask(gpu1, group, 2, &mask));
	KUNIT_EXPECT_EQ(test, 0x0c0000, mask);
}

/*
 * A GPU that is not a V100 SXM2, or whose ibm,nvlink-peers is missing or
 * malformed, is not isolated (so it keeps the shared group), and the mask
 * is left alone.
 */
static void isolation_fails_closed(struct kunit *test)
{
	static const struct {
		const char *name;
		int link_mask;
		int isolation;
	} cases[] = {
		{ "pcie-v100", 0, -EOPNOTSUPP },
		{ "no-ids", 0, -EOPNOTSUPP },
		{ "no-peers", -ENODEV, -ENODEV },
		{ "peers-short", -EINVAL, -EINVAL },
		{ "peers-long", -EINVAL, -EINVAL },
		{ "peers-dangling", -EINVAL, -EINVAL },
		{ "peers-bytes", -EINVAL, -EINVAL },
	};
	const struct device_node *group[1];
	struct device_node *gpu;
	unsigned int i;
	u32 mask;

	broken(test, "good-gpu");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		gpu = tnode(test, BROKEN, cases[i].name);
		group[0] = gpu;
		mask = 0xdead;
		KUNIT_EXPECT_EQ_MSG(test, cases[i].link_mask,
				    pnv_nvlink2_of_link_mask(gpu, group, 1, &mask),
				    "%s", cases[i].name);
		if (cases[i].link_mask)
			KUNIT_EXPECT_EQ_MSG(test, 0xdead, mask, "%s", cases[i].name);
		mask = 0xdead;
		KUNIT_EXPECT_EQ_MSG(test, cases[i].isolation,
				    pnv_nvlink2_of_isolation(gpu, &mask),
				    "%s", cases[i].name);
		KUNIT_EXPECT_EQ_MSG(test, 0xdead, mask, "%s", cases[i].name);
	}
}

/* ------------------------------------------------------------------ */
/* The register sequence, on memory standing in for the 16 MiB BAR0.   */

#define BAR0_SIZE	SZ_16M

static void vfree_action(void *p)
{
	vfree(p);
}

static __le32 *fake_bar0(struct kunit *test)
{
	__le32 *bar = vzalloc(BAR0_SIZE);

	KUNIT_ASSERT_NOT_NULL(test, bar);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, vfree_action, bar));
	return bar;
}

#define REG(bar, off)	((bar)[(off) / 4])

/* Offsets and values from NVIDIA's note, written out here by hand. */
static void v100_cut_links_sequence(struct kunit *test)
{
	__le32 *bar = fake_bar0(test);

	REG(bar, 0x200) = cpu_to_le32(0x00000101);
	REG(bar, 0xa00148) = cpu_to_le32(0x00010000);

	KUNIT_ASSERT_EQ(test, 0,
			pnv_nvlink2_v100_cut_links((void __force __iomem *)bar,
						   0x150000));
	KUNIT_EXPECT_EQ(test, 0x4, le32_to_cpu(REG(bar, 0x12004c)));
	KUNIT_EXPECT_EQ(test, 0x2, le32_to_cpu(REG(bar, 0x122204)));
	KUNIT_EXPECT_EQ(test, 0x02000101, le32_to_cpu(REG(bar, 0x200)));
	KUNIT_EXPECT_EQ(test, 0x00150000 | 0x00010000,
			le32_to_cpu(REG(bar, 0xa00148)));

	/* Nothing else is written. */
	REG(bar, 0x12004c) = 0;
	REG(bar, 0x122204) = 0;
	REG(bar, 0x200) = 0;
	REG(bar, 0xa00148) = 0;
	KUNIT_EXPECT_NULL(test, memchr_inv(bar, 0, BAR0_SIZE));
}

/* A GPU that reads all ones is not there: nothing is written. */
static void v100_cut_links_dead_gpu(struct kunit *test)
{
	__le32 *bar = fake_bar0(test);

	REG(bar, 0x200) = cpu_to_le32(0xffffffff);
	KUNIT_EXPECT_EQ(test, -EIO,
			pnv_nvlink2_v100_cut_links((void __force __iomem *)bar,
						   0x150000));
	REG(bar, 0x200) = 0;
	KUNIT_EXPECT_NULL(test, memchr_inv(bar, 0, BAR0_SIZE));
}

static struct kunit_case nvlink2_test_cases[] = {
	KUNIT_CASE(redbud_roles),
	KUNIT_CASE(redbud_gpu_of_bridge),
	KUNIT_CASE(redbud_bridges_of_gpu),
	KUNIT_CASE(redbud_gpu_info),
	KUNIT_CASE(redbud_bridge_info),
	KUNIT_CASE(redbud_link_masks_isolated),
	KUNIT_CASE(redbud_link_masks_shared),
	KUNIT_CASE(sequoia_roles),
	KUNIT_CASE(sequoia_gpu_of_bridge),
	KUNIT_CASE(sequoia_bridges_of_gpu),
	KUNIT_CASE(sequoia_gpu_info),
	KUNIT_CASE(sequoia_bridge_info),
	KUNIT_CASE(sequoia_link_masks_isolated),
	KUNIT_CASE(sequoia_link_masks_shared),
	KUNIT_CASE(sequoia_link_masks_pairs),
	KUNIT_CASE(good_pair),
	KUNIT_CASE(nvlink1_is_not_nvlink2),
	KUNIT_CASE(plain_node_is_not_nvlink2),
	KUNIT_CASE(dangling_bridge_phandle),
	KUNIT_CASE(gpu_phandle_to_wrong_node),
	KUNIT_CASE(both_roles_is_none),
	KUNIT_CASE(ram_reg_two_ranges),
	KUNIT_CASE(ram_reg_three_address_cells),
	KUNIT_CASE(ram_not_coherent_memory),
	KUNIT_CASE(ram_empty),
	KUNIT_CASE(ram_unaligned),
	KUNIT_CASE(ram_phandle_to_wrong_node),
	KUNIT_CASE(tgt_short),
	KUNIT_CASE(tgt_oversized),
	KUNIT_CASE(tgt_missing),
	KUNIT_CASE(link_speed_missing),
	KUNIT_CASE(link_speed_garbage),
	KUNIT_CASE(link_missing),
	KUNIT_CASE(link_phandle_to_wrong_node),
	KUNIT_CASE(atsd_not_shared),
	KUNIT_CASE(atsd_absent),
	KUNIT_CASE(atsd_malformed),
	KUNIT_CASE(link_mask_unusual_peers),
	KUNIT_CASE(link_mask_unwired_peer),
	KUNIT_CASE(isolation_fails_closed),
	KUNIT_CASE(v100_cut_links_sequence),
	KUNIT_CASE(v100_cut_links_dead_gpu),
	{}
};

static struct kunit_suite nvlink2_test_suite = {
	.name = "powernv-nvlink2",
	.test_cases = nvlink2_test_cases,
};

kunit_test_suite(nvlink2_test_suite);

MODULE_DESCRIPTION("KUnit tests for the powernv NVLink2 platform code");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
