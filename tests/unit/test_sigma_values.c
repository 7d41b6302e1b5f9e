/* test_sigma_values.c — detection values and modifiers compiled into normalised matchers:
 * the escaping table, wildcard classification, every modifier and its chain rules, encodings
 * against the known-good strings of the SigmaHQ documentation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <oniguruma.h>
#include <string.h>

#include "sigma/sigma.h"
#include "support/sigma_support.h"

#define RULE(item)                                                                             \
    "title: t\nid: 929a690e-bef0-4204-a928-ef5e620d6fcc\nlogsource: {product: test}\n"         \
    "detection:\n  sel:\n    " item "\n  condition: sel\n"

/* The item is on line 6; its key starts at column 5. */
#define AT(col, msg) "rule.yml:6:" #col ": " msg

static void expect(const char *item, const char *want)
{
    const char *got = ts_compile(item);
    if (strcmp(got, want) != 0)
        fail_msg("item:\n%s\nwant: %s\ngot:  %s", item, want, got);
}

static void expect_reject(const char *item, const char *want)
{
    const char *got = ts_reject(item);
    if (strcmp(got, want) != 0)
        fail_msg("item:\n%s\nwant: %s\ngot:  %s", item, want, got);
}

/* ---- escaping table (rules spec, Escaping) ------------------------------------------------ */

static void test_escaped_star_and_question_are_literal(void **st)
{
    (void)st;
    expect(RULE("f: 'a\\*b'"), "f: (eq \"a*b\")");
    expect(RULE("f: 'a\\?b'"), "f: (eq \"a?b\")");
}

static void test_plain_backslash_before_other_char_is_literal(void **st)
{
    (void)st;
    expect(RULE("f: 'C:\\Windows\\System32\\cmd.exe'"),
           "f: (eq \"C:\\\\Windows\\\\System32\\\\cmd.exe\")");
}

static void test_double_backslash_is_one_backslash(void **st)
{
    (void)st;
    expect(RULE("f: 'C:\\\\Windows'"), "f: (eq \"C:\\\\Windows\")");
}

static void test_escaped_backslash_then_wildcard_keeps_the_wildcard(void **st)
{
    (void)st;
    /* \\* : a backslash followed by the * wildcard */
    expect(RULE("f: 'C:\\Windows\\\\*'"), "f: (prefix \"C:\\\\Windows\\\\\")");
}

static void test_three_backslashes_then_star_are_backslash_and_literal_star(void **st)
{
    (void)st;
    expect(RULE("f: 'a\\\\\\*'"), "f: (eq \"a\\\\*\")");
}

static void test_three_or_four_backslashes_are_two(void **st)
{
    (void)st;
    expect(RULE("f: 'a\\\\\\\\b'"), "f: (eq \"a\\\\\\\\b\")");
    expect(RULE("f: 'a\\\\\\b'"), "f: (eq \"a\\\\\\\\b\")");
}

static void test_trailing_backslash_is_literal(void **st)
{
    (void)st;
    expect(RULE("f: 'dir\\'"), "f: (eq \"dir\\\\\")");
}

/* ---- wildcard classification ---------------------------------------------------------------- */

static void test_wildcards_reduce_to_prefix_suffix_contains(void **st)
{
    (void)st;
    expect(RULE("f: 'abc*'"), "f: (prefix \"abc\")");
    expect(RULE("f: '*abc'"), "f: (suffix \"abc\")");
    expect(RULE("f: '*abc*'"), "f: (contains \"abc\")");
    expect(RULE("f: '**abc***'"), "f: (contains \"abc\")");
}

static void test_inner_wildcards_and_question_mark_stay_glob(void **st)
{
    (void)st;
    expect(RULE("f: 'a*b'"), "f: (glob \"a*b\")");
    expect(RULE("f: 'prog?.exe'"), "f: (glob \"prog?.exe\")");
    expect(RULE("f: '*a*b*'"), "f: (glob \"*a*b*\")");
    /* a literal star inside a glob is escaped in the canonical pattern */
    expect(RULE("f: 'x\\*y*z?'"), "f: (glob \"x\\\\*y*z?\")");
}

static void test_lone_star_matches_any_present_value(void **st)
{
    (void)st;
    expect(RULE("f: '*'"), "f: (contains \"\")");
}

static void test_glob_regex_form_is_anchored_and_escaped(void **st)
{
    (void)st;
    sig_set *s = ts_load(RULE("f: 'a.b*c?'"));
    const sig_value *v = &sig_set_rule(s, 0)->expr->m->groups[0].v[0];
    sp_buf b = {0};
    sig_value_to_regex(&b, v, false);
    assert_string_equal(sp_buf_cstr(&b), "(?is)\\Aa\\.b.*c.\\z");
    b.len = 0;
    sig_value_to_regex(&b, v, true);
    assert_string_equal(sp_buf_cstr(&b), "(?s)\\Aa\\.b.*c.\\z");
    sp_buf_free(&b);
    sig_set_free(s);
}

/* ---- scalar types ---------------------------------------------------------------------------- */

static void test_numbers_compile_to_numeric_equality_with_their_text(void **st)
{
    (void)st;
    expect(RULE("ResultType: 50126"), "ResultType: (num 50126)");
    expect(RULE("f: 1.5"), "f: (num 1.5)");
    expect(RULE("f: '50126'"), "f: (eq \"50126\")");
    sig_set *s = ts_load(RULE("f: 0x1F"));
    const sig_value *v = &sig_set_rule(s, 0)->expr->m->groups[0].v[0];
    assert_int_equal(v->kind, SIG_NUM_EQ);
    assert_true(v->is_int);
    assert_int_equal(v->inum, 31);
    sig_set_free(s);
}

static void test_null_empty_and_booleans(void **st)
{
    (void)st;
    expect(RULE("f: null"), "f: (null)");
    expect(RULE("f: ~"), "f: (null)");
    expect(RULE("f: ''"), "f: (eq \"\")");
    expect(RULE("f: true"), "f: (bool true)");
    expect(RULE("f: 'true'"), "f: (eq \"true\")");
}

static void test_list_values_each_form_a_group(void **st)
{
    (void)st;
    expect(RULE("f: [a, 'b*', 5, null]"), "f: (eq \"a\") (prefix \"b\") (num 5) (null)");
}

/* ---- generic modifiers ------------------------------------------------------------------------- */

static void test_contains_startswith_endswith(void **st)
{
    (void)st;
    expect(RULE("f|contains: x"), "f: (contains \"x\")");
    expect(RULE("f|startswith: x"), "f: (prefix \"x\")");
    expect(RULE("f|endswith: '\\cmd.exe'"), "f: (suffix \"\\\\cmd.exe\")");
    /* a wildcard inside makes it a glob */
    expect(RULE("f|contains: 'a*b'"), "f: (glob \"*a*b*\")");
    /* numbers take their written text */
    expect(RULE("f|contains: 123"), "f: (contains \"123\")");
}

static void test_all_ands_groups(void **st)
{
    (void)st;
    expect(RULE("f|contains|all: [a, b]"), "f all: (contains \"a\") (contains \"b\")");
}

static void test_all_with_one_value_is_rejected(void **st)
{
    (void)st;
    expect_reject(RULE("f|contains|all: x"),
                  AT(16, "'all' needs a list of at least two values (one value: drop 'all')"));
    expect_reject(RULE("f|all: [x]"),
                  AT(7, "'all' needs a list of at least two values (one value: drop 'all')"));
}

static void test_cased_and_neq_are_matcher_flags(void **st)
{
    (void)st;
    expect(RULE("f|cased: AbC"), "f cased: (eq \"AbC\")");
    expect(RULE("f|neq: [a, 5]"), "f neq: (eq \"a\") (num 5)");
    expect(RULE("f|contains|cased|neq: X"), "f cased neq: (contains \"X\")");
}

static void test_exists_takes_a_boolean_alone(void **st)
{
    (void)st;
    expect(RULE("f|exists: true"), "f: (exists true)");
    expect(RULE("f|exists: false"), "f: (exists false)");
    expect_reject(RULE("f|exists: 'yes'"), AT(15, "'exists' needs true or false, not a string"));
    expect_reject(RULE("f|exists|contains: true"),
                  AT(14, "'exists' cannot be combined with 'contains'"));
    expect_reject(RULE("f|contains|exists: true"),
                  AT(16, "'exists' cannot be combined with 'contains'"));
}

/* ---- string modifiers -------------------------------------------------------------------------- */

static void test_windash_contains_gives_five_contains_values(void **st)
{
    (void)st;
    expect(RULE("CommandLine|windash|contains: ' -foo'"),
           "CommandLine: (contains \" -foo\" | contains \" /foo\" | contains \" \\xE2\\x80\\x93foo\" "
           "| contains \" \\xE2\\x80\\x94foo\" | contains \" \\xE2\\x80\\x95foo\")");
}

static void test_windash_permutes_only_flag_dashes(void **st)
{
    (void)st;
    /* SigmaHQ documentation: ` -param-name ` -> 5 values, the inner dash stays */
    sig_set *s = ts_load(RULE("f|windash: [' -param-name ', 'no-flag', ' -a /b']"));
    const sig_matcher *m = sig_set_rule(s, 0)->expr->m;
    assert_int_equal(m->groups[0].n, 5);
    assert_int_equal(m->groups[1].n, 1);
    assert_int_equal(m->groups[2].n, 25);
    assert_string_equal(m->groups[0].v[1].text, " /param-name ");
    sig_set_free(s);
    /* any of the five forms is a permutation point, and all five come out */
    s = ts_load(RULE("f|windash: \"\\u2014x\""));
    m = sig_set_rule(s, 0)->expr->m;
    assert_int_equal(m->groups[0].n, 5);
    assert_string_equal(m->groups[0].v[0].text, "-x");
    sig_set_free(s);
}

static void test_windash_with_too_many_flags_is_rejected(void **st)
{
    (void)st;
    expect_reject(RULE("f|windash: '-a -b -c -d -e -f'"),
                  AT(7, "windash: the value has too many dash characters (5^n variants exceed "
                        "4096)"));
}

static void test_expansions_are_capped_per_item(void **st)
{
    (void)st;
    /* 17 values of 5^5 = 3125 variants each: 53125 fit, the 21st would pass 65536 */
    char item[4096] = "f|windash: [";
    for (int i = 0; i < 21; i++)
        snprintf(item + strlen(item), sizeof item - strlen(item), "%s'-a%d -b -c -d -e'", i ? ", " : "",
                 i);
    strcat(item, "]");
    char yaml[8192];
    snprintf(yaml, sizeof yaml, RULE("%s"), item);
    expect_reject(yaml, AT(16, "the values of this item expand to more than 65536 concrete values"));
}

static void test_windash_all_keeps_variants_together_per_value(void **st)
{
    (void)st;
    sig_set *s = ts_load(RULE("f|windash|contains|all: [' -a', ' -b']"));
    const sig_matcher *m = sig_set_rule(s, 0)->expr->m;
    assert_true(m->all);
    assert_int_equal(m->ngroups, 2);
    assert_int_equal(m->groups[0].n, 5);
    assert_int_equal(m->groups[1].n, 5);
    sig_set_free(s);
}

/* ---- encodings ---------------------------------------------------------------------------------- */

static void test_base64_encodes_the_whole_value(void **st)
{
    (void)st;
    expect(RULE("f|base64: 'cmd'"), "f: (eq \"Y21k\")");
    expect(RULE("f|base64|contains: 'http://'"), "f: (contains \"aHR0cDovLw==\")");
}

static void test_base64offset_matches_the_sigmahq_documentation(void **st)
{
    (void)st;
    /* sigmahq.io/docs/basics/modifiers: fieldname|base64offset|contains */
    expect(RULE("fieldname|base64offset|contains: [/bin/bash, /bin/sh, /bin/zsh]"),
           "fieldname: (contains \"L2Jpbi9iYXNo\" | contains \"9iaW4vYmFza\" | contains "
           "\"vYmluL2Jhc2\") (contains \"L2Jpbi9za\" | contains \"9iaW4vc2\" | contains "
           "\"vYmluL3No\") (contains \"L2Jpbi96c2\" | contains \"9iaW4venNo\" | contains "
           "\"vYmluL3pza\")");
}

static void test_wide_base64offset_matches_the_sigmahq_documentation(void **st)
{
    (void)st;
    expect(RULE("CommandLine|wide|base64offset|contains: 'ping'"),
           "CommandLine: (contains \"cABpAG4AZw\" | contains \"AAaQBuAGcA\" | contains "
           "\"wAGkAbgBnA\")");
}

static void test_base64_cannot_encode_wildcards(void **st)
{
    (void)st;
    expect_reject(RULE("f|contains|base64offset: 'x'"),
                  AT(16, "'base64offset' cannot encode wildcards: write the value without * or ? "
                         "and put 'contains', 'startswith' or 'endswith' after 'base64offset'"));
    expect_reject(RULE("f|base64: 'a*'"),
                  AT(7, "'base64' cannot encode wildcards: write the value without * or ? and "
                        "put 'contains', 'startswith' or 'endswith' after 'base64'"));
}

static void test_utf16_encodings(void **st)
{
    (void)st;
    /* appendix: cmd > 63 00 6d 00 64 00 / 00 63 00 6d 00 64 / FF FE 63 00 6d 00 64 00 */
    expect(RULE("f|utf16le: cmd"), "f: (eq \"c\\x00m\\x00d\\x00\")");
    expect(RULE("f|wide: cmd"), "f: (eq \"c\\x00m\\x00d\\x00\")");
    expect(RULE("f|utf16be: cmd"), "f: (eq \"\\x00c\\x00m\\x00d\")");
    expect(RULE("f|utf16: cmd"), "f: (eq \"\\xFF\\xFEc\\x00m\\x00d\\x00\")");
    /* beyond the BMP: a surrogate pair */
    expect(RULE("f|utf16le: \"\\U0001F600\""), "f: (eq \"=\\xD8\\x00\\xDE\")");
    expect(RULE("f|utf16le|base64: cmd"), "f: (eq \"YwBtAGQA\")");
}

static void test_encoding_conflicts_are_rejected(void **st)
{
    (void)st;
    expect_reject(RULE("f|utf16le|wide: x"), AT(15, "modifiers 'utf16le' and 'wide' cannot be combined"));
    expect_reject(RULE("f|base64|base64offset: x"),
                  AT(14, "modifiers 'base64' and 'base64offset' cannot be combined"));
    expect_reject(RULE("f|contains|endswith: x"),
                  AT(16, "modifiers 'contains' and 'endswith' cannot be combined"));
}

/* ---- regular expressions ---------------------------------------------------------------------- */

static void test_re_keeps_the_raw_pattern_and_flags(void **st)
{
    (void)st;
    expect(RULE("f|re: '^a\\d+\\.exe$'"), "f: (re \"^a\\\\d+\\\\.exe$\")");
    expect(RULE("f|re|i|m|s: 'x.y'"), "f re=ims: (re \"x.y\")");
    expect(RULE("f|re|neq: '(?i)abc|(?P<n>d)'"), "f neq: (re \"(?i)abc|(?P<n>d)\")");
}

static void test_re_rejects_non_re2_constructs_at_their_offset(void **st)
{
    (void)st;
    expect_reject(RULE("f|re: '(a)\\1'"),
                  AT(15, "backreference '\\1' is not supported (RE2 syntax has none)"));
    expect_reject(RULE("f|re: 'a(?=b)'"),
                  AT(13, "lookahead '(?=' / '(?!' is not supported (RE2 syntax)"));
    expect_reject(RULE("f|re: '(?<!a)b'"),
                  AT(12, "lookbehind '(?<=' / '(?<!' is not supported (RE2 syntax)"));
    expect_reject(RULE("f|re: '(?>ab)'"), AT(12, "atomic group '(?>' is not supported (RE2 syntax)"));
    expect_reject(RULE("f|re: 'a++'"), AT(14, "possessive quantifier is not supported (RE2 syntax)"));
    expect_reject(RULE("f|re: '\\h'"), AT(12, "escape '\\h' is not supported (RE2 syntax)"));
    expect_reject(RULE("f|re: '(?P<n>a)(?P=n)'"),
                  AT(20, "named backreference or recursion '(?P=' / '(?P>' is not supported"));
    expect_reject(RULE("f|re: 'a{1001}'"), AT(13, "repetition count over 1000 (RE2 limit)"));
}

static void test_re_syntax_errors_come_from_oniguruma(void **st)
{
    (void)st;
    expect_reject(RULE("f|re: 'a(b'"), AT(11, "invalid regular expression: end pattern with unmatched parenthesis"));
}

static void test_re_chain_rules(void **st)
{
    (void)st;
    expect_reject(RULE("f|re|contains: x"),
                  AT(10, "'re' cannot be combined with 'contains' (only its flags i, m, s and all, neq)"));
    expect_reject(RULE("f|contains|re: x"),
                  AT(16, "'re' cannot be combined with 'contains' (only its flags i, m, s and all, neq)"));
    expect_reject(RULE("f|re|cased: x"),
                  AT(10, "'cased' cannot be combined with 're' (regexes are case-sensitive unless 'i')"));
    expect_reject(RULE("f|i: x"), AT(7, "regex flag 'i' needs 're' before it"));
    expect_reject(RULE("f|i|re: x"), AT(7, "regex flag 'i' must follow 're'"));
}

/* Compiles the Oniguruma form of a regex as the engine will and searches text. */
static bool onig_search_form(const char *re, uint8_t flags, const char *text)
{
    sp_buf f = {0};
    sig_regex_onig_form(&f, re, strlen(re), flags);
    OnigRegex reg;
    OnigErrorInfo einfo;
    OnigEncoding encs[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encs, 1);
    int rc = onig_new(&reg, (const OnigUChar *)f.data, (const OnigUChar *)f.data + f.len,
                      ONIG_OPTION_NONE, ONIG_ENCODING_UTF8, ONIG_SYNTAX_PERL_NG, &einfo);
    sp_buf_free(&f);
    assert_int_equal(rc, ONIG_NORMAL);
    const OnigUChar *a = (const OnigUChar *)text, *z = a + strlen(text);
    int at = onig_search(reg, a, z, a, z, NULL, ONIG_OPTION_NONE);
    onig_free(reg);
    return at >= 0;
}

static void test_regex_oniguruma_form_keeps_re2_meaning(void **st)
{
    (void)st;
    sp_buf f = {0};
    sig_regex_onig_form(&f, "(?P<u>a)[(?P<]x\\(?P<", 20, SIG_RE_I | SIG_RE_S);
    /* a class and an escaped parenthesis are left alone */
    assert_string_equal(sp_buf_cstr(&f), "(?i)(?s)(?<u>a)[(?P<]x\\(?P<");
    sp_buf_free(&f);
    assert_true(onig_search_form("abc", SIG_RE_I, "xABCx"));
    assert_false(onig_search_form("abc", 0, "xABCx"));
    assert_true(onig_search_form("^b$", SIG_RE_M, "a\nb\nc"));
    assert_false(onig_search_form("^b$", 0, "a\nb\nc"));
    assert_true(onig_search_form("a.b", SIG_RE_S, "a\nb"));
    assert_false(onig_search_form("a.b", 0, "a\nb"));
    assert_true(onig_search_form("(?P<user>adm_[a-z]+)@", 0, "adm_bob@contoso.com"));
}

static void test_names_of_kinds_levels_and_statuses(void **st)
{
    (void)st;
    assert_string_equal(sig_vkind_name(SIG_GLOB), "glob");
    assert_string_equal(sig_vkind_name(SIG_FIELDREF), "fieldref");
    assert_string_equal(sig_kind_name(SIG_DOC_CORRELATION), "correlation");
    assert_string_equal(sig_corr_type_name(SIG_CORR_TEMPORAL_ORDERED), "temporal_ordered");
    assert_string_equal(sig_level_name(SIG_LEVEL_CRITICAL), "critical");
    assert_string_equal(sig_status_name(SIG_STATUS_EXPERIMENTAL), "experimental");
    assert_string_equal(sig_mod_name(SIG_MOD_BASE64OFFSET), "base64offset");
    assert_string_equal(sig_reason_name(SIG_R_UNKNOWN_MODIFIER), "unknown-modifier");
}

/* ---- numbers, time, cidr, fieldref, expand --------------------------------------------------- */

static void test_numeric_comparisons(void **st)
{
    (void)st;
    expect(RULE("f|gt: 10"), "f: (gt 10)");
    expect(RULE("f|lte: 2.5"), "f: (lte 2.5)");
    expect(RULE("f|gte|all: [1, 9]"), "f all: (gte 1) (gte 9)");
    expect_reject(RULE("f|gt: '10'"), AT(11, "'gt' needs a number, not a string '10'"));
    expect_reject(RULE("f|gt|lt: 1"), AT(10, "modifiers 'gt' and 'lt' cannot be combined"));
    expect_reject(RULE("f|gt|neq: 1"), AT(10, "'gt' cannot be combined with 'neq' (numeric comparison)"));
    expect_reject(RULE("f|gt|contains: 1"),
                  AT(10, "'gt' cannot be combined with 'contains' (numeric comparison)"));
}

static void test_time_part_modifiers(void **st)
{
    (void)st;
    expect(RULE("ts|hour: 9"), "ts time=hour: (num 9)");
    expect(RULE("ts|hour|gte: 18"), "ts time=hour: (gte 18)");
    expect(RULE("ts|week|neq: 53"), "ts neq time=week: (num 53)");
    expect_reject(RULE("ts|hour: 24"), AT(14, "'hour' needs a whole number between 0 and 23, not '24'"));
    expect_reject(RULE("ts|month: 0"), AT(15, "'month' needs a whole number between 1 and 12, not '0'"));
    expect_reject(RULE("ts|gt|hour: 5"), AT(8, "'gt' must come after the time part modifier 'hour'"));
}

static void test_cidr_ipv4_and_ipv6(void **st)
{
    (void)st;
    sig_set *s = ts_load(RULE("ip|cidr: ['10.0.0.0/8', '2a03:2880:f132:83:face:b00c::/96', 192.168.1.7]"));
    const sig_matcher *m = sig_set_rule(s, 0)->expr->m;
    assert_int_equal(m->groups[0].v[0].family, 4);
    assert_int_equal(m->groups[0].v[0].prefix, 8);
    assert_int_equal(m->groups[0].v[0].addr[0], 10);
    assert_int_equal(m->groups[1].v[0].family, 6);
    assert_int_equal(m->groups[1].v[0].prefix, 96);
    assert_int_equal(m->groups[1].v[0].addr[0], 0x2a);
    assert_int_equal(m->groups[2].v[0].prefix, 32);
    sig_set_free(s);
    expect_reject(RULE("ip|cidr: 10.0.0.1/8"),
                  AT(14, "'cidr' value '10.0.0.1/8': host bits are set (the address is not the "
                         "network address) (write a network such as 10.0.0.0/8)"));
    expect_reject(RULE("ip|cidr: 'example.com'"),
                  AT(14, "'cidr' value 'example.com': not an IPv4 or IPv6 address (write a network "
                         "such as 10.0.0.0/8)"));
    expect_reject(RULE("ip|cidr|contains: 10.0.0.0/8"), AT(13, "'cidr' cannot be combined with 'contains'"));
}

static void test_fieldref_modes(void **st)
{
    (void)st;
    expect(RULE("User|fieldref: TargetUser"), "User: (fieldref-eq TargetUser)");
    expect(RULE("User|fieldref|neq: TargetUser"), "User neq: (fieldref-eq TargetUser)");
    expect(RULE("User|fieldref|startswith: Other"), "User: (fieldref-prefix Other)");
    expect(RULE("User|fieldref|contains: Other"), "User: (fieldref-contains Other)");
    expect_reject(RULE("User|fieldref: 'Tar*'"),
                  AT(20, "'fieldref' needs a field name without wildcards, not 'Tar*'"));
    expect_reject(RULE("User|fieldref|base64: x"), AT(19, "'fieldref' cannot be combined with 'base64'"));
}

static const char *const ph = "Servers: ['srv*', 'dc01']\nDomain: [contoso, fabrikam]\n";

static const char *compile_ph(const char *item)
{
    sig_set *s = ts_load_opts(item, ph, false);
    if (ts_errors(s))
        fail_msg("unexpected errors:\n%s", ts_all_diags(s));
    const char *m = ts_matcher(s, 0);
    sig_set_free(s);
    return m;
}

static void test_expand_substitutes_placeholder_values(void **st)
{
    (void)st;
    assert_string_equal(compile_ph(RULE("host|expand: '%Servers%'")),
                        "host: (prefix \"srv\" | eq \"dc01\")");
    assert_string_equal(compile_ph(RULE("u|expand: '%Domain%/%Servers%'")),
                        "u: (prefix \"contoso/srv\" | eq \"contoso/dc01\" | prefix "
                        "\"fabrikam/srv\" | eq \"fabrikam/dc01\")");
    /* \% is a plain percent sign */
    assert_string_equal(compile_ph(RULE("u|expand: '\\%plain%Domain%'")),
                        "u: (eq \"%plaincontoso\" | eq \"%plainfabrikam\")");
    /* contains before expand wraps every value */
    assert_string_equal(compile_ph(RULE("u|contains|expand: '%Domain%'")),
                        "u: (contains \"contoso\" | contains \"fabrikam\")");
    /* without expand a placeholder is plain text */
    assert_string_equal(compile_ph(RULE("u: '%Domain%'")), "u: (eq \"%Domain%\")");
}

static void test_expand_errors(void **st)
{
    (void)st;
    sig_set *s = ts_load_opts(RULE("u|expand: '%Nope%'"), ph, false);
    assert_string_equal(ts_diag(s, 0),
                        AT(15, "unresolved placeholder '%Nope%': no value in the placeholder "
                               "configuration (--placeholders FILE)"));
    sig_set_free(s);
    expect_reject(RULE("u|expand: 'no placeholder'"), AT(7, "'expand' without a %placeholder% in the value"));
}

/* ---- keys, keywords ---------------------------------------------------------------------------- */

static void test_unknown_modifier_points_at_the_modifier(void **st)
{
    (void)st;
    expect_reject(RULE("CommandLine|contians: x"), AT(17, "unknown modifier 'contians'"));
    expect_reject(RULE("f||contains: x"), AT(7, "empty modifier name"));
    expect_reject(RULE("f|contains|contains: x"), AT(16, "modifier 'contains' is given twice"));
    expect_reject(RULE("f|ignorecase: x"), AT(7, "unknown modifier 'ignorecase'"));
}

static void test_null_takes_no_string_modifier(void **st)
{
    (void)st;
    expect(RULE("f|neq: null"), "f neq: (null)");
    expect_reject(RULE("f|contains: null"),
                  AT(17, "null cannot take modifier 'contains' (null means: field absent or null)"));
}

static void test_keyword_lists_match_anywhere(void **st)
{
    (void)st;
    sig_set *s = ts_load("title: t\nlogsource: {product: test}\ndetection:\n  keywords:\n"
                         "    - 'event::clear'\n    - 'a*b'\n    - 4625\n  condition: keywords\n");
    assert_string_equal(ts_matcher(s, 0),
                        "*: (contains \"event::clear\") (glob \"*a*b*\") (contains \"4625\")");
    sig_set_free(s);
    s = ts_load("title: t\nlogsource: {product: test}\ndetection:\n  keywords:\n"
                "    '|all': [OabVirtualDirectory, ' -ExternalUrl ']\n  condition: keywords\n");
    assert_string_equal(ts_matcher(s, 0),
                        "* all: (contains \"OabVirtualDirectory\") (contains \" -ExternalUrl \")");
    sig_set_free(s);
}

static void test_field_only_modifiers_are_rejected_on_keywords(void **st)
{
    (void)st;
    const char *r = ts_reject("title: t\nlogsource: {product: test}\ndetection:\n  kw:\n"
                              "    '|gt': [1, 2]\n  condition: kw\n");
    assert_string_equal(r, "rule.yml:5:7: modifier 'gt' needs a field: keyword searches match "
                           "anywhere in the event");
}

static void test_a_field_value_cannot_be_a_map(void **st)
{
    (void)st;
    expect_reject(RULE("f: {a: b}"),
                  AT(8, "the value of 'f' cannot be a map (nested maps are not part of Sigma; use "
                        "a dotted field name)"));
    expect_reject(RULE("f: []"), AT(8, "empty list of values"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaped_star_and_question_are_literal),
        cmocka_unit_test(test_plain_backslash_before_other_char_is_literal),
        cmocka_unit_test(test_double_backslash_is_one_backslash),
        cmocka_unit_test(test_escaped_backslash_then_wildcard_keeps_the_wildcard),
        cmocka_unit_test(test_three_backslashes_then_star_are_backslash_and_literal_star),
        cmocka_unit_test(test_three_or_four_backslashes_are_two),
        cmocka_unit_test(test_trailing_backslash_is_literal),
        cmocka_unit_test(test_wildcards_reduce_to_prefix_suffix_contains),
        cmocka_unit_test(test_inner_wildcards_and_question_mark_stay_glob),
        cmocka_unit_test(test_lone_star_matches_any_present_value),
        cmocka_unit_test(test_glob_regex_form_is_anchored_and_escaped),
        cmocka_unit_test(test_numbers_compile_to_numeric_equality_with_their_text),
        cmocka_unit_test(test_null_empty_and_booleans),
        cmocka_unit_test(test_list_values_each_form_a_group),
        cmocka_unit_test(test_contains_startswith_endswith),
        cmocka_unit_test(test_all_ands_groups),
        cmocka_unit_test(test_all_with_one_value_is_rejected),
        cmocka_unit_test(test_cased_and_neq_are_matcher_flags),
        cmocka_unit_test(test_exists_takes_a_boolean_alone),
        cmocka_unit_test(test_windash_contains_gives_five_contains_values),
        cmocka_unit_test(test_windash_permutes_only_flag_dashes),
        cmocka_unit_test(test_windash_with_too_many_flags_is_rejected),
        cmocka_unit_test(test_windash_all_keeps_variants_together_per_value),
        cmocka_unit_test(test_expansions_are_capped_per_item),
        cmocka_unit_test(test_base64_encodes_the_whole_value),
        cmocka_unit_test(test_base64offset_matches_the_sigmahq_documentation),
        cmocka_unit_test(test_wide_base64offset_matches_the_sigmahq_documentation),
        cmocka_unit_test(test_base64_cannot_encode_wildcards),
        cmocka_unit_test(test_utf16_encodings),
        cmocka_unit_test(test_encoding_conflicts_are_rejected),
        cmocka_unit_test(test_re_keeps_the_raw_pattern_and_flags),
        cmocka_unit_test(test_re_rejects_non_re2_constructs_at_their_offset),
        cmocka_unit_test(test_re_syntax_errors_come_from_oniguruma),
        cmocka_unit_test(test_re_chain_rules),
        cmocka_unit_test(test_regex_oniguruma_form_keeps_re2_meaning),
        cmocka_unit_test(test_names_of_kinds_levels_and_statuses),
        cmocka_unit_test(test_numeric_comparisons),
        cmocka_unit_test(test_time_part_modifiers),
        cmocka_unit_test(test_cidr_ipv4_and_ipv6),
        cmocka_unit_test(test_fieldref_modes),
        cmocka_unit_test(test_expand_substitutes_placeholder_values),
        cmocka_unit_test(test_expand_errors),
        cmocka_unit_test(test_unknown_modifier_points_at_the_modifier),
        cmocka_unit_test(test_null_takes_no_string_modifier),
        cmocka_unit_test(test_keyword_lists_match_anywhere),
        cmocka_unit_test(test_field_only_modifiers_are_rejected_on_keywords),
        cmocka_unit_test(test_a_field_value_cannot_be_a_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
