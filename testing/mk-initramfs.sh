#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mk-initramfs.sh KBUILD OUT.cpio.gz [SRC:DEST ...]: build the rig's
# initramfs with the kernel's own usr/gen_init_cpio (no root needed for
# /dev/console): static ppc64el busybox, /init, testing/initramfs/tests,
# plus extra files or directories SRC copied to DEST (e.g. kselftests).

. "$(dirname "$0")/../scripts/lib.sh"

kb=$1 out=$2
shift 2
gen=$kb/usr/gen_init_cpio
[ -x "$gen" ] || die "$gen is missing: build the kernel first"
bb=$BUILD/rig/busybox/bin/busybox
[ -x "$bb" ] || "$TOP/testing/get-debs.sh" "$BUILD/rig/busybox" busybox-static >/dev/null
list=$(mktemp)
trap 'rm -f "$list"' EXIT
here=$TOP/testing/initramfs
{
	for d in /bin /sbin /dev /proc /sys /tmp /rig /rig/bin /rig/tests /lib /lib/modules; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
	echo "file /bin/busybox $bb 0755 0 0"
	echo "file /init $here/init 0755 0 0"
	echo "file /rig/lib.sh $here/lib.sh 0644 0 0"
	for t in "$here"/tests/*.sh; do
		echo "file /rig/tests/${t##*/} $t 0755 0 0"
	done
	for spec in "$@"; do
		src=${spec%%:*} dest=${spec#*:}
		if [ -d "$src" ]; then
			(cd "$src" && find . -mindepth 1 | LC_ALL=C sort) | while read -r f; do
				f=${f#./}
				if [ -d "$src/$f" ]; then
					echo "dir $dest/$f 0755 0 0"
				else
					echo "file $dest/$f $src/$f $(stat -c %a "$src/$f") 0 0"
				fi
			done
		else
			echo "file $dest $src $(stat -c %a "$src") 0 0"
		fi
	done
} >"$list"
# Parent directories of extra destinations.
awk '$1 == "file" || $1 == "dir" { print $2 }' "$list" |
	while read -r p; do
		p=$(dirname "$p")
		while [ "$p" != / ] && [ "$p" != . ]; do echo "$p"; p=$(dirname "$p"); done
	done | LC_ALL=C sort -u | sed 's/.*/dir & 0755 0 0/' >"$list.dirs"
cat "$list.dirs" "$list" | awk '!seen[$0]++' >"$list.all"
rm -f "$list.dirs"
KBUILD_BUILD_TIMESTAMP=0 "$gen" -t 0 "$list.all" | gzip -n -9 >"$out"
rm -f "$list.all"
