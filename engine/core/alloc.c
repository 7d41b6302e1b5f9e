/* alloc.c — allocation that never returns NULL, bump arenas and growable byte buffers.
 *
 * Ingest and query execution allocate many small, short-lived objects whose lifetime is a
 * batch or a query; an arena frees them in one step instead of one free() each. Growable
 * buffers back everything that is built incrementally (JSON output, column bytes).
 */
#include "engine/core/core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

sp_limits_t sp_limits = {
    .max_record_bytes = SP_DEFAULT_MAX_RECORD_BYTES,
    .max_json_depth = SP_DEFAULT_MAX_JSON_DEPTH,
    .max_regex_input = SP_DEFAULT_MAX_REGEX_INPUT,
    .regex_retry_limit = SP_DEFAULT_REGEX_RETRY_LIMIT,
    .max_rule_bytes = SP_DEFAULT_MAX_RULE_BYTES,
    .max_rule_depth = SP_DEFAULT_MAX_RULE_DEPTH,
    .max_vm_steps = SP_DEFAULT_MAX_VM_STEPS,
    .chunk_rows = SP_DEFAULT_CHUNK_ROWS,
    .max_columns = SP_DEFAULT_MAX_COLUMNS,
    .max_alert_events = SP_DEFAULT_MAX_ALERT_EVENTS,
    .make_set_cap = SP_DEFAULT_MAKE_SET_CAP,
    .verdict_cache_bytes = SP_DEFAULT_VERDICT_CACHE_BYTES,
};

static void out_of_memory(size_t n)
{
    fprintf(stderr, "socpipe: out of memory allocating %zu bytes\n", n);
    abort();
}

void *sp_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

void *sp_xcalloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (!p)
        out_of_memory(count * n);
    return p;
}

void *sp_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    return q;
}

char *sp_xstrdup(const char *s)
{
    return sp_xstrndup(s, strlen(s));
}

char *sp_xstrndup(const char *s, size_t n)
{
    char *p = sp_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void sp_grow(void **items, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap : 8;
    while (c < need)
        c += c / 2 + 8;
    *items = sp_xrealloc(*items, c * elem);
    *cap = c;
}

/* ---- arena ---- */

struct sp_arena_block {
    sp_arena_block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

void *sp_arena_alloc(sp_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    sp_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t bs = a->block_size ? a->block_size : 64 * 1024;
        if (n > bs / 4) {
            /* A large allocation gets a block of its own, kept behind the current one so
             * the current block's free space is not wasted. */
            sp_arena_block *big = sp_xmalloc(sizeof *big + n);
            big->size = n;
            big->used = n;
            a->bytes += sizeof *big + n;
            if (b) {
                big->next = b->next;
                b->next = big;
            } else {
                big->next = NULL;
                a->head = big;
            }
            return big->data;
        }
        b = sp_xmalloc(sizeof *b + bs);
        b->size = bs;
        b->used = 0;
        b->next = a->head;
        a->head = b;
        a->bytes += sizeof *b + bs;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

void *sp_arena_calloc(sp_arena *a, size_t n)
{
    void *p = sp_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *sp_arena_strndup(sp_arena *a, const char *s, size_t n)
{
    char *p = sp_arena_alloc(a, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void sp_arena_reset(sp_arena *a)
{
    if (!a->head)
        return;
    /* Keep the most recent normal-sized block, free the rest. */
    sp_arena_block *keep = NULL, *b = a->head;
    size_t bs = a->block_size ? a->block_size : 64 * 1024;
    while (b) {
        sp_arena_block *next = b->next;
        if (!keep && b->size == bs) {
            keep = b;
        } else {
            free(b);
        }
        b = next;
    }
    a->head = keep;
    a->bytes = 0;
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
        a->bytes = sizeof *keep + keep->size;
    }
}

void sp_arena_free(sp_arena *a)
{
    sp_arena_block *b = a->head;
    while (b) {
        sp_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->bytes = 0;
}

/* ---- growable buffer ---- */

void sp_buf_reserve(sp_buf *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 64;
        while (c < b->len + extra + 1)
            c *= 2;
        b->data = sp_xrealloc(b->data, c);
        b->cap = c;
    }
}

void sp_buf_append(sp_buf *b, const void *p, size_t n)
{
    sp_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
}

void sp_buf_putc(sp_buf *b, char c)
{
    sp_buf_reserve(b, 1);
    b->data[b->len++] = c;
}

void sp_buf_puts(sp_buf *b, const char *s)
{
    sp_buf_append(b, s, strlen(s));
}

void sp_buf_vprintf(sp_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    sp_buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void sp_buf_printf(sp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sp_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0 when ill-formed. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0)
            return 0;
        if (c == 0xED && s[1] > 0x9F)
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90)
            return 0;
        if (c == 0xF4 && s[1] > 0x8F)
            return 0;
        return 4;
    }
    return 0;
}

bool sp_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t k = utf8_seq_len(p, (size_t)(end - p));
        if (!k)
            return false;
        p += k;
    }
    return true;
}

void sp_buf_json_string(sp_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    sp_buf_reserve(b, n + 2);
    b->data[b->len++] = '"';
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80)
            p++;
        if (p > run)
            sp_buf_append(b, run, (size_t)(p - run));
        if (p >= end)
            break;
        unsigned c = *p;
        if (c >= 0x80) {
            size_t k = utf8_seq_len(p, (size_t)(end - p));
            if (k) {
                sp_buf_append(b, p, k);
                p += k;
            } else {
                sp_buf_append(b, "\xEF\xBF\xBD", 3);
                p++;
            }
            continue;
        }
        p++;
        switch (c) {
        case '"': sp_buf_append(b, "\\\"", 2); break;
        case '\\': sp_buf_append(b, "\\\\", 2); break;
        case '\n': sp_buf_append(b, "\\n", 2); break;
        case '\r': sp_buf_append(b, "\\r", 2); break;
        case '\t': sp_buf_append(b, "\\t", 2); break;
        case '\b': sp_buf_append(b, "\\b", 2); break;
        case '\f': sp_buf_append(b, "\\f", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sp_buf_append(b, u, 6);
        }
        }
    }
    sp_buf_putc(b, '"');
}

const char *sp_buf_cstr(sp_buf *b)
{
    sp_buf_reserve(b, 0);
    b->data[b->len] = 0;
    return b->data;
}

void sp_buf_free(sp_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int sp_read_file(const char *path, sp_buf *out)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return -1;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        sp_buf_append(out, tmp, n);
    int err = ferror(f);
    if (f != stdin)
        fclose(f);
    if (err) {
        errno = EIO;
        return -1;
    }
    sp_buf_cstr(out);
    return 0;
}
