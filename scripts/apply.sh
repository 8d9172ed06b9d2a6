#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# apply.sh [--repo DIR] [--tree TREE | --kernel TREE]
#
# Apply the patches listed in DIR/series (default: this workspace), in
# order, with git am.
#
# Without --kernel: onto the base of TREE (default $KTREE, made by base.sh;
# make check uses a clone of it), on branch `series` started from the base
# tag, so that the tree's commits are the series. The cover letter's
# subject and text become the branch description, from which export.sh
# writes it back.
#
# With --kernel TREE: onto the current HEAD of the user's own git tree,
# which must be clean. Either way a patch that does not apply is named and
# the tree is left exactly as it was (git am --abort).

. "$(dirname "$0")/lib.sh"

repo=$SERIES_DIR
tree=
own=$KTREE
while [ $# -gt 0 ]; do
	case $1 in
	--repo) repo=$2; shift 2 ;;
	--tree) own=$(realpath -m "$2"); shift 2 ;;
	--kernel) tree=$2; shift 2 ;;
	*) die "apply.sh: unknown argument $1" ;;
	esac
done

mapfile -t patches < <(series_paths "$repo") || exit 1
# series_paths dies in a subshell: repeat the check here to stop at once.
[ "${#patches[@]}" -eq "$(series_patches "$repo" | wc -l)" ] || exit 1
[ "${#patches[@]}" -gt 0 ] || die "series lists no patches"

# git without the user's global configuration, so that format options,
# hooks or am settings in ~/.gitconfig cannot change what is applied.
g() {
	GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_SYSTEM=/dev/null \
		git -C "$tree" -c user.name="nvlink2-series tooling" \
		-c user.email=tooling@invalid -c advice.detachedHead=false "$@"
}

refuse_dirty() {
	local what=$1
	git -C "$tree" rev-parse --git-dir >/dev/null 2>&1 ||
		die "$tree is not a git tree"
	local gd
	gd=$(git -C "$tree" rev-parse --absolute-git-dir)
	if [ -d "$gd/rebase-apply" ] || [ -d "$gd/rebase-merge" ]; then
		die "$what has a git am or rebase in progress: finish or abort it first"
	fi
	if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
		die "$what has uncommitted changes: commit or stash them first (git status in $tree)"
	fi
}

if [ -z "$tree" ]; then
	[ "$own" != "$KTREE" ] || "$TOP/scripts/base.sh"
	tree=$own
	git -C "$tree" rev-parse -q --verify "refs/tags/$BASE_TAG" >/dev/null ||
		die "$tree has no '$BASE_TAG' tag: it is not a tree made by make apply"
	refuse_dirty "the kernel tree $tree"
	orig=$(g rev-parse HEAD)
	orig_branch=$(g symbolic-ref -q --short HEAD || true)
	# Keep what was there before as a ref, so nothing is lost silently.
	if g rev-parse -q --verify refs/heads/series >/dev/null &&
	   [ "$(g rev-parse series)" != "$(g rev-parse "$BASE_TAG")" ]; then
		stamp=$(date +%Y%m%d-%H%M%S)
		backup=refs/backup/series-$stamp
		g update-ref "$backup" series
	fi
	g checkout -q -B series "$BASE_TAG"
	fix_debian_gitignore "$tree"
	onto="the base ($BASE_PKG $BASE_VERSION)"
else
	[ -d "$tree" ] || die "KERNEL=$tree does not exist"
	tree=$(cd "$tree" && pwd)
	refuse_dirty "KERNEL=$tree"
	onto="$tree at $(git -C "$tree" rev-parse --short=12 HEAD)"
fi

gd=$(git -C "$tree" rev-parse --absolute-git-dir)
if ! g am -q --no-3way "${patches[@]}" >"$gd/apply.log" 2>&1; then
	n=$(cat "$gd/rebase-apply/next" 2>/dev/null || echo 0)
	bad=${patches[$((n - 1))]:-}
	g am --abort >/dev/null 2>&1 || true
	if [ -n "${orig:-}" ]; then
		# Our own tree: back to where it was before the series branch moved.
		if [ "$orig_branch" = series ]; then
			g checkout -q -B series "$orig"
		elif [ -n "$orig_branch" ]; then
			g checkout -q "$orig_branch"
		else
			g checkout -q --detach "$orig"
		fi
	fi
	sed 's/^/  /' "$gd/apply.log" >&2
	if [ -n "$bad" ]; then
		die "patches/${bad##*/} does not apply to $onto; the tree is left as it was"
	fi
	die "git am failed on $onto; the tree is left as it was"
fi

# Carry the cover letter over as the branch description (our tree only).
cover=$(compgen -G "$repo/patches/0000-*.patch" | sed -n 1p) || cover=
if [ "$tree" = "$own" ] && [ -n "$cover" ]; then
	"$TOP/scripts/cover.sh" read "$cover" >"$gd/cover-description"
	g config branch.series.description "$(cat "$gd/cover-description")"
fi

if [ -n "${backup:-}" ]; then
	if [ "$(g rev-parse "$backup^{tree}")" = "$(g rev-parse "HEAD^{tree}")" ]; then
		g update-ref -d "$backup"
	else
		msg "apply: the previous 'series' branch differed; it is kept as $backup"
	fi
fi
msg "apply: ${#patches[@]} patch(es) applied onto $onto"
if [ "$tree" = "$own" ]; then
	msg "apply: kernel tree ready in ${tree#"$TOP"/} (branch series, base tag '$BASE_TAG')"
fi
