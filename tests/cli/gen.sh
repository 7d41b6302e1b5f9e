#!/bin/sh
# tests/cli/gen.sh — `socpipe gen`: every table against SCHEMAS.md (column names and
# types), JSON well-formedness of every envelope, Event Hubs records mapping column for
# column onto the Log Analytics rows of the same seed, byte-identical reruns, zstd output,
# --batch, the attack scenarios (labels, near-misses, background unchanged, --table all
# ordering, watchlists against the traffic; tests/cli/gen_scenarios.py), and usage
# errors (exit 2).
set -u
SOCPIPE="${SOCPIPE:-./socpipe}"
SHARED="${SP_SHARED:-../shared}"
CHECK="python3 tests/cli/gen_check.py"
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
run() { # name, command... (must exit 0)
    name=$1; shift
    if "$@" >"$tmp/log" 2>&1; then ok; else bad "$name"; tail -n 20 "$tmp/log"; fi
}
json_ok() { python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$1"; }

TABLES="SigninLogs AADNonInteractiveUserSignInLogs AADServicePrincipalSignInLogs AADManagedIdentitySignInLogs SentinelHealth SecurityIncident SecurityAlert CopilotActivity"
for t in $TABLES; do
    "$SOCPIPE" gen --table "$t" --events 1500 --seed 5 --envelope loganalytics --out "$tmp/$t.la" || bad "gen $t"
    run "json_$t" json_ok "$tmp/$t.la"
    run "schema_$t" $CHECK schema "$SHARED/SCHEMAS.md" "$t" "$tmp/$t.la"
done
for t in SigninLogs AADNonInteractiveUserSignInLogs AADServicePrincipalSignInLogs AADManagedIdentitySignInLogs; do
    "$SOCPIPE" gen --table "$t" --events 1500 --seed 5 --envelope eventhubs --out "$tmp/$t.eh" || bad "gen eh $t"
    run "json_eh_$t" json_ok "$tmp/$t.eh"
    run "mapping_$t" $CHECK mapping "$SHARED/SCHEMAS.md" "$t" "$tmp/$t.la" "$tmp/$t.eh"
done
"$SOCPIPE" gen --table CopilotActivity --events 500 --seed 5 --out "$tmp/cp.pv" || bad "gen purview"
run json_purview json_ok "$tmp/cp.pv"

# same arguments, same bytes; another seed, other bytes
"$SOCPIPE" gen --events 2000 --seed 9 >"$tmp/a" && "$SOCPIPE" gen --events 2000 --seed 9 >"$tmp/b"
if cmp -s "$tmp/a" "$tmp/b"; then ok; else bad "rerun differs"; fi
"$SOCPIPE" gen --events 2000 --seed 10 >"$tmp/c"
if cmp -s "$tmp/a" "$tmp/c"; then bad "seeds 9 and 10 gave the same output"; else ok; fi

# .zst output is the same NDJSON, compressed
"$SOCPIPE" gen --events 2000 --seed 9 --out "$tmp/a.ndjson.zst" || bad "gen zst"
if zstd -q -d -c "$tmp/a.ndjson.zst" | cmp -s - "$tmp/a"; then ok; else bad "zst content differs"; fi

# --batch 10: 100 lines of {"records":[10 records]}, the same records as one per line
"$SOCPIPE" gen --envelope eventhubs --events 1000 --batch 10 --seed 3 >"$tmp/batched"
"$SOCPIPE" gen --envelope eventhubs --events 1000 --seed 3 >"$tmp/single"
run batch_equal python3 -c '
import json,sys
b=[json.loads(l) for l in open(sys.argv[1])]; s=[json.loads(l) for l in open(sys.argv[2])]
assert len(b)==100 and all(len(x["records"])==10 for x in b)
assert [r for x in b for r in x["records"]]==s' "$tmp/batched" "$tmp/single"

# --attacks --labels on SigninLogs: the password spray (one IP, many users, 50126) and its
# near-misses, labelled by Id
"$SOCPIPE" gen --events 6000 --rate 2 --seed 11 --attacks --labels "$tmp/labels" >"$tmp/att"
run spray_labels python3 -c '
import json,sys
labels=[l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
rows={}
for l in open(sys.argv[2]):
    r=json.loads(l)
    rows[r.get("Id") or r["properties"]["id"]]=r
spray=[rows[k] for k,v in labels if v=="password_spray"]
assert 150<=len(spray)<300, len(spray)
assert sum(v=="benign:password_spray" for k,v in labels)==12
assert len({r["IPAddress"] for r in spray})==1
assert sum(r["ResultType"]=="50126" for r in spray) >= 0.85*len(spray)
assert len({r["UserPrincipalName"] for r in spray}) >= 0.95*len(spray)' "$tmp/labels" "$tmp/att"

# --table all --attacks: every scenario of issue #6 with attack and benign:<name> labels,
# one time-ordered stream of valid JSON, background unchanged by --attacks, watchlists
# that agree with the traffic, and reruns byte-identical
SCENARIOS="password_spray mfa_fatigue legacy_auth device_code ca_not_applied_sensitive_app
 foreign_tenant_signin impossible_travel wif_assertion_failure_burst wif_outside_ci_ranges
 wif_off_hours wif_new_credential mi_multi_environment copilot_label_above_clearance
 copilot_hc_via_plugin copilot_label_forbidden_host copilot_jailbreak connector_failure
 connector_flapping rule_run_failure source_silent dup_incident_title dup_alert_multi_incident
 dup_rule_title duplicate_ingestion"
SC="python3 tests/cli/gen_scenarios.py"
ALL="--table all --events 20000 --rate 2 --seed 5"
"$SOCPIPE" gen $ALL --attacks --labels "$tmp/all.labels" --watchlists "$tmp/wl" >"$tmp/all.att" || bad "gen all attacks"
"$SOCPIPE" gen $ALL >"$tmp/all.plain" || bad "gen all"
run all_labels $SC labels "$tmp/all.att" "$tmp/all.labels" $SCENARIOS
run all_order $SC order "$tmp/all.att"
run all_background $SC background "$tmp/all.plain" "$tmp/all.att" "$tmp/all.labels"
run all_watchlists $SC watchlists "$tmp/wl" "$tmp/all.att" "$tmp/all.labels"
"$SOCPIPE" gen $ALL --attacks --labels "$tmp/all.labels2" >"$tmp/all.att2"
if cmp -s "$tmp/all.att" "$tmp/all.att2" && cmp -s "$tmp/all.labels" "$tmp/all.labels2"; then ok; else bad "attack rerun differs"; fi
# scenario records follow SCHEMAS.md too, and their Event Hubs form maps onto their Log
# Analytics rows like background ones (re-delivered copies set aside)
for e in loganalytics eventhubs; do
    "$SOCPIPE" gen --events 6000 --rate 1 --seed 4 --attacks --envelope $e --labels "$tmp/sl.$e.labels" >"$tmp/sl.$e" &&
        $SC strip "$tmp/sl.$e" "$tmp/sl.$e.labels" "$tmp/sl.$e.f" || bad "gen/strip attacks $e"
done
run attack_mapping $CHECK mapping "$SHARED/SCHEMAS.md" SigninLogs "$tmp/sl.loganalytics.f" "$tmp/sl.eventhubs.f"
run attack_schema $CHECK schema "$SHARED/SCHEMAS.md" SigninLogs "$tmp/sl.loganalytics.f"
for t in AADServicePrincipalSignInLogs SentinelHealth SecurityIncident CopilotActivity; do
    "$SOCPIPE" gen --table $t --events 3000 --rate 0.05 --seed 4 --attacks --envelope loganalytics \
        --labels "$tmp/$t.attack.labels" >"$tmp/$t.attack" &&
        $SC strip "$tmp/$t.attack" "$tmp/$t.attack.labels" "$tmp/$t.attack.f" || bad "gen attacks $t"
    run "attack_schema_$t" $CHECK schema "$SHARED/SCHEMAS.md" $t "$tmp/$t.attack.f"
done

# end to end: a rule over the generated sensitive_apps watchlist, replayed over the
# generated sign-ins, alerts on exactly the ca_not_applied_sensitive_app records (and the
# store drops duplicate_ingestion's re-deliveries)
cat >"$tmp/ca.yaml" <<'EOF'
id: 0f1e2d3c-0000-4000-8000-000000000001
name: Successful sign-in to a sensitive app without Conditional Access
kind: Scheduled
severity: Medium
queryFrequency: 1h
queryPeriod: 1h
triggerOperator: gt
triggerThreshold: 0
query: |
  let sensitive = _GetWatchlist('sensitive_apps') | project SearchKey;
  SigninLogs
  | where ResultType == "0" and ConditionalAccessStatus == "notApplied"
  | where AppId in (sensitive)
EOF
"$SOCPIPE" gen --events 20000 --rate 2 --seed 5 --attacks --labels "$tmp/ca.labels" --watchlists "$tmp/ca.wl" >"$tmp/ca.ndjson" &&
    "$SOCPIPE" replay --rules "$tmp/ca.yaml" --watchlists "$tmp/ca.wl" "$tmp/ca.ndjson" >"$tmp/ca.alerts" 2>/dev/null || bad "replay ca rule"
run ca_rule_on_watchlist python3 -c '
import json,sys
lab=dict(l.rstrip("\n").split("\t") for l in open(sys.argv[1]))
hit=sorted(lab.get(e["Id"],"background") for l in open(sys.argv[2]) for e in json.loads(l)["Events"])
want=sorted(v for v in lab.values() if v=="ca_not_applied_sensitive_app")
assert hit==want and want, (hit,want)' "$tmp/ca.labels" "$tmp/ca.alerts"

# several --table flags are the same as a list; eventhubs applies to the sign-ins only
"$SOCPIPE" gen --table SigninLogs --table SentinelHealth --envelope eventhubs --events 3000 --rate 1 >"$tmp/two" || bad "gen two tables"
run two_tables python3 -c '
import json,sys
kinds={("time" in r) and "eh" or r["Type"] for r in map(json.loads, open(sys.argv[1]))}
assert kinds=={"eh","SentinelHealth"}, kinds' "$tmp/two"

# usage errors exit 2
for args in "--table Nope" "--envelope purview" "--events -1" "--rate 0" "--batch 5" "--labels x" "--bogus" \
            "--table all --envelope purview" "--table all --envelope eventhubs --batch 2" "--table SigninLogs,Nope"; do
    "$SOCPIPE" gen $args >/dev/null 2>&1
    rc=$?
    if [ "$rc" = 2 ]; then ok; else bad "gen $args: exit $rc, want 2"; fi
done

echo "cases: $pass passed, $fail failed"
[ "$fail" = 0 ]
