/* test_kafka_run.c — `socpipe run --config FILE` as a process against librdkafka's mock
 * cluster (which listens on loopback, so another process can use it): alerts for every
 * matching record exactly once in the file sink, a bad record in the dead-letter file with
 * its topic/partition:offset, offsets committed, exit 0 on SIGTERM; exit 1 when the alert
 * sink fails, with the records behind the lost alerts left uncommitted; the SASL password never in stdout or stderr, even with debug logging on everywhere; and
 * consumption paused (not memory grown) above the memory budget.
 * The binary is $SOCPIPE (tests/run.sh sets it), else ./socpipe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/support/ingest_helpers.h"
#include "tests/unit/support/kafka_support.h"
#include "tests/unit/support/scratch_dir.h"

#define SECRET "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=kT9-VERY-SECRET-42="

static char dir[64];

static void path_in(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

static int setup(void **st)
{
    (void)st;
    scratch_dir_make(dir, sizeof dir, "socpipe-run");
    scratch_dir_write(dir, "rule.yml", KT_RULE);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    return scratch_dir_remove(dir);
}

/* Starts `socpipe run --config <dir>/<cfg>` with stdout and stderr to files; env_secret, when
 * given, is exported as SP_TEST_PASSWORD. */
static pid_t start_run(const char *cfg, const char *env_secret, const char *extra_arg)
{
    char cfgp[128], outp[128], errp[128];
    path_in(cfgp, sizeof cfgp, cfg);
    path_in(outp, sizeof outp, "stdout.txt");
    path_in(errp, sizeof errp, "stderr.txt");
    const char *bin = getenv("SOCPIPE") && *getenv("SOCPIPE") ? getenv("SOCPIPE") : "./socpipe";
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(outp, "w", stdout) || !freopen(errp, "w", stderr))
            _exit(127);
        if (env_secret)
            setenv("SP_TEST_PASSWORD", env_secret, 1);
        execl(bin, bin, "run", "--config", cfgp, extra_arg, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int wait_exit(pid_t pid, int timeout_ms)
{
    int status = 0;
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

static size_t count_lines(const char *name)
{
    char p[128];
    path_in(p, sizeof p, name);
    char *t = slurp(p, NULL);
    size_t n = 0;
    for (char *c = t; c && *c; c++)
        n += *c == '\n';
    free(t);
    return n;
}

/* The Id of each alert's first event, sorted. */
static char **alert_event_ids(const char *name, size_t *n)
{
    char p[128];
    path_in(p, sizeof p, name);
    char *t = slurp(p, NULL);
    assert_non_null(t);
    size_t cap = 64;
    char **v = calloc(cap, sizeof *v);
    *n = 0;
    for (char *line = t; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        char *ev = strstr(line, "\"Events\":[");
        char *id = ev ? strstr(ev, "\"Id\":\"") : NULL;
        if (id) {
            id += 6;
            if (*n == cap)
                v = realloc(v, (cap *= 2) * sizeof *v);
            v[(*n)++] = strndup(id, (size_t)(strchr(id, '"') - id));
        }
        if (!nl)
            break;
        line = nl + 1;
    }
    free(t);
    for (size_t i = 1; i < *n; i++) /* insertion sort: small */
        for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
            char *x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    return v;
}

static bool file_contains(const char *name, const char *needle)
{
    char p[128];
    path_in(p, sizeof p, name);
    char *t = slurp(p, NULL);
    bool hit = t && strstr(t, needle);
    free(t);
    return hit;
}

/* A configuration for the mock cluster c: group, `workers` consumer threads, the test's
 * rule, and extra keys after those. */
static void write_config(const char *name, kt_cluster *c, const char *group, int workers, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text,
             "kafka:\n"
             "  brokers: %s\n"
             "  group: %s\n"
             "  topics:\n"
             "    - {name: signin, table: auto}\n"
             "  flush: {messages: 500, interval: 50ms}\n"
             "  librdkafka:\n"
             "    session.timeout.ms: 4000\n"
             "    heartbeat.interval.ms: 300\n"
             "workers: %d\n"
             "rules: [rule.yml]\n"
             "%s",
             c->bootstraps, group, workers, extra);
    scratch_dir_write(dir, name, text);
}

static void test_run_alerts_every_match_once_and_drains_on_sigterm(void **st)
{
    (void)st;
    kt_cluster *c = kt_cluster_new(1);
    kt_topic_create(c, "signin", 4);
    kt_batch b;
    kt_batch_gen(&b, 81, 3000, 1);
    kt_produce(c, "signin", &b, 0, b.n);
    char *bad_msg[] = {"{\"TimeGenerated\": not-json}"}, *bad_key[] = {"k"};
    size_t bad_len[] = {strlen(bad_msg[0])};
    kt_batch bad = {.msgs = bad_msg, .lens = bad_len, .keys = bad_key, .n = 1};
    kt_produce(c, "signin", &bad, 0, 1);
    write_config("run.yaml", c, "g-run", 2,
                 "sinks:\n  - {type: file, path: alerts.ndjson}\n"
                 "dead_letter: dead.ndjson\n");
    pid_t pid = start_run("run.yaml", NULL, "--quiet");
    for (int waited = 0; count_lines("alerts.ndjson") < b.nmatch && waited < 25000; waited += 50)
        usleep(50000);
    assert_int_equal(count_lines("alerts.ndjson"), b.nmatch);
    kill(pid, SIGTERM);
    assert_int_equal(wait_exit(pid, 15000), 0);
    size_t n;
    char **ids = alert_event_ids("alerts.ndjson", &n);
    assert_true(kt_exactly_once(ids, n, b.match_ids, b.nmatch));
    kt_strings_free(ids, n);
    kt_assert_committed_all(c, "g-run", "signin", 4);
    /* the bad record is in the dead-letter file, named by topic/partition:offset */
    assert_int_equal(count_lines("dead.ndjson"), 1);
    assert_true(file_contains("dead.ndjson", "\"origin\":\"signin/"));
    assert_true(file_contains("dead.ndjson", "\"reason\":\"invalid_json\""));
    kt_batch_free(&b);
    kt_cluster_free(c);
}

static void test_run_exits_1_when_the_alert_sink_fails(void **st)
{
    (void)st;
    if (access("/dev/full", W_OK) != 0)
        skip();
    kt_cluster *c = kt_cluster_new(1);
    kt_topic_create(c, "signin", 2);
    kt_batch b;
    kt_batch_gen(&b, 82, 2000, 1);
    kt_produce(c, "signin", &b, 0, b.n);
    /* Writes to /dev/full fail on flush (ENOSPC): no alert can be made durable. */
    write_config("full.yaml", c, "g-full", 2, "sinks:\n  - {type: file, path: /dev/full}\n");
    pid_t pid = start_run("full.yaml", NULL, "--quiet");
    assert_int_equal(wait_exit(pid, 20000), 1);
    assert_true(file_contains("stderr.txt", "acknowledge"));
    int64_t committed, high;
    kt_committed(c, "g-full", "signin", 2, &committed, &high);
    assert_true(committed < high);
    kt_batch_free(&b);
    kt_cluster_free(c);
}

static void test_run_never_prints_the_sasl_password_even_in_debug(void **st)
{
    (void)st;
    kt_cluster *c = kt_cluster_new(1);
    kt_topic_create(c, "signin", 1);
    /* The mock broker has no SASL: the client gets as far as the handshake and keeps
     * retrying, logging every step at debug level, librdkafka's configuration dump included. */
    write_config("sasl.yaml", c, "g-sasl", 2,
                 "log: debug\n"
                 "sinks: [{type: stdout}]\n");
    char cfgp[128];
    path_in(cfgp, sizeof cfgp, "sasl.yaml");
    char *text = slurp(cfgp, NULL);
    sp_buf t = {0};
    /* security and librdkafka debug go under kafka: */
    const char *k = strstr(text, "  librdkafka:\n");
    assert_non_null(k);
    sp_buf_append(&t, text, (size_t)(k - text));
    sp_buf_puts(&t, "  security:\n"
                    "    protocol: SASL_PLAINTEXT\n"
                    "    mechanism: PLAIN\n"
                    "    username: $ConnectionString\n"
                    "    password_env: SP_TEST_PASSWORD\n"
                    "  librdkafka:\n"
                    "    debug: all\n");
    sp_buf_puts(&t, k + strlen("  librdkafka:\n"));
    scratch_dir_write(dir, "sasl.yaml", sp_buf_cstr(&t));
    sp_buf_free(&t);
    free(text);
    pid_t pid = start_run("sasl.yaml", SECRET, NULL);
    usleep(2500000);
    kill(pid, SIGTERM);
    assert_int_equal(wait_exit(pid, 15000), 0);
    assert_true(file_contains("stderr.txt", "sasl.password = [redacted]")); /* debug was on */
    assert_true(file_contains("stderr.txt", "SASL"));
    assert_false(file_contains("stderr.txt", "kT9-VERY-SECRET"));
    assert_false(file_contains("stdout.txt", "kT9-VERY-SECRET"));
    assert_false(file_contains("stderr.txt", "SharedAccessKey="));
    kt_cluster_free(c);
}

static void test_run_pauses_consumption_above_the_memory_budget(void **st)
{
    (void)st;
    kt_cluster *c = kt_cluster_new(1);
    kt_topic_create(c, "signin", 16);
    kt_batch b;
    kt_batch_gen(&b, 83, 60000, 1); /* ~310 MB of JSON: a store of about 60 MB */
    kt_produce(c, "signin", &b, 0, b.n);
    /* one member: what is tested is the pause and the drain, not a rebalance (a group
     * still settling when SIGTERM comes cannot commit, by design) */
    write_config("budget.yaml", c, "g-budget", 1,
                 "sinks: [{type: file, path: budget-alerts.ndjson}]\n"
                 "retention: 30d\n"
                 "memory_budget: 16MB\n"
                 "log: info\n");
    pid_t pid = start_run("budget.yaml", NULL, NULL);
    bool paused = false;
    for (int waited = 0; !paused && waited < 20000; waited += 100) {
        usleep(100000);
        paused = file_contains("stderr.txt", "consumption paused");
    }
    assert_true(paused);
    usleep(1500000); /* held: no more records while above the budget */
    kill(pid, SIGTERM);
    assert_int_equal(wait_exit(pid, 15000), 0); /* a paused service still drains */
    assert_true(file_contains("stderr.txt", "above memory_budget 16 MB after retention"));
    int64_t committed, high;
    kt_committed(c, "g-budget", "signin", 16, &committed, &high);
    assert_true(committed > 0);
    assert_true(committed < high); /* the rest waits in Kafka */
    kt_batch_free(&b);
    kt_cluster_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_alerts_every_match_once_and_drains_on_sigterm),
        cmocka_unit_test(test_run_exits_1_when_the_alert_sink_fails),
        cmocka_unit_test(test_run_never_prints_the_sasl_password_even_in_debug),
        cmocka_unit_test(test_run_pauses_consumption_above_the_memory_budget),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
