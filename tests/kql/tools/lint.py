#!/usr/bin/env python3
"""lint.py — format checker for the KQL conformance suite (tests/kql/*.test).

Manual tool, not part of `make test`. Checks, for every case of every file:
  - the case has at least one comment line, a query and exactly one `==>` line;
  - the `==>` line is `==>`, `==> ordered`, `==> error` or `==> error: TEXT`;
  - an optional `schema:` line directly after `==>` is `name:type, ...` with
    Kusto type names, and no duplicate names;
  - every expected row is a JSON object (duplicate keys rejected), all rows of a
    case have the same keys in the same order, and that order equals the schema
    line's names when there is one;
  - error cases have no rows and no schema; `ordered` cases have rows;
  - datetime/timespan-looking strings in rows use the DESIGN §4 forms.
Prints the number of cases per file and a total; exit 1 on any problem.
Usage: python3 tests/kql/tools/lint.py [FILE...]   (default: tests/kql/*.test)
"""
import glob, json, os, re, sys

TYPES = {"bool", "int", "long", "real", "decimal", "datetime", "timespan",
         "string", "guid", "dynamic"}
ARROW = re.compile(r"^==>( ordered| error(: .+)?)?$")
SCHEMA_ITEM = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*|\[['\"][^'\"]+['\"]\])\s*:\s*([a-z]+)\s*$")
# A value that looks like a datetime must use the 7-digit-fraction Z form.
DT_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
DT_OK = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$")


def split_cases(text):
    """Yield (first_line_number, [lines]) for each blank-line separated block."""
    block, start = [], 0
    for n, line in enumerate(text.split("\n"), 1):
        if line.strip() == "":
            if block:
                yield start, block
            block = []
        else:
            if not block:
                start = n
            block.append(line)
    if block:
        yield start, block


def parse_case(lines):
    """Split a block into comments, query lines, arrow line, schema, rows."""
    i = 0
    comments = []
    while i < len(lines) and lines[i].startswith("#"):
        comments.append(lines[i]); i += 1
    query = []
    while i < len(lines) and not lines[i].startswith("==>"):
        query.append(lines[i]); i += 1
    if i == len(lines):
        return comments, query, None, None, []
    arrow = lines[i]; i += 1
    schema = None
    if i < len(lines) and lines[i].startswith("schema:"):
        schema = lines[i]; i += 1
    return comments, query, arrow, schema, lines[i:]


def no_dup_pairs(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in object")
    return dict(pairs)


def row_keys(s):
    """Keys of a JSON object row, in order (raises on bad JSON/duplicates)."""
    order = []
    def hook(pairs):
        no_dup_pairs(pairs)
        order.append([k for k, _ in pairs])
        return dict(pairs)
    obj = json.loads(s, object_pairs_hook=hook)
    if not isinstance(obj, dict):
        raise ValueError("row is not a JSON object")
    return order[-1], obj


def check_values(v, errs, where):
    if isinstance(v, str):
        if DT_LIKE.match(v) and not DT_OK.match(v):
            # Strings that merely look like dates are allowed when the case
            # says the column is a string; flag only the obvious near-misses.
            if re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?$", v):
                errs.append(f"{where}: datetime not in 7-digit Z form: {v!r}")


def lint_file(path):
    errs, count = [], 0
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if "\t" in text:
        errs.append(f"{path}: contains a TAB character")
    for start, lines in split_cases(text):
        where = f"{path}:{start}"
        comments, query, arrow, schema, rows = parse_case(lines)
        count += 1
        if not comments:
            errs.append(f"{where}: case has no leading '#' comment")
        if not query:
            errs.append(f"{where}: case has no query"); continue
        if arrow is None:
            errs.append(f"{where}: case has no '==>' line"); continue
        if not ARROW.match(arrow):
            errs.append(f"{where}: bad arrow line {arrow!r}")
        if any(r.startswith("==>") for r in rows):
            errs.append(f"{where}: more than one '==>' line")
        is_error = arrow.startswith("==> error")
        if is_error:
            if schema or rows:
                errs.append(f"{where}: error case must not have schema or rows")
            continue
        names = None
        if schema is not None:
            items = [x for x in schema[len("schema:"):].split(",")]
            names = []
            for it in items:
                m = SCHEMA_ITEM.match(it)
                if not m:
                    errs.append(f"{where}: bad schema item {it!r}"); names = None; break
                if m.group(2) not in TYPES:
                    errs.append(f"{where}: unknown type {m.group(2)!r}")
                n = m.group(1)
                if n.startswith('['):
                    n = n[2:-2]
                names.append(n)
            if names is not None and len(names) != len(set(names)):
                errs.append(f"{where}: duplicate column in schema")
        if arrow == "==> ordered" and not rows:
            errs.append(f"{where}: 'ordered' case with no rows")
        first = None
        for r in rows:
            try:
                keys, obj = row_keys(r)
            except ValueError as e:
                errs.append(f"{where}: bad row {r!r}: {e}"); continue
            if first is None:
                first = keys
            elif keys != first:
                errs.append(f"{where}: rows disagree on keys/order: {keys} vs {first}")
            if names is not None and keys != names:
                errs.append(f"{where}: row keys {keys} differ from schema {names}")
            for v in obj.values():
                check_values(v, errs, where)
    return count, errs


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    files = argv[1:] or sorted(glob.glob(os.path.join(here, "..", "*.test")))
    total, allerrs = 0, []
    for p in files:
        n, errs = lint_file(p)
        total += n
        allerrs += errs
        print(f"{os.path.basename(p):40s} {n:4d} cases")
    print(f"{'total':40s} {total:4d} cases")
    for e in allerrs:
        print("ERROR", e, file=sys.stderr)
    if allerrs:
        print(f"{len(allerrs)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
