/* bench_quality.c — `socpipe bench quality`: replays labelled data through a rule pack and
 * scores every rule's alerts against the labels (true and false positives, missed attack
 * instances, precision, recall, alerts per million events), as a table or JSON.
 *
 *   socpipe bench quality --rules PATH... --data FILE... --labels FILE [--watchlists DIR]
 *                         [--scenarios FILE] [--instance-gap T] [--alerts FILE] [--json]
 *                         [--check]
 *
 * The replay is the runtime `socpipe replay` uses (same store, same rules, same event
 * time), with an in-process sink that hands each alert to the scorer (bench/quality); the
 * definitions of TP, FP, FN and instances are in bench/quality/quality.h. The scenario map
 * defaults to scenarios.tsv in the first rules directory (detections/scenarios.tsv).
 * --check exits 1 unless every mapped rule reaches recall 100% and precision >= 95%
 * (issue #6's targets). */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/quality/quality.h"
#include "engine/runtime/runtime.h"
#include "ingest/ingest.h"

/* ---- the sink that scores ---- */

typedef struct score_sink {
    rt_sink base;
    bq *q;
    FILE *copy; /* --alerts: every alert as NDJSON too */
    uint64_t bad;
} score_sink;

static int score_write(rt_sink *s, const char *json, size_t len)
{
    score_sink *k = (score_sink *)s;
    if (bq_alert(k->q, json, len) != 0)
        k->bad++;
    if (k->copy && (fwrite(json, 1, len, k->copy) != len || fputc('\n', k->copy) == EOF))
        return -1;
    return 0;
}

static int score_flush(rt_sink *s)
{
    score_sink *k = (score_sink *)s;
    return k->copy && fflush(k->copy) != 0 ? -1 : 0;
}

static void score_close(rt_sink *s)
{
    (void)s; /* owned by bench_quality */
}

/* ---- output ---- */

static void pct(char *out, size_t n, double v)
{
    if (v < 0)
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%.1f%%", v * 100);
}

/* Issue #6's targets: every labelled instance found, at least 95% of the alerts true. A rule
 * with nothing to find and no alert meets them vacuously. */
static bool meets_targets(const bq_rule_result *r)
{
    return r->scenarios[0] && (r->instances == 0 || r->recall >= 1.0) && (r->alerts == 0 || r->precision >= 0.95);
}

static void print_table(const bq_results *res, int64_t gap, const char *rules_path)
{
    printf("detection quality: %llu events, %d rules (%s), %llu labelled records (%llu found in the data), "
           "instance gap %lld min\n\n",
           (unsigned long long)res->events, res->nrules, rules_path, (unsigned long long)res->labelled_keys,
           (unsigned long long)res->keys_found, (long long)(gap / SP_TICKS_PER_MIN));
    printf("%-48s %-30s %6s %5s %5s %4s %5s %9s %7s %9s\n", "rule", "scenario", "alerts", "TP", "FP", "FN", "inst",
           "precision", "recall", "alerts/M");
    int mapped = 0, met = 0;
    for (int i = 0; i < res->nrules; i++) {
        const bq_rule_result *r = &res->rules[i];
        char p[16], rc[16];
        pct(p, sizeof p, r->precision);
        pct(rc, sizeof rc, r->recall);
        if (r->scenarios[0]) {
            mapped++;
            met += meets_targets(r);
            printf("%-48.48s %-30.30s %6llu %5llu %5llu %4llu %5llu %9s %7s %9.2f\n", r->name, r->scenarios,
                   (unsigned long long)r->alerts, (unsigned long long)r->tp, (unsigned long long)r->fp,
                   (unsigned long long)r->fn, (unsigned long long)r->instances, p, rc, r->alerts_per_million);
        } else {
            printf("%-48.48s %-30.30s %6llu %5s %5s %4s %5s %9s %7s %9.2f\n", r->name, "(not mapped)",
                   (unsigned long long)r->alerts, "-", "-", "-", "-", "-", "-", r->alerts_per_million);
        }
    }
    bool header = false;
    for (int i = 0; i < res->nscenarios; i++) {
        const bq_scenario_result *s = &res->scenarios[i];
        if (s->instances && (!s->nrules || s->detected < s->instances)) {
            if (!header)
                printf("\nscenarios not fully detected:\n");
            header = true;
            printf("  %-30s %llu of %llu instances detected%s\n", s->name, (unsigned long long)s->detected,
                   (unsigned long long)s->instances, s->nrules ? "" : " (no rule is mapped to it)");
        }
    }
    printf("\ntargets (recall 100%%, precision >= 95%%): met by %d of %d mapped rules\n", met, mapped);
}

static void json_str(sp_buf *b, const char *s)
{
    sp_buf_json_string(b, s, strlen(s));
}

static void json_num(sp_buf *b, double v)
{
    if (v < 0)
        sp_buf_puts(b, "null");
    else
        sp_buf_printf(b, "%.6g", v);
}

static void print_json(const bq_results *res)
{
    sp_buf b = {0};
    sp_buf_printf(&b, "{\"events\":%llu,\"labelled_records\":%llu,\"labelled_records_found\":%llu,\"rules\":[",
                  (unsigned long long)res->events, (unsigned long long)res->labelled_keys,
                  (unsigned long long)res->keys_found);
    for (int i = 0; i < res->nrules; i++) {
        const bq_rule_result *r = &res->rules[i];
        if (i)
            sp_buf_putc(&b, ',');
        sp_buf_puts(&b, "{\"rule_id\":");
        json_str(&b, r->rule_id);
        sp_buf_puts(&b, ",\"name\":");
        json_str(&b, r->name);
        sp_buf_puts(&b, ",\"scenarios\":[");
        const char *p = r->scenarios;
        for (bool first = true; *p; first = false) {
            const char *c = strchr(p, ',');
            size_t n = c ? (size_t)(c - p) : strlen(p);
            if (!first)
                sp_buf_putc(&b, ',');
            sp_buf_json_string(&b, p, n);
            p += n + (c != NULL);
        }
        sp_buf_printf(&b, "],\"alerts\":%llu,\"tp\":%llu,\"fp\":%llu,\"fn\":%llu,\"instances\":%llu,"
                          "\"near_miss_fp\":%llu,\"precision\":",
                      (unsigned long long)r->alerts, (unsigned long long)r->tp, (unsigned long long)r->fp,
                      (unsigned long long)r->fn, (unsigned long long)r->instances,
                      (unsigned long long)r->near_miss_fp);
        json_num(&b, r->precision);
        sp_buf_puts(&b, ",\"recall\":");
        json_num(&b, r->recall);
        sp_buf_printf(&b, ",\"alerts_per_million\":%.4f,\"meets_targets\":%s}", r->alerts_per_million,
                      meets_targets(r) ? "true" : "false");
    }
    sp_buf_puts(&b, "],\"scenarios\":[");
    for (int i = 0; i < res->nscenarios; i++) {
        const bq_scenario_result *s = &res->scenarios[i];
        if (i)
            sp_buf_putc(&b, ',');
        sp_buf_puts(&b, "{\"name\":");
        json_str(&b, s->name);
        sp_buf_printf(&b, ",\"records\":%llu,\"instances\":%llu,\"detected\":%llu,\"rules\":%d}",
                      (unsigned long long)s->records, (unsigned long long)s->instances,
                      (unsigned long long)s->detected, s->nrules);
    }
    sp_buf_puts(&b, "]}\n");
    fwrite(b.data, 1, b.len, stdout);
    sp_buf_free(&b);
}

/* ---- the command ---- */

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int bench_quality(int argc, char **argv)
{
    const char **rules = calloc((size_t)argc + 1, sizeof(char *));
    const char **data = calloc((size_t)argc + 1, sizeof(char *));
    int nrules = 0, ndata = 0, rc = SP_EXIT_OK;
    const char *labels = NULL, *scenarios = NULL, *alerts_out = NULL, *v;
    bool json = false, check = false;
    int64_t gap = 0;
    rt_config cfg = {.self_health = true, .max_alert_events = 100000};
    for (int i = 1; i < argc; i++) {
        if (cli_opt_value(argc, argv, &i, "--rules", &v))
            rules[nrules++] = v;
        else if (cli_opt_value(argc, argv, &i, "--data", &v))
            data[ndata++] = v;
        else if (cli_opt_value(argc, argv, &i, "--labels", &v))
            labels = v;
        else if (cli_opt_value(argc, argv, &i, "--watchlists", &v))
            cfg.watchlist_dir = v;
        else if (cli_opt_value(argc, argv, &i, "--scenarios", &v))
            scenarios = v;
        else if (cli_opt_value(argc, argv, &i, "--alerts", &v))
            alerts_out = v;
        else if (cli_opt_value(argc, argv, &i, "--instance-gap", &v)) {
            if (!sp_timespan_parse(v, strlen(v), &gap) || gap <= 0) {
                rc = cli_usage_error("--instance-gap takes a timespan such as 02:00:00");
                goto out;
            }
        } else if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--check"))
            check = true;
        else {
            rc = cli_usage_error("bench quality: unknown argument %s", argv[i]);
            goto out;
        }
    }
    if (!nrules || !ndata || !labels) {
        rc = cli_usage_error("usage: socpipe bench quality --rules PATH... --data FILE... --labels FILE "
                             "[--watchlists DIR] [--scenarios FILE] [--instance-gap T] [--alerts FILE] [--json] "
                             "[--check]");
        goto out;
    }
    char defmap[4096];
    if (!scenarios && is_dir(rules[0])) {
        snprintf(defmap, sizeof defmap, "%s/scenarios.tsv", rules[0]);
        if (is_file(defmap))
            scenarios = defmap;
    }
    bq *q = bq_new();
    score_sink sink = {.base = {.write = score_write, .flush = score_flush, .close = score_close, .name = "quality"},
                       .q = q};
    sp_diag d = {0};
    if (bq_load_labels(q, labels, &d) != 0 || (scenarios && bq_load_scenarios(q, scenarios, &d) != 0)) {
        sp_diag_print(stderr, &d);
        bq_free(q);
        rc = SP_EXIT_USAGE;
        goto out;
    }
    if (!scenarios)
        fprintf(stderr, "bench quality: no scenario map (--scenarios, or scenarios.tsv in the rules folder): "
                        "alerts are counted, not scored\n");
    sp_store *store = sp_store_new(NULL);
    int errors;
    rt_engine *e = cli_rules_engine(store, &cfg, rules, nrules, &errors);
    if (errors) {
        rc = SP_EXIT_USAGE;
        goto done;
    }
    for (int i = 0, n = rt_engine_rule_count(e); i < n; i++) {
        rt_rule_info ri;
        rt_engine_rule_info(e, i, &ri);
        bq_add_rule(q, ri.id, ri.name);
    }
    if (alerts_out && !(sink.copy = fopen(alerts_out, "w"))) {
        fprintf(stderr, "socpipe: cannot write %s\n", alerts_out);
        rc = SP_EXIT_FAIL;
        goto done;
    }
    rt_engine_add_sink(e, &sink.base);
    ing_config icfg = {0};
    ing *g = ing_new(store, &icfg, &d);
    if (!g) {
        sp_diag_print(stderr, &d);
        rc = SP_EXIT_FAIL;
        goto done;
    }
    for (int i = 0; i < ndata && rc == SP_EXIT_OK; i++)
        if (ing_ingest_file(g, data[i], &d) != 0) {
            sp_diag_print(stderr, &d);
            rc = SP_EXIT_FAIL;
        }
    ing_flush(g);
    rt_engine_finish(e);
    ing_stats is;
    ing_stats_get(g, &is);
    ing_free(g);
    if (rc == SP_EXIT_OK && bq_key_times_from_store(q, store, &d) < 0) {
        sp_diag_print(stderr, &d);
        rc = SP_EXIT_FAIL;
    }
    if (rc == SP_EXIT_OK) {
        if (sink.bad)
            fprintf(stderr, "bench quality: %llu alerts could not be read\n", (unsigned long long)sink.bad);
        const bq_results *res = bq_score(q, is.records, gap);
        if (json)
            print_json(res);
        else
            print_table(res, gap ? gap : 2 * SP_TICKS_PER_HOUR, rules[0]);
        if (check)
            for (int i = 0; i < res->nrules; i++)
                if (res->rules[i].scenarios[0] && !meets_targets(&res->rules[i]))
                    rc = SP_EXIT_FAIL;
    }
done:
    rt_engine_free(e);
    if (sink.copy)
        fclose(sink.copy);
    sp_store_free(store);
    bq_free(q);
out:
    free(rules);
    free(data);
    return rc;
}
