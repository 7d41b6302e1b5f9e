#!/bin/sh
# tests/cli/demo.sh — socpipe demo: the embedded end-to-end run (mock Kafka cluster,
# generator, consumer group, the shipped rule pack, console, file and Kafka sinks) exits 0
# having consumed every record it produced, and its alerts are exactly those of an offline
# replay of the same generated records (streaming equals replay, issue #5): the same
# AlertIds for every rule, scheduled ones and correlations included. The one rule whose
# alerts name their input (duplicate ingestion: the Kafka topic here, the file in the
# replay) is compared by what it reports instead.
set -u
. tests/cli/lib/harness.sh

RULES=detections
DUP_RULE=cb987f02-5d81-4908-b5dc-57ea769f58c4 # ingestion/duplicate_ingestion.yaml
N=30000
"$S" demo --events $N --seed 7 --workers 2 --rules "$RULES" --json --out "$T/demo.ndjson" \
    > "$T/stdout" 2> "$T/stderr"; rc=$?
[ $rc -eq 0 ] && ok || { bad "demo exit $rc"; cat "$T/stderr"; }
grep -q "produced $N records" "$T/stderr" && ok || bad "summary lacks the produced count"
grep -q "ingested $N records" "$T/stderr" && ok || bad "not every produced record was ingested"
grep -q " 0 rejected" "$T/stderr" && ok || bad "records rejected"
grep -q " 0 late records" "$T/stderr" && ok || bad "records arrived behind the watermark: $(grep late "$T/stderr")"
alerts=$(sed -n 's/^  alerts: \([0-9]*\) .*; \([0-9-]*\) on Kafka topic.*/\1 \2/p' "$T/stderr")
set -- $alerts
[ $# -eq 2 ] && [ "$1" -gt 0 ] && [ "$1" = "$2" ] && ok || bad "alerts written and alerts on the Kafka topic differ: '$alerts'"

# One line per alert: "RuleId AlertId", or "RuleId AlertName" for the duplicate-ingestion rule.
keys() {
    sed -n 's/^{"AlertId":"\([^"]*\)","TimeGenerated":"[^"]*","RuleId":"\([^"]*\)","RuleLanguage":"[a-z]*","AlertName":"\([^"]*\)".*/\2 \1 \3/p' "$1" |
        awk -v dup="$DUP_RULE" '{ if ($1 == dup) { $2 = ""; print } else print $1, $2 }' | sort
}
keys "$T/demo.ndjson" > "$T/demo.keys"
keys "$T/stdout" > "$T/stdout.keys"
[ "$(wc -l < "$T/demo.keys")" -eq "$(wc -l < "$T/demo.ndjson")" ] && ok || bad "unexpected alert lines in --out"
[ -s "$T/demo.keys" ] && ok || bad "the demo raised no alert"
cmp -s "$T/demo.keys" "$T/stdout.keys" && ok || bad "--json stdout and --out file differ"
# Scheduled rules and correlations fired too, not only per-event rules.
grep -q "^$DUP_RULE " "$T/demo.keys" && ok || bad "no duplicate-ingestion alert (scheduled rule)"
grep -q "Password spray" "$T/stderr" && ok || bad "no password-spray alert (correlation)"

# The same records, generated with the demo's options, replayed from a file.
"$S" gen --table all --events $N --seed 7 --rate 12 --attacks --envelope eventhubs --out "$T/all.ndjson" \
    --watchlists "$T/watchlists" || bad "gen"
"$S" replay --rules "$RULES" --watchlists "$T/watchlists" --lateness 00:10:00 "$T/all.ndjson" 2>/dev/null \
    > "$T/replay.ndjson" || bad "replay"
keys "$T/replay.ndjson" > "$T/replay.keys"
if cmp -s "$T/demo.keys" "$T/replay.keys"; then ok; else
    bad "demo alerts differ from replay ($(wc -l < "$T/demo.keys") vs $(wc -l < "$T/replay.keys"))"
    diff "$T/demo.keys" "$T/replay.keys" | head -20
fi

# The human form: a header and one line per alert.
"$S" demo --events 3000 --seed 7 --rules "$RULES" > "$T/human" 2> "$T/human.err"; rc=$?
[ $rc -eq 0 ] && ok || { bad "demo (console) exit $rc"; cat "$T/human.err"; }
head -1 "$T/human" | grep -q "^TimeGenerated  *Severity  *AlertName$" && ok || bad "console header"
n_alerts=$(sed -n 's/^  alerts: \([0-9]*\) .*/\1/p' "$T/human.err")
[ "$(($(wc -l < "$T/human") - 1))" = "$n_alerts" ] && ok || bad "console lines ($(wc -l < "$T/human")) vs $n_alerts alerts"
grep -Eq "^2026-11-01 [0-9:]{8}  (Informational|Low|Medium|High) " "$T/human" && ok || bad "console alert line form"

"$S" demo --events 0 2>/dev/null; [ $? -eq 2 ] && ok || bad "--events 0: exit 2"
"$S" demo --workers 9 2>/dev/null; [ $? -eq 2 ] && ok || bad "--workers 9: exit 2"
"$S" demo --frobnicate 2>/dev/null; [ $? -eq 2 ] && ok || bad "unknown option: exit 2"
"$S" demo --rules "$T/nothing-here" 2>/dev/null; [ $? -eq 2 ] && ok || bad "missing rule pack: exit 2"
mkdir "$T/bad"; printf 'title: broken\ndetection: {condition: nope}\n' > "$T/bad/broken.yml"
"$S" demo --rules "$T/bad" 2>/dev/null; [ $? -eq 2 ] && ok || bad "a rule that does not load: exit 2"
echo "cases: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
