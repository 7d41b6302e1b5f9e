#!/bin/sh
# run.sh — socpipe against DuckDB on a generated 1 GB SigninLogs file (issue #3), in one run.
#
#   bench/duckdb/run.sh [DATA] [compare.mjs options: --rounds N --raw-rounds M --threads T --json OUT]
#
# Builds socpipe, generates DATA when it does not exist (346,900 sign-ins, seed 1, ~1 GB),
# installs the pinned DuckDB client (package-lock.json) on first use, then runs
# compare.mjs, which checks both engines' answers are equal and prints the ratios.
# Never part of `make test` or `make deps`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
data=/tmp/socpipe-signin-1g.ndjson
case "${1:-}" in
--*|"") ;;
*) data=$1; shift ;;
esac
make -C "$root" -j2 socpipe >/dev/null
if [ ! -f "$data" ]; then
    echo "generating $data" >&2
    "$root/socpipe" gen --table SigninLogs --events 346900 --seed 1 --out "$data"
fi
if [ ! -d "$here/node_modules/@duckdb/node-api" ]; then
    # npm 11 refuses `npm ci` with this lock file (it lacks the other platforms' optional
    # binding packages); `npm install` resolves the same pinned versions from it.
    (cd "$here" && { npm ci --no-audit --no-fund || npm install --no-audit --no-fund; } >&2)
fi
exec node "$here/compare.mjs" --data "$data" --socpipe "$root/socpipe" "$@"
