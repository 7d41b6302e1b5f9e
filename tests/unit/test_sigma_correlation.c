/* test_sigma_correlation.c — correlation rules: every type, timespans, condition ranges,
 * group-by and aliases, references across files, chaining, cycles and `generate`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sigma/sigma.h"
#include "support/sigma_support.h"

#define BASE                                                                                   \
    "title: failed login\nid: 5638f7c0-ac70-491d-8465-2a65075e0d86\nname: failed_login\n"       \
    "logsource: {product: windows, service: security}\n"                                       \
    "detection:\n  sel: {EventID: 4625}\n  condition: sel\n"                                   \
    "---\n"                                                                                    \
    "title: success\nid: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8\nname: successful_login\n"       \
    "logsource: {product: windows, service: security}\n"                                       \
    "detection:\n  sel: {EventID: 4624}\n  condition: sel\n"                                   \
    "---\n"
/* the correlation document starts on line 17, its `correlation:` map on line 18 */
#define CORR(body) BASE "title: c\ncorrelation:\n" body

static const sig_corr *only_corr(sig_set *s)
{
    if (sig_set_count(s, SIG_DOC_CORRELATION) != 1)
        fail_msg("expected one correlation:\n%s", ts_all_diags(s));
    return sig_set_corr(s, 0);
}

static void test_event_count_with_a_range_condition(void **st)
{
    (void)st;
    sig_set *s = ts_load(CORR("  type: event_count\n  rules: [failed_login]\n  group-by: User\n"
                              "  timespan: 90m\n  condition:\n    gt: 100\n    lte: 200\n"));
    const sig_corr *c = only_corr(s);
    assert_int_equal(c->type, SIG_CORR_EVENT_COUNT);
    assert_int_equal(c->nrules, 1);
    assert_int_equal(c->rules[0].kind, SIG_DOC_RULE);
    assert_int_equal(c->rules[0].index, 0);
    assert_int_equal(c->rules[0].pos.line, 20);
    assert_int_equal(c->group_by.n, 1);
    assert_string_equal(c->group_by.v[0], "User");
    assert_int_equal(c->timespan, 90 * SP_TICKS_PER_MIN);
    assert_string_equal(c->timespan_text, "90m");
    assert_int_equal(c->nconds, 2);
    assert_int_equal(c->conds[0].op, SIG_GT);
    assert_true(c->conds[0].value == 100);
    assert_int_equal(c->conds[1].op, SIG_LTE);
    assert_false(c->default_cond);
    assert_false(c->generate);
    /* the referenced rule feeds the correlation only (generate defaults to false) */
    assert_false(sig_set_rule(s, 0)->standalone);
    assert_true(sig_set_rule(s, 1)->standalone);
    sig_set_free(s);
}

static void test_value_types_need_a_field(void **st)
{
    (void)st;
    static const char *const types[] = {"value_count", "value_sum", "value_avg", "value_percentile"};
    for (size_t i = 0; i < 4; i++) {
        char yaml[2048];
        snprintf(yaml, sizeof yaml,
                 CORR("  type: %s\n  rules: failed_login\n  group-by: [Host]\n  timespan: 1h\n"
                      "  condition: {field: Bytes, gte: 10.5}\n"),
                 types[i]);
        sig_set *s = ts_load(yaml);
        if (i == 0) {
            /* counts are whole numbers */
            assert_string_equal(ts_diag(s, 0), "rule.yml:23:34: value_count counts are whole "
                                               "numbers >= 0: '10.5' is not one");
            sig_set_free(s);
            continue;
        }
        const sig_corr *c = only_corr(s);
        assert_string_equal(c->field, "Bytes");
        assert_true(c->conds[0].value == 10.5);
        assert_false(c->has_percentile);
        sig_set_free(s);
    }
    assert_string_equal(ts_reject(CORR("  type: value_sum\n  rules: [failed_login]\n  timespan: 1h\n"
                                       "  condition: {gt: 5}\n")),
                        "rule.yml:22:14: value_sum needs 'field' in its condition");
    assert_string_equal(ts_reject(CORR("  type: event_count\n  rules: [failed_login]\n"
                                       "  timespan: 1h\n  condition: {field: x, gt: 5}\n")),
                        "rule.yml:22:15: 'field' belongs to value_* correlations, not to event_count");
}

static void test_value_percentile_with_and_without_percentile(void **st)
{
    (void)st;
    sig_set *s = ts_load(CORR("  type: value_percentile\n  rules: [failed_login]\n  group-by: [H]\n"
                              "  timespan: 1h\n  condition: {field: Latency, percentile: 95, gte: 500}\n"));
    const sig_corr *c = only_corr(s);
    assert_true(c->has_percentile);
    assert_true(c->percentile == 95);
    sig_set_free(s);
    /* the specification's own example: no percentile key */
    s = ts_load(CORR("  type: value_percentile\n  rules: [failed_login]\n  group-by: [ComputerName]\n"
                     "  timespan: 24h\n  condition: {field: image, lte: 1}\n"));
    c = only_corr(s);
    assert_false(c->has_percentile);
    assert_int_equal(c->timespan, 24 * SP_TICKS_PER_HOUR);
    sig_set_free(s);
    /* pySigma's value_median: percentile 50, with a warning */
    s = ts_load(CORR("  type: value_median\n  rules: [failed_login]\n  group-by: [H]\n"
                     "  timespan: 1h\n  condition: {field: Latency, gt: 5}\n"));
    c = only_corr(s);
    assert_int_equal(c->type, SIG_CORR_VALUE_PERCENTILE);
    assert_true(c->has_percentile && c->percentile == 50);
    assert_string_equal(ts_diag(s, 0), "rule.yml:19:9: warning: 'value_median' is a pySigma "
                                       "extension, not Sigma v2.1: read as value_percentile with "
                                       "percentile 50");
    sig_set_free(s);
    assert_string_equal(ts_reject(CORR("  type: value_percentile\n  rules: [failed_login]\n"
                                       "  timespan: 1h\n  condition: {field: x, percentile: 101, gt: 1}\n")),
                        "rule.yml:22:37: 'percentile' must be a number from 0 to 100");
}

static void test_temporal_defaults_to_all_rules(void **st)
{
    (void)st;
    sig_set *s = ts_load(CORR("  type: temporal_ordered\n  rules:\n    - failed_login\n"
                              "    - 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8\n  group-by: [User]\n"
                              "  timespan: 10m\n"));
    const sig_corr *c = only_corr(s);
    assert_int_equal(c->type, SIG_CORR_TEMPORAL_ORDERED);
    assert_true(c->default_cond);
    assert_int_equal(c->nconds, 1);
    assert_int_equal(c->conds[0].op, SIG_GTE);
    assert_true(c->conds[0].value == 2);
    assert_int_equal(c->rules[1].index, 1);
    sig_set_free(s);
    assert_string_equal(ts_reject(CORR("  type: temporal\n  rules: [failed_login, successful_login]\n"
                                       "  group-by: [User]\n  timespan: 10m\n  condition: {gte: 3}\n")),
                        "rule.yml:23:14: the condition can never hold (a temporal correlation counts "
                        "at most its number of rules)");
}

static void test_timespans(void **st)
{
    (void)st;
    int64_t t;
    assert_true(sig_timespan_parse("30s", 3, &t) && t == 30 * SP_TICKS_PER_SEC);
    assert_true(sig_timespan_parse("5m", 2, &t) && t == 5 * SP_TICKS_PER_MIN);
    assert_true(sig_timespan_parse("1h", 2, &t) && t == SP_TICKS_PER_HOUR);
    assert_true(sig_timespan_parse("2d", 2, &t) && t == 2 * SP_TICKS_PER_DAY);
    const char *bad[] = {"1w", "0m", "m", "5", "1.5h", "-1h", "1H", "1M", "99999999999999999d"};
    for (size_t i = 0; i < SP_ARRAY_LEN(bad); i++)
        assert_false(sig_timespan_parse(bad[i], strlen(bad[i]), &t));
    assert_string_equal(ts_reject(CORR("  type: event_count\n  rules: [failed_login]\n"
                                       "  timespan: 1w\n  condition: {gte: 2}\n")),
                        "rule.yml:21:13: invalid timespan '1w': a whole number > 0 followed by s, m, "
                        "h or d (e.g. 90m)");
}

static void test_condition_errors(void **st)
{
    (void)st;
    assert_string_equal(ts_reject(CORR("  type: event_count\n  rules: [failed_login]\n  timespan: 1h\n"
                                       "  condition: {gt: 10, lt: 5}\n")),
                        "rule.yml:22:14: the condition can never hold (empty range)");
    assert_string_equal(ts_reject(CORR("  type: event_count\n  rules: [failed_login]\n  timespan: 1h\n"
                                       "  condition: {over: 10}\n")),
                        "rule.yml:22:15: unknown key 'over' in a correlation condition (gt, gte, lt, "
                        "lte, eq, neq)");
    assert_string_equal(ts_reject(CORR("  type: event_count\n  rules: [failed_login]\n  timespan: 1h\n")),
                        "rule.yml:19:3: missing required field 'correlation.condition'");
    assert_string_equal(ts_reject(CORR("  type: temporal\n  rules: [failed_login]\n  timespan: 1h\n"
                                       "  condition: 'failed_login and not successful_login'\n")),
                        "rule.yml:22:14: a string condition (pySigma's extended temporal condition) "
                        "is not part of Sigma v2.1; use a map such as 'gte: 2'");
    assert_string_equal(ts_reject(CORR("  type: rare_event\n  rules: [failed_login]\n")),
                        "rule.yml:19:9: unknown correlation type 'rare_event' (event_count, "
                        "value_count, temporal, temporal_ordered, value_sum, value_avg, "
                        "value_percentile)");
    assert_string_equal(ts_reject(CORR("  type: event_count\n  rules: []\n  timespan: 1h\n"
                                       "  condition: {gte: 1}\n")),
                        "rule.yml:20:10: 'rules' must be a rule id or name, or a list of them");
    /* neq is a condition operator too */
    sig_set *s = ts_load(CORR("  type: event_count\n  rules: [failed_login]\n  group-by: [x]\n"
                              "  timespan: 1h\n  condition: {neq: 0}\n"));
    assert_int_equal(only_corr(s)->conds[0].op, SIG_CMP_NEQ);
    sig_set_free(s);
}

static void test_group_by_is_optional_with_a_warning(void **st)
{
    (void)st;
    sig_set *s = ts_load(CORR("  type: event_count\n  rules: [failed_login]\n  timespan: 1h\n"
                              "  condition: {gte: 5}\n"));
    assert_int_equal(only_corr(s)->group_by.n, 0);
    assert_string_equal(ts_diag(s, 0), "rule.yml:19:3: warning: no 'group-by': all matching events "
                                       "form a single group");
    sig_set_free(s);
}

static void test_aliases_resolve_per_rule(void **st)
{
    (void)st;
    sig_set *s = ts_load(CORR("  type: temporal\n  rules: [failed_login, successful_login]\n"
                              "  group-by: [ip]\n  timespan: 10s\n  aliases:\n    ip:\n"
                              "      failed_login: source.ip\n      successful_login: destination.ip\n"));
    const sig_corr *c = only_corr(s);
    assert_int_equal(c->naliases, 1);
    assert_string_equal(c->aliases[0].name, "ip");
    assert_int_equal(c->aliases[0].nfields, 2);
    assert_string_equal(c->aliases[0].fields[0].field, "source.ip");
    assert_int_equal(c->aliases[0].fields[0].rule.index, 0);
    assert_string_equal(c->aliases[0].fields[1].field, "destination.ip");
    assert_int_equal(c->aliases[0].fields[1].rule.index, 1);
    sig_set_free(s);
    /* an alias must name a field for every rule, and only the correlation's rules */
    s = ts_load(CORR("  type: temporal\n  rules: [failed_login, successful_login]\n"
                     "  group-by: [ip]\n  timespan: 10s\n  aliases:\n    ip:\n"
                     "      failed_login: source.ip\n"));
    assert_int_equal(sig_set_count(s, SIG_DOC_CORRELATION), 0);
    assert_string_equal(ts_diag(s, 0), "rule.yml:24:5: alias 'ip' names no field for rule "
                                       "'successful_login'");
    sig_set_free(s);
    s = ts_load(CORR("  type: event_count\n  rules: [failed_login]\n  group-by: [ip]\n"
                     "  timespan: 10s\n  condition: {gte: 2}\n  aliases:\n    ip:\n"
                     "      failed_login: a\n      successful_login: b\n"));
    assert_string_equal(ts_diag(s, 0), "rule.yml:27:7: alias 'ip': 'successful_login' is not one of "
                                       "the correlation's rules");
    sig_set_free(s);
}

static void test_references_resolve_across_files_by_id_and_name(void **st)
{
    (void)st;
    const char *texts[] = {
        "title: c\ncorrelation:\n  type: temporal\n  rules: [failed_login, "
        "4d0a2c83-c62c-4ed4-b475-c7e23a9269b8]\n  group-by: [User]\n  timespan: 5m\n",
        BASE, NULL};
    sig_set *s = ts_load_many(texts);
    const sig_corr *c = only_corr(s);
    assert_string_equal(sig_set_rule(s, c->rules[0].index)->meta.name, "failed_login");
    assert_string_equal(sig_set_rule(s, c->rules[1].index)->meta.name, "successful_login");
    sig_kind k;
    uint32_t idx;
    assert_true(sig_set_find(s, "successful_login", &k, &idx));
    assert_int_equal(k, SIG_DOC_RULE);
    assert_int_equal(idx, c->rules[1].index);
    sig_set_free(s);
}

static void test_unresolved_references_reject_the_correlation(void **st)
{
    (void)st;
    sig_set *s = ts_load(CORR("  type: event_count\n  rules: [failed_login, nope]\n  group-by: [x]\n"
                              "  timespan: 1h\n  condition: {gte: 2}\n"));
    assert_int_equal(sig_set_count(s, SIG_DOC_CORRELATION), 0);
    assert_string_equal(ts_diag(s, 0),
                        "rule.yml:20:25: correlation rule reference 'nope' matches no rule id or name");
    assert_int_equal(sig_set_diag(s, 0)->reason, SIG_R_REFERENCE);
    sig_stats stats;
    sig_set_stats(s, &stats);
    assert_int_equal(stats.rejected, 1);
    assert_int_equal(stats.loaded[SIG_DOC_CORRELATION], 0);
    /* a rule only referenced by a rejected correlation still alerts on its own */
    assert_true(sig_set_rule(s, 0)->standalone);
    sig_set_free(s);
}

static void test_chained_correlations_and_generate(void **st)
{
    (void)st;
    sig_set *s = ts_load(BASE "title: many failed\nname: many_failed\ncorrelation:\n"
                              "  type: event_count\n  rules: [failed_login]\n  group-by: [User]\n"
                              "  timespan: 10m\n  condition: {gte: 10}\n  generate: true\n---\n"
                              "title: brute force\ncorrelation:\n  type: temporal_ordered\n"
                              "  rules: [many_failed, successful_login]\n  group-by: [User]\n"
                              "  timespan: 10m\n");
    assert_int_equal(sig_set_count(s, SIG_DOC_CORRELATION), 2);
    const sig_corr *outer = sig_set_corr(s, 1);
    assert_int_equal(outer->rules[0].kind, SIG_DOC_CORRELATION);
    assert_int_equal(outer->rules[0].index, 0);
    assert_int_equal(outer->rules[1].kind, SIG_DOC_RULE);
    assert_true(sig_set_corr(s, 0)->generate);
    /* failed_login: referenced with generate: true -> still standalone;
     * successful_login: referenced by the outer correlation (generate false) -> not */
    assert_true(sig_set_rule(s, 0)->standalone);
    assert_false(sig_set_rule(s, 1)->standalone);
    /* the inner correlation feeds the outer one (generate false) and raises no alerts */
    assert_false(sig_set_corr(s, 0)->standalone);
    assert_true(outer->standalone);
    sig_set_free(s);
}

static void test_reference_cycles_are_rejected(void **st)
{
    (void)st;
    sig_set *s = ts_load("title: a\nname: ca\ncorrelation:\n  type: temporal\n  rules: [cb, x]\n"
                         "  group-by: [u]\n  timespan: 1m\n---\n"
                         "title: b\nname: cb\ncorrelation:\n  type: temporal\n  rules: [ca, x]\n"
                         "  group-by: [u]\n  timespan: 1m\n---\n"
                         "title: x\nname: x\nlogsource: {product: p}\ndetection:\n  s: {a: 1}\n"
                         "  condition: s\n");
    assert_int_equal(sig_set_count(s, SIG_DOC_CORRELATION), 0);
    assert_int_equal(sig_set_count(s, SIG_DOC_RULE), 1);
    assert_string_equal(ts_error(s, 0), "rule.yml:9:1: correlation 'cb' is part of a reference cycle");
    sig_set_free(s);
    assert_string_equal(ts_reject("title: a\nname: ca\ncorrelation:\n  type: event_count\n"
                                  "  rules: [ca]\n  timespan: 1m\n  condition: {gte: 1}\n"),
                        "rule.yml:5:11: a correlation cannot reference itself");
}

static void test_rejected_rules_reject_their_correlations(void **st)
{
    (void)st;
    sig_set *s = ts_load("title: bad\nname: bad\nlogsource: {product: p}\ndetection:\n"
                         "  s: {a|nope: 1}\n  condition: s\n---\n"
                         "title: c\ncorrelation:\n  type: event_count\n  rules: [bad]\n"
                         "  timespan: 1m\n  condition: {gte: 1}\n");
    sig_stats stats;
    sig_set_stats(s, &stats);
    assert_int_equal(stats.rejected, 2);
    assert_int_equal(stats.rejected_by[SIG_R_UNKNOWN_MODIFIER], 1);
    assert_int_equal(stats.rejected_by[SIG_R_REFERENCE], 1);
    assert_string_equal(ts_error(s, 1),
                        "rule.yml:11:11: correlation rule reference 'bad' matches no rule id or name");
    sig_set_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_count_with_a_range_condition),
        cmocka_unit_test(test_value_types_need_a_field),
        cmocka_unit_test(test_value_percentile_with_and_without_percentile),
        cmocka_unit_test(test_temporal_defaults_to_all_rules),
        cmocka_unit_test(test_timespans),
        cmocka_unit_test(test_condition_errors),
        cmocka_unit_test(test_group_by_is_optional_with_a_warning),
        cmocka_unit_test(test_aliases_resolve_per_rule),
        cmocka_unit_test(test_references_resolve_across_files_by_id_and_name),
        cmocka_unit_test(test_unresolved_references_reject_the_correlation),
        cmocka_unit_test(test_chained_correlations_and_generate),
        cmocka_unit_test(test_reference_cycles_are_rejected),
        cmocka_unit_test(test_rejected_rules_reject_their_correlations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
