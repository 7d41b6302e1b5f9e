/* yaml.c — libyaml's event stream turned into a small node tree with file:line:col on every
 * node.
 *
 * The event API (not libyaml's document API) is used because it is the only way to see
 * anchors, aliases and tags before libyaml resolves them away, and because building our own
 * nodes lets every node carry a byte-exact position: libyaml counts columns in characters,
 * diagnostics count bytes, so positions are converted through a line table. Plain scalars
 * are typed with the YAML 1.2 core schema (null, bool, int, float); quoted scalars are
 * strings. Problems that leave the stream parseable (anchors, aliases, unknown tags,
 * duplicate keys, excessive nesting) mark only their own document bad, so one broken
 * document does not hide the others of a multi-document file.
 */
#include "sigma/sig_int.h"

#include <math.h>
#include <string.h>
#include <yaml.h>

typedef struct ybuild {
    sp_arena *a;
    const char *text;
    size_t len;
    size_t *lines; /* byte offset of each line start */
    size_t nlines;
    int max_depth;
    /* open collections */
    sig_ynode **stack;
    size_t depth, cap;
    /* items being collected per open collection */
    sig_ynode ***kids;
    size_t *nkids, *ckids;
    sig_ydoc *doc;
    bool in_doc;
    bool doc_bad;
    sp_diag doc_diag;
    sig_reason doc_reason;
} ybuild;

static void index_lines(ybuild *b)
{
    size_t cap = 64;
    b->lines = sp_xmalloc(cap * sizeof *b->lines);
    b->nlines = 0;
    b->lines[b->nlines++] = 0;
    for (size_t i = 0; i < b->len; i++) {
        if (b->text[i] == '\n') {
            if (b->nlines == cap) {
                cap *= 2;
                b->lines = sp_xrealloc(b->lines, cap * sizeof *b->lines);
            }
            b->lines[b->nlines++] = i + 1;
        }
    }
}

/* libyaml mark (0-based line, column in characters) -> byte offset. */
static size_t mark_offset(const ybuild *b, const yaml_mark_t *m)
{
    if (m->line >= b->nlines)
        return b->len;
    size_t off = b->lines[m->line];
    if (m->line == 0 && b->len >= 3 && !memcmp(b->text, "\xEF\xBB\xBF", 3))
        off = 3; /* the reader skips a byte order mark */
    for (size_t chars = 0; chars < m->column && off < b->len && b->text[off] != '\n'; chars++) {
        unsigned char c = (unsigned char)b->text[off++];
        if (c >= 0xC0)
            while (off < b->len && ((unsigned char)b->text[off] & 0xC0) == 0x80)
                off++;
    }
    return off;
}

static void set_pos(const ybuild *b, sig_ynode *n, const yaml_mark_t *m)
{
    n->off = mark_offset(b, m);
    n->line = (int)m->line + 1;
    size_t start = m->line < b->nlines ? b->lines[m->line] : b->len;
    if (m->line == 0 && b->len >= 3 && !memcmp(b->text, "\xEF\xBB\xBF", 3))
        start = 3; /* the byte order mark is invisible: columns start after it */
    n->col = (int)(n->off - start) + 1;
}

static void doc_error(ybuild *b, const sig_ynode *n, sig_reason r, const char *fmt, ...)
    SP_PRINTF(4, 5);

static void doc_error(ybuild *b, const sig_ynode *n, sig_reason r, const char *fmt, ...)
{
    if (b->doc_bad)
        return;
    b->doc_bad = true;
    b->doc_reason = r;
    memset(&b->doc_diag, 0, sizeof b->doc_diag);
    b->doc_diag.span = 1;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sp_diag_set(&b->doc_diag, NULL, n->line, n->col, "%s", msg);
}

static bool streq(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static bool all_digits(const char *s, size_t n, int base)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = base == 16 ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                                (c >= 'A' && c <= 'F'))
                  : base == 8 ? (c >= '0' && c <= '7')
                              : (c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return true;
}

static bool parse_int(const char *s, size_t n, int64_t *out)
{
    const char *p = s;
    size_t m = n;
    int base = 10;
    bool neg = false;
    if (m > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) {
        base = p[1] == 'x' ? 16 : 8;
        p += 2;
        m -= 2;
    } else if (m > 0 && (p[0] == '-' || p[0] == '+')) {
        neg = p[0] == '-';
        p++;
        m--;
    }
    if (!all_digits(p, m, base))
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < m; i++) {
        char c = p[i];
        unsigned d = c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 32) - 'a' + 10);
        if (v > (UINT64_MAX - d) / (uint64_t)base)
            return false;
        v = v * (uint64_t)base + d;
    }
    if (v > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static bool is_float(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    if (i < n && s[i] == '.') {
        const char *r = s + i + 1;
        size_t rn = n - i - 1;
        if ((rn == 3 && (!memcmp(r, "inf", 3) || !memcmp(r, "Inf", 3) || !memcmp(r, "INF", 3))))
            return true;
    }
    size_t digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (digits == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t e = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, e++;
        if (e == 0)
            return false;
    }
    return i == n;
}

static void type_plain(sig_ynode *n)
{
    const char *s = n->s;
    size_t l = n->len;
    if (l == 0 || streq(s, "~") || streq(s, "null") || streq(s, "Null") || streq(s, "NULL")) {
        n->type = SIG_YT_NULL;
    } else if (streq(s, "true") || streq(s, "True") || streq(s, "TRUE")) {
        n->type = SIG_YT_BOOL;
        n->b = true;
    } else if (streq(s, "false") || streq(s, "False") || streq(s, "FALSE")) {
        n->type = SIG_YT_BOOL;
        n->b = false;
    } else if (parse_int(s, l, &n->i)) {
        n->type = SIG_YT_INT;
        n->f = (double)n->i;
    } else if (streq(s, ".nan") || streq(s, ".NaN") || streq(s, ".NAN")) {
        n->type = SIG_YT_FLOAT;
        n->f = NAN;
    } else if (is_float(s, l)) {
        n->type = SIG_YT_FLOAT;
        const char *p = s;
        bool neg = *p == '-';
        if (*p == '-' || *p == '+')
            p++;
        if (*p == '.' && (p[1] == 'i' || p[1] == 'I'))
            n->f = neg ? -INFINITY : INFINITY;
        else if (!sp_parse_f64(s, l, &n->f))
            n->type = SIG_YT_STR;
    } else {
        n->type = SIG_YT_STR;
    }
}

/* Applies an explicit core tag; returns false for tags we do not accept. */
static bool apply_tag(sig_ynode *n, const char *tag)
{
    static const char core[] = "tag:yaml.org,2002:";
    if (!tag || streq(tag, "!"))
        return true;
    if (strncmp(tag, core, sizeof core - 1) != 0)
        return false;
    const char *t = tag + sizeof core - 1;
    if (n->kind == SIG_Y_MAP)
        return streq(t, "map");
    if (n->kind == SIG_Y_SEQ)
        return streq(t, "seq");
    if (streq(t, "str")) {
        n->type = SIG_YT_STR;
        return true;
    }
    sig_ynode probe = *n;
    type_plain(&probe);
    if ((streq(t, "int") && probe.type == SIG_YT_INT) ||
        (streq(t, "float") && (probe.type == SIG_YT_FLOAT || probe.type == SIG_YT_INT)) ||
        (streq(t, "bool") && probe.type == SIG_YT_BOOL) ||
        (streq(t, "null") && probe.type == SIG_YT_NULL)) {
        *n = probe;
        if (streq(t, "float"))
            n->type = SIG_YT_FLOAT;
        return true;
    }
    return false;
}

static sig_ynode *new_node(ybuild *b, sig_ykind k, const yaml_mark_t *m)
{
    sig_ynode *n = sp_arena_calloc(b->a, sizeof *n);
    n->kind = k;
    set_pos(b, n, m);
    return n;
}

static void push_kid(ybuild *b, sig_ynode *n)
{
    if (b->depth == 0) {
        b->doc->root = n;
        return;
    }
    size_t d = b->depth - 1;
    if (b->nkids[d] == b->ckids[d]) {
        b->ckids[d] = b->ckids[d] ? b->ckids[d] * 2 : 8;
        b->kids[d] = sp_xrealloc(b->kids[d], b->ckids[d] * sizeof(sig_ynode *));
    }
    sig_ynode *parent = b->stack[d];
    if (parent->kind == SIG_Y_MAP && b->nkids[d] % 2 == 0) {
        /* a key: must be a scalar, must be unique */
        if (n->kind != SIG_Y_SCALAR) {
            doc_error(b, n, SIG_R_BAD_FIELD, "%s", "mapping keys must be plain scalars");
        } else {
            for (size_t i = 0; i < b->nkids[d]; i += 2) {
                const sig_ynode *k = b->kids[d][i];
                if (k->kind == SIG_Y_SCALAR && k->len == n->len && !memcmp(k->s, n->s, n->len)) {
                    doc_error(b, n, SIG_R_DUPLICATE_KEY, "duplicate key '%s'", n->s);
                    break;
                }
            }
        }
    }
    b->kids[d][b->nkids[d]++] = n;
}

static void open_coll(ybuild *b, sig_ynode *n)
{
    push_kid(b, n);
    if (b->depth == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->stack = sp_xrealloc(b->stack, b->cap * sizeof *b->stack);
        b->kids = sp_xrealloc(b->kids, b->cap * sizeof *b->kids);
        b->nkids = sp_xrealloc(b->nkids, b->cap * sizeof *b->nkids);
        b->ckids = sp_xrealloc(b->ckids, b->cap * sizeof *b->ckids);
    }
    b->stack[b->depth] = n;
    b->kids[b->depth] = NULL;
    b->nkids[b->depth] = b->ckids[b->depth] = 0;
    b->depth++;
    if ((int)b->depth > b->max_depth) {
        doc_error(b, n, SIG_R_TOO_DEEP, "nesting deeper than the limit of %d levels (max_rule_depth)",
                  b->max_depth);
    }
}

static void close_coll(ybuild *b)
{
    size_t d = --b->depth;
    sig_ynode *n = b->stack[d];
    n->n = n->kind == SIG_Y_MAP ? b->nkids[d] / 2 : b->nkids[d];
    if (b->nkids[d]) {
        n->items = sp_arena_alloc(b->a, b->nkids[d] * sizeof(sig_ynode *));
        memcpy(n->items, b->kids[d], b->nkids[d] * sizeof(sig_ynode *));
    }
    free(b->kids[d]);
    b->kids[d] = NULL;
}

static void finish_doc(ybuild *b)
{
    b->in_doc = false;
    if (b->doc_bad) {
        b->doc->bad = true;
        b->doc->diag = b->doc_diag;
        b->doc->reason = b->doc_reason;
    }
}

int sig_yaml_parse(sp_arena *arena, const char *name, const char *text, size_t len,
                   int max_depth, sig_yfile *out, sp_diag *d, sig_reason *reason)
{
    memset(out, 0, sizeof *out);
    out->name = name;
    out->text = text;
    out->len = len;
    ybuild b = {.a = arena, .text = text, .len = len, .max_depth = max_depth};
    index_lines(&b);
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    size_t cap = 0;
    int rc = 0;
    for (;;) {
        yaml_event_t e;
        if (!yaml_parser_parse(&p, &e)) {
            memset(d, 0, sizeof *d);
            d->span = 1;
            const yaml_mark_t *m = p.problem_mark.line || p.problem_mark.column
                                       ? &p.problem_mark
                                       : &p.context_mark;
            sig_ynode at;
            set_pos(&b, &at, m);
            if (p.context)
                sp_diag_set(d, name, at.line, at.col, "YAML syntax error: %s %s",
                            p.problem ? p.problem : "invalid YAML", p.context);
            else
                sp_diag_set(d, name, at.line, at.col, "YAML syntax error: %s",
                            p.problem ? p.problem : "invalid YAML");
            *reason = SIG_R_YAML;
            rc = -1;
            /* the document being built is incomplete: drop it */
            if (b.in_doc)
                out->ndocs--;
            break;
        }
        yaml_event_type_t t = e.type;
        switch (t) {
        case YAML_DOCUMENT_START_EVENT:
            if (out->ndocs == cap) {
                cap = cap ? cap * 2 : 4;
                sig_ydoc *nd = sp_arena_alloc(arena, cap * sizeof *nd);
                if (out->ndocs)
                    memcpy(nd, out->docs, out->ndocs * sizeof *nd);
                out->docs = nd;
            }
            b.doc = &out->docs[out->ndocs++];
            memset(b.doc, 0, sizeof *b.doc);
            b.doc->line = (int)e.start_mark.line + 1;
            b.doc_bad = false;
            b.in_doc = true;
            break;
        case YAML_DOCUMENT_END_EVENT:
            finish_doc(&b);
            break;
        case YAML_ALIAS_EVENT: {
            sig_ynode *n = new_node(&b, SIG_Y_SCALAR, &e.start_mark);
            n->s = "";
            n->type = SIG_YT_NULL;
            push_kid(&b, n);
            doc_error(&b, n, SIG_R_YAML_ALIAS,
                      "YAML aliases are not supported (alias '*%s'); write the value out",
                      (const char *)e.data.alias.anchor);
            break;
        }
        case YAML_SCALAR_EVENT: {
            sig_ynode *n = new_node(&b, SIG_Y_SCALAR, &e.start_mark);
            n->len = e.data.scalar.length;
            n->s = sp_arena_strndup(arena, (const char *)e.data.scalar.value, n->len);
            yaml_scalar_style_t st = e.data.scalar.style;
            n->quoted = st == YAML_SINGLE_QUOTED_SCALAR_STYLE || st == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
            n->one_line = e.start_mark.line == e.end_mark.line &&
                          (st == YAML_PLAIN_SCALAR_STYLE || st == YAML_SINGLE_QUOTED_SCALAR_STYLE);
            if (st == YAML_PLAIN_SCALAR_STYLE && !e.data.scalar.tag)
                type_plain(n);
            else
                n->type = SIG_YT_STR;
            push_kid(&b, n);
            if (e.data.scalar.anchor)
                doc_error(&b, n, SIG_R_YAML_ALIAS,
                          "YAML anchors are not supported (anchor '&%s'); write the value out",
                          (const char *)e.data.scalar.anchor);
            if (!apply_tag(n, (const char *)e.data.scalar.tag))
                doc_error(&b, n, SIG_R_YAML_TAG, "unsupported YAML tag '%s'",
                          (const char *)e.data.scalar.tag);
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            bool map = t == YAML_MAPPING_START_EVENT;
            sig_ynode *n = new_node(&b, map ? SIG_Y_MAP : SIG_Y_SEQ, &e.start_mark);
            open_coll(&b, n);
            const char *anchor = (const char *)(map ? e.data.mapping_start.anchor
                                                    : e.data.sequence_start.anchor);
            const char *tag = (const char *)(map ? e.data.mapping_start.tag
                                                 : e.data.sequence_start.tag);
            if (anchor)
                doc_error(&b, n, SIG_R_YAML_ALIAS,
                          "YAML anchors are not supported (anchor '&%s'); write the value out",
                          anchor);
            if (!apply_tag(n, tag))
                doc_error(&b, n, SIG_R_YAML_TAG, "unsupported YAML tag '%s'", tag);
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            close_coll(&b);
            break;
        default:
            break;
        }
        yaml_event_delete(&e);
        if (t == YAML_STREAM_END_EVENT)
            break;
    }
    while (b.depth)
        close_coll(&b);
    yaml_parser_delete(&p);
    free(b.stack);
    free(b.kids);
    free(b.nkids);
    free(b.ckids);
    free(b.lines);
    return rc;
}

sig_ynode *sig_ymap_get(const sig_ynode *map, const char *key)
{
    if (!map || map->kind != SIG_Y_MAP)
        return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < map->n; i++) {
        const sig_ynode *k = map->items[2 * i];
        if (k->kind == SIG_Y_SCALAR && k->len == kl && !memcmp(k->s, key, kl))
            return map->items[2 * i + 1];
    }
    return NULL;
}

const char *sig_ytype_name(const sig_ynode *n)
{
    if (n->kind == SIG_Y_MAP)
        return "a map";
    if (n->kind == SIG_Y_SEQ)
        return "a list";
    switch (n->type) {
    case SIG_YT_STR:
        return "a string";
    case SIG_YT_INT:
    case SIG_YT_FLOAT:
        return "a number";
    case SIG_YT_BOOL:
        return "a boolean";
    case SIG_YT_NULL:
        return "null";
    }
    return "a value";
}
