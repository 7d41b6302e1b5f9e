#!/bin/sh
# tests/cli/replay.sh — socpipe replay: the same alerts (same AlertIds) for any worker count
# and any split of the input into files; usage errors exit 2; rule errors exit 2; --help lists
# every option.
set -u
S=${SOCPIPE:-./socpipe}
SH=${SP_SHARED:-../shared}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

"$S" gen --table SigninLogs --events 20000 --seed 11 --attacks --labels "$T/labels.tsv" --out "$T/all.ndjson" || bad "gen"
split -n l/4 -d "$T/all.ndjson" "$T/part" 2>/dev/null || split -l 5000 -d "$T/all.ndjson" "$T/part"
RULES="--rules $SH/data/sigma/azure/signin_logs --rules $SH/data/sentinel-rules/Detections__SigninLogs__SigninPasswordSpray.yaml"
"$S" replay $RULES --workers 1 "$T/all.ndjson" 2>/dev/null > "$T/a1.ndjson" || bad "replay 1 worker"
"$S" replay $RULES --workers 2 "$T"/part* 2>/dev/null > "$T/a2.ndjson" || bad "replay 2 workers"
"$S" replay $RULES --workers 4 "$T"/part* 2>/dev/null > "$T/a4.ndjson" || bad "replay 4 workers"
ids() { sed -n 's/^{"AlertId":"\([^"]*\)".*/\1/p' "$1" | sort; }
n1=$(ids "$T/a1.ndjson" | wc -l)
[ "$n1" -gt 50 ] && ok || bad "expected alerts from the sign-in rules, got $n1"
ids "$T/a1.ndjson" > "$T/i1"; ids "$T/a2.ndjson" > "$T/i2"; ids "$T/a4.ndjson" > "$T/i4"
cmp -s "$T/i1" "$T/i2" && ok || bad "2 workers over 4 files differ from 1 worker"
cmp -s "$T/i1" "$T/i4" && ok || bad "4 workers differ from 1 worker"
[ "$(sort -u "$T/i1" | wc -l)" -eq "$n1" ] && ok || bad "duplicate alert ids"
grep -q '"AlertName":"Password spray attack against Azure AD application"' "$T/a1.ndjson" && ok || bad "spray not detected"
# Re-delivered input (the same file twice) gives no extra alert: the store drops duplicates.
"$S" replay $RULES "$T/all.ndjson" "$T/all.ndjson" 2>/dev/null > "$T/twice.ndjson" || bad "replay twice"
ids "$T/twice.ndjson" > "$T/it"
cmp -s "$T/i1" "$T/it" && ok || bad "re-delivered records changed the alerts"
"$S" replay 2>/dev/null; [ $? -eq 2 ] && ok || bad "no files: exit 2"
"$S" replay --help >"$T/help" 2>&1; [ $? -eq 0 ] && ok || bad "--help: exit 0"
for o in --rules --workers --table --watchlists --placeholders --mapping --lateness --out --no-health; do
    grep -q -- "$o" "$T/help" && ok || bad "--help does not list $o"
done
printf 'title: x\nlogsource: {product: azure}\ndetection:\n  sel: {a|contians: b}\n  condition: sel\n' > "$T/bad.yml"
"$S" replay --rules "$T/bad.yml" "$T/all.ndjson" 2>"$T/err" >/dev/null; [ $? -eq 2 ] && ok || bad "bad rule: exit 2"
grep -q "bad.yml:4:" "$T/err" && ok || bad "bad rule error has no file:line"
# A table inferred from the data (an unmapped logsource's table, --table NAME): the rules
# load before the table exists and before its columns appear. Sigma null = absent or null.
cat > "$T/ev.ndjson" <<'END'
{"TimeGenerated":"2024-01-01T00:00:01Z","Id":"r1","w":"a"}
{"TimeGenerated":"2024-01-01T00:00:02Z","Id":"r2","w":"b"}
{"TimeGenerated":"2024-01-01T00:00:03Z","Id":"r3","w":""}
{"TimeGenerated":"2024-01-01T00:00:04Z","Id":"r4","w":null}
{"TimeGenerated":"2024-01-01T00:00:05Z","Id":"r5"}
END
printf 'version: 1\nlogsources:\n  - {product: azure, service: signinlogs, tables: [Events]}\n' > "$T/map.yml"
for v in a null; do
  printf 'title: w is %s\nid: 55555555-5555-5555-5555-55555555555%s\nstatus: test\nlevel: high\nlogsource: {product: azure, service: signinlogs}\ndetection:\n  sel: {w: %s}\n  condition: sel\n' \
    "$v" "${#v}" "$v" > "$T/w_$v.yml"
done
evids() { grep -o '"Events":\[.*' "$1" | grep -o '"Id":"[^"]*"' | sort | tr '\n' ' '; }
"$S" replay --mapping "$T/map.yml" --table Events --rules "$T/w_a.yml" "$T/ev.ndjson" 2>/dev/null > "$T/wa.ndjson" || bad "replay w: a"
[ "$(evids "$T/wa.ndjson")" = '"Id":"r1" ' ] && ok || bad "w: a on an inferred table: got $(evids "$T/wa.ndjson")"
"$S" replay --mapping "$T/map.yml" --table Events --rules "$T/w_null.yml" "$T/ev.ndjson" 2>/dev/null > "$T/wn.ndjson" || bad "replay w: null"
[ "$(evids "$T/wn.ndjson")" = '"Id":"r4" "Id":"r5" ' ] && ok || bad "w: null on an inferred table: got $(evids "$T/wn.ndjson")"
# The field first appears in another file than the table's first record (two workers).
head -n 1 "$T/ev.ndjson" | sed 's/,"w":"a"//' > "$T/ev1.ndjson"; sed 1d "$T/ev.ndjson" > "$T/ev2.ndjson"
"$S" replay --mapping "$T/map.yml" --table Events --workers 2 --rules "$T/w_null.yml" "$T/ev1.ndjson" "$T/ev2.ndjson" 2>/dev/null > "$T/wn2.ndjson" || bad "replay w: null, 2 files"
[ "$(evids "$T/wn2.ndjson")" = '"Id":"r1" "Id":"r4" "Id":"r5" ' ] && ok || bad "w: null over 2 files: got $(evids "$T/wn2.ndjson")"
# A KQL rule over the same table binds once the table and its column exist.
printf 'id: 55555555-5555-5555-5555-555555555559\nname: w counts\nseverity: Low\nkind: Scheduled\nqueryFrequency: 1h\nqueryPeriod: 1h\ntriggerOperator: gt\ntriggerThreshold: 0\nquery: |\n  Events\n  | where isnotempty(w)\n  | summarize n = count() by w\neventGroupingSettings:\n  aggregationKind: AlertPerResult\n' > "$T/wk.yaml"
"$S" replay --table Events --rules "$T/wk.yaml" "$T/ev.ndjson" 2>"$T/wk.err" > "$T/wk.ndjson"; rc=$?
[ $rc -eq 0 ] && ok || bad "KQL rule over a table not there yet: exit $rc"
[ "$(grep -c '"Events":\[{"w":"[ab]","n":1}\]' "$T/wk.ndjson")" -eq 2 ] && [ "$(wc -l < "$T/wk.ndjson")" -eq 2 ] && ok || bad "KQL counts on an inferred table: $(cat "$T/wk.ndjson")"
grep -q "wk.yaml:10:.*warning: rule 'w counts' is not bound yet: unknown table 'Events'" "$T/wk.err" && ok || bad "no warning for the deferred KQL rule: $(cat "$T/wk.err")"
echo "cases: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
