# SPDX-License-Identifier: GPL-2.0
# Common settings and helpers for the workspace scripts. Sourced, not run.

set -euo pipefail

# Debian's tools first (python3 with its modules, not a pyenv shim).
export PATH=/usr/bin:/bin:$PATH

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}

# The base tree: Debian's linux-source-7.3 binary package from
# trixie-backports, pinned to one version so that the patches' blob ids,
# the base commit and every build are reproducible.
#
# BACKPORT=6.12 selects the backport instead: its series and patches/ in
# backports/6.12/, its base Debian's linux-source-6.12 from trixie, and its
# own kernel tree. Everything else (apply, export, check) is the same.
BACKPORT=${BACKPORT:-}
case $BACKPORT in
'')
	SERIES_DIR=$TOP
	BASE_PKG=${BASE_PKG:-linux-source-7.3}
	BASE_VERSION=${BASE_VERSION:-7.3.4-1~bpo13+1}
	BASE_SUITE=${BASE_SUITE:-trixie-backports}
	;;
6.12)
	# Fixed here: BASE_* in the environment are the main series' (make
	# check runs the backport from the main run).
	SERIES_DIR=$TOP/backports/6.12
	BASE_PKG=linux-source-6.12
	BASE_VERSION=6.12.117-1
	BASE_SUITE=trixie
	;;
*)
	printf 'error: BACKPORT=%s: the backports are: 6.12\n' "$BACKPORT" >&2
	exit 1
	;;
esac
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# The user's kernel tree (base + series as commits) and the tag of its base.
if [ -n "$BACKPORT" ]; then
	KTREE=${BACKPORT_KTREE:-$BUILD/linux-$BACKPORT}
else
	KTREE=${KTREE:-$BUILD/linux}
fi
BASE_TAG=base

# Fixed options for git format-patch, so that an export round trip is
# byte-identical: numbered, zero commit ids, no git-version signature,
# cover letter text from the branch description, base named.
FORMAT_PATCH_OPTS=(--numbered --zero-commit --no-signature --cover-letter
	--cover-from-description=subject --no-thread --minimal
	--abbrev=12 --base="$BASE_TAG")
# A backport's mails say which stable tree they are for, as stable's do.
[ -z "$BACKPORT" ] || FORMAT_PATCH_OPTS+=(--subject-prefix="PATCH $BACKPORT.y")

# View folders: the files the series adds below each kernel directory.
VIEWS=(
	"drivers/vfio/pci:drivers-vfio-pci"
	"arch/powerpc/platforms/powernv:arch-powerpc-platforms-powernv"
	"tools/testing/selftests:tools-testing-selftests"
	"Documentation:Documentation"
)

ARCH_PPC=powerpc
CROSS_PPC=powerpc64le-linux-gnu-

msg() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Patch file names listed in `series`, in order (comments and blanks skipped).
series_patches() {
	local repo=${1:-$TOP}
	[ -f "$repo/series" ] || die "$repo/series does not exist"
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$repo/series"
}

# Absolute paths of the patches in series order; fails naming a missing one.
series_paths() {
	local repo=${1:-$TOP} p
	while read -r p; do
		[ -f "$repo/patches/$p" ] ||
			die "series lists patches/$p, which does not exist"
		printf '%s\n' "$repo/patches/$p"
	done < <(series_patches "$repo")
}

# git in the kernel tree with a fixed identity for commits the tooling makes.
kgit() {
	git -C "$KTREE" -c user.name="${GIT_AUTHOR_NAME:-nvlink2-series tooling}" \
		-c user.email="${GIT_AUTHOR_EMAIL:-tooling@invalid}" \
		-c advice.detachedHead=false "$@"
}

now() { date +%s; }

# Debian's linux-source tarball ends its top-level .gitignore with a
# packaging block that ignores everything at the top level, so that new
# files under arch/, drivers/... would be invisible to git status and
# git add. Drop that block from the working copy of .gitignore only, and
# tell git to leave that file alone (skip-worktree): nothing of it is ever
# committed or exported.
fix_debian_gitignore() {
	local tree=$1 f=$1/.gitignore
	grep -qx '# Debian packaging: ignore everything at the top level, since it isn'"'"'t' "$f" 2>/dev/null ||
		return 0
	git -C "$tree" update-index --skip-worktree .gitignore
	sed -i '/^# Debian packaging: ignore everything at the top level/,$d' "$f"
	# The line before the block is a lone "#".
	sed -i '${/^#$/d}' "$f"
}
