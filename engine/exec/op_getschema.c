/* op_getschema.c — getschema: the input's schema as rows (getschema operator docs):
 * ColumnName, ColumnOrdinal (int, from 0), DataType (the .NET type name Kusto prints:
 * System.String, System.Int64, ...; bool is System.SByte, Kusto's storage type for it)
 * and ColumnType (Kusto's type name). The input is never run: its schema is known when
 * the plan is built. */
#include "engine/exec/exec_int.h"

#include <stdlib.h>
#include <string.h>

static const char *dotnet_type(sp_type t)
{
    switch (t) {
    case SP_TYPE_BOOL: return "System.SByte";
    case SP_TYPE_INT: return "System.Int32";
    case SP_TYPE_LONG: return "System.Int64";
    case SP_TYPE_REAL: return "System.Double";
    case SP_TYPE_DATETIME: return "System.DateTime";
    case SP_TYPE_TIMESPAN: return "System.TimeSpan";
    case SP_TYPE_STRING: return "System.String";
    case SP_TYPE_GUID: return "System.Guid";
    default: return "System.Object";
    }
}

typedef struct schema_op {
    kop base;
    krowset *rows;
    kop *reader;
} schema_op;

static int schema_next(kop *self, kbatch **out)
{
    schema_op *s = (schema_op *)self;
    return s->reader->next(s->reader, out);
}

static void schema_close(kop *self)
{
    schema_op *s = (schema_op *)self;
    kop_close(s->reader);
    krowset_free(s->rows);
    free(s);
}

static kval text(const char *p)
{
    kval v = {.type = SP_TYPE_STRING, .u.s = {p, (uint32_t)strlen(p)}};
    return v;
}

kop *kop_getschema(kexec *ex, const kp *node)
{
    schema_op *s = kop_alloc(sizeof *s, ex, node, schema_next, schema_close);
    s->rows = krowset_new(&node->out);
    if (node->out.ncols != 4) {
        kexec_fail(ex, node->line, node->col, "internal: getschema output has %d columns, expected 4", node->out.ncols);
    } else {
        const kp_schema *in = &node->in->out;
        for (int c = 0; c < in->ncols; c++) {
            kval row[4];
            row[0] = text(in->cols[c].name);
            row[1] = (kval){.type = SP_TYPE_INT, .u.l = c};
            row[2] = text(dotnet_type(in->cols[c].type));
            row[3] = text(sp_type_name(in->cols[c].type == SP_TYPE_NULL ? SP_TYPE_DYNAMIC : in->cols[c].type));
            krowset_append_row(s->rows, row);
        }
    }
    s->reader = kop_rowset(ex, node, s->rows);
    return &s->base;
}
