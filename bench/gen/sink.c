/* sink.c — where generated NDJSON goes: stdout, a file, or a zstd-compressed file.
 *
 * Benchmarks write gigabytes, so output is buffered in 1 MiB blocks and, for `.zst`
 * paths, compressed with libzstd's streaming API (ZSTD_compressStream2) one block at a
 * time: memory stays flat and the result is one standard zstd frame that `zstd -d` and
 * the ingest file source read.
 */
#include "bench/gen/gen_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define SINK_BLOCK (1u << 20)

struct gen_sink {
    FILE *f;
    bool own;          /* close f at the end */
    ZSTD_CCtx *zc;     /* NULL = plain output */
    char *buf;         /* pending uncompressed bytes */
    size_t len;
    char *zbuf;        /* compressed output buffer */
    size_t zcap;
    uint64_t bytes_in;
    bool failed;
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

int gen_sink_open(const char *path, int zstd_level, gen_sink **out, sp_diag *diag)
{
    *out = NULL;
    gen_sink *s = sp_xcalloc(1, sizeof *s);
    if (!path || !strcmp(path, "-")) {
        s->f = stdout;
    } else {
        s->f = fopen(path, "wb");
        if (!s->f) {
            sp_diag_set(diag, path, 0, 0, "cannot open for writing: %s", strerror(errno));
            free(s);
            return -1;
        }
        s->own = true;
        if (ends_with(path, ".zst")) {
            s->zc = ZSTD_createCCtx();
            int level = zstd_level > 0 ? zstd_level : 3;
            if (!s->zc || ZSTD_isError(ZSTD_CCtx_setParameter(s->zc, ZSTD_c_compressionLevel, level))) {
                sp_diag_set(diag, path, 0, 0, "cannot set up zstd compression (level %d)", level);
                if (s->zc)
                    ZSTD_freeCCtx(s->zc);
                fclose(s->f);
                free(s);
                return -1;
            }
            s->zcap = ZSTD_CStreamOutSize();
            s->zbuf = sp_xmalloc(s->zcap);
        }
    }
    s->buf = sp_xmalloc(SINK_BLOCK);
    *out = s;
    return 0;
}

static int compress_block(gen_sink *s, const char *p, size_t n, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = {p, n, 0};
    for (;;) {
        ZSTD_outBuffer o = {s->zbuf, s->zcap, 0};
        size_t rem = ZSTD_compressStream2(s->zc, &o, &in, mode);
        if (ZSTD_isError(rem)) {
            errno = EIO;
            return -1;
        }
        if (o.pos && fwrite(s->zbuf, 1, o.pos, s->f) != o.pos)
            return -1;
        if (mode == ZSTD_e_end ? rem == 0 : in.pos == in.size)
            return 0;
    }
}

static int flush_block(gen_sink *s, bool last)
{
    int rc = 0;
    if (s->zc)
        rc = compress_block(s, s->buf, s->len, last ? ZSTD_e_end : ZSTD_e_continue);
    else if (s->len && fwrite(s->buf, 1, s->len, s->f) != s->len)
        rc = -1;
    s->len = 0;
    if (rc)
        s->failed = true;
    return rc;
}

int gen_sink_write(gen_sink *s, const void *p, size_t n)
{
    const char *c = p;
    s->bytes_in += n;
    while (n) {
        size_t k = SP_MIN(n, (size_t)SINK_BLOCK - s->len);
        memcpy(s->buf + s->len, c, k);
        s->len += k;
        c += k;
        n -= k;
        if (s->len == SINK_BLOCK && flush_block(s, false))
            return -1;
    }
    return s->failed ? -1 : 0;
}

uint64_t gen_sink_bytes_in(const gen_sink *s)
{
    return s->bytes_in;
}

int gen_sink_close(gen_sink *s)
{
    if (!s)
        return 0;
    int rc = s->failed ? -1 : 0;
    if (flush_block(s, true))
        rc = -1;
    if (fflush(s->f))
        rc = -1;
    if (s->own && fclose(s->f))
        rc = -1;
    if (s->zc)
        ZSTD_freeCCtx(s->zc);
    free(s->zbuf);
    free(s->buf);
    free(s);
    return rc;
}
