/* kql_int.h — private to engine/kql: the token stream shared by lexer.c and parser.c.
 *
 * Ownership: the token array is malloc'd by kql_lex and freed by the caller with free();
 * decoded string values inside tokens live in the parse arena (they become AST strings).
 */
#ifndef SP_KQL_INT_H
#define SP_KQL_INT_H

#include "engine/kql/kql.h"

typedef enum kql_tok_kind {
    KT_EOF,
    KT_IDENT,    /* word: letters, digits, '_' (and `$left`, `$right`) */
    KT_LONG,     /* 123, 0x1F */
    KT_REAL,     /* 1.5, 1e3, 1. */
    KT_TIMESPAN, /* 2d, 1.5h, 100ms, 10microsecond, 1tick */
    KT_STRING,   /* "..", '..', @"..", ```..```, h"..": decoded into s */
    KT_RAWLIT,   /* datetime(...), date(...), timespan(...), time(...), guid(...):
                    the type word is [off, off+wlen), the raw content [roff, rend) */
    /* punctuation */
    KT_PIPE, KT_LPAREN, KT_RPAREN, KT_LBRACKET, KT_RBRACKET, KT_LBRACE, KT_RBRACE,
    KT_COMMA, KT_SEMI, KT_COLON, KT_DOT, KT_DOTDOT, KT_ASSIGN, KT_EQ, KT_EQ_CI, KT_ARROW,
    KT_NE, KT_NE_CI, KT_BANG, KT_LT, KT_LE, KT_LTGT, KT_GT, KT_GE, KT_PLUS, KT_MINUS,
    KT_STAR, KT_SLASH, KT_PERCENT, KT_TILDE, KT_QUESTION,
} kql_tok_kind;

typedef struct kql_tok {
    kql_tok_kind kind;
    uint32_t off, end;  /* bytes [off, end) of the text */
    uint32_t line, col; /* of off, 1-based */
    int64_t i;          /* KT_LONG value; KT_TIMESPAN ticks */
    double r;           /* KT_REAL value */
    const char *s;      /* KT_STRING: decoded, arena-owned, NUL-terminated */
    size_t slen;
    uint32_t wlen;       /* KT_RAWLIT: length of the type word */
    uint32_t roff, rend; /* KT_RAWLIT: raw content between the parentheses */
    bool obfuscated;     /* KT_STRING h"..." */
} kql_tok;

/* Splits text into tokens (comments and whitespace dropped, a final KT_EOF appended).
 * Returns 0 and a malloc'd array in *toks (caller frees), or -1 with err filled. */
int kql_lex(const char *text, size_t len, sp_arena *arena, kql_tok **toks, size_t *ntoks,
            sp_diag *err);

/* Sets err at byte span [off, end) of text: line, col, span, source line, message. */
void kql_diag_at(sp_diag *err, const char *text, size_t len, uint32_t off, uint32_t end,
                 const char *fmt, ...) SP_PRINTF(6, 7);

/* Timespan unit suffix (`d`, `hours`, `ms`, `tick`, ...) to ticks per unit, scaled by 100
 * so that nanoseconds stay integral; false if the word is no unit. */
bool kql_timespan_unit(const char *w, size_t n, int64_t *ticks_x100);

/* Shortest "%g" text of v that reads back as v (real literals in dumps and dynamic). */
const char *kql_real_text(double v, char buf[40]);

#endif
