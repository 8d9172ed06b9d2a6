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
 * without one skip when none of the devices given is one. The devices
 * other than the GPU are its bridges, all of which must be given: GPU RAM
 * is reachable only while all of them are open, and the cases that touch
 * it open them all.
 *
 * GPU RAM: the region is the window firmware reserves for the GPU (128 GiB
 * on an AC922), larger than the RAM on the card (16 or 32 GiB). The cases
 * that touch it skip unless NVLINK2_GPU_RAM_BACKED (environment) gives how
 * many bytes of it they may touch, from its start. They are for the
 * emulated platform of the QEMU rig, which backs the whole region: on real
 * hardware, opening the GPU and its bridges resets them, firmware fences
 * the links, and nothing here trains them again, so GPU RAM would read as
 * machine checks; leave it unset there.
 *
 * A memory failure of GPU RAM is injected through the file that
 * NVLINK2_CORRUPT_OFFSET names, which takes an offset in the GPU RAM
 * window (hwpoison's corrupt-pfn wants struct pages, which GPU RAM has
 * not, and userspace cannot see the page frames of a VM_PFNMAP mapping);
 * without it, that case skips. The EEH reset case takes the platform
 * through an EEH reset of the GPU's PE with the file NVLINK2_EEH_INJECT
 * names, or resets the PE through VFIO_EEH_PE_OP with NVLINK2_EEH=1, and
 * skips without either.
 *
 * The race cases run threads against resets, closes and memory decode
 * changes; the fuzzer makes NVLINK2_FUZZ_CALLS (default 3000) random calls
 * from the seed NVLINK2_FUZZ_SEED, or from the time, and prints the seed.
 * Both touch GPU RAM, so both need NVLINK2_GPU_RAM_BACKED.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

#define MAX_BRIDGES	6

static const char *gpu_bdf;
static const char *atsd_bdf;	/* a bridge with an ATSD register */
static const char *noatsd_bdf;	/* a bridge without */
static const char *bridge_bdfs[MAX_BRIDGES];	/* all the GPU's bridges */
static int nr_bridges;
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
 * The info of the one device region of @type and @subtype of the device
 * @fd with @num_regions regions, or NULL if it has none; two of them fail
 * the test.
 */
static struct vfio_region_info *find_region(int fd, u32 num_regions,
					    u32 type, u32 subtype)
{
	struct vfio_region_info_cap_type *cap;
	struct vfio_region_info *info, *found = NULL;
	u32 i;

	for (i = VFIO_PCI_NUM_REGIONS; i < num_regions; i++) {
		info = region_info(fd, i);
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
	return find_region(device->fd, device->info.num_regions, GPU_RAM_TYPE,
			   VFIO_REGION_SUBTYPE_NVIDIA_NVLINK2_RAM);
}

static struct vfio_region_info *atsd(struct vfio_pci_device *device)
{
	return find_region(device->fd, device->info.num_regions, ATSD_TYPE,
			   VFIO_REGION_SUBTYPE_IBM_NVLINK2_ATSD);
}

/* The part of a GPU RAM region of @size that the tests may touch. */
static u64 ram_backed(u64 size)
{
	const char *env = getenv("NVLINK2_GPU_RAM_BACKED");
	u64 backed = env ? strtoull(env, NULL, 0) : 0;

	return backed < size ? backed : size;
}

#define NO_RAM	"GPU RAM not to be touched: no NVLINK2_GPU_RAM_BACKED\n"

static long minor_faults(void)
{
	struct rusage ru;

	VFIO_ASSERT_EQ(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_minflt;
}

/*
 * Loads and stores that report a SIGBUS instead of dying of it, with the
 * signal's code and address.
 */
static sigjmp_buf sigbus_jmp;
static int sigbus_code;
static void *sigbus_addr;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	WRITE_ONCE(sigbus_code, si->si_code);
	WRITE_ONCE(sigbus_addr, si->si_addr);
	siglongjmp(sigbus_jmp, 1);
}

static bool sigbus_catch(struct sigaction *old)
{
	struct sigaction sa = {
		.sa_sigaction = on_sigbus,
		.sa_flags = SA_SIGINFO,
	};

	WRITE_ONCE(sigbus_code, 0);
	WRITE_ONCE(sigbus_addr, NULL);
	VFIO_ASSERT_EQ(sigaction(SIGBUS, &sa, old), 0);
	return true;
}

/* *@p into @val; false if the load raised SIGBUS. */
static bool load_u64(u64 *p, u64 *val)
{
	struct sigaction old;
	bool ok = false;

	sigbus_catch(&old);
	if (!sigsetjmp(sigbus_jmp, 1)) {
		*val = READ_ONCE(*p);
		ok = true;
	}
	VFIO_ASSERT_EQ(sigaction(SIGBUS, &old, NULL), 0);
	return ok;
}

/* @val into *@p; false if the store raised SIGBUS. */
static bool store_u64(u64 *p, u64 val)
{
	struct sigaction old;
	bool ok = false;

	sigbus_catch(&old);
	if (!sigsetjmp(sigbus_jmp, 1)) {
		WRITE_ONCE(*p, val);
		ok = true;
	}
	VFIO_ASSERT_EQ(sigaction(SIGBUS, &old, NULL), 0);
	return ok;
}

/* Whether a read of *@p takes a page fault, that is, was not mapped. */
static bool faults(u64 *p)
{
	long before = minor_faults();
	u64 val;

	VFIO_ASSERT_TRUE(load_u64(p, &val));
	return minor_faults() != before;
}

static bool can_reset(int fd)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	ioctl_assert(fd, VFIO_DEVICE_GET_INFO, &info);
	return info.flags & VFIO_DEVICE_FLAGS_RESET;
}

/* ------------------------------------------------------------------ */

/*
 * A sibling of the GPU in the tests, a bridge: opened through the GPU's
 * group if they share it (as on a Witherspoon, where a GPU and its
 * bridges are one IOMMU group), in a container of its own if not.
 */
struct sibling {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	int fd;
};

static void sibling_open(struct vfio_pci_device *gpu, const char *bdf,
			 struct sibling *s)
{
	memset(s, 0, sizeof(*s));
	if (sysfs_iommu_group_get(bdf) == sysfs_iommu_group_get(gpu->bdf)) {
		s->fd = ioctl(gpu->group_fd, VFIO_GROUP_GET_DEVICE_FD, bdf);
		VFIO_ASSERT_GE(s->fd, 0);
		return;
	}
	s->iommu = iommu_init(default_iommu_mode);
	s->device = vfio_pci_device_init(bdf, s->iommu);
	s->fd = s->device->fd;
}

static void sibling_close(struct sibling *s)
{
	if (!s->device) {
		VFIO_ASSERT_EQ(close(s->fd), 0);
		return;
	}
	vfio_pci_device_cleanup(s->device);
	iommu_cleanup(s->iommu);
}

/*
 * All the bridges of the GPU, open, as a VMM has them: GPU RAM is reached
 * only then. Opening and closing a device resets it, which takes seconds
 * on the QEMU rig, so the cases open them only to touch GPU RAM.
 */
struct links {
	struct sibling bridge[MAX_BRIDGES];
	bool open;
};

static void links_open(struct vfio_pci_device *gpu, struct links *l)
{
	int i;

	for (i = 0; i < nr_bridges; i++)
		sibling_open(gpu, bridge_bdfs[i], &l->bridge[i]);
	l->open = true;
}

static void links_close(struct links *l)
{
	int i;

	if (!l->open)
		return;
	for (i = 0; i < nr_bridges; i++)
		sibling_close(&l->bridge[i]);
	l->open = false;
}

/* ------------------------------------------------------------------ */

FIXTURE(nvlink2_gpu) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	struct vfio_region_info *ram;
	struct links links;
	u64 backed;
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
	self->backed = ram_backed(self->ram->size);
	self->links.open = false;
}

FIXTURE_TEARDOWN(nvlink2_gpu)
{
	if (!gpu_bdf)
		return;
	links_close(&self->links);
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
	printf("GPU RAM: region %u, size %#llx (touched: %#llx), tgt %#llx\n",
	       info->index, (unsigned long long)info->size,
	       (unsigned long long)self->backed, (unsigned long long)tgt->tgt);
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
	u64 size = self->backed;
	u64 offsets[] = { 0, size / 2 + 8, size - self->page, self->page - 100 };
	size_t len = self->page;
	char *in, *out;
	int i;

	if (!self->backed)
		SKIP(return, NO_RAM);
	links_open(self->device, &self->links);
	in = malloc(len);
	out = malloc(len);

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

/*
 * At or past the end: EINVAL; across the end: clamped, which touches the
 * last bytes of the region, so only where the whole region is backed.
 */
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

	if (self->backed < self->ram->size) {
		TH_LOG("the end of the region may not be touched: no clamped access");
		return;
	}
	links_open(self->device, &self->links);
	ASSERT_EQ(8, pread(fd, buf, sizeof(buf), end - 8));
	ASSERT_EQ(8, pwrite(fd, buf, sizeof(buf), end - 8));
}

/* What pwrite() writes, the mapping sees, and the other way round. */
TEST_F(nvlink2_gpu, ram_mmap_coherent)
{
	u64 size = self->backed;
	u64 offsets[] = { 0, size / 2, size - sizeof(u64) };
	u64 val, *p;
	int i;

	if (!self->backed)
		SKIP(return, NO_RAM);
	links_open(self->device, &self->links);

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
 * One mapping at a time: a second one is refused while the first lives,
 * and allowed once it is gone, whose registration went with it.
 */
TEST_F(nvlink2_gpu, ram_mmap_one_at_a_time)
{
	void *p, *q;

	p = map_ram(self->device, self->ram, self->page, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(MAP_FAILED, map_ram(self->device, self->ram, self->page, MAP_SHARED));
	ASSERT_EQ(EBUSY, errno);
	ASSERT_EQ(0, munmap(p, self->page));

	q = map_ram(self->device, self->ram, self->page, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, munmap(q, self->page));
}

/*
 * The registrations of the sPAPR TCE IOMMU, which QEMU makes for every RAM
 * section of the guest (hw/vfio/spapr.c, vfio_prereg_listener_region_add:
 * VFIO_IOMMU_SPAPR_REGISTER_MEMORY of the GPU RAM mapping whole, once the
 * PHB reset placed it, QEMU 7.2 hw/ppc/spapr_pci_nvlink2.c:209).
 */
static int spapr_register(int container, void *vaddr, u64 size, bool reg)
{
	struct vfio_iommu_spapr_register_memory args = {
		.argsz = sizeof(args),
		.vaddr = (u64)vaddr,
		.size = size,
	};

	return ioctl(container, reg ? VFIO_IOMMU_SPAPR_REGISTER_MEMORY :
				      VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, &args);
}

/*
 * GPU RAM DMA-mapped through the container as QEMU does it: registered
 * first, then mapped where the guest puts a TCE (under TCG, QEMU's
 * emulation of H_PUT_TCE calls VFIO_IOMMU_MAP_DMA). An ordinary page
 * mapped by the library enables the container.
 */
struct ram_dma {
	struct iova_allocator *iovas;
	struct dma_region page;
	void *vaddr;
	u64 iova;
	u64 size;
};

static int dma_map(int container, void *vaddr, u64 size, u64 iova)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (u64)vaddr,
		.size = size,
		.iova = iova,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map);
}

static void ram_dma_map(struct iommu *iommu, void *vaddr, u64 size,
			struct ram_dma *dma)
{
	dma->iovas = iova_allocator_init(iommu);
	dma->page.size = getpagesize();
	dma->page.vaddr = mmap(NULL, dma->page.size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	VFIO_ASSERT_NE(dma->page.vaddr, MAP_FAILED);
	dma->page.iova = iova_allocator_alloc(dma->iovas, dma->page.size);
	iommu_map(iommu, &dma->page);

	VFIO_ASSERT_EQ(spapr_register(iommu->container_fd, vaddr, size, true), 0);
	dma->iova = iova_allocator_alloc(dma->iovas, size);
	VFIO_ASSERT_EQ(dma_map(iommu->container_fd, vaddr, size, dma->iova), 0);
	dma->vaddr = vaddr;
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
	VFIO_ASSERT_EQ(spapr_register(iommu->container_fd, dma->vaddr, dma->size, false), 0);
	iommu_unmap(iommu, &dma->page);
	VFIO_ASSERT_EQ(munmap(dma->page.vaddr, dma->page.size), 0);
	iova_allocator_cleanup(dma->iovas);
}

/* The GPU RAM mapping can be registered, DMA-mapped and unmapped. */
TEST_F(nvlink2_gpu, ram_dma_map)
{
	u64 size = self->backed ? min_t(u64, self->backed, SZ_16M) : self->page;
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

/*
 * Once the mapping is gone, its address is no GPU RAM for the IOMMU: an
 * ordinary mapping put in its place, not registered, cannot be
 * DMA-mapped (the registration, had it outlived the mapping, would have
 * turned that address into GPU RAM for the IOMMU).
 */
TEST_F(nvlink2_gpu, ram_unmap_unregisters)
{
	struct ram_dma dma;
	void *p, *q;

	if (!iommu_is_spapr(self->iommu))
		SKIP(return, "NVLink2 GPU RAM is for the sPAPR TCE IOMMU\n");

	p = map_ram(self->device, self->ram, self->page, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ram_dma_map(self->iommu, p, self->page, &dma);
	ram_dma_unmap(self->iommu, &dma);
	ASSERT_EQ(0, munmap(p, self->page));

	q = mmap(p, self->page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(p, q);
	dma.iovas = iova_allocator_init(self->iommu);
	dma.page.size = self->page;
	dma.page.vaddr = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dma.page.vaddr);
	dma.page.iova = iova_allocator_alloc(dma.iovas, self->page);
	iommu_map(self->iommu, &dma.page);
	ASSERT_EQ(-1, dma_map(self->iommu->container_fd, q, self->page,
			      iova_allocator_alloc(dma.iovas, self->page)));
	iommu_unmap(self->iommu, &dma.page);
	ASSERT_EQ(0, munmap(dma.page.vaddr, self->page));
	iova_allocator_cleanup(dma.iovas);
	ASSERT_EQ(0, munmap(q, self->page));
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

/* Whether a child process, another mm, gets EBUSY opening the GPU. */
static bool other_mm_refused(struct vfio_pci_device *device)
{
	int status;
	pid_t pid;

	pid = fork();
	VFIO_ASSERT_GE(pid, 0);
	if (!pid) {
		int fd = ioctl(device->group_fd, VFIO_GROUP_GET_DEVICE_FD,
			       device->bdf);

		_exit(fd < 0 && errno == EBUSY ? 0 : 1);
	}
	VFIO_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	VFIO_ASSERT_TRUE(WIFEXITED(status));
	return WEXITSTATUS(status) == 0;
}

/*
 * The GPU RAM mapping can be neither split (munmap or mprotect of a part)
 * nor moved, and a fork does not copy it: the registration is of this
 * address range of this mm.
 */
TEST_F(nvlink2_gpu, ram_mapping_stays_whole)
{
	size_t size = 2 * self->page;
	int status;
	pid_t pid;
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

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(mprotect(p, size, PROT_READ) == -1 && errno == ENOMEM ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	if (self->backed) {
		links_open(self->device, &self->links);
		ASSERT_TRUE(store_u64(p, 1));
	}
	ASSERT_EQ(0, munmap(p, size));
}

/*
 * GPU RAM registered and DMA-mapped by QEMU's sequence when the device is
 * closed stays reachable through the container: another process cannot
 * open the GPU, this one can but cannot map GPU RAM again, until the DMA
 * mapping and the registration are gone.
 */
TEST_F(nvlink2_gpu, ram_dma_mapped_at_close)
{
	u64 size = self->page;
	struct ram_dma dma;
	void *p;

	if (!iommu_is_spapr(self->iommu))
		SKIP(return, "NVLink2 GPU RAM is for the sPAPR TCE IOMMU\n");

	p = map_ram(self->device, self->ram, size, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ram_dma_map(self->iommu, p, size, &dma);
	ASSERT_EQ(0, munmap(p, size));
	close_device_fd(self->device);

	ASSERT_TRUE(other_mm_refused(self->device));

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
 * The first process keeps its container, where the GPU RAM range is
 * registered but not DMA-mapped, after closing the GPU and unmapping its
 * RAM: a second process is refused the GPU (the registration would let
 * the first DMA-map the second's GPU RAM through another group of the
 * container) until the first unregisters the range.
 */
TEST_F(nvlink2_gpu, ram_registered_at_close)
{
	u64 size = self->page;
	void *p;

	if (!iommu_is_spapr(self->iommu))
		SKIP(return, "NVLink2 GPU RAM is for the sPAPR TCE IOMMU\n");

	p = map_ram(self->device, self->ram, size, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, spapr_register(self->iommu->container_fd, p, size, true));
	ASSERT_EQ(0, munmap(p, size));
	close_device_fd(self->device);

	ASSERT_TRUE(other_mm_refused(self->device));

	ASSERT_EQ(0, spapr_register(self->iommu->container_fd, p, size, false));
	ASSERT_FALSE(other_mm_refused(self->device));

	self->device->fd = ioctl(self->device->group_fd,
				 VFIO_GROUP_GET_DEVICE_FD, gpu_bdf);
	ASSERT_LE(0, self->device->fd);
}

/*
 * Memory decode does not gate GPU RAM: with PCI_COMMAND_MEMORY clear, as
 * when a guest sizes BARs, the mapping and pread()/pwrite() still work.
 */
TEST_F(nvlink2_gpu, ram_memory_decode_off)
{
	u64 *p, val;

	if (!self->backed)
		SKIP(return, NO_RAM);
	links_open(self->device, &self->links);

	p = map_ram(self->device, self->ram, self->page, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_TRUE(store_u64(p, 0xdec0de0ff));

	vfio_pci_cmd_clear(self->device, PCI_COMMAND_MEMORY);
	ASSERT_TRUE(load_u64(p, &val));
	ASSERT_EQ(0xdec0de0ff, val);
	ASSERT_TRUE(store_u64(p + 1, 0xc0ffee));
	ASSERT_EQ(sizeof(val), pread(self->device->fd, &val, sizeof(val),
				     self->ram->offset + sizeof(val)));
	ASSERT_EQ(0xc0ffee, val);
	val = 0xfeed;
	ASSERT_EQ(sizeof(val), pwrite(self->device->fd, &val, sizeof(val),
				      self->ram->offset));
	ASSERT_TRUE(load_u64(p, &val));
	ASSERT_EQ(0xfeed, val);
	vfio_pci_cmd_set(self->device, PCI_COMMAND_MEMORY);

	ASSERT_EQ(0, munmap(p, self->page));
}

/*
 * GPU RAM is reached over the GPU's links, which its bridges stand for: a
 * bridge that is closed (VFIO disables it, and firmware fences its link)
 * takes the mapping away, faults get SIGBUS and reads and writes EIO,
 * until it is open again.
 */
TEST_F(nvlink2_gpu, ram_needs_every_bridge)
{
	u64 *p, val;

	if (!self->backed)
		SKIP(return, NO_RAM);
	links_open(self->device, &self->links);
	if (!nr_bridges)
		SKIP(return, "no NVLink2 bridge among the devices given\n");

	p = map_ram(self->device, self->ram, self->page, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_TRUE(store_u64(p, 0xb1d6e));

	sibling_close(&self->links.bridge[nr_bridges - 1]);
	ASSERT_FALSE(load_u64(p, &val));
	ASSERT_EQ(-1, pread(self->device->fd, &val, sizeof(val),
			    self->ram->offset));
	ASSERT_EQ(EIO, errno);

	sibling_open(self->device, bridge_bdfs[nr_bridges - 1],
		     &self->links.bridge[nr_bridges - 1]);
	ASSERT_TRUE(store_u64(p, 0xb1d6e));
	ASSERT_TRUE(load_u64(p, &val));
	ASSERT_EQ(0xb1d6e, val);
	ASSERT_EQ(0, munmap(p, self->page));
}

static int eeh_pe_op(int container, u32 op)
{
	struct vfio_eeh_pe_op pe_op = {
		.argsz = sizeof(pe_op),
		.op = op,
	};

	return ioctl(container, VFIO_EEH_PE_OP, &pe_op);
}

/* Write @val to the file @path names. */
static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = -1;

	if (fd >= 0) {
		ret = write(fd, val, strlen(val)) == strlen(val) ? 0 : -1;
		close(fd);
	}
	return ret;
}

/*
 * An EEH reset of the GPU's PE starts (@start) or is deactivated: through
 * the file NVLINK2_EEH_INJECT names, which takes the platform through
 * those steps without a reset, or, with NVLINK2_EEH=1, as a guest asks
 * for one through QEMU 7.2 (hw/ppc/spapr_pci_vfio.c:178-205,
 * spapr_phb_vfio_eeh_reset(): RESET_HOT as the guest asserts the reset,
 * RESET_DEACTIVATE as it deasserts it; :207-215, CONFIGURE).
 */
static int eeh_reset(int container, bool start)
{
	const char *inject = getenv("NVLINK2_EEH_INJECT");

	if (inject)
		return write_file(inject, start ? "1\n" : "0\n");
	if (start)
		return eeh_pe_op(container, VFIO_EEH_PE_RESET_HOT);
	return eeh_pe_op(container, VFIO_EEH_PE_RESET_DEACTIVATE) ||
	       eeh_pe_op(container, VFIO_EEH_PE_CONFIGURE);
}

/*
 * An EEH reset of the GPU's PE goes through neither the PCI core's resets
 * nor VFIO_DEVICE_RESET: the mapping is revoked, and faults get SIGBUS,
 * until the reset is deactivated.
 */
TEST_F(nvlink2_gpu, ram_eeh_reset_revokes_mapping)
{
	int container = self->iommu->container_fd;
	const char *eeh = getenv("NVLINK2_EEH");
	u64 *p, val;

	if (!self->backed)
		SKIP(return, NO_RAM);
	links_open(self->device, &self->links);
	if (!getenv("NVLINK2_EEH_INJECT")) {
		if (!eeh || strcmp(eeh, "1"))
			SKIP(return, "no NVLINK2_EEH_INJECT, no NVLINK2_EEH=1\n");
		if (!iommu_is_spapr(self->iommu) ||
		    ioctl(container, VFIO_CHECK_EXTENSION, VFIO_EEH) != 1)
			SKIP(return, "no EEH through VFIO\n");
		/* hw/ppc/spapr_pci_vfio.c:33-35, at every PHB reset */
		ASSERT_EQ(0, eeh_pe_op(container, VFIO_EEH_PE_ENABLE));
	}

	p = map_ram(self->device, self->ram, self->page, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_TRUE(store_u64(p, 0xee4));

	ASSERT_EQ(0, eeh_reset(container, true));
	ASSERT_FALSE(load_u64(p, &val));
	ASSERT_EQ(-1, pread(self->device->fd, &val, sizeof(val),
			    self->ram->offset));
	ASSERT_EQ(EIO, errno);
	ASSERT_EQ(0, eeh_reset(container, false));
	ASSERT_TRUE(store_u64(p, 0xee5));
	ASSERT_TRUE(load_u64(p, &val));
	ASSERT_EQ(0xee5, val);
	ASSERT_EQ(0, munmap(p, self->page));
}

/*
 * A memory failure of a page of GPU RAM kills, with SIGBUS, the process
 * that maps it, at the address where it does.
 */
TEST_F(nvlink2_gpu, ram_memory_failure)
{
	const char *inject = getenv("NVLINK2_CORRUPT_OFFSET");
	u64 offset = 3 * self->page;
	struct sigaction old;
	char buf[32];
	int fd, len;
	u64 *p;

	if (!inject)
		SKIP(return, "no NVLINK2_CORRUPT_OFFSET to inject a memory failure\n");
	if (self->backed < 4 * self->page)
		SKIP(return, "fewer than four pages of GPU RAM to touch\n");
	links_open(self->device, &self->links);

	p = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->device->fd, self->ram->offset + offset);
	ASSERT_NE(MAP_FAILED, p);
	WRITE_ONCE(*p, 1);

	fd = open(inject, O_WRONLY);
	ASSERT_LE(0, fd);
	len = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)offset);
	sigbus_catch(&old);
	if (!sigsetjmp(sigbus_jmp, 1))
		write(fd, buf, len);
	ASSERT_EQ(0, sigaction(SIGBUS, &old, NULL));
	ASSERT_EQ(0, close(fd));

	ASSERT_EQ(BUS_MCEERR_AR, READ_ONCE(sigbus_code));
	ASSERT_EQ((void *)p, READ_ONCE(sigbus_addr));
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

FIXTURE_SETUP(nvlink2_bridge)
{
	if (!atsd_bdf)
		SKIP(return, "no NVLink2 bridge with an ATSD register among the devices given\n");

	self->iommu = iommu_init(default_iommu_mode);
	self->device = vfio_pci_device_init(atsd_bdf, self->iommu);
	self->atsd = atsd(self->device);
	ASSERT_NE(NULL, self->atsd);
}

FIXTURE_TEARDOWN(nvlink2_bridge)
{
	if (!atsd_bdf)
		return;
	free(self->atsd);
	vfio_pci_device_cleanup(self->device);
	iommu_cleanup(self->iommu);
}

/*
 * The ATSD region: the 64 KiB register, with the TGT of the GPU behind
 * the bridge and the link speed.
 */
TEST_F(nvlink2_bridge, atsd_region_info)
{
	struct vfio_region_info_cap_nvlink2_ssatgt *tgt;
	struct vfio_region_info_cap_nvlink2_lnkspd *speed;
	struct vfio_region_info *info = self->atsd;

	ASSERT_EQ(ATSD_SIZE, info->size);

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

/*
 * A bridge without an ATSD register has no ATSD region: QEMU 4.1 to 8.1
 * would take one that is empty for an NVLink2 bridge and abort
 * (hw/ppc/spapr_pci_nvlink2.c, spapr_phb_pci_collect_nvgpu()).
 */
TEST(bridge_without_atsd)
{
	struct vfio_pci_device *device;
	struct iommu *iommu;

	if (!noatsd_bdf)
		SKIP(return, "no NVLink2 bridge without an ATSD register given\n");

	iommu = iommu_init(default_iommu_mode);
	device = vfio_pci_device_init(noatsd_bdf, iommu);
	ASSERT_EQ(NULL, atsd(device));
	vfio_pci_device_cleanup(device);
	iommu_cleanup(iommu);
}

/* Exactly the register maps; any other size or offset is refused. */
TEST_F(nvlink2_bridge, atsd_mmap)
{
	int fd = self->device->fd;
	u64 off = self->atsd->offset;
	void *p;

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

/* Reads inside the register work; at its end, EINVAL. */
TEST_F(nvlink2_bridge, atsd_read)
{
	u64 off = self->atsd->offset;
	int fd = self->device->fd;
	u64 val;

	ASSERT_EQ(sizeof(val), pread(fd, &val, sizeof(val), off));
	ASSERT_EQ(-1, pread(fd, &val, sizeof(val), off + self->atsd->size));
	ASSERT_EQ(EINVAL, errno);
}

/*
 * Loads through the mapping, which fault the register in, read what
 * pread() reads. Only reads: on hardware a store to the launch register
 * would start a shootdown.
 */
TEST_F(nvlink2_bridge, atsd_mapping_faults)
{
	int fd = self->device->fd;
	u64 *p, val, mapped;
	int off;

	p = mmap(NULL, ATSD_SIZE, PROT_READ, MAP_SHARED, fd, self->atsd->offset);
	ASSERT_NE(MAP_FAILED, p);
	for (off = 0; off < 32; off += sizeof(val)) {
		ASSERT_TRUE(load_u64(p + off / sizeof(val), &mapped));
		ASSERT_EQ(sizeof(val), pread(fd, &val, sizeof(val),
					     self->atsd->offset + off));
		ASSERT_EQ(val, mapped);
	}
	ASSERT_FALSE(faults(p));
	ASSERT_EQ(0, munmap(p, ATSD_SIZE));
}

/* ------------------------------------------------------------------ */

/*
 * Last, the cases that reset the GPU or a bridge through VFIO_DEVICE_RESET:
 * on the QEMU rig those functions reset by a bus reset, which Linux 7.3's
 * vfio-pci makes with memory_lock held; lockdep reports that lock order
 * (vfio-pci-core's, not this driver's) and turns itself off, so as little
 * as possible runs after them.
 */
FIXTURE(nvlink2_bridge_reset) {
	struct iommu *iommu;
	struct vfio_pci_device *gpu;
	struct vfio_region_info *ram;
	struct links links;
	struct sibling *bridge;		/* the one with an ATSD register */
	struct vfio_region_info *atsd;
	long page;
};

FIXTURE_SETUP(nvlink2_bridge_reset)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int i;

	if (!gpu_bdf || !atsd_bdf)
		SKIP(return, "no NVLink2 GPU and bridge with ATSD given\n");

	self->page = getpagesize();
	self->iommu = iommu_init(default_iommu_mode);
	self->gpu = vfio_pci_device_init(gpu_bdf, self->iommu);
	self->ram = gpu_ram(self->gpu);
	ASSERT_NE(NULL, self->ram);
	links_open(self->gpu, &self->links);
	for (i = 0; i < nr_bridges; i++)
		if (bridge_bdfs[i] == atsd_bdf)
			self->bridge = &self->links.bridge[i];
	ASSERT_NE(NULL, self->bridge);
	ioctl_assert(self->bridge->fd, VFIO_DEVICE_GET_INFO, &info);
	self->atsd = find_region(self->bridge->fd, info.num_regions, ATSD_TYPE,
				 VFIO_REGION_SUBTYPE_IBM_NVLINK2_ATSD);
	ASSERT_NE(NULL, self->atsd);
}

FIXTURE_TEARDOWN(nvlink2_bridge_reset)
{
	if (!gpu_bdf || !atsd_bdf)
		return;
	free(self->atsd);
	free(self->ram);
	links_close(&self->links);
	vfio_pci_device_cleanup(self->gpu);
	iommu_cleanup(self->iommu);
}

/*
 * A reset of a bridge of the GPU has firmware fence its link: the GPU's
 * mapping is revoked too, and faults in again after it. Closing the
 * bridge, which disables it, takes GPU RAM away until it is open again.
 */
TEST_F(nvlink2_bridge_reset, ram_revoked)
{
	u64 *p, val;

	if (!ram_backed(self->page))
		SKIP(return, NO_RAM);
	if (!can_reset(self->bridge->fd))
		SKIP(return, "the bridge cannot be reset\n");

	p = map_ram(self->gpu, self->ram, self->page, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_TRUE(store_u64(p, 0xb1d6e));
	ASSERT_FALSE(faults(p));

	ASSERT_EQ(0, ioctl(self->bridge->fd, VFIO_DEVICE_RESET));
	ASSERT_TRUE(faults(p));
	ASSERT_FALSE(faults(p));

	sibling_close(self->bridge);
	ASSERT_FALSE(load_u64(p, &val));
	sibling_open(self->gpu, atsd_bdf, self->bridge);
	ASSERT_TRUE(store_u64(p, 0xb1d6f));
	ASSERT_TRUE(load_u64(p, &val));
	ASSERT_EQ(0xb1d6f, val);
	ASSERT_EQ(0, munmap(p, self->page));
}

/* A reset of the bridge revokes the mapping of its ATSD register. */
TEST_F(nvlink2_bridge_reset, atsd_revoked)
{
	u64 *p;

	if (!can_reset(self->bridge->fd))
		SKIP(return, "the bridge cannot be reset\n");

	p = mmap(NULL, ATSD_SIZE, PROT_READ, MAP_SHARED, self->bridge->fd,
		 self->atsd->offset);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_TRUE(faults(p));
	ASSERT_FALSE(faults(p));
	ASSERT_EQ(0, ioctl(self->bridge->fd, VFIO_DEVICE_RESET));
	ASSERT_TRUE(faults(p));
	ASSERT_EQ(0, munmap(p, ATSD_SIZE));
}

/* ------------------------------------------------------------------ */

/*
 * A reset revokes the mapping, which faults back in afterwards; as QEMU
 * resets (hw/vfio/pci.c vfio_pci_pre_reset(): memory decode off, then
 * VFIO_DEVICE_RESET), which leaves decode off. What GPU RAM holds across
 * a reset is not guaranteed, and not checked.
 */
TEST_F(nvlink2_gpu, ram_reset_revokes_mapping)
{
	u64 *p, val;

	if (!self->backed)
		SKIP(return, NO_RAM);
	links_open(self->device, &self->links);

	if (!can_reset(self->device->fd))
		SKIP(return, "the GPU cannot be reset\n");

	p = map_ram(self->device, self->ram, self->page, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	WRITE_ONCE(*p, 0x5a5a5a5a);
	ASSERT_FALSE(faults(p));

	vfio_pci_cmd_clear(self->device, PCI_COMMAND_MEMORY);
	vfio_pci_device_reset(self->device);

	ASSERT_TRUE(faults(p));
	ASSERT_TRUE(store_u64(p, 0xa5a5a5a5));
	ASSERT_TRUE(load_u64(p, &val));
	ASSERT_EQ(0xa5a5a5a5, val);
	ASSERT_EQ(0, munmap(p, self->page));
}

/* ------------------------------------------------------------------ */

/*
 * Races: worker threads load, store, pread() and pwrite() GPU RAM and
 * read the ATSD register while the main thread resets the GPU, clears its
 * memory decode, resets or closes a bridge, or closes the GPU. Each worker
 * owns the pages whose number modulo the workers is its own, and writes
 * them with the page number in the upper half of the value: a load that
 * finds another page's number, or a value no one wrote, means a fault or
 * a copy reached the wrong page. That check needs GPU RAM to keep what it
 * holds across a reset, as it does on the emulated platform these cases
 * are for. Bounded: RACE_EVENTS events, and at most RACE_OPS operations
 * per worker.
 */
#define RACE_WORKERS	2
#define RACE_PAGES	64
#define RACE_EVENTS	6
#define RACE_OPS	200000
#define RACE_GAP	64	/* operations of the workers between events */

enum race_kind { RACE_GPU_RESET, RACE_DECODE, RACE_BRIDGE_RESET,
		 RACE_BRIDGE_CLOSE, RACE_GPU_CLOSE, RACE_EEH_RESET };

struct race {
	u64 *ram;		/* RACE_PAGES pages of GPU RAM, mapped */
	u64 *atsd;		/* the ATSD register, mapped read-only, or NULL */
	int gpu_fd, atsd_fd;
	u64 ram_off, atsd_off;
	long page;
	bool stop;
	bool stalled;		/* set by the main thread only */
	unsigned long ops;	/* all workers, atomically */
};

struct race_worker {
	struct race *r;
	pthread_t thread;
	int id;
	bool ran_out;		/* stopped at RACE_OPS, not when asked */
	unsigned long ok, sigbus, eio, ebadf, wrong, other;
};

static __thread sigjmp_buf race_jmp;

static void race_on_sigbus(int sig, siginfo_t *si, void *uc)
{
	siglongjmp(race_jmp, 1);
}

static bool race_load(u64 *p, u64 *val)
{
	if (sigsetjmp(race_jmp, 1))
		return false;
	*val = READ_ONCE(*p);
	return true;
}

static bool race_store(u64 *p, u64 val)
{
	if (sigsetjmp(race_jmp, 1))
		return false;
	WRITE_ONCE(*p, val);
	return true;
}

#define RACE_MARK	0xa5000000u	/* so that zeroed RAM never passes */

static u64 race_tag(unsigned int pg, unsigned long n)
{
	return (u64)(RACE_MARK | pg) << 32 | (u32)n;
}

/* Whether @val is one a worker wrote to page @pg. */
static bool race_tagged(u64 val, unsigned int pg)
{
	return val >> 32 == (RACE_MARK | pg);
}

static void race_count(struct race_worker *w, ssize_t ret, size_t want)
{
	if (ret == want)
		w->ok++;
	else if (ret < 0 && errno == EIO)
		w->eio++;
	else if (ret < 0 && errno == EBADF)
		w->ebadf++;
	else
		w->other++;
}

static void *race_work(void *arg)
{
	struct race_worker *w = arg;
	struct race *r = w->r;
	unsigned int seed = w->id + 1;
	ssize_t ret, ret2;
	unsigned long n;
	u64 val, got;

	for (n = 1; n <= RACE_OPS && !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE); n++) {
		unsigned int pg = rand_r(&seed) % (RACE_PAGES / RACE_WORKERS) *
				  RACE_WORKERS + w->id;
		u64 *p = r->ram + pg * (r->page / sizeof(u64));
		u64 off = r->ram_off + pg * r->page;

		val = race_tag(pg, n);
		switch (n % 4) {
		case 0:		/* store, then load, through the mapping */
			if (!race_store(p, val) || !race_load(p, &got)) {
				w->sigbus++;
				break;
			}
			if (got != val)
				w->wrong++;
			else
				w->ok++;
			break;
		case 1:		/* pwrite(), then pread() */
			ret = pwrite(r->gpu_fd, &val, sizeof(val), off);
			race_count(w, ret, sizeof(val));
			got = 0;
			ret2 = pread(r->gpu_fd, &got, sizeof(got), off);
			race_count(w, ret2, sizeof(got));
			if (ret2 == sizeof(got) &&
			    (ret == sizeof(val) ? got != val : !race_tagged(got, pg)))
				w->wrong++;
			break;
		case 2:		/* a load of what was there */
			if (!race_load(p, &got))
				w->sigbus++;
			else if (!race_tagged(got, pg))
				w->wrong++;
			else
				w->ok++;
			break;
		case 3:		/* the ATSD register, both ways */
			if (!r->atsd)
				break;
			if (!race_load(r->atsd, &got))
				w->sigbus++;
			race_count(w, pread(r->atsd_fd, &got, sizeof(got),
					    r->atsd_off), sizeof(got));
			break;
		}
		__atomic_fetch_add(&r->ops, 1, __ATOMIC_RELEASE);
	}
	w->ran_out = n > RACE_OPS;
	return NULL;
}

/*
 * Until the workers made @gap more operations; if they do not within
 * about 10 s, the case fails once they are joined (r->stalled).
 */
static void race_wait(struct race *r, unsigned long gap)
{
	unsigned long from = __atomic_load_n(&r->ops, __ATOMIC_ACQUIRE);
	int i;

	for (i = 0; i < 100000; i++) {
		if (__atomic_load_n(&r->ops, __ATOMIC_ACQUIRE) - from >= gap)
			return;
		usleep(100);
	}
	r->stalled = true;
}

FIXTURE(nvlink2_race) {
	struct iommu *iommu;
	struct vfio_pci_device *gpu;
	struct vfio_region_info *ram;
	struct links links;
	struct sibling *bridge;		/* the one with an ATSD register */
	struct vfio_region_info *atsd;
	struct race r;
	struct race_worker w[RACE_WORKERS];
	struct sigaction old;
	size_t len;
};

FIXTURE_SETUP(nvlink2_race)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct sigaction sa = {
		.sa_sigaction = race_on_sigbus,
		.sa_flags = SA_SIGINFO,
	};
	unsigned int pg;
	int i;

	if (!gpu_bdf || !atsd_bdf)
		SKIP(return, "no NVLink2 GPU and bridge with ATSD given\n");
	self->r.page = getpagesize();
	self->len = RACE_PAGES * self->r.page;
	if (ram_backed(self->len) < self->len)
		SKIP(return, NO_RAM);

	self->iommu = iommu_init(default_iommu_mode);
	self->gpu = vfio_pci_device_init(gpu_bdf, self->iommu);
	self->ram = gpu_ram(self->gpu);
	ASSERT_NE(NULL, self->ram);
	links_open(self->gpu, &self->links);
	for (i = 0; i < nr_bridges; i++)
		if (bridge_bdfs[i] == atsd_bdf)
			self->bridge = &self->links.bridge[i];
	ASSERT_NE(NULL, self->bridge);
	ioctl_assert(self->bridge->fd, VFIO_DEVICE_GET_INFO, &info);
	self->atsd = find_region(self->bridge->fd, info.num_regions, ATSD_TYPE,
				 VFIO_REGION_SUBTYPE_IBM_NVLINK2_ATSD);
	ASSERT_NE(NULL, self->atsd);

	self->r.ram = map_ram(self->gpu, self->ram, self->len, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, self->r.ram);
	self->r.atsd = mmap(NULL, ATSD_SIZE, PROT_READ, MAP_SHARED,
			    self->bridge->fd, self->atsd->offset);
	ASSERT_NE(MAP_FAILED, self->r.atsd);
	self->r.gpu_fd = self->gpu->fd;
	self->r.ram_off = self->ram->offset;
	self->r.atsd_fd = self->bridge->fd;
	self->r.atsd_off = self->atsd->offset;
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, &self->old));
	for (pg = 0; pg < RACE_PAGES; pg++)
		self->r.ram[pg * (self->r.page / sizeof(u64))] = race_tag(pg, 0);
}

FIXTURE_TEARDOWN(nvlink2_race)
{
	if (!gpu_bdf || !atsd_bdf || !self->gpu)
		return;
	sigaction(SIGBUS, &self->old, NULL);
	if (self->r.atsd && self->r.atsd != MAP_FAILED)
		munmap(self->r.atsd, ATSD_SIZE);
	if (self->r.ram && self->r.ram != MAP_FAILED)
		munmap(self->r.ram, self->len);
	free(self->atsd);
	free(self->ram);
	links_close(&self->links);
	vfio_pci_device_cleanup(self->gpu);
	iommu_cleanup(self->iommu);
}

/* The event of @kind, the @n-th time. */
static void race_event(struct _test_data_nvlink2_race *self, enum race_kind kind,
		       int n)
{
	switch (kind) {
	case RACE_GPU_RESET:
		/* As QEMU does: memory decode off, then the reset. */
		vfio_pci_cmd_clear(self->gpu, PCI_COMMAND_MEMORY);
		vfio_pci_device_reset(self->gpu);
		vfio_pci_cmd_set(self->gpu, PCI_COMMAND_MEMORY);
		break;
	case RACE_DECODE:
		if (n % 2)
			vfio_pci_cmd_set(self->gpu, PCI_COMMAND_MEMORY);
		else
			vfio_pci_cmd_clear(self->gpu, PCI_COMMAND_MEMORY);
		break;
	case RACE_BRIDGE_RESET:
		VFIO_ASSERT_EQ(ioctl(self->bridge->fd, VFIO_DEVICE_RESET), 0);
		break;
	case RACE_BRIDGE_CLOSE:
		/* The workers leave the ATSD register alone in this one. */
		sibling_close(self->bridge);
		race_wait(&self->r, RACE_GAP);
		sibling_open(self->gpu, atsd_bdf, self->bridge);
		break;
	case RACE_EEH_RESET:
		/* The platform's steps, as in ram_eeh_reset_revokes_mapping */
		VFIO_ASSERT_EQ(eeh_reset(self->iommu->container_fd, true), 0);
		race_wait(&self->r, RACE_GAP);
		VFIO_ASSERT_EQ(eeh_reset(self->iommu->container_fd, false), 0);
		break;
	case RACE_GPU_CLOSE:
		/* The mapping keeps the device open until it goes. */
		if (n == RACE_EVENTS / 2)
			close_device_fd(self->gpu);
		break;
	}
}

/*
 * Runs the workers through RACE_EVENTS events of @kind, then checks every
 * page with the GPU and its links whole again.
 */
static void race_run(struct __test_metadata *_metadata,
		     struct _test_data_nvlink2_race *self, enum race_kind kind,
		     bool may_fail)
{
	unsigned long ok = 0, sigbus = 0, eio = 0, ebadf = 0, wrong = 0, other = 0;
	bool ran_out = false;
	unsigned int pg;
	u64 val;
	int i;

	if (kind == RACE_BRIDGE_CLOSE) {
		munmap(self->r.atsd, ATSD_SIZE);
		self->r.atsd = NULL;
	}
	for (i = 0; i < RACE_WORKERS; i++) {
		self->w[i] = (struct race_worker){ .r = &self->r, .id = i };
		ASSERT_EQ(0, pthread_create(&self->w[i].thread, NULL, race_work,
					    &self->w[i]));
	}
	for (i = 0; i < RACE_EVENTS; i++) {
		race_wait(&self->r, RACE_GAP);
		race_event(self, kind, i);
	}
	race_wait(&self->r, RACE_GAP);
	__atomic_store_n(&self->r.stop, true, __ATOMIC_RELEASE);
	for (i = 0; i < RACE_WORKERS; i++) {
		ASSERT_EQ(0, pthread_join(self->w[i].thread, NULL));
		ran_out |= self->w[i].ran_out;
		ok += self->w[i].ok;
		sigbus += self->w[i].sigbus;
		eio += self->w[i].eio;
		ebadf += self->w[i].ebadf;
		wrong += self->w[i].wrong;
		other += self->w[i].other;
	}
	printf("# %lu ops: %lu ok, %lu SIGBUS, %lu EIO, %lu EBADF, %lu wrong, %lu other\n",
	       self->r.ops, ok, sigbus, eio, ebadf, wrong, other);
	ASSERT_EQ(0, wrong);
	ASSERT_EQ(0, other);
	ASSERT_LT(0, ok);
	/* Every event happened with the workers running. */
	ASSERT_FALSE(self->r.stalled);
	ASSERT_FALSE(ran_out);
	if (!may_fail) {
		ASSERT_EQ(0, sigbus);
		ASSERT_EQ(0, eio);
	}
	/* The main thread waits with the link down: reads and writes fail. */
	if (kind == RACE_BRIDGE_CLOSE || kind == RACE_EEH_RESET)
		ASSERT_LT(0, eio);
	if (kind != RACE_GPU_CLOSE) {
		ASSERT_EQ(0, ebadf);
	} else {
		ASSERT_LT(0, ebadf);
		/* Unmapped, the GPU closes; it opens and maps again. */
		ASSERT_EQ(0, munmap(self->r.ram, self->len));
		self->r.ram = NULL;
		self->gpu->fd = ioctl(self->gpu->group_fd,
				      VFIO_GROUP_GET_DEVICE_FD, gpu_bdf);
		ASSERT_LE(0, self->gpu->fd);
		self->r.ram = map_ram(self->gpu, self->ram, self->len, MAP_SHARED);
		ASSERT_NE(MAP_FAILED, self->r.ram);
	}

	/* Whole again: every page holds what its worker last wrote there. */
	for (pg = 0; pg < RACE_PAGES; pg++) {
		ASSERT_TRUE(race_load(self->r.ram + pg * (self->r.page / sizeof(u64)),
				      &val));
		ASSERT_TRUE(race_tagged(val, pg));
		ASSERT_EQ(sizeof(val), pread(self->gpu->fd, &val, sizeof(val),
					     self->ram->offset + pg * self->r.page));
		ASSERT_TRUE(race_tagged(val, pg));
	}
}

/* GPU resets, as QEMU makes them: faults wait for the reset, none fails. */
TEST_F_TIMEOUT(nvlink2_race, gpu_reset, 120)
{
	if (!can_reset(self->gpu->fd))
		SKIP(return, "the GPU cannot be reset\n");
	race_run(_metadata, self, RACE_GPU_RESET, false);
}

/* Memory decode on and off: GPU RAM does not depend on it, nothing fails. */
TEST_F_TIMEOUT(nvlink2_race, decode, 120)
{
	race_run(_metadata, self, RACE_DECODE, false);
}

/*
 * Bridge resets: GPU RAM is unreachable while one lasts (SIGBUS, EIO),
 * and reachable, with what it held, after it.
 */
TEST_F_TIMEOUT(nvlink2_race, bridge_reset, 120)
{
	if (!can_reset(self->bridge->fd))
		SKIP(return, "the bridge cannot be reset\n");
	race_run(_metadata, self, RACE_BRIDGE_RESET, true);
}

/*
 * EEH resets of the GPU's PE, through the platform's injector (the QEMU
 * PHB4 does not come back from a real one): unreachable while one lasts,
 * whole after it.
 */
TEST_F_TIMEOUT(nvlink2_race, eeh_reset, 120)
{
	if (!getenv("NVLINK2_EEH_INJECT"))
		SKIP(return, "no NVLINK2_EEH_INJECT\n");
	race_run(_metadata, self, RACE_EEH_RESET, true);
}

/* A bridge closed and opened again: the same, with its link down. */
TEST_F_TIMEOUT(nvlink2_race, bridge_close, 120)
{
	race_run(_metadata, self, RACE_BRIDGE_CLOSE, true);
}

/*
 * The GPU's file closed under the workers: their reads and writes through
 * it get EBADF, the mapping, which holds the device open, keeps working;
 * once it is unmapped the GPU closes, and then opens again.
 */
TEST_F_TIMEOUT(nvlink2_race, gpu_close, 120)
{
	race_run(_metadata, self, RACE_GPU_CLOSE, false);
}

/*
 * A bounded fuzzer of the GPU RAM and ATSD regions: NVLINK2_FUZZ_CALLS
 * (default 3000) random calls, from the seed NVLINK2_FUZZ_SEED or the
 * time, which it prints. Each call is checked against what the driver
 * and VFIO document: region info for any argsz and index, reads and writes
 * around the ends of the regions, mmap with any offset, length and flags,
 * and munmap, mremap and madvise of parts of the mappings, which stay
 * whole. What is read back is what was written, and a mapping reads what
 * pread() reads.
 */
#define FUZZ_MAPS	4
/* vfio-pci puts region N at N << 40 of the device file (VFIO_PCI_OFFSET_SHIFT). */
#define FUZZ_SHIFT	40
#define FUZZ_OFFSET(index)	((u64)(index) << FUZZ_SHIFT)
#define FUZZ_POS_MAX	(FUZZ_OFFSET(1) - 1)

struct fuzz_region {
	int fd;
	u32 num_regions;
	struct vfio_region_info *info;	/* whole, with its capabilities */
	u64 touch;			/* the bytes that may be touched */
	bool ram;
	int seen[32];			/* other regions: first result + 1 */
};

struct fuzz_map {
	struct fuzz_region *reg;
	void *addr;
	size_t len;
	u64 off;			/* in the region */
	bool random;			/* MADV_RANDOM */
};

struct fuzz {
	struct fuzz_region reg[2];
	struct fuzz_map map[FUZZ_MAPS];
	unsigned int seed;
	long page;
	unsigned long calls[5], fails[5];
	const char *what;		/* the last call, for the log */
};

static u64 fuzz_rand(struct fuzz *f, u64 n)
{
	u64 r = (u64)rand_r(&f->seed) << 31 | rand_r(&f->seed);

	return n ? r % n : 0;
}

/* An offset around one of the ends of a region of @size, or anywhere. */
static u64 fuzz_pos(struct fuzz *f, u64 size, u64 align)
{
	u64 k = fuzz_rand(f, 3 * f->page) & ~(align - 1);

	switch (fuzz_rand(f, 5)) {
	case 0:
		return k;
	case 1:
		return size > k ? size - k : 0;
	case 2:
		return size + k;
	case 3:
		return fuzz_rand(f, size) & ~(align - 1);
	default:
		return fuzz_rand(f, 1ULL << 40) & ~(align - 1);
	}
}

static bool fuzz_errno(int ret, int want)
{
	return ret == -1 && errno == want;
}

/* VFIO_DEVICE_GET_REGION_INFO with a random argsz and index. */
static bool fuzz_info(struct fuzz *f, struct fuzz_region *r)
{
	static u64 words[512];
	u8 *buf = (u8 *)words;
	struct vfio_region_info *info = (void *)words;
	u32 argsz = fuzz_rand(f, 2) ? fuzz_rand(f, 64) :
		    fuzz_rand(f, sizeof(words) - 64);
	u32 index = fuzz_rand(f, 4) ? r->info->index :
		    fuzz_rand(f, 2) ? fuzz_rand(f, r->num_regions + 2) :
		    (u32)fuzz_rand(f, 1ULL << 32);
	int ret, i;

	memset(words, 0xa5, sizeof(words));
	info->argsz = argsz;
	info->index = index;
	ret = ioctl(r->fd, VFIO_DEVICE_GET_REGION_INFO, info);
	if (argsz < offsetof(struct vfio_region_info, offset) + sizeof(u64) ||
	    index >= r->num_regions)
		return fuzz_errno(ret, EINVAL);
	/* Another region: always the same answer, 0 or EINVAL. */
	if (index != r->info->index) {
		int got = ret ? (errno == EINVAL ? 2 : 3) : 1;

		if (index >= ARRAY_SIZE(r->seen))
			return got != 3;
		if (!r->seen[index])
			r->seen[index] = got;
		return got != 3 && got == r->seen[index];
	}
	if (ret || info->size != r->info->size ||
	    info->offset != r->info->offset || info->flags != r->info->flags)
		return false;
	/* Nothing written past argsz. */
	for (i = argsz; i < argsz + 64 && i < sizeof(words); i++)
		if (buf[i] != 0xa5)
			return false;
	if (argsz < r->info->argsz)
		return info->argsz == r->info->argsz && !info->cap_offset;
	return info->cap_offset == r->info->cap_offset &&
	       !memcmp((u8 *)info + info->cap_offset,
		       (u8 *)r->info + r->info->cap_offset,
		       r->info->argsz - r->info->cap_offset);
}

/* pread() or pwrite() around the ends, of this region or another. */
static bool fuzz_rw(struct fuzz *f, struct fuzz_region *r)
{
	static const size_t lens[] = { 1, 2, 3, 4, 7, 8, 9, 16, 100 };
	static u8 in[3 * 65536], out[3 * 65536];
	u64 size = r->info->size;
	u64 pos = fuzz_pos(f, size, 1);
	size_t len = fuzz_rand(f, 3) ? lens[fuzz_rand(f, ARRAY_SIZE(lens))] :
		     fuzz_rand(f, 2 * f->page) + 1;
	bool write = fuzz_rand(f, 2);
	u32 index = fuzz_rand(f, 8) ? r->info->index :
		    r->num_regions + fuzz_rand(f, 4);
	u64 off = FUZZ_OFFSET(index) + pos;
	ssize_t want, ret;
	size_t i;

	if (len > sizeof(in))
		len = sizeof(in);
	/* Inside the region, only what may be touched. */
	if (index == r->info->index && pos < size &&
	    (len < size - pos ? pos + len : size) > r->touch) {
		if (r->touch < len)
			return true;
		pos = r->touch - len;
		off = FUZZ_OFFSET(index) + pos;
	}
	if (pos > FUZZ_POS_MAX)
		return true;
	for (i = 0; i < len; i++)
		in[i] = fuzz_rand(f, 256);

	ret = write ? pwrite(r->fd, in, len, off) : pread(r->fd, out, len, off);
	if (index != r->info->index || pos >= size)
		return fuzz_errno(ret, EINVAL);
	want = len < size - pos ? len : size - pos;
	if (ret != want)
		return false;
	if (!write || !r->ram)
		return true;
	/* GPU RAM: read back what was written. */
	return pread(r->fd, out, want, off) == want && !memcmp(in, out, want);
}

static struct fuzz_map *fuzz_find(struct fuzz *f, bool ram)
{
	int i;

	for (i = 0; i < FUZZ_MAPS; i++)
		if (f->map[i].addr && f->map[i].reg->ram == ram)
			return &f->map[i];
	return NULL;
}

/* Whether mmap() failed with @want; a mapping it made anyway goes. */
static bool fuzz_refused(void *p, size_t len, int want)
{
	if (p != MAP_FAILED) {
		munmap(p, len);
		return false;
	}
	return errno == want;
}

/* mmap() with a random offset, length, protection and flags. */
static bool fuzz_mmap(struct fuzz *f, struct fuzz_region *r)
{
	u64 size = r->info->size;
	u64 pos = fuzz_pos(f, size, fuzz_rand(f, 8) ? f->page : 1);
	size_t len = fuzz_rand(f, 4) * f->page;
	int flags = fuzz_rand(f, 4) ? MAP_SHARED : MAP_PRIVATE;
	int prot = fuzz_rand(f, 2) ? PROT_READ : PROT_READ | PROT_WRITE;
	struct fuzz_map *m = NULL;
	bool busy = r->ram && fuzz_find(f, true);
	bool fits;
	void *p;
	int i;

	if (!r->ram && fuzz_rand(f, 2)) {
		pos = 0;
		len = ATSD_SIZE;
	}
	if (r->ram && !fuzz_rand(f, 3))
		pos = 0;
	for (i = 0; i < FUZZ_MAPS && !m; i++)
		if (!f->map[i].addr)
			m = &f->map[i];
	if (!m || pos > FUZZ_POS_MAX)
		return true;

	p = mmap(NULL, len, prot, flags, r->fd, r->info->offset + pos);
	fits = r->ram ? pos < size && len <= size - pos :
			pos == 0 && len == ATSD_SIZE;
	if (!len || pos % f->page || flags == MAP_PRIVATE || !fits)
		return fuzz_refused(p, len, EINVAL);
	if (busy)
		return fuzz_refused(p, len, EBUSY);
	if (p == MAP_FAILED)
		return false;
	*m = (struct fuzz_map){ .reg = r, .addr = p, .len = len, .off = pos };
	return true;
}

/* A mapping reads what pread() reads, at a random page of it. */
static bool fuzz_check_map(struct fuzz *f, struct fuzz_map *m)
{
	u64 at = fuzz_rand(f, m->len / sizeof(u64)) * sizeof(u64);
	u64 val, mapped;

	if (m->reg->ram && m->off + at + sizeof(u64) > m->reg->touch)
		return true;
	f->what = "a load through the mapping, against pread()";
	if (!load_u64(m->addr + at, &mapped))
		return false;
	return pread(m->reg->fd, &val, sizeof(val),
		     m->reg->info->offset + m->off + at) == sizeof(val) &&
	       val == mapped;
}

/* munmap(), mremap() or madvise() of a mapping, whole or a part of it. */
static bool fuzz_vma(struct fuzz *f, struct fuzz_map *m)
{
	size_t pages = m->len / f->page;
	size_t first = fuzz_rand(f, pages), n = fuzz_rand(f, pages - first) + 1;
	bool whole = n == pages;
	void *part = m->addr + first * f->page, *q;
	size_t plen = n * f->page;
	bool random;
	int ret;

	switch (fuzz_rand(f, 5)) {
	case 0:		/* munmap: a part is refused, the whole goes */
		f->what = whole ? "munmap" : "munmap of a part";
		ret = munmap(part, plen);
		if (!whole)
			return fuzz_errno(ret, EINVAL) && fuzz_check_map(f, m);
		if (ret)
			return false;
		m->addr = NULL;
		return true;
	case 1:		/* grow: never */
		f->what = "mremap to grow";
		q = mremap(m->addr, m->len, m->len + f->page, 0);
		return q == MAP_FAILED && errno == EFAULT && fuzz_check_map(f, m);
	case 2:		/* shrink: a split, refused */
		if (pages < 2)
			return true;
		f->what = "mremap to shrink";
		q = mremap(m->addr, m->len, m->len - f->page, 0);
		return q == MAP_FAILED && errno == EINVAL && fuzz_check_map(f, m);
	case 3:		/* MADV_DONTNEED: not for a VM_PFNMAP mapping */
		f->what = "madvise(MADV_DONTNEED)";
		ret = madvise(part, plen, MADV_DONTNEED);
		return fuzz_errno(ret, EINVAL) && fuzz_check_map(f, m);
	default:	/* a change of flags splits a part off: refused */
		random = fuzz_rand(f, 2);
		f->what = whole ? "madvise(MADV_RANDOM/NORMAL)" :
			  "madvise(MADV_RANDOM/NORMAL) of a part";
		ret = madvise(part, plen, random ? MADV_RANDOM : MADV_NORMAL);
		if (whole && !ret)
			m->random = random;
		if (whole || random == m->random)
			return !ret && fuzz_check_map(f, m);
		return fuzz_errno(ret, EINVAL) && fuzz_check_map(f, m);
	}
}

static void fuzz_region_init(struct fuzz_region *r, int fd,
			     struct vfio_region_info *info, bool ram)
{
	struct vfio_device_info dev = { .argsz = sizeof(dev) };

	ioctl_assert(fd, VFIO_DEVICE_GET_INFO, &dev);
	r->fd = fd;
	r->num_regions = dev.num_regions;
	r->info = info;
	r->ram = ram;
	r->touch = ram ? ram_backed(info->size) : info->size;
	VFIO_ASSERT_EQ(info->offset, FUZZ_OFFSET(info->index));
}

TEST_F_TIMEOUT(nvlink2_race, fuzz, 300)
{
	const char *env = getenv("NVLINK2_FUZZ_CALLS");
	unsigned long calls = env ? strtoul(env, NULL, 0) : 3000;
	static const char * const what[] = {
		"region info", "read/write", "mmap", "mapping", "munmap/mremap/madvise"
	};
	struct fuzz f = { .page = self->r.page };
	unsigned long n;
	int i;

	env = getenv("NVLINK2_FUZZ_SEED");
	f.seed = env ? strtoul(env, NULL, 0) : time(NULL);
	printf("# NVLINK2_FUZZ_SEED=%u NVLINK2_FUZZ_CALLS=%lu\n", f.seed, calls);

	/* The fixture's mappings go: one mapping of GPU RAM at a time. */
	ASSERT_EQ(0, munmap(self->r.ram, self->len));
	self->r.ram = NULL;
	ASSERT_EQ(0, munmap(self->r.atsd, ATSD_SIZE));
	self->r.atsd = NULL;
	fuzz_region_init(&f.reg[0], self->gpu->fd, self->ram, true);
	fuzz_region_init(&f.reg[1], self->bridge->fd, self->atsd, false);

	for (n = 0; n < calls; n++) {
		struct fuzz_region *r = &f.reg[fuzz_rand(&f, 2)];
		struct fuzz_map *m = fuzz_find(&f, r->ram);
		int op = fuzz_rand(&f, 5);
		bool ok = true;

		f.what = NULL;
		errno = 0;
		if (op >= 3 && !m)
			op = 2;
		f.calls[op]++;
		switch (op) {
		case 0:
			ok = fuzz_info(&f, r);
			break;
		case 1:
			ok = fuzz_rw(&f, r);
			break;
		case 2:
			ok = fuzz_mmap(&f, r);
			break;
		case 3:
			ok = fuzz_check_map(&f, m);
			break;
		case 4:
			ok = fuzz_vma(&f, m);
			break;
		}
		if (!ok) {
			f.fails[op]++;
			printf("# call %lu (%s on %s: %s): unexpected result, errno %d\n",
			       n, what[op], r->ram ? "GPU RAM" : "ATSD",
			       f.what ?: "", errno);
		}
	}
	for (i = 0; i < ARRAY_SIZE(what); i++)
		printf("# %s: %lu calls, %lu unexpected\n", what[i], f.calls[i], f.fails[i]);
	for (i = 0; i < FUZZ_MAPS; i++)
		if (f.map[i].addr)
			ASSERT_EQ(0, munmap(f.map[i].addr, f.map[i].len));
	for (i = 0; i < ARRAY_SIZE(what); i++)
		ASSERT_EQ(0, f.fails[i]);

	/* Nothing left over: GPU RAM maps again. */
	self->r.ram = map_ram(self->gpu, self->ram, self->len, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, self->r.ram);
}

/* ------------------------------------------------------------------ */

/*
 * QEMU 7.2's use of the GPU, call for call, as Debian 12 ships it, in a
 * child process that exits holding all of it, as QEMU quits (it closes
 * nothing: softmmu/runstate.c qemu_cleanup()); then another process must
 * get the GPU and map its RAM. File and line numbers are QEMU 7.2's.
 */
static int qemu72_pre_reset(int fd, u64 config)
{
	u16 cmd;

	/* hw/vfio/pci.c:2210-2213, vfio_pci_pre_reset() */
	if (pread(fd, &cmd, 2, config + PCI_COMMAND) != 2)
		return 1;
	cmd &= ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		 PCI_COMMAND_INTX_DISABLE);
	if (pwrite(fd, &cmd, 2, config + PCI_COMMAND) != 2)
		return 2;
	/* hw/vfio/pci.c:3230-3235, vfio_pci_reset(): reset_works */
	if (can_reset(fd) && ioctl(fd, VFIO_DEVICE_RESET))
		return 3;
	return 0;
}

static int qemu72_post_reset(int fd, u64 config)
{
	u32 zero = 0;
	int bar;

	/* hw/vfio/pci.c:2226-2235, vfio_pci_post_reset() */
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		if (pwrite(fd, &zero, 4, config + PCI_BASE_ADDRESS_0 + 4 * bar) != 4)
			return 4;
	return 0;
}

/* hw/vfio/spapr.c:144-234, vfio_spapr_create_window(): levels guessed up */
static int qemu72_create_window(int container, u32 page_shift, u64 size)
{
	struct vfio_iommu_spapr_tce_create create = {
		.argsz = sizeof(create),
		.page_shift = page_shift,
		.window_size = size,
		.levels = 1,
	};

	while (ioctl(container, VFIO_IOMMU_SPAPR_TCE_CREATE, &create))
		if (errno != EINVAL || ++create.levels > 5)
			return -1;
	return create.start_addr == 0 ? 0 : -1;
}

/*
 * A bridge, realized after the GPU (-device vfio-pci,host=... in that
 * order), in the GPU's container: hw/vfio/common.c:2267-2279
 * vfio_get_group(), and :1996-2012, vfio_connect_container(), where a
 * group of the same address space joins the container there is;
 * :2340-2350 vfio_get_device(); hw/vfio/pci.c:2639-2654, the regions;
 * :3140-3145 and hw/vfio/pci-quirks.c:1616-1681, vfio_pci_nvlink2_init():
 * the ATSD region, mapped if not empty; without one the bridge is no
 * NVLink2 bridge for QEMU (-ENODEV, silently).
 */
static int qemu72_bridge(int container, int gpu_group, const char *bdf,
			 int *fd, u64 *config)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	struct vfio_region_info *atsd, *cfg;
	int group = gpu_group;
	char path[32];
	u32 i;

	if (sysfs_iommu_group_get(bdf) != sysfs_iommu_group_get(gpu_bdf)) {
		snprintf(path, sizeof(path), "/dev/vfio/%d",
			 sysfs_iommu_group_get(bdf));
		group = open(path, O_RDWR);
		if (group < 0 || ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
		    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
			return 40;
		if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
			return 41;
	}
	*fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (*fd < 0 || ioctl(*fd, VFIO_DEVICE_GET_INFO, &dinfo))
		return 42;
	for (i = 0; i < VFIO_PCI_ROM_REGION_INDEX; i++)
		free(region_info(*fd, i));
	cfg = region_info(*fd, VFIO_PCI_CONFIG_REGION_INDEX);
	*config = cfg->offset;
	free(cfg);

	atsd = find_region(*fd, dinfo.num_regions, ATSD_TYPE,
			   VFIO_REGION_SUBTYPE_IBM_NVLINK2_ATSD);
	if (atsd && atsd->size &&
	    mmap(NULL, atsd->size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd,
		 atsd->offset) == MAP_FAILED)
		return 43;
	free(atsd);
	return 0;
}

/* A system reset resets every device (hw/vfio/pci.c:3214-3251). */
static int qemu72_reset_all(int fd, u64 config, const int *bfd,
			    const u64 *bconfig)
{
	int i;

	if (qemu72_pre_reset(fd, config) || qemu72_post_reset(fd, config))
		return 1;
	for (i = 0; i < nr_bridges; i++)
		if (qemu72_pre_reset(bfd[i], bconfig[i]) ||
		    qemu72_post_reset(bfd[i], bconfig[i]))
			return 1;
	return 0;
}

static int qemu72_guest(const char *bdf, bool touch)
{
	struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	struct vfio_iommu_spapr_tce_remove remove = { .argsz = sizeof(remove) };
	struct vfio_region_info_cap_nvlink2_ssatgt *tgt;
	struct vfio_region_info *ram, *cfg;
	int group, container, fd, page = getpagesize();
	int bfd[MAX_BRIDGES], ret;
	u64 bconfig[MAX_BRIDGES];
	u32 page_shift, i;
	char path[32];
	void *guest_ram;
	u64 *p, val;

	/* hw/vfio/common.c:2267-2279, vfio_get_group() */
	snprintf(path, sizeof(path), "/dev/vfio/%d", sysfs_iommu_group_get(bdf));
	group = open(path, O_RDWR);
	if (group < 0 || ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return 10;

	/* common.c:2016-2023 and 1838-1847, vfio_connect_container() */
	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0 ||
	    ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return 11;
	if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0 ||
	    ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0 ||
	    ioctl(container, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_v2_IOMMU) <= 0)
		return 12;
	/* common.c:1862-1879 */
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU))
		return 13;

	/* common.c:2105-2115: the prereg listener registers guest RAM */
	guest_ram = mmap(NULL, 16 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guest_ram == MAP_FAILED)
		return 14;
	memset(guest_ram, 0, 16 * page);
	{
		struct vfio_iommu_spapr_register_memory reg = {
			.argsz = sizeof(reg),
			.vaddr = (u64)guest_ram,
			.size = 16 * page,
		};

		if (ioctl(container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &reg))
			return 15;
	}

	/* common.c:2117-2142: GET_INFO, then the default window goes */
	if (ioctl(container, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info))
		return 16;
	remove.start_addr = info.dma32_window_start;
	if (ioctl(container, VFIO_IOMMU_SPAPR_TCE_REMOVE, &remove))
		return 17;

	/* common.c:2340-2350, vfio_get_device() */
	fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (fd < 0 || ioctl(fd, VFIO_DEVICE_GET_INFO, &dinfo))
		return 18;
	/* hw/vfio/pci.c:2639-2654, vfio_populate_device(): BARs, config */
	for (i = 0; i < VFIO_PCI_ROM_REGION_INDEX; i++)
		free(region_info(fd, i));
	cfg = region_info(fd, VFIO_PCI_CONFIG_REGION_INDEX);

	/* hw/vfio/pci-quirks.c:1577-1598, vfio_pci_nvidia_v100_ram_init() */
	ram = find_region(fd, dinfo.num_regions, GPU_RAM_TYPE,
			  VFIO_REGION_SUBTYPE_NVIDIA_NVLINK2_RAM);
	if (!ram)
		return 19;
	tgt = (void *)region_cap(ram, VFIO_REGION_INFO_CAP_NVLINK2_SSATGT);
	if (!tgt || !tgt->tgt)
		return 20;
	p = mmap(NULL, ram->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 ram->offset);
	if (p == MAP_FAILED)
		return 21;

	for (i = 0; i < nr_bridges; i++) {
		ret = qemu72_bridge(container, group, bridge_bdfs[i], &bfd[i],
				    &bconfig[i]);
		if (ret)
			return ret;
	}

	/*
	 * The system reset at startup (hw/vfio/pci.c:3214-3251, then
	 * hw/ppc/spapr_pci.c:2074-2094, spapr_phb_reset()): the devices are
	 * reset, then the PHB creates the default window (1 GiB at 0, the
	 * smallest page size the host has, hw/ppc/spapr_pci.c:2067-2070)
	 * and places GPU RAM, which the prereg listener registers whole.
	 */
	if (qemu72_reset_all(fd, cfg->offset, bfd, bconfig))
		return 22;
	page_shift = __builtin_ctzll(info.ddw.pgsizes);
	if (qemu72_create_window(container, page_shift, SZ_1G))
		return 23;
	if (spapr_register(container, p, ram->size, true))
		return 24;

	/*
	 * The guest puts a TCE to its GPU RAM; under TCG QEMU maps it
	 * (hw/ppc/spapr_iommu.c:450-474 put_tce_emu(), then
	 * hw/vfio/common.c:607-659 vfio_iommu_map_notify()). Memory decode
	 * is still off, as the reset left it: the guest uses its RAM.
	 */
	if (dma_map(container, p, page, 0))
		return 25;
	if (touch && (!store_u64(p, 0x72) || !load_u64(p, &val) || val != 0x72))
		return 26;

	/*
	 * A second system reset: the devices first, then the PHB removes
	 * the window (UNMAP_DMA of it whole, TCE_REMOVE), creates it again,
	 * unregisters GPU RAM and registers it again
	 * (hw/ppc/spapr_pci_nvlink2.c:235-265, then 169-233).
	 */
	if (qemu72_reset_all(fd, cfg->offset, bfd, bconfig))
		return 27;
	{
		struct vfio_iommu_type1_dma_unmap unmap = {
			.argsz = sizeof(unmap),
			.iova = 0,
			.size = SZ_1G,
		};

		remove.start_addr = 0;
		if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) ||
		    ioctl(container, VFIO_IOMMU_SPAPR_TCE_REMOVE, &remove))
			return 28;
	}
	if (qemu72_create_window(container, page_shift, SZ_1G) ||
	    spapr_register(container, p, ram->size, false) ||
	    spapr_register(container, p, ram->size, true))
		return 29;
	if (dma_map(container, p, page, 0))
		return 30;
	if (touch && (!store_u64(p, 0x73) || !load_u64(p, &val) || val != 0x73))
		return 31;

	/* Quit: nothing is closed, unmapped or unregistered. */
	return 0;
}

FIXTURE(qemu72) {
};

FIXTURE_SETUP(qemu72)
{
}

FIXTURE_TEARDOWN(qemu72)
{
}

/* Every device is reset twice, which takes seconds on the QEMU rig. */
TEST_F_TIMEOUT(qemu72, sequence, 300)
{
	struct vfio_region_info *ram;
	struct vfio_pci_device *device;
	struct links links;
	struct iommu *iommu;
	bool touch;
	int status;
	pid_t pid;
	u64 *p, val;

	if (!gpu_bdf)
		SKIP(return, "no NVLink2 GPU among the devices given\n");
	touch = ram_backed(getpagesize()) != 0;
	if (!touch)
		TH_LOG("GPU RAM not to be touched: the guest leaves it alone");

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(qemu72_guest(gpu_bdf, touch));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	/* The next user gets the GPU and its bridges, and maps its RAM. */
	iommu = iommu_init(default_iommu_mode);
	device = vfio_pci_device_init(gpu_bdf, iommu);
	links_open(device, &links);
	ram = gpu_ram(device);
	ASSERT_NE(NULL, ram);
	p = map_ram(device, ram, getpagesize(), MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	if (touch) {
		ASSERT_TRUE(store_u64(p, 0x74));
		ASSERT_TRUE(load_u64(p, &val));
		ASSERT_EQ(0x74, val);
	}
	ASSERT_EQ(0, munmap(p, getpagesize()));
	free(ram);
	links_close(&links);
	vfio_pci_device_cleanup(device);
	iommu_cleanup(iommu);
}

/* ------------------------------------------------------------------ */

/*
 * Sort the devices given into a GPU, by its RAM region, and its bridges,
 * the others, with and without an ATSD region. Without a GPU, there are
 * no bridges either.
 */
static void find_roles(char **bdfs, int nr)
{
	struct vfio_region_info_cap_nvlink2_ssatgt *tgt;
	struct vfio_region_info *ram, *info;
	struct vfio_pci_device *device;
	bool has_atsd[MAX_BRIDGES + 1];
	struct iommu *iommu;
	int i;

	VFIO_ASSERT_LE(nr, MAX_BRIDGES + 1);
	for (i = 0; i < nr; i++) {
		iommu = iommu_init(default_iommu_mode);
		device = vfio_pci_device_init(bdfs[i], iommu);

		ram = gpu_ram(device);
		if (ram && !gpu_bdf) {
			gpu_bdf = bdfs[i];
			tgt = (void *)region_cap(ram, VFIO_REGION_INFO_CAP_NVLINK2_SSATGT);
			gpu_tgt = tgt ? tgt->tgt : 0;
		}
		info = atsd(device);
		has_atsd[i] = info && info->size;
		free(info);
		free(ram);

		vfio_pci_device_cleanup(device);
		iommu_cleanup(iommu);
	}

	for (i = 0; gpu_bdf && i < nr; i++) {
		if (bdfs[i] == gpu_bdf)
			continue;
		bridge_bdfs[nr_bridges++] = bdfs[i];
		if (has_atsd[i] && !atsd_bdf)
			atsd_bdf = bdfs[i];
		else if (!has_atsd[i] && !noatsd_bdf)
			noatsd_bdf = bdfs[i];
	}
	for (i = 0; !gpu_bdf && i < nr; i++)
		if (has_atsd[i] && !atsd_bdf)
			atsd_bdf = bdfs[i];

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
