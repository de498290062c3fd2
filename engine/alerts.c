/* alerts.c: alert rules, their state per scope, and the alerts table. */
#define G_LOG_DOMAIN "alerts"

#include "engine/alerts.h"
#include "engine/alerts_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/audit.h"
#include "engine/clock.h"
#include "engine/kpi_json.h"
#include "engine/store_private.h"

G_DEFINE_QUARK(wb - alerts - error - quark, wb_alerts_error)

static const char *const op_names[] = {"<", "<=", ">", ">="};
static const char *const severity_names[] = {"info", "warning", "critical"};

static const WbAlertMetric metrics[] = {
    {"service_level", "近15分钟服务水平", "%"},
    {"abandon_rate", "近15分钟放弃率", "%"},
    {"waiting", "排队等待", ""},
    {"longest_wait_s", "最长等待", "秒"},
    {"acw_s", "话后整理", "秒"},
    {"paused_s", "暂停", "秒"},
    {"shift_uncovered_min", "班次开始后未到岗", "分钟"},
    {"staffing_gap", "在岗少于需要", ""},
    {"workorder_due_min", "12345工单距到期", "分钟"},
    {"collector_silent_s", "采集器无数据", "秒"},
    {"collector_down_s", "采集器断开", "秒"},
    {"disk_free_pct", "状态目录剩余空间", "%"},
    {"store_errors", "近10分钟数据库写入失败", ""},
    {"rrd_errors", "近10分钟趋势归档写入失败", ""},
};

const WbAlertMetric *
wb_alert_metrics(guint *n)
{
  *n = G_N_ELEMENTS(metrics);
  return metrics;
}

static const WbAlertMetric *
metric_find(const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS(metrics); i++)
    if (g_strcmp0(metrics[i].name, name) == 0)
      return &metrics[i];
  return NULL;
}

const char *
wb_alert_op_name(WbAlertOp op)
{
  return op_names[op];
}

const char *
wb_alert_severity_name(WbAlertSeverity s)
{
  return severity_names[s];
}

void
wb_alert_rule_free(WbAlertRule *r)
{
  if (r == NULL)
    return;
  g_free(r->name);
  g_free(r->metric);
  g_free(r->scope);
  g_free(r);
}

/* ---- the shipped rules ---- */

typedef struct {
  const char *name, *metric, *scope;
  WbAlertOp op;
  const char *threshold, *clear; /* as a config value would be */
  gint for_s, clear_for_s;
  WbAlertSeverity severity;
  gint min_calls;
} DefaultRule;

/* docs/alerts.md lists these with their reasons; keep the two in step. */
static const DefaultRule defaults[] = {
    {"service_level", "service_level", "total", WB_ALERT_LT, "target", "target+0.05", 900, 300,
     WB_ALERT_WARNING, 10},
    {"waiting", "waiting", "total", WB_ALERT_GT, "5", "2", 30, 30, WB_ALERT_WARNING, 0},
    {"longest_wait", "longest_wait_s", "total", WB_ALERT_GT, "60", "30", 0, 30, WB_ALERT_CRITICAL,
     0},
    {"acw_long", "acw_s", "agent:*", WB_ALERT_GT, "120", "120", 0, 0, WB_ALERT_WARNING, 0},
    {"paused_long", "paused_s", "agent:*", WB_ALERT_GT, "900", "900", 0, 0, WB_ALERT_WARNING, 0},
    {"shift_uncovered", "shift_uncovered_min", "agent:*", WB_ALERT_GE, "10", "10", 0, 0,
     WB_ALERT_WARNING, 0},
    {"staffing_short", "staffing_gap", "total", WB_ALERT_GE, "1", "1", 600, 300, WB_ALERT_WARNING,
     0},
    {"abandon_spike", "abandon_rate", "total", WB_ALERT_GT, "0.15", "0.08", 300, 300,
     WB_ALERT_WARNING, 10},
    {"workorder_due", "workorder_due_min", "workorder:*", WB_ALERT_LE, "120", "120", 0, 0,
     WB_ALERT_WARNING, 0},
    {"collector_silent", "collector_silent_s", "collector:*", WB_ALERT_GT, "3600", "3600", 0, 0,
     WB_ALERT_WARNING, 0},
    {"collector_down", "collector_down_s", "collector:*", WB_ALERT_GT, "60", "60", 0, 0,
     WB_ALERT_CRITICAL, 0},
    {"disk_low", "disk_free_pct", "disk", WB_ALERT_LT, "0.05", "0.08", 60, 60, WB_ALERT_CRITICAL,
     0},
    {"store_errors", "store_errors", "store", WB_ALERT_GE, "1", "1", 0, 0, WB_ALERT_CRITICAL, 0},
    /* The trends stop while the KPIs go on: a warning, not critical. */
    {"rrd_errors", "rrd_errors", "rrd", WB_ALERT_GE, "1", "1", 0, 0, WB_ALERT_WARNING, 0},
};

/* "0.8", "target", "target+0.05", "target-0.1". */
static gboolean
parse_threshold(const char *text, gboolean *target, gdouble *out)
{
  char *end = NULL;
  *target = g_str_has_prefix(text, "target");
  const char *num = *target ? text + strlen("target") : text;
  if (*target && *num == '\0') {
    *out = 0;
    return TRUE;
  }
  if (*target && *num != '+' && *num != '-')
    return FALSE;
  *out = g_ascii_strtod(num, &end);
  return end != num && *end == '\0' && isfinite(*out);
}

static WbAlertRule *
rule_from_default(const DefaultRule *d)
{
  WbAlertRule *r = g_new0(WbAlertRule, 1);
  r->name = g_strdup(d->name);
  r->metric = g_strdup(d->metric);
  r->scope = g_strdup(d->scope);
  r->op = d->op;
  parse_threshold(d->threshold, &r->threshold_target, &r->threshold);
  parse_threshold(d->clear, &r->clear_target, &r->clear);
  r->for_s = d->for_s;
  r->clear_for_s = d->clear_for_s;
  r->severity = d->severity;
  r->quiet_start_min = r->quiet_end_min = -1;
  r->min_calls = d->min_calls;
  r->enabled = TRUE;
  return r;
}

GPtrArray *
wb_alerts_default_rules(void)
{
  GPtrArray *rules = g_ptr_array_new_with_free_func((GDestroyNotify)wb_alert_rule_free);
  for (gsize i = 0; i < G_N_ELEMENTS(defaults); i++)
    g_ptr_array_add(rules, rule_from_default(&defaults[i]));
  return rules;
}

static gboolean
invalid(GError **error, const char *group, const char *key, const char *value, const char *want)
{
  g_set_error(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_INVALID, "[alert.%s] %s: '%s' is not %s",
              group, key, value, want);
  return FALSE;
}

static gboolean
parse_int(const char *text, gint max, gint *out)
{
  char *end = NULL;
  gint64 v = g_ascii_strtoll(text, &end, 10);
  if (end == text || *end != '\0' || v < 0 || v > max)
    return FALSE;
  *out = (gint)v;
  return TRUE;
}

static gboolean
parse_clock(const char *text, gint *out)
{
  int h = 0, m = 0, n = 0;
  if (sscanf(text, "%2d:%2d%n", &h, &m, &n) != 2 || text[n] != '\0' || h < 0 || h > 23 || m < 0 ||
      m > 59)
    return FALSE;
  *out = h * 60 + m;
  return TRUE;
}

/* "22:00-07:00", or "" for none. */
static gboolean
parse_quiet(const char *text, gint *start, gint *end)
{
  if (*text == '\0') {
    *start = *end = -1;
    return TRUE;
  }
  g_auto(GStrv) parts = g_strsplit(text, "-", 3);
  if (g_strv_length(parts) != 2)
    return FALSE;
  return parse_clock(g_strstrip(parts[0]), start) && parse_clock(g_strstrip(parts[1]), end) &&
         *start != *end;
}

/* Applies one key of an [alert.NAME] group. */
static gboolean
apply_key(WbAlertRule *r, const char *key, const char *v, GError **error)
{
  const char *group = r->name;
  if (strcmp(key, "metric") == 0) {
    if (metric_find(v) == NULL)
      return invalid(error, group, key, v, "a metric (docs/alerts.md)");
    g_free(r->metric);
    r->metric = g_strdup(v);
  } else if (strcmp(key, "scope") == 0) {
    if (*v == '\0')
      return invalid(error, group, key, v, "a scope (total, queue:NAME, agent:*, …)");
    g_free(r->scope);
    r->scope = g_strdup(v);
  } else if (strcmp(key, "op") == 0) {
    gssize op = -1;
    for (gsize i = 0; i < G_N_ELEMENTS(op_names); i++)
      if (strcmp(op_names[i], v) == 0)
        op = (gssize)i;
    if (op < 0)
      return invalid(error, group, key, v, "one of < <= > >=");
    r->op = (WbAlertOp)op;
  } else if (strcmp(key, "threshold") == 0) {
    if (!parse_threshold(v, &r->threshold_target, &r->threshold))
      return invalid(error, group, key, v, "a number or target[+-N]");
  } else if (strcmp(key, "clear") == 0) {
    if (!parse_threshold(v, &r->clear_target, &r->clear))
      return invalid(error, group, key, v, "a number or target[+-N]");
  } else if (strcmp(key, "for_s") == 0) {
    if (!parse_int(v, 86400, &r->for_s))
      return invalid(error, group, key, v, "seconds, 0..86400");
  } else if (strcmp(key, "clear_for_s") == 0) {
    if (!parse_int(v, 86400, &r->clear_for_s))
      return invalid(error, group, key, v, "seconds, 0..86400");
  } else if (strcmp(key, "min_calls") == 0) {
    if (!parse_int(v, 100000, &r->min_calls))
      return invalid(error, group, key, v, "a count, 0..100000");
  } else if (strcmp(key, "severity") == 0) {
    gssize s = -1;
    for (gsize i = 0; i < G_N_ELEMENTS(severity_names); i++)
      if (strcmp(severity_names[i], v) == 0)
        s = (gssize)i;
    if (s < 0)
      return invalid(error, group, key, v, "info, warning or critical");
    r->severity = (WbAlertSeverity)s;
  } else if (strcmp(key, "quiet_hours") == 0) {
    if (!parse_quiet(v, &r->quiet_start_min, &r->quiet_end_min))
      return invalid(error, group, key, v, "HH:MM-HH:MM (or empty)");
  } else if (strcmp(key, "enabled") == 0) {
    if (g_ascii_strcasecmp(v, "true") == 0)
      r->enabled = TRUE;
    else if (g_ascii_strcasecmp(v, "false") == 0)
      r->enabled = FALSE;
    else
      return invalid(error, group, key, v, "true or false");
  } else {
    g_set_error(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_INVALID, "unknown key [alert.%s] %s", group,
                key);
    return FALSE;
  }
  return TRUE;
}

/* A rule whose clear threshold lies on the wrong side would clear before
 * it could raise. */
static gboolean
check_rule(const WbAlertRule *r, GError **error)
{
  if (r->metric == NULL || r->scope == NULL) {
    g_set_error(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_INVALID,
                "[alert.%s]: a new rule needs a metric, a scope and a threshold", r->name);
    return FALSE;
  }
  if (r->threshold_target != r->clear_target) {
    g_set_error(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_INVALID,
                "[alert.%s]: threshold and clear must both be numbers or both relative to target",
                r->name);
    return FALSE;
  }
  gboolean above = r->op == WB_ALERT_GT || r->op == WB_ALERT_GE;
  if (above ? r->clear > r->threshold : r->clear < r->threshold) {
    g_set_error(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_INVALID,
                "[alert.%s] clear: %g must be on the calm side of the threshold %g (%s for op %s)",
                r->name, r->clear, r->threshold, above ? "at or below" : "at or above",
                op_names[r->op]);
    return FALSE;
  }
  return TRUE;
}

GPtrArray *
wb_alerts_rules(const WbConfig *cfg, GError **error)
{
  g_autoptr(GPtrArray) rules = wb_alerts_default_rules();

  for (guint i = 0; i < cfg->alert_groups->len; i++) {
    const WbConfigGroup *g = g_ptr_array_index(cfg->alert_groups, i);
    WbAlertRule *r = NULL;
    for (guint k = 0; k < rules->len; k++)
      if (strcmp(((WbAlertRule *)g_ptr_array_index(rules, k))->name, g->name) == 0)
        r = g_ptr_array_index(rules, k);
    gboolean fresh = r == NULL;
    if (fresh) {
      if (*g->name == '\0') {
        g_set_error(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_INVALID,
                    "[alert.]: a rule needs a name");
        return NULL;
      }
      r = g_new0(WbAlertRule, 1);
      r->name = g_strdup(g->name);
      r->op = WB_ALERT_GT;
      r->severity = WB_ALERT_WARNING;
      r->quiet_start_min = r->quiet_end_min = -1;
      r->enabled = TRUE;
      g_ptr_array_add(rules, r);
    }
    gboolean has_threshold = !fresh, has_clear = FALSE;
    for (guint k = 0; g->keys[k] != NULL; k++) {
      if (!apply_key(r, g->keys[k], g->values[k], error))
        return NULL;
      has_threshold |= strcmp(g->keys[k], "threshold") == 0;
      has_clear |= strcmp(g->keys[k], "clear") == 0;
    }
    /* Without a clear threshold a rule clears where it raised (also a
     * shipped rule whose threshold moved past its clear threshold). */
    gboolean above = r->op == WB_ALERT_GT || r->op == WB_ALERT_GE;
    if (!has_clear && (fresh || (above ? r->clear > r->threshold : r->clear < r->threshold))) {
      r->clear = r->threshold;
      r->clear_target = r->threshold_target;
    }
    if (!has_threshold) {
      g_set_error(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_INVALID,
                  "[alert.%s]: a new rule needs a metric, a scope and a threshold", r->name);
      return NULL;
    }
    if (!check_rule(r, error))
      return NULL;
  }
  return g_steal_pointer(&rules);
}

gboolean
wb_alert_rule_quiet_at(const WbAlertRule *r, GTimeZone *tz, gint64 ts_ms)
{
  if (r->quiet_start_min < 0)
    return FALSE;
  gint min = (gint)((ts_ms - wb_day_start_ms(tz, ts_ms)) / 60000);
  if (r->quiet_start_min < r->quiet_end_min)
    return min >= r->quiet_start_min && min < r->quiet_end_min;
  /* Across midnight: 22:00-07:00. */
  return min >= r->quiet_start_min || min < r->quiet_end_min;
}

/* ---- state ---- */

typedef struct {
  char *rule;
  char *scope;
  gint64 pending_ms;  /* the condition holds since; 0: it does not */
  gint64 clearing_ms; /* the clear condition holds since; 0: it does not */
  gint64 alert_id;    /* the open alert; 0: none */
  gboolean seen;      /* sampled in this round */
} State;

struct WbAlerts {
  WbStore *store;
  const WbConfig *cfg;
  GTimeZone *tz;
  GPtrArray *rules;   /* WbAlertRule* */
  GHashTable *states; /* "rule\x1fscope" -> State* */
  guint64 version;
  WbAlertsCollectState collect;
  JsonNode *banner;       /* the wallboard's list, NULL until built */
  guint64 banner_version; /* version when banner was built */
  guint banner_open;      /* open alerts then (a raise or clear moves version) */
};

WbAlertsCollectState *
wb_alerts_collect_state(WbAlerts *a)
{
  return &a->collect;
}

static void
state_free(gpointer p)
{
  State *s = p;
  g_free(s->rule);
  g_free(s->scope);
  g_free(s);
}

static char *
state_key(const char *rule, const char *scope)
{
  return g_strconcat(rule, "\x1f", scope, NULL);
}

static State *
state_get(WbAlerts *a, const char *rule, const char *scope, gboolean create)
{
  g_autofree char *key = state_key(rule, scope);
  State *s = g_hash_table_lookup(a->states, key);
  if (s == NULL && create) {
    s = g_new0(State, 1);
    s->rule = g_strdup(rule);
    s->scope = g_strdup(scope);
    g_hash_table_insert(a->states, g_steal_pointer(&key), s);
  }
  return s;
}

static const WbAlertRule *
rule_find(WbAlerts *a, const char *name)
{
  for (guint i = 0; i < a->rules->len; i++) {
    const WbAlertRule *r = g_ptr_array_index(a->rules, i);
    if (strcmp(r->name, name) == 0)
      return r;
  }
  return NULL;
}

static const char sql_close[] = "UPDATE alerts SET cleared_ms = ?2 WHERE id = ?1";

static gboolean
close_alert(WbAlerts *a, gint64 id, gint64 now_ms, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(a->store, sql_close, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, now_ms);
  if (!wb_store_run(a->store, st, "clear alert", error))
    return FALSE;
  a->version++;
  return TRUE;
}

static const char sql_open_alerts[] = "SELECT id, rule, scope FROM alerts WHERE cleared_ms IS NULL";

/* Alerts still open from before a restart go on where they were; those
 * of a rule no longer configured (or disabled) are closed. */
static gboolean
load_open(WbAlerts *a, gint64 now_ms, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(a->store, sql_open_alerts, error);
  g_autoptr(GArray) orphans = g_array_new(FALSE, FALSE, sizeof(gint64));
  if (st == NULL)
    return FALSE;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    gint64 id = sqlite3_column_int64(st, 0);
    const char *rule = (const char *)sqlite3_column_text(st, 1);
    const char *scope = (const char *)sqlite3_column_text(st, 2);
    const WbAlertRule *r = rule_find(a, rule);
    if (r == NULL || !r->enabled) {
      g_array_append_val(orphans, id);
      continue;
    }
    state_get(a, rule, scope, TRUE)->alert_id = id;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    g_set_error(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_INVALID, "reading open alerts failed");
    return FALSE;
  }
  for (guint i = 0; i < orphans->len; i++)
    if (!close_alert(a, g_array_index(orphans, gint64, i), now_ms, error))
      return FALSE;
  return TRUE;
}

/* A failed commit drops the store's batch, with the alert rows raised or
 * cleared in it: the states follow the table again, so an alert whose row
 * was lost is raised anew, and stored once the store can write. */
void
wb_alerts_resync(WbAlerts *a, gint64 now_ms)
{
  GHashTableIter it;
  gpointer v;
  g_autoptr(GError) error = NULL;

  g_hash_table_iter_init(&it, a->states);
  while (g_hash_table_iter_next(&it, NULL, &v))
    ((State *)v)->alert_id = 0;
  if (!load_open(a, now_ms, &error))
    g_warning("%s", error->message);
  a->version++;
}

WbAlerts *
wb_alerts_new(WbStore *store, const WbConfig *cfg, GTimeZone *tz, gint64 now_ms, GError **error)
{
  g_autoptr(GPtrArray) rules = wb_alerts_rules(cfg, error);
  if (rules == NULL)
    return NULL;
  g_autoptr(WbAlerts) a = g_new0(WbAlerts, 1);
  a->store = store;
  a->cfg = cfg;
  a->tz = tz;
  a->rules = g_steal_pointer(&rules);
  a->states = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, state_free);
  a->collect.store_errors = g_array_new(FALSE, FALSE, sizeof(gint64));
  a->collect.rrd_errors = g_array_new(FALSE, FALSE, sizeof(gint64));
  a->collect.down_since = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  if (!load_open(a, now_ms, error))
    return NULL;
  return g_steal_pointer(&a);
}

void
wb_alerts_free(WbAlerts *a)
{
  if (a == NULL)
    return;
  if (a->collect.timer_id != 0)
    g_source_remove(a->collect.timer_id);
  g_clear_pointer(&a->rules, g_ptr_array_unref);
  g_clear_pointer(&a->states, g_hash_table_unref);
  g_clear_pointer(&a->collect.store_errors, g_array_unref);
  g_clear_pointer(&a->collect.rrd_errors, g_array_unref);
  g_clear_pointer(&a->collect.down_since, g_hash_table_unref);
  g_clear_pointer(&a->banner, json_node_unref);
  g_free(a);
}

const GPtrArray *
wb_alerts_rule_list(WbAlerts *a)
{
  return a->rules;
}

guint64
wb_alerts_version(WbAlerts *a)
{
  return a->version;
}

guint
wb_alerts_open_count(WbAlerts *a)
{
  GHashTableIter it;
  gpointer v;
  guint n = 0;
  g_hash_table_iter_init(&it, a->states);
  while (g_hash_table_iter_next(&it, NULL, &v))
    n += ((State *)v)->alert_id != 0;
  return n;
}

/* "*" takes every scope, "agent:*" every agent, anything else itself. */
static gboolean
scope_matches(const char *pattern, const char *scope)
{
  if (strcmp(pattern, "*") == 0)
    return TRUE;
  gsize n = strlen(pattern);
  if (n >= 2 && pattern[n - 1] == '*' && pattern[n - 2] == ':')
    return strncmp(pattern, scope, n - 1) == 0;
  return strcmp(pattern, scope) == 0;
}

static gboolean
compare(WbAlertOp op, gdouble v, gdouble t)
{
  switch (op) {
  case WB_ALERT_LT: return v < t;
  case WB_ALERT_LE: return v <= t;
  case WB_ALERT_GT: return v > t;
  case WB_ALERT_GE: return v >= t;
  }
  return FALSE;
}

static char *
format_value(const WbAlertMetric *m, gdouble v)
{
  if (strcmp(m->unit, "%") == 0)
    return g_strdup_printf("%.1f%%", v * 100);
  if (*m->unit == '\0')
    return g_strdup_printf("%.0f", v);
  return g_strdup_printf("%.0f%s", v, m->unit);
}

static const char sql_next_id[] = "SELECT coalesce(max(id), 0) + 1 FROM alerts";
static const char sql_raise[] =
    "INSERT INTO alerts (id, rule, scope, severity, raised_ms, value, threshold, message)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/* Writes the row in the store's open batch (it commits with the next
 * flush); the id is chosen here, the daemon being the one writer. */
static gboolean
raise_alert(WbAlerts *a, const WbAlertRule *r, State *s, const WbAlertSample *x, gdouble threshold,
            gint64 now_ms, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(a->store, sql_next_id, error);
  if (st == NULL)
    return FALSE;
  gint64 id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_reset(st);
  if (id <= 0) {
    g_set_error(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_INVALID, "no id for a new alert");
    return FALSE;
  }
  const WbAlertMetric *m = metric_find(r->metric);
  g_autofree char *value = format_value(m, x->value);
  g_autofree char *limit = format_value(m, threshold);
  g_autofree char *message =
      g_strdup_printf("%s: %s %s (%s %s)", m->label, x->subject != NULL ? x->subject : x->scope,
                      value, op_names[r->op], limit);
  st = wb_store_statement(a->store, sql_raise, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, s->scope, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, severity_names[r->severity], -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, now_ms);
  sqlite3_bind_double(st, 6, x->value);
  sqlite3_bind_double(st, 7, threshold);
  sqlite3_bind_text(st, 8, message, -1, SQLITE_STATIC);
  if (!wb_store_run(a->store, st, "raise alert", error))
    return FALSE;
  s->alert_id = id;
  s->pending_ms = s->clearing_ms = 0;
  a->version++;
  g_message("raised #%" G_GINT64_FORMAT " %s [%s]: %s", id, r->name, s->scope, message);
  return TRUE;
}

/* One sample against one rule. */
static gboolean
step(WbAlerts *a, const WbAlertRule *r, const WbAlertSample *x, gint64 now_ms, GError **error)
{
  gdouble threshold = r->threshold, clear = r->clear;
  if (r->threshold_target) {
    if (isnan(x->target))
      return TRUE;
    threshold += x->target;
    clear += x->target;
  }
  if (isnan(x->value) || x->calls < r->min_calls)
    return TRUE;
  State *s = state_get(a, r->name, x->scope, TRUE);
  s->seen = TRUE;
  if (s->alert_id == 0) {
    if (!compare(r->op, x->value, threshold)) {
      s->pending_ms = 0;
      return TRUE;
    }
    if (s->pending_ms == 0)
      s->pending_ms = now_ms;
    if (now_ms - s->pending_ms >= (gint64)r->for_s * 1000)
      return raise_alert(a, r, s, x, threshold, now_ms, error);
    return TRUE;
  }
  /* Raised: it clears once `value OP clear` no longer holds, for
   * clear_for_s; between the two thresholds it stays raised. */
  if (compare(r->op, x->value, clear)) {
    s->clearing_ms = 0;
    return TRUE;
  }
  if (s->clearing_ms == 0)
    s->clearing_ms = now_ms;
  if (now_ms - s->clearing_ms >= (gint64)r->clear_for_s * 1000) {
    if (!close_alert(a, s->alert_id, now_ms, error))
      return FALSE;
    g_message("cleared #%" G_GINT64_FORMAT " %s [%s]", s->alert_id, r->name, s->scope);
    s->alert_id = 0;
    s->clearing_ms = s->pending_ms = 0;
  }
  return TRUE;
}

gboolean
wb_alerts_observe(WbAlerts *a, gint64 now_ms, const char *metric, const WbAlertSample *samples,
                  guint n, GError **error)
{
  GHashTableIter it;
  gpointer v;
  gboolean ok = TRUE;

  g_hash_table_iter_init(&it, a->states);
  while (g_hash_table_iter_next(&it, NULL, &v))
    ((State *)v)->seen = FALSE;
  for (guint i = 0; i < a->rules->len; i++) {
    const WbAlertRule *r = g_ptr_array_index(a->rules, i);
    if (!r->enabled || strcmp(r->metric, metric) != 0)
      continue;
    for (guint k = 0; ok && k < n; k++)
      if (scope_matches(r->scope, samples[k].scope))
        ok = step(a, r, &samples[k], now_ms, error);
  }
  if (!ok)
    return FALSE;
  /* A scope without a value now (the agent left after-call work, the work
   * order was closed, too few calls to judge) ends what it had. */
  g_hash_table_iter_init(&it, a->states);
  while (g_hash_table_iter_next(&it, NULL, &v)) {
    State *s = v;
    const WbAlertRule *r = rule_find(a, s->rule);
    if (s->seen || r == NULL || strcmp(r->metric, metric) != 0)
      continue;
    if (s->alert_id != 0) {
      if (!close_alert(a, s->alert_id, now_ms, error))
        return FALSE;
      g_message("cleared #%" G_GINT64_FORMAT " %s [%s]: no longer reported", s->alert_id, r->name,
                s->scope);
    }
    g_hash_table_iter_remove(&it);
  }
  return TRUE;
}

/* ---- acknowledgement and listing ---- */

static const char sql_ack_get[] = "SELECT acked_ms, acked_by FROM alerts WHERE id = ?1";
static const char sql_ack[] = "UPDATE alerts SET acked_ms = ?2, acked_by = ?3 WHERE id = ?1";

gboolean
wb_alerts_ack(WbAlerts *a, gint64 id, const char *user, const char *remote, gint64 now_ms,
              GError **error)
{
  sqlite3_stmt *st = wb_store_statement(a->store, sql_ack_get, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st);
  gboolean acked = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
  g_autofree char *by =
      rc == SQLITE_ROW ? g_strdup((const char *)sqlite3_column_text(st, 1)) : NULL;
  sqlite3_reset(st);
  if (rc != SQLITE_ROW) {
    g_set_error(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_NOT_FOUND, "no alert %" G_GINT64_FORMAT,
                id);
    return FALSE;
  }
  if (acked) {
    g_set_error(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_ACKED,
                "alert %" G_GINT64_FORMAT " is already acknowledged by %s", id,
                by != NULL ? by : "someone");
    return FALSE;
  }
  st = wb_store_statement(a->store, sql_ack, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, now_ms);
  sqlite3_bind_text(st, 3, user, -1, SQLITE_STATIC);
  if (!wb_store_run(a->store, st, "acknowledge alert", error))
    return FALSE;
  a->version++;
  g_autofree char *target = g_strdup_printf("alert:%" G_GINT64_FORMAT, id);
  return wb_audit_log(a->store, now_ms, user, WB_AUDIT_ALERT_ACK, target, NULL, remote, error);
}

static const char sql_list[] =
    "SELECT id, rule, scope, severity, raised_ms, cleared_ms, value, threshold, message,"
    " acked_ms, acked_by FROM alerts"
    " WHERE (cleared_ms IS NULL AND raised_ms < ?2)"
    "    OR (?3 = 0 AND raised_ms >= ?1 AND raised_ms < ?2)"
    "    OR (?4 >= 0 AND cleared_ms >= ?4)"
    " ORDER BY raised_ms DESC, id DESC LIMIT 5000";

static gint64
column_ms(sqlite3_stmt *st, int i)
{
  return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

char *
wb_alerts_json(WbAlerts *a, gint64 from_ms, gint64 to_ms, gboolean open_only,
               gint64 also_cleared_since_ms, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(a->store, sql_list, error);
  if (st == NULL)
    return NULL;
  sqlite3_bind_int64(st, 1, from_ms);
  sqlite3_bind_int64(st, 2, to_ms);
  sqlite3_bind_int(st, 3, open_only);
  sqlite3_bind_int64(st, 4, also_cleared_since_ms);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "alerts");
  json_builder_begin_array(b);
  int rc;
  guint open = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *rule = (const char *)sqlite3_column_text(st, 1);
    const WbAlertRule *r = rule_find(a, rule);
    gint64 raised = sqlite3_column_int64(st, 4), cleared = column_ms(st, 5);
    const char *severity = (const char *)sqlite3_column_text(st, 3);
    json_builder_begin_object(b);
    wb_kpi_json_int(b, "id", sqlite3_column_int64(st, 0));
    wb_kpi_json_string(b, "rule", rule);
    wb_kpi_json_string_or_null(b, "metric", r != NULL ? r->metric : NULL);
    wb_kpi_json_string(b, "scope", (const char *)sqlite3_column_text(st, 2));
    wb_kpi_json_string(b, "severity", severity);
    wb_kpi_json_string(b, "state", cleared < 0 ? "open" : "cleared");
    wb_kpi_json_time_twin(b, a->tz, "raised", raised);
    wb_kpi_json_time_twin(b, a->tz, "cleared", cleared);
    wb_kpi_json_number(
        b, "value", sqlite3_column_type(st, 6) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 6));
    wb_kpi_json_number(b, "threshold",
                       sqlite3_column_type(st, 7) == SQLITE_NULL ? NAN
                                                                 : sqlite3_column_double(st, 7));
    wb_kpi_json_string(b, "message", (const char *)sqlite3_column_text(st, 8));
    wb_kpi_json_time_twin(b, a->tz, "acked", column_ms(st, 9));
    wb_kpi_json_string_or_null(b, "acked_by", (const char *)sqlite3_column_text(st, 10));
    /* Quiet hours keep an alert silent, not hidden: it is stored, listed
     * and pushed, and the views play no sound for it. */
    gboolean quiet = r != NULL && wb_alert_rule_quiet_at(r, a->tz, raised);
    json_builder_set_member_name(b, "quiet");
    json_builder_add_boolean_value(b, quiet);
    json_builder_set_member_name(b, "sound");
    json_builder_add_boolean_value(b, cleared < 0 && column_ms(st, 9) < 0 && !quiet &&
                                          strcmp(severity, "info") != 0);
    json_builder_end_object(b);
    open += cleared < 0;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    g_set_error(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_INVALID, "listing alerts failed");
    return NULL;
  }
  json_builder_end_array(b);
  wb_kpi_json_int(b, "open", open);
  json_builder_end_object(b);
  return wb_kpi_json_to_string(b);
}

static const char sql_banner[] =
    "SELECT id, rule, scope, severity, raised_ms, message, acked_ms FROM alerts"
    " WHERE cleared_ms IS NULL"
    " ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,"
    "  raised_ms DESC, id DESC LIMIT ?";

static JsonNode *
banner_build(WbAlerts *a, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(a->store, sql_banner, error);
  if (st == NULL)
    return NULL;
  sqlite3_bind_int(st, 1, WB_ALERTS_BANNER_MAX);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_builder_begin_object(b);
    wb_kpi_json_int(b, "id", sqlite3_column_int64(st, 0));
    wb_kpi_json_string(b, "rule", (const char *)sqlite3_column_text(st, 1));
    wb_kpi_json_string(b, "scope", (const char *)sqlite3_column_text(st, 2));
    wb_kpi_json_string(b, "severity", (const char *)sqlite3_column_text(st, 3));
    wb_kpi_json_time_twin(b, a->tz, "raised", sqlite3_column_int64(st, 4));
    wb_kpi_json_string(b, "message", (const char *)sqlite3_column_text(st, 5));
    json_builder_set_member_name(b, "acked");
    json_builder_add_boolean_value(b, sqlite3_column_type(st, 6) != SQLITE_NULL);
    json_builder_end_object(b);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    g_set_error(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_INVALID, "listing open alerts failed");
    return NULL;
  }
  json_builder_end_array(b);
  return json_builder_get_root(b);
}

void
wb_alerts_banner_json(WbAlerts *a, JsonBuilder *b)
{
  /* Built again only after a raise, clear or acknowledgement: the board
   * is built several times a second. */
  if (a != NULL && (a->banner == NULL || a->banner_version != a->version)) {
    g_autoptr(GError) error = NULL;
    JsonNode *list = banner_build(a, &error);
    if (list != NULL) {
      g_clear_pointer(&a->banner, json_node_unref);
      a->banner = list;
      a->banner_version = a->version;
      a->banner_open = wb_alerts_open_count(a);
    } else {
      g_warning("alerts: %s", error->message);
    }
  }
  json_builder_set_member_name(b, "alerts");
  if (a != NULL && a->banner != NULL) {
    json_builder_add_value(b, json_node_copy(a->banner));
  } else {
    json_builder_begin_array(b);
    json_builder_end_array(b);
  }
  wb_kpi_json_int(b, "alerts_open", a != NULL && a->banner != NULL ? a->banner_open : 0);
}

const char *
wb_alerts_config_docs(void)
{
  return "\n## [alert.NAME]\n\nOne group per alert rule (docs/alerts.md). A group named like a "
         "shipped rule (`service_level`, `waiting`, `longest_wait`, `acw_long`, `paused_long`, "
         "`shift_uncovered`, `staffing_short`, `abandon_spike`, `workorder_due`, "
         "`collector_silent`, `collector_down`, `disk_low`, `store_errors`, `rrd_errors`) changes "
         "only the "
         "keys it gives; any other NAME adds a rule and needs `metric`, `scope` and "
         "`threshold`.\n\n"
         "| Key | Meaning |\n|---|---|\n"
         "| `metric` | what is watched (docs/alerts.md lists them) |\n"
         "| `scope` | `total`, `queue:NAME`, `agent:KEY`, `agent:*` (every agent), `*` … |\n"
         "| `op` | `<`, `<=`, `>` or `>=`: the value raising is `value OP threshold` |\n"
         "| `threshold` | a number, or `target`, `target+0.05` (the scope's service-level "
         "target) |\n"
         "| `clear` | where it clears: once `value OP clear` no longer holds (default: the "
         "threshold) |\n"
         "| `for_s` | seconds the condition must hold before the alert is raised (0) |\n"
         "| `clear_for_s` | seconds the clear condition must hold before it clears (0) |\n"
         "| `severity` | `info`, `warning` or `critical` (warning) |\n"
         "| `quiet_hours` | `HH:MM-HH:MM`: alerts raised then are stored and shown but not "
         "sounded |\n"
         "| `min_calls` | window metrics: fewer calls offered in the window give no value (0) |\n"
         "| `enabled` | `true` or `false` (true) |\n\n"
         "```\n[alert.waiting]\nthreshold = 8\nclear = 3\n\n[alert.policy_sl]\n"
         "metric = service_level\nscope = queue:policy\nop = <\nthreshold = 0.7\nclear = 0.75\n"
         "for_s = 600\nmin_calls = 5\n```\n";
}
