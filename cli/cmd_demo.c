/* cmd_demo.c — `socpipe demo`: the whole service end to end with zero setup (DESIGN.md §4,
 * issue #5). It starts librdkafka's mock cluster in-process (real Kafka protocol on
 * loopback), a generator thread producing a tenant's telemetry with the labelled attack
 * scenarios injected (sign-ins in the Event Hubs form, Sentinel tables in the Log Analytics
 * form, Copilot interactions as Purview audit records), and the service `socpipe run` runs
 * (cli/service.c: consumer-group workers, store, rules, sinks) with a configuration built
 * here instead of read from a file, plus a console sink.
 *
 * Event time runs thousands of times faster than the wall clock here (hours of telemetry in
 * seconds), so the service's watermark must never pass a partition that still has records to
 * deliver: the producer starts only once the consumer group has settled (every partition
 * assigned, every worker a member, so no rebalance moves a partition mid-run), and every
 * assigned partition holds the watermark back until it has delivered (service.c). With the
 * final settle (svc_finish) the alerts are then exactly those of `socpipe replay` over the
 * same records (tests/cli/demo.sh).
 *
 * The mock broker keeps only 5 MiB per partition and silently drops older data, so the
 * generator never lets more than DEMO_MAX_BACKLOG bytes be produced but not yet consumed.
 * A terminal gets a live progress line (records, rate, lag, watermark, alerts by rule),
 * anything else that line every 5 s; alerts print one line each (or as NDJSON with --json) on
 * stdout; a summary on stderr ends the run. */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "bench/gen/gen.h"
#include "engine/runtime/runtime.h"
#include "ingest/ingest.h"

#define DEMO_MAX_BACKLOG (6u << 20) /* bytes produced but not consumed, over all partitions */
#define DEMO_BATCH 8                /* sign-ins per {"records":[...]} message */
#define DEMO_SETTLE_MS 30000        /* the consumer group must settle within this */
#define DEMO_DRAIN_MS 120000        /* give up (exit 1) when the consumers never catch up */

#define SIGNIN_PARTITIONS 4

enum { T_SIGNIN, T_SENTINEL, T_PURVIEW, T_ALERTS, T_COUNT };
static const char *const topic_names[T_COUNT] = {"entra-signins", "sentinel", "purview-audit", "socpipe-alerts"};
static const int topic_partitions[T_COUNT] = {SIGNIN_PARTITIONS, 2, 2, 1};

static volatile sig_atomic_t demo_interrupted;

static void on_signal(int sig)
{
    demo_interrupted = sig;
}

/* ---- console sink: alert lines queued for the main thread ---------------------------------- */

/* Alerts are written by the workers (per-event rules) and the main thread (scheduled rules);
 * only the main thread prints, so alert lines never cut through the progress line. */
typedef struct console_sink {
    rt_sink base;
    bool json;
    pthread_mutex_t mu;
    sp_buf pending; /* complete lines not yet printed */
} console_sink;

/* The string value of top-level key in a JSON object the runtime wrote (compact, valid),
 * unescaped into out. Returns false when the key is absent or not a string. */
static bool top_string(const char *j, size_t n, const char *key, sp_buf *out)
{
    size_t klen = strlen(key), i = 1;
    int depth = 0;
    while (i < n) {
        char c = j[i];
        if (c == '"') {
            size_t s = ++i;
            while (i < n && j[i] != '"')
                i += j[i] == '\\' ? 2 : 1;
            size_t e = i++;
            bool is_key = depth == 0 && i < n && j[i] == ':';
            if (is_key && e - s == klen && !memcmp(j + s, key, klen)) {
                if (i + 1 >= n || j[i + 1] != '"')
                    return false;
                size_t vs = i + 1, ve = vs + 1;
                while (ve < n && j[ve] != '"')
                    ve += j[ve] == '\\' ? 2 : 1;
                out->len = 0;
                return ve < n && sp_json_unescape(j + vs, ve + 1 - vs, out);
            }
        } else {
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']')
                depth--;
            i++;
        }
    }
    return false;
}

static int console_write(rt_sink *self, const char *json, size_t len)
{
    console_sink *s = (console_sink *)self;
    pthread_mutex_lock(&s->mu);
    if (s->json) {
        sp_buf_append(&s->pending, json, len);
        sp_buf_putc(&s->pending, '\n');
    } else {
        /* 2026-11-01 01:32:50  High           AlertName */
        sp_buf v = {0};
        if (top_string(json, len, "TimeGenerated", &v) && v.len >= 19)
            sp_buf_printf(&s->pending, "%.10s %.8s", v.data, v.data + 11);
        else
            sp_buf_printf(&s->pending, "%-19s", "");
        if (!top_string(json, len, "Severity", &v))
            v.len = 0;
        sp_buf_printf(&s->pending, "  %-13.*s", (int)v.len, v.data ? v.data : "");
        if (!top_string(json, len, "AlertName", &v))
            v.len = 0;
        sp_buf_printf(&s->pending, "  %.*s\n", (int)v.len, v.data ? v.data : "");
        sp_buf_free(&v);
    }
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static int console_flush(rt_sink *self)
{
    (void)self;
    return 0; /* lines reach the terminal from the main loop; durability is the Kafka sink's */
}

static void console_close(rt_sink *self)
{
    console_sink *s = (console_sink *)self;
    pthread_mutex_destroy(&s->mu);
    sp_buf_free(&s->pending);
    free(s);
}

static console_sink *console_sink_new(bool json)
{
    console_sink *s = sp_xcalloc(1, sizeof *s);
    s->base = (rt_sink){.write = console_write, .flush = console_flush, .close = console_close, .name = "console"};
    s->json = json;
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

/* Moves the queued lines to stdout; returns whether there were any. */
static bool console_drain(console_sink *s, bool clear_progress)
{
    pthread_mutex_lock(&s->mu);
    bool any = s->pending.len > 0;
    if (any) {
        if (clear_progress)
            fputs("\r\033[K", stderr);
        fwrite(s->pending.data, 1, s->pending.len, stdout);
        s->pending.len = 0;
    }
    pthread_mutex_unlock(&s->mu);
    if (any && (fflush(stdout) != 0 || ferror(stdout)))
        demo_interrupted = SIGPIPE; /* nobody reads the alerts any more (demo | head) */
    return any;
}

/* ---- the producer: generated telemetry into the mock cluster --------------------------- */

typedef struct demo_feed {
    rd_kafka_t *rk;
    gen *g;
    svc *service;   /* backlog = produced - consumed */
    uint64_t events;
    atomic_uint_least64_t produced_bytes, produced_records, produced_messages;
    atomic_int done; /* the generator has produced everything (or was stopped) */
    atomic_int stop;
    atomic_int failed; /* a produce failed: the demo cannot account for every record */
    char error[256];
    const char *const *scenarios;
    size_t nscenarios;
    uint64_t per_scenario[64];
    uint64_t attack_records, benign_records;
} demo_feed;

static int topic_of(const char *table)
{
    if (!strcmp(table, "CopilotActivity"))
        return T_PURVIEW;
    if (!strcmp(table, "SentinelHealth") || !strcmp(table, "SecurityIncident") || !strcmp(table, "SecurityAlert"))
        return T_SENTINEL;
    return T_SIGNIN;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    demo_feed *f = opaque;
    if (m->err && !atomic_exchange(&f->failed, 1))
        snprintf(f->error, sizeof f->error, "produce to %s: %s", rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
}

static void count_label(demo_feed *f, const char *label)
{
    if (!label)
        return;
    if (!strncmp(label, "benign:", 7)) {
        f->benign_records++;
        return;
    }
    f->attack_records++;
    for (size_t i = 0; i < f->nscenarios && i < SP_ARRAY_LEN(f->per_scenario); i++)
        if (!strcmp(f->scenarios[i], label))
            f->per_scenario[i]++;
}

/* Produces one message to partition (RD_KAFKA_PARTITION_UA: by key). */
static void produce(demo_feed *f, int topic, int32_t partition, const sp_buf *msg, const char *key, size_t klen,
                    uint64_t records)
{
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            f->rk, RD_KAFKA_V_TOPIC(topic_names[topic]), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, klen),
            RD_KAFKA_V_VALUE(msg->data, msg->len), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(f->rk, 10);
            continue;
        }
        if (err && !atomic_exchange(&f->failed, 1))
            snprintf(f->error, sizeof f->error, "produce to %s: %s", topic_names[topic], rd_kafka_err2str(err));
        break;
    }
    atomic_fetch_add(&f->produced_bytes, msg->len);
    atomic_fetch_add(&f->produced_records, records);
    atomic_fetch_add(&f->produced_messages, 1);
    rd_kafka_poll(f->rk, 0);
}

/* Waits while the consumers are more than DEMO_MAX_BACKLOG bytes behind. */
static void pace(demo_feed *f)
{
    for (;;) {
        svc_counters c;
        svc_stats(f->service, &c);
        uint64_t produced = atomic_load(&f->produced_bytes);
        if (produced < c.bytes + DEMO_MAX_BACKLOG || atomic_load(&f->stop))
            return;
        rd_kafka_poll(f->rk, 5);
    }
}

/* Sign-ins travel as Event Hubs {"records":[...]} batches, one open batch per partition of
 * the sign-in topic: a record goes to its entity's partition (as every other record does, by
 * key), so an entity's records, and a re-delivered copy after its original, stay in order. */
typedef struct signin_batch {
    sp_buf buf;
    uint64_t n;
    char key[256]; /* the first record's key */
    size_t klen;
} signin_batch;

static void batch_close(demo_feed *f, signin_batch *b, int32_t partition)
{
    sp_buf_puts(&b->buf, "]}");
    produce(f, T_SIGNIN, partition, &b->buf, b->key, b->klen, b->n);
    b->buf.len = 0;
    b->n = 0;
}

static void batch_add(demo_feed *f, signin_batch *b, int32_t partition, const sp_buf *rec, const gen_event *ev)
{
    if (b->n == 0) {
        sp_buf_puts(&b->buf, "{\"records\":[");
        b->klen = SP_MIN(ev->key_len, sizeof b->key);
        memcpy(b->key, ev->key, b->klen);
    } else {
        sp_buf_putc(&b->buf, ',');
    }
    sp_buf_append(&b->buf, rec->data, rec->len);
    if (++b->n == DEMO_BATCH)
        batch_close(f, b, partition);
}

static void *feed_thread(void *p)
{
    demo_feed *f = p;
    sp_buf rec = {0};
    signin_batch batches[SIGNIN_PARTITIONS] = {0};
    for (uint64_t i = 0; i < f->events && !atomic_load(&f->stop); i++) {
        gen_event ev;
        rec.len = 0;
        gen_next(f->g, &rec, &ev);
        count_label(f, ev.scenario);
        int t = topic_of(ev.table);
        if (t != T_SIGNIN) {
            produce(f, t, RD_KAFKA_PARTITION_UA, &rec, ev.key, ev.key_len, 1);
        } else {
            int32_t part = (int32_t)(sp_hash64(ev.key, ev.key_len, 0) % SP_ARRAY_LEN(batches));
            batch_add(f, &batches[part], part, &rec, &ev);
        }
        if ((i & 255) == 0)
            pace(f);
    }
    for (int32_t part = 0; part < (int32_t)SP_ARRAY_LEN(batches); part++) {
        if (batches[part].n)
            batch_close(f, &batches[part], part);
        sp_buf_free(&batches[part].buf);
    }
    while (rd_kafka_flush(f->rk, 100) == RD_KAFKA_RESP_ERR__TIMED_OUT && !atomic_load(&f->stop))
        ;
    sp_buf_free(&rec);
    atomic_store(&f->done, 1);
    return NULL;
}

/* ---- options and set-up -------------------------------------------------------------------- */

typedef struct demo_opts {
    uint64_t events, seed;
    double rate;
    int workers;
    bool json;
    const char *rules, *out;
} demo_opts;

static const char usage[] = "usage: socpipe demo [--events N] [--seed S] [--rate EPS] [--workers N] [--rules PATH] "
                            "[--out FILE] [--json]";

static int parse_opts(int argc, char **argv, demo_opts *o)
{
    *o = (demo_opts){.events = 150000, .seed = 1, .rate = 12, .workers = 2};
    const char *v;
    for (int i = 1; i < argc; i++) {
        int64_t n;
        if (cli_opt_value(argc, argv, &i, "--events", &v)) {
            if (!sp_parse_i64(v, strlen(v), &n) || n <= 0)
                return cli_usage_error("demo: --events takes a positive count");
            o->events = (uint64_t)n;
        } else if (cli_opt_value(argc, argv, &i, "--seed", &v)) {
            if (!sp_parse_i64(v, strlen(v), &n) || n < 0)
                return cli_usage_error("demo: --seed takes a number");
            o->seed = (uint64_t)n;
        } else if (cli_opt_value(argc, argv, &i, "--rate", &v)) {
            if (!sp_parse_f64(v, strlen(v), &o->rate) || !(o->rate > 0))
                return cli_usage_error("demo: --rate takes events per second of event time");
        } else if (cli_opt_value(argc, argv, &i, "--workers", &v)) {
            if (!sp_parse_i64(v, strlen(v), &n) || n < 1 || n > 8)
                return cli_usage_error("demo: --workers takes 1..8 (the demo topics have 8 partitions)");
            o->workers = (int)n;
        } else if (cli_opt_value(argc, argv, &i, "--rules", &v)) {
            o->rules = v;
        } else if (cli_opt_value(argc, argv, &i, "--out", &v)) {
            o->out = v;
        } else if (!strcmp(argv[i], "--json")) {
            o->json = true;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            puts(usage);
            return -1;
        } else {
            fprintf(stderr, "%s\n", usage);
            return cli_usage_error("demo: unexpected argument '%s'", argv[i]);
        }
    }
    return 0;
}

/* The rule pack: --rules, else detections/ beside the executable (a checkout's ./socpipe or
 * build/<variant>/socpipe), else ./detections. */
static const char *find_rules(const char *given, char *buf, size_t cap)
{
    if (given)
        return given;
    struct stat st;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = 0;
        static const char *const rel[] = {"detections", "../../detections", "../share/socpipe/detections"};
        for (size_t i = 0; i < SP_ARRAY_LEN(rel); i++) {
            snprintf(buf, cap, "%s/%s", exe, rel[i]);
            if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
                return buf;
        }
    }
    if (stat("detections", &st) == 0 && S_ISDIR(st.st_mode))
        return "detections";
    return NULL;
}

typedef struct demo_kafka {
    rd_kafka_t *mock_rk; /* the handle the mock cluster lives in */
    rd_kafka_mock_cluster_t *mc;
    const char *bootstraps;
} demo_kafka;

/* The mock cluster, its topics and the producer the generator writes through (idempotent,
 * lz4, as a real exporter would be). Returns 0, or -1 after printing why. */
static int kafka_up(demo_kafka *dk, demo_feed *f)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
    dk->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!dk->mock_rk) {
        fprintf(stderr, "socpipe: demo: cannot start the mock Kafka cluster: %s\n", err);
        return -1;
    }
    dk->mc = rd_kafka_mock_cluster_new(dk->mock_rk, 3);
    if (!dk->mc) {
        fprintf(stderr, "socpipe: demo: cannot start the mock Kafka cluster\n");
        return -1;
    }
    dk->bootstraps = rd_kafka_mock_cluster_bootstraps(dk->mc);
    for (int t = 0; t < T_COUNT; t++)
        rd_kafka_mock_topic_create(dk->mc, topic_names[t], topic_partitions[t], 1);
    conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", dk->bootstraps, err, sizeof err) ||
        rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof err) ||
        rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err) ||
        rd_kafka_conf_set(conf, "compression.codec", "lz4", err, sizeof err)) {
        fprintf(stderr, "socpipe: demo: producer: %s\n", err);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_conf_set_opaque(conf, f);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    f->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!f->rk) {
        fprintf(stderr, "socpipe: demo: producer: %s\n", err);
        return -1;
    }
    return 0;
}

/* The topics' metadata, fetched while the consumer group forms rather than with the first
 * record (a second's wait otherwise). */
static int producer_ready(demo_feed *f)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(f->rk, 1, NULL, &md, 10000);
    if (err) {
        fprintf(stderr, "socpipe: demo: the mock cluster does not answer: %s\n", rd_kafka_err2str(err));
        return -1;
    }
    rd_kafka_metadata_destroy(md);
    return 0;
}

static void kafka_down(demo_kafka *dk, demo_feed *f)
{
    if (f->rk)
        rd_kafka_destroy(f->rk);
    if (dk->mc)
        rd_kafka_mock_cluster_destroy(dk->mc);
    if (dk->mock_rk)
        rd_kafka_destroy(dk->mock_rk);
}

/* ---- reporting ----------------------------------------------------------------------------- */

typedef struct rule_count {
    const char *name;
    uint64_t n;
} rule_count;

static int by_count_desc(const void *a, const void *b)
{
    const rule_count *x = a, *y = b;
    return x->n != y->n ? (x->n < y->n ? 1 : -1) : strcmp(x->name, y->name);
}

/* Rules that alerted, most alerts first; returns how many. */
static int alerting_rules(rt_engine *e, rule_count *out, int cap)
{
    const char *names[512];
    uint64_t counts[512];
    int n = rt_engine_rule_alerts(e, names, counts, (int)SP_ARRAY_LEN(names)), m = 0;
    for (int i = 0; i < n && m < cap; i++)
        if (counts[i])
            out[m++] = (rule_count){names[i], counts[i]};
    qsort(out, (size_t)m, sizeof *out, by_count_desc);
    return m;
}

static int terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
        return ws.ws_col;
    return 100;
}

/* One progress line: records, their rate over the last second or so, consumer lag, alerts
 * and the rules that raised them. On a terminal it redraws itself in place, cut to the
 * terminal's width. */
typedef struct progress_line {
    int64_t rate_at;       /* when rate was last computed */
    uint64_t rate_records; /* records then */
    double rate;
} progress_line;

static void progress(progress_line *pl, svc *s, int64_t now, double elapsed, bool tty)
{
    svc_counters c;
    svc_stats(s, &c);
    if (now - pl->rate_at >= 1000) {
        if (pl->rate_at)
            pl->rate = (double)(c.records - pl->rate_records) * 1000.0 / (double)(now - pl->rate_at);
        pl->rate_at = now;
        pl->rate_records = c.records;
    }
    rt_stats rs;
    rt_engine_stats(svc_engine(s), &rs);
    char wm[32] = "--:--";
    if (rs.watermark != INT64_MIN) {
        char full[32];
        sp_datetime_format(rs.watermark, full); /* 2026-11-01T01:22:03.0000000Z */
        snprintf(wm, sizeof wm, "%.5s", full + 11);
    }
    sp_buf line = {0};
    sp_buf_printf(&line, "[%5.1fs] %llu records, %.0f/s, lag %lld, watermark %s, %llu alerts", elapsed,
                  (unsigned long long)c.records, pl->rate, (long long)SP_MAX(c.lag, 0), wm,
                  (unsigned long long)c.alerts);
    rule_count rc[6];
    int n = alerting_rules(svc_engine(s), rc, (int)SP_ARRAY_LEN(rc));
    for (int i = 0; i < n; i++)
        sp_buf_printf(&line, "%s%s %llu", i ? ", " : ": ", rc[i].name, (unsigned long long)rc[i].n);
    if (tty)
        fprintf(stderr, "\r\033[K%.*s", (int)SP_MIN(line.len, (size_t)terminal_width() - 1), line.data);
    else
        fprintf(stderr, "%.*s\n", (int)line.len, line.data);
    fflush(stderr);
    sp_buf_free(&line);
}

/* secs: from the first record produced to the last one seen by the rules. */
static void summary(svc *s, demo_feed *f, rd_kafka_t *rk, double secs)
{
    svc_counters c;
    svc_stats(s, &c);
    rt_stats rs;
    rt_engine_stats(svc_engine(s), &rs);
    fprintf(stderr, "\nsummary: %llu records through Kafka, the store and the rules in %.1f s (%.0f records/s, %.0f MB/s)\n",
            (unsigned long long)c.records, secs, secs > 0 ? (double)c.records / secs : 0.0,
            secs > 0 ? (double)c.bytes / 1e6 / secs : 0.0);
    fprintf(stderr, "  produced %llu records in %llu messages (%.1f MB); consumed %llu messages\n",
            (unsigned long long)atomic_load(&f->produced_records),
            (unsigned long long)atomic_load(&f->produced_messages), (double)atomic_load(&f->produced_bytes) / 1e6,
            (unsigned long long)c.messages);
    fprintf(stderr, "  ingested %llu records: %llu rows, %llu re-deliveries dropped, %llu rejected\n",
            (unsigned long long)c.records, (unsigned long long)c.rows, (unsigned long long)c.duplicates,
            (unsigned long long)c.rejected);
    ing_table_stats ts[64];
    int nt = ing_table_stats_get(svc_ingest(s), ts, (int)SP_ARRAY_LEN(ts));
    for (int i = 0; i < nt && i < (int)SP_ARRAY_LEN(ts); i++)
        fprintf(stderr, "    %-34s %9llu rows\n", ts[i].table, (unsigned long long)ts[i].rows);
    fprintf(stderr, "  injected %llu attack records and %llu benign lookalikes:",
            (unsigned long long)f->attack_records, (unsigned long long)f->benign_records);
    for (size_t i = 0, shown = 0; i < f->nscenarios && i < SP_ARRAY_LEN(f->per_scenario); i++)
        if (f->per_scenario[i])
            fprintf(stderr, "%s%s %llu", shown++ % 4 ? ", " : "\n    ", f->scenarios[i],
                    (unsigned long long)f->per_scenario[i]);
    fputc('\n', stderr);
    fprintf(stderr, "  rules: %d loaded, %llu scheduled and correlation runs, %llu failures; %llu late records\n",
            rt_engine_rule_count(svc_engine(s)), (unsigned long long)rs.rule_runs,
            (unsigned long long)rs.rule_failures, (unsigned long long)rs.late_records);
    /* What reached the alert topic, read back from the cluster. */
    int64_t lo = 0, hi = -1;
    if (rd_kafka_query_watermark_offsets(rk, topic_names[T_ALERTS], 0, &lo, &hi, 5000))
        hi = -1;
    fprintf(stderr, "  alerts: %llu (%llu suppressed); %lld on Kafka topic %s\n", (unsigned long long)rs.alerts,
            (unsigned long long)rs.suppressed, (long long)(hi >= lo ? hi - lo : -1), topic_names[T_ALERTS]);
    rule_count rcs[256];
    int nr = alerting_rules(svc_engine(s), rcs, (int)SP_ARRAY_LEN(rcs));
    for (int i = 0; i < nr; i++)
        fprintf(stderr, "    %6llu  %s\n", (unsigned long long)rcs[i].n, rcs[i].name);
}

/* ---- the run --------------------------------------------------------------------------------- */

/* Waits until every partition of the consumed topics is assigned and every worker holds some,
 * so the group will not rebalance while records flow. */
static bool group_settled(svc *s, int workers, int partitions)
{
    int64_t t0 = svc_now_ms();
    while (!demo_interrupted && svc_now_ms() - t0 < DEMO_SETTLE_MS) {
        svc_counters c;
        svc_step(s);
        svc_stats(s, &c);
        if (c.assigned == partitions && c.members == workers)
            return true;
        usleep(20000);
    }
    return false;
}

typedef enum { RUN_DRAINED, RUN_STOPPED, RUN_FATAL, RUN_STUCK } run_end;

/* The main thread while the generator produces: the service's scheduler step, alert lines,
 * progress, until every produced record has been consumed and seen by the rules. */
static run_end main_loop(svc *s, demo_feed *feed, console_sink *console, int64_t t0, bool tty)
{
    int64_t last_report = 0, drain_start = 0;
    progress_line pl = {0};
    run_end end = RUN_STOPPED;
    while (!demo_interrupted && !atomic_load(&feed->failed)) {
        if (svc_step(s)) {
            end = RUN_FATAL;
            break;
        }
        if (console_drain(console, tty) && tty)
            last_report = 0; /* redraw the progress line under the alerts */
        int64_t now = svc_now_ms();
        if ((tty && now - last_report >= 250) || now - last_report >= 5000) {
            progress(&pl, s, now, (double)(now - t0) / 1000.0, tty);
            last_report = now;
        }
        if (atomic_load(&feed->done)) {
            svc_counters c;
            svc_stats(s, &c);
            if (c.messages >= atomic_load(&feed->produced_messages) &&
                c.records >= atomic_load(&feed->produced_records)) {
                end = RUN_DRAINED;
                break;
            }
            if (!drain_start) {
                drain_start = now;
            } else if (now - drain_start > DEMO_DRAIN_MS) {
                end = RUN_STUCK;
                break;
            }
        }
        usleep(20000);
    }
    return end;
}

int cmd_demo(int argc, char **argv)
{
    demo_opts o;
    int prc = parse_opts(argc, argv, &o);
    if (prc)
        return prc < 0 ? SP_EXIT_OK : SP_EXIT_USAGE;
    char rules_buf[PATH_MAX + 32];
    const char *rules = find_rules(o.rules, rules_buf, sizeof rules_buf);
    if (!rules)
        return cli_usage_error("demo: no rule pack found (detections/ beside the binary or here); pass --rules PATH");
    struct stat st;
    if (stat(rules, &st) != 0)
        return cli_usage_error("demo: %s: %s", rules, strerror(errno));

    char wl_dir[] = "/tmp/socpipe-demo-XXXXXX";
    if (!mkdtemp(wl_dir)) {
        fprintf(stderr, "socpipe: demo: cannot create a watchlist folder: %s\n", strerror(errno));
        return SP_EXIT_FAIL;
    }
    int rc = SP_EXIT_FAIL;
    sp_diag d = {0};
    /* The generator: one time-ordered stream of every table with the attacks injected. */
    gen_options gopt = {.table = "all", .seed = o.seed, .events = o.events, .rate = o.rate, .attacks = true,
                        .envelope = GEN_ENV_EVENTHUBS};
    demo_feed feed = {.events = o.events};
    demo_kafka dk = {0};
    svc *s = NULL;
    bool stopped = false;
    if (gen_new(&gopt, &feed.g, &d) || gen_write_watchlists(feed.g, wl_dir, &d)) {
        sp_diag_print(stderr, &d);
        goto out;
    }
    feed.scenarios = gen_scenario_names(&feed.nscenarios);
    if (kafka_up(&dk, &feed))
        goto out;

    /* The service, configured as a socpipe.yaml would configure `socpipe run`. */
    rt_kafka_prop props[] = {
        {"bootstrap.servers", (char *)dk.bootstraps, false},
        /* The mock's group coordinator waits up to session.timeout.ms - 1 s for every member to
         * rejoin a rebalance: with the 45 s default, one member slow to rejoin on a loaded
         * machine stalls the whole group that long. Heartbeats keep a member well inside 6 s. */
        {"session.timeout.ms", "6000", false},
        {"heartbeat.interval.ms", "500", false},
    };
    rt_topic_config topics[] = {{(char *)topic_names[T_SIGNIN], NULL},
                                {(char *)topic_names[T_SENTINEL], NULL},
                                {(char *)topic_names[T_PURVIEW], NULL}};
    rt_sink_config sinks[2] = {
        {.type = RT_SINK_KAFKA, .topic = (char *)topic_names[T_ALERTS], .props = props, .nprops = 1},
        {.type = RT_SINK_FILE, .path = (char *)o.out}};
    char *rule_paths[] = {(char *)rules};
    rt_service_config cfg = {
        .path = "demo",
        .brokers = (char *)dk.bootstraps,
        .group = "socpipe-demo",
        .topics = topics,
        .ntopics = (int)SP_ARRAY_LEN(topics),
        .props = props,
        .nprops = (int)SP_ARRAY_LEN(props),
        .flush_messages = 2000,
        .flush_interval = 200 * SP_TICKS_PER_MS,
        .idle_timeout = 30 * SP_TICKS_PER_SEC,
        .workers = o.workers,
        .rules = rule_paths,
        .nrules = 1,
        .watchlists = wl_dir,
        .sinks = sinks,
        .nsinks = o.out ? 2 : 1,
        .retention = 30 * SP_TICKS_PER_DAY,
        /* Sign-ins reach Sentinel up to minutes after they happen (the generator delays them
         * by up to 5 minutes); a 10-minute allowed lateness keeps them in their windows. */
        .lateness = 10 * SP_TICKS_PER_MIN,
        .health = true,
        .log_level = SP_LOG_WARN,
    };
    console_sink *console = console_sink_new(o.json);
    rt_sink *extra = &console->base;
    s = svc_start(&cfg, &extra, 1, &rc);
    if (!s)
        goto out;
    if (rt_engine_rule_count(svc_engine(s)) == 0) {
        fprintf(stderr, "socpipe: demo: %s: no rules\n", rules);
        rc = SP_EXIT_USAGE;
        goto out;
    }
    cli_catch_stop_signals(on_signal);
    bool tty = isatty(STDERR_FILENO);
    int partitions = topic_partitions[T_SIGNIN] + topic_partitions[T_SENTINEL] + topic_partitions[T_PURVIEW];
    fprintf(stderr,
            "socpipe demo: mock Kafka cluster (3 brokers) at %s\n"
            "  %d rules from %s; %d consumer workers joining group %s on %d partitions ...",
            dk.bootstraps, rt_engine_rule_count(svc_engine(s)), rules, o.workers, cfg.group, partitions);
    fflush(stderr);
    int64_t t_join = svc_now_ms();
    if (producer_ready(&feed))
        goto out;
    if (!group_settled(s, o.workers, partitions)) {
        if (demo_interrupted)
            fprintf(stderr, "\nsocpipe: demo: interrupted\n");
        else
            fprintf(stderr, "\nsocpipe: demo: the consumer group did not settle within %d s\n", DEMO_SETTLE_MS / 1000);
        goto out;
    }
    int64_t t0 = svc_now_ms();
    fprintf(stderr, " ready in %.1f s\n  producing %llu records of every table with attack scenarios injected (seed "
                    "%llu, %g events/s of event time)\n",
            (double)(t0 - t_join) / 1000.0, (unsigned long long)o.events, (unsigned long long)o.seed, o.rate);
    if (!o.json)
        printf("%-19s  %-13s  %s\n", "TimeGenerated", "Severity", "AlertName");
    feed.service = s;
    pthread_t producer;
    pthread_create(&producer, NULL, feed_thread, &feed);
    run_end end = main_loop(s, &feed, console, t0, tty);
    atomic_store(&feed.stop, 1);
    pthread_join(producer, NULL);
    double secs = (double)(svc_now_ms() - t0) / 1000.0;
    int stop_rc = svc_stop(s);
    stopped = true;
    /* Everything produced was consumed: settle the last windows as a replay would. */
    int finish_rc = end == RUN_DRAINED ? svc_finish(s) : SP_EXIT_OK;
    if (tty)
        fputs("\r\033[K", stderr);
    console_drain(console, false);
    summary(s, &feed, feed.rk, secs);
    rt_stats rs;
    rt_engine_stats(svc_engine(s), &rs);
    if (atomic_load(&feed.failed))
        fprintf(stderr, "socpipe: demo: %s\n", feed.error);
    else if (end == RUN_STOPPED)
        fprintf(stderr, "socpipe: demo: %s\n", demo_interrupted == SIGPIPE ? "stdout was closed" : "interrupted");
    else if (end == RUN_FATAL)
        fprintf(stderr, "socpipe: demo: the consumers stopped on a fatal error\n");
    else if (end == RUN_STUCK)
        fprintf(stderr, "socpipe: demo: the consumers did not catch up with the producer\n");
    if (rs.rule_failures)
        fprintf(stderr, "socpipe: demo: %llu rule runs failed (above)\n", (unsigned long long)rs.rule_failures);
    rc = end == RUN_DRAINED && stop_rc == SP_EXIT_OK && finish_rc == SP_EXIT_OK && !atomic_load(&feed.failed) &&
                 rs.rule_failures == 0
             ? SP_EXIT_OK
             : SP_EXIT_FAIL;
out:
    if (s && !stopped)
        svc_stop(s);
    svc_free(s);
    kafka_down(&dk, &feed);
    gen_free(feed.g);
    gen_remove_watchlists(wl_dir); /* written for this run only */
    return rc;
}
