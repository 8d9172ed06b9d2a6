// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the pure logic of nvlink2-vfio-pci: read and write
 * clamping, the order of the mapping a GPU RAM fault gets, and the
 * encoding of the region capabilities.
 */

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/vfio_pci_core.h>
#include <kunit/test.h>

#include "nvlink2.h"

static void rw_len_inside(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 16, nvlink2_rw_len(0, 16, SZ_64K));
	KUNIT_EXPECT_EQ(test, 16, nvlink2_rw_len(SZ_32K, 16, SZ_64K));
	KUNIT_EXPECT_EQ(test, 1, nvlink2_rw_len(SZ_64K - 1, 1, SZ_64K));
}

/* A transfer that runs past the end is cut at the end. */
static void rw_len_clamped(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 6, nvlink2_rw_len(SZ_64K - 6, 16, SZ_64K));
	KUNIT_EXPECT_EQ(test, SZ_64K, nvlink2_rw_len(0, SZ_1M, SZ_64K));
	/* No overflow of pos + count. */
	KUNIT_EXPECT_EQ(test, 4, nvlink2_rw_len(SZ_64K - 4, SIZE_MAX, SZ_64K));
}

/* At or past the end, or before the start, is -EINVAL. */
static void rw_len_outside(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, -EINVAL, nvlink2_rw_len(SZ_64K, 1, SZ_64K));
	KUNIT_EXPECT_EQ(test, -EINVAL, nvlink2_rw_len(SZ_1M, 1, SZ_64K));
	KUNIT_EXPECT_EQ(test, -EINVAL, nvlink2_rw_len(-1, 1, SZ_64K));
	/* An empty region (a link without ATSD register) refuses all. */
	KUNIT_EXPECT_EQ(test, -EINVAL, nvlink2_rw_len(0, 1, 0));
}

/*
 * A GPU RAM window and a mapping of it, both aligned far beyond PUD_SIZE
 * (1 GiB with radix, 16 GiB with the hash MMU, both decided at boot).
 */
#define RAM_BASE	0x400000000000ULL
#define VA		0x7e0000000000UL
#define MAP_LEN		(2 * PUD_SIZE)

static void fake_vma(struct vm_area_struct *vma, unsigned long start,
		     unsigned long len, unsigned long region_pgoff)
{
	memset(vma, 0, sizeof(*vma));
	vma->vm_start = start;
	vma->vm_end = start + len;
	/* The region index in the high bits must not reach the pfn. */
	vma->vm_pgoff = (VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_NUM_REGIONS) >>
			 PAGE_SHIFT) + region_pgoff;
}

static void fault_order0_always_fits(struct kunit *test)
{
	struct vm_area_struct vma;
	unsigned long pfn;

	fake_vma(&vma, VA + PAGE_SIZE, 3 * PAGE_SIZE, 0);
	KUNIT_EXPECT_TRUE(test, nvlink2_fault_pfn(&vma, VA + 2 * PAGE_SIZE + 8,
						  0, RAM_BASE, &pfn));
	KUNIT_EXPECT_EQ(test, PHYS_PFN(RAM_BASE) + 1, pfn);
}

static void fault_pmd_fits_when_aligned(struct kunit *test)
{
	struct vm_area_struct vma;
	unsigned long pfn;

	fake_vma(&vma, VA, MAP_LEN, 0);
	KUNIT_EXPECT_TRUE(test, nvlink2_fault_pfn(&vma, VA + PMD_SIZE + 123,
						  PMD_ORDER, RAM_BASE, &pfn));
	KUNIT_EXPECT_EQ(test, PHYS_PFN(RAM_BASE + PMD_SIZE), pfn);
}

static void fault_pud_fits_when_aligned(struct kunit *test)
{
	struct vm_area_struct vma;
	unsigned long pfn;

	fake_vma(&vma, VA, MAP_LEN, 0);
	KUNIT_EXPECT_TRUE(test, nvlink2_fault_pfn(&vma, VA + PUD_SIZE + PAGE_SIZE,
						  PUD_ORDER, RAM_BASE, &pfn));
	KUNIT_EXPECT_EQ(test, PHYS_PFN(RAM_BASE) + (PUD_SIZE >> PAGE_SHIFT),
			pfn);
}

/* A huge mapping must not stick out of the VMA at either end. */
static void fault_pmd_falls_back_at_vma_edges(struct kunit *test)
{
	struct vm_area_struct vma;
	unsigned long pfn;

	/* The VMA starts one page into a PMD: its first PMD does not fit. */
	fake_vma(&vma, VA + PAGE_SIZE, MAP_LEN, 0);
	KUNIT_EXPECT_FALSE(test, nvlink2_fault_pfn(&vma, VA + PAGE_SIZE,
						   PMD_ORDER, RAM_BASE, &pfn));
	/* ... nor its last, which runs one page past the end. */
	KUNIT_EXPECT_FALSE(test, nvlink2_fault_pfn(&vma, VA + MAP_LEN,
						   PMD_ORDER, RAM_BASE, &pfn));
}

/* A mapping at an offset that breaks the pfn's alignment falls back. */
static void fault_pmd_falls_back_on_pfn_alignment(struct kunit *test)
{
	struct vm_area_struct vma;
	unsigned long pfn;

	fake_vma(&vma, VA, MAP_LEN, 1);
	KUNIT_EXPECT_FALSE(test, nvlink2_fault_pfn(&vma, VA, PMD_ORDER,
						   RAM_BASE, &pfn));
	KUNIT_EXPECT_TRUE(test, nvlink2_fault_pfn(&vma, VA, 0, RAM_BASE, &pfn));
	KUNIT_EXPECT_EQ(test, PHYS_PFN(RAM_BASE) + 1, pfn);
}

static void caps_ssatgt_encoding(struct kunit *test)
{
	struct vfio_info_cap caps = {};
	struct vfio_region_info_cap_nvlink2_ssatgt *cap;

	KUNIT_ASSERT_EQ(test, 0, nvlink2_add_tgt_cap(&caps, 0x123456789abc0000ULL));
	KUNIT_ASSERT_NOT_NULL(test, caps.buf);
	KUNIT_EXPECT_EQ(test, 16, caps.size);
	cap = (void *)caps.buf;
	KUNIT_EXPECT_EQ(test, VFIO_REGION_INFO_CAP_NVLINK2_SSATGT, cap->header.id);
	KUNIT_EXPECT_EQ(test, 1, cap->header.version);
	KUNIT_EXPECT_EQ(test, 0, cap->header.next);
	KUNIT_EXPECT_EQ(test, 0x123456789abc0000ULL, cap->tgt);
	kfree(caps.buf);
}

/* The ATSD region's chain: SSATGT then LNKSPD, padding zeroed. */
static void caps_bridge_chain(struct kunit *test)
{
	struct vfio_region_info_cap_nvlink2_lnkspd *lnkspd;
	struct vfio_info_cap caps = {};
	struct vfio_info_cap_header *first;

	KUNIT_ASSERT_EQ(test, 0, nvlink2_add_tgt_cap(&caps, 0x20000000000ULL));
	KUNIT_ASSERT_EQ(test, 0, nvlink2_add_lnkspd_cap(&caps, 0x9));
	KUNIT_EXPECT_EQ(test, 32, caps.size);

	first = (void *)caps.buf;
	KUNIT_EXPECT_EQ(test, 16, first->next);
	lnkspd = (void *)caps.buf + 16;
	KUNIT_EXPECT_EQ(test, VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD,
			lnkspd->header.id);
	KUNIT_EXPECT_EQ(test, 1, lnkspd->header.version);
	KUNIT_EXPECT_EQ(test, 0, lnkspd->header.next);
	KUNIT_EXPECT_EQ(test, 0x9, lnkspd->link_speed);
	KUNIT_EXPECT_EQ(test, 0, lnkspd->__pad);
	kfree(caps.buf);
}

static struct kunit_case nvlink2_vfio_test_cases[] = {
	KUNIT_CASE(rw_len_inside),
	KUNIT_CASE(rw_len_clamped),
	KUNIT_CASE(rw_len_outside),
	KUNIT_CASE(fault_order0_always_fits),
	KUNIT_CASE(fault_pmd_fits_when_aligned),
	KUNIT_CASE(fault_pud_fits_when_aligned),
	KUNIT_CASE(fault_pmd_falls_back_at_vma_edges),
	KUNIT_CASE(fault_pmd_falls_back_on_pfn_alignment),
	KUNIT_CASE(caps_ssatgt_encoding),
	KUNIT_CASE(caps_bridge_chain),
	{}
};

static struct kunit_suite nvlink2_vfio_test_suite = {
	.name = "nvlink2-vfio-pci",
	.test_cases = nvlink2_vfio_test_cases,
};

kunit_test_suite(nvlink2_vfio_test_suite);

MODULE_DESCRIPTION("KUnit tests for nvlink2-vfio-pci");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
