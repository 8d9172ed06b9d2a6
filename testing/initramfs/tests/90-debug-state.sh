# SPDX-License-Identifier: GPL-2.0
# After the tests: whether lockdep is still on (it switches itself off
# after its first report; make check judges that) and kmemleak must have
# nothing to report.
rc=0
if [ -r /proc/lockdep_stats ]; then
	dl=$(sed -n 's/^ *debug_locks: *//p' /proc/lockdep_stats)
	# make check judges it: off is fine only after a report that
	# testing/console-allowlist tolerates.
	echo "lockdep debug_locks: $dl"
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
