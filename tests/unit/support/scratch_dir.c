/* scratch_dir.c — one implementation of the temporary directory the runtime, rule-profile,
 * configuration and `socpipe run` tests keep their files in (scratch_dir.h). */
#include "tests/unit/support/scratch_dir.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

void scratch_dir_make(char *dir, size_t n, const char *prefix)
{
    snprintf(dir, n, "/tmp/%s-XXXXXX", prefix);
    assert_non_null(mkdtemp(dir));
}

int scratch_dir_remove(const char *dir)
{
    if (getenv("KT_KEEP"))
        return 0;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

void scratch_dir_write(const char *dir, const char *name, const char *text)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}
