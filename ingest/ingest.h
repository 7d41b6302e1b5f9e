/* ingest.h — reading JSON records into the store (DESIGN.md §1.1–1.2).
 *
 * Ownership: an ing owns its configuration copy, its dead-letter file and its default
 * worker; a worker owns its parser, its builders and its buffers. Callers own the store
 * (it must outlive the ing) and the bytes they pass in (copied or consumed before return).
 *
 * What it does. Sources (NDJSON files plain or zstd, stdin, a single pretty-printed JSON
 * document, in-memory messages) yield documents; each document is parsed once (simdjson)
 * into records; each record's envelope is recognised and mapped onto a table's columns:
 *   - Log Analytics row form: `Type` names the table, columns by exact name;
 *   - Azure Monitor diagnostic-settings form (Event Hubs): `category` + `time`, mapped to
 *     the Log Analytics columns (SCHEMAS.md), `{"records":[...]}` envelopes unwrapped;
 *   - Purview / Office 365 Management Activity records: `RecordType` + `Operation` +
 *     `CreationTime`; Copilot record types go to CopilotActivity, the rest to
 *     OfficeActivity;
 *   - anything else goes to table `Events`; config.table sends everything to one table.
 * Declared tables keep unknown fields and values that do not fit their column type in the
 * dynamic `AdditionalFields` column; other tables infer their schema from the data.
 *
 * Re-deliveries: the store keeps one copy of a record (same id, or same raw bytes where
 * the table has no id column); each copy it drops becomes a row of the declared table
 * IngestionDuplicates (the record's table, key, envelope, input and event time), so rules
 * can report double ingestion.
 *
 * Bad input is counted, never fatal: a record that cannot be stored is rejected with a
 * reason (ing_reason), reported on stderr with its origin (file:line) for the first few of
 * each reason, and appended to the dead-letter file when one is configured, as one JSON
 * line {"origin","reason","detail","record"[,"record_base64"]}.
 *
 * Threading: an ing is shared; create one ing_worker per thread and feed it from that
 * thread only. Workers on one ing share the store, the dead-letter file and the report
 * counters (under a mutex, touched only on rejections and flushes). A worker's rows become
 * visible to readers when it flushes (or when a builder fills a chunk). Statistics are
 * merged into the ing when a worker flushes or is freed. The ing_* convenience functions
 * use the ing's own default worker and are for single-threaded callers.
 */
#ifndef ING_INGEST_H
#define ING_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/core/core.h"
#include "engine/store/store.h"

/* Why a record was rejected. */
#define ING_REASONS(X)                                                                   \
    X(INVALID_JSON, "invalid_json")         /* not well-formed JSON (RFC 8259) */         \
    X(INVALID_UTF8, "invalid_utf8")         /* bytes that are not UTF-8 */                \
    X(TOO_LARGE, "too_large")               /* above max_record_bytes */                  \
    X(TOO_DEEP, "too_deep")                 /* nested deeper than max_depth */            \
    X(NOT_AN_OBJECT, "not_an_object")       /* a number, string, array... not a record */ \
    X(TOO_MANY_COLUMNS, "too_many_columns") /* an inferred table is full */

typedef enum ing_reason {
#define ING_REASON_ENUM(id, name) ING_REJ_##id,
    ING_REASONS(ING_REASON_ENUM)
#undef ING_REASON_ENUM
    ING_REJ_COUNT
} ing_reason;

const char *ing_reason_name(ing_reason r);

typedef struct ing_config {
    const char *table;       /* route every record to this table (--table); NULL: by envelope */
    const char *dead_letter; /* append rejected records here; NULL: none */
    size_t max_record_bytes; /* 0: sp_limits.max_record_bytes */
    int max_depth;           /* 0: sp_limits.max_json_depth */
    int report_limit;        /* rejections printed per reason; 0: 10; negative: none */
    FILE *report;            /* where rejections are printed; NULL: stderr */
    bool parse_only;         /* read and parse, store nothing (measures the parser alone) */
    bool baseline;           /* the benchmark reference: parse, then copy every field's
                              * bytes into plain per-key arena columns, nothing else */
    /* Projection for query-driven loads (`socpipe query --data`): when set, declared tables
     * store only the columns keep_column accepts, plus their time and id columns; other
     * fields are skipped without being converted or validated. */
    bool (*keep_column)(void *ctx, const char *table, const char *column);
    void *keep_ctx;
} ing_config;

typedef struct ing ing;
typedef struct ing_worker ing_worker;

/* Creates an ingest front end writing into store. Returns NULL and fills d when the
 * dead-letter file cannot be opened or the table name is invalid. */
ing *ing_new(sp_store *store, const ing_config *cfg, sp_diag *d);
/* Flushes and frees the default worker, prints the suppressed-rejection summary, closes
 * the dead-letter file. Other workers must have been freed before. */
void ing_free(ing *g);

ing_worker *ing_worker_new(ing *g);
/* Flushes, then frees. */
void ing_worker_free(ing_worker *w);

/* Reads NDJSON (or one JSON document, see source.c) from path, "-" for stdin; zstd input
 * is recognised by its magic bytes. Returns 0, or -1 with d filled on an I/O or
 * decompression error (records read before it are kept). Bad records never fail the
 * call. */
int ing_worker_file(ing_worker *w, const char *path, sp_diag *d);
/* Ingests one message (one JSON document: a record, an envelope or an array). origin
 * names it in reports (e.g. "topic/3:12345"). */
void ing_worker_message(ing_worker *w, const void *data, size_t len, const char *origin);
/* The same for one message of a stream: input names the stream (a Kafka topic), which is
 * the Source IngestionDuplicates records for a dropped re-delivery, while origin still names
 * the message itself in reports ("topic/3:12345"). */
void ing_worker_message_from(ing_worker *w, const void *data, size_t len, const char *input, const char *origin);
/* Seals the worker's open chunks (publishing its rows) and merges its statistics into
 * the ing. */
void ing_worker_flush(ing_worker *w);
/* Sends the worker's following records to table (a Kafka topic bound to a table); NULL
 * restores the ing's routing (config.table, else by envelope). Returns -1 for an invalid
 * table name (the routing is then unchanged). */
int ing_worker_route(ing_worker *w, const char *table);
/* The newest event time (TimeGenerated, ticks) among the records the worker has stored or
 * dropped as re-deliveries since the previous call, INT64_MIN when none had a valid time;
 * resets it. A Kafka worker calls it after each message to track event-time progress per
 * partition (the watermark). */
int64_t ing_worker_take_max_time(ing_worker *w);

/* The same on the ing's default worker (single-threaded use). */
int ing_ingest_file(ing *g, const char *path, sp_diag *d);
void ing_ingest_message(ing *g, const void *data, size_t len, const char *origin);
void ing_flush(ing *g);

/* Bytes held by the baseline's columns (config.baseline), for memory comparisons. */
uint64_t ing_baseline_bytes(ing *g);

/* Per-table outcome of ingest. */
typedef struct ing_table_stats {
    const char *table;     /* owned by the store */
    uint64_t records;      /* records routed to the table */
    uint64_t rows;         /* stored */
    uint64_t duplicates;   /* dropped by the store as re-deliveries */
    uint64_t coerced;      /* values that did not fit their column type (kept in AdditionalFields) */
    uint64_t extra_fields; /* fields the schema does not know (kept in AdditionalFields) */
    uint64_t no_time;      /* stored rows without a valid TimeGenerated */
} ing_table_stats;

typedef struct ing_stats {
    uint64_t documents;  /* lines, messages or array elements parsed */
    uint64_t records;    /* records seen (stored, duplicate or rejected) */
    uint64_t rows;       /* stored */
    uint64_t duplicates;
    uint64_t rejected;   /* sum of by_reason */
    uint64_t by_reason[ING_REJ_COUNT];
    uint64_t bytes;      /* input bytes (after decompression) */
    uint64_t dead_letters; /* entries written to the dead-letter file */
} ing_stats;

/* Totals over everything flushed so far. */
void ing_stats_get(ing *g, ing_stats *out);
/* Per-table statistics in first-seen order; returns the number of tables (fills at most
 * cap). */
int ing_table_stats_get(ing *g, ing_table_stats *out, int cap);
/* The worker's own totals (including what it has not flushed yet). */
void ing_worker_stats(const ing_worker *w, ing_stats *out);

/* ---- Kafka (kafka.c): consumer-group workers and the alert producer --------------------
 *
 * N worker threads, each with its own consumer (one rd_kafka_t) in one consumer group
 * (cooperative-sticky assignment) and its own ing_worker. At-least-once delivery (DESIGN.md
 * §1.8): a worker stores a partition's offset (rd_kafka_offsets_store, with
 * enable.auto.offset.store=false) only after ing_worker_flush returned for every message up
 * to it (so the records are in the store and every per-event rule has seen them, the store's
 * on_seal hook) and cfg.acknowledged said the sinks acknowledged every alert; it commits
 * stored offsets every auto.commit.interval.ms, and synchronously when partitions are
 * revoked and on shutdown. Re-deliveries after a crash are dropped by the store's dedup.
 * Ownership: the config (and every string it points to) must outlive the ing_kafka; the
 * ing_kafka owns its consumers, threads and ing_workers. */

typedef struct ing_kafka_prop {
    const char *key, *value;
    bool secret; /* a credential: redacted from every log line, never printed */
} ing_kafka_prop;

typedef struct ing_kafka_topic {
    const char *name;
    const char *table; /* bind every record to this table; NULL: route by envelope */
} ing_kafka_topic;


typedef struct ing_kafka_config {
    const char *group;
    const ing_kafka_topic *topics;
    int ntopics;
    const ing_kafka_prop *props; /* bootstrap.servers, security, overrides: applied over the
                                  * tuned consumer defaults (ing_kafka_default_props) */
    int nprops;
    int workers;             /* 0: 1 */
    uint32_t flush_messages; /* flush a worker after this many messages; 0: 20000 */
    int64_t flush_interval;  /* ... or this many ticks after its first unflushed one; 0: 500 ms */
    int64_t idle_timeout;    /* a partition silent this long is idle; 0: 30 s */
    /* Event-time sources: each topic-partition gets a small id, source_base + 0, 1, 2, ...
     * in the order partitions are first seen (stable for the life of the ing_kafka). */
    int source_base;
    /* Event-time progress: every record of partition `source` up to event time t is
     * flushed. Called from worker threads. */
    void (*watermark)(void *ctx, int source, int64_t t);
    /* The partition is idle or no longer ours: it must not hold the watermark back. */
    void (*source_idle)(void *ctx, int source);
    /* The partition was just assigned (or first seen): its backlog is still to come, so it
     * holds the watermark back until it reports progress or goes idle (idle_timeout without
     * a message). NULL: partitions count only once they report. */
    void (*source_pending)(void *ctx, int source);
    /* Called after every flush, before offsets are stored: 0 when every alert produced so
     * far is acknowledged by the sinks. Anything else is fatal: no offset is stored again
     * and the consumers stop (ing_kafka_join returns -1). NULL: always acknowledged. */
    int (*acknowledged)(void *ctx);
    void *ctx;
} ing_kafka_config;

typedef struct ing_kafka ing_kafka;

/* The consumer properties socpipe sets before cfg.props (NULL-terminated key, value
 * pairs), for documentation and tests. */
const char *const *ing_kafka_default_props(void);

/* Creates the consumers (configuration errors are reported here, in d), subscribes them
 * and starts the worker threads. Returns NULL and fills d on failure. */
ing_kafka *ing_kafka_start(ing *g, const ing_kafka_config *cfg, sp_diag *d);
/* Memory pressure: pause (true) or resume (false) every assigned partition. Thread-safe. */
void ing_kafka_pause(ing_kafka *k, bool pause);
/* Asks the workers to drain: flush, store and commit offsets, leave the group. Returns at
 * once; async-signal-safe. */
void ing_kafka_stop(ing_kafka *k);
/* True once every worker has exited (after ing_kafka_stop or a fatal error). */
bool ing_kafka_done(ing_kafka *k);
/* Waits for the workers. Returns 0 after a clean drain, -1 after a fatal error (librdkafka's
 * rd_kafka_fatal_error, an unacknowledged alert) with d holding the cause. */
int ing_kafka_join(ing_kafka *k, sp_diag *d);
void ing_kafka_free(ing_kafka *k); /* joins first if needed */

typedef struct ing_kafka_stats {
    uint64_t messages, bytes;  /* consumed and ingested */
    uint64_t flushes;          /* flushes that stored offsets */
    uint64_t commits, commit_failures; /* synchronous commits (revoke, shutdown) */
    uint64_t rebalances;       /* assign and revoke events */
    uint64_t consumer_errors;  /* non-fatal errors reported by librdkafka */
    int64_t lag;               /* messages behind the high watermarks of the assigned
                                * partitions; -1 until known */
    int assigned;              /* partitions assigned over all workers */
    int members;               /* workers holding at least one partition */
    bool paused;
} ing_kafka_stats;
void ing_kafka_stats_get(ing_kafka *k, ing_kafka_stats *out);

/* An alert sink writing each alert as one message to topic (key = its AlertId) through an
 * idempotent producer; flush waits for every delivery report and fails when any delivery
 * failed (a failed sink stays failed). props as for the consumer (bootstrap.servers,
 * security, overrides). Returns NULL with d filled on a configuration error. The returned
 * sink is an rt_sink (engine/runtime/runtime.h). */
struct rt_sink;
struct rt_sink *ing_kafka_sink_new(const ing_kafka_prop *props, int nprops, const char *topic,
                                   sp_diag *d);

#endif
