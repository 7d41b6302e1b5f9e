/* fn_number.c — numeric builtins: round/abs/ceiling (result type follows the argument,
 * as the binder chose it), the real math functions with Kusto's null-for-out-of-domain
 * rule, max_of/min_of over mixed arguments, the nan/inf tests, rand, the binary_*
 * bit operations and tohex.
 *
 * Kusto behaviours pinned here:
 *  - round(x, p) rounds half away from zero at p decimal digits (negative p rounds to
 *    tens, hundreds, ...): round(2.15, 1) == 2.2, round(-50.55, -2) == -100;
 *  - sqrt of a negative, log/log10/log2 of a non-positive number are null;
 *  - max_of/min_of ignore null arguments and are null only when all are;
 *  - binary_shift_* shift by the count modulo 64, like .NET's long shifts;
 *  - tohex writes lowercase two's complement of the 64-bit value, zero-padded to the
 *    optional minimum length.
 */
#include "engine/exec/fn_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool any_null(const kval *a, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i].null)
            return true;
    return false;
}

static double pow10i(int64_t p)
{
    return pow(10.0, (double)p);
}

static void fn_round(kfctx *c, kval *out, const kval *a, int n)
{
    sp_type rt = c->call->type;
    int64_t prec = 0;
    if (a[0].null || (n > 1 && a[1].null)) {
        kf_null(out, rt);
        return;
    }
    if (n > 1)
        prec = a[1].u.l;
    if (rt == SP_TYPE_REAL) {
        double x = kf_real_of(&a[0]);
        if (!isfinite(x) || prec > 308) {
            kf_real(out, x);
            return;
        }
        if (prec < -308) {
            kf_real(out, 0.0);
            return;
        }
        double r;
        if (prec == 0)
            r = round(x);
        else if (prec > 0) {
            double s = pow10i(prec);
            double y = x * s;
            r = isfinite(y) ? round(y) / s : x;
        } else {
            double s = pow10i(-prec);
            r = round(x / s) * s;
        }
        kf_real(out, r);
        return;
    }
    int64_t x = a[0].u.l;
    if (prec >= 0) {
        kf_long(out, rt, x);
        return;
    }
    if (prec < -18) {
        kf_long(out, rt, 0);
        return;
    }
    int64_t s = 1;
    for (int64_t i = 0; i < -prec; i++)
        s *= 10;
    int64_t q = x / s, r = x % s;
    if (r >= 0 ? r * 2 >= s : -r * 2 >= s)
        q += x < 0 ? -1 : 1;
    kf_long(out, rt, (int64_t)((uint64_t)q * (uint64_t)s));
}

static void fn_abs(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    sp_type rt = c->call->type;
    if (a[0].null) {
        kf_null(out, rt);
        return;
    }
    if (rt == SP_TYPE_REAL)
        kf_real(out, fabs(kf_real_of(&a[0])));
    else
        kf_long(out, rt, a[0].u.l < 0 ? (int64_t)(0 - (uint64_t)a[0].u.l) : a[0].u.l);
}

static void fn_ceiling(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    sp_type rt = c->call->type;
    if (a[0].null)
        kf_null(out, rt);
    else if (rt == SP_TYPE_REAL)
        kf_real(out, ceil(kf_real_of(&a[0])));
    else
        kf_long(out, rt, a[0].u.l);
}

/* sqrt, log, log10, log2, exp, pow */
static void fn_math(kfctx *c, kval *out, const kval *a, int n)
{
    if (any_null(a, n)) {
        kf_null(out, SP_TYPE_REAL);
        return;
    }
    double x = kf_real_of(&a[0]), r;
    switch (c->call->fn) {
    case KB_sqrt:
        if (x < 0) {
            kf_null(out, SP_TYPE_REAL);
            return;
        }
        r = sqrt(x);
        break;
    case KB_log:
    case KB_log10:
    case KB_log2:
        if (!(x > 0)) {
            kf_null(out, SP_TYPE_REAL);
            return;
        }
        r = c->call->fn == KB_log ? log(x) : c->call->fn == KB_log10 ? log10(x) : log2(x);
        break;
    case KB_exp: r = exp(x); break;
    case KB_pow: r = pow(x, kf_real_of(&a[1])); break;
    default: kf_null(out, SP_TYPE_REAL); return;
    }
    kf_real(out, r);
}

/* geo_distance_2points(lon1, lat1, lon2, lat2): metres along a great circle of the sphere
 * Kusto measures on (S2's Earth radius, 6371010 m; the haversine form keeps short
 * distances exact). Null when an argument is null or outside [-180, 180] / [-90, 90]. */
static void fn_geo_distance(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    if (any_null(a, n)) {
        kf_null(out, SP_TYPE_REAL);
        return;
    }
    double lon1 = kf_real_of(&a[0]), lat1 = kf_real_of(&a[1]), lon2 = kf_real_of(&a[2]), lat2 = kf_real_of(&a[3]);
    if (!(lon1 >= -180 && lon1 <= 180 && lon2 >= -180 && lon2 <= 180 && lat1 >= -90 && lat1 <= 90 && lat2 >= -90 &&
          lat2 <= 90)) {
        kf_null(out, SP_TYPE_REAL);
        return;
    }
    const double rad = 3.14159265358979323846 / 180.0, earth = 6371010.0;
    double p1 = lat1 * rad, p2 = lat2 * rad, dp = p2 - p1, dl = (lon2 - lon1) * rad;
    double h = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
    kf_real(out, 2 * earth * asin(sqrt(SP_MIN(h, 1.0))));
}

/* Orders two non-null values of possibly different types (the binder normally unifies
 * them; numbers of different widths compare by value). */
static int cmp_any(const kval *x, const kval *y)
{
    if (sp_type_is_text(x->type) && sp_type_is_text(y->type)) {
        uint32_t m = SP_MIN(x->u.s.n, y->u.s.n);
        int r = m ? memcmp(x->u.s.p, y->u.s.p, m) : 0;
        return r ? (r < 0 ? -1 : 1) : (x->u.s.n > y->u.s.n) - (x->u.s.n < y->u.s.n);
    }
    if (x->type == SP_TYPE_REAL || y->type == SP_TYPE_REAL) {
        double p = kf_real_of(x), q = kf_real_of(y);
        return (p > q) - (p < q);
    }
    int64_t p = x->type == SP_TYPE_BOOL ? x->u.b : x->u.l, q = y->type == SP_TYPE_BOOL ? y->u.b : y->u.l;
    return (p > q) - (p < q);
}

static void fn_max_min(kfctx *c, kval *out, const kval *a, int n)
{
    sp_type rt = c->call->type;
    bool want_max = c->call->fn == KB_max_of;
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (a[i].null || (a[i].type == SP_TYPE_REAL && isnan(a[i].u.r)))
            continue;
        if (sp_type_is_text(a[i].type) && !sp_type_is_text(rt) && a[i].u.s.n == 0)
            continue; /* an empty string where a number is wanted is a null */
        if (best < 0) {
            best = i;
            continue;
        }
        int r = cmp_any(&a[i], &a[best]);
        if (want_max ? r > 0 : r < 0)
            best = i;
    }
    if (best < 0) {
        kf_null(out, rt);
        return;
    }
    kval_convert(&a[best], rt, c->arena, out);
}

static void fn_isnan(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    if (a[0].null) {
        kf_bool(out, false);
        return;
    }
    double x = kf_real_of(&a[0]);
    switch (c->call->fn) {
    case KB_isnan: kf_bool(out, isnan(x)); break;
    case KB_isinf: kf_bool(out, isinf(x)); break;
    default: kf_bool(out, isfinite(x)); break;
    }
}

/* rand: one xorshift state per call site, seeded from the clock and the site. */
typedef struct rand_state {
    uint64_t s;
} rand_state;

static int rand_init(kfctx *c, const kx *call, void **state)
{
    (void)c;
    rand_state *st = sp_xcalloc(1, sizeof *st);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    st->s = sp_hash_mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)call) | 1;
    *state = st;
    return 0;
}

static void rand_free(void *p)
{
    free(p);
}

static void fn_rand(kfctx *c, kval *out, const kval *a, int n)
{
    rand_state *st = c->state;
    uint64_t x = st->s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    st->s = x;
    double u = (double)(x >> 11) * (1.0 / 9007199254740992.0); /* [0, 1) */
    if (n > 0) {
        if (a[0].null || a[0].u.l <= 0) {
            kf_null(out, SP_TYPE_REAL);
            return;
        }
        kf_real(out, floor(u * (double)a[0].u.l));
        return;
    }
    kf_real(out, u);
}

static void fn_binary(kfctx *c, kval *out, const kval *a, int n)
{
    if (any_null(a, n)) {
        kf_null(out, SP_TYPE_LONG);
        return;
    }
    uint64_t x = (uint64_t)a[0].u.l, y = n > 1 ? (uint64_t)a[1].u.l : 0;
    uint64_t r;
    switch (c->call->fn) {
    case KB_binary_and: r = x & y; break;
    case KB_binary_or: r = x | y; break;
    case KB_binary_xor: r = x ^ y; break;
    case KB_binary_not: r = ~x; break;
    case KB_binary_shift_left: r = x << (y & 63); break;
    default: { /* arithmetic shift right, portable */
        int64_t v = (int64_t)x;
        unsigned s = (unsigned)(y & 63);
        r = v < 0 ? ~(~x >> s) : x >> s;
        break;
    }
    }
    kf_long(out, SP_TYPE_LONG, (int64_t)r);
}

static void fn_tohex(kfctx *c, kval *out, const kval *a, int n)
{
    if (a[0].null) {
        kf_str(c, out, SP_TYPE_STRING, "", 0);
        return;
    }
    char buf[128];
    int len = snprintf(buf, sizeof buf, "%llx", (unsigned long long)a[0].u.l);
    int64_t min = n > 1 && !a[1].null ? a[1].u.l : 0;
    if (min > 64)
        min = 64;
    if (len < min) {
        memmove(buf + (min - len), buf, (size_t)len + 1);
        memset(buf, '0', (size_t)(min - len));
        len = (int)min;
    }
    kf_str(c, out, SP_TYPE_STRING, buf, (size_t)len);
}

#define SCALAR(id, fn) {KB_##id, {.scalar = fn, .dict_ok = true}}

const kfn_reg kfn_number[] = {
    SCALAR(round, fn_round),
    SCALAR(abs, fn_abs),
    SCALAR(ceiling, fn_ceiling),
    SCALAR(sqrt, fn_math),
    SCALAR(log, fn_math),
    SCALAR(log10, fn_math),
    SCALAR(log2, fn_math),
    SCALAR(exp, fn_math),
    SCALAR(pow, fn_math),
    SCALAR(geo_distance_2points, fn_geo_distance),
    SCALAR(max_of, fn_max_min),
    SCALAR(min_of, fn_max_min),
    SCALAR(isnan, fn_isnan),
    SCALAR(isinf, fn_isnan),
    SCALAR(isfinite, fn_isnan),
    {KB_rand, {.scalar = fn_rand, .init = rand_init, .free = rand_free, .dict_ok = false}},
    SCALAR(binary_and, fn_binary),
    SCALAR(binary_or, fn_binary),
    SCALAR(binary_xor, fn_binary),
    SCALAR(binary_not, fn_binary),
    SCALAR(binary_shift_left, fn_binary),
    SCALAR(binary_shift_right, fn_binary),
    SCALAR(tohex, fn_tohex),
    {(kb_id)-1, {0}},
};
