#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh REPO RESULTS: the tests of the tooling itself, run by make check.
#
# Each case copies the workspace REPO to a scratch directory, breaks the
# copy on purpose and runs the make check steps concerned on it. The case
# passes when make check fails with the expected clear line (and, for an
# apply failure, leaves the kernel tree as it was). The check tree and the
# rig build directory are shared with the main run, so the build and boot
# cases cost one incremental build each.

. "$(dirname "$0")/../../scripts/lib.sh"

repo=$1 results=$2
CHECK=${CHECK:-$BUILD/check}
CTREE=$CHECK/linux
work=$CHECK/tooling
rm -rf "$work"
mkdir -p "$work"
failed=0

result() {
	printf '%-4s  %-28s %s\n' "$1" "$2" "$3"
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"
	[ "$1" != FAIL ] || failed=1
}

g() {
	GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_SYSTEM=/dev/null \
		git -C "$CTREE" -c user.name="nvlink2-series tooling" \
		-c user.email=tooling@invalid -c advice.detachedHead=false "$@"
}

# scratch NAME: a copy of the workspace's series, patches and views.
scratch() {
	local d=$work/$1 v
	mkdir -p "$d"
	cp -a "$repo/patches" "$repo/series" "$repo/MAINTAINERS.fragment" "$d/"
	for v in "${VIEWS[@]}"; do
		cp -a "$repo/${v#*:}" "$d/"
	done
	echo "$d"
}

# expect NAME REGEX STEPS REPO: run check.sh STEPS on REPO; the case passes
# if it exits non-zero with a FAIL line matching REGEX.
expect() {
	local name=$1 re=$2 steps=$3 r=$4 out=$work/$1.out rc=0
	CHECK_LOGS=$work/$name.logs CHECK_ONLY_LAST=1 RIG_NO_KSELFTEST=${KSFT_OFF-1} CHECK_NO_GCOV=1 \
		"$TOP/scripts/check.sh" --repo "$r" --steps "$steps" \
		--results "$work/$name.tsv" >"$out" 2>&1 || rc=$?
	local line
	line=$(grep -E '^FAIL' "$out" | grep -E "$re" | sed -n 1p) || true
	if [ "$rc" != 0 ] && [ -n "$line" ]; then
		result PASS "tooling $name" "caught: $(sed 's/^FAIL  *//; s/  */ /g' <<<"$line")"
		return 0
	fi
	result FAIL "tooling $name" "make check did not fail as expected (rc=$rc; ${out#"$TOP"/})"
	return 1
}

# expect_each STEPS REPO NAME REGEX [NAME REGEX...]: one run of check.sh
# STEPS on REPO, which holds several broken patches at once (one boot for
# several cases); each NAME passes if the run fails with a FAIL line
# matching its REGEX.
expect_each() {
	local steps=$1 r=$2 name=${3}-and-more out rc=0 line
	shift 2
	out=$work/$name.out
	CHECK_LOGS=$work/$name.logs CHECK_ONLY_LAST=1 RIG_NO_KSELFTEST=${KSFT_OFF-1} CHECK_NO_GCOV=1 \
		"$TOP/scripts/check.sh" --repo "$r" --steps "$steps" \
		--results "$work/$name.tsv" >"$out" 2>&1 || rc=$?
	while [ $# -ge 2 ]; do
		case $2 in
		kunit:*)
			# A KUnit case that failed, by name: the kunit line
			# names the first failure only.
			grep -q '^FAIL  kunit' "$out" &&
				line=$(grep -E "not ok [0-9]+ .*${2#kunit:}" "$work/$name.logs/boot/console-kernel.log" |
					sed -n 1p | sed 's/^\[[^]]*\] *//') || line= ;;
		nvlink2:*)
			# A case of vfio_pci_nvlink2_test on the emulated
			# platform that failed, by name.
			grep -q '^FAIL  nvlink2 emulated-platform' "$out" &&
				line=$(grep -E "^not ok [0-9]+ ${2#nvlink2:}" \
					"$work/$name.logs/boot/nvlink2-emulated-platform.log" | sed -n 1p) || line= ;;
		reports:*)
			# In the reports the console FAIL line names, which
			# shows the first of them only.
			grep -q '^FAIL  console' "$out" &&
				line=$(grep -E "${2#reports:}" "$work/$name.logs/boot/console-reports.log" |
					sed -n 1p) || line= ;;
		*)	line=$(grep -E '^FAIL' "$out" | grep -E "$2" | sed -n 1p) || true ;;
		esac
		if [ "$rc" != 0 ] && [ -n "$line" ]; then
			result PASS "tooling $1" "caught: $(sed 's/^FAIL  *//; s/  */ /g' <<<"$line")"
		else
			result FAIL "tooling $1" "make check did not fail as expected (rc=$rc; ${out#"$TOP"/})"
		fi
		shift 2
	done
}

# add_patch REPO SUBJECT FILE SED-SCRIPT: commit an edit of FILE on top of
# the series in the check tree and add it to REPO as the last patch.
add_patch() {
	local r=$1 subject=$2 file=$3 script=$4 n name
	g checkout -q --detach "$tip"
	sed -i "$script" "$CTREE/$file"
	g diff --quiet -- "$file" && { echo "add_patch: $script changed nothing in $file" >&2; return 1; }
	g commit -q -a -m "$subject" -m "A deliberately broken patch for a tooling test." \
		-m "Assisted-by: LLM"
	n=$(( $(series_patches "$r" | wc -l) + 1 ))
	name=$(g format-patch --zero-commit --no-signature --start-number "$n" \
		-o "$r/patches" -1 HEAD | sed 's#.*/##')
	echo "$name" >>"$r/series"
	g checkout -q --detach "$tip"
}

# The check tree holds the applied series from the main run.
[ -d "$CTREE/.git" ] || { result SKIP tooling "no check tree"; exit 0; }
tip=$(g rev-parse HEAD)
p1=$(series_patches "$repo" | sed -n 1p)
plast=$(series_patches "$repo" | sed -n '$p')

# 1. A patch listed in series is missing.
r=$(scratch missing-patch)
rm "$r/patches/$p1"
expect missing-patch "series lists patches/$p1, which does not exist" series "$r"

# 2. A patch does not apply: named, and the tree is left as it was.
r=$(scratch does-not-apply)
# Change the first context line of the last patch's first hunk.
awk 'BEGIN { h = 0 } /^@@/ { h = 1; print; next }
	h == 1 && /^ / { print " tooling-test: this context line is not in the tree"; h = 2; next }
	{ print }' "$repo/patches/$plast" >"$r/patches/$plast"
g checkout -q --detach "$BASE_TAG"
before=$(g rev-parse HEAD)
if expect does-not-apply "patches/$plast does not apply" apply "$r"; then
	if [ "$(g rev-parse HEAD)" != "$before" ] || [ -n "$(g status --porcelain --untracked-files=no)" ]; then
		result FAIL "tooling does-not-apply" "the check tree was not left as it was"
	fi
fi
# The same through KERNEL= on a tree of the user's: left at its HEAD.
if ! "$TOP/scripts/apply.sh" --repo "$r" --kernel "$CTREE" >"$work/kernel-apply.out" 2>&1 &&
   grep -q "patches/$plast does not apply" "$work/kernel-apply.out" &&
   [ "$(g rev-parse HEAD)" = "$before" ] && [ -z "$(g status --porcelain --untracked-files=no)" ]; then
	result PASS "tooling kernel-not-applying" "KERNEL= tree left at its HEAD, patch named"
else
	result FAIL "tooling kernel-not-applying" "see ${work#"$TOP"/}/kernel-apply.out"
fi

# 3. KERNEL= refuses a dirty tree.
echo "/* tooling test */" >>"$CTREE/Makefile"
if ! "$TOP/scripts/apply.sh" --repo "$repo" --kernel "$CTREE" >"$work/kernel-dirty.out" 2>&1 &&
   grep -q "has uncommitted changes" "$work/kernel-dirty.out"; then
	result PASS "tooling kernel-dirty" "refused: $(grep -m1 '^error:' "$work/kernel-dirty.out" | cut -c1-90)"
else
	result FAIL "tooling kernel-dirty" "a dirty KERNEL= tree was not refused"
fi
g checkout -q -- Makefile

# 4. A view differs from the series.
r=$(scratch view-differs)
echo "/* not from the series */" >"$r/drivers-vfio-pci/stray.c"
expect view-differs "roundtrip.*differs.*drivers-vfio-pci" apply,roundtrip "$r"

# 5. Export twice changes nothing (and the first export matches the repo).
r=$(scratch export-twice)
"$TOP/scripts/export.sh" --tree "$CTREE" --repo "$r" >/dev/null 2>&1
cp -a "$r" "$work/export-once"
"$TOP/scripts/export.sh" --tree "$CTREE" --repo "$r" >/dev/null 2>&1
if diff -r "$work/export-once" "$r" >/dev/null; then
	result PASS "tooling export-twice" "a second export changes nothing"
else
	result FAIL "tooling export-twice" "a second export changed files"
fi

# The remaining cases add a patch on top of the series.
g checkout -q --detach "$tip"

# 6. A patch adds a checkpatch warning.
r=$(scratch checkpatch)
add_patch "$r" "powerpc/mm: Tooling test with a checkpatch warning" \
	arch/powerpc/mm/book3s64/iommu_api.c \
	'0,/^#include/s//int tooling_test_var ; \/* trailing whitespace *\/ \n#include/'
expect checkpatch "patch 0*$(series_patches "$r" | wc -l).*checkpatch" apply,patches "$r"

# 7. A patch does not build.
r=$(scratch no-build)
add_patch "$r" "powerpc/mm: Tooling test that does not build" \
	arch/powerpc/mm/book3s64/iommu_api.c \
	'0,/^#include/s//tooling_test_syntax_error(\n#include/'
expect no-build "does not build" apply,build "$r"

# 8-12. A KUnit case fails, the kernel WARNs at boot, memory leaks at
# boot (kmemleak, scanned by the rig, reports it), a broken overlay makes
# a KUnit case of the NVLink2 platform fail, and something writes to the
# BAR0 of a device that is not a V100 after its secondary bus reset (the
# rig's trace of the device catches it): five broken patches, in
# different files, one boot; each failure must be named.
r=$(scratch kunit-fails)
add_patch "$r" "lib: Tooling test with a failing KUnit case" \
	lib/tests/list-test.c \
	'0,/KUNIT_EXPECT_TRUE(test, list_empty_careful(&list1));/s//KUNIT_EXPECT_FALSE(test, list_empty_careful(\&list1));/'
add_patch "$r" "powerpc/mm: Tooling test that warns and leaks memory at boot" \
	arch/powerpc/mm/book3s64/iommu_api.c \
	'$a\
static void *tooling_test_ptr;\
static int __init tooling_test_warn_leak(void)\
{\
	WARN_ON(1);\
	tooling_test_ptr = kmalloc(64, GFP_KERNEL);\
	tooling_test_ptr = NULL;\
	return 0;\
}\
late_initcall(tooling_test_warn_leak);'
cases=(kunit-fails "kunit:list_test_list_init" boot-warn "reports:WARNING.*iommu_api\.c"
	boot-leak "reports:kmemleak")
dtso=arch/powerpc/platforms/powernv/tests/nvlink2_redbud.dtso
if g cat-file -e "$tip:$dtso" 2>/dev/null; then
	add_patch "$r" "powerpc/powernv/npu: Tooling test with a wrong TGT in an overlay" \
		"$dtso" 's/<0x42000000000>;/<0x42000001000>;/'
	cases+=(broken-overlay "kunit:redbud")
fi
add_patch "$r" "powerpc/powernv: Tooling test that writes BAR0 after an SBR" \
	arch/powerpc/platforms/powernv/eeh-powernv.c \
	'/^void pnv_pci_reset_secondary_bus(struct pci_dev \*dev)$/i\
static void tooling_test_poke(struct pci_bus *bus)\
{\
	struct pci_dev *pdev;\
	void __iomem *p;\
	u16 cmd;\
\
	list_for_each_entry(pdev, &bus->devices, bus_list) {\
		p = pci_iomap_range(pdev, 0, 0, 0x1000);\
		if (!p)\
			continue;\
		pci_update_resource(pdev, 0);\
		pci_read_config_word(pdev, PCI_COMMAND, &cmd);\
		pci_write_config_word(pdev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);\
		iowrite32(0, p + 0x200);\
		pci_write_config_word(pdev, PCI_COMMAND, cmd);\
		pci_iounmap(pdev, p);\
	}\
}\

/^	\/\* The reset brought the NVLinks of a GPU back up. \*\/$/i\
	if (dev->subordinate)\
		tooling_test_poke(dev->subordinate);\
'
cases+=(sbr-writes-bar0 "sbr .*write\(s\) to the device.s BAR0")
expect_each apply,build,boot "$r" "${cases[@]}"

# 13. A reviewer's check: without the bounds check of GPU RAM reads and
# writes, vfio_pci_nvlink2_test fails on the emulated NVLink2 platform.
# Its own boot: the unchecked access ends the boot in a machine check
# (QEMU has nothing past the emulated GPU RAM), so nothing after it runs
# (a boot shared with case 14 lost the vmm step that way).
main=drivers/vfio/pci/nvlink2/main.c
if g cat-file -e "$tip:$main" 2>/dev/null &&
   g cat-file -e "$tip:tools/testing/selftests/vfio/vfio_pci_nvlink2_test.c" 2>/dev/null; then
	r=$(scratch nvlink2-bounds)
	add_patch "$r" "vfio/nvlink2: Tooling test without the bounds check" \
		"$main" 's/	if (pos >= size)$/	if (false)/'
	KSFT_OFF= expect_each apply,build,boot "$r" nvlink2-bounds "nvlink2:nvlink2_gpu\.ram_rw_bounds"
fi

# 14. The vmm step: with a wrong TGT in the bridges' SSATGT capability,
# QEMU 7.2 pairs no bridge with the GPU: it finds no ATSD
# register for the guest and does not start. The case wants a failure on
# QEMU's side (realize, or the guest's tree), not only the host's own
# comparison of the capability with its device tree.
if g cat-file -e "$tip:$main" 2>/dev/null; then
	r=$(scratch vmm-wrong-tgt)
	add_patch "$r" "vfio/nvlink2: Tooling test with a wrong TGT for bridges" \
		"$main" 's/ret = nvlink2_add_tgt_cap(caps, nvdev->bridge.tgt);/ret = nvlink2_add_tgt_cap(caps, nvdev->bridge.tgt + 0x10000);/'
	RIG_VMM=1 expect vmm-wrong-tgt "vmm (realize|guest-links|guest-tgt)" apply,build,boot "$r"
	# Without the capability at all (ret = 0 instead of adding it), QEMU
	# links no bridge either (measured once, 2026-11-30); not run every
	# time, for the 60 minutes of CI.
fi

# 15. A documentation patch that Sphinx warns about.
doc=Documentation/driver-api/vfio-pci-nvlink2.rst
if g cat-file -e "$tip:$doc" 2>/dev/null; then
	r=$(scratch docs-warning)
	add_patch "$r" "docs: vfio: Tooling test with a broken title" \
		"$doc" 's/^Hardware model$/Hardware model, with a title longer than its underline/'
	expect docs-warning "docs.*vfio-pci-nvlink2.rst" apply,docs "$r"
fi

# 16. Coverage under its floor: the main run's figures with the counters
# of the driver's file lost, as when its tests no longer run, must fail
# on that file; and a function no test reaches must be listed with a
# reason. Both from the main run's coverage.json (no boot).

# cov_case NAME REGEX WHAT JSON UNREACHED: coverage.py report on JSON
# must fail with a line matching REGEX.
cov_case() {
	local rc=0 line out=$work/$1.out
	python3 "$cov" report --json "$4" --floor "$TOP/testing/coverage-floor" \
		--unreached "$5" >"$out" 2>&1 || rc=$?
	line=$(grep -m1 "$2" "$out") || true
	if [ "$rc" != 0 ] && [ -n "$line" ]; then
		result PASS "tooling $1" "caught: ${line#FAIL: }"
	else
		result FAIL "tooling $1" "$3 (rc=$rc; ${out#"$TOP"/})"
	fi
}
cj=${COVERAGE_JSON:-}
cov=$TOP/testing/coverage.py
if [ -n "$cj" ] && [ -f "$cj" ]; then
	drv=drivers/vfio/pci/nvlink2/main.c
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
for l in r["files"][sys.argv[3]]["lines"]:
    l[2] = 0
json.dump(r, open(sys.argv[2], "w"))' "$cj" "$work/coverage-drop.json" "$drv"
	cov_case coverage-drop "^FAIL: $drv: .* < floor" "a file under its floor did not fail" \
		"$work/coverage-drop.json" "$TOP/testing/coverage-unreached"
	grep -v "$(printf '\t')nvlink2_vfio_pci_exit$(printf '\t')" "$TOP/testing/coverage-unreached" \
		>"$work/coverage-unreached"
	cov_case coverage-unlisted "^FAIL: .*not in testing/coverage-unreached" \
		"an unreached function with no reason did not fail" "$cj" "$work/coverage-unreached"
else
	result SKIP "tooling coverage" "no coverage figures from the main run"
fi

# 17. A backport patch that does not build on its base (6.12): the
# backport step, which checks the backport as a series of its own in its
# own check tree ($CHECK/6.12), must fail on it. Only the last patch is
# built, incrementally, on the backport's build of the main run.
bp=6.12
if [ -f "$repo/backports/$bp/series" ] && [ -d "$CHECK/$bp/linux/.git" ] &&
   [ -f "$CHECK/$bp/out-y/.rig-baseline" ]; then
	r=$(scratch backport-no-build)
	cp -a "$repo/backports" "$r/"
	if (
		CTREE=$CHECK/$bp/linux
		tip=$(g rev-parse HEAD)
		add_patch "$r/backports/$bp" "powerpc/mm: Tooling test of a backport that does not build" \
			arch/powerpc/mm/book3s64/iommu_api.c \
			'0,/^#include/s//tooling_test_syntax_error(\n#include/'
	); then
		n=$(series_patches "$r/backports/$bp" | wc -l)
		CHECK_BACKPORT_STEPS=apply,build expect backport-no-build \
			"$bp build 0*$n .*does not build" backport "$r" || true
	else
		result FAIL "tooling backport-no-build" "could not add the broken patch to the backport's series"
	fi
else
	result SKIP "tooling backport-no-build" "no backport check tree from the main run"
fi

# Leave the check tree on the series again.
g checkout -q --detach "$tip"
[ "$failed" = 0 ]
