/* lexer.c — KQL text to tokens.
 *
 * The whole query is tokenized up front into one array: KQL needs several tokens of
 * look-ahead (`name =` vs `name ==`, lambda parameter lists, `!in~`), and an array makes
 * that trivial. Literal values are decoded here (string escapes, numbers, timespan
 * suffixes) so the parser deals in values. Words are never keywords at this level: KQL
 * lets most keywords be column names, so the parser decides by position. Two-token
 * spellings (`!has`, `in~`, `project-away`) are recognised by the parser from adjacency
 * (token end == next token start), which keeps `a - b` and `a-b` arithmetic intact.
 *
 * One exception to "no context": `datetime(...)`, `date(...)`, `timespan(...)`,
 * `time(...)` and `guid(...)` enclose raw text (`2024-01-31T23:59:59Z`,
 * `0.12:34:56.7`) that would not tokenize, so the lexer captures it as one KT_RAWLIT.
 */
#include "engine/kql/kql_int.h"

#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct lexer {
    const char *t;
    size_t n, i;
    uint32_t line, col; /* of position i */
    sp_arena *arena;
    sp_diag *err;
    kql_tok *toks;
    size_t ntoks, cap;
    sp_buf buf; /* decoding scratch for string literals */
    jmp_buf jb;
} lexer;

void kql_diag_at(sp_diag *err, const char *text, size_t len, uint32_t off, uint32_t end,
                 const char *fmt, ...)
{
    int line, col;
    sp_text_pos(text, len, off, &line, &col);
    memset(err, 0, sizeof *err);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->line = line;
    err->col = col;
    /* The caret covers the span, but never past the end of its line. */
    uint32_t e = off;
    while (e < end && e < len && text[e] != '\n' && text[e] != '\r')
        e++;
    err->span = e > off ? (int)(e - off) : 1;
    sp_diag_attach_source(err, text, len);
}

SP_PRINTF(4, 5)
static _Noreturn void lex_fail(lexer *lx, size_t off, size_t end, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kql_diag_at(lx->err, lx->t, lx->n, (uint32_t)off, (uint32_t)end, "%s", msg);
    longjmp(lx->jb, 1);
}

static bool is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_ident_char(unsigned char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int peekc(const lexer *lx, size_t k)
{
    return lx->i + k < lx->n ? (unsigned char)lx->t[lx->i + k] : -1;
}

/* Advances to offset `to`, keeping line and column. */
static void advance_to(lexer *lx, size_t to)
{
    for (; lx->i < to; lx->i++) {
        if (lx->t[lx->i] == '\n') {
            lx->line++;
            lx->col = 1;
        } else {
            lx->col++;
        }
    }
}

static kql_tok *push(lexer *lx, kql_tok_kind kind, size_t start, uint32_t line, uint32_t col)
{
    SP_GROW(lx->toks, lx->cap, lx->ntoks + 1);
    kql_tok *tk = &lx->toks[lx->ntoks++];
    memset(tk, 0, sizeof *tk);
    tk->kind = kind;
    tk->off = (uint32_t)start;
    tk->end = (uint32_t)lx->i;
    tk->line = line;
    tk->col = col;
    return tk;
}

bool kql_timespan_unit(const char *w, size_t n, int64_t *ticks_x100)
{
    static const struct {
        const char *name;
        int64_t ticks_x100;
    } units[] = {
        {"d", SP_TICKS_PER_DAY * 100},        {"day", SP_TICKS_PER_DAY * 100},
        {"days", SP_TICKS_PER_DAY * 100},     {"h", SP_TICKS_PER_HOUR * 100},
        {"hr", SP_TICKS_PER_HOUR * 100},      {"hrs", SP_TICKS_PER_HOUR * 100},
        {"hour", SP_TICKS_PER_HOUR * 100},    {"hours", SP_TICKS_PER_HOUR * 100},
        {"m", SP_TICKS_PER_MIN * 100},        {"min", SP_TICKS_PER_MIN * 100},
        {"minute", SP_TICKS_PER_MIN * 100},   {"minutes", SP_TICKS_PER_MIN * 100},
        {"s", SP_TICKS_PER_SEC * 100},        {"sec", SP_TICKS_PER_SEC * 100},
        {"second", SP_TICKS_PER_SEC * 100},   {"seconds", SP_TICKS_PER_SEC * 100},
        {"ms", SP_TICKS_PER_MS * 100},        {"milli", SP_TICKS_PER_MS * 100},
        {"millis", SP_TICKS_PER_MS * 100},    {"millisecond", SP_TICKS_PER_MS * 100},
        {"milliseconds", SP_TICKS_PER_MS * 100}, {"micro", SP_TICKS_PER_US * 100},
        {"micros", SP_TICKS_PER_US * 100},    {"microsecond", SP_TICKS_PER_US * 100},
        {"microseconds", SP_TICKS_PER_US * 100}, {"tick", 100},
        {"ticks", 100},                       {"nanosecond", 1},
        {"nanoseconds", 1},
    };
    for (size_t k = 0; k < SP_ARRAY_LEN(units); k++)
        if (sp_streq(w, n, units[k].name, strlen(units[k].name))) {
            *ticks_x100 = units[k].ticks_x100;
            return true;
        }
    return false;
}

/* Appends the UTF-8 encoding of code point cp. */
static void put_utf8(sp_buf *b, uint32_t cp)
{
    if (cp < 0x80) {
        sp_buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        sp_buf_putc(b, (char)(0xC0 | (cp >> 6)));
        sp_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        sp_buf_putc(b, (char)(0xE0 | (cp >> 12)));
        sp_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        sp_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else {
        sp_buf_putc(b, (char)(0xF0 | (cp >> 18)));
        sp_buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
        sp_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        sp_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads exactly `count` hex digits at t[j]; -1 when they are not there. */
static long read_hex(const lexer *lx, size_t j, int count)
{
    long v = 0;
    for (int k = 0; k < count; k++) {
        if (j + (size_t)k >= lx->n)
            return -1;
        int h = hexval((unsigned char)lx->t[j + (size_t)k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Lexes a string literal starting at lx->i (the opening quote, after any `h`/`@` prefix
 * at `start`). Decodes into buf. */
static void lex_string(lexer *lx, size_t start, bool verbatim, sp_buf *buf)
{
    char q = lx->t[lx->i];
    size_t j = lx->i + 1;
    /* ``` multi-line string: raw up to the next ``` */
    if (q == '`') {
        if (!(j + 1 < lx->n && lx->t[j] == '`' && lx->t[j + 1] == '`'))
            lex_fail(lx, lx->i, lx->i + 1, "unexpected character '`' (multi-line strings use ```)");
        j += 2;
        for (;; j++) {
            if (j + 2 >= lx->n)
                lex_fail(lx, start, lx->n, "unterminated multi-line string literal");
            if (lx->t[j] == '`' && lx->t[j + 1] == '`' && lx->t[j + 2] == '`')
                break;
            sp_buf_putc(buf, lx->t[j]);
        }
        advance_to(lx, j + 3);
        return;
    }
    for (;;) {
        if (j >= lx->n || lx->t[j] == '\n' || lx->t[j] == '\r')
            lex_fail(lx, start, j, "unterminated string literal");
        char c = lx->t[j];
        if (c == q) {
            if (verbatim && j + 1 < lx->n && lx->t[j + 1] == q) { /* "" inside @"..." */
                sp_buf_putc(buf, q);
                j += 2;
                continue;
            }
            j++;
            break;
        }
        if (c != '\\' || verbatim) {
            sp_buf_putc(buf, c);
            j++;
            continue;
        }
        if (j + 1 >= lx->n)
            lex_fail(lx, start, j, "unterminated string literal");
        char e = lx->t[j + 1];
        long v;
        switch (e) {
        case '\\': sp_buf_putc(buf, '\\'); j += 2; break;
        case '"': sp_buf_putc(buf, '"'); j += 2; break;
        case '\'': sp_buf_putc(buf, '\''); j += 2; break;
        case 'n': sp_buf_putc(buf, '\n'); j += 2; break;
        case 't': sp_buf_putc(buf, '\t'); j += 2; break;
        case 'r': sp_buf_putc(buf, '\r'); j += 2; break;
        case 'a': sp_buf_putc(buf, '\a'); j += 2; break;
        case 'b': sp_buf_putc(buf, '\b'); j += 2; break;
        case 'f': sp_buf_putc(buf, '\f'); j += 2; break;
        case 'v': sp_buf_putc(buf, '\v'); j += 2; break;
        case '0': sp_buf_putc(buf, '\0'); j += 2; break;
        case 'x':
            if ((v = read_hex(lx, j + 2, 2)) < 0)
                lex_fail(lx, j, j + 2, "invalid escape '\\x' in string literal (want \\xHH)");
            put_utf8(buf, (uint32_t)v);
            j += 4;
            break;
        case 'u':
            if ((v = read_hex(lx, j + 2, 4)) < 0)
                lex_fail(lx, j, j + 2, "invalid escape '\\u' in string literal (want \\uXXXX)");
            put_utf8(buf, (uint32_t)v);
            j += 6;
            break;
        case 'U':
            if ((v = read_hex(lx, j + 2, 8)) < 0 || v > 0x10FFFF)
                lex_fail(lx, j, j + 2,
                         "invalid escape '\\U' in string literal (want \\UXXXXXXXX)");
            put_utf8(buf, (uint32_t)v);
            j += 10;
            break;
        default:
            if ((unsigned char)e < 0x20 || (unsigned char)e >= 0x7f)
                lex_fail(lx, j, j + 1, "invalid escape in string literal");
            lex_fail(lx, j, j + 2,
                     "invalid escape '\\%c' in string literal (use @\"...\" for verbatim text)",
                     e);
        }
    }
    advance_to(lx, j);
}

static bool word_is(const char *w, size_t n, const char *s)
{
    return sp_streq(w, n, s, strlen(s));
}

/* Number: decimal or hex integer, real with fraction or exponent, or a timespan with a
 * unit suffix. */
static void lex_number(lexer *lx)
{
    size_t start = lx->i, j = lx->i;
    uint32_t line = lx->line, col = lx->col;
    const char *t = lx->t;
    if (t[j] == '0' && j + 1 < lx->n && (t[j + 1] == 'x' || t[j + 1] == 'X')) {
        j += 2;
        uint64_t v = 0;
        size_t ds = j;
        while (j < lx->n && hexval((unsigned char)t[j]) >= 0) {
            if (v > (UINT64_MAX >> 4))
                lex_fail(lx, start, j, "hexadecimal literal out of range");
            v = v * 16 + (uint64_t)hexval((unsigned char)t[j]);
            j++;
        }
        if (j == ds || (j < lx->n && is_ident_char((unsigned char)t[j])))
            lex_fail(lx, start, j + 1, "invalid hexadecimal literal");
        advance_to(lx, j);
        kql_tok *tk = push(lx, KT_LONG, start, line, col);
        tk->i = (int64_t)v;
        return;
    }
    bool real = false;
    while (j < lx->n && is_digit((unsigned char)t[j]))
        j++;
    /* `1.5`, `1.`; but not `1..2` (between) and not `1.x` */
    if (j < lx->n && t[j] == '.' && !(j + 1 < lx->n && t[j + 1] == '.')) {
        if (j + 1 < lx->n && is_digit((unsigned char)t[j + 1])) {
            real = true;
            j++;
            while (j < lx->n && is_digit((unsigned char)t[j]))
                j++;
        } else if (!(j + 1 < lx->n && is_ident_start((unsigned char)t[j + 1]))) {
            real = true;
            j++;
        }
    }
    size_t mant_end = j;
    if (j < lx->n && (t[j] == 'e' || t[j] == 'E')) {
        size_t k = j + 1;
        if (k < lx->n && (t[k] == '+' || t[k] == '-'))
            k++;
        if (k < lx->n && is_digit((unsigned char)t[k])) {
            while (k < lx->n && is_digit((unsigned char)t[k]))
                k++;
            real = true;
            j = k;
            mant_end = j;
        }
    }
    size_t num_end = j;
    /* A unit suffix makes a timespan: 2d, 1.5h, 100ms. */
    if (j < lx->n && is_ident_start((unsigned char)t[j])) {
        size_t ws = j;
        while (j < lx->n && is_ident_char((unsigned char)t[j]))
            j++;
        int64_t unit;
        if (!kql_timespan_unit(t + ws, j - ws, &unit))
            lex_fail(lx, start, j,
                     "invalid number '%.*s' (a timespan unit is one of d, h, m, s, ms, "
                     "microsecond, tick, ...)",
                     (int)SP_MIN(j - start, 40), t + start);
        double v;
        if (!sp_parse_f64(t + start, mant_end - start, &v))
            lex_fail(lx, start, j, "invalid number '%.*s'", (int)SP_MIN(j - start, 40),
                     t + start);
        double ticks = v * (double)unit / 100.0;
        if (!(ticks < 9.2e18))
            lex_fail(lx, start, j, "timespan literal out of range");
        advance_to(lx, j);
        kql_tok *tk = push(lx, KT_TIMESPAN, start, line, col);
        tk->i = (int64_t)llround(ticks);
        return;
    }
    advance_to(lx, num_end);
    if (real) {
        kql_tok *tk = push(lx, KT_REAL, start, line, col);
        double v;
        if (!sp_parse_f64(t + start, num_end - start, &v))
            lex_fail(lx, start, num_end, "invalid real literal");
        tk->r = v;
    } else {
        int64_t v;
        if (!sp_parse_i64(t + start, num_end - start, &v))
            lex_fail(lx, start, num_end, "integer literal '%.*s' out of range",
                     (int)SP_MIN(num_end - start, 40), t + start);
        kql_tok *tk = push(lx, KT_LONG, start, line, col);
        tk->i = v;
    }
}

/* Words that enclose raw text in parentheses (see the file comment). */
static bool is_raw_literal_word(const char *w, size_t n)
{
    return word_is(w, n, "datetime") || word_is(w, n, "date") || word_is(w, n, "timespan") ||
           word_is(w, n, "time") || word_is(w, n, "guid");
}

static void lex_word(lexer *lx, sp_buf *buf)
{
    size_t start = lx->i, j = lx->i;
    uint32_t line = lx->line, col = lx->col;
    const char *t = lx->t;
    if (t[j] == '$')
        j++;
    while (j < lx->n && is_ident_char((unsigned char)t[j]))
        j++;
    size_t wlen = j - start;
    /* h"..." / h'...' / h@"..." obfuscated strings */
    if (wlen == 1 && (t[start] == 'h' || t[start] == 'H') && j < lx->n &&
        (t[j] == '"' || t[j] == '\'' || (t[j] == '@' && j + 1 < lx->n &&
                                         (t[j + 1] == '"' || t[j + 1] == '\'')))) {
        bool verbatim = t[j] == '@';
        advance_to(lx, verbatim ? j + 1 : j);
        buf->len = 0;
        lex_string(lx, start, verbatim, buf);
        kql_tok *tk = push(lx, KT_STRING, start, line, col);
        tk->s = sp_arena_strndup(lx->arena, buf->data ? buf->data : "", buf->len);
        tk->slen = buf->len;
        tk->obfuscated = true;
        return;
    }
    if (is_raw_literal_word(t + start, wlen)) {
        size_t k = j;
        while (k < lx->n && (t[k] == ' ' || t[k] == '\t' || t[k] == '\r' || t[k] == '\n'))
            k++;
        if (k < lx->n && t[k] == '(') {
            size_t close = k + 1;
            while (close < lx->n && t[close] != ')' && t[close] != '\n')
                close++;
            if (close >= lx->n || t[close] != ')')
                lex_fail(lx, start, close, "expected ')' to close %.*s literal", (int)wlen,
                         t + start);
            advance_to(lx, close + 1);
            kql_tok *tk = push(lx, KT_RAWLIT, start, line, col);
            tk->wlen = (uint32_t)wlen;
            tk->roff = (uint32_t)(k + 1);
            tk->rend = (uint32_t)close;
            return;
        }
    }
    advance_to(lx, j);
    push(lx, KT_IDENT, start, line, col);
}

static void lex_all(lexer *lx)
{
    sp_buf *buf = &lx->buf;
    const char *t = lx->t;
    /* A UTF-8 byte order mark is not part of the query. */
    if (lx->n >= 3 && (unsigned char)t[0] == 0xEF && (unsigned char)t[1] == 0xBB &&
        (unsigned char)t[2] == 0xBF) {
        lx->i = 3;
    }
    for (;;) {
        /* whitespace and // comments */
        while (lx->i < lx->n) {
            char c = t[lx->i];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
                advance_to(lx, lx->i + 1);
            } else if (c == '/' && peekc(lx, 1) == '/') {
                size_t j = lx->i;
                while (j < lx->n && t[j] != '\n')
                    j++;
                advance_to(lx, j);
            } else {
                break;
            }
        }
        size_t start = lx->i;
        uint32_t line = lx->line, col = lx->col;
        if (lx->i >= lx->n) {
            push(lx, KT_EOF, start, line, col);
            break;
        }
        unsigned char c = (unsigned char)t[lx->i];
        int c1 = peekc(lx, 1);
        if (is_ident_start(c) || (c == '$' && c1 >= 0 && is_ident_start((unsigned char)c1))) {
            lex_word(lx, buf);
            continue;
        }
        if (is_digit(c)) {
            lex_number(lx);
            continue;
        }
        if (c == '"' || c == '\'' || c == '`' ||
            (c == '@' && (c1 == '"' || c1 == '\''))) {
            bool verbatim = c == '@';
            if (verbatim)
                advance_to(lx, lx->i + 1);
            buf->len = 0;
            lex_string(lx, start, verbatim, buf);
            kql_tok *tk = push(lx, KT_STRING, start, line, col);
            tk->s = sp_arena_strndup(lx->arena, buf->data ? buf->data : "", buf->len);
            tk->slen = buf->len;
            continue;
        }
        kql_tok_kind k;
        size_t w = 1;
        switch (c) {
        case '|': k = KT_PIPE; break;
        case '(': k = KT_LPAREN; break;
        case ')': k = KT_RPAREN; break;
        case '[': k = KT_LBRACKET; break;
        case ']': k = KT_RBRACKET; break;
        case '{': k = KT_LBRACE; break;
        case '}': k = KT_RBRACE; break;
        case ',': k = KT_COMMA; break;
        case ';': k = KT_SEMI; break;
        case ':': k = KT_COLON; break;
        case '+': k = KT_PLUS; break;
        case '-': k = KT_MINUS; break;
        case '*': k = KT_STAR; break;
        case '/': k = KT_SLASH; break;
        case '%': k = KT_PERCENT; break;
        case '~': k = KT_TILDE; break;
        case '?': k = KT_QUESTION; break;
        case '.':
            if (c1 == '.') {
                k = KT_DOTDOT;
                w = 2;
            } else {
                k = KT_DOT;
            }
            break;
        case '=':
            if (c1 == '=') {
                k = KT_EQ;
                w = 2;
            } else if (c1 == '~') {
                k = KT_EQ_CI;
                w = 2;
            } else if (c1 == '>') {
                k = KT_ARROW;
                w = 2;
            } else {
                k = KT_ASSIGN;
            }
            break;
        case '!':
            if (c1 == '=') {
                k = KT_NE;
                w = 2;
            } else if (c1 == '~') {
                k = KT_NE_CI;
                w = 2;
            } else {
                k = KT_BANG;
            }
            break;
        case '<':
            if (c1 == '=') {
                k = KT_LE;
                w = 2;
            } else if (c1 == '>') {
                k = KT_LTGT;
                w = 2;
            } else {
                k = KT_LT;
            }
            break;
        case '>':
            if (c1 == '=') {
                k = KT_GE;
                w = 2;
            } else {
                k = KT_GT;
            }
            break;
        default:
            if (c >= 0x20 && c < 0x7f)
                lex_fail(lx, start, start + 1, "unexpected character '%c'", c);
            lex_fail(lx, start, start + 1, "unexpected byte 0x%02x", c);
        }
        advance_to(lx, lx->i + w);
        push(lx, k, start, line, col);
    }
}

int kql_lex(const char *text, size_t len, sp_arena *arena, kql_tok **toks, size_t *ntoks,
            sp_diag *err)
{
    lexer lx = {.t = text, .n = len, .line = 1, .col = 1, .arena = arena, .err = err};
    /* Offsets are 32-bit; a query beyond 4 GiB is not a query. */
    if (len >= UINT32_MAX) {
        memset(err, 0, sizeof *err);
        sp_diag_set(err, NULL, 0, 0, "query text too large");
        return -1;
    }
    if (setjmp(lx.jb)) {
        sp_buf_free(&lx.buf);
        free(lx.toks);
        *toks = NULL;
        *ntoks = 0;
        return -1;
    }
    lex_all(&lx);
    sp_buf_free(&lx.buf);
    *toks = lx.toks;
    *ntoks = lx.ntoks;
    return 0;
}
