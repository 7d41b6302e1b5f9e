/* sentinel_rules.h — test helper: the `query` fields of Sentinel analytics rule YAML files
 * (read with libyaml), and where the shared data lives.
 *
 * Ownership: sentinel_rules_load returns a malloc'd array whose strings it owns;
 * release it with sentinel_rules_free.
 */
#ifndef SP_TEST_SENTINEL_RULES_H
#define SP_TEST_SENTINEL_RULES_H

#include <stddef.h>

typedef struct sentinel_rule {
    char *path;    /* the YAML file */
    char *query;   /* the `query` scalar as YAML delivers it (indentation removed) */
    size_t len;
    int line_off;  /* query line L is file line L + line_off */
    int col_off;   /* query column C is file column C + col_off */
} sentinel_rule;

/* $SP_SHARED, or ../shared (tests run from the repository root). */
const char *test_shared_dir(void);

/* Loads every *.yaml file of dir, sorted by file name. Returns the count, or -1 if dir
 * cannot be read. A file that is not valid YAML or has no `query` is returned with query
 * NULL, so callers count it as a failure rather than lose it. */
int sentinel_rules_load(const char *dir, sentinel_rule **out);
void sentinel_rules_free(sentinel_rule *rules, int n);

#endif
