/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * NVLink2 on POWER9 powernv: what the npu-nvlink*.c files share, and
 * what their KUnit tests see.
 */
#ifndef __POWERNV_NPU_NVLINK_H
#define __POWERNV_NPU_NVLINK_H

#include <linux/of.h>
#include <asm/iommu.h>
#include <asm/pnv-pci.h>

struct eeh_ops;
struct mm_struct;
struct pnv_ioda_pe;

/* npu-nvlink.c: the device-tree facts */
enum pnv_nvlink2_role pnv_nvlink2_of_role(const struct device_node *np);
struct device_node *pnv_nvlink2_of_gpu(const struct device_node *bridge);
struct device_node *pnv_nvlink2_of_bridge(const struct device_node *gpu,
					  unsigned int index);

/* npu-nvlink-owner.c: who owns a GPU */
int pnv_nvlink2_owner_host(struct device_node *np, u64 opal_id, u16 bdf,
			   bool bind);
void pnv_nvlink2_owner_links_up(struct device_node *np, int err);
bool pnv_nvlink2_owner_links_are_up(struct device_node *np);

/* npu-nvlink-isolate.c: the isolation of the links between GPUs */
bool pnv_nvlink2_gpu_isolated(struct device_node *gpu);
void pnv_nvlink2_isolate_reset(struct pci_dev *pdev);

/* Witherspoon: up to three GPUs per NPU, with an NPU PE each. */
#define NVLINK2_GROUP_MAX_PES	8

/*
 * npu-nvlink-iommu.c: a compound table group, the iommudata of the IOMMU
 * group of NVLink2 GPUs and their bridges.
 */
struct nvlink2_group {
	struct iommu_table_group table_group;
	struct device_node *key;	/* what the policy groups by */
	struct list_head list;		/* in nvlink2_groups */
	unsigned int nr_pes;
	struct pnv_ioda_pe *pes[NVLINK2_GROUP_MAX_PES];
};

#if IS_ENABLED(CONFIG_KUNIT)
int pnv_nvlink2_of_gpu_info(const struct device_node *gpu,
			    struct pnv_nvlink2_gpu_info *info);
int pnv_nvlink2_of_bridge_info(const struct device_node *bridge,
			       const struct device_node *phb,
			       struct pnv_nvlink2_bridge_info *info);

s64 pnv_npu_opal_map_lpar(u64 phb_id, u64 bdf, u64 lpid);
s64 pnv_npu_opal_init_context(u64 phb_id, u64 msr, u64 bdf);
s64 pnv_npu_opal_destroy_context(u64 phb_id, u64 bdf);
int pnv_nvlink2_lpar_bind(u64 opal_id, u16 bdf, u64 lpid, unsigned long msr);
int pnv_nvlink2_lpar_unbind(u64 opal_id, u16 bdf);
int pnv_nvlink2_owner_bind_guest(struct device_node *np, u64 opal_id,
				 u16 bdf, u64 lpid);
int pnv_nvlink2_owner_unbind_guest(struct device_node *np, u64 opal_id,
				   u16 bdf);
int pnv_nvlink2_owner_claim(struct device_node *np, u64 opal_id, u16 bdf,
			    struct mm_struct *mm);

s64 pnv_npu_opal_map_window(u64 phb_id, u16 pe, u16 levels, u64 table,
			    u64 size, u64 page_size);
s64 pnv_npu_opal_map_window_real(u64 phb_id, u16 pe, u64 size);
s64 pnv_npu_opal_tce_kill(u64 phb_id, u16 pe);
extern struct iommu_table_group_ops pnv_npu_pe_ops;
extern struct iommu_table_group_ops pnv_nvlink2_group_ops;
int pnv_npu_pe_init(struct pnv_ioda_pe *npe);
void pnv_npu_host_setup(struct pnv_ioda_pe *npe);

int pnv_nvlink2_of_link_mask(const struct device_node *gpu,
			     const struct device_node *const *group,
			     unsigned int n, u32 *mask);
int pnv_nvlink2_of_isolation(struct device_node *gpu, u32 *mask);
int pnv_nvlink2_v100_cut_links(void __iomem *bar0, u32 mask);
int pnv_nvlink2_cut(struct pci_dev *pdev, u32 mask);
bool pnv_nvlink2_set_isolate(bool on);
struct eeh_ops *pnv_nvlink2_eeh_ops(void);
#endif

#endif /* __POWERNV_NPU_NVLINK_H */
