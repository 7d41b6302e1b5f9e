/* dyn.c — navigating dynamic values. Dynamic columns hold compact JSON (validated and
 * minified at ingest or by parse_json), so a member or an element is a substring of its
 * parent: access like `DeviceDetail.trustType` or `x[0]` scans bytes and returns a view,
 * without parsing into a tree or copying. */
#include "engine/exec/exec_int.h"

#include <string.h>

kj_type kj_typeof(kstr v)
{
    if (!v.n)
        return KJ_NULL;
    switch (v.p[0]) {
    case '{': return KJ_OBJECT;
    case '[': return KJ_ARRAY;
    case '"': return KJ_STRING;
    case 't':
    case 'f': return KJ_BOOL;
    case 'n': return KJ_NULL;
    default: return (v.p[0] == '-' || (v.p[0] >= '0' && v.p[0] <= '9')) ? KJ_NUMBER : KJ_INVALID;
    }
}

static const char *skip_string(const char *p, const char *end)
{
    p++; /* opening quote */
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q)
            return NULL;
        /* Count the backslashes before the quote: odd means escaped. */
        const char *b = q;
        while (b > p && b[-1] == '\\')
            b--;
        if (((q - b) & 1) == 0)
            return q + 1;
        p = q + 1;
    }
    return NULL;
}

const char *kj_skip(const char *p, const char *end)
{
    if (p >= end)
        return NULL;
    switch (*p) {
    case '"': return skip_string(p, end);
    case '{':
    case '[': {
        int depth = 0;
        while (p < end) {
            char c = *p;
            if (c == '"') {
                p = skip_string(p, end);
                if (!p)
                    return NULL;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return p + 1;
            }
            p++;
        }
        return NULL;
    }
    default:
        while (p < end && *p != ',' && *p != '}' && *p != ']')
            p++;
        return p;
    }
}

bool kj_obj_begin(kstr v, kj_iter *it)
{
    if (v.n < 2 || v.p[0] != '{')
        return false;
    it->p = v.p + 1;
    it->end = v.p + v.n - 1;
    it->first = true;
    return true;
}

bool kj_obj_next(kj_iter *it, kstr *key, kstr *value)
{
    if (it->p >= it->end)
        return false;
    if (!it->first) {
        if (*it->p != ',')
            return false;
        it->p++;
    }
    it->first = false;
    const char *k = it->p, *ke = skip_string(k, it->end);
    if (!ke || ke >= it->end || *ke != ':')
        return false;
    const char *v = ke + 1, *ve = kj_skip(v, it->end);
    if (!ve)
        return false;
    key->p = k;
    key->n = (uint32_t)(ke - k);
    value->p = v;
    value->n = (uint32_t)(ve - v);
    it->p = ve;
    return true;
}

bool kj_arr_begin(kstr v, kj_iter *it)
{
    if (v.n < 2 || v.p[0] != '[')
        return false;
    it->p = v.p + 1;
    it->end = v.p + v.n - 1;
    it->first = true;
    return true;
}

bool kj_arr_next(kj_iter *it, kstr *value)
{
    if (it->p >= it->end)
        return false;
    if (!it->first) {
        if (*it->p != ',')
            return false;
        it->p++;
    }
    it->first = false;
    const char *ve = kj_skip(it->p, it->end);
    if (!ve)
        return false;
    value->p = it->p;
    value->n = (uint32_t)(ve - it->p);
    it->p = ve;
    return true;
}

uint32_t kj_arr_len(kstr v)
{
    kj_iter it;
    kstr e;
    uint32_t n = 0;
    if (!kj_arr_begin(v, &it))
        return 0;
    while (kj_arr_next(&it, &e))
        n++;
    return n;
}

/* A raw key literal against an unescaped name, exactly or ignoring (ASCII) case; keys
 * without a backslash are compared in place. */
static bool key_cmp(kstr key, const char *name, size_t n, bool ci)
{
    if (key.n < 2)
        return false;
    const char *k = key.p + 1;
    size_t kn = key.n - 2;
    sp_buf b = {0};
    if (memchr(k, '\\', kn)) {
        if (!sp_json_unescape(key.p, key.n, &b)) {
            sp_buf_free(&b);
            return false;
        }
        k = b.data ? b.data : "";
        kn = b.len;
    }
    bool eq = ci ? sp_ieq(k, kn, name, n) : kn == n && !memcmp(k, name, n);
    sp_buf_free(&b);
    return eq;
}

bool kj_key_eq(kstr key, const char *name, size_t n)
{
    return key_cmp(key, name, n, false);
}

bool kj_key_ieq(kstr key, const char *name, size_t n)
{
    return key_cmp(key, name, n, true);
}

bool kj_member(kstr obj, const char *name, size_t n, kstr *out)
{
    kj_iter it;
    kstr k, v;
    if (!kj_obj_begin(obj, &it))
        return false;
    while (kj_obj_next(&it, &k, &v))
        if (kj_key_eq(k, name, n)) {
            *out = v;
            return true;
        }
    return false;
}

bool kj_index(kstr arr, int64_t idx, kstr *out)
{
    kj_iter it;
    kstr e;
    if (idx < 0) {
        int64_t len = kj_arr_len(arr);
        idx += len;
        if (idx < 0)
            return false;
    }
    if (!kj_arr_begin(arr, &it))
        return false;
    for (int64_t i = 0; kj_arr_next(&it, &e); i++)
        if (i == idx) {
            *out = e;
            return true;
        }
    return false;
}

void kexec_bag_members(const char *o, size_t n, sp_buf *out, kset *seen, bool *first)
{
    kj_iter it;
    kstr k, v, obj = {o, (uint32_t)n};
    if (!kj_obj_begin(obj, &it))
        return;
    while (kj_obj_next(&it, &k, &v)) {
        kval kv = {.type = SP_TYPE_STRING, .u.s = k};
        if (kset_has(seen, &kv))
            continue;
        kset_add(seen, &kv);
        if (!*first)
            sp_buf_putc(out, ',');
        *first = false;
        sp_buf_append(out, k.p, k.n);
        sp_buf_putc(out, ':');
        sp_buf_append(out, v.p, v.n);
    }
}

void kj_to_scalar(kstr v, sp_type t, sp_arena *a, kval *out)
{
    *out = kval_null(t);
    kj_type jt = kj_typeof(v);
    if (t == SP_TYPE_DYNAMIC) {
        out->null = jt == KJ_NULL;
        out->u.s = v;
        return;
    }
    if (jt == KJ_NULL || jt == KJ_INVALID)
        return;
    sp_buf tmp = {0};
    const char *p = v.p;
    size_t n = v.n;
    if (jt == KJ_STRING) {
        if (!sp_json_unescape(v.p, v.n, &tmp)) {
            sp_buf_free(&tmp);
            return;
        }
        p = tmp.data ? tmp.data : "";
        n = tmp.len;
    }
    switch (t) {
    case SP_TYPE_STRING:
    case SP_TYPE_GUID:
        out->null = false;
        out->u.s = jt == KJ_STRING && !tmp.data ? (kstr){"", 0} : kstr_dup(a, p, n);
        break;
    case SP_TYPE_BOOL:
        if (sp_ieq(p, n, "true", 4)) {
            out->null = false;
            out->u.b = true;
        } else if (sp_ieq(p, n, "false", 5)) {
            out->null = false;
            out->u.b = false;
        }
        break;
    case SP_TYPE_INT:
    case SP_TYPE_LONG: {
        double d;
        if (sp_parse_i64(p, n, &out->u.l))
            out->null = false;
        else if (sp_parse_f64(p, n, &d)) {
            out->null = false;
            out->u.l = (int64_t)d;
        }
        break;
    }
    case SP_TYPE_REAL:
        if (sp_parse_f64(p, n, &out->u.r))
            out->null = false;
        break;
    case SP_TYPE_DATETIME:
        if (sp_datetime_parse(p, n, &out->u.l))
            out->null = false;
        break;
    case SP_TYPE_TIMESPAN:
        if (sp_timespan_parse(p, n, &out->u.l))
            out->null = false;
        break;
    default: break;
    }
    sp_buf_free(&tmp);
}

kstr kj_from_scalar(const kval *v, sp_arena *a)
{
    if (v->null)
        return (kstr){"", 0};
    if (v->type == SP_TYPE_DYNAMIC)
        return v->u.s;
    sp_buf b = {0};
    if (v->type == SP_TYPE_STRING || v->type == SP_TYPE_GUID)
        sp_buf_json_string(&b, v->u.s.p, v->u.s.n);
    else
        kval_to_json(v, &b);
    kstr s = kstr_dup(a, b.data, b.len);
    sp_buf_free(&b);
    return s;
}
