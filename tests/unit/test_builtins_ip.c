/* test_builtins_ip.c — IPv4/IPv6 builtins and the Sigma matchers $glob and $cidr,
 * called as kernels; the Kusto documentation's examples are pinned, and range lists are
 * exercised in all three forms the binder may pass (extra string arguments, a dynamic
 * array, a constant set). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#define KFH_SHORT_NAMES
#include "support/kfn_harness.h"
#include "engine/exec/ip.h"

static kfh H;
KFH_SETUP

static void test_ip_parser_accepts_only_well_formed_addresses(void **st)
{
    (void)st;
    uint32_t a;
    int p;
    assert_true(kip_parse4("010.1.1.1", 9, &a, &p));
    assert_int_equal(a, 0x0A010101u);
    assert_int_equal(p, 32);
    assert_true(kip_parse4("1.2.3.4/0", 9, &a, &p) && p == 0);
    const char *bad[] = {"1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.4/33", "1.2.3.4/", " 1.2.3.4", "1.2.3.0004", ""};
    for (size_t i = 0; i < SP_ARRAY_LEN(bad); i++)
        assert_false(kip_parse4(bad[i], strlen(bad[i]), &a, &p));
    kip k;
    assert_true(kip_parse("::ffff:1.2.3.4", 14, &k) && k.prefix == 128 && !k.v4);
    assert_true(kip_parse("1.2.3.4/8", 9, &k) && k.prefix == 104 && k.v4);
    assert_false(kip_parse("fe80::1/129", 11, &k));
    assert_false(kip_parse("fe80:::1", 8, &k));
}

static void test_parse_and_format_ipv4(void **st)
{
    (void)st;
    EXPECT("2130706433", parse_ipv4, LONG, S("127.0.0.1"));
    EXPECT("3221334017", parse_ipv4, LONG, S("192.1.168.1"));
    EXPECT("3221334016", parse_ipv4, LONG, S("192.1.168.1/24"));
    EXPECT("null", parse_ipv4, LONG, S("192.1.168"));
    EXPECT("2130838272", parse_ipv4_mask, LONG, S("127.2.3.4"), L(24));
    EXPECT("3221334018", parse_ipv4_mask, LONG, S("192.1.168.3"), L(31));
    EXPECT("2130838276", parse_ipv4_mask, LONG, S("127.2.3.4"), L(32));
    EXPECT("null", parse_ipv4_mask, LONG, S("127.2.3.4"), L(33));
    EXPECT("24", ipv4_netmask_suffix, LONG, S("192.168.1.1/24"));
    EXPECT("32", ipv4_netmask_suffix, LONG, S("192.168.1.1"));
    EXPECT("null", ipv4_netmask_suffix, LONG, S("192.168.1.1/40"));
    EXPECT("\"192.168.1.0\"", format_ipv4, STRING, S("192.168.1.255"), L(24));
    EXPECT("\"192.168.1.0\"", format_ipv4, STRING, L(3232236031), L(24));
    EXPECT("\"192.168.1.0\"", format_ipv4, STRING, S("192.168.1.1/24"), L(32));
    EXPECT("\"192.168.1.255\"", format_ipv4, STRING, L(3232236031));
    EXPECT("\"\"", format_ipv4, STRING, L(-1));
    EXPECT("\"\"", format_ipv4, STRING, S("abc"));
}

static void test_ipv4_private_range_and_match(void **st)
{
    (void)st;
    EXPECT("true", ipv4_is_private, BOOL, S("192.168.1.1/24"));
    EXPECT("true", ipv4_is_private, BOOL, S("10.1.2.3/24"));
    EXPECT("true", ipv4_is_private, BOOL, S("172.31.255.255"));
    EXPECT("false", ipv4_is_private, BOOL, S("172.32.0.1"));
    EXPECT("false", ipv4_is_private, BOOL, S("202.1.2.3"));
    EXPECT("false", ipv4_is_private, BOOL, S("127.0.0.1"));
    EXPECT("false", ipv4_is_private, BOOL, S("10.0.0.0/7"));
    EXPECT("null", ipv4_is_private, BOOL, S("not an ip"));
    EXPECT("true", ipv4_is_in_range, BOOL, S("192.168.1.1"), S("192.168.1.1"));
    EXPECT("true", ipv4_is_in_range, BOOL, S("192.168.1.1"), S("192.168.1.255/24"));
    EXPECT("false", ipv4_is_in_range, BOOL, S("192.168.1.1"), S("192.168.2.1/24"));
    EXPECT("null", ipv4_is_in_range, BOOL, S("192.168.1.1"), S("::1"));
    EXPECT("true", ipv4_is_match, BOOL, S("192.168.1.1"), S("192.168.1.255"), L(24));
    EXPECT("false", ipv4_is_match, BOOL, S("192.168.1.1"), S("192.168.1.255"));
    EXPECT("true", ipv4_is_match, BOOL, S("192.168.1.1/24"), S("192.168.1.255/24"));
    EXPECT("true", ipv4_is_match, BOOL, S("192.168.1.1"), S("192.168.1.255/24"));
    EXPECT("null", ipv4_is_match, BOOL, S("192.168.1.1"), S("x"));
    EXPECT("0", ipv4_compare, LONG, S("127.0.0.1"), S("127.0.0.1"));
    EXPECT("-1", ipv4_compare, LONG, S("192.168.1.1"), S("192.168.1.255"));
    EXPECT("1", ipv4_compare, LONG, S("192.168.1.255"), S("192.168.1.1"));
    EXPECT("0", ipv4_compare, LONG, S("192.168.1.1/24"), S("192.168.1.255/24"));
    EXPECT("0", ipv4_compare, LONG, S("192.168.1.1"), S("192.168.1.255"), L(24));
    EXPECT("null", ipv4_compare, LONG, S("192.168.1.1"), S("192.168.1.255"), L(64));
}

static void test_ipv4_is_in_any_range_takes_strings_arrays_and_sets(void **st)
{
    (void)st;
    EXPECT("true", ipv4_is_in_any_range, BOOL, S("192.168.1.6"), S("192.168.1.1/24"), S("10.0.0.1/8"));
    EXPECT("false", ipv4_is_in_any_range, BOOL, S("192.168.1.6"), Y("[\"10.0.0.1/8\",\"127.1.0.1/16\"]"));
    EXPECT("true", ipv4_is_in_any_range, BOOL, S("127.1.2.3"), Y("[\"10.0.0.1/8\",\"127.1.0.1/16\"]"));
    EXPECT("true", ipv4_is_in_any_range, BOOL, S("10.9.9.9"), SET(S("192.168.0.0/16"), S("10.0.0.0/8")));
    EXPECT("false", ipv4_is_in_any_range, BOOL, S("11.9.9.9"), SET(S("192.168.0.0/16"), S("10.0.0.0/8")));
    EXPECT("true", ipv4_is_in_any_range, BOOL, S("10.9.9.9"), ROW(Y("[\"10.0.0.0/8\"]")));
    EXPECT("null", ipv4_is_in_any_range, BOOL, S("10.9.9.9"), S("10.0.0.0/8"), S("bogus"));
    EXPECT("null", ipv4_is_in_any_range, BOOL, S("bogus"), S("10.0.0.0/8"));
}

static void test_ipv6_functions_accept_mapped_ipv4(void **st)
{
    (void)st;
    EXPECT("0", ipv6_compare, LONG, S("::ffff:7f00:1"), S("127.0.0.1"));
    EXPECT("-1", ipv6_compare, LONG, S("fe80::85d:e82c:9446:7994"), S("fe80::85d:e82c:9446:7995"));
    EXPECT("0", ipv6_compare, LONG, S("fe80::85d:e82c:9446:7994/127"), S("fe80::85d:e82c:9446:7995/127"));
    EXPECT("0", ipv6_compare, LONG, S("fe80::85d:e82c:9446:7994"), S("fe80::85d:e82c:9446:7995"), L(127));
    EXPECT("0", ipv6_compare, LONG, S("192.168.1.1/24"), S("192.168.1.255"));
    EXPECT("true", ipv6_is_match, BOOL, S("::ffff:7f00:1"), S("127.0.0.1"));
    EXPECT("true", ipv6_is_match, BOOL, S("fe80::85d:e82c:9446:7994"), S("fe80::85d:e82c:9446:7995"), L(127));
    EXPECT("false", ipv6_is_match, BOOL, S("fe80::85d:e82c:9446:7994"), S("fe80::85d:e82c:9446:7995"));
    EXPECT("null", ipv6_is_match, BOOL, S("fe80::1"), S("zz::1"));
    EXPECT("true", ipv6_is_in_range, BOOL, S("a5e:f127:8a9d:146d:e102:b5d3:c755:abcd"), S("a5e:f127:8a9d:146d:e102:b5d3:c755:0000/112"));
    EXPECT("true", ipv6_is_in_range, BOOL, S("a5e:f127:8a9d:146d:e102:b5d3:c755:abcd"), S("a5e:f127:8a9d:146d:e102:b5d3:c755:abcd"));
    EXPECT("false", ipv6_is_in_range, BOOL, S("a5e:f127:8a9d:146d:e102:b5d3:c755:abcd"), S("0:0:0:0:0:ffff:c0a8:ac/60"));
    EXPECT("true", ipv6_is_in_range, BOOL, S("10.1.2.3"), S("::ffff:10.0.0.0/104"));
    EXPECT("true", ipv6_is_in_any_range, BOOL, S("a5e:f127:8a9d:146d:e102:b5d3:c755:abcd"),
           S("a5e:f127:8a9d:146d:e102:b5d3:c755:0000/112"), S("fe80::85d:e82c:9446:7994/120"));
    EXPECT("false", ipv6_is_in_any_range, BOOL, S("2001:db8::1"), Y("[\"fe80::/10\",\"10.0.0.0/8\"]"));
}

static void test_has_ipv4_matches_whole_tokens_only(void **st)
{
    (void)st;
    EXPECT("true", has_ipv4, BOOL, S("05:04:54 127.0.0.1 GET /favicon.ico 404"), S("127.0.0.1"));
    EXPECT("false", has_ipv4, BOOL, S("05:04:54 127.0.0.256 GET /favicon.ico 404"), S("127.0.0.256"));
    EXPECT("false", has_ipv4, BOOL, S("05:04:54127.0.0.1 GET /favicon.ico 404"), S("127.0.0.1"));
    EXPECT("true", has_ipv4, BOOL, S("from 10.0.0.1."), S("10.0.0.1"));
    EXPECT("true", has_ipv4, BOOL, S("ip=10.0.0.1,port=80"), S("10.0.0.1"));
    EXPECT("false", has_ipv4, BOOL, S("v10.0.0.1"), S("10.0.0.1"));
    EXPECT("false", has_ipv4, BOOL, S("10.0.0.1.5"), S("10.0.0.1"));
    EXPECT("false", has_ipv4, BOOL, S("10.0.0.12"), S("10.0.0.1"));
    EXPECT("true", has_any_ipv4, BOOL, S("05:04:54 127.0.0.1 GET /favicon.ico 404"), Y("[\"127.0.0.1\",\"127.0.0.2\"]"));
    EXPECT("false", has_any_ipv4, BOOL, S("05:04:54 127.0.0.256 GET /favicon.ico 404"), Y("[\"127.0.0.1\",\"127.0.0.2\"]"));
    EXPECT("false", has_any_ipv4, BOOL, S("05:04:54127.0.0.1 GET /favicon.ico 404"), S("127.0.0.1"), S("127.0.0.2"));
    EXPECT("true", has_any_ipv4, BOOL, S("src 10.20.30.40 dst 8.8.8.8"), SET(S("10.0.0.0/8")));
    EXPECT("false", has_any_ipv4, BOOL, S("no address here"), SET(S("10.0.0.0/8")));
}

static void test_sigma_glob_is_anchored_with_escapes(void **st)
{
    (void)st;
    EXPECT("true", glob_match, BOOL, S("Hello World"), S("h*o w?rld"));
    EXPECT("false", glob_match, BOOL, S("Hello World"), S("h*o w?rld"), BO(true));
    EXPECT("true", glob_match, BOOL, S("Hello World"), S("H*o W?rld"), BO(true));
    EXPECT("false", glob_match, BOOL, S("Hello World!"), S("h*o w?rld"));
    EXPECT("true", glob_match, BOOL, S("a*b"), S("a\\*b"));
    EXPECT("false", glob_match, BOOL, S("axb"), S("a\\*b"));
    EXPECT("true", glob_match, BOOL, S("a\\b"), S("a\\\\b"));
    /* a backslash before a wildcard must itself be escaped: `\\*` is a backslash and a wildcard */
    EXPECT("true", glob_match, BOOL, S("C:\\Windows\\x.exe"), S("c:\\windows\\\\*.exe"));
    EXPECT("false", glob_match, BOOL, S("C:\\Windows\\x.exe"), S("c:\\windows\\*.exe"));
    EXPECT("true", glob_match, BOOL, S("é"), S("?"));
    EXPECT("true", glob_match, BOOL, S("ÉCOLE"), S("éc*"));
    EXPECT("true", glob_match, BOOL, S("xaab"), S("*a*b"));
    EXPECT("true", glob_match, BOOL, S(""), S("*"));
    EXPECT("false", glob_match, BOOL, S(""), S("?"));
    EXPECT("true", glob_match, BOOL, S("aXbYc"), S("a*b*c"));
    EXPECT("false", glob_match, BOOL, S("aXbYd"), S("a*b*c"));
}

static void test_sigma_cidr_matches_ipv4_and_ipv6(void **st)
{
    (void)st;
    EXPECT("true", cidr_match, BOOL, S("10.1.2.3"), S("10.0.0.0/8"));
    EXPECT("false", cidr_match, BOOL, S("11.1.2.3"), S("10.0.0.0/8"));
    EXPECT("true", cidr_match, BOOL, S("::ffff:10.1.2.3"), S("10.0.0.0/8"));
    EXPECT("true", cidr_match, BOOL, S("2001:db8::1"), S("2001:db8::/32"));
    EXPECT("false", cidr_match, BOOL, S("2001:db9::1"), S("2001:db8::/32"));
    EXPECT("false", cidr_match, BOOL, S("10.1.2.3"), S("2001:db8::/32"));
    EXPECT("false", cidr_match, BOOL, S("not an ip"), S("10.0.0.0/8"));
    EXPECT("false", cidr_match, BOOL, S("10.1.2.3/8"), S("10.0.0.0/8"));
    EXPECT("false", cidr_match, BOOL, S("10.1.2.3"), ROW(S("bogus")));
    const char *r = KFH_CALL(&H, KB_cidr_match, SP_TYPE_BOOL, S("10.1.2.3"), S("10.0.0/8"));
    assert_true(strncmp(r, "ERROR: not an IPv4 or IPv6 network", 34) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_ip_parser_accepts_only_well_formed_addresses),
        T(test_parse_and_format_ipv4),
        T(test_ipv4_private_range_and_match),
        T(test_ipv4_is_in_any_range_takes_strings_arrays_and_sets),
        T(test_ipv6_functions_accept_mapped_ipv4),
        T(test_has_ipv4_matches_whole_tokens_only),
        T(test_sigma_glob_is_anchored_with_escapes),
        T(test_sigma_cidr_matches_ipv4_and_ipv6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
