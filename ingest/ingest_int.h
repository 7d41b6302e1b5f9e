/* ingest_int.h — what the files of ingest/ share; nothing outside ingest/ includes it.
 *
 * Ownership: as in ingest.h. Mapper entries, key copies and table states belong to their
 * worker and live until it is freed; strings handed to the reject functions are copied
 * or written out before they return.
 *
 * Pipeline inside a worker: source.c cuts input into documents (lines, messages, array
 * elements) -> json_simd.cpp flattens a document into records -> forms.c decides each
 * record's envelope and table -> mapper.c resolves each key of that (table, form) to an
 * action, once, and caches it -> writer.c converts values and fills the table's builder;
 * reject.c counts, reports and dead-letters what cannot be stored.
 */
#ifndef ING_INGEST_INT_H
#define ING_INGEST_INT_H

#include <pthread.h>
#include <string.h>

#include "engine/store/store.h"
#include "ingest/ingest.h"
#include "ingest/json_int.h"

/* ---- origins ------------------------------------------------------------------------ */

/* Where a record came from: "path:line", "path:line#k" for the k-th record of a
 * multi-record document, or the caller's message origin. */
typedef struct ing_origin {
    const char *source;
    const char *input; /* the stream a message came from (IngestionDuplicates.Source); NULL: source */
    uint64_t line;  /* 0: no line (messages) */
    uint32_t index; /* 1-based record index inside the document; 0: the document itself */
} ing_origin;

/* Writes the origin text; returns its length (truncated to n - 1). */
size_t ing_origin_format(const ing_origin *o, char *buf, size_t n);

/* ---- forms (forms.c): envelopes, tables and key rules ------------------------------ */

typedef enum ing_form {
    FORM_GENERIC = 0, /* columns by exact key name: Log Analytics rows, --table, Events */
    FORM_EVENTHUBS,   /* Azure Monitor diagnostic settings (category, time, properties) */
    FORM_COPILOT,     /* Purview Copilot audit records -> CopilotActivity */
    FORM_OFFICE,      /* other Office 365 Management Activity records -> OfficeActivity */
    FORM_COUNT
} ing_form;

/* Key name spaces: top-level keys, or the keys of a descended object. */
enum { NS_TOP = 0, NS_PROPERTIES = 1, NS_COPILOT_DATA = 2 };

/* The objects the parser descends into (their children are flattened too). */
extern const char *const ing_descend_keys[];
extern const int ing_ndescend_keys;

typedef struct ing_route {
    ing_form form;
    const char *table; /* not NUL-terminated when it points into the record */
    size_t table_len;
    uint32_t type_pos; /* FORM_GENERIC by Type: the field index of Type */
} ing_route;

/* Decides the envelope and table of one record from its top-level fields. */
void ing_route_record(const ing_jfield *f, uint32_t n, ing_route *out);
/* True for a usable table name: 1..128 of [A-Za-z0-9_], not starting with a digit. */
bool ing_valid_table_name(const char *s, size_t n);

typedef enum ing_act {
    ACT_COLUMN = 0, /* store into a column (and maybe a second one) */
    ACT_DESCEND,    /* an object whose children are mapped in child_ns (maybe also stored) */
    ACT_EXTRA,      /* keep in AdditionalFields */
    ACT_IGNORE,     /* already kept elsewhere (a child of a whole stored object) */
} ing_act;

typedef enum ing_conv {
    CONV_NONE = 0,
    CONV_USER_TYPE,   /* Office 365 UserType number -> its name (0 -> "Regular") */
    CONV_RESOURCE_ID, /* also fills Resource, ResourceGroup, ResourceProvider */
} ing_conv;

enum { PRIO_FALLBACK = 0, PRIO_NORMAL = 1 };

/* What a key of a form means, before it meets a table's schema. Column names are tried
 * in order (the first the table has wins); `also` is a second column filled with the
 * same value. */
typedef struct ing_rule {
    ing_act act;
    const char *names[2];
    const char *also;
    uint8_t prio;
    uint8_t child_ns;
    uint8_t conv;
} ing_rule;

/* The rule for key in name space ns of form. buf (at least 160 bytes) receives a derived
 * column name (PascalCase) when the rule needs one. */
void ing_form_rule(ing_form form, int ns, const char *key, size_t klen, ing_rule *out, char *buf,
                   size_t bufsize);
/* Constant columns a form sets (Type, SourceSystem), NULL-terminated name/value pairs;
 * "$table" as a value stands for the table's name. */
const char *const *ing_form_constants(ing_form form, const char *table, size_t table_len);
/* The text of an Office 365 UserType number, or NULL. */
const char *ing_user_type_name(int64_t v);
/* The parts of an Azure resource id Log Analytics stores in Resource, ResourceGroup and
 * ResourceProvider. Entra's tenant-level id `/tenants/<id>/providers/Microsoft.aadiam`
 * gives the provider in all three. Returns false for other shapes. */
typedef struct ing_span {
    const char *p;
    size_t n;
} ing_span;
bool ing_resource_parts(const char *id, size_t n, ing_span *resource, ing_span *group,
                        ing_span *provider);
/* camelCase -> PascalCase as Log Analytics names columns (ipAddress -> IPAddress,
 * riskEventTypes_v2 -> RiskEventTypes_V2). Returns the length written (< bufsize). */
size_t ing_pascal_case(const char *key, size_t klen, char *buf, size_t bufsize);

/* ---- mapper (mapper.c): (table, form) key -> action, with a shape cache ------------- */

typedef struct ing_action {
    uint8_t act;      /* ing_act */
    uint8_t prio;
    uint8_t child_ns;
    uint8_t conv;
    int32_t col, col2; /* schema indexes; -1 none */
} ing_action;

typedef struct ing_mentry {
    const char *key;
    uint32_t klen;
    uint32_t ns;
    ing_action a;
    uint32_t next[2]; /* entries (+ 1) that followed this one, most recent first; 0: none */
} ing_mentry;

typedef struct ing_mapper ing_mapper;
typedef struct ing_wtable ing_wtable;

/* Which field fills a column in the current row. */
typedef struct ing_cslot {
    uint32_t stamp; /* == the table's rowgen when set in this row */
    uint32_t slot;  /* field index in the record */
    uint8_t prio;
    uint8_t conv;
} ing_cslot;

struct ing_mapper {
    ing_worker *w;
    ing_wtable *wt;
    ing_form form;
    ing_mentry *ents;
    size_t nents, capents;
    uint32_t *ht; /* entry index + 1; 0 = empty */
    uint32_t htmask;
    uint32_t *shape; /* entry index + 1 per field position */
    uint32_t shape_cap;
    uint32_t prev; /* the entry of the previous lookup + 1 (its successor is the next guess) */
    ing_mentry overflow; /* returned when the cache is full */
};

/* Equality of keys: short ones without a call (sp_bytes_eq). */
static inline bool ing_key_eq(const char *a, const char *b, uint32_t n)
{
    return sp_bytes_eq(a, b, n);
}

ing_mapper *ing_mapper_new(ing_worker *w, ing_wtable *wt, ing_form form);
void ing_mapper_free(ing_mapper *m);
/* Records entry ei (+ 1) as a successor of the previous lookup's entry. */
static inline void ing_mapper_follows(ing_mapper *m, uint32_t ei)
{
    uint32_t *nx = m->ents[m->prev - 1].next;
    if (nx[0] != ei) {
        nx[1] = nx[0];
        nx[0] = ei;
    }
}
/* The slow path of ing_mapper_lookup: hash table, then rule resolution. */
const ing_mentry *ing_mapper_resolve(ing_mapper *m, uint32_t pos, int ns, const char *key,
                                     uint32_t klen);

static inline bool ing_mentry_is(const ing_mentry *e, int ns, const char *key, uint32_t klen)
{
    return e->klen == klen && e->ns == (uint32_t)ns && ing_key_eq(e->key, key, klen);
}

/* The action for the key at field position pos of a record: the shape cache's guess for
 * that position, then the keys that followed the previous key before (a record without an
 * optional field shifts every position after it but keeps the order; two successors are
 * remembered per key so the variants do not evict each other), each confirmed by one
 * comparison, else the slow path. */
static inline const ing_mentry *ing_mapper_lookup(ing_mapper *m, uint32_t pos, int ns,
                                                  const char *key, uint32_t klen)
{
    if (SP_LIKELY(pos < m->shape_cap)) {
        uint32_t ei = m->shape[pos];
        if (ei && SP_LIKELY(ing_mentry_is(&m->ents[ei - 1], ns, key, klen))) {
            m->prev = ei;
            return &m->ents[ei - 1];
        }
    }
    if (pos > 0 && m->prev) {
        const ing_mentry *p = &m->ents[m->prev - 1];
        for (int k = 0; k < 2; k++) {
            uint32_t ei = p->next[k];
            if (ei && ing_mentry_is(&m->ents[ei - 1], ns, key, klen)) {
                m->prev = ei;
                return &m->ents[ei - 1];
            }
        }
    }
    return ing_mapper_resolve(m, pos, ns, key, klen);
}

/* ---- worker tables ------------------------------------------------------------------ */

typedef struct ing_tcounts {
    uint64_t records, rows, duplicates, coerced, extra_fields, no_time;
} ing_tcounts;

struct ing_wtable {
    sp_table *t;
    sp_builder *b;
    const char *name; /* the store's */
    bool declared;
    const sp_schema *schema; /* declared tables: their fixed schema */
    int addl_col, time_col, id_col;
    ing_mapper *maps[FORM_COUNT];
    /* constants resolved per form: column and value */
    int nconst[FORM_COUNT];
    int const_col[FORM_COUNT][4];
    const char *const_val[FORM_COUNT][4];
    bool const_done[FORM_COUNT];
    int derived_col[3]; /* Resource, ResourceGroup, ResourceProvider (-1: none) */
    uint8_t *skip;      /* projection: columns not stored (NULL: store every column) */
    bool drop_safe;     /* projection: every key the parser drops would be ignored here */
    /* per-row scratch: which field fills each column this row (stamp == rowgen) */
    uint32_t rowgen;
    struct ing_cslot *cs;
    uint32_t cap;
    ing_tcounts cnt, flushed; /* flushed: the part already merged into the ing */
};

/* Makes sure the per-row scratch of wt covers column col. */
void ing_wtable_reserve(ing_wtable *wt, int col);

/* ---- shared state ------------------------------------------------------------------- */

typedef struct ing_gtable {
    const char *name;
    ing_tcounts cnt;
} ing_gtable;

struct ing {
    sp_store *store;
    char *table; /* config.table copy */
    size_t max_record_bytes;
    int max_depth;
    int report_limit;
    FILE *report;
    bool parse_only;
    bool baseline;
    bool (*keep_column)(void *ctx, const char *table, const char *column);
    void *keep_ctx;
    /* Projection: top-level keys the parser leaves out unread (declared column names no
     * table keeps); a record of a table or form that would read one is parsed again in
     * full (ingest.c). */
    const char **drop_keys;
    int ndrop_keys;
    pthread_mutex_t mu; /* guards everything below */
    uint64_t baseline_bytes; /* merged from workers' baselines when they are freed */
    FILE *dead;
    char *dead_path;
    uint64_t reported[ING_REJ_COUNT];
    ing_stats totals;
    ing_gtable *tables;
    int ntables;
    size_t captables;
    ing_worker *def;
};

typedef struct ing_extra {
    uint32_t field;  /* index into the record's fields */
    int32_t parent;  /* descended parent field, or -1 */
} ing_extra;

struct ing_worker {
    ing *g;
    ing_jparser *jp;
    ing_wtable **tabs;
    int ntabs;
    size_t captabs;
    uint32_t *thash; /* name hash -> table index + 1 */
    uint32_t thmask;
    ing_wtable *bound;
    ing_wtable *last; /* one-entry routing cache */
    uint32_t type_hint; /* where the last Log Analytics row had its Type */
    sp_arena arena;   /* key copies of mapper entries */
    /* row scratch */
    uint32_t *touched;
    size_t captouched;
    ing_extra *extras;
    size_t capextras;
    sp_buf addl, tmp, js;
    /* source scratch */
    char *rbuf;
    size_t rcap;
    /* counters not yet merged */
    ing_stats cnt, flushed;
    int64_t max_time; /* newest event time stored since ing_worker_take_max_time */
    struct ing_baseline *base; /* config.baseline: the reference column store */
};

/* ---- baseline (baseline.c): the benchmark reference ---------------------------------- */

void ing_baseline_doc(ing_worker *w, const ing_jdoc *doc);
void ing_baseline_free(ing_worker *w);

ing_wtable *ing_worker_table(ing_worker *w, const char *name, size_t n);

/* ---- writer (writer.c) ------------------------------------------------------------- */

/* Maps and stores every record of a parsed document. */
void ing_store_doc(ing_worker *w, const ing_jdoc *doc, const ing_origin *o);
/* Parses one document and stores it (or rejects it). capacity as for ing_jparse. */
void ing_ingest_doc(ing_worker *w, const char *data, size_t len, size_t capacity,
                    const ing_origin *o);

/* ---- rejections (reject.c) ---------------------------------------------------------- */

/* Rejects one record: counts it, reports it and writes it to the dead-letter file. */
void ing_reject(ing_worker *w, ing_reason why, const ing_origin *o, const char *detail,
                const char *raw, size_t len);
/* Finds the precise reason a text is bad (sp_json_compact decides); returns fallback when
 * the text is valid JSON. detail receives a description. */
ing_reason ing_classify(ing_worker *w, const char *raw, size_t len, int max_depth,
                        ing_reason fallback, const char *fallback_detail, char *detail,
                        size_t dsize);
/* Maps an sp_json_compact reason to an ing_reason. */
ing_reason ing_reason_of_compact(const char *why);

/* A dead-letter entry written piece by piece, for records too large to hold in memory. */
typedef struct ing_dl_stream ing_dl_stream;
ing_dl_stream *ing_dl_begin(ing_worker *w, ing_reason why, const ing_origin *o,
                            const char *detail);
void ing_dl_write(ing_dl_stream *s, const char *p, size_t n);
void ing_dl_end(ing_dl_stream *s);

/* Prints "N more <reason> records not shown" for reasons over the report limit. */
void ing_report_summary(ing *g);

#endif
