/* fn_url.c — URL, path and encoding builtins: parse_url, parse_urlquery, url_encode,
 * url_encode_component, url_decode, base64_encode_tostring, base64_decode_tostring,
 * parse_path.
 *
 * Kusto behaviours pinned here:
 *  - parse_url returns every key (Scheme, Host, Port, Path, Username, Password,
 *    "Query Parameters", Fragment), empty strings for absent parts and {} for no query;
 *    query keys and values are URL-decoded; a string that is not an absolute URL gives
 *    the same object with empty parts;
 *  - url_encode is .NET's HttpUtility.UrlEncode (space as '+', lowercase hex, keeps
 *    - _ . ! * ( )); url_encode_component is Uri.EscapeDataString (space as %20,
 *    uppercase hex, keeps - _ . ~); url_decode turns '+' into a space;
 *  - base64_decode_tostring of invalid base64, or of bytes that are not UTF-8, is "";
 *  - parse_path splits Windows, UNC, Unix and scheme-prefixed paths into Scheme,
 *    RootPath, DirectoryPath, DirectoryName, Filename, Extension and
 *    AlternateDataStreamName (NTFS `file:stream`).
 */
#include "engine/exec/fn_util.h"

#include <string.h>

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = sp_ascii_lower(ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static void url_decode_into(const char *s, size_t n, sp_buf *b)
{
    for (size_t i = 0; i < n; i++) {
        int h, l;
        if (s[i] == '%' && i + 2 < n && (h = hexval(s[i + 1])) >= 0 && (l = hexval(s[i + 2])) >= 0) {
            sp_buf_putc(b, (char)(h * 16 + l));
            i += 2;
        } else
            sp_buf_putc(b, s[i] == '+' ? ' ' : s[i]);
    }
}

static void fn_url_decode(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    sp_buf b = {0};
    url_decode_into(a[0].u.s.p, a[0].u.s.n, &b);
    kf_buf(c, out, SP_TYPE_STRING, &b);
}

static void fn_url_encode(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    bool component = c->call->fn == KB_url_encode_component;
    const char *hex = component ? "0123456789ABCDEF" : "0123456789abcdef";
    const char *keep = component ? "-_.~" : "-_.!*()";
    kstr s = a[0].u.s;
    sp_buf b = {0};
    sp_buf_reserve(&b, s.n + 1);
    for (size_t i = 0; i < s.n; i++) {
        unsigned char ch = (unsigned char)s.p[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || (ch && strchr(keep, ch)))
            sp_buf_putc(&b, (char)ch);
        else if (ch == ' ' && !component)
            sp_buf_putc(&b, '+');
        else {
            char t[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            sp_buf_append(&b, t, 3);
        }
    }
    kf_buf(c, out, SP_TYPE_STRING, &b);
}

/* ---- query strings and URLs ---- */

/* Appends `{"k":"v",...}` for a query string (without '?'); first occurrence of a key wins. */
static void put_query(const char *q, size_t n, sp_buf *b)
{
    sp_buf k = {0}, v = {0};
    kset *seen = kset_new(false);
    bool first = true;
    sp_buf_putc(b, '{');
    size_t at = 0;
    while (at < n) {
        const char *amp = memchr(q + at, '&', n - at);
        size_t end = amp ? (size_t)(amp - q) : n;
        if (end > at) {
            const char *eq = memchr(q + at, '=', end - at);
            size_t kend = eq ? (size_t)(eq - q) : end;
            k.len = v.len = 0;
            url_decode_into(q + at, kend - at, &k);
            if (eq)
                url_decode_into(eq + 1, end - kend - 1, &v);
            kval kv = {.type = SP_TYPE_STRING, .u.s = {k.data ? k.data : "", (uint32_t)k.len}};
            if (!kset_has(seen, &kv)) {
                kset_add(seen, &kv);
                if (!first)
                    sp_buf_putc(b, ',');
                first = false;
                sp_buf_json_string(b, k.data ? k.data : "", k.len);
                sp_buf_putc(b, ':');
                sp_buf_json_string(b, v.data ? v.data : "", v.len);
            }
        }
        at = end + 1;
    }
    sp_buf_putc(b, '}');
    kset_free(seen);
    sp_buf_free(&k);
    sp_buf_free(&v);
}

static void fn_parse_urlquery(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    kstr s = a[0].u.s;
    const char *q = s.p;
    size_t qn = s.n;
    const char *mark = memchr(q, '?', qn);
    if (mark) {
        qn -= (size_t)(mark + 1 - q);
        q = mark + 1;
    }
    const char *hash = memchr(q, '#', qn);
    if (hash)
        qn = (size_t)(hash - q);
    sp_buf b = {0};
    sp_buf_puts(&b, "{\"Query Parameters\":");
    put_query(q, qn, &b);
    sp_buf_putc(&b, '}');
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

typedef struct url_parts {
    kstr scheme, host, port, path, user, pass, query, fragment;
} url_parts;

static bool scheme_char(char ch, bool first)
{
    bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
    return first ? alpha : alpha || (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.';
}

static bool split_url(kstr s, url_parts *u)
{
    memset(u, 0, sizeof *u);
    const char *p = s.p, *end = s.p + s.n;
    const char *sep = s.n >= 3 ? memmem(p, s.n, "://", 3) : NULL;
    if (!sep || sep == p)
        return false;
    for (const char *q = p; q < sep; q++)
        if (!scheme_char(*q, q == p))
            return false;
    u->scheme = (kstr){p, (uint32_t)(sep - p)};
    p = sep + 3;
    const char *auth_end = p;
    while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
        auth_end++;
    /* userinfo@host:port */
    const char *at = NULL;
    for (const char *q = p; q < auth_end; q++)
        if (*q == '@')
            at = q;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (colon) {
            u->user = (kstr){p, (uint32_t)(colon - p)};
            u->pass = (kstr){colon + 1, (uint32_t)(at - colon - 1)};
        } else
            u->user = (kstr){p, (uint32_t)(at - p)};
        p = at + 1;
    }
    const char *host_end = auth_end, *port = NULL;
    if (p < auth_end && *p == '[') {
        const char *rb = memchr(p, ']', (size_t)(auth_end - p));
        if (rb) {
            host_end = rb + 1;
            if (host_end < auth_end && *host_end == ':')
                port = host_end + 1;
        }
    } else {
        const char *colon = memchr(p, ':', (size_t)(auth_end - p));
        if (colon) {
            host_end = colon;
            port = colon + 1;
        }
    }
    u->host = (kstr){p, (uint32_t)(host_end - p)};
    if (port)
        u->port = (kstr){port, (uint32_t)(auth_end - port)};
    p = auth_end;
    const char *path_end = p;
    while (path_end < end && *path_end != '?' && *path_end != '#')
        path_end++;
    u->path = (kstr){p, (uint32_t)(path_end - p)};
    p = path_end;
    if (p < end && *p == '?') {
        const char *q_end = memchr(p, '#', (size_t)(end - p));
        q_end = q_end ? q_end : end;
        u->query = (kstr){p + 1, (uint32_t)(q_end - p - 1)};
        p = q_end;
    }
    if (p < end && *p == '#')
        u->fragment = (kstr){p + 1, (uint32_t)(end - p - 1)};
    return true;
}

static void put_member(sp_buf *b, const char *key, kstr v, bool comma)
{
    if (comma)
        sp_buf_putc(b, ',');
    sp_buf_json_string(b, key, strlen(key));
    sp_buf_putc(b, ':');
    sp_buf_json_string(b, v.p ? v.p : "", v.n);
}

static void fn_parse_url(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    url_parts u;
    if (!split_url(a[0].u.s, &u))
        memset(&u, 0, sizeof u);
    sp_buf b = {0};
    sp_buf_putc(&b, '{');
    put_member(&b, "Scheme", u.scheme, false);
    put_member(&b, "Host", u.host, true);
    put_member(&b, "Port", u.port, true);
    put_member(&b, "Path", u.path, true);
    put_member(&b, "Username", u.user, true);
    put_member(&b, "Password", u.pass, true);
    sp_buf_puts(&b, ",\"Query Parameters\":");
    put_query(u.query.p ? u.query.p : "", u.query.n, &b);
    put_member(&b, "Fragment", u.fragment, true);
    sp_buf_putc(&b, '}');
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void fn_base64_encode(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    const unsigned char *s = (const unsigned char *)a[0].u.s.p;
    size_t len = a[0].u.s.n;
    sp_buf b = {0};
    sp_buf_reserve(&b, (len + 2) / 3 * 4 + 1);
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < len)
            v |= s[i + 2];
        char t[4] = {b64[v >> 18], b64[(v >> 12) & 63], i + 1 < len ? b64[(v >> 6) & 63] : '=', i + 2 < len ? b64[v & 63] : '='};
        sp_buf_append(&b, t, 4);
    }
    kf_buf(c, out, SP_TYPE_STRING, &b);
}

static int b64val(char ch)
{
    const char *p = ch ? strchr(b64, ch) : NULL;
    return p ? (int)(p - b64) : -1;
}

/* Decodes standard base64 (padding required to a multiple of 4 characters, as .NET's
 * Convert.FromBase64String; whitespace ignored). */
static bool base64_decode(const char *s, size_t n, sp_buf *out)
{
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
            continue;
        chars++;
        if (ch == '=') {
            pad++;
            continue;
        }
        int v = b64val(ch);
        if (v < 0 || pad)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            sp_buf_putc(out, (char)((acc >> bits) & 0xFF));
        }
    }
    return chars % 4 == 0 && pad <= 2;
}

static void fn_base64_decode(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    sp_buf b = {0};
    if (!base64_decode(a[0].u.s.p, a[0].u.s.n, &b) || !sp_utf8_valid(b.data ? b.data : "", b.len))
        b.len = 0;
    kf_buf(c, out, SP_TYPE_STRING, &b);
}

/* ---- parse_path ---- */

static void fn_parse_path(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    kstr s = a[0].u.s;
    const char *p = s.p, *end = s.p + s.n;
    kstr scheme = {"", 0}, root = {"", 0}, dirpath = {"", 0}, dirname = {"", 0}, file = {"", 0}, ext = {"", 0}, ads = {"", 0};
    const char *sep = s.n >= 3 ? memmem(p, s.n, "://", 3) : NULL;
    if (sep && sep > p) {
        bool ok = true;
        for (const char *q = p; q < sep; q++)
            ok = ok && scheme_char(*q, q == p);
        if (ok) {
            scheme = (kstr){p, (uint32_t)(sep - p)};
            p = sep + 3;
        }
    }
    if (end - p >= 2 && ((p[0] | 32) >= 'a' && (p[0] | 32) <= 'z') && p[1] == ':')
        root = (kstr){p, 2};
    const char *last = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '/' || *q == '\\')
            last = q;
    const char *fstart = last ? last + 1 : p + root.n;
    if (last) {
        dirpath = (kstr){p, (uint32_t)(last - p)};
        const char *dn = last;
        while (dn > p && dn[-1] != '/' && dn[-1] != '\\')
            dn--;
        dirname = (kstr){dn, (uint32_t)(last - dn)};
        if (dirname.n == 2 && dirname.p == root.p)
            dirname = (kstr){"", 0}; /* `C:\file`: the directory is the root itself */
    }
    const char *colon = memchr(fstart, ':', (size_t)(end - fstart));
    const char *fend = colon ? colon : end;
    if (colon)
        ads = (kstr){colon + 1, (uint32_t)(end - colon - 1)};
    file = (kstr){fstart, (uint32_t)(fend - fstart)};
    for (const char *q = fend; q > fstart; q--)
        if (q[-1] == '.') {
            ext = (kstr){q, (uint32_t)(fend - q)};
            break;
        }
    sp_buf b = {0};
    sp_buf_putc(&b, '{');
    put_member(&b, "Scheme", scheme, false);
    put_member(&b, "RootPath", root, true);
    put_member(&b, "DirectoryPath", dirpath, true);
    put_member(&b, "DirectoryName", dirname, true);
    put_member(&b, "Filename", file, true);
    put_member(&b, "Extension", ext, true);
    put_member(&b, "AlternateDataStreamName", ads, true);
    sp_buf_putc(&b, '}');
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

#define SCALAR(id, fn) {KB_##id, {.scalar = fn, .dict_ok = true}}

const kfn_reg kfn_url[] = {
    SCALAR(url_decode, fn_url_decode),
    SCALAR(url_encode, fn_url_encode),
    SCALAR(url_encode_component, fn_url_encode),
    SCALAR(parse_url, fn_parse_url),
    SCALAR(parse_urlquery, fn_parse_urlquery),
    SCALAR(base64_encode_tostring, fn_base64_encode),
    SCALAR(base64_decode_tostring, fn_base64_decode),
    SCALAR(parse_path, fn_parse_path),
    {(kb_id)-1, {0}},
};
