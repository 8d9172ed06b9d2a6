#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# boot.sh TREE KBUILD REPO LOGDIR RESULTS FACTS
#
# The boot step of make check: build the kselftests the series adds (if
# any), pack the initramfs, boot KBUILD/vmlinux in QEMU powernv9 and judge
# the console: the RIG: result of the init scripts, every KUnit suite
# (tools/testing/kunit/kunit.py parse), the kselftests, and any panic,
# Oops, BUG, WARNING, lockdep, KASAN or kmemleak report, less the lines
# allowlisted in testing/console-allowlist. Appends result lines to RESULTS
# and figures to FACTS; exits non-zero on a failure.

. "$(dirname "$0")/../scripts/lib.sh"

tree=$1 kb=$2 repo=$3 logs=$4 results=$5 facts=$6
mkdir -p "$logs"
failed=0
result() {
	printf '%-4s  %-28s %s\n' "$1" "$2" "$3"
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"
	[ "$1" != FAIL ] || failed=1
}
fact() { printf '%s\t%s\n' "$1" "$2" >>"$facts"; }

# ------------------------------------------------------------ kselftests
# The selftest directories the series touches, built for ppc64le and
# installed into the initramfs with the kselftest runner.
stage=$logs/stage
rm -rf "$stage"
mkdir -p "$stage"
mapfile -t ktargets < <(git -C "$tree" diff --name-only "$BASE_TAG" HEAD -- tools/testing/selftests/ |
	sed -n 's#^tools/testing/selftests/\([^/]*\)/.*#\1#p' | sort -u)
extra=()
if [ "${#ktargets[@]}" -gt 0 ]; then
	"$TOP/scripts/kmake.sh" "$tree" "$kb" powerpc headers >"$logs/kselftest-build.log" 2>&1
	sysroot=$BUILD/rig/sysroot
	[ -d "$sysroot/usr/lib" ] ||
		"$TOP/testing/get-debs.sh" "$sysroot" libc6-dev uuid-dev libuuid1 >>"$logs/kselftest-build.log" 2>&1
	if make -C "$tree/tools/testing/selftests" ARCH=powerpc \
		CROSS_COMPILE="$CROSS_PPC" TARGETS="${ktargets[*]}" FORCE_TARGETS=1 \
		KHDR_INCLUDES="-isystem $kb/usr/include" O="$logs/kselftest-out" \
		EXTRA_CFLAGS="-static -I$sysroot/usr/include" \
		LDFLAGS="-static -L$sysroot/usr/lib/powerpc64le-linux-gnu" \
		INSTALL_PATH="$stage/kselftest" install >>"$logs/kselftest-build.log" 2>&1; then
		extra+=("$stage/kselftest:/rig/kselftest")
		result PASS "kselftest build" "${ktargets[*]} built for ppc64le"
	else
		result FAIL "kselftest build" "${ktargets[*]}: $(grep -m1 -E 'error|Error' "$logs/kselftest-build.log")"
	fi
fi

# ------------------------------------------------------------ boot
initrd=$logs/initramfs.cpio.gz
"$TOP/testing/mk-initramfs.sh" "$kb" "$initrd" "${extra[@]}" >"$logs/initramfs.log" 2>&1 || {
	result FAIL boot "initramfs: $(tail -n1 "$logs/initramfs.log")"
	exit 1
}
console=$logs/console.log
t0=$(date +%s.%N)
qrc=0
# shellcheck disable=SC2086 # extra kernel arguments, one word each
"$TOP/testing/run-qemu.sh" "$kb/vmlinux" "$initrd" "$console" ${RIG_APPEND:-} || qrc=$?
secs=$(echo "$(date +%s.%N) - $t0" | bc)
fact "boot (QEMU wall)" "$(printf '%.1fs' "$secs")"
fact "kernel to /init" "$(sed -n 's/^RIG: init-start uptime=//p' "$console" | sed -n 1p)s"
fact "MMU" "$(sed -n 's/^MMU[[:space:]]*: //p' "$console" | sed -n 1p)"
rig=$(sed -n 's/^RIG: RESULT rc=\([0-9]*\).*/\1/p' "$console" | sed -n 1p)
if [ "$qrc" = 124 ]; then
	result FAIL boot "QEMU timed out (${console#"$TOP"/})"
elif [ -z "$rig" ]; then
	result FAIL boot "the rig's init did not finish (QEMU exit $qrc; ${console#"$TOP"/})"
elif [ "$rig" != 0 ]; then
	bad=$(grep -E '^RIG: END .* rc=[1-9]' "$console" | sed -n 1p | sed 's/^RIG: END //') || true
	result FAIL boot "init test failed: $bad ($(grep -E '^FAIL' "$console" | sed -n 1p))"
else
	result PASS boot "powernv9 $(printf '%.1f' "$secs")s, init tests passed ($(grep -c '^RIG: END' "$console") scripts)"
fi

# ------------------------------------------------------------ KUnit
# Only the kernel's part of the console: kselftests print TAP too.
sed '/^RIG: init-start/,$d' "$console" >"$logs/console-kernel.log"
krc=0
(cd "$tree" && python3 tools/testing/kunit/kunit.py parse --summary \
	--json="$logs/kunit.json" "$logs/console-kernel.log") >"$logs/kunit.txt" 2>&1 || krc=$?
summary=$(grep -E 'Testing complete|Ran [0-9]+ tests' "$logs/kunit.txt" | sed -n '$p' | sed 's/^\[[^]]*\] //') || true
passed=$(grep -oE 'passed: [0-9]+' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
kfailed=$(grep -oE 'failed: [0-9]+' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
skipped=$(grep -oE 'skipped: [0-9]+' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
crashed=$(grep -oE 'crashed: [0-9]+' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
fact "KUnit pass/fail/skip" "$passed/$((kfailed + crashed))/$skipped"
if [ "$krc" != 0 ] || [ "$kfailed" != 0 ] || [ "$crashed" != 0 ]; then
	first=$(sed 's/^\[ *[0-9.]*\] //' "$logs/console-kernel.log" | grep -E '^\s*not ok [0-9]+ ' |
		grep -v '# SKIP' | sed -n 1p | sed 's/^ *//') || true
	result FAIL kunit "${summary:-kunit.py found no results}; first: ${first:-?}"
elif [ "${passed:-0}" = 0 ]; then
	result FAIL kunit "no KUnit test ran"
else
	result PASS kunit "$summary"
fi

# ------------------------------------------------------------ kselftests
if [ "${#extra[@]}" -gt 0 ]; then
	sed -n '/^RIG: BEGIN 30-kselftest/,/^RIG: END 30-kselftest/p' "$console" >"$logs/kselftest.log"
	kp=$(grep -E '^ok [0-9]+ selftests: ' "$logs/kselftest.log" | grep -vc '# SKIP' || true)
	ks=$(grep -E '^(not )?ok [0-9]+ selftests: .*# SKIP' "$logs/kselftest.log" -c || true)
	kf=$(grep -E '^not ok [0-9]+ selftests: ' "$logs/kselftest.log" | grep -vc '# SKIP' || true)
	fact "kselftest pass/fail/skip" "$kp/$kf/$ks"
	if [ "$kf" != 0 ]; then
		result FAIL kselftest "$kf failed: $(grep -E '^not ok [0-9]+ selftests: ' "$logs/kselftest.log" | grep -v '# SKIP' | sed -n 1p)"
	elif [ $((kp + ks)) = 0 ]; then
		result FAIL kselftest "no kselftest result on the console"
	else
		result PASS kselftest "$kp passed, $ks skipped"
	fi
else
	fact "kselftest pass/fail/skip" "none in the series yet"
fi

# ------------------------------------------------------------ console scan
allow=$TOP/testing/console-allowlist
pattern='Kernel panic|Oops|BUG:|WARNING:|Call Trace:|DEBUG_LOCKS_WARN_ON|possible (recursive|circular) locking|inconsistent lock state|suspicious RCU usage|lock held when returning to user space|held lock freed|KASAN|UBSAN|kmemleak: [0-9]+ new suspected|unreferenced object 0x|INFO: task .* blocked|soft lockup|hard LOCKUP|rcu_.*detected stall'
grep -E "$pattern" "$console" >"$logs/console-reports.log" || true
if [ -s "$allow" ]; then
	{ grep -vE '^[[:space:]]*(#|$)' "$allow" || true; } | cut -f1 >"$logs/allow.re"
	[ -s "$logs/allow.re" ] && grep -vEf "$logs/allow.re" "$logs/console-reports.log" >"$logs/console-reports.tmp" &&
		mv "$logs/console-reports.tmp" "$logs/console-reports.log" || true
fi
if [ -s "$logs/console-reports.log" ]; then
	result FAIL console "$(sed -n 1p "$logs/console-reports.log" | sed 's/^\[ *[0-9.]*\] //') ($(wc -l <"$logs/console-reports.log") line(s), ${logs#"$TOP"/}/console-reports.log)"
else
	result PASS console "no panic, Oops, BUG, WARNING, lockdep or kmemleak report"
fi

[ "$failed" = 0 ]
