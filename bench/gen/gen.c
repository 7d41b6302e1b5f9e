/* gen.c — the generator object: picks the selected tables' background streams and
 * renderers, adds attack-scenario streams, and merges them all by event time into one
 * stream of records.
 *
 * Every stream fills its table's event model and the table's renderer writes it in the
 * table's envelope; this split is what keeps the envelopes consistent and lets scenarios
 * reuse the renderers. Streams draw from separate random sequences of the seed, so
 * scenarios never perturb background traffic, and a stream's next time is known before
 * it emits, so merging is a scan over a few dozen streams. Duplicate ingestion is the
 * one scenario that is not a stream: it re-delivers copies of background records (the
 * same model rendered again, in the other envelope for sign-ins), which only the
 * generator sees.
 */
#include "bench/gen/gen_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct table_def {
    const char *name;
    int gt;
    unsigned envs;         /* bit (1 << gen_envelope) per supported envelope */
    gen_envelope def_env;
    double def_rate;       /* events per second */
    size_t model_size;
    gen_stream *(*background)(gen *g, int gt);
    void (*render)(gen *g, const void *model, gen_envelope env, sp_buf *out, gen_event *ev);
    /* Gives a copy of a model new record ids (a near-duplicate); NULL = none for this
     * table (a SentinelHealth or incident "near-duplicate" would read as another run or
     * update and trip the health and incident rules). */
    void (*reid)(void *model, gen_rng *r);
} table_def;

#define ENV_LA (1u << GEN_ENV_LOGANALYTICS)
#define ENV_EH (1u << GEN_ENV_EVENTHUBS)
#define ENV_PV (1u << GEN_ENV_PURVIEW)

static gen_stream *bg_signin(gen *g, int gt)
{
    return signin_stream_new(g, gt);
}

static void render_signin(gen *g, const void *model, gen_envelope env, sp_buf *out, gen_event *ev)
{
    signin_render(g, model, env, out, ev);
}

static gen_stream *bg_health(gen *g, int gt)
{
    (void)gt;
    return health_stream_new(g);
}

static gen_stream *bg_incident(gen *g, int gt)
{
    return incident_stream_new(g, gt == GT_ALERT);
}

static gen_stream *bg_copilot(gen *g, int gt)
{
    (void)gt;
    return copilot_stream_new(g);
}

static void reid_signin(void *model, gen_rng *r)
{
    gen_signin *m = model;
    m->id = rng_guid(r);
    m->corr = rng_guid(r);
    m->uti = rng_guid(r);
}

static void reid_copilot(void *model, gen_rng *r)
{
    ((struct gen_copilot *)model)->id = rng_guid(r);
}

/* def_rate 0: the table's generator derives it (schedules, incident process). */
static const table_def table_defs[GT_N] = {
    {"SigninLogs", GT_SIGNIN, ENV_LA | ENV_EH, GEN_ENV_LOGANALYTICS, 15, sizeof(gen_signin), bg_signin, render_signin, reid_signin},
    {"AADNonInteractiveUserSignInLogs", GT_NONINT, ENV_LA | ENV_EH, GEN_ENV_LOGANALYTICS, 150, sizeof(gen_signin), bg_signin, render_signin, reid_signin},
    {"AADServicePrincipalSignInLogs", GT_SP, ENV_LA | ENV_EH, GEN_ENV_LOGANALYTICS, 30, sizeof(gen_signin), bg_signin, render_signin, reid_signin},
    {"AADManagedIdentitySignInLogs", GT_MI, ENV_LA | ENV_EH, GEN_ENV_LOGANALYTICS, 40, sizeof(gen_signin), bg_signin, render_signin, reid_signin},
    {"SentinelHealth", GT_HEALTH, ENV_LA, GEN_ENV_LOGANALYTICS, 0, sizeof(struct gen_health), bg_health, health_render, NULL},
    {"SecurityIncident", GT_INCIDENT, ENV_LA, GEN_ENV_LOGANALYTICS, 0, sizeof(struct gen_incident_row), bg_incident, incident_render, NULL},
    {"SecurityAlert", GT_ALERT, ENV_LA, GEN_ENV_LOGANALYTICS, 0, sizeof(struct gen_incident_row), bg_incident, alert_render, NULL},
    {"CopilotActivity", GT_COPILOT, ENV_LA | ENV_PV, GEN_ENV_PURVIEW, 1.5, sizeof(struct gen_copilot), bg_copilot, copilot_render, reid_copilot},
};

_Static_assert(SP_ARRAY_LEN(((struct gen_ctx_view *)0)->rates) == GT_N, "one rate per table");

size_t gen_model_size(int gt)
{
    return table_defs[gt].model_size;
}

static double default_rate(const table_def *def)
{
    if (def->def_rate > 0)
        return def->def_rate;
    if (def->gt == GT_HEALTH)
        return health_default_rate();
    return incident_default_rate(def->gt == GT_ALERT);
}

/* A record re-delivered by a second connector (duplicate_ingestion). */
typedef struct dup_copy {
    int64_t release;     /* merge clock at which it arrives */
    uint8_t gt;
    gen_envelope env;
    const char *label;
    _Alignas(16) unsigned char model[GEN_MODEL_BYTES];
} dup_copy;

/* One duplicate_ingestion instance: from `from` on, the next background records of
 * table gt arrive twice, then a few get a near-duplicate (same content, new ids). */
typedef struct dup_plan {
    uint8_t gt;
    int64_t from;
    uint16_t dups, nears;
    gen_rng rng;
} dup_plan;

#define DUP_DELAY (20 * SP_TICKS_PER_SEC)
#define DUP_COPIES 12
#define DUP_NEARS 3

struct gen {
    struct gen_ctx_view ctx;
    unsigned tables;               /* selected tables, bit (1 << GT_*) */
    gen_envelope env[GT_N];        /* envelope per table */
    gen_envelope main_env;
    gen_stream **streams;
    size_t n_streams, cap_streams;
    dup_plan *plans;
    size_t n_plans;
    dup_copy *queue;               /* FIFO, release times non-decreasing */
    size_t q_head, q_len, q_cap;
    const char *dup_label, *dup_benign;
    _Alignas(16) unsigned char model[GEN_MODEL_BYTES];
    sp_buf scratch[2];
    char id[96], key[256];
};

gen_world *gen_world_of(gen *g)
{
    return g->ctx.world;
}

const struct gen_ctx_view *gen_ctx(const gen *g)
{
    return &g->ctx;
}

sp_buf *gen_scratch(gen *g, int i)
{
    return &g->scratch[i & 1];
}

static void event_key(gen *g, gen_event *ev, const char *key, int64_t time)
{
    size_t n = SP_MIN(strlen(key), sizeof g->key - 1);
    memcpy(g->key, key, n);
    g->key[n] = 0;
    ev->key = g->key;
    ev->key_len = n;
    ev->time = time;
}

void gen_event_set(gen *g, gen_event *ev, gen_guid id, const char *key, int64_t time)
{
    guid_str(id, g->id);
    ev->id = g->id;
    ev->id_len = 36;
    event_key(g, ev, key, time);
}

void gen_event_set_str(gen *g, gen_event *ev, const char *id, const char *key, int64_t time)
{
    size_t n = SP_MIN(strlen(id), sizeof g->id - 1);
    memcpy(g->id, id, n);
    g->id[n] = 0;
    ev->id = g->id;
    ev->id_len = n;
    event_key(g, ev, key, time);
}

static const char *const env_names[] = {"default", "loganalytics", "eventhubs", "purview"};

bool gen_envelope_parse(const char *s, gen_envelope *out)
{
    for (size_t i = 1; i < SP_ARRAY_LEN(env_names); i++)
        if (!strcmp(s, env_names[i])) {
            *out = (gen_envelope)i;
            return true;
        }
    return false;
}

const char *gen_envelope_name(gen_envelope e)
{
    return (size_t)e < SP_ARRAY_LEN(env_names) ? env_names[e] : "?";
}

const char *const *gen_table_names(size_t *n)
{
    static const char *names[GT_N];
    for (size_t i = 0; i < GT_N; i++)
        names[i] = table_defs[i].name;
    *n = GT_N;
    return names;
}

const char *const *gen_scenario_names(size_t *n)
{
    static const char *names[64];
    size_t k = 0;
    for (size_t i = 0; i < gen_n_scenario_defs && k < SP_ARRAY_LEN(names); i++)
        names[k++] = gen_scenario_defs[i].name;
    *n = k;
    return names;
}

const char *gen_table(const gen *g)
{
    for (int t = 0; t < GT_N; t++)
        if (g->tables == (1u << t))
            return table_defs[t].name;
    return NULL;
}

gen_envelope gen_envelope_used(const gen *g)
{
    return g->main_env;
}

bool gen_has_table(const gen *g, const char *name)
{
    for (int t = 0; t < GT_N; t++)
        if ((g->tables & (1u << t)) && !strcmp(name, table_defs[t].name))
            return true;
    return false;
}

static void add_stream(gen *g, gen_stream *s)
{
    SP_GROW(g->streams, g->cap_streams, g->n_streams + 1);
    g->streams[g->n_streams++] = s;
}

/* Table order in which duplicate_ingestion picks the table it re-delivers. */
static const uint8_t dup_order[] = {GT_SIGNIN, GT_NONINT, GT_SP, GT_MI, GT_COPILOT, GT_HEALTH, GT_ALERT, GT_INCIDENT};

/* Places scenario instances inside the planned run: one per started day of event
 * time, at seeded offsets between 20% and 80% of its share of the run. */
static void add_scenarios(gen *g)
{
    double span_s = g->ctx.events ? (double)g->ctx.events / g->ctx.rate : 3600.0;
    uint64_t per_day = 1 + (uint64_t)(span_s / 86400.0);
    for (size_t d = 0; d < gen_n_scenario_defs; d++) {
        const gen_scenario_def *sd = &gen_scenario_defs[d];
        if (!(sd->tables & g->tables))
            continue;
        gen_rng r;
        rng_seed(&r, g->ctx.seed, 900 + d);
        for (uint64_t k = 0; k < per_day; k++) {
            double frac = ((double)k + 0.2 + 0.6 * rng_unit(&r)) / (double)per_day;
            int64_t at = g->ctx.start + (int64_t)(frac * span_s * SP_TICKS_PER_SEC);
            if (sd->kind == SCK_DUPLICATE) {
                uint8_t gt = GT_SIGNIN;
                for (size_t i = 0; i < sizeof dup_order; i++)
                    if (g->tables & (1u << dup_order[i])) {
                        gt = dup_order[i];
                        break;
                    }
                g->plans = sp_xrealloc(g->plans, sizeof *g->plans * (g->n_plans + 1));
                dup_plan *p = &g->plans[g->n_plans++];
                p->gt = gt;
                p->from = at;
                p->dups = DUP_COPIES;
                p->nears = table_defs[gt].reid ? DUP_NEARS : 0;
                rng_seed(&p->rng, g->ctx.seed, 9000000 + k);
                g->dup_label = sd->name;
                g->dup_benign = sd->benign;
                continue;
            }
            int64_t lo = g->ctx.start + (int64_t)((double)k / (double)per_day * span_s * SP_TICKS_PER_SEC);
            int64_t hi = g->ctx.start + (int64_t)((double)(k + 1) / (double)per_day * span_s * SP_TICKS_PER_SEC);
            /* The plan assumes the week's mean rate; a run that starts at a quiet hour lasts
             * longer than planned. The last share runs on for a week, so the scheduled series
             * of the health scenarios keep running to the run's actual end instead of all
             * falling silent when the plan says it is over. */
            if (k + 1 == per_day)
                hi = SP_MAX(hi, at + 7 * SP_TICKS_PER_DAY);
            gen_stream *s = scenario_stream_new(g, d, k, at, lo, hi, g->tables);
            if (s)
                add_stream(g, s);
        }
    }
}

/* Parses "T", "all" or "T1,T2,..." into a table mask; 0 on an unknown name (diag). */
static unsigned parse_tables(const char *spec, sp_diag *diag)
{
    if (!spec || !*spec) {
        sp_diag_set(diag, "gen", 0, 0, "unknown table ''");
        return 0;
    }
    if (!strcmp(spec, "all"))
        return (1u << GT_N) - 1;
    unsigned mask = 0;
    const char *p = spec;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        int found = -1;
        for (int t = 0; t < GT_N; t++)
            if (strlen(table_defs[t].name) == n && !memcmp(p, table_defs[t].name, n))
                found = t;
        if (found < 0) {
            sp_diag_set(diag, "gen", 0, 0, "unknown table '%.*s'", (int)n, p);
            return 0;
        }
        mask |= 1u << found;
        if (!comma)
            break;
        p = comma + 1;
    }
    return mask;
}

int gen_new(const gen_options *opt, gen **out, sp_diag *diag)
{
    *out = NULL;
    unsigned tables = parse_tables(opt->table, diag);
    if (!tables)
        return -1;
    bool multi = (tables & (tables - 1)) != 0;
    gen_envelope env[GT_N], main_env = GEN_ENV_DEFAULT;
    for (int t = 0; t < GT_N; t++) {
        const table_def *def = &table_defs[t];
        env[t] = def->def_env;
        if (!(tables & (1u << t)) || opt->envelope == GEN_ENV_DEFAULT)
            continue;
        /* several tables: the envelope option picks the sign-ins' form; the other
         * tables keep their natural one */
        bool signin = t <= GT_MI;
        if (multi && !signin)
            continue;
        if ((unsigned)opt->envelope >= SP_ARRAY_LEN(env_names) || !(def->envs & (1u << opt->envelope))) {
            sp_diag_set(diag, "gen", 0, 0, "table %s cannot be written in the %s envelope", def->name,
                        gen_envelope_name(opt->envelope));
            return -1;
        }
        env[t] = opt->envelope;
    }
    if (multi && opt->envelope == GEN_ENV_PURVIEW) {
        sp_diag_set(diag, "gen", 0, 0, "several tables: --envelope picks the sign-in form (loganalytics or eventhubs)");
        return -1;
    }
    for (int t = 0; t < GT_N && main_env == GEN_ENV_DEFAULT; t++)
        if (tables & (1u << t))
            main_env = env[t];
    if (opt->rate < 0 || opt->rate > 1e9 || opt->rate != opt->rate) {
        sp_diag_set(diag, "gen", 0, 0, "rate must be between 0 and 1e9 events per second");
        return -1;
    }
    int64_t start = opt->start;
    if (!start && !sp_datetime_make(2026, 11, 1, 0, 0, 0, 0, &start))
        return -1;
    gen *g = sp_xcalloc(1, sizeof *g);
    g->tables = tables;
    g->main_env = main_env;
    memcpy(g->env, env, sizeof env);
    g->ctx.seed = opt->seed;
    g->ctx.start = start;
    /* Each table runs at its default rate, and `rate` scales them. Alone, a table is
     * scaled whatever it is (a SentinelHealth stream then runs its schedules faster).
     * Together, SentinelHealth and the incident tables keep their real schedules, so
     * a rule's runs match its QueryFrequency and automation runs match incidents, and
     * the sign-in and Copilot tables take the rest of the rate. */
    double fixed = 0, volume = 0;
    for (int t = 0; t < GT_N; t++)
        if (tables & (1u << t))
            *(t == GT_HEALTH || t == GT_INCIDENT || t == GT_ALERT ? &fixed : &volume) += default_rate(&table_defs[t]);
    double scale = 1.0, vscale = 1.0;
    if (opt->rate > 0) {
        if (multi && volume > 0 && opt->rate > fixed)
            vscale = (opt->rate - fixed) / volume;
        else
            scale = vscale = opt->rate / (fixed + volume);
    }
    for (int t = 0; t < GT_N; t++) {
        bool fix = t == GT_HEALTH || t == GT_INCIDENT || t == GT_ALERT;
        g->ctx.rates[t] = default_rate(&table_defs[t]) * (fix ? scale : vscale);
    }
    g->ctx.rate = fixed * scale + volume * vscale;
    g->ctx.events = opt->events;
    g->ctx.world = world_new(opt->seed);
    for (int t = 0; t < GT_N; t++)
        if (tables & (1u << t)) {
            gen_stream *s = table_defs[t].background(g, t);
            s->gt = (uint8_t)t;
            add_stream(g, s);
        }
    if (opt->attacks)
        add_scenarios(g);
    *out = g;
    return 0;
}

static gen_envelope other_env(gen_envelope e)
{
    return e == GEN_ENV_EVENTHUBS ? GEN_ENV_LOGANALYTICS : GEN_ENV_EVENTHUBS;
}

/* After a background record: queue the copies duplicate_ingestion owes it. */
static void plan_copies(gen *g, int gt, int64_t clock)
{
    for (size_t i = 0; i < g->n_plans; i++) {
        dup_plan *p = &g->plans[i];
        if (p->gt != gt || clock < p->from || !(p->dups + p->nears))
            continue;
        if (g->q_head + g->q_len == g->q_cap) { /* compact or grow */
            if (g->q_len) /* (an empty queue may not be allocated yet) */
                memmove(g->queue, g->queue + g->q_head, sizeof *g->queue * g->q_len);
            g->q_head = 0;
            if (g->q_len == g->q_cap) {
                g->q_cap = g->q_cap ? 2 * g->q_cap : 8;
                g->queue = sp_xrealloc(g->queue, sizeof *g->queue * g->q_cap);
            }
        }
        dup_copy *c = &g->queue[g->q_head + g->q_len++];
        c->release = clock + DUP_DELAY;
        c->gt = (uint8_t)gt;
        memcpy(c->model, g->model, table_defs[gt].model_size);
        bool signin = gt <= GT_MI;
        if (p->dups) {
            /* every other copy comes through the other sign-in connector's form */
            c->env = signin && p->dups % 2 ? other_env(g->env[gt]) : g->env[gt];
            c->label = g->dup_label;
            p->dups--;
        } else {
            c->env = g->env[gt];
            c->label = g->dup_benign;
            table_defs[gt].reid(c->model, &p->rng);
            p->nears--;
        }
        return; /* one plan per record */
    }
}

void gen_next(gen *g, sp_buf *out, gen_event *ev)
{
    size_t best = 0;
    for (size_t i = 1; i < g->n_streams; i++)
        if (g->streams[i]->next < g->streams[best]->next)
            best = i;
    gen_event local; /* renderers always describe the record */
    if (!ev)
        ev = &local;
    memset(ev, 0, sizeof *ev);
    if (g->q_len && g->queue[g->q_head].release <= g->streams[best]->next) {
        dup_copy *c = &g->queue[g->q_head];
        g->q_head++;
        g->q_len--;
        table_defs[c->gt].render(g, c->model, c->env, out, ev);
        ev->clock = c->release;
        ev->table = table_defs[c->gt].name;
        ev->scenario = c->label;
        return;
    }
    gen_stream *s = g->streams[best];
    int64_t clock = s->next;
    s->emit(s, g, g->model);
    const table_def *def = &table_defs[s->gt];
    def->render(g, g->model, g->env[s->gt], out, ev);
    ev->clock = clock;
    ev->table = def->name;
    ev->scenario = s->label;
    if (!s->label && g->n_plans)
        plan_copies(g, s->gt, clock);
}

void gen_free(gen *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_streams; i++)
        g->streams[i]->free(g->streams[i]);
    free(g->streams);
    free(g->plans);
    free(g->queue);
    sp_buf_free(&g->scratch[0]);
    sp_buf_free(&g->scratch[1]);
    world_free(g->ctx.world);
    free(g);
}
