#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""coverage.py: how much of the code the series adds the rig runs.

  coverage.py measure --console LOG --out OUT --tree TREE --base REV
                      --gcov GCOV --json FILE
      Takes the gcov counters the rig printed on its console (between
      "RIG: GCOV-BEGIN" and "RIG: GCOV-END", a base64 tar.gz of the .gcda
      files of /sys/kernel/debug/gcov), puts them next to the .gcno files
      of the kernel build OUT, runs GCOV (the cross gcov of the toolchain)
      on them, and keeps, for each line that the series adds to a .c file
      it profiles (git blame of TREE from REV to HEAD), its patch and
      whether it ran; and the functions that start on such a line and
      never ran. Writes all of it to FILE (JSON).

  coverage.py report --json FILE --floor FLOOR --unreached LIST
      Prints the figures per file and per patch, and fails (exit 1) when
      a file or the total is under its floor in FLOOR, or when a function
      no test reaches is not in LIST with the reason why.

  coverage.py files --tree TREE --base REV --exclude LIST
      The .c files of the kernel that the series adds or changes, tests
      excluded, minus those LIST names: the files to profile.

A line counts if gcov says it is executable. Lines of headers (inline
functions) are not counted.
"""

import argparse
import base64
import io
import json
import os
import re
import subprocess
import sys
import tarfile


def git(tree, *args):
    return subprocess.run(["git", "-C", tree, *args], check=True,
                           capture_output=True, text=True).stdout


def read_list(path):
    """Lines of PATH that are neither blank nor comments, split on tabs."""
    rows = []
    if not path or not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            rows.append([c.strip() for c in line.split("\t") if c.strip()])
    return rows


def series_files(tree, base, exclude):
    skip = {r[0] for r in read_list(exclude)}
    out = git(tree, "diff", "--name-only", "--diff-filter=AM", base, "HEAD",
              "--", "*.c")
    files = []
    for f in out.split():
        if f.startswith("tools/") or "/tests/" in f or f.endswith("_kunit.c"):
            continue
        if f not in skip:
            files.append(f)
    return files


def added_lines(tree, base, path, patch_of):
    """{line number at HEAD: patch number} of the lines the series adds."""
    out = git(tree, "blame", "-s", "-l", f"{base}..HEAD", "--", path)
    lines = {}
    for n, row in enumerate(out.splitlines(), 1):
        if row.startswith("^"):
            continue
        sha = row.split()[0]
        if sha in patch_of:
            lines[n] = patch_of[sha]
    return lines


def gcda_from_console(console):
    text = open(console, errors="replace").read().replace("\r", "")
    m = re.search(r"^RIG: GCOV-BEGIN\n(.*?)^RIG: GCOV-END", text, re.S | re.M)
    if not m:
        return None
    data = base64.b64decode("".join(m.group(1).split()))
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")


def measure(a):
    tar = gcda_from_console(a.console)
    if tar is None:
        sys.exit("coverage: no GCOV-BEGIN/END block on the console")
    commits = git(a.tree, "rev-list", "--reverse", f"{a.base}..HEAD").split()
    patch_of = {sha: i + 1 for i, sha in enumerate(commits)}
    files = json.load(open(a.files)) if a.files else None
    if files is None:
        files = series_files(a.tree, a.base, a.exclude)

    # The .gcda of OUT/dir/stem.o is at .../OUT/dir/stem.gcda in debugfs.
    gcda = {}
    for m in tar.getmembers():
        if m.isfile() and m.name.endswith(".gcda"):
            gcda[m.name] = m
    result = {"files": {}, "unreached": [], "profiled": files}
    for src in files:
        obj = src[:-2]
        found = [n for n in gcda if n.endswith("/" + obj + ".gcda")]
        entry = {"lines": [], "gcda": bool(found)}
        result["files"][src] = entry
        added = added_lines(a.tree, a.base, src, patch_of)
        dst = os.path.join(a.out, obj + ".gcda")
        if os.path.exists(dst):
            os.unlink(dst)
        # Without counters (never ran), gcov takes every line as not run.
        if found:
            with open(dst, "wb") as f:
                f.write(tar.extractfile(gcda[found[0]]).read())
        if not os.path.exists(os.path.join(a.out, obj + ".gcno")):
            entry["error"] = "no .gcno: not built with gcov"
            continue
        run = subprocess.run([a.gcov, "--json-format", "--stdout",
                              "--object-file", obj + ".o",
                              os.path.basename(src)],
                             capture_output=True, text=True, cwd=a.out)
        if run.returncode != 0 or not run.stdout.strip():
            entry["error"] = "gcov failed: " + run.stderr.strip()[:200]
            continue
        counts, funcs = {}, []
        for doc in run.stdout.splitlines():
            doc = doc.strip()
            if not doc:
                continue
            for fe in json.loads(doc).get("files", []):
                if not fe["file"].endswith(src):
                    continue
                for ln in fe.get("lines", []):
                    n = ln["line_number"]
                    counts[n] = counts.get(n, 0) + ln["count"]
                funcs += fe.get("functions", [])
        for n in sorted(added):
            if n in counts:
                entry["lines"].append([n, added[n], counts[n]])
        for fn in funcs:
            if fn["start_line"] in added and fn["execution_count"] == 0:
                result["unreached"].append([src, fn.get("demangled_name", fn["name"]),
                                            fn["start_line"], added[fn["start_line"]]])
    result["patches"] = {str(i + 1): git(a.tree, "log", "-1", "--format=%s", c).strip()
                         for i, c in enumerate(commits)}
    json.dump(result, open(a.json, "w"), indent=1)


def pct(ran, total):
    return 100.0 * ran / total if total else 100.0


def report(a):
    res = json.load(open(a.json))
    floors = {r[0]: float(r[1]) for r in read_list(a.floor)}
    known = {(r[0], r[1]): r[2] if len(r) > 2 else "" for r in read_list(a.unreached)}
    bad = []
    tot_ran = tot_all = 0
    per_patch = {}
    print("coverage: lines the series adds to the .c files it profiles, executable, that ran")
    for src, e in sorted(res["files"].items()):
        if "error" in e:
            bad.append(f"{src}: {e['error']}")
            continue
        ran = sum(1 for _, _, c in e["lines"] if c > 0)
        total = len(e["lines"])
        tot_ran += ran
        tot_all += total
        for _, p, c in e["lines"]:
            pr = per_patch.setdefault(p, [0, 0])
            pr[1] += 1
            pr[0] += c > 0
        p = pct(ran, total)
        floor = floors.get(src)
        mark = ""
        if floor is not None and p < floor:
            mark = f"  UNDER THE FLOOR {floor:g}%"
            bad.append(f"{src}: {p:.1f}% < floor {floor:g}%")
        print(f"file {src} {ran}/{total} {p:.1f}%{mark}"
              f"{'' if e.get('gcda') else '  (no counters: never ran)'}")
    for p in sorted(per_patch, key=int):
        ran, total = per_patch[p]
        print(f"patch {int(p):04d} {ran}/{total} {pct(ran, total):.1f}% "
              f"{res['patches'].get(str(p), '')[:60]}")
    tp = pct(tot_ran, tot_all)
    floor = floors.get("total")
    print(f"total {tot_ran}/{tot_all} {tp:.1f}% (floor {floor if floor is not None else 'none'})")
    if floor is not None and tp < floor:
        bad.append(f"total: {tp:.1f}% < floor {floor:g}%")
    unlisted = []
    for src, fn, line, p in res["unreached"]:
        why = known.get((src, fn))
        print(f"unreached {src}:{line} {fn}() (patch {int(p):04d}): "
              f"{why if why else 'NOT LISTED in testing/coverage-unreached'}")
        if why is None:
            unlisted.append(f"{src}: {fn}()")
    reached = sorted(k for k in known
                     if not any((s, f) == k for s, f, _, _ in res["unreached"]))
    for src, fn in reached:
        print(f"note: {src}: {fn}() is reached now: take it out of testing/coverage-unreached")
    if unlisted:
        bad.append(f"{len(unlisted)} function(s) no test reaches, not in "
                   f"testing/coverage-unreached: {unlisted[0]}")
    print(f"summary {tp:.1f}% {tot_ran}/{tot_all} {len(res['unreached'])} unreached")
    for b in bad:
        print("FAIL: " + b)
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--console", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--tree", required=True)
    m.add_argument("--base", required=True)
    m.add_argument("--gcov", required=True)
    m.add_argument("--json", required=True)
    m.add_argument("--exclude")
    m.add_argument("--files")
    r = sub.add_parser("report")
    r.add_argument("--json", required=True)
    r.add_argument("--floor")
    r.add_argument("--unreached")
    f = sub.add_parser("files")
    f.add_argument("--tree", required=True)
    f.add_argument("--base", required=True)
    f.add_argument("--exclude")
    a = ap.parse_args()
    if a.cmd == "measure":
        measure(a)
    elif a.cmd == "report":
        sys.exit(report(a))
    else:
        print("\n".join(series_files(a.tree, a.base, a.exclude)))


if __name__ == "__main__":
    main()
