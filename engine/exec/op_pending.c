/* op_pending.c — operators whose implementation is in progress: they fail with a
 * positioned `unsupported:` error rather than returning wrong rows. Each moves to its
 * own file when implemented. */
#include "engine/exec/exec_int.h"

kop *kop_sort(kexec *ex, const kp *node)
{
    return kop_unsupported(ex, node, "sort");
}

kop *kop_top(kexec *ex, const kp *node)
{
    return kop_unsupported(ex, node, "top");
}

kop *kop_union(kexec *ex, const kp *node)
{
    return kop_unsupported(ex, node, "union");
}

kop *kop_join(kexec *ex, const kp *node)
{
    return kop_unsupported(ex, node, "join");
}

kop *kop_mvexpand(kexec *ex, const kp *node)
{
    return kop_unsupported(ex, node, "mv-expand");
}
