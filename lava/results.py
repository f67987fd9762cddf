#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Compare what LAVA recorded with the runner's KTAP for the same build.
#
#   results.py [--expect-fail CASE]... KTAP TOPOLOGY=LOG...
#
# KTAP is run_tests.sh's output for the same topologies (--no-unit),
# read by vm/ktap.py.
# Each LOG is lava-run's log (one YAML mapping a line) of the job for
# TOPOLOGY.  The KTAP's cases are named as lava/nest_lava.sh names them:
# PROGRAM.LEAF, or PROGRAM when the program failed with no failing leaf.
# Checked: LAVA's job passed; per topology the same case names with the
# same results; the same pass, fail and skip totals as the KTAP's; every failed case's log in LAVA holds a diagnostic, every skip's
# its reason; each
# --expect-fail CASE (TOPOLOGY/NAME) failed in both.
# Exit status: 0 all equal, 1 a difference, 2 usage.

import os
import re
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vm"))
import ktap  # noqa: E402  the project's one KTAP reader (vm/ktap.py)


def lava_name(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def ktap_cases(path):
    """{topology: {case: result}}, {topology: {case: skip directive}} and
    the KTAP's (pass, fail, skip) cases, as vm/ktap.py counts them."""
    topos, skipped = {}, {}
    results = ktap.read_ktap(path)
    for topo in results:
        progs, skips = {}, {}
        for path, r in ktap.cases(topo.children):
            name = lava_name(".".join(path))
            progs[name] = r.status
            if r.skip:
                skips[name] = r.directive
        topos[topo.name] = progs
        skipped[topo.name] = skips
    return topos, skipped, ktap.counts(results)


def lava_cases(path):
    """({case: (result, log lines)}, problems) of one lava-run log."""
    lines, cases, problems = [], {}, []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            try:
                entry = yaml.safe_load(raw)
            except yaml.YAMLError:
                entry = None
            lines.append(entry if isinstance(entry, dict) else {})
    for entry in lines:
        if entry.get("lvl") != "results":
            continue
        msg = entry["msg"]
        if msg.get("definition") == "lava":
            if msg.get("case") == "job" and msg.get("result") != "pass":
                problems.append(f"the LAVA job failed: {msg.get('error_msg', msg)}")
            continue
        log = []
        # starttc and endtc are the case's first and last log lines (from 1)
        if "starttc" in msg and "endtc" in msg:
            for e in lines[int(msg["starttc"]) - 1:int(msg["endtc"])]:
                text = e.get("msg")
                if e.get("lvl") == "target" and isinstance(text, str) and \
                   not text.startswith("<LAVA_SIGNAL_"):
                    log.append(text)
        cases[msg["case"]] = (msg["result"], log)
    return cases, problems


def counts(results):
    return tuple(sum(1 for r in results if r == k) for k in ("pass", "fail", "skip"))


def main(argv):
    expect = []
    while len(argv) > 1 and argv[1] == "--expect-fail":
        if len(argv) < 3 or "/" not in argv[2]:
            sys.exit("usage: --expect-fail TOPOLOGY/CASE")
        expect.append(argv[2])
        del argv[1:3]
    if len(argv) < 3 or any("=" not in a for a in argv[2:]):
        print("usage: results.py [--expect-fail TOPOLOGY/CASE]... KTAP TOPOLOGY=LOG...",
              file=sys.stderr)
        return 2
    want_all, skipped, totals = ktap_cases(argv[1])
    if not want_all:
        sys.exit(f"error: {argv[1]}: no results: not the runner's KTAP")
    bad = []
    all_lava = []
    for arg in argv[2:]:
        topo, log = arg.split("=", 1)
        if topo not in want_all:
            bad.append(f"{topo}: not in the KTAP (it has {', '.join(want_all) or 'none'})")
            continue
        want = want_all[topo]
        got, problems = lava_cases(log)
        bad += [f"{topo}: {p}" for p in problems]
        results = {name: res for name, (res, _) in got.items()}
        all_lava += results.values()
        print(f"{topo}: KTAP {len(want)} cases (pass/fail/skip {'/'.join(map(str, counts(want.values())))}), "
              f"LAVA {len(results)} cases ({'/'.join(map(str, counts(results.values())))})")
        for name in sorted(set(want) - set(results)):
            bad.append(f"{topo}: {name}: in the KTAP ({want[name]}), not in LAVA")
        for name in sorted(set(results) - set(want)):
            bad.append(f"{topo}: {name}: in LAVA ({results[name]}), not in the KTAP")
        for name in sorted(set(want) & set(results)):
            if want[name] != results[name]:
                bad.append(f"{topo}: {name}: KTAP says {want[name]}, LAVA {results[name]}")
        for name, (res, log) in sorted(got.items()):
            if res != "fail":
                continue
            diag = [x for x in log if x.startswith("#")]
            print(f"{topo}: LAVA case {name} failed; its log in LAVA:")
            for x in log:
                print(f"    {x}")
            if not diag:
                bad.append(f"{topo}: {name} failed in LAVA without a diagnostic in its log")
        # a skip keeps its reason: the result line in the case's log
        for name, reason in sorted(skipped[topo].items()):
            log = got.get(name, (None, []))[1]
            if not any(x.endswith("# " + reason) for x in log):
                bad.append(f"{topo}: {name}: LAVA's log of the skip lacks its reason '{reason}'")
        for e in expect:
            t, name = e.split("/", 1)
            if t == topo and (results.get(name) != "fail" or want.get(name) != "fail"):
                bad.append(f"{e}: expected to fail; KTAP says {want.get(name, 'nothing')}, "
                           f"LAVA {results.get(name, 'nothing')}")
    lava_totals = counts(all_lava)
    print(f"totals: KTAP {totals[0]} passed, {totals[1]} failed, {totals[2]} skipped; "
          f"LAVA {lava_totals[0]} passed, {lava_totals[1]} failed, {lava_totals[2]} skipped")
    if lava_totals != totals:
        bad.append("the totals differ")
    for b in bad[:40]:
        print(f"error: {b}", file=sys.stderr)
    if len(bad) > 40:
        print(f"error: ... and {len(bad) - 40} more differences", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
