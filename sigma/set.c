/* set.c — the rule set: reading files, splitting them into documents, diagnostics, and the
 * cross-file resolution pass.
 *
 * Loading is per document: each YAML document is validated and compiled on its own, and a
 * document with an error is counted as rejected (with the reason of its first error) while
 * its neighbours load. References between documents (correlation rules and aliases, filter
 * targets) can only be resolved once every file is in, so sig_set_resolve runs afterwards:
 * it indexes ids and names, resolves and cycle-checks correlations, rejects whatever
 * depends on a rejected document, applies filters, and finally compacts the arrays so the
 * indexes it hands out stay dense. Every rejection goes through one place (reject) so the
 * counts printed by `socpipe sigma check` always add up.
 */
#include "sigma/sig_int.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

typedef struct rule_slot {
    sig_rule r;
    bool dead;
    uint32_t index;
} rule_slot;

typedef struct corr_slot {
    sig_corr c;
    bool dead;
    uint32_t index;
    const void **targets; /* per rule ref: rule_slot* or corr_slot* */
    bool *target_is_corr;
    int visit; /* cycle check: 0 new, 1 on stack, 2 done */
} corr_slot;

typedef struct filter_slot {
    sig_filter f;
    bool dead;
} filter_slot;

typedef struct src_file {
    const char *name;
    const char *text;
    size_t len;
} src_file;

struct sig_set {
    sp_arena arena;
    sig_options opt;
    rule_slot **rules;
    size_t nrules, crules;
    corr_slot **corrs;
    size_t ncorrs, ccorrs;
    filter_slot **filters;
    size_t nfilters, cfilters;
    src_file *files;
    size_t nfiles, cfiles;
    sig_diag *diags;
    size_t ndiags, cdiags;
    sig_stats stats;
    bool resolved;
};

static const char *const reason_names[] = {
#define SIG_REASON_NAME(e, s) s,
    SIG_REASONS(SIG_REASON_NAME)
#undef SIG_REASON_NAME
};

const char *sig_reason_name(sig_reason r)
{
    return r < SIG_R_COUNT ? reason_names[r] : "?";
}

char *sig_strdup(sp_arena *a, const char *s, size_t n)
{
    return sp_arena_strndup(a, s, n);
}

void *sig_dup(sp_arena *a, const void *p, size_t n)
{
    if (!n)
        return NULL;
    void *d = sp_arena_alloc(a, n);
    memcpy(d, p, n);
    return d;
}

/* ---- diagnostics ------------------------------------------------------------------------ */

static const src_file *find_src(const sig_set *s, const char *name)
{
    for (size_t i = 0; i < s->nfiles; i++)
        if (s->files[i].name == name)
            return &s->files[i];
    return NULL;
}

static sig_diag *push_diag(sig_set *s, const char *file, int line, int col, int span,
                           bool warning, sig_reason r, const char *fmt, va_list ap)
{
    SP_GROW(s->diags, s->cdiags, s->ndiags + 1);
    sig_diag *d = &s->diags[s->ndiags++];
    memset(d, 0, sizeof *d);
    d->reason = r;
    d->d.span = span < 1 ? 1 : span;
    d->d.is_warning = warning;
    snprintf(d->d.file, sizeof d->d.file, "%s", file ? file : "");
    d->d.line = line;
    d->d.col = col;
    vsnprintf(d->d.msg, sizeof d->d.msg, fmt, ap);
    const src_file *src = find_src(s, file);
    if (src && line > 0)
        sp_diag_attach_source(&d->d, src->text, src->len);
    if (warning)
        s->stats.warnings++;
    else
        s->stats.errors++;
    return d;
}

static void ctx_report(sig_ctx *c, int line, int col, int span, bool warning, sig_reason r,
                       const char *fmt, va_list ap)
{
    if (warning && c->strict)
        warning = false;
    push_diag(c->set, c->file->name, line, col, span, warning, r, fmt, ap);
    if (!warning) {
        if (!c->errors)
            c->first = r;
        c->errors++;
    }
}

sig_pos sig_pos_of(const sig_ctx *c, const sig_ynode *n)
{
    sig_pos p = {c->file->name, n ? n->line : 0, n ? n->col : 0};
    return p;
}

void sig_err(sig_ctx *c, const sig_ynode *n, sig_reason r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ctx_report(c, n ? n->line : 0, n ? n->col : 0, 1, false, r, fmt, ap);
    va_end(ap);
}

void sig_err_at(sig_ctx *c, const sig_ynode *n, size_t off, int span, sig_reason r,
                const char *fmt, ...)
{
    int col = n->col;
    if (n->one_line)
        col += (n->quoted ? 1 : 0) + (int)off;
    else
        span = 1;
    va_list ap;
    va_start(ap, fmt);
    ctx_report(c, n->line, col, span, false, r, fmt, ap);
    va_end(ap);
}

void sig_warn(sig_ctx *c, const sig_ynode *n, sig_reason r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ctx_report(c, n ? n->line : 0, n ? n->col : 0, 1, true, r, fmt, ap);
    va_end(ap);
}

/* Reports at an explicit position (resolution time: no node at hand). */
static void report(sig_set *s, sig_pos p, bool warning, sig_reason r, const char *fmt, ...)
    SP_PRINTF(5, 6);

static void report(sig_set *s, sig_pos p, bool warning, sig_reason r, const char *fmt, ...)
{
    if (warning && s->opt.strict)
        warning = false;
    va_list ap;
    va_start(ap, fmt);
    push_diag(s, p.file, p.line, p.col, 1, warning, r, fmt, ap);
    va_end(ap);
}

/* ---- the set ------------------------------------------------------------------------------ */

sig_set *sig_set_new(const sig_options *opt)
{
    sig_set *s = sp_xcalloc(1, sizeof *s);
    if (opt)
        s->opt = *opt;
    return s;
}

void sig_set_free(sig_set *s)
{
    if (!s)
        return;
    free(s->rules);
    free(s->corrs);
    free(s->filters);
    free(s->files);
    free(s->diags);
    sp_arena_free(&s->arena);
    free(s);
}

static void count_rejected(sig_set *s, sig_reason r)
{
    s->stats.rejected++;
    s->stats.rejected_by[r]++;
}

static bool has_key(const sig_ynode *root, const char *k)
{
    return sig_ymap_get(root, k) != NULL;
}

/* Validates and compiles one document; returns true if it loaded. */
static bool load_doc(sig_set *s, const sig_yfile *f, const sig_ydoc *doc, uint32_t docno)
{
    sig_ctx c = {.set = s, .arena = &s->arena, .file = f, .strict = s->opt.strict,
                 .ph = s->opt.placeholders};
    const sig_ynode *root = doc->root;
    s->stats.documents++;
    if (doc->bad) {
        sig_diag *d = NULL;
        SP_GROW(s->diags, s->cdiags, s->ndiags + 1);
        d = &s->diags[s->ndiags++];
        d->d = doc->diag;
        d->reason = doc->reason;
        snprintf(d->d.file, sizeof d->d.file, "%s", f->name);
        sp_diag_attach_source(&d->d, f->text, f->len);
        s->stats.errors++;
        count_rejected(s, doc->reason);
        return false;
    }
    if (root->kind != SIG_Y_MAP) {
        sig_err(&c, root, SIG_R_BAD_FIELD, "a Sigma document must be a YAML map, not %s",
                sig_ytype_name(root));
        count_rejected(s, c.first);
        return false;
    }
    const sig_ynode *action = sig_ymap_get(root, "action");
    if (action) {
        sig_err(&c, action, SIG_R_UNSUPPORTED,
                "'action' rule collections (Sigma 1.x global/reset/repeat) are not part of "
                "Sigma v2; write each rule out in full");
        count_rejected(s, c.first);
        return false;
    }
    bool corr = has_key(root, "correlation"), filt = has_key(root, "filter"),
         det = has_key(root, "detection");
    if (corr + filt + det > 1) {
        sig_err(&c, root, SIG_R_BAD_FIELD,
                "a document is one of a detection rule (detection:), a correlation "
                "(correlation:) or a filter (filter:), not several");
        count_rejected(s, c.first);
        return false;
    }
    if (corr) {
        corr_slot *k = sp_arena_calloc(&s->arena, sizeof *k);
        k->c.meta.doc = docno;
        if (!sig_build_corr(&c, root, &k->c) || c.errors) {
            count_rejected(s, c.first);
            return false;
        }
        k->c.standalone = true;
        SP_GROW(s->corrs, s->ccorrs, s->ncorrs + 1);
        s->corrs[s->ncorrs++] = k;
        s->stats.loaded[SIG_DOC_CORRELATION]++;
        return true;
    }
    if (filt) {
        filter_slot *k = sp_arena_calloc(&s->arena, sizeof *k);
        k->f.meta.doc = docno;
        if (!sig_build_filter(&c, root, &k->f) || c.errors) {
            count_rejected(s, c.first);
            return false;
        }
        SP_GROW(s->filters, s->cfilters, s->nfilters + 1);
        s->filters[s->nfilters++] = k;
        s->stats.loaded[SIG_DOC_FILTER]++;
        return true;
    }
    rule_slot *k = sp_arena_calloc(&s->arena, sizeof *k);
    k->r.meta.doc = docno;
    if (!sig_build_rule(&c, root, &k->r) || c.errors) {
        count_rejected(s, c.first);
        return false;
    }
    k->r.standalone = true;
    SP_GROW(s->rules, s->crules, s->nrules + 1);
    s->rules[s->nrules++] = k;
    s->stats.loaded[SIG_DOC_RULE]++;
    return true;
}

int sig_set_load_text(sig_set *s, const char *name, const char *text, size_t len)
{
    const char *fname = sig_strdup(&s->arena, name, strlen(name));
    const char *ftext = sig_strdup(&s->arena, text, len);
    SP_GROW(s->files, s->cfiles, s->nfiles + 1);
    s->files[s->nfiles++] = (src_file){fname, ftext, len};
    s->stats.files++;
    size_t before = s->stats.rejected;
    if (len > sp_limits.max_rule_bytes) {
        report(s, (sig_pos){fname, 0, 0}, false, SIG_R_TOO_LARGE,
                       "file is %zu bytes, over the limit of %zu bytes (max_rule_bytes)", len,
                       sp_limits.max_rule_bytes);
        count_rejected(s, SIG_R_TOO_LARGE);
        return 1;
    }
    sig_yfile f;
    sp_diag yd;
    sig_reason why = SIG_R_YAML;
    int rc = sig_yaml_parse(&s->arena, fname, ftext, len, sp_limits.max_rule_depth, &f, &yd, &why);
    size_t loaded_docs = 0;
    for (size_t i = 0; i < f.ndocs; i++) {
        const sig_ynode *root = f.docs[i].root;
        if (!root || (root->kind == SIG_Y_SCALAR && root->type == SIG_YT_NULL && !f.docs[i].bad))
            continue; /* an empty document, e.g. after a trailing `---` */
        load_doc(s, &f, &f.docs[i], (uint32_t)i);
        loaded_docs++;
    }
    if (rc) {
        SP_GROW(s->diags, s->cdiags, s->ndiags + 1);
        sig_diag *d = &s->diags[s->ndiags++];
        d->d = yd;
        d->reason = why;
        sp_diag_attach_source(&d->d, ftext, len);
        s->stats.errors++;
        s->stats.documents++;
        count_rejected(s, why);
    } else if (!loaded_docs) {
        report(s, (sig_pos){fname, 0, 0}, true, SIG_R_W_FORMAT,
                       "no YAML document in this file");
        if (s->opt.strict)
            count_rejected(s, SIG_R_W_FORMAT);
    }
    return (int)(s->stats.rejected - before);
}

int sig_set_load_file(sig_set *s, const char *path)
{
    sp_buf b = {0};
    if (sp_read_file(path, &b) != 0) {
        const char *fname = sig_strdup(&s->arena, path, strlen(path));
        report(s, (sig_pos){fname, 0, 0}, false, SIG_R_IO, "cannot read: %s",
                       strerror(errno));
        s->stats.files++;
        count_rejected(s, SIG_R_IO);
        sp_buf_free(&b);
        return -1;
    }
    int rc = sig_set_load_text(s, path, b.data ? b.data : "", b.len);
    sp_buf_free(&b);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool yaml_name(const char *n)
{
    size_t l = strlen(n);
    return (l > 4 && !strcmp(n + l - 4, ".yml")) || (l > 5 && !strcmp(n + l - 5, ".yaml"));
}

int sig_set_load_path(sig_set *s, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return sig_set_load_file(s, path);
    DIR *dir = opendir(path);
    if (!dir) {
        const char *fname = sig_strdup(&s->arena, path, strlen(path));
        report(s, (sig_pos){fname, 0, 0}, false, SIG_R_IO, "cannot open directory: %s",
                       strerror(errno));
        count_rejected(s, SIG_R_IO);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue;
        SP_GROW(names, cap, n + 1);
        names[n++] = sp_xstrdup(e->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof *names, cmp_str);
    int rejected = 0;
    for (size_t i = 0; i < n; i++) {
        sp_buf full = {0};
        sp_buf_printf(&full, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", names[i]);
        const char *fp = sp_buf_cstr(&full);
        if (stat(fp, &st) == 0 && S_ISDIR(st.st_mode)) {
            int r = sig_set_load_path(s, fp);
            rejected += r > 0 ? r : r < 0 ? 1 : 0;
        } else if (yaml_name(names[i])) {
            int r = sig_set_load_file(s, fp);
            rejected += r > 0 ? r : r < 0 ? 1 : 0;
        }
        sp_buf_free(&full);
        free(names[i]);
    }
    free(names);
    return rejected;
}

/* ---- resolution ----------------------------------------------------------------------------- */

typedef struct target {
    const void *slot;
    bool is_corr;
} target;

static const char *doc_label(const sig_meta *m)
{
    return m->name ? m->name : m->id ? m->id : m->title;
}

/* The one place a loaded document is taken back, so the counts always add up. */
static void reject(sig_set *s, bool *dead, sig_kind kind, sig_reason why)
{
    if (*dead)
        return;
    *dead = true;
    s->stats.loaded[kind]--;
    count_rejected(s, why);
}

/* id/name lookup over live rules and correlations. */
static bool lookup(const sig_set *s, const char *ref, target *t)
{
    for (size_t i = 0; i < s->nrules; i++) {
        const sig_meta *m = &s->rules[i]->r.meta;
        if (!s->rules[i]->dead &&
            ((m->id && !strcmp(m->id, ref)) || (m->name && !strcmp(m->name, ref)))) {
            *t = (target){s->rules[i], false};
            return true;
        }
    }
    for (size_t i = 0; i < s->ncorrs; i++) {
        const sig_meta *m = &s->corrs[i]->c.meta;
        if (!s->corrs[i]->dead &&
            ((m->id && !strcmp(m->id, ref)) || (m->name && !strcmp(m->name, ref)))) {
            *t = (target){s->corrs[i], true};
            return true;
        }
    }
    return false;
}

/* Duplicate ids and names make references ambiguous: the later document is rejected. */
static void check_duplicates(sig_set *s)
{
    size_t total = s->nrules + s->ncorrs;
    for (size_t i = 0; i < total; i++) {
        bool ci = i >= s->nrules;
        const sig_meta *mi = ci ? &s->corrs[i - s->nrules]->c.meta : &s->rules[i]->r.meta;
        for (size_t j = 0; j < i; j++) {
            bool cj = j >= s->nrules;
            if ((cj ? s->corrs[j - s->nrules]->dead : s->rules[j]->dead))
                continue;
            const sig_meta *mj = cj ? &s->corrs[j - s->nrules]->c.meta : &s->rules[j]->r.meta;
            const char *what = NULL, *val = NULL;
            if (mi->id && mj->id && !strcmp(mi->id, mj->id))
                what = "id", val = mi->id;
            else if (mi->name && mj->name && !strcmp(mi->name, mj->name))
                what = "name", val = mi->name;
            else if (mi->id && mj->name && !strcmp(mi->id, mj->name))
                what = "id", val = mi->id;
            else if (mi->name && mj->id && !strcmp(mi->name, mj->id))
                what = "name", val = mi->name;
            if (!what)
                continue;
            report(s, mi->pos, false, SIG_R_DUPLICATE_ID,
                           "%s '%s' is already used by the document at %s:%d", what, val,
                           mj->pos.file, mj->pos.line);
            if (ci)
                reject(s, &s->corrs[i - s->nrules]->dead, SIG_DOC_CORRELATION, SIG_R_DUPLICATE_ID);
            else
                reject(s, &s->rules[i]->dead, SIG_DOC_RULE, SIG_R_DUPLICATE_ID);
            break;
        }
    }
}

static bool same_target(const target *a, const void *slot)
{
    return a->slot == slot;
}

static void resolve_corr_refs(sig_set *s, corr_slot *k)
{
    sig_corr *c = &k->c;
    k->targets = sp_arena_calloc(&s->arena, (c->nrules + 1) * sizeof *k->targets);
    k->target_is_corr = sp_arena_calloc(&s->arena, c->nrules + 1);
    for (uint32_t i = 0; i < c->nrules; i++) {
        target t;
        if (!lookup(s, c->rules[i].text, &t)) {
            report(s, c->rules[i].pos, false, SIG_R_REFERENCE,
                           "correlation rule reference '%s' matches no rule id or name",
                           c->rules[i].text);
            reject(s, &k->dead, SIG_DOC_CORRELATION, SIG_R_REFERENCE);
            return;
        }
        if (t.slot == k) {
            report(s, c->rules[i].pos, false, SIG_R_CORRELATION,
                           "a correlation cannot reference itself");
            reject(s, &k->dead, SIG_DOC_CORRELATION, SIG_R_CORRELATION);
            return;
        }
        for (uint32_t j = 0; j < i; j++) {
            if (k->targets[j] == t.slot) {
                report(s, c->rules[i].pos, false, SIG_R_CORRELATION,
                               "rule '%s' is referenced twice", c->rules[i].text);
                reject(s, &k->dead, SIG_DOC_CORRELATION, SIG_R_CORRELATION);
                return;
            }
        }
        k->targets[i] = t.slot;
        k->target_is_corr[i] = t.is_corr;
    }
    for (uint32_t a = 0; a < c->naliases; a++) {
        const sig_alias *al = &c->aliases[a];
        for (uint32_t f = 0; f < al->nfields; f++) {
            target t;
            bool found = lookup(s, al->fields[f].rule.text, &t);
            uint32_t at = c->nrules;
            for (uint32_t i = 0; found && i < c->nrules; i++)
                if (same_target(&t, k->targets[i]))
                    at = i;
            if (!found || at == c->nrules) {
                report(s, al->fields[f].rule.pos, false, SIG_R_CORRELATION,
                               "alias '%s': '%s' is not one of the correlation's rules",
                               al->name, al->fields[f].rule.text);
                reject(s, &k->dead, SIG_DOC_CORRELATION, SIG_R_CORRELATION);
                return;
            }
            ((sig_alias_field *)&al->fields[f])->rule.kind =
                t.is_corr ? SIG_DOC_CORRELATION : SIG_DOC_RULE;
        }
        if (al->nfields != c->nrules) {
            for (uint32_t i = 0; i < c->nrules; i++) {
                bool have = false;
                for (uint32_t f = 0; f < al->nfields; f++) {
                    target t;
                    if (lookup(s, al->fields[f].rule.text, &t) && t.slot == k->targets[i])
                        have = true;
                }
                if (!have) {
                    report(s, al->pos, false, SIG_R_CORRELATION,
                                   "alias '%s' names no field for rule '%s'", al->name,
                                   c->rules[i].text);
                    reject(s, &k->dead, SIG_DOC_CORRELATION, SIG_R_CORRELATION);
                    return;
                }
            }
        }
    }
}

static bool corr_cycle(sig_set *s, corr_slot *k)
{
    if (k->visit == 1)
        return true;
    if (k->visit == 2 || k->dead || !k->targets)
        return false;
    k->visit = 1;
    for (uint32_t i = 0; i < k->c.nrules; i++) {
        if (k->target_is_corr[i] && corr_cycle(s, (corr_slot *)k->targets[i])) {
            k->visit = 2;
            if (!k->dead) {
                report(s, k->c.meta.pos, false, SIG_R_CORRELATION,
                               "correlation '%s' is part of a reference cycle",
                               doc_label(&k->c.meta));
                reject(s, &k->dead, SIG_DOC_CORRELATION, SIG_R_CORRELATION);
            }
            return true;
        }
    }
    k->visit = 2;
    return false;
}

/* Rejects correlations that depend on a rejected document, until nothing changes. */
static void propagate_dead(sig_set *s)
{
    bool changed = true;
    while (changed) {
        changed = false;
        for (size_t i = 0; i < s->ncorrs; i++) {
            corr_slot *k = s->corrs[i];
            if (k->dead || !k->targets)
                continue;
            for (uint32_t j = 0; j < k->c.nrules; j++) {
                bool dead = k->target_is_corr[j] ? ((const corr_slot *)k->targets[j])->dead
                                                 : ((const rule_slot *)k->targets[j])->dead;
                if (dead) {
                    report(s, k->c.rules[j].pos, false, SIG_R_REFERENCE,
                                   "references '%s', which was rejected", k->c.rules[j].text);
                    reject(s, &k->dead, SIG_DOC_CORRELATION, SIG_R_REFERENCE);
                    changed = true;
                    break;
                }
            }
        }
    }
}

static bool ls_field_ok(const char *f, const char *r)
{
    return !f || (r && !strcmp(f, r));
}

static bool logsource_compatible(const sig_logsource *flt, const sig_logsource *rule)
{
    return ls_field_ok(flt->category, rule->category) && ls_field_ok(flt->product, rule->product) &&
           ls_field_ok(flt->service, rule->service);
}

static void describe_ls(char *buf, size_t cap, const sig_logsource *l)
{
    const char *names[3] = {"category", "product", "service"};
    const char *vals[3] = {l->category, l->product, l->service};
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < 3; i++)
        if (vals[i] && n < cap)
            n += (size_t)snprintf(buf + n, cap - n, "%s%s: %s", n ? ", " : "", names[i], vals[i]);
}

typedef struct applied {
    rule_slot *rule;
    filter_slot *filter;
} applied;

static void resolve_filters(sig_set *s, applied **app, size_t *napp, size_t *capp)
{
    for (size_t i = 0; i < s->nfilters; i++) {
        filter_slot *fs = s->filters[i];
        sig_filter *f = &fs->f;
        size_t mark = *napp;
        if (f->any) {
            for (size_t r = 0; r < s->nrules; r++) {
                if (s->rules[r]->dead || !logsource_compatible(&f->logsource, &s->rules[r]->r.logsource))
                    continue;
                SP_GROW(*app, *capp, *napp + 1);
                (*app)[(*napp)++] = (applied){s->rules[r], fs};
            }
            continue;
        }
        for (uint32_t j = 0; j < f->nrules && !fs->dead; j++) {
            target t;
            const sig_ref *ref = &f->rules[j];
            if (!lookup(s, ref->text, &t)) {
                report(s, ref->pos, false, SIG_R_REFERENCE,
                               "filter rule reference '%s' matches no rule id or name", ref->text);
                reject(s, &fs->dead, SIG_DOC_FILTER, SIG_R_REFERENCE);
            } else if (t.is_corr) {
                report(s, ref->pos, false, SIG_R_FILTER,
                               "'%s' is a correlation; filters apply to detection rules", ref->text);
                reject(s, &fs->dead, SIG_DOC_FILTER, SIG_R_FILTER);
            } else if (!logsource_compatible(&f->logsource, &((const rule_slot *)t.slot)->r.logsource)) {
                char a[200], b[200];
                describe_ls(a, sizeof a, &f->logsource);
                describe_ls(b, sizeof b, &((const rule_slot *)t.slot)->r.logsource);
                report(s, ref->pos, false, SIG_R_FILTER,
                               "filter logsource (%s) does not cover rule '%s' (%s)", a, ref->text,
                               b);
                reject(s, &fs->dead, SIG_DOC_FILTER, SIG_R_FILTER);
            } else {
                SP_GROW(*app, *capp, *napp + 1);
                (*app)[(*napp)++] = (applied){(rule_slot *)t.slot, fs};
            }
        }
        if (fs->dead)
            *napp = mark;
    }
}

int sig_set_resolve(sig_set *s)
{
    size_t before = s->stats.rejected;
    check_duplicates(s);
    for (size_t i = 0; i < s->ncorrs; i++)
        if (!s->corrs[i]->dead)
            resolve_corr_refs(s, s->corrs[i]);
    for (size_t i = 0; i < s->ncorrs; i++)
        corr_cycle(s, s->corrs[i]);
    propagate_dead(s);

    applied *app = NULL;
    size_t napp = 0, capp = 0;
    resolve_filters(s, &app, &napp, &capp);

    /* compact and number */
    size_t n = 0;
    for (size_t i = 0; i < s->nrules; i++)
        if (!s->rules[i]->dead) {
            s->rules[i]->index = (uint32_t)n;
            s->rules[n++] = s->rules[i];
        }
    s->nrules = n;
    n = 0;
    for (size_t i = 0; i < s->ncorrs; i++)
        if (!s->corrs[i]->dead) {
            s->corrs[i]->index = (uint32_t)n;
            s->corrs[n++] = s->corrs[i];
        }
    s->ncorrs = n;
    n = 0;
    for (size_t i = 0; i < s->nfilters; i++)
        if (!s->filters[i]->dead)
            s->filters[n++] = s->filters[i];
    s->nfilters = n;

    /* references -> indexes */
    for (size_t i = 0; i < s->ncorrs; i++) {
        corr_slot *k = s->corrs[i];
        for (uint32_t j = 0; j < k->c.nrules; j++) {
            sig_ref *r = (sig_ref *)&k->c.rules[j];
            r->kind = k->target_is_corr[j] ? SIG_DOC_CORRELATION : SIG_DOC_RULE;
            r->index = k->target_is_corr[j] ? ((const corr_slot *)k->targets[j])->index
                                            : ((const rule_slot *)k->targets[j])->index;
            if (!k->c.generate) {
                if (k->target_is_corr[j])
                    ((corr_slot *)k->targets[j])->c.standalone = false;
                else
                    ((rule_slot *)k->targets[j])->r.standalone = false;
            }
        }
        for (uint32_t a = 0; a < k->c.naliases; a++) {
            const sig_alias *al = &k->c.aliases[a];
            for (uint32_t f = 0; f < al->nfields; f++) {
                target t;
                if (lookup(s, al->fields[f].rule.text, &t)) {
                    sig_ref *r = (sig_ref *)&al->fields[f].rule;
                    r->index = t.is_corr ? ((const corr_slot *)t.slot)->index
                                         : ((const rule_slot *)t.slot)->index;
                }
            }
        }
    }

    /* filters: targets and the rewritten rule programs */
    for (size_t i = 0; i < s->nfilters; i++) {
        filter_slot *fs = s->filters[i];
        uint32_t cnt = 0;
        for (size_t a = 0; a < napp; a++)
            if (app[a].filter == fs)
                cnt++;
        uint32_t *t = sp_arena_alloc(&s->arena, (cnt + 1) * sizeof *t);
        uint32_t m = 0;
        for (size_t a = 0; a < napp; a++)
            if (app[a].filter == fs)
                t[m++] = app[a].rule->index;
        fs->f.targets = t;
        fs->f.ntargets = m;
        for (uint32_t j = 0; j < fs->f.nrules; j++) {
            target tg;
            if (lookup(s, fs->f.rules[j].text, &tg))
                ((sig_ref *)&fs->f.rules[j])->index = ((const rule_slot *)tg.slot)->index;
        }
    }
    for (size_t r = 0; r < s->nrules; r++) {
        rule_slot *rs = s->rules[r];
        uint32_t cnt = 0;
        for (size_t a = 0; a < napp; a++)
            if (app[a].rule == rs)
                cnt++;
        rs->r.expr = rs->r.detection;
        rs->r.nfilters = 0;
        if (!cnt)
            continue;
        uint32_t *fl = sp_arena_alloc(&s->arena, cnt * sizeof *fl);
        sig_expr *and = sig_expr_new(&s->arena, SIG_X_AND, rs->r.detection->pos, cnt + 1);
        const sig_expr **kids = (const sig_expr **)and->kids;
        kids[0] = rs->r.detection;
        uint32_t m = 0;
        for (size_t a = 0; a < napp; a++) {
            if (app[a].rule != rs)
                continue;
            for (size_t fi = 0; fi < s->nfilters; fi++)
                if (s->filters[fi] == app[a].filter)
                    fl[m] = (uint32_t)fi;
            sig_expr *not = sig_expr_new(&s->arena, SIG_X_NOT, app[a].filter->f.expr->pos, 1);
            ((const sig_expr **)not->kids)[0] = app[a].filter->f.expr;
            kids[++m] = not;
        }
        rs->r.filters = fl;
        rs->r.nfilters = m;
        rs->r.expr = and;
    }
    free(app);
    s->resolved = true;
    return (int)(s->stats.rejected - before);
}

size_t sig_set_count(const sig_set *s, sig_kind k)
{
    return k == SIG_DOC_RULE ? s->nrules : k == SIG_DOC_CORRELATION ? s->ncorrs : s->nfilters;
}

const sig_rule *sig_set_rule(const sig_set *s, size_t i)
{
    return i < s->nrules ? &s->rules[i]->r : NULL;
}

const sig_corr *sig_set_corr(const sig_set *s, size_t i)
{
    return i < s->ncorrs ? &s->corrs[i]->c : NULL;
}

const sig_filter *sig_set_filter(const sig_set *s, size_t i)
{
    return i < s->nfilters ? &s->filters[i]->f : NULL;
}

bool sig_set_find(const sig_set *s, const char *ref, sig_kind *kind, uint32_t *index)
{
    target t;
    if (!lookup(s, ref, &t))
        return false;
    *kind = t.is_corr ? SIG_DOC_CORRELATION : SIG_DOC_RULE;
    *index = t.is_corr ? ((const corr_slot *)t.slot)->index : ((const rule_slot *)t.slot)->index;
    return true;
}

size_t sig_set_ndiags(const sig_set *s)
{
    return s->ndiags;
}

const sig_diag *sig_set_diag(const sig_set *s, size_t i)
{
    return i < s->ndiags ? &s->diags[i] : NULL;
}

void sig_set_stats(const sig_set *s, sig_stats *out)
{
    *out = s->stats;
}
