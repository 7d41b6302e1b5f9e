/* test_sigma_conformance.c — the evaluation half of the Sigma conformance suite
 * (tests/sigma-conformance/, format and evaluation model in its README): for every vector
 * with events, the events go through ingest into table Events (`--table Events` binding),
 * the rules are lowered into the engine's plan with no field mapping (vector field names
 * are the event's own), executed, and the matched event ids and correlation outputs are
 * compared with the vector's `match`, `matches` and `expect`.
 *
 * Vectors the engine does not pass are listed, with a reason, in
 * tests/sigma-conformance/known-failures.txt (`name  reason`). The run fails when a vector
 * fails that is not listed, and also when a listed vector passes, so the list always says
 * exactly what is missing. SP_SIGMA_VERBOSE=1 prints every failure in detail;
 * SP_SIGMA_ONLY=name runs one vector.
 *
 * The vector files are read with the Sigma module's own YAML layer (white-box, as the load
 * test does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec.h"
#include "ingest/ingest.h"
#include "sigma/sig_int.h"

#define VDIR "tests/sigma-conformance/"

static const char *str(const sig_ynode *n)
{
    return n && n->kind == SIG_Y_SCALAR && n->type != SIG_YT_NULL ? n->s : NULL;
}

/* ---- loading a vector ---- */

static void placeholder_text(const sig_ynode *ph, sp_buf *out)
{
    for (size_t i = 0; i < ph->n; i++) {
        const sig_ynode *k = ph->items[2 * i], *v = ph->items[2 * i + 1];
        sp_buf_printf(out, "%s: [", k->s);
        size_t nv = v->kind == SIG_Y_SEQ ? v->n : 1;
        for (size_t j = 0; j < nv; j++) {
            const sig_ynode *e = v->kind == SIG_Y_SEQ ? v->items[j] : v;
            sp_buf_puts(out, j ? ", \"" : "\"");
            for (const char *c = e->s; *c; c++) {
                if (*c == '"' || *c == '\\')
                    sp_buf_putc(out, '\\');
                sp_buf_putc(out, *c);
            }
            sp_buf_putc(out, '"');
        }
        sp_buf_puts(out, "]\n");
    }
}

/* The event's JSON text: its line from the flow map's first byte (README: each event is
 * one line of valid JSON). */
static void event_text(const char *file, size_t len, const sig_ynode *e, const char **p, size_t *n)
{
    const char *s = file + e->off, *end = memchr(s, '\n', len - e->off);
    if (!end)
        end = file + len;
    while (end > s && (end[-1] == ' ' || end[-1] == '\r'))
        end--;
    *p = s;
    *n = (size_t)(end - s);
}

/* ---- running ---- */

typedef struct vrun {
    sp_store *store;
    sig_set *set;
    sp_buf why; /* failure explanation */
} vrun;

static void why(vrun *r, const char *fmt, ...) SP_PRINTF(2, 3);

static void why(vrun *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (r->why.len)
        sp_buf_puts(&r->why, "; ");
    sp_buf_vprintf(&r->why, fmt, ap);
    va_end(ap);
}

static krowset *run_doc(vrun *r, sig_kind kind, uint32_t idx)
{
    sig_lower_opts o = {.store = r->store};
    kplan *plan;
    sp_diag d;
    if (sig_lower(r->set, kind, idx, &o, &plan, NULL, &d) != 0) {
        why(r, "lowering failed: %d:%d: %s", d.line, d.col, d.msg);
        return NULL;
    }
    if (getenv("SP_SIGMA_PLAN")) {
        sp_buf b = {0};
        kplan_explain(plan, &b);
        fprintf(stderr, "%s", sp_buf_cstr(&b));
        sp_buf_free(&b);
    }
    krowset *rs = NULL;
    if (kexec_run(plan, r->store, NULL, &rs, &d) != 0) {
        why(r, "execution failed: %d:%d: %s", d.line, d.col, d.msg);
        rs = NULL;
    }
    kplan_free(plan);
    return rs;
}

static void check_ids(vrun *r, const char *rule, uint32_t idx, const sig_ynode *want)
{
    krowset *rs = run_doc(r, SIG_DOC_RULE, idx);
    if (!rs)
        return;
    int c = kp_schema_find(krowset_schema(rs), "id", 2);
    sp_buf got = {0}, exp = {0};
    for (uint32_t i = 0; c >= 0 && i < krowset_rows(rs); i++) {
        kval v;
        krowset_get(rs, i, c, &v);
        sp_buf_printf(&got, "%s", got.len ? ", " : "");
        kval_to_text(&v, &got);
    }
    for (size_t i = 0; i < want->n; i++)
        sp_buf_printf(&exp, "%s%s", i ? ", " : "", want->items[i]->s);
    if (strcmp(sp_buf_cstr(&got), sp_buf_cstr(&exp)) != 0)
        why(r, "rule %s matched [%s], want [%s]", rule, sp_buf_cstr(&got), sp_buf_cstr(&exp));
    sp_buf_free(&got);
    sp_buf_free(&exp);
    krowset_free(rs);
}

typedef struct output {
    const char *rule;
    int level; /* chain depth below this correlation (inner outputs first on ties) */
    size_t order;
    sp_buf group; /* "k=v|k=v", null as <null> */
    int64_t start, end;
    double value;
    char *value_of;
} output;

static int corr_level(const sig_set *s, const sig_corr *c, int depth)
{
    int lv = 0;
    for (uint32_t i = 0; depth < 32 && i < c->nrules; i++)
        if (c->rules[i].kind == SIG_DOC_CORRELATION) {
            int k = 1 + corr_level(s, sig_set_corr(s, c->rules[i].index), depth + 1);
            lv = k > lv ? k : lv;
        }
    return lv;
}

static int out_cmp(const void *a, const void *b)
{
    const output *x = a, *y = b;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    if (x->level != y->level)
        return x->level - y->level;
    return x->order < y->order ? -1 : x->order > y->order;
}

static void check_expect(vrun *r, const sig_ynode *expect)
{
    output *outs = NULL;
    size_t n = 0;
    for (uint32_t ci = 0; ci < sig_set_count(r->set, SIG_DOC_CORRELATION); ci++) {
        const sig_corr *c = sig_set_corr(r->set, ci);
        krowset *rs = run_doc(r, SIG_DOC_CORRELATION, ci);
        if (!rs)
            continue;
        const kp_schema *sc = krowset_schema(rs);
        int nk = (int)c->group_by.n;
        for (uint32_t i = 0; i < krowset_rows(rs); i++) {
            outs = realloc(outs, sizeof *outs * (n + 1));
            output *o = &outs[n];
            memset(o, 0, sizeof *o);
            o->rule = c->meta.name ? c->meta.name : c->meta.title;
            o->level = corr_level(r->set, c, 0);
            o->order = n;
            kval v;
            for (int k = 0; k < nk; k++) {
                krowset_get(rs, i, k, &v);
                sp_buf_printf(&o->group, "%s%s=", k ? "|" : "", sc->cols[k].name);
                if (v.u.s.n)
                    sp_buf_append(&o->group, v.u.s.p, v.u.s.n);
                else
                    sp_buf_puts(&o->group, "<null>");
            }
            sp_buf_cstr(&o->group);
            krowset_get(rs, i, nk, &v);
            o->start = v.u.l;
            krowset_get(rs, i, nk + 1, &v);
            o->end = v.u.l;
            krowset_get(rs, i, nk + 2, &v);
            o->value = v.u.r;
            krowset_get(rs, i, nk + 3, &v);
            o->value_of = strndup(v.u.s.p, v.u.s.n);
            n++;
        }
        krowset_free(rs);
    }
    if (n)
        qsort(outs, n, sizeof *outs, out_cmp);
    size_t m = expect->n;
    if (m != n)
        why(r, "%zu correlation outputs, want %zu", n, m);
    for (size_t i = 0; i < m && i < n; i++) {
        const sig_ynode *e = expect->items[i];
        output *o = &outs[i];
        const char *rule = str(sig_ymap_get(e, "rule"));
        const sig_ynode *group = sig_ymap_get(e, "group");
        sp_buf g = {0};
        for (size_t k = 0; group && k < group->n; k++) {
            const char *val = str(group->items[2 * k + 1]);
            sp_buf_printf(&g, "%s%s=%s", k ? "|" : "", group->items[2 * k]->s, val ? val : "<null>");
        }
        int64_t t0 = 0, t1 = 0;
        const char *s0 = str(sig_ymap_get(e, "start")), *s1 = str(sig_ymap_get(e, "end"));
        sp_datetime_parse(s0, strlen(s0), &t0);
        sp_datetime_parse(s1, strlen(s1), &t1);
        const sig_ynode *val = sig_ymap_get(e, "value");
        double want = val->type == SIG_YT_INT ? (double)val->i : val->f;
        const char *vof = str(sig_ymap_get(e, "value_of"));
        char a[40], b[40];
        sp_datetime_format(o->start, a);
        sp_datetime_format(o->end, b);
        if (strcmp(rule, o->rule) || strcmp(sp_buf_cstr(&g), sp_buf_cstr(&o->group)) || t0 != o->start ||
            t1 != o->end || fabs(want - o->value) > 1e-9 * (1 + fabs(want)) || (vof && strcmp(vof, o->value_of)))
            why(r, "output %zu is {%s, %s, %s, %s, %g%s%s}, want {%s, %s, %s, %s, %g%s%s}", i + 1, o->rule,
                sp_buf_cstr(&o->group), a, b, o->value, *o->value_of ? ", " : "", o->value_of, rule, sp_buf_cstr(&g),
                s0, s1, want, vof ? ", " : "", vof ? vof : "");
        sp_buf_free(&g);
    }
    for (size_t i = 0; i < n; i++) {
        sp_buf_free(&outs[i].group);
        free(outs[i].value_of);
    }
    free(outs);
}

/* Runs one vector; returns -1 when it has nothing to evaluate, 0 pass, 1 fail (r->why). */
static int run_vector(const sig_ynode *v, const char *ftext, size_t flen, vrun *r)
{
    const sig_ynode *rule = sig_ymap_get(v, "rule"), *events = sig_ymap_get(v, "events");
    const sig_ynode *match = sig_ymap_get(v, "match"), *matches = sig_ymap_get(v, "matches");
    const sig_ynode *expect = sig_ymap_get(v, "expect");
    if (sig_ymap_get(v, "error") || !events || (!match && !matches && !expect))
        return -1;
    const sig_ynode *phn = sig_ymap_get(v, "placeholders");
    sig_placeholders *ph = NULL;
    if (phn) {
        sp_buf t = {0};
        placeholder_text(phn, &t);
        sp_diag d;
        if (sig_placeholders_parse("placeholders", sp_buf_cstr(&t), t.len, &ph, &d) != 0)
            why(r, "bad placeholders: %s", d.msg);
        sp_buf_free(&t);
    }
    sig_options o = {.placeholders = ph};
    r->set = sig_set_new(&o);
    sig_set_load_text(r->set, str(sig_ymap_get(v, "name")), rule->s, rule->len);
    sig_set_resolve(r->set);
    r->store = sp_store_new(NULL);
    ing_config cfg = {.table = "Events", .report_limit = -1};
    sp_diag d;
    ing *g = ing_new(r->store, &cfg, &d);
    for (size_t i = 0; g && i < events->n; i++) {
        const char *p;
        size_t n;
        event_text(ftext, flen, events->items[i], &p, &n);
        ing_ingest_message(g, p, n, "vector");
    }
    if (g) {
        ing_stats st;
        ing_flush(g);
        ing_stats_get(g, &st);
        if (st.rejected)
            why(r, "%llu events rejected by ingest", (unsigned long long)st.rejected);
        ing_free(g);
    } else {
        why(r, "ingest: %s", d.msg);
    }
    if (match) {
        size_t nstand = 0;
        uint32_t only = 0;
        for (uint32_t i = 0; i < sig_set_count(r->set, SIG_DOC_RULE); i++)
            if (sig_set_rule(r->set, i)->standalone) {
                only = i;
                nstand++;
            }
        if (nstand != 1)
            why(r, "%zu standalone rules for 'match'", nstand);
        else
            check_ids(r, "(only)", only, match);
    }
    for (size_t i = 0; matches && i < matches->n; i++) {
        sig_kind kind;
        uint32_t idx;
        const char *name = matches->items[2 * i]->s;
        if (!sig_set_find(r->set, name, &kind, &idx) || kind != SIG_DOC_RULE)
            why(r, "no rule '%s'", name);
        else
            check_ids(r, name, idx, matches->items[2 * i + 1]);
    }
    if (expect)
        check_expect(r, expect);
    sig_set_free(r->set);
    sp_store_free(r->store);
    sig_placeholders_free(ph);
    return r->why.len ? 1 : 0;
}

/* ---- the suite and its known failures ---- */

typedef struct known {
    char *name;
    bool seen;
} known;

static size_t load_known(known **out)
{
    sp_buf b = {0};
    *out = NULL;
    if (sp_read_file(VDIR "known-failures.txt", &b) != 0)
        return 0;
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)sp_buf_cstr(&b), "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || !line[0])
            continue;
        size_t l = strcspn(line, " \t");
        *out = realloc(*out, sizeof **out * (n + 1));
        (*out)[n].name = strndup(line, l);
        (*out)[n].seen = false;
        n++;
    }
    sp_buf_free(&b);
    return n;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_every_vector_evaluates_as_specified(void **st)
{
    (void)st;
    const char *only = getenv("SP_SIGMA_ONLY");
    bool verbose = getenv("SP_SIGMA_VERBOSE") != NULL;
    known *kn;
    size_t nkn = load_known(&kn);
    DIR *dir = opendir(VDIR);
    assert_non_null(dir);
    char *files[64];
    size_t nf = 0;
    struct dirent *de;
    while ((de = readdir(dir)) && nf < 64) {
        size_t l = strlen(de->d_name);
        if (l > 4 && !strcmp(de->d_name + l - 4, ".yml") && de->d_name[0] >= '0' && de->d_name[0] <= '9')
            files[nf++] = strdup(de->d_name);
    }
    closedir(dir);
    qsort(files, nf, sizeof *files, name_cmp);
    size_t passed = 0, failed = 0, known_failed = 0, unexpected = 0;
    sp_buf report = {0};
    for (size_t f = 0; f < nf; f++) {
        char path[300];
        snprintf(path, sizeof path, VDIR "%s", files[f]);
        sp_buf text = {0};
        assert_int_equal(sp_read_file(path, &text), 0);
        sp_arena arena = {0};
        sig_yfile yf;
        sp_diag d;
        sig_reason reason;
        assert_int_equal(sig_yaml_parse(&arena, path, sp_buf_cstr(&text), text.len, sp_limits.max_rule_depth, &yf, &d,
                                        &reason),
                         0);
        const sig_ynode *vectors = sig_ymap_get(yf.docs[0].root, "vectors");
        for (size_t i = 0; vectors && i < vectors->n; i++) {
            const sig_ynode *v = vectors->items[i];
            const char *name = str(sig_ymap_get(v, "name"));
            if (only && strcmp(only, name))
                continue;
            vrun r = {0};
            int rc = run_vector(v, sp_buf_cstr(&text), text.len, &r);
            if (rc < 0) {
                sp_buf_free(&r.why);
                continue;
            }
            known *k = NULL;
            for (size_t j = 0; j < nkn && !k; j++)
                if (!strcmp(kn[j].name, name))
                    k = &kn[j];
            if (k)
                k->seen = true;
            if (rc == 0) {
                passed++;
                if (k) {
                    unexpected++;
                    sp_buf_printf(&report, "%s: listed in known-failures.txt but passes\n", name);
                }
            } else {
                failed++;
                if (k)
                    known_failed++;
                else
                    unexpected++;
                if (!k || verbose)
                    sp_buf_printf(&report, "%s:%d %s: %s\n", files[f], v->line, name, sp_buf_cstr(&r.why));
            }
            sp_buf_free(&r.why);
        }
        sp_arena_free(&arena);
        sp_buf_free(&text);
        free(files[f]);
    }
    for (size_t j = 0; j < nkn; j++) {
        if (!kn[j].seen && !only) {
            unexpected++;
            sp_buf_printf(&report, "%s: listed in known-failures.txt but no such vector has events\n", kn[j].name);
        }
        free(kn[j].name);
    }
    free(kn);
    if (report.len)
        fputs(sp_buf_cstr(&report), stderr);
    fprintf(stderr, "sigma conformance: %zu vectors evaluated, %zu passed, %zu failed (%zu known)\n", passed + failed,
            passed, failed, known_failed);
    sp_buf_free(&report);
    assert_int_equal(unexpected, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_vector_evaluates_as_specified),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
