/* store.h — the columnar in-memory store: typed tables of immutable chunks.
 *
 * Data model (DESIGN.md §1.3). A store holds tables; a table has a schema (declared, as
 * Log Analytics documents it, or inferred from the data) and an append-only sequence of
 * sealed, immutable chunks. Writers never touch a sealed chunk: each ingest worker owns an
 * sp_builder per table (the "open chunk"), fills rows into it and seals it, which
 * publishes a chunk. Readers take a snapshot (a ref-counted list of sealed chunks) and
 * read column views without locks.
 *
 * Values follow Kusto: bool, int (32-bit), long, real, datetime and timespan (100 ns
 * ticks), string, guid (kept as its string), dynamic (compact JSON text, parsed lazily).
 * Strings are never null (a missing string is ""); a null dynamic is the empty text;
 * other types carry a validity bitmap. Tables inferred from the data also keep per-cell
 * presence, which Kusto's reading loses and Sigma needs (DESIGN.md §5): whether a string
 * cell that reads "" was absent, a JSON null or "", and whether a null was a JSON null or
 * an absent field (sp_colview.unset and .jnull, sp_colview_presence). Declared tables follow Log
 * Analytics, which keeps no presence. Column i of every chunk is column i of the table's
 * schema: schemas only grow (new columns appended, inferred types widened), so a chunk
 * may have fewer columns than the current schema (the rest read as null) or an older,
 * narrower physical type (sp_colview_convert widens it on read).
 *
 * Ownership: the store owns tables and chunks. sp_table pointers live as long as the
 * store. Chunks are ref-counted: a snapshot or sp_builder_seal hands out references the
 * caller must release (sp_snapshot_free, sp_chunk_unref). Schemas (sp_schema) are
 * immutable and live as long as the store. Column views point into their chunk and stay
 * valid while the caller holds a reference to it.
 *
 * Threading: sp_store_table, snapshots, stats and retention are thread-safe. A builder
 * belongs to one thread at a time.
 */
#ifndef SP_STORE_H
#define SP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/core.h"

/* ---- types ---------------------------------------------------------------------- */

typedef enum sp_type {
    SP_TYPE_NULL = 0, /* no value seen yet (an inferred column before its first value) */
    SP_TYPE_BOOL,
    SP_TYPE_INT,
    SP_TYPE_LONG,
    SP_TYPE_REAL,
    SP_TYPE_DATETIME,
    SP_TYPE_TIMESPAN,
    SP_TYPE_STRING,
    SP_TYPE_GUID,
    SP_TYPE_DYNAMIC,
    SP_TYPE_COUNT
} sp_type;

const char *sp_type_name(sp_type t); /* Kusto's name: "bool", "long", "datetime", ... */
/* Accepts Kusto's names and aliases (boolean, int64, double, date, time, uniqueid, ...). */
bool sp_type_parse(const char *name, size_t n, sp_type *out);
/* Bytes per value of a fixed-width type (bool 1, int 4, long/real/datetime/timespan 8),
 * 0 for variable-width types (string, guid, dynamic). */
size_t sp_type_width(sp_type t);
static inline bool sp_type_is_text(sp_type t)
{
    return t == SP_TYPE_STRING || t == SP_TYPE_GUID || t == SP_TYPE_DYNAMIC;
}
/* The type a column widens to when values of types a and b meet (inferred schemas):
 * int+long=long, int|long+real=real, datetime|timespan|guid+string=string, NULL+x=x,
 * any other mix = dynamic. */
sp_type sp_type_widen(sp_type a, sp_type b);

/* ---- declared schemas (schemas.c) ------------------------------------------------ */

typedef struct sp_column_def {
    const char *name;
    sp_type type;
} sp_column_def;

typedef struct sp_table_def {
    const char *name;
    const sp_column_def *columns;
    int ncolumns;
    const char *id_column;   /* unique record id for dedup, NULL: hash of the raw record */
    const char *time_column; /* event time for pruning and windows ("TimeGenerated") */
} sp_table_def;

/* The declared tables (SCHEMAS.md). Each declared table's schema ends with an extra
 * dynamic column "AdditionalFields" holding fields the declaration does not know. */
#define SP_ADDITIONAL_FIELDS "AdditionalFields"
const sp_table_def *sp_schema_declared(const char *table_name); /* exact name, or NULL */
const sp_table_def *sp_schema_declared_all(int *count);

/* An immutable schema version of a table. */
typedef struct sp_colinfo {
    const char *name;
    sp_type type;
} sp_colinfo;
typedef struct sp_schema {
    int ncols;
    const sp_colinfo *cols;
    uint32_t version;
} sp_schema;

/* ---- store and tables ------------------------------------------------------------- */

typedef struct sp_store sp_store;
typedef struct sp_table sp_table;
typedef struct sp_chunk sp_chunk;
typedef struct sp_builder sp_builder;
typedef struct sp_tdict sp_tdict;

typedef struct sp_store_config {
    int64_t retention_ticks; /* keep chunks whose newest event is within this; 0 = forever */
    size_t memory_budget;    /* evict oldest chunks above this many bytes; 0 = unlimited */
    uint32_t chunk_rows;     /* rows per chunk; 0 = sp_limits.chunk_rows */
    bool no_dedup;           /* keep exact re-deliveries (for benchmarks of raw ingest) */
    /* Entries at which a table dictionary is retired (tdict.c); 0 = 4M, the only value
     * outside tests (which lower it to get tables whose chunks refer to several). */
    uint32_t tdict_max_entries;
} sp_store_config;

/* Installs the seal hook: called in the sealing thread right after a chunk is published
 * (by sp_builder_seal or a full builder), while the caller still holds it. The rules
 * runtime evaluates per-event rules here, so when sealing returns its rows have been
 * seen. Set it before ingest starts. */
typedef void (*sp_seal_hook)(void *ctx, sp_table *t, sp_chunk *c);
void sp_store_set_on_seal(sp_store *s, sp_seal_hook fn, void *ctx);

sp_store *sp_store_new(const sp_store_config *cfg); /* cfg may be NULL */
void sp_store_free(sp_store *s);

/* The table named name, created on first use: with its declared schema when it has one,
 * otherwise empty and inferred from the data. Thread-safe. */
sp_table *sp_store_table(sp_store *s, const char *name);
/* The table, or NULL when it does not exist. Exact name first, then case-insensitive. */
sp_table *sp_store_find(sp_store *s, const char *name);
/* Tables in creation order; returns the count (fills at most cap). */
int sp_store_tables(sp_store *s, sp_table **out, int cap);

const char *sp_table_name(const sp_table *t);
bool sp_table_is_declared(const sp_table *t);
/* The current schema. Immutable; a later schema only appends columns or widens types. */
const sp_schema *sp_table_schema(sp_table *t);
int sp_schema_find(const sp_schema *sc, const char *name, size_t n);    /* exact, or -1 */
int sp_schema_find_ci(const sp_schema *sc, const char *name, size_t n); /* ignoring case */
/* Index of the time column (TimeGenerated) in the schema, or -1. */
int sp_table_time_col(sp_table *t);
int sp_table_id_col(sp_table *t); /* dedup id column, or -1 (raw-record hash) */

typedef struct sp_table_stats {
    uint64_t rows;          /* rows in sealed chunks now */
    uint64_t chunks;
    uint64_t bytes;         /* memory of sealed chunks, all columns and metadata, and of
                             * the data derived from them and cached on them */
    uint64_t cache_bytes;   /* of which derived data cached on chunks (sp_chunk_cache_put) */
    uint64_t rows_ingested; /* rows ever sealed */
    uint64_t duplicates;    /* exact re-deliveries dropped */
    uint64_t evicted_rows;  /* rows dropped by retention or the memory budget */
    uint64_t evicted_chunks;
    int64_t min_time, max_time; /* over sealed chunks; INT64_MAX/INT64_MIN when empty */
} sp_table_stats;
void sp_table_stats_get(sp_table *t, sp_table_stats *out);
/* Rows the table holds now (its stats' rows, without the rest of them). */
uint64_t sp_table_rows(sp_table *t);
/* Memory of column col across sealed chunks (values, offsets, dictionaries, bitmaps). */
uint64_t sp_table_col_bytes(sp_table *t, int col);

/* Drops chunks whose newest event is older than now - retention, then the oldest chunks
 * while the store is above its memory budget. Returns rows evicted. Thread-safe. */
uint64_t sp_store_enforce_retention(sp_store *s, int64_t now_ticks);
uint64_t sp_store_bytes(sp_store *s);

/* Merges runs of consecutive sealed chunks of t whose rows fit chunk_rows together into
 * one chunk each (merge.c): the same rows in the same order, read through fewer, larger
 * chunks. A run is merged only when none of its chunks holds more than half of its rows;
 * at most max_runs runs per call. Returns how many chunks fewer the table has. The merged
 * chunk takes the sequence number of its last part; snapshots taken before keep the
 * parts. Thread-safe against readers, builders and retention; costs about a copy of the
 * runs' memory, so callers run it off the ingest and query paths. */
uint32_t sp_table_merge_chunks(sp_table *t, uint32_t max_runs);
/* The same for every table of the store; the sum of what each returned. */
uint32_t sp_store_merge_chunks(sp_store *s, uint32_t max_runs);

/* ---- writing: builders (open chunks) ------------------------------------------------ */

/* A builder appends rows to one table. It is owned by one thread. */
sp_builder *sp_builder_new(sp_table *t);
/* Seals what is left and frees the builder. */
void sp_builder_free(sp_builder *b);
sp_table *sp_builder_table(sp_builder *b);

void sp_builder_begin_row(sp_builder *b);
/* Setters. col is a schema index. The value is converted to the column's type when Kusto
 * would convert it losslessly (number -> string text, "123" -> long, ISO text ->
 * datetime, JSON text for dynamic, ...). On a declared table a value that cannot be
 * converted leaves the cell null and returns -1 (the caller keeps the original elsewhere);
 * on an inferred table the column widens instead and the call succeeds. Setting a cell
 * twice in one row keeps the last value. */
int sp_builder_set_bool(sp_builder *b, int col, bool v);
int sp_builder_set_long(sp_builder *b, int col, int64_t v);
int sp_builder_set_real(sp_builder *b, int col, double v);
int sp_builder_set_datetime(sp_builder *b, int col, int64_t ticks);
int sp_builder_set_timespan(sp_builder *b, int col, int64_t ticks);
int sp_builder_set_string(sp_builder *b, int col, const char *s, size_t n);
/* json must be one well-formed compact JSON value (object, array, string, number, ...). */
int sp_builder_set_json(sp_builder *b, int col, const char *json, size_t n);
/* The record holds the field with a JSON null: the cell reads as null ("" in a string
 * column), and an inferred table marks it as present (SP_CELL_NULL), not absent. */
int sp_builder_set_null(sp_builder *b, int col);

/* Ingest's zero-copy path for text cells: room for up to max bytes of column col's cell in
 * the current row, when the column holds type t and the cell takes the builder's fast path
 * (else NULL: use the setters). The caller writes the value there, then commits its
 * length; nothing is stored until the commit. */
char *sp_builder_text_reserve(sp_builder *b, int col, sp_type t, size_t max);
void sp_builder_text_commit(sp_builder *b, int col, size_t len);
/* Ingest's path for an object or array that arrives as raw, unvalidated JSON text: column
 * col's cell in the current row (when the column holds type t, a text type) becomes its
 * compact form, validated by sp_json_compact_to with max_depth. Text equal byte for byte
 * to a value this chunk already stored and validated under a limit <= max_depth is stored
 * without checking it again. Returns 0 when stored; 1 when the cell cannot take this path
 * (use the setters); -1 when the text is invalid (*err_offset and *why as from
 * sp_json_compact_to; nothing stored). */
int sp_builder_put_raw_json(sp_builder *b, int col, sp_type t, const char *raw, size_t n, int max_depth,
                            size_t *err_offset, const char **why);

/* For inferred tables: the column for name, appended with the given type if absent
 * (widened if present with another type). Returns the index, or -1 when the table
 * already has sp_limits.max_columns columns. On a declared table returns the declared
 * column (exact name) or -1. */
int sp_builder_column(sp_builder *b, const char *name, size_t n, sp_type value_type);

typedef enum {
    SP_ROW_STORED = 0,
    SP_ROW_DUPLICATE = 1 /* an exact re-delivery: dropped and counted */
} sp_row_result;
/* Commits the row. The dedup key is the table's id column when it has one and the row
 * holds a non-empty id; otherwise raw_hash (the hash of the raw record) when given;
 * rows with neither are never deduplicated. */
sp_row_result sp_builder_end_row(sp_builder *b, const sp_hash128 *raw_hash);
void sp_builder_abort_row(sp_builder *b);
uint32_t sp_builder_rows(const sp_builder *b);
/* Seals the open rows into a chunk and publishes it. Returns a new reference to the chunk
 * (the caller releases it with sp_chunk_unref), or NULL when there were no rows. A full
 * builder seals itself on begin_row; such chunks are published without a reference. */
sp_chunk *sp_builder_seal(sp_builder *b);

/* ---- reading: snapshots, chunks, column views --------------------------------------- */

typedef struct sp_snapshot {
    sp_table *table;
    const sp_schema *schema; /* the schema when the snapshot was taken */
    sp_chunk **chunks;       /* in publication order */
    int nchunks;
    uint64_t rows;
} sp_snapshot;

/* All sealed chunks of the table. */
sp_snapshot *sp_table_snapshot(sp_table *t);
/* Sealed chunks whose sequence number is > after_seq (incremental processing). */
sp_snapshot *sp_table_snapshot_since(sp_table *t, uint64_t after_seq);
void sp_snapshot_free(sp_snapshot *snap);

void sp_chunk_ref(sp_chunk *c);
void sp_chunk_unref(sp_chunk *c);
uint32_t sp_chunk_rows(const sp_chunk *c);
uint64_t sp_chunk_seq(const sp_chunk *c); /* store-wide publication order, from 1 */
int sp_chunk_ncols(const sp_chunk *c);
/* Newest and oldest time-column values (INT64_MAX/INT64_MIN when none). */
int64_t sp_chunk_min_time(const sp_chunk *c);
int64_t sp_chunk_max_time(const sp_chunk *c);
int64_t sp_chunk_ingest_time(const sp_chunk *c); /* wall clock when sealed */
uint64_t sp_chunk_bytes(const sp_chunk *c);

typedef enum { SP_ENC_PLAIN = 0, SP_ENC_DICT = 1 } sp_encoding;

/* A read-only view of one column of one chunk.
 * Fixed-width types: values[rows] (bool uint8_t 0/1, int int32_t, long/datetime/timespan
 *   int64_t, real double); valid is a bitmap (bit i set = row i not null) or NULL when no
 *   row is null.
 * Text types (string, guid, dynamic): entry k is bytes[offs[k] .. offs[k+1]).
 *   PLAIN: entry i is row i (nentries == rows).
 *   DICT: row i holds entry codes[i], or codes8[i] when the dictionary has at most 256
 *   entries (one byte per row instead of four: a filter streams a quarter of the memory);
 *   both NULL means every row holds entry 0.
 *   Sealed chunks keep dictionary entries distinct; converted views may repeat an entry,
 *   so group by the bytes, not by the code. A dynamic entry of length 0 is null.
 * Presence (inferred tables, and string views converted from nulls; NULL wherever no row
 * needs it):
 *   unset (string, guid): bit i set = row i holds no string, it was absent or a JSON null
 *   (it reads as "", like any absent string in Kusto); NULL = every row holds one.
 *   jnull (any type): bit i set = row i was a JSON null (its null or "" is a present
 *   null, not an absent field); NULL = no row was.
 * Table dictionary (string and guid columns whose values repeat across the table, once
 *   indexed; NULL otherwise and in converted views): gids[k] is entry k's id in tdict, the
 *   same id for the same text in every chunk that refers to that dictionary (sp_tdict
 *   below; sp_chunk_col_gids indexes a column on demand). */
typedef struct sp_colview {
    sp_type type;
    sp_encoding enc;
    uint32_t rows;
    const void *values;
    const uint8_t *valid;
    const uint32_t *offs;
    const char *bytes;
    const uint32_t *codes;
    const uint8_t *codes8;
    uint32_t nentries;
    const uint8_t *unset;
    const uint8_t *jnull;
    const uint32_t *gids;  /* table-dictionary id of each entry (k < nentries), or NULL */
    const sp_tdict *tdict; /* the table dictionary gids refer to */
} sp_colview;

/* Fills v for column col of chunk c; a column the chunk predates reads as all null. */
void sp_chunk_col(const sp_chunk *c, int col, sp_colview *v);
/* Asks the cache ahead for what sp_chunk_col(c, col) reads: step 0 its descriptor, step 1
 * (a chunk or so later, once the descriptor is in) what the descriptor points to: the
 * table-dictionary index and the first codes. A cold scan otherwise pays a chain of misses,
 * each with a page walk, at every chunk it enters (~1 us each on a virtual machine). */
void sp_chunk_col_prefetch(const sp_chunk *c, int col, int step);
/* Physical type of column col in this chunk (may be narrower than the schema's). */
sp_type sp_chunk_col_type(const sp_chunk *c, int col);

/* Entry index of row (text types). */
static inline uint32_t sp_colview_entry(const sp_colview *v, uint32_t row)
{
    return v->enc == SP_ENC_PLAIN ? row : v->codes ? v->codes[row] : v->codes8 ? v->codes8[row] : 0;
}
static inline const char *sp_colview_text(const sp_colview *v, uint32_t row, size_t *len)
{
    uint32_t e = sp_colview_entry(v, row);
    *len = v->offs[e + 1] - v->offs[e];
    return v->bytes + v->offs[e];
}
static inline bool sp_colview_is_null(const sp_colview *v, uint32_t row)
{
    if (sp_type_is_text(v->type)) {
        if (v->type != SP_TYPE_DYNAMIC)
            return false;
        uint32_t e = sp_colview_entry(v, row);
        return v->offs[e + 1] == v->offs[e];
    }
    return v->valid && !((v->valid[row >> 3] >> (row & 7)) & 1);
}

/* What a cell held in its record (Sigma's reading, DESIGN.md §5): no such field, the field
 * with a JSON null, or the field with a value ("" included). Without presence bitmaps
 * (declared tables) a null cell reads as absent and any string as a value. */
typedef enum { SP_CELL_ABSENT = 0, SP_CELL_NULL = 1, SP_CELL_VALUE = 2 } sp_presence;

static inline bool sp_bit(const uint8_t *bits, uint32_t i)
{
    return bits && ((bits[i >> 3] >> (i & 7)) & 1);
}
static inline sp_presence sp_colview_presence(const sp_colview *v, uint32_t row)
{
    if (sp_bit(v->jnull, row))
        return SP_CELL_NULL;
    bool none = sp_type_is_text(v->type) && v->type != SP_TYPE_DYNAMIC ? sp_bit(v->unset, row)
                                                                        : sp_colview_is_null(v, row);
    return none ? SP_CELL_ABSENT : SP_CELL_VALUE;
}

/* ---- derived data cached on a chunk (chunk_cache.c) --------------------------------- */

/* A sealed chunk never changes, so anything computed from it alone (a dynamic column's
 * values at a path, extracted once and dictionary-encoded) stays valid for the chunk's
 * life and can be shared by every query and rule that reads it. Readers cache such data
 * on the chunk under a key of their choosing (bytes; the reader that builds the data
 * prefixes its keys so that they do not meet another reader's). The cache holds it until
 * the chunk is freed, counts its memory in the table's stats (sp_table_stats.bytes and
 * .cache_bytes) while the chunk is in the table, and owns it: destroy(data) frees it.
 * Thread-safe and lock-free for readers: data is published once and never changes, so
 * it must be immutable once put. */
/* The data cached under key, or NULL. */
void *sp_chunk_cache_get(sp_chunk *c, const void *key, size_t keylen);
/* Caches data (of `bytes` bytes) under key and returns it; when another thread cached
 * data under the same key first, destroys this data and returns that one. */
void *sp_chunk_cache_put(sp_chunk *c, const void *key, size_t keylen, void *data, uint64_t bytes,
                         void (*destroy)(void *data));
/* Memory of the data cached on c. */
uint64_t sp_chunk_cache_bytes(sp_chunk *c);

/* What the table's loaded rules will derive from its chunks' column col (dynpath.c
 * declares the paths of a dynamic column that rules' filters read), so that a reader that
 * derives one thing for a chunk can derive the others in the same pass over the column.
 * The table keeps each declared object, deduplicated by key, until it is freed, and owns
 * it from the call on (destroy(obj) frees it, at once when it is a duplicate or the
 * column already has SP_TABLE_WANTS). Thread-safe. */
#define SP_TABLE_WANTS 8
void sp_table_want_derived(sp_table *t, int col, const void *key, size_t keylen, void *obj,
                           void (*destroy)(void *obj));
/* The objects declared for column col of chunk c's table, at most max of them into out:
 * how many. They live as long as the table. */
int sp_chunk_wanted(const sp_chunk *c, int col, void **out, int max);

/* Converts a view to another type (widening on read, casts). The result's buffers come
 * from arena. Conversions follow the builder's rules; values that cannot convert are
 * null. Presence is kept: a string cell with no string (unset) converts as a null, and
 * a null converted to a string is unset. */
void sp_colview_convert(const sp_colview *in, sp_type to, sp_arena *arena, sp_colview *out);

/* ---- table dictionaries (tdict.c) -------------------------------------------------
 * One id space per string or guid column of a table, shared by its chunks (sp_colview
 * .gids): group tables and predicate verdict caches index arrays by gid instead of hashing
 * text. Ids are dense from 0 and never reused within one dictionary; a column may move to
 * a new dictionary (the old one is retired when full, or the column stops getting ids
 * when its values turn out not to repeat), so compare dictionaries, not only ids. A view's
 * dictionary lives as long as the chunk it came from; entries are immutable. */

/* Every gid of a dictionary is below this (a full dictionary is retired). */
#define SP_TDICT_MAX_ENTRIES (1u << 22)

/* Column col of table t is read through gids: index it as its chunks are sealed (the
 * rules and queries loaded before ingest name their columns here). */
void sp_table_want_gids(sp_table *t, int col);
/* Fills v->gids and v->tdict for column col of chunk c, indexing the column now if no one
 * has; both NULL when the column gets no gids. Thread-safe; the index lives with the
 * chunk. */
void sp_chunk_col_gids(const sp_chunk *chunk, int col, sp_colview *v);
/* Entries so far: every gid a reader got from a chunk is below it. */
uint32_t sp_tdict_count(const sp_tdict *d);
/* Distinct for every dictionary the process ever creates (caches key on it, not on the
 * pointer, which may be reused after the dictionary is freed). */
uint64_t sp_tdict_serial(const sp_tdict *d);
const char *sp_tdict_text(const sp_tdict *d, uint32_t gid, size_t *len);
/* The gid of text s when the dictionary holds it. Locks: not for per-row use. */
bool sp_tdict_find(sp_tdict *d, const char *s, size_t n, uint32_t *gid);
uint64_t sp_tdict_bytes(const sp_tdict *d);

/* ---- value text (shared by builders, converters and printers) ----------------------- */

/* Appends the Kusto text form of a fixed-width value (as tostring() gives it). */
void sp_format_value(sp_buf *out, sp_type t, const void *value);

/* ---- segments (segment.c): self-describing serialised chunks ----------------------- */

/* Appends a self-describing serialisation of c (header, column names and types,
 * encodings, buffers) to out. */
void sp_chunk_serialize(const sp_chunk *c, const sp_schema *schema, sp_buf *out);
/* Reads one serialised chunk into table t (columns matched by name, created or widened as
 * needed). Returns 0, or -1 with d filled. */
int sp_chunk_deserialize(sp_table *t, const void *data, size_t len, size_t *consumed,
                         sp_diag *d);

#endif
