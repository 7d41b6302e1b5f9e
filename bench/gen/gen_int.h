/* gen_int.h — internals of the generator, shared by the files of bench/gen only.
 *
 * Ownership: the world (gen_world) owns every pool and pre-rendered string through one
 * arena; streams own their own state and are freed by their free function; models are
 * plain values filled by a stream and read by a renderer.
 *
 * Layout of the module:
 *   rng.c        PRNG (xoshiro256**), deterministic log/exp, alias sampler, JSON writers
 *   catalog.c    static reference data (apps, errors, cities, ISPs, user agents, ...)
 *   world.c      the seeded world: users, offices, IP pools, apps, CA policies, diurnal curve
 *   signin.c     background sign-in streams (4 tables) filling gen_signin models
 *   signin_render.c  column lists and Log Analytics / Event Hubs renderers for sign-ins
 *   health.c, incident.c, copilot.c   the other tables (stream + renderer each)
 *   scenario.c   attack scenarios and near-misses (scripts of labelled models, streamed)
 *   gen.c        the generator object: table selection, merging streams by time,
 *                duplicate ingestion (re-delivered background records)
 *   watchlist.c  the tenant's watchlists as Sentinel CSV files
 *   sink.c       plain / zstd output
 * Models of every table are declared here so scenarios can fill any of them.
 */
#ifndef SP_GEN_INT_H
#define SP_GEN_INT_H

#include "bench/gen/gen.h"

/* ---- random numbers ---------------------------------------------------------------- */

typedef struct gen_rng {
    uint64_t s[4];
} gen_rng;

static inline uint64_t gen_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman & Vigna): fast, 256-bit state, passes BigCrush. */
static inline uint64_t rng_u64(gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = gen_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = gen_rotl(s[3], 45);
    return out;
}

/* Uniform in [0, n) by multiply-shift (Lemire; bias < n / 2^32, irrelevant here). */
static inline uint32_t rng_below(gen_rng *r, uint32_t n)
{
    return (uint32_t)(((rng_u64(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static inline int64_t rng_range(gen_rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_u64(r) % (uint64_t)(hi - lo + 1));
}

/* True with probability bp / 10000 (basis points). */
static inline bool rng_bp(gen_rng *r, uint32_t bp)
{
    return rng_below(r, 10000) < bp;
}

static inline double rng_unit(gen_rng *r) /* [0, 1) */
{
    return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

/* Seeds stream `stream` of seed `seed` with splitmix64, so streams never overlap in
 * practice and each part of the generator draws from its own sequence. */
void rng_seed(gen_rng *r, uint64_t seed, uint64_t stream);
/* A fixed 64-bit mix of up to three values (stable across builds). */
uint64_t gen_mix(uint64_t a, uint64_t b, uint64_t c);

/* log and exp from +,-,*,/ only, so every IEEE-754 machine computes the same bits
 * (libm's results may differ in the last place between versions). */
double gen_ln(double x);
double gen_expo(double x);
double rng_exp1(gen_rng *r); /* Exp(1) variate */

/* Walker/Vose alias table: O(1) draws from a fixed discrete distribution. */
typedef struct gen_alias {
    uint32_t n;
    uint32_t *alias;
    uint64_t *cut; /* accept i when the low 32 random bits are below cut[i] */
} gen_alias;

void alias_init(gen_alias *a, const double *w, uint32_t n);
void alias_zipf(gen_alias *a, uint32_t n, double s); /* weight of rank i = 1/(i+1)^s */
void alias_free(gen_alias *a);
static inline uint32_t alias_draw(const gen_alias *a, gen_rng *r)
{
    uint64_t x = rng_u64(r);
    uint32_t i = (uint32_t)(((x >> 32) * (uint64_t)a->n) >> 32);
    return (x & 0xffffffffu) < a->cut[i] ? i : a->alias[i];
}

/* ---- ids and JSON writing ---------------------------------------------------------- */

typedef struct gen_guid {
    uint64_t hi, lo;
} gen_guid;

uint64_t gen_gcd(uint64_t a, uint64_t b);
gen_guid rng_guid(gen_rng *r);                       /* random, version-4 layout */
gen_guid guid_from(uint64_t a, uint64_t b, uint64_t c); /* derived, version-4 layout */

#define W_LIT(b, s) sp_buf_append((b), (s), sizeof(s) - 1)
void w_u64(sp_buf *b, uint64_t v);
void w_i64(sp_buf *b, int64_t v);
void w_guid(sp_buf *b, gen_guid g);   /* 36 characters, lower-case, no quotes */
void w_qguid(sp_buf *b, gen_guid g);  /* quoted */
void guid_str(gen_guid g, char out[37]);
void w_b64url16(sp_buf *b, gen_guid g); /* 22 characters of base64url, no padding */
void w_dt(sp_buf *b, int64_t ticks);  /* 2026-11-01T08:00:00.1234567Z */
void w_qdt(sp_buf *b, int64_t ticks); /* quoted */
/* 2026-11-01T03:00:00.1234567-05:00: the same instant written at offset off_min. */
void w_dt_offset(sp_buf *b, int64_t ticks, int off_min);
/* Second-precision forms: 2026-11-01T08:00:00Z, and no zone (Purview CreationTime). */
void w_dt_sec(sp_buf *b, int64_t ticks, bool zone);
void w_qstr(sp_buf *b, const char *s); /* JSON string of a NUL-terminated string */
/* Appends `json` (a complete JSON value) as a JSON string holding its text. */
void w_as_text(sp_buf *b, const char *json, size_t n);
int64_t gen_unix_ms(int64_t ticks);

/* ---- static catalogs (catalog.c) ----------------------------------------------------- */

typedef struct gen_city {
    const char *city, *state, *cc, *lat, *lon;
    int16_t tz_min; /* UTC offset in November */
} gen_city;

typedef enum { IPK_CORP, IPK_HOME, IPK_MOBILE, IPK_CLOUD, IPK_VPN, IPK_CI, IPK_AZURE, IPK_THREAT,
               IPK_FOREIGN } gen_ipkind;

typedef struct gen_isp {
    const char *cc;     /* country it serves; NULL = global (cloud, hosting) */
    const char *name;
    uint32_t asn;
    uint8_t kind;       /* gen_ipkind */
    uint8_t v6;         /* 1: prefix is IPv6 (first 32 bits in base) */
    uint8_t bits;       /* prefix length (v4) */
    uint32_t base;      /* v4 network, or the first 32 bits of the v6 prefix */
    const char *city;   /* cloud/hosting: the city of the region; NULL = users' cities */
} gen_isp;

typedef struct gen_office_def {
    const char *city;
    const char *site;   /* named network location */
    const char *domain; /* UPN suffix of most users here */
    uint16_t share;     /* users per mille */
} gen_office_def;

typedef struct gen_name {
    const char *display, *ascii;
} gen_name;

enum { APP_WEB = 1, APP_RICH = 2, APP_MOBILE = 4, APP_LEGACY = 8, APP_CLI = 16, APP_ADMIN = 32 };
enum { OWN_MICROSOFT, OWN_TENANT, OWN_VENDOR };

typedef struct gen_app_def {
    const char *name;
    const char *id;       /* well-known app id; NULL = generated per tenant */
    uint8_t profile;      /* APP_* flags: which clients use it */
    uint8_t owner;        /* OWN_* */
    uint8_t resource;     /* index into gen_resources */
    uint16_t weight;      /* relative popularity (interactive) */
    uint16_t ni_weight;   /* relative popularity (non-interactive refreshes) */
} gen_app_def;

typedef struct gen_resource_def {
    const char *name, *id;
} gen_resource_def;

enum { ERRK_PREAUTH = 1, ERRK_INTERRUPT = 2, ERRK_CA = 4, ERRK_TOKEN = 8, ERRK_APP = 16 };

typedef struct gen_error {
    uint32_t code;
    const char *reason;  /* Status.failureReason / ResultDescription */
    const char *detail;  /* Status.additionalDetails, may be NULL */
    uint8_t kind;        /* ERRK_* */
    uint16_t w_int, w_ni, w_sp, w_mi; /* background weights per table (0 = never) */
} gen_error;

enum { OS_WIN, OS_MAC, OS_IOS, OS_ANDROID, OS_LINUX, OS_N };
enum { UAK_BROWSER, UAK_RICH, UAK_LEGACY, UAK_TOOL };

typedef struct gen_ua {
    const char *ua, *os, *browser;
    uint8_t platform; /* OS_* */
    uint8_t kind;     /* UAK_* */
    uint16_t weight;
} gen_ua;

typedef struct gen_client {
    const char *name;
    uint8_t legacy;
} gen_client;

typedef struct gen_policy_def {
    const char *name;
    const char *grant;   /* JSON array text */
    const char *session; /* JSON array text */
    uint8_t state;       /* 0 enabled, 1 report-only, 2 disabled */
} gen_policy_def;

typedef struct gen_mfa {
    const char *method, *detail;
} gen_mfa;

enum { FED_GITHUB, FED_ADO, FED_AKS, FED_N };
typedef struct gen_fed_range {
    const char *cidr;  /* "4.148.96.0/24", "2603:1030:20c:3::/64" (v6: /64 or shorter) */
    const char *name;  /* RangeName in the watchlist */
    uint8_t kind;      /* FED_*: which workloads leave through it */
    const char *isp;   /* gen_isps name (ASN) */
    const char *city;
} gen_fed_range;

extern const gen_city gen_cities[];
extern const size_t gen_n_cities;
extern const gen_isp gen_isps[];
extern const size_t gen_n_isps;
extern const gen_office_def gen_offices[];
extern const size_t gen_n_offices;
extern const gen_name gen_first_names[], gen_last_names[];
extern const size_t gen_n_first_names, gen_n_last_names;
extern const gen_app_def gen_apps[];
extern const size_t gen_n_apps;
extern const char *const gen_lob_prefix[], *const gen_lob_suffix[];
extern const size_t gen_n_lob_prefix, gen_n_lob_suffix;
extern const gen_resource_def gen_resources[];
extern const size_t gen_n_resources;
extern const gen_error gen_errors[];
extern const size_t gen_n_errors;
extern const gen_ua gen_uas[];
extern const size_t gen_n_uas;
extern const gen_client gen_clients[];
extern const size_t gen_n_clients;
extern const gen_policy_def gen_policies[];
extern const size_t gen_n_policies;
extern const gen_mfa gen_mfas[];
extern const size_t gen_n_mfas;
extern const char *const gen_guest_domains[];
extern const size_t gen_n_guest_domains;
extern const gen_fed_range gen_fed_ranges[];
extern const size_t gen_n_fed_ranges;
extern const char *const gen_sensitive_apps[], *const gen_sensitive_lob_prefix[];
extern const size_t gen_n_sensitive_apps, gen_n_sensitive_lob_prefix;
#define GEN_PARTNER_DOMAINS 6 /* gen_guest_domains[0..5] are partner organisations */
#define GEN_CA_SENSITIVE 6    /* gen_policies[6] guards the sensitive apps */

int gen_city_find(const char *name); /* index in gen_cities, -1 when absent */
int gen_error_find(uint32_t code);   /* index in gen_errors, -1 when absent */
int gen_app_find(const char *name);  /* index in gen_apps, -1 when absent */
int gen_ua_find_kind(uint8_t kind, uint8_t platform); /* first UA of that kind */
int gen_ua_find(const char *prefix);                    /* first UA starting so */

#define GEN_MS_TENANT "f8cdef31-a31e-4b4a-93e4-5f571e91255a" /* Microsoft Services */
#define GEN_RES_GRAPH 0 /* gen_resources[0] is Microsoft Graph */

/* ---- the seeded world (world.c) ------------------------------------------------------- */

/* U_SVC: a service account (a multifunction scanner sending mail with SMTP AUTH),
 * excluded from "Block legacy authentication". */
enum { U_GUEST = 1, U_ADMIN = 2, U_MAC = 4, U_ANDROID = 8, U_COPILOT = 16, U_HYBRID = 32, U_SVC = 64 };

typedef struct gen_ip {
    const char *s;
    uint8_t len;
    uint8_t kind; /* gen_ipkind */
    uint16_t city;
    uint16_t isp;
} gen_ip;

typedef struct gen_user {
    const char *upn, *name; /* NUL-terminated, in the world's arena */
    char oid[37];
    char home_tenant[37];   /* guests: their home tenant */
    uint32_t home4, home6;  /* IP pool indices; home6 = UINT32_MAX when none */
    uint16_t office, city;
    uint8_t flags;          /* U_* */
    uint8_t clearance;      /* highest sensitivity label rank the user may read (Copilot) */
    char laptop[16];        /* Windows/macOS device name */
} gen_user;

typedef struct gen_office {
    uint16_t city;
    uint32_t lo, n;             /* users [lo, lo + n) */
    uint32_t egress, n_egress;  /* corporate egress IPs in the pool */
    uint32_t scanner;           /* the office's scan-to-mail service account (a user) */
    gen_alias pick;             /* Zipf over the office's users */
} gen_office;

typedef struct gen_app {
    const char *name;
    char id[37], sp_oid[37];
    uint8_t profile, owner;
    uint8_t sensitive;          /* in the sensitive_apps watchlist (CA007) */
    uint16_t resource;
} gen_app;

typedef struct gen_resource {
    const char *name;
    char id[37], sp_oid[37];
} gen_resource;

/* Workload identities (service principals and managed identities). */
enum { CRED_SECRET, CRED_ASSERTION, CRED_FIC, CRED_CERT, CRED_MSI };
typedef struct gen_sp {
    const char *name;
    char app_id[37], sp_oid[37], key_id[37], fic_id[37];
    char thumb[41];
    uint8_t cred;        /* CRED_* */
    uint8_t msi_user;    /* managed identity: user-assigned */
    uint16_t resource;   /* usual target resource */
    uint32_t ip_lo, ip_n; /* egress IPs it signs in from */
    const char *arm_id;  /* managed identity: associated Azure resource */
    const char *arm_id2; /* user-assigned identity: a second resource it is attached to */
    const char *issuer;  /* federated credential issuer */
    const char *subject; /* federated credential subject */
    const char *subject_pr; /* what its pull-request runs present (not covered: 700213) */
    uint8_t fed;         /* FED_* when cred == CRED_FIC */
    uint8_t dev;         /* managed identity of the dev environment */
    uint8_t hour_lo, hour_hi; /* usual hours, team-local [lo, hi); 0..24 = around the clock */
    int16_t tz_min;      /* the owning team's UTC offset */
    uint16_t team;       /* office of the owning team */
} gen_sp;

#define GEN_N_USERS 50000
#define GEN_N_APPS 300
#define GEN_WEEK_MIN (7 * 24 * 60)

typedef struct gen_world {
    sp_arena arena;
    uint64_t seed;
    char tenant[37], workspace[37], subscription[37];
    const char *tenant_name;
    gen_user *users;
    uint32_t n_users;   /* people, then one scanner service account per office */
    uint32_t n_people;
    gen_office *offices;
    uint32_t n_offices;
    gen_ip *ips;
    uint32_t n_ips;
    /* pool segments */
    uint32_t mobile_lo[64], mobile_n[64]; /* per country index (see world.c) */
    uint32_t cloud_lo, cloud_n, vpn_lo, vpn_n, azure_lo, azure_n, threat_lo, threat_n;
    uint32_t fed_lo[FED_N], fed_n[FED_N];             /* federated egress (gen_fed_ranges) */
    uint32_t fed_spare_lo[FED_N], fed_spare_n[FED_N]; /* same ranges, never used by background */
    uint32_t foreign_lo, foreign_n;                   /* IPK_FOREIGN: scenarios only */
    gen_app *apps;
    uint32_t n_apps;
    gen_alias app_pick, app_pick_ni;
    gen_resource *resources;
    uint32_t n_resources;
    gen_sp *sps, *mis;
    uint32_t n_sps, n_mis;
    uint32_t n_sps_bg;  /* sps[n_sps_bg..n_sps) are new apps only scenarios use */
    char sub_dev[37];   /* the dev subscription (w->subscription is prod) */
    char partner_tenant[GEN_PARTNER_DOMAINS][37]; /* tenants of gen_guest_domains[0..5] */
    gen_alias sp_pick, mi_pick;
    char (*policy_ids)[37];
    char *loc_json[64]; /* pre-rendered LocationDetails per city (lazy) */
    double mult[GEN_WEEK_MIN];       /* diurnal rate multiplier per UTC minute of week */
    gen_alias office_by_hour[168];   /* which office is active, per UTC hour of week */
    gen_alias ua_pick[OS_N][2];      /* per platform: [0] browsers, [1] rich clients */
    gen_alias err_pick[4];           /* per sign-in table */
    uint32_t *copilot_users;
    uint32_t n_copilot_users;
} gen_world;

gen_world *world_new(uint64_t seed);
void world_free(gen_world *w);
/* Diurnal rate multiplier at a time (mean 1 over a week). */
double world_mult(const gen_world *w, int64_t ticks);
uint32_t world_hour_of_week(int64_t ticks);
/* The LocationDetails object for a city, pre-rendered. */
const char *world_location(gen_world *w, uint16_t city);
/* Picks a user active at `ticks` (office by local working hours, then Zipf). */
uint32_t world_pick_user(const gen_world *w, gen_rng *r, int64_t ticks);
/* A mobile-carrier IP for a user's country. */
uint32_t world_mobile_ip(const gen_world *w, gen_rng *r, uint16_t city);
int world_country_slot(const char *cc);
/* Whether a workload runs at `ticks` (its team's usual hours). */
bool world_sp_active(const gen_sp *sp, int64_t ticks);
/* Minute of the day (0..1439) at `ticks` in a zone of offset tz_min. */
int world_local_minute(int64_t ticks, int tz_min);

/* ---- streams ---------------------------------------------------------------------------- */

/* A stream produces events in time order; the generator merges streams by their next
 * time (the merge clock). Each table's background traffic is one stream; each attack
 * scenario instance is another. `next` never decreases, and a record's TimeGenerated
 * is at or after the clock it was emitted at (less than a second before for records
 * with whole-second times), plus ingestion delay. */
typedef struct gen_stream gen_stream;
struct gen_stream {
    int64_t next;      /* time of the next event; INT64_MAX when exhausted */
    const char *label; /* of the record just emitted: scenario label, NULL for background */
    uint8_t gt;        /* table (GT_*) of the record just emitted */
    /* Fills the table's model with the next event and advances `next`. */
    void (*emit)(gen_stream *s, gen *g, void *model);
    void (*free)(gen_stream *s);
};

/* Shared by every stream of a generator. */
struct gen_ctx_view {
    gen_world *world;
    uint64_t seed;
    int64_t start;
    double rate;          /* events per second over all selected tables */
    double rates[8];      /* per table (GT_*): what its background stream produces */
    uint64_t events;
};

gen_world *gen_world_of(gen *g);
const struct gen_ctx_view *gen_ctx(const gen *g);

/* ---- sign-in model (signin.c, signin_render.c) ----------------------------------------- */

enum { GT_SIGNIN, GT_NONINT, GT_SP, GT_MI, GT_HEALTH, GT_INCIDENT, GT_ALERT, GT_COPILOT, GT_N };

#define GEN_MAX_POLICIES 12
enum { CAR_NOTAPPLIED, CAR_SUCCESS, CAR_FAILURE, CAR_NOTENABLED, CAR_RO_SUCCESS, CAR_RO_FAILURE,
       CAR_RO_NOTAPPLIED, CAR_RO_INTERRUPTED, CAR_N };
enum { CAS_SUCCESS, CAS_FAILURE, CAS_NOTAPPLIED };
enum { DEV_NONE, DEV_LAPTOP, DEV_PHONE };
enum { PROTO_NONE, PROTO_DEVICECODE, PROTO_ROPC, PROTO_SAML, PROTO_WSFED, PROTO_OAUTH2, PROTO_N };

typedef struct gen_signin {
    uint8_t table;     /* GT_SIGNIN .. GT_MI */
    int64_t created;   /* CreatedDateTime */
    int64_t time;      /* TimeGenerated */
    gen_guid id, corr, session, uti;
    uint32_t user;     /* user tables */
    uint32_t sp;       /* service principal / managed identity index */
    uint32_t app, resource, ip, ua;
    uint16_t err;      /* gen_errors index; 0 = success */
    uint8_t dev;       /* DEV_* */
    uint8_t client;    /* gen_clients index */
    uint8_t proto;     /* PROTO_* */
    uint8_t mfa;       /* gen_mfas index + 1; 0 = no MFA step */
    uint8_t mfa_claim; /* token claim satisfied the requirement (MFA when multi, else first factor) */
    uint8_t multi;     /* multiFactorAuthentication required */
    uint8_t risk;      /* 0 none, 1 low, 2 medium, 3 high */
    uint8_t risk_event;
    uint8_t ca_status; /* CAS_* */
    uint8_t ca[GEN_MAX_POLICIES];
    uint8_t trusted;   /* from a named corporate network */
    uint8_t cae;       /* continuous access evaluation token */
    uint16_t proc_ms;
    uint8_t ca_excluded;  /* user excluded from "Block legacy authentication" (CA001) */
    uint8_t status_detail; /* Status.additionalDetails: 0 the code's own, else gen_status_details[i] */
    /* Overrides, NULL = the identity's own value (world strings, alive with the gen) */
    const char *res_tenant;  /* ResourceTenantId: a sign-in into another tenant */
    const char *fic_id;      /* FederatedCredentialId presented */
    const char *assert_iss, *assert_sub, *assert_aud; /* federated assertion presented */
    const char *msi_assoc;   /* ManagedServiceIdentity.associatedResourceId */
    /* Event Hubs form variations (same event, different spelling) */
    uint8_t eh_level_num, eh_duration_str;
    int16_t eh_offset_min;
} gen_signin;

extern const char *const gen_status_details[];
#define GEN_FIC_AUDIENCE "api://AzureADTokenExchange"

/* Background streams per sign-in table. */
gen_stream *signin_stream_new(gen *g, int table);
/* Fills the parts of a sign-in model every event needs (ids, envelope spellings,
 * processing time) from r; used by background streams and scenarios alike. */
void signin_fill_common(gen_signin *m, gen_rng *r, int table, int64_t created);
/* Decides Conditional Access results and status for a user sign-in model. */
void signin_apply_ca(const gen_world *w, gen_signin *m, gen_rng *r);
/* A user sign-in as background has it: who, from where (ip), to which app, on which
 * device (DEV_*); then, once the outcome (err, client, proto) is set, its MFA story and
 * Conditional Access results. */
void signin_user_setup(const gen_world *w, gen_signin *m, gen_rng *r, uint32_t user, uint32_t ip,
                       uint32_t app, uint8_t dev);
void signin_user_finish(const gen_world *w, gen_signin *m, gen_rng *r);
/* Renders a sign-in model in envelope env; fills ev's id and key. */
void signin_render(gen *g, const gen_signin *m, gen_envelope env, sp_buf *out, gen_event *ev);

/* ---- other tables -------------------------------------------------------------------------- */

/* The incident process (incident.c), shared by SecurityIncident, SecurityAlert and the
 * automation runs in SentinelHealth so all three name the same incidents. */
#define GEN_INCIDENT_RATE (1.0 / 480) /* default incidents per second */
typedef struct inc_arrivals {
    gen_rng r;
    int64_t t;  /* creation time of incident k */
    uint64_t k;
    double gap; /* mean ticks between incidents */
} inc_arrivals;
typedef struct inc_summary_t {
    uint32_t number;
    gen_guid name;
    const char *severity;
    bool xdr, closed;
} inc_summary_t;
void inc_arrivals_init(inc_arrivals *a, const struct gen_ctx_view *c, double incidents_per_s);
void inc_arrivals_step(inc_arrivals *a, const gen_world *w);
void inc_summary(const gen_world *w, uint64_t k, int64_t t0, inc_summary_t *out);
double incident_default_rate(bool alerts); /* events per second of each table */

typedef struct gen_health gen_health;       /* health.c */
typedef struct gen_incident_row gen_incident_row; /* incident.c */
typedef struct gen_copilot gen_copilot;     /* copilot.c */

/* SentinelHealth model (health.c). status: 0 Success, 1 Failure, 2 Partial success,
 * 3 Informational. reason indexes the connector reasons (HCR_*) or rule reasons (HRR_*). */
enum { HK_CONN_CHANGE, HK_CONN_SUMMARY, HK_RULE, HK_AUTOMATION, HK_PLAYBOOK };
enum { HCR_UNAUTHORIZED, HCR_THROTTLING, HCR_UNAVAILABLE, HCR_FORBIDDEN };
enum { HRR_TIMEOUT, HRR_INTERNAL, HRR_SEMANTIC };
struct gen_health {
    int64_t time;
    gen_guid record, corr;
    uint8_t kind, status;
    uint16_t res;         /* connector, rule, automation rule or playbook index */
    uint8_t reason, actions, ok_actions, playbook;
    uint16_t results, alerts, failures;
    int64_t q_start, q_end;
    inc_summary_t inc;
    gen_guid run;
};
int health_rule_find(const char *name);      /* -1 when absent */
int health_connector_find(const char *name); /* -1 when absent */
void health_rule_schedule(int rule, int64_t *freq, int64_t *period); /* ticks */

gen_stream *health_stream_new(gen *g);
double health_default_rate(void);
void health_render(gen *g, const void *m, gen_envelope env, sp_buf *out, gen_event *ev);
/* SecurityIncident / SecurityAlert model (incident.c): one incident, its update rows and
 * its alerts; a record is one row or one alert of it. */
#define INC_MAX_ROWS 6
#define INC_MAX_ALERTS 5
enum { BY_CREATED, BY_AUTOMATION, BY_ANALYST, BY_ALERT };
enum { ST_NEW, ST_ACTIVE, ST_CLOSED };
enum { CLS_NONE, CLS_TRUE_POSITIVE, CLS_BENIGN_POSITIVE, CLS_FALSE_POSITIVE, CLS_UNDETERMINED };

typedef struct inc_row {
    int64_t t;     /* LastModifiedTime of this row */
    uint8_t status, owner, alerts, comments, by; /* alerts: how many of alert_ids it lists */
} inc_row;

typedef struct inc_desc {
    uint64_t k;
    int64_t created;
    uint32_t number;
    gen_guid name;
    uint16_t rule;             /* inc_rule_find() index: alert name, severity, tactics */
    const char *title;         /* incident Title */
    const char *rule_id;       /* analytics rule id (RelatedAnalyticRuleIds), NULL = none */
    uint8_t xdr;               /* ProviderName "Microsoft XDR" rather than "Azure Sentinel" */
    uint32_t user, ip, analyst;
    uint8_t n_rows, n_alerts, cls, labeled;
    inc_row rows[INC_MAX_ROWS];
    int64_t alert_t[INC_MAX_ALERTS];
    gen_guid alert_ids[INC_MAX_ALERTS];
} inc_desc;

struct gen_incident_row {
    inc_desc d;
    uint8_t idx; /* row (SecurityIncident) or alert (SecurityAlert) */
};

int inc_rule_find(const char *name); /* -1 when absent */
/* A blank incident for scenario k of a scenario: number, name and alert ids of its own,
 * the rule's title, provider and rule id; no rows, no alerts. */
void inc_desc_init(const gen_world *w, inc_desc *d, uint64_t k, int rule, int64_t created);

gen_stream *incident_stream_new(gen *g, bool alerts);
void incident_render(gen *g, const void *m, gen_envelope env, sp_buf *out, gen_event *ev);
void alert_render(gen *g, const void *m, gen_envelope env, sp_buf *out, gen_event *ev);
/* CopilotActivity model (copilot.c). */
enum { AH_TEAMS, AH_OUTLOOK, AH_WORD, AH_EXCEL, AH_PPT, AH_BIZCHAT, AH_BING, AH_LOOP, AH_STUDIO, AH_N };
enum { LBL_PUBLIC, LBL_GENERAL, LBL_CONFIDENTIAL, LBL_CONF_ALL, LBL_HIGHLY, LBL_HIGHLY_SP, LBL_N };
#define LABEL_NONE 255
/* plugin: none, Microsoft's web search, a tenant Copilot Studio agent, a third-party
 * plugin or declarative agent (copilot.c's third_party[agent]) */
enum { CPP_NONE, CPP_BING, CPP_TENANT_AGENT, CPP_THIRD_PARTY, CPP_THIRD_PARTY_AGENT };
enum { CPX_JIRA, CPX_SALESFORCE, CPX_LEXIAI, CPX_N };
#define CP_MAX_RES 5
#define CP_N_SITES 10
#define CP_N_DOCS 20
typedef struct cp_res {
    uint8_t site, doc, label; /* label: LBL_* or LABEL_NONE */
    uint8_t onedrive;         /* in the user's OneDrive rather than a site */
    uint8_t xpia;             /* XPIADetected: a prompt injection inside the document */
} cp_res;
struct gen_copilot {
    int64_t time;
    gen_guid id, thread, res_id[CP_MAX_RES];
    uint32_t user, ip;
    uint8_t ip_form;   /* 0 as is, 1 `ffff:` + private office address */
    uint8_t priv[4];   /* private address for ip_form 1 */
    uint8_t apphost, ctx_kind, n_res, n_msgs, plugin, model, agent;
    uint8_t jailbreak; /* bit i: Messages[i].JailbreakDetected */
    cp_res res[CP_MAX_RES];
};
extern const char *const copilot_sites[CP_N_SITES], *const copilot_docs[CP_N_DOCS];
/* An interaction of user u in apphost at t, as background traffic has it (before the
 * tenant's label policy is applied). */
void copilot_fill(const gen_world *w, struct gen_copilot *m, gen_rng *r, uint32_t u, uint8_t apphost, int64_t t);
gen_guid copilot_doc_id(const gen_world *w, const cp_res *cr, uint32_t user);
gen_guid copilot_plugin_id(const gen_world *w, int plugin, int which);
int copilot_label_rank(int label); /* 0 for LABEL_NONE */
bool copilot_forbidden(int label, int apphost);
/* Watchlist CSV bodies (header line first). */
void copilot_wl_labels(sp_buf *csv);
void copilot_wl_forbidden(sp_buf *csv);
void copilot_wl_plugins(const gen_world *w, sp_buf *csv);

gen_stream *copilot_stream_new(gen *g);
void copilot_render(gen *g, const void *m, gen_envelope env, sp_buf *out, gen_event *ev);

/* The largest model of any table; the generator keeps one of these. */
#define GEN_MODEL_BYTES 4096

/* Appends one CSV line of n NUL-terminated fields (quoted when needed, RFC 4180). */
void gen_csv_row(sp_buf *b, int n, ...);

/* Scratch the renderers share (valid during one gen_next). */
sp_buf *gen_scratch(gen *g, int i);
/* Fills ev with a record's id, partition key (copied, at most 255 bytes) and time. */
void gen_event_set(gen *g, gen_event *ev, gen_guid id, const char *key, int64_t time);
/* The same with an id that is not a GUID (at most 95 bytes). */
void gen_event_set_str(gen *g, gen_event *ev, const char *id, const char *key, int64_t time);

/* ---- attack scenarios (scenario.c) ----------------------------------------------------- */

enum { SCK_SCRIPT, SCK_DUPLICATE };

typedef struct gen_scn gen_scn; /* a scenario instance being built (scenario.c) */

typedef struct gen_scenario_def {
    const char *name;   /* label of its attack records, e.g. "password_spray" */
    const char *benign; /* label of its near-misses: "benign:" + name */
    unsigned tables;    /* bit (1u << GT_*) of every table it writes */
    uint8_t kind;       /* SCK_SCRIPT: build() writes it; SCK_DUPLICATE: gen.c re-delivers */
    void (*build)(gen_scn *s);
} gen_scenario_def;

extern const gen_scenario_def gen_scenario_defs[];
extern const size_t gen_n_scenario_defs;

/* Instance k of scenario gen_scenario_defs[d], starting at `at` inside [seg_lo, seg_hi),
 * the share of the planned run it owns (periodic sources run through all of it);
 * records of tables not in `tables` are left out. NULL when nothing is left. */
gen_stream *scenario_stream_new(gen *g, size_t d, uint64_t k, int64_t at, int64_t seg_lo, int64_t seg_hi,
                                unsigned tables);
size_t gen_model_size(int gt); /* bytes of table gt's model */

#endif
