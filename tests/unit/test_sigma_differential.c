/* test_sigma_differential.c — the two front ends agree (issue #4, "Output"): for every rule
 * of the SigmaHQ corpus in ../shared/data/sigma (placeholders from tests/data/sigma), the
 * native run of the lowered plan and the run of the KQL that `socpipe sigma to-kql` prints
 * for it (bound again with kql_compile) return the same events, on generated telemetry
 * (bench/gen, fixed seed, attacks on) for every table the shipped mapping sends the rule to.
 *
 * Every table the shipped mapping names is declared, so every rule must bind; the tables gen
 * does not make (AuditLogs, AzureActivity, ...) are empty, which still checks that those
 * rules lower, run and bind. The same comparison runs on the conformance
 * vectors' detection rules over their own events wherever the printed KQL claims to be
 * exact (no `//` approximation note), which covers every matcher kind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gen/gen.h"
#include "engine/exec/exec.h"
#include "engine/kql/kql.h"
#include "ingest/ingest.h"
#include "sigma/sig_int.h"
#include "support/sigma_support.h"

static char corpus[1024];

static int setup(void **st)
{
    (void)st;
    const char *shared = getenv("SP_SHARED");
    snprintf(corpus, sizeof corpus, "%s/data/sigma", shared && *shared ? shared : "../shared");
    return 0;
}

/* The id column of a result: the table's dedup id, else `id` (conformance events). */
static int id_col(const kp_schema *s)
{
    static const char *const names[] = {"Id", "RecordId", "SystemAlertId", "IncidentName", "id"};
    for (size_t i = 0; i < SP_ARRAY_LEN(names); i++) {
        int c = kp_schema_find(s, names[i], strlen(names[i]));
        if (c >= 0)
            return c;
    }
    return -1;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids of the rows, sorted, one per line. */
static void ids_of(krowset *rs, sp_buf *out)
{
    int c = id_col(krowset_schema(rs));
    uint32_t n = krowset_rows(rs);
    char **v = calloc(n + 1, sizeof *v);
    for (uint32_t i = 0; i < n; i++) {
        sp_buf b = {0};
        if (c >= 0) {
            kval x;
            krowset_get(rs, i, c, &x);
            kval_to_text(&x, &b);
        }
        v[i] = strdup(sp_buf_cstr(&b));
        sp_buf_free(&b);
    }
    qsort(v, n, sizeof *v, str_cmp);
    for (uint32_t i = 0; i < n; i++) {
        sp_buf_printf(out, "%s\n", v[i]);
        free(v[i]);
    }
    free(v);
}

typedef struct outcome {
    size_t compared, events, matched_rules, unbound, approximate, correlations;
    sp_buf failures;
} outcome;

/* Lowers rule i, runs it natively and as printed KQL; records a failure on any difference. */
static void compare_rule(const sig_set *s, uint32_t i, const sig_mapping *map, sp_store *store, bool need_exact,
                         outcome *o, const char *label)
{
    const sig_rule *r = sig_set_rule(s, i);
    sig_lower_opts lo = {.mapping = map, .store = store};
    kplan *plan;
    sp_diag d;
    if (sig_lower(s, SIG_DOC_RULE, i, &lo, &plan, NULL, &d) != 0) {
        sp_buf_printf(&o->failures, "%s: %s: lowering failed: %s\n", label, r->meta.title, d.msg);
        return;
    }
    sp_buf kql = {0};
    if (sig_plan_to_kql(plan, &kql, &d) != 0) {
        sp_buf_printf(&o->failures, "%s: %s: to-kql failed: %s\n", label, r->meta.title, d.msg);
        kplan_free(plan);
        return;
    }
    krowset *native = NULL, *viakql = NULL;
    if (kexec_run(plan, store, NULL, &native, &d) != 0) {
        sp_buf_printf(&o->failures, "%s: %s: native run failed: %s\n", label, r->meta.title, d.msg);
        goto done;
    }
    if (need_exact && strstr(sp_buf_cstr(&kql), "//")) {
        o->approximate++;
        goto done;
    }
    kql_bind_env env = {.store = store};
    kplan *kplan_;
    if (kql_compile(sp_buf_cstr(&kql), kql.len, &env, &kplan_, &d) != 0) {
        /* A table no schema describes cannot be bound; anything else is a printer bug. */
        if (strstr(d.msg, "unknown table") || strstr(d.msg, "not found")) {
            o->unbound++;
            if (getenv("SP_SIGMA_VERBOSE"))
                fprintf(stderr, "%s: %s: not bound: %s\n", label, r->meta.title, d.msg);
        } else {
            sp_buf_printf(&o->failures, "%s: %s: printed KQL does not bind: %d:%d: %s\n%s\n", label, r->meta.title,
                          d.line, d.col, d.msg, sp_buf_cstr(&kql));
        }
        goto done;
    }
    if (kexec_run(kplan_, store, NULL, &viakql, &d) != 0)
        sp_buf_printf(&o->failures, "%s: %s: KQL run failed: %s\n%s\n", label, r->meta.title, d.msg, sp_buf_cstr(&kql));
    kplan_free(kplan_);
    if (viakql) {
        sp_buf a = {0}, b = {0};
        ids_of(native, &a);
        ids_of(viakql, &b);
        o->compared++;
        o->events += krowset_rows(native);
        o->matched_rules += krowset_rows(native) > 0;
        if (strcmp(sp_buf_cstr(&a), sp_buf_cstr(&b)) != 0)
            sp_buf_printf(&o->failures, "%s: %s: native %u rows, KQL %u rows\n%s\n", label, r->meta.title,
                          krowset_rows(native), krowset_rows(viakql), sp_buf_cstr(&kql));
        sp_buf_free(&a);
        sp_buf_free(&b);
    }
done:
    krowset_free(native);
    krowset_free(viakql);
    sp_buf_free(&kql);
    kplan_free(plan);
}

static void generate(sp_store *store, const char *table, uint64_t n)
{
    ing_config cfg = {.report_limit = -1};
    sp_diag d;
    ing *g = ing_new(store, &cfg, &d);
    assert_non_null(g);
    gen_options go = {.table = table, .seed = 7, .events = n, .attacks = true};
    gen *gn;
    assert_int_equal(gen_new(&go, &gn, &d), 0);
    sp_buf rec = {0};
    for (uint64_t i = 0; i < n; i++) {
        rec.len = 0;
        gen_next(gn, &rec, NULL);
        ing_ingest_message(g, rec.data, rec.len, table);
    }
    sp_buf_free(&rec);
    gen_free(gn);
    ing_free(g);
}

static void test_corpus_rules_agree_natively_and_as_kql_on_generated_data(void **st)
{
    (void)st;
    sp_diag d;
    sig_placeholders *ph;
    assert_int_equal(sig_placeholders_load("tests/data/sigma/placeholders.yml", &ph, &d), 0);
    sig_mapping *map = ts_mapping(NULL);
    sig_options so = {.placeholders = ph};
    sig_set *s = sig_set_new(&so);
    sig_set_load_path(s, corpus);
    sig_set_resolve(s);
    sig_stats stats;
    sig_set_stats(s, &stats);
    assert_int_equal(stats.rejected, 0);
    assert_int_equal(stats.loaded[SIG_DOC_RULE], 149);
    /* Every generated table, a few thousand events each. */
    sp_store *store = sp_store_new(NULL);
    size_t nt;
    const char *const *tables = gen_table_names(&nt);
    for (size_t i = 0; i < nt; i++)
        generate(store, tables[i], 3000);
    outcome o = {0};
    for (uint32_t i = 0; i < sig_set_count(s, SIG_DOC_RULE); i++)
        compare_rule(s, i, map, store, false, &o, "corpus");
    fprintf(stderr, "sigma differential (corpus): %u rules, %zu compared (%zu with matches, %zu events), %zu not bound "
                    "(table without a schema)\n",
            (unsigned)sig_set_count(s, SIG_DOC_RULE), o.compared, o.matched_rules, o.events, o.unbound);
    if (o.failures.len)
        fail_msg("%s", sp_buf_cstr(&o.failures));
    assert_int_equal(o.unbound, 0);
    assert_int_equal(o.compared, 149);
    assert_true(o.matched_rules > 0); /* and the data makes some of them fire */
    sp_buf_free(&o.failures);
    sp_store_free(store);
    sig_set_free(s);
    sig_mapping_free(map);
    sig_placeholders_free(ph);
}

/* With azure/signinlogs mapped to all four sign-in tables, each rule is a union of four
 * filtered scans (column types differ: DeviceDetail is JSON text outside SigninLogs). */
static void test_signin_rules_over_all_four_tables_agree(void **st)
{
    (void)st;
    sig_mapping *map = ts_mapping("version: 1\nlogsources:\n  - {product: azure, service: signinlogs, tables: [SigninLogs, "
                                  "AADNonInteractiveUserSignInLogs, AADServicePrincipalSignInLogs, "
                                  "AADManagedIdentitySignInLogs]}\n");
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/azure/signin_logs", corpus);
    sig_set *s = sig_set_new(NULL);
    sig_set_load_path(s, dir);
    sig_set_resolve(s);
    sp_store *store = sp_store_new(NULL);
    static const char *const tables[] = {"SigninLogs", "AADNonInteractiveUserSignInLogs", "AADServicePrincipalSignInLogs",
                                         "AADManagedIdentitySignInLogs"};
    for (size_t i = 0; i < SP_ARRAY_LEN(tables); i++)
        generate(store, tables[i], 2000);
    outcome o = {0};
    for (uint32_t i = 0; i < sig_set_count(s, SIG_DOC_RULE); i++)
        compare_rule(s, i, map, store, false, &o, "union");
    fprintf(stderr, "sigma differential (four sign-in tables): %zu rules compared (%zu with matches, %zu events)\n",
            o.compared, o.matched_rules, o.events);
    if (o.failures.len)
        fail_msg("%s", sp_buf_cstr(&o.failures));
    assert_int_equal(o.compared, sig_set_count(s, SIG_DOC_RULE));
    assert_true(o.matched_rules > 0);
    sp_buf_free(&o.failures);
    sp_store_free(store);
    sig_set_free(s);
    sig_mapping_free(map);
}

/* ---- the conformance vectors' rules, wherever the printed KQL is exact ---- */

/* A correlation's KQL is an approximation (fixed bins), so only its binding is checked. */
static void correlation_binds(const sig_set *s, uint32_t i, sp_store *store, outcome *o, const char *label)
{
    sig_lower_opts lo = {.store = store};
    kplan *plan, *bound;
    sp_diag d;
    if (sig_lower(s, SIG_DOC_CORRELATION, i, &lo, &plan, NULL, &d) != 0) {
        sp_buf_printf(&o->failures, "%s: correlation %u: lowering failed: %s\n", label, i, d.msg);
        return;
    }
    sp_buf kql = {0};
    if (sig_plan_to_kql(plan, &kql, &d) != 0) {
        sp_buf_printf(&o->failures, "%s: correlation %u: to-kql failed: %s\n", label, i, d.msg);
    } else {
        kql_bind_env env = {.store = store};
        if (kql_compile(sp_buf_cstr(&kql), kql.len, &env, &bound, &d) != 0)
            sp_buf_printf(&o->failures, "%s: correlation %u: printed KQL does not bind: %d:%d: %s\n%s\n", label, i,
                          d.line, d.col, d.msg, sp_buf_cstr(&kql));
        else {
            kplan_free(bound);
            o->correlations++;
        }
    }
    sp_buf_free(&kql);
    kplan_free(plan);
}

static const char *str(const sig_ynode *n)
{
    return n && n->kind == SIG_Y_SCALAR && n->type != SIG_YT_NULL ? n->s : NULL;
}

static void test_vector_rules_agree_natively_and_as_exact_kql(void **st)
{
    (void)st;
    DIR *dir = opendir("tests/sigma-conformance");
    assert_non_null(dir);
    outcome o = {0};
    struct dirent *de;
    while ((de = readdir(dir))) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".yml") || de->d_name[0] < '0' || de->d_name[0] > '8')
            continue;
        char path[512];
        snprintf(path, sizeof path, "tests/sigma-conformance/%s", de->d_name);
        sp_buf text = {0};
        assert_int_equal(sp_read_file(path, &text), 0);
        sp_arena arena = {0};
        sig_yfile yf;
        sp_diag d;
        sig_reason why;
        assert_int_equal(sig_yaml_parse(&arena, path, sp_buf_cstr(&text), text.len, 32, &yf, &d, &why), 0);
        const sig_ynode *vectors = sig_ymap_get(yf.docs[0].root, "vectors");
        for (size_t v = 0; vectors && v < vectors->n; v++) {
            const sig_ynode *vec = vectors->items[v], *events = sig_ymap_get(vec, "events");
            if (!events || sig_ymap_get(vec, "error") || sig_ymap_get(vec, "placeholders"))
                continue;
            const sig_ynode *rule = sig_ymap_get(vec, "rule");
            sig_set *s = sig_set_new(NULL);
            sig_set_load_text(s, str(sig_ymap_get(vec, "name")), rule->s, rule->len);
            sig_set_resolve(s);
            sp_store *store = sp_store_new(NULL);
            ing_config cfg = {.table = "Events", .report_limit = -1};
            ing *g = ing_new(store, &cfg, &d);
            for (size_t i = 0; i < events->n; i++) {
                const char *p = sp_buf_cstr(&text) + events->items[i]->off;
                const char *e = strchr(p, '\n');
                ing_ingest_message(g, p, e ? (size_t)(e - p) : strlen(p), "vector");
            }
            ing_free(g);
            for (uint32_t i = 0; i < sig_set_count(s, SIG_DOC_RULE); i++)
                compare_rule(s, i, NULL, store, true, &o, str(sig_ymap_get(vec, "name")));
            for (uint32_t i = 0; i < sig_set_count(s, SIG_DOC_CORRELATION); i++)
                correlation_binds(s, i, store, &o, str(sig_ymap_get(vec, "name")));
            sp_store_free(store);
            sig_set_free(s);
        }
        sp_arena_free(&arena);
        sp_buf_free(&text);
    }
    closedir(dir);
    fprintf(stderr, "sigma differential (vectors): %zu rules compared exactly, %zu printed with an approximation note, "
                    "%zu correlations printed and bound\n",
            o.compared, o.approximate, o.correlations);
    if (o.failures.len)
        fail_msg("%s", sp_buf_cstr(&o.failures));
    assert_true(o.compared >= 150);
    assert_true(o.correlations >= 40);
    sp_buf_free(&o.failures);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_rules_agree_natively_and_as_kql_on_generated_data),
        cmocka_unit_test(test_signin_rules_over_all_four_tables_agree),
        cmocka_unit_test(test_vector_rules_agree_natively_and_as_exact_kql),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
