#!/bin/sh
# tests/cli/bench_kafka.sh — socpipe bench kafka runs out of the box: its default rule pack
# (detections/, whose KQL rules read watchlists) loads against the generator's watchlists,
# written to a temporary directory that is removed afterwards; --watchlists DIR replaces them.
# Small sizes: this pins that the benchmark runs, not its numbers.
set -u
. tests/cli/lib/harness.sh
small="--events 2000 --round 1000 --latency-events 200"

before=$(ls -d /tmp/socpipe-bench-wl-* 2>/dev/null | wc -l)
# shellcheck disable=SC2086
"$S" bench kafka $small >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && ok || bad "default pack: exit $rc ($(head -3 "$T/err"))"
grep -q "rules detections" "$T/out" && ok || bad "default pack: not the shipped pack"
grep -q "^kafka -> store -> rules -> sinks" "$T/out" && ok || bad "default pack: no throughput line"
after=$(ls -d /tmp/socpipe-bench-wl-* 2>/dev/null | wc -l)
[ "$after" -le "$before" ] && ok || bad "the temporary watchlists were left behind"

# --watchlists names the folder the rules read: an empty one leaves the pack's watchlist
# rules unresolved, which stops the start (exit 2) with the rule's position.
mkdir "$T/empty"
# shellcheck disable=SC2086
"$S" bench kafka $small --watchlists "$T/empty" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && ok || bad "--watchlists empty: exit $rc"
grep -q "unknown watchlist 'sensitive_apps'" "$T/err" && ok || bad "--watchlists empty: message"

echo "cases: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
