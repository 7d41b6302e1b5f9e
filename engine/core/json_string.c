/* json_string.c — JSON string literals and Kusto's text form of reals.
 *
 * Dynamic values are stored as compact JSON text, so reading a dynamic string (tostring,
 * comparisons, dictionary conversion) needs the literal decoded; printing reals must match
 * what Kusto prints so that query output and tostring() agree with Sentinel.
 */
#include "engine/core/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool read_u4(const char *p, const char *end, unsigned *out)
{
    if (end - p < 4)
        return false;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return false;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return true;
}

static void put_utf8(sp_buf *out, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    sp_buf_append(out, b, n);
}

bool sp_json_unescape(const char *lit, size_t n, sp_buf *out)
{
    if (n < 2 || lit[0] != '"' || lit[n - 1] != '"')
        return false;
    size_t start_len = out->len;
    const char *p = lit + 1, *end = lit + n - 1;
    while (p < end) {
        const char *run = p;
        while (p < end && *p != '\\')
            p++;
        sp_buf_append(out, run, (size_t)(p - run));
        if (p >= end)
            break;
        if (++p >= end)
            goto bad;
        char e = *p++;
        switch (e) {
        case '"': sp_buf_putc(out, '"'); break;
        case '\\': sp_buf_putc(out, '\\'); break;
        case '/': sp_buf_putc(out, '/'); break;
        case 'b': sp_buf_putc(out, '\b'); break;
        case 'f': sp_buf_putc(out, '\f'); break;
        case 'n': sp_buf_putc(out, '\n'); break;
        case 'r': sp_buf_putc(out, '\r'); break;
        case 't': sp_buf_putc(out, '\t'); break;
        case 'u': {
            unsigned cp;
            if (!read_u4(p, end, &cp))
                goto bad;
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (end - p >= 6 && p[0] == '\\' && p[1] == 'u' && read_u4(p + 2, end, &lo) &&
                    lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                } else {
                    cp = 0xFFFD; /* lone surrogate */
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            put_utf8(out, cp);
            break;
        }
        default: goto bad;
        }
    }
    return true;
bad:
    out->len = start_len;
    return false;
}

int sp_format_real(double v, char *buf)
{
    if (isnan(v))
        return snprintf(buf, 32, "NaN");
    if (isinf(v))
        return snprintf(buf, 32, v < 0 ? "-Infinity" : "Infinity");
    if (v == 0)
        return snprintf(buf, 32, signbit(v) ? "-0" : "0");
    /* Shortest precision that round-trips, then .NET's layout rules. */
    char tmp[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    /* tmp = [-]d.ddde[+-]XX */
    const char *s = tmp;
    bool neg = *s == '-';
    if (neg)
        s++;
    char digits[20];
    int nd = 0;
    for (; *s && *s != 'e'; s++)
        if (*s != '.')
            digits[nd++] = *s;
    int exp = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    int n = 0;
    if (neg)
        buf[n++] = '-';
    if (exp >= 15 || exp < -5) {
        buf[n++] = digits[0];
        if (nd > 1) {
            buf[n++] = '.';
            memcpy(buf + n, digits + 1, (size_t)nd - 1);
            n += nd - 1;
        }
        n += snprintf(buf + n, 32 - (size_t)n, "E%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        return n;
    }
    if (exp < 0) {
        buf[n++] = '0';
        buf[n++] = '.';
        for (int i = -1; i > exp; i--)
            buf[n++] = '0';
        memcpy(buf + n, digits, (size_t)nd);
        n += nd;
    } else {
        for (int i = 0; i <= exp; i++)
            buf[n++] = i < nd ? digits[i] : '0';
        if (nd > exp + 1) {
            buf[n++] = '.';
            memcpy(buf + n, digits + exp + 1, (size_t)(nd - exp - 1));
            n += nd - exp - 1;
        }
    }
    buf[n] = 0;
    return n;
}
