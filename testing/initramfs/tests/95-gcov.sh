# SPDX-License-Identifier: GPL-2.0
# Last: the gcov counters of the files make check profiles (the series'
# .c files, testing/coverage.py), as a base64 tar.gz between the
# RIG: GCOV-BEGIN and RIG: GCOV-END lines. debugfs gives its .gcda files
# no size, so they are copied before tar sees them. Nothing without gcov.
d=/sys/kernel/debug/gcov
[ -d "$d" ] || { echo "no gcov in this kernel"; exit 0; }
t=/tmp/gcov
rm -rf "$t"
n=0
for f in $(find "$d" -name '*.gcda'); do
	mkdir -p "$t/$(dirname "${f#"$d"/}")"
	cat "$f" >"$t/${f#"$d"/}" || { echo "FAIL: cannot read $f"; exit 1; }
	n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "gcov: no file profiled"; exit 0; }
echo "gcov: $n .gcda file(s)"
echo "RIG: GCOV-BEGIN"
tar -C "$t" -czf - . | base64
echo "RIG: GCOV-END"
