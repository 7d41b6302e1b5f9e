/* diag.c — positioned diagnostics printed like a compiler.
 *
 * Query, rule and configuration errors all carry file:line:col so a user can jump to the
 * spot; the printer shows the offending source line with a caret under the column,
 * as jq and Lua do.
 */
#include "engine/core/core.h"

#include <string.h>

void sp_diag_set(sp_diag *d, const char *file, int line, int col, const char *fmt, ...)
{
    snprintf(d->file, sizeof d->file, "%s", file ? file : "");
    d->line = line;
    d->col = col;
    if (d->span < 1)
        d->span = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
}

void sp_text_pos(const char *text, size_t len, size_t offset, int *line, int *col)
{
    int l = 1, c = 1;
    if (offset > len)
        offset = len;
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

void sp_diag_attach_source(sp_diag *d, const char *text, size_t len)
{
    d->source_line[0] = 0;
    if (!text || d->line < 1)
        return;
    const char *p = text, *end = text + len;
    for (int l = 1; l < d->line && p < end; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return;
        p = nl + 1;
    }
    const char *e = p;
    while (e < end && *e != '\n' && *e != '\r')
        e++;
    size_t n = SP_MIN((size_t)(e - p), sizeof d->source_line - 1);
    memcpy(d->source_line, p, n);
    d->source_line[n] = 0;
}

void sp_diag_print(FILE *f, const sp_diag *d)
{
    const char *kind = d->is_warning ? "warning: " : "";
    if (d->file[0] && d->line > 0)
        fprintf(f, "%s:%d:%d: %s%s\n", d->file, d->line, d->col, kind, d->msg);
    else if (d->line > 0)
        fprintf(f, "%d:%d: %s%s\n", d->line, d->col, kind, d->msg);
    else if (d->file[0])
        fprintf(f, "%s: %s%s\n", d->file, kind, d->msg);
    else
        fprintf(f, "%s%s\n", kind, d->msg);
    if (!d->source_line[0] || d->col < 1)
        return;
    fprintf(f, "  %s\n  ", d->source_line);
    /* Keep tabs so the caret lines up under the column in a terminal. */
    size_t n = strlen(d->source_line);
    for (int i = 1; i < d->col; i++)
        fputc((size_t)(i - 1) < n && d->source_line[i - 1] == '\t' ? '\t' : ' ', f);
    fputc('^', f);
    for (int i = 1; i < d->span; i++)
        fputc('~', f);
    fputc('\n', f);
}
