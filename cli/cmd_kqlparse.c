/* cmd_kqlparse.c — `socpipe kql-parse [--file F] ['KQL']`: parse one KQL query and print
 * its syntax tree as an S-expression, or the syntax error with line:col and a caret
 * (exit 2). A development aid for the KQL front end; `explain` will grow out of it. */
#include "cli/cli.h"
#include "engine/kql/kql.h"

#include <stdio.h>
#include <string.h>

int cmd_kqlparse(int argc, char **argv)
{
    const char *file = NULL, *text = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (cli_opt_value(argc, argv, &i, "--file", &v))
            file = v;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: socpipe kql-parse [--file F|-] ['KQL']\n");
            return SP_EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1] == '-')
            return cli_usage_error("kql-parse: unknown option '%s'", argv[i]);
        else if (text)
            return cli_usage_error("kql-parse: give one query (quote it)");
        else
            text = argv[i];
    }
    if (!file == !text)
        return cli_usage_error("usage: socpipe kql-parse [--file F|-] ['KQL']");
    sp_buf src = {0};
    if (file) {
        if (sp_read_file(file, &src) != 0) {
            fprintf(stderr, "socpipe: kql-parse: cannot read '%s'\n", file);
            return SP_EXIT_FAIL;
        }
    } else {
        sp_buf_puts(&src, text);
    }
    sp_arena arena = {0};
    kql_query *q = NULL;
    sp_diag err = {0};
    int rc = SP_EXIT_OK;
    if (kql_parse(src.data ? src.data : "", src.len, &arena, &q, &err) != 0) {
        snprintf(err.file, sizeof err.file, "%s", file ? file : "<query>");
        sp_diag_print(stderr, &err);
        rc = SP_EXIT_USAGE;
    } else {
        sp_buf out = {0};
        kql_ast_dump(&out, q);
        sp_buf_putc(&out, '\n');
        fwrite(out.data, 1, out.len, stdout);
        sp_buf_free(&out);
    }
    sp_arena_free(&arena);
    sp_buf_free(&src);
    return rc;
}
