/* test_kql_corpus.c — the KQL front end and executor against real detections, the
 * Sentinel analytics rules in $SP_SHARED/data/sentinel-rules (issue #3):
 *  - every query parses, and mutated or truncated versions of them come back as an AST or
 *    a positioned error, never a crash or a leak (ASan: `make test SANITIZER=address`);
 *  - every query binds against the declared catalog plus generated data, except the
 *    rules listed in `unbound` below with the construct that stops them (pinned, so a
 *    regression or an improvement shows; docs/kql-coverage.md carries the same list);
 *  - every rule that binds runs without a runtime error on generated telemetry of every
 *    generated table (bench/gen, 20000 events, attacks on; the other declared tables are
 *    empty, as in a workspace whose connectors send nothing);
 *  - the custom-log rules bind and run once their tables hold data, as in Kusto, where a
 *    table exists once its data does.
 * SP_KQL_CORPUS_VERBOSE=1 prints each rule's outcome, rows and warnings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gen/gen.h"
#include "engine/exec/exec.h"
#include "engine/kql/kql.h"
#include "ingest/ingest.h"
#include "tests/unit/support/sentinel_rules.h"

/* Files in the corpus, and how many of their queries parse: all of them. */
#define CORPUS_FILES 87
#define CORPUS_PARSED 87

/* Rules that do not bind against the declared catalog and the generated data, and the
 * reason. Both read a custom-log table (`_CL`) whose columns only its data defines: in
 * Kusto a table that has never received data does not exist (and Sentinel refuses such
 * a rule); test_custom_log_rules_bind_and_run_once_their_tables_have_data shows them
 * binding as soon as the table has rows. */
static const struct {
    const char *file;
    const char *error; /* text the binder's message contains */
} unbound[] = {
    {"Solutions__LastPass__Analytic Rules__FailedSigninDueToMFA.yaml", "unknown table 'LastPassNativePoller_CL'"},
    {"Solutions__MicrosoftPurviewInsiderRiskManagement__Analytic Rules__InsiderRiskSensitiveDataAccessOutsideOrgGeo.yaml",
     "unknown table 'InformationProtectionLogs_CL'"},
};
#define CORPUS_BOUND (CORPUS_FILES - (int)SP_ARRAY_LEN(unbound))
/* union isfuzzy=true legs dropped because a workspace function (ASIM parsers such as
 * _Im_Dns) or table (imFileEvent) does not exist here, over the whole corpus. */
#define CORPUS_FUZZY_LEGS_SKIPPED 25

#define GEN_EVENTS 20000

static sentinel_rule *rules;
static int nrules;
static sp_store *store; /* generated telemetry of every generated table */
static int64_t data_end; /* the last event time: the queries' now() */

static bool verbose(void)
{
    const char *v = getenv("SP_KQL_CORPUS_VERBOSE");
    return v && *v && strcmp(v, "0") != 0;
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* Generates `events` records of tables (gen's "all" or a list) into st; returns the last
 * event time. */
static int64_t generate(sp_store *st, const char *tables, uint64_t events)
{
    ing_config cfg = {.report_limit = -1};
    sp_diag d;
    ing *g = ing_new(st, &cfg, &d);
    if (!g)
        return -1;
    gen_options go = {.table = tables, .seed = 1, .events = events, .attacks = true};
    gen *gn;
    if (gen_new(&go, &gn, &d) != 0) {
        ing_free(g);
        return -1;
    }
    sp_buf rec = {0};
    int64_t last = 0;
    for (uint64_t i = 0; i < events; i++) {
        rec.len = 0;
        gen_event ev;
        gen_next(gn, &rec, &ev);
        ing_ingest_message(g, rec.data, rec.len, "gen");
        last = SP_MAX(last, ev.time);
    }
    sp_buf_free(&rec);
    gen_free(gn);
    ing_free(g);
    return last;
}

static int setup(void **st)
{
    (void)st;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/sentinel-rules", test_shared_dir());
    nrules = sentinel_rules_load(dir, &rules);
    if (nrules < 0) {
        fprintf(stderr, "cannot read %s (set SP_SHARED)\n", dir);
        return -1;
    }
    store = sp_store_new(NULL);
    data_end = generate(store, "all", GEN_EVENTS);
    return data_end > 0 ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    sentinel_rules_free(rules, nrules);
    sp_store_free(store);
    return 0;
}

/* Compiles rule r against st (declared tables plus what st holds). */
static int compile_rule(const sentinel_rule *r, sp_store *st, kplan **plan, sp_diag *d)
{
    kql_bind_env env;
    memset(&env, 0, sizeof env);
    env.store = st;
    env.bagunpack_schema = kexec_bagunpack_hook;
    env.ctx = st;
    env.now = data_end;
    memset(d, 0, sizeof *d);
    return kql_compile(r->query, r->len, &env, plan, d);
}

static int expected_unbound(const char *file)
{
    for (size_t i = 0; i < SP_ARRAY_LEN(unbound); i++)
        if (!strcmp(unbound[i].file, file))
            return (int)i;
    return -1;
}

/* Every query binds except the pinned ones, which fail for the pinned reason; every rule
 * that binds runs on the generated data without a runtime error. */
static void test_every_sentinel_rule_binds_and_runs_on_generated_data(void **st)
{
    (void)st;
    int bound = 0, ran = 0, with_rows = 0, skipped_legs = 0, warned_rules = 0;
    sp_buf problems = {0};
    for (int i = 0; i < nrules; i++) {
        const sentinel_rule *r = &rules[i];
        const char *file = base_name(r->path);
        if (!r->query) {
            sp_buf_printf(&problems, "%s: no query\n", file);
            continue;
        }
        kplan *plan = NULL;
        sp_diag d;
        int exp = expected_unbound(file);
        if (compile_rule(r, store, &plan, &d) != 0) {
            if (exp < 0 || !strstr(d.msg, unbound[exp].error))
                sp_buf_printf(&problems, "%s:%d:%d: does not bind: %s\n", file, d.line + r->line_off, d.col, d.msg);
            else if (verbose())
                printf("UNBOUND %s: %s\n", file, d.msg);
            continue;
        }
        bound++;
        if (exp >= 0)
            sp_buf_printf(&problems, "%s: binds now; remove it from the unbound list (and docs/kql-coverage.md)\n", file);
        for (int w = 0; w < plan->nwarnings; w++)
            skipped_legs += strstr(plan->warnings[w], "isfuzzy") != NULL;
        warned_rules += plan->nwarnings > 0;
        krowset *rs = NULL;
        kexec_opts opts = {.now = data_end};
        if (kexec_run(plan, store, &opts, &rs, &d) != 0) {
            sp_buf_printf(&problems, "%s:%d:%d: runtime error: %s\n", file, d.line + r->line_off, d.col, d.msg);
        } else {
            ran++;
            with_rows += krowset_rows(rs) > 0;
            if (verbose()) {
                printf("OK %s: %u rows\n", file, krowset_rows(rs));
                fflush(stdout);
                for (int w = 0; w < plan->nwarnings; w++)
                    printf("   warning %s\n", plan->warnings[w]);
            }
        }
        krowset_free(rs);
        kplan_free(plan);
    }
    printf("sentinel corpus: %d of %d queries bind (%.1f%%), %d run without error on %d generated events "
           "(%d return rows); %d union isfuzzy legs skipped in %d rules with warnings\n",
           bound, nrules, 100.0 * bound / (nrules ? nrules : 1), ran, GEN_EVENTS, with_rows, skipped_legs,
           warned_rules);
    if (problems.len)
        fail_msg("%s", sp_buf_cstr(&problems));
    sp_buf_free(&problems);
    assert_int_equal(bound, CORPUS_BOUND);
    assert_int_equal(ran, bound);
    assert_int_equal(skipped_legs, CORPUS_FUZZY_LEGS_SKIPPED);
}

/* The two custom-log rules bind and run once their tables exist, i.e. hold data (Log
 * Analytics row form: `Type` names the table, columns are inferred from the records). */
static void test_custom_log_rules_bind_and_run_once_their_tables_have_data(void **st)
{
    (void)st;
    sp_store *cl = sp_store_new(NULL);
    assert_true(generate(cl, "SigninLogs", 2000) > 0);
    static const char *const records[] = {
        "{\"Type\":\"LastPassNativePoller_CL\",\"TimeGenerated\":\"2026-11-01T01:00:00Z\","
        "\"Action_s\":\"Log in\",\"IP_Address_s\":\"203.0.113.9\",\"Username_s\":\"alice@contoso.com\"}",
        "{\"Type\":\"InformationProtectionLogs_CL\",\"TimeGenerated\":\"2026-11-01T01:00:00Z\","
        "\"UserId_s\":\"alice@contoso.com\",\"LabelName_s\":\"Confidential\",\"Activity_s\":\"FileAccessed\"}",
    };
    ing_config cfg = {.report_limit = -1};
    sp_diag d;
    ing *g = ing_new(cl, &cfg, &d);
    assert_non_null(g);
    for (size_t i = 0; i < SP_ARRAY_LEN(records); i++)
        ing_ingest_message(g, records[i], strlen(records[i]), "test");
    ing_free(g);
    int done = 0;
    for (int i = 0; i < nrules; i++) {
        if (expected_unbound(base_name(rules[i].path)) < 0)
            continue;
        kplan *plan = NULL;
        if (compile_rule(&rules[i], cl, &plan, &d) != 0)
            fail_msg("%s: %d:%d: %s", base_name(rules[i].path), d.line, d.col, d.msg);
        krowset *rs = NULL;
        kexec_opts opts = {.now = data_end};
        if (kexec_run(plan, cl, &opts, &rs, &d) != 0)
            fail_msg("%s: runtime error: %s", base_name(rules[i].path), d.msg);
        krowset_free(rs);
        kplan_free(plan);
        done++;
    }
    assert_int_equal(done, (int)SP_ARRAY_LEN(unbound));
    sp_store_free(cl);
}

static void test_every_sentinel_rule_query_parses(void **st)
{
    (void)st;
    int parsed = 0;
    sp_arena arena = {0};
    for (int i = 0; i < nrules; i++) {
        const sentinel_rule *r = &rules[i];
        if (!r->query) {
            fprintf(stderr, "%s: no query field (or invalid YAML)\n", r->path);
            continue;
        }
        kql_query *q = NULL;
        sp_diag err = {0};
        if (kql_parse(r->query, r->len, &arena, &q, &err) == 0) {
            assert_non_null(q);
            assert_true(q->nstmts >= 1);
            parsed++;
        } else {
            /* Report at the position in the YAML file. */
            snprintf(err.file, sizeof err.file, "%s", r->path);
            int qline = err.line;
            err.col += qline >= 1 ? r->col_off : 0;
            err.line += r->line_off;
            sp_diag_print(stderr, &err);
        }
        sp_arena_reset(&arena);
    }
    sp_arena_free(&arena);
    printf("sentinel corpus: %d of %d queries parse\n", parsed, nrules);
    assert_int_equal(nrules, CORPUS_FILES);
    assert_int_equal(parsed, CORPUS_PARSED);
}

/* Errors in a YAML rule are reported at file line:col: the offsets map query positions
 * back into the file. */
static void test_query_positions_map_back_into_the_yaml_file(void **st)
{
    (void)st;
    for (int i = 0; i < nrules; i++) {
        const sentinel_rule *r = &rules[i];
        if (!r->query)
            continue;
        /* The first non-blank line of the query appears verbatim in the file at the
         * mapped line, starting at the mapped column. */
        const char *q = r->query;
        int line = 1;
        while (*q == '\n') {
            q++;
            line++;
        }
        const char *eol = strchr(q, '\n');
        size_t n = eol ? (size_t)(eol - q) : strlen(q);
        FILE *f = fopen(r->path, "rb");
        assert_non_null(f);
        char buf[8192];
        int fl = 0;
        bool found = false;
        while (fgets(buf, sizeof buf, f)) {
            if (++fl == line + r->line_off) {
                size_t col = (size_t)r->col_off;
                if (fl == 1 && (unsigned char)buf[0] == 0xEF)
                    col += 3;
                found = strlen(buf) >= col + n && memcmp(buf + col, q, n) == 0;
                break;
            }
        }
        fclose(f);
        if (!found)
            fprintf(stderr, "%s: query line %d not at file line %d col %d\n", r->path, line,
                    line + r->line_off, r->col_off + 1);
        assert_true(found);
    }
}

/* xorshift: deterministic, so a failure reproduces. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const char *const fragments[] = {
    "(", ")", "|", "\"", "'", "[", "]", "{", "}", ",", ";", "..", "!", "~", "=", "==", " in ",
    " by ", " on ", " with ", "let ", "datetime(", "dynamic(", "@\"", "```", "//", "\n",
    "h\"", "0x", "1e", "$left.", "*", "-", "`", " | where ", " | summarize ", "typeof(",
    "\\", "\\u12", "1.5h", " between (", " !in~ (", "mv-expand ", " to typeof(", "\xff",
    "\x00", "(T:(*)) {", "['", "project-", "make-series ", " step ", ":", "99999999999999999999",
};

/* Checks one parse result; returns 1 when it produced an AST. */
static int check_one(const char *text, size_t len, sp_arena *arena, sp_buf *dump)
{
    kql_query *q = NULL;
    sp_diag err;
    memset(&err, 0x5A, sizeof err); /* garbage in, so an unfilled diag is noticed */
    int rc = kql_parse(text, len, arena, &q, &err);
    if (rc == 0) {
        assert_non_null(q);
        dump->len = 0;
        kql_ast_dump(dump, q); /* walks every node */
    } else {
        assert_int_equal(rc, -1);
        assert_null(q);
        assert_true(err.line >= 1 && err.col >= 1 && err.span >= 1);
        assert_true(memchr(err.msg, 0, sizeof err.msg) != NULL && err.msg[0] != 0);
        assert_true(memchr(err.source_line, 0, sizeof err.source_line) != NULL);
    }
    sp_arena_reset(arena);
    return rc == 0;
}

static void test_mutated_corpus_queries_give_an_ast_or_an_error(void **st)
{
    (void)st;
    sp_arena arena = {0};
    sp_buf dump = {0}, m = {0};
    long runs = 0, asts = 0;
    /* SP_KQL_FUZZ_ROUNDS=N repeats the whole pass with fresh random edits (long runs). */
    const char *env = getenv("SP_KQL_FUZZ_ROUNDS");
    long rounds = env ? atol(env) : 1;
    for (long round = 0; round < (rounds > 0 ? rounds : 1); round++)
    for (int i = 0; i < nrules; i++) {
        const sentinel_rule *r = &rules[i];
        if (!r->query)
            continue;
        /* truncations */
        for (int k = 0; k < 24; k++) {
            size_t cut = r->len ? (size_t)(rnd() % r->len) : 0;
            asts += check_one(r->query, cut, &arena, &dump);
            runs++;
        }
        /* random edits: replace a byte, delete a span, insert a fragment, duplicate */
        for (int k = 0; k < 48; k++) {
            m.len = 0;
            sp_buf_append(&m, r->query, r->len);
            int edits = 1 + (int)(rnd() % 3);
            for (int e = 0; e < edits && m.len; e++) {
                size_t at = (size_t)(rnd() % m.len);
                switch (rnd() % 4) {
                case 0: m.data[at] = (char)(rnd() & 0xFF); break;
                case 1: {
                    size_t want = (size_t)(rnd() % 16); /* SP_MIN evaluates twice */
                    size_t n = SP_MIN(want, m.len - at);
                    memmove(m.data + at, m.data + at + n, m.len - at - n);
                    m.len -= n;
                    break;
                }
                case 2: {
                    const char *f = fragments[rnd() % SP_ARRAY_LEN(fragments)];
                    size_t fl = f[0] ? strlen(f) : 1; /* "\x00" inserts one NUL */
                    sp_buf_reserve(&m, fl);
                    memmove(m.data + at + fl, m.data + at, m.len - at);
                    memcpy(m.data + at, f, fl);
                    m.len += fl;
                    break;
                }
                default: {
                    size_t want = (size_t)(rnd() % 40);
                    size_t n = SP_MIN(want, m.len - at);
                    size_t to = (size_t)(rnd() % m.len);
                    sp_buf_reserve(&m, n);
                    char tmp[40];
                    memcpy(tmp, m.data + at, n);
                    memmove(m.data + to + n, m.data + to, m.len - to);
                    memcpy(m.data + to, tmp, n);
                    m.len += n;
                    break;
                }
                }
            }
            asts += check_one(m.data, m.len, &arena, &dump);
            runs++;
        }
    }
    printf("mutations: %ld parses, %ld gave an AST, %ld an error\n", runs, asts, runs - asts);
    /* Both outcomes occur: the mutations reach deep into the grammar. */
    assert_true(asts > 0 && asts < runs);
    sp_buf_free(&m);
    sp_buf_free(&dump);
    sp_arena_free(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_sentinel_rule_query_parses),
        cmocka_unit_test(test_every_sentinel_rule_binds_and_runs_on_generated_data),
        cmocka_unit_test(test_custom_log_rules_bind_and_run_once_their_tables_have_data),
        cmocka_unit_test(test_query_positions_map_back_into_the_yaml_file),
        cmocka_unit_test(test_mutated_corpus_queries_give_an_ast_or_an_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
