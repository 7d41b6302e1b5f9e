#!/bin/sh
# tests/cli/bench_quality.sh — `socpipe bench quality` end to end on a rule test's events with
# hand-written labels: the table and JSON report the rule's TP/FP/FN, --check passes when the
# targets are met and fails when an instance is missed, bad usage and bad labels exit 2.
set -u
. tests/cli/lib/harness.sh

CASE=tests/detections/password_spray
RULE=detections/identity/password_spray.yml
# the first spray burst is the attack; the office typos are its near-misses
python3 - "$CASE/events.ndjson" >"$T/labels.tsv" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r['IPAddress'] == '203.0.113.7' and r['ResultType'] != '0':
        print(r['Id'] + '\tpassword_spray')
    elif r['IPAddress'] == '198.51.100.20' and r['ResultType'] == '50126':
        print(r['Id'] + '\tbenign:password_spray')
PY
"$S" bench quality --rules "$RULE" --scenarios detections/scenarios.tsv --data "$CASE/events.ndjson" \
    --labels "$T/labels.tsv" --watchlists tests/detections/watchlists --check >"$T/table" 2>"$T/err"
[ $? -eq 0 ] && ok || bad "targets met: exit 0 (got $(cat "$T/err"))"
grep -q '^Password spray - one source address failing for  password_spray  *1  *1  *0  *0  *1  *100.0%  *100.0%' "$T/table" && ok ||
    bad "table row: $(cat "$T/table")"
grep -q 'met by 1 of 1 mapped rules' "$T/table" && ok || bad "targets line"
"$S" bench quality --rules "$RULE" --scenarios detections/scenarios.tsv --data "$CASE/events.ndjson" \
    --labels "$T/labels.tsv" --json >"$T/json" 2>/dev/null
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
rule = r["rules"][0]
assert r["events"] == sum(1 for _ in open(sys.argv[2])), r["events"]
assert rule["tp"] == 1 and rule["fp"] == 0 and rule["fn"] == 0 and rule["precision"] == 1 and rule["recall"] == 1, rule
assert rule["scenarios"] == ["password_spray"] and rule["meets_targets"] is True
assert [s for s in r["scenarios"] if s["name"] == "password_spray"][0]["instances"] == 1
' "$T/json" "$CASE/events.ndjson" && ok || bad "json: $(cat "$T/json")"
# a rule that misses the attack: --check fails
"$S" bench quality --rules detections/identity/legacy_auth.yml --rules "$RULE" --scenarios "$T/swapped.tsv" \
    --data "$CASE/events.ndjson" --labels "$T/labels.tsv" --check >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "missing scenario map: exit 2"
printf '14e78880-da28-4795-9686-6a29cd9a8685\tpassword_spray\n' >"$T/swapped.tsv"
"$S" bench quality --rules detections/identity/legacy_auth.yml --scenarios "$T/swapped.tsv" \
    --data "$CASE/events.ndjson" --labels "$T/labels.tsv" --check >"$T/miss" 2>/dev/null
[ $? -eq 1 ] && ok || bad "missed instance: --check exit 1"
grep -q 'password_spray  *0 of 1 instances detected' "$T/miss" && ok || bad "missed scenario listed: $(cat "$T/miss")"
"$S" bench quality --rules "$RULE" --data "$CASE/events.ndjson" 2>/dev/null; [ $? -eq 2 ] && ok || bad "no labels: exit 2"
printf 'no tab\n' >"$T/bad.tsv"
"$S" bench quality --rules "$RULE" --data "$CASE/events.ndjson" --labels "$T/bad.tsv" 2>"$T/err" >/dev/null
[ $? -eq 2 ] && grep -q 'bad.tsv:1:' "$T/err" && ok || bad "bad labels: exit 2 with file:line"
echo "cases: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
