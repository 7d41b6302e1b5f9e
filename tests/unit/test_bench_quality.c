/* test_bench_quality.c — the scoring of `socpipe bench quality` (bench/quality/quality.h):
 * which alerts are true and false positives, how instances are cut from labelled records'
 * times, which keys an alert's events name (ids, incident keys, arrays of ids), and what an
 * unmapped rule reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/quality/quality.h"

static char labels_path[64], scen_path[64];

static void write_tmp(char *path, const char *text)
{
    snprintf(path, 64, "/tmp/socpipe-bq-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static int64_t at(int h, int m)
{
    int64_t t;
    char s[40];
    snprintf(s, sizeof s, "2026-11-01T%02d:%02d:00Z", h, m);
    assert_true(sp_datetime_parse(s, strlen(s), &t));
    return t;
}

static const bq_rule_result *rule(const bq_results *r, const char *id)
{
    for (int i = 0; i < r->nrules; i++)
        if (!strcmp(r->rules[i].rule_id, id))
            return &r->rules[i];
    fail_msg("no result for rule %s", id);
    return NULL;
}

static const bq_scenario_result *scenario(const bq_results *r, const char *name)
{
    for (int i = 0; i < r->nscenarios; i++)
        if (!strcmp(r->scenarios[i].name, name))
            return &r->scenarios[i];
    fail_msg("no result for scenario %s", name);
    return NULL;
}

static bq *fixture(void)
{
    write_tmp(labels_path, "# a comment\n"
                           "s1\tspray\ns2\tspray\ns3\tspray\nb1\tbenign:spray\nm1\tmfa\n"
                           "I@2026-11-01T10:00:00.0000000Z\tdup\n");
    write_tmp(scen_path, "R1\tspray\nR2\tmfa, dup\n");
    bq *q = bq_new();
    sp_diag d = {0};
    assert_int_equal(bq_load_labels(q, labels_path, &d), 0);
    assert_int_equal(bq_load_scenarios(q, scen_path, &d), 0);
    unlink(labels_path);
    unlink(scen_path);
    bq_add_rule(q, "R1", "Spray rule");
    bq_add_rule(q, "R2", "Mixed rule");
    bq_add_rule(q, "R3", "Unmapped rule");
    bq_key_time(q, "s1", 2, at(10, 0));
    bq_key_time(q, "s2", 2, at(10, 5));
    bq_key_time(q, "s3", 2, at(14, 0)); /* four hours later: a second instance */
    bq_key_time(q, "b1", 2, at(10, 1));
    bq_key_time(q, "m1", 2, at(10, 0));
    bq_key_time(q, "I@2026-11-01T10:00:00.0000000Z", 30, at(10, 0));
    bq_key_time(q, "unlabelled", 10, at(10, 0)); /* ignored */
    const char *alerts[] = {
        "{\"AlertId\":\"a\",\"RuleId\":\"R1\",\"AlertName\":\"Spray rule\",\"Events\":[{\"Id\":\"s1\"},{\"Id\":\"x\"}]}",
        "{\"AlertId\":\"b\",\"RuleId\":\"R1\",\"Events\":[{\"Id\":\"b1\"}]}",
        "{\"AlertId\":\"c\",\"RuleId\":\"R1\",\"Events\":[{\"Id\":\"x\"}]}",
        "{\"AlertId\":\"d\",\"RuleId\":\"R2\",\"Events\":[{\"IncidentName\":\"I\",\"LastModifiedTime\":\"2026-11-01T10:00:00.0000000Z\"}]}",
        "{\"AlertId\":\"e\",\"RuleId\":\"R2\",\"Events\":[{\"Title\":\"t\",\"PromptIds\":[\"zzz\",\"m1\"]}]}",
        "{\"AlertId\":\"f\",\"RuleId\":\"R3\",\"Events\":[{\"Id\":\"s3\"}]}",
    };
    for (size_t i = 0; i < sizeof alerts / sizeof alerts[0]; i++)
        assert_int_equal(bq_alert(q, alerts[i], strlen(alerts[i])), 0);
    return q;
}

static void test_alerts_are_true_positives_when_a_key_is_labelled_with_the_rules_scenario(void **st)
{
    (void)st;
    bq *q = fixture();
    const bq_results *r = bq_score(q, 2000000, 0);
    assert_int_equal(r->labelled_keys, 6);
    assert_int_equal(r->keys_found, 6);
    const bq_rule_result *r1 = rule(r, "R1");
    assert_int_equal(r1->alerts, 3);
    assert_int_equal(r1->tp, 1);
    assert_int_equal(r1->fp, 2);
    assert_int_equal(r1->near_miss_fp, 1); /* the alert on b1 */
    assert_true(r1->precision > 0.333 && r1->precision < 0.334);
    assert_true(r1->alerts_per_million > 1.49 && r1->alerts_per_million < 1.51);
    assert_string_equal(r1->name, "Spray rule");
    bq_free(q);
}

static void test_instances_are_cut_at_the_gap_and_missed_ones_are_false_negatives(void **st)
{
    (void)st;
    bq *q = fixture();
    const bq_results *r = bq_score(q, 1000000, 0); /* two hours: s3 is its own instance */
    const bq_rule_result *r1 = rule(r, "R1");
    assert_int_equal(r1->instances, 2);
    assert_int_equal(r1->detected, 1);
    assert_int_equal(r1->fn, 1);
    assert_true(r1->recall > 0.49 && r1->recall < 0.51);
    const bq_scenario_result *s = scenario(r, "spray");
    assert_int_equal(s->records, 3);
    assert_int_equal(s->instances, 2);
    assert_int_equal(s->detected, 1); /* the unmapped rule's hit on s3 does not count */
    r = bq_score(q, 1000000, 5 * SP_TICKS_PER_HOUR); /* one instance */
    r1 = rule(r, "R1");
    assert_int_equal(r1->instances, 1);
    assert_int_equal(r1->fn, 0);
    assert_true(r1->recall == 1.0);
    bq_free(q);
}

static void test_incident_keys_and_arrays_of_ids_name_records(void **st)
{
    (void)st;
    bq *q = fixture();
    const bq_results *r = bq_score(q, 1000000, 0);
    const bq_rule_result *r2 = rule(r, "R2");
    assert_string_equal(r2->scenarios, "mfa,dup");
    assert_int_equal(r2->alerts, 2);
    assert_int_equal(r2->tp, 2);
    assert_int_equal(r2->instances, 2);
    assert_int_equal(r2->detected, 2);
    assert_true(r2->precision == 1.0 && r2->recall == 1.0);
    bq_free(q);
}

static void test_unmapped_rules_are_counted_not_scored(void **st)
{
    (void)st;
    bq *q = fixture();
    const bq_results *r = bq_score(q, 1000000, 0);
    const bq_rule_result *r3 = rule(r, "R3");
    assert_string_equal(r3->scenarios, "");
    assert_int_equal(r3->alerts, 1);
    assert_true(r3->precision < 0 && r3->recall < 0);
    /* a rule that only alerts is added on the fly */
    const char *a = "{\"RuleId\":\"R4\",\"AlertName\":\"New\",\"Events\":[]}";
    assert_int_equal(bq_alert(q, a, strlen(a)), 0);
    r = bq_score(q, 1000000, 0);
    assert_int_equal(r->nrules, 4);
    assert_string_equal(rule(r, "R4")->name, "New");
    assert_int_equal(bq_alert(q, "[1,2]", 5), -1);
    assert_int_equal(bq_alert(q, "{\"AlertId\":\"x\"}", 15), -1);
    bq_free(q);
}

static void test_malformed_label_lines_are_errors_with_their_line(void **st)
{
    (void)st;
    write_tmp(labels_path, "k1\tspray\nno tab here\n");
    bq *q = bq_new();
    sp_diag d = {0};
    assert_int_equal(bq_load_labels(q, labels_path, &d), -1);
    assert_int_equal(d.line, 2);
    unlink(labels_path);
    assert_int_equal(bq_load_labels(q, "/nonexistent/labels.tsv", &d), -1);
    bq_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alerts_are_true_positives_when_a_key_is_labelled_with_the_rules_scenario),
        cmocka_unit_test(test_instances_are_cut_at_the_gap_and_missed_ones_are_false_negatives),
        cmocka_unit_test(test_incident_keys_and_arrays_of_ids_name_records),
        cmocka_unit_test(test_unmapped_rules_are_counted_not_scored),
        cmocka_unit_test(test_malformed_label_lines_are_errors_with_their_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
