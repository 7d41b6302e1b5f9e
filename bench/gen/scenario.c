/* scenario.c — labelled attack scenarios injected into background traffic (--attacks).
 *
 * A scenario is a stream like the background: it fills the table's event model at
 * chosen times and the generator merges it in by time, so the table's renderer writes
 * attack records in whatever envelope the run uses, and the labels file maps each
 * record id to the scenario name. Scenarios draw from their own random sequences and
 * never change background records.
 *
 * Implemented: password-spray (SigninLogs). The table of definitions below is where the
 * rest of issue #6 plugs in (MFA fatigue, federated-credential failures, Copilot label
 * violations, failing connectors, duplicate incidents): each needs a create function
 * returning a stream that fills its table's model.
 */
#include "bench/gen/gen_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- password spray ---------------------------------------------------------------
 * One hosting-provider address tries one password against a few hundred accounts in
 * about ten minutes through ROPC (no MFA prompt on that path): nearly all 50126, a few
 * locked (50053) or disabled (50057) accounts, and a few correct passwords that hit the
 * MFA requirement (50074) — the signal analysts look for. */

typedef struct spray {
    gen_stream base;
    gen_rng rng;
    gen_world *w;
    uint32_t ip, ua, app;
    uint32_t first, stride, n, i;
    int64_t start, span;
} spray;

static void spray_emit(gen_stream *base, gen *g, void *model)
{
    (void)g;
    spray *s = (spray *)base;
    gen_rng *r = &s->rng;
    gen_world *w = s->w;
    gen_signin *m = model;
    signin_fill_common(m, r, GT_SIGNIN, s->base.next);
    /* consecutive targets of a stride permutation are distinct users; skip guests */
    uint32_t u;
    do {
        u = (s->first + (uint32_t)((uint64_t)s->stride * s->i) % w->n_users) % w->n_users;
        s->i++;
    } while ((w->users[u].flags & U_GUEST) && s->i < s->n + 64);
    m->user = u;
    m->ip = s->ip;
    m->ua = s->ua;
    m->app = s->app;
    m->resource = w->apps[s->app].resource;
    m->dev = DEV_NONE;
    m->client = 1;
    m->proto = PROTO_ROPC;
    uint32_t x = rng_below(r, 100);
    uint32_t code = x < 92 ? 50126 : x < 96 ? 50053 : x < 98 ? 50057 : 50074;
    m->err = (uint16_t)gen_error_find(code);
    m->multi = code == 50074;
    if (rng_bp(r, 3000)) {
        m->risk = 1;
        m->risk_event = 0;
    }
    signin_apply_ca(w, m, r);
    if (s->i >= s->n) {
        s->base.next = INT64_MAX;
    } else {
        int64_t slot = s->span / s->n;
        s->base.next = s->start + slot * s->i + (int64_t)(rng_u64(r) % (uint64_t)(slot / 2 + 1));
    }
}

static void spray_free(gen_stream *base)
{
    free(base);
}

static gen_stream *spray_create(gen *g, uint64_t k, int64_t at)
{
    const struct gen_ctx_view *c = gen_ctx(g);
    spray *s = sp_xcalloc(1, sizeof *s);
    s->base.emit = spray_emit;
    s->base.free = spray_free;
    s->base.label = "password-spray";
    s->w = c->world;
    rng_seed(&s->rng, c->seed, 2000 + k);
    gen_rng *r = &s->rng;
    s->ip = s->w->threat_lo + rng_below(r, s->w->threat_n);
    s->ua = (uint32_t)gen_ua_find(rng_bp(r, 5000) ? "BAV2ROPC" : "python-requests");
    s->app = (uint32_t)gen_app_find(rng_bp(r, 6000) ? "Azure Active Directory PowerShell" : "Microsoft Azure CLI");
    s->n = 150 + rng_below(r, 150);
    s->first = rng_below(r, s->w->n_users);
    do
        s->stride = 1 + rng_below(r, s->w->n_users - 1);
    while (gen_gcd(s->stride, s->w->n_users) != 1);
    s->start = at;
    s->span = 8 * SP_TICKS_PER_MIN + (int64_t)rng_below(r, 2 * 60) * SP_TICKS_PER_SEC;
    s->base.next = at;
    return &s->base;
}

const gen_scenario_def gen_scenario_defs[] = {
    {"password-spray", GT_SIGNIN, spray_create},
};
const size_t gen_n_scenario_defs = SP_ARRAY_LEN(gen_scenario_defs);
