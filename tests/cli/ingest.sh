#!/bin/sh
# tests/cli/ingest.sh — `socpipe load`: exit codes, the per-table report, rejections,
# dead letters, zstd and stdin input, and that an oversized line is not held in memory.
# Run from the repository root (tests/run.sh does); prints "cases: P passed, F failed".
set -u
SOCPIPE=${SOCPIPE:-./socpipe}
SHARED=${SP_SHARED:-../shared}
S=$SHARED/data/samples
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
check() { # name, condition...
    name=$1; shift
    if "$@"; then ok; else bad "$name"; fi
}

# 1. the real samples: rows per table, one duplicate, no rejection, exit 0
$SOCPIPE load "$S/eventhubs-signinlogs-raw.ndjson" "$S/eventhubs-serviceprincipal.ndjson" \
    "$S/purview-copilotinteraction.ndjson" >"$T/out" 2>"$T/err"; rc=$?
check "samples exit 0" [ "$rc" = 0 ]
check "SigninLogs row" grep -Eq '^SigninLogs +1 +94 ' "$T/out"
check "service principal rows and duplicate" grep -Eq '^AADServicePrincipalSignInLogs +8 +45 +[0-9]+ +1 ' "$T/out"
check "copilot rows" grep -Eq '^CopilotActivity +2 +23 ' "$T/out"
check "no rejections" grep -qx 'rejected: 0' "$T/out"
check "speed line" grep -Eq '^ingested 14 records \([0-9.]+ MB\) in [0-9.]+ s: [0-9.]+ MB/s, [0-9]+ records/s$' "$T/out"
check "quiet stderr" [ ! -s "$T/err" ]

# 2. bad input: exit 0, counts by reason, dead letters, report on stderr
printf '{"Type":"App_CL","a":1}\n{"Type":"App_CL",\n42\n\n{"Type":"App_CL","b":"\377"}\n' >"$T/bad.ndjson"
$SOCPIPE load "$T/bad.ndjson" --dead-letter "$T/dead.ndjson" >"$T/out" 2>"$T/err"; rc=$?
check "bad input exit 0" [ "$rc" = 0 ]
check "reasons" grep -qx 'rejected: 3 (invalid_json 1, invalid_utf8 1, not_an_object 1)' "$T/out"
check "dead letter count" grep -qx "dead letters: 3 written to $T/dead.ndjson" "$T/out"
check "dead letter lines" [ "$(wc -l <"$T/dead.ndjson")" = 3 ]
check "report origin" grep -q "^socpipe: rejected $T/bad.ndjson:3: not_an_object: " "$T/err"
check "base64 kept" grep -q '"record_base64":"eyJUeXBlIjoiQXBwX0NMIiwiYiI6Iv8ifQ=="' "$T/dead.ndjson"

# 3. zstd (by magic) and stdin, --table
if command -v zstd >/dev/null; then
    zstd -q -c "$S/purview-copilotinteraction.ndjson" >"$T/p.data"
    $SOCPIPE load "$T/p.data" --table Copilot_CL >"$T/out" 2>&1
    check "zstd + --table" grep -Eq '^Copilot_CL +2 ' "$T/out"
fi
$SOCPIPE load - <"$S/purview-copilotinteraction.ndjson" >"$T/out" 2>&1
check "stdin" grep -Eq '^CopilotActivity +2 ' "$T/out"

# 4. limits: --max-record-bytes and --max-depth
$SOCPIPE load "$S/purview-copilotinteraction.ndjson" --max-record-bytes 900 >"$T/out" 2>/dev/null
check "max-record-bytes" grep -qx 'rejected: 2 (too_large 2)' "$T/out"
$SOCPIPE load "$S/purview-copilotinteraction.ndjson" --max-depth 3 >"$T/out" 2>/dev/null
check "max-depth" grep -qx 'rejected: 2 (too_deep 2)' "$T/out"

# 5. a 64 MiB line is streamed, not buffered: peak memory stays far below its size
if [ -x /usr/bin/time ]; then
    { printf '{"Type":"App_CL","s":"'; head -c 67108864 /dev/zero | tr '\0' x; printf '"}\n{"Type":"App_CL","k":1}\n'; } >"$T/big.ndjson"
    /usr/bin/time -f '%M' -o "$T/rss" $SOCPIPE load "$T/big.ndjson" --dead-letter "$T/bigdead.ndjson" >"$T/out" 2>/dev/null
    check "big line rejected" grep -qx 'rejected: 1 (too_large 1)' "$T/out"
    check "big line kept" [ "$(wc -c <"$T/bigdead.ndjson")" -gt 67108864 ]
    check "big line not buffered (max RSS $(cat "$T/rss") KiB)" [ "$(cat "$T/rss")" -lt 40000 ]
fi

# 6. usage and I/O errors
$SOCPIPE load >/dev/null 2>&1; rc=$?
check "no file: exit 2" [ "$rc" = 2 ]
$SOCPIPE load --bogus x >/dev/null 2>&1; rc=$?
check "unknown option: exit 2" [ "$rc" = 2 ]
$SOCPIPE load x --max-depth 0 >/dev/null 2>&1; rc=$?
check "bad depth: exit 2" [ "$rc" = 2 ]
$SOCPIPE load x --table 'no good' >/dev/null 2>&1; rc=$?
check "bad table: exit 2" [ "$rc" = 2 ]
$SOCPIPE load "$T/missing.ndjson" "$S/purview-copilotinteraction.ndjson" >"$T/out" 2>"$T/err"; rc=$?
check "missing file: exit 1" [ "$rc" = 1 ]
check "missing file reported" grep -q "missing.ndjson: cannot open: No such file or directory" "$T/err"
check "other files still loaded" grep -Eq '^CopilotActivity +2 ' "$T/out"

echo "cases: $pass passed, $fail failed"
[ "$fail" = 0 ]
