/* runtime_int.h — internals of the rules runtime: compiled rules, the engine's state, the
 * alert builder. Only engine/runtime/ includes this. */
#ifndef SP_RUNTIME_INT_H
#define SP_RUNTIME_INT_H

#include <pthread.h>

#include "engine/exec/exec.h"
#include "engine/plan/plan.h"
#include "engine/runtime/runtime.h"

typedef enum rt_kind {
    RT_PER_EVENT,  /* Sigma detection, Sentinel NRT: each newly sealed chunk */
    RT_SCHEDULED,  /* Sentinel scheduled: each queryFrequency tick over queryPeriod */
    RT_CORRELATION /* Sigma correlation: windows as the watermark advances */
} rt_kind;

typedef enum rt_trigger { RT_GT, RT_GE, RT_LT, RT_LE, RT_EQ, RT_NE } rt_trigger;

typedef struct rt_entity_map {
    char *type;       /* Account, IP, Host, CloudApplication, ... */
    char *identifier; /* FullName, Address, Name, ... */
    char *column;
} rt_entity_map;

typedef struct rt_detail {
    char *key;
    char *column;
} rt_detail;

/* A rule's plans, bound to the schemas of the tables it reads. A rule over a table with
 * no declared schema is bound again when that table appears or grows; each run holds a
 * reference, so a binding lives until its last run ends (binding.c). */
typedef struct rt_bound {
    kplan *plan;
    kplan *evidence; /* correlations: the records behind each output (sig_lower_evidence),
                      * with group_keys key columns last; NULL = none (chains only) */
    int refs;        /* under the rule's mu */
} rt_bound;

/* A Sigma rule set kept for binding its rules again (shared by the rules of one file). */
typedef struct rt_sigsrc {
    struct sig_set *set;
    pthread_mutex_t mu; /* serialises lowerings from the set */
    int refs;           /* rules holding it; changed only while loading and freeing */
} rt_sigsrc;

struct sig_warnings;

#define RT_NO_TABLE UINT32_MAX /* rt_rule.bound_ver: the table did not exist */

typedef struct rt_rule {
    char *id, *name, *description, *severity, *file;
    char **tactics, **techniques;
    int ntactics, ntechniques;
    rt_kind kind;
    bool is_sigma, is_nrt;
    /* The current binding: fixed for rules over declared tables only; for open rules it
     * changes under mu (rt_rule_acquire). NULL: the rule cannot bind yet (bind_err). */
    rt_bound *bound;
    char **tables; /* tables the rule reads (per-event rules run on their chunks); owned.
                    * Fixed unless open (then under mu) */
    int ntables;
    /* Rules reading a table with no declared schema (inferred from the data, or not there
     * yet): the schema version of each table when bound, and what to bind again from. */
    bool open;
    uint32_t *bound_ver; /* per table; RT_NO_TABLE when it did not exist */
    sp_diag bind_err;    /* why the rule cannot bind (bound == NULL) */
    char *query;         /* Sentinel: the KQL text, and the YAML line it starts after */
    int qline;
    rt_sigsrc *sig;      /* Sigma: the set, and which document of it */
    int sig_kind;
    uint32_t sig_index;
    /* scheduled */
    int64_t freq, period;
    rt_trigger trig;
    int64_t threshold;
    bool alert_per_result;
    int64_t next_tick; /* INT64_MIN until the first data */
    /* correlations */
    int64_t corr_span;    /* the correlation's timespan */
    int64_t corr_done;    /* windows ending at or before this are settled */
    /* per-group throttle: groups (hash of their values) that alerted, and the event time
     * until which further outputs of that group are suppressed (last EndTime + span) */
    sp_hash128 *emitted;
    int64_t *emitted_at;
    size_t nemitted, capemitted;
    int group_keys; /* correlations: the group-by fields (the first columns of outputs) */ /* group-by fields: the first columns of every output */
    /* alert shaping */
    rt_entity_map *entities;
    int nentities;
    rt_detail *details;
    int ndetails;
    char *name_format, *description_format;
    /* suppression (event time) */
    bool suppress;
    int64_t suppress_for, suppressed_until;
    /* counters */
    uint64_t alerts, runs, failures, suppressed;
    rt_rule_profile prof; /* cfg.profile: cost counters (under mu) */
    pthread_mutex_t mu;
} rt_rule;

/* A source's time while it is pending (rt_engine_source_pending): below every real event
 * time, above INT64_MIN (idle). */
#define RT_SRC_PENDING (INT64_MIN + 1)

struct rt_engine {
    sp_store *store;
    rt_config cfg;
    rt_rule **rules;
    int nrules, caprules;
    rt_sink **sinks;
    int nsinks;
    pthread_mutex_t sink_mu; /* serialises sink writes and flushes */
    pthread_mutex_t mu;      /* watermarks, stats */
    int64_t *src_time;       /* per source: newest sealed event time, INT64_MIN = idle,
                              * RT_SRC_PENDING = holds the watermark, nothing sealed yet */
    int nsrc;
    int64_t newest;          /* newest event time sealed by anyone */
    int64_t oldest;          /* oldest event time seen (first scheduling boundary) */
    rt_stats st;
    /* self health: SentinelHealth rows about rule runs */
    pthread_mutex_t health_mu;
    sp_builder *health;
    uint64_t health_seq;
    struct sig_mapping *sigma_mapping;
    struct sig_placeholders *sigma_placeholders;
};

/* rules.c */
int rt_rules_load(rt_engine *e, const char *path, rt_diag_cb cb, void *ctx);
void rt_rule_free(rt_rule *r);
/* Tables a plan scans (names owned by the plan). */
int rt_plan_tables(const kplan *p, char ***out);
/* Calls fn for every scan of the plan (subqueries and shared parts included). */
void rt_plan_scans(const kplan *p, void (*fn)(const kp *scan, void *ctx), void *ctx);
bool rt_duration_parse(const char *s, size_t n, int64_t *ticks);

/* binding.c — binds a rule from its source (r->query, or r->sig) against the store's
 * current schemas. At load: 0 bound, 1 deferred (an open rule that names a table, column
 * or variable its tables do not have yet: bound again as they grow; err holds why, as a
 * warning), -1 failed (err). Sigma field warnings go to warn (may be NULL). */
int rt_rule_bind_first(rt_engine *e, rt_rule *r, struct sig_warnings *warn, sp_diag *err);
/* The rule's binding for one run, bound again first when a table it reads appeared or
 * grew since; NULL with err filled when it cannot bind. Release it after the run. */
rt_bound *rt_rule_acquire(rt_engine *e, rt_rule *r, sp_diag *err);
void rt_rule_release(rt_rule *r, rt_bound *b);
/* Whether the rule reads table (open rules: under their mu). */
bool rt_rule_reads(rt_rule *r, const char *table);
void rt_bound_free(rt_bound *b);
void rt_sigsrc_unref(rt_sigsrc *s);

/* alert.c — builds the alerts of one rule run from its result rows and writes them.
 * key_time: the run's time (tick or event time); rows of per-event rules each make one
 * alert. Returns alerts written. */
typedef struct rt_run {
    rt_rule *rule;
    kplan *evidence; /* the run's binding's evidence plan, or NULL */
    const krowset *rows;
    int64_t window_start, window_end; /* scheduled: [tick - period, tick) */
    bool per_row;                     /* one alert per result row */
    /* correlations: only rows whose EndTime is in (end_after, end_upto] */
    bool end_filter;
    int64_t end_after, end_upto;
} rt_run;
int rt_alerts_emit(rt_engine *e, const rt_run *run);
/* Writes one alert JSON to every sink (under sink_mu); flush separately. */
int rt_sinks_write(rt_engine *e, const char *json, size_t len);
int rt_sinks_flush(rt_engine *e);

/* engine.c */
void rt_health_record(rt_engine *e, const rt_rule *r, int64_t at, bool ok, const char *reason);

/* watchlist.c — loads every CSV of dir into store tables named watchlist:<name>. */
int rt_watchlists_load(sp_store *store, const char *dir, rt_diag_cb cb, void *ctx);

#endif
