/* test_exec_dynpath.c — fields inside dynamic columns read from per-chunk derived columns
 * (engine/exec/dynpath.c) give exactly the answers of walking each row's JSON.
 *
 * The events hold a dynamic column D with a distinct id in every row (plain-encoded, as a
 * sign-in's DeviceDetail with its deviceId) and L with few distinct values (dictionary-
 * encoded), in the shapes a path can meet: absent, JSON null, a key holding null, strings,
 * numbers, bools, an array at the end of the path, an array on the way (Sigma crosses it,
 * Kusto does not), a key spelled in another case (Sigma matches it, Kusto does not), and
 * exact and case-insensitive spellings side by side. Every Sigma rule and KQL query runs
 * cold (extracting), warm (from the chunk cache) and with no_path_columns (the plain
 * per-row walks of fn_sigma.c and fn_core.c): the three must return the same rows, and a
 * few are also checked against the rows computed here from the generator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec.h"
#include "engine/kql/kql.h"
#include "ingest/ingest.h"
#include "sigma/sigma.h"
#include "support/plan_build.h"
#include "support/sigma_support.h"

enum { N = 6000, CHUNK = 2500, SHAPES = 15 };

/* Row i's D, by shape (i % SHAPES); NULL = no D field. */
static void d_text(int i, char *out, size_t cap)
{
    switch (i % SHAPES) {
    case 0: out[0] = 0; break;
    case 1: snprintf(out, cap, "null"); break;
    case 2: snprintf(out, cap, "{\"uid\":%d,\"os\":\"Linux\",\"trust\":\"\"}", i); break;
    case 3: snprintf(out, cap, "{\"uid\":%d,\"os\":\"Windows\",\"trust\":\"Azure AD joined\"}", i); break;
    case 4: snprintf(out, cap, "{\"uid\":%d,\"OS\":\"Linux\"}", i); break;
    case 5: snprintf(out, cap, "{\"uid\":%d,\"os\":null,\"trust\":null}", i); break;
    case 6: snprintf(out, cap, "{\"uid\":%d,\"os\":7}", i); break;
    case 7: snprintf(out, cap, "{\"uid\":%d,\"os\":true}", i); break;
    case 8: snprintf(out, cap, "{\"uid\":%d,\"os\":[\"Linux\",\"Mac\"]}", i); break;
    case 9: snprintf(out, cap, "{\"uid\":%d,\"nested\":{\"os\":\"Linux\",\"n\":[1,{\"k\":\"v\"}]}}", i); break;
    case 10: snprintf(out, cap, "{\"uid\":%d,\"x\":[{\"os\":\"Linux\"},{\"os\":\"Mac\"},{\"q\":1}]}", i); break;
    case 11: snprintf(out, cap, "{\"uid\":%d,\"os\":\"linux\",\"Os\":\"Linux\"}", i); break;
    case 12: snprintf(out, cap, "{\"uid\":%d,\"os\":\"Li\\\"nux\",\"trust\":\"Azure AD registered\"}", i); break;
    case 13: snprintf(out, cap, "{\"uid\":%d,\"o\\u0073\":\"Esc\",\"TR\\u0055ST\":\"e\"}", i); break; /* escaped keys */
    default: /* other spellings before the exact one: the exact one wins */
        snprintf(out, cap, "{\"uid\":%d,\"OS\":\"Mac\",\"os\":\"Linux\",\"tRUST\":\"x\",\"trust\":\"y\"}", i);
        break;
    }
}

static bool hit(int i)
{
    return i % 41 == 0; /* a sparse selection before the path */
}

/* The buffer's text, owned by the caller. */
static char *buf_take(sp_buf *b)
{
    char *s = strdup(b->data ? sp_buf_cstr(b) : "");
    sp_buf_free(b);
    return s;
}

static sp_store *make_store_budget(size_t budget)
{
    sp_store_config sc = {.chunk_rows = CHUNK, .memory_budget = budget};
    sp_store *store = sp_store_new(&sc);
    ing_config cfg = {.table = "Events", .report_limit = -1};
    sp_diag d;
    ing *g = ing_new(store, &cfg, &d);
    assert_non_null(g);
    sp_buf b = {0};
    char dt[256];
    static const char *const lows[] = {"{\"city\":\"Paris\",\"geo\":{\"lat\":48.8}}", "{\"city\":\"Oslo\"}",
                                       "{\"City\":\"Rome\"}", "{\"city\":null}"};
    for (int i = 0; i < N; i++) {
        b.len = 0;
        sp_buf_printf(&b, "{\"id\": %d, \"sel\": \"%s\", \"L\": %s", i, hit(i) ? "hit" : "miss", lows[i % 4]);
        d_text(i, dt, sizeof dt);
        if (dt[0])
            sp_buf_printf(&b, ", \"D\": %s", dt);
        sp_buf_putc(&b, '}');
        ing_ingest_message(g, b.data, b.len, "test");
    }
    sp_buf_free(&b);
    ing_free(g);
    return store;
}

static sp_store *make_store(void)
{
    return make_store_budget(0);
}

/* The ids a plan returns, as a string "1,5,9" (sorted: ids are scanned in order). */
static char *plan_ids(kplan *p, sp_store *store, const kexec_opts *opts)
{
    krowset *rs;
    sp_diag d;
    if (kexec_run(p, store, opts, &rs, &d) != 0)
        fail_msg("run failed: %s", d.msg);
    int id = kp_schema_find(krowset_schema(rs), "id", 2);
    assert_true(id >= 0);
    sp_buf b = {0};
    for (uint32_t r = 0; r < krowset_rows(rs); r++) {
        kval x;
        krowset_get(rs, r, id, &x);
        sp_buf_printf(&b, "%s%lld", r ? "," : "", (long long)x.u.l);
    }
    krowset_free(rs);
    return buf_take(&b);
}

static kplan *lower(sp_store *store, const char *detection, sig_set **set)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "title: paths\nlogsource: {product: test}\ndetection:\n  %s\n  condition: sel\n",
             detection);
    *set = ts_load(yaml);
    sig_lower_opts o = {.store = store};
    kplan *p;
    sp_diag d;
    if (sig_lower(*set, SIG_DOC_RULE, 0, &o, &p, NULL, &d) != 0)
        fail_msg("%s: lowering failed: %s", detection, d.msg);
    return p;
}

/* Cold, warm and without derived columns: the same ids. Returns them (caller frees). */
static char *sigma_ids(sp_store *store, const char *detection)
{
    sig_set *set;
    kplan *p = lower(store, detection, &set);
    kexec_opts codes = {.no_row_lists = true}; /* this file counts the paths' cache memory */
    char *cold = plan_ids(p, store, &codes);
    char *warm = plan_ids(p, store, &codes);
    kexec_opts walk = {.no_path_columns = true, .no_row_lists = true};
    char *plain = plan_ids(p, store, &walk);
    if (strcmp(cold, plain) || strcmp(warm, plain))
        fail_msg("%s:\ncold:  %.300s\nwarm:  %.300s\nwalks: %.300s", detection, cold, warm, plain);
    free(warm);
    free(plain);
    kplan_free(p);
    sig_set_free(set);
    return cold;
}

static char *kql_ids(sp_store *store, const char *query)
{
    char *cold = tb_kql(store, query, NULL);
    char *warm = tb_kql(store, query, NULL);
    kexec_opts walk = {.no_path_columns = true};
    char *plain = tb_kql(store, query, &walk);
    if (!strncmp(cold, "error: ", 7))
        fail_msg("%s: %s", query, cold);
    if (strcmp(cold, plain) || strcmp(warm, plain))
        fail_msg("%s:\ncold:  %.300s\nwarm:  %.300s\nwalks: %.300s", query, cold, warm, plain);
    free(warm);
    free(plain);
    return cold;
}

/* The ids of rows whose shape is in the list (terminated by -1), as plan_ids prints. */
static char *shape_ids(const int *shapes, bool only_hits)
{
    sp_buf b = {0};
    for (int i = 0; i < N; i++) {
        bool in = false;
        for (const int *s = shapes; *s >= 0; s++)
            in |= i % SHAPES == *s;
        if (in && (!only_hits || hit(i)))
            sp_buf_printf(&b, "%s%d", b.len ? "," : "", i);
    }
    return buf_take(&b);
}

static void expect_shapes(char *got, const int *shapes, bool only_hits, const char *what)
{
    char *want = shape_ids(shapes, only_hits);
    if (strcmp(got, want))
        fail_msg("%s:\ngot:  %.300s\nwant: %.300s", what, got, want);
    free(want);
    free(got);
}

static uint64_t cache_bytes(sp_store *store)
{
    sp_table_stats st;
    sp_table_stats_get(sp_store_find(store, "Events"), &st);
    return st.cache_bytes;
}

static void test_sigma_paths_match_the_per_row_walks(void **st)
{
    (void)st;
    sp_store *store = make_store();
    assert_int_equal(cache_bytes(store), 0);
    static const char *const detections[] = {
        "sel: {D.os: Linux}",
        "sel: {D.OS: linux}",
        "sel: {D.os: null}",
        "sel: {D.os: ''}",
        "sel: {D.os|exists: true}",
        "sel: {D.os|exists: false}",
        "sel: {D.os: 7}",
        "sel: {D.os|gt: 5}",
        "sel: {D.os: 'true'}",
        "sel: {D.os|contains: 'inu'}",
        "sel: {D.os|startswith: 'Li\"'}",
        "sel: {D.os: '*'}",
        "sel: {D.os|re: '^(?i)l'}",
        "sel: {D.trust: ''}",
        "sel: {D.trust: null}",
        "sel: {D.x.os: Mac}",
        "sel: {D.x.os: null}",
        "sel: {D.x.os|exists: true}",
        "sel: {D.x.q: 1}",
        "sel: {D.nested.os: Linux}",
        "sel: {D.nested.n.k: v}",
        "sel: {D.missing: null}",
        "sel: {sel: hit, D.os: Linux}",
        "sel: {sel: hit, D.trust: ''}",
        "sel: {L.city: Rome}",
        "sel: {L.city: null}",
        "sel: {L.geo.lat: 48.8}",
        "sel: {D.os|fieldref: D.os}",
    };
    for (size_t c = 0; c < SP_ARRAY_LEN(detections); c++)
        free(sigma_ids(store, detections[c]));
    assert_true(cache_bytes(store) > 0);

    /* Sigma's semantics, from the generator: keys ignoring case (exact spelling first),
     * arrays crossed on the way, an array at the end one value, a key holding null is
     * present but no value. */
    expect_shapes(sigma_ids(store, "sel: {D.os: Linux}"), (const int[]){2, 4, 11, 14, -1}, false, "os: Linux");
    expect_shapes(sigma_ids(store, "sel: {D.os: null}"), (const int[]){0, 1, 5, 9, 10, -1}, false, "os: null");
    expect_shapes(sigma_ids(store, "sel: {D.os: Esc}"), (const int[]){13, -1}, false, "escaped key");
    expect_shapes(sigma_ids(store, "sel: {D.trust: e}"), (const int[]){13, -1}, false, "escaped key, other case");
    expect_shapes(sigma_ids(store, "sel: {D.os|exists: true}"), (const int[]){2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, -1}, false,
                  "os exists");
    expect_shapes(sigma_ids(store, "sel: {D.x.os: Mac}"), (const int[]){10, -1}, false, "x.os: Mac");
    expect_shapes(sigma_ids(store, "sel: {D.trust: ''}"), (const int[]){2, -1}, false, "trust: ''");
    expect_shapes(sigma_ids(store, "sel: {sel: hit, D.os: Linux}"), (const int[]){2, 4, 11, 14, -1}, true, "hit, os");
    sp_store_free(store);
}

static void test_kql_member_access_matches_the_per_row_walks(void **st)
{
    (void)st;
    sp_store *store = make_store();
    static const char *const queries[] = {
        "Events | where tostring(D.os) == 'Linux' | project id",
        "Events | where tostring(D.OS) == 'Linux' | project id",
        "Events | where tostring(D.Os) == 'Linux' | project id",
        "Events | where isnull(D.os) | project id",
        "Events | where isnotnull(D.trust) and tostring(D.trust) == '' | project id",
        "Events | where tolong(D.os) == 7 | project id",
        "Events | where tobool(D.os) | project id",
        "Events | where tostring(D.os[1]) == 'Mac' | project id",
        "Events | where tostring(D['os'][-1]) == 'Mac' | project id",
        "Events | where isnotnull(D.x.os) | project id",
        "Events | where tostring(D.x[0].os) == 'Linux' | project id",
        "Events | where tostring(D.nested.n[1].k) == 'v' | project id",
        "Events | where sel == 'hit' and tostring(D.os) == 'Linux' | project id",
        "Events | where tostring(L.city) == 'Rome' | project id",
        "Events | where todouble(L.geo.lat) > 48 | project id",
        "Events | extend o = tostring(D.os) | where o has 'nu' | project id, o",
        "Events | where tostring(D.os) != 'Linux' | summarize n = count() by os = tostring(D.os) | order by os asc",
        "Events | where gettype(D.os) == 'string' | project id, D.os",
        /* outside a scan's filter, and sparse: no derived column, the path walked here */
        "Events | extend o = tostring(D.nested.os), c = tostring(L.geo.lat) | where o == 'Linux' or c != '' | project id, o, c",
        "Events | where sel == 'hit' and tostring(D.x[0].os) == 'Linux' | project id",
        "Events | where sel == 'hit' and isnotnull(L.geo.lat) | project id",
    };
    for (size_t c = 0; c < SP_ARRAY_LEN(queries); c++)
        free(kql_ids(store, queries[c]));
    /* Kusto's semantics: exact keys only, no array crossed. */
    char *got = kql_ids(store, "Events | where tostring(D.os) == 'Linux' | project id");
    char *want = shape_ids((const int[]){2, 14, -1}, false);
    sp_buf b = {0}; /* tb_kql prints JSON rows */
    for (char *p = want, *e; *p; p = *e ? e + 1 : e) {
        e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        sp_buf_printf(&b, "{\"id\":%.*s}\n", (int)(e - p), p);
    }
    assert_string_equal(got, b.data);
    sp_buf_free(&b);
    free(want);
    free(got);
    sp_store_free(store);
}

/* Where a chunk's rows meet no array and no key spelled in another case on the way, the
 * column Sigma's path extracted serves Kusto's member access too (nothing more cached);
 * where they do, Kusto gets a column of its own. */
static void test_kusto_reads_sigmas_column_where_the_answers_agree(void **st)
{
    (void)st;
    sp_store *store = make_store();
    free(sigma_ids(store, "sel: {D.nested.os: Linux}"));
    uint64_t after_sigma = cache_bytes(store);
    assert_true(after_sigma > 0);
    free(kql_ids(store, "Events | where tostring(D.nested.os) == 'Linux' | project id"));
    assert_int_equal(cache_bytes(store), after_sigma);
    free(sigma_ids(store, "sel: {D.os: Linux}")); /* chunks hold "OS" keys: case differs */
    uint64_t after_os = cache_bytes(store);
    free(kql_ids(store, "Events | where tostring(D.os) == 'Linux' | project id"));
    assert_true(cache_bytes(store) > after_os);
    sp_store_free(store);
}

/* The ids of one run of a freshly lowered plan (a per-event rule reads a chunk once). */
static char *once_ids(sp_store *store, const char *detection)
{
    sig_set *set;
    kplan *p = lower(store, detection, &set);
    char *ids = plan_ids(p, store, NULL);
    kplan_free(p);
    sig_set_free(set);
    return ids;
}

/* Sparse selections by plans that read each chunk once walk just their rows until the
 * rows asked for add up to the chunk's; then the chunk is extracted. Either way the
 * answers are the walks'. */
static void test_sparse_selections_extract_once_demand_adds_up(void **st)
{
    (void)st;
    sp_store *store = make_store();
    char *first = once_ids(store, "sel: {sel: hit, D.trust: ''}");
    uint64_t counters = cache_bytes(store);
    assert_true(counters > 0 && counters < (uint64_t)N / 4); /* demand counters, no column */
    for (int r = 0; r < 30; r++) /* 1/41 of the rows per run */
        free(once_ids(store, "sel: {sel: hit, D.trust: ''}"));
    assert_int_equal(cache_bytes(store), counters);
    for (int r = 0; r < 20; r++)
        free(once_ids(store, "sel: {sel: hit, D.trust: ''}"));
    assert_true(cache_bytes(store) > counters + (uint64_t)N); /* extracted: codes per row */
    char *last = sigma_ids(store, "sel: {sel: hit, D.trust: ''}");
    assert_string_equal(first, last);
    free(first);
    free(last);
    sp_store_free(store);
}

/* A plan that comes back to a chunk it read sparsely (resident data queried again)
 * extracts the path there and then: it will keep coming back. */
static void test_a_plan_back_at_a_chunk_extracts_what_it_read_sparsely(void **st)
{
    (void)st;
    sp_store *store = make_store();
    sig_set *set;
    kplan *p = lower(store, "sel: {sel: hit, D.trust: ''}", &set);
    char *a = plan_ids(p, store, NULL);
    uint64_t counters = cache_bytes(store);
    assert_true(counters > 0 && counters < (uint64_t)N / 4);
    char *b = plan_ids(p, store, NULL);
    assert_true(cache_bytes(store) > counters + (uint64_t)N);
    kexec_opts walk = {.no_path_columns = true};
    char *c = plan_ids(p, store, &walk);
    assert_string_equal(a, b);
    assert_string_equal(a, c);
    free(a);
    free(b);
    free(c);
    kplan_free(p);
    sig_set_free(set);
    sp_store_free(store);
}

/* The table counts its chunks' cached columns (stats.bytes included) until they are
 * evicted; a column cached later on an evicted chunk (a reader still holds it) is the
 * chunk's alone. */
static void test_cache_memory_is_counted_until_eviction(void **st)
{
    (void)st;
    sp_store *store = make_store_budget(1);
    free(sigma_ids(store, "sel: {D.os: Linux}"));
    sp_table *t = sp_store_find(store, "Events");
    sp_table_stats s1;
    sp_table_stats_get(t, &s1);
    assert_true(s1.cache_bytes >= (uint64_t)N); /* at least a code per row */
    assert_true(s1.bytes > s1.cache_bytes);
    sp_snapshot *snap = sp_table_snapshot(t);
    uint64_t sum = 0;
    for (int i = 0; i < snap->nchunks; i++)
        sum += sp_chunk_cache_bytes(snap->chunks[i]);
    assert_int_equal(sum, s1.cache_bytes);
    /* A budget of one byte: enforcing it evicts every chunk (the snapshot keeps them). */
    assert_int_equal(sp_store_enforce_retention(store, 0), N);
    sp_table_stats s2;
    sp_table_stats_get(t, &s2);
    assert_int_equal(s2.cache_bytes, 0);
    assert_int_equal(s2.chunks, 0);
    sp_chunk *c = snap->chunks[0];
    uint64_t before = sp_chunk_cache_bytes(c);
    assert_true(before > 0);
    sp_chunk_cache_put(c, "late", 4, malloc(100), 100, free);
    assert_true(sp_chunk_cache_bytes(c) >= before + 100);
    sp_table_stats_get(t, &s2);
    assert_int_equal(s2.cache_bytes, 0);
    sp_snapshot_free(snap); /* the last references: chunks and their caches go */
    sp_store_free(store);
}

/* ---- the chunk cache itself ---- */

static atomic_int destroyed;
static void count_destroy(void *p)
{
    atomic_fetch_add(&destroyed, 1);
    free(p);
}

typedef struct racer {
    sp_chunk *c;
    void *got;
    pthread_barrier_t *go;
} racer;

static void *race_put(void *arg)
{
    racer *r = arg;
    pthread_barrier_wait(r->go);
    for (int k = 0; k < 200; k++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", k);
        void *mine = malloc(8);
        void *won = sp_chunk_cache_put(r->c, key, strlen(key), mine, 8, count_destroy);
        if (k == 0)
            r->got = won;
        assert_ptr_equal(sp_chunk_cache_get(r->c, key, strlen(key)), won);
    }
    return NULL;
}

static void test_chunk_cache_keeps_one_entry_per_key_under_races(void **st)
{
    (void)st;
    sp_store *store = make_store();
    sp_snapshot *snap = sp_table_snapshot(sp_store_find(store, "Events"));
    sp_chunk *c = snap->chunks[0];
    assert_null(sp_chunk_cache_get(c, "k0", 2));
    enum { T = 4 };
    pthread_t th[T];
    racer r[T];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, T);
    atomic_store(&destroyed, 0);
    for (int i = 0; i < T; i++) {
        r[i] = (racer){.c = c, .go = &go};
        pthread_create(&th[i], NULL, race_put, &r[i]);
    }
    for (int i = 0; i < T; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&go);
    for (int i = 1; i < T; i++)
        assert_ptr_equal(r[i].got, r[0].got); /* everyone got the winner's data */
    assert_int_equal(atomic_load(&destroyed), (T - 1) * 200); /* the losers' were freed */
    uint64_t per = sp_chunk_cache_bytes(c) / 200;
    assert_true(per >= 8 && per < 256); /* 200 entries, each counted once */
    sp_table_stats s;
    sp_table_stats_get(sp_store_find(store, "Events"), &s);
    assert_int_equal(s.cache_bytes, sp_chunk_cache_bytes(c));
    sp_snapshot_free(snap);
    sp_store_free(store); /* frees the 200 winners with the chunk */
    assert_int_equal(atomic_load(&destroyed), T * 200);
}

/* A table keeps one declaration per key and column, at most SP_TABLE_WANTS per column,
 * and frees them with itself; the rest are freed at once. */
static void test_tables_keep_one_declaration_per_key_up_to_a_cap(void **st)
{
    (void)st;
    sp_store *store = make_store();
    sp_table *t = sp_store_find(store, "Events");
    atomic_store(&destroyed, 0);
    for (int k = 0; k < SP_TABLE_WANTS + 3; k++) {
        char key[16];
        snprintf(key, sizeof key, "w%d", k);
        sp_table_want_derived(t, 5, key, strlen(key), malloc(4), count_destroy);
    }
    sp_table_want_derived(t, 5, "w0", 2, malloc(4), count_destroy); /* the same key again */
    sp_table_want_derived(t, 6, "w0", 2, malloc(4), count_destroy); /* another column */
    assert_int_equal(atomic_load(&destroyed), 3 + 1);
    sp_snapshot *snap = sp_table_snapshot(t);
    void *w[2 * SP_TABLE_WANTS];
    assert_int_equal(sp_chunk_wanted(snap->chunks[0], 5, w, 2 * SP_TABLE_WANTS), SP_TABLE_WANTS);
    assert_int_equal(sp_chunk_wanted(snap->chunks[0], 6, w, 2 * SP_TABLE_WANTS), 1);
    assert_int_equal(sp_chunk_wanted(snap->chunks[0], 7, w, 2 * SP_TABLE_WANTS), 0);
    sp_snapshot_free(snap);
    sp_store_free(store);
    assert_int_equal(atomic_load(&destroyed), SP_TABLE_WANTS + 3 + 2);
}

/* Rules declare the paths their filters read (kexec_want_gids). A dense reader extracting
 * D.os extracts in the same walk the declared paths that readers asked rows of on the
 * chunk (not the others: in a stream each chunk is read once, and a path only a sparse
 * reader wants costs less walked row by row); those readers then find their columns
 * cached (no rows counted, no walks of their own) with the walks' values: arrays crossed,
 * keys in another case, escaped keys, nulls, nested and missing paths. Kusto's exact
 * readers take the Sigma column only where the answers agree. */
static void test_declared_paths_are_extracted_in_one_walk(void **st)
{
    (void)st;
    static const char *const sparse[] = {
        "sel: {sel: hit, D.trust: ''}",       "sel: {sel: hit, D.x.os: Mac}",  "sel: {sel: hit, D.OS: linux}",
        "sel: {sel: hit, D.nested.n.k: v}",   "sel: {sel: hit, D.trust: e}",   "sel: {sel: hit, D.missing: null}",
        "sel: {sel: hit, D.x.os|exists: true}", "sel: {sel: hit, D.trust: y}",
    };
    sp_store *store = make_store(), *quiet = make_store(), *plain = make_store();
    for (size_t i = 0; i < SP_ARRAY_LEN(sparse); i++) {
        sig_set *set;
        kplan *p = lower(store, sparse[i], &set);
        kexec_want_gids(p, store);
        kexec_want_gids(p, quiet);
        kplan_free(p);
        sig_set_free(set);
        free(once_ids(store, sparse[i])); /* rows asked for on every chunk */
    }
    uint64_t counters = cache_bytes(store);
    free(once_ids(store, "sel: {D.os: Linux}"));
    free(once_ids(quiet, "sel: {D.os: Linux}"));
    free(once_ids(plain, "sel: {D.os: Linux}"));
    assert_int_equal(cache_bytes(quiet), cache_bytes(plain)); /* declared, never read: not extracted */
    uint64_t extracted = cache_bytes(store);
    assert_true(extracted > counters + cache_bytes(plain)); /* more than its own column */
    for (size_t i = 0; i < SP_ARRAY_LEN(sparse); i++)
        free(sigma_ids(store, sparse[i])); /* cold, warm and walked: the same rows */
    assert_int_equal(cache_bytes(store), extracted);
    expect_shapes(sigma_ids(store, "sel: {sel: hit, D.trust: ''}"), (const int[]){2, -1}, true, "trust: ''");
    expect_shapes(sigma_ids(store, "sel: {sel: hit, D.x.os: Mac}"), (const int[]){10, -1}, true, "x.os: Mac");
    expect_shapes(sigma_ids(store, "sel: {sel: hit, D.trust: e}"), (const int[]){13, -1}, true, "escaped key");
    expect_shapes(sigma_ids(store, "sel: {sel: hit, D.trust: y}"), (const int[]){14, -1}, true, "exact after ci");
    free(kql_ids(store, "Events | where sel == 'hit' and tostring(D.trust) == '' | project id"));
    free(kql_ids(store, "Events | where sel == 'hit' and tostring(D.nested.n[1].k) == 'v' | project id"));
    free(kql_ids(store, "Events | where sel == 'hit' and isnotnull(D.x.os) | project id"));
    sp_store_free(plain);
    sp_store_free(quiet);
    sp_store_free(store);
}

typedef struct runner {
    sp_store *store;
    kplan *plan;
    char *ids;
} runner;

static void *run_plan(void *arg)
{
    runner *r = arg;
    r->ids = plan_ids(r->plan, r->store, NULL);
    return NULL;
}

/* Rules on several threads reading the same paths of a cold store extract, share and
 * read the chunks' derived columns concurrently: every thread gets the walks' answer. */
static void test_threads_share_derived_columns(void **st)
{
    (void)st;
    sp_store *store = make_store();
    static const char *const detections[] = {"sel: {D.os: Linux}", "sel: {D.os|exists: true}",
                                             "sel: {D.x.os: Mac}", "sel: {D.trust: ''}"};
    enum { T = 8 };
    sig_set *sets[T];
    runner r[T];
    pthread_t th[T];
    for (int i = 0; i < T; i++) {
        r[i] = (runner){.store = store, .plan = lower(store, detections[i % 4], &sets[i])};
        pthread_create(&th[i], NULL, run_plan, &r[i]);
    }
    for (int i = 0; i < T; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < T; i++) {
        kexec_opts walk = {.no_path_columns = true};
        char *want = plan_ids(r[i].plan, store, &walk);
        assert_string_equal(r[i].ids, want);
        free(want);
        free(r[i].ids);
        kplan_free(r[i].plan);
        sig_set_free(sets[i]);
    }
    sp_store_free(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigma_paths_match_the_per_row_walks),
        cmocka_unit_test(test_kql_member_access_matches_the_per_row_walks),
        cmocka_unit_test(test_kusto_reads_sigmas_column_where_the_answers_agree),
        cmocka_unit_test(test_sparse_selections_extract_once_demand_adds_up),
        cmocka_unit_test(test_a_plan_back_at_a_chunk_extracts_what_it_read_sparsely),
        cmocka_unit_test(test_cache_memory_is_counted_until_eviction),
        cmocka_unit_test(test_chunk_cache_keeps_one_entry_per_key_under_races),
        cmocka_unit_test(test_tables_keep_one_declaration_per_key_up_to_a_cap),
        cmocka_unit_test(test_declared_paths_are_extracted_in_one_walk),
        cmocka_unit_test(test_threads_share_derived_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
