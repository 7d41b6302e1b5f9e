#!/bin/sh
# sigma_check.sh — `socpipe sigma check` end to end: exit codes, the compiler-style error
# format (file:line:col, source line, caret), the summary, --strict and --placeholders, and
# the SigmaHQ corpus in ../shared/data/sigma (0 rejected with the placeholder file).
set -u
. tests/cli/lib/check.sh

# the corpus, with the placeholder configuration
run sigma check --placeholders tests/data/sigma/placeholders.yml "$SP_SHARED/data/sigma"
check "corpus exits 0" '[ $rc -eq 0 ]'
check "corpus summary" 'echo "$out" | grep -q "^sigma check: 149 files, 149 documents: 149 rules, 0 correlations, 0 filters loaded; 0 rejected; 0 errors, 0 warnings$"'
check "corpus prints no diagnostics" '[ -z "$err" ]'

# --strict changes nothing on the corpus
run sigma check --strict --placeholders tests/data/sigma/placeholders.yml "$SP_SHARED/data/sigma"
check "corpus strict exits 0" '[ $rc -eq 0 ]'

# without placeholders the 7 placeholder rules are rejected
run sigma check "$SP_SHARED/data/sigma"
check "no placeholders exits 2" '[ $rc -eq 2 ]'
check "no placeholders: 7 rejected" 'echo "$out" | grep -q "142 rules, 0 correlations, 0 filters loaded; 7 rejected"'
check "no placeholders: grouped reason" 'echo "$out" | grep -Eq "^  unresolved-placeholder +7$"'

# a bad rule prints like a compiler
cat >"$tmp/rule.yml" <<'YAML'
title: typo
id: 929a690e-bef0-4204-a928-ef5e620d6fcc
logsource: {product: windows}
detection:
    selection:
        CommandLine|contians: 'x'
    condition: selection
YAML
run sigma check "$tmp/rule.yml"
check "bad rule exits 2" '[ $rc -eq 2 ]'
check "error position and message" 'echo "$err" | sed -n 1p | grep -qF "$tmp/rule.yml:6:21: unknown modifier '"'"'contians'"'"'"'
check "source line" 'echo "$err" | sed -n 2p | grep -qF "CommandLine|contians: '"'"'x'"'"'"'
check "caret under the modifier" '[ "$(echo "$err" | sed -n 3p)" = "$(printf '"'"'%22s^~~~~~~~'"'"' '"'"''"'"')" ]'
check "bad rule summary" 'echo "$out" | grep -q "0 rules, 0 correlations, 0 filters loaded; 1 rejected"'
check "bad rule reason" 'echo "$out" | grep -Eq "^  unknown-modifier +1$"'

# a directory is walked recursively; non-YAML files are ignored
mkdir -p "$tmp/dir/sub"
cp "$tmp/rule.yml" "$tmp/dir/sub/bad.yaml"
cat >"$tmp/dir/good.yml" <<'YAML'
title: ok
id: 2f3b5b7c-1d24-4f3a-9a39-1b9d0c1e2f30
logsource: {product: windows}
detection:
    selection: {EventID: 4625}
    condition: selection
YAML
echo "not yaml" >"$tmp/dir/notes.txt"
run sigma check "$tmp/dir"
check "directory: 2 files" 'echo "$out" | grep -q "^sigma check: 2 files, 2 documents: 1 rule, "'
check "directory exits 2" '[ $rc -eq 2 ]'

# warnings do not fail; --strict makes them errors
cat >"$tmp/warn.yml" <<'YAML'
title: no id
logsource: {product: windows}
detection:
    selection: {EventID: 4625}
    condition: selection
YAML
run sigma check "$tmp/warn.yml"
check "warning exits 0" '[ $rc -eq 0 ]'
check "warning printed" 'echo "$err" | grep -q "warn.yml:1:1: warning: rule has no '"'"'id'"'"'"'
run sigma check --strict "$tmp/warn.yml"
check "strict exits 2" '[ $rc -eq 2 ]'
check "strict prints an error" 'echo "$err" | grep -q "warn.yml:1:1: rule has no '"'"'id'"'"'"'

# usage and input errors
run sigma
check "no subcommand exits 2" '[ $rc -eq 2 ]'
run sigma check
check "no path exits 2" '[ $rc -eq 2 ]'
run sigma frobnicate
check "unknown subcommand exits 2" '[ $rc -eq 2 ] && echo "$err" | grep -q "unknown subcommand"'
run sigma check --bogus x
check "unknown option exits 2" '[ $rc -eq 2 ] && echo "$err" | grep -q "unknown option"'
run sigma check "$tmp/missing.yml"
check "missing file exits 2" '[ $rc -eq 2 ] && echo "$err" | grep -q "cannot read"'
echo "- a list" >"$tmp/ph.yml"
run sigma check --placeholders "$tmp/ph.yml" "$tmp/warn.yml"
check "bad placeholder file exits 2" '[ $rc -eq 2 ] && echo "$err" | grep -q "placeholder file is one YAML map"'

echo "cases: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
