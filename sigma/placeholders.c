/* placeholders.c — the placeholder configuration behind `|expand`.
 *
 * The specification leaves placeholder values to the tool ("must be handled appropriately
 * ... if the tool isn't able to handle placeholders, it must reject the rule"). socpipe takes
 * them from a small YAML file, name -> value or list of values, so a deployment states its
 * tenant ids, approved users or known locations once; a rule that uses a placeholder the
 * file does not define is rejected. Values are Sigma strings, so a value may carry
 * wildcards (e.g. a UPN suffix `*@contoso.com`).
 */
#include "sigma/sig_int.h"

#include <errno.h>
#include <string.h>

struct sig_placeholders {
    sp_arena arena;
    size_t n;
    const char **names;
    sig_strlist *values;
};

static int ph_error(sp_diag *d, const char *name, const sig_ynode *n, const char *text,
                    size_t len, const char *fmt, ...) SP_PRINTF(6, 7);

static int ph_error(sp_diag *d, const char *name, const sig_ynode *n, const char *text,
                    size_t len, const char *fmt, ...)
{
    memset(d, 0, sizeof *d);
    d->span = 1;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sp_diag_set(d, name, n ? n->line : 0, n ? n->col : 0, "%s", msg);
    if (n)
        sp_diag_attach_source(d, text, len);
    return -1;
}

static bool scalar_text(const sig_ynode *v)
{
    return v->kind == SIG_Y_SCALAR && v->type != SIG_YT_NULL;
}

int sig_placeholders_parse(const char *name, const char *text, size_t len, sig_placeholders **out,
                           sp_diag *d)
{
    *out = NULL;
    sig_placeholders *p = sp_xcalloc(1, sizeof *p);
    sig_yfile f;
    sig_reason reason;
    if (sig_yaml_parse(&p->arena, name, text, len, sp_limits.max_rule_depth, &f, d, &reason)) {
        sp_diag_attach_source(d, text, len);
        sig_placeholders_free(p);
        return -1;
    }
    const sig_ynode *root = f.ndocs == 1 ? f.docs[0].root : NULL;
    if (f.ndocs == 1 && f.docs[0].bad) {
        *d = f.docs[0].diag;
        snprintf(d->file, sizeof d->file, "%s", name);
        sp_diag_attach_source(d, text, len);
        sig_placeholders_free(p);
        return -1;
    }
    if (!root || root->kind != SIG_Y_MAP) {
        int rc = ph_error(d, name, root, text, len, "%s",
                          "a placeholder file is one YAML map: name -> value or list of values");
        sig_placeholders_free(p);
        return rc;
    }
    p->n = root->n;
    p->names = sp_arena_alloc(&p->arena, (root->n + 1) * sizeof *p->names);
    p->values = sp_arena_calloc(&p->arena, (root->n + 1) * sizeof *p->values);
    for (size_t i = 0; i < root->n; i++) {
        const sig_ynode *k = root->items[2 * i], *v = root->items[2 * i + 1];
        p->names[i] = k->s;
        size_t nv = v->kind == SIG_Y_SEQ ? v->n : 1;
        const char **vals = sp_arena_alloc(&p->arena, (nv + 1) * sizeof *vals);
        if (v->kind == SIG_Y_SEQ && v->n == 0) {
            int rc = ph_error(d, name, v, text, len, "placeholder '%s' has no values", k->s);
            sig_placeholders_free(p);
            return rc;
        }
        for (size_t j = 0; j < nv; j++) {
            const sig_ynode *e = v->kind == SIG_Y_SEQ ? v->items[j] : v;
            if (!scalar_text(e)) {
                int rc = ph_error(d, name, e, text, len,
                                  "placeholder '%s': values must be strings or numbers", k->s);
                sig_placeholders_free(p);
                return rc;
            }
            vals[j] = e->s;
        }
        p->values[i].v = vals;
        p->values[i].n = nv;
    }
    *out = p;
    return 0;
}

int sig_placeholders_load(const char *path, sig_placeholders **out, sp_diag *d)
{
    sp_buf b = {0};
    if (sp_read_file(path, &b) != 0) {
        memset(d, 0, sizeof *d);
        d->span = 1;
        sp_diag_set(d, path, 0, 0, "cannot read placeholder file: %s", strerror(errno));
        sp_buf_free(&b);
        *out = NULL;
        return -1;
    }
    /* names and values are copied into the configuration's arena: the text can go */
    int rc = sig_placeholders_parse(path, sp_buf_cstr(&b), b.len, out, d);
    sp_buf_free(&b);
    return rc;
}

void sig_placeholders_free(sig_placeholders *p)
{
    if (!p)
        return;
    sp_arena_free(&p->arena);
    free(p);
}

const sig_strlist *sig_placeholders_get(const sig_placeholders *p, const char *name, size_t n)
{
    if (!p)
        return NULL;
    for (size_t i = 0; i < p->n; i++)
        if (strlen(p->names[i]) == n && !memcmp(p->names[i], name, n))
            return &p->values[i];
    return NULL;
}
