#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# cover.sh read COVER: print the cover letter's subject and text (without
# the generated shortlog, diffstat and base-commit) in the form of a git
# branch description: the subject, a blank line, the text. git
# format-patch --cover-from-description=subject writes it back unchanged.

. "$(dirname "$0")/lib.sh"

[ "${1:-}" = read ] && [ -f "${2:-}" ] || die "usage: cover.sh read COVER.patch"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git mailinfo -b "$tmp/msg" "$tmp/patch" <"$2" >"$tmp/info"
subject=$(sed -n 's/^Subject: //p' "$tmp/info")
[ -n "$subject" ] || die "$2 has no subject"

printf '%s\n\n' "$subject"
# The generated part starts with the shortlog: "Author Name (N):" followed
# by indented subjects. Everything before it (minus the blank line that
# separates them) is the text written by hand.
awk '
	/^[^ ].* \([0-9]+\):$/ { hold = $0; next_is_check = 1; next }
	next_is_check {
		if ($0 ~ /^  /) exit
		lines[n++] = hold; next_is_check = 0
	}
	{ lines[n++] = $0 }
	END {
		while (n > 0 && lines[n - 1] == "") n--
		for (i = 0; i < n; i++) print lines[i]
	}
' "$tmp/msg"
