/* fn_sigma.c — the matchers Sigma modifiers lower to that KQL has no single operator for:
 * $glob (a value with inner `*`/`?` wildcards) and $cidr (the `cidr` modifier). Both are
 * pure, so they run once per dictionary entry like any other predicate.
 *
 * $glob(text, pattern [, cased]): anchored; `*` is any run of characters, `?` exactly one
 * character (one UTF-8 code point); `\*`, `\?` and `\\` are literal, a backslash before
 * anything else is itself (Sigma specification, escaping). Case-insensitive unless cased,
 * with the simple case folding of kf_lower_cp (ASCII, Latin-1, Latin Extended-A, Greek,
 * Cyrillic).
 *
 * $cidr(text, network): the text is an IPv4 or IPv6 address (IPv4 also as IPv4-mapped
 * IPv6) inside the network; anything that is not an address is false. A constant network
 * is parsed once.
 */
#include "engine/exec/fn_util.h"
#include "engine/exec/ip.h"

#include <stdlib.h>
#include <string.h>

/* Reads one pattern element at *i: returns 0 for a literal (code point in *cp), '*' or '?'. */
static int glob_elem(const char *p, size_t n, size_t *i, uint32_t *cp)
{
    char ch = p[*i];
    if (ch == '*' || ch == '?') {
        (*i)++;
        return ch;
    }
    if (ch == '\\' && *i + 1 < n && (p[*i + 1] == '*' || p[*i + 1] == '?' || p[*i + 1] == '\\')) {
        *cp = (unsigned char)p[*i + 1];
        *i += 2;
        return 0;
    }
    *cp = kf_utf8_next(p, n, i);
    return 0;
}

static bool glob_match(const char *s, size_t sn, const char *p, size_t pn, bool cased)
{
    size_t si = 0, pi = 0;
    size_t star_p = SIZE_MAX, star_s = 0;
    while (si < sn) {
        if (pi < pn) {
            size_t npi = pi;
            uint32_t pc = 0;
            int k = glob_elem(p, pn, &npi, &pc);
            if (k == '*') {
                star_p = npi;
                star_s = si;
                pi = npi;
                continue;
            }
            size_t nsi = si;
            uint32_t sc = kf_utf8_next(s, sn, &nsi);
            if (k == '?' || sc == pc || (!cased && kf_lower_cp(sc) == kf_lower_cp(pc))) {
                si = nsi;
                pi = npi;
                continue;
            }
        }
        if (star_p == SIZE_MAX)
            return false;
        kf_utf8_next(s, sn, &star_s); /* the star takes one more character */
        si = star_s;
        pi = star_p;
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

static void fn_glob(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    bool cased = n > 2 && !a[2].null && a[2].u.b;
    if (a[0].null) {
        kf_bool(out, false);
        return;
    }
    kf_bool(out, glob_match(a[0].u.s.p, a[0].u.s.n, a[1].u.s.p, a[1].u.s.n, cased));
}

typedef struct cidr_state {
    kip net;
    bool fixed, valid;
} cidr_state;

static int cidr_init(kfctx *c, const kx *call, void **state)
{
    cidr_state *st = sp_xcalloc(1, sizeof *st);
    *state = st;
    const kx *net = call->args[1];
    if (net->kind == KX_CONST && sp_type_is_text(net->value.type)) {
        st->fixed = true;
        st->valid = kip_parse(net->value.u.s.p, net->value.u.s.n, &st->net);
        if (!st->valid)
            return kexec_fail(c->ex, net->line, net->col, "not an IPv4 or IPv6 network: '%.*s'", (int)net->value.u.s.n,
                              net->value.u.s.p);
    }
    return 0;
}

static void cidr_free(void *p)
{
    free(p);
}

static void fn_cidr(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    cidr_state *st = c->state;
    kip net, ip;
    if (st->fixed)
        net = st->net;
    else if (!kip_parse(a[1].u.s.p, a[1].u.s.n, &net)) {
        kf_bool(out, false);
        return;
    }
    if (a[0].null || !kip_parse(a[0].u.s.p, a[0].u.s.n, &ip) || ip.prefix != 128 ||
        memchr(a[0].u.s.p, '/', a[0].u.s.n)) {
        kf_bool(out, false);
        return;
    }
    kf_bool(out, kip_in(&ip, &net));
}

const kfn_reg kfn_sigma[] = {
    {KB_glob_match, {.scalar = fn_glob, .dict_ok = true}},
    {KB_cidr_match, {.scalar = fn_cidr, .init = cidr_init, .free = cidr_free, .dict_ok = true}},
    {(kb_id)-1, {0}},
};
