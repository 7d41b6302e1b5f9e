/* test_exec_idonly.c — a scan hands on a column's table-dictionary ids without its text
 * where the optimizer proved that its one reader is a summarize grouping or dcounting it
 * by id (kp.scan_idonly, kvec.ids_only), and summarize reads a group's key text from its
 * chunk only once all rows are numbered. The answers must be byte for byte those of scans
 * that read the text (kexec_opts.no_ids_only), whatever the table holds:
 *   - chunks of one column dictionary-encoded and plain under one table dictionary;
 *   - dictionaries retired every chunk or two (sp_store_config.tdict_max_entries), so one
 *     query meets several, and chunks whose column got no ids at all (values that never
 *     repeat, then do);
 *   - a column the first chunks predate (all null there), a guid column (with cells that
 *     hold none), and string cells that are empty, absent (unset) or a JSON null;
 *   - filters keeping one row in seventeen (the scan compacts the survivors) or most rows
 *     (it hands on a selection), and keys read again after the summarize (a `where`, an
 *     `extend`, a sort, a join, a subquery), which must see the text.
 * Results that pin chunks (kexec_opts.result_pins_chunks) borrow the chunks' text found
 * that late: they must print the same after the store is freed (under ASan any read of a
 * freed chunk fails the run). */
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
#include "support/gid_tables.h"
#include "support/plan_build.h"

/* ---- the optimizer's proof ---- */

static void idonly_of(const kp *n, char *out, size_t cap);

static void idonly_of_kx(const kx *e, char *out, size_t cap)
{
    if (!e)
        return;
    if (e->kind == KX_SUBQUERY)
        idonly_of(e->sub, out, cap);
    for (int i = 0; i < e->nargs; i++)
        idonly_of_kx(e->args[i], out, cap);
}

/* The columns every scan under n hands on as ids alone, "U,IP" (scans depth first,
 * columns in schema order). */
static void idonly_of(const kp *n, char *out, size_t cap)
{
    if (!n)
        return;
    for (int i = 0; n->kind == KP_SCAN && n->scan_idonly && i < n->out.ncols; i++)
        if (n->scan_idonly[i]) {
            assert_true(n->scan_gids && n->scan_gids[i]); /* a subset of the columns read by id */
            snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? "," : "", n->out.cols[i].name);
        }
    idonly_of_kx(n->scan_filter, out, cap);
    idonly_of_kx(n->pred, out, cap);
    idonly_of(n->in, out, cap);
    for (int i = 0; i < n->ninputs; i++)
        idonly_of(n->inputs[i], out, cap);
}

static void test_scans_hand_on_ids_alone_only_where_summarize_reads_nothing_else(void **state)
{
    gt_fixture *f = *state;
    static const struct {
        const char *query, *want;
    } want[] = {
        {"T | summarize count() by U", "U"},
        {"T | where N == 3 | summarize dcount(U) by IP", "U,IP"},
        /* K is read by id too (its filter's verdicts), but the filter reads it */
        {"T | where K == 'k1' | summarize dcount(U) by IP", "U,IP"},
        {"T | summarize dcount(U), c = count() by U", "U"},
        {"T | summarize d = dcount(U), e = dcountif(IP, N > 3), f = count_distinct(L) by K", "U,IP,K,L"},
        {"AzureDiagnostics | summarize count() by Tenant_g", "Tenant_g"},
        {"T | summarize dcountif(IP, U == 'a') by N", "IP"},
        {"T | summarize make_set(U) by IP", "IP"},
        {"T | distinct U", "U"},
        {"T | project X = U, IP | summarize count() by X", "U"},
        {"T | where N == 3 | extend Z = N * 2 | where Z > 1 | summarize count() by U", "U"},
        /* the scan's own filter reads it: the scan hands on what the filter loaded */
        {"T | where U startswith 'a' | summarize count() by U", "U"},
        /* readers after the summarize read its output, not the scan's column */
        {"T | summarize c = count() by U | where U != '' | extend L2 = strlen(U)", "U"},
        {"T | summarize c = count() by U | sort by c desc", "U"},
        /* the filter moves into the scan, whose filter may read the text */
        {"T | project X = U, IP | where X != '' | summarize count() by X", "U"},
        /* something else reads the text on the way (a filter with a subquery stays) */
        {"T | where U in ((T | take 1 | project U)) | summarize count() by U", ""},
        {"T | extend Y = strlen(U) | summarize count(), max(Y) by U", ""},
        /* a computed column nobody reads is not computed (pruning) */
        {"T | extend Y = strlen(U) | summarize count() by U", "U"},
        {"T | extend V = U | summarize count() by U", ""},
        {"T | summarize count(), take_any(U) by U", ""},
        {"T | summarize count() by U, IP", ""},
        {"T | summarize count() by U = strcat(U, '')", ""},
        {"T | sort by N | summarize count() by U", ""},
        {"T | take 100 | summarize count() by U", ""},
        {"union T, T | summarize count() by U", ""},
        {"let m = materialize(T | project U); m | summarize count() by U", ""},
        /* `*` stands for the columns other than the keys */
        {"T | summarize arg_max(N, *) by U", "U"},
        {"T | summarize arg_max(N, *) by K", "K"}, /* U among the columns arg_max reads */
        /* each summarize of a join or subquery has a scan of its own */
        {"T | summarize c = count() by U | join kind=inner (T | summarize d = dcount(IP) by U) on U", "U,U,IP"},
        {"T | where U in ((T | where N == 4 | summarize count() by U | project U)) | summarize count() by IP", "U,IP"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        kql_bind_env env = {.store = f->store};
        kplan *p = NULL;
        sp_diag d = {0};
        if (kql_compile(want[i].query, strlen(want[i].query), &env, &p, &d) != 0)
            fail_msg("%s: %s", want[i].query, d.msg);
        char got[256] = "";
        idonly_of(p->root, got, sizeof got);
        kplan_free(p);
        if (strcmp(got, want[i].want))
            fail_msg("%s: ids alone for [%s], want [%s]", want[i].query, got, want[i].want);
    }
}

/* ---- answers ---- */

typedef enum { TEXT, IDS, EITHER } idway;

typedef struct idcase {
    const char *query;
    idway way; /* some scan hands on ids alone (IDS), none does (TEXT), or it depends on
                * what the scan's filter loaded (EITHER) */
} idcase;

static const idcase cases[] = {
    /* the benchmark's shapes: a sparse filter (the scan compacts) and a dense one */
    {"T | where N == 3 | summarize c = count() by U", IDS},
    {"T | where N != 3 | summarize c = count() by U", IDS},
    {"T | summarize c = count() by U", IDS},
    {"T | where N == 3 | summarize d = dcount(U) by IP", IDS},
    {"T | where N < 9 | summarize d = dcount(U) by IP", IDS},
    {"T | where N == 3 | summarize d = dcount(IP), e = dcountif(U, N > 1), f = count_distinct(U) by K", IDS},
    {"T | where N == 3 | summarize d = dcount(U), c = count() by U", IDS},
    {"T | where N == 5 | distinct U", IDS},
    {"T | where N == 3 | project X = U, N | summarize c = count() by X", IDS},
    /* the filter loads U's text, or only its ids once its verdicts are cached */
    {"T | where U startswith 'a' and N == 3 | summarize c = count() by U", EITHER},
    /* a guid column; a column the first chunks predate (dcount's first batches lack ids) */
    {"AzureDiagnostics | where DurationMs == 3 | summarize c = count() by Tenant_g", IDS},
    /* 41 guids a chunk: dictionary-encoded, whose slices stay encoded (ids of the entries) */
    {"AzureDiagnostics | where DurationMs != 3 | summarize c = count() by Tenant_g", TEXT},
    {"AzureDiagnostics | where DurationMs == 3 | summarize d = dcount(Tenant_g) by clientIp_s", IDS},
    {"AzureDiagnostics | where DurationMs == 5 | summarize d = dcount(Tenant_g), c = count() by Tenant_g", IDS},
    {"T | where N == 3 | summarize c = count() by L", IDS},
    {"T | where N == 3 | summarize d = dcount(L) by IP", IDS},
    {"T | where N != 3 | summarize d = dcount(L), e = dcount(U) by K", IDS},
    /* keys read again after the summarize */
    {"T | where N == 3 | summarize c = count() by U | where U != '' | extend L2 = strlen(U), P = strcat(U, '!')", IDS},
    {"T | where N == 3 | summarize c = count() by U | sort by c desc, U asc", IDS},
    {"T | where N == 3 | summarize c = count() by U | where U startswith 'a' or U == ''", IDS},
    {"T | where N == 3 | summarize c = count() by U | join kind=inner (T | where N == 4 | summarize d = dcount(IP) by U) "
     "on U",
     IDS},
    {"T | where N == 3 and U in ((T | where N == 4 | summarize count() by U | project U)) | summarize c = count() by IP",
     IDS},
    {"union (T | where N == 3 | summarize c = count() by U), (AzureDiagnostics | where DurationMs == 4 | summarize c = "
     "count() by U = Tenant_g)",
     IDS},
    {"T | where N == 3 | summarize arg_max(IP, *) by U", IDS},
    /* the text is read on the way: no ids alone */
    {"T | where N == 3 | extend Y = strlen(U) | summarize c = count(), m = max(Y) by U", TEXT},
    {"T | where N == 3 | summarize c = count() by U, IP", TEXT},
};

static char *run(sp_store *s, const char *q, bool no_ids_only, kexec_counters *cnt)
{
    kexec_opts o = {.no_ids_only = no_ids_only, .counters = cnt};
    char *out = tb_kql(s, q, &o);
    if (!strncmp(out, "error: ", 7))
        fail_msg("%s in %.200s", out, q);
    return out;
}

static void same_answers_with_and_without_text(gt_fixture *f)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kexec_counters with = {0}, without = {0};
        char *a = run(f->store, cases[i].query, false, &with), *b = run(f->store, cases[i].query, true, &without);
        if (strcmp(a, b))
            fail_msg("case %zu differs:\n%s\ngot  %.400s\nwant %.400s", i, cases[i].query, a, b);
        assert_true(tb_count(a, "\n") > 0);
        if (cases[i].way != EITHER && (cases[i].way == IDS) != (with.cells_ids_only > 0))
            fail_msg("%s: %llu cells handed on as ids alone", cases[i].query, (unsigned long long)with.cells_ids_only);
        assert_int_equal(without.cells_ids_only, 0);
        free(a);
        free(b);
    }
}

static void test_answers_match_text_reading_scans(void **state)
{
    same_answers_with_and_without_text(*state);
}

/* The groups' texts (from the dictionary) and counts, pinned from the rows themselves. */
static void test_empty_unset_and_null_strings_group_with_the_empty_text(void **state)
{
    gt_fixture *f = *state;
    int empty = 0, a3 = 0, upper_a3 = 0;
    char u[48], ip[48], k[48], g[48], l[48];
    for (int i = 0; i < f->rows; i++) {
        gt_row(f->shape, i, u, ip, k, g, l);
        if (i % 17 != 3)
            continue;
        empty += !u[0]; /* empty, absent or a JSON null */
        a3 += !strcmp(u, "a3");
        upper_a3 += !strcmp(u, "A3");
    }
    assert_true(empty > 0);
    char want[128];
    snprintf(want, sizeof want, "{\"U\":\"\",\"c\":%d}\n", empty);
    char *got = run(f->store, "T | where N == 3 | summarize c = count() by U | where U == ''", false, NULL);
    assert_string_equal(got, want);
    free(got);
    if (f->shape == GT_GIVEN_UP)
        return;
    assert_true(a3 > 0 && upper_a3 > 0);
    snprintf(want, sizeof want, "{\"U\":\"A3\",\"c\":%d}\n{\"U\":\"a3\",\"c\":%d}\n", upper_a3, a3);
    got = run(f->store, "T | where N == 3 | summarize c = count() by U | where U in ('a3', 'A3') | sort by U asc",
              false, NULL);
    assert_string_equal(got, want);
    free(got);
}

/* ---- pinned results ---- */

static void test_pinned_results_print_key_text_read_late_after_the_store_is_freed(void **state)
{
    gt_fixture *f = *state;
    static const char *queries[] = {
        "T | where N == 3 | summarize c = count() by U",
        "T | where N != 3 | summarize d = dcount(U) by IP",
        "AzureDiagnostics | where DurationMs == 3 | summarize c = count() by Tenant_g",
        "T | where N == 3 | summarize d = dcount(U) by L",
    };
    enum { NQ = sizeof queries / sizeof queries[0] };
    krowset *pinned[NQ];
    char *want[NQ];
    for (int i = 0; i < NQ; i++) {
        krowset *copied = tb_kql_rows(f->store, queries[i], NULL);
        want[i] = tb_json(copied);
        krowset_free(copied);
        pinned[i] = tb_kql_rows(f->store, queries[i], &(kexec_opts){.result_pins_chunks = true});
        assert_true(krowset_rows(pinned[i]) > 0);
    }
    sp_store_free(f->store); /* only the results hold chunks */
    f->store = NULL;
    for (int i = 0; i < NQ; i++) {
        char *got = tb_json(pinned[i]);
        if (strcmp(want[i], got))
            fail_msg("%s:\ngot  %.300s\nwant %.300s", queries[i], got, want[i]);
        free(got);
        free(want[i]);
        krowset_free(pinned[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scans_hand_on_ids_alone_only_where_summarize_reads_nothing_else,
                                        gt_setup_mixed, gt_teardown),
        cmocka_unit_test_setup_teardown(test_answers_match_text_reading_scans, gt_setup_mixed, gt_teardown),
        cmocka_unit_test_setup_teardown(test_answers_match_text_reading_scans, gt_setup_retired, gt_teardown),
        cmocka_unit_test_setup_teardown(test_answers_match_text_reading_scans, gt_setup_given_up, gt_teardown),
        cmocka_unit_test_setup_teardown(test_empty_unset_and_null_strings_group_with_the_empty_text, gt_setup_mixed,
                                        gt_teardown),
        cmocka_unit_test_setup_teardown(test_empty_unset_and_null_strings_group_with_the_empty_text, gt_setup_retired,
                                        gt_teardown),
        cmocka_unit_test_setup_teardown(test_empty_unset_and_null_strings_group_with_the_empty_text, gt_setup_given_up,
                                        gt_teardown),
        cmocka_unit_test_setup_teardown(test_pinned_results_print_key_text_read_late_after_the_store_is_freed,
                                        gt_setup_mixed, gt_teardown),
        cmocka_unit_test_setup_teardown(test_pinned_results_print_key_text_read_late_after_the_store_is_freed,
                                        gt_setup_retired, gt_teardown),
        cmocka_unit_test_setup_teardown(test_pinned_results_print_key_text_read_late_after_the_store_is_freed,
                                        gt_setup_given_up, gt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
