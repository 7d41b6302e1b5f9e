/* correlation.c — `correlation:` documents (correlation rules spec v2.1) parsed and checked
 * into sig_corr.
 *
 * Everything that can be checked inside one document is checked here: the type, the rule
 * references' shape, group-by and aliases, the timespan, and the condition (operators,
 * number types — counts are whole numbers, metric thresholds may be fractions —, the keys
 * each type requires or forbids, ranges that can never hold). Whether the references exist,
 * form a cycle, or alias only the correlation's own rules is only known when every file is
 * loaded, so sig_set_resolve does that.
 *
 * Readings of the specification taken here (each pinned by a conformance vector):
 *  - several operator keys in `condition` form a range (spec: "use the conjunction AND");
 *    pySigma accepts exactly one;
 *  - group-by may be omitted (spec text: "optionally defines"; pySigma agrees): one group,
 *    with a warning;
 *  - timespan units are s, m, h, d only (spec); pySigma's w, M, y are rejected;
 *  - value_percentile takes an optional `percentile:` (pySigma); value_median, a pySigma
 *    extension, is read as value_percentile with percentile 50 and warned about;
 *  - `generate` is accepted inside `correlation:` (pySigma) or at the top level (JSON schema).
 */
#include "sigma/sig_int.h"

#include <math.h>
#include <string.h>

static const char *const corr_types[] = {"event_count",      "value_count", "temporal",
                                         "temporal_ordered", "value_sum",   "value_avg",
                                         "value_percentile"};

const char *sig_corr_type_name(sig_corr_type t)
{
    return (size_t)t < SP_ARRAY_LEN(corr_types) ? corr_types[t] : "?";
}

static bool metric(sig_corr_type t)
{
    return t == SIG_CORR_VALUE_COUNT || t == SIG_CORR_VALUE_SUM || t == SIG_CORR_VALUE_AVG ||
           t == SIG_CORR_VALUE_PERCENTILE;
}

static bool temporal(sig_corr_type t)
{
    return t == SIG_CORR_TEMPORAL || t == SIG_CORR_TEMPORAL_ORDERED;
}

static bool refs(sig_ctx *c, const sig_ynode *n, const char *what, sig_ref **out, uint32_t *nout)
{
    size_t cnt = n->kind == SIG_Y_SEQ ? n->n : 1;
    if (n->kind == SIG_Y_MAP || cnt == 0 || (n->kind == SIG_Y_SCALAR && n->type == SIG_YT_NULL)) {
        sig_err(c, n, SIG_R_CORRELATION, "'%s' must be a rule id or name, or a list of them", what);
        return false;
    }
    sig_ref *r = sp_arena_calloc(c->arena, cnt * sizeof *r);
    for (size_t i = 0; i < cnt; i++) {
        const sig_ynode *e = n->kind == SIG_Y_SEQ ? n->items[i] : n;
        if (e->kind != SIG_Y_SCALAR || e->type == SIG_YT_NULL) {
            sig_err(c, e, SIG_R_CORRELATION, "'%s' items must be rule ids or names, not %s", what,
                    sig_ytype_name(e));
            return false;
        }
        r[i].text = e->s;
        r[i].pos = sig_pos_of(c, e);
    }
    *out = r;
    *nout = (uint32_t)cnt;
    return true;
}

static bool condition(sig_ctx *c, const sig_ynode *cn, sig_corr *k)
{
    static const char *const ops[] = {"lt", "lte", "gt", "gte", "eq", "neq"};
    if (cn->kind == SIG_Y_SCALAR && cn->type == SIG_YT_STR) {
        sig_err(c, cn, SIG_R_CORRELATION,
                "a string condition (pySigma's extended temporal condition) is not part of Sigma "
                "v2.1; use a map such as 'gte: 2'");
        return false;
    }
    if (cn->kind != SIG_Y_MAP) {
        sig_err(c, cn, SIG_R_CORRELATION, "'condition' must be a map such as 'gte: 100'");
        return false;
    }
    sig_corr_cond *conds = sp_arena_calloc(c->arena, (cn->n + 1) * sizeof *conds);
    uint32_t nc = 0;
    bool counts = !(k->type == SIG_CORR_VALUE_SUM || k->type == SIG_CORR_VALUE_AVG ||
                    k->type == SIG_CORR_VALUE_PERCENTILE);
    bool ok = true;
    for (size_t i = 0; i < cn->n; i++) {
        const sig_ynode *key = cn->items[2 * i], *v = cn->items[2 * i + 1];
        int op = -1;
        for (int j = 0; j < 6; j++)
            if (!strcmp(key->s, ops[j]))
                op = j;
        if (op >= 0) {
            if (v->kind != SIG_Y_SCALAR || (v->type != SIG_YT_INT && v->type != SIG_YT_FLOAT) ||
                !isfinite(v->f)) {
                sig_err(c, v, SIG_R_CORRELATION, "'%s' needs a number, not %s", key->s,
                        sig_ytype_name(v));
                ok = false;
                continue;
            }
            if (counts && (v->type != SIG_YT_INT || v->i < 0)) {
                sig_err(c, v, SIG_R_CORRELATION,
                        "%s counts are whole numbers >= 0: '%s' is not one",
                        sig_corr_type_name(k->type), v->s);
                ok = false;
                continue;
            }
            conds[nc].op = (sig_cmp)(SIG_LT + op);
            conds[nc].value = v->f;
            conds[nc].pos = sig_pos_of(c, key);
            nc++;
        } else if (!strcmp(key->s, "field")) {
            if (!metric(k->type)) {
                sig_err(c, key, SIG_R_CORRELATION,
                        "'field' belongs to value_* correlations, not to %s",
                        sig_corr_type_name(k->type));
                ok = false;
            } else if (v->kind != SIG_Y_SCALAR || v->type != SIG_YT_STR || !v->len) {
                sig_err(c, v, SIG_R_CORRELATION, "'field' must be one field name");
                ok = false;
            } else {
                k->field = v->s;
            }
        } else if (!strcmp(key->s, "percentile")) {
            if (k->type != SIG_CORR_VALUE_PERCENTILE) {
                sig_err(c, key, SIG_R_CORRELATION, "'percentile' belongs to value_percentile");
                ok = false;
            } else if (v->kind != SIG_Y_SCALAR ||
                       (v->type != SIG_YT_INT && v->type != SIG_YT_FLOAT) || !(v->f >= 0) ||
                       v->f > 100) {
                sig_err(c, v, SIG_R_CORRELATION, "'percentile' must be a number from 0 to 100");
                ok = false;
            } else if (k->has_percentile) {
                sig_err(c, key, SIG_R_CORRELATION,
                        "value_median already fixes the percentile at 50");
                ok = false;
            } else {
                k->has_percentile = true;
                k->percentile = v->f;
            }
        } else {
            sig_err(c, key, SIG_R_CORRELATION,
                    "unknown key '%s' in a correlation condition (gt, gte, lt, lte, eq, neq%s)",
                    key->s, metric(k->type) ? ", field" : "");
            ok = false;
        }
    }
    if (!ok)
        return false;
    if (!nc) {
        sig_err(c, cn, SIG_R_CORRELATION,
                "the condition needs a comparison: one of gt, gte, lt, lte, eq, neq");
        return false;
    }
    if (metric(k->type) && !k->field) {
        sig_err(c, cn, SIG_R_CORRELATION, "%s needs 'field' in its condition",
                sig_corr_type_name(k->type));
        return false;
    }
    /* a range that can never hold is a mistake, not a rule */
    double lo = -INFINITY, hi = INFINITY;
    bool lo_strict = false, hi_strict = false;
    if (temporal(k->type))
        hi = (double)k->nrules;
    for (uint32_t i = 0; i < nc; i++) {
        double v = conds[i].value;
        sig_cmp op = conds[i].op;
        if ((op == SIG_GT || op == SIG_GTE || op == SIG_CMP_EQ) && (v > lo || (v == lo && op == SIG_GT))) {
            lo = v;
            lo_strict = op == SIG_GT;
        }
        if ((op == SIG_LT || op == SIG_LTE || op == SIG_CMP_EQ) && (v < hi || (v == hi && op == SIG_LT))) {
            hi = v;
            hi_strict = op == SIG_LT;
        }
    }
    if (lo > hi || (lo == hi && (lo_strict || hi_strict))) {
        sig_err(c, cn, SIG_R_CORRELATION,
                temporal(k->type) ? "the condition can never hold (a temporal correlation counts at "
                                    "most its number of rules)"
                                  : "the condition can never hold (empty range)");
        return false;
    }
    k->conds = conds;
    k->nconds = nc;
    return true;
}

static const char *const corr_keys[] = {"correlation", "generate", NULL};

bool sig_build_corr(sig_ctx *c, const sig_ynode *root, sig_corr *k)
{
    sig_build_meta(c, root, SIG_DOC_CORRELATION, corr_keys, &k->meta);
    const sig_ynode *cr = sig_ymap_get(root, "correlation");
    if (cr->kind != SIG_Y_MAP) {
        sig_err(c, cr, SIG_R_CORRELATION, "'correlation' must be a map (type, rules, ...)");
        return false;
    }
    static const char *const known[] = {"type",     "rules",     "group-by", "timespan",
                                        "aliases",  "condition", "generate"};
    for (size_t i = 0; i < cr->n; i++) {
        bool ok = false;
        for (size_t j = 0; j < SP_ARRAY_LEN(known); j++)
            ok = ok || !strcmp(known[j], cr->items[2 * i]->s);
        if (!ok)
            sig_warn(c, cr->items[2 * i], SIG_R_W_UNKNOWN_KEY, "unknown correlation key '%s'",
                     cr->items[2 * i]->s);
    }
    const sig_ynode *type = sig_ymap_get(cr, "type");
    if (!type) {
        sig_err(c, cr, SIG_R_MISSING_FIELD, "missing required field 'correlation.type'");
        return false;
    }
    bool found = false;
    for (size_t i = 0; i < SP_ARRAY_LEN(corr_types); i++)
        if (type->kind == SIG_Y_SCALAR && !strcmp(type->s, corr_types[i])) {
            k->type = (sig_corr_type)i;
            found = true;
        }
    if (!found && type->kind == SIG_Y_SCALAR && !strcmp(type->s, "value_median")) {
        sig_warn(c, type, SIG_R_W_SEMANTICS,
                 "'value_median' is a pySigma extension, not Sigma v2.1: read as value_percentile "
                 "with percentile 50");
        k->type = SIG_CORR_VALUE_PERCENTILE;
        k->has_percentile = true;
        k->percentile = 50;
        found = true;
    }
    if (!found) {
        sig_err(c, type, SIG_R_CORRELATION,
                "unknown correlation type '%s' (event_count, value_count, temporal, "
                "temporal_ordered, value_sum, value_avg, value_percentile)",
                type->kind == SIG_Y_SCALAR ? type->s : sig_ytype_name(type));
        return false;
    }

    const sig_ynode *rules = sig_ymap_get(cr, "rules");
    if (!rules) {
        sig_err(c, cr, SIG_R_MISSING_FIELD, "missing required field 'correlation.rules'");
        return false;
    }
    sig_ref *rr;
    if (!refs(c, rules, "rules", &rr, &k->nrules))
        return false;
    k->rules = rr;

    const sig_ynode *gb = sig_ymap_get(cr, "group-by");
    if (gb) {
        size_t n = gb->kind == SIG_Y_SEQ ? gb->n : 1;
        const char **g = sp_arena_alloc(c->arena, (n + 1) * sizeof *g);
        if (gb->kind == SIG_Y_MAP) {
            sig_err(c, gb, SIG_R_CORRELATION, "'group-by' must be a field name or a list of them");
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            const sig_ynode *e = gb->kind == SIG_Y_SEQ ? gb->items[i] : gb;
            if (e->kind != SIG_Y_SCALAR || e->type != SIG_YT_STR || !e->len) {
                sig_err(c, e, SIG_R_CORRELATION, "'group-by' items must be field names");
                return false;
            }
            for (size_t j = 0; j < i; j++)
                if (!strcmp(g[j], e->s)) {
                    sig_err(c, e, SIG_R_CORRELATION, "'%s' appears twice in group-by", e->s);
                    return false;
                }
            g[i] = e->s;
        }
        k->group_by.v = g;
        k->group_by.n = n;
    } else {
        sig_warn(c, cr, SIG_R_W_SEMANTICS,
                 "no 'group-by': all matching events form a single group");
    }

    const sig_ynode *ts = sig_ymap_get(cr, "timespan");
    if (!ts) {
        sig_err(c, cr, SIG_R_MISSING_FIELD, "missing required field 'correlation.timespan'");
        return false;
    }
    if (ts->kind != SIG_Y_SCALAR || !sig_timespan_parse(ts->s, ts->len, &k->timespan)) {
        sig_err(c, ts, SIG_R_CORRELATION,
                "invalid timespan '%s': a whole number > 0 followed by s, m, h or d (e.g. 90m)",
                ts->kind == SIG_Y_SCALAR ? ts->s : sig_ytype_name(ts));
        return false;
    }
    k->timespan_text = ts->s;

    const sig_ynode *al = sig_ymap_get(cr, "aliases");
    if (al) {
        if (al->kind != SIG_Y_MAP) {
            sig_err(c, al, SIG_R_CORRELATION,
                    "'aliases' must map an alias to {rule name: field name}");
            return false;
        }
        sig_alias *a = sp_arena_calloc(c->arena, (al->n + 1) * sizeof *a);
        for (size_t i = 0; i < al->n; i++) {
            const sig_ynode *name = al->items[2 * i], *m = al->items[2 * i + 1];
            a[i].name = name->s;
            a[i].pos = sig_pos_of(c, name);
            if (m->kind != SIG_Y_MAP || m->n == 0) {
                sig_err(c, m, SIG_R_CORRELATION,
                        "alias '%s' must map rule names to field names", name->s);
                return false;
            }
            sig_alias_field *f = sp_arena_calloc(c->arena, m->n * sizeof *f);
            for (size_t j = 0; j < m->n; j++) {
                const sig_ynode *rk = m->items[2 * j], *fv = m->items[2 * j + 1];
                if (fv->kind != SIG_Y_SCALAR || fv->type != SIG_YT_STR || !fv->len) {
                    sig_err(c, fv, SIG_R_CORRELATION, "alias '%s': field names are strings",
                            name->s);
                    return false;
                }
                f[j].rule.text = rk->s;
                f[j].rule.pos = sig_pos_of(c, rk);
                f[j].field = fv->s;
                f[j].pos = sig_pos_of(c, fv);
            }
            a[i].fields = f;
            a[i].nfields = (uint32_t)m->n;
            bool used = false;
            for (size_t g = 0; g < k->group_by.n; g++)
                used = used || !strcmp(k->group_by.v[g], name->s);
            if (!used)
                sig_warn(c, name, SIG_R_W_UNUSED, "alias '%s' is not used in group-by", name->s);
        }
        k->aliases = a;
        k->naliases = (uint32_t)al->n;
    }

    const sig_ynode *cn = sig_ymap_get(cr, "condition");
    if (cn) {
        if (!condition(c, cn, k))
            return false;
    } else if (temporal(k->type)) {
        sig_corr_cond *d = sp_arena_calloc(c->arena, sizeof *d);
        d->op = SIG_GTE;
        d->value = (double)k->nrules;
        d->pos = sig_pos_of(c, cr);
        k->conds = d;
        k->nconds = 1;
        k->default_cond = true;
    } else {
        sig_err(c, cr, SIG_R_MISSING_FIELD, "missing required field 'correlation.condition'");
        return false;
    }

    const sig_ynode *gen_in = sig_ymap_get(cr, "generate"), *gen_top = sig_ymap_get(root, "generate");
    if (gen_in && gen_top) {
        sig_err(c, gen_top, SIG_R_CORRELATION, "'generate' is given twice");
        return false;
    }
    const sig_ynode *gen = gen_in ? gen_in : gen_top;
    if (gen) {
        if (gen->kind != SIG_Y_SCALAR || gen->type != SIG_YT_BOOL) {
            sig_err(c, gen, SIG_R_CORRELATION, "'generate' must be true or false");
            return false;
        }
        k->generate = gen->b;
    }
    return c->errors == 0;
}
