/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rig's VFIO helpers for its own programs (nvlink2-bench, nvlink2-rw):
 * open a device through the legacy group/container API with the sPAPR TCE
 * v2 IOMMU, as QEMU does, and find an NVLink2 region and its capabilities.
 * Each program includes it once; errors end the program with a message.
 */
#ifndef RIG_VFIO_H
#define RIG_VFIO_H

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>

#define RIG_NVIDIA	0x10deU
#define RIG_IBM		0x1014U

static const char *rig_prog = "rig";

static inline void rig_die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", rig_prog, what, strerror(errno));
	exit(1);
}

/* The groups opened so far, so that devices of one group share it. */
static struct {
	char path[PATH_MAX];
	int fd;
} rig_groups[8];
static int rig_nr_groups;

static inline int rig_open_device(const char *bdf)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[PATH_MAX], link[PATH_MAX];
	int container, group = -1, dev, i;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		rig_die(path);
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(link));

	for (i = 0; i < rig_nr_groups; i++)
		if (!strcmp(rig_groups[i].path, path))
			group = rig_groups[i].fd;
	if (group < 0) {
		container = open("/dev/vfio/vfio", O_RDWR);
		group = open(path, O_RDWR);
		if (container < 0 || group < 0 ||
		    ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
		    ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
		    ioctl(container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU))
			rig_die("VFIO group and container");
		if (rig_nr_groups < 8) {
			snprintf(rig_groups[rig_nr_groups].path, PATH_MAX, "%s", path);
			rig_groups[rig_nr_groups++].fd = group;
		}
	}
	dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0)
		rig_die("VFIO_GROUP_GET_DEVICE_FD");
	return dev;
}

/*
 * The device specific region of @dev of @type and @subtype: its info, with
 * the capability chain (free() it), or NULL if the device has none.
 */
static inline struct vfio_region_info *rig_find_region(int dev, uint32_t type,
						uint32_t subtype)
{
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	unsigned int i;

	if (ioctl(dev, VFIO_DEVICE_GET_INFO, &dinfo))
		rig_die("VFIO_DEVICE_GET_INFO");
	for (i = VFIO_PCI_NUM_REGIONS; i < dinfo.num_regions; i++) {
		struct vfio_region_info *info = NULL;
		struct vfio_info_cap_header *hdr;
		uint32_t argsz = sizeof(*info);
		unsigned int off;

		/* Ask again with the size the kernel wants for the chain. */
		do {
			free(info);
			info = calloc(1, argsz);
			if (!info)
				rig_die("calloc");
			info->argsz = argsz;
			info->index = i;
			if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, info))
				rig_die("VFIO_DEVICE_GET_REGION_INFO");
		} while (info->argsz > argsz && (argsz = info->argsz));
		if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS))
			info->cap_offset = 0;
		for (off = info->cap_offset; off; off = hdr->next) {
			if (off < sizeof(*info) || off + sizeof(*hdr) > argsz) {
				errno = EPROTO;
				rig_die("capability chain outside the region info");
			}
			struct vfio_region_info_cap_type *t;

			hdr = (void *)info + off;
			t = (void *)hdr;
			if (hdr->id == VFIO_REGION_INFO_CAP_TYPE &&
			    t->type == type && t->subtype == subtype)
				return info;
		}
		free(info);
	}
	return NULL;
}

/* The capability @id of a region found by rig_find_region(), or NULL. */
static inline void *rig_region_cap(struct vfio_region_info *info, uint16_t id)
{
	struct vfio_info_cap_header *hdr;
	unsigned int off;

	for (off = info->cap_offset; off; off = hdr->next) {
		if (off < sizeof(*info) || off + sizeof(*hdr) > info->argsz)
			return NULL;
		hdr = (void *)info + off;
		if (hdr->id == id)
			return hdr;
	}
	return NULL;
}

#endif
