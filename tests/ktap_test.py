#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""TAP: vm/ktap.py, the one KTAP reader, and lava/nest_lava.sh's
conversion on a board (POSIX sh, no Python there), which must name and
judge the same cases.
  tests/ktap_test.py
"""

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "vm"))
import ktap  # noqa: E402
from pytap import test  # noqa: E402
import pytap  # noqa: E402

KTAP_PY = os.path.join(TOP, "vm", "ktap.py")
TMP = tempfile.mkdtemp()


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def program(name, text, rc, *opts):
    """ktap.py program's block for TEXT (None: no file) and RC."""
    path = write(name, text) if text is not None else os.path.join(TMP, "none")
    out = subprocess.run([KTAP_PY, "program", "--indent", "  ", *opts,
                          name, path, str(rc)],
                         capture_output=True, text=True, check=True)
    return out.stdout


def top(block, name="topo", problem=""):
    """A whole run: BLOCK as the one group NAME, parsed back."""
    out = subprocess.run([KTAP_PY, "group", "--problem", problem, "1", name],
                         input=block, capture_output=True, text=True,
                         check=True).stdout
    return ktap.parse(["KTAP version 1", "1..1"] + out.splitlines())


def verdict(text, rc, *opts):
    """(program's status, counts) as the runner would count them."""
    res = top(program("p", text, rc, *opts))
    return res[0].children[0].status, ktap.counts(res)


def expect(want, got, what):
    assert want == got, f"{what}: expected {want!r}, got {got!r}"


PASS2 = "TAP version 13\n1..2\nok 1 a\nok 2 b\n"


# NAME: (TAP or None for no output file, exit status, program's
# status, (pass, fail, skip) cases as the runner counts them)
VERDICTS = {
    "passing_program_counts_its_results": (PASS2, 0, "pass", (2, 0, 0)),
    "crash_after_passes_is_one_failed_case": ("1..3\nok 1 a\n", 139, "fail", (1, 1, 0)),
    "crash_after_a_failure_adds_no_case": ("1..3\nnot ok 1 a\n", 139, "fail", (0, 1, 0)),
    "lost_output_fails": (None, 0, "fail", (0, 1, 0)),
    "empty_output_fails_even_with_exit_4": ("", 4, "fail", (0, 1, 0)),
    "no_plan_fails": ("ok 1 a\n", 0, "fail", (1, 1, 0)),
    "plan_without_results_fails": ("TAP version 13\n1..0\n", 4, "fail", (0, 1, 0)),
    "whole_skip_plan_is_one_skip": ("1..0 # SKIP no iommufd\n", 4, "skip", (0, 0, 1)),
    "whole_skip_with_exit_0_fails": ("1..0 # SKIP no iommufd\n", 0, "fail", (0, 1, 0)),
    "all_skips_with_exit_0_fail": ("1..1\nok 1 a # SKIP x\n", 0, "fail", (0, 1, 1)),
    "passes_with_exit_4_fail": ("1..1\nok 1 a\n", 4, "fail", (1, 1, 0)),
}


def verdict_test(name, text, rc, status, n):
    def f():
        expect((status, n), verdict(text, rc), f"{name} (exit {rc})")
    f.__name__ = name
    return f


for _name, _case in VERDICTS.items():
    test(verdict_test(_name, *_case))


@test
def reason_fails_a_passing_program():
    expect(("fail", (2, 1, 0)), verdict(PASS2, 0, "--reason", "hung"),
           "--reason")


@test
def required_skip_is_a_failure_naming_its_probe():
    block = program("p", "1..2\nok 1 a\nok 2 b # SKIP no x\n", 0,
                    "--require", "b=probe X")
    assert "required by probe X" in block and "not ok 2 b" in block, block
    res = top(block)
    expect((1, 1, 0), ktap.counts(res), "counts")
    leaf = res[0].children[0].children[1]
    expect((True, "fail"), (leaf.required, leaf.status), "leaf b")


@test
def required_pass_is_counted_as_required():
    res = top(program("p", PASS2, 0, "--require", "*=probe Y"))
    expect(2, sum(r.required for _, r in ktap.cases(res)), "required cases")


@test
def required_rows_apply_where_their_probe_holds():
    table = write("required", "# GROUP|PROGRAM|RESULTS|PROBE|WHAT\n"
                  "g|p|b|host~^feature yes$&&out.txt~^ok [0-9]+ x|probe H\n"
                  "g|p|a|host~^other|probe O\n"
                  "h|p|*|host~^feature|probe G\n"
                  "g|q|*|host~^feature|probe Q\n")
    host = write("host.probes", "feature yes\n")
    write("out.txt", "ok 3 x\n")
    skip_b = "1..2\nok 1 a\nok 2 b # SKIP no x\n"
    block = program("p", skip_b, 0, "--required", table, "g", TMP, host)
    assert "required by probe H" in block and "not ok 2 b" in block, block
    for other in ("probe O", "probe G", "probe Q"):
        assert other not in block, block
    # one term of the probe fails: b may skip
    write("out.txt", "not ok 3 x\n")
    block = program("p", skip_b, 0, "--required", table, "g", TMP, host)
    expect("ok 1 p", block.splitlines()[-1].strip(), "b not required")


@test
def required_pattern_matching_nothing_fails():
    expect("fail", verdict(PASS2, 0, "--require", "dma_*=probe Z")[0],
           "no result named dma_*")


@test
def group_problem_is_one_case():
    res = top(program("p", PASS2, 0), problem="guest hung")
    expect(("fail", (2, 1, 0)), (res[0].status, ktap.counts(res)), "hung")


@test
def group_of_skips_is_skipped():
    res = top(program("p", "1..1\nok 1 a # SKIP x\n", 4))
    expect(("skip", (0, 0, 1)), (res[0].status, ktap.counts(res)), "skips")


@test
def totals_and_exit_codes():
    cases = {"ok 1 a\n": 0, "not ok 1 a\n": 1, "ok 1 a # SKIP x\n": 4}
    for line, rc in cases.items():
        path = write("t.ktap", "KTAP version 1\n1..1\n" + line)
        out = subprocess.run([KTAP_PY, "totals", path], capture_output=True,
                             text=True)
        expect(rc, out.returncode, f"exit status for {line.strip()}")
        assert out.stdout.startswith("totals: "), out.stdout


@test
def junit_has_one_testcase_per_case_with_notes():
    path = write("j.ktap", "KTAP version 1\n1..1\n" + program(
        "bin", "1..2\n# expected <1> & \"2\"\x01\nnot ok 1 x\nok 2 y # SKIP why\n", 1)
        + "not ok 1 unit\n")
    subprocess.run([KTAP_PY, "junit", path, path + ".xml"], check=True)
    import xml.etree.ElementTree as ET
    root = ET.parse(path + ".xml").getroot()
    cases = root.findall(".//testcase")
    expect(2, len(cases), "testcases")
    fail = root.find(".//failure")
    expect("unit.bin", cases[0].get("classname"), "classname")
    assert 'expected <1> & "2"?' in fail.text, fail.text
    expect("why", root.find(".//skipped").get("message"), "skip reason")


@test
def bad_usage_exits_2():
    for args in ([], ["nope"], ["program", "p"], ["group"],
                 ["program", "--indent"], ["program", "--bad", "x"]):
        rc = subprocess.run([KTAP_PY, *args], capture_output=True).returncode
        expect(2, rc, f"ktap.py {' '.join(args)}")


# the verdicts' fixtures that have an output, and one with each result
FIXTURES = {name: (v[0], v[1]) for name, v in VERDICTS.items() if v[0] is not None}
FIXTURES["mixed"] = ("1..3\nok 1 a\nnot ok 2 b\nok 3 c # SKIP d\n", 1)


@test
def board_conversion_names_and_judges_the_same_cases():
    sh = shutil.which("sh")
    if not sh:
        return "SKIP no sh"
    lava = os.path.join(TOP, "lava", "nest_lava.sh")
    for name, (text, rc) in FIXTURES.items():
        path = write(name, text)
        out = subprocess.run([sh, lava, "tap2lava", "prog", path, str(rc)],
                             capture_output=True, text=True,
                             env=dict(os.environ, PATH="/usr/bin:/bin")).stdout
        board = sorted(tuple(x.split()[1:]) for x in out.splitlines()
                       if x.startswith("CASE "))
        res = top(program("prog", text, rc))
        host = sorted((".".join(p), r.status)
                      for p, r in ktap.cases(res[0].children))
        expect(host, board, f"fixture {name}")


if __name__ == "__main__":
    sys.exit(pytap.run(TMP))
