/* cmd_sigma.c — `socpipe sigma <subcommand>`: the Sigma front end on the command line.
 *
 *   socpipe sigma check [--strict] [--placeholders FILE] PATH...
 *   socpipe sigma to-kql [--mapping FILE] [--no-default-mapping] [--placeholders FILE] RULE...
 *   socpipe sigma explain [--mapping FILE] [--no-default-mapping] [--placeholders FILE] RULE...
 *
 * to-kql prints, for every standalone detection rule and correlation of the files, the KQL
 * query the lowered plan means (sig_plan_to_kql); explain prints the plan and the compiled
 * programs, as `socpipe explain` does for KQL (cmd_sigma_explain is that command's Sigma
 * half). Both resolve logsources and fields with the shipped mapping
 * (sigma/mappings/microsoft.yml) extended by each --mapping FILE; field warnings go to
 * stderr. Exit 2 when a file does not load or a rule cannot be lowered.
 *
 * check loads files and directories (recursively, *.yml and *.yaml), prints every error and
 * warning like a compiler (file:line:col, the source line, a caret) on stderr, then a summary
 * on stdout: files, documents loaded by kind, rejected documents grouped by reason. Exit 0
 * when nothing was rejected, 2 otherwise (DESIGN.md §4: bad rules are exit 2). Subcommands
 * live in one table so new ones (to-kql) are one line.
 */
#include "cli/cli.h"
#include "engine/exec/exec.h"
#include "sigma/sigma.h"

#include <stdio.h>
#include <string.h>

static int sigma_usage(void)
{
    fputs("usage: socpipe sigma check [--strict] [--placeholders FILE] PATH...\n"
          "       socpipe sigma to-kql [--mapping FILE] [--no-default-mapping] [--placeholders FILE] RULE...\n"
          "       socpipe sigma explain [--mapping FILE] [--no-default-mapping] [--placeholders FILE] RULE...\n",
          stderr);
    return SP_EXIT_USAGE;
}

static void print_summary(const sig_stats *st)
{
    printf("sigma check: %zu file%s, %zu document%s: %zu rule%s, %zu correlation%s, %zu filter%s "
           "loaded; %zu rejected; %zu error%s, %zu warning%s\n",
           st->files, st->files == 1 ? "" : "s", st->documents, st->documents == 1 ? "" : "s",
           st->loaded[SIG_DOC_RULE], st->loaded[SIG_DOC_RULE] == 1 ? "" : "s",
           st->loaded[SIG_DOC_CORRELATION], st->loaded[SIG_DOC_CORRELATION] == 1 ? "" : "s",
           st->loaded[SIG_DOC_FILTER], st->loaded[SIG_DOC_FILTER] == 1 ? "" : "s", st->rejected,
           st->errors, st->errors == 1 ? "" : "s", st->warnings, st->warnings == 1 ? "" : "s");
    if (st->rejected) {
        printf("rejected by reason:\n");
        for (int r = 0; r < SIG_R_COUNT; r++)
            if (st->rejected_by[r])
                printf("  %-24s %zu\n", sig_reason_name((sig_reason)r), st->rejected_by[r]);
    }
}

static int sigma_check(int argc, char **argv)
{
    sig_options opt = {0};
    const char *ph_path = NULL;
    int first = argc;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--strict")) {
            opt.strict = true;
        } else if (cli_opt_value(argc, argv, &i, "--placeholders", &ph_path)) {
            continue;
        } else if (!strcmp(argv[i], "--")) {
            first = i + 1;
            break;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_usage_error("sigma check: unknown option '%s'", argv[i]);
            return sigma_usage();
        } else {
            first = i;
            break;
        }
    }
    if (first >= argc)
        return sigma_usage();
    sig_placeholders *ph = NULL;
    if (ph_path) {
        sp_diag d;
        if (sig_placeholders_load(ph_path, &ph, &d) != 0) {
            sp_diag_print(stderr, &d);
            return SP_EXIT_USAGE;
        }
        opt.placeholders = ph;
    }
    sig_set *set = sig_set_new(&opt);
    for (int i = first; i < argc; i++)
        sig_set_load_path(set, argv[i]);
    sig_set_resolve(set);
    for (size_t i = 0; i < sig_set_ndiags(set); i++)
        sp_diag_print(stderr, &sig_set_diag(set, i)->d);
    sig_stats st;
    sig_set_stats(set, &st);
    print_summary(&st);
    sig_set_free(set);
    sig_placeholders_free(ph);
    return st.rejected ? SP_EXIT_USAGE : SP_EXIT_OK;
}

/* ---- to-kql and explain: load, map, lower ---- */

typedef struct lowering {
    sig_set *set;
    sig_mapping *map;
    sig_placeholders *ph;
} lowering;

static void lowering_free(lowering *l)
{
    sig_set_free(l->set);
    sig_mapping_free(l->map);
    sig_placeholders_free(l->ph);
}

/* Parses the shared options and loads the rules; returns 0 or an exit status. */
static int lowering_open(int argc, char **argv, const char *what, lowering *l)
{
    memset(l, 0, sizeof *l);
    const char *maps[16], *ph_path = NULL;
    int nmaps = 0, first = argc;
    bool no_default = false;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (cli_opt_value(argc, argv, &i, "--mapping", &v)) {
            if (nmaps == 16)
                return cli_usage_error("sigma %s: at most 16 --mapping files", what);
            maps[nmaps++] = v;
        } else if (cli_opt_value(argc, argv, &i, "--placeholders", &ph_path)) {
            continue;
        } else if (!strcmp(argv[i], "--no-default-mapping")) {
            no_default = true;
        } else if (!strcmp(argv[i], "--")) {
            first = i + 1;
            break;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_usage_error("sigma %s: unknown option '%s'", what, argv[i]);
            return sigma_usage();
        } else {
            first = i;
            break;
        }
    }
    if (first >= argc)
        return sigma_usage();
    sp_diag d;
    if (!no_default && sig_mapping_load_default(&l->map, &d) != 0) {
        sp_diag_print(stderr, &d);
        return SP_EXIT_USAGE;
    }
    for (int i = 0; i < nmaps; i++) {
        int rc = l->map ? sig_mapping_extend(l->map, maps[i], &d) : sig_mapping_load(maps[i], &l->map, &d);
        if (rc != 0) {
            sp_diag_print(stderr, &d);
            lowering_free(l);
            return SP_EXIT_USAGE;
        }
    }
    if (ph_path && sig_placeholders_load(ph_path, &l->ph, &d) != 0) {
        sp_diag_print(stderr, &d);
        lowering_free(l);
        return SP_EXIT_USAGE;
    }
    sig_options opt = {.placeholders = l->ph};
    l->set = sig_set_new(&opt);
    for (int i = first; i < argc; i++)
        sig_set_load_path(l->set, argv[i]);
    sig_set_resolve(l->set);
    for (size_t i = 0; i < sig_set_ndiags(l->set); i++)
        sp_diag_print(stderr, &sig_set_diag(l->set, i)->d);
    sig_stats st;
    sig_set_stats(l->set, &st);
    if (st.rejected) {
        fprintf(stderr, "socpipe: sigma %s: %zu document%s rejected\n", what, st.rejected, st.rejected == 1 ? "" : "s");
        lowering_free(l);
        return SP_EXIT_USAGE;
    }
    return 0;
}

typedef int (*doc_fn)(const lowering *l, sig_kind kind, uint32_t idx, const sig_meta *meta, kplan *plan, sp_buf *out);

/* Lowers every standalone rule and correlation and hands each plan to fn. */
static int each_document(const lowering *l, doc_fn fn)
{
    sig_lower_opts o = {.mapping = l->map};
    int status = SP_EXIT_OK;
    bool first = true;
    for (int k = 0; k < 2; k++) {
        sig_kind kind = k ? SIG_DOC_CORRELATION : SIG_DOC_RULE;
        for (uint32_t i = 0; i < sig_set_count(l->set, kind); i++) {
            const sig_meta *meta = kind == SIG_DOC_RULE ? &sig_set_rule(l->set, i)->meta : &sig_set_corr(l->set, i)->meta;
            bool standalone = kind == SIG_DOC_RULE ? sig_set_rule(l->set, i)->standalone : sig_set_corr(l->set, i)->standalone;
            if (!standalone)
                continue;
            kplan *plan;
            sig_warnings w = {0};
            sp_diag d;
            int rc = sig_lower(l->set, kind, i, &o, &plan, &w, &d);
            for (size_t j = 0; j < w.n; j++)
                sp_diag_print(stderr, &w.v[j]);
            sig_warnings_free(&w);
            if (rc != 0) {
                sp_diag_print(stderr, &d);
                status = SP_EXIT_USAGE;
                continue;
            }
            sp_buf out = {0};
            if (!first)
                sp_buf_putc(&out, '\n');
            first = false;
            if (fn(l, kind, i, meta, plan, &out) != 0)
                status = SP_EXIT_FAIL;
            fwrite(out.data ? out.data : "", 1, out.len, stdout);
            sp_buf_free(&out);
            kplan_free(plan);
        }
    }
    return status;
}

static void doc_header(const sig_meta *meta, sig_kind kind, sp_buf *out)
{
    sp_buf_printf(out, "// %s: %s (%s:%d)\n", sig_kind_name(kind), meta->title ? meta->title : "?", meta->pos.file,
                  meta->pos.line);
}

static int print_kql(const lowering *l, sig_kind kind, uint32_t idx, const sig_meta *meta, kplan *plan, sp_buf *out)
{
    (void)l;
    (void)idx;
    doc_header(meta, kind, out);
    sp_diag d;
    if (sig_plan_to_kql(plan, out, &d) != 0) {
        sp_diag_print(stderr, &d);
        return -1;
    }
    return 0;
}

static int print_explain(const lowering *l, sig_kind kind, uint32_t idx, const sig_meta *meta, kplan *plan, sp_buf *out)
{
    (void)l;
    (void)idx;
    sp_buf_printf(out, "%s: %s (%s:%d)\nplan:\n", sig_kind_name(kind), meta->title ? meta->title : "?", meta->pos.file,
                  meta->pos.line);
    kplan_explain(plan, out);
    sp_diag d;
    if (kexec_explain_programs(plan, out, &d) != 0) {
        sp_diag_print(stderr, &d);
        return -1;
    }
    return 0;
}

static int sigma_to_kql(int argc, char **argv)
{
    lowering l;
    int rc = lowering_open(argc, argv, "to-kql", &l);
    if (rc)
        return rc;
    rc = each_document(&l, print_kql);
    lowering_free(&l);
    return rc;
}

int cmd_sigma_explain(int argc, char **argv)
{
    lowering l;
    int rc = lowering_open(argc, argv, "explain", &l);
    if (rc)
        return rc;
    rc = each_document(&l, print_explain);
    lowering_free(&l);
    return rc;
}

static const sp_command sigma_commands[] = {
    {"check", sigma_check, "validate Sigma rules, correlations and filters"},
    {"to-kql", sigma_to_kql, "print the KQL query of each rule and correlation"},
    {"explain", cmd_sigma_explain, "print the plan and compiled programs of each rule and correlation"},
};

int cmd_sigma(int argc, char **argv)
{
    if (argc < 2)
        return sigma_usage();
    for (size_t i = 0; i < SP_ARRAY_LEN(sigma_commands); i++)
        if (!strcmp(argv[1], sigma_commands[i].name))
            return sigma_commands[i].run(argc - 1, argv + 1);
    cli_usage_error("sigma: unknown subcommand '%s'", argv[1]);
    return sigma_usage();
}
