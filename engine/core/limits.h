/* limits.h — every hard limit of socpipe in one place (after SQLite's sqliteLimit.h).
 *
 * Each limit has a compiled default here and a run-time value in sp_limits, which the
 * command line and the configuration file may override before any work starts. Code reads
 * the run-time value (sp_limits.x), never the default macro, so an override reaches every
 * module. The struct is written once at start-up and only read afterwards, so it needs no
 * locking.
 */
#ifndef SP_LIMITS_H
#define SP_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#define SP_DEFAULT_MAX_RECORD_BYTES   (1u << 20)   /* one JSON record (line) */
#define SP_DEFAULT_MAX_JSON_DEPTH     64           /* nesting of one JSON record */
#define SP_DEFAULT_MAX_REGEX_INPUT    4096         /* bytes of a field given to a regex */
#define SP_DEFAULT_REGEX_RETRY_LIMIT  100000       /* Oniguruma retry-limit-in-match */
#define SP_DEFAULT_MAX_RULE_BYTES     (256u << 10) /* one rule file */
#define SP_DEFAULT_MAX_RULE_DEPTH     32           /* nesting inside one rule */
#define SP_DEFAULT_MAX_VM_STEPS       (1u << 30)   /* expression instructions per query */
#define SP_DEFAULT_CHUNK_ROWS         65536        /* rows of one store chunk */
#define SP_DEFAULT_MAX_COLUMNS        2048         /* columns of one table */
#define SP_DEFAULT_MAX_ALERT_EVENTS   100          /* matched records kept in an alert */
#define SP_DEFAULT_MAKE_SET_CAP       1048576      /* make_set/make_list default max size */
#define SP_DEFAULT_VERDICT_CACHE_BYTES (128u << 20) /* all predicate verdict caches together */

typedef struct sp_limits_s {
    size_t   max_record_bytes;
    int      max_json_depth;
    size_t   max_regex_input;
    uint64_t regex_retry_limit;
    size_t   max_rule_bytes;
    int      max_rule_depth;
    uint64_t max_vm_steps;
    uint32_t chunk_rows;
    uint32_t max_columns;
    uint32_t max_alert_events;
    uint32_t make_set_cap;
    size_t   verdict_cache_bytes;
} sp_limits_t;

/* The process-wide run-time limits, initialised to the defaults above. */
extern sp_limits_t sp_limits;

#endif
