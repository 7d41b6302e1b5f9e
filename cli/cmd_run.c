/* cmd_run.c — `socpipe run --config FILE`: the service (DESIGN.md §4): Kafka in, alerts
 * out, until SIGTERM or SIGINT.
 *
 * The configuration (docs/configuration.md) is loaded and checked completely before anything
 * connects: a bad key or value exits 2 with file:line:col, a rule that does not load exits 2.
 * Then the main thread only schedules (svc_step: scheduled rules, retention, memory budget)
 * and prints a status line every few seconds; the consumer workers do the work. A signal
 * drains: workers flush, store and commit their offsets and leave the group, the runtime
 * settles what the watermark allows, sinks flush, exit 0. A fatal Kafka error or an alert
 * sink that failed exits 1 without committing past the records whose alerts were lost.
 *
 *   --check        load and validate the configuration and the rules, then exit
 *   --quiet        no status line
 *   --log-level L  error|warning|info|debug, over the file's `log`
 */
#include "cli/cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/runtime/runtime.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static const char usage[] = "usage: socpipe run --config FILE [--check] [--quiet] [--log-level LEVEL]\n";

static bool parse_level(const char *s, sp_log_level *out)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i])) {
            *out = (sp_log_level)i;
            return true;
        }
    return false;
}

/* --check: the rules load into a runtime that never sees data. */
static int check_rules(const rt_service_config *cfg)
{
    sp_store *st = sp_store_new(NULL);
    rt_config rc = {.watchlist_dir = cfg->watchlists,
                    .sigma_placeholders = cfg->sigma_placeholders,
                    .sigma_mapping = cfg->sigma_mapping};
    rt_engine *e = rt_engine_new(st, &rc);
    int bad = 0;
    for (int i = 0; i < cfg->nrules; i++) {
        int r = rt_engine_load_rules(e, cfg->rules[i], NULL, NULL);
        bad += r < 0 ? 1 : r;
    }
    int n = rt_engine_rule_count(e);
    rt_engine_free(e);
    sp_store_free(st);
    if (bad) {
        fprintf(stderr, "socpipe: %d rule error%s (socpipe sigma check or replay shows them)\n", bad,
                bad == 1 ? "" : "s");
        return SP_EXIT_USAGE;
    }
    printf("%s: configuration ok: %d topic(s), group %s, %d worker(s), %d rule(s), %d sink(s)\n", cfg->path,
           cfg->ntopics, cfg->group, cfg->workers, n, cfg->nsinks);
    return SP_EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
    const char *path = NULL, *v;
    bool quiet = false, check = false, have_level = false;
    sp_log_level level = SP_LOG_WARN;
    for (int i = 1; i < argc; i++) {
        if (cli_opt_value(argc, argv, &i, "--config", &v))
            path = v;
        else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
            quiet = true;
        else if (!strcmp(argv[i], "--check"))
            check = true;
        else if (cli_opt_value(argc, argv, &i, "--log-level", &v)) {
            if (!parse_level(v, &level))
                return cli_usage_error("run: --log-level takes error, warning, info or debug");
            have_level = true;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return SP_EXIT_OK;
        } else {
            fputs(usage, stderr);
            return cli_usage_error("run: unexpected argument '%s'", argv[i]);
        }
    }
    if (!path) {
        fputs(usage, stderr);
        return SP_EXIT_USAGE;
    }
    rt_service_config cfg;
    sp_diag d;
    if (rt_config_load(path, &cfg, &d) != 0) {
        sp_diag_print(stderr, &d);
        return SP_EXIT_USAGE;
    }
    sp_log_threshold = have_level ? level : cfg.log_level;
    if (check) {
        int rc = check_rules(&cfg);
        rt_config_free(&cfg);
        return rc;
    }

    cli_catch_stop_signals(on_signal); /* a closed stdout reader is a sink failure, not a crash */

    int exit_code = SP_EXIT_OK;
    svc *s = svc_start(&cfg, NULL, 0, &exit_code);
    if (!s) {
        rt_config_free(&cfg);
        return exit_code;
    }
    bool fatal = false;
    while (!stop_signal) {
        if (svc_step(s)) {
            fatal = true;
            break;
        }
        if (!quiet)
            svc_status(s, stderr, false);
        usleep(20000); /* the memory budget is checked each step: workers are fast */
    }
    if (!fatal)
        sp_log(SP_LOG_INFO, "%s: draining", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    exit_code = svc_stop(s);
    if (!quiet)
        svc_status(s, stderr, true);
    svc_free(s);
    rt_config_free(&cfg);
    return exit_code;
}
