/* gen.h — socpipe's synthetic telemetry generator (`socpipe gen`, benchmarks, the demo).
 *
 * Ownership: a gen owns its seeded world (users, apps, IP pools, pre-rendered JSON) and
 * all scratch memory; gen_next appends to a caller-owned sp_buf, and the strings a
 * gen_event points at belong to the gen and stay valid until the next gen_next or
 * gen_free. A gen_sink owns its FILE and compression state until gen_sink_close.
 *
 * What it makes: realistic, deterministic records for every declared table
 * (SCHEMAS.md) in the envelope a real pipeline delivers them in:
 *   GEN_ENV_LOGANALYTICS  Log Analytics rows ({"TimeGenerated":…, …, "Type":"SigninLogs"});
 *                         dynamic columns are JSON values in SigninLogs and JSON text in
 *                         the non-interactive, service-principal and managed-identity tables.
 *   GEN_ENV_EVENTHUBS     Azure Monitor diagnostic-settings records (the four sign-in
 *                         tables), one record per call; wrap several in {"records":[…]}
 *                         yourself (the CLI's --batch does).
 *   GEN_ENV_PURVIEW       Office 365 Management Activity records (CopilotActivity).
 * Every record is generated as an internal event model first and then rendered, so the
 * same seed gives the same events in every envelope: Event Hubs and Log Analytics forms
 * carry the same ids, times and values, and map onto each other exactly as SCHEMAS.md
 * says. The only Log Analytics columns with no Event Hubs source are the ones a workspace
 * adds: TenantId (workspace id), SourceSystem and Type (Resource/ResourceGroup/
 * ResourceProvider, always "Microsoft.aadiam", are left out); a Log Analytics column
 * whose value is "" may be absent from the Event Hubs form. Sign-in rows leave out
 * columns that are empty or default (SigninLogs averages ~2.85 KB in Log Analytics form;
 * signin_render.c lists what is kept and why).
 *
 * Determinism: output depends only on the options — never on the wall clock, locale,
 * libc's rand or math library, or memory addresses — so equal options give byte-identical
 * output on every machine. Background traffic uses its own random streams, so turning
 * attacks on adds labelled records without changing the background ones.
 */
#ifndef SP_GEN_H
#define SP_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/core.h"

typedef struct gen gen;

typedef enum gen_envelope {
    GEN_ENV_DEFAULT = 0, /* the table's natural form (purview for CopilotActivity, else loganalytics) */
    GEN_ENV_LOGANALYTICS,
    GEN_ENV_EVENTHUBS,
    GEN_ENV_PURVIEW,
} gen_envelope;

typedef struct gen_options {
    const char *table;     /* a declared table name, e.g. "SigninLogs" (exact spelling) */
    uint64_t seed;
    gen_envelope envelope; /* GEN_ENV_DEFAULT picks the table's natural form */
    int64_t start;         /* first event time in Kusto ticks; 0 = 2026-11-01T00:00:00Z */
    double rate;           /* mean events per second over a week; 0 = the table's default */
    uint64_t events;       /* planned number of records, used to place attack scenarios
                            * inside the run; 0 = open-ended (a stream) */
    bool attacks;          /* inject the table's labelled attack scenarios */
} gen_options;

/* What gen_next produced, besides the JSON text. */
typedef struct gen_event {
    int64_t time;         /* TimeGenerated in ticks */
    const char *id;       /* the record's unique id (Id, RecordId, SystemAlertId; the
                           * IncidentName for SecurityIncident, whose rows share it) */
    size_t id_len;
    const char *key;      /* entity key a producer should partition by (user id, service
                           * principal id, incident name, connector, ...) */
    size_t key_len;
    const char *scenario; /* attack scenario name, NULL for background traffic */
} gen_event;

/* Creates a generator. Returns 0, or -1 with diag filled (unknown table, envelope the
 * table cannot be written in, bad rate). */
int gen_new(const gen_options *opt, gen **out, sp_diag *diag);
/* Appends the next record (one JSON object, no newline) to out and describes it in ev
 * (ev may be NULL). Never fails; a stream never ends. */
void gen_next(gen *g, sp_buf *out, gen_event *ev);
void gen_free(gen *g);

const char *gen_table(const gen *g);        /* canonical table name */
gen_envelope gen_envelope_used(const gen *g); /* never GEN_ENV_DEFAULT */

/* Names the generator knows: the declared tables, the scenario labels. */
const char *const *gen_table_names(size_t *n);
const char *const *gen_scenario_names(size_t *n);
bool gen_envelope_parse(const char *s, gen_envelope *out);
const char *gen_envelope_name(gen_envelope e);

/* ---- output sink ------------------------------------------------------------------- */

/* Writes to a file, or to stdout when path is NULL or "-". A path ending in ".zst" is
 * zstd-compressed with streaming compression at zstd_level (1..19; 0 = 3). */
typedef struct gen_sink gen_sink;
int gen_sink_open(const char *path, int zstd_level, gen_sink **out, sp_diag *diag);
int gen_sink_write(gen_sink *s, const void *p, size_t n); /* 0 or -1 (errno set) */
/* Flushes, ends the zstd frame and closes; returns 0 or -1. Always frees s. */
int gen_sink_close(gen_sink *s);
uint64_t gen_sink_bytes_in(const gen_sink *s); /* uncompressed bytes written so far */

#endif
