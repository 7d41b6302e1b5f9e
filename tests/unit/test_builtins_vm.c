/* test_builtins_vm.c — builtin kernels run by the real executor over a store table: a
 * constant regex compiled once in init, per-dictionary-entry evaluation of pure
 * builtins, a constant set operand (KX_SET) that reaches the kernel only through init,
 * and a filter on a Sigma $cidr matcher. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec_int.h"
#include "support/plan_build.h"

static sp_store *make_store(int rows)
{
    sp_store_config cfg = {.chunk_rows = 500};
    sp_store *s = sp_store_new(&cfg);
    sp_table *t = sp_store_table(s, "SigninLogs");
    const sp_schema *sc = sp_table_schema(t);
    int id = sp_schema_find(sc, "Id", 2), ip = sp_schema_find(sc, "IPAddress", 9);
    int upn = sp_schema_find(sc, "UserPrincipalName", 17), tg = sp_schema_find(sc, "TimeGenerated", 13);
    sp_builder *b = sp_builder_new(t);
    char buf[64];
    for (int i = 0; i < rows; i++) {
        sp_builder_begin_row(b);
        int n = snprintf(buf, sizeof buf, "id%d", i);
        sp_builder_set_string(b, id, buf, (size_t)n);
        n = snprintf(buf, sizeof buf, i % 4 == 0 ? "10.0.%d.%d" : "52.1.%d.%d", i % 3, i % 7);
        sp_builder_set_string(b, ip, buf, (size_t)n);
        n = snprintf(buf, sizeof buf, "user%d@contoso.com", i % 5);
        sp_builder_set_string(b, upn, buf, (size_t)n);
        sp_builder_set_datetime(b, tg, SP_UNIX_EPOCH_TICKS + (int64_t)i * SP_TICKS_PER_SEC);
        sp_builder_end_row(b, NULL);
    }
    sp_builder_free(b);
    return s;
}

static kx *str_const(kplan *p, const char *s)
{
    return kx_const(p, (kval){.type = SP_TYPE_STRING, .u.s = {s, (uint32_t)strlen(s)}});
}

static kx *col(kplan *p, const kp *n, const char *name)
{
    int c = kp_schema_find(&n->out, name, strlen(name));
    assert_true(c >= 0);
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

static void test_project_runs_regex_and_set_builtins_through_the_vm(void **st)
{
    (void)st;
    sp_store *s = make_store(2000);
    kplan *p = kplan_new();
    kp *scan = kp_scan(p, sp_store_find(s, "SigninLogs"));
    kp *pr = kp_new(p, KP_PROJECT, scan);
    pr->nitems = 3;
    pr->items = sp_arena_calloc(&p->arena, sizeof(kp_named) * 3);
    /* user = extract("^(\\w+)@", 1, UserPrincipalName) */
    kx *ex_args[] = {str_const(p, "^(\\w+)@"), kx_const(p, (kval){.type = SP_TYPE_LONG, .u.l = 1}),
                     col(p, scan, "UserPrincipalName")};
    pr->items[0] = (kp_named){"user", kx_call(p, KB_extract, SP_TYPE_STRING, ex_args, 3)};
    /* internal = ipv4_is_in_any_range(IPAddress, ("10.0.0.0/8", "192.168.0.0/16")) */
    kx *set = sp_arena_calloc(&p->arena, sizeof *set);
    set->kind = KX_SET;
    set->type = SP_TYPE_STRING;
    set->nset = 2;
    set->set = sp_arena_calloc(&p->arena, sizeof(kval) * 2);
    set->set[0] = (kval){.type = SP_TYPE_STRING, .u.s = {"10.0.0.0/8", 10}};
    set->set[1] = (kval){.type = SP_TYPE_STRING, .u.s = {"192.168.0.0/16", 14}};
    pr->items[1] = (kp_named){"internal", kx_call2(p, KB_ipv4_is_in_any_range, SP_TYPE_BOOL, col(p, scan, "IPAddress"), set)};
    /* day = startofday(TimeGenerated) */
    pr->items[2] = (kp_named){"day", kx_call1(p, KB_startofday, SP_TYPE_DATETIME, col(p, scan, "TimeGenerated"))};
    kp_schema_add(p, &pr->out, "user", SP_TYPE_STRING);
    kp_schema_add(p, &pr->out, "internal", SP_TYPE_BOOL);
    kp_schema_add(p, &pr->out, "day", SP_TYPE_DATETIME);
    p->root = pr;
    char *out = run_json(p, s);
    assert_int_equal(tb_count(out, "\n"), 2000);
    assert_int_equal(tb_count(out, "\"internal\":true"), 500);
    assert_int_equal(tb_count(out, "\"user\":\"user3\""), 400);
    assert_int_equal(tb_count(out, "\"day\":\"1970-01-01T00:00:00.0000000Z\""), 2000);
    assert_non_null(strstr(out, "{\"user\":\"user0\",\"internal\":true,\"day\":\"1970-01-01T00:00:00.0000000Z\"}\n"));
    free(out);
    kplan_free(p);
    sp_store_free(s);
}

static void test_filter_on_sigma_cidr_matcher(void **st)
{
    (void)st;
    sp_store *s = make_store(1000);
    kplan *p = kplan_new();
    kp *scan = kp_scan(p, sp_store_find(s, "SigninLogs"));
    kp *f = kp_new(p, KP_FILTER, scan);
    f->out = scan->out;
    f->pred = kx_call2(p, KB_cidr_match, SP_TYPE_BOOL, col(p, scan, "IPAddress"), str_const(p, "10.0.1.0/24"));
    kp *pr = kp_new(p, KP_PROJECT, f);
    pr->nitems = 1;
    pr->items = sp_arena_calloc(&p->arena, sizeof(kp_named));
    pr->items[0] = (kp_named){"IPAddress", col(p, f, "IPAddress")};
    kp_schema_add(p, &pr->out, "IPAddress", SP_TYPE_STRING);
    p->root = pr;
    char *out = run_json(p, s);
    /* i % 4 == 0 and i % 3 == 1: i = 4, 16, ..., 988 */
    assert_int_equal(tb_count(out, "\n"), 83);
    assert_int_equal(tb_count(out, "\"10.0.1."), 83);
    free(out);
    kplan_free(p);
    sp_store_free(s);
}

static void test_invalid_constant_regex_fails_the_query_with_its_position(void **st)
{
    (void)st;
    sp_store *s = make_store(10);
    kplan *p = kplan_new();
    kp *scan = kp_scan(p, sp_store_find(s, "SigninLogs"));
    kp *pr = kp_new(p, KP_PROJECT, scan);
    pr->nitems = 1;
    pr->items = sp_arena_calloc(&p->arena, sizeof(kp_named));
    kx *pat = str_const(p, "a(?=b)");
    pat->line = 3;
    pat->col = 20;
    kx *args[] = {col(p, scan, "UserPrincipalName"), pat, str_const(p, "x")};
    pr->items[0] = (kp_named){"r", kx_call(p, KB_replace_regex, SP_TYPE_STRING, args, 3)};
    kp_schema_add(p, &pr->out, "r", SP_TYPE_STRING);
    p->root = pr;
    krowset *rs = NULL;
    sp_diag d = {0};
    assert_int_not_equal(kexec_run(p, s, NULL, &rs, &d), 0);
    assert_non_null(strstr(d.msg, "lookahead"));
    assert_int_equal(d.line, 3);
    assert_int_equal(d.col, 22); /* the quote is column 20, the ( column 22 */
    kplan_free(p);
    sp_store_free(s);
}

/* Every builtin of the IR has a kernel, except and/or (VM opcodes), the row/query-context
 * ones the executor's operators provide, the Sigma matchers $keyword and $str_eq_num (not
 * part of this work) and parse_user_agent (not implemented). */
static void test_every_scalar_builtin_has_a_kernel(void **st)
{
    (void)st;
    static const kb_id elsewhere[] = {KB_and, KB_or, KB_ingestion_time, KB_row_number, KB_prev,      KB_next,         KB_column_ifexists,
                                      KB_table_source,   KB_keyword_any, KB_str_eq_num, KB_parse_user_agent};
    for (int id = 0; id < KB__COUNT; id++) {
        bool skip = false;
        for (size_t k = 0; k < sizeof elsewhere / sizeof elsewhere[0]; k++)
            skip = skip || elsewhere[k] == (kb_id)id;
        if (skip || kfn_get((kb_id)id))
            continue;
        fail_msg("builtin '%s' has no kernel", kb_get((kb_id)id)->name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_project_runs_regex_and_set_builtins_through_the_vm),
        cmocka_unit_test(test_filter_on_sigma_cidr_matcher),
        cmocka_unit_test(test_invalid_constant_regex_fails_the_query_with_its_position),
        cmocka_unit_test(test_every_scalar_builtin_has_a_kernel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
