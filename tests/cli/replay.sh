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
echo "cases: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
