# tests/cli/lib/harness.sh — what every script suite under tests/cli/ starts with, sourced
# from the repository root (tests/run.sh runs the suites there): the binary under test ($S,
# $SOCPIPE or ./socpipe), a scratch directory removed on exit ($T), and the case counters
# with ok/bad, which the suite reports in its last line as `cases: P passed, F failed`.
S=${SOCPIPE:-./socpipe}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
