/* test_plan_prune.c — the optimizer's column pruning and filter pushdown over store scans
 * (the KQL conformance suite runs on datatable() and never scans a table): a projection
 * item nobody reads is not computed from a column the scan skipped, union branches prune
 * independently, and a filter stays above prev(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "engine/exec/exec.h"
#include "engine/kql/kql.h"
#include "ingest/ingest.h"

static sp_store *store_with_rows(void)
{
    sp_store *s = sp_store_new(NULL);
    sp_diag d = {0};
    ing_config c = {.report_limit = -1};
    ing *g = ing_new(s, &c, &d);
    assert_non_null(g);
    static const char *const rows[] = {
        "{\"Type\":\"CopilotActivity\",\"RecordId\":\"r1\",\"TimeGenerated\":\"2026-11-01T00:00:01Z\",\"AgentId\":\"A\",\"AppHost\":\"Teams\"}",
        "{\"Type\":\"CopilotActivity\",\"RecordId\":\"r2\",\"TimeGenerated\":\"2026-11-01T00:00:02Z\",\"AgentId\":\"B\",\"AppHost\":\"Bing\"}",
        "{\"Type\":\"CopilotActivity\",\"RecordId\":\"r3\",\"TimeGenerated\":\"2026-11-01T00:00:03Z\",\"AgentId\":\"C\",\"AppHost\":\"Teams\"}",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        ing_ingest_message(g, rows[i], strlen(rows[i]), "test");
    ing_flush(g);
    ing_free(g);
    return s;
}

/* Runs q and returns its rows as JSON lines in out (caller frees). */
static void run(sp_store *s, const char *q, sp_buf *out)
{
    kql_bind_env env = {.store = s};
    kplan *plan;
    sp_diag d = {0};
    if (kql_compile(q, strlen(q), &env, &plan, &d) != 0) {
        sp_diag_print(stderr, &d);
        fail_msg("compile: %s", d.msg);
    }
    krowset *rs;
    kexec_opts o = {.now = SP_UNIX_EPOCH_TICKS};
    if (kexec_run(plan, s, &o, &rs, &d) != 0) {
        sp_diag_print(stderr, &d);
        fail_msg("run: %s", d.msg);
    }
    const kp_schema *sc = krowset_schema(rs);
    for (uint32_t r = 0; r < krowset_rows(rs); r++) {
        for (int c = 0; c < sc->ncols; c++) {
            kval v;
            krowset_get(rs, r, c, &v);
            sp_buf_puts(out, c ? "," : "");
            kval_to_json(&v, out);
        }
        sp_buf_putc(out, '\n');
    }
    krowset_free(rs);
    kplan_free(plan);
}

static void test_unread_extend_of_a_skipped_column_is_not_computed(void **st)
{
    (void)st;
    sp_store *s = store_with_rows();
    sp_buf out = {0};
    run(s, "CopilotActivity | extend P = tolower(AgentId) | summarize n = count() by AppHost | order by AppHost asc",
        &out);
    assert_string_equal(sp_buf_cstr(&out), "\"Bing\",1\n\"Teams\",2\n");
    sp_buf_free(&out);
    sp_store_free(s);
}

static void test_union_branches_prune_their_own_columns(void **st)
{
    (void)st;
    sp_store *s = store_with_rows();
    sp_buf out = {0};
    run(s,
        "CopilotActivity | extend P = tolower(AgentId) | union (CopilotActivity | extend P = toupper(AppHost)) "
        "| summarize n = count() by RecordId | order by RecordId asc",
        &out);
    assert_string_equal(sp_buf_cstr(&out), "\"r1\",2\n\"r2\",2\n\"r3\",2\n");
    out.len = 0;
    run(s,
        "CopilotActivity | extend P = tolower(AgentId) | union (CopilotActivity | extend P = toupper(AppHost)) "
        "| summarize make_set(P) by RecordId | where RecordId == 'r2'",
        &out);
    assert_string_equal(sp_buf_cstr(&out), "\"r2\",[\"b\",\"BING\"]\n");
    sp_buf_free(&out);
    sp_store_free(s);
}

static void test_filter_after_prev_is_not_pushed_into_the_scan(void **st)
{
    (void)st;
    sp_store *s = store_with_rows();
    sp_buf out = {0};
    run(s, "CopilotActivity | sort by TimeGenerated asc | extend Prev = prev(RecordId) | where AppHost == 'Teams' "
           "| project RecordId, Prev",
        &out);
    assert_string_equal(sp_buf_cstr(&out), "\"r1\",\"\"\n\"r3\",\"r2\"\n");
    sp_buf_free(&out);
    sp_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unread_extend_of_a_skipped_column_is_not_computed),
        cmocka_unit_test(test_union_branches_prune_their_own_columns),
        cmocka_unit_test(test_filter_after_prev_is_not_pushed_into_the_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
