/* test_kafka_group.c — consumer-group workers feeding the rules runtime, against librdkafka's
 * mock cluster (the real Kafka protocol, in process): every record lands in the store once,
 * every matching record is alerted once (memory sink) and every alert reaches the Kafka
 * alert topic once, offsets are committed on shutdown, event time is reported per
 * partition (pending from its assignment until it reports), re-delivered copies are
 * recorded against their topic; a member leaving mid-stream loses nothing; 1, 2 and 4
 * workers give the same alerts; a topic bound to a table fills that table.
 *
 * The rule is KT_RULE (Sigma: ResultType 50126); which records match is read from the
 * generated text, independently of the engine.
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
    kt_topic_create(c, "custom", 2);
    kt_topic_create(c, "alerts", 2);
    kt_batch la, eh, cu;
    kt_batch_gen(&la, 11, 3000, 1);  /* Log Analytics rows, one per message */
    kt_batch_gen(&eh, 12, 2000, 10); /* Event Hubs {"records":[...]} envelopes of 10 */
    kt_batch_gen(&cu, 13, 200, 1);   /* bound to a table of its own */
    assert_true(la.nmatch > 0 && eh.nmatch > 0);
    kt_produce(c, "signin-la", &la, 0, la.n);
    kt_produce(c, "signin-eh", &eh, 0, eh.n);
    kt_produce(c, "custom", &cu, 0, cu.n);
    size_t nids, nmatch;
    char **ids = kt_union(la.ids, la.nids, eh.ids, eh.nids, &nids);
    char **match = kt_union(la.match_ids, la.nmatch, eh.match_ids, eh.nmatch, &nmatch);

    kt_harness h;
    kt_harness_start(&h, c, -1);
    kt_harness_kafka_sink(&h, "alerts");
    ing_kafka_topic topics[] = {{"signin-la", NULL}, {"signin-eh", NULL}, {"custom", "CustomSignins"}};
    ing_kafka_config cfg;
    ing_kafka_prop props[8];
    ing_kafka *k = kt_group_start(&h, "g-three", topics, 3, 3, &cfg, props);
    assert_int_equal(kt_wait_rows(h.store, "SigninLogs", nids, 25000), nids);
    assert_true(kt_wait_messages(k, la.n + eh.n + cu.n, 10000) >= la.n + eh.n + cu.n);
    /* Stopped once the group has settled (the three workers' joins are rebalances). */
    (void)kt_wait_settled(k, 11, 20000);
    kt_group_stop(k);

    kt_assert_store_ids(h.store, ids, nids);
    kt_assert_alerts(&h, match, nmatch); /* the bound table is not SigninLogs: no alerts */
    kt_assert_alert_topic(&h, "alerts", 2);
    kt_assert_committed_all(c, "g-three", "signin-la", 6);
    kt_assert_committed_all(c, "g-three", "signin-eh", 3);
    kt_assert_committed_all(c, "g-three", "custom", 2);
    /* Bound to a table of its own, every record is stored as it is, keys as columns: the
     * generator's re-delivered copies in the Event Hubs form (another connector's) keep their
     * id under properties, so their Id column is empty, and nothing dedups them. */
    size_t ncu;
    char **cu_ids = kt_store_column(h.store, "CustomSignins", "Id", &ncu);
    assert_true(ncu >= cu.nids);
    for (size_t i = 0; i < cu.nids; i++)
        assert_true(kt_sorted_has(cu_ids, ncu, cu.ids[i]));
    for (size_t i = 0; i < ncu; i++)
        assert_true(!cu_ids[i][0] || kt_sorted_has(cu.ids, cu.nids, cu_ids[i]));
    kt_strings_free(cu_ids, ncu);
    /* Event time per partition: the newest over the partitions is the newest produced. */
    int64_t newest = INT64_MIN;
    for (int i = 0; i < h.probe.nsources; i++) {
        assert_true(h.probe.watermark[i] <= SP_MAX(SP_MAX(la.max_time, eh.max_time), cu.max_time));
        newest = SP_MAX(newest, h.probe.watermark[i]);
    }
    assert_int_equal(newest, SP_MAX(SP_MAX(la.max_time, eh.max_time), cu.max_time));
    assert_int_equal(h.probe.nsources, 11);
    /* Each partition held the clock back from its assignment until it first reported: a
     * partition fetched late must not find the others' watermark already past its records. */
    for (int i = 0; i < h.probe.nsources; i++) {
        assert_true(h.probe.pending[i] >= 1);
        assert_true(h.probe.pending_before_first[i]);
    }
    /* The generator's re-delivered copies are recorded against the topic they came in on
     * (IngestionDuplicates.Source), not per message: one input, as a file is. */
    size_t ndup;
    char **dup_src = kt_store_column(h.store, "IngestionDuplicates", "Source", &ndup);
    assert_true(ndup > 0);
    for (size_t i = 0; i < ndup; i++)
        assert_true(!strcmp(dup_src[i], "signin-la") || !strcmp(dup_src[i], "signin-eh") ||
                    !strcmp(dup_src[i], "custom"));
    kt_strings_free(dup_src, ndup);
    rt_engine_advance(h.engine);
    rt_stats rs;
    rt_engine_stats(h.engine, &rs);
    assert_true(rs.watermark > INT64_MIN); /* the runtime's clock moved */

    kt_harness_end(&h);
    free(ids);
    free(match);
    kt_batch_free(&la);
    kt_batch_free(&eh);
    kt_batch_free(&cu);
    kt_cluster_free(c);
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
    kt_harness_start(&h, c, -1);
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
    /* Spread over 6 s: the member must still be mid-stream when it has its first 150
     * records, also on a loaded CI machine (at 2.5 s the producer sometimes finished first). */
    kt_producer *p = kt_producer_start(c, "signin", &b, 6.0);
    assert_true(kt_wait_messages(kb, 150, 20000) >= 150);
    kt_group_stop(kb); /* leaves while records keep coming */
    size_t sent_at_leave = kt_producer_sent(p);
    kt_producer_join(p);
    assert_true(sent_at_leave < b.n); /* it really left mid-stream */
    assert_int_equal(kt_wait_rows(h.store, "SigninLogs", b.nids, 25000), b.nids);
    /* The survivor is stopped once the rebalance the leave started is over (it owns all six
     * partitions; a member drained in the middle of a rebalance cannot commit, by Kafka's
     * design, and its records would only come again) and it has caught up: the partitions
     * it took over restart at their last committed offset, and the records after it come
     * again (dropped as duplicates) before they are stored and committed. */
    (void)kt_wait_settled(ka, 6, 20000);
    kt_group_stop(ka);

    kt_assert_store_ids(h.store, b.ids, b.nids);
    kt_assert_alerts(&h, b.match_ids, b.nmatch);
    kt_assert_alert_topic(&h, "alerts", 2);
    kt_assert_committed_all(c, "g-leave", "signin", 6);
    /* The partitions of the member that left stopped holding the event-time clock. */
    int idle = 0;
    for (int i = 0; i < h.probe.nsources; i++)
        idle += h.probe.idle[i] > 0;
    assert_true(idle > 0);

    kt_harness_end(&h);
    kt_batch_free(&b);
    kt_cluster_free(c);
}

static void test_one_two_and_four_workers_give_the_same_alerts(void **st)
{
    (void)st;
    kt_cluster *c = kt_cluster_new(1);
    kt_topic_create(c, "signin", 8);
    kt_batch b;
    kt_batch_gen(&b, 31, 3000, 5); /* Event Hubs envelopes */
    kt_produce(c, "signin", &b, 0, b.n);
    assert_true(b.nmatch > 10);
    /* Three independent services (store, runtime, group) read the same topic at once. */
    static const int workers[] = {1, 2, 4};
    kt_harness h[3];
    ing_kafka *k[3];
    ing_kafka_config cfg[3];
    ing_kafka_prop props[3][8];
    ing_kafka_topic topics[] = {{"signin", NULL}};
    for (int i = 0; i < 3; i++) {
        char group[32];
        snprintf(group, sizeof group, "g-workers-%d", workers[i]);
        kt_harness_start(&h[i], c, -1);
        k[i] = kt_group_start(&h[i], group, topics, 1, workers[i], &cfg[i], props[i]);
    }
    char **ids[3];
    size_t n[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(kt_wait_rows(h[i].store, "SigninLogs", b.nids, 25000), b.nids);
        kt_group_stop(k[i]);
        kt_assert_alerts(&h[i], b.match_ids, b.nmatch);
        ids[i] = kt_mem_sink_ids(h[i].mem, &n[i]);
        kt_harness_end(&h[i]);
    }
    assert_int_equal(n[0], b.nmatch);
    assert_true(kt_exactly_once(ids[1], n[1], ids[0], n[0])); /* the same AlertIds */
    assert_true(kt_exactly_once(ids[2], n[2], ids[0], n[0]));
    for (int i = 0; i < 3; i++)
        kt_strings_free(ids[i], n[i]);
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
