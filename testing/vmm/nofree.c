// SPDX-License-Identifier: GPL-2.0
/*
 * nofree.so: a free() that frees nothing, preloaded into QEMU 7.2 by the
 * rig's vmm step. It works around a use after free in QEMU, not in the
 * series: since QEMU 7.1 turned them into object_property_add_uint64_ptr()
 * and _uint32_ptr() properties, vfio_pci_nvidia_v100_ram_init() and
 * vfio_pci_nvlink2_init() (hw/vfio/pci-quirks.c) point "nvlink2-tgt" and
 * "nvlink2-link-speed" into the region-info buffers they free before
 * returning, so that the sPAPR PHB later reads a TGT and a link speed from
 * freed memory (with Debian 12's 7.2, the TGT reads back 0 and the guest
 * gets no NVLink2 nodes at all). QEMU 4.1 to 7.0 copied the values. QEMU
 * runs for a few seconds in the rig; what it does not free is released
 * when it exits.
 */
void free(void *p);

void free(void *p)
{
	(void)p;
}
