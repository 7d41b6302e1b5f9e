/* dynpath.c — values at a path of a dynamic column, extracted once per chunk and shared.
 *
 * Fields inside dynamic columns (DeviceDetail.operatingSystem, LocationDetails.city,
 * Status.errorCode) are what detections test most after plain columns, and reading one
 * means walking the row's JSON text. When the column is not dictionary-encoded (a
 * DeviceDetail carries a per-device id, so nearly every row is distinct) every rule that
 * tests the field walked every row's JSON again: ~150 ns per row per rule. Columnar
 * engines shred such values into columns of their own; socpipe does it lazily, per chunk
 * and per path that something reads: the first scan that needs the path over most of a
 * chunk extracts it for the whole chunk into a dictionary-encoded column of "path lists"
 * and caches it on the chunk (sp_chunk_cache_put, freed with the chunk). Every later rule
 * or query reading the path gets the column's codes and runs its predicate once per
 * distinct value (vm.c), like any dictionary column: about a nanosecond per row.
 *
 * A path list is the compact JSON array of the values the path reaches in one row, in
 * document order, JSON nulls included: `[]` (nothing there), `["Linux"]`, `[null]` (the
 * key holds null), `["a","b"]` (Sigma's path crossed an array). One form serves every
 * reader: $any tests each non-null value (or null when there is none), $path_exists asks
 * whether the list is empty, $path and Kusto's member access take the single value.
 *
 * Modes (kpath_mode) follow the readers' semantics exactly: Sigma matches keys exactly,
 * else ignoring case, and crosses arrays; Kusto matches exactly and never crosses. A
 * chunk's ANY-mode column stands in for the others when the chunk's rows met no array on
 * the way and no key matched only ignoring case (flags recorded while extracting), so
 * Kusto's `tostring(DeviceDetail.browser)` and Sigma's `DeviceDetail.browser` share one
 * extraction; otherwise a column of the reader's own mode is extracted.
 *
 * When to extract: extracting walks every row of the chunk once, which pays as soon as
 * the rows asked for reach the chunk's size. A scan whose selection at the path holds at
 * least half the batch's rows extracts at once; sparser ones walk just their rows and
 * count them on the chunk, and the chunk is extracted once the counts add up to its rows
 * (buy when the rent paid equals the price: never more than twice the cheaper cost).
 * A sparse reader's plan that comes back to a chunk in another execution extracts at once:
 * it re-reads resident data (queries and rounds over loaded data, a scheduled rule's
 * window) and will be back again, while a per-event rule reads each chunk once, so a
 * stream never pays for extracting a path that only sparse readers want. Rules also
 * declare the paths their scans' filters read when they are bound (kpath_want, kept by
 * the table: sp_table_want_derived), and whichever reader extracts a chunk's column at one
 * path in ANY mode extracts in the same walk the declared paths that readers asked rows of
 * on that chunk, reading each object's members once for all of them. (A companion nobody
 * asked for is left out: finding a key that is usually last or absent means reading the
 * rest of every object, which nearly doubled the walk of DeviceDetail.operatingSystem.)
 * Without a derived column (sparse readers, operators other than a scan's filter) PATH
 * hands on the column itself and the call walks each row's JSON as it always did
 * (fn_sigma.c, fn_core.c); only a chain of Kusto accesses folded into one path gets its
 * path lists computed here, per row or per dictionary entry (kpath_vec).
 */
#include "engine/exec/exec_int.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define KPATH_MAX_DEPTH 64 /* as fn_sigma.c's walks: nesting of arrays and steps */

/* ---- paths ---- */

static void key_put(sp_buf *b, kpath_mode mode, int col, const kpath_step *steps, int nsteps)
{
    sp_buf_append(b, "kpath", 6); /* the prefix of this reader's keys, with its NUL */
    char m = (char)mode;
    sp_buf_append(b, &m, 1);
    uint32_t c = (uint32_t)col;
    sp_buf_append(b, &c, sizeof c);
    for (int i = 0; i < nsteps; i++) {
        char k = steps[i].is_index ? 'i' : 'k';
        sp_buf_append(b, &k, 1);
        if (steps[i].is_index) {
            sp_buf_append(b, &steps[i].index, sizeof steps[i].index);
        } else {
            sp_buf_append(b, &steps[i].name.n, sizeof steps[i].name.n);
            sp_buf_append(b, steps[i].name.p, steps[i].name.n);
        }
    }
}

static char *buf_take(sp_buf *b, size_t *len)
{
    *len = b->len;
    char *p = sp_xmalloc(b->len ? b->len : 1);
    memcpy(p, b->data, b->len);
    sp_buf_free(b);
    return p;
}

kpath *kpath_new(int col, kpath_mode mode, const kpath_step *steps, int nsteps)
{
    kpath *p = sp_xcalloc(1, sizeof *p);
    p->col = col;
    p->mode = mode;
    p->nsteps = nsteps;
    p->steps = sp_xcalloc((size_t)(nsteps ? nsteps : 1), sizeof *p->steps);
    bool names = true;
    for (int i = 0; i < nsteps; i++) {
        p->steps[i] = steps[i];
        names &= !steps[i].is_index;
        if (!steps[i].is_index) {
            char *n = sp_xmalloc(steps[i].name.n + 1);
            memcpy(n, steps[i].name.p, steps[i].name.n);
            n[steps[i].name.n] = 0;
            p->steps[i].name.p = n;
            p->steps[i].plain = !memchr(n, '\\', steps[i].name.n);
        }
    }
    sp_buf b = {0};
    key_put(&b, mode, col, p->steps, nsteps);
    p->key = buf_take(&b, &p->keylen);
    sp_buf_append(&b, "demand:", 7);
    sp_buf_append(&b, p->key, p->keylen);
    p->demand_key = buf_take(&b, &p->demand_keylen);
    /* The ANY walk counts depth like fn_sigma.c's: a longer path than it can follow has
     * no ANY stand-in. */
    if (mode != KPATH_ANY && names && nsteps < KPATH_MAX_DEPTH) {
        key_put(&b, KPATH_ANY, col, p->steps, nsteps);
        p->any_key = buf_take(&b, &p->any_keylen);
    }
    return p;
}

void kpath_free(kpath *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->nsteps; i++)
        if (!p->steps[i].is_index)
            free((char *)p->steps[i].name.p);
    free(p->steps);
    free(p->key);
    free(p->any_key);
    free(p->demand_key);
    free(p);
}

static void kpath_destroy(void *p)
{
    kpath_free(p);
}

/* A path whose steps are all names, with at least one: it has an ANY form. */
static bool names_only(const kpath *p)
{
    for (int i = 0; i < p->nsteps; i++)
        if (p->steps[i].is_index)
            return false;
    return p->nsteps > 0 && p->nsteps < KPATH_MAX_DEPTH;
}

void kpath_want(sp_table *t, int tcol, const kpath *p)
{
    if (!t || tcol < 0 || !names_only(p))
        return;
    kpath *any = kpath_new(tcol, KPATH_ANY, p->steps, p->nsteps);
    sp_table_want_derived(t, tcol, any->key, any->keylen, any, kpath_destroy);
}

/* ---- walking one value ---- */

/* Whether the raw key literal (quotes included) names step s: exactly, or with ci
 * ignoring (ASCII) case. Escapes only shorten a key, so a key no longer than the name
 * needs no unescaping when the name has no backslash of its own: most keys are decided by
 * their length, the rest by one comparison (extraction tests every member of every row). */
static bool key_is(kstr key, const kpath_step *s, bool ci)
{
    size_t kn = key.n - 2;
    if (!s->plain || kn > s->name.n) {
        if (kn > s->name.n && !memchr(key.p + 1, '\\', kn))
            return false;
        return ci ? kj_key_ieq(key, s->name.p, s->name.n) : kj_key_eq(key, s->name.p, s->name.n);
    }
    if (kn != s->name.n)
        return false;
    return ci ? sp_ieq(key.p + 1, kn, s->name.p, kn) : !memcmp(key.p + 1, s->name.p, kn);
}

/* The member of object o named by step s: the first with exactly that name; with ci,
 * else the first whose name matches ignoring case (one pass over the members, where
 * fn_sigma.c's member_ci makes two: the same answer). */
static bool member(kstr o, const kpath_step *s, bool ci, kstr *out, unsigned *flags)
{
    kj_iter it;
    kstr k, v, found = {NULL, 0};
    if (!kj_obj_begin(o, &it))
        return false;
    while (kj_obj_next(&it, &k, &v)) {
        if (k.n < 2)
            continue;
        if (key_is(k, s, false)) {
            *out = v;
            return true;
        }
        if (ci && !found.p && key_is(k, s, true))
            found = v;
    }
    if (!found.p)
        return false;
    *flags |= KPATH_CIKEY;
    *out = found;
    return true;
}

static void list_push(sp_buf *out, kstr v, bool *first)
{
    if (!*first)
        sp_buf_putc(out, ',');
    *first = false;
    sp_buf_append(out, v.p, v.n);
}

/* fn_sigma.c's path_walk and exists_walk in one: every value at the end of the path,
 * nulls included. A key found where the walk is already too deep for path_walk to read
 * its value (which exists_walk still counts) is listed as null: $any skips it, as
 * path_walk does, and $path_exists sees it, as exists_walk does. */
static void walk_any(kstr v, const kpath *p, int k, int depth, sp_buf *out, bool *first, unsigned *flags)
{
    if (depth > KPATH_MAX_DEPTH) {
        if (k == p->nsteps)
            list_push(out, (kstr){"null", 4}, first);
        return;
    }
    if (k == p->nsteps) {
        if (v.n)
            list_push(out, v, first);
        return;
    }
    kj_iter it;
    kstr x;
    switch (kj_typeof(v)) {
    case KJ_ARRAY:
        *flags |= KPATH_CROSSED;
        if (kj_arr_begin(v, &it))
            while (kj_arr_next(&it, &x))
                walk_any(x, p, k, depth + 1, out, first, flags);
        break;
    case KJ_OBJECT:
        if (member(v, &p->steps[k], true, &x, flags))
            walk_any(x, p, k + 1, depth + 1, out, first, flags);
        break;
    default: break;
    }
}

void kpath_eval(const kpath *p, kstr v, sp_buf *out, unsigned *flags)
{
    bool first = true;
    sp_buf_putc(out, '[');
    if (p->mode == KPATH_ANY) {
        walk_any(v, p, 0, 0, out, &first, flags);
    } else {
        bool ok = v.n > 0;
        for (int k = 0; k < p->nsteps && ok; k++) {
            const kpath_step *s = &p->steps[k];
            if (s->is_index)
                ok = kj_index(v, s->index, &v);
            else if (p->mode == KPATH_EXACT)
                ok = member(v, s, false, &v, flags);
            else
                ok = kj_typeof(v) == KJ_OBJECT && member(v, s, true, &v, flags);
        }
        if (ok && v.n)
            list_push(out, v, &first);
    }
    sp_buf_putc(out, ']');
}

kstr kpath_first(kstr list)
{
    kj_iter it;
    kstr v;
    if (kj_arr_begin(list, &it) && kj_arr_next(&it, &v))
        return v;
    return (kstr){"", 0};
}

/* ---- interning path lists ---- */

typedef struct interner {
    sp_buf text;
    uint32_t *offs; /* entry i is text[offs[i] .. offs[i+1]) */
    uint32_t n, cap;
    uint32_t *slots; /* entry + 1; 0 = empty */
    uint64_t *hashes;
    uint32_t mask;
} interner;

static void interner_init(interner *t)
{
    memset(t, 0, sizeof *t);
    t->mask = 255;
    t->slots = sp_xcalloc(t->mask + 1, sizeof *t->slots);
    t->cap = 64;
    t->offs = sp_xmalloc(sizeof *t->offs * (t->cap + 1));
    t->hashes = sp_xmalloc(sizeof *t->hashes * t->cap);
    t->offs[0] = 0;
}

static void interner_free(interner *t)
{
    sp_buf_free(&t->text);
    free(t->offs);
    free(t->slots);
    free(t->hashes);
}

static void interner_grow(interner *t)
{
    uint32_t nmask = t->mask * 2 + 1;
    uint32_t *ns = sp_xcalloc((size_t)nmask + 1, sizeof *ns);
    for (uint32_t e = 0; e < t->n; e++) {
        uint32_t i = (uint32_t)t->hashes[e] & nmask;
        while (ns[i])
            i = (i + 1) & nmask;
        ns[i] = e + 1;
    }
    free(t->slots);
    t->slots = ns;
    t->mask = nmask;
}

/* The entry of the text appended to t->text from offset `at` (the caller's scratch
 * tail): an existing entry (the tail is dropped) or a new one. */
static uint32_t intern_tail(interner *t, size_t at)
{
    const char *s = t->text.data + at;
    size_t n = t->text.len - at;
    uint64_t h = sp_hash64(s, n, 0);
    uint32_t i = (uint32_t)h & t->mask;
    for (; t->slots[i]; i = (i + 1) & t->mask) {
        uint32_t e = t->slots[i] - 1;
        if (t->hashes[e] == h && t->offs[e + 1] - t->offs[e] == n && !memcmp(t->text.data + t->offs[e], s, n)) {
            t->text.len = at;
            return e;
        }
    }
    if (t->n == t->cap) {
        t->cap *= 2;
        t->offs = sp_xrealloc(t->offs, sizeof *t->offs * (t->cap + 1));
        t->hashes = sp_xrealloc(t->hashes, sizeof *t->hashes * t->cap);
    }
    uint32_t e = t->n++;
    t->hashes[e] = h;
    t->offs[e + 1] = (uint32_t)t->text.len;
    t->slots[i] = e + 1;
    if (t->n * 2 > t->mask)
        interner_grow(t);
    return e;
}

/* ---- derived columns ---- */

struct kpathcol {
    kvec dict;     /* FLAT dynamic vector of the distinct path lists */
    kstr *entries; /* dict's values */
    char *text;
    uint8_t *codes8; /* row -> entry when at most 256 entries */
    uint32_t *codes; /* otherwise */
    uint32_t rows;
    unsigned flags;
    uint64_t mem;
};

static void kpathcol_free(void *p)
{
    kpathcol *pc = p;
    free(pc->entries);
    free(pc->text);
    free(pc->codes8);
    free(pc->codes);
    free(pc);
}

uint32_t kpathcol_entries(const kpathcol *pc)
{
    return pc->dict.n;
}

/* ANY-mode paths extracted together (one walk of each value for all of them): the
 * reader's own and the ones its column's rules declared. */
#define KPATH_MULTI (1 + SP_TABLE_WANTS)

typedef struct kpath_set {
    const kpath *p[KPATH_MULTI];
    int n;
    bool shared; /* all ANY mode, names only: the first step's members found in one pass */
} kpath_set;

/* The first step of every path of set over object o, as member() finds it for each (the
 * first member named exactly so, else the first named so ignoring case): one pass over
 * the members. x[j].p is NULL where path j has no such member. */
static void members_of(kstr o, const kpath_set *set, kstr *x, unsigned *flags)
{
    kstr ci[KPATH_MULTI];
    bool exact[KPATH_MULTI];
    int left = set->n;
    for (int j = 0; j < set->n; j++) {
        x[j] = ci[j] = (kstr){NULL, 0};
        exact[j] = false;
    }
    kj_iter it;
    kstr k, v;
    if (!kj_obj_begin(o, &it))
        return;
    while (left && kj_obj_next(&it, &k, &v)) {
        if (k.n < 2)
            continue;
        for (int j = 0; j < set->n; j++) {
            if (exact[j])
                continue;
            const kpath_step *s0 = &set->p[j]->steps[0];
            if (key_is(k, s0, false)) {
                x[j] = v;
                exact[j] = true;
                left--;
            } else if (!ci[j].p && key_is(k, s0, true)) {
                ci[j] = v;
            }
        }
    }
    for (int j = 0; j < set->n; j++)
        if (!exact[j] && ci[j].p) {
            x[j] = ci[j];
            flags[j] |= KPATH_CIKEY;
        }
}

/* Interns into t[j] the path list of every path j of set over value v: kpath_eval's lists
 * (walk_any from the first step's member on), the object's members read once. */
static void intern_values(interner *t, const kpath_set *set, kstr v, uint32_t *codes, unsigned *flags)
{
    if (!set->shared || kj_typeof(v) != KJ_OBJECT) {
        for (int j = 0; j < set->n; j++) {
            size_t at = t[j].text.len;
            kpath_eval(set->p[j], v, &t[j].text, &flags[j]);
            codes[j] = intern_tail(&t[j], at);
        }
        return;
    }
    kstr x[KPATH_MULTI];
    members_of(v, set, x, flags);
    for (int j = 0; j < set->n; j++) {
        size_t at = t[j].text.len;
        bool first = true;
        sp_buf_putc(&t[j].text, '[');
        if (x[j].p)
            walk_any(x[j], set->p[j], 1, 1, &t[j].text, &first, &flags[j]);
        sp_buf_putc(&t[j].text, ']');
        codes[j] = intern_tail(&t[j], at);
    }
}

/* The derived column of the entries interned in t for a chunk of `rows` rows (codes: row
 * to entry); takes codes. */
static kpathcol *kpathcol_finish(interner *t, uint32_t *codes, uint32_t rows, unsigned flags)
{
    kpathcol *pc = sp_xcalloc(1, sizeof *pc);
    pc->flags = flags;
    pc->rows = rows;
    uint32_t n = t->n;
    pc->text = sp_xmalloc(t->text.len ? t->text.len : 1);
    if (t->text.len)
        memcpy(pc->text, t->text.data, t->text.len);
    pc->entries = sp_xmalloc(sizeof *pc->entries * (n ? n : 1));
    for (uint32_t e = 0; e < n; e++)
        pc->entries[e] = (kstr){pc->text + t->offs[e], t->offs[e + 1] - t->offs[e]};
    pc->mem = sizeof *pc + t->text.len + sizeof(kstr) * n;
    if (n <= 256) {
        pc->codes8 = sp_xmalloc(rows ? rows : 1);
        for (uint32_t r = 0; r < rows; r++)
            pc->codes8[r] = (uint8_t)codes[r];
        free(codes);
        pc->mem += rows;
    } else {
        pc->codes = codes;
        pc->mem += sizeof(uint32_t) * (uint64_t)rows;
    }
    pc->dict.type = SP_TYPE_DYNAMIC;
    pc->dict.enc = KV_FLAT;
    pc->dict.n = n;
    pc->dict.d.s = pc->entries;
    pc->dict.stable_text = true;
    return pc;
}

/* Extracts every path of set over every row of cv into out[j]: each distinct source value
 * is walked once (every row of a plain column, every entry of a dictionary column). */
static void kpathcol_build(const sp_colview *cv, const kpath_set *set, kpathcol **out)
{
    interner t[KPATH_MULTI];
    uint32_t *codes[KPATH_MULTI], one[KPATH_MULTI];
    unsigned flags[KPATH_MULTI] = {0};
    uint32_t rows = cv->rows;
    for (int j = 0; j < set->n; j++) {
        interner_init(&t[j]);
        codes[j] = sp_xmalloc(sizeof(uint32_t) * (rows ? rows : 1));
    }
    if (cv->enc == SP_ENC_PLAIN) {
        for (uint32_t r = 0; r < rows; r++) {
            intern_values(t, set, (kstr){cv->bytes + cv->offs[r], cv->offs[r + 1] - cv->offs[r]}, one, flags);
            for (int j = 0; j < set->n; j++)
                codes[j][r] = one[j];
        }
    } else {
        uint32_t ne = cv->nentries ? cv->nentries : 1;
        uint32_t *map = sp_xmalloc(sizeof *map * ne * (uint32_t)set->n);
        for (uint32_t e = 0; e < cv->nentries; e++)
            intern_values(t, set, (kstr){cv->bytes + cv->offs[e], cv->offs[e + 1] - cv->offs[e]},
                          map + (size_t)e * (uint32_t)set->n, flags);
        for (uint32_t r = 0; r < rows; r++) {
            const uint32_t *m = map + (size_t)sp_colview_entry(cv, r) * (uint32_t)set->n;
            for (int j = 0; j < set->n; j++)
                codes[j][r] = m[j];
        }
        free(map);
    }
    for (int j = 0; j < set->n; j++) {
        out[j] = kpathcol_finish(&t[j], codes[j], rows, flags[j]);
        interner_free(&t[j]);
    }
}

void kpathcol_slice(const kpathcol *pc, uint32_t row0, uint32_t n, kvec *out)
{
    memset(out, 0, sizeof *out);
    out->type = SP_TYPE_DYNAMIC;
    out->enc = KV_DICT;
    out->n = n;
    if (pc->codes8)
        out->codes8 = pc->codes8 + row0;
    else
        out->codes = pc->codes + row0;
    out->dict = (kvec *)&pc->dict; /* never written: vectors are read-only to their readers */
    out->dict_id = pc;
    out->stable_text = true;
}

/* Whether a column extracted in ANY mode gives p's values: no array crossed (then every
 * list holds at most one value, the one p's own walk finds), and for Kusto no key that
 * matched only ignoring case. */
static bool any_serves(const kpathcol *pc, const kpath *p)
{
    if (pc->flags & KPATH_CROSSED)
        return false;
    return p->mode != KPATH_EXACT || !(pc->flags & KPATH_CIKEY);
}

typedef struct kpath_demand {
    atomic_uint_fast64_t rows; /* rows asked for by scans that did not extract */
    kchunk_reread reread;
} kpath_demand;

/* Rows readers asked for at p on chunk c without extracting it. */
static uint64_t demand_of(sp_chunk *c, const kpath *p)
{
    kpath_demand *d = sp_chunk_cache_get(c, p->demand_key, p->demand_keylen);
    return d ? atomic_load(&d->rows) : 0;
}

/* A sparse reader extracts once the rows asked for reach the chunk's (the walks then cost
 * what one extraction does), or when its plan comes back to the chunk in another execution:
 * a plan that re-reads a chunk (resident data queried again, a scheduled rule's window)
 * will keep re-reading it. A per-event rule reads each chunk once, so streaming never pays
 * for extracting a path only a sparse reader wants. */
static bool worth_extracting(const kexec *ex, sp_chunk *c, const kpath *p, uint32_t nsel, uint32_t n)
{
    if ((uint64_t)nsel * 2 >= n)
        return true;
    kpath_demand *d = sp_chunk_cache_get(c, p->demand_key, p->demand_keylen);
    if (!d) {
        d = sp_xcalloc(1, sizeof *d);
        d = sp_chunk_cache_put(c, p->demand_key, p->demand_keylen, d, sizeof *d, free);
    }
    if (kchunk_plan_back(&d->reread, ex))
        return true;
    uint64_t asked = atomic_fetch_add(&d->rows, nsel) + nsel;
    return asked >= sp_chunk_rows(c);
}

/* Builds and caches the derived column of p under key (p's own, or its ANY stand-in):
 * an ANY column together with those of the paths declared for the column (kpath_want)
 * that the chunk has no column for yet, in one walk. */
static const kpathcol *extract(sp_chunk *c, const sp_colview *cv, const kpath *p, const char *key, size_t keylen)
{
    kpath any = *p;
    any.mode = KPATH_ANY;
    kpath_set set = {.p = {key == p->key ? p : &any}, .n = 1};
    if (key != p->key || p->mode == KPATH_ANY) {
        set.shared = names_only(p);
        void *w[SP_TABLE_WANTS];
        int nw = sp_chunk_wanted(c, p->col, w, SP_TABLE_WANTS);
        for (int i = 0; i < nw; i++) {
            const kpath *q = w[i];
            if ((q->keylen == keylen && !memcmp(q->key, key, keylen)) || sp_chunk_cache_get(c, q->key, q->keylen) ||
                !demand_of(c, q))
                continue;
            set.p[set.n++] = q; /* ANY mode, names only (kpath_want); read here before */
        }
    }
    kpathcol *pc[KPATH_MULTI];
    kpathcol_build(cv, &set, pc);
    for (int j = 1; j < set.n; j++)
        sp_chunk_cache_put(c, set.p[j]->key, set.p[j]->keylen, pc[j], pc[j]->mem, kpathcol_free);
    return sp_chunk_cache_put(c, key, keylen, pc[0], pc[0]->mem, kpathcol_free);
}

const kpathcol *kpath_chunk(const kexec *ex, sp_chunk *c, const sp_colview *cv, const kpath *p, uint32_t nsel,
                            uint32_t n)
{
    const kpathcol *any = p->any_key ? sp_chunk_cache_get(c, p->any_key, p->any_keylen) : NULL;
    if (any && any_serves(any, p))
        return any;
    const kpathcol *own = sp_chunk_cache_get(c, p->key, p->keylen);
    if (own)
        return own;
    if (!worth_extracting(ex, c, p, nsel, n))
        return NULL;
    if (p->any_key && !any) {
        any = extract(c, cv, p, p->any_key, p->any_keylen);
        if (any_serves(any, p))
            return any;
    }
    return extract(c, cv, p, p->key, p->keylen);
}

/* ---- without a derived column ---- */

static kstr list_of(const kpath *p, kstr v, sp_buf *scratch, sp_arena *a)
{
    unsigned flags = 0;
    scratch->len = 0;
    kpath_eval(p, v, scratch, &flags);
    return kstr_dup(a, scratch->data, scratch->len);
}

kvec *kpath_vec(kexec *ex, kinstr *in, const kvec *raw, const kbatch *b, sp_arena *arena)
{
    const kpath *p = in->path;
    sp_buf scratch = {0};
    kvec *out;
    uint32_t rows = kbatch_rows(b);
    if (raw->enc == KV_CONST) {
        kval v = {.type = SP_TYPE_DYNAMIC};
        v.u.s = list_of(p, raw->cnull ? (kstr){"", 0} : raw->d.s[0], &scratch, arena);
        out = kvec_new_const(arena, &v, raw->n);
    } else if (raw->enc == KV_DICT && raw->dict_id &&
               (in->cache_id == raw->dict_id || raw->dict->n <= 1024 || raw->dict->n <= 4 * rows)) {
        if (in->cache_id != raw->dict_id) {
            sp_arena_reset(&in->cache_arena);
            const kvec *d = raw->dict;
            kvec *lists = kvec_new_flat(&in->cache_arena, SP_TYPE_DYNAMIC, d->n);
            for (uint32_t e = 0; e < d->n; e++)
                lists->d.s[e] = list_of(p, d->d.s[e], &scratch, &in->cache_arena);
            in->cache_id = raw->dict_id;
            in->cache = lists;
            in->cache_uid = sp_arena_alloc(&ex->arena, 1);
        }
        out = sp_arena_calloc(arena, sizeof *out);
        out->type = SP_TYPE_DYNAMIC;
        out->enc = KV_DICT;
        out->n = raw->n;
        out->codes = raw->codes;
        out->codes8 = raw->codes8;
        out->dict = in->cache;
        out->dict_id = in->cache_uid;
    } else {
        out = kvec_new_flat(arena, SP_TYPE_DYNAMIC, raw->n);
        for (uint32_t k = 0; k < rows; k++) {
            uint32_t i = kbatch_row(b, k);
            out->d.s[i] = list_of(p, kvec_is_null(raw, i) ? (kstr){"", 0} : kvec_str(raw, i), &scratch, arena);
        }
    }
    sp_buf_free(&scratch);
    return out;
}
