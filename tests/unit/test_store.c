/* test_store.c — the columnar store: builders, loose typing, nulls, dedup, inferred
 * schemas and widening, dictionary encoding, snapshots, retention, concurrency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "engine/store/store.h"

static int col(sp_table *t, const char *name)
{
    const sp_schema *sc = sp_table_schema(t);
    int c = sp_schema_find(sc, name, strlen(name));
    assert_true(c >= 0);
    return c;
}

/* Text of row r of column name in the table's only/first chunk. */
static void cell_text(sp_table *t, int chunk, const char *name, uint32_t r, char *out, size_t cap)
{
    sp_snapshot *s = sp_table_snapshot(t);
    assert_true(chunk < s->nchunks);
    sp_colview v;
    sp_chunk_col(s->chunks[chunk], col(t, name), &v);
    assert_true(sp_type_is_text(v.type));
    size_t n;
    const char *p = sp_colview_text(&v, r, &n);
    snprintf(out, cap, "%.*s", (int)n, p);
    sp_snapshot_free(s);
}

static int64_t cell_long(sp_table *t, const char *name, uint32_t r, bool *is_null)
{
    sp_snapshot *s = sp_table_snapshot(t);
    sp_colview v;
    sp_chunk_col(s->chunks[0], col(t, name), &v);
    *is_null = sp_colview_is_null(&v, r);
    int64_t x = 0;
    if (!*is_null)
        x = v.type == SP_TYPE_INT ? ((const int32_t *)v.values)[r] : ((const int64_t *)v.values)[r];
    sp_snapshot_free(s);
    return x;
}

static void test_declared_schema_has_log_analytics_columns(void **st)
{
    (void)st;
    sp_store *s = sp_store_new(NULL);
    sp_table *t = sp_store_table(s, "AADServicePrincipalSignInLogs");
    assert_true(sp_table_is_declared(t));
    const sp_schema *sc = sp_table_schema(t);
    assert_int_equal(sc->ncols, 44 + 1); /* + AdditionalFields */
    assert_int_equal(sc->cols[col(t, "FederatedCredentialId")].type, SP_TYPE_STRING);
    assert_int_equal(sc->cols[col(t, "TimeGenerated")].type, SP_TYPE_DATETIME);
    assert_int_equal(sc->cols[col(t, "DurationMs")].type, SP_TYPE_LONG);
    assert_int_equal(sc->cols[col(t, SP_ADDITIONAL_FIELDS)].type, SP_TYPE_DYNAMIC);
    assert_int_equal(sp_schema_find_ci(sc, "federatedcredentialid", 21), col(t, "FederatedCredentialId"));
    assert_int_equal(sp_table_time_col(t), col(t, "TimeGenerated"));
    assert_int_equal(sp_table_id_col(t), col(t, "Id"));
    assert_int_equal(sp_schema_declared("SigninLogs")->ncolumns, 94);
    sp_store_free(s);
}

static void test_loose_typing_converts_as_log_analytics_does(void **st)
{
    (void)st;
    sp_store *s = sp_store_new(NULL);
    sp_table *t = sp_store_table(s, "SigninLogs");
    sp_builder *b = sp_builder_new(t);
    sp_builder_begin_row(b);
    assert_int_equal(sp_builder_set_long(b, col(t, "Level"), 4), 0);            /* number -> string */
    assert_int_equal(sp_builder_set_string(b, col(t, "DurationMs"), "239", 3), 0); /* text -> long */
    assert_int_equal(sp_builder_set_long(b, col(t, "ResultType"), 50126), 0);
    assert_int_equal(sp_builder_set_string(b, col(t, "CreatedDateTime"), "2019-10-18T04:45:48.0729893-05:00", 33), 0);
    assert_int_equal(sp_builder_set_json(b, col(t, "Status"), "{\"errorCode\":50126}", 19), 0);
    assert_int_equal(sp_builder_set_string(b, col(t, "DurationMs"), "abc", 3), -1); /* unconvertible */
    assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_STORED);
    sp_chunk_unref(sp_builder_seal(b));
    char buf[128];
    cell_text(t, 0, "Level", 0, buf, sizeof buf);
    assert_string_equal(buf, "4");
    cell_text(t, 0, "ResultType", 0, buf, sizeof buf);
    assert_string_equal(buf, "50126");
    cell_text(t, 0, "Status", 0, buf, sizeof buf);
    assert_string_equal(buf, "{\"errorCode\":50126}");
    bool null;
    cell_long(t, "DurationMs", 0, &null);
    assert_true(null); /* the failed second set left the cell null */
    int64_t created = cell_long(t, "CreatedDateTime", 0, &null);
    char dt[32];
    sp_datetime_format(created, dt);
    assert_string_equal(dt, "2019-10-18T09:45:48.0729893Z");
    sp_builder_free(b);
    sp_store_free(s);
}

static void test_unset_cells_read_as_kusto_nulls(void **st)
{
    (void)st;
    sp_store *s = sp_store_new(NULL);
    sp_table *t = sp_store_table(s, "SigninLogs");
    sp_builder *b = sp_builder_new(t);
    for (int i = 0; i < 3; i++) {
        sp_builder_begin_row(b);
        if (i == 1)
            sp_builder_set_long(b, col(t, "DurationMs"), 7);
        sp_builder_end_row(b, NULL);
    }
    sp_chunk *c = sp_builder_seal(b);
    sp_colview v;
    sp_chunk_col(c, col(t, "DurationMs"), &v);
    assert_true(sp_colview_is_null(&v, 0));
    assert_false(sp_colview_is_null(&v, 1));
    assert_true(sp_colview_is_null(&v, 2));
    sp_chunk_col(c, col(t, "UserPrincipalName"), &v); /* strings are never null: "" */
    size_t n;
    sp_colview_text(&v, 2, &n);
    assert_int_equal(n, 0);
    assert_false(sp_colview_is_null(&v, 2));
    sp_chunk_col(c, col(t, "DeviceDetail"), &v); /* dynamic null */
    assert_true(sp_colview_is_null(&v, 0));
    sp_chunk_col(c, col(t, "IsRisky"), &v);
    assert_true(sp_colview_is_null(&v, 0));
    sp_chunk_unref(c);
    sp_builder_free(b);
    sp_store_free(s);
}

static void test_exact_redelivery_by_id_is_dropped_and_counted(void **st)
{
    (void)st;
    sp_store *s = sp_store_new(NULL);
    sp_table *t = sp_store_table(s, "SigninLogs");
    sp_builder *b = sp_builder_new(t);
    const char *ids[] = {"a", "b", "a", "c", "b"};
    int stored = 0;
    for (int i = 0; i < 5; i++) {
        sp_builder_begin_row(b);
        sp_builder_set_string(b, col(t, "Id"), ids[i], 1);
        sp_builder_set_string(b, col(t, "UserPrincipalName"), "x@y", 3);
        if (sp_builder_end_row(b, NULL) == SP_ROW_STORED)
            stored++;
    }
    assert_int_equal(stored, 3);
    sp_chunk_unref(sp_builder_seal(b));
    sp_table_stats stats;
    sp_table_stats_get(t, &stats);
    assert_int_equal(stats.rows, 3);
    assert_int_equal(stats.duplicates, 2);
    char buf[8];
    cell_text(t, 0, "Id", 2, buf, sizeof buf);
    assert_string_equal(buf, "c"); /* the duplicate row left no trace */
    sp_builder_free(b);
    sp_store_free(s);
}

/* The id's dedup key is hashed when the cell is appended; a row that rewrites its id, or
 * that is rolled back and written again, is deduplicated on the id it ends with. */
static void test_dedup_key_is_the_id_the_row_ends_with(void **st)
{
    (void)st;
    sp_store *s = sp_store_new(NULL);
    sp_table *t = sp_store_table(s, "SigninLogs");
    sp_builder *b = sp_builder_new(t);
    int id = col(t, "Id");
    sp_builder_begin_row(b);
    sp_builder_set_string(b, id, "first", 5);
    sp_builder_set_string(b, id, "second", 6); /* set twice: the last value wins */
    assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_STORED);
    sp_builder_begin_row(b);
    sp_builder_set_string(b, id, "first", 5);
    assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_STORED); /* "first" was never stored */
    sp_builder_begin_row(b);
    sp_builder_set_string(b, id, "third", 5);
    sp_builder_abort_row(b);
    sp_builder_begin_row(b); /* the same row number, its id through the converting path */
    sp_builder_set_null(b, id);
    sp_builder_set_string(b, id, "second", 6);
    assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_DUPLICATE);
    sp_builder_begin_row(b);
    sp_builder_set_string(b, id, "third", 5);
    assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_STORED); /* the aborted row left no key */
    assert_int_equal(sp_builder_rows(b), 3);
    sp_builder_free(b);
    sp_store_free(s);
}

static void test_tables_without_id_dedup_on_raw_hash(void **st)
{
    (void)st;
    sp_store *s = sp_store_new(NULL);
    sp_table *t = sp_store_table(s, "SecurityIncident");
    sp_builder *b = sp_builder_new(t);
    sp_hash128 h1 = sp_hash128_of("raw1", 4), h2 = sp_hash128_of("raw2", 4);
    sp_builder_begin_row(b);
    assert_int_equal(sp_builder_end_row(b, &h1), SP_ROW_STORED);
    sp_builder_begin_row(b);
    assert_int_equal(sp_builder_end_row(b, &h2), SP_ROW_STORED);
    sp_builder_begin_row(b);
    assert_int_equal(sp_builder_end_row(b, &h1), SP_ROW_DUPLICATE);
    sp_builder_begin_row(b);
    assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_STORED); /* no key: never a dup */
    assert_int_equal(sp_builder_rows(b), 3);
    sp_builder_free(b);
    sp_store_free(s);
}

static void test_inferred_schema_grows_and_widens_without_loss(void **st)
{
    (void)st;
    sp_store *s = sp_store_new(NULL);
    sp_table *t = sp_store_table(s, "MyCustomTable");
    assert_false(sp_table_is_declared(t));
    sp_builder *b = sp_builder_new(t);
    /* row 0: n=1 (long), x="a", when=datetime */
    sp_builder_begin_row(b);
    int n = sp_builder_column(b, "n", 1, SP_TYPE_LONG);
    int x = sp_builder_column(b, "x", 1, SP_TYPE_STRING);
    int w = sp_builder_column(b, "when", 4, SP_TYPE_DATETIME);
    sp_builder_set_long(b, n, 1);
    sp_builder_set_string(b, x, "a", 1);
    sp_builder_set_datetime(b, w, SP_UNIX_EPOCH_TICKS);
    sp_builder_end_row(b, NULL);
    /* row 1: n=2.5 widens long->real; x=5 widens string->dynamic; when="later" -> string */
    sp_builder_begin_row(b);
    sp_builder_set_real(b, sp_builder_column(b, "n", 1, SP_TYPE_REAL), 2.5);
    sp_builder_set_long(b, sp_builder_column(b, "x", 1, SP_TYPE_LONG), 5);
    sp_builder_set_string(b, sp_builder_column(b, "when", 4, SP_TYPE_STRING), "later", 5);
    int extra = sp_builder_column(b, "extra", 5, SP_TYPE_BOOL);
    sp_builder_set_bool(b, extra, true);
    sp_builder_end_row(b, NULL);
    sp_chunk *c = sp_builder_seal(b);
    const sp_schema *sc = sp_table_schema(t);
    assert_int_equal(sc->ncols, 4);
    assert_int_equal(sc->cols[n].type, SP_TYPE_REAL);
    assert_int_equal(sc->cols[x].type, SP_TYPE_DYNAMIC);
    assert_int_equal(sc->cols[w].type, SP_TYPE_STRING);
    assert_int_equal(sc->cols[extra].type, SP_TYPE_BOOL);
    sp_colview v;
    sp_chunk_col(c, n, &v);
    assert_int_equal(v.type, SP_TYPE_REAL);
    assert_true(((const double *)v.values)[0] == 1.0 && ((const double *)v.values)[1] == 2.5);
    char buf[64];
    cell_text(t, 0, "x", 0, buf, sizeof buf);
    assert_string_equal(buf, "\"a\"");
    cell_text(t, 0, "x", 1, buf, sizeof buf);
    assert_string_equal(buf, "5");
    cell_text(t, 0, "when", 0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.0000000Z");
    cell_text(t, 0, "when", 1, buf, sizeof buf);
    assert_string_equal(buf, "later");
    sp_chunk_col(c, extra, &v);
    assert_true(sp_colview_is_null(&v, 0));
    assert_int_equal(((const uint8_t *)v.values)[1], 1);
    sp_chunk_unref(c);
    sp_builder_free(b);
    sp_store_free(s);
}

static void test_setting_a_cell_twice_keeps_the_last_value(void **st)
{
    (void)st;
    sp_store *s = sp_store_new(NULL);
    sp_table *t = sp_store_table(s, "SigninLogs");
    sp_builder *b = sp_builder_new(t);
    sp_builder_begin_row(b);
    sp_builder_set_string(b, col(t, "IPAddress"), "1.1.1.1", 7);
    sp_builder_set_string(b, col(t, "IPAddress"), "2.2.2.2", 7);
    sp_builder_end_row(b, NULL);
    sp_builder_begin_row(b);
    sp_builder_set_string(b, col(t, "IPAddress"), "3.3.3.3", 7);
    sp_builder_abort_row(b);
    sp_builder_begin_row(b);
    sp_builder_set_string(b, col(t, "IPAddress"), "4.4.4.4", 7);
    sp_builder_end_row(b, NULL);
    sp_chunk_unref(sp_builder_seal(b));
    char buf[16];
    cell_text(t, 0, "IPAddress", 0, buf, sizeof buf);
    assert_string_equal(buf, "2.2.2.2");
    cell_text(t, 0, "IPAddress", 1, buf, sizeof buf);
    assert_string_equal(buf, "4.4.4.4");
    sp_builder_free(b);
    sp_store_free(s);
}

/* Dictionaries are built as cells arrive: a rolled-back row and a cell set twice leave no
 * entry behind, and the entries stay in first-occurrence order. */
static void test_dictionary_forgets_entries_of_rolled_back_cells(void **st)
{
    (void)st;
    sp_store *s = sp_store_new(NULL);
    sp_table *t = sp_store_table(s, "SigninLogs");
    sp_builder *b = sp_builder_new(t);
    int app = col(t, "AppDisplayName");
    for (int i = 0; i < 100; i++) {
        sp_builder_begin_row(b);
        sp_builder_set_string(b, app, i % 2 ? "b" : "a", 1);
        if (i == 50) {
            sp_builder_set_string(b, app, "only-in-an-aborted-row", 22);
            sp_builder_abort_row(b);
            continue;
        }
        if (i == 60) {
            sp_builder_set_string(b, app, "overwritten", 11);
            sp_builder_set_string(b, app, "c", 1);
        }
        sp_builder_end_row(b, NULL);
    }
    sp_chunk *c = sp_builder_seal(b);
    sp_colview v;
    sp_chunk_col(c, app, &v);
    assert_int_equal(v.enc, SP_ENC_DICT);
    assert_int_equal(v.nentries, 3); /* a, b, c */
    size_t n;
    const char *p = sp_colview_text(&v, 59, &n); /* row 60 after the aborted one */
    assert_true(sp_streq(p, n, "c", 1));
    p = sp_colview_text(&v, 98, &n);
    assert_true(sp_streq(p, n, "b", 1));
    sp_chunk_unref(c);
    sp_builder_free(b);
    sp_store_free(s);
}

/* A column that is nearly all distinct gives up on its dictionary at row 2048 and goes on
 * plain; every value survives the rewrite. */
static void test_high_cardinality_column_turns_plain_mid_chunk(void **st)
{
    (void)st;
    sp_store *s = sp_store_new(NULL);
    sp_table *t = sp_store_table(s, "SigninLogs");
    sp_builder *b = sp_builder_new(t);
    char id[32];
    for (int i = 0; i < 3000; i++) {
        sp_builder_begin_row(b);
        int k = snprintf(id, sizeof id, "id-%d", i);
        if (i % 500 != 7) /* a few empty cells, padded lazily */
            sp_builder_set_string(b, col(t, "Id"), id, (size_t)k);
        sp_builder_end_row(b, NULL);
    }
    sp_chunk *c = sp_builder_seal(b);
    sp_colview v;
    sp_chunk_col(c, col(t, "Id"), &v);
    assert_int_equal(v.enc, SP_ENC_PLAIN);
    size_t n;
    const char *p = sp_colview_text(&v, 2999, &n);
    assert_true(sp_streq(p, n, "id-2999", 7));
    p = sp_colview_text(&v, 1007, &n);
    assert_int_equal(n, 0);
    p = sp_colview_text(&v, 2047, &n);
    assert_true(sp_streq(p, n, "id-2047", 7));
    sp_chunk_unref(c);
    sp_builder_free(b);
    sp_store_free(s);
}

/* A column that gave up on its dictionary starts the next chunks plain (no hashing of the
 * probe rows) and tries a dictionary again every eighth chunk: once its values repeat, it
 * gets one back; the text is right either way. */
static void test_column_that_gave_up_starts_plain_and_retries_every_eighth_chunk(void **st)
{
    (void)st;
    sp_store *s = sp_store_new(NULL);
    sp_table *t = sp_store_table(s, "SigninLogs");
    sp_builder *b = sp_builder_new(t);
    int idc = col(t, "Id"), ua = col(t, "UserAgent");
    char id[32], v[32];
    sp_encoding enc[10];
    for (int chunk = 0; chunk < 10; chunk++) {
        for (int i = 0; i < 3000; i++) {
            sp_builder_begin_row(b);
            int k = snprintf(id, sizeof id, "r-%d-%d", chunk, i); /* distinct records */
            sp_builder_set_string(b, idc, id, (size_t)k);
            /* chunk 0: all distinct (gives up); then only four distinct values */
            k = snprintf(v, sizeof v, "id-%d", chunk == 0 ? i : i % 4);
            sp_builder_set_string(b, ua, v, (size_t)k);
            sp_builder_end_row(b, NULL);
        }
        sp_chunk *c = sp_builder_seal(b);
        sp_colview cv;
        sp_chunk_col(c, ua, &cv);
        enc[chunk] = cv.enc;
        size_t n;
        const char *p = sp_colview_text(&cv, 2999, &n);
        assert_true(sp_streq(p, n, chunk == 0 ? "id-2999" : "id-3", chunk == 0 ? 7 : 4));
        sp_chunk_unref(c);
    }
    assert_int_equal(enc[0], SP_ENC_PLAIN);      /* gave up at row 2048 */
    for (int chunk = 1; chunk < 8; chunk++)
        assert_int_equal(enc[chunk], SP_ENC_PLAIN); /* started plain */
    assert_int_equal(enc[8], SP_ENC_DICT);       /* the retry finds four values */
    assert_int_equal(enc[9], SP_ENC_DICT);
    sp_builder_free(b);
    sp_store_free(s);
}

/* Raw JSON is validated and compacted; a repeat of a value validated before is stored
 * without a second check, but only when it was validated under a limit no looser than
 * this one, and never when the earlier copy came in unvalidated. */
static void test_raw_json_skips_revalidation_only_when_safe(void **st)
{
    (void)st;
    sp_store *s = sp_store_new(NULL);
    sp_table *t = sp_store_table(s, "SigninLogs");
    sp_builder *b = sp_builder_new(t);
    int dd = col(t, "DeviceDetail");
    size_t off;
    const char *why;
    const char nested[] = "{\"a\":[[1]]}"; /* depth 3 */
    sp_builder_begin_row(b);
    assert_int_equal(sp_builder_put_raw_json(b, dd, SP_TYPE_DYNAMIC, "{ \"a\" : [[1]] }", 15, 8, &off, &why), 0);
    sp_builder_end_row(b, NULL);
    sp_builder_begin_row(b); /* the compact repeat: no second check needed */
    assert_int_equal(sp_builder_put_raw_json(b, dd, SP_TYPE_DYNAMIC, nested, strlen(nested), 8, &off, &why), 0);
    sp_builder_end_row(b, NULL);
    sp_builder_begin_row(b); /* the same text under a tighter limit is checked again */
    assert_int_equal(sp_builder_put_raw_json(b, dd, SP_TYPE_DYNAMIC, nested, strlen(nested), 2, &off, &why), -1);
    sp_builder_abort_row(b);
    /* text stored by the trusting setter is not taken as validated */
    sp_builder_begin_row(b);
    sp_builder_set_json(b, dd, "[1,]", 4);
    sp_builder_end_row(b, NULL);
    sp_builder_begin_row(b);
    assert_int_equal(sp_builder_put_raw_json(b, dd, SP_TYPE_DYNAMIC, "[1,]", 4, 8, &off, &why), -1);
    sp_builder_abort_row(b);
    /* a column of another type does not take this path */
    sp_builder_begin_row(b);
    assert_int_equal(sp_builder_put_raw_json(b, col(t, "DurationMs"), SP_TYPE_DYNAMIC, "{}", 2, 8, &off, &why), 1);
    sp_builder_end_row(b, NULL);
    sp_chunk *c = sp_builder_seal(b);
    sp_colview v;
    sp_chunk_col(c, dd, &v);
    size_t n;
    const char *p = sp_colview_text(&v, 0, &n);
    assert_true(sp_streq(p, n, nested, strlen(nested)));
    p = sp_colview_text(&v, 1, &n);
    assert_true(sp_streq(p, n, nested, strlen(nested)));
    assert_int_equal(c ? v.nentries : 0, 3); /* nested, [1,], and the empty (null) cell of row 3 */
    sp_chunk_unref(c);
    sp_builder_free(b);
    sp_store_free(s);
}

static void test_dictionary_encoding_where_it_pays(void **st)
{
    (void)st;
    sp_store *s = sp_store_new(NULL);
    sp_table *t = sp_store_table(s, "SigninLogs");
    sp_builder *b = sp_builder_new(t);
    char id[32], app[16];
    for (int i = 0; i < 5000; i++) {
        sp_builder_begin_row(b);
        int n = snprintf(id, sizeof id, "id-%08d", i);
        sp_builder_set_string(b, col(t, "Id"), id, (size_t)n);
        n = snprintf(app, sizeof app, "app%d", i % 7);
        sp_builder_set_string(b, col(t, "AppDisplayName"), app, (size_t)n);
        sp_builder_set_string(b, col(t, "Category"), "SignInLogs", 10);
        sp_builder_end_row(b, NULL);
    }
    sp_chunk *c = sp_builder_seal(b);
    sp_colview v;
    sp_chunk_col(c, col(t, "Id"), &v);
    assert_int_equal(v.enc, SP_ENC_PLAIN);
    sp_chunk_col(c, col(t, "AppDisplayName"), &v);
    assert_int_equal(v.enc, SP_ENC_DICT);
    assert_int_equal(v.nentries, 7);
    size_t n;
    const char *p = sp_colview_text(&v, 4999, &n);
    assert_true(sp_streq(p, n, "app1", 4)); /* 4999 % 7 == 1 */
    sp_chunk_col(c, col(t, "Category"), &v);
    assert_int_equal(v.enc, SP_ENC_DICT);
    assert_null(v.codes); /* constant column */
    assert_int_equal(v.nentries, 1);
    sp_chunk_col(c, col(t, "UserAgent"), &v); /* never set: one empty entry */
    assert_int_equal(v.nentries, 1);
    assert_true(sp_table_col_bytes(t, col(t, "Id")) > sp_table_col_bytes(t, col(t, "AppDisplayName")));
    sp_chunk_unref(c);
    sp_builder_free(b);
    sp_store_free(s);
}

static void test_full_builder_seals_itself_and_snapshots_are_incremental(void **st)
{
    (void)st;
    sp_store_config cfg = {.chunk_rows = 100};
    sp_store *s = sp_store_new(&cfg);
    sp_table *t = sp_store_table(s, "SentinelHealth");
    sp_builder *b = sp_builder_new(t);
    char id[16];
    for (int i = 0; i < 250; i++) {
        sp_builder_begin_row(b);
        int n = snprintf(id, sizeof id, "%d", i);
        sp_builder_set_string(b, col(t, "RecordId"), id, (size_t)n);
        sp_builder_set_datetime(b, col(t, "TimeGenerated"), SP_UNIX_EPOCH_TICKS + i * SP_TICKS_PER_SEC);
        sp_builder_end_row(b, NULL);
    }
    sp_snapshot *snap = sp_table_snapshot(t);
    assert_int_equal(snap->nchunks, 2);
    assert_int_equal(snap->rows, 200);
    uint64_t last = sp_chunk_seq(snap->chunks[1]);
    assert_int_equal(sp_chunk_min_time(snap->chunks[1]), SP_UNIX_EPOCH_TICKS + 100 * SP_TICKS_PER_SEC);
    assert_int_equal(sp_chunk_max_time(snap->chunks[1]), SP_UNIX_EPOCH_TICKS + 199 * SP_TICKS_PER_SEC);
    sp_snapshot_free(snap);
    sp_chunk *c = sp_builder_seal(b);
    assert_int_equal(sp_chunk_rows(c), 50);
    sp_chunk_unref(c);
    snap = sp_table_snapshot_since(t, last);
    assert_int_equal(snap->nchunks, 1);
    assert_int_equal(snap->rows, 50);
    sp_snapshot_free(snap);
    sp_builder_free(b);
    sp_store_free(s);
}

static void test_retention_evicts_old_chunks_and_forgets_their_ids(void **st)
{
    (void)st;
    sp_store_config cfg = {.chunk_rows = 10, .retention_ticks = SP_TICKS_PER_HOUR};
    sp_store *s = sp_store_new(&cfg);
    sp_table *t = sp_store_table(s, "SentinelHealth");
    sp_builder *b = sp_builder_new(t);
    char id[16];
    int64_t t0 = SP_UNIX_EPOCH_TICKS;
    for (int i = 0; i < 30; i++) { /* three chunks: hours 0, 1, 2 */
        sp_builder_begin_row(b);
        int n = snprintf(id, sizeof id, "r%d", i);
        sp_builder_set_string(b, col(t, "RecordId"), id, (size_t)n);
        sp_builder_set_datetime(b, col(t, "TimeGenerated"), t0 + (i / 10) * SP_TICKS_PER_HOUR);
        sp_builder_end_row(b, NULL);
    }
    sp_chunk_unref(sp_builder_seal(b));
    uint64_t ev = sp_store_enforce_retention(s, t0 + 2 * SP_TICKS_PER_HOUR);
    assert_int_equal(ev, 10);
    sp_table_stats stats;
    sp_table_stats_get(t, &stats);
    assert_int_equal(stats.rows, 20);
    assert_int_equal(stats.evicted_rows, 10);
    assert_int_equal(stats.min_time, t0 + SP_TICKS_PER_HOUR);
    /* r0 was evicted: its id is accepted again; r15 is still resident: a duplicate. */
    sp_builder_begin_row(b);
    sp_builder_set_string(b, col(t, "RecordId"), "r0", 2);
    assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_STORED);
    sp_builder_begin_row(b);
    sp_builder_set_string(b, col(t, "RecordId"), "r15", 3);
    assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_DUPLICATE);
    sp_builder_free(b);
    sp_store_free(s);
}

static void test_memory_budget_evicts_oldest_events_first(void **st)
{
    (void)st;
    sp_store_config cfg = {.chunk_rows = 100};
    sp_store *s = sp_store_new(&cfg);
    sp_table *t = sp_store_table(s, "SentinelHealth");
    sp_builder *b = sp_builder_new(t);
    char id[16];
    for (int i = 0; i < 1000; i++) {
        sp_builder_begin_row(b);
        int n = snprintf(id, sizeof id, "rec-%06d", i);
        sp_builder_set_string(b, col(t, "RecordId"), id, (size_t)n);
        sp_builder_set_datetime(b, col(t, "TimeGenerated"), SP_UNIX_EPOCH_TICKS + (int64_t)(999 - i) * SP_TICKS_PER_SEC);
        sp_builder_end_row(b, NULL);
    }
    sp_builder_free(b);
    sp_table_stats before;
    sp_table_stats_get(t, &before);
    sp_store_free(s);
    /* Same data, budget at half its size. */
    cfg.memory_budget = before.bytes / 2;
    s = sp_store_new(&cfg);
    t = sp_store_table(s, "SentinelHealth");
    b = sp_builder_new(t);
    for (int i = 0; i < 1000; i++) {
        sp_builder_begin_row(b);
        int n = snprintf(id, sizeof id, "rec-%06d", i);
        sp_builder_set_string(b, col(t, "RecordId"), id, (size_t)n);
        sp_builder_set_datetime(b, col(t, "TimeGenerated"), SP_UNIX_EPOCH_TICKS + (int64_t)(999 - i) * SP_TICKS_PER_SEC);
        sp_builder_end_row(b, NULL);
    }
    sp_builder_free(b);
    sp_store_enforce_retention(s, 0);
    sp_table_stats after;
    sp_table_stats_get(t, &after);
    assert_true(after.bytes <= cfg.memory_budget);
    assert_true(after.rows < 1000 && after.rows > 0);
    /* Rows were written newest-first, so the newest events are the survivors. */
    assert_int_equal(after.max_time, SP_UNIX_EPOCH_TICKS + 999 * SP_TICKS_PER_SEC);
    sp_store_free(s);
}

static void test_colview_convert_widens_on_read(void **st)
{
    (void)st;
    sp_store *s = sp_store_new(NULL);
    sp_table *t = sp_store_table(s, "SigninLogs");
    sp_builder *b = sp_builder_new(t);
    for (int i = 0; i < 4; i++) {
        sp_builder_begin_row(b);
        if (i != 2)
            sp_builder_set_long(b, col(t, "DurationMs"), i * 10);
        sp_builder_end_row(b, NULL);
    }
    sp_chunk *c = sp_builder_seal(b);
    sp_colview v, sv;
    sp_chunk_col(c, col(t, "DurationMs"), &v);
    sp_arena a = {0};
    sp_colview_convert(&v, SP_TYPE_STRING, &a, &sv);
    size_t n;
    const char *p = sp_colview_text(&sv, 3, &n);
    assert_true(sp_streq(p, n, "30", 2));
    sp_colview_text(&sv, 2, &n);
    assert_int_equal(n, 0); /* null long -> "" */
    sp_colview dv;
    sp_colview_convert(&v, SP_TYPE_REAL, &a, &dv);
    assert_true(((const double *)dv.values)[1] == 10.0);
    assert_true(sp_colview_is_null(&dv, 2));
    sp_arena_free(&a);
    sp_chunk_unref(c);
    sp_builder_free(b);
    sp_store_free(s);
}

static void test_real_values_print_as_kusto_does(void **st)
{
    (void)st;
    const struct {
        double v;
        const char *want;
    } cases[] = {{1.5, "1.5"}, {0.1, "0.1"}, {100, "100"}, {1e15, "1E+15"}, {1.25e-7, "1.25E-07"},
                 {0.0001, "0.0001"}, {123456789012.0, "123456789012"}, {-2.5, "-2.5"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        sp_format_real(cases[i].v, buf);
        assert_string_equal(buf, cases[i].want);
    }
}

typedef struct {
    sp_table *t;
    int offset;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    sp_builder *b = sp_builder_new(a->t);
    int idc = col(a->t, "Id");
    char id[32];
    for (int i = 0; i < 20000; i++) {
        sp_builder_begin_row(b);
        int n = snprintf(id, sizeof id, "id-%d", i + a->offset);
        sp_builder_set_string(b, idc, id, (size_t)n);
        sp_builder_end_row(b, NULL);
    }
    sp_builder_free(b);
    return NULL;
}

static void test_concurrent_builders_dedup_across_workers(void **st)
{
    (void)st;
    sp_store_config cfg = {.chunk_rows = 4096};
    sp_store *s = sp_store_new(&cfg);
    sp_table *t = sp_store_table(s, "SigninLogs");
    pthread_t th[2];
    worker_arg args[2] = {{t, 0}, {t, 10000}}; /* ids 0..19999 and 10000..29999 */
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, worker, &args[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    sp_table_stats stats;
    sp_table_stats_get(t, &stats);
    assert_int_equal(stats.rows, 30000);
    assert_int_equal(stats.duplicates, 10000);
    sp_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_declared_schema_has_log_analytics_columns),
        cmocka_unit_test(test_loose_typing_converts_as_log_analytics_does),
        cmocka_unit_test(test_unset_cells_read_as_kusto_nulls),
        cmocka_unit_test(test_exact_redelivery_by_id_is_dropped_and_counted),
        cmocka_unit_test(test_dedup_key_is_the_id_the_row_ends_with),
        cmocka_unit_test(test_tables_without_id_dedup_on_raw_hash),
        cmocka_unit_test(test_inferred_schema_grows_and_widens_without_loss),
        cmocka_unit_test(test_setting_a_cell_twice_keeps_the_last_value),
        cmocka_unit_test(test_dictionary_encoding_where_it_pays),
        cmocka_unit_test(test_dictionary_forgets_entries_of_rolled_back_cells),
        cmocka_unit_test(test_high_cardinality_column_turns_plain_mid_chunk),
        cmocka_unit_test(test_column_that_gave_up_starts_plain_and_retries_every_eighth_chunk),
        cmocka_unit_test(test_raw_json_skips_revalidation_only_when_safe),
        cmocka_unit_test(test_full_builder_seals_itself_and_snapshots_are_incremental),
        cmocka_unit_test(test_retention_evicts_old_chunks_and_forgets_their_ids),
        cmocka_unit_test(test_memory_budget_evicts_oldest_events_first),
        cmocka_unit_test(test_colview_convert_widens_on_read),
        cmocka_unit_test(test_real_values_print_as_kusto_does),
        cmocka_unit_test(test_concurrent_builders_dedup_across_workers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
