/* test_store_merge.c — merging small sealed chunks (merge.c): merged chunks read cell for
 * cell, presence included, as their parts did; table-dictionary ids carry over; runs break
 * where the layout changes and follow the half rule; snapshots, dedup and retention see
 * the merged chunk as they saw its parts; queries answer the same; merging while a builder
 * seals loses nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/store/store.h"
#include "support/plan_build.h"

static int column(sp_builder *b, const char *name, sp_type t)
{
    int c = sp_builder_column(b, name, strlen(name), t);
    assert_true(c >= 0);
    return c;
}

/* Every cell of the table, column by column, rows in snapshot order: presence, nullness
 * and text, and the physical type wherever it changes. */
static char *dump(sp_table *t)
{
    sp_buf out = {0};
    sp_snapshot *snap = sp_table_snapshot(t);
    for (int col = 0; col < snap->schema->ncols; col++) {
        sp_buf_printf(&out, "[%s]", snap->schema->cols[col].name);
        sp_type last = SP_TYPE_COUNT;
        for (int k = 0; k < snap->nchunks; k++) {
            sp_colview v;
            sp_chunk_col(snap->chunks[k], col, &v);
            if (v.type != last)
                sp_buf_printf(&out, " %s:", sp_type_name(v.type));
            last = v.type;
            for (uint32_t r = 0; r < v.rows; r++) {
                sp_buf_printf(&out, " %d", (int)sp_colview_presence(&v, r));
                if (sp_colview_is_null(&v, r)) {
                    sp_buf_puts(&out, "~");
                } else if (sp_type_is_text(v.type)) {
                    size_t n;
                    const char *p = sp_colview_text(&v, r, &n);
                    sp_buf_printf(&out, "'%.*s'", (int)n, p);
                } else {
                    sp_format_value(&out, v.type, (const char *)v.values + (size_t)r * sp_type_width(v.type));
                }
            }
        }
        sp_buf_putc(&out, '\n');
    }
    sp_snapshot_free(snap);
    sp_buf_putc(&out, '\0');
    return out.data;
}

static void assert_same_dump(const char *want, const char *got)
{
    if (!strcmp(want, got))
        return;
    size_t i = 0;
    while (want[i] && want[i] == got[i])
        i++;
    size_t from = i > 60 ? i - 60 : 0;
    fail_msg("cells differ at byte %zu:\nwant ...%.120s\ngot  ...%.120s", i, want + from, got + from);
}

static uint64_t table_chunks(sp_table *t)
{
    sp_table_stats st;
    sp_table_stats_get(t, &st);
    return st.chunks;
}

/* An inferred table of 1,000 rows sealed every 90 (12 chunks) with every kind of column:
 * a low-cardinality string (one-byte codes), one whose parts have one-byte codes and
 * whose union exceeds 256 entries (four-byte codes), one distinct in even chunks and repeating in odd ones (plain and dictionary
 * parts), longs with JSON nulls and absent cells, reals, bools, datetimes, dynamic objects,
 * a string with absent cells and JSON nulls, and a column first met at row 500. */
static sp_table *mixed_table(sp_store *s)
{
    sp_table *t = sp_store_table(s, "Mixed_CL");
    sp_builder *b = sp_builder_new(t);
    char txt[64];
    for (int i = 0; i < 1000; i++) {
        sp_builder_begin_row(b);
        sp_builder_set_datetime(b, column(b, "TimeGenerated", SP_TYPE_DATETIME),
                                SP_UNIX_EPOCH_TICKS + (int64_t)i * SP_TICKS_PER_SEC);
        int n = snprintf(txt, sizeof txt, "lo%d", i % 5);
        sp_builder_set_string(b, column(b, "Lo", SP_TYPE_STRING), txt, (size_t)n);
        n = snprintf(txt, sizeof txt, "many-values-%03d-in-all", i / 2 % 300);
        sp_builder_set_string(b, column(b, "Many", SP_TYPE_STRING), txt, (size_t)n);
        n = (i / 90) % 2 ? snprintf(txt, sizeof txt, "rep%d", i % 3) : snprintf(txt, sizeof txt, "user%d@x", i);
        sp_builder_set_string(b, column(b, "Hi", SP_TYPE_STRING), txt, (size_t)n);
        if (i % 7 == 0)
            sp_builder_set_null(b, column(b, "N", SP_TYPE_LONG));
        else if (i % 11)
            sp_builder_set_long(b, column(b, "N", SP_TYPE_LONG), i * 3);
        sp_builder_set_real(b, column(b, "R", SP_TYPE_REAL), i / 4.0);
        sp_builder_set_bool(b, column(b, "B", SP_TYPE_BOOL), i % 3 == 0);
        n = snprintf(txt, sizeof txt, "{\"k\":%d,\"s\":\"v%d\"}", i % 13, i % 2);
        sp_builder_set_json(b, column(b, "D", SP_TYPE_DYNAMIC), txt, (size_t)n);
        if (i % 6 == 1)
            sp_builder_set_null(b, column(b, "S", SP_TYPE_STRING));
        else if (i % 6 != 2)
            sp_builder_set_string(b, column(b, "S", SP_TYPE_STRING), i % 4 ? "x" : "", i % 4 ? 1 : 0);
        if (i >= 500)
            sp_builder_set_long(b, column(b, "Late", SP_TYPE_LONG), i);
        sp_builder_end_row(b, NULL);
        if (i % 90 == 89)
            sp_chunk_unref(sp_builder_seal(b));
    }
    sp_builder_free(b);
    return t;
}

static void test_merged_chunks_read_cell_for_cell_as_their_parts(void **st)
{
    (void)st;
    sp_store_config cfg = {.chunk_rows = 1000, .no_dedup = true};
    sp_store *s = sp_store_new(&cfg);
    sp_table *t = mixed_table(s);
    assert_int_equal(table_chunks(t), 12);
    sp_table_stats before;
    sp_table_stats_get(t, &before);
    char *want = dump(t);
    /* Chunks 0-4 predate column Late, chunks 5-11 have it: two runs. */
    assert_int_equal(sp_store_merge_chunks(s, UINT32_MAX), 10);
    assert_int_equal(table_chunks(t), 2);
    char *got = dump(t);
    assert_same_dump(want, got);
    sp_table_stats after;
    sp_table_stats_get(t, &after);
    assert_int_equal(after.rows, 1000);
    assert_int_equal(after.rows_ingested, before.rows_ingested);
    assert_int_equal(after.min_time, before.min_time);
    assert_int_equal(after.max_time, before.max_time);
    /* The table's memory is its chunks' (every part's bytes left with it). */
    sp_snapshot *snap = sp_table_snapshot(t);
    uint64_t chunk_bytes = 0;
    for (int k = 0; k < snap->nchunks; k++)
        chunk_bytes += sp_chunk_bytes(snap->chunks[k]);
    uint64_t col_bytes = 0;
    for (int c = 0; c < snap->schema->ncols; c++)
        col_bytes += sp_table_col_bytes(t, c);
    assert_true(col_bytes <= chunk_bytes && chunk_bytes <= after.bytes);
    /* One- and four-byte codes, plain text where the rule says so. */
    sp_colview v;
    sp_chunk_col(snap->chunks[1], sp_schema_find(snap->schema, "Lo", 2), &v);
    assert_int_equal(v.enc, SP_ENC_DICT);
    assert_non_null(v.codes8);
    sp_chunk_col(snap->chunks[1], sp_schema_find(snap->schema, "Many", 4), &v);
    assert_int_equal(v.enc, SP_ENC_DICT);
    assert_int_equal(v.nentries, 275); /* rows 450-999 */
    assert_non_null(v.codes);
    assert_int_equal(sp_chunk_seq(snap->chunks[1]) > sp_chunk_seq(snap->chunks[0]), true);
    sp_snapshot_free(snap);
    free(want);
    free(got);
    sp_store_free(s);
}

static void test_table_dictionary_ids_carry_over(void **st)
{
    (void)st;
    sp_store_config cfg = {.chunk_rows = 1000, .no_dedup = true};
    sp_store *s = sp_store_new(&cfg);
    sp_table *t = sp_store_table(s, "Mixed_CL");
    /* The columns exist before the first row: ask for their ids from the first seal. */
    sp_builder *b = sp_builder_new(t);
    int lo = column(b, "Lo", SP_TYPE_STRING), hi = column(b, "Hi", SP_TYPE_STRING);
    sp_builder_free(b);
    sp_table_want_gids(t, lo);
    sp_table_want_gids(t, hi);
    mixed_table(s);
    const sp_schema *sc = sp_table_schema(t);
    int many = sp_schema_find(sc, "Many", 4);
    char *want = dump(t);
    assert_true(sp_store_merge_chunks(s, UINT32_MAX) > 0);
    char *got = dump(t);
    assert_same_dump(want, got);
    free(got);
    sp_snapshot *snap = sp_table_snapshot(t);
    for (int k = 0; k < snap->nchunks; k++) {
        int cols[] = {lo, hi, many};
        for (int j = 0; j < 3; j++) {
            sp_colview v;
            sp_chunk_col(snap->chunks[k], cols[j], &v);
            if (cols[j] == many) { /* not wanted: indexed by its first reader, as any chunk */
                assert_null(v.gids);
                sp_chunk_col_gids(snap->chunks[k], many, &v);
            }
            assert_non_null(v.gids);
            for (uint32_t r = 0; r < v.rows; r++) {
                size_t n;
                const char *p = sp_colview_text(&v, r, &n);
                uint32_t g;
                assert_true(sp_tdict_find((sp_tdict *)v.tdict, p, n, &g));
                assert_int_equal(v.gids[sp_colview_entry(&v, r)], g);
            }
        }
    }
    sp_snapshot_free(snap);
    free(want);
    sp_store_free(s);
}

/* SentinelHealth rows with ids r<from>..r<to-1>, sealed every `every` rows. */
static void health_rows(sp_table *t, int from, int to, int every, int64_t t0)
{
    const sp_schema *sc = sp_table_schema(t);
    int id = sp_schema_find(sc, "RecordId", 8), tg = sp_schema_find(sc, "TimeGenerated", 13);
    sp_builder *b = sp_builder_new(t);
    char txt[16];
    for (int i = from; i < to; i++) {
        sp_builder_begin_row(b);
        int n = snprintf(txt, sizeof txt, "r%d", i);
        sp_builder_set_string(b, id, txt, (size_t)n);
        sp_builder_set_datetime(b, tg, t0 + (int64_t)i * SP_TICKS_PER_MIN);
        sp_builder_end_row(b, NULL);
        if ((i - from) % every == every - 1)
            sp_chunk_unref(sp_builder_seal(b));
    }
    sp_builder_free(b);
}

/* Checks that the snapshot's rows are r0, r1, ... in order (health_rows from 0); returns
 * how many it has. */
static uint32_t assert_ids_in_order(const sp_snapshot *snap)
{
    uint32_t row = 0;
    for (int k = 0; k < snap->nchunks; k++) {
        sp_colview v;
        sp_chunk_col(snap->chunks[k], sp_schema_find(snap->schema, "RecordId", 8), &v);
        for (uint32_t r = 0; r < v.rows; r++, row++) {
            size_t n;
            const char *p = sp_colview_text(&v, r, &n);
            char id[16];
            snprintf(id, sizeof id, "r%u", row);
            if (n != strlen(id) || memcmp(p, id, n))
                fail_msg("row %u reads %.*s", row, (int)n, p);
        }
    }
    return row;
}

static sp_row_result redeliver(sp_table *t, const char *id)
{
    sp_builder *b = sp_builder_new(t);
    sp_builder_begin_row(b);
    sp_builder_set_string(b, sp_schema_find(sp_table_schema(t), "RecordId", 8), id, strlen(id));
    sp_row_result r = sp_builder_end_row(b, NULL);
    sp_builder_free(b);
    return r;
}

static void test_snapshots_dedup_and_retention_see_the_merge_as_its_parts(void **st)
{
    (void)st;
    int64_t t0 = SP_UNIX_EPOCH_TICKS;
    sp_store_config cfg = {.chunk_rows = 100, .retention_ticks = SP_TICKS_PER_HOUR};
    sp_store *s = sp_store_new(&cfg);
    sp_table *t = sp_store_table(s, "SentinelHealth");
    health_rows(t, 0, 100, 20, t0); /* five chunks, minutes 0-99 */
    sp_snapshot *old = sp_table_snapshot(t);
    assert_int_equal(old->nchunks, 5);
    uint64_t last_seq = sp_chunk_seq(old->chunks[4]);
    char *want = dump(t);
    assert_int_equal(sp_table_merge_chunks(t, UINT32_MAX), 4);
    sp_snapshot *now = sp_table_snapshot(t);
    assert_int_equal(now->nchunks, 1);
    assert_int_equal(sp_chunk_seq(now->chunks[0]), last_seq); /* nothing new after it */
    assert_int_equal(sp_chunk_min_time(now->chunks[0]), t0);
    assert_int_equal(sp_chunk_max_time(now->chunks[0]), t0 + 99 * SP_TICKS_PER_MIN);
    sp_snapshot_free(now);
    sp_snapshot *since = sp_table_snapshot_since(t, last_seq);
    assert_int_equal(since->nchunks, 0);
    sp_snapshot_free(since);
    /* The snapshot taken before still reads the parts. */
    assert_int_equal(assert_ids_in_order(old), 100);
    sp_snapshot_free(old);
    char *got = dump(t);
    assert_same_dump(want, got);
    /* The merged chunk keeps its parts' ids: a re-delivery is still a duplicate... */
    assert_int_equal(redeliver(t, "r42"), SP_ROW_DUPLICATE);
    /* ...until retention evicts the chunk, with every id its parts had. */
    health_rows(t, 1000, 1010, 10, t0); /* minutes 1000-1009 */
    assert_int_equal(sp_store_enforce_retention(s, t0 + 1000 * SP_TICKS_PER_MIN), 100);
    assert_int_equal(redeliver(t, "r42"), SP_ROW_STORED);
    assert_int_equal(redeliver(t, "r1005"), SP_ROW_DUPLICATE);
    free(want);
    free(got);
    sp_store_free(s);
}

static void test_runs_follow_the_half_rule_and_max_runs(void **st)
{
    (void)st;
    sp_store_config cfg = {.chunk_rows = 100};
    sp_store *s = sp_store_new(&cfg);
    sp_table *t = sp_store_table(s, "SentinelHealth");
    health_rows(t, 0, 60, 60, 0);
    health_rows(t, 60, 100, 10, 0); /* 60, 10, 10, 10, 10 */
    /* All five fit 100 rows, but the first would be most of it: the four small ones
     * merge; then 60 + 40, the 60 again most of it, stay apart. */
    assert_int_equal(sp_table_merge_chunks(t, UINT32_MAX), 3);
    assert_int_equal(table_chunks(t), 2);
    assert_int_equal(sp_table_merge_chunks(t, UINT32_MAX), 0);
    sp_table *u = sp_store_table(s, "SecurityIncident");
    const sp_schema *sc = sp_table_schema(u);
    int tg = sp_schema_find(sc, "TimeGenerated", 13);
    sp_builder *b = sp_builder_new(u);
    for (int i = 0; i < 80; i++) { /* eight chunks of 10 */
        sp_builder_begin_row(b);
        sp_builder_set_datetime(b, tg, (int64_t)i);
        sp_builder_end_row(b, NULL);
        if (i % 10 == 9)
            sp_chunk_unref(sp_builder_seal(b));
    }
    sp_builder_free(b);
    assert_int_equal(sp_table_merge_chunks(u, 1), 7); /* one run: 80 rows fit */
    assert_int_equal(table_chunks(u), 1);
    sp_store_free(s);
}

static void test_queries_answer_the_same_after_a_merge(void **st)
{
    (void)st;
    static const char *queries[] = {
        "Mixed_CL | summarize c = count(), n = dcount(Hi), s = sum(N) by Lo",
        "Mixed_CL | where Many in ('many-values-007-in-all', 'many-values-299-in-all') | project TimeGenerated, Hi, N, Late",
        "Mixed_CL | where Hi has 'user' and isnull(N) | count",
        "Mixed_CL | extend r = row_number() | where r % 97 == 1 | project r, Lo, Many, Hi, N, R, B, D, S, Late",
        "Mixed_CL | summarize count() by tostring(D.k), S | order by D_k asc, S asc",
        "Mixed_CL | summarize arg_max(TimeGenerated, *) by Many | order by Many asc | take 20",
    };
    sp_store_config cfg = {.chunk_rows = 1000, .no_dedup = true};
    sp_store *s = sp_store_new(&cfg);
    mixed_table(s);
    enum { NQ = sizeof queries / sizeof queries[0] };
    char *want[NQ];
    for (int i = 0; i < NQ; i++) {
        want[i] = tb_kql(s, queries[i], NULL);
        if (!strncmp(want[i], "error: ", 7))
            fail_msg("%s: %s", queries[i], want[i]);
    }
    assert_true(sp_store_merge_chunks(s, UINT32_MAX) > 0);
    for (int th = 1; th <= 2; th++)
        for (int i = 0; i < NQ; i++) {
            kexec_opts o = {.threads = th, .par_min_rows = 1};
            char *got = tb_kql(s, queries[i], &o);
            if (strcmp(got, want[i]))
                fail_msg("%s (threads %d):\ngot  %.300s\nwant %.300s", queries[i], th, got, want[i]);
            free(got);
        }
    for (int i = 0; i < NQ; i++)
        free(want[i]);
    sp_store_free(s);
}

typedef struct sealer {
    sp_table *t;
    int rows;
} sealer;

static void *seal_rows(void *arg)
{
    sealer *z = arg;
    health_rows(z->t, 0, z->rows, 7, 0);
    return NULL;
}

static void test_merging_while_a_builder_seals_loses_nothing(void **st)
{
    (void)st;
    sp_store_config cfg = {.chunk_rows = 64};
    sp_store *s = sp_store_new(&cfg);
    sp_table *t = sp_store_table(s, "SentinelHealth");
    sealer z = {.t = t, .rows = 3000};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, seal_rows, &z), 0);
    uint32_t gone = 0;
    for (int k = 0; k < 2000 && sp_table_rows(t) < (uint64_t)z.rows; k++)
        gone += sp_table_merge_chunks(t, UINT32_MAX);
    pthread_join(th, NULL);
    gone += sp_table_merge_chunks(t, UINT32_MAX);
    assert_true(gone > 0);
    sp_snapshot *snap = sp_table_snapshot(t);
    assert_int_equal(snap->rows, (uint64_t)z.rows);
    assert_true(snap->nchunks < z.rows / 7);
    for (int k = 0; k < snap->nchunks; k++)
        assert_true(sp_chunk_rows(snap->chunks[k]) <= 64);
    assert_int_equal(assert_ids_in_order(snap), z.rows);
    sp_snapshot_free(snap);
    sp_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merged_chunks_read_cell_for_cell_as_their_parts),
        cmocka_unit_test(test_table_dictionary_ids_carry_over),
        cmocka_unit_test(test_snapshots_dedup_and_retention_see_the_merge_as_its_parts),
        cmocka_unit_test(test_runs_follow_the_half_rule_and_max_runs),
        cmocka_unit_test(test_queries_answer_the_same_after_a_merge),
        cmocka_unit_test(test_merging_while_a_builder_seals_loses_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
