/* rule.c — the document level: metadata shared by every Sigma document, logsource, and the
 * detection rule itself (search identifiers + condition -> detection program).
 *
 * Required fields and value types are errors (the document is rejected); things a
 * detection engineer should know but that do not change meaning — an unknown top-level key,
 * a missing id, a deprecated status, a malformed date or tag — are warnings, which
 * `--strict` turns into errors.
 */
#include "sigma/sig_int.h"

#include <string.h>

static const char *const common_keys[] = {
    "title", "id", "name", "related", "taxonomy", "status", "description", "license",
    "author", "references", "date", "modified", "tags", "falsepositives", "level", "fields",
    "scope", NULL,
};

static bool in_list(const char *const *l, const char *k)
{
    for (; l && *l; l++)
        if (!strcmp(*l, k))
            return true;
    return false;
}

static const char *scalar(sig_ctx *c, const sig_ynode *root, const char *key, bool required)
{
    const sig_ynode *v = sig_ymap_get(root, key);
    if (!v) {
        if (required)
            sig_err(c, root, SIG_R_MISSING_FIELD, "missing required field '%s'", key);
        return NULL;
    }
    if (v->kind != SIG_Y_SCALAR || v->type == SIG_YT_NULL) {
        sig_err(c, v, SIG_R_BAD_FIELD, "'%s' must be a string, not %s", key, sig_ytype_name(v));
        return NULL;
    }
    return v->s;
}

/* A list of strings, or one string standing for a list of one. */
static sig_strlist strlist(sig_ctx *c, const sig_ynode *root, const char *key)
{
    sig_strlist l = {0};
    const sig_ynode *v = sig_ymap_get(root, key);
    if (!v || (v->kind == SIG_Y_SCALAR && v->type == SIG_YT_NULL))
        return l;
    size_t n = v->kind == SIG_Y_SEQ ? v->n : 1;
    const char **out = sp_arena_alloc(c->arena, (n + 1) * sizeof *out);
    if (v->kind == SIG_Y_MAP) {
        sig_err(c, v, SIG_R_BAD_FIELD, "'%s' must be a list of strings, not a map", key);
        return l;
    }
    for (size_t i = 0; i < n; i++) {
        const sig_ynode *e = v->kind == SIG_Y_SEQ ? v->items[i] : v;
        if (e->kind != SIG_Y_SCALAR || e->type == SIG_YT_NULL) {
            sig_err(c, e, SIG_R_BAD_FIELD, "'%s' must be a list of strings; this item is %s",
                    key, sig_ytype_name(e));
            return l;
        }
        out[i] = e->s;
    }
    out[n] = NULL;
    l.v = out;
    l.n = n;
    return l;
}

static bool is_uuid(const char *s)
{
    static const int dash[] = {8, 13, 18, 23};
    if (strlen(s) != 36)
        return false;
    for (int i = 0, d = 0; i < 36; i++) {
        if (d < 4 && i == dash[d]) {
            if (s[i] != '-')
                return false;
            d++;
        } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
                     (s[i] >= 'A' && s[i] <= 'F'))) {
            return false;
        }
    }
    return true;
}

static bool is_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int64_t t;
    return sp_datetime_parse(s, 10, &t);
}

static bool attack_id(const char *t)
{
    /* t1234[.123], g1234, s1234, ds1234, m1234, a1234 */
    size_t p = 0;
    if (t[0] == 'd' && t[1] == 's')
        p = 2;
    else if (strchr("tgsma", t[0]) && t[0])
        p = 1;
    else
        return false;
    size_t d = 0;
    while (t[p] >= '0' && t[p] <= '9')
        p++, d++;
    if (d != 4)
        return false;
    if (t[0] == 't' && t[p] == '.') {
        p++;
        size_t e = 0;
        while (t[p] >= '0' && t[p] <= '9')
            p++, e++;
        if (e != 3)
            return false;
    }
    return t[p] == 0;
}

static void check_tags(sig_ctx *c, const sig_ynode *root, const sig_strlist *tags)
{
    const sig_ynode *tn = sig_ymap_get(root, "tags");
    for (size_t i = 0; i < tags->n; i++) {
        const char *t = tags->v[i];
        const sig_ynode *at = tn && tn->kind == SIG_Y_SEQ && i < tn->n ? tn->items[i] : tn;
        bool ok = strchr(t, '.') != NULL && t[0] != '.';
        for (const char *p = t; *p && ok; p++)
            ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
                 *p == '-' || *p == '.';
        if (!ok) {
            sig_warn(c, at, SIG_R_W_FORMAT,
                     "tag '%s' is not namespace.value in lower case letters, digits, _ and -", t);
            continue;
        }
        if (!strncmp(t, "attack.", 7) && !attack_id(t + 7) && !sig_attack_tactic(t + 7))
            sig_warn(c, at, SIG_R_W_FORMAT,
                     "tag '%s' is neither an ATT&CK tactic nor a technique/group/software id", t);
    }
}

static bool check_keys(sig_ctx *c, const sig_ynode *root, const char *const *extra)
{
    for (size_t i = 0; i < root->n; i++) {
        const sig_ynode *k = root->items[2 * i];
        if (!in_list(common_keys, k->s) && !in_list(extra, k->s))
            sig_warn(c, k, SIG_R_W_UNKNOWN_KEY, "unknown top-level key '%s'", k->s);
    }
    return true;
}

bool sig_build_meta(sig_ctx *c, const sig_ynode *root, sig_kind kind, const char *const *extra,
                    sig_meta *m)
{
    m->pos = sig_pos_of(c, root);
    m->title = scalar(c, root, "title", true);
    if (m->title && strlen(m->title) > 256)
        sig_warn(c, sig_ymap_get(root, "title"), SIG_R_W_FORMAT,
                 "title is longer than 256 characters");
    m->id = scalar(c, root, "id", false);
    m->name = scalar(c, root, "name", false);
    m->description = scalar(c, root, "description", false);
    m->author = scalar(c, root, "author", false);
    m->license = scalar(c, root, "license", false);
    m->date = scalar(c, root, "date", false);
    m->modified = scalar(c, root, "modified", false);
    m->taxonomy = scalar(c, root, "taxonomy", false);
    m->references = strlist(c, root, "references");
    m->tags = strlist(c, root, "tags");
    m->falsepositives = strlist(c, root, "falsepositives");
    m->fields = strlist(c, root, "fields");
    m->scope = strlist(c, root, "scope");

    if (m->id && !is_uuid(m->id) && kind == SIG_DOC_RULE)
        sig_warn(c, sig_ymap_get(root, "id"), SIG_R_W_FORMAT, "id '%s' is not a UUID", m->id);
    if (!m->id && kind == SIG_DOC_RULE)
        sig_warn(c, root, SIG_R_W_MISSING_ID,
                 "rule has no 'id': correlations, filters and alerts cannot refer to it stably");
    if (m->date && !is_date(m->date))
        sig_warn(c, sig_ymap_get(root, "date"), SIG_R_W_FORMAT,
                 "date '%s' is not YYYY-MM-DD", m->date);
    if (m->modified && !is_date(m->modified))
        sig_warn(c, sig_ymap_get(root, "modified"), SIG_R_W_FORMAT,
                 "modified '%s' is not YYYY-MM-DD", m->modified);
    if (m->taxonomy && strcmp(m->taxonomy, "sigma") != 0)
        sig_warn(c, sig_ymap_get(root, "taxonomy"), SIG_R_W_SEMANTICS,
                 "taxonomy '%s' is not translated: field names are used as written", m->taxonomy);

    const sig_ynode *st = sig_ymap_get(root, "status");
    const char *status = scalar(c, root, "status", false);
    if (status) {
        static const char *const names[] = {"stable", "test", "experimental", "deprecated",
                                            "unsupported"};
        m->status = SIG_STATUS_NONE;
        for (int i = 0; i < 5; i++)
            if (!strcmp(status, names[i]))
                m->status = (sig_status)(SIG_STATUS_STABLE + i);
        if (m->status == SIG_STATUS_NONE)
            sig_err(c, st, SIG_R_BAD_FIELD,
                    "unknown status '%s' (stable, test, experimental, deprecated, unsupported)",
                    status);
        else if (m->status == SIG_STATUS_DEPRECATED || m->status == SIG_STATUS_UNSUPPORTED)
            sig_warn(c, st, SIG_R_W_STATUS, "rule status is '%s'", status);
    }
    const char *level = scalar(c, root, "level", false);
    if (level) {
        static const char *const names[] = {"informational", "low", "medium", "high", "critical"};
        m->level = SIG_LEVEL_NONE;
        for (int i = 0; i < 5; i++)
            if (!strcmp(level, names[i]))
                m->level = (sig_level)(SIG_LEVEL_INFORMATIONAL + i);
        if (m->level == SIG_LEVEL_NONE)
            sig_err(c, sig_ymap_get(root, "level"), SIG_R_BAD_FIELD,
                    "unknown level '%s' (informational, low, medium, high, critical)", level);
    }

    const sig_ynode *rel = sig_ymap_get(root, "related");
    if (rel) {
        if (rel->kind != SIG_Y_SEQ) {
            sig_err(c, rel, SIG_R_BAD_FIELD, "'related' must be a list of {id, type} maps");
        } else {
            sig_related *r = sp_arena_calloc(c->arena, (rel->n + 1) * sizeof *r);
            for (size_t i = 0; i < rel->n; i++) {
                const sig_ynode *e = rel->items[i];
                if (e->kind != SIG_Y_MAP) {
                    sig_err(c, e, SIG_R_BAD_FIELD, "'related' items are {id, type} maps");
                    continue;
                }
                r[i].id = scalar(c, e, "id", true);
                r[i].type = scalar(c, e, "type", true);
                static const char *const types[] = {"derived", "obsolete", "merged", "renamed",
                                                    "similar", NULL};
                if (r[i].type && !in_list(types, r[i].type))
                    sig_warn(c, sig_ymap_get(e, "type"), SIG_R_W_FORMAT,
                             "unknown related type '%s'", r[i].type);
            }
            m->related = r;
            m->nrelated = rel->n;
        }
    }
    check_tags(c, root, &m->tags);
    sig_meta_attack(c->arena, m);
    return check_keys(c, root, extra);
}

bool sig_build_logsource(sig_ctx *c, const sig_ynode *root, sig_logsource *ls, bool required)
{
    const sig_ynode *l = sig_ymap_get(root, "logsource");
    if (!l) {
        if (required)
            sig_err(c, root, SIG_R_MISSING_FIELD, "missing required field 'logsource'");
        return !required;
    }
    if (l->kind != SIG_Y_MAP) {
        sig_err(c, l, SIG_R_BAD_FIELD, "'logsource' must be a map (category, product, service)");
        return false;
    }
    ls->pos = sig_pos_of(c, l);
    ls->category = scalar(c, l, "category", false);
    ls->product = scalar(c, l, "product", false);
    ls->service = scalar(c, l, "service", false);
    ls->definition = scalar(c, l, "definition", false);
    if (!ls->category && !ls->product && !ls->service)
        sig_warn(c, l, SIG_R_W_SEMANTICS,
                 "logsource has none of category, product, service: the rule runs on table Events");
    return true;
}

static const char *const rule_keys[] = {"logsource", "detection", NULL};

bool sig_build_rule(sig_ctx *c, const sig_ynode *root, sig_rule *r)
{
    sig_build_meta(c, root, SIG_DOC_RULE, rule_keys, &r->meta);
    sig_build_logsource(c, root, &r->logsource, true);
    const sig_ynode *det = sig_ymap_get(root, "detection");
    if (!det) {
        sig_err(c, root, SIG_R_MISSING_FIELD, "missing required field 'detection'");
        return false;
    }
    if (det->kind != SIG_Y_MAP) {
        sig_err(c, det, SIG_R_BAD_FIELD, "'detection' must be a map of search identifiers");
        return false;
    }
    const sig_ynode *tf = sig_ymap_get(det, "timeframe");
    if (tf)
        sig_err(c, tf, SIG_R_AGGREGATION,
                "'timeframe' belongs to the deprecated Sigma 1 aggregation syntax; use a "
                "correlation rule");
    static const char *const skip[] = {"condition", "timeframe", NULL};
    sig_detection *dets = NULL;
    uint32_t ndets = 0;
    if (!sig_compile_detections(c, det, skip, &dets, &ndets))
        return false;
    r->dets = dets;
    r->ndets = ndets;

    const sig_cond **conds = NULL;
    uint32_t nc = 0;
    if (!sig_parse_conditions(c, det, "detection", true, dets, ndets, &conds, &nc))
        return false;
    r->conds = conds;
    r->nconds = nc;
    if (nc == 1) {
        r->detection = sig_cond_to_expr(c->arena, conds[0], dets);
    } else {
        sig_expr *or = sig_expr_new(c->arena, SIG_X_OR, conds[0]->pos, nc);
        for (uint32_t i = 0; i < nc; i++)
            ((const sig_expr **)or->kids)[i] = sig_cond_to_expr(c->arena, conds[i], dets);
        r->detection = or;
    }
    r->expr = r->detection;
    return c->errors == 0;
}
