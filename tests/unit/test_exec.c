/* test_exec.c — the executor on hand-built plans: scans over dictionary-encoded chunks,
 * filters (including per-dictionary-entry evaluation), projections, aggregation, and
 * JSON output. Language-level behaviour is pinned by the KQL conformance suite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec.h"
#include "engine/kql/kql.h"

static sp_store *make_store(int rows)
{
    sp_store_config cfg = {.chunk_rows = 1000};
    sp_store *s = sp_store_new(&cfg);
    sp_table *t = sp_store_table(s, "SigninLogs");
    const sp_schema *sc = sp_table_schema(t);
    int id = sp_schema_find(sc, "Id", 2), upn = sp_schema_find(sc, "UserPrincipalName", 17);
    int rt = sp_schema_find(sc, "ResultType", 10), app = sp_schema_find(sc, "AppDisplayName", 14);
    int tg = sp_schema_find(sc, "TimeGenerated", 13);
    sp_builder *b = sp_builder_new(t);
    char buf[64];
    for (int i = 0; i < rows; i++) {
        sp_builder_begin_row(b);
        int n = snprintf(buf, sizeof buf, "id%d", i);
        sp_builder_set_string(b, id, buf, (size_t)n);
        n = snprintf(buf, sizeof buf, "user%d@contoso.com", i % 10);
        sp_builder_set_string(b, upn, buf, (size_t)n);
        sp_builder_set_string(b, rt, i % 5 == 0 ? "50126" : "0", i % 5 == 0 ? 5 : 1);
        const char *a = i % 3 == 0 ? "Azure Portal" : i % 3 == 1 ? "Microsoft Teams" : "Office 365 Exchange Online";
        sp_builder_set_string(b, app, a, strlen(a));
        sp_builder_set_datetime(b, tg, SP_UNIX_EPOCH_TICKS + (int64_t)i * SP_TICKS_PER_SEC);
        sp_builder_end_row(b, NULL);
    }
    sp_builder_free(b);
    return s;
}

static kx *str_const(kplan *p, const char *s)
{
    kval v = {.type = SP_TYPE_STRING, .u.s = {s, (uint32_t)strlen(s)}};
    return kx_const(p, v);
}

static int colof(const kp *n, const char *name)
{
    int c = kp_schema_find(&n->out, name, strlen(name));
    assert_true(c >= 0);
    return c;
}

static kx *col(kplan *p, const kp *n, const char *name)
{
    int c = colof(n, name);
    return kx_col(p, c, n->out.cols[c].type);
}

static char *run_json(kplan *p, sp_store *s)
{
    krowset *rs;
    sp_diag d = {0};
    int r = kexec_run(p, s, NULL, &rs, &d);
    if (r != 0)
        fprintf(stderr, "error: %s\n", d.msg);
    assert_int_equal(r, 0);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    krowset_write(rs, KOUT_JSON, f);
    fclose(f);
    krowset_free(rs);
    return out;
}

static void test_filter_on_dictionary_column_counts_by_user(void **st)
{
    (void)st;
    sp_store *s = make_store(3000);
    kplan *p = kplan_new();
    kp *scan = kp_scan(p, sp_store_find(s, "SigninLogs"));
    kp *f = kp_new(p, KP_FILTER, scan);
    f->out = scan->out;
    /* ResultType == "50126" and AppDisplayName has "portal" */
    f->pred = kx_call2(p, KB_and, SP_TYPE_BOOL,
                       kx_call2(p, KB_eq, SP_TYPE_BOOL, col(p, scan, "ResultType"), str_const(p, "50126")),
                       kx_call2(p, KB_has, SP_TYPE_BOOL, col(p, scan, "AppDisplayName"), str_const(p, "portal")));
    kp *agg = kp_new(p, KP_AGGREGATE, f);
    agg->nkeys = 1;
    agg->keys = sp_arena_calloc(&p->arena, sizeof(kp_named));
    agg->keys[0].name = "UserPrincipalName";
    agg->keys[0].expr = col(p, f, "UserPrincipalName");
    agg->naggs = 1;
    agg->aggs = sp_arena_calloc(&p->arena, sizeof(kp_agg));
    agg->aggs[0].agg = KA_count;
    agg->aggs[0].first_out = 1;
    agg->aggs[0].nout = 1;
    kp_schema_add(p, &agg->out, "UserPrincipalName", SP_TYPE_STRING);
    kp_schema_add(p, &agg->out, "count_", SP_TYPE_LONG);
    kp *sort = agg; /* groups come out in first-seen order */
    p->root = sort;
    char *out = run_json(p, s);
    /* i % 5 == 0 and i % 3 == 0 -> i % 15 == 0: users 0 and 5, 100 rows each */
    assert_string_equal(out, "{\"UserPrincipalName\":\"user0@contoso.com\",\"count_\":100}\n"
                             "{\"UserPrincipalName\":\"user5@contoso.com\",\"count_\":100}\n");
    free(out);
    kplan_free(p);
    sp_store_free(s);
}

static void test_summarize_without_keys_on_empty_input_returns_one_row(void **st)
{
    (void)st;
    sp_store *s = make_store(10);
    kplan *p = kplan_new();
    kp *scan = kp_scan(p, sp_store_find(s, "SigninLogs"));
    kp *f = kp_new(p, KP_FILTER, scan);
    f->out = scan->out;
    f->pred = kx_call2(p, KB_eq, SP_TYPE_BOOL, col(p, scan, "ResultType"), str_const(p, "nope"));
    kp *agg = kp_new(p, KP_AGGREGATE, f);
    agg->naggs = 2;
    agg->aggs = sp_arena_calloc(&p->arena, 2 * sizeof(kp_agg));
    agg->aggs[0].agg = KA_count;
    agg->aggs[0].first_out = 0;
    agg->aggs[0].nout = 1;
    agg->aggs[1].agg = KA_dcount;
    agg->aggs[1].nargs = 1;
    agg->aggs[1].args = sp_arena_calloc(&p->arena, sizeof(kx *));
    agg->aggs[1].args[0] = col(p, f, "UserPrincipalName");
    agg->aggs[1].first_out = 1;
    agg->aggs[1].nout = 1;
    kp_schema_add(p, &agg->out, "count_", SP_TYPE_LONG);
    kp_schema_add(p, &agg->out, "dcount_UserPrincipalName", SP_TYPE_LONG);
    p->root = agg;
    char *out = run_json(p, s);
    assert_string_equal(out, "{\"count_\":0,\"dcount_UserPrincipalName\":0}\n");
    free(out);
    kplan_free(p);
    sp_store_free(s);
}

static void test_project_computes_and_passes_columns(void **st)
{
    (void)st;
    sp_store *s = make_store(3);
    kplan *p = kplan_new();
    kp *scan = kp_scan(p, sp_store_find(s, "SigninLogs"));
    kp *pr = kp_new(p, KP_PROJECT, scan);
    pr->nitems = 2;
    pr->items = sp_arena_calloc(&p->arena, 2 * sizeof(kp_named));
    pr->items[0].name = "Id";
    pr->items[0].expr = col(p, scan, "Id");
    pr->items[1].name = "Failed";
    pr->items[1].expr = kx_call2(p, KB_ne, SP_TYPE_BOOL, col(p, scan, "ResultType"), str_const(p, "0"));
    kp_schema_add(p, &pr->out, "Id", SP_TYPE_STRING);
    kp_schema_add(p, &pr->out, "Failed", SP_TYPE_BOOL);
    p->root = pr;
    char *out = run_json(p, s);
    assert_string_equal(out, "{\"Id\":\"id0\",\"Failed\":true}\n{\"Id\":\"id1\",\"Failed\":false}\n{\"Id\":\"id2\",\"Failed\":false}\n");
    free(out);
    kplan_free(p);
    sp_store_free(s);
}

/* strcat(tostring(ResultType), AppDisplayName): the first argument is a dictionary derived
 * from ResultType's, the second AppDisplayName's own; they are not one dictionary, so the
 * call must not run once per entry of either. */
static void test_call_over_a_derived_and_a_column_dictionary_reads_each_row(void **st)
{
    (void)st;
    sp_store *s = make_store(3000);
    kplan *p = kplan_new();
    kp *scan = kp_scan(p, sp_store_find(s, "SigninLogs"));
    kp *agg = kp_new(p, KP_AGGREGATE, scan);
    agg->nkeys = 1;
    agg->keys = sp_arena_calloc(&p->arena, sizeof(kp_named));
    agg->keys[0].name = "Both";
    kx *args[2] = {kx_call1(p, KB_tostring, SP_TYPE_STRING, col(p, scan, "ResultType")), col(p, scan, "AppDisplayName")};
    agg->keys[0].expr = kx_call(p, KB_strcat, SP_TYPE_STRING, args, 2);
    agg->naggs = 1;
    agg->aggs = sp_arena_calloc(&p->arena, sizeof(kp_agg));
    agg->aggs[0].agg = KA_count;
    agg->aggs[0].first_out = 1;
    agg->aggs[0].nout = 1;
    kp_schema_add(p, &agg->out, "Both", SP_TYPE_STRING);
    kp_schema_add(p, &agg->out, "count_", SP_TYPE_LONG);
    p->root = agg;
    char *out = run_json(p, s);
    assert_string_equal(out, "{\"Both\":\"50126Azure Portal\",\"count_\":200}\n"
                             "{\"Both\":\"0Microsoft Teams\",\"count_\":800}\n"
                             "{\"Both\":\"0Office 365 Exchange Online\",\"count_\":800}\n"
                             "{\"Both\":\"0Azure Portal\",\"count_\":800}\n"
                             "{\"Both\":\"50126Office 365 Exchange Online\",\"count_\":200}\n"
                             "{\"Both\":\"50126Microsoft Teams\",\"count_\":200}\n");
    free(out);
    kplan_free(p);
    sp_store_free(s);
}

static void test_regex_rejects_backreferences_and_lookaround(void **st)
{
    (void)st;
    sp_store *s = make_store(3);
    kplan *p = kplan_new();
    kp *scan = kp_scan(p, sp_store_find(s, "SigninLogs"));
    kp *f = kp_new(p, KP_FILTER, scan);
    f->out = scan->out;
    kx *pat = str_const(p, "(a)\\1");
    pat->line = 1;
    pat->col = 30;
    f->pred = kx_call2(p, KB_matches_regex, SP_TYPE_BOOL, col(p, scan, "Id"), pat);
    p->root = f;
    krowset *rs;
    sp_diag d = {0};
    assert_int_equal(kexec_run(p, s, NULL, &rs, &d), -1);
    assert_non_null(strstr(d.msg, "backreference"));
    assert_int_equal(d.line, 1);
    assert_int_equal(d.col, 30 + 4);
    kplan_free(p);
    sp_store_free(s);
}

/* A function of a per-entry result (tolower over a dictionary column gives a derived
 * dictionary) and of another dictionary column: the two dictionaries differ, so the call
 * must not run per entry of either (it once read past the smaller one). */
static void test_call_over_a_derived_and_another_dictionary_reads_each_row(void **st)
{
    (void)st;
    sp_store *s = make_store(30);
    const char *q = "SigninLogs | extend x = strcat(tolower(AppDisplayName), '/', UserPrincipalName)"
                    " | summarize n = dcount(x), first = countif(x == 'azure portal/user0@contoso.com'),"
                    " teams = countif(x startswith 'microsoft teams/user1@')";
    kql_bind_env env = {.store = s};
    kplan *p = NULL;
    sp_diag d = {0};
    assert_int_equal(kql_compile(q, strlen(q), &env, &p, &d), 0);
    char *out = run_json(p, s);
    /* i % 3 picks the app, i % 10 the user: 30 distinct pairs; i = 0 is the first; of
     * user1's rows (1, 11, 21) only i = 1 is Teams (i % 3 == 1) */
    assert_string_equal(out, "{\"n\":30,\"first\":1,\"teams\":1}\n");
    free(out);
    kplan_free(p);
    sp_store_free(s);
}

/* Columns an extend computes but nothing reads: the scan no longer loads what they are
 * computed from, so they must not be computed either (they once failed with "column not
 * loaded"). */
static void test_extend_nothing_reads_is_not_computed_from_pruned_columns(void **st)
{
    (void)st;
    sp_store *s = make_store(30);
    const char *q = "SigninLogs | where UserPrincipalName != 'x' | extend a = tolower(AppDisplayName)"
                    " | extend b = strcat(a, '-') | count";
    kql_bind_env env = {.store = s};
    kplan *p = NULL;
    sp_diag d = {0};
    assert_int_equal(kql_compile(q, strlen(q), &env, &p, &d), 0);
    char *out = run_json(p, s);
    assert_string_equal(out, "{\"Count\":30}\n");
    free(out);
    kplan_free(p);
    sp_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_on_dictionary_column_counts_by_user),
        cmocka_unit_test(test_summarize_without_keys_on_empty_input_returns_one_row),
        cmocka_unit_test(test_project_computes_and_passes_columns),
        cmocka_unit_test(test_call_over_a_derived_and_a_column_dictionary_reads_each_row),
        cmocka_unit_test(test_regex_rejects_backreferences_and_lookaround),
        cmocka_unit_test(test_call_over_a_derived_and_another_dictionary_reads_each_row),
        cmocka_unit_test(test_extend_nothing_reads_is_not_computed_from_pruned_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
