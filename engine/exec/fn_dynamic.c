/* fn_dynamic.c — builtins over dynamic arrays and property bags: array_length/concat/
 * slice/index_of/sort, pack (bag_pack), pack_array, set_difference/union/intersect,
 * set_has_element, bag_keys/merge/remove_keys/has_key, zip.
 *
 * Dynamic values are compact JSON text (dyn.c), so every result is built as text in one
 * pass over views of the inputs; nothing is parsed into a tree.
 *
 * Kusto behaviours pinned here:
 *  - a function that needs an array (or bag) returns null for anything else;
 *  - array_slice takes inclusive bounds, negative ones counting from the end, clamped;
 *  - set_* results are distinct, in order of first appearance; elements compare by value
 *    (1 and 1.0 are the same number);
 *  - bag_merge keeps the first value of a key seen in several bags;
 *  - array_sort_* put nulls last unless told otherwise; values of different kinds order
 *    bool < number < string < array < object;
 *  - zip pads shorter arrays with null.
 */
#include "engine/exec/fn_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool is_array(const kval *v)
{
    return !v->null && v->type == SP_TYPE_DYNAMIC && kj_typeof(v->u.s) == KJ_ARRAY;
}

static bool is_bag(const kval *v)
{
    return !v->null && v->type == SP_TYPE_DYNAMIC && kj_typeof(v->u.s) == KJ_OBJECT;
}

static void dyn_null(kval *out)
{
    kf_null(out, SP_TYPE_DYNAMIC);
}

/* Appends a scalar as a JSON value (null as `null`). */
static void put_value(const kval *v, sp_buf *b)
{
    if (v->null) {
        sp_buf_puts(b, "null");
        return;
    }
    if (v->type == SP_TYPE_STRING || v->type == SP_TYPE_GUID)
        sp_buf_json_string(b, v->u.s.p, v->u.s.n);
    else
        kval_to_json(v, b);
}

/* The identity of an element for set operations: numbers by value, anything else by
 * its compact text (strings unescaped so equivalent escapes agree). */
static void elem_key(kstr e, sp_buf *k)
{
    k->len = 0;
    kj_type t = kj_typeof(e);
    if (t == KJ_NUMBER) {
        double d;
        int64_t l;
        if (sp_parse_i64(e.p, e.n, &l))
            sp_buf_printf(k, "N%lld", (long long)l);
        else if (sp_parse_f64(e.p, e.n, &d) && d == floor(d) && fabs(d) < 9e18)
            sp_buf_printf(k, "N%lld", (long long)d);
        else if (sp_parse_f64(e.p, e.n, &d))
            sp_buf_printf(k, "R%.17g", d);
        else
            sp_buf_append(k, e.p, e.n);
        return;
    }
    if (t == KJ_STRING) {
        sp_buf_putc(k, 'S');
        if (!sp_json_unescape(e.p, e.n, k))
            sp_buf_append(k, e.p, e.n);
        return;
    }
    sp_buf_putc(k, 'J');
    sp_buf_append(k, e.p, e.n);
}

static kval key_val(const sp_buf *k)
{
    return (kval){.type = SP_TYPE_STRING, .u.s = {k->data ? k->data : "", (uint32_t)k->len}};
}

/* Element e equals scalar v (array_index_of, set_has_element). */
static bool elem_equals(kstr e, const kval *v)
{
    kj_type t = kj_typeof(e);
    if (v->null)
        return t == KJ_NULL;
    switch (v->type) {
    case SP_TYPE_STRING:
    case SP_TYPE_GUID: {
        if (t != KJ_STRING)
            return false;
        sp_buf s = {0};
        bool eq = sp_json_unescape(e.p, e.n, &s) && s.len == v->u.s.n && (s.len == 0 || !memcmp(s.data, v->u.s.p, s.len));
        sp_buf_free(&s);
        return eq;
    }
    case SP_TYPE_BOOL: return t == KJ_BOOL && (e.p[0] == 't') == v->u.b;
    case SP_TYPE_INT:
    case SP_TYPE_LONG:
    case SP_TYPE_REAL: {
        double d;
        if (t != KJ_NUMBER || !sp_parse_f64(e.p, e.n, &d))
            return false;
        int64_t l;
        if (v->type != SP_TYPE_REAL && sp_parse_i64(e.p, e.n, &l))
            return l == v->u.l;
        return d == kf_real_of(v);
    }
    case SP_TYPE_DATETIME:
    case SP_TYPE_TIMESPAN: {
        if (t != KJ_STRING)
            return false;
        kval x;
        kj_to_scalar(e, v->type, NULL, &x);
        return !x.null && x.u.l == v->u.l;
    }
    case SP_TYPE_DYNAMIC: {
        sp_buf k1 = {0}, k2 = {0};
        elem_key(e, &k1);
        elem_key(v->u.s, &k2);
        bool eq = k1.len == k2.len && !memcmp(k1.data, k2.data, k1.len);
        sp_buf_free(&k1);
        sp_buf_free(&k2);
        return eq;
    }
    default: return false;
    }
}

/* ---- arrays ---- */

static void fn_array_length(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    if (!is_array(&a[0]))
        kf_null(out, SP_TYPE_LONG);
    else
        kf_long(out, SP_TYPE_LONG, kj_arr_len(a[0].u.s));
}

/* Appends the elements of array v (without brackets). */
static void put_elements(kstr v, sp_buf *b, bool *first)
{
    kj_iter it;
    kstr e;
    if (!kj_arr_begin(v, &it))
        return;
    while (kj_arr_next(&it, &e)) {
        if (!*first)
            sp_buf_putc(b, ',');
        *first = false;
        sp_buf_append(b, e.p, e.n);
    }
}

static void fn_array_concat(kfctx *c, kval *out, const kval *a, int n)
{
    for (int i = 0; i < n; i++)
        if (!is_array(&a[i])) {
            dyn_null(out);
            return;
        }
    sp_buf b = {0};
    bool first = true;
    sp_buf_putc(&b, '[');
    for (int i = 0; i < n; i++)
        put_elements(a[i].u.s, &b, &first);
    sp_buf_putc(&b, ']');
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

static void fn_array_slice(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    if (!is_array(&a[0]) || a[1].null || a[2].null) {
        dyn_null(out);
        return;
    }
    int64_t len = kj_arr_len(a[0].u.s), s = a[1].u.l, e = a[2].u.l;
    if (s < 0)
        s += len;
    if (e < 0)
        e += len;
    if (s < 0)
        s = 0;
    if (e >= len)
        e = len - 1;
    sp_buf b = {0};
    sp_buf_putc(&b, '[');
    kj_iter it;
    kstr el;
    kj_arr_begin(a[0].u.s, &it);
    for (int64_t i = 0; kj_arr_next(&it, &el) && i <= e; i++)
        if (i >= s) {
            if (i > s)
                sp_buf_putc(&b, ',');
            sp_buf_append(&b, el.p, el.n);
        }
    sp_buf_putc(&b, ']');
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

static void fn_array_index_of(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    if (!is_array(&a[0])) {
        kf_null(out, SP_TYPE_LONG);
        return;
    }
    kj_iter it;
    kstr e;
    kj_arr_begin(a[0].u.s, &it);
    for (int64_t i = 0; kj_arr_next(&it, &e); i++)
        if (elem_equals(e, &a[1])) {
            kf_long(out, SP_TYPE_LONG, i);
            return;
        }
    kf_long(out, SP_TYPE_LONG, -1);
}

static void fn_set_has_element(kfctx *c, kval *out, const kval *a, int n)
{
    kfn_scalar idx = fn_array_index_of;
    kval r;
    idx(c, &r, a, n);
    if (r.null)
        kf_null(out, SP_TYPE_BOOL);
    else
        kf_bool(out, r.u.l >= 0);
}

typedef struct sort_item {
    kstr e;
    int rank; /* 0 null, 1 bool, 2 number, 3 string, 4 array, 5 object */
    double num;
    uint32_t pos;
} sort_item;

static int rank_of(kstr e)
{
    switch (kj_typeof(e)) {
    case KJ_BOOL: return 1;
    case KJ_NUMBER: return 2;
    case KJ_STRING: return 3;
    case KJ_ARRAY: return 4;
    case KJ_OBJECT: return 5;
    default: return 0;
    }
}

static int cmp_items(const sort_item *x, const sort_item *y)
{
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    if (x->rank == 2)
        return (x->num > y->num) - (x->num < y->num);
    if (x->rank == 1)
        return (x->e.p[0] == 't') - (y->e.p[0] == 't');
    uint32_t m = SP_MIN(x->e.n, y->e.n);
    int r = m ? memcmp(x->e.p, y->e.p, m) : 0;
    return r ? r : (x->e.n > y->e.n) - (x->e.n < y->e.n);
}

/* Orders two items with nulls first or last; ties keep input order (stable). */
static int sort_cmp(const sort_item *x, const sort_item *y, bool desc, bool nulls_last)
{
    if ((x->rank == 0) != (y->rank == 0)) {
        bool xnull = x->rank == 0;
        return (xnull == nulls_last) ? 1 : -1;
    }
    int r = cmp_items(x, y);
    if (desc)
        r = -r;
    return r ? r : (x->pos > y->pos) - (x->pos < y->pos);
}

static void merge_sort(sort_item *v, sort_item *tmp, size_t n, bool desc, bool nulls_last)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(v, tmp, h, desc, nulls_last);
    merge_sort(v + h, tmp, n - h, desc, nulls_last);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = sort_cmp(&v[i], &v[j], desc, nulls_last) <= 0 ? v[i++] : v[j++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, sizeof *v * n);
}

static void fn_array_sort(kfctx *c, kval *out, const kval *a, int n)
{
    if (!is_array(&a[0])) {
        dyn_null(out);
        return;
    }
    bool desc = c->call->fn == KB_array_sort_desc;
    bool nulls_last = n > 1 && !a[1].null ? a[1].u.b : true;
    uint32_t len = kj_arr_len(a[0].u.s);
    sort_item *items = sp_arena_alloc(c->arena, sizeof *items * (len ? len : 1) * 2);
    sort_item *tmp = items + (len ? len : 1);
    kj_iter it;
    kstr e;
    uint32_t k = 0;
    kj_arr_begin(a[0].u.s, &it);
    while (kj_arr_next(&it, &e) && k < len) {
        items[k] = (sort_item){.e = e, .rank = rank_of(e), .pos = k};
        if (items[k].rank == 2 && !sp_parse_f64(e.p, e.n, &items[k].num))
            items[k].num = 0;
        k++;
    }
    merge_sort(items, tmp, k, desc, nulls_last);
    sp_buf b = {0};
    sp_buf_putc(&b, '[');
    for (uint32_t i = 0; i < k; i++) {
        if (i)
            sp_buf_putc(&b, ',');
        sp_buf_append(&b, items[i].e.p, items[i].e.n);
    }
    sp_buf_putc(&b, ']');
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

static void fn_pack_array(kfctx *c, kval *out, const kval *a, int n)
{
    sp_buf b = {0};
    sp_buf_putc(&b, '[');
    for (int i = 0; i < n; i++) {
        if (i)
            sp_buf_putc(&b, ',');
        put_value(&a[i], &b);
    }
    sp_buf_putc(&b, ']');
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

static void fn_zip(kfctx *c, kval *out, const kval *a, int n)
{
    uint32_t max = 0;
    for (int i = 0; i < n; i++) {
        if (!is_array(&a[i])) {
            dyn_null(out);
            return;
        }
        max = SP_MAX(max, kj_arr_len(a[i].u.s));
    }
    kj_iter *its = sp_arena_alloc(c->arena, sizeof *its * (size_t)n);
    bool *live = sp_arena_alloc(c->arena, (size_t)n);
    for (int i = 0; i < n; i++)
        live[i] = kj_arr_begin(a[i].u.s, &its[i]);
    sp_buf b = {0};
    sp_buf_putc(&b, '[');
    for (uint32_t r = 0; r < max; r++) {
        if (r)
            sp_buf_putc(&b, ',');
        sp_buf_putc(&b, '[');
        for (int i = 0; i < n; i++) {
            kstr e;
            if (i)
                sp_buf_putc(&b, ',');
            if (live[i] && kj_arr_next(&its[i], &e))
                sp_buf_append(&b, e.p, e.n);
            else {
                live[i] = false;
                sp_buf_puts(&b, "null");
            }
        }
        sp_buf_putc(&b, ']');
    }
    sp_buf_putc(&b, ']');
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

/* ---- sets ---- */

static void fn_set_op(kfctx *c, kval *out, const kval *a, int n)
{
    kb_id op = c->call->fn;
    for (int i = 0; i < n; i++)
        if (!is_array(&a[i])) {
            dyn_null(out);
            return;
        }
    /* others: union of the arrays a[1..] (difference) or one set per array (intersect) */
    kset **sets = sp_arena_calloc(c->arena, sizeof(kset *) * (size_t)n);
    sp_buf k = {0};
    if (op != KB_set_union)
        for (int i = 1; i < n; i++) {
            sets[i] = kset_new(false);
            kj_iter it;
            kstr e;
            kj_arr_begin(a[i].u.s, &it);
            while (kj_arr_next(&it, &e)) {
                elem_key(e, &k);
                kval kv = key_val(&k);
                kset_add(sets[i], &kv);
            }
        }
    kset *seen = kset_new(false);
    sp_buf b = {0};
    sp_buf_putc(&b, '[');
    bool first = true;
    int srcs = op == KB_set_union ? n : 1;
    for (int s = 0; s < srcs; s++) {
        kj_iter it;
        kstr e;
        kj_arr_begin(a[s].u.s, &it);
        while (kj_arr_next(&it, &e)) {
            elem_key(e, &k);
            kval kv = key_val(&k);
            if (kset_has(seen, &kv))
                continue;
            bool keep = true;
            for (int i = 1; i < n && op != KB_set_union; i++) {
                bool in = kset_has(sets[i], &kv);
                if (op == KB_set_difference ? in : !in) {
                    keep = false;
                    break;
                }
            }
            kset_add(seen, &kv);
            if (!keep)
                continue;
            if (!first)
                sp_buf_putc(&b, ',');
            first = false;
            sp_buf_append(&b, e.p, e.n);
        }
    }
    sp_buf_putc(&b, ']');
    for (int i = 0; i < n; i++)
        kset_free(sets[i]);
    kset_free(seen);
    sp_buf_free(&k);
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

/* ---- bags ---- */

static void fn_pack(kfctx *c, kval *out, const kval *a, int n)
{
    sp_buf b = {0}, ki = {0}, kj = {0};
    sp_buf_putc(&b, '{');
    bool first = true;
    for (int i = 0; i + 1 < n; i += 2) {
        ki.len = 0;
        kval_to_text(&a[i], &ki);
        bool dup = false;
        for (int j = 0; j < i && !dup; j += 2) {
            kj.len = 0;
            kval_to_text(&a[j], &kj);
            dup = kj.len == ki.len && (ki.len == 0 || !memcmp(ki.data, kj.data, ki.len));
        }
        if (dup)
            continue; /* emitted at its first position, with its last value */
        int last = i;
        for (int j = i + 2; j + 1 < n; j += 2) {
            kj.len = 0;
            kval_to_text(&a[j], &kj);
            if (kj.len == ki.len && (ki.len == 0 || !memcmp(ki.data, kj.data, ki.len)))
                last = j;
        }
        if (!first)
            sp_buf_putc(&b, ',');
        first = false;
        sp_buf_json_string(&b, ki.data ? ki.data : "", ki.len);
        sp_buf_putc(&b, ':');
        put_value(&a[last + 1], &b);
    }
    sp_buf_putc(&b, '}');
    sp_buf_free(&ki);
    sp_buf_free(&kj);
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

static void fn_bag_keys(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    if (!is_bag(&a[0])) {
        dyn_null(out);
        return;
    }
    sp_buf b = {0};
    sp_buf_putc(&b, '[');
    kj_iter it;
    kstr k, v;
    bool first = true;
    kj_obj_begin(a[0].u.s, &it);
    while (kj_obj_next(&it, &k, &v)) {
        if (!first)
            sp_buf_putc(&b, ',');
        first = false;
        sp_buf_append(&b, k.p, k.n);
    }
    sp_buf_putc(&b, ']');
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

static void fn_bag_merge(kfctx *c, kval *out, const kval *a, int n)
{
    sp_buf b = {0};
    kset *seen = kset_new(false);
    bool first = true;
    sp_buf_putc(&b, '{');
    for (int i = 0; i < n; i++)
        if (is_bag(&a[i]))
            kexec_bag_members(a[i].u.s.p, a[i].u.s.n, &b, seen, &first);
    sp_buf_putc(&b, '}');
    kset_free(seen);
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

/* Writes obj without the member at path steps[0..n) (nested objects are rebuilt). */
static void remove_path(kstr obj, const kf_step *steps, int n, sp_buf *b)
{
    kj_iter it;
    kstr k, v;
    bool first = true;
    sp_buf_putc(b, '{');
    kj_obj_begin(obj, &it);
    while (kj_obj_next(&it, &k, &v)) {
        bool hit = !steps[0].is_index && kj_key_eq(k, steps[0].name, steps[0].len);
        if (hit && n == 1)
            continue;
        if (!first)
            sp_buf_putc(b, ',');
        first = false;
        sp_buf_append(b, k.p, k.n);
        sp_buf_putc(b, ':');
        if (hit && kj_typeof(v) == KJ_OBJECT)
            remove_path(v, steps + 1, n - 1, b);
        else
            sp_buf_append(b, v.p, v.n);
    }
    sp_buf_putc(b, '}');
}

static void fn_bag_remove_keys(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    if (!is_bag(&a[0])) {
        dyn_null(out);
        return;
    }
    kstr cur = a[0].u.s;
    sp_buf bufs[2] = {{0}, {0}};
    int which = 0;
    kj_iter it;
    kstr e;
    if (is_array(&a[1])) {
        kj_arr_begin(a[1].u.s, &it);
        while (kj_arr_next(&it, &e)) {
            if (kj_typeof(e) != KJ_STRING)
                continue;
            sp_buf key = {0};
            kf_step steps[32];
            int ns = 0, r;
            size_t i = 0;
            if (!sp_json_unescape(e.p, e.n, &key)) {
                sp_buf_free(&key);
                continue;
            }
            const char *path_text = key.data ? key.data : "";
            while (ns < 32 && (r = kf_path_next(path_text, key.len, &i, &steps[ns])) == 1)
                ns++;
            if (ns > 0 && r != -1) {
                sp_buf *dst = &bufs[which];
                dst->len = 0;
                remove_path(cur, steps, ns, dst);
                cur = (kstr){dst->data, (uint32_t)dst->len};
                which ^= 1;
            }
            sp_buf_free(&key);
        }
    }
    kf_str(c, out, SP_TYPE_DYNAMIC, cur.p, cur.n);
    sp_buf_free(&bufs[0]);
    sp_buf_free(&bufs[1]);
}

static void fn_bag_has_key(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    kstr v;
    if (!is_bag(&a[0])) {
        kf_bool(out, false);
        return;
    }
    kf_bool(out, kf_path_get(a[0].u.s, a[1].u.s, &v));
}

#define SCALAR(id, fn) {KB_##id, {.scalar = fn, .dict_ok = true}}

const kfn_reg kfn_dynamic[] = {
    SCALAR(array_length, fn_array_length),
    SCALAR(array_concat, fn_array_concat),
    SCALAR(array_slice, fn_array_slice),
    SCALAR(array_index_of, fn_array_index_of),
    SCALAR(array_sort_asc, fn_array_sort),
    SCALAR(array_sort_desc, fn_array_sort),
    SCALAR(pack, fn_pack),
    SCALAR(pack_array, fn_pack_array),
    SCALAR(set_difference, fn_set_op),
    SCALAR(set_union, fn_set_op),
    SCALAR(set_intersect, fn_set_op),
    SCALAR(set_has_element, fn_set_has_element),
    SCALAR(bag_keys, fn_bag_keys),
    SCALAR(bag_merge, fn_bag_merge),
    SCALAR(bag_remove_keys, fn_bag_remove_keys),
    SCALAR(bag_has_key, fn_bag_has_key),
    SCALAR(zip, fn_zip),
    {(kb_id)-1, {0}},
};
