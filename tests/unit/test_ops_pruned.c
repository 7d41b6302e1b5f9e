/* test_ops_pruned.c — the operators over optimized plans: projection pruning leaves the
 * columns nobody reads out of a scan's batches (NULL vectors), and sort, top, join,
 * union, mv-expand, mv-apply and make-series must carry such columns along without
 * touching them, materialized or not. Each plan reads 2-3 of SigninLogs' ~90 columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/plan_build.h"

static sp_store *store;

static int setup(void **st)
{
    (void)st;
    store = tb_signins(5000, 1000);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    sp_store_free(store);
    return 0;
}

static kp *scan(kplan *p)
{
    return kp_scan(p, sp_store_find(store, "SigninLogs"));
}

static bool run_optimized(kplan *p, const char *want)
{
    kplan_optimize(p);
    return tb_check(p, store, want);
}

static void test_sort_and_top_over_a_pruned_scan(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    p->root = tb_project(p, tb_top(p, tb_sort(p, scan(p), "Id asc"), 2, "TimeGenerated"), "Id, UserPrincipalName");
    assert_true(run_optimized(p, "{\"Id\":\"id4999\",\"UserPrincipalName\":\"user9@contoso.com\"}\n"
                                 "{\"Id\":\"id4998\",\"UserPrincipalName\":\"user8@contoso.com\"}\n"));
}

static void test_join_and_union_over_pruned_scans(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *users = tb_values(p, "UserPrincipalName:string, Dept:string", "'user3@contoso.com', 'ops'");
    kp *j = tb_join(p, scan(p), users, KJ_INNER, "UserPrincipalName", false);
    kp *ins[2] = {j, j};
    kp *u = tb_union(p, "T", ins, (const char *[]){"a", "b"}, 2);
    p->root = tb_summarize(p, u, "n=count(), ips=dcount(IPAddress)", "T, Dept");
    assert_true(run_optimized(p, "{\"T\":\"a\",\"Dept\":\"ops\",\"n\":500,\"ips\":7}\n{\"T\":\"b\",\"Dept\":\"ops\",\"n\":500,\"ips\":7}\n"));
}

static void test_mvexpand_and_mvapply_over_a_pruned_scan(void **st)
{
    (void)st;
    kplan *p = kplan_new();
    kp *s = scan(p);
    /* extend d = parse_json('[1,2]') */
    kp *e = kp_new(p, KP_PROJECT, s);
    e->nitems = s->out.ncols + 1;
    e->items = sp_arena_calloc(&p->arena, sizeof(kp_named) * (size_t)e->nitems);
    for (int c = 0; c < s->out.ncols; c++) {
        e->items[c].name = s->out.cols[c].name;
        e->items[c].expr = kx_col(p, c, s->out.cols[c].type);
    }
    e->items[s->out.ncols].name = "d";
    e->items[s->out.ncols].expr = kx_call1(p, KB_parse_json, SP_TYPE_DYNAMIC, tb_str(p, "[1,2]"));
    kp_schema_copy(p, &e->out, &s->out);
    kp_schema_add(p, &e->out, "d", SP_TYPE_DYNAMIC);
    kp *m = tb_mvexpand(p, e, "d to long", KP_BAGEXP_BAG, NULL, 0);
    kp *items;
    kp *a = tb_mvapply(p, m, "x = d", NULL, 0, &items);
    tb_mvapply_on(p, a, tb_summarize(p, items, "k=count()", NULL));
    p->root = tb_summarize(p, a, "rows=count(), users=dcount(UserPrincipalName), s=sum(d)", NULL);
    assert_true(run_optimized(p, "{\"rows\":10000,\"users\":10,\"s\":15000}\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_and_top_over_a_pruned_scan),
        cmocka_unit_test(test_join_and_union_over_pruned_scans),
        cmocka_unit_test(test_mvexpand_and_mvapply_over_a_pruned_scan),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
