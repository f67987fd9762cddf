#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# JUnit XML from the runner's merged KTAP, for CI systems that want it.
#   vm/junit.sh KTAP_FILE OUT_XML
# Every leaf result becomes a testcase: its suite is the top-level group
# (unit, mock, vtd, ...), its classname the groups between, its name the
# test's own.  So does a group that failed with no failing result of its
# own (a binary that crashed, a guest that hung), as vm/ktap.sh counts
# it.  Failures carry the diagnostics printed before them.

set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 KTAP_FILE OUT_XML" >&2; exit 2; }
[ -r "$1" ] || { echo "error: $1: cannot read" >&2; exit 2; }

awk '
function esc(s) {
	gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s)
	gsub(/"/, "\\&quot;", s)
	gsub(/[\001-\010\013\014\016-\037]/, "?", s)
	return s
}
{ sub(/\r$/, "") }
/^ *(not )?ok [0-9]+/ {
	match($0, /^ */)
	d = RLENGTH / 2
	line = substr($0, RLENGTH + 1)
	st = "pass"
	if (line ~ /^not ok/) { st = "fail"; sub(/^not ok [0-9]+ */, "", line) }
	else sub(/^ok [0-9]+ */, "", line)
	why = ""
	if (match(line, / # [Ss][Kk][Ii][Pp]/)) {
		why = substr(line, RSTART + 8); sub(/^ */, "", why)
		line = substr(line, 1, RSTART - 1)
		if (st == "pass") st = "skip"
	}
	n++
	depth[n] = d; status[n] = st; name[n] = line; reason[n] = why
	diag[n] = notes; notes = ""
	kids = n > 1 && depth[n - 1] == d + 1
	# a failed group none of whose results failed is a case itself
	leaf[n] = !kids || (st == "fail" && !kidfail[d + 1])
	delete kidfail[d + 1]
	if (st == "fail")
		kidfail[d] = 1
	next
}
/^ *# / { l = $0; sub(/^ *# /, "", l); notes = notes l "\n" }
END {
	# a result names the groups whose results come after it, one level up
	for (i = n; i >= 1; i--) {
		cur[depth[i]] = name[i]
		for (k = depth[i] + 1; k in cur; k++) delete cur[k]
		cls = ""
		for (k = 1; k < depth[i]; k++) cls = cls (k > 1 ? "." : "") cur[k]
		suite[i] = depth[i] ? cur[0] : name[i]
		class[i] = cls
	}
	for (i = 1; i <= n; i++) {
		if (!leaf[i]) continue
		s = suite[i]
		if (!(s in tests)) order[++ns] = s
		tests[s]++; total++
		if (status[i] == "fail") { fails[s]++; tf++ }
		if (status[i] == "skip") { skips[s]++; ts++ }
	}
	printf "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	printf "<testsuites name=\"iommufd-nest\" tests=\"%d\" failures=\"%d\" skipped=\"%d\">\n", total, tf, ts
	for (j = 1; j <= ns; j++) {
		s = order[j]
		printf "  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" skipped=\"%d\">\n", esc(s), tests[s], fails[s], skips[s]
		for (i = 1; i <= n; i++) {
			if (!leaf[i] || suite[i] != s) continue
			printf "    <testcase classname=\"%s\" name=\"%s\"", esc(class[i] == "" ? s : s "." class[i]), esc(name[i])
			if (status[i] == "pass") { printf "/>\n"; continue }
			printf ">\n"
			if (status[i] == "skip")
				printf "      <skipped message=\"%s\"/>\n", esc(reason[i])
			else
				printf "      <failure message=\"%s failed\">%s</failure>\n", esc(name[i]), esc(diag[i])
			printf "    </testcase>\n"
		}
		printf "  </testsuite>\n"
	}
	printf "</testsuites>\n"
}' "$1" >"$2.tmp"
mv "$2.tmp" "$2"
