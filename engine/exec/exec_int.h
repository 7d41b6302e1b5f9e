/* exec_int.h — internals of the executor: column vectors, batches, the expression
 * program and its instruction set, builtin kernels, and the operator interface. Only
 * engine/exec/ includes this.
 *
 * Execution is pull-based over batches of up to KB_BATCH rows. A batch carries column
 * vectors and a selection vector (the rows still alive); expressions compute only the
 * selected rows. Text vectors are arrays of (pointer, length) that point into chunk
 * memory or into the producer's arena, so passing a column through costs no copy.
 * Dictionary-encoded chunk columns stay encoded (KV_DICT) as long as possible: a builtin
 * whose inputs share one dictionary runs once per distinct entry, and the per-entry
 * result is cached for the rest of that chunk's batches.
 */
#ifndef SP_EXEC_INT_H
#define SP_EXEC_INT_H

#include <oniguruma.h>
#include <pthread.h>
#include <stdatomic.h>
#if defined(__SSE4_1__)
#include <smmintrin.h>
#endif

#include "engine/exec/exec.h"

#define KB_BATCH 2048

/* ---- vectors ---- */

typedef enum kv_enc {
    KV_FLAT, /* n entries */
    KV_CONST, /* one entry standing for every row */
    KV_DICT  /* row i holds dict entry codes[i] (or codes8[i]) */
} kv_enc;

typedef struct kvec kvec;
struct kvec {
    sp_type type;
    kv_enc enc;
    uint32_t n;     /* rows */
    uint8_t *valid; /* FLAT fixed-width types: bit i set = row i not null; NULL = none null */
    bool cnull;     /* KV_CONST: the constant is null */
    union {
        int64_t *l; /* int, long, datetime, timespan */
        double *r;
        uint8_t *b;
        kstr *s;    /* string, guid, dynamic (compact JSON; null dynamic = length 0) */
        void *raw;
    } d;
    const uint32_t *codes; /* KV_DICT: the codes, or NULL when codes8 holds them */
    const uint8_t *codes8; /* KV_DICT of a chunk dictionary of at most 256 entries */
    kvec *dict;            /* KV_DICT: FLAT vector of the entries */
    const void *dict_id;   /* KV_DICT: identity of the dictionary, for caching */
    /* Text bytes live in store chunks that the query's scans hold until they close (a
     * column read straight from a chunk), not in a batch arena: a consumer that closes
     * its input last may keep pointers to them. */
    bool stable_text;
    /* Presence (store.h, sp_colview), row-indexed like a FLAT vector's valid bitmap and
     * whatever the encoding: bit i of unset = row i holds no string (absent or JSON null;
     * string and guid vectors), bit i of jnull = row i was a JSON null; NULL = no such
     * row. Vectors read from the chunks of inferred tables carry them through scans,
     * compaction and gathers; vectors computed by operators have none, and the Sigma
     * presence builtins (fn_sigma.c) then read them as Kusto does. */
    const uint8_t *unset, *jnull;
    /* Table-dictionary ids (store.h, sp_tdict) of text read from a chunk column that has
     * them: row i's text is entry gids[kvec_at(v, i)] of tdict, the same id for the same
     * text in every chunk of the table. NULL where unknown: vectors computed by
     * operators, converted views, gathers with missing rows. */
    const uint32_t *gids;
    const sp_tdict *tdict;
    /* Text not materialised (d.s NULL): row i's text is where the chunk keeps it, entry
     * tent[i] (tent NULL: entry i) of the chunk view's offsets toffs and bytes tbytes, read
     * only by whoever needs it (kvec_id_text; stable_text holds); gids and tdict are set
     * and authoritative.
     * Only a scan makes such a vector, of a FLAT text column the plan marked
     * kp.scan_idonly, for the one summarize above it that groups or dcounts by id; no
     * other operator ever receives one. */
    bool ids_only;
    const uint32_t *toffs;
    const char *tbytes;
    const uint32_t *tent;
};

/* Bytes of one row of a FLAT vector (and of a rowset column) of type t: a kstr for text,
 * one byte for bool, eight otherwise (int is widened to 64 bits in vectors). */
static inline size_t kvec_elem_size(sp_type t)
{
    return sp_type_is_text(t) ? sizeof(kstr) : t == SP_TYPE_BOOL ? 1 : 8;
}

static inline bool kvec_fixed(const kvec *v)
{
    return !sp_type_is_text(v->type);
}
/* Dictionary code of row i of a KV_DICT vector. */
static inline uint32_t kvec_code(const kvec *v, uint32_t i)
{
    return v->codes ? v->codes[i] : v->codes8[i];
}
/* Entry index of row i (0 for CONST, the code for DICT). */
static inline uint32_t kvec_at(const kvec *v, uint32_t i)
{
    return v->enc == KV_FLAT ? i : v->enc == KV_CONST ? 0 : kvec_code(v, i);
}
/* The table-dictionary id of row i (v->gids set). */
static inline uint32_t kvec_gid(const kvec *v, uint32_t i)
{
    return v->gids[kvec_at(v, i)];
}

/* Where the text of row i of an ids_only vector is: its pair of offsets in toffs. */
static inline const uint32_t *kvec_id_offs(const kvec *v, uint32_t i)
{
    return v->toffs + (v->tent ? v->tent[i] : i);
}
/* Text s as a value of text type t: a string is never null; an empty guid or dynamic is
 * (a guid is never empty: empty stands for null). kvec_get reads text rows through it. */
static inline void kval_of_text(sp_type t, kstr s, kval *out)
{
    out->type = t;
    out->u.s = s;
    out->null = t != SP_TYPE_STRING && s.n == 0;
}
/* A text given by its offsets (o[0], o[1]) into bytes, as kvec_get reads a row of type t. */
static inline void kval_text_at(sp_type t, const uint32_t *o, const char *bytes, kval *out)
{
    kval_of_text(t, (kstr){bytes + o[0], o[1] - o[0]}, out);
}
/* The text of row i of an ids_only vector, as kvec_get would give it from a text one. */
static inline void kvec_id_text(const kvec *v, uint32_t i, kval *out)
{
    kval_text_at(v->type, kvec_id_offs(v, i), v->tbytes, out);
}

static inline const kvec *kvec_base(const kvec *v)
{
    return v->enc == KV_DICT ? v->dict : v;
}
static inline bool kvec_is_null(const kvec *v, uint32_t i)
{
    if (v->enc == KV_CONST)
        return v->cnull;
    const kvec *b = kvec_base(v);
    uint32_t k = kvec_at(v, i);
    if (sp_type_is_text(b->type))
        return b->type == SP_TYPE_DYNAMIC && b->d.s[k].n == 0;
    return b->valid && !((b->valid[k >> 3] >> (k & 7)) & 1);
}
static inline kstr kvec_str(const kvec *v, uint32_t i)
{
    return kvec_base(v)->d.s[kvec_at(v, i)];
}
static inline int64_t kvec_long(const kvec *v, uint32_t i)
{
    return kvec_base(v)->d.l[kvec_at(v, i)];
}
static inline double kvec_real(const kvec *v, uint32_t i)
{
    return kvec_base(v)->d.r[kvec_at(v, i)];
}
static inline bool kvec_bool(const kvec *v, uint32_t i)
{
    return kvec_base(v)->d.b[kvec_at(v, i)] != 0;
}

/* Reads row i as a scalar value (strings and dynamic point into the vector's memory). */
void kvec_get(const kvec *v, uint32_t i, kval *out);
/* A FLAT vector of n rows and the given type, storage from arena (valid bitmap
 * allocated, all rows valid). */
kvec *kvec_new_flat(sp_arena *a, sp_type t, uint32_t n);
kvec *kvec_new_const(sp_arena *a, const kval *v, uint32_t n);
/* Writes row i of a FLAT vector (text is referenced, not copied). */
void kvec_set(kvec *v, uint32_t i, const kval *val);
void kvec_set_null(kvec *v, uint32_t i);
/* kvec_set into a FLAT vector of another (wider) type: a long or int stored into a real
 * column is converted, any other value is relabelled (text is referenced, not copied). */
void kvec_put(kvec *v, uint32_t i, const kval *val);
/* Copies a string into arena and returns it as kstr. */
kstr kstr_dup(sp_arena *a, const char *p, size_t n);
/* Decodes any vector into a FLAT one (a no-op for FLAT). */
kvec *kvec_flatten(sp_arena *a, const kvec *v);
/* Builds a vector from one chunk column slice [row0, row0+n). Only the rows in sel (NULL:
 * all n) are materialised where that costs anything (plain text, int widening); the other
 * rows of the result are unspecified, as in every vector computed under a selection.
 * dict_id names the dictionary of a DICT view for caches (NULL: its offsets, unique while
 * the chunk is referenced; a converted view needs its own id). dict_cache, when given,
 * keeps the chunk's dictionary converted to kstr entries across batches. */
typedef struct kdict_cache {
    const void *id;
    kvec *dict;
    sp_arena arena;
} kdict_cache;
void kvec_from_colview(sp_arena *a, const sp_colview *cv, const void *dict_id, uint32_t row0, uint32_t n,
                       const uint32_t *sel, uint32_t nsel, kdict_cache *cache, kvec *out);
/* The same as a dense vector of n rows: row k is chunk row row0 + rows[k]. A few rows of
 * a large dictionary come out FLAT (their strings only). */
void kvec_from_colview_rows(sp_arena *a, const sp_colview *cv, const void *dict_id, uint32_t row0,
                            const uint32_t *rows, uint32_t n, kdict_cache *cache, kvec *out);
/* The ids of the same rows without their text (kvec.ids_only), for a column the plan marked
 * kp.scan_idonly; false, with out untouched, where the text path is the one to take: the
 * view has no ids, or it saves nothing (kvec_from_colview_ids, the slice [row0, row0+n),
 * takes plain views only: a dictionary-encoded slice stays encoded, its ids per entry;
 * kvec_from_colview_ids_rows, the dense vector of the given rows, takes plain and
 * dictionary views but not a constant one). */
bool kvec_from_colview_ids(sp_arena *a, const sp_colview *cv, uint32_t row0, uint32_t n, kvec *out);
bool kvec_from_colview_ids_rows(sp_arena *a, const sp_colview *cv, uint32_t row0, const uint32_t *rows, uint32_t n,
                                kvec *out);
/* The text of an ids_only vector's selected rows (sel NULL: all nsel), as a FLAT text vector
 * with the same ids, for a reader that wants text after all. */
kvec *kvec_ids_materialise(sp_arena *a, const kvec *v, const uint32_t *sel, uint32_t nsel);
/* A row-indexed bitmap of n rows whose bit k is bit base + rows[k] of bits, or `missing`
 * where rows[k] is KGATHER_NULL; NULL when no bit is set (presence bitmaps). */
const uint8_t *kbits_gather(sp_arena *a, const uint8_t *bits, uint32_t base, const uint32_t *rows, uint32_t n,
                            bool missing);
/* Asks for the cache lines kvec_from_colview_rows will read first (values, offsets or
 * codes of those rows): called for every column before materialising any, a few rows of a
 * wide record become one wave of parallel misses instead of one miss after another. */
void kvec_prefetch_rows(const sp_colview *cv, uint32_t row0, const uint32_t *rows, uint32_t n);
/* The same for kvec_from_colview_ids_rows (ids, codes). */
void kvec_prefetch_ids(const sp_colview *cv, uint32_t row0, const uint32_t *rows, uint32_t n);

/* Selections built from bit masks (a filter comparing codes or ids with a short list,
 * sixteen or four rows at once): out[m..) receives base + the position of every set bit
 * of mask, in order; returns the new m. Without a branch per kept row: a filter keeping
 * one row in seven took a mispredicted branch in most groups of sixteen. It writes up to
 * 16 entries past the kept ones: out needs KSEL_PAD entries beyond the rows it can hold. */
#define KSEL_PAD 16
/* Inline: filters call it for every sixteen rows, and most masks are empty. */
extern const uint8_t ksel_bit_positions[256][8]; /* vec.c */
static inline uint32_t ksel_append(uint32_t *out, uint32_t m, uint32_t base, unsigned mask16)
{
    if (!mask16)
        return m;
#if defined(__SSE4_1__)
    for (unsigned half = 0; half < 2; half++, base += 8) {
        unsigned b = mask16 >> (8 * half) & 0xFF;
        if (half && !b)
            break;
        __m128i pos = _mm_loadl_epi64((const __m128i *)(const void *)ksel_bit_positions[b]);
        __m128i at = _mm_set1_epi32((int)base);
        _mm_storeu_si128((__m128i *)(void *)(out + m), _mm_add_epi32(_mm_cvtepu8_epi32(pos), at));
        _mm_storeu_si128((__m128i *)(void *)(out + m + 4),
                         _mm_add_epi32(_mm_cvtepu8_epi32(_mm_srli_si128(pos, 4)), at));
        m += (uint32_t)__builtin_popcount(b);
    }
#else
    while (mask16) {
        out[m++] = base + (uint32_t)__builtin_ctz(mask16);
        mask16 &= mask16 - 1;
    }
#endif
    return m;
}

typedef struct kset kset; /* a hash set of values (set.c) */

/* Appends the members of object o to out (inside braces the caller writes), skipping
 * keys already in seen (first occurrence wins); *first tracks the comma. */
void kexec_bag_members(const char *o, size_t n, sp_buf *out, kset *seen, bool *first);
/* ---- regular expressions (regex.c) ---- */

typedef struct kre kre;
enum { KRE_ICASE = 1, KRE_MULTILINE = 2, KRE_DOTALL = 4 };
/* Compiles an RE2-compatible pattern; NULL with err filled (column = offset + 1). */
kre *kre_compile(const char *pattern, size_t n, unsigned flags, sp_diag *err);
void kre_free(kre *k);
bool kre_match(const kre *k, const char *s, size_t n);
/* Searches from start; fills region (may be NULL); returns the match offset or -1. */
int kre_search(const kre *k, const char *s, size_t n, size_t start, OnigRegion *region);
bool kre_has_prefilter(const kre *k);
/* Number of capture groups; the group number of a named group (or -1); the name of group
 * i written into buf (false when it has none). */
int kre_groups(const kre *k);
int kre_group_number(const kre *k, const char *name, size_t n);
bool kre_group_name(const kre *k, int group, char *buf, size_t cap);

/* ---- batches ---- */

typedef struct kpath kpath;

typedef struct kbatch {
    uint32_t n;
    uint32_t *sel; /* selected rows in increasing order, or NULL = all n rows */
    uint32_t nsel;
    int ncols;
    kvec **cols;
    sp_arena *arena; /* where this batch's computed data lives (the producer's) */
    /* Late materialisation (scans only, while their filter runs): a NULL column is loaded
     * on first use by load(b, col), for the rows selected at that moment. Batches handed
     * to other operators have every column loaded and load NULL. */
    kvec *(*load)(struct kbatch *b, int col);
    /* Optional, with load: the table-dictionary ids of a plain column for the batch's rows,
     * without its text (d.s NULL), or NULL when it has none; not kept in cols. A cached
     * verdict (VERDICT) reads nothing else once every text has been seen. */
    kvec *(*load_ids)(struct kbatch *b, int col);
    void *load_ctx;
    /* Scans only, while their filter runs: the values of a dynamic column at a path for
     * this batch's rows, as the chunk's cached derived column (dynpath.c), or NULL when
     * the chunk has none worth using (the VM then walks the JSON of the selected rows). */
    kvec *(*load_path)(struct kbatch *b, const kpath *path);
    /* Scans only, while their filter runs and no row is deselected yet: the row lists
     * (kpost_chunk) of the loaded column whose codes for this batch are `codes`, and in
     * *row0 the batch's first row in the chunk; NULL when there are none. */
    const struct kpost *(*load_post)(struct kbatch *b, const void *codes, uint32_t *row0);
    /* Rows the producer knows it will hand on after this batch (0: none or unknown): a
     * rowset draining it makes room for all of them at once. */
    uint32_t rows_after;
} kbatch;

static inline uint32_t kbatch_rows(const kbatch *b)
{
    return b->sel ? b->nsel : b->n;
}
static inline uint32_t kbatch_row(const kbatch *b, uint32_t k)
{
    return b->sel ? b->sel[k] : k;
}

/* ---- the execution context ---- */

/* The current input row's items of an mv-apply, served by the KP_ROWITEMS leaf of its
 * subplan. The mv-apply operator registers one entry per leaf in kexec.rowitems when it
 * is built; for each input row it refills n and cols, moves its entries to the front and
 * rebuilds the subplan, whose leaf operator binds to the first entry for its node. Nested
 * mv-applies and several live instances of one plan node each have their own entries. */
typedef struct krowitems {
    const kp *leaf;
    uint32_t n;  /* item rows */
    kvec **cols; /* leaf->out.ncols FLAT vectors of n rows */
    struct krowitems *next;
} krowitems;

/* ---- intra-query parallelism (parallel.c; op_basic.c, op_aggregate.c) ----
 *
 * A summarize over filters and projections of a large scan runs on two threads
 * (kexec_opts.threads): the leader, which runs the query, and the process's helper thread.
 * Each aggregates its own part of the scan's rows, and the leader merges the helper's
 * groups into its own (op_aggregate.c says which aggregates and why their results equal a
 * single thread's).
 *
 * The scan's batches ("morsels", up to KB_BATCH rows of one chunk, numbered in snapshot
 * order) are split in two contiguous runs, so that the helper's groups are merged after
 * the leader's exactly as one thread would have met them: the leader claims morsels from
 * the front, one at a time; the helper, when it starts, takes the back half of what the
 * leader has not claimed yet (kscan_split_steal). A helper that starts late takes less,
 * and one that starts after the leader is done takes nothing. */
typedef struct kscan_split {
    const kp *scan;     /* the scan node both threads read */
    sp_snapshot *snap;  /* the one snapshot both read; the leader's scan frees it */
    uint32_t nmorsels;
    _Atomic uint64_t claim; /* end << 32 | next: the leader's morsels are [next, end) */
    uint32_t from, to;  /* the helper's morsels, once stolen */
} kscan_split;
/* Counts the snapshot's morsels and sets the leader's run to all of them. */
void kscan_split_init(kscan_split *sp, const kp *scan, sp_snapshot *snap);
/* The helper's share: the back half of the leader's unclaimed morsels, into from/to;
 * false (and nothing taken) when fewer than two are left. */
bool kscan_split_steal(kscan_split *sp);

/* A job for the helper thread. The poster fills run and keeps the job alive until
 * kpar_finish returns. */
typedef struct kpar_job kpar_job;
struct kpar_job {
    void (*run)(kpar_job *job);
    _Atomic bool done;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};
/* Hands the job to the helper thread; false when there is none (one core) or it is busy:
 * the caller then does the work itself. */
bool kpar_post(kpar_job *job);
/* Withdraws the job if the helper has not taken it yet, else waits until it has run.
 * Returns whether it ran. wait_taken: never withdraws, waits for the helper to take it
 * (kexec_opts.par_wait_helper). */
bool kpar_finish(kpar_job *job, bool wait_taken);
/* One turn of a spin-wait loop: tells the core this thread is waiting. */
static inline void kpar_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

struct kexec {
    sp_store *store;
    kplan *plan;
    const kexec_opts *opts;
    int64_t now;
    sp_diag *err;
    bool failed;
    uint64_t vm_steps;
    krowset **shared; /* results of KP_SHARED bodies */
    krowitems *rowitems; /* mv-apply items, by KP_ROWITEMS leaf */
    sp_arena arena;   /* lives for the whole execution */
    uint64_t serial;  /* distinct for every execution of the process */
    /* opts->result_pins_chunks: the snapshots of closed scans, handed to the result. */
    sp_snapshot **pins;
    int npins;
    /* A parallel summarize's scan (kscan_split.scan) reads the split's snapshot: claiming
     * morsels as the leader, or, when split_fixed, reading the helper's share [from, to)
     * (by the helper, or again by the leader), as it stands at the scan's first read. */
    kscan_split *split;
    bool split_fixed;
};
/* A closing scan's snapshot: kept for the result (opts->result_pins_chunks) or freed. */
void kexec_release_snapshot(kexec *ex, sp_snapshot *snap);

/* Sets up a context for running (parts of) plan, and releases it. */
void kexec_begin(kexec *ex, kplan *plan, sp_store *store, const kexec_opts *opts, sp_diag *err);
void kexec_end(kexec *ex);

/* Whether data derived from a chunk is read again (dynpath.c, postings.c): the plans that
 * last asked for it on the chunk, and in which execution, kept in the chunk's cache (a
 * slot per plan serial modulo KCHUNK_REREAD_SLOTS, so a few rules taking turns keep their
 * own). True when a plan asks again in another execution (resident data queried again, a
 * scheduled rule's window back over the chunk); a plan run once per chunk (a per-event
 * rule) never gets a true. Threads race on a slot's two fields: the answer is a hint,
 * and a wrong one costs time only. */
#define KCHUNK_REREAD_SLOTS 4
typedef struct kchunk_reader {
    atomic_uint_fast64_t plan; /* kplan.serial */
    atomic_uint_fast64_t run;  /* kexec.serial */
} kchunk_reader;
typedef struct kchunk_reread {
    kchunk_reader slot[KCHUNK_REREAD_SLOTS];
} kchunk_reread;
bool kchunk_plan_back(kchunk_reread *r, const kexec *ex);

/* Records a runtime error (the first one wins) and returns -1. */
int kexec_fail(kexec *ex, int line, int col, const char *fmt, ...) SP_PRINTF(4, 5);
/* Fails the run (-1) once its steps (vm_steps) are past the limit (kexec_opts.max_steps). */
int kexec_check_steps(kexec *ex);

/* ---- builtin kernels ---- */

typedef struct kfctx {
    kexec *ex;
    const kx *call;
    sp_arena *arena; /* the batch arena: results live here */
    void *state;     /* per-instruction state made by the builtin's init */
    /* The call's first argument is already the values at its path, as a path list
     * (dynpath.c: KVM_PATH), not the dynamic value the path starts from. */
    bool at_path;
} kfctx;

/* A vector kernel fills out (a FLAT vector of n rows already allocated with the result
 * type) for the rows in sel (or all rows when sel is NULL). Arguments may be FLAT or
 * CONST (never DICT: the dispatcher resolves dictionaries first, unless any_enc). */
typedef void (*kfn_vec)(kfctx *c, kvec *out, kvec **args, int nargs, const uint32_t *sel,
                        uint32_t nsel, uint32_t n);
/* A scalar kernel computes one row. Strings it creates go into c->arena. */
typedef void (*kfn_scalar)(kfctx *c, kval *out, const kval *args, int nargs);
/* Optional: prepares per-instruction state from the call (constant arguments). Returns 0,
 * or -1 after kexec_fail (for example an invalid regex). */
typedef int (*kfn_init)(kfctx *c, const kx *call, void **state);
typedef void (*kfn_free)(void *state);
/* Optional: appends what the state compiled (a predicate's program) for explain, as
 * indented lines ending in a newline. */
typedef void (*kfn_explain)(const void *state, sp_buf *out);

typedef struct kfn_impl {
    kfn_vec vec;
    kfn_scalar scalar;
    kfn_init init;
    kfn_free free;
    kfn_explain explain;
    bool dict_ok; /* may run per dictionary entry (pure function of its arguments) */
    bool any_enc; /* vec reads DICT arguments itself (kvec_is_null, kvec_at): not flattened */
} kfn_impl;

typedef struct kfn_reg {
    kb_id id;
    kfn_impl impl;
} kfn_reg;

/* The implementation of a builtin, or NULL when socpipe has none. */
const kfn_impl *kfn_get(kb_id id);


/* ---- expression programs ---- */

/* The instruction set, one X-macro list: name, operands, what it does. */
#define KVM_OPCODES(X)                                                                       \
    X(COL, "r[dst] = input column imm")                                                      \
    X(CONST, "r[dst] = constant imm")                                                        \
    X(CALL, "r[dst] = builtin imm (args r[a..a+n))")                                         \
    X(AND, "r[dst] = r[a] and r[b] (three-valued: false wins over null)")                     \
    X(OR, "r[dst] = r[a] or r[b] (three-valued: true wins over null)")                       \
    X(FILTER, "narrow the selection to rows where r[a] is true (null counts as false)")        \
    X(VERDICT, "r[dst] = program sub over text column imm, by cached verdict per text")        \
    X(PATH, "r[dst] = the values of input column imm at a path, one list per row (dynpath.c)")

typedef enum kvm_op {
#define X(name, doc) KVM_##name,
    KVM_OPCODES(X)
#undef X
} kvm_op;


typedef struct kinstr {
    kvm_op op;
    int dst, a, b, n;
    int imm;
    const kx *node; /* the expression this instruction computes (for errors, kernels) */
    const kfn_impl *fn;
    void *state;
    /* per-dictionary result cache (CALL and VERDICT on dictionary input) */
    const void *cache_id;
    kvec *cache;
    sp_arena cache_arena;
    /* The identity of cache as a dictionary of its own (a fresh allocation per rebuild,
     * never reused while the execution runs), so that a call over this call's per-entry
     * results also runs once per entry. */
    const void *cache_uid;
    struct kkeep *keep; /* FILTER: the kept entries of per-entry input cache_id (vm.c) */
    bool post_hint;     /* FILTER: its last whole batch kept few rows (vm.c, postings.c) */
    kpath *path;    /* PATH: the column and path; owned */
    bool path_raw;  /* PATH: this batch's value is the column itself, not path lists */
    bool at_path;   /* CALL: its first argument comes from PATH instruction path_pc */
    int path_pc;
    /* VERDICT: the predicate compiled over a one-column batch (its column's texts), the
     * plan's verdict cache for it, and the table of the dictionary in use (a reference) */
    struct kprog *sub;
    struct kverdict *vc;
    struct kverdict_tab *vtab;
} kinstr;

typedef struct kprog {
    kinstr *code;
    int ncode, cap;
    int nregs;
    int *argregs; /* CALL argument registers, indexed from kinstr.a */
    int nargregs, argcap;
    kval *consts;
    int nconsts;
    int result; /* register holding the value of the expression */
    bool lambda; /* the body of a KX_LAMBDA: KX_ELEM is column 0 of the batch */
    bool verdict_body; /* the body of a VERDICT: input column body_col is column 0 */
    int body_col;
} kprog;

/* Compiles e (over an input with schema in) into a program. Returns 0, or -1 after
 * kexec_fail. As a filter (as_filter), top-level `and` chains compile into successive
 * FILTER steps so that later conjuncts only see rows earlier ones kept. */
int kprog_compile(kexec *ex, const kx *e, bool as_filter, kprog *out);
/* Evaluates the program on a batch; temporaries and the result vector come from arena.
 * Returns the result, or NULL on a runtime error. A filter program narrows b->sel/nsel
 * (its selection array also comes from arena). */
kvec *kprog_eval(kexec *ex, kprog *p, kbatch *b, sp_arena *arena);
/* Compiles the body of a KX_LAMBDA into a program over a one-column batch (the values). */
int kprog_compile_lambda(kexec *ex, const kx *lambda, kprog *out);
void kprog_free(kprog *p);
void kprog_explain(const kprog *p, sp_buf *out);

/* ---- verdict caches (verdict.c) ----
 *
 * A bool expression that is a pure function of one string or guid column (kx_verdict_col)
 * compiles to a VERDICT instruction: its verdict per distinct text is cached by the
 * column's table-dictionary id (kvec.gids) for the life of the plan, shared by every
 * thread that runs it. */
typedef struct kverdict kverdict;
typedef struct kverdict_tab kverdict_tab;
/* The VERDICT instruction's result for the batch (NULL after a runtime error). */
kvec *kverdict_eval(kexec *ex, kinstr *in, kvec *x, kbatch *b, sp_arena *arena);
/* The VERDICT instruction followed by a FILTER on its result, in one pass: narrows the
 * selection and returns true when it could (plain rows, every text seen before). */
bool kverdict_filter(kexec *ex, kinstr *in, kvec *x, kbatch *b, sp_arena *arena);
/* Drops the instruction's reference to its table (kprog_free). */
void kverdict_release(kverdict_tab *t);
/* Bytes all verdict caches hold (pages), for tests and stats. */
uint64_t kverdict_bytes(void);
/* Batches and dictionaries whose verdicts came from a known prefix of ids (a short list
 * of TRUE ids or bits) rather than the byte table, since start: for tests. */
uint64_t kverdict_prefix_reads(void);
/* The same with every line prefixed (nested programs). */
void kprog_explain_indent(const kprog *p, sp_buf *out, const char *prefix);

/* ---- values at a path of a dynamic column (dynpath.c) ----
 *
 * A path access over a column (`DeviceDetail.trustType`, Sigma's $any/$path/$path_exists
 * over "DeviceDetail.trustType") compiles into a PATH instruction, which yields for each
 * row the list of values the path reaches as a compact JSON array ("path list"), and the
 * call, which then reads that list (kfctx.at_path). In a scan the lists come from a
 * derived column cached on the chunk: extracted once per (chunk, column, path),
 * dictionary-encoded, shared by every rule and query (sp_chunk_cache_put). */

typedef enum kpath_mode {
    KPATH_ANY,   /* Sigma's $any and $path_exists: keys matched exactly, else ignoring case;
                  * arrays met before the last step are crossed (every value reached) */
    KPATH_CI,    /* Sigma's $path: the same without crossing arrays (one value at most) */
    KPATH_EXACT, /* Kusto's member and index access: exact keys, indexes, no crossing */
} kpath_mode;

typedef struct kpath_step {
    kstr name;    /* unescaped key */
    bool plain;   /* the name holds no backslash (set by kpath_new) */
    bool is_index;
    int64_t index; /* KPATH_EXACT only; negative counts from the end */
} kpath_step;

/* Flags of a derived column: what its paths met (kpath_eval). */
enum { KPATH_CROSSED = 1, /* an array before the last step */
       KPATH_CIKEY = 2    /* a key matched only ignoring case */ };

struct kpath {
    int col;
    kpath_mode mode;
    int nsteps;
    kpath_step *steps;
    char *key; /* the chunk cache key of the derived column */
    size_t keylen;
    /* The same path in KPATH_ANY mode, which can stand in for this one when what its
     * chunk met allows it (a chunk's derived column then serves Kusto and Sigma alike);
     * NULL when this is ANY or has index steps. */
    char *any_key;
    size_t any_keylen;
    char *demand_key; /* the chunk cache key of the rows asked for without extracting */
    size_t demand_keylen;
};

/* A path over column col; steps are copied. */
kpath *kpath_new(int col, kpath_mode mode, const kpath_step *steps, int nsteps);
/* The path a call reads at (vm.c: Sigma's $any/$path/$path_exists over a constant path, a
 * chain of Kusto accesses with constant keys), over the call's input column; NULL when it
 * is not such a call. The caller frees it. */
kpath *kpath_of(const kx *e);
/* Declares p (its ANY-mode form, over table column tcol) as read by a loaded rule, so that
 * whoever extracts a chunk of that column extracts it in the same walk (kpath_chunk).
 * Paths with index steps, which have no ANY form, are not declared. */
void kpath_want(sp_table *t, int tcol, const kpath *p);
void kpath_free(kpath *p);
/* Appends the path list of dynamic value v (compact JSON array of the values reached, in
 * document order; JSON nulls included, so that $path_exists sees a key holding null) and
 * ORs into *flags what the walk met. */
void kpath_eval(const kpath *p, kstr v, sp_buf *out, unsigned *flags);
/* The derived column of chunk c for p (cv: the chunk's view of p->col, physical type
 * dynamic): the cached one; else built now and cached when this batch selects at least
 * half its rows, the rows asked for on this chunk add up to the chunk's, or ex's plan asked
 * for rows of it in an earlier execution (it re-reads resident data); else NULL. Building
 * an ANY-mode column also builds, in the same walk, the columns of the paths loaded rules
 * declared for p->col (kpath_want) that readers asked rows of on this chunk. */
typedef struct kpathcol kpathcol;
const kpathcol *kpath_chunk(const kexec *ex, sp_chunk *c, const sp_colview *cv, const kpath *p, uint32_t nsel,
                            uint32_t n);
/* Row lists of a chunk's dictionary-encoded column (postings.c): the rows of entry e, in
 * increasing order, are at16 (or at32)[start[e] .. start[e + 1]). Cached on the chunk. */
typedef struct kpost {
    uint32_t nentries, rows;
    const uint32_t *start;
    const uint16_t *at16; /* when the chunk has at most 65,536 rows */
    const uint32_t *at32; /* otherwise */
    uint64_t mem;
} kpost;
/* The row lists of column col of chunk c (cv: its view, dictionary-encoded): the cached
 * ones; else built now when ex's plan is back at the chunk (kchunk_plan_back); else NULL
 * (NULL too for a column without codes). */
const kpost *kpost_chunk(const kexec *ex, sp_chunk *c, int col, const sp_colview *cv);
/* A filter keeping at most one row in KPOST_SELECTIVE of a chunk reads the row lists; one
 * whose last batch kept that few asks for them (vm.c). */
#define KPOST_SELECTIVE 8
/* A bitmap of the chunk's rows whose entry e has keep[e] set, when they are few enough
 * (KPOST_SELECTIVE) that reading their lists beats reading the codes; else NULL. In a. */
const uint64_t *kpost_keep_bits(const kpost *p, const uint8_t *keep, sp_arena *a);
/* The set bits of rows [row0, row0 + n) of bits (row0 a multiple of 64), as rows from
 * row0, into out; returns their count. */
uint32_t kpost_select(const uint64_t *bits, uint32_t row0, uint32_t n, uint32_t *out);
/* Rows [row0, row0 + n) of a derived column as a DICT vector. */
void kpathcol_slice(const kpathcol *pc, uint32_t row0, uint32_t n, kvec *out);
uint32_t kpathcol_entries(const kpathcol *pc);
/* KVM_PATH of a Kusto chain without a derived column: the path lists of raw's selected
 * rows, once per dictionary entry when raw is dictionary-encoded (cached in the
 * instruction). */
kvec *kpath_vec(kexec *ex, kinstr *in, const kvec *raw, const kbatch *b, sp_arena *arena);
/* Readers of a path list: the first value (length 0 when none), and whether it is empty. */
kstr kpath_first(kstr list);
static inline bool kpath_list_empty(kstr list)
{
    return list.n <= 2;
}

/* ---- typed keys (keys.c) ---- */

/* Hash, equality and order of typed values: strings ordinally, numbers by value, null
 * equal only to null (grouping semantics; joins skip null keys themselves). kval_cmp
 * ignores nulls: callers order them. */
uint64_t kval_hash(const kval *v, uint64_t seed);
bool kval_eq(const kval *a, const kval *b);
int kval_cmp(const kval *a, const kval *b);
/* The value with its text copied into arena. */
kval kval_own(sp_arena *arena, const kval *v);

/* A table of distinct key tuples (nkeys values each) with dense ids in first-seen
 * order. Tuples are copied into the table's arena. */
#define KHASH_NONE UINT32_MAX
typedef struct khash {
    int nkeys;
    uint32_t n, cap; /* distinct tuples; capacity of keys/hashes */
    kval *keys;      /* n * nkeys, tuple i at keys[i * nkeys] */
    uint64_t *hashes;
    uint64_t *slots; /* open addressing: hash high half | id + 1; 0 = empty */
    uint32_t nslots;
    sp_arena arena;
    /* Set by the caller while the keys it inserts reference text that outlives the table
     * (kvec.stable_text): they are stored as they are, not copied. */
    bool borrow_text;
    bool owns_text; /* some key was copied (inserted without borrow_text) */
    /* Tuples added with khash_append have an id and a key but no slot: lookups never find
     * them (the caller numbers them by other means, summarize by table-dictionary id).
     * hidden[id] marks them (NULL until the first); nindexed counts the others. */
    uint8_t *hidden;
    uint32_t nindexed;
} khash;
void khash_init(khash *h, int nkeys);
void khash_free(khash *h);
uint64_t khash_of(const kval *key, int nkeys);
uint32_t khash_find(const khash *h, const kval *key, uint64_t hv); /* id or KHASH_NONE */
void khash_prefetch(const khash *h, uint64_t hv); /* a hint: hv's slot is probed soon */
uint32_t khash_insert(khash *h, const kval *key, uint64_t hv, bool *added);
/* Adds a tuple that lookups will not find (see hidden) and returns its id; key NULL: a
 * number whose tuple nobody reads (left unset). */
uint32_t khash_append(khash *h, const kval *key);

/* ---- aggregate states (agg.c), shared by summarize and make-series ---- */

typedef struct kagg_list { /* a growable list of values in the caller's arena */
    kval *v;
    uint32_t n, cap;
} kagg_list;

typedef struct kagg_state { /* zero-initialised = empty */
    int64_t count;
    double sum_r, mean, m2;
    int64_t sum_l;
    bool has, is_real;
    kval best;   /* min/max/arg_*: the extreme value; take_any: first value */
    kval *extra; /* arg_max/arg_min/take_any: the other outputs */
    kset *set;   /* dcount, make_set */
    kagg_list list; /* make_set order, make_list, make_bag, percentile values */
} kagg_state;

/* Folds one row (the aggregate's argument values) into a state; kept values go into
 * arena. */
void kagg_update(sp_arena *arena, const kp_agg *ag, kagg_state *st, const kval *args);
/* Writes the aggregate's nout output values, of the given types. */
void kagg_finish(sp_arena *arena, const kp_agg *ag, kagg_state *st, kval *out, const sp_type *types);
void kagg_release(kagg_state *st); /* frees what the arena does not own */
/* Whether kagg_merge can combine two states of the aggregate (with the given output type)
 * into exactly the state one run over both parts' rows, in order, would have made. */
bool kagg_mergeable(const kp_agg *ag, sp_type out_type);
/* Folds src, the state of rows that come after st's, into st. Values are referenced, not
 * copied: src's memory must outlive st. */
void kagg_merge(const kp_agg *ag, kagg_state *st, const kagg_state *src);
/* The type of the aggregate's (first) value when no schema says it (make-series). */
sp_type kagg_value_type(const kp_agg *ag);

/* The programs of a grouping operator (node->keys and every argument of node->aggs),
 * evaluated once per batch, then read row by row. */
typedef struct kagg_progs {
    const kp *node;
    kprog *keys, *args;
    int *argbase;        /* aggregate i's first program in args; argbase[naggs] = all */
    kvec **keyv, **argv; /* the current batch's values */
    kval *keybuf, *argbuf;
} kagg_progs;
void kagg_progs_init(kexec *ex, kagg_progs *p, const kp *node);
int kagg_progs_eval(kexec *ex, kagg_progs *p, kbatch *b, sp_arena *arena); /* 0 or -1 */
/* The key tuple of a row (valid until the next call). */
const kval *kagg_progs_key(kagg_progs *p, uint32_t row);
/* Folds a row into the states of one group (node->naggs of them). */
void kagg_progs_update(kagg_progs *p, uint32_t row, kagg_state *states, sp_arena *arena);
void kagg_progs_free(kagg_progs *p);

/* ---- building output batches (gather.c) ---- */

#define KGATHER_NULL UINT32_MAX
/* A vector of n rows where row i is src's row idx[i] (KGATHER_NULL: null, "" for
 * strings). Dictionary and constant sources keep their encoding when no row is null;
 * otherwise the result is FLAT. Text is referenced, not copied: the result lives as long
 * as src's data and arena. A NULL src (a column pruned upstream) gives NULL; so does
 * kvec_cast. */
kvec *kvec_gather(sp_arena *arena, const kvec *src, const uint32_t *idx, uint32_t n);
/* A constant vector of n rows holding the null of type t ("" for strings). */
kvec *kvec_null(sp_arena *arena, sp_type t, uint32_t n);
/* The vector converted to type `to` with Kusto's conversion, for the selected rows (sel
 * NULL: rows 0..nsel). Same-representation pairs (int → long, string ↔ guid) are only
 * relabelled. */
kvec *kvec_cast(sp_arena *arena, const kvec *v, sp_type to, const uint32_t *sel, uint32_t nsel);
/* Evaluates an expression that uses no column (a from/to/step bound) once. Returns 0, or
 * -1 after kexec_fail. Text results live in arena. */
int kexec_eval_const(kexec *ex, const kx *e, sp_arena *arena, kval *out);

/* ---- value sets ---- */

kset *kset_new(bool case_insensitive);
void kset_add(kset *s, const kval *v);
bool kset_has(const kset *s, const kval *v);
uint32_t kset_size(const kset *s);
void kset_free(kset *s);

/* Distinct (group, value) pairs of every group of one dcount (set.c). Values compare as
 * in kset (case-sensitive); nulls are never added. vh is kdistinct_hash(v), computed by
 * the caller so that it can be done ahead (and once per dictionary entry). */
typedef struct kdistinct kdistinct;
kdistinct *kdistinct_new(void);
uint64_t kdistinct_hash(const kval *v);
void kdistinct_prefetch(const kdistinct *d, uint32_t group, uint64_t vh);
/* Returns true when the pair was not in the set yet. */
bool kdistinct_add(kdistinct *d, uint32_t group, const kval *v, uint64_t vh);
/* While on, text values added are referenced, not copied (kvec.stable_text: the caller
 * guarantees they outlive the set). */
void kdistinct_borrow_text(kdistinct *d, bool on);
/* Adds every pair (group g, value) of src as (gmap[g], value), referencing src's text
 * (src must outlive d), and counts each pair new to d: counts[gmap[g] * stride] += 1.
 * Groups g with gmap[g] == KHASH_NONE are left out. */
void kdistinct_merge(kdistinct *d, const kdistinct *src, const uint32_t *gmap, int64_t *counts, size_t stride);
void kdistinct_free(kdistinct *d);

/* A set of 64-bit integers (set.c), zero-initialised = empty; UINT64_MAX is not a member
 * it can hold. Summarize's dcount over table-dictionary ids keeps group << 32 | value id
 * in one. */
typedef struct kpairs {
    uint64_t *slots;
    uint32_t mask, n;
} kpairs;
bool kpairs_add(kpairs *s, uint64_t key); /* true when key was not a member yet */
void kpairs_reserve(kpairs *s, uint32_t members); /* room for that many without growing */
void kpairs_prefetch(const kpairs *s, uint64_t key);
void kpairs_free(kpairs *s);
/* The members in slot order: `for (uint32_t at = 0; kpairs_next(s, &at, &key);)`. */
bool kpairs_next(const kpairs *s, uint32_t *at, uint64_t *key);

/* ---- operators ---- */

typedef struct kop kop;
struct kop {
    /* Produces the next batch (valid until the next call) into *out: returns 1, 0 at the
     * end, -1 on error. */
    int (*next)(kop *self, kbatch **out);
    void (*close)(kop *self);
    /* Optional: hands the whole output to rs, an empty rowset, as arrays the rowset
     * adopts (krowset_adopt) instead of batches it would copy: 1 when done, 0 when this
     * output cannot (next() then gives it), -1 on error. Only before the first next(). */
    int (*drain)(kop *self, krowset *rs);
    kexec *ex;
    const kp *node;
};

kop *kop_build(kexec *ex, const kp *node);
/* A zeroed operator struct of `size` bytes (its kop first) with the base filled in. */
void *kop_alloc(size_t size, kexec *ex, const kp *node, int (*next)(kop *, kbatch **), void (*close)(kop *));
/* Pulls the next batch that has selected rows: 1, 0 at the end, -1 on error. */
int kop_pull(kop *in, kbatch **out);
void kop_close(kop *op);

kop *kop_scan(kexec *ex, const kp *node);
kop *kop_values(kexec *ex, const kp *node);
kop *kop_filter(kexec *ex, const kp *node);
kop *kop_project(kexec *ex, const kp *node);
kop *kop_limit(kexec *ex, const kp *node);
kop *kop_aggregate(kexec *ex, const kp *node);
kop *kop_sort(kexec *ex, const kp *node);
kop *kop_top(kexec *ex, const kp *node);
kop *kop_union(kexec *ex, const kp *node);
kop *kop_join(kexec *ex, const kp *node);
kop *kop_mvexpand(kexec *ex, const kp *node);
kop *kop_mvapply(kexec *ex, const kp *node);
kop *kop_rowitems(kexec *ex, const kp *node);
kop *kop_bagunpack(kexec *ex, const kp *node);
kop *kop_makeseries(kexec *ex, const kp *node);
kop *kop_getschema(kexec *ex, const kp *node);
kop *kop_window(kexec *ex, const kp *node);
kop *kop_basket(kexec *ex, const kp *node);
kop *kop_rowset(kexec *ex, const kp *node, const krowset *rs); /* reads a materialized result */
/* Operators not implemented yet report `unsupported` through this. */
kop *kop_unsupported(kexec *ex, const kp *node, const char *what);

/* ---- materialized results (rowset.c) ---- */

struct krowset {
    kp_schema schema;
    uint32_t nrows, cap;
    kvec **cols; /* FLAT vectors, grown as rows are appended */
    kvec *colmem; /* the vectors cols points to */
    sp_arena arena;
    /* Text of stable_text vectors is referenced, not copied, and the chunks it lives in
     * are held here (kexec_opts.result_pins_chunks). */
    bool borrow_text;
    sp_snapshot **pins;
    int npins;
};

krowset *krowset_new(const kp_schema *schema);
/* Appends the selected rows of a batch (copying text into the rowset's arena). */
void krowset_append_batch(krowset *rs, const kbatch *b);
void krowset_append_row(krowset *rs, const kval *vals);
/* Makes rs, still empty, hold `rows` rows whose column c is values[c]: malloc'd arrays of
 * kvec_elem_size(type) * rows bytes (kstr for text, not null) that rs now owns. Text that
 * is not stable (it goes with the operator that wrote it) or that rs may not borrow is
 * copied into rs's arena. Columns absent from the batches' schema are not allowed. */
void krowset_adopt(krowset *rs, void **values, const bool *stable_text, uint32_t rows);
/* Runs op to completion into a new rowset; NULL on error. */
krowset *krowset_drain(kexec *ex, kop *op, const kp_schema *schema);
/* The same into rs (made by krowset_new, freed here on error). */
krowset *krowset_drain_into(kexec *ex, kop *op, krowset *rs);
/* A batch view over rows [row0, row0+n) of the rowset. */
void krowset_batch(krowset *rs, uint32_t row0, uint32_t n, kbatch *b, kvec **colbuf);

#endif
