#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh main|test|mail: install from Debian's archive what the job needs
# (apt-get install --no-install-recommends), only the packages missing.
#
# QEMU must be 10 or newer: Debian 12's QEMU 7.2 gives powernv9 a Hash MMU
# only, 10 boots it with radix. On bookworm it comes from bookworm-backports,
# through a private source list and package-list directory, so the
# machine's own apt configuration is left alone.

. "$(dirname "$0")/lib.sh"

main_pkgs=(git xz-utils debian-archive-keyring)
test_pkgs=(
	"${main_pkgs[@]}"
	make gcc g++ libc6-dev bc bison flex libelf-dev cpio kmod perl python3
	gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross ccache rsync python3-ply python3-git
	uuid-dev python3-sphinx python3-yaml device-tree-compiler
)
qemu_pkgs=(qemu-system-ppc qemu-system-data)
mail_pkgs=("${main_pkgs[@]}" b4 git-filter-repo)

case ${1:-} in
main) want=("${main_pkgs[@]}"); need_qemu=0 ;;
test) want=("${test_pkgs[@]}"); need_qemu=1 ;;
mail) want=("${mail_pkgs[@]}"); need_qemu=0 ;;
*) die "usage: deps.sh main|test|mail" ;;
esac

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q 'install ok installed' || printf '%s\n' "$p"
	done
}

sudo=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || die "not root and no sudo: install $* by hand"
	sudo=sudo
fi

apt_install() {
	msg "deps: apt-get install --no-install-recommends $*"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "$@" >"$BUILD/apt-install.log" 2>&1 || {
		tail -n 20 "$BUILD/apt-install.log" >&2
		die "apt-get install failed (log: $BUILD/apt-install.log)"
	}
}

mkdir -p "$BUILD"
mapfile -t todo < <(missing "${want[@]}")
if [ "${#todo[@]}" -gt 0 ]; then
	# A fresh machine may have no package lists yet.
	if ! $sudo apt-get install -y -q --no-install-recommends --dry-run \
			"${todo[@]}" >/dev/null 2>&1; then
		$sudo apt-get update -q >"$BUILD/apt-update.log" 2>&1 ||
			die "apt-get update failed (log: $BUILD/apt-update.log)"
	fi
	apt_install "${todo[@]}"
fi

qemu_major() {
	qemu-system-ppc64 --version 2>/dev/null |
		sed -n 's/^QEMU emulator version \([0-9]*\)\..*/\1/p'
}

qv=$(qemu_major || true)
if [ "$need_qemu" = 1 ] && [ "${qv:-0}" -lt 10 ]; then
	. /etc/os-release
	if [ "${VERSION_CODENAME:-}" = bookworm ]; then
		d=$BUILD/apt-host
		mkdir -p "$d/lists/partial"
		k=/usr/share/keyrings/debian-archive-keyring.gpg
		{
			for s in bookworm bookworm-updates bookworm-backports; do
				echo "deb [signed-by=$k] $DEBIAN_MIRROR $s main"
			done
			echo "deb [signed-by=$k] ${DEBIAN_MIRROR%/debian}/debian-security bookworm-security main"
		} >"$d/sources.list"
		o=(-o "Dir::Etc::SourceList=$d/sources.list"
		   -o "Dir::Etc::SourceParts=/dev/null" -o "Dir::State::Lists=$d/lists")
		msg "deps: QEMU 10 from bookworm-backports (private source list in ${d#"$TOP"/})"
		$sudo apt-get "${o[@]}" update -q >"$d/update.log" 2>&1 ||
			die "apt-get update with bookworm-backports failed (log: $d/update.log)"
		msg "deps: apt-get install -t bookworm-backports ${qemu_pkgs[*]}"
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get "${o[@]}" install -y -q \
			--no-install-recommends -t bookworm-backports "${qemu_pkgs[@]}" \
			>"$d/install.log" 2>&1 || {
			tail -n 20 "$d/install.log" >&2
			die "installing QEMU from bookworm-backports failed (log: $d/install.log)"
		}
	else
		apt_install "${qemu_pkgs[@]}"
	fi
	qv=$(qemu_major || true)
	[ "${qv:-0}" -ge 10 ] ||
		die "qemu-system-ppc64 ${qv:-(none)} is older than 10: the rig needs QEMU 10 for a radix powernv9"
fi
exit 0
