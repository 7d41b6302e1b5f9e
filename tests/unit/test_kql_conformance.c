/* test_kql_conformance.c — runs the KQL conformance suite (tests/kql/NN-topic.test files, format in
 * tests/kql/README.md): compiles and executes each case in process and compares the
 * result with the expected rows, schema or error.
 *
 * Cases the engine does not pass yet are listed, with a reason, in
 * tests/kql/known-failures.txt (`file:line  reason`). The run fails when a case fails
 * that is not listed, and also when a listed case passes, so the list always says
 * exactly what is missing. SP_KQL_VERBOSE=1 prints every failure in detail;
 * SP_KQL_ONLY=file[:line] runs a subset.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec.h"
#include "engine/kql/kql.h"
#include "tests/unit/support/jsonv.h"

typedef struct kcase {
    const char *file;
    int line; /* line of the first query line */
    char *query;
    bool ordered, expect_error, approx;
    char *error_text;
    char *schema; /* "a:long, b:string" or NULL */
    char **rows;
    int nrows;
} kcase;

static char *xstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static void append(char **buf, const char *s)
{
    size_t a = *buf ? strlen(*buf) : 0, b = strlen(s);
    *buf = realloc(*buf, a + b + 2);
    memcpy(*buf + a, s, b);
    (*buf)[a + b] = '\n';
    (*buf)[a + b + 1] = 0;
}

/* Parses a .test file into cases. */
static int load_cases(const char *path, const char *name, kcase **out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = 0, cap = 0;
    kcase *cases = NULL;
    char line[65536];
    int lineno = 0;
    kcase cur;
    memset(&cur, 0, sizeof cur);
    int state = 0; /* 0 between cases, 1 comments/query, 2 after arrow */
    for (;;) {
        char *got = fgets(line, sizeof line, f);
        if (got) {
            lineno++;
            size_t l = strlen(line);
            while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
                line[--l] = 0;
        }
        bool blank = !got || line[0] == 0;
        if (blank) {
            if (state == 2) {
                if (n == cap)
                    cases = realloc(cases, sizeof(kcase) * (size_t)(cap = cap ? cap * 2 : 64));
                cases[n++] = cur;
            } else if (state == 1) {
                free(cur.query);
            }
            memset(&cur, 0, sizeof cur);
            state = 0;
            if (!got)
                break;
            continue;
        }
        if (state == 0) {
            state = 1;
            cur.file = name;
        }
        if (state == 1) {
            if (line[0] == '#' && !cur.query) {
                if (!strcmp(line, "# approx"))
                    cur.approx = true;
                continue;
            }
            if (!strncmp(line, "==>", 3)) {
                state = 2;
                const char *rest = line + 3;
                while (*rest == ' ')
                    rest++;
                if (!strncmp(rest, "ordered", 7))
                    cur.ordered = true;
                else if (!strncmp(rest, "error", 5)) {
                    cur.expect_error = true;
                    if (rest[5] == ':') {
                        const char *t = rest + 6;
                        while (*t == ' ')
                            t++;
                        cur.error_text = xstrndup(t, strlen(t));
                    }
                }
                continue;
            }
            if (!cur.query)
                cur.line = lineno;
            append(&cur.query, line);
            continue;
        }
        if (!strncmp(line, "schema:", 7) && cur.nrows == 0 && !cur.schema) {
            const char *t = line + 7;
            while (*t == ' ')
                t++;
            cur.schema = xstrndup(t, strlen(t));
            continue;
        }
        cur.rows = realloc(cur.rows, sizeof(char *) * (size_t)(cur.nrows + 1));
        cur.rows[cur.nrows++] = xstrndup(line, strlen(line));
    }
    fclose(f);
    *out = cases;
    return n;
}

static void free_case(kcase *c)
{
    free(c->query);
    free(c->error_text);
    free(c->schema);
    for (int i = 0; i < c->nrows; i++)
        free(c->rows[i]);
    free(c->rows);
}

/* Runs one case; returns NULL on success or a malloc'd explanation. */
static char *run_case(const kcase *c)
{
    char msg[8192];
    kplan *plan = NULL;
    sp_diag d;
    memset(&d, 0, sizeof d);
    kql_bind_env env;
    memset(&env, 0, sizeof env);
    env.bagunpack_schema = kexec_bagunpack_hook; /* bag_unpack's columns come from the data */
    int r = kql_compile(c->query, strlen(c->query), &env, &plan, &d);
    krowset *rs = NULL;
    if (r == 0) {
        r = kexec_run(plan, NULL, NULL, &rs, &d);
    }
    if (r != 0) {
        kplan_free(plan);
        if (!c->expect_error) {
            snprintf(msg, sizeof msg, "failed: %d:%d: %s", d.line, d.col, d.msg);
            return xstrndup(msg, strlen(msg));
        }
        if (c->error_text && !strstr(d.msg, c->error_text)) {
            snprintf(msg, sizeof msg, "error message '%s' lacks '%s'", d.msg, c->error_text);
            return xstrndup(msg, strlen(msg));
        }
        return NULL;
    }
    if (c->expect_error) {
        krowset_free(rs);
        kplan_free(plan);
        return xstrndup("expected an error, the query succeeded", 38);
    }
    const kp_schema *sch = krowset_schema(rs);
    char *err = NULL;
    if (c->schema) {
        char got[4096];
        size_t gl = 0;
        got[0] = 0;
        for (int i = 0; i < sch->ncols; i++) {
            const char *nm = sch->cols[i].name;
            bool plain = (nm[0] == '_' || (nm[0] | 32) >= 'a') && nm[0] && !strpbrk(nm, " -.[]'\"");
            gl += (size_t)snprintf(got + gl, sizeof got - gl, "%s%s%s%s:%s", i ? ", " : "", plain ? "" : "['", nm,
                                   plain ? "" : "']", sp_type_name(sch->cols[i].type));
        }
        if (strcmp(got, c->schema) != 0) {
            snprintf(msg, sizeof msg, "schema: got '%s', want '%s'", got, c->schema);
            err = xstrndup(msg, strlen(msg));
        }
    }
    /* Actual rows as JSON. */
    char *buf = NULL;
    size_t blen = 0;
    FILE *mf = open_memstream(&buf, &blen);
    krowset_write(rs, KOUT_JSON, mf);
    fclose(mf);
    int nact = 0;
    char **act = NULL;
    for (char *p = buf; p && *p;) {
        char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        act = realloc(act, sizeof(char *) * (size_t)(nact + 1));
        act[nact++] = xstrndup(p, l);
        p = nl ? nl + 1 : p + l;
    }
    free(buf);
    if (!err && nact != c->nrows) {
        snprintf(msg, sizeof msg, "got %d rows, want %d%s%s", nact, c->nrows, nact ? "; first: " : "", nact ? act[0] : "");
        err = xstrndup(msg, strlen(msg));
    }
    /* Key order of each actual row must be the column order (true by construction);
     * values compare as JSON. */
    if (!err) {
        jv **want = calloc((size_t)c->nrows + 1, sizeof(jv *)), **got = calloc((size_t)nact + 1, sizeof(jv *));
        bool *used = calloc((size_t)nact + 1, 1);
        for (int i = 0; i < c->nrows && !err; i++) {
            want[i] = jv_parse(c->rows[i], strlen(c->rows[i]));
            if (!want[i]) {
                snprintf(msg, sizeof msg, "bad expected row: %s", c->rows[i]);
                err = xstrndup(msg, strlen(msg));
            }
        }
        for (int i = 0; i < nact && !err; i++) {
            got[i] = jv_parse(act[i], strlen(act[i]));
            if (!got[i]) {
                snprintf(msg, sizeof msg, "engine wrote invalid JSON: %s", act[i]);
                err = xstrndup(msg, strlen(msg));
            }
        }
        for (int i = 0; i < c->nrows && !err; i++) {
            /* top-level key order must match the expected row's key order */
            int match = -1;
            if (c->ordered) {
                if (jv_equal(want[i], got[i], c->approx))
                    match = i;
            } else {
                for (int j = 0; j < nact && match < 0; j++)
                    if (!used[j] && jv_equal(want[i], got[j], c->approx))
                        match = j;
            }
            if (match < 0) {
                snprintf(msg, sizeof msg, "row %d: want %s; got %s", i + 1, c->rows[i], c->ordered ? act[i] : act[0]);
                if (!c->ordered) {
                    size_t ml = strlen(msg);
                    for (int j = 1; j < nact && ml < sizeof msg - 200; j++)
                        ml += (size_t)snprintf(msg + ml, sizeof msg - ml, " | %s", act[j]);
                }
                err = xstrndup(msg, strlen(msg));
                break;
            }
            used[match] = true;
            for (size_t k = 0; k < want[i]->n && k < got[match]->n; k++)
                if (strcmp(want[i]->keys[k], got[match]->keys[k]) != 0) {
                    snprintf(msg, sizeof msg, "row %d: column order: got key '%s' where '%s' was expected", i + 1,
                             got[match]->keys[k], want[i]->keys[k]);
                    err = xstrndup(msg, strlen(msg));
                    break;
                }
        }
        for (int i = 0; i < c->nrows; i++)
            jv_free(want[i]);
        for (int i = 0; i < nact; i++)
            jv_free(got[i]);
        free(want);
        free(got);
        free(used);
    }
    for (int i = 0; i < nact; i++)
        free(act[i]);
    free(act);
    krowset_free(rs);
    kplan_free(plan);
    return err;
}

typedef struct known {
    char *key; /* "file:line" */
    bool seen;
} known;

int main(void)
{
    const char *dir = "tests/kql";
    const char *only = getenv("SP_KQL_ONLY");
    bool verbose = getenv("SP_KQL_VERBOSE") != NULL;
    /* Known failures. */
    known *kn = NULL;
    int nkn = 0;
    FILE *kf = fopen("tests/kql/known-failures.txt", "r");
    if (kf) {
        char l[1024];
        while (fgets(l, sizeof l, kf)) {
            if (l[0] == '#' || l[0] == '\n')
                continue;
            size_t k = strcspn(l, " \t\n");
            kn = realloc(kn, sizeof(known) * (size_t)(nkn + 1));
            kn[nkn].key = xstrndup(l, k);
            kn[nkn++].seen = false;
        }
        fclose(kf);
    }
    struct dirent **ents;
    int nf = scandir(dir, &ents, NULL, alphasort);
    if (nf < 0) {
        fprintf(stderr, "cannot read %s\n", dir);
        return 1;
    }
    int passed = 0, failed = 0, known_failed = 0, fixed = 0;
    for (int fi = 0; fi < nf; fi++) {
        const char *name = ents[fi]->d_name;
        size_t nl = strlen(name);
        if (nl < 6 || strcmp(name + nl - 5, ".test") != 0)
            continue;
        if (only && strncmp(only, name, strcspn(only, ":")) != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        kcase *cases;
        int n = load_cases(path, name, &cases);
        int fpass = 0;
        for (int i = 0; i < n; i++) {
            kcase *c = &cases[i];
            if (only && strchr(only, ':') && atoi(strchr(only, ':') + 1) != c->line) {
                free_case(c);
                continue;
            }
            char key[600];
            snprintf(key, sizeof key, "%s:%d", name, c->line);
            int ki = -1;
            for (int k = 0; k < nkn; k++)
                if (!strcmp(kn[k].key, key))
                    ki = k;
            char *err = run_case(c);
            if (ki >= 0)
                kn[ki].seen = true;
            if (!err) {
                passed++;
                fpass++;
                if (ki >= 0) {
                    fixed++;
                    printf("NOW PASSING (remove from known-failures.txt): %s\n", key);
                }
            } else if (ki >= 0) {
                known_failed++;
                if (verbose)
                    printf("known failure %s: %s\n", key, err);
            } else {
                failed++;
                printf("FAIL %s: %s\n", key, err);
                if (verbose)
                    printf("  query: %s", c->query);
            }
            free(err);
            free_case(c);
        }
        free(cases);
        if (verbose)
            printf("%-36s %d/%d\n", name, fpass, n);
    }
    for (int i = 0; i < nf; i++)
        free(ents[i]);
    free(ents);
    for (int k = 0; k < nkn; k++) {
        if (!kn[k].seen && !only)
            printf("STALE known-failures entry (no such case): %s\n", kn[k].key);
        free(kn[k].key);
    }
    free(kn);
    printf("kql conformance: %d passed, %d failed, %d known failures (tests/kql/known-failures.txt)\n", passed, failed,
           known_failed);
    printf("cases: %d passed, %d failed\n", passed, failed + fixed);
    return failed || fixed ? 1 : 0;
}
