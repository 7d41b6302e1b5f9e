/* test_sigma_filter.c — meta-filters: targets by id, name or `any`, logsource compatibility,
 * the rewritten rule program `(rule) and not (filter)`, and the errors and warnings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sigma/sigma.h"
#include "support/sigma_support.h"

#define RULES                                                                                  \
    "title: rar\nid: 6f3e2987-db24-4c78-a860-b4f4095a7095\nname: rar_exe\n"                     \
    "logsource: {category: process_creation, product: windows}\n"                              \
    "detection:\n  sel: {Image|endswith: '\\rar.exe'}\n  condition: sel\n"                     \
    "---\n"                                                                                    \
    "title: jump\nid: df0841c0-9846-4e9f-ad8a-7df91571771b\nname: jump_login\n"                 \
    "logsource: {product: windows, service: security}\n"                                       \
    "detection:\n  sel: {EventID: 4624}\n  condition: sel\n"                                   \
    "---\n"                                                                                    \
    "title: linux\nid: 0d3c6f2a-58a5-4b8e-9d4e-1c0f3a2b7e61\nname: linux_rule\n"                \
    "logsource: {product: linux}\ndetection:\n  sel: {a: 1}\n  condition: sel\n"                \
    "---\n"
/* the filter document starts on line 25 */

static void test_filter_naming_an_uncovered_rule_is_rejected(void **st)
{
    (void)st;
    /* the filters spec's own example, applied to a rule of another logsource */
    sig_set *s = ts_load(RULES "title: Filter Administrator account\nlogsource:\n"
                               "    category: process_creation\n    product: windows\nfilter:\n"
                               "    rules:\n        - 6f3e2987-db24-4c78-a860-b4f4095a7095\n"
                               "        - jump_login\n"
                               "    selection:\n        User|startswith: 'adm_'\n"
                               "    condition: selection\n");
    /* jump_login has service: security and no category: the filter's category:
     * process_creation does not cover it */
    assert_string_equal(ts_error(s, 0),
                        "rule.yml:32:11: filter logsource (category: process_creation, product: "
                        "windows) does not cover rule 'jump_login' (product: windows, service: "
                        "security)");
    assert_int_equal(sig_set_count(s, SIG_DOC_FILTER), 0);
    assert_int_equal(sig_set_rule(s, 0)->nfilters, 0);
    sig_set_free(s);
}

static void test_filter_applies_to_rules_by_id_and_name(void **st)
{
    (void)st;
    sig_set *s = ts_load(RULES "title: f\nlogsource: {product: windows}\nfilter:\n"
                               "  rules: [6f3e2987-db24-4c78-a860-b4f4095a7095, jump_login]\n"
                               "  selection: {User|startswith: adm_}\n  condition: selection\n");
    assert_int_equal(sig_set_count(s, SIG_DOC_FILTER), 1);
    const sig_filter *f = sig_set_filter(s, 0);
    assert_int_equal(f->ntargets, 2);
    assert_int_equal(f->targets[0], 0);
    assert_int_equal(f->targets[1], 1);
    const sig_rule *rar = sig_set_rule(s, 0);
    assert_int_equal(rar->nfilters, 1);
    assert_int_equal(rar->filters[0], 0);
    assert_string_equal(ts_expr(s, 0),
                        "and({Image: (suffix \"\\\\rar.exe\")}, not({User: (prefix \"adm_\")}))");
    /* the program without filters is kept too */
    sp_buf b = {0};
    sig_expr_dump(&b, rar->detection);
    assert_string_equal(sp_buf_cstr(&b), "{Image: (suffix \"\\\\rar.exe\")}");
    sp_buf_free(&b);
    assert_string_equal(ts_expr(s, 2), "{a: (num 1)}");
    assert_int_equal(sig_set_rule(s, 2)->nfilters, 0);
    sig_set_free(s);
}

static void test_rules_any_targets_every_compatible_rule(void **st)
{
    (void)st;
    sig_set *s = ts_load(RULES "title: f\nlogsource: {product: windows}\nfilter:\n  rules: any\n"
                               "  dc: {ComputerName|startswith: DC-}\n  condition: dc\n---\n"
                               "title: g\nlogsource: {product: windows, service: security}\n"
                               "filter:\n  rules: any\n  svc: {User: SYSTEM}\n  condition: svc\n");
    const sig_filter *f = sig_set_filter(s, 0), *g = sig_set_filter(s, 1);
    assert_true(f->any);
    assert_int_equal(f->ntargets, 2);
    assert_int_equal(g->ntargets, 1);
    assert_int_equal(g->targets[0], 1);
    assert_string_equal(ts_expr(s, 1), "and({EventID: (num 4624)}, not({ComputerName: (prefix "
                                       "\"DC-\")}), not({User: (eq \"SYSTEM\")}))");
    assert_int_equal(sig_set_rule(s, 1)->nfilters, 2);
    sig_set_free(s);
}

static void test_negated_filter_conditions_get_a_warning(void **st)
{
    (void)st;
    sig_set *s = ts_load(RULES "title: f\nlogsource: {product: windows}\nfilter:\n  rules: any\n"
                               "  sel: {User|startswith: adm_}\n  condition: not sel\n");
    assert_string_equal(ts_diag(s, 0),
                        "rule.yml:30:14: warning: filter condition starts with 'not': a filter's "
                        "condition names the events to suppress (Sigma filters spec), so this keeps "
                        "only the events it negates; pySigma-style filters write 'not', socpipe "
                        "applies 'rule and not (filter)'");
    assert_int_equal(sig_set_count(s, SIG_DOC_FILTER), 1);
    sig_set_free(s);
}

static void test_filter_errors(void **st)
{
    (void)st;
    assert_string_equal(ts_reject(RULES "title: f\nlogsource: {product: windows}\nfilter:\n"
                                        "  sel: {a: 1}\n  condition: sel\n"),
                        "rule.yml:28:3: missing required field 'filter.rules' (rule ids or names, or "
                        "'any')");
    assert_string_equal(ts_reject(RULES "title: f\nlogsource: {product: windows}\nfilter:\n"
                                        "  rules: []\n  sel: {a: 1}\n  condition: sel\n"),
                        "rule.yml:28:10: 'filter.rules' must be rule ids or names, or 'any' for every "
                        "rule of the logsource");
    assert_string_equal(ts_reject(RULES "title: f\nlogsource: {product: windows}\nfilter:\n"
                                        "  rules: [rar_exe]\n  sel: {a: 1}\n"),
                        "rule.yml:28:3: missing required field 'filter.condition'");
    assert_string_equal(ts_reject(RULES "title: f\nfilter:\n  rules: [rar_exe]\n  sel: {a: 1}\n"
                                        "  condition: sel\n"),
                        "rule.yml:25:1: missing required field 'logsource'");
    assert_string_equal(ts_reject(RULES "title: f\nlogsource: {product: windows}\nfilter:\n"
                                        "  rules: [nope]\n  sel: {a: 1}\n  condition: sel\n"),
                        "rule.yml:28:11: filter rule reference 'nope' matches no rule id or name");
    assert_string_equal(ts_reject(RULES "title: f\nlogsource: {product: linux}\nfilter:\n"
                                        "  rules: [rar_exe]\n  sel: {a: 1}\n  condition: sel\n"),
                        "rule.yml:28:11: filter logsource (product: linux) does not cover rule "
                        "'rar_exe' (category: process_creation, product: windows)");
}

static void test_filters_cannot_target_correlations(void **st)
{
    (void)st;
    sig_set *s = ts_load(RULES "title: c\nname: corr\ncorrelation:\n  type: event_count\n"
                               "  rules: [rar_exe]\n  group-by: [x]\n  timespan: 1h\n"
                               "  condition: {gte: 2}\n---\n"
                               "title: f\nlogsource: {product: windows}\nfilter:\n  rules: [corr]\n"
                               "  sel: {a: 1}\n  condition: sel\n");
    assert_int_equal(sig_set_count(s, SIG_DOC_FILTER), 0);
    assert_string_equal(ts_error(s, 0),
                        "rule.yml:37:11: 'corr' is a correlation; filters apply to detection rules");
    sig_set_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_naming_an_uncovered_rule_is_rejected),
        cmocka_unit_test(test_filter_applies_to_rules_by_id_and_name),
        cmocka_unit_test(test_rules_any_targets_every_compatible_rule),
        cmocka_unit_test(test_negated_filter_conditions_get_a_warning),
        cmocka_unit_test(test_filter_errors),
        cmocka_unit_test(test_filters_cannot_target_correlations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
