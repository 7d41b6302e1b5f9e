/* test_store_tdict.c — table dictionaries (engine/store/tdict.c): one id per distinct text
 * across a table's chunks, whatever each chunk's own encoding; built at seal for wanted
 * columns and on first request for the others; given up for columns whose values do not
 * repeat or are long; accounted in the table's memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "engine/store/store.h"

static sp_table *inferred_table(sp_store **s, uint32_t chunk_rows)
{
    sp_store_config cfg = {.chunk_rows = chunk_rows, .no_dedup = true};
    *s = sp_store_new(&cfg);
    return sp_store_table(*s, "Events");
}

static int column(sp_builder *b, const char *name, sp_type t)
{
    int c = sp_builder_column(b, name, strlen(name), t);
    assert_true(c >= 0);
    return c;
}

/* Appends rows whose "User" is users[i % nusers] and whose "Id" is unique. */
static void add_rows(sp_builder *b, const char *const *users, int nusers, int rows, int first_id)
{
    for (int i = 0; i < rows; i++) {
        sp_builder_begin_row(b);
        const char *u = users[i % nusers];
        assert_int_equal(sp_builder_set_string(b, column(b, "User", SP_TYPE_STRING), u, strlen(u)), 0);
        char id[32];
        int n = snprintf(id, sizeof id, "id-%08d", first_id + i);
        assert_int_equal(sp_builder_set_string(b, column(b, "Id", SP_TYPE_STRING), id, (size_t)n), 0);
        assert_int_equal(sp_builder_set_long(b, column(b, "N", SP_TYPE_LONG), i), 0);
        assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_STORED);
    }
}

/* The gid of row r of column col in chunk c (indexing it when needed). */
static uint32_t gid_of(sp_chunk *c, int col, uint32_t r, const sp_tdict **d)
{
    sp_colview v;
    sp_chunk_col(c, col, &v);
    sp_chunk_col_gids(c, col, &v);
    assert_non_null(v.gids);
    *d = v.tdict;
    return v.gids[sp_colview_entry(&v, r)];
}

static void test_same_text_has_one_gid_across_chunks_and_encodings(void **st)
{
    (void)st;
    sp_store *s;
    sp_table *t = inferred_table(&s, 4);
    sp_builder *b = sp_builder_new(t);
    /* chunk 1: 4 rows of one value (a dictionary chunk); chunk 2: 4 distinct values */
    const char *same[] = {"alice@contoso.com"};
    add_rows(b, same, 1, 4, 0);
    const char *mixed[] = {"bob@contoso.com", "alice@contoso.com", "carol@contoso.com", "dave@contoso.com"};
    add_rows(b, mixed, 4, 4, 4);
    sp_builder_free(b);
    int ucol = sp_schema_find(sp_table_schema(t), "User", 4);
    sp_snapshot *snap = sp_table_snapshot(t);
    assert_int_equal(snap->nchunks, 2);
    const sp_tdict *d1, *d2;
    uint32_t alice1 = gid_of(snap->chunks[0], ucol, 3, &d1);
    uint32_t alice2 = gid_of(snap->chunks[1], ucol, 1, &d2);
    assert_ptr_equal(d1, d2);
    assert_int_equal(alice1, alice2);
    uint32_t bob = gid_of(snap->chunks[1], ucol, 0, &d2);
    assert_int_not_equal(bob, alice1);
    size_t n;
    const char *p = sp_tdict_text(d1, bob, &n);
    assert_int_equal(n, strlen("bob@contoso.com"));
    assert_memory_equal(p, "bob@contoso.com", n);
    assert_int_equal(sp_tdict_count(d1), 4);
    uint32_t g = 99;
    assert_true(sp_tdict_find((sp_tdict *)d1, "carol@contoso.com", 17, &g));
    assert_int_equal(g, gid_of(snap->chunks[1], ucol, 2, &d2));
    assert_false(sp_tdict_find((sp_tdict *)d1, "mallory@contoso.com", 19, &g));
    sp_snapshot_free(snap);
    sp_store_free(s);
}

static void test_unwanted_column_is_indexed_on_first_request_and_accounted(void **st)
{
    (void)st;
    sp_store *s;
    sp_table *t = inferred_table(&s, 64);
    sp_builder *b = sp_builder_new(t);
    const char *users[] = {"a", "b", "c"};
    add_rows(b, users, 3, 64, 0);
    sp_builder_free(b);
    int ucol = sp_schema_find(sp_table_schema(t), "User", 4);
    sp_snapshot *snap = sp_table_snapshot(t);
    sp_colview v;
    sp_chunk_col(snap->chunks[0], ucol, &v);
    assert_null(v.gids); /* nothing asked for it at seal */
    uint64_t before = sp_table_col_bytes(t, ucol);
    sp_chunk_col_gids(snap->chunks[0], ucol, &v);
    assert_non_null(v.gids);
    assert_true(sp_table_col_bytes(t, ucol) > before);
    sp_colview again;
    sp_chunk_col(snap->chunks[0], ucol, &again); /* later readers see the index */
    assert_ptr_equal(again.gids, v.gids);
    /* a column that is not text gets none */
    int ncol = sp_schema_find(sp_table_schema(t), "N", 1);
    sp_chunk_col_gids(snap->chunks[0], ncol, &v);
    assert_null(v.gids);
    assert_null(v.tdict);
    sp_snapshot_free(snap);
    sp_store_free(s);
}

static void test_wanted_column_is_indexed_at_seal(void **st)
{
    (void)st;
    sp_store *s;
    sp_table *t = inferred_table(&s, 16);
    sp_builder *b = sp_builder_new(t);
    const char *users[] = {"x", "y"};
    add_rows(b, users, 2, 1, 0); /* creates the columns */
    sp_table_want_gids(t, sp_schema_find(sp_table_schema(t), "User", 4));
    add_rows(b, users, 2, 15, 1);
    sp_builder_free(b);
    sp_snapshot *snap = sp_table_snapshot(t);
    sp_colview v;
    sp_chunk_col(snap->chunks[0], sp_schema_find(sp_table_schema(t), "User", 4), &v);
    assert_non_null(v.gids);
    /* rows: x, then x y x y ... */
    assert_int_equal(v.gids[sp_colview_entry(&v, 0)], v.gids[sp_colview_entry(&v, 1)]);
    assert_int_not_equal(v.gids[sp_colview_entry(&v, 1)], v.gids[sp_colview_entry(&v, 2)]);
    assert_int_equal(v.gids[sp_colview_entry(&v, 0)], v.gids[sp_colview_entry(&v, 3)]);
    sp_chunk_col(snap->chunks[0], sp_schema_find(sp_table_schema(t), "Id", 2), &v);
    assert_null(v.gids); /* not wanted, not asked for */
    sp_snapshot_free(snap);
    sp_store_free(s);
}

static void test_column_of_distinct_values_stops_getting_gids(void **st)
{
    (void)st;
    sp_store *s;
    sp_table *t = inferred_table(&s, 4096);
    sp_builder *b = sp_builder_new(t);
    const char *users[] = {"u1", "u2", "u3", "u4", "u5"};
    add_rows(b, users, 5, 1, 0);
    const sp_schema *sc = sp_table_schema(t);
    sp_table_want_gids(t, sp_schema_find(sc, "User", 4));
    sp_table_want_gids(t, sp_schema_find(sc, "Id", 2));
    add_rows(b, users, 5, 6 * 4096 - 1, 1);
    sp_builder_free(b);
    sp_snapshot *snap = sp_table_snapshot(t);
    assert_int_equal(snap->nchunks, 6);
    int icol = sp_schema_find(sp_table_schema(t), "Id", 2);
    int ucol = sp_schema_find(sp_table_schema(t), "User", 4);
    sp_colview v;
    sp_chunk_col(snap->chunks[0], icol, &v);
    assert_non_null(v.gids); /* the first chunks are indexed while the store learns */
    sp_chunk_col_gids(snap->chunks[5], icol, &v);
    assert_null(v.gids); /* ids never repeat: given up after 16384 rows */
    sp_chunk_col_gids(snap->chunks[5], ucol, &v);
    assert_non_null(v.gids); /* users repeat */
    assert_int_equal(sp_tdict_count(v.tdict), 5);
    sp_snapshot_free(snap);
    sp_store_free(s);
}

static void test_column_of_long_texts_stops_getting_gids(void **st)
{
    (void)st;
    sp_store *s;
    sp_table *t = inferred_table(&s, 8192);
    sp_builder *b = sp_builder_new(t);
    char text[200];
    memset(text, 'j', sizeof text);
    for (int i = 0; i < 3 * 8192; i++) {
        sp_builder_begin_row(b);
        int n = snprintf(text, 12, "%011d", i % 100); /* 100 distinct texts of 200 bytes */
        text[n] = 'j';
        assert_int_equal(sp_builder_set_string(b, column(b, "Details", SP_TYPE_STRING), text, sizeof text), 0);
        assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_STORED);
    }
    sp_builder_free(b);
    int dcol = sp_schema_find(sp_table_schema(t), "Details", 7);
    sp_snapshot *snap = sp_table_snapshot(t);
    sp_colview v;
    sp_chunk_col_gids(snap->chunks[0], dcol, &v);
    assert_non_null(v.gids);
    sp_chunk_col_gids(snap->chunks[1], dcol, &v);
    assert_non_null(v.gids); /* the second chunk brings the rows seen to 16384 */
    sp_chunk_col_gids(snap->chunks[2], dcol, &v);
    assert_null(v.gids);
    sp_snapshot_free(snap);
    sp_store_free(s);
}

typedef struct race {
    sp_chunk *chunk;
    int col;
    const uint32_t *gids;
} race;

static void *index_concurrently(void *arg)
{
    race *r = arg;
    sp_colview v;
    sp_chunk_col_gids(r->chunk, r->col, &v);
    r->gids = v.gids;
    return NULL;
}

static void test_concurrent_first_requests_share_one_index(void **st)
{
    (void)st;
    sp_store *s;
    sp_table *t = inferred_table(&s, 2048);
    sp_builder *b = sp_builder_new(t);
    const char *users[] = {"p", "q", "r", "s", "t", "u", "v"};
    add_rows(b, users, 7, 2048, 0);
    sp_builder_free(b);
    sp_snapshot *snap = sp_table_snapshot(t);
    int ucol = sp_schema_find(sp_table_schema(t), "User", 4);
    race rs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        rs[i] = (race){snap->chunks[0], ucol, NULL};
        assert_int_equal(pthread_create(&th[i], NULL, index_concurrently, &rs[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 1; i < 4; i++)
        assert_ptr_equal(rs[i].gids, rs[0].gids);
    sp_colview v;
    sp_chunk_col(snap->chunks[0], ucol, &v);
    assert_int_equal(sp_tdict_count(v.tdict), 7);
    sp_snapshot_free(snap);
    sp_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_text_has_one_gid_across_chunks_and_encodings),
        cmocka_unit_test(test_unwanted_column_is_indexed_on_first_request_and_accounted),
        cmocka_unit_test(test_wanted_column_is_indexed_at_seal),
        cmocka_unit_test(test_column_of_distinct_values_stops_getting_gids),
        cmocka_unit_test(test_column_of_long_texts_stops_getting_gids),
        cmocka_unit_test(test_concurrent_first_requests_share_one_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
