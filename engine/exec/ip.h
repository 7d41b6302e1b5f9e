/* ip.h — IPv4 and IPv6 addresses and networks, parsed once for everything that needs
 * them: the KQL ipv4_ / ipv6_ functions, has_ipv4 / has_any_ipv4, and Sigma's `cidr`
 * modifier ($cidr). Internal to engine/exec.
 *
 * Ownership: plain values only; nothing here allocates.
 */
#ifndef SP_EXEC_IP_H
#define SP_EXEC_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An address or network in IPv6 form: IPv4 is mapped to ::ffff:a.b.c.d and its prefix
 * moved up by 96, so one comparison serves both families. */
typedef struct kip {
    uint8_t a[16];
    int prefix; /* 0..128 */
    bool v4;    /* written as IPv4 (dotted quad) */
} kip;

/* Dotted quad `a.b.c.d` (each part 0..255, decimal) with an optional `/n` (0..32):
 * true and the address (host order) and prefix (32 when absent). */
bool kip_parse4(const char *s, size_t n, uint32_t *addr, int *prefix);
/* IPv6 text (any RFC 4291 form, IPv4-suffixed included) or an IPv4 address, each with an
 * optional `/n`. */
bool kip_parse(const char *s, size_t n, kip *out);
/* a and b compared on their first `bits` bits: <0, 0, >0. */
int kip_cmp(const uint8_t a[16], const uint8_t b[16], int bits);
/* True when addr lies in the network net (net->prefix bits). */
static inline bool kip_in(const kip *addr, const kip *net)
{
    return kip_cmp(addr->a, net->a, net->prefix) == 0;
}
void kip_from4(uint32_t v4, int prefix4, kip *out);
/* Writes a.b.c.d into buf (16 bytes); returns the length. */
int kip_format4(uint32_t v4, char *buf);

#endif
