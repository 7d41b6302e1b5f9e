/* test_ingest_source.c — input sources: zstd (by magic, multi-frame, truncated), stdin,
 * buffer boundaries, pretty-printed documents, I/O errors, and several workers on one
 * store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "tests/unit/support/ingest_helpers.h"
#include "tests/unit/support/store_cells.h"

static int teardown(void **st)
{
    (void)st;
    tmp_cleanup();
    return 0;
}

/* n NDJSON lines {"Type":"App_CL","i":k,"pad":"..."} */
static void lines(sp_buf *b, int from, int n, int pad)
{
    for (int k = from; k < from + n; k++) {
        sp_buf_printf(b, "{\"Type\":\"App_CL\",\"i\":%d,\"pad\":\"", k);
        for (int j = 0; j < pad; j++)
            sp_buf_putc(b, (char)('a' + (k + j) % 26));
        sp_buf_puts(b, "\"}\n");
    }
}

static char *zstd_file(const char *text, size_t n, int frames, bool truncate)
{
    sp_buf out = {0};
    size_t per = (n + (size_t)frames - 1) / (size_t)frames;
    for (int f = 0; f < frames; f++) {
        size_t off = (size_t)f * per, len = SP_MIN(per, n - off);
        size_t bound = ZSTD_compressBound(len);
        sp_buf_reserve(&out, bound);
        size_t z = ZSTD_compress(out.data + out.len, bound, text + off, len, 3);
        assert_false(ZSTD_isError(z));
        out.len += z;
    }
    if (truncate)
        out.len -= 10;
    char *p = tmp_write(out.data, out.len); /* named .ndjson: detected by magic, not name */
    sp_buf_free(&out);
    return p;
}

static void test_zstd_input_is_recognised_by_magic_bytes(void **st)
{
    (void)st;
    sp_buf text = {0};
    lines(&text, 0, 20000, 100); /* ~2.5 MB: several decompression buffers */
    char *one = zstd_file(text.data, text.len, 1, false);
    char *three = zstd_file(text.data, text.len, 3, false);
    ingest_run r;
    run_start(&r, NULL, false);
    sp_diag d = {0};
    assert_int_equal(ing_ingest_file(r.g, one, &d), 0);
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.rows, 20000);
    assert_int_equal(s.bytes, text.len);
    run_end(&r);
    run_start(&r, NULL, false);
    assert_int_equal(ing_ingest_file(r.g, three, &d), 0);
    run_stats(&r, &s);
    assert_int_equal(s.rows, 20000);
    char *v = cell_text(r.store, "App_CL", 19999, "i");
    assert_string_equal(v, "19999");
    free(v);
    run_end(&r);
    free(one);
    free(three);
    sp_buf_free(&text);
}

static void test_truncated_zstd_is_an_error_after_what_was_read(void **st)
{
    (void)st;
    sp_buf text = {0};
    lines(&text, 0, 5000, 200);
    char *p = zstd_file(text.data, text.len, 1, true);
    ingest_run r;
    run_start(&r, NULL, false);
    sp_diag d = {0};
    assert_int_equal(ing_ingest_file(r.g, p, &d), -1);
    assert_string_equal(d.msg, "truncated zstd stream");
    assert_string_equal(d.file, p);
    ing_stats s;
    run_stats(&r, &s);
    assert_true(s.rows > 4000 && s.rows < 5000); /* everything before the cut is kept */
    run_end(&r);
    free(p);
    sp_buf_free(&text);
}

static void test_missing_file_is_an_io_error(void **st)
{
    (void)st;
    ingest_run r;
    run_start(&r, NULL, false);
    sp_diag d = {0};
    assert_int_equal(ing_ingest_file(r.g, "/nonexistent/x.ndjson", &d), -1);
    assert_string_equal(d.msg, "cannot open: No such file or directory");
    run_end(&r);
}

static void test_stdin_is_read_with_its_own_origin(void **st)
{
    (void)st;
    const char *text = "{\"Type\":\"App_CL\",\"k\":1}\n{\"Type\":\"App_CL\",\"k\":\n";
    char *p = tmp_write(text, strlen(text));
    int saved = dup(0);
    int fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    dup2(fd, 0);
    close(fd);
    ingest_run r;
    run_start(&r, NULL, false);
    sp_diag d = {0};
    int rc = ing_ingest_file(r.g, "-", &d);
    dup2(saved, 0);
    close(saved);
    assert_int_equal(rc, 0);
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.rows, 1);
    char *rep = run_finish(&r);
    assert_string_equal(rep, "socpipe: rejected <stdin>:2: invalid_json: unexpected end of input at byte 21\n");
    free(rep);
    run_end(&r);
    free(p);
}

static void test_lines_across_buffer_refills(void **st)
{
    (void)st;
    sp_buf text = {0};
    lines(&text, 0, 3000, 2000); /* ~6 MB, lines straddle every 1 MiB read */
    ingest_run r;
    run_start(&r, NULL, false);
    run_text(&r, text.data);
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.rows, 3000);
    assert_int_equal(s.rejected, 0);
    for (int k = 0; k < 3000; k += 997) {
        char want[16];
        snprintf(want, sizeof want, "%d", k);
        char *v = cell_text(r.store, "App_CL", (uint64_t)k, "i");
        assert_string_equal(v, want);
        free(v);
    }
    run_end(&r);
    sp_buf_free(&text);
}

static void test_pretty_printed_array_is_read_element_by_element(void **st)
{
    (void)st;
    const char *text = "[\n"
                       "  {\n"
                       "    \"Type\": \"App_CL\",\n"
                       "    \"k\": 1,\n"
                       "    \"s\": \"a ] } , \\\" [\"\n"
                       "  },\n"
                       "  {\n"
                       "    \"Type\": \"App_CL\",\n"
                       "    \"k\": [1,,2]\n"
                       "  },\n"
                       "  7,\n"
                       "  {\"Type\": \"App_CL\", \"k\": 3}\n"
                       "]\n";
    ingest_run r;
    run_start(&r, NULL, false);
    char *p = tmp_write(text, strlen(text));
    sp_diag d = {0};
    assert_int_equal(ing_ingest_file(r.g, p, &d), 0);
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.documents, 4);
    assert_int_equal(s.rows, 2);
    assert_int_equal(s.by_reason[ING_REJ_INVALID_JSON], 1);
    assert_int_equal(s.by_reason[ING_REJ_NOT_AN_OBJECT], 1);
    char *v = cell_text(r.store, "App_CL", 0, "s");
    assert_string_equal(v, "a ] } , \" [");
    free(v);
    v = cell_text(r.store, "App_CL", 1, "k");
    assert_string_equal(v, "3");
    free(v);
    char *rep = run_finish(&r);
    sp_buf want = {0};
    sp_buf_printf(&want,
                  "socpipe: rejected %s:7: invalid_json: field 'k': unexpected character at byte 3 of its value\n"
                  "socpipe: rejected %s:11: not_an_object: the document is not a JSON object\n",
                  p, p);
    assert_string_equal(rep, sp_buf_cstr(&want));
    sp_buf_free(&want);
    free(rep);
    free(p);
    run_end(&r);
}

static void test_pretty_printed_objects_and_envelopes(void **st)
{
    (void)st;
    /* jq-style concatenated objects, then an envelope written across lines */
    const char *text = "{\n  \"Type\": \"App_CL\",\n  \"k\": 1\n}\n{\n  \"Type\": \"App_CL\",\n  \"k\": 2\n}\n"
                       "{\"records\": [\n"
                       "{\"time\": \"2024-01-31T10:00:00Z\", \"category\": \"SignInLogs\", \"properties\": {\"id\": \"e1\"}},\n"
                       "{\"time\": \"2024-01-31T10:00:01Z\", \"category\": \"SignInLogs\", \"properties\": {\"id\": \"e2\"}}\n"
                       "]}\n";
    ingest_run r;
    run_start(&r, NULL, false);
    run_text(&r, text);
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.documents, 3);
    assert_int_equal(s.rows, 4);
    assert_int_equal(table_rows(r.store, "App_CL"), 2);
    assert_int_equal(table_rows(r.store, "SigninLogs"), 2);
    char *v = cell_text(r.store, "SigninLogs", 1, "Id");
    assert_string_equal(v, "e2");
    free(v);
    run_end(&r);
    /* a complete object on the first line means NDJSON, even when later lines are odd */
    run_start(&r, NULL, false);
    run_text(&r, "{\"Type\":\"App_CL\",\"k\":1}\n{\n\"k\":2}\n");
    run_stats(&r, &s);
    assert_int_equal(s.documents, 3);
    assert_int_equal(s.rows, 1);
    assert_int_equal(s.rejected, 2);
    run_end(&r);
}

static void test_truncated_pretty_document_rejects_the_open_value(void **st)
{
    (void)st;
    ingest_run r;
    run_start(&r, NULL, false);
    run_text(&r, "[\n  {\"Type\": \"App_CL\", \"k\": 1},\n  {\"Type\": \"App_CL\",\n");
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.rows, 1);
    assert_int_equal(s.by_reason[ING_REJ_INVALID_JSON], 1);
    run_end(&r);
}

typedef struct worker_job {
    ing *g;
    const char *path;
    int rc;
} worker_job;

static void *worker_main(void *arg)
{
    worker_job *j = arg;
    ing_worker *w = ing_worker_new(j->g);
    sp_diag d = {0};
    j->rc = ing_worker_file(w, j->path, &d);
    ing_worker_free(w);
    return NULL;
}

static void test_workers_in_threads_share_one_store(void **st)
{
    (void)st;
    sp_buf a = {0}, b = {0};
    lines(&a, 0, 30000, 50);
    lines(&b, 30000, 30000, 50);
    sp_buf_puts(&b, "{\"Type\":\"App_CL\",\"i\":5,\"pad\":\"x\",\"new\":true}\n");
    char *pa = tmp_write(a.data, a.len), *pb = tmp_write(b.data, b.len);
    ingest_run r;
    run_start(&r, NULL, false);
    worker_job ja = {r.g, pa, -1}, jb = {r.g, pb, -1};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, worker_main, &ja);
    pthread_create(&tb, NULL, worker_main, &jb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(ja.rc, 0);
    assert_int_equal(jb.rc, 0);
    ing_stats s;
    run_stats(&r, &s);
    assert_int_equal(s.records, 60001);
    assert_int_equal(s.rows, 60001);
    assert_int_equal(table_rows(r.store, "App_CL"), 60001);
    assert_int_equal(run_table(&r, "App_CL").rows, 60001);
    assert_string_equal(column_type(r.store, "App_CL", "new"), "bool");
    run_end(&r);
    free(pa);
    free(pb);
    sp_buf_free(&a);
    sp_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zstd_input_is_recognised_by_magic_bytes),
        cmocka_unit_test(test_truncated_zstd_is_an_error_after_what_was_read),
        cmocka_unit_test(test_missing_file_is_an_io_error),
        cmocka_unit_test(test_stdin_is_read_with_its_own_origin),
        cmocka_unit_test(test_lines_across_buffer_refills),
        cmocka_unit_test(test_pretty_printed_array_is_read_element_by_element),
        cmocka_unit_test(test_pretty_printed_objects_and_envelopes),
        cmocka_unit_test(test_truncated_pretty_document_rejects_the_open_value),
        cmocka_unit_test(test_workers_in_threads_share_one_store),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
