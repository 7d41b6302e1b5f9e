# tests/cli/lib/check.sh — the preamble of the suites that test a command by its exit code
# and output (sigma check, sigma to-kql/explain), sourced from the repository root: the
# binary ($SOCPIPE), the shared data ($SP_SHARED), a scratch directory ($tmp), and
#   check NAME 'CONDITION'   counts a case, printing FAIL: NAME when the condition is false
#   run ARGS...              runs socpipe, setting rc, out (stdout) and err (stderr)
SOCPIPE="${SOCPIPE:-./socpipe}"
SP_SHARED="${SP_SHARED:-../shared}"
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

check() { # name, condition (shell expression)
    if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi
}

run() { # runs socpipe with the arguments; sets rc, out (stdout), err (stderr)
    "$SOCPIPE" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
}
