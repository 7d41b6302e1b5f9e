/* bench_kafka.c — `socpipe bench kafka`: Kafka-to-alerts throughput and alert latency of the
 * service, on librdkafka's mock cluster in this process (real Kafka protocol over loopback).
 *
 *   1. N generated SigninLogs events (with the attack scenarios) are rendered once into
 *      messages (Log Analytics rows, or Event Hubs envelopes of --batch records), at
 *      --event-rate sign-ins per second of event time (default 500, a large tenant's rate).
 *      The rate matters: a scheduled rule costs one run per queryFrequency of event time
 *      over its queryPeriod, so a sparse stream replayed at full speed runs many ticks per
 *      event. The watchlists the shipped rules read come from the same generator unless
 *      --watchlists names a folder.
 *   2. Baseline, same run: one thread parses the same messages with the simdjson-only
 *      reference ingest (ing_config.baseline: parse, copy every field into arena columns).
 *   3. Throughput: the service (svc_start: W consumer workers in a group, the store, the
 *      rules, the sinks) consumes a P-partition topic fed in rounds of --round events: each
 *      round is produced (lz4) while the service is paused, so no producer competes for the
 *      cores, and fits the mock's 5 MiB per partition (a lost record fails the run instead
 *      of inflating the rate). Only consuming is timed: from the round's first record to its
 *      last one stored and seen by the per-event rules.
 *   4. Latency: M more events produced at a fixed rate, each message's produce time kept in
 *      a side table by record id; a sink looks up the first event of every alert when the
 *      alert is written and records now - produced. p50/p99 over those alerts.
 * --librdkafka-defaults runs the service with librdkafka's fetch defaults instead of
 * socpipe's tuned ones, which is how the tuning is measured (docs/configuration.md).
 */
#include "cli/cli.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "bench/gen/gen.h"
#include "engine/runtime/runtime.h"
#include "ingest/ingest.h"

typedef struct msgs {
    char **v;
    size_t *len;
    char **key;
    char **first_id; /* id of the first record of each message (latency side table) */
    size_t n;
    uint64_t records, bytes;
} msgs;

/* Renders the messages; when wl_dir is set, also writes the watchlists the shipped rules
 * read, from the same generator (its tenant: users, apps, ranges). */
static void msgs_gen(msgs *m, uint64_t seed, int64_t start, uint64_t events, int batch, double event_rate,
                     const char *wl_dir)
{
    memset(m, 0, sizeof *m);
    gen_options o = {.table = "SigninLogs",
                     .seed = seed,
                     .start = start,
                     .events = events,
                     .attacks = true,
                     .rate = event_rate,
                     .envelope = batch > 1 ? GEN_ENV_EVENTHUBS : GEN_ENV_LOGANALYTICS};
    gen *g;
    sp_diag d = {0};
    if (gen_new(&o, &g, &d)) {
        fprintf(stderr, "bench kafka: %s\n", d.msg);
        exit(SP_EXIT_FAIL);
    }
    size_t cap = (size_t)(events / (uint64_t)batch + 1);
    m->v = sp_xcalloc(cap, sizeof *m->v);
    m->len = sp_xcalloc(cap, sizeof *m->len);
    m->key = sp_xcalloc(cap, sizeof *m->key);
    m->first_id = sp_xcalloc(cap, sizeof *m->first_id);
    sp_buf b = {0};
    while (m->records < events) {
        b.len = 0;
        uint64_t k = SP_MIN((uint64_t)batch, events - m->records);
        if (batch > 1)
            sp_buf_puts(&b, "{\"records\":[");
        for (uint64_t j = 0; j < k; j++) {
            gen_event ev;
            if (j)
                sp_buf_putc(&b, ',');
            gen_next(g, &b, &ev);
            if (j == 0) {
                m->key[m->n] = sp_xstrndup(ev.key, ev.key_len);
                m->first_id[m->n] = sp_xstrndup(ev.id, ev.id_len);
            }
        }
        if (batch > 1)
            sp_buf_puts(&b, "]}");
        m->v[m->n] = sp_xstrndup(b.data, b.len);
        m->len[m->n] = b.len;
        m->bytes += b.len;
        m->records += k;
        m->n++;
    }
    sp_buf_free(&b);
    if (wl_dir && gen_write_watchlists(g, wl_dir, &d)) {
        fprintf(stderr, "bench kafka: watchlists: %s\n", d.msg);
        exit(SP_EXIT_FAIL);
    }
    gen_free(g);
}

/* Removes a temporary watchlist folder written by msgs_gen. */
static void watchlists_remove(const char *dir)
{
    size_t n;
    const char *const *names = gen_watchlist_names(&n);
    char path[600];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void msgs_free(msgs *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i]);
        free(m->key[i]);
        free(m->first_id[i]);
    }
    free(m->v);
    free(m->len);
    free(m->key);
    free(m->first_id);
}

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* The reference: one thread, simdjson parse + field copy, over the same messages; the best
 * CPU time of three rounds (noise on a shared machine only ever adds time). */
static double baseline_rate(const msgs *m)
{
    double best = 0;
    for (int round = 0; round < 3; round++) {
        sp_store *st = sp_store_new(NULL);
        ing_config c = {.baseline = true, .report_limit = -1};
        sp_diag d = {0};
        ing *g = ing_new(st, &c, &d);
        ing_worker *w = ing_worker_new(g);
        double c0 = cpu_now();
        for (size_t i = 0; i < m->n; i++)
            ing_worker_message(w, m->v[i], m->len[i], "bench");
        ing_worker_flush(w);
        double secs = cpu_now() - c0;
        ing_worker_free(w);
        ing_free(g);
        sp_store_free(st);
        if (round == 0 || secs < best)
            best = secs;
    }
    return (double)m->records / best;
}

/* ---- producing ------------------------------------------------------------------------------ */

static rd_kafka_t *producer_new(const char *bootstraps)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, err, sizeof err) ||
        rd_kafka_conf_set(conf, "compression.codec", "lz4", err, sizeof err) ||
        rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err) ||
        rd_kafka_conf_set(conf, "queue.buffering.max.kbytes", "1048576", err, sizeof err)) {
        fprintf(stderr, "bench kafka: producer: %s\n", err);
        exit(SP_EXIT_FAIL);
    }
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!p) {
        fprintf(stderr, "bench kafka: producer: %s\n", err);
        exit(SP_EXIT_FAIL);
    }
    return p;
}

static void produce(rd_kafka_t *p, const char *topic, const msgs *m, size_t i)
{
    while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE(m->v[i], m->len[i]),
                             RD_KAFKA_V_KEY(m->key[i], strlen(m->key[i])), RD_KAFKA_V_END) ==
           RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(p, 10);
    rd_kafka_poll(p, 0);
}

/* ---- latency: produce times by record id, looked up by a sink --------------------------------- */

typedef struct lat_table {
    uint64_t *keys; /* hash of the id, 0 = empty */
    int64_t *t_us;  /* produce time, monotonic us */
    size_t mask;
    pthread_mutex_t mu;
    double *samples; /* ms */
    size_t nsamples, capsamples;
} lat_table;

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t id_hash(const char *s, size_t n)
{
    uint64_t h = sp_hash64(s, n, 0x1a7e);
    return h ? h : 1;
}

static void lat_put(lat_table *t, const char *id, int64_t us)
{
    uint64_t h = id_hash(id, strlen(id));
    pthread_mutex_lock(&t->mu);
    size_t i = h & t->mask;
    while (t->keys[i] && t->keys[i] != h)
        i = (i + 1) & t->mask;
    t->keys[i] = h;
    t->t_us[i] = us;
    pthread_mutex_unlock(&t->mu);
}

typedef struct lat_sink {
    rt_sink base;
    lat_table *t;
    atomic_uint_fast64_t alerts;
} lat_sink;

static int lat_write(rt_sink *self, const char *json, size_t len)
{
    lat_sink *s = (lat_sink *)self;
    atomic_fetch_add(&s->alerts, 1);
    const char *ev = memmem(json, len, "\"Events\":[", 10);
    const char *id = ev ? memmem(ev, len - (size_t)(ev - json), "\"Id\":\"", 6) : NULL;
    if (!id)
        return 0;
    id += 6;
    const char *e = memchr(id, '"', len - (size_t)(id - json));
    if (!e)
        return 0;
    uint64_t h = id_hash(id, (size_t)(e - id));
    int64_t now = mono_us();
    lat_table *t = s->t;
    pthread_mutex_lock(&t->mu);
    size_t i = h & t->mask;
    while (t->keys[i] && t->keys[i] != h)
        i = (i + 1) & t->mask;
    if (t->keys[i] == h) {
        SP_GROW(t->samples, t->capsamples, t->nsamples + 1);
        t->samples[t->nsamples++] = (double)(now - t->t_us[i]) / 1000.0;
    }
    pthread_mutex_unlock(&t->mu);
    return 0;
}

static int lat_flush(rt_sink *self)
{
    (void)self;
    return 0;
}

static void lat_close(rt_sink *self)
{
    free(self);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- the run --------------------------------------------------------------------------------- */

typedef struct bench_opts {
    uint64_t events, latency_events, round;
    int workers, partitions, batch;
    double rate;
    const char *rules[16];
    int nrules;
    const char *watchlists; /* NULL: the generator's, in a temporary folder */
    double event_rate;      /* sign-ins per second of event time in the generated stream */
    bool lib_defaults;
    int64_t flush_ms;
    char *set[16]; /* --set key=value: consumer properties, for measuring one setting */
    int nset;
} bench_opts;

/* Runs the scheduler until the service has seen `records` records; false when nothing moved
 * for stall_s seconds. *first_ms gets the time the first message of `after` arrived. */
/* Waits until `records` records are stored. *first_ms gets the time the first message of
 * the round was consumed: the message counter moves per message, the record counter only
 * when a worker flushes (every flush interval), which would hide a flush's worth of work. */
static bool wait_records(svc *s, uint64_t records, int stall_s, uint64_t messages_before, int64_t *first_ms)
{
    svc_counters c;
    uint64_t seen = 0;
    int64_t moved = svc_now_ms();
    for (;;) {
        svc_step(s);
        svc_stats(s, &c);
        if (first_ms && *first_ms < 0 && c.messages > messages_before)
            *first_ms = svc_now_ms();
        if (c.records >= records)
            return true;
        if (c.records != seen) {
            seen = c.records;
            moved = svc_now_ms();
        } else if (svc_now_ms() - moved > (int64_t)stall_s * 1000) {
            return false;
        }
        usleep(1000);
    }
}

static const char *const librdkafka_defaults[] = {
    /* librdkafka 2.0.2's own values of what socpipe tunes */
    "queued.min.messages", "100000",         "queued.max.messages.kbytes", "65536",
    "fetch.max.bytes",     "52428800",       "max.partition.fetch.bytes",  "1048576",
    "receive.message.max.bytes", "100000000", "fetch.wait.max.ms",         "500",
    "fetch.error.backoff.ms", "500",          NULL,
};

int cmd_bench_kafka(int argc, char **argv)
{
    bench_opts o = {.events = 100000, .latency_events = 10000, .round = 20000, .workers = 2, .partitions = 8, .batch = 1,
                    .rate = 2000, .flush_ms = 100, .event_rate = 500};
    const char *v;
    for (int i = 1; i < argc; i++) {
        if (cli_opt_value(argc, argv, &i, "--events", &v))
            o.events = strtoull(v, NULL, 10);
        else if (cli_opt_value(argc, argv, &i, "--round", &v))
            o.round = strtoull(v, NULL, 10);
        else if (cli_opt_value(argc, argv, &i, "--latency-events", &v))
            o.latency_events = strtoull(v, NULL, 10);
        else if (cli_opt_value(argc, argv, &i, "--workers", &v))
            o.workers = atoi(v);
        else if (cli_opt_value(argc, argv, &i, "--partitions", &v))
            o.partitions = atoi(v);
        else if (cli_opt_value(argc, argv, &i, "--batch", &v))
            o.batch = atoi(v);
        else if (cli_opt_value(argc, argv, &i, "--rate", &v))
            o.rate = atof(v);
        else if (cli_opt_value(argc, argv, &i, "--event-rate", &v))
            o.event_rate = atof(v);
        else if (cli_opt_value(argc, argv, &i, "--watchlists", &v))
            o.watchlists = v;
        else if (cli_opt_value(argc, argv, &i, "--flush-ms", &v))
            o.flush_ms = atoll(v);
        else if (cli_opt_value(argc, argv, &i, "--rules", &v)) {
            if (o.nrules < (int)SP_ARRAY_LEN(o.rules))
                o.rules[o.nrules++] = v;
        } else if (cli_opt_value(argc, argv, &i, "--set", &v)) {
            if (!strchr(v, '=') || o.nset == (int)SP_ARRAY_LEN(o.set))
                return cli_usage_error("bench kafka: --set takes key=value");
            o.set[o.nset++] = sp_xstrdup(v);
        } else if (!strcmp(argv[i], "--librdkafka-defaults"))
            o.lib_defaults = true;
        else
            return cli_usage_error("bench kafka: unknown option %s", argv[i]);
    }
    if (o.events < 1000 || o.round < 1000 || o.workers < 1 || o.workers > 64 || o.partitions < 1 || o.partitions > 256 ||
        o.batch < 1 || o.batch > 1000 || !(o.rate > 0) || !(o.event_rate > 0) || o.flush_ms < 1)
        return cli_usage_error("usage: socpipe bench kafka [--events N>=1000] [--workers W] [--partitions P] "
                               "[--batch K] [--round R] [--rules PATH]... [--watchlists DIR] [--event-rate EPS] [--latency-events M] [--rate EPS] "
                               "[--flush-ms T] [--librdkafka-defaults] [--set key=value]...");
    if (!o.nrules) {
        const char *shared = getenv("SP_SHARED");
        static char def[512];
        snprintf(def, sizeof def, "%s/data/sigma/azure/signin_logs", shared && *shared ? shared : "../shared");
        o.rules[o.nrules++] = access("detections", R_OK) == 0 ? "detections" : def;
    }
    sp_log_threshold = SP_LOG_ERROR;

    char tmp_wl[] = "/tmp/socpipe-bench-wl-XXXXXX";
    if (!o.watchlists && !mkdtemp(tmp_wl)) {
        perror("bench kafka: mkdtemp");
        return SP_EXIT_FAIL;
    }
    msgs m;
    msgs_gen(&m, 7, 0, o.events, o.batch, o.event_rate, o.watchlists ? NULL : tmp_wl);
    printf("input: %llu SigninLogs events (%.0f/s of event time) in %zu messages, %.1f MB; %d partition(s), %d "
           "worker(s), rules %s",
           (unsigned long long)m.records, o.event_rate, m.n, (double)m.bytes / 1e6, o.partitions, o.workers,
           o.rules[0]);
    for (int i = 1; i < o.nrules; i++)
        printf(", %s", o.rules[i]);
    printf("%s\n", o.lib_defaults ? "; librdkafka's fetch defaults" : "");
    double base = baseline_rate(&m);

    /* the cluster, the topic, everything produced up front */
    char err[512];
    rd_kafka_conf_t *mconf = rd_kafka_conf_new();
    rd_kafka_conf_set(mconf, "log_level", "2", err, sizeof err);
    rd_kafka_t *mrk = rd_kafka_new(RD_KAFKA_PRODUCER, mconf, err, sizeof err);
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(mrk, 1);
    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(mc);
    rd_kafka_mock_topic_create(mc, "signin", o.partitions, 1);
    rd_kafka_t *p = producer_new(bootstraps);

    /* the service, configured as `run` would be */
    rt_service_config cfg = {0};
    rt_topic_config topic = {.name = "signin"};
    rt_kafka_prop props[40];
    int np = 0;
    props[np++] = (rt_kafka_prop){"bootstrap.servers", (char *)bootstraps, false};
    props[np++] = (rt_kafka_prop){"session.timeout.ms", "6000", false};
    for (int i = 0; o.lib_defaults && librdkafka_defaults[i]; i += 2)
        props[np++] = (rt_kafka_prop){(char *)librdkafka_defaults[i], (char *)librdkafka_defaults[i + 1], false};
    for (int i = 0; i < o.nset && np < (int)SP_ARRAY_LEN(props); i++) {
        char *eq = strchr(o.set[i], '=');
        *eq = 0;
        props[np++] = (rt_kafka_prop){o.set[i], eq + 1, false};
        printf("consumer property %s = %s\n", o.set[i], eq + 1);
    }
    cfg.path = "bench";
    cfg.brokers = (char *)bootstraps;
    cfg.group = "bench";
    cfg.topics = &topic;
    cfg.ntopics = 1;
    cfg.props = props;
    cfg.nprops = np;
    cfg.flush_messages = 20000;
    cfg.flush_interval = o.flush_ms * SP_TICKS_PER_MS;
    cfg.idle_timeout = 30 * SP_TICKS_PER_SEC;
    cfg.workers = o.workers;
    cfg.rules = (char **)o.rules;
    cfg.nrules = o.nrules;
    cfg.watchlists = (char *)(o.watchlists ? o.watchlists : tmp_wl);
    cfg.retention = 30 * SP_TICKS_PER_DAY;
    cfg.lateness = SP_TICKS_PER_MIN;
    lat_table lt = {0};
    size_t cap = 1;
    while (cap < o.latency_events * 2 + 16)
        cap <<= 1;
    lt.keys = sp_xcalloc(cap, sizeof *lt.keys);
    lt.t_us = sp_xcalloc(cap, sizeof *lt.t_us);
    lt.mask = cap - 1;
    pthread_mutex_init(&lt.mu, NULL);
    lat_sink *ls = sp_xcalloc(1, sizeof *ls);
    ls->base = (rt_sink){.write = lat_write, .flush = lat_flush, .close = lat_close, .name = "latency"};
    ls->t = &lt;
    rt_sink *extra = &ls->base;
    int rc = SP_EXIT_OK;
    svc *s = svc_start(&cfg, &extra, 1, &rc);
    if (!s) {
        rd_kafka_destroy(p);
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(mrk);
        msgs_free(&m);
        if (!o.watchlists)
            watchlists_remove(tmp_wl);
        return rc;
    }
    /* Rounds of --round events: produced while the service idles, then consumed; only the
     * consuming is timed, and a round fits the mock's 5 MiB per partition. */
    double secs = 0, cpu = 0;
    uint64_t done = 0;
    size_t next = 0;
    svc_counters sc = {0};
    while (rc == SP_EXIT_OK && next < m.n) {
        uint64_t target = done;
        size_t end = next;
        while (end < m.n && target - done < o.round) {
            target += (uint64_t)SP_MIN((uint64_t)o.batch, m.records - (uint64_t)end * (uint64_t)o.batch);
            end++;
        }
        svc_pause(s, true); /* applied within 100 ms, before the round is fetched */
        usleep(200000);
        for (size_t i = next; i < end; i++)
            produce(p, "signin", &m, i);
        rd_kafka_flush(p, 60000);
        svc_stats(s, &sc);
        uint64_t messages_before = sc.messages;
        svc_pause(s, false);
        int64_t first = -1;
        double c0 = cpu_now();
        bool ok = wait_records(s, target, 15, messages_before, &first);
        int64_t last = svc_now_ms();
        cpu += cpu_now() - c0;
        secs += first >= 0 ? (double)(last - first) / 1000.0 : 0;
        svc_stats(s, &sc);
        if (!ok || sc.rows + sc.duplicates != target) { /* the generator re-delivers a few */
            fprintf(stderr, "bench kafka: %llu of %llu records consumed (%llu stored): the mock cluster keeps "
                            "5 MiB per partition; use more --partitions or a smaller --round\n",
                    (unsigned long long)sc.records, (unsigned long long)target, (unsigned long long)sc.rows);
            rc = SP_EXIT_FAIL;
        }
        if (getenv("SP_BENCH_VERBOSE"))
            fprintf(stderr, "round: %llu records in %.3f s\n", (unsigned long long)(target - done),
                    first >= 0 ? (double)(last - first) / 1000.0 : 0.0);
        done = target;
        next = end;
    }
    uint64_t alerts_tp = atomic_load(&ls->alerts);
    double rate = (double)m.records / secs;

    /* latency at a fixed rate */
    msgs lm;
    msgs_gen(&lm, 8, 0, o.latency_events, o.batch, o.event_rate, NULL);
    int64_t t0 = mono_us();
    for (size_t i = 0; rc == SP_EXIT_OK && i < lm.n; i++) {
        int64_t due = t0 + (int64_t)((double)(i * (size_t)o.batch) * 1e6 / o.rate);
        while (mono_us() < due) {
            rd_kafka_poll(p, 0);
            svc_step(s);
            usleep(200);
        }
        lat_put(&lt, lm.first_id[i], mono_us());
        produce(p, "signin", &lm, i);
    }
    rd_kafka_flush(p, 60000);
    if (rc == SP_EXIT_OK && !wait_records(s, m.records + lm.records, 15, 0, NULL))
        rc = SP_EXIT_FAIL;
    svc_stop(s);
    svc_free(s);
    rd_kafka_destroy(p);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(mrk);

    printf("%-44s %12s %10s\n", "pass", "events/s", "cpu s");
    printf("%-44s %12.0f %10s\n", "baseline: simdjson + field copy, 1 thread", base, "");
    printf("%-44s %12.0f %10.2f\n", "kafka -> store -> rules -> sinks", rate, cpu);
    printf("throughput / baseline: %.2fx (floor 0.30x, target 0.50x); %.1f s consuming (first message to "
           "last record, per round of %llu); %llu alerts\n",
           rate / base, secs, (unsigned long long)o.round, (unsigned long long)alerts_tp);
    qsort(lt.samples, lt.nsamples, sizeof *lt.samples, cmp_double);
    if (lt.nsamples) {
        double p50 = lt.samples[lt.nsamples / 2], p99 = lt.samples[(size_t)((double)lt.nsamples * 0.99)];
        printf("alert latency at %.0f events/s (produced -> alert written, flush interval %lld ms): p50 %.1f ms, "
               "p99 %.1f ms over %zu alerts\n",
               o.rate, (long long)o.flush_ms, p50, p99, lt.nsamples);
    } else {
        printf("alert latency: no per-event alert matched the %llu latency events\n",
               (unsigned long long)o.latency_events);
    }
    free(lt.keys);
    free(lt.t_us);
    free(lt.samples);
    pthread_mutex_destroy(&lt.mu);
    msgs_free(&m);
    msgs_free(&lm);
    for (int i = 0; i < o.nset; i++)
        free(o.set[i]);
    if (!o.watchlists)
        watchlists_remove(tmp_wl);
    return rc;
}
