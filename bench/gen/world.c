/* world.c — the seeded world every table draws from: one tenant with ~50k users in
 * offices around the world, their devices and home/mobile IP addresses, ~300 apps,
 * service principals and managed identities, Conditional Access policy ids, and the
 * diurnal activity curve.
 *
 * Built once per generator (tens of milliseconds) so the per-event path only indexes
 * pools and copies pre-rendered strings. IP addresses cluster as real traffic does:
 * a few corporate egress addresses carry a large share, each user has a home address
 * (some also IPv6), phones draw from carrier pools, workloads come from cloud and CI
 * ranges. Every choice comes from rng streams of the seed, so the world is identical
 * for equal seeds on every machine.
 */
#include "bench/gen/gen_int.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Countries with offices, in a fixed order (index = country slot). */
static const char *const countries[] = {"US", "CA", "GB", "IE", "DE", "FR", "NL",
                                        "IN", "SG", "JP", "AU", "BR"};

int world_country_slot(const char *cc)
{
    for (size_t i = 0; i < SP_ARRAY_LEN(countries); i++)
        if (!strcmp(countries[i], cc))
            return (int)i;
    return -1;
}

/* Local working-hours activity, weekday and weekend, by local hour. */
static const double act_weekday[24] = {0.08, 0.06, 0.05, 0.05, 0.06, 0.10, 0.25, 0.55,
                                       0.90, 1.00, 1.00, 0.95, 0.85, 0.95, 1.00, 0.95,
                                       0.85, 0.65, 0.40, 0.30, 0.25, 0.20, 0.15, 0.10};
static const double act_weekend[24] = {0.05, 0.04, 0.03, 0.03, 0.03, 0.04, 0.05, 0.07,
                                       0.10, 0.13, 0.15, 0.16, 0.16, 0.16, 0.15, 0.15,
                                       0.14, 0.13, 0.12, 0.11, 0.10, 0.09, 0.07, 0.06};

static double activity(int utc_min_of_week, int tz_min)
{
    int local = (utc_min_of_week + tz_min + GEN_WEEK_MIN) % GEN_WEEK_MIN;
    int dow = local / 1440, hour = (local % 1440) / 60;
    return dow >= 5 ? act_weekend[hour] : act_weekday[hour];
}

static uint32_t minute_of_week(int64_t ticks)
{
    int64_t days = ticks / SP_TICKS_PER_DAY; /* 0001-01-01 was a Monday */
    int64_t in_day = ticks % SP_TICKS_PER_DAY;
    return (uint32_t)((days % 7) * 1440 + in_day / SP_TICKS_PER_MIN);
}

uint32_t world_hour_of_week(int64_t ticks)
{
    return minute_of_week(ticks) / 60;
}

double world_mult(const gen_world *w, int64_t ticks)
{
    return w->mult[minute_of_week(ticks)];
}

static const char *arena_printf(sp_arena *a, const char *fmt, ...) SP_PRINTF(2, 3);
static const char *arena_printf(sp_arena *a, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof tmp)
        n = (int)sizeof tmp - 1;
    return sp_arena_strndup(a, tmp, (size_t)n);
}

/* ---- IP pool ---- */

typedef struct ipvec {
    gen_ip *v;
    size_t n, cap;
} ipvec;

static uint32_t ip_add(gen_world *w, ipvec *iv, const char *s, uint8_t kind, uint16_t city,
                       uint16_t isp)
{
    SP_GROW(iv->v, iv->cap, iv->n + 1);
    gen_ip *ip = &iv->v[iv->n];
    size_t n = strlen(s);
    ip->s = sp_arena_strndup(&w->arena, s, n);
    ip->len = (uint8_t)n;
    ip->kind = kind;
    ip->city = city;
    ip->isp = isp;
    return (uint32_t)iv->n++;
}

/* Formats a random address of ISP range `isp` into buf. */
static void ip_make(gen_rng *r, const gen_isp *isp, char *buf, size_t cap)
{
    if (!isp->v6) {
        uint32_t host = isp->bits >= 32 ? 0 : (uint32_t)rng_u64(r) & (0xffffffffu >> isp->bits);
        uint32_t a = isp->base | host;
        unsigned last = 1 + rng_below(r, 254);
        snprintf(buf, cap, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, last);
    } else {
        uint32_t host = (uint32_t)rng_u64(r) & (isp->bits >= 32 ? 0 : 0xffffffffu >> isp->bits);
        uint32_t hi = isp->base | host;
        uint64_t lo = rng_u64(r), mid = rng_u64(r);
        snprintf(buf, cap, "%x:%x:%x:%x:%x:%x:%x:%x", hi >> 16, hi & 0xffff,
                 (unsigned)(mid >> 48) & 0xffff, (unsigned)(mid >> 32) & 0xffff,
                 (unsigned)(lo >> 48) & 0xffff, (unsigned)(lo >> 32) & 0xffff,
                 (unsigned)(lo >> 16) & 0xffff, (unsigned)lo & 0xffff);
    }
}

/* ISP ranges of a country and kind (v6: 0, 1, or 2 = either). */
static int isps_of(const char *cc, uint8_t kind, int v6, uint16_t *out, int cap)
{
    int n = 0;
    for (size_t i = 0; i < gen_n_isps && n < cap; i++) {
        const gen_isp *p = &gen_isps[i];
        if (p->kind != kind || (v6 != 2 && p->v6 != v6))
            continue;
        if (cc ? (p->cc && !strcmp(p->cc, cc)) : !p->cc)
            out[n++] = (uint16_t)i;
    }
    return n;
}

static uint16_t isp_city(const gen_isp *p, uint16_t fallback)
{
    int c = p->city ? gen_city_find(p->city) : -1;
    return c >= 0 ? (uint16_t)c : fallback;
}

/* A global segment of `n` addresses of one kind. */
static void ip_segment(gen_world *w, ipvec *iv, gen_rng *r, uint8_t kind, uint32_t n,
                       uint32_t *lo, uint32_t *cnt)
{
    uint16_t isps[16];
    int ni = isps_of(NULL, kind, 2, isps, 16);
    *lo = (uint32_t)iv->n;
    *cnt = 0;
    if (!ni)
        return;
    char buf[64];
    for (uint32_t i = 0; i < n; i++) {
        const gen_isp *p = &gen_isps[isps[rng_below(r, (uint32_t)ni)]];
        ip_make(r, p, buf, sizeof buf);
        ip_add(w, iv, buf, kind, isp_city(p, 0), (uint16_t)(p - gen_isps));
    }
    *cnt = n;
}

/* Cities of a country where people live (for homes and phones): the catalog lists
 * those before the cloud regions and hosting sites, which start at Boydton. */
static int cities_of(const char *cc, uint16_t *out, int cap)
{
    int n = 0, end = gen_city_find("Boydton");
    for (size_t i = 0; i < (size_t)end && n < cap; i++)
        if (!strcmp(gen_cities[i].cc, cc))
            out[n++] = (uint16_t)i;
    return n;
}

/* ---- the world ---- */


static void build_locations(gen_world *w)
{
    sp_buf b = {0};
    for (size_t i = 0; i < gen_n_cities && i < SP_ARRAY_LEN(w->loc_json); i++) {
        const gen_city *c = &gen_cities[i];
        b.len = 0;
        W_LIT(&b, "{\"city\":");
        w_qstr(&b, c->city);
        W_LIT(&b, ",\"state\":");
        w_qstr(&b, c->state);
        W_LIT(&b, ",\"countryOrRegion\":");
        w_qstr(&b, c->cc);
        W_LIT(&b, ",\"geoCoordinates\":{\"latitude\":");
        sp_buf_puts(&b, c->lat);
        W_LIT(&b, ",\"longitude\":");
        sp_buf_puts(&b, c->lon);
        W_LIT(&b, "}}");
        w->loc_json[i] = sp_arena_strndup(&w->arena, b.data, b.len);
    }
    sp_buf_free(&b);
}

const char *world_location(gen_world *w, uint16_t city)
{
    return w->loc_json[city < SP_ARRAY_LEN(w->loc_json) ? city : 0];
}

static void build_users(gen_world *w, ipvec *iv)
{
    gen_rng r;
    rng_seed(&r, w->seed, 10);
    w->n_offices = (uint32_t)gen_n_offices;
    w->offices = sp_xcalloc(w->n_offices, sizeof *w->offices);
    w->n_people = GEN_N_USERS;
    w->n_users = w->n_people + w->n_offices; /* + one scanner account per office */
    w->users = sp_xcalloc(w->n_users, sizeof *w->users);

    uint32_t total_share = 0;
    for (size_t o = 0; o < gen_n_offices; o++)
        total_share += gen_offices[o].share;
    uint32_t next = 0;
    for (size_t o = 0; o < gen_n_offices; o++) {
        gen_office *of = &w->offices[o];
        int c = gen_city_find(gen_offices[o].city);
        of->city = (uint16_t)(c < 0 ? 0 : c);
        of->lo = next;
        of->n = o + 1 == gen_n_offices ? w->n_people - next
                                       : (uint32_t)((uint64_t)w->n_users * gen_offices[o].share / total_share);
        next += of->n;
        alias_zipf(&of->pick, of->n, 1.05);
    }

    /* Name pairs come from a permutation of all (first, last) pairs, so a pair repeats
     * only after every pair was used; repeats get a number, as directories do. */
    const uint32_t nf = (uint32_t)gen_n_first_names, nl = (uint32_t)gen_n_last_names;
    const uint64_t pairs = (uint64_t)nf * nl;
    uint64_t mul = 2654435761u % pairs;
    while (mul < 2 || gen_gcd(mul, pairs) != 1)
        mul++;
    uint64_t add = rng_u64(&r) % pairs;

    char buf[256], ipbuf[64];
    for (uint32_t o = 0; o < w->n_offices; o++) {
        gen_office *of = &w->offices[o];
        const gen_city *oc = &gen_cities[of->city];
        uint16_t cc_cities[16], home_isps[8], home6_isps[4];
        int ncc = cities_of(oc->cc, cc_cities, 16);
        int nh = isps_of(oc->cc, IPK_HOME, 0, home_isps, 8);
        int nh6 = isps_of(oc->cc, IPK_HOME, 1, home6_isps, 4);
        for (uint32_t k = 0; k < of->n; k++) {
            uint32_t i = of->lo + k;
            gen_user *u = &w->users[i];
            uint64_t p = (mul * i + add) % pairs;
            const gen_name *fn = &gen_first_names[p % nf], *ln = &gen_last_names[p / nf];
            uint32_t dup = (uint32_t)(i / pairs);
            u->office = (uint16_t)o;
            u->city = rng_bp(&r, 6500) || ncc < 2 ? of->city : cc_cities[rng_below(&r, (uint32_t)ncc)];
            if (rng_bp(&r, 300)) {
                u->flags |= U_GUEST;
                uint32_t d = rng_below(&r, (uint32_t)gen_n_guest_domains);
                if (dup)
                    snprintf(buf, sizeof buf, "%s.%s%u@%s", fn->ascii, ln->ascii, dup, gen_guest_domains[d]);
                else
                    snprintf(buf, sizeof buf, "%s.%s@%s", fn->ascii, ln->ascii, gen_guest_domains[d]);
                guid_str(guid_from(w->seed, 77, d), u->home_tenant);
            } else {
                if (dup)
                    snprintf(buf, sizeof buf, "%s.%s%u@%s", fn->ascii, ln->ascii, dup + 1,
                             gen_offices[o].domain);
                else
                    snprintf(buf, sizeof buf, "%s.%s@%s", fn->ascii, ln->ascii, gen_offices[o].domain);
                memcpy(u->home_tenant, w->tenant, 37);
            }
            u->upn = sp_arena_strndup(&w->arena, buf, strlen(buf));
            snprintf(buf, sizeof buf, "%s %s", fn->display, ln->display);
            u->name = sp_arena_strndup(&w->arena, buf, strlen(buf));
            guid_str(rng_guid(&r), u->oid);
            if (rng_bp(&r, 60))
                u->flags |= U_ADMIN;
            if (rng_bp(&r, 1500))
                u->flags |= U_MAC;
            if (rng_bp(&r, 4500))
                u->flags |= U_ANDROID;
            if (rng_bp(&r, 2500))
                u->flags |= U_COPILOT;
            if (rng_bp(&r, 6000))
                u->flags |= U_HYBRID;
            if (u->flags & U_MAC)
                snprintf(u->laptop, sizeof u->laptop, "MBP-%05u", (unsigned)rng_below(&r, 100000));
            else
                snprintf(u->laptop, sizeof u->laptop, "CTS-%s-L%05u", oc->cc, (unsigned)rng_below(&r, 100000));
            const gen_isp *hp = &gen_isps[home_isps[rng_below(&r, (uint32_t)(nh ? nh : 1))]];
            ip_make(&r, hp, ipbuf, sizeof ipbuf);
            u->home4 = ip_add(w, iv, ipbuf, IPK_HOME, u->city, (uint16_t)(hp - gen_isps));
            u->home6 = UINT32_MAX;
            if (nh6 && rng_bp(&r, 3500)) {
                const gen_isp *h6 = &gen_isps[home6_isps[rng_below(&r, (uint32_t)nh6)]];
                ip_make(&r, h6, ipbuf, sizeof ipbuf);
                u->home6 = ip_add(w, iv, ipbuf, IPK_HOME, u->city, (uint16_t)(h6 - gen_isps));
            }
        }
    }

    /* Copilot clearance: the highest label rank a user may read (copilot.c ranks:
     * 3 Confidential\All Employees, 4 Confidential, 5 Highly Confidential, 6 its
     * Specified People sublabel). Contractors stop at 3, most staff at 4. */
    gen_rng rc;
    rng_seed(&rc, w->seed, 14);
    for (uint32_t i = 0; i < w->n_people; i++) {
        uint32_t x = rng_below(&rc, 100);
        uint8_t c = x < 3 ? 3 : x < 83 ? 4 : x < 98 ? 5 : 6;
        if ((w->users[i].flags & U_ADMIN) && c < 5)
            c = 5;
        w->users[i].clearance = c;
    }
}

/* One scan-to-mail account per office: multifunction printers sign in with SMTP AUTH
 * from the office network, so the tenant excludes them from blocking legacy
 * authentication. They come after the people; world_pick_user never picks them. */
static void build_scanners(gen_world *w)
{
    gen_rng r;
    rng_seed(&r, w->seed, 15);
    char buf[160];
    for (uint32_t o = 0; o < w->n_offices; o++) {
        gen_office *of = &w->offices[o];
        gen_user *u = &w->users[w->n_people + o];
        const char *city = gen_cities[of->city].city;
        char slug[64];
        size_t k = 0;
        for (const char *p = city; *p && k + 1 < sizeof slug; p++)
            if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
                slug[k++] = (char)(*p | 0x20);
        slug[k] = 0;
        snprintf(buf, sizeof buf, "mfp-scan.%s@%s", slug, gen_offices[o].domain);
        u->upn = sp_arena_strndup(&w->arena, buf, strlen(buf));
        snprintf(buf, sizeof buf, "MFP Scanner %s", city);
        u->name = sp_arena_strndup(&w->arena, buf, strlen(buf));
        guid_str(rng_guid(&r), u->oid);
        memcpy(u->home_tenant, w->tenant, 37);
        u->office = (uint16_t)o;
        u->city = of->city;
        u->flags = U_SVC;
        u->clearance = 2;
        u->home4 = of->egress;
        u->home6 = UINT32_MAX;
        snprintf(u->laptop, sizeof u->laptop, "MFP-%s-%02u", gen_cities[of->city].cc, o);
        of->scanner = w->n_people + o;
    }
}

static void build_fed_pools(gen_world *w, ipvec *iv, gen_rng *r);

static void build_network(gen_world *w, ipvec *iv)
{
    gen_rng r;
    rng_seed(&r, w->seed, 11);
    char buf[64];
    /* Corporate egress: a handful of fixed addresses per office, on a business line of
     * a local carrier. */
    for (uint32_t o = 0; o < w->n_offices; o++) {
        gen_office *of = &w->offices[o];
        uint16_t isps[8];
        int n = isps_of(gen_cities[of->city].cc, IPK_HOME, 0, isps, 8);
        const gen_isp *p = &gen_isps[isps[0]];
        (void)n;
        uint32_t k = 3 + of->n / 2500;
        of->egress = (uint32_t)iv->n;
        of->n_egress = k;
        ip_make(&r, p, buf, sizeof buf);
        char *dot = strrchr(buf, '.');
        unsigned base = 1 + rng_below(&r, 200);
        for (uint32_t j = 0; j < k; j++) {
            snprintf(dot + 1, 8, "%u", base + j);
            ip_add(w, iv, buf, IPK_CORP, of->city, (uint16_t)(p - gen_isps));
        }
    }
    /* Carrier pools per country, sized by the users there. */
    for (size_t c = 0; c < SP_ARRAY_LEN(countries); c++) {
        uint32_t users = 0;
        for (uint32_t o = 0; o < w->n_offices; o++)
            if (!strcmp(gen_cities[w->offices[o].city].cc, countries[c]))
                users += w->offices[o].n;
        uint16_t isps[8], cities[16];
        int ni = isps_of(countries[c], IPK_MOBILE, 2, isps, 8);
        int nc = cities_of(countries[c], cities, 16);
        w->mobile_lo[c] = (uint32_t)iv->n;
        w->mobile_n[c] = 0;
        if (!ni || !nc)
            continue;
        uint32_t n = users + 16;
        for (uint32_t j = 0; j < n; j++) {
            const gen_isp *p = &gen_isps[isps[rng_below(&r, (uint32_t)ni)]];
            ip_make(&r, p, buf, sizeof buf);
            ip_add(w, iv, buf, IPK_MOBILE, cities[rng_below(&r, (uint32_t)nc)], (uint16_t)(p - gen_isps));
        }
        w->mobile_n[c] = n;
    }
    ip_segment(w, iv, &r, IPK_CLOUD, 2000, &w->cloud_lo, &w->cloud_n);
    ip_segment(w, iv, &r, IPK_VPN, 300, &w->vpn_lo, &w->vpn_n);
    ip_segment(w, iv, &r, IPK_AZURE, 600, &w->azure_lo, &w->azure_n);
    ip_segment(w, iv, &r, IPK_THREAT, 200, &w->threat_lo, &w->threat_n);
    build_fed_pools(w, iv, &r);
    /* far-away residential networks, 16 addresses each */
    w->foreign_lo = (uint32_t)iv->n;
    for (size_t i = 0; i < gen_n_isps; i++) {
        const gen_isp *p = &gen_isps[i];
        if (p->kind != IPK_FOREIGN)
            continue;
        for (int j = 0; j < 16; j++) {
            ip_make(&r, p, buf, sizeof buf);
            ip_add(w, iv, buf, IPK_FOREIGN, isp_city(p, 0), (uint16_t)i);
        }
    }
    w->foreign_n = (uint32_t)iv->n - w->foreign_lo;
}

/* Parses "a.b.c.d/n" or an IPv6 CIDR into network bytes and prefix length. */
static bool cidr_parse(const char *cidr, unsigned char addr[16], int *bits, bool *v6)
{
    char tmp[64];
    const char *slash = strchr(cidr, '/');
    size_t n = slash ? (size_t)(slash - cidr) : 0;
    if (!slash || n >= sizeof tmp)
        return false;
    memcpy(tmp, cidr, n);
    tmp[n] = 0;
    *v6 = strchr(tmp, ':') != NULL;
    *bits = atoi(slash + 1);
    memset(addr, 0, 16);
    return inet_pton(*v6 ? AF_INET6 : AF_INET, tmp, addr) == 1 && *bits >= 0 && *bits <= (*v6 ? 128 : 32);
}

/* A random host address inside a CIDR (never the network or broadcast address). */
static void cidr_host(gen_rng *r, const unsigned char net[16], int bits, bool v6, char *buf, size_t cap)
{
    unsigned char a[16];
    int len = v6 ? 16 : 4;
    memcpy(a, net, 16);
    for (int i = 0; i < len; i++) {
        int keep = bits - 8 * i; /* network bits in this byte */
        unsigned char mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
        a[i] = (unsigned char)((a[i] & mask) | ((unsigned char)rng_u64(r) & ~mask));
    }
    if (!v6) {
        uint32_t hostmask = bits >= 32 ? 0 : 0xffffffffu >> bits;
        uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
        uint32_t host = v & hostmask;
        if (hostmask >= 3 && (host == 0 || host == hostmask))
            v = (v & ~hostmask) | (1 + (uint32_t)rng_below(r, hostmask - 1));
        snprintf(buf, cap, "%u.%u.%u.%u", v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255);
    } else {
        snprintf(buf, cap, "%x:%x:%x:%x:%x:%x:%x:%x", a[0] << 8 | a[1], a[2] << 8 | a[3],
                 a[4] << 8 | a[5], a[6] << 8 | a[7], a[8] << 8 | a[9], a[10] << 8 | a[11],
                 a[12] << 8 | a[13], a[14] << 8 | a[15]);
    }
}

/* Federated workload egress: per FED_* kind, addresses inside its gen_fed_ranges (the
 * background pool), then a few more per kind that background never uses (a runner a
 * scenario adds). Sized to the range: a /28 has 14 hosts. */
static void build_fed_pools(gen_world *w, ipvec *iv, gen_rng *r)
{
    char buf[64];
    for (int spare = 0; spare < 2; spare++)
        for (int kind = 0; kind < FED_N; kind++) {
            uint32_t lo = (uint32_t)iv->n;
            for (size_t i = 0; i < gen_n_fed_ranges; i++) {
                const gen_fed_range *fr = &gen_fed_ranges[i];
                unsigned char net[16];
                int bits;
                bool v6;
                if (fr->kind != kind || !cidr_parse(fr->cidr, net, &bits, &v6))
                    continue;
                uint32_t hosts = v6 ? 1000 : (bits >= 31 ? 1 : (1u << (32 - bits)) - 2);
                uint32_t n = spare ? 2 : SP_MIN(24u, hosts - 2);
                int city = gen_city_find(fr->city);
                uint16_t isp = 0;
                for (size_t k = 0; k < gen_n_isps; k++)
                    if (!strcmp(gen_isps[k].name, fr->isp) && (gen_isps[k].kind == IPK_CI || gen_isps[k].kind == IPK_AZURE))
                        isp = (uint16_t)k;
                for (uint32_t j = 0; j < n; j++) {
                    cidr_host(r, net, bits, v6, buf, sizeof buf);
                    ip_add(w, iv, buf, IPK_CI, (uint16_t)(city < 0 ? 0 : city), isp);
                }
            }
            if (spare) {
                w->fed_spare_lo[kind] = lo;
                w->fed_spare_n[kind] = (uint32_t)iv->n - lo;
            } else {
                w->fed_lo[kind] = lo;
                w->fed_n[kind] = (uint32_t)iv->n - lo;
            }
        }
}

uint32_t world_mobile_ip(const gen_world *w, gen_rng *r, uint16_t city)
{
    int c = world_country_slot(gen_cities[city].cc);
    if (c < 0 || !w->mobile_n[c])
        c = 0;
    return w->mobile_lo[c] + rng_below(r, w->mobile_n[c]);
}

static void build_apps(gen_world *w)
{
    gen_rng r;
    rng_seed(&r, w->seed, 12);
    w->n_apps = GEN_N_APPS;
    w->apps = sp_xcalloc(w->n_apps, sizeof *w->apps);
    w->resources = sp_xcalloc(gen_n_resources + w->n_apps, sizeof *w->resources);
    for (size_t i = 0; i < gen_n_resources; i++) {
        gen_resource *res = &w->resources[i];
        res->name = gen_resources[i].name;
        memcpy(res->id, gen_resources[i].id, 37);
        guid_str(rng_guid(&r), res->sp_oid);
    }
    w->n_resources = (uint32_t)gen_n_resources;
    double *wi = sp_xmalloc(sizeof *wi * w->n_apps), *wn = sp_xmalloc(sizeof *wn * w->n_apps);
    char buf[160];
    for (uint32_t i = 0; i < w->n_apps; i++) {
        gen_app *a = &w->apps[i];
        uint8_t res;
        if (i < gen_n_apps) {
            const gen_app_def *d = &gen_apps[i];
            a->name = d->name;
            if (d->id)
                memcpy(a->id, d->id, 37);
            else
                guid_str(rng_guid(&r), a->id);
            a->profile = d->profile;
            a->owner = d->owner;
            res = d->resource;
            wi[i] = d->weight;
            wn[i] = d->ni_weight;
        } else {
            uint32_t k = i - (uint32_t)gen_n_apps;
            const char *pre = gen_lob_prefix[k % gen_n_lob_prefix];
            const char *suf = gen_lob_suffix[(k / gen_n_lob_prefix + k) % gen_n_lob_suffix];
            snprintf(buf, sizeof buf, "%s %s", pre, suf);
            a->name = sp_arena_strndup(&w->arena, buf, strlen(buf));
            guid_str(rng_guid(&r), a->id);
            a->profile = APP_WEB;
            a->owner = OWN_TENANT;
            res = 255;
            wi[i] = 9.0 / (1.0 + k * 0.35);
            wn[i] = 3.0 / (1.0 + k * 0.35);
        }
        guid_str(rng_guid(&r), a->sp_oid);
        if (res == 255) {
            gen_resource *rs = &w->resources[w->n_resources];
            rs->name = a->name;
            memcpy(rs->id, a->id, 37);
            memcpy(rs->sp_oid, a->sp_oid, 37);
            a->resource = (uint16_t)w->n_resources++;
        } else {
            a->resource = res;
        }
    }
    for (uint32_t i = 0; i < w->n_apps; i++) {
        gen_app *a = &w->apps[i];
        for (size_t k = 0; k < gen_n_sensitive_apps; k++)
            a->sensitive |= !strcmp(a->name, gen_sensitive_apps[k]);
        for (size_t k = 0; k < gen_n_sensitive_lob_prefix; k++)
            a->sensitive |= !strncmp(a->name, gen_sensitive_lob_prefix[k], strlen(gen_sensitive_lob_prefix[k]));
    }
    alias_init(&w->app_pick, wi, w->n_apps);
    alias_init(&w->app_pick_ni, wn, w->n_apps);
    free(wi);
    free(wn);
}

/* Workload names are prefix + area + suffix. */
static const char *const sp_kinds[][2] = {
    {"Terraform-", "-Deployer"}, {"github-actions-", ""}, {"ado-pipeline-", ""},
    {"aks-workload-", ""}, {"", "-Backup-Automation"}, {"", "-Reporting-Daemon"},
    {"svc-", "-integration"}, {"", "-Sync-Connector"},
};
static const char *const sp_areas[] = {
    "claims", "finance", "hr-portal", "payments", "inventory", "web-frontend", "data-platform",
    "sentinel", "crm", "identity", "billing", "logistics", "analytics", "mobile-api", "sharepoint",
    "intranet", "erp", "warehouse", "marketing", "support",
};
/* Managed identity names: prefix + area + middle + environment + suffix. */
static const char *const mi_kinds[][3] = {
    {"vm-", "-", "-01"}, {"func-", "-", ""}, {"app-", "-", ""}, {"logic-", "-enrich-", ""},
    {"aks-", "-agentpool-", ""}, {"id-", "-", ""}, {"adf-", "-", ""}, {"aa-", "-runbooks-", ""},
};
static const char *const mi_providers[] = {
    "Microsoft.Compute/virtualMachines", "Microsoft.Web/sites", "Microsoft.Web/sites",
    "Microsoft.Logic/workflows", "Microsoft.ContainerService/managedClusters",
    "Microsoft.ManagedIdentity/userAssignedIdentities", "Microsoft.DataFactory/factories",
    "Microsoft.Automation/automationAccounts",
};
/* Resources workloads call: Graph, Key Vault, Storage, ARM, SQL, Log Analytics. */
static const uint16_t wl_resources[] = {0, 6, 7, 3, 11, 12, 1, 2};

#define N_SPS_BG 160
#define N_SPS_NEW 4 /* apps created during the run: only scenarios sign them in */

/* Service principal i: name, ids, credential, egress, usual hours. */
static void make_sp(gen_world *w, gen_rng *r, uint32_t i, bool fresh)
{
    char buf[256];
    gen_sp *s = &w->sps[i];
    uint32_t kind = fresh ? 1 : i % SP_ARRAY_LEN(sp_kinds);
    const char *area = sp_areas[(i / SP_ARRAY_LEN(sp_kinds) + i) % SP_ARRAY_LEN(sp_areas)];
    snprintf(buf, sizeof buf, "%s%s%s", sp_kinds[kind][0], area, sp_kinds[kind][1]);
    if (fresh)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "-v2");
    else if (i >= SP_ARRAY_LEN(sp_kinds) * SP_ARRAY_LEN(sp_areas) / 2)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "-%u", i);
    s->name = sp_arena_strndup(&w->arena, buf, strlen(buf));
    guid_str(rng_guid(r), s->app_id);
    guid_str(rng_guid(r), s->sp_oid);
    guid_str(rng_guid(r), s->key_id);
    guid_str(rng_guid(r), s->fic_id);
    for (int k = 0; k < 40; k++)
        s->thumb[k] = "0123456789ABCDEF"[rng_below(r, 16)];
    s->thumb[40] = 0;
    s->resource = wl_resources[rng_below(r, (uint32_t)SP_ARRAY_LEN(wl_resources))];
    s->team = (uint16_t)(i % w->n_offices);
    s->tz_min = gen_cities[w->offices[s->team].city].tz_min;
    s->hour_lo = 0;
    s->hour_hi = 24;
    if (kind == 1 || kind == 2 || kind == 3) { /* CI and Kubernetes: federated */
        s->cred = CRED_FIC;
        s->fed = kind == 1 ? FED_GITHUB : kind == 2 ? FED_ADO : FED_AKS;
        s->ip_lo = w->fed_lo[s->fed];
        s->ip_n = w->fed_n[s->fed];
        if (kind == 1) {
            s->issuer = "https://token.actions.githubusercontent.com";
            s->subject = arena_printf(&w->arena, "repo:contoso/%s:environment:production", area);
            s->subject_pr = arena_printf(&w->arena, "repo:contoso/%s:pull_request", area);
        } else if (kind == 2) {
            s->issuer = arena_printf(&w->arena, "https://vstoken.dev.azure.com/%s", w->tenant);
            s->subject = arena_printf(&w->arena, "sc://contoso/%s/%s", area, s->name);
            s->subject_pr = arena_printf(&w->arena, "sc://contoso/%s/%s-test", area, s->name);
        } else {
            s->issuer = arena_printf(&w->arena, "https://eastus.oic.prod-aks.azure.com/%s/%s/",
                                     w->tenant, s->fic_id);
            s->subject = arena_printf(&w->arena, "system:serviceaccount:%s:%s-workload", area, area);
            s->subject_pr = arena_printf(&w->arena, "system:serviceaccount:%s:default", area);
        }
        if (kind != 3 && !fresh) { /* pipelines run while their team works, builds included */
            s->hour_lo = 6;
            s->hour_hi = 22;
        }
    } else {
        uint32_t c = rng_below(r, 100);
        s->cred = c < 55 ? CRED_SECRET : c < 80 ? CRED_CERT : CRED_ASSERTION;
        if (rng_bp(r, 5000)) { /* on-premises jobs leave through the offices */
            const gen_office *of = &w->offices[rng_below(r, w->n_offices)];
            s->ip_lo = of->egress;
            s->ip_n = of->n_egress;
        } else {
            s->ip_lo = w->cloud_lo + rng_below(r, w->cloud_n - 8);
            s->ip_n = 1 + rng_below(r, 8);
        }
    }
}

static void build_workloads(gen_world *w)
{
    gen_rng r;
    rng_seed(&r, w->seed, 13);
    char buf[256];
    w->n_sps_bg = N_SPS_BG;
    w->n_sps = N_SPS_BG + N_SPS_NEW;
    w->sps = sp_xcalloc(w->n_sps, sizeof *w->sps);
    for (uint32_t i = 0; i < w->n_sps; i++)
        make_sp(w, &r, i, i >= N_SPS_BG);
    alias_zipf(&w->sp_pick, w->n_sps_bg, 1.2);

    /* Managed identities: every fifth belongs to the dev environment (dev
     * subscription); user-assigned ones are attached to two resources of their own
     * environment. */
    w->n_mis = 120;
    w->mis = sp_xcalloc(w->n_mis, sizeof *w->mis);
    for (uint32_t i = 0; i < w->n_mis; i++) {
        gen_sp *s = &w->mis[i];
        uint32_t kind = i % SP_ARRAY_LEN(mi_kinds);
        const char *area = sp_areas[(i / SP_ARRAY_LEN(mi_kinds) + 3 * i) % SP_ARRAY_LEN(sp_areas)];
        s->dev = i % 5 == 4;
        const char *env = s->dev ? "dev" : "prod";
        const char *sub = s->dev ? w->sub_dev : w->subscription;
        snprintf(buf, sizeof buf, "%s%s%s%s%s", mi_kinds[kind][0], area, mi_kinds[kind][1], env,
                 mi_kinds[kind][2]);
        if (i >= SP_ARRAY_LEN(mi_kinds) * SP_ARRAY_LEN(sp_areas) / 2)
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%u", i);
        s->name = sp_arena_strndup(&w->arena, buf, strlen(buf));
        guid_str(rng_guid(&r), s->app_id);
        guid_str(rng_guid(&r), s->sp_oid);
        guid_str(rng_guid(&r), s->key_id);
        s->thumb[0] = 0;
        s->cred = CRED_MSI;
        s->msi_user = kind == 5;
        s->resource = wl_resources[rng_below(&r, (uint32_t)SP_ARRAY_LEN(wl_resources))];
        s->ip_lo = w->azure_lo + rng_below(&r, w->azure_n - 4);
        s->ip_n = 1 + rng_below(&r, 4);
        s->hour_lo = 0;
        s->hour_hi = 24;
        s->arm_id = arena_printf(&w->arena, "/subscriptions/%s/resourceGroups/rg-%s-%s/providers/%s/%s",
                                 sub, area, env, mi_providers[kind], s->name);
        if (s->msi_user)
            s->arm_id2 = arena_printf(&w->arena, "/subscriptions/%s/resourceGroups/rg-%s-%s/providers/Microsoft.Web/sites/app-%s-%s",
                                      sub, area, env, area, env);
    }
    alias_zipf(&w->mi_pick, w->n_mis, 1.1);
}

bool world_sp_active(const gen_sp *sp, int64_t ticks)
{
    if (sp->hour_lo == 0 && sp->hour_hi >= 24)
        return true;
    int h = world_local_minute(ticks, sp->tz_min) / 60;
    return h >= sp->hour_lo && h < sp->hour_hi;
}

int world_local_minute(int64_t ticks, int tz_min)
{
    int64_t m = (ticks / SP_TICKS_PER_MIN + tz_min) % 1440;
    return (int)(m < 0 ? m + 1440 : m);
}

static void build_curves(gen_world *w)
{
    double total = 0;
    uint32_t share_total = 0;
    for (size_t o = 0; o < gen_n_offices; o++)
        share_total += gen_offices[o].share;
    for (int m = 0; m < GEN_WEEK_MIN; m++) {
        double s = 0;
        for (uint32_t o = 0; o < w->n_offices; o++)
            s += (double)gen_offices[o].share / share_total *
                 activity(m, gen_cities[w->offices[o].city].tz_min);
        w->mult[m] = s;
        total += s;
    }
    double mean = total / GEN_WEEK_MIN;
    for (int m = 0; m < GEN_WEEK_MIN; m++)
        w->mult[m] /= mean;
    double wts[64];
    for (int h = 0; h < 168; h++) {
        for (uint32_t o = 0; o < w->n_offices; o++)
            wts[o] = (double)gen_offices[o].share *
                     activity(h * 60 + 30, gen_cities[w->offices[o].city].tz_min);
        alias_init(&w->office_by_hour[h], wts, w->n_offices);
    }
}

static void build_samplers(gen_world *w)
{
    double *wt = sp_xmalloc(sizeof *wt * (gen_n_uas + gen_n_errors));
    for (int os = 0; os < OS_N; os++)
        for (int k = 0; k < 2; k++) {
            for (size_t i = 0; i < gen_n_uas; i++)
                wt[i] = (gen_uas[i].platform == os && gen_uas[i].kind == (k ? UAK_RICH : UAK_BROWSER))
                            ? gen_uas[i].weight
                            : 0;
            alias_init(&w->ua_pick[os][k], wt, (uint32_t)gen_n_uas);
        }
    for (int t = 0; t < 4; t++) {
        for (size_t i = 0; i < gen_n_errors; i++) {
            const gen_error *e = &gen_errors[i];
            wt[i] = t == 0 ? e->w_int : t == 1 ? e->w_ni : t == 2 ? e->w_sp : e->w_mi;
        }
        alias_init(&w->err_pick[t], wt, (uint32_t)gen_n_errors);
    }
    free(wt);
}

uint32_t world_pick_user(const gen_world *w, gen_rng *r, int64_t ticks)
{
    const gen_office *of = &w->offices[alias_draw(&w->office_by_hour[world_hour_of_week(ticks)], r)];
    /* A Zipf head (heavy users, shared mailboxes, admins) over a uniform body. */
    if (rng_bp(r, 4500))
        return of->lo + alias_draw(&of->pick, r);
    return of->lo + rng_below(r, of->n);
}

gen_world *world_new(uint64_t seed)
{
    gen_world *w = sp_xcalloc(1, sizeof *w);
    w->arena.block_size = 1 << 20;
    w->seed = seed;
    guid_str(guid_from(seed, 1, 0), w->tenant);
    guid_str(guid_from(seed, 2, 0), w->workspace);
    guid_str(guid_from(seed, 3, 0), w->subscription);
    guid_str(guid_from(seed, 5, 0), w->sub_dev);
    for (int d = 0; d < GEN_PARTNER_DOMAINS; d++) /* as build_users names guests' tenants */
        guid_str(guid_from(seed, 77, (uint64_t)d), w->partner_tenant[d]);
    w->tenant_name = "Contoso";
    ipvec iv = {0};
    build_users(w, &iv);
    build_network(w, &iv);
    build_scanners(w);
    w->ips = iv.v;
    w->n_ips = (uint32_t)iv.n;
    build_locations(w);
    build_apps(w);
    build_workloads(w);
    build_curves(w);
    build_samplers(w);
    w->policy_ids = sp_xcalloc(gen_n_policies, sizeof *w->policy_ids);
    for (size_t i = 0; i < gen_n_policies; i++)
        guid_str(guid_from(seed, 4, i), w->policy_ids[i]);
    w->copilot_users = sp_xmalloc(sizeof *w->copilot_users * w->n_users);
    for (uint32_t i = 0; i < w->n_users; i++)
        if ((w->users[i].flags & (U_COPILOT | U_GUEST)) == U_COPILOT)
            w->copilot_users[w->n_copilot_users++] = i;
    return w;
}

void world_free(gen_world *w)
{
    if (!w)
        return;
    for (uint32_t o = 0; o < w->n_offices; o++)
        alias_free(&w->offices[o].pick);
    for (int h = 0; h < 168; h++)
        alias_free(&w->office_by_hour[h]);
    for (int os = 0; os < OS_N; os++)
        for (int k = 0; k < 2; k++)
            alias_free(&w->ua_pick[os][k]);
    for (int t = 0; t < 4; t++)
        alias_free(&w->err_pick[t]);
    alias_free(&w->app_pick);
    alias_free(&w->app_pick_ni);
    alias_free(&w->sp_pick);
    alias_free(&w->mi_pick);
    free(w->offices);
    free(w->users);
    free(w->ips);
    free(w->apps);
    free(w->resources);
    free(w->sps);
    free(w->mis);
    free(w->policy_ids);
    free(w->copilot_users);
    sp_arena_free(&w->arena);
    free(w);
}
