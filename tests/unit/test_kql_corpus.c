/* test_kql_corpus.c — the KQL parser against real detections: every Sentinel analytics
 * rule query in $SP_SHARED/data/sentinel-rules must parse (the count is pinned), and
 * mutated or truncated versions of them must come back as an AST or a positioned error,
 * never a crash or a leak (run under ASan by `make test SANITIZER=address`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kql/kql.h"
#include "tests/unit/support/sentinel_rules.h"

/* Files in the corpus, and how many of their queries parse: all of them. */
#define CORPUS_FILES 87
#define CORPUS_PARSED 87

static sentinel_rule *rules;
static int nrules;

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
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    sentinel_rules_free(rules, nrules);
    return 0;
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
        cmocka_unit_test(test_query_positions_map_back_into_the_yaml_file),
        cmocka_unit_test(test_mutated_corpus_queries_give_an_ast_or_an_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
