/* binding.c — a rule's plans bound to the schemas of the tables it reads, and bound again
 * when a table with no declared schema appears or grows.
 *
 * A plan addresses columns by their position in the schema it was bound to. Declared
 * tables have one fixed schema, so a rule over them is bound once at load. A table
 * inferred from the data (an unmapped Sigma logsource's `Events`, `--table NAME`, custom
 * tables) usually does not exist when rules load, and gains a column the first time a
 * record has a new field: a plan bound earlier would read the wrong columns, fold a field
 * that appears later to "absent", or (KQL) not bind at all. Such "open" rules keep their
 * source (the KQL text, or the Sigma set) and the schema version of every table they read;
 * before each run the versions are compared, and when one moved the rule is bound again
 * against the current schemas. Schemas only grow and a sealed chunk's columns are in the
 * schema current when it sealed, so a plan bound at run time reads every chunk it is given
 * by the right positions (columns a chunk predates read as absent). Schemas grow a bounded
 * number of times (sp_limits.max_columns, type widenings), so rebinding is rare; runs of
 * rules over declared tables take no lock here.
 *
 * A run holds a reference to the binding it executes, so a rebinding in another seal
 * thread never frees a plan in use.
 */
#include "engine/runtime/runtime_int.h"

#include <stdlib.h>
#include <string.h>

#include "engine/kql/kql.h"
#include "sigma/sigma.h"

void rt_bound_free(rt_bound *b)
{
    if (!b)
        return;
    kplan_free(b->plan);
    kplan_free(b->evidence);
    free(b);
}

void rt_sigsrc_unref(rt_sigsrc *s)
{
    if (!s || --s->refs > 0)
        return;
    sig_set_free(s->set);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ---- the tables a rule reads ---- */

typedef struct names {
    char **v;
    int n;
} names;

static void names_add(names *ns, const char *name)
{
    for (int i = 0; i < ns->n; i++)
        if (!strcmp(ns->v[i], name))
            return;
    ns->v = sp_xrealloc(ns->v, sizeof(char *) * (size_t)(ns->n + 1));
    ns->v[ns->n++] = sp_xstrdup(name);
}

static void on_table(void *ctx, const char *name)
{
    names_add(ctx, name);
}

static void plan_names(const kplan *p, names *ns)
{
    char **t;
    int n = p ? rt_plan_tables(p, &t) : 0;
    for (int i = 0; i < n; i++)
        names_add(ns, t[i]);
    if (n)
        free(t);
}

static uint32_t table_version(rt_engine *e, const char *name)
{
    sp_table *t = sp_store_find(e->store, name);
    return t ? sp_table_schema(t)->version : RT_NO_TABLE;
}

/* Installs ns as the rule's tables (taking the names); the versions of tables it read
 * before are `before` (per old table), new ones get RT_NO_TABLE when known_now is false so
 * the next run checks them again. */
static void set_tables(rt_engine *e, rt_rule *r, names *ns, const uint32_t *before, bool known_now)
{
    uint32_t *ver = sp_xmalloc(sizeof(uint32_t) * (size_t)(ns->n ? ns->n : 1));
    for (int i = 0; i < ns->n; i++) {
        ver[i] = known_now ? table_version(e, ns->v[i]) : RT_NO_TABLE;
        for (int k = 0; k < r->ntables && before; k++)
            if (!strcmp(r->tables[k], ns->v[i]))
                ver[i] = before[k];
        if (!sp_schema_declared(ns->v[i]))
            r->open = true;
    }
    bool same = ns->n == r->ntables;
    for (int i = 0; i < ns->n && same; i++)
        same = !strcmp(ns->v[i], r->tables[i]);
    free(r->bound_ver);
    r->bound_ver = ver;
    /* Usually the same tables: keep the array (a caller may be walking it). */
    char **drop = same ? ns->v : r->tables;
    int ndrop = same ? ns->n : r->ntables;
    if (!same) {
        r->tables = ns->v;
        r->ntables = ns->n;
    }
    for (int i = 0; i < ndrop; i++)
        free(drop[i]);
    free(drop);
    memset(ns, 0, sizeof *ns);
}

/* ---- table-dictionary ids ---- */

/* The columns a rule's plans read through table-dictionary ids (predicates with cached
 * verdicts, summarize keys and dcount arguments, in subqueries too) are indexed as their
 * chunks are sealed from now on: rules load before ingest, so the runs on seal find every
 * chunk indexed instead of indexing it themselves. The paths of dynamic columns their
 * filters read are declared too, for extraction in one walk (kexec_want_gids). */
static void want_gids(rt_engine *e, const rt_bound *b)
{
    kexec_want_gids(b->plan, e->store);
    kexec_want_gids(b->evidence, e->store);
}

/* ---- binding from the source ---- */

/* Binds the rule's plans against the current schemas into a new binding (NULL: err, with
 * *missing telling whether it names something that does not exist yet). Tables it reads,
 * or reached before failing, are added to ns. */
static rt_bound *bind_source(rt_engine *e, rt_rule *r, names *ns, bool *missing, sig_warnings *warn, sp_diag *err)
{
    rt_bound *b = sp_xcalloc(1, sizeof *b);
    *missing = false;
    if (r->query) {
        kql_bind_env env;
        memset(&env, 0, sizeof env);
        env.store = e->store;
        env.bagunpack_schema = kexec_bagunpack_hook;
        env.ctx = e->store;
        env.on_table = on_table;
        env.table_ctx = ns;
        env.missing_name = missing;
        if (kql_compile(r->query, strlen(r->query), &env, &b->plan, err) != 0) {
            /* Position the error in the YAML file: the query starts on the line after
             * `query: |`. */
            snprintf(err->file, sizeof err->file, "%s", r->file);
            err->line = err->line > 0 ? err->line + r->qline : r->qline;
            free(b);
            return NULL;
        }
    } else {
        sig_lower_opts lo = {.mapping = e->sigma_mapping, .store = e->store};
        pthread_mutex_lock(&r->sig->mu);
        int rc = sig_lower(r->sig->set, (sig_kind)r->sig_kind, r->sig_index, &lo, &b->plan, warn, err);
        if (rc == 0 && r->sig_kind == SIG_DOC_CORRELATION &&
            sig_lower_evidence(r->sig->set, r->sig_index, &lo, &b->evidence, err) < 0)
            rc = -1;
        pthread_mutex_unlock(&r->sig->mu);
        if (rc != 0) {
            rt_bound_free(b);
            return NULL;
        }
    }
    plan_names(b->plan, ns);
    plan_names(b->evidence, ns);
    want_gids(e, b);
    b->refs = 1; /* the rule's own */
    return b;
}

int rt_rule_bind_first(rt_engine *e, rt_rule *r, sig_warnings *warn, sp_diag *err)
{
    names ns = {0};
    bool missing;
    r->bound = bind_source(e, r, &ns, &missing, warn, err);
    set_tables(e, r, &ns, NULL, true);
    if (r->bound) {
        if (!r->open && r->sig) {
            rt_sigsrc_unref(r->sig); /* declared tables only: never bound again */
            r->sig = NULL;
        }
        return 0;
    }
    if (!r->open || !missing)
        return -1;
    r->bind_err = *err;
    return 1;
}

/* Whether a table the rule reads appeared or grew since it was bound (r->mu held). */
static bool schemas_moved(rt_engine *e, const rt_rule *r)
{
    for (int i = 0; i < r->ntables; i++)
        if (table_version(e, r->tables[i]) != r->bound_ver[i])
            return true;
    return false;
}

/* Binds again (r->mu held). The versions are read before binding: a schema that grows
 * meanwhile is bound once more on the next run. */
static void rebind(rt_engine *e, rt_rule *r)
{
    uint32_t *before = sp_xmalloc(sizeof(uint32_t) * (size_t)(r->ntables ? r->ntables : 1));
    for (int i = 0; i < r->ntables; i++)
        before[i] = table_version(e, r->tables[i]);
    names ns = {0};
    bool missing;
    sp_diag d;
    memset(&d, 0, sizeof d);
    rt_bound *b = bind_source(e, r, &ns, &missing, NULL, &d);
    set_tables(e, r, &ns, before, false);
    free(before);
    if (r->bound && --r->bound->refs == 0)
        rt_bound_free(r->bound);
    r->bound = b;
    if (!b)
        r->bind_err = d;
}

rt_bound *rt_rule_acquire(rt_engine *e, rt_rule *r, sp_diag *err)
{
    if (!r->open)
        return r->bound;
    pthread_mutex_lock(&r->mu);
    if (schemas_moved(e, r))
        rebind(e, r);
    rt_bound *b = r->bound;
    if (b)
        b->refs++;
    else
        *err = r->bind_err;
    pthread_mutex_unlock(&r->mu);
    return b;
}

void rt_rule_release(rt_rule *r, rt_bound *b)
{
    if (!r->open || !b)
        return;
    pthread_mutex_lock(&r->mu);
    bool last = --b->refs == 0;
    pthread_mutex_unlock(&r->mu);
    if (last)
        rt_bound_free(b);
}

bool rt_rule_reads(rt_rule *r, const char *table)
{
    if (r->open)
        pthread_mutex_lock(&r->mu);
    bool found = false;
    for (int i = 0; i < r->ntables && !found; i++)
        found = !strcmp(r->tables[i], table);
    if (r->open)
        pthread_mutex_unlock(&r->mu);
    return found;
}
