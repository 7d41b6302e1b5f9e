/* test_ops_makeseries.c — make-series on hand-built plans (the operator docs' example and
 * tests/kql/16-bag-unpack-make-series.test): bins with an exclusive end, defaults for
 * empty bins, rows outside the axis ignored, series per key in first-seen order, kind=
 * nonempty, bounds taken from the data, numeric axes, several aggregates (count, sum, avg,
 * min, max, dcount), the bin cap, and a store-table input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/plan_build.h"

static kx *dt(kplan *p, const char *text)
{
    kval v = {.type = SP_TYPE_DATETIME};
    assert_true(sp_datetime_parse(text, strlen(text), &v.u.l));
    return kx_const(p, v);
}

static kx *span(kplan *p, int64_t ticks)
{
    kval v = {.type = SP_TYPE_TIMESPAN, .u.l = ticks};
    return kx_const(p, v);
}

/* make-series <aggs> on axis [from from] [to to] step step [by keys]. aggs: "avg(metric)"
 * style items "name=agg(col)" or "name=count()"; keys: column names or NULL. */
static kp *series(kplan *p, kp *in, const char *aggs, const char *axis, kx *from, kx *to, kx *step, const char *keys)
{
    kp *n = kp_new(p, KP_MAKESERIES, in);
    n->axis = tb_col(p, in, axis);
    n->range_from = from;
    n->range_to = to;
    n->range_step = step;
    n->keys = sp_arena_calloc(&p->arena, 8 * sizeof(kp_named));
    if (keys) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", keys);
        for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
            n->keys[n->nkeys].name = kplan_strdup(p, t, strlen(t));
            n->keys[n->nkeys].expr = tb_col(p, in, t);
            kp_schema_add(p, &n->out, t, n->keys[n->nkeys].expr->type);
            n->nkeys++;
        }
    }
    n->aggs = sp_arena_calloc(&p->arena, 8 * sizeof(kp_agg));
    char buf[256];
    snprintf(buf, sizeof buf, "%s", aggs);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(t, '='), *lp = strchr(t, '('), *rp = strchr(t, ')');
        assert_non_null(eq);
        assert_non_null(lp);
        *eq = *lp = *rp = 0;
        kp_agg *ag = &n->aggs[n->naggs];
        int id = ka_lookup(eq + 1, strlen(eq + 1));
        assert_true(id >= 0);
        ag->agg = (ka_id)id;
        ag->nout = 1;
        ag->first_out = n->nkeys + n->naggs;
        if (lp[1]) {
            ag->nargs = 1;
            ag->args = sp_arena_calloc(&p->arena, sizeof(kx *));
            ag->args[0] = tb_col(p, in, lp + 1);
        }
        kp_schema_add(p, &n->out, t, SP_TYPE_DYNAMIC);
        n->naggs++;
    }
    kp_schema_add(p, &n->out, axis, SP_TYPE_DYNAMIC);
    return n;
}

#define expect(p, s, want) assert_true(tb_check((p), (s), (want)))

#define DAY (SP_TICKS_PER_DAY)
#define HOUR (SP_TICKS_PER_HOUR)

static void test_makeseries_docs_example_avg_with_default_zero(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *data = tb_values(p, "timestamp:datetime, metric:real",
                         "'2016-12-31T06:00', 50, '2017-01-01', 4, '2017-01-02', 3, '2017-01-03', 4, "
                         "'2017-01-03T03:00', 6, '2017-01-05', 8, '2017-01-05T13:40', 13, '2017-01-06', 4, "
                         "'2017-01-07', 3, '2017-01-08', 8, '2017-01-08T21:00', 8, '2017-01-09', 2, "
                         "'2017-01-09T12:00', 11, '2017-01-10T05:00', 5");
    p->root = series(p, data, "avg_metric=avg(metric)", "timestamp", dt(p, "2017-01-01"), dt(p, "2017-01-10"),
                     span(p, DAY), NULL);
    assert_string_equal(tb_schema(&p->root->out), "avg_metric:dynamic, timestamp:dynamic");
    expect(p, NULL,
           "{\"avg_metric\":[4,3,5,0,10.5,4,3,8,6.5],\"timestamp\":[\"2017-01-01T00:00:00.0000000Z\","
           "\"2017-01-02T00:00:00.0000000Z\",\"2017-01-03T00:00:00.0000000Z\",\"2017-01-04T00:00:00.0000000Z\","
           "\"2017-01-05T00:00:00.0000000Z\",\"2017-01-06T00:00:00.0000000Z\",\"2017-01-07T00:00:00.0000000Z\","
           "\"2017-01-08T00:00:00.0000000Z\",\"2017-01-09T00:00:00.0000000Z\"]}\n");
}

static void test_makeseries_empty_input_gives_no_row_unless_nonempty(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *data = tb_values(p, "timestamp:datetime, metric:real", "");
    kp *n = series(p, data, "avg_metric=avg(metric)", "timestamp", dt(p, "2017-01-01"), dt(p, "2017-01-10"),
                   span(p, DAY), NULL);
    n->defaults = sp_arena_calloc(&p->arena, sizeof(kval));
    n->defaults[0] = (kval){.type = SP_TYPE_REAL, .u.r = 1.0};
    p->root = n;
    expect(p, NULL, "");
    p = kplan_new();
    data = tb_values(p, "timestamp:datetime, metric:real", "");
    n = series(p, data, "avg_metric=avg(metric)", "timestamp", dt(p, "2017-01-01"), dt(p, "2017-01-04"), span(p, DAY),
               NULL);
    n->defaults = sp_arena_calloc(&p->arena, sizeof(kval));
    n->defaults[0] = (kval){.type = SP_TYPE_REAL, .u.r = 1.0};
    n->series_nonempty = true;
    p->root = n;
    expect(p, NULL, "{\"avg_metric\":[1,1,1],\"timestamp\":[\"2017-01-01T00:00:00.0000000Z\","
                    "\"2017-01-02T00:00:00.0000000Z\",\"2017-01-03T00:00:00.0000000Z\"]}\n");
}

static void test_makeseries_count_by_key_in_first_seen_order(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *data = tb_values(p, "TimeGenerated:datetime, User:string",
                         "'2024-01-01 01:00', 'a', '2024-01-01 02:00', 'a', '2024-01-03 05:00', 'a', "
                         "'2024-01-02 00:00', 'b', null, 'c'");
    p->root = series(p, data, "c=count()", "TimeGenerated", dt(p, "2024-01-01"), dt(p, "2024-01-04"), span(p, DAY), "User");
    assert_string_equal(tb_schema(&p->root->out), "User:string, c:dynamic, TimeGenerated:dynamic");
    expect(p, NULL,
           "{\"User\":\"a\",\"c\":[2,0,1],\"TimeGenerated\":[\"2024-01-01T00:00:00.0000000Z\","
           "\"2024-01-02T00:00:00.0000000Z\",\"2024-01-03T00:00:00.0000000Z\"]}\n"
           "{\"User\":\"b\",\"c\":[0,1,0],\"TimeGenerated\":[\"2024-01-01T00:00:00.0000000Z\","
           "\"2024-01-02T00:00:00.0000000Z\",\"2024-01-03T00:00:00.0000000Z\"]}\n");
}

static void test_makeseries_end_is_exclusive_and_outside_rows_ignored(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *data = tb_values(p, "t:datetime, v:long",
                         "'2024-01-01 00:10', 1, '2024-01-01 00:50', 2, '2024-01-01 02:30', 5, "
                         "'2024-01-01 03:00', 100, '2023-12-31 23:59', 1000");
    p->root = series(p, data, "s=sum(v)", "t", dt(p, "2024-01-01 00:00"), dt(p, "2024-01-01 03:00"), span(p, HOUR), NULL);
    expect(p, NULL, "{\"s\":[3,0,5],\"t\":[\"2024-01-01T00:00:00.0000000Z\",\"2024-01-01T01:00:00.0000000Z\","
                    "\"2024-01-01T02:00:00.0000000Z\"]}\n");
    /* a partial last bin counts: [0h, 2.5h) in 1h steps is 3 bins */
    p = kplan_new();
    data = tb_values(p, "t:datetime, v:long", "'2024-01-01 02:20', 7");
    p->root = series(p, data, "s=sum(v)", "t", dt(p, "2024-01-01"), dt(p, "2024-01-01 02:30"), span(p, HOUR), NULL);
    expect(p, NULL, "{\"s\":[0,0,7],\"t\":[\"2024-01-01T00:00:00.0000000Z\",\"2024-01-01T01:00:00.0000000Z\","
                    "\"2024-01-01T02:00:00.0000000Z\"]}\n");
}

static void test_makeseries_several_aggregates_and_defaults(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *data = tb_values(p, "t:long, v:long, u:string", "0, 5, 'x', 1, 3, 'y', 1, 9, 'x', 1, null, 'x', 4, 2, 'z'");
    kp *n = series(p, data, "n=count() mn=min(v) mx=max(v) d=dcount(u) a=avg(v)", "t", tb_long(p, 0), tb_long(p, 4),
                   tb_long(p, 2), NULL);
    n->defaults = sp_arena_calloc(&p->arena, 5 * sizeof(kval));
    for (int i = 0; i < 5; i++)
        n->defaults[i] = (kval){.type = SP_TYPE_LONG, .u.l = -1};
    p->root = n;
    expect(p, NULL, "{\"n\":[4,-1],\"mn\":[3,-1],\"mx\":[9,-1],\"d\":[2,-1],\"a\":[5.666666666666667,-1],\"t\":[0,2]}\n");
}

static void test_makeseries_bounds_from_the_data(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *data = tb_values(p, "t:datetime, k:string", "'2024-01-02 05:00', 'a', '2024-01-04 23:00', 'b', "
                                                   "'2024-01-02 06:00', 'a'");
    p->root = series(p, data, "c=count()", "t", NULL, NULL, span(p, DAY), "k");
    expect(p, NULL,
           "{\"k\":\"a\",\"c\":[2,0,0],\"t\":[\"2024-01-02T00:00:00.0000000Z\",\"2024-01-03T00:00:00.0000000Z\","
           "\"2024-01-04T00:00:00.0000000Z\"]}\n"
           "{\"k\":\"b\",\"c\":[0,0,1],\"t\":[\"2024-01-02T00:00:00.0000000Z\",\"2024-01-03T00:00:00.0000000Z\","
           "\"2024-01-04T00:00:00.0000000Z\"]}\n");
    /* a real axis with the start given and the end from the data */
    p = kplan_new();
    data = tb_values(p, "x:real", "0.2, 1.7, 1.1");
    kval half = {.type = SP_TYPE_REAL, .u.r = 0.5};
    p->root = series(p, data, "c=count()", "x", tb_long(p, 0), NULL, kx_const(p, half), NULL);
    expect(p, NULL, "{\"c\":[1,0,1,1],\"x\":[0,0.5,1,1.5]}\n");
}

static void test_makeseries_rejects_too_many_bins_and_bad_step(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *data = tb_values(p, "t:datetime", "'2024-01-01'");
    p->root = series(p, data, "c=count()", "t", dt(p, "2000-01-01"), dt(p, "2024-01-01"), span(p, SP_TICKS_PER_MIN), NULL);
    expect(p, NULL, "error: make-series: the axis has more than 1048576 bins");
    p = kplan_new();
    data = tb_values(p, "t:datetime", "'2024-01-01'");
    p->root = series(p, data, "c=count()", "t", dt(p, "2024-01-01"), dt(p, "2024-01-02"), span(p, 0), NULL);
    expect(p, NULL, "error: make-series: step must be positive");
}

/* 5000 sign-ins over 50 hours from a store table, 10 users: counts per user per hour sum
 * back to the input. */
static void test_makeseries_over_store_table(void **st)
{
    (void)st;
    sp_store *s = tb_signins(5000, 700);
    kplan *p = kplan_new();
    kp *scan = kp_scan(p, sp_store_find(s, "SigninLogs"));
    kp *ms = series(p, scan, "c=count()", "TimeGenerated", dt(p, "2024-03-01"), dt(p, "2024-03-03 02:00"),
                    span(p, HOUR), "UserPrincipalName");
    /* mv-expand the counts back and sum them */
    kp *mx = tb_mvexpand(p, ms, "c to long", KP_BAGEXP_BAG, NULL, 0);
    p->root = tb_summarize(p, mx, "total=sum(c), users=dcount(UserPrincipalName), rows=count()", NULL);
    expect(p, s, "{\"total\":5000,\"users\":10,\"rows\":500}\n");
    sp_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_makeseries_docs_example_avg_with_default_zero),
        cmocka_unit_test(test_makeseries_empty_input_gives_no_row_unless_nonempty),
        cmocka_unit_test(test_makeseries_count_by_key_in_first_seen_order),
        cmocka_unit_test(test_makeseries_end_is_exclusive_and_outside_rows_ignored),
        cmocka_unit_test(test_makeseries_several_aggregates_and_defaults),
        cmocka_unit_test(test_makeseries_bounds_from_the_data),
        cmocka_unit_test(test_makeseries_rejects_too_many_bins_and_bad_step),
        cmocka_unit_test(test_makeseries_over_store_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
