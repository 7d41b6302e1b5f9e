/* cmd_sigma.c — `socpipe sigma <subcommand>`: the Sigma front end on the command line.
 *
 *   socpipe sigma check [--strict] [--placeholders FILE] PATH...
 *
 * check loads files and directories (recursively, *.yml and *.yaml), prints every error and
 * warning like a compiler (file:line:col, the source line, a caret) on stderr, then a summary
 * on stdout: files, documents loaded by kind, rejected documents grouped by reason. Exit 0
 * when nothing was rejected, 2 otherwise (DESIGN.md §4: bad rules are exit 2). Subcommands
 * live in one table so new ones (to-kql) are one line.
 */
#include "cli/cli.h"
#include "sigma/sigma.h"

#include <stdio.h>
#include <string.h>

static int sigma_usage(void)
{
    fputs("usage: socpipe sigma check [--strict] [--placeholders FILE] PATH...\n", stderr);
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

static const sp_command sigma_commands[] = {
    {"check", sigma_check, "validate Sigma rules, correlations and filters"},
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
