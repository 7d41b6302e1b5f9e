/* test_rule_profile.c — rule profiling (socpipe bench rules): a rule run alone over the
 * resident data reports exact row counts (events, rows scanned, rows passing its filters,
 * result rows, alerts) for per-event and scheduled rules and `where` after `extend`, the
 * same counts on every repetition, and the regexes of its plan with or without a literal
 * prefilter; the regex prefilter follows leading inline flags and never hides a match of
 * non-ASCII text that Oniguruma's case folding would accept. No timing is asserted. */
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

#define KFH_SHORT_NAMES
#include "engine/exec/exec.h"
#include "engine/runtime/runtime.h"
#include "ingest/ingest.h"
#include "support/kfn_harness.h"
#include "support/scratch_dir.h"

static char dir[256];

static int setup(void **st)
{
    (void)st;
    scratch_dir_make(dir, sizeof dir, "socpipe-prof");
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

/* `n` sign-ins, one a minute from 2026-11-01T00:00Z: every third one failed with 50126,
 * every fourth one came from curl; users alternate between two. */
static void ingest_signins(sp_store *store, int n)
{
    sp_diag d = {0};
    ing_config ic = {.report_limit = -1};
    ing *g = ing_new(store, &ic, &d);
    assert_non_null(g);
    for (int i = 0; i < n; i++) {
        char rec[512];
        int len = snprintf(rec, sizeof rec,
                           "{\"Type\":\"SigninLogs\",\"Id\":\"id-%d\",\"TimeGenerated\":\"2026-11-01T%02d:%02d:00Z\","
                           "\"UserPrincipalName\":\"user%d@contoso.com\",\"IPAddress\":\"10.0.0.%d\","
                           "\"ResultType\":\"%s\",\"UserAgent\":\"%s\"}",
                           i, i / 60, i % 60, i % 2, i % 250, i % 3 == 0 ? "50126" : "0",
                           i % 4 == 0 ? "curl/8.4.0" : "Mozilla/5.0 (Windows NT 10.0) Gecko/20100101");
        ing_ingest_message(g, rec, (size_t)len, "test");
    }
    ing_free(g); /* flushes: every row is sealed */
}

/* A store holding those sign-ins, loaded before any engine exists, as bench rules does. */
static sp_store *signins(int n)
{
    sp_store *store = sp_store_new(NULL);
    ingest_signins(store, n);
    return store;
}

static void load(rt_engine *e, const char *rule_file)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, rule_file);
    assert_int_equal(rt_engine_load_rules(e, p, fail_on_diag, NULL), 0);
}

static rt_engine *engine_with(sp_store *store, const char *rule_file)
{
    rt_config cfg = {.profile = true};
    rt_engine *e = rt_engine_new(store, &cfg);
    load(e, rule_file);
    return e;
}

/* A sink that counts alerts. */
typedef struct counting {
    rt_sink base;
    int n;
} counting;
static int counting_write(rt_sink *s, const char *json, size_t len)
{
    (void)json;
    (void)len;
    ((counting *)s)->n++;
    return 0;
}
static int counting_flush(rt_sink *s)
{
    (void)s;
    return 0;
}
static void counting_close(rt_sink *s)
{
    (void)s;
}

#define SIGMA_FAILED                                    \
    "title: Failed password\n"                           \
    "name: failed_password\n"                            \
    "id: 3a1e0c52-0000-4000-8000-000000000001\n"         \
    "logsource: {product: azure, service: signinlogs}\n" \
    "detection:\n"                                       \
    "  selection: {ResultType: 50126}\n"                 \
    "  condition: selection\n"                           \
    "level: low\n"

static const char *sigma_failed = SIGMA_FAILED;

static void test_per_event_profile_counts_rows_scanned_passed_and_alerts_exactly(void **st)
{
    (void)st;
    scratch_dir_write(dir, "failed.yml", sigma_failed);
    sp_store *store = signins(120);
    rt_engine *e = engine_with(store, "failed.yml");
    counting sink = {.base = {counting_write, counting_flush, counting_close, "count"}};
    rt_engine_add_sink(e, &sink.base);
    rt_rule_info info;
    rt_engine_rule_info(e, 0, &info);
    assert_int_equal(info.kind, RT_RULE_PER_EVENT);
    assert_true(info.is_sigma);
    assert_int_equal(info.ntables, 1);
    assert_string_equal(info.tables[0], "SigninLogs");
    rt_rule_profile p;
    assert_int_equal(rt_engine_profile_rule(e, 0, &p), 0);
    assert_int_equal(p.events, 120);
    assert_int_equal(p.rows_scanned, 120);
    assert_int_equal(p.rows_passed, 40); /* every third */
    assert_int_equal(p.result_rows, 40);
    assert_int_equal(p.alerts, 40);
    assert_int_equal(sink.n, 40);
    assert_int_equal(p.failures, 0);
    assert_true(p.runs >= 1);
    assert_true(p.filter_ns <= p.exec_ns);
    /* Again: the rule's state was reset, so the same work and the same alerts. */
    rt_rule_profile q;
    assert_int_equal(rt_engine_profile_rule(e, 0, &q), 0);
    assert_int_equal(q.events, p.events);
    assert_int_equal(q.rows_passed, p.rows_passed);
    assert_int_equal(q.alerts, p.alerts);
    assert_int_equal(q.runs, p.runs);
    assert_int_equal(sink.n, 80);
    /* With cfg.profile the engine keeps the sum of what it ran. */
    rt_rule_profile total;
    rt_engine_rule_profile(e, 0, &total);
    assert_int_equal(total.alerts, 80);
    assert_int_equal(total.rows_scanned, 240);
    rt_engine_free(e);
    sp_store_free(store);
}

static const char *sentinel_hourly =
    "id: 3a1e0c52-0000-4000-8000-000000000002\n"
    "name: Failures per user\n"
    "severity: Medium\n"
    "kind: Scheduled\n"
    "queryFrequency: 1h\n"
    "queryPeriod: 1h\n"
    "triggerOperator: gt\n"
    "triggerThreshold: 0\n"
    "query: |\n"
    "  SigninLogs\n"
    "  | where ResultType == \"50126\"\n"
    "  | summarize Failures = count() by UserPrincipalName\n"
    "  | where Failures > 5\n";

/* The profiler runs a per-event rule over the same chunks round after round; in a stream
 * it reads each chunk once, so its filter must not get the row lists a chunk read again
 * gets (engine/exec/postings.c): none are built, and the rounds do the same work. */
static void test_profiled_per_event_rounds_build_no_row_lists(void **st)
{
    (void)st;
    scratch_dir_write(dir, "one_ip.yml",
                      "title: One address\n"
                      "id: 3a1e0c52-0000-4000-8000-000000000009\n"
                      "logsource: {product: azure, service: signinlogs}\n"
                      "detection:\n"
                      "  selection: {IPAddress: 10.0.0.7}\n"
                      "  condition: selection\n"
                      "level: low\n");
    sp_store *store = signins(5000); /* three batches; 250 addresses, one kept in 250 */
    rt_engine *e = engine_with(store, "one_ip.yml");
    rt_rule_profile p;
    for (int round = 0; round < 3; round++) {
        assert_int_equal(rt_engine_profile_rule(e, 0, &p), 0);
        assert_int_equal(p.rows_passed, 20);
    }
    sp_table_stats ts;
    sp_table_stats_get(sp_store_find(store, "SigninLogs"), &ts);
    assert_true(ts.cache_bytes < 1000); /* lists would take two bytes a row */
    rt_engine_free(e);
    sp_store_free(store);
}

static void test_scheduled_profile_runs_every_tick_and_counts_only_row_filters(void **st)
{
    (void)st;
    scratch_dir_write(dir, "hourly.yaml", sentinel_hourly);
    sp_store *store = signins(180); /* 00:00 .. 02:59: ticks at 01:00, 02:00, 03:00 */
    rt_engine *e = engine_with(store, "hourly.yaml");
    counting sink = {.base = {counting_write, counting_flush, counting_close, "count"}};
    rt_engine_add_sink(e, &sink.base);
    rt_rule_info info;
    rt_engine_rule_info(e, 0, &info);
    assert_int_equal(info.kind, RT_RULE_SCHEDULED);
    assert_false(info.is_sigma);
    rt_rule_profile p;
    assert_int_equal(rt_engine_profile_rule(e, 0, &p), 0);
    assert_int_equal(p.runs, 3);
    assert_int_equal(p.events, 180);
    assert_int_equal(p.rows_scanned, 180); /* each hour's rows once */
    /* the `where` before summarize is a row filter; the one after it is not */
    assert_int_equal(p.rows_passed, 60);
    /* per hour: 20 failures over two users = 10 each > 5 -> 2 result rows an hour */
    assert_int_equal(p.result_rows, 6);
    assert_int_equal(p.alerts, 3); /* one alert per triggered run (SingleAlert) */
    rt_engine_free(e);
    sp_store_free(store);
}

static const char *sentinel_nrt_extend =
    "id: 3a1e0c52-0000-4000-8000-000000000003\n"
    "name: Curl failures\n"
    "severity: Low\n"
    "kind: NRT\n"
    "query: |\n"
    "  SigninLogs\n"
    "  | extend Tool = tolower(substring(UserAgent, 0, 4))\n"
    "  | where Tool == \"curl\"\n"
    "  | where ResultType == \"50126\"\n";

static void test_filters_after_extend_count_toward_selectivity(void **st)
{
    (void)st;
    scratch_dir_write(dir, "nrt.yaml", sentinel_nrt_extend);
    sp_store *store = signins(120);
    rt_engine *e = engine_with(store, "nrt.yaml");
    rt_rule_profile p;
    assert_int_equal(rt_engine_profile_rule(e, 0, &p), 0);
    assert_int_equal(p.rows_scanned, 120);
    assert_int_equal(p.rows_passed, 10); /* i % 12 == 0 */
    assert_int_equal(p.result_rows, 10);
    rt_engine_free(e);
    sp_store_free(store);
}

/* ---- isolated runs reproduce a live run's alerts ---- */

static const char *sigma_with_correlation = SIGMA_FAILED
    "---\n"
    "title: Repeated failures per user\n"
    "id: 3a1e0c52-0000-4000-8000-000000000012\n"
    "level: medium\n"
    "correlation:\n"
    "  type: event_count\n"
    "  rules: [failed_password]\n"
    "  group-by: [UserPrincipalName]\n"
    "  timespan: 30m\n"
    "  generate: true\n"
    "  condition: {gte: 4}\n";

/* A sink keeping the AlertIds it was given. */
typedef struct ids_sink {
    rt_sink base;
    char (*ids)[37];
    int n;
} ids_sink;
static int ids_write(rt_sink *s, const char *json, size_t len)
{
    ids_sink *k = (ids_sink *)s;
    const char *p = strstr(json, "\"AlertId\":\"");
    assert_non_null(p);
    assert_true((size_t)(p - json) + 47 <= len);
    k->ids = realloc(k->ids, sizeof *k->ids * (size_t)(k->n + 1));
    memcpy(k->ids[k->n], p + 11, 36);
    k->ids[k->n++][36] = 0;
    return 0;
}
static int ids_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_isolated_runs_write_the_alerts_a_live_run_writes(void **st)
{
    (void)st;
    scratch_dir_write(dir, "live.yml", sigma_with_correlation);
    scratch_dir_write(dir, "live_hourly.yaml", sentinel_hourly);
    /* live: the engine exists before the data, rules run as chunks seal and at finish */
    ids_sink live = {.base = {ids_write, counting_flush, counting_close, "ids"}};
    {
        sp_store *store = sp_store_new(NULL);
        rt_config cfg = {0};
        rt_engine *e = rt_engine_new(store, &cfg);
        load(e, "live.yml");
        load(e, "live_hourly.yaml");
        rt_engine_add_sink(e, &live.base);
        ingest_signins(store, 180);
        rt_engine_finish(e);
        rt_engine_free(e);
        sp_store_free(store);
    }
    /* isolated: data first, then every rule alone */
    ids_sink iso = {.base = {ids_write, counting_flush, counting_close, "ids"}};
    {
        sp_store *store = signins(180);
        rt_engine *e = engine_with(store, "live.yml");
        load(e, "live_hourly.yaml");
        rt_engine_add_sink(e, &iso.base);
        assert_int_equal(rt_engine_rule_count(e), 3);
        int kinds[3] = {0};
        uint64_t alerts = 0;
        for (int i = 0; i < rt_engine_rule_count(e); i++) {
            rt_rule_info info;
            rt_engine_rule_info(e, i, &info);
            kinds[info.kind]++;
            rt_rule_profile p;
            assert_int_equal(rt_engine_profile_rule(e, i, &p), 0);
            alerts += p.alerts;
            if (info.kind == RT_RULE_CORRELATION) {
                assert_int_equal(p.runs, 1);
                assert_int_equal(p.events, 180);
                assert_true(p.alerts > 0);
            }
        }
        assert_int_equal(kinds[RT_RULE_PER_EVENT], 1);
        assert_int_equal(kinds[RT_RULE_SCHEDULED], 1);
        assert_int_equal(kinds[RT_RULE_CORRELATION], 1);
        assert_int_equal((int)alerts, iso.n);
        rt_engine_free(e);
        sp_store_free(store);
    }
    assert_true(live.n > 60);
    assert_int_equal(iso.n, live.n);
    qsort(live.ids, (size_t)live.n, sizeof *live.ids, ids_cmp);
    qsort(iso.ids, (size_t)iso.n, sizeof *iso.ids, ids_cmp);
    for (int i = 0; i < live.n; i++)
        assert_string_equal(iso.ids[i], live.ids[i]);
    free(live.ids);
    free(iso.ids);
}

/* ---- regexes of a rule's plan ---- */

static void sigma_re_rule(const char *name, const char *selection)
{
    char text[1024];
    snprintf(text, sizeof text,
             "title: %s\n"
             "logsource: {product: azure, service: signinlogs}\n"
             "detection:\n"
             "  selection:\n"
             "    %s\n"
             "  condition: selection\n"
             "level: low\n",
             name, selection);
    char file[300];
    snprintf(file, sizeof file, "%s.yml", name);
    scratch_dir_write(dir, file, text);
}

/* The regexes of the only rule in file. */
static int rule_regexes(sp_store *store, const char *file, kexec_regex **out)
{
    rt_engine *e = engine_with(store, file);
    assert_int_equal(rt_engine_rule_count(e), 1);
    int n = rt_engine_rule_regexes(e, 0, out);
    rt_engine_free(e);
    return n;
}

static void test_regex_without_a_required_literal_has_no_prefilter_and_contains_has_no_regex(void **st)
{
    (void)st;
    sp_store *store = signins(4);
    kexec_regex *v;
    /* every match of .*[0-9a-f]{32} is classes and repeats: nothing to look for first */
    sigma_re_rule("re_wild", "UserAgent|re: '.*[0-9a-f]{32}'");
    assert_int_equal(rule_regexes(store, "re_wild.yml", &v), 1);
    assert_string_equal(v[0].fn, "matches regex");
    assert_string_equal(v[0].pattern, ".*[0-9a-f]{32}");
    assert_null(v[0].literal);
    assert_false(v[0].invalid);
    kexec_regexes_free(v, 1);

    /* a leading .* does not hide the literal: every match of .*foo contains foo */
    sigma_re_rule("re_dotstar", "UserAgent|re: '.*foo'");
    assert_int_equal(rule_regexes(store, "re_dotstar.yml", &v), 1);
    assert_string_equal(v[0].literal, "foo");
    kexec_regexes_free(v, 1);

    sigma_re_rule("contains", "UserAgent|contains: foo");
    assert_int_equal(rule_regexes(store, "contains.yml", &v), 0);
    assert_null(v);

    sigma_re_rule("alternation", "UserAgent|re: 'curl|wget'");
    assert_int_equal(rule_regexes(store, "alternation.yml", &v), 1);
    assert_null(v[0].literal);
    kexec_regexes_free(v, 1);
    sp_store_free(store);
}

static void test_regex_with_a_required_literal_has_a_prefilter(void **st)
{
    (void)st;
    sp_store *store = signins(4);
    kexec_regex *v;
    sigma_re_rule("re_lit", "UserAgent|re: 'curl/[0-9]+\\.[0-9]+'");
    assert_int_equal(rule_regexes(store, "re_lit.yml", &v), 1);
    assert_string_equal(v[0].literal, "curl/");
    assert_false(v[0].ci);
    kexec_regexes_free(v, 1);

    /* |re|i lowers to a leading (?i): the literal is kept, compared case-insensitively */
    sigma_re_rule("re_ci", "UserAgent|re|i: 'Invoke-Mimikatz'");
    assert_int_equal(rule_regexes(store, "re_ci.yml", &v), 1);
    assert_string_equal(v[0].pattern, "(?i)Invoke-Mimikatz");
    assert_string_equal(v[0].literal, "invoke-mimikatz");
    assert_true(v[0].ci);
    kexec_regexes_free(v, 1);
    sp_store_free(store);
}

static const char *kql_regexes =
    "id: 3a1e0c52-0000-4000-8000-000000000004\n"
    "name: Regex functions\n"
    "severity: Low\n"
    "kind: NRT\n"
    "query: |\n"
    "  SigninLogs\n"
    "  | extend Octet = extract(@\"^(\\d+)\\.\", 1, IPAddress)\n"
    "  | extend Agent = replace_regex(UserAgent, @\"Gecko/\\d+\", \"Gecko\")\n"
    "  | where UserPrincipalName matches regex strcat(\"^\", Octet)\n";

static void test_kql_regex_functions_are_listed_with_their_prefilters(void **st)
{
    (void)st;
    scratch_dir_write(dir, "kql.yaml", kql_regexes);
    sp_store *store = signins(4);
    kexec_regex *v;
    int n = rule_regexes(store, "kql.yaml", &v);
    assert_int_equal(n, 3);
    int extract = -1, replace = -1, computed = -1;
    for (int i = 0; i < n; i++) {
        if (!strcmp(v[i].fn, "extract"))
            extract = i;
        else if (!strcmp(v[i].fn, "replace_regex"))
            replace = i;
        else if (!strcmp(v[i].fn, "matches regex"))
            computed = i;
    }
    assert_true(extract >= 0 && replace >= 0 && computed >= 0);
    assert_null(v[extract].literal);               /* ^(\d+)\. : nothing literal of 3+ bytes */
    assert_string_equal(v[replace].literal, "Gecko/");
    assert_null(v[computed].pattern);               /* built per row */
    assert_null(v[computed].literal);
    assert_true(v[extract].line > 0);               /* KQL keeps positions */
    kexec_regexes_free(v, n);
    sp_store_free(store);
}

/* ---- the prefilter itself: never a different answer than Oniguruma's ---- */

static kfh H;

static const char *re(const char *text, const char *pattern)
{
    return KFH_CALL(&H, KB_matches_regex, SP_TYPE_BOOL, ROW(S(text)), S(pattern));
}

static void test_case_insensitive_prefilter_matches_ascii_text_either_case(void **st)
{
    (void)st;
    kfh_init(&H);
    assert_string_equal(re("run INVOKE-MIMIKATZ now", "(?i)invoke-mimikatz"), "true");
    assert_string_equal(re("run invoke-mimikatz now", "(?i)Invoke-Mimikatz"), "true");
    assert_string_equal(re("run invoke-mimi now", "(?i)Invoke-Mimikatz"), "false");
    assert_string_equal(re("Invoke-Mimikatz", "(?s)(?i)^invoke-"), "true");
    /* case-sensitive without the flag */
    assert_string_equal(re("run INVOKE-MIMIKATZ now", "Invoke-Mimikatz"), "false");
    kfh_done(&H);
}

static void test_case_insensitive_prefilter_leaves_non_ascii_text_to_oniguruma(void **st)
{
    (void)st;
    kfh_init(&H);
    /* U+212A KELVIN SIGN folds to k; U+017F LATIN SMALL LETTER LONG S folds to s */
    assert_string_equal(re("\xe2\x84\xaa" "elvin", "(?i)kelvin"), "true");
    assert_string_equal(re("admin_\xc5\xbf" "vc", "(?i)admin_svc"), "true");
    assert_string_equal(re("caf\xc3\xa9 latte", "(?i)latte"), "true");
    assert_string_equal(re("caf\xc3\xa9 mocha", "(?i)latte"), "false");
    kfh_done(&H);
}

/* (?i)P has a prefilter, (?i:P) has none (its literal is inside a group): both must give
 * Oniguruma's answer on every text, including the ones Unicode case folding maps onto
 * ASCII (ß = ss, the fi ligature, KELVIN SIGN, dotted capital I). */
static void test_prefiltered_and_unfiltered_forms_of_a_regex_agree(void **st)
{
    (void)st;
    static const char *const patterns[] = {"strasse", "kelvin", "profile", "admin", "invoke-"};
    static const char *const texts[] = {"STRASSE",          "stra\xc3\x9f" "e", "Kelvin",
                                        "\xe2\x84\xaa" "elvin", "pro\xef\xac\x81" "le", "PROFILE",
                                        "\xc4\xb0nvoke-x",   "ADMIN",           "adm1n",
                                        "",                 "invoke",          "xx-INVOKE-yy"};
    for (size_t p = 0; p < sizeof patterns / sizeof *patterns; p++)
        for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
            char flat[64], group[64], a[16], b[16];
            snprintf(flat, sizeof flat, "(?i)%s", patterns[p]);
            snprintf(group, sizeof group, "(?i:%s)", patterns[p]);
            kfh_init(&H); /* a harness holds a few per-row values only */
            snprintf(a, sizeof a, "%s", re(texts[t], flat));
            snprintf(b, sizeof b, "%s", re(texts[t], group));
            kfh_done(&H);
            if (strcmp(a, b) != 0)
                fail_msg("'%s' on '%s': %s with the prefilter, %s without", patterns[p], texts[t], a, b);
        }
}

static void test_inline_flags_after_the_start_disable_the_prefilter_not_the_match(void **st)
{
    (void)st;
    kfh_init(&H);
    /* `(?i)` in the middle makes the rest case-insensitive: a literal taken from it with
     * its case would wrongly rule this out */
    assert_string_equal(re("abc DEF", "abc (?i)def"), "true");
    assert_string_equal(re("abcdef", "(?:abc)def"), "true");
    assert_string_equal(re("xyz", "(?:abc)def"), "false");
    kfh_done(&H);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_event_profile_counts_rows_scanned_passed_and_alerts_exactly),
        cmocka_unit_test(test_profiled_per_event_rounds_build_no_row_lists),
        cmocka_unit_test(test_scheduled_profile_runs_every_tick_and_counts_only_row_filters),
        cmocka_unit_test(test_filters_after_extend_count_toward_selectivity),
        cmocka_unit_test(test_isolated_runs_write_the_alerts_a_live_run_writes),
        cmocka_unit_test(test_regex_without_a_required_literal_has_no_prefilter_and_contains_has_no_regex),
        cmocka_unit_test(test_regex_with_a_required_literal_has_a_prefilter),
        cmocka_unit_test(test_kql_regex_functions_are_listed_with_their_prefilters),
        cmocka_unit_test(test_case_insensitive_prefilter_matches_ascii_text_either_case),
        cmocka_unit_test(test_case_insensitive_prefilter_leaves_non_ascii_text_to_oniguruma),
        cmocka_unit_test(test_prefiltered_and_unfiltered_forms_of_a_regex_agree),
        cmocka_unit_test(test_inline_flags_after_the_start_disable_the_prefilter_not_the_match),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
