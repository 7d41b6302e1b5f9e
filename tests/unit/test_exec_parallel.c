/* test_exec_parallel.c — a summarize over filters and projections of one scan may run on
 * two threads (kexec_opts.threads; exec_int.h, intra-query parallelism) and must then
 * answer byte for byte as on one: the same rows and values, groups in first-seen order.
 *
 * Two-thread runs use the repeatable split (split_evenly: the helper's share is the back
 * half of the scan's morsels; a share the helper has not started when the leader is done
 * is aggregated by the leader and merged the same way) with par_min_rows = 1, and also the
 * production split (the helper takes what is left when it wakes). The tables are those of
 * support/gid_tables.h: a text column dictionary-encoded in some chunks and plain in
 * others; dictionaries retired every chunk or two, so leader and helper meet different
 * primary dictionaries; a column whose ids the store gave up; a column the first chunks
 * predate; chunks of one morsel each (many morsels) and chunks of several (the split
 * falls inside a chunk). Every query also runs with scans that read text (no_ids_only)
 * and with results that pin chunks, printed after the store is freed.
 *
 * Beyond equal answers, the tests pin:
 *   - that a merge by table-dictionary id leaves the groups only the helper met in its
 *     table (par_groups_kept) and folds the others, and that the share's run does it
 *     itself once the leader's scan is done (par_early_merges; a redo is the leader's),
 *     and that the output columns both sides write ahead serve several batches each;
 *   - which summarizes split and which keep one thread (kexec_counters.par_runs: the
 *     helper thread took a share; par_redos: the parts could not be merged and the leader
 *     read the share again — deterministic for a given split, so a query whose split
 *     would need a redo proves by par_redos == 0 that it did not split), and that the row
 *     counters are those of one thread;
 *   - the redo path, reached from data: dcount of a column the first chunks predate (the
 *     leader's first batch has no ids, the helper's has) or whose type changed between
 *     chunks (a converted view has no ids);
 *   - the step limit: whichever part runs over, the query fails with one thread's
 *     diagnostic, and the limit binds both parts together;
 *   - two threads running parallel queries at once: the one that finds the helper busy
 *     runs alone, and every answer is right (ASan: no use after free, no leak).
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

#include "engine/exec/exec.h"
#include "engine/kql/kql.h"
#include "support/gid_tables.h"
#include "support/plan_build.h"

/* The ways a query is run: on one thread, or on two with the repeatable or the
 * production split. */
typedef enum { ONE, EVEN, STEAL } runway;

static kexec_opts opts_of(runway w, bool no_ids_only, kexec_counters *cnt)
{
    return (kexec_opts){.threads = w == ONE ? 1 : 2,
                        .split_evenly = w == EVEN,
                        .par_min_rows = 1,
                        .par_merge_wait_ns = 10000000000ULL, /* which thread matches never depends on speed */
                        .no_ids_only = no_ids_only,
                        .counters = cnt};
}

static char *run(sp_store *s, const char *q, const kexec_opts *o)
{
    char *out = tb_kql(s, q, o);
    if (!strncmp(out, "error: ", 7))
        fail_msg("%s in %.200s", out, q);
    return out;
}

/* ---- equal answers ---- */

/* Every query prints rows but the one grouping by a key the rows of `N == 99` (none). */
static const char *const cases[] = {
    /* counters, no key, one text key (read by id), a filter keeping few rows or most */
    "T | summarize c = count()",
    "T | summarize c = count() by U",
    "T | where N == 3 | summarize c = count() by U",
    "T | where N != 3 | summarize c = count(), s = sum(N) by IP",
    "T | summarize ci = countif(U startswith 'a'), s = sumif(N, K == 'k1'), t = sum(N * 3 - 20) by K",
    "T | where N == 99 | summarize c = count() by U",
    "T | where N == 99 | summarize c = count(), d = dcount(U), m = max(At)",
    "T | where N == 16 and K == 'k2' | summarize c = count(), d = dcount(IP) by U",
    /* dcount by table-dictionary id and by text; no key; the column the first chunks
     * predate (the leader's side counts texts, the helper's ids: read again) */
    "T | summarize d = dcount(U) by IP",
    "T | summarize d = dcount(U), e = dcount(IP)",
    "T | summarize d = dcountif(IP, N > 8), e = count_distinct(U), c = count() by K",
    "T | summarize d = dcount(strcat(U, '/')), e = dcount(N) by K",
    "T | where N < 9 | summarize d = dcount(L) by IP",
    "T | summarize d = dcount(L), c = count() by L",
    "T | summarize d = dcount(At), e = dcountif(U, isnotnull(At)) by K",
    /* min/max of strings, longs, datetimes; the -if forms */
    "T | summarize mn = min(U), mx = max(U) by K",
    "T | summarize mn = min(N), mx = max(N), first = min(At), last = max(At) by IP",
    "T | summarize a = minif(At, N > 5), b = maxif(U, N < 5), c = minif(N, U == ''), e = maxif(IP, K == 'k0') by K",
    "T | summarize mn = min(IP), mx = max(IP), lo = min(L)",
    /* arg_max/arg_min with several outputs and with *; ties (first row wins) */
    "T | summarize arg_max(At, U, N) by K",
    "T | summarize arg_min(N, U, IP, At) by K",
    "T | summarize arg_max(N, *) by IP",
    "T | summarize arg_min(At, *) by U",
    "T | where N > 10 | summarize arg_max(U, IP, L) by N",
    /* take_any keeps the first part's */
    "T | summarize take_any(U), take_anyif(IP, N == 7) by K",
    "T | summarize take_any(U, IP, N, At) by K",
    /* several aggregates at once */
    "T | summarize c = count(), d = dcount(U), s = sum(N), mx = max(At), a = arg_max(N, IP), t = take_any(L) by K",
    /* several keys, bin() keys, keys from extend and project */
    "T | summarize c = count() by K, IP",
    "T | summarize c = count(), d = dcount(IP) by U, K",
    "T | summarize c = count() by bin(At, 1h)",
    "T | summarize c = count(), s = sum(N) by b = bin(At, 6h), K",
    "T | summarize s = sum(N * 2), si = sumif(N, U startswith 'u') by bin(N, 5)",
    "T | extend Up = toupper(U) | summarize c = count(), mx = max(N) by Up",
    "T | extend Len = strlen(U), Odd = N % 2 == 1 | where Len > 0 | summarize c = count(), m = min(U) by Len, Odd",
    "T | project X = U, N | where N > 2 | summarize c = count() by X",
    /* keys that are null or empty */
    "T | where U == '' | summarize c = count() by U, IP",
    "T | where isnull(At) | summarize c = count(), d = dcount(U) by At, K",
    "T | summarize c = count() by At",
    "T | summarize c = countif(isempty(U)) by IP",
    /* distinct is a summarize without aggregates */
    "T | distinct U, K",
    "T | where N == 5 | distinct U",
    /* the summarize's output read again */
    "T | summarize c = count() by U | where c > 1 | extend L2 = strlen(U)",
    /* a guid key and a declared table */
    "AzureDiagnostics | summarize c = count(), d = dcount(clientIp_s) by Tenant_g",
    "AzureDiagnostics | where DurationMs != 3 | summarize d = dcount(Tenant_g), m = max(Tenant_g) by DurationMs",
};

static void same_answers_on_two_threads(gt_fixture *f)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *q = cases[i];
        for (int no_ids = 0; no_ids < 2; no_ids++) {
            kexec_counters c1 = {0}, c2 = {0}, c3 = {0};
            kexec_opts o1 = opts_of(ONE, no_ids, &c1), o2 = opts_of(EVEN, no_ids, &c2);
            kexec_opts o3 = opts_of(STEAL, no_ids, &c3);
            char *want = run(f->store, q, &o1), *even = run(f->store, q, &o2), *steal = run(f->store, q, &o3);
            if (strcmp(want, even))
                fail_msg("case %zu (no_ids_only %d), split evenly:\n%s\ngot  %.600s\nwant %.600s", i, no_ids, q, even,
                         want);
            if (strcmp(want, steal))
                fail_msg("case %zu (no_ids_only %d), split by stealing:\n%s\ngot  %.600s\nwant %.600s", i, no_ids, q,
                         steal, want);
            if ((tb_count(want, "\n") == 0) != (strstr(q, "N == 99 | summarize c = count() by") != NULL))
                fail_msg("%s: %d rows", q, tb_count(want, "\n"));
            /* every row read once, whichever thread read it */
            assert_int_equal(c1.rows_scanned, c2.rows_scanned);
            assert_int_equal(c1.rows_dropped, c2.rows_dropped);
            assert_int_equal(c1.cells_ids_only, c2.cells_ids_only);
            assert_int_equal(c1.rows_scanned, c3.rows_scanned);
            assert_int_equal(c1.rows_dropped, c3.rows_dropped);
            assert_int_equal(c1.par_runs + c1.par_redos, 0);
            free(want);
            free(even);
            free(steal);
        }
    }
}

static void test_answers_match_one_thread(void **state)
{
    same_answers_on_two_threads(*state);
}

/* Results that pin chunks reference the store's text wherever either thread found it:
 * printed after the store is freed, they must be one thread's answers. */
static void test_pinned_results_match_one_thread_after_the_store_is_freed(void **state)
{
    gt_fixture *f = *state;
    enum { NC = sizeof cases / sizeof cases[0] };
    char *want[NC];
    krowset *pinned[NC][2];
    for (size_t i = 0; i < NC; i++) {
        want[i] = run(f->store, cases[i], NULL);
        for (int no_ids = 0; no_ids < 2; no_ids++) {
            kexec_opts o = opts_of(EVEN, no_ids, NULL);
            o.result_pins_chunks = true;
            pinned[i][no_ids] = tb_kql_rows(f->store, cases[i], &o);
        }
    }
    sp_store_free(f->store); /* only the results hold chunks */
    f->store = NULL;
    for (size_t i = 0; i < NC; i++) {
        for (int no_ids = 0; no_ids < 2; no_ids++) {
            char *got = tb_json(pinned[i][no_ids]);
            if (strcmp(want[i], got))
                fail_msg("%s (no_ids_only %d):\ngot  %.400s\nwant %.400s", cases[i], no_ids, got, want[i]);
            free(got);
            krowset_free(pinned[i][no_ids]);
        }
        free(want[i]);
    }
}

/* ---- which summarizes split ---- */

/* A query whose split always needs the redo (the leader's first batch of L has no ids,
 * the helper's has): par_redos says whether it split, whichever thread ran the share. */
#define REDO_QUERY "T | summarize d = dcount(L), c = count() by IP"

/* Runs q as runway w; checks the answer against want; returns the counters. */
static kexec_counters counted(sp_store *s, const char *q, kexec_opts o, const char *want)
{
    kexec_counters c = {0};
    o.counters = &c;
    char *got = run(s, q, &o);
    if (strcmp(got, want))
        fail_msg("%s (threads %d):\ngot  %.400s\nwant %.400s", q, o.threads, got, want);
    free(got);
    return c;
}

/* A table of `rows` rows whose users change along them (a new one every `per_user` rows),
 * a few shared by all of them: the back half (the helper's share when the scan is split
 * evenly) holds users the front half lacks. */
static sp_store *spread_store(int rows, int per_user)
{
    sp_store_config cfg = {.chunk_rows = 500, .no_dedup = true};
    sp_store *s = sp_store_new(&cfg);
    sp_builder *b = sp_builder_new(sp_store_table(s, "S"));
    int cu = sp_builder_column(b, "U", 1, SP_TYPE_STRING), cn = sp_builder_column(b, "N", 1, SP_TYPE_LONG);
    char u[32];
    for (int i = 0; i < rows; i++) {
        snprintf(u, sizeof u, i % 7 ? "u%d" : "shared%d", i % 7 ? i / per_user : i % 5);
        sp_builder_begin_row(b);
        sp_builder_set_string(b, cu, u, strlen(u));
        sp_builder_set_long(b, cn, i % 17);
        assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_STORED);
    }
    sp_builder_free(b);
    return s;
}

/* Merged by table-dictionary id, the groups only the helper met stay in its table and are
 * emitted from there after the leader's; the groups both met are folded. Every aggregate
 * kind that splits, and the answer of one thread. */
static void test_groups_only_the_helper_met_stay_in_its_table(void **state)
{
    (void)state;
    sp_store *s = spread_store(3000, 50);
    static const char *queries[] = {
        "S | summarize c = count(), d = dcount(N), mx = max(N), a = arg_max(N, U), t = take_any(N) by U",
        "S | where N != 3 | summarize s = sum(N), mn = min(N), ci = countif(N > 8) by U",
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        char *want = run(s, queries[i], NULL);
        kexec_counters c = counted(s, queries[i], opts_of(EVEN, false, NULL), want);
        uint64_t groups = (uint64_t)tb_count(want, "\n");
        if (c.par_groups_kept == 0 || c.par_groups_kept >= groups)
            fail_msg("%s: %llu of %llu groups kept in the helper's table", queries[i],
                     (unsigned long long)c.par_groups_kept, (unsigned long long)groups);
        assert_int_equal(c.par_early_merges, 1); /* by the share's run, whichever thread ran it */
        free(want);
    }
    sp_store_free(s);
}

/* The output columns written ahead (the leader's keys while it waits, the kept groups'
 * keys and counters on the helper) cover several output batches on each side, beside
 * columns written per batch (max); the answer is one thread's. */
static void test_outputs_written_ahead_span_several_batches(void **state)
{
    (void)state;
    sp_store *s = spread_store(30000, 3); /* 10,005 users after the filter, most in one half */
    const char *q = "S | where N != 3 | summarize c = count(), d = dcount(N), mx = max(N) by U";
    char *want = run(s, q, NULL);
    kexec_counters c = counted(s, q, opts_of(EVEN, false, NULL), want);
    uint64_t groups = (uint64_t)tb_count(want, "\n");
    if (groups - c.par_groups_kept <= 2 * 2048 || c.par_groups_kept <= 2 * 2048)
        fail_msg("%llu groups, %llu kept in the helper's table: want more than two batches on each side",
                 (unsigned long long)groups, (unsigned long long)c.par_groups_kept);
    assert_int_equal(c.par_early_merges, 1); /* the kept groups' columns were written ahead */
    counted(s, q, opts_of(STEAL, false, NULL), want);
    free(want);
    sp_store_free(s);
}

static void test_eligible_summarizes_run_on_the_helper_thread(void **state)
{
    gt_fixture *f = *state;
    static const char *queries[] = {
        "T | summarize c = count() by U",
        "T | extend Up = toupper(U) | where N != 4 | summarize d = dcount(IP), m = max(At) by Up",
        "T | summarize arg_max(N, *) by K",
        "AzureDiagnostics | summarize c = count() by Tenant_g",
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        char *want = run(f->store, queries[i], NULL);
        /* The helper wakes ~0.1 ms after the post, and a leader done with its half by
         * then takes the share back (count() by a key takes less on this table): the
         * leader waits for the helper here, so that the helper's own path runs. */
        kexec_opts o = opts_of(EVEN, false, NULL);
        o.par_wait_helper = true;
        kexec_counters c = counted(f->store, queries[i], o, want);
        assert_int_equal(c.rows_scanned, (uint64_t)f->rows);
        assert_int_equal(c.par_redos, 0);
        if (c.par_runs != 1)
            fail_msg("%s did not run on two threads", queries[i]);
        free(want);
    }
}

static void test_ineligible_summarizes_keep_one_thread(void **state)
{
    gt_fixture *f = *state;
    /* Each reads dcount(L) by IP as REDO_QUERY does, so a split would count a redo. */
    static const char *queries[] = {
        "T | summarize d = dcount(L), a = avg(N) by IP",
        "T | summarize d = dcount(L), s = make_set(U) by IP",
        "T | summarize d = dcount(L), l = make_list(N) by IP",
        "T | summarize d = dcount(L), p = percentile(N, 50) by IP",
        "T | summarize d = dcount(L), s = stdev(N) by IP",
        "T | summarize d = dcount(L), s = sum(todouble(N) / 3) by IP",
        /* rows that depend on the rows before them: in a projection, a filter, an
         * aggregate's argument, a key */
        "T | extend R = row_number() | summarize d = dcount(L), m = max(R) by IP",
        "T | extend P = prev(N) | summarize d = dcount(L), m = max(P) by IP",
        "T | extend X = next(N) | summarize d = dcount(L), m = max(X) by IP",
        "T | extend S = row_cumsum(N) | summarize d = dcount(L), m = max(S) by IP",
        "T | extend W = row_window_session(At, 1h, 5m) | summarize d = dcount(L), m = max(W) by IP",
        "T | where row_number() > 0 | summarize d = dcount(L), c = count() by IP",
        "T | summarize d = dcount(L), m = max(row_number()) by IP",
        "T | summarize d = dcount(L), c = count() by IP, P = prev(N)",
        "T | serialize | extend R = row_number() | summarize d = dcount(L), m = max(R) by IP",
        "T | where rand() >= 0 | summarize d = dcount(L), c = count() by IP",
        "T | summarize d = dcount(L), c = countif(rand() < 2) by IP",
        "T | where U in ((T | where N == 4 | project U)) | summarize d = dcount(L), c = count() by IP",
        "T | take 100000 | summarize d = dcount(L), c = count() by IP",
        "T | sort by N asc | summarize d = dcount(L), c = count() by IP",
    };
    char *want = run(f->store, REDO_QUERY, NULL);
    for (int k = 0; k < 3; k++) { /* the split of the same query is seen every time */
        kexec_counters c = counted(f->store, REDO_QUERY, opts_of(EVEN, false, NULL), want);
        assert_int_equal(c.par_redos, 1);
        assert_int_equal(c.par_early_merges, 0); /* a redo is the leader's */
        assert_int_equal(c.rows_scanned, (uint64_t)f->rows);
    }
    /* threads = 1, a table below par_min_rows, a per-event run */
    kexec_opts o = opts_of(ONE, false, NULL);
    kexec_counters c = counted(f->store, REDO_QUERY, o, want);
    assert_int_equal(c.par_runs + c.par_redos, 0);
    o = opts_of(EVEN, false, NULL);
    o.par_min_rows = (uint64_t)f->rows + 1;
    c = counted(f->store, REDO_QUERY, o, want);
    assert_int_equal(c.par_runs + c.par_redos, 0);
    o.par_min_rows = (uint64_t)f->rows;
    assert_int_equal(counted(f->store, REDO_QUERY, o, want).par_redos, 1);
    free(want);

    sp_table *t = sp_store_find(f->store, "T");
    sp_snapshot *snap = sp_table_snapshot(t);
    o = opts_of(ONE, false, NULL);
    o.only_table = t;
    o.only_chunk = snap->chunks[snap->nchunks - 1];
    want = run(f->store, REDO_QUERY, &o);
    for (int k = 0; k < 20; k++) {
        o.threads = 2;
        o.split_evenly = k % 2;
        c = counted(f->store, REDO_QUERY, o, want);
        assert_int_equal(c.par_runs + c.par_redos, 0);
    }
    free(want);
    sp_snapshot_free(snap);

    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        want = run(f->store, queries[i], NULL);
        for (int k = 0; k < 20; k++) {
            c = counted(f->store, queries[i], opts_of(k % 2 ? EVEN : STEAL, false, NULL), want);
            if (c.par_runs + c.par_redos)
                fail_msg("%s split (%llu runs, %llu redos)", queries[i], (unsigned long long)c.par_runs,
                         (unsigned long long)c.par_redos);
        }
        free(want);
    }
}

/* ---- the redo path ---- */

static void test_dcount_of_a_column_the_first_chunks_predate_is_read_again(void **state)
{
    gt_fixture *f = *state;
    static const char *queries[] = {
        REDO_QUERY,
        "T | where N != 2 | summarize d = dcount(L), e = dcount(U), m = max(L) by K",
        "T | summarize d = dcountif(L, N > 3), a = arg_max(At, L) by U",
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        for (int no_ids = 0; no_ids < 2; no_ids++) {
            kexec_counters c1 = {0};
            kexec_opts o = opts_of(ONE, no_ids, &c1);
            char *want = run(f->store, queries[i], &o);
            kexec_counters c2 = counted(f->store, queries[i], opts_of(EVEN, no_ids, NULL), want);
            assert_int_equal(c2.par_redos, 1);
            /* the share's rows are counted once: the helper's reading is dropped */
            assert_int_equal(c2.rows_scanned, c1.rows_scanned);
            assert_int_equal(c2.rows_dropped, c1.rows_dropped);
            assert_int_equal(c2.cells_ids_only, c1.cells_ids_only);
            free(want);
        }
    }
}

/* An inferred column of datetimes in the first chunks, then of texts (the table's type
 * widens to string): the first chunks' converted views carry no ids. */
static void test_dcount_of_a_column_whose_type_changed_is_read_again(void **state)
{
    (void)state;
    sp_store *s = sp_store_new(&(sp_store_config){.chunk_rows = 500, .no_dedup = true});
    sp_builder *b = sp_builder_new(sp_store_table(s, "W"));
    int ck = sp_builder_column(b, "K", 1, SP_TYPE_STRING), cx = sp_builder_column(b, "X", 1, SP_TYPE_DATETIME);
    char k[16], x[16];
    for (int i = 0; i < 6000; i++) {
        sp_builder_begin_row(b);
        snprintf(k, sizeof k, "k%d", i % 7);
        sp_builder_set_string(b, ck, k, strlen(k));
        if (i < 2500) {
            int64_t at;
            assert_true(gt_at(i % 40 * 11, &at)); /* a row of T with an At */
            sp_builder_set_datetime(b, cx, at);
        } else {
            if (i == 2500)
                assert_int_equal(sp_builder_column(b, "X", 1, SP_TYPE_STRING), cx);
            snprintf(x, sizeof x, i % 3 ? "%d" : "x%d", (i * 7) % 60);
            sp_builder_set_string(b, cx, x, strlen(x));
        }
        assert_int_equal(sp_builder_end_row(b, NULL), SP_ROW_STORED);
    }
    sp_builder_free(b);
    static const char *queries[] = {
        "W | summarize d = dcount(X), c = count() by K",
        "W | summarize d = dcount(X), m = max(X), a = arg_min(X, K)",
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        char *want = run(s, queries[i], NULL);
        assert_true(tb_count(want, "\n") > 0);
        assert_int_equal(counted(s, queries[i], opts_of(EVEN, false, NULL), want).par_redos, 1);
        free(want);
    }
    sp_store_free(s);
}

/* ---- time windows ---- */

/* Scheduled rules' time windows (kexec_opts.time_window): chunks wholly outside are
 * skipped a morsel at a time by whichever thread meets them, and rows outside the window
 * in the chunks across its edges are dropped by both. */
static void test_time_windows_keep_the_same_rows_on_two_threads(void **state)
{
    (void)state;
    sp_store *s = tb_signins(20000, 3000); /* a row every 36 s; chunks of two morsels */
    int64_t t0;
    sp_datetime_parse("2024-03-01", 10, &t0);
    static const char *queries[] = {
        "SigninLogs | summarize c = count(), f = min(TimeGenerated), l = max(TimeGenerated) by UserPrincipalName",
        "SigninLogs | where IPAddress != '10.0.0.3' | summarize d = dcount(Id), a = arg_max(TimeGenerated, Id) by "
        "IPAddress",
        "SigninLogs | summarize c = count()",
    };
    /* rows [from, to): inside one chunk, across several, all, none */
    static const int windows[][2] = {{100, 2500}, {4000, 15000}, {0, 20000}, {30000, 40000}};
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
            kexec_counters c1 = {0};
            kexec_opts o = opts_of(ONE, false, &c1);
            o.time_window = true;
            o.time_from = t0 + (int64_t)windows[w][0] * 36 * SP_TICKS_PER_SEC;
            o.time_to = t0 + (int64_t)windows[w][1] * 36 * SP_TICKS_PER_SEC;
            char *want = run(s, queries[i], &o);
            assert_int_equal(c1.rows_scanned, (uint64_t)(SP_MIN(windows[w][1], 20000) - SP_MIN(windows[w][0], 20000)));
            for (runway way = EVEN; way <= STEAL; way++) {
                kexec_opts o2 = opts_of(way, false, NULL);
                o2.time_window = true;
                o2.time_from = o.time_from;
                o2.time_to = o.time_to;
                assert_int_equal(counted(s, queries[i], o2, want).rows_scanned, c1.rows_scanned);
            }
            free(want);
        }
    }
    sp_store_free(s);
}

/* ---- the step limit ---- */

/* The smallest max_steps under which q runs as runway w. */
static uint64_t least_steps(sp_store *s, const char *q, runway w)
{
    uint64_t lo = 1, hi = 1u << 30;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        kexec_opts o = opts_of(w, false, NULL);
        o.max_steps = mid;
        char *out = tb_kql(s, q, &o);
        if (!strncmp(out, "error: ", 7))
            lo = mid + 1;
        else
            hi = mid;
        free(out);
    }
    return lo;
}

static void test_step_limit_fails_two_threads_as_it_fails_one(void **state)
{
    gt_fixture *f = *state;
    /* GT_GIVEN_UP: U starts with 'a' only from row 17,000, so the extend's steps are
     * all in the back half (the helper's share), the filter's in both. The filters are
     * evaluated row by row (strcat(U, '') has no ids): a filter over a column's ids takes
     * its verdicts per dictionary entry from a cache every query shares, and how many
     * steps a batch costs then depends on what earlier batches, of this run or another,
     * put there first. */
    assert_int_equal(f->shape, GT_GIVEN_UP);
    static const char *queries[] = {
        "T | where strcat(U, '') startswith 'a' | extend Z = strlen(strcat(U, IP, K, U, IP, K)) * 3 + strlen(toupper(U)) + "
        "strlen(tolower(IP)) - N * 2 + strlen(strcat(K, '-', U)) | extend Y = Z * Z - 2 * Z + N | summarize s = sum(Z), "
        "t = sum(Y), c = count() by K",
        "T | where N != 3 | extend Z = strlen(U) + strlen(IP) | summarize s = sum(Z), d = dcount(U) by K",
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        const char *q = queries[i];
        uint64_t least = least_steps(f->store, q, ONE);
        /* both parts' steps count against one limit */
        assert_int_equal(least_steps(f->store, q, EVEN), least);
        /* Limits the leader's part reaches first, the helper's alone (the first query's
         * share has nearly all the extend's steps: from ~0.4 to ~0.6 of the total), only
         * both together, and none. */
        static const int permille[] = {0, 62, 125, 250, 333, 400, 450, 500, 550, 600, 667, 750, 900};
        uint64_t limits[sizeof permille / sizeof permille[0] + 2];
        size_t nl = 0;
        for (size_t j = 0; j < sizeof permille / sizeof permille[0]; j++)
            limits[nl++] = SP_MAX(least * (uint64_t)permille[j] / 1000, 1);
        limits[nl++] = least - 1;
        limits[nl++] = least;
        for (size_t j = 0; j < nl; j++) {
            kexec_opts o1 = opts_of(ONE, false, NULL), o2 = opts_of(EVEN, false, NULL);
            o1.max_steps = o2.max_steps = limits[j];
            char *a = tb_kql(f->store, q, &o1), *b = tb_kql(f->store, q, &o2);
            if (strcmp(a, b))
                fail_msg("%s, max_steps %llu:\ngot  %.300s\nwant %.300s", q, (unsigned long long)o1.max_steps, b, a);
            char want[96];
            snprintf(want, sizeof want, "error: query exceeded its step limit (%llu)",
                     (unsigned long long)o1.max_steps);
            if (limits[j] < least)
                assert_string_equal(a, want);
            else
                assert_true(tb_count(a, "\n") > 0);
            free(a);
            free(b);
        }
    }
}

/* ---- two queries at once ---- */

/* Each thread runs at least RACE_ROUNDS rounds of the queries, and goes on (up to
 * RACE_MAX_ROUNDS) until a run alone and a split run of REDO_QUERY were both seen: on a
 * loaded machine the two threads may take turns rather than overlap for a while. */
#define RACE_ROUNDS 300
#define RACE_MAX_ROUNDS 20000

typedef struct race {
    sp_store *store;
    pthread_barrier_t start;
    const char *const *queries;
    char *const *want;
    int nqueries;
    /* runs of REDO_QUERY (queries[0]) split evenly that did not split (the helper was
     * busy with the other thread's query), and that did */
    _Atomic uint64_t alone, split;
} race;

typedef struct racer {
    race *race;
    int wrong;
    char first_wrong[256];
} racer;

static void *run_race(void *arg)
{
    racer *r = arg;
    race *rc = r->race;
    pthread_barrier_wait(&rc->start);
    for (int k = 0; k < RACE_ROUNDS || (k < RACE_MAX_ROUNDS && !(rc->alone && rc->split)); k++) {
        for (int i = 0; i < rc->nqueries; i++) {
            kexec_counters c = {0};
            kexec_opts o = opts_of((k + i) % 3 ? EVEN : STEAL, k % 2, &c);
            char *got = tb_kql(rc->store, rc->queries[i], &o);
            if (strcmp(got, rc->want[i]) && !r->wrong++)
                snprintf(r->first_wrong, sizeof r->first_wrong, "%s: %.120s", rc->queries[i], got);
            if (i == 0 && o.split_evenly) {
                rc->split += c.par_redos;
                rc->alone += !c.par_redos;
            }
            free(got);
        }
    }
    return NULL;
}

static void test_two_queries_at_once_share_one_helper_and_answer_right(void **state)
{
    gt_fixture *f = *state;
    static const char *const queries[] = {
        REDO_QUERY,
        "T | where N != 3 | summarize c = count(), d = dcount(U), m = max(At) by U",
        "T | summarize arg_min(N, *) by IP",
        "AzureDiagnostics | summarize c = count(), d = dcount(clientIp_s) by Tenant_g",
    };
    enum { NQ = sizeof queries / sizeof queries[0] };
    char *want[NQ];
    for (int i = 0; i < NQ; i++)
        want[i] = run(f->store, queries[i], NULL);
    race rc = {.store = f->store, .queries = queries, .want = want, .nqueries = NQ};
    pthread_barrier_init(&rc.start, NULL, 2);
    racer r[2];
    pthread_t th[2];
    for (int t = 0; t < 2; t++) {
        r[t] = (racer){.race = &rc};
        assert_int_equal(pthread_create(&th[t], NULL, run_race, &r[t]), 0);
    }
    for (int t = 0; t < 2; t++)
        pthread_join(th[t], NULL);
    pthread_barrier_destroy(&rc.start);
    for (int t = 0; t < 2; t++)
        if (r[t].wrong)
            fail_msg("thread %d: %d wrong answers, first %s", t, r[t].wrong, r[t].first_wrong);
    /* Both ways happened: the helper was taken by one query while the other ran alone. */
    if (!rc.alone || !rc.split)
        fail_msg("%llu runs alone, %llu split", (unsigned long long)rc.alone, (unsigned long long)rc.split);
    for (int i = 0; i < NQ; i++)
        free(want[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_answers_match_one_thread, gt_setup_mixed, gt_teardown),
        cmocka_unit_test_setup_teardown(test_answers_match_one_thread, gt_setup_retired, gt_teardown),
        cmocka_unit_test_setup_teardown(test_answers_match_one_thread, gt_setup_given_up, gt_teardown),
        cmocka_unit_test_setup_teardown(test_answers_match_one_thread, gt_setup_wide, gt_teardown),
        cmocka_unit_test_setup_teardown(test_pinned_results_match_one_thread_after_the_store_is_freed, gt_setup_mixed,
                                        gt_teardown),
        cmocka_unit_test_setup_teardown(test_pinned_results_match_one_thread_after_the_store_is_freed,
                                        gt_setup_retired, gt_teardown),
        cmocka_unit_test_setup_teardown(test_pinned_results_match_one_thread_after_the_store_is_freed,
                                        gt_setup_given_up, gt_teardown),
        cmocka_unit_test_setup_teardown(test_pinned_results_match_one_thread_after_the_store_is_freed, gt_setup_wide,
                                        gt_teardown),
        cmocka_unit_test(test_groups_only_the_helper_met_stay_in_its_table),
        cmocka_unit_test(test_outputs_written_ahead_span_several_batches),
        cmocka_unit_test_setup_teardown(test_eligible_summarizes_run_on_the_helper_thread, gt_setup_mixed,
                                        gt_teardown),
        cmocka_unit_test_setup_teardown(test_ineligible_summarizes_keep_one_thread, gt_setup_mixed, gt_teardown),
        cmocka_unit_test_setup_teardown(test_dcount_of_a_column_the_first_chunks_predate_is_read_again,
                                        gt_setup_mixed, gt_teardown),
        cmocka_unit_test_setup_teardown(test_dcount_of_a_column_the_first_chunks_predate_is_read_again,
                                        gt_setup_retired, gt_teardown),
        cmocka_unit_test(test_dcount_of_a_column_whose_type_changed_is_read_again),
        cmocka_unit_test(test_time_windows_keep_the_same_rows_on_two_threads),
        cmocka_unit_test_setup_teardown(test_step_limit_fails_two_threads_as_it_fails_one, gt_setup_given_up,
                                        gt_teardown),
        cmocka_unit_test_setup_teardown(test_two_queries_at_once_share_one_helper_and_answer_right, gt_setup_mixed,
                                        gt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
