/* source.c — input files: plain or zstd NDJSON, stdin, and single pretty-printed JSON
 * documents, cut into documents for the parser without copying them.
 *
 * One worker buffer of max_record_bytes + 1 MiB (+ simdjson's padding) holds the input.
 * Lines are found with memchr and parsed in place: the padding simdjson wants after a
 * document is simply the bytes that follow it in the buffer, so the common path copies
 * nothing. When no newline is left, the partial line moves to the front and the rest of
 * the buffer is refilled (read(2), or ZSTD_decompressStream for zstd input, recognised
 * by its magic bytes rather than the file name).
 *
 * A line longer than max_record_bytes is never held whole: once the buffer holds more than
 * the limit without a newline, the line is rejected as too_large and its bytes stream
 * straight into the dead-letter file until the newline.
 *
 * Line handling: blank lines are skipped, a trailing CR is dropped (CRLF files), a UTF-8
 * BOM at the start of the file is skipped.
 *
 * Document mode: a file whose first line opens a JSON array without closing it and ends in
 * `{`, `[`, `,` or `:` (`[`, `[{"a": 1},`), or opens an object and ends in `{` or `[`
 * (`{`, `{"records": [`), is read as JSON text, not lines — that is what pretty-printers
 * and array exporters write, while a first line ending any other way is a (possibly
 * truncated) NDJSON record. The elements of a top-level array (and top-level
 * values written one after another, as `jq .` prints a stream) become documents of their
 * own, each with the line where it starts, so one bad element rejects only itself. A
 * first line that is a complete value, or ends any other way (a truncated record), means
 * NDJSON.
 */
#include "ingest/ingest_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define READ_CHUNK ((size_t)1 << 20)

typedef struct src {
    int fd;
    const char *name;
    bool zstd;
    ZSTD_DStream *zs;
    char *zin;
    ZSTD_inBuffer in;
    bool raw_eof;
    size_t zret; /* last hint from ZSTD_decompressStream: 0 when a frame just ended */
    bool eof;
} src;

static inline bool is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static ssize_t read_fd(int fd, char *dst, size_t n)
{
    for (;;) {
        ssize_t k = read(fd, dst, n);
        if (k >= 0 || errno != EINTR)
            return k;
    }
}

/* Reads up to n bytes of (decompressed) input. Returns the count, 0 at the end, -1 on
 * error with d filled. */
static ssize_t src_fill(src *s, char *dst, size_t n, sp_diag *d)
{
    if (!s->zstd) {
        ssize_t k = read_fd(s->fd, dst, n);
        if (k < 0)
            sp_diag_set(d, s->name, 0, 0, "read error: %s", strerror(errno));
        return k;
    }
    for (;;) {
        if (s->in.pos == s->in.size && !s->raw_eof) {
            ssize_t k = read_fd(s->fd, s->zin, READ_CHUNK);
            if (k < 0) {
                sp_diag_set(d, s->name, 0, 0, "read error: %s", strerror(errno));
                return -1;
            }
            s->in.size = (size_t)k;
            s->in.pos = 0;
            if (k == 0)
                s->raw_eof = true;
        }
        if (s->raw_eof && s->in.pos == s->in.size) {
            if (s->zret != 0) {
                sp_diag_set(d, s->name, 0, 0, "truncated zstd stream");
                return -1;
            }
            return 0;
        }
        ZSTD_outBuffer out = {dst, n, 0};
        size_t r = ZSTD_decompressStream(s->zs, &out, &s->in);
        if (ZSTD_isError(r)) {
            sp_diag_set(d, s->name, 0, 0, "zstd: %s", ZSTD_getErrorName(r));
            return -1;
        }
        s->zret = r;
        if (out.pos)
            return (ssize_t)out.pos;
    }
}

static bool is_bom(const char *p, size_t n)
{
    return n >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
           (unsigned char)p[2] == 0xBF;
}

/* One NDJSON line (without its newline). */
static void handle_line(ing_worker *w, const char *p, size_t n, size_t capacity, const char *name,
                        uint64_t lineno)
{
    if (n && p[n - 1] == '\r')
        n--;
    if (lineno == 1 && is_bom(p, n)) {
        p += 3;
        n -= 3;
        capacity -= 3;
    }
    size_t i = 0;
    while (i < n && is_ws(p[i]))
        i++;
    if (i == n)
        return; /* blank */
    ing_origin o = {.source = name, .line = lineno};
    ing_ingest_doc(w, p, n, capacity, &o);
}

/* Buffer geometry of a worker: data capacity and total allocation (with padding). */
static size_t data_cap(const ing *g)
{
    return g->max_record_bytes + 2 + READ_CHUNK;
}

/* Compacts [start, end) to the front and reads more behind it. Returns bytes read, 0 at
 * the end, -1 on error. */
static ssize_t refill(ing_worker *w, src *s, size_t *start, size_t *end, sp_diag *d)
{
    char *buf = w->rbuf;
    if (*start) {
        memmove(buf, buf + *start, *end - *start);
        *end -= *start;
        *start = 0;
    }
    ssize_t k = src_fill(s, buf + *end, data_cap(w->g) - *end, d);
    if (k > 0) {
        *end += (size_t)k;
        w->cnt.bytes += (uint64_t)k;
    } else if (k == 0) {
        s->eof = true;
    }
    return k;
}

/* The line starting at *start has no newline within max_record_bytes: reject it and
 * stream it to the dead-letter file up to its newline. */
static int skip_oversize(ing_worker *w, src *s, size_t *start, size_t *end, uint64_t lineno,
                         sp_diag *d)
{
    ing_origin o = {.source = s->name, .line = lineno};
    char detail[120];
    snprintf(detail, sizeof detail, "line longer than the limit of %zu bytes", w->g->max_record_bytes);
    w->cnt.documents++;
    w->cnt.records++;
    ing_dl_stream *ds = ing_dl_begin(w, ING_REJ_TOO_LARGE, &o, detail);
    char *buf = w->rbuf;
    for (;;) {
        char *p = buf + *start;
        size_t avail = *end - *start;
        char *nl = memchr(p, '\n', avail);
        if (nl) {
            size_t n = (size_t)(nl - p);
            if (n && p[n - 1] == '\r')
                n--;
            ing_dl_write(ds, p, n);
            *start += (size_t)(nl - p) + 1;
            break;
        }
        if (s->eof) {
            ing_dl_write(ds, p, avail);
            *start = *end;
            break;
        }
        /* Keep the last byte back: it may be the CR of a CRLF. */
        if (avail > 1) {
            ing_dl_write(ds, p, avail - 1);
            *start += avail - 1;
        }
        if (refill(w, s, start, end, d) < 0) {
            ing_dl_end(ds);
            return -1;
        }
    }
    ing_dl_end(ds);
    return 0;
}

static int run_lines(ing_worker *w, src *s, size_t start, size_t end, sp_diag *d)
{
    const size_t total = w->rcap, maxl = w->g->max_record_bytes;
    uint64_t lineno = 1;
    for (;;) {
        char *buf = w->rbuf, *p = buf + start;
        size_t avail = end - start;
        char *nl = memchr(p, '\n', avail);
        if (nl) {
            handle_line(w, p, (size_t)(nl - p), total - start, s->name, lineno);
            lineno++;
            start += (size_t)(nl - p) + 1;
            continue;
        }
        if (s->eof) {
            if (avail)
                handle_line(w, p, avail, total - start, s->name, lineno);
            return 0;
        }
        if (avail > maxl + 1) {
            if (skip_oversize(w, s, &start, &end, lineno, d) < 0)
                return -1;
            lineno++;
            continue;
        }
        if (refill(w, s, &start, &end, d) < 0)
            return -1;
    }
}

/* ---- document mode ------------------------------------------------------------------------ */

/* Does the buffered start of the file look like a pretty-printed document? */
static bool looks_pretty(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && is_ws(p[i]))
        i++;
    if (i >= n || (p[i] != '[' && p[i] != '{'))
        return false;
    size_t first = i;
    int depth = 0;
    bool in_str = false, esc = false;
    char last = 0;
    for (; i < n && p[i] != '\n'; i++) {
        char c = p[i];
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
            last = c;
            continue;
        }
        if (c == '"')
            in_str = true;
        else if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && --depth <= 0)
            return false; /* the first line closes its value: NDJSON */
        if (!is_ws(c))
            last = c;
    }
    if (i >= n || depth <= 0 || in_str)
        return false;
    /* `[` or `{` alone, an array left open, or an object whose first line opens a nested
     * container (`{"records": [`). An object line ending in `,` or `:` is more likely a
     * truncated NDJSON record. */
    if (p[first] == '[')
        return last == '{' || last == '[' || last == ',' || last == ':';
    return last == '{' || last == '[';
}

typedef struct docscan {
    bool started, in_array;
    bool in_value, in_str, esc;
    int depth;
    size_t vstart;    /* value start (buffer offset), or how far it was streamed */
    uint64_t vline;
    ing_dl_stream *ds; /* an oversize value being streamed */
    bool oversize;
} docscan;

static void emit_value(ing_worker *w, src *s, docscan *st, size_t vend)
{
    char *buf = w->rbuf;
    if (st->oversize) {
        ing_dl_write(st->ds, buf + st->vstart, vend - st->vstart);
        ing_dl_end(st->ds);
        st->ds = NULL;
        st->oversize = false;
    } else {
        ing_origin o = {.source = s->name, .line = st->vline};
        ing_ingest_doc(w, buf + st->vstart, vend - st->vstart, w->rcap - st->vstart, &o);
    }
    st->in_value = false;
}

static int run_document(ing_worker *w, src *s, size_t start, size_t end, sp_diag *d)
{
    docscan st = {0};
    uint64_t lineno = 1;
    size_t pos = start;
    const size_t maxl = w->g->max_record_bytes;
    if (is_bom(w->rbuf + pos, end - pos))
        pos += 3;
    for (;;) {
        char *buf = w->rbuf;
        while (pos < end) {
            char c = buf[pos];
            if (!st.in_value) {
                if (c == '\n')
                    lineno++;
                if (is_ws(c) || (st.in_array && c == ',')) {
                    pos++;
                    continue;
                }
                if (!st.started && c == '[') {
                    st.started = st.in_array = true;
                    pos++;
                    continue;
                }
                st.started = true;
                if (st.in_array && c == ']') {
                    st.in_array = false;
                    pos++;
                    continue;
                }
                st.in_value = true;
                st.in_str = st.esc = false;
                st.depth = 0;
                st.vstart = pos;
                st.vline = lineno;
                if (c == '"') {
                    st.in_str = true;
                    pos++;
                    continue;
                }
            }
            /* inside a value */
            if (st.in_str) {
                if (c == '\n')
                    lineno++;
                if (st.esc)
                    st.esc = false;
                else if (c == '\\')
                    st.esc = true;
                else if (c == '"') {
                    st.in_str = false;
                    if (st.depth == 0) {
                        emit_value(w, s, &st, pos + 1);
                        buf = w->rbuf;
                    }
                }
                pos++;
                continue;
            }
            if (c == '"') {
                st.in_str = true;
            } else if (c == '{' || c == '[') {
                st.depth++;
            } else if (c == '}' || c == ']') {
                if (st.depth == 0) { /* a scalar ended by a closer (or a stray closer) */
                    if (pos == st.vstart)
                        pos++; /* a stray closer is a (bad) value of its own */
                    emit_value(w, s, &st, pos);
                    continue;
                }
                if (--st.depth == 0) {
                    emit_value(w, s, &st, pos + 1);
                    pos++;
                    continue;
                }
            } else if (st.depth == 0 && (is_ws(c) || c == ',')) {
                emit_value(w, s, &st, pos); /* a scalar ends here; the byte is reread */
                continue;
            } else if (c == '\n') {
                lineno++;
            }
            pos++;
        }
        /* The buffer is consumed up to end. */
        if (s->eof) {
            if (st.in_value)
                emit_value(w, s, &st, end); /* truncated: the parser rejects it */
            return 0;
        }
        if (st.in_value && !st.oversize && pos - st.vstart > maxl) {
            ing_origin o = {.source = s->name, .line = st.vline};
            char detail[120];
            snprintf(detail, sizeof detail, "value longer than the limit of %zu bytes", maxl);
            w->cnt.documents++;
            w->cnt.records++;
            st.ds = ing_dl_begin(w, ING_REJ_TOO_LARGE, &o, detail);
            st.oversize = true;
        }
        if (st.oversize) {
            ing_dl_write(st.ds, w->rbuf + st.vstart, pos - st.vstart);
            st.vstart = pos;
        }
        size_t keep = st.in_value ? st.vstart : pos;
        size_t s0 = keep;
        ssize_t k = refill(w, s, &s0, &end, d);
        /* everything moved down by keep */
        pos -= keep;
        if (st.in_value)
            st.vstart -= keep;
        if (k < 0) {
            if (st.oversize)
                ing_dl_end(st.ds);
            return -1;
        }
    }
}

/* ---- mapped files ------------------------------------------------------------------------- */

/* A regular, plain NDJSON file is mapped and parsed in place: no copy out of the page cache
 * (the read path's largest single cost), and simdjson's padding is simply the bytes that
 * follow each line, except near the end of the file, where handle_line's capacity makes
 * the parser copy. Returns 1 when the file was handled, 0 to fall back to reading. */
static int run_mapped(ing_worker *w, const char *path, sp_diag *d)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 4) {
        close(fd);
        return 0;
    }
    size_t size = (size_t)st.st_size;
    char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return 0;
    static const unsigned char zmagic[4] = {0x28, 0xB5, 0x2F, 0xFD};
    size_t skip = is_bom(map, size) ? 3 : 0;
    if (!memcmp(map, zmagic, 4) || looks_pretty(map + skip, SP_MIN(size - skip, (size_t)65536))) {
        munmap(map, size);
        return 0; /* zstd and whole-document files take the streaming path */
    }
    madvise(map, size, MADV_SEQUENTIAL);
    w->cnt.bytes += size;
    const size_t maxl = w->g->max_record_bytes, page = 4096, step = (size_t)16 << 20;
    uint64_t lineno = 1;
    const char *p = map, *end = map + size, *dropped = map, *populated = map;
    while (p < end) {
        /* Give mapped pages back behind us: memory stays bounded on any file size. */
        if ((size_t)(p - dropped) >= step) {
            const char *upto = map + ((size_t)(p - map) & ~(page - 1));
            madvise((void *)dropped, (size_t)(upto - dropped), MADV_DONTNEED);
            dropped = upto;
        }
        if (p >= populated) {
            /* Map the next window's pages in one call instead of one fault per page. */
            const char *from = map + ((size_t)(p - map) & ~(page - 1));
            size_t len = SP_MIN(step, (size_t)(end - from));
#ifdef MADV_POPULATE_READ
            madvise((void *)from, len, MADV_POPULATE_READ);
#endif
            populated = from + len;
        }
        size_t window = SP_MIN((size_t)(end - p), maxl + 2);
        const char *nl = memchr(p, '\n', window);
        if (!nl && (size_t)(end - p) > maxl + 1) {
            /* A line over the limit: streamed to the dead letters piece by piece. */
            ing_origin o = {.source = path, .line = lineno++};
            char detail[120];
            snprintf(detail, sizeof detail, "line longer than the limit of %zu bytes", maxl);
            w->cnt.documents++;
            w->cnt.records++;
            ing_dl_stream *ds = ing_dl_begin(w, ING_REJ_TOO_LARGE, &o, detail);
            for (;;) {
                size_t chunk = SP_MIN((size_t)(end - p), (size_t)1 << 20);
                const char *n2 = memchr(p, '\n', chunk);
                size_t len = n2 ? (size_t)(n2 - p) : chunk;
                size_t wlen = n2 && len && p[len - 1] == '\r' ? len - 1 : len;
                ing_dl_write(ds, p, wlen);
                p += len;
                const char *upto = map + ((size_t)(p - map) & ~(page - 1));
                if (upto > dropped) {
                    madvise((void *)dropped, (size_t)(upto - dropped), MADV_DONTNEED);
                    dropped = upto;
                }
                if (n2) {
                    p++;
                    break;
                }
                if (p >= end)
                    break;
            }
            ing_dl_end(ds);
            continue;
        }
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        handle_line(w, p, n, (size_t)(end - p), path, lineno++);
        p += n + 1;
    }
    munmap(map, size);
    (void)d;
    return 1;
}

/* ---- entry point --------------------------------------------------------------------------- */

int ing_worker_file(ing_worker *w, const char *path, sp_diag *d)
{
    ing *g = w->g;
    src s = {0};
    bool is_stdin = strcmp(path, "-") == 0;
    if (!is_stdin && run_mapped(w, path, d))
        return 0;
    s.name = is_stdin ? "<stdin>" : path;
    s.fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (s.fd < 0) {
        sp_diag_set(d, path, 0, 0, "cannot open: %s", strerror(errno));
        return -1;
    }
    size_t need = data_cap(g) + ING_JSON_PADDING;
    if (w->rcap != need) {
        free(w->rbuf);
        w->rbuf = sp_xmalloc(need);
        w->rcap = need;
    }
    /* First bytes: enough to see a zstd magic number and, for plain text, the first line. */
    size_t end = 0;
    while (end < 4) {
        ssize_t k = read_fd(s.fd, w->rbuf + end, READ_CHUNK);
        if (k < 0) {
            sp_diag_set(d, s.name, 0, 0, "read error: %s", strerror(errno));
            goto fail;
        }
        if (k == 0) {
            s.eof = true;
            break;
        }
        end += (size_t)k;
    }
    static const unsigned char zmagic[4] = {0x28, 0xB5, 0x2F, 0xFD};
    if (end >= 4 && memcmp(w->rbuf, zmagic, 4) == 0) {
        s.zstd = true;
        s.zs = ZSTD_createDStream();
        s.zin = sp_xmalloc(READ_CHUNK + 8); /* the first read may have been longer */
        memcpy(s.zin, w->rbuf, end);
        s.in.src = s.zin;
        s.in.size = end;
        s.in.pos = 0;
        s.raw_eof = s.eof;
        s.eof = false;
        s.zret = 1;
        end = 0;
    } else {
        w->cnt.bytes += end;
    }
    /* Make sure the first line (or 64 KiB of it) is buffered before choosing the mode. */
    size_t start = 0;
    while (!s.eof && end < 65536 && !memchr(w->rbuf, '\n', end))
        if (refill(w, &s, &start, &end, d) < 0)
            goto fail;
    size_t skip = is_bom(w->rbuf, end) ? 3 : 0;
    int rc = looks_pretty(w->rbuf + skip, end - skip) ? run_document(w, &s, 0, end, d)
                                                       : run_lines(w, &s, 0, end, d);
    if (s.zs)
        ZSTD_freeDStream(s.zs);
    free(s.zin);
    if (!is_stdin)
        close(s.fd);
    return rc;
fail:
    if (s.zs)
        ZSTD_freeDStream(s.zs);
    free(s.zin);
    if (!is_stdin)
        close(s.fd);
    return -1;
}
