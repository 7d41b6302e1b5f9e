/* ast.c — names of AST enums and the S-expression printer of a parsed query.
 *
 * The printer is the parser's test oracle and the body of `socpipe kql-parse`: one line
 * per statement, every node in prefix form, no positions, so expected trees in tests stay
 * short and readable. Literals print in a form that shows their decoded value and type
 * (a plain number is a long; `(real 1.5)`, `(timespan 01:30:00)`, `(datetime ...Z)`), so a
 * test pins the decoding as well as the structure.
 */
#include "engine/kql/kql_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *kql_binop_text(kql_binop op)
{
    static const char *const names[] = {
#define KQL_X_TEXT(name, text) text,
        KQL_BINOPS(KQL_X_TEXT)
#undef KQL_X_TEXT
    };
    return (unsigned)op < KQL_BINOP_COUNT ? names[op] : "?";
}

const char *kql_op_name(kql_op_kind k)
{
    static const char *const names[] = {
#define KQL_X_TEXT(name, text) text,
        KQL_OPERATORS(KQL_X_TEXT)
#undef KQL_X_TEXT
    };
    return (unsigned)k < KQL_OP_KIND_COUNT ? names[k] : "?";
}

const char *kql_join_kind_name(kql_join_kind k)
{
    static const char *const names[] = {"default",    "innerunique", "inner",
                                        "leftouter",  "rightouter",  "fullouter",
                                        "leftanti",   "rightanti",   "leftsemi",
                                        "rightsemi"};
    return (unsigned)k < SP_ARRAY_LEN(names) ? names[k] : "?";
}

static void dump_stmt(sp_buf *b, const kql_stmt *s);

const char *kql_real_text(double v, char buf[40])
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 40, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

/* A name prints bare when it is a plain identifier, else as ['...']. */
static void dump_name(sp_buf *b, const char *s, size_t n)
{
    bool plain = n > 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
                  c == '*' || c == '.' || c == '-' || (i > 0 && c >= '0' && c <= '9');
        plain &= ok;
    }
    if (plain) {
        sp_buf_append(b, s, n);
        return;
    }
    sp_buf_puts(b, "[");
    sp_buf_json_string(b, s, n);
    sp_buf_puts(b, "]");
}

static void dump_type(sp_buf *b, const kql_typeref *t)
{
    if (!t->tabular) {
        sp_buf_puts(b, sp_type_name(t->scalar));
        return;
    }
    sp_buf_putc(b, '(');
    for (size_t i = 0; i < t->ncols; i++) {
        if (i)
            sp_buf_putc(b, ' ');
        dump_name(b, t->cols[i].name.name.s, t->cols[i].name.name.len);
        sp_buf_printf(b, ":%s", sp_type_name(t->cols[i].type));
    }
    if (t->open)
        sp_buf_puts(b, t->ncols ? " *" : "*");
    sp_buf_putc(b, ')');
}

static void dump_lit(sp_buf *b, const kql_literal *l)
{
    char tb[48];
    if (l->is_null) {
        sp_buf_printf(b, "(%s null)", sp_type_name(l->type));
        return;
    }
    switch (l->type) {
    case SP_TYPE_BOOL: sp_buf_puts(b, l->v.b ? "true" : "false"); break;
    case SP_TYPE_LONG: sp_buf_printf(b, "%lld", (long long)l->v.i); break;
    case SP_TYPE_INT: sp_buf_printf(b, "(int %lld)", (long long)l->v.i); break;
    case SP_TYPE_REAL:
        if (isnan(l->v.r))
            sp_buf_puts(b, "(real nan)");
        else if (isinf(l->v.r))
            sp_buf_puts(b, l->v.r > 0 ? "(real +inf)" : "(real -inf)");
        else
            sp_buf_printf(b, "(real %s)", kql_real_text(l->v.r, tb));
        break;
    case SP_TYPE_DATETIME:
        sp_datetime_format(l->v.ticks, tb);
        sp_buf_printf(b, "(datetime %s)", tb);
        break;
    case SP_TYPE_TIMESPAN:
        sp_timespan_format(l->v.ticks, tb);
        sp_buf_printf(b, "(timespan %s)", tb);
        break;
    case SP_TYPE_STRING:
        if (l->obfuscated)
            sp_buf_puts(b, "(h ");
        sp_buf_json_string(b, l->s.s, l->s.len);
        if (l->obfuscated)
            sp_buf_putc(b, ')');
        break;
    case SP_TYPE_GUID: sp_buf_printf(b, "(guid %s)", l->s.s); break;
    case SP_TYPE_DYNAMIC:
        sp_buf_puts(b, "(dynamic ");
        sp_buf_append(b, l->s.s, l->s.len);
        sp_buf_putc(b, ')');
        break;
    default: sp_buf_puts(b, "(?)"); break;
    }
}

static void dump_list(sp_buf *b, kql_expr *const *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, items[i]);
    }
}

static void dump_tagged_list(sp_buf *b, const char *tag, kql_expr *const *items, size_t n)
{
    sp_buf_printf(b, " (%s", tag);
    dump_list(b, items, n);
    sp_buf_putc(b, ')');
}

static void dump_sortkey(sp_buf *b, const kql_sortkey *k)
{
    sp_buf_printf(b, " (%s ", k->desc ? "desc" : "asc");
    kql_expr_dump(b, k->expr);
    if (k->nulls == KQL_NULLS_FIRST)
        sp_buf_puts(b, " nulls-first");
    else if (k->nulls == KQL_NULLS_LAST)
        sp_buf_puts(b, " nulls-last");
    sp_buf_putc(b, ')');
}

static void dump_coldecls(sp_buf *b, const kql_coldecl *c, size_t n)
{
    sp_buf_puts(b, " (");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sp_buf_putc(b, ' ');
        dump_name(b, c[i].name.name.s, c[i].name.name.len);
        sp_buf_printf(b, ":%s", sp_type_name(c[i].type));
    }
    sp_buf_putc(b, ')');
}

static void dump_param_decls(sp_buf *b, const kql_param_decl *d, size_t n)
{
    sp_buf_putc(b, '(');
    for (size_t i = 0; i < n; i++) {
        if (i)
            sp_buf_putc(b, ' ');
        sp_buf_putc(b, '(');
        dump_name(b, d[i].name.name.s, d[i].name.name.len);
        sp_buf_putc(b, ':');
        dump_type(b, &d[i].type);
        if (d[i].deflt) {
            sp_buf_putc(b, ' ');
            kql_expr_dump(b, d[i].deflt);
        }
        sp_buf_putc(b, ')');
    }
    sp_buf_putc(b, ')');
}

static void dump_op(sp_buf *b, const kql_op *o)
{
    sp_buf_printf(b, "(%s", kql_op_name(o->kind));
    for (size_t i = 0; i < o->nparams; i++) {
        sp_buf_putc(b, ' ');
        sp_buf_append(b, o->params[i].name.name.s, o->params[i].name.name.len);
        sp_buf_putc(b, '=');
        kql_expr_dump(b, o->params[i].value);
    }
    switch (o->kind) {
    case KQL_TOP_WHERE:
    case KQL_TOP_SAMPLE:
    case KQL_TOP_TAKE:
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, o->kind == KQL_TOP_WHERE ? o->u.where.expr : o->u.take.count);
        break;
    case KQL_TOP_SAMPLE_DISTINCT:
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, o->u.sample_distinct.count);
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, o->u.sample_distinct.of);
        break;
    case KQL_TOP_EXTEND:
    case KQL_TOP_PROJECT:
    case KQL_TOP_PROJECT_AWAY:
    case KQL_TOP_PROJECT_KEEP:
    case KQL_TOP_PROJECT_RENAME:
    case KQL_TOP_PRINT:
    case KQL_TOP_SERIALIZE:
    case KQL_TOP_DISTINCT: dump_list(b, o->u.list.items, o->u.list.nitems); break;
    case KQL_TOP_SUMMARIZE:
        dump_list(b, o->u.summarize.aggs, o->u.summarize.naggs);
        if (o->u.summarize.nby)
            dump_tagged_list(b, "by", o->u.summarize.by, o->u.summarize.nby);
        break;
    case KQL_TOP_TOP:
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, o->u.sort.count);
        /* fall through */
    case KQL_TOP_SORT:
    case KQL_TOP_PROJECT_REORDER:
        for (size_t i = 0; i < o->u.sort.nkeys; i++)
            dump_sortkey(b, &o->u.sort.keys[i]);
        break;
    case KQL_TOP_TOP_NESTED:
        for (size_t i = 0; i < o->u.top_nested.nlevels; i++) {
            const kql_nested_level *lv = &o->u.top_nested.levels[i];
            sp_buf_puts(b, " (level ");
            if (lv->count)
                kql_expr_dump(b, lv->count);
            else
                sp_buf_puts(b, "all");
            sp_buf_puts(b, " (of ");
            kql_expr_dump(b, lv->of);
            sp_buf_putc(b, ')');
            if (lv->others) {
                sp_buf_puts(b, " (others ");
                kql_expr_dump(b, lv->others);
                sp_buf_putc(b, ')');
            }
            dump_sortkey(b, &lv->by);
            sp_buf_putc(b, ')');
        }
        break;
    case KQL_TOP_COUNT:
    case KQL_TOP_GETSCHEMA: break;
    case KQL_TOP_UNION: dump_list(b, o->u.uni.tables, o->u.uni.ntables); break;
    case KQL_TOP_JOIN:
    case KQL_TOP_LOOKUP:
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, o->u.join.right);
        dump_tagged_list(b, "on", o->u.join.on, o->u.join.non);
        break;
    case KQL_TOP_MV_EXPAND:
    case KQL_TOP_MV_APPLY:
        for (size_t i = 0; i < o->u.mv.nitems; i++) {
            const kql_mvitem *it = &o->u.mv.items[i];
            sp_buf_putc(b, ' ');
            if (it->has_type)
                sp_buf_puts(b, "(to ");
            kql_expr_dump(b, it->expr);
            if (it->has_type) {
                sp_buf_putc(b, ' ');
                dump_type(b, &it->to_type);
                sp_buf_putc(b, ')');
            }
        }
        if (o->u.mv.limit) {
            sp_buf_puts(b, " (limit ");
            kql_expr_dump(b, o->u.mv.limit);
            sp_buf_putc(b, ')');
        }
        if (o->u.mv.apply) {
            sp_buf_puts(b, " (on ");
            kql_expr_dump(b, o->u.mv.apply);
            sp_buf_putc(b, ')');
        }
        break;
    case KQL_TOP_PARSE:
    case KQL_TOP_PARSE_WHERE:
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, o->u.parse.source);
        sp_buf_puts(b, " (with");
        for (size_t i = 0; i < o->u.parse.nelems; i++) {
            const kql_parse_elem *pe = &o->u.parse.elems[i];
            sp_buf_putc(b, ' ');
            if (pe->kind == KQL_PE_STAR) {
                sp_buf_putc(b, '*');
            } else if (pe->kind == KQL_PE_STRING) {
                sp_buf_json_string(b, pe->text.s, pe->text.len);
            } else {
                dump_name(b, pe->col.name.name.s, pe->col.name.name.len);
                if (pe->typed)
                    sp_buf_printf(b, ":%s", sp_type_name(pe->col.type));
            }
        }
        sp_buf_putc(b, ')');
        break;
    case KQL_TOP_EVALUATE:
    case KQL_TOP_INVOKE:
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, o->u.evaluate.call);
        break;
    case KQL_TOP_MAKE_SERIES:
        for (size_t i = 0; i < o->u.series.naggs; i++) {
            sp_buf_putc(b, ' ');
            if (o->u.series.aggs[i].deflt)
                sp_buf_puts(b, "(default ");
            kql_expr_dump(b, o->u.series.aggs[i].expr);
            if (o->u.series.aggs[i].deflt) {
                sp_buf_putc(b, ' ');
                kql_expr_dump(b, o->u.series.aggs[i].deflt);
                sp_buf_putc(b, ')');
            }
        }
        sp_buf_puts(b, " (on ");
        kql_expr_dump(b, o->u.series.on);
        sp_buf_putc(b, ')');
        if (o->u.series.in_range)
            sp_buf_puts(b, " (in-range");
        if (o->u.series.from) {
            sp_buf_puts(b, o->u.series.in_range ? " " : " (from ");
            kql_expr_dump(b, o->u.series.from);
            if (!o->u.series.in_range)
                sp_buf_putc(b, ')');
        }
        if (o->u.series.to) {
            sp_buf_puts(b, o->u.series.in_range ? " " : " (to ");
            kql_expr_dump(b, o->u.series.to);
            if (!o->u.series.in_range)
                sp_buf_putc(b, ')');
        }
        sp_buf_puts(b, o->u.series.in_range ? " " : " (step ");
        kql_expr_dump(b, o->u.series.step);
        sp_buf_putc(b, ')');
        if (o->u.series.nby)
            dump_tagged_list(b, "by", o->u.series.by, o->u.series.nby);
        break;
    case KQL_TOP_AS:
        sp_buf_putc(b, ' ');
        dump_name(b, o->u.as.name.name.s, o->u.as.name.name.len);
        break;
    case KQL_TOP_RENDER:
        sp_buf_putc(b, ' ');
        dump_name(b, o->u.render.chart.name.s, o->u.render.chart.name.len);
        if (o->u.render.nprops)
            dump_tagged_list(b, "with", o->u.render.props, o->u.render.nprops);
        break;
    case KQL_TOP_SEARCH:
        if (o->u.search.ntables)
            dump_tagged_list(b, "in", o->u.search.tables, o->u.search.ntables);
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, o->u.search.pred);
        break;
    case KQL_TOP_FACET:
        dump_tagged_list(b, "by", o->u.facet.by, o->u.facet.nby);
        if (o->u.facet.with) {
            sp_buf_puts(b, " (with ");
            kql_expr_dump(b, o->u.facet.with);
            sp_buf_putc(b, ')');
        }
        break;
    case KQL_TOP_RANGE:
        sp_buf_putc(b, ' ');
        dump_name(b, o->u.range.col.name.s, o->u.range.col.name.len);
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, o->u.range.from);
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, o->u.range.to);
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, o->u.range.step);
        break;
    case KQL_OP_KIND_COUNT: break;
    }
    sp_buf_putc(b, ')');
}

void kql_expr_dump(sp_buf *b, const kql_expr *e)
{
    if (!e) {
        sp_buf_puts(b, "()");
        return;
    }
    switch (e->kind) {
    case KQL_E_LITERAL: dump_lit(b, &e->u.lit); break;
    case KQL_E_NAME: dump_name(b, e->u.name.name.s, e->u.name.name.len); break;
    case KQL_E_STAR: sp_buf_putc(b, '*'); break;
    case KQL_E_MEMBER:
        sp_buf_puts(b, "(. ");
        kql_expr_dump(b, e->u.member.obj);
        sp_buf_putc(b, ' ');
        dump_name(b, e->u.member.name.name.s, e->u.member.name.name.len);
        sp_buf_putc(b, ')');
        break;
    case KQL_E_INDEX:
        sp_buf_puts(b, "([] ");
        kql_expr_dump(b, e->u.index.obj);
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, e->u.index.index);
        sp_buf_putc(b, ')');
        break;
    case KQL_E_CALL:
        sp_buf_puts(b, "(call ");
        dump_name(b, e->u.call.name.name.s, e->u.call.name.name.len);
        dump_list(b, e->u.call.args, e->u.call.nargs);
        sp_buf_putc(b, ')');
        break;
    case KQL_E_UNARY:
        sp_buf_puts(b, e->u.unary.op == KQL_UN_NEG ? "(neg " : "(plus ");
        kql_expr_dump(b, e->u.unary.arg);
        sp_buf_putc(b, ')');
        break;
    case KQL_E_BINARY:
        sp_buf_printf(b, "(%s ", kql_binop_text(e->u.binary.op));
        kql_expr_dump(b, e->u.binary.lhs);
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, e->u.binary.rhs);
        sp_buf_putc(b, ')');
        break;
    case KQL_E_IN:
        sp_buf_printf(b, "(%s ", kql_binop_text(e->u.in.op));
        kql_expr_dump(b, e->u.in.lhs);
        dump_list(b, e->u.in.list, e->u.in.nlist);
        sp_buf_putc(b, ')');
        break;
    case KQL_E_BETWEEN:
        sp_buf_printf(b, "(%s ", kql_binop_text(e->u.between.op));
        kql_expr_dump(b, e->u.between.lhs);
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, e->u.between.lo);
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, e->u.between.hi);
        sp_buf_putc(b, ')');
        break;
    case KQL_E_TYPEOF:
        sp_buf_puts(b, "(typeof ");
        dump_type(b, &e->u.type);
        sp_buf_putc(b, ')');
        break;
    case KQL_E_ASSIGN:
        sp_buf_puts(b, "(= ");
        if (e->u.assign.nnames != 1)
            sp_buf_putc(b, '(');
        for (size_t i = 0; i < e->u.assign.nnames; i++) {
            if (i)
                sp_buf_putc(b, ' ');
            dump_name(b, e->u.assign.names[i].name.s, e->u.assign.names[i].name.len);
        }
        if (e->u.assign.nnames != 1)
            sp_buf_putc(b, ')');
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, e->u.assign.value);
        sp_buf_putc(b, ')');
        break;
    case KQL_E_PIPE:
        sp_buf_puts(b, "(pipe");
        if (e->u.pipe.source) {
            sp_buf_putc(b, ' ');
            kql_expr_dump(b, e->u.pipe.source);
        }
        for (size_t i = 0; i < e->u.pipe.nops; i++) {
            sp_buf_putc(b, ' ');
            dump_op(b, e->u.pipe.ops[i]);
        }
        sp_buf_putc(b, ')');
        break;
    case KQL_E_DATATABLE:
    case KQL_E_EXTERNALDATA:
        sp_buf_puts(b, e->kind == KQL_E_DATATABLE ? "(datatable" : "(externaldata");
        dump_coldecls(b, e->u.table.cols, e->u.table.ncols);
        dump_list(b, e->u.table.values, e->u.table.nvalues);
        if (e->u.table.nprops)
            dump_tagged_list(b, "with", e->u.table.props, e->u.table.nprops);
        sp_buf_putc(b, ')');
        break;
    case KQL_E_LAMBDA:
        sp_buf_puts(b, e->u.lambda.view ? "(view " : "(lambda ");
        dump_param_decls(b, e->u.lambda.params, e->u.lambda.nparams);
        for (size_t i = 0; i < e->u.lambda.nbody; i++) {
            sp_buf_putc(b, ' ');
            dump_stmt(b, e->u.lambda.body[i]);
        }
        sp_buf_putc(b, ')');
        break;
    }
}

static void dump_stmt(sp_buf *b, const kql_stmt *s)
{
    switch (s->kind) {
    case KQL_S_LET:
        sp_buf_puts(b, "(let ");
        dump_name(b, s->u.let.name.name.s, s->u.let.name.name.len);
        sp_buf_putc(b, ' ');
        kql_expr_dump(b, s->u.let.value);
        sp_buf_putc(b, ')');
        break;
    case KQL_S_SET:
        sp_buf_puts(b, "(set ");
        sp_buf_append(b, s->u.set.name.name.s, s->u.set.name.name.len);
        if (s->u.set.value) {
            sp_buf_putc(b, ' ');
            kql_expr_dump(b, s->u.set.value);
        }
        sp_buf_putc(b, ')');
        break;
    case KQL_S_DECLARE:
        sp_buf_puts(b, "(declare ");
        dump_param_decls(b, s->u.declare.params, s->u.declare.nparams);
        sp_buf_putc(b, ')');
        break;
    case KQL_S_EXPR: kql_expr_dump(b, s->u.expr); break;
    }
}

void kql_ast_dump(sp_buf *b, const kql_query *q)
{
    for (size_t i = 0; i < q->nstmts; i++) {
        if (i)
            sp_buf_putc(b, '\n');
        dump_stmt(b, q->stmts[i]);
    }
}
