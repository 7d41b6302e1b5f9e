/* ingest_helpers.h — shared scaffolding for the ingest tests: temporary files, one-call
 * ingest of a text into a fresh store, reading files back. Returned strings and paths
 * are malloc'ed; the caller frees them (tmp files are removed by tmp_cleanup). */
#ifndef SP_TEST_INGEST_HELPERS_H
#define SP_TEST_INGEST_HELPERS_H

#include "engine/store/store.h"
#include "ingest/ingest.h"

/* Writes n bytes to a new temporary file; returns its path. */
char *tmp_write(const void *data, size_t n);
/* A fresh temporary path (no file created). */
char *tmp_path(const char *suffix);
/* Removes every file made by tmp_write/tmp_path. */
void tmp_cleanup(void);
/* Whole file as a NUL-terminated string (NULL if it cannot be read); *len if non-NULL. */
char *slurp(const char *path, size_t *len);
/* Path of a shared sample: $SP_SHARED/data/samples/<name> (SP_SHARED defaults to ../shared). */
char *sample_path(const char *name);

/* A store plus an ing over it, with rejections reported into a temporary file. */
typedef struct ingest_run {
    sp_store *store;
    ing *g;
    char *report_path;
    FILE *report;
    char *dead_path; /* set when a dead-letter file was asked for */
} ingest_run;

/* Starts a run; cfg may be NULL; with_dead_letter adds a temporary dead-letter file. */
void run_start(ingest_run *r, const ing_config *cfg, bool with_dead_letter);
/* Ingests text as if it were a file (written to a temp file first). */
void run_text(ingest_run *r, const char *text);
/* Flushes and returns totals. */
void run_stats(ingest_run *r, ing_stats *st);
/* Per-table stats of one table (zeros when absent). */
ing_table_stats run_table(ingest_run *r, const char *table);
/* Frees the ing (printing its summary into the report) and returns the report text;
 * the store stays alive until run_end. */
char *run_finish(ingest_run *r);
void run_end(ingest_run *r);

#endif
