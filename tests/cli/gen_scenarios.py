#!/usr/bin/env python3
"""gen_scenarios.py — checks `socpipe gen --attacks` output (helper of tests/cli/gen.sh).

  gen_scenarios.py labels DATA LABELS NAME...  every NAME has attack and benign:NAME
                       records, every label key is a record of DATA, labels are known
  gen_scenarios.py order DATA                  every line is one JSON record; record times
                       never go back by more than the ingestion delay (5 min)
  gen_scenarios.py background PLAIN ATTACKED LABELS
                       ATTACKED without its labelled records is, byte for byte, a prefix
                       of PLAIN (same options without --attacks)
  gen_scenarios.py strip DATA LABELS OUT      writes DATA without duplicate_ingestion's
                       re-delivered copies and near-duplicates (to compare envelopes)
  gen_scenarios.py watchlists DIR DATA LABELS  the watchlist CSVs are Sentinel-shaped and
                       agree with the traffic: background federated sign-ins inside the CI
                       ranges and attack ones outside, sensitive apps, clearances, label
                       and host pairs, approved plugins
Prints one line per problem (at most 20) and exits 1 if there were any.
"""
import csv
import ipaddress
import json
import sys
from datetime import datetime, timezone

problems = []


def problem(msg):
    problems.append(msg)


def record_key(r):
    """(label key, table, time string) of a record in any envelope."""
    if "CreationTime" in r:  # Purview
        return r["Id"], "CopilotActivity", r["CreationTime"] + "Z"
    if "category" in r:  # Event Hubs sign-in
        return r["properties"]["id"], r["category"], r["time"]
    t = r.get("Type")
    if t == "SecurityIncident":
        return r["IncidentName"] + "@" + r["LastModifiedTime"], t, r["TimeGenerated"]
    if t == "SecurityAlert":
        return r["SystemAlertId"], t, r["TimeGenerated"]
    if t in ("SentinelHealth", "CopilotActivity"):
        return r["RecordId"], t, r["TimeGenerated"]
    return r["Id"], t, r["TimeGenerated"]


def ticks(s):
    base, _, frac = s.rstrip("Z").partition(".")
    dt = datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) * 10_000_000 + int((frac + "0000000")[:7])


def load_labels(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        key, label = line.rstrip("\n").split("\t")
        out.setdefault(key, set()).add(label)
    return out


def load_records(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def cmd_labels(data, labels_path, names):
    labels = load_labels(labels_path)
    keys = {record_key(r)[0] for r in load_records(data)}
    known = set(names) | {"benign:" + n for n in names}
    seen = set()
    for key, ls in labels.items():
        if key not in keys:
            problem(f"label key {key} is no record of {data}")
        for label in ls:
            if label not in known:
                problem(f"unknown label {label}")
            seen.add(label)
    for n in names:
        for label in (n, "benign:" + n):
            if label not in seen:
                problem(f"no record labelled {label}")
    print(f"{len(labels)} labelled keys, {len(seen)} labels")


def cmd_order(data):
    hi = None
    n = 0
    for i, line in enumerate(open(data, encoding="utf-8")):
        try:
            r = json.loads(line)
        except ValueError as e:
            problem(f"line {i + 1}: not JSON: {e}")
            continue
        t = ticks(record_key(r)[2])
        if hi is not None and t < hi - (5 * 60 + 25) * 10_000_000:
            problem(f"line {i + 1}: time {record_key(r)[2]} is more than 5 min before an earlier record")
        hi = t if hi is None else max(hi, t)
        n += 1
    print(f"{n} records in order")


def cmd_strip(data, labels_path, out):
    labels = load_labels(labels_path)
    seen = set()
    with open(out, "w", encoding="utf-8") as f:
        for line in open(data, encoding="utf-8"):
            key = record_key(json.loads(line))[0]
            ls = labels.get(key, set())
            if "benign:duplicate_ingestion" in ls:
                continue
            if "duplicate_ingestion" in ls:
                if key in seen:
                    continue
                seen.add(key)
            f.write(line)


def cmd_background(plain, attacked, labels_path):
    labels = load_labels(labels_path)
    seen = set()
    kept = []
    for line in open(attacked, encoding="utf-8"):
        key = record_key(json.loads(line))[0]
        ls = labels.get(key, set())
        if ls == {"duplicate_ingestion"} and key not in seen:
            seen.add(key)  # the original a second connector re-delivers
            kept.append(line)
            continue
        if ls:
            continue
        kept.append(line)
    base = open(plain, encoding="utf-8").readlines()
    if len(kept) > len(base):
        problem(f"{len(kept)} background records with attacks, {len(base)} without")
    for i, (a, b) in enumerate(zip(kept, base)):
        if a != b:
            problem(f"background record {i} differs with --attacks")
            break
    print(f"{len(kept)} background records identical")


def read_watchlist(path, columns):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
        header = list(rows[0].keys()) if rows else []
    if header[:1] != ["SearchKey"] or any(c not in header for c in columns):
        problem(f"{path}: header {header} lacks SearchKey first or {columns}")
    return rows


def cmd_watchlists(d, data, labels_path):
    labels = load_labels(labels_path)
    ranges = read_watchlist(f"{d}/ci_egress_ranges.csv", ["IPSubnet", "RangeName"])
    nets = [ipaddress.ip_network(r["IPSubnet"]) for r in ranges]
    if not any(n.version == 6 for n in nets) or not any(n.version == 4 for n in nets):
        problem("ci_egress_ranges: want IPv4 and IPv6 ranges")
    for r in ranges:
        if r["SearchKey"] != r["IPSubnet"]:
            problem("ci_egress_ranges: SearchKey is not IPSubnet")
    sensitive = {r["AppId"] for r in read_watchlist(f"{d}/sensitive_apps.csv", ["AppId", "AppDisplayName"])}
    rank = {r["LabelId"]: int(r["Rank"]) for r in read_watchlist(f"{d}/sensitivity_labels.csv", ["LabelId", "Name", "Rank"])}
    clearance = {r["UserPrincipalName"]: int(r["Clearance"])
                 for r in read_watchlist(f"{d}/user_clearance.csv", ["UserPrincipalName", "Clearance"])}
    forbidden = {(r["LabelId"], r["AppHost"])
                 for r in read_watchlist(f"{d}/copilot_forbidden_hosts.csv", ["LabelId", "AppHost"])}
    approved = {r["PluginId"] for r in read_watchlist(f"{d}/approved_ai_plugins.csv", ["PluginId", "Name"])}
    partners = {r["TenantId"] for r in read_watchlist(f"{d}/partner_tenants.csv", ["TenantId"])}
    hours = read_watchlist(f"{d}/workload_usual_hours.csv", ["AppId", "UsualHoursStart", "UsualHoursEnd"])
    if not (sensitive and rank and clearance and forbidden and approved and partners and hours):
        problem("a watchlist is empty")

    def inside(ip):
        a = ipaddress.ip_address(ip)
        return any(a in n for n in nets)

    counts = {"bg_fed": 0, "attack_outside": 0, "near_inside": 0, "copilot": 0}
    for r in load_records(data):
        key, table, _ = record_key(r)
        ls = labels.get(key, set())
        if table == "AADServicePrincipalSignInLogs" and r.get("ClientCredentialType") == "federatedIdentityCredential":
            ok = r["ResultType"] == "0"
            if not ls:
                counts["bg_fed"] += 1
                if not inside(r["IPAddress"]):
                    problem(f"background federated sign-in from {r['IPAddress']}, outside the CI ranges")
            elif "wif_outside_ci_ranges" in ls and ok:
                counts["attack_outside"] += 1
                if inside(r["IPAddress"]):
                    problem(f"wif_outside_ci_ranges record from {r['IPAddress']}, inside the ranges")
            elif "benign:wif_outside_ci_ranges" in ls:
                counts["near_inside"] += 1
                if not inside(r["IPAddress"]):
                    problem(f"near-miss runner {r['IPAddress']} outside the ranges")
        if table == "SigninLogs" and not ls and r["ResultType"] == "0" and r["AppId"] in sensitive:
            if r["ConditionalAccessStatus"] == "notApplied":
                problem(f"background success to sensitive app {r['AppDisplayName']} without CA")
        if table == "CopilotActivity" and not ls:
            counts["copilot"] += 1
            ev = r["CopilotEventData"]
            user = r["UserId"]
            third = any(p["Id"] not in approved for p in ev["AISystemPlugin"])
            for res in ev["AccessedResources"]:
                lid = res.get("SensitivityLabelId")
                if not lid:
                    continue
                if rank[lid] > clearance.get(user, 0):
                    problem(f"background Copilot read above {user}'s clearance")
                if (lid, ev["AppHost"]) in forbidden:
                    problem(f"background Copilot label {lid} in forbidden host {ev['AppHost']}")
                if third and rank[lid] >= 5:
                    problem("background Highly Confidential content through an unapproved plugin")
    print(counts)
    if not counts["bg_fed"] or not counts["attack_outside"] or not counts["near_inside"]:
        problem(f"too few federated sign-ins to check: {counts}")


def main():
    cmd, args = sys.argv[1] if len(sys.argv) > 1 else "", sys.argv[2:]
    if cmd == "labels" and len(args) >= 3:
        cmd_labels(args[0], args[1], args[2:])
    elif cmd == "order" and len(args) == 1:
        cmd_order(args[0])
    elif cmd == "background" and len(args) == 3:
        cmd_background(*args)
    elif cmd == "strip" and len(args) == 3:
        cmd_strip(*args)
    elif cmd == "watchlists" and len(args) == 3:
        cmd_watchlists(*args)
    else:
        print(__doc__)
        return 2
    for p in problems[:20]:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
