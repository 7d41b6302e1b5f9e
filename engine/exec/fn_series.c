/* fn_series.c — small array builtins: range() arrays, array_reverse, array_sum, and sign.
 * Arrays are compact JSON (dynamic), built into the batch arena. */
#include "engine/exec/exec_int.h"

#include <math.h>
#include <string.h>

#define RANGE_MAX_ITEMS 1048576 /* Kusto caps range() at about a million elements */

static void set_json(kfctx *c, kval *out, sp_buf *b)
{
    out->type = SP_TYPE_DYNAMIC;
    out->null = false;
    out->u.s = kstr_dup(c->arena, b->data ? b->data : "", b->len);
    sp_buf_free(b);
}

static void fn_range(kfctx *c, kval *out, const kval *a, int n)
{
    out->type = SP_TYPE_DYNAMIC;
    if (a[0].null || a[1].null || (n > 2 && a[2].null)) {
        out->null = true;
        out->u.s = (kstr){"", 0};
        return;
    }
    sp_buf b = {0};
    sp_buf_putc(&b, '[');
    int count = 0;
    if (a[0].type == SP_TYPE_REAL) {
        double from = a[0].u.r, to = a[1].u.r, step = n > 2 ? a[2].u.r : 1;
        for (double v = from; step != 0 && (step > 0 ? v <= to : v >= to) && count < RANGE_MAX_ITEMS; v = from + step * ++count) {
            char tmp[32];
            if (count)
                sp_buf_putc(&b, ',');
            sp_buf_append(&b, tmp, (size_t)sp_format_real(v, tmp));
        }
    } else {
        int64_t from = a[0].u.l, to = a[1].u.l, step = n > 2 ? a[2].u.l : (a[0].type == SP_TYPE_DATETIME ? SP_TICKS_PER_DAY : 1);
        for (int64_t v = from; step != 0 && (step > 0 ? v <= to : v >= to) && count < RANGE_MAX_ITEMS; v += step) {
            if (count++)
                sp_buf_putc(&b, ',');
            kval x = {.type = a[0].type, .u.l = v};
            kval_to_json(&x, &b);
        }
    }
    sp_buf_putc(&b, ']');
    set_json(c, out, &b);
}

static void fn_array_reverse(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    out->type = SP_TYPE_DYNAMIC;
    if (a[0].null || kj_typeof(a[0].u.s) != KJ_ARRAY) {
        out->null = true;
        out->u.s = (kstr){"", 0};
        return;
    }
    uint32_t len = kj_arr_len(a[0].u.s);
    kstr *items = sp_arena_alloc(c->arena, sizeof(kstr) * (len ? len : 1));
    kj_iter it;
    kstr e;
    uint32_t k = 0;
    kj_arr_begin(a[0].u.s, &it);
    while (kj_arr_next(&it, &e) && k < len)
        items[k++] = e;
    sp_buf b = {0};
    sp_buf_putc(&b, '[');
    for (uint32_t i = 0; i < k; i++) {
        if (i)
            sp_buf_putc(&b, ',');
        sp_buf_append(&b, items[k - 1 - i].p, items[k - 1 - i].n);
    }
    sp_buf_putc(&b, ']');
    set_json(c, out, &b);
}

static void fn_array_sum(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    (void)c;
    out->type = SP_TYPE_REAL;
    if (a[0].null || kj_typeof(a[0].u.s) != KJ_ARRAY) {
        out->null = true;
        return;
    }
    kj_iter it;
    kstr e;
    double sum = 0;
    kj_arr_begin(a[0].u.s, &it);
    while (kj_arr_next(&it, &e)) {
        double v;
        if (kj_typeof(e) != KJ_NUMBER || !sp_parse_f64(e.p, e.n, &v)) {
            out->null = true; /* Kusto: null unless every element is a number */
            return;
        }
        sum += v;
    }
    out->null = false;
    out->u.r = sum;
}

static void fn_sign(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    out->type = c->call->type;
    out->null = a[0].null;
    if (out->null)
        return;
    if (a[0].type == SP_TYPE_REAL) {
        double v = a[0].u.r;
        if (out->type == SP_TYPE_REAL)
            out->u.r = v > 0 ? 1 : v < 0 ? -1 : 0;
        else
            out->u.l = v > 0 ? 1 : v < 0 ? -1 : 0;
    } else {
        out->u.l = a[0].u.l > 0 ? 1 : a[0].u.l < 0 ? -1 : 0;
    }
}

const kfn_reg kfn_series[] = {
    {KB_range, {.scalar = fn_range, .dict_ok = true}},
    {KB_array_reverse, {.scalar = fn_array_reverse, .dict_ok = true}},
    {KB_array_sum, {.scalar = fn_array_sum, .dict_ok = true}},
    {KB_sign, {.scalar = fn_sign, .dict_ok = true}},
    {(kb_id)-1, {0}},
};
