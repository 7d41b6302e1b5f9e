/* cli.h — the socpipe command line: one function per command (DESIGN.md §4).
 *
 * Each command lives in its own cli/cmd_<name>.c and returns the process exit status:
 * 0 success, 1 runtime failure, 2 bad usage, bad queries or bad rules.
 */
#ifndef SP_CLI_H
#define SP_CLI_H

#include <stdbool.h>

#define SP_EXIT_OK 0
#define SP_EXIT_FAIL 1
#define SP_EXIT_USAGE 2

typedef struct sp_command {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    const char *summary;
} sp_command;

/* Prints `socpipe: <message>` to stderr and returns SP_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Matches `--name value` or `--name=value` at argv[*i]; advances *i past what it used. */
bool cli_opt_value(int argc, char **argv, int *i, const char *name, const char **value);

int cmd_version(int argc, char **argv);
int cmd_kqlparse(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_sigma(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_replay(int argc, char **argv);
/* `socpipe explain` of Sigma files (argv: [name, options..., RULE...], as for `socpipe sigma
 * explain`): the plan and compiled programs of each standalone rule and correlation. */
int cmd_sigma_explain(int argc, char **argv);

#endif
