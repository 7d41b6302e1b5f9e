#!/bin/sh
# sigma_lower.sh — `socpipe sigma to-kql` and `socpipe sigma explain` end to end: the printed
# KQL of a corpus rule, field warnings on stderr, the shipped mapping and --mapping
# overrides, correlations (with their approximation note), explain's plan and programs,
# and the exit codes (2 for a rejected rule, a bad mapping file or bad usage).
set -u
. tests/cli/lib/check.sh

sig="$SP_SHARED/data/sigma/azure/signin_logs"

# a corpus rule, exactly
run sigma to-kql "$sig/azure_account_lockout.yml"
check "to-kql exits 0" '[ $rc -eq 0 ]'
cat >"$tmp/want" <<EOF
// rule: Account Lockout ($sig/azure_account_lockout.yml:1)
SigninLogs
| where (ResultType == 50053 and ResultType matches regex "^[0-9.eE+-]+\$")
EOF
check "to-kql prints the query" '[ "$out" = "$(cat "$tmp/want")" ]'
check "to-kql prints nothing on stderr" '[ -z "$err" ]'

# a field in no mapping and no schema: a warning naming rule and field, still exit 0
run sigma to-kql "$sig/azure_app_ropc_authentication.yml"
check "unknown field exits 0" '[ $rc -eq 0 ]'
check "unknown field warning" 'echo "$err" | grep -qF "azure_app_ropc_authentication.yml:22:9: warning: rule '"'"'Applications That Are Using ROPC Authentication Flow'"'"': field '"'"'properties.message'"'"' is in no mapping and no schema of table SigninLogs; looked up in AdditionalFields"'
check "unknown field reads AdditionalFields" 'echo "$out" | grep -qF "tostring(AdditionalFields.properties.message) =~ \"ROPC\""'

# several files: one query per standalone rule, separated by a blank line
run sigma to-kql "$sig"
check "directory exits 0" '[ $rc -eq 0 ]'
check "one header per rule" '[ "$(echo "$out" | grep -c "^// rule: ")" -eq 18 ]'

# --mapping extends the shipped mapping and wins
cat >"$tmp/map.yml" <<'YAML'
version: 1
logsources:
  - {product: azure, service: signinlogs, tables: [AADNonInteractiveUserSignInLogs]}
YAML
run sigma to-kql --mapping "$tmp/map.yml" "$sig/azure_ad_sign_ins_from_noncompliant_devices.yml"
check "override exits 0" '[ $rc -eq 0 ]'
check "override table" 'echo "$out" | grep -q "^AADNonInteractiveUserSignInLogs$"'
check "JSON text column parsed" 'echo "$out" | grep -qF "parse_json(DeviceDetail).isCompliant"'

# without any mapping every rule reads Events, fields as written
run sigma to-kql --no-default-mapping "$sig/azure_account_lockout.yml"
check "no mapping reads Events" 'echo "$out" | grep -q "^Events$"'

# the shipped mapping can be replaced through the environment
SP_SIGMA_MAPPING="$tmp/map.yml" run sigma to-kql "$sig/azure_account_lockout.yml"
check "SP_SIGMA_MAPPING" 'echo "$out" | grep -q "^AADNonInteractiveUserSignInLogs$"'

# a bad mapping file: positioned error, exit 2
printf 'version: 1\nlogsources:\n  - {product: azure, tabels: [X]}\n' >"$tmp/bad.yml"
run sigma to-kql --mapping "$tmp/bad.yml" "$sig/azure_account_lockout.yml"
check "bad mapping exits 2" '[ $rc -eq 2 ]'
check "bad mapping error" 'echo "$err" | grep -qF "$tmp/bad.yml:3:22: unknown key '"'"'tabels'"'"' in a logsources entry"'

# a rejected rule: exit 2, nothing printed
printf 'title: typo\nlogsource: {product: windows}\ndetection:\n  sel:\n    a|contians: x\n  condition: sel\n' >"$tmp/bad_rule.yml"
run sigma to-kql "$tmp/bad_rule.yml"
check "rejected rule exits 2" '[ $rc -eq 2 ]'
check "rejected rule prints no query" '[ -z "$out" ]'

# usage
run sigma to-kql --frobnicate "$sig/azure_account_lockout.yml"
check "unknown option exits 2" '[ $rc -eq 2 ]'
run sigma to-kql
check "no rule exits 2" '[ $rc -eq 2 ]'

# a correlation: its own query, marked as an approximation of sliding windows
cat >"$tmp/corr.yml" <<'YAML'
title: failed logins
name: failed
logsource: {product: azure, service: signinlogs}
detection:
  sel: {ResultType: 50126}
  condition: sel
---
title: password spray
name: spray
correlation:
  type: value_count
  rules: [failed]
  group-by: [IPAddress]
  timespan: 10m
  condition: {field: UserPrincipalName, gte: 10}
YAML
run sigma to-kql "$tmp/corr.yml"
check "correlation exits 0" '[ $rc -eq 0 ]'
check "correlation only (the rule feeds it)" '[ "$(echo "$out" | grep -c "^// correlation: password spray")" -eq 1 ] && ! echo "$out" | grep -q "^// rule: "'
check "correlation approximation note" 'echo "$out" | grep -q "no sliding windows, so this query approximates them"'
check "correlation summarize" 'echo "$out" | grep -qF "dcountif(_Text, isnotempty(_Text))"'

# explain: plan and programs
run sigma explain "$sig/azure_account_lockout.yml"
check "explain exits 0" '[ $rc -eq 0 ]'
check "explain plan" 'echo "$out" | grep -q "^Scan SigninLogs filter \$str_eq_num(ResultType, 50053, true)"'
check "explain programs" 'echo "$out" | grep -q "CALL   r3 = \$str_eq_num(r0, r1, r2) -> bool"'
run sigma explain "$tmp/corr.yml"
check "explain correlation" 'echo "$out" | grep -q "^Window value_count over \[t-00:10:00, t\] where value >= 10 by IPAddress"'

# `socpipe explain RULE.yml` is the same as `socpipe sigma explain`
run explain "$sig/azure_account_lockout.yml"
check "explain RULE.yml exits 0" '[ $rc -eq 0 ]'
check "explain RULE.yml plan" 'echo "$out" | grep -q "^Scan SigninLogs filter \$str_eq_num(ResultType, 50053, true)"'
run explain --mapping "$tmp/map.yml" "$sig/azure_account_lockout.yml"
check "explain RULE.yml with a mapping" 'echo "$out" | grep -q "^Scan AADNonInteractiveUserSignInLogs filter"'

echo "cases: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
