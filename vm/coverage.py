#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Line and branch coverage of the kernel's nesting code: this suite
against the tree's own selftests (make coverage).

  vm/coverage.py [--out DIR] [--timeout SEC]

A copy of Debian's 7.2 tree (hard links; the two Makefiles it changes
are new files) says GCOV_PROFILE := y in drivers/iommu/iommufd and
drivers/iommu/arm/arm-smmu-v3, and its kernels are built with
vm/gcov.config.  This suite runs on every topology (x86 and arm64), the
upstream selftests on the "upstream" one; each guest dumps its counters
last (vm/guest/gcov_dump).  Every guest's counters become an lcov
tracefile beside its build's notes; a suite's are added up.  Prints one
row per file, lines and branches of each suite, and writes DIR/coverage.json
and DIR/<suite>.info.  Exit status: 0, 1 on an error, 2 on bad usage.
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
    """{file (tree-relative): [lines hit, found, branches hit, found]}."""
    out, cur = {}, None
    with open(info) as f:
        for line in f:
            line = line.strip()
            if line.startswith("SF:"):
                path = line[3:]
                cur = next((x for x in FILES if path.endswith("/" + x)), None)
                if cur:
                    out.setdefault(cur, [0, 0, 0, 0])
            elif cur and line[:3] in ("LH:", "LF:") or cur and line[:4] in ("BRH:", "BRF:"):
                k, v = line.split(":")
                out[cur][{"LH": 0, "LF": 1, "BRH": 2, "BRF": 3}[k]] += int(v)
            elif line == "end_of_record":
                cur = None
    return out


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
    return per_file(total), [os.path.basename(i) for i in infos]


def pct(hit, found):
    return round(100.0 * hit / found, 1) if found else None


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(TOP, "build", "coverage"),
                    help="where the tracefiles and coverage.json go")
    ap.add_argument("--timeout", type=trees.positive, default=1800,
                    help="seconds each guest may take (default 1800)")
    opt = ap.parse_args(argv[1:])
    out, timeout = os.path.abspath(opt.out), opt.timeout
    if subprocess.run([os.path.join(HERE, "kernel.sh"), "deps", "coverage"]).returncode:
        die("cannot install lcov")
    pristine = trees.next_tree()
    tree = gcov_tree(pristine)
    os.makedirs(out, exist_ok=True)
    res, guests = {}, {}
    for suite, topos in SUITES.items():
        res[suite], guests[suite] = run_suite(suite, topos, pristine, tree, out, timeout)
    rows = []
    print(f"{'file':40} {'lines ours':>12} {'upstream':>10} {'branches ours':>14} {'upstream':>10}")
    for f in FILES:
        o = res["ours"].get(f, [0, 0, 0, 0])
        u = res["upstream"].get(f, [0, 0, 0, 0])
        row = {"file": f, "ours": {"lines_hit": o[0], "lines": o[1], "branches_hit": o[2],
                                   "branches": o[3], "line_pct": pct(o[0], o[1]),
                                   "branch_pct": pct(o[2], o[3])},
               "upstream": {"lines_hit": u[0], "lines": u[1], "branches_hit": u[2],
                            "branches": u[3], "line_pct": pct(u[0], u[1]),
                            "branch_pct": pct(u[2], u[3])}}
        rows.append(row)

        def fmt(x):
            return "-" if x is None else f"{x:.1f}%"
        print(f"{os.path.basename(f):40} {fmt(row['ours']['line_pct']):>12} "
              f"{fmt(row['upstream']['line_pct']):>10} {fmt(row['ours']['branch_pct']):>14} "
              f"{fmt(row['upstream']['branch_pct']):>10}")
    with open(os.path.join(out, "coverage.json"), "w") as f:
        json.dump({"tree": os.path.basename(pristine), "guests": guests, "files": rows},
                  f, indent=1)
    print(f"JSON: {os.path.join(out, 'coverage.json')}; tracefiles: {out}/ours.info, "
          f"{out}/upstream.info (genhtml makes pages of them)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
