# SPDX-License-Identifier: GPL-2.0
#
# awk -v allow=ALLOWLIST -v known=KNOWN.log -f lockdep-filter.awk CONSOLE
#
# Copy the console to stdout less the lockdep reports that ALLOWLIST
# tolerates, whole (the report, its stack and register dump), so that the
# console scan does not see them; write one line per tolerated report to
# KNOWN: "TEST<TAB>KIND<TAB>HELD<TAB>ACQUIRED<TAB>REASON".
#
# A lockdep entry of the allowlist reads
#   lockdep:KIND:HELD:ACQUIRED:TEST<TAB>reason
# KIND "circular", HELD the lock class the task holds, ACQUIRED the one it
# tries to take, TEST the init test (RIG: BEGIN) during which it may
# happen: nothing looser matches.

function strip(s) { sub(/^\[ *[0-9]+\.[0-9]+\] /, "", s); sub(/\r$/, "", s); return s }
function lock_of(s) { return match(s, /\([^)]*\)/) ? substr(s, RSTART + 1, RLENGTH - 2) : "" }
function flush(    key) {
	key = kind ":" held ":" acq ":" test
	if (key in ok) {
		printf "%s\t%s\t%s\t%s\t%s\n", test, kind, held, acq, ok[key] > known
	} else {
		printf "%s", buf
	}
	state = 0
	buf = ""
}

BEGIN {
	while ((getline l < allow) > 0) {
		if (l !~ /^lockdep:/)
			continue
		split(l, f, "\t")
		ok[substr(f[1], 9)] = f[2]
	}
}

{ line = strip($0) }

line ~ /^RIG: BEGIN / { split(line, w, " "); test = w[3] }

state == 0 && line ~ /WARNING: possible circular locking dependency detected/ {
	state = 1; kind = "circular"; held = acq = want = ""; buf = $0 "\n"; next
}

state == 1 {
	buf = buf $0 "\n"
	if (want == "acq") acq = lock_of(line)
	if (want == "held") held = lock_of(line)
	want = ""
	if (line ~ /is trying to acquire lock:$/) want = "acq"
	if (line ~ /is already holding lock:$/) want = "held"
	if (line ~ /^stack backtrace:/) state = 2
	next
}

# The stack and the register dump that end the report.
state == 2 {
	if (line ~ /^(CPU: |Tainted: |Hardware name: |Call Trace:|\[c[0-9a-f]+\] |---- interrupt|NIP|LR |REGS: |MSR: |CFAR: |IRQMASK: |GPR[0-9]+: )/ || line == "") {
		buf = buf $0 "\n"
		next
	}
	flush()
}

{ print }

END { if (state) flush() }
