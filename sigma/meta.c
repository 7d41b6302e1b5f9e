/* meta.c — small helpers around the compiled documents: names, Sentinel severity and
 * ATT&CK mapping for alerts, the correlation timespan parser, and the stable text dumps of
 * the normalised program used by tests and `socpipe explain`.
 *
 * The dumps escape every byte outside printable ASCII as \xHH, so encoded values (UTF-16's
 * NULs, a byte order mark) are shown exactly rather than through a lossy UTF-8 repair.
 */
#include "sigma/sig_int.h"

#include <string.h>

const char *sig_kind_name(sig_kind k)
{
    return k == SIG_DOC_RULE ? "rule" : k == SIG_DOC_CORRELATION ? "correlation" : "filter";
}

const char *sig_vkind_name(sig_vkind k)
{
    static const char *const n[] = {"eq",  "prefix", "suffix", "contains", "glob",   "re",  "cidr",
                                    "num", "cmp",    "bool",   "null",     "exists", "fieldref"};
    return (size_t)k < SP_ARRAY_LEN(n) ? n[k] : "?";
}

const char *sig_level_name(sig_level l)
{
    static const char *const n[] = {"", "informational", "low", "medium", "high", "critical"};
    return (size_t)l < SP_ARRAY_LEN(n) ? n[l] : "";
}

const char *sig_status_name(sig_status s)
{
    static const char *const n[] = {"", "stable", "test", "experimental", "deprecated",
                                    "unsupported"};
    return (size_t)s < SP_ARRAY_LEN(n) ? n[s] : "";
}

/* Sentinel severities are Informational, Low, Medium, High; Sigma's critical has no
 * counterpart and maps to High. A rule without a level is Medium. */
const char *sig_level_severity(sig_level l)
{
    switch (l) {
    case SIG_LEVEL_INFORMATIONAL:
        return "Informational";
    case SIG_LEVEL_LOW:
        return "Low";
    case SIG_LEVEL_HIGH:
    case SIG_LEVEL_CRITICAL:
        return "High";
    case SIG_LEVEL_MEDIUM:
    case SIG_LEVEL_NONE:
        break;
    }
    return "Medium";
}

/* "credential-access" -> "CredentialAccess" (Sentinel's AlertTactic names). */
static const char *const tactic_names[][2] = {
    {"reconnaissance", "Reconnaissance"},
    {"resource-development", "ResourceDevelopment"},
    {"initial-access", "InitialAccess"},
    {"execution", "Execution"},
    {"persistence", "Persistence"},
    {"privilege-escalation", "PrivilegeEscalation"},
    {"defense-evasion", "DefenseEvasion"},
    {"stealth", "Stealth"},
    {"defense-impairment", "DefenseImpairment"},
    {"credential-access", "CredentialAccess"},
    {"discovery", "Discovery"},
    {"lateral-movement", "LateralMovement"},
    {"collection", "Collection"},
    {"command-and-control", "CommandAndControl"},
    {"exfiltration", "Exfiltration"},
    {"impact", "Impact"},
    {"inhibit-response-function", "InhibitResponseFunction"},
    {"impair-process-control", "ImpairProcessControl"},
};

bool sig_attack_tactic(const char *t)
{
    for (size_t k = 0; k < SP_ARRAY_LEN(tactic_names); k++)
        if (!strcmp(t, tactic_names[k][0]))
            return true;
    return false;
}

static bool listed(const char **v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], s))
            return true;
    return false;
}

/* attack.t1110 / attack.t1110.003 -> T1110 / T1110.003; anything else -> NULL. */
static const char *technique(sp_arena *a, const char *tag)
{
    if (strncmp(tag, "attack.t", 8) != 0)
        return NULL;
    const char *d = tag + 8;
    size_t k = 0;
    while (d[k] >= '0' && d[k] <= '9')
        k++;
    if (k != 4)
        return NULL;
    if (d[k] == '.') {
        size_t j = 1;
        while (d[k + j] >= '0' && d[k + j] <= '9')
            j++;
        if (j != 4 || d[k + j])
            return NULL;
    } else if (d[k]) {
        return NULL;
    }
    char *t = sig_strdup(a, tag + 7, strlen(tag + 7));
    t[0] = 'T';
    return t;
}

void sig_meta_attack(sp_arena *a, sig_meta *m)
{
    const char **tac = sp_arena_alloc(a, (m->tags.n + 1) * sizeof *tac);
    const char **tec = sp_arena_alloc(a, (m->tags.n + 1) * sizeof *tec);
    size_t nt = 0, ne = 0;
    for (size_t i = 0; i < m->tags.n; i++) {
        const char *t = m->tags.v[i];
        if (strncmp(t, "attack.", 7) != 0)
            continue;
        for (size_t k = 0; k < SP_ARRAY_LEN(tactic_names); k++)
            if (!strcmp(t + 7, tactic_names[k][0]) && !listed(tac, nt, tactic_names[k][1]))
                tac[nt++] = tactic_names[k][1];
        const char *tq = technique(a, t);
        if (tq && !listed(tec, ne, tq))
            tec[ne++] = tq;
    }
    m->tactics = (sig_strlist){tac, nt};
    m->techniques = (sig_strlist){tec, ne};
}

bool sig_timespan_parse(const char *s, size_t n, int64_t *ticks)
{
    if (n < 2)
        return false;
    int64_t unit;
    switch (s[n - 1]) {
    case 's':
        unit = SP_TICKS_PER_SEC;
        break;
    case 'm':
        unit = SP_TICKS_PER_MIN;
        break;
    case 'h':
        unit = SP_TICKS_PER_HOUR;
        break;
    case 'd':
        unit = SP_TICKS_PER_DAY;
        break;
    default:
        return false;
    }
    int64_t v = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (v > (INT64_MAX / unit - 9) / 10)
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v <= 0)
        return false;
    *ticks = v * unit;
    return true;
}

/* ---- dumps -------------------------------------------------------------------------------- */

static void quoted(sp_buf *o, const char *s, size_t n)
{
    sp_buf_putc(o, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            sp_buf_putc(o, '\\');
            sp_buf_putc(o, (char)c);
        } else if (c < 0x20 || c >= 0x7F) {
            sp_buf_printf(o, "\\x%02X", c);
        } else {
            sp_buf_putc(o, (char)c);
        }
    }
    sp_buf_putc(o, '"');
}

void sig_value_dump(sp_buf *o, const sig_value *v)
{
    static const char *const cmp[] = {"lt", "lte", "gt", "gte", "eq", "neq"};
    switch (v->kind) {
    case SIG_EQ:
    case SIG_PREFIX:
    case SIG_SUFFIX:
    case SIG_CONTAINS:
    case SIG_GLOB:
    case SIG_REGEX:
        sp_buf_printf(o, "%s ", sig_vkind_name(v->kind));
        quoted(o, v->text, v->len);
        break;
    case SIG_CIDR:
        sp_buf_printf(o, "cidr %s", v->text);
        break;
    case SIG_NUM_EQ:
        sp_buf_printf(o, "num %s", v->text);
        break;
    case SIG_NUM_CMP:
        sp_buf_printf(o, "%s %s", cmp[v->cmp], v->text);
        break;
    case SIG_BOOL_EQ:
        sp_buf_printf(o, "bool %s", v->b ? "true" : "false");
        break;
    case SIG_NULL:
        sp_buf_puts(o, "null");
        break;
    case SIG_EXISTS:
        sp_buf_printf(o, "exists %s", v->b ? "true" : "false");
        break;
    case SIG_FIELDREF:
        sp_buf_printf(o, "fieldref-%s %s", sig_vkind_name(v->ref_op), v->text);
        break;
    }
}

void sig_matcher_dump(sp_buf *o, const sig_matcher *m)
{
    static const char *const tp[] = {"", "minute", "hour", "day", "week", "month", "year"};
    sp_buf_puts(o, m->field ? m->field : "*");
    if (m->cased)
        sp_buf_puts(o, " cased");
    if (m->negate)
        sp_buf_puts(o, " neq");
    if (m->all)
        sp_buf_puts(o, " all");
    if (m->time_part)
        sp_buf_printf(o, " time=%s", tp[m->time_part]);
    if (m->re_flags)
        sp_buf_printf(o, " re=%s%s%s", m->re_flags & SIG_RE_I ? "i" : "",
                      m->re_flags & SIG_RE_M ? "m" : "", m->re_flags & SIG_RE_S ? "s" : "");
    sp_buf_putc(o, ':');
    for (uint32_t g = 0; g < m->ngroups; g++) {
        sp_buf_puts(o, " (");
        for (uint32_t i = 0; i < m->groups[g].n; i++) {
            if (i)
                sp_buf_puts(o, " | ");
            sig_value_dump(o, &m->groups[g].v[i]);
        }
        sp_buf_putc(o, ')');
    }
}

void sig_expr_dump(sp_buf *o, const sig_expr *e)
{
    if (e->kind == SIG_X_MATCH) {
        sp_buf_putc(o, '{');
        sig_matcher_dump(o, e->m);
        sp_buf_putc(o, '}');
        return;
    }
    sp_buf_puts(o, e->kind == SIG_X_AND ? "and(" : e->kind == SIG_X_OR ? "or(" : "not(");
    for (uint32_t i = 0; i < e->n; i++) {
        if (i)
            sp_buf_puts(o, ", ");
        sig_expr_dump(o, e->kids[i]);
    }
    sp_buf_putc(o, ')');
}

void sig_cond_dump(sp_buf *o, const sig_cond *c, const sig_detection *dets)
{
    switch (c->kind) {
    case SIG_C_ID:
        sp_buf_puts(o, c->name);
        return;
    case SIG_C_NOT:
        sp_buf_puts(o, "not(");
        sig_cond_dump(o, c->a, dets);
        sp_buf_putc(o, ')');
        return;
    case SIG_C_AND:
    case SIG_C_OR:
        sp_buf_puts(o, c->kind == SIG_C_AND ? "and(" : "or(");
        sig_cond_dump(o, c->a, dets);
        sp_buf_puts(o, ", ");
        sig_cond_dump(o, c->b, dets);
        sp_buf_putc(o, ')');
        return;
    case SIG_C_OF:
        sp_buf_printf(o, "%s of %s[",
                      c->quant == SIG_Q_ONE ? "1" : c->quant == SIG_Q_ANY ? "any" : "all", c->name);
        for (uint32_t i = 0; i < c->ndets; i++)
            sp_buf_printf(o, "%s%s", i ? "," : "", dets[c->dets[i]].name);
        sp_buf_putc(o, ']');
        return;
    }
}
