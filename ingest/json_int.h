/* json_int.h — private C API of the simdjson wrapper (json_simd.cpp), ingest only.
 *
 * Ownership: the parser owns every field, record and string it returns; they stay valid
 * until the next ing_jparse on the same parser (unescaped strings live in simdjson's string
 * buffer, raw spans point into the input, or into the parser's padded copy of it).
 *
 * One call parses one document (a line or a message) and flattens it into records, each a
 * run of top-level fields in document order, so the caller can dispatch on keys in one pass
 * without ever asking simdjson for a field by name (DESIGN.md §7: out-of-order lookups cost
 * 2.5x). The call is two-phase: the whole document is flattened before the caller writes
 * anything, so a document is accepted or rejected as a whole.
 *
 * Document roots:
 *   - an object: one record;
 *   - an envelope {"records":[obj, obj, ...]} (Azure Monitor diagnostic settings as sent to
 *     Event Hubs): one record per element. An object is an envelope only when "records" is
 *     its first and only key and its value is an array whose elements are all objects;
 *     anything else is an ordinary record that happens to have a "records" field;
 *   - an array: one record per element, where an element may itself be an envelope. An
 *     element that is not an object becomes a record with status ING_JREC_NOT_OBJECT (the
 *     caller rejects that one element and keeps the others);
 *   - anything else (number, string, ...): one record with status ING_JREC_NOT_OBJECT.
 *
 * Descending: object-valued top-level fields whose key is in the parser's descend list are
 * emitted with their raw JSON text AND followed by their own fields (one level), so an
 * envelope decoder can map `properties.x` or `CopilotEventData.AppHost` without a second
 * parse. Other objects and arrays are emitted as raw JSON text, which the caller must
 * validate (sp_json_compact) before storing it: On-Demand skips them without full checks.
 *
 * Thread safety: a parser belongs to one thread; use one per worker.
 */
#ifndef ING_JSON_INT_H
#define ING_JSON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ing_jkind {
    ING_J_NULL = 0,
    ING_J_BOOL,
    ING_J_INT,    /* fits int64 */
    ING_J_UINT,   /* in [2^63, 2^64) */
    ING_J_DOUBLE, /* any other number, including integers too big for 64 bits */
    ING_J_STRING,
    ING_J_OBJECT,
    ING_J_ARRAY,
} ing_jkind;

typedef struct ing_jfield {
    const char *key;  /* unescaped key bytes (not NUL-terminated) */
    const char *text; /* STRING: unescaped bytes; OBJECT/ARRAY: raw JSON text; numbers, bool
                       * and null: the raw token. Never NUL-terminated. */
    uint32_t key_len;
    uint32_t text_len;
    uint32_t nchild;   /* a descended object: number of child fields right after this one */
    uint8_t kind;      /* ing_jkind */
    uint8_t is_child;  /* 1 for the fields of a descended object */
    uint16_t reserved;
    union {
        int64_t i;
        uint64_t u;
        double d;
        bool b;
    } v;
} ing_jfield;

enum { ING_JREC_OK = 0, ING_JREC_NOT_OBJECT = 1 };

typedef struct ing_jrecord {
    const char *raw; /* the record's JSON text (trimmed) */
    size_t raw_len;
    uint32_t first;  /* index of its first field in ing_jdoc.fields */
    uint32_t nfields;
    uint32_t status; /* ING_JREC_* */
    uint32_t ndropped; /* top-level fields left out (ing_jparser_set_drop) */
} ing_jrecord;

enum { ING_JROOT_OBJECT = 0, ING_JROOT_ENVELOPE, ING_JROOT_ARRAY, ING_JROOT_SCALAR };

typedef struct ing_jdoc {
    const ing_jrecord *records;
    uint32_t nrecords;
    const ing_jfield *fields;
    uint32_t nfields;
    int root; /* ING_JROOT_* */
} ing_jdoc;

typedef struct ing_jerror {
    const char *reason; /* simdjson's message for the error code */
    size_t offset;      /* byte offset in the input where it was noticed, when known */
    int code;           /* simdjson error code */
} ing_jerror;

typedef struct ing_jparser ing_jparser;

/* descend: keys (NUL-terminated) whose object values are descended into; copied. */
ing_jparser *ing_jparser_new(const char *const *descend, int ndescend);
void ing_jparser_free(ing_jparser *p);

/* Projection: top-level record fields with one of these keys (NUL-terminated, copied)
 * are left out of the flattened records without their values being read (not unescaped,
 * not validated); each record counts them in ndropped. enabled turns the list on and off
 * (a caller that finds it needed a dropped field parses the document again without). */
void ing_jparser_set_drop(ing_jparser *p, const char *const *keys, int nkeys);
void ing_jparser_drop_enable(ing_jparser *p, bool enabled);
/* Parses data[0..len). capacity is how many bytes starting at data may be read (at least
 * len); when capacity >= len + ING_JSON_PADDING the input is parsed in place, otherwise it
 * is copied into the parser's padded buffer. Returns 0 and fills doc, or -1 and fills err
 * (the document as a whole is invalid). */
int ing_jparse(ing_jparser *p, const char *data, size_t len, size_t capacity, ing_jdoc *doc,
               ing_jerror *err);

/* The padding simdjson needs after the input (SIMDJSON_PADDING). */
#define ING_JSON_PADDING 64

/* simdjson's implementation in use (e.g. "haswell", "westmere"), for reports. */
const char *ing_json_impl(void);

#ifdef __cplusplus
}
#endif

#endif
