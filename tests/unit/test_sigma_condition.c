/* test_sigma_condition.c — the condition language: precedence, `x of` patterns, `them`
 * and the `_` exclusion, condition lists, and the program built from a condition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sigma/sigma.h"
#include "support/sigma_support.h"

#define DETS                                                                                   \
    "title: t\nid: 929a690e-bef0-4204-a928-ef5e620d6fcc\nlogsource: {product: test}\n"         \
    "detection:\n  a: {fa: 1}\n  b: {fb: 2}\n  c: {fc: 3}\n  d: {fd: 4}\n  sel_x: {x: 5}\n"     \
    "  sel_y: {y: 6}\n  _sel_z: {z: 7}\n  filter_main: {f: 8}\n"

/* Parses `condition: <cond>` over DETS and returns its condition dump. */
static const char *cond(const char *c)
{
    static char out[2048];
    char yaml[4096];
    snprintf(yaml, sizeof yaml, DETS "  condition: %s\n", c);
    sig_set *s = ts_load(yaml);
    const sig_rule *r = sig_set_rule(s, 0);
    if (!r)
        fail_msg("condition '%s' rejected:\n%s", c, ts_all_diags(s));
    sp_buf b = {0};
    for (uint32_t i = 0; i < r->nconds; i++) {
        if (i)
            sp_buf_puts(&b, " ; ");
        sig_cond_dump(&b, r->conds[i], r->dets);
    }
    snprintf(out, sizeof out, "%s", sp_buf_cstr(&b));
    sp_buf_free(&b);
    sig_set_free(s);
    return out;
}

static const char *program(const char *c)
{
    static char out[4096];
    char yaml[4096];
    snprintf(yaml, sizeof yaml, DETS "  condition: %s\n", c);
    sig_set *s = ts_load(yaml);
    snprintf(out, sizeof out, "%s", ts_expr(s, 0));
    sig_set_free(s);
    return out;
}

static void test_and_binds_tighter_than_or(void **st)
{
    (void)st;
    assert_string_equal(cond("a or b and c"), "or(a, and(b, c))");
    assert_string_equal(cond("a and b or c and d"), "or(and(a, b), and(c, d))");
    assert_string_equal(cond("(a or b) and c"), "and(or(a, b), c)");
}

static void test_not_binds_tighter_than_and(void **st)
{
    (void)st;
    assert_string_equal(cond("not a and b"), "and(not(a), b)");
    assert_string_equal(cond("not a or b"), "or(not(a), b)");
    assert_string_equal(cond("not (a or b)"), "not(or(a, b))");
    assert_string_equal(cond("not not a"), "not(not(a))");
}

static void test_x_of_binds_tighter_than_not(void **st)
{
    (void)st;
    assert_string_equal(cond("a and not 1 of filter_*"), "and(a, not(1 of filter_*[filter_main]))");
    assert_string_equal(cond("not 1 of sel_* or a"), "or(not(1 of sel_*[sel_x,sel_y]), a)");
}

static void test_binary_operators_are_left_associative(void **st)
{
    (void)st;
    assert_string_equal(cond("a and b and c"), "and(and(a, b), c)");
    assert_string_equal(program("a and b and c"), "and({fa: (num 1)}, {fb: (num 2)}, {fc: (num 3)})");
}

static void test_patterns_never_select_underscore_identifiers(void **st)
{
    (void)st;
    assert_string_equal(cond("1 of sel*"), "1 of sel*[sel_x,sel_y]");
    assert_string_equal(cond("all of them"), "all of them[a,b,c,d,sel_x,sel_y,filter_main]");
    assert_string_equal(cond("any of *_y"), "any of *_y[sel_y]");
    /* an underscore identifier is still usable by name */
    assert_string_equal(cond("_sel_z and a"), "and(_sel_z, a)");
}

static void test_patterns_are_anchored_at_both_ends(void **st)
{
    (void)st;
    /* pySigma matches `sel` as a prefix (re.match); the spec's wildcard reading anchors */
    char yaml[1024];
    snprintf(yaml, sizeof yaml, DETS "  sel: {s: 9}\n  condition: 1 of sel\n");
    sig_set *s = ts_load(yaml);
    sp_buf b = {0};
    sig_cond_dump(&b, sig_set_rule(s, 0)->conds[0], sig_set_rule(s, 0)->dets);
    assert_string_equal(sp_buf_cstr(&b), "1 of sel[sel]");
    sp_buf_free(&b);
    sig_set_free(s);
    assert_string_equal(cond("1 of *main"), "1 of *main[filter_main]");
}

static void test_x_of_becomes_or_and_in_the_program(void **st)
{
    (void)st;
    assert_string_equal(program("1 of sel_*"), "or({x: (num 5)}, {y: (num 6)})");
    assert_string_equal(program("all of sel_*"), "and({x: (num 5)}, {y: (num 6)})");
    assert_string_equal(program("any of filter_*"), "{f: (num 8)}");
}

static void test_condition_lists_are_ored(void **st)
{
    (void)st;
    char yaml[1024];
    snprintf(yaml, sizeof yaml, DETS "  condition:\n    - a and b\n    - c\n");
    sig_set *s = ts_load(yaml);
    const sig_rule *r = sig_set_rule(s, 0);
    assert_int_equal(r->nconds, 2);
    assert_string_equal(ts_expr(s, 0), "or(and({fa: (num 1)}, {fb: (num 2)}), {fc: (num 3)})");
    sig_set_free(s);
}

static void test_selection_bodies_are_spliced_into_and(void **st)
{
    (void)st;
    sig_set *s = ts_load("title: t\nlogsource: {product: x}\ndetection:\n"
                         "  s1: {a: 1, b: 2}\n  s2: {c: 3}\n  condition: s1 and s2\n");
    assert_string_equal(ts_expr(s, 0), "and({a: (num 1)}, {b: (num 2)}, {c: (num 3)})");
    sig_set_free(s);
}

static void test_list_of_maps_is_or_of_ands(void **st)
{
    (void)st;
    sig_set *s = ts_load("title: t\nlogsource: {product: x}\ndetection:\n"
                         "  s:\n    - {a: 1, b: 2}\n    - {c: 3}\n    - kw\n  condition: s\n");
    assert_string_equal(ts_expr(s, 0),
                        "or({*: (contains \"kw\")}, and({a: (num 1)}, {b: (num 2)}), {c: (num 3)})");
    sig_set_free(s);
}

static void test_deep_parentheses_hit_the_depth_limit(void **st)
{
    (void)st;
    char c[256] = "";
    for (int i = 0; i < 40; i++)
        strcat(c, "(");
    strcat(c, "a");
    for (int i = 0; i < 40; i++)
        strcat(c, ")");
    char yaml[1024];
    snprintf(yaml, sizeof yaml, DETS "  condition: '%s'\n", c);
    assert_string_equal(ts_reject(yaml), "rule.yml:13:47: condition nested deeper than 32 levels");
}

static void test_them_alone_and_keywords_as_identifiers_are_errors(void **st)
{
    (void)st;
    char yaml[1024];
    snprintf(yaml, sizeof yaml, DETS "  condition: them\n");
    assert_string_equal(ts_reject(yaml),
                        "rule.yml:13:14: 'them' needs a quantifier: '1 of them', 'all of them'");
    snprintf(yaml, sizeof yaml, DETS "  condition: a and or b\n");
    assert_string_equal(ts_reject(yaml), "rule.yml:13:20: expected a search identifier, found 'or'");
    assert_string_equal(ts_reject("title: t\nlogsource: {product: x}\ndetection:\n  not: {a: 1}\n"
                                  "  condition: not\n"),
                        "rule.yml:4:3: search identifier 'not' is a condition keyword");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_and_binds_tighter_than_or),
        cmocka_unit_test(test_not_binds_tighter_than_and),
        cmocka_unit_test(test_x_of_binds_tighter_than_not),
        cmocka_unit_test(test_binary_operators_are_left_associative),
        cmocka_unit_test(test_patterns_never_select_underscore_identifiers),
        cmocka_unit_test(test_patterns_are_anchored_at_both_ends),
        cmocka_unit_test(test_x_of_becomes_or_and_in_the_program),
        cmocka_unit_test(test_condition_lists_are_ored),
        cmocka_unit_test(test_selection_bodies_are_spliced_into_and),
        cmocka_unit_test(test_list_of_maps_is_or_of_ands),
        cmocka_unit_test(test_deep_parentheses_hit_the_depth_limit),
        cmocka_unit_test(test_them_alone_and_keywords_as_identifiers_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
