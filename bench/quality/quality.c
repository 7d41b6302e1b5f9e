/* quality.c — scoring alerts against labelled records (quality.h has the definitions).
 *
 * Alerts arrive while a replay runs, before every record's time is known, so each alert is
 * kept only as its rule and the labelled keys its events name; classification waits for
 * bq_score, when the instances can be cut from the labelled records' event times. Keys are
 * interned once in an open-addressing table (a run has thousands of labels, not millions),
 * and an alert's unlabelled keys are dropped as soon as they are read.
 */
#include "bench/quality/quality.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec.h"
#include "engine/kql/kql.h"

/* ---- an interning string table: string -> dense index ---- */

typedef struct strtab {
    sp_arena arena;
    const char **s;
    size_t *len;
    size_t n, cap;
    uint32_t *slot; /* index + 1; 0 = empty */
    size_t mask;
} strtab;

static uint64_t str_hash(const char *s, size_t n)
{
    return sp_hash64(s, n, 0x9e3779b97f4a7c15ull);
}

static long strtab_find(const strtab *t, const char *s, size_t n)
{
    if (!t->slot)
        return -1;
    for (size_t h = str_hash(s, n) & t->mask;; h = (h + 1) & t->mask) {
        uint32_t v = t->slot[h];
        if (!v)
            return -1;
        if (t->len[v - 1] == n && !memcmp(t->s[v - 1], s, n))
            return (long)(v - 1);
    }
}

static void strtab_rehash(strtab *t, size_t nslots)
{
    free(t->slot);
    t->slot = sp_xcalloc(nslots, sizeof *t->slot);
    t->mask = nslots - 1;
    for (size_t i = 0; i < t->n; i++) {
        size_t h = str_hash(t->s[i], t->len[i]) & t->mask;
        while (t->slot[h])
            h = (h + 1) & t->mask;
        t->slot[h] = (uint32_t)(i + 1);
    }
}

static size_t strtab_add(strtab *t, const char *s, size_t n)
{
    long f = strtab_find(t, s, n);
    if (f >= 0)
        return (size_t)f;
    if (!t->slot || (t->n + 1) * 2 > t->mask + 1)
        strtab_rehash(t, t->slot ? (t->mask + 1) * 2 : 64);
    size_t cap = t->cap;
    SP_GROW(t->s, t->cap, t->n + 1);
    if (t->cap != cap)
        t->len = sp_xrealloc(t->len, t->cap * sizeof *t->len);
    t->s[t->n] = sp_arena_strndup(&t->arena, s, n);
    t->len[t->n] = n;
    size_t h = str_hash(s, n) & t->mask;
    while (t->slot[h])
        h = (h + 1) & t->mask;
    t->slot[h] = (uint32_t)(t->n + 1);
    return t->n++;
}

static void strtab_free(strtab *t)
{
    sp_arena_free(&t->arena);
    free(t->s);
    free(t->len);
    free(t->slot);
}

/* ---- state ---- */

typedef struct bq_key {
    uint32_t scenario; /* index into scen */
    bool benign;
    bool labelled;
    bool has_time;
    int64_t time;
    uint32_t instance; /* within its scenario, set by bq_score */
} bq_key;

typedef struct bq_alert_rec {
    uint32_t rule;
    uint32_t first, n; /* keys[first .. first + n) of alert_keys */
} bq_alert_rec;

typedef struct bq_rule {
    char *id, *name;
    bool loaded; /* added by bq_add_rule or seen in an alert (map entries alone are not reported) */
    uint32_t *scen; /* scenarios it is mapped to */
    int nscen;
    bool mapped;
} bq_rule;

struct bq {
    pthread_mutex_t mu;
    strtab keys;  /* labelled record keys */
    bq_key *key;  /* per key */
    size_t capkey;
    strtab scen;  /* scenario names */
    strtab rule_ids;
    bq_rule *rules;
    size_t caprules;
    bq_alert_rec *alerts;
    size_t nalerts, capalerts;
    uint32_t *alert_keys;
    size_t nalert_keys, capalert_keys;
    sp_arena scratch;
    /* results */
    bq_results res;
    char **res_strings;
    size_t nres_strings;
};

bq *bq_new(void)
{
    bq *q = sp_xcalloc(1, sizeof *q);
    pthread_mutex_init(&q->mu, NULL);
    return q;
}

static void results_clear(bq *q)
{
    free(q->res.rules);
    free(q->res.scenarios);
    for (size_t i = 0; i < q->nres_strings; i++)
        free(q->res_strings[i]);
    free(q->res_strings);
    q->res_strings = NULL;
    q->nres_strings = 0;
    memset(&q->res, 0, sizeof q->res);
}

void bq_free(bq *q)
{
    if (!q)
        return;
    results_clear(q);
    strtab_free(&q->keys);
    free(q->key);
    strtab_free(&q->scen);
    for (size_t i = 0; i < q->rule_ids.n; i++) {
        free(q->rules[i].id);
        free(q->rules[i].name);
        free(q->rules[i].scen);
    }
    free(q->rules);
    strtab_free(&q->rule_ids);
    free(q->alerts);
    free(q->alert_keys);
    sp_arena_free(&q->scratch);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

/* ---- inputs ---- */

/* Calls fn for each non-empty, non-comment line of a file with its tab-separated fields. */
static int each_line(const char *path, sp_diag *d, void *ctx,
                     int (*fn)(void *ctx, const char *a, size_t an, const char *b, size_t bn, int line, sp_diag *d))
{
    sp_buf text = {0};
    if (sp_read_file(path, &text) != 0) {
        sp_diag_set(d, path, 0, 0, "cannot read the file");
        return -1;
    }
    const char *p = text.data, *end = text.data + text.len;
    int line = 0, rc = 0;
    while (p && p < end && rc == 0) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *le = e;
        if (le > p && le[-1] == '\r')
            le--;
        if (le > p && *p != '#') {
            const char *tab = memchr(p, '\t', (size_t)(le - p));
            if (!tab) {
                sp_diag_set(d, path, line, 1, "expected two tab-separated fields");
                rc = -1;
                break;
            }
            const char *b = tab + 1, *be = memchr(b, '\t', (size_t)(le - b));
            if (!be)
                be = le;
            rc = fn(ctx, p, (size_t)(tab - p), b, (size_t)(be - b), line, d);
        }
        p = nl ? nl + 1 : NULL;
    }
    sp_buf_free(&text);
    return rc;
}

static int label_line(void *ctx, const char *k, size_t kn, const char *l, size_t ln, int line, sp_diag *d)
{
    (void)line;
    (void)d;
    bq *q = ctx;
    bool benign = ln > 7 && !memcmp(l, "benign:", 7);
    if (benign) {
        l += 7;
        ln -= 7;
    }
    size_t s = strtab_add(&q->scen, l, ln);
    size_t i = strtab_add(&q->keys, k, kn);
    if (i >= q->capkey) {
        size_t old = q->capkey;
        SP_GROW(q->key, q->capkey, i + 1);
        memset(q->key + old, 0, (q->capkey - old) * sizeof *q->key);
    }
    /* A key labelled twice keeps its first attack label. */
    bq_key *key = &q->key[i];
    if (!key->labelled || (key->benign && !benign)) {
        key->scenario = (uint32_t)s;
        key->benign = benign;
        key->labelled = true;
    }
    return 0;
}

int bq_load_labels(bq *q, const char *path, sp_diag *d)
{
    return each_line(path, d, q, label_line);
}

static size_t rule_index(bq *q, const char *id, size_t n)
{
    size_t before = q->rule_ids.n;
    size_t i = strtab_add(&q->rule_ids, id, n);
    if (q->rule_ids.n != before) {
        SP_GROW(q->rules, q->caprules, q->rule_ids.n);
        memset(&q->rules[i], 0, sizeof q->rules[i]);
        q->rules[i].id = sp_xstrndup(id, n);
    }
    return i;
}

static int scenario_line(void *ctx, const char *id, size_t idn, const char *list, size_t ln, int line, sp_diag *d)
{
    (void)line;
    (void)d;
    bq *q = ctx;
    size_t ri = rule_index(q, id, idn); /* may move q->rules */
    bq_rule *r = &q->rules[ri];
    r->mapped = true;
    const char *p = list, *end = list + ln;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *e = c ? c : end;
        while (p < e && (*p == ' '))
            p++;
        const char *te = e;
        while (te > p && te[-1] == ' ')
            te--;
        if (te > p) {
            r->scen = sp_xrealloc(r->scen, sizeof *r->scen * (size_t)(r->nscen + 1));
            r->scen[r->nscen++] = (uint32_t)strtab_add(&q->scen, p, (size_t)(te - p));
        }
        p = c ? c + 1 : end;
    }
    return 0;
}

int bq_load_scenarios(bq *q, const char *path, sp_diag *d)
{
    return each_line(path, d, q, scenario_line);
}

void bq_add_rule(bq *q, const char *rule_id, const char *name)
{
    pthread_mutex_lock(&q->mu);
    size_t ri = rule_index(q, rule_id, strlen(rule_id)); /* may move q->rules */
    bq_rule *r = &q->rules[ri];
    r->loaded = true;
    if (name && !r->name)
        r->name = sp_xstrdup(name);
    pthread_mutex_unlock(&q->mu);
}

void bq_key_time(bq *q, const char *key, size_t n, int64_t t)
{
    long i = strtab_find(&q->keys, key, n);
    if (i < 0)
        return;
    bq_key *k = &q->key[i];
    if (!k->has_time || t < k->time) {
        k->time = t;
        k->has_time = true;
    }
}

int bq_key_times_from_store(bq *q, sp_store *store, sp_diag *d)
{
    static const char *const idcols[] = {"Id", "RecordId", "SystemAlertId"};
    sp_table *tabs[256];
    int nt = sp_store_tables(store, tabs, 256);
    for (int i = 0; i < nt; i++) {
        if (!sp_table_is_declared(tabs[i]))
            continue;
        const char *tn = sp_table_name(tabs[i]);
        const sp_schema *sc = sp_table_schema(tabs[i]);
        if (sp_schema_find(sc, "TimeGenerated", 13) < 0)
            continue;
        for (size_t k = 0; k <= SP_ARRAY_LEN(idcols); k++) {
            sp_buf qt = {0};
            if (k < SP_ARRAY_LEN(idcols)) {
                if (sp_schema_find(sc, idcols[k], strlen(idcols[k])) < 0)
                    continue;
                sp_buf_printf(&qt, "%s | project K = tostring(%s), TimeGenerated", tn, idcols[k]);
            } else {
                if (sp_schema_find(sc, "IncidentName", 12) < 0 || sp_schema_find(sc, "LastModifiedTime", 16) < 0)
                    continue;
                sp_buf_printf(&qt, "%s | project K = strcat(IncidentName, '@', tostring(LastModifiedTime)), TimeGenerated",
                              tn);
            }
            kql_bind_env env = {.store = store};
            kplan *plan;
            krowset *rs;
            if (kql_compile(qt.data, qt.len, &env, &plan, d) != 0) {
                sp_buf_free(&qt);
                return -1;
            }
            kexec_opts o = {.now = SP_UNIX_EPOCH_TICKS};
            int rc = kexec_run(plan, store, &o, &rs, d);
            kplan_free(plan);
            sp_buf_free(&qt);
            if (rc != 0)
                return -1;
            for (uint32_t r = 0, n = krowset_rows(rs); r < n; r++) {
                kval kv, tv;
                krowset_get(rs, r, 0, &kv);
                krowset_get(rs, r, 1, &tv);
                if (kv.u.s.n && !tv.null)
                    bq_key_time(q, kv.u.s.p, kv.u.s.n, tv.u.l);
            }
            krowset_free(rs);
        }
    }
    int found = 0;
    for (size_t i = 0; i < q->keys.n; i++)
        found += q->key[i].has_time;
    return found;
}

/* ---- alerts ---- */

/* A JSON string value's text (unescaped) in the scratch arena. */
static bool json_text(bq *q, kstr v, kstr *out)
{
    if (kj_typeof(v) != KJ_STRING)
        return false;
    kval s;
    kj_to_scalar(v, SP_TYPE_STRING, &q->scratch, &s);
    out->p = s.u.s.p;
    out->n = s.u.s.n;
    return true;
}

static void alert_key(bq *q, const char *s, size_t n, size_t first)
{
    long i = strtab_find(&q->keys, s, n);
    if (i < 0)
        return;
    for (size_t k = first; k < q->nalert_keys; k++)
        if (q->alert_keys[k] == (uint32_t)i)
            return;
    SP_GROW(q->alert_keys, q->capalert_keys, q->nalert_keys + 1);
    q->alert_keys[q->nalert_keys++] = (uint32_t)i;
}

static void event_keys(bq *q, kstr ev, size_t first)
{
    kj_iter it;
    if (!kj_obj_begin(ev, &it))
        return;
    kstr key, val, inc = {0}, mod = {0};
    while (kj_obj_next(&it, &key, &val)) {
        kstr t;
        if (kj_key_eq(key, "Id", 2) || kj_key_eq(key, "RecordId", 8) || kj_key_eq(key, "SystemAlertId", 13)) {
            if (json_text(q, val, &t))
                alert_key(q, t.p, t.n, first);
        } else if (kj_key_eq(key, "IncidentName", 12)) {
            json_text(q, val, &inc);
        } else if (kj_key_eq(key, "LastModifiedTime", 16)) {
            json_text(q, val, &mod);
        } else if (kj_typeof(val) == KJ_ARRAY) {
            kj_iter ai;
            kstr el;
            kj_arr_begin(val, &ai);
            while (kj_arr_next(&ai, &el))
                if (json_text(q, el, &t))
                    alert_key(q, t.p, t.n, first);
        }
    }
    if (inc.n && mod.n) {
        sp_buf b = {0};
        sp_buf_append(&b, inc.p, inc.n);
        sp_buf_putc(&b, '@');
        sp_buf_append(&b, mod.p, mod.n);
        alert_key(q, b.data, b.len, first);
        sp_buf_free(&b);
    }
}

int bq_alert(bq *q, const char *json, size_t len)
{
    kstr a = {json, (uint32_t)len}, v, rid, name = {0}, evs;
    pthread_mutex_lock(&q->mu);
    sp_arena_reset(&q->scratch);
    if (kj_typeof(a) != KJ_OBJECT || !kj_member(a, "RuleId", 6, &v) || !json_text(q, v, &rid)) {
        pthread_mutex_unlock(&q->mu);
        return -1;
    }
    if (kj_member(a, "AlertName", 9, &v))
        json_text(q, v, &name);
    size_t r = rule_index(q, rid.p, rid.n);
    q->rules[r].loaded = true;
    if (!q->rules[r].name && name.n)
        q->rules[r].name = sp_xstrndup(name.p, name.n);
    size_t first = q->nalert_keys;
    if (kj_member(a, "Events", 6, &evs)) {
        kj_iter it;
        kstr ev;
        kj_arr_begin(evs, &it);
        while (kj_arr_next(&it, &ev))
            event_keys(q, ev, first);
    }
    SP_GROW(q->alerts, q->capalerts, q->nalerts + 1);
    q->alerts[q->nalerts++] = (bq_alert_rec){(uint32_t)r, (uint32_t)first, (uint32_t)(q->nalert_keys - first)};
    pthread_mutex_unlock(&q->mu);
    return 0;
}

/* ---- scoring ---- */

typedef struct key_at {
    int64_t t;
    uint32_t key;
} key_at;

static int key_at_cmp(const void *a, const void *b)
{
    const key_at *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->key > y->key) - (x->key < y->key);
}

static bool rule_has(const bq_rule *r, uint32_t s)
{
    for (int i = 0; i < r->nscen; i++)
        if (r->scen[i] == s)
            return true;
    return false;
}

static const char *keep(bq *q, char *s)
{
    q->res_strings = sp_xrealloc(q->res_strings, sizeof(char *) * (q->nres_strings + 1));
    q->res_strings[q->nres_strings++] = s;
    return s;
}

const bq_results *bq_score(bq *q, uint64_t events, int64_t gap)
{
    pthread_mutex_lock(&q->mu);
    results_clear(q);
    if (gap <= 0)
        gap = 2 * SP_TICKS_PER_HOUR;
    size_t ns = q->scen.n, nk = q->keys.n, nr = q->rule_ids.n;
    /* Instances: per scenario, attack keys by time, cut at gaps. */
    uint64_t *ninst = sp_xcalloc(ns ? ns : 1, sizeof *ninst), *nrec = sp_xcalloc(ns ? ns : 1, sizeof *nrec);
    size_t *inst_base = sp_xcalloc(ns + 1, sizeof *inst_base);
    key_at *ka = sp_xmalloc(sizeof *ka * (nk ? nk : 1));
    for (size_t s = 0; s < ns; s++) {
        size_t m = 0;
        for (size_t k = 0; k < nk; k++)
            if (q->key[k].scenario == s && !q->key[k].benign && q->key[k].has_time)
                ka[m++] = (key_at){q->key[k].time, (uint32_t)k};
        if (m)
            qsort(ka, m, sizeof *ka, key_at_cmp);
        uint32_t inst = 0;
        for (size_t i = 0; i < m; i++) {
            if (i && ka[i].t - ka[i - 1].t > gap)
                inst++;
            q->key[ka[i].key].instance = inst;
        }
        nrec[s] = m;
        ninst[s] = m ? inst + 1 : 0;
    }
    for (size_t s = 0; s < ns; s++)
        inst_base[s + 1] = inst_base[s] + ninst[s];
    size_t total_inst = inst_base[ns];
    /* detected[rule][instance] and by any rule */
    uint8_t *by_rule = sp_xcalloc(total_inst ? total_inst : 1, 1), *by_any = sp_xcalloc(total_inst ? total_inst : 1, 1);
    bq_rule_result *rr = sp_xcalloc(nr ? nr : 1, sizeof *rr);
    int nout = 0;
    for (size_t r = 0; r < nr; r++) {
        const bq_rule *ru = &q->rules[r];
        if (!ru->loaded)
            continue;
        bq_rule_result *o = &rr[nout++];
        memset(by_rule, 0, total_inst ? total_inst : 1);
        o->rule_id = ru->id;
        o->name = ru->name ? ru->name : ru->id;
        sp_buf sl = {0};
        for (int i = 0; i < ru->nscen; i++) {
            if (i)
                sp_buf_putc(&sl, ',');
            sp_buf_puts(&sl, q->scen.s[ru->scen[i]]);
            o->instances += ninst[ru->scen[i]];
        }
        o->scenarios = keep(q, sp_xstrdup(sl.data ? sp_buf_cstr(&sl) : ""));
        sp_buf_free(&sl);
        for (size_t a = 0; a < q->nalerts; a++) {
            const bq_alert_rec *al = &q->alerts[a];
            if (al->rule != r)
                continue;
            o->alerts++;
            bool tp = false, near = false;
            for (uint32_t k = al->first; k < al->first + al->n; k++) {
                const bq_key *key = &q->key[q->alert_keys[k]];
                if (!rule_has(ru, key->scenario))
                    continue;
                if (key->benign) {
                    near = true;
                } else {
                    tp = true;
                    if (key->has_time) {
                        by_rule[inst_base[key->scenario] + key->instance] = 1;
                        by_any[inst_base[key->scenario] + key->instance] = 1;
                    }
                }
            }
            if (tp)
                o->tp++;
            else {
                o->fp++;
                o->near_miss_fp += near;
            }
        }
        for (int i = 0; i < ru->nscen; i++)
            for (size_t k = inst_base[ru->scen[i]]; k < inst_base[ru->scen[i] + 1]; k++)
                o->detected += by_rule[k];
        o->fn = o->instances - o->detected;
        o->precision = ru->mapped && o->alerts ? (double)o->tp / (double)o->alerts : -1;
        o->recall = ru->mapped && o->instances ? (double)o->detected / (double)o->instances : -1;
        o->alerts_per_million = events ? (double)o->alerts * 1e6 / (double)events : 0;
    }
    bq_scenario_result *sr = sp_xcalloc(ns ? ns : 1, sizeof *sr);
    for (size_t s = 0; s < ns; s++) {
        sr[s].name = q->scen.s[s];
        sr[s].records = nrec[s];
        sr[s].instances = ninst[s];
        for (size_t k = inst_base[s]; k < inst_base[s + 1]; k++)
            sr[s].detected += by_any[k];
        for (size_t r = 0; r < nr; r++)
            sr[s].nrules += q->rules[r].loaded && rule_has(&q->rules[r], (uint32_t)s);
    }
    q->res.rules = rr;
    q->res.nrules = nout;
    q->res.scenarios = sr;
    q->res.nscenarios = (int)ns;
    q->res.events = events;
    q->res.labelled_keys = nk;
    for (size_t k = 0; k < nk; k++)
        q->res.keys_found += q->key[k].has_time;
    free(ninst);
    free(nrec);
    free(inst_base);
    free(ka);
    free(by_rule);
    free(by_any);
    pthread_mutex_unlock(&q->mu);
    return &q->res;
}
