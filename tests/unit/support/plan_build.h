/* plan_build.h — terse construction of logical plans for executor tests, standing in for
 * the KQL binder: constant tables from a literal text, column references by name, and
 * operators whose output schemas follow Kusto's rules (join's `1` suffix, lookup dropping
 * the right keys, union by column name).
 *
 * Ownership: every node and string lives in the plan's arena; tb_run's result is a
 * malloc'd string the caller frees.
 */
#ifndef TESTS_PLAN_BUILD_H
#define TESTS_PLAN_BUILD_H

#include "engine/exec/exec.h"

/* A KP_VALUES node. schema: "a:long, b:string"; cells: comma-separated literals in
 * row-major order: numbers, true/false, null, 'text' or "text" (datetime and timespan
 * cells are text in Kusto's forms), and raw JSON for dynamic cells ([1,2], {"k":1}). */
kp *tb_values(kplan *p, const char *schema, const char *cells);

kx *tb_col(kplan *p, const kp *n, const char *name); /* column of n's output by name */
kx *tb_str(kplan *p, const char *s);
kx *tb_long(kplan *p, int64_t v);

/* sort / top keys as in KQL: "k asc, v desc nulls first" (default desc; nulls first for
 * asc and last for desc unless given). */
kp *tb_sort(kplan *p, kp *in, const char *spec);
kp *tb_top(kplan *p, kp *in, int64_t n, const char *spec);

/* Join on "Key" or "a == b, c" (left name == right name). Output columns as the binder
 * computes them: left columns then right columns renamed with a `1` suffix on clashes;
 * one side only for semi and anti kinds; lookup drops the right key columns. */
kp *tb_join(kplan *p, kp *left, kp *right, kp_join_kind kind, const char *on, bool lookup);

/* Outer union by column name (first-seen order, types widened); withsource may be NULL;
 * names[i] names input i for the source column. */
kp *tb_union(kplan *p, const char *withsource, kp **ins, const char **names, int n);

/* mv-expand / mv-apply expansions as in KQL: "b, c to long, part = s to string": a bare
 * column expands in place; "name = column" appends a new column (mv-apply: keeps the
 * source column). bagexp, itemindex (NULL = none) and limit (0 = none) as in kp. */
kp *tb_mvexpand(kplan *p, kp *in, const char *spec, kp_bagexp bagexp, const char *itemindex, int64_t limit);
/* mv-apply in two steps: tb_mvapply returns the operator and, in *items, the
 * KP_ROWITEMS leaf to build the subquery on; tb_mvapply_on sets the subquery's root and
 * computes the output schema. */
kp *tb_mvapply(kplan *p, kp *in, const char *spec, const char *itemindex, int64_t limit, kp **items);
void tb_mvapply_on(kplan *p, kp *mvapply, kp *sub);

/* project of named columns of in: "a, b" */
kp *tb_project(kplan *p, kp *in, const char *cols);

/* summarize: aggs "n=count(), s=sum(v), l=make_list(x)" (one column argument or none)
 * by keys "k1, k2" (NULL: no keys). */
kp *tb_summarize(kplan *p, kp *in, const char *aggs, const char *keys);

/* A store with a SigninLogs table of `rows` rows in chunks of chunk_rows: Id "id<i>",
 * UserPrincipalName "user<i % 10>@contoso.com" (dictionary-encoded), IPAddress
 * "10.0.0.<i % 7>", TimeGenerated 2024-03-01 + 36 s * i (100 rows an hour). */
sp_store *tb_signins(int rows, uint32_t chunk_rows);

/* Runs the plan; returns the JSON lines, or "error: <message>" when it fails. */
char *tb_run(kplan *p, sp_store *s);
/* The same with execution options (per-chunk runs, time windows); opts may be NULL. */
char *tb_run_opts(kplan *p, sp_store *s, const kexec_opts *opts);
/* Compiles KQL text against the store and runs it; "error: <message>" on failure. */
char *tb_kql(sp_store *s, const char *text, const kexec_opts *opts);
/* Compiles KQL text against the store (the caller frees the plan, and may run it again
 * and again); fails the test when it does not compile. */
kplan *tb_kql_compile(sp_store *s, const char *text);
/* The same as a rowset (the caller frees it); fails the test when the query does not
 * compile or run. */
krowset *tb_kql_rows(sp_store *s, const char *text, const kexec_opts *opts);
/* A rowset's JSON lines (malloc'd). */
char *tb_json(const krowset *rs);
/* Runs and frees the plan and compares its output with want (printing both when they
 * differ). */
bool tb_check(kplan *p, sp_store *s, const char *want);
/* How many times needle occurs in text (tb_count(out, "\n"): the rows a run printed). */
int tb_count(const char *text, const char *needle);
/* "a:long, b:string" for a schema (static buffer). */
const char *tb_schema(const kp_schema *s);

#endif
