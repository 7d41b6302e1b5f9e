/* test_ops_bagunpack.c — evaluate bag_unpack() (cases from the plugin docs and
 * tests/kql/16-bag-unpack-make-series.test): schema discovery at bind time (slots sorted
 * by name, typed by their values, prefix, ignoredProperties, columnsConflict), the
 * operator producing exactly the bound schema (absent slots null, new keys ignored), a
 * binder-given output schema with and without `*`, and getschema over the result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/plan_build.h"

static kp *bag_unpack(kplan *p, kp *in, const char *col, const char *prefix, kp_bagconflict conflict)
{
    kp *n = kp_new(p, KP_BAGUNPACK, in);
    n->bag_col = kp_schema_find(&in->out, col, strlen(col));
    assert_true(n->bag_col >= 0);
    n->bag_prefix = prefix;
    n->bag_conflict = conflict;
    return n;
}

/* Binds like the binder would (schema discovery), then runs. */
static void expect_unpacked(kplan *p, kp *node, const char *schema, const char *want)
{
    sp_diag d = {0};
    int rc = kexec_bagunpack_schema(p, NULL, NULL, node, &d);
    if (rc)
        fprintf(stderr, "schema: %s\n", d.msg);
    assert_int_equal(rc, 0);
    assert_string_equal(tb_schema(&node->out), schema);
    char *got = tb_run(p, NULL);
    assert_string_equal(got, want);
    free(got);
    kplan_free(p);
}

#define PEOPLE "{\"Name\": \"John\", \"Age\":20}, {\"Name\": \"Dave\", \"Age\":40}, {\"Name\": \"Jasmine\", \"Age\":30}"

static void test_bagunpack_slots_become_columns_sorted_and_typed(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *n = bag_unpack(p, tb_values(p, "d:dynamic", PEOPLE), "d", NULL, KP_BAGCONFLICT_ERROR);
    p->root = n;
    expect_unpacked(p, n, "Age:long, Name:string",
                    "{\"Age\":20,\"Name\":\"John\"}\n{\"Age\":40,\"Name\":\"Dave\"}\n{\"Age\":30,\"Name\":\"Jasmine\"}\n");
}

static void test_bagunpack_prefix_names_the_columns(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *n = bag_unpack(p, tb_values(p, "d:dynamic", PEOPLE), "d", "Property_", KP_BAGCONFLICT_ERROR);
    p->root = n;
    expect_unpacked(p, n, "Property_Age:long, Property_Name:string",
                    "{\"Property_Age\":20,\"Property_Name\":\"John\"}\n{\"Property_Age\":40,\"Property_Name\":\"Dave\"}\n"
                    "{\"Property_Age\":30,\"Property_Name\":\"Jasmine\"}\n");
}

static void test_bagunpack_missing_slot_is_null_and_other_columns_stay(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *n = bag_unpack(p,
                       tb_values(p, "Description:string, d:dynamic",
                                 "'Student', {\"Name\": \"John\", \"Age\":20}, "
                                 "'Teacher', {\"Name\": \"Dave\", \"Height\": 170, \"Age\":40}, 'Nobody', null"),
                       "d", NULL, KP_BAGCONFLICT_ERROR);
    p->root = n;
    expect_unpacked(p, n, "Description:string, Age:long, Height:long, Name:string",
                    "{\"Description\":\"Student\",\"Age\":20,\"Height\":null,\"Name\":\"John\"}\n"
                    "{\"Description\":\"Teacher\",\"Age\":40,\"Height\":170,\"Name\":\"Dave\"}\n"
                    "{\"Description\":\"Nobody\",\"Age\":null,\"Height\":null,\"Name\":\"\"}\n");
}

static void test_bagunpack_slot_types_differ_become_dynamic(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *n = bag_unpack(p,
                       tb_values(p, "d:dynamic",
                                 "{\"a\": 1, \"b\": 1.5, \"c\": true, \"e\": [1], \"f\": null, \"g\": \"x\"}, "
                                 "{\"a\": 2.5, \"b\": 2, \"c\": false, \"e\": {\"k\": 1}, \"f\": 3, \"g\": \"y\\\"z\"}"),
                       "d", NULL, KP_BAGCONFLICT_ERROR);
    p->root = n;
    expect_unpacked(p, n, "a:dynamic, b:dynamic, c:bool, e:dynamic, f:long, g:string",
                    "{\"a\":1,\"b\":1.5,\"c\":true,\"e\":[1],\"f\":null,\"g\":\"x\"}\n"
                    "{\"a\":2.5,\"b\":2,\"c\":false,\"e\":{\"k\":1},\"f\":3,\"g\":\"y\\\"z\"}\n");
}

static void test_bagunpack_ignored_properties_are_skipped(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *n = bag_unpack(p,
                       tb_values(p, "d:dynamic",
                                 "{\"Name\": \"John\", \"Age\":20, \"Address\": \"Address-1\" }, "
                                 "{\"Name\": \"Dave\", \"Age\":40, \"Address\": \"Address-2\"}"),
                       "d", NULL, KP_BAGCONFLICT_ERROR);
    static const char *ign[] = {"Address", "Age"};
    n->bag_ignored = ign;
    n->nbag_ignored = 2;
    p->root = n;
    expect_unpacked(p, n, "Name:string", "{\"Name\":\"John\"}\n{\"Name\":\"Dave\"}\n");
}

static void test_bagunpack_columns_conflict_modes(void **st)
{
    (void)st;
    const char *cells = "'Old_name', {\"Name\": \"John\", \"Age\":20}, 'Old_name', {\"Name\": \"Dave\", \"Age\":40}";
    kplan *p = kplan_new();
    kp *n = bag_unpack(p, tb_values(p, "Name:string, d:dynamic", cells), "d", NULL, KP_BAGCONFLICT_REPLACE);
    p->root = n;
    expect_unpacked(p, n, "Age:long, Name:string", "{\"Age\":20,\"Name\":\"John\"}\n{\"Age\":40,\"Name\":\"Dave\"}\n");
    p = kplan_new();
    n = bag_unpack(p, tb_values(p, "Name:string, d:dynamic", cells), "d", NULL, KP_BAGCONFLICT_KEEP);
    p->root = n;
    /* keep_source: the input's Name keeps its values at the slot's place, after Age (the
     * bag_unpack docs' example lists Age, Name) */
    expect_unpacked(p, n, "Age:long, Name:string",
                    "{\"Age\":20,\"Name\":\"Old_name\"}\n{\"Age\":40,\"Name\":\"Old_name\"}\n");
    p = kplan_new();
    n = bag_unpack(p, tb_values(p, "Name:string, d:dynamic", cells), "d", NULL, KP_BAGCONFLICT_ERROR);
    n->line = 3;
    n->col = 7;
    sp_diag d = {0};
    assert_int_equal(kexec_bagunpack_schema(p, NULL, NULL, n, &d), -1);
    assert_non_null(strstr(d.msg, "slot 'Name' clashes with an existing column"));
    assert_int_equal(d.line, 3);
    kplan_free(p);
}

/* The binder gave the schema (`: (*, Name:string, Age:long)`): columns by name, values
 * converted to the declared types, slots not listed ignored. */
static void test_bagunpack_with_given_output_schema(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *in = tb_values(p, "d:dynamic, Description:string",
                       "{\"Name\": \"John\", \"Age\":20, \"height\":180}, 'Student', "
                       "{\"Name\": \"Dave\", \"Age\":\"40\", \"height\":160}, 'Teacher'");
    kp *n = bag_unpack(p, in, "d", NULL, KP_BAGCONFLICT_ERROR);
    kp_schema_add(p, &n->out, "Description", SP_TYPE_STRING);
    kp_schema_add(p, &n->out, "Name", SP_TYPE_STRING);
    kp_schema_add(p, &n->out, "Age", SP_TYPE_LONG);
    p->root = n;
    char *got = tb_run(p, NULL);
    assert_string_equal(got, "{\"Description\":\"Student\",\"Name\":\"John\",\"Age\":20}\n"
                             "{\"Description\":\"Teacher\",\"Name\":\"Dave\",\"Age\":40}\n");
    free(got);
    kplan_free(p);
}

/* A schema bound earlier keeps working when the data changes: new keys are ignored,
 * vanished ones are null. */
static void test_bagunpack_runs_against_its_bound_schema(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *v = tb_values(p, "d:dynamic", "{\"a\": 1}, {\"b\": \"x\"}");
    kp *n = bag_unpack(p, v, "d", NULL, KP_BAGCONFLICT_ERROR);
    p->root = n;
    sp_diag d = {0};
    assert_int_equal(kexec_bagunpack_schema(p, NULL, NULL, n, &d), 0);
    assert_string_equal(tb_schema(&n->out), "a:long, b:string");
    /* the data changes after binding */
    kp *v2 = tb_values(p, "d:dynamic", "{\"b\": \"y\", \"c\": 5}, {\"a\": 7, \"a\": 8}");
    n->in = v2;
    char *got = tb_run(p, NULL);
    assert_string_equal(got, "{\"a\":null,\"b\":\"y\"}\n{\"a\":7,\"b\":\"\"}\n");
    free(got);
    kplan_free(p);
}

static kp *getschema(kplan *p, kp *in)
{
    kp *g = kp_new(p, KP_GETSCHEMA, in);
    kp_schema_add(p, &g->out, "ColumnName", SP_TYPE_STRING);
    kp_schema_add(p, &g->out, "ColumnOrdinal", SP_TYPE_INT);
    kp_schema_add(p, &g->out, "DataType", SP_TYPE_STRING);
    kp_schema_add(p, &g->out, "ColumnType", SP_TYPE_STRING);
    return g;
}

static void test_getschema_lists_columns_with_kusto_type_names(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *v = tb_values(p, "b:bool, i:int, l:long, r:real, t:datetime, ts:timespan, s:string, g:guid, d:dynamic", "");
    kp *g = getschema(p, v);
    p->root = g;
    char *got = tb_run(p, NULL);
    assert_string_equal(got,
                        "{\"ColumnName\":\"b\",\"ColumnOrdinal\":0,\"DataType\":\"System.SByte\",\"ColumnType\":\"bool\"}\n"
                        "{\"ColumnName\":\"i\",\"ColumnOrdinal\":1,\"DataType\":\"System.Int32\",\"ColumnType\":\"int\"}\n"
                        "{\"ColumnName\":\"l\",\"ColumnOrdinal\":2,\"DataType\":\"System.Int64\",\"ColumnType\":\"long\"}\n"
                        "{\"ColumnName\":\"r\",\"ColumnOrdinal\":3,\"DataType\":\"System.Double\",\"ColumnType\":\"real\"}\n"
                        "{\"ColumnName\":\"t\",\"ColumnOrdinal\":4,\"DataType\":\"System.DateTime\",\"ColumnType\":\"datetime\"}\n"
                        "{\"ColumnName\":\"ts\",\"ColumnOrdinal\":5,\"DataType\":\"System.TimeSpan\",\"ColumnType\":\"timespan\"}\n"
                        "{\"ColumnName\":\"s\",\"ColumnOrdinal\":6,\"DataType\":\"System.String\",\"ColumnType\":\"string\"}\n"
                        "{\"ColumnName\":\"g\",\"ColumnOrdinal\":7,\"DataType\":\"System.Guid\",\"ColumnType\":\"guid\"}\n"
                        "{\"ColumnName\":\"d\",\"ColumnOrdinal\":8,\"DataType\":\"System.Object\",\"ColumnType\":\"dynamic\"}\n");
    free(got);
    kplan_free(p);
}

static void test_getschema_after_bagunpack_shows_discovered_types(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *n = bag_unpack(p, tb_values(p, "k:string, d:dynamic", "'x', {\"when\": \"2024-01-01\", \"n\": 3}"), "d", NULL,
                       KP_BAGCONFLICT_ERROR);
    sp_diag d = {0};
    assert_int_equal(kexec_bagunpack_schema(p, NULL, NULL, n, &d), 0);
    kp *g = getschema(p, n);
    p->root = tb_project(p, g, "ColumnName, ColumnType");
    char *got = tb_run(p, NULL);
    assert_string_equal(got, "{\"ColumnName\":\"k\",\"ColumnType\":\"string\"}\n{\"ColumnName\":\"n\",\"ColumnType\":\"long\"}\n"
                             "{\"ColumnName\":\"when\",\"ColumnType\":\"string\"}\n");
    free(got);
    kplan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bagunpack_slots_become_columns_sorted_and_typed),
        cmocka_unit_test(test_bagunpack_prefix_names_the_columns),
        cmocka_unit_test(test_bagunpack_missing_slot_is_null_and_other_columns_stay),
        cmocka_unit_test(test_bagunpack_slot_types_differ_become_dynamic),
        cmocka_unit_test(test_bagunpack_ignored_properties_are_skipped),
        cmocka_unit_test(test_bagunpack_columns_conflict_modes),
        cmocka_unit_test(test_bagunpack_with_given_output_schema),
        cmocka_unit_test(test_bagunpack_runs_against_its_bound_schema),
        cmocka_unit_test(test_getschema_lists_columns_with_kusto_type_names),
        cmocka_unit_test(test_getschema_after_bagunpack_shows_discovered_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
