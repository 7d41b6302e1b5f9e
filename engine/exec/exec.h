/* exec.h — runs a logical plan (engine/plan) over the store and returns its rows.
 *
 * The executor compiles each operator's expressions into a flat program of vector
 * instructions and pulls batches through the operator tree (exec_int.h explains the
 * machinery). Results come back as a krowset, a small columnar table owned by the caller.
 *
 * Ownership: kexec_run returns a rowset the caller frees with krowset_free; values read
 * from it point into the rowset and live as long as it does. The plan and the store must
 * outlive the call. Runtime errors (a regex that fails, a step limit) fill the sp_diag
 * and return -1; they never abort the process.
 */
#ifndef SP_EXEC_H
#define SP_EXEC_H

#include <stdio.h>

#include "engine/plan/plan.h"

typedef struct kexec kexec;
typedef struct krowset krowset;

/* Counters of runs, for rule profiling (socpipe bench rules): rows the scans read (after
 * chunk skipping and time windows) and rows the row filters removed — pushed-down scan
 * predicates, and `where` operators applied to a scan's rows before any aggregation, join
 * or expansion — so rows_scanned - rows_dropped passed the filters; and the thread CPU
 * time spent evaluating those filters (read once per batch), which separates what a
 * rule's predicates cost from what producing its result rows costs. */
typedef struct kexec_counters {
    uint64_t rows_scanned;
    uint64_t rows_dropped;
    uint64_t filter_ns; /* kexec_interval_ns around each batch's filter */
    /* Cells scans handed on as table-dictionary ids without their text (kp.scan_idonly). */
    uint64_t cells_ids_only;
    /* Summarizes that ran on two threads (kexec_opts.threads): the helper thread
     * aggregated a share of the scan's rows. */
    uint64_t par_runs;
    /* Summarizes whose two parts could not be merged (one side's dcount counted
     * table-dictionary ids, the other's texts), so the leader read the share's rows again;
     * rows_scanned and rows_dropped count those rows once, as the leader's. */
    uint64_t par_redos;
    /* Groups only the helper met, left in its table and emitted from there, when the two
     * parts were merged by table-dictionary id (the others are folded into the leader's). */
    uint64_t par_groups_kept;
    /* Summarizes whose share's run (the helper's, as a rule) matched its groups to the
     * leader's itself, by table-dictionary id, while the leader read its groups' texts. */
    uint64_t par_early_merges;
    /* Rows whose filter took the rows it keeps off their column's row lists (postings.c)
     * instead of comparing every row's dictionary code. */
    uint64_t rows_posted;
    /* Summarizes that counted by their key's table-dictionary id to the end (count() and
     * dcounts by one text key: op_aggregate.c, count_by_id), and those that began so and
     * turned to groups (a batch came without ids of the key's dictionary). */
    uint64_t groups_by_id, groups_by_id_left;
} kexec_counters;
/* This thread's CPU time in ns (CLOCK_THREAD_CPUTIME_ID): a system call, ~0.5 us on a
 * virtual machine, for timing whole rule runs. */
uint64_t kexec_thread_ns(void);
/* A monotonic clock in ns read without a system call (vDSO), for timing the short
 * intervals of one batch's filter: two thread-CPU reads per 2,048-row batch cost
 * ~0.5 ns per row, a quarter of a literal predicate's budget. Includes the time the thread
 * was preempted, if it was (benchmarks keep the best of several rounds). */
uint64_t kexec_interval_ns(void);

typedef struct kexec_opts {
    int64_t now;          /* now() (ticks); 0 = the wall clock at the start of the run */
    uint64_t max_steps;   /* 0 = sp_limits.max_vm_steps */
    /* Per-event rules: scans of only_table read only only_chunk (the newly sealed rows);
     * other tables read everything. */
    const sp_table *only_table;
    sp_chunk *only_chunk;
    /* Scheduled rules: every scan keeps only rows whose time column is in
     * [time_from, time_to) — Sentinel's implicit lookback (queryPeriod). */
    bool time_window;
    int64_t time_from, time_to;
    /* When set, the run adds its row counts here (one run writes it; not thread-safe). */
    kexec_counters *counters;
    /* Compile path accesses over dynamic columns as plain calls that walk each row's JSON,
     * without the per-chunk derived columns of dynpath.c (tests compare the two). */
    bool no_path_columns;
    /* Filters compare every row's dictionary code, never read row lists (postings.c), and
     * build none (tests isolating other caches, and A/B measurements). */
    bool no_row_lists;
    /* The result may reference text in store chunks instead of copying it: the rowset
     * then holds those chunks until krowset_free. For results that are read and freed
     * (a query's printed or timed answer), not for ones kept while the store evicts. */
    bool result_pins_chunks;
    /* Scans hand on text wherever they read a column, even a column the plan lets them
     * hand on as table-dictionary ids alone (kp.scan_idonly): tests compare the two. */
    bool no_ids_only;
    /* Threads one run may use (0 and 1: the caller's alone). With 2 or more, a summarize
     * over filters and projections of a large scan is split with the process's helper
     * thread when it is free (exec_int.h): the result is the same, groups in the same
     * order. Only the helper is used for now: more than 2 counts as 2. */
    int threads;
    /* Rows the scanned table needs for that split; 0 = 131,072 (tests lower it). */
    uint64_t par_min_rows;
    /* The helper's share is exactly the back half of the scan, taken before the run
     * starts, instead of what is left when it wakes up (tests: a repeatable split). A
     * share the helper has not started when the leader is done with its own half is
     * aggregated by the leader, as the helper would have, and merged the same way. */
    bool split_evenly;
    /* How long the share's run waits for the leader's scan to end before it leaves the
     * matching of its groups to the leader (op_aggregate.c); 0 = 1 ms. Tests raise it, so
     * that a slow leader (a sanitizer's) does not change which thread matches. */
    uint64_t par_merge_wait_ns;
    /* The leader never takes back a job the helper has not started: it waits for the
     * helper to wake and take it (tests: the helper's own path runs however fast the
     * leader is; in production a query done before the helper wakes must not wait). */
    bool par_wait_helper;
} kexec_opts;

int kexec_run(kplan *plan, sp_store *store, const kexec_opts *opts, krowset **out, sp_diag *err);

/* Asks the store to index, as their chunks are sealed, the columns the plan's scans read
 * through table-dictionary ids (kp.scan_gids; store.h sp_table_want_gids), so that data
 * loaded after this call does not pay for the index at its first query. Tables the store
 * does not hold yet are created when their schema is declared; columns match by name. */
void kexec_want_gids(const kplan *plan, sp_store *store);
/* Declares to table t the paths of dynamic columns that scan's filter reads (the table's
 * store keeps them: sp_table_want_derived), so that a chunk whose column is extracted at
 * one path gets the others in the same walk (dynpath.c). kexec_want_gids does it too. */
void kexec_want_paths(const kp *scan, sp_table *t);

/* `evaluate bag_unpack()` without an output schema has columns that come from the data,
 * but operators after it are bound against column names. The binder therefore binds the
 * KP_BAGUNPACK node's input, calls this, and binds the rest against node->out:
 *
 *   - it runs node->in once (same store, same now()) and reads every row's bag;
 *   - the schema is the input columns without the bag column, in order, then one column
 *     per distinct top-level key (bag_prefix + key; bag_ignored keys skipped), sorted by
 *     name (ordinal), as Kusto lists them;
 *   - a slot's type is the type its non-null values share (string, long for integers,
 *     real, bool), or dynamic when they differ or are arrays or bags;
 *   - a slot named like an input column follows bag_conflict: error fails here with a
 *     diagnostic, replace_source drops the input column, keep_source drops the slot;
 *   - it fills node->out and node->bag_src in the plan's arena.
 *
 * At run time the operator always produces node->out: a slot absent from the data is
 * null, a key not in the schema (new data since binding) is ignored, so a rule bound once
 * keeps its schema. With an output schema (`: (*, Name:string)`) the binder sets out and
 * bag_src itself and does not call this. Returns 0, or -1 with err filled. */
int kexec_bagunpack_schema(kplan *plan, sp_store *store, const kexec_opts *opts, kp *node, sp_diag *err);
/* The same as a kql_bind_env.bagunpack_schema callback: ctx is the sp_store (or NULL). */
int kexec_bagunpack_hook(void *ctx, kplan *plan, kp *node, sp_diag *err);

const kp_schema *krowset_schema(const krowset *rs);
uint32_t krowset_rows(const krowset *rs);
void krowset_get(const krowset *rs, uint32_t row, int col, kval *out);
void krowset_free(krowset *rs);

typedef enum { KOUT_TABLE, KOUT_JSON, KOUT_CSV } kout_format;
/* Writes the rows: JSON = one object per row, keys in column order (DESIGN.md §4);
 * CSV with a header; TABLE aligned for a terminal. */
void krowset_write(const krowset *rs, kout_format fmt, FILE *f);

/* ---- dynamic values: compact JSON text (dyn.c) ---- */

/* Dynamic values are compact, valid JSON (the store and parse_json guarantee it), so a
 * member or element is a substring: navigation never copies. */
typedef enum kj_type { KJ_INVALID, KJ_NULL, KJ_BOOL, KJ_NUMBER, KJ_STRING, KJ_ARRAY, KJ_OBJECT } kj_type;
kj_type kj_typeof(kstr v);
/* Returns the end of the JSON value starting at p (compact input), or NULL. */
const char *kj_skip(const char *p, const char *end);
typedef struct kj_iter {
    const char *p, *end;
    bool first;
} kj_iter;
bool kj_obj_begin(kstr v, kj_iter *it);
/* Next member: key as its raw JSON string literal (quotes included) and the value. */
bool kj_obj_next(kj_iter *it, kstr *key, kstr *value);
bool kj_arr_begin(kstr v, kj_iter *it);
bool kj_arr_next(kj_iter *it, kstr *value);
uint32_t kj_arr_len(kstr v); /* elements of an array, 0 otherwise */
/* Member by (unescaped) name, exact case. */
bool kj_member(kstr obj, const char *name, size_t n, kstr *out);
/* Element by index (negative counts from the end). */
bool kj_index(kstr arr, int64_t idx, kstr *out);
/* True when the raw key literal equals name after unescaping. */
bool kj_key_eq(kstr key, const char *name, size_t n);
/* The same ignoring (ASCII) case: Sigma's field names. */
bool kj_key_ieq(kstr key, const char *name, size_t n);
/* A dynamic value as a scalar of type t (tostring/tolong/... on dynamic). */
void kj_to_scalar(kstr v, sp_type t, sp_arena *a, kval *out);
/* A scalar as a dynamic value (JSON text in arena). */
kstr kj_from_scalar(const kval *v, sp_arena *a);

/* Kusto's conversion of a value to type `to` (tostring, tolong, todynamic without
 * parsing, ...); strings created go into a. */
void kval_convert(const kval *in, sp_type to, sp_arena *a, kval *out);

/* ---- correlation windows (op_window.c) ----
 *
 * The state behind KP_WINDOW, usable incrementally: feed events of all groups in
 * non-decreasing event time (a chunk at a time as the event-time clock advances) and each
 * push says whether that event closed a window. Semantics: sigma.h, sig_corr. The state
 * holds, per group, only the not-yet-consumed events of the last timespan. */
typedef struct kwin kwin;
typedef struct kwin_spec {
    kp_window_metric metric;
    int nrules;      /* temporal types: rules feeding the mask (at most 64) */
    int nkeys;
    int64_t span;    /* window length in ticks: [t - span, t] */
    const kp_window_cond *conds; /* copied */
    int nconds;
    double percentile;
} kwin_spec;
typedef struct kwin_event {
    int64_t time;
    uint64_t mask;   /* bit i: the event matched rule i */
    bool has_value;  /* value: the numeric value of the metric's field */
    double value;
    kstr text;       /* the text of the metric's field; empty = none */
    const kstr *keys; /* nkeys group-by texts; empty = null */
} kwin_event;
typedef struct kwin_output {
    const kstr *keys; /* valid until the next push */
    int64_t start, end;
    double value;
    kstr value_of;   /* KW_VALUE_SHARE: the value whose share fired */
    uint32_t events; /* events in the window */
} kwin_output;
kwin *kwin_new(const kwin_spec *spec);
/* Returns 1 and fills out when e closes a window (its events are then consumed). */
int kwin_push(kwin *w, const kwin_event *e, kwin_output *out);
uint32_t kwin_groups(const kwin *w);
/* Forgets every group none of whose events can be in a window at event time now or later
 * (all older than now - span, or consumed); returns how many. Call as the watermark moves. */
uint32_t kwin_expire(kwin *w, int64_t now);
void kwin_free(kwin *w);

/* ---- regexes of a plan (regex.c), for rule profiling and review ----
 *
 * Every call in a plan that runs a regular expression: `matches regex` (and Sigma's |re,
 * KQL's parse kind=regex), extract, extract_all, replace_regex, countof(..., "regex"),
 * trim/trim_start/trim_end. For each, whether the executor has a literal prefilter for it:
 * a literal substring every match must contain, searched for before Oniguruma runs, so
 * most values never reach the regex engine (regex.c explains which literals count). */
typedef struct kexec_regex {
    const char *fn;  /* the builtin's name (static) */
    char *pattern;   /* the pattern as the executor compiles it; NULL = computed per row */
    char *literal;   /* the prefilter's required literal (lower-cased when ci), or NULL */
    bool ci;         /* the literal is compared case-insensitively */
    bool invalid;    /* the constant pattern does not compile (the run will fail) */
    int line, col;   /* the call's source position; 0 when synthetic (Sigma) */
} kexec_regex;
/* Fills *out with the plan's regexes in plan order; returns how many (0: *out = NULL).
 * The caller frees them with kexec_regexes_free. */
int kexec_plan_regexes(const kplan *plan, kexec_regex **out);
void kexec_regexes_free(kexec_regex *v, int n);

/* Compiles every expression of the plan and appends the programs to out (explain). */
int kexec_explain_programs(kplan *plan, sp_buf *out, sp_diag *err);

#endif
