/* convert.c — converting one value between Kusto types, shared by builders (loose typing
 * at ingest, widening of inferred columns) and readers (chunks with an older, narrower
 * physical type than the table's schema).
 *
 * Two modes. Loose conversions are what Kusto's to*() functions and Log Analytics'
 * ingestion do with Microsoft's loosely typed JSON (`"4"` into a string column, `"239"`
 * into a long column, ISO text into datetime). Strict conversions are only the lossless
 * widenings of sp_type_widen, used for inferred schemas where the data decides the type.
 */
#include "engine/store/store_int.h"

#include <math.h>
#include <string.h>

static const char *trim(const char *s, size_t *n)
{
    while (*n && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        (*n)--;
    }
    while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
        (*n)--;
    return s;
}

void sp_format_value(sp_buf *out, sp_type t, const void *value)
{
    char tmp[48];
    int n = 0;
    switch (t) {
    case SP_TYPE_BOOL: sp_buf_puts(out, *(const uint8_t *)value ? "true" : "false"); return;
    case SP_TYPE_INT: n = snprintf(tmp, sizeof tmp, "%d", *(const int32_t *)value); break;
    case SP_TYPE_LONG: n = snprintf(tmp, sizeof tmp, "%lld", (long long)*(const int64_t *)value); break;
    case SP_TYPE_REAL: n = sp_format_real(*(const double *)value, tmp); break;
    case SP_TYPE_DATETIME: n = sp_datetime_format(*(const int64_t *)value, tmp); break;
    case SP_TYPE_TIMESPAN: n = sp_timespan_format(*(const int64_t *)value, tmp); break;
    default: return;
    }
    sp_buf_append(out, tmp, (size_t)n);
}

static const void *cell_fixed_ptr(const cell *c, uint8_t *bool_tmp)
{
    if (c->type == SP_TYPE_BOOL) {
        *bool_tmp = c->v.b;
        return bool_tmp;
    }
    if (c->type == SP_TYPE_INT)
        return &c->v.i;
    if (c->type == SP_TYPE_REAL)
        return &c->v.r;
    return &c->v.l;
}

/* Appends the JSON form of a non-text cell (numbers and bools bare, times quoted). */
static void fixed_to_json(const cell *c, sp_buf *out)
{
    uint8_t bt;
    if (c->type == SP_TYPE_REAL && !isfinite(c->v.r)) {
        char tmp[32];
        int n = sp_format_real(c->v.r, tmp);
        sp_buf_json_string(out, tmp, (size_t)n);
        return;
    }
    if (c->type == SP_TYPE_DATETIME || c->type == SP_TYPE_TIMESPAN) {
        sp_buf tmp = {0};
        sp_format_value(&tmp, c->type, &c->v.l);
        sp_buf_json_string(out, tmp.data, tmp.len);
        sp_buf_free(&tmp);
        return;
    }
    sp_format_value(out, c->type, cell_fixed_ptr(c, &bt));
}

/* The text a dynamic JSON value stands for when read as a scalar: a JSON string's
 * contents, otherwise the JSON text itself (numbers, bools, objects). */
static void dynamic_scalar_text(const char *j, size_t n, sp_buf *out, const char **p, size_t *len)
{
    if (n >= 2 && j[0] == '"') {
        size_t at = out->len;
        if (sp_json_unescape(j, n, out)) {
            *p = out->data + at;
            *len = out->len - at;
            return;
        }
    }
    *p = j;
    *len = n;
}

static bool text_to_fixed(const char *s, size_t n, sp_type to, cell *out)
{
    s = trim(s, &n);
    switch (to) {
    case SP_TYPE_LONG: return sp_parse_i64(s, n, &out->v.l);
    case SP_TYPE_INT: {
        int64_t v;
        if (!sp_parse_i64(s, n, &v) || v < INT32_MIN || v > INT32_MAX)
            return false;
        out->v.i = (int32_t)v;
        return true;
    }
    case SP_TYPE_REAL: return sp_parse_f64(s, n, &out->v.r);
    case SP_TYPE_BOOL:
        if (sp_ieq(s, n, "true", 4) || sp_streq(s, n, "1", 1)) {
            out->v.b = true;
            return true;
        }
        if (sp_ieq(s, n, "false", 5) || sp_streq(s, n, "0", 1)) {
            out->v.b = false;
            return true;
        }
        return false;
    case SP_TYPE_DATETIME: return sp_datetime_parse(s, n, &out->v.l);
    case SP_TYPE_TIMESPAN: return sp_timespan_parse(s, n, &out->v.l);
    default: return false;
    }
}

static bool fixed_to_fixed(const cell *c, sp_type to, bool loose, cell *out)
{
    sp_type f = c->type;
    int64_t l = f == SP_TYPE_INT ? c->v.i : f == SP_TYPE_BOOL ? c->v.b : c->v.l;
    switch (to) {
    case SP_TYPE_LONG:
        if (f == SP_TYPE_INT || (loose && (f == SP_TYPE_BOOL || f == SP_TYPE_TIMESPAN))) {
            out->v.l = l;
            return true;
        }
        if (loose && f == SP_TYPE_REAL && c->v.r == floor(c->v.r) && fabs(c->v.r) < 9.2e18) {
            out->v.l = (int64_t)c->v.r;
            return true;
        }
        return false;
    case SP_TYPE_INT:
        if (!loose)
            return false;
        if (f == SP_TYPE_LONG || f == SP_TYPE_BOOL) {
            if (l < INT32_MIN || l > INT32_MAX)
                return false;
            out->v.i = (int32_t)l;
            return true;
        }
        if (f == SP_TYPE_REAL && c->v.r == floor(c->v.r) && fabs(c->v.r) <= INT32_MAX) {
            out->v.i = (int32_t)c->v.r;
            return true;
        }
        return false;
    case SP_TYPE_REAL:
        if (f == SP_TYPE_INT || f == SP_TYPE_LONG || (loose && f == SP_TYPE_BOOL)) {
            out->v.r = (double)l;
            return true;
        }
        return false;
    case SP_TYPE_BOOL:
        if (loose && (f == SP_TYPE_INT || f == SP_TYPE_LONG) && (l == 0 || l == 1)) {
            out->v.b = l == 1;
            return true;
        }
        return false;
    case SP_TYPE_TIMESPAN:
        if (loose && (f == SP_TYPE_LONG || f == SP_TYPE_INT)) {
            out->v.l = l;
            return true;
        }
        return false;
    default: return false;
    }
}

bool cell_convert(const cell *c, sp_type to, bool loose, sp_buf *scratch, cell *out)
{
    memset(out, 0, sizeof *out);
    out->type = to;
    if (c->null) {
        out->null = to != SP_TYPE_STRING && to != SP_TYPE_GUID;
        out->text = "";
        return true;
    }
    if (c->type == to ||
        (sp_type_is_text(to) && to != SP_TYPE_DYNAMIC && sp_type_is_text(c->type) && c->type != SP_TYPE_DYNAMIC)) {
        out->v = c->v;
        out->text = c->text;
        out->len = c->len;
        return true;
    }
    size_t at = scratch->len;
    switch (to) {
    case SP_TYPE_STRING:
    case SP_TYPE_GUID:
        if (c->type == SP_TYPE_DYNAMIC) {
            if (!loose && to == SP_TYPE_GUID)
                return false;
            dynamic_scalar_text(c->text, c->len, scratch, &out->text, &out->len);
            return true;
        }
        if (to == SP_TYPE_GUID && !loose)
            return false;
        {
            uint8_t bt;
            sp_format_value(scratch, c->type, cell_fixed_ptr(c, &bt));
        }
        break;
    case SP_TYPE_DYNAMIC:
        if (sp_type_is_text(c->type))
            sp_buf_json_string(scratch, c->text, c->len);
        else
            fixed_to_json(c, scratch);
        break;
    default:
        if (sp_type_is_text(c->type)) {
            if (!loose)
                return false;
            const char *p = c->text;
            size_t n = c->len;
            if (c->type == SP_TYPE_DYNAMIC) {
                if (n == 4 && !memcmp(p, "null", 4)) {
                    out->null = true;
                    return true;
                }
                dynamic_scalar_text(c->text, c->len, scratch, &p, &n);
            }
            bool ok = text_to_fixed(p, n, to, out);
            scratch->len = at;
            return ok;
        }
        return fixed_to_fixed(c, to, loose, out);
    }
    out->text = scratch->data + at;
    out->len = scratch->len - at;
    return true;
}

void cell_from_view(const sp_colview *v, uint32_t r, cell *out)
{
    memset(out, 0, sizeof *out);
    out->type = v->type;
    if (sp_type_is_text(v->type)) {
        out->text = sp_colview_text(v, r, &out->len);
        /* a string cell without a string (absent, JSON null) converts as a null */
        out->null = v->type == SP_TYPE_DYNAMIC ? out->len == 0 : sp_bit(v->unset, r);
        return;
    }
    out->null = sp_colview_is_null(v, r);
    if (out->null)
        return;
    switch (v->type) {
    case SP_TYPE_BOOL: out->v.b = ((const uint8_t *)v->values)[r] != 0; break;
    case SP_TYPE_INT: out->v.i = ((const int32_t *)v->values)[r]; break;
    case SP_TYPE_REAL: out->v.r = ((const double *)v->values)[r]; break;
    default: out->v.l = ((const int64_t *)v->values)[r]; break;
    }
}

static void put_fixed(void *values, sp_type t, uint32_t r, const cell *c)
{
    switch (t) {
    case SP_TYPE_BOOL: ((uint8_t *)values)[r] = c->v.b; break;
    case SP_TYPE_INT: ((int32_t *)values)[r] = c->v.i; break;
    case SP_TYPE_REAL: ((double *)values)[r] = c->v.r; break;
    default: ((int64_t *)values)[r] = c->v.l; break;
    }
}

/* The unset bitmap of a string view converted from in: the rows whose value is null
 * (absent or JSON null, or a string cell that had no string). NULL when there is none. */
static const uint8_t *unset_of(const sp_colview *in, sp_arena *arena)
{
    if (in->type == SP_TYPE_STRING || in->type == SP_TYPE_GUID)
        return in->unset;
    uint8_t *bits = NULL;
    for (uint32_t r = 0; r < in->rows; r++)
        if (sp_colview_is_null(in, r)) {
            if (!bits)
                bits = sp_arena_calloc(arena, (size_t)in->rows / 8 + 1);
            bits[r >> 3] |= (uint8_t)(1u << (r & 7));
        }
    return bits;
}

void sp_colview_convert(const sp_colview *in, sp_type to, sp_arena *arena, sp_colview *out)
{
    if (in->type == to) {
        *out = *in;
        return;
    }
    memset(out, 0, sizeof *out);
    out->type = to;
    out->rows = in->rows;
    out->jnull = in->jnull;
    if (to == SP_TYPE_STRING || to == SP_TYPE_GUID)
        out->unset = unset_of(in, arena);
    sp_buf scratch = {0};
    cell c, d;
    if (sp_type_is_text(to)) {
        /* Convert each distinct entry once and keep the codes of a dictionary; row by row
         * when some string cells have no string (they become nulls, not the entry ""). */
        bool by_entry = sp_type_is_text(in->type) && !(in->unset && to == SP_TYPE_DYNAMIC);
        uint32_t n = by_entry ? in->nentries : in->rows;
        uint32_t *offs = sp_arena_alloc(arena, sizeof(uint32_t) * ((size_t)n + 1));
        sp_buf bytes = {0};
        offs[0] = 0;
        for (uint32_t k = 0; k < n; k++) {
            if (by_entry) {
                memset(&c, 0, sizeof c);
                c.type = in->type;
                c.text = in->bytes + in->offs[k];
                c.len = in->offs[k + 1] - in->offs[k];
                c.null = in->type == SP_TYPE_DYNAMIC && c.len == 0;
            } else {
                cell_from_view(in, k, &c);
            }
            scratch.len = 0;
            if (cell_convert(&c, to, true, &scratch, &d) && !d.null)
                sp_buf_append(&bytes, d.text, d.len);
            offs[k + 1] = (uint32_t)bytes.len;
        }
        char *b = sp_arena_alloc(arena, bytes.len + 1);
        if (bytes.len)
            memcpy(b, bytes.data, bytes.len);
        sp_buf_free(&bytes);
        out->offs = offs;
        out->bytes = b;
        out->nentries = n;
        out->enc = by_entry ? in->enc : SP_ENC_PLAIN;
        out->codes = by_entry ? in->codes : NULL;
        out->codes8 = by_entry ? in->codes8 : NULL;
    } else {
        size_t w = sp_type_width(to);
        void *vals = sp_arena_calloc(arena, w * in->rows + 8);
        uint8_t *valid = sp_arena_calloc(arena, (in->rows + 7) / 8 + 1);
        bool any_null = false;
        for (uint32_t r = 0; r < in->rows; r++) {
            cell_from_view(in, r, &c);
            scratch.len = 0;
            if (cell_convert(&c, to, true, &scratch, &d) && !d.null) {
                put_fixed(vals, to, r, &d);
                valid[r >> 3] |= (uint8_t)(1u << (r & 7));
            } else {
                any_null = true;
            }
        }
        out->values = vals;
        out->valid = any_null ? valid : NULL;
        out->enc = SP_ENC_PLAIN;
    }
    sp_buf_free(&scratch);
}
