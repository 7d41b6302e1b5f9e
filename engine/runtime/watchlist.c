/* watchlist.c — Sentinel watchlists from CSV files, for `_GetWatchlist('name')`.
 *
 * Every <name>.csv of the configured folder becomes a store table `watchlist:<name>`
 * (a name no Log Analytics table can have), with Sentinel's columns: SearchKey (the
 * column named SearchKey, else the first column), every CSV column as a string, and
 * WatchlistItem (the row as a bag), as `_GetWatchlist` returns them. CSV per RFC 4180
 * (quoted fields, doubled quotes, CRLF). */
#include "engine/runtime/runtime_int.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* Splits one CSV record starting at *p; fields are appended to out (unescaped) with their
 * lengths in lens. Returns the number of fields, and advances *p past the record. */
static int csv_record(const char **p, const char *end, sp_buf *out, size_t *starts, size_t *lens, int cap)
{
    int n = 0;
    const char *s = *p;
    out->len = 0;
    for (;;) {
        size_t start = out->len;
        if (s < end && *s == '"') {
            s++;
            while (s < end) {
                if (*s == '"') {
                    if (s + 1 < end && s[1] == '"') {
                        sp_buf_putc(out, '"');
                        s += 2;
                        continue;
                    }
                    s++;
                    break;
                }
                sp_buf_putc(out, *s++);
            }
            while (s < end && *s != ',' && *s != '\n' && *s != '\r')
                s++;
        } else {
            while (s < end && *s != ',' && *s != '\n' && *s != '\r')
                sp_buf_putc(out, *s++);
        }
        if (n < cap) {
            starts[n] = start;
            lens[n] = out->len - start;
        }
        n++;
        if (s < end && *s == ',') {
            s++;
            continue;
        }
        break;
    }
    while (s < end && (*s == '\r' || *s == '\n'))
        s++;
    *p = s;
    return n < cap ? n : cap;
}

static int load_one(sp_store *store, const char *path, const char *name, rt_diag_cb cb, void *ctx)
{
    sp_buf text = {0};
    if (sp_read_file(path, &text) != 0) {
        sp_diag d = {0};
        sp_diag_set(&d, path, 0, 0, "cannot read the watchlist");
        if (cb)
            cb(ctx, &d);
        return -1;
    }
    const char *p = text.data, *end = text.data + text.len;
    if (text.len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    enum { MAXC = 256 };
    size_t hs[MAXC], hl[MAXC], fs[MAXC], fl[MAXC];
    sp_buf head = {0}, row = {0}, bag = {0};
    int nh = csv_record(&p, end, &head, hs, hl, MAXC);
    char tname[300];
    snprintf(tname, sizeof tname, "watchlist:%s", name);
    sp_table *t = sp_store_table(store, tname);
    sp_builder *b = sp_builder_new(t);
    int key = 0;
    for (int i = 0; i < nh; i++)
        if (sp_streq(head.data + hs[i], hl[i], "SearchKey", 9))
            key = i;
    int *cols = sp_xcalloc((size_t)nh + 1, sizeof(int));
    int ksc = sp_builder_column(b, "SearchKey", 9, SP_TYPE_STRING);
    for (int i = 0; i < nh; i++)
        cols[i] = sp_builder_column(b, head.data + hs[i], hl[i], SP_TYPE_STRING);
    int bagc = sp_builder_column(b, "WatchlistItem", 13, SP_TYPE_DYNAMIC);
    while (p < end) {
        int nf = csv_record(&p, end, &row, fs, fl, MAXC);
        if (nf == 1 && fl[0] == 0)
            continue; /* blank line */
        sp_builder_begin_row(b);
        bag.len = 0;
        sp_buf_putc(&bag, '{');
        for (int i = 0; i < nh && i < nf; i++) {
            sp_builder_set_string(b, cols[i], row.data + fs[i], fl[i]);
            if (i)
                sp_buf_putc(&bag, ',');
            sp_buf_json_string(&bag, head.data + hs[i], hl[i]);
            sp_buf_putc(&bag, ':');
            sp_buf_json_string(&bag, row.data + fs[i], fl[i]);
        }
        sp_buf_putc(&bag, '}');
        if (key < nf)
            sp_builder_set_string(b, ksc, row.data + fs[key], fl[key]);
        sp_builder_set_json(b, bagc, bag.data, bag.len);
        sp_builder_end_row(b, NULL);
    }
    sp_builder_free(b);
    free(cols);
    sp_buf_free(&head);
    sp_buf_free(&row);
    sp_buf_free(&bag);
    sp_buf_free(&text);
    return 0;
}

int rt_watchlists_load(sp_store *store, const char *dir, rt_diag_cb cb, void *ctx)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0) {
        sp_diag d = {0};
        sp_diag_set(&d, dir, 0, 0, "cannot read the watchlist folder");
        if (cb)
            cb(ctx, &d);
        return -1;
    }
    int loaded = 0;
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        size_t l = strlen(nm);
        if (l > 4 && !strcmp(nm + l - 4, ".csv")) {
            char path[4096], name[256];
            snprintf(path, sizeof path, "%s/%s", dir, nm);
            snprintf(name, sizeof name, "%.*s", (int)(l - 4), nm);
            if (load_one(store, path, name, cb, ctx) == 0)
                loaded++;
        }
        free(ents[i]);
    }
    free(ents);
    return loaded;
}
