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
    /* The comparison covers real content: 37 of the 94 columns carry a value. */
    assert_int_equal(nonempty, 37);
    /* Neither form left anything over. */
    assert_int_equal(run_table(&a, "SigninLogs").extra_fields, 0);
    assert_int_equal(run_table(&b, "SigninLogs").extra_fields, 0);
    run_end(&a);
    run_end(&b);
    free(eh);
    free(all);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eventhubs_and_log_analytics_forms_give_identical_rows),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
