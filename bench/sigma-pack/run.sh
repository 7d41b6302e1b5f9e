#!/bin/sh
# bench/sigma-pack/run.sh — issue #4's benchmark in one command, to re-run after any engine
# change: the 139-rule SigninLogs Sigma pack (bench/sigma-pack/rules) over 1 M resident
# sign-ins, per rule (`bench rules`) and end to end (`bench pack`), plus a summary.
#
#   bench/sigma-pack/run.sh [DATA] [OUTDIR]
#
# DATA defaults to /tmp/s1m.ndjson and is generated when missing (socpipe gen, seed 1,
# ~2.9 GB); results go to OUTDIR (default /tmp/sigma-pack-bench): rules.txt, rules.json,
# rules.svg, pack.txt, pack.json, summary.txt. Run from the repository root after `make`.
set -eu
S=${SOCPIPE:-./socpipe}
DATA=${1:-/tmp/s1m.ndjson}
OUT=${2:-/tmp/sigma-pack-bench}
[ -f "$DATA" ] || "$S" gen --table SigninLogs --events 1000000 --seed 1 --out "$DATA"
mkdir -p "$OUT"
"$S" bench rules --rules bench/sigma-pack/rules --data "$DATA" --rounds 5 \
    --json "$OUT/rules.json" --svg "$OUT/rules.svg" >"$OUT/rules.txt"
"$S" bench pack --rules bench/sigma-pack/rules --data "$DATA" --rounds 3 --json "$OUT/pack.json" >"$OUT/pack.txt"
python3 bench/sigma-pack/summary.py "$OUT/rules.json" >"$OUT/summary.txt"
cat "$OUT/summary.txt" "$OUT/pack.txt"
