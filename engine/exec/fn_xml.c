/* fn_xml.c — parse_xml(): XML text to a dynamic value, with the conversion Kusto documents
 * (the Json.NET XML-to-JSON convention):
 *
 *   <e/>                          {"e": null}
 *   <e>text</e>                   {"e": "text"}
 *   <e name="value"/>             {"e": {"@name": "value"}}
 *   <e name="value">text</e>      {"e": {"@name": "value", "#text": "text"}}
 *   <e><a>x</a><b>y</b></e>       {"e": {"a": "x", "b": "y"}}
 *   <e><a>x</a><a>y</a></e>       {"e": {"a": ["x", "y"]}}   (repeated names: one array,
 *                                                              at the first one's place)
 *   <e> text <a>x</a></e>         {"e": {"#text": "text", "a": "x"}}  (mixed content: trimmed)
 *
 * Only elements, attributes and text (CDATA included) are translated; the declaration,
 * processing instructions, comments and DOCTYPE are skipped; text that is only whitespace
 * between elements is insignificant. Values are strings (XML has no numbers). Names keep
 * their namespace prefix; xmlns declarations are attributes like any other. Input that is
 * not well-formed XML (mismatched tags, several roots, bad entities, unterminated
 * constructs), longer than 1 MB, or nested deeper than sp_limits.max_json_depth, gives null.
 *
 * The parser builds a small tree in the batch arena, then writes compact JSON: one pass
 * each, no external library (libxml2 is not among the project's dependencies).
 */
#include "engine/exec/fn_util.h"

#include <string.h>

#define XML_MAX_INPUT (1u << 20) /* Kusto: longer strings give null */

typedef struct xnode xnode;
typedef struct xattr {
    kstr name, value; /* value decoded */
    struct xattr *next;
} xattr;

/* An element: attributes, child elements and text pieces in document order. */
struct xnode {
    kstr name;
    xattr *attrs;
    xnode *kids, *last_kid, *next;
    sp_buf text;     /* significant text, concatenated when the pieces are adjacent */
    int ntext;       /* text pieces separated by elements */
    kstr *texts;     /* ntext pieces, when more than one */
};

typedef struct xparser {
    const char *p, *end;
    sp_arena *arena;
    int depth;
    bool bad;
} xparser;

static bool is_name_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

static bool is_name_char(unsigned char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void skip_space(xparser *x)
{
    while (x->p < x->end && is_space(*x->p))
        x->p++;
}

static bool starts(const xparser *x, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(x->end - x->p) >= n && memcmp(x->p, lit, n) == 0;
}

/* Skips past the next occurrence of lit; false when there is none. */
static bool skip_past(xparser *x, const char *lit)
{
    size_t n = strlen(lit);
    for (const char *q = x->p; q + n <= x->end; q++)
        if (memcmp(q, lit, n) == 0) {
            x->p = q + n;
            return true;
        }
    return false;
}

static bool read_name(xparser *x, kstr *out)
{
    if (x->p >= x->end || !is_name_start((unsigned char)*x->p))
        return false;
    const char *s = x->p;
    while (x->p < x->end && is_name_char((unsigned char)*x->p))
        x->p++;
    out->p = s;
    out->n = (uint32_t)(x->p - s);
    return true;
}

/* Appends text [s, e) with entity and character references decoded. */
static bool decode_text(const char *s, const char *e, sp_buf *out)
{
    while (s < e) {
        const char *amp = memchr(s, '&', (size_t)(e - s));
        if (!amp) {
            sp_buf_append(out, s, (size_t)(e - s));
            return true;
        }
        sp_buf_append(out, s, (size_t)(amp - s));
        const char *semi = memchr(amp, ';', (size_t)(e - amp));
        if (!semi)
            return false;
        const char *ent = amp + 1;
        size_t n = (size_t)(semi - ent);
        if (n == 2 && !memcmp(ent, "lt", 2))
            sp_buf_putc(out, '<');
        else if (n == 2 && !memcmp(ent, "gt", 2))
            sp_buf_putc(out, '>');
        else if (n == 3 && !memcmp(ent, "amp", 3))
            sp_buf_putc(out, '&');
        else if (n == 4 && !memcmp(ent, "quot", 4))
            sp_buf_putc(out, '"');
        else if (n == 4 && !memcmp(ent, "apos", 4))
            sp_buf_putc(out, '\'');
        else if (n >= 2 && ent[0] == '#') {
            bool hex = ent[1] == 'x';
            uint32_t cp = 0;
            size_t i = hex ? 2 : 1;
            if (i >= n)
                return false;
            for (; i < n; i++) {
                char c = ent[i];
                int d = c >= '0' && c <= '9' ? c - '0' : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (d < 0 || cp > 0x10FFFF)
                    return false;
                cp = cp * (hex ? 16 : 10) + (uint32_t)d;
            }
            if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return false;
            kf_utf8_put(out, cp);
        } else {
            return false; /* no DTD: other entities are undefined */
        }
        s = semi + 1;
    }
    return true;
}

static kstr arena_text(xparser *x, const sp_buf *b)
{
    return kstr_dup(x->arena, b->data ? b->data : "", b->len);
}

/* Adds a piece of significant text to element n. adjacent: no element came between it
 * and the previous piece (so they are one text node). */
static void add_text(xparser *x, xnode *n, const char *s, size_t len, bool adjacent)
{
    if (!adjacent && n->text.len) {
        kstr *t = sp_arena_alloc(x->arena, sizeof(kstr) * (size_t)(n->ntext + 1));
        if (n->ntext > 1)
            memcpy(t, n->texts, sizeof(kstr) * (size_t)(n->ntext - 1));
        t[n->ntext - 1] = arena_text(x, &n->text);
        n->texts = t;
        n->text.len = 0;
        n->ntext++;
    } else if (n->ntext == 0) {
        n->ntext = 1;
    }
    sp_buf_append(&n->text, s, len);
}

static void free_tree(xnode *n)
{
    for (xnode *k = n->kids; k; k = k->next)
        free_tree(k);
    sp_buf_free(&n->text);
}

static xnode *parse_element(xparser *x);

/* Content of element n up to and including its end tag. */
static bool parse_content(xparser *x, xnode *n)
{
    bool adjacent = true; /* no element since the last text piece */
    sp_buf piece = {0};
    for (;;) {
        if (x->p >= x->end)
            goto bad;
        if (*x->p != '<') {
            const char *s = x->p;
            while (x->p < x->end && *x->p != '<')
                x->p++;
            piece.len = 0;
            if (!decode_text(s, x->p, &piece))
                goto bad;
            bool blank = true;
            for (size_t i = 0; i < piece.len && blank; i++)
                blank = is_space(piece.data[i]);
            if (!blank) {
                add_text(x, n, piece.data, piece.len, adjacent);
                adjacent = true;
            }
            continue;
        }
        if (starts(x, "<!--")) {
            if (!skip_past(x, "-->"))
                goto bad;
            continue;
        }
        if (starts(x, "<![CDATA[")) {
            const char *s = x->p + 9;
            x->p = s;
            if (!skip_past(x, "]]>"))
                goto bad;
            add_text(x, n, s, (size_t)(x->p - 3 - s), adjacent);
            adjacent = true;
            continue;
        }
        if (starts(x, "<?")) {
            if (!skip_past(x, "?>"))
                goto bad;
            continue;
        }
        if (starts(x, "</")) {
            x->p += 2;
            kstr nm;
            if (!read_name(x, &nm) || nm.n != n->name.n || memcmp(nm.p, n->name.p, nm.n) != 0)
                goto bad;
            skip_space(x);
            if (x->p >= x->end || *x->p != '>')
                goto bad;
            x->p++;
            sp_buf_free(&piece);
            return true;
        }
        xnode *k = parse_element(x);
        if (!k)
            goto bad;
        if (n->last_kid)
            n->last_kid->next = k;
        else
            n->kids = k;
        n->last_kid = k;
        adjacent = false;
    }
bad:
    sp_buf_free(&piece);
    return false;
}

/* An element starting at '<'; NULL on malformed input. */
static xnode *parse_element(xparser *x)
{
    if (++x->depth > sp_limits.max_json_depth)
        return NULL;
    if (x->p >= x->end || *x->p != '<')
        return NULL;
    x->p++;
    xnode *n = sp_arena_calloc(x->arena, sizeof *n);
    if (!read_name(x, &n->name))
        return NULL;
    xattr *last = NULL;
    for (;;) {
        bool sp = x->p < x->end && is_space(*x->p);
        skip_space(x);
        if (x->p >= x->end)
            goto bad;
        if (*x->p == '/') {
            if (x->p + 1 >= x->end || x->p[1] != '>')
                goto bad;
            x->p += 2;
            x->depth--;
            return n;
        }
        if (*x->p == '>') {
            x->p++;
            break;
        }
        xattr *a = sp_arena_calloc(x->arena, sizeof *a);
        if (!sp || !read_name(x, &a->name))
            goto bad;
        skip_space(x);
        if (x->p >= x->end || *x->p != '=')
            goto bad;
        x->p++;
        skip_space(x);
        if (x->p >= x->end || (*x->p != '"' && *x->p != '\''))
            goto bad;
        char q = *x->p++;
        const char *s = x->p;
        while (x->p < x->end && *x->p != q && *x->p != '<')
            x->p++;
        if (x->p >= x->end || *x->p != q)
            goto bad;
        sp_buf v = {0};
        if (!decode_text(s, x->p, &v)) {
            sp_buf_free(&v);
            goto bad;
        }
        a->value = arena_text(x, &v);
        sp_buf_free(&v);
        x->p++;
        for (xattr *o = n->attrs; o; o = o->next)
            if (o->name.n == a->name.n && !memcmp(o->name.p, a->name.p, a->name.n))
                goto bad; /* duplicate attribute */
        if (last)
            last->next = a;
        else
            n->attrs = a;
        last = a;
    }
    if (!parse_content(x, n))
        goto bad;
    x->depth--;
    return n;
bad:
    free_tree(n);
    return NULL;
}

static void put_string(sp_buf *b, kstr s)
{
    sp_buf_json_string(b, s.p, s.n);
}

static void write_value(const xnode *n, sp_buf *b);

/* A text piece; in mixed content (text beside child elements) without the whitespace
 * around it, as the documented `<e> text <a>text</a> </e>` -> "#text": "text" shows. */
static void put_text(sp_buf *b, kstr s, bool mixed)
{
    if (mixed) {
        while (s.n && is_space(s.p[0])) {
            s.p++;
            s.n--;
        }
        while (s.n && is_space(s.p[s.n - 1]))
            s.n--;
    }
    put_string(b, s);
}

/* The pieces of text of n as one JSON value: a string, or an array of them. */
static void write_text(const xnode *n, sp_buf *b)
{
    kstr last = {n->text.data ? n->text.data : "", (uint32_t)n->text.len};
    bool mixed = n->kids != NULL;
    if (n->ntext <= 1) {
        put_text(b, last, mixed);
        return;
    }
    sp_buf_putc(b, '[');
    for (int i = 0; i < n->ntext - 1; i++) {
        put_text(b, n->texts[i], mixed);
        sp_buf_putc(b, ',');
    }
    put_text(b, last, mixed);
    sp_buf_putc(b, ']');
}

static bool same_name(kstr a, kstr b)
{
    return a.n == b.n && !memcmp(a.p, b.p, a.n);
}

static void write_value(const xnode *n, sp_buf *b)
{
    if (!n->attrs && !n->kids) {
        if (n->ntext == 0)
            sp_buf_puts(b, "null");
        else
            write_text(n, b);
        return;
    }
    sp_buf_putc(b, '{');
    bool first = true;
    for (const xattr *a = n->attrs; a; a = a->next) {
        if (!first)
            sp_buf_putc(b, ',');
        first = false;
        char key[512];
        int kn = snprintf(key, sizeof key, "@%.*s", (int)a->name.n, a->name.p);
        sp_buf_json_string(b, key, (size_t)SP_MIN(kn, (int)sizeof key - 1));
        sp_buf_putc(b, ':');
        put_string(b, a->value);
    }
    if (n->ntext > 0) {
        if (!first)
            sp_buf_putc(b, ',');
        first = false;
        sp_buf_puts(b, "\"#text\":");
        write_text(n, b);
    }
    for (const xnode *k = n->kids; k; k = k->next) {
        bool seen = false; /* a repeated name was written with its first occurrence */
        for (const xnode *o = n->kids; o != k && !seen; o = o->next)
            seen = same_name(o->name, k->name);
        if (seen)
            continue;
        int count = 0;
        for (const xnode *o = k; o; o = o->next)
            count += same_name(o->name, k->name);
        if (!first)
            sp_buf_putc(b, ',');
        first = false;
        put_string(b, k->name);
        sp_buf_putc(b, ':');
        if (count == 1) {
            write_value(k, b);
            continue;
        }
        sp_buf_putc(b, '[');
        bool f2 = true;
        for (const xnode *o = k; o; o = o->next)
            if (same_name(o->name, k->name)) {
                if (!f2)
                    sp_buf_putc(b, ',');
                f2 = false;
                write_value(o, b);
            }
        sp_buf_putc(b, ']');
    }
    sp_buf_putc(b, '}');
}

/* Skips the prolog's or epilog's declarations, comments, PIs, DOCTYPE and whitespace. */
static bool skip_misc(xparser *x)
{
    for (;;) {
        skip_space(x);
        if (starts(x, "<?")) {
            if (!skip_past(x, "?>"))
                return false;
        } else if (starts(x, "<!--")) {
            if (!skip_past(x, "-->"))
                return false;
        } else if (starts(x, "<!DOCTYPE")) {
            /* an internal subset [ ... ] may contain '>' */
            int bracket = 0;
            while (x->p < x->end && (*x->p != '>' || bracket > 0)) {
                bracket += *x->p == '[' ? 1 : *x->p == ']' ? -1 : 0;
                x->p++;
            }
            if (x->p >= x->end)
                return false;
            x->p++;
        } else {
            return true;
        }
    }
}

static void fn_parse_xml(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    kstr s = a[0].u.s;
    if (a[0].null || s.n == 0 || s.n > XML_MAX_INPUT) {
        kf_null(out, SP_TYPE_DYNAMIC);
        return;
    }
    xparser x = {s.p, s.p + s.n, c->arena, 0, false};
    if (x.end - x.p >= 3 && !memcmp(x.p, "\xEF\xBB\xBF", 3))
        x.p += 3;
    xnode *root = NULL;
    if (skip_misc(&x))
        root = parse_element(&x);
    if (!root || !skip_misc(&x) || x.p != x.end) {
        if (root)
            free_tree(root);
        kf_null(out, SP_TYPE_DYNAMIC);
        return;
    }
    sp_buf b = {0};
    sp_buf_putc(&b, '{');
    put_string(&b, root->name);
    sp_buf_putc(&b, ':');
    write_value(root, &b);
    sp_buf_putc(&b, '}');
    free_tree(root);
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

const kfn_reg kfn_xml[] = {
    {KB_parse_xml, {.scalar = fn_parse_xml, .dict_ok = true}},
    {(kb_id)-1, {0}},
};
