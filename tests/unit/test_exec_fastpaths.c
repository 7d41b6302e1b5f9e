/* test_exec_fastpaths.c — the executor's fast paths give the answers of its general
 * paths. The same rows are queried twice: from the store (chunks of 700 rows, so the
 * low-cardinality columns are dictionary-encoded, the high-cardinality ones plain, one
 * column has large dictionaries, and filters keep none, few, some or all rows of a batch)
 * and from a `datatable` literal (plain vectors, no dictionary, no late materialisation,
 * no compaction). Every query must print the same JSON, row order included. The
 * per-event path (one chunk at a time) must find exactly the rows of the full scan. */
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
#include "engine/kql/kql.h"
#include "support/plan_build.h"

#define ROWS 4200
#define CHUNK 700

typedef struct fixture {
    sp_store *store;
    sp_buf dt; /* the same rows as a datatable expression */
} fixture;

/* Row i's values; empty text for a null long / dynamic. */
static void row_values(int i, char *a, char *b, char *c, char *n, char *d)
{
    sprintf(a, "a%d", (i * 7) % 12);                   /* 12 values: dictionary */
    sprintf(b, "b%d", (int)(((long)i * 7919) % 5003)); /* nearly distinct: plain */
    sprintf(c, "c%d-category", (i * 13) % 300);        /* 300 per chunk: large dictionary */
    if (i % 9 == 4)
        n[0] = 0;
    else
        sprintf(n, "%d", (i * 31) % 97 - 20);
    if (i % 5 == 1)
        d[0] = 0;
    else
        sprintf(d, "{\"k%d\":%d}", i % 6, i % 4);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    sp_store_config cfg = {.chunk_rows = CHUNK};
    f->store = sp_store_new(&cfg);
    sp_table *t = sp_store_table(f->store, "T");
    sp_builder *b = sp_builder_new(t);
    int ca = sp_builder_column(b, "A", 1, SP_TYPE_STRING), cb = sp_builder_column(b, "B", 1, SP_TYPE_STRING);
    int cc = sp_builder_column(b, "C", 1, SP_TYPE_STRING), cn = sp_builder_column(b, "N", 1, SP_TYPE_LONG);
    int cd = sp_builder_column(b, "D", 1, SP_TYPE_DYNAMIC);
    sp_buf_puts(&f->dt, "datatable(A:string, B:string, C:string, N:long, D:dynamic)[");
    char a[32], bb[32], c[32], n[32], d[64];
    for (int i = 0; i < ROWS; i++) {
        row_values(i, a, bb, c, n, d);
        sp_builder_begin_row(b);
        sp_builder_set_string(b, ca, a, strlen(a));
        sp_builder_set_string(b, cb, bb, strlen(bb));
        sp_builder_set_string(b, cc, c, strlen(c));
        if (n[0])
            sp_builder_set_long(b, cn, strtoll(n, NULL, 10));
        if (d[0])
            sp_builder_set_json(b, cd, d, strlen(d));
        sp_builder_end_row(b, NULL);
        sp_buf_printf(&f->dt, "%s\"%s\", \"%s\", \"%s\", %s, dynamic(%s)", i ? ", " : "", a, bb, c,
                      n[0] ? n : "long(null)", d[0] ? d : "null");
    }
    sp_buf_puts(&f->dt, "]");
    sp_builder_free(b);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sp_store_free(f->store);
    sp_buf_free(&f->dt);
    free(f);
    return 0;
}

static char *run(fixture *f, const char *text, const kexec_opts *opts)
{
    char *out = tb_kql(f->store, text, opts);
    if (!strncmp(out, "error: ", 7))
        fail_msg("%s in %.200s", out, text);
    return out;
}

/* Fails showing where two long texts first differ (cmocka prints at most 4 KiB). */
static void expect_same_text(const char *got, const char *want, const char *what)
{
    size_t i = 0;
    while (got[i] && got[i] == want[i])
        i++;
    if (got[i] || want[i]) {
        size_t from = i > 120 ? i - 120 : 0;
        fail_msg("%s: differ at byte %zu (lengths %zu, %zu):\ngot:  %.240s\nwant: %.240s", what, i, strlen(got), strlen(want), got + from, want + from);
    }
}

/* The query tail over the store's T and over the datatable: same JSON. Returns the rows. */
static int same_answer(fixture *f, const char *tail)
{
    char q[1024];
    snprintf(q, sizeof q, "T %s", tail);
    char *from_store = run(f, q, NULL);
    sp_buf dq = {0};
    sp_buf_printf(&dq, "%s %s", sp_buf_cstr(&f->dt), tail);
    char *from_values = run(f, sp_buf_cstr(&dq), NULL);
    expect_same_text(from_store, from_values, tail);
    int rows = tb_count(from_store, "\n");
    free(from_store);
    free(from_values);
    sp_buf_free(&dq);
    return rows;
}

static void test_fixture_has_dictionary_plain_and_large_dictionary_columns(void **state)
{
    fixture *f = *state;
    sp_table *t = sp_store_find(f->store, "T");
    sp_snapshot *s = sp_table_snapshot(t);
    assert_int_equal(s->nchunks, ROWS / CHUNK);
    const sp_schema *sc = s->schema;
    sp_colview a, b, c;
    sp_chunk_col(s->chunks[0], sp_schema_find(sc, "A", 1), &a);
    sp_chunk_col(s->chunks[0], sp_schema_find(sc, "B", 1), &b);
    sp_chunk_col(s->chunks[0], sp_schema_find(sc, "C", 1), &c);
    assert_int_equal(a.enc, SP_ENC_DICT);
    assert_int_equal(b.enc, SP_ENC_PLAIN);
    assert_int_equal(c.enc, SP_ENC_DICT);
    assert_true(c.nentries >= 256);
    sp_snapshot_free(s);
}

static void test_group_by_dictionary_key_matches_plain_vectors(void **state)
{
    fixture *f = *state;
    assert_int_equal(same_answer(f, "| where A != \"a0\" | summarize count() by A"), 11);
    assert_int_equal(same_answer(f, "| summarize count() by C"), 300);
    same_answer(f, "| where C != \"c5-category\" | summarize count(), sum(N) by C");
}

/* count() alone by a dictionary key is counted per entry (count_by_entry): groups come
 * out in the order of their first rows, which a filter makes differ from the chunk
 * dictionary's entry order; one- and four-byte codes, no aggregate, two counts. */
static void test_counts_by_dictionary_key_keep_first_seen_order(void **state)
{
    fixture *f = *state;
    assert_int_equal(same_answer(f, "| where B contains \"3\" | summarize count() by A"), 12);
    assert_int_equal(same_answer(f, "| where N > 5 | summarize by A"), 12);
    assert_int_equal(same_answer(f, "| summarize count(), c2 = count() by A"), 12);
    assert_int_equal(same_answer(f, "| where B contains \"7\" | summarize count() by C"), 300);
    same_answer(f, "| where A != \"a4\" | summarize count() by C | take 20");
}

static void test_group_by_plain_key_matches_plain_vectors(void **state)
{
    fixture *f = *state;
    assert_true(same_answer(f, "| where A != \"a0\" | summarize count() by B") > 1000);
    same_answer(f, "| where B startswith \"b1\" | summarize count(), max(N) by B");
}

static void test_dcount_pairs_match_per_group_sets(void **state)
{
    fixture *f = *state;
    assert_int_equal(same_answer(f, "| summarize dcount(B), dcount(C), dcountif(B, N > 50), count_distinct(A) by A"), 12);
    same_answer(f, "| summarize dcount(A), dcount(D), dcount(N) by C");
    same_answer(f, "| where A in (\"a1\", \"a2\") | summarize dcount(B) by A, C");
    same_answer(f, "| summarize dcount(C)");
}

static void test_selections_of_none_some_all_rows(void **state)
{
    fixture *f = *state;
    assert_int_equal(same_answer(f, "| where A == \"nope\" | summarize count() by A"), 0);
    assert_int_equal(same_answer(f, "| where A == \"nope\" | count"), 1);
    assert_int_equal(same_answer(f, "| where A != \"nope\" | summarize count() by A"), 12);
    same_answer(f, "| where A in (\"a1\", \"a2\") and C contains \"7\" | count");
    same_answer(f, "| where C == \"c17-category\" | project A, B, C, N, D");          /* sparse: compacted */
    same_answer(f, "| where A != \"a3\" | project A, B, C, N, D | take 3000"); /* dense */
    same_answer(f, "| where B contains \"99\" and A has \"a1\" | project C, N, D");
}

/* Filters on a one-byte-code dictionary column that keep or drop a short list of entries
 * compare sixteen codes at once: ==, !=, in, !in (short and long lists), a value no chunk
 * holds, and a filter keeping every entry; 700-row chunks leave a tail of 12 rows. */
static void test_short_code_lists_select_the_rows_of_plain_vectors(void **state)
{
    fixture *f = *state;
    static const char *const tails[] = {
        "| where A == \"a3\" | project B",
        "| where A != \"a3\" | project B",
        "| where A in (\"a1\", \"a5\", \"a11\") | project B",
        "| where A !in (\"a1\", \"a5\", \"a11\", \"a0\") | project B",
        "| where A in (\"a1\", \"a2\", \"a3\", \"a4\", \"a5\", \"a6\") | project B",
        "| where A == \"nowhere\" | count",
        "| where A != \"nowhere\" | count",
        "| where A != \"a3\" | summarize count() by B | count",
    };
    int rows[8];
    for (int i = 0; i < 8; i++)
        rows[i] = same_answer(f, tails[i]);
    assert_int_equal(rows[0], ROWS / 12);
    assert_int_equal(rows[1], ROWS - ROWS / 12);
    assert_int_equal(rows[2], 3 * ROWS / 12);
}

static void test_numeric_comparisons_with_nulls(void **state)
{
    fixture *f = *state;
    same_answer(f, "| where N > 10 and N <= 40 | summarize count(), sum(N), min(N), max(N) by A");
    same_answer(f, "| where N >= 0 | summarize count() by A");
    same_answer(f, "| where N != 7 | count");
    same_answer(f, "| where N == 7 or N < -15 | count");
    same_answer(f, "| where 30 > N | count");
    same_answer(f, "| where isnull(N) | summarize count() by A");
    same_answer(f, "| where toreal(N) >= 2.5 | count");
}

static void test_string_predicates_on_plain_and_dictionary_columns(void **state)
{
    fixture *f = *state;
    static const char *const preds[] = {
        "A =~ \"A1\"", "A !~ \"A1\"", "B has \"b17\"", "B has_cs \"b17\"", "B hasprefix \"b1\"",
        "B hassuffix \"7\"", "C contains \"C1\"", "C contains_cs \"c1\"", "B startswith \"B2\"",
        "B startswith_cs \"b2\"", "C endswith \"9\"", "C endswith_cs \"9\"", "D has \"k3\"",
    };
    for (size_t i = 0; i < sizeof preds / sizeof preds[0]; i++) {
        char tail[256];
        snprintf(tail, sizeof tail, "| where %s | summarize count() by A", preds[i]);
        same_answer(f, tail);
    }
}

/* Both sides of same_answer share the aggregate code: pin its results against values
 * computed here from the rows themselves. */
static void test_dcount_ignores_nulls_and_counts_exactly(void **state)
{
    fixture *f = *state;
    static char seen_n[200], seen_d[64][4];
    int dn = 0, dd = 0, fails = 0, fail_users_a3 = 0;
    memset(seen_n, 0, sizeof seen_n);
    memset(seen_d, 0, sizeof seen_d);
    char a[32], b[32], c[32], n[32], d[64];
    for (int i = 0; i < ROWS; i++) {
        row_values(i, a, b, c, n, d);
        if (n[0] && !seen_n[atoi(n) + 50]) {
            seen_n[atoi(n) + 50] = 1;
            dn++;
        }
        if (d[0] && !seen_d[i % 6][i % 4]) {
            seen_d[i % 6][i % 4] = 1;
            dd++;
        }
        fails += strcmp(a, "a0") != 0;
        fail_users_a3 += !strcmp(a, "a3");
    }
    char want[256];
    snprintf(want, sizeof want, "{\"dcount_N\":%d,\"dcount_D\":%d,\"count_\":%d}\n", dn, dd, ROWS);
    char *got = run(f, "T | summarize dcount(N), dcount(D), count()", NULL);
    assert_string_equal(got, want);
    free(got);
    snprintf(want, sizeof want, "{\"Count\":%d}\n", fails);
    got = run(f, "T | where A != \"a0\" | count", NULL);
    assert_string_equal(got, want);
    free(got);
    snprintf(want, sizeof want, "{\"A\":\"a3\",\"count_\":%d}\n", fail_users_a3);
    got = run(f, "T | where A == \"a3\" | summarize count() by A", NULL);
    assert_string_equal(got, want);
    free(got);
}

static void test_per_chunk_runs_find_the_rows_of_the_full_scan(void **state)
{
    fixture *f = *state;
    const char *q = "T | where C == \"c17-category\" or (A == \"a5\" and N > 60) | project B, C, N, D";
    char *all = run(f, q, NULL);
    sp_table *t = sp_store_find(f->store, "T");
    sp_snapshot *s = sp_table_snapshot(t);
    sp_buf joined = {0};
    for (int i = 0; i < s->nchunks; i++) {
        kexec_opts o = {.only_table = t, .only_chunk = s->chunks[i]};
        char *part = run(f, q, &o);
        sp_buf_puts(&joined, part);
        free(part);
    }
    expect_same_text(sp_buf_cstr(&joined), all, q);
    assert_true(strlen(all) > 0);
    sp_buf_free(&joined);
    sp_snapshot_free(s);
    free(all);
}

/* Selections built from a mask of sixteen rows (the filters that compare codes or ids with
 * a short list) list every set bit, in order, for every mask. */
static void test_selection_from_bit_masks_lists_every_set_bit_in_order(void **state)
{
    (void)state;
    uint32_t out[3 + 16 + KSEL_PAD];
    for (unsigned mask = 0; mask < 65536; mask++) {
        out[0] = 7; /* rows kept before stay */
        uint32_t m = ksel_append(out, 1, 1000, mask), k = 1;
        for (unsigned j = 0; j < 16; j++)
            if (mask >> j & 1) {
                if (out[k] != 1000 + j)
                    fail_msg("mask %#x: entry %u is %u, not %u", mask, k, out[k], 1000 + j);
                k++;
            }
        assert_int_equal(m, k);
        assert_int_equal(out[0], 7);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_has_dictionary_plain_and_large_dictionary_columns),
        cmocka_unit_test(test_group_by_dictionary_key_matches_plain_vectors),
        cmocka_unit_test(test_counts_by_dictionary_key_keep_first_seen_order),
        cmocka_unit_test(test_short_code_lists_select_the_rows_of_plain_vectors),
        cmocka_unit_test(test_group_by_plain_key_matches_plain_vectors),
        cmocka_unit_test(test_dcount_pairs_match_per_group_sets),
        cmocka_unit_test(test_selections_of_none_some_all_rows),
        cmocka_unit_test(test_numeric_comparisons_with_nulls),
        cmocka_unit_test(test_string_predicates_on_plain_and_dictionary_columns),
        cmocka_unit_test(test_dcount_ignores_nulls_and_counts_exactly),
        cmocka_unit_test(test_per_chunk_runs_find_the_rows_of_the_full_scan),
        cmocka_unit_test(test_selection_from_bit_masks_lists_every_set_bit_in_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
