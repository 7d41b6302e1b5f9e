#!/bin/sh
# tests/cli/bench_rules.sh — socpipe bench rules and bench pack on a small hand-made data
# set (tests/data/bench-rules/): the JSON report's fields, exact selectivity, alerts and
# runs per rule, rows sorted by cost, the regex-without-prefilter flag on exactly the rules
# whose regexes have no required literal, a well-formed SVG with a bar per rule, the pack
# comparison's report, usage and rule errors; and the Sigma pack of bench/sigma-pack
# (generated rules up to date, 100+ rules, all load). No timing is asserted.
set -u
S=${SOCPIPE:-./socpipe}
D=tests/data/bench-rules
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
check() { # description, shell condition
    if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi
}

"$S" bench rules --rules "$D" --data "$D/signins.ndjson" --rounds 2 --json "$T/r.json" --svg "$T/r.svg" \
    >"$T/out" 2>"$T/err"
check "bench rules exits 0" '[ $? -eq 0 ]'
check "table has a header and every rule" \
    'grep -q "ns/event" "$T/out" && [ "$(grep -c "per-event\|scheduled" "$T/out")" -ge 7 ]'
check "table explains the regex flag" 'grep -q "no literal prefilter" "$T/out" && grep -q "Oniguruma runs on every value" "$T/out"'

# The JSON report, checked field by field.
cat >"$T/check.py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
errors = []
def want(cond, what):
    if not cond:
        errors.append(what)
want(d["benchmark"] == "rules", "benchmark name")
want(d["data"]["events"] == 12 and d["data"]["records"] == 12, "12 events loaded")
want(d["rounds"] == 2, "rounds")
rules = {r["name"]: r for r in d["rules"]}
want(len(rules) == 7 and d["total"]["rules"] == 7, "7 rules")
fields = ["rank", "id", "name", "file", "language", "kind", "severity", "tables", "events", "runs", "failures",
          "cpu_ns", "exec_ns", "alert_ns", "filter_ns", "ns_per_event", "filter_ns_per_event", "share",
          "rows_scanned", "rows_passed", "selectivity", "result_rows", "alerts", "flags", "regexes"]
for r in d["rules"]:
    for f in fields:
        want(f in r, "%s has %s" % (r["name"], f))
    want(r["cpu_ns"] == r["exec_ns"] + r["alert_ns"], "%s: cpu = exec + alerts" % r["name"])
    want(r["filter_ns"] <= r["exec_ns"], "%s: filter within exec" % r["name"])
    want(r["failures"] == 0, "%s: no failures" % r["name"])
    want(r["tables"] == ["SigninLogs"], "%s: reads SigninLogs" % r["name"])
# sorted by cost, ranks in order, shares add up
costs = [r["cpu_ns"] for r in d["rules"]]
want(costs == sorted(costs, reverse=True), "sorted by cost, most expensive first")
want([r["rank"] for r in d["rules"]] == list(range(1, 8)), "ranks 1..7")
want(abs(sum(r["share"] for r in d["rules"]) - 1.0) < 1e-3, "shares sum to 1")
want(d["total"]["cpu_ns"] == sum(costs), "total is the sum")
# exact counts: (rows scanned, rows passed, alerts, kind)
expect = {
    "Failed password": (12, 3, 3, "per-event"),
    "Curl user agent (contains)": (12, 2, 2, "per-event"),
    "Curl user agent (regex with a required literal)": (12, 2, 2, "per-event"),
    "Scripting tool user agent (regex alternation)": (12, 4, 4, "per-event"),
    "Hex token in the user agent (regex of classes only)": (12, 0, 0, "per-event"),
    "Wget user agent (case-insensitive regex)": (12, 1, 1, "per-event"),
    "Repeated failures per user and network": (12, 3, 1, "scheduled"),
}
for name, (scanned, passed, alerts, kind) in expect.items():
    r = rules.get(name)
    if not r:
        errors.append("missing rule " + name)
        continue
    want(r["events"] == 12, name + ": events")
    want(r["rows_scanned"] == scanned, "%s: scanned %d" % (name, r["rows_scanned"]))
    want(r["rows_passed"] == passed, "%s: passed %d" % (name, r["rows_passed"]))
    want(abs(r["selectivity"] - passed / scanned) < 1e-6, name + ": selectivity")
    want(r["alerts"] == alerts, "%s: alerts %d" % (name, r["alerts"]))
    want(r["kind"] == kind, name + ": kind")
want(rules["Repeated failures per user and network"]["runs"] == 1, "one scheduled tick")
want(rules["Repeated failures per user and network"]["result_rows"] == 1, "one result row")
want(rules["Repeated failures per user and network"]["language"] == "kql", "kql rule")
want(rules["Failed password"]["language"] == "sigma", "sigma rule")
# the flag: exactly the regexes without a required literal
flagged = sorted(n for n, r in rules.items() if "regex-no-prefilter" in r["flags"])
want(flagged == ["Hex token in the user agent (regex of classes only)", "Repeated failures per user and network",
                 "Scripting tool user agent (regex alternation)"], "flagged: %s" % flagged)
lit = rules["Curl user agent (regex with a required literal)"]["regexes"]
want(len(lit) == 1 and lit[0]["prefilter"] == "curl/" and lit[0]["function"] == "matches regex", "curl/ literal")
ci = rules["Wget user agent (case-insensitive regex)"]["regexes"]
want(len(ci) == 1 and ci[0]["prefilter"] == "wget/" and ci[0]["case_insensitive"], "wget/ literal, ci")
want(rules["Curl user agent (contains)"]["regexes"] == [], "contains has no regex")
ex = rules["Repeated failures per user and network"]["regexes"]
want(len(ex) == 1 and ex[0]["function"] == "extract" and ex[0]["prefilter"] is None and ex[0]["line"] > 0,
     "extract without prefilter, positioned")
want("regex-no-prefilter" in d["notes"], "notes explain the flag")
for e in errors:
    print("  " + e)
sys.exit(1 if errors else 0)
EOF
check "JSON report: fields, exact counts, sorting, flags" 'python3 "$T/check.py" "$T/r.json"'

cat >"$T/svg.py" <<'EOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
assert root.tag == ns + "svg", root.tag
groups = root.findall(ns + "g")
assert len(groups) == 7, len(groups)
red = [g for g in groups if g.find(ns + "rect").get("fill") == "#d62728"]
assert len(red) == 3, len(red)
for g in groups:
    assert float(g.find(ns + "rect").get("width")) >= 0
    assert g.find(ns + "title").text
EOF
check "SVG is well-formed XML with one bar per rule, flagged bars red" 'python3 "$T/svg.py" "$T/r.svg"'

# JSON on stdout: the table moves to stderr.
"$S" bench rules --rules "$D/failed_password.yml" --data "$D/signins.ndjson" --rounds 1 --json - >"$T/stdout.json" 2>"$T/stderr"
check "--json - writes parseable JSON to stdout" 'python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$T/stdout.json"'
check "--json -: the table goes to stderr" 'grep -q "ns/event" "$T/stderr"'
"$S" bench rules --rules "$D" --data "$D/signins.ndjson" --rounds 1 --top 2 >"$T/top" 2>/dev/null
check "--top limits the table" 'grep -q "5 more rules" "$T/top"'

# Errors.
"$S" bench rules --data "$D/signins.ndjson" >/dev/null 2>&1
check "no --rules: exit 2" '[ $? -eq 2 ]'
"$S" bench rules --rules "$D" --data "$D/signins.ndjson" --rounds 0 >/dev/null 2>&1
check "--rounds 0: exit 2" '[ $? -eq 2 ]'
printf 'title: x\nlogsource: {product: azure, service: signinlogs}\ndetection:\n  sel: {a|contians: b}\n  condition: sel\n' >"$T/bad.yml"
"$S" bench rules --rules "$T/bad.yml" --rules "$D/failed_password.yml" --data "$D/signins.ndjson" >/dev/null 2>"$T/err"
check "bad rule: exit 2 with its position" '[ $? -eq 2 ] && grep -q "bad.yml:4:" "$T/err"'
"$S" bench rules --skip-rejected --rules "$T/bad.yml" --rules "$D/failed_password.yml" --data "$D/signins.ndjson" \
    --rounds 1 >"$T/out" 2>"$T/err"
check "--skip-rejected measures the rules that load" '[ $? -eq 0 ] && grep -q "Failed password" "$T/out" && grep -q "1 rule error" "$T/err"'
"$S" bench rules --rules "$D" --data "$T/missing.ndjson" >/dev/null 2>&1
check "missing data file: exit 1" '[ $? -eq 1 ]'

# bench pack: both passes, the ratio, the verdict, JSON.
"$S" bench pack --rules "$D" --data "$D/signins.ndjson" --rounds 1 --json "$T/p.json" >"$T/pack" 2>&1
check "bench pack exits 0" '[ $? -eq 0 ]'
check "bench pack reports both passes and the cost share" \
    'grep -q "replay, no rules" "$T/pack" && grep -q "replay, the pack" "$T/pack" && grep -q "of ingest time (target <= 20%)" "$T/pack" && grep -q "the rules'"'"' own cpu" "$T/pack"'
check "bench pack JSON: same records, alerts only with the pack" \
    'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"records\"]==12 and d[\"no_rules\"][\"alerts\"]==0 and d[\"pack\"][\"alerts\"]==13 and \"cost_share\" in d and 0 < d[\"rules_cpu_s\"] < d[\"pack\"][\"cpu_s\"]" "$T/p.json"'

# The Sigma pack of issue #4.
check "bench/sigma-pack/rules is generate.py's output" 'python3 bench/sigma-pack/generate.py --check >/dev/null'
"$S" sigma check bench/sigma-pack/rules >"$T/sc" 2>&1
check "the Sigma pack: 100+ rules load, none rejected, no warnings" \
    'n=$(sed -n "s/.* \([0-9]*\) rules, 0 correlations.*/\1/p" "$T/sc"); [ "${n:-0}" -ge 100 ] && grep -q "0 rejected; 0 errors, 0 warnings" "$T/sc"'

echo "cases: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
