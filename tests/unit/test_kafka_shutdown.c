/* test_kafka_shutdown.c — what librdkafka may still do after socpipe has let go of a client.
 *
 * librdkafka calls the log callback on its own threads (broker, main) whenever it logs,
 * and a consumer that never completed an assignment is parked at shutdown instead of
 * destroyed (librdkafka < 2.3.0 aborts in its destroy, see kafka.c): its threads go on
 * reconnecting, and logging, until the process exits. `socpipe run` against a broker that
 * refuses was exactly that case, and ASan caught a log line read the freed worker
 * (intermittently: only when a line came between the free and the exit). Here the broker
 * refuses every connection, reconnects are fast and the debug log is on while the freed
 * consumers keep trying, so the window is hundreds of log lines wide, not a race; under
 * ASan (make test SANITIZER=address) a callback reaching freed memory fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/support/kafka_support.h"

static void test_consumers_freed_before_any_assignment_never_call_back_into_freed_memory(void **st)
{
    (void)st;
    kt_harness h;
    kt_harness_start(&h, NULL, -1);
    ing_kafka_topic topics[] = {{"signin", NULL}};
    /* A credential too: the parked clients' log lines would be redacted with it. */
    ing_kafka_prop props[] = {
        {"bootstrap.servers", "127.0.0.1:1", false},
        {"reconnect.backoff.ms", "1", false},
        {"reconnect.backoff.max.ms", "5", false},
        {"debug", "broker,protocol", false},
        {"security.protocol", "SASL_PLAINTEXT", false},
        {"sasl.mechanism", "PLAIN", false},
        {"sasl.username", "svc", false},
        {"sasl.password", "S3cret-shutdown", true},
    };
    ing_kafka_config cfg = {
        .group = "g-shutdown",
        .topics = topics,
        .ntopics = 1,
        .props = props,
        .nprops = (int)SP_ARRAY_LEN(props),
        .workers = 2,
        .ctx = &h.probe,
    };
    /* sp_log writes to stderr; the test reads what it wrote (glibc's stderr is a variable).
     * ASan reports go to file descriptor 2 directly, unaffected. */
    FILE *log = tmpfile();
    assert_non_null(log);
    long ran = 0, after_free = 0, window = 0;
    int joined = -1;
    for (int round = 0; round < 3; round++) {
        sp_log_threshold = SP_LOG_ERROR;
        FILE *saved = stderr;
        stderr = log;
        sp_diag d = {0};
        ing_kafka *k = ing_kafka_start(h.g, &cfg, &d);
        if (k) {
            usleep(100000 * (useconds_t)(round + 1)); /* a few reconnects, logged as errors */
            ing_kafka_stop(k);
            joined = ing_kafka_join(k, &d); /* a refusing broker is not a fatal error */
            ing_kafka_free(k);
            fflush(log);
            after_free = ftell(log);
            ran += after_free - window;
            /* The consumers never got an assignment, so on this librdkafka they are parked,
             * their threads connecting and logging as fast as before, now at every level.
             * Nothing of it may reach socpipe memory, nor the log: a parked client is
             * silent. */
            sp_log_threshold = SP_LOG_DEBUG;
            usleep(300000);
            sp_log_threshold = SP_LOG_ERROR;
            fflush(log);
            window = ftell(log);
        }
        stderr = saved;
        if (!k)
            fprintf(stderr, "ing_kafka_start: %s\n", d.msg);
        assert_non_null(k);
        assert_int_equal(joined, 0);
        assert_int_equal(window, after_free);
    }
    assert_true(ran > 0); /* the clients did log while they ran: the silence means something */
    char *text = sp_xmalloc((size_t)window + 1);
    rewind(log);
    size_t n = fread(text, 1, (size_t)window, log);
    text[n] = 0;
    assert_non_null(strstr(text, "kafka consumer 1: "));
    assert_null(strstr(text, "S3cret-shutdown"));
    free(text);
    fclose(log);
    kt_harness_end(&h);
}

int main(void)
{
    sp_log_threshold = SP_LOG_ERROR;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consumers_freed_before_any_assignment_never_call_back_into_freed_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
