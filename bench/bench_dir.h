/* bench_dir.h: the work directory of a benchmark: a fresh temporary one,
 * or one the user names (--dir), which must be new or empty so that a run
 * never deletes someone's files. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* requested NULL: a new directory from tmp_template ("wb-bench-X-XXXXXX")
 * under the temporary directory. *created: whether this run made it (and
 * may remove it). The directory's absolute path, or NULL with error. */
char *bench_dir_make(const char *requested, const char *tmp_template, gboolean *created,
                     GError **error);
/* Empties dir (recursively, not following links) and removes it if this
 * run made it; a warning naming `who` when something stays. */
void bench_dir_remove(const char *who, const char *dir, gboolean created);

G_END_DECLS
