/* cmd_gen.c — `socpipe gen`: writes deterministic synthetic telemetry as NDJSON.
 *
 * A thin loop over the bench/gen API: one record per line (or --batch K Event Hubs
 * records per {"records":[...]} line), to stdout or a file (zstd when it ends in .zst);
 * several --table flags (or --table all) give one time-ordered stream of those tables.
 * With --attacks --labels FILE, a tab-separated `key<TAB>label` line per scenario record
 * (label = scenario name, or benign:<name> for near-misses); with --watchlists DIR, the
 * Sentinel watchlist CSVs the scenarios' rules tune against.
 */
#include "cli/cli.h"

#include "bench/gen/gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void gen_usage(FILE *f)
{
    size_t nt, ns;
    const char *const *tables = gen_table_names(&nt);
    const char *const *scen = gen_scenario_names(&ns);
    fputs("usage: socpipe gen [--table T]... [--events N] [--seed S]\n"
          "                   [--envelope loganalytics|eventhubs|purview] [--out FILE]\n"
          "                   [--start DATETIME] [--rate EPS] [--batch K] [--zstd-level L]\n"
          "                   [--attacks [--labels FILE]] [--watchlists DIR]\n"
          "  --table T      table to generate (default SigninLogs); repeat it, or say\n"
          "                 `all`, for one time-ordered stream of several tables:",
          f);
    for (size_t i = 0; i < nt; i++)
        fprintf(f, "%s %s", i ? "," : "", tables[i]);
    fputs("\n  --events N     records to write (default 1000)\n"
          "  --seed S       same seed and options give byte-identical output (default 1)\n"
          "  --envelope E   record form; default is the table's natural one (several\n"
          "                 tables: the sign-ins' form; the others keep their own)\n"
          "  --out FILE     output file (default stdout); FILE.zst is zstd-compressed\n"
          "  --start T      time of the first event (default 2026-11-01T00:00:00Z)\n"
          "  --rate EPS     mean events per second of event time, all tables together\n"
          "                 (default: each table's own rate)\n"
          "  --batch K      eventhubs only: K records per {\"records\":[...]} line\n"
          "  --attacks      inject labelled attack scenarios:",
          f);
    for (size_t i = 0; i < ns; i++)
        fprintf(f, "%s %s", i ? "," : "", scen[i]);
    fputs("\n  --labels FILE  with --attacks: `key<TAB>label` per scenario record; label is the\n"
          "                 scenario, or benign:<scenario> for its near-miss lookalikes; key is\n"
          "                 Id / RecordId / SystemAlertId, IncidentName@LastModifiedTime\n"
          "  --watchlists DIR  write the tenant's watchlists (Sentinel CSV, SearchKey first):",
          f);
    size_t nw;
    const char *const *wl = gen_watchlist_names(&nw);
    for (size_t i = 0; i < nw; i++)
        fprintf(f, "%s %s", i ? "," : "", wl[i]);
    fputc('\n', f);
}

static int parse_u64(const char *s, uint64_t *out)
{
    int64_t v;
    if (!sp_parse_i64(s, strlen(s), &v) || v < 0)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int cmd_gen(int argc, char **argv)
{
    gen_options opt = {.table = "SigninLogs", .seed = 1};
    uint64_t events = 1000, batch = 1;
    const char *out_path = NULL, *labels_path = NULL, *wl_dir = NULL, *v;
    char tables[1024] = ""; /* --table values, comma-joined */
    int zlevel = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            gen_usage(stdout);
            return SP_EXIT_OK;
        } else if (cli_opt_value(argc, argv, &i, "--table", &v)) {
            size_t n = strlen(tables);
            if (n + strlen(v) + 2 > sizeof tables)
                return cli_usage_error("gen: too many --table values");
            snprintf(tables + n, sizeof tables - n, "%s%s", n ? "," : "", v);
        } else if (cli_opt_value(argc, argv, &i, "--events", &v)) {
            if (parse_u64(v, &events))
                return cli_usage_error("gen: --events wants a count, got '%s'", v);
        } else if (cli_opt_value(argc, argv, &i, "--seed", &v)) {
            if (parse_u64(v, &opt.seed))
                return cli_usage_error("gen: --seed wants a non-negative integer, got '%s'", v);
        } else if (cli_opt_value(argc, argv, &i, "--envelope", &v)) {
            if (!gen_envelope_parse(v, &opt.envelope))
                return cli_usage_error("gen: unknown envelope '%s' (loganalytics, eventhubs, purview)", v);
        } else if (cli_opt_value(argc, argv, &i, "--out", &v)) {
            out_path = v;
        } else if (cli_opt_value(argc, argv, &i, "--start", &v)) {
            if (!sp_datetime_parse(v, strlen(v), &opt.start))
                return cli_usage_error("gen: --start wants a datetime such as 2026-11-01T00:00:00Z, got '%s'", v);
        } else if (cli_opt_value(argc, argv, &i, "--rate", &v)) {
            if (!sp_parse_f64(v, strlen(v), &opt.rate) || !(opt.rate > 0) || opt.rate > 1e9)
                return cli_usage_error("gen: --rate wants events per second > 0, got '%s'", v);
        } else if (cli_opt_value(argc, argv, &i, "--batch", &v)) {
            if (parse_u64(v, &batch) || batch < 1 || batch > 100000)
                return cli_usage_error("gen: --batch wants 1..100000, got '%s'", v);
        } else if (cli_opt_value(argc, argv, &i, "--zstd-level", &v)) {
            uint64_t l;
            if (parse_u64(v, &l) || l < 1 || l > 19)
                return cli_usage_error("gen: --zstd-level wants 1..19, got '%s'", v);
            zlevel = (int)l;
        } else if (cli_opt_value(argc, argv, &i, "--labels", &v)) {
            labels_path = v;
        } else if (cli_opt_value(argc, argv, &i, "--watchlists", &v)) {
            wl_dir = v;
        } else if (!strcmp(argv[i], "--attacks")) {
            opt.attacks = true;
        } else {
            gen_usage(stderr);
            return cli_usage_error("gen: unknown option '%s'", argv[i]);
        }
    }
    if (labels_path && !opt.attacks)
        return cli_usage_error("gen: --labels needs --attacks");
    if (tables[0])
        opt.table = tables;
    opt.events = events;

    sp_diag d = {0};
    gen *g;
    if (gen_new(&opt, &g, &d)) {
        fprintf(stderr, "socpipe: gen: %s\n", d.msg);
        return SP_EXIT_USAGE;
    }
    if (batch > 1 && (gen_envelope_used(g) != GEN_ENV_EVENTHUBS || !gen_table(g))) {
        gen_free(g);
        return cli_usage_error("gen: --batch applies to one table in the eventhubs envelope");
    }
    if (wl_dir && gen_write_watchlists(g, wl_dir, &d)) {
        gen_free(g);
        fprintf(stderr, "socpipe: gen: %s: %s\n", d.file, d.msg);
        return SP_EXIT_FAIL;
    }
    gen_sink *sink;
    if (gen_sink_open(out_path, zlevel, &sink, &d)) {
        gen_free(g);
        sp_diag_print(stderr, &d);
        return SP_EXIT_FAIL;
    }
    FILE *labels = NULL;
    if (labels_path && !(labels = fopen(labels_path, "w"))) {
        fprintf(stderr, "socpipe: gen: cannot write %s: %s\n", labels_path, strerror(errno));
        gen_sink_close(sink);
        gen_free(g);
        return SP_EXIT_FAIL;
    }

    int rc = SP_EXIT_OK;
    sp_buf line = {0};
    gen_event ev;
    for (uint64_t done = 0; done < events && rc == SP_EXIT_OK;) {
        line.len = 0;
        uint64_t k = SP_MIN(batch, events - done);
        if (batch > 1)
            sp_buf_puts(&line, "{\"records\":[");
        for (uint64_t j = 0; j < k; j++) {
            if (j)
                sp_buf_putc(&line, ',');
            gen_next(g, &line, &ev);
            if (labels && ev.scenario)
                fprintf(labels, "%.*s\t%s\n", (int)ev.id_len, ev.id, ev.scenario);
        }
        if (batch > 1)
            sp_buf_puts(&line, "]}");
        sp_buf_putc(&line, '\n');
        done += k;
        if (gen_sink_write(sink, line.data, line.len)) {
            fprintf(stderr, "socpipe: gen: write failed: %s\n", strerror(errno));
            rc = SP_EXIT_FAIL;
        }
    }
    sp_buf_free(&line);
    if (gen_sink_close(sink) && rc == SP_EXIT_OK) {
        fprintf(stderr, "socpipe: gen: closing output failed: %s\n", strerror(errno));
        rc = SP_EXIT_FAIL;
    }
    if (labels && fclose(labels) && rc == SP_EXIT_OK) {
        fprintf(stderr, "socpipe: gen: closing labels failed: %s\n", strerror(errno));
        rc = SP_EXIT_FAIL;
    }
    gen_free(g);
    return rc;
}
