/* signin.c — background traffic for the four Entra sign-in tables.
 *
 * Each stream walks event time forward with exponential gaps whose rate follows the
 * users' working hours, and fills a gen_signin model: who (a user active at that hour,
 * a service principal or a managed identity), from where (corporate egress, home,
 * carrier, cloud), with what (device, client, user agent, app, resource) and with what
 * outcome (AADSTS code, MFA, Conditional Access results, risk). The model holds indexes
 * into the world plus the few per-event values, so rendering it in either envelope
 * gives the same event.
 */
#include "bench/gen/gen_int.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(gen_signin) <= GEN_MODEL_BYTES, "model too large");

typedef struct si_stream {
    gen_stream base;
    gen_rng rng;
    gen_world *w;
    int table;
    int64_t clock;
    double mean_gap;    /* ticks between events at multiplier 1 */
    uint32_t fail_bp;   /* failure probability in basis points */
    /* non-interactive refreshes come in bursts from one user's device */
    uint32_t last_user, last_ip, burst;
    uint8_t last_dev, last_platform;
} si_stream;

/* Background failure probability; interactive adds ~0.55% blocked legacy attempts. */
static const uint32_t fail_bp_of[4] = {250, 400, 200, 50};

static int err_idx(uint32_t code)
{
    int i = gen_error_find(code);
    return i < 0 ? 0 : i;
}

void signin_fill_common(gen_signin *m, gen_rng *r, int table, int64_t created)
{
    memset(m, 0, sizeof *m);
    m->table = (uint8_t)table;
    m->created = created;
    uint32_t d = rng_below(r, 100);
    int64_t delay = d < 80   ? rng_range(r, SP_TICKS_PER_SEC / 10, 2 * SP_TICKS_PER_SEC)
                    : d < 99 ? rng_range(r, 2 * SP_TICKS_PER_SEC, 30 * SP_TICKS_PER_SEC)
                             : rng_range(r, 30 * SP_TICKS_PER_SEC, 300 * SP_TICKS_PER_SEC);
    m->time = created + delay;
    m->id = rng_guid(r);
    m->corr = rng_guid(r);
    m->uti = rng_guid(r);
    m->session = rng_guid(r);
    m->proc_ms = (uint16_t)(table >= GT_SP ? rng_below(r, 40) : 20 + rng_below(r, 380));
    m->eh_level_num = rng_bp(r, 5000);
    m->eh_duration_str = rng_bp(r, 1500);
    uint32_t o = rng_below(r, 100);
    m->eh_offset_min = (int16_t)(o < 70 ? 0 : o < 95 ? -300 : 60);
    m->ca_status = CAS_NOTAPPLIED;
}

static bool is_desktop(uint8_t platform)
{
    return platform == OS_WIN || platform == OS_MAC || platform == OS_LINUX;
}

void signin_apply_ca(const gen_world *w, gen_signin *m, gen_rng *r)
{
    (void)r;
    const gen_error *e = &gen_errors[m->err];
    const gen_ua *ua = &gen_uas[m->ua];
    bool evaluated = m->err == 0 || (e->kind & ERRK_CA);
    bool legacy = gen_clients[m->client].legacy;
    bool user = m->table <= GT_NONINT;
    bool admin = user && (w->users[m->user].flags & U_ADMIN);
    bool excluded = m->ca_excluded || (user && (w->users[m->user].flags & U_SVC));
    bool sensitive = user && w->apps[m->app].sensitive;
    bool mobile = ua->platform == OS_IOS || ua->platform == OS_ANDROID;
    bool any_fail = false, any_success = false;
    for (size_t p = 0; p < gen_n_policies && p < GEN_MAX_POLICIES; p++) {
        uint8_t state = gen_policies[p].state, res;
        if (state == 2) {
            res = CAR_NOTENABLED;
        } else if (!evaluated) {
            res = state == 1 ? CAR_RO_NOTAPPLIED : CAR_NOTAPPLIED;
        } else {
            bool applies = false, fails = false;
            switch (p) {
            case 0: applies = legacy && !excluded; fails = true; break; /* a block */
            case 1: applies = admin && !legacy; break;
            case 2: applies = !m->trusted && !legacy; break;
            case 3: applies = is_desktop(ua->platform) && !legacy; fails = e->code == 53000; break;
            case 4: applies = mobile && m->client == 1; break;
            case 5: applies = m->risk >= 2; break;
            case 6: applies = sensitive && !legacy; break;
            default: break;
            }
            if (state == 1)
                res = applies ? (m->risk >= 3 ? CAR_RO_FAILURE : CAR_RO_SUCCESS) : CAR_RO_NOTAPPLIED;
            else if (!applies)
                res = CAR_NOTAPPLIED;
            else
                res = fails ? CAR_FAILURE : CAR_SUCCESS;
        }
        m->ca[p] = res;
        any_fail |= res == CAR_FAILURE;
        any_success |= res == CAR_SUCCESS;
    }
    m->ca_status = any_fail ? CAS_FAILURE : any_success ? CAS_SUCCESS : CAS_NOTAPPLIED;
}

/* Picks the MFA story of a user sign-in that got past the password. */
static void decide_mfa(const gen_world *w, gen_signin *m, gen_rng *r)
{
    const gen_error *e = &gen_errors[m->err];
    bool admin = w->users[m->user].flags & U_ADMIN;
    bool required = (!m->trusted || admin || w->apps[m->app].sensitive) && !gen_clients[m->client].legacy;
    if (e->code == 50074 || e->code == 50076 || e->code == 500121 || e->code == 50072) {
        m->multi = 1;
        m->mfa = e->code == 500121 ? 1 : 0; /* prompted but not completed */
        return;
    }
    if (m->err && !(e->kind & (ERRK_CA | ERRK_TOKEN)))
        return;
    if (!required) {
        /* single sign-on: a session or refresh token satisfies the first factor, so most
         * sign-ins show no password step; legacy clients and ROPC always send one */
        if (!m->err && !gen_clients[m->client].legacy && m->proto != PROTO_ROPC && rng_bp(r, 8500))
            m->mfa_claim = 1;
        return;
    }
    m->multi = 1;
    if (m->table == GT_NONINT || rng_bp(r, 9000)) { /* prompts are the exception with SSO */
        m->mfa_claim = 1;
        return;
    }
    const gen_ua *ua = &gen_uas[m->ua];
    uint32_t x = rng_below(r, 100);
    int method = x < 62 ? 0 : x < 70 ? 1 : x < 80 ? 2 : x < 92 ? 3 : x < 95 ? 4 : 5;
    if (method == 3 && ua->platform != OS_WIN)
        method = 0;
    m->mfa = (uint8_t)(method + 1);
}

static uint32_t pick_app(const gen_world *w, gen_rng *r, const gen_user *u, bool ni, bool mobile)
{
    uint32_t a = 0;
    for (int tries = 0; tries < 4; tries++) {
        a = alias_draw(ni ? &w->app_pick_ni : &w->app_pick, r);
        uint8_t prof = w->apps[a].profile;
        if ((prof & APP_ADMIN) && !(u->flags & U_ADMIN) && rng_bp(r, 7000))
            continue;
        if (mobile && !(prof & (APP_MOBILE | APP_WEB)))
            continue;
        if (!mobile && prof == APP_MOBILE)
            continue;
        break;
    }
    return a;
}

static uint32_t pick_ua(const gen_world *w, gen_rng *r, uint8_t platform, bool rich)
{
    const gen_alias *a = &w->ua_pick[platform][rich ? 1 : 0];
    return alias_draw(a, r);
}

static uint32_t pick_legacy_ua(gen_rng *r, uint8_t client)
{
    if (client == 3 || client == 4 || client == 5 || client == 6)
        return (uint32_t)gen_ua_find_kind(UAK_LEGACY, OS_LINUX); /* empty UA */
    if (client == 2)
        return (uint32_t)gen_ua_find_kind(UAK_LEGACY, rng_bp(r, 7000) ? OS_IOS : OS_ANDROID);
    if (client == 7 && rng_bp(r, 5000))
        return (uint32_t)gen_ua_find_kind(UAK_TOOL, OS_LINUX); /* BAV2ROPC */
    return (uint32_t)gen_ua_find_kind(UAK_LEGACY, OS_WIN);
}

/* Network position and device of a user sign-in. */
static void place_user(const gen_world *w, gen_rng *r, gen_signin *m, const gen_user *u,
                       int64_t t, uint8_t *platform)
{
    const gen_office *of = &w->offices[u->office];
    int local_min = (int)((t / SP_TICKS_PER_MIN) % 1440) + gen_cities[of->city].tz_min;
    int local_hour = ((local_min % 1440) + 1440) % 1440 / 60;
    int64_t local_day = (t + (int64_t)gen_cities[of->city].tz_min * SP_TICKS_PER_MIN) / SP_TICKS_PER_DAY;
    bool workday = local_day % 7 < 5;
    uint32_t x = rng_below(r, 1000);
    bool office_hours = workday && local_hour >= 8 && local_hour < 18;
    if (office_hours && x < 560) {
        /* at the office: a few egress addresses, the first ones busiest */
        uint32_t k = rng_below(r, of->n_egress);
        k = k * rng_below(r, of->n_egress + 1) / (of->n_egress + 1);
        m->ip = of->egress + k;
        m->trusted = 1;
        m->dev = rng_bp(r, 8500) ? DEV_LAPTOP : DEV_PHONE;
    } else {
        uint32_t y = rng_below(r, 1000);
        if (y < 560) {
            m->ip = (u->home6 != UINT32_MAX && rng_bp(r, 4500)) ? u->home6 : u->home4;
            uint32_t d = rng_below(r, 100);
            m->dev = d < 62 ? DEV_LAPTOP : d < 92 ? DEV_PHONE : DEV_NONE;
        } else if (y < 920) {
            m->ip = world_mobile_ip(w, r, u->city);
            m->dev = rng_bp(r, 9000) ? DEV_PHONE : DEV_LAPTOP;
        } else if (y < 975) {
            m->ip = w->vpn_lo + rng_below(r, w->vpn_n);
            m->dev = rng_bp(r, 8000) ? DEV_LAPTOP : DEV_NONE;
        } else {
            m->ip = w->cloud_lo + rng_below(r, w->cloud_n); /* cloud PCs, proxies */
            m->dev = DEV_NONE;
        }
    }
    if (m->dev == DEV_LAPTOP)
        *platform = (u->flags & U_MAC) ? OS_MAC : OS_WIN;
    else if (m->dev == DEV_PHONE)
        *platform = (u->flags & U_ANDROID) ? OS_ANDROID : OS_IOS;
    else {
        uint32_t p = rng_below(r, 100);
        *platform = p < 60 ? OS_WIN : p < 80 ? OS_MAC : p < 85 ? OS_LINUX : p < 95 ? OS_IOS : OS_ANDROID;
    }
}

void signin_user_setup(const gen_world *w, gen_signin *m, gen_rng *r, uint32_t user, uint32_t ip,
                       uint32_t app, uint8_t dev)
{
    const gen_user *u = &w->users[user];
    m->user = user;
    m->ip = ip;
    m->app = app;
    m->resource = w->apps[app].resource;
    m->dev = dev;
    m->trusted = w->ips[ip].kind == IPK_CORP;
    uint8_t platform = dev == DEV_PHONE ? ((u->flags & U_ANDROID) ? OS_ANDROID : OS_IOS)
                                        : (u->flags & U_MAC) ? OS_MAC : OS_WIN;
    uint8_t prof = w->apps[app].profile;
    bool rich = !(prof & APP_WEB) && (prof & (APP_RICH | APP_MOBILE | APP_CLI));
    m->client = rich ? 1 : 0;
    m->ua = pick_ua(w, r, platform, rich);
    if (prof & APP_CLI)
        m->ua = (uint32_t)gen_ua_find("azsdk-python-identity");
    m->session = guid_from(w->seed ^ 0x5e55, user, (uint64_t)(m->created / SP_TICKS_PER_DAY) * 4 + dev);
}

void signin_user_finish(const gen_world *w, gen_signin *m, gen_rng *r)
{
    decide_mfa(w, m, r);
    signin_apply_ca(w, m, r);
}

static void fill_user(si_stream *s, gen_signin *m)
{
    gen_rng *r = &s->rng;
    const gen_world *w = s->w;
    bool ni = s->table == GT_NONINT;
    uint8_t platform;
    if (ni && s->burst) {
        s->burst--;
        m->user = s->last_user;
        m->ip = s->last_ip;
        m->dev = s->last_dev;
        platform = s->last_platform;
        m->trusted = w->ips[m->ip].kind == IPK_CORP;
    } else {
        m->user = world_pick_user(w, r, m->created);
        place_user(w, r, m, &w->users[m->user], m->created, &platform);
        if (ni) {
            s->burst = rng_below(r, 6);
            s->last_user = m->user;
            s->last_ip = m->ip;
            s->last_dev = m->dev;
            s->last_platform = platform;
        }
    }
    const gen_user *u = &w->users[m->user];
    bool mobile = platform == OS_IOS || platform == OS_ANDROID;
    m->app = pick_app(w, r, u, ni, mobile);
    const gen_app *app = &w->apps[m->app];
    m->resource = app->resource;
    if (app->owner == OWN_MICROSOFT && rng_bp(r, 1200))
        m->resource = GEN_RES_GRAPH;

    /* client and user agent */
    bool rich = (app->profile & (APP_RICH | APP_CLI)) || (mobile && (app->profile & APP_MOBILE));
    if ((app->profile & APP_WEB) && (!rich || rng_bp(r, ni ? 1500 : 3500)))
        rich = false;
    m->client = rich ? 1 : 0;
    m->ua = pick_ua(w, r, platform, rich);
    if ((app->profile & APP_CLI)) {
        m->proto = rng_bp(r, 1800) ? PROTO_DEVICECODE : PROTO_NONE;
        if (platform == OS_LINUX || rng_bp(r, 2000))
            m->ua = (uint32_t)gen_ua_find("azsdk-python-identity");
    } else if (app->owner == OWN_VENDOR && !rich) {
        uint32_t x = rng_below(r, 100);
        m->proto = x < 45 ? PROTO_SAML : x < 50 ? PROTO_WSFED : PROTO_NONE;
    }

    /* outcome */
    if (rng_bp(r, s->fail_bp))
        m->err = (uint16_t)alias_draw(&w->err_pick[ni ? 1 : 0], r);
    uint32_t code = gen_errors[m->err].code;
    bool legacy = !ni && rng_bp(r, 60);
    if (code == 53003 || legacy) {
        /* Legacy protocols, nearly always stopped by "Block legacy authentication". */
        static const uint8_t legacy_clients[] = {2, 2, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10};
        m->client = legacy_clients[rng_below(r, (uint32_t)sizeof legacy_clients)];
        m->ua = pick_legacy_ua(r, m->client);
        m->app = (uint32_t)gen_app_find("Office 365 Exchange Online");
        m->resource = w->apps[m->app].resource;
        m->proto = PROTO_NONE;
        m->trusted = 0;
        if (code == 0 && rng_bp(r, 1000)) {
            /* the only legacy sign-ins that succeed: an office scanner's SMTP AUTH */
            const gen_office *of = &w->offices[w->users[m->user].office];
            m->user = of->scanner;
            m->client = 6; /* Authenticated SMTP */
            m->ua = pick_legacy_ua(r, m->client);
            m->ip = of->egress + rng_below(r, of->n_egress);
            m->trusted = 1;
            m->dev = DEV_NONE;
        } else if (code == 0) {
            m->err = (uint16_t)err_idx(53003); /* "Block legacy authentication" */
        }
    } else if (code == 53000) {
        m->dev = DEV_NONE;
        platform = rng_bp(r, 8000) ? OS_WIN : OS_MAC;
        m->client = 0;
        m->ua = pick_ua(w, r, platform, false);
    }
    if (m->proto == PROTO_NONE && m->client == 1 && (app->profile & APP_CLI) == 0 && rng_bp(r, 30))
        m->proto = PROTO_ROPC;

    /* risk: rare, and mostly from anonymising or unusual networks */
    uint8_t ipk = w->ips[m->ip].kind;
    uint32_t rp = ipk == IPK_VPN ? 1500 : ipk == IPK_CLOUD ? 600 : 80;
    if (rng_bp(r, rp)) {
        uint32_t x = rng_below(r, 100);
        m->risk = x < 70 ? 1 : x < 95 ? 2 : 3;
        m->risk_event = (uint8_t)(ipk == IPK_VPN ? 1 : rng_below(r, 4));
    }
    m->cae = rich && (m->resource == 1 || m->resource == 2 || m->resource == 4) && rng_bp(r, 6000);
    m->session = guid_from(w->seed ^ 0x5e55, m->user, (uint64_t)(m->created / SP_TICKS_PER_DAY) * 4 + m->dev);
    decide_mfa(w, m, r);
    signin_apply_ca(w, m, r);
}

static uint16_t workload_error(gen_rng *r, const gen_world *w, int t, uint8_t cred)
{
    uint16_t e = (uint16_t)alias_draw(&w->err_pick[t == GT_SP ? 2 : 3], r);
    uint32_t code = gen_errors[e].code;
    bool secret_err = code == 7000215 || code == 7000222;
    bool cert_err = code == 700027 || code == 700024;
    bool fic_err = code == 70021 || code == 700211 || code == 700212 || code == 700213;
    if (cred == CRED_FIC && (secret_err || code == 700027))
        return (uint16_t)err_idx(rng_bp(r, 7000) ? 70021 : 700024);
    if (cred == CRED_SECRET && cert_err)
        return (uint16_t)err_idx(7000215);
    if ((cred == CRED_CERT || cred == CRED_ASSERTION) && secret_err)
        return (uint16_t)err_idx(700027);
    if (cred != CRED_FIC && fic_err)
        return (uint16_t)err_idx(700016);
    return e;
}

static void fill_workload(si_stream *s, gen_signin *m)
{
    gen_rng *r = &s->rng;
    const gen_world *w = s->w;
    bool mi = s->table == GT_MI;
    /* pipelines sign in during their team's hours; redraw until the workload is active */
    const gen_sp *sp;
    int tries = 0;
    do {
        m->sp = alias_draw(mi ? &w->mi_pick : &w->sp_pick, r);
        sp = mi ? &w->mis[m->sp] : &w->sps[m->sp];
    } while (!world_sp_active(sp, m->created) && ++tries < 16);
    while (!mi && !world_sp_active(sp, m->created)) { /* a daemon that always runs */
        m->sp = (m->sp + 1) % w->n_sps_bg;
        sp = &w->sps[m->sp];
    }
    if (mi && sp->arm_id2 && rng_bp(r, 4000))
        m->msi_assoc = sp->arm_id2;
    m->ip = sp->ip_lo + rng_below(r, sp->ip_n);
    m->resource = rng_bp(r, 8000) ? sp->resource : GEN_RES_GRAPH;
    /* Federated pipelines rarely fail (a pull request run, clock skew): a burst of
     * assertion failures is the wif_assertion_failure_burst scenario. */
    if (rng_bp(r, sp->cred == CRED_FIC ? 10 : s->fail_bp))
        m->err = workload_error(r, w, s->table, sp->cred);
    m->session = guid_from(w->seed ^ 0x5e55, 1000000 + m->sp, (uint64_t)(m->created / SP_TICKS_PER_DAY));
    m->ca_status = CAS_NOTAPPLIED;
}

static void si_advance(si_stream *s)
{
    double mult = world_mult(s->w, s->clock);
    if (s->table >= GT_SP)
        mult = 0.6 + 0.4 * mult; /* workloads run around the clock */
    double gap = s->mean_gap * rng_exp1(&s->rng) / mult;
    s->clock += (int64_t)gap + 1;
    s->base.next = s->clock;
}

static void si_emit(gen_stream *base, gen *g, void *model)
{
    (void)g;
    si_stream *s = (si_stream *)base;
    gen_signin *m = model;
    signin_fill_common(m, &s->rng, s->table, s->clock);
    if (s->table <= GT_NONINT)
        fill_user(s, m);
    else
        fill_workload(s, m);
    si_advance(s);
}

static void si_free(gen_stream *base)
{
    free(base);
}

gen_stream *signin_stream_new(gen *g, int table)
{
    const struct gen_ctx_view *c = gen_ctx(g);
    si_stream *s = sp_xcalloc(1, sizeof *s);
    s->base.emit = si_emit;
    s->base.free = si_free;
    s->w = c->world;
    s->table = table;
    rng_seed(&s->rng, c->seed, 100 + (uint64_t)table);
    s->mean_gap = (double)SP_TICKS_PER_SEC / c->rates[table];
    s->fail_bp = fail_bp_of[table];
    s->clock = c->start;
    si_advance(s);
    return &s->base;
}
