/* test_sigma_presence.c — Sigma's absent / null / "" through the executor at scale: the
 * presence the store keeps for inferred tables (test_store_presence.c) reaches the $sig_
 * builtins through every path a column takes — loaded by a scan filter under a selection,
 * several batches and chunks per scan, dictionary and plain string columns, a column widened
 * to dynamic in a later chunk, and the compacted batches a selective scan hands on — so a
 * rule gives the same answer on ten thousand rows as on the conformance suite's five. The
 * expected rows are computed here from the pattern that generated the events. */
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
#include "ingest/ingest.h"
#include "sigma/sigma.h"
#include "support/sigma_support.h"

enum { N = 10000, CHUNK = 3000 };

/* What row i's fields hold: 0 absent, 1 JSON null, 2 "", 3 a value. */
static int f_state(int i) /* few distinct values: dictionary-encoded */
{
    int k = i % 5;
    return k == 4 ? 3 : k;
}
static int g_state(int i) /* a distinct value per row: plain */
{
    return i % 4;
}
static int n_state(int i) /* a long column: never "" */
{
    int k = i % 3;
    return k == 2 ? 3 : k;
}
static int w_state(int i) /* strings first; numbers from row 7000 widen it to dynamic */
{
    return i % 3 == 0 ? 0 : i % 3 == 1 ? 2 : 3;
}
static bool hit(int i)
{
    return i % 97 == 0;
}

static void put_field(sp_buf *b, const char *name, int state, const char *value)
{
    if (state == 0)
        return;
    sp_buf_printf(b, ", \"%s\": ", name);
    if (state == 1)
        sp_buf_puts(b, "null");
    else if (state == 2)
        sp_buf_puts(b, "\"\"");
    else
        sp_buf_puts(b, value);
}

static sp_store *make_store(void)
{
    sp_store_config sc = {.chunk_rows = CHUNK};
    sp_store *store = sp_store_new(&sc);
    ing_config cfg = {.table = "Events", .report_limit = -1};
    sp_diag d;
    ing *g = ing_new(store, &cfg, &d);
    assert_non_null(g);
    sp_buf b = {0};
    char v[32];
    for (int i = 0; i < N; i++) {
        b.len = 0;
        sp_buf_printf(&b, "{\"id\": %d, \"sel\": \"%s\"", i, hit(i) ? "hit" : "miss");
        put_field(&b, "f", f_state(i), i % 2 ? "\"x\"" : "\"y\"");
        snprintf(v, sizeof v, "\"v%d\"", i);
        put_field(&b, "g", g_state(i), v);
        snprintf(v, sizeof v, "%d", i);
        put_field(&b, "n", n_state(i), v);
        if (i < 7000)
            snprintf(v, sizeof v, "\"w%d\"", i);
        else
            snprintf(v, sizeof v, "%d", i);
        put_field(&b, "w", w_state(i), v);
        sp_buf_putc(&b, '}');
        ing_ingest_message(g, b.data, b.len, "test");
    }
    sp_buf_free(&b);
    ing_free(g);
    return store;
}

static krowset *run(kplan *p, sp_store *store)
{
    krowset *rs;
    sp_diag d;
    if (kexec_run(p, store, NULL, &rs, &d) != 0)
        fail_msg("run failed: %s", d.msg);
    return rs;
}

/* Runs the plan and marks the ids of the rows it returns. */
static void run_ids(kplan *p, sp_store *store, bool *got)
{
    memset(got, 0, N * sizeof *got);
    krowset *rs = run(p, store);
    int id = kp_schema_find(&p->root->out, "id", 2);
    assert_true(id >= 0);
    for (uint32_t r = 0; r < krowset_rows(rs); r++) {
        kval x;
        krowset_get(rs, r, id, &x);
        assert_true(x.u.l >= 0 && x.u.l < N);
        got[x.u.l] = true;
    }
    krowset_free(rs);
}

typedef bool (*want_fn)(int i);

static bool w_f_null(int i) { return f_state(i) < 2; }
static bool w_f_empty(int i) { return f_state(i) == 2; }
static bool w_f_exists(int i) { return f_state(i) > 0; }
static bool w_f_not_exists(int i) { return f_state(i) == 0; }
static bool w_f_any_value(int i) { return f_state(i) >= 2; }
static bool w_f_empty_re(int i) { return f_state(i) == 2; }
static bool w_g_null(int i) { return g_state(i) < 2; }
static bool w_g_star(int i) { return g_state(i) >= 2; }
static bool w_g_not_null(int i) { return g_state(i) >= 2; }
static bool w_n_exists(int i) { return n_state(i) > 0; }
static bool w_n_null(int i) { return n_state(i) < 2; }
static bool w_w_null(int i) { return w_state(i) == 0; }
static bool w_w_empty(int i) { return w_state(i) == 2; }
static bool w_hit_f_null(int i) { return hit(i) && f_state(i) < 2; }
static bool w_fieldref(int i) { return f_state(i) == 2 && g_state(i) == 2; }

static void test_rules_read_presence_across_batches_chunks_and_encodings(void **st)
{
    (void)st;
    sp_store *store = make_store();
    const sp_schema *sc = sp_table_schema(sp_store_find(store, "Events"));
    assert_int_equal(sc->cols[sp_schema_find(sc, "w", 1)].type, SP_TYPE_DYNAMIC); /* widened in chunk 2 */
    assert_int_equal(sc->cols[sp_schema_find(sc, "f", 1)].type, SP_TYPE_STRING);
    static const struct {
        const char *detection;
        want_fn want;
    } cases[] = {
        {"sel: {f: null}", w_f_null},
        {"sel: {f: ''}", w_f_empty},
        {"sel: {f|exists: true}", w_f_exists},
        {"sel: {f|exists: false}", w_f_not_exists},
        {"sel: {f|contains: ''}", w_f_any_value},
        {"sel: {f|re: '^$'}", w_f_empty_re},
        {"sel: {g: null}", w_g_null},
        {"sel: {g: '*'}", w_g_star},
        {"sel: {g|neq: null}", w_g_not_null},
        {"sel: {n|exists: true}", w_n_exists},
        {"sel: {n: null}", w_n_null},
        {"sel: {w: null}", w_w_null},
        {"sel: {w: ''}", w_w_empty},
        {"sel: {sel: hit, f: null}", w_hit_f_null},
        {"sel: {f|fieldref: g, f: ''}", w_fieldref},
    };
    bool *got = malloc(N * sizeof *got);
    for (size_t c = 0; c < SP_ARRAY_LEN(cases); c++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 "title: presence\nlogsource: {product: test}\ndetection:\n  %s\n  condition: sel\n", cases[c].detection);
        sig_set *s = ts_load(yaml);
        sig_lower_opts o = {.store = store};
        kplan *p;
        sp_diag d;
        if (sig_lower(s, SIG_DOC_RULE, 0, &o, &p, NULL, &d) != 0)
            fail_msg("%s: lowering failed: %s", cases[c].detection, d.msg);
        run_ids(p, store, got);
        int wrong = 0, first = -1, matched = 0;
        for (int i = 0; i < N; i++) {
            matched += got[i];
            if (got[i] != cases[c].want(i)) {
                wrong++;
                if (first < 0)
                    first = i;
            }
        }
        if (wrong)
            fail_msg("%s: %d rows wrong (first id %d: got %d)", cases[c].detection, wrong, first, got[first]);
        assert_true(matched > 0);
        kplan_free(p);
        sig_set_free(s);
    }
    free(got);
    sp_store_free(store);
}

/* A selective scan hands on compacted batches (a few gathered rows); a projection above it
 * still reads the presence of each of those rows. */
static void test_presence_survives_compaction_into_the_operators_above(void **st)
{
    (void)st;
    sp_store *store = make_store();
    sp_table *t = sp_store_find(store, "Events");
    kplan *p = kplan_new();
    kp *scan = kp_scan(p, t);
    int id = kp_schema_find(&scan->out, "id", 2), sel = kp_schema_find(&scan->out, "sel", 3);
    int f = kp_schema_find(&scan->out, "f", 1), n = kp_schema_find(&scan->out, "n", 1);
    kval hitv = {.type = SP_TYPE_STRING, .u.s = {"hit", 3}}, zv = {.type = SP_TYPE_STRING, .u.s = {"z", 1}};
    /* the second conjunct loads f under the filter, so compaction gathers its vector; n is
     * read afterwards for the surviving rows only */
    scan->scan_filter =
        kx_call2(p, KB_and, SP_TYPE_BOOL, kx_call2(p, KB_eq, SP_TYPE_BOOL, kx_col(p, sel, SP_TYPE_STRING), kx_const(p, hitv)),
                 kx_call2(p, KB_ne, SP_TYPE_BOOL, kx_col(p, f, SP_TYPE_STRING), kx_const(p, zv)));
    kp *pj = kp_new(p, KP_PROJECT, scan);
    static const char *const names[] = {"id", "f_null", "f_present", "f_value", "n_present"};
    kx *items[] = {
        kx_col(p, id, SP_TYPE_LONG),
        kx_call1(p, KB_sig_isnull, SP_TYPE_BOOL, kx_col(p, f, SP_TYPE_STRING)),
        kx_call1(p, KB_sig_present, SP_TYPE_BOOL, kx_col(p, f, SP_TYPE_STRING)),
        kx_call1(p, KB_sig_notnull, SP_TYPE_BOOL, kx_col(p, f, SP_TYPE_STRING)),
        kx_call1(p, KB_sig_present, SP_TYPE_BOOL, kx_col(p, n, SP_TYPE_LONG)),
    };
    pj->nitems = 5;
    pj->items = sp_arena_alloc(&p->arena, sizeof(kp_named) * 5);
    for (int i = 0; i < 5; i++) {
        pj->items[i].name = names[i];
        pj->items[i].expr = items[i];
        kp_schema_add(p, &pj->out, names[i], items[i]->type);
    }
    p->root = pj;
    krowset *rs = run(p, store);
    uint32_t rows = krowset_rows(rs);
    assert_int_equal(rows, (N + 96) / 97);
    for (uint32_t r = 0; r < rows; r++) {
        kval v[5];
        for (int c = 0; c < 5; c++)
            krowset_get(rs, r, c, &v[c]);
        int i = (int)v[0].u.l;
        assert_true(hit(i));
        if (v[1].u.b != (f_state(i) < 2) || v[2].u.b != (f_state(i) > 0) || v[3].u.b != (f_state(i) >= 2) ||
            v[4].u.b != (n_state(i) > 0))
            fail_msg("id %d: f_null %d f_present %d f_value %d n_present %d", i, v[1].u.b, v[2].u.b, v[3].u.b, v[4].u.b);
    }
    krowset_free(rs);
    kplan_free(p);
    sp_store_free(store);
}

/* KQL reads the same cells as Kusto does, presence or not: an absent or null string is "",
 * never null; a null of another type is null; and an absent cell of a column widened to
 * dynamic is null (not the JSON string ""), as a column that was dynamic from the start. */
static void test_kql_keeps_kusto_reading_of_absent_and_null_cells(void **st)
{
    (void)st;
    sp_store *store = make_store();
    const char *q = "Events | where id < 12 or id >= 9990 | project id, e = isempty(f), nl = isnull(f), eq = f == \"\", "
                    "nn = isnull(n), wn = isnull(w), we = isempty(w), ws = tostring(w) | order by id asc";
    kql_bind_env env = {.store = store};
    kplan *p;
    sp_diag d;
    if (kql_compile(q, strlen(q), &env, &p, &d) != 0)
        fail_msg("%s", d.msg);
    krowset *rs = run(p, store);
    assert_int_equal(krowset_rows(rs), 22);
    for (uint32_t r = 0; r < krowset_rows(rs); r++) {
        kval v[8];
        for (int c = 0; c < 8; c++)
            krowset_get(rs, r, c, &v[c]);
        int i = (int)v[0].u.l;
        assert_int_equal(v[1].u.b, f_state(i) < 3); /* isempty: absent, null and "" */
        assert_false(v[2].u.b);                     /* a string is never null */
        assert_int_equal(v[3].u.b, f_state(i) < 3);
        assert_int_equal(v[4].u.b, n_state(i) < 3);
        assert_int_equal(v[5].u.b, w_state(i) == 0); /* dynamic: absent is null, "" is a value */
        if (w_state(i) != 2) /* (isempty of the JSON string "" is the dynamic functions' business) */
            assert_int_equal(v[6].u.b, w_state(i) == 0);
        assert_int_equal(v[7].u.s.n == 0, w_state(i) < 3);
    }
    krowset_free(rs);
    kplan_free(p);
    sp_store_free(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_read_presence_across_batches_chunks_and_encodings),
        cmocka_unit_test(test_presence_survives_compaction_into_the_operators_above),
        cmocka_unit_test(test_kql_keeps_kusto_reading_of_absent_and_null_cells),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
