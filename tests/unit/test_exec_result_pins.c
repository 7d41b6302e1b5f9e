/* test_exec_result_pins.c — a result run with kexec_opts.result_pins_chunks references
 * the text of store chunks instead of copying it, and holds those chunks: it reads the
 * same after the store has let go of every chunk (freed here; under ASan any read of a
 * released chunk fails the run), and prints what a copying run prints. Text that does not
 * live in chunks (computed, or copied by an operator) is still copied. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec_int.h" /* krowset's pins */
#include "engine/kql/kql.h"
#include "support/plan_build.h"

#define CHUNK 400

/* budget: the store's memory budget (0 = none); only sp_store_enforce_retention applies it */
static sp_store *make_store(size_t budget)
{
    sp_store_config cfg = {.chunk_rows = CHUNK, .no_dedup = true, .memory_budget = budget};
    sp_store *s = sp_store_new(&cfg);
    sp_builder *b = sp_builder_new(sp_store_table(s, "T"));
    int cu = sp_builder_column(b, "U", 1, SP_TYPE_STRING), cn = sp_builder_column(b, "N", 1, SP_TYPE_LONG);
    char u[48];
    for (int i = 0; i < 5 * CHUNK; i++) {
        /* chunks alternate between many distinct texts (plain) and few (dictionary) */
        if ((i / CHUNK) % 2)
            snprintf(u, sizeof u, "user-%d@example.com", i);
        else
            snprintf(u, sizeof u, "svc-%d@example.com", i % 7);
        sp_builder_begin_row(b);
        sp_builder_set_string(b, cu, u, strlen(u));
        sp_builder_set_long(b, cn, i % 11);
        assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_STORED);
    }
    sp_builder_free(b);
    return s;
}

static krowset *run(sp_store *s, const char *q, bool pins)
{
    kexec_opts o = {.result_pins_chunks = pins};
    return tb_kql_rows(s, q, &o);
}

/* A copying run holds no chunk. */
static bool copied_pins_checked(sp_store *s, const char *q)
{
    krowset *rs = run(s, q, false);
    bool any = rs->npins > 0;
    krowset_free(rs);
    return any;
}

static const char *queries[] = {
    "T | summarize c = count() by U",            /* keys borrowed by summarize */
    "T | where N < 3 | project U, N",            /* scanned text straight through */
    "T | where N == 4 | extend V = strcat(U, '!') | project V, U", /* computed text: copied */
    "T | summarize c = count() by U | sort by c desc, U asc",      /* sort copies its rows */
};

static void test_pinned_result_outlives_the_store_and_matches_a_copying_run(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        sp_store *s = make_store(0);
        krowset *copied = run(s, queries[i], false), *pinned = run(s, queries[i], true);
        char *want = tb_json(copied);
        krowset_free(copied);
        assert_true(krowset_rows(pinned) > 0);
        assert_true(pinned->npins > 0 && !copied_pins_checked(s, queries[i]));
        sp_store_free(s); /* only the result holds chunks now */
        char *got = tb_json(pinned);
        if (strcmp(want, got))
            fail_msg("%s:\ngot  %.300s\nwant %.300s", queries[i], got, want);
        krowset_free(pinned);
        free(want);
        free(got);
    }
}

/* The store's retention drops chunks while a pinned result is alive: the result keeps
 * its chunks, and the table's statistics say they are gone from the store. */
static void test_retention_does_not_pull_chunks_from_under_a_result(void **state)
{
    (void)state;
    sp_store *s = make_store(1); /* every chunk is over it */
    krowset *pinned = run(s, "T | summarize c = count() by U", true);
    char *before = tb_json(pinned);
    sp_table_stats st;
    sp_store_enforce_retention(s, 0);
    sp_table_stats_get(sp_store_find(s, "T"), &st);
    assert_int_equal(st.chunks, 0);
    char *after = tb_json(pinned);
    assert_string_equal(before, after);
    krowset_free(pinned);
    sp_store_free(s);
    free(before);
    free(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pinned_result_outlives_the_store_and_matches_a_copying_run),
        cmocka_unit_test(test_retention_does_not_pull_chunks_from_under_a_result),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
