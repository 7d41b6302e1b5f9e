/* cmd_replay.c — `socpipe replay --rules PATH... [--table NAME] [--workers N]
 * [--watchlists DIR] [--placeholders FILE] [--mapping FILE] [--lateness T] [--out FILE]
 * FILE...`: offline replay of historical logs through the same runtime as the service
 * (DESIGN.md §4, §1.6). Alerts go to stdout as NDJSON (or --out), a summary to stderr.
 *
 * Files are ingested by N worker threads (worker i takes files i, i+N, ...); per-event
 * rules run as chunks seal, then the engine finishes in event time: scheduled rules run
 * every tick up to the newest event and correlations settle. Because nothing depends on
 * arrival order or the wall clock, the alerts are the same for any worker count and equal
 * to a live run over the same records. */
#include "cli/cli.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/runtime/runtime.h"
#include "ingest/ingest.h"

static const char usage[] =
    "usage: socpipe replay --rules PATH... [--workers N] [--table NAME] [--watchlists DIR]\n"
    "                      [--placeholders FILE] [--mapping FILE] [--lateness [d.]hh:mm:ss]\n"
    "                      [--out FILE] [--no-health] FILE...\n";

typedef struct replay_worker {
    ing *g;
    char **files;
    int nfiles, first, step;
    int failed;
} replay_worker;

static void *replay_thread(void *p)
{
    replay_worker *w = p;
    ing_worker *iw = ing_worker_new(w->g);
    for (int i = w->first; i < w->nfiles; i += w->step) {
        sp_diag d = {0};
        if (ing_worker_file(iw, w->files[i], &d) != 0) {
            sp_diag_print(stderr, &d);
            w->failed = 1;
        }
    }
    ing_worker_free(iw);
    return NULL;
}

int cmd_replay(int argc, char **argv)
{
    const char **rules = calloc((size_t)argc + 1, sizeof(char *));
    char **files = calloc((size_t)argc + 1, sizeof(char *));
    int nrules = 0, nfiles = 0, workers = 1;
    const char *table = NULL, *out = "-", *v;
    rt_config cfg = {.self_health = true};
    for (int i = 1; i < argc; i++) {
        if (cli_opt_value(argc, argv, &i, "--rules", &v))
            rules[nrules++] = v;
        else if (cli_opt_value(argc, argv, &i, "--table", &v))
            table = v;
        else if (cli_opt_value(argc, argv, &i, "--workers", &v))
            workers = atoi(v) > 0 ? atoi(v) : 1;
        else if (cli_opt_value(argc, argv, &i, "--watchlists", &v))
            cfg.watchlist_dir = v;
        else if (cli_opt_value(argc, argv, &i, "--placeholders", &v))
            cfg.sigma_placeholders = v;
        else if (cli_opt_value(argc, argv, &i, "--mapping", &v))
            cfg.sigma_mapping = v;
        else if (cli_opt_value(argc, argv, &i, "--out", &v))
            out = v;
        else if (cli_opt_value(argc, argv, &i, "--lateness", &v)) {
            if (!sp_timespan_parse(v, strlen(v), &cfg.allowed_lateness)) {
                free(rules);
                free(files);
                return cli_usage_error("--lateness takes a timespan such as 00:05:00");
            }
        } else if (!strcmp(argv[i], "--no-health"))
            cfg.self_health = false;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            free(rules);
            free(files);
            return SP_EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2]) {
            free(rules);
            free(files);
            return cli_usage_error("replay: unknown option %s", argv[i]);
        } else
            files[nfiles++] = argv[i];
    }
    if (!nfiles) {
        free(rules);
        free(files);
        fputs(usage, stderr);
        return SP_EXIT_USAGE;
    }
    sp_store *store = sp_store_new(NULL);
    int errors;
    rt_engine *e = cli_rules_engine(store, &cfg, rules, nrules, &errors);
    if (errors) {
        rt_engine_free(e);
        sp_store_free(store);
        free(rules);
        free(files);
        return SP_EXIT_USAGE;
    }
    sp_diag d = {0};
    rt_sink *sink = rt_sink_file(out, &d);
    if (!sink) {
        sp_diag_print(stderr, &d);
        rt_engine_free(e);
        sp_store_free(store);
        free(rules);
        free(files);
        return SP_EXIT_FAIL;
    }
    rt_engine_add_sink(e, sink);
    ing_config icfg = {.table = table};
    ing *g = ing_new(store, &icfg, &d);
    if (!g) {
        sp_diag_print(stderr, &d);
        rt_engine_free(e);
        sp_store_free(store);
        free(rules);
        free(files);
        return SP_EXIT_FAIL;
    }
    replay_worker *ws = calloc((size_t)workers, sizeof *ws);
    pthread_t *th = calloc((size_t)workers, sizeof *th);
    for (int i = 0; i < workers; i++) {
        ws[i] = (replay_worker){.g = g, .files = files, .nfiles = nfiles, .first = i, .step = workers};
        pthread_create(&th[i], NULL, replay_thread, &ws[i]);
    }
    int failed = 0;
    for (int i = 0; i < workers; i++) {
        pthread_join(th[i], NULL);
        failed |= ws[i].failed;
    }
    ing_flush(g);
    rt_engine_finish(e);
    ing_stats is;
    ing_stats_get(g, &is);
    rt_stats rs;
    rt_engine_stats(e, &rs);
    fprintf(stderr, "replay: %llu records, %llu stored, %llu duplicates, %llu rejected; %d rules, %llu rule runs, %llu failures; %llu alerts\n",
            (unsigned long long)is.records, (unsigned long long)is.rows, (unsigned long long)is.duplicates,
            (unsigned long long)is.rejected, rt_engine_rule_count(e), (unsigned long long)rs.rule_runs,
            (unsigned long long)rs.rule_failures, (unsigned long long)rs.alerts);
    ing_free(g);
    rt_engine_free(e);
    sp_store_free(store);
    free(ws);
    free(th);
    free(rules);
    free(files);
    return failed ? SP_EXIT_FAIL : SP_EXIT_OK;
}
