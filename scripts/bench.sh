#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh: figures for the GPU RAM region of nvlink2-vfio-pci on the
# emulated NVLink2 platform of the rig (make bench). Not a test: it
# applies and builds the tip of the series as make check does (in the same
# check tree, incrementally), boots it with rig.bench under both MMUs, and
# prints the "bench:" lines of testing/nvlink2-bench. They are figures of
# QEMU TCG on this machine, not of a POWER9: what they show is how many
# page faults a mapping of GPU RAM takes, and how the access paths compare.

. "$(dirname "$0")/lib.sh"

CHECK=${CHECK:-$BUILD/check}
logs=$BUILD/bench
rm -rf "$logs"
mkdir -p "$logs"
CHECK_LOGS=$logs/check CHECK_ONLY_LAST=1 "$TOP/scripts/check.sh" \
	--steps apply,build >"$logs/check.out" 2>&1 ||
	{ cat "$logs/check.out"; die "bench: the series does not build"; }

# radix: QEMU's device tree as it is (4K and 64K radix pages, THP off);
# radix-huge: the same with the radix page sizes of a POWER9 added (test
# scaffolding, RIG_RADIX_HUGE in testing/run-qemu.sh); hash: disable_radix.
for mmu in radix radix-huge hash; do
	append=rig.bench huge=
	[ "$mmu" = hash ] && append+=" disable_radix"
	[ "$mmu" = radix-huge ] && huge=1
	RIG_RADIX_HUGE=$huge RIG_APPEND=$append RIG_NO_KSELFTEST=1 "$TOP/testing/boot.sh" "$CHECK/linux" \
		"$CHECK/out-y" "$TOP" "$logs/$mmu" "$logs/results.tsv" "$logs/facts.tsv" \
		>"$logs/$mmu.out" 2>&1 || true
	console=$logs/$mmu/console.log
	if ! grep -q '^bench: ' "$console" 2>/dev/null; then
		cat "$logs/$mmu.out"
		die "bench: no figures with the $mmu MMU (${console#"$TOP"/})"
	fi
	echo "${mmu%-huge} MMU${huge:+ (2M and 1G pages added to the device tree)}, THP $(tr -d '\r' <"$console" | sed -n 's/^THP: //p' | sed -n 1p):"
	tr -d '\r' <"$console" | sed -n 's/^bench: /  /p'
done
echo "($(tr -d '\r' <"$logs/radix/console.log" | sed -n 's/^\[ *[0-9.]*\] nvlink2-emu: //p' | sed -n 1p);"
echo " QEMU $(qemu-system-ppc64 --version | sed -n 's/^QEMU emulator version //p') TCG, $(nproc) host CPUs)"
