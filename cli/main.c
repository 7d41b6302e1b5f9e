/* main.c — socpipe's entry point: dispatches to the command named by argv[1].
 *
 * Commands are listed in one table so `socpipe help` and the README stay in step with
 * what exists.
 */
#include "cli/cli.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const sp_command commands[] = {
    {"version", cmd_version, "print the version and the libraries in use"},
    {"kql-parse", cmd_kqlparse, "parse a KQL query and print its syntax tree (dev aid)"},
    {"load", cmd_load, "ingest NDJSON/zstd files into memory and report tables, rejections, speed"},
    {"gen", cmd_gen, "write realistic synthetic telemetry (NDJSON) with labelled attacks"},
    {"query", cmd_query, "load files and run one KQL query (--data PATH, --format table|json|csv)"},
    {"explain", cmd_explain, "show the optimized plan and the compiled programs of a query"},
    {"replay", cmd_replay, "replay files through the rules in event time; alerts as NDJSON"},
    {"run", cmd_run, "the service: Kafka in, alerts out (--config FILE; docs/configuration.md)"},
    {"demo", cmd_demo, "the service end to end on an in-process Kafka with generated attacks"},
    {"bench", cmd_bench, "benchmarks against a baseline in the same run (ingest, query, kafka)"},
    {"sigma", cmd_sigma, "Sigma rules: check, to-kql, explain"},
};

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("socpipe: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return SP_EXIT_USAGE;
}

bool cli_opt_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return false;
    if (a[n] == '=') {
        *value = a + n + 1;
        return true;
    }
    if (a[n] == 0 && *i + 1 < argc) {
        *value = argv[++*i];
        return true;
    }
    return false;
}

void cli_catch_stop_signals(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void print_help(FILE *f)
{
    fputs("usage: socpipe <command> [options]\n\ncommands:\n", f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return SP_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        print_help(stdout);
        return SP_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "socpipe: unknown command '%s'\n", argv[1]);
    print_help(stderr);
    return SP_EXIT_USAGE;
}
