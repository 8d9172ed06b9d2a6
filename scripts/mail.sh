#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mail.sh: the series as mail, ready to send but not sent (make mail).
#
# In a scratch kernel tree (build/mail/linux, sharing build/linux's
# objects) it applies the series onto the base, enrols the branch with
# "b4 prep", writes the cover letter of patches/0000-cover-letter.patch,
# collects To/Cc with get_maintainer.pl ("b4 prep --auto-to-cc"; Cc:
# trailers of a patch, such as linux-api for the UAPI, add to it) and
# writes one .eml per message with "b4 send -o" (a dry run), all in b4's
# offline mode: nothing goes on the network. The messages are in
# build/mail/out; they are from the workspace's identity: the human
# submitter sends the series from their own tree (see README.md).

. "$(dirname "$0")/lib.sh"

mail=$BUILD/mail
tree=$mail/linux
out=$mail/out
[ -d "$KTREE/.git" ] || "$TOP/scripts/base.sh" >/dev/null || die "mail: no base tree"
rm -rf "$mail"
mkdir -p "$mail" "$out"
git clone -q --shared --no-checkout "$KTREE" "$tree"

t() { GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_SYSTEM=/dev/null git -C "$tree" "$@"; }
t checkout -q -b nvlink2-vfio "$BASE_TAG"
fix_debian_gitignore "$tree"
t config user.name "$(git -C "$TOP" config user.name)"
t config user.email "$(git -C "$TOP" config user.email)"
# b4 sends by the web endpoint unless SMTP is configured; -o only writes.
t config sendemail.smtpserver localhost

while read -r p; do
	t am -q "$TOP/patches/$p" || { t am --abort; die "mail: patches/$p does not apply"; }
done < <(series_patches "$TOP")

# The cover text: the cover letter's subject (without [PATCH 00/NN]) and
# body, up to the diffstat.
cover=$(compgen -G "$TOP/patches/0000-*.patch" | sed -n 1p)
[ -n "$cover" ] || die "mail: no cover letter"
awk '
	/^Subject: / { sub(/^Subject: \[PATCH [0-9]+\/[0-9]+\] /, ""); subj = $0; insubj = 1; next }
	insubj && /^ / { sub(/^ /, " "); subj = subj $0; next }
	insubj { insubj = 0; print subj; print ""; body = 1; next }
	body && /^---$/ { exit }
	body && /^Seed [0-9a-f]+ maintainers \(/ { exit }
	body { print }
' "$cover" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$mail/cover.txt"

cat >"$mail/editor" <<'EDIT'
#!/bin/sh
# EDITOR for "b4 prep --edit-cover": our cover text, then b4's tracking.
{ cat "$COVER_TEXT"; echo; sed -n '/^--- b4-submit-tracking ---$/,$p' "$1"; } >"$1.new" &&
	mv "$1.new" "$1"
EDIT
chmod +x "$mail/editor"

(
	cd "$tree" || exit 1
	b4 --offline-mode prep -e "$BASE_TAG" &&
	COVER_TEXT=$mail/cover.txt EDITOR=$mail/editor b4 --offline-mode prep --edit-cover &&
	b4 --offline-mode prep --auto-to-cc &&
	b4 --offline-mode send -o "$out" --no-sign
) >"$mail/b4.log" 2>&1 || { cat "$mail/b4.log"; die "mail: b4 failed (log: ${mail#"$TOP"/}/b4.log)"; }

# What a sender would check first.
n=$(series_patches "$TOP" | wc -l)
count=$(find "$out" -name '*.eml' | wc -l)
[ "$count" = $((n + 1)) ] || die "mail: $count messages for $n patches and a cover letter"
grep -l 'EDITME' "$out"/*.eml && die "mail: EDITME left in the messages above"
for f in "$out"/*.eml; do
	grep -q '^To: ' "$f" || die "mail: no To: in ${f##*/}"
	grep -q '^Cc: ' "$f" || die "mail: no Cc: in ${f##*/}"
	grep -q '^Signed-off-by: ' "$f" && die "mail: ${f##*/} carries a Signed-off-by"
done
# get_maintainer.pl per patch, as a table for README.md.
{
	echo "| patch | lists | maintainers and reviewers |"
	echo "|---|---|---|"
	while read -r p; do
		r=$(cd "$tree" && perl scripts/get_maintainer.pl --nogit --nogit-fallback \
			--norolestats "$TOP/patches/$p" 2>/dev/null)
		lists=$(grep -oE '^[a-z0-9.-]+@(vger\.kernel\.org|lists\.[a-z0-9.-]+)' <<<"$r" |
			sed 's/@.*//' | sort | tr '\n' ' ')
		cc=$(sed -n '/^---$/q; s/^Cc: \([a-z0-9.-]*\)@.*/\1/p' "$TOP/patches/$p" | tr '\n' ' ')
		people=$(grep '<' <<<"$r" | sed 's/ *<.*//; s/"//g' | paste -sd, | sed 's/,/, /g')
		echo "| ${p%%-*} | ${lists% }${cc:+ + ${cc% } (Cc: trailer)} | $people |"
	done < <(series_patches "$TOP")
} >"$mail/get_maintainer.md"

msg "mail: $count messages in ${out#"$TOP"/} (b4 $(b4 --version), offline, nothing sent):"
for f in "$out"/*.eml; do
	printf '  %s\n' "${f##*/}"
done
msg "get_maintainer.pl per patch: ${mail#"$TOP"/}/get_maintainer.md"
