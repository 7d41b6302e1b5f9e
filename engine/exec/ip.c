/* ip.c — IPv4/IPv6 parsing and prefix comparison (see ip.h). IPv4 is parsed by hand
 * because Kusto accepts what inet_pton rejects (leading zeros: `010.1.1.1` is 10.1.1.1)
 * and to avoid copying; IPv6 goes through inet_pton, which knows every RFC 4291 form. */
#include "engine/exec/ip.h"

#include <arpa/inet.h>
#include <string.h>

static bool parse_prefix(const char *s, size_t n, int max, int *out)
{
    if (n == 0 || n > 3)
        return false;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

bool kip_parse4(const char *s, size_t n, uint32_t *addr, int *prefix)
{
    const char *slash = memchr(s, '/', n);
    size_t an = slash ? (size_t)(slash - s) : n;
    *prefix = 32;
    if (slash && !parse_prefix(slash + 1, n - an - 1, 32, prefix))
        return false;
    uint32_t v = 0;
    int parts = 0;
    size_t i = 0;
    while (parts < 4) {
        size_t st = i;
        unsigned part = 0;
        while (i < an && s[i] >= '0' && s[i] <= '9' && i - st < 3)
            part = part * 10 + (unsigned)(s[i++] - '0');
        if (i == st || part > 255 || (i < an && s[i] >= '0' && s[i] <= '9'))
            return false;
        v = (v << 8) | part;
        parts++;
        if (parts < 4) {
            if (i >= an || s[i] != '.')
                return false;
            i++;
        }
    }
    if (i != an)
        return false;
    *addr = v;
    return true;
}

void kip_from4(uint32_t v4, int prefix4, kip *out)
{
    memset(out->a, 0, 10);
    out->a[10] = out->a[11] = 0xFF;
    out->a[12] = (uint8_t)(v4 >> 24);
    out->a[13] = (uint8_t)(v4 >> 16);
    out->a[14] = (uint8_t)(v4 >> 8);
    out->a[15] = (uint8_t)v4;
    out->prefix = prefix4 + 96;
    out->v4 = true;
}

bool kip_parse(const char *s, size_t n, kip *out)
{
    uint32_t v4;
    int p4;
    if (memchr(s, ':', n) == NULL) {
        if (!kip_parse4(s, n, &v4, &p4))
            return false;
        kip_from4(v4, p4, out);
        return true;
    }
    const char *slash = memchr(s, '/', n);
    size_t an = slash ? (size_t)(slash - s) : n;
    char tmp[64];
    if (an == 0 || an >= sizeof tmp)
        return false;
    memcpy(tmp, s, an);
    tmp[an] = 0;
    if (inet_pton(AF_INET6, tmp, out->a) != 1)
        return false;
    out->prefix = 128;
    out->v4 = false;
    if (slash && !parse_prefix(slash + 1, n - an - 1, 128, &out->prefix))
        return false;
    return true;
}

int kip_cmp(const uint8_t a[16], const uint8_t b[16], int bits)
{
    int full = bits / 8, rest = bits % 8;
    for (int i = 0; i < full && i < 16; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    if (rest && full < 16) {
        uint8_t m = (uint8_t)(0xFF << (8 - rest));
        uint8_t x = a[full] & m, y = b[full] & m;
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

int kip_format4(uint32_t v4, char *buf)
{
    int n = 0;
    for (int i = 3; i >= 0; i--) {
        unsigned part = (v4 >> (i * 8)) & 0xFF;
        if (part >= 100)
            buf[n++] = (char)('0' + part / 100);
        if (part >= 10)
            buf[n++] = (char)('0' + part / 10 % 10);
        buf[n++] = (char)('0' + part % 10);
        if (i)
            buf[n++] = '.';
    }
    buf[n] = 0;
    return n;
}
