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

/* SigninLogs records from the generator (with attack scenarios), rendered into messages:
 * one Log Analytics row per message (per_message == 1) or Event Hubs envelopes of
 * per_message records. ids holds every record id, attack_ids those of attack records
 * (both sorted). */
typedef struct kt_batch {
    char **msgs;
    size_t *lens;
    char **keys; /* the generator's entity key: the producer partitions by it */
    size_t n;
    char **ids, **attack_ids;
    size_t nids, nattack;
    int64_t max_time;
} kt_batch;

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

/* ---- a recording stand-in for the rules runtime -------------------------------------------- */

/* on_seal hook: for every sealed SigninLogs row whose Id is in attack_ids, writes an alert
 * {"AlertId":"A-<Id>",...} to every sink and flushes them (what rt_engine_on_seal does with
 * its per-event rules); counts the rows it saw. Watermark and idle callbacks are recorded. */
#define KT_MAX_SOURCES 64
typedef struct kt_rules {
    pthread_mutex_t mu;
    char *const *attack_ids;
    size_t nattack;
    rt_sink *sinks[4];
    int nsinks;
    uint64_t rows_seen;
    uint64_t alerts_written;
    atomic_bool sink_failed;
    int nsources;
    int sources[KT_MAX_SOURCES];
    int64_t watermark[KT_MAX_SOURCES];
    int idle[KT_MAX_SOURCES];
} kt_rules;

void kt_rules_init(kt_rules *r, const kt_batch *b);
void kt_rules_free(kt_rules *r); /* closes the sinks */
void kt_rules_on_seal(void *ctx, sp_table *t, sp_chunk *c);
void kt_rules_watermark(void *ctx, int source, int64_t t);
void kt_rules_idle(void *ctx, int source);
int kt_rules_ack(void *ctx);

/* ---- inspection ------------------------------------------------------------------------- */

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
/* The sorted union of two sorted arrays (pointers shared with the inputs), each prefixed
 * with prefix when not NULL (then the strings are new: free with kt_strings_free). */
char **kt_union(char *const *a, size_t na, char *const *b, size_t nb, const char *prefix, size_t *n);

/* An in-memory sink recording the AlertId of every alert (thread-safe). */
rt_sink *kt_mem_sink_new(void);
/* The AlertIds written so far, sorted (new strings). */
char **kt_mem_sink_ids(rt_sink *s, size_t *n);
/* Every string in want occurs exactly once in have (both sorted). */
bool kt_exactly_once(char *const *have, size_t nhave, char *const *want, size_t nwant);

/* Runs a worker group: ing_kafka_config with the test's defaults (props: the mock's
 * bootstraps, a short session timeout), hooked to r. */
void kt_kafka_config(ing_kafka_config *cfg, ing_kafka_prop *props, int *nprops, kt_cluster *c,
                     const char *group, const ing_kafka_topic *topics, int ntopics, int workers,
                     kt_rules *r);

/* ---- a store, an ing and the recording rules, and worker groups over them (the checks
 * use cmocka's assertions) ------------------------------------------------------------------ */

typedef struct kt_harness {
    kt_cluster *c;
    sp_store *store;
    ing *g;
    kt_rules rules;
} kt_harness;

void kt_harness_start(kt_harness *h, kt_cluster *c, char *const *attack, size_t nattack);
void kt_harness_end(kt_harness *h);
/* Adds a Kafka alert sink writing to topic on the mock cluster. */
void kt_harness_kafka_sink(kt_harness *h, const char *topic);
/* Starts a worker group on the harness (cfg and props must outlive it). */
ing_kafka *kt_group_start(kt_harness *h, const char *group, const ing_kafka_topic *topics, int ntopics,
                          int workers, ing_kafka_config *cfg, ing_kafka_prop *props);
/* Stops, joins (asserting a clean drain) and frees. */
void kt_group_stop(ing_kafka *k);
void kt_assert_store_ids(sp_store *s, char *const *want, size_t nwant);
void kt_assert_alert_topic(kt_cluster *c, const char *topic, int partitions, char *const *want, size_t nwant);
void kt_assert_committed_all(kt_cluster *c, const char *group, const char *topic, int partitions);

#endif
