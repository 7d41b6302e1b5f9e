/* fn_tseries.c — time-series analysis builtins over numeric arrays (make-series output):
 * series_fit_line (through series_fit_line_dynamic), series_decompose,
 * series_decompose_anomalies and series_outliers.
 *
 * The functions that return several values in Kusto (`extend (a, b, c) = f(x)`) are one
 * builtin each here that returns a property bag keyed by Kusto's output names; the binder
 * takes the bag apart into columns (bind_expr.c, tuple functions). So the series is read
 * and analysed once per row whichever outputs the query keeps.
 *
 * Algorithms, as Kusto documents them:
 *  - series_fit_line: least squares over x = 1..n; variance is the sample variance of the
 *    input, rvariance the residual sum of squares over n - 1 (the documented example gives
 *    98.628 and 1.686 for its twelve points);
 *  - series_decompose: seasonal = per phase of the period, the median of the learning
 *    points in that phase; trend from the deseasonalized series (avg, linefit or none);
 *    baseline = seasonal + trend; residual = x - baseline; the last test_points points are
 *    left out of the learning and get the extrapolated baseline;
 *  - series_outliers: Tukey's fences over the [min, max] percentile range (ctukey 10/90,
 *    tukey 25/75): a point above the high percentile scores (x - high) / (high - low),
 *    below the low one (x - low) / (high - low), inside 0;
 *  - series_decompose_anomalies: outliers of the residual; the flag is +1/-1 where the
 *    score passes +threshold/-threshold.
 * Two places where Kusto does not document its arithmetic, and socpipe's choice:
 *  - seasonality autodetection (series_periods_detect) is approximated by the normalized
 *    autocorrelation of the linearly detrended learning points: the period (2..n/2) with
 *    the highest autocorrelation is taken when it reaches seasonality_threshold;
 *  - when the percentile range is 0 (a constant residual), the score's scale is 1.
 * Elements that are not numbers (null, strings) are missing: they do not take part in
 * fits, medians or percentiles, and score 0.
 */
#include "engine/exec/fn_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TS_MAX_POINTS 1048576 /* make-series caps bins at 2^20 too */

/* A numeric array read out of a dynamic value: NAN marks a missing element. */
typedef struct tseries {
    double *v;
    uint32_t n;
} tseries;

static bool ts_read(kfctx *c, const kval *a, tseries *out)
{
    if (a->null || a->type != SP_TYPE_DYNAMIC || kj_typeof(a->u.s) != KJ_ARRAY)
        return false;
    uint32_t len = kj_arr_len(a->u.s);
    if (len > TS_MAX_POINTS)
        len = TS_MAX_POINTS;
    out->v = sp_arena_alloc(c->arena, sizeof(double) * (len ? len : 1));
    out->n = 0;
    kj_iter it;
    kstr e;
    kj_arr_begin(a->u.s, &it);
    while (out->n < len && kj_arr_next(&it, &e)) {
        double d;
        if (kj_typeof(e) != KJ_NUMBER || !sp_parse_f64(e.p, e.n, &d))
            d = NAN;
        out->v[out->n++] = d;
    }
    return true;
}

/* The KQL name of the builtin (the internal bag builtins are spelled with a `$`). */
static const char *fname(const kfctx *c)
{
    const char *n = kb_get(c->call->fn)->name;
    return n[0] == '$' ? n + 1 : n;
}

static void put_num(sp_buf *b, double v)
{
    if (!isfinite(v)) {
        sp_buf_puts(b, "null");
        return;
    }
    char tmp[40];
    sp_buf_append(b, tmp, (size_t)sp_format_real(v, tmp));
}

static void put_array(sp_buf *b, const double *v, uint32_t n)
{
    sp_buf_putc(b, '[');
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            sp_buf_putc(b, ',');
        put_num(b, v[i]);
    }
    sp_buf_putc(b, ']');
}

/* Least squares line over the points i < n (x = i + 1) that are not missing. */
typedef struct tline {
    double slope, icept;
    uint32_t used;
} tline;

static tline fit_line(const double *y, uint32_t n)
{
    double sx = 0, sy = 0;
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!isnan(y[i])) {
            sx += i + 1;
            sy += y[i];
            m++;
        }
    tline l = {0, 0, m};
    if (m == 0)
        return l;
    double mx = sx / m, my = sy / m, sxy = 0, sxx = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!isnan(y[i])) {
            double dx = (double)(i + 1) - mx;
            sxy += dx * (y[i] - my);
            sxx += dx * dx;
        }
    l.slope = sxx > 0 ? sxy / sxx : 0;
    l.icept = my - l.slope * mx;
    return l;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The present values of v[0..n), sorted, in scratch; returns how many. */
static uint32_t sorted_present(const double *v, uint32_t n, double *scratch)
{
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            scratch[m++] = v[i];
    qsort(scratch, m, sizeof(double), cmp_double);
    return m;
}

/* Percentile p (0..100) of sorted values by linear interpolation between ranks. */
static double percentile_of(const double *s, uint32_t m, double p)
{
    if (m == 0)
        return NAN;
    double rank = p / 100.0 * (double)(m - 1);
    uint32_t lo = (uint32_t)floor(rank);
    if (lo + 1 >= m)
        return s[m - 1];
    double f = rank - lo;
    return s[lo] + (s[lo + 1] - s[lo]) * f;
}

/* ---- series_fit_line_dynamic ---- */

static void fn_series_fit_line_dynamic(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    tseries ts;
    if (!ts_read(c, &a[0], &ts)) {
        kf_null(out, SP_TYPE_DYNAMIC);
        return;
    }
    tline l = fit_line(ts.v, ts.n);
    double mean = 0, sst = 0, ssr = 0;
    for (uint32_t i = 0; i < ts.n; i++)
        if (!isnan(ts.v[i]))
            mean += ts.v[i];
    mean = l.used ? mean / l.used : 0;
    double *fit = sp_arena_alloc(c->arena, sizeof(double) * (ts.n ? ts.n : 1));
    for (uint32_t i = 0; i < ts.n; i++) {
        fit[i] = l.icept + l.slope * (double)(i + 1);
        if (!isnan(ts.v[i])) {
            sst += (ts.v[i] - mean) * (ts.v[i] - mean);
            ssr += (ts.v[i] - fit[i]) * (ts.v[i] - fit[i]);
        }
    }
    double dof = l.used > 1 ? (double)(l.used - 1) : 1;
    sp_buf b = {0};
    sp_buf_puts(&b, "{\"rsquare\":");
    put_num(&b, l.used == 0 ? NAN : sst > 0 ? 1 - ssr / sst : 1);
    sp_buf_puts(&b, ",\"slope\":");
    put_num(&b, l.used == 0 ? NAN : l.slope);
    sp_buf_puts(&b, ",\"variance\":");
    put_num(&b, l.used == 0 ? NAN : sst / dof);
    sp_buf_puts(&b, ",\"rvariance\":");
    put_num(&b, l.used == 0 ? NAN : ssr / dof);
    sp_buf_puts(&b, ",\"interception\":");
    put_num(&b, l.used == 0 ? NAN : l.icept);
    sp_buf_puts(&b, ",\"line_fit\":");
    put_array(&b, fit, l.used ? ts.n : 0);
    sp_buf_putc(&b, '}');
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

/* ---- decomposition ---- */

enum { TREND_AVG, TREND_LINEFIT, TREND_NONE };

/* The period with the highest normalized autocorrelation of the detrended series, if it
 * reaches threshold; 0 otherwise. */
static uint32_t detect_period(const double *x, uint32_t n, double threshold, double *scratch)
{
    if (n < 4)
        return 0;
    tline l = fit_line(x, n);
    double *d = scratch;
    double energy = 0;
    for (uint32_t i = 0; i < n; i++) {
        d[i] = isnan(x[i]) ? 0 : x[i] - (l.icept + l.slope * (double)(i + 1));
        energy += d[i] * d[i];
    }
    if (energy <= 0)
        return 0;
    uint32_t best = 0;
    double best_r = threshold;
    for (uint32_t p = 2; p <= n / 2; p++) {
        double acc = 0;
        for (uint32_t i = 0; i + p < n; i++)
            acc += d[i] * d[i + p];
        double r = acc / energy;
        if (r >= best_r) {
            best_r = r;
            best = p;
        }
    }
    return best;
}

typedef struct tdecomp {
    double *baseline, *seasonal, *trend, *residual;
} tdecomp;

/* Decomposes x (n points, the first `learn` of them used for learning). */
static void decompose(kfctx *c, const double *x, uint32_t n, int64_t seasonality, int trend, uint32_t learn,
                      double threshold, tdecomp *out)
{
    size_t sz = sizeof(double) * (n ? n : 1);
    out->baseline = sp_arena_alloc(c->arena, sz);
    out->seasonal = sp_arena_alloc(c->arena, sz);
    out->trend = sp_arena_alloc(c->arena, sz);
    out->residual = sp_arena_alloc(c->arena, sz);
    double *scratch = sp_arena_alloc(c->arena, sz);
    uint32_t period = 0;
    if (seasonality < 0)
        period = detect_period(x, learn, threshold, scratch);
    else if (seasonality > 0 && (uint64_t)seasonality < learn)
        period = (uint32_t)seasonality;
    for (uint32_t i = 0; i < n; i++)
        out->seasonal[i] = 0;
    if (period > 0) {
        for (uint32_t ph = 0; ph < period; ph++) {
            uint32_t m = 0;
            for (uint32_t i = ph; i < learn; i += period)
                if (!isnan(x[i]))
                    scratch[m++] = x[i];
            qsort(scratch, m, sizeof(double), cmp_double);
            double med = m == 0 ? 0 : m % 2 ? scratch[m / 2] : (scratch[m / 2 - 1] + scratch[m / 2]) / 2;
            for (uint32_t i = ph; i < n; i += period)
                out->seasonal[i] = med;
        }
    }
    double *des = scratch;
    for (uint32_t i = 0; i < n; i++)
        des[i] = isnan(x[i]) ? NAN : x[i] - out->seasonal[i];
    if (trend == TREND_LINEFIT) {
        tline l = fit_line(des, learn);
        for (uint32_t i = 0; i < n; i++)
            out->trend[i] = l.used ? l.icept + l.slope * (double)(i + 1) : 0;
    } else if (trend == TREND_AVG) {
        double s = 0;
        uint32_t m = 0;
        for (uint32_t i = 0; i < learn; i++)
            if (!isnan(des[i])) {
                s += des[i];
                m++;
            }
        for (uint32_t i = 0; i < n; i++)
            out->trend[i] = m ? s / m : 0;
    } else {
        for (uint32_t i = 0; i < n; i++)
            out->trend[i] = 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        out->baseline[i] = out->seasonal[i] + out->trend[i];
        out->residual[i] = isnan(x[i]) ? NAN : x[i] - out->baseline[i];
    }
}

/* Reads the optional decomposition arguments starting at args[first]: seasonality,
 * trend, test_points, (skip) ..., seasonality_threshold at args[thr]. Returns false and
 * fails the query on an invalid one. */
static bool decomp_args(kfctx *c, const kval *a, int n, int first, int thr, uint32_t len, int64_t *seasonality,
                        int *trend, uint32_t *learn, double *threshold)
{
    *seasonality = -1;
    *trend = TREND_AVG;
    *learn = len;
    *threshold = 0.6;
    if (n > first && !a[first].null)
        *seasonality = a[first].u.l;
    if (n > first + 1 && a[first + 1].u.s.n) {
        kstr t = a[first + 1].u.s;
        if (kf_ieq(t, "avg"))
            *trend = TREND_AVG;
        else if (kf_ieq(t, "linefit"))
            *trend = TREND_LINEFIT;
        else if (kf_ieq(t, "none"))
            *trend = TREND_NONE;
        else {
            kexec_fail(c->ex, c->call->line, c->call->col, "%s(): trend must be 'avg', 'linefit' or 'none', got '%.*s'",
                       fname(c), (int)t.n, t.p);
            return false;
        }
    }
    if (n > first + 2 && !a[first + 2].null && a[first + 2].u.l > 0)
        *learn = a[first + 2].u.l >= (int64_t)len ? 0 : len - (uint32_t)a[first + 2].u.l;
    if (n > thr && !a[thr].null)
        *threshold = a[thr].u.r;
    if (*seasonality < -1) {
        kexec_fail(c->ex, c->call->line, c->call->col, "%s(): seasonality must be -1, 0 or a period", fname(c));
        return false;
    }
    return true;
}

/* $series_decompose(series [, seasonality, trend, test_points, seasonality_threshold]):
 * {baseline, seasonal, trend, residual}. */
static void fn_series_decompose(kfctx *c, kval *out, const kval *a, int n)
{
    tseries ts;
    if (!ts_read(c, &a[0], &ts)) {
        kf_null(out, SP_TYPE_DYNAMIC);
        return;
    }
    int64_t seas;
    int trend;
    uint32_t learn;
    double thr;
    if (!decomp_args(c, a, n, 1, 4, ts.n, &seas, &trend, &learn, &thr)) {
        kf_null(out, SP_TYPE_DYNAMIC);
        return;
    }
    tdecomp d;
    decompose(c, ts.v, ts.n, seas, trend, learn, thr, &d);
    sp_buf b = {0};
    sp_buf_puts(&b, "{\"baseline\":");
    put_array(&b, d.baseline, ts.n);
    sp_buf_puts(&b, ",\"seasonal\":");
    put_array(&b, d.seasonal, ts.n);
    sp_buf_puts(&b, ",\"trend\":");
    put_array(&b, d.trend, ts.n);
    sp_buf_puts(&b, ",\"residual\":");
    put_array(&b, d.residual, ts.n);
    sp_buf_putc(&b, '}');
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

/* Tukey scores of v[0..n) into score[]; lo/hi percentiles. */
static void tukey_scores(kfctx *c, const double *v, uint32_t n, double plo, double phi, double *score)
{
    double *s = sp_arena_alloc(c->arena, sizeof(double) * (n ? n : 1));
    uint32_t m = sorted_present(v, n, s);
    double lo = percentile_of(s, m, plo), hi = percentile_of(s, m, phi);
    double scale = hi - lo > 0 ? hi - lo : 1;
    for (uint32_t i = 0; i < n; i++) {
        if (isnan(v[i]) || m == 0)
            score[i] = 0;
        else if (v[i] > hi)
            score[i] = (v[i] - hi) / scale;
        else if (v[i] < lo)
            score[i] = (v[i] - lo) / scale;
        else
            score[i] = 0;
    }
}

/* Reads an anomaly-detection method name: the percentile range it means. */
static bool ad_method(kfctx *c, kstr m, double *plo, double *phi)
{
    if (m.n == 0 || kf_ieq(m, "ctukey")) {
        *plo = 10;
        *phi = 90;
    } else if (kf_ieq(m, "tukey")) {
        *plo = 25;
        *phi = 75;
    } else {
        kexec_fail(c->ex, c->call->line, c->call->col, "%s(): unknown method '%.*s' (ctukey, tukey)",
                   fname(c), (int)m.n, m.p);
        return false;
    }
    return true;
}

/* $series_decompose_anomalies(series [, threshold, seasonality, trend, test_points,
 * ad_method, seasonality_threshold]): {ad_flag, ad_score, baseline}. */
static void fn_series_decompose_anomalies(kfctx *c, kval *out, const kval *a, int n)
{
    tseries ts;
    if (!ts_read(c, &a[0], &ts)) {
        kf_null(out, SP_TYPE_DYNAMIC);
        return;
    }
    double k = n > 1 && !a[1].null ? a[1].u.r : 1.5;
    int64_t seas;
    int trend;
    uint32_t learn;
    double thr, plo, phi;
    if (!decomp_args(c, a, n, 2, 6, ts.n, &seas, &trend, &learn, &thr) ||
        !ad_method(c, n > 5 ? a[5].u.s : (kstr){"", 0}, &plo, &phi)) {
        kf_null(out, SP_TYPE_DYNAMIC);
        return;
    }
    tdecomp d;
    decompose(c, ts.v, ts.n, seas, trend, learn, thr, &d);
    double *score = sp_arena_alloc(c->arena, sizeof(double) * (ts.n ? ts.n : 1));
    tukey_scores(c, d.residual, ts.n, plo, phi, score);
    sp_buf b = {0};
    sp_buf_puts(&b, "{\"ad_flag\":[");
    for (uint32_t i = 0; i < ts.n; i++) {
        if (i)
            sp_buf_putc(&b, ',');
        sp_buf_puts(&b, score[i] > k ? "1" : score[i] < -k ? "-1" : "0");
    }
    sp_buf_puts(&b, "],\"ad_score\":");
    put_array(&b, score, ts.n);
    sp_buf_puts(&b, ",\"baseline\":");
    put_array(&b, d.baseline, ts.n);
    sp_buf_putc(&b, '}');
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

/* series_outliers(series [, kind, ignore_val, min_percentile, max_percentile]). */
static void fn_series_outliers(kfctx *c, kval *out, const kval *a, int n)
{
    tseries ts;
    if (!ts_read(c, &a[0], &ts)) {
        kf_null(out, SP_TYPE_DYNAMIC);
        return;
    }
    double plo, phi;
    if (!ad_method(c, n > 1 ? a[1].u.s : (kstr){"", 0}, &plo, &phi)) {
        kf_null(out, SP_TYPE_DYNAMIC);
        return;
    }
    bool custom = n <= 1 || a[1].u.s.n == 0 || kf_ieq(a[1].u.s, "ctukey");
    if (custom && n > 3 && !a[3].null)
        plo = a[3].u.r;
    if (custom && n > 4 && !a[4].null)
        phi = a[4].u.r;
    if (plo < 2 || plo > 98 || phi < 2 || phi > 98 || plo >= phi) {
        kexec_fail(c->ex, c->call->line, c->call->col, "series_outliers(): percentiles must be in [2, 98], min below max");
        kf_null(out, SP_TYPE_DYNAMIC);
        return;
    }
    if (n > 2 && !a[2].null)
        for (uint32_t i = 0; i < ts.n; i++)
            if (ts.v[i] == a[2].u.r)
                ts.v[i] = NAN;
    double *score = sp_arena_alloc(c->arena, sizeof(double) * (ts.n ? ts.n : 1));
    tukey_scores(c, ts.v, ts.n, plo, phi, score);
    sp_buf b = {0};
    put_array(&b, score, ts.n);
    kf_buf(c, out, SP_TYPE_DYNAMIC, &b);
}

const kfn_reg kfn_tseries[] = {
    {KB_series_fit_line_dynamic, {.scalar = fn_series_fit_line_dynamic, .dict_ok = true}},
    {KB_series_decompose_bag, {.scalar = fn_series_decompose, .dict_ok = true}},
    {KB_series_decompose_anomalies_bag, {.scalar = fn_series_decompose_anomalies, .dict_ok = true}},
    {KB_series_outliers, {.scalar = fn_series_outliers, .dict_ok = true}},
    {(kb_id)-1, {0}},
};
