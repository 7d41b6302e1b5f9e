/* test_ops_sort.c — sort and top on hand-built plans: directions, Kusto's default and
 * explicit null placement, NaN grouped with null, several keys, stability, ties in top
 * resolved by first arrival, expression keys, and large inputs that cross batches and
 * force top's candidate compaction. Cases mirror tests/kql/04-sort-top-take-distinct. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/plan_build.h"

#define expect(p, want) assert_true(tb_check((p), NULL, (want)))

static void test_sort_desc_is_the_default(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    p->root = tb_sort(p, tb_values(p, "x:long", "2, 3, 1"), "x");
    expect(p, "{\"x\":3}\n{\"x\":2}\n{\"x\":1}\n");
}

static void test_sort_asc_puts_nulls_first_by_default(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    p->root = tb_sort(p, tb_values(p, "x:long", "2, null, 1"), "x asc");
    expect(p, "{\"x\":null}\n{\"x\":1}\n{\"x\":2}\n");
}

static void test_sort_desc_puts_nulls_last_by_default(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    p->root = tb_sort(p, tb_values(p, "x:long", "2, null, 1"), "x desc");
    expect(p, "{\"x\":2}\n{\"x\":1}\n{\"x\":null}\n");
}

static void test_sort_explicit_nulls_placement_overrides_default(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    p->root = tb_sort(p, tb_values(p, "x:long", "2, null, 1"), "x asc nulls last");
    expect(p, "{\"x\":1}\n{\"x\":2}\n{\"x\":null}\n");
    p = kplan_new();
    p->root = tb_sort(p, tb_values(p, "x:long", "2, null, 1"), "x desc nulls first");
    expect(p, "{\"x\":null}\n{\"x\":2}\n{\"x\":1}\n");
}

/* The docs' table: nulls first asc: null, NaN, -inf, -5, 0, 5, +inf; nulls last desc:
 * +inf, 5, 0, -5, NaN, null. */
static void test_sort_groups_nan_with_null_at_the_nulls_end(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *v = tb_values(p, "x:real", "5, null, 0, -5, 1, 2, 3");
    /* 1, 2, 3 become NaN, -inf, +inf */
    v->cells[4].u.r = 0.0 / 0.0;
    v->cells[5].u.r = -1.0 / 0.0;
    v->cells[6].u.r = 1.0 / 0.0;
    p->root = tb_sort(p, v, "x asc nulls first");
    expect(p, "{\"x\":null}\n{\"x\":\"NaN\"}\n{\"x\":\"-Infinity\"}\n{\"x\":-5}\n{\"x\":0}\n{\"x\":5}\n"
              "{\"x\":\"Infinity\"}\n");
    p = kplan_new();
    v = tb_values(p, "x:real", "5, null, 0, -5, 1, 2, 3");
    v->cells[4].u.r = 0.0 / 0.0;
    v->cells[5].u.r = -1.0 / 0.0;
    v->cells[6].u.r = 1.0 / 0.0;
    p->root = tb_sort(p, v, "x desc nulls last");
    expect(p, "{\"x\":\"Infinity\"}\n{\"x\":5}\n{\"x\":0}\n{\"x\":-5}\n{\"x\":\"-Infinity\"}\n{\"x\":\"NaN\"}\n"
              "{\"x\":null}\n");
}

static void test_sort_second_key_breaks_ties(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    p->root = tb_sort(p, tb_values(p, "k:string, v:long", "'b', 1, 'a', 2, 'b', 3, 'a', 1"), "k asc, v desc");
    expect(p, "{\"k\":\"a\",\"v\":2}\n{\"k\":\"a\",\"v\":1}\n{\"k\":\"b\",\"v\":3}\n{\"k\":\"b\",\"v\":1}\n");
}

static void test_sort_is_stable_for_equal_keys(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    p->root = tb_sort(p, tb_values(p, "k:long, v:string", "1, 'a', 2, 'b', 1, 'c', 2, 'd', 1, 'e'"), "k desc");
    expect(p, "{\"k\":2,\"v\":\"b\"}\n{\"k\":2,\"v\":\"d\"}\n{\"k\":1,\"v\":\"a\"}\n{\"k\":1,\"v\":\"c\"}\n"
              "{\"k\":1,\"v\":\"e\"}\n");
}

static void test_sort_strings_ordinally_with_empty_first(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    p->root = tb_sort(p, tb_values(p, "s:string", "'b', '', 'a', 'B', 'ab'"), "s asc");
    expect(p, "{\"s\":\"\"}\n{\"s\":\"B\"}\n{\"s\":\"a\"}\n{\"s\":\"ab\"}\n{\"s\":\"b\"}\n");
}

static void test_sort_datetime_bool_and_dynamic(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    p->root = tb_sort(p, tb_values(p, "t:datetime", "'2024-01-02', '2023-12-31', '2024-01-01'"), "t desc");
    expect(p, "{\"t\":\"2024-01-02T00:00:00.0000000Z\"}\n{\"t\":\"2024-01-01T00:00:00.0000000Z\"}\n"
              "{\"t\":\"2023-12-31T00:00:00.0000000Z\"}\n");
    p = kplan_new();
    p->root = tb_sort(p, tb_values(p, "b:bool", "true, false, null, true"), "b asc");
    expect(p, "{\"b\":null}\n{\"b\":false}\n{\"b\":true}\n{\"b\":true}\n");
    p = kplan_new();
    p->root = tb_sort(p, tb_values(p, "d:dynamic", "[2], null, {\"a\":1}, \"x\", 10"), "d asc");
    expect(p, "{\"d\":null}\n{\"d\":\"x\"}\n{\"d\":10}\n{\"d\":[2]}\n{\"d\":{\"a\":1}}\n");
}

static void test_sort_by_expression_key(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    /* sort by tostring(x) asc: text keys computed per batch, compared ordinally */
    kp *v = tb_values(p, "x:long", "9, 100, 10, null");
    kp *s = kp_new(p, KP_SORT, v);
    s->out = v->out;
    s->nsort = 2;
    s->sort = sp_arena_calloc(&p->arena, 2 * sizeof(kp_sortkey));
    s->sort[0].expr = kx_call1(p, KB_tostring, SP_TYPE_STRING, tb_col(p, v, "x"));
    s->sort[0].nulls_first = true;
    s->sort[1].expr = kx_call1(p, KB_neg, SP_TYPE_LONG, tb_col(p, v, "x"));
    p->root = s;
    expect(p, "{\"x\":null}\n{\"x\":10}\n{\"x\":100}\n{\"x\":9}\n");
}

static void test_sort_of_many_rows_crosses_batches(void **st)
{
    (void)st;
    /* 10007 rows of x = (i * 7919) % 10007, a permutation; sorted asc they are 0..10006 */
    sp_buf cells = {0};
    for (int i = 0; i < 10007; i++)
        sp_buf_printf(&cells, "%s%d", i ? "," : "", (i * 7919) % 10007);
    sp_buf want = {0};
    for (int i = 0; i < 10007; i++)
        sp_buf_printf(&want, "{\"x\":%d}\n", i);
    kplan *p = kplan_new();
    p->root = tb_sort(p, tb_values(p, "x:long", sp_buf_cstr(&cells)), "x asc");
    expect(p, sp_buf_cstr(&want));
    sp_buf_free(&cells);
    sp_buf_free(&want);
}

static void test_top_takes_n_by_desc_default(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    p->root = tb_top(p, tb_values(p, "x:long", "5, 1, 9, 3, 7"), 3, "x");
    expect(p, "{\"x\":9}\n{\"x\":7}\n{\"x\":5}\n");
    p = kplan_new();
    p->root = tb_top(p, tb_values(p, "x:long", "5, 1, 9, 3, 7"), 2, "x asc");
    expect(p, "{\"x\":1}\n{\"x\":3}\n");
}

static void test_top_obeys_null_placement(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    p->root = tb_top(p, tb_values(p, "x:long", "null, 4, 2"), 2, "x desc");
    expect(p, "{\"x\":4}\n{\"x\":2}\n");
    p = kplan_new();
    p->root = tb_top(p, tb_values(p, "x:long", "null, 4, 2"), 2, "x desc nulls first");
    expect(p, "{\"x\":null}\n{\"x\":4}\n");
    p = kplan_new();
    p->root = tb_top(p, tb_values(p, "x:long", "null, 4, 2"), 1, "x asc");
    expect(p, "{\"x\":null}\n");
}

static void test_top_resolves_ties_by_first_seen(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    p->root = tb_top(p, tb_values(p, "k:long, v:string", "1, 'a', 3, 'b', 3, 'c', 2, 'd', 3, 'e', 2, 'f'"), 3, "k");
    expect(p, "{\"k\":3,\"v\":\"b\"}\n{\"k\":3,\"v\":\"c\"}\n{\"k\":3,\"v\":\"e\"}\n");
    p = kplan_new();
    p->root = tb_top(p, tb_values(p, "k:long, v:string", "1, 'a', 3, 'b', 3, 'c', 2, 'd', 3, 'e', 2, 'f'"), 2, "k");
    expect(p, "{\"k\":3,\"v\":\"b\"}\n{\"k\":3,\"v\":\"c\"}\n");
}

static void test_top_larger_than_input_and_zero(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    p->root = tb_top(p, tb_values(p, "x:long", "2, 1"), 10, "x");
    expect(p, "{\"x\":2}\n{\"x\":1}\n");
    p = kplan_new();
    p->root = tb_top(p, tb_values(p, "x:long", "2, 1"), 0, "x");
    expect(p, "");
}

/* 30000 rows arriving in ascending order: every row replaces the heap root, so the
 * candidate store is compacted many times; the result must still be the 5 largest, with
 * ties (x / 2) resolved by arrival. */
static void test_top_compacts_candidates_and_keeps_first_seen_ties(void **st)
{
    (void)st;
    sp_buf cells = {0};
    for (int i = 0; i < 30000; i++)
        sp_buf_printf(&cells, "%s%d,%d", i ? "," : "", i / 2, i);
    kplan *p = kplan_new();
    p->root = tb_top(p, tb_values(p, "k:long, i:long", sp_buf_cstr(&cells)), 5, "k");
    expect(p, "{\"k\":14999,\"i\":29998}\n{\"k\":14999,\"i\":29999}\n{\"k\":14998,\"i\":29996}\n"
              "{\"k\":14998,\"i\":29997}\n{\"k\":14997,\"i\":29994}\n");
    sp_buf_free(&cells);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_desc_is_the_default),
        cmocka_unit_test(test_sort_asc_puts_nulls_first_by_default),
        cmocka_unit_test(test_sort_desc_puts_nulls_last_by_default),
        cmocka_unit_test(test_sort_explicit_nulls_placement_overrides_default),
        cmocka_unit_test(test_sort_groups_nan_with_null_at_the_nulls_end),
        cmocka_unit_test(test_sort_second_key_breaks_ties),
        cmocka_unit_test(test_sort_is_stable_for_equal_keys),
        cmocka_unit_test(test_sort_strings_ordinally_with_empty_first),
        cmocka_unit_test(test_sort_datetime_bool_and_dynamic),
        cmocka_unit_test(test_sort_by_expression_key),
        cmocka_unit_test(test_sort_of_many_rows_crosses_batches),
        cmocka_unit_test(test_top_takes_n_by_desc_default),
        cmocka_unit_test(test_top_obeys_null_placement),
        cmocka_unit_test(test_top_resolves_ties_by_first_seen),
        cmocka_unit_test(test_top_larger_than_input_and_zero),
        cmocka_unit_test(test_top_compacts_candidates_and_keeps_first_seen_ties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
