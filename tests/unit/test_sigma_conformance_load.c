/* test_sigma_conformance_load.c — the load half of the Sigma conformance suite
 * (tests/sigma-conformance/, format in its README): every vector's rule loads, or is rejected
 * with the expected message at the expected line:col; warnings and pinned programs are as
 * stated; the vector itself is well formed (events with unique ids on one line each, match
 * lists naming those ids and standalone rules, correlation outputs naming loaded
 * correlations). The evaluation half runs once the engine exists.
 *
 * The vector files are read with the Sigma module's own YAML layer (sigma/sig_int.h), a
 * deliberate white-box use: it is the same reader the rules go through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sigma/sig_int.h"
#include "support/sigma_support.h"

#define DIR "tests/sigma-conformance/"

typedef struct vfile {
    const char *file;
    size_t vectors; /* pinned so a lost vector is noticed */
} vfile;

static const vfile files[] = {
    {"01-escaping.yml", 17},
    {"02-wildcards.yml", 15},
    {"03-case.yml", 12},
    {"04-null-empty-exists.yml", 14},
    {"05-lists-maps-all.yml", 14},
    {"06-numbers-booleans.yml", 14},
    {"07-keywords.yml", 12},
    {"08-contains-startswith-endswith.yml", 10},
    {"09-windash.yml", 8},
    {"10-regex.yml", 15},
    {"11-base64.yml", 10},
    {"12-utf16.yml", 8},
    {"13-cidr.yml", 10},
    {"14-numeric-compare.yml", 10},
    {"15-time-parts.yml", 9},
    {"16-fieldref.yml", 8},
    {"17-expand.yml", 8},
    {"18-neq.yml", 8},
    {"19-conditions.yml", 22},
    {"20-correlations.yml", 42},
    {"21-filters.yml", 10},
    {"90-rejections.yml", 94},
    {"91-warnings.yml", 12},
};

static const char *const vector_keys[] = {"name",    "spec",    "note",  "rule", "events",
                                          "match",   "matches", "expect", "error", "at",
                                          "warning", "program", "placeholders", NULL};

typedef struct problems {
    sp_buf b;
    size_t n;
} problems;

static void problem(problems *p, const char *file, const sig_ynode *at, const char *vec,
                    const char *fmt, ...) SP_PRINTF(5, 6);

static void problem(problems *p, const char *file, const sig_ynode *at, const char *vec,
                    const char *fmt, ...)
{
    sp_buf_printf(&p->b, "%s:%d: [%s] ", file, at ? at->line : 0, vec ? vec : "?");
    va_list ap;
    va_start(ap, fmt);
    sp_buf_vprintf(&p->b, fmt, ap);
    va_end(ap);
    sp_buf_putc(&p->b, '\n');
    p->n++;
}

static const char *str(const sig_ynode *n)
{
    return n && n->kind == SIG_Y_SCALAR && n->type != SIG_YT_NULL ? n->s : NULL;
}

/* A placeholder map of the vector, as the YAML text sig_placeholders_parse reads. */
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

static bool has_id(const int64_t *ids, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

static bool id_list_ok(problems *p, const char *file, const char *name, const sig_ynode *l,
                       const int64_t *ids, size_t nids)
{
    if (!l || l->kind != SIG_Y_SEQ) {
        problem(p, file, l, name, "a match list must be a list of event ids");
        return false;
    }
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i]->type != SIG_YT_INT || !has_id(ids, nids, l->items[i]->i)) {
            problem(p, file, l->items[i], name, "match id '%s' is not an event id",
                    l->items[i]->s ? l->items[i]->s : "?");
            return false;
        }
    return true;
}

static size_t standalone_rules(const sig_set *s, const sig_rule **only)
{
    size_t n = 0;
    for (size_t i = 0; i < sig_set_count(s, SIG_DOC_RULE); i++)
        if (sig_set_rule(s, i)->standalone) {
            *only = sig_set_rule(s, i);
            n++;
        }
    return n;
}

static bool names_corr(const sig_set *s, const char *name)
{
    for (size_t i = 0; i < sig_set_count(s, SIG_DOC_CORRELATION); i++) {
        const sig_meta *m = &sig_set_corr(s, i)->meta;
        if ((m->name && !strcmp(m->name, name)) || (!m->name && !strcmp(m->title, name)))
            return true;
    }
    return false;
}

static bool has_diag(const sig_set *s, bool warning, const char *sub, const char *at)
{
    for (size_t i = 0; i < sig_set_ndiags(s); i++) {
        const sig_diag *d = sig_set_diag(s, i);
        if (d->d.is_warning != warning || !strstr(d->d.msg, sub))
            continue;
        if (at) {
            char pos[32];
            snprintf(pos, sizeof pos, "%d:%d", d->d.line, d->d.col);
            if (strcmp(pos, at) != 0)
                continue;
        }
        return true;
    }
    return false;
}

static void check_events(problems *p, const char *file, const char *name, const sig_ynode *v,
                         const sig_set *s)
{
    const sig_ynode *events = sig_ymap_get(v, "events");
    const sig_ynode *expect = sig_ymap_get(v, "expect");
    if (!events || events->kind != SIG_Y_SEQ) {
        problem(p, file, v, name, "'events' must be a list");
        return;
    }
    int64_t ids[256];
    size_t nids = 0;
    for (size_t i = 0; i < events->n; i++) {
        const sig_ynode *e = events->items[i];
        const sig_ynode *id = sig_ymap_get(e, "id");
        if (e->kind != SIG_Y_MAP || !id || id->type != SIG_YT_INT) {
            problem(p, file, e, name, "an event is a JSON object with an integer \"id\"");
            continue;
        }
        if (has_id(ids, nids, id->i) || nids == SP_ARRAY_LEN(ids)) {
            problem(p, file, e, name, "duplicate event id %s", id->s);
            continue;
        }
        ids[nids++] = id->i;
        for (size_t k = 0; k < 2 * e->n; k++)
            if (e->items[k]->line != e->line)
                problem(p, file, e, name, "event %s spans several lines", id->s);
        if (expect) {
            const sig_ynode *t = sig_ymap_get(e, "time");
            int64_t ticks;
            if (!str(t) || !sp_datetime_parse(t->s, t->len, &ticks))
                problem(p, file, e, name, "event %s has no valid \"time\"", id->s);
        }
    }
    const sig_ynode *match = sig_ymap_get(v, "match"), *matches = sig_ymap_get(v, "matches");
    if (match && id_list_ok(p, file, name, match, ids, nids)) {
        const sig_rule *only = NULL;
        size_t n = standalone_rules(s, &only);
        if (n != 1)
            problem(p, file, match, name, "'match' needs exactly one standalone rule, found %zu", n);
    }
    if (matches) {
        for (size_t i = 0; matches->kind == SIG_Y_MAP && i < matches->n; i++) {
            const sig_ynode *k = matches->items[2 * i];
            sig_kind kind;
            uint32_t idx;
            if (!sig_set_find(s, k->s, &kind, &idx) || kind != SIG_DOC_RULE ||
                !sig_set_rule(s, idx)->standalone)
                problem(p, file, k, name, "'%s' names no standalone detection rule", k->s);
            id_list_ok(p, file, name, matches->items[2 * i + 1], ids, nids);
        }
    }
    if (expect) {
        if (expect->kind != SIG_Y_SEQ) {
            problem(p, file, expect, name, "'expect' must be a list of outputs");
            return;
        }
        for (size_t i = 0; i < expect->n; i++) {
            const sig_ynode *o = expect->items[i];
            const char *rule = str(sig_ymap_get(o, "rule"));
            const sig_ynode *group = sig_ymap_get(o, "group"), *value = sig_ymap_get(o, "value");
            const char *start = str(sig_ymap_get(o, "start")), *end = str(sig_ymap_get(o, "end"));
            int64_t t0, t1;
            if (!rule || !names_corr(s, rule))
                problem(p, file, o, name, "output rule '%s' is no loaded correlation",
                        rule ? rule : "?");
            if (!group || group->kind != SIG_Y_MAP)
                problem(p, file, o, name, "output needs a group map");
            if (!start || !end || !sp_datetime_parse(start, strlen(start), &t0) ||
                !sp_datetime_parse(end, strlen(end), &t1) || t1 < t0)
                problem(p, file, o, name, "output needs start <= end datetimes");
            if (!value || (value->type != SIG_YT_INT && value->type != SIG_YT_FLOAT))
                problem(p, file, o, name, "output needs a numeric value");
            for (size_t k = 0; o->kind == SIG_Y_MAP && k < o->n; k++) {
                const char *key = o->items[2 * k]->s;
                if (strcmp(key, "rule") && strcmp(key, "group") && strcmp(key, "start") &&
                    strcmp(key, "end") && strcmp(key, "value") && strcmp(key, "value_of"))
                    problem(p, file, o, name, "unknown output key '%s'", key);
            }
        }
    }
}

static void check_vector(problems *p, const char *file, const sig_ynode *v)
{
    const char *name = str(sig_ymap_get(v, "name"));
    const sig_ynode *rule = sig_ymap_get(v, "rule");
    if (!name || !str(rule)) {
        problem(p, file, v, name, "a vector needs 'name' and 'rule'");
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        bool known = false;
        for (const char *const *k = vector_keys; *k; k++)
            known = known || !strcmp(*k, v->items[2 * i]->s);
        if (!known)
            problem(p, file, v->items[2 * i], name, "unknown vector key '%s'", v->items[2 * i]->s);
    }
    const char *error = str(sig_ymap_get(v, "error")), *at = str(sig_ymap_get(v, "at"));
    const char *warning = str(sig_ymap_get(v, "warning")), *program = str(sig_ymap_get(v, "program"));
    const sig_ynode *phn = sig_ymap_get(v, "placeholders");
    sig_placeholders *ph = NULL;
    if (phn) {
        sp_buf t = {0};
        placeholder_text(phn, &t);
        sp_diag d;
        if (sig_placeholders_parse("placeholders", sp_buf_cstr(&t), t.len, &ph, &d) != 0)
            problem(p, file, phn, name, "bad placeholders: %s", d.msg);
        sp_buf_free(&t);
    }
    sig_options o = {.placeholders = ph};
    sig_set *s = sig_set_new(&o);
    sig_set_load_text(s, name, rule->s, rule->len);
    sig_set_resolve(s);
    sig_stats st;
    sig_set_stats(s, &st);
    if (error) {
        if (!st.rejected)
            problem(p, file, v, name, "expected a rejection (%s) but everything loaded", error);
        else if (!has_diag(s, false, error, at))
            problem(p, file, v, name, "no error containing \"%s\"%s%s; got:\n%s", error,
                    at ? " at " : "", at ? at : "", ts_all_diags(s));
        if (sig_ymap_get(v, "events") || sig_ymap_get(v, "match") || sig_ymap_get(v, "expect"))
            problem(p, file, v, name, "a rejection vector has no events");
    } else {
        if (st.rejected || st.errors)
            problem(p, file, v, name, "expected to load, got:\n%s", ts_all_diags(s));
        if (warning && !has_diag(s, true, warning, at))
            problem(p, file, v, name, "no warning containing \"%s\"; got:\n%s", warning,
                    ts_all_diags(s));
        if (program) {
            const sig_rule *only = NULL;
            if (sig_set_count(s, SIG_DOC_RULE) != 1 || !(only = sig_set_rule(s, 0))) {
                problem(p, file, v, name, "'program' needs exactly one detection rule");
            } else {
                sp_buf b = {0};
                sig_expr_dump(&b, only->expr);
                if (strcmp(sp_buf_cstr(&b), program) != 0)
                    problem(p, file, v, name, "program\n  want %s\n  got  %s", program,
                            sp_buf_cstr(&b));
                sp_buf_free(&b);
            }
        }
        if (sig_ymap_get(v, "events"))
            check_events(p, file, name, v, s);
        else if (!warning)
            problem(p, file, v, name, "a vector has events, an error, or a warning");
    }
    sig_set_free(s);
    sig_placeholders_free(ph);
}

static void test_vector_file(void **state)
{
    const vfile *vf = *state;
    char path[256];
    snprintf(path, sizeof path, DIR "%s", vf->file);
    sp_buf text = {0};
    if (sp_read_file(path, &text) != 0)
        fail_msg("cannot read %s", path);
    sp_arena arena = {0};
    sig_yfile yf;
    sp_diag d;
    sig_reason why;
    if (sig_yaml_parse(&arena, path, sp_buf_cstr(&text), text.len, sp_limits.max_rule_depth, &yf,
                       &d, &why) != 0 ||
        yf.ndocs != 1 || yf.docs[0].bad)
        fail_msg("%s:%d:%d: %s", path, d.line, d.col, d.msg);
    const sig_ynode *vectors = sig_ymap_get(yf.docs[0].root, "vectors");
    assert_non_null(vectors);
    assert_int_equal(vectors->kind, SIG_Y_SEQ);
    problems p = {0};
    for (size_t i = 0; i < vectors->n; i++)
        check_vector(&p, vf->file, vectors->items[i]);
    if (vectors->n != vf->vectors)
        problem(&p, vf->file, vectors, NULL, "%zu vectors, the suite pins %zu", vectors->n,
                vf->vectors);
    sp_arena_free(&arena);
    sp_buf_free(&text);
    if (p.n) {
        fputs(sp_buf_cstr(&p.b), stderr);
        sp_buf_free(&p.b);
        fail_msg("%zu problem(s) in %s", p.n, vf->file);
    }
}

static void test_suite_has_at_least_250_vectors(void **st)
{
    (void)st;
    size_t total = 0;
    for (size_t i = 0; i < SP_ARRAY_LEN(files); i++)
        total += files[i].vectors;
    assert_true(total >= 250);
    assert_int_equal(total, 382);
}

int main(void)
{
    struct CMUnitTest tests[SP_ARRAY_LEN(files) + 1];
    for (size_t i = 0; i < SP_ARRAY_LEN(files); i++) {
        tests[i] = (struct CMUnitTest){files[i].file, test_vector_file, NULL, NULL,
                                       (void *)&files[i]};
    }
    tests[SP_ARRAY_LEN(files)] = (struct CMUnitTest)cmocka_unit_test(test_suite_has_at_least_250_vectors);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
