/* fn_table.c — the table from builtin id to implementation, assembled from each
 * builtin file's registration list. A builtin file adds its list here (one line). */
#include "engine/exec/exec_int.h"

#include <pthread.h>

extern const kfn_reg kfn_core[];
extern const kfn_reg kfn_number[];
extern const kfn_reg kfn_time[];
extern const kfn_reg kfn_string[];
extern const kfn_reg kfn_dynamic[];
extern const kfn_reg kfn_url[];
extern const kfn_reg kfn_hash[];
extern const kfn_reg kfn_ip[];
extern const kfn_reg kfn_sigma[];
extern const kfn_reg kfn_window[];
extern const kfn_reg kfn_series[];
extern const kfn_reg kfn_tseries[];
extern const kfn_reg kfn_xml[];

static const kfn_reg *const lists[] = {
    kfn_core, kfn_number, kfn_time, kfn_string, kfn_dynamic, kfn_url, kfn_hash, kfn_ip, kfn_sigma, kfn_window, kfn_series,
    kfn_tseries, kfn_xml,
};

static kfn_impl table[KB__COUNT];
static bool present[KB__COUNT];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void)
{
    for (size_t l = 0; l < SP_ARRAY_LEN(lists); l++)
        for (const kfn_reg *r = lists[l]; (int)r->id >= 0; r++) {
            table[r->id] = r->impl;
            present[r->id] = true;
        }
}

const kfn_impl *kfn_get(kb_id id)
{
    pthread_once(&once, build);
    return (unsigned)id < KB__COUNT && present[id] ? &table[id] : NULL;
}
