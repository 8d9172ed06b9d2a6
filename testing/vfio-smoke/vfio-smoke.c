// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-smoke BDF: open a PCI device through VFIO's group and container
 * interface with the sPAPR TCE v2 IOMMU, as a VMM on powernv does, and
 * print what userspace sees of it, one fact per line: device info,
 * every region with its flags and capability ids, the config space ids,
 * a read through the mmap of the first mappable BAR, and a reset. The
 * rig diffs the output of two drivers bound to the same device.
 *
 * vfio-smoke BDF BAR OFFSET VALUE: the same, then write the 32-bit VALUE
 * at OFFSET of region BAR (a marker the rig finds in QEMU's trace).
 *
 * Exit status: 0 if every step worked, 1 otherwise (the failing step is
 * printed as "FAIL: ...").
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

static int failed;

#define fail(...) do { printf("FAIL: " __VA_ARGS__); putchar('\n'); failed = 1; } while (0)

static int group_of(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = 0;
	return atoi(basename(link));
}

/* Region info with its capability chain, growing argsz as asked. */
static struct vfio_region_info *region_info(int dev, unsigned int index)
{
	struct vfio_region_info *info = calloc(1, sizeof(*info));
	size_t argsz = sizeof(*info);

	for (;;) {
		info->argsz = argsz;
		info->index = index;
		if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, info)) {
			free(info);
			return NULL;
		}
		if (info->argsz <= argsz)
			return info;
		argsz = info->argsz;
		info = realloc(info, argsz);
		memset(info, 0, argsz);
	}
}

static void print_caps(struct vfio_region_info *info)
{
	struct vfio_info_cap_header *hdr;
	unsigned int off;

	if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return;
	for (off = info->cap_offset; off; off = hdr->next) {
		hdr = (void *)info + off;
		printf("  cap id=%u version=%u", hdr->id, hdr->version);
		if (hdr->id == VFIO_REGION_INFO_CAP_TYPE) {
			struct vfio_region_info_cap_type *t = (void *)hdr;

			printf(" type=0x%x subtype=%u", t->type, t->subtype);
		}
		putchar('\n');
	}
}

int main(int argc, char **argv)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	struct vfio_iommu_spapr_tce_info tce = { .argsz = sizeof(tce) };
	int container, group, dev, grp;
	char path[64];
	unsigned int i;
	int mapped = 0;

	if (argc != 2 && argc != 5) {
		fprintf(stderr, "usage: %s BDF [BAR OFFSET VALUE]\n", argv[0]);
		return 2;
	}

	grp = group_of(argv[1]);
	if (grp < 0) {
		fail("%s has no IOMMU group", argv[1]);
		return 1;
	}
	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0 || ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		fail("/dev/vfio/vfio: %s", strerror(errno));
		return 1;
	}
	printf("extension SPAPR_TCE_v2=%d\n",
	       ioctl(container, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_v2_IOMMU));

	snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
	group = open(path, O_RDWR);
	if (group < 0 || ioctl(group, VFIO_GROUP_GET_STATUS, &status)) {
		fail("%s: %s", path, strerror(errno));
		return 1;
	}
	printf("group viable=%d\n", !!(status.flags & VFIO_GROUP_FLAGS_VIABLE));
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU)) {
		fail("container setup: %s", strerror(errno));
		return 1;
	}
	if (ioctl(container, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &tce))
		fail("SPAPR_TCE_GET_INFO: %s", strerror(errno));
	else
		printf("dma32 window 0x%x+0x%x\n", tce.dma32_window_start,
		       tce.dma32_window_size);

	dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, argv[1]);
	if (dev < 0 || ioctl(dev, VFIO_DEVICE_GET_INFO, &dinfo)) {
		fail("device: %s", strerror(errno));
		return 1;
	}
	printf("device flags=0x%x regions=%u irqs=%u\n", dinfo.flags,
	       dinfo.num_regions, dinfo.num_irqs);

	for (i = 0; i < dinfo.num_regions; i++) {
		struct vfio_region_info *info = region_info(dev, i);

		if (!info) {
			printf("region %u: %s\n", i, strerror(errno));
			continue;
		}
		printf("region %u size=0x%llx flags=0x%x\n", i,
		       (unsigned long long)info->size, info->flags);
		print_caps(info);

		if (i == VFIO_PCI_CONFIG_REGION_INDEX) {
			uint16_t ids[2];

			if (pread(dev, ids, sizeof(ids), info->offset) != sizeof(ids))
				fail("config read: %s", strerror(errno));
			else
				printf("config vendor=0x%04x device=0x%04x\n",
				       ids[0], ids[1]);
		}
		if (i <= VFIO_PCI_BAR5_REGION_INDEX && !mapped && info->size &&
		    (info->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
			void *p = mmap(NULL, info->size, PROT_READ, MAP_SHARED,
				       dev, info->offset);

			if (p == MAP_FAILED) {
				fail("mmap of BAR%u: %s", i, strerror(errno));
			} else {
				printf("BAR%u mmap read ok\n", i);
				(void)*(volatile uint32_t *)p;
				munmap(p, info->size);
				mapped = 1;
			}
		}
		free(info);
	}

	if (dinfo.flags & VFIO_DEVICE_FLAGS_RESET) {
		if (ioctl(dev, VFIO_DEVICE_RESET))
			fail("reset: %s", strerror(errno));
		else
			printf("reset ok\n");
	}

	if (argc == 5) {
		unsigned int bar = strtoul(argv[2], NULL, 0);
		uint32_t val = strtoul(argv[4], NULL, 0);
		struct vfio_region_info *info = region_info(dev, bar);
		off_t off = strtoul(argv[3], NULL, 0);

		if (!info || pwrite(dev, &val, sizeof(val),
				    info->offset + off) != sizeof(val))
			fail("write to BAR%u+0x%llx: %s", bar,
			     (unsigned long long)off, strerror(errno));
		else
			printf("wrote 0x%x to BAR%u+0x%llx\n", val, bar,
			       (unsigned long long)off);
		free(info);
	}

	close(dev);
	close(group);
	close(container);
	printf("%s\n", failed ? "vfio-smoke: FAILED" : "vfio-smoke: ok");
	return failed;
}
