/* regex.c — regular expressions for KQL (matches regex, extract, replace_regex, ...) and
 * Sigma (|re), on Oniguruma, made safe for a detection engine (DESIGN.md §5):
 *
 * - RE2-compatible syntax only: backreferences and lookaround are rejected when the
 *   pattern is compiled, with the offending position, because they make matching
 *   super-linear and Sentinel (RE2) would reject them too;
 * - a literal prefilter: when every match must contain some literal (the longest one
 *   outside groups and alternations), a memmem-style scan rules out most values before
 *   Oniguruma runs;
 * - at most sp_limits.max_regex_input bytes of a value are given to the engine, and
 *   Oniguruma's retry limit bounds backtracking, so no value can stall ingest.
 */
#include "engine/exec/exec_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct kre {
    regex_t *re;
    char *literal; /* required literal (lower-cased when ci), or NULL */
    size_t literal_len;
    bool ci;
    OnigMatchParam *mp;
};

static pthread_once_t onig_once = PTHREAD_ONCE_INIT;

static void onig_setup(void)
{
    OnigEncoding enc = ONIG_ENCODING_UTF8;
    onig_initialize(&enc, 1);
}

/* Finds constructs RE2 does not have; returns the byte offset or -1. */
static long unsupported_construct(const char *p, size_t n, const char **what)
{
    bool in_class = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\\' && i + 1 < n) {
            char d = p[i + 1];
            if (!in_class && d >= '1' && d <= '9') {
                *what = "backreference";
                return (long)i;
            }
            if (!in_class && (d == 'k' || d == 'g') && i + 2 < n && (p[i + 2] == '<' || p[i + 2] == '\'' || p[i + 2] == '{')) {
                *what = "backreference";
                return (long)i;
            }
            i++;
            continue;
        }
        if (in_class) {
            if (c == ']')
                in_class = false;
            continue;
        }
        if (c == '[') {
            in_class = true;
            if (i + 1 < n && p[i + 1] == ']')
                i++;
            continue;
        }
        if (c == '(' && i + 2 < n && p[i + 1] == '?') {
            char d = p[i + 2];
            if (d == '=' || d == '!') {
                *what = "lookahead";
                return (long)i;
            }
            if (d == '<' && i + 3 < n && (p[i + 3] == '=' || p[i + 3] == '!')) {
                *what = "lookbehind";
                return (long)i;
            }
            if (d == '>') {
                *what = "atomic group";
                return (long)i;
            }
            if (d == 'P' && i + 3 < n && p[i + 3] == '=') {
                *what = "backreference";
                return (long)i;
            }
        }
        if ((c == '+' || c == '*' || c == '?' || c == '}') && i + 1 < n && p[i + 1] == '+') {
            *what = "possessive quantifier";
            return (long)i + 1;
        }
    }
    return -1;
}

/* Length of a bare inline flag group at p[i] — `(?i)`, `(?ms)` — that changes how the rest
 * of the pattern matches; 0 for anything else (groups such as `(?:`, `(?i:`, `(?<name>`
 * scope their flags to their own content). */
static size_t flag_group(const char *p, size_t n, size_t i)
{
    if (i + 2 >= n || p[i] != '(' || p[i + 1] != '?')
        return 0;
    size_t j = i + 2;
    while (j < n && (p[j] == '-' || (p[j] >= 'a' && p[j] <= 'z') || (p[j] >= 'A' && p[j] <= 'Z')))
        j++;
    return j < n && p[j] == ')' ? j + 1 - i : 0;
}

/* The longest literal every match must contain: only for patterns without top-level
 * alternation; literals inside groups, classes or before an optional quantifier don't
 * count. Leading global flags — `(?i)`, `(?s)`, `(?m)`, as Sigma's `|re|i|s|m` lower to —
 * are allowed (`i` makes the literal case-insensitive); a flag group anywhere else, or
 * any other flag, and there is no prefilter. A case-insensitive literal is ASCII only:
 * Oniguruma folds some non-ASCII characters to ASCII ones (U+212A KELVIN SIGN to `k`,
 * `ß` to `ss`), which a byte comparison cannot follow (contains_literal checks the value
 * too). */
static void required_literal(const char *p, size_t n, bool *ci_io, char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    bool ci = *ci_io;
    size_t fg;
    while ((fg = flag_group(p, n, 0)) > 0) {
        for (size_t i = 2; i + 1 < fg; i++) {
            if (p[i] == 'i')
                ci = true;
            else if (p[i] != 's' && p[i] != 'm')
                return; /* x (extended), negations, ...: not worth following */
        }
        p += fg;
        n -= fg;
    }
    int depth = 0;
    bool in_class = false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\') {
            i++;
            continue;
        }
        if (in_class) {
            in_class = p[i] != ']';
            continue;
        }
        if (p[i] == '[')
            in_class = true;
        else if (p[i] == '(' && flag_group(p, n, i))
            return; /* inline flags change what the literals after them match */
        else if (p[i] == '(')
            depth++;
        else if (p[i] == ')')
            depth--;
        else if (p[i] == '|' && depth == 0)
            return;
    }
    char best[256], cur[256];
    size_t bestn = 0, curn = 0;
    depth = 0;
    in_class = false;
    for (size_t i = 0; i <= n; i++) {
        bool lit = false;
        char ch = 0;
        size_t adv = 0;
        if (i < n && !in_class && depth == 0) {
            char c = p[i];
            if (c == '\\' && i + 1 < n && strchr(".\\+*?()[]{}|^$/-", p[i + 1])) {
                lit = true;
                ch = p[i + 1];
                adv = 1;
            } else if (!strchr("\\.+*?()[]{}|^$", c)) {
                lit = !(ci && (unsigned char)c >= 0x80);
                ch = c;
            }
        }
        /* A quantifier after this character makes it optional or repeated. */
        size_t next = i + adv + 1;
        if (lit && next < n && strchr("*?{+", p[next])) {
            if (p[next] != '+') /* x+ still requires one x */
                lit = false;
        }
        if (lit && curn < sizeof cur) {
            cur[curn++] = ci ? sp_ascii_lower(ch) : ch;
            if (lit && next < n && p[next] == '+') {
                if (curn > bestn) {
                    memcpy(best, cur, curn);
                    bestn = curn;
                }
                curn = 0;
            }
            i += adv;
            continue;
        }
        if (curn > bestn) {
            memcpy(best, cur, curn);
            bestn = curn;
        }
        curn = 0;
        if (i >= n)
            break;
        char c = p[i];
        if (c == '\\')
            i++;
        else if (in_class)
            in_class = c != ']';
        else if (c == '[')
            in_class = true;
        else if (c == '(')
            depth++;
        else if (c == ')')
            depth--;
    }
    if (bestn >= 3) {
        *out = sp_xstrndup(best, bestn);
        *outlen = bestn;
        *ci_io = ci;
    }
}

kre *kre_compile(const char *pattern, size_t n, unsigned flags, sp_diag *err)
{
    pthread_once(&onig_once, onig_setup);
    const char *what = NULL;
    long at = unsupported_construct(pattern, n, &what);
    if (at >= 0) {
        sp_diag_set(err, NULL, 0, (int)at + 1, "unsupported regex construct: %s (RE2 syntax only)", what);
        return NULL;
    }
    OnigOptionType opt = ONIG_OPTION_CAPTURE_GROUP;
    if (flags & KRE_ICASE)
        opt |= ONIG_OPTION_IGNORECASE;
    if (flags & KRE_DOTALL)
        opt |= ONIG_OPTION_MULTILINE; /* Oniguruma's MULTILINE is "dot matches newline" */
    if (flags & KRE_MULTILINE)
        opt |= ONIG_OPTION_NEGATE_SINGLELINE;
    /* RE2 writes named groups (?P<name>...); Oniguruma's Perl syntax wants (?<name>...). */
    sp_buf pat = {0};
    for (size_t i = 0; i < n; i++) {
        if (pattern[i] == '\\' && i + 1 < n) {
            sp_buf_append(&pat, pattern + i, 2);
            i++;
            continue;
        }
        if (i + 3 < n && !memcmp(pattern + i, "(?P<", 4)) {
            sp_buf_append(&pat, "(?<", 3);
            i += 3;
            continue;
        }
        sp_buf_putc(&pat, pattern[i]);
    }
    regex_t *re;
    OnigErrorInfo einfo;
    const UChar *ps = (const UChar *)(pat.data ? pat.data : "");
    int r = onig_new(&re, ps, ps + pat.len, opt, ONIG_ENCODING_UTF8, ONIG_SYNTAX_PERL_NG, &einfo);
    sp_buf_free(&pat);
    if (r != ONIG_NORMAL) {
        UChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];
        onig_error_code_to_str(msg, r, &einfo);
        sp_diag_set(err, NULL, 0, 0, "invalid regex: %s", (const char *)msg);
        return NULL;
    }
    kre *k = sp_xcalloc(1, sizeof *k);
    k->re = re;
    k->ci = (flags & KRE_ICASE) != 0; /* a leading (?i) turns it on for the literal */
    required_literal(pattern, n, &k->ci, &k->literal, &k->literal_len);
    k->mp = onig_new_match_param();
    onig_initialize_match_param(k->mp);
    onig_set_retry_limit_in_match_of_match_param(k->mp, (unsigned long)sp_limits.regex_retry_limit);
    return k;
}

void kre_free(kre *k)
{
    if (!k)
        return;
    onig_free(k->re);
    onig_free_match_param(k->mp);
    free(k->literal);
    free(k);
}

bool kre_has_prefilter(const kre *k)
{
    return k->literal != NULL;
}

static bool contains_literal(const kre *k, const char *s, size_t n)
{
    size_t m = k->literal_len;
    if (m > n)
        return false;
    if (!k->ci)
        return memmem(s, n, k->literal, m) != NULL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return true; /* non-ASCII text may fold onto the literal: let Oniguruma decide */
    for (size_t i = 0; i + m <= n; i++) {
        size_t j = 0;
        while (j < m && sp_ascii_lower(s[i + j]) == k->literal[j])
            j++;
        if (j == m)
            return true;
    }
    return false;
}

int kre_search(const kre *k, const char *s, size_t n, size_t start, OnigRegion *region)
{
    if (n > sp_limits.max_regex_input)
        n = sp_limits.max_regex_input;
    if (start > n)
        return -1;
    if (k->literal && start == 0 && !contains_literal(k, s, n))
        return -1;
    const UChar *b = (const UChar *)s, *e = b + n;
    int r = onig_search_with_param(k->re, b, e, b + start, e, region, ONIG_OPTION_NONE, k->mp);
    return r >= 0 ? r : -1; /* no match, or a retry limit hit: both mean "no match" */
}

bool kre_match(const kre *k, const char *s, size_t n)
{
    return kre_search(k, s, n, 0, NULL) >= 0;
}

int kre_groups(const kre *k)
{
    return onig_number_of_captures(k->re);
}

int kre_group_number(const kre *k, const char *name, size_t n)
{
    const UChar *b = (const UChar *)name;
    int r = onig_name_to_backref_number(k->re, b, b + n, NULL);
    return r > 0 ? r : -1;
}

typedef struct group_name_req {
    int group;
    char *buf;
    size_t cap;
    bool found;
} group_name_req;

static int group_name_cb(const UChar *name, const UChar *end, int ngroups, int *groups, regex_t *re, void *arg)
{
    (void)re;
    group_name_req *q = arg;
    for (int i = 0; i < ngroups; i++)
        if (groups[i] == q->group) {
            size_t n = SP_MIN((size_t)(end - name), q->cap - 1);
            memcpy(q->buf, name, n);
            q->buf[n] = 0;
            q->found = true;
            return 1;
        }
    return 0;
}

bool kre_group_name(const kre *k, int group, char *buf, size_t cap)
{
    group_name_req q = {group, buf, cap, false};
    if (cap == 0)
        return false;
    onig_foreach_name(k->re, group_name_cb, &q);
    return q.found;
}

/* ---- the regexes of a plan ---- */

typedef struct regex_list {
    kexec_regex *v;
    int n, cap;
} regex_list;

static void list_kp(const kp *n, regex_list *l);

/* The pattern argument of a regex builtin and the wrapper the executor compiles it in
 * (fn_core.c, fn_string.c); -1 when the call runs no regex. */
static int regex_arg(const kx *e, const char **wrap)
{
    *wrap = NULL;
    switch (e->fn) {
    case KB_matches_regex:
    case KB_replace_regex: return 1;
    case KB_extract:
    case KB_extract_all: return 0;
    case KB_countof:
        return e->nargs > 2 && e->args[2]->kind == KX_CONST && sp_type_is_text(e->args[2]->value.type) &&
                       sp_ieq(e->args[2]->value.u.s.p, e->args[2]->value.u.s.n, "regex", 5)
                   ? 1
                   : -1;
    case KB_trim:
    case KB_trim_start: *wrap = "\\A(?:%s)+"; return 0;
    case KB_trim_end: *wrap = "(?:%s)+\\z"; return 0;
    default: return -1;
    }
}

static void list_kx(const kx *e, regex_list *l)
{
    if (!e)
        return;
    const char *wrap;
    int arg = e->kind == KX_CALL ? regex_arg(e, &wrap) : -1;
    if (arg >= 0 && arg < e->nargs) {
        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 4;
            l->v = sp_xrealloc(l->v, sizeof *l->v * (size_t)l->cap);
        }
        kexec_regex *r = &l->v[l->n++];
        memset(r, 0, sizeof *r);
        r->fn = kb_get(e->fn)->name;
        r->line = e->line;
        r->col = e->col;
        const kx *pat = e->args[arg];
        if (pat->kind == KX_CONST && sp_type_is_text(pat->value.type)) {
            sp_buf b = {0};
            if (wrap) {
                const char *at = strstr(wrap, "%s");
                sp_buf_append(&b, wrap, (size_t)(at - wrap));
                sp_buf_append(&b, pat->value.u.s.p, pat->value.u.s.n);
                sp_buf_puts(&b, at + 2);
            } else {
                sp_buf_append(&b, pat->value.u.s.p, pat->value.u.s.n);
            }
            r->pattern = sp_xstrndup(b.data ? b.data : "", b.len);
            sp_buf_free(&b);
            sp_diag d = {0};
            kre *k = kre_compile(r->pattern, strlen(r->pattern), 0, &d);
            r->invalid = k == NULL;
            if (k && k->literal) {
                r->literal = sp_xstrndup(k->literal, k->literal_len);
                r->ci = k->ci;
            }
            kre_free(k);
        }
    }
    if (e->kind == KX_SUBQUERY)
        list_kp(e->sub, l);
    for (int i = 0; i < e->nargs; i++)
        list_kx(e->args[i], l);
}

static void list_kp(const kp *n, regex_list *l)
{
    if (!n)
        return;
    list_kx(n->scan_filter, l);
    list_kx(n->pred, l);
    for (int i = 0; i < n->nitems; i++)
        list_kx(n->items[i].expr, l);
    for (int i = 0; i < n->nkeys; i++)
        list_kx(n->keys[i].expr, l);
    for (int i = 0; i < n->naggs; i++)
        for (int j = 0; j < n->aggs[i].nargs; j++)
            list_kx(n->aggs[i].args[j], l);
    for (int i = 0; i < n->nsort; i++)
        list_kx(n->sort[i].expr, l);
    for (int i = 0; i < n->njoinkeys; i++) {
        list_kx(n->lkeys[i], l);
        list_kx(n->rkeys[i], l);
    }
    for (int i = 0; i < n->nexpand; i++)
        list_kx(n->expand[i].expr, l);
    list_kx(n->axis, l);
    list_kx(n->range_from, l);
    list_kx(n->range_to, l);
    list_kx(n->range_step, l);
    list_kp(n->in, l);
    for (int i = 0; i < n->ninputs; i++)
        list_kp(n->inputs[i], l);
    list_kp(n->apply, l);
}

int kexec_plan_regexes(const kplan *plan, kexec_regex **out)
{
    regex_list l = {0};
    for (int i = 0; i < plan->nshared; i++)
        list_kp(plan->shared[i], &l);
    list_kp(plan->root, &l);
    *out = l.v;
    return l.n;
}

void kexec_regexes_free(kexec_regex *v, int n)
{
    for (int i = 0; i < n; i++) {
        free(v[i].pattern);
        free(v[i].literal);
    }
    free(v);
}
