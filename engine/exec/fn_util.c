/* fn_util.c — helpers shared by the builtin kernels: result strings in the batch arena,
 * UTF-8 stepping (Kusto counts characters, not bytes, in substring/strlen/indexof),
 * simple case mapping, the text of dynamic elements, and regex state that compiles a
 * constant pattern once per query and a per-row pattern only when it changes.
 */
#include "engine/exec/fn_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kf_str(kfctx *c, kval *out, sp_type t, const char *p, size_t n)
{
    *out = (kval){.type = t};
    out->u.s = kstr_dup(c->arena, p ? p : "", n);
    if (t == SP_TYPE_DYNAMIC && n == 0)
        out->null = true;
}

void kf_buf(kfctx *c, kval *out, sp_type t, sp_buf *b)
{
    kf_str(c, out, t, b->data, b->len);
    sp_buf_free(b);
}

bool kf_long_of(const kval *v, int64_t *out)
{
    if (v->null)
        return false;
    if (v->type == SP_TYPE_REAL) {
        if (!isfinite(v->u.r) || v->u.r >= 9.2233720368547758e18 || v->u.r <= -9.2233720368547758e18)
            return false;
        *out = (int64_t)v->u.r;
        return true;
    }
    *out = v->type == SP_TYPE_BOOL ? v->u.b : v->u.l;
    return true;
}

/* ---- UTF-8 ---- */

uint32_t kf_utf8_next(const char *s, size_t n, size_t *i)
{
    const unsigned char *p = (const unsigned char *)s + *i;
    size_t left = n - *i;
    unsigned char c = p[0];
    if (c < 0x80) {
        (*i)++;
        return c;
    }
    int len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? (c <= 0xEF ? 3 : 0) : c >= 0xC2 ? 2 : 0;
    if (len == 0 || (size_t)len > left) {
        (*i)++;
        return 0xFFFD;
    }
    uint32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (int k = 1; k < len; k++) {
        if ((p[k] & 0xC0) != 0x80) {
            (*i)++;
            return 0xFFFD;
        }
        cp = (cp << 6) | (p[k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
        (*i)++;
        return 0xFFFD;
    }
    *i += (size_t)len;
    return cp;
}

size_t kf_utf8_count(const char *s, size_t n)
{
    size_t i = 0, k = 0;
    while (i < n) {
        if ((unsigned char)s[i] < 0x80)
            i++;
        else
            kf_utf8_next(s, n, &i);
        k++;
    }
    return k;
}

size_t kf_utf8_offset(const char *s, size_t n, size_t k)
{
    size_t i = 0;
    while (k > 0 && i < n) {
        if ((unsigned char)s[i] < 0x80)
            i++;
        else
            kf_utf8_next(s, n, &i);
        k--;
    }
    return i;
}

void kf_utf8_put(sp_buf *b, uint32_t cp)
{
    char t[4];
    if (cp < 0x80) {
        sp_buf_putc(b, (char)cp);
        return;
    }
    if (cp < 0x800) {
        t[0] = (char)(0xC0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3F));
        sp_buf_append(b, t, 2);
    } else if (cp < 0x10000) {
        t[0] = (char)(0xE0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (char)(0x80 | (cp & 0x3F));
        sp_buf_append(b, t, 3);
    } else {
        t[0] = (char)(0xF0 | (cp >> 18));
        t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[3] = (char)(0x80 | (cp & 0x3F));
        sp_buf_append(b, t, 4);
    }
}

/* Case pairs by block. Latin Extended-A alternates upper/lower with a few blocks where
 * the odd code point is the upper one; the special letters (dotted/dotless i, kra,
 * long s, ÿ/Ÿ) keep their own mapping. */
uint32_t kf_lower_cp(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7))
        return cp + 32;
    if (cp == 0x178)
        return 0xFF;
    if (cp == 0x130)
        return 'i';
    if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
        return (cp & 1) ? cp : cp + 1;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
        return (cp & 1) ? cp + 1 : cp;
    if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2)
        return cp + 32;
    if (cp >= 0x410 && cp <= 0x42F)
        return cp + 32;
    if (cp >= 0x400 && cp <= 0x40F)
        return cp + 80;
    return cp;
}

uint32_t kf_upper_cp(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)
        return cp - 32;
    if (cp == 0xFF)
        return 0x178;
    if (cp == 0xB5)
        return 0x39C;
    if (cp == 0x131)
        return 'I';
    if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
        return (cp & 1) ? cp - 1 : cp;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
        return (cp & 1) ? cp : cp - 1;
    if (cp == 0x3C2)
        return 0x3A3;
    if (cp >= 0x3B1 && cp <= 0x3CB)
        return cp - 32;
    if (cp >= 0x430 && cp <= 0x44F)
        return cp - 32;
    if (cp >= 0x450 && cp <= 0x45F)
        return cp - 80;
    return cp;
}

/* ---- text and JSON ---- */

void kf_json_text(kstr elem, sp_buf *out)
{
    kj_type t = kj_typeof(elem);
    if (t == KJ_NULL)
        return;
    if (t == KJ_STRING && sp_json_unescape(elem.p, elem.n, out))
        return;
    sp_buf_append(out, elem.p, elem.n);
}

bool kf_parse_decimal(const char *s, size_t n, double *out)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (!digits)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e0 = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == e0)
            return false;
    }
    return i == n && sp_parse_f64(s[0] == '+' ? s + 1 : s, s[0] == '+' ? n - 1 : n, out);
}

bool kf_ieq(kstr a, const char *lit)
{
    return sp_ieq(a.p, a.n, lit, strlen(lit));
}

/* ---- JSONPath subset ---- */

int kf_path_next(const char *p, size_t n, size_t *i, kf_step *step)
{
    size_t k = *i;
    if (k == 0 && k < n && p[k] == '$')
        k++;
    if (k >= n) {
        *i = k;
        return 0;
    }
    memset(step, 0, sizeof *step);
    if (p[k] == '.') {
        size_t st = ++k;
        while (k < n && p[k] != '.' && p[k] != '[')
            k++;
        if (k == st)
            return -1;
        step->name = p + st;
        step->len = k - st;
        *i = k;
        return 1;
    }
    if (p[k] == '[') {
        k++;
        if (k < n && (p[k] == '\'' || p[k] == '"')) {
            char q = p[k++];
            size_t st = k;
            while (k < n && p[k] != q)
                k++;
            if (k + 1 >= n || p[k + 1] != ']')
                return -1;
            step->name = p + st;
            step->len = k - st;
            *i = k + 2;
            return 1;
        }
        size_t st = k;
        while (k < n && p[k] != ']')
            k++;
        if (k >= n || !sp_parse_i64(p + st, k - st, &step->index))
            return -1;
        step->is_index = true;
        *i = k + 1;
        return 1;
    }
    if (k == 0) { /* a bare member name */
        step->name = p;
        step->len = n;
        *i = n;
        return 1;
    }
    return -1;
}

bool kf_path_get(kstr doc, kstr path, kstr *out)
{
    size_t i = 0;
    kf_step st;
    int r;
    kstr cur = doc;
    while ((r = kf_path_next(path.p, path.n, &i, &st)) == 1) {
        kstr next;
        bool ok = st.is_index ? kj_index(cur, st.index, &next) : kj_member(cur, st.name, st.len, &next);
        if (!ok)
            return false;
        cur = next;
    }
    if (r < 0)
        return false;
    *out = cur;
    return true;
}

/* ---- regex state ---- */

static kre *compile_wrapped(const char *p, size_t n, unsigned flags, const char *wrap, sp_diag *d)
{
    if (!wrap)
        return kre_compile(p, n, flags, d);
    sp_buf b = {0};
    const char *at = strstr(wrap, "%s");
    sp_buf_append(&b, wrap, (size_t)(at - wrap));
    sp_buf_append(&b, p, n);
    sp_buf_puts(&b, at + 2);
    kre *k = kre_compile(b.data, b.len, flags, d);
    sp_buf_free(&b);
    return k;
}

int kf_regex_init(kfctx *c, const kx *call, int arg, unsigned flags, const char *wrap, kf_regex *st)
{
    memset(st, 0, sizeof *st);
    st->flags = flags;
    st->wrap = wrap;
    const kx *pat = arg < call->nargs ? call->args[arg] : NULL;
    if (pat && pat->kind == KX_CONST && sp_type_is_text(pat->value.type)) {
        sp_diag d = {0};
        st->fixed = compile_wrapped(pat->value.u.s.p, pat->value.u.s.n, flags, wrap, &d);
        if (!st->fixed) {
            /* A wrapped pattern's offsets are shifted; report at the argument itself then. */
            int col = pat->col + (!wrap && d.col > 0 ? d.col : 0);
            return kexec_fail(c->ex, pat->line, col, "%s", d.msg);
        }
    }
    return 0;
}

kre *kf_regex_get(kf_regex *st, kstr pattern)
{
    if (st->fixed)
        return st->fixed;
    if (st->last_pat && st->last_len == pattern.n && !memcmp(st->last_pat, pattern.p, pattern.n))
        return st->last_bad ? NULL : st->last;
    kre_free(st->last);
    free(st->last_pat);
    sp_diag d = {0};
    st->last = compile_wrapped(pattern.p, pattern.n, st->flags, st->wrap, &d);
    st->last_bad = st->last == NULL;
    st->last_pat = sp_xstrndup(pattern.p, pattern.n);
    st->last_len = pattern.n;
    return st->last;
}

void kf_regex_free(kf_regex *st)
{
    kre_free(st->fixed);
    kre_free(st->last);
    free(st->last_pat);
    memset(st, 0, sizeof *st);
}
