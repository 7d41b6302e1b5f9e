/* sigma.h — Sigma (specification v2.1) front end: loads rule files, validates them and
 * compiles every detection into an engine-independent "detection program" that the lowering
 * step translates into the engine's logical plan.
 *
 * Ownership: a sig_set owns everything it returns (rules, matchers, expressions, strings,
 * diagnostics) in one arena, released by sig_set_free; every pointer handed out stays valid
 * and unchanged until then. Callers never free anything they get from this module except
 * the sig_set, sig_placeholders and sig_mapping handles, the plans sig_lower returns
 * (kplan_free) and the warnings it appends (sig_warnings_free).
 *
 * Pipeline: sig_set_new -> sig_set_load_path/_file/_text (YAML -> node tree with file:line:col
 * -> per-document validation and compilation) ... -> sig_set_resolve (cross-file references:
 * correlation `rules:` and `aliases:`, filter `rules:`, filters applied to their rules) ->
 * read the documents. A document with an error is rejected: it is reported with its reason
 * and does not appear among the loaded documents; nothing is dropped silently.
 *
 * The set is an opaque handle; the compiled documents it hands out are plain read-only
 * structs (an AST plus the normalised program), because the lowering walks them field by
 * field and nothing about them changes after sig_set_resolve.
 *
 * Normalised semantics (what the lowering must implement; the conformance suite in
 * tests/sigma-conformance/ pins each point with events):
 *
 *  - A field's "text" is its string value; a number's JSON text; true/false for booleans;
 *    compact JSON for objects and arrays. An absent field and a JSON null have no text:
 *    every string, number, regex, CIDR and field-reference test is false on them.
 *  - SIG_EQ/PREFIX/SUFFIX/CONTAINS compare `text` (escapes resolved, wildcards removed) with
 *    the field text; SIG_GLOB matches the whole field text against an anchored pattern in
 *    which `*` is any run of characters and `?` exactly one character (one UTF-8 code point).
 *    Case-insensitive unless the matcher is `cased`. Wildcard values that reduce to a prefix,
 *    suffix, substring or whole-value test are classified as such; only inner wildcards and
 *    `?` stay SIG_GLOB. A value of only `*` is CONTAINS "" (any present, non-null value).
 *  - Escaping (rules spec §Escaping): in a plain value `\*` and `\?` are literal, `\\` is one
 *    backslash, and a backslash before any other character (or at the end) is literal.
 *  - windash (appendix: "all possible permutations" of - / U+2013 U+2014 U+2015): a dash is
 *    a permutation point where it starts a command-line flag — at the start of the value or
 *    after a non-word character, and before a word character — as in pySigma and the
 *    SigmaHQ documentation (` -param-name ` gives 5 values, its inner dash stays).
 *  - SIG_NUM_EQ: the field is a number, or a string that is entirely a decimal number, and
 *    equals the value numerically (`ResultType: 50126` matches 50126 and "50126").
 *    SIG_NUM_CMP the same with lt/lte/gt/gte. SIG_BOOL_EQ matches true/false or the strings
 *    "true"/"false" (any case).
 *  - SIG_NULL: the field is absent or JSON null. `''` is SIG_EQ "" (present and empty).
 *    SIG_EXISTS(b): the field is present (whatever its value, null included) == b.
 *  - SIG_REGEX: unanchored search (like KQL `matches regex`), case-sensitive unless flag i;
 *    flags m (^/$ at line breaks) and s (dot matches newline). Checked at load time to be
 *    RE2-compatible: backreferences, lookaround, atomic groups, possessive quantifiers,
 *    conditionals and recursion are rejected.
 *  - SIG_CIDR: the field text parses as an IPv4/IPv6 address inside the network.
 *  - SIG_FIELDREF: the field text equals / starts with / ends with / contains the text of the
 *    referenced field (ref_op), case-insensitive unless `cased`; false if either is absent.
 *  - A matcher with time_part extracts that part (UTC) from the field parsed as a datetime
 *    (ISO 8601 / sp_datetime_parse forms); week is the ISO 8601 week number (1-53).
 *  - Keyword matchers (field == NULL) search every string value of the record, at any depth;
 *    a keyword is an unanchored (substring) match unless it is a regex.
 *  - One matcher = one `field|modifiers: values` item. values are grouped by the YAML value
 *    they came from (a group holds the concrete values one written value expands into:
 *    windash variants, base64offset shifts, placeholder values). Result = all ?
 *    AND over groups : OR over groups, each group being the OR of its values; negate (neq)
 *    negates that result, so `neq` is true for an absent field.
 *  - Search identifier: map = AND of its items, list of maps = OR of the maps, list of plain
 *    values = one keyword matcher (OR), `'|all': [...]` = keyword matcher with all.
 *  - Condition: or < and < not < `x of` < parentheses; `1 of`/`any of`/`all of` PATTERN
 *    where PATTERN is matched against the whole identifier with `*` = any run; `them` and
 *    patterns never select identifiers starting with `_`; a list of conditions is ORed.
 *  - Filters (filters spec v2.1: "suppress matches of multiple rules"): a filter's condition
 *    describes the events to suppress; each target rule becomes
 *        (rule condition) and not (filter condition)
 *    A filter targets the rules it names (by id or name) or, with `rules: any` (spec v2.2,
 *    accepted), every detection rule whose logsource is compatible. Compatible: every one of
 *    category/product/service the filter sets equals the rule's. Naming an incompatible rule
 *    or a correlation is an error. pySigma instead ANDs the filter condition unchanged (its
 *    filters are written `condition: not selection`); a filter whose condition starts with
 *    `not` therefore gets a warning, because under the specification it keeps only the
 *    events it negates.
 *  - Correlations: see sig_corr below.
 */
#ifndef SP_SIGMA_H
#define SP_SIGMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/core.h"
#include "engine/plan/plan.h"

/* ---- positions and small lists ------------------------------------------------------- */

typedef struct sig_pos {
    const char *file; /* path as given to the loader */
    int line, col;    /* 1-based; col counts bytes */
} sig_pos;

typedef struct sig_strlist {
    const char *const *v;
    size_t n;
} sig_strlist;

/* ---- values and matchers --------------------------------------------------------------- */

typedef enum sig_vkind {
    SIG_EQ,
    SIG_PREFIX,
    SIG_SUFFIX,
    SIG_CONTAINS,
    SIG_GLOB,
    SIG_REGEX,
    SIG_CIDR,
    SIG_NUM_EQ,
    SIG_NUM_CMP,
    SIG_BOOL_EQ,
    SIG_NULL,
    SIG_EXISTS,
    SIG_FIELDREF,
} sig_vkind;

typedef enum sig_cmp { SIG_LT, SIG_LTE, SIG_GT, SIG_GTE, SIG_CMP_EQ, SIG_CMP_NEQ } sig_cmp;

typedef enum sig_time_part {
    SIG_TIME_NONE,
    SIG_TIME_MINUTE,
    SIG_TIME_HOUR,
    SIG_TIME_DAY,
    SIG_TIME_WEEK,
    SIG_TIME_MONTH,
    SIG_TIME_YEAR,
} sig_time_part;

enum { SIG_RE_I = 1, SIG_RE_M = 2, SIG_RE_S = 4 };

/* Modifiers, in the order of the appendix. The X-macro gives enum, names and bits. */
#define SIG_MODIFIERS(X)                                                                        \
    X(ALL, "all") X(STARTSWITH, "startswith") X(ENDSWITH, "endswith") X(CONTAINS, "contains")   \
    X(EXISTS, "exists") X(CASED, "cased") X(NEQ, "neq") X(WINDASH, "windash") X(RE, "re")       \
    X(RE_I, "i") X(RE_M, "m") X(RE_S, "s") X(BASE64, "base64") X(BASE64OFFSET, "base64offset")  \
    X(UTF16LE, "utf16le") X(UTF16BE, "utf16be") X(UTF16, "utf16") X(WIDE, "wide") X(LT, "lt")   \
    X(LTE, "lte") X(GT, "gt") X(GTE, "gte") X(MINUTE, "minute") X(HOUR, "hour") X(DAY, "day")  \
    X(WEEK, "week") X(MONTH, "month") X(YEAR, "year") X(CIDR, "cidr") X(EXPAND, "expand")      \
    X(FIELDREF, "fieldref")

typedef enum sig_mod {
#define SIG_MOD_ENUM(e, s) SIG_MOD_##e,
    SIG_MODIFIERS(SIG_MOD_ENUM)
#undef SIG_MOD_ENUM
        SIG_MOD_COUNT
} sig_mod;

const char *sig_mod_name(sig_mod m);

typedef struct sig_value {
    sig_vkind kind;
    /* EQ/PREFIX/SUFFIX/CONTAINS: literal bytes; GLOB: canonical pattern (`*`, `?` wildcards,
     * `\*` `\?` `\\` literal); REGEX: the expression; CIDR: the network as written;
     * NUM_*: the number as written; FIELDREF: the referenced field. After utf16 encoding the
     * bytes may contain NUL: always use len. NUL-terminated for convenience. */
    const char *text;
    size_t len;
    double num;   /* NUM_EQ, NUM_CMP */
    int64_t inum; /* the same when is_int */
    bool is_int;
    sig_cmp cmp;        /* NUM_CMP */
    bool b;             /* BOOL_EQ, EXISTS */
    sig_vkind ref_op;   /* FIELDREF: SIG_EQ, SIG_PREFIX, SIG_SUFFIX or SIG_CONTAINS */
    uint8_t family;     /* CIDR: 4 or 6 */
    uint8_t prefix;     /* CIDR: prefix length */
    uint8_t addr[16];   /* CIDR: network address (IPv4 in the first 4 bytes) */
} sig_value;

/* The concrete values one written YAML value expanded into (ORed). */
typedef struct sig_vgroup {
    sig_pos pos; /* the YAML value */
    const sig_value *v;
    uint32_t n;
} sig_vgroup;

typedef struct sig_matcher {
    const char *field;  /* as written (field mapping happens later); NULL = keyword */
    const char *key;    /* the whole YAML key, modifiers included, for messages */
    sig_pos pos;        /* the key */
    bool cased;         /* case-sensitive string comparison */
    bool negate;        /* neq */
    bool all;           /* AND over groups */
    uint8_t re_flags;   /* SIG_RE_* */
    sig_time_part time_part;
    const sig_mod *chain; /* modifiers in the order written */
    uint32_t nchain;
    const sig_vgroup *groups;
    uint32_t ngroups;
} sig_matcher;

/* ---- expressions ----------------------------------------------------------------------- */

typedef enum sig_xkind { SIG_X_AND, SIG_X_OR, SIG_X_NOT, SIG_X_MATCH } sig_xkind;

/* A boolean expression over matchers; AND/OR are n-ary (n >= 1), NOT has one kid. */
typedef struct sig_expr {
    sig_xkind kind;
    sig_pos pos;
    uint32_t n;
    const struct sig_expr *const *kids;
    const sig_matcher *m; /* SIG_X_MATCH */
} sig_expr;

/* A search identifier of `detection:` (or of a filter) and its compiled body. */
typedef struct sig_detection {
    const char *name;
    sig_pos pos;
    const sig_expr *body;
} sig_detection;

/* The condition as written, with positions pointing into the YAML file. */
typedef enum sig_ckind { SIG_C_OR, SIG_C_AND, SIG_C_NOT, SIG_C_ID, SIG_C_OF } sig_ckind;
typedef enum sig_quant { SIG_Q_ONE, SIG_Q_ANY, SIG_Q_ALL } sig_quant;

typedef struct sig_cond {
    sig_ckind kind;
    sig_pos pos;                 /* the operator or identifier token */
    const struct sig_cond *a, *b; /* OR/AND: a, b; NOT: a */
    const char *name;            /* ID: the identifier; OF: the pattern ("them" for them) */
    uint32_t det;                /* ID: index into the detections */
    sig_quant quant;             /* OF */
    bool them;                   /* OF */
    const uint32_t *dets;        /* OF: the identifiers the pattern selected, in file order */
    uint32_t ndets;
} sig_cond;

/* ---- documents -------------------------------------------------------------------------- */

typedef enum sig_kind { SIG_DOC_RULE, SIG_DOC_CORRELATION, SIG_DOC_FILTER } sig_kind;

typedef enum sig_status {
    SIG_STATUS_NONE,
    SIG_STATUS_STABLE,
    SIG_STATUS_TEST,
    SIG_STATUS_EXPERIMENTAL,
    SIG_STATUS_DEPRECATED,
    SIG_STATUS_UNSUPPORTED,
} sig_status;

typedef enum sig_level {
    SIG_LEVEL_NONE,
    SIG_LEVEL_INFORMATIONAL,
    SIG_LEVEL_LOW,
    SIG_LEVEL_MEDIUM,
    SIG_LEVEL_HIGH,
    SIG_LEVEL_CRITICAL,
} sig_level;

typedef struct sig_related {
    const char *id;
    const char *type; /* derived, obsolete, merged, renamed, similar */
} sig_related;

/* Metadata shared by rules, correlations and filters (absent text fields are NULL). */
typedef struct sig_meta {
    sig_pos pos;     /* start of the YAML document */
    uint32_t doc;    /* 0-based document number inside its file */
    const char *title, *id, *name, *description, *author, *license, *date, *modified;
    const char *taxonomy;
    sig_status status;
    sig_level level;
    sig_strlist references, tags, falsepositives, fields, scope;
    /* ATT&CK from tags, for alerts: tactics as Sentinel names ("CredentialAccess"),
     * techniques as "T1110" and sub-techniques as "T1110.003", in tag order, no duplicates. */
    sig_strlist tactics, techniques;
    const sig_related *related;
    size_t nrelated;
} sig_meta;

typedef struct sig_logsource {
    const char *category, *product, *service, *definition;
    sig_pos pos;
} sig_logsource;

typedef struct sig_rule {
    sig_meta meta;
    sig_logsource logsource;
    const sig_detection *dets;
    uint32_t ndets;
    const sig_cond *const *conds; /* `condition:` (a list is ORed) */
    uint32_t nconds;
    /* The detection program: the conditions ORed, identifiers inlined, `x of` expanded. */
    const sig_expr *detection;
    /* detection with every applicable filter ANDed NOT; equals detection when none applies. */
    const sig_expr *expr;
    const uint32_t *filters; /* indexes of the filters applied (sig_set_filter) */
    uint32_t nfilters;
    /* false when a correlation that references this rule has generate: false (the default):
     * the rule then feeds the correlation but raises no alerts of its own. */
    bool standalone;
} sig_rule;

typedef enum sig_corr_type {
    SIG_CORR_EVENT_COUNT,
    SIG_CORR_VALUE_COUNT,
    SIG_CORR_TEMPORAL,
    SIG_CORR_TEMPORAL_ORDERED,
    SIG_CORR_VALUE_SUM,
    SIG_CORR_VALUE_AVG,
    SIG_CORR_VALUE_PERCENTILE,
} sig_corr_type;

/* A reference to another document by id or name, resolved by sig_set_resolve. */
typedef struct sig_ref {
    const char *text;
    sig_pos pos;
    sig_kind kind;  /* SIG_DOC_RULE or SIG_DOC_CORRELATION */
    uint32_t index; /* into sig_set_rule / sig_set_corr */
} sig_ref;

typedef struct sig_alias_field {
    sig_ref rule;      /* one of the correlation's rules */
    const char *field; /* the field carrying the alias in that rule's events */
    sig_pos pos;
} sig_alias_field;

typedef struct sig_alias {
    const char *name;
    sig_pos pos;
    const sig_alias_field *fields; /* exactly one per rule of the correlation */
    uint32_t nfields;
} sig_alias;

typedef struct sig_corr_cond {
    sig_cmp op; /* SIG_LT ... SIG_CMP_NEQ */
    double value;
    sig_pos pos;
} sig_corr_cond;

/* A correlation rule. Semantics (documented with vectors in tests/sigma-conformance/README.md):
 *  - Inputs: the events matched by `rules` (detection rules, or the outputs of other
 *    correlations when chained), grouped by group_by (an alias resolves, per input rule, to
 *    that rule's field; no group_by = one group). Windows slide over event time: at every
 *    input event e (in event-time order) the window is the group's events with time in
 *    [t(e) - timespan, t(e)] (both ends inclusive). When the metric over that window
 *    satisfies every condition (they are ANDed, so two keys form a range) one output is
 *    produced {group key, window start = earliest event time in it, end = t(e), value}, and
 *    the events up to e are consumed so outputs never overlap.
 *  - Metrics: event_count = number of events; value_count = number of distinct non-null
 *    values of field; value_sum / value_avg = sum / mean of the numeric values of field
 *    (non-numeric values are skipped); value_percentile with `percentile: P` = the P-th
 *    percentile of field (nearest rank: the value at rank ceil(P/100*N), P=0 the minimum);
 *    value_percentile without `percentile` (the specification's own example, "a process name
 *    seen in less than 1% of the processes") = the share in percent of the current event's
 *    value of field among the window's events that have one (the output names the value);
 *    temporal = number of distinct rules seen; temporal_ordered = length of the longest
 *    prefix of `rules` whose events occur in that order. Temporal types without a condition
 *    default to gte: number of rules.
 *  - A chained correlation sees each output of a referenced correlation as one event at its
 *    window end, carrying the group-by fields. An event matching several referenced rules is
 *    one event counting for each of them; an absent group-by field is the value null.
 *    tests/sigma-conformance/README.md states the full model with vectors. */
typedef struct sig_corr {
    sig_meta meta;
    sig_corr_type type;
    const sig_ref *rules;
    uint32_t nrules;
    sig_strlist group_by;
    const sig_alias *aliases;
    uint32_t naliases;
    int64_t timespan; /* Kusto ticks (100 ns) */
    const char *timespan_text;
    const sig_corr_cond *conds;
    uint32_t nconds;
    bool default_cond;  /* temporal types without `condition:` (conds holds gte: nrules) */
    const char *field;  /* value_* types */
    bool has_percentile;
    double percentile;  /* value_percentile with `percentile:` (0..100) */
    bool generate;
    /* false when another correlation references this one without generate: true — its
     * outputs then feed that correlation and raise no alerts of their own (as for rules). */
    bool standalone;
} sig_corr;

typedef struct sig_filter {
    sig_meta meta;
    sig_logsource logsource;
    bool any;            /* rules: any */
    const sig_ref *rules; /* otherwise: the rules it names */
    uint32_t nrules;
    const sig_detection *dets;
    uint32_t ndets;
    const sig_cond *cond;
    const sig_expr *expr; /* the filter condition (events to suppress) */
    const uint32_t *targets; /* rule indexes it was applied to */
    uint32_t ntargets;
} sig_filter;

/* ---- diagnostics -------------------------------------------------------------------------- */

/* Reasons, for grouped counts; names are stable (printed by `socpipe sigma check`). */
#define SIG_REASONS(X)                                                                         \
    X(IO, "io") X(TOO_LARGE, "file-too-large") X(YAML, "yaml-syntax")                           \
    X(YAML_ALIAS, "yaml-anchor-alias") X(YAML_TAG, "yaml-tag") X(TOO_DEEP, "too-deep")         \
    X(DUPLICATE_KEY, "duplicate-key") X(MISSING_FIELD, "missing-field")                        \
    X(BAD_FIELD, "invalid-field") X(UNKNOWN_MODIFIER, "unknown-modifier")                      \
    X(MODIFIER_CHAIN, "invalid-modifier-chain") X(BAD_VALUE, "invalid-value")                  \
    X(REGEX, "invalid-regex") X(PLACEHOLDER, "unresolved-placeholder")                         \
    X(CONDITION, "condition-syntax") X(UNKNOWN_IDENT, "unknown-identifier")                    \
    X(AGGREGATION, "deprecated-aggregation") X(EMPTY_DETECTION, "empty-detection")             \
    X(CORRELATION, "invalid-correlation") X(FILTER, "invalid-filter")                          \
    X(REFERENCE, "unresolved-reference") X(DUPLICATE_ID, "duplicate-id")                       \
    X(UNSUPPORTED, "unsupported")                                                              \
    X(W_UNKNOWN_KEY, "unknown-key") X(W_MISSING_ID, "missing-id") X(W_STATUS, "status")        \
    X(W_FORMAT, "format") X(W_UNUSED, "unused-identifier") X(W_SEMANTICS, "semantics")

typedef enum sig_reason {
#define SIG_REASON_ENUM(e, s) SIG_R_##e,
    SIG_REASONS(SIG_REASON_ENUM)
#undef SIG_REASON_ENUM
        SIG_R_COUNT
} sig_reason;

const char *sig_reason_name(sig_reason r);

typedef struct sig_diag {
    sp_diag d;         /* d.is_warning: a warning (never set under strict) */
    sig_reason reason;
} sig_diag;

typedef struct sig_stats {
    size_t files, documents;
    size_t loaded[3];   /* by sig_kind */
    size_t rejected;    /* documents (or unreadable files) rejected */
    size_t errors, warnings;
    size_t rejected_by[SIG_R_COUNT]; /* rejected documents by the reason of their first error */
} sig_stats;

/* ---- placeholders ---------------------------------------------------------------------------- */

/* A placeholder configuration: a YAML map from placeholder name (case-sensitive) to a value
 * or a list of values, e.g. `HomeTenantID: [ '1111…' ]`. Values are Sigma strings: wildcards
 * and escapes keep their meaning after substitution. */
typedef struct sig_placeholders sig_placeholders;

/* Returns 0 and a new configuration, or -1 with d filled. */
int sig_placeholders_load(const char *path, sig_placeholders **out, sp_diag *d);
int sig_placeholders_parse(const char *name, const char *text, size_t len, sig_placeholders **out,
                           sp_diag *d);
void sig_placeholders_free(sig_placeholders *p);

/* ---- the rule set ------------------------------------------------------------------------------ */

typedef struct sig_set sig_set;

typedef struct sig_options {
    const sig_placeholders *placeholders; /* may be NULL; borrowed, must outlive the set */
    bool strict;                          /* warnings become errors (and reject) */
} sig_options;

sig_set *sig_set_new(const sig_options *opt);
void sig_set_free(sig_set *s);

/* Loaders return the number of documents rejected by this call (0 = all good); -1 if the
 * path could not be read at all (also reported as a diagnostic). Directories are walked
 * recursively for *.yml and *.yaml, in sorted order; dot-entries are skipped. */
int sig_set_load_path(sig_set *s, const char *path);
int sig_set_load_file(sig_set *s, const char *path);
int sig_set_load_text(sig_set *s, const char *name, const char *text, size_t len);

/* Resolves references across everything loaded, applies filters and computes `standalone`.
 * Call once after the last load; returns the number of documents it rejected. */
int sig_set_resolve(sig_set *s);

size_t sig_set_count(const sig_set *s, sig_kind k);
const sig_rule *sig_set_rule(const sig_set *s, size_t i);
const sig_corr *sig_set_corr(const sig_set *s, size_t i);
const sig_filter *sig_set_filter(const sig_set *s, size_t i);
/* Looks a detection rule or correlation up by id or name (after sig_set_resolve). */
bool sig_set_find(const sig_set *s, const char *ref, sig_kind *kind, uint32_t *index);

size_t sig_set_ndiags(const sig_set *s);
const sig_diag *sig_set_diag(const sig_set *s, size_t i);
void sig_set_stats(const sig_set *s, sig_stats *out);

/* ---- helpers for the lowering, alerts and `explain` ------------------------------------------ */

const char *sig_kind_name(sig_kind k);
const char *sig_vkind_name(sig_vkind k);
const char *sig_corr_type_name(sig_corr_type t);
const char *sig_level_name(sig_level l);
const char *sig_status_name(sig_status s);
/* Sentinel severity for a level: informational/low/medium/high; critical -> "High". */
const char *sig_level_severity(sig_level l);

/* Parses a correlation timespan `<n>s|m|h|d` into ticks. */
bool sig_timespan_parse(const char *s, size_t n, int64_t *ticks);

/* Appends an anchored RE2/Oniguruma regex equivalent to a SIG_GLOB (or any string kind)
 * value, `(?i)` prefixed unless cased. */
void sig_value_to_regex(sp_buf *out, const sig_value *v, bool cased);

/* The Oniguruma form of a SIG_REGEX value: the matcher's flags as inline (?i)(?m)(?s) and
 * RE2's (?P<name>...) written (?<name>...). Compile it with ONIG_SYNTAX_PERL_NG and no options;
 * flags then mean what they mean in RE2 (one difference: `$` without m also matches before a
 * final newline, as in Perl). */
void sig_regex_onig_form(sp_buf *out, const char *re, size_t n, uint8_t flags);

/* Stable text forms of the normalised program (tests and `socpipe explain`). */
void sig_value_dump(sp_buf *out, const sig_value *v);
void sig_matcher_dump(sp_buf *out, const sig_matcher *m);
void sig_expr_dump(sp_buf *out, const sig_expr *e);
void sig_cond_dump(sp_buf *out, const sig_cond *c, const sig_detection *dets);

/* ---- field mapping (mapping.c) ------------------------------------------------------------
 *
 * Which Log Analytics table(s) a logsource reads and which column a Sigma field name means
 * there: a YAML file, sigma/mappings/microsoft.yml shipped (its header states the format
 * and the resolution order; docs/sigma-mapping.md explains the choices). Lookups are
 * case-insensitive. */
typedef struct sig_mapping sig_mapping;

int sig_mapping_load(const char *path, sig_mapping **out, sp_diag *d);
int sig_mapping_parse(const char *name, const char *text, size_t len, sig_mapping **out, sp_diag *d);
/* Adds a file's entries in front of m's: they take precedence (`--mapping FILE`). */
int sig_mapping_extend(sig_mapping *m, const char *path, sp_diag *d);
/* The shipped mapping: $SP_SIGMA_MAPPING, else sigma/mappings/microsoft.yml next to the
 * executable (or in its share/socpipe tree), else relative to the working directory. */
const char *sig_mapping_default_path(void);
int sig_mapping_load_default(sig_mapping **out, sp_diag *d);
void sig_mapping_free(sig_mapping *m);

/* The tables of a logsource: the most specific matching entry, else the default table
 * (Events). m may be NULL (no mapping: always Events). */
size_t sig_mapping_tables(const sig_mapping *m, const sig_logsource *ls, const char *const **out);
const char *sig_mapping_default_table(const sig_mapping *m);
/* Candidate time columns of tables without a declared time column, in order. */
size_t sig_mapping_time_fields(const sig_mapping *m, const char *const **out);
/* The column (or column.path) a field maps to in table, by the field or its longest
 * mapped dotted prefix; false when the mapping has no entry. */
bool sig_mapping_field(const sig_mapping *m, const char *table, const char *field, sp_buf *out);
/* Length of a strip prefix (`properties.`) field starts with in table, or 0. */
size_t sig_mapping_strip(const sig_mapping *m, const char *table, const char *field);
/* The canonical spelling of a "Column.path" known to the mapping, or NULL. */
const char *sig_mapping_canonical_path(const sig_mapping *m, const char *table, const char *colpath);

/* ---- lowering into the engine's logical plan (lower.c) --------------------------------------
 *
 * A detection rule becomes a scan of each table its logsource maps to plus a filter whose
 * predicate is the rule's program (sig_rule.expr, filters included), with a union when there
 * are several tables; a correlation becomes a KP_WINDOW over the rows of its rules
 * (chained correlations nest). The plan's rows are the rule's matches (all columns of the
 * table) or the correlation's outputs (group-by values, StartTime, EndTime, Value, ValueOf,
 * EventCount). docs/sigma-lowering.md has the table of matcher kinds and builtins.
 *
 * Schemas: a table in opts->store is resolved against its current schema (inferred tables
 * such as Events included); a declared table not in the store against its declaration; a
 * table known to neither gets its fields as string columns named as written (the scan then
 * reads nothing until the table exists, and a plan must be lowered again once it does, as
 * a plan is bound to the schema it was made from). */
typedef struct sig_warnings {
    sp_diag *v; /* warnings (d.is_warning set), positioned on the rule's field */
    size_t n, cap;
} sig_warnings;
void sig_warnings_free(sig_warnings *w);

typedef struct sig_lower_opts {
    const sig_mapping *mapping; /* NULL: no mapping (every rule reads Events, fields as written) */
    sp_store *store;            /* existing tables and their schemas; may be NULL */
    bool no_optimize;           /* leave the plan as lowered (tests of the lowering itself) */
} sig_lower_opts;

/* Lowers detection rule or correlation `index` of a resolved set into a new plan. Returns 0,
 * or -1 with err filled (a construct the engine cannot run, positioned on the rule). Field
 * warnings are appended to warn (may be NULL). */
int sig_lower(const sig_set *s, sig_kind kind, uint32_t index, const sig_lower_opts *opts, kplan **out,
              sig_warnings *warn, sp_diag *err);

/* ---- KQL printer (kqlprint.c) -------------------------------------------------------------
 *
 * Prints a plan made by sig_lower as one KQL query with the same meaning (the builtins of
 * Sigma matchers become their KQL equivalents: anchored regexes for inner wildcards,
 * ipv4/ipv6_is_in_range for CIDRs, member access for paths). Where KQL has no exact
 * equivalent the query says so in a `//` comment: sliding correlation windows print as
 * summarize over bins, arrays crossed by a path are not expanded, and keywords search the
 * JSON text of dynamic columns. The text binds with kql_compile. Returns 0, or -1 with err
 * filled for a plan node the printer does not know. */
int sig_plan_to_kql(const kplan *plan, sp_buf *out, sp_diag *err);

#endif
