#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Line and branch coverage of the kernel's nesting code: this suite
against the tree's own selftests (make coverage).

  vm/coverage.py [--out DIR] [--timeout SEC] [--report]

A copy of Debian's 7.2 tree (hard links; the two Makefiles it changes
are new files) says GCOV_PROFILE := y in drivers/iommu/iommufd and
drivers/iommu/arm/arm-smmu-v3, and its kernels are built with
vm/gcov.config.  This suite runs on every topology (x86 and arm64), the
upstream selftests on the "upstream" one; each guest dumps its counters
last (vm/guest/gcov_dump).  Every guest's counters become an lcov
tracefile beside its build's notes; a suite's are added up.  Prints one
row per file: each suite's share of the same lines and branches (all
that any build instruments: arm64 compiles some x86 does not), and how
many lines only that suite reaches; writes DIR/coverage.json (with those
line numbers) and DIR/<suite>.info.  --report prints the table again
from DIR's tracefiles.  Exit status: 0, 1 on an error, 2 on bad usage.
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import trees  # noqa: E402
PROFILED = ["drivers/iommu/iommufd", "drivers/iommu/arm/arm-smmu-v3"]
FILES = ["drivers/iommu/iommufd/" + f for f in
         ("hw_pagetable.c", "viommu.c", "device.c", "eventq.c", "main.c", "selftest.c")] + \
        ["drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.c"]
SUITES = {"ours": ["all"], "upstream": ["upstream"]}
LCOV_RC = ["--rc", "lcov_branch_coverage=1"]


say = trees.sayer("coverage")
die = trees.die


def gcov_tree(pristine):
    """The profiled copy of PRISTINE: its two Makefiles say GCOV_PROFILE."""
    tree = trees.linked_copy(pristine, "gcov-tree", say)
    for d in PROFILED:
        with open(os.path.join(pristine, d, "Makefile")) as f:
            want = f.read() + "GCOV_PROFILE := y\n"
        mk = os.path.join(tree, d, "Makefile")
        with open(mk) as f:
            if f.read() != want:
                trees.replace_file(mk, want)
    return tree


def unhex(dump):
    """{object path in the build tree: gcda bytes} of one guest's dump."""
    files, cur = {}, None
    with open(dump, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("@@GCDA "):
                cur = line.split(None, 1)[1].strip()
                files[cur] = bytearray()
            elif line.startswith("gcda: ") and cur:
                files[cur] += bytes(int(x, 16) for x in line[6:].split())
    return files


def capture(dump, name, out):
    """An lcov tracefile of one guest's counters, or None."""
    files = unhex(dump)
    if not files:
        return None
    objdirs = {os.path.dirname(p) for p in files}
    # the build tree is where the notes (.gcno) are: debugfs names it
    kbuild = os.path.commonpath(list(objdirs))
    kbuild = kbuild[:kbuild.index("/drivers/iommu")]
    for d in objdirs:
        for f in os.listdir(d):
            if f.endswith(".gcda"):
                os.unlink(os.path.join(d, f))
    for p, data in files.items():
        with open(p, "wb") as f:
            f.write(data)
    tool = "aarch64-linux-gnu-gcov" if "/kbuild-arm64-" in kbuild else "gcov"
    info = os.path.join(out, name + ".info")
    cmd = ["lcov", "--quiet", "--capture", "--gcov-tool", tool, "--base-directory",
           kbuild, "--output-file", info, *LCOV_RC]
    for d in sorted(objdirs):
        cmd += ["--directory", d]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        die(f"lcov could not read {name}'s counters: {r.stderr.strip()[-500:]}")
    return info


def per_file(info):
    """{file (tree-relative): ({line: hits}, {branch key: hits})}."""
    out, cur = {}, None
    with open(info) as f:
        for line in f:
            line = line.strip()
            if line.startswith("SF:"):
                path = line[3:]
                cur = next((x for x in FILES if path.endswith("/" + x)), None)
                if cur:
                    out.setdefault(cur, ({}, {}))
            elif cur and line.startswith("DA:"):
                n, c = line[3:].split(",")[:2]
                out[cur][0][int(n)] = out[cur][0].get(int(n), 0) + int(c)
            elif cur and line.startswith("BRDA:"):
                n, blk, br, c = line[5:].split(",")[:4]
                k = (int(n), blk, br)
                out[cur][1][k] = out[cur][1].get(k, 0) + (0 if c == "-" else int(c))
            elif line == "end_of_record":
                cur = None
    return out


def compare(res):
    """Per file, each suite's hits over the same lines and branches: the
    union of what any suite's builds instrument (an arm64 build compiles
    lines an x86 one does not, so each suite's own count would not do)."""
    rows = []
    for f in FILES:
        have = {s: r.get(f, ({}, {})) for s, r in res.items()}
        lines = set().union(*(h[0] for h in have.values()))
        branches = set().union(*(h[1] for h in have.values()))
        row = {"file": f, "lines": len(lines), "branches": len(branches)}
        for s, (da, brda) in have.items():
            lh = sum(1 for n in lines if da.get(n))
            bh = sum(1 for k in branches if brda.get(k))
            only = sorted(n for n in lines if da.get(n) and
                          not any(o[0].get(n) for t, o in have.items() if t != s))
            row[s] = {"lines_hit": lh, "branches_hit": bh,
                      "line_pct": pct(lh, len(lines)),
                      "branch_pct": pct(bh, len(branches)),
                      "lines_only_this_suite": only,
                      "instrumented": bool(da)}
        rows.append(row)
    return rows


def report(rows, out):
    def fmt(r, k):
        return f"{r[k]:.1f}%" if r["instrumented"] and r[k] is not None else "-"
    print(f"{'file':26} {'lines':>6} {'ours':>7} {'upstream':>9} {'branches':>9} "
          f"{'ours':>7} {'upstream':>9} {'only ours':>10} {'only upstream':>14}")
    for row in rows:
        o, u = row["ours"], row["upstream"]
        print(f"{os.path.basename(row['file']):26} {row['lines']:>6} {fmt(o, 'line_pct'):>7} "
              f"{fmt(u, 'line_pct'):>9} {row['branches']:>9} {fmt(o, 'branch_pct'):>7} "
              f"{fmt(u, 'branch_pct'):>9} {len(o['lines_only_this_suite']):>10} "
              f"{len(u['lines_only_this_suite']):>14}")
    print(f"JSON: {os.path.join(out, 'coverage.json')}; tracefiles: {out}/ours.info, "
          f"{out}/upstream.info (genhtml makes pages of them)")


def run_suite(suite, topos, pristine, tree, out, timeout):
    log = os.path.join(out, suite + ".log")
    ktap = os.path.join(out, suite + ".ktap")
    cmd = [os.path.join(TOP, "run_tests.sh"), "--vm", "--kdir", pristine,
           "--boot-kdir", tree, "--no-unit", "--gcov", "--timeout", str(timeout)]
    for t in topos:
        cmd += ["--topology", t]
    vm = os.path.join(TOP, "build", "vm")
    # only this run's dumps are read
    for g in os.listdir(vm) if os.path.isdir(vm) else []:
        stale = os.path.join(vm, g, "gcov_dump.out")
        if os.path.exists(stale):
            os.unlink(stale)
    say(f"{suite}: {' '.join(cmd[1:])} (log: {log})")
    with open(ktap, "w") as fo, open(log, "w") as fe:
        rc = subprocess.run(cmd, stdout=fo, stderr=fe).returncode
    last = open(ktap).read().strip().splitlines()[-1:] or ["no KTAP"]
    say(f"{suite}: the run exited {rc}: {last[0]}")
    infos = []
    for g in sorted(os.listdir(vm)):
        dump = os.path.join(vm, g, "gcov_dump.out")
        if not os.path.exists(dump):
            continue
        info = capture(dump, f"{suite}-{g}", out)
        if info:
            infos.append(info)
    if not infos:
        die(f"{suite}: no guest dumped its counters (see {log})")
    total = os.path.join(out, suite + ".info")
    cmd = ["lcov", "--quiet", "--output-file", total, *LCOV_RC]
    for i in infos:
        cmd += ["--add-tracefile", i]
    if subprocess.run(cmd).returncode:
        die(f"lcov could not add up {suite}'s tracefiles")
    return [os.path.basename(i) for i in infos]


def pct(hit, found):
    return round(100.0 * hit / found, 1) if found else None


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(TOP, "build", "coverage"),
                    help="where the tracefiles and coverage.json go")
    ap.add_argument("--timeout", type=trees.positive, default=1800,
                    help="seconds each guest may take (default 1800)")
    ap.add_argument("--report", action="store_true",
                    help="no runs: the table again from OUT's tracefiles")
    opt = ap.parse_args(argv[1:])
    out, timeout = os.path.abspath(opt.out), opt.timeout
    if opt.report:
        infos = [os.path.join(out, k + ".info") for k in SUITES]
        missing = [i for i in infos if not os.path.exists(i)]
        if missing:
            die(f"--report: no {', '.join(missing)}: run vm/coverage.py first")
        report(compare({k: per_file(i) for k, i in zip(SUITES, infos)}), out)
        return 0
    if subprocess.run([os.path.join(HERE, "kernel.sh"), "deps", "coverage"]).returncode:
        die("cannot install lcov")
    pristine = trees.next_tree()
    tree = gcov_tree(pristine)
    os.makedirs(out, exist_ok=True)
    guests = {}
    for suite, topos in SUITES.items():
        guests[suite] = run_suite(suite, topos, pristine, tree, out, timeout)
    rows = compare({k: per_file(os.path.join(out, k + ".info")) for k in SUITES})
    with open(os.path.join(out, "coverage.json"), "w") as f:
        json.dump({"tree": os.path.basename(pristine), "guests": guests, "files": rows},
                  f, indent=1)
    report(rows, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
