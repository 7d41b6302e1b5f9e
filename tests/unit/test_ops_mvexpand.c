/* test_ops_mvexpand.c — mv-expand and mv-apply on hand-built plans (cases from
 * tests/kql/14-mv-expand-apply.test and the operator docs): arrays, bags in both
 * expansion modes, zipped columns padded with null, `to typeof()` conversion, item index,
 * row limit (legacy 128), null / scalar / empty values, expression expansions, output that
 * crosses batch boundaries in the middle of a row; mv-apply with take, top, summarize,
 * where, item index, parallel arrays, empty items, and nested mv-apply. */
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

static void test_mvexpand_array_gives_one_row_per_element(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *v = tb_values(p, "a:int, b:dynamic", "1, [10, 20], 2, [\"a\", \"b\"]");
    p->root = tb_mvexpand(p, v, "b", KP_BAGEXP_BAG, NULL, 0);
    assert_string_equal(tb_schema(&p->root->out), "a:int, b:dynamic");
    expect(p, "{\"a\":1,\"b\":10}\n{\"a\":1,\"b\":20}\n{\"a\":2,\"b\":\"a\"}\n{\"a\":2,\"b\":\"b\"}\n");
}

static void test_mvexpand_bag_gives_single_member_bags_or_pairs(void **st)
{
    (void)st;
    const char *cells = "1, {\"prop1\": \"a1\", \"prop2\": \"b1\"}, 2, {\"prop1\": \"a2\", \"prop2\": \"b2\"}";
    kplan *p = kplan_new();
    p->root = tb_mvexpand(p, tb_values(p, "a:int, b:dynamic", cells), "b", KP_BAGEXP_BAG, NULL, 0);
    expect(p, "{\"a\":1,\"b\":{\"prop1\":\"a1\"}}\n{\"a\":1,\"b\":{\"prop2\":\"b1\"}}\n"
              "{\"a\":2,\"b\":{\"prop1\":\"a2\"}}\n{\"a\":2,\"b\":{\"prop2\":\"b2\"}}\n");
    p = kplan_new();
    p->root = tb_mvexpand(p, tb_values(p, "a:int, b:dynamic", cells), "b", KP_BAGEXP_ARRAY, NULL, 0);
    expect(p, "{\"a\":1,\"b\":[\"prop1\",\"a1\"]}\n{\"a\":1,\"b\":[\"prop2\",\"b1\"]}\n"
              "{\"a\":2,\"b\":[\"prop1\",\"a2\"]}\n{\"a\":2,\"b\":[\"prop2\",\"b2\"]}\n");
}

static void test_mvexpand_zips_columns_padding_with_null(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *v = tb_values(p, "a:int, b:dynamic, c:dynamic", "1, {\"prop1\": \"a\", \"prop2\": \"b\"}, [5, 4, 3]");
    p->root = tb_mvexpand(p, v, "b, c", KP_BAGEXP_BAG, NULL, 0);
    expect(p, "{\"a\":1,\"b\":{\"prop1\":\"a\"},\"c\":5}\n{\"a\":1,\"b\":{\"prop2\":\"b\"},\"c\":4}\n"
              "{\"a\":1,\"b\":null,\"c\":3}\n");
}

static void test_mvexpand_in_sequence_gives_cartesian_product(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *v = tb_values(p, "a:int, b:dynamic, c:dynamic", "1, {\"prop1\": \"a\", \"prop2\": \"b\"}, [5, 6]");
    p->root = tb_mvexpand(p, tb_mvexpand(p, v, "b", KP_BAGEXP_BAG, NULL, 0), "c", KP_BAGEXP_BAG, NULL, 0);
    expect(p, "{\"a\":1,\"b\":{\"prop1\":\"a\"},\"c\":5}\n{\"a\":1,\"b\":{\"prop1\":\"a\"},\"c\":6}\n"
              "{\"a\":1,\"b\":{\"prop2\":\"b\"},\"c\":5}\n{\"a\":1,\"b\":{\"prop2\":\"b\"},\"c\":6}\n");
}

static void test_mvexpand_to_typeof_converts_and_nulls_nonconforming(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *v = tb_values(p, "a:string, b:dynamic, c:dynamic", "'Constant', [1, 2, 3, 4], [6, 7, 8, 9]");
    p->root = tb_mvexpand(p, v, "b, c to int", KP_BAGEXP_BAG, NULL, 0);
    assert_string_equal(tb_schema(&p->root->out), "a:string, b:dynamic, c:int");
    expect(p, "{\"a\":\"Constant\",\"b\":1,\"c\":6}\n{\"a\":\"Constant\",\"b\":2,\"c\":7}\n"
              "{\"a\":\"Constant\",\"b\":3,\"c\":8}\n{\"a\":\"Constant\",\"b\":4,\"c\":9}\n");
    p = kplan_new();
    p->root = tb_mvexpand(p, tb_values(p, "d:dynamic", "[1, \"x\", 3, null, true]"), "d to long", KP_BAGEXP_BAG, NULL, 0);
    expect(p, "{\"d\":1}\n{\"d\":null}\n{\"d\":3}\n{\"d\":null}\n{\"d\":null}\n");
    p = kplan_new();
    kp *x = tb_mvexpand(p, tb_values(p, "d:dynamic", "[\"a\", \"b\"]"), "d to string", KP_BAGEXP_BAG, NULL, 0);
    kp *f = kp_new(p, KP_FILTER, x);
    f->out = x->out;
    f->pred = kx_call2(p, KB_eq, SP_TYPE_BOOL, tb_col(p, x, "d"), tb_str(p, "b"));
    p->root = f;
    expect(p, "{\"d\":\"b\"}\n");
}

static void test_mvexpand_itemindex_and_limit(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    p->root = tb_mvexpand(p, tb_values(p, "x:dynamic", "[1, 2, 3, 4]"), "x", KP_BAGEXP_BAG, "Index", 0);
    assert_string_equal(tb_schema(&p->root->out), "x:dynamic, Index:long");
    expect(p, "{\"x\":1,\"Index\":0}\n{\"x\":2,\"Index\":1}\n{\"x\":3,\"Index\":2}\n{\"x\":4,\"Index\":3}\n");
    p = kplan_new();
    p->root = tb_mvexpand(p, tb_values(p, "k:string, d:dynamic", "'a', [1, 2, 3, 4], 'b', [5]"), "d", KP_BAGEXP_BAG,
                          NULL, 2);
    expect(p, "{\"k\":\"a\",\"d\":1}\n{\"k\":\"a\",\"d\":2}\n{\"k\":\"b\",\"d\":5}\n");
}

static void test_mvexpand_null_scalar_and_empty_values(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    p->root = tb_mvexpand(p, tb_values(p, "k:string, d:dynamic", "'a', null, 'b', 5, 'c', \"s\", 'd', [], 'e', {}, "
                                                              "'f', [[1, 2], [3]]"),
                          "d", KP_BAGEXP_BAG, NULL, 0);
    expect(p, "{\"k\":\"a\",\"d\":null}\n{\"k\":\"b\",\"d\":5}\n{\"k\":\"c\",\"d\":\"s\"}\n{\"k\":\"f\",\"d\":[1,2]}\n"
              "{\"k\":\"f\",\"d\":[3]}\n");
    /* a non-dynamic column expands as a single element of itself */
    p = kplan_new();
    p->root = tb_mvexpand(p, tb_values(p, "s:string, n:long", "'x', 7"), "s, n", KP_BAGEXP_BAG, NULL, 0);
    expect(p, "{\"s\":\"x\",\"n\":7}\n");
    /* an empty array zipped with a non-empty one pads with null */
    p = kplan_new();
    p->root = tb_mvexpand(p, tb_values(p, "a:dynamic, b:dynamic", "[], [1, 2]"), "a, b", KP_BAGEXP_BAG, NULL, 0);
    expect(p, "{\"a\":null,\"b\":1}\n{\"a\":null,\"b\":2}\n");
}

static void test_mvexpand_expression_appends_a_new_column(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *v = tb_values(p, "s:string", "'[\"a\",\"b\",\"c\"]'");
    kp *m = kp_new(p, KP_MVEXPAND, v);
    m->nexpand = 1;
    m->expand = sp_arena_calloc(&p->arena, sizeof(kp_expand));
    m->expand[0].expr = kx_call1(p, KB_parse_json, SP_TYPE_DYNAMIC, tb_col(p, v, "s"));
    m->expand[0].name = "part";
    m->expand[0].to_type = SP_TYPE_DYNAMIC;
    kp_schema_copy(p, &m->out, &v->out);
    kp_schema_add(p, &m->out, "part", SP_TYPE_DYNAMIC);
    p->root = m;
    expect(p, "{\"s\":\"[\\\"a\\\",\\\"b\\\",\\\"c\\\"]\",\"part\":\"a\"}\n{\"s\":\"[\\\"a\\\",\\\"b\\\",\\\"c\\\"]\",\"part\":\"b\"}\n"
              "{\"s\":\"[\\\"a\\\",\\\"b\\\",\\\"c\\\"]\",\"part\":\"c\"}\n");
}

static char *long_array(int n)
{
    sp_buf b = {0};
    sp_buf_putc(&b, '[');
    for (int i = 0; i < n; i++)
        sp_buf_printf(&b, "%s%d", i ? "," : "", i);
    sp_buf_putc(&b, ']');
    return (char *)sp_buf_cstr(&b);
}

static void test_mvexpand_legacy_limit_of_128_and_none_by_default(void **st)
{
    (void)st;
    char *arr = long_array(200);
    kplan *p = kplan_new();
    kp *m = tb_mvexpand(p, tb_values(p, "d:dynamic", arr), "d", KP_BAGEXP_BAG, NULL, 128);
    p->root = tb_summarize(p, m, "Count=count()", NULL);
    expect(p, "{\"Count\":128}\n");
    p = kplan_new();
    m = tb_mvexpand(p, tb_values(p, "d:dynamic", arr), "d", KP_BAGEXP_BAG, NULL, 0);
    p->root = tb_summarize(p, m, "Count=count()", NULL);
    expect(p, "{\"Count\":200}\n");
    free(arr);
}

/* One row of 5000 elements spans three output batches; 3000 rows of 3 elements cross
 * input and output batch boundaries. */
static void test_mvexpand_output_crosses_batches(void **st)
{
    (void)st;
    char *arr = long_array(5000);
    sp_buf cells = {0};
    sp_buf_printf(&cells, "'big', %s", arr);
    for (int i = 0; i < 3000; i++)
        sp_buf_printf(&cells, ", 'r%d', [%d, %d, %d]", i, i, i, i);
    kplan *p = kplan_new();
    kp *m = tb_mvexpand(p, tb_values(p, "k:string, d:dynamic", sp_buf_cstr(&cells)), "d to long", KP_BAGEXP_BAG, "i", 0);
    p->root = tb_summarize(p, m, "n=count(), sum_d=sum(d), max_i=max(i), keys=dcount(k)", NULL);
    char want[128];
    long long sum = 5000LL * 4999 / 2 + 3LL * 2999 * 3000 / 2;
    snprintf(want, sizeof want, "{\"n\":%d,\"sum_d\":%lld,\"max_i\":4999,\"keys\":3001}\n", 5000 + 9000, sum);
    expect(p, want);
    free(arr);
    sp_buf_free(&cells);
}

/* ---- mv-apply ---- */

static kp *take(kplan *p, kp *in, int64_t n)
{
    kp *l = kp_new(p, KP_LIMIT, in);
    l->out = in->out;
    l->limit = n;
    return l;
}

static void test_mvapply_take_runs_per_row_and_keeps_renamed_source(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *items;
    kp *m = tb_mvapply(p, tb_values(p, "index:int, Arr:dynamic", "0, [7], 1, [6, 11, 7]"), "Arr2 = Arr to long", NULL,
                       0, &items);
    tb_mvapply_on(p, m, take(p, items, 100));
    p->root = m;
    assert_string_equal(tb_schema(&m->out), "index:int, Arr:dynamic, Arr2:long");
    expect(p, "{\"index\":0,\"Arr\":[7],\"Arr2\":7}\n{\"index\":1,\"Arr\":[6,11,7],\"Arr2\":6}\n"
              "{\"index\":1,\"Arr\":[6,11,7],\"Arr2\":11}\n{\"index\":1,\"Arr\":[6,11,7],\"Arr2\":7}\n");
    /* take 2 applies to each row's items, not to the whole output */
    p = kplan_new();
    m = tb_mvapply(p, tb_values(p, "index:int, Arr:dynamic", "0, [1, 2, 3], 1, [4, 5, 6]"), "Arr to long", NULL, 0,
                   &items);
    tb_mvapply_on(p, m, take(p, items, 2));
    p->root = m;
    expect(p, "{\"index\":0,\"Arr\":1}\n{\"index\":0,\"Arr\":2}\n{\"index\":1,\"Arr\":4}\n{\"index\":1,\"Arr\":5}\n");
}

static void test_mvapply_top_and_summarize_per_row(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *items;
    kp *m = tb_mvapply(p, tb_values(p, "index:int, Arr:dynamic", "0, [1, 5, 3], 1, [10, 2, 5, 7]"),
                       "topElem = Arr to long", NULL, 0, &items);
    tb_mvapply_on(p, m, tb_top(p, items, 1, "topElem"));
    p->root = m;
    expect(p, "{\"index\":0,\"Arr\":[1,5,3],\"topElem\":5}\n{\"index\":1,\"Arr\":[10,2,5,7],\"topElem\":10}\n");
    p = kplan_new();
    m = tb_mvapply(p, tb_values(p, "index:int, Arr:dynamic", "0, [5, 1, 3], 1, [4, 10, 8, 7]"), "Arr2 = Arr to long",
                   NULL, 0, &items);
    tb_mvapply_on(p, m, tb_summarize(p, tb_top(p, items, 2, "Arr2"), "Top2=make_list(Arr2)", NULL));
    p->root = m;
    assert_string_equal(tb_schema(&m->out), "index:int, Arr:dynamic, Top2:dynamic");
    expect(p, "{\"index\":0,\"Arr\":[5,1,3],\"Top2\":[5,3]}\n{\"index\":1,\"Arr\":[4,10,8,7],\"Top2\":[10,8]}\n");
    p = kplan_new();
    m = tb_mvapply(p, tb_values(p, "k:string, d:dynamic", "'a', [1, 2], 'b', [4]"), "d to long", NULL, 0, &items);
    tb_mvapply_on(p, m, tb_summarize(p, items, "s=sum(d)", NULL));
    p->root = m;
    assert_string_equal(tb_schema(&m->out), "k:string, s:long");
    expect(p, "{\"k\":\"a\",\"s\":3}\n{\"k\":\"b\",\"s\":4}\n");
}

static void test_mvapply_where_with_itemindex_and_dropping_rows(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *items;
    kp *m = tb_mvapply(p, tb_values(p, "row:int, Arr:dynamic", "0, [5, 1, 3], 1, [4, 10, 8, 7]"), "value = Arr to long",
                       "index", 0, &items);
    kp *f = kp_new(p, KP_FILTER, items);
    f->out = items->out;
    f->pred = kx_call2(p, KB_ge, SP_TYPE_BOOL, tb_col(p, items, "index"), tb_long(p, 2));
    tb_mvapply_on(p, m, f);
    p->root = m;
    assert_string_equal(tb_schema(&m->out), "row:int, Arr:dynamic, value:long, index:long");
    expect(p, "{\"row\":0,\"Arr\":[5,1,3],\"value\":3,\"index\":2}\n{\"row\":1,\"Arr\":[4,10,8,7],\"value\":8,\"index\":2}\n"
              "{\"row\":1,\"Arr\":[4,10,8,7],\"value\":7,\"index\":3}\n");
    p = kplan_new();
    m = tb_mvapply(p, tb_values(p, "k:string, d:dynamic", "'a', [1, 2], 'b', [5, 6]"), "d to long", NULL, 0, &items);
    f = kp_new(p, KP_FILTER, items);
    f->out = items->out;
    f->pred = kx_call2(p, KB_gt, SP_TYPE_BOOL, tb_col(p, items, "d"), tb_long(p, 4));
    tb_mvapply_on(p, m, f);
    p->root = m;
    expect(p, "{\"k\":\"b\",\"d\":5}\n{\"k\":\"b\",\"d\":6}\n");
}

static void test_mvapply_parallel_arrays_padded_with_null(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *items;
    kp *m = tb_mvapply(p, tb_values(p, "Val:int, Arr1:dynamic, Arr2:dynamic",
                                    "1, [\"A1\", \"A2\"], [\"B1\", \"B2\", \"B3\"], 5, [\"C1\", \"C2\"], [\"D1\"]"),
                       "T1 = Arr1 to string, T2 = Arr2", NULL, 0, &items);
    kp *a = tb_summarize(p, items, "L1=make_list_with_nulls(T1), L2=make_list_with_nulls(T2)", NULL);
    tb_mvapply_on(p, m, a);
    p->root = tb_project(p, m, "Val, L1, L2");
    expect(p, "{\"Val\":1,\"L1\":[\"A1\",\"A2\",\"\"],\"L2\":[\"B1\",\"B2\",\"B3\"]}\n"
              "{\"Val\":5,\"L1\":[\"C1\",\"C2\"],\"L2\":[\"D1\",null]}\n");
}

/* The subquery runs once per input row, over that row's items table — also when it is
 * empty, so a count over an empty array is one row of 0. */
static void test_mvapply_runs_subquery_over_empty_items(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *items;
    kp *m = tb_mvapply(p, tb_values(p, "k:string, d:dynamic", "'a', [], 'b', [1, 2]"), "d", NULL, 0, &items);
    tb_mvapply_on(p, m, tb_summarize(p, items, "n=count()", NULL));
    p->root = m;
    expect(p, "{\"k\":\"a\",\"n\":0}\n{\"k\":\"b\",\"n\":2}\n");
}

/* mv-apply inside mv-apply: the inner operator's input is the outer items leaf. */
static void test_mvapply_nested(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *outer_items, *inner_items;
    kp *outer = tb_mvapply(p, tb_values(p, "k:string, d:dynamic", "'a', [[1, 2], [3]], 'b', [[10], [20, 30]]"), "e = d",
                           NULL, 0, &outer_items);
    kp *inner = tb_mvapply(p, outer_items, "e to long", NULL, 0, &inner_items);
    tb_mvapply_on(p, inner, tb_summarize(p, inner_items, "s=sum(e)", NULL));
    tb_mvapply_on(p, outer, tb_summarize(p, inner, "sums=make_list(s)", NULL));
    p->root = tb_project(p, outer, "k, sums");
    expect(p, "{\"k\":\"a\",\"sums\":[3,3]}\n{\"k\":\"b\",\"sums\":[10,50]}\n");
}

/* One mv-apply node used twice (a let reused in a union): two live operators register
 * items for the same leaf, and each subplan must read its own. */
static void test_mvapply_node_used_twice(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *items;
    kp *m = tb_mvapply(p, tb_values(p, "k:string, d:dynamic", "'a', [1, 2], 'b', [10]"), "d to long", NULL, 0, &items);
    tb_mvapply_on(p, m, tb_summarize(p, items, "s=sum(d)", NULL));
    kp *ins[2] = {m, m};
    p->root = tb_union(p, NULL, ins, NULL, 2);
    expect(p, "{\"k\":\"a\",\"s\":3}\n{\"k\":\"b\",\"s\":10}\n{\"k\":\"a\",\"s\":3}\n{\"k\":\"b\",\"s\":10}\n");
}

static void test_rowitems_outside_mvapply_is_an_error(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *leaf = kp_new(p, KP_ROWITEMS, NULL);
    kp_schema_add(p, &leaf->out, "x", SP_TYPE_DYNAMIC);
    p->root = leaf;
    expect(p, "error: unsupported: mv-apply items outside mv-apply");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mvexpand_array_gives_one_row_per_element),
        cmocka_unit_test(test_mvexpand_bag_gives_single_member_bags_or_pairs),
        cmocka_unit_test(test_mvexpand_zips_columns_padding_with_null),
        cmocka_unit_test(test_mvexpand_in_sequence_gives_cartesian_product),
        cmocka_unit_test(test_mvexpand_to_typeof_converts_and_nulls_nonconforming),
        cmocka_unit_test(test_mvexpand_itemindex_and_limit),
        cmocka_unit_test(test_mvexpand_null_scalar_and_empty_values),
        cmocka_unit_test(test_mvexpand_expression_appends_a_new_column),
        cmocka_unit_test(test_mvexpand_legacy_limit_of_128_and_none_by_default),
        cmocka_unit_test(test_mvexpand_output_crosses_batches),
        cmocka_unit_test(test_mvapply_take_runs_per_row_and_keeps_renamed_source),
        cmocka_unit_test(test_mvapply_top_and_summarize_per_row),
        cmocka_unit_test(test_mvapply_where_with_itemindex_and_dropping_rows),
        cmocka_unit_test(test_mvapply_parallel_arrays_padded_with_null),
        cmocka_unit_test(test_mvapply_runs_subquery_over_empty_items),
        cmocka_unit_test(test_mvapply_nested),
        cmocka_unit_test(test_mvapply_node_used_twice),
        cmocka_unit_test(test_rowitems_outside_mvapply_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
