/* kafka_support.c — see kafka_support.h. */
#include "tests/unit/support/kafka_support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/gen/gen.h"

static void die(const char *what, const char *why)
{
    fprintf(stderr, "kafka_support: %s: %s\n", what, why);
    abort();
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- mock cluster ------------------------------------------------------------------------- */

kt_cluster *kt_cluster_new(int brokers)
{
    kt_cluster *c = sp_xcalloc(1, sizeof *c);
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* The mock cluster lives in a handle of its own; it needs no bootstrap servers, and its
     * warning about that is noise. */
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
    c->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!c->rk)
        die("mock handle", err);
    c->mc = rd_kafka_mock_cluster_new(c->rk, brokers);
    if (!c->mc)
        die("mock cluster", "cannot create");
    c->bootstraps = sp_xstrdup(rd_kafka_mock_cluster_bootstraps(c->mc));
    return c;
}

void kt_topic_create(kt_cluster *c, const char *topic, int partitions)
{
    if (rd_kafka_mock_topic_create(c->mc, topic, partitions, 1))
        die("topic", topic);
}

void kt_cluster_free(kt_cluster *c)
{
    if (!c)
        return;
    rd_kafka_mock_cluster_destroy(c->mc);
    rd_kafka_destroy(c->rk);
    free(c->bootstraps);
    free(c);
}

/* ---- generated messages --------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts v and drops repeated strings (freeing them); returns the new count. */
static size_t sort_unique(char **v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && !strcmp(v[k - 1], v[i]))
            free(v[i]);
        else
            v[k++] = v[i];
    }
    return k;
}

bool kt_sorted_has(char *const *sorted, size_t n, const char *s)
{
    return bsearch(&s, sorted, n, sizeof *sorted, cmp_str) != NULL;
}

void kt_batch_gen(kt_batch *b, uint64_t seed, size_t records, int per_message)
{
    memset(b, 0, sizeof *b);
    gen_options opt = {.table = "SigninLogs",
                       .seed = seed,
                       .events = records,
                       .attacks = true,
                       .envelope = per_message > 1 ? GEN_ENV_EVENTHUBS : GEN_ENV_LOGANALYTICS};
    gen *g;
    sp_diag d = {0};
    if (gen_new(&opt, &g, &d))
        die("gen", d.msg);
    size_t nmsg = (records + (size_t)per_message - 1) / (size_t)per_message;
    b->msgs = sp_xcalloc(nmsg, sizeof *b->msgs);
    b->lens = sp_xcalloc(nmsg, sizeof *b->lens);
    b->keys = sp_xcalloc(nmsg, sizeof *b->keys);
    b->ids = sp_xcalloc(records, sizeof *b->ids);
    b->match_ids = sp_xcalloc(records, sizeof *b->match_ids);
    b->max_time = INT64_MIN;
    sp_buf m = {0};
    for (size_t done = 0; done < records;) {
        m.len = 0;
        size_t k = SP_MIN((size_t)per_message, records - done);
        if (per_message > 1)
            sp_buf_puts(&m, "{\"records\":[");
        for (size_t j = 0; j < k; j++) {
            gen_event ev;
            if (j)
                sp_buf_putc(&m, ',');
            size_t at = m.len;
            gen_next(g, &m, &ev);
            b->ids[b->nids++] = sp_xstrndup(ev.id, ev.id_len);
            /* ResultType (Log Analytics) or resultType (Event Hubs) */
            static const char rt[] = "esultType\":\"50126\"";
            if (memmem(m.data + at, m.len - at, rt, sizeof rt - 1))
                b->match_ids[b->nmatch++] = sp_xstrndup(ev.id, ev.id_len);
            if (ev.time > b->max_time)
                b->max_time = ev.time;
            if (j == 0)
                b->keys[b->n] = sp_xstrndup(ev.key, ev.key_len);
        }
        if (per_message > 1)
            sp_buf_puts(&m, "]}");
        b->msgs[b->n] = sp_xstrndup(m.data, m.len);
        b->lens[b->n] = m.len;
        b->n++;
        done += k;
    }
    sp_buf_free(&m);
    gen_free(g);
    /* The generator re-delivers some records on purpose (its duplicate_ingestion scenario:
     * exact copies, same id): the store keeps one, so the expectations list each id once. */
    b->nids = sort_unique(b->ids, b->nids);
    b->nmatch = sort_unique(b->match_ids, b->nmatch);
}

void kt_batch_free(kt_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->msgs[i]);
        free(b->keys[i]);
    }
    kt_strings_free(b->ids, b->nids);
    kt_strings_free(b->match_ids, b->nmatch);
    free(b->msgs);
    free(b->lens);
    free(b->keys);
    memset(b, 0, sizeof *b);
}

static rd_kafka_t *producer_new(kt_cluster *c)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err) || /* faults are on purpose */
        rd_kafka_conf_set(conf, "bootstrap.servers", c->bootstraps, err, sizeof err) ||
        rd_kafka_conf_set(conf, "compression.codec", "lz4", err, sizeof err) ||
        rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err) ||
        rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof err))
        die("producer conf", err);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!p)
        die("producer", err);
    return p;
}

static void produce_one(rd_kafka_t *p, const char *topic, const kt_batch *b, size_t i)
{
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE(b->msgs[i], b->lens[i]),
            RD_KAFKA_V_KEY(b->keys[i], strlen(b->keys[i])), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_END);
        if (!e)
            break;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            die("produce", rd_kafka_err2str(e));
        rd_kafka_poll(p, 10);
    }
    rd_kafka_poll(p, 0);
}

static void producer_finish(rd_kafka_t *p)
{
    if (rd_kafka_flush(p, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        die("produce", "messages not delivered in 30 s");
    rd_kafka_destroy(p);
}

void kt_produce(kt_cluster *c, const char *topic, const kt_batch *b, size_t from, size_t to)
{
    rd_kafka_t *p = producer_new(c);
    for (size_t i = from; i < to && i < b->n; i++)
        produce_one(p, topic, b, i);
    producer_finish(p);
}

struct kt_producer {
    kt_cluster *c;
    const char *topic;
    const kt_batch *b;
    double seconds;
    atomic_size_t sent;
    pthread_t th;
};

static void *producer_main(void *arg)
{
    kt_producer *pr = arg;
    rd_kafka_t *p = producer_new(pr->c);
    int64_t t0 = now_ms();
    for (size_t i = 0; i < pr->b->n; i++) {
        /* Keep to the schedule: message i is due at i/n of the run. */
        int64_t due = t0 + (int64_t)(pr->seconds * 1000.0 * (double)i / (double)pr->b->n);
        while (now_ms() < due)
            rd_kafka_poll(p, 5);
        produce_one(p, pr->topic, pr->b, i);
        atomic_store(&pr->sent, i + 1);
    }
    producer_finish(p);
    return NULL;
}

kt_producer *kt_producer_start(kt_cluster *c, const char *topic, const kt_batch *b, double seconds)
{
    kt_producer *p = sp_xcalloc(1, sizeof *p);
    p->c = c;
    p->topic = topic;
    p->b = b;
    p->seconds = seconds;
    if (pthread_create(&p->th, NULL, producer_main, p))
        die("producer", "thread");
    return p;
}

size_t kt_producer_sent(kt_producer *p)
{
    return atomic_load(&p->sent);
}

void kt_producer_join(kt_producer *p)
{
    pthread_join(p->th, NULL);
    free(p);
}

/* ---- probe ------------------------------------------------------------------------------------ */

static int source_slot(kt_probe *r, int source)
{
    for (int i = 0; i < r->nsources; i++)
        if (r->sources[i] == source)
            return i;
    if (r->nsources == KT_MAX_SOURCES)
        abort();
    r->sources[r->nsources] = source;
    r->watermark[r->nsources] = INT64_MIN;
    r->idle[r->nsources] = 0;
    r->pending[r->nsources] = 0;
    r->pending_before_first[r->nsources] = false;
    return r->nsources++;
}

void kt_probe_watermark(void *ctx, int source, int64_t t)
{
    kt_probe *r = ctx;
    pthread_mutex_lock(&r->mu);
    int i = source_slot(r, source);
    if (r->watermark[i] == INT64_MIN)
        r->pending_before_first[i] = r->pending[i] > 0;
    if (t > r->watermark[i])
        r->watermark[i] = t;
    pthread_mutex_unlock(&r->mu);
    rt_engine_watermark(r->engine, source, t);
}

void kt_probe_pending(void *ctx, int source)
{
    kt_probe *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->pending[source_slot(r, source)]++;
    pthread_mutex_unlock(&r->mu);
    rt_engine_source_pending(r->engine, source);
}

void kt_probe_idle(void *ctx, int source)
{
    kt_probe *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->idle[source_slot(r, source)]++;
    pthread_mutex_unlock(&r->mu);
    rt_engine_source_idle(r->engine, source);
}

int kt_probe_ack(void *ctx)
{
    kt_probe *r = ctx;
    for (int i = 0; i < r->nwatched; i++)
        if (rt_sink_failed(r->watched[i]))
            return -1;
    return 0;
}

/* ---- inspection ----------------------------------------------------------------------------- */

uint64_t kt_wait_rows(sp_store *s, const char *table, uint64_t rows, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    sp_table_stats st = {0};
    for (;;) {
        sp_table *t = sp_store_find(s, table);
        if (t)
            sp_table_stats_get(t, &st);
        if (st.rows_ingested >= rows || now_ms() >= end)
            return st.rows_ingested;
        usleep(20000);
    }
}

char **kt_store_column(sp_store *s, const char *table, const char *col, size_t *n)
{
    *n = 0;
    sp_table *t = sp_store_find(s, table);
    if (!t)
        return NULL;
    sp_snapshot *snap = sp_table_snapshot(t);
    int ci = sp_schema_find(snap->schema, col, strlen(col));
    char **v = sp_xcalloc(snap->rows + 1, sizeof *v);
    for (int k = 0; ci >= 0 && k < snap->nchunks; k++) {
        sp_colview cv;
        sp_chunk_col(snap->chunks[k], ci, &cv);
        for (uint32_t r = 0; r < cv.rows; r++) {
            size_t len;
            const char *p = sp_colview_text(&cv, r, &len);
            v[(*n)++] = sp_xstrndup(p, len);
        }
    }
    sp_snapshot_free(snap);
    qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

char **kt_topic_keys(kt_cluster *c, const char *topic, int partitions, size_t expect, int timeout_ms,
                     size_t *n)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", c->bootstraps, err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", "kt-reader", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk)
        die("reader", err);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++) /* assigned, not subscribed: no group to join */
        rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    size_t cap = expect + 16;
    char **v = sp_xcalloc(cap, sizeof *v);
    *n = 0;
    int64_t end = now_ms() + timeout_ms, quiet_until = 0;
    while (now_ms() < end) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
        if (!m) {
            /* Once the expected count is reached, wait a little longer for extras. */
            if (*n >= expect && quiet_until == 0)
                quiet_until = now_ms() + 500;
            if (quiet_until && now_ms() >= quiet_until)
                break;
            continue;
        }
        if (!m->err) {
            if (*n == cap)
                v = sp_xrealloc(v, (cap *= 2) * sizeof *v);
            v[(*n)++] = m->key ? sp_xstrndup(m->key, m->key_len) : sp_xstrdup("");
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

void kt_committed(kt_cluster *c, const char *group, const char *topic, int partitions, int64_t *committed,
                  int64_t *high)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", c->bootstraps, err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", group, err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk)
        die("committed", err);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(l, topic, p);
    rd_kafka_resp_err_t e = rd_kafka_committed(rk, l, 10000);
    if (e)
        die("committed", rd_kafka_err2str(e));
    *committed = *high = 0;
    for (int p = 0; p < partitions; p++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000))
            die("watermarks", topic);
        *high += hi;
        if (getenv("KT_DEBUG"))
            fprintf(stderr, "kt: %s/%d committed %lld high %lld (%s)\n", topic, p, (long long)l->elems[p].offset,
                    (long long)hi, rd_kafka_err2str(l->elems[p].err));
        if (l->elems[p].offset >= 0)
            *committed += l->elems[p].offset;
    }
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
}

void kt_strings_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

bool kt_exactly_once(char *const *have, size_t nhave, char *const *want, size_t nwant)
{
    if (nhave != nwant) {
        fprintf(stderr, "kt_exactly_once: %zu values, %zu expected\n", nhave, nwant);
        return false;
    }
    for (size_t i = 0; i < nwant; i++)
        if (strcmp(have[i], want[i]) != 0) {
            fprintf(stderr, "kt_exactly_once: '%s' where '%s' was expected\n", have[i], want[i]);
            return false;
        }
    return true;
}

char **kt_union(char *const *a, size_t na, char *const *b, size_t nb, size_t *n)
{
    char **v = sp_xcalloc(na + nb + 1, sizeof *v);
    *n = 0;
    for (size_t i = 0; i < na; i++)
        v[(*n)++] = a[i];
    for (size_t i = 0; i < nb; i++)
        v[(*n)++] = b[i];
    qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

typedef struct kt_mem_sink {
    rt_sink base;
    pthread_mutex_t mu;
    char **ids, **events;
    size_t n, cap;
    int fail_after;
} kt_mem_sink;

/* The string value after needle in json (from `from` on), or NULL. */
static char *json_value_after(const char *json, size_t len, const char *from, const char *needle)
{
    const char *p = memmem(from, len - (size_t)(from - json), needle, strlen(needle));
    if (!p)
        return NULL;
    p += strlen(needle);
    const char *e = memchr(p, '"', len - (size_t)(p - json));
    return e ? sp_xstrndup(p, (size_t)(e - p)) : NULL;
}

static int mem_write(rt_sink *self, const char *json, size_t len)
{
    kt_mem_sink *s = (kt_mem_sink *)self;
    char *id = json_value_after(json, len, json, "\"AlertId\":\"");
    const char *ev = memmem(json, len, "\"Events\":[", 10);
    char *eid = ev ? json_value_after(json, len, ev, "\"Id\":\"") : NULL;
    if (!id || !eid) {
        free(id);
        free(eid);
        return -1;
    }
    pthread_mutex_lock(&s->mu);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->ids = sp_xrealloc(s->ids, s->cap * sizeof *s->ids);
        s->events = sp_xrealloc(s->events, s->cap * sizeof *s->events);
    }
    s->ids[s->n] = id;
    s->events[s->n++] = eid;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static int mem_flush(rt_sink *self)
{
    kt_mem_sink *s = (kt_mem_sink *)self;
    pthread_mutex_lock(&s->mu);
    int rc = s->fail_after >= 0 && s->n > (size_t)s->fail_after ? -1 : 0;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static void mem_close(rt_sink *self)
{
    kt_mem_sink *s = (kt_mem_sink *)self;
    kt_strings_free(s->ids, s->n);
    kt_strings_free(s->events, s->n);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

rt_sink *kt_mem_sink_new(int fail_after)
{
    kt_mem_sink *s = sp_xcalloc(1, sizeof *s);
    s->base = (rt_sink){.write = mem_write, .flush = mem_flush, .close = mem_close, .name = "memory"};
    s->fail_after = fail_after;
    pthread_mutex_init(&s->mu, NULL);
    return &s->base;
}

static char **mem_copy(rt_sink *self, bool events, size_t *n)
{
    kt_mem_sink *s = (kt_mem_sink *)self;
    pthread_mutex_lock(&s->mu);
    char **v = sp_xcalloc(s->n + 1, sizeof *v);
    for (size_t i = 0; i < s->n; i++)
        v[i] = sp_xstrdup(events ? s->events[i] : s->ids[i]);
    *n = s->n;
    pthread_mutex_unlock(&s->mu);
    qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

char **kt_mem_sink_ids(rt_sink *s, size_t *n)
{
    return mem_copy(s, false, n);
}

char **kt_mem_sink_event_ids(rt_sink *s, size_t *n)
{
    return mem_copy(s, true, n);
}

/* ---- harness ---------------------------------------------------------------------------- */

static void harness_sink(kt_harness *h, rt_sink *inner)
{
    rt_sink *w = rt_sink_watch(inner);
    h->probe.watched[h->probe.nwatched++] = w;
    rt_engine_add_sink(h->engine, w);
}

void kt_harness_start(kt_harness *h, kt_cluster *c, int mem_fail_after)
{
    memset(h, 0, sizeof *h);
    h->c = c;
    pthread_mutex_init(&h->probe.mu, NULL);
    h->store = sp_store_new(NULL);
    rt_config rc = {.allowed_lateness = SP_TICKS_PER_MIN};
    h->engine = rt_engine_new(h->store, &rc);
    h->probe.engine = h->engine;
    char dir[] = "/tmp/socpipe-kt-XXXXXX";
    assert_non_null(mkdtemp(dir));
    snprintf(h->rule_dir, sizeof h->rule_dir, "%s", dir);
    snprintf(h->rule_path, sizeof h->rule_path, "%s/rule.yml", dir);
    FILE *f = fopen(h->rule_path, "w");
    assert_non_null(f);
    fputs(KT_RULE, f);
    fclose(f);
    assert_int_equal(rt_engine_load_rules(h->engine, h->rule_path, NULL, NULL), 0);
    assert_int_equal(rt_engine_rule_count(h->engine), 1);
    h->mem = kt_mem_sink_new(mem_fail_after);
    harness_sink(h, h->mem);
    ing_config ic = {.report_limit = -1};
    sp_diag d = {0};
    h->g = ing_new(h->store, &ic, &d);
    assert_non_null(h->g);
}

void kt_harness_end(kt_harness *h)
{
    ing_free(h->g);
    rt_engine_free(h->engine); /* closes the sinks */
    sp_store_free(h->store);
    pthread_mutex_destroy(&h->probe.mu);
    unlink(h->rule_path);
    rmdir(h->rule_dir);
}

void kt_harness_kafka_sink(kt_harness *h, const char *topic)
{
    ing_kafka_prop p[] = {{"bootstrap.servers", h->c->bootstraps, false}};
    sp_diag d = {0};
    rt_sink *s = ing_kafka_sink_new(p, 1, topic, &d);
    assert_non_null(s);
    harness_sink(h, s);
}

void kt_kafka_config(ing_kafka_config *cfg, ing_kafka_prop *props, kt_harness *h, const char *group,
                     const ing_kafka_topic *topics, int ntopics, int workers)
{
    int n = 0;
    props[n++] = (ing_kafka_prop){"bootstrap.servers", h->c->bootstraps, false};
    /* The mock group coordinator waits session.timeout.ms - 1 s for members to rejoin, and
     * 3 s on a group's first join; members must outlive that first wait. */
    props[n++] = (ing_kafka_prop){"session.timeout.ms", "4000", false};
    props[n++] = (ing_kafka_prop){"heartbeat.interval.ms", "300", false};
    props[n++] = (ing_kafka_prop){"reconnect.backoff.max.ms", "500", false}; /* brokers come back */
    memset(cfg, 0, sizeof *cfg);
    cfg->group = group;
    cfg->topics = topics;
    cfg->ntopics = ntopics;
    cfg->props = props;
    cfg->nprops = n;
    cfg->workers = workers;
    cfg->flush_messages = 500;
    cfg->flush_interval = 50 * SP_TICKS_PER_MS;
    cfg->idle_timeout = 2 * SP_TICKS_PER_SEC;
    cfg->watermark = kt_probe_watermark;
    cfg->source_idle = kt_probe_idle;
    cfg->source_pending = kt_probe_pending;
    cfg->acknowledged = kt_probe_ack;
    cfg->ctx = &h->probe;
}

ing_kafka *kt_group_start(kt_harness *h, const char *group, const ing_kafka_topic *topics, int ntopics,
                          int workers, ing_kafka_config *cfg, ing_kafka_prop *props)
{
    kt_kafka_config(cfg, props, h, group, topics, ntopics, workers);
    return kt_group_start_cfg(h, cfg);
}

ing_kafka *kt_group_start_cfg(kt_harness *h, const ing_kafka_config *cfg)
{
    sp_diag d = {0};
    ing_kafka *k = ing_kafka_start(h->g, cfg, &d);
    if (!k)
        fprintf(stderr, "ing_kafka_start: %s\n", d.msg);
    assert_non_null(k);
    return k;
}

void kt_group_stop_stats(ing_kafka *k, ing_kafka_stats *out)
{
    ing_kafka_stop(k);
    sp_diag d = {0};
    int rc = ing_kafka_join(k, &d);
    if (rc)
        fprintf(stderr, "ing_kafka_join: %s\n", d.msg);
    assert_int_equal(rc, 0);
    if (out)
        ing_kafka_stats_get(k, out);
    ing_kafka_free(k);
}

void kt_group_stop(ing_kafka *k)
{
    kt_group_stop_stats(k, NULL);
}

uint64_t kt_wait_messages(ing_kafka *k, uint64_t n, int timeout_ms)
{
    ing_kafka_stats ks;
    int64_t end = now_ms() + timeout_ms;
    for (;;) {
        ing_kafka_stats_get(k, &ks);
        if (ks.messages >= n || now_ms() >= end)
            return ks.messages;
        usleep(20000);
    }
}

bool kt_wait_settled(ing_kafka *k, int partitions, int timeout_ms)
{
    ing_kafka_stats ks;
    int64_t end = now_ms() + timeout_ms;
    for (;;) {
        ing_kafka_stats_get(k, &ks);
        if (ks.assigned == partitions && ks.lag == 0)
            return true;
        if (now_ms() >= end)
            return false;
        usleep(20000);
    }
}

void kt_assert_store_ids(sp_store *s, char *const *want, size_t nwant)
{
    size_t n;
    char **ids = kt_store_column(s, "SigninLogs", "Id", &n);
    assert_true(kt_exactly_once(ids, n, want, nwant));
    kt_strings_free(ids, n);
}

void kt_assert_alerts(kt_harness *h, char *const *match, size_t nmatch)
{
    size_t n, na;
    char **ev = kt_mem_sink_event_ids(h->mem, &n);
    assert_true(kt_exactly_once(ev, n, match, nmatch));
    char **ids = kt_mem_sink_ids(h->mem, &na);
    for (size_t i = 1; i < na; i++)
        assert_true(strcmp(ids[i - 1], ids[i]) != 0);
    kt_strings_free(ev, n);
    kt_strings_free(ids, na);
}

void kt_assert_alert_topic(kt_harness *h, const char *topic, int partitions)
{
    size_t n, nwant;
    char **want = kt_mem_sink_ids(h->mem, &nwant);
    char **keys = kt_topic_keys(h->c, topic, partitions, nwant, 15000, &n);
    assert_true(kt_exactly_once(keys, n, want, nwant));
    kt_strings_free(keys, n);
    kt_strings_free(want, nwant);
}

void kt_assert_committed_all(kt_cluster *c, const char *group, const char *topic, int partitions)
{
    int64_t committed, high;
    kt_committed(c, group, topic, partitions, &committed, &high);
    assert_true(high > 0);
    assert_int_equal(committed, high);
}
