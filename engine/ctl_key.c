/* ctl_key.c: wallboardctl key and token: the ingest API's keys and the
 * tokens of programs that read the API. */
#define G_LOG_DOMAIN "wallboardctl"

#include "engine/ctl.h"

#include <string.h>

#include "collectors/ingest.h"
#include "engine/auth.h"
#include "engine/clock.h"
#include "engine/config.h"
#include "engine/engine.h"

static WbStore *
open_store(const char *config, const char *state_dir, GError **error)
{
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  if (config != NULL && !wb_config_load_file(cfg, config, error))
    return NULL;
  if (state_dir != NULL && !wb_config_set(cfg, "store", "state_dir", state_dir, error))
    return NULL;
  g_autofree char *dir = wb_engine_state_dir(cfg);
  if (g_mkdir_with_parents(dir, 0700) != 0) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot create %s", dir);
    return NULL;
  }
  g_autofree char *db = g_build_filename(dir, "wallboard.db", NULL);
  return wb_store_open(db, error);
}

static void
print_token(const char *role, const char *label, gint64 created_ms, gpointer user_data)
{
  GTimeZone *tz = user_data;
  g_autofree char *when = wb_time_format(tz, created_ms);
  g_print("%-10s %-32s %s\n", role, label != NULL ? label : "", when);
}

int
wb_ctl_key(const char *config, const char *state_dir, char **args, int n)
{
  g_autoptr(GError) error = NULL;
  const char *verb = n > 0 ? args[0] : "";
  gboolean needs_label = strcmp(verb, "add") == 0 || strcmp(verb, "revoke") == 0;

  if (!(needs_label && n == 2) && !(strcmp(verb, "list") == 0 && n == 1)) {
    g_printerr("wallboardctl: usage: key add SOURCE | key list | key revoke SOURCE\n");
    return 2;
  }
  if (needs_label && !wb_ingest_label_valid(args[1])) {
    g_printerr("wallboardctl: key: SOURCE is 1 to 64 of A-Z a-z 0-9 . _ -\n");
    return 2;
  }
  g_autoptr(WbStore) store = open_store(config, state_dir, &error);
  if (store == NULL) {
    g_printerr("wallboardctl: key: %s\n", error->message);
    return 1;
  }
  if (strcmp(verb, "add") == 0) {
    g_autofree char *key = wb_auth_add_ingest_key(store, args[1], &error);
    if (key == NULL) {
      g_printerr("wallboardctl: key add: %s\n", error->message);
      return 1;
    }
    g_autofree char *source = wb_ingest_source_name(args[1]);
    g_printerr("ingest key for source %s (shown only now; the store keeps its hash):\n", source);
    g_print("%s\n", key);
    return 0;
  }
  if (strcmp(verb, "revoke") == 0) {
    gint64 removed = wb_store_remove_tokens(store, WB_AUTH_INGEST_ROLE, args[1], &error);
    if (removed < 0) {
      g_printerr("wallboardctl: key revoke: %s\n", error->message);
      return 1;
    }
    g_print("%" G_GINT64_FORMAT " key(s) of %s revoked\n", removed, args[1]);
    return removed > 0 ? 0 : 1;
  }
  g_autoptr(GTimeZone) tz = g_time_zone_new_local();
  g_print("%-10s %-32s %s\n", "ROLE", "LABEL", "CREATED");
  if (!wb_store_foreach_token(store, print_token, tz, &error)) {
    g_printerr("wallboardctl: key list: %s\n", error->message);
    return 1;
  }
  return 0;
}

/* wallboardctl token add ROLE LABEL | token revoke ROLE LABEL */
int
wb_ctl_token(const char *config, const char *state_dir, char **args, int n)
{
  g_autoptr(GError) error = NULL;
  const char *verb = n > 0 ? args[0] : "";
  WbRole role = n > 1 ? wb_auth_role_from_name(args[1]) : WB_ROLE_NONE;

  if (n != 3 || (strcmp(verb, "add") != 0 && strcmp(verb, "revoke") != 0) ||
      !wb_ingest_label_valid(args[2])) {
    g_printerr("wallboardctl: usage: token add ROLE LABEL | token revoke ROLE LABEL\n"
               "  ROLE: display, supervisor or manager; LABEL: 1 to 64 of A-Z a-z 0-9 . _ -\n");
    return 2;
  }
  if (role != WB_ROLE_DISPLAY && role != WB_ROLE_SUPERVISOR && role != WB_ROLE_MANAGER) {
    g_printerr("wallboardctl: token: ROLE is display, supervisor or manager, not '%s'\n", args[1]);
    return 2;
  }
  g_autoptr(WbStore) store = open_store(config, state_dir, &error);
  if (store == NULL) {
    g_printerr("wallboardctl: token: %s\n", error->message);
    return 1;
  }
  if (strcmp(verb, "revoke") == 0) {
    gint64 removed = wb_store_remove_tokens(store, wb_auth_role_name(role), args[2], &error);
    if (removed < 0) {
      g_printerr("wallboardctl: token revoke: %s\n", error->message);
      return 1;
    }
    g_print("%" G_GINT64_FORMAT " token(s) of %s %s revoked\n", removed, args[1], args[2]);
    return removed > 0 ? 0 : 1;
  }
  g_autofree char *token = wb_auth_add_token(store, role, args[2], &error);
  if (token == NULL) {
    g_printerr("wallboardctl: token add: %s\n", error->message);
    return 1;
  }
  g_printerr("%s token %s (shown only now; the store keeps its hash):\n", args[1], args[2]);
  g_print("%s\n", token);
  return 0;
}

WbConfig *
wb_ctl_config(const char *config, const char *state_dir, GTimeZone **tz)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();

  if ((config != NULL && !wb_config_load_file(cfg, config, &error)) ||
      (state_dir != NULL && !wb_config_set(cfg, "store", "state_dir", state_dir, &error))) {
    g_printerr("wallboardctl: %s\n", error->message);
    return NULL;
  }
  *tz = g_time_zone_new_identifier(cfg->timezone);
  if (*tz == NULL) {
    g_printerr("wallboardctl: [kpi] timezone: unknown time zone '%s'\n", cfg->timezone);
    return NULL;
  }
  return g_steal_pointer(&cfg);
}
