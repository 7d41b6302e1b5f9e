#!/bin/bash
# ab.sh — two socpipe binaries on the same resident queries, run alternately.
#
# On the noisy 2-core machines socpipe is measured on, one binary's median against another
# taken minutes apart means little. This runs `socpipe bench query` with A, then B, PAIRS
# times, and prints per query both medians of the medians and the median of the per-pair
# ratios B/A (below 1: B is faster), with every pair's ratio.
#
# Usage: bench/ab.sh BIN_A BIN_B PAIRS DATA "BENCH OPTIONS" 'KQL'...
#   e.g. bench/ab.sh /tmp/old ./socpipe 4 /tmp/gb.ndjson "--rounds 40 --evict-mb 64 --threads 2" 'SigninLogs | count'
set -euo pipefail
if [ $# -lt 6 ]; then
  sed -n '2,12p' "$0" >&2
  exit 2
fi
A=$1 B=$2 PAIRS=$3 DATA=$4 OPTS=$5
shift 5
for i in $(seq 1 "$PAIRS"); do
  for X in A B; do
    BIN=$A
    [ "$X" = B ] && BIN=$B
    # shellcheck disable=SC2086  # OPTS is a list of options
    "$BIN" bench query --data "$DATA" $OPTS "$@" 2>&1 | awk -v x="$X" -v i="$i" '/^query/ {print x, i, $2, $4}'
  done
done | python3 -c '
import collections, statistics as st, sys
d = collections.defaultdict(dict)
for line in sys.stdin:
    x, i, q, v = line.split()
    d[(q, x)][i] = float(v)
for q in sorted({q for q, _ in d}, key=lambda s: int(s.rstrip(":"))):
    a, b = d[(q, "A")], d[(q, "B")]
    r = [b[i] / a[i] for i in a if i in b]
    print("query %s A %.3f ms  B %.3f ms  B/A %.2f  (pairs: %s)" % (q.rstrip(":"), st.median(a.values()),
          st.median(b.values()), st.median(r), " ".join("%.2f" % x for x in r)))
'
