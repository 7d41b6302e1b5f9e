/* cmd_query.c — `socpipe query [--data PATH]... [--format table|json|csv] [--now DATETIME]
 * [--param name=value]... [--threads N] [--file Q] 'KQL'`: loads files into an in-memory
 * store, runs one KQL query (on up to N threads, default 2: kexec_opts.threads) and prints
 * the result (DESIGN.md §4). Also `socpipe explain 'KQL'`; `socpipe
 * explain RULE.yml` hands Sigma files to cmd_sigma_explain (cmd_sigma.c). */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec.h"
#include "engine/kql/kql.h"
#include "ingest/ingest.h"

typedef struct query_args {
    const char **data;
    int ndata;
    const char *names[64], *values[64];
    int nparams;
    kout_format fmt;
    int64_t now;
    sp_buf text;
    const char *table;
    int threads;
} query_args;

static int parse_args(int argc, char **argv, query_args *a, bool allow_data)
{
    memset(a, 0, sizeof *a);
    a->data = calloc((size_t)argc + 1, sizeof(char *));
    a->fmt = KOUT_TABLE;
    a->threads = 2;
    const char *v;
    for (int i = 1; i < argc; i++) {
        if (allow_data && cli_opt_value(argc, argv, &i, "--data", &v))
            a->data[a->ndata++] = v;
        else if (allow_data && cli_opt_value(argc, argv, &i, "--table", &v))
            a->table = v;
        else if (cli_opt_value(argc, argv, &i, "--format", &v)) {
            if (!strcmp(v, "table"))
                a->fmt = KOUT_TABLE;
            else if (!strcmp(v, "json"))
                a->fmt = KOUT_JSON;
            else if (!strcmp(v, "csv"))
                a->fmt = KOUT_CSV;
            else
                return cli_usage_error("--format must be table, json or csv");
        } else if (cli_opt_value(argc, argv, &i, "--threads", &v)) {
            if (atoi(v) < 1)
                return cli_usage_error("--threads takes a count of at least 1");
            a->threads = atoi(v);
        } else if (cli_opt_value(argc, argv, &i, "--now", &v)) {
            if (!sp_datetime_parse(v, strlen(v), &a->now))
                return cli_usage_error("--now needs a datetime such as 2026-11-01T00:00:00Z");
        } else if (cli_opt_value(argc, argv, &i, "--param", &v)) {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || a->nparams >= 64)
                return cli_usage_error("--param takes name=value (a KQL literal)");
            a->names[a->nparams] = strndup(v, (size_t)(eq - v));
            a->values[a->nparams++] = eq + 1;
        } else if (cli_opt_value(argc, argv, &i, "--file", &v)) {
            if (sp_read_file(v, &a->text) != 0)
                return cli_usage_error("cannot read query file %s", v);
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return cli_usage_error("unknown option %s", argv[i]);
        } else {
            if (a->text.len)
                return cli_usage_error("one query at a time (got a second one: %s)", argv[i]);
            sp_buf_puts(&a->text, argv[i]);
        }
    }
    if (!a->text.len)
        return cli_usage_error("usage: socpipe %s [--data PATH]... [--format table|json|csv] [--now DATETIME] [--param n=v]... [--threads N] 'KQL'",
                               argv[0]);
    return 0;
}

static void free_args(query_args *a)
{
    for (int i = 0; i < a->nparams; i++)
        free((char *)a->names[i]);
    free(a->data);
    sp_buf_free(&a->text);
}

static bool plan_keeps(void *ctx, const char *table, const char *column)
{
    return kplan_reads_column(ctx, table, column);
}

/* Loads the --data files; with a plan, declared tables keep only the columns it reads. */
static int load_data(sp_store *store, query_args *a, const kplan *projection)
{
    if (!a->ndata)
        return 0;
    sp_diag d = {0};
    ing_config cfg = {.table = a->table};
    if (projection) {
        cfg.keep_column = plan_keeps;
        cfg.keep_ctx = (void *)projection;
    }
    ing *g = ing_new(store, &cfg, &d);
    if (!g) {
        sp_diag_print(stderr, &d);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < a->ndata && rc == 0; i++) {
        memset(&d, 0, sizeof d);
        if (ing_ingest_file(g, a->data[i], &d) != 0) {
            sp_diag_print(stderr, &d);
            rc = -1;
        }
    }
    ing_free(g);
    return rc;
}

static void fill_env(kql_bind_env *env, sp_store *store, query_args *a)
{
    memset(env, 0, sizeof *env);
    env->store = store;
    env->param_names = a->names;
    env->param_values = a->values;
    env->nparams = a->nparams;
    env->now = a->now;
    env->bagunpack_schema = kexec_bagunpack_hook; /* bag_unpack's columns come from the data */
    env->ctx = store;
}

int cmd_query(int argc, char **argv)
{
    query_args a;
    int r = parse_args(argc, argv, &a, true);
    if (r)
        return r;
    sp_store *store = sp_store_new(NULL);
    /* Compile against the declared schemas first: its scans say which columns to load. */
    kql_bind_env env;
    fill_env(&env, store, &a);
    kplan *plan = NULL;
    sp_diag d = {0};
    if (kql_compile(a.text.data, a.text.len, &env, &plan, &d) != 0)
        plan = NULL; /* e.g. a table that only the data defines: load everything */
    kexec_want_gids(plan, store); /* indexed as the chunks are sealed */
    int loaded = load_data(store, &a, plan);
    kplan_free(plan);
    if (loaded != 0) {
        sp_store_free(store);
        free_args(&a);
        return SP_EXIT_FAIL;
    }
    memset(&d, 0, sizeof d);
    int rc = SP_EXIT_OK;
    if (kql_compile(a.text.data, a.text.len, &env, &plan, &d) != 0) {
        sp_diag_print(stderr, &d);
        rc = SP_EXIT_USAGE;
    } else {
        for (int i = 0; i < plan->nwarnings; i++)
            fprintf(stderr, "warning: %s\n", plan->warnings[i]);
        krowset *rs;
        kexec_opts opts = {.now = a.now, .result_pins_chunks = true, .threads = a.threads}; /* printed, then freed */
        if (kexec_run(plan, store, &opts, &rs, &d) != 0) {
            sp_diag_attach_source(&d, a.text.data, a.text.len);
            sp_diag_print(stderr, &d);
            rc = SP_EXIT_FAIL;
        } else {
            krowset_write(rs, a.fmt, stdout);
            krowset_free(rs);
        }
        kplan_free(plan);
    }
    sp_store_free(store);
    free_args(&a);
    return rc;
}

/* A Sigma file or directory as the last argument (a KQL query never ends in .yml). */
static bool sigma_argument(int argc, char **argv)
{
    if (argc < 2)
        return false;
    const char *s = argv[argc - 1];
    size_t n = strlen(s);
    return (n > 4 && !strcmp(s + n - 4, ".yml")) || (n > 5 && !strcmp(s + n - 5, ".yaml"));
}

int cmd_explain(int argc, char **argv)
{
    if (sigma_argument(argc, argv))
        return cmd_sigma_explain(argc, argv);
    query_args a;
    int r = parse_args(argc, argv, &a, true);
    if (r)
        return r;
    sp_store *store = sp_store_new(NULL);
    if (load_data(store, &a, NULL) != 0) {
        sp_store_free(store);
        free_args(&a);
        return SP_EXIT_FAIL;
    }
    kql_bind_env env;
    fill_env(&env, store, &a);
    kplan *plan;
    sp_diag d = {0};
    int rc = SP_EXIT_OK;
    if (kql_compile(a.text.data, a.text.len, &env, &plan, &d) != 0) {
        sp_diag_print(stderr, &d);
        rc = SP_EXIT_USAGE;
    } else {
        sp_buf out = {0};
        sp_buf_puts(&out, "plan:\n");
        kplan_explain(plan, &out);
        if (kexec_explain_programs(plan, &out, &d) != 0) {
            sp_diag_print(stderr, &d);
            rc = SP_EXIT_USAGE;
        }
        fwrite(out.data, 1, out.len, stdout);
        sp_buf_free(&out);
        kplan_free(plan);
    }
    sp_store_free(store);
    free_args(&a);
    return rc;
}
