/* mapping.c — the Sigma field mapping configuration: logsource -> table(s), Sigma field
 * name -> column (sigma/mappings/microsoft.yml is the shipped one; its header and
 * docs/sigma-mapping.md give the format).
 *
 * A mapping is data and lookups only; resolving a name against a table's schema is the
 * lowering's job (lower.c), which asks here first. Several files stack: `--mapping FILE`
 * extends the shipped mapping, and its entries take precedence, so the lists are kept in
 * precedence order (newest file first, then file order). Lookups are linear scans: a
 * mapping has tens of entries and lowering happens once per rule, not per event.
 */
#include "sigma/sig_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct map_ls {
    const char *category, *product, *service;
    const char **tables;
    size_t ntables;
} map_ls;

typedef struct map_field {
    const char *from, *to;
} map_field;

typedef struct map_set {
    const char **tables;
    size_t ntables;
    const char **strip;
    size_t nstrip;
    map_field *fields;
    size_t nfields;
    const char **paths;
    size_t npaths;
} map_set;

struct sig_mapping {
    sp_arena arena;
    map_ls *ls;
    size_t nls;
    map_set *sets;
    size_t nsets;
    const char *default_table;
    const char **time_fields;
    size_t ntime;
};

static int map_error(sp_diag *d, const char *name, const sig_ynode *n, const char *text, size_t len,
                     const char *fmt, ...) SP_PRINTF(6, 7);

static int map_error(sp_diag *d, const char *name, const sig_ynode *n, const char *text, size_t len,
                     const char *fmt, ...)
{
    memset(d, 0, sizeof *d);
    d->span = 1;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sp_diag_set(d, name, n ? n->line : 0, n ? n->col : 0, "%s", msg);
    if (n)
        sp_diag_attach_source(d, text, len);
    return -1;
}

typedef struct mctx {
    sig_mapping *m;
    const char *name, *text;
    size_t len;
    sp_diag *d;
} mctx;

static bool is_str(const sig_ynode *n)
{
    return n && n->kind == SIG_Y_SCALAR && n->type != SIG_YT_NULL && n->len > 0;
}

/* A scalar or a list of scalars into an array of strings. */
static int str_list(mctx *c, const sig_ynode *n, const char *what, const char ***out, size_t *nout)
{
    size_t k = n->kind == SIG_Y_SEQ ? n->n : 1;
    const char **v = sp_arena_alloc(&c->m->arena, sizeof(char *) * (k ? k : 1));
    for (size_t i = 0; i < k; i++) {
        const sig_ynode *e = n->kind == SIG_Y_SEQ ? n->items[i] : n;
        if (!is_str(e))
            return map_error(c->d, c->name, e, c->text, c->len, "%s must be a name or a list of names", what);
        v[i] = e->s;
    }
    *out = v;
    *nout = k;
    return 0;
}

static int check_keys(mctx *c, const sig_ynode *map, const char *const *allowed, const char *where)
{
    for (size_t i = 0; i < map->n; i++) {
        const sig_ynode *k = map->items[2 * i];
        bool ok = false;
        for (size_t j = 0; allowed[j] && !ok; j++)
            ok = !strcmp(k->s, allowed[j]);
        if (!ok)
            return map_error(c->d, c->name, k, c->text, c->len, "unknown key '%s' in %s", k->s, where);
    }
    return 0;
}

static int parse_logsource(mctx *c, const sig_ynode *e, map_ls *out)
{
    static const char *const keys[] = {"category", "product", "service", "tables", NULL};
    if (e->kind != SIG_Y_MAP)
        return map_error(c->d, c->name, e, c->text, c->len, "a logsources entry is a map (category, product, service, tables)");
    if (check_keys(c, e, keys, "a logsources entry"))
        return -1;
    memset(out, 0, sizeof *out);
    const char **sel[3] = {&out->category, &out->product, &out->service};
    for (int i = 0; i < 3; i++) {
        const sig_ynode *v = sig_ymap_get(e, keys[i]);
        if (!v)
            continue;
        if (!is_str(v))
            return map_error(c->d, c->name, v, c->text, c->len, "'%s' must be a name", keys[i]);
        *sel[i] = v->s;
    }
    if (!out->category && !out->product && !out->service)
        return map_error(c->d, c->name, e, c->text, c->len, "a logsources entry needs category, product or service");
    const sig_ynode *t = sig_ymap_get(e, "tables");
    if (!t)
        return map_error(c->d, c->name, e, c->text, c->len, "a logsources entry needs 'tables'");
    if (str_list(c, t, "'tables'", &out->tables, &out->ntables))
        return -1;
    if (!out->ntables)
        return map_error(c->d, c->name, t, c->text, c->len, "'tables' is empty");
    return 0;
}

static int parse_fieldset(mctx *c, const sig_ynode *e, map_set *out)
{
    static const char *const keys[] = {"tables", "strip", "fields", "paths", NULL};
    if (e->kind != SIG_Y_MAP)
        return map_error(c->d, c->name, e, c->text, c->len, "a fieldsets entry is a map (tables, strip, fields, paths)");
    if (check_keys(c, e, keys, "a fieldsets entry"))
        return -1;
    memset(out, 0, sizeof *out);
    const sig_ynode *t = sig_ymap_get(e, "tables");
    if (!t)
        return map_error(c->d, c->name, e, c->text, c->len, "a fieldsets entry needs 'tables'");
    if (str_list(c, t, "'tables'", &out->tables, &out->ntables))
        return -1;
    const sig_ynode *s = sig_ymap_get(e, "strip");
    if (s && str_list(c, s, "'strip'", &out->strip, &out->nstrip))
        return -1;
    const sig_ynode *p = sig_ymap_get(e, "paths");
    if (p && str_list(c, p, "'paths'", &out->paths, &out->npaths))
        return -1;
    const sig_ynode *f = sig_ymap_get(e, "fields");
    if (f) {
        if (f->kind != SIG_Y_MAP)
            return map_error(c->d, c->name, f, c->text, c->len, "'fields' is a map: Sigma field -> column or column.path");
        out->fields = sp_arena_alloc(&c->m->arena, sizeof(map_field) * (f->n ? f->n : 1));
        for (size_t i = 0; i < f->n; i++) {
            const sig_ynode *k = f->items[2 * i], *v = f->items[2 * i + 1];
            if (!is_str(v))
                return map_error(c->d, c->name, v, c->text, c->len, "field '%s' must map to a column name", k->s);
            out->fields[i].from = k->s;
            out->fields[i].to = v->s;
        }
        out->nfields = f->n;
    }
    return 0;
}

/* Parses one file and puts its entries in front of m's (they take precedence). */
static int parse_into(sig_mapping *m, const char *name, const char *text, size_t len, sp_diag *d)
{
    sig_yfile f;
    sig_reason reason;
    if (sig_yaml_parse(&m->arena, name, text, len, sp_limits.max_rule_depth, &f, d, &reason)) {
        sp_diag_attach_source(d, text, len);
        return -1;
    }
    mctx c = {m, name, text, len, d};
    if (f.ndocs == 1 && f.docs[0].bad) {
        *d = f.docs[0].diag;
        snprintf(d->file, sizeof d->file, "%s", name);
        sp_diag_attach_source(d, text, len);
        return -1;
    }
    const sig_ynode *root = f.ndocs == 1 ? f.docs[0].root : NULL;
    if (!root || root->kind != SIG_Y_MAP)
        return map_error(d, name, root, text, len, "a mapping file is one YAML map (version, logsources, fieldsets, ...)");
    static const char *const keys[] = {"version", "default_table", "time_fields", "logsources", "fieldsets", NULL};
    if (check_keys(&c, root, keys, "a mapping file"))
        return -1;
    const sig_ynode *v = sig_ymap_get(root, "version");
    if (v && !(v->type == SIG_YT_INT && v->i == 1))
        return map_error(d, name, v, text, len, "unsupported mapping version (this socpipe reads version 1)");
    const sig_ynode *dt = sig_ymap_get(root, "default_table");
    if (dt) {
        if (!is_str(dt))
            return map_error(d, name, dt, text, len, "'default_table' must be a table name");
        m->default_table = dt->s;
    }
    const sig_ynode *tf = sig_ymap_get(root, "time_fields");
    if (tf && str_list(&c, tf, "'time_fields'", &m->time_fields, &m->ntime))
        return -1;

    const sig_ynode *ls = sig_ymap_get(root, "logsources");
    if (ls) {
        if (ls->kind != SIG_Y_SEQ)
            return map_error(d, name, ls, text, len, "'logsources' is a list");
        map_ls *all = sp_arena_alloc(&m->arena, sizeof(map_ls) * (ls->n + m->nls + 1));
        for (size_t i = 0; i < ls->n; i++)
            if (parse_logsource(&c, ls->items[i], &all[i]))
                return -1;
        if (m->nls)
            memcpy(all + ls->n, m->ls, sizeof(map_ls) * m->nls);
        m->ls = all;
        m->nls += ls->n;
    }
    const sig_ynode *fs = sig_ymap_get(root, "fieldsets");
    if (fs) {
        if (fs->kind != SIG_Y_SEQ)
            return map_error(d, name, fs, text, len, "'fieldsets' is a list");
        map_set *all = sp_arena_alloc(&m->arena, sizeof(map_set) * (fs->n + m->nsets + 1));
        for (size_t i = 0; i < fs->n; i++)
            if (parse_fieldset(&c, fs->items[i], &all[i]))
                return -1;
        if (m->nsets)
            memcpy(all + fs->n, m->sets, sizeof(map_set) * m->nsets);
        m->sets = all;
        m->nsets += fs->n;
    }
    return 0;
}

static sig_mapping *mapping_new(void)
{
    sig_mapping *m = sp_xcalloc(1, sizeof *m);
    m->default_table = "Events";
    return m;
}

int sig_mapping_parse(const char *name, const char *text, size_t len, sig_mapping **out, sp_diag *d)
{
    *out = NULL;
    sig_mapping *m = mapping_new();
    /* The YAML layer keeps pointers into the text's copies in the arena; keep the text. */
    char *copy = sig_strdup(&m->arena, text, len);
    if (parse_into(m, name, copy, len, d)) {
        sig_mapping_free(m);
        return -1;
    }
    *out = m;
    return 0;
}

static int read_text(const char *path, sp_buf *b, sp_diag *d)
{
    if (sp_read_file(path, b) != 0) {
        memset(d, 0, sizeof *d);
        sp_diag_set(d, path, 0, 0, "cannot read the mapping file: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int sig_mapping_load(const char *path, sig_mapping **out, sp_diag *d)
{
    sp_buf b = {0};
    *out = NULL;
    if (read_text(path, &b, d)) {
        sp_buf_free(&b);
        return -1;
    }
    int rc = sig_mapping_parse(path, b.data ? b.data : "", b.len, out, d);
    sp_buf_free(&b);
    return rc;
}

int sig_mapping_extend(sig_mapping *m, const char *path, sp_diag *d)
{
    sp_buf b = {0};
    if (read_text(path, &b, d)) {
        sp_buf_free(&b);
        return -1;
    }
    char *copy = sig_strdup(&m->arena, b.data ? b.data : "", b.len);
    const char *name = sig_strdup(&m->arena, path, strlen(path));
    int rc = parse_into(m, name, copy, b.len, d);
    sp_buf_free(&b);
    return rc;
}

const char *sig_mapping_default_path(void)
{
    static char found[4200];
    const char *env = getenv("SP_SIGMA_MAPPING");
    if (env && *env)
        return env;
    /* Next to the binary (a checkout or an install tree), then the working directory. */
    char exe[4000];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = 0;
        static const char *const rel[] = {"sigma/mappings/microsoft.yml", "../share/socpipe/sigma/mappings/microsoft.yml",
                                          "../../sigma/mappings/microsoft.yml", "../../../sigma/mappings/microsoft.yml"};
        for (size_t i = 0; i < SP_ARRAY_LEN(rel); i++) {
            snprintf(found, sizeof found, "%s/%s", exe, rel[i]);
            if (access(found, R_OK) == 0)
                return found;
        }
    }
    return "sigma/mappings/microsoft.yml";
}

int sig_mapping_load_default(sig_mapping **out, sp_diag *d)
{
    return sig_mapping_load(sig_mapping_default_path(), out, d);
}

void sig_mapping_free(sig_mapping *m)
{
    if (!m)
        return;
    sp_arena_free(&m->arena);
    free(m);
}

/* ---- lookups ---- */

static bool ieq(const char *a, const char *b)
{
    return sp_ieq(a, strlen(a), b, strlen(b));
}

static bool set_has_table(const map_set *s, const char *table)
{
    for (size_t i = 0; i < s->ntables; i++)
        if (ieq(s->tables[i], table))
            return true;
    return false;
}

size_t sig_mapping_tables(const sig_mapping *m, const sig_logsource *ls, const char *const **out)
{
    static const char *const events[] = {"Events"};
    const map_ls *best = NULL;
    int best_score = 0;
    for (size_t i = 0; m && i < m->nls; i++) {
        const map_ls *e = &m->ls[i];
        const char *want[3] = {e->category, e->product, e->service};
        const char *have[3] = {ls->category, ls->product, ls->service};
        int score = 0;
        bool ok = true;
        for (int k = 0; k < 3 && ok; k++) {
            if (!want[k])
                continue;
            ok = have[k] && ieq(want[k], have[k]);
            score++;
        }
        if (ok && score > best_score) {
            best = e;
            best_score = score;
        }
    }
    if (best) {
        *out = best->tables;
        return best->ntables;
    }
    if (m) {
        *out = &m->default_table;
        return 1;
    }
    *out = events;
    return 1;
}

const char *sig_mapping_default_table(const sig_mapping *m)
{
    return m ? m->default_table : "Events";
}

size_t sig_mapping_time_fields(const sig_mapping *m, const char *const **out)
{
    static const char *const dflt[] = {"TimeGenerated", "time", "timestamp", "@timestamp", "EventTime", "CreationTime"};
    if (m && m->ntime) {
        *out = m->time_fields;
        return m->ntime;
    }
    *out = dflt;
    return SP_ARRAY_LEN(dflt);
}

bool sig_mapping_field(const sig_mapping *m, const char *table, const char *field, sp_buf *out)
{
    size_t fl = strlen(field);
    /* The whole name first, then ever shorter dotted prefixes, each across every fieldset
     * of the table in precedence order. */
    for (size_t cut = fl; m && cut > 0;) {
        for (size_t i = 0; i < m->nsets; i++) {
            const map_set *s = &m->sets[i];
            if (!set_has_table(s, table))
                continue;
            for (size_t j = 0; j < s->nfields; j++) {
                const char *from = s->fields[j].from;
                if (strlen(from) == cut && sp_ieq(from, cut, field, cut)) {
                    out->len = 0;
                    sp_buf_puts(out, s->fields[j].to);
                    sp_buf_append(out, field + cut, fl - cut);
                    sp_buf_cstr(out);
                    return true;
                }
            }
        }
        while (cut > 0 && field[cut - 1] != '.')
            cut--;
        if (cut > 0)
            cut--; /* drop the dot */
    }
    return false;
}

size_t sig_mapping_strip(const sig_mapping *m, const char *table, const char *field)
{
    for (size_t i = 0; m && i < m->nsets; i++) {
        const map_set *s = &m->sets[i];
        if (!set_has_table(s, table))
            continue;
        for (size_t j = 0; j < s->nstrip; j++) {
            size_t n = strlen(s->strip[j]);
            if (strlen(field) > n && sp_ieq(s->strip[j], n, field, n))
                return n;
        }
    }
    return 0;
}

const char *sig_mapping_canonical_path(const sig_mapping *m, const char *table, const char *colpath)
{
    for (size_t i = 0; m && i < m->nsets; i++) {
        const map_set *s = &m->sets[i];
        if (!set_has_table(s, table))
            continue;
        for (size_t j = 0; j < s->npaths; j++)
            if (ieq(s->paths[j], colpath))
                return s->paths[j];
    }
    return NULL;
}
