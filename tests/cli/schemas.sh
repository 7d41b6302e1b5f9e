#!/bin/sh
# tests/cli/schemas.sh — the declared-table catalog is generated: engine/store/schemas.c must
# be exactly what tools/gen-schemas.py makes from engine/store/schemas.tsv, and the
# generator must refuse a TSV that would make a broken catalog (duplicate column, unknown
# type, no TimeGenerated, id that is not a column) with the offending file:line.
set -u
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -f "$tmp/err" ] && head -5 "$tmp/err"; }

# A scratch tree laid out like the repository, so the generator can run on edited copies.
tree() { # dir
    mkdir -p "$1/tools" "$1/engine/store"
    cp tools/gen-schemas.py "$1/tools/"
    cp engine/store/schemas.tsv engine/store/schemas.c "$1/engine/store/"
}

if python3 tools/gen-schemas.py --check 2>"$tmp/err"; then ok; else bad committed_c_matches_tsv; fi

tree "$tmp/stale"
sed -i 's/{"AccountUPN", SP_TYPE_STRING}/{"AccountUPN", SP_TYPE_DYNAMIC}/' "$tmp/stale/engine/store/schemas.c"
if ! python3 "$tmp/stale/tools/gen-schemas.py" --check 2>"$tmp/err" && grep -q stale "$tmp/err"; then ok; else bad stale_c_is_detected; fi

tree "$tmp/regen"
python3 "$tmp/regen/tools/gen-schemas.py" 2>"$tmp/err"
if cmp -s "$tmp/regen/engine/store/schemas.c" engine/store/schemas.c; then ok; else bad regeneration_is_byte_identical; fi

rejects() { # name, sed expression applied to the TSV, expected message fragment
    tree "$tmp/$1"
    sed -i "$2" "$tmp/$1/engine/store/schemas.tsv"
    if ! python3 "$tmp/$1/tools/gen-schemas.py" 2>"$tmp/err" && grep -q "schemas.tsv:[0-9]*: .*$3" "$tmp/err"; then
        ok
    else
        bad "$1"
    fi
}
rejects duplicate_column '/^@table\tAuditLogs$/,/^$/ s/^Category\tstring$/Category\tstring\nCategory\tstring/' 'listed twice'
rejects unknown_type 's/^LoggedByService\tstring$/LoggedByService\tvarchar/' 'unknown type'
rejects missing_time_generated '/^@table\tSyslog$/,/^$/ { /^TimeGenerated\t/d }' 'no TimeGenerated'
rejects id_not_a_column 's/^@id\tEventDataId$/@id\tEventId/' 'not a column'
rejects bookkeeping_column 's/^LoggedByService\tstring$/_ResourceId\tstring/' 'bookkeeping'

echo "cases: $pass passed, $fail failed"
[ "$fail" = 0 ]
