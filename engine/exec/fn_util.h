/* fn_util.h — helpers shared by the builtin kernels (fn_*.c): result setters, UTF-8
 * stepping, text of values, JSON building, and compiled-regex state for builtins whose
 * pattern argument is usually a constant. Internal to engine/exec.
 *
 * Ownership: strings a helper produces for a result live in the kernel's c->arena; a
 * kf_regex owns its compiled expressions until kf_regex_free.
 */
#ifndef SP_FN_UTIL_H
#define SP_FN_UTIL_H

#include "engine/exec/exec_int.h"

/* ---- results ---- */

static inline void kf_null(kval *out, sp_type t)
{
    *out = kval_null(t);
}

static inline void kf_bool(kval *out, bool b)
{
    *out = (kval){.type = SP_TYPE_BOOL};
    out->u.b = b;
}

static inline void kf_long(kval *out, sp_type t, int64_t l)
{
    *out = (kval){.type = t};
    out->u.l = l;
}

static inline void kf_real(kval *out, double r)
{
    *out = (kval){.type = SP_TYPE_REAL};
    out->u.r = r;
}

/* A text result (string, guid or dynamic) copied into c->arena. */
void kf_str(kfctx *c, kval *out, sp_type t, const char *p, size_t n);
/* The same from a buffer, which is freed. */
void kf_buf(kfctx *c, kval *out, sp_type t, sp_buf *b);

/* A number argument (int, long or real) as double / as int64 (reals truncated). */
static inline double kf_real_of(const kval *v)
{
    return v->type == SP_TYPE_REAL ? v->u.r : v->type == SP_TYPE_BOOL ? (double)v->u.b : (double)v->u.l;
}
bool kf_long_of(const kval *v, int64_t *out); /* false for null or a non-finite real */
/* Sigma's numeric reading of text: the whole text is a decimal number
 * ([+-]digits[.digits][e[+-]digits], digits on at least one side of the point, leading
 * zeros allowed; no spaces, hex, inf or nan) — exactly the texts made of [0-9.eE+-] that
 * strtod reads whole, which is what the KQL printer's guard relies on. */
bool kf_parse_decimal(const char *s, size_t n, double *out);

/* ---- UTF-8 (invalid bytes count as one character each) ---- */

/* Decodes the character at s[*i] and advances *i; an invalid byte gives 0xFFFD. */
uint32_t kf_utf8_next(const char *s, size_t n, size_t *i);
/* Characters in s. */
size_t kf_utf8_count(const char *s, size_t n);
/* Byte offset of character index k (n when k is past the end). */
size_t kf_utf8_offset(const char *s, size_t n, size_t k);
void kf_utf8_put(sp_buf *b, uint32_t cp);
/* Simple case mapping: ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic. */
uint32_t kf_lower_cp(uint32_t cp);
uint32_t kf_upper_cp(uint32_t cp);

/* ---- text and JSON ---- */

/* Appends the text of a dynamic element: a JSON string unescaped, anything else as its
 * compact JSON text, null as nothing. */
void kf_json_text(kstr elem, sp_buf *out);
/* Case-insensitive (ASCII) string equality. */
bool kf_ieq(kstr a, const char *lit);

/* ---- JSONPath subset: $, .name, ['name'], ["name"], [n] (negative n from the end) ---- */

typedef struct kf_step {
    bool is_index;
    int64_t index;
    const char *name; /* as written (no unescaping) */
    size_t len;
} kf_step;

/* Reads the next step of path at *i (after an optional leading `$`); returns 1 with a
 * step, 0 at the end, -1 when the path is malformed. */
int kf_path_next(const char *p, size_t n, size_t *i, kf_step *step);
/* Navigates compact JSON doc along path; false when a step is missing or the path is
 * malformed. A path without `$`, `.` or `[` is one member name. */
bool kf_path_get(kstr doc, kstr path, kstr *out);

/* ---- regex state ---- */

typedef struct kf_regex {
    kre *fixed;     /* compiled once when the pattern argument is a constant */
    kre *last;      /* otherwise: the last pattern seen, recompiled when it changes */
    char *last_pat;
    size_t last_len;
    bool last_bad;
    unsigned flags;
    const char *wrap; /* printf-style wrapper around the pattern ("%s" = as is) */
} kf_regex;

/* Prepares st for the pattern in call->args[arg]; a constant pattern is compiled now and
 * an invalid one fails the query (with its position). wrap may be NULL. */
int kf_regex_init(kfctx *c, const kx *call, int arg, unsigned flags, const char *wrap, kf_regex *st);
/* The compiled pattern for this row (NULL when the row's pattern does not compile). */
kre *kf_regex_get(kf_regex *st, kstr pattern);
void kf_regex_free(kf_regex *st);

#endif
