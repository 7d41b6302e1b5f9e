/* json_compact.c — strict JSON validation and minification in one pass (sp_json_compact).
 *
 * Every dynamic value socpipe stores (a Status object, AdditionalFields, LLMEventData, ...)
 * goes through here at ingest, because simdjson's On-Demand parser does not validate the
 * values it skips: stored text must be well-formed JSON (RFC 8259) so later lazy parses
 * never fail, and compact so equal values compare equal byte for byte.
 *
 * Why it is fast: the input is copied in runs. Nothing is copied until the scanner meets
 * insignificant whitespace (or the end), and then the whole run before it goes out with one
 * memcpy, so already-compact input costs one copy. Strings — most of the bytes — are scanned
 * 16 bytes at a time with SSE2 for the only bytes that need attention (quote, backslash,
 * control characters, non-ASCII); UTF-8 sequences and escapes are then checked one by one.
 * Nesting is tracked in a bit stack (1 = object), so depth costs one bit per level and
 * there is no recursion: a 100k-deep array is rejected after max_depth bytes.
 *
 * Strictness choices: string escapes are kept as written (only whitespace is removed, as
 * the contract says); a \u escape must be 4 hex digits and a surrogate must come in a
 * high+low pair, because a lone surrogate cannot become valid UTF-8 when the value is later
 * decoded.
 */
#include "engine/core/core.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static const char R_EMPTY[] = "empty input";
static const char R_EOF[] = "unexpected end of input";
static const char R_CHAR[] = "unexpected character";
static const char R_TRAILING[] = "trailing characters after the value";
static const char R_DEPTH[] = "nesting too deep";
static const char R_CTRL[] = "control character in string";
static const char R_ESCAPE[] = "invalid escape";
static const char R_UESCAPE[] = "invalid unicode escape";
static const char R_SURROGATE[] = "lone surrogate in unicode escape";
static const char R_UTF8[] = "invalid UTF-8";
static const char R_NUMBER[] = "invalid number";
static const char R_LITERAL[] = "invalid literal";
static const char R_KEY[] = "expected a string key";
static const char R_COLON[] = "expected ':'";
static const char R_OBJ_SEP[] = "expected ',' or '}'";
static const char R_ARR_SEP[] = "expected ',' or ']'";

typedef struct {
    const unsigned char *in, *p, *end;
    const unsigned char *run; /* start of the input not yet copied */
    char *dst;
    const char *reason;
} jc_state;

static inline bool is_ws(unsigned c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Copies the pending run [run, p) to the output. */
static inline void flush_run(jc_state *s)
{
    size_t k = (size_t)(s->p - s->run);
    if (k) {
        memcpy(s->dst, s->run, k);
        s->dst += k;
    }
}

/* Skips whitespace; if there was any, the run before it is copied and a new run starts. */
static inline void skip_ws(jc_state *s)
{
    if (SP_LIKELY(s->p >= s->end || !is_ws(*s->p)))
        return;
    flush_run(s);
    while (s->p < s->end && is_ws(*s->p))
        s->p++;
    s->run = s->p;
}

static inline int hexval(unsigned c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    return -1;
}

/* Reads 4 hex digits at p; returns the code unit or -1. */
static inline long hex4(const unsigned char *p, const unsigned char *end)
{
    if (end - p < 4)
        return -1;
    int a = hexval(p[0]), b = hexval(p[1]), c = hexval(p[2]), d = hexval(p[3]);
    if ((a | b | c | d) < 0)
        return -1;
    return (long)((a << 12) | (b << 8) | (c << 4) | d);
}

/* Length of the well-formed UTF-8 sequence at p (2..4), or 0 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). p[0] >= 0x80. */
static inline size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t avail = (size_t)(end - p);
    if (c >= 0xC2 && c <= 0xDF)
        return (avail >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
            return 0;
        return 4;
    }
    return 0;
}

/* Scans a string whose opening quote is at s->p; leaves s->p after the closing quote. */
static bool scan_string(jc_state *s)
{
    const unsigned char *p = s->p + 1, *end = s->end;
    for (;;) {
#if defined(__SSE2__)
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                      ctl = _mm_set1_epi8(0x1F);
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                        _mm_cmpeq_epi8(v, bslash)),
                                           _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));
            unsigned mask = (unsigned)_mm_movemask_epi8(special) | (unsigned)_mm_movemask_epi8(v);
            if (mask) {
                p += __builtin_ctz(mask);
                goto special;
            }
            p += 16;
        }
#endif
        while (p < end && *p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80)
            p++;
        if (p >= end) {
            s->p = p;
            s->reason = R_EOF;
            return false;
        }
#if defined(__SSE2__)
    special:
#endif
        {
            unsigned c = *p;
            if (c == '"') {
                s->p = p + 1;
                return true;
            }
            if (c == '\\') {
                if (end - p < 2) {
                    s->p = end;
                    s->reason = R_EOF;
                    return false;
                }
                unsigned e = p[1];
                if (e == 'u') {
                    long u = hex4(p + 2, end);
                    if (u < 0) {
                        s->p = p;
                        s->reason = R_UESCAPE;
                        return false;
                    }
                    if (u >= 0xD800 && u <= 0xDBFF) {
                        long lo = (end - p >= 12 && p[6] == '\\' && p[7] == 'u') ? hex4(p + 8, end) : -1;
                        if (lo < 0xDC00 || lo > 0xDFFF) {
                            s->p = p;
                            s->reason = R_SURROGATE;
                            return false;
                        }
                        p += 12;
                    } else if (u >= 0xDC00 && u <= 0xDFFF) {
                        s->p = p;
                        s->reason = R_SURROGATE;
                        return false;
                    } else {
                        p += 6;
                    }
                } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                           e == 'r' || e == 't') {
                    p += 2;
                } else {
                    s->p = p;
                    s->reason = R_ESCAPE;
                    return false;
                }
            } else if (c < 0x20) {
                s->p = p;
                s->reason = R_CTRL;
                return false;
            } else {
                size_t k = utf8_len(p, end);
                if (!k) {
                    s->p = p;
                    s->reason = R_UTF8;
                    return false;
                }
                p += k;
            }
        }
    }
}

static inline bool is_digit(unsigned c)
{
    return c - '0' < 10;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool scan_number(jc_state *s)
{
    const unsigned char *p = s->p, *end = s->end;
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        goto bad;
    if (*p == '0') {
        p++;
    } else if (is_digit(*p)) {
        while (p < end && is_digit(*p))
            p++;
    } else {
        goto bad;
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || !is_digit(*p))
            goto bad;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            goto bad;
        while (p < end && is_digit(*p))
            p++;
    }
    /* A number must not run into letters or digits (`01`, `1x`). */
    if (p < end && (is_digit(*p) || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') || *p == '.' ||
                    *p == '-' || *p == '+'))
        goto bad;
    s->p = p;
    return true;
bad:
    s->p = p;
    s->reason = R_NUMBER;
    return false;
}

static bool scan_literal(jc_state *s, const char *lit, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0) {
        s->reason = R_LITERAL;
        return false;
    }
    s->p += n;
    if (s->p < s->end && (((*s->p | 0x20) >= 'a' && (*s->p | 0x20) <= 'z') || is_digit(*s->p))) {
        s->reason = R_LITERAL;
        return false;
    }
    return true;
}

int sp_json_compact(const char *in, size_t n, int max_depth, sp_buf *out, size_t *err_offset,
                    const char **reason)
{
    sp_buf_reserve(out, n);
    size_t len;
    if (sp_json_compact_to(in, n, max_depth, out->data + out->len, &len, err_offset, reason) != 0)
        return -1;
    out->len += len;
    return 0;
}

int sp_json_compact_to(const char *in, size_t n, int max_depth, char *dst, size_t *out_len, size_t *err_offset,
                       const char **reason)
{
    jc_state s;
    s.in = (const unsigned char *)in;
    s.p = s.in;
    s.end = s.in + n;
    s.run = s.p;
    s.reason = NULL;
    s.dst = dst;

    /* Bit stack of open containers: bit set = object. */
    uint64_t local[8];
    uint64_t *stack = local;
    if (max_depth < 0)
        max_depth = 0;
    size_t words = ((size_t)max_depth + 64) / 64;
    if (words > SP_ARRAY_LEN(local))
        stack = sp_xmalloc(words * sizeof *stack);
    int depth = 0;

    /* Leading whitespace is dropped without copying. */
    while (s.p < s.end && is_ws(*s.p))
        s.p++;
    s.run = s.p;
    if (s.p >= s.end) {
        s.reason = R_EMPTY;
        goto fail;
    }

value:
    if (s.p >= s.end) {
        s.reason = R_EOF;
        goto fail;
    }
    switch (*s.p) {
    case '{':
    case '[': {
        bool obj = *s.p == '{';
        if (depth >= max_depth) {
            s.reason = R_DEPTH;
            goto fail;
        }
        uint64_t bit = 1ULL << (depth & 63);
        if (obj)
            stack[depth >> 6] |= bit;
        else
            stack[depth >> 6] &= ~bit;
        depth++;
        s.p++;
        skip_ws(&s);
        if (s.p >= s.end) {
            s.reason = R_EOF;
            goto fail;
        }
        if (*s.p == (obj ? '}' : ']')) {
            s.p++;
            depth--;
            goto after_value;
        }
        if (obj)
            goto key;
        goto value;
    }
    case '"':
        if (!scan_string(&s))
            goto fail;
        goto after_value;
    case 't':
        if (!scan_literal(&s, "true", 4))
            goto fail;
        goto after_value;
    case 'f':
        if (!scan_literal(&s, "false", 5))
            goto fail;
        goto after_value;
    case 'n':
        if (!scan_literal(&s, "null", 4))
            goto fail;
        goto after_value;
    default:
        if (*s.p == '-' || is_digit(*s.p)) {
            if (!scan_number(&s))
                goto fail;
            goto after_value;
        }
        s.reason = (*s.p >= 0x80 && !utf8_len(s.p, s.end)) ? R_UTF8 : R_CHAR;
        goto fail;
    }

key:
    if (s.p >= s.end) {
        s.reason = R_EOF;
        goto fail;
    }
    if (*s.p != '"') {
        s.reason = R_KEY;
        goto fail;
    }
    if (!scan_string(&s))
        goto fail;
    skip_ws(&s);
    if (s.p >= s.end) {
        s.reason = R_EOF;
        goto fail;
    }
    if (*s.p != ':') {
        s.reason = R_COLON;
        goto fail;
    }
    s.p++;
    skip_ws(&s);
    goto value;

after_value:
    skip_ws(&s);
    if (depth == 0) {
        if (s.p != s.end) {
            s.reason = R_TRAILING;
            goto fail;
        }
        flush_run(&s);
        *out_len = (size_t)(s.dst - dst);
        if (stack != local)
            free(stack);
        return 0;
    }
    if (s.p >= s.end) {
        s.reason = R_EOF;
        goto fail;
    }
    {
        bool obj = (stack[(depth - 1) >> 6] >> ((depth - 1) & 63)) & 1;
        unsigned c = *s.p;
        if (c == ',') {
            s.p++;
            skip_ws(&s);
            if (obj)
                goto key;
            goto value;
        }
        if (c == (obj ? '}' : ']')) {
            s.p++;
            depth--;
            goto after_value;
        }
        s.reason = obj ? R_OBJ_SEP : R_ARR_SEP;
        goto fail;
    }

fail:
    if (stack != local)
        free(stack);
    if (err_offset)
        *err_offset = (size_t)(s.p - s.in);
    if (reason)
        *reason = s.reason;
    return -1;
}
