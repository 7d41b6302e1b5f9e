/* detection.c — search identifiers: the YAML shapes of the rules spec turned into boolean
 * expressions over matchers.
 *
 * map -> AND of its items; list of maps -> OR of the maps; list of plain values (or one bare
 * value) -> a single keyword matcher ORing them; a list mixing plain values and maps ORs the
 * keyword matcher with the maps. AND/OR nodes with one child collapse to the child, so the
 * program the lowering walks has no redundant levels.
 */
#include "sigma/sig_int.h"

#include <string.h>

sig_expr *sig_expr_new(sp_arena *a, sig_xkind k, sig_pos pos, uint32_t n)
{
    sig_expr *e = sp_arena_calloc(a, sizeof *e);
    e->kind = k;
    e->pos = pos;
    e->n = n;
    if (n)
        e->kids = sp_arena_calloc(a, n * sizeof *e->kids);
    return e;
}

static const sig_expr *match_expr(sig_ctx *c, const sig_matcher *m)
{
    sig_expr *e = sig_expr_new(c->arena, SIG_X_MATCH, m->pos, 0);
    e->m = m;
    return e;
}

static const sig_expr *join(sig_ctx *c, sig_xkind k, sig_pos pos, const sig_expr **kids, uint32_t n)
{
    if (n == 1)
        return kids[0];
    sig_expr *e = sig_expr_new(c->arena, k, pos, n);
    memcpy((void *)e->kids, kids, n * sizeof *kids);
    return e;
}

static const sig_expr *compile_map(sig_ctx *c, const sig_ynode *map)
{
    if (map->n == 0) {
        sig_err(c, map, SIG_R_EMPTY_DETECTION, "empty map: a selection needs at least one field");
        return NULL;
    }
    const sig_expr **kids = sp_arena_alloc(c->arena, map->n * sizeof *kids);
    bool ok = true;
    for (size_t i = 0; i < map->n; i++) {
        const sig_matcher *m = sig_compile_item(c, map->items[2 * i], NULL, map->items[2 * i + 1]);
        if (!m) {
            ok = false;
            continue;
        }
        kids[i] = match_expr(c, m);
    }
    return ok ? join(c, SIG_X_AND, sig_pos_of(c, map), kids, (uint32_t)map->n) : NULL;
}

/* Compiles a search identifier body; NULL after reporting errors. */
static const sig_expr *compile_detection(sig_ctx *c, const sig_ynode *name, const sig_ynode *body)
{
    if ((body->kind == SIG_Y_SCALAR && body->type == SIG_YT_NULL) ||
        (body->kind != SIG_Y_SCALAR && body->n == 0)) {
        sig_err(c, body->kind == SIG_Y_SCALAR ? name : body, SIG_R_EMPTY_DETECTION,
                "search identifier '%s' is empty", name->s);
        return NULL;
    }
    if (body->kind == SIG_Y_MAP)
        return compile_map(c, body);
    if (body->kind == SIG_Y_SCALAR) {
        const sig_matcher *m = sig_compile_item(c, NULL, body, body);
        return m ? match_expr(c, m) : NULL;
    }
    /* a list: maps are ORed; plain values together form one keyword matcher */
    size_t nscalar = 0;
    for (size_t i = 0; i < body->n; i++)
        nscalar += body->items[i]->kind == SIG_Y_SCALAR;
    const sig_expr **kids = sp_arena_alloc(c->arena, (body->n + 1) * sizeof *kids);
    uint32_t n = 0;
    bool ok = true;
    if (nscalar) {
        const sig_ynode *vals = body;
        if (nscalar != body->n) {
            sig_ynode *sub = sp_arena_calloc(c->arena, sizeof *sub);
            *sub = *body;
            sub->items = sp_arena_alloc(c->arena, nscalar * sizeof *sub->items);
            sub->n = 0;
            for (size_t i = 0; i < body->n; i++)
                if (body->items[i]->kind == SIG_Y_SCALAR)
                    sub->items[sub->n++] = body->items[i];
            vals = sub;
        }
        const sig_matcher *m = sig_compile_item(c, NULL, body, vals);
        if (m)
            kids[n++] = match_expr(c, m);
        else
            ok = false;
    }
    for (size_t i = 0; i < body->n; i++) {
        const sig_ynode *it = body->items[i];
        if (it->kind == SIG_Y_SEQ) {
            sig_err(c, it, SIG_R_BAD_VALUE,
                    "a list inside a search identifier's list is not part of Sigma");
            ok = false;
        } else if (it->kind == SIG_Y_MAP) {
            const sig_expr *e = compile_map(c, it);
            if (e)
                kids[n++] = e;
            else
                ok = false;
        }
    }
    return ok ? join(c, SIG_X_OR, sig_pos_of(c, body), kids, n) : NULL;
}

static bool ident_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

bool sig_compile_detections(sig_ctx *c, const sig_ynode *map, const char *const *skip,
                            sig_detection **out, uint32_t *n)
{
    static const char *const reserved[] = {"and", "or", "not", "of", "them", "all", "any", "1"};
    sig_detection *d = sp_arena_calloc(c->arena, (map->n + 1) * sizeof *d);
    uint32_t k = 0;
    bool ok = true;
    for (size_t i = 0; i < map->n; i++) {
        const sig_ynode *key = map->items[2 * i];
        bool skipped = false;
        for (const char *const *s = skip; *s; s++)
            skipped = skipped || !strcmp(*s, key->s);
        if (skipped)
            continue;
        bool res = false;
        for (size_t r = 0; r < SP_ARRAY_LEN(reserved); r++)
            res = res || !strcmp(reserved[r], key->s);
        if (!ident_ok(key->s) || res) {
            sig_err(c, key, SIG_R_BAD_FIELD,
                    res ? "search identifier '%s' is a condition keyword"
                        : "search identifier '%s' cannot be named in a condition (use letters, "
                          "digits, _, - and .)",
                    key->s);
            ok = false;
            continue;
        }
        const sig_expr *body = compile_detection(c, key, map->items[2 * i + 1]);
        if (!body) {
            ok = false;
            continue;
        }
        d[k].name = key->s;
        d[k].pos = sig_pos_of(c, key);
        d[k].body = body;
        k++;
    }
    if (ok && k == 0) {
        sig_err(c, map, SIG_R_EMPTY_DETECTION, "no search identifier: nothing to match");
        ok = false;
    }
    *out = d;
    *n = k;
    return ok;
}
