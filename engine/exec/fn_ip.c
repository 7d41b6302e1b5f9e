/* fn_ip.c — IPv4/IPv6 builtins: parse_ipv4(_mask), ipv4_netmask_suffix, format_ipv4,
 * ipv4_is_private, ipv4/ipv6 _is_in_range, _is_in_any_range, _is_match, _compare,
 * has_ipv4 and has_any_ipv4. Parsing lives in ip.c, shared with Sigma's `cidr`.
 *
 * Range lists (the *_any_* functions) come as extra string arguments, one dynamic array,
 * or a constant set (KX_SET, which the VM does not load into a register); constant lists
 * are parsed once in init.
 *
 * Kusto behaviours pinned here:
 *  - an address that does not parse gives null (false for has_ipv4/has_any_ipv4);
 *  - prefixes written on the addresses (`10.0.0.1/8`) and the optional prefix argument
 *    combine: the comparison uses the smallest of them;
 *  - ipv6_* functions accept IPv4 addresses as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), so
 *    ipv6_compare('::ffff:7f00:1', '127.0.0.1') == 0; an IPv4 prefix /n counts as /n+96;
 *  - has_ipv4 finds an address only as a whole token: not glued to letters, digits or
 *    further dotted parts (`54127.0.0.1` does not contain 127.0.0.1);
 *  - ipv4_is_private is true for 10/8, 172.16/12 and 192.168/16 (a network only when it
 *    lies inside one of them).
 */
#include "engine/exec/fn_util.h"
#include "engine/exec/ip.h"

#include <stdlib.h>
#include <string.h>

static uint32_t mask4(int prefix)
{
    return prefix <= 0 ? 0 : prefix >= 32 ? 0xFFFFFFFFu : ~(0xFFFFFFFFu >> prefix);
}

static bool parse4(const kval *v, uint32_t *addr, int *prefix)
{
    return kip_parse4(v->u.s.p, v->u.s.n, addr, prefix);
}

static void fn_parse_ipv4(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    uint32_t ip;
    int p;
    if (!parse4(&a[0], &ip, &p))
        kf_null(out, SP_TYPE_LONG);
    else
        kf_long(out, SP_TYPE_LONG, ip & mask4(p));
}

static void fn_parse_ipv4_mask(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    uint32_t ip;
    int p;
    if (!parse4(&a[0], &ip, &p) || a[1].null || a[1].u.l < 0 || a[1].u.l > 32)
        kf_null(out, SP_TYPE_LONG);
    else
        kf_long(out, SP_TYPE_LONG, ip & mask4(p) & mask4((int)a[1].u.l));
}

static void fn_ipv4_netmask_suffix(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    uint32_t ip;
    int p;
    if (!parse4(&a[0], &ip, &p))
        kf_null(out, SP_TYPE_LONG);
    else
        kf_long(out, SP_TYPE_LONG, p);
}

static void fn_format_ipv4(kfctx *c, kval *out, const kval *a, int n)
{
    uint32_t ip;
    int p = 32;
    bool ok;
    if (sp_type_is_text(a[0].type)) {
        ok = a[0].type != SP_TYPE_DYNAMIC && parse4(&a[0], &ip, &p);
    } else {
        int64_t v;
        ok = kf_long_of(&a[0], &v) && v >= 0 && v <= 0xFFFFFFFFLL;
        ip = (uint32_t)v;
    }
    if (ok && n > 1) {
        ok = !a[1].null && a[1].u.l >= 0 && a[1].u.l <= 32;
        if (ok && a[1].u.l < p)
            p = (int)a[1].u.l;
    }
    if (!ok) {
        kf_str(c, out, SP_TYPE_STRING, "", 0);
        return;
    }
    char buf[16];
    int len = kip_format4(ip & mask4(p), buf);
    kf_str(c, out, SP_TYPE_STRING, buf, (size_t)len);
}

static void fn_ipv4_is_private(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    static const struct {
        uint32_t net;
        int prefix;
    } priv[] = {{0x0A000000u, 8}, {0xAC100000u, 12}, {0xC0A80000u, 16}};
    uint32_t ip;
    int p;
    if (!parse4(&a[0], &ip, &p)) {
        kf_null(out, SP_TYPE_BOOL);
        return;
    }
    for (size_t i = 0; i < SP_ARRAY_LEN(priv); i++)
        if (p >= priv[i].prefix && (ip & mask4(priv[i].prefix)) == priv[i].net) {
            kf_bool(out, true);
            return;
        }
    kf_bool(out, false);
}

/* ipv4_is_match / ipv4_compare: both addresses masked by the smallest prefix. */
static void fn_ipv4_cmp(kfctx *c, kval *out, const kval *a, int n)
{
    bool is_cmp = c->call->fn == KB_ipv4_compare;
    sp_type rt = is_cmp ? SP_TYPE_LONG : SP_TYPE_BOOL;
    uint32_t x, y;
    int px, py;
    if (!parse4(&a[0], &x, &px) || !parse4(&a[1], &y, &py) || (n > 2 && (a[2].null || a[2].u.l < 0 || a[2].u.l > 32))) {
        kf_null(out, rt);
        return;
    }
    int p = SP_MIN(px, py);
    if (n > 2 && a[2].u.l < p)
        p = (int)a[2].u.l;
    uint32_t m = mask4(p);
    x &= m;
    y &= m;
    if (is_cmp)
        kf_long(out, rt, (x > y) - (x < y));
    else
        kf_bool(out, x == y);
}

static void fn_ipv6_cmp(kfctx *c, kval *out, const kval *a, int n)
{
    bool is_cmp = c->call->fn == KB_ipv6_compare;
    sp_type rt = is_cmp ? SP_TYPE_LONG : SP_TYPE_BOOL;
    kip x, y;
    if (!kip_parse(a[0].u.s.p, a[0].u.s.n, &x) || !kip_parse(a[1].u.s.p, a[1].u.s.n, &y) ||
        (n > 2 && (a[2].null || a[2].u.l < 0 || a[2].u.l > 128))) {
        kf_null(out, rt);
        return;
    }
    int p = SP_MIN(x.prefix, y.prefix);
    if (n > 2 && a[2].u.l < p)
        p = (int)a[2].u.l;
    int r = kip_cmp(x.a, y.a, p);
    if (is_cmp)
        kf_long(out, rt, r);
    else
        kf_bool(out, r == 0);
}

static void fn_is_in_range(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    bool v4 = c->call->fn == KB_ipv4_is_in_range;
    kip ip, net;
    if (!kip_parse(a[0].u.s.p, a[0].u.s.n, &ip) || !kip_parse(a[1].u.s.p, a[1].u.s.n, &net) || (v4 && (!ip.v4 || !net.v4))) {
        kf_null(out, SP_TYPE_BOOL);
        return;
    }
    kf_bool(out, kip_in(&ip, &net));
}

/* ---- range lists ---- */

typedef struct ranges {
    kip *nets;
    int n;
    bool bad;   /* a range that does not parse */
    bool fixed; /* parsed once in init */
} ranges;

static void ranges_add(ranges *r, kstr s, bool v4, sp_arena *a, int *cap)
{
    if (r->n == *cap) {
        int nc = *cap ? *cap * 2 : 8;
        kip *nn = sp_arena_alloc(a, sizeof(kip) * (size_t)nc);
        if (r->n)
            memcpy(nn, r->nets, sizeof(kip) * (size_t)r->n);
        r->nets = nn;
        *cap = nc;
    }
    kip k;
    if (!kip_parse(s.p, s.n, &k) || (v4 && !k.v4)) {
        r->bad = true;
        return;
    }
    r->nets[r->n++] = k;
}

/* Collects the ranges from values (strings, or one dynamic array of strings). */
static void ranges_from(ranges *r, const kval *vals, int nvals, bool v4, sp_arena *a)
{
    int cap = 0;
    for (int i = 0; i < nvals; i++) {
        const kval *v = &vals[i];
        if (v->type == SP_TYPE_DYNAMIC) {
            kj_iter it;
            kstr e;
            if (v->null)
                continue;
            if (!kj_arr_begin(v->u.s, &it)) {
                if (kj_typeof(v->u.s) == KJ_STRING) {
                    kval s;
                    kj_to_scalar(v->u.s, SP_TYPE_STRING, a, &s);
                    ranges_add(r, s.u.s, v4, a, &cap);
                } else
                    r->bad = true;
                continue;
            }
            while (kj_arr_next(&it, &e)) {
                kval s;
                kj_to_scalar(e, SP_TYPE_STRING, a, &s);
                ranges_add(r, s.u.s, v4, a, &cap);
            }
        } else if (sp_type_is_text(v->type)) {
            ranges_add(r, v->u.s, v4, a, &cap);
        } else {
            r->bad = true;
        }
    }
}

typedef struct ranges_state {
    ranges r;
    sp_arena arena;
} ranges_state;

static int ranges_init(kfctx *c, const kx *call, void **state)
{
    (void)c;
    ranges_state *st = sp_xcalloc(1, sizeof *st);
    *state = st;
    bool v4 = call->fn == KB_ipv4_is_in_any_range || call->fn == KB_has_any_ipv4;
    if (call->nargs == 2 && call->args[1]->kind == KX_SET) {
        ranges_from(&st->r, call->args[1]->set, call->args[1]->nset, v4, &st->arena);
        st->r.fixed = true;
        return 0;
    }
    for (int i = 1; i < call->nargs; i++)
        if (call->args[i]->kind != KX_CONST)
            return 0;
    kval *vals = sp_arena_alloc(&st->arena, sizeof(kval) * (size_t)call->nargs);
    for (int i = 1; i < call->nargs; i++)
        vals[i - 1] = call->args[i]->value;
    ranges_from(&st->r, vals, call->nargs - 1, v4, &st->arena);
    st->r.fixed = true;
    return 0;
}

static void ranges_free(void *p)
{
    ranges_state *st = p;
    sp_arena_free(&st->arena);
    free(st);
}

static ranges row_ranges(kfctx *c, const kval *a, int n, bool v4)
{
    ranges_state *st = c->state;
    if (st->r.fixed)
        return st->r;
    ranges r = {0};
    ranges_from(&r, a + 1, n - 1, v4, c->arena);
    return r;
}

static void fn_is_in_any_range(kfctx *c, kval *out, const kval *a, int n)
{
    bool v4 = c->call->fn == KB_ipv4_is_in_any_range;
    kip ip;
    ranges r = row_ranges(c, a, n, v4);
    if (!kip_parse(a[0].u.s.p, a[0].u.s.n, &ip) || (v4 && !ip.v4) || r.bad) {
        kf_null(out, SP_TYPE_BOOL);
        return;
    }
    for (int i = 0; i < r.n; i++)
        if (kip_in(&ip, &r.nets[i])) {
            kf_bool(out, true);
            return;
        }
    kf_bool(out, false);
}

/* A character that makes digits next to it part of a larger token: letters, '_',
 * non-ASCII, and (before the address) a dot. */
static bool ip_glue(unsigned char ch, bool before)
{
    return ((ch | 32) >= 'a' && (ch | 32) <= 'z') || ch == '_' || ch >= 0x80 || (before && ch == '.');
}

/* True when some whole IPv4 token of text lies in one of the ranges. */
static bool scan_ipv4_tokens(kstr text, const ranges *r)
{
    const char *s = text.p;
    size_t n = text.n;
    for (size_t i = 0; i < n;) {
        unsigned char ch = (unsigned char)s[i];
        if (!(ch >= '0' && ch <= '9')) {
            i++;
            continue;
        }
        size_t st = i;
        while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
            i++;
        size_t en = i;
        bool before_ok = st == 0 || !ip_glue((unsigned char)s[st - 1], true);
        bool after_ok = en == n || !ip_glue((unsigned char)s[en], false);
        while (en > st && s[en - 1] == '.') /* a sentence's full stop is not part of it */
            en--;
        uint32_t v;
        int p;
        if (!before_ok || !after_ok || !kip_parse4(s + st, en - st, &v, &p))
            continue;
        kip ip;
        kip_from4(v, 32, &ip);
        for (int k = 0; k < r->n; k++)
            if (kip_in(&ip, &r->nets[k]))
                return true;
    }
    return false;
}

static void fn_has_any_ipv4(kfctx *c, kval *out, const kval *a, int n)
{
    ranges r = row_ranges(c, a, n, true);
    kf_bool(out, r.n > 0 && scan_ipv4_tokens(a[0].u.s, &r));
}

static void fn_has_ipv4(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    uint32_t v;
    int p;
    if (!kip_parse4(a[1].u.s.p, a[1].u.s.n, &v, &p) || p != 32) {
        kf_bool(out, false);
        return;
    }
    kip net;
    kip_from4(v, 32, &net);
    ranges r = {.nets = &net, .n = 1};
    kf_bool(out, scan_ipv4_tokens(a[0].u.s, &r));
}

#define SCALAR(id, fn) {KB_##id, {.scalar = fn, .dict_ok = true}}
#define STATEFUL(id, fn, ini, fre) {KB_##id, {.scalar = fn, .init = ini, .free = fre, .dict_ok = true}}

const kfn_reg kfn_ip[] = {
    SCALAR(parse_ipv4, fn_parse_ipv4),
    SCALAR(parse_ipv4_mask, fn_parse_ipv4_mask),
    SCALAR(ipv4_netmask_suffix, fn_ipv4_netmask_suffix),
    SCALAR(format_ipv4, fn_format_ipv4),
    SCALAR(ipv4_is_private, fn_ipv4_is_private),
    SCALAR(ipv4_is_in_range, fn_is_in_range),
    SCALAR(ipv6_is_in_range, fn_is_in_range),
    STATEFUL(ipv4_is_in_any_range, fn_is_in_any_range, ranges_init, ranges_free),
    STATEFUL(ipv6_is_in_any_range, fn_is_in_any_range, ranges_init, ranges_free),
    SCALAR(ipv4_is_match, fn_ipv4_cmp),
    SCALAR(ipv4_compare, fn_ipv4_cmp),
    SCALAR(ipv6_is_match, fn_ipv6_cmp),
    SCALAR(ipv6_compare, fn_ipv6_cmp),
    SCALAR(has_ipv4, fn_has_ipv4),
    STATEFUL(has_any_ipv4, fn_has_any_ipv4, ranges_init, ranges_free),
    {(kb_id)-1, {0}},
};
