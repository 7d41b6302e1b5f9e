/* test_exec_gids.c — summarize and dcount over table-dictionary ids (op_aggregate.c) give
 * the answers of the text-hashing path, whatever mix of chunks the table holds.
 *
 * A key or dcount argument that is a plain column reaches the operator with ids; the same
 * column wrapped in strcat(x, "") is a computed vector without ids, hashed by text. Each
 * query is run both ways over the same table and must print the same JSON, row order
 * included. The tables (support/gid_tables.h, one per case) mix what the store can
 * produce: chunks of one column dictionary-encoded and plain, all under one table
 * dictionary; dictionaries retired every few chunks (sp_store_config.tdict_max_entries),
 * so one query meets several; and a column whose first 17,000 values never repeat, so the
 * store gives up its ids and later chunks, repeating earlier values, have none. Values include the empty string
 * (and cells absent or a JSON null, which read as it) and texts equal but for case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec.h"
#include "engine/kql/kql.h"
#include "support/gid_tables.h"
#include "support/plan_build.h"

static char *run(gt_fixture *f, const char *text)
{
    char *out = tb_kql(f->store, text, NULL);
    if (!strncmp(out, "error: ", 7))
        fail_msg("%s in %.200s", out, text);
    return out;
}

/* Each case: a query reading U and IP through ids, and the same with both computed. */
typedef struct gid_case {
    const char *by_ids, *by_text;
} gid_case;

static const gid_case cases[] = {
    {"T | summarize c = count() by U", "T | summarize c = count() by U = strcat(U, '')"},
    {"T | where K != 'k1' | summarize c = count(), n = sum(N), m = max(N) by U",
     "T | where K != 'k1' | summarize c = count(), n = sum(N), m = max(N) by U = strcat(U, '')"},
    {"T | project U, IP, K | extend Z = strlen(K) | where Z > 0 | summarize c = count() by IP",
     "T | project U, IP, K | extend Z = strlen(K) | where Z > 0 | summarize c = count() by IP = strcat(IP, '')"},
    {"T | summarize d = dcount(U) by IP", "T | summarize d = dcount(strcat(U, '')) by IP = strcat(IP, '')"},
    {"T | summarize d = dcount(U), e = dcountif(IP, N % 3 == 0), f = count_distinct(U) by K",
     "T | summarize d = dcount(strcat(U, '')), e = dcountif(strcat(IP, ''), N % 3 == 0), f = count_distinct(strcat(U, '')) by K"},
    {"T | summarize d = dcount(U)", "T | summarize d = dcount(strcat(U, ''))"},
    {"T | where N < 5 | summarize d = dcount(IP), c = count() by U",
     "T | where N < 5 | summarize d = dcount(strcat(IP, '')), c = count() by U = strcat(U, '')"},
    /* several keys: the ids of one key, the text of another */
    {"T | summarize c = count() by U, IP", "T | summarize c = count() by U = strcat(U, ''), IP = strcat(IP, '')"},
    {"T | summarize c = count() by K, U", "T | summarize c = count() by K, U = strcat(U, '')"},
    {"T | distinct U", "T | distinct U = strcat(U, '')"},
    /* counted by key id (count_by_id): counters and dcounts in one record per id, the
     * output read again, two counters, no aggregate */
    {"T | summarize c = count(), d = dcount(U), e = dcount(K) by IP",
     "T | summarize c = count(), d = dcount(strcat(U, '')), e = dcount(strcat(K, '')) by IP = strcat(IP, '')"},
    {"T | where N != 4 | summarize c = count() by IP | where c > 1 | extend W = strlen(IP)",
     "T | where N != 4 | summarize c = count() by IP = strcat(IP, '') | where c > 1 | extend W = strlen(IP)"},
    {"T | summarize c = count(), c2 = count() by IP", "T | summarize c = count(), c2 = count() by IP = strcat(IP, '')"},
    {"T | summarize by IP", "T | summarize by IP = strcat(IP, '')"},
    {"T | summarize d = count_distinct(K), c = count() by U",
     "T | summarize d = count_distinct(strcat(K, '')), c = count() by U = strcat(U, '')"},
    {"T | where U startswith 'a' | distinct U", "T | where U startswith 'a' | distinct U = strcat(U, '')"},
};

/* Runs every case both ways; returns the id-side runs' counters. */
static kexec_counters same_answers_both_ways(gt_fixture *f)
{
    kexec_counters c = {0};
    kexec_opts o = {.counters = &c};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *a = tb_kql(f->store, cases[i].by_ids, &o), *b = run(f, cases[i].by_text);
        if (strcmp(a, b))
            fail_msg("case %zu differs:\n%s\ngot  %.300s\nwant %.300s", i, cases[i].by_ids, a, b);
        assert_true(tb_count(a, "\n") > 0);
        free(a);
        free(b);
    }
    return c;
}

/* Column col of every chunk: how many chunks have ids, are plain, are dictionary-encoded,
 * and how many distinct table dictionaries they refer to. */
typedef struct col_mix {
    int with_ids, without_ids, plain, dict, dicts;
} col_mix;

static col_mix mix_of(gt_fixture *f, const char *col)
{
    col_mix m = {0};
    sp_snapshot *s = sp_table_snapshot(sp_store_find(f->store, "T"));
    int c = sp_schema_find(s->schema, col, strlen(col));
    assert_true(c >= 0);
    uint64_t last = 0;
    for (int i = 0; i < s->nchunks; i++) {
        sp_colview v;
        sp_chunk_col(s->chunks[i], c, &v);
        sp_chunk_col_gids(s->chunks[i], c, &v);
        m.plain += v.enc == SP_ENC_PLAIN;
        m.dict += v.enc == SP_ENC_DICT;
        if (!v.gids) {
            m.without_ids++;
            continue;
        }
        m.with_ids++;
        if (sp_tdict_serial(v.tdict) != last)
            m.dicts++;
        last = sp_tdict_serial(v.tdict);
    }
    sp_snapshot_free(s);
    return m;
}

static void test_one_dictionary_over_dictionary_and_plain_chunks(void **state)
{
    gt_fixture *f = *state;
    kexec_counters c = same_answers_both_ways(f);
    col_mix m = mix_of(f, "U");
    assert_int_equal(m.with_ids, 12);
    assert_true(m.plain >= 5 && m.dict >= 5);
    assert_int_equal(m.dicts, 1);
    /* the four with dcounts count by id to the end; count() alone over small chunk
     * dictionaries goes per entry (count_by_entry) */
    assert_int_equal(c.groups_by_id, 4);
    assert_int_equal(c.groups_by_id_left, 0);
}

static void test_retired_dictionaries_meet_in_the_same_groups(void **state)
{
    gt_fixture *f = *state;
    kexec_counters c = same_answers_both_ways(f);
    col_mix m = mix_of(f, "U");
    assert_int_equal(m.with_ids, 12);
    assert_true(m.dicts >= 4);
    assert_int_equal(c.groups_by_id_left, 4); /* the next dictionary's ids turn them to groups */
}

static void test_chunks_without_ids_meet_in_the_same_groups(void **state)
{
    gt_fixture *f = *state;
    kexec_counters c = same_answers_both_ways(f);
    assert_true(c.groups_by_id_left >= 1); /* by U: its chunks without ids */
    col_mix m = mix_of(f, "U");
    assert_true(m.with_ids >= 30);
    assert_true(m.without_ids >= 6);
    assert_int_equal(mix_of(f, "IP").without_ids, 0);
}

/* count() and dcounts by a key of thousands of values a chunk: counted by id to the end
 * (op_aggregate.c, count_by_id), on one thread and on two (the helper's records added to
 * the leader's), with the answers of the text path, row order included. */
static void test_many_keys_counted_by_id_on_one_thread_and_two(void **state)
{
    (void)state;
    sp_store *s = sp_store_new(&(sp_store_config){.chunk_rows = 6000, .no_dedup = true});
    sp_builder *b = sp_builder_new(sp_store_table(s, "H"));
    int cu = sp_builder_column(b, "User", 4, SP_TYPE_STRING), ca = sp_builder_column(b, "Addr", 4, SP_TYPE_STRING);
    int cr = sp_builder_column(b, "Result", 6, SP_TYPE_STRING);
    char u[48], ad[48], r[16];
    for (int i = 0; i < 30000; i++) {
        sp_builder_begin_row(b);
        snprintf(u, sizeof u, "user%d@contoso.com", (i * 7) % 9001); /* 6,000 a chunk */
        snprintf(ad, sizeof ad, "10.0.%d.%d", (i * 13) % 4999 / 250, (i * 13) % 4999 % 250);
        snprintf(r, sizeof r, "%d", i % 10 ? 0 : 50126 + i % 3);
        sp_builder_set_string(b, cu, u, strlen(u));
        sp_builder_set_string(b, ca, ad, strlen(ad));
        sp_builder_set_string(b, cr, r, strlen(r));
        assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_STORED);
    }
    sp_builder_free(b);
    static const gid_case many[] = {
        {"H | where Result != '0' | summarize c = count() by User",
         "H | where Result != '0' | summarize c = count() by User = strcat(User, '')"},
        {"H | summarize d = dcount(User), c = count() by Addr",
         "H | summarize d = dcount(strcat(User, '')), c = count() by Addr = strcat(Addr, '')"},
        {"H | summarize c = count() by User", "H | summarize c = count() by User = strcat(User, '')"},
        {"H | summarize d = dcount(Addr), e = dcount(Result) by User | where d > 1",
         "H | summarize d = dcount(strcat(Addr, '')), e = dcount(strcat(Result, '')) by User = strcat(User, '') | where d > 1"},
    };
    for (int threads = 1; threads <= 2; threads++)
        for (int round = 0; round < 2; round++)
            for (size_t i = 0; i < sizeof many / sizeof many[0]; i++) {
                kexec_counters c = {0};
                kexec_opts o = {.threads = threads, .split_evenly = true, .par_min_rows = 1, .par_wait_helper = true, .counters = &c};
                char *got = tb_kql(s, many[i].by_ids, &o), *want = tb_kql(s, many[i].by_text, NULL);
                if (strcmp(got, want))
                    fail_msg("%d threads, case %zu differs:\n%s\ngot  %.300s\nwant %.300s", threads, i,
                             many[i].by_ids, got, want);
                assert_true(tb_count(got, "\n") > 100);
                assert_int_equal(c.groups_by_id, 1);
                assert_int_equal(c.groups_by_id_left, 0);
                assert_int_equal(c.par_runs, threads - 1);
                free(got);
                free(want);
            }
    /* A per-event rule's run over one chunk keeps to groups (a record per id of the
     * whole dictionary would cost more than the chunk's rows). */
    sp_table *t = sp_store_find(s, "H");
    sp_snapshot *snap = sp_table_snapshot(t);
    kexec_counters c = {0};
    kexec_opts one = {.only_table = t, .only_chunk = snap->chunks[1], .counters = &c};
    kexec_opts one_text = {.only_table = t, .only_chunk = snap->chunks[1]};
    char *got = tb_kql(s, many[0].by_ids, &one), *want = tb_kql(s, many[0].by_text, &one_text);
    assert_string_equal(got, want);
    assert_true(tb_count(got, "\n") > 100);
    assert_int_equal(c.groups_by_id, 0);
    free(got);
    free(want);
    sp_snapshot_free(snap);
    sp_store_free(s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Both ways share the aggregate's numbering: pin counts computed from the rows here. */
static void test_groups_and_distinct_counts_match_the_rows(void **state)
{
    gt_fixture *f = *state;
    char **users = calloc((size_t)f->rows, sizeof *users);
    int empty = 0, upper_a3 = 0;
    char u[48], ip[48], k[48], g[48], l[48];
    for (int i = 0; i < f->rows; i++) {
        gt_row(f->shape, i, u, ip, k, g, l);
        empty += !u[0]; /* empty, absent or a JSON null: all read "" */
        upper_a3 += !strcmp(u, "A3");
        users[i] = strdup(u);
    }
    qsort(users, (size_t)f->rows, sizeof *users, cmp_str);
    int nusers = 0;
    for (int i = 0; i < f->rows; i++)
        nusers += i == 0 || strcmp(users[i], users[i - 1]) != 0;
    for (int i = 0; i < f->rows; i++)
        free(users[i]);
    free(users);
    char want[128], *got;
    snprintf(want, sizeof want, "{\"d\":%d}\n", nusers);
    got = run(f, "T | summarize d = dcount(U)");
    assert_string_equal(got, want);
    free(got);
    snprintf(want, sizeof want, "{\"Count\":%d}\n", nusers);
    got = run(f, "T | distinct U | count");
    assert_string_equal(got, want);
    free(got);
    snprintf(want, sizeof want, "{\"U\":\"\",\"c\":%d}\n", empty);
    got = run(f, "T | summarize c = count() by U | where U == ''");
    assert_string_equal(got, want);
    free(got);
    if (f->shape != GT_GIVEN_UP) {
        assert_true(upper_a3 > 0);
        snprintf(want, sizeof want, "{\"U\":\"A3\",\"c\":%d}\n", upper_a3); /* not merged with "a3" */
        got = run(f, "T | summarize c = count() by U | where U == 'A3'");
        assert_string_equal(got, want);
        free(got);
    }
}

/* The first scan (depth-first) of the compiled query. */
static const kp *first_scan(const kp *n)
{
    while (n && n->kind != KP_SCAN)
        n = n->in ? n->in : n->ninputs ? n->inputs[0] : NULL;
    return n;
}

/* Which columns of T the query's scan reads through ids, as "U,IP" in schema order. */
static void gid_columns(gt_fixture *f, const char *query, char *out, size_t cap)
{
    kql_bind_env env = {.store = f->store};
    kplan *p = NULL;
    sp_diag d = {0};
    assert_int_equal(kql_compile(query, strlen(query), &env, &p, &d), 0);
    const kp *s = first_scan(p->root);
    assert_non_null(s);
    out[0] = 0;
    for (int i = 0; s->scan_gids && i < s->out.ncols; i++)
        if (s->scan_gids[i])
            snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? "," : "", s->out.cols[i].name);
    kplan_free(p);
}

static void test_optimizer_asks_for_ids_of_keys_dcount_arguments_and_predicates_only(void **state)
{
    gt_fixture *f = *state;
    static const struct {
        const char *query, *want;
    } want[] = {
        {"T | summarize count() by U", "U"},
        /* K too: its filter is a verdict predicate (verdict.c) */
        {"T | where K == 'k1' | summarize dcount(U) by IP", "U,IP,K"},
        {"T | project X = U, IP | where X != '' | summarize count() by X", "U"},
        {"T | extend Y = strlen(U) | summarize count() by U, N", "U"},
        {"T | summarize count() by U = strcat(U, '')", ""},
        {"T | summarize max(U), make_set(IP) by N", ""},
        {"T | summarize dcountif(IP, U == 'a') by N", "IP"},
        {"T | project U | take 10", ""},
        {"T | sort by N | summarize count() by U", ""}, /* sort's output carries no ids */
        {"T | distinct K", "K"},
    };
    char got[128];
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        gid_columns(f, want[i].query, got, sizeof got);
        if (strcmp(got, want[i].want))
            fail_msg("%s: ids for [%s], want [%s]", want[i].query, got, want[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_dictionary_over_dictionary_and_plain_chunks, gt_setup_mixed,
                                        gt_teardown),
        cmocka_unit_test_setup_teardown(test_retired_dictionaries_meet_in_the_same_groups, gt_setup_retired,
                                        gt_teardown),
        cmocka_unit_test_setup_teardown(test_chunks_without_ids_meet_in_the_same_groups, gt_setup_given_up,
                                        gt_teardown),
        cmocka_unit_test(test_many_keys_counted_by_id_on_one_thread_and_two),
        cmocka_unit_test_setup_teardown(test_groups_and_distinct_counts_match_the_rows, gt_setup_mixed, gt_teardown),
        cmocka_unit_test_setup_teardown(test_groups_and_distinct_counts_match_the_rows, gt_setup_retired, gt_teardown),
        cmocka_unit_test_setup_teardown(test_groups_and_distinct_counts_match_the_rows, gt_setup_given_up, gt_teardown),
        cmocka_unit_test_setup_teardown(test_optimizer_asks_for_ids_of_keys_dcount_arguments_and_predicates_only,
                                        gt_setup_mixed, gt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
