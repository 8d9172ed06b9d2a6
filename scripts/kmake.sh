#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kmake.sh SRC OUT ARCH [make args...]: run kbuild for ARCH (powerpc or
# x86_64) from SRC into OUT through ccache, with fixed build identity so
# that an unchanged tree relinks to the same vmlinux.

. "$(dirname "$0")/lib.sh"

src=$(realpath -m "$1") out=$(realpath -m "$2") arch=$3
shift 3
mkdir -p "$out"

export CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache}
# Depend mode: a cold cache costs ~6% instead of ~40%; the base dir makes
# hits independent of where the workspace is cloned.
export CCACHE_BASEDIR=$BUILD CCACHE_DEPEND=1 CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G} CCACHE_COMPRESS=1
export KBUILD_BUILD_TIMESTAMP=2026-01-01 KBUILD_BUILD_USER=rig KBUILD_BUILD_HOST=rig
export KBUILD_BUILD_VERSION=1

cc="$TOP/scripts/cc-wrapper"
case $arch in
powerpc)
	cross=(ARCH=powerpc CROSS_COMPILE=$CROSS_PPC
		"CC=$cc ${CROSS_PPC}gcc") ;;
x86_64)
	cross=(ARCH=x86_64 "CC=$cc gcc") ;;
*)	die "kmake.sh: unknown arch $arch" ;;
esac

exec make -C "$src" O="$out" -j"${JOBS:-$(($(nproc) + 1))}" \
	"${cross[@]}" "HOSTCC=ccache gcc" "$@"
