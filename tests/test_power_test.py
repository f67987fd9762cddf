#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""TAP: the arithmetic of make coverage and make kernel-mutants, on
made-up tracefiles and patch headers (no kernel, no guest).
  tests/test_power_test.py
"""

import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "vm"))
import coverage  # noqa: E402
import mutants  # noqa: E402
from pytap import test  # noqa: E402
import pytap  # noqa: E402

TMP = tempfile.mkdtemp()
F = "drivers/iommu/iommufd/device.c"


def tracefile(name, da, brda=()):
    """An lcov tracefile of F: DA lines {line: hits}, BRDA (line, hits)."""
    path = os.path.join(TMP, name + ".info")
    with open(path, "w") as f:
        f.write(f"TN:\nSF:/build/tree/{F}\n")
        for n, c in sorted(da.items()):
            f.write(f"DA:{n},{c}\n")
        for n, c in brda:
            f.write(f"BRDA:{n},0,0,{'-' if c is None else c}\n")
        f.write("end_of_record\n")
    return path


@test
def both_suites_share_one_denominator():
    # ours' arm64 build instruments line 9, which x86 (upstream) lacks
    ours = coverage.per_file(tracefile("o", {1: 1, 2: 0, 3: 4, 9: 0}))
    up = coverage.per_file(tracefile("u", {1: 2, 2: 1, 3: 0}))
    row = next(r for r in coverage.compare({"ours": ours, "upstream": up})
               if r["file"] == F)
    assert row["lines"] == 4, row
    assert row["ours"]["lines_hit"] == 2 and row["upstream"]["lines_hit"] == 2, row
    assert row["ours"]["line_pct"] == row["upstream"]["line_pct"] == 50.0, row
    assert row["ours"]["lines_only_this_suite"] == [3], row
    assert row["upstream"]["lines_only_this_suite"] == [2], row


@test
def branches_taken_or_not_and_unreached():
    ours = coverage.per_file(tracefile("ob", {5: 1}, [(5, 3), (6, None)]))
    up = coverage.per_file(tracefile("ub", {5: 1}, [(5, 0)]))
    row = next(r for r in coverage.compare({"ours": ours, "upstream": up})
               if r["file"] == F)
    assert row["branches"] == 2, row
    assert row["ours"]["branches_hit"] == 1 and row["upstream"]["branches_hit"] == 0, row


@test
def a_file_one_suite_never_built_is_not_a_zero():
    ours = coverage.per_file(tracefile("on", {1: 1}))
    row = next(r for r in coverage.compare({"ours": ours, "upstream": {}})
               if r["file"] == F)
    assert row["ours"]["instrumented"] and not row["upstream"]["instrumented"], row


def patch(name, head):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(head + "---\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n")
    return path


@test
def a_mutant_is_equivalent_only_with_a_reason():
    m = mutants.read_patch(patch("01-x.patch", "Mutant: m\nReach: mock\nEquivalent:\n"))
    assert m["equivalent"] == "" and m["files"] == ["x.c"], m
    m = mutants.read_patch(patch("02-x.patch",
                                 "Mutant: m\nReach: smmuv3\nEquivalent: why\n"))
    assert m["equivalent"] == "why" and m["reach"] == "smmuv3", m


if __name__ == "__main__":
    sys.exit(pytap.run(TMP))
