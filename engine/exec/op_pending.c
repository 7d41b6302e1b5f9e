/* op_pending.c — operators whose implementation is in progress: they fail with a
 * positioned `unsupported:` error rather than returning wrong rows. Each moves to its
 * own file when implemented. */
#include "engine/exec/exec_int.h"





kop *kop_mvexpand(kexec *ex, const kp *node)
{
    return kop_unsupported(ex, node, "mv-expand");
}
