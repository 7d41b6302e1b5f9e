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
 * adds: TenantId (workspace id), SourceSystem, Type, and Resource/ResourceGroup/
 * ResourceProvider ("Microsoft.aadiam", derived from resourceId); a Log Analytics column
 * whose value is "" may be absent from the Event Hubs form. Sign-in rows leave out
 * columns that are empty or default (SigninLogs averages ~2.8 KB in Log Analytics form;
 * signin_render.c lists what is kept and why).
 *
 * Several tables (table "all" or "A,B,..."): one stream of every selected table's
 * records merged by event time, each in its natural envelope (Log Analytics for
 * SentinelHealth, SecurityIncident and SecurityAlert, Purview for CopilotActivity; the
 * sign-in tables in the envelope option's form, Log Analytics by default). Each table
 * runs at its default rate; `rate` scales the sign-in and Copilot tables, while
 * SentinelHealth and the incident tables keep their real schedules (a 5-minute rule
 * still runs every 5 minutes). Alone, any table is scaled to `rate`.
 *
 * Attacks (issue #6): with `attacks`, labelled scenario instances are merged into the
 * background, one instance of each scenario per started day of the planned run (at 20-
 * 80% of its share of the run; `events` plans it, and an open-ended run places them in
 * its first hour). Every record of an instance carries
 * a label in gen_event.scenario: the scenario's name for attack records ("mfa_fatigue")
 * or "benign:<name>" for its near-misses, lookalikes a precise rule must not flag. The
 * names, tables and label keys are listed in gen_scenario_names() and docs of
 * bench/gen/scenario.c. A scenario writes only into the selected tables. Records that
 * duplicate_ingestion re-delivers (same record id, every other sign-in copy in the other
 * envelope) arrive 20 s after their original, which stays unlabelled; its near-misses
 * are copies with new record ids.
 *
 * Label keys (gen_event.id): Id (sign-in tables), RecordId (SentinelHealth), the Purview
 * Id = RecordId (CopilotActivity), SystemAlertId (SecurityAlert), and for SecurityIncident,
 * whose update rows share IncidentName, "IncidentName@LastModifiedTime" with the time as
 * the row writes it (2026-11-01T03:12:09.1234567Z).
 *
 * Watchlists: gen_write_watchlists writes the tenant configuration the scenarios' rules
 * tune against (allowed CI egress ranges, label ranks, user clearances, forbidden label and
 * app host pairs, approved AI plugins, sensitive apps, partner tenants, workload hours) as
 * Sentinel watchlist CSV files; the background traffic keeps to them, the attacks do not.
 *
 * Determinism: output depends only on the options — never on the wall clock, locale,
 * libc's rand or math library, or memory addresses — so equal options give byte-identical
 * output on every machine. Background traffic uses its own random streams, so turning
 * attacks on adds labelled records without changing the background ones: the unlabelled
 * records of a run with attacks are, in order, the records of the same run without.
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
    const char *table;     /* a declared table name, e.g. "SigninLogs" (exact spelling),
                            * "all", or a comma-separated list of names */
    uint64_t seed;
    gen_envelope envelope; /* GEN_ENV_DEFAULT picks the table's natural form; with several
                            * tables it picks the sign-ins' form (loganalytics, eventhubs) */
    int64_t start;         /* first event time in Kusto ticks; 0 = 2026-11-01T00:00:00Z */
    double rate;           /* mean events per second over a week, all selected tables
                            * together; 0 = the tables' defaults */
    uint64_t events;       /* planned number of records, used to place attack scenarios
                            * inside the run; 0 = open-ended (a stream) */
    bool attacks;          /* inject the table's labelled attack scenarios */
} gen_options;

/* What gen_next produced, besides the JSON text. */
typedef struct gen_event {
    int64_t time;         /* TimeGenerated in ticks */
    int64_t clock;        /* merge time: never decreases from one record to the next;
                           * time - clock is the ingestion delay (up to 5 minutes; a
                           * second below for whole-second times; 20 s above for a
                           * re-delivered duplicate) */
    const char *table;    /* the record's table */
    const char *id;       /* label key: the record's unique id (see above) */
    size_t id_len;
    const char *key;      /* entity key a producer should partition by (user id, service
                           * principal id, incident name, connector, ...) */
    size_t key_len;
    const char *scenario; /* "name" or "benign:name"; NULL for background traffic */
} gen_event;

/* Creates a generator. Returns 0, or -1 with diag filled (unknown table, envelope the
 * table cannot be written in, bad rate). */
int gen_new(const gen_options *opt, gen **out, sp_diag *diag);
/* Appends the next record (one JSON object, no newline) to out and describes it in ev
 * (ev may be NULL). Never fails; a stream never ends. */
void gen_next(gen *g, sp_buf *out, gen_event *ev);
void gen_free(gen *g);

const char *gen_table(const gen *g);        /* canonical table name; NULL for several */
bool gen_has_table(const gen *g, const char *name);
gen_envelope gen_envelope_used(const gen *g); /* the (sign-in) form; never GEN_ENV_DEFAULT */

/* Names the generator knows: the declared tables, the scenario labels. */
const char *const *gen_table_names(size_t *n);
const char *const *gen_scenario_names(size_t *n);
bool gen_envelope_parse(const char *s, gen_envelope *out);
const char *gen_envelope_name(gen_envelope e);

/* Writes the watchlist CSV files into dir (created if missing). 0, or -1 with diag. */
int gen_write_watchlists(const gen *g, const char *dir, sp_diag *diag);
/* Removes the files gen_write_watchlists writes from dir, then dir itself if that leaves it
 * empty (a temporary folder for one run). */
void gen_remove_watchlists(const char *dir);
const char *const *gen_watchlist_names(size_t *n); /* their file names */

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
