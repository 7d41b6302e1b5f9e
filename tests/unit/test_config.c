/* test_config.c — the service configuration (rt_config_load): every key read into its
 * field, secrets taken from the environment or a file (never from the YAML), librdkafka
 * properties validated by librdkafka, and every mistake reported at file:line:col with a
 * source line in which no secret is visible.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/runtime/runtime.h"
#include "support/scratch_dir.h"

static char dir[64];

static const char *write_cfg(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    scratch_dir_write(dir, name, text);
    return path;
}

static int setup(void **st)
{
    (void)st;
    scratch_dir_make(dir, sizeof dir, "socpipe-cfg");
    char p[128];
    snprintf(p, sizeof p, "%s/rules", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/watchlists", dir);
    mkdir(p, 0700);
    write_cfg("rules/r.yml", "title: x\n");
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    return scratch_dir_remove(dir);
}

static const char *prop(const rt_kafka_prop *p, int n, const char *key, bool *secret)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(p[i].key, key)) {
            if (secret)
                *secret = p[i].secret;
            return p[i].value;
        }
    return NULL;
}

#define EVENT_HUBS                                                                                 \
    "kafka:\n"                                                                                     \
    "  brokers: contoso-ns.servicebus.windows.net:9093\n"                                         \
    "  group: socpipe\n"                                                                           \
    "  topics:\n"                                                                                  \
    "    - name: insights-logs-signinlogs\n"                                                       \
    "      table: auto\n"                                                                          \
    "    - name: copilot-audit\n"                                                                  \
    "      table: CopilotActivity\n"                                                               \
    "    - raw-events\n"                                                                           \
    "  security:\n"                                                                                \
    "    protocol: SASL_SSL\n"                                                                     \
    "    mechanism: PLAIN\n"                                                                       \
    "    username: $ConnectionString\n"                                                            \
    "    password_env: SP_CFG_TEST_SECRET\n"                                                       \
    "  librdkafka:\n"                                                                              \
    "    fetch.max.bytes: 52428800\n"                                                              \
    "    socket.keepalive.enable: true\n"                                                          \
    "    session.timeout.ms: 30000\n"                                                             \
    "  flush: {messages: 1000, interval: 250ms}\n"                                                 \
    "  idle_timeout: 2m\n"                                                                         \
    "workers: 3\n"                                                                                 \
    "rules: [rules/]\n"                                                                            \
    "watchlists: watchlists\n"                                                                     \
    "sigma:\n"                                                                                     \
    "  placeholders: ph.yml\n"                                                                     \
    "sinks:\n"                                                                                     \
    "  - type: stdout\n"                                                                           \
    "  - type: file\n"                                                                             \
    "    path: /var/tmp/alerts.ndjson\n"                                                           \
    "  - type: kafka\n"                                                                            \
    "    topic: socpipe-alerts\n"                                                                  \
    "retention: 7d\n"                                                                              \
    "memory_budget: 4GB\n"                                                                         \
    "dead_letter: dead.ndjson\n"                                                                   \
    "lateness: 5m\n"                                                                               \
    "health: false\n"                                                                              \
    "log: info\n"

static void test_event_hubs_config_loads_every_key(void **st)
{
    (void)st;
    setenv("SP_CFG_TEST_SECRET", "Endpoint=sb://contoso-ns/;SharedAccessKey=abc123", 1);
    rt_service_config c;
    sp_diag d;
    int rc = rt_config_load(write_cfg("eh.yaml", EVENT_HUBS), &c, &d);
    if (rc)
        sp_diag_print(stderr, &d);
    assert_int_equal(rc, 0);
    assert_string_equal(c.brokers, "contoso-ns.servicebus.windows.net:9093");
    assert_string_equal(c.group, "socpipe");
    assert_int_equal(c.ntopics, 3);
    assert_string_equal(c.topics[0].name, "insights-logs-signinlogs");
    assert_null(c.topics[0].table); /* auto */
    assert_string_equal(c.topics[1].table, "CopilotActivity");
    assert_string_equal(c.topics[2].name, "raw-events");
    assert_null(c.topics[2].table);
    bool secret = false;
    assert_string_equal(prop(c.props, c.nprops, "bootstrap.servers", NULL), c.brokers);
    assert_string_equal(prop(c.props, c.nprops, "security.protocol", NULL), "SASL_SSL");
    assert_string_equal(prop(c.props, c.nprops, "sasl.mechanisms", NULL), "PLAIN");
    assert_string_equal(prop(c.props, c.nprops, "sasl.username", &secret), "$ConnectionString");
    assert_false(secret);
    assert_string_equal(prop(c.props, c.nprops, "sasl.password", &secret),
                        "Endpoint=sb://contoso-ns/;SharedAccessKey=abc123");
    assert_true(secret);
    assert_string_equal(prop(c.props, c.nprops, "fetch.max.bytes", NULL), "52428800");
    assert_string_equal(prop(c.props, c.nprops, "socket.keepalive.enable", NULL), "true");
    assert_int_equal(c.flush_messages, 1000);
    assert_int_equal(c.flush_interval, 250 * SP_TICKS_PER_MS);
    assert_int_equal(c.idle_timeout, 2 * SP_TICKS_PER_MIN);
    assert_int_equal(c.workers, 3);
    assert_int_equal(c.nrules, 1);
    char want[160];
    snprintf(want, sizeof want, "%s/rules/", dir); /* relative to the file */
    assert_string_equal(c.rules[0], want);
    snprintf(want, sizeof want, "%s/ph.yml", dir);
    assert_string_equal(c.sigma_placeholders, want);
    assert_int_equal(c.nsinks, 3);
    assert_int_equal(c.sinks[0].type, RT_SINK_STDOUT);
    assert_int_equal(c.sinks[1].type, RT_SINK_FILE);
    assert_string_equal(c.sinks[1].path, "/var/tmp/alerts.ndjson");
    assert_int_equal(c.sinks[2].type, RT_SINK_KAFKA);
    assert_string_equal(c.sinks[2].topic, "socpipe-alerts");
    /* without brokers of its own the alert producer uses the consumers' cluster and login */
    assert_string_equal(prop(c.sinks[2].props, c.sinks[2].nprops, "bootstrap.servers", NULL), c.brokers);
    assert_non_null(prop(c.sinks[2].props, c.sinks[2].nprops, "sasl.password", &secret));
    assert_true(secret);
    assert_string_equal(prop(c.sinks[2].props, c.sinks[2].nprops, "socket.keepalive.enable", NULL), "true");
    /* ... but not the consumer-only properties, which a producer would only warn about */
    assert_string_equal(prop(c.props, c.nprops, "session.timeout.ms", NULL), "30000");
    assert_null(prop(c.sinks[2].props, c.sinks[2].nprops, "session.timeout.ms", NULL));
    assert_int_equal(c.retention, 7 * SP_TICKS_PER_DAY);
    assert_int_equal(c.memory_budget, 4000000000ULL);
    assert_int_equal(c.lateness, 5 * SP_TICKS_PER_MIN);
    assert_false(c.health);
    assert_int_equal(c.log_level, SP_LOG_INFO);
    rt_config_free(&c);
    unsetenv("SP_CFG_TEST_SECRET");
}

static void test_defaults_fill_what_the_file_leaves_out(void **st)
{
    (void)st;
    rt_service_config c;
    sp_diag d;
    assert_int_equal(rt_config_load(write_cfg("min.yaml", "kafka:\n"
                                                          "  brokers: localhost:9092\n"
                                                          "  group: g\n"
                                                          "  topics: [t]\n"
                                                          "rules: rules\n"),
                                    &c, &d),
                     0);
    assert_string_equal(prop(c.props, c.nprops, "security.protocol", NULL) ? "set" : "unset", "unset");
    assert_true(c.workers >= 1);
    assert_int_equal(c.nsinks, 1);
    assert_int_equal(c.sinks[0].type, RT_SINK_STDOUT);
    assert_int_equal(c.retention, SP_TICKS_PER_DAY);
    assert_true(c.memory_budget > 0);
    assert_true(c.health);
    assert_int_equal(c.flush_messages, 20000);
    rt_config_free(&c);
}

static void test_password_file_is_read_without_its_newline(void **st)
{
    (void)st;
    const char *pw = write_cfg("pw.txt", "s3cr3t-from-file\n");
    chmod(pw, 0600);
    rt_service_config c;
    sp_diag d;
    int rc = rt_config_load(write_cfg("pwf.yaml", "kafka:\n"
                                                  "  brokers: b:9093\n"
                                                  "  group: g\n"
                                                  "  topics: [t]\n"
                                                  "  security:\n"
                                                  "    protocol: SASL_SSL\n"
                                                  "    mechanism: SCRAM-SHA-512\n"
                                                  "    username: svc-socpipe\n"
                                                  "    password_file: pw.txt\n"
                                                  "rules: rules\n"),
                            &c, &d);
    if (rc)
        sp_diag_print(stderr, &d);
    assert_int_equal(rc, 0);
    bool secret;
    assert_string_equal(prop(c.props, c.nprops, "sasl.password", &secret), "s3cr3t-from-file");
    assert_true(secret);
    assert_string_equal(prop(c.props, c.nprops, "sasl.mechanisms", NULL), "SCRAM-SHA-512");
    rt_config_free(&c);
}

/* ---- errors: position, message, and no secret in what is printed --------------------------- */

typedef struct bad_case {
    const char *yaml;
    int line, col;
    const char *msg; /* a substring of the message */
} bad_case;

#define HEAD "kafka:\n  brokers: b:9092\n  group: g\n  topics: [t]\n"

static const bad_case bad[] = {
    {HEAD "rules: rules\nworkerz: 2\n", 6, 1, "unknown key 'workerz' (did you mean 'workers'?)"},
    {HEAD "rules: rules\nfrobnicate: 1\n", 6, 1, "unknown key 'frobnicate' (expected one of: kafka,"},
    {HEAD "rules: rules\nworkers: 2\nworkers: 3\n", 7, 1, "duplicate key 'workers'"},
    {HEAD "rules: rules\nworkers: 0\n", 6, 10, "workers: 0 is out of range"},
    {HEAD "rules: rules\nworkers: two\n", 6, 10, "workers: expected an integer"},
    {HEAD "rules: rules\nretention: 7 days\n", 6, 12, "retention: expected a timespan"},
    {HEAD "rules: rules\nmemory_budget: lots\n", 6, 16, "memory_budget: expected a size"},
    {HEAD "rules: rules\nhealth: yes please\n", 6, 9, "health: expected true or false"},
    {HEAD "rules: rules\nlog: verbose\n", 6, 6, "log: expected error, warning, info or debug"},
    {HEAD "rules: missing-dir\n", 5, 8, "rules: cannot read"},
    {HEAD "rules: rules\nwatchlists: nope\n", 6, 13, "is not a directory"},
    {"kafka:\n  group: g\n  topics: [t]\nrules: rules\n", 2, 3, "kafka: missing required key 'brokers'"},
    {HEAD, 1, 1, "missing required key 'rules'"},
    {"kafka:\n  brokers: b\n  group: g\n  topics: []\nrules: rules\n", 4, 11, "kafka.topics: expected a list"},
    {"kafka:\n  brokers: b\n  group: g\n  topics:\n    - {name: t, table: 'no spaces'}\nrules: rules\n", 5, 24,
     "kafka.topics.table: expected auto or a table name"},
    {"kafka:\n  brokers: b\n  group: g\n  topics: [t, t]\nrules: rules\n", 4, 15, "listed twice"},
    {HEAD "  librdkafka:\n    fetch.max.bytes: lots\nrules: rules\n", 6, 22,
     "Invalid value for configuration property \"fetch.max.bytes\""},
    {HEAD "  librdkafka:\n    no.such.property: 1\nrules: rules\n", 6, 23, "No such configuration property"},
    {HEAD "  librdkafka:\n    enable.auto.offset.store: true\nrules: rules\n", 6, 5,
     "set by socpipe (socpipe stores each offset itself"},
    {HEAD "  librdkafka:\n    group.id: other\nrules: rules\n", 6, 5, "use kafka.group"},
    {HEAD "  librdkafka:\n    group.instance.id: socpipe-a\nrules: rules\nworkers: 2\n", 6, 5,
     "members sharing one static id fence each other; static membership needs workers: 1"},
    {HEAD "  security:\n    protocol: SASL_SSL\nrules: rules\n", 6, 15, "needs a mechanism"},
    {HEAD "  security:\n    protocol: TLS\nrules: rules\n", 6, 15, "expected PLAINTEXT, SSL"},
    {HEAD "  security:\n    mechanism: PLAIN\nrules: rules\n", 6, 16, "needs protocol SASL_SSL or SASL_PLAINTEXT"},
    {HEAD "  security:\n    protocol: SASL_SSL\n    mechanism: PLAIN\n    password_env: SP_CFG_TEST_SET\nrules: rules\n", 7,
     16, "needs a username"},
    {HEAD "  security:\n    protocol: SASL_SSL\n    mechanism: PLAIN\n    username: u\n"
          "    password_env: SP_CFG_TEST_UNSET_VAR\nrules: rules\n",
     9, 19, "environment variable 'SP_CFG_TEST_UNSET_VAR' is not set"},
    {HEAD "  security:\n    protocol: SASL_SSL\n    mechanism: PLAIN\n    username: u\n"
          "    password_file: no-such-file\nrules: rules\n",
     9, 20, "cannot read"},
    {HEAD "rules: rules\nsinks:\n  - {type: kafka}\n", 7, 5, "a kafka sink needs a topic"},
    {HEAD "rules: rules\nsinks:\n  - {type: file}\n", 7, 5, "a file sink needs a path"},
    {HEAD "rules: rules\nsinks:\n  - {type: syslog}\n", 7, 12, "sinks.type: expected stdout, file or kafka"},
    {HEAD "rules: rules\nsinks:\n  - {type: stdout, topic: x}\n", 7, 5, "only for type kafka"},
    {HEAD "rules: [rules\n", 6, 1, "YAML syntax"},
    {HEAD "rules: rules\n---\nworkers: 1\n", 7, 1, "one YAML document"},
    {HEAD "rules: rules\n---\n[workers\n", 8, 1, "YAML syntax"},
    {"", 1, 1, "the configuration is empty"},
};

/* Credentials written into the file itself: refused, and masked wherever they are shown. */
static const bad_case inline_secrets[] = {
    {HEAD "  security:\n    protocol: SASL_SSL\n    mechanism: PLAIN\n    username: $ConnectionString\n"
          "    password: Endpoint=sb://x/;SharedAccessKey=INLINE-SECRET-1\nrules: rules\n",
     9, 5, "inline credentials are not accepted"},
    {HEAD "  security: {protocol: SASL_SSL, mechanism: PLAIN, username: u, password: 'INLINE-SECRET-2'}\n"
          "rules: rules\n",
     5, 65, "inline credentials are not accepted"},
    {HEAD "  librdkafka:\n    sasl.password: INLINE-SECRET-3\nrules: rules\n", 6, 5,
     "kafka.librdkafka.sasl.password: inline credentials are not accepted"},
    {HEAD "  librdkafka:\n    ssl.key.password: \"INLINE-SECRET-4\"\nrules: rules\n", 6, 5, "inline credentials"},
    {HEAD "  security:\n    protocol: SASL_SSL\n    mechanism: OAUTHBEARER\n    oidc:\n"
          "      token_endpoint: https://login.microsoftonline.com/t/oauth2/v2.0/token\n"
          "      client_id: c\n      client_secret: INLINE-SECRET-5\nrules: rules\n",
     11, 7, "security.oidc.client_secret: inline credentials"},
    /* a syntax error on a line that holds a secret: no node tree, the text is masked */
    {HEAD "  security:\n    password: INLINE-SECRET-6: x\nrules: rules\n", 6, 30, "YAML syntax"},
};

static void expect_error(const bad_case *b, int i)
{
    char name[32];
    snprintf(name, sizeof name, "bad%d.yaml", i);
    rt_service_config c;
    sp_diag d;
    int rc = rt_config_load(write_cfg(name, b->yaml), &c, &d);
    if (rc == 0 || d.line != b->line || d.col != b->col || !strstr(d.msg, b->msg)) {
        fprintf(stderr, "case %d: expected %d:%d '%s', got rc %d:\n", i, b->line, b->col, b->msg, rc);
        if (rc)
            sp_diag_print(stderr, &d);
    }
    assert_int_equal(rc, -1);
    assert_non_null(strstr(d.file, name));
    assert_int_equal(d.line, b->line);
    assert_int_equal(d.col, b->col);
    assert_non_null(strstr(d.msg, b->msg));
    assert_null(c.path); /* nothing half-loaded is left */
    /* what a user sees: the printed diagnostic */
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    sp_diag_print(f, &d);
    fclose(f);
    assert_null(strstr(out, "INLINE-SECRET"));
    assert_null(strstr(out, "SharedAccessKey"));
    if (b->line > 0 && strstr(b->yaml, "INLINE-SECRET"))
        assert_non_null(strstr(out, "****")); /* the line is shown, its secret masked */
    free(out);
}

static void test_mistakes_are_reported_at_their_line_and_column(void **st)
{
    (void)st;
    unsetenv("SP_CFG_TEST_UNSET_VAR");
    setenv("SP_CFG_TEST_SET", "a-password", 1);
    for (size_t i = 0; i < SP_ARRAY_LEN(bad); i++)
        expect_error(&bad[i], (int)i);
}

static void test_inline_secrets_are_refused_and_never_shown(void **st)
{
    (void)st;
    for (size_t i = 0; i < SP_ARRAY_LEN(inline_secrets); i++)
        expect_error(&inline_secrets[i], 100 + (int)i);
}

/* Static membership (group.instance.id) is one member's identity: with one worker it passes
 * through to librdkafka; with several (above, the error cases) it is refused. */
static void test_static_group_membership_needs_a_single_worker(void **st)
{
    (void)st;
    rt_service_config c;
    sp_diag d;
    int rc = rt_config_load(write_cfg("static.yaml", HEAD "  librdkafka:\n    group.instance.id: socpipe-a\n"
                                                           "workers: 1\nrules: rules\n"),
                            &c, &d);
    if (rc)
        sp_diag_print(stderr, &d);
    assert_int_equal(rc, 0);
    assert_int_equal(c.workers, 1);
    assert_string_equal(prop(c.props, c.nprops, "group.instance.id", NULL), "socpipe-a");
    rt_config_free(&c);
}

static void test_secret_property_names_are_recognised(void **st)
{
    (void)st;
    assert_true(rt_kafka_prop_is_secret("sasl.password"));
    assert_true(rt_kafka_prop_is_secret("sasl.oauthbearer.client.secret"));
    assert_true(rt_kafka_prop_is_secret("ssl.key.password"));
    assert_true(rt_kafka_prop_is_secret("ssl.keystore.password"));
    assert_true(rt_kafka_prop_is_secret("ssl.key.pem"));
    assert_true(rt_kafka_prop_is_secret("sasl.oauthbearer.config"));
    assert_false(rt_kafka_prop_is_secret("sasl.username"));
    assert_false(rt_kafka_prop_is_secret("ssl.ca.location"));
    assert_false(rt_kafka_prop_is_secret("fetch.max.bytes"));
}

int main(void)
{
    sp_log_threshold = SP_LOG_ERROR; /* the SASL_PLAINTEXT and file-mode warnings are expected */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_hubs_config_loads_every_key),
        cmocka_unit_test(test_defaults_fill_what_the_file_leaves_out),
        cmocka_unit_test(test_password_file_is_read_without_its_newline),
        cmocka_unit_test(test_mistakes_are_reported_at_their_line_and_column),
        cmocka_unit_test(test_inline_secrets_are_refused_and_never_shown),
        cmocka_unit_test(test_secret_property_names_are_recognised),
        cmocka_unit_test(test_static_group_membership_needs_a_single_worker),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
