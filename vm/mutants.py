#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Kernel mutants: which injected bugs of the nesting code each suite
catches (make kernel-mutants).

  vm/mutants.py [--only ID]... [--timeout SEC] [--out DIR] [--fresh]

Each tests/mutants/*.patch holds one realistic bug of Debian's 7.2 tree
(its header says what, where, and which guests reach it).  A working
copy of the tree (hard links; a patched file gets a new inode, so the
tree in the cache is never touched) is booted once unmutated, then once
per mutant, with only its file changed: the kernel is rebuilt
incrementally, and the topologies that reach the file run both this
suite and the tree's own selftests (the "upstream" topology, on the mock
alone: it cannot reach arm-smmu-v3).  A suite kills a mutant when one of
its cases that passed on the unmutated kernel fails (a guest that
crashed or hung fails its group).  Results go to OUT/mutants.json after
each mutant; a rerun boots again only the suites whose verdict may have
changed: those whose sources, or the mutant's patch or the tree, changed
(upstream's sources are the runner alone), unless --fresh.
Exit status: 0, 1 on an error, 2 on bad usage.
"""

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import ktap  # noqa: E402
import trees  # noqa: E402

MUTANTS = os.path.join(TOP, "tests", "mutants")
# the guests that reach a mutated file, per the patch's Reach: line;
# "upstream" is the tree's own selftests
# arm-smmu-v3: with CANWBS (smmuv3-nested), and without it (smmuv3)
REACH = {"mock": ["mock", "upstream"], "smmuv3": ["smmuv3", "smmuv3-nested"]}
SUITES = {"ours": lambda g: g != "upstream", "upstream": lambda g: g == "upstream"}


say = trees.sayer("mutants")
die = trees.die


def read_patch(path):
    """The header fields of one mutant and the files it changes."""
    head, files = {}, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("+++ b/"):
                files.append(line[6:].split("\t")[0].strip())
            elif not files and ":" in line and not line.startswith(("---", "diff")):
                k, _, v = line.partition(":")
                head.setdefault(k.strip().lower(), v.strip())
    reach = head.get("reach", "")
    if reach not in REACH or not files:
        die(f"{path}: expected a 'Reach: mock|smmuv3' header and a diff, got reach '{reach}'")
    return {"id": os.path.basename(path)[:-len(".patch")], "path": path,
            "description": head.get("mutant", ""), "kind": head.get("kind", ""),
            "equivalent": head.get("equivalent", ""), "reach": reach,
            "files": files}


def run(cmd, **kw):
    return subprocess.run(cmd, check=False, **kw)


def work_tree(pristine):
    return trees.linked_copy(pristine, "mutant-tree", say)


def restore(pristine, tree, files):
    """FILES back to the pristine ones, as new files with a new mtime,
    so that make rebuilds what the mutant changed."""
    for f in files:
        dst = os.path.join(tree, f)
        if os.path.exists(dst):
            os.unlink(dst)
        shutil.copyfile(os.path.join(pristine, f), dst)


def apply(tree, patch):
    out = run(["patch", "-p1", "-s", "-N", "-d", tree, "-i", patch],
              capture_output=True, text=True)
    return out.returncode == 0, out.stdout + out.stderr


def failing(ktap_path):
    """{group: set of failed case paths} and the groups seen."""
    if not os.path.exists(ktap_path):
        return {}, set()
    with open(ktap_path, encoding="utf-8", errors="replace") as f:
        results = ktap.parse(f)
    bad, groups = {}, set()
    for path, r in ktap.cases(results):
        groups.add(path[0])
        if r.status == "fail":
            bad.setdefault(path[0], set()).add(".".join(path))
    return bad, groups


def boot(kdir, tree, topos, out, timeout, name):
    """Run the guests TOPOS on TREE's kernel: (KTAP path, log path, rc)."""
    os.makedirs(out, exist_ok=True)
    k, log = os.path.join(out, name + ".ktap"), os.path.join(out, name + ".log")
    cmd = [os.path.join(TOP, "run_tests.sh"), "--vm", "--kdir", kdir,
           "--boot-kdir", tree, "--no-unit", "--timeout", str(timeout)]
    for t in topos:
        cmd += ["--topology", t]
    with open(k, "w") as fo, open(log, "w") as fe:
        rc = run(cmd, stdout=fo, stderr=fe).returncode
    return k, log, rc


def verdicts(base_bad, bad, groups, topos):
    """Per suite: killed (with the cases), survived, or not reached."""
    out = {}
    for suite, mine in SUITES.items():
        ran = [t for t in topos if mine(t)]
        if not ran:
            out[suite] = {"verdict": "not reached", "cases": []}
            continue
        new = sorted(c for g in ran for c in bad.get(g, set()) - base_bad.get(g, set()))
        lost = [g for g in ran if g not in groups]
        if lost:
            new += [f"{g} (no result: the run stopped)" for g in lost]
        out[suite] = {"verdict": "killed" if new else "survived", "cases": new}
    return out


# what makes the upstream suite besides the tree: the runner that boots it
RUNNER = ("run_tests.sh", "settings", "config", "vm")
HARNESS = ("mutants.py", "coverage.py")


def suite_files(suite):
    """What makes SUITE: for ours the tests, the engine and the runner;
    for upstream the runner alone (its tests come with the tree)."""
    out = []
    for d, subs, files in os.walk(TOP):
        rel = os.path.relpath(d, TOP)
        top = rel.split(os.sep)[0]
        if top.startswith("build") or top in ("doc", ".git") or \
                rel == os.path.join("tests", "mutants") or "__pycache__" in rel:
            subs[:] = []
            continue
        subs.sort()
        if suite == "upstream" and rel == ".":
            files = [f for f in files if f in RUNNER]
            subs[:] = [x for x in subs if x in RUNNER]
        if rel == "vm":
            # the harnesses around the runner, not part of either suite
            files = [f for f in files if f not in HARNESS]
        out += [os.path.join(d, f) for f in sorted(files)]
    return out


def key_of(m, tree_ver, suite):
    """A suite's verdict on a mutant holds while the mutant's patch, the
    tree and what makes that suite are unchanged."""
    h = hashlib.sha1()
    for p in [m["path"]] + suite_files(suite):
        h.update(p.encode())
        with open(p, "rb") as f:
            h.update(f.read())
    h.update(tree_ver.encode())
    return h.hexdigest()[:12]


def table(results):
    rows = [f"{'mutant':44} {'reach':7} {'ours':10} {'upstream':12}"]
    for r in results:
        v = {s: r["suites"][s]["verdict"] for s in SUITES} if "suites" in r else \
            {s: r["verdict"] for s in SUITES}
        rows.append(f"{r['id'][:44]:44} {r['reach']:7} {v['ours']:10} {v['upstream']:12}")
    return "\n".join(rows)


def summary(results):
    live = [r for r in results if "suites" in r]
    s = {"mutants": len(results),
         "equivalent": sum(r.get("verdict") == "equivalent" for r in results),
         "invalid": sum(r.get("verdict") in ("does not apply", "does not build")
                        for r in results),
         "non_equivalent": len(live)}
    for suite in SUITES:
        k = sum(r["suites"][suite]["verdict"] == "killed" for r in live)
        s[f"killed_{suite}"] = k
        s[f"kill_rate_{suite}"] = round(100.0 * k / len(live), 1) if live else None
    s["killed_by_upstream_not_ours"] = [
        r["id"] for r in live if r["suites"]["upstream"]["verdict"] == "killed"
        and r["suites"]["ours"]["verdict"] != "killed"]
    return s


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", action="append", default=[], metavar="ID",
                    help="only the mutants whose name starts with ID (repeatable)")
    ap.add_argument("--timeout", type=trees.positive, default=900,
                    help="seconds each guest may take (default 900)")
    ap.add_argument("--out", default=os.path.join(TOP, "build", "mutants"),
                    help="where the KTAP, logs and mutants.json go")
    ap.add_argument("--fresh", action="store_true",
                    help="run every mutant again, even those the last run judged")
    opt = ap.parse_args(argv[1:])
    only, timeout, fresh, out = opt.only, opt.timeout, opt.fresh, os.path.abspath(opt.out)
    patches = sorted(p for p in os.listdir(MUTANTS) if p.endswith(".patch"))
    mutants = [read_patch(os.path.join(MUTANTS, p)) for p in patches]
    if only:
        unknown = [o for o in only if not any(m["id"].startswith(o) for m in mutants)]
        if unknown:
            print(f"error: no mutant {', '.join(unknown)} in {MUTANTS}", file=sys.stderr)
            return 2
        mutants = [m for m in mutants if any(m["id"].startswith(o) for o in only)]
    pristine = trees.next_tree()
    tree = work_tree(pristine)
    tree_ver = os.path.basename(pristine) + open(
        os.path.join(pristine, ".iommufd-nest-source")).read().strip()
    os.makedirs(out, exist_ok=True)
    jpath = os.path.join(out, "mutants.json")
    old = {}
    if os.path.exists(jpath) and not fresh:
        with open(jpath) as f:
            old = {r["id"]: r for r in json.load(f).get("results", [])}

    # the mutated files go back however the run ends
    touched = set()
    def cleanup(*_):
        restore(pristine, tree, touched)
        sys.exit(130)
    signal.signal(signal.SIGINT, cleanup)
    signal.signal(signal.SIGTERM, cleanup)

    all_files = sorted({f for m in mutants for f in m["files"]})
    restore(pristine, tree, all_files)
    base = {}

    def baseline(topos):
        """The unmutated kernel's failing cases on the guests TOPOS, each
        booted once, and only when a mutant needs it."""
        need = [t for t in topos if t not in base]
        if need:
            say(f"unmutated kernel on {', '.join(need)}")
            t0 = time.time()
            k, log, rc = boot(pristine, tree, need, out, timeout,
                              "base-" + "-".join(need))
            bad, groups = failing(k)
            if set(need) - groups:
                die(f"the unmutated run on {', '.join(need)} gave no results (exit {rc}); see {log}")
            say(f"unmutated on {', '.join(need)}: {sum(map(len, bad.values()))} failing cases "
                f"(excluded from kills), {time.time() - t0:.0f} s")
            for t in need:
                base[t] = bad.get(t, set())
        return {t: base[t] for t in topos}

    def save(results, summary=None):
        """mutants.json: this run's results, the last run's others kept."""
        ids = {x["id"] for x in results}
        doc = {"tree": tree_ver,
               "results": results + [o for o in old.values() if o["id"] not in ids]}
        if summary:
            doc["summary"] = summary
        with open(jpath + ".tmp", "w") as f:
            json.dump(doc, f, indent=1)
        os.replace(jpath + ".tmp", jpath)

    results = []
    for i, m in enumerate(mutants, 1):
        keys = {s: key_of(m, tree_ver, s) for s in SUITES}
        r = {k: m[k] for k in ("id", "description", "kind", "reach", "files")}
        r["keys"] = keys
        prev = old.get(m["id"], {})
        # a suite whose verdict still holds is not run again
        kept = {s: prev["suites"][s] for s in SUITES
                if prev.get("keys", {}).get(s) == keys[s] and s in prev.get("suites", {})}
        if m["equivalent"]:
            r["verdict"] = "equivalent"
            r["reason"] = m["equivalent"]
            results.append(r)
            continue
        if len(kept) == len(SUITES):
            r.update({k: prev[k] for k in ("topologies", "suites", "seconds") if k in prev})
            results.append(r)
            say(f"{i}/{len(mutants)} {m['id']}: kept from the last run")
            continue
        topos = [t for t in REACH[m["reach"]]
                 if not any(mine(t) for s, mine in SUITES.items() if s in kept)]
        if not topos:
            # the suites to judge again have no guest that reaches it
            r["topologies"] = REACH[m["reach"]]
            r["suites"] = {s: kept.get(s, {"verdict": "not reached", "cases": []})
                           for s in SUITES}
            results.append(r)
            continue
        # booted before the patch goes in: the tree is unmutated here
        base_bad = baseline(topos)
        t0 = time.time()
        touched.update(m["files"])
        ok, msg = apply(tree, m["path"])
        if not ok:
            r["verdict"] = "does not apply"
            r["reason"] = msg.strip()
        else:
            k, log, rc = boot(pristine, tree, topos, out, timeout, m["id"])
            bad, groups = failing(k)
            if not groups and "kernel build failed" in open(log).read():
                r["verdict"] = "does not build"
                r["reason"] = f"see {log}"
            else:
                r["topologies"] = REACH[m["reach"]]
                r["suites"] = verdicts(base_bad, bad, groups, topos)
                r["suites"].update(kept)
        restore(pristine, tree, m["files"])
        touched.difference_update(m["files"])
        r["seconds"] = round(time.time() - t0)
        results.append(r)
        v = ", ".join(f"{s} {x['verdict']}" for s, x in r.get("suites", {}).items()) \
            or r["verdict"]
        say(f"{i}/{len(mutants)} {m['id']}: {v} ({r['seconds']} s)")
        save(results)

    s = summary(results)
    save(results, s)
    print(table(results))
    print(f"non-equivalent mutants: {s['non_equivalent']} (equivalent {s['equivalent']}, "
          f"invalid {s['invalid']})")
    for suite in SUITES:
        print(f"kill rate {suite}: {s[f'killed_{suite}']}/{s['non_equivalent']} "
              f"= {s[f'kill_rate_{suite}']}%")
    print(f"killed by upstream, not by ours: {' '.join(s['killed_by_upstream_not_ours']) or 'none'}")
    print(f"JSON: {jpath}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
