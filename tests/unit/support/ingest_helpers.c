/* ingest_helpers.c — see ingest_helpers.h. */
#include "tests/unit/support/ingest_helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char **tmp_files;
static size_t ntmp, captmp;

char *tmp_path(const char *suffix)
{
    char tmpl[] = "/tmp/socpipe-test-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0)
        abort();
    close(fd);
    unlink(tmpl);
    sp_buf b = {0};
    sp_buf_printf(&b, "%s%s", tmpl, suffix ? suffix : "");
    SP_GROW(tmp_files, captmp, ntmp + 1);
    tmp_files[ntmp++] = sp_xstrdup(sp_buf_cstr(&b));
    return b.data;
}

char *tmp_write(const void *data, size_t n)
{
    char *p = tmp_path(".ndjson");
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(data, 1, n, f) != n)
        abort();
    fclose(f);
    return p;
}

void tmp_cleanup(void)
{
    for (size_t i = 0; i < ntmp; i++) {
        unlink(tmp_files[i]);
        free(tmp_files[i]);
    }
    free(tmp_files);
    tmp_files = NULL;
    ntmp = captmp = 0;
}

char *slurp(const char *path, size_t *len)
{
    sp_buf b = {0};
    if (sp_read_file(path, &b) != 0) {
        sp_buf_free(&b);
        return NULL;
    }
    if (len)
        *len = b.len;
    sp_buf_cstr(&b);
    return b.data;
}

char *sample_path(const char *name)
{
    const char *shared = getenv("SP_SHARED");
    sp_buf b = {0};
    sp_buf_printf(&b, "%s/data/samples/%s", shared && *shared ? shared : "../shared", name);
    return b.data;
}

void run_start(ingest_run *r, const ing_config *cfg, bool with_dead_letter)
{
    memset(r, 0, sizeof *r);
    r->store = sp_store_new(NULL);
    ing_config c = {0};
    if (cfg)
        c = *cfg;
    r->report_path = tmp_path(".report");
    r->report = fopen(r->report_path, "w+");
    c.report = r->report;
    if (with_dead_letter) {
        r->dead_path = tmp_path(".dead");
        c.dead_letter = r->dead_path;
    }
    sp_diag d = {0};
    r->g = ing_new(r->store, &c, &d);
    if (!r->g) {
        sp_diag_print(stderr, &d);
        abort();
    }
}

void run_text(ingest_run *r, const char *text)
{
    char *p = tmp_write(text, strlen(text));
    sp_diag d = {0};
    if (ing_ingest_file(r->g, p, &d) != 0) {
        sp_diag_print(stderr, &d);
        abort();
    }
    free(p);
}

void run_stats(ingest_run *r, ing_stats *st)
{
    ing_flush(r->g);
    ing_stats_get(r->g, st);
}

ing_table_stats run_table(ingest_run *r, const char *table)
{
    ing_flush(r->g);
    ing_table_stats all[64], none;
    memset(&none, 0, sizeof none);
    int n = ing_table_stats_get(r->g, all, 64);
    for (int i = 0; i < n && i < 64; i++)
        if (!strcmp(all[i].table, table))
            return all[i];
    return none;
}

char *run_finish(ingest_run *r)
{
    if (r->g) {
        ing_free(r->g);
        r->g = NULL;
    }
    fflush(r->report);
    return slurp(r->report_path, NULL);
}

void run_end(ingest_run *r)
{
    if (r->g)
        ing_free(r->g);
    if (r->report)
        fclose(r->report);
    sp_store_free(r->store);
    free(r->report_path);
    free(r->dead_path);
    memset(r, 0, sizeof *r);
}
