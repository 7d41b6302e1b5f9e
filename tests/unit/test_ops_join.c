/* test_ops_join.c — every join kind and lookup on the docs' examples (join operator and
 * join-flavor pages, lookup operator page; the X/Y tables), ported from
 * tests/kql/12-join.test and 13-lookup.test. Row order is not part of Kusto's contract
 * for joins, so most cases compare the multiset of rows; one case pins socpipe's own
 * deterministic order. Also: null keys never match, int and long keys meet, multi-key
 * joins, empty sides, store-table inputs with dictionary-encoded keys, and a large
 * many-to-many join that crosses output batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/plan_build.h"

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of text, sorted, joined back. */
static char *sorted_lines(const char *text)
{
    char *copy = strdup(text);
    char *lines[4096];
    int n = 0;
    for (char *save = NULL, *t = strtok_r(copy, "\n", &save); t && n < 4096; t = strtok_r(NULL, "\n", &save))
        lines[n++] = t;
    qsort(lines, (size_t)n, sizeof(char *), cmp_line);
    size_t len = strlen(text) + 2;
    char *out = calloc(1, len);
    for (int i = 0; i < n; i++) {
        strcat(out, lines[i]);
        strcat(out, "\n");
    }
    free(copy);
    return out;
}

static void expect_rows(kplan *p, const char *want)
{
    char *got = tb_run(p, NULL);
    char *g = sorted_lines(got), *w = sorted_lines(want);
    if (strcmp(g, w))
        fprintf(stderr, "got:\n%s", got);
    assert_string_equal(g, w);
    free(got);
    free(g);
    free(w);
    kplan_free(p);
}

#define X_CELLS "'a',1, 'b',2, 'b',3, 'c',4"
#define Y_CELLS "'b',10, 'c',20, 'c',30, 'd',40"

static kp *X(kplan *p)
{
    return tb_values(p, "Key:string, Value1:long", X_CELLS);
}

static kp *Y(kplan *p)
{
    return tb_values(p, "Key:string, Value2:long", Y_CELLS);
}

static kplan *xy(kp_join_kind kind)
{
    kplan *p = kplan_new();
    p->root = tb_join(p, X(p), Y(p), kind, "Key", false);
    return p;
}

static void test_join_default_innerunique_keeps_first_left_row_per_key(void **st)
{
    (void)st;
    kplan *p = xy(KJ_INNERUNIQUE);
    assert_string_equal(tb_schema(&p->root->out), "Key:string, Value1:long, Key1:string, Value2:long");
    expect_rows(p, "{\"Key\":\"b\",\"Value1\":2,\"Key1\":\"b\",\"Value2\":10}\n"
                   "{\"Key\":\"c\",\"Value1\":4,\"Key1\":\"c\",\"Value2\":20}\n"
                   "{\"Key\":\"c\",\"Value1\":4,\"Key1\":\"c\",\"Value2\":30}\n");
}

static void test_join_innerunique_one_left_row_matches_every_right_duplicate(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *t1 = tb_values(p, "key:long, value:string", "1, 'val1.1', 1, 'val1.2'");
    kp *t2 = tb_values(p, "key:long, value:string", "1, 'val1.3', 1, 'val1.4'");
    p->root = tb_project(p, tb_join(p, t1, t2, KJ_INNERUNIQUE, "key", false), "key, key1, value, value1");
    expect_rows(p, "{\"key\":1,\"key1\":1,\"value\":\"val1.1\",\"value1\":\"val1.3\"}\n"
                   "{\"key\":1,\"key1\":1,\"value\":\"val1.1\",\"value1\":\"val1.4\"}\n");
}

static void test_join_inner_is_the_product_of_matches(void **st)
{
    (void)st;
    expect_rows(xy(KJ_INNER), "{\"Key\":\"b\",\"Value1\":3,\"Key1\":\"b\",\"Value2\":10}\n"
                              "{\"Key\":\"b\",\"Value1\":2,\"Key1\":\"b\",\"Value2\":10}\n"
                              "{\"Key\":\"c\",\"Value1\":4,\"Key1\":\"c\",\"Value2\":20}\n"
                              "{\"Key\":\"c\",\"Value1\":4,\"Key1\":\"c\",\"Value2\":30}\n");
    kplan *p = kplan_new();
    kp *t1 = tb_values(p, "key:long, value:string", "1, 'val1.1', 1, 'val1.2'");
    kp *t2 = tb_values(p, "key:long, value:string", "1, 'val1.3', 1, 'val1.4'");
    p->root = tb_join(p, t1, t2, KJ_INNER, "key", false);
    expect_rows(p, "{\"key\":1,\"value\":\"val1.2\",\"key1\":1,\"value1\":\"val1.3\"}\n"
                   "{\"key\":1,\"value\":\"val1.1\",\"key1\":1,\"value1\":\"val1.3\"}\n"
                   "{\"key\":1,\"value\":\"val1.2\",\"key1\":1,\"value1\":\"val1.4\"}\n"
                   "{\"key\":1,\"value\":\"val1.1\",\"key1\":1,\"value1\":\"val1.4\"}\n");
}

static void test_join_leftouter_keeps_unmatched_left_rows(void **st)
{
    (void)st;
    expect_rows(xy(KJ_LEFTOUTER), "{\"Key\":\"b\",\"Value1\":3,\"Key1\":\"b\",\"Value2\":10}\n"
                                  "{\"Key\":\"b\",\"Value1\":2,\"Key1\":\"b\",\"Value2\":10}\n"
                                  "{\"Key\":\"c\",\"Value1\":4,\"Key1\":\"c\",\"Value2\":20}\n"
                                  "{\"Key\":\"c\",\"Value1\":4,\"Key1\":\"c\",\"Value2\":30}\n"
                                  "{\"Key\":\"a\",\"Value1\":1,\"Key1\":\"\",\"Value2\":null}\n");
}

static void test_join_rightouter_keeps_unmatched_right_rows(void **st)
{
    (void)st;
    expect_rows(xy(KJ_RIGHTOUTER), "{\"Key\":\"b\",\"Value1\":3,\"Key1\":\"b\",\"Value2\":10}\n"
                                   "{\"Key\":\"b\",\"Value1\":2,\"Key1\":\"b\",\"Value2\":10}\n"
                                   "{\"Key\":\"c\",\"Value1\":4,\"Key1\":\"c\",\"Value2\":20}\n"
                                   "{\"Key\":\"c\",\"Value1\":4,\"Key1\":\"c\",\"Value2\":30}\n"
                                   "{\"Key\":\"\",\"Value1\":null,\"Key1\":\"d\",\"Value2\":40}\n");
}

static void test_join_fullouter_keeps_unmatched_rows_of_both_sides(void **st)
{
    (void)st;
    expect_rows(xy(KJ_FULLOUTER), "{\"Key\":\"b\",\"Value1\":3,\"Key1\":\"b\",\"Value2\":10}\n"
                                  "{\"Key\":\"b\",\"Value1\":2,\"Key1\":\"b\",\"Value2\":10}\n"
                                  "{\"Key\":\"c\",\"Value1\":4,\"Key1\":\"c\",\"Value2\":20}\n"
                                  "{\"Key\":\"c\",\"Value1\":4,\"Key1\":\"c\",\"Value2\":30}\n"
                                  "{\"Key\":\"\",\"Value1\":null,\"Key1\":\"d\",\"Value2\":40}\n"
                                  "{\"Key\":\"a\",\"Value1\":1,\"Key1\":\"\",\"Value2\":null}\n");
}

static void test_join_anti_and_semi_kinds_return_one_side(void **st)
{
    (void)st;
    kplan *p = xy(KJ_LEFTANTI);
    assert_string_equal(tb_schema(&p->root->out), "Key:string, Value1:long");
    expect_rows(p, "{\"Key\":\"a\",\"Value1\":1}\n");
    p = xy(KJ_RIGHTANTI);
    assert_string_equal(tb_schema(&p->root->out), "Key:string, Value2:long");
    expect_rows(p, "{\"Key\":\"d\",\"Value2\":40}\n");
    expect_rows(xy(KJ_LEFTSEMI), "{\"Key\":\"b\",\"Value1\":3}\n{\"Key\":\"b\",\"Value1\":2}\n{\"Key\":\"c\",\"Value1\":4}\n");
    expect_rows(xy(KJ_RIGHTSEMI), "{\"Key\":\"b\",\"Value2\":10}\n{\"Key\":\"c\",\"Value2\":20}\n{\"Key\":\"c\",\"Value2\":30}\n");
}

static void test_join_order_is_left_order_then_right_leftovers(void **st)
{
    (void)st;
    kplan *p = xy(KJ_FULLOUTER);
    char *got = tb_run(p, NULL);
    assert_string_equal(got, "{\"Key\":\"a\",\"Value1\":1,\"Key1\":\"\",\"Value2\":null}\n"
                             "{\"Key\":\"b\",\"Value1\":2,\"Key1\":\"b\",\"Value2\":10}\n"
                             "{\"Key\":\"b\",\"Value1\":3,\"Key1\":\"b\",\"Value2\":10}\n"
                             "{\"Key\":\"c\",\"Value1\":4,\"Key1\":\"c\",\"Value2\":20}\n"
                             "{\"Key\":\"c\",\"Value1\":4,\"Key1\":\"c\",\"Value2\":30}\n"
                             "{\"Key\":\"\",\"Value1\":null,\"Key1\":\"d\",\"Value2\":40}\n");
    free(got);
    kplan_free(p);
}

static void test_join_on_differently_named_keys_keeps_both(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *l = tb_values(p, "ActivityIdLeft:string, City:string", "'x1', 'Paris', 'x2', 'Rome'");
    kp *r = tb_values(p, "ActivityIdRight:string, StopTime:long", "'x1', 5");
    p->root = tb_join(p, l, r, KJ_INNER, "ActivityIdLeft == ActivityIdRight", false);
    assert_string_equal(tb_schema(&p->root->out), "ActivityIdLeft:string, City:string, ActivityIdRight:string, StopTime:long");
    expect_rows(p, "{\"ActivityIdLeft\":\"x1\",\"City\":\"Paris\",\"ActivityIdRight\":\"x1\",\"StopTime\":5}\n");
}

static void test_join_on_two_keys_requires_both(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *l = tb_values(p, "a:string, b:long, x:string", "'p', 1, 'L1', 'p', 2, 'L2'");
    kp *r = tb_values(p, "a:string, b:long, y:string", "'p', 2, 'R2', 'q', 1, 'R3'");
    p->root = tb_project(p, tb_join(p, l, r, KJ_INNER, "a, b", false), "a, b, x, y");
    expect_rows(p, "{\"a\":\"p\",\"b\":2,\"x\":\"L2\",\"y\":\"R2\"}\n");
}

static void test_join_string_keys_are_case_sensitive_and_empty_matches_empty(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *l = tb_values(p, "u:string", "'Alice', 'alice', ''");
    kp *r = tb_values(p, "u:string, role:string", "'alice', 'admin', '', 'nobody'");
    p->root = tb_project(p, tb_join(p, l, r, KJ_INNER, "u", false), "u, role");
    expect_rows(p, "{\"u\":\"alice\",\"role\":\"admin\"}\n{\"u\":\"\",\"role\":\"nobody\"}\n");
}

static void test_join_null_keys_never_match(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *l = tb_values(p, "k:long, x:string", "null, 'ln', 1, 'l1'");
    kp *r = tb_values(p, "k:long, y:string", "null, 'rn', 1, 'r1'");
    p->root = tb_join(p, l, r, KJ_FULLOUTER, "k", false);
    expect_rows(p, "{\"k\":null,\"x\":\"ln\",\"k1\":null,\"y\":\"\"}\n"
                   "{\"k\":1,\"x\":\"l1\",\"k1\":1,\"y\":\"r1\"}\n"
                   "{\"k\":null,\"x\":\"\",\"k1\":null,\"y\":\"rn\"}\n");
    p = kplan_new();
    l = tb_values(p, "k:long", "null, 2");
    r = tb_values(p, "k:long", "null");
    p->root = tb_join(p, l, r, KJ_LEFTANTI, "k", false);
    expect_rows(p, "{\"k\":null}\n{\"k\":2}\n");
}

static void test_join_int_key_meets_long_key(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *l = tb_values(p, "k:int, x:string", "7, 'seven'");
    kp *r = tb_values(p, "k:long, y:string", "7, 'SEVEN'");
    p->root = tb_project(p, tb_join(p, l, r, KJ_INNER, "k", false), "x, y");
    expect_rows(p, "{\"x\":\"seven\",\"y\":\"SEVEN\"}\n");
}

static void test_join_leftouter_with_empty_right_keeps_every_left_row(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *l = tb_values(p, "k:long", "1, 2");
    kp *r = tb_values(p, "k:long, v:string", "");
    p->root = tb_join(p, l, r, KJ_LEFTOUTER, "k", false);
    assert_string_equal(tb_schema(&p->root->out), "k:long, k1:long, v:string");
    expect_rows(p, "{\"k\":1,\"k1\":null,\"v\":\"\"}\n{\"k\":2,\"k1\":null,\"v\":\"\"}\n");
    p = kplan_new();
    l = tb_values(p, "k:long", "1, 2");
    r = tb_values(p, "k:long, v:string", "");
    p->root = tb_join(p, l, r, KJ_INNER, "k", false);
    expect_rows(p, "");
    p = kplan_new();
    l = tb_values(p, "k:long", "");
    r = tb_values(p, "k:long, v:string", "1, 'a'");
    p->root = tb_join(p, l, r, KJ_RIGHTANTI, "k", false);
    expect_rows(p, "{\"k\":1,\"v\":\"a\"}\n");
}

static void test_join_cross_through_placeholder_key(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *x = tb_values(p, "a:long, placeholder:long", "1, 1, 2, 1");
    kp *y = tb_values(p, "b:string, placeholder:long", "'x', 1, 'y', 1");
    p->root = tb_project(p, tb_join(p, x, y, KJ_INNER, "placeholder", false), "a, b");
    expect_rows(p, "{\"a\":1,\"b\":\"x\"}\n{\"a\":1,\"b\":\"y\"}\n{\"a\":2,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}\n");
}

static void test_lookup_defaults_to_leftouter_without_repeating_keys(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *fact = tb_values(p, "Row:string, Personal:string, Family:string",
                         "'1','Bill','Gates', '2','Bill','Clinton', '3','Bill','Clinton', '4','Steve','Ballmer', "
                         "'5','Tim','Cook'");
    kp *dim = tb_values(p, "Personal:string, Family:string, Alias:string",
                        "'Bill','Gates','billg', 'Bill','Clinton','billc', 'Steve','Ballmer','steveb', 'Tim','Cook','timc'");
    p->root = tb_join(p, fact, dim, KJ_LEFTOUTER, "Personal, Family", true);
    assert_string_equal(tb_schema(&p->root->out), "Row:string, Personal:string, Family:string, Alias:string");
    expect_rows(p, "{\"Row\":\"1\",\"Personal\":\"Bill\",\"Family\":\"Gates\",\"Alias\":\"billg\"}\n"
                   "{\"Row\":\"2\",\"Personal\":\"Bill\",\"Family\":\"Clinton\",\"Alias\":\"billc\"}\n"
                   "{\"Row\":\"3\",\"Personal\":\"Bill\",\"Family\":\"Clinton\",\"Alias\":\"billc\"}\n"
                   "{\"Row\":\"4\",\"Personal\":\"Steve\",\"Family\":\"Ballmer\",\"Alias\":\"steveb\"}\n"
                   "{\"Row\":\"5\",\"Personal\":\"Tim\",\"Family\":\"Cook\",\"Alias\":\"timc\"}\n");
}

static void test_lookup_kinds_and_renames(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *f = tb_values(p, "k:string, v:long", "'a', 1, 'b', 2");
    kp *d = tb_values(p, "k:string, name:string, n:long", "'a', 'Alpha', 10");
    p->root = tb_join(p, f, d, KJ_LEFTOUTER, "k", true);
    expect_rows(p, "{\"k\":\"a\",\"v\":1,\"name\":\"Alpha\",\"n\":10}\n{\"k\":\"b\",\"v\":2,\"name\":\"\",\"n\":null}\n");
    p = kplan_new();
    f = tb_values(p, "k:string, v:long", "'a', 1, 'b', 2");
    d = tb_values(p, "k:string, name:string", "'a', 'Alpha'");
    p->root = tb_join(p, f, d, KJ_INNER, "k", true);
    expect_rows(p, "{\"k\":\"a\",\"v\":1,\"name\":\"Alpha\"}\n");
    p = kplan_new();
    f = tb_values(p, "ip:string, hits:long", "'1.1.1.1', 5, '9.9.9.9', 1");
    d = tb_values(p, "addr:string, owner:string", "'1.1.1.1', 'corp'");
    p->root = tb_join(p, f, d, KJ_LEFTOUTER, "ip == addr", true);
    assert_string_equal(tb_schema(&p->root->out), "ip:string, hits:long, owner:string");
    expect_rows(p, "{\"ip\":\"1.1.1.1\",\"hits\":5,\"owner\":\"corp\"}\n{\"ip\":\"9.9.9.9\",\"hits\":1,\"owner\":\"\"}\n");
    p = kplan_new();
    f = tb_values(p, "k:string, v:long", "'a', 1");
    d = tb_values(p, "k:string, v:long", "'a', 100");
    p->root = tb_join(p, f, d, KJ_LEFTOUTER, "k", true);
    assert_string_equal(tb_schema(&p->root->out), "k:string, v:long, v1:long");
    expect_rows(p, "{\"k\":\"a\",\"v\":1,\"v1\":100}\n");
    p = kplan_new();
    f = tb_values(p, "k:string", "'a'");
    d = tb_values(p, "k:string, tag:string", "'a', 'x', 'a', 'y'");
    p->root = tb_join(p, f, d, KJ_LEFTOUTER, "k", true);
    expect_rows(p, "{\"k\":\"a\",\"tag\":\"x\"}\n{\"k\":\"a\",\"tag\":\"y\"}\n");
}

/* Store scans with keys dictionary-encoded per chunk: 3000 sign-ins of 10 users joined
 * with a 10-row user table, every sign-in finds its user once. Then a many-to-many self
 * join on the IP: 3000 rows in 7 IP groups give sum(n_ip^2) pairs across many output
 * batches. */
static void test_join_store_tables_with_dictionary_keys(void **st)
{
    (void)st;
    sp_store *s = tb_signins(3000, 1000);
    kplan *p = kplan_new();
    kp *scan = kp_scan(p, sp_store_find(s, "SigninLogs"));
    kp *users = tb_values(p, "UserPrincipalName:string, Dept:string",
                          "'user0@contoso.com','d0','user1@contoso.com','d1','user2@contoso.com','d2',"
                          "'user3@contoso.com','d3','user4@contoso.com','d4','user5@contoso.com','d5',"
                          "'user6@contoso.com','d6','user7@contoso.com','d7','user8@contoso.com','d8',"
                          "'user9@contoso.com','d9'");
    kp *j = tb_join(p, scan, users, KJ_INNER, "UserPrincipalName", false);
    kp *agg = tb_summarize(p, j, "count_=count()", "Dept");
    p->root = tb_top(p, agg, 3, "Dept asc");
    char *got = tb_run(p, s);
    assert_string_equal(got, "{\"Dept\":\"d0\",\"count_\":300}\n{\"Dept\":\"d1\",\"count_\":300}\n"
                             "{\"Dept\":\"d2\",\"count_\":300}\n");
    free(got);
    kplan_free(p);

    p = kplan_new();
    kp *l = kp_scan(p, sp_store_find(s, "SigninLogs"));
    kp *r = kp_scan(p, sp_store_find(s, "SigninLogs"));
    j = tb_join(p, l, r, KJ_INNER, "IPAddress", false);
    p->root = tb_summarize(p, j, "count_=count()", NULL);
    got = tb_run(p, s);
    /* 3000 = 7 * 428 + 4: IPs 0..3 have 429 rows, 4..6 have 428 */
    char want[64];
    snprintf(want, sizeof want, "{\"count_\":%d}\n", 4 * 429 * 429 + 3 * 428 * 428);
    assert_string_equal(got, want);
    free(got);
    kplan_free(p);
    sp_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_default_innerunique_keeps_first_left_row_per_key),
        cmocka_unit_test(test_join_innerunique_one_left_row_matches_every_right_duplicate),
        cmocka_unit_test(test_join_inner_is_the_product_of_matches),
        cmocka_unit_test(test_join_leftouter_keeps_unmatched_left_rows),
        cmocka_unit_test(test_join_rightouter_keeps_unmatched_right_rows),
        cmocka_unit_test(test_join_fullouter_keeps_unmatched_rows_of_both_sides),
        cmocka_unit_test(test_join_anti_and_semi_kinds_return_one_side),
        cmocka_unit_test(test_join_order_is_left_order_then_right_leftovers),
        cmocka_unit_test(test_join_on_differently_named_keys_keeps_both),
        cmocka_unit_test(test_join_on_two_keys_requires_both),
        cmocka_unit_test(test_join_string_keys_are_case_sensitive_and_empty_matches_empty),
        cmocka_unit_test(test_join_null_keys_never_match),
        cmocka_unit_test(test_join_int_key_meets_long_key),
        cmocka_unit_test(test_join_leftouter_with_empty_right_keeps_every_left_row),
        cmocka_unit_test(test_join_cross_through_placeholder_key),
        cmocka_unit_test(test_lookup_defaults_to_leftouter_without_repeating_keys),
        cmocka_unit_test(test_lookup_kinds_and_renames),
        cmocka_unit_test(test_join_store_tables_with_dictionary_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
