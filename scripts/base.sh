#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Make sure $KTREE holds the base tree: Debian's $BASE_PKG $BASE_VERSION
# unpacked into a git repository with one commit, tagged $BASE_TAG.
#
# The package is fetched with a private apt source list and state directory
# under $BUILD/apt, so the machine's own apt configuration is never touched.
# The .deb is cached in $BUILD/cache and the git tree is reused as long as
# its base commit names the pinned version.

. "$(dirname "$0")/lib.sh"

want="$BASE_PKG $BASE_VERSION"

base_subject() {
	git -C "$KTREE" log -1 --format=%s "$BASE_TAG" 2>/dev/null || true
}

if [ -d "$KTREE/.git" ] && [ "$(base_subject)" = "Debian $want" ]; then
	fix_debian_gitignore "$KTREE"
	msg "base: Debian $want (cached in ${KTREE#"$TOP"/})"
	exit 0
fi
if [ -e "$KTREE" ]; then
	if [ -d "$KTREE/.git" ]; then
		die "$KTREE is based on '$(base_subject)', not on Debian $want: move it away (it may hold your work) and run again"
	fi
	die "$KTREE exists but is not a git tree made by this tooling: move it away and run again"
fi

apt_dir=$BUILD/apt/$BASE_SUITE
cache=$BUILD/cache
deb=$cache/${BASE_PKG}_${BASE_VERSION//:/%3a}_all.deb
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$cache"

apt_opts=(
	-o "Dir::Etc::SourceList=$apt_dir/sources.list"
	-o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::Etc::Preferences=/dev/null"
	-o "Dir::Etc::PreferencesParts=/dev/null"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::State::status=/dev/null"
	-o "Dir::Cache=$apt_dir"
	-o "Dir::Cache::archives=$apt_dir/archives"
	-o "Debug::NoLocking=1"
	-q
)

if [ ! -s "$deb" ]; then
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -r "$keyring" ] || die "$keyring is missing: install debian-archive-keyring"
	printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$DEBIAN_MIRROR" \
		"$BASE_SUITE" > "$apt_dir/sources.list"
	msg "base: fetching the $BASE_SUITE package index (private apt state in ${apt_dir#"$TOP"/})"
	apt-get "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1 ||
		die "apt-get update for $BASE_SUITE failed, see $apt_dir/update.log"

	avail=$(apt-cache "${apt_opts[@]}" madison "$BASE_PKG" 2>/dev/null |
		awk -F'|' '{gsub(/ /, "", $2); print $2}' | sort -u | tr '\n' ' ')
	if [ -z "$avail" ]; then
		others=$(apt-cache "${apt_opts[@]}" pkgnames linux-source- 2>/dev/null |
			sort -V | tr '\n' ' ')
		die "$BASE_SUITE no longer has $BASE_PKG (it has: ${others:-nothing}). The series targets $want: set BASE_PKG/BASE_VERSION in scripts/lib.sh to a package it has (or DEBIAN_MIRROR to a snapshot.debian.org archive that still has $want), then make apply and fix up the series"
	fi
	case " $avail " in
	*" $BASE_VERSION "*) ;;
	*) die "$BASE_SUITE has $BASE_PKG version(s) $avail but not the pinned $BASE_VERSION. Set BASE_VERSION in scripts/lib.sh to one of them (or DEBIAN_MIRROR to a snapshot.debian.org archive that has it), then make apply and check that the series still applies" ;;
	esac

	msg "base: downloading $BASE_PKG $BASE_VERSION"
	(cd "$cache" && apt-get "${apt_opts[@]}" download "$BASE_PKG=$BASE_VERSION") \
		>"$apt_dir/download.log" 2>&1 ||
		die "downloading $BASE_PKG $BASE_VERSION failed, see $apt_dir/download.log"
	got=$(compgen -G "$cache/${BASE_PKG}_*_all.deb" | sed -n 1p) ||
		die "apt-get download left no .deb in $cache"
	[ "$got" = "$deb" ] || mv "$got" "$deb"
fi

ver=$(dpkg-deb -f "$deb" Version)
[ "$ver" = "$BASE_VERSION" ] || die "$deb is version $ver, expected $BASE_VERSION"

msg "base: unpacking Debian $want"
tmp=$BUILD/.base-unpack
rm -rf "$tmp"
mkdir -p "$tmp/deb"
dpkg-deb -x "$deb" "$tmp/deb"
tarball=$(compgen -G "$tmp/deb/usr/src/$BASE_PKG.tar.*" | sed -n 1p) ||
	die "$deb holds no /usr/src/$BASE_PKG.tar.*"
tar -C "$tmp" -xf "$tarball"
[ -f "$tmp/$BASE_PKG/Makefile" ] || die "$tarball did not unpack to $BASE_PKG/"

# The base commit is made reproducible (fixed identity and date, taken from
# the package), so its id is the same on every machine.
maint=$(dpkg-deb -f "$deb" Maintainer)
pdate=$(zcat "$tmp/deb/usr/share/doc/$BASE_PKG/changelog.Debian.gz" |
	sed -n 's/^ -- .*>  \(.*\)$/\1/p' | sed -n 1p)
[ -n "$pdate" ] || die "no date in the package changelog"

src=$tmp/$BASE_PKG
git -C "$src" init -q -b base-tree
# The tarball's top-level .gitignore ends with Debian's packaging rule that
# ignores everything at the top level, hence the forced add.
git -C "$src" add -f -A
GIT_AUTHOR_NAME=${maint% <*} GIT_AUTHOR_EMAIL=$(sed 's/.*<\(.*\)>.*/\1/' <<<"$maint") \
GIT_COMMITTER_NAME=${maint% <*} GIT_COMMITTER_EMAIL=$(sed 's/.*<\(.*\)>.*/\1/' <<<"$maint") \
GIT_AUTHOR_DATE=$pdate GIT_COMMITTER_DATE=$pdate \
	git -C "$src" -c commit.gpgsign=false commit -q --no-verify \
	-m "Debian $want" \
	-m "Unpacked from ${deb##*/} ($BASE_SUITE): Linux ${BASE_VERSION%%-*} with Debian's patches."
git -C "$src" tag "$BASE_TAG"
mkdir -p "$(dirname "$KTREE")"
mv "$src" "$KTREE"
fix_debian_gitignore "$KTREE"
rm -rf "$tmp"
msg "base: Debian $want, commit $(git -C "$KTREE" rev-parse --short=12 "$BASE_TAG")"
