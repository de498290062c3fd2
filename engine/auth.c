/* auth.c: display tokens. */
#define G_LOG_DOMAIN "auth"

#include "engine/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

static const char *const role_names[] = {"none",    "display", "supervisor",
                                         "manager", "admin",   "auditor"};

const char *
wb_auth_role_name(WbRole role)
{
  return (int)role >= 0 && (gsize)role < G_N_ELEMENTS(role_names) ? role_names[role] : "none";
}

WbRole
wb_auth_role_from_name(const char *name)
{
  for (gsize i = 1; name != NULL && i < G_N_ELEMENTS(role_names); i++)
    if (strcmp(name, role_names[i]) == 0)
      return (WbRole)i;
  return WB_ROLE_NONE;
}

WbRole
wb_auth_role(WbStore *store, const char *token)
{
  g_autofree char *role = wb_store_check_token(store, token, NULL);
  return wb_auth_role_from_name(role);
}

static char *
new_secret(void)
{
  guint8 raw[24];
  char text[sizeof(raw) * 2 + 1];
  randombytes_buf(raw, sizeof(raw));
  sodium_bin2hex(text, sizeof(text), raw, sizeof(raw));
  sodium_memzero(raw, sizeof(raw));
  return g_strdup(text);
}

char *
wb_auth_add_token(WbStore *store, WbRole role, const char *label, GError **error)
{
  if (role != WB_ROLE_DISPLAY && role != WB_ROLE_SUPERVISOR && role != WB_ROLE_MANAGER) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "a token is for display, supervisor or manager, not %s: a person logs in",
                wb_auth_role_name(role));
    return NULL;
  }
  g_autofree char *token = new_secret();
  if (!wb_store_add_token(store, token, wb_auth_role_name(role), label, error))
    return NULL;
  return g_steal_pointer(&token);
}

char *
wb_auth_add_ingest_key(WbStore *store, const char *label, GError **error)
{
  g_autofree char *key = new_secret();
  if (!wb_store_add_token(store, key, WB_AUTH_INGEST_ROLE, label, error))
    return NULL;
  return g_steal_pointer(&key);
}

char *
wb_auth_ingest_label(WbStore *store, const char *key)
{
  g_autofree char *label = NULL;
  g_autofree char *role = wb_store_check_token(store, key, &label);
  if (role == NULL || strcmp(role, WB_AUTH_INGEST_ROLE) != 0)
    return NULL;
  return g_steal_pointer(&label);
}

static gboolean
write_private(const char *path, const char *text, GError **error)
{
  /* Created 0600 from the start: the token is never readable by others,
   * not even for an instant. */
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s", path,
                g_strerror(errno));
    return FALSE;
  }
  gsize len = strlen(text);
  gboolean ok = write(fd, text, len) == (ssize_t)len && fchmod(fd, 0600) == 0;
  int saved = errno;
  if (close(fd) != 0 || !ok) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot write %s: %s", path,
                g_strerror(saved));
    return FALSE;
  }
  return TRUE;
}

char *
wb_auth_ensure_display_token(WbStore *store, const char *state_dir, GError **error)
{
  g_autofree char *path = g_build_filename(state_dir, "display-token", NULL);
  g_autofree char *text = NULL;

  if (g_file_get_contents(path, &text, NULL, NULL)) {
    g_strstrip(text);
    if (wb_auth_role(store, text) == WB_ROLE_DISPLAY)
      return g_steal_pointer(&text);
    g_message("auth: %s holds no valid token; making a new one", path);
  }

  g_autofree char *token = new_secret();
  if (!wb_store_add_token(store, token, "display", "first display token", error))
    return NULL;
  g_autofree char *line = g_strconcat(token, "\n", NULL);
  if (!write_private(path, line, error))
    return NULL;
  g_message("auth: display token written to %s", path);
  return g_steal_pointer(&token);
}
