/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * NVLink2 on POWER9 powernv: the device-tree side of the platform facts
 * and of NVLink isolation, visible to their KUnit tests.
 */
#ifndef __POWERNV_NPU_NVLINK_H
#define __POWERNV_NPU_NVLINK_H

#include <linux/of.h>
#include <asm/pnv-pci.h>

#if IS_ENABLED(CONFIG_KUNIT)
enum pnv_nvlink2_role pnv_nvlink2_of_role(const struct device_node *np);
struct device_node *pnv_nvlink2_of_gpu(const struct device_node *bridge);
struct device_node *pnv_nvlink2_of_bridge(const struct device_node *gpu,
					  unsigned int index);
int pnv_nvlink2_of_gpu_info(const struct device_node *gpu,
			    struct pnv_nvlink2_gpu_info *info);
int pnv_nvlink2_of_bridge_info(const struct device_node *bridge,
			       const struct device_node *phb,
			       struct pnv_nvlink2_bridge_info *info);
int pnv_nvlink2_of_link_mask(const struct device_node *gpu,
			     const struct device_node *const *group,
			     unsigned int n, u32 *mask);
int pnv_nvlink2_of_isolation(struct device_node *gpu, u32 *mask);
int pnv_nvlink2_v100_cut_links(void __iomem *bar0, u32 mask);
#endif

#endif /* __POWERNV_NPU_NVLINK_H */
