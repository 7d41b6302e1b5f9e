/* test_ingest_identity.c — one sign-in, two wire forms, one row.
 *
 * The first record of the Event Hubs sample (diagnostic-settings form) and its Log
 * Analytics form, written by hand in tests/data/signinlogs-la-form.ndjson after
 * Microsoft's documented SigninLogs mapping, must produce byte-identical rows: every column
 * of the table, same type, same null-ness, same bytes. Rules written against Log Analytics
 * then see the same data whichever way the events arrive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gen/gen.h"
#include "tests/unit/support/ingest_helpers.h"
#include "tests/unit/support/store_cells.h"

static int teardown(void **st)
{
    (void)st;
    tmp_cleanup();
    return 0;
}

static void ingest_path(ingest_run *r, const char *path)
{
    sp_diag d = {0};
    if (ing_ingest_file(r->g, path, &d) != 0) {
        sp_diag_print(stderr, &d);
        fail_msg("cannot read %s", path);
    }
}

static void test_eventhubs_and_log_analytics_forms_give_identical_rows(void **st)
{
    (void)st;
    /* Event Hubs form: the first line of the sample only. */
    char *p = sample_path("eventhubs-signinlogs-raw.ndjson");
    char *all = slurp(p, NULL);
    assert_non_null(all);
    char *nl = strchr(all, '\n');
    assert_non_null(nl);
    char *eh = tmp_write(all, (size_t)(nl - all) + 1);

    ingest_run a, b;
    run_start(&a, NULL, false);
    run_start(&b, NULL, false);
    ingest_path(&a, eh);
    ingest_path(&b, "tests/data/signinlogs-la-form.ndjson");
    ing_stats sa, sb;
    run_stats(&a, &sa);
    run_stats(&b, &sb);
    assert_int_equal(sa.rows, 1);
    assert_int_equal(sb.rows, 1);
    assert_int_equal(sa.rejected + sb.rejected, 0);
    assert_int_equal(table_rows(a.store, "SigninLogs"), 1);
    assert_int_equal(table_rows(b.store, "SigninLogs"), 1);

    sp_table *ta = sp_store_find(a.store, "SigninLogs"), *tb = sp_store_find(b.store, "SigninLogs");
    const sp_schema *sca = sp_table_schema(ta), *scb = sp_table_schema(tb);
    assert_int_equal(sca->ncols, scb->ncols);
    int nonempty = 0;
    for (int c = 0; c < sca->ncols; c++) {
        assert_string_equal(sca->cols[c].name, scb->cols[c].name);
        assert_int_equal(sca->cols[c].type, scb->cols[c].type);
        char *x = cell_text(a.store, "SigninLogs", 0, sca->cols[c].name);
        char *y = cell_text(b.store, "SigninLogs", 0, sca->cols[c].name);
        if (strcmp(x, y) != 0)
            fail_msg("column %s: Event Hubs form '%s' != Log Analytics form '%s'", sca->cols[c].name, x, y);
        if (strcmp(x, "<null>") && *x)
            nonempty++;
        free(x);
        free(y);
    }
    /* The comparison covers real content: 40 of the 94 columns carry a value. */
    assert_int_equal(nonempty, 40);
    /* Neither form left anything over. */
    assert_int_equal(run_table(&a, "SigninLogs").extra_fields, 0);
    assert_int_equal(run_table(&b, "SigninLogs").extra_fields, 0);
    run_end(&a);
    run_end(&b);
    free(eh);
    free(all);
    free(p);
}

/* n generated events of table in one envelope, ingested as messages. */
static void ingest_generated(ingest_run *r, const char *table, gen_envelope env, int n)
{
    gen_options o = {.table = table, .seed = 42, .envelope = env, .events = (uint64_t)n};
    gen *g;
    sp_diag d = {0};
    assert_int_equal(gen_new(&o, &g, &d), 0);
    sp_buf b = {0};
    for (int i = 0; i < n; i++) {
        b.len = 0;
        gen_next(g, &b, NULL);
        ing_ingest_message(r->g, b.data, b.len, "gen");
    }
    sp_buf_free(&b);
    gen_free(g);
}

/* Generated sign-ins of all four tables, same seed, both forms: every cell equal except
 * what only a workspace knows (TenantId) and what Log Analytics drops because the table
 * has no column for it (resourceId outside SigninLogs, kept in AdditionalFields). */
static void test_generated_signins_are_identical_in_both_forms(void **st)
{
    (void)st;
    const char *tables[] = {"SigninLogs", "AADNonInteractiveUserSignInLogs", "AADServicePrincipalSignInLogs",
                            "AADManagedIdentitySignInLogs"};
    for (size_t t = 0; t < SP_ARRAY_LEN(tables); t++) {
        const char *tn = tables[t];
        ingest_run la, eh;
        run_start(&la, NULL, false);
        run_start(&eh, NULL, false);
        ingest_generated(&la, tn, GEN_ENV_LOGANALYTICS, 400);
        ingest_generated(&eh, tn, GEN_ENV_EVENTHUBS, 400);
        ing_stats sl, se;
        run_stats(&la, &sl);
        run_stats(&eh, &se);
        assert_int_equal(sl.rows, 400);
        assert_int_equal(se.rows, 400);
        assert_int_equal(sl.rejected + se.rejected, 0);
        const sp_schema *sc = sp_table_schema(sp_store_find(la.store, tn));
        bool is_signinlogs = t == 0;
        int tenant_diffs = 0, resource_diffs = 0;
        for (uint64_t row = 0; row < 400; row++)
            for (int c = 0; c < sc->ncols; c++) {
                const char *col = sc->cols[c].name;
                char *x = cell_text(la.store, tn, row, col);
                char *y = cell_text(eh.store, tn, row, col);
                if (strcmp(x, y) != 0) {
                    if (!is_signinlogs && !strcmp(col, "TenantId") && *x && !*y) {
                        tenant_diffs++;
                    } else if (!is_signinlogs && !strcmp(col, SP_ADDITIONAL_FIELDS) && !strcmp(x, "<null>")) {
                        char *aad = cell_text(eh.store, tn, row, "AADTenantId");
                        sp_buf want = {0};
                        sp_buf_printf(&want, "{\"resourceId\":\"/tenants/%s/providers/Microsoft.aadiam\"}", aad);
                        assert_string_equal(y, sp_buf_cstr(&want));
                        sp_buf_free(&want);
                        free(aad);
                        resource_diffs++;
                    } else {
                        fail_msg("%s row %llu column %s: Log Analytics '%s' != Event Hubs '%s'", tn,
                                 (unsigned long long)row, col, x, y);
                    }
                }
                free(x);
                free(y);
            }
        assert_int_equal(tenant_diffs, is_signinlogs ? 0 : 400);
        assert_int_equal(resource_diffs, is_signinlogs ? 0 : 400);
        run_end(&la);
        run_end(&eh);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eventhubs_and_log_analytics_forms_give_identical_rows),
        cmocka_unit_test(test_generated_signins_are_identical_in_both_forms),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
