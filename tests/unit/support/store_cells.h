/* store_cells.h — reading store cells back as text in tests. Returned strings are
 * malloc'ed; the caller frees them. */
#ifndef SP_TEST_STORE_CELLS_H
#define SP_TEST_STORE_CELLS_H

#include "engine/store/store.h"

/* Cell (row, col) of table as text: "<null>", "<no table>", "<no column>", "<no row>",
 * the text of string/dynamic cells, Kusto's text of other types. */
char *cell_text(sp_store *s, const char *table, uint64_t row, const char *col);
/* Rows in the table's sealed chunks (0 when it does not exist). */
uint64_t table_rows(sp_store *s, const char *table);
/* True when the cell reads as want; otherwise prints both, with the caller's line, to
 * stderr. Tests use it through CELL(store, table, row, column, want). */
bool cell_is(sp_store *s, const char *table, uint64_t row, const char *col, const char *want, int line);
#define CELL(s, t, r, c, w) assert_true(cell_is((s), (t), (r), (c), (w), __LINE__))
/* Number of columns in the table's schema (0 when it does not exist). */
int table_ncols(sp_store *s, const char *table);
/* Type of a column ("<none>" when absent). */
const char *column_type(sp_store *s, const char *table, const char *col);

#endif
