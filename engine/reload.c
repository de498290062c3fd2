/* reload.c: applying a new configuration while the daemon runs
 * (engine/reload.h). */
#define G_LOG_DOMAIN "wb-reload"

#include "engine/reload.h"

#include <string.h>

#include "engine/alerts.h"
#include "engine/audit.h"
#include "engine/report/reports.h"
#include "engine/topics.h"

/* Read once at start: the server's socket and timers, the store and its
 * batching, the collectors (queue_log, AMI, demo, the agents' alias map
 * they were given), the RRD archive, the time zone every day boundary was
 * computed in. A group name ending in '.' stands for all its keys. */
static const char *const restart_keys[] = {
    "server.listen",
    "server.dashboards_dir",
    "server.update_ms",
    "server.heartbeat_s",
    "store.",
    "kpi.timezone",
    "rrd.",
    "queue_log.",
    "ami.",
    "demo.",
    "agent.",
    NULL,
};

gboolean
wb_reload_needs_restart(const char *key)
{
  for (const char *const *k = restart_keys; *k != NULL; k++) {
    gsize n = strlen(*k);
    if ((*k)[n - 1] == '.' ? strncmp(key, *k, n) == 0 : strcmp(key, *k) == 0)
      return TRUE;
  }
  return FALSE;
}

void
wb_reload_changes_clear(WbReloadChanges *c)
{
  g_clear_pointer(&c->applied, g_ptr_array_unref);
  g_clear_pointer(&c->restart, g_ptr_array_unref);
}

/* The alert rules again, from the new groups: open alerts of a rule that
 * went are closed, the others go on (engine/alerts.h). A failure keeps
 * the old rules running. */
static void
rebuild_alerts(WbEngine *e)
{
  g_autoptr(GError) error = NULL;
  WbAlerts *a = wb_alerts_new(e->store, e->cfg, e->tz, wb_clock_now_ms(&e->clock), &error);
  if (a == NULL) {
    g_warning("config reload: alert rules kept: %s", error->message);
    return;
  }
  g_clear_pointer(&e->alerts, wb_alerts_free);
  e->alerts = a;
  wb_alerts_start(a, e);
}

gboolean
wb_reload_apply(WbEngine *e, WbConfig *next, WbReloadChanges *out, GError **error)
{
  g_autoptr(GPtrArray) rules = wb_alerts_rules(next, error);
  if (rules == NULL || !wb_reports_set_schedule(NULL, next, error))
    return FALSE;

  g_autoptr(GPtrArray) changes = wb_config_changes(e->cfg, next);
  out->applied = g_ptr_array_new_with_free_func(g_free);
  out->restart = g_ptr_array_new_with_free_func(g_free);
  gboolean alerts_changed = FALSE;
  for (guint i = 0; i < changes->len; i++) {
    const char *key = g_ptr_array_index(changes, i);
    if (wb_reload_needs_restart(key)) {
      wb_config_copy_key(next, e->cfg, key);
      g_ptr_array_add(out->restart, g_strdup(key));
    } else {
      alerts_changed |= g_str_has_prefix(key, "alert.");
      g_ptr_array_add(out->applied, g_strdup(key));
    }
  }

  WbConfig old = *e->cfg;
  *e->cfg = *next;
  *next = old;

  if (e->reports != NULL)
    wb_reports_set_schedule(e->reports, e->cfg, NULL);
  if (alerts_changed && e->alerts != NULL)
    rebuild_alerts(e);
  /* Sessions see the new targets and names now, not at the next call. */
  if (e->topics != NULL)
    wb_topics_refresh(e->topics, TRUE);
  return TRUE;
}

static void
append_keys(GString *s, const GPtrArray *keys)
{
  for (guint i = 0; i < keys->len; i++)
    g_string_append_printf(s, "%s%s", i > 0 ? ", " : "", (const char *)g_ptr_array_index(keys, i));
}

char *
wb_reload_describe(const WbReloadChanges *c)
{
  GString *s = g_string_new(NULL);
  if (c->applied != NULL && c->applied->len > 0) {
    g_string_append(s, "applied: ");
    append_keys(s, c->applied);
  }
  if (c->restart != NULL && c->restart->len > 0) {
    g_string_append(s, s->len > 0 ? "; needs a restart: " : "needs a restart: ");
    append_keys(s, c->restart);
  }
  if (s->len == 0)
    g_string_append(s, "no change");
  return g_string_free(s, FALSE);
}

gboolean
wb_reload_audit(WbEngine *e, const char *actor, const char *target, const WbReloadChanges *c,
                GError **error)
{
  g_autofree char *detail = wb_reload_describe(c);
  return wb_audit_log(e->store, g_get_real_time() / 1000, actor, WB_AUDIT_CONFIG, target, detail,
                      NULL, error);
}
