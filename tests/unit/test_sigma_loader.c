/* test_sigma_loader.c — the loader: positions on every node, multi-document files, every
 * rejection reason with its exact message and line:col, warnings and --strict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sigma/sigma.h"
#include "support/sigma_support.h"

#define HEAD "title: t\nid: 929a690e-bef0-4204-a928-ef5e620d6fcc\nlogsource: {product: test}\n"

static void expect_first_error(const char *yaml, const char *want, sig_reason reason)
{
    sig_set *s = ts_load(yaml);
    sig_stats st;
    sig_set_stats(s, &st);
    const char *got = "";
    sig_reason r = SIG_R_COUNT;
    for (size_t i = 0; i < sig_set_ndiags(s); i++)
        if (!sig_set_diag(s, i)->d.is_warning) {
            got = ts_diag(s, i);
            r = sig_set_diag(s, i)->reason;
            break;
        }
    if (strcmp(got, want) != 0 || r != reason || st.rejected != 1)
        fail_msg("yaml:\n%s\nwant: %s [%s]\ngot:  %s [%s], %zu rejected\nall:\n%s", yaml, want,
                 sig_reason_name(reason), got, r < SIG_R_COUNT ? sig_reason_name(r) : "-",
                 st.rejected, ts_all_diags(s));
    assert_int_equal(st.rejected_by[reason], 1);
    sig_set_free(s);
}

/* ---- positions ------------------------------------------------------------------------------- */

static void test_every_node_carries_its_position(void **st)
{
    (void)st;
    sig_set *s = ts_load(HEAD "detection:\n"
                              "    selection:\n"
                              "        CommandLine|contains: 'x'\n"
                              "        Image:\n"
                              "            - 'a'\n"
                              "            - 'b'\n"
                              "    condition: selection and not selection\n");
    const sig_rule *r = sig_set_rule(s, 0);
    assert_non_null(r);
    assert_string_equal(r->meta.pos.file, "rule.yml");
    assert_int_equal(r->meta.pos.line, 1);
    assert_int_equal(r->logsource.pos.line, 3);
    assert_int_equal(r->logsource.pos.col, 12);
    assert_string_equal(r->dets[0].name, "selection");
    assert_int_equal(r->dets[0].pos.line, 5);
    assert_int_equal(r->dets[0].pos.col, 5);
    const sig_expr *body = r->dets[0].body;
    assert_int_equal(body->kind, SIG_X_AND);
    const sig_matcher *m0 = body->kids[0]->m, *m1 = body->kids[1]->m;
    assert_int_equal(m0->pos.line, 6);
    assert_int_equal(m0->pos.col, 9);
    assert_int_equal(m0->groups[0].pos.line, 6);
    assert_int_equal(m0->groups[0].pos.col, 31);
    assert_int_equal(m1->groups[1].pos.line, 9);
    assert_int_equal(m1->groups[1].pos.col, 15);
    /* condition tokens: `selection and not selection` starts at column 16 */
    const sig_cond *c = r->conds[0];
    assert_int_equal(c->kind, SIG_C_AND);
    assert_int_equal(c->pos.line, 10);
    assert_int_equal(c->pos.col, 26);
    assert_int_equal(c->a->pos.col, 16);
    assert_int_equal(c->b->kind, SIG_C_NOT);
    assert_int_equal(c->b->pos.col, 30);
    assert_int_equal(c->b->a->pos.col, 34);
    sig_set_free(s);
}

static void test_columns_count_bytes_after_multibyte_characters(void **st)
{
    (void)st;
    /* 'é' is two bytes: the bad modifier starts at byte column 18 (character column 17) */
    expect_first_error(HEAD "detection:\n  sel: {é: x, f|contians: y}\n  condition: sel\n",
                       "rule.yml:5:18: unknown modifier 'contians'", SIG_R_UNKNOWN_MODIFIER);
}

static void test_positions_in_later_documents_count_from_the_file_start(void **st)
{
    (void)st;
    sig_set *s = ts_load(HEAD "detection:\n  sel: {a: b}\n  condition: sel\n"
                              "---\n"
                              "title: second\nid: 2f3b5b7c-1d24-4f3a-9a39-1b9d0c1e2f30\n"
                              "logsource: {product: test}\ndetection:\n  sel: {a: c}\n"
                              "  condition: sel and nope\n");
    assert_int_equal(sig_set_count(s, SIG_DOC_RULE), 1);
    assert_string_equal(ts_diag(s, 0), "rule.yml:13:22: unknown search identifier 'nope'");
    sig_set_free(s);
}

static void test_crlf_and_byte_order_mark_keep_positions(void **st)
{
    (void)st;
    expect_first_error("\xEF\xBB\xBFtitle: t\r\nlogsource: {product: x}\r\ndetection:\r\n"
                       "  sel: {f|bad: y}\r\n  condition: sel\r\n",
                       "rule.yml:4:11: unknown modifier 'bad'", SIG_R_UNKNOWN_MODIFIER);
}

static void test_diagnostics_carry_the_source_line(void **st)
{
    (void)st;
    sig_set *s = ts_load(HEAD "detection:\n  sel:\n    CommandLine|contians: x\n  condition: sel\n");
    const sig_diag *d = sig_set_diag(s, 0);
    assert_string_equal(d->d.source_line, "    CommandLine|contians: x");
    assert_int_equal(d->d.col, 17);
    assert_int_equal(d->d.span, 8);
    sig_set_free(s);
}

/* ---- documents ------------------------------------------------------------------------------ */

static void test_one_file_holds_rules_correlations_and_filters(void **st)
{
    (void)st;
    sig_set *s = ts_load(
        "title: failed\nid: 5638f7c0-ac70-491d-8465-2a65075e0d86\nname: failed_login\n"
        "logsource: {product: windows, service: security}\n"
        "detection:\n  sel: {EventID: 4625}\n  condition: sel\n"
        "---\n"
        "title: many failed\ncorrelation:\n  type: event_count\n  rules: [failed_login]\n"
        "  group-by: [User]\n  timespan: 1h\n  condition: {gte: 10}\n"
        "---\n"
        "title: not admins\nlogsource: {product: windows}\n"
        "filter:\n  rules: [5638f7c0-ac70-491d-8465-2a65075e0d86]\n  sel: {User|startswith: adm_}\n"
        "  condition: sel\n"
        "---\n");
    sig_stats stats;
    sig_set_stats(s, &stats);
    assert_int_equal(stats.documents, 3);
    assert_int_equal(sig_set_count(s, SIG_DOC_RULE), 1);
    assert_int_equal(sig_set_count(s, SIG_DOC_CORRELATION), 1);
    assert_int_equal(sig_set_count(s, SIG_DOC_FILTER), 1);
    assert_int_equal(stats.rejected, 0);
    assert_int_equal(sig_set_corr(s, 0)->meta.pos.line, 9);
    assert_int_equal(sig_set_corr(s, 0)->meta.doc, 1);
    sig_set_free(s);
}

static void test_a_bad_document_spares_its_neighbours(void **st)
{
    (void)st;
    sig_set *s = ts_load(HEAD "detection:\n  sel: {a: &x b}\n  condition: sel\n---\n" HEAD
                              "detection:\n  sel: {a: b}\n  condition: sel\n");
    sig_stats stats;
    sig_set_stats(s, &stats);
    assert_int_equal(stats.rejected, 1);
    assert_int_equal(sig_set_count(s, SIG_DOC_RULE), 1);
    assert_int_equal(sig_set_rule(s, 0)->meta.pos.line, 8);
    sig_set_free(s);
}

/* ---- rejections, one per reason --------------------------------------------------------------- */

static void test_yaml_syntax_errors_are_reported_with_position(void **st)
{
    (void)st;
    expect_first_error("title: t\nlogsource: {product: x\ndetection: y\n",
                       "rule.yml:3:10: YAML syntax error: did not find expected ',' or '}' while "
                       "parsing a flow mapping",
                       SIG_R_YAML);
}

static void test_yaml_anchors_and_aliases_are_rejected(void **st)
{
    (void)st;
    expect_first_error(HEAD "detection:\n  sel: {a: &v b, c: d}\n  condition: sel\n",
                       "rule.yml:5:12: YAML anchors are not supported (anchor '&v'); write the value "
                       "out",
                       SIG_R_YAML_ALIAS);
    expect_first_error(HEAD "x: &m {a: b}\ndetection:\n  sel: *m\n  condition: sel\n",
                       "rule.yml:4:4: YAML anchors are not supported (anchor '&m'); write the value "
                       "out",
                       SIG_R_YAML_ALIAS);
    expect_first_error("title: &t t\nlogsource: {product: x}\ndetection:\n  sel: {a: b}\n"
                       "  condition: sel\n",
                       "rule.yml:1:8: YAML anchors are not supported (anchor '&t'); write the value "
                       "out",
                       SIG_R_YAML_ALIAS);
}

static void test_yaml_custom_tags_are_rejected(void **st)
{
    (void)st;
    expect_first_error(HEAD "detection:\n  sel: {a: !custom b}\n  condition: sel\n",
                       "rule.yml:5:12: unsupported YAML tag '!custom'", SIG_R_YAML_TAG);
}

static void test_explicit_str_tag_keeps_a_number_a_string(void **st)
{
    (void)st;
    sig_set *s = ts_load(HEAD "detection:\n  sel: {a: !!str 5}\n  condition: sel\n");
    assert_string_equal(ts_matcher(s, 0), "a: (eq \"5\")");
    sig_set_free(s);
}

static void test_duplicate_keys_are_rejected(void **st)
{
    (void)st;
    expect_first_error(HEAD "detection:\n  sel:\n    a: 1\n    a: 2\n  condition: sel\n",
                       "rule.yml:7:5: duplicate key 'a'", SIG_R_DUPLICATE_KEY);
}

static void test_files_over_the_size_limit_are_rejected(void **st)
{
    (void)st;
    size_t saved = sp_limits.max_rule_bytes;
    sp_limits.max_rule_bytes = 64;
    sig_set *s = ts_load(HEAD "detection:\n  sel: {a: b}\n  condition: sel\n");
    sp_limits.max_rule_bytes = saved;
    assert_string_equal(ts_diag(s, 0),
                        "rule.yml:0:0: file is 119 bytes, over the limit of 64 bytes (max_rule_bytes)");
    assert_int_equal(sig_set_diag(s, 0)->reason, SIG_R_TOO_LARGE);
    assert_int_equal(sig_set_count(s, SIG_DOC_RULE), 0);
    sig_set_free(s);
}

static void test_nesting_over_the_depth_limit_is_rejected(void **st)
{
    (void)st;
    int saved = sp_limits.max_rule_depth;
    sp_limits.max_rule_depth = 4;
    sig_set *s = ts_load(HEAD "detection:\n  sel:\n    a: [[[x]]]\n  condition: sel\n");
    sp_limits.max_rule_depth = saved;
    assert_string_equal(ts_diag(s, 0),
                        "rule.yml:6:9: nesting deeper than the limit of 4 levels (max_rule_depth)");
    assert_int_equal(sig_set_diag(s, 0)->reason, SIG_R_TOO_DEEP);
    assert_int_equal(sig_set_count(s, SIG_DOC_RULE), 0);
    sig_set_free(s);
}

static void test_missing_required_fields(void **st)
{
    (void)st;
    expect_first_error("logsource: {product: x}\ndetection:\n  sel: {a: b}\n  condition: sel\n",
                       "rule.yml:1:1: missing required field 'title'", SIG_R_MISSING_FIELD);
    expect_first_error("title: t\ndetection:\n  sel: {a: b}\n  condition: sel\n",
                       "rule.yml:1:1: missing required field 'logsource'", SIG_R_MISSING_FIELD);
    expect_first_error("title: t\nlogsource: {product: x}\n",
                       "rule.yml:1:1: missing required field 'detection'", SIG_R_MISSING_FIELD);
    expect_first_error(HEAD "detection:\n  sel: {a: b}\n",
                       "rule.yml:5:3: missing required field 'detection.condition'",
                       SIG_R_MISSING_FIELD);
}

static void test_wrongly_typed_fields_are_rejected(void **st)
{
    (void)st;
    expect_first_error("title: [a]\nlogsource: {product: x}\ndetection:\n  sel: {a: b}\n"
                       "  condition: sel\n",
                       "rule.yml:1:8: 'title' must be a string, not a list", SIG_R_BAD_FIELD);
    expect_first_error(HEAD "level: severe\ndetection:\n  sel: {a: b}\n  condition: sel\n",
                       "rule.yml:4:8: unknown level 'severe' (informational, low, medium, high, "
                       "critical)",
                       SIG_R_BAD_FIELD);
    expect_first_error(HEAD "status: beta\ndetection:\n  sel: {a: b}\n  condition: sel\n",
                       "rule.yml:4:9: unknown status 'beta' (stable, test, experimental, "
                       "deprecated, unsupported)",
                       SIG_R_BAD_FIELD);
    expect_first_error("- a\n- b\n", "rule.yml:1:1: a Sigma document must be a YAML map, not a list",
                       SIG_R_BAD_FIELD);
}

static void test_pipe_aggregations_are_rejected(void **st)
{
    (void)st;
    expect_first_error(HEAD "detection:\n  sel: {a: b}\n  condition: sel | count() by host > 5\n",
                       "rule.yml:6:18: '|' aggregations (count() by ...) are the deprecated Sigma 1 "
                       "syntax; write a correlation rule instead",
                       SIG_R_AGGREGATION);
    expect_first_error(HEAD "detection:\n  sel: {a: b}\n  timeframe: 5m\n  condition: sel\n",
                       "rule.yml:6:14: 'timeframe' belongs to the deprecated Sigma 1 aggregation "
                       "syntax; use a correlation rule",
                       SIG_R_AGGREGATION);
}

static void test_unknown_condition_identifiers_are_rejected(void **st)
{
    (void)st;
    expect_first_error(HEAD "detection:\n  sel: {a: b}\n  condition: sel and filter\n",
                       "rule.yml:6:22: unknown search identifier 'filter'", SIG_R_UNKNOWN_IDENT);
    expect_first_error(HEAD "detection:\n  sel: {a: b}\n  condition: sel AND sel\n",
                       "rule.yml:6:18: expected 'and', 'or' or the end, found 'AND'",
                       SIG_R_CONDITION);
    expect_first_error(HEAD "detection:\n  sel: {a: b}\n  condition: NOT sel\n",
                       "rule.yml:6:14: unknown search identifier 'NOT' (condition keywords are "
                       "lower case)",
                       SIG_R_UNKNOWN_IDENT);
}

static void test_invalid_condition_syntax_is_rejected(void **st)
{
    (void)st;
    expect_first_error(HEAD "detection:\n  sel: {a: b}\n  condition: (sel\n",
                       "rule.yml:6:18: expected ')' here, found the end", SIG_R_CONDITION);
    expect_first_error(HEAD "detection:\n  sel: {a: b}\n  condition: sel)\n",
                       "rule.yml:6:17: unbalanced ')'", SIG_R_CONDITION);
    expect_first_error(HEAD "detection:\n  sel: {a: b}\n  condition: sel and\n",
                       "rule.yml:6:21: condition ends where a search identifier was expected",
                       SIG_R_CONDITION);
    expect_first_error(HEAD "detection:\n  sel: {a: b}\n  condition: 2 of sel\n",
                       "rule.yml:6:14: '2 of' is not a quantifier: use '1 of', 'any of' or 'all of'",
                       SIG_R_CONDITION);
    expect_first_error(HEAD "detection:\n  sel: {a: b}\n  condition: sel*\n",
                       "rule.yml:6:14: wildcard pattern 'sel*' needs a quantifier: '1 of ...' or "
                       "'all of ...'",
                       SIG_R_CONDITION);
    expect_first_error(HEAD "detection:\n  sel: {a: b}\n  condition: sel ; sel\n",
                       "rule.yml:6:18: expected 'and', 'or' or the end, found ';'", SIG_R_CONDITION);
    expect_first_error(HEAD "detection:\n  sel: {a: b}\n  condition: sel and ;\n",
                       "rule.yml:6:22: unexpected character ';' in condition", SIG_R_CONDITION);
    expect_first_error(HEAD "detection:\n  sel: {a: b}\n  condition: ''\n",
                       "rule.yml:6:14: empty condition", SIG_R_CONDITION);
}

static void test_detections_referencing_nothing_are_rejected(void **st)
{
    (void)st;
    expect_first_error(HEAD "detection:\n  sel:\n  condition: sel\n",
                       "rule.yml:5:3: search identifier 'sel' is empty", SIG_R_EMPTY_DETECTION);
    expect_first_error(HEAD "detection:\n  sel: {}\n  condition: sel\n",
                       "rule.yml:5:8: search identifier 'sel' is empty", SIG_R_EMPTY_DETECTION);
    expect_first_error(HEAD "detection:\n  condition: sel\n",
                       "rule.yml:5:3: no search identifier: nothing to match", SIG_R_EMPTY_DETECTION);
    expect_first_error(HEAD "detection:\n  sel: {a: b}\n  condition: sel and not 1 of filter_*\n",
                       "rule.yml:6:31: pattern 'filter_*' matches no search identifier "
                       "(identifiers starting with _ are never selected)",
                       SIG_R_UNKNOWN_IDENT);
}

static void test_sigma1_collections_are_rejected(void **st)
{
    (void)st;
    expect_first_error("action: global\ntitle: t\n",
                       "rule.yml:1:9: 'action' rule collections (Sigma 1.x global/reset/repeat) are "
                       "not part of Sigma v2; write each rule out in full",
                       SIG_R_UNSUPPORTED);
}

/* ---- warnings and --strict ------------------------------------------------------------------- */

static void test_warnings_do_not_reject(void **st)
{
    (void)st;
    const char *yaml = "title: t\nstatus: deprecated\nlogsource: {product: x}\nauthr: me\n"
                       "tags: [attack.t1110.003, Attack.Bad, attack.credential-access, attack.nope]\n"
                       "date: 2024/01/02\ndetection:\n  sel: {a: b}\n  unused: {c: d}\n"
                       "  condition: sel\n";
    sig_set *s = ts_load(yaml);
    sig_stats stats;
    sig_set_stats(s, &stats);
    assert_int_equal(stats.rejected, 0);
    assert_int_equal(stats.errors, 0);
    assert_string_equal(ts_all_diags(s),
                        "rule.yml:1:1: warning: rule has no 'id': correlations, filters and alerts "
                        "cannot refer to it stably\n"
                        "rule.yml:6:7: warning: date '2024/01/02' is not YYYY-MM-DD\n"
                        "rule.yml:2:9: warning: rule status is 'deprecated'\n"
                        "rule.yml:5:26: warning: tag 'Attack.Bad' is not namespace.value in lower "
                        "case letters, digits, _ and -\n"
                        "rule.yml:5:64: warning: tag 'attack.nope' is neither an ATT&CK tactic nor a "
                        "technique/group/software id\n"
                        "rule.yml:4:1: warning: unknown top-level key 'authr'\n"
                        "rule.yml:9:3: warning: search identifier 'unused' is not used by the "
                        "condition\n");
    sig_set_free(s);
    /* --strict: the same findings reject the rule */
    s = ts_load_opts(yaml, NULL, true);
    sig_set_stats(s, &stats);
    assert_int_equal(stats.rejected, 1);
    assert_int_equal(stats.warnings, 0);
    assert_int_equal(stats.errors, 7);
    assert_int_equal(stats.rejected_by[SIG_R_W_MISSING_ID], 1);
    sig_set_free(s);
}

static void test_metadata_and_attack_mapping(void **st)
{
    (void)st;
    sig_set *s = ts_load(HEAD "level: critical\nstatus: test\n"
                              "tags: [attack.credential-access, attack.t1110.003, attack.t1110, "
                              "attack.stealth, attack.credential-access, cve.2021-44228]\n"
                              "references: https://example.com\nfalsepositives: Admins\n"
                              "detection:\n  sel: {a: b}\n  condition: sel\n");
    const sig_rule *r = sig_set_rule(s, 0);
    assert_int_equal(r->meta.level, SIG_LEVEL_CRITICAL);
    assert_string_equal(sig_level_severity(r->meta.level), "High");
    assert_string_equal(sig_level_severity(SIG_LEVEL_INFORMATIONAL), "Informational");
    assert_int_equal(r->meta.status, SIG_STATUS_TEST);
    assert_int_equal(r->meta.tactics.n, 2);
    assert_string_equal(r->meta.tactics.v[0], "CredentialAccess");
    assert_string_equal(r->meta.tactics.v[1], "Stealth");
    assert_int_equal(r->meta.techniques.n, 2);
    assert_string_equal(r->meta.techniques.v[0], "T1110.003");
    assert_string_equal(r->meta.techniques.v[1], "T1110");
    assert_int_equal(r->meta.references.n, 1);
    assert_string_equal(r->meta.falsepositives.v[0], "Admins");
    assert_string_equal(r->logsource.product, "test");
    assert_null(r->logsource.category);
    sig_set_free(s);
}

static void test_duplicate_ids_reject_the_later_document(void **st)
{
    (void)st;
    const char *texts[] = {HEAD "detection:\n  sel: {a: b}\n  condition: sel\n",
                           HEAD "detection:\n  sel: {a: c}\n  condition: sel\n", NULL};
    sig_set *s = ts_load_many(texts);
    assert_int_equal(sig_set_count(s, SIG_DOC_RULE), 1);
    assert_string_equal(ts_diag(s, 0), "rule2.yml:1:1: id '929a690e-bef0-4204-a928-ef5e620d6fcc' is "
                                       "already used by the document at rule1.yml:1");
    assert_int_equal(sig_set_diag(s, 0)->reason, SIG_R_DUPLICATE_ID);
    sig_set_free(s);
}

static void test_placeholder_files_are_validated(void **st)
{
    (void)st;
    sig_placeholders *ph;
    sp_diag d;
    const char *bad[][2] = {
        {"- a\n", "placeholders.yml:1:1: a placeholder file is one YAML map: name -> value or "
                  "list of values"},
        {"A: []\n", "placeholders.yml:1:4: placeholder 'A' has no values"},
        {"A: [x, {b: c}]\n", "placeholders.yml:1:8: placeholder 'A': values must be strings or "
                             "numbers"},
        {"A: &x [y]\n", "placeholders.yml:1:4: YAML anchors are not supported (anchor '&x'); "
                        "write the value out"},
    };
    for (size_t i = 0; i < SP_ARRAY_LEN(bad); i++) {
        assert_int_equal(sig_placeholders_parse("placeholders.yml", bad[i][0], strlen(bad[i][0]),
                                                &ph, &d),
                         -1);
        assert_null(ph);
        char got[1024];
        snprintf(got, sizeof got, "%s:%d:%d: %s", d.file, d.line, d.col, d.msg);
        assert_string_equal(got, bad[i][1]);
    }
    assert_int_equal(sig_placeholders_parse("p.yml", "A: x\nB: [1, 'y*']\n", 18, &ph, &d), 0);
    sig_placeholders_free(ph);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_node_carries_its_position),
        cmocka_unit_test(test_columns_count_bytes_after_multibyte_characters),
        cmocka_unit_test(test_positions_in_later_documents_count_from_the_file_start),
        cmocka_unit_test(test_crlf_and_byte_order_mark_keep_positions),
        cmocka_unit_test(test_diagnostics_carry_the_source_line),
        cmocka_unit_test(test_one_file_holds_rules_correlations_and_filters),
        cmocka_unit_test(test_a_bad_document_spares_its_neighbours),
        cmocka_unit_test(test_yaml_syntax_errors_are_reported_with_position),
        cmocka_unit_test(test_yaml_anchors_and_aliases_are_rejected),
        cmocka_unit_test(test_yaml_custom_tags_are_rejected),
        cmocka_unit_test(test_explicit_str_tag_keeps_a_number_a_string),
        cmocka_unit_test(test_duplicate_keys_are_rejected),
        cmocka_unit_test(test_files_over_the_size_limit_are_rejected),
        cmocka_unit_test(test_nesting_over_the_depth_limit_is_rejected),
        cmocka_unit_test(test_missing_required_fields),
        cmocka_unit_test(test_wrongly_typed_fields_are_rejected),
        cmocka_unit_test(test_pipe_aggregations_are_rejected),
        cmocka_unit_test(test_unknown_condition_identifiers_are_rejected),
        cmocka_unit_test(test_invalid_condition_syntax_is_rejected),
        cmocka_unit_test(test_detections_referencing_nothing_are_rejected),
        cmocka_unit_test(test_sigma1_collections_are_rejected),
        cmocka_unit_test(test_warnings_do_not_reject),
        cmocka_unit_test(test_metadata_and_attack_mapping),
        cmocka_unit_test(test_duplicate_ids_reject_the_later_document),
        cmocka_unit_test(test_placeholder_files_are_validated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
