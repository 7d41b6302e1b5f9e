#!/usr/bin/env python3
"""summary.py — condenses a `socpipe bench rules --json` report for bench/RESULTS.md:
the pack's total cost and rate, the distribution of ns/event and of filter ns/event per
rule, how many rules meet issue #4's target (<= 2 ns/event for literal predicates), and
the rules whose predicates cost the most.

    python3 bench/sigma-pack/summary.py report.json
"""
import json
import sys


def q(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))]


def main():
    d = json.load(open(sys.argv[1]))
    rules = d["rules"]
    ev = d["data"]["events"]
    t = d["total"]
    print("rules: %d over %d resident events, best of %d rounds" % (len(rules), ev, d["rounds"]))
    print("whole pack: %.1f ms cpu = %.1f ns/event = %.0f events/s on one core (rules only)"
          % (t["cpu_ns"] / 1e6, t["ns_per_event"], t["events_per_s"]))
    filt = sum(r["filter_ns"] for r in rules)
    exe = sum(r["exec_ns"] for r in rules)
    al = sum(r["alert_ns"] for r in rules)
    print("  of which: predicates %.1f ns/event, rest of plan execution (column loads, result rows) %.1f, "
          "alerts %.1f (%d alerts)" % (filt / ev, (exe - filt) / ev, al / ev, sum(r["alerts"] for r in rules)))
    for key, what in (("ns_per_event", "ns/event per rule (all costs)"),
                      ("filter_ns_per_event", "filter ns/event per rule (predicates)")):
        v = [r[key] for r in rules]
        print("%s: min %.2f, median %.2f, p90 %.2f, max %.2f" % (what, min(v), q(v, .5), q(v, .9), max(v)))
    ok = [r for r in rules if r["filter_ns_per_event"] <= 2.0]
    print("rules whose predicates cost <= 2 ns/event: %d of %d" % (len(ok), len(rules)))
    print("most expensive predicates:")
    for r in sorted(rules, key=lambda r: -r["filter_ns_per_event"])[:8]:
        print("  %7.2f ns/event  %s" % (r["filter_ns_per_event"], r["name"]))


if __name__ == "__main__":
    main()
