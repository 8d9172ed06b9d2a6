// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the pure logic of nvlink2-vfio-pci: read and write
 * clamping, the order of the mapping a GPU RAM fault gets, where a memory
 * failure finds a page of GPU RAM in a mapping, and the encoding of the
 * region capabilities.
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

/* At or past the end is -EINVAL. */
static void rw_len_outside(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, -EINVAL, nvlink2_rw_len(SZ_64K, 1, SZ_64K));
	KUNIT_EXPECT_EQ(test, -EINVAL, nvlink2_rw_len(SZ_1M, 1, SZ_64K));
	/* The largest offset a region can have (VFIO_PCI_OFFSET_MASK). */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			nvlink2_rw_len(VFIO_PCI_OFFSET_MASK, 1, SZ_64K));
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

/*
 * A huge mapping must not stick out of the VMA at either end. The VMA
 * starts one page before a PMD boundary and ends one page after the next
 * one, and maps the region from the same offset in a PMD, so that the
 * page frames of every PMD of the address space are aligned: only the
 * edges of the VMA can refuse the first and the last PMD, and the one in
 * between fits.
 */
static void fault_pmd_falls_back_at_vma_edges(struct kunit *test)
{
	unsigned long start = VA + PMD_SIZE - PAGE_SIZE;
	struct vm_area_struct vma;
	unsigned long pfn;

	fake_vma(&vma, start, PMD_SIZE + 2 * PAGE_SIZE,
		 (PMD_SIZE - PAGE_SIZE) >> PAGE_SHIFT);

	/*
	 * The PMD at VA holds the first page of the VMA and the one before;
	 * its page frame, computed from an address below the VMA, is of no
	 * use, but aligned all the same.
	 */
	KUNIT_EXPECT_FALSE(test, nvlink2_fault_pfn(&vma, start, PMD_ORDER,
						   RAM_BASE, &pfn));
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(pfn, 1UL << PMD_ORDER));

	/* The PMD at VA + PMD_SIZE lies inside the VMA. */
	KUNIT_EXPECT_TRUE(test, nvlink2_fault_pfn(&vma, VA + PMD_SIZE + 8,
						  PMD_ORDER, RAM_BASE, &pfn));
	KUNIT_EXPECT_EQ(test, PHYS_PFN(RAM_BASE + PMD_SIZE), pfn);

	/* The PMD at VA + 2 * PMD_SIZE holds the last page of the VMA only. */
	KUNIT_EXPECT_FALSE(test, nvlink2_fault_pfn(&vma, vma.vm_end - PAGE_SIZE,
						   PMD_ORDER, RAM_BASE, &pfn));
	KUNIT_EXPECT_EQ(test, PHYS_PFN(RAM_BASE + 2 * PMD_SIZE), pfn);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(pfn, 1UL << PMD_ORDER));
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

/*
 * A memory failure of GPU RAM finds the file offset of the page in a
 * mapping, which memory_failure() turns into the address to kill.
 */
static void pfn_to_pgoff_inside(struct kunit *test)
{
	struct vm_area_struct vma;
	pgoff_t pgoff;

	fake_vma(&vma, VA, MAP_LEN, 16);
	KUNIT_ASSERT_EQ(test, 0, nvlink2_pfn_to_pgoff(&vma, PHYS_PFN(RAM_BASE) + 16,
						      RAM_BASE, &pgoff));
	KUNIT_EXPECT_EQ(test, vma.vm_pgoff, pgoff);
	KUNIT_ASSERT_EQ(test, 0, nvlink2_pfn_to_pgoff(&vma, PHYS_PFN(RAM_BASE) + 20,
						      RAM_BASE, &pgoff));
	KUNIT_EXPECT_EQ(test, vma.vm_pgoff + 4, pgoff);
	KUNIT_EXPECT_EQ(test, VA + 4 * PAGE_SIZE,
			vma.vm_start + ((pgoff - vma.vm_pgoff) << PAGE_SHIFT));
}

/* A page before the part of the region a mapping maps is not in it. */
static void pfn_to_pgoff_before(struct kunit *test)
{
	struct vm_area_struct vma;
	pgoff_t pgoff = 0;

	fake_vma(&vma, VA, MAP_LEN, 16);
	KUNIT_EXPECT_EQ(test, -EFAULT,
			nvlink2_pfn_to_pgoff(&vma, PHYS_PFN(RAM_BASE) + 15,
					     RAM_BASE, &pgoff));
	KUNIT_EXPECT_EQ(test, -EFAULT,
			nvlink2_pfn_to_pgoff(&vma, PHYS_PFN(RAM_BASE) - 1,
					     RAM_BASE, &pgoff));
	KUNIT_EXPECT_EQ(test, 0, pgoff);
}

/*
 * A page past the end of the mapping is not in it either: memory_failure()
 * would kill a process that does not map the page.
 */
static void pfn_to_pgoff_after(struct kunit *test)
{
	unsigned long last = PHYS_PFN(RAM_BASE) + 16 + MAP_LEN / PAGE_SIZE - 1;
	struct vm_area_struct vma;
	pgoff_t pgoff = 0;

	fake_vma(&vma, VA, MAP_LEN, 16);
	KUNIT_EXPECT_EQ(test, 0, nvlink2_pfn_to_pgoff(&vma, last, RAM_BASE,
						      &pgoff));
	KUNIT_EXPECT_EQ(test, vma.vm_pgoff + MAP_LEN / PAGE_SIZE - 1, pgoff);
	KUNIT_EXPECT_EQ(test, -EFAULT,
			nvlink2_pfn_to_pgoff(&vma, last + 1, RAM_BASE, &pgoff));
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
	KUNIT_CASE(pfn_to_pgoff_inside),
	KUNIT_CASE(pfn_to_pgoff_before),
	KUNIT_CASE(pfn_to_pgoff_after),
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
