/* test_exec_postings.c — a selective filter on a dictionary-encoded column takes its rows
 * off the column's row lists (postings.c) once a chunk is read again, and finds exactly
 * the rows comparing the codes finds.
 *
 * Chunks of 5,000 rows: three batches each (2,048, 2,048 and 904 rows), so a batch's
 * first row is not the chunk's and the last batch ends inside a 64-row word. Column A has
 * 12 values (one-byte codes), C 600 per chunk (four-byte codes), B is nearly distinct
 * (plain). Each query is compiled once and its plan run three times: the first execution
 * reads the codes and leaves the lists unbuilt; the second builds them and uses them; the
 * third uses them. Plans compiled afresh for each run (as a per-event rule reads each
 * chunk once) never build them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec.h"
#include "engine/exec/exec_int.h"
#include "support/plan_build.h"

#define ROWS 15000
#define CHUNK 5000

static int setup(void **state)
{
    sp_store_config cfg = {.chunk_rows = CHUNK};
    sp_store *s = sp_store_new(&cfg);
    sp_table *t = sp_store_table(s, "T");
    sp_builder *b = sp_builder_new(t);
    int ca = sp_builder_column(b, "A", 1, SP_TYPE_STRING), cb = sp_builder_column(b, "B", 1, SP_TYPE_STRING);
    int cc = sp_builder_column(b, "C", 1, SP_TYPE_STRING);
    char a[32], bb[32], c[32];
    for (int i = 0; i < ROWS; i++) {
        sprintf(a, "a%d", (i * 7) % 12);
        sprintf(bb, "b%d", (int)(((long)i * 7919) % 10007));
        sprintf(c, "c%d", (i * 13) % 600);
        sp_builder_begin_row(b);
        sp_builder_set_string(b, ca, a, strlen(a));
        sp_builder_set_string(b, cb, bb, strlen(bb));
        sp_builder_set_string(b, cc, c, strlen(c));
        sp_builder_end_row(b, NULL);
    }
    sp_builder_free(b);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    sp_store_free(*state);
    return 0;
}

/* Runs plan p; returns its JSON and adds the rows filters took off row lists to *posted. */
static char *run_plan(sp_store *s, kplan *p, uint64_t *posted)
{
    kexec_counters c = {0};
    kexec_opts o = {.counters = &c};
    char *out = tb_run_opts(p, s, &o);
    if (!strncmp(out, "error: ", 7))
        fail_msg("%s", out);
    *posted += c.rows_posted;
    return out;
}

/* Compiles q afresh and runs it once. */
static char *run(sp_store *s, const char *q, uint64_t *posted)
{
    kplan *p = tb_kql_compile(s, q);
    char *out = run_plan(s, p, posted);
    kplan_free(p);
    return out;
}

static uint64_t cache_bytes(sp_store *s)
{
    sp_table_stats st;
    sp_table_stats_get(sp_store_find(s, "T"), &st);
    return st.cache_bytes;
}

/* q's plan three times: the same answer each time; returns the rows the later runs
 * posted. */
static uint64_t same_three_times(sp_store *s, const char *q, uint64_t *first_posted)
{
    uint64_t p0 = 0, later = 0;
    kplan *p = tb_kql_compile(s, q);
    char *first = run_plan(s, p, &p0);
    for (int k = 0; k < 2; k++) {
        char *again = run_plan(s, p, &later);
        assert_string_equal(again, first);
        free(again);
    }
    free(first);
    kplan_free(p);
    *first_posted = p0;
    return later;
}

static void test_selective_filters_read_row_lists_on_later_runs_with_the_same_rows(void **state)
{
    (void)state;
    static const char *const queries[] = {
        "T | where A == \"a3\" | project B",                              /* one entry of 12 */
        "T | where A !in (\"a0\", \"a1\", \"a2\", \"a4\", \"a5\", \"a6\", \"a7\", \"a8\", \"a9\", \"a10\", "
        "\"a11\") | project B",                                           /* all but one dropped */
        "T | where C == \"c17\" | project A, B",                          /* four-byte codes */
        "T | where C in (\"c1\", \"c2\", \"c599\", \"nowhere\") | summarize count() by A",
        "T | where A == \"a5\" and B contains \"9\" | project B, C",      /* a second conjunct */
        "T | where A == \"a3\" | summarize count() by B | count",
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        sp_store *s = NULL; /* a store of its own: no lists built by an earlier query */
        setup((void **)&s);
        uint64_t first;
        uint64_t later = same_three_times(s, queries[i], &first);
        teardown((void **)&s);
        if (first != 0)
            fail_msg("first run posted %llu rows: %s", (unsigned long long)first, queries[i]);
        /* Each run reads the codes of its first batch (nothing says yet that the filter
         * keeps few rows); every other batch of both later runs reads the lists. */
        if (later < 2 * (ROWS - 2048))
            fail_msg("later runs posted %llu rows: %s", (unsigned long long)later, queries[i]);
    }
}

static void test_row_lists_find_the_rows_computed_here(void **state)
{
    sp_store *s = *state;
    int a3 = 0, a5_with_9 = 0;
    for (int i = 0; i < ROWS; i++) {
        char bb[32];
        sprintf(bb, "b%d", (int)(((long)i * 7919) % 10007));
        a3 += (i * 7) % 12 == 3;
        a5_with_9 += (i * 7) % 12 == 5 && strchr(bb, '9');
    }
    char want[64];
    kplan *one = tb_kql_compile(s, "T | where A == \"a3\" | count");
    kplan *two = tb_kql_compile(s, "T | where A == \"a5\" and B contains \"9\" | count");
    for (int k = 0; k < 3; k++) {
        uint64_t posted = 0;
        char *got = run_plan(s, one, &posted);
        snprintf(want, sizeof want, "{\"Count\":%d}\n", a3);
        assert_string_equal(got, want);
        free(got);
        got = run_plan(s, two, &posted);
        snprintf(want, sizeof want, "{\"Count\":%d}\n", a5_with_9);
        assert_string_equal(got, want);
        free(got);
        if (k == 2)
            assert_true(posted > 0);
    }
    kplan_free(one);
    kplan_free(two);
}

static void test_filters_keeping_many_rows_compare_codes(void **state)
{
    sp_store *s = *state;
    uint64_t first;
    /* 11 entries of 12, and 6 of 12: more than one row in eight. */
    assert_int_equal(same_three_times(s, "T | where A != \"a3\" | count", &first), 0);
    assert_int_equal(same_three_times(s, "T | where A in (\"a1\", \"a2\", \"a3\", \"a4\", \"a5\", \"a6\") | count",
                                      &first),
                     0);
}

static void test_plans_reading_each_chunk_once_build_no_row_lists(void **state)
{
    (void)state;
    sp_store *s = NULL;
    setup((void **)&s);
    uint64_t before = cache_bytes(s), posted = 0;
    for (int k = 0; k < 3; k++) /* three rules, or one per-event rule compiled three times */
        free(run(s, "T | where A == \"a3\" | count", &posted));
    assert_int_equal(posted, 0);
    uint64_t marks = cache_bytes(s);
    assert_true(marks < before + 256u * (ROWS / CHUNK)); /* a mark per chunk asked: who asked first */
    /* A plan run twice builds lists of two bytes a row, counted in the table's memory. */
    kplan *p = tb_kql_compile(s, "T | where A == \"a3\" | count");
    free(run_plan(s, p, &posted));
    free(run_plan(s, p, &posted));
    kplan_free(p);
    assert_true(posted > 0);
    assert_true(cache_bytes(s) >= marks + 2u * (ROWS - 2048));
    teardown((void **)&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selective_filters_read_row_lists_on_later_runs_with_the_same_rows),
        cmocka_unit_test(test_row_lists_find_the_rows_computed_here),
        cmocka_unit_test(test_filters_keeping_many_rows_compare_codes),
        cmocka_unit_test(test_plans_reading_each_chunk_once_build_no_row_lists),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
