/* core.h — the small shared layer every socpipe module stands on: memory (arenas,
 * growable buffers), hashing, positioned diagnostics, Kusto time values and logging.
 *
 * Ownership: an arena owns everything allocated from it and frees it in one step
 * (sp_arena_free/reset); an sp_buf owns its bytes until sp_buf_free. sp_xmalloc and
 * friends never return NULL: out of memory aborts the process with a message, as in
 * Redis's zmalloc, because no caller could do better.
 */
#ifndef SP_CORE_H
#define SP_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/core/limits.h"

#define SP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SP_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SP_MAX(a, b) ((a) > (b) ? (a) : (b))
#if defined(__GNUC__)
#define SP_LIKELY(x) __builtin_expect(!!(x), 1)
#define SP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SP_LIKELY(x) (x)
#define SP_UNLIKELY(x) (x)
#define SP_PRINTF(f, a)
#endif

/* ---- allocation ---------------------------------------------------------------- */

void *sp_xmalloc(size_t n);
void *sp_xcalloc(size_t count, size_t n);
void *sp_xrealloc(void *p, size_t n);
char *sp_xstrdup(const char *s);
char *sp_xstrndup(const char *s, size_t n);
/* Grows *items (of elem bytes each) so it holds at least need elements. */
void sp_grow(void **items, size_t *cap, size_t need, size_t elem);
#define SP_GROW(arr, cap, need) sp_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

typedef struct sp_arena_block sp_arena_block;
typedef struct sp_arena {
    sp_arena_block *head;
    size_t block_size; /* 0 = default (64 KiB) */
    size_t bytes;      /* total bytes reserved from the system */
} sp_arena;

void *sp_arena_alloc(sp_arena *a, size_t n); /* 16-byte aligned, uninitialised */
void *sp_arena_calloc(sp_arena *a, size_t n);
char *sp_arena_strndup(sp_arena *a, const char *s, size_t n); /* NUL-terminated copy */
void sp_arena_reset(sp_arena *a); /* keeps the first block for reuse */
void sp_arena_free(sp_arena *a);

typedef struct sp_buf {
    char *data;
    size_t len, cap;
} sp_buf;

void sp_buf_reserve(sp_buf *b, size_t extra);
void sp_buf_append(sp_buf *b, const void *p, size_t n);
void sp_buf_putc(sp_buf *b, char c);
void sp_buf_puts(sp_buf *b, const char *s);
void sp_buf_printf(sp_buf *b, const char *fmt, ...) SP_PRINTF(2, 3);
void sp_buf_vprintf(sp_buf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal (quotes, escapes; invalid UTF-8 becomes U+FFFD). */
void sp_buf_json_string(sp_buf *b, const char *s, size_t n);
const char *sp_buf_cstr(sp_buf *b); /* NUL-terminates without changing len */
void sp_buf_free(sp_buf *b);

/* Reads a whole file (or "-" for stdin); returns 0, or -1 with errno set. */
int sp_read_file(const char *path, sp_buf *out);

/* ---- hashing --------------------------------------------------------------------- */

/* Fast non-cryptographic hash (wyhash-style multiply-mix); stable across runs and builds,
 * so it may name things that persist (alert ids, dedup keys). */
uint64_t sp_hash64(const void *p, size_t n, uint64_t seed);
typedef struct sp_hash128 {
    uint64_t lo, hi;
} sp_hash128;
sp_hash128 sp_hash128_of(const void *p, size_t n);
static inline uint64_t sp_hash_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}
/* A prefetch the compiler keeps. GCC 12 takes a function whose only effect is
 * __builtin_prefetch for one without side effects and deletes the calls it can see (and,
 * inlined, a conditional prefetch whose address is loaded only for it): summarize's
 * id -> group map prefetches, and the text offsets' of a scan's few selected rows
 * (exec/vec.c, prefetch_offsets), were never emitted until this was found. Every
 * prefetch-only function uses it (khash_prefetch, kpairs_prefetch, kvec_prefetch_rows,
 * sp_chunk_col_prefetch, ...), so that no inlining or link-time optimisation drops its
 * calls. */
static inline void sp_prefetch(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)p));
#else
    __builtin_prefetch(p);
#endif
}
/* Case-insensitive (ASCII) variant of sp_hash64: equal for strings equal under =~. */
uint64_t sp_hash64_ci(const void *p, size_t n, uint64_t seed);

/* ---- diagnostics ------------------------------------------------------------------- */

/* A positioned error or warning. Lines and columns count from 1; column counts bytes.
 * Producers fill it with sp_diag_set; the CLI prints it like a compiler. */
typedef struct sp_diag {
    char file[256];
    int line, col;
    int span; /* width of the caret underline, >= 1 */
    char msg[512];
    char source_line[512]; /* the offending line, when known */
    bool is_warning;
} sp_diag;

void sp_diag_set(sp_diag *d, const char *file, int line, int col, const char *fmt, ...)
    SP_PRINTF(5, 6);
/* Copies the given line (1-based) of text into d->source_line. */
void sp_diag_attach_source(sp_diag *d, const char *text, size_t len);
/* Converts a byte offset in text into line and column. */
void sp_text_pos(const char *text, size_t len, size_t offset, int *line, int *col);
/* Prints `file:line:col: message`, the source line and a caret. */
void sp_diag_print(FILE *f, const sp_diag *d);

/* ---- Kusto time -------------------------------------------------------------------- */

/* datetime and timespan values are 100 ns ticks, as in Kusto/.NET. A datetime counts from
 * 0001-01-01T00:00:00Z. */
#define SP_TICKS_PER_US 10LL
#define SP_TICKS_PER_MS 10000LL
#define SP_TICKS_PER_SEC 10000000LL
#define SP_TICKS_PER_MIN (60 * SP_TICKS_PER_SEC)
#define SP_TICKS_PER_HOUR (3600 * SP_TICKS_PER_SEC)
#define SP_TICKS_PER_DAY (86400 * SP_TICKS_PER_SEC)
#define SP_UNIX_EPOCH_TICKS 621355968000000000LL /* 1970-01-01 */
#define SP_DATETIME_MIN 0LL
#define SP_DATETIME_MAX 3155378975999999999LL /* 9999-12-31T23:59:59.9999999 */

/* Parses ISO 8601 forms Microsoft emits and Kusto accepts: `2024-01-31T23:59:59.1234567Z`,
 * any fraction length (extra digits truncated), `+hh:mm`/`-hh:mm`/`Z` or no zone (UTC),
 * `T` or a space, date only, and RFC 1123 (`Wed, 31 Jan 2024 23:59:59 GMT`).
 * Returns true and the UTC ticks on success; false on anything else. */
bool sp_datetime_parse(const char *s, size_t n, int64_t *ticks);
/* Writes Kusto's form `2024-01-31T23:59:59.9000000Z` (always 7 fraction digits);
 * returns the length. buf must hold 32 bytes. */
int sp_datetime_format(int64_t ticks, char *buf);
/* Parses `[-][d.]hh:mm[:ss[.fffffff]]`; returns true and ticks. */
bool sp_timespan_parse(const char *s, size_t n, int64_t *ticks);
/* Writes Kusto's form `[-][d.]hh:mm:ss[.fffffff]`; buf must hold 40 bytes. */
int sp_timespan_format(int64_t ticks, char *buf);
void sp_datetime_split(int64_t ticks, int *year, int *month, int *day, int *hour, int *min,
                       int *sec, int *frac7);
bool sp_datetime_make(int year, int month, int day, int hour, int min, int sec, int frac7,
                      int64_t *ticks);
int64_t sp_now_ticks(void); /* wall clock */

/* ---- JSON text (json_compact.c) ------------------------------------------------------ */

/* Validates one JSON value strictly (RFC 8259: grammar, UTF-8, escapes, nesting up to
 * max_depth) and appends it to out with insignificant whitespace removed, so that equal
 * values from differently formatted inputs compare equal byte for byte. Returns 0; on
 * error returns -1, leaves out as it was, and sets *err_offset (byte offset in `in`) and
 * *reason (a static string such as "invalid escape" or "nesting too deep"). */
int sp_json_compact(const char *in, size_t n, int max_depth, sp_buf *out, size_t *err_offset,
                    const char **reason);
/* The same into dst, which must hold n bytes (the result is never longer than the input);
 * *out_len receives the compact length. */
int sp_json_compact_to(const char *in, size_t n, int max_depth, char *dst, size_t *out_len, size_t *err_offset,
                       const char **reason);

/* Decodes a JSON string literal (with its quotes) and appends the text to out. Returns
 * false when lit is not a well-formed string literal. */
bool sp_json_unescape(const char *lit, size_t n, sp_buf *out);
/* Formats a double the way Kusto prints a real (shortest text that round-trips;
 * scientific notation as .NET writes it, `1E+15`, below 1e-5 or from 1e15; `NaN`,
 * `Infinity`, `-Infinity`). Returns the length; buf must hold 32 bytes. */
int sp_format_real(double v, char *buf);

/* ---- logging ----------------------------------------------------------------------- */

typedef enum { SP_LOG_ERROR, SP_LOG_WARN, SP_LOG_INFO, SP_LOG_DEBUG } sp_log_level;
extern sp_log_level sp_log_threshold;
void sp_log(sp_log_level level, const char *fmt, ...) SP_PRINTF(2, 3);

/* ---- small string helpers ------------------------------------------------------------ */

static inline char sp_ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}
bool sp_ieq(const char *a, size_t an, const char *b, size_t bn); /* ASCII case-insensitive */
bool sp_streq(const char *a, size_t an, const char *b, size_t bn);
/* Word i (8 bytes at a + i) of a and b differ in these bits. */
static inline uint64_t sp_word_diff(const char *a, const char *b, size_t i)
{
    uint64_t x, y;
    memcpy(&x, a + i, 8);
    memcpy(&y, b + i, 8);
    return x ^ y;
}

/* a[0..n) == b[0..n) without a call, for the short keys and cells of hot loops (a library
 * memcmp costs more than the compare): overlapping word loads that stay inside both
 * ranges, OR-ed so that a length class costs one branch, not one per word (keys and cells
 * of varying lengths would mispredict a loop's exit); memcmp past 64 bytes. */
static inline bool sp_bytes_eq(const char *a, const char *b, size_t n)
{
    if (n > 64)
        return memcmp(a, b, n) == 0;
    if (n >= 8) {
        uint64_t d = sp_word_diff(a, b, 0) | sp_word_diff(a, b, n - 8);
        if (n > 16) {
            d |= sp_word_diff(a, b, 8) | sp_word_diff(a, b, n - 16);
            if (n > 32)
                d |= sp_word_diff(a, b, 16) | sp_word_diff(a, b, 24) | sp_word_diff(a, b, n - 32) |
                     sp_word_diff(a, b, n - 24);
        }
        return d == 0;
    }
    if (n >= 4) {
        uint32_t p, q, r, t;
        memcpy(&p, a, 4);
        memcpy(&q, b, 4);
        memcpy(&r, a + n - 4, 4);
        memcpy(&t, b + n - 4, 4);
        return ((p ^ q) | (r ^ t)) == 0;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}
/* Parses a whole string as a decimal integer / a double; false on any trailing bytes. */
bool sp_parse_i64(const char *s, size_t n, int64_t *out);
bool sp_parse_f64(const char *s, size_t n, double *out);
/* Validates UTF-8; returns true when the bytes are well formed. */
bool sp_utf8_valid(const char *s, size_t n);

#endif
