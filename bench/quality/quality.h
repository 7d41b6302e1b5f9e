/* quality.h — detection quality on labelled data (`socpipe bench quality`, issue #6): which
 * alerts of which rules are true or false positives, which labelled attack instances no
 * rule of theirs found.
 *
 * Ownership: a bq owns copies of everything given to it (labels, the scenario map, rule
 * names, the evidence keys of alerts) and the results it returns, until bq_free.
 *
 * Definitions (docs/detections.md, "Measuring quality"):
 *   - Labels: `key<TAB>label` lines as `socpipe gen --labels` writes them; the key is a
 *     record's Id / RecordId / SystemAlertId, or IncidentName@LastModifiedTime; the label
 *     is a scenario name (an attack record) or benign:<scenario> (a near-miss lookalike).
 *   - Scenario map: `rule-id<TAB>scenario[,scenario...]` lines (detections/scenarios.tsv):
 *     the scenarios each rule is meant to detect. Only rules that were loaded (or alerted)
 *     are reported; map entries of other rules are ignored.
 *   - An alert's evidence keys: for every object of its Events, the values of its Id,
 *     RecordId and SystemAlertId members, IncidentName@LastModifiedTime when both are
 *     present, and every string element of its array members (a rule that aggregates keeps
 *     the keys of what it aggregated, e.g. make_set(Id)).
 *   - A scenario instance: the attack records of one scenario, ordered by event time, cut
 *     wherever two consecutive ones are more than the instance gap apart (default two
 *     hours; the generator places instances a day apart and no instance pauses longer
 *     than an hour).
 *   - For a rule mapped to scenarios S: an alert is a true positive when one of its
 *     evidence keys is labelled with a scenario of S, otherwise a false positive (even
 *     when it only touches near-misses or unlabelled records). An instance of S is
 *     detected by the rule when one of the rule's true-positive alerts has a key in it;
 *     the others are its false negatives. Precision = TP / (TP + FP); recall = detected /
 *     instances; alerts per million = alerts * 1e6 / events replayed.
 */
#ifndef SP_BENCH_QUALITY_H
#define SP_BENCH_QUALITY_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/core/core.h"
#include "engine/store/store.h"

typedef struct bq bq;

bq *bq_new(void);
void bq_free(bq *q);

/* Loads the labels file; 0, or -1 with d filled (unreadable file, a line without a tab). */
int bq_load_labels(bq *q, const char *path, sp_diag *d);
/* Loads a scenario map; 0, or -1 with d filled. */
int bq_load_scenarios(bq *q, const char *path, sp_diag *d);
/* A rule that was loaded: rules appear in the results in this order, with or without
 * alerts. name may be NULL. */
void bq_add_rule(bq *q, const char *rule_id, const char *name);
/* The event time of a record key (only labelled keys are kept). */
void bq_key_time(bq *q, const char *key, size_t n, int64_t t);
/* Reads the event times of every labelled record from the store (by the tables' key
 * columns). Returns the number of labelled keys found, or -1 with d filled. */
int bq_key_times_from_store(bq *q, sp_store *store, sp_diag *d);
/* One alert, as the runtime writes it (SecurityAlert-shaped JSON). Thread-safe. Alerts of
 * rules never added are added on the fly. Returns 0, or -1 when the text is not an alert. */
int bq_alert(bq *q, const char *json, size_t len);

typedef struct bq_rule_result {
    const char *rule_id, *name;
    const char *scenarios; /* comma-separated; "" = the rule is not mapped */
    uint64_t alerts, tp, fp, fn, instances, detected;
    uint64_t near_miss_fp; /* false positives that touched a near-miss of the rule's scenarios */
    double precision, recall; /* -1 when undefined (no alerts / no instances / not mapped) */
    double alerts_per_million;
} bq_rule_result;

typedef struct bq_scenario_result {
    const char *name;
    uint64_t records;   /* attack records labelled with it and found in the data */
    uint64_t instances;
    uint64_t detected;  /* instances detected by at least one of its rules */
    int nrules;         /* loaded rules mapped to it */
} bq_scenario_result;

typedef struct bq_results {
    bq_rule_result *rules;
    int nrules;
    bq_scenario_result *scenarios;
    int nscenarios;
    uint64_t events;
    uint64_t labelled_keys, keys_found; /* labels read; their records found in the data */
} bq_results;

/* Scores everything fed so far. events: records replayed (for alerts per million);
 * instance_gap: ticks (0 = two hours). The results live until the next call or bq_free. */
const bq_results *bq_score(bq *q, uint64_t events, int64_t instance_gap);

#endif
