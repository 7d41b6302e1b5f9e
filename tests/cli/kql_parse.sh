#!/bin/sh
# tests/cli/kql_parse.sh — `socpipe kql-parse`: prints the AST (exit 0), or the syntax error
# as <query>:line:col with the source line and a caret (exit 2); reads --file and stdin.
set -u
SOCPIPE="${SOCPIPE:-./socpipe}"
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

check() { # name, expected status, expected output file, command...
    name=$1; want_rc=$2; want=$3; shift 3
    "$@" >"$tmp/out" 2>&1
    rc=$?
    if [ "$rc" = "$want_rc" ] && cmp -s "$tmp/out" "$want"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $name: rc=$rc (want $want_rc)"; diff "$want" "$tmp/out" | head -20
    fi
}

printf '%s\n' '(pipe SigninLogs (where (== ResultType "0")) (summarize (call count) (by IPAddress)))' >"$tmp/w1"
check ast_on_stdout 0 "$tmp/w1" "$SOCPIPE" kql-parse 'SigninLogs | where ResultType == "0" | summarize count() by IPAddress'

cat >"$tmp/w2" <<'X'
<query>:2:3: unknown tabular operator 'whre'
  | whre x
    ^~~~
X
check error_with_caret_exit_2 2 "$tmp/w2" "$SOCPIPE" kql-parse 'T
| whre x'

printf 'let x = 1h;\nT | where t > ago(x)\n' >"$tmp/q.kql"
printf '%s\n' '(let x (timespan 01:00:00))' '(pipe T (where (> t (call ago x))))' >"$tmp/w3"
check reads_file 0 "$tmp/w3" "$SOCPIPE" kql-parse --file "$tmp/q.kql"
check reads_stdin 0 "$tmp/w3" sh -c "\"$SOCPIPE\" kql-parse --file - <\"$tmp/q.kql\""

printf 'T | take (\n' >"$tmp/bad.kql"
cat >"$tmp/w4" <<X
$tmp/bad.kql:1:11: expected expression, found end of query
  T | take (
            ^
X
check file_error_names_file 2 "$tmp/w4" "$SOCPIPE" kql-parse --file "$tmp/bad.kql"

printf 'socpipe: usage: socpipe kql-parse [--file F|-] [%sKQL%s]\n' "'" "'" >"$tmp/w5"
check no_query_is_usage_error 2 "$tmp/w5" "$SOCPIPE" kql-parse

echo "cases: $pass passed, $fail failed"
[ "$fail" = 0 ]
