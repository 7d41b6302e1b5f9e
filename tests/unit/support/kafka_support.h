/* kafka_support.h — scaffolding for the Kafka integration tests: librdkafka's in-process
 * mock cluster, pre-generated telemetry with known ids, producers, a recording stand-in for
 * the rules runtime's hooks, and readers for the store and for topics.
 *
 * Ownership: every object here is freed by its own *_free; strings returned in arrays belong
 * to the array's owner. The mock cluster keeps only 5 MiB per partition and drops older data
 * silently, so tests size their topics (and producers compress with lz4).
 */
#ifndef SP_TEST_KAFKA_SUPPORT_H
#define SP_TEST_KAFKA_SUPPORT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "engine/runtime/runtime.h"
#include "engine/store/store.h"
#include "ingest/ingest.h"

/* ---- mock cluster -------------------------------------------------------------------------- */

typedef struct kt_cluster {
    rd_kafka_t *rk; /* the handle the mock cluster lives in */
    rd_kafka_mock_cluster_t *mc;
    char *bootstraps;
} kt_cluster;

kt_cluster *kt_cluster_new(int brokers);
void kt_topic_create(kt_cluster *c, const char *topic, int partitions);
void kt_cluster_free(kt_cluster *c);

/* ---- generated messages ------------------------------------------------------------------- */

/* SigninLogs records from the generator (with its password-spray scenario), rendered into
 * messages: one Log Analytics row per message (per_message == 1) or Event Hubs envelopes of
 * per_message records. ids holds every record id, match_ids those the test rule
 * (KT_RULE: ResultType 50126, a wrong password) matches, both sorted and each id once (the
 * generator re-delivers a few records, as a second connector would); the match is read
 * from the rendered text, independently of the engine. */
typedef struct kt_batch {
    char **msgs;
    size_t *lens;
    char **keys; /* the generator's entity key: the producer partitions by it */
    size_t n;
    char **ids, **match_ids;
    size_t nids, nmatch;
    int64_t max_time;
} kt_batch;

#define KT_RULE                                                                                    \
    "title: Wrong password\n"                                                                    \
    "id: 6f1c2a4e-5b7d-4c8e-9f00-0000000000a1\n"                                                 \
    "status: test\n"                                                                             \
    "level: medium\n"                                                                            \
    "logsource: {product: azure, service: signinlogs}\n"                                         \
    "detection:\n"                                                                               \
    "  selection:\n"                                                                             \
    "    ResultType: 50126\n"                                                                    \
    "  condition: selection\n"

void kt_batch_gen(kt_batch *b, uint64_t seed, size_t records, int per_message);
void kt_batch_free(kt_batch *b);
bool kt_sorted_has(char *const *sorted, size_t n, const char *s);

/* Produces messages [from, to) of b and waits for their delivery. */
void kt_produce(kt_cluster *c, const char *topic, const kt_batch *b, size_t from, size_t to);

/* A background producer: all of b, spread over about seconds. */
typedef struct kt_producer kt_producer;
kt_producer *kt_producer_start(kt_cluster *c, const char *topic, const kt_batch *b, double seconds);
size_t kt_producer_sent(kt_producer *p);
void kt_producer_join(kt_producer *p);

/* ---- sinks ---------------------------------------------------------------------------------- */

/* An in-memory sink recording each alert's AlertId and the Id of its first event
 * (thread-safe). fail_after >= 0 makes every flush after that many alerts fail. */
rt_sink *kt_mem_sink_new(int fail_after);
/* The AlertIds / event Ids written so far, sorted (new strings). */
char **kt_mem_sink_ids(rt_sink *s, size_t *n);
char **kt_mem_sink_event_ids(rt_sink *s, size_t *n);

/* ---- the runtime, a store and an ing, with a probe on the Kafka callbacks ------------------- */

#define KT_MAX_SOURCES 64
typedef struct kt_probe {
    pthread_mutex_t mu;
    rt_engine *engine;
    rt_sink *watched[4];
    int nwatched;
    int nsources;
    int sources[KT_MAX_SOURCES];
    int64_t watermark[KT_MAX_SOURCES];
    int idle[KT_MAX_SOURCES];
    int pending[KT_MAX_SOURCES];           /* times declared pending */
    bool pending_before_first[KT_MAX_SOURCES]; /* was pending when it first reported progress */
} kt_probe;

/* ing_kafka callbacks: record, then forward to the engine / ask the watched sinks. */
void kt_probe_watermark(void *ctx, int source, int64_t t);
void kt_probe_idle(void *ctx, int source);
void kt_probe_pending(void *ctx, int source);
int kt_probe_ack(void *ctx);

typedef struct kt_harness {
    kt_cluster *c;
    sp_store *store;
    rt_engine *engine;
    ing *g;
    kt_probe probe;
    rt_sink *mem; /* the memory sink (watched) */
    char rule_dir[32], rule_path[48];
} kt_harness;

/* A store with the rules runtime running KT_RULE, a memory sink, and an ing. mem_fail_after
 * as for kt_mem_sink_new (-1: never fails). */
void kt_harness_start(kt_harness *h, kt_cluster *c, int mem_fail_after);
void kt_harness_end(kt_harness *h);
/* Adds a (watched) Kafka alert sink writing to topic on the mock cluster. */
void kt_harness_kafka_sink(kt_harness *h, const char *topic);

/* The worker group's configuration for the harness: the mock's bootstraps, a short session
 * timeout, frequent flushes, the probe's callbacks. props holds at least 8. */
void kt_kafka_config(ing_kafka_config *cfg, ing_kafka_prop *props, kt_harness *h, const char *group,
                     const ing_kafka_topic *topics, int ntopics, int workers);
/* Starts a worker group on the harness (cfg and props must outlive it): kt_kafka_config,
 * then kt_group_start_cfg. */
ing_kafka *kt_group_start(kt_harness *h, const char *group, const ing_kafka_topic *topics, int ntopics,
                          int workers, ing_kafka_config *cfg, ing_kafka_prop *props);
/* Starts a worker group from a prepared configuration. */
ing_kafka *kt_group_start_cfg(kt_harness *h, const ing_kafka_config *cfg);
/* Stops, joins (asserting a clean drain) and frees; _stats also returns the final stats. */
void kt_group_stop(ing_kafka *k);
void kt_group_stop_stats(ing_kafka *k, ing_kafka_stats *out);
/* Waits until the group has consumed n messages (or timeout); returns the count. */
uint64_t kt_wait_messages(ing_kafka *k, uint64_t n, int timeout_ms);
/* Waits until the group has settled on this member (it holds all `partitions` partitions)
 * and caught up (lag 0), or timeout: a member drained in the middle of a rebalance cannot
 * commit, by Kafka's design, and the partitions it took over restart at their last
 * committed offset, so a test that checks commits stops it only then. Returns whether it
 * settled. */
bool kt_wait_settled(ing_kafka *k, int partitions, int timeout_ms);

/* ---- inspection and checks (cmocka assertions) --------------------------------------------- */

/* Waits until table holds at least rows rows (or timeout); returns the rows. */
uint64_t kt_wait_rows(sp_store *s, const char *table, uint64_t rows, int timeout_ms);
/* Every value of column col of table, sorted (duplicates kept). */
char **kt_store_column(sp_store *s, const char *table, const char *col, size_t *n);
/* Every message key of topic (its partitions read from the beginning), sorted; reads until
 * expect keys and half a second of quiet, or timeout. */
char **kt_topic_keys(kt_cluster *c, const char *topic, int partitions, size_t expect, int timeout_ms,
                     size_t *n);
/* The group's committed offsets summed over topic's partitions, and the high watermarks. */
void kt_committed(kt_cluster *c, const char *group, const char *topic, int partitions, int64_t *committed,
                  int64_t *high);
void kt_strings_free(char **v, size_t n);
/* The sorted union of two sorted arrays (pointers shared with the inputs: free the array
 * only). */
char **kt_union(char *const *a, size_t na, char *const *b, size_t nb, size_t *n);
/* Every string in want occurs exactly once in have (both sorted). */
bool kt_exactly_once(char *const *have, size_t nhave, char *const *want, size_t nwant);

/* Store ids == want, each once; every matching record alerted exactly once (memory sink),
 * with distinct AlertIds. */
void kt_assert_store_ids(sp_store *s, char *const *want, size_t nwant);
void kt_assert_alerts(kt_harness *h, char *const *match, size_t nmatch);
/* The topic's message keys are exactly the memory sink's AlertIds, once each. */
void kt_assert_alert_topic(kt_harness *h, const char *topic, int partitions);
void kt_assert_committed_all(kt_cluster *c, const char *group, const char *topic, int partitions);

#endif
