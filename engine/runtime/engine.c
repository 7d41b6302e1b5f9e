/* engine.c — the rules runtime's clock and scheduler.
 *
 * Per-event rules run in the thread that seals a chunk (the store's on_seal hook), on that
 * chunk alone, with now() = the chunk's newest event: their alerts are written and the
 * sinks flushed before sealing returns. Scheduled rules and correlations run from
 * rt_engine_advance when the watermark — the oldest of the sources' newest sealed events,
 * minus the allowed lateness — passes their next tick or settles their windows. Nothing
 * reads the wall clock, so a replay reproduces a live run.
 *
 * The engine writes SentinelHealth records about its own rule runs into the store
 * (Sentinel's "Scheduled analytics rule run" shape), so detections can watch socpipe too.
 * Those rows are sealed only from rt_engine_advance, so a rule over SentinelHealth cannot
 * feed back into itself within one seal.
 */
#include "engine/runtime/runtime_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sigma/sigma.h"

rt_engine *rt_engine_new(sp_store *store, const rt_config *cfg)
{
    rt_engine *e = sp_xcalloc(1, sizeof *e);
    e->store = store;
    if (cfg)
        e->cfg = *cfg;
    pthread_mutex_init(&e->mu, NULL);
    pthread_mutex_init(&e->sink_mu, NULL);
    pthread_mutex_init(&e->health_mu, NULL);
    e->newest = INT64_MIN;
    e->oldest = INT64_MAX;
    e->st.watermark = INT64_MIN;
    sp_store_set_on_seal(store, rt_engine_on_seal, e);
    return e;
}

void rt_engine_free(rt_engine *e)
{
    if (!e)
        return;
    sp_store_set_on_seal(e->store, NULL, NULL);
    pthread_mutex_lock(&e->health_mu);
    sp_builder *h = e->health;
    e->health = NULL;
    pthread_mutex_unlock(&e->health_mu);
    sp_builder_free(h);
    for (int i = 0; i < e->nrules; i++)
        rt_rule_free(e->rules[i]);
    free(e->rules);
    for (int i = 0; i < e->nsinks; i++)
        e->sinks[i]->close(e->sinks[i]);
    free(e->sinks);
    free(e->src_time);
    sig_mapping_free(e->sigma_mapping);
    sig_placeholders_free(e->sigma_placeholders);
    pthread_mutex_destroy(&e->mu);
    pthread_mutex_destroy(&e->sink_mu);
    pthread_mutex_destroy(&e->health_mu);
    free(e);
}

int rt_engine_load_rules(rt_engine *e, const char *path, rt_diag_cb cb, void *ctx)
{
    if (!e->sigma_mapping) {
        sp_diag d;
        memset(&d, 0, sizeof d);
        if (sig_mapping_load_default(&e->sigma_mapping, &d) != 0) {
            if (cb)
                cb(ctx, &d);
            e->sigma_mapping = NULL;
        }
        if (e->sigma_mapping && e->cfg.sigma_mapping && sig_mapping_extend(e->sigma_mapping, e->cfg.sigma_mapping, &d) != 0 && cb)
            cb(ctx, &d);
        if (e->cfg.sigma_placeholders && sig_placeholders_load(e->cfg.sigma_placeholders, &e->sigma_placeholders, &d) != 0) {
            if (cb)
                cb(ctx, &d);
            e->sigma_placeholders = NULL;
        }
        if (e->cfg.watchlist_dir)
            rt_watchlists_load(e->store, e->cfg.watchlist_dir, cb, ctx);
    }
    return rt_rules_load(e, path, cb, ctx);
}

int rt_engine_rule_count(const rt_engine *e)
{
    return e->nrules;
}

void rt_engine_add_sink(rt_engine *e, rt_sink *s)
{
    pthread_mutex_lock(&e->sink_mu);
    e->sinks = sp_xrealloc(e->sinks, sizeof(rt_sink *) * (size_t)(e->nsinks + 1));
    e->sinks[e->nsinks++] = s;
    pthread_mutex_unlock(&e->sink_mu);
}

/* ---- self health ---- */

void rt_health_record(rt_engine *e, const rt_rule *r, int64_t at, bool ok, const char *reason)
{
    if (!e->cfg.self_health)
        return;
    sp_table *t = sp_store_table(e->store, "SentinelHealth");
    pthread_mutex_lock(&e->health_mu);
    if (!e->health)
        e->health = sp_builder_new(t);
    sp_builder *b = e->health;
    const sp_schema *sc = sp_table_schema(t);
#define COL(n) sp_schema_find(sc, n, strlen(n))
    char rid[64];
    sp_hash128 h;
    {
        sp_buf k = {0};
        sp_buf_printf(&k, "%s\x1f%lld\x1f%d", r->id, (long long)at, ok);
        h = sp_hash128_of(k.data, k.len);
        sp_buf_free(&k);
    }
    snprintf(rid, sizeof rid, "%016llx%016llx", (unsigned long long)h.hi, (unsigned long long)h.lo);
    const char *op = r->kind == RT_SCHEDULED ? "Scheduled analytics rule run"
                     : r->is_nrt             ? "NRT analytics rule run"
                                             : "Analytics rule run";
    sp_builder_begin_row(b);
    sp_builder_set_datetime(b, COL("TimeGenerated"), at);
    sp_builder_set_string(b, COL("RecordId"), rid, strlen(rid));
    sp_builder_set_string(b, COL("OperationName"), op, strlen(op));
    sp_builder_set_string(b, COL("SentinelResourceType"), "Analytics rule", 14);
    sp_builder_set_string(b, COL("SentinelResourceKind"), r->kind == RT_SCHEDULED ? "Scheduled" : "NRT",
                          r->kind == RT_SCHEDULED ? 9 : 3);
    sp_builder_set_string(b, COL("SentinelResourceName"), r->name, strlen(r->name));
    sp_builder_set_string(b, COL("SentinelResourceId"), r->id, strlen(r->id));
    sp_builder_set_string(b, COL("Status"), ok ? "Success" : "Failure", ok ? 7 : 7);
    sp_builder_set_string(b, COL("SourceSystem"), "socpipe", 7);
    sp_builder_set_string(b, COL("Type"), "SentinelHealth", 14);
    const char *desc = ok ? "Rule run completed" : "Rule run failed";
    sp_builder_set_string(b, COL("Description"), desc, strlen(desc));
    if (reason)
        sp_builder_set_string(b, COL("Reason"), reason, strlen(reason));
#undef COL
    sp_builder_end_row(b, NULL);
    pthread_mutex_unlock(&e->health_mu);
}

/* Set while this thread seals the engine's own health rows: they are written for ticks the
 * watermark has already passed, which makes them old, not late input. */
static _Thread_local bool sealing_health;

/* Seals pending health rows (outside every engine lock: sealing runs per-event rules). */
static void health_seal(rt_engine *e)
{
    pthread_mutex_lock(&e->health_mu);
    sp_builder *b = e->health;
    e->health = NULL;
    pthread_mutex_unlock(&e->health_mu);
    sealing_health = true;
    sp_builder_free(b);
    sealing_health = false;
}

static void rule_failed(rt_engine *e, rt_rule *r, int64_t at, const sp_diag *d)
{
    pthread_mutex_lock(&r->mu);
    r->failures++;
    pthread_mutex_unlock(&r->mu);
    pthread_mutex_lock(&e->mu);
    e->st.rule_failures++;
    pthread_mutex_unlock(&e->mu);
    sp_log(SP_LOG_WARN, "rule %s (%s) failed: %s", r->name, r->file, d->msg);
    rt_health_record(e, r, at, false, d->msg);
}

/* ---- profiling: what each rule run costs ---- */

/* One run being measured: clock_start before kexec_run (it hooks the row counters into
 * the options), clock_executed after it, clock_alerted after the alerts are written. With
 * acc NULL all of them do nothing, so unprofiled runs read no clock. */
typedef struct rule_clock {
    uint64_t t;
    kexec_counters rows;
} rule_clock;

static void clock_start(rule_clock *k, rt_rule_profile *acc, kexec_opts *o, uint64_t events)
{
    memset(k, 0, sizeof *k);
    if (!acc)
        return;
    acc->runs++;
    acc->events += events;
    o->counters = &k->rows;
    k->t = kexec_thread_ns();
}

static void clock_failed(rule_clock *k, rt_rule_profile *acc)
{
    if (!acc)
        return;
    acc->exec_ns += kexec_thread_ns() - k->t;
    acc->failures++;
}

static void clock_executed(rule_clock *k, rt_rule_profile *acc, const krowset *rs)
{
    if (!acc)
        return;
    uint64_t now = kexec_thread_ns();
    acc->exec_ns += now - k->t;
    k->t = now;
    acc->rows_scanned += k->rows.rows_scanned;
    acc->rows_passed += k->rows.rows_scanned - k->rows.rows_dropped;
    acc->filter_ns += k->rows.filter_ns;
    acc->result_rows += krowset_rows(rs);
}

static void clock_alerted(rule_clock *k, rt_rule_profile *acc, int written)
{
    if (!acc)
        return;
    acc->alert_ns += kexec_thread_ns() - k->t;
    acc->alerts += (uint64_t)written;
}

static void profile_add(rt_rule_profile *to, const rt_rule_profile *p)
{
    to->runs += p->runs;
    to->failures += p->failures;
    to->events += p->events;
    to->rows_scanned += p->rows_scanned;
    to->rows_passed += p->rows_passed;
    to->result_rows += p->result_rows;
    to->alerts += p->alerts;
    to->exec_ns += p->exec_ns;
    to->filter_ns += p->filter_ns;
    to->alert_ns += p->alert_ns;
}

static void profile_merge(rt_rule *r, const rt_rule_profile *p)
{
    pthread_mutex_lock(&r->mu);
    profile_add(&r->prof, p);
    pthread_mutex_unlock(&r->mu);
}

/* ---- per-event rules ---- */

static uint64_t count_late(const sp_chunk *c, sp_table *t, int64_t wm)
{
    if (wm == INT64_MIN || sp_chunk_min_time(c) >= wm)
        return 0;
    int tc = sp_table_time_col(t);
    if (tc < 0)
        return 0;
    sp_colview v;
    sp_chunk_col(c, tc, &v);
    if (v.type != SP_TYPE_DATETIME)
        return 0;
    uint64_t late = 0;
    for (uint32_t i = 0; i < v.rows; i++)
        late += !sp_colview_is_null(&v, i) && ((const int64_t *)v.values)[i] < wm;
    return late;
}

/* Runs rule r's plan with o (events: the rows it reads, for the profile): the binding the
 * result rows *rs came from, to release after the alerts, or NULL when the rule failed,
 * which is recorded at event time `at`. */
static rt_bound *execute(rt_engine *e, rt_rule *r, kexec_opts *o, int64_t at, uint64_t events, rt_rule_profile *acc,
                         rule_clock *k, krowset **rs)
{
    clock_start(k, acc, o, events);
    sp_diag d;
    memset(&d, 0, sizeof d);
    rt_bound *b = rt_rule_acquire(e, r, &d);
    if (!b || kexec_run(b->plan, e->store, o, rs, &d) != 0) {
        rt_rule_release(r, b);
        clock_failed(k, acc);
        rule_failed(e, r, at, &d);
        return NULL;
    }
    clock_executed(k, acc, *rs);
    return b;
}

/* Runs one per-event rule on chunk c of table t; when acc is set, adds what it cost.
 * profiling: the profiler's run (rt_engine_profile_rule), whose rounds read the same
 * chunks again: its filters compare codes, never row lists (engine/exec/postings.c), which
 * a per-event rule reading a stream's chunks once would not have built. */
static int run_per_event(rt_engine *e, rt_rule *r, sp_table *t, sp_chunk *c, rt_rule_profile *acc, bool profiling)
{
    int64_t tmax = sp_chunk_max_time(c), tmin = sp_chunk_min_time(c);
    kexec_opts o;
    memset(&o, 0, sizeof o);
    pthread_mutex_lock(&e->mu);
    int64_t newest = e->newest;
    pthread_mutex_unlock(&e->mu);
    o.now = tmax != INT64_MIN ? tmax : (newest != INT64_MIN ? newest : SP_UNIX_EPOCH_TICKS);
    o.only_table = t;
    o.only_chunk = c;
    o.no_row_lists = profiling;
    pthread_mutex_lock(&r->mu);
    r->runs++;
    pthread_mutex_unlock(&r->mu);
    rule_clock k;
    krowset *rs;
    rt_bound *b = execute(e, r, &o, o.now, sp_chunk_rows(c), acc, &k, &rs);
    if (!b)
        return 0;
    rt_run run = {.rule = r, .rows = rs, .window_start = tmin, .window_end = o.now, .per_row = true};
    int written = rt_alerts_emit(e, &run);
    krowset_free(rs);
    rt_rule_release(r, b);
    clock_alerted(&k, acc, written);
    return written;
}

void rt_engine_on_seal(void *engine, sp_table *t, sp_chunk *c)
{
    rt_engine *e = engine;
    int64_t tmax = sp_chunk_max_time(c), tmin = sp_chunk_min_time(c);
    pthread_mutex_lock(&e->mu);
    if (tmax != INT64_MIN && tmax > e->newest)
        e->newest = tmax;
    if (tmin != INT64_MAX && tmin < e->oldest)
        e->oldest = tmin;
    e->st.chunks++;
    int64_t wm = e->st.watermark;
    pthread_mutex_unlock(&e->mu);
    uint64_t late = sealing_health ? 0 : count_late(c, t, wm);
    const char *tname = sp_table_name(t);
    int written = 0;
    for (int i = 0; i < e->nrules; i++) {
        rt_rule *r = e->rules[i];
        if ((r->kind != RT_PER_EVENT && !e->cfg.profile) || !rt_rule_reads(r, tname))
            continue;
        rt_rule_profile p = {0};
        if (r->kind == RT_PER_EVENT)
            written += run_per_event(e, r, t, c, e->cfg.profile ? &p : NULL, false);
        else
            p.events = sp_chunk_rows(c); /* scheduled rules and correlations read it later */
        if (e->cfg.profile)
            profile_merge(r, &p);
    }
    if (written)
        rt_sinks_flush(e);
    pthread_mutex_lock(&e->mu);
    e->st.late_records += late;
    pthread_mutex_unlock(&e->mu);
}

/* ---- watermarks ---- */

/* Makes room for source (e->mu held). New sources are idle. */
static void source_slot(rt_engine *e, int source)
{
    if (source < e->nsrc)
        return;
    e->src_time = sp_xrealloc(e->src_time, sizeof(int64_t) * (size_t)(source + 1));
    for (int i = e->nsrc; i <= source; i++)
        e->src_time[i] = INT64_MIN;
    e->nsrc = source + 1;
}

void rt_engine_watermark(rt_engine *e, int source, int64_t t)
{
    if (source < 0)
        return;
    pthread_mutex_lock(&e->mu);
    source_slot(e, source);
    if (t > e->src_time[source]) /* also ends pending: real times are above RT_SRC_PENDING */
        e->src_time[source] = t;
    pthread_mutex_unlock(&e->mu);
}

void rt_engine_source_idle(rt_engine *e, int source)
{
    pthread_mutex_lock(&e->mu);
    if (source >= 0 && source < e->nsrc)
        e->src_time[source] = INT64_MIN;
    pthread_mutex_unlock(&e->mu);
}

void rt_engine_source_pending(rt_engine *e, int source)
{
    if (source < 0)
        return;
    pthread_mutex_lock(&e->mu);
    source_slot(e, source);
    e->src_time[source] = RT_SRC_PENDING;
    pthread_mutex_unlock(&e->mu);
}

/* The watermark (e->mu held): the oldest active source's newest event, or the newest
 * event overall when no source reports, minus the lateness; INT64_MIN (no progress) while
 * a source is pending. */
static int64_t watermark_locked(rt_engine *e)
{
    int64_t wm = INT64_MAX;
    bool any = false;
    for (int i = 0; i < e->nsrc; i++) {
        if (e->src_time[i] == RT_SRC_PENDING)
            return INT64_MIN;
        if (e->src_time[i] != INT64_MIN) {
            wm = SP_MIN(wm, e->src_time[i]);
            any = true;
        }
    }
    if (!any)
        wm = e->newest;
    if (wm == INT64_MIN)
        return INT64_MIN;
    return wm - e->cfg.allowed_lateness;
}

/* ---- scheduled rules ---- */

static bool trigger(const rt_rule *r, int64_t n)
{
    switch (r->trig) {
    case RT_GT: return n > r->threshold;
    case RT_GE: return n >= r->threshold;
    case RT_LT: return n < r->threshold;
    case RT_LE: return n <= r->threshold;
    case RT_EQ: return n == r->threshold;
    case RT_NE: return n != r->threshold;
    }
    return false;
}

static int run_scheduled(rt_engine *e, rt_rule *r, int64_t tick, rt_rule_profile *acc)
{
    kexec_opts o;
    memset(&o, 0, sizeof o);
    o.now = tick;
    o.time_window = true;
    o.time_from = tick - r->period;
    o.time_to = tick;
    pthread_mutex_lock(&e->mu);
    e->st.rule_runs++;
    pthread_mutex_unlock(&e->mu);
    r->runs++;
    rule_clock k;
    krowset *rs;
    rt_bound *b = execute(e, r, &o, tick, 0, acc, &k, &rs);
    if (!b)
        return 0;
    int written = 0;
    if (trigger(r, (int64_t)krowset_rows(rs))) {
        rt_run run = {.rule = r, .rows = rs, .window_start = tick - r->period, .window_end = tick, .per_row = r->alert_per_result};
        written = rt_alerts_emit(e, &run);
    }
    krowset_free(rs);
    rt_rule_release(r, b);
    clock_alerted(&k, acc, written);
    rt_health_record(e, r, tick, true, NULL);
    return written;
}

static int64_t floor_to(int64_t t, int64_t step)
{
    int64_t q = t / step;
    if (t % step != 0 && t < 0)
        q--;
    return q * step;
}

/* ---- correlations ---- */

/* Runs the correlation over the events up to wm and writes the outputs whose window ends
 * in (corr_done, wm]. Earlier outputs were written by earlier runs; the lookback keeps
 * enough history for windows that straddle corr_done. */
static int run_correlation(rt_engine *e, rt_rule *r, int64_t wm, rt_rule_profile *acc)
{
    kexec_opts o;
    memset(&o, 0, sizeof o);
    o.now = wm;
    o.time_window = true;
    o.time_from = r->corr_done == INT64_MIN ? SP_DATETIME_MIN : r->corr_done - 4 * SP_MAX(r->corr_span, SP_TICKS_PER_SEC);
    o.time_to = wm + 1;
    pthread_mutex_lock(&e->mu);
    e->st.rule_runs++;
    pthread_mutex_unlock(&e->mu);
    r->runs++;
    rule_clock k;
    krowset *rs;
    rt_bound *b = execute(e, r, &o, wm, 0, acc, &k, &rs);
    if (!b)
        return 0;
    rt_run run = {.rule = r, .evidence = b->evidence, .rows = rs, .window_start = o.time_from, .window_end = wm,
                  .per_row = true, .end_filter = true, .end_after = r->corr_done, .end_upto = wm};
    int written = rt_alerts_emit(e, &run);
    krowset_free(rs);
    rt_rule_release(r, b);
    clock_alerted(&k, acc, written);
    r->corr_done = wm;
    return written;
}

/* ---- advancing ---- */

static int advance_to(rt_engine *e, int64_t wm, bool final)
{
    int written = 0;
    pthread_mutex_lock(&e->mu);
    int64_t oldest = e->oldest;
    pthread_mutex_unlock(&e->mu);
    if (wm == INT64_MIN || oldest == INT64_MAX)
        return 0;
    for (int i = 0; i < e->nrules; i++) {
        rt_rule *r = e->rules[i];
        if (r->kind == RT_SCHEDULED) {
            if (r->next_tick == INT64_MIN) {
                int64_t start = e->cfg.start_time ? e->cfg.start_time : oldest;
                r->next_tick = floor_to(start, r->freq) + r->freq;
            }
            /* A final advance also runs the tick whose window holds the newest event. */
            int64_t limit = final ? floor_to(wm, r->freq) + r->freq : wm;
            rt_rule_profile p = {0};
            while (r->next_tick <= limit) {
                written += run_scheduled(e, r, r->next_tick, e->cfg.profile ? &p : NULL);
                r->next_tick += r->freq;
            }
            if (e->cfg.profile)
                profile_merge(r, &p);
        } else if (r->kind == RT_CORRELATION && wm > r->corr_done) {
            rt_rule_profile p = {0};
            written += run_correlation(e, r, wm, e->cfg.profile ? &p : NULL);
            if (e->cfg.profile)
                profile_merge(r, &p);
        }
    }
    return written;
}

int rt_engine_advance(rt_engine *e)
{
    health_seal(e);
    pthread_mutex_lock(&e->mu);
    int64_t wm = watermark_locked(e);
    if (wm != INT64_MIN && wm > e->st.watermark)
        e->st.watermark = wm;
    wm = e->st.watermark;
    pthread_mutex_unlock(&e->mu);
    int written = advance_to(e, wm, false);
    health_seal(e);
    if (written)
        rt_sinks_flush(e);
    return written;
}

int rt_engine_finish(rt_engine *e)
{
    health_seal(e);
    pthread_mutex_lock(&e->mu);
    int64_t wm = e->newest;
    if (wm != INT64_MIN && wm > e->st.watermark)
        e->st.watermark = wm;
    pthread_mutex_unlock(&e->mu);
    int written = advance_to(e, wm, true);
    health_seal(e);
    rt_sinks_flush(e);
    return written;
}

void rt_engine_stats(rt_engine *e, rt_stats *out)
{
    pthread_mutex_lock(&e->mu);
    *out = e->st;
    pthread_mutex_unlock(&e->mu);
}

int rt_engine_rule_alerts(rt_engine *e, const char **names, uint64_t *counts, int cap)
{
    int n = 0;
    for (int i = 0; i < e->nrules && n < cap; i++) {
        pthread_mutex_lock(&e->rules[i]->mu);
        names[n] = e->rules[i]->name;
        counts[n] = e->rules[i]->alerts;
        pthread_mutex_unlock(&e->rules[i]->mu);
        n++;
    }
    return n;
}

/* ---- rule profiling ---- */

const char *rt_rule_kind_name(rt_rule_kind k)
{
    switch (k) {
    case RT_RULE_PER_EVENT: return "per-event";
    case RT_RULE_SCHEDULED: return "scheduled";
    case RT_RULE_CORRELATION: return "correlation";
    }
    return "?";
}

void rt_engine_rule_info(const rt_engine *e, int rule, rt_rule_info *out)
{
    const rt_rule *r = e->rules[rule];
    memset(out, 0, sizeof *out);
    out->id = r->id;
    out->name = r->name;
    out->file = r->file;
    out->severity = r->severity;
    out->kind = r->kind == RT_PER_EVENT ? RT_RULE_PER_EVENT : r->kind == RT_SCHEDULED ? RT_RULE_SCHEDULED : RT_RULE_CORRELATION;
    out->is_sigma = r->is_sigma;
    out->tables = (const char *const *)r->tables;
    out->ntables = r->ntables;
}

int rt_engine_rule_regexes(rt_engine *e, int rule, kexec_regex **out)
{
    rt_rule *r = e->rules[rule];
    sp_diag d;
    rt_bound *b = rt_rule_acquire(e, r, &d);
    int n = b ? kexec_plan_regexes(b->plan, out) : 0;
    if (!b)
        *out = NULL;
    rt_rule_release(r, b);
    return n;
}

void rt_engine_rule_profile(rt_engine *e, int rule, rt_rule_profile *out)
{
    rt_rule *r = e->rules[rule];
    pthread_mutex_lock(&r->mu);
    *out = r->prof;
    pthread_mutex_unlock(&r->mu);
}

/* The resident data's event-time range over every table (what the live clock would have
 * seen): oldest and newest event, INT64_MAX / INT64_MIN when there is none. */
static void store_time_range(sp_store *store, int64_t *oldest, int64_t *newest)
{
    *oldest = INT64_MAX;
    *newest = INT64_MIN;
    int n = sp_store_tables(store, NULL, 0);
    sp_table **ts = sp_xcalloc((size_t)(n ? n : 1), sizeof *ts);
    n = sp_store_tables(store, ts, n);
    for (int i = 0; i < n; i++) {
        sp_snapshot *snap = sp_table_snapshot(ts[i]);
        for (int c = 0; c < snap->nchunks; c++) {
            int64_t mn = sp_chunk_min_time(snap->chunks[c]), mx = sp_chunk_max_time(snap->chunks[c]);
            if (mn != INT64_MAX && mn < *oldest)
                *oldest = mn;
            if (mx != INT64_MIN && mx > *newest)
                *newest = mx;
        }
        sp_snapshot_free(snap);
    }
    free(ts);
}

/* Rows resident in the tables a rule reads. */
static uint64_t rule_events(rt_engine *e, const rt_rule *r)
{
    uint64_t rows = 0;
    for (int i = 0; i < r->ntables; i++) {
        sp_table *t = sp_store_find(e->store, r->tables[i]);
        if (!t)
            continue;
        sp_snapshot *snap = sp_table_snapshot(t);
        rows += snap->rows;
        sp_snapshot_free(snap);
    }
    return rows;
}

int rt_engine_profile_rule(rt_engine *e, int rule, rt_rule_profile *out)
{
    rt_rule *r = e->rules[rule];
    memset(out, 0, sizeof *out);
    int64_t oldest, newest;
    store_time_range(e->store, &oldest, &newest);
    pthread_mutex_lock(&e->mu);
    if (newest != INT64_MIN && newest > e->newest)
        e->newest = newest;
    if (oldest != INT64_MAX && oldest < e->oldest)
        e->oldest = oldest;
    pthread_mutex_unlock(&e->mu);
    /* Bound to the tables as they are now, before walking the tables it reads. */
    sp_diag d;
    rt_rule_release(r, rt_rule_acquire(e, r, &d));
    /* A fresh start: the same run, the same alerts, every time. */
    pthread_mutex_lock(&r->mu);
    r->next_tick = INT64_MIN;
    r->corr_done = INT64_MIN;
    r->suppressed_until = INT64_MIN;
    pthread_mutex_unlock(&r->mu);
    if (r->kind == RT_PER_EVENT) {
        for (int i = 0; i < r->ntables; i++) {
            sp_table *t = sp_store_find(e->store, r->tables[i]);
            if (!t)
                continue;
            sp_snapshot *snap = sp_table_snapshot(t);
            for (int c = 0; c < snap->nchunks; c++)
                run_per_event(e, r, t, snap->chunks[c], out, true);
            sp_snapshot_free(snap);
        }
    } else if (newest != INT64_MIN) {
        out->events = rule_events(e, r);
        if (r->kind == RT_SCHEDULED) {
            int64_t start = e->cfg.start_time ? e->cfg.start_time : oldest;
            int64_t limit = floor_to(newest, r->freq) + r->freq; /* as rt_engine_finish */
            for (int64_t tick = floor_to(start, r->freq) + r->freq; tick <= limit; tick += r->freq)
                run_scheduled(e, r, tick, out);
        } else {
            run_correlation(e, r, newest, out);
        }
    }
    health_seal(e);
    rt_sinks_flush(e);
    if (e->cfg.profile)
        profile_merge(r, out);
    return out->failures ? -1 : 0;
}

/* ---- the file sink ---- */

typedef struct file_sink {
    rt_sink base;
    FILE *f;
    bool owned, regular;
    char name[512];
} file_sink;

static int file_write(rt_sink *s, const char *json, size_t len)
{
    file_sink *f = (file_sink *)s;
    if (fwrite(json, 1, len, f->f) != len || fputc('\n', f->f) == EOF)
        return -1;
    return 0;
}

static int file_flush(rt_sink *s)
{
    file_sink *f = (file_sink *)s;
    if (fflush(f->f) != 0)
        return -1;
    if (f->regular && fsync(fileno(f->f)) != 0)
        return -1;
    return 0;
}

static void file_close(rt_sink *s)
{
    file_sink *f = (file_sink *)s;
    fflush(f->f);
    if (f->owned)
        fclose(f->f);
    free(f);
}

rt_sink *rt_sink_file(const char *path, sp_diag *err)
{
    file_sink *f = sp_xcalloc(1, sizeof *f);
    if (!strcmp(path, "-")) {
        f->f = stdout;
        snprintf(f->name, sizeof f->name, "stdout");
    } else {
        f->f = fopen(path, "a");
        if (!f->f) {
            sp_diag_set(err, path, 0, 0, "cannot open the alert file");
            free(f);
            return NULL;
        }
        f->owned = true;
        struct stat st;
        f->regular = fstat(fileno(f->f), &st) == 0 && S_ISREG(st.st_mode);
        snprintf(f->name, sizeof f->name, "file:%s", path);
    }
    f->base.write = file_write;
    f->base.flush = file_flush;
    f->base.close = file_close;
    f->base.name = f->name;
    return &f->base;
}
