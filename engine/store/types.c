/* types.c — Kusto scalar types: names, aliases, widths and the widening lattice used by
 * inferred schemas. */
#include "engine/store/store.h"

#include <string.h>

static const char *const type_names[SP_TYPE_COUNT] = {
    [SP_TYPE_NULL] = "null",         [SP_TYPE_BOOL] = "bool",     [SP_TYPE_INT] = "int",
    [SP_TYPE_LONG] = "long",         [SP_TYPE_REAL] = "real",     [SP_TYPE_DATETIME] = "datetime",
    [SP_TYPE_TIMESPAN] = "timespan", [SP_TYPE_STRING] = "string", [SP_TYPE_GUID] = "guid",
    [SP_TYPE_DYNAMIC] = "dynamic",
};

const char *sp_type_name(sp_type t)
{
    return (unsigned)t < SP_TYPE_COUNT ? type_names[t] : "?";
}

bool sp_type_parse(const char *name, size_t n, sp_type *out)
{
    static const struct {
        const char *name;
        sp_type t;
    } aliases[] = {
        {"bool", SP_TYPE_BOOL},         {"boolean", SP_TYPE_BOOL},     {"int", SP_TYPE_INT},
        {"int32", SP_TYPE_INT},         {"long", SP_TYPE_LONG},        {"int64", SP_TYPE_LONG},
        {"real", SP_TYPE_REAL},         {"double", SP_TYPE_REAL},      {"decimal", SP_TYPE_REAL},
        {"datetime", SP_TYPE_DATETIME}, {"date", SP_TYPE_DATETIME},    {"timespan", SP_TYPE_TIMESPAN},
        {"time", SP_TYPE_TIMESPAN},     {"string", SP_TYPE_STRING},    {"guid", SP_TYPE_GUID},
        {"uuid", SP_TYPE_GUID},         {"uniqueid", SP_TYPE_GUID},    {"dynamic", SP_TYPE_DYNAMIC},
    };
    for (size_t i = 0; i < SP_ARRAY_LEN(aliases); i++)
        if (sp_ieq(name, n, aliases[i].name, strlen(aliases[i].name))) {
            *out = aliases[i].t;
            return true;
        }
    return false;
}

size_t sp_type_width(sp_type t)
{
    switch (t) {
    case SP_TYPE_BOOL: return 1;
    case SP_TYPE_INT: return 4;
    case SP_TYPE_LONG:
    case SP_TYPE_REAL:
    case SP_TYPE_DATETIME:
    case SP_TYPE_TIMESPAN: return 8;
    default: return 0;
    }
}

sp_type sp_type_widen(sp_type a, sp_type b)
{
    if (a == b)
        return a;
    if (a == SP_TYPE_NULL)
        return b;
    if (b == SP_TYPE_NULL)
        return a;
    if (a > b) {
        sp_type t = a;
        a = b;
        b = t;
    }
    /* now a < b in enum order */
    if (a == SP_TYPE_INT && b == SP_TYPE_LONG)
        return SP_TYPE_LONG;
    if ((a == SP_TYPE_INT || a == SP_TYPE_LONG) && b == SP_TYPE_REAL)
        return SP_TYPE_REAL;
    if ((a == SP_TYPE_DATETIME || a == SP_TYPE_TIMESPAN) && (b == SP_TYPE_STRING || b == SP_TYPE_GUID))
        return SP_TYPE_STRING;
    if (a == SP_TYPE_STRING && b == SP_TYPE_GUID)
        return SP_TYPE_STRING;
    return SP_TYPE_DYNAMIC;
}
