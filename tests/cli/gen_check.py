#!/usr/bin/env python3
"""gen_check.py — checks `socpipe gen` output against SCHEMAS.md (helper of tests/cli/gen.sh).

  gen_check.py schema SCHEMAS.md TABLE FILE   Log Analytics rows: every key is a declared
                                              column of TABLE with a value of its type
  gen_check.py mapping SCHEMAS.md TABLE LA EH Event Hubs records map onto the Log Analytics
                                              rows of the same seed, column by column, by the
                                              SCHEMAS.md mapping table
Prints one line per problem (at most 20) and exits 1 if there were any.
"""
import json
import re
import sys
from datetime import datetime, timezone

problems = []


def problem(msg):
    problems.append(msg)


def load_schemas(path):
    """{table: {column: kusto type}} from the '## Table (N columns)' sections."""
    tables, cur = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"## (\w+) \((\d+) columns\)", line)
        if m:
            cur = tables.setdefault(m.group(1), {})
            continue
        m = re.match(r"- \*\*(\w+)\*\*: (.*)", line)
        if m and cur is not None:
            for col in m.group(2).split(","):
                cur[col.strip()] = m.group(1)
        elif line.startswith("## "):
            cur = None
    return tables


def parse_dt(s):
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$", s)
    if not m:
        return None
    base = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    frac = int(((m.group(2) or ".0")[1:] + "0000000")[:7])
    zone = m.group(3) or "Z"
    off = 0 if zone == "Z" else (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 60 + int(zone[4:6]))
    ticks = int((base.replace(tzinfo=timezone.utc).timestamp() - off * 60)) * 10_000_000 + frac
    return ticks


def check_type(table, col, kt, v, where):
    ok = {
        "bool": lambda x: isinstance(x, bool),
        "long": lambda x: isinstance(x, int) and not isinstance(x, bool),
        "int": lambda x: isinstance(x, int) and not isinstance(x, bool),
        "real": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
        "datetime": lambda x: x is None or (isinstance(x, str) and parse_dt(x) is not None),
        "string": lambda x: isinstance(x, str),
        "dynamic": lambda x: True,
    }[kt](v)
    if not ok:
        problem(f"{where}: {table}.{col} ({kt}) has {json.dumps(v)[:80]}")


def cmd_schema(schemas, table, path):
    cols = schemas[table]
    seen = set()
    for i, line in enumerate(open(path, encoding="utf-8")):
        row = json.loads(line)
        for k, v in row.items():
            if k not in cols:
                problem(f"row {i}: {k} is not a column of {table}")
                continue
            seen.add(k)
            check_type(table, k, cols[k], v, f"row {i}")
        if row.get("Type") != table:
            problem(f"row {i}: Type is {row.get('Type')!r}")
    # Columns never present must be ones the generator leaves empty; required ones must be there.
    for must in ("TimeGenerated", "Type"):
        if must not in seen:
            problem(f"{table}: column {must} never present")
    print(f"{table}: {len(seen)} of {len(cols)} columns present")


# Event Hubs (diagnostic settings) keys whose column is not their PascalCase spelling.
SPECIAL = {
    "time": "TimeGenerated", "tenantId": "AADTenantId", "callerIpAddress": "IPAddress",
    "location": "Location", "resultType": "ResultType", "durationMs": "DurationMs", "Level": "Level",
}
PROP_SPECIAL = {
    "location": "LocationDetails", "resourceId": "ResourceIdentity", "ipAddress": "IPAddress",
    "appliedConditionalAccessPolicies": "ConditionalAccessPolicies",
    "riskEventTypes_v2": "RiskEventTypes_V2",
}
WORKSPACE = {"TenantId", "SourceSystem", "Type", "Resource", "ResourceGroup", "ResourceProvider"}


def pascal(k):
    return k[0].upper() + k[1:]


def to_column(table, cols, v, kt):
    """The Log Analytics value an Event Hubs value becomes in a column of type kt."""
    if kt == "string":
        if v is None:
            return ""
        if isinstance(v, str):
            return v
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    if kt == "long":
        return int(v)
    if kt == "datetime":
        return parse_dt(v)
    return v


def map_eh(table, cols, rec):
    out = {}
    for k, v in rec.items():
        if k == "properties":
            continue
        col = SPECIAL.get(k, pascal(k))
        out[col] = v
    for k, v in rec["properties"].items():
        col = PROP_SPECIAL.get(k, pascal(k))
        if col == "ProcessingTimeInMilliseconds" and "ProcessingTimeInMs" in cols:
            col = "ProcessingTimeInMs"
        # the column name as declared (case-insensitive match: IPAddress, AADTenantId, ...)
        for c in cols:
            if c.lower() == col.lower():
                col = c
                break
        if col in out and out[col] != v:
            problem(f"{table}: {k} disagrees with the top-level {col}")
        out[col] = v
    mapped = {}
    for c, v in out.items():
        if c == "ResourceId" and c not in cols:
            continue  # only SigninLogs keeps it; the other tables derive ResourceGroup from it
        if c not in cols:
            problem(f"{table}: Event Hubs field for {c} has no column")
            continue
        mapped[c] = to_column(table, cols, v, cols[c])
    return mapped


def cmd_mapping(schemas, table, la_path, eh_path):
    cols = schemas[table]
    n = 0
    for i, (la_line, eh_line) in enumerate(zip(open(la_path, encoding="utf-8"), open(eh_path, encoding="utf-8"))):
        la, eh = json.loads(la_line), json.loads(eh_line)
        mapped = map_eh(table, cols, eh)
        for c, kt in cols.items():
            if c in WORKSPACE:
                continue
            lv = la.get(c, "" if kt == "string" else None)
            lv = parse_dt(lv) if kt == "datetime" and lv is not None else lv
            mv = mapped.get(c, "" if kt == "string" else None)
            if lv != mv:
                problem(f"record {i}: {table}.{c}: loganalytics {json.dumps(lv)[:70]} vs eventhubs {json.dumps(mv)[:70]}")
        n += 1
    print(f"{table}: {n} records map column for column")


def main():
    if len(sys.argv) < 5:
        print(__doc__)
        return 2
    schemas = load_schemas(sys.argv[2])
    table = sys.argv[3]
    if table not in schemas:
        print(f"{table} is not in {sys.argv[2]}")
        return 1
    if sys.argv[1] == "schema":
        cmd_schema(schemas, table, sys.argv[4])
    elif sys.argv[1] == "mapping":
        cmd_mapping(schemas, table, sys.argv[4], sys.argv[5])
    else:
        print(__doc__)
        return 2
    for p in problems[:20]:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
