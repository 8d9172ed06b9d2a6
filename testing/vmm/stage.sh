#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# stage.sh KBUILD DEST: the vmm step's files for the rig's initramfs, in
# DEST (copied to /rig/vmm): Debian 12's stock qemu-system-ppc64, the
# shared libraries it needs and their loader, SLOF, fdtget (to read the
# guest's device tree), and the rig's own helpers, built against KBUILD's
# UAPI headers: gdbmem, nvlink2-rw and nofree.so.
#
# The packages are bookworm's ppc64el ones, the version of QEMU pinned
# (QEMU_VERSION): nothing is patched or rebuilt. Only the libraries that
# the two programs need (their DT_NEEDED closure, read with objdump) are
# staged; a library that no package listed here provides stops the script
# with its name.

. "$(dirname "$0")/../../scripts/lib.sh"

QEMU_VERSION=1:7.2+dfsg-7+deb12u18+b3
QEMU_DATA_VERSION=1:7.2+dfsg-7+deb12u18
# qemu-system-ppc's and device-tree-compiler's library dependencies, and
# theirs, as bookworm has them (apt-cache depends --recurse, less the
# packages that hold no library the programs load).
LIBS=(libaio1 libbpf1 libc6 libcapstone4 libfdt1 libfuse3-3 libgcc-s1
      libglib2.0-0 libgmp10 libgnutls30 libhogweed6 libibverbs1
      libjpeg62-turbo libnettle8 libnuma1 libpixman-1-0 libpng16-16
      librdmacm1 libsasl2-2 libseccomp2 libslirp0 libudev1 liburing2
      libvdeplug2 libzstd1 zlib1g libyaml-0-2 libelf1 libffi8 libidn2-0
      libunistring2 libtasn1-6 libp11-kit0 libpcre2-8-0 libmount1 libblkid1
      libselinux1 libnl-3-200 libnl-route-3-200 libsasl2-modules-db
      libdb5.3)

kb=$1 dest=$2
root=$BUILD/vmm/root
here=$TOP/testing/vmm
if [ ! -f "$root/.done-$QEMU_VERSION" ]; then
	rm -rf "$root"
	"$TOP/testing/get-debs.sh" "$root" "qemu-system-ppc=$QEMU_VERSION" \
		"qemu-system-data=$QEMU_DATA_VERSION" device-tree-compiler "${LIBS[@]}"
	touch "$root/.done-$QEMU_VERSION"
fi

rm -rf "$dest"
mkdir -p "$dest/bin" "$dest/lib" "$dest/share/qemu"
cp "$root/usr/bin/qemu-system-ppc64" "$root/usr/bin/fdtget" "$dest/bin/"
cp "$root/usr/share/qemu/slof.bin" "$dest/share/qemu/"
cp "$root/lib/powerpc64le-linux-gnu/ld64.so.2" "$dest/lib/"

# The DT_NEEDED closure of the two programs.
declare -A seen=()
queue=("$dest/bin/qemu-system-ppc64" "$dest/bin/fdtget")
while [ ${#queue[@]} -gt 0 ]; do
	f=${queue[0]}
	queue=("${queue[@]:1}")
	for n in $("${CROSS_PPC}objdump" -p "$f" | awk '$1 == "NEEDED" { print $2 }'); do
		[ -z "${seen[$n]:-}" ] || continue
		seen[$n]=1
		[ "$n" != ld64.so.2 ] || continue
		lib=$(find "$root/lib/powerpc64le-linux-gnu" "$root/usr/lib/powerpc64le-linux-gnu" \
			-maxdepth 1 -name "$n" | sed -n 1p)
		[ -n "$lib" ] || die "vmm: no package listed in testing/vmm/stage.sh provides $n"
		cp -L "$lib" "$dest/lib/$n"
		queue+=("$dest/lib/$n")
	done
done

# The rig's helpers.
cc=(-O2 -Wall -Wextra -Werror -isystem "$kb/usr/include")
"${CROSS_PPC}gcc" -static "${cc[@]}" -o "$dest/bin/gdbmem" "$here/gdbmem.c"
"${CROSS_PPC}gcc" -static "${cc[@]}" -o "$dest/bin/nvlink2-rw" "$here/nvlink2-rw.c"
"${CROSS_PPC}gcc" -shared -fPIC -nostdlib "${cc[@]}" -o "$dest/lib/nofree.so" "$here/nofree.c"
nlibs=$(find "$dest/lib" -name '*.so*' ! -name ld64.so.2 ! -name nofree.so | wc -l)
msg "vmm: QEMU $QEMU_VERSION, $nlibs shared libraries and their loader, $(du -sm "$dest" | cut -f1) MB in ${dest#"$TOP"/}"
