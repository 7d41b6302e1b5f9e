/* kfn_harness.h — test helper: calls one builtin kernel the way the expression VM does
 * (init with the call node, scalar per row, free), without a store or a plan to run.
 * Arguments are constant expressions built here; kfh_row() turns one into a per-row
 * value (a column), so init sees it as non-constant. Results come back as JSON text in
 * the output form of DESIGN.md §4 ("null", "5", "\"abc\"", "[1,2]").
 *
 * Ownership: everything a harness hands out lives until kfh_done.
 */
#ifndef SP_TEST_KFN_HARNESS_H
#define SP_TEST_KFN_HARNESS_H

#include "engine/exec/exec_int.h"

typedef struct kfh {
    kplan *plan;
    struct kexec ex;
    sp_diag err;
    sp_arena arena;
    kval rows[32]; /* values of the kfh_row() arguments */
    int nrows;
} kfh;

void kfh_init(kfh *h);
void kfh_done(kfh *h);

kx *kfh_str(kfh *h, const char *s);
kx *kfh_long(kfh *h, int64_t v);
kx *kfh_int(kfh *h, int64_t v);
kx *kfh_real(kfh *h, double v);
kx *kfh_bool(kfh *h, bool v);
kx *kfh_dt(kfh *h, const char *iso);     /* datetime from ISO text (aborts when invalid) */
kx *kfh_ts(kfh *h, const char *text);    /* timespan from [-][d.]hh:mm[:ss[.f]] */
kx *kfh_dyn(kfh *h, const char *json);   /* dynamic from JSON text ("" = null) */
kx *kfh_null(kfh *h, sp_type t);
kx *kfh_set(kfh *h, kx **vals, int n);   /* a constant set (KX_SET) of constant values */
kx *kfh_row(kfh *h, kx *constant);       /* the same value, but read per row */

/* Calls builtin fn with result type rt. Returns the result as JSON text, "ERROR: msg"
 * when init failed the query, "UNIMPLEMENTED" when the builtin has no kernel, or
 * "TYPE: <name>" when the kernel returned a value of another type than rt. */
const char *kfh_call(kfh *h, kb_id fn, sp_type rt, int nargs, kx **args);

#define KFH_ARGS(...) ((kx *[]){__VA_ARGS__})
#define KFH_NARGS(...) ((int)(sizeof(KFH_ARGS(__VA_ARGS__)) / sizeof(kx *)))
/* CALL(h, KB_x, SP_TYPE_y, args...) */
#define KFH_CALL(h, fn, rt, ...) kfh_call((h), (fn), (rt), KFH_NARGS(__VA_ARGS__), KFH_ARGS(__VA_ARGS__))

/* Short names for table-style tests: the file defines `static kfh H;` first. */
#ifdef KFH_SHORT_NAMES
#define S(x) kfh_str(&H, (x))
#define L(x) kfh_long(&H, (x))
#define I(x) kfh_int(&H, (x))
#define R(x) kfh_real(&H, (x))
#define BO(x) kfh_bool(&H, (x))
#define DT(x) kfh_dt(&H, (x))
#define TS(x) kfh_ts(&H, (x))
#define Y(x) kfh_dyn(&H, (x))
#define NUL(t) kfh_null(&H, SP_TYPE_##t)
#define ROW(x) kfh_row(&H, (x))
#define SET(...) kfh_set(&H, KFH_ARGS(__VA_ARGS__), KFH_NARGS(__VA_ARGS__))
/* EXPECT("json", fn, RESULT_TYPE, args...) */
#define EXPECT(exp, fn, rt, ...) assert_string_equal(KFH_CALL(&H, KB_##fn, SP_TYPE_##rt, __VA_ARGS__), (exp))
#define EXPECT0(exp, fn, rt) assert_string_equal(kfh_call(&H, KB_##fn, SP_TYPE_##rt, 0, NULL), (exp))
#define KFH_SETUP                                                                                  \
    static int setup(void **st)                                                                    \
    {                                                                                              \
        (void)st;                                                                                  \
        kfh_init(&H);                                                                              \
        return 0;                                                                                  \
    }                                                                                              \
    static int teardown(void **st)                                                                 \
    {                                                                                              \
        (void)st;                                                                                  \
        kfh_done(&H);                                                                              \
        return 0;                                                                                  \
    }
#endif

#endif
