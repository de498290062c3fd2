/* bench_dir.c: a benchmark's work directory (bench/bench_dir.h). */
#include "bench/bench_dir.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

static gboolean
rm_contents(const char *path)
{
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  gboolean ok = dir != NULL;
  const char *name;
  while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
    g_autofree char *child = g_build_filename(path, name, NULL);
    if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
      ok = rm_contents(child) && g_rmdir(child) == 0 && ok;
    else
      ok = g_unlink(child) == 0 && ok;
  }
  return ok;
}

char *
bench_dir_make(const char *requested, const char *tmp_template, gboolean *created, GError **error)
{
  if (requested == NULL) {
    *created = TRUE;
    return g_dir_make_tmp(tmp_template, error);
  }
  *created = !g_file_test(requested, G_FILE_TEST_EXISTS);
  if (g_mkdir_with_parents(requested, 0700) != 0) {
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot create %s: %s", requested,
                g_strerror(e));
    return NULL;
  }
  g_autoptr(GDir) dir = g_dir_open(requested, 0, error);
  if (dir == NULL)
    return NULL;
  if (g_dir_read_name(dir) != NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_EMPTY, "--dir %s is not empty", requested);
    return NULL;
  }
  return g_canonicalize_filename(requested, NULL);
}

void
bench_dir_remove(const char *who, const char *dir, gboolean created)
{
  gboolean ok = rm_contents(dir);
  if (ok && created)
    ok = g_rmdir(dir) == 0;
  if (!ok)
    g_printerr("%s: could not remove all of %s\n", who, dir);
}
