/* regex.c — load-time checks of `|re` values and the CIDR parser of `|cidr`.
 *
 * Regexes must be RE2-compatible (DESIGN.md §5): the engine promises linear-time matching,
 * so constructs that need backtracking — backreferences, lookaround, atomic groups,
 * possessive quantifiers, conditionals, recursion — are rejected here with the offset of the
 * construct, before Oniguruma ever sees them. Oniguruma (Perl_NG syntax) then compiles the
 * pattern once, only to catch ordinary syntax errors; the engine compiles for real later.
 * The scanner is an allow-list for escapes: anything RE2 does not define is an error
 * rather than a silent difference between engines (`\h` is a hex digit in Oniguruma but
 * unknown to RE2, for example).
 */
#include "sigma/sig_int.h"

#include <arpa/inet.h>
#include <oniguruma.h>
#include <pthread.h>
#include <string.h>

static pthread_once_t onig_once = PTHREAD_ONCE_INIT;

static void onig_setup(void)
{
    OnigEncoding encs[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encs, 1);
}

static const char *fail(char *buf, size_t cap, size_t *at, size_t pos, const char *msg)
{
    if (msg != buf)
        snprintf(buf, cap, "%s", msg);
    *at = pos;
    return buf;
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Validates the escape at re[i] == '\\'; returns its length or 0 with a message. */
static size_t check_escape(const char *re, size_t n, size_t i, char *buf, size_t cap,
                           const char **err)
{
    if (i + 1 >= n) {
        *err = "trailing backslash";
        return 0;
    }
    char c = re[i + 1];
    if (!is_alnum(c))
        return 2; /* escaped punctuation or byte: literal */
    if (c >= '1' && c <= '9') {
        snprintf(buf, cap, "backreference '\\%c' is not supported (RE2 syntax has none)", c);
        *err = buf;
        return 0;
    }
    if (c == 'k' || c == 'g') {
        snprintf(buf, cap, "backreference or subroutine '\\%c' is not supported (RE2 syntax)", c);
        *err = buf;
        return 0;
    }
    if (c == '0') {
        size_t k = i + 2;
        while (k < n && k < i + 4 && re[k] >= '0' && re[k] <= '7')
            k++;
        return k - i;
    }
    if (c == 'x' || c == 'p' || c == 'P') { /* \xHH \x{...} \pL \p{...} */
        if (i + 2 < n && re[i + 2] == '{') {
            const char *end = memchr(re + i + 2, '}', n - i - 2);
            if (!end) {
                *err = c == 'x' ? "unterminated \\x{...}" : "unterminated \\p{...}";
                return 0;
            }
            return (size_t)(end - (re + i)) + 1;
        }
        return c == 'x' ? 2 : 3;
    }
    if (strchr("aftnrvAzbBdDsSwWQE", c))
        return 2;
    snprintf(buf, cap, "escape '\\%c' is not supported (RE2 syntax)", c);
    *err = buf;
    return 0;
}

const char *sig_regex_check(const char *re, size_t n, uint8_t flags, char *buf, size_t cap,
                            size_t *at)
{
    const char *err = NULL;
    for (size_t i = 0; i < n;) {
        char c = re[i];
        if (c == '\\') {
            size_t w = check_escape(re, n, i, buf, cap, &err);
            if (!w)
                return fail(buf, cap, at, i, err);
            if (re[i + 1] == 'Q') { /* \Q...\E quotes literally */
                const char *e = NULL;
                for (size_t k = i + 2; k + 1 < n; k++)
                    if (re[k] == '\\' && re[k + 1] == 'E') {
                        e = re + k;
                        break;
                    }
                i = e ? (size_t)(e - re) + 2 : n;
                continue;
            }
            i += w;
            continue;
        }
        if (c == '[') { /* character class: skip, checking escapes and set operations */
            size_t k = i + 1;
            if (k < n && re[k] == '^')
                k++;
            if (k < n && re[k] == ']')
                k++;
            for (; k < n && re[k] != ']'; k++) {
                if (re[k] == '\\') {
                    size_t w = check_escape(re, n, k, buf, cap, &err);
                    if (!w)
                        return fail(buf, cap, at, k, err);
                    k += w - 1;
                } else if (re[k] == '[' && k + 1 < n && re[k + 1] == ':') {
                    const char *e = strstr(re + k, ":]");
                    if (e && (size_t)(e - re) < n)
                        k = (size_t)(e - re) + 1;
                } else if (re[k] == '[') {
                    return fail(buf, cap, at, k,
                                "nested character classes are not supported (RE2 syntax)");
                } else if (re[k] == '&' && k + 1 < n && re[k + 1] == '&') {
                    return fail(buf, cap, at, k,
                                "character class intersection '&&' is not supported (RE2 syntax)");
                }
            }
            if (k >= n)
                return fail(buf, cap, at, i, "missing ']' of a character class");
            i = k + 1;
            continue;
        }
        if (c == '(' && i + 1 < n && re[i + 1] == '?') {
            char d = i + 2 < n ? re[i + 2] : 0;
            char e = i + 3 < n ? re[i + 3] : 0;
            if (d == '=' || d == '!')
                return fail(buf, cap, at, i, "lookahead '(?=' / '(?!' is not supported (RE2 syntax)");
            if (d == '<' && (e == '=' || e == '!'))
                return fail(buf, cap, at, i,
                            "lookbehind '(?<=' / '(?<!' is not supported (RE2 syntax)");
            if (d == '>')
                return fail(buf, cap, at, i, "atomic group '(?>' is not supported (RE2 syntax)");
            if (d == '(')
                return fail(buf, cap, at, i, "conditional '(?(' is not supported (RE2 syntax)");
            if (d == 'P' && (e == '=' || e == '>'))
                return fail(buf, cap, at, i,
                            "named backreference or recursion '(?P=' / '(?P>' is not supported");
            if (d == 'R' || d == '&' || (d >= '0' && d <= '9') || d == '+')
                return fail(buf, cap, at, i, "recursion '(?R)' is not supported (RE2 syntax)");
            if (d == '#')
                return fail(buf, cap, at, i, "comment groups '(?#' are not supported (RE2 syntax)");
            if (d == '|')
                return fail(buf, cap, at, i, "branch reset '(?|' is not supported (RE2 syntax)");
            if (d == ':' || (d == 'P' && e == '<') || (d == '<' && e != '=' && e != '!')) {
                i += 3;
                continue;
            }
            /* flag group (?ims-ims) or (?ims-ims:...); RE2's U has no Oniguruma counterpart */
            size_t k = i + 2;
            while (k < n && re[k] && strchr("ims-", re[k]))
                k++;
            if (k < n && re[k] == 'U')
                return fail(buf, cap, at, k, "flag 'U' (ungreedy) is not supported; use lazy "
                                             "quantifiers such as *?");
            if (k == i + 2 || k >= n || (re[k] != ')' && re[k] != ':'))
                return fail(buf, cap, at, i,
                            "unsupported group syntax '(?'; RE2 allows (?:...), (?P<name>...), "
                            "(?<name>...) and flags i, m, s");
            i = k + 1;
            continue;
        }
        if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < n && re[i + 1] == '+') {
            if (c != '?' || i == 0 || !strchr("*+?}", re[i - 1]))
                return fail(buf, cap, at, i + 1,
                            "possessive quantifier is not supported (RE2 syntax)");
        }
        if (c == '{') {
            size_t k = i + 1, a = 0, b = 0;
            bool digits = false, comma = false;
            for (; k < n && ((re[k] >= '0' && re[k] <= '9') || re[k] == ','); k++) {
                if (re[k] == ',') {
                    comma = true;
                    continue;
                }
                digits = true;
                size_t *t = comma ? &b : &a;
                if (*t < 100000)
                    *t = *t * 10 + (size_t)(re[k] - '0');
            }
            if (digits && k < n && re[k] == '}' && (a > 1000 || b > 1000))
                return fail(buf, cap, at, i, "repetition count over 1000 (RE2 limit)");
        }
        i++;
    }

    pthread_once(&onig_once, onig_setup);
    OnigRegex reg;
    OnigErrorInfo einfo;
    sp_buf form = {0};
    sig_regex_onig_form(&form, re, n, flags);
    int r = onig_new(&reg, (const OnigUChar *)form.data, (const OnigUChar *)form.data + form.len,
                     ONIG_OPTION_CAPTURE_GROUP, ONIG_ENCODING_UTF8, ONIG_SYNTAX_PERL_NG, &einfo);
    sp_buf_free(&form);
    if (r != ONIG_NORMAL) {
        OnigUChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];
        onig_error_code_to_str(msg, r, &einfo);
        snprintf(buf, cap, "invalid regular expression: %s", (const char *)msg);
        *at = SIZE_MAX; /* Oniguruma reports no offset: point at the value */
        return buf;
    }
    onig_free(reg);
    return NULL;
}

bool sig_regex_matches_empty(const char *re, size_t n, uint8_t flags)
{
    pthread_once(&onig_once, onig_setup);
    OnigRegex reg;
    OnigErrorInfo einfo;
    sp_buf form = {0};
    sig_regex_onig_form(&form, re, n, flags);
    int r = onig_new(&reg, (const OnigUChar *)form.data, (const OnigUChar *)form.data + form.len, ONIG_OPTION_NONE,
                     ONIG_ENCODING_UTF8, ONIG_SYNTAX_PERL_NG, &einfo);
    sp_buf_free(&form);
    if (r != ONIG_NORMAL)
        return true; /* not reached for a loaded rule; assume the worst */
    const OnigUChar *s = (const OnigUChar *)"";
    bool hit = onig_search(reg, s, s, s, s, NULL, ONIG_OPTION_NONE) >= 0;
    onig_free(reg);
    return hit;
}

void sig_regex_onig_form(sp_buf *out, const char *re, size_t n, uint8_t flags)
{
    if (flags & SIG_RE_I)
        sp_buf_puts(out, "(?i)");
    if (flags & SIG_RE_M)
        sp_buf_puts(out, "(?m)");
    if (flags & SIG_RE_S)
        sp_buf_puts(out, "(?s)");
    bool in_class = false;
    for (size_t i = 0; i < n; i++) {
        char c = re[i];
        if (c == '\\' && i + 1 < n) {
            sp_buf_append(out, re + i, 2);
            i++;
            continue;
        }
        if (in_class) {
            in_class = c != ']';
        } else if (c == '[') {
            in_class = true;
            sp_buf_putc(out, c);
            if (i + 1 < n && re[i + 1] == '^')
                sp_buf_putc(out, re[++i]);
            if (i + 1 < n && re[i + 1] == ']') /* a leading ] is literal */
                sp_buf_putc(out, re[++i]);
            continue;
        } else if (c == '(' && i + 3 < n && re[i + 1] == '?' && re[i + 2] == 'P' && re[i + 3] == '<') {
            sp_buf_puts(out, "(?<"); /* RE2/Python (?P<name> is Perl's (?<name> */
            i += 3;
            continue;
        }
        sp_buf_putc(out, c);
    }
}

bool sig_cidr_parse(const char *s, size_t n, sig_value *v, const char **why)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp) {
        *why = "not an IPv4 or IPv6 network";
        return false;
    }
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *slash = strchr(tmp, '/');
    long prefix = -1;
    if (slash) {
        *slash = 0;
        const char *p = slash + 1;
        if (!*p || strlen(p) > 3) {
            *why = "invalid prefix length";
            return false;
        }
        prefix = 0;
        for (; *p; p++) {
            if (*p < '0' || *p > '9') {
                *why = "invalid prefix length";
                return false;
            }
            prefix = prefix * 10 + (*p - '0');
        }
    }
    memset(v->addr, 0, sizeof v->addr);
    int bits;
    if (inet_pton(AF_INET, tmp, v->addr) == 1) {
        v->family = 4;
        bits = 32;
    } else if (inet_pton(AF_INET6, tmp, v->addr) == 1) {
        v->family = 6;
        bits = 128;
    } else {
        *why = "not an IPv4 or IPv6 address";
        return false;
    }
    if (prefix < 0)
        prefix = bits;
    if (prefix > bits) {
        *why = v->family == 4 ? "prefix length over 32" : "prefix length over 128";
        return false;
    }
    v->prefix = (uint8_t)prefix;
    for (int b = (int)prefix; b < bits; b++) {
        if (v->addr[b / 8] & (0x80 >> (b % 8))) {
            *why = "host bits are set (the address is not the network address)";
            return false;
        }
    }
    return true;
}
