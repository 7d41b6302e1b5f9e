/* modifiers.c — one detection item (`field|mod|mod: value(s)`) compiled into a normalised
 * matcher (see sig_matcher in sigma.h).
 *
 * Two passes. The chain is first checked on its own — unknown or repeated modifiers,
 * conflicting groups (two of contains/startswith/endswith, two encodings, two comparisons),
 * and the combinations the appendix gives no meaning to (`exists` with anything, `re` with
 * non-regex modifiers other than its flags, `cidr` or `fieldref` with string transformations,
 * numeric comparisons with `neq` or string modifiers, field-only modifiers on keywords) —
 * and errors point at the offending modifier inside the key. Then every written value runs
 * through the chain in the order given, as the rules spec says ("applied in the given
 * order"): string values as flagged bytes (sigstr.c), so wildcards added by `contains`
 * cannot be base64-encoded by mistake and escapes never turn back into wildcards. Each
 * written value becomes one group of concrete values (windash, base64offset and placeholders
 * expand one value into several), which is what `|all` needs: AND over written values, OR
 * within each.
 */
#include "sigma/sig_int.h"

#include <string.h>

#define BIT(m) (UINT64_C(1) << (m))
#define B(m) BIT(SIG_MOD_##m)
#define POSM (B(CONTAINS) | B(STARTSWITH) | B(ENDSWITH))
#define B64M (B(BASE64) | B(BASE64OFFSET))
#define U16M (B(UTF16LE) | B(UTF16BE) | B(UTF16) | B(WIDE))
#define CMPM (B(LT) | B(LTE) | B(GT) | B(GTE))
#define TIMEM (B(MINUTE) | B(HOUR) | B(DAY) | B(WEEK) | B(MONTH) | B(YEAR))
#define REFLAGS (B(RE_I) | B(RE_M) | B(RE_S))
/* modifiers that only make sense on string values */
#define STRM (POSM | B64M | U16M | B(WINDASH) | B(EXPAND) | B(CASED))

/* windash and expand multiply values: at most MAX_VALUES per written value and
 * MAX_ITEM_VALUES per item, so a 256 KiB rule cannot ask for gigabytes. */
enum { MAX_CHAIN = 32, MAX_VALUES = 4096, MAX_ITEM_VALUES = 65536 };

static const char *const mod_names[] = {
#define SIG_MOD_NAME(e, s) s,
    SIG_MODIFIERS(SIG_MOD_NAME)
#undef SIG_MOD_NAME
};

const char *sig_mod_name(sig_mod m)
{
    return m < SIG_MOD_COUNT ? mod_names[m] : "?";
}

typedef struct chain {
    sig_mod m[MAX_CHAIN];
    size_t off[MAX_CHAIN]; /* offset of the modifier name in the key */
    int len[MAX_CHAIN];
    uint32_t n;
    uint64_t set;
} chain;

static int chain_find(const chain *ch, uint64_t mask)
{
    for (uint32_t i = 0; i < ch->n; i++)
        if (BIT(ch->m[i]) & mask)
            return (int)i;
    return -1;
}

/* Modifiers that give a value a type of its own, and what each may be combined with. */
static const struct {
    uint64_t who, allowed;
    const char *hint;
} partners[] = {
    {B(EXISTS), B(EXISTS), ""},
    {B(RE), B(RE) | REFLAGS | B(ALL) | B(NEQ), " (only its flags i, m, s and all, neq)"},
    {B(CIDR), B(CIDR) | B(ALL) | B(NEQ), ""},
    {B(FIELDREF), B(FIELDREF) | POSM | B(NEQ) | B(ALL) | B(CASED), ""},
    {CMPM, CMPM | TIMEM | B(ALL), " (numeric comparison)"},
    {TIMEM, TIMEM | CMPM | B(ALL) | B(NEQ), " (time part comparison)"},
};

/* Returns false after reporting the first problem of the chain, at the modifier (reading
 * left to right) that makes the chain invalid. */
static bool check_chain(sig_ctx *c, const sig_ynode *key, const chain *ch, bool keyword)
{
    static const uint64_t exclusive[] = {POSM, B64M, U16M, CMPM, TIMEM};
    for (uint32_t i = 0; i < ch->n; i++) {
        sig_mod m = ch->m[i];
        uint64_t bit = BIT(m);
        const char *name = sig_mod_name(m);
#define FAIL(r, ...)                                                                           \
    do {                                                                                       \
        sig_err_at(c, key, ch->off[i], ch->len[i], r, __VA_ARGS__);                            \
        return false;                                                                          \
    } while (0)
        for (uint32_t j = 0; j < i; j++)
            if (ch->m[j] == m)
                FAIL(SIG_R_MODIFIER_CHAIN, "modifier '%s' is given twice", name);
        for (size_t g = 0; g < SP_ARRAY_LEN(exclusive); g++) {
            int j = chain_find(ch, exclusive[g] & ~bit);
            if ((bit & exclusive[g]) && j >= 0 && (uint32_t)j < i)
                FAIL(SIG_R_MODIFIER_CHAIN, "modifiers '%s' and '%s' cannot be combined",
                     sig_mod_name(ch->m[j]), name);
        }
        if (keyword && (bit & (B(EXISTS) | B(CIDR) | B(FIELDREF) | CMPM | TIMEM | B(NEQ) |
                               B(STARTSWITH) | B(ENDSWITH))))
            FAIL(SIG_R_MODIFIER_CHAIN,
                 "modifier '%s' needs a field: keyword searches match anywhere in the event", name);
        if ((bit & REFLAGS) && chain_find(ch, B(RE)) < 0)
            FAIL(SIG_R_MODIFIER_CHAIN, "regex flag '%s' needs 're' before it", name);
        if ((bit & REFLAGS) && chain_find(ch, B(RE)) > (int)i)
            FAIL(SIG_R_MODIFIER_CHAIN, "regex flag '%s' must follow 're'", name);
        for (size_t p = 0; p < SP_ARRAY_LEN(partners); p++) {
            const char *who = NULL, *other = NULL;
            if (bit & partners[p].who) {
                for (uint32_t j = 0; j < i && !who; j++)
                    if (!(BIT(ch->m[j]) & partners[p].allowed))
                        who = name, other = sig_mod_name(ch->m[j]);
            } else if (!(bit & partners[p].allowed)) {
                for (uint32_t j = 0; j < i && !who; j++)
                    if (BIT(ch->m[j]) & partners[p].who)
                        who = sig_mod_name(ch->m[j]), other = name;
            }
            if (!who)
                continue;
            if (!strcmp(who, "re") && !strcmp(other, "cased"))
                FAIL(SIG_R_MODIFIER_CHAIN,
                     "'cased' cannot be combined with 're' (regexes are case-sensitive unless 'i')");
            FAIL(SIG_R_MODIFIER_CHAIN, "'%s' cannot be combined with '%s'%s", who, other,
                 partners[p].hint);
        }
        if ((bit & CMPM) && chain_find(ch, TIMEM) > (int)i)
            FAIL(SIG_R_MODIFIER_CHAIN, "'%s' must come after the time part modifier '%s'", name,
                 sig_mod_name(ch->m[chain_find(ch, TIMEM)]));
#undef FAIL
    }
    return true;
}

/* ---- value pipeline ----------------------------------------------------------------------- */

typedef struct strvec {
    sig_str *v;
    size_t n, cap;
} strvec;

static void vec_free(strvec *s)
{
    for (size_t i = 0; i < s->n; i++)
        sig_str_free(&s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static sig_str *vec_push(strvec *s)
{
    SP_GROW(s->v, s->cap, s->n + 1);
    sig_str *r = &s->v[s->n++];
    sig_str_init(r);
    return r;
}

static void wrap(sig_str *s, bool lead, bool trail)
{
    if (lead && !(s->n && s->f[0] == SIG_CH_STAR)) {
        sig_str_push(s, 0, 0);
        memmove(s->b + 1, s->b, s->n - 1);
        memmove(s->f + 1, s->f, s->n - 1);
        s->b[0] = '*';
        s->f[0] = SIG_CH_STAR;
    }
    if (trail && !(s->n && s->f[s->n - 1] == SIG_CH_STAR))
        sig_str_push(s, '*', SIG_CH_STAR);
}

static bool is_word(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static void append_all(strvec *r, const uint8_t *b, const uint8_t *f, size_t n)
{
    for (size_t k = 0; k < r->n; k++)
        for (size_t i = 0; i < n; i++)
            sig_str_push(&r->v[k], b[i], f[i]);
}

/* `expand`: substitutes %name% with every value of the placeholder (cartesian product when
 * several appear); `\%` is a literal percent. */
static bool expand(sig_ctx *c, const sig_ynode *val, const sig_str *s, strvec *out, bool *found)
{
    strvec r = {0};
    vec_push(&r);
    for (size_t i = 0; i < s->n;) {
        bool lit = s->f[i] == SIG_CH_LIT;
        if (lit && s->b[i] == '\\' && i + 1 < s->n && s->f[i + 1] == SIG_CH_LIT && s->b[i + 1] == '%') {
            uint8_t pct = '%', fl = SIG_CH_LIT;
            append_all(&r, &pct, &fl, 1);
            i += 2;
            continue;
        }
        if (lit && s->b[i] == '%') {
            size_t j = i + 1;
            while (j < s->n && s->f[j] == SIG_CH_LIT && is_word(s->b[j]))
                j++;
            if (j > i + 1 && j < s->n && s->f[j] == SIG_CH_LIT && s->b[j] == '%') {
                const char *name = (const char *)s->b + i + 1;
                size_t nl = j - i - 1;
                *found = true;
                const sig_strlist *vals = sig_placeholders_get(c->ph, name, nl);
                if (!vals) {
                    sig_err(c, val, SIG_R_PLACEHOLDER,
                            "unresolved placeholder '%%%.*s%%': no value in the placeholder "
                            "configuration (--placeholders FILE)",
                            (int)nl, name);
                    vec_free(&r);
                    return false;
                }
                if (r.n * vals->n > MAX_VALUES) {
                    sig_err(c, val, SIG_R_PLACEHOLDER,
                            "placeholder expansion yields more than %d values", MAX_VALUES);
                    vec_free(&r);
                    return false;
                }
                strvec next = {0};
                for (size_t k = 0; k < r.n; k++) {
                    for (size_t v = 0; v < vals->n; v++) {
                        sig_str *o = vec_push(&next);
                        sig_str_copy(o, &r.v[k]);
                        sig_str p;
                        sig_str_init(&p);
                        sig_str_parse(&p, vals->v[v], strlen(vals->v[v]));
                        for (size_t q = 0; q < p.n; q++)
                            sig_str_push(o, p.b[q], p.f[q]);
                        sig_str_free(&p);
                    }
                }
                vec_free(&r);
                r = next;
                i = j + 1;
                continue;
            }
        }
        append_all(&r, s->b + i, s->f + i, 1);
        i++;
    }
    for (size_t k = 0; k < r.n; k++) {
        sig_str *o = vec_push(out);
        *o = r.v[k];
    }
    free(r.v);
    return true;
}

static bool run_chain(sig_ctx *c, const sig_ynode *key, const chain *ch, const sig_ynode *val,
                      strvec *cur)
{
    bool found_ph = false;
    for (uint32_t i = 0; i < ch->n; i++) {
        sig_mod m = ch->m[i];
        strvec next = {0};
        bool replaced = false;
        switch (m) {
        case SIG_MOD_CONTAINS:
        case SIG_MOD_STARTSWITH:
        case SIG_MOD_ENDSWITH:
            for (size_t k = 0; k < cur->n; k++)
                wrap(&cur->v[k], m != SIG_MOD_STARTSWITH, m != SIG_MOD_ENDSWITH);
            break;
        case SIG_MOD_WINDASH: {
            replaced = true;
            for (size_t k = 0; k < cur->n; k++) {
                size_t got = sig_str_windash(&cur->v[k], &next.v, &next.n, &next.cap,
                                             MAX_VALUES - next.n);
                if (!got) {
                    sig_err_at(c, key, ch->off[i], ch->len[i], SIG_R_BAD_VALUE,
                               "windash: the value has too many dash characters (5^n variants "
                               "exceed %d)",
                               MAX_VALUES);
                    vec_free(&next);
                    return false;
                }
            }
            break;
        }
        case SIG_MOD_BASE64:
        case SIG_MOD_BASE64OFFSET:
            replaced = true;
            for (size_t k = 0; k < cur->n; k++) {
                const sig_str *s = &cur->v[k];
                if (sig_str_has_wild(s)) {
                    sig_err_at(c, key, ch->off[i], ch->len[i], SIG_R_MODIFIER_CHAIN,
                               "'%s' cannot encode wildcards: write the value without * or ? and "
                               "put 'contains', 'startswith' or 'endswith' after '%s'",
                               sig_mod_name(m), sig_mod_name(m));
                    vec_free(&next);
                    return false;
                }
                if (s->n == 0) {
                    sig_err(c, val, SIG_R_BAD_VALUE, "'%s' of an empty value", sig_mod_name(m));
                    vec_free(&next);
                    return false;
                }
                if (m == SIG_MOD_BASE64) {
                    sp_buf e = {0};
                    sig_base64(s->b, s->n, &e);
                    sig_str_literal(vec_push(&next), e.data, e.len);
                    sp_buf_free(&e);
                } else {
                    sp_buf e[3] = {{0}, {0}, {0}};
                    sig_base64offset(s->b, s->n, e);
                    for (int v = 0; v < 3; v++) {
                        if (e[v].len) /* very short values leave a shift with nothing static */
                            sig_str_literal(vec_push(&next), e[v].data, e[v].len);
                        sp_buf_free(&e[v]);
                    }
                }
            }
            break;
        case SIG_MOD_UTF16LE:
        case SIG_MOD_UTF16BE:
        case SIG_MOD_UTF16:
        case SIG_MOD_WIDE:
            for (size_t k = 0; k < cur->n; k++) {
                const char *why = NULL;
                if (!sig_str_utf16(&cur->v[k], m == SIG_MOD_WIDE ? SIG_MOD_UTF16LE : m, &why)) {
                    sig_err(c, val, SIG_R_BAD_VALUE, "'%s': %s", sig_mod_name(m), why);
                    return false;
                }
            }
            break;
        case SIG_MOD_EXPAND:
            replaced = true;
            for (size_t k = 0; k < cur->n; k++) {
                if (!expand(c, val, &cur->v[k], &next, &found_ph)) {
                    vec_free(&next);
                    return false;
                }
            }
            if (!found_ph) {
                sig_err_at(c, key, ch->off[i], ch->len[i], SIG_R_PLACEHOLDER,
                           "'expand' without a %%placeholder%% in the value");
                vec_free(&next);
                return false;
            }
            break;
        default:
            break;
        }
        if (replaced) {
            vec_free(cur);
            *cur = next;
        }
    }
    return true;
}

static bool time_range(sig_mod m, int64_t v, const char **range)
{
    static const struct {
        sig_mod m;
        int64_t lo, hi;
        const char *txt;
    } r[] = {
        {SIG_MOD_MINUTE, 0, 59, "between 0 and 59"}, {SIG_MOD_HOUR, 0, 23, "between 0 and 23"},
        {SIG_MOD_DAY, 1, 31, "between 1 and 31"},    {SIG_MOD_WEEK, 1, 53, "between 1 and 53"},
        {SIG_MOD_MONTH, 1, 12, "between 1 and 12"},  {SIG_MOD_YEAR, 1, 9999, "between 1 and 9999"},
    };
    for (size_t i = 0; i < SP_ARRAY_LEN(r); i++)
        if (r[i].m == m) {
            *range = r[i].txt;
            return v >= r[i].lo && v <= r[i].hi;
        }
    return true;
}

static sig_value *push_value(sig_value **v, size_t *n, size_t *cap)
{
    SP_GROW(*v, *cap, *n + 1);
    sig_value *r = &(*v)[(*n)++];
    memset(r, 0, sizeof *r);
    return r;
}

/* Compiles one written value into its group of concrete values. */
static bool compile_value(sig_ctx *c, const sig_ynode *key, const chain *ch, bool keyword,
                          sig_matcher *mt, const sig_ynode *val, sig_vgroup *g)
{
    sig_value *vals = NULL;
    size_t n = 0, cap = 0;
    uint64_t set = ch->set;
    int cmp = chain_find(ch, CMPM), tp = chain_find(ch, TIMEM);
    g->pos = sig_pos_of(c, val);
    bool ok = true;
#define BAD(...)                                                                               \
    do {                                                                                       \
        sig_err(c, val, SIG_R_BAD_VALUE, __VA_ARGS__);                                         \
        ok = false;                                                                            \
        goto out;                                                                              \
    } while (0)
    if (set & B(EXISTS)) {
        if (val->type != SIG_YT_BOOL)
            BAD("'exists' needs true or false, not %s", sig_ytype_name(val));
        sig_value *v = push_value(&vals, &n, &cap);
        v->kind = SIG_EXISTS;
        v->b = val->b;
        goto out;
    }
    if (val->type == SIG_YT_NULL) {
        int j = chain_find(ch, ~(B(NEQ) | B(ALL)));
        if (j >= 0)
            BAD("null cannot take modifier '%s' (null means: field absent or null)",
                sig_mod_name(ch->m[j]));
        if (keyword)
            BAD("a keyword cannot be null");
        push_value(&vals, &n, &cap)->kind = SIG_NULL;
        goto out;
    }
    if (cmp >= 0 || tp >= 0) {
        const char *what = sig_mod_name(ch->m[cmp >= 0 ? cmp : tp]);
        if (val->type != SIG_YT_INT && val->type != SIG_YT_FLOAT)
            BAD("'%s' needs a number, not %s '%s'", what, sig_ytype_name(val), val->s);
        const char *range = "";
        if (tp >= 0 && (val->type != SIG_YT_INT || !time_range(ch->m[tp], val->i, &range))) {
            time_range(ch->m[tp], 0, &range);
            BAD("'%s' needs a whole number %s, not '%s'", sig_mod_name(ch->m[tp]), range, val->s);
        }
        sig_value *v = push_value(&vals, &n, &cap);
        v->kind = cmp >= 0 ? SIG_NUM_CMP : SIG_NUM_EQ;
        v->text = val->s;
        v->len = val->len;
        v->num = val->f;
        v->inum = val->i;
        v->is_int = val->type == SIG_YT_INT;
        if (cmp >= 0)
            v->cmp = (sig_cmp)(SIG_LT + (ch->m[cmp] - SIG_MOD_LT));
        goto out;
    }
    if (val->type == SIG_YT_BOOL && (set & (STRM | B(RE) | B(CIDR) | B(FIELDREF))))
        BAD("'%s' needs a string, not a boolean",
            sig_mod_name(ch->m[chain_find(ch, STRM | B(RE) | B(CIDR) | B(FIELDREF))]));
    if (val->type == SIG_YT_BOOL) {
        if (keyword)
            BAD("a keyword must be a string, not a boolean");
        sig_value *v = push_value(&vals, &n, &cap);
        v->kind = SIG_BOOL_EQ;
        v->b = val->b;
        v->text = val->b ? "true" : "false";
        v->len = strlen(v->text);
        goto out;
    }
    if (set & B(CIDR)) {
        const char *why;
        sig_value *v = push_value(&vals, &n, &cap);
        if (val->type != SIG_YT_STR || !sig_cidr_parse(val->s, val->len, v, &why))
            BAD("'cidr' value '%s': %s (write a network such as 10.0.0.0/8)", val->s,
                val->type != SIG_YT_STR ? "a number, not an address" : why);
        v->kind = SIG_CIDR;
        v->text = val->s;
        v->len = val->len;
        goto out;
    }
    if (set & B(RE)) {
        char buf[300];
        size_t at = 0;
        const char *err = sig_regex_check(val->s, val->len, mt->re_flags, buf, sizeof buf, &at);
        if (err) {
            if (at == SIZE_MAX)
                sig_err(c, val, SIG_R_REGEX, "%s", err);
            else
                sig_err_at(c, val, at, 1, SIG_R_REGEX, "%s", err);
            ok = false;
            goto out;
        }
        sig_value *v = push_value(&vals, &n, &cap);
        v->kind = SIG_REGEX;
        v->text = val->s;
        v->len = val->len;
        goto out;
    }
    if (val->type == SIG_YT_INT || val->type == SIG_YT_FLOAT) {
        if (!(set & (STRM | B(FIELDREF))) && !keyword) {
            sig_value *v = push_value(&vals, &n, &cap);
            v->kind = SIG_NUM_EQ;
            v->text = val->s;
            v->len = val->len;
            v->num = val->f;
            v->inum = val->i;
            v->is_int = val->type == SIG_YT_INT;
            goto out;
        }
        /* with string modifiers a number is the text it was written as */
    }
    {
        strvec cur = {0};
        sig_str *s = vec_push(&cur);
        if (val->type == SIG_YT_STR)
            sig_str_parse(s, val->s, val->len);
        else
            sig_str_literal(s, val->s, val->len);
        if (set & B(FIELDREF)) {
            if (sig_str_has_wild(s)) {
                vec_free(&cur);
                BAD("'fieldref' needs a field name without wildcards, not '%s'", val->s);
            }
            sig_value *v = push_value(&vals, &n, &cap);
            v->kind = SIG_FIELDREF;
            v->text = sig_strdup(c->arena, (const char *)s->b, s->n);
            v->len = s->n;
            v->ref_op = (set & B(CONTAINS))     ? SIG_CONTAINS
                        : (set & B(STARTSWITH)) ? SIG_PREFIX
                        : (set & B(ENDSWITH))   ? SIG_SUFFIX
                                                : SIG_EQ;
            vec_free(&cur);
            goto out;
        }
        if (!run_chain(c, key ? key : val, ch, val, &cur)) {
            vec_free(&cur);
            ok = false;
            goto out;
        }
        for (size_t k = 0; k < cur.n; k++) {
            if (keyword)
                wrap(&cur.v[k], true, true); /* keywords match anywhere */
            sig_value *v = push_value(&vals, &n, &cap);
            sig_str_classify(&cur.v[k], c->arena, v);
        }
        vec_free(&cur);
    }
out:
#undef BAD
    if (ok) {
        g->v = sig_dup(c->arena, vals, n * sizeof *vals);
        g->n = (uint32_t)n;
    }
    free(vals);
    return ok;
}

static bool parse_key(sig_ctx *c, const sig_ynode *key, chain *ch, const char **field)
{
    const char *k = key->s;
    const char *bar = memchr(k, '|', key->len);
    size_t flen = bar ? (size_t)(bar - k) : key->len;
    *field = flen ? sig_strdup(c->arena, k, flen) : NULL;
    memset(ch, 0, sizeof *ch);
    if (!bar) {
        if (!flen) {
            sig_err(c, key, SIG_R_BAD_FIELD, "empty field name");
            return false;
        }
        return true;
    }
    size_t i = flen + 1;
    for (;;) {
        const char *end = memchr(k + i, '|', key->len - i);
        size_t e = end ? (size_t)(end - k) : key->len;
        size_t l = e - i;
        if (ch->n == MAX_CHAIN) {
            sig_err_at(c, key, i, 1, SIG_R_MODIFIER_CHAIN, "too many modifiers");
            return false;
        }
        if (!l) {
            sig_err_at(c, key, i, 1, SIG_R_UNKNOWN_MODIFIER, "empty modifier name");
            return false;
        }
        int found = -1;
        for (int m = 0; m < SIG_MOD_COUNT; m++)
            if (strlen(mod_names[m]) == l && !memcmp(mod_names[m], k + i, l))
                found = m;
        if (found < 0) {
            sig_err_at(c, key, i, (int)l, SIG_R_UNKNOWN_MODIFIER, "unknown modifier '%.*s'",
                       (int)l, k + i);
            return false;
        }
        ch->m[ch->n] = (sig_mod)found;
        ch->off[ch->n] = i;
        ch->len[ch->n] = (int)l;
        ch->n++;
        ch->set |= BIT(found);
        if (!end)
            break;
        i = e + 1;
    }
    return true;
}

const sig_matcher *sig_compile_item(sig_ctx *c, const sig_ynode *key, const sig_ynode *at,
                                    const sig_ynode *values)
{
    chain ch;
    const char *field = NULL;
    if (key) {
        if (!parse_key(c, key, &ch, &field))
            return NULL;
    } else {
        memset(&ch, 0, sizeof ch);
    }
    bool keyword = field == NULL;
    if (!check_chain(c, key ? key : at, &ch, keyword))
        return NULL;
    if (values->kind == SIG_Y_MAP) {
        sig_err(c, values, SIG_R_BAD_VALUE,
                "the value of '%s' cannot be a map (nested maps are not part of Sigma; use a "
                "dotted field name)",
                key ? key->s : "keywords");
        return NULL;
    }
    size_t nv = values->kind == SIG_Y_SEQ ? values->n : 1;
    if (nv == 0) {
        sig_err(c, values, SIG_R_BAD_VALUE, "empty list of values");
        return NULL;
    }
    if ((ch.set & B(ALL)) && nv < 2) {
        int j = chain_find(&ch, B(ALL));
        sig_err_at(c, key, ch.off[j], ch.len[j], SIG_R_MODIFIER_CHAIN,
                   "'all' needs a list of at least two values (one value: drop 'all')");
        return NULL;
    }
    sig_matcher *mt = sp_arena_calloc(c->arena, sizeof *mt);
    mt->field = field;
    mt->key = key ? key->s : "";
    mt->pos = sig_pos_of(c, key ? key : at);
    mt->cased = (ch.set & B(CASED)) != 0;
    mt->negate = (ch.set & B(NEQ)) != 0;
    mt->all = (ch.set & B(ALL)) != 0;
    mt->re_flags = (uint8_t)(((ch.set & B(RE_I)) ? SIG_RE_I : 0) |
                             ((ch.set & B(RE_M)) ? SIG_RE_M : 0) | ((ch.set & B(RE_S)) ? SIG_RE_S : 0));
    int tp = chain_find(&ch, TIMEM);
    mt->time_part = tp < 0 ? SIG_TIME_NONE : (sig_time_part)(SIG_TIME_MINUTE + (ch.m[tp] - SIG_MOD_MINUTE));
    mt->chain = sig_dup(c->arena, ch.m, ch.n * sizeof *ch.m);
    mt->nchain = ch.n;
    sig_vgroup *groups = sp_arena_calloc(c->arena, nv * sizeof *groups);
    bool ok = true;
    size_t total = 0;
    for (size_t i = 0; i < nv; i++) {
        const sig_ynode *v = values->kind == SIG_Y_SEQ ? values->items[i] : values;
        if (v->kind != SIG_Y_SCALAR) {
            sig_err(c, v, SIG_R_BAD_VALUE, "values must be scalars; this list item is %s",
                    sig_ytype_name(v));
            ok = false;
            continue;
        }
        ok = compile_value(c, key, &ch, keyword, mt, v, &groups[i]) && ok;
        total += ok ? groups[i].n : 0;
        if (total > MAX_ITEM_VALUES) {
            sig_err(c, values, SIG_R_BAD_VALUE,
                    "the values of this item expand to more than %d concrete values",
                    MAX_ITEM_VALUES);
            return NULL;
        }
    }
    if (!ok)
        return NULL;
    mt->groups = groups;
    mt->ngroups = (uint32_t)nv;
    return mt;
}
