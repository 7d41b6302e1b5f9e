/* filter.c — `filter:` documents (Sigma filters spec v2.1, meta-filters).
 *
 * A filter carries its own search identifiers and one condition, a logsource, and the rules
 * it applies to (`rules:` ids or names, or `any` from spec v2.2 for every rule of a
 * compatible logsource). The specification states their purpose as suppressing matches, so
 * the condition describes the events to drop and sig_set_resolve rewrites each target rule
 * to `(rule) and not (filter)` — see sigma.h for the full statement and the difference from
 * pySigma, and why a filter condition starting with `not` draws a warning.
 */
#include "sigma/sig_int.h"

#include <string.h>

static const char *const filter_keys[] = {"logsource", "filter", NULL};

bool sig_build_filter(sig_ctx *c, const sig_ynode *root, sig_filter *f)
{
    sig_build_meta(c, root, SIG_DOC_FILTER, filter_keys, &f->meta);
    sig_build_logsource(c, root, &f->logsource, true);
    if (sig_ymap_get(root, "level") || sig_ymap_get(root, "status"))
        sig_warn(c, sig_ymap_get(root, "level") ? sig_ymap_get(root, "level")
                                                : sig_ymap_get(root, "status"),
                 SIG_R_W_SEMANTICS, "a filter has no level or status: it only changes its rules");
    const sig_ynode *fl = sig_ymap_get(root, "filter");
    if (fl->kind != SIG_Y_MAP) {
        sig_err(c, fl, SIG_R_FILTER, "'filter' must be a map (rules, search identifiers, condition)");
        return false;
    }
    const sig_ynode *rules = sig_ymap_get(fl, "rules");
    if (!rules) {
        sig_err(c, fl, SIG_R_MISSING_FIELD,
                "missing required field 'filter.rules' (rule ids or names, or 'any')");
        return false;
    }
    if (rules->kind == SIG_Y_SCALAR && rules->type == SIG_YT_STR && !strcmp(rules->s, "any")) {
        f->any = true;
    } else {
        size_t n = rules->kind == SIG_Y_SEQ ? rules->n : 1;
        if (rules->kind == SIG_Y_MAP || n == 0 ||
            (rules->kind == SIG_Y_SCALAR && rules->type == SIG_YT_NULL)) {
            sig_err(c, rules, SIG_R_FILTER,
                    "'filter.rules' must be rule ids or names, or 'any' for every rule of the "
                    "logsource");
            return false;
        }
        sig_ref *r = sp_arena_calloc(c->arena, n * sizeof *r);
        for (size_t i = 0; i < n; i++) {
            const sig_ynode *e = rules->kind == SIG_Y_SEQ ? rules->items[i] : rules;
            if (e->kind != SIG_Y_SCALAR || e->type == SIG_YT_NULL) {
                sig_err(c, e, SIG_R_FILTER, "'filter.rules' items must be rule ids or names");
                return false;
            }
            r[i].text = e->s;
            r[i].pos = sig_pos_of(c, e);
            r[i].kind = SIG_DOC_RULE;
        }
        f->rules = r;
        f->nrules = (uint32_t)n;
    }
    static const char *const skip[] = {"rules", "condition", NULL};
    sig_detection *dets = NULL;
    uint32_t ndets = 0;
    if (!sig_compile_detections(c, fl, skip, &dets, &ndets))
        return false;
    f->dets = dets;
    f->ndets = ndets;
    const sig_cond **conds = NULL;
    uint32_t nc = 0;
    if (!sig_parse_conditions(c, fl, "filter", false, dets, ndets, &conds, &nc))
        return false;
    f->cond = conds[0];
    const sig_ynode *cond = sig_ymap_get(fl, "condition");
    if (f->cond->kind == SIG_C_NOT)
        sig_warn(c, cond, SIG_R_W_SEMANTICS,
                 "filter condition starts with 'not': a filter's condition names the events to "
                 "suppress (Sigma filters spec), so this keeps only the events it negates; "
                 "pySigma-style filters write 'not', socpipe applies 'rule and not (filter)'");
    f->expr = sig_cond_to_expr(c->arena, f->cond, dets);
    return c->errors == 0;
}
