/* sigstr.c — Sigma string values: the escaping table, wildcard classification and the value
 * transformations of the modifiers (base64, base64offset, utf16*, windash).
 *
 * A value is held as bytes with a flag per byte (literal, `*`, `?`) from the moment its
 * escapes are resolved, so no later step can confuse an escaped `\*` with a wildcard, and
 * encodings can transform literal runs while wildcards pass through untouched. Only at the
 * end is a value classified: wildcard-free values become EQ, leading/trailing `*` become
 * SUFFIX/PREFIX/CONTAINS, and only inner wildcards or `?` remain a GLOB, so the engine can
 * use its fast string kernels for the common shapes.
 */
#include "sigma/sig_int.h"

#include <string.h>

void sig_str_init(sig_str *s)
{
    memset(s, 0, sizeof *s);
}

void sig_str_free(sig_str *s)
{
    free(s->b);
    free(s->f);
    memset(s, 0, sizeof *s);
}

void sig_str_push(sig_str *s, uint8_t byte, uint8_t flag)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 32;
        s->b = sp_xrealloc(s->b, s->cap);
        s->f = sp_xrealloc(s->f, s->cap);
    }
    s->b[s->n] = byte;
    s->f[s->n] = flag;
    s->n++;
}

void sig_str_copy(sig_str *dst, const sig_str *src)
{
    dst->n = 0;
    for (size_t i = 0; i < src->n; i++)
        sig_str_push(dst, src->b[i], src->f[i]);
}

void sig_str_parse(sig_str *out, const char *s, size_t n)
{
    out->n = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\') {
            /* `\*`, `\?`, `\\` escape; a backslash before anything else, or at the end,
             * is a plain backslash (rules spec, Escaping). */
            if (i + 1 < n && (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
                sig_str_push(out, (uint8_t)s[i + 1], SIG_CH_LIT);
                i++;
            } else {
                sig_str_push(out, '\\', SIG_CH_LIT);
            }
        } else if (c == '*') {
            if (!(out->n && out->f[out->n - 1] == SIG_CH_STAR)) /* `**` is `*` */
                sig_str_push(out, '*', SIG_CH_STAR);
        } else if (c == '?') {
            sig_str_push(out, '?', SIG_CH_QMARK);
        } else {
            sig_str_push(out, (uint8_t)c, SIG_CH_LIT);
        }
    }
}

void sig_str_literal(sig_str *out, const char *s, size_t n)
{
    out->n = 0;
    for (size_t i = 0; i < n; i++)
        sig_str_push(out, (uint8_t)s[i], SIG_CH_LIT);
}

bool sig_str_has_wild(const sig_str *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->f[i] != SIG_CH_LIT)
            return true;
    return false;
}

void sig_str_classify(const sig_str *s, sp_arena *a, sig_value *v)
{
    size_t stars = 0, qmarks = 0, inner = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->f[i] == SIG_CH_STAR) {
            stars++;
            if (i != 0 && i != s->n - 1)
                inner++;
        } else if (s->f[i] == SIG_CH_QMARK) {
            qmarks++;
        }
    }
    bool lead = s->n && s->f[0] == SIG_CH_STAR;
    bool trail = s->n && s->f[s->n - 1] == SIG_CH_STAR;
    sp_buf t = {0};
    if (qmarks || inner) {
        v->kind = SIG_GLOB;
        for (size_t i = 0; i < s->n; i++) {
            uint8_t c = s->b[i];
            if (s->f[i] == SIG_CH_LIT && (c == '*' || c == '?' || c == '\\'))
                sp_buf_putc(&t, '\\');
            sp_buf_putc(&t, (char)c);
        }
    } else {
        size_t from = lead ? 1 : 0, to = trail && s->n > from ? s->n - 1 : s->n;
        v->kind = !stars ? SIG_EQ : lead && trail ? SIG_CONTAINS : lead ? SIG_SUFFIX : SIG_PREFIX;
        if (stars && s->n == 1)
            v->kind = SIG_CONTAINS; /* `*` alone: any present value */
        for (size_t i = from; i < to; i++)
            sp_buf_putc(&t, (char)s->b[i]);
    }
    v->len = t.len;
    v->text = sig_strdup(a, t.data ? t.data : "", t.len);
    sp_buf_free(&t);
}

/* ---- base64 ------------------------------------------------------------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void sig_base64(const uint8_t *in, size_t n, sp_buf *out)
{
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        sp_buf_putc(out, b64[v >> 18 & 63]);
        sp_buf_putc(out, b64[v >> 12 & 63]);
        sp_buf_putc(out, b64[v >> 6 & 63]);
        sp_buf_putc(out, b64[v & 63]);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        sp_buf_putc(out, b64[v >> 18 & 63]);
        sp_buf_putc(out, b64[v >> 12 & 63]);
        sp_buf_puts(out, "==");
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        sp_buf_putc(out, b64[v >> 18 & 63]);
        sp_buf_putc(out, b64[v >> 12 & 63]);
        sp_buf_putc(out, b64[v >> 6 & 63]);
        sp_buf_putc(out, '=');
    }
}

/* A value inside a longer base64 stream starts at byte offset 0, 1 or 2 of a 3-byte group.
 * For each shift, encode (shift filler bytes + value) and keep only the characters that
 * depend on the value alone: drop the 0/2/3 leading characters that mix in the filler and,
 * at the end, the partial character and padding (3 chars when one byte is left over in the
 * last group, 2 when two are). */
void sig_base64offset(const uint8_t *in, size_t n, sp_buf out[3])
{
    static const size_t cut_start[3] = {0, 2, 3};
    static const size_t cut_end[3] = {0, 3, 2};
    for (size_t shift = 0; shift < 3; shift++) {
        uint8_t *tmp = sp_xmalloc(n + 3);
        memset(tmp, 0, shift);
        memcpy(tmp + shift, in, n);
        sp_buf enc = {0};
        sig_base64(tmp, n + shift, &enc);
        free(tmp);
        size_t from = cut_start[shift], drop = cut_end[(n + shift) % 3];
        out[shift].len = 0;
        if (enc.len > from + drop)
            sp_buf_append(&out[shift], enc.data + from, enc.len - from - drop);
        sp_buf_free(&enc);
    }
}

/* ---- UTF-16 ---------------------------------------------------------------------------- */

static bool utf8_next(const uint8_t *b, size_t n, size_t *i, uint32_t *cp)
{
    uint8_t c = b[*i];
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || *i + len > n)
        return false;
    uint32_t v = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t k = 1; k < len; k++) {
        if ((b[*i + k] & 0xC0) != 0x80)
            return false;
        v = v << 6 | (b[*i + k] & 0x3Fu);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return false;
    *i += len;
    *cp = v;
    return true;
}

static void put_unit(sig_str *o, uint16_t u, bool be)
{
    uint8_t lo = (uint8_t)(u & 0xFF), hi = (uint8_t)(u >> 8);
    sig_str_push(o, be ? hi : lo, SIG_CH_LIT);
    sig_str_push(o, be ? lo : hi, SIG_CH_LIT);
}

bool sig_str_utf16(sig_str *s, sig_mod which, const char **why)
{
    bool be = which == SIG_MOD_UTF16BE;
    sig_str o;
    sig_str_init(&o);
    if (which == SIG_MOD_UTF16) { /* byte order mark, then little endian (appendix example) */
        sig_str_push(&o, 0xFF, SIG_CH_LIT);
        sig_str_push(&o, 0xFE, SIG_CH_LIT);
    }
    for (size_t i = 0; i < s->n;) {
        if (s->f[i] != SIG_CH_LIT) {
            sig_str_push(&o, s->b[i], s->f[i]);
            i++;
            continue;
        }
        uint32_t cp;
        if (!utf8_next(s->b, s->n, &i, &cp)) {
            *why = "the value is not valid UTF-8";
            sig_str_free(&o);
            return false;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            put_unit(&o, (uint16_t)(0xD800 | (cp >> 10)), be);
            put_unit(&o, (uint16_t)(0xDC00 | (cp & 0x3FF)), be);
        } else {
            put_unit(&o, (uint16_t)cp, be);
        }
    }
    sig_str_free(s);
    *s = o;
    return true;
}

/* ---- windash ----------------------------------------------------------------------------- */

/* The five dash forms of the modifiers appendix: - / U+2013 U+2014 U+2015. */
static const char *const dashes[5] = {"-", "/", "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95"};

static size_t dash_width(const sig_str *s, size_t i)
{
    if (i >= s->n || s->f[i] != SIG_CH_LIT)
        return 0;
    if (s->b[i] == '-' || s->b[i] == '/')
        return 1;
    if (i + 3 <= s->n && s->b[i] == 0xE2 && s->b[i + 1] == 0x80 &&
        (s->b[i + 2] == 0x93 || s->b[i + 2] == 0x94 || s->b[i + 2] == 0x95) &&
        s->f[i + 1] == SIG_CH_LIT && s->f[i + 2] == SIG_CH_LIT)
        return 3;
    return 0;
}

/* A word character in the sense of a regex \w: ASCII letters, digits, _ and non-ASCII
 * characters other than the dashes themselves. */
static bool word_at(const sig_str *s, size_t i)
{
    if (i >= s->n || s->f[i] != SIG_CH_LIT)
        return false;
    uint8_t c = s->b[i];
    if (c >= 0x80)
        return dash_width(s, i) == 0 && c >= 0xC0;
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool word_before(const sig_str *s, size_t i)
{
    if (i == 0 || s->f[i - 1] != SIG_CH_LIT)
        return false; /* start of the value, or right after a wildcard */
    size_t j = i - 1;
    while (j > 0 && (s->b[j] & 0xC0) == 0x80 && s->f[j - 1] == SIG_CH_LIT)
        j--;
    return word_at(s, j);
}

/* A dash is interchangeable where it starts a command line flag: at the start of the value
 * (or after a wildcard) or after a non-word character, and followed by a word character
 * (pySigma's \B[-/]\b extended to all five forms). So ` -param-name ` gives five values
 * (the SigmaHQ documentation's example), not twenty-five. */
static size_t dash_at(const sig_str *s, size_t i)
{
    size_t w = dash_width(s, i);
    if (!w || word_before(s, i) || !word_at(s, i + w))
        return 0;
    return w;
}

size_t sig_str_windash(const sig_str *s, sig_str **out, size_t *nout, size_t *cap, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n;) {
        size_t w = dash_at(s, i);
        if (w) {
            k++;
            i += w;
        } else {
            i++;
        }
    }
    size_t total = 1;
    for (size_t i = 0; i < k; i++) {
        if (total > max / 5)
            return 0;
        total *= 5;
    }
    if (total > max)
        return 0;
    for (size_t combo = 0; combo < total; combo++) {
        if (*nout == *cap) {
            *cap = *cap ? *cap * 2 : 8;
            *out = sp_xrealloc(*out, *cap * sizeof **out);
        }
        sig_str *o = &(*out)[(*nout)++];
        sig_str_init(o);
        size_t c = combo;
        for (size_t i = 0; i < s->n;) {
            size_t w = dash_at(s, i);
            if (w) {
                for (const char *d = dashes[c % 5]; *d; d++)
                    sig_str_push(o, (uint8_t)*d, SIG_CH_LIT);
                c /= 5;
                i += w;
            } else {
                sig_str_push(o, s->b[i], s->f[i]);
                i++;
            }
        }
    }
    return total;
}

/* ---- regex form of string values --------------------------------------------------------- */

static void re_lit(sp_buf *o, uint8_t c)
{
    if (c < 0x20 || c == 0x7F) {
        sp_buf_printf(o, "\\x%02X", c);
        return;
    }
    if (strchr("\\.+*?()|[]{}^$", c))
        sp_buf_putc(o, '\\');
    sp_buf_putc(o, (char)c);
}

void sig_value_to_regex(sp_buf *out, const sig_value *v, bool cased)
{
    sp_buf_puts(out, cased ? "(?s)" : "(?is)");
    if (v->kind == SIG_EQ || v->kind == SIG_PREFIX || v->kind == SIG_GLOB)
        sp_buf_puts(out, "\\A");
    const uint8_t *t = (const uint8_t *)v->text;
    for (size_t i = 0; i < v->len; i++) {
        if (v->kind == SIG_GLOB) {
            if (t[i] == '\\' && i + 1 < v->len) {
                re_lit(out, t[++i]);
            } else if (t[i] == '*') {
                sp_buf_puts(out, ".*");
            } else if (t[i] == '?') {
                sp_buf_putc(out, '.');
            } else {
                re_lit(out, t[i]);
            }
        } else {
            re_lit(out, t[i]);
        }
    }
    if (v->kind == SIG_EQ || v->kind == SIG_SUFFIX || v->kind == SIG_GLOB)
        sp_buf_puts(out, "\\z");
}
