/* jsonv.c — the test-only JSON tree of jsonv.h (recursive descent, no limits beyond
 * the test inputs' needs). */
#include "tests/unit/support/jsonv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *p, *end;
} cur;

static void ws(cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static jv *node(jv_kind k)
{
    jv *v = calloc(1, sizeof *v);
    v->kind = k;
    return v;
}

static char *parse_str(cur *c, size_t *len)
{
    if (c->p >= c->end || *c->p != '"')
        return NULL;
    c->p++;
    size_t cap = 16, n = 0;
    char *s = malloc(cap);
    while (c->p < c->end && *c->p != '"') {
        char ch = *c->p++;
        if (ch == '\\') {
            if (c->p >= c->end)
                break;
            char e = *c->p++;
            unsigned cp = 0;
            switch (e) {
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            case 'r': ch = '\r'; break;
            case 'b': ch = '\b'; break;
            case 'f': ch = '\f'; break;
            case 'u':
                if (c->end - c->p < 4) {
                    free(s);
                    return NULL;
                }
                sscanf(c->p, "%4x", &cp);
                c->p += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF && c->end - c->p >= 6 && c->p[0] == '\\' && c->p[1] == 'u') {
                    unsigned lo = 0;
                    sscanf(c->p + 2, "%4x", &lo);
                    c->p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                {
                    char b[4];
                    int k = 0;
                    if (cp < 0x80)
                        b[k++] = (char)cp;
                    else if (cp < 0x800) {
                        b[k++] = (char)(0xC0 | (cp >> 6));
                        b[k++] = (char)(0x80 | (cp & 0x3F));
                    } else if (cp < 0x10000) {
                        b[k++] = (char)(0xE0 | (cp >> 12));
                        b[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                        b[k++] = (char)(0x80 | (cp & 0x3F));
                    } else {
                        b[k++] = (char)(0xF0 | (cp >> 18));
                        b[k++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                        b[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                        b[k++] = (char)(0x80 | (cp & 0x3F));
                    }
                    for (int i = 0; i < k; i++) {
                        if (n + 1 >= cap)
                            s = realloc(s, cap *= 2);
                        s[n++] = b[i];
                    }
                    continue;
                }
            default: ch = e; break;
            }
        }
        if (n + 1 >= cap)
            s = realloc(s, cap *= 2);
        s[n++] = ch;
    }
    if (c->p >= c->end) {
        free(s);
        return NULL;
    }
    c->p++;
    s[n] = 0;
    *len = n;
    return s;
}

static jv *parse_val(cur *c, int depth)
{
    ws(c);
    if (c->p >= c->end || depth > 200)
        return NULL;
    char ch = *c->p;
    if (ch == '"') {
        jv *v = node(JV_STR);
        v->str = parse_str(c, &v->len);
        if (!v->str) {
            free(v);
            return NULL;
        }
        return v;
    }
    if (ch == '{' || ch == '[') {
        bool obj = ch == '{';
        jv *v = node(obj ? JV_OBJ : JV_ARR);
        c->p++;
        ws(c);
        if (c->p < c->end && *c->p == (obj ? '}' : ']')) {
            c->p++;
            return v;
        }
        for (;;) {
            char *key = NULL;
            if (obj) {
                ws(c);
                size_t kl;
                key = parse_str(c, &kl);
                ws(c);
                if (!key || c->p >= c->end || *c->p != ':') {
                    free(key);
                    jv_free(v);
                    return NULL;
                }
                c->p++;
            }
            jv *item = parse_val(c, depth + 1);
            if (!item) {
                free(key);
                jv_free(v);
                return NULL;
            }
            v->items = realloc(v->items, sizeof(jv *) * (v->n + 1));
            v->keys = realloc(v->keys, sizeof(char *) * (v->n + 1));
            v->items[v->n] = item;
            v->keys[v->n] = key;
            v->n++;
            ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                continue;
            }
            if (c->p < c->end && *c->p == (obj ? '}' : ']')) {
                c->p++;
                return v;
            }
            jv_free(v);
            return NULL;
        }
    }
    if (!strncmp(c->p, "true", 4) || !strncmp(c->p, "false", 5)) {
        jv *v = node(JV_BOOL);
        v->b = *c->p == 't';
        c->p += v->b ? 4 : 5;
        return v;
    }
    if (!strncmp(c->p, "null", 4)) {
        c->p += 4;
        return node(JV_NULL);
    }
    char *end;
    double d = strtod(c->p, &end);
    if (end == c->p)
        return NULL;
    jv *v = node(JV_NUM);
    v->num = d;
    c->p = end;
    return v;
}

jv *jv_parse(const char *text, size_t len)
{
    cur c = {text, text + len};
    jv *v = parse_val(&c, 0);
    ws(&c);
    if (v && c.p != c.end) {
        jv_free(v);
        return NULL;
    }
    return v;
}

void jv_free(jv *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        jv_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

bool jv_equal(const jv *a, const jv *b, bool approx)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case JV_NULL: return true;
    case JV_BOOL: return a->b == b->b;
    case JV_NUM:
        if (a->num == b->num)
            return true;
        if (!approx)
            return false;
        return fabs(a->num - b->num) <= fmax(1e-12, 1e-9 * fmax(fabs(a->num), fabs(b->num)));
    case JV_STR: return a->len == b->len && !memcmp(a->str, b->str, a->len);
    case JV_ARR:
        if (a->n != b->n)
            return false;
        for (size_t i = 0; i < a->n; i++)
            if (!jv_equal(a->items[i], b->items[i], approx))
                return false;
        return true;
    case JV_OBJ:
        if (a->n != b->n)
            return false;
        for (size_t i = 0; i < a->n; i++) {
            bool found = false;
            for (size_t j = 0; j < b->n && !found; j++)
                if (!strcmp(a->keys[i], b->keys[j]))
                    found = jv_equal(a->items[i], b->items[j], approx);
            if (!found)
                return false;
        }
        return true;
    }
    return false;
}

static void render(const jv *v, char **buf, size_t *len, size_t *cap)
{
    char tmp[64] = "";
    const char *s = tmp;
    switch (v->kind) {
    case JV_NULL: s = "null"; break;
    case JV_BOOL: s = v->b ? "true" : "false"; break;
    case JV_NUM: snprintf(tmp, sizeof tmp, "%.17g", v->num); break;
    case JV_STR: {
        size_t need = *len + v->len + 3;
        if (need > *cap) {
            *cap = need * 2;
            *buf = realloc(*buf, *cap);
        }
        (*buf)[(*len)++] = '"';
        memcpy(*buf + *len, v->str, v->len);
        *len += v->len;
        (*buf)[(*len)++] = '"';
        (*buf)[*len] = 0;
        return;
    }
    case JV_ARR:
    case JV_OBJ: {
        bool obj = v->kind == JV_OBJ;
        size_t need = *len + 2;
        if (need + 1 > *cap) {
            *cap = need * 2 + 16;
            *buf = realloc(*buf, *cap);
        }
        (*buf)[(*len)++] = obj ? '{' : '[';
        (*buf)[*len] = 0;
        for (size_t i = 0; i < v->n; i++) {
            if (i) {
                if (*len + 2 > *cap)
                    *buf = realloc(*buf, *cap = *cap * 2 + 16);
                (*buf)[(*len)++] = ',';
            }
            if (obj) {
                size_t kl = strlen(v->keys[i]);
                if (*len + kl + 4 > *cap)
                    *buf = realloc(*buf, *cap = (*len + kl + 4) * 2);
                (*buf)[(*len)++] = '"';
                memcpy(*buf + *len, v->keys[i], kl);
                *len += kl;
                (*buf)[(*len)++] = '"';
                (*buf)[(*len)++] = ':';
            }
            render(v->items[i], buf, len, cap);
        }
        if (*len + 2 > *cap)
            *buf = realloc(*buf, *cap = *cap * 2 + 16);
        (*buf)[(*len)++] = obj ? '}' : ']';
        (*buf)[*len] = 0;
        return;
    }
    }
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = realloc(*buf, *cap);
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

char *jv_render(const jv *v)
{
    size_t len = 0, cap = 64;
    char *buf = malloc(cap);
    buf[0] = 0;
    render(v, &buf, &len, &cap);
    return buf;
}
