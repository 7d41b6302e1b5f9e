/* gid_tables.h — the tables the table-dictionary tests (test_exec_gids, test_exec_idonly,
 * test_exec_parallel) run their queries over, in chunks of GT_CHUNK rows, one shape per
 * cmocka fixture:
 *   T: U (string: a few texts equal but for case, or many; some cells empty, absent or a
 *      JSON null), IP, K (strings), N (long, i % 17), At (datetime, out of row order,
 *      absent in some rows), L (string, only from row GT_LATE_ROW on: the first chunks
 *      predate it);
 *   AzureDiagnostics (declared): Tenant_g (guid, absent in some rows), DurationMs (i % 17),
 *      clientIp_s (IP).
 * Shapes: GT_MIXED, one table dictionary, even chunks of U dictionary-encoded and odd ones
 * plain; GT_RETIRED, the same rows with a dictionary retired every chunk or two
 * (sp_store_config.tdict_max_entries); GT_GIVEN_UP, U never repeating for 17,000 rows (the
 * store gives up its ids: later chunks have none), then repeating.
 *
 * Ownership: the fixture (gt_fixture, the cmocka state) owns its store; teardown frees
 * both, and a test that frees the store itself sets it to NULL. */
#ifndef SP_TEST_GID_TABLES_H
#define SP_TEST_GID_TABLES_H

#include "engine/store/store.h"

#define GT_CHUNK 500
/* gt_setup_wide's chunks: several KB_BATCH-row batches each (the executor's morsels). */
#define GT_WIDE_CHUNK 4500
#define GT_LATE_ROW 2000

typedef enum gt_shape { GT_MIXED, GT_RETIRED, GT_GIVEN_UP } gt_shape;

/* What row i's U cell holds: a text (possibly ""), or nothing (it reads as ""). */
typedef enum gt_cell { GT_TEXT, GT_UNSET, GT_NULL } gt_cell;

typedef struct gt_fixture {
    gt_shape shape;
    int rows;
    sp_store *store;
} gt_fixture;

/* Row i's values (u is "" unless the cell holds a text; g is "" when the row has no
 * guid); buffers of 48 bytes. */
gt_cell gt_row(gt_shape sh, int i, char *u, char *ip, char *k, char *g, char *l);
/* Row i's At: false when the row has none. */
bool gt_at(int i, int64_t *ticks);

/* cmocka setups (6,000 rows; 21,000 for GT_GIVEN_UP) and the teardown. gt_setup_wide
 * holds GT_MIXED's rows in chunks of GT_WIDE_CHUNK rows. */
int gt_setup_mixed(void **state);
int gt_setup_retired(void **state);
int gt_setup_given_up(void **state);
int gt_setup_wide(void **state);
int gt_teardown(void **state);

#endif
