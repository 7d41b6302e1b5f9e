/* fn_time.c — datetime and timespan builtins: calendar periods (startof.../endof... with
 * offsets), parts (getyear, datetime_part, ISO week), calendar arithmetic (datetime_add,
 * datetime_diff), bin_at, the .NET-style custom formats of format_datetime and
 * format_timespan, and construction from parts or Unix times.
 *
 * Values are 100 ns ticks from 0001-01-01 (core.h). Calendar work goes through
 * sp_datetime_split/make (proleptic Gregorian, years 1..9999); a result outside that
 * range is null, as in Kusto.
 *
 * Kusto behaviours pinned here:
 *  - weeks start on Sunday (startofweek, dayofweek, datetime_diff('week'));
 *  - datetime_diff counts period boundaries crossed, not elapsed whole periods:
 *    datetime_diff('year', 2017-01-01, 2000-12-31) == 17;
 *  - datetime_add of months/quarters/years keeps the day, clamped to the month's last
 *    day (.NET AddMonths);
 *  - week_of_year is the ISO 8601 week (Monday weeks, week 1 holds the first Thursday);
 *  - format specifiers follow .NET custom formats: `F` digits drop trailing zeros, and
 *    when they all drop, a '.' right before them goes too.
 */
#include "engine/exec/fn_util.h"

#include <math.h>
#include <string.h>

#define TICKS_WEEK (7 * SP_TICKS_PER_DAY)

static int64_t floor_div(int64_t x, int64_t y)
{
    int64_t q = x / y;
    if ((x % y != 0) && ((x < 0) != (y < 0)))
        q--;
    return q;
}

static bool in_range(int64_t t)
{
    return t >= SP_DATETIME_MIN && t <= SP_DATETIME_MAX;
}

static bool checked_add(int64_t a, int64_t b, int64_t *r)
{
    return !__builtin_add_overflow(a, b, r);
}

static bool checked_mul(int64_t a, int64_t b, int64_t *r)
{
    return !__builtin_mul_overflow(a, b, r);
}

typedef struct dparts {
    int y, mo, d, h, mi, s, f;
} dparts;

static void split(int64_t t, dparts *p)
{
    sp_datetime_split(t, &p->y, &p->mo, &p->d, &p->h, &p->mi, &p->s, &p->f);
}

/* Ticks of the first day of month (y, m), allowing the instant just past 9999-12-31. */
static bool month_start(int64_t y, int64_t m, int64_t *t)
{
    if (y == 10000 && m == 1) {
        *t = SP_DATETIME_MAX + 1;
        return true;
    }
    if (y < 1 || y > 9999)
        return false;
    return sp_datetime_make((int)y, (int)m, 1, 0, 0, 0, 0, t);
}

/* Adds `months` calendar months to (y, m): returns the new year and month. */
static void add_months(int y, int m, int64_t months, int64_t *ny, int64_t *nm)
{
    int64_t total = (int64_t)y * 12 + (m - 1) + months;
    *ny = floor_div(total, 12);
    *nm = total - *ny * 12 + 1;
}

static int dow_sunday0(int64_t t)
{
    /* 0001-01-01 was a Monday */
    return (int)((floor_div(t, SP_TICKS_PER_DAY) + 1) % 7);
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int day_of_year(const dparts *p)
{
    static const int cum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    return cum[p->mo - 1] + p->d + (p->mo > 2 && is_leap(p->y));
}

/* ISO 8601 week number. */
static int iso_week(int64_t t)
{
    dparts p;
    split(t, &p);
    int wd = dow_sunday0(t);
    wd = wd == 0 ? 7 : wd; /* Monday 1 .. Sunday 7 */
    int w = (day_of_year(&p) - wd + 10) / 7;
    if (w < 1) {
        /* the last week of the previous year: 53 when that year ends on Thu, or Fri in a leap year */
        int py = p.y - 1;
        int64_t dec31 = t - (int64_t)day_of_year(&p) * SP_TICKS_PER_DAY;
        int d31 = dow_sunday0(dec31);
        return (d31 == 4 || (d31 == 5 && is_leap(py))) ? 53 : 52;
    }
    if (w == 53) {
        /* a year has 53 weeks when Dec 31 is a Thursday (or a Friday in a leap year);
         * otherwise these days belong to week 1 of the next year */
        int64_t dec31 = t + (int64_t)((is_leap(p.y) ? 366 : 365) - day_of_year(&p)) * SP_TICKS_PER_DAY;
        int d31 = dow_sunday0(dec31);
        if (!(d31 == 4 || (d31 == 5 && is_leap(p.y))))
            return 1;
    }
    return w;
}

/* ---- startof / endof ---- */

typedef enum { P_DAY, P_WEEK, P_MONTH, P_YEAR } period;

static bool start_of(int64_t t, period per, int64_t off, int64_t *out)
{
    dparts p;
    int64_t base, step;
    switch (per) {
    case P_DAY:
    case P_WEEK:
        base = floor_div(t, SP_TICKS_PER_DAY) * SP_TICKS_PER_DAY;
        if (per == P_WEEK)
            base -= (int64_t)dow_sunday0(t) * SP_TICKS_PER_DAY;
        step = per == P_DAY ? SP_TICKS_PER_DAY : TICKS_WEEK;
        if (!checked_mul(off, step, &step) || !checked_add(base, step, out))
            return false;
        return *out >= SP_DATETIME_MIN && *out <= SP_DATETIME_MAX + 1;
    case P_MONTH:
    case P_YEAR: {
        split(t, &p);
        if (off > 1200000 || off < -1200000)
            return false;
        int64_t ny, nm;
        if (per == P_MONTH)
            add_months(p.y, p.mo, off, &ny, &nm);
        else {
            ny = p.y + off;
            nm = 1;
        }
        return month_start(ny, nm, out);
    }
    }
    return false;
}

static void fn_startof(kfctx *c, kval *out, const kval *a, int n)
{
    kb_id f = c->call->fn;
    period per = (f == KB_startofday || f == KB_endofday) ? P_DAY
                 : (f == KB_startofweek || f == KB_endofweek) ? P_WEEK
                 : (f == KB_startofmonth || f == KB_endofmonth) ? P_MONTH
                                                                 : P_YEAR;
    bool end = f == KB_endofday || f == KB_endofweek || f == KB_endofmonth || f == KB_endofyear;
    if (a[0].null || (n > 1 && a[1].null)) {
        kf_null(out, SP_TYPE_DATETIME);
        return;
    }
    int64_t off = n > 1 ? a[1].u.l : 0, t;
    if (end && off == INT64_MAX) {
        kf_null(out, SP_TYPE_DATETIME);
        return;
    }
    if (!start_of(a[0].u.l, per, end ? off + 1 : off, &t)) {
        kf_null(out, SP_TYPE_DATETIME);
        return;
    }
    if (end)
        t -= 1;
    if (!in_range(t))
        kf_null(out, SP_TYPE_DATETIME);
    else
        kf_long(out, SP_TYPE_DATETIME, t);
}

/* ---- parts ---- */

static void fn_getpart(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    kb_id f = c->call->fn;
    if (a[0].null) {
        kf_null(out, f == KB_dayofweek ? SP_TYPE_TIMESPAN : SP_TYPE_INT);
        return;
    }
    int64_t t = a[0].u.l;
    dparts p;
    split(t, &p);
    int64_t r;
    switch (f) {
    case KB_dayofweek: kf_long(out, SP_TYPE_TIMESPAN, (int64_t)dow_sunday0(t) * SP_TICKS_PER_DAY); return;
    case KB_dayofmonth: r = p.d; break;
    case KB_dayofyear: r = day_of_year(&p); break;
    case KB_hourofday: r = p.h; break;
    case KB_getyear: r = p.y; break;
    case KB_getmonth:
    case KB_monthofyear: r = p.mo; break;
    default: r = iso_week(t); break; /* week_of_year */
    }
    kf_long(out, SP_TYPE_INT, r);
}

typedef enum {
    U_YEAR, U_QUARTER, U_MONTH, U_WEEK, U_DAY, U_HOUR, U_MINUTE, U_SECOND, U_MS, U_US, U_NS,
    U_DAYOFYEAR, U_WEEKOFYEAR, U_BAD
} unit;

static unit parse_unit(kstr s)
{
    static const struct {
        const char *name;
        unit u;
    } names[] = {
        {"year", U_YEAR},         {"quarter", U_QUARTER},        {"month", U_MONTH},
        {"week", U_WEEK},         {"day", U_DAY},                {"hour", U_HOUR},
        {"minute", U_MINUTE},     {"second", U_SECOND},          {"millisecond", U_MS},
        {"microsecond", U_US},    {"nanosecond", U_NS},          {"dayofyear", U_DAYOFYEAR},
        {"week_of_year", U_WEEKOFYEAR}, {"weekofyear", U_WEEKOFYEAR},
    };
    for (size_t i = 0; i < SP_ARRAY_LEN(names); i++)
        if (kf_ieq(s, names[i].name))
            return names[i].u;
    return U_BAD;
}

/* The period argument of datetime_diff/datetime_add: parts that are not periods
 * (DayOfYear, week_of_year) are U_BAD there. */
static unit parse_period(kstr s)
{
    unit u = parse_unit(s);
    return u == U_DAYOFYEAR || u == U_WEEKOFYEAR ? U_BAD : u;
}

static const int64_t unit_ticks[] = {
    [U_WEEK] = TICKS_WEEK,         [U_DAY] = SP_TICKS_PER_DAY,   [U_HOUR] = SP_TICKS_PER_HOUR,
    [U_MINUTE] = SP_TICKS_PER_MIN, [U_SECOND] = SP_TICKS_PER_SEC, [U_MS] = SP_TICKS_PER_MS,
    [U_US] = SP_TICKS_PER_US,
};

static void fn_datetime_part(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    unit u = parse_unit(a[0].u.s);
    if (a[1].null || u == U_BAD) {
        kf_null(out, SP_TYPE_INT);
        return;
    }
    int64_t t = a[1].u.l;
    dparts p;
    split(t, &p);
    int64_t r;
    switch (u) {
    case U_YEAR: r = p.y; break;
    case U_QUARTER: r = (p.mo - 1) / 3 + 1; break;
    case U_MONTH: r = p.mo; break;
    case U_WEEK:
    case U_WEEKOFYEAR: r = iso_week(t); break;
    case U_DAY: r = p.d; break;
    case U_DAYOFYEAR: r = day_of_year(&p); break;
    case U_HOUR: r = p.h; break;
    case U_MINUTE: r = p.mi; break;
    case U_SECOND: r = p.s; break;
    case U_MS: r = p.f / 10000; break;
    case U_US: r = p.f / 10; break;
    case U_NS: r = (int64_t)p.f * 100; break;
    default: kf_null(out, SP_TYPE_INT); return;
    }
    kf_long(out, SP_TYPE_INT, r);
}

static void fn_datetime_diff(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    unit u = parse_period(a[0].u.s);
    if (a[1].null || a[2].null || u == U_BAD) {
        kf_null(out, SP_TYPE_LONG);
        return;
    }
    int64_t t1 = a[1].u.l, t2 = a[2].u.l, r;
    dparts p1, p2;
    split(t1, &p1);
    split(t2, &p2);
    switch (u) {
    case U_YEAR: r = (int64_t)p1.y - p2.y; break;
    case U_QUARTER: r = ((int64_t)p1.y * 4 + (p1.mo - 1) / 3) - ((int64_t)p2.y * 4 + (p2.mo - 1) / 3); break;
    case U_MONTH: r = ((int64_t)p1.y * 12 + p1.mo) - ((int64_t)p2.y * 12 + p2.mo); break;
    case U_WEEK: {
        int64_t w1 = floor_div(t1, SP_TICKS_PER_DAY) - dow_sunday0(t1);
        int64_t w2 = floor_div(t2, SP_TICKS_PER_DAY) - dow_sunday0(t2);
        r = (w1 - w2) / 7;
        break;
    }
    case U_NS:
        if (!checked_mul(t1 - t2, 100, &r)) {
            kf_null(out, SP_TYPE_LONG);
            return;
        }
        break;
    default: r = floor_div(t1, unit_ticks[u]) - floor_div(t2, unit_ticks[u]); break;
    }
    kf_long(out, SP_TYPE_LONG, r);
}

static void fn_datetime_add(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    (void)n;
    unit u = parse_period(a[0].u.s);
    if (a[1].null || a[2].null || u == U_BAD) {
        kf_null(out, SP_TYPE_DATETIME);
        return;
    }
    int64_t amount = a[1].u.l, t = a[2].u.l, r;
    if (u == U_YEAR || u == U_QUARTER || u == U_MONTH) {
        int64_t months;
        if (!checked_mul(amount, u == U_YEAR ? 12 : u == U_QUARTER ? 3 : 1, &months) || months > 1200000 || months < -1200000) {
            kf_null(out, SP_TYPE_DATETIME);
            return;
        }
        dparts p;
        split(t, &p);
        int64_t ny, nm, start;
        add_months(p.y, p.mo, months, &ny, &nm);
        if (ny < 1 || ny > 9999 || !month_start(ny, nm, &start)) {
            kf_null(out, SP_TYPE_DATETIME);
            return;
        }
        static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int last = dm[nm - 1] + (nm == 2 && is_leap((int)ny));
        int day = p.d > last ? last : p.d;
        r = start + (int64_t)(day - 1) * SP_TICKS_PER_DAY + (t - floor_div(t, SP_TICKS_PER_DAY) * SP_TICKS_PER_DAY);
    } else {
        int64_t delta;
        bool ok = u == U_NS ? (delta = amount / 100, true) : checked_mul(amount, unit_ticks[u], &delta);
        if (!ok || !checked_add(t, delta, &r)) {
            kf_null(out, SP_TYPE_DATETIME);
            return;
        }
    }
    if (!in_range(r))
        kf_null(out, SP_TYPE_DATETIME);
    else
        kf_long(out, SP_TYPE_DATETIME, r);
}

/* ---- bin_at ---- */

static void fn_bin_at(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    sp_type rt = c->call->type;
    if (a[0].null || a[1].null || a[2].null) {
        kf_null(out, rt);
        return;
    }
    if (rt == SP_TYPE_REAL) {
        double v = kf_real_of(&a[0]), b = kf_real_of(&a[1]), f = kf_real_of(&a[2]);
        if (!(b > 0)) {
            kf_null(out, rt);
            return;
        }
        kf_real(out, f + floor((v - f) / b) * b);
        return;
    }
    int64_t v, b, f;
    if (!kf_long_of(&a[0], &v) || !kf_long_of(&a[1], &b) || !kf_long_of(&a[2], &f) || b <= 0) {
        kf_null(out, rt);
        return;
    }
    int64_t r = f + floor_div(v - f, b) * b;
    if (rt == SP_TYPE_DATETIME && !in_range(r))
        kf_null(out, rt);
    else
        kf_long(out, rt, r);
}

/* ---- formats ---- */

static const char *const month_names[] = {"January", "February", "March",     "April",   "May",      "June",
                                          "July",    "August",   "September", "October", "November", "December"};
static const char *const day_names[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

static void put_num(sp_buf *b, int64_t v, int width)
{
    sp_buf_printf(b, "%0*lld", width, (long long)v);
}

/* f/F: `run` leading digits of the 7-digit fraction. */
static void put_fraction(sp_buf *b, int frac7, int run, bool trim)
{
    if (run > 7)
        run = 7;
    int64_t v = frac7;
    for (int i = run; i < 7; i++)
        v /= 10;
    if (!trim) {
        put_num(b, v, run);
        return;
    }
    while (run > 0 && v % 10 == 0) {
        v /= 10;
        run--;
    }
    if (run == 0) {
        if (b->len && b->data[b->len - 1] == '.')
            b->len--;
        return;
    }
    put_num(b, v, run);
}

/* Copies a literal: a backslash escapes the next character, quotes enclose text.
 * Returns the index after the literal. */
static size_t put_literal(sp_buf *b, const char *f, size_t n, size_t i)
{
    char ch = f[i];
    if (ch == '\\') {
        if (i + 1 < n)
            sp_buf_putc(b, f[i + 1]);
        return i + 2;
    }
    if (ch == '"' || ch == '\'') {
        size_t j = i + 1;
        while (j < n && f[j] != ch)
            sp_buf_putc(b, f[j++]);
        return j + 1;
    }
    sp_buf_putc(b, ch);
    return i + 1;
}

/* Reads the next element of a custom format at *i: a run of one specifier letter (returns
 * the letter, its length in *run), or a literal, copied to b (returns 0). */
static char format_next(const char *f, size_t fn, size_t *i, const char *specs, sp_buf *b, int *run)
{
    char ch = f[*i];
    *run = 0;
    if (ch == 0 || !strchr(specs, ch)) {
        *i = put_literal(b, f, fn, *i);
        return 0;
    }
    size_t j = *i;
    while (j < fn && f[j] == ch)
        j++;
    *run = (int)(j - *i);
    *i = j;
    return ch;
}

static void fn_format_datetime(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    if (a[0].null) {
        kf_str(c, out, SP_TYPE_STRING, "", 0);
        return;
    }
    dparts p;
    split(a[0].u.l, &p);
    const char *f = a[1].u.s.p;
    size_t fn = a[1].u.s.n;
    sp_buf b = {0};
    sp_buf_reserve(&b, fn + 16);
    for (size_t i = 0; i < fn;) {
        int run;
        char ch = format_next(f, fn, &i, "dfFhHmMstyz", &b, &run);
        int h12 = p.h % 12 == 0 ? 12 : p.h % 12;
        switch (ch) {
        case 'd':
            if (run <= 2)
                put_num(&b, p.d, run);
            else {
                const char *dn = day_names[dow_sunday0(a[0].u.l)];
                sp_buf_append(&b, dn, run == 3 ? 3 : strlen(dn));
            }
            break;
        case 'M':
            if (run <= 2)
                put_num(&b, p.mo, run);
            else {
                const char *mn = month_names[p.mo - 1];
                sp_buf_append(&b, mn, run == 3 ? 3 : strlen(mn));
            }
            break;
        case 'y':
            if (run <= 2)
                put_num(&b, p.y % 100, run);
            else
                put_num(&b, p.y, run);
            break;
        case 'h': put_num(&b, h12, run > 2 ? 2 : run); break;
        case 'H': put_num(&b, p.h, run > 2 ? 2 : run); break;
        case 'm': put_num(&b, p.mi, run > 2 ? 2 : run); break;
        case 's': put_num(&b, p.s, run > 2 ? 2 : run); break;
        case 'f': put_fraction(&b, p.f, run, false); break;
        case 'F': put_fraction(&b, p.f, run, true); break;
        case 't':
            sp_buf_append(&b, p.h < 12 ? "AM" : "PM", run == 1 ? 1 : 2);
            break;
        case 'z': /* times are UTC */
            sp_buf_puts(&b, run == 1 ? "+0" : run == 2 ? "+00" : "+00:00");
            break;
        }
    }
    kf_buf(c, out, SP_TYPE_STRING, &b);
}

static void fn_format_timespan(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    if (a[0].null) {
        kf_str(c, out, SP_TYPE_STRING, "", 0);
        return;
    }
    uint64_t t = a[0].u.l < 0 ? 0 - (uint64_t)a[0].u.l : (uint64_t)a[0].u.l;
    int64_t days = (int64_t)(t / (uint64_t)SP_TICKS_PER_DAY);
    int64_t rem = (int64_t)(t % (uint64_t)SP_TICKS_PER_DAY);
    int hh = (int)(rem / SP_TICKS_PER_HOUR), mm = (int)(rem / SP_TICKS_PER_MIN % 60), ss = (int)(rem / SP_TICKS_PER_SEC % 60);
    int frac = (int)(rem % SP_TICKS_PER_SEC);
    const char *f = a[1].u.s.p;
    size_t fn = a[1].u.s.n;
    sp_buf b = {0};
    sp_buf_reserve(&b, fn + 16);
    for (size_t i = 0; i < fn;) {
        int run;
        switch (format_next(f, fn, &i, "dfFhHms", &b, &run)) {
        case 'd': put_num(&b, days, run > 8 ? 8 : run); break;
        case 'h':
        case 'H': put_num(&b, hh, run > 2 ? 2 : run); break;
        case 'm': put_num(&b, mm, run > 2 ? 2 : run); break;
        case 's': put_num(&b, ss, run > 2 ? 2 : run); break;
        case 'f': put_fraction(&b, frac, run, false); break;
        case 'F': put_fraction(&b, frac, run, true); break;
        }
    }
    kf_buf(c, out, SP_TYPE_STRING, &b);
}

/* ---- construction ---- */

static void fn_unixtime(kfctx *c, kval *out, const kval *a, int n)
{
    (void)n;
    int64_t per = c->call->fn == KB_unixtime_seconds_todatetime ? SP_TICKS_PER_SEC : SP_TICKS_PER_MS;
    if (a[0].null) {
        kf_null(out, SP_TYPE_DATETIME);
        return;
    }
    int64_t ticks;
    if (a[0].type == SP_TYPE_REAL) {
        double x = a[0].u.r * (double)per;
        if (!isfinite(x) || x > 4e18 || x < -4e18) {
            kf_null(out, SP_TYPE_DATETIME);
            return;
        }
        ticks = llround(x);
    } else if (!checked_mul(a[0].u.l, per, &ticks)) {
        kf_null(out, SP_TYPE_DATETIME);
        return;
    }
    int64_t t;
    if (!checked_add(ticks, SP_UNIX_EPOCH_TICKS, &t) || !in_range(t))
        kf_null(out, SP_TYPE_DATETIME);
    else
        kf_long(out, SP_TYPE_DATETIME, t);
}

static bool int_arg(const kval *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (v->null)
        return false;
    double d = kf_real_of(v);
    if (!(d >= (double)lo && d <= (double)hi))
        return false;
    *out = (int64_t)d;
    return true;
}

/* Seconds with a fraction (a real may carry up to 7 digits of it) as ticks. */
static bool seconds_arg(const kval *v, double max, int64_t *ticks)
{
    if (v->null)
        return false;
    double s = kf_real_of(v);
    if (!(s >= 0 && s < max))
        return false;
    *ticks = v->type == SP_TYPE_REAL ? (int64_t)llround(s * 1e7) : v->u.l * SP_TICKS_PER_SEC;
    return true;
}

static void fn_make_datetime(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    int64_t y, mo, d, h = 0, mi = 0, st = 0, t;
    bool ok = int_arg(&a[0], 1, 9999, &y) && int_arg(&a[1], 1, 12, &mo) && int_arg(&a[2], 1, 31, &d);
    if (ok && n > 3)
        ok = int_arg(&a[3], 0, 23, &h);
    if (ok && n > 4)
        ok = int_arg(&a[4], 0, 59, &mi);
    if (ok && n > 5)
        ok = seconds_arg(&a[5], 60, &st);
    if (ok)
        ok = sp_datetime_make((int)y, (int)mo, (int)d, (int)h, (int)mi, 0, 0, &t) && st < 60 * SP_TICKS_PER_SEC;
    if (!ok) {
        kf_null(out, SP_TYPE_DATETIME);
        return;
    }
    kf_long(out, SP_TYPE_DATETIME, t + st);
}

static void fn_make_timespan(kfctx *c, kval *out, const kval *a, int n)
{
    (void)c;
    int64_t d = 0, h, mi, st = 0;
    bool ok;
    if (n == 4)
        ok = int_arg(&a[0], 0, 10675198, &d) && int_arg(&a[1], 0, 23, &h) && int_arg(&a[2], 0, 59, &mi) &&
             seconds_arg(&a[3], 60, &st);
    else
        ok = int_arg(&a[0], 0, 23, &h) && int_arg(&a[1], 0, 59, &mi) && (n < 3 || seconds_arg(&a[2], 60, &st));
    if (!ok) {
        kf_null(out, SP_TYPE_TIMESPAN);
        return;
    }
    kf_long(out, SP_TYPE_TIMESPAN, d * SP_TICKS_PER_DAY + h * SP_TICKS_PER_HOUR + mi * SP_TICKS_PER_MIN + st);
}

#define SCALAR(id, fn) {KB_##id, {.scalar = fn, .dict_ok = true}}

const kfn_reg kfn_time[] = {
    SCALAR(bin_at, fn_bin_at),
    SCALAR(startofday, fn_startof),
    SCALAR(startofweek, fn_startof),
    SCALAR(startofmonth, fn_startof),
    SCALAR(startofyear, fn_startof),
    SCALAR(endofday, fn_startof),
    SCALAR(endofweek, fn_startof),
    SCALAR(endofmonth, fn_startof),
    SCALAR(endofyear, fn_startof),
    SCALAR(datetime_diff, fn_datetime_diff),
    SCALAR(datetime_add, fn_datetime_add),
    SCALAR(datetime_part, fn_datetime_part),
    SCALAR(dayofweek, fn_getpart),
    SCALAR(dayofmonth, fn_getpart),
    SCALAR(dayofyear, fn_getpart),
    SCALAR(hourofday, fn_getpart),
    SCALAR(getyear, fn_getpart),
    SCALAR(getmonth, fn_getpart),
    SCALAR(monthofyear, fn_getpart),
    SCALAR(week_of_year, fn_getpart),
    SCALAR(format_datetime, fn_format_datetime),
    SCALAR(format_timespan, fn_format_timespan),
    SCALAR(unixtime_seconds_todatetime, fn_unixtime),
    SCALAR(unixtime_milliseconds_todatetime, fn_unixtime),
    SCALAR(make_datetime, fn_make_datetime),
    SCALAR(make_timespan, fn_make_timespan),
    {(kb_id)-1, {0}},
};
