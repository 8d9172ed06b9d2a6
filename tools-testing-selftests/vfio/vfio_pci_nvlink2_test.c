// SPDX-License-Identifier: GPL-2.0-only
/*
 * The regions of nvlink2-vfio-pci: the RAM of an NVIDIA V100 GPU attached
 * to POWER9 by NVLink2, and the ATSD registers of its NVLink bridges.
 *
 * Give it the BDFs of a GPU and of its bridges, bound to nvlink2-vfio-pci:
 *
 *     vfio_pci_nvlink2_test 0004:04:00.0 0007:00:00.0 0007:00:00.1
 *
 * The cases that need a GPU, a bridge with an ATSD register or a bridge
 * without one skip when none of the devices given is one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <linux/compiler.h>
#include <linux/pci_ids.h>
#include <linux/sizes.h>
#include <linux/vfio.h>

#include <libvfio.h>

#include "kselftest_harness.h"

#define ATSD_SIZE	SZ_64K

static const char *gpu_bdf;
static const char *atsd_bdf;	/* a bridge with an ATSD register */
static const char *noatsd_bdf;	/* a bridge without */
static u64 gpu_tgt;

/* The info of region @index with its capability chain. Free with free(). */
static struct vfio_region_info *region_info(int fd, u32 index)
{
	struct vfio_region_info *info;
	u32 argsz = sizeof(*info);

	for (;;) {
		info = calloc_assert(1, argsz);
		info->argsz = argsz;
		info->index = index;
		ioctl_assert(fd, VFIO_DEVICE_GET_REGION_INFO, info);
		if (info->argsz <= argsz)
			return info;
		argsz = info->argsz;
		free(info);
	}
}

static struct vfio_info_cap_header *region_cap(struct vfio_region_info *info,
					       u16 id)
{
	struct vfio_info_cap_header *hdr;
	u32 off, depth = 0;

	if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return NULL;

	for (off = info->cap_offset; off; off = hdr->next) {
		VFIO_ASSERT_GE(off, sizeof(*info));
		VFIO_ASSERT_LE(off + sizeof(*hdr), info->argsz);
		VFIO_ASSERT_LT(depth++, info->argsz / sizeof(*hdr),
			       "capability chain has a cycle\n");
		hdr = (void *)info + off;
		if (hdr->id == id)
			return hdr;
	}

	return NULL;
}

/*
 * The info of the one device region of @type and @subtype of @device, or
 * NULL if it has none; two of them fail the test.
 */
static struct vfio_region_info *find_region(struct vfio_pci_device *device,
					    u32 type, u32 subtype)
{
	struct vfio_region_info_cap_type *cap;
	struct vfio_region_info *info, *found = NULL;
	u32 i;

	for (i = VFIO_PCI_NUM_REGIONS; i < device->info.num_regions; i++) {
		info = region_info(device->fd, i);
		cap = (void *)region_cap(info, VFIO_REGION_INFO_CAP_TYPE);
		if (cap && cap->type == type && cap->subtype == subtype) {
			VFIO_ASSERT_NULL(found, "two regions of type %#x/%u\n",
					 type, subtype);
			found = info;
			continue;
		}
		free(info);
	}

	return found;
}

#define GPU_RAM_TYPE	(VFIO_REGION_TYPE_PCI_VENDOR_TYPE | PCI_VENDOR_ID_NVIDIA)
#define ATSD_TYPE	(VFIO_REGION_TYPE_PCI_VENDOR_TYPE | PCI_VENDOR_ID_IBM)

static struct vfio_region_info *gpu_ram(struct vfio_pci_device *device)
{
	return find_region(device, GPU_RAM_TYPE,
			   VFIO_REGION_SUBTYPE_NVIDIA_NVLINK2_RAM);
}

static struct vfio_region_info *atsd(struct vfio_pci_device *device)
{
	return find_region(device, ATSD_TYPE,
			   VFIO_REGION_SUBTYPE_IBM_NVLINK2_ATSD);
}

static long minor_faults(void)
{
	struct rusage ru;

	VFIO_ASSERT_EQ(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_minflt;
}

/* ------------------------------------------------------------------ */

FIXTURE(nvlink2_gpu) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	struct vfio_region_info *ram;
	long page;
};

FIXTURE_SETUP(nvlink2_gpu)
{
	if (!gpu_bdf)
		SKIP(return, "no NVLink2 GPU among the devices given\n");

	self->page = getpagesize();
	self->iommu = iommu_init(default_iommu_mode);
	self->device = vfio_pci_device_init(gpu_bdf, self->iommu);
	self->ram = gpu_ram(self->device);
	ASSERT_NE(NULL, self->ram);
}

FIXTURE_TEARDOWN(nvlink2_gpu)
{
	free(self->ram);
	vfio_pci_device_cleanup(self->device);
	iommu_cleanup(self->iommu);
}

static void *map_ram(struct vfio_pci_device *device,
		     struct vfio_region_info *ram, size_t size, int flags)
{
	return mmap(NULL, size, PROT_READ | PROT_WRITE, flags, device->fd,
		    ram->offset);
}

/* One GPU RAM region, readable, writable and mappable, with its TGT. */
TEST_F(nvlink2_gpu, ram_region_info)
{
	struct vfio_region_info_cap_nvlink2_ssatgt *tgt;
	struct vfio_region_info *info = self->ram;
	u32 need = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		   VFIO_REGION_INFO_FLAG_MMAP;

	ASSERT_EQ(need, info->flags & need);
	ASSERT_TRUE(info->flags & VFIO_REGION_INFO_FLAG_CAPS);
	ASSERT_NE(0, info->size);
	ASSERT_EQ(0, info->size % self->page);

	tgt = (void *)region_cap(info, VFIO_REGION_INFO_CAP_NVLINK2_SSATGT);
	ASSERT_NE(NULL, tgt);
	ASSERT_EQ(1, tgt->header.version);
	ASSERT_NE(0, tgt->tgt);
	printf("GPU RAM: region %u, size %#llx, tgt %#llx\n", info->index,
	       (unsigned long long)info->size, (unsigned long long)tgt->tgt);
}

/*
 * A buffer too small for the capabilities gets the size they need and no
 * chain; one too small for the info itself is refused.
 */
TEST_F(nvlink2_gpu, region_info_argsz)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info),
		.index = self->ram->index,
	};

	ASSERT_EQ(0, ioctl(self->device->fd, VFIO_DEVICE_GET_REGION_INFO, &info));
	ASSERT_TRUE(info.flags & VFIO_REGION_INFO_FLAG_CAPS);
	ASSERT_EQ(self->ram->argsz, info.argsz);
	ASSERT_LT(sizeof(info), info.argsz);
	ASSERT_EQ(0, info.cap_offset);

	info.argsz = offsetof(struct vfio_region_info, offset) - 1;
	ASSERT_EQ(-1, ioctl(self->device->fd, VFIO_DEVICE_GET_REGION_INFO, &info));
	ASSERT_EQ(EINVAL, errno);
}

/* pwrite() then pread() at the start, the middle, the end, across pages. */
TEST_F(nvlink2_gpu, ram_rw_roundtrip)
{
	u64 size = self->ram->size;
	u64 offsets[] = { 0, size / 2 + 8, size - self->page, self->page - 100 };
	size_t len = self->page;
	char *in = malloc(len), *out = malloc(len);
	int i;

	for (i = 0; i < ARRAY_SIZE(offsets); i++) {
		memset(in, 0x5a + i, len);
		memset(out, 0, len);
		ASSERT_EQ(len, pwrite(self->device->fd, in, len,
				      self->ram->offset + offsets[i]));
		ASSERT_EQ(len, pread(self->device->fd, out, len,
				     self->ram->offset + offsets[i]));
		ASSERT_EQ(0, memcmp(in, out, len));
	}
	free(in);
	free(out);
}

/* At or past the end: EINVAL; across the end: clamped. */
TEST_F(nvlink2_gpu, ram_rw_bounds)
{
	u64 end = self->ram->offset + self->ram->size;
	int fd = self->device->fd;
	char buf[16] = {};

	ASSERT_EQ(-1, pread(fd, buf, 8, end));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, pwrite(fd, buf, 8, end));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, pread(fd, buf, 8, end + self->page));
	ASSERT_EQ(EINVAL, errno);

	ASSERT_EQ(8, pread(fd, buf, sizeof(buf), end - 8));
	ASSERT_EQ(8, pwrite(fd, buf, sizeof(buf), end - 8));
}

/* What pwrite() writes, the mapping sees, and the other way round. */
TEST_F(nvlink2_gpu, ram_mmap_coherent)
{
	u64 size = self->ram->size;
	u64 offsets[] = { 0, size / 2, size - sizeof(u64) };
	u64 val, *p;
	int i;

	p = map_ram(self->device, self->ram, size, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);

	for (i = 0; i < ARRAY_SIZE(offsets); i++) {
		u64 *word = (void *)p + offsets[i];

		*word = 0x1234567800000000ULL + i;
		ASSERT_EQ(sizeof(val), pread(self->device->fd, &val, sizeof(val),
					     self->ram->offset + offsets[i]));
		ASSERT_EQ(*word, val);

		val = ~val;
		ASSERT_EQ(sizeof(val), pwrite(self->device->fd, &val, sizeof(val),
					      self->ram->offset + offsets[i]));
		ASSERT_EQ(val, *word);
	}
	ASSERT_EQ(0, munmap(p, size));
}

TEST_F(nvlink2_gpu, ram_mmap_private_refused)
{
	ASSERT_EQ(MAP_FAILED, map_ram(self->device, self->ram, self->page, MAP_PRIVATE));
	ASSERT_EQ(EINVAL, errno);
}

/* A mapping that does not fit in the region is refused. */
TEST_F(nvlink2_gpu, ram_mmap_outside_refused)
{
	void *p;

	ASSERT_EQ(MAP_FAILED, map_ram(self->device, self->ram, self->ram->size + self->page,
				      MAP_SHARED));
	ASSERT_EQ(EINVAL, errno);

	p = mmap(NULL, self->page, PROT_READ, MAP_SHARED, self->device->fd,
		 self->ram->offset + self->ram->size);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
}

/*
 * One mapping per open: a second one is refused, even once the first is
 * gone; after a close and a new open the RAM maps again.
 */
TEST_F(nvlink2_gpu, ram_mmap_once_per_open)
{
	void *p, *q;

	p = map_ram(self->device, self->ram, self->page, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(MAP_FAILED, map_ram(self->device, self->ram, self->page, MAP_SHARED));
	ASSERT_EQ(EBUSY, errno);
	ASSERT_EQ(0, munmap(p, self->page));
	ASSERT_EQ(MAP_FAILED, map_ram(self->device, self->ram, self->page, MAP_SHARED));
	ASSERT_EQ(EBUSY, errno);

	vfio_pci_device_cleanup(self->device);
	self->device = vfio_pci_device_init(gpu_bdf, self->iommu);
	q = map_ram(self->device, self->ram, self->page, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, munmap(q, self->page));
}

/*
 * GPU RAM DMA-mapped through the container by hand: the library's
 * iommu_map() registers memory first (VFIO_IOMMU_SPAPR_REGISTER_MEMORY),
 * which the GPU RAM mapping, device memory the driver preregisters, must
 * not need. An ordinary page mapped by the library enables the container.
 */
struct ram_dma {
	struct iova_allocator *iovas;
	struct dma_region page;
	u64 iova;
	u64 size;
};

static void ram_dma_map(struct iommu *iommu, void *vaddr, u64 size,
			struct ram_dma *dma)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (u64)vaddr,
		.size = size,
	};

	dma->iovas = iova_allocator_init(iommu);
	dma->page.size = getpagesize();
	dma->page.vaddr = mmap(NULL, dma->page.size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	VFIO_ASSERT_NE(dma->page.vaddr, MAP_FAILED);
	dma->page.iova = iova_allocator_alloc(dma->iovas, dma->page.size);
	iommu_map(iommu, &dma->page);

	map.iova = iova_allocator_alloc(dma->iovas, size);
	ioctl_assert(iommu->container_fd, VFIO_IOMMU_MAP_DMA, &map);
	dma->iova = map.iova;
	dma->size = size;
}

static void ram_dma_unmap(struct iommu *iommu, struct ram_dma *dma)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = dma->iova,
		.size = dma->size,
	};

	ioctl_assert(iommu->container_fd, VFIO_IOMMU_UNMAP_DMA, &unmap);
	iommu_unmap(iommu, &dma->page);
	VFIO_ASSERT_EQ(munmap(dma->page.vaddr, dma->page.size), 0);
	iova_allocator_cleanup(dma->iovas);
}

/* The GPU RAM mapping can be DMA-mapped and unmapped. */
TEST_F(nvlink2_gpu, ram_dma_map)
{
	u64 size = min_t(u64, self->ram->size, SZ_16M);
	struct ram_dma dma;
	void *p;

	if (!iommu_is_spapr(self->iommu))
		SKIP(return, "NVLink2 GPU RAM is for the sPAPR TCE IOMMU\n");

	p = map_ram(self->device, self->ram, size, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ram_dma_map(self->iommu, p, size, &dma);
	ram_dma_unmap(self->iommu, &dma);
	ASSERT_EQ(0, munmap(p, size));
}

/* Unmaps the BARs the library mapped, then closes the device, not its group. */
static void close_device_fd(struct vfio_pci_device *device)
{
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (!device->bars[i].vaddr)
			continue;
		VFIO_ASSERT_EQ(munmap(device->bars[i].vaddr,
				      device->bars[i].info.size), 0);
		device->bars[i].vaddr = NULL;
	}
	VFIO_ASSERT_EQ(close(device->fd), 0);
	device->fd = -1;
}

/*
 * The GPU RAM mapping is the address range that was registered with the
 * IOMMU: it cannot be split (munmap or mprotect of a part) nor moved.
 */
TEST_F(nvlink2_gpu, ram_mapping_stays_whole)
{
	size_t size = 2 * self->page;
	void *p, *q;

	if (self->ram->size < size)
		SKIP(return, "GPU RAM smaller than two pages\n");

	p = map_ram(self->device, self->ram, size, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(-1, munmap(p + self->page, self->page));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, mprotect(p, self->page, PROT_READ));
	ASSERT_EQ(EINVAL, errno);

	q = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(MAP_FAILED, mremap(p, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, q));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, munmap(q, size));

	WRITE_ONCE(*(u64 *)p, 1);
	ASSERT_EQ(0, munmap(p, size));
}

/*
 * GPU RAM still mapped for DMA when the device is closed stays registered
 * with the mm that mapped it: another process cannot open the GPU, this
 * one can but cannot map GPU RAM again, until the DMA mapping is gone.
 */
TEST_F(nvlink2_gpu, ram_dma_mapped_at_close)
{
	u64 size = self->page;
	struct ram_dma dma;
	int status;
	pid_t pid;
	void *p;

	if (!iommu_is_spapr(self->iommu))
		SKIP(return, "NVLink2 GPU RAM is for the sPAPR TCE IOMMU\n");

	p = map_ram(self->device, self->ram, size, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ram_dma_map(self->iommu, p, size, &dma);
	ASSERT_EQ(0, munmap(p, size));
	close_device_fd(self->device);

	/* A child has another mm: the GPU is not its to open. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = ioctl(self->device->group_fd, VFIO_GROUP_GET_DEVICE_FD,
			       gpu_bdf);

		_exit(fd < 0 && errno == EBUSY ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	self->device->fd = ioctl(self->device->group_fd,
				 VFIO_GROUP_GET_DEVICE_FD, gpu_bdf);
	ASSERT_LE(0, self->device->fd);
	ASSERT_EQ(MAP_FAILED, map_ram(self->device, self->ram, size, MAP_SHARED));
	ASSERT_EQ(EBUSY, errno);

	ram_dma_unmap(self->iommu, &dma);
	p = map_ram(self->device, self->ram, size, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, size));
}

/*
 * A reset revokes the mapping, which faults back in afterwards: the
 * process takes a new page fault on a page it had already touched.
 */
TEST_F(nvlink2_gpu, ram_reset_revokes_mapping)
{
	long before;
	u64 *p;

	if (!(self->device->info.flags & VFIO_DEVICE_FLAGS_RESET))
		SKIP(return, "the GPU cannot be reset\n");

	p = map_ram(self->device, self->ram, self->page, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	WRITE_ONCE(*p, 0x5a5a5a5a);

	before = minor_faults();
	READ_ONCE(*p);
	ASSERT_EQ(before, minor_faults());

	vfio_pci_device_reset(self->device);

	before = minor_faults();
	READ_ONCE(*p);
	ASSERT_LT(before, minor_faults());
	ASSERT_EQ(0, munmap(p, self->page));
}

/*
 * Closing the device with its RAM still mapped, then unmapping: the next
 * open maps the same addresses again, so the first mapping's registration
 * with the IOMMU is gone.
 */
TEST_F(nvlink2_gpu, close_with_live_mapping)
{
	void *p, *q;

	p = map_ram(self->device, self->ram, self->page, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	vfio_pci_device_cleanup(self->device);
	WRITE_ONCE(*(u64 *)p, 1);
	ASSERT_EQ(0, munmap(p, self->page));

	self->device = vfio_pci_device_init(gpu_bdf, self->iommu);
	q = mmap(p, self->page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 self->device->fd, self->ram->offset);
	ASSERT_EQ(p, q);
	ASSERT_EQ(0, munmap(q, self->page));
}

/* ------------------------------------------------------------------ */

FIXTURE(nvlink2_bridge) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	struct vfio_region_info *atsd;
};

FIXTURE_VARIANT(nvlink2_bridge) {
	bool has_atsd;
};

FIXTURE_VARIANT_ADD(nvlink2_bridge, atsd) {
	.has_atsd = true,
};

FIXTURE_VARIANT_ADD(nvlink2_bridge, no_atsd) {
	.has_atsd = false,
};

FIXTURE_SETUP(nvlink2_bridge)
{
	const char *bdf = variant->has_atsd ? atsd_bdf : noatsd_bdf;

	if (!bdf)
		SKIP(return, "no NVLink2 bridge %s an ATSD register among the devices given\n",
		     variant->has_atsd ? "with" : "without");

	self->iommu = iommu_init(default_iommu_mode);
	self->device = vfio_pci_device_init(bdf, self->iommu);
	self->atsd = atsd(self->device);
	ASSERT_NE(NULL, self->atsd);
}

FIXTURE_TEARDOWN(nvlink2_bridge)
{
	free(self->atsd);
	vfio_pci_device_cleanup(self->device);
	iommu_cleanup(self->iommu);
}

/*
 * The ATSD region: one 64 KiB register or nothing, and the TGT of the GPU
 * behind the bridge and the link speed either way.
 */
TEST_F(nvlink2_bridge, atsd_region_info)
{
	struct vfio_region_info_cap_nvlink2_ssatgt *tgt;
	struct vfio_region_info_cap_nvlink2_lnkspd *speed;
	struct vfio_region_info *info = self->atsd;

	ASSERT_EQ(variant->has_atsd ? ATSD_SIZE : 0, info->size);

	tgt = (void *)region_cap(info, VFIO_REGION_INFO_CAP_NVLINK2_SSATGT);
	ASSERT_NE(NULL, tgt);
	ASSERT_EQ(1, tgt->header.version);
	if (gpu_bdf)
		ASSERT_EQ(gpu_tgt, tgt->tgt);

	speed = (void *)region_cap(info, VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD);
	ASSERT_NE(NULL, speed);
	ASSERT_EQ(1, speed->header.version);
	ASSERT_EQ(0, speed->__pad);
	printf("ATSD: region %u, size %#llx, tgt %#llx, link speed %#x\n",
	       info->index, (unsigned long long)info->size,
	       (unsigned long long)tgt->tgt, speed->link_speed);
}

/* Exactly the register maps; any other size or offset is refused. */
TEST_F(nvlink2_bridge, atsd_mmap)
{
	int fd = self->device->fd;
	u64 off = self->atsd->offset;
	void *p;

	if (!variant->has_atsd) {
		ASSERT_EQ(MAP_FAILED, mmap(NULL, ATSD_SIZE, PROT_READ, MAP_SHARED,
					   fd, off));
		ASSERT_EQ(EINVAL, errno);
		return;
	}

	p = mmap(NULL, ATSD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, ATSD_SIZE));

	ASSERT_EQ(MAP_FAILED, mmap(NULL, 2 * ATSD_SIZE, PROT_READ, MAP_SHARED,
				   fd, off));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(MAP_FAILED, mmap(NULL, ATSD_SIZE, PROT_READ, MAP_SHARED, fd,
				   off + ATSD_SIZE));
	ASSERT_EQ(EINVAL, errno);
	if (getpagesize() < ATSD_SIZE) {
		ASSERT_EQ(MAP_FAILED, mmap(NULL, getpagesize(), PROT_READ,
					   MAP_SHARED, fd, off));
		ASSERT_EQ(EINVAL, errno);
	}
	ASSERT_EQ(MAP_FAILED, mmap(NULL, ATSD_SIZE, PROT_READ, MAP_PRIVATE,
				   fd, off));
	ASSERT_EQ(EINVAL, errno);
}

/* Reads inside the register work; at its end, or with none, EINVAL. */
TEST_F(nvlink2_bridge, atsd_read)
{
	u64 off = self->atsd->offset;
	int fd = self->device->fd;
	u64 val;

	if (variant->has_atsd)
		ASSERT_EQ(sizeof(val), pread(fd, &val, sizeof(val), off));
	ASSERT_EQ(-1, pread(fd, &val, sizeof(val), off + self->atsd->size));
	ASSERT_EQ(EINVAL, errno);
}

/* ------------------------------------------------------------------ */

/* Sort the devices given into a GPU and bridges with and without ATSD. */
static void find_roles(char **bdfs, int nr)
{
	struct vfio_region_info_cap_nvlink2_ssatgt *tgt;
	struct vfio_pci_device *device;
	struct vfio_region_info *info;
	struct iommu *iommu;
	int i;

	for (i = 0; i < nr; i++) {
		iommu = iommu_init(default_iommu_mode);
		device = vfio_pci_device_init(bdfs[i], iommu);

		info = gpu_ram(device);
		if (info && !gpu_bdf) {
			gpu_bdf = bdfs[i];
			tgt = (void *)region_cap(info, VFIO_REGION_INFO_CAP_NVLINK2_SSATGT);
			gpu_tgt = tgt ? tgt->tgt : 0;
		}
		free(info);

		info = atsd(device);
		if (info && info->size && !atsd_bdf)
			atsd_bdf = bdfs[i];
		else if (info && !info->size && !noatsd_bdf)
			noatsd_bdf = bdfs[i];
		free(info);

		vfio_pci_device_cleanup(device);
		iommu_cleanup(iommu);
	}

	printf("# GPU %s, bridge with ATSD %s, bridge without ATSD %s\n",
	       gpu_bdf ?: "none", atsd_bdf ?: "none", noatsd_bdf ?: "none");
}

int main(int argc, char *argv[])
{
	char **bdfs;
	int nr;

	bdfs = vfio_selftests_get_bdfs(&argc, argv, &nr);
	find_roles(bdfs, nr);

	return test_harness_run(argc, argv);
}
