#!/bin/sh
# bench/run.sh — `make bench`: the quick benchmark set, on generated data, in a few minutes
# on a 2-core machine. Each benchmark measures against its own baseline in one process and
# reports best-of-N CPU times (docs/benchmarks.md says how to read them):
#
#   1. ingest  `socpipe bench ingest`: full ingest into the store vs the simdjson-only
#              baseline (target >= 0.70x) and store memory (target <= 0.50x the JSON);
#   2. query   `socpipe bench query`: issue #3's three detection queries over the resident
#              store (socpipe alone; bench/duckdb/run.sh compares with DuckDB);
#   3. pack    `socpipe bench pack`: the 139-rule Sigma pack (bench/sigma-pack/rules) end
#              to end, replay with the pack vs replay without rules (target <= 20 %).
#
#   sh bench/run.sh [EVENTS]      (from the repository root, after `make`)
#
# EVENTS: SigninLogs records to generate (default 100000: ~290 MB of NDJSON, seed 1; issue
# #2/#3's numbers in bench/RESULTS.md use 346900, ~1 GB). The file is generated once into
# $BENCH_DIR (default /tmp/socpipe-bench) and reused; ROUNDS (default 3) sets the rounds.
# Never part of `make test`.
set -eu
S=${SOCPIPE:-./socpipe}
EVENTS=${1:-100000}
ROUNDS=${ROUNDS:-3}
DIR=${BENCH_DIR:-/tmp/socpipe-bench}
DATA="$DIR/signin-$EVENTS-seed1.ndjson"
mkdir -p "$DIR"
if [ ! -f "$DATA" ]; then
    echo "generating $DATA ($EVENTS sign-ins)" >&2
    "$S" gen --table SigninLogs --events "$EVENTS" --seed 1 --out "$DATA.tmp"
    mv "$DATA.tmp" "$DATA"
fi
echo "== data: $DATA ($(wc -c <"$DATA") bytes), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== ingest (issue #2): socpipe bench ingest --rounds $ROUNDS"
"$S" bench ingest --rounds "$ROUNDS" "$DATA"
echo
echo "== resident queries (issue #3): socpipe bench query --rounds 20"
"$S" bench query --data "$DATA" --rounds 20 \
    'SigninLogs | where ResultType != "0" | summarize count() by UserPrincipalName' \
    'SigninLogs | where ResultType in ("50126","50053","50055") and AppDisplayName contains "portal" | count' \
    'SigninLogs | where ResultType != "0" | summarize dcount(UserPrincipalName) by IPAddress'
echo
echo "== Sigma pack end to end (issue #4): socpipe bench pack --rounds $ROUNDS"
"$S" bench pack --rules bench/sigma-pack/rules --data "$DATA" --rounds "$ROUNDS"
