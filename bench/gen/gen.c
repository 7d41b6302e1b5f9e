/* gen.c — the generator object: picks a table's background stream and renderer, adds
 * attack-scenario streams, and merges them by event time.
 *
 * Every stream fills the table's event model and the table's renderer writes it in the
 * chosen envelope; this split is what keeps the envelopes consistent and lets scenarios
 * reuse the renderers. Streams draw from separate random sequences of the seed, so
 * scenarios never perturb background traffic, and a stream's next time is known before
 * it emits, so merging is a scan over a handful of streams.
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
    gen_stream *(*background)(gen *g, int gt);
    void (*render)(gen *g, const void *model, gen_envelope env, sp_buf *out, gen_event *ev);
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

/* def_rate 0: the table's generator derives it (schedules, incident process). */
static const table_def table_defs[] = {
    {"SigninLogs", GT_SIGNIN, ENV_LA | ENV_EH, GEN_ENV_LOGANALYTICS, 15, bg_signin, render_signin},
    {"AADNonInteractiveUserSignInLogs", GT_NONINT, ENV_LA | ENV_EH, GEN_ENV_LOGANALYTICS, 150, bg_signin, render_signin},
    {"AADServicePrincipalSignInLogs", GT_SP, ENV_LA | ENV_EH, GEN_ENV_LOGANALYTICS, 30, bg_signin, render_signin},
    {"AADManagedIdentitySignInLogs", GT_MI, ENV_LA | ENV_EH, GEN_ENV_LOGANALYTICS, 40, bg_signin, render_signin},
    {"SentinelHealth", GT_HEALTH, ENV_LA, GEN_ENV_LOGANALYTICS, 0, bg_health, health_render},
    {"SecurityIncident", GT_INCIDENT, ENV_LA, GEN_ENV_LOGANALYTICS, 0, bg_incident, incident_render},
    {"SecurityAlert", GT_ALERT, ENV_LA, GEN_ENV_LOGANALYTICS, 0, bg_incident, alert_render},
    {"CopilotActivity", GT_COPILOT, ENV_LA | ENV_PV, GEN_ENV_PURVIEW, 1.5, bg_copilot, copilot_render},
};

static double default_rate(const table_def *def)
{
    if (def->def_rate > 0)
        return def->def_rate;
    if (def->gt == GT_HEALTH)
        return health_default_rate();
    return incident_default_rate(def->gt == GT_ALERT);
}

struct gen {
    struct gen_ctx_view ctx;
    const table_def *def;
    gen_envelope env;
    gen_stream **streams;
    size_t n_streams, cap_streams;
    _Alignas(16) unsigned char model[GEN_MODEL_BYTES];
    sp_buf scratch[2];
    char id[64], key[256];
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

void gen_event_set(gen *g, gen_event *ev, gen_guid id, const char *key, int64_t time)
{
    guid_str(id, g->id);
    ev->id = g->id;
    ev->id_len = 36;
    size_t n = SP_MIN(strlen(key), sizeof g->key - 1);
    memcpy(g->key, key, n);
    g->key[n] = 0;
    ev->key = g->key;
    ev->key_len = n;
    ev->time = time;
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
    static const char *names[SP_ARRAY_LEN(table_defs)];
    for (size_t i = 0; i < SP_ARRAY_LEN(table_defs); i++)
        names[i] = table_defs[i].name;
    *n = SP_ARRAY_LEN(table_defs);
    return names;
}

const char *const *gen_scenario_names(size_t *n)
{
    static const char *names[16];
    size_t k = 0;
    for (size_t i = 0; i < gen_n_scenario_defs && k < SP_ARRAY_LEN(names); i++)
        names[k++] = gen_scenario_defs[i].name;
    *n = k;
    return names;
}

const char *gen_table(const gen *g)
{
    return g->def->name;
}

gen_envelope gen_envelope_used(const gen *g)
{
    return g->env;
}

static void add_stream(gen *g, gen_stream *s)
{
    SP_GROW(g->streams, g->cap_streams, g->n_streams + 1);
    g->streams[g->n_streams++] = s;
}

/* Places scenario instances inside the planned run: one per started day of event
 * time, at seeded offsets between 20% and 80% of its share of the run. */
static void add_scenarios(gen *g)
{
    double span_s = g->ctx.events ? (double)g->ctx.events / g->ctx.rate : 3600.0;
    uint64_t per_day = 1 + (uint64_t)(span_s / 86400.0);
    for (size_t d = 0; d < gen_n_scenario_defs; d++) {
        const gen_scenario_def *sd = &gen_scenario_defs[d];
        if (sd->table != g->def->gt)
            continue;
        gen_rng r;
        rng_seed(&r, g->ctx.seed, 900 + d);
        for (uint64_t k = 0; k < per_day; k++) {
            double frac = ((double)k + 0.2 + 0.6 * rng_unit(&r)) / (double)per_day;
            int64_t at = g->ctx.start + (int64_t)(frac * span_s * SP_TICKS_PER_SEC);
            add_stream(g, sd->create(g, k, at));
        }
    }
}

int gen_new(const gen_options *opt, gen **out, sp_diag *diag)
{
    *out = NULL;
    const table_def *def = NULL;
    for (size_t i = 0; i < SP_ARRAY_LEN(table_defs); i++)
        if (opt->table && !strcmp(opt->table, table_defs[i].name))
            def = &table_defs[i];
    if (!def) {
        sp_diag_set(diag, "gen", 0, 0, "unknown table '%s'", opt->table ? opt->table : "");
        return -1;
    }
    gen_envelope env = opt->envelope == GEN_ENV_DEFAULT ? def->def_env : opt->envelope;
    if ((unsigned)env >= SP_ARRAY_LEN(env_names) || !(def->envs & (1u << env))) {
        sp_diag_set(diag, "gen", 0, 0, "table %s cannot be written in the %s envelope", def->name,
                    gen_envelope_name(env));
        return -1;
    }
    if (opt->rate < 0 || opt->rate > 1e9 || opt->rate != opt->rate) {
        sp_diag_set(diag, "gen", 0, 0, "rate must be between 0 and 1e9 events per second");
        return -1;
    }
    int64_t start = opt->start;
    if (!start && !sp_datetime_make(2026, 11, 1, 0, 0, 0, 0, &start))
        return -1;
    gen *g = sp_xcalloc(1, sizeof *g);
    g->def = def;
    g->env = env;
    g->ctx.seed = opt->seed;
    g->ctx.start = start;
    g->ctx.rate = opt->rate > 0 ? opt->rate : default_rate(def);
    g->ctx.events = opt->events;
    g->ctx.world = world_new(opt->seed);
    add_stream(g, def->background(g, def->gt));
    if (opt->attacks)
        add_scenarios(g);
    *out = g;
    return 0;
}

void gen_next(gen *g, sp_buf *out, gen_event *ev)
{
    size_t best = 0;
    for (size_t i = 1; i < g->n_streams; i++)
        if (g->streams[i]->next < g->streams[best]->next)
            best = i;
    gen_stream *s = g->streams[best];
    s->emit(s, g, g->model);
    gen_event local; /* renderers always describe the record */
    if (!ev)
        ev = &local;
    memset(ev, 0, sizeof *ev);
    g->def->render(g, g->model, g->env, out, ev);
    ev->scenario = s->label;
}

void gen_free(gen *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_streams; i++)
        g->streams[i]->free(g->streams[i]);
    free(g->streams);
    sp_buf_free(&g->scratch[0]);
    sp_buf_free(&g->scratch[1]);
    world_free(g->ctx.world);
    free(g);
}
