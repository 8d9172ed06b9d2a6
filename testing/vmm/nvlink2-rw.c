// SPDX-License-Identifier: GPL-2.0
/*
 * nvlink2-rw GPU BRIDGE... [-- OP...]: the host's side of the rig's vmm
 * step. It opens the GPU and all of its NVLink bridges through
 * nvlink2-vfio-pci (GPU RAM is reachable only while they are all open) and
 * prints what the regions' capabilities say:
 *
 *   ram size=SIZE tgt=TGT                    (GPU RAM region, SSATGT)
 *   atsd BDF size=SIZE tgt=TGT speed=SPEED   (ATSD region, SSATGT, LNKSPD)
 *   atsd BDF none                            (a bridge without the region)
 *
 * then does each OP with pread()/pwrite() on the region, 8 bytes at a
 * time, the value written and printed as the 8 bytes in memory order (a
 * big-endian hex number, as gdbmem prints guest memory):
 *
 *   ram:OFF[=VALUE]        GPU RAM at OFF (a negative OFF counts from
 *                          the end: ram:-8 is the last 8 bytes)
 *   atsd@BDF:OFF[=VALUE]   the ATSD register of bridge BDF
 *
 * A read prints "OP VALUE". Exit status 1 on the first error.
 */
#include "../include/rig-vfio.h"

struct dev {
	const char *bdf;
	int fd;
	struct vfio_region_info *region;
};

static void print_caps(const char *what, const char *bdf,
		       struct vfio_region_info *info)
{
	struct vfio_region_info_cap_nvlink2_ssatgt *tgt;
	struct vfio_region_info_cap_nvlink2_lnkspd *spd;

	tgt = rig_region_cap(info, VFIO_REGION_INFO_CAP_NVLINK2_SSATGT);
	spd = rig_region_cap(info, VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD);
	printf("%s%s%s size=0x%llx", what, bdf ? " " : "", bdf ? bdf : "",
	       (unsigned long long)info->size);
	if (tgt)
		printf(" tgt=0x%llx", (unsigned long long)tgt->tgt);
	else
		printf(" tgt=none");
	if (bdf) {
		if (spd)
			printf(" speed=%u", spd->link_speed);
		else
			printf(" speed=none");
	}
	printf("\n");
}

static void rw(struct dev *d, const char *op, const char *where)
{
	unsigned char b[8];
	long long off;
	unsigned long long val;
	const char *eq = strchr(where, '=');
	int i;

	off = strtoll(where, NULL, 0);
	if (off < 0)
		off += d->region->size;
	if (off < 0 || off + 8 > (long long)d->region->size) {
		fprintf(stderr, "nvlink2-rw: %s: outside the region\n", op);
		exit(1);
	}
	if (eq) {
		val = strtoull(eq + 1, NULL, 16);
		for (i = 0; i < 8; i++)
			b[i] = val >> (56 - 8 * i);
		if (pwrite(d->fd, b, 8, d->region->offset + off) != 8)
			rig_die(op);
		return;
	}
	if (pread(d->fd, b, 8, d->region->offset + off) != 8)
		rig_die(op);
	for (val = 0, i = 0; i < 8; i++)
		val = val << 8 | b[i];
	printf("%s %016llx\n", op, val);
}

int main(int argc, char **argv)
{
	struct dev devs[8];
	int n = 0, i, j;

	rig_prog = "nvlink2-rw";
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (n == 8) {
			fprintf(stderr, "nvlink2-rw: too many devices\n");
			return 2;
		}
		devs[n].bdf = argv[i];
		devs[n].fd = rig_open_device(argv[i]);
		devs[n].region = n ?
			rig_find_region(devs[n].fd,
					VFIO_REGION_TYPE_PCI_VENDOR_TYPE | RIG_IBM,
					VFIO_REGION_SUBTYPE_IBM_NVLINK2_ATSD) :
			rig_find_region(devs[n].fd,
					VFIO_REGION_TYPE_PCI_VENDOR_TYPE | RIG_NVIDIA,
					VFIO_REGION_SUBTYPE_NVIDIA_NVLINK2_RAM);
		n++;
	}
	if (!n) {
		fprintf(stderr, "usage: %s GPU BRIDGE... [-- ram:OFF[=VALUE] atsd@BDF:OFF[=VALUE]...]\n",
			argv[0]);
		return 2;
	}
	if (!devs[0].region) {
		fprintf(stderr, "nvlink2-rw: %s has no GPU RAM region\n", devs[0].bdf);
		return 1;
	}
	print_caps("ram", NULL, devs[0].region);
	for (j = 1; j < n; j++) {
		if (devs[j].region)
			print_caps("atsd", devs[j].bdf, devs[j].region);
		else
			printf("atsd %s none\n", devs[j].bdf);
	}

	for (i++; i < argc; i++) {
		const char *op = argv[i];

		if (!strncmp(op, "ram:", 4)) {
			rw(&devs[0], op, op + 4);
			continue;
		}
		for (j = 1; j < n; j++) {
			size_t l = strlen(devs[j].bdf);

			if (!strncmp(op, "atsd@", 5) &&
			    !strncmp(op + 5, devs[j].bdf, l) && op[5 + l] == ':')
				break;
		}
		if (j == n || !devs[j].region) {
			fprintf(stderr, "nvlink2-rw: %s: no such region\n", op);
			return 1;
		}
		rw(&devs[j], op, op + 5 + strlen(devs[j].bdf) + 1);
	}
	fflush(stdout);
	return 0;
}
