#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [--repo DIR] [--steps LIST] [--results FILE]
#
# The tests of the series (make check). Each step prints one result line,
# "PASS|FAIL|SKIP  step  detail"; a summary table comes at the end and the
# exit status is non-zero if any step failed.
#
# Steps, in order (LIST is a comma-separated subset; default: all):
#   series     every patch listed in series exists, none is unlisted
#   apply      the series applies to the base (git am), in the check tree
#   roundtrip  export of the applied tree reproduces patches/, series, views
#   patches    per patch: checkpatch --strict, trailers, cited commit ids,
#              kernel-doc and sparse on the files it touches
#   build      per patch: incremental W=1 builds of the rig config with
#              the series' options =y and =n; a new warning fails the
#              patch, and so does a change of the =n vmlinux once the
#              options exist (code outside the options)
#   tip        at the tip: the series' options =m, with KASAN
#              (testing/configs/kasan.config); x86_64 drivers/vfio/,
#              headers_install and the UAPI header test, the selftests
#              the series touches
#   docs       the .rst files the series adds or changes, built with
#              Sphinx (htmldocs) with no warning on them
#   boot       QEMU powernv9: KUnit, the series' kselftests, the VFIO
#              smoke test, console scan, with gcov on the series' .c
#              files (coverage per file and patch, against the floor of
#              testing/coverage-floor); then the =m kernel of the tip
#              step with its modules loaded and unloaded
#   backport   each backport (backports/*/: 6.12) as its own series: the
#              series, apply, roundtrip, patches, build and boot steps
#              above on its own base (BACKPORT=6.12), with the main
#              tree's kselftests and without coverage; its lines start
#              with "6.12"
#   tooling    the tests of this tooling (testing/tooling-tests/)
#
# The check tree ($CHECK/linux) and build directories ($CHECK/out-*) are
# kept at fixed paths, so that N patches cost N small rebuilds (ccache).
# CHECK_LOGS moves the logs elsewhere; CHECK_ONLY_LAST=1 checks and builds
# only the last patch (the tooling tests use both).

. "$(dirname "$0")/lib.sh"

repo=$SERIES_DIR
steps=series,apply,roundtrip,patches,build,tip,docs,boot,backport,tooling
# A backport on its own (make check BACKPORT=6.12): the steps its part of
# the main run has.
[ -z "$BACKPORT" ] || steps=series,apply,roundtrip,patches,build,boot
CHECK=${CHECK:-$BUILD/check${BACKPORT:+/$BACKPORT}}
results=
while [ $# -gt 0 ]; do
	case $1 in
	--repo) repo=$(realpath "$2"); shift 2 ;;
	--steps) steps=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	*) die "check.sh: unknown argument $1" ;;
	esac
done

CTREE=$CHECK/linux
LOGS=${CHECK_LOGS:-$CHECK/logs}
# A backport boots with the main series' kselftests: those of the main
# check tree, when run on its own after a make check.
# No coverage there: the floors and reasons are the main series'.
[ -z "$BACKPORT" ] || export CHECK_NO_GCOV=1
if [ -n "$BACKPORT" ] && [ -z "${RIG_KSELFTEST_TREE:-}" ]; then
	export RIG_KSELFTEST_TREE=$BUILD/check/linux RIG_KSELFTEST_KB=$BUILD/check/out-y
	export RIG_KSELFTEST_OUT=$BUILD/check/logs/boot/kselftest-out
	[ ! -f "$repo/nvlink2-skips" ] || export RIG_NVLINK2_SKIPS=$repo/nvlink2-skips
fi
mkdir -p "$CHECK" "$LOGS"
[ -n "$results" ] || results=$LOGS/results.tsv
: >"$results"
t_start=$(now)

want() { case ",$steps," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

# result STATUS STEP DETAIL: one line on stdout, one row in $results.
failed=0
# RESULT_PREFIX ("6.12 " in a backport's run) starts every STEP.
result() {
	printf '%-4s  %-28s %s\n' "$1" "${RESULT_PREFIX:-}$2" "$3"
	printf '%s\t%s\t%s\n' "$1" "${RESULT_PREFIX:-}$2" "$3" >>"$results"
	[ "$1" != FAIL ] || failed=1
}

# Extra facts for the summary (key TAB value).
facts=$LOGS/facts.tsv
: >"$facts"
fact() { printf '%s\t%s\n' "${RESULT_PREFIX:-}$1" "$2" >>"$facts"; }

g() {
	GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_SYSTEM=/dev/null \
		git -C "$CTREE" -c advice.detachedHead=false "$@"
}

# The options the series adds, "NAME TYPE" per line (TYPE bool or
# tristate), from the "config NAME" blocks of the Kconfig files it touches.
series_options_typed() {
	local p
	series_paths "$repo" | while read -r p; do
		awk '
			/^\+(menu)?config[ \t]+[A-Za-z0-9_]+/ {
				name = $2; next
			}
			name != "" && /^\+[ \t]+(def_)?(bool|tristate)/ {
				t = $2; sub(/^def_/, "", t); print name, t; name = ""; next
			}
			!/^\+/ { name = "" }
		' "$p"
	done | sort -u
}

series_options() {
	series_options_typed | cut -d' ' -f1
}

# The rig config fragment with the series' options set to $1: y; m (the
# bool ones stay y); or n.
fragment() {
	local val=$1 o t
	if [ -f "$repo/rig-absent" ]; then
		# Options of the rig that a backport's base does not have, one
		# name per line (backports/6.12/rig-absent says why).
		grep -vE -f <(sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)$/^\1=/p' "$repo/rig-absent") \
			"$TOP/testing/configs/rig.config"
	else
		cat "$TOP/testing/configs/rig.config"
	fi
	echo "# The series' options"
	series_options_typed | while read -r o t; do
		if [ "$val" = n ]; then
			echo "# CONFIG_$o is not set"
		elif [ "$val" = m ] && [ "$t" = bool ]; then
			echo "CONFIG_$o=y"
		else
			echo "CONFIG_$o=$val"
		fi
	done
}

# configure OUT ARCH FRAGMENT-FILE [OPTION...]: (re)configure OUT when the
# fragment changed; a new config means a full rebuild, so the warning
# baseline of OUT is dropped with it. Every option of the fragment must come
# out as asked, except the OPTIONs named (e.g. powerpc-only ones on x86).
configure() {
	local out=$1 arch=$2 frag=$3 sum
	shift 3
	local loose=" $* "
	sum=$(sha1sum <"$frag" | cut -d' ' -f1)
	if [ -f "$out/.rig-config-full" ] &&
	   [ "$(cat "$out/.rig-fragment" 2>/dev/null)" = "$sum" ]; then
		return 0
	fi
	mkdir -p "$out"
	rm -f "$out/.rig-baseline"
	local kbuild_arch=$arch
	[ "$arch" = x86_64 ] && kbuild_arch=x86
	(cd "$CTREE" && ARCH=$kbuild_arch CROSS_COMPILE=$([ "$arch" = powerpc ] && echo "$CROSS_PPC") \
		scripts/kconfig/merge_config.sh -n -O "$out" "$frag") >"$out/.merge.log" 2>&1 ||
		{ cat "$out/.merge.log"; return 1; }
	# Every option asked for must have survived olddefconfig.
	local missing
	missing=$(grep -E '^CONFIG_[A-Za-z0-9_]+=' "$frag" | while IFS= read -r l; do
		o=${l%%=*}
		case $loose in *" ${o#CONFIG_} "*) continue ;; esac
		grep -qxF "$l" "$out/.config" || echo "$o"
	done)
	missing+=$(sed -n 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1/p' "$frag" | while read -r o; do
		grep -qE "^$o=" "$out/.config" && echo " $o (should be off)"
	done || true)
	if [ -n "$missing" ]; then
		echo "config: not set as asked (unmet dependencies?): $missing"
		return 1
	fi
	echo "$sum" >"$out/.rig-fragment"
	cp "$out/.config" "$out/.rig-config-full"
}

# restore_config OUT ARCH: back to the full config made at the tip. A
# checkout of an earlier patch, whose Kconfig lacks some of the series'
# options, makes kbuild drop them from .config; they must come back for
# the patch that adds them. Only the files that use a changed option are
# rebuilt (fixdep).
restore_config() {
	local out=$1 arch=$2
	cp "$out/.rig-config-full" "$out/.config"
	"$TOP/scripts/kmake.sh" "$CTREE" "$out" "$arch" olddefconfig >/dev/null 2>&1
}

# Warnings of a kbuild log, one per line, without line and column numbers
# (they move when a patch adds lines above them) and without the tree path.
warnings_of() {
	sed -n -e 's#^\([^ :]*\):[0-9]*:[0-9]*: warning: \(.*\)#\1: warning: \2#p' \
	       -e 's#^\([^ :]*\):[0-9]*: warning: \(.*\)#\1: warning: \2#p' \
	       -e 's#^Warning: \([^ :]*\):[0-9]* \(.*\)#\1: kernel-doc: \2#p' \
	       -e 's#^WARNING: modpost: \(.*\)#modpost: \1#p' "$1" |
		sed -e "s#$CTREE/##g" -e 's#^\(\.\./\)*##' | sort -u
}

# "text data bss" of OUT/vmlinux.
vmlinux_size() {
	"${CROSS_PPC}size" -B "$1/vmlinux" | awk 'NR == 2 { print $1, $2, $3 }'
}

# build OUT ARCH LOG [targets]: kbuild W=1 through ccache, with the full
# config of OUT.
build() {
	local out=$1 arch=$2 log=$3
	shift 3
	restore_config "$out" "$arch"
	"$TOP/scripts/kmake.sh" "$CTREE" "$out" "$arch" W=1 "$@" >"$log" 2>&1
}

# ---------------------------------------------------------------- series
if want series; then
	missing=()
	while read -r p; do
		[ -f "$repo/patches/$p" ] || missing+=("$p")
	done < <(series_patches "$repo")
	unlisted=()
	for f in "$repo"/patches/[0-9][0-9][0-9][0-9]-*.patch; do
		[ -e "$f" ] || continue
		b=${f##*/}
		case $b in 0000-*) continue ;; esac
		series_patches "$repo" | grep -qxF "$b" || unlisted+=("$b")
	done
	cover=$(compgen -G "$repo/patches/0000-*.patch" | sed -n 1p) || cover=
	n=$(series_patches "$repo" | wc -l)
	fact patches "$n"
	if [ "${#missing[@]}" -gt 0 ]; then
		result FAIL series "series lists patches/${missing[0]}, which does not exist${missing[1]:+ (and ${#missing[@]} in all)}"
	elif [ "${#unlisted[@]}" -gt 0 ]; then
		result FAIL series "patches/${unlisted[0]} is not listed in series"
	elif [ -z "$cover" ]; then
		result FAIL series "no cover letter patches/0000-*.patch"
	else
		result PASS series "$n patches listed, all present, cover letter ${cover##*/}"
	fi
fi

# ---------------------------------------------------------------- apply
commits=()
applied=0
if want apply; then
	"$TOP/scripts/base.sh" >"$LOGS/base.log" 2>&1 || {
		cat "$LOGS/base.log" >&2
		result FAIL apply "no base tree: $(tail -n1 "$LOGS/base.log")"
	}
	fact base "$(sed -n 's/^base: //p' "$LOGS/base.log" | sed -n '$p')"
	if [ -d "$KTREE/.git" ] && ! [ -d "$CTREE/.git" ]; then
		rm -rf "$CTREE"
		git clone -q --shared --no-checkout "$KTREE" "$CTREE"
		g checkout -q --detach "$BASE_TAG"
	fi
	[ -d "$CTREE/.git" ] && fix_debian_gitignore "$CTREE"
	if [ -d "$CTREE/.git" ]; then
		# A previous run may have stopped half way: start clean.
		g am --abort >/dev/null 2>&1 || true
		g reset -q --hard
		fix_debian_gitignore "$CTREE"
		if "$TOP/scripts/apply.sh" --repo "$repo" --tree "$CTREE" >"$LOGS/apply.log" 2>&1; then
			mapfile -t commits < <(g rev-list --reverse "$BASE_TAG..HEAD")
			applied=1
			result PASS apply "${#commits[@]} patches apply to $BASE_PKG $BASE_VERSION"
		else
			result FAIL apply "$(grep '^error:' "$LOGS/apply.log" | tail -n1 | sed 's/^error: //')"
		fi
	fi
elif [ -d "$CTREE/.git" ] && g rev-parse -q --verify "$BASE_TAG" >/dev/null; then
	mapfile -t commits < <(g rev-list --reverse "$BASE_TAG..HEAD")
	[ "${#commits[@]}" -gt 0 ] && applied=1
fi

# ---------------------------------------------------------------- roundtrip
if want roundtrip; then
	if [ "$applied" = 1 ]; then
		rt=$CHECK/roundtrip
		rm -rf "$rt"
		mkdir -p "$rt"
		"$TOP/scripts/export.sh" --tree "$CTREE" --repo "$rt" >"$LOGS/roundtrip.log" 2>&1
		diffs=()
		outs=(patches series)
		[ -n "$BACKPORT" ] || outs+=(MAINTAINERS.fragment "${VIEWS[@]#*:}")
		for v in "${outs[@]}"; do
			if ! diff -r "$repo/$v" "$rt/$v" >>"$LOGS/roundtrip.log" 2>&1; then
				diffs+=("$v")
			fi
		done
		if [ "${#diffs[@]}" -eq 0 ]; then
			result PASS roundtrip "export reproduces ${outs[*]}"
		else
			result FAIL roundtrip "export differs from the committed ${diffs[*]} (make export, then commit; diff in ${LOGS#"$TOP"/}/roundtrip.log)"
		fi
	else
		result SKIP roundtrip "the series did not apply"
	fi
fi

# The bases of the backports, fetched and unpacked while the main series
# is checked and built (download, xz and git hashing: about one core); the
# backport step waits for them.
declare -A bp_base_pid=()
if want backport && [ -z "$BACKPORT" ]; then
	for bp in "$repo"/backports/*/series; do
		[ -e "$bp" ] || continue
		v=$(basename "$(dirname "$bp")")
		mkdir -p "$LOGS/$v"
		BACKPORT=$v "$TOP/scripts/base.sh" >"$LOGS/$v-base.log" 2>&1 &
		bp_base_pid[$v]=$!
	done
fi

# ---------------------------------------------------------------- patches/build
known=$TOP/testing/known-commits
mapfile -t pfiles < <(series_paths "$repo" 2>/dev/null || true)

# Commit ids cited in the commit message (not in the diff) as
# 'commit <id> ("subject")' or 'Fixes: <id> ("subject")'.
check_commit_ids() {
	local p=$1 bad=() id subj line k
	while IFS=$'\t' read -r id subj; do
		line=$(grep -i "^${id:0:12}" "$known" 2>/dev/null | sed -n 1p) || line=
		k=${line#* }
		if [ -z "$line" ]; then
			bad+=("$id not in testing/known-commits")
		elif [ "$k" != "$subj" ]; then
			bad+=("$id is \"$k\", not \"$subj\"")
		fi
	done < <(sed -n '1,/^---$/p' "$p" | tr '\n' ' ' | sed 's/  */ /g' |
		grep -oE '\b[0-9a-f]{12,40} \("[^"]+"\)' |
		sed -E 's/^([0-9a-f]+) \("(.*)"\)$/\1\t\2/')
	printf '%s\n' "${bad[@]}"
}

# kernel-doc -none -Wall warnings of FILES as they read at REV, normalised.
kdoc_at() {
	local rev=$1 tmp f
	shift
	tmp=$(mktemp -d)
	for f in "$@"; do
		g cat-file -e "$rev:$f" 2>/dev/null || continue
		mkdir -p "$tmp/$(dirname "$f")"
		g show "$rev:$f" >"$tmp/$f"
	done
	# kernel-doc is Python in the main base, Perl in 6.12 (the backport).
	local kdoc=python3
	head -n1 "$CTREE/scripts/kernel-doc" | grep -q perl && kdoc=perl
	(cd "$tmp" && [ -n "$(ls -A)" ] &&
		"$kdoc" "$CTREE/scripts/kernel-doc" -none -Wall $(cd "$tmp" && find . -type f | sed 's#^\./##') 2>&1) |
		sed -E -e 's#^([^ :]+):[0-9]+: (warning|error): #\1: \2: #' \
		       -e 's#^(Warning|warning|Error|error): ([^ :]+):[0-9]+:? *#\1: \2: #' | sort -u
	rm -rf "$tmp"
}

# sparse (C=2) warnings of the compiled .c FILES in the current checkout.
sparse_now() {
	local out=$1 f objs=()
	shift
	for f in "$@"; do
		case $f in *.c) ;; *) continue ;; esac
		[ -f "$out/${f%.c}.o" ] && objs+=("${f%.c}.o")
	done
	[ "${#objs[@]}" -gt 0 ] || return 0
	"$TOP/scripts/kmake.sh" "$CTREE" "$out" powerpc C=2 W=1 CHECK="$SPARSE" \
		"${objs[@]}" 2>&1 |
		sed -n -e "s#$CTREE/##g" -e 's#^\(\.\./\)*##' \
		    -e 's#^\([^ :]*\):[0-9]*:[0-9]*: \(warning\|error\): #\1: \2: #p' | sort -u
}

# The reason testing/nsize-changes gives for the patch with subject $1 to
# change the =n vmlinux (common code changed on purpose), or nothing.
nsize_reason() {
	local subj=$1
	[ -f "$TOP/testing/nsize-changes" ] || return 0
	awk -F'\t' -v s="$subj" '!/^#/ && $1 == s { print $2; exit }' "$TOP/testing/nsize-changes"
}

OUTY=$CHECK/out-y
OUTN=$CHECK/out-n
SPARSE=
if want patches && want build; then
	SPARSE=$("$TOP/scripts/get-sparse.sh" 2>"$LOGS/sparse.log") ||
		result FAIL sparse "no usable sparse: $(tail -n1 "$LOGS/sparse.log")"
fi
if { want patches || want build; } && [ "$applied" = 1 ]; then
	[ "${#pfiles[@]}" -eq "${#commits[@]}" ] ||
		die "internal: ${#pfiles[@]} patches but ${#commits[@]} commits"
	fragment y >"$CHECK/rig-y.config"
	fragment n >"$CHECK/rig-n.config"
	only_last=${CHECK_ONLY_LAST:-0}
	if want build; then
		# Configure with the Kconfig of the tip, where every option exists.
		g checkout -q --detach "${commits[-1]}"
		if ! configure "$OUTY" powerpc "$CHECK/rig-y.config" >"$LOGS/config-y.log" 2>&1; then
			result FAIL build "rig config: $(tail -n1 "$LOGS/config-y.log")"
		fi
		if ! configure "$OUTN" powerpc "$CHECK/rig-n.config" >"$LOGS/config-n.log" 2>&1; then
			result FAIL build "rig config =n: $(tail -n1 "$LOGS/config-n.log")"
		fi
		g checkout -q --detach "$BASE_TAG"
	fi
	# The first patch that adds an option: from the one before it on, the
	# =n vmlinux must not change (the options gate all the new code).
	first_opt=
	for i in "${!pfiles[@]}"; do
		if grep -qE '^\+(menu)?config[[:space:]]' "${pfiles[$i]}"; then
			first_opt=$i
			break
		fi
	done
	nsize_ref=
	nsize_ref_at=base
	[ -f "$OUTY/.rig-baseline" ] || only_last=0
	if want build && [ "$only_last" = 1 ]; then
		g checkout -q --detach "${commits[-2]:-$BASE_TAG}"
	elif want build; then
		# The warning baseline is the full W=1 build of the base with this
		# config; later builds add what they recompile at the base.
		if [ ! -f "$OUTY/.rig-baseline" ]; then
			"$TOP/scripts/kmake.sh" "$CTREE" "$OUTY" powerpc clean >/dev/null 2>&1 || true
		fi
		t0=$(now)
		touch "$OUTY/.rig-baseline"
		if build "$OUTY" powerpc "$LOGS/build-base.log" vmlinux modules; then
			warnings_of "$LOGS/build-base.log" | sort -u - "$OUTY/.rig-baseline" >"$OUTY/.rig-baseline.new"
			mv "$OUTY/.rig-baseline.new" "$OUTY/.rig-baseline"
			fact "build base" "$(( $(now) - t0 ))s"
			result PASS "build base" "$(( $(now) - t0 ))s, $(wc -l <"$OUTY/.rig-baseline") W=1 warnings in the base"
		else
			result FAIL "build base" "the base does not build with the rig config (${LOGS#"$TOP"/}/build-base.log)"
		fi
		if build "$OUTN" powerpc "$LOGS/build-base-n.log" vmlinux modules; then
			nsize_ref=$(vmlinux_size "$OUTN")
			fact "vmlinux =n base" "$nsize_ref"
		else
			result FAIL "build base =n" "the base does not build (${LOGS#"$TOP"/}/build-base-n.log)"
		fi
	fi
	cp_checkpatch=0 cp_w=0 cp_c=0 cp_e=0
	for i in "${!commits[@]}"; do
		c=${commits[$i]}
		p=${pfiles[$i]}
		name=${p##*/}
		num=${name%%-*}
		mapfile -t touched < <(g diff-tree --no-commit-id --name-only -r --diff-filter=AM "$c")
		mapfile -t csrc < <(printf '%s\n' "${touched[@]}" | grep -E '\.[ch]$' || true)
		if want patches && { [ "${CHECK_ONLY_LAST:-0}" != 1 ] ||
		     [ "$i" = $(( ${#commits[@]} - 1 )) ]; }; then
			problems=()
			# checkpatch --strict; MISSING_SIGN_OFF is expected (the human
			# submitter signs off) and UNKNOWN_COMMIT_ID cannot be checked in a
			# tree without history: cited ids are checked below instead.
			(cd "$CTREE" && perl scripts/checkpatch.pl --strict --show-types \
				--ignore MISSING_SIGN_OFF,UNKNOWN_COMMIT_ID "$p") >"$LOGS/checkpatch-$num.log" 2>&1 || true
			tot=$(grep -E '^total: ' "$LOGS/checkpatch-$num.log" | sed -n 1p) || true
			e=$(sed -n 's/^total: \([0-9]*\) errors.*/\1/p' <<<"$tot")
			w=$(sed -n 's/.* \([0-9]*\) warnings.*/\1/p' <<<"$tot")
			ch=$(sed -n 's/.* \([0-9]*\) checks.*/\1/p' <<<"$tot")
			# checkpatch knows the CamelCase names of include/*.h but
			# does not look at arch/*/include, where the OPAL API
			# lives (OpalPciBusAll...): count those names as known.
			for word in $(sed -n 's/^CHECK:CAMELCASE: Avoid CamelCase: <\(.*\)>$/\1/p' "$LOGS/checkpatch-$num.log"); do
				if grep -rqw --include='*.h' "$word" "$CTREE"/arch/*/include; then
					ch=$((ch - 1))
					echo "known arch CamelCase name: $word" >>"$LOGS/checkpatch-$num.log"
				fi
			done
			# A backport keeps the main series' Assisted-by trailer, the
			# free-form value of the main base's coding-assistants.rst;
			# 6.12's checkpatch wants "AGENT:MODEL" there (6.12 has no
			# such document): that one warning is counted apart.
			ab_kept=0
			if [ -n "$BACKPORT" ]; then
				ab_kept=$(grep -c "^WARNING:BAD_SIGN_OFF: Assisted-by expects 'AGENT_NAME:MODEL_VERSION" \
					"$LOGS/checkpatch-$num.log") || true
				w=$(( ${w:-0} - ab_kept ))
			fi
			cp_e=$((cp_e + ${e:-0})) cp_w=$((cp_w + ${w:-0})) cp_c=$((cp_c + ${ch:-0}))
			if [ -z "$tot" ]; then
				problems+=("checkpatch did not run")
			elif [ "${e:-0}${w:-0}${ch:-0}" != 000 ]; then
				first=$(grep -E '^(ERROR|WARNING|CHECK):' "$LOGS/checkpatch-$num.log" |
					grep -v "^WARNING:BAD_SIGN_OFF: Assisted-by expects 'AGENT_NAME:MODEL_VERSION" |
					sed -n 1p) || true
				problems+=("checkpatch: ${e}E/${w}W/${ch}C, first: $first")
			fi
			msgpart=$(sed -n '1,/^---$/p' "$p")
			grep -q '^Signed-off-by:' <<<"$msgpart" &&
				problems+=("carries Signed-off-by (only the human submitter adds it)")
			grep -qE '^Assisted-by: LLM( [A-Za-z0-9._+-]+)*$' <<<"$msgpart" ||
				problems+=("no 'Assisted-by: LLM [TOOL...]' trailer")
			mapfile -t badids < <(check_commit_ids "$p" | sed '/^$/d')
			[ "${#badids[@]}" -eq 0 ] || problems+=("cited commit ${badids[0]}")
			if [ "${#csrc[@]}" -gt 0 ]; then
				newdoc=$(comm -13 <(kdoc_at "$c~1" "${csrc[@]}") <(kdoc_at "$c" "${csrc[@]}"))
				[ -z "$newdoc" ] || problems+=("kernel-doc: $(sed -n 1p <<<"$newdoc")")
			fi
			if [ "${#problems[@]}" -eq 0 ] && [ "$ab_kept" -gt 0 ]; then
				result PASS "patch $num" "checkpatch --strict clean but for the main series' Assisted-by format, trailers ok, kernel-doc clean"
			elif [ "${#problems[@]}" -eq 0 ]; then
				result PASS "patch $num" "checkpatch --strict clean, trailers ok, kernel-doc clean"
			else
				result FAIL "patch $num" "${problems[0]}${problems[1]:+ (+$(( ${#problems[@]} - 1 )) more, ${LOGS#"$TOP"/}/checkpatch-$num.log)}"
			fi
		fi
		if want build && [ "$only_last" = 1 ] && [ "$i" != $(( ${#commits[@]} - 1 )) ]; then
			:
		elif want build; then
			sp_before=
			[ -z "$SPARSE" ] || sp_before=$(sparse_now "$OUTY" "${csrc[@]}")
			g checkout -q --detach "$c"
			t0=$(now)
			if build "$OUTY" powerpc "$LOGS/build-$num.log" vmlinux modules; then
				secs=$(( $(now) - t0 ))
				fact "build $num" "${secs}s"
				new=$(comm -13 "$OUTY/.rig-baseline" <(warnings_of "$LOGS/build-$num.log"))
				if [ -n "$new" ]; then
					printf '%s\n' "$new" >"$LOGS/build-$num.new-warnings"
					result FAIL "build $num" "new W=1 warning: $(sed -n 1p <<<"$new") (${LOGS#"$TOP"/}/build-$num.new-warnings)"
				else
					result PASS "build $num" "${secs}s incremental, no new W=1 warning"
				fi
			else
				fact "build $num" "$(( $(now) - t0 ))s"
				result FAIL "build $num" "$name does not build: $(grep -m1 -E 'error:|Error [0-9]' "$LOGS/build-$num.log")"
			fi
			# The same patch with the series' options off.
			t0=$(now)
			if [ "$only_last" = 1 ]; then
				:
			elif build "$OUTN" powerpc "$LOGS/build-$num-n.log" vmlinux modules; then
				nsize=$(vmlinux_size "$OUTN")
				fact "vmlinux =n $num" "$nsize"
				new=$(comm -13 "$OUTY/.rig-baseline" <(warnings_of "$LOGS/build-$num-n.log"))
				if [ -n "$new" ]; then
					result FAIL "build $num =n" "new W=1 warning: $(sed -n 1p <<<"$new")"
				elif [ -n "$first_opt" ] && [ "$i" -ge "$first_opt" ] &&
				     [ -n "$nsize_ref" ] && [ "$nsize" != "$nsize_ref" ] &&
				     why=$(nsize_reason "$(g log -1 --format=%s "$c")") && [ -n "$why" ]; then
					# A change of common code on purpose: new reference.
					result PASS "build $num =n" "options off, vmlinux $nsize (was $nsize_ref; testing/nsize-changes: $why)"
					nsize_ref=$nsize
					nsize_ref_at=$num
				elif [ -n "$first_opt" ] && [ "$i" -ge "$first_opt" ] &&
				     [ -n "$nsize_ref" ] && [ "$nsize" != "$nsize_ref" ]; then
					result FAIL "build $num =n" "with the options off, vmlinux is $nsize, not $nsize_ref as at $nsize_ref_at: code outside the options (if on purpose, say why in testing/nsize-changes)"
				else
					result PASS "build $num =n" "$(( $(now) - t0 ))s, options off, vmlinux $nsize"
				fi
			else
				result FAIL "build $num =n" "$name does not build with the options off: $(grep -m1 -E 'error:|Error [0-9]' "$LOGS/build-$num-n.log")"
			fi
			if [ -n "$first_opt" ] && [ "$i" -lt "$first_opt" ]; then
				nsize_ref=${nsize:-}
				nsize_ref_at=$num
			fi
			if [ -n "$SPARSE" ]; then
				sp_after=$(sparse_now "$OUTY" "${csrc[@]}")
				spnew=$(comm -13 <(printf '%s\n' "$sp_before" | sed '/^$/d') <(printf '%s\n' "$sp_after" | sed '/^$/d'))
				nsrc=$(printf '%s\n' "${csrc[@]}" | grep -c '\.c$' || true)
				if [ -n "$spnew" ]; then
					result FAIL "sparse $num" "new sparse warning: $(sed -n 1p <<<"$spnew")"
				else
					result PASS "sparse $num" "no new sparse warning in the $nsrc .c file(s) it touches"
				fi
			fi
		else
			g checkout -q --detach "$c"
		fi
	done
	want patches && fact checkpatch "${cp_e} errors, ${cp_w} warnings, ${cp_c} checks"
fi

# ---------------------------------------------------------------- tip
if want tip && [ "$applied" = 1 ]; then
	g checkout -q --detach "${commits[-1]}"
	opts=$(series_options | tr '\n' ' ')
	if [ -z "$opts" ]; then
		result SKIP "tip =m" "the series adds no Kconfig option yet"
	else
		# =n is built for every patch (build NNNN =n).
		for val in m; do
			# The =m kernel is also the KASAN one (its boot's tests run
			# under KASAN).
			{ fragment "$val"; cat "$TOP/testing/configs/kasan.config"; } >"$CHECK/rig-$val.config"
			out=$CHECK/out-$val
			t0=$(now)
			if ! configure "$out" powerpc "$CHECK/rig-$val.config" >"$LOGS/config-$val.log" 2>&1; then
				result FAIL "tip =$val" "config: $(tail -n1 "$LOGS/config-$val.log")"
			elif build "$out" powerpc "$LOGS/build-tip-$val.log" vmlinux modules; then
				result PASS "tip =$val" "builds with ${opts% }=$val and KASAN ($(( $(now) - t0 ))s)"
			else
				result FAIL "tip =$val" "does not build with the options =$val: $(grep -m1 -E 'error:|Error [0-9]' "$LOGS/build-tip-$val.log")"
			fi
		done
	fi
	# x86_64: drivers/vfio/ with whatever of the series applies there, and
	# the UAPI headers installed and compile-tested (C and C++).
	out=$CHECK/out-x86
	{ cat "$TOP/testing/configs/x86_64.config"; for o in $opts; do echo "CONFIG_$o=y"; done; } >"$CHECK/x86.config"
	t0=$(now)
	# shellcheck disable=SC2086 # one word per option
	if ! configure "$out" x86_64 "$CHECK/x86.config" $opts >"$LOGS/config-x86.log" 2>&1; then
		result FAIL "tip x86_64" "config: $(tail -n1 "$LOGS/config-x86.log")"
	elif build "$out" x86_64 "$LOGS/build-x86.log" drivers/vfio/ usr/ &&
	     "$TOP/scripts/kmake.sh" "$CTREE" "$out" x86_64 headers_install \
		INSTALL_HDR_PATH="$out/hdr" >>"$LOGS/build-x86.log" 2>&1; then
		nw=$(warnings_of "$LOGS/build-x86.log" | grep -c '^drivers/vfio\|^include/\|^usr/' || true)
		if [ "$nw" != 0 ]; then
			result FAIL "tip x86_64" "W=1 warnings in drivers/vfio or the UAPI headers (${LOGS#"$TOP"/}/build-x86.log)"
		else
			result PASS "tip x86_64" "drivers/vfio/ builds, headers_install and UAPI header test ok ($(( $(now) - t0 ))s)"
		fi
		# The selftests the series touches, natively.
		mapfile -t xtargets < <(g diff --name-only "$BASE_TAG" HEAD -- tools/testing/selftests/ |
			sed -n 's#^tools/testing/selftests/\([^/]*\)/.*#\1#p' | sort -u)
		if [ "${#xtargets[@]}" -gt 0 ]; then
			rm -rf "$CHECK/ksft-x86"
			if make -C "$CTREE/tools/testing/selftests" TARGETS="${xtargets[*]}" \
				KHDR_INCLUDES="-isystem $out/hdr/include" O="$CHECK/ksft-x86" \
				>"$LOGS/kselftest-x86.log" 2>&1; then
				result PASS "tip x86_64 kselftests" "${xtargets[*]} build for x86_64"
			else
				result FAIL "tip x86_64 kselftests" "${xtargets[*]}: $(grep -m1 -E 'error|Error' "$LOGS/kselftest-x86.log")"
			fi
		fi
	else
		result FAIL "tip x86_64" "drivers/vfio/ or the UAPI header test fails: $(grep -m1 -E 'error:|Error [0-9]' "$LOGS/build-x86.log")"
	fi
fi

# ---------------------------------------------------------------- docs
# The reStructuredText the series adds or changes, built with Sphinx in
# the top-level directories that hold it (make htmldocs SPHINXDIRS=...):
# no warning may name one of those files. Sphinx keeps about one core
# busy, so when the KASAN boot (one vCPU) is to come, it runs beside that
# boot instead of here (docs_deferred).
run_docs() {
	local failed=0
	mapfile -t rst < <(g diff --name-only --diff-filter=AM "$BASE_TAG" "${commits[-1]}" -- 'Documentation/*.rst')
	if [ "${#rst[@]}" -eq 0 ]; then
		result SKIP docs "the series changes no .rst file"
	else
		dirs=$(printf '%s\n' "${rst[@]}" | cut -d/ -f2 | sort -u | tr '\n' ' ')
		t0=$(now)
		if ! (cd "$CTREE" && make O="$CHECK/out-docs" SPHINXDIRS="${dirs% }" htmldocs) \
			>"$LOGS/docs.log" 2>&1; then
			result FAIL docs "make htmldocs SPHINXDIRS=\"${dirs% }\" fails (${LOGS#"$TOP"/}/docs.log)"
		else
			bad=$(grep -E 'WARNING|ERROR' "$LOGS/docs.log" | grep -F -f <(printf '%s\n' "${rst[@]}") || true)
			if [ -n "$bad" ]; then
				result FAIL docs "$(sed -n 1p <<<"$bad" | sed "s#$CTREE/##")"
			else
				result PASS docs "${rst[*]}: htmldocs SPHINXDIRS=\"${dirs% }\" with no warning on them ($(( $(now) - t0 ))s)"
			fi
		fi
	fi
	[ "$failed" = 0 ]
}
docs_deferred=0
if want docs && [ "$applied" = 1 ]; then
	if want boot && want tip && [ -s "$CHECK/out-m/modules.order" ] &&
	   [ -f "$CHECK/out-m/vmlinux" ] && [ -f "$OUTY/vmlinux" ]; then
		docs_deferred=1
	else
		g checkout -q --detach "${commits[-1]}"
		run_docs || failed=1
	fi
fi

# ---------------------------------------------------------------- boot
if want boot; then
	if [ "$applied" = 1 ] && [ -f "$OUTY/vmlinux" ]; then
		# Coverage: the =y kernel with the series' .c files profiled
		# by gcov (not through ccache, whose hits would carry the .gcda
		# path of another build); its counters come back on the console.
		# kbuild matches GCOV_PROFILE_<stem>.o by stem: other files of
		# the same name (init/main.c...) are profiled too, and ignored.
		g checkout -q --detach "${commits[-1]}"
		cov=$TOP/testing/coverage.py
		mapfile -t gfiles < <(python3 "$cov" files --tree "$CTREE" --base "$BASE_TAG" \
			--exclude "$TOP/testing/coverage-exclude")
		gvars=()
		# The tests of the tooling boot without it (CHECK_NO_GCOV).
		[ -z "${CHECK_NO_GCOV:-}" ] || gfiles=()
		for f in "${gfiles[@]}"; do
			b=${f##*/}
			gvars+=("GCOV_PROFILE_${b%.c}.o=y")
		done
		gcov_ok=0
		t0=$(now)
		if [ -n "${CHECK_NO_GCOV:-}" ]; then
			:
		elif [ "${#gvars[@]}" -eq 0 ]; then
			result SKIP coverage "the series adds or changes no .c file to profile"
		elif CCACHE_DISABLE=1 build "$OUTY" powerpc "$LOGS/build-gcov.log" vmlinux modules "${gvars[@]}"; then
			gcov_ok=1
			printf '%s\n' "${gfiles[@]}" | python3 -c 'import json, sys; print(json.dumps(sys.stdin.read().split()))' \
				>"$LOGS/coverage-files.json"
			fact "build gcov" "$(( $(now) - t0 ))s, ${#gfiles[@]} files profiled"
		else
			result FAIL coverage "the =y kernel does not build with gcov on the series' files (${LOGS#"$TOP"/}/build-gcov.log)"
		fi
		"$TOP/testing/boot.sh" "$CTREE" "$OUTY" "$repo" "$LOGS/boot" "$results" "$facts" ||
			failed=1
		if [ "$gcov_ok" = 1 ]; then
			if ! python3 "$cov" measure --console "$LOGS/boot/console.log" --out "$OUTY" \
				--tree "$CTREE" --base "$BASE_TAG" --gcov "${CROSS_PPC}gcov" \
				--files "$LOGS/coverage-files.json" --json "$LOGS/coverage.json" \
				>"$LOGS/coverage.log" 2>&1; then
				result FAIL coverage "no coverage figures: $(tail -n1 "$LOGS/coverage.log")"
			else
				crc=0
				python3 "$cov" report --json "$LOGS/coverage.json" \
					--floor "$TOP/testing/coverage-floor" \
					--unreached "$TOP/testing/coverage-unreached" \
					>"$LOGS/coverage.txt" 2>&1 || crc=$?
				while read -r kind name rest; do
					case $kind in
					file) fact "coverage $name" "$rest" ;;
					patch) fact "coverage patch $name" "$rest" ;;
					esac
				done <"$LOGS/coverage.txt"
				sum=$(sed -n 's/^summary //p' "$LOGS/coverage.txt")
				if [ "$crc" = 0 ]; then
					result PASS coverage "${sum%% *} of the lines the series adds ran (${sum#* }; per file and patch: ${LOGS#"$TOP"/}/coverage.txt)"
				else
					result FAIL coverage "$(grep -m1 '^FAIL: ' "$LOGS/coverage.txt" | sed 's/^FAIL: //') (${LOGS#"$TOP"/}/coverage.txt)"
				fi
			fi
		fi
		# The =m kernel of the tip step: its modules load, bind, unbind
		# and unload in the rig, and Debian 12's QEMU 7.2 drives the
		# series (the vmm step, testing/vmm/).
		if want tip && [ -s "$CHECK/out-m/modules.order" ] && [ -f "$CHECK/out-m/vmlinux" ]; then
			# One vCPU here (249.6 s; 305.2 s with two under MTTCG), with
			# Sphinx beside it; the =y boot has two. (Under MTTCG, one of about
			# five KASAN boots with two ended in the machine check in
			# OPAL's console write that testing/run-qemu.sh describes.)
			docs_pid=
			if [ "$docs_deferred" = 1 ]; then
				run_docs >"$LOGS/docs.out" 2>&1 &
				docs_pid=$!
			fi
			RIG_SMP=1 RIG_VMM=1 "$TOP/testing/boot.sh" "$CTREE" "$CHECK/out-m" "$repo" "$LOGS/boot-m" "$results" "$facts" " =m" ||
				failed=1
			if [ -n "$docs_pid" ]; then
				wait "$docs_pid" || failed=1
				cat "$LOGS/docs.out"
				docs_deferred=0
			fi
			# The tests of that boot ran under KASAN only if it started.
			# (grep alone: grep -m1 at the end of a pipe gets the
			# pipeline killed by SIGPIPE under pipefail)
			k=$(grep -a -m1 -o 'KernelAddressSanitizer initialized[^[:cntrl:]]*' \
				"$LOGS/boot-m/console.log" 2>/dev/null) || k=
			if [ -n "$k" ]; then
				result PASS "kasan =m" "$k; the console scan of the =m boot covers its reports"
			else
				result FAIL "kasan =m" "the =m kernel did not start KASAN (${LOGS#"$TOP"/}/boot-m/console.log)"
			fi
		fi
	else
		result SKIP boot "nothing built"
	fi
fi
if [ "$docs_deferred" = 1 ]; then
	g checkout -q --detach "${commits[-1]}"
	run_docs || failed=1
fi

# ---------------------------------------------------------------- backport
# Each backport is checked as a series of its own, by this script run with
# BACKPORT set: its base, check tree and builds live in $CHECK/<version>.
# It boots with the kselftests of the main tree (kselftests are meant to
# run on older kernels, and the backport's base has no
# tools/testing/selftests/vfio/), built by the boot step above when it
# ran, else here. CHECK_BACKPORT_STEPS narrows its steps (tooling tests).
if want backport && [ -z "$BACKPORT" ]; then
	compgen -G "$repo/backports/*/series" >/dev/null ||
		result SKIP backport "no backports/*/series in ${repo#"$TOP"/}"
	for bp in "$repo"/backports/*/series; do
		[ -e "$bp" ] || continue
		bp=${bp%/series}
		v=${bp##*/}
		bres=$LOGS/$v/results.tsv
		mkdir -p "$LOGS/$v"
		# Its own apply step says what went wrong with the base, if anything.
		[ -z "${bp_base_pid[$v]:-}" ] || wait "${bp_base_pid[$v]}" || true
		brc=0
		RESULT_PREFIX="$v " BACKPORT=$v CHECK=$CHECK/$v CHECK_LOGS=$LOGS/$v \
		CHECK_NO_GCOV=1 RIG_KSELFTEST_TREE=$CTREE RIG_KSELFTEST_KB=$OUTY \
		RIG_KSELFTEST_OUT=$LOGS/boot/kselftest-out \
		RIG_NVLINK2_SKIPS=$([ -f "$bp/nvlink2-skips" ] && echo "$bp/nvlink2-skips") \
			"$TOP/scripts/check.sh" --repo "$bp" \
			--steps "${CHECK_BACKPORT_STEPS:-series,apply,roundtrip,patches,build,boot}" \
			--results "$bres" || brc=$?
		[ ! -f "$bres" ] || cat "$bres" >>"$results"
		cat "$LOGS/$v/facts.tsv" >>"$facts" 2>/dev/null || true
		if [ "$brc" != 0 ]; then
			failed=1
			grep -q '^FAIL' "$bres" ||
				result FAIL "$v backport" "its check stopped (exit $brc) before a result said why (${LOGS#"$TOP"/}/$v)"
		fi
	done
fi

# ---------------------------------------------------------------- tooling
if want tooling; then
	if [ "$applied" = 1 ]; then
		COVERAGE_JSON=$LOGS/coverage.json \
			"$TOP/testing/tooling-tests/run.sh" "$repo" "$results" || failed=1
	else
		result SKIP tooling "the series did not apply"
	fi
fi

# ---------------------------------------------------------------- summary
fact "wall time" "$(( $(now) - t_start ))s"
{
	echo
	echo "Summary"
	echo "-------"
	awk -F'\t' '{ n[$1]++ } END { printf "steps: %d passed, %d failed, %d skipped\n", n["PASS"], n["FAIL"], n["SKIP"] }' "$results"
	awk -F'\t' '{ printf "%-26s %s\n", $1 ":", $2 }' "$facts"
	if grep -q '^FAIL' "$results"; then
		echo "failed:"
		awk -F'\t' '$1 == "FAIL" { printf "  %-26s %s\n", $2, $3 }' "$results"
	fi
} >"$LOGS/summary.txt"
# A backport's run is part of the main one, which prints the summary.
[ -n "${RESULT_PREFIX:-}" ] || cat "$LOGS/summary.txt"
[ "$failed" = 0 ]
