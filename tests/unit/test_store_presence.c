/* test_store_presence.c — per-cell presence in the store (store.h, sp_colview_presence):
 * tables inferred from the data tell an absent field, a JSON null and a value ("" included)
 * apart, through widening in the builder and on read, across chunks, rollbacks and
 * re-deliveries, while the Kusto reading of the same cells (absent and null strings read
 * as "", other absent values as null) stays as it was; declared tables keep no presence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "engine/store/store.h"

enum { ABS = SP_CELL_ABSENT, NUL = SP_CELL_NULL, VAL = SP_CELL_VALUE };

/* One inferred row: column name set to a string (NULL: JSON null) or left absent (skip). */
typedef struct cellspec {
    enum { C_SKIP, C_NULL, C_STR, C_LONG } kind;
    const char *s;
    int64_t l;
} cellspec;

static void put(sp_builder *b, const char *name, cellspec c)
{
    if (c.kind == C_SKIP)
        return;
    sp_type vt = c.kind == C_STR ? SP_TYPE_STRING : c.kind == C_LONG ? SP_TYPE_LONG : SP_TYPE_NULL;
    int col = sp_builder_column(b, name, strlen(name), vt);
    assert_true(col >= 0);
    if (c.kind == C_NULL)
        assert_int_equal(sp_builder_set_null(b, col), 0);
    else if (c.kind == C_STR)
        assert_int_equal(sp_builder_set_string(b, col, c.s, strlen(c.s)), 0);
    else
        assert_int_equal(sp_builder_set_long(b, col, c.l), 0);
}

static void row(sp_builder *b, const char *name, cellspec c)
{
    sp_builder_begin_row(b);
    put(b, name, c);
    assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_STORED);
}

#define SKIP ((cellspec){C_SKIP, NULL, 0})
#define JNULL ((cellspec){C_NULL, NULL, 0})
#define STR(x) ((cellspec){C_STR, (x), 0})
#define LONG(x) ((cellspec){C_LONG, NULL, (x)})

/* A store with one table and a builder on it, and what tests read back from it. */
typedef struct fixture {
    sp_store *s;
    sp_table *t;
    sp_builder *b;
    sp_snapshot *snap; /* taken by fx_snapshot */
    sp_arena a;        /* converted views */
} fixture;

static void fx_open(fixture *fx, const char *table)
{
    memset(fx, 0, sizeof *fx);
    fx->s = sp_store_new(NULL);
    fx->t = sp_store_table(fx->s, table);
    fx->b = sp_builder_new(fx->t);
}

/* Seals what is open and snapshots every chunk. */
static sp_snapshot *fx_snapshot(fixture *fx)
{
    sp_chunk_unref(sp_builder_seal(fx->b));
    fx->snap = sp_table_snapshot(fx->t);
    return fx->snap;
}

static void fx_close(fixture *fx)
{
    sp_arena_free(&fx->a);
    sp_snapshot_free(fx->snap);
    sp_builder_free(fx->b);
    sp_store_free(fx->s);
}

static int col(sp_table *t, const char *name)
{
    int c = sp_schema_find(sp_table_schema(t), name, strlen(name));
    assert_true(c >= 0);
    return c;
}

/* The view of column name in chunk i, converted to the schema's type as a scan reads it. */
static void view(sp_table *t, sp_snapshot *snap, int i, const char *name, sp_arena *a, sp_colview *out)
{
    sp_colview v;
    int c = col(t, name);
    sp_chunk_col(snap->chunks[i], c, &v);
    sp_colview_convert(&v, snap->schema->cols[c].type, a, out);
}

static void expect_presence(const sp_colview *v, const int *want, uint32_t n)
{
    assert_int_equal(v->rows, n);
    for (uint32_t r = 0; r < n; r++)
        if ((int)sp_colview_presence(v, r) != want[r])
            fail_msg("row %u: presence %d, want %d", r, (int)sp_colview_presence(v, r), want[r]);
}

static void expect_text(const sp_colview *v, uint32_t r, const char *want)
{
    size_t n;
    const char *p = sp_colview_text(v, r, &n);
    if (!sp_streq(p, n, want, strlen(want)))
        fail_msg("row %u: '%.*s', want '%s'", r, (int)n, p, want);
}

static void test_inferred_string_column_tells_absent_null_and_empty_apart(void **st)
{
    (void)st;
    fixture fx;
    fx_open(&fx, "Events");
    row(fx.b, "f", STR("x"));
    row(fx.b, "f", SKIP);
    row(fx.b, "f", JNULL);
    row(fx.b, "f", STR(""));
    row(fx.b, "f", SKIP); /* trailing absent cell, padded at the seal */
    sp_colview v;
    view(fx.t, fx_snapshot(&fx), 0, "f", &fx.a, &v);
    assert_int_equal(v.type, SP_TYPE_STRING);
    expect_presence(&v, (const int[]){VAL, ABS, NUL, VAL, ABS}, 5);
    /* Kusto's reading is unchanged: strings are never null, absent and null read as "" */
    for (uint32_t r = 1; r < 5; r++) {
        expect_text(&v, r, "");
        assert_false(sp_colview_is_null(&v, r));
    }
    fx_close(&fx);
}

static void test_inferred_long_column_tells_absent_from_json_null(void **st)
{
    (void)st;
    fixture fx;
    fx_open(&fx, "Events");
    row(fx.b, "n", JNULL); /* before the column has a type */
    row(fx.b, "n", LONG(1));
    row(fx.b, "n", SKIP);
    row(fx.b, "n", JNULL);
    sp_colview v;
    view(fx.t, fx_snapshot(&fx), 0, "n", &fx.a, &v);
    assert_int_equal(v.type, SP_TYPE_LONG);
    expect_presence(&v, (const int[]){NUL, VAL, ABS, NUL}, 4);
    assert_true(sp_colview_is_null(&v, 0) && sp_colview_is_null(&v, 2) && sp_colview_is_null(&v, 3));
    assert_null(v.unset);
    fx_close(&fx);
}

static void test_widening_string_to_dynamic_keeps_absent_and_null_cells_null(void **st)
{
    (void)st;
    fixture fx;
    fx_open(&fx, "Events");
    row(fx.b, "f", SKIP);
    row(fx.b, "f", JNULL);
    row(fx.b, "f", STR(""));
    row(fx.b, "f", STR("x"));
    row(fx.b, "f", LONG(0)); /* string + long: the column becomes dynamic */
    sp_colview v;
    view(fx.t, fx_snapshot(&fx), 0, "f", &fx.a, &v);
    assert_int_equal(v.type, SP_TYPE_DYNAMIC);
    expect_presence(&v, (const int[]){ABS, NUL, VAL, VAL, VAL}, 5);
    assert_true(sp_colview_is_null(&v, 0)); /* not the JSON string "" */
    assert_true(sp_colview_is_null(&v, 1));
    expect_text(&v, 2, "\"\"");
    expect_text(&v, 3, "\"x\"");
    expect_text(&v, 4, "0");
    fx_close(&fx);
}

static void test_widening_on_read_keeps_absent_cells_of_older_chunks_null(void **st)
{
    (void)st;
    fixture fx;
    fx_open(&fx, "Events");
    row(fx.b, "f", STR("a"));
    row(fx.b, "f", SKIP);
    row(fx.b, "f", STR(""));
    row(fx.b, "f", JNULL);
    sp_chunk_unref(sp_builder_seal(fx.b));
    row(fx.b, "f", LONG(7)); /* the next chunk widens the schema to dynamic */
    row(fx.b, "f", SKIP);
    sp_snapshot *snap = fx_snapshot(&fx);
    assert_int_equal(snap->nchunks, 2);
    assert_int_equal(snap->schema->cols[col(fx.t, "f")].type, SP_TYPE_DYNAMIC);
    sp_colview v;
    view(fx.t, snap, 0, "f", &fx.a, &v); /* string chunk read as dynamic */
    expect_presence(&v, (const int[]){VAL, ABS, VAL, NUL}, 4);
    expect_text(&v, 0, "\"a\"");
    assert_true(sp_colview_is_null(&v, 1));
    expect_text(&v, 2, "\"\"");
    assert_true(sp_colview_is_null(&v, 3));
    view(fx.t, snap, 1, "f", &fx.a, &v);
    expect_presence(&v, (const int[]){VAL, ABS}, 2);
    fx_close(&fx);
}

static void test_string_views_of_other_columns_are_absent_where_null(void **st)
{
    (void)st;
    fixture fx;
    fx_open(&fx, "Events");
    row(fx.b, "g", STR("z")); /* chunk 0 predates column f */
    sp_chunk_unref(sp_builder_seal(fx.b));
    row(fx.b, "f", STR("a"));
    row(fx.b, "f", JNULL);
    sp_chunk_unref(sp_builder_seal(fx.b));
    row(fx.b, "f", JNULL); /* chunk 2: f has no value at all, only a JSON null */
    row(fx.b, "f", SKIP);
    sp_chunk_unref(sp_builder_seal(fx.b));
    row(fx.b, "when", LONG(5)); /* a long column read as a string (a cast, or a rule's view) */
    row(fx.b, "when", SKIP);
    row(fx.b, "when", JNULL);
    sp_snapshot *snap = fx_snapshot(&fx);
    assert_int_equal(snap->nchunks, 4);
    sp_colview v;
    view(fx.t, snap, 0, "f", &fx.a, &v);
    assert_int_equal(v.type, SP_TYPE_STRING);
    expect_presence(&v, (const int[]){ABS}, 1);
    view(fx.t, snap, 1, "f", &fx.a, &v);
    expect_presence(&v, (const int[]){VAL, NUL}, 2);
    view(fx.t, snap, 2, "f", &fx.a, &v);
    assert_int_equal(v.type, SP_TYPE_STRING);
    expect_presence(&v, (const int[]){NUL, ABS}, 2);
    expect_text(&v, 0, "");
    sp_colview raw, sv;
    sp_chunk_col(snap->chunks[3], col(fx.t, "when"), &raw);
    sp_colview_convert(&raw, SP_TYPE_STRING, &fx.a, &sv);
    expect_presence(&sv, (const int[]){VAL, ABS, NUL}, 3);
    expect_text(&sv, 0, "5");
    expect_text(&sv, 1, "");
    fx_close(&fx);
}

static void test_rolled_back_and_redelivered_rows_leave_no_presence_marks(void **st)
{
    (void)st;
    fixture fx;
    fx_open(&fx, "Events");
    sp_builder *b = fx.b;
    row(b, "f", STR("a"));
    sp_builder_begin_row(b); /* aborted: a JSON null in f */
    put(b, "f", JNULL);
    sp_builder_abort_row(b);
    row(b, "f", STR("b")); /* lands on the aborted row's slot, through the fast path */
    sp_hash128 k = sp_hash128_of("dup", 3);
    sp_builder_begin_row(b);
    put(b, "f", STR("c"));
    assert_int_equal(sp_builder_end_row(b, &k), SP_ROW_STORED);
    sp_builder_begin_row(b); /* a re-delivery with a null: dropped */
    put(b, "f", JNULL);
    assert_int_equal(sp_builder_end_row(b, &k), SP_ROW_DUPLICATE);
    row(b, "f", STR("d"));
    sp_builder_begin_row(b); /* null then a value for one cell: the last wins */
    put(b, "f", JNULL);
    put(b, "f", STR("e"));
    sp_builder_end_row(b, NULL);
    sp_builder_begin_row(b); /* and the other way round */
    put(b, "f", STR("g"));
    put(b, "f", JNULL);
    sp_builder_end_row(b, NULL);
    sp_colview v;
    view(fx.t, fx_snapshot(&fx), 0, "f", &fx.a, &v);
    expect_presence(&v, (const int[]){VAL, VAL, VAL, VAL, VAL, NUL}, 6);
    expect_text(&v, 1, "b");
    expect_text(&v, 3, "d");
    expect_text(&v, 4, "e");
    fx_close(&fx);
}

static void test_declared_tables_keep_no_presence(void **st)
{
    (void)st;
    fixture fx;
    fx_open(&fx, "SigninLogs");
    int upn = col(fx.t, "UserPrincipalName"), dur = col(fx.t, "DurationMs");
    for (int i = 0; i < 4; i++) {
        sp_builder_begin_row(fx.b);
        if (i == 1)
            sp_builder_set_string(fx.b, upn, "u", 1);
        if (i == 2) {
            sp_builder_set_null(fx.b, upn);
            sp_builder_set_null(fx.b, dur);
        }
        sp_builder_end_row(fx.b, NULL);
    }
    sp_snapshot *snap = fx_snapshot(&fx);
    sp_colview v;
    sp_chunk_col(snap->chunks[0], upn, &v);
    assert_null(v.unset);
    assert_null(v.jnull);
    /* Log Analytics' reading: every string is a value, a null is absent */
    expect_presence(&v, (const int[]){VAL, VAL, VAL, VAL}, 4);
    sp_chunk_col(snap->chunks[0], dur, &v);
    assert_null(v.jnull);
    expect_presence(&v, (const int[]){ABS, ABS, ABS, ABS}, 4);
    fx_close(&fx);
}

static void test_presence_costs_one_bit_per_row_only_in_columns_that_need_it(void **st)
{
    (void)st;
    fixture fx;
    fx_open(&fx, "Events");
    enum { N = 4096 };
    char v[16];
    uint64_t half_bytes = 0;
    for (int i = 0; i < N; i++) {
        sp_builder_begin_row(fx.b);
        snprintf(v, sizeof v, "v%d", i);
        put(fx.b, "always", STR(v)); /* high cardinality: plain */
        if (i % 2) {
            put(fx.b, "half", STR(v)); /* absent every other row */
            half_bytes += strlen(v);
        }
        if (i % 1000 == 0)
            put(fx.b, "rare_null", JNULL);
        else
            put(fx.b, "rare_null", STR(i % 3 ? "a" : "b")); /* dictionary-encoded */
        sp_builder_end_row(fx.b, NULL);
    }
    const sp_chunk *c = fx_snapshot(&fx)->chunks[0];
    sp_colview cv;
    sp_chunk_col(c, col(fx.t, "always"), &cv);
    assert_null(cv.unset);
    assert_null(cv.jnull);
    sp_chunk_col(c, col(fx.t, "half"), &cv);
    assert_int_equal(cv.enc, SP_ENC_PLAIN);
    assert_non_null(cv.unset);
    assert_null(cv.jnull);
    for (uint32_t r = 0; r < N; r++)
        assert_int_equal(sp_colview_presence(&cv, r), r % 2 ? VAL : ABS);
    sp_chunk_col(c, col(fx.t, "rare_null"), &cv);
    assert_int_equal(cv.enc, SP_ENC_DICT);
    assert_non_null(cv.unset);
    assert_non_null(cv.jnull);
    for (uint32_t r = 0; r < N; r++)
        assert_int_equal(sp_colview_presence(&cv, r), r % 1000 ? VAL : NUL);
    /* the bitmap is in the column's memory: offsets, bytes and one bit per row */
    assert_int_equal(sp_table_col_bytes(fx.t, col(fx.t, "half")), (uint64_t)(N + 1) * 4 + half_bytes + N / 8 + 1);
    fx_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inferred_string_column_tells_absent_null_and_empty_apart),
        cmocka_unit_test(test_inferred_long_column_tells_absent_from_json_null),
        cmocka_unit_test(test_widening_string_to_dynamic_keeps_absent_and_null_cells_null),
        cmocka_unit_test(test_widening_on_read_keeps_absent_cells_of_older_chunks_null),
        cmocka_unit_test(test_string_views_of_other_columns_are_absent_where_null),
        cmocka_unit_test(test_rolled_back_and_redelivered_rows_leave_no_presence_marks),
        cmocka_unit_test(test_declared_tables_keep_no_presence),
        cmocka_unit_test(test_presence_costs_one_bit_per_row_only_in_columns_that_need_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
