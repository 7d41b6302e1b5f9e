/* scratch_dir.h — the scratch directory a test binary writes its configuration, rule and
 * data files into: made in the cmocka setup, removed in teardown. The caller owns the
 * buffer holding the directory's name. */
#ifndef SP_TEST_SCRATCH_DIR_H
#define SP_TEST_SCRATCH_DIR_H

#include <stddef.h>

/* Creates /tmp/<prefix>-XXXXXX and writes its name into dir (n bytes); fails the test when
 * it cannot. */
void scratch_dir_make(char *dir, size_t n, const char *prefix);
/* Removes it with everything in it (kept when $KT_KEEP is set, to look at after a failure).
 * 0, or -1 when removing failed: a cmocka teardown's result. */
int scratch_dir_remove(const char *dir);
/* Writes text to dir/name (replacing it); fails the test when it cannot. */
void scratch_dir_write(const char *dir, const char *name, const char *text);

#endif
