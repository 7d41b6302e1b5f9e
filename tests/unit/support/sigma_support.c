/* sigma_support.c — see sigma_support.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sigma_support.h"

static char ring[8][16384];
static int ring_at;

static char *slot(void)
{
    ring_at = (ring_at + 1) % 8;
    ring[ring_at][0] = 0;
    return ring[ring_at];
}

static const char *keep(sp_buf *b)
{
    char *s = slot();
    snprintf(s, sizeof ring[0], "%s", sp_buf_cstr(b));
    sp_buf_free(b);
    return s;
}

sig_set *ts_load_opts(const char *yaml, const char *ph_yaml, bool strict)
{
    static sig_placeholders *ph;
    sig_placeholders_free(ph);
    ph = NULL;
    if (ph_yaml) {
        sp_diag d;
        if (sig_placeholders_parse("placeholders.yml", ph_yaml, strlen(ph_yaml), &ph, &d) != 0)
            fail_msg("placeholder config: %s", d.msg);
    }
    sig_options o = {.placeholders = ph, .strict = strict};
    sig_set *s = sig_set_new(&o);
    sig_set_load_text(s, "rule.yml", yaml, strlen(yaml));
    sig_set_resolve(s);
    return s;
}

sig_set *ts_load(const char *yaml)
{
    return ts_load_opts(yaml, NULL, false);
}

sig_set *ts_load_many(const char *const *texts)
{
    sig_set *s = sig_set_new(NULL);
    for (int i = 0; texts[i]; i++) {
        char name[32];
        snprintf(name, sizeof name, "rule%d.yml", i + 1);
        sig_set_load_text(s, name, texts[i], strlen(texts[i]));
    }
    sig_set_resolve(s);
    return s;
}

const char *ts_diag(const sig_set *s, size_t i)
{
    char *o = slot();
    const sig_diag *d = sig_set_diag(s, i);
    if (d)
        snprintf(o, sizeof ring[0], "%s:%d:%d: %s%s", d->d.file, d->d.line, d->d.col,
                 d->d.is_warning ? "warning: " : "", d->d.msg);
    return o;
}

const char *ts_error(const sig_set *s, size_t n)
{
    for (size_t i = 0; i < sig_set_ndiags(s); i++)
        if (!sig_set_diag(s, i)->d.is_warning && n-- == 0)
            return ts_diag(s, i);
    return "";
}

size_t ts_errors(const sig_set *s)
{
    sig_stats st;
    sig_set_stats(s, &st);
    return st.errors;
}

const char *ts_all_diags(const sig_set *s)
{
    sp_buf b = {0};
    for (size_t i = 0; i < sig_set_ndiags(s); i++)
        sp_buf_printf(&b, "%s\n", ts_diag(s, i));
    return keep(&b);
}

const char *ts_expr(const sig_set *s, size_t rule)
{
    const sig_rule *r = sig_set_rule(s, rule);
    if (!r)
        fail_msg("no rule %zu loaded; diagnostics:\n%s", rule, ts_all_diags(s));
    sp_buf b = {0};
    sig_expr_dump(&b, r->expr);
    return keep(&b);
}

const char *ts_matcher(const sig_set *s, size_t rule)
{
    const sig_rule *r = sig_set_rule(s, rule);
    if (!r)
        fail_msg("no rule %zu loaded; diagnostics:\n%s", rule, ts_all_diags(s));
    if (r->expr->kind != SIG_X_MATCH)
        fail_msg("rule %zu is not a single matcher", rule);
    sp_buf b = {0};
    sig_matcher_dump(&b, r->expr->m);
    return keep(&b);
}

const char *ts_compile(const char *yaml)
{
    sig_set *s = ts_load(yaml);
    if (ts_errors(s))
        fail_msg("unexpected errors:\n%s", ts_all_diags(s));
    const char *m = ts_matcher(s, 0);
    sig_set_free(s);
    return m;
}

const char *ts_reject(const char *yaml)
{
    sig_set *s = ts_load(yaml);
    sig_stats st;
    sig_set_stats(s, &st);
    if (!st.rejected)
        fail_msg("expected a rejection; diagnostics:\n%s", ts_all_diags(s));
    const char *r = "";
    for (size_t i = 0; i < sig_set_ndiags(s); i++)
        if (!sig_set_diag(s, i)->d.is_warning) {
            r = ts_diag(s, i);
            break;
        }
    sig_set_free(s);
    return r;
}

sig_mapping *ts_mapping(const char *override_yaml)
{
    sig_mapping *m;
    sp_diag d;
    if (sig_mapping_load("sigma/mappings/microsoft.yml", &m, &d) != 0)
        fail_msg("%s:%d:%d: %s", d.file, d.line, d.col, d.msg);
    if (!override_yaml)
        return m;
    char path[] = "/tmp/sp_mapping_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        fail_msg("mkstemp failed");
    size_t n = strlen(override_yaml);
    if (write(fd, override_yaml, n) != (ssize_t)n)
        fail_msg("cannot write %s", path);
    close(fd);
    int rc = sig_mapping_extend(m, path, &d);
    unlink(path);
    if (rc != 0)
        fail_msg("override mapping: %d:%d: %s", d.line, d.col, d.msg);
    return m;
}
