#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The project's one reader of KTAP results.

  ktap.py program [--indent S] [--number N] [--reason R]
                  [--require PATTERN=PROBE]...
                  [--required TABLE GROUP DIR HOSTFILE] NAME FILE RC
      FILE holds program NAME's TAP and RC its exit status: print it as
      subtest N and its result line.  The program fails as a whole when
      its output is lost or empty, it printed no plan or no result,
      results are missing, RC contradicts its results, or REASON is set.
      A result matching PATTERN (fnmatch, on the result's name) that
      does not pass is a failure naming PROBE, the probe that showed
      the feature present.  --required takes those rules from the
      rows of TABLE (vm/required) for GROUP and NAME whose probe holds:
      each of its FILE~REGEX terms (joined by &&) has a line of FILE
      matching REGEX, FILE being in DIR, or HOSTFILE for "host".
  ktap.py group [--indent S] [--problem P] NUMBER NAME
      copy a group's subtests from stdin, then its result line; P is a
      failure of the group as a whole (a guest that hung).
  ktap.py totals KTAP
      the totals line, after the required count; exit 0, 1 or 4 as
      kselftest wants.
  ktap.py junit KTAP XML
      JUnit XML: one testcase per case.

A case is a result with no subtests, or a failed result none of whose
own subtests failed (a crashed program, a hung guest): the totals, the
JUnit and LAVA's comparison (lava/results.py) all count these.
"""

import fnmatch
import os
import re
import sys
from xml.sax.saxutils import escape, quoteattr

RESULT = re.compile(r"^(\s*)(not ok|ok)\s+(\d+)\s*(.*?)(?:\s+#\s*(.*))?$")
PLAN = re.compile(r"^\s*1\.\.(\d+)(?:\s+#\s*[Ss][Kk][Ii][Pp]\b\s*(.*))?")
REQUIRED = "required by "


class Result:
    """One result line and the subtests printed before it."""

    def __init__(self, depth, ok, name, directive, notes, children):
        self.depth = depth
        self.name = name
        self.children = children
        self.notes = notes
        directive = directive or ""
        self.directive = directive
        self.skip = directive.lower().startswith("skip")
        self.reason = directive[4:].strip() if self.skip else directive
        self.status = "skip" if self.skip else ("pass" if ok else "fail")
        self.required = any(n.startswith(REQUIRED) for n in notes)

    def is_case(self):
        if not self.children:
            return True
        return self.status == "fail" and \
            not any(c.status == "fail" for c in self.children)


def parse(lines):
    """The top-level results of KTAP LINES, each with its subtests."""
    pending = {}
    notes = []
    for line in lines:
        line = line.rstrip("\r\n")
        m = RESULT.match(line)
        if m:
            indent, status, _, name, directive = m.groups()
            depth = len(indent) // 2
            kids = pending.pop(depth + 1, [])
            for d in [d for d in pending if d > depth]:
                del pending[d]
            pending.setdefault(depth, []).append(
                Result(depth, status == "ok", name, directive, notes, kids))
            notes = []
            continue
        stripped = line.strip()
        if stripped.startswith("#"):
            notes.append(stripped[1:].strip())
    return pending.get(0, [])


def cases(results, path=()):
    """(path, Result) of every case under RESULTS, in order."""
    for r in results:
        yield from cases(r.children, path + (r.name,))
        if r.is_case():
            yield path + (r.name,), r


def counts(results):
    """pass, fail, skip counts of the cases under RESULTS."""
    n = {"pass": 0, "fail": 0, "skip": 0}
    for _, r in cases(results):
        n[r.status] += 1
    return n["pass"], n["fail"], n["skip"]


def exit_code(passed, failed):
    """kselftest: 1 on a failure, 4 when nothing passed, else 0."""
    if failed:
        return 1
    return 0 if passed else 4


def read_output(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines(), None
    except OSError as e:
        return [], f"its output was lost ({e.strerror}: {path})"


def program_verdict(lines, rc, lost):
    """(pass, fail, skip, problems, whole) of one program's own TAP;
    WHOLE is the reason of a "1..0 # SKIP why" plan: nothing to run."""
    plan = whole = None
    n = {"pass": 0, "fail": 0, "skip": 0}
    for line in lines:
        m = PLAN.match(line)
        if plan is None and m:
            plan = int(m.group(1))
            if plan == 0 and m.group(2) is not None:
                whole = m.group(2) or "no reason given"
        m = RESULT.match(line)
        if m and not m.group(1):
            n[Result(0, m.group(2) == "ok", "", m.group(5), [], []).status] += 1
    p, f, s = n["pass"], n["fail"], n["skip"]
    seen = p + f + s
    problems = []
    if lost:
        problems.append(lost)
    elif not lines:
        problems.append("it printed nothing")
    elif plan is None:
        problems.append("it printed no plan")
    elif seen == 0 and whole is None:
        problems.append("it printed no result")
    if plan is not None and seen < plan:
        problems.append(f"{plan - seen} of {plan} results missing")
    if rc not in (0, 4) and f == 0:
        problems.append(f"exited with status {rc}")
    if rc == 0 and f == 0 and p == 0 and s > 0:
        problems.append(f"exited 0, but all {s} results were skips: kselftest wants 4")
    if rc == 4 and p > 0:
        problems.append(f"exited 4 (skipped), but {p} results passed: kselftest wants 0")
    if whole is not None and rc == 0:
        problems.append("exited 0, but it skipped as a whole: kselftest wants 4")
    return p, f, s, problems, whole


def probe_holds(term, outputs, host):
    """Whether a line of a probe's FILE matches its REGEX."""
    name, _, regex = term.partition("~")
    lines, lost = read_output(host if name == "host" else
                              os.path.join(outputs, name))
    try:
        pattern = re.compile(regex)
    except re.error as e:
        sys.exit(f"error: probe '{term}': bad regex ({e})")
    return not lost and any(pattern.search(x) for x in lines)


def required_rules(table, group, program, outputs, host):
    """(PATTERN, WHAT) of each row of TABLE for GROUP and PROGRAM whose
    probe holds: the results that must pass there."""
    lines, lost = read_output(table)
    if lost:
        sys.exit(f"error: {lost}")
    rules = []
    for line in lines:
        f = line.split("|", 4)
        if line.startswith("#") or len(f) < 5:
            continue
        g, p, pat, probe, what = f
        if (g, p) == (group, program) and \
           all(probe_holds(t, outputs, host) for t in probe.split("&&")):
            rules.append((pat, what))
    return rules


def require_line(line, rules, hits):
    """LINE (a top-level result) as it stands under RULES: a required
    result that did not pass becomes a failure naming its probe."""
    m = RESULT.match(line)
    if not m or m.group(1):
        return [line]
    _, status, nr, name, directive = m.groups()
    probes = [p for pat, p in rules if fnmatch.fnmatchcase(name, pat)]
    if not probes:
        return [line]
    for pat, _ in rules:
        if fnmatch.fnmatchcase(name, pat):
            hits[pat] = hits.get(pat, 0) + 1
    r = Result(0, status == "ok", name, directive, [], [])
    out = [f"# {REQUIRED}{'; '.join(probes)}"]
    if r.status != "skip":
        return out + [line]
    return out + [f"# {name} is required, but it skipped: {r.reason}",
                  f"not ok {nr} {name}"]


def cmd_program(args):
    indent, number, reason, rules, table = "", "1", None, [], None
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--indent":
            indent = args.pop(0)
        elif opt == "--number":
            number = args.pop(0)
        elif opt == "--reason":
            reason = args.pop(0) or None
        elif opt == "--require":
            pat, _, probe = args.pop(0).partition("=")
            rules.append((pat, probe))
        elif opt == "--required":
            table = [args.pop(0) for _ in range(4)]
        else:
            return usage(f"unknown option '{opt}'")
    if len(args) != 3 or not args[2].lstrip("-").isdigit():
        return usage("program needs NAME FILE RC")
    name, path, rc = args[0], args[1], int(args[2])
    if table:
        rules += required_rules(table[0], table[1], name, table[2], table[3])
    lines, lost = read_output(path)
    hits = {}
    body = []
    for line in lines:
        if line.startswith("TAP version"):
            line = "KTAP version 1"
        body += require_line(line, rules, hits)
    p, f, s, problems, whole = program_verdict(body, rc, lost)
    if reason:
        problems.append(reason)
    for pat, probe in rules:
        if not hits.get(pat) and not lost:
            problems.append(f"no result matches '{pat}', required by {probe}")
    ind = indent + "  "
    for line in body:
        print(ind + line)
    for why in problems:
        print(f"{ind}# {why}")
    if f or problems:
        print(f"{indent}not ok {number} {name}")
    elif whole is not None and not s:
        print(f"{indent}ok {number} {name} # SKIP {whole}")
    elif p == 0:
        print(f"{indent}ok {number} {name} # SKIP all {s} tests skipped")
    else:
        print(f"{indent}ok {number} {name}")
    return 0


def cmd_group(args):
    indent, problem = "", None
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--indent":
            indent = args.pop(0)
        elif opt == "--problem":
            problem = args.pop(0) or None
        else:
            return usage(f"unknown option '{opt}'")
    if len(args) != 2:
        return usage("group needs NUMBER NAME")
    number, name = args
    depth = len(indent) // 2 + 1
    failed = passed = False
    for line in sys.stdin:
        line = line.rstrip("\n")
        print(line, flush=True)
        m = RESULT.match(line)
        if m and len(m.group(1)) // 2 == depth:
            r = Result(depth, m.group(2) == "ok", "", m.group(5), [], [])
            failed |= r.status == "fail"
            passed |= r.status == "pass"
    if problem:
        print(f"{indent}  # {problem}")
        failed = True
    if failed:
        print(f"{indent}not ok {number} {name}")
    elif not passed:
        print(f"{indent}ok {number} {name} # SKIP nothing ran")
    else:
        print(f"{indent}ok {number} {name}")
    return 0


def read_ktap(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return parse(f)
    except OSError as e:
        sys.exit(f"error: {path}: {e.strerror}")


def cmd_totals(args):
    if len(args) != 1:
        return usage("totals needs KTAP")
    results = read_ktap(args[0])
    req = [r for _, r in cases(results) if r.required]
    if req:
        ok = sum(r.status == "pass" for r in req)
        print(f"# required: {len(req)} results, {ok} passed")
    p, f, s = counts(results)
    print(f"totals: {p} passed, {f} failed, {s} skipped")
    return exit_code(p, f)


def junit(results):
    """JUnit XML: suite = top-level group, classname = the groups
    between, name = the case's own; failures carry their notes."""
    suites = {}
    for path, r in cases(results):
        suites.setdefault(path[0], []).append((path, r))
    out = []
    tot = {"pass": 0, "fail": 0, "skip": 0}
    for rs in suites.values():
        for _, r in rs:
            tot[r.status] += 1
    out.append('<?xml version="1.0" encoding="UTF-8"?>')
    out.append(f'<testsuites name="iommufd-nest" tests="{sum(tot.values())}" '
               f'failures="{tot["fail"]}" skipped="{tot["skip"]}">')
    for suite, rs in suites.items():
        nf = sum(r.status == "fail" for _, r in rs)
        ns = sum(r.status == "skip" for _, r in rs)
        out.append(f'  <testsuite name={attr(suite)} tests="{len(rs)}" '
                   f'failures="{nf}" skipped="{ns}">')
        for path, r in rs:
            cls = ".".join(path[:-1]) or suite
            head = f'    <testcase classname={attr(cls)} name={attr(r.name)}'
            if r.status == "pass":
                out.append(head + "/>")
                continue
            out.append(head + ">")
            if r.status == "skip":
                out.append(f"      <skipped message={attr(r.reason)}/>")
            else:
                text = clean("".join(n + "\n" for n in r.notes))
                out.append(f"      <failure message={attr(r.name + ' failed')}>"
                           f"{escape(text)}</failure>")
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def clean(s):
    """XML 1.0 has no control characters but tab and newline."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "?", s)


def attr(s):
    return quoteattr(clean(s), {"\n": "&#10;"})


def cmd_junit(args):
    if len(args) != 2:
        return usage("junit needs KTAP XML")
    xml = junit(read_ktap(args[0]))
    try:
        with open(args[1] + ".tmp", "w", encoding="utf-8") as f:
            f.write(xml)
        os.replace(args[1] + ".tmp", args[1])
    except OSError as e:
        sys.exit(f"error: {args[1]}: {e.strerror}")
    return 0


def usage(why):
    print(f"error: {why}", file=sys.stderr)
    print("usage: ktap.py program|group|totals|junit ... (see the top of vm/ktap.py)",
          file=sys.stderr)
    return 2


def main(argv):
    cmds = {"program": cmd_program, "group": cmd_group,
            "totals": cmd_totals, "junit": cmd_junit}
    if len(argv) < 2 or argv[1] not in cmds:
        return usage(f"unknown command '{argv[1] if len(argv) > 1 else ''}'")
    try:
        return cmds[argv[1]](argv[2:])
    except IndexError:
        return usage(f"{argv[1]}: an option lacks its value")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
