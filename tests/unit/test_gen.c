/* test_gen.c — the synthetic telemetry generator (bench/gen): determinism, every table
 * and envelope, JSON validity, sizes, failure rate, envelope consistency, Purview shape,
 * the attack scenarios (labels, near-misses, their signals, background left unchanged),
 * the merged multi-table stream, watchlists, incident/alert consistency and the zstd
 * sink.
 *
 * Two white-box tests (alias sampler, deterministic log/exp) include the module's
 * internal header; everything else goes through the public API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <zstd.h>

#include "bench/gen/gen.h"
#include "bench/gen/gen_int.h"

/* N records of one generator, one per line, plus their events. */
typedef struct batch {
    sp_buf text;
    size_t *off; /* start of record i; off[n] = end */
    gen_event *ev;
    char (*ids)[128];
    const char **scen;
    size_t n;
} batch;

static void gen_batch(batch *b, const char *table, uint64_t seed, gen_envelope env, uint64_t n,
                      double rate, bool attacks)
{
    memset(b, 0, sizeof *b);
    gen_options o = {.table = table, .seed = seed, .envelope = env, .rate = rate, .events = n,
                     .attacks = attacks};
    gen *g;
    sp_diag d = {0};
    assert_int_equal(gen_new(&o, &g, &d), 0);
    b->off = calloc(n + 1, sizeof *b->off);
    b->ev = calloc(n, sizeof *b->ev);
    b->ids = calloc(n, sizeof *b->ids);
    b->scen = calloc(n, sizeof *b->scen);
    for (size_t i = 0; i < n; i++) {
        b->off[i] = b->text.len;
        gen_next(g, &b->text, &b->ev[i]);
        assert_true(b->ev[i].id_len < sizeof b->ids[i]);
        snprintf(b->ids[i], sizeof b->ids[i], "%.*s", (int)b->ev[i].id_len, b->ev[i].id);
        b->scen[i] = b->ev[i].scenario;
        b->ev[i].id = b->ids[i];
        b->ev[i].key = NULL; /* only valid until the next call */
    }
    b->off[n] = b->text.len;
    b->n = n;
    gen_free(g);
}

static void batch_free(batch *b)
{
    sp_buf_free(&b->text);
    free(b->off);
    free(b->ev);
    free(b->ids);
    free(b->scen);
}

static const char *rec(const batch *b, size_t i, size_t *len)
{
    *len = b->off[i + 1] - b->off[i];
    return b->text.data + b->off[i];
}

/* A copy of record i as a C string. */
static char *rec_str(const batch *b, size_t i)
{
    size_t n;
    const char *p = rec(b, i, &n);
    return sp_xstrndup(p, n);
}

/* The string value of "key":"..." in a record (first occurrence), or "" when absent. */
static void field(const char *json, const char *key, char *out, size_t cap)
{
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(json, pat);
    out[0] = 0;
    if (!p)
        return;
    p += strlen(pat);
    size_t i = 0;
    while (p[i] && p[i] != '"' && i + 1 < cap) {
        out[i] = p[i];
        i++;
    }
    out[i] = 0;
}

static void assert_valid_json(const batch *b)
{
    sp_buf tmp = {0};
    for (size_t i = 0; i < b->n; i++) {
        size_t n, off;
        const char *p = rec(b, i, &n), *why;
        tmp.len = 0;
        if (sp_json_compact(p, n, 64, &tmp, &off, &why) != 0) {
            fprintf(stderr, "record %zu invalid at %zu (%s): %.*s\n", i, off, why, (int)n, p);
            fail();
        }
        /* already compact: minifying changes nothing */
        assert_int_equal(tmp.len, n);
    }
    sp_buf_free(&tmp);
}

static void test_same_seed_gives_identical_bytes_and_other_seeds_differ(void **st)
{
    (void)st;
    batch a, b, c;
    gen_batch(&a, "SigninLogs", 42, GEN_ENV_DEFAULT, 3000, 0, false);
    gen_batch(&b, "SigninLogs", 42, GEN_ENV_DEFAULT, 3000, 0, false);
    gen_batch(&c, "SigninLogs", 43, GEN_ENV_DEFAULT, 3000, 0, false);
    assert_int_equal(a.text.len, b.text.len);
    assert_memory_equal(a.text.data, b.text.data, a.text.len);
    assert_true(a.text.len != c.text.len || memcmp(a.text.data, c.text.data, a.text.len) != 0);
    assert_string_not_equal(a.ids[0], c.ids[0]);
    batch_free(&a);
    batch_free(&b);
    batch_free(&c);
}

static void test_every_table_renders_valid_json_in_every_envelope(void **st)
{
    (void)st;
    size_t nt;
    const char *const *tables = gen_table_names(&nt);
    assert_int_equal(nt, 8);
    int combos = 0;
    for (size_t t = 0; t < nt; t++) {
        for (int e = GEN_ENV_LOGANALYTICS; e <= GEN_ENV_PURVIEW; e++) {
            gen_options o = {.table = tables[t], .seed = 7, .envelope = (gen_envelope)e};
            gen *g;
            sp_diag d = {0};
            if (gen_new(&o, &g, &d) != 0) {
                assert_true(strstr(d.msg, "envelope") != NULL);
                continue;
            }
            gen_free(g);
            batch b;
            gen_batch(&b, tables[t], 7, (gen_envelope)e, 400, 0, false);
            assert_valid_json(&b);
            /* time moves forward; ingestion delay reorders by at most a few minutes */
            int64_t hi = b.ev[0].time, lo = b.ev[0].time;
            bool incident = !strcmp(tables[t], "SecurityIncident");
            for (size_t i = 0; i < b.n; i++) {
                /* incident rows: IncidentName@LastModifiedTime */
                assert_int_equal(strlen(b.ids[i]), incident ? 36 + 1 + 28 : 36);
                assert_string_equal(b.ev[i].table, tables[t]);
                if (i)
                    assert_true(b.ev[i].clock >= b.ev[i - 1].clock);
                assert_true(b.ev[i].time >= hi - 6 * SP_TICKS_PER_MIN);
                hi = SP_MAX(hi, b.ev[i].time);
                lo = SP_MIN(lo, b.ev[i].time);
            }
            assert_true(hi > lo);
            if (e == GEN_ENV_LOGANALYTICS) { /* rows end with their table's Type */
                char want[96];
                size_t n, wn = (size_t)snprintf(want, sizeof want, "\"Type\":\"%s\"}", tables[t]);
                const char *r0 = rec(&b, 0, &n);
                assert_true(n > wn && memcmp(r0 + n - wn, want, wn) == 0);
            }
            batch_free(&b);
            combos++;
        }
    }
    assert_int_equal(combos, 4 * 2 + 3 + 2); /* sign-ins x2, three LA-only, Copilot x2 */
}

static void test_unknown_table_and_wrong_envelope_are_rejected(void **st)
{
    (void)st;
    gen *g;
    sp_diag d = {0};
    gen_options o = {.table = "NoSuchTable"};
    assert_int_equal(gen_new(&o, &g, &d), -1);
    assert_non_null(strstr(d.msg, "NoSuchTable"));
    gen_options p = {.table = "SecurityIncident", .envelope = GEN_ENV_EVENTHUBS};
    assert_int_equal(gen_new(&p, &g, &d), -1);
    gen_options q = {.table = "SigninLogs", .envelope = GEN_ENV_PURVIEW};
    assert_int_equal(gen_new(&q, &g, &d), -1);
}

/* Issue #2: ~2.5-3 KB per SigninLogs row. Rows carry the columns detections read and
 * leave out what real exports leave empty or default (signin_render.c says which), and
 * the Conditional Access array lists only the policies that applied. */
static void test_signinlogs_average_size_stays_in_band(void **st)
{
    (void)st;
    batch b;
    gen_batch(&b, "SigninLogs", 1, GEN_ENV_LOGANALYTICS, 5000, 0, false);
    double avg = (double)b.text.len / (double)b.n;
    fprintf(stderr, "SigninLogs average %.0f bytes\n", avg);
    assert_true(avg >= 2500 && avg <= 3000);
    batch_free(&b);
    /* the same over a week of event time (office hours, nights, the weekend) */
    gen_batch(&b, "SigninLogs", 2, GEN_ENV_LOGANALYTICS, 20000, 0.033, false);
    avg = (double)b.text.len / (double)b.n;
    assert_true(avg >= 2500 && avg <= 3000);
    batch_free(&b);
}

static void test_failure_rate_is_about_three_percent(void **st)
{
    (void)st;
    batch b;
    gen_batch(&b, "SigninLogs", 3, GEN_ENV_LOGANALYTICS, 20000, 0, false);
    size_t fails = 0, c50126 = 0;
    char rt[16];
    for (size_t i = 0; i < b.n; i++) {
        char *r = rec_str(&b, i);
        field(r, "ResultType", rt, sizeof rt);
        fails += strcmp(rt, "0") != 0;
        c50126 += strcmp(rt, "50126") == 0;
        free(r);
    }
    double rate = (double)fails / (double)b.n;
    assert_true(rate > 0.025 && rate < 0.035);
    assert_true(c50126 > 50); /* invalid password is among the common codes */
    batch_free(&b);
}

static void test_eventhubs_and_loganalytics_describe_the_same_events(void **st)
{
    (void)st;
    static const char *const tables[] = {"SigninLogs", "AADNonInteractiveUserSignInLogs",
                                         "AADServicePrincipalSignInLogs", "AADManagedIdentitySignInLogs"};
    for (size_t t = 0; t < SP_ARRAY_LEN(tables); t++) {
        batch la, eh;
        gen_batch(&la, tables[t], 9, GEN_ENV_LOGANALYTICS, 500, 0, false);
        gen_batch(&eh, tables[t], 9, GEN_ENV_EVENTHUBS, 500, 0, false);
        for (size_t i = 0; i < la.n; i++) {
            assert_string_equal(la.ids[i], eh.ids[i]);
            assert_int_equal(la.ev[i].time, eh.ev[i].time);
            char *a = rec_str(&la, i), *e = rec_str(&eh, i);
            char x[256], y[256];
            field(a, "Id", x, sizeof x);
            field(e, "id", y, sizeof y);
            assert_string_equal(x, la.ids[i]);
            assert_string_equal(y, la.ids[i]);
            field(a, "TimeGenerated", x, sizeof x);
            field(e, "time", y, sizeof y);
            assert_string_equal(x, y);
            field(a, "UserPrincipalName", x, sizeof x);
            field(e, "userPrincipalName", y, sizeof y);
            assert_string_equal(x, y);
            field(a, "IPAddress", x, sizeof x);
            field(e, "callerIpAddress", y, sizeof y);
            assert_string_equal(x, y);
            field(a, "ResultType", x, sizeof x);
            field(e, "resultType", y, sizeof y);
            assert_string_equal(x, y);
            free(a);
            free(e);
        }
        batch_free(&la);
        batch_free(&eh);
    }
}

static void test_purview_records_are_copilot_interactions(void **st)
{
    (void)st;
    batch b;
    gen_batch(&b, "CopilotActivity", 5, GEN_ENV_DEFAULT, 1000, 0, false);
    size_t labelled = 0, ffff = 0;
    for (size_t i = 0; i < b.n; i++) {
        char *r = rec_str(&b, i);
        assert_true(strncmp(r, "{\"CreationTime\":\"", 17) == 0);
        assert_int_equal(r[17 + 19], '"'); /* yyyy-mm-ddThh:mm:ss, no zone */
        assert_non_null(strstr(r, "\"Operation\":\"CopilotInteraction\""));
        assert_non_null(strstr(r, "\"RecordType\":261"));
        assert_non_null(strstr(r, "\"Workload\":\"Copilot\""));
        assert_non_null(strstr(r, "\"CopilotEventData\":{\"AISystemPlugin\":["));
        assert_non_null(strstr(r, "\"ThreadId\":\"19:"));
        labelled += strstr(r, "SensitivityLabelId") != NULL;
        ffff += strstr(r, "\"ClientIP\":\"ffff:10.") != NULL;
        free(r);
    }
    assert_true(labelled > 50 && labelled < b.n); /* some, not all */
    assert_true(ffff > 10);
    batch_free(&b);
}

static void test_password_spray_is_labelled_with_benign_near_misses(void **st)
{
    (void)st;
    batch att;
    gen_batch(&att, "SigninLogs", 11, GEN_ENV_DEFAULT, 6000, 2.0, true);
    size_t spray = 0, near = 0, f50126 = 0;
    char ip0[64] = "", ip[64], rt[16];
    int64_t t0 = INT64_MAX, t1 = 0;
    for (size_t i = 0; i < att.n; i++) {
        if (!att.scen[i] || strstr(att.scen[i], "password_spray") == NULL)
            continue;
        char *r = rec_str(&att, i);
        if (!strcmp(att.scen[i], "benign:password_spray")) {
            near++;
            free(r);
            continue;
        }
        assert_string_equal(att.scen[i], "password_spray");
        field(r, "IPAddress", ip, sizeof ip);
        if (!spray)
            strcpy(ip0, ip);
        assert_string_equal(ip, ip0);
        field(r, "ResultType", rt, sizeof rt);
        f50126 += strcmp(rt, "50126") == 0;
        t0 = SP_MIN(t0, att.ev[i].time);
        t1 = SP_MAX(t1, att.ev[i].time);
        spray++;
        free(r);
    }
    assert_true(spray >= 150 && spray < 300);
    assert_true(f50126 * 100 >= spray * 85);
    assert_true(t1 - t0 <= 15 * SP_TICKS_PER_MIN); /* ~10 minutes plus ingestion delay */
    /* one failed login + success, a user mistyping 3x + success, 6 users failing once */
    assert_int_equal(near, 2 + 4 + 6);
    batch_free(&att);
}

/* The scenario names of issue #6, as the labels file spells them. */
static const char *const all_scenarios[] = {
    "password_spray", "mfa_fatigue", "legacy_auth", "device_code", "ca_not_applied_sensitive_app",
    "foreign_tenant_signin", "impossible_travel", "wif_assertion_failure_burst",
    "wif_outside_ci_ranges", "wif_off_hours", "wif_new_credential", "mi_multi_environment",
    "copilot_label_above_clearance", "copilot_hc_via_plugin", "copilot_label_forbidden_host",
    "copilot_jailbreak", "connector_failure", "connector_flapping", "rule_run_failure",
    "source_silent", "dup_incident_title", "dup_alert_multi_incident", "dup_rule_title",
    "duplicate_ingestion",
};

/* Every table, ~3 hours of event time: each scenario instance fits in it. */
#define ALL_EVENTS 20000
#define ALL_RATE 2.0

static size_t count_label(const batch *b, const char *label)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        n += b->scen[i] && !strcmp(b->scen[i], label);
    return n;
}

static void test_every_scenario_has_attack_and_benign_records(void **st)
{
    (void)st;
    size_t n;
    const char *const *names = gen_scenario_names(&n);
    assert_int_equal(n, SP_ARRAY_LEN(all_scenarios));
    for (size_t i = 0; i < n; i++)
        assert_string_equal(names[i], all_scenarios[i]);
    batch b;
    gen_batch(&b, "all", 5, GEN_ENV_DEFAULT, ALL_EVENTS, ALL_RATE, true);
    for (size_t i = 0; i < n; i++) {
        char benign[96];
        snprintf(benign, sizeof benign, "benign:%s", all_scenarios[i]);
        size_t a = count_label(&b, all_scenarios[i]), nb = count_label(&b, benign);
        if (!a || !nb)
            fprintf(stderr, "%s: %zu attack, %zu benign records\n", all_scenarios[i], a, nb);
        assert_true(a > 0 && nb > 0);
    }
    size_t labelled = 0;
    for (size_t i = 0; i < b.n; i++)
        labelled += b.scen[i] != NULL;
    assert_true(labelled < b.n / 20); /* small volumes: background dominates */
    batch_free(&b);
}

static void test_attacks_leave_background_records_byte_identical(void **st)
{
    (void)st;
    static const char *const tables[] = {"all", "SigninLogs", "SentinelHealth", "SecurityIncident"};
    for (size_t t = 0; t < SP_ARRAY_LEN(tables); t++) {
        batch plain, att;
        gen_batch(&plain, tables[t], 21, GEN_ENV_DEFAULT, 6000, ALL_RATE, false);
        gen_batch(&att, tables[t], 21, GEN_ENV_DEFAULT, 6000, ALL_RATE, true);
        size_t bg = 0, labelled = 0;
        for (size_t i = 0; i < att.n; i++) {
            if (att.scen[i]) {
                labelled++;
                continue;
            }
            size_t na, np;
            const char *a = rec(&att, i, &na), *p = rec(&plain, bg, &np);
            assert_int_equal(na, np);
            assert_memory_equal(a, p, na);
            assert_int_equal(att.ev[i].clock, plain.ev[bg].clock);
            bg++;
        }
        assert_true(labelled > 0);
        assert_int_equal(bg + labelled, att.n);
        batch_free(&plain);
        batch_free(&att);
    }
}

static void test_table_all_merges_every_table_by_clock_in_natural_envelopes(void **st)
{
    (void)st;
    batch b;
    gen_batch(&b, "all", 7, GEN_ENV_DEFAULT, ALL_EVENTS, ALL_RATE, true);
    assert_valid_json(&b);
    size_t nt;
    const char *const *tables = gen_table_names(&nt);
    size_t per[8] = {0};
    for (size_t i = 0; i < b.n; i++) {
        if (i)
            assert_true(b.ev[i].clock >= b.ev[i - 1].clock);
        /* TimeGenerated trails the clock by the ingestion delay; re-delivered copies
         * keep their original's time and arrive 20 s later */
        int64_t lag = b.ev[i].time - b.ev[i].clock;
        bool dup = b.scen[i] && strstr(b.scen[i], "duplicate_ingestion");
        assert_true(lag >= (dup ? -21 : -1) * SP_TICKS_PER_SEC);
        assert_true(lag <= 5 * SP_TICKS_PER_MIN + SP_TICKS_PER_SEC);
        size_t n;
        const char *r = rec(&b, i, &n);
        for (size_t t = 0; t < nt; t++)
            if (!strcmp(b.ev[i].table, tables[t]))
                per[t]++;
        if (!strcmp(b.ev[i].table, "CopilotActivity"))
            assert_true(n > 17 && !memcmp(r, "{\"CreationTime\":\"", 17)); /* Purview */
        else if (dup && !memcmp(r, "{\"time\":", 8))
            assert_true(!strcmp(b.ev[i].table, "SigninLogs") || strstr(b.ev[i].table, "SignInLogs")); /* via Event Hubs */
        else
            assert_true(n > 18 && !memcmp(r, "{\"TimeGenerated\":\"", 18)); /* Log Analytics */
    }
    for (size_t t = 0; t < nt; t++)
        assert_true(per[t] > 0);
    assert_true(per[1] > per[0]); /* non-interactive outnumber interactive sign-ins */
    batch_free(&b);

    /* --envelope eventhubs applies to the sign-in tables only */
    gen_batch(&b, "SigninLogs,SecurityAlert", 7, GEN_ENV_EVENTHUBS, 3000, 0.5, false);
    for (size_t i = 0; i < b.n; i++) {
        size_t n;
        const char *r = rec(&b, i, &n);
        bool alert = !strcmp(b.ev[i].table, "SecurityAlert");
        assert_true(alert || !strcmp(b.ev[i].table, "SigninLogs"));
        assert_true(alert ? !memcmp(r, "{\"TimeGenerated\":", 17) : !memcmp(r, "{\"time\":", 8));
    }
    batch_free(&b);
    gen *g;
    sp_diag d = {0};
    gen_options o = {.table = "all", .envelope = GEN_ENV_PURVIEW};
    assert_int_equal(gen_new(&o, &g, &d), -1);
    gen_options q = {.table = "SigninLogs,Nope"};
    assert_int_equal(gen_new(&q, &g, &d), -1);
    assert_non_null(strstr(d.msg, "Nope"));
}

static void test_scenarios_are_deterministic(void **st)
{
    (void)st;
    batch a, b, c;
    gen_batch(&a, "all", 9, GEN_ENV_DEFAULT, 8000, ALL_RATE, true);
    gen_batch(&b, "all", 9, GEN_ENV_DEFAULT, 8000, ALL_RATE, true);
    gen_batch(&c, "all", 10, GEN_ENV_DEFAULT, 8000, ALL_RATE, true);
    assert_int_equal(a.text.len, b.text.len);
    assert_memory_equal(a.text.data, b.text.data, a.text.len);
    for (size_t i = 0; i < a.n; i++) {
        assert_string_equal(a.ids[i], b.ids[i]);
        assert_true(a.scen[i] == b.scen[i]); /* the same static label */
    }
    assert_true(a.text.len != c.text.len || memcmp(a.text.data, c.text.data, a.text.len) != 0);
    batch_free(&a);
    batch_free(&b);
    batch_free(&c);
}

/* Records of a label, each as a C string (caller frees the array and strings). */
static char **records_of(const batch *b, const char *label, size_t *n)
{
    char **out = calloc(b->n + 1, sizeof *out);
    *n = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->scen[i] && !strcmp(b->scen[i], label))
            out[(*n)++] = rec_str(b, i);
    return out;
}

static void free_records(char **r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(r[i]);
    free(r);
}

static size_t count_with(char **r, size_t n, const char *needle)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += strstr(r[i], needle) != NULL;
    return k;
}

/* Each scenario's records carry the signal its detection keys on, and its near-misses
 * lack it. */
static void test_scenario_records_carry_their_signals(void **st)
{
    (void)st;
    batch b;
    gen_batch(&b, "all", 5, GEN_ENV_DEFAULT, ALL_EVENTS, ALL_RATE, true);
    size_t n, m;
    char **r, **q, x[128], y[128];

    r = records_of(&b, "mfa_fatigue", &n);
    assert_int_equal(n, 9);
    assert_int_equal(count_with(r, n, "\"ResultType\":\"500121\"") + count_with(r, n, "\"ResultType\":\"50074\""), 8);
    assert_non_null(strstr(r[n - 1], "\"ResultType\":\"0\""));
    assert_non_null(strstr(r[n - 1], "MFA successfully completed"));
    field(r[0], "UserPrincipalName", x, sizeof x);
    field(r[n - 1], "UserPrincipalName", y, sizeof y);
    assert_string_equal(x, y);
    free_records(r, n);

    r = records_of(&b, "legacy_auth", &n);
    assert_int_equal(n, 4);
    assert_int_equal(count_with(r, n, "\"ResultType\":\"0\""), 4);
    assert_int_equal(count_with(r, n, "\"ClientAppUsed\":\"IMAP4\"") + count_with(r, n, "\"ClientAppUsed\":\"POP3\"") +
                         count_with(r, n, "\"ClientAppUsed\":\"Authenticated SMTP\""), 4);
    free_records(r, n);
    q = records_of(&b, "benign:legacy_auth", &m);
    assert_int_equal(count_with(q, m, "trustedNamedLocation"), 1); /* the office scanner */
    assert_int_equal(count_with(q, m, "\"ResultType\":\"53003\""), 1);
    free_records(q, m);

    r = records_of(&b, "device_code", &n);
    assert_int_equal(count_with(r, n, "\"AuthenticationProtocol\":\"deviceCode\""), 1);
    assert_int_equal(count_with(r, n, "\"Type\":\"AADNonInteractiveUserSignInLogs\""), n - 1);
    free_records(r, n);

    r = records_of(&b, "ca_not_applied_sensitive_app", &n);
    assert_int_equal(count_with(r, n, "\"ConditionalAccessStatus\":\"notApplied\""), n);
    assert_int_equal(count_with(r, n, "\"ResultType\":\"0\""), n);
    free_records(r, n);

    r = records_of(&b, "foreign_tenant_signin", &n);
    for (size_t i = 0; i < n; i++) {
        field(r[i], "HomeTenantId", x, sizeof x);
        field(r[i], "ResourceTenantId", y, sizeof y);
        assert_string_not_equal(x, y);
        assert_non_null(strstr(r[i], "\"UserType\":\"Member\""));
    }
    free_records(r, n);

    r = records_of(&b, "impossible_travel", &n);
    assert_int_equal(n, 2);
    field(r[0], "Location", x, sizeof x);
    field(r[1], "Location", y, sizeof y);
    assert_string_not_equal(x, y);
    assert_non_null(strstr(r[1], "\"geoCoordinates\":{\"latitude\":"));
    free_records(r, n);

    r = records_of(&b, "wif_assertion_failure_burst", &n);
    assert_int_equal(n, 24);
    assert_true(count_with(r, n, "\"ResultType\":\"700213\"") >= 10);
    assert_true(count_with(r, n, "\"ResultType\":\"700211\"") > 0 && count_with(r, n, "\"ResultType\":\"700212\"") > 0);
    assert_true(count_with(r, n, "\"ResultType\":\"70021\"") > 0 && count_with(r, n, "\"ResultType\":\"700016\"") > 0);
    assert_true(count_with(r, n, "\"ResultType\":\"700024\"") > 0);
    assert_int_equal(count_with(r, n, "federatedIdentityCredential"), n);
    assert_true(count_with(r, n, "Assertion Subject") + count_with(r, n, "presented assertion subject 'repo:contoso-archive/") >= 10);
    free_records(r, n);

    r = records_of(&b, "wif_new_credential", &n);
    q = records_of(&b, "benign:wif_new_credential", &m);
    assert_int_equal(n, 3);
    field(r[0], "FederatedCredentialId", x, sizeof x);
    field(q[0], "FederatedCredentialId", y, sizeof y);
    assert_string_not_equal(x, y); /* the baseline sign-ins use the app's own credential */
    field(r[0], "AppId", x, sizeof x);
    field(q[0], "AppId", y, sizeof y);
    assert_string_equal(x, y);
    free_records(r, n);
    free_records(q, m);

    r = records_of(&b, "mi_multi_environment", &n);
    assert_int_equal(count_with(r, n, "rg-sandbox-dev"), n);
    assert_int_equal(count_with(r, n, "-prod\""), n); /* ServicePrincipalName of a prod identity */
    free_records(r, n);

    r = records_of(&b, "copilot_jailbreak", &n);
    assert_int_equal(count_with(r, n, "\"JailbreakDetected\":true"), n);
    free_records(r, n);
    q = records_of(&b, "benign:copilot_jailbreak", &m);
    assert_int_equal(count_with(q, m, "\"JailbreakDetected\":true"), 0);
    assert_int_equal(count_with(q, m, "\"XPIADetected\":true"), m);
    free_records(q, m);

    r = records_of(&b, "copilot_hc_via_plugin", &n);
    assert_int_equal(count_with(r, n, "4c9e8ba5-7b5f-4fc0-9d4a-ae6fba5b9c05"), n); /* Highly Confidential */
    assert_int_equal(count_with(r, n, "\"Name\":\"Jira Cloud\"") + count_with(r, n, "\"AgentName\":\"LexiAI Contract Analyzer\""), n);
    free_records(r, n);

    r = records_of(&b, "connector_failure", &n);
    assert_non_null(strstr(r[0], "\"Status\":\"Failure\""));
    assert_int_equal(count_with(r, n, "\"Status\":\"Success\""), 0);
    free_records(r, n);
    r = records_of(&b, "connector_flapping", &n);
    assert_int_equal(n, 8);
    assert_int_equal(count_with(r, n, "\"Status\":\"Failure\""), 4);
    free_records(r, n);
    r = records_of(&b, "rule_run_failure", &n);
    assert_int_equal(count_with(r, n, "\"Status\":\"Failure\""), n);
    assert_true(count_with(r, n, "\"SentinelResourceName\":\"socpipe: ") > 0);
    assert_true(count_with(r, n, "\"Reason\":\"SemanticError\"") > 0);
    free_records(r, n);
    r = records_of(&b, "source_silent", &n);
    assert_int_equal(n, 1);
    free_records(r, n);

    r = records_of(&b, "dup_incident_title", &n);
    assert_true(count_with(r, n, "\"ProviderName\":\"Azure Sentinel\"") > 0);
    assert_true(count_with(r, n, "\"ProviderName\":\"Microsoft XDR\"") > 0);
    assert_true(count_with(r, n, "\"Type\":\"SecurityAlert\"") > 0);
    free_records(r, n);

    batch_free(&b);
}

static void test_duplicate_ingestion_redelivers_records_under_the_same_id(void **st)
{
    (void)st;
    batch b;
    gen_batch(&b, "SigninLogs", 3, GEN_ENV_LOGANALYTICS, 4000, 1.0, true);
    size_t copies = 0, other_form = 0, nears = 0;
    for (size_t i = 0; i < b.n; i++) {
        if (!b.scen[i] || !strstr(b.scen[i], "duplicate_ingestion"))
            continue;
        bool near = !strncmp(b.scen[i], "benign:", 7);
        size_t orig = SIZE_MAX;
        for (size_t j = 0; j < i; j++)
            if (!b.scen[j] && !strcmp(b.ids[j], b.ids[i]))
                orig = j;
        if (near) {
            nears++;
            assert_true(orig == SIZE_MAX); /* new ids */
            continue;
        }
        assert_true(orig != SIZE_MAX);
        copies++;
        size_t na, no;
        const char *a = rec(&b, i, &na), *o = rec(&b, orig, &no);
        assert_int_equal(b.ev[i].time, b.ev[orig].time);
        assert_int_equal(b.ev[i].clock, b.ev[orig].clock + 20 * SP_TICKS_PER_SEC);
        if (na == no && !memcmp(a, o, na))
            continue; /* identical bytes */
        other_form++; /* the Event Hubs form of the same sign-in */
        assert_true(!memcmp(a, "{\"time\":", 8));
        char id[64];
        char *s = sp_xstrndup(a, na);
        field(s, "id", id, sizeof id);
        assert_string_equal(id, b.ids[i]);
        free(s);
    }
    assert_int_equal(copies, 12);
    assert_int_equal(other_form, 6);
    assert_int_equal(nears, 3);
    batch_free(&b);
}

/* Minimal CIDR membership for the watchlist test. */
static bool in_cidr(const char *ip, const char *cidr)
{
    char net[64];
    const char *slash = strchr(cidr, '/');
    snprintf(net, sizeof net, "%.*s", (int)(slash - cidr), cidr);
    int bits = atoi(slash + 1);
    unsigned char a[16], n[16];
    int af = strchr(cidr, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(af, ip, a) != 1 || inet_pton(af, net, n) != 1)
        return false;
    for (int i = 0; i < bits; i++)
        if (((a[i / 8] ^ n[i / 8]) >> (7 - i % 8)) & 1)
            return false;
    return true;
}

static void test_watchlists_are_written_and_hold_for_background_traffic(void **st)
{
    (void)st;
    char dir[] = "/tmp/socpipe_gen_wl_XXXXXX";
    assert_non_null(mkdtemp(dir));
    gen *g;
    sp_diag d = {0};
    gen_options o = {.table = "AADServicePrincipalSignInLogs", .seed = 5, .rate = 2, .events = 3000, .attacks = true};
    assert_int_equal(gen_new(&o, &g, &d), 0);
    assert_int_equal(gen_write_watchlists(g, dir, &d), 0);
    size_t nw;
    const char *const *names = gen_watchlist_names(&nw);
    assert_int_equal(nw, 8);
    char path[512], cidrs[16][64];
    size_t nc = 0;
    for (size_t i = 0; i < nw; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        sp_buf f = {0};
        assert_int_equal(sp_read_file(path, &f), 0);
        assert_true(f.len > 20 && !memcmp(f.data, "SearchKey,", 10));
        if (!strcmp(names[i], "ci_egress_ranges.csv")) {
            sp_buf_putc(&f, 0);
            char *line = strstr(f.data, "\r\n") + 2;
            for (; *line && nc < 16; line = strstr(line, "\r\n") + 2) {
                size_t k = strcspn(line, ",");
                snprintf(cidrs[nc++], sizeof cidrs[0], "%.*s", (int)k, line);
            }
        }
        sp_buf_free(&f);
        unlink(path);
    }
    rmdir(dir);
    bool v4 = false, v6 = false;
    for (size_t i = 0; i < nc; i++) {
        v6 |= strchr(cidrs[i], ':') != NULL;
        v4 |= strchr(cidrs[i], ':') == NULL;
    }
    assert_true(v4 && v6);
    sp_buf out = {0};
    gen_event ev;
    size_t fed = 0, outside = 0, inside_near = 0;
    for (int i = 0; i < 3000; i++) {
        out.len = 0;
        gen_next(g, &out, &ev);
        sp_buf_putc(&out, 0);
        if (!strstr(out.data, "federatedIdentityCredential") || !strstr(out.data, "\"ResultType\":\"0\""))
            continue;
        char ip[64];
        field(out.data, "IPAddress", ip, sizeof ip);
        bool in = false;
        for (size_t c = 0; c < nc; c++)
            in |= in_cidr(ip, cidrs[c]);
        if (!ev.scenario) {
            fed++;
            assert_true(in); /* background CI and AKS egress */
        } else if (!strcmp(ev.scenario, "wif_outside_ci_ranges")) {
            outside++;
            assert_false(in);
        } else if (!strcmp(ev.scenario, "benign:wif_outside_ci_ranges")) {
            inside_near++;
            assert_true(in);
        }
    }
    assert_true(fed > 100);
    assert_int_equal(outside, 3);
    assert_int_equal(inside_near, 3);
    sp_buf_free(&out);
    gen_free(g);
}

static void test_incident_alert_ids_are_security_alert_ids(void **st)
{
    (void)st;
    batch inc, al;
    gen_batch(&inc, "SecurityIncident", 4, GEN_ENV_DEFAULT, 800, 0, false);
    gen_batch(&al, "SecurityAlert", 4, GEN_ENV_DEFAULT, 800, 0, false);
    int64_t horizon = al.ev[al.n - 1].time - 6 * SP_TICKS_PER_HOUR;
    size_t checked = 0, found = 0;
    for (size_t i = 0; i < inc.n; i++) {
        if (inc.ev[i].time > horizon)
            continue;
        char *r = rec_str(&inc, i);
        const char *p = strstr(r, "\"AlertIds\":[\"");
        assert_non_null(p);
        char id[40];
        memcpy(id, p + 13, 36);
        id[36] = 0;
        checked++;
        for (size_t j = 0; j < al.n; j++)
            if (!strcmp(al.ids[j], id)) {
                found++;
                break;
            }
        free(r);
    }
    assert_true(checked > 100);
    assert_int_equal(found, checked);
    batch_free(&inc);
    batch_free(&al);
}

static void test_incident_rows_share_name_and_move_new_to_closed(void **st)
{
    (void)st;
    batch b;
    gen_batch(&b, "SecurityIncident", 8, GEN_ENV_DEFAULT, 600, 0, false);
    char first[64], name[64], status[32];
    char *r0 = rec_str(&b, 0);
    field(r0, "IncidentName", first, sizeof first);
    field(r0, "Status", status, sizeof status);
    assert_string_equal(status, "New");
    free(r0);
    int rows = 0, closed = 0;
    for (size_t i = 0; i < b.n; i++) {
        char *r = rec_str(&b, i);
        field(r, "IncidentName", name, sizeof name);
        if (!strcmp(name, first)) {
            rows++;
            field(r, "Status", status, sizeof status);
            if (!strcmp(status, "Closed")) {
                closed++;
                assert_non_null(strstr(r, "\"Classification\":"));
            }
        }
        free(r);
    }
    assert_true(rows >= 1 && rows <= 6);
    assert_true(closed <= 1);
    batch_free(&b);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* White-box: every account of the world has its own UPN (names that fold to the same
 * ASCII, and guests sharing a name and a home domain, once collided). */
static void test_world_user_principal_names_are_unique(void **st)
{
    (void)st;
    for (uint64_t seed = 1; seed <= 2; seed++) {
        gen_world *w = world_new(seed);
        const char **upn = malloc(sizeof *upn * w->n_users);
        for (uint32_t i = 0; i < w->n_users; i++)
            upn[i] = w->users[i].upn;
        qsort(upn, w->n_users, sizeof *upn, cmp_str);
        for (uint32_t i = 1; i < w->n_users; i++)
            if (!strcmp(upn[i - 1], upn[i])) {
                fprintf(stderr, "duplicate UPN %s\n", upn[i]);
                fail();
            }
        free(upn);
        world_free(w);
    }
}

static void test_alias_sampler_follows_weights(void **st)
{
    (void)st;
    const double w[] = {1, 2, 3, 4, 0};
    gen_alias a;
    alias_init(&a, w, 5);
    gen_rng r;
    rng_seed(&r, 1, 1);
    size_t cnt[5] = {0};
    for (int i = 0; i < 100000; i++)
        cnt[alias_draw(&a, &r)]++;
    assert_int_equal(cnt[4], 0);
    for (int i = 0; i < 4; i++)
        assert_true(fabs((double)cnt[i] / 100000 - w[i] / 10) < 0.01);
    alias_free(&a);
}

static void test_deterministic_log_and_exp_match_libm(void **st)
{
    (void)st;
    for (double x = 1e-9; x < 1e9; x *= 1.37) {
        assert_true(fabs(gen_ln(x) - log(x)) <= 1e-13 * fmax(1, fabs(log(x))));
        double y = log(x) / 10;
        assert_true(fabs(gen_expo(y) - exp(y)) <= 1e-13 * exp(y));
    }
}

static void test_zstd_sink_round_trips(void **st)
{
    (void)st;
    char path[] = "/tmp/socpipe_gen_test_XXXXXX.zst";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    close(fd);
    batch b;
    gen_batch(&b, "AADServicePrincipalSignInLogs", 2, GEN_ENV_EVENTHUBS, 3000, 0, false);
    gen_sink *s;
    sp_diag d = {0};
    assert_int_equal(gen_sink_open(path, 1, &s, &d), 0);
    assert_int_equal(gen_sink_write(s, b.text.data, b.text.len), 0);
    assert_int_equal(gen_sink_bytes_in(s), b.text.len);
    assert_int_equal(gen_sink_close(s), 0);
    sp_buf z = {0};
    assert_int_equal(sp_read_file(path, &z), 0);
    unsigned long long size = ZSTD_getFrameContentSize(z.data, z.len);
    assert_true(z.len < b.text.len / 4);
    char *plain = malloc(b.text.len + 1);
    size_t got = ZSTD_decompress(plain, b.text.len + 1, z.data, z.len);
    assert_false(ZSTD_isError(got));
    assert_int_equal(got, b.text.len);
    assert_memory_equal(plain, b.text.data, got);
    (void)size;
    free(plain);
    sp_buf_free(&z);
    batch_free(&b);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_gives_identical_bytes_and_other_seeds_differ),
        cmocka_unit_test(test_every_table_renders_valid_json_in_every_envelope),
        cmocka_unit_test(test_unknown_table_and_wrong_envelope_are_rejected),
        cmocka_unit_test(test_signinlogs_average_size_stays_in_band),
        cmocka_unit_test(test_failure_rate_is_about_three_percent),
        cmocka_unit_test(test_eventhubs_and_loganalytics_describe_the_same_events),
        cmocka_unit_test(test_purview_records_are_copilot_interactions),
        cmocka_unit_test(test_password_spray_is_labelled_with_benign_near_misses),
        cmocka_unit_test(test_every_scenario_has_attack_and_benign_records),
        cmocka_unit_test(test_attacks_leave_background_records_byte_identical),
        cmocka_unit_test(test_table_all_merges_every_table_by_clock_in_natural_envelopes),
        cmocka_unit_test(test_scenarios_are_deterministic),
        cmocka_unit_test(test_scenario_records_carry_their_signals),
        cmocka_unit_test(test_duplicate_ingestion_redelivers_records_under_the_same_id),
        cmocka_unit_test(test_watchlists_are_written_and_hold_for_background_traffic),
        cmocka_unit_test(test_incident_alert_ids_are_security_alert_ids),
        cmocka_unit_test(test_incident_rows_share_name_and_move_new_to_closed),
        cmocka_unit_test(test_world_user_principal_names_are_unique),
        cmocka_unit_test(test_alias_sampler_follows_weights),
        cmocka_unit_test(test_deterministic_log_and_exp_match_libm),
        cmocka_unit_test(test_zstd_sink_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
