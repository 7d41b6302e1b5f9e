/* sentinel_rules.c — reads Sentinel analytics rules for tests: libyaml loads the document
 * and we take the root mapping's `query` scalar, plus the offset of its text in the file
 * so a parse error at query line:col can be reported at file line:col. */
#include "tests/unit/support/sentinel_rules.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

const char *test_shared_dir(void)
{
    const char *s = getenv("SP_SHARED");
    return s && *s ? s : "../shared";
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Indentation of the first non-blank line after 0-based line `line` of the file. */
static int block_indent(const unsigned char *text, size_t len, size_t line)
{
    size_t i = 0, l = 0;
    while (i < len && l <= line) {
        if (text[i] == '\n')
            l++;
        i++;
    }
    while (i < len) {
        size_t s = i;
        while (i < len && text[i] == ' ')
            i++;
        if (i < len && text[i] != '\n' && text[i] != '\r')
            return (int)(i - s);
        while (i < len && text[i] != '\n')
            i++;
        i++;
    }
    return 0;
}

static void load_one(sentinel_rule *r, const unsigned char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_parser_delete(&parser);
        return;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && root->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
             p < root->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(&doc, p->key);
            yaml_node_t *v = yaml_document_get_node(&doc, p->value);
            if (!k || !v || k->type != YAML_SCALAR_NODE || v->type != YAML_SCALAR_NODE ||
                strcmp((const char *)k->data.scalar.value, "query") != 0)
                continue;
            r->len = v->data.scalar.length;
            r->query = malloc(r->len + 1);
            memcpy(r->query, v->data.scalar.value, r->len);
            r->query[r->len] = 0;
            bool block = v->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                         v->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
            if (block) { /* text starts on the line after the `|` indicator */
                r->line_off = (int)v->start_mark.line + 1;
                r->col_off = block_indent(text, len, v->start_mark.line);
            } else {
                r->line_off = (int)v->start_mark.line;
                r->col_off = (int)v->start_mark.column + (v->data.scalar.style ==
                                                          YAML_PLAIN_SCALAR_STYLE ? 0 : 1);
            }
            break;
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
}

int sentinel_rules_load(const char *dir, sentinel_rule **out)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".yaml") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    sentinel_rule *rules = calloc(n ? n : 1, sizeof *rules);
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        size_t pl = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(pl);
        snprintf(path, pl, "%s/%s", dir, names[i]);
        free(names[i]);
        FILE *f = fopen(path, "rb");
        unsigned char *text = NULL;
        size_t len = 0;
        if (f) {
            fseek(f, 0, SEEK_END);
            long sz = ftell(f);
            fseek(f, 0, SEEK_SET);
            text = malloc(sz > 0 ? (size_t)sz : 1);
            len = sz > 0 ? fread(text, 1, (size_t)sz, f) : 0;
            fclose(f);
        }
        sentinel_rule r = {.path = path};
        if (text)
            load_one(&r, text, len);
        free(text);
        rules[count++] = r;
    }
    free(names);
    *out = rules;
    return count;
}

void sentinel_rules_free(sentinel_rule *rules, int n)
{
    for (int i = 0; i < n; i++) {
        free(rules[i].path);
        free(rules[i].query);
    }
    free(rules);
}
