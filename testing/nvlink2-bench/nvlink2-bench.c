// SPDX-License-Identifier: GPL-2.0
/*
 * nvlink2-bench GPU [BRIDGE...]: figures for the GPU RAM region of
 * nvlink2-vfio-pci, not a test. It opens the GPU and its NVLink bridges
 * (GPU RAM is reachable only while they are all open), maps the region
 * (up to 1 GiB), reads every page once
 * and reports the page faults taken against the pages touched (the
 * 64 KiB-per-fault baseline: one fault per base page) and the time, then
 * the faults that writing every page adds; then
 * MiB/s for reading and writing through the mapping and through
 * pread()/pwrite(). Last, the same reads through a second mapping whose
 * address is 2 MiB past a 1 GiB boundary while the region offset is
 * 1 GiB-aligned: no PUD entry can map it, so the figure is that of PMD
 * faults only (about 512 for 1 GiB with 2 MiB PMDs).
 */
#include <time.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "../include/rig-vfio.h"

#define GIB		(1ULL << 30)
#define CHUNK		(1 << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* Reads one word of every page of @p; the page faults it took. */
static long read_every_page(volatile uint64_t *p, uint64_t size, long page,
			    double *secs)
{
	uint64_t i, sum = 0;
	long f = minflt();
	double t = now();

	for (i = 0; i < size; i += page)
		sum += p[i / sizeof(*p)];
	*secs = now() - t;
	(void)sum;
	return minflt() - f;
}

/* The THPeligible line of the mapping at @addr in /proc/self/smaps. */
static void print_thp_eligible(void *addr)
{
	char line[256], start[32];
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return;
	snprintf(start, sizeof(start), "%lx-", (unsigned long)addr);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') &&
		    strchr(line, '-') < strchr(line, ' '))
			in = !strncmp(line, start, strlen(start));
		else if (in && !strncmp(line, "THPeligible:", 12))
			printf("bench: mapping %s", line);
	}
	fclose(f);
}

static void report(const char *what, double secs, uint64_t bytes)
{
	printf("bench: %-28s %8.1f MiB/s (%llu MiB in %.3f s)\n", what,
	       bytes / secs / (1 << 20), (unsigned long long)(bytes >> 20), secs);
}

int main(int argc, char **argv)
{
	struct vfio_region_info *info;
	uint64_t offset, size, i;
	long page = getpagesize();
	volatile uint64_t *p;
	char *buf;
	double t;
	long f;
	int dev;

	if (argc < 2) {
		fprintf(stderr, "usage: %s GPU [BRIDGE...]\n", argv[0]);
		return 2;
	}
	rig_prog = "nvlink2-bench";
	dev = rig_open_device(argv[1]);
	for (i = 2; i < (uint64_t)argc; i++)
		rig_open_device(argv[i]);
	info = rig_find_region(dev, VFIO_REGION_TYPE_PCI_VENDOR_TYPE | RIG_NVIDIA,
			       VFIO_REGION_SUBTYPE_NVIDIA_NVLINK2_RAM);
	if (!info) {
		fprintf(stderr, "nvlink2-bench: no GPU RAM region\n");
		return 1;
	}
	offset = info->offset;
	size = info->size;
	free(info);
	if (size > GIB)
		size = GIB;

	/* Aligned to the size, so that PMD and PUD faults can happen. */
	p = mmap(NULL, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		rig_die("mmap reserve");
	munmap((void *)p, 2 * size);
	p = (void *)(((uintptr_t)p + size - 1) & ~(size - 1));
	p = mmap((void *)p, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 dev, offset);
	if (p == MAP_FAILED)
		rig_die("mmap of the GPU RAM");

	print_thp_eligible((void *)p);
	/*
	 * First touch by reading, then a write to every page: faults that
	 * install mappings are told apart from those that only mark a
	 * mapped page dirty (the radix MMU faults for that; hash does not).
	 */
	f = read_every_page(p, size, page, &t);
	printf("bench: read-touched %llu pages of %ld KiB (%llu MiB) in %.3f s\n",
	       (unsigned long long)(size / page), page >> 10,
	       (unsigned long long)(size >> 20), t);
	printf("bench: page faults %ld, against a baseline of one per %ld KiB page: %llu (%.1f pages per fault)\n",
	       f, page >> 10, (unsigned long long)(size / page),
	       f ? (double)(size / page) / f : 0.0);
	f = minflt();
	t = now();
	for (i = 0; i < size; i += page)
		p[i / sizeof(*p)] = i;
	t = now() - t;
	f = minflt() - f;
	printf("bench: then wrote every page in %.3f s: %ld more page faults\n",
	       t, f);

	buf = malloc(CHUNK);
	t = now();
	for (i = 0; i < size; i += CHUNK)
		memcpy(buf, (void *)p + i, CHUNK);
	report("read through the mapping", now() - t, size);
	t = now();
	for (i = 0; i < size; i += CHUNK)
		memcpy((void *)p + i, buf, CHUNK);
	report("write through the mapping", now() - t, size);
	t = now();
	for (i = 0; i < size; i += CHUNK)
		if (pread(dev, buf, CHUNK, offset + i) != CHUNK)
			rig_die("pread");
	report("pread()", now() - t, size);
	t = now();
	for (i = 0; i < size; i += CHUNK)
		if (pwrite(dev, buf, CHUNK, offset + i) != CHUNK)
			rig_die("pwrite");
	report("pwrite()", now() - t, size);

	munmap((void *)p, size);

	/* PMD only: the address is 2 MiB off the alignment of the region. */
	p = mmap(NULL, size + GIB + (2 << 20), PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		rig_die("mmap reserve");
	munmap((void *)p, size + GIB + (2 << 20));
	p = (void *)((((uintptr_t)p + GIB - 1) & ~(GIB - 1)) + (2 << 20));
	p = mmap((void *)p, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 dev, offset);
	if (p == MAP_FAILED)
		rig_die("mmap of the GPU RAM, 2 MiB off");
	f = read_every_page(p, size, page, &t);
	printf("bench: 2 MiB off a 1 GiB boundary: read-touched %llu MiB in %.3f s, %ld page faults\n",
	       (unsigned long long)(size >> 20), t, f);
	munmap((void *)p, size);
	free(buf);
	close(dev);
	return 0;
}
