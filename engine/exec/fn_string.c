/* fn_string.c — string builtins: concatenation (strcat, strcat_delim, strcat_array,
 * strrep), split, character-based substring/strlen/indexof/reverse, case mapping,
 * regex trimming, replace_string/replace_regex, extract/extract_all/extractjson,
 * countof and string_size.
 *
 * Kusto counts characters, not bytes: substring, strlen, indexof and reverse step over
 * UTF-8 code points (an invalid byte counts as one character). Regex arguments follow
 * RE2 syntax (regex.c); a constant pattern is compiled once per query in the builtin's
 * init, so a bad pattern fails the query with its position instead of every row.
 *
 * Kusto behaviours pinned here:
 *  - substring with a negative start counts from the end; out-of-range parts give "";
 *  - split with an index returns a one-element array, or [] when the index is out of range;
 *  - trim/trim_start/trim_end take a regex and remove every leading/trailing repetition;
 *  - replace_regex rewrites `\0`..`\9` as groups and replaces every non-overlapping
 *    match, an empty match never directly after the previous match (RE2 GlobalReplace);
 *  - extract returns "" (or null for a typed extract) when nothing matches; extract_all
 *    returns null when nothing matches, an array of strings for one group and an array of
 *    arrays for several (objects when groups are selected by name);
 *  - countof counts overlapping occurrences of a plain substring, non-overlapping regex
 *    matches;
 *  - indexof's optional length bounds each search window, which moves forward with each
 *    occurrence; a negative start counts from the end; occurrence < 1 or length < -1 is null.
 */
#include "engine/exec/fn_util.h"

#include <stdlib.h>
#include <string.h>

static inline kstr sarg(const kval *a)
{
    return a->u.s;
}

static void empty_str(kfctx *c, kval *out)
{
    kf_str(c, out, SP_TYPE_STRING, "", 0);
}

/* ---- concatenation ---- */

static void fn_strcat(kfctx *c, kval *out, const kval *a, int n)
{
    sp_buf b = {0};
    for (int i = 0; i < n; i++)
        kval_to_text(&a[i], &b);
    kf_buf(c, out, SP_TYPE_STRING, &b);
}

static void fn_strcat_delim(kfctx *c, kval *out, const kval *a, int n)
{
    sp_buf b = {0};
    for (int i = 1; i < n; i++) {
        if (i > 1)
            sp_buf_append(&b, a[0].u.s.p, a[0].u.s.n);
        kval_to_text(&a[i], &b);
    }
    kf_buf(c, out, SP_TYPE_STRING, &b);
}

static void fn_strcat_array(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    sp_buf b = {0};
    kj_iter it;
    kstr e;
    bool first = true;
    if (!a[0].null && kj_arr_begin(a[0].u.s, &it))
        while (kj_arr_next(&it, &e)) {
            if (!first)
                sp_buf_append(&b, a[1].u.s.p, a[1].u.s.n);
            first = false;
            kf_json_text(e, &b);
        }
    kf_buf(c, out, SP_TYPE_STRING, &b);
}

static void fn_strrep(kfctx *c, kval *out, const kval *a, int n)
{
    if (a[1].null || a[1].u.l <= 0) {
        empty_str(c, out);
        return;
    }
    int64_t times = a[1].u.l > 1024 ? 1024 : a[1].u.l;
    kstr s = sarg(&a[0]);
    kstr d = n > 2 ? sarg(&a[2]) : (kstr){"", 0};
    /* A result is capped at 64 MiB: the repetitions that would pass it are left out. */
    size_t unit = (size_t)s.n + d.n;
    if (unit && (size_t)times * unit > ((size_t)64 << 20))
        times = (int64_t)(((size_t)64 << 20) / unit);
    sp_buf b = {0};
    sp_buf_reserve(&b, (size_t)times * (s.n + d.n));
    for (int64_t i = 0; i < times; i++) {
        if (i)
            sp_buf_append(&b, d.p, d.n);
        sp_buf_append(&b, s.p, s.n);
    }
    kf_buf(c, out, SP_TYPE_STRING, &b);
}

/* ---- split ---- */

static void fn_split(kfctx *c, kval *out, const kval *a, int n)
{
    kstr s = sarg(&a[0]), d = sarg(&a[1]);
    bool want = n > 2 && !a[2].null;
    int64_t idx = want ? a[2].u.l : 0;
    sp_buf b = {0};
    sp_buf_putc(&b, '[');
    size_t at = 0;
    int64_t k = 0;
    bool emitted = false;
    for (;;) {
        const char *hit = d.n && at <= s.n ? memmem(s.p + at, s.n - at, d.p, d.n) : NULL;
        size_t end = hit ? (size_t)(hit - s.p) : s.n;
        if (!want || k == idx) {
            if (emitted)
                sp_buf_putc(&b, ',');
            sp_buf_json_string(&b, s.p + at, end - at);
            emitted = true;
        }
        k++;
        if (!hit)
            break;
        at = end + d.n;
    }
    sp_buf_putc(&b, ']');
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

/* ---- characters ---- */

static void fn_substring(kfctx *c, kval *out, const kval *a, int n)
{
    kstr s = sarg(&a[0]);
    if (a[1].null) {
        empty_str(c, out);
        return;
    }
    int64_t count = (int64_t)kf_utf8_count(s.p, s.n);
    int64_t start = a[1].u.l;
    if (start < 0)
        start += count;
    if (start < 0)
        start = 0;
    if (start >= count) {
        empty_str(c, out);
        return;
    }
    int64_t len = n > 2 && !a[2].null ? a[2].u.l : count - start;
    if (len <= 0) {
        empty_str(c, out);
        return;
    }
    if (len > count - start)
        len = count - start;
    size_t b0 = kf_utf8_offset(s.p, s.n, (size_t)start);
    size_t b1 = b0 + kf_utf8_offset(s.p + b0, s.n - b0, (size_t)len);
    kf_str(c, out, SP_TYPE_STRING, s.p + b0, b1 - b0);
}

static void fn_strlen(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    kf_long(out, SP_TYPE_LONG, (int64_t)kf_utf8_count(a[0].u.s.p, a[0].u.s.n));
}

static void fn_string_size(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    kf_long(out, SP_TYPE_LONG, (int64_t)a[0].u.s.n);
}

static void fn_case(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    bool upper = c->call->fn == KB_toupper;
    kstr s = sarg(&a[0]);
    sp_buf b = {0};
    sp_buf_reserve(&b, s.n + 1);
    for (size_t i = 0; i < s.n;) {
        unsigned char ch = (unsigned char)s.p[i];
        if (ch < 0x80) {
            sp_buf_putc(&b, (char)(upper ? (ch >= 'a' && ch <= 'z' ? ch - 32 : ch) : (ch >= 'A' && ch <= 'Z' ? ch + 32 : ch)));
            i++;
            continue;
        }
        size_t st = i;
        uint32_t cp = kf_utf8_next(s.p, s.n, &i);
        if (cp == 0xFFFD && i - st == 1) { /* an invalid byte stays as it is */
            sp_buf_putc(&b, s.p[st]);
            continue;
        }
        kf_utf8_put(&b, upper ? kf_upper_cp(cp) : kf_lower_cp(cp));
    }
    kf_buf(c, out, SP_TYPE_STRING, &b);
}

static void fn_reverse(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    kstr s = sarg(&a[0]);
    char *r = sp_arena_alloc(c->arena, s.n + 1);
    size_t w = s.n;
    for (size_t i = 0; i < s.n;) {
        size_t st = i;
        kf_utf8_next(s.p, s.n, &i);
        w -= i - st;
        memcpy(r + w, s.p + st, i - st);
    }
    r[s.n] = 0;
    *out = (kval){.type = SP_TYPE_STRING};
    out->u.s = (kstr){r, s.n};
}

/* ---- indexof / countof / replace_string ---- */

static void fn_indexof(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    kstr s = sarg(&a[0]), k = sarg(&a[1]);
    int64_t start = n > 2 ? a[2].u.l : 0, length = n > 3 ? a[3].u.l : -1, occ = n > 4 ? a[4].u.l : 1;
    if ((n > 2 && a[2].null) || (n > 3 && a[3].null) || (n > 4 && a[4].null) || occ < 1 || length < -1) {
        kf_null(out, SP_TYPE_LONG);
        return;
    }
    int64_t count = (int64_t)kf_utf8_count(s.p, s.n);
    if (start < 0)
        start = count + start < 0 ? 0 : count + start;
    if (start > count) {
        kf_long(out, SP_TYPE_LONG, -1);
        return;
    }
    int64_t pos = start; /* character index of the window start */
    for (int64_t found = 0;;) {
        size_t b0 = kf_utf8_offset(s.p, s.n, (size_t)pos);
        size_t b1 = length < 0 ? s.n : b0 + kf_utf8_offset(s.p + b0, s.n - b0, (size_t)length);
        const char *hit = k.n == 0 ? s.p + b0 : (b1 - b0 >= k.n ? memmem(s.p + b0, b1 - b0, k.p, k.n) : NULL);
        if (!hit) {
            kf_long(out, SP_TYPE_LONG, -1);
            return;
        }
        int64_t at = pos + (int64_t)kf_utf8_count(s.p + b0, (size_t)(hit - (s.p + b0)));
        if (++found == occ) {
            kf_long(out, SP_TYPE_LONG, at);
            return;
        }
        pos = at + 1;
        if (pos > count) {
            kf_long(out, SP_TYPE_LONG, -1);
            return;
        }
    }
}

typedef struct regex1_state {
    kf_regex re;
    OnigRegion *region;
} regex1_state;

static int regex1_init_at(kfctx *c, const kx *call, int arg, const char *wrap, void **state)
{
    regex1_state *st = sp_xcalloc(1, sizeof *st);
    *state = st;
    st->region = onig_region_new();
    return kf_regex_init(c, call, arg, 0, wrap, &st->re);
}

static void regex1_free(void *p)
{
    regex1_state *st = p;
    kf_regex_free(&st->re);
    onig_region_free(st->region, 1);
    free(st);
}

/* Next search position after a match [b, e): past an empty match, one character on. */
static size_t after_match(const char *s, size_t n, size_t b, size_t e)
{
    if (e > b || e >= n)
        return e > b ? e : e + 1;
    size_t i = e;
    kf_utf8_next(s, n, &i);
    return i;
}

static int countof_init(kfctx *c, const kx *call, void **state)
{
    /* Only the regex kind needs a compiled pattern; a constant "normal" kind needs none. */
    if (call->nargs > 2 && call->args[2]->kind == KX_CONST && kf_ieq(call->args[2]->value.u.s, "regex"))
        return regex1_init_at(c, call, 1, NULL, state);
    regex1_state *st = sp_xcalloc(1, sizeof *st);
    st->region = onig_region_new();
    *state = st;
    return 0;
}

static void fn_countof(kfctx *c, kval *out, const kval *a, int n)
{
    kstr s = sarg(&a[0]), k = sarg(&a[1]);
    bool regex = n > 2 && kf_ieq(a[2].u.s, "regex");
    if (n > 2 && !regex && !kf_ieq(a[2].u.s, "normal")) {
        kf_null(out, SP_TYPE_LONG);
        return;
    }
    int64_t count = 0;
    if (!regex) {
        if (k.n)
            for (size_t at = 0; at + k.n <= s.n;) {
                const char *hit = memmem(s.p + at, s.n - at, k.p, k.n);
                if (!hit)
                    break;
                count++;
                at = (size_t)(hit - s.p) + 1; /* overlapping */
            }
        kf_long(out, SP_TYPE_LONG, count);
        return;
    }
    regex1_state *st = c->state;
    kre *re = kf_regex_get(&st->re, k);
    if (!re) {
        kf_null(out, SP_TYPE_LONG);
        return;
    }
    for (size_t at = 0; at <= s.n;) {
        if (kre_search(re, s.p, s.n, at, st->region) < 0)
            break;
        count++;
        at = after_match(s.p, s.n, (size_t)st->region->beg[0], (size_t)st->region->end[0]);
    }
    kf_long(out, SP_TYPE_LONG, count);
}

static void fn_replace_string(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    kstr s = sarg(&a[0]), k = sarg(&a[1]), r = sarg(&a[2]);
    if (k.n == 0 || k.n > s.n) {
        kf_str(c, out, SP_TYPE_STRING, s.p, s.n);
        return;
    }
    sp_buf b = {0};
    size_t at = 0;
    for (;;) {
        const char *hit = memmem(s.p + at, s.n - at, k.p, k.n);
        if (!hit)
            break;
        sp_buf_append(&b, s.p + at, (size_t)(hit - (s.p + at)));
        sp_buf_append(&b, r.p, r.n);
        at = (size_t)(hit - s.p) + k.n;
    }
    sp_buf_append(&b, s.p + at, s.n - at);
    kf_buf(c, out, SP_TYPE_STRING, &b);
}

/* ---- regex: replace, trim, extract ---- */

static int replace_regex_init(kfctx *c, const kx *call, void **state)
{
    return regex1_init_at(c, call, 1, NULL, state);
}

/* Appends the rewrite with \0..\9 replaced by the groups of the match in text. */
static void put_rewrite(sp_buf *b, kstr rw, const char *text, const OnigRegion *rg)
{
    for (size_t i = 0; i < rw.n; i++) {
        char ch = rw.p[i];
        if (ch == '\\' && i + 1 < rw.n) {
            char d = rw.p[i + 1];
            if (d >= '0' && d <= '9') {
                int g = d - '0';
                if (g < rg->num_regs && rg->beg[g] >= 0)
                    sp_buf_append(b, text + rg->beg[g], (size_t)(rg->end[g] - rg->beg[g]));
                i++;
                continue;
            }
            if (d == '\\') {
                sp_buf_putc(b, '\\');
                i++;
                continue;
            }
        }
        sp_buf_putc(b, ch);
    }
}

static void fn_replace_regex(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    regex1_state *st = c->state;
    kstr s = sarg(&a[0]), rw = sarg(&a[2]);
    kre *re = kf_regex_get(&st->re, sarg(&a[1]));
    if (!re) {
        kf_str(c, out, SP_TYPE_STRING, s.p, s.n);
        return;
    }
    sp_buf b = {0};
    size_t copied = 0, at = 0;
    long last_end = -1;
    while (at <= s.n) {
        if (kre_search(re, s.p, s.n, at, st->region) < 0)
            break;
        size_t mb = (size_t)st->region->beg[0], me = (size_t)st->region->end[0];
        if (mb == me && (long)mb == last_end) {
            /* an empty match right after the previous match does not count */
            size_t next = after_match(s.p, s.n, mb, me);
            at = next;
            continue;
        }
        sp_buf_append(&b, s.p + copied, mb - copied);
        put_rewrite(&b, rw, s.p, st->region);
        copied = me;
        last_end = (long)me;
        at = after_match(s.p, s.n, mb, me);
        if (mb == me && me < s.n) {
            /* the character skipped over an empty match is kept */
            sp_buf_append(&b, s.p + me, at - me);
            copied = at;
        }
    }
    if (copied < s.n)
        sp_buf_append(&b, s.p + copied, s.n - copied);
    kf_buf(c, out, SP_TYPE_STRING, &b);
}

typedef struct trim_state {
    kf_regex lead, trail;
    OnigRegion *region;
} trim_state;

static int trim_init(kfctx *c, const kx *call, void **state)
{
    trim_state *st = sp_xcalloc(1, sizeof *st);
    *state = st;
    st->region = onig_region_new();
    if (call->fn != KB_trim_end && kf_regex_init(c, call, 0, 0, "\\A(?:%s)+", &st->lead) < 0)
        return -1;
    if (call->fn != KB_trim_start && kf_regex_init(c, call, 0, 0, "(?:%s)+\\z", &st->trail) < 0)
        return -1;
    return 0;
}

static void trim_free(void *p)
{
    trim_state *st = p;
    kf_regex_free(&st->lead);
    kf_regex_free(&st->trail);
    onig_region_free(st->region, 1);
    free(st);
}

static void fn_trim(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    trim_state *st = c->state;
    kstr pat = sarg(&a[0]), s = sarg(&a[1]);
    size_t b = 0, e = s.n;
    if (c->call->fn != KB_trim_end) {
        kre *re = kf_regex_get(&st->lead, pat);
        if (re && kre_search(re, s.p, s.n, 0, st->region) == 0)
            b = (size_t)st->region->end[0];
    }
    if (c->call->fn != KB_trim_start && b < e) {
        kre *re = kf_regex_get(&st->trail, pat);
        /* Regex input is capped: look for the trailing run in the last window only. */
        size_t w = e - b > sp_limits.max_regex_input ? e - sp_limits.max_regex_input : b;
        while (w > b && ((unsigned char)s.p[w] & 0xC0) == 0x80)
            w--;
        int r = re ? kre_search(re, s.p + w, e - w, 0, st->region) : -1;
        if (r >= 0 && (size_t)st->region->end[0] == e - w)
            e = w + (size_t)r;
    }
    kf_str(c, out, SP_TYPE_STRING, s.p + b, e - b);
}

static int extract_init(kfctx *c, const kx *call, void **state)
{
    return regex1_init_at(c, call, 0, NULL, state);
}

/* The text to convert for a typed result: a real empty match still converts (to null). */
static void typed_result(kfctx *c, kval *out, const char *p, size_t len)
{
    sp_type rt = c->call->type;
    kval s = {.type = SP_TYPE_STRING, .u.s = {p, (uint32_t)len}};
    if (rt == SP_TYPE_STRING) {
        kf_str(c, out, rt, p, len);
        return;
    }
    kval_convert(&s, rt, c->arena, out);
}

static void fn_extract(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    regex1_state *st = c->state;
    sp_type rt = c->call->type;
    kstr s = sarg(&a[2]);
    kre *re = kf_regex_get(&st->re, sarg(&a[0]));
    if (!re || a[1].null || a[1].u.l < 0 || kre_search(re, s.p, s.n, 0, st->region) < 0 ||
        a[1].u.l >= st->region->num_regs || st->region->beg[a[1].u.l] < 0) {
        if (rt == SP_TYPE_STRING)
            empty_str(c, out);
        else
            kf_null(out, rt);
        return;
    }
    int g = (int)a[1].u.l;
    typed_result(c, out, s.p + st->region->beg[g], (size_t)(st->region->end[g] - st->region->beg[g]));
}

/* extract_all(regex, [captureGroups,] text) */
static void fn_extract_all(kfctx *c, kval *out, const kval *a, int n)
{
    regex1_state *st = c->state;
    kstr s = sarg(&a[n - 1]);
    kre *re = kf_regex_get(&st->re, sarg(&a[0]));
    if (!re) {
        kf_null(out, SP_TYPE_DYNAMIC);
        return;
    }
    int ngroups = kre_groups(re);
    int groups[64];
    char names[64][64];
    int nsel = 0;
    bool named = false;
    if (n > 2 && !a[1].null) {
        kj_iter it;
        kstr e;
        if (!kj_arr_begin(a[1].u.s, &it)) {
            kf_null(out, SP_TYPE_DYNAMIC);
            return;
        }
        while (kj_arr_next(&it, &e) && nsel < 64) {
            int g = -1;
            if (kj_typeof(e) == KJ_STRING) {
                sp_buf nm = {0};
                if (sp_json_unescape(e.p, e.n, &nm))
                    g = kre_group_number(re, nm.data ? nm.data : "", nm.len);
                sp_buf_free(&nm);
                named = true;
            } else {
                int64_t v;
                if (sp_parse_i64(e.p, e.n, &v) && v >= 1 && v <= ngroups)
                    g = (int)v;
            }
            if (g < 0) { /* a group that does not exist */
                kf_null(out, SP_TYPE_DYNAMIC);
                return;
            }
            groups[nsel++] = g;
        }
    } else if (ngroups == 0) {
        groups[nsel++] = 0;
    } else {
        for (int g = 1; g <= ngroups && nsel < 64; g++)
            groups[nsel++] = g;
    }
    if (named)
        for (int i = 0; i < nsel; i++)
            if (!kre_group_name(re, groups[i], names[i], sizeof names[i]))
                snprintf(names[i], sizeof names[i], "%d", groups[i]);
    sp_buf b = {0};
    sp_buf_putc(&b, '[');
    int matches = 0;
    for (size_t at = 0; at <= s.n;) {
        if (kre_search(re, s.p, s.n, at, st->region) < 0)
            break;
        OnigRegion *rg = st->region;
        if (matches++)
            sp_buf_putc(&b, ',');
        if (nsel > 1 || named)
            sp_buf_putc(&b, named ? '{' : '[');
        for (int i = 0; i < nsel; i++) {
            int g = groups[i];
            if (i)
                sp_buf_putc(&b, ',');
            if (named) {
                sp_buf_json_string(&b, names[i], strlen(names[i]));
                sp_buf_putc(&b, ':');
            }
            if (g < rg->num_regs && rg->beg[g] >= 0)
                sp_buf_json_string(&b, s.p + rg->beg[g], (size_t)(rg->end[g] - rg->beg[g]));
            else
                sp_buf_puts(&b, "\"\"");
        }
        if (nsel > 1 || named)
            sp_buf_putc(&b, named ? '}' : ']');
        at = after_match(s.p, s.n, (size_t)rg->beg[0], (size_t)rg->end[0]);
    }
    sp_buf_putc(&b, ']');
    if (!matches) {
        sp_buf_free(&b);
        kf_null(out, SP_TYPE_DYNAMIC);
        return;
    }
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

/* extractjson(path, json [, typeof(T)]) */
static void fn_extractjson(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    sp_type rt = c->call->type;
    kstr path = sarg(&a[0]);
    kstr text = a[1].u.s;
    sp_buf doc = {0};
    size_t off;
    const char *why;
    kstr found;
    bool ok = false;
    if (a[1].type == SP_TYPE_DYNAMIC && !a[1].null) {
        ok = kf_path_get(text, path, &found);
    } else if (text.n && sp_json_compact(text.p, text.n, sp_limits.max_json_depth, &doc, &off, &why) == 0) {
        ok = kf_path_get((kstr){doc.data, (uint32_t)doc.len}, path, &found);
    }
    if (!ok || kj_typeof(found) == KJ_NULL) {
        sp_buf_free(&doc);
        if (rt == SP_TYPE_STRING)
            empty_str(c, out);
        else
            kf_null(out, rt);
        return;
    }
    if (rt == SP_TYPE_DYNAMIC) {
        kf_str(c, out, rt, found.p, found.n);
    } else if (rt == SP_TYPE_STRING) {
        sp_buf t = {0};
        kf_json_text(found, &t);
        kf_buf(c, out, rt, &t);
    } else {
        kj_to_scalar(found, rt, c->arena, out);
    }
    sp_buf_free(&doc);
}

#define SCALAR(id, fn) {KB_##id, {.scalar = fn, .dict_ok = true}}
#define STATEFUL(id, fn, ini, fre) {KB_##id, {.scalar = fn, .init = ini, .free = fre, .dict_ok = true}}

const kfn_reg kfn_string[] = {
    SCALAR(strcat, fn_strcat),
    SCALAR(strcat_delim, fn_strcat_delim),
    SCALAR(strcat_array, fn_strcat_array),
    SCALAR(strrep, fn_strrep),
    SCALAR(split, fn_split),
    SCALAR(substring, fn_substring),
    SCALAR(strlen, fn_strlen),
    SCALAR(string_size, fn_string_size),
    SCALAR(tolower, fn_case),
    SCALAR(toupper, fn_case),
    SCALAR(reverse, fn_reverse),
    SCALAR(indexof, fn_indexof),
    SCALAR(replace_string, fn_replace_string),
    STATEFUL(countof, fn_countof, countof_init, regex1_free),
    STATEFUL(replace_regex, fn_replace_regex, replace_regex_init, regex1_free),
    STATEFUL(trim, fn_trim, trim_init, trim_free),
    STATEFUL(trim_start, fn_trim, trim_init, trim_free),
    STATEFUL(trim_end, fn_trim, trim_init, trim_free),
    STATEFUL(extract, fn_extract, extract_init, regex1_free),
    STATEFUL(extract_all, fn_extract_all, extract_init, regex1_free),
    SCALAR(extractjson, fn_extractjson),
    {(kb_id)-1, {0}},
};
