#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# get-debs.sh [--arch ARCH] [--suite SUITE] DEST PKG...: download packages
# from Debian's archive and unpack them (dpkg -x) into DEST: ppc64el ones
# for the rig's initramfs and test builds (default), amd64 ones for tools
# that bookworm has too old (sparse). PKG=VERSION pins a version: the
# archive must still have it, else the script stops and names the versions
# it has. Architecture-independent packages (_all) are found too. A
# private apt source list and state
# directory are used, so the machine's dpkg and apt state (architectures
# included) are left untouched. The .debs are cached in $BUILD/cache.

. "$(dirname "$0")/../scripts/lib.sh"

arch=ppc64el
suite=${RIG_SUITE:-bookworm}
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=$2; shift 2 ;;
	--suite) suite=$2; shift 2 ;;
	*) break ;;
	esac
done
dest=$1
shift
d=$BUILD/apt-$arch-$suite
cache=$BUILD/cache/$arch-$suite
mkdir -p "$d/lists/partial" "$d/archives/partial" "$cache" "$dest"
k=/usr/share/keyrings/debian-archive-keyring.gpg
printf 'deb [arch=%s signed-by=%s] %s %s main\n' "$arch" "$k" "$DEBIAN_MIRROR" "$suite" \
	>"$d/sources.list"
o=(-q -o "Dir::Etc::SourceList=$d/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
   -o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=/dev/null"
   -o "Dir::State::Lists=$d/lists" -o "Dir::State::status=/dev/null"
   -o "Dir::Cache=$d" -o "Dir::Cache::archives=$d/archives"
   -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
   -o "Debug::NoLocking=1")

for spec in "$@"; do
	p=${spec%%=*} want=
	[ "$p" = "$spec" ] || want=${spec#*=}
	v=${want:-*}
	v=${v/:/%3a}
	deb=$(compgen -G "$cache/${p}_${v}_$arch.deb" || compgen -G "$cache/${p}_${v}_all.deb") || deb=
	deb=$(sed -n 1p <<<"$deb")
	if [ -z "$deb" ]; then
		if [ ! -f "$d/.updated" ]; then
			apt-get "${o[@]}" update >"$d/update.log" 2>&1 ||
				die "apt-get update for $arch $suite failed (log: $d/update.log)"
			touch "$d/.updated"
		fi
		(cd "$cache" && apt-get "${o[@]}" download "$p:$arch${want:+=$want}") >"$d/download.log" 2>&1 ||
			die "downloading $p:$arch${want:+ $want} ($suite) failed: the archive has $(
				apt-cache "${o[@]}" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
					madison "$p" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); printf "%s ", $2 }')(log: $d/download.log)"
		deb=$(compgen -G "$cache/${p}_${v}_$arch.deb" || compgen -G "$cache/${p}_${v}_all.deb") ||
			die "no $p .deb after download"
		deb=$(sed -n 1p <<<"$deb")
	fi
	dpkg-deb -x "$deb" "$dest"
	msg "rig: $p $(dpkg-deb -f "$deb" Version) ($arch, $suite) unpacked"
done
