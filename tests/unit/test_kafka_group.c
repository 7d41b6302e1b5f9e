/* test_kafka_group.c — consumer-group workers against librdkafka's mock cluster (real Kafka
 * protocol, in process): every record lands in the store once, every alert reaches the Kafka
 * alert topic once, offsets are committed on shutdown, event time is reported per partition;
 * a member leaving mid-stream loses nothing; 1, 2 and 4 workers give the same alerts.
 *
 * The rules side is kafka_support's recording stand-in for the runtime's on_seal hook (an
 * alert per attack record), so these tests pin the Kafka layer's delivery protocol.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/support/kafka_support.h"

static void test_group_of_three_stores_every_record_and_alert_once(void **st)
{
    (void)st;
    kt_cluster *c = kt_cluster_new(3);
    kt_topic_create(c, "signin-la", 6);
    kt_topic_create(c, "signin-eh", 3);
    kt_topic_create(c, "alerts", 2);
    kt_batch la, eh;
    kt_batch_gen(&la, 11, 3000, 1);  /* Log Analytics rows, one per message */
    kt_batch_gen(&eh, 12, 2000, 10); /* Event Hubs {"records":[...]} envelopes of 10 */
    assert_true(la.nattack > 0 && eh.nattack > 0);
    kt_produce(c, "signin-la", &la, 0, la.n);
    kt_produce(c, "signin-eh", &eh, 0, eh.n);
    size_t nids, nattack;
    char **ids = kt_union(la.ids, la.nids, eh.ids, eh.nids, NULL, &nids);
    char **attack = kt_union(la.attack_ids, la.nattack, eh.attack_ids, eh.nattack, NULL, &nattack);
    char **alerts = kt_union(la.attack_ids, la.nattack, eh.attack_ids, eh.nattack, "A-", &nattack);

    kt_harness h;
    kt_harness_start(&h, c, attack, nattack);
    kt_harness_kafka_sink(&h, "alerts");
    ing_kafka_topic topics[] = {{"signin-la", NULL}, {"signin-eh", NULL}};
    ing_kafka_config cfg;
    ing_kafka_prop props[8];
    ing_kafka *k = kt_group_start(&h, "g-three", topics, 2, 3, &cfg, props);
    assert_int_equal(kt_wait_rows(h.store, "SigninLogs", nids, 25000), nids);
    ing_kafka_stats ks;
    ing_kafka_stats_get(k, &ks);
    assert_true(ks.messages >= la.n + eh.n);
    kt_group_stop(k);

    kt_assert_store_ids(h.store, ids, nids);
    sp_table_stats ts;
    sp_table_stats_get(sp_store_find(h.store, "SigninLogs"), &ts);
    assert_int_equal(h.rules.rows_seen, ts.rows_ingested); /* every sealed row seen once */
    kt_assert_alert_topic(c, "alerts", 2, alerts, nattack);
    kt_assert_committed_all(c, "g-three", "signin-la", 6);
    kt_assert_committed_all(c, "g-three", "signin-eh", 3);
    /* Event time per partition: the newest over all partitions is the newest produced. */
    int64_t newest = INT64_MIN;
    for (int i = 0; i < h.rules.nsources; i++) {
        assert_true(h.rules.watermark[i] <= SP_MAX(la.max_time, eh.max_time));
        newest = SP_MAX(newest, h.rules.watermark[i]);
    }
    assert_int_equal(newest, SP_MAX(la.max_time, eh.max_time));
    assert_int_equal(h.rules.nsources, 9);

    kt_harness_end(&h);
    free(ids);
    free(attack);
    kt_strings_free(alerts, nattack);
    kt_batch_free(&la);
    kt_batch_free(&eh);
    kt_cluster_free(c);
}

static uint64_t wait_messages(ing_kafka *k, uint64_t n, int timeout_ms)
{
    ing_kafka_stats ks;
    for (int waited = 0;; waited += 20) {
        ing_kafka_stats_get(k, &ks);
        if (ks.messages >= n || waited >= timeout_ms)
            return ks.messages;
        usleep(20000);
    }
}

static void test_member_leaving_mid_stream_loses_nothing(void **st)
{
    (void)st;
    kt_cluster *c = kt_cluster_new(3);
    kt_topic_create(c, "signin", 6);
    kt_topic_create(c, "alerts", 2);
    kt_batch b;
    kt_batch_gen(&b, 21, 4000, 1);
    kt_harness h;
    kt_harness_start(&h, c, b.attack_ids, b.nattack);
    kt_harness_kafka_sink(&h, "alerts");
    ing_kafka_topic topics[] = {{"signin", NULL}};
    ing_kafka_config ca, cb;
    ing_kafka_prop pa[8], pb[8];
    /* Two members of one group (as two processes would be), sharing the store. */
    ing_kafka *ka = kt_group_start(&h, "g-leave", topics, 1, 2, &ca, pa);
    ing_kafka *kb = kt_group_start(&h, "g-leave", topics, 1, 1, &cb, pb);
    for (int waited = 0; waited < 20000; waited += 20) { /* both members have partitions */
        ing_kafka_stats sa, sb;
        ing_kafka_stats_get(ka, &sa);
        ing_kafka_stats_get(kb, &sb);
        if (sa.assigned > 0 && sb.assigned > 0 && sa.assigned + sb.assigned == 6)
            break;
        usleep(20000);
    }
    kt_producer *p = kt_producer_start(c, "signin", &b, 4.0);
    assert_true(wait_messages(kb, 150, 20000) >= 150);
    kt_group_stop(kb); /* leaves while records keep coming */
    size_t sent_at_leave = kt_producer_sent(p);
    kt_producer_join(p);
    assert_true(sent_at_leave < b.n); /* it really left mid-stream */
    assert_int_equal(kt_wait_rows(h.store, "SigninLogs", b.nids, 25000), b.nids);
    kt_group_stop(ka);

    kt_assert_store_ids(h.store, b.ids, b.nids);
    sp_table_stats ts;
    sp_table_stats_get(sp_store_find(h.store, "SigninLogs"), &ts);
    assert_int_equal(h.rules.rows_seen, ts.rows_ingested);
    size_t na;
    char **alerts = kt_union(b.attack_ids, b.nattack, NULL, 0, "A-", &na);
    kt_assert_alert_topic(c, "alerts", 2, alerts, na);
    kt_assert_committed_all(c, "g-leave", "signin", 6);
    /* The partitions of the member that left went idle for the event-time clock. */
    int idle = 0;
    for (int i = 0; i < h.rules.nsources; i++)
        idle += h.rules.idle[i] > 0;
    assert_true(idle > 0);

    kt_strings_free(alerts, na);
    kt_harness_end(&h);
    kt_batch_free(&b);
    kt_cluster_free(c);
}

static char **alerts_with_workers(kt_cluster *c, const kt_batch *b, int workers, size_t *n)
{
    kt_harness h;
    kt_harness_start(&h, c, b->attack_ids, b->nattack);
    rt_sink *mem = kt_mem_sink_new();
    h.rules.sinks[h.rules.nsinks++] = mem;
    char group[32];
    snprintf(group, sizeof group, "g-workers-%d", workers);
    ing_kafka_topic topics[] = {{"signin", NULL}};
    ing_kafka_config cfg;
    ing_kafka_prop props[8];
    ing_kafka *k = kt_group_start(&h, group, topics, 1, workers, &cfg, props);
    assert_int_equal(kt_wait_rows(h.store, "SigninLogs", b->nids, 25000), b->nids);
    kt_group_stop(k);
    char **ids = kt_mem_sink_ids(mem, n);
    kt_harness_end(&h);
    return ids;
}

static void test_one_two_and_four_workers_give_the_same_alerts(void **st)
{
    (void)st;
    kt_cluster *c = kt_cluster_new(1);
    kt_topic_create(c, "signin", 8);
    kt_batch b;
    kt_batch_gen(&b, 31, 3000, 5); /* Event Hubs envelopes */
    kt_produce(c, "signin", &b, 0, b.n);
    size_t nwant;
    char **want = kt_union(b.attack_ids, b.nattack, NULL, 0, "A-", &nwant);
    assert_true(nwant > 10);
    static const int workers[] = {1, 2, 4};
    for (size_t i = 0; i < 3; i++) {
        size_t n;
        char **got = alerts_with_workers(c, &b, workers[i], &n);
        assert_true(kt_exactly_once(got, n, want, nwant));
        kt_strings_free(got, n);
    }
    kt_strings_free(want, nwant);
    kt_batch_free(&b);
    kt_cluster_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_of_three_stores_every_record_and_alert_once),
        cmocka_unit_test(test_member_leaving_mid_stream_loses_nothing),
        cmocka_unit_test(test_one_two_and_four_workers_give_the_same_alerts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
