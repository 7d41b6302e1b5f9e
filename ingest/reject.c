/* reject.c — rejected records: counted by reason, reported with their origin, kept in the
 * dead-letter file.
 *
 * Bad data is data (STYLE.md): ingest never stops on it. Each rejection increments the
 * worker's counter for its reason; the first report_limit of each reason are printed
 * (`socpipe: rejected file.ndjson:12: invalid_json: ...`), the rest only counted and
 * summarised at the end. With a dead-letter file every rejected record is appended as one
 * JSON line {"origin","reason","detail","record"}, where "record" is the raw text as a
 * JSON string; raw bytes that are not UTF-8 are also given exactly in "record_base64", so
 * a dead-letter file can always be replayed byte for byte.
 *
 * The reason is decided by sp_json_compact where possible (it reports the first problem
 * with its offset, and is stricter than simdjson), so "too_deep" and "invalid_utf8" are
 * told apart from general syntax errors.
 *
 * Records too large to hold in memory are streamed to the dead-letter file as they are
 * read (ing_dl_*): the escaped text goes straight out, a copy of the raw bytes goes to a
 * temporary file in case they turn out not to be UTF-8 and need the base64 form.
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

ing_reason ing_reason_of_compact(const char *why)
{
    if (why && !strcmp(why, "nesting too deep"))
        return ING_REJ_TOO_DEEP;
    if (why && !strcmp(why, "invalid UTF-8"))
        return ING_REJ_INVALID_UTF8;
    return ING_REJ_INVALID_JSON;
}

ing_reason ing_classify(ing_worker *w, const char *raw, size_t len, int max_depth,
                        ing_reason fallback, const char *fallback_detail, char *detail,
                        size_t dsize)
{
    size_t off;
    const char *why;
    w->tmp.len = 0;
    if (!sp_utf8_valid(raw, len)) {
        /* Invalid bytes win over whatever else is wrong: the record needs base64 to be
         * kept exactly. Locate the first bad byte for the report. */
        size_t at = 0;
        while (at < len) {
            unsigned c = (unsigned char)raw[at];
            size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
            if (!k || k > len - at || !sp_utf8_valid(raw + at, k))
                break;
            at += k;
        }
        snprintf(detail, dsize, "invalid UTF-8 at byte %zu", at);
        return ING_REJ_INVALID_UTF8;
    }
    if (sp_json_compact(raw, len, max_depth, &w->tmp, &off, &why) != 0) {
        snprintf(detail, dsize, "%s at byte %zu", why, off);
        return ing_reason_of_compact(why);
    }
    snprintf(detail, dsize, "%s", fallback_detail);
    return fallback;
}

/* Prints the report line for one rejection if the reason is still under its limit. Call
 * with g->mu held. */
static void report_locked(ing *g, ing_reason why, const ing_origin *o, const char *detail)
{
    uint64_t n = ++g->reported[why];
    if (g->report_limit < 0 || n > (uint64_t)g->report_limit)
        return;
    char org[512];
    ing_origin_format(o, org, sizeof org);
    fprintf(g->report, "socpipe: rejected %s: %s: %s\n", org, ing_reason_name(why), detail);
}

static void dl_head(sp_buf *b, ing_reason why, const ing_origin *o, const char *detail)
{
    char org[512];
    size_t n = ing_origin_format(o, org, sizeof org);
    sp_buf_puts(b, "{\"origin\":");
    sp_buf_json_string(b, org, n);
    sp_buf_puts(b, ",\"reason\":\"");
    sp_buf_puts(b, ing_reason_name(why));
    sp_buf_puts(b, "\",\"detail\":");
    sp_buf_json_string(b, detail, strlen(detail));
    sp_buf_puts(b, ",\"record\":");
}

static void base64_append(sp_buf *b, const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    sp_buf_reserve(b, (n + 2) / 3 * 4);
    char *o = b->data + b->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = tab[v >> 18];
        *o++ = tab[(v >> 12) & 63];
        *o++ = tab[(v >> 6) & 63];
        *o++ = tab[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = tab[v >> 18];
        *o++ = tab[(v >> 12) & 63];
        *o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    b->len = (size_t)(o - b->data);
}

void ing_reject(ing_worker *w, ing_reason why, const ing_origin *o, const char *detail,
                const char *raw, size_t len)
{
    ing *g = w->g;
    w->cnt.by_reason[why]++;
    sp_buf line = {0};
    if (g->dead) {
        dl_head(&line, why, o, detail);
        sp_buf_json_string(&line, raw, len);
        if (!sp_utf8_valid(raw, len)) {
            sp_buf_puts(&line, ",\"record_base64\":\"");
            base64_append(&line, (const unsigned char *)raw, len);
            sp_buf_putc(&line, '"');
        }
        sp_buf_puts(&line, "}\n");
    }
    pthread_mutex_lock(&g->mu);
    report_locked(g, why, o, detail);
    if (g->dead) {
        fwrite(line.data, 1, line.len, g->dead);
        g->totals.dead_letters++;
    }
    pthread_mutex_unlock(&g->mu);
    sp_buf_free(&line);
}

void ing_report_summary(ing *g)
{
    pthread_mutex_lock(&g->mu);
    for (int r = 0; r < ING_REJ_COUNT; r++) {
        uint64_t lim = g->report_limit < 0 ? 0 : (uint64_t)g->report_limit;
        if (g->report_limit >= 0 && g->reported[r] > lim)
            fprintf(g->report, "socpipe: %llu more %s records not shown\n",
                    (unsigned long long)(g->reported[r] - lim), ing_reason_name((ing_reason)r));
    }
    pthread_mutex_unlock(&g->mu);
}

/* ---- streamed dead letters ------------------------------------------------------------- */

struct ing_dl_stream {
    ing *g;
    FILE *raw;          /* copy of the raw bytes, for record_base64 */
    bool valid;         /* all bytes so far are UTF-8 */
    unsigned char carry[4];
    size_t ncarry;      /* an incomplete UTF-8 sequence held for the next chunk */
    sp_buf out;
};

ing_dl_stream *ing_dl_begin(ing_worker *w, ing_reason why, const ing_origin *o, const char *detail)
{
    ing *g = w->g;
    w->cnt.by_reason[why]++;
    pthread_mutex_lock(&g->mu); /* held until ing_dl_end so the entry stays one line */
    report_locked(g, why, o, detail);
    if (!g->dead) {
        pthread_mutex_unlock(&g->mu);
        return NULL;
    }
    ing_dl_stream *s = sp_xcalloc(1, sizeof *s);
    s->g = g;
    s->valid = true;
    s->raw = tmpfile();
    dl_head(&s->out, why, o, detail);
    sp_buf_putc(&s->out, '"');
    fwrite(s->out.data, 1, s->out.len, g->dead);
    return s;
}

/* Length of the incomplete UTF-8 sequence at the end of p[0..n), 0 if none. */
static size_t incomplete_tail(const unsigned char *p, size_t n)
{
    for (size_t k = 1; k <= 3 && k <= n; k++) {
        unsigned c = p[n - k];
        if ((c & 0xC0) == 0x80)
            continue; /* a continuation byte: keep looking for the lead */
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return need > k ? k : 0;
    }
    return 0;
}

static void dl_emit(ing_dl_stream *s, const unsigned char *p, size_t n)
{
    if (!n)
        return;
    if (s->valid && !sp_utf8_valid((const char *)p, n))
        s->valid = false;
    s->out.len = 0;
    sp_buf_json_string(&s->out, (const char *)p, n);
    /* drop the quotes sp_buf_json_string adds around the text */
    fwrite(s->out.data + 1, 1, s->out.len - 2, s->g->dead);
}

void ing_dl_write(ing_dl_stream *s, const char *data, size_t n)
{
    if (!s || !n)
        return;
    const unsigned char *p = (const unsigned char *)data;
    if (s->raw)
        fwrite(p, 1, n, s->raw);
    /* Complete the sequence held from the previous chunk first. */
    while (s->ncarry && n) {
        s->carry[s->ncarry++] = *p++;
        n--;
        size_t tail = incomplete_tail(s->carry, s->ncarry);
        if (!tail || s->ncarry == 4) {
            dl_emit(s, s->carry, s->ncarry);
            s->ncarry = 0;
        }
    }
    size_t tail = incomplete_tail(p, n);
    dl_emit(s, p, n - tail);
    memcpy(s->carry + s->ncarry, p + n - tail, tail);
    s->ncarry += tail;
}

void ing_dl_end(ing_dl_stream *s)
{
    if (!s)
        return;
    ing *g = s->g;
    dl_emit(s, s->carry, s->ncarry);
    fputc('"', g->dead);
    if (!s->valid && s->raw) {
        fputs(",\"record_base64\":\"", g->dead);
        rewind(s->raw);
        unsigned char chunk[3 * 21846];
        size_t k;
        sp_buf b = {0};
        while ((k = fread(chunk, 1, sizeof chunk, s->raw)) > 0) {
            b.len = 0;
            base64_append(&b, chunk, k);
            fwrite(b.data, 1, b.len, g->dead);
        }
        sp_buf_free(&b);
        fputc('"', g->dead);
    }
    fputs("}\n", g->dead);
    g->totals.dead_letters++;
    pthread_mutex_unlock(&g->mu);
    if (s->raw)
        fclose(s->raw);
    sp_buf_free(&s->out);
    free(s);
}
