/* store_cells.c — test helpers that read store cells back as text, so ingest tests can
 * pin exact values ("<null>" for a null cell, Kusto's text for fixed types, the JSON
 * text for dynamic). */
#include "tests/unit/support/store_cells.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cell_text(sp_store *s, const char *table, uint64_t row, const char *col)
{
    sp_table *t = sp_store_find(s, table);
    if (!t)
        return sp_xstrdup("<no table>");
    sp_snapshot *snap = sp_table_snapshot(t);
    int ci = sp_schema_find(snap->schema, col, strlen(col));
    if (ci < 0) {
        sp_snapshot_free(snap);
        return sp_xstrdup("<no column>");
    }
    sp_type want = snap->schema->cols[ci].type;
    char *res = NULL;
    for (int k = 0; k < snap->nchunks && !res; k++) {
        sp_chunk *c = snap->chunks[k];
        uint32_t n = sp_chunk_rows(c);
        if (row >= n) {
            row -= n;
            continue;
        }
        sp_colview v0, v;
        sp_arena a = {0};
        sp_chunk_col(c, ci, &v0);
        sp_colview_convert(&v0, want, &a, &v);
        uint32_t r = (uint32_t)row;
        if (sp_colview_is_null(&v, r)) {
            res = sp_xstrdup("<null>");
        } else if (sp_type_is_text(v.type)) {
            size_t len;
            const char *p = sp_colview_text(&v, r, &len);
            res = sp_xstrndup(p, len);
        } else {
            sp_buf b = {0};
            const char *vals = v.values;
            sp_format_value(&b, v.type, vals + (size_t)r * sp_type_width(v.type));
            res = sp_xstrdup(sp_buf_cstr(&b));
            sp_buf_free(&b);
        }
        sp_arena_free(&a);
    }
    sp_snapshot_free(snap);
    return res ? res : sp_xstrdup("<no row>");
}

uint64_t table_rows(sp_store *s, const char *table)
{
    sp_table *t = sp_store_find(s, table);
    if (!t)
        return 0;
    sp_table_stats st;
    sp_table_stats_get(t, &st);
    return st.rows;
}

int table_ncols(sp_store *s, const char *table)
{
    sp_table *t = sp_store_find(s, table);
    return t ? sp_table_schema(t)->ncols : 0;
}

const char *column_type(sp_store *s, const char *table, const char *col)
{
    sp_table *t = sp_store_find(s, table);
    if (!t)
        return "<none>";
    const sp_schema *sc = sp_table_schema(t);
    int i = sp_schema_find(sc, col, strlen(col));
    return i < 0 ? "<none>" : sp_type_name(sc->cols[i].type);
}

bool cell_is(sp_store *s, const char *table, uint64_t row, const char *col, const char *want, int line)
{
    char *got = cell_text(s, table, row, col);
    bool ok = strcmp(got, want) == 0;
    if (!ok)
        fprintf(stderr, "line %d: %s[%llu].%s = '%s', want '%s'\n", line, table, (unsigned long long)row,
                col, got, want);
    free(got);
    return ok;
}
