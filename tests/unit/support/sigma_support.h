/* sigma_support.h — helpers shared by the Sigma unit tests: load YAML text into a resolved
 * set, and render diagnostics and programs as strings to compare with expectations.
 *
 * Ownership: returned sets are freed by the caller with sig_set_free; returned strings live
 * in a small ring of static buffers (valid until a few calls later), which keeps assertions
 * one-liners.
 */
#ifndef SP_TEST_SIGMA_SUPPORT_H
#define SP_TEST_SIGMA_SUPPORT_H

#include "sigma/sigma.h"

/* Loads text as file "rule.yml" (optionally with a placeholder configuration given as YAML
 * text) and resolves. */
sig_set *ts_load(const char *yaml);
sig_set *ts_load_opts(const char *yaml, const char *placeholders_yaml, bool strict);
/* Loads several texts as rule1.yml, rule2.yml, ... (NULL-terminated) and resolves. */
sig_set *ts_load_many(const char *const *texts);

/* "rule.yml:12:18: message" of the i-th diagnostic ("" if none). */
const char *ts_diag(const sig_set *s, size_t i);
/* The n-th error, skipping warnings ("" if none). */
const char *ts_error(const sig_set *s, size_t n);
/* Number of errors (not warnings). */
size_t ts_errors(const sig_set *s);
/* Every diagnostic, one per line, for failure messages. */
const char *ts_all_diags(const sig_set *s);

/* sig_expr_dump of rule i's program (r->expr). */
const char *ts_expr(const sig_set *s, size_t rule);
/* sig_matcher_dump of the only matcher of a one-item rule's program. */
const char *ts_matcher(const sig_set *s, size_t rule);

/* Loads yaml (a rule with one item) and returns its matcher dump, failing the test on any
 * error. */
const char *ts_compile(const char *yaml);
/* Loads yaml, expects it rejected, returns the first error as "file:line:col: msg". */
const char *ts_reject(const char *yaml);

/* The shipped mapping (sigma/mappings/microsoft.yml), extended by override_yaml (a mapping
 * file's text, written to a temporary file and loaded with sig_mapping_extend) when not
 * NULL. Fails the test on any error; the caller frees the result. */
sig_mapping *ts_mapping(const char *override_yaml);

#endif
