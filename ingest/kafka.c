/* kafka.c — Kafka sources and the Kafka alert sink: consumer-group workers that feed the
 * store with at-least-once delivery, and an idempotent producer for alerts.
 *
 * One consumer per worker thread, all in one group. Each worker owns its rd_kafka_t and its
 * ing_worker, so the rebalance callback (served inside rd_kafka_consumer_poll, on the
 * worker's own thread) can flush and commit the worker's state without any locking, and N
 * workers parse in parallel with nothing shared but the store. The cost is N group members
 * per process, which a consumer group handles as it handles N processes.
 *
 * Delivery (DESIGN.md §1.8). A worker ingests messages, remembering per partition the next
 * offset and the newest event time it has not yet flushed. A flush (every flush_messages
 * messages or flush_interval) seals the worker's builders: the store's on_seal hook runs
 * every per-event rule on the rows and flushes the sinks, so when ing_worker_flush returns
 * the rows are in the store, seen and their alerts acknowledged (cfg.acknowledged confirms
 * it). Only then are the partitions' offsets stored (enable.auto.offset.store=false) and,
 * every auto.commit.interval.ms (5 s), committed asynchronously. When partitions are
 * revoked the worker flushes and commits them synchronously before giving them up. On
 * shutdown every worker flushes and commits while all are still members (a member leaving
 * starts a rebalance, and a rebalancing group refuses commits; a refused commit is retried
 * while the group settles), then all leave. librdkafka's own auto-commit is off: it would
 * also commit on unassign, in the middle of a rebalance. A crash therefore re-delivers at
 * most what was not yet committed, and the store's dedup drops what it already holds.
 *
 * Event time. Each topic-partition is a source (a small id, cfg.source_base + n, in the
 * order partitions are first seen). When assigned it is declared pending: it holds
 * scheduled rules back until its first flush, so a partition with a backlog is not
 * overtaken by partitions that happened to be fetched first. After a flush it reports the
 * newest event time it delivered; a partition silent for idle_timeout (not merely paused),
 * or revoked, is declared idle so it does not hold scheduled rules back.
 *
 * Secrets. Credentials arrive as props with secret = true. librdkafka's own log lines and
 * error strings pass through one function that replaces every credential value before
 * anything is printed, and nothing here ever dumps the configuration.
 */
#include "ingest/ingest_int.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "engine/runtime/runtime.h"

/* Consumer defaults, before the configuration's properties. The fetch settings are sized
 * for a consumer that parses every message (DESIGN.md §7): with librdkafka's defaults a
 * parsing consumer drains its fetch queue, hits the queue thresholds and waits out a
 * fetch back-off, so the parser starves; bench kafka measures the effect (docs and
 * bench/RESULTS.md). */
static const char *const consumer_defaults[] = {
    "client.id", "socpipe",
    "partition.assignment.strategy", "cooperative-sticky",
    "enable.auto.offset.store", "false",
    "enable.auto.commit", "false",
    "auto.offset.reset", "earliest",
    "enable.partition.eof", "false",
    "queued.min.messages", "1000000",
    "queued.max.messages.kbytes", "262144",
    "fetch.max.bytes", "67108864",
    "max.partition.fetch.bytes", "8388608",
    "receive.message.max.bytes", "100000000",
    "fetch.wait.max.ms", "100",
    "fetch.error.backoff.ms", "50",
    NULL,
};

static const char *const producer_defaults[] = {
    "client.id", "socpipe-alerts",
    "enable.idempotence", "true",
    "acks", "all",
    "linger.ms", "5",
    NULL, /* no compression by default: Azure Event Hubs takes gzip at most, alerts are small */
};

const char *const *ing_kafka_default_props(void)
{
    return consumer_defaults;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- secrets and logging ----------------------------------------------------------------- */

typedef struct ksecrets {
    char **v;
    int n;
} ksecrets;

static void base64(const char *in, size_t n, sp_buf *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(unsigned char)in[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)in[i + 2];
        sp_buf_putc(out, tab[(v >> 18) & 63]);
        sp_buf_putc(out, tab[(v >> 12) & 63]);
        sp_buf_putc(out, i + 1 < n ? tab[(v >> 6) & 63] : '=');
        sp_buf_putc(out, i + 2 < n ? tab[v & 63] : '=');
    }
}

/* The credentials among props, and the forms they travel in: an OIDC client secret goes to
 * the token endpoint as HTTP basic authentication, base64("client_id:secret"). */
static void secrets_init(ksecrets *s, const ing_kafka_prop *props, int nprops)
{
    s->v = sp_xcalloc((size_t)nprops + 2, sizeof *s->v);
    s->n = 0;
    const char *client_id = NULL, *client_secret = NULL;
    for (int i = 0; i < nprops; i++) {
        if ((props[i].secret || rt_kafka_prop_is_secret(props[i].key)) && props[i].value[0])
            s->v[s->n++] = sp_xstrdup(props[i].value);
        if (!strcmp(props[i].key, "sasl.oauthbearer.client.id"))
            client_id = props[i].value;
        else if (!strcmp(props[i].key, "sasl.oauthbearer.client.secret"))
            client_secret = props[i].value;
    }
    if (client_id && client_secret && *client_secret) {
        sp_buf pair = {0}, enc = {0};
        sp_buf_printf(&pair, "%s:%s", client_id, client_secret);
        base64(pair.data, pair.len, &enc);
        s->v[s->n++] = sp_xstrdup(sp_buf_cstr(&enc));
        explicit_bzero(pair.data, pair.cap);
        sp_buf_free(&pair);
        explicit_bzero(enc.data, enc.cap);
        sp_buf_free(&enc);
    }
}

static void secrets_free(ksecrets *s)
{
    for (int i = 0; i < s->n; i++) {
        explicit_bzero(s->v[i], strlen(s->v[i]));
        free(s->v[i]);
    }
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

/* Copies text into out (size n) with every secret value replaced by [redacted]. */
static void redact(const ksecrets *s, const char *text, char *out, size_t n)
{
    size_t o = 0;
    const char *p = text;
    while (*p && o + 1 < n) {
        int hit = -1;
        size_t hl = 0;
        for (int i = 0; i < s->n; i++) {
            size_t l = strlen(s->v[i]);
            if (l && !strncmp(p, s->v[i], l) && l > hl) {
                hit = i;
                hl = l;
            }
        }
        if (hit >= 0) {
            const char *r = "[redacted]";
            for (; *r && o + 1 < n; r++)
                out[o++] = *r;
            p += hl;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = 0;
}

/* Every librdkafka client handle has one of these as its opaque, and it stays valid for as
 * long as the handle's threads may call back. librdkafka calls the log callback on its own
 * threads (main, broker), at any time and not only inside a poll, until rd_kafka_destroy
 * returns; a consumer parked instead of destroyed (consumer_destroy) keeps those threads,
 * and their log lines, until the process exits. So a kclient owns everything the log
 * callback reads (its own copy of the credentials, its name), is freed only after
 * rd_kafka_destroy, and a parked one is kept with its handle, marked parked so its lines
 * are dropped. The error, rebalance, commit and delivery callbacks are served only by a
 * poll on the owner's thread, so they may reach the owner. */
typedef struct kclient {
    ksecrets secrets;
    char what[32]; /* "consumer 1", "alert producer" */
    atomic_bool parked;
    void (*on_fatal)(void *owner, const char *reason);
    void *owner; /* the kworker or the ksink */
} kclient;

static void kclient_init(kclient *c, const ing_kafka_prop *props, int nprops, const char *what,
                         void (*on_fatal)(void *owner, const char *reason), void *owner)
{
    secrets_init(&c->secrets, props, nprops);
    snprintf(c->what, sizeof c->what, "%s", what);
    atomic_init(&c->parked, false);
    c->on_fatal = on_fatal;
    c->owner = owner;
}

static void klog(const kclient *c, sp_log_level lvl, const char *fmt, ...) SP_PRINTF(3, 4);
static void klog(const kclient *c, sp_log_level lvl, const char *fmt, ...)
{
    if (lvl > sp_log_threshold)
        return;
    char raw[1024], clean[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    redact(&c->secrets, raw, clean, sizeof clean);
    sp_log(lvl, "kafka %s: %s", c->what, clean);
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    kclient *c = rd_kafka_opaque(rk);
    if (!c || atomic_load(&c->parked))
        return;
    sp_log_level lvl = level <= 3 ? SP_LOG_ERROR : level == 4 ? SP_LOG_WARN : level <= 6 ? SP_LOG_INFO : SP_LOG_DEBUG;
    klog(c, lvl, "%s: %s", fac, buf);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    kclient *c = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, why, sizeof why);
        char msg[700];
        snprintf(msg, sizeof msg, "fatal error: %s: %s", rd_kafka_err2name(orig), why);
        char clean[700];
        redact(&c->secrets, msg, clean, sizeof clean);
        if (c->on_fatal)
            c->on_fatal(c->owner, clean);
        klog(c, SP_LOG_ERROR, "%s", msg);
        return;
    }
    /* Transport errors repeat while a broker is away; librdkafka retries them. */
    sp_log_level lvl = (err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
                           ? SP_LOG_INFO
                           : SP_LOG_WARN;
    klog(c, lvl, "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* Builds a client configuration: defaults, then props. The secrets must already hold the
 * props' credentials. */
static rd_kafka_conf_t *make_conf(const char *const *defaults, const ing_kafka_prop *props, int nprops,
                                  kclient *opaque, sp_diag *d)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512];
    for (int i = 0; defaults[i]; i += 2)
        if (rd_kafka_conf_set(conf, defaults[i], defaults[i + 1], err, sizeof err) != RD_KAFKA_CONF_OK) {
            sp_diag_set(d, NULL, 0, 0, "librdkafka default %s: %s", defaults[i], err);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    for (int i = 0; i < nprops; i++)
        if (rd_kafka_conf_set(conf, props[i].key, props[i].value, err, sizeof err) != RD_KAFKA_CONF_OK) {
            if (props[i].secret || rt_kafka_prop_is_secret(props[i].key))
                sp_diag_set(d, NULL, 0, 0, "librdkafka rejects the value of %s (not shown: a credential)",
                            props[i].key);
            else
                sp_diag_set(d, NULL, 0, 0, "librdkafka: %s", err);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, opaque);
    return conf;
}

/* ---- consumer workers ------------------------------------------------------------------ */

typedef struct kpart {
    int topic; /* index into cfg.topics */
    int32_t partition;
    int source;           /* event-time source id */
    int64_t pending;      /* offset to store at the next flush; -1 none */
    int64_t pending_time; /* newest event time not yet flushed */
    int64_t stored;       /* last offset stored; -1 none */
    int64_t committed;    /* last offset this worker committed; -1 none */
    int64_t flushed_time; /* newest event time reported */
    int64_t last_msg;     /* monotonic ms of the last message (or of the assignment) */
    bool idle;
} kpart;

typedef struct kworker {
    kclient *client; /* the consumer's opaque: freed with the consumer, or parked with it */
    struct ing_kafka *k;
    int id;
    rd_kafka_t *rk;
    ing_worker *w;
    rd_kafka_queue_t *queue; /* the consumer queue: async commit replies are served on it */
    kpart *parts;
    int nparts;
    size_t capparts;
    int last_part; /* lookup cache */
    const rd_kafka_topic_t *last_rkt;
    int last_topic;
    int route_topic; /* topic whose table binding the ing_worker has; -1 none */
    uint32_t unflushed;
    int64_t first_unflushed; /* monotonic ms */
    int64_t last_commit;     /* monotonic ms */
    bool paused;
    bool exited;
    bool had_assignment; /* the group assigned it partitions (or none) at least once */
    pthread_t th;
    bool started;
    _Atomic int64_t lag;
    _Atomic int assigned;
} kworker;

struct ing_kafka {
    ing *g;
    ing_kafka_config cfg;
    kworker *wk;
    int nw;
    uint32_t flush_messages;
    int64_t flush_ms, idle_ms, commit_ms;
    atomic_bool stop, pause, failed, joined;
    atomic_int running, drained, nstarted;
    pthread_mutex_t mu; /* guards fatal_msg */
    char fatal_msg[600];
    _Atomic uint64_t messages, bytes, flushes, commits, commit_failures, rebalances, errors;
    /* event-time source ids: (topic, partition) in first-seen order, under mu */
    struct {
        int topic;
        int32_t partition;
    } *sources;
    int nsources;
    size_t capsources;
};

/* The event-time source id of a topic-partition: dense, so the runtime can index by it. */
static int source_id(ing_kafka *k, int topic, int32_t partition)
{
    pthread_mutex_lock(&k->mu);
    int i = 0;
    while (i < k->nsources && (k->sources[i].topic != topic || k->sources[i].partition != partition))
        i++;
    if (i == k->nsources) {
        SP_GROW(k->sources, k->capsources, (size_t)k->nsources + 1);
        k->sources[i].topic = topic;
        k->sources[i].partition = partition;
        k->nsources++;
    }
    pthread_mutex_unlock(&k->mu);
    return k->cfg.source_base + i;
}

static void set_fatal(ing_kafka *k, const char *msg)
{
    pthread_mutex_lock(&k->mu);
    if (!k->fatal_msg[0])
        snprintf(k->fatal_msg, sizeof k->fatal_msg, "%s", msg);
    pthread_mutex_unlock(&k->mu);
    atomic_store(&k->failed, true);
    atomic_store(&k->stop, true);
}

static void consumer_fatal(void *owner, const char *reason)
{
    kworker *kw = owner;
    set_fatal(kw->k, reason);
}

static int topic_index(kworker *kw, const rd_kafka_topic_t *rkt, const char *name)
{
    if (rkt && rkt == kw->last_rkt)
        return kw->last_topic;
    const ing_kafka_config *cfg = &kw->k->cfg;
    for (int i = 0; i < cfg->ntopics; i++)
        if (!strcmp(cfg->topics[i].name, name)) {
            if (rkt) {
                kw->last_rkt = rkt;
                kw->last_topic = i;
            }
            return i;
        }
    return -1;
}

static kpart *part_find(kworker *kw, int topic, int32_t partition)
{
    if (kw->last_part < kw->nparts) {
        kpart *p = &kw->parts[kw->last_part];
        if (p->topic == topic && p->partition == partition)
            return p;
    }
    for (int i = 0; i < kw->nparts; i++)
        if (kw->parts[i].topic == topic && kw->parts[i].partition == partition) {
            kw->last_part = i;
            return &kw->parts[i];
        }
    return NULL;
}

static kpart *part_add(kworker *kw, int topic, int32_t partition)
{
    kpart *p = part_find(kw, topic, partition);
    if (p)
        return p;
    SP_GROW(kw->parts, kw->capparts, (size_t)kw->nparts + 1);
    p = &kw->parts[kw->nparts++];
    memset(p, 0, sizeof *p);
    p->topic = topic;
    p->partition = partition;
    p->source = source_id(kw->k, topic, partition);
    p->pending = p->stored = p->committed = -1;
    p->pending_time = p->flushed_time = INT64_MIN;
    p->last_msg = mono_ms();
    if (kw->k->cfg.source_pending)
        kw->k->cfg.source_pending(kw->k->cfg.ctx, p->source);
    return p;
}

static void part_remove(kworker *kw, kpart *p)
{
    *p = kw->parts[--kw->nparts];
    kw->last_part = 0;
}

/* Records the outcome of a commit of list l (err: the request's error). Returns the error
 * (the request's, else the first partition's). */
static rd_kafka_resp_err_t commit_done(kworker *kw, rd_kafka_resp_err_t err, const rd_kafka_topic_partition_list_t *l)
{
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET || !l)
        return RD_KAFKA_RESP_ERR_NO_ERROR;
    int failed = 0;
    for (int i = 0; i < l->cnt; i++) {
        int t = topic_index(kw, NULL, l->elems[i].topic);
        kpart *p = t >= 0 ? part_find(kw, t, l->elems[i].partition) : NULL;
        if (err || l->elems[i].err) {
            failed++;
            if (!err)
                err = l->elems[i].err;
        } else if (p) {
            p->committed = SP_MAX(p->committed, l->elems[i].offset);
        }
    }
    if (failed) {
        atomic_fetch_add(&kw->k->commit_failures, 1);
        klog(kw->client, SP_LOG_WARN,
             "commit of %d partition(s) failed: %s (records after the last committed offset will be "
             "delivered again and dropped as duplicates)",
             failed, rd_kafka_err2str(err ? err : RD_KAFKA_RESP_ERR_UNKNOWN));
    }
    return err;
}

/* The reply to an asynchronous commit, served by rd_kafka_consumer_poll on the worker. */
static void on_async_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *offsets,
                            void *opaque)
{
    (void)commit_done(opaque, err, offsets);
}

/* Commits the stored offsets not yet committed, of the given partitions (all when NULL):
 * asynchronously after flushes (every commit interval), synchronously on revoke and on
 * shutdown. Returns the error of a synchronous commit. */
/* The stored offsets not yet committed, of the given partitions (all when NULL). */
static rd_kafka_topic_partition_list_t *stored_offsets(kworker *kw, const rd_kafka_topic_partition_list_t *only)
{
    ing_kafka *k = kw->k;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(kw->nparts ? kw->nparts : 1);
    for (int i = 0; i < kw->nparts; i++) {
        kpart *p = &kw->parts[i];
        if (p->stored < 0 || p->stored <= p->committed)
            continue;
        const char *tn = k->cfg.topics[p->topic].name;
        if (only && !rd_kafka_topic_partition_list_find(only, tn, p->partition))
            continue;
        rd_kafka_topic_partition_list_add(l, tn, p->partition)->offset = p->stored;
    }
    return l;
}

/* Drops from l the partitions whose committed offset is already at or past the one l holds
 * for them. A member that lost a partition during a stop's retries, and another that took
 * it and read it again from the older committed offset, would otherwise each commit their
 * own stored offset, and the later commit, the lower one perhaps, would stand. On an error
 * l is left as it is. */
static void drop_committed_past(kworker *kw, rd_kafka_topic_partition_list_t *l)
{
    if (!l->cnt)
        return;
    rd_kafka_topic_partition_list_t *c = rd_kafka_topic_partition_list_copy(l);
    if (rd_kafka_committed(kw->rk, c, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR)
        for (int i = l->cnt - 1; i >= 0; i--) {
            const rd_kafka_topic_partition_t *e =
                rd_kafka_topic_partition_list_find(c, l->elems[i].topic, l->elems[i].partition);
            if (e && !e->err && e->offset >= l->elems[i].offset)
                rd_kafka_topic_partition_list_del_by_idx(l, i);
        }
    rd_kafka_topic_partition_list_destroy(c);
}

/* Commits list l synchronously and records the outcome; returns the request's error. */
static rd_kafka_resp_err_t commit_sync(kworker *kw, const rd_kafka_topic_partition_list_t *l)
{
    atomic_fetch_add(&kw->k->commits, 1);
    return commit_done(kw, rd_kafka_commit(kw->rk, l, 0), l);
}

static rd_kafka_resp_err_t commit_stored(kworker *kw, const rd_kafka_topic_partition_list_t *only, bool async)
{
    rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR_NO_ERROR;
    ing_kafka *k = kw->k;
    rd_kafka_topic_partition_list_t *l = stored_offsets(kw, only);
    kw->last_commit = mono_ms();
    if (l->cnt && async) {
        atomic_fetch_add(&k->commits, 1);
        rd_kafka_resp_err_t err = rd_kafka_commit_queue(kw->rk, l, kw->queue, on_async_commit, kw);
        if (err)
            (void)commit_done(kw, err, l);
    } else if (l->cnt) {
        result = commit_sync(kw, l);
    }
    rd_kafka_topic_partition_list_destroy(l);
    return result;
}

/* The commit point: seal (per-event rules run, sinks flush), confirm the alerts are
 * acknowledged, then store the offsets and report event-time progress. */
static void worker_flush(kworker *kw)
{
    ing_kafka *k = kw->k;
    bool any = kw->unflushed > 0;
    for (int i = 0; !any && i < kw->nparts; i++)
        any = kw->parts[i].pending >= 0;
    kw->unflushed = 0;
    kw->first_unflushed = 0;
    if (!any)
        return;
    ing_worker_flush(kw->w);
    if (atomic_load(&k->failed))
        return; /* never store offsets past a failure */
    if (k->cfg.acknowledged && k->cfg.acknowledged(k->cfg.ctx) != 0) {
        set_fatal(k, "an alert sink failed to acknowledge alerts; offsets of the records that produced "
                     "them are not stored (they will be consumed again on restart)");
        return;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(kw->nparts);
    int64_t now = mono_ms();
    for (int i = 0; i < kw->nparts; i++) {
        kpart *p = &kw->parts[i];
        if (p->pending < 0)
            continue;
        p->last_msg = now;
        rd_kafka_topic_partition_list_add(l, k->cfg.topics[p->topic].name, p->partition)->offset = p->pending;
        p->stored = p->pending;
        p->pending = -1;
        if (p->pending_time != INT64_MIN && p->pending_time > p->flushed_time) {
            p->flushed_time = p->pending_time;
            if (k->cfg.watermark)
                k->cfg.watermark(k->cfg.ctx, p->source, p->flushed_time);
        }
        p->pending_time = INT64_MIN;
    }
    if (l->cnt) {
        rd_kafka_resp_err_t err = rd_kafka_offsets_store(kw->rk, l);
        if (err)
            for (int i = 0; i < l->cnt; i++)
                if (l->elems[i].err)
                    klog(kw->client, SP_LOG_DEBUG, "offset store %s[%d]@%lld: %s", l->elems[i].topic,
                         (int)l->elems[i].partition, (long long)l->elems[i].offset,
                         rd_kafka_err2str(l->elems[i].err));
        atomic_fetch_add(&k->flushes, 1);
    }
    rd_kafka_topic_partition_list_destroy(l);
    if (now - kw->last_commit >= k->commit_ms)
        (void)commit_stored(kw, NULL, true);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque)
{
    kworker *kw = ((kclient *)opaque)->owner;
    ing_kafka *k = kw->k;
    bool coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    atomic_fetch_add(&k->rebalances, 1);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        kw->had_assignment = true;
        for (int i = 0; i < parts->cnt; i++) {
            int t = topic_index(kw, NULL, parts->elems[i].topic);
            if (t >= 0)
                part_add(kw, t, parts->elems[i].partition);
        }
        klog(kw->client, SP_LOG_INFO, "assigned %d partition(s), %d in all", parts->cnt, kw->nparts);
        if (coop) {
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
            if (e) {
                klog(kw->client, SP_LOG_ERROR, "incremental assign: %s", rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
            }
        } else {
            rd_kafka_assign(rk, parts);
        }
        if (kw->paused)
            rd_kafka_pause_partitions(rk, parts);
        atomic_store(&kw->assigned, kw->nparts);
        return;
    }
    /* Revoked or lost: everything ingested so far goes through the rules and the sinks and
     * its offsets are stored, then committed before another member may take over. */
    bool lost = err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS || rd_kafka_assignment_lost(rk);
    worker_flush(kw);
    if (!lost && !atomic_load(&k->failed))
        (void)commit_stored(kw, parts, false);
    for (int i = 0; i < parts->cnt; i++) {
        int t = topic_index(kw, NULL, parts->elems[i].topic);
        kpart *p = t >= 0 ? part_find(kw, t, parts->elems[i].partition) : NULL;
        if (!p)
            continue;
        if (k->cfg.source_idle)
            k->cfg.source_idle(k->cfg.ctx, p->source);
        part_remove(kw, p);
    }
    klog(kw->client, SP_LOG_INFO, "%s %d partition(s), %d left", lost ? "lost" : "revoked", parts->cnt,
         kw->nparts);
    if (coop) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e) {
            klog(kw->client, SP_LOG_ERROR, "incremental unassign: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_assign(rk, NULL);
    }
    atomic_store(&kw->assigned, kw->nparts);
}

static void handle_message(kworker *kw, rd_kafka_message_t *m)
{
    ing_kafka *k = kw->k;
    if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            return;
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
            char why[512], msg[600], clean[600];
            rd_kafka_fatal_error(kw->rk, why, sizeof why);
            snprintf(msg, sizeof msg, "fatal consumer error: %s", why);
            redact(&kw->client->secrets, msg, clean, sizeof clean);
            set_fatal(k, clean);
            return;
        }
        atomic_fetch_add(&k->errors, 1);
        klog(kw->client, SP_LOG_WARN, "%s%s%s: %s", m->rkt ? rd_kafka_topic_name(m->rkt) : "",
             m->rkt ? " " : "", rd_kafka_err2name(m->err), rd_kafka_message_errstr(m));
        return;
    }
    const char *tn = rd_kafka_topic_name(m->rkt);
    int t = topic_index(kw, m->rkt, tn);
    if (t < 0)
        return; /* not subscribed (cannot happen with a fixed topic list) */
    kpart *p = part_find(kw, t, m->partition);
    if (!p)
        p = part_add(kw, t, m->partition); /* a message before the assignment was seen */
    if (t != kw->route_topic) {
        ing_worker_route(kw->w, k->cfg.topics[t].table);
        kw->route_topic = t;
    }
    char origin[300];
    snprintf(origin, sizeof origin, "%s/%d:%lld", tn, (int)m->partition, (long long)m->offset);
    ing_worker_message_from(kw->w, m->payload ? (const void *)m->payload : (const void *)"", m->len, tn, origin);
    int64_t et = ing_worker_take_max_time(kw->w);
    p->pending = m->offset + 1;
    if (et > p->pending_time)
        p->pending_time = et;
    p->idle = false;
    if (kw->unflushed++ == 0)
        kw->first_unflushed = mono_ms();
    atomic_fetch_add_explicit(&k->messages, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&k->bytes, m->len, memory_order_relaxed);
}

static void set_paused(kworker *kw, bool pause)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(kw->rk, &a) == RD_KAFKA_RESP_ERR_NO_ERROR && a) {
        if (a->cnt)
            (pause ? rd_kafka_pause_partitions : rd_kafka_resume_partitions)(kw->rk, a);
        rd_kafka_topic_partition_list_destroy(a);
    }
    kw->paused = pause;
    if (!pause) /* the idle clock restarts: the pause was not silence */
        for (int i = 0; i < kw->nparts; i++)
            kw->parts[i].last_msg = mono_ms();
    klog(kw->client, SP_LOG_INFO, "%s consumption (memory budget)", pause ? "paused" : "resumed");
}

/* Idle partitions, pausing and lag, about ten times a second. */
static void housekeeping(kworker *kw, int64_t now)
{
    ing_kafka *k = kw->k;
    /* A paused partition is held back, not idle: its records are waiting in Kafka and must
     * not arrive late. */
    for (int i = 0; i < kw->nparts && !kw->paused; i++) {
        kpart *p = &kw->parts[i];
        if (!p->idle && now - p->last_msg >= k->idle_ms && p->pending < 0) {
            p->idle = true;
            if (k->cfg.source_idle)
                k->cfg.source_idle(k->cfg.ctx, p->source);
        }
    }
    bool want = atomic_load(&k->pause);
    if (want != kw->paused)
        set_paused(kw, want);
    if (!kw->nparts) {
        atomic_store(&kw->lag, 0);
        return;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(kw->nparts);
    for (int i = 0; i < kw->nparts; i++)
        rd_kafka_topic_partition_list_add(l, k->cfg.topics[kw->parts[i].topic].name, kw->parts[i].partition);
    int64_t lag = 0;
    bool known = rd_kafka_position(kw->rk, l) == RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; known && i < l->cnt; i++) {
        int64_t lo, hi;
        if (rd_kafka_get_watermark_offsets(kw->rk, l->elems[i].topic, l->elems[i].partition, &lo, &hi) ||
            hi < 0) {
            known = false;
            break;
        }
        int64_t pos = l->elems[i].offset >= 0 ? l->elems[i].offset : lo;
        lag += hi > pos ? hi - pos : 0;
    }
    rd_kafka_topic_partition_list_destroy(l);
    atomic_store(&kw->lag, known ? lag : -1);
}

static void *worker_main(void *arg)
{
    kworker *kw = arg;
    ing_kafka *k = kw->k;
    int64_t last_house = mono_ms();
    while (!atomic_load(&k->stop)) {
        int timeout = 100;
        if (kw->unflushed) {
            int64_t left = kw->first_unflushed + k->flush_ms - mono_ms();
            timeout = left < 0 ? 0 : left < timeout ? (int)left : timeout;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(kw->rk, timeout);
        if (m) {
            handle_message(kw, m);
            rd_kafka_message_destroy(m);
        }
        int64_t now = mono_ms();
        if (kw->unflushed >= k->flush_messages || (kw->unflushed && now - kw->first_unflushed >= k->flush_ms))
            worker_flush(kw);
        if (now - last_house >= 100) {
            housekeeping(kw, now);
            last_house = now;
        }
    }
    /* Drain: flush what was ingested and commit it while every worker is still a member:
     * the first member to leave starts a rebalance, and a group that is rebalancing refuses
     * commits. So all workers commit first, then all leave (the revoke callback inside close
     * finds nothing left to flush or commit). */
    worker_flush(kw);
    /* A group in the middle of a rebalance (another member joining or leaving at the same
     * moment) refuses commits, and a member whose generation moved on under load (a late
     * heartbeat) must rejoin first, which also takes its partitions away (lost). So the
     * offsets to commit are taken once, before any retry, and committed as they are once the
     * member is back in the group: Kafka accepts a current member's commit for any partition
     * of the group. Before each try, partitions another member has committed at or past this
     * one's offset are dropped (drop_committed_past), so that a stale list cannot move a
     * partition's offset back. Meanwhile the group is served (polls) and nothing more is
     * ingested. */
    rd_kafka_topic_partition_list_t *final = stored_offsets(kw, NULL);
    for (int64_t until = mono_ms() + 10000; !atomic_load(&k->failed);) {
        drop_committed_past(kw, final);
        if (!final->cnt)
            break;
        rd_kafka_resp_err_t cerr = commit_sync(kw, final);
        if ((cerr != RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS && cerr != RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION &&
             cerr != RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID && cerr != RD_KAFKA_RESP_ERR__STATE) ||
            mono_ms() > until)
            break;
        for (int i = 0; i < 10; i++) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(kw->rk, 20); /* not ingested: delivered again */
            if (m)
                rd_kafka_message_destroy(m);
        }
    }
    rd_kafka_topic_partition_list_destroy(final);
    atomic_fetch_add(&k->drained, 1);
    for (int64_t until = mono_ms() + 10000; atomic_load(&k->drained) < atomic_load(&k->nstarted) &&
                                            mono_ms() < until;) {
        /* Serve callbacks only; a message fetched now is neither ingested nor stored, so it
         * is delivered again later. */
        rd_kafka_message_t *m = rd_kafka_consumer_poll(kw->rk, 2);
        if (m)
            rd_kafka_message_destroy(m);
    }
    rd_kafka_resp_err_t err = rd_kafka_consumer_close(kw->rk);
    if (err && err != RD_KAFKA_RESP_ERR__FATAL)
        klog(kw->client, SP_LOG_WARN, "close: %s", rd_kafka_err2str(err));
    atomic_store(&kw->assigned, 0);
    atomic_fetch_sub(&k->running, 1);
    return NULL;
}

static bool valid_config(const ing_kafka_config *cfg, sp_diag *d)
{
    if (!cfg->group || !*cfg->group) {
        sp_diag_set(d, NULL, 0, 0, "kafka: a consumer group is required");
        return false;
    }
    if (cfg->ntopics < 1) {
        sp_diag_set(d, NULL, 0, 0, "kafka: at least one topic is required");
        return false;
    }
    for (int i = 0; i < cfg->ntopics; i++)
        if (cfg->topics[i].table && !ing_valid_table_name(cfg->topics[i].table, strlen(cfg->topics[i].table))) {
            sp_diag_set(d, NULL, 0, 0, "kafka: topic %s: invalid table name '%s'", cfg->topics[i].name,
                        cfg->topics[i].table);
            return false;
        }
    return true;
}

ing_kafka *ing_kafka_start(ing *g, const ing_kafka_config *cfg, sp_diag *d)
{
    if (!valid_config(cfg, d))
        return NULL;
    ing_kafka *k = sp_xcalloc(1, sizeof *k);
    k->g = g;
    k->cfg = *cfg;
    k->nw = cfg->workers > 0 ? cfg->workers : 1;
    k->flush_messages = cfg->flush_messages ? cfg->flush_messages : 20000;
    k->flush_ms = cfg->flush_interval > 0 ? SP_MAX(1, cfg->flush_interval / SP_TICKS_PER_MS) : 500;
    k->idle_ms = cfg->idle_timeout > 0 ? SP_MAX(1, cfg->idle_timeout / SP_TICKS_PER_MS) : 30000;
    k->commit_ms = 5000;
    for (int i = 0; i < cfg->nprops; i++) /* the commit cadence keeps librdkafka's name */
        if (!strcmp(cfg->props[i].key, "auto.commit.interval.ms"))
            k->commit_ms = SP_MAX(1, atoll(cfg->props[i].value));
    pthread_mutex_init(&k->mu, NULL);
    k->wk = sp_xcalloc((size_t)k->nw, sizeof *k->wk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(cfg->ntopics);
    for (int i = 0; i < cfg->ntopics; i++)
        rd_kafka_topic_partition_list_add(sub, cfg->topics[i].name, RD_KAFKA_PARTITION_UA);
    for (int i = 0; i < k->nw; i++) {
        kworker *kw = &k->wk[i];
        kw->k = k;
        kw->id = i;
        kw->route_topic = -1;
        char what[32];
        snprintf(what, sizeof what, "consumer %d", i + 1);
        kw->client = sp_xcalloc(1, sizeof *kw->client);
        kclient_init(kw->client, cfg->props, cfg->nprops, what, consumer_fatal, kw);
        atomic_store(&kw->lag, -1);
        rd_kafka_conf_t *conf = make_conf(consumer_defaults, cfg->props, cfg->nprops, kw->client, d);
        char err[512];
        if (conf && rd_kafka_conf_set(conf, "group.id", cfg->group, err, sizeof err) != RD_KAFKA_CONF_OK) {
            sp_diag_set(d, NULL, 0, 0, "kafka.group: %s", err);
            rd_kafka_conf_destroy(conf);
            conf = NULL;
        }
        if (!conf)
            goto fail;
        rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
        kw->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
        if (!kw->rk) {
            char clean[512];
            redact(&kw->client->secrets, err, clean, sizeof clean);
            sp_diag_set(d, NULL, 0, 0, "kafka consumer: %s", clean);
            rd_kafka_conf_destroy(conf);
            goto fail;
        }
        rd_kafka_poll_set_consumer(kw->rk);
        kw->queue = rd_kafka_queue_get_consumer(kw->rk);
        rd_kafka_resp_err_t e = rd_kafka_subscribe(kw->rk, sub);
        if (e) {
            sp_diag_set(d, NULL, 0, 0, "kafka subscribe: %s", rd_kafka_err2str(e));
            goto fail;
        }
        kw->w = ing_worker_new(g);
    }
    rd_kafka_topic_partition_list_destroy(sub);
    sub = NULL;
    for (int i = 0; i < k->nw; i++) {
        atomic_fetch_add(&k->running, 1);
        if (pthread_create(&k->wk[i].th, NULL, worker_main, &k->wk[i]) != 0) {
            atomic_fetch_sub(&k->running, 1);
            sp_diag_set(d, NULL, 0, 0, "cannot start a consumer thread");
            goto fail;
        }
        k->wk[i].started = true;
        atomic_fetch_add(&k->nstarted, 1);
    }
    return k;
fail:
    if (sub)
        rd_kafka_topic_partition_list_destroy(sub);
    ing_kafka_free(k); /* stops and joins the threads already started */
    return NULL;
}

void ing_kafka_pause(ing_kafka *k, bool pause)
{
    atomic_store(&k->pause, pause);
}

void ing_kafka_stop(ing_kafka *k)
{
    atomic_store(&k->stop, true);
}

bool ing_kafka_done(ing_kafka *k)
{
    return atomic_load(&k->running) == 0;
}

int ing_kafka_join(ing_kafka *k, sp_diag *d)
{
    if (!atomic_exchange(&k->joined, true))
        for (int i = 0; i < k->nw; i++)
            if (k->wk[i].started) {
                pthread_join(k->wk[i].th, NULL);
                k->wk[i].started = false;
            }
    if (atomic_load(&k->failed)) {
        pthread_mutex_lock(&k->mu);
        sp_diag_set(d, NULL, 0, 0, "%s", k->fatal_msg[0] ? k->fatal_msg : "kafka: fatal error");
        pthread_mutex_unlock(&k->mu);
        return -1;
    }
    return 0;
}

static void kclient_free(kclient *c)
{
    secrets_free(&c->secrets);
    free(c);
}

/* librdkafka before 2.3.0 (Debian 12 ships 2.0.2) aborts in rd_kafka_destroy of a
 * cooperative-sticky consumer that never completed an assignment: the assignor's state is
 * set by the first assignment and destroyed without a NULL check
 * (confluentinc/librdkafka#4312, fixed by #4381). A worker that joined while the group was
 * still settling (a busy machine, a short run, a broker that refuses) is in that state at
 * shutdown. Such a handle has already left the group in rd_kafka_consumer_close; it is
 * parked here instead of destroyed, reachable until the process exits, and with it its
 * kclient: the handle's threads keep reconnecting and logging through it (see kclient). */
typedef struct kparked {
    rd_kafka_t *rk;
    kclient *client;
} kparked;
static pthread_mutex_t parked_mu = PTHREAD_MUTEX_INITIALIZER;
static kparked *parked;
static size_t nparked, capparked;

/* Destroys the worker's consumer and then its client; or parks both. */
static void consumer_destroy(kworker *kw)
{
    if (kw->had_assignment || rd_kafka_version() >= 0x020300ff) {
        rd_kafka_destroy(kw->rk); /* returns once its threads are gone: no callback after it */
        kclient_free(kw->client);
    } else {
        atomic_store(&kw->client->parked, true);
        pthread_mutex_lock(&parked_mu);
        SP_GROW(parked, capparked, nparked + 1);
        parked[nparked++] = (kparked){kw->rk, kw->client};
        pthread_mutex_unlock(&parked_mu);
    }
    kw->rk = NULL;
    kw->client = NULL;
}

void ing_kafka_free(ing_kafka *k)
{
    if (!k)
        return;
    atomic_store(&k->stop, true);
    sp_diag d;
    ing_kafka_join(k, &d);
    for (int i = 0; i < k->nw; i++) {
        kworker *kw = &k->wk[i];
        if (kw->queue)
            rd_kafka_queue_destroy(kw->queue);
        if (kw->rk)
            consumer_destroy(kw);
        else if (kw->client) /* rd_kafka_new failed: nothing calls back */
            kclient_free(kw->client);
        if (kw->w)
            ing_worker_free(kw->w);
        free(kw->parts);
    }
    free(k->wk);
    free(k->sources);
    pthread_mutex_destroy(&k->mu);
    free(k);
}

void ing_kafka_stats_get(ing_kafka *k, ing_kafka_stats *out)
{
    memset(out, 0, sizeof *out);
    out->messages = atomic_load(&k->messages);
    out->bytes = atomic_load(&k->bytes);
    out->flushes = atomic_load(&k->flushes);
    out->commits = atomic_load(&k->commits);
    out->commit_failures = atomic_load(&k->commit_failures);
    out->rebalances = atomic_load(&k->rebalances);
    out->consumer_errors = atomic_load(&k->errors);
    out->paused = atomic_load(&k->pause);
    out->lag = 0;
    for (int i = 0; i < k->nw; i++) {
        int64_t l = atomic_load(&k->wk[i].lag);
        int a = atomic_load(&k->wk[i].assigned);
        out->assigned += a;
        out->members += a > 0;
        if (a && l < 0)
            out->lag = -1;
        else if (out->lag >= 0)
            out->lag += l;
    }
}

/* ---- the alert sink ---------------------------------------------------------------------- */

typedef struct ksink {
    rt_sink base;
    kclient client; /* the producer's opaque: freed after the producer */
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt; /* held so the topic's metadata is fetched at start, not with the first alert */
    char *topic;
    char name[300];
    atomic_bool failed;
    _Atomic uint64_t delivered, errors;
} ksink;

static void sink_fatal(void *owner, const char *reason)
{
    ksink *s = owner;
    atomic_store(&s->failed, true);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    ksink *s = ((kclient *)opaque)->owner;
    if (m->err) {
        atomic_fetch_add(&s->errors, 1);
        atomic_store(&s->failed, true);
        klog(&s->client, SP_LOG_ERROR, "alert not delivered to %s: %s", s->topic, rd_kafka_err2str(m->err));
    } else {
        atomic_fetch_add(&s->delivered, 1);
    }
}

/* The AlertId of an alert object, for the message key (alerts with one key land in one
 * partition, in order). */
static bool alert_id(const char *json, size_t len, const char **id, size_t *n)
{
    static const char key[] = "\"AlertId\":\"";
    const char *p = memmem(json, len, key, sizeof key - 1);
    if (!p)
        return false;
    p += sizeof key - 1;
    const char *e = memchr(p, '"', len - (size_t)(p - json));
    if (!e)
        return false;
    *id = p;
    *n = (size_t)(e - p);
    return true;
}

static int sink_write(rt_sink *self, const char *json, size_t len)
{
    ksink *s = (ksink *)self;
    if (atomic_load(&s->failed))
        return -1;
    const char *key = NULL;
    size_t klen = 0;
    alert_id(json, len, &key, &klen);
    for (;;) {
        rd_kafka_resp_err_t err =
            rd_kafka_producev(s->rk, RD_KAFKA_V_TOPIC(s->topic), RD_KAFKA_V_VALUE((void *)json, len),
                              RD_KAFKA_V_KEY((void *)key, klen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_END);
        if (!err)
            break;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            klog(&s->client, SP_LOG_ERROR, "cannot queue an alert for %s: %s", s->topic, rd_kafka_err2str(err));
            atomic_store(&s->failed, true);
            return -1;
        }
        rd_kafka_poll(s->rk, 50); /* back-pressure: wait for deliveries */
    }
    rd_kafka_poll(s->rk, 0);
    return 0;
}

static int sink_flush(rt_sink *self)
{
    ksink *s = (ksink *)self;
    /* Waits for every delivery report; bounded by message.timeout.ms, after which the
     * reports say the messages failed. */
    while (rd_kafka_outq_len(s->rk) > 0 && !atomic_load(&s->failed))
        rd_kafka_flush(s->rk, 1000);
    return atomic_load(&s->failed) ? -1 : 0;
}

static void sink_close(rt_sink *self)
{
    ksink *s = (ksink *)self;
    if (s->rk) {
        rd_kafka_flush(s->rk, 10000);
        if (s->rkt)
            rd_kafka_topic_destroy(s->rkt);
        rd_kafka_destroy(s->rk);
    }
    secrets_free(&s->client.secrets);
    free(s->topic);
    free(s);
}

rt_sink *ing_kafka_sink_new(const ing_kafka_prop *props, int nprops, const char *topic, sp_diag *d)
{
    ksink *s = sp_xcalloc(1, sizeof *s);
    s->topic = sp_xstrdup(topic);
    snprintf(s->name, sizeof s->name, "kafka:%s", topic);
    s->base = (rt_sink){.write = sink_write, .flush = sink_flush, .close = sink_close, .name = s->name};
    kclient_init(&s->client, props, nprops, "alert producer", sink_fatal, s);
    rd_kafka_conf_t *conf = make_conf(producer_defaults, props, nprops, &s->client, d);
    if (!conf) {
        sink_close(&s->base);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    char err[512];
    s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!s->rk) {
        char clean[512];
        redact(&s->client.secrets, err, clean, sizeof clean);
        sp_diag_set(d, NULL, 0, 0, "kafka alert producer: %s", clean);
        rd_kafka_conf_destroy(conf);
        sink_close(&s->base);
        return NULL;
    }
    s->rkt = rd_kafka_topic_new(s->rk, topic, NULL);
    return &s->base;
}
