/* ktime.c — Kusto datetime and timespan values: 100 ns ticks, parsing and printing.
 *
 * Microsoft's telemetry writes times in several ISO 8601 shapes (7-digit fractions, `Z`,
 * `-05:00` offsets, no zone at all in Purview's CreationTime); Kusto prints exactly one
 * shape. Both directions live here so every module agrees on them. Calendar arithmetic
 * uses the days-from-civil method (proleptic Gregorian), valid for years 1..9999.
 */
#include "engine/core/core.h"

#include <string.h>
#include <time.h>

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

bool sp_datetime_make(int year, int month, int day, int hour, int min, int sec, int frac7,
                      int64_t *ticks)
{
    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
        day > days_in_month(year, month) || hour < 0 || hour > 23 || min < 0 || min > 59 ||
        sec < 0 || sec > 59 || frac7 < 0 || frac7 > 9999999)
        return false;
    int64_t days = days_from_civil(year, (unsigned)month, (unsigned)day);
    int64_t secs = days * 86400 + hour * 3600 + min * 60 + sec;
    *ticks = secs * SP_TICKS_PER_SEC + frac7 + SP_UNIX_EPOCH_TICKS;
    return true;
}

void sp_datetime_split(int64_t ticks, int *year, int *month, int *day, int *hour, int *min,
                       int *sec, int *frac7)
{
    int64_t t = ticks - SP_UNIX_EPOCH_TICKS;
    int64_t secs = t / SP_TICKS_PER_SEC, frac = t % SP_TICKS_PER_SEC;
    if (frac < 0) {
        frac += SP_TICKS_PER_SEC;
        secs--;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    civil_from_days(days, year, month, day);
    *hour = (int)(rem / 3600);
    *min = (int)(rem / 60 % 60);
    *sec = (int)(rem % 60);
    *frac7 = (int)frac;
}

static bool digits(const char *s, size_t n, size_t at, int count, int *out)
{
    if (at + (size_t)count > n)
        return false;
    int v = 0;
    for (int i = 0; i < count; i++) {
        unsigned d = (unsigned)(s[at + (size_t)i] - '0');
        if (d > 9)
            return false;
        v = v * 10 + (int)d;
    }
    *out = v;
    return true;
}

static int month_from_name(const char *s)
{
    static const char *names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                  "jul", "aug", "sep", "oct", "nov", "dec"};
    for (int i = 0; i < 12; i++)
        if (sp_ieq(s, 3, names[i], 3))
            return i + 1;
    return 0;
}

/* RFC 1123: `Wed, 31 Jan 2024 23:59:59 GMT` (weekday optional). */
static bool parse_rfc1123(const char *s, size_t n, int64_t *ticks)
{
    size_t i = 0;
    if (n > 5 && s[3] == ',')
        i = 5;
    int d, y, hh, mm, ss;
    size_t dl = (i + 1 < n && s[i + 1] == ' ') ? 1 : 2;
    if (!digits(s, n, i, (int)dl, &d))
        return false;
    i += dl;
    if (i + 5 > n || s[i] != ' ' || s[i + 4] != ' ')
        return false;
    int m = month_from_name(s + i + 1);
    if (!m)
        return false;
    i += 5;
    if (!digits(s, n, i, 4, &y) || i + 4 >= n || s[i + 4] != ' ')
        return false;
    i += 5;
    if (!digits(s, n, i, 2, &hh) || s[i + 2] != ':' || !digits(s, n, i + 3, 2, &mm) ||
        s[i + 5] != ':' || !digits(s, n, i + 6, 2, &ss))
        return false;
    i += 8;
    while (i < n && s[i] == ' ')
        i++;
    if (i < n && !(sp_streq(s + i, n - i, "GMT", 3) || sp_streq(s + i, n - i, "UTC", 3) ||
                   sp_streq(s + i, n - i, "Z", 1)))
        return false;
    return sp_datetime_make(y, m, d, hh, mm, ss, 0, ticks);
}

/* The invariant-culture US form Kusto (.NET) also accepts: `M/d/yyyy[ h:mm[:ss[.f]] [AM|PM]]`. */
static bool parse_us_date(const char *s, size_t n, int64_t *ticks)
{
    size_t i = 0;
    int v[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        size_t st = i;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - st < 4)
            v[k] = v[k] * 10 + (s[i++] - '0');
        if (i == st || (k < 2 && (i >= n || s[i++] != '/')))
            return false;
    }
    if (v[2] < 1000)
        return false;
    int hh = 0, mi = 0, ss = 0, frac = 0;
    if (i < n) {
        if (s[i++] != ' ')
            return false;
        size_t st = i;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - st < 2)
            hh = hh * 10 + (s[i++] - '0');
        if (i == st || i >= n || s[i++] != ':' || !digits(s, n, i, 2, &mi))
            return false;
        i += 2;
        if (i < n && s[i] == ':') {
            if (!digits(s, n, i + 1, 2, &ss))
                return false;
            i += 3;
            if (i < n && s[i] == '.') {
                int nd = 0;
                for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, nd++)
                    if (nd < 7)
                        frac = frac * 10 + (s[i] - '0');
                for (; nd < 7; nd++)
                    frac *= 10;
            }
        }
        if (i + 3 == n && s[i] == ' ' && (s[i + 2] == 'M' || s[i + 2] == 'm')) {
            bool pm = s[i + 1] == 'P' || s[i + 1] == 'p';
            if (!pm && s[i + 1] != 'A' && s[i + 1] != 'a')
                return false;
            if (hh < 1 || hh > 12)
                return false;
            hh = (hh % 12) + (pm ? 12 : 0);
            i = n;
        }
    }
    return i == n && sp_datetime_make(v[2], v[0], v[1], hh, mi, ss, frac, ticks);
}

bool sp_datetime_parse(const char *s, size_t n, int64_t *ticks)
{
    while (n && (s[n - 1] == ' '))
        n--;
    while (n && s[0] == ' ') {
        s++;
        n--;
    }
    int y, mo, d, hh = 0, mi = 0, ss = 0, frac = 0;
    if (memchr(s, '/', n < 6 ? n : 6))
        return parse_us_date(s, n, ticks);
    if (!digits(s, n, 0, 4, &y) || n < 10 || s[4] != '-')
        return n >= 20 && parse_rfc1123(s, n, ticks);
    if (!digits(s, n, 5, 2, &mo) || s[7] != '-' || !digits(s, n, 8, 2, &d))
        return false;
    size_t i = 10;
    int64_t offset_min = 0;
    if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        i++;
        if (!digits(s, n, i, 2, &hh) || i + 2 >= n || s[i + 2] != ':' ||
            !digits(s, n, i + 3, 2, &mi))
            return false;
        i += 5;
        if (i < n && s[i] == ':') {
            if (!digits(s, n, i + 1, 2, &ss))
                return false;
            i += 3;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                i++;
                int nd = 0;
                while (i < n && s[i] >= '0' && s[i] <= '9') {
                    if (nd < 7)
                        frac = frac * 10 + (s[i] - '0');
                    nd++;
                    i++;
                }
                if (nd == 0)
                    return false;
                for (; nd < 7; nd++)
                    frac *= 10;
            }
        }
        if (i < n) {
            if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
                i++;
            } else if (s[i] == '+' || s[i] == '-') {
                int oh, om = 0;
                int sign = s[i] == '-' ? -1 : 1;
                if (!digits(s, n, i + 1, 2, &oh))
                    return false;
                size_t j = i + 3;
                if (j < n && s[j] == ':')
                    j++;
                if (j < n) {
                    if (!digits(s, n, j, 2, &om))
                        return false;
                    j += 2;
                }
                if (j != n || oh > 14 || om > 59)
                    return false;
                offset_min = sign * (oh * 60 + om);
                i = j;
            } else if (s[i] == ' ' && (sp_streq(s + i + 1, n - i - 1, "GMT", 3) ||
                                       sp_streq(s + i + 1, n - i - 1, "UTC", 3))) {
                i = n;
            }
        }
    } else if (i < n && (s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
        i++;
    }
    if (i != n)
        return false;
    int64_t t;
    if (!sp_datetime_make(y, mo, d, hh, mi, ss, frac, &t))
        return false;
    t -= offset_min * SP_TICKS_PER_MIN;
    if (t < SP_DATETIME_MIN || t > SP_DATETIME_MAX)
        return false;
    *ticks = t;
    return true;
}

int sp_datetime_format(int64_t ticks, char *buf)
{
    int y, mo, d, hh, mi, ss, fr;
    sp_datetime_split(ticks, &y, &mo, &d, &hh, &mi, &ss, &fr);
    return snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%07dZ", y, mo, d, hh, mi, ss, fr);
}

bool sp_timespan_parse(const char *s, size_t n, int64_t *ticks)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && s[i] == '-') {
        neg = true;
        i++;
    }
    /* Leading number: days (if followed by '.') or hours (if followed by ':'). */
    int64_t first = 0;
    size_t st = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        first = first * 10 + (s[i] - '0');
        if (first > 10675199)
            return false;
        i++;
    }
    if (i == st)
        return false;
    int64_t days = 0, hours;
    if (i < n && s[i] == '.') {
        days = first;
        i++;
        int h;
        size_t hl = (i + 1 < n && s[i + 1] == ':') ? 1 : 2;
        if (!digits(s, n, i, (int)hl, &h))
            return false;
        hours = h;
        i += hl;
    } else if (i == n) {
        /* A bare number is a count of days, as totimespan("2") is not: reject. */
        return false;
    } else {
        hours = first;
    }
    if (i >= n || s[i] != ':')
        return false;
    int mi, ss = 0;
    if (!digits(s, n, i + 1, 2, &mi))
        return false;
    i += 3;
    int64_t frac = 0;
    if (i < n && s[i] == ':') {
        if (!digits(s, n, i + 1, 2, &ss))
            return false;
        i += 3;
        if (i < n && s[i] == '.') {
            i++;
            int nd = 0;
            while (i < n && s[i] >= '0' && s[i] <= '9') {
                if (nd < 7)
                    frac = frac * 10 + (s[i] - '0');
                nd++;
                i++;
            }
            if (!nd)
                return false;
            for (; nd < 7; nd++)
                frac *= 10;
        }
    }
    if (i != n || hours > 23 + (days == 0 ? 1000000 : 0) || mi > 59 || ss > 59)
        return false;
    int64_t t = ((days * 24 + hours) * 3600 + mi * 60 + ss) * SP_TICKS_PER_SEC + frac;
    *ticks = neg ? -t : t;
    return true;
}

int sp_timespan_format(int64_t ticks, char *buf)
{
    bool neg = ticks < 0;
    uint64_t t = neg ? (uint64_t)0 - (uint64_t)ticks : (uint64_t)ticks;
    uint64_t frac = t % SP_TICKS_PER_SEC, secs = t / SP_TICKS_PER_SEC;
    uint64_t days = secs / 86400, rem = secs % 86400;
    int n = 0;
    if (neg)
        buf[n++] = '-';
    if (days)
        n += snprintf(buf + n, 40 - (size_t)n, "%llu.", (unsigned long long)days);
    n += snprintf(buf + n, 40 - (size_t)n, "%02u:%02u:%02u", (unsigned)(rem / 3600),
                  (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
    if (frac)
        n += snprintf(buf + n, 40 - (size_t)n, ".%07u", (unsigned)frac);
    return n;
}

int64_t sp_now_ticks(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * SP_TICKS_PER_SEC + ts.tv_nsec / 100 + SP_UNIX_EPOCH_TICKS;
}
