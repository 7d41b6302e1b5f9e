/* test_exec_verdicts.c — cached verdicts (engine/exec/verdict.c) give the answers of
 * direct evaluation. A string predicate with constant arguments runs once per distinct
 * text and is then looked up by table-dictionary id; these tests run the same predicates
 * over the store (ids, dictionary and plain chunks, caches filled and then hit, one plan
 * run again and again, per chunk and from several threads) and over a `datatable` literal
 * (no ids: the predicate runs on every row), and require the same rows. They also pin
 * what the optimizer and the runtime ask of the store (the scan's columns are indexed),
 * the Sigma presence rules on an inferred table (an absent field is not ""), two
 * dictionaries read by one predicate, cache growth past a page, and the memory budget.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/exec/exec_int.h"
#include "engine/runtime/runtime.h"
#include "ingest/ingest.h"
#include "sigma/sigma.h"
#include "support/plan_build.h"

#define ROWS 4200
#define CHUNK 700

typedef struct fixture {
    sp_store *store;
    sp_buf dt; /* the same rows as a datatable expression */
} fixture;

/* Row i: A has 10 values in mixed case (dictionary chunks), B ~1400 values repeated across
 * chunks, nearly distinct within one (plain chunks), some empty. */
static void row_values(int i, char *a, char *b)
{
    static const char *const as[] = {"Admin", "admin", "ADMIN-x", "user", "User", "svc_A", "", "guest#EXT#", "x y", "Ä"};
    strcpy(a, as[(i * 7) % 10]);
    int k = (int)(((long)i * 7919) % 1400);
    if (k % 97 == 5)
        b[0] = 0;
    else
        sprintf(b, "%s%d@%s", k % 3 == 0 ? "ADMIN." : k % 3 == 1 ? "user" : "Svc-", k, k % 2 ? "contoso.com" : "Fabrikam.COM");
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    sp_store_config cfg = {.chunk_rows = CHUNK};
    f->store = sp_store_new(&cfg);
    sp_table *t = sp_store_table(f->store, "T");
    sp_builder *b = sp_builder_new(t);
    int ca = sp_builder_column(b, "A", 1, SP_TYPE_STRING), cb = sp_builder_column(b, "B", 1, SP_TYPE_STRING);
    sp_buf_puts(&f->dt, "datatable(A:string, B:string)[");
    char a[32], bb[64];
    for (int i = 0; i < ROWS; i++) {
        row_values(i, a, bb);
        sp_builder_begin_row(b);
        sp_builder_set_string(b, ca, a, strlen(a));
        sp_builder_set_string(b, cb, bb, strlen(bb));
        sp_builder_end_row(b, NULL);
        sp_buf_printf(&f->dt, "%s\"%s\", \"%s\"", i ? ", " : "", a, bb);
    }
    sp_buf_puts(&f->dt, "]");
    sp_builder_free(b);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sp_store_free(f->store);
    sp_buf_free(&f->dt);
    free(f);
    return 0;
}

static char *run_plan(kplan *p, sp_store *s, const kexec_opts *o)
{
    char *out = tb_run_opts(p, s, o);
    if (!strncmp(out, "error: ", 7))
        fail_msg("%s", out);
    return out;
}

/* The number a `| count` query prints. */
static long kql_count(sp_store *s, const char *q)
{
    char *out = tb_kql(s, q, NULL);
    const char *colon = strchr(out, ':');
    if (!colon)
        fail_msg("%s: %s", q, out);
    long n = strtol(colon + 1, NULL, 10);
    free(out);
    return n;
}

/* The predicate over the store, run three times on one plan (the cache filled, then hit),
 * and over the datatable: the same rows each time. Returns the number of rows. */
static int same_rows(fixture *f, const char *pred)
{
    char q[512];
    snprintf(q, sizeof q, "T | where %s | project A, B", pred);
    sp_buf dq = {0};
    sp_buf_printf(&dq, "%s | where %s | project A, B", sp_buf_cstr(&f->dt), pred);
    kplan *dp = tb_kql_compile(f->store, sp_buf_cstr(&dq));
    char *want = run_plan(dp, f->store, NULL);
    kplan_free(dp);
    kplan *p = tb_kql_compile(f->store, q);
    for (int round = 0; round < 3; round++) {
        char *got = run_plan(p, f->store, NULL);
        if (strcmp(got, want))
            fail_msg("%s (round %d): %d rows from the store, %d from the datatable", pred, round, tb_count(got, "\n"),
                     tb_count(want, "\n"));
        free(got);
    }
    kplan_free(p);
    int rows = tb_count(want, "\n");
    free(want);
    sp_buf_free(&dq);
    return rows;
}

static void test_fixture_has_dictionary_and_plain_chunks(void **state)
{
    fixture *f = *state;
    sp_table *t = sp_store_find(f->store, "T");
    sp_snapshot *s = sp_table_snapshot(t);
    assert_int_equal(s->nchunks, ROWS / CHUNK);
    sp_colview a, b;
    sp_chunk_col(s->chunks[0], 0, &a);
    sp_chunk_col(s->chunks[0], 1, &b);
    assert_int_equal(a.enc, SP_ENC_DICT);
    assert_int_equal(b.enc, SP_ENC_PLAIN);
    sp_snapshot_free(s);
}

static void test_every_string_operator_gives_the_direct_answer(void **state)
{
    fixture *f = *state;
    static const char *const preds[] = {
        "B == \"ADMIN.3@contoso.com\"", "B != \"ADMIN.3@contoso.com\"", "B =~ \"admin.3@CONTOSO.com\"",
        "B !~ \"admin.3@CONTOSO.com\"", "B contains \"min.1\"", "B contains_cs \"MIN.1\"", "B !contains \"fabrikam\"",
        "B startswith \"admin.\"", "B startswith_cs \"admin.\"", "B !startswith \"svc-\"", "B endswith \".com\"",
        "B endswith_cs \".COM\"", "B has \"contoso\"", "B has_cs \"Fabrikam\"", "B hasprefix \"fabri\"",
        "B hassuffix \"com\"", "B in (\"user10@Fabrikam.COM\", \"user4@Fabrikam.COM\", \"\")",
        "B !in (\"user10@Fabrikam.COM\", \"\")", "B in~ (\"USER10@fabrikam.com\", \"svc-5@contoso.com\")",
        "B matches regex \"^(?i)svc-[0-9]+@\"", "B matches regex \"7@\"", "isempty(B)", "isnotempty(B)",
        "B has_any (\"contoso\", \"nothing\")", "strlen(B) > 20", "tolower(B) == \"admin.3@contoso.com\"",
        "not(B contains \"1\") or B endswith \"COM\"", "B startswith \"user\" and B endswith \"contoso.com\"",
        "A =~ \"admin\"", "A startswith \"ADMIN\"", "A in~ (\"user\", \"x y\")", "A contains_cs \"A\"", "A == \"\"",
        "A =~ \"ä\"", "A has \"EXT\"", "A startswith \"adm\" and B contains \"5\"",
    };
    int total = 0;
    for (size_t i = 0; i < sizeof preds / sizeof *preds; i++)
        total += same_rows(f, preds[i]);
    assert_true(total > ROWS); /* the predicates do select rows */
    assert_int_equal(same_rows(f, "B startswith \"ADMIN.\""), same_rows(f, "B startswith_cs \"ADMIN.\""));
    assert_true(same_rows(f, "B =~ \"admin.3@CONTOSO.com\"") > 0);
    assert_int_equal(same_rows(f, "B == \"admin.3@CONTOSO.com\""), 0);
}

/* The optimizer asks the scan for ids of the columns its cached predicates read; the
 * filter then compiles to a VERDICT step. */
static void test_scan_asks_for_ids_of_predicate_columns(void **state)
{
    fixture *f = *state;
    kplan *p = tb_kql_compile(f->store, "T | where B startswith \"admin\" and A == \"x\" | project A");
    const kp *scan = p->root;
    while (scan->kind != KP_SCAN)
        scan = scan->in;
    assert_non_null(scan->scan_gids);
    assert_int_equal(scan->scan_gids[1], 1); /* B */
    assert_int_equal(scan->scan_gids[0], 1); /* A */
    sp_buf b = {0};
    sp_diag d = {0};
    assert_int_equal(kexec_explain_programs(p, &b, &d), 0);
    assert_non_null(strstr(sp_buf_cstr(&b), "VERDICT r0 = per distinct text of column #1"));
    sp_buf_free(&b);
    kplan_free(p);
    /* Two columns in one test, or a column compared with another: no verdict. */
    p = tb_kql_compile(f->store, "T | where A == B | project A");
    scan = p->root;
    while (scan->kind != KP_SCAN)
        scan = scan->in;
    assert_null(scan->scan_gids);
    kplan_free(p);
}

/* Computed vectors carry no ids: the predicate runs on the batch directly. */
static void test_vectors_without_ids_run_the_predicate_directly(void **state)
{
    fixture *f = *state;
    char *want = tb_kql(f->store, "T | where B contains \"min.1\" | project B", NULL);
    char *got = tb_kql(f->store, "T | extend C = strcat(B, \"\") | where C contains \"min.1\" | project B", NULL);
    assert_string_equal(got, want);
    assert_true(tb_count(got, "\n") > 10);
    free(want);
    free(got);
}

/* Per-event runs (one chunk each) of one plan, first with empty caches and then with full
 * ones, find the rows of the full scan. */
static void test_per_chunk_runs_of_one_plan_find_the_full_scan_rows(void **state)
{
    fixture *f = *state;
    const char *q = "T | where B startswith \"admin.\" or A =~ \"user\" | count";
    long want = kql_count(f->store, q);
    kplan *p = tb_kql_compile(f->store, q);
    sp_table *t = sp_store_find(f->store, "T");
    for (int round = 0; round < 2; round++) {
        sp_snapshot *s = sp_table_snapshot(t);
        long sum = 0;
        for (int c = 0; c < s->nchunks; c++) {
            kexec_opts o = {.only_table = t, .only_chunk = s->chunks[c]};
            char *out = run_plan(p, f->store, &o);
            sum += strtol(strchr(out, ':') + 1, NULL, 10);
            free(out);
        }
        sp_snapshot_free(s);
        assert_int_equal(sum, want);
    }
    kplan_free(p);
}

typedef struct thread_arg {
    kplan *plan;
    sp_store *store;
    sp_snapshot *snap;
    sp_table *table;
    long sum;
} thread_arg;

static void *run_chunks(void *arg)
{
    thread_arg *a = arg;
    for (int round = 0; round < 4; round++)
        for (int c = 0; c < a->snap->nchunks; c++) {
            kexec_opts o = {.only_table = a->table, .only_chunk = a->snap->chunks[c]};
            char *out = tb_run_opts(a->plan, a->store, &o);
            if (!strncmp(out, "{", 1))
                a->sum += strtol(strchr(out, ':') + 1, NULL, 10);
            free(out);
        }
    return NULL;
}

/* Rules run one plan from several seal threads at once: they share its verdict cache. */
static void test_threads_sharing_one_plan_agree(void **state)
{
    fixture *f = *state;
    const char *q = "T | where B contains \"3\" and B !endswith \".com\" or B hasprefix \"svc\" | count";
    long want = kql_count(f->store, q);
    kplan *p = tb_kql_compile(f->store, q);
    sp_table *t = sp_store_find(f->store, "T");
    sp_snapshot *s = sp_table_snapshot(t);
    thread_arg args[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        args[i] = (thread_arg){p, f->store, s, t, 0};
        pthread_create(&th[i], NULL, run_chunks, &args[i]);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].sum, 4 * want);
    }
    sp_snapshot_free(s);
    kplan_free(p);
}

/* One predicate over two tables (a filter above a union) reads two dictionaries: a table
 * of verdicts each, no verdict of one read through the ids of the other. */
static void test_one_predicate_over_two_dictionaries(void **state)
{
    fixture *f = *state;
    sp_table *u = sp_store_table(f->store, "U");
    sp_builder *b = sp_builder_new(u);
    int cb = sp_builder_column(b, "B", 1, SP_TYPE_STRING);
    /* The same texts in another order: ids of U differ from ids of T. */
    char a[32], bb[64];
    for (int i = ROWS - 1; i >= 0; i--) {
        row_values(i * 3 + 1, a, bb);
        sp_builder_begin_row(b);
        sp_builder_set_string(b, cb, bb, strlen(bb));
        sp_builder_end_row(b, NULL);
    }
    sp_builder_free(b);
    /* Index both columns (a scan filter asks for them), then read them through a union. */
    assert_int_equal(kql_count(f->store, "T | where B == \"-\" | count"), 0);
    assert_int_equal(kql_count(f->store, "U | where B == \"-\" | count"), 0);
    const char *preds[] = {"B startswith \"admin.1\"", "B endswith_cs \"contoso.com\"", "B !has \"fabrikam\""};
    for (int i = 0; i < 3; i++) {
        char q[256], q1[256], q2[256];
        snprintf(q, sizeof q, "union T, U | where %s | count", preds[i]);
        snprintf(q1, sizeof q1, "T | where %s | count", preds[i]);
        snprintf(q2, sizeof q2, "U | where %s | count", preds[i]);
        long want = kql_count(f->store, q1) + kql_count(f->store, q2);
        kplan *p = tb_kql_compile(f->store, q);
        uint64_t before = kverdict_bytes();
        for (int round = 0; round < 3; round++) {
            char *out = run_plan(p, f->store, NULL);
            assert_int_equal(strtol(strchr(out, ':') + 1, NULL, 10), want);
            free(out);
        }
        assert_true(kverdict_bytes() >= before + 2 * 16384); /* a table per dictionary */
        kplan_free(p);
        assert_int_equal(kverdict_bytes(), before);
    }
}

/* ---- a table of more texts than one page of verdicts ---- */

/* Values drawn at random from `distinct` ones: they repeat early enough that the column
 * keeps its ids (tdict.c gives up on columns whose values do not repeat). */
static unsigned wide_value(int i, int distinct)
{
    uint32_t x = (uint32_t)i * 0x9E3779B1u;
    x ^= x >> 15;
    x *= 0x85EBCA6Bu;
    x ^= x >> 13;
    return x % (unsigned)distinct;
}

static sp_store *wide_store(int rows, int distinct)
{
    sp_store_config cfg = {.chunk_rows = 4096};
    sp_store *s = sp_store_new(&cfg);
    sp_builder *b = sp_builder_new(sp_store_table(s, "W"));
    int c = sp_builder_column(b, "V", 1, SP_TYPE_STRING);
    char v[32];
    for (int i = 0; i < rows; i++) {
        snprintf(v, sizeof v, "v%07u", wide_value(i, distinct));
        sp_builder_begin_row(b);
        sp_builder_set_string(b, c, v, strlen(v));
        sp_builder_end_row(b, NULL);
    }
    sp_builder_free(b);
    return s;
}

static long expected_endswith7(int rows, int distinct)
{
    long n = 0;
    for (int i = 0; i < rows; i++)
        n += wide_value(i, distinct) % 10 == 7;
    return n;
}

static void test_cache_grows_with_the_dictionary(void **state)
{
    (void)state;
    sp_store *s = wide_store(80000, 30000);
    long want = expected_endswith7(80000, 30000);
    kplan *p = tb_kql_compile(s, "W | where V endswith \"7\" | count");
    uint64_t before = kverdict_bytes();
    for (int round = 0; round < 2; round++) {
        char *out = run_plan(p, s, NULL);
        assert_int_equal(strtol(strchr(out, ':') + 1, NULL, 10), want);
        free(out);
    }
    assert_true(kverdict_bytes() - before >= 2 * 16384); /* ~28 000 ids: two pages */    sp_snapshot *snap = sp_table_snapshot(sp_store_find(s, "W"));
    sp_colview v;
    sp_chunk_col(snap->chunks[snap->nchunks - 1], 0, &v);
    assert_non_null(v.gids); /* the last chunks too were read through ids */
    assert_true(sp_tdict_count(v.tdict) > 16384);
    sp_snapshot_free(snap);
    kplan_free(p);
    sp_store_free(s);
}

/* Past the budget, texts whose page is missing are evaluated every time: same answers. */
static void test_memory_budget_bounds_the_cache_not_the_answers(void **state)
{
    (void)state;
    size_t saved = sp_limits.verdict_cache_bytes;
    sp_store *s = wide_store(80000, 30000);
    long want = expected_endswith7(80000, 30000);
    sp_limits.verdict_cache_bytes = kverdict_bytes() + 16384; /* one more page */
    kplan *p = tb_kql_compile(s, "W | where V endswith \"7\" | count");
    for (int round = 0; round < 2; round++) {
        char *out = run_plan(p, s, NULL);
        assert_int_equal(strtol(strchr(out, ':') + 1, NULL, 10), want);
        free(out);
    }
    assert_true(kverdict_bytes() <= sp_limits.verdict_cache_bytes);
    kplan_free(p);
    sp_store_free(s);
    sp_limits.verdict_cache_bytes = saved;
}

/* ---- the known prefix: bits and short lists of TRUE ids ---- */

/* Rows [from, to) of a table P: V drawn from `distinct` texts (prefix "v", or "w" for
 * texts that the first rows never hold), S "hit" in one row of 37. */
static void prefix_rows(sp_store *s, int from, int to, int distinct, const char *prefix)
{
    sp_builder *b = sp_builder_new(sp_store_table(s, "P"));
    int cv = sp_builder_column(b, "V", 1, SP_TYPE_STRING), cs = sp_builder_column(b, "S", 1, SP_TYPE_STRING);
    char v[32];
    for (int i = from; i < to; i++) {
        snprintf(v, sizeof v, "%s%07u", prefix, wide_value(i, distinct));
        sp_builder_begin_row(b);
        sp_builder_set_string(b, cv, v, strlen(v));
        sp_builder_set_string(b, cs, i % 37 ? "miss" : "hit", i % 37 ? 4 : 3);
        sp_builder_end_row(b, NULL);
    }
    sp_builder_free(b);
}

/* A store of chunks of 4096 rows holding rows [0, rows) of P (dictionaries retired at
 * tdict_max entries; 0: the default). */
static sp_store *prefix_store(int rows, int distinct, uint32_t tdict_max)
{
    sp_store_config cfg = {.chunk_rows = 4096, .tdict_max_entries = tdict_max};
    sp_store *s = sp_store_new(&cfg);
    prefix_rows(s, 0, rows, distinct, "v");
    return s;
}

/* Column V of chunk k of P as stored (its encoding; the store keeps the chunk). */
static sp_colview chunk_v(sp_store *s, int k)
{
    sp_snapshot *snap = sp_table_snapshot(sp_store_find(s, "P"));
    sp_colview v;
    sp_chunk_col(snap->chunks[k], 0, &v);
    sp_snapshot_free(snap);
    return v;
}

/* Each predicate over P, one plan run `rounds` times, counts the rows that the same
 * predicate counts over a computed copy of V (no ids: evaluated row by row). Returns how
 * many reads the known prefix served meanwhile. */
static uint64_t prefix_agrees(sp_store *s, const char *const *preds, size_t n, int rounds)
{
    uint64_t before = kverdict_prefix_reads();
    for (size_t i = 0; i < n; i++) {
        char q[512], dq[512];
        snprintf(q, sizeof q, "P | where %s | count", preds[i]);
        snprintf(dq, sizeof dq, "P | extend V = strcat(V, \"\") | where %s | count", preds[i]);
        long want = kql_count(s, dq);
        kplan *p = tb_kql_compile(s, q);
        for (int round = 0; round < rounds; round++) {
            char *out = run_plan(p, s, NULL);
            long got = strtol(strchr(out, ':') + 1, NULL, 10);
            free(out);
            if (got != want)
                fail_msg("%s (round %d): %ld rows, %ld evaluated row by row", preds[i], round, got, want);
        }
        kplan_free(p);
    }
    return kverdict_prefix_reads() - before;
}

/* Predicates true for no text, one, a few (compared with a short list), thousands (read
 * as bits), with NULL verdicts (a string compared with a number), negated, and after a
 * selective conjunct. */
static const char *const prefix_preds[] = {
    "V startswith \"zz\"",
    "V == \"v0000042\"",
    "V in (\"v0000042\", \"v0000043\", \"v0001000\", \"w0000005\")",
    "V endswith \"7\"",
    "V !endswith \"7\"",
    "V == 7",
    "S == \"hit\" and V endswith \"3\"",
    "S == \"hit\" and V in (\"v0000042\", \"v0000099\")",
};

static void test_known_prefix_answers_equal_row_by_row_evaluation(void **state)
{
    (void)state;
    sp_store *s = prefix_store(60000, 20000, 0);
    assert_int_equal(chunk_v(s, 0).enc, SP_ENC_PLAIN); /* ids per row */
    assert_true(prefix_agrees(s, prefix_preds, SP_ARRAY_LEN(prefix_preds), 4) > 0);
    /* each predicate alone reaches the prefix by its later rounds */
    for (size_t i = 0; i < SP_ARRAY_LEN(prefix_preds); i++)
        if (prefix_agrees(s, &prefix_preds[i], 1, 4) == 0)
            fail_msg("%s: never read from the known prefix", prefix_preds[i]);
    sp_store_free(s);
}

/* A plan that reads only the last chunks (per-event runs) never meets the ids of the
 * first ones: once its own texts are known, the ids below them are evaluated from the
 * dictionary a few batches' worth at a time, and its batches then read the prefix. */
static void test_holes_below_the_prefix_are_filled_from_the_dictionary(void **state)
{
    (void)state;
    sp_store *s = prefix_store(60000, 20000, 0);
    assert_int_equal(kql_count(s, "P | where V == 'none' | count"), 0); /* every chunk indexed: ids in row order */
    kplan *p = tb_kql_compile(s, "P | where V endswith \"7\" | count");
    kplan *direct = tb_kql_compile(s, "P | extend V = strcat(V, '') | where V endswith '7' | count");
    sp_table *t = sp_store_find(s, "P");
    sp_snapshot *snap = sp_table_snapshot(t);
    uint64_t before = kverdict_prefix_reads(), first = 0;
    for (int round = 0; round < 6; round++) {
        for (int c = snap->nchunks - 2; c < snap->nchunks; c++) {
            kexec_opts o = {.only_table = t, .only_chunk = snap->chunks[c]};
            char *got = run_plan(p, s, &o), *want = run_plan(direct, s, &o);
            assert_string_equal(got, want);
            free(got);
            free(want);
        }
        if (round == 0)
            first = kverdict_prefix_reads() - before;
    }
    assert_int_equal(first, 0); /* the first texts seen are above holes */
    assert_true(kverdict_prefix_reads() - before > 0);
    sp_snapshot_free(snap);
    kplan_free(direct);
    kplan_free(p);
    sp_store_free(s);
}

/* Texts that arrive after a prefix was built get ids past it: they are evaluated, and
 * rows holding them found, by the same plan. */
static void test_ids_past_the_prefix_are_evaluated(void **state)
{
    (void)state;
    sp_store *s = prefix_store(40000, 15000, 0);
    const char *q = "P | where V startswith \"w0000\" or V endswith \"77\" | count";
    kplan *p = tb_kql_compile(s, q);
    for (int round = 0; round < 3; round++) {
        char *out = run_plan(p, s, NULL);
        assert_int_equal(strtol(strchr(out, ':') + 1, NULL, 10),
                         kql_count(s, "P | extend V = strcat(V, '') | where V startswith 'w0000' or V endswith '77' | count"));
        free(out);
    }
    uint64_t before = kverdict_prefix_reads();
    prefix_rows(s, 40000, 60000, 15000, "w"); /* new texts, new ids */
    long want = kql_count(s, "P | extend V = strcat(V, '') | where V startswith 'w0000' or V endswith '77' | count");
    assert_true(want > kql_count(s, "P | take 40000 | where V endswith '77' | count"));
    for (int round = 0; round < 3; round++) {
        char *out = run_plan(p, s, NULL);
        assert_int_equal(strtol(strchr(out, ':') + 1, NULL, 10), want);
        free(out);
    }
    assert_true(kverdict_prefix_reads() > before);
    kplan_free(p);
    sp_store_free(s);
}

/* Dictionaries retired at a few thousand entries: every one gets its own table and its
 * own prefix, never read through another's ids. */
static void test_retired_dictionaries_keep_prefixes_of_their_own(void **state)
{
    (void)state;
    sp_store *s = prefix_store(60000, 20000, 5000);
    assert_true(prefix_agrees(s, prefix_preds, SP_ARRAY_LEN(prefix_preds), 4) > 0);
    sp_snapshot *snap = sp_table_snapshot(sp_store_find(s, "P"));
    sp_colview first, last;
    sp_chunk_col_gids(snap->chunks[0], 0, &first); /* indexed by the runs above */
    sp_chunk_col_gids(snap->chunks[snap->nchunks - 1], 0, &last);
    assert_non_null(first.tdict);
    assert_true(first.tdict != last.tdict); /* retired in between */
    sp_snapshot_free(snap);
    sp_store_free(s);
}

/* Chunk dictionaries of more than 256 entries (four-byte codes): their entries' verdicts
 * come from the prefix, and the filter compares codes with the short list of kept (or,
 * negated, dropped) entries, or reads none when the chunk keeps nothing. */
static void test_dictionary_chunks_with_four_byte_codes(void **state)
{
    (void)state;
    sp_store *s = prefix_store(40000, 700, 0);
    sp_colview v = chunk_v(s, 1);
    assert_int_equal(v.enc, SP_ENC_DICT);
    assert_true(v.nentries > 256 && v.codes && !v.codes8);
    static const char *const preds[] = {
        "V startswith \"zz\"", "V == \"v0000042\"", "V in (\"v0000042\", \"v0000043\", \"v0000600\")",
        "V endswith \"7\"", "V != \"v0000042\"", "V !in (\"v0000001\", \"v0000002\")",
        "S == \"hit\" and V endswith \"1\"", "V == 7",
    };
    assert_true(prefix_agrees(s, preds, SP_ARRAY_LEN(preds), 3) > 0);
    sp_store_free(s);
}

/* ---- presence on an inferred table (Sigma) ---- */

/* Events with f absent, JSON null, "", and values; chunks of `chunk` rows. */
static sp_store *presence_store(uint32_t chunk)
{
    sp_store_config cfg = {.chunk_rows = chunk};
    sp_store *store = sp_store_new(&cfg);
    ing_config ic = {.table = "Events", .report_limit = -1};
    sp_diag d;
    ing *g = ing_new(store, &ic, &d);
    assert_non_null(g);
    static const char *const ev[] = {
        "{\"id\": 0, \"g\": 1}",          "{\"id\": 1, \"f\": null}",  "{\"id\": 2, \"f\": \"\"}",
        "{\"id\": 3, \"f\": \"x\"}",      "{\"id\": 4, \"f\": \"ax\"}", "{\"id\": 5, \"f\": \"b\"}",
        "{\"id\": 6, \"f\": \"a\"}",      "{\"id\": 7, \"g\": 2}",     "{\"id\": 8, \"f\": \"\"}",
    };
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof ev / sizeof *ev; i++)
            ing_ingest_message(g, ev[i], strlen(ev[i]), "t");
    ing_free(g);
    return store;
}

/* The ids (mod 9) a Sigma item selects, as a bit mask, running its plan twice. */
static unsigned sigma_ids(sp_store *store, const char *detection)
{
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "title: t\nid: 0c4ce5b6-3f2d-4d55-9c5e-0c6f7c1e2a11\nlogsource: {product: test}\ndetection:\n%s", detection);
    sig_set *s = sig_set_new(NULL);
    sig_set_load_text(s, "rule.yml", yaml, strlen(yaml));
    sig_set_resolve(s);
    sig_lower_opts o = {.store = store};
    kplan *p;
    sp_diag d;
    if (sig_lower(s, SIG_DOC_RULE, 0, &o, &p, NULL, &d) != 0)
        fail_msg("%s", d.msg);
    unsigned mask = 0;
    for (int round = 0; round < 2; round++) {
        krowset *rs;
        assert_int_equal(kexec_run(p, store, NULL, &rs, &d), 0);
        int idc = kp_schema_find(&p->root->out, "id", 2);
        unsigned m = 0;
        for (uint32_t r = 0; r < krowset_rows(rs); r++) {
            kval v;
            krowset_get(rs, r, idc, &v);
            m |= 1u << (v.u.l % 9);
        }
        krowset_free(rs);
        if (round)
            assert_int_equal(m, mask); /* cached verdicts: the same rows */
        mask = m;
    }
    kplan_free(p);
    sig_set_free(s);
    return mask;
}

#define IDS(...) ids_mask((int[]){__VA_ARGS__, -1})
static unsigned ids_mask(const int *ids)
{
    unsigned m = 0;
    for (; *ids >= 0; ids++)
        m |= 1u << *ids;
    return m;
}

static void test_presence_wins_over_verdicts_on_inferred_tables(void **state)
{
    (void)state;
    static const uint32_t chunks[] = {2, 5, 64};
    for (int c = 0; c < 3; c++) {
        sp_store *s = presence_store(chunks[c]);
        assert_int_equal(sigma_ids(s, "  sel:\n    f: ''\n  condition: sel\n"), IDS(2, 8));
        assert_int_equal(sigma_ids(s, "  sel:\n    f: null\n  condition: sel\n"), IDS(0, 1, 7));
        assert_int_equal(sigma_ids(s, "  sel:\n    f|contains: x\n  condition: sel\n"), IDS(3, 4));
        assert_int_equal(sigma_ids(s, "  sel:\n    f|contains: x\n  condition: not sel\n"), IDS(0, 1, 2, 5, 6, 7, 8));
        assert_int_equal(sigma_ids(s, "  sel:\n    f|re: '^a?$'\n  condition: sel\n"), IDS(2, 6, 8));
        assert_int_equal(sigma_ids(s, "  sel:\n    f: '*'\n  condition: sel\n"), IDS(2, 3, 4, 5, 6, 8));
        assert_int_equal(sigma_ids(s, "  sel:\n    f:\n      - a\n      - ''\n  condition: sel\n"), IDS(2, 6, 8));
        sp_store_free(s);
    }
}

/* ---- the runtime: rules loaded before ingest get their columns indexed at seal ---- */

static void test_rules_bound_before_ingest_want_their_columns_at_seal(void **state)
{
    (void)state;
    sp_store_config cfg = {.chunk_rows = 64};
    sp_store *store = sp_store_new(&cfg);
    rt_engine *e = rt_engine_new(store, NULL);
    char dir[] = "/tmp/socpipe-verdict-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/r.yml", dir);
    FILE *fp = fopen(path, "w");
    fputs("title: admins\nid: 0c4ce5b6-3f2d-4d55-9c5e-0c6f7c1e2a12\nlogsource: {product: azure, service: signinlogs}\n"
          "detection:\n  sel:\n    UserPrincipalName|startswith: admin\n  condition: sel\nlevel: low\n",
          fp);
    fclose(fp);
    rt_engine_load_rules(e, path, NULL, NULL);
    assert_int_equal(rt_engine_rule_count(e), 1);
    sp_table *t = sp_store_table(store, "SigninLogs");
    int col = sp_schema_find(sp_table_schema(t), "UserPrincipalName", 17);
    assert_true(col >= 0);
    sp_builder *b = sp_builder_new(t);
    int c = sp_builder_column(b, "UserPrincipalName", 17, SP_TYPE_STRING);
    for (int i = 0; i < 200; i++) {
        char v[32];
        snprintf(v, sizeof v, "%s%d@contoso.com", i % 4 ? "user" : "admin", i % 50);
        sp_builder_begin_row(b);
        sp_builder_set_string(b, c, v, strlen(v));
        sp_builder_end_row(b, NULL);
    }
    sp_builder_free(b);
    sp_snapshot *s = sp_table_snapshot(t);
    assert_true(s->nchunks >= 3);
    for (int k = 0; k < s->nchunks; k++) {
        sp_colview v;
        sp_chunk_col(s->chunks[k], col, &v);
        assert_non_null(v.gids); /* indexed when sealed, not on the first read */
    }
    sp_snapshot_free(s);
    rt_engine_free(e);
    sp_store_free(store);
    remove(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_has_dictionary_and_plain_chunks),
        cmocka_unit_test(test_every_string_operator_gives_the_direct_answer),
        cmocka_unit_test(test_scan_asks_for_ids_of_predicate_columns),
        cmocka_unit_test(test_vectors_without_ids_run_the_predicate_directly),
        cmocka_unit_test(test_per_chunk_runs_of_one_plan_find_the_full_scan_rows),
        cmocka_unit_test(test_threads_sharing_one_plan_agree),
        cmocka_unit_test(test_one_predicate_over_two_dictionaries),
    };
    const struct CMUnitTest standalone[] = {
        cmocka_unit_test(test_cache_grows_with_the_dictionary),
        cmocka_unit_test(test_memory_budget_bounds_the_cache_not_the_answers),
        cmocka_unit_test(test_known_prefix_answers_equal_row_by_row_evaluation),
        cmocka_unit_test(test_ids_past_the_prefix_are_evaluated),
        cmocka_unit_test(test_holes_below_the_prefix_are_filled_from_the_dictionary),
        cmocka_unit_test(test_retired_dictionaries_keep_prefixes_of_their_own),
        cmocka_unit_test(test_dictionary_chunks_with_four_byte_codes),
        cmocka_unit_test(test_presence_wins_over_verdicts_on_inferred_tables),
        cmocka_unit_test(test_rules_bound_before_ingest_want_their_columns_at_seal),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    return rc | cmocka_run_group_tests(standalone, NULL, NULL);
}
