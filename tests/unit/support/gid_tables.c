/* gid_tables.c — builds the tables of gid_tables.h row by row through the store's
 * builders, as ingest would. */
#include "tests/unit/support/gid_tables.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

gt_cell gt_row(gt_shape sh, int i, char *u, char *ip, char *k, char *g, char *l)
{
    int chunk = i / GT_CHUNK;
    if (sh == GT_GIVEN_UP && i < 17000)
        sprintf(u, "x%d", i);
    else if (sh == GT_GIVEN_UP)
        sprintf(u, i % 3 ? "x%d" : "a%d", (i * 7) % 2500);
    else if (chunk % 2 == 0)
        sprintf(u, i % 4 ? "a%d" : "A%d", (i / 4) % 20); /* 40 texts a chunk, equal but for case */
    else
        sprintf(u, "u%d", (i * 7) % 1000); /* 500 distinct texts a chunk */
    sprintf(ip, "10.0.%d.%d", (i / 7) % 5, (i * 3) % 11);
    sprintf(k, "k%d", i % 3);
    if (i % 13 == 6)
        g[0] = 0;
    else
        sprintf(g, "00000000-0000-0000-0000-0000000000%02d", (i * 5) % 41);
    sprintf(l, "late%d", (i * 11) % 300);
    gt_cell c = i % 31 == 5 ? GT_UNSET : i % 37 == 7 ? GT_NULL : GT_TEXT;
    if (c != GT_TEXT || i % 29 == 3)
        u[0] = 0; /* the empty string is a group and a value */
    return c;
}

bool gt_at(int i, int64_t *ticks)
{
    /* 2024-03-01, then up to ~28 hours on in steps of 37 s, out of row order */
    sp_datetime_parse("2024-03-01", 10, ticks);
    *ticks += (int64_t)((i * 7919) % 2731) * 37 * SP_TICKS_PER_SEC;
    return i % 11 != 4;
}

static void fill_t(sp_store *s, gt_shape sh, int rows)
{
    sp_builder *b = sp_builder_new(sp_store_table(s, "T"));
    int cu = sp_builder_column(b, "U", 1, SP_TYPE_STRING), cip = sp_builder_column(b, "IP", 2, SP_TYPE_STRING);
    int ck = sp_builder_column(b, "K", 1, SP_TYPE_STRING), cn = sp_builder_column(b, "N", 1, SP_TYPE_LONG);
    int cat = sp_builder_column(b, "At", 2, SP_TYPE_DATETIME);
    int cl = -1;
    char u[48], ip[48], k[48], g[48], l[48];
    for (int i = 0; i < rows; i++) {
        gt_cell c = gt_row(sh, i, u, ip, k, g, l);
        sp_builder_begin_row(b);
        if (i == GT_LATE_ROW)
            cl = sp_builder_column(b, "L", 1, SP_TYPE_STRING);
        if (c == GT_NULL)
            sp_builder_set_null(b, cu);
        else if (c == GT_TEXT)
            sp_builder_set_string(b, cu, u, strlen(u));
        sp_builder_set_string(b, cip, ip, strlen(ip));
        sp_builder_set_string(b, ck, k, strlen(k));
        sp_builder_set_long(b, cn, i % 17);
        int64_t at;
        if (gt_at(i, &at))
            sp_builder_set_datetime(b, cat, at);
        if (cl >= 0)
            sp_builder_set_string(b, cl, l, strlen(l));
        assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_STORED);
    }
    sp_builder_free(b);
}

/* A declared table's guid column: inferred tables keep guids as strings. */
static void fill_guids(sp_store *s, gt_shape sh, int rows)
{
    sp_table *t = sp_store_table(s, "AzureDiagnostics");
    const sp_schema *sc = sp_table_schema(t);
    int cg = sp_schema_find(sc, "Tenant_g", 8), cn = sp_schema_find(sc, "DurationMs", 10);
    int cip = sp_schema_find(sc, "clientIp_s", 10);
    assert_true(cg >= 0 && cn >= 0 && cip >= 0);
    assert_int_equal(sc->cols[cg].type, SP_TYPE_GUID);
    sp_builder *b = sp_builder_new(t);
    char u[48], ip[48], k[48], g[48], l[48];
    for (int i = 0; i < rows; i++) {
        gt_row(sh, i, u, ip, k, g, l);
        sp_builder_begin_row(b);
        if (g[0])
            assert_int_equal(sp_builder_set_string(b, cg, g, strlen(g)), 0);
        sp_builder_set_long(b, cn, i % 17);
        sp_builder_set_string(b, cip, ip, strlen(ip));
        assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_STORED);
    }
    sp_builder_free(b);
}

static int setup(void **state, gt_shape sh, int rows, uint32_t chunk_rows)
{
    gt_fixture *f = calloc(1, sizeof *f);
    f->shape = sh;
    f->rows = rows;
    sp_store_config cfg = {.chunk_rows = chunk_rows, .no_dedup = true};
    if (sh == GT_RETIRED)
        cfg.tdict_max_entries = 700;
    f->store = sp_store_new(&cfg);
    fill_t(f->store, sh, rows);
    fill_guids(f->store, sh, rows);
    *state = f;
    return 0;
}

int gt_setup_mixed(void **state)
{
    return setup(state, GT_MIXED, 6000, GT_CHUNK);
}

int gt_setup_retired(void **state)
{
    return setup(state, GT_RETIRED, 6000, GT_CHUNK);
}

int gt_setup_given_up(void **state)
{
    return setup(state, GT_GIVEN_UP, 21000, GT_CHUNK);
}

int gt_setup_wide(void **state)
{
    return setup(state, GT_MIXED, 6000, GT_WIDE_CHUNK);
}

int gt_teardown(void **state)
{
    gt_fixture *f = *state;
    sp_store_free(f->store);
    free(f);
    return 0;
}
