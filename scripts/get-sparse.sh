#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# get-sparse.sh: print the path of a sparse that the 7.3 kernel accepts.
#
# Debian 12's sparse 0.6.4 lacks __typeof_unqual__, so the kernel refuses
# against a newer glibc: both packages are downloaded (not installed) into
# $BUILD/tools and sparse is run through that glibc's loader by a wrapper.

. "$(dirname "$0")/lib.sh"

suite=${SPARSE_SUITE:-sid}
d=$BUILD/tools/sparse
wrapper=$BUILD/tools/bin/sparse
if [ ! -x "$wrapper" ]; then
	[ "$(dpkg --print-architecture)" = amd64 ] ||
		die "get-sparse.sh only knows amd64 hosts"
	"$TOP/testing/get-debs.sh" --arch amd64 --suite "$suite" "$d" sparse libc6 >&2
	mkdir -p "$(dirname "$wrapper")"
	cat >"$wrapper" <<EOS
#!/bin/sh
# sparse from Debian $suite with its own glibc (made by scripts/get-sparse.sh)
exec "$d/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \\
	--library-path "$d/usr/lib/x86_64-linux-gnu" "$d/usr/bin/sparse" "\$@"
EOS
	chmod +x "$wrapper"
fi
echo "$wrapper"
