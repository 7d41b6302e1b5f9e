/* test_sigma_corpus.c — the SigmaHQ Azure/M365 corpus in ../shared/data/sigma (env SP_SHARED,
 * default ../shared) loads completely: exact counts of files, documents and rules, no
 * rejection and no warning, with the placeholder configuration of tests/data/sigma; the
 * 7 placeholder rules are rejected without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sigma/sigma.h"
#include "support/sigma_support.h"

static char corpus[1024];

static sig_set *load_corpus(bool placeholders, bool strict, sig_placeholders **ph)
{
    *ph = NULL;
    if (placeholders) {
        sp_diag d;
        if (sig_placeholders_load("tests/data/sigma/placeholders.yml", ph, &d) != 0)
            fail_msg("placeholders: %s", d.msg);
    }
    sig_options o = {.placeholders = *ph, .strict = strict};
    sig_set *s = sig_set_new(&o);
    sig_set_load_path(s, corpus);
    sig_set_resolve(s);
    return s;
}

static int setup(void **st)
{
    (void)st;
    const char *shared = getenv("SP_SHARED");
    snprintf(corpus, sizeof corpus, "%s/data/sigma", shared && *shared ? shared : "../shared");
    struct stat sb;
    if (stat(corpus, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "corpus not found at %s (set SP_SHARED)\n", corpus);
        return -1;
    }
    return 0;
}

static void test_corpus_loads_with_zero_rejected(void **st)
{
    (void)st;
    sig_placeholders *ph;
    sig_set *s = load_corpus(true, false, &ph);
    sig_stats stats;
    sig_set_stats(s, &stats);
    if (stats.rejected || stats.warnings)
        fail_msg("%s", ts_all_diags(s));
    assert_int_equal(stats.files, 149);
    assert_int_equal(stats.documents, 149);
    assert_int_equal(stats.loaded[SIG_DOC_RULE], 149);
    assert_int_equal(stats.loaded[SIG_DOC_CORRELATION], 0);
    assert_int_equal(stats.loaded[SIG_DOC_FILTER], 0);
    assert_int_equal(stats.rejected, 0);
    assert_int_equal(stats.errors, 0);
    assert_int_equal(stats.warnings, 0);
    assert_int_equal(sig_set_count(s, SIG_DOC_RULE), 149);
    sig_set_free(s);
    sig_placeholders_free(ph);
}

static void test_corpus_is_clean_under_strict(void **st)
{
    (void)st;
    sig_placeholders *ph;
    sig_set *s = load_corpus(true, true, &ph);
    sig_stats stats;
    sig_set_stats(s, &stats);
    assert_int_equal(stats.rejected, 0);
    assert_int_equal(stats.loaded[SIG_DOC_RULE], 149);
    sig_set_free(s);
    sig_placeholders_free(ph);
}

static void test_placeholder_rules_need_the_configuration(void **st)
{
    (void)st;
    sig_placeholders *ph;
    sig_set *s = load_corpus(false, false, &ph);
    sig_stats stats;
    sig_set_stats(s, &stats);
    assert_int_equal(stats.loaded[SIG_DOC_RULE], 142);
    assert_int_equal(stats.rejected, 7);
    assert_int_equal(stats.rejected_by[SIG_R_PLACEHOLDER], 7);
    sig_set_free(s);
}

static size_t count_ls(const sig_set *s, const char *product, const char *service)
{
    size_t n = 0;
    for (size_t i = 0; i < sig_set_count(s, SIG_DOC_RULE); i++) {
        const sig_logsource *l = &sig_set_rule(s, i)->logsource;
        if (l->product && !strcmp(l->product, product) && l->service &&
            !strcmp(l->service, service))
            n++;
    }
    return n;
}

static void test_corpus_logsources_levels_and_shapes(void **st)
{
    (void)st;
    sig_placeholders *ph;
    sig_set *s = load_corpus(true, false, &ph);
    /* shared/data/README.md: azure/activitylogs 35, auditlogs 46, pim 7, riskdetection 19,
     * signinlogs 23; m365/audit 4, exchange 1, threat_detection 1, threat_management 13 */
    assert_int_equal(count_ls(s, "azure", "activitylogs"), 35);
    assert_int_equal(count_ls(s, "azure", "auditlogs"), 46);
    assert_int_equal(count_ls(s, "azure", "pim"), 7);
    assert_int_equal(count_ls(s, "azure", "riskdetection"), 19);
    assert_int_equal(count_ls(s, "azure", "signinlogs"), 23);
    assert_int_equal(count_ls(s, "m365", "audit"), 4);
    assert_int_equal(count_ls(s, "m365", "exchange"), 1);
    assert_int_equal(count_ls(s, "m365", "threat_detection"), 1);
    assert_int_equal(count_ls(s, "m365", "threat_management"), 13);
    size_t levels[6] = {0}, keyword = 0, standalone = 0;
    for (size_t i = 0; i < sig_set_count(s, SIG_DOC_RULE); i++) {
        const sig_rule *r = sig_set_rule(s, i);
        levels[r->meta.level]++;
        standalone += r->standalone;
        if (r->expr->kind == SIG_X_MATCH && !r->expr->m->field)
            keyword++;
        assert_non_null(r->meta.id);
        assert_true(r->meta.tactics.n > 0);
    }
    assert_int_equal(levels[SIG_LEVEL_HIGH], 54);
    assert_int_equal(levels[SIG_LEVEL_MEDIUM], 88);
    assert_int_equal(levels[SIG_LEVEL_LOW], 7);
    assert_int_equal(keyword, 3);
    assert_int_equal(standalone, 149);
    /* one program in full: `selection_main and 1 of selection_empty*` */
    sig_kind k;
    uint32_t idx;
    assert_true(sig_set_find(s, "572b12d4-9062-11ed-a1eb-0242ac120002", &k, &idx));
    assert_int_equal(k, SIG_DOC_RULE);
    assert_string_equal(ts_expr(s, idx),
                        "and({Status: (eq \"Success\")}, {AuthenticationRequirement: (eq "
                        "\"singleFactorAuthentication\")}, {RiskState: (eq \"atRisk\")}, "
                        "or({DeviceDetail.trusttype: (eq \"\")}, {DeviceDetail.trusttype: "
                        "(null)}))");
    sig_set_free(s);
    sig_placeholders_free(ph);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_loads_with_zero_rejected),
        cmocka_unit_test(test_corpus_is_clean_under_strict),
        cmocka_unit_test(test_placeholder_rules_need_the_configuration),
        cmocka_unit_test(test_corpus_logsources_levels_and_shapes),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
