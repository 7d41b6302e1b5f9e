/* jsonv.h — a small JSON tree for tests: parse expected and actual output, compare
 * values the way the conformance suites define (numbers by value, objects without
 * regard to key order). Everything is malloc'd; jv_free releases a tree. */
#ifndef SP_TEST_JSONV_H
#define SP_TEST_JSONV_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ } jv_kind;

typedef struct jv {
    jv_kind kind;
    bool b;
    double num;
    char *str; /* JV_STR: text; JV_OBJ: unused */
    size_t len;
    struct jv **items; /* JV_ARR elements, JV_OBJ values */
    char **keys;       /* JV_OBJ keys */
    size_t n;
} jv;

/* Parses one JSON value (the whole text); NULL on a syntax error. */
jv *jv_parse(const char *text, size_t len);
void jv_free(jv *v);
/* Equal values; approx compares numbers with a relative tolerance of 1e-9. */
bool jv_equal(const jv *a, const jv *b, bool approx);
/* Appends a compact rendering to a malloc'd string (for messages). */
char *jv_render(const jv *v);

#endif
