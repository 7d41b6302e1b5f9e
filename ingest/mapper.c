/* mapper.c — key -> column dispatch for one (table, envelope form) of one worker.
 *
 * Every field of every record asks "what do I do with this key?", so the answer must cost
 * next to nothing. Records from one source repeat their key order, so the mapper first
 * looks at a shape cache: for field position i it remembers the entry that matched there
 * looks at a shape cache: for field position i it remembers the entry that matched there
 * last time; when an optional field shifted the positions, the keys that followed the
 * previous key before (two per key) are the next guesses. One length + compare check
 * confirms a guess. Only when every guess misses does it hash the key into a flat
 * open-addressing table; and only for a key never seen before does it ask
 * forms.c for the rule and the table schema for the column (both slow, both once).
 *
 * For inferred tables a column is created (with no type yet) the first time its key is
 * resolved; the builder widens it as values arrive.
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

#define SHAPE_MAX 4096      /* field positions remembered per mapper */
#define ENTRIES_MAX 65536   /* distinct keys cached per mapper; beyond, resolve each time */


ing_mapper *ing_mapper_new(ing_worker *w, ing_wtable *wt, ing_form form)
{
    ing_mapper *m = sp_xcalloc(1, sizeof *m);
    m->w = w;
    m->wt = wt;
    m->form = form;
    m->htmask = 255;
    m->ht = sp_xcalloc(m->htmask + 1, sizeof *m->ht);
    return m;
}

void ing_mapper_free(ing_mapper *m)
{
    if (!m)
        return;
    free(m->ents);
    free(m->ht);
    free(m->shape);
    free(m);
}

static inline uint64_t key_hash(int ns, const char *key, uint32_t klen)
{
    return sp_hash64(key, klen, 0x51ed270b27c1f5a3ULL + (uint64_t)ns);
}

/* Column index of name in the table: declared tables look it up, inferred tables create
 * it. -1 when there is no such column (declared) or no room (inferred). */
static int column_for(ing_wtable *wt, const char *name)
{
    if (!name)
        return -1;
    int col;
    if (wt->declared)
        col = sp_schema_find(sp_table_schema(wt->t), name, strlen(name));
    else
        col = sp_builder_column(wt->b, name, strlen(name), SP_TYPE_NULL);
    if (col >= 0)
        ing_wtable_reserve(wt, col);
    return col;
}

static void resolve(ing_mapper *m, int ns, const char *key, uint32_t klen, ing_action *a)
{
    ing_rule r;
    char buf[160];
    ing_form_rule(m->form, ns, key, klen, &r, buf, sizeof buf);
    memset(a, 0, sizeof *a);
    a->act = (uint8_t)r.act;
    a->prio = r.prio;
    a->child_ns = r.child_ns;
    a->conv = r.conv;
    a->col = a->col2 = -1;
    if (r.act != ACT_COLUMN && r.act != ACT_DESCEND)
        return;
    for (int i = 0; i < 2 && a->col < 0 && r.names[i]; i++) {
        /* An alternative name is only for declared tables that lack the first. */
        if (i > 0 && !m->wt->declared)
            break;
        a->col = column_for(m->wt, r.names[i]);
    }
    if (r.also)
        a->col2 = column_for(m->wt, r.also);
    if (a->col < 0 && a->col2 >= 0) {
        a->col = a->col2;
        a->col2 = -1;
    }
    if (r.act == ACT_COLUMN && a->col < 0)
        a->act = ACT_EXTRA; /* the table has no such column (or an inferred one is full) */
}

static void ht_insert(ing_mapper *m, uint32_t ei)
{
    const ing_mentry *e = &m->ents[ei];
    uint32_t h = (uint32_t)key_hash((int)e->ns, e->key, e->klen) & m->htmask;
    while (m->ht[h])
        h = (h + 1) & m->htmask;
    m->ht[h] = ei + 1;
}

static void ht_grow(ing_mapper *m)
{
    free(m->ht);
    m->htmask = m->htmask * 2 + 1;
    m->ht = sp_xcalloc(m->htmask + 1, sizeof *m->ht);
    for (uint32_t i = 0; i < m->nents; i++)
        ht_insert(m, i);
}

static void remember_shape(ing_mapper *m, uint32_t pos, uint32_t ei)
{
    if (pos >= SHAPE_MAX)
        return;
    if (pos >= m->shape_cap) {
        uint32_t old = m->shape_cap, c = old ? old : 64;
        while (c <= pos)
            c *= 2;
        m->shape = sp_xrealloc(m->shape, c * sizeof *m->shape);
        memset(m->shape + old, 0, (c - old) * sizeof *m->shape);
        m->shape_cap = c;
    }
    m->shape[pos] = ei + 1;
}

/* Entry ei (+ 1) came after the previous lookup's entry: remember it as that one's
 * successor. */
static void follows(ing_mapper *m, uint32_t pos, uint32_t ei)
{
    if (pos > 0 && m->prev)
        ing_mapper_follows(m, ei);
    m->prev = ei;
}

const ing_mentry *ing_mapper_resolve(ing_mapper *m, uint32_t pos, int ns, const char *key,
                                     uint32_t klen)
{
    uint32_t h = (uint32_t)key_hash(ns, key, klen) & m->htmask;
    for (;;) {
        uint32_t ei = m->ht[h];
        if (!ei)
            break;
        const ing_mentry *e = &m->ents[ei - 1];
        if (ing_mentry_is(e, ns, key, klen)) {
            remember_shape(m, pos, ei - 1);
            follows(m, pos, ei);
            return e;
        }
        h = (h + 1) & m->htmask;
    }
    if (m->nents >= ENTRIES_MAX) {
        /* A source with unbounded distinct keys: answer without caching. */
        m->overflow.key = key;
        m->overflow.klen = klen;
        m->overflow.ns = (uint32_t)ns;
        resolve(m, ns, key, klen, &m->overflow.a);
        m->prev = 0;
        return &m->overflow;
    }
    SP_GROW(m->ents, m->capents, m->nents + 1);
    uint32_t ei = (uint32_t)m->nents++;
    ing_mentry *e = &m->ents[ei];
    e->key = sp_arena_strndup(&m->w->arena, key, klen);
    e->klen = klen;
    e->ns = (uint32_t)ns;
    e->next[0] = e->next[1] = 0;
    resolve(m, ns, key, klen, &e->a);
    if ((m->nents + 1) * 2 > (size_t)m->htmask + 1)
        ht_grow(m);
    else
        ht_insert(m, ei);
    remember_shape(m, pos, ei);
    follows(m, pos, ei + 1);
    return &m->ents[ei];
}
