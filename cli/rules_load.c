/* rules_load.c — the rules engine set up the way every command that runs rules needs it
 * (replay, bench quality): the engine over a store, every rule path loaded, diagnostics
 * printed like a compiler's and rejected rules counted, so the commands agree on what a
 * bad rule does (nothing runs, exit 2). */
#include "cli/cli.h"

#include <stdio.h>

static void print_rule_diag(void *ctx, const sp_diag *d)
{
    int *errors = ctx;
    sp_diag_print(stderr, d);
    if (!d->is_warning)
        (*errors)++;
}

rt_engine *cli_rules_engine(sp_store *store, const rt_config *cfg, const char *const *rules, int nrules, int *errors)
{
    rt_engine *e = rt_engine_new(store, cfg);
    *errors = 0;
    for (int i = 0; i < nrules; i++)
        rt_engine_load_rules(e, rules[i], print_rule_diag, errors);
    if (*errors)
        fprintf(stderr, "socpipe: %d rule error%s: nothing replayed\n", *errors, *errors == 1 ? "" : "s");
    return e;
}
