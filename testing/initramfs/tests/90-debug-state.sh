# SPDX-License-Identifier: GPL-2.0
# After the tests: lockdep must still be on (it switches itself off after
# its first report) and kmemleak must have nothing to report.
rc=0
if [ -r /proc/lockdep_stats ]; then
	dl=$(sed -n 's/^ *debug_locks: *//p' /proc/lockdep_stats)
	echo "lockdep debug_locks: $dl"
	[ "$dl" = 1 ] || { echo "FAIL: lockdep is off"; rc=1; }
else
	echo "FAIL: no /proc/lockdep_stats (lockdep not built in)"; rc=1
fi
k=/sys/kernel/debug/kmemleak
if [ -w "$k" ]; then
	# kmemleak reports only objects older than 5 s: give those of the
	# last tests (e.g. an unloaded module's) the time to age.
	sleep 6
	echo scan >"$k"
	echo scan >"$k"
	leaks=$(grep -c '^unreferenced object' "$k")
	echo "kmemleak: $leaks suspected leak(s)"
	if [ "$leaks" != 0 ]; then
		cat "$k"
		echo "FAIL: kmemleak reports leaks"; rc=1
	fi
fi
exit $rc
