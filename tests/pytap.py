# SPDX-License-Identifier: GPL-2.0
"""The TAP runner of the Python unit tests: @test collects a function;
run() prints TAP, each exception a failure with its traceback, a
returned string a SKIP reason, and gives the exit status."""

import shutil
import traceback

TESTS = []


def test(f):
    TESTS.append(f)
    return f


def run(tmp=None):
    print("TAP version 13")
    print(f"1..{len(TESTS)}")
    failed = 0
    for i, t in enumerate(TESTS, 1):
        try:
            skip = t()
        except Exception:  # noqa: BLE001  any error fails the test
            for line in traceback.format_exc().splitlines():
                print(f"# {line}")
            print(f"not ok {i} {t.__name__}")
            failed += 1
            continue
        print(f"ok {i} {t.__name__}" + (f" # SKIP {skip}" if skip else ""))
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0
