/* scenario.c — labelled attack scenarios and their benign near-misses (--attacks),
 * injected into background traffic for issue #6's detections.
 *
 * A scenario instance is built once, up front, as a script: a list of steps, each a
 * filled event model of some table at some time, labelled as the attack ("name") or
 * as a near-miss lookalike ("benign:name") a precise rule must not flag. The steps are
 * then streamed in time order and merged with the background like any other stream, so
 * the tables' renderers write them in the run's envelopes and the labels file maps each
 * record key to its label. Each instance draws from its own random sequence (seed,
 * scenario, instance), builds the same steps whichever tables are selected (steps of
 * unselected tables are dropped, not skipped), and never touches background state.
 *
 * The scenarios, their tables and what marks them (label keys: gen.h):
 *   password_spray        SigninLogs: one hosting IP, 150-300 users, ~10 min, 50126
 *                         (some 50053/50057/50074). Near: one failed login then success;
 *                         a user mistyping three times; an office IP with six users
 *                         failing once each.
 *   mfa_fatigue           SigninLogs: 8 MFA denials/timeouts (500121, 50074) in ~12 min
 *                         from the attacker's IP, then a success with MFA. Near: one
 *                         unanswered prompt then success from home.
 *   legacy_auth           SigninLogs: IMAP4/POP3/Authenticated SMTP successes from a
 *                         hosting IP, the account excluded from CA001. Near: an office
 *                         scanner's SMTP AUTH; an IMAP attempt blocked (53003).
 *   device_code           SigninLogs + AADNonInteractiveUserSignInLogs: a victim
 *                         completes deviceCode for Microsoft Authentication Broker from
 *                         home, then refreshes from a hosting IP. Near: a developer's
 *                         Azure CLI device-code sign-in from the office.
 *   ca_not_applied_sensitive_app  SigninLogs: successes to sensitive_apps entries with
 *                         ConditionalAccessStatus notApplied. Near: the same app failing
 *                         with notApplied; a success with CA applied.
 *   foreign_tenant_signin SigninLogs: members signing into an unknown tenant from the
 *                         office (HomeTenantId != ResourceTenantId). Near: a member in a
 *                         partner_tenants tenant; a partner's guest in ours.
 *   impossible_travel     SigninLogs: home country, then 18 min later a residential IP
 *                         >4000 km away. Near: London, then the Netherlands 100 min later.
 *   wif_assertion_failure_burst  AADServicePrincipalSignInLogs: 24 failures of one
 *                         federated app in 6 min (70021, 700211/700212/700213, 700016,
 *                         700024). Near: two isolated assertion failures of other apps.
 *   wif_outside_ci_ranges AADServicePrincipalSignInLogs: federated successes from a
 *                         hosting IP outside ci_egress_ranges. Near: a new runner inside
 *                         the ranges (IPv4 and IPv6).
 *   wif_off_hours         AADServicePrincipalSignInLogs: a pipeline signing in outside its
 *                         workload_usual_hours. Near: one inside, late in its window.
 *   wif_new_credential    AADServicePrincipalSignInLogs: an app that signed in with its
 *                         credential signs in with a new FederatedCredentialId. Near:
 *                         its usual sign-ins; a brand-new app's first sign-in.
 *   mi_multi_environment  AADManagedIdentitySignInLogs: a prod user-assigned identity
 *                         used from a dev-subscription resource. Near: the same kind of
 *                         identity used from its second prod resource.
 *   copilot_label_above_clearance  CopilotActivity: Highly Confidential content read
 *                         by a user cleared for Confidential. Near: a cleared user; a
 *                         label at exactly the user's clearance.
 *   copilot_hc_via_plugin CopilotActivity: Highly Confidential content through a
 *                         third-party plugin and a third-party agent. Near: a third-party
 *                         plugin with General content; Bing web search with HC content.
 *   copilot_label_forbidden_host  CopilotActivity: copilot_forbidden_hosts pairs (Bing +
 *                         Confidential, Teams + Specified People). Near: allowed pairs.
 *   copilot_jailbreak     CopilotActivity: three prompts flagged JailbreakDetected. Near:
 *                         a document flagged XPIADetected, no jailbreak.
 *   connector_failure     SentinelHealth: a connector fails and stays failed (hourly
 *                         failure summaries). Near: a connector back after 12 minutes.
 *   connector_flapping    SentinelHealth: eight Failure/Success changes in 50 min. Near:
 *                         one failure and recovery.
 *   rule_run_failure      SentinelHealth: consecutive failed runs of a custom rule
 *                         (SemanticError) and of socpipe's own rule. Near: one transient
 *                         failure between successful runs. The three rules run every 15
 *                         minutes through the instance's share of the run (their good
 *                         runs are labelled benign), so they never fall silent.
 *   source_silent         SentinelHealth: a 15-minute rule's runs stop for 45 min (gap
 *                         > 2 intervals); its last run before the gap is the labelled
 *                         record. Near: a 15-minute rule with one run 12 minutes late (a
 *                         27-minute gap). Both run through the instance's share of the
 *                         run, as above.
 *   dup_incident_title    SecurityIncident + SecurityAlert: the same incident raised by
 *                         Azure Sentinel and Microsoft XDR, 90 s apart, each with update
 *                         rows. Near: one incident with five update rows.
 *   dup_alert_multi_incident  SecurityIncident + SecurityAlert: one SystemAlertId in two
 *                         incidents. Near: one incident whose rows repeat its alerts.
 *   dup_rule_title        SecurityIncident + SecurityAlert: two analytics rules (ids)
 *                         whose incident titles collide. Near: a clone with its own title.
 *   duplicate_ingestion   any table (gen.c): background records delivered twice, 20 s
 *                         apart, every other copy of a sign-in in the other envelope; the
 *                         label line names the shared key (the first record with it is
 *                         the original). Near: same content, new record ids.
 *
 * What the background does that looks alike (so rules must be this precise): members
 * sign in through VPN and cloud egress abroad (travel rules should skip hosting ASNs;
 * the attack's far address is residential); guests have HomeTenantId != ResourceTenantId
 * (the foreign-tenant rule keys on our HomeTenantId); analysts' own device-code sign-ins
 * use the CLI tools; incident titles repeat for different users all day (duplicates share
 * the user and differ in ProviderName); connectors fail for 5-20 minutes and recover;
 * analytics rules fail transiently, never twice in a row; single federated-assertion
 * failures happen; office scanners use SMTP AUTH from the office; user-assigned managed
 * identities serve two resources of their own environment. The background never breaks
 * the watchlists (gen.h): federated sign-ins leave through ci_egress_ranges during
 * workload_usual_hours, sensitive apps always get Conditional Access, Copilot stays
 * within clearances, forbidden pairs and approved plugins.
 */
#include "bench/gen/gen_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sc_step {
    int64_t clock;
    uint32_t seq;
    uint8_t gt, benign;
    size_t off; /* model bytes in blob */
} sc_step;

struct gen_scn {
    gen_stream base;
    const gen_scenario_def *def;
    gen *g;
    gen_world *w;
    gen_rng r;
    uint64_t k;      /* instance */
    size_t d;        /* scenario index */
    int64_t at;
    int64_t seg_lo, seg_hi; /* the share of the run this instance owns */
    unsigned tables;
    sc_step *steps;
    size_t n, cap, pos;
    unsigned char *blob;
    size_t blen, bcap;
    char str[4][192]; /* strings that models point at (ids, resource paths) */
    _Alignas(16) unsigned char dummy[GEN_MODEL_BYTES];
};

#define SEC SP_TICKS_PER_SEC
#define MIN SP_TICKS_PER_MIN
#define HOUR SP_TICKS_PER_HOUR

/* A zeroed model for a step of table gt at `clock`. Valid until the next sc_add. */
static void *sc_add(gen_scn *s, int gt, int64_t clock, bool benign)
{
    size_t size = gen_model_size(gt);
    if (!(s->tables & (1u << gt))) { /* built alike, then dropped */
        memset(s->dummy, 0, size);
        return s->dummy;
    }
    SP_GROW(s->steps, s->cap, s->n + 1);
    size_t off = (s->blen + 15) & ~(size_t)15;
    if (off + size > s->bcap) {
        s->bcap = SP_MAX(2 * s->bcap, off + size + 4096);
        s->blob = sp_xrealloc(s->blob, s->bcap);
    }
    s->blen = off + size;
    sc_step *st = &s->steps[s->n];
    st->clock = clock;
    st->seq = (uint32_t)s->n;
    st->gt = (uint8_t)gt;
    st->benign = benign;
    st->off = off;
    s->n++;
    memset(s->blob + off, 0, size);
    return s->blob + off;
}

/* ---- building blocks ---- */

static gen_signin *sc_user(gen_scn *s, int gt, int64_t t, bool benign, uint32_t user, uint32_t ip,
                           uint32_t app, uint8_t dev)
{
    gen_signin *m = sc_add(s, gt, t, benign);
    signin_fill_common(m, &s->r, gt, t);
    signin_user_setup(s->w, m, &s->r, user, ip, app, dev);
    return m;
}

static gen_signin *sc_workload(gen_scn *s, int gt, int64_t t, bool benign, uint32_t sp, uint32_t ip)
{
    gen_signin *m = sc_add(s, gt, t, benign);
    signin_fill_common(m, &s->r, gt, t);
    const gen_sp *p = gt == GT_MI ? &s->w->mis[sp] : &s->w->sps[sp];
    m->sp = sp;
    m->ip = ip;
    m->resource = p->resource;
    m->session = guid_from(s->w->seed ^ 0x5e55, 1000000 + sp, (uint64_t)(t / SP_TICKS_PER_DAY));
    m->ca_status = CAS_NOTAPPLIED;
    return m;
}

static struct gen_health *sc_health(gen_scn *s, int64_t t, bool benign, uint8_t kind, int res)
{
    struct gen_health *m = sc_add(s, GT_HEALTH, t, benign);
    m->time = t;
    m->record = rng_guid(&s->r);
    m->kind = kind;
    m->res = (uint16_t)(res < 0 ? 0 : res);
    return m;
}

/* A scheduled run of analytics rule `rule` at t: status 0 or 1 with a rule reason. */
static void sc_rule_run(gen_scn *s, int64_t t, bool benign, int rule, int status, int reason)
{
    int64_t freq, period;
    health_rule_schedule(rule, &freq, &period);
    struct gen_health *m = sc_health(s, t, benign, HK_RULE, rule);
    m->corr = rng_guid(&s->r);
    m->q_end = t - 5 * MIN;
    m->q_start = m->q_end - period;
    m->status = (uint8_t)status;
    m->reason = (uint8_t)reason;
}

static void sc_conn_change(gen_scn *s, int64_t t, bool benign, int conn, int status, int reason)
{
    struct gen_health *m = sc_health(s, t, benign, HK_CONN_CHANGE, conn);
    m->status = (uint8_t)status;
    m->reason = (uint8_t)reason;
}

/* All rows and alerts of an incident. */
static void sc_incident(gen_scn *s, const inc_desc *d, bool benign)
{
    for (uint8_t i = 0; i < d->n_rows; i++) {
        struct gen_incident_row *m = sc_add(s, GT_INCIDENT, d->rows[i].t, benign);
        m->d = *d;
        m->idx = i;
    }
    for (uint8_t j = 0; j < d->n_alerts; j++) {
        struct gen_incident_row *m = sc_add(s, GT_ALERT, d->alert_t[j], benign);
        m->d = *d;
        m->idx = j;
    }
}

static void inc_add_row(inc_desc *d, int64_t t, uint8_t status, uint8_t by, uint8_t alerts)
{
    inc_row r = {t, status, by != BY_CREATED, alerts, 0, by};
    if (d->n_rows) {
        r.owner |= d->rows[d->n_rows - 1].owner;
        r.comments = d->rows[d->n_rows - 1].comments;
    }
    if (d->n_rows < INC_MAX_ROWS)
        d->rows[d->n_rows++] = r;
}

/* An incident of `rule` created at t with n alerts, distinct from background ones. */
static void sc_inc_new(gen_scn *s, inc_desc *d, int j, const char *rule, int64_t t, uint8_t n_alerts)
{
    int ri = inc_rule_find(rule);
    inc_desc_init(s->w, d, 500000 + s->d * 100000 + s->k * 10 + (uint64_t)j, ri < 0 ? 0 : ri, t);
    d->analyst = s->w->offices[0].lo + rng_below(&s->r, 12);
    d->n_alerts = n_alerts;
    for (uint8_t a = 0; a < n_alerts; a++)
        d->alert_t[a] = t - (int64_t)(n_alerts - a) * 40 * SEC;
}

static struct gen_copilot *sc_copilot(gen_scn *s, int64_t t, bool benign, uint32_t user, uint8_t host)
{
    struct gen_copilot *m = sc_add(s, GT_COPILOT, t, benign);
    copilot_fill(s->w, m, &s->r, user, host, t);
    m->plugin = CPP_NONE;
    return m;
}

/* Sets the accessed resources of an interaction: n documents (site, doc, label). */
static void cp_docs(gen_scn *s, struct gen_copilot *m, int n, const uint8_t (*docs)[3])
{
    m->n_res = (uint8_t)n;
    for (int i = 0; i < n; i++) {
        cp_res *cr = &m->res[i];
        memset(cr, 0, sizeof *cr);
        cr->site = docs[i][0];
        cr->doc = docs[i][1];
        cr->label = docs[i][2];
        m->res_id[i] = copilot_doc_id(s->w, cr, m->user);
    }
}

/* No policy of this tenant took part in the sign-in. */
static void no_home_ca(gen_signin *m)
{
    for (size_t p = 0; p < gen_n_policies && p < GEN_MAX_POLICIES; p++)
        m->ca[p] = gen_policies[p].state == 1 ? CAR_RO_NOTAPPLIED : gen_policies[p].state == 2 ? CAR_NOTENABLED : CAR_NOTAPPLIED;
    m->ca_status = CAS_NOTAPPLIED;
}

/* ---- picking from the world ---- */

static uint32_t person(gen_scn *s, uint8_t need, uint8_t avoid)
{
    const gen_world *w = s->w;
    for (;;) {
        uint32_t u = rng_below(&s->r, w->n_people);
        uint8_t f = w->users[u].flags;
        if ((f & need) == need && !(f & avoid))
            return u;
    }
}

/* A licensed Copilot member whose clearance is in [lo, hi]. */
static uint32_t copilot_user(gen_scn *s, int lo, int hi)
{
    const gen_world *w = s->w;
    for (;;) {
        uint32_t u = w->copilot_users[rng_below(&s->r, w->n_copilot_users)];
        if (w->users[u].clearance >= lo && w->users[u].clearance <= hi)
            return u;
    }
}

static int office_of_city(const gen_world *w, const char *city)
{
    for (uint32_t o = 0; o < w->n_offices; o++)
        if (!strcmp(gen_cities[w->offices[o].city].city, city))
            return (int)o;
    return 0;
}

static uint32_t office_person(gen_scn *s, int office)
{
    const gen_office *of = &s->w->offices[office];
    for (;;) {
        uint32_t u = of->lo + rng_below(&s->r, of->n);
        if (!(s->w->users[u].flags & (U_GUEST | U_SVC)))
            return u;
    }
}

static uint32_t threat_ip(gen_scn *s)
{
    return s->w->threat_lo + rng_below(&s->r, s->w->threat_n);
}

static uint32_t egress_ip(gen_scn *s, uint32_t user)
{
    const gen_office *of = &s->w->offices[s->w->users[user].office];
    return of->egress + rng_below(&s->r, of->n_egress);
}

/* A residential address in country cc (IPK_FOREIGN pool). */
static uint32_t foreign_ip(gen_scn *s, const char *cc)
{
    const gen_world *w = s->w;
    uint32_t n = 0, pick = 0;
    for (uint32_t i = 0; i < w->foreign_n; i++)
        if (!strcmp(gen_cities[w->ips[w->foreign_lo + i].city].cc, cc))
            n++;
    if (!n)
        return w->foreign_lo;
    uint32_t want = rng_below(&s->r, n);
    for (uint32_t i = 0; i < w->foreign_n; i++)
        if (!strcmp(gen_cities[w->ips[w->foreign_lo + i].city].cc, cc) && pick++ == want)
            return w->foreign_lo + i;
    return w->foreign_lo;
}

static uint32_t app_named(const char *name)
{
    int a = gen_app_find(name);
    return a < 0 ? 0 : (uint32_t)a;
}

/* The first sensitive line-of-business app (Payroll ..., Treasury ...). */
static uint32_t sensitive_lob(const gen_world *w)
{
    for (uint32_t i = (uint32_t)gen_n_apps; i < w->n_apps; i++)
        if (w->apps[i].sensitive)
            return i;
    return app_named("Azure Portal");
}

/* The busiest background service principal with credential kind `fed` (FED_*) that
 * is (or is not) within its usual hours at t. UINT32_MAX when none. */
static uint32_t fed_app(const gen_world *w, int fed, int64_t t, bool active, uint32_t skip)
{
    for (uint32_t i = 0; i < w->n_sps_bg; i++) {
        const gen_sp *sp = &w->sps[i];
        if (i != skip && sp->cred == CRED_FIC && sp->fed == fed && world_sp_active(sp, t) == active)
            return i;
    }
    return UINT32_MAX;
}

/* A pipeline of kind `fed` running at t, else an AKS workload (always running). */
static uint32_t running_app(const gen_world *w, int fed, int64_t t, uint32_t skip)
{
    uint32_t sp = fed_app(w, fed, t, true, skip);
    return sp != UINT32_MAX ? sp : fed_app(w, FED_AKS, t, true, skip);
}

/* ---- identity ---- */

static void build_password_spray(gen_scn *s)
{
    gen_rng *r = &s->r;
    gen_world *w = s->w;
    uint32_t ip = threat_ip(s);
    uint32_t ua = (uint32_t)gen_ua_find(rng_bp(r, 5000) ? "BAV2ROPC" : "python-requests");
    uint32_t app = app_named(rng_bp(r, 6000) ? "Azure Active Directory PowerShell" : "Microsoft Azure CLI");
    uint32_t n = 150 + rng_below(r, 150), first = rng_below(r, w->n_people), stride;
    do
        stride = 1 + rng_below(r, w->n_people - 1);
    while (gen_gcd(stride, w->n_people) != 1);
    int64_t span = 8 * MIN + (int64_t)rng_below(r, 120) * SEC, slot = span / n;
    uint32_t i = 0;
    for (uint32_t done = 0; done < n; done++) {
        uint32_t u; /* consecutive targets of a stride permutation: distinct users */
        do
            u = (uint32_t)((first + (uint64_t)stride * i++) % w->n_people);
        while (w->users[u].flags & U_GUEST);
        int64_t t = s->at + (int64_t)slot * done + (int64_t)(rng_u64(r) % (uint64_t)(slot / 2 + 1));
        gen_signin *m = sc_user(s, GT_SIGNIN, t, false, u, ip, app, DEV_NONE);
        m->ua = ua;
        m->client = 1;
        m->proto = PROTO_ROPC; /* no MFA prompt on this path */
        uint32_t x = rng_below(r, 100);
        uint32_t code = x < 92 ? 50126 : x < 96 ? 50053 : x < 98 ? 50057 : 50074;
        m->err = (uint16_t)gen_error_find(code);
        m->multi = code == 50074;
        if (rng_bp(r, 3000))
            m->risk = 1;
        signin_apply_ca(w, m, r);
    }
    /* near-misses: one failed login; a user mistyping three times; an office egress
     * with six different users failing once each in ten minutes */
    uint32_t u = person(s, 0, U_GUEST | U_SVC);
    uint32_t home = w->users[u].home4, portal = app_named("OfficeHome");
    gen_signin *m = sc_user(s, GT_SIGNIN, s->at + 2 * MIN, true, u, home, portal, DEV_LAPTOP);
    m->err = (uint16_t)gen_error_find(50126);
    signin_user_finish(w, m, r);
    m = sc_user(s, GT_SIGNIN, s->at + 2 * MIN + 40 * SEC, true, u, home, portal, DEV_LAPTOP);
    signin_user_finish(w, m, r);
    u = person(s, 0, U_GUEST | U_SVC);
    uint32_t ip2 = egress_ip(s, u);
    for (int j = 0; j < 4; j++) {
        m = sc_user(s, GT_SIGNIN, s->at + 5 * MIN + j * 25 * SEC, true, u, ip2, portal, DEV_LAPTOP);
        if (j < 3)
            m->err = (uint16_t)gen_error_find(50126);
        signin_user_finish(w, m, r);
    }
    int office = w->users[u].office;
    for (int j = 0; j < 6; j++) {
        uint32_t v = office_person(s, office);
        m = sc_user(s, GT_SIGNIN, s->at + 12 * MIN + j * 90 * SEC, true, v, ip2, portal, DEV_LAPTOP);
        m->err = (uint16_t)gen_error_find(50126);
        signin_user_finish(w, m, r);
    }
}

static void build_mfa_fatigue(gen_scn *s)
{
    gen_world *w = s->w;
    gen_rng *r = &s->r;
    /* prompt outcomes, one every ~90 s: denied, unanswered, "strong auth required" */
    static const struct {
        uint32_t code;
        uint8_t detail;
    } prompts[] = {{500121, 2}, {500121, 2}, {50074, 0}, {500121, 1}, {500121, 2},
                   {500121, 1}, {50074, 0}, {500121, 2}};
    uint32_t u = person(s, 0, U_GUEST | U_SVC | U_ADMIN);
    uint32_t ip = rng_bp(r, 5000) ? threat_ip(s) : w->vpn_lo + rng_below(r, w->vpn_n);
    uint32_t app = app_named("OfficeHome");
    int64_t t = s->at;
    for (size_t i = 0; i < SP_ARRAY_LEN(prompts); i++, t += 70 * SEC + (int64_t)rng_below(r, 40) * SEC) {
        gen_signin *m = sc_user(s, GT_SIGNIN, t, false, u, ip, app, DEV_NONE);
        m->err = (uint16_t)gen_error_find(prompts[i].code);
        m->status_detail = prompts[i].detail;
        signin_user_finish(w, m, r);
    }
    gen_signin *m = sc_user(s, GT_SIGNIN, t, false, u, ip, app, DEV_NONE);
    signin_user_finish(w, m, r);
    m->multi = 1; /* the tired user approves */
    m->mfa_claim = 0;
    m->mfa = 1;
    signin_apply_ca(w, m, r);
    /* near-miss: one unanswered prompt, then success 90 s later from home */
    uint32_t v = person(s, 0, U_GUEST | U_SVC);
    uint32_t home = w->users[v].home4;
    m = sc_user(s, GT_SIGNIN, s->at + 3 * MIN, true, v, home, app, DEV_LAPTOP);
    m->err = (uint16_t)gen_error_find(500121);
    m->status_detail = 2;
    signin_user_finish(w, m, r);
    m = sc_user(s, GT_SIGNIN, s->at + 4 * MIN + 30 * SEC, true, v, home, app, DEV_LAPTOP);
    signin_user_finish(w, m, r);
    m->multi = 1;
    m->mfa_claim = 0;
    m->mfa = 1;
    signin_apply_ca(w, m, r);
}

static void build_legacy_auth(gen_scn *s)
{
    gen_world *w = s->w;
    gen_rng *r = &s->r;
    static const uint8_t clients[] = {3, 3, 4, 6}; /* IMAP4, IMAP4, POP3, Authenticated SMTP */
    uint32_t u = person(s, 0, U_GUEST | U_SVC);
    uint32_t ip = threat_ip(s), exo = app_named("Office 365 Exchange Online");
    int64_t t = s->at;
    for (size_t i = 0; i < sizeof clients; i++, t += 4 * MIN + (int64_t)rng_below(r, 120) * SEC) {
        gen_signin *m = sc_user(s, GT_SIGNIN, t, false, u, ip, exo, DEV_NONE);
        m->client = clients[i];
        m->ua = (uint32_t)gen_ua_find_kind(UAK_LEGACY, OS_LINUX);
        m->ca_excluded = 1; /* in the group exempted from blocking legacy auth */
        signin_user_finish(w, m, r);
    }
    /* near-misses: an office scanner's SMTP AUTH; an IMAP attempt that CA001 blocks */
    uint32_t sc = w->offices[rng_below(r, w->n_offices)].scanner;
    gen_signin *m = sc_user(s, GT_SIGNIN, s->at + 6 * MIN, true, sc, w->users[sc].home4, exo, DEV_NONE);
    m->client = 6;
    m->ua = (uint32_t)gen_ua_find_kind(UAK_LEGACY, OS_LINUX);
    signin_user_finish(w, m, r);
    uint32_t v = person(s, 0, U_GUEST | U_SVC);
    m = sc_user(s, GT_SIGNIN, s->at + 9 * MIN, true, v, w->users[v].home4, exo, DEV_NONE);
    m->client = 3;
    m->ua = (uint32_t)gen_ua_find_kind(UAK_LEGACY, OS_LINUX);
    m->err = (uint16_t)gen_error_find(53003);
    signin_user_finish(w, m, r);
}

static void build_device_code(gen_scn *s)
{
    gen_world *w = s->w;
    gen_rng *r = &s->r;
    /* the victim enters the attacker's code at home: Microsoft Authentication Broker */
    uint32_t u = person(s, 0, U_GUEST | U_SVC | U_ADMIN);
    uint32_t broker = app_named("Microsoft Authentication Broker");
    gen_signin *m = sc_user(s, GT_SIGNIN, s->at, false, u, w->users[u].home4, broker, DEV_NONE);
    m->client = 1;
    m->proto = PROTO_DEVICECODE;
    signin_user_finish(w, m, r);
    m->multi = 1;
    m->mfa_claim = 0;
    m->mfa = 1;
    signin_apply_ca(w, m, r);
    /* the attacker redeems and refreshes the token from a hosting address */
    uint32_t ip = threat_ip(s);
    for (int i = 0; i < 4; i++) {
        m = sc_user(s, GT_NONINT, s->at + (2 + 8 * i) * MIN, false, u, ip, broker, DEV_NONE);
        m->client = 1;
        m->ua = (uint32_t)gen_ua_find("python-requests");
        m->resource = i % 2 ? 1 : GEN_RES_GRAPH; /* Graph, Exchange */
        signin_user_finish(w, m, r);
    }
    /* near-miss: a developer's Azure CLI device-code sign-in from the office */
    uint32_t dev = person(s, U_ADMIN, U_GUEST | U_SVC);
    m = sc_user(s, GT_SIGNIN, s->at + 5 * MIN, true, dev, egress_ip(s, dev), app_named("Microsoft Azure CLI"), DEV_LAPTOP);
    m->proto = PROTO_DEVICECODE;
    m->client = 1;
    signin_user_finish(w, m, r);
}

static void build_ca_not_applied(gen_scn *s)
{
    gen_world *w = s->w;
    gen_rng *r = &s->r;
    uint32_t apps[2] = {app_named("Azure Portal"), sensitive_lob(w)};
    for (int i = 0; i < 2; i++) {
        uint32_t u = person(s, 0, U_GUEST | U_SVC);
        uint32_t ip = w->vpn_lo + rng_below(r, w->vpn_n);
        gen_signin *m = sc_user(s, GT_SIGNIN, s->at + i * 7 * MIN, false, u, ip, apps[i], DEV_NONE);
        m->client = 0;
        signin_user_finish(w, m, r);
        /* a gap in the policies (an excluded location or client): nothing applied */
        no_home_ca(m);
        m->multi = 0;
        m->mfa = 0;
        m->mfa_claim = 0;
    }
    /* near-misses: the same app failing (notApplied: CA never ran); a success with CA */
    uint32_t v = person(s, 0, U_GUEST | U_SVC);
    gen_signin *m = sc_user(s, GT_SIGNIN, s->at + 3 * MIN, true, v, w->users[v].home4, apps[0], DEV_LAPTOP);
    m->err = (uint16_t)gen_error_find(50126);
    signin_user_finish(w, m, r);
    v = person(s, 0, U_GUEST | U_SVC);
    m = sc_user(s, GT_SIGNIN, s->at + 4 * MIN, true, v, egress_ip(s, v), apps[1], DEV_LAPTOP);
    signin_user_finish(w, m, r);
}

static void build_foreign_tenant(gen_scn *s)
{
    gen_world *w = s->w;
    gen_rng *r = &s->r;
    guid_str(guid_from(w->seed, 79, s->k), s->str[0]); /* a tenant nobody partners with */
    uint32_t u = person(s, 0, U_GUEST | U_SVC);
    static const char *const apps[] = {"Office 365 SharePoint Online", "Microsoft Teams Web Client", "OneDrive SyncEngine"};
    for (int i = 0; i < 3; i++) {
        gen_signin *m = sc_user(s, GT_SIGNIN, s->at + i * 4 * MIN, false, u, egress_ip(s, u),
                                app_named(apps[i]), DEV_LAPTOP);
        m->res_tenant = s->str[0];
        signin_user_finish(w, m, r);
        no_home_ca(m); /* the resource tenant's policies decide, not ours */
    }
    /* near-misses: a member working in a partner's tenant; a partner's guest in ours */
    uint32_t v = person(s, 0, U_GUEST | U_SVC);
    gen_signin *m = sc_user(s, GT_SIGNIN, s->at + 6 * MIN, true, v, egress_ip(s, v),
                            app_named("Microsoft Teams Web Client"), DEV_LAPTOP);
    m->res_tenant = w->partner_tenant[rng_below(r, GEN_PARTNER_DOMAINS)];
    signin_user_finish(w, m, r);
    no_home_ca(m);
    uint32_t guest;
    do
        guest = person(s, U_GUEST, U_SVC);
    while (strcmp(w->users[guest].home_tenant, w->partner_tenant[0]) && rng_bp(r, 9000));
    m = sc_user(s, GT_SIGNIN, s->at + 8 * MIN, true, guest, w->users[guest].home4,
                app_named("Microsoft Teams Web Client"), DEV_LAPTOP);
    signin_user_finish(w, m, r);
}

/* Countries far (>4000 km) from each office region. */
static const struct {
    const char *home; /* office countries, space separated */
    const char *far[4];
} far_away[] = {
    {"US CA BR", {"RU", "RO", "TR", "AE"}},
    {"GB IE NL DE FR", {"VN", "MX", "ZA", "AE"}},
    {"IN SG JP AU", {"MX", "RO", "RU", "NG"}},
};

static void build_impossible_travel(gen_scn *s)
{
    gen_world *w = s->w;
    gen_rng *r = &s->r;
    uint32_t u = person(s, 0, U_GUEST | U_SVC);
    const char *cc = gen_cities[w->offices[w->users[u].office].city].cc;
    const char *far = far_away[0].far[0];
    for (size_t i = 0; i < SP_ARRAY_LEN(far_away); i++)
        if (strstr(far_away[i].home, cc))
            far = far_away[i].far[rng_below(r, 4)];
    uint32_t app = app_named("One Outlook Web");
    gen_signin *m = sc_user(s, GT_SIGNIN, s->at, false, u, w->users[u].home4, app, DEV_LAPTOP);
    signin_user_finish(w, m, r);
    m = sc_user(s, GT_SIGNIN, s->at + 18 * MIN, false, u, foreign_ip(s, far), app, DEV_NONE);
    signin_user_finish(w, m, r);
    /* near-miss: London, then the Netherlands 100 minutes later (a short flight) */
    uint32_t v = office_person(s, office_of_city(w, "London"));
    m = sc_user(s, GT_SIGNIN, s->at + 2 * MIN, true, v, w->users[v].home4, app, DEV_LAPTOP);
    signin_user_finish(w, m, r);
    m = sc_user(s, GT_SIGNIN, s->at + 102 * MIN, true, v, world_mobile_ip(w, r, (uint16_t)gen_city_find("Amsterdam")),
                app, DEV_PHONE);
    signin_user_finish(w, m, r);
}

/* ---- workload identities ---- */

static void build_wif_burst(gen_scn *s)
{
    gen_world *w = s->w;
    gen_rng *r = &s->r;
    uint32_t sp = running_app(w, FED_GITHUB, s->at, UINT32_MAX);
    /* someone else's workflows present assertions for this app */
    snprintf(s->str[0], sizeof s->str[0], "repo:contoso-archive/%s:ref:refs/heads/main", w->sps[sp].name);
    static const uint32_t codes[] = {700213, 700213, 70021, 700213, 700211, 700213, 700212, 70021,
                                     700213, 700024, 700213, 700016, 700213, 70021, 700213, 700211,
                                     700213, 700024, 700213, 70021, 700213, 700212, 700213, 700016};
    uint32_t ip = threat_ip(s);
    for (size_t i = 0; i < SP_ARRAY_LEN(codes); i++) {
        int64_t t = s->at + (int64_t)i * 15 * SEC + (int64_t)rng_below(r, 10) * SEC;
        gen_signin *m = sc_workload(s, GT_SP, t, false, sp, ip);
        m->err = (uint16_t)gen_error_find(codes[i]);
        m->assert_sub = s->str[0];
        if (codes[i] == 700211)
            m->assert_iss = "https://token.actions.githubusercontent.com/contoso-archive";
    }
    /* near-misses: a pull-request run of another app (700213) and a clock-skewed
     * assertion (700024), each alone */
    uint32_t other = running_app(w, FED_ADO, s->at, sp);
    for (int i = 0; i < 2; i++) {
        const gen_sp *p = &w->sps[other];
        gen_signin *m = sc_workload(s, GT_SP, s->at + (3 + 9 * i) * MIN, true, other, p->ip_lo + rng_below(r, p->ip_n));
        m->err = (uint16_t)gen_error_find(i ? 700024 : 700213);
    }
}

static void build_wif_outside(gen_scn *s)
{
    gen_world *w = s->w;
    uint32_t sp = running_app(w, FED_GITHUB, s->at, UINT32_MAX);
    uint32_t ip = threat_ip(s); /* a runner the attacker controls */
    for (int i = 0; i < 3; i++)
        sc_workload(s, GT_SP, s->at + i * 4 * MIN, false, sp, ip);
    /* near-miss: new runners inside the allowed ranges (IPv4, then IPv6) */
    uint32_t other = running_app(w, FED_ADO, s->at, sp);
    int fed = w->sps[other].fed;
    for (uint32_t i = 0; i < w->fed_spare_n[fed] && i < 3; i++)
        sc_workload(s, GT_SP, s->at + (2 + 3 * (int64_t)i) * MIN, true, other, w->fed_spare_lo[fed] + i);
}

static void build_wif_off_hours(gen_scn *s)
{
    gen_world *w = s->w;
    gen_rng *r = &s->r;
    uint32_t sp = fed_app(w, FED_GITHUB, s->at, false, UINT32_MAX);
    if (sp == UINT32_MAX)
        sp = fed_app(w, FED_ADO, s->at, false, UINT32_MAX);
    if (sp != UINT32_MAX) {
        const gen_sp *p = &w->sps[sp];
        for (int i = 0; i < 2; i++)
            sc_workload(s, GT_SP, s->at + i * 3 * MIN, false, sp, p->ip_lo + rng_below(r, p->ip_n));
    }
    /* near-miss: a pipeline inside its hours, the one closest to the end of them */
    uint32_t best = UINT32_MAX;
    int best_left = 1 << 30;
    for (uint32_t i = 0; i < w->n_sps_bg; i++) {
        const gen_sp *p = &w->sps[i];
        if (p->cred != CRED_FIC || p->hour_hi >= 24 || !world_sp_active(p, s->at + 5 * MIN))
            continue;
        int left = p->hour_hi * 60 - world_local_minute(s->at + 5 * MIN, p->tz_min);
        if (left < best_left) {
            best_left = left;
            best = i;
        }
    }
    if (best != UINT32_MAX) {
        const gen_sp *p = &w->sps[best];
        sc_workload(s, GT_SP, s->at + 5 * MIN, true, best, p->ip_lo + rng_below(r, p->ip_n));
    }
}

static void build_wif_new_credential(gen_scn *s)
{
    gen_world *w = s->w;
    gen_rng *r = &s->r;
    uint32_t sp = running_app(w, FED_AKS, s->at, UINT32_MAX);
    const gen_sp *p = &w->sps[sp];
    guid_str(rng_guid(r), s->str[0]); /* the credential an attacker added */
    for (int i = 0; i < 2; i++) /* its usual credential first */
        sc_workload(s, GT_SP, s->at + i * 2 * MIN, true, sp, p->ip_lo + rng_below(r, p->ip_n));
    for (int i = 0; i < 3; i++) {
        gen_signin *m = sc_workload(s, GT_SP, s->at + (10 + 5 * i) * MIN, false, sp, p->ip_lo + rng_below(r, p->ip_n));
        m->fic_id = s->str[0];
    }
    /* near-miss: an app created today signs in for the first time */
    uint32_t fresh = w->n_sps_bg + (uint32_t)(s->k % (w->n_sps - w->n_sps_bg));
    const gen_sp *f = &w->sps[fresh];
    sc_workload(s, GT_SP, s->at + 6 * MIN, true, fresh, f->ip_lo + rng_below(r, f->ip_n));
}

static void build_mi_multi_env(gen_scn *s)
{
    gen_world *w = s->w;
    gen_rng *r = &s->r;
    uint32_t mi = UINT32_MAX, near = UINT32_MAX;
    for (uint32_t i = 0; i < w->n_mis; i++) {
        if (!w->mis[i].msi_user || w->mis[i].dev)
            continue;
        if (mi == UINT32_MAX)
            mi = i;
        else if (near == UINT32_MAX)
            near = i;
    }
    snprintf(s->str[0], sizeof s->str[0],
             "/subscriptions/%s/resourceGroups/rg-sandbox-dev/providers/Microsoft.Compute/virtualMachines/vm-devbox-%02u",
             w->sub_dev, (unsigned)(s->k % 100));
    const gen_sp *p = &w->mis[mi];
    static const uint16_t res[] = {6, 7, 6}; /* Key Vault, Storage */
    for (int i = 0; i < 3; i++) {
        gen_signin *m = sc_workload(s, GT_MI, s->at + i * 5 * MIN, false, mi, w->azure_lo + rng_below(r, w->azure_n));
        m->msi_assoc = s->str[0];
        m->resource = res[i];
    }
    /* near-miss: a prod identity used from both of its prod resources */
    const gen_sp *q = &w->mis[near];
    for (int i = 0; i < 2; i++) {
        gen_signin *m = sc_workload(s, GT_MI, s->at + (2 + 4 * i) * MIN, true, near, q->ip_lo + rng_below(r, q->ip_n));
        m->msi_assoc = i ? q->arm_id2 : q->arm_id;
    }
    (void)p;
}

/* ---- Copilot ---- */

/* copilot_sites in order; documents are copilot_docs indexes */
enum { S_FINANCE, S_HR, S_LEGAL, S_ENG, S_SALES, S_MKT, S_EXEC, S_IT, S_SEC, S_PROC };

static void build_copilot_clearance(gen_scn *s)
{
    static const uint8_t hc[][3] = {{S_HR, 4, LBL_HIGHLY}, {S_EXEC, 1, LBL_HIGHLY}};
    static const uint8_t hc1[][3] = {{S_EXEC, 14, LBL_HIGHLY}};
    static const uint8_t conf[][3] = {{S_FINANCE, 0, LBL_CONFIDENTIAL}};
    uint32_t u = copilot_user(s, 3, 4);
    struct gen_copilot *m = sc_copilot(s, s->at, false, u, AH_BIZCHAT);
    cp_docs(s, m, 2, hc);
    m = sc_copilot(s, s->at + 6 * MIN, false, u, AH_BIZCHAT);
    cp_docs(s, m, 1, hc1);
    /* near-misses: a user cleared for Highly Confidential; a label at the clearance */
    m = sc_copilot(s, s->at + 2 * MIN, true, copilot_user(s, 5, 6), AH_BIZCHAT);
    cp_docs(s, m, 2, hc);
    m = sc_copilot(s, s->at + 4 * MIN, true, copilot_user(s, 4, 4), AH_BIZCHAT);
    cp_docs(s, m, 1, conf);
}

static void build_copilot_plugin(gen_scn *s)
{
    static const uint8_t hc[][3] = {{S_FINANCE, 12, LBL_HIGHLY}, {S_SALES, 3, LBL_GENERAL}};
    static const uint8_t contract[][3] = {{S_LEGAL, 8, LBL_HIGHLY}};
    static const uint8_t general[][3] = {{S_ENG, 6, LBL_GENERAL}};
    uint32_t u = copilot_user(s, 5, 6);
    struct gen_copilot *m = sc_copilot(s, s->at, false, u, AH_BIZCHAT);
    m->plugin = CPP_THIRD_PARTY;
    m->agent = CPX_JIRA;
    cp_docs(s, m, 2, hc);
    m = sc_copilot(s, s->at + 5 * MIN, false, copilot_user(s, 5, 6), AH_TEAMS);
    m->plugin = CPP_THIRD_PARTY_AGENT;
    m->agent = CPX_LEXIAI;
    cp_docs(s, m, 1, contract);
    /* near-misses: a third-party plugin with General content; Bing web search (an
     * approved Microsoft plugin) with Highly Confidential content */
    m = sc_copilot(s, s->at + 2 * MIN, true, copilot_user(s, 4, 6), AH_BIZCHAT);
    m->plugin = CPP_THIRD_PARTY;
    m->agent = CPX_SALESFORCE;
    cp_docs(s, m, 1, general);
    m = sc_copilot(s, s->at + 3 * MIN, true, copilot_user(s, 5, 6), AH_BIZCHAT);
    m->plugin = CPP_BING;
    cp_docs(s, m, 1, contract);
}

static void build_copilot_forbidden(gen_scn *s)
{
    static const uint8_t conf[][3] = {{S_FINANCE, 10, LBL_CONFIDENTIAL}};
    static const uint8_t sp[][3] = {{S_EXEC, 14, LBL_HIGHLY_SP}};
    static const uint8_t hc[][3] = {{S_EXEC, 1, LBL_HIGHLY}};
    static const uint8_t general[][3] = {{S_MKT, 17, LBL_GENERAL}};
    uint32_t u = copilot_user(s, 6, 6); /* cleared for everything: only the host is wrong */
    struct gen_copilot *m = sc_copilot(s, s->at, false, u, AH_BING);
    m->plugin = CPP_BING;
    cp_docs(s, m, 1, conf);
    m = sc_copilot(s, s->at + 4 * MIN, false, u, AH_TEAMS);
    cp_docs(s, m, 1, sp);
    /* near-misses: allowed pairs (Teams with Highly Confidential, Bing with General) */
    uint32_t v = copilot_user(s, 5, 6);
    m = sc_copilot(s, s->at + 2 * MIN, true, v, AH_TEAMS);
    cp_docs(s, m, 1, hc);
    m = sc_copilot(s, s->at + 3 * MIN, true, v, AH_BING);
    m->plugin = CPP_BING;
    cp_docs(s, m, 1, general);
}

static void build_copilot_jailbreak(gen_scn *s)
{
    static const uint8_t poisoned[][3] = {{S_PROC, 13, LBL_GENERAL}};
    uint32_t u = copilot_user(s, 3, 6);
    for (int i = 0; i < 3; i++) {
        struct gen_copilot *m = sc_copilot(s, s->at + i * 150 * SEC, false, u, AH_BIZCHAT);
        m->n_res = 0;
        m->n_msgs = 4;
        m->jailbreak = i == 1 ? 0x5 : 0x1; /* the prompts (messages 0 and 2) */
    }
    /* near-miss: Copilot read a document with an injected prompt (XPIA), no jailbreak */
    struct gen_copilot *m = sc_copilot(s, s->at + 2 * MIN, true, copilot_user(s, 3, 6), AH_BIZCHAT);
    cp_docs(s, m, 1, poisoned);
    m->res[0].xpia = 1;
}

/* ---- SentinelHealth ---- */

static void build_connector_failure(gen_scn *s)
{
    int okta = health_connector_find("Okta Single Sign-On");
    sc_conn_change(s, s->at, false, okta, 1, HCR_UNAUTHORIZED);
    for (int h = 1; h <= 6; h++) { /* failing ever since: hourly summaries */
        struct gen_health *m = sc_health(s, s->at + h * HOUR, false, HK_CONN_SUMMARY, okta);
        m->status = 3;
        m->reason = HCR_UNAUTHORIZED;
        m->failures = (uint16_t)(55 + rng_below(&s->r, 10));
    }
    int gws = health_connector_find("Google Workspace (G Suite)");
    sc_conn_change(s, s->at + 5 * MIN, true, gws, 1, HCR_THROTTLING);
    sc_conn_change(s, s->at + 17 * MIN, true, gws, 0, 0);
}

static void build_connector_flapping(gen_scn *s)
{
    int meraki = health_connector_find("Cisco Meraki");
    for (int i = 0; i < 8; i++)
        sc_conn_change(s, s->at + i * 6 * MIN + (int64_t)rng_below(&s->r, 60) * SEC, false, meraki,
                       i % 2 ? 0 : 1, HCR_UNAVAILABLE);
    int pan = health_connector_find("Palo Alto Networks (Firewall)");
    sc_conn_change(s, s->at + 8 * MIN, true, pan, 1, HCR_UNAVAILABLE);
    sc_conn_change(s, s->at + 20 * MIN, true, pan, 0, 0);
}

/* The scheduled runs of a scenario rule across this instance's share of the run, on a
 * grid fixed for the whole run (so consecutive instances continue it seamlessly). For
 * each run, pattern() says: 0 success (a benign run), 1 failed, 2 skipped, 3 the
 * labelled (attack) success, and may move it by *shift ticks. */
static void sc_rule_series(gen_scn *s, const char *name, int (*pattern)(const gen_scn *s, int64_t t, int64_t freq, int64_t *shift),
                           int reason, bool attack_fails)
{
    int rule = health_rule_find(name);
    int64_t freq, period, start = gen_ctx(s->g)->start;
    health_rule_schedule(rule, &freq, &period);
    int64_t phase = (int64_t)(gen_mix(s->w->seed, (uint64_t)rule, 77) % (uint64_t)freq);
    int64_t n = s->seg_lo > start + phase ? (s->seg_lo - start - phase + freq - 1) / freq : 0;
    for (int64_t t = start + phase + n * freq; t < s->seg_hi; t += freq) {
        int64_t shift = 0;
        int p = pattern(s, t, freq, &shift);
        if (p == 2)
            continue;
        int64_t when = t + shift + (int64_t)rng_below(&s->r, 20) * SEC;
        bool attack = p == 3 || (p == 1 && attack_fails);
        sc_rule_run(s, when, !attack, rule, p == 1, reason);
    }
}

/* Runs due in [at, at + n intervals) fail. */
static int four_fail(const gen_scn *s, int64_t t, int64_t freq, int64_t *shift)
{
    (void)shift;
    return t >= s->at && t < s->at + 4 * freq;
}

static int three_fail(const gen_scn *s, int64_t t, int64_t freq, int64_t *shift)
{
    (void)shift;
    return t >= s->at + freq && t < s->at + 4 * freq;
}

static int one_fails(const gen_scn *s, int64_t t, int64_t freq, int64_t *shift)
{
    (void)shift;
    return t >= s->at && t < s->at + freq;
}

/* The last run at or before `at` is the labelled one; none for the next 45 minutes. */
static int goes_silent(const gen_scn *s, int64_t t, int64_t freq, int64_t *shift)
{
    (void)shift;
    if (t > s->at && t <= s->at + 45 * MIN)
        return 2;
    return t <= s->at && t + freq > s->at ? 3 : 0;
}

/* One run 12 minutes late: a 27-minute gap, under two 15-minute intervals. */
static int runs_late(const gen_scn *s, int64_t t, int64_t freq, int64_t *shift)
{
    if (t >= s->at && t < s->at + freq)
        *shift = 12 * MIN;
    return 0;
}

static void build_rule_run_failure(gen_scn *s)
{
    /* a custom rule broken by a schema change, and socpipe's own rule timing out, both
     * failing run after run; near-miss: one transient failure between good runs */
    sc_rule_series(s, "Custom - Mailbox forwarding to external domain", four_fail, HRR_SEMANTIC, true);
    sc_rule_series(s, "socpipe: MFA fatigue (repeated MFA denials then success)", three_fail, HRR_TIMEOUT, true);
    sc_rule_series(s, "Custom - Rare Azure CLI use by non-admins", one_fails, HRR_INTERNAL, false);
}

static void build_source_silent(gen_scn *s)
{
    sc_rule_series(s, "Custom - Entra ID sign-in volume baseline", goes_silent, 0, false);
    sc_rule_series(s, "Custom - Defender XDR incident sync check", runs_late, 0, false);
}

/* ---- incidents ---- */

static void build_dup_incident_title(gen_scn *s)
{
    gen_world *w = s->w;
    const char *title = "Atypical travel involving one user";
    uint32_t user = person(s, 0, U_GUEST | U_SVC), ip = threat_ip(s);
    /* Sentinel's rule for Entra ID Protection alerts and Defender XDR both raise it */
    inc_desc a, b;
    sc_inc_new(s, &a, 0, "Atypical travel", s->at, 1);
    a.xdr = 0;
    a.title = title;
    guid_str(guid_from(w->seed, 81, 0), s->str[0]);
    a.rule_id = s->str[0];
    a.user = user;
    a.ip = ip;
    inc_add_row(&a, s->at, ST_NEW, BY_CREATED, 1);
    inc_add_row(&a, s->at + 30 * SEC, ST_NEW, BY_AUTOMATION, 1);
    inc_add_row(&a, s->at + 9 * MIN, ST_ACTIVE, BY_ANALYST, 1);
    sc_incident(s, &a, false);
    sc_inc_new(s, &b, 1, "Atypical travel", s->at + 90 * SEC, 1);
    b.xdr = 1;
    b.title = title;
    b.user = user;
    b.ip = ip;
    inc_add_row(&b, s->at + 90 * SEC, ST_NEW, BY_CREATED, 1);
    inc_add_row(&b, s->at + 12 * MIN, ST_ACTIVE, BY_ANALYST, 1);
    b.cls = CLS_BENIGN_POSITIVE;
    inc_add_row(&b, s->at + 25 * MIN, ST_CLOSED, BY_ANALYST, 1); /* "duplicate" */
    sc_incident(s, &b, false);
    /* near-miss: one incident, five update rows with the same title */
    inc_desc c;
    sc_inc_new(s, &c, 2, "MFA Rejected by User", s->at + 3 * MIN, 1);
    c.user = person(s, 0, U_GUEST | U_SVC);
    c.ip = w->users[c.user].home4;
    inc_add_row(&c, s->at + 3 * MIN, ST_NEW, BY_CREATED, 1);
    inc_add_row(&c, s->at + 3 * MIN + 20 * SEC, ST_NEW, BY_AUTOMATION, 1);
    inc_add_row(&c, s->at + 11 * MIN, ST_ACTIVE, BY_ANALYST, 1);
    inc_add_row(&c, s->at + 14 * MIN, ST_ACTIVE, BY_ANALYST, 1);
    c.rows[c.n_rows - 1].comments = 1;
    c.cls = CLS_FALSE_POSITIVE;
    inc_add_row(&c, s->at + 31 * MIN, ST_CLOSED, BY_ANALYST, 1);
    sc_incident(s, &c, true);
}

static void build_dup_alert(gen_scn *s)
{
    gen_world *w = s->w;
    uint32_t user = person(s, 0, U_GUEST | U_SVC), ip = threat_ip(s);
    inc_desc p, q;
    /* Defender's multi-stage incident and Sentinel's incident hold the same alert */
    sc_inc_new(s, &p, 0, "Suspicious PowerShell command line", s->at, 2);
    p.user = user;
    p.ip = ip;
    inc_add_row(&p, s->at, ST_NEW, BY_CREATED, 2);
    inc_add_row(&p, s->at + 15 * MIN, ST_ACTIVE, BY_ANALYST, 2);
    sc_incident(s, &p, false);
    sc_inc_new(s, &q, 1, "Suspicious PowerShell command line", s->at + 2 * MIN, 1);
    q.xdr = 0;
    q.title = "Suspicious PowerShell command line";
    guid_str(guid_from(w->seed, 81, 1), s->str[0]);
    q.rule_id = s->str[0];
    q.user = user;
    q.ip = ip;
    q.alert_ids[0] = p.alert_ids[1];
    q.alert_t[0] = p.alert_t[1];
    q.n_alerts = 1;
    inc_add_row(&q, s->at + 2 * MIN, ST_NEW, BY_CREATED, 1);
    inc_add_row(&q, s->at + 2 * MIN + 40 * SEC, ST_NEW, BY_AUTOMATION, 1);
    /* its alert is already in SecurityAlert (from p): rows only */
    q.n_alerts = 0;
    sc_incident(s, &q, false);
    /* near-miss: an incident whose every row lists its alerts, one appended later */
    inc_desc c;
    sc_inc_new(s, &c, 2, "Anonymous IP address", s->at + 4 * MIN, 2);
    c.user = person(s, 0, U_GUEST | U_SVC);
    c.ip = w->vpn_lo + rng_below(&s->r, w->vpn_n);
    c.alert_t[1] = s->at + 20 * MIN;
    inc_add_row(&c, s->at + 4 * MIN, ST_NEW, BY_CREATED, 1);
    inc_add_row(&c, s->at + 10 * MIN, ST_ACTIVE, BY_ANALYST, 1);
    inc_add_row(&c, s->at + 20 * MIN + 30 * SEC, ST_ACTIVE, BY_ALERT, 2);
    sc_incident(s, &c, true);
}

static void build_dup_rule_title(gen_scn *s)
{
    gen_world *w = s->w;
    const char *rule = "Rare application consent granted"; /* no background incidents */
    inc_desc a, b, c;
    /* the built-in rule and a copy someone saved under a new id, same title */
    sc_inc_new(s, &a, 0, rule, s->at, 1);
    a.user = person(s, 0, U_GUEST | U_SVC);
    a.ip = threat_ip(s);
    inc_add_row(&a, s->at, ST_NEW, BY_CREATED, 1);
    inc_add_row(&a, s->at + 8 * MIN, ST_ACTIVE, BY_ANALYST, 1);
    sc_incident(s, &a, false);
    sc_inc_new(s, &b, 1, rule, s->at + 4 * MIN, 1);
    guid_str(guid_from(w->seed, 82, 0), s->str[0]);
    b.rule_id = s->str[0];
    b.user = person(s, 0, U_GUEST | U_SVC);
    b.ip = a.ip;
    inc_add_row(&b, s->at + 4 * MIN, ST_NEW, BY_CREATED, 1);
    inc_add_row(&b, s->at + 4 * MIN + 25 * SEC, ST_NEW, BY_AUTOMATION, 1);
    sc_incident(s, &b, false);
    /* near-miss: a copy that got a title of its own */
    sc_inc_new(s, &c, 2, rule, s->at + 6 * MIN, 1);
    guid_str(guid_from(w->seed, 82, 1), s->str[1]);
    c.rule_id = s->str[1];
    c.title = "Rare application consent granted (EU tenants)";
    c.user = person(s, 0, U_GUEST | U_SVC);
    c.ip = threat_ip(s);
    inc_add_row(&c, s->at + 6 * MIN, ST_NEW, BY_CREATED, 1);
    sc_incident(s, &c, true);
}

/* ---- the table of scenarios ---- */

#define SCT(gt) (1u << (gt))
#define SCN(name, tables, build) {name, "benign:" name, tables, SCK_SCRIPT, build}

const gen_scenario_def gen_scenario_defs[] = {
    SCN("password_spray", SCT(GT_SIGNIN), build_password_spray),
    SCN("mfa_fatigue", SCT(GT_SIGNIN), build_mfa_fatigue),
    SCN("legacy_auth", SCT(GT_SIGNIN), build_legacy_auth),
    SCN("device_code", SCT(GT_SIGNIN) | SCT(GT_NONINT), build_device_code),
    SCN("ca_not_applied_sensitive_app", SCT(GT_SIGNIN), build_ca_not_applied),
    SCN("foreign_tenant_signin", SCT(GT_SIGNIN), build_foreign_tenant),
    SCN("impossible_travel", SCT(GT_SIGNIN), build_impossible_travel),
    SCN("wif_assertion_failure_burst", SCT(GT_SP), build_wif_burst),
    SCN("wif_outside_ci_ranges", SCT(GT_SP), build_wif_outside),
    SCN("wif_off_hours", SCT(GT_SP), build_wif_off_hours),
    SCN("wif_new_credential", SCT(GT_SP), build_wif_new_credential),
    SCN("mi_multi_environment", SCT(GT_MI), build_mi_multi_env),
    SCN("copilot_label_above_clearance", SCT(GT_COPILOT), build_copilot_clearance),
    SCN("copilot_hc_via_plugin", SCT(GT_COPILOT), build_copilot_plugin),
    SCN("copilot_label_forbidden_host", SCT(GT_COPILOT), build_copilot_forbidden),
    SCN("copilot_jailbreak", SCT(GT_COPILOT), build_copilot_jailbreak),
    SCN("connector_failure", SCT(GT_HEALTH), build_connector_failure),
    SCN("connector_flapping", SCT(GT_HEALTH), build_connector_flapping),
    SCN("rule_run_failure", SCT(GT_HEALTH), build_rule_run_failure),
    SCN("source_silent", SCT(GT_HEALTH), build_source_silent),
    SCN("dup_incident_title", SCT(GT_INCIDENT) | SCT(GT_ALERT), build_dup_incident_title),
    SCN("dup_alert_multi_incident", SCT(GT_INCIDENT) | SCT(GT_ALERT), build_dup_alert),
    SCN("dup_rule_title", SCT(GT_INCIDENT) | SCT(GT_ALERT), build_dup_rule_title),
    {"duplicate_ingestion", "benign:duplicate_ingestion", (1u << GT_N) - 1, SCK_DUPLICATE, NULL},
};
const size_t gen_n_scenario_defs = SP_ARRAY_LEN(gen_scenario_defs);

/* ---- the stream ---- */

static int step_cmp(const void *a, const void *b)
{
    const sc_step *x = a, *y = b;
    if (x->clock != y->clock)
        return x->clock < y->clock ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void sc_emit(gen_stream *base, gen *g, void *model)
{
    (void)g;
    gen_scn *s = (gen_scn *)base;
    const sc_step *st = &s->steps[s->pos++];
    memcpy(model, s->blob + st->off, gen_model_size(st->gt));
    s->base.gt = st->gt;
    s->base.label = st->benign ? s->def->benign : s->def->name;
    s->base.next = s->pos < s->n ? s->steps[s->pos].clock : INT64_MAX;
}

static void sc_free(gen_stream *base)
{
    gen_scn *s = (gen_scn *)base;
    free(s->steps);
    free(s->blob);
    free(s);
}

gen_stream *scenario_stream_new(gen *g, size_t d, uint64_t k, int64_t at, int64_t seg_lo, int64_t seg_hi,
                                unsigned tables)
{
    const struct gen_ctx_view *c = gen_ctx(g);
    gen_scn *s = sp_xcalloc(1, sizeof *s);
    s->base.emit = sc_emit;
    s->base.free = sc_free;
    s->def = &gen_scenario_defs[d];
    s->g = g;
    s->w = c->world;
    s->k = k;
    s->d = d;
    s->at = at;
    s->seg_lo = seg_lo;
    s->seg_hi = seg_hi;
    s->tables = tables;
    rng_seed(&s->r, c->seed, 10000000 + d * 100000 + k); /* apart from every other stream */
    s->def->build(s);
    if (!s->n) {
        sc_free(&s->base);
        return NULL;
    }
    qsort(s->steps, s->n, sizeof *s->steps, step_cmp);
    s->base.next = s->steps[0].clock;
    return &s->base;
}
