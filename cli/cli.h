/* cli.h — the socpipe command line: one function per command (DESIGN.md §4).
 *
 * Each command lives in its own cli/cmd_<name>.c and returns the process exit status:
 * 0 success, 1 runtime failure, 2 bad usage, bad queries or bad rules.
 */
#ifndef SP_CLI_H
#define SP_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/runtime/runtime.h"

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
/* The rules engine over store with every path of rules loaded (cli/rules_load.c): rule
 * diagnostics go to stderr, *errors counts rejected rules (and, when non-zero, a line says
 * nothing will run). The caller frees the engine. */
rt_engine *cli_rules_engine(sp_store *store, const rt_config *cfg, const char *const *rules, int nrules, int *errors);
/* `socpipe bench quality` (cli/bench_quality.c): argv[0] is "quality". */
int bench_quality(int argc, char **argv);
/* `socpipe bench rules` and `socpipe bench pack` (cli/bench_rules.c); argv[0] is the
 * benchmark's name. */
int cmd_bench_rules(int argc, char **argv);
int cmd_bench_pack(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_bench_kafka(int argc, char **argv); /* bench_kafka.c, `bench kafka` */

/* ---- the streaming service (service.c), driven by `run` and `bench kafka` ---------------- */

struct rt_service_config;
struct rt_sink;
typedef struct svc svc;

typedef struct svc_counters {
    uint64_t records, rows, duplicates, rejected, messages, bytes, alerts;
    int64_t lag; /* -1 unknown */
    int assigned;
    bool paused;
} svc_counters;

/* Builds store, runtime (rules, sinks from cfg plus extra, each watched), ingest and the
 * Kafka workers, and starts consuming. cfg must outlive the service; the extra sinks belong
 * to the service from this call on, also when it fails. On failure returns NULL with
 * *exit_code set (2: bad rules, 1: anything else) after printing why. */
svc *svc_start(const struct rt_service_config *cfg, struct rt_sink *const *extra, int nextra, int *exit_code);
/* The main thread's scheduler step (call every few tens of ms): scheduled rules and
 * correlations, retention, memory budget. Returns 1 once the workers have stopped on
 * their own (a fatal error), else 0. */
int svc_step(svc *s);
/* A status line (events/s, lag, alerts) every 5 s, or now when force. */
void svc_status(svc *s, FILE *f, bool force);
void svc_stats(svc *s, svc_counters *out);
/* Pauses or resumes consumption (the memory budget does this by itself; a benchmark uses it
 * to keep producing and consuming apart). */
void svc_pause(svc *s, bool pause);
/* Drains (flush, commit, leave the group) and settles what the watermark allows. Returns
 * the exit status: 0 clean, 1 after a fatal Kafka error or an unacknowledged alert. */
int svc_stop(svc *s);
void svc_free(svc *s);
int64_t svc_now_ms(void); /* monotonic */
int cmd_replay(int argc, char **argv);
/* `socpipe explain` of Sigma files (argv: [name, options..., RULE...], as for `socpipe sigma
 * explain`): the plan and compiled programs of each standalone rule and correlation. */
int cmd_sigma_explain(int argc, char **argv);

#endif
