/* test_ops_union.c — union on hand-built plans (cases from tests/kql/11-union.test):
 * inputs streamed in order, duplicates kept, absent columns null ("" for strings), the
 * withsource column, columns aligned by name, type widening (int → long, long → real,
 * anything → dynamic), empty legs, and store-table legs with dictionary columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/plan_build.h"

#define expect(p, s, want) assert_true(tb_check((p), (s), (want)))

static void test_union_streams_inputs_in_order_and_keeps_duplicates(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *a = tb_values(p, "x:long", "1, 2");
    kp *ins[3] = {a, tb_values(p, "x:long", "3"), a};
    p->root = tb_union(p, NULL, ins, NULL, 3);
    assert_string_equal(tb_schema(&p->root->out), "x:long");
    expect(p, NULL, "{\"x\":1}\n{\"x\":2}\n{\"x\":3}\n{\"x\":1}\n{\"x\":2}\n");
}

static void test_union_absent_columns_are_null_or_empty_string(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *ins[2] = {tb_values(p, "x:long, a:string", "1, 'q'"), tb_values(p, "x:long, b:real", "2, 1.5")};
    p->root = tb_union(p, NULL, ins, NULL, 2);
    assert_string_equal(tb_schema(&p->root->out), "x:long, a:string, b:real");
    expect(p, NULL, "{\"x\":1,\"a\":\"q\",\"b\":null}\n{\"x\":2,\"a\":\"\",\"b\":1.5}\n");
}

static void test_union_withsource_names_each_leg_first(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *ins[2] = {tb_values(p, "UserId:string", "'u1'"), tb_values(p, "UserId:string", "'u2', 'u3'")};
    const char *names[2] = {"Query", "Command"};
    p->root = tb_union(p, "SourceTable", ins, names, 2);
    assert_string_equal(tb_schema(&p->root->out), "SourceTable:string, UserId:string");
    expect(p, NULL, "{\"SourceTable\":\"Query\",\"UserId\":\"u1\"}\n{\"SourceTable\":\"Command\",\"UserId\":\"u2\"}\n"
                    "{\"SourceTable\":\"Command\",\"UserId\":\"u3\"}\n");
}

static void test_union_aligns_columns_by_name(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *ins[2] = {tb_values(p, "a:long, b:string", "1, 'x'"), tb_values(p, "b:string, a:long", "'y', 2")};
    p->root = tb_union(p, NULL, ins, NULL, 2);
    expect(p, NULL, "{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}\n");
}

static void test_union_widens_column_types(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *ins[3] = {tb_values(p, "v:int, w:long", "1, 5"), tb_values(p, "v:long, w:real", "2, 2.5"),
                  tb_values(p, "v:long, w:datetime", "3, '2024-01-01'")};
    kp *u = tb_union(p, NULL, ins, NULL, 3);
    /* the binder's choice: v long, w dynamic */
    u->out.cols[0].type = SP_TYPE_LONG;
    u->out.cols[1].type = SP_TYPE_DYNAMIC;
    p->root = u;
    expect(p, NULL, "{\"v\":1,\"w\":5}\n{\"v\":2,\"w\":2.5}\n{\"v\":3,\"w\":\"2024-01-01T00:00:00.0000000Z\"}\n");
    p = kplan_new();
    kp *ins2[2] = {tb_values(p, "r:long", "7, null"), tb_values(p, "r:real", "0.5")};
    p->root = tb_union(p, NULL, ins2, NULL, 2);
    assert_string_equal(tb_schema(&p->root->out), "r:real");
    expect(p, NULL, "{\"r\":7}\n{\"r\":null}\n{\"r\":0.5}\n");
}

static void test_union_with_empty_legs(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *empty = kp_new(p, KP_EMPTY, NULL);
    kp_schema_add(p, &empty->out, "x", SP_TYPE_LONG);
    kp *ins[3] = {tb_values(p, "x:long", ""), empty, tb_values(p, "x:long", "1")};
    p->root = tb_union(p, NULL, ins, NULL, 3);
    expect(p, NULL, "{\"x\":1}\n");
}

static void test_union_of_store_scans_passes_dictionary_columns(void **st)
{
    (void)st;
    sp_store *s = tb_signins(250, 100);
    kplan *p = kplan_new();
    kp *a = tb_project(p, kp_scan(p, sp_store_find(s, "SigninLogs")), "UserPrincipalName");
    kp *ins[2] = {a, tb_values(p, "UserPrincipalName:string, n:long", "'extra@x', 1")};
    kp *u = tb_union(p, "T", ins, (const char *[]){"SigninLogs", "V"}, 2);
    p->root = tb_summarize(p, u, "rows=count(), users=dcount(UserPrincipalName), maxn=max(n)", "T");
    expect(p, s, "{\"T\":\"SigninLogs\",\"rows\":250,\"users\":10,\"maxn\":null}\n"
                 "{\"T\":\"V\",\"rows\":1,\"users\":1,\"maxn\":1}\n");
    sp_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_union_streams_inputs_in_order_and_keeps_duplicates),
        cmocka_unit_test(test_union_absent_columns_are_null_or_empty_string),
        cmocka_unit_test(test_union_withsource_names_each_leg_first),
        cmocka_unit_test(test_union_aligns_columns_by_name),
        cmocka_unit_test(test_union_widens_column_types),
        cmocka_unit_test(test_union_with_empty_legs),
        cmocka_unit_test(test_union_of_store_scans_passes_dictionary_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
