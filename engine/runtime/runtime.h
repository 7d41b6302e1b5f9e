/* runtime.h — the rules runtime (DESIGN.md §1.6–1.8): loads rules of both languages,
 * evaluates them continuously in event time over the store, and writes alerts to sinks.
 *
 * Three kinds of rule, all driven by event time so that a replay of the same data gives
 * the same alerts as the live stream:
 *   - per-event rules (Sigma detections, Sentinel NRT rules) run on every newly sealed
 *     chunk, in the thread that sealed it (rt_engine_process_chunk, hooked to the store's
 *     on_seal), so a chunk's rows have been seen when sealing returns;
 *   - scheduled rules (Sentinel queryFrequency/queryPeriod with trigger operator and
 *     threshold) run over [tick - queryPeriod, tick) each time the watermark passes a
 *     tick; the watermark is the minimum over sources of the event time each has sealed,
 *     minus the allowed lateness;
 *   - correlations (Sigma) keep window state fed in event-time order as the watermark
 *     advances.
 * Alerts (SecurityAlert-shaped JSON, deterministic AlertId) go to every sink; the runtime
 * flushes the sinks before it reports a chunk processed, which is what lets a Kafka
 * source commit offsets at-least-once (§1.8).
 *
 * Ownership: the engine owns its rules, state and sinks (added sinks are closed by
 * rt_engine_free). The store must outlive the engine.
 * Threading: rt_engine_process_chunk and rt_engine_watermark may be called from several
 * worker threads; rt_engine_advance and rt_engine_finish from one thread at a time.
 */
#ifndef SP_RUNTIME_H
#define SP_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/core/core.h"
#include "engine/store/store.h"

/* ---- sinks ----------------------------------------------------------------------------- */

typedef struct rt_sink rt_sink;
struct rt_sink {
    /* Queues one alert (one JSON object, no newline). Returns 0 or -1 on failure. */
    int (*write)(rt_sink *self, const char *json, size_t len);
    /* Returns 0 once everything written so far is durable (written and flushed, or
     * acknowledged by the broker); -1 on failure. */
    int (*flush)(rt_sink *self);
    void (*close)(rt_sink *self);
    const char *name; /* for reports: "stdout", "file:/path", "kafka:topic" */
};

/* NDJSON to a file ("-" = stdout), fsync'd on flush when it is a regular file. */
rt_sink *rt_sink_file(const char *path, sp_diag *err);

/* Wraps inner (and takes it over) so that a failed write or flush is remembered:
 * rt_sink_failed(watched) stays true from then on. A source that acknowledges its input
 * only once alerts are durable (Kafka offsets) asks it after each flush (sink_watch.c). */
rt_sink *rt_sink_watch(rt_sink *inner);
bool rt_sink_failed(const rt_sink *watched);

/* ---- engine ------------------------------------------------------------------------------ */

typedef struct rt_config {
    int64_t allowed_lateness;   /* ticks the watermark trails the newest sealed event */
    uint32_t max_alert_events;  /* matched records kept per alert; 0 = sp_limits default */
    const char *watchlist_dir;  /* CSV watchlists for _GetWatchlist('name') */
    const char *sigma_placeholders; /* placeholder values for Sigma `expand` */
    const char *sigma_mapping;  /* extra Sigma field/logsource mapping file */
    bool self_health;           /* write SentinelHealth records about rule runs */
    int64_t start_time;         /* first scheduling tick boundary; 0 = from the data */
    bool profile;               /* keep per-rule cost counters (rt_engine_rule_profile) */
} rt_config;

typedef struct rt_engine rt_engine;

/* Creates the engine and installs it as the store's seal hook (rt_engine_on_seal). */
rt_engine *rt_engine_new(sp_store *store, const rt_config *cfg);
void rt_engine_free(rt_engine *e);

/* Loads rule files (a file or a directory, recursively): Sigma documents (.yml/.yaml with
 * `detection`/`correlation`/`filter`) and Sentinel analytics rule YAML (`query`). Returns
 * the number of rules rejected (each reported through err_cb), or -1 when path cannot be
 * read. Loading is all-or-nothing per rule, never silent. */
typedef void (*rt_diag_cb)(void *ctx, const sp_diag *d);
int rt_engine_load_rules(rt_engine *e, const char *path, rt_diag_cb err_cb, void *ctx);
int rt_engine_rule_count(const rt_engine *e);

void rt_engine_add_sink(rt_engine *e, rt_sink *s);

/* The store's seal hook (installed by rt_engine_new): runs every per-event rule on chunk c
 * of table t, writes the alerts and flushes the sinks. Safe from several threads. */
void rt_engine_on_seal(void *engine, sp_table *t, sp_chunk *c);

/* Event-time progress: source `source` (a worker, a partition, a file) has sealed every
 * record it will deliver up to event time t. Sources never seen do not hold the watermark
 * back; rt_engine_source_idle removes one (an idle partition). A pending source (a
 * partition just assigned, whose backlog is still to come) holds it where it is until the
 * source reports progress or goes idle: a source that has sealed nothing yet could still
 * deliver records of any age. */
void rt_engine_watermark(rt_engine *e, int source, int64_t t);
void rt_engine_source_idle(rt_engine *e, int source);
void rt_engine_source_pending(rt_engine *e, int source);
/* Runs everything the watermark allows: scheduled rule ticks and correlation windows.
 * Returns the number of alerts written. */
int rt_engine_advance(rt_engine *e);
/* End of input (replay, shutdown after drain): the watermark goes to the newest event
 * seen, pending ticks and windows run, sinks flush. */
int rt_engine_finish(rt_engine *e);

typedef struct rt_stats {
    uint64_t alerts;
    uint64_t suppressed;     /* alerts dropped by per-rule suppression */
    uint64_t rule_runs, rule_failures;
    uint64_t late_records;   /* input rows older than the watermark when sealed */
    int64_t watermark;       /* INT64_MIN before any progress */
    uint64_t chunks;         /* chunks given to per-event rules */
} rt_stats;
void rt_engine_stats(rt_engine *e, rt_stats *out);
/* Alerts per rule, for summaries: fills at most cap (name, count) pairs, returns count. */
int rt_engine_rule_alerts(rt_engine *e, const char **names, uint64_t *counts, int cap);

/* ---- rule profiling (socpipe bench rules) ----------------------------------------------
 *
 * What one rule costs, so a pack's expensive rules can be found and fixed: thread CPU time
 * (CLOCK_THREAD_CPUTIME_ID, so other threads' work is never charged to a rule) in the
 * executor and in building and writing alerts, rows scanned and rows that passed its
 * filters (selectivity), and the events it was run over. With cfg.profile the engine keeps
 * these per rule during normal operation; rt_engine_profile_rule measures one rule alone
 * over the data already in the store. */
typedef struct rt_rule_profile {
    uint64_t runs;          /* executions: chunks (per-event), ticks, correlation runs */
    uint64_t failures;      /* runs that failed (the rule's error was logged) */
    uint64_t events;        /* rows of the tables the rule reads that it was run over */
    uint64_t rows_scanned;  /* rows its scans read (kexec_counters) */
    uint64_t rows_passed;   /* rows that passed its row filters */
    uint64_t result_rows;   /* rows its runs returned */
    uint64_t alerts;        /* alerts written (after suppression) */
    uint64_t exec_ns;       /* thread CPU time running the rule's plan */
    uint64_t filter_ns;     /* of exec_ns, evaluating its row filters (predicates) */
    uint64_t alert_ns;      /* thread CPU time building and writing its alerts */
} rt_rule_profile;

typedef enum rt_rule_kind { RT_RULE_PER_EVENT, RT_RULE_SCHEDULED, RT_RULE_CORRELATION } rt_rule_kind;

/* What a rule is; strings are owned by the engine. */
typedef struct rt_rule_info {
    const char *id, *name, *file, *severity;
    rt_rule_kind kind;
    bool is_sigma;
    const char *const *tables; /* tables its plan reads */
    int ntables;
} rt_rule_info;
void rt_engine_rule_info(const rt_engine *e, int rule, rt_rule_info *out);
/* "per-event", "scheduled", "correlation" */
const char *rt_rule_kind_name(rt_rule_kind k);

/* The regexes of a rule's plan (as bound now) and whether each has a literal prefilter (exec.h,
 * kexec_plan_regexes); the caller frees *out with kexec_regexes_free. */
struct kexec_regex;
int rt_engine_rule_regexes(rt_engine *e, int rule, struct kexec_regex **out);

/* The counters kept since the engine started (all zero unless cfg.profile). */
void rt_engine_rule_profile(rt_engine *e, int rule, rt_rule_profile *out);

/* Runs rule `rule` alone over the data resident in the store, as the runtime would have
 * run it had the data arrived live, and fills out with what that run cost: a per-event
 * rule on every sealed chunk of the tables it reads (one run per chunk, as on seal); a
 * scheduled rule at every tick from the oldest event to the newest; a correlation once
 * over all events. The rule's state (ticks, windows, suppression) is reset first, so
 * every call does the same work and writes the same alerts to the sinks. The engine must
 * be idle (no ingest, no advance) meanwhile. Returns 0, or -1 when a run failed. */
int rt_engine_profile_rule(rt_engine *e, int rule, rt_rule_profile *out);

/* ---- service configuration (config.c): `socpipe run --config FILE` ---------------------
 *
 * The YAML file described in docs/configuration.md, loaded and checked in one call: unknown
 * keys, missing keys and bad values are errors at file:line:col (err->source_line holds the
 * offending line with any secret-looking value masked). Relative paths are resolved against
 * the directory of the configuration file. Secrets (the SASL password, the OIDC client
 * secret) are never read from the YAML itself, only from the environment variable or file
 * it names; they live in the loaded structure (props with secret = true) and nowhere else,
 * and rt_config_free wipes them. librdkafka properties are validated by librdkafka when the
 * file is loaded.
 * Ownership: every string and array in an rt_service_config belongs to it; rt_config_free
 * releases them all. */

typedef struct rt_kafka_prop {
    char *key, *value;
    bool secret; /* never print value (SASL password, OIDC client secret) */
} rt_kafka_prop;

typedef struct rt_topic_config {
    char *name;
    char *table; /* bind every record of the topic to this table; NULL = route by envelope */
} rt_topic_config;

typedef enum rt_sink_type { RT_SINK_STDOUT, RT_SINK_FILE, RT_SINK_KAFKA } rt_sink_type;

typedef struct rt_sink_config {
    rt_sink_type type;
    char *path;          /* RT_SINK_FILE */
    char *topic;         /* RT_SINK_KAFKA */
    rt_kafka_prop *props; /* RT_SINK_KAFKA: client properties, bootstrap.servers first */
    int nprops;
} rt_sink_config;

typedef struct rt_service_config {
    char *path; /* the file loaded */
    /* kafka: */
    char *brokers; /* also in props as bootstrap.servers */
    char *group;
    rt_topic_config *topics;
    int ntopics;
    rt_kafka_prop *props; /* consumer client properties: bootstrap.servers, security, then
                           * kafka.librdkafka in file order (applied over socpipe's tuned
                           * defaults) */
    int nprops;
    uint32_t flush_messages; /* seal, run per-event rules and store offsets after this many
                              * messages per worker ... */
    int64_t flush_interval;  /* ... or this many ticks, whichever comes first */
    int64_t idle_timeout;    /* a partition silent this long stops holding the watermark */
    /* processing: */
    int workers;
    char **rules;
    int nrules;
    char *watchlists;
    char *sigma_placeholders;
    char *sigma_mapping;
    rt_sink_config *sinks; /* at least one (stdout when the file names none) */
    int nsinks;
    int64_t retention;      /* ticks of event time kept in the store */
    uint64_t memory_budget; /* bytes of store; above it the consumers pause */
    char *dead_letter;      /* NULL: none */
    int64_t lateness;       /* allowed lateness of the watermark, ticks */
    bool health;            /* SentinelHealth records about rule runs */
    sp_log_level log_level;
} rt_service_config;

/* Loads and validates path into *out (zeroed first). Returns 0, or -1 with err filled
 * (file:line:col, message, source line) and *out empty. */
int rt_config_load(const char *path, rt_service_config *out, sp_diag *err);
/* Frees everything and overwrites secret values before releasing them. */
void rt_config_free(rt_service_config *c);
/* True for librdkafka property names whose values are credentials (sasl.password,
 * ssl.key.password, sasl.oauthbearer.client.secret, ...): such values are never printed. */
bool rt_kafka_prop_is_secret(const char *key);

#endif
