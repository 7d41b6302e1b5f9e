#!/bin/sh
# tests/run.sh — runs every test suite given on the command line (cmocka binaries) and
# every script suite under tests/cli/, then prints one summary. Exit 1 if anything failed.
# Environment: SOCPIPE (the binary under test), BUILD (the build directory).
set -u
export SOCPIPE="${SOCPIPE:-./socpipe}"
export SP_SHARED="${SP_SHARED:-../shared}"
suites=0; failed_suites=""; cases=0; failed_cases=0
log=$(mktemp); trap 'rm -f "$log"' EXIT

run_suite() { # name, command...
    name=$1; shift
    suites=$((suites + 1))
    if "$@" >"$log" 2>&1; then status=ok; else status=FAILED; failed_suites="$failed_suites $name"; fi
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    # Script suites report "cases: P passed, F failed".
    sp=$(sed -n 's/^cases: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    sf=$(sed -n 's/^cases: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log" | awk '{s+=$1} END {print s+0}')
    cases=$((cases + p + f + sp + sf)); failed_cases=$((failed_cases + f + sf))
    printf '%-40s %s (%d cases)\n' "$name" "$status" $((p + f + sp + sf))
    if [ "$status" != ok ]; then sed 's/^/    /' "$log" | tail -n 60; fi
}

for t in "$@"; do run_suite "$(basename "$t")" "$t"; done
for s in tests/cli/*.sh; do [ -f "$s" ] && run_suite "$(basename "$s")" sh "$s"; done

echo "-----------------------------------------------------------------"
if [ -z "$failed_suites" ]; then
    echo "SUMMARY: $suites suites passed, $cases cases, 0 failed"
else
    echo "SUMMARY: $((suites - $(echo $failed_suites | wc -w))) of $suites suites passed; $failed_cases cases failed; failed suites:$failed_suites"
    exit 1
fi
