/* cmd_load.c — `socpipe load FILE...`: ingest files into an in-memory store and report
 * what landed where (rows, columns, memory, duplicates, rejections, speed).
 *
 * It is the quickest way to see how socpipe reads a data set, and the ingest benchmark:
 * the time covers reading, decompression, parsing, mapping and sealing chunks.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/store/store.h"
#include "ingest/ingest.h"

static const char usage[] =
    "usage: socpipe load FILE... [--stats] [--table NAME] [--dead-letter PATH]\n"
    "                            [--max-record-bytes N] [--max-depth N] [--parse-only]\n"
    "  FILE is NDJSON (plain or zstd) or one JSON document; - reads stdin.\n"
    "  --stats adds per-column types and memory; --parse-only reads and parses but\n"
    "  stores nothing (the parser's share of the ingest time).\n";

static bool parse_size(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v == 0 || v > max)
        return false;
    *out = v;
    return true;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void print_columns(sp_table *t)
{
    const sp_schema *sc = sp_table_schema(t);
    for (int c = 0; c < sc->ncols; c++)
        printf("    %-44s %-9s %12llu\n", sc->cols[c].name, sp_type_name(sc->cols[c].type),
               (unsigned long long)sp_table_col_bytes(t, c));
}

int cmd_load(int argc, char **argv)
{
    ing_config cfg = {0};
    bool stats = false;
    const char **files = calloc((size_t)argc, sizeof *files);
    int nfiles = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        unsigned long long n;
        if (!strcmp(argv[i], "--stats")) {
            stats = true;
        } else if (!strcmp(argv[i], "--parse-only")) {
            cfg.parse_only = true;
        } else if (cli_opt_value(argc, argv, &i, "--table", &v)) {
            cfg.table = v;
        } else if (cli_opt_value(argc, argv, &i, "--dead-letter", &v)) {
            cfg.dead_letter = v;
        } else if (cli_opt_value(argc, argv, &i, "--max-record-bytes", &v)) {
            if (!parse_size(v, 1ULL << 31, &n)) {
                free(files);
                return cli_usage_error("--max-record-bytes wants a byte count (1 .. 2^31), not '%s'", v);
            }
            sp_limits.max_record_bytes = (size_t)n;
        } else if (cli_opt_value(argc, argv, &i, "--max-depth", &v)) {
            if (!parse_size(v, 100000, &n)) {
                free(files);
                return cli_usage_error("--max-depth wants a nesting depth (1 .. 100000), not '%s'", v);
            }
            sp_limits.max_json_depth = (int)n;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            free(files);
            return SP_EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            free(files);
            fputs(usage, stderr);
            return cli_usage_error("load: unknown option '%s'", argv[i]);
        } else {
            files[nfiles++] = argv[i];
        }
    }
    if (!nfiles) {
        free(files);
        fputs(usage, stderr);
        return cli_usage_error("load: no input file");
    }

    sp_store *store = sp_store_new(NULL);
    sp_diag d = {0};
    ing *g = ing_new(store, &cfg, &d);
    if (!g) {
        sp_diag_print(stderr, &d);
        sp_store_free(store);
        free(files);
        return cfg.table ? SP_EXIT_USAGE : SP_EXIT_FAIL;
    }
    int status = SP_EXIT_OK;
    double t0 = now_s();
    for (int i = 0; i < nfiles; i++) {
        memset(&d, 0, sizeof d);
        if (ing_ingest_file(g, files[i], &d) != 0) {
            sp_diag_print(stderr, &d);
            status = SP_EXIT_FAIL;
        }
    }
    ing_flush(g);
    double secs = now_s() - t0;

    ing_stats st;
    ing_stats_get(g, &st);
    int nt = ing_table_stats_get(g, NULL, 0);
    ing_table_stats *ts = calloc((size_t)nt + 1, sizeof *ts);
    ing_table_stats_get(g, ts, nt);
    printf("%-34s %10s %7s %12s %10s %8s %8s %8s\n", "table", "rows", "columns", "bytes",
           "duplicates", "coerced", "extra", "no_time");
    for (int i = 0; i < nt; i++) {
        sp_table *t = sp_store_find(store, ts[i].table);
        sp_table_stats tst;
        sp_table_stats_get(t, &tst);
        printf("%-34s %10llu %7d %12llu %10llu %8llu %8llu %8llu\n", ts[i].table,
               (unsigned long long)tst.rows, sp_table_schema(t)->ncols,
               (unsigned long long)tst.bytes, (unsigned long long)tst.duplicates,
               (unsigned long long)ts[i].coerced, (unsigned long long)ts[i].extra_fields,
               (unsigned long long)ts[i].no_time);
        if (stats)
            print_columns(t);
    }
    printf("rejected: %llu", (unsigned long long)st.rejected);
    const char *sep = " (";
    for (int r = 0; r < ING_REJ_COUNT; r++)
        if (st.by_reason[r]) {
            printf("%s%s %llu", sep, ing_reason_name((ing_reason)r), (unsigned long long)st.by_reason[r]);
            sep = ", ";
        }
    printf("%s\n", *sep == ',' ? ")" : "");
    if (cfg.dead_letter)
        printf("dead letters: %llu written to %s\n", (unsigned long long)st.dead_letters, cfg.dead_letter);
    double mb = (double)st.bytes / 1e6;
    printf("ingested %llu records (%.1f MB) in %.3f s: %.1f MB/s, %.0f records/s\n",
           (unsigned long long)st.records, mb, secs, secs > 0 ? mb / secs : 0.0,
           secs > 0 ? (double)st.records / secs : 0.0);
    free(ts);
    ing_free(g);
    sp_store_free(store);
    free(files);
    return status;
}
