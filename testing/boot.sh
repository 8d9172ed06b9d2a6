#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# boot.sh TREE KBUILD REPO LOGDIR RESULTS FACTS [LABEL]
#
# The boot step of make check: build the kselftests the series adds (if
# any), pack the initramfs, boot KBUILD/vmlinux in QEMU powernv9 and judge
# the console: the RIG: result of the init scripts, every KUnit suite
# (tools/testing/kunit/kunit.py parse), the kselftests, and any panic,
# Oops, BUG, WARNING, lockdep, KASAN or kmemleak report, less the lines
# allowlisted in testing/console-allowlist. Appends result lines to RESULTS
# and figures to FACTS, their names suffixed with LABEL (e.g. " =m"); exits
# non-zero on a failure. A kernel built with modules gets them in the
# initramfs.

. "$(dirname "$0")/../scripts/lib.sh"

tree=$1 kb=$2 repo=$3 logs=$4 results=$5 facts=$6 label=${7:-}
mkdir -p "$logs"
failed=0
# RESULT_PREFIX ("6.12 " for a backport) starts every step name.
result() {
	printf '%-4s  %-28s %s\n' "$1" "${RESULT_PREFIX:-}$2" "$3"
	printf '%s\t%s\t%s\n' "$1" "${RESULT_PREFIX:-}$2" "$3" >>"$results"
	[ "$1" != FAIL ] || failed=1
}
fact() { printf '%s\t%s\n' "${RESULT_PREFIX:-}$1" "$2" >>"$facts"; }

# ------------------------------------------------------------ kselftests
# The selftest directories the series touches, built for ppc64le and
# installed into the initramfs with the kselftest runner. A backport
# boots with those of the main tree (RIG_KSELFTEST_TREE, with the UAPI
# headers of its build RIG_KSELFTEST_KB and, to build incrementally,
# the main boot's RIG_KSELFTEST_OUT): its base may have no such tests.
stage=$logs/stage
rm -rf "$stage"
mkdir -p "$stage"
ktree=${RIG_KSELFTEST_TREE:-$tree}
kkb=${RIG_KSELFTEST_KB:-$kb}
kout=${RIG_KSELFTEST_OUT:-$logs/kselftest-out}
mapfile -t ktargets < <(git -C "$ktree" diff --name-only "$BASE_TAG" HEAD -- tools/testing/selftests/ |
	sed -n 's#^tools/testing/selftests/\([^/]*\)/.*#\1#p' | sort -u)
# RIG_NO_KSELFTEST=1 (the tests of the tooling): no kselftest at all.
[ -z "${RIG_NO_KSELFTEST:-}" ] || ktargets=()
if [ -n "${RIG_KSELFTEST_TREE:-}" ] && [ -z "${RIG_NO_KSELFTEST:-}" ] &&
   [ "${#ktargets[@]}" -eq 0 ]; then
	result FAIL "kselftest build$label" "no kselftests of the main series in ${ktree#"$TOP"/} (run make check first)"
fi
extra=()
ksft=0
if [ "${#ktargets[@]}" -gt 0 ]; then
	"$TOP/scripts/kmake.sh" "$ktree" "$kkb" powerpc headers >"$logs/kselftest-build.log" 2>&1
	sysroot=$BUILD/rig/sysroot
	[ -d "$sysroot/usr/lib" ] ||
		"$TOP/testing/get-debs.sh" "$sysroot" libc6-dev uuid-dev libuuid1 >>"$logs/kselftest-build.log" 2>&1
	if make -C "$ktree/tools/testing/selftests" ARCH=powerpc \
		CROSS_COMPILE="$CROSS_PPC" TARGETS="${ktargets[*]}" FORCE_TARGETS=1 \
		KHDR_INCLUDES="-isystem $kkb/usr/include" O="$kout" \
		EXTRA_CFLAGS="-static -I$sysroot/usr/include" \
		LDFLAGS="-static -L$sysroot/usr/lib/powerpc64le-linux-gnu" \
		INSTALL_PATH="$stage/kselftest" install >>"$logs/kselftest-build.log" 2>&1; then
		extra+=("$stage/kselftest:/rig/kselftest")
		ksft=1
		from=
		[ "$ktree" = "$tree" ] || from=", from ${ktree#"$TOP"/} (the main series)"
		result PASS "kselftest build$label" "${ktargets[*]} built for ppc64le$from"
	else
		result FAIL "kselftest build$label" "${ktargets[*]}: $(grep -m1 -E 'error|Error' "$logs/kselftest-build.log")"
	fi
fi

# ------------------------------------------------------------ rig tools
# The rig's own VFIO programs (testing/vfio-smoke, testing/nvlink2-bench),
# static, against the UAPI headers of this kernel.
"$TOP/scripts/kmake.sh" "$tree" "$kb" powerpc headers >"$logs/tools-build.log" 2>&1
for tool in vfio-smoke nvlink2-bench; do
	if "${CROSS_PPC}gcc" -static -O2 -Wall -Wextra -Werror -isystem "$kb/usr/include" \
		-o "$stage/$tool" "$TOP/testing/$tool/$tool.c" >>"$logs/tools-build.log" 2>&1; then
		extra+=("$stage/$tool:/rig/bin/$tool")
	else
		result FAIL "$tool build$label" "$(grep -m1 -E 'error|Error' "$logs/tools-build.log")"
	fi
done

# ------------------------------------------------------------ vmm
# RIG_VMM=1: Debian 12's QEMU 7.2 and the vmm step's helpers
# (testing/vmm/stage.sh), for the 40-vmm init test.
if [ -n "${RIG_VMM:-}" ]; then
	if "$TOP/testing/vmm/stage.sh" "$kb" "$stage/vmm" >"$logs/vmm-stage.log" 2>&1; then
		extra+=("$stage/vmm:/rig/vmm")
		fact "vmm$label" "$(tail -n1 "$logs/vmm-stage.log" | sed 's/^vmm: //')"
	else
		result FAIL "vmm$label" "staging QEMU 7.2: $(tail -n1 "$logs/vmm-stage.log")"
	fi
fi

# ------------------------------------------------------------ nvlink2-emu
# The emulated NVLink2 platform (testing/nvlink2-emu), an out-of-tree
# module built against this kernel, for the 30-nvlink2 init test.
if grep -q '^CONFIG_PPC_POWERNV_NVLINK2=y' "$kb/.config"; then
	# Built from a copy: kbuild before 6.13 (the 6.12 backport) has no
	# MO= and would write its objects next to the source.
	rm -rf "$stage/emu"
	mkdir -p "$stage/emu"
	cp "$TOP"/testing/nvlink2-emu/{Kbuild,nvlink2-emu.c} "$stage/emu/"
	if "$TOP/scripts/kmake.sh" "$tree" "$kb" powerpc M="$stage/emu" \
		modules >"$logs/nvlink2-emu-build.log" 2>&1; then
		extra+=("$stage/emu/nvlink2-emu.ko:/rig/nvlink2-emu.ko")
	else
		result FAIL "nvlink2-emu build$label" "$(grep -m1 -E 'error|Error' "$logs/nvlink2-emu-build.log")"
	fi
fi

# ------------------------------------------------------------ modules
# A kernel with modules gets them in the initramfs, where the init tests
# load them (the series' tristate options =m).
if grep -q '^CONFIG_MODULES=y' "$kb/.config" && [ -s "$kb/modules.order" ]; then
	rm -rf "$stage/mod"
	if "$TOP/scripts/kmake.sh" "$tree" "$kb" powerpc modules_install \
		INSTALL_MOD_PATH="$stage/mod" INSTALL_MOD_STRIP=1 >"$logs/modules-install.log" 2>&1; then
		extra+=("$stage/mod/lib/modules:/lib/modules")
		fact "modules$label" "$(find "$stage/mod" -name '*.ko' | sed 's#.*/##' | sort | tr '\n' ' ')"
	else
		result FAIL "modules$label" "modules_install: $(tail -n1 "$logs/modules-install.log")"
	fi
fi

# ------------------------------------------------------------ boot
initrd=$logs/initramfs.cpio.gz
"$TOP/testing/mk-initramfs.sh" "$kb" "$initrd" "${extra[@]}" >"$logs/initramfs.log" 2>&1 || {
	result FAIL "boot$label" "initramfs: $(tail -n1 "$logs/initramfs.log")"
	exit 1
}
console=$logs/console.log
# The last non-blank line of a console, cut short, for a failure line.
last_line() { grep -av '^[[:space:]]*$' "$1" 2>/dev/null | tail -n1 | tr -d '\r' | cut -c1-160; }
t0=$(date +%s.%N)
qrc=0
trace=$logs/qemu-trace.log
rm -f "$trace"
# shellcheck disable=SC2086 # extra kernel arguments, one word each
RIG_TRACE=$trace "$TOP/testing/run-qemu.sh" "$kb/vmlinux" "$initrd" "$console" ${RIG_APPEND:-} || qrc=$?
secs=$(echo "$(date +%s.%N) - $t0" | bc)
fact "boot (QEMU wall)$label" "$(printf '%.1fs' "$secs")"
fact "kernel to /init$label" "$(sed -n 's/^RIG: init-start uptime=//p' "$console" | sed -n 1p)s"
fact "MMU$label" "$(sed -n 's/^MMU[[:space:]]*: //p' "$console" | sed -n 1p)"
rig=$(sed -n 's/^RIG: RESULT rc=\([0-9]*\).*/\1/p' "$console" | sed -n 1p)
if [ "$qrc" = 124 ]; then
	result FAIL "boot$label" "QEMU timed out (${console#"$TOP"/})"
elif [ "$qrc" -gt 128 ] && [ "$qrc" -lt 160 ]; then
	# QEMU itself died of a signal (seen once: SIGSEGV in a 6.12 boot,
	# during vfio_pci_nvlink2_test's bridge reset cases).
	result FAIL "boot$label" "QEMU died of signal $((qrc - 128)) (the host's QEMU crashed, not the guest; ${console#"$TOP"/})"
elif grep -aq 'Entering checkstop state' "$trace" 2>/dev/null; then
	# run-qemu.sh: -action panic=exit-failure, QEMU's log in $trace.
	result FAIL "boot$label" "the guest entered checkstop (QEMU exit $qrc): $(grep -a -m1 'Entering checkstop state' "$trace"); last console line: $(last_line "$console") (${trace#"$TOP"/})"
elif [ -z "$rig" ]; then
	# The first report that says why, if the guest printed one (a
	# machine check, a panic), and where the console stopped.
	why=$(grep -a -m1 -E 'MCE: CPU[0-9]+: machine check|Kernel panic|Oops:' "$console" | tr -d '\r' | cut -c1-160) || why=
	result FAIL "boot$label" "the rig's init did not finish (QEMU exit $qrc)${why:+; first report: $why}; last console line: $(last_line "$console") (${console#"$TOP"/})"
elif [ "$rig" != 0 ]; then
	bad=$(grep -E '^RIG: END .* rc=[1-9]' "$console" | sed -n 1p | sed 's/^RIG: END //') || true
	result FAIL "boot$label" "init test failed: $bad ($(grep -E '^FAIL' "$console" | sed -n 1p))"
else
	result PASS "boot$label" "powernv9 $(printf '%.1f' "$secs")s, init tests passed ($(grep -c '^RIG: END' "$console") scripts)"
fi

# ------------------------------------------------------------ KUnit
# Only the kernel's lines of the console (printk time stamps): kselftests
# print TAP too. The built-in suites print one KTAP document at boot; each
# KUnit module prints its own when the init tests load it. kunit.py parse
# reads one document, so each is parsed on its own and the counts summed.
# Only KTAP lines go in a document: another CPU's printk between a
# subtest's version line and its header once made kunit.py misread the
# nesting and report crashes of tests that had all passed. The parser is
# that of the kselftests' tree: a backport's (6.12) has no --summary.
grep -aE '^\[ *[0-9]+\.[0-9]+\] ' "$console" >"$logs/console-kernel.log" || true
rm -f "$logs"/kunit-doc-*.log "$logs"/kunit-doc-*.txt
awk -v out="$logs/kunit-doc-" '
	/^\[ *[0-9]+\.[0-9]+\] KTAP version [0-9]+\r?$/ { n++ }
	n && /^\[ *[0-9]+\.[0-9]+\] *(KTAP version |[0-9]+\.\.[0-9]+|(not )?ok [0-9]+|# )/ {
		print > (out n ".log")
	}' "$logs/console-kernel.log"
krc=0 passed=0 kfailed=0 skipped=0 crashed=0 docs=0
summary=
for doc in "$logs"/kunit-doc-*.log; do
	[ -e "$doc" ] || continue
	docs=$((docs + 1))
	(cd "$ktree" && python3 tools/testing/kunit/kunit.py parse --summary \
		"$doc") >"${doc%.log}.txt" 2>&1 || krc=$?
	s=$(grep -E 'Testing complete|Ran [0-9]+ tests' "${doc%.log}.txt" | sed -n '$p' | sed 's/^\[[^]]*\] //') || true
	[ -n "$s" ] || { krc=1; continue; }
	passed=$((passed + $(grep -oE 'passed: [0-9]+' <<<"$s" | grep -oE '[0-9]+' || echo 0)))
	kfailed=$((kfailed + $(grep -oE 'failed: [0-9]+' <<<"$s" | grep -oE '[0-9]+' || echo 0)))
	skipped=$((skipped + $(grep -oE 'skipped: [0-9]+' <<<"$s" | grep -oE '[0-9]+' || echo 0)))
	crashed=$((crashed + $(grep -oE 'crashed: [0-9]+' <<<"$s" | grep -oE '[0-9]+' || echo 0)))
done
summary="$docs KTAP document(s), $((passed + kfailed + crashed + skipped)) tests: passed: $passed"
[ "$kfailed" = 0 ] || summary+=", failed: $kfailed"
[ "$crashed" = 0 ] || summary+=", crashed: $crashed"
[ "$skipped" = 0 ] || summary+=", skipped: $skipped"
fact "KUnit pass/fail/skip$label" "$passed/$((kfailed + crashed))/$skipped"
if [ "$krc" != 0 ] || [ "$kfailed" != 0 ] || [ "$crashed" != 0 ]; then
	first=$(sed 's/^\[ *[0-9.]*\] //' "$logs/console-kernel.log" | grep -E '^\s*not ok [0-9]+ ' |
		grep -v '# SKIP' | sed -n 1p | sed 's/^ *//') || true
	result FAIL "kunit$label" "$summary; first: ${first:-?}"
elif [ "$passed" = 0 ]; then
	result FAIL "kunit$label" "no KUnit test ran"
else
	result PASS "kunit$label" "$summary"
fi

# ------------------------------------------------------------ kselftests
if [ "$ksft" = 1 ]; then
	sed -n '/^RIG: BEGIN 80-kselftest/,/^RIG: END 80-kselftest/p' "$console" >"$logs/kselftest.log"
	kp=$(grep -E '^ok [0-9]+ selftests: ' "$logs/kselftest.log" | grep -vc '# SKIP' || true)
	ks=$(grep -E '^(not )?ok [0-9]+ selftests: .*# SKIP' "$logs/kselftest.log" -c || true)
	kf=$(grep -E '^not ok [0-9]+ selftests: ' "$logs/kselftest.log" | grep -vc '# SKIP' || true)
	fact "kselftest programs pass/fail/skip$label" "$kp/$kf/$ks"
	if [ "$kf" != 0 ]; then
		result FAIL "kselftest$label" "$kf failed: $(grep -E '^not ok [0-9]+ selftests: ' "$logs/kselftest.log" | grep -v '# SKIP' | sed -n 1p)"
	elif [ $((kp + ks)) = 0 ]; then
		result FAIL "kselftest$label" "no kselftest result on the console"
	else
		result PASS "kselftest$label" "$kp programs passed, $ks skipped (each program's cases in ${logs#"$TOP"/}/kselftest.log)"
	fi
else
	fact "kselftest programs pass/fail/skip$label" "none in the series yet"
fi

# ------------------------------------------------------------ NVLink2
# vfio_pci_nvlink2_test, run by the 30-nvlink2 init test without the
# emulated NVLink2 platform (every case must skip) and on it (every case
# must pass; a backport lists in RIG_NVLINK2_SKIPS, with the reason, the
# cases that must skip on its kernel, and every other case must pass).
#
# skips_ok TAP LIST: the cases TAP skipped are exactly those LIST names
# (first word of its lines; # comments); says the first difference on
# stderr.
skips_ok() {
	local got wantl d
	got=$(sed -n 's/^ok [0-9]* \([^ ]*\) # SKIP.*/\1/p' "$1" | sort -u)
	wantl=$(sed -e 's/#.*//' "$2" | awk 'NF { print $1 }' | sort -u)
	d=$(comm -3 <(printf '%s\n' "$got" | sed '/^$/d') <(printf '%s\n' "$wantl" | sed '/^$/d'))
	[ -z "$d" ] && return 0
	comm -23 <(printf '%s\n' "$got" | sed '/^$/d') <(printf '%s\n' "$wantl" | sed '/^$/d') |
		sed 's/^/skipped, not listed: /' >&2
	comm -13 <(printf '%s\n' "$got" | sed '/^$/d') <(printf '%s\n' "$wantl" | sed '/^$/d') |
		sed 's/^/listed, did not skip: /' >&2
	return 1
}
nvlink2_run() {
	local name=$1 want=$2 out=$logs/nvlink2-$1.log n p f k rc
	sed -n "/^RIG: NVLINK2-BEGIN $name/,/^RIG: NVLINK2-END $name/p" "$console" | tr -d '\r' >"$out"
	n=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$out" | head -n1)
	rc=$(sed -n "s/^RIG: NVLINK2-END $name rc=\([0-9]*\)$/\1/p" "$out")
	p=$(grep -cE '^ok [0-9]+ ' "$out") || true
	k=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out") || true
	f=$(grep -cE '^not ok [0-9]+ ' "$out") || true
	p=$((p - k))
	fact "nvlink2 $name pass/fail/skip$label" "$p/$f/$k"
	if [ ! -s "$out" ] || [ -z "$n" ]; then
		result FAIL "nvlink2 $name$label" "no TAP plan from vfio_pci_nvlink2_test (${console#"$TOP"/})"
	elif [ "$f" != 0 ] || [ "$rc" != 0 ]; then
		result FAIL "nvlink2 $name$label" "$f failed, exit status ${rc:-none}: $(grep -m1 -E '^not ok [0-9]+ ' "$out")"
	elif [ "$n" -lt 12 ] || [ $((p + k)) != "$n" ]; then
		result FAIL "nvlink2 $name$label" "$((p + k)) results for a plan of $n cases (at least 12 wanted) (${out#"$TOP"/})"
	elif [ "$want" = pass ] && [ "$p" != "$n" ] && [ -z "${RIG_NVLINK2_SKIPS:-}" ]; then
		result FAIL "nvlink2 $name$label" "$p passed, $k skipped: all $n must pass (${out#"$TOP"/})"
	elif [ "$want" = pass ] && [ -n "${RIG_NVLINK2_SKIPS:-}" ] &&
	     ! skips_ok "$out" "$RIG_NVLINK2_SKIPS"; then
		result FAIL "nvlink2 $name$label" "$p passed, $k skipped: the skips differ from ${RIG_NVLINK2_SKIPS#"$TOP"/} ($(skips_ok "$out" "$RIG_NVLINK2_SKIPS" 2>&1 >/dev/null | sed -n 1p))"
	elif [ "$want" = skip ] && [ "$k" != "$n" ]; then
		result FAIL "nvlink2 $name$label" "$p passed, $k skipped without NVLink2 devices: all $n must skip (${out#"$TOP"/})"
	elif [ "$want" = pass ] && [ "$k" != 0 ]; then
		result PASS "nvlink2 $name$label" "$p passed, $k skipped as ${RIG_NVLINK2_SKIPS#"$TOP"/} expects on this kernel: $(sed -n 's/^ok [0-9]* \([^ ]*\) # SKIP.*/\1/p' "$out" | tr '\n' ' ')"
	else
		result PASS "nvlink2 $name$label" "$p passed, $k skipped"
	fi
}
if grep -q '^RIG: NVLINK2-BEGIN' "$console"; then
	nvlink2_run without-platform skip
	nvlink2_run emulated-platform pass
elif [ "$ksft" = 1 ] && grep -q '^CONFIG_NVLINK2_VFIO_PCI=[ym]' "$kb/.config"; then
	result FAIL "nvlink2$label" "vfio_pci_nvlink2_test did not run (${console#"$TOP"/})"
fi

# ------------------------------------------------------------ vmm
# The 40-vmm init test: QEMU 7.2 drives the series; one result line per
# check it prints (VMM: PASS|FAIL NAME: what it compared).
if [ -n "${RIG_VMM:-}" ]; then
	sed -n '/^RIG: VMM-BEGIN/,/^RIG: VMM-END/p' "$console" | tr -d '\r' >"$logs/vmm.log"
	if ! grep -q '^VMM: ' "$logs/vmm.log"; then
		result FAIL "vmm$label" "the vmm step printed no result (${console#"$TOP"/}: $(grep -m1 -E '^(FAIL|no QEMU)' "$console"))"
	else
		while read -r _ st name what; do
			result "$st" "vmm ${name%:}$label" "$what"
		done < <(grep '^VMM: ' "$logs/vmm.log")
		fact "vmm step$label" "$(sed -n 's/^RIG: VMM-END rc=[0-9]* \(.*\)/\1/p' "$logs/vmm.log")"
	fi
fi

# ------------------------------------------------------------ SBR
# The 25-sbr init test resets the emulated device by a secondary bus reset
# between two marker writes to its BAR0. In QEMU's trace, between the
# markers: the SBR (the bridge control register of its downstream port
# with the bus reset bit), and no write to the device's registers, which
# is what NVLink isolation must not do to a device that is not a V100.
markers=$(sed -n 's/^RIG: SBR-MARKERS //p' "$console" | tr -d '\r' | sed -n 1p)
if [ -z "$markers" ]; then
	result FAIL "sbr$label" "no SBR-MARKERS line from the 25-sbr init test (${console#"$TOP"/})"
elif [ ! -s "$trace" ]; then
	result FAIL "sbr$label" "no QEMU trace (${trace#"$TOP"/})"
else
	read -r reg m1 m2 <<<"$markers"
	awk -v m1="value: $m1" -v m2="value: $m2" '
		index($0, m1) { on = 1; next }
		index($0, m2) { on = 0; done = 1; next }
		on' "$trace" >"$logs/sbr-window.log"
	sbr=$(grep -cE '^pci_cfg_write .* @0x3e <- 0x[0-9a-f]*[4-7cdef][0-9a-f]$' "$logs/sbr-window.log" || true)
	writes=$(grep -cE '^e1000e_(core_write|wrn_regs_write)' "$logs/sbr-window.log" || true)
	if ! grep -q "value: $m2" "$trace" || ! grep -q "value: $m1" "$trace"; then
		result FAIL "sbr$label" "the marker writes to BAR0+$reg are not in QEMU's trace"
	elif [ "$sbr" = 0 ]; then
		result FAIL "sbr$label" "no secondary bus reset between the markers (${logs#"$TOP"/}/sbr-window.log)"
	elif [ "$writes" != 0 ]; then
		result FAIL "sbr$label" "$writes write(s) to the device's BAR0 around its SBR: $(grep -m1 -E '^e1000e_(core_write|wrn_regs_write)' "$logs/sbr-window.log")"
	else
		result PASS "sbr$label" "SBR of a non-V100 with isolate_nvlink: no BAR0 write, device works after it"
	fi
fi

# ------------------------------------------------------------ console scan
allow=$TOP/testing/console-allowlist
pattern='Kernel panic|Oops|BUG:|WARNING:|Call Trace:|DEBUG_LOCKS_WARN_ON|possible (recursive|circular) locking|inconsistent lock state|suspicious RCU usage|lock held when returning to user space|held lock freed|KASAN|UBSAN|kmemleak: [0-9]+ new suspected|unreferenced object 0x|INFO: task .* blocked|soft lockup|hard LOCKUP|rcu_.*detected stall'
# Lockdep reports the allowlist tolerates go, whole, before the scan.
awk -v allow="$allow" -v known="$logs/lockdep-known.log" \
	-f "$TOP/testing/lockdep-filter.awk" "$console" >"$logs/console-scan.log"
grep -E "$pattern" "$logs/console-scan.log" >"$logs/console-reports.log" || true
if [ -s "$allow" ]; then
	{ grep -vE '^[[:space:]]*(#|$)|^lockdep:' "$allow" || true; } | cut -f1 >"$logs/allow.re"
	[ -s "$logs/allow.re" ] && grep -vEf "$logs/allow.re" "$logs/console-reports.log" >"$logs/console-reports.tmp" &&
		mv "$logs/console-reports.tmp" "$logs/console-reports.log" || true
fi
# Lockdep must still be on at the end (90-debug-state), unless a report
# the allowlist tolerates turned it off.
dl=$(sed -n 's/^lockdep debug_locks: *\([0-9]*\).*/\1/p' "$console" | sed -n '$p')
touch "$logs/lockdep-known.log"
if [ -s "$logs/console-reports.log" ]; then
	result FAIL "console$label" "$(sed -n 1p "$logs/console-reports.log" | sed 's/^\[ *[0-9.]*\] //') ($(wc -l <"$logs/console-reports.log") line(s), ${logs#"$TOP"/}/console-reports.log)"
elif [ "$dl" != 1 ] && [ ! -s "$logs/lockdep-known.log" ]; then
	result FAIL "console$label" "lockdep is off (debug_locks ${dl:-?}) with no report that says why"
elif [ -s "$logs/lockdep-known.log" ]; then
	result PASS "console$label" "no report but $(wc -l <"$logs/lockdep-known.log") tolerated lockdep report(s), lockdep off after: $(cut -f1,3,4 "$logs/lockdep-known.log" | sed -n 1p | tr '\t' ' ')"
	fact "tolerated lockdep reports$label" "$(cut -f1-4 "$logs/lockdep-known.log" | tr '\t' ' ' | paste -sd';')"
else
	result PASS "console$label" "no panic, Oops, BUG, WARNING, lockdep or kmemleak report; lockdep on at the end"
fi

[ "$failed" = 0 ]
