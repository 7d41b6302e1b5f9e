#!/usr/bin/env python3
"""detections_check.py — runs the rule tests of the detection pack (tests/detections/README.md).

For every case folder tests/detections/<case>/ with events.ndjson and expected.json:
  1. replays the events through the case's rule (socpipe replay, the case watchlists, no
     self-health records) and compares the alerts with expected.json: the same number, and
     each expected alert matched by exactly one actual alert with the same AlertName, the
     expected ExtendedProperties (a subset), the same Entities (as a set) and the same event
     keys (the input records the alert points at);
  2. for a Sigma rule, checks that the KQL `socpipe sigma to-kql` prints finds the same thing on
     the same events: the same records for a detection rule, the same groups for a correlation.
Then checks the pack as a whole: every rule loads without errors or warnings, and
detections/scenarios.tsv maps every rule to scenarios of `socpipe gen --attacks` and every
scenario to at least one rule.

Usage: detections_check.py SOCPIPE   (run from the repository root). Prints one line per
failure and `cases: P passed, F failed`.
"""
import glob
import json
import os
import re
import subprocess
import sys

SOCPIPE = sys.argv[1] if len(sys.argv) > 1 else './socpipe'
CASES = 'tests/detections'
WATCHLISTS = os.path.join(CASES, 'watchlists')
passed, failed = 0, 0


def ok():
    global passed
    passed += 1


def bad(msg):
    global failed
    failed += 1
    print('FAIL ' + msg)


def run(args):
    p = subprocess.run([SOCPIPE] + args, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def record_keys(rec):
    """The label keys of an input record (as `socpipe gen --labels` writes them)."""
    if 'records' in rec and isinstance(rec['records'], list):
        rec = rec['records'][0]
    keys = set()
    for k in ('Id', 'RecordId', 'SystemAlertId'):
        if isinstance(rec.get(k), str):
            keys.add(rec[k])
    props = rec.get('properties')
    if isinstance(props, dict) and isinstance(props.get('id'), str):
        keys.add(props['id'])
    if rec.get('IncidentName') and rec.get('LastModifiedTime'):
        keys.add(rec['IncidentName'] + '@' + rec['LastModifiedTime'])
    return keys


def alert_keys(alert, known):
    """The input records an alert points at: key members of its events and the string
    elements of their array members (aggregating rules keep make_set(Id) and the like)."""
    found = set()
    for ev in alert.get('Events', []):
        cand = set()
        for k, v in ev.items():
            if k in ('Id', 'RecordId', 'SystemAlertId') and isinstance(v, str):
                cand.add(v)
            elif isinstance(v, list):
                cand.update(x for x in v if isinstance(x, str))
        if ev.get('IncidentName') and ev.get('LastModifiedTime'):
            cand.add(ev['IncidentName'] + '@' + ev['LastModifiedTime'])
        found |= cand & known
    return found


def canon(entities):
    return sorted(json.dumps(e, sort_keys=True) for e in entities)


def matches(exp, act, known):
    if exp['AlertName'] != act.get('AlertName'):
        return False
    props = act.get('ExtendedProperties', {})
    for k, v in exp.get('ExtendedProperties', {}).items():
        if k not in props or props[k] != v:
            return False
    if canon(exp.get('Entities', [])) != canon(act.get('Entities', [])):
        return False
    return set(exp.get('EventKeys', [])) == alert_keys(act, known)


def describe(a, known):
    return json.dumps({'AlertName': a.get('AlertName'), 'ExtendedProperties': a.get('ExtendedProperties'),
                       'Entities': a.get('Entities'), 'EventKeys': sorted(alert_keys(a, known))})[:1500]


def check_case(case):
    d = os.path.join(CASES, case)
    exp = json.load(open(os.path.join(d, 'expected.json')))
    rule, events = exp['rule'], os.path.join(d, 'events.ndjson')
    known = set()
    for line in open(events):
        known |= record_keys(json.loads(line))
    rc, out, err = run(['replay', '--no-health', '--watchlists', WATCHLISTS, '--rules', rule, events])
    if rc != 0 or 'warning' in err:
        bad('%s: replay exit %d: %s' % (case, rc, err.strip()[:500]))
        return None
    alerts = [json.loads(line) for line in out.splitlines() if line.strip()]
    if len(alerts) != len(exp['alerts']):
        bad('%s: %d alerts, expected %d:\n  %s' % (case, len(alerts), len(exp['alerts']),
                                                 '\n  '.join(describe(a, known) for a in alerts)))
        return alerts
    unmatched = list(alerts)
    for e in exp['alerts']:
        hit = [a for a in unmatched if matches(e, a, known)]
        if len(hit) != 1:
            bad('%s: expected alert not found exactly once: %s\n  actual:\n  %s' % (
                case, json.dumps(e)[:800], '\n  '.join(describe(a, known) for a in unmatched)))
            return alerts
        unmatched.remove(hit[0])
    ok()
    return alerts


def check_sigma(case, rule, alerts):
    """sigma to-kql's query over the same events finds what the alerts found."""
    events = os.path.join(CASES, case, 'events.ndjson')
    known = set()
    for line in open(events):
        known |= record_keys(json.loads(line))
    rc, kql, err = run(['sigma', 'to-kql', rule])
    if rc != 0:
        bad('%s: sigma to-kql exit %d: %s' % (case, rc, err.strip()[:300]))
        return
    rc, out, err = run(['query', '--data', events, '--format', 'json', kql])
    if rc != 0:
        bad('%s: the printed KQL does not run: %s' % (case, err.strip()[:300]))
        return
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    if '// correlation:' in kql:
        cols = []
        for r in rows:  # group-by columns are the ones before StartTime
            names = list(r.keys())
            cols = names[:names.index('StartTime')]
        kql_groups = {tuple(r[c] for c in cols) for r in rows}
        alert_groups = {tuple(a['ExtendedProperties'][c] for c in cols) for a in alerts} if cols else set()
        if not rows and not alerts:
            ok()
        elif kql_groups == alert_groups and kql_groups:
            ok()
        else:
            bad('%s: to-kql groups %s, alert groups %s' % (case, sorted(kql_groups), sorted(alert_groups)))
    else:
        kql_keys = set()
        for r in rows:
            kql_keys |= record_keys(r)
        alert_ids = set()
        for a in alerts:
            alert_ids |= alert_keys(a, known)
        if kql_keys == alert_ids and kql_keys:
            ok()
        else:
            bad('%s: to-kql finds %s, the rule alerts on %s' % (case, sorted(kql_keys), sorted(alert_ids)))


def check_pack():
    rules = sorted(glob.glob('detections/**/*.y*ml', recursive=True))
    rc, out, err = run(['replay', '--watchlists', WATCHLISTS, '--rules', 'detections', '/dev/null'])
    if rc == 0 and 'warning' not in err and 'error' not in err:
        ok()
    else:
        bad('pack: loading detections/ gives exit %d: %s' % (rc, err.strip()[:500]))
    sigma = [r for r in rules if r.endswith('.yml')]
    rc, out, err = run(['sigma', 'check', '--strict'] + sigma)
    if rc == 0 and re.search(r'\b0 errors, 0 warnings', out + err):
        ok()
    else:
        bad('pack: sigma check --strict: %s' % (out + err).strip()[:500])
    # every alerting rule id is mapped once, to scenarios gen knows; every scenario has a rule
    ids = []
    for r in rules:
        text = open(r).read()
        docs = text.split('\n---\n')
        for doc in docs:
            m = re.search(r'^id: *([0-9a-f-]{36})', doc, re.M)
            standalone = 'correlation:' in doc or not any('correlation:' in o for o in docs)
            if m and standalone:
                ids.append(m.group(1))
    mapped = {}
    for line in open('detections/scenarios.tsv'):
        if line.startswith('#') or not line.strip():
            continue
        rid, scen = line.rstrip('\n').split('\t')
        if rid in mapped:
            bad('pack: rule %s mapped twice' % rid)
        mapped[rid] = scen.split(',')
    rc, out, err = run(['gen', '--help'])
    m = re.search(r'--attacks +inject labelled attack scenarios: ([a-z_, ]+)', out + err)
    known = set(s.strip() for s in m.group(1).split(',')) if m else set()
    if not known:
        bad('pack: cannot read the scenario names from socpipe gen --help')
    problems = [i for i in ids if i not in mapped] + [i for i in mapped if i not in ids]
    problems += [s for v in mapped.values() for s in v if s not in known]
    problems += ['no rule for ' + s for s in sorted(known) if not any(s in v for v in mapped.values())]
    if problems:
        bad('pack: scenarios.tsv: %s' % problems)
    else:
        ok()


def main():
    cases = sorted(c for c in os.listdir(CASES) if os.path.isfile(os.path.join(CASES, c, 'expected.json')))
    for case in cases:
        alerts = check_case(case)
        rule = json.load(open(os.path.join(CASES, case, 'expected.json')))['rule']
        if alerts is not None and rule.endswith('.yml'):
            check_sigma(case, rule, alerts)
    check_pack()
    print('cases: %d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
