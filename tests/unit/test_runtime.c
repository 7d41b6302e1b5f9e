/* test_runtime.c — the rules runtime: per-event Sigma rules on seal, Sentinel scheduled
 * rules on watermark ticks (window, trigger, suppression), NRT rules, correlations settled
 * across advances, SentinelHealth self records, watchlists, and alert ids that depend only
 * on the data, and rules loaded before the data over a table inferred from it (columns that
 * appear in later chunks). Rules are written to a temporary folder; records go through ingest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/exec/exec.h"
#include "engine/kql/kql.h"
#include "engine/runtime/runtime.h"
#include "ingest/ingest.h"
#include "support/scratch_dir.h"

/* ---- a sink that keeps alerts in memory ---- */

typedef struct mem_sink {
    rt_sink base;
    char **alerts;
    int n;
    int flushes;
} mem_sink;

static int mem_write(rt_sink *s, const char *json, size_t len)
{
    mem_sink *m = (mem_sink *)s;
    m->alerts = realloc(m->alerts, sizeof(char *) * (size_t)(m->n + 1));
    m->alerts[m->n++] = strndup(json, len);
    return 0;
}

static int mem_flush(rt_sink *s)
{
    ((mem_sink *)s)->flushes++;
    return 0;
}

static void mem_close(rt_sink *s)
{
    (void)s; /* the test owns and frees it */
}

static mem_sink *mem_sink_new(void)
{
    mem_sink *m = calloc(1, sizeof *m);
    m->base.write = mem_write;
    m->base.flush = mem_flush;
    m->base.close = mem_close;
    m->base.name = "memory";
    return m;
}

static void mem_sink_free(mem_sink *m)
{
    for (int i = 0; i < m->n; i++)
        free(m->alerts[i]);
    free(m->alerts);
    free(m);
}

static int count_matching(const mem_sink *m, const char *needle)
{
    int c = 0;
    for (int i = 0; i < m->n; i++)
        c += strstr(m->alerts[i], needle) != NULL;
    return c;
}

/* ---- fixtures ---- */

static char dir[256];

static int setup(void **st)
{
    (void)st;
    scratch_dir_make(dir, sizeof dir, "socpipe-rt");
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    return scratch_dir_remove(dir);
}

static void fail_on_diag(void *ctx, const sp_diag *d)
{
    (void)ctx;
    if (!d->is_warning) {
        sp_diag_print(stderr, d);
        fail_msg("rule error: %s", d->msg);
    }
}

/* A sign-in (Log Analytics form) at minute `min` after 2026-11-01T00:00Z. */
static void signin(ing *g, int id, int min, const char *user, const char *ip, const char *result)
{
    char rec[1024];
    int n = snprintf(rec, sizeof rec,
                     "{\"Type\":\"SigninLogs\",\"Id\":\"id-%d\",\"TimeGenerated\":\"2026-11-01T%02d:%02d:00Z\","
                     "\"UserPrincipalName\":\"%s\",\"IPAddress\":\"%s\",\"ResultType\":\"%s\",\"AppDisplayName\":\"Azure Portal\"}",
                     id, min / 60, min % 60, user, ip, result);
    ing_ingest_message(g, rec, (size_t)n, "test");
}

typedef struct world {
    sp_store *store;
    rt_engine *e;
    mem_sink *sink;
    ing *g;
} world;

static void world_new(world *w, const char *rules_path, const rt_config *cfg)
{
    w->store = sp_store_new(NULL);
    rt_config c = cfg ? *cfg : (rt_config){0};
    w->e = rt_engine_new(w->store, &c);
    if (rules_path) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, rules_path);
        assert_int_equal(rt_engine_load_rules(w->e, p, fail_on_diag, NULL), 0);
    }
    w->sink = mem_sink_new();
    rt_engine_add_sink(w->e, &w->sink->base);
    sp_diag d = {0};
    ing_config ic = {.report_limit = -1};
    w->g = ing_new(w->store, &ic, &d);
    assert_non_null(w->g);
}

static void world_free(world *w)
{
    ing_free(w->g);
    rt_engine_free(w->e);
    mem_sink_free(w->sink);
    sp_store_free(w->store);
}

static const char *sigma_failed_login =
    "title: Failed portal login\n"
    "id: 11111111-1111-1111-1111-111111111111\n"
    "status: test\n"
    "level: high\n"
    "tags: [attack.credential-access, attack.t1110]\n"
    "logsource: {product: azure, service: signinlogs}\n"
    "detection:\n"
    "  selection: {ResultType: 50126}\n"
    "  condition: selection\n";

static void test_sigma_rule_alerts_once_per_matching_event_when_chunks_seal(void **st)
{
    (void)st;
    scratch_dir_write(dir, "failed.yml", sigma_failed_login);
    world w;
    world_new(&w, "failed.yml", NULL);
    signin(w.g, 1, 1, "a@x.com", "1.1.1.1", "50126");
    signin(w.g, 2, 2, "b@x.com", "1.1.1.1", "0");
    signin(w.g, 3, 3, "c@x.com", "2.2.2.2", "50126");
    assert_int_equal(w.sink->n, 0); /* nothing sealed yet */
    ing_flush(w.g);                 /* seal -> per-event rules -> sink flushed */
    assert_int_equal(w.sink->n, 2);
    assert_true(w.sink->flushes >= 1);
    assert_int_equal(count_matching(w.sink, "\"Severity\":\"High\""), 2);
    assert_int_equal(count_matching(w.sink, "\"Tactics\":[\"CredentialAccess\"]"), 2);
    assert_int_equal(count_matching(w.sink, "\"Techniques\":[\"T1110\"]"), 2);
    assert_int_equal(count_matching(w.sink, "\"UPN\":\"a@x.com\""), 1);
    assert_int_equal(count_matching(w.sink, "\"Address\":\"2.2.2.2\""), 1);
    /* The same records in another store and another chunking give the same alert ids. */
    world w2;
    world_new(&w2, "failed.yml", NULL);
    signin(w2.g, 3, 3, "c@x.com", "2.2.2.2", "50126");
    ing_flush(w2.g);
    signin(w2.g, 1, 1, "a@x.com", "1.1.1.1", "50126");
    ing_flush(w2.g);
    assert_int_equal(w2.sink->n, 2);
    for (int i = 0; i < 2; i++) {
        char id[48];
        const char *p = strstr(w2.sink->alerts[i], "\"AlertId\":\"");
        assert_non_null(p);
        snprintf(id, sizeof id, "%.36s", p + 11);
        assert_int_equal(count_matching(w.sink, id), 1);
    }
    world_free(&w2);
    world_free(&w);
}

static const char *sentinel_hourly =
    "id: 22222222-2222-2222-2222-222222222222\n"
    "name: Failures per IP\n"
    "description: More than two failures from one IP in an hour\n"
    "severity: Medium\n"
    "kind: Scheduled\n"
    "queryFrequency: 1h\n"
    "queryPeriod: 1h\n"
    "triggerOperator: gt\n"
    "triggerThreshold: 0\n"
    "tactics:\n  - CredentialAccess\n"
    "relevantTechniques:\n  - T1110.003\n"
    "query: |\n"
    "  SigninLogs\n"
    "  | where ResultType != \"0\"\n"
    "  | summarize Failures = count(), Users = make_set(UserPrincipalName) by IPAddress\n"
    "  | where Failures > 2\n"
    "entityMappings:\n"
    "  - entityType: IP\n"
    "    fieldMappings:\n"
    "      - identifier: Address\n"
    "        columnName: IPAddress\n"
    "customDetails:\n"
    "  FailureCount: Failures\n"
    "alertDetailsOverride:\n"
    "  alertDisplayNameFormat: Failures from {{IPAddress}}\n"
    "eventGroupingSettings:\n"
    "  aggregationKind: AlertPerResult\n";

static void test_scheduled_rule_runs_per_tick_over_its_period_when_watermark_passes(void **st)
{
    (void)st;
    scratch_dir_write(dir, "hourly.yaml", sentinel_hourly);
    rt_config cfg = {.self_health = true};
    world w;
    world_new(&w, "hourly.yaml", &cfg);
    /* hour 0: 3 failures from 9.9.9.9 (alert); hour 1: 2 failures (no alert); hour 2: 4 */
    int id = 0;
    for (int i = 0; i < 3; i++)
        signin(w.g, ++id, 10 + i, "u@x.com", "9.9.9.9", "50126");
    for (int i = 0; i < 2; i++)
        signin(w.g, ++id, 70 + i, "u@x.com", "9.9.9.9", "50126");
    for (int i = 0; i < 4; i++)
        signin(w.g, ++id, 130 + i, "u@x.com", "9.9.9.9", "50126");
    signin(w.g, ++id, 200, "u@x.com", "9.9.9.9", "0"); /* pushes the clock past 03:00 */
    ing_flush(w.g);
    assert_int_equal(rt_engine_advance(w.e), 2); /* ticks 01:00, 02:00, 03:00 ran */
    assert_int_equal(w.sink->n, 2);
    assert_int_equal(count_matching(w.sink, "\"AlertName\":\"Failures from 9.9.9.9\""), 2);
    assert_int_equal(count_matching(w.sink, "\"ExtendedProperties\":{\"FailureCount\":3}"), 1);
    assert_int_equal(count_matching(w.sink, "\"ExtendedProperties\":{\"FailureCount\":4}"), 1);
    assert_int_equal(count_matching(w.sink, "\"Type\":\"ip\",\"Address\":\"9.9.9.9\""), 2);
    assert_int_equal(count_matching(w.sink, "\"StartTime\":\"2026-11-01T02:00:00.0000000Z\",\"EndTime\":\"2026-11-01T03:00:00.0000000Z\""), 0);
    /* Nothing more until the clock moves; finish runs the tick holding the last event. */
    assert_int_equal(rt_engine_advance(w.e), 0);
    rt_engine_finish(w.e);
    rt_stats s;
    rt_engine_stats(w.e, &s);
    assert_int_equal(s.rule_runs, 4); /* 01:00, 02:00, 03:00, and 04:00 at finish */
    assert_int_equal(s.alerts, 2);
    assert_int_equal(s.late_records, 0); /* its own health rows, written after each tick, are not late input */
    /* SentinelHealth records one successful run per tick. */
    kql_bind_env env = {.store = w.store};
    kplan *p;
    sp_diag d = {0};
    const char *q = "SentinelHealth | where SentinelResourceName == 'Failures per IP' and Status == 'Success' | count";
    assert_int_equal(kql_compile(q, strlen(q), &env, &p, &d), 0);
    krowset *rs;
    assert_int_equal(kexec_run(p, w.store, NULL, &rs, &d), 0);
    kval v;
    krowset_get(rs, 0, 0, &v);
    assert_int_equal(v.u.l, 4);
    krowset_free(rs);
    kplan_free(p);
    world_free(&w);
}

/* Rules load before ingest: the column a scheduled rule groups by is indexed through
 * table-dictionary ids as its chunks seal (kexec_want_gids), as a query's is, so that the
 * rule's runs find every chunk indexed instead of indexing it themselves; a column no
 * rule reads by id is not. */
static void test_scheduled_rule_group_keys_are_indexed_as_chunks_seal(void **st)
{
    (void)st;
    scratch_dir_write(dir, "hourly.yaml", sentinel_hourly);
    world w;
    world_new(&w, "hourly.yaml", NULL);
    for (int i = 0; i < 4; i++)
        signin(w.g, i + 1, 10 + i, "u@x.com", i & 1 ? "9.9.9.9" : "8.8.8.8", "50126");
    ing_flush(w.g); /* seals the chunk; no tick has run */
    sp_table *t = sp_store_find(w.store, "SigninLogs");
    assert_non_null(t);
    sp_snapshot *snap = sp_table_snapshot(t);
    assert_int_equal(snap->nchunks, 1);
    const sp_schema *sc = sp_table_schema(t);
    sp_colview v;
    sp_chunk_col(snap->chunks[0], sp_schema_find(sc, "IPAddress", 9), &v);
    assert_non_null(v.gids);
    assert_int_not_equal(v.gids[sp_colview_entry(&v, 0)], v.gids[sp_colview_entry(&v, 1)]);
    assert_int_equal(v.gids[sp_colview_entry(&v, 0)], v.gids[sp_colview_entry(&v, 2)]);
    sp_chunk_col(snap->chunks[0], sp_schema_find(sc, "AppDisplayName", 14), &v);
    assert_null(v.gids);
    sp_snapshot_free(snap);
    world_free(&w);
}

static void test_suppression_drops_alerts_inside_the_suppression_window(void **st)
{
    (void)st;
    char rule[4096];
    snprintf(rule, sizeof rule, "%s%s", sentinel_hourly, "suppressionEnabled: true\nsuppressionDuration: 2h\n");
    scratch_dir_write(dir, "suppressed.yaml", rule);
    world w;
    world_new(&w, "suppressed.yaml", NULL);
    int id = 0;
    for (int h = 0; h < 4; h++) /* 3 failures every hour for four hours */
        for (int i = 0; i < 3; i++)
            signin(w.g, ++id, h * 60 + 10 + i, "u@x.com", "9.9.9.9", "50126");
    ing_flush(w.g);
    rt_engine_finish(w.e);
    rt_stats s;
    rt_engine_stats(w.e, &s);
    /* alerts at the 01:00 and 03:00 ticks; 02:00 and 04:00 fall in the 2h suppression */
    assert_int_equal(s.alerts, 2);
    assert_int_equal(s.suppressed, 2);
    world_free(&w);
}

static void test_watermark_is_the_slowest_source_minus_lateness(void **st)
{
    (void)st;
    scratch_dir_write(dir, "hourly2.yaml", sentinel_hourly);
    rt_config cfg = {.allowed_lateness = 10 * SP_TICKS_PER_MIN};
    world w;
    world_new(&w, "hourly2.yaml", &cfg);
    int64_t t0;
    assert_true(sp_datetime_parse("2026-11-01T00:00:00Z", 20, &t0));
    for (int i = 0; i < 3; i++)
        signin(w.g, i + 1, 10 + i, "u@x.com", "9.9.9.9", "50126");
    ing_flush(w.g);
    rt_engine_watermark(w.e, 0, t0 + 3 * SP_TICKS_PER_HOUR);
    rt_engine_watermark(w.e, 1, t0 + 65 * SP_TICKS_PER_MIN); /* the slow source */
    assert_int_equal(rt_engine_advance(w.e), 0); /* 01:05 - 10m = 00:55: tick 01:00 waits */
    rt_engine_watermark(w.e, 1, t0 + 75 * SP_TICKS_PER_MIN);
    assert_int_equal(rt_engine_advance(w.e), 1); /* 01:05 passes 01:00 */
    rt_engine_source_idle(w.e, 1);               /* idle sources do not hold it back */
    rt_stats s;
    rt_engine_advance(w.e);
    rt_engine_stats(w.e, &s);
    assert_int_equal(s.watermark, t0 + 3 * SP_TICKS_PER_HOUR - 10 * SP_TICKS_PER_MIN);
    /* a record older than the watermark is counted late */
    signin(w.g, 99, 5, "late@x.com", "8.8.8.8", "0");
    ing_flush(w.g);
    rt_engine_stats(w.e, &s);
    assert_int_equal(s.late_records, 1);
    world_free(&w);
}

static void test_pending_source_holds_the_watermark_until_it_reports_or_goes_idle(void **st)
{
    (void)st;
    scratch_dir_write(dir, "hourly3.yaml", sentinel_hourly);
    world w;
    world_new(&w, "hourly3.yaml", NULL);
    int64_t t0;
    assert_true(sp_datetime_parse("2026-11-01T00:00:00Z", 20, &t0));
    for (int i = 0; i < 3; i++)
        signin(w.g, i + 1, 10 + i, "u@x.com", "9.9.9.9", "50126");
    ing_flush(w.g);
    rt_engine_source_pending(w.e, 1); /* assigned, nothing delivered yet: it may hold old records */
    rt_engine_watermark(w.e, 0, t0 + 3 * SP_TICKS_PER_HOUR);
    assert_int_equal(rt_engine_advance(w.e), 0);
    rt_stats s;
    rt_engine_stats(w.e, &s);
    assert_true(s.watermark == INT64_MIN); /* source 0 alone would have run three ticks */
    rt_engine_watermark(w.e, 1, t0 + 65 * SP_TICKS_PER_MIN); /* it delivered: 01:05 */
    assert_int_equal(rt_engine_advance(w.e), 1);              /* tick 01:00 */
    rt_engine_source_pending(w.e, 2); /* another partition assigned later holds it where it is */
    rt_engine_watermark(w.e, 1, t0 + 3 * SP_TICKS_PER_HOUR);
    rt_engine_advance(w.e);
    rt_engine_stats(w.e, &s);
    assert_int_equal(s.watermark, t0 + 65 * SP_TICKS_PER_MIN);
    rt_engine_source_idle(w.e, 2); /* idle (nothing came within idle_timeout): released */
    rt_engine_advance(w.e);
    rt_engine_stats(w.e, &s);
    assert_int_equal(s.watermark, t0 + 3 * SP_TICKS_PER_HOUR);
    world_free(&w);
}

/* The only alert's AlertId, and its first `key...]` text (an array in its events). */
static void alert_id_and(const mem_sink *m, const char *key, char id[37], char *val, size_t cap)
{
    assert_int_equal(m->n, 1);
    const char *p = strstr(m->alerts[0], "\"AlertId\":\"");
    assert_non_null(p);
    snprintf(id, 37, "%.36s", p + 11);
    p = strstr(m->alerts[0], key);
    assert_non_null(p);
    const char *e = strchr(p, ']');
    assert_non_null(e);
    snprintf(val, cap, "%.*s", (int)(e + 1 - p), p);
}

static void test_alert_id_of_an_aggregate_row_does_not_depend_on_storage_order(void **st)
{
    (void)st;
    scratch_dir_write(dir, "hourly4.yaml", sentinel_hourly);
    /* The same three failures, stored in one chunk in one order and in two chunks in the
     * other, as two Kafka workers might store them: make_set lists the users in the order
     * it met them, and the alert is still the same alert. */
    world a, b;
    world_new(&a, "hourly4.yaml", NULL);
    world_new(&b, "hourly4.yaml", NULL);
    signin(a.g, 1, 10, "a@x.com", "9.9.9.9", "50126");
    signin(a.g, 2, 11, "b@x.com", "9.9.9.9", "50126");
    signin(a.g, 3, 12, "c@x.com", "9.9.9.9", "50126");
    ing_flush(a.g);
    signin(b.g, 3, 12, "c@x.com", "9.9.9.9", "50126");
    ing_flush(b.g);
    signin(b.g, 2, 11, "b@x.com", "9.9.9.9", "50126");
    signin(b.g, 1, 10, "a@x.com", "9.9.9.9", "50126");
    ing_flush(b.g);
    rt_engine_finish(a.e);
    rt_engine_finish(b.e);
    char ida[37], idb[37], usersa[256], usersb[256];
    alert_id_and(a.sink, "\"Users\":[", ida, usersa, sizeof usersa);
    alert_id_and(b.sink, "\"Users\":[", idb, usersb, sizeof usersb);
    assert_string_not_equal(usersa, usersb); /* the rows really differ in order */
    assert_string_equal(ida, idb);
    world_free(&a);
    world_free(&b);
}

static const char *sigma_correlation =
    "title: Failed login\n"
    "name: failed_login\n"
    "id: 33333333-3333-3333-3333-333333333333\n"
    "status: test\n"
    "logsource: {product: azure, service: signinlogs}\n"
    "detection:\n"
    "  selection: {ResultType: 50126}\n"
    "  condition: selection\n"
    "---\n"
    "title: Spray from one IP\n"
    "id: 44444444-4444-4444-4444-444444444444\n"
    "status: test\n"
    "level: high\n"
    "correlation:\n"
    "  type: value_count\n"
    "  rules: [failed_login]\n"
    "  group-by: [IPAddress]\n"
    "  timespan: 10m\n"
    "  condition: {field: UserPrincipalName, gte: 3}\n";

static void spray(ing *g, int *id, int start_min, const char *ip)
{
    char user[32];
    for (int i = 0; i < 3; i++) {
        snprintf(user, sizeof user, "user%d@x.com", i);
        signin(g, ++*id, start_min + i, user, ip, "50126");
    }
}

static void test_correlation_windows_settle_the_same_incrementally_or_at_once(void **st)
{
    (void)st;
    scratch_dir_write(dir, "corr.yml", sigma_correlation);
    /* incrementally: advance after each burst */
    world a;
    world_new(&a, "corr.yml", NULL);
    int id = 0;
    spray(a.g, &id, 10, "5.5.5.5");
    signin(a.g, ++id, 40, "x@x.com", "1.2.3.4", "0");
    ing_flush(a.g);
    rt_engine_advance(a.e);
    spray(a.g, &id, 60, "6.6.6.6");
    signin(a.g, ++id, 100, "x@x.com", "1.2.3.4", "0");
    ing_flush(a.g);
    rt_engine_advance(a.e);
    rt_engine_finish(a.e);
    /* at once */
    world b;
    world_new(&b, "corr.yml", NULL);
    id = 0;
    spray(b.g, &id, 10, "5.5.5.5");
    signin(b.g, ++id, 40, "x@x.com", "1.2.3.4", "0");
    spray(b.g, &id, 60, "6.6.6.6");
    signin(b.g, ++id, 100, "x@x.com", "1.2.3.4", "0");
    ing_flush(b.g);
    rt_engine_finish(b.e);
    assert_int_equal(a.sink->n, 2);
    assert_int_equal(b.sink->n, 2);
    assert_int_equal(count_matching(a.sink, "Spray from one IP"), 2);
    for (int i = 0; i < 2; i++) {
        const char *p = strstr(a.sink->alerts[i], "\"AlertId\":\"");
        char idtxt[48];
        snprintf(idtxt, sizeof idtxt, "%.36s", p + 11);
        assert_int_equal(count_matching(b.sink, idtxt), 1);
    }
    /* the member rule raises nothing of its own (generate: false) */
    assert_int_equal(count_matching(a.sink, "\"AlertName\":\"Failed login\""), 0);
    world_free(&a);
    world_free(&b);
}

/* A correlation's alert carries the records behind the output (DESIGN.md §1.7): the
 * matching events of its group in [StartTime, EndTime], not other IPs' events, not the
 * unrelated success, and not the events of the same IP outside the window. */
static void test_correlation_alert_carries_the_records_of_its_group_and_window(void **st)
{
    (void)st;
    scratch_dir_write(dir, "corr_ev.yml", sigma_correlation);
    world w;
    world_new(&w, "corr_ev.yml", NULL);
    int id = 0;
    spray(w.g, &id, 10, "5.5.5.5");                      /* ids 1..3 */
    signin(w.g, ++id, 11, "x@x.com", "5.5.5.5", "0");     /* 4: a success, no rule matches */
    signin(w.g, ++id, 11, "z@x.com", "6.6.6.6", "50126"); /* 5: another IP */
    signin(w.g, ++id, 40, "y@x.com", "5.5.5.5", "50126"); /* 6: same IP, outside the window */
    ing_flush(w.g);
    rt_engine_finish(w.e);
    assert_int_equal(w.sink->n, 1);
    const char *a = w.sink->alerts[0];
    assert_non_null(strstr(a, "\"EventCount\":3,"));
    for (int i = 1; i <= 3; i++) {
        char want[32];
        snprintf(want, sizeof want, "\"Id\":\"id-%d\"", i);
        assert_non_null(strstr(a, want));
    }
    assert_null(strstr(a, "\"Id\":\"id-4\""));
    assert_null(strstr(a, "\"Id\":\"id-5\""));
    assert_null(strstr(a, "\"Id\":\"id-6\""));
    assert_null(strstr(a, "_CorrKey"));
    /* the group and the measured value are the custom details */
    assert_non_null(strstr(a, "\"ExtendedProperties\":{\"IPAddress\":\"5.5.5.5\",\"Value\":3}"));
    /* entities come from the records too */
    assert_non_null(strstr(a, "{\"Type\":\"account\",\"UPN\":\"user2@x.com\"}"));
    assert_non_null(strstr(a, "{\"Type\":\"ip\",\"Address\":\"5.5.5.5\"}"));
    world_free(&w);
}

/* One alert per group per timespan: a burst that closes two windows of one IP is one
 * alert (the second output is suppressed), another IP still alerts, and the same IP
 * alerts again once a timespan has passed since its last alert. */
static void test_correlation_alerts_once_per_group_per_timespan(void **st)
{
    (void)st;
    scratch_dir_write(dir, "corr_quiet.yml", sigma_correlation);
    world w;
    world_new(&w, "corr_quiet.yml", NULL);
    int id = 0;
    spray(w.g, &id, 10, "5.5.5.5");
    spray(w.g, &id, 14, "5.5.5.5"); /* a second window of the same IP, 4 minutes later */
    spray(w.g, &id, 15, "6.6.6.6");
    spray(w.g, &id, 30, "5.5.5.5"); /* 18 minutes after the first alert: a new alert */
    ing_flush(w.g);
    rt_engine_finish(w.e);
    assert_int_equal(w.sink->n, 3);
    assert_int_equal(count_matching(w.sink, "\"IPAddress\":\"5.5.5.5\",\"Value\""), 2);
    assert_int_equal(count_matching(w.sink, "\"IPAddress\":\"6.6.6.6\",\"Value\""), 1);
    rt_stats s;
    rt_engine_stats(w.e, &s);
    assert_int_equal(s.suppressed, 1);
    world_free(&w);
}

static void test_watchlists_feed_get_watchlist_in_rules(void **st)
{
    (void)st;
    char wl[512];
    snprintf(wl, sizeof wl, "%s/watchlists", dir);
    mkdir(wl, 0755);
    scratch_dir_write(dir, "watchlists/blocked_ips.csv", "IP,Reason\n\"1.1.1.1\",\"known bad, reported\"\n3.3.3.3,scanner\n");
    scratch_dir_write(dir, "nrt.yaml", "id: 55555555-5555-5555-5555-555555555555\n"
                           "name: Sign-in from a blocked IP\n"
                           "severity: High\n"
                           "kind: NRT\n"
                           "query: |\n"
                           "  SigninLogs\n"
                           "  | where IPAddress in ((_GetWatchlist('blocked_ips') | project SearchKey))\n");
    rt_config cfg = {.watchlist_dir = wl};
    world w;
    world_new(&w, "nrt.yaml", &cfg);
    signin(w.g, 1, 1, "a@x.com", "1.1.1.1", "0");
    signin(w.g, 2, 2, "b@x.com", "2.2.2.2", "0");
    signin(w.g, 3, 3, "c@x.com", "3.3.3.3", "0");
    ing_flush(w.g);
    assert_int_equal(w.sink->n, 2);
    assert_int_equal(count_matching(w.sink, "\"Address\":\"2.2.2.2\""), 0);
    world_free(&w);
}

static void test_bad_rules_are_reported_with_their_position(void **st)
{
    (void)st;
    scratch_dir_write(dir, "bad.yaml", "id: 66666666-6666-6666-6666-666666666666\n"
                           "name: Broken\n"
                           "severity: Low\n"
                           "kind: Scheduled\n"
                           "queryFrequency: 1h\n"
                           "queryPeriod: 1h\n"
                           "query: |\n"
                           "  SigninLogs\n"
                           "  | whre x == 1\n");
    sp_store *s = sp_store_new(NULL);
    rt_engine *e = rt_engine_new(s, NULL);
    char p[512];
    snprintf(p, sizeof p, "%s/bad.yaml", dir);
    assert_int_equal(rt_engine_load_rules(e, p, NULL, NULL), 1);
    assert_int_equal(rt_engine_rule_count(e), 0);
    rt_engine_free(e);
    sp_store_free(s);
}

static void test_durations_in_sentinel_forms(void **st)
{
    (void)st;
    /* rt_duration_parse is internal: exercise it through rule loading */
    const char *forms[] = {"1h", "PT1H", "60m", "1h "};
    for (size_t i = 0; i < 4; i++) {
        char rule[2048];
        snprintf(rule, sizeof rule,
                 "id: 77777777-7777-7777-7777-77777777777%zu\nname: d%zu\nseverity: Low\nkind: Scheduled\n"
                 "queryFrequency: %s\nqueryPeriod: P1D\nquery: |\n  SigninLogs | take 1\n",
                 i, i, forms[i]);
        scratch_dir_write(dir, "d.yaml", rule);
        sp_store *s = sp_store_new(NULL);
        rt_engine *e = rt_engine_new(s, NULL);
        char p[512];
        snprintf(p, sizeof p, "%s/d.yaml", dir);
        assert_int_equal(rt_engine_load_rules(e, p, fail_on_diag, NULL), 0);
        rt_engine_free(e);
        sp_store_free(s);
    }
}

/* ---- rules over a table inferred from the data ---- */

/* Records with no envelope go to Events, a table with no declared schema: it does not
 * exist when the rules load, and its columns appear as records bring new fields. */
static void event(ing *g, const char *id, int min, const char *fields)
{
    char rec[512];
    int n = snprintf(rec, sizeof rec, "{\"TimeGenerated\":\"2026-11-01T00:%02d:00Z\",\"Id\":\"%s\"%s%s}", min, id,
                     *fields ? "," : "", fields);
    ing_ingest_message(g, rec, (size_t)n, "test");
}

/* Alerts of rule `name` whose text holds needle. */
static int count_rule(const mem_sink *m, const char *name, const char *needle)
{
    char an[128];
    snprintf(an, sizeof an, "\"AlertName\":\"%s\"", name);
    int c = 0;
    for (int i = 0; i < m->n; i++)
        c += strstr(m->alerts[i], an) && strstr(m->alerts[i], needle);
    return c;
}

static const char *sigma_w_is_a = "title: W is a\n"
                                  "id: 44444444-4444-4444-4444-444444444441\n"
                                  "status: test\n"
                                  "level: high\n"
                                  "logsource: {product: acme, service: app}\n"
                                  "detection:\n"
                                  "  sel: {w: a}\n"
                                  "  condition: sel\n";
static const char *sigma_w_null = "title: W is null\n"
                                  "id: 44444444-4444-4444-4444-444444444442\n"
                                  "status: test\n"
                                  "level: high\n"
                                  "logsource: {product: acme, service: app}\n"
                                  "detection:\n"
                                  "  sel: {w: null}\n"
                                  "  condition: sel\n";
static const char *kql_w_counts = "id: 44444444-4444-4444-4444-444444444443\n"
                                  "name: W counts\n"
                                  "severity: Low\n"
                                  "kind: Scheduled\n"
                                  "queryFrequency: 1h\n"
                                  "queryPeriod: 1h\n"
                                  "triggerOperator: gt\n"
                                  "triggerThreshold: 0\n"
                                  "query: |\n"
                                  "  Events\n"
                                  "  | where isnotempty(w)\n"
                                  "  | summarize n = count(), nv = countif(isnotnull(v)) by w\n"
                                  "  | project w, n, nv\n"
                                  "eventGroupingSettings:\n"
                                  "  aggregationKind: AlertPerResult\n";
static const char *kql_w_nrt = "id: 44444444-4444-4444-4444-444444444444\n"
                               "name: W nrt\n"
                               "severity: Low\n"
                               "kind: NRT\n"
                               "query: |\n"
                               "  Events\n"
                               "  | where w == \"a\"\n"
                               "  | project Id, w\n";

static void test_rules_loaded_before_data_see_columns_of_an_inferred_table_appear(void **st)
{
    (void)st;
    char p[512];
    snprintf(p, sizeof p, "%s/inferred", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    scratch_dir_write(dir, "inferred/a.yml", sigma_w_is_a);
    scratch_dir_write(dir, "inferred/null.yml", sigma_w_null);
    scratch_dir_write(dir, "inferred/counts.yaml", kql_w_counts);
    scratch_dir_write(dir, "inferred/nrt.yaml", kql_w_nrt);
    world w;
    world_new(&w, "inferred", NULL);
    assert_int_equal(rt_engine_rule_count(w.e), 4); /* the KQL rules wait for Events */
    assert_null(sp_store_find(w.store, "Events"));
    /* Chunk 1: no record has w yet. */
    event(w.g, "e1", 1, "\"x\":\"1\"");
    event(w.g, "e2", 2, "\"x\":\"2\"");
    ing_flush(w.g);
    /* Chunk 2: w appears with a value, another value, a JSON null and "". */
    event(w.g, "e3", 3, "\"w\":\"a\"");
    event(w.g, "e4", 4, "\"w\":\"b\"");
    event(w.g, "e5", 5, "\"w\":null");
    event(w.g, "e6", 6, "\"w\":\"\"");
    ing_flush(w.g);
    /* Chunk 3: v appears, ahead of w in the record. */
    event(w.g, "e7", 7, "\"v\":5,\"w\":\"a\"");
    event(w.g, "e8", 8, "\"v\":7");
    ing_flush(w.g);
    rt_engine_finish(w.e);
    /* Sigma `w: a`: exactly the records with w = a. */
    assert_int_equal(count_rule(w.sink, "W is a", ""), 2);
    assert_int_equal(count_rule(w.sink, "W is a", "\"Id\":\"e3\""), 1);
    assert_int_equal(count_rule(w.sink, "W is a", "\"Id\":\"e7\""), 1);
    /* Sigma `w: null`: absent or null, not "" and not a value. */
    assert_int_equal(count_rule(w.sink, "W is null", ""), 4);
    const char *nulls[] = {"\"Id\":\"e1\"", "\"Id\":\"e2\"", "\"Id\":\"e5\"", "\"Id\":\"e8\""};
    for (int i = 0; i < 4; i++)
        assert_int_equal(count_rule(w.sink, "W is null", nulls[i]), 1);
    /* KQL NRT: fails on chunk 1 (no column w yet, as Kusto fails on an unknown column),
     * then the matching rows of chunks 2 and 3. */
    assert_int_equal(count_rule(w.sink, "W nrt", ""), 2);
    assert_int_equal(count_rule(w.sink, "W nrt", "{\"Id\":\"e3\",\"w\":\"a\"}"), 1);
    assert_int_equal(count_rule(w.sink, "W nrt", "{\"Id\":\"e7\",\"w\":\"a\"}"), 1);
    rt_stats rs;
    rt_engine_stats(w.e, &rs);
    assert_int_equal(rs.rule_failures, 1);
    /* KQL scheduled, one tick over the hour: where, summarize and project on w and v. */
    assert_int_equal(count_rule(w.sink, "W counts", ""), 2);
    assert_int_equal(count_rule(w.sink, "W counts", "{\"w\":\"a\",\"n\":2,\"nv\":1}"), 1);
    assert_int_equal(count_rule(w.sink, "W counts", "{\"w\":\"b\",\"n\":1,\"nv\":0}"), 1);
    assert_int_equal(w.sink->n, 10);
    world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigma_rule_alerts_once_per_matching_event_when_chunks_seal),
        cmocka_unit_test(test_scheduled_rule_runs_per_tick_over_its_period_when_watermark_passes),
        cmocka_unit_test(test_scheduled_rule_group_keys_are_indexed_as_chunks_seal),
        cmocka_unit_test(test_suppression_drops_alerts_inside_the_suppression_window),
        cmocka_unit_test(test_watermark_is_the_slowest_source_minus_lateness),
        cmocka_unit_test(test_pending_source_holds_the_watermark_until_it_reports_or_goes_idle),
        cmocka_unit_test(test_alert_id_of_an_aggregate_row_does_not_depend_on_storage_order),
        cmocka_unit_test(test_correlation_windows_settle_the_same_incrementally_or_at_once),
        cmocka_unit_test(test_correlation_alert_carries_the_records_of_its_group_and_window),
        cmocka_unit_test(test_correlation_alerts_once_per_group_per_timespan),
        cmocka_unit_test(test_watchlists_feed_get_watchlist_in_rules),
        cmocka_unit_test(test_bad_rules_are_reported_with_their_position),
        cmocka_unit_test(test_durations_in_sentinel_forms),
        cmocka_unit_test(test_rules_loaded_before_data_see_columns_of_an_inferred_table_appear),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
