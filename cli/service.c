/* service.c — the streaming service assembled from its parts: a store with retention, the
 * rules runtime with its sinks, an ingest front end and the Kafka consumer-group workers,
 * plus the scheduler step the main thread runs. `socpipe run` and `socpipe bench kafka`
 * both drive it, so the benchmark measures the service, not a lookalike.
 *
 * Wiring. The workers report event-time progress per topic-partition to the runtime
 * (rt_engine_watermark / rt_engine_source_idle; a partition just assigned is pending,
 * rt_engine_source_pending, and holds scheduled rules back until it has delivered its
 * first records or gone idle) and, before storing offsets, ask whether
 * every sink acknowledged every alert so far; each sink is wrapped in rt_sink_watch for
 * that. The main thread calls svc_step every 20 ms: the memory budget each time, scheduled
 * rules and correlations (rt_engine_advance), retention and one merge of small chunks per
 * table (sp_store_merge_chunks) once a second.
 *
 * Merging. Workers seal a chunk at 16 MB of text (sign-ins: ~8,800 rows), so a stream
 * leaves many small chunks, and a scheduled rule pays for each. Once a second every table
 * merges one run of them into a chunk of up to chunk_rows rows, after the rules of that
 * second ran: a run of sign-in chunks costs ~20 ms of this thread, never a worker's time.
 *
 * Memory budget. Retention keeps `retention` of event time, measured back from the newest
 * event stored (not the wall clock, so a replayed stream keeps its window). When the store
 * is still above memory_budget after that, the workers pause their partitions: records
 * wait in Kafka, not in memory. They resume below 90% of the budget. If the store stays
 * above the budget for pressure_grace (the window itself does not fit), the oldest chunks
 * are evicted down to 90% with a warning, because a consumer paused forever helps no one.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/runtime/runtime.h"
#include "ingest/ingest.h"

#define PRESSURE_GRACE_MS 30000

struct svc {
    const rt_service_config *cfg;
    sp_store *store;
    rt_engine *engine;
    ing *g;
    ing_kafka *kafka;
    rt_sink *watched[16];
    int nwatched;
    ing_kafka_topic *topics;
    ing_kafka_prop *props;
    bool paused;
    int64_t paused_since; /* monotonic ms */
    int64_t last_advance;
    /* status line */
    int64_t last_status;
    uint64_t last_records;
};

int64_t svc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_watermark(void *ctx, int source, int64_t t)
{
    rt_engine_watermark(((svc *)ctx)->engine, source, t);
}

static void on_idle(void *ctx, int source)
{
    rt_engine_source_idle(((svc *)ctx)->engine, source);
}

static void on_pending(void *ctx, int source)
{
    rt_engine_source_pending(((svc *)ctx)->engine, source);
}

static int on_ack(void *ctx)
{
    svc *s = ctx;
    for (int i = 0; i < s->nwatched; i++)
        if (rt_sink_failed(s->watched[i]))
            return -1;
    return 0;
}

static void add_sink(svc *s, rt_sink *inner)
{
    rt_sink *w = rt_sink_watch(inner);
    if (s->nwatched < (int)SP_ARRAY_LEN(s->watched))
        s->watched[s->nwatched++] = w;
    rt_engine_add_sink(s->engine, w);
}

static void print_rule_diag(void *ctx, const sp_diag *d)
{
    int *errors = ctx;
    sp_diag_print(stderr, d);
    if (!d->is_warning)
        (*errors)++;
}

static ing_kafka_prop *kafka_props(const rt_kafka_prop *p, int n)
{
    ing_kafka_prop *v = sp_xcalloc((size_t)n + 1, sizeof *v);
    for (int i = 0; i < n; i++)
        v[i] = (ing_kafka_prop){p[i].key, p[i].value, p[i].secret};
    return v;
}

/* Closes sinks the engine has not taken (svc_start owns the extra sinks, also on failure). */
static void close_sinks(rt_sink *const *v, int n)
{
    for (int i = 0; i < n; i++)
        v[i]->close(v[i]);
}

static int open_sinks(svc *s, rt_sink *const *extra, int nextra)
{
    const rt_service_config *cfg = s->cfg;
    for (int i = 0; i < cfg->nsinks; i++) {
        const rt_sink_config *sc = &cfg->sinks[i];
        sp_diag d = {0};
        rt_sink *k = NULL;
        if (sc->type == RT_SINK_KAFKA) {
            ing_kafka_prop *p = kafka_props(sc->props, sc->nprops);
            k = ing_kafka_sink_new(p, sc->nprops, sc->topic, &d);
            free(p);
        } else {
            k = rt_sink_file(sc->type == RT_SINK_STDOUT ? "-" : sc->path, &d);
        }
        if (!k) {
            fprintf(stderr, "socpipe: sink %d: %s\n", i + 1, d.msg);
            close_sinks(extra, nextra);
            return -1;
        }
        add_sink(s, k);
    }
    for (int i = 0; i < nextra; i++)
        add_sink(s, extra[i]);
    return 0;
}

svc *svc_start(const rt_service_config *cfg, rt_sink *const *extra, int nextra, int *exit_code)
{
    svc *s = sp_xcalloc(1, sizeof *s);
    s->cfg = cfg;
    sp_store_config sc = {.retention_ticks = cfg->retention};
    s->store = sp_store_new(&sc);
    rt_config rc = {.allowed_lateness = cfg->lateness,
                    .watchlist_dir = cfg->watchlists,
                    .sigma_placeholders = cfg->sigma_placeholders,
                    .sigma_mapping = cfg->sigma_mapping,
                    .self_health = cfg->health};
    s->engine = rt_engine_new(s->store, &rc);
    int errors = 0;
    for (int i = 0; i < cfg->nrules; i++)
        if (rt_engine_load_rules(s->engine, cfg->rules[i], print_rule_diag, &errors) < 0) {
            fprintf(stderr, "socpipe: cannot read rules from %s\n", cfg->rules[i]);
            errors++;
        }
    if (errors) {
        fprintf(stderr, "socpipe: %d rule error%s: not starting\n", errors, errors == 1 ? "" : "s");
        close_sinks(extra, nextra);
        *exit_code = SP_EXIT_USAGE;
        svc_free(s);
        return NULL;
    }
    if (open_sinks(s, extra, nextra)) {
        *exit_code = SP_EXIT_FAIL;
        svc_free(s);
        return NULL;
    }
    sp_diag d = {0};
    ing_config ic = {.dead_letter = cfg->dead_letter};
    s->g = ing_new(s->store, &ic, &d);
    if (!s->g) {
        sp_diag_print(stderr, &d);
        *exit_code = SP_EXIT_FAIL;
        svc_free(s);
        return NULL;
    }
    s->topics = sp_xcalloc((size_t)cfg->ntopics, sizeof *s->topics);
    for (int i = 0; i < cfg->ntopics; i++)
        s->topics[i] = (ing_kafka_topic){cfg->topics[i].name, cfg->topics[i].table};
    s->props = kafka_props(cfg->props, cfg->nprops);
    ing_kafka_config kc = {.group = cfg->group,
                           .topics = s->topics,
                           .ntopics = cfg->ntopics,
                           .props = s->props,
                           .nprops = cfg->nprops,
                           .workers = cfg->workers,
                           .flush_messages = cfg->flush_messages,
                           .flush_interval = cfg->flush_interval,
                           .idle_timeout = cfg->idle_timeout,
                           .watermark = on_watermark,
                           .source_idle = on_idle,
                           .source_pending = on_pending,
                           .acknowledged = on_ack,
                           .ctx = s};
    s->kafka = ing_kafka_start(s->g, &kc, &d);
    if (!s->kafka) {
        fprintf(stderr, "socpipe: %s\n", d.msg);
        *exit_code = SP_EXIT_FAIL;
        svc_free(s);
        return NULL;
    }
    s->last_status = s->last_advance = svc_now_ms();
    sp_log(SP_LOG_INFO, "consuming %d topic(s) from %s as group %s with %d worker(s), %d rule(s)", cfg->ntopics,
           cfg->brokers, cfg->group, cfg->workers, rt_engine_rule_count(s->engine));
    return s;
}

/* The newest event time in the store: "now" for retention. */
static int64_t newest_event(sp_store *st)
{
    sp_table *tabs[512];
    int n = sp_store_tables(st, tabs, (int)SP_ARRAY_LEN(tabs));
    int64_t newest = INT64_MIN;
    for (int i = 0; i < n && i < (int)SP_ARRAY_LEN(tabs); i++) {
        sp_table_stats ts;
        sp_table_stats_get(tabs[i], &ts);
        if (ts.rows && ts.max_time > newest)
            newest = ts.max_time;
    }
    return newest;
}

typedef struct chunk_age {
    int64_t max_time;
    uint64_t bytes;
} chunk_age;

static int cmp_age(const void *a, const void *b)
{
    int64_t x = ((const chunk_age *)a)->max_time, y = ((const chunk_age *)b)->max_time;
    return x < y ? -1 : x > y;
}

/* Evicts the chunks with the oldest events until the store is at or below target bytes,
 * by moving the retention horizon forward (the store's own eviction path). */
static uint64_t evict_to(svc *s, uint64_t target)
{
    sp_table *tabs[512];
    int nt = sp_store_tables(s->store, tabs, (int)SP_ARRAY_LEN(tabs));
    chunk_age *v = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < nt && i < (int)SP_ARRAY_LEN(tabs); i++) {
        sp_snapshot *snap = sp_table_snapshot(tabs[i]);
        for (int k = 0; k < snap->nchunks; k++) {
            int64_t t = sp_chunk_max_time(snap->chunks[k]);
            if (t == INT64_MIN)
                continue;
            SP_GROW(v, cap, n + 1);
            v[n++] = (chunk_age){t, sp_chunk_bytes(snap->chunks[k])};
        }
        sp_snapshot_free(snap);
    }
    qsort(v, n, sizeof *v, cmp_age);
    uint64_t bytes = sp_store_bytes(s->store);
    int64_t horizon = INT64_MIN;
    for (size_t i = 0; i < n && bytes > target; i++) {
        bytes -= SP_MIN(bytes, v[i].bytes);
        horizon = v[i].max_time + 1;
    }
    free(v);
    if (horizon == INT64_MIN || s->cfg->retention <= 0)
        return 0;
    return sp_store_enforce_retention(s->store, horizon + s->cfg->retention);
}

static void memory_step(svc *s, int64_t now, bool retention)
{
    if (retention) {
        int64_t newest = newest_event(s->store);
        if (newest != INT64_MIN)
            sp_store_enforce_retention(s->store, newest);
    }
    uint64_t bytes = sp_store_bytes(s->store), budget = s->cfg->memory_budget;
    if (!budget)
        return;
    if (!s->paused && bytes > budget) {
        s->paused = true;
        s->paused_since = now;
        ing_kafka_pause(s->kafka, true);
        sp_log(SP_LOG_WARN, "store %.0f MB is above memory_budget %.0f MB after retention: consumption paused",
               (double)bytes / 1e6, (double)budget / 1e6);
    } else if (s->paused && bytes < budget / 10 * 9) {
        s->paused = false;
        ing_kafka_pause(s->kafka, false);
        sp_log(SP_LOG_INFO, "store %.0f MB is below memory_budget again: consumption resumed", (double)bytes / 1e6);
    } else if (s->paused && now - s->paused_since > PRESSURE_GRACE_MS) {
        uint64_t rows = evict_to(s, budget / 10 * 9);
        sp_log(SP_LOG_WARN,
               "the retention window does not fit memory_budget: evicted %llu of the oldest rows (rules "
               "looking further back will miss them); raise memory_budget or shorten retention",
               (unsigned long long)rows);
        s->paused_since = now;
    }
}

int svc_step(svc *s)
{
    int64_t now = svc_now_ms();
    bool second = now - s->last_advance >= 1000;
    if (second) {
        rt_engine_advance(s->engine);
        uint32_t merged = sp_store_merge_chunks(s->store, 1);
        if (merged)
            sp_log(SP_LOG_DEBUG, "store: merged %u small chunks into larger ones", merged);
        s->last_advance = now;
    }
    /* The budget is checked every step: workers ingest hundreds of MB a second. */
    memory_step(s, now, second);
    return ing_kafka_done(s->kafka) ? 1 : 0;
}

void svc_stats(svc *s, svc_counters *out)
{
    ing_stats is;
    ing_stats_get(s->g, &is);
    ing_kafka_stats ks;
    ing_kafka_stats_get(s->kafka, &ks);
    rt_stats rs;
    rt_engine_stats(s->engine, &rs);
    out->records = is.records;
    out->rows = is.rows;
    out->duplicates = is.duplicates;
    out->rejected = is.rejected;
    out->messages = ks.messages;
    out->bytes = ks.bytes;
    out->alerts = rs.alerts;
    out->lag = ks.lag;
    out->assigned = ks.assigned;
    out->members = ks.members;
    out->paused = ks.paused;
}

void svc_status(svc *s, FILE *f, bool force)
{
    int64_t now = svc_now_ms();
    if (!force && now - s->last_status < 5000)
        return;
    svc_counters c;
    svc_stats(s, &c);
    double secs = (double)(now - s->last_status) / 1000.0;
    double eps = secs > 0 ? (double)(c.records - s->last_records) / secs : 0;
    char lag[32];
    if (c.lag >= 0)
        snprintf(lag, sizeof lag, "%lld", (long long)c.lag);
    else
        snprintf(lag, sizeof lag, "unknown");
    fprintf(f, "socpipe: %.0f events/s, lag %s, %d partition(s), %llu records (%llu rejected), %llu alerts%s\n",
            eps, lag, c.assigned, (unsigned long long)c.records, (unsigned long long)c.rejected,
            (unsigned long long)c.alerts, c.paused ? ", paused (memory budget)" : "");
    s->last_status = now;
    s->last_records = c.records;
}

void svc_pause(svc *s, bool pause)
{
    ing_kafka_pause(s->kafka, pause);
}

int svc_stop(svc *s)
{
    ing_kafka_stop(s->kafka);
    sp_diag d = {0};
    int rc = ing_kafka_join(s->kafka, &d);
    if (rc)
        fprintf(stderr, "socpipe: %s\n", d.msg);
    /* Settle what the watermark allows; windows still open stay open (not finish: the next
     * run or another group member continues them). */
    rt_engine_advance(s->engine);
    if (on_ack(s) != 0) {
        fprintf(stderr, "socpipe: an alert sink failed; records whose alerts were not acknowledged will be "
                        "consumed again on restart\n");
        rc = -1;
    }
    return rc ? SP_EXIT_FAIL : SP_EXIT_OK;
}

int svc_finish(svc *s)
{
    rt_engine_finish(s->engine);
    if (on_ack(s) != 0) {
        fprintf(stderr, "socpipe: an alert sink failed while the last scheduled rules ran\n");
        return SP_EXIT_FAIL;
    }
    return SP_EXIT_OK;
}

rt_engine *svc_engine(svc *s)
{
    return s->engine;
}

ing *svc_ingest(svc *s)
{
    return s->g;
}

void svc_free(svc *s)
{
    if (!s)
        return;
    ing_kafka_free(s->kafka);
    ing_free(s->g);
    rt_engine_free(s->engine); /* flushes and closes the sinks */
    sp_store_free(s->store);
    free(s->topics);
    free(s->props);
    free(s);
}
