/* test_gen.c — the synthetic telemetry generator (bench/gen): determinism, every table
 * and envelope, JSON validity, sizes, failure rate, envelope consistency, Purview shape,
 * the password-spray scenario, incident/alert consistency and the zstd sink.
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
#include <unistd.h>
#include <zstd.h>

#include "bench/gen/gen.h"
#include "bench/gen/gen_int.h"

/* N records of one generator, one per line, plus their events. */
typedef struct batch {
    sp_buf text;
    size_t *off; /* start of record i; off[n] = end */
    gen_event *ev;
    char (*ids)[64];
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
            for (size_t i = 0; i < b.n; i++) {
                assert_int_equal(strlen(b.ids[i]), 36);
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

static void test_password_spray_is_labelled_and_leaves_background_unchanged(void **st)
{
    (void)st;
    batch plain, att;
    gen_batch(&plain, "SigninLogs", 11, GEN_ENV_DEFAULT, 6000, 2.0, false);
    gen_batch(&att, "SigninLogs", 11, GEN_ENV_DEFAULT, 6000, 2.0, true);
    size_t spray = 0, bg = 0, f50126 = 0;
    char ip0[64] = "", ip[64], rt[16];
    int64_t t0 = INT64_MAX, t1 = 0;
    for (size_t i = 0; i < att.n; i++) {
        if (!att.scen[i]) {
            /* background records are the plain run's, in order */
            assert_string_equal(att.ids[i], plain.ids[bg]);
            bg++;
            continue;
        }
        assert_string_equal(att.scen[i], "password-spray");
        char *r = rec_str(&att, i);
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
    batch_free(&plain);
    batch_free(&att);
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
        cmocka_unit_test(test_password_spray_is_labelled_and_leaves_background_unchanged),
        cmocka_unit_test(test_incident_alert_ids_are_security_alert_ids),
        cmocka_unit_test(test_incident_rows_share_name_and_move_new_to_closed),
        cmocka_unit_test(test_alias_sampler_follows_weights),
        cmocka_unit_test(test_deterministic_log_and_exp_match_libm),
        cmocka_unit_test(test_zstd_sink_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
