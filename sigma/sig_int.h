/* sig_int.h — internals shared by the files of the Sigma module (not part of its API).
 *
 * Ownership: every node, string and array here lives in the arena of the sig_set (or of
 * the sig_yfile) that made it and is freed with it; nothing is freed one by one.
 */
#ifndef SP_SIG_INT_H
#define SP_SIG_INT_H

#include <stdlib.h>

#include "sigma/sigma.h"

/* ---- YAML node tree (yaml.c) ---------------------------------------------------------- */

typedef enum sig_ykind { SIG_Y_SCALAR, SIG_Y_SEQ, SIG_Y_MAP } sig_ykind;
/* Resolved type of a scalar (YAML 1.2 core schema for plain scalars; quoted = string). */
typedef enum sig_ytype { SIG_YT_STR, SIG_YT_INT, SIG_YT_FLOAT, SIG_YT_BOOL, SIG_YT_NULL } sig_ytype;

typedef struct sig_ynode {
    sig_ykind kind;
    int line, col;    /* 1-based, col in bytes */
    size_t off;       /* byte offset of the node in the file text */
    /* scalars */
    const char *s;    /* NUL-terminated value */
    size_t len;
    sig_ytype type;
    bool quoted;      /* single- or double-quoted */
    bool one_line;    /* starts and ends on the same line (positions inside are exact) */
    int64_t i;
    double f;
    bool b;
    /* collections: for maps items[2k] is a key (a scalar), items[2k+1] its value */
    struct sig_ynode **items;
    size_t n;
} sig_ynode;

typedef struct sig_ydoc {
    sig_ynode *root; /* NULL for an empty document */
    int line;        /* line of the document start */
    bool bad;        /* a problem that spares the other documents (anchor, tag, ...) */
    sig_reason reason;
    sp_diag diag;    /* the first such problem (file name not set) */
} sig_ydoc;

typedef struct sig_yfile {
    const char *name;
    const char *text; /* the whole file (NUL-terminated), for source lines in diagnostics */
    size_t len;
    sig_ydoc *docs;
    size_t ndocs;
} sig_yfile;

/* Parses text into documents. On error returns -1 with d filled (the documents before the
 * error are kept in out) and *reason set; YAML anchors, aliases and tags other than the
 * core ones are errors, as is nesting deeper than max_depth. Strings live in arena. */
int sig_yaml_parse(sp_arena *arena, const char *name, const char *text, size_t len,
                   int max_depth, sig_yfile *out, sp_diag *d, sig_reason *reason);
/* Map lookup by key (exact); NULL if absent or node is not a map. */
sig_ynode *sig_ymap_get(const sig_ynode *map, const char *key);
const char *sig_ytype_name(const sig_ynode *n);

/* ---- per-document build context ---------------------------------------------------------- */

typedef struct sig_ctx {
    sig_set *set;
    sp_arena *arena;
    const sig_yfile *file;
    bool strict;
    const sig_placeholders *ph;
    int errors; /* errors reported for the current document */
    sig_reason first; /* reason of its first error */
} sig_ctx;

sig_pos sig_pos_of(const sig_ctx *c, const sig_ynode *n);
/* Report an error / warning at a node, or at a byte offset inside a one-line scalar node. */
void sig_err(sig_ctx *c, const sig_ynode *n, sig_reason r, const char *fmt, ...) SP_PRINTF(4, 5);
void sig_err_at(sig_ctx *c, const sig_ynode *n, size_t off, int span, sig_reason r,
                const char *fmt, ...) SP_PRINTF(6, 7);
void sig_warn(sig_ctx *c, const sig_ynode *n, sig_reason r, const char *fmt, ...) SP_PRINTF(4, 5);

char *sig_strdup(sp_arena *a, const char *s, size_t n);
void *sig_dup(sp_arena *a, const void *p, size_t n);

/* ---- Sigma strings (sigstr.c) ------------------------------------------------------------- */

/* A value while modifiers transform it: bytes with a parallel flag per byte. */
enum { SIG_CH_LIT = 0, SIG_CH_STAR = 1, SIG_CH_QMARK = 2 };
typedef struct sig_str {
    uint8_t *b;
    uint8_t *f; /* SIG_CH_* */
    size_t n, cap;
} sig_str;

void sig_str_init(sig_str *s);
void sig_str_free(sig_str *s);
void sig_str_push(sig_str *s, uint8_t byte, uint8_t flag);
void sig_str_copy(sig_str *dst, const sig_str *src);
/* Plain Sigma value -> tokens, applying the escaping table. */
void sig_str_parse(sig_str *out, const char *s, size_t n);
/* Literal bytes only (no wildcards). */
void sig_str_literal(sig_str *out, const char *s, size_t n);
bool sig_str_has_wild(const sig_str *s);
/* Classifies the tokens as EQ/PREFIX/SUFFIX/CONTAINS/GLOB and writes text into arena. */
void sig_str_classify(const sig_str *s, sp_arena *a, sig_value *v);

/* Encodings: out receives the transformed value(s). Return false with *why on failure. */
void sig_base64(const uint8_t *in, size_t n, sp_buf *out);
/* The three base64offset fragments of in (offsets 0, 1, 2), as the spec's appendix describes. */
void sig_base64offset(const uint8_t *in, size_t n, sp_buf out[3]);
bool sig_str_utf16(sig_str *s, sig_mod which, const char **why);
/* windash: every - / U+2013 U+2014 U+2015 that starts a flag (after the start or a non-word
 * character, before a word character) takes each of the five forms; appends the
 * permutations to out[]. Returns the count, or 0 if it would exceed max (nothing appended). */
size_t sig_str_windash(const sig_str *s, sig_str **out, size_t *nout, size_t *cap, size_t max);

/* ATT&CK tactic short names (rule.c); tactics/techniques of a meta from its tags (meta.c). */
bool sig_attack_tactic(const char *t);
void sig_meta_attack(sp_arena *a, sig_meta *m);

/* ---- other validators ------------------------------------------------------------------------ */

/* Checks RE2 compatibility and compiles with Oniguruma. Returns NULL if fine, otherwise a
 * message in buf and the byte offset of the problem in *at (SIZE_MAX: unknown). */
const char *sig_regex_check(const char *re, size_t n, uint8_t flags, char *buf, size_t cap,
                            size_t *at);
/* Whether the (checked) regex matches the empty text: then a string test with it needs a
 * presence guard, or it would hold on absent fields (which read as ""). */
bool sig_regex_matches_empty(const char *re, size_t n, uint8_t flags);
bool sig_cidr_parse(const char *s, size_t n, sig_value *v, const char **why);

/* ---- placeholders ----------------------------------------------------------------------------- */

/* Values of a placeholder, or NULL if the configuration does not define it. */
const sig_strlist *sig_placeholders_get(const sig_placeholders *p, const char *name, size_t n);

/* ---- compilation --------------------------------------------------------------------------- */

/* Compiles one detection item (modifiers.c): key is the `field|mods` scalar, or NULL for a
 * bare keyword list/value located at `at`. NULL after reporting errors. */
const sig_matcher *sig_compile_item(sig_ctx *c, const sig_ynode *key, const sig_ynode *at,
                                    const sig_ynode *values);
/* Parses `detection:`-like maps: every key but the skip list is a search identifier. */
bool sig_compile_detections(sig_ctx *c, const sig_ynode *map, const char *const *skip,
                            sig_detection **out, uint32_t *n);

/* Parses the `condition` of a detection-like block (rules: a string or, with allow_list, a
 * list; filters: a string) and warns about identifiers no condition uses. `where` names the
 * block in messages ("detection"). */
bool sig_parse_conditions(sig_ctx *c, const sig_ynode *block, const char *where, bool allow_list,
                          const sig_detection *dets, uint32_t ndets, const sig_cond ***out,
                          uint32_t *nout);
/* Builds the program from a condition, inlining identifier bodies. */
const sig_expr *sig_cond_to_expr(sp_arena *a, const sig_cond *cond, const sig_detection *dets);
sig_expr *sig_expr_new(sp_arena *a, sig_xkind k, sig_pos pos, uint32_t n);

/* Document builders (rule.c, correlation.c, filter.c). They return false when rejected. */
bool sig_build_meta(sig_ctx *c, const sig_ynode *root, sig_kind kind, const char *const *extra,
                    sig_meta *m);
bool sig_build_logsource(sig_ctx *c, const sig_ynode *root, sig_logsource *ls, bool required);
bool sig_build_rule(sig_ctx *c, const sig_ynode *root, sig_rule *r);
bool sig_build_corr(sig_ctx *c, const sig_ynode *root, sig_corr *k);
bool sig_build_filter(sig_ctx *c, const sig_ynode *root, sig_filter *f);

#endif
