/* rules.c — loading rules of both languages into compiled runtime rules.
 *
 * Sentinel analytics rule YAML (as in Azure-Sentinel's Detections/ and Solutions/ folders:
 * id, name, description, severity, kind Scheduled/NRT, query, queryFrequency, queryPeriod,
 * triggerOperator, triggerThreshold, tactics, relevantTechniques, entityMappings,
 * customDetails, alertDetailsOverride, suppressionDuration/suppressionEnabled,
 * eventGroupingSettings) is compiled with the KQL front end; Sigma documents go through the
 * Sigma front end and its lowering. Both end up as one rt_rule around a plan. A rule that
 * fails to load is reported with file:line:col and skipped; nothing is dropped silently.
 */
#include "engine/runtime/runtime_int.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "sigma/sigma.h"

/* ---- durations: `1h`, `14d`, `5m`, `30s`, ISO 8601 `PT1H`, `P1D` ---- */

bool rt_duration_parse(const char *s, size_t n, int64_t *ticks)
{
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    if (!n)
        return false;
    int64_t total = 0;
    if (s[0] == 'P' || s[0] == 'p') {
        bool time = false;
        size_t i = 1;
        while (i < n) {
            if (s[i] == 'T' || s[i] == 't') {
                time = true;
                i++;
                continue;
            }
            int64_t v = 0;
            size_t st = i;
            while (i < n && isdigit((unsigned char)s[i]))
                v = v * 10 + (s[i++] - '0');
            if (i == st || i >= n)
                return false;
            char u = (char)toupper((unsigned char)s[i++]);
            if (!time && u == 'D')
                total += v * SP_TICKS_PER_DAY;
            else if (!time && u == 'W')
                total += v * 7 * SP_TICKS_PER_DAY;
            else if (time && u == 'H')
                total += v * SP_TICKS_PER_HOUR;
            else if (time && u == 'M')
                total += v * SP_TICKS_PER_MIN;
            else if (time && u == 'S')
                total += v * SP_TICKS_PER_SEC;
            else
                return false;
        }
        *ticks = total;
        return total > 0;
    }
    size_t i = 0;
    int64_t v = 0;
    while (i < n && isdigit((unsigned char)s[i]))
        v = v * 10 + (s[i++] - '0');
    if (i == 0 || i == n)
        return false;
    const char *u = s + i;
    size_t un = n - i;
    if (sp_ieq(u, un, "d", 1) || sp_ieq(u, un, "days", 4) || sp_ieq(u, un, "day", 3))
        total = v * SP_TICKS_PER_DAY;
    else if (sp_ieq(u, un, "h", 1) || sp_ieq(u, un, "hr", 2) || sp_ieq(u, un, "hours", 5))
        total = v * SP_TICKS_PER_HOUR;
    else if (sp_ieq(u, un, "m", 1) || sp_ieq(u, un, "min", 3) || sp_ieq(u, un, "minutes", 7))
        total = v * SP_TICKS_PER_MIN;
    else if (sp_ieq(u, un, "s", 1) || sp_ieq(u, un, "sec", 3) || sp_ieq(u, un, "seconds", 7))
        total = v * SP_TICKS_PER_SEC;
    else
        return false;
    *ticks = total;
    return total > 0;
}

/* ---- tables a plan reads ---- */

static void visit_scans(const kp *n, void (*fn)(const kp *scan, void *ctx), void *ctx);

static void visit_scans_kx(const kx *e, void (*fn)(const kp *scan, void *ctx), void *ctx)
{
    if (!e)
        return;
    if (e->kind == KX_SUBQUERY && e->sub)
        visit_scans(e->sub, fn, ctx);
    for (int i = 0; i < e->nargs; i++)
        visit_scans_kx(e->args[i], fn, ctx);
}

static void visit_scans(const kp *n, void (*fn)(const kp *scan, void *ctx), void *ctx)
{
    if (!n)
        return;
    if (n->kind == KP_SCAN)
        fn(n, ctx);
    visit_scans_kx(n->scan_filter, fn, ctx);
    visit_scans_kx(n->pred, fn, ctx);
    visit_scans(n->in, fn, ctx);
    for (int i = 0; i < n->ninputs; i++)
        visit_scans(n->inputs[i], fn, ctx);
    visit_scans(n->apply, fn, ctx);
}

void rt_plan_scans(const kplan *p, void (*fn)(const kp *scan, void *ctx), void *ctx)
{
    for (int i = 0; i < p->nshared; i++)
        visit_scans(p->shared[i], fn, ctx);
    visit_scans(p->root, fn, ctx);
}

typedef struct table_list {
    char **v;
    int n, cap;
} table_list;

static void add_table(const kp *scan, void *ctx)
{
    table_list *l = ctx;
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], scan->table))
            return;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->v = sp_xrealloc(l->v, sizeof(char *) * (size_t)l->cap);
    }
    l->v[l->n++] = (char *)scan->table;
}

int rt_plan_tables(const kplan *p, char ***out)
{
    table_list l = {0};
    rt_plan_scans(p, add_table, &l);
    *out = l.v;
    return l.n;
}

/* ---- YAML document helpers (libyaml document API) ---- */

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

static char *scalar_dup(yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE)
        return NULL;
    return sp_xstrndup((const char *)n->data.scalar.value, n->data.scalar.length);
}

static char *map_str(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    return scalar_dup(map_get(doc, map, key));
}

static int seq_strs(yaml_document_t *doc, yaml_node_t *seq, char ***out)
{
    *out = NULL;
    if (!seq || seq->type != YAML_SEQUENCE_NODE)
        return 0;
    int n = 0;
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        char *s = scalar_dup(yaml_document_get_node(doc, *it));
        if (!s)
            continue;
        *out = sp_xrealloc(*out, sizeof(char *) * (size_t)(n + 1));
        (*out)[n++] = s;
    }
    return n;
}

static void report(rt_diag_cb cb, void *ctx, const char *file, int line, int col, const char *fmt, ...)
    SP_PRINTF(6, 7);
static void report(rt_diag_cb cb, void *ctx, const char *file, int line, int col, const char *fmt, ...)
{
    sp_diag d;
    memset(&d, 0, sizeof d);
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sp_diag_set(&d, file, line, col, "%s", msg);
    if (cb)
        cb(ctx, &d);
}

void rt_rule_free(rt_rule *r)
{
    if (!r)
        return;
    free(r->id);
    free(r->name);
    free(r->description);
    free(r->severity);
    free(r->file);
    for (int i = 0; i < r->ntactics; i++)
        free(r->tactics[i]);
    free(r->tactics);
    for (int i = 0; i < r->ntechniques; i++)
        free(r->techniques[i]);
    free(r->techniques);
    rt_bound_free(r->bound);
    for (int i = 0; i < r->ntables; i++)
        free(r->tables[i]);
    free(r->tables);
    free(r->bound_ver);
    free(r->query);
    rt_sigsrc_unref(r->sig);
    for (int i = 0; i < r->nentities; i++) {
        free(r->entities[i].type);
        free(r->entities[i].identifier);
        free(r->entities[i].column);
    }
    free(r->entities);
    for (int i = 0; i < r->ndetails; i++) {
        free(r->details[i].key);
        free(r->details[i].column);
    }
    free(r->details);
    free(r->name_format);
    free(r->description_format);
    free(r->emitted);
    free(r->emitted_at);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static rt_rule *rule_new(const char *file)
{
    rt_rule *r = sp_xcalloc(1, sizeof *r);
    r->file = sp_xstrdup(file);
    r->next_tick = INT64_MIN;
    r->corr_done = INT64_MIN;
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

static void engine_add_rule(rt_engine *e, rt_rule *r)
{
    if (e->nrules == e->caprules) {
        e->caprules = e->caprules ? e->caprules * 2 : 16;
        e->rules = sp_xrealloc(e->rules, sizeof(rt_rule *) * (size_t)e->caprules);
    }
    e->rules[e->nrules++] = r;
}

/* ---- Sentinel analytics rules ---- */

static bool parse_trigger(const char *s, rt_trigger *t)
{
    static const struct {
        const char *name;
        rt_trigger t;
    } ops[] = {{"gt", RT_GT}, {"greaterthan", RT_GT}, {"ge", RT_GE}, {"lt", RT_LT}, {"lessthan", RT_LT},
               {"le", RT_LE}, {"eq", RT_EQ}, {"equal", RT_EQ}, {"ne", RT_NE}, {"notequal", RT_NE}};
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    for (size_t i = 0; i < SP_ARRAY_LEN(ops); i++)
        if (sp_ieq(s, n, ops[i].name, strlen(ops[i].name))) {
            *t = ops[i].t;
            return true;
        }
    return false;
}

static int load_sentinel(rt_engine *e, const char *path, yaml_document_t *doc, yaml_node_t *root,
                         rt_diag_cb cb, void *ctx)
{
    yaml_node_t *qn = map_get(doc, root, "query");
    int qline = qn ? (int)qn->start_mark.line + 1 : 1;
    rt_rule *r = rule_new(path);
    r->id = map_str(doc, root, "id");
    r->name = map_str(doc, root, "name");
    r->description = map_str(doc, root, "description");
    r->severity = map_str(doc, root, "severity");
    char *kind = map_str(doc, root, "kind");
    r->is_nrt = kind && sp_ieq(kind, strlen(kind), "NRT", 3);
    free(kind);
    r->kind = r->is_nrt ? RT_PER_EVENT : RT_SCHEDULED;
    if (!r->id || !r->name || !qn || qn->type != YAML_SCALAR_NODE) {
        report(cb, ctx, path, 1, 1, "not a valid analytics rule: it needs id, name and query");
        rt_rule_free(r);
        return 1;
    }
    if (!r->severity)
        r->severity = sp_xstrdup("Medium");
    r->ntactics = seq_strs(doc, map_get(doc, root, "tactics"), &r->tactics);
    r->ntechniques = seq_strs(doc, map_get(doc, root, "relevantTechniques"), &r->techniques);
    if (!r->is_nrt) {
        char *f = map_str(doc, root, "queryFrequency"), *p = map_str(doc, root, "queryPeriod");
        bool ok = f && p && rt_duration_parse(f, strlen(f), &r->freq) && rt_duration_parse(p, strlen(p), &r->period);
        if (!ok) {
            yaml_node_t *fn = map_get(doc, root, "queryFrequency");
            report(cb, ctx, path, fn ? (int)fn->start_mark.line + 1 : 1, fn ? (int)fn->start_mark.column + 1 : 1,
                   "a scheduled rule needs queryFrequency and queryPeriod durations (got '%s' and '%s')",
                   f ? f : "", p ? p : "");
            free(f);
            free(p);
            rt_rule_free(r);
            return 1;
        }
        free(f);
        free(p);
        char *op = map_str(doc, root, "triggerOperator"), *th = map_str(doc, root, "triggerThreshold");
        r->trig = RT_GT;
        if (op && !parse_trigger(op, &r->trig)) {
            report(cb, ctx, path, 1, 1, "unknown triggerOperator '%s'", op);
            free(op);
            free(th);
            rt_rule_free(r);
            return 1;
        }
        r->threshold = th ? atoll(th) : 0;
        free(op);
        free(th);
    }
    /* Entities, custom details, overrides, suppression, grouping. */
    yaml_node_t *em = map_get(doc, root, "entityMappings");
    if (em && em->type == YAML_SEQUENCE_NODE)
        for (yaml_node_item_t *it = em->data.sequence.items.start; it < em->data.sequence.items.top; it++) {
            yaml_node_t *ent = yaml_document_get_node(doc, *it);
            char *type = map_str(doc, ent, "entityType");
            yaml_node_t *fm = map_get(doc, ent, "fieldMappings");
            if (type && fm && fm->type == YAML_SEQUENCE_NODE)
                for (yaml_node_item_t *f = fm->data.sequence.items.start; f < fm->data.sequence.items.top; f++) {
                    yaml_node_t *fmap = yaml_document_get_node(doc, *f);
                    r->entities = sp_xrealloc(r->entities, sizeof(rt_entity_map) * (size_t)(r->nentities + 1));
                    rt_entity_map *m = &r->entities[r->nentities++];
                    m->type = sp_xstrdup(type);
                    m->identifier = map_str(doc, fmap, "identifier");
                    m->column = map_str(doc, fmap, "columnName");
                    if (!m->identifier)
                        m->identifier = sp_xstrdup("Name");
                    if (!m->column)
                        m->column = sp_xstrdup("");
                }
            free(type);
        }
    yaml_node_t *cd = map_get(doc, root, "customDetails");
    if (cd && cd->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *p = cd->data.mapping.pairs.start; p < cd->data.mapping.pairs.top; p++) {
            r->details = sp_xrealloc(r->details, sizeof(rt_detail) * (size_t)(r->ndetails + 1));
            r->details[r->ndetails].key = scalar_dup(yaml_document_get_node(doc, p->key));
            r->details[r->ndetails].column = scalar_dup(yaml_document_get_node(doc, p->value));
            if (r->details[r->ndetails].key && r->details[r->ndetails].column)
                r->ndetails++;
        }
    yaml_node_t *ov = map_get(doc, root, "alertDetailsOverride");
    r->name_format = map_str(doc, ov, "alertDisplayNameFormat");
    r->description_format = map_str(doc, ov, "alertDescriptionFormat");
    char *se = map_str(doc, root, "suppressionEnabled"), *sd = map_str(doc, root, "suppressionDuration");
    r->suppress = se && sp_ieq(se, strlen(se), "true", 4) && sd && rt_duration_parse(sd, strlen(sd), &r->suppress_for);
    r->suppressed_until = INT64_MIN;
    free(se);
    free(sd);
    yaml_node_t *eg = map_get(doc, root, "eventGroupingSettings");
    char *agg = map_str(doc, eg, "aggregationKind");
    /* NRT rules alert per result row: a row's alert must not depend on how rows were
     * chunked, so replays and any worker count agree. */
    r->alert_per_result = r->is_nrt || (agg && sp_ieq(agg, strlen(agg), "AlertPerResult", 14));
    free(agg);
    /* Compile. */
    r->query = sp_xstrndup((const char *)qn->data.scalar.value, qn->data.scalar.length);
    r->qline = qline;
    sp_diag d;
    memset(&d, 0, sizeof d);
    int bound = rt_rule_bind_first(e, r, NULL, &d);
    if (bound < 0) {
        if (cb)
            cb(ctx, &d);
        rt_rule_free(r);
        return 1;
    }
    if (bound > 0) {
        /* A table inferred from the data that has no such name yet: not an error now. */
        sp_diag w = d;
        w.is_warning = true;
        snprintf(w.msg, sizeof w.msg, "rule '%.120s' is not bound yet: %.300s; it is bound when tables inferred from the data have it",
                 r->name ? r->name : "?", d.msg);
        if (cb)
            cb(ctx, &w);
    }
    for (int i = 0; bound == 0 && i < r->bound->plan->nwarnings; i++)
        sp_log(SP_LOG_WARN, "%s: rule '%s': %s", path, r->name ? r->name : "?", r->bound->plan->warnings[i]);
    engine_add_rule(e, r);
    return 0;
}

/* ---- Sigma ---- */

static void sigma_meta_into(rt_rule *r, const sig_meta *m)
{
    r->id = sp_xstrdup(m->id ? m->id : m->name ? m->name : m->title);
    r->name = sp_xstrdup(m->title ? m->title : r->id);
    r->description = m->description ? sp_xstrdup(m->description) : NULL;
    r->severity = sp_xstrdup(sig_level_severity(m->level));
    r->ntactics = (int)m->tactics.n;
    r->tactics = sp_xcalloc(m->tactics.n + 1, sizeof(char *));
    for (size_t i = 0; i < m->tactics.n; i++)
        r->tactics[i] = sp_xstrdup(m->tactics.v[i]);
    r->ntechniques = (int)m->techniques.n;
    r->techniques = sp_xcalloc(m->techniques.n + 1, sizeof(char *));
    for (size_t i = 0; i < m->techniques.n; i++)
        r->techniques[i] = sp_xstrdup(m->techniques.v[i]);
    r->is_sigma = true;
    r->alert_per_result = true;
}

static int load_sigma(rt_engine *e, const char *path, rt_diag_cb cb, void *ctx)
{
    sig_options opt = {.placeholders = e->sigma_placeholders};
    sig_set *set = sig_set_new(&opt);
    sig_set_load_file(set, path);
    sig_set_resolve(set);
    int rejected = 0;
    for (size_t i = 0; i < sig_set_ndiags(set); i++) {
        const sig_diag *sd = sig_set_diag(set, i);
        if (cb)
            cb(ctx, &sd->d);
        if (!sd->d.is_warning)
            rejected++;
    }
    rt_sigsrc *src = sp_xcalloc(1, sizeof *src);
    src->set = set;
    src->refs = 1; /* this function's, dropped at the end */
    pthread_mutex_init(&src->mu, NULL);
    for (int kind = SIG_DOC_RULE; kind <= SIG_DOC_CORRELATION; kind++) {
        size_t n = sig_set_count(set, (sig_kind)kind);
        for (size_t i = 0; i < n; i++) {
            const sig_meta *m;
            bool standalone;
            int64_t span = 0;
            if (kind == SIG_DOC_RULE) {
                const sig_rule *sr = sig_set_rule(set, i);
                m = &sr->meta;
                standalone = sr->standalone;
            } else {
                const sig_corr *sc = sig_set_corr(set, i);
                m = &sc->meta;
                standalone = sc->standalone;
                span = sc->timespan;
            }
            if (!standalone)
                continue; /* it feeds a correlation and raises nothing of its own */
            rt_rule *r = rule_new(path);
            sigma_meta_into(r, m);
            r->kind = kind == SIG_DOC_RULE ? RT_PER_EVENT : RT_CORRELATION;
            r->corr_span = span;
            r->sig = src;
            r->sig_kind = kind;
            r->sig_index = (uint32_t)i;
            src->refs++;
            sp_diag d;
            memset(&d, 0, sizeof d);
            sig_warnings w = {0};
            /* The lowering never names what is missing (an absent field is a warning),
             * so a Sigma rule binds now or not at all. */
            if (rt_rule_bind_first(e, r, &w, &d) != 0) {
                if (cb)
                    cb(ctx, &d);
                rejected++;
                sig_warnings_free(&w);
                rt_rule_free(r);
                continue;
            }
            for (size_t k = 0; k < w.n; k++)
                if (cb)
                    cb(ctx, &w.v[k]);
            sig_warnings_free(&w);
            if (kind == SIG_DOC_CORRELATION) {
                /* The group and the measured value become custom details. */
                const sig_corr *sc = sig_set_corr(set, i);
                r->group_keys = (int)sc->group_by.n;
                for (size_t g = 0; g <= sc->group_by.n; g++) {
                    const char *col = g < sc->group_by.n ? sc->group_by.v[g] : "Value";
                    r->details = sp_xrealloc(r->details, sizeof(rt_detail) * (size_t)(r->ndetails + 1));
                    r->details[r->ndetails].key = sp_xstrdup(col);
                    r->details[r->ndetails].column = sp_xstrdup(col);
                    r->ndetails++;
                }
            }
            engine_add_rule(e, r);
        }
    }
    rt_sigsrc_unref(src);
    return rejected;
}

/* ---- files and directories ---- */

static bool has_ext(const char *p, const char *ext)
{
    size_t n = strlen(p), k = strlen(ext);
    return n > k && !strcmp(p + n - k, ext);
}

static int load_file(rt_engine *e, const char *path, rt_diag_cb cb, void *ctx)
{
    /* Sentinel rules have a top-level `query`; everything else is read as Sigma. */
    FILE *f = fopen(path, "rb");
    if (!f) {
        report(cb, ctx, path, 0, 0, "cannot read the rule file");
        return 1;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    bool sentinel = false;
    int rejected = 0;
    if (yaml_parser_load(&parser, &doc)) {
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (root && map_get(&doc, root, "query") && !map_get(&doc, root, "detection") &&
            !map_get(&doc, root, "correlation")) {
            sentinel = true;
            rejected = load_sentinel(e, path, &doc, root, cb, ctx);
        }
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    fclose(f);
    if (!sentinel)
        rejected = load_sigma(e, path, cb, ctx);
    return rejected;
}

int rt_rules_load(rt_engine *e, const char *path, rt_diag_cb cb, void *ctx)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        report(cb, ctx, path, 0, 0, "no such rule file or directory");
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return load_file(e, path, cb, ctx);
    struct dirent **ents;
    int n = scandir(path, &ents, NULL, alphasort);
    if (n < 0)
        return -1;
    int rejected = 0;
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        if (nm[0] != '.') {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, nm);
            struct stat s2;
            if (stat(sub, &s2) == 0 && (S_ISDIR(s2.st_mode) || has_ext(nm, ".yml") || has_ext(nm, ".yaml"))) {
                int r = rt_rules_load(e, sub, cb, ctx);
                if (r > 0)
                    rejected += r;
            }
        }
        free(ents[i]);
    }
    free(ents);
    return rejected;
}
