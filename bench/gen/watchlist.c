/* watchlist.c — the tenant configuration the scenarios' detections tune against, written
 * as Microsoft Sentinel watchlist CSV files (`socpipe gen --watchlists DIR`).
 *
 * Each file is what one would upload as a watchlist: a header line, one item per line,
 * RFC 4180 quoting, and a first column SearchKey holding the value rules join on (what
 * _GetWatchlist() returns as SearchKey). The contents come from the same seeded world the
 * traffic comes from, so they agree with it by construction: background federated
 * sign-ins leave from inside ci_egress_ranges, background Copilot interactions stay
 * within user_clearance and copilot_forbidden_hosts, every background success to a
 * sensitive_apps entry passed Conditional Access, and so on; the attack scenarios are
 * exactly the records that break them.
 */
#include "bench/gen/gen_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void gen_csv_row(sp_buf *b, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *s = va_arg(ap, const char *);
        if (i)
            sp_buf_putc(b, ',');
        if (strpbrk(s, ",\"\r\n")) {
            sp_buf_putc(b, '"');
            for (; *s; s++) {
                if (*s == '"')
                    sp_buf_putc(b, '"');
                sp_buf_putc(b, *s);
            }
            sp_buf_putc(b, '"');
        } else {
            sp_buf_puts(b, s);
        }
    }
    va_end(ap);
    sp_buf_puts(b, "\r\n");
}

static void wl_ci_ranges(const gen_world *w, sp_buf *csv)
{
    (void)w;
    gen_csv_row(csv, 5, "SearchKey", "IPSubnet", "RangeName", "AddressFamily", "Workload");
    static const char *const kinds[FED_N] = {"GitHub Actions", "Azure DevOps", "AKS workload identity"};
    for (size_t i = 0; i < gen_n_fed_ranges; i++) {
        const gen_fed_range *r = &gen_fed_ranges[i];
        gen_csv_row(csv, 5, r->cidr, r->cidr, r->name, strchr(r->cidr, ':') ? "IPv6" : "IPv4", kinds[r->kind]);
    }
}

/* Every Copilot-licensed member and the highest label rank they may read. */
static void wl_clearance(const gen_world *w, sp_buf *csv)
{
    gen_csv_row(csv, 3, "SearchKey", "UserPrincipalName", "Clearance");
    for (uint32_t i = 0; i < w->n_copilot_users; i++) {
        const gen_user *u = &w->users[w->copilot_users[i]];
        char c[8];
        snprintf(c, sizeof c, "%u", (unsigned)u->clearance);
        gen_csv_row(csv, 3, u->upn, u->upn, c);
    }
}

static void wl_sensitive_apps(const gen_world *w, sp_buf *csv)
{
    gen_csv_row(csv, 3, "SearchKey", "AppId", "AppDisplayName");
    for (uint32_t i = 0; i < w->n_apps; i++)
        if (w->apps[i].sensitive)
            gen_csv_row(csv, 3, w->apps[i].id, w->apps[i].id, w->apps[i].name);
}

static void wl_partners(const gen_world *w, sp_buf *csv)
{
    gen_csv_row(csv, 3, "SearchKey", "TenantId", "Domain");
    for (int d = 0; d < GEN_PARTNER_DOMAINS; d++)
        gen_csv_row(csv, 3, w->partner_tenant[d], w->partner_tenant[d], gen_guest_domains[d]);
}

/* Federated workload identities and the hours (their team's local time) they run. */
static void wl_usual_hours(const gen_world *w, sp_buf *csv)
{
    gen_csv_row(csv, 6, "SearchKey", "AppId", "ServicePrincipalName", "UtcOffsetMinutes",
                "UsualHoursStart", "UsualHoursEnd");
    for (uint32_t i = 0; i < w->n_sps_bg; i++) {
        const gen_sp *sp = &w->sps[i];
        if (sp->cred != CRED_FIC)
            continue;
        char tz[16], lo[8], hi[8];
        snprintf(tz, sizeof tz, "%d", sp->tz_min);
        snprintf(lo, sizeof lo, "%02u:00", (unsigned)sp->hour_lo);
        snprintf(hi, sizeof hi, "%02u:00", (unsigned)sp->hour_hi);
        gen_csv_row(csv, 6, sp->app_id, sp->app_id, sp->name, tz, lo, hi);
    }
}

static void wl_labels(const gen_world *w, sp_buf *csv)
{
    (void)w;
    copilot_wl_labels(csv);
}

static void wl_forbidden(const gen_world *w, sp_buf *csv)
{
    (void)w;
    copilot_wl_forbidden(csv);
}

static const struct {
    const char *file;
    void (*write)(const gen_world *w, sp_buf *csv);
} watchlists[] = {
    {"ci_egress_ranges.csv", wl_ci_ranges},
    {"sensitivity_labels.csv", wl_labels},
    {"user_clearance.csv", wl_clearance},
    {"copilot_forbidden_hosts.csv", wl_forbidden},
    {"approved_ai_plugins.csv", copilot_wl_plugins},
    {"sensitive_apps.csv", wl_sensitive_apps},
    {"partner_tenants.csv", wl_partners},
    {"workload_usual_hours.csv", wl_usual_hours},
};

const char *const *gen_watchlist_names(size_t *n)
{
    static const char *names[SP_ARRAY_LEN(watchlists)];
    for (size_t i = 0; i < SP_ARRAY_LEN(watchlists); i++)
        names[i] = watchlists[i].file;
    *n = SP_ARRAY_LEN(watchlists);
    return names;
}

int gen_write_watchlists(const gen *g, const char *dir, sp_diag *diag)
{
    const gen_world *w = gen_ctx(g)->world;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        sp_diag_set(diag, dir, 0, 0, "cannot create directory: %s", strerror(errno));
        return -1;
    }
    sp_buf csv = {0};
    int rc = 0;
    for (size_t i = 0; i < SP_ARRAY_LEN(watchlists) && !rc; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, watchlists[i].file);
        csv.len = 0;
        watchlists[i].write(w, &csv);
        FILE *f = fopen(path, "wb");
        bool ok = f && fwrite(csv.data, 1, csv.len, f) == csv.len;
        if (f && fclose(f) != 0)
            ok = false;
        if (!ok) {
            sp_diag_set(diag, path, 0, 0, "cannot write: %s", strerror(errno));
            rc = -1;
        }
    }
    sp_buf_free(&csv);
    return rc;
}

void gen_remove_watchlists(const char *dir)
{
    for (size_t i = 0; i < SP_ARRAY_LEN(watchlists); i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, watchlists[i].file);
        unlink(path);
    }
    rmdir(dir);
}
