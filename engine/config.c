/* config.c: the configuration table and everything made from it. */
#define G_LOG_DOMAIN "config"

#include "engine/config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/alerts.h"

G_DEFINE_QUARK(wb_config_error, wb_config_error)

typedef enum {
  TYPE_STRING,
  TYPE_INT,
  TYPE_INT64,
  TYPE_DOUBLE,
  TYPE_BOOL,
  TYPE_LIST,      /* ';'-separated */
  TYPE_VARIANT,   /* a service-level variant name */
  TYPE_MONTH_DAY, /* "05-01", kept as month * 100 + day */
  TYPE_BANDS,     /* "08:00-19:00=2;19:00-08:00=1", kept as text (wb_config_parse_bands) */
} KeyType;

typedef struct {
  const char *group;
  const char *key;
  KeyType type;
  const char *def;
  gdouble min, max;
  gsize offset;
  const char *help;
} KeyDef;

#define OFF(field) G_STRUCT_OFFSET(WbConfig, field)

/* Every fixed key. Bounds apply to numbers. Keep help texts to what an
 * operator needs to choose a value. */
/* clang-format off */
static const KeyDef keys[] = {
  {"server", "listen", TYPE_STRING, "127.0.0.1:8080", 0, 0, OFF(listen),
   "Address and port of the HTTP and WebSocket server, HOST:PORT. Port 0 picks a "
   "free port; the address actually used is written to <state_dir>/wallboardd.url."},
  {"server", "dashboards_dir", TYPE_STRING, "", 0, 0, OFF(dashboards_dir),
   "Directory of the dashboard pages. Empty: the installed pages, or the source "
   "tree's when running from a build directory."},
  {"server", "update_ms", TYPE_INT, "250", 50, 10000, OFF(update_ms),
   "Shortest time between two updates of one WebSocket topic; changes in between "
   "are coalesced, latest wins."},
  {"server", "heartbeat_s", TYPE_INT, "5", 1, 300, OFF(heartbeat_s),
   "Seconds between heartbeat frames; pages call the data stale after two missed."},
  {"server", "max_body_bytes", TYPE_INT, "1048576", 1024, 67108864, OFF(max_body_bytes),
   "Largest request body accepted."},
  {"store", "state_dir", TYPE_STRING, "", 0, 0, OFF(state_dir),
   "Directory of the database, RRD files and the display token. Empty: "
   "$STATE_DIRECTORY (systemd), else ./wallboard-state."},
  {"store", "flush_ms", TYPE_INT, "100", 10, 10000, OFF(flush_ms),
   "Longest time an ingested event waits before its batch is committed."},
  {"store", "batch_events", TYPE_INT, "1000", 1, 1000000, OFF(batch_events),
   "Events per committed batch, at most."},
  {"auth", "max_failures", TYPE_INT, "5", 1, 100, OFF(auth_max_failures),
   "Wrong passwords in a row that lock an account."},
  {"auth", "lock_min", TYPE_INT, "30", 1, 1440, OFF(auth_lock_min),
   "Minutes an account stays locked after max_failures wrong passwords."},
  {"auth", "session_idle_s", TYPE_INT, "1800", 5, 86400, OFF(auth_session_idle_s),
   "Seconds without a request after which a login session ends."},
  {"auth", "audit_keep_days", TYPE_INT, "180", 180, 3650, OFF(auth_audit_keep_days),
   "Days the audit trail is kept (at least 180); older rows are removed daily."},
  {"auth", "cookie_secure", TYPE_BOOL, "false", 0, 0, OFF(auth_cookie_secure),
   "Mark the session cookie Secure: set it when browsers reach the wallboard over "
   "HTTPS (a TLS proxy in front)."},
  {"kpi", "timezone", TYPE_STRING, "Asia/Shanghai", 0, 0, OFF(timezone),
   "Time zone of the centre: where 'today' and intervals begin."},
  {"kpi", "sl_threshold_s", TYPE_INT, "15", 1, 3600, OFF(kpi.sl_threshold_s),
   "Service-level threshold T in seconds: answered within T means a wait <= T "
   "(GB/T 33358 uses 15)."},
  {"kpi", "sl_variant", TYPE_VARIANT, "answered", 0, 0, OFF(kpi.sl_variant),
   "Service-level formula: answered, offered, ignore_abandons or positive_abandons "
   "(docs/kpi.md)."},
  {"kpi", "sl_exclude_short_abandons", TYPE_BOOL, "false", 0, 0,
   OFF(kpi.sl_exclude_short_abandons),
   "Leave short abandons out of the service level."},
  {"kpi", "short_abandon_s", TYPE_INT, "5", 0, 600, OFF(kpi.short_abandon_s),
   "An abandon with a wait of at most this many seconds is a short abandon."},
  {"kpi", "wrapup_reasons", TYPE_LIST, "话后整理;Wrapup;ACW", 0, 0, OFF(wrapup_reasons),
   "Pause reasons that count as after-call work (state acw, part of AHT)."},
  {"kpi", "target_answer_rate", TYPE_DOUBLE, "0.95", 0, 1, OFF(target_answer_rate),
   "Target answer rate; drives the colours."},
  {"kpi", "target_service_level", TYPE_DOUBLE, "0.8", 0, 1, OFF(target_service_level),
   "Target service level; drives the colours."},
  {"kpi", "state_bands_s", TYPE_LIST, "10;60;300", 0, 0, OFF(state_bands_s),
   "Time-in-state colour bands of the agent cards, in seconds."},
  {"roster", "summer_from", TYPE_MONTH_DAY, "05-01", 0, 0, OFF(summer_from),
   "First day (MM-DD) of the summer schedule: a [shift.CODE] template's summer_start and "
   "summer_end apply from this day until the day before winter_from. The default is the "
   "usual public-sector summer schedule, May to September."},
  {"roster", "winter_from", TYPE_MONTH_DAY, "10-01", 0, 0, OFF(winter_from),
   "First day (MM-DD) of the winter schedule (winter_start, winter_end), until the day before "
   "summer_from."},
  {"coverage", "minimum", TYPE_BANDS, "00:00-24:00=1", 0, 0, OFF(coverage_minimum),
   "Fewest staff needed at each minute of the day, per band of the day: "
   "START-END=N, ';'- or ','-separated, e.g. 08:00-19:00=2;19:00-08:00=1. An end at or "
   "before the start is on the next day; where bands overlap the larger N applies; a minute "
   "in no band needs nobody (docs/kpi.md, coverage)."},
  {"staffing", "interval_min", TYPE_INT, "30", 15, 60, OFF(staffing_interval_min),
   "Length of the staffing interval in minutes: 15, 30 or 60 (other values are rounded "
   "down to one of them). The forecast and the required agents are for the current and "
   "the next interval."},
  {"staffing", "default_aht_s", TYPE_DOUBLE, "180", 1, 7200, OFF(staffing_default_aht_s),
   "Handling time assumed when the same interval of the last four same weekdays has no "
   "handled call."},
  {"staffing", "max_occupancy", TYPE_DOUBLE, "0.85", 0.1, 1, OFF(staffing_max_occupancy),
   "Highest acceptable occupancy of the required agents (Erlang C); 1: no limit."},
  {"staffing", "shrinkage", TYPE_DOUBLE, "0.3", 0, 0.95, OFF(staffing_shrinkage),
   "Share of paid time off the phones (breaks, training, meetings): scheduled = "
   "required / (1 - shrinkage)."},
  {"stability", "target", TYPE_DOUBLE, "0.8", 0, 1, OFF(stability_target),
   "Staff stability (人员稳定率) to reach over a month, quarter or year: (headcount at "
   "the start - leavers of them) / headcount at the start. The tender asks 0.8."},
  {"stability", "establishment", TYPE_INT, "10", 0, 10000, OFF(stability_establishment),
   "Posts of the establishment (编制): each day with fewer on the staff adds the "
   "difference to the vacancy days. The tender's team is 10."},
  {"training", "induction_classroom", TYPE_LIST, "岗前培训-理论;岗前培训-课堂;入职培训-理论", 0,
   0, OFF(training_induction_classroom),
   "Training kinds that are classroom induction (岗前理论): a kind equal to one of "
   "these or starting with one."},
  {"training", "induction_hands_on", TYPE_LIST, "岗前培训-实操;入职培训-实操", 0, 0,
   OFF(training_induction_hands_on),
   "Training kinds that are hands-on induction (岗前实操, at the desk and the systems)."},
  {"training", "induction_field", TYPE_LIST, "岗前培训-跟岗;岗前培训-现场;入职培训-跟岗", 0, 0,
   OFF(training_induction_field),
   "Training kinds that are field-practice induction (跟岗实习, beside an agent on the "
   "floor)."},
  {"training", "safety", TYPE_LIST, "安全培训;信息安全培训;消防安全", 0, 0,
   OFF(training_safety),
   "Training kinds that are safety training (also in-service training)."},
  {"training", "induction_days", TYPE_INT, "5", 0, 365, OFF(training_induction_days),
   "Least distinct days of induction, of any kind, before the first call."},
  {"training", "induction_classroom_days", TYPE_INT, "3", 0, 365,
   OFF(training_induction_classroom_days),
   "Least days of classroom induction before the first call."},
  {"training", "induction_hands_on_days", TYPE_INT, "2", 0, 365,
   OFF(training_induction_hands_on_days),
   "Least days of hands-on induction before the first call."},
  {"training", "induction_field_days", TYPE_INT, "2", 0, 365, OFF(training_induction_field_days),
   "Least days of field-practice induction before the first call. A day may count for "
   "hands-on and field practice both, but once in induction_days."},
  {"training", "in_service_per_month", TYPE_INT, "1", 0, 100, OFF(training_in_service_per_month),
   "Least trainings per person per month that are not induction."},
  {"training", "safety_per_year", TYPE_INT, "2", 0, 100, OFF(training_safety_per_year),
   "Least safety trainings per person per calendar year."},
  {"training", "entry_exam_areas", TYPE_INT, "5", 0, 100, OFF(training_entry_exam_areas),
   "Exam areas to pass before the first call (entry exam)."},
  {"training", "exam_pass_score", TYPE_DOUBLE, "60", 0, 1000, OFF(training_exam_pass_score),
   "Least score that passes an exam area."},
  {"attendance", "late_grace_min", TYPE_INT, "5", 0, 240, OFF(attendance_late_grace_min),
   "A rostered shift is late when the first presence in it (punched in or logged in) "
   "starts more than this many minutes after the shift's start."},
  {"attendance", "early_grace_min", TYPE_INT, "5", 0, 240, OFF(attendance_early_grace_min),
   "A shift is left early when the last presence in it ends more than this many minutes "
   "before the shift's end."},
  {"attendance", "absent_after_min", TYPE_INT, "30", 1, 1440, OFF(attendance_absent_after_min),
   "A shift with no presence at all is called absent once this many minutes of it have "
   "passed (or it has ended); before that its agent is only not in yet."},
  {"attendance", "long_absence_days", TYPE_INT, "3", 1, 60, OFF(attendance_long_absence_days),
   "An agent absent on this many consecutive rostered shifts is flagged as a long "
   "absence (so is a staff member whose status is leave)."},
  {"holidays", "data_dir", TYPE_STRING, "", 0, 0, OFF(holidays_data_dir),
   "Directory of the holiday calendar (YYYY.json and statutory.json, as shipped in "
   "data/holidays-cn). Empty: the installed calendar, else the source tree's."},
  {"holidays", "file", TYPE_STRING, "", 0, 0, OFF(holidays_file),
   "A local calendar file in the YYYY.json format (docs/kpi.md, Attendance and holidays), "
   "read after data_dir: its days replace the shipped ones of the same dates. Empty: none."},
  {"report", "centre_name", TYPE_STRING, "陕西省12367出入境服务热线", 0, 0, OFF(report_centre_name),
   "The centre's name on the cover of every management report."},
  {"report", "schedule", TYPE_LIST, "daily;monthly;quarterly;annual", 0, 0,
   OFF(report_schedule),
   "Reports the daemon makes by itself, each once its period has ended (the annual review "
   "from 1 December, for the year in progress): any of daily, monthly, quarterly, annual; "
   "empty for none (installs that use the systemd timers instead). A period that already "
   "has a run, or holds no call at all, is skipped; one missed while the daemon was down "
   "is made when it starts."},
  {"report", "schedule_hour", TYPE_INT, "2", 0, 23, OFF(report_schedule_hour),
   "Local hour of the day, after the period's end, from which a scheduled report is made."},
  {"rrd", "enabled", TYPE_BOOL, "true", 0, 0, OFF(rrd_enabled),
   "Keep the RRD archive (trends, series API, graphs): one file of about 56 MB per "
   "queue, agent and the total."},
  {"rrd", "dir", TYPE_STRING, "", 0, 0, OFF(rrd_dir),
   "Directory of the RRD files. Empty: <state_dir>/rrd."},
  {"rrd", "daemon", TYPE_STRING, "", 0, 0, OFF(rrd_daemon),
   "rrdcached address (e.g. unix:/run/rrdcached.sock): updates go through it and reads "
   "flush first. Empty: files are written directly."},
  {"queue_log", "paths", TYPE_LIST, "", 0, 0, OFF(queue_logs),
   "Asterisk queue_log files to tail, ';'-separated, read in this order."},
  {"queue_log", "poll_ms", TYPE_INT, "50", 10, 60000, OFF(poll_ms),
   "How often the files are checked for new lines and rotation (they are read again "
   "before each frame is built, so a line reaches the screens within [server] "
   "update_ms); a check is one fstat() per file."},
  {"ami", "enabled", TYPE_BOOL, "false", 0, 0, OFF(ami_enabled),
   "Read the queue events from the Asterisk Manager Interface. Use it or queue_log for "
   "one Asterisk, not both: the same calls would count twice."},
  {"ami", "host", TYPE_STRING, "127.0.0.1", 0, 0, OFF(ami_host),
   "Address of the Asterisk manager (manager.conf bindaddr)."},
  {"ami", "port", TYPE_INT, "5038", 1, 65535, OFF(ami_port),
   "Manager port: 5038, or 5039 with TLS."},
  {"ami", "username", TYPE_STRING, "", 0, 0, OFF(ami_username),
   "Manager user (a [USER] of manager.conf) with read = agent,call,dialplan,system. "
   "Asterisk should set timestampevents = yes (docs/collectors.md)."},
  {"ami", "secret", TYPE_STRING, "", 0, 0, OFF(ami_secret),
   "The user's secret. Keep this file readable by the daemon only."},
  {"ami", "auth", TYPE_STRING, "plain", 0, 0, OFF(ami_auth),
   "Login: plain (the secret is sent) or md5 (challenge and response: the secret never "
   "crosses the wire)."},
  {"ami", "tls", TYPE_BOOL, "false", 0, 0, OFF(ami_tls),
   "Connect with TLS (manager.conf tlsenable, port 5039); the server's certificate must "
   "name host (subjectAltName) and be trusted: by tls_ca, or by the system. Needs "
   "glib-networking."},
  {"ami", "tls_ca", TYPE_STRING, "", 0, 0, OFF(ami_tls_ca),
   "With tls: a PEM file of the certificate authority to trust for the manager, or of "
   "its self-signed certificate (manager.conf tlscertfile). Empty: the system's trust "
   "store."},
  {"ami", "summary_s", TYPE_INT, "10", 0, 3600, OFF(ami_summary_s),
   "Seconds between two QueueSummary polls (acd.snapshot: calls waiting, longest wait, "
   "agents logged in and available); 0: none."},
  {"ami", "keepalive_s", TYPE_INT, "20", 1, 3600, OFF(ami_keepalive_s),
   "Seconds between two Pings; a Ping not answered by the next one ends the connection."},
  {"ami", "reconnect_max_s", TYPE_INT, "60", 1, 3600, OFF(ami_reconnect_max_s),
   "Longest wait between two connection attempts; waits start at 1 s, double, and start "
   "again at 1 s after a connection that lasted a minute."},
  {"demo", "enabled", TYPE_BOOL, "false", 0, 0, OFF(demo),
   "Generate demo traffic (shown as 演示数据 on every page)."},
  {"demo", "seed", TYPE_INT64, "12367", 0, 9007199254740991.0, OFF(demo_seed),
   "Seed of the demo traffic: the same seed gives the same calls."},
  {"demo", "speed", TYPE_DOUBLE, "1", 0.1, 1000, OFF(demo_speed),
   "Simulated seconds per real second."},
  {"log", "level", TYPE_STRING, "message", 0, 0, OFF(log_level),
   "Lowest level logged: debug, info, message, warning."},
};
/* clang-format on */

/* The keys a [queue.NAME] group takes. */
static const char *const queue_keys[] = {"name",
                                         "sl_threshold_s",
                                         "sl_variant",
                                         "wrapup_reasons",
                                         "target_answer_rate",
                                         "target_service_level",
                                         "sl_exclude_short_abandons",
                                         "short_abandon_s"};

static const char *const variant_names[WB_SL_VARIANT_COUNT] = {
    [WB_SL_ANSWERED] = "answered",
    [WB_SL_OFFERED] = "offered",
    [WB_SL_IGNORE_ABANDONS] = "ignore_abandons",
    [WB_SL_POSITIVE_ABANDONS] = "positive_abandons",
};

const char *
wb_sl_variant_name(WbSlVariant v)
{
  return (int)v >= 0 && v < WB_SL_VARIANT_COUNT ? variant_names[v] : "answered";
}

gboolean
wb_sl_variant_from_name(const char *name, WbSlVariant *out)
{
  for (int i = 0; i < WB_SL_VARIANT_COUNT; i++)
    if (g_strcmp0(variant_names[i], name) == 0) {
      *out = (WbSlVariant)i;
      return TRUE;
    }
  return FALSE;
}

static gpointer
field(WbConfig *cfg, const KeyDef *k)
{
  return G_STRUCT_MEMBER_P(cfg, k->offset);
}

static gboolean
parse_number(const KeyDef *k, const char *text, gdouble *out, GError **error)
{
  char *end = NULL;
  g_autofree char *trimmed = g_strstrip(g_strdup(text));

  errno = 0;
  gdouble v = (k->type == TYPE_DOUBLE) ? g_ascii_strtod(trimmed, &end)
                                       : (gdouble)g_ascii_strtoll(trimmed, &end, 10);
  if (errno != 0 || end == trimmed || *end != '\0' || !isfinite(v)) {
    g_set_error(error, WB_CONFIG_ERROR, WB_CONFIG_ERROR_INVALID, "[%s] %s: '%s' is not a number",
                k->group, k->key, text);
    return FALSE;
  }
  if (v < k->min || v > k->max) {
    g_set_error(error, WB_CONFIG_ERROR, WB_CONFIG_ERROR_INVALID, "[%s] %s: %s is outside %g..%g",
                k->group, k->key, trimmed, k->min, k->max);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

static gboolean
parse_bool(const char *group, const char *key, const char *text, gboolean *out, GError **error)
{
  if (g_ascii_strcasecmp(text, "true") == 0 || g_ascii_strcasecmp(text, "yes") == 0 ||
      strcmp(text, "1") == 0) {
    *out = TRUE;
    return TRUE;
  }
  if (g_ascii_strcasecmp(text, "false") == 0 || g_ascii_strcasecmp(text, "no") == 0 ||
      strcmp(text, "0") == 0) {
    *out = FALSE;
    return TRUE;
  }
  g_set_error(error, WB_CONFIG_ERROR, WB_CONFIG_ERROR_INVALID, "[%s] %s: '%s' is not true or false",
              group, key, text);
  return FALSE;
}

static char **
split_list(const char *text)
{
  g_auto(GStrv) parts = g_strsplit(text, ";", -1);
  g_autoptr(GPtrArray) out = g_ptr_array_new();
  for (char **p = parts; *p != NULL; p++) {
    char *s = g_strstrip(*p);
    if (*s != '\0')
      g_ptr_array_add(out, g_strdup(s));
  }
  g_ptr_array_add(out, NULL);
  return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

/* "05-01" -> 501. Any day of a leap year: 02-29 is a valid start. */
static gboolean
parse_month_day(const KeyDef *k, const char *text, gint *out, GError **error)
{
  int month = 0, day = 0, n = 0;
  g_autofree char *t = g_strstrip(g_strdup(text));
  if (sscanf(t, "%2d-%2d%n", &month, &day, &n) != 2 || t[n] != '\0' || month < 1 || month > 12 ||
      day < 1 || day > g_date_get_days_in_month((GDateMonth)month, 2000)) {
    g_set_error(error, WB_CONFIG_ERROR, WB_CONFIG_ERROR_INVALID,
                "[%s] %s: '%s' is not a day of the year (MM-DD, e.g. 05-01)", k->group, k->key,
                text);
    return FALSE;
  }
  *out = month * 100 + day;
  return TRUE;
}

static gboolean
apply_key(WbConfig *cfg, const KeyDef *k, const char *text, GError **error)
{
  gdouble num;

  switch (k->type) {
  case TYPE_STRING: {
    char **p = field(cfg, k);
    g_free(*p);
    *p = g_strstrip(g_strdup(text));
    return TRUE;
  }
  case TYPE_INT:
    if (!parse_number(k, text, &num, error))
      return FALSE;
    *(gint *)field(cfg, k) = (gint)num;
    return TRUE;
  case TYPE_INT64:
    if (!parse_number(k, text, &num, error))
      return FALSE;
    *(gint64 *)field(cfg, k) = (gint64)num;
    return TRUE;
  case TYPE_DOUBLE:
    if (!parse_number(k, text, &num, error))
      return FALSE;
    *(gdouble *)field(cfg, k) = num;
    return TRUE;
  case TYPE_BOOL: {
    g_autofree char *trimmed = g_strstrip(g_strdup(text));
    return parse_bool(k->group, k->key, trimmed, field(cfg, k), error);
  }
  case TYPE_LIST: {
    char ***p = field(cfg, k);
    g_strfreev(*p);
    *p = split_list(text);
    return TRUE;
  }
  case TYPE_VARIANT:
    if (!wb_sl_variant_from_name(text, field(cfg, k))) {
      g_set_error(error, WB_CONFIG_ERROR, WB_CONFIG_ERROR_INVALID,
                  "[%s] %s: '%s' is not answered, offered, ignore_abandons or "
                  "positive_abandons",
                  k->group, k->key, text);
      return FALSE;
    }
    return TRUE;
  case TYPE_MONTH_DAY: return parse_month_day(k, text, field(cfg, k), error);
  case TYPE_BANDS: {
    g_autoptr(GArray) bands = wb_config_parse_bands(text, error);
    if (bands == NULL) {
      g_prefix_error(error, "[%s] %s: ", k->group, k->key);
      return FALSE;
    }
    char **p = field(cfg, k);
    g_free(*p);
    *p = g_strstrip(g_strdup(text));
    return TRUE;
  }
  }
  return FALSE;
}

static const KeyDef *
find_key(const char *group, const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
    if (strcmp(keys[i].group, group) == 0 && strcmp(keys[i].key, key) == 0)
      return &keys[i];
  return NULL;
}

static void
queue_config_free(gpointer p)
{
  WbQueueConfig *q = p;
  g_free(q->key);
  g_free(q->name);
  g_strfreev(q->wrapup_reasons);
  g_free(q);
}

static void
agent_config_free(gpointer p)
{
  WbAgentConfig *a = p;
  g_free(a->key);
  g_free(a->name);
  g_strfreev(a->aliases);
  g_free(a);
}

static void
shift_config_free(gpointer p)
{
  WbShiftConfig *s = p;
  g_free(s->code);
  g_free(s->label);
  g_free(s->role);
  g_free(s);
}

static void
config_group_free(gpointer p)
{
  WbConfigGroup *g = p;
  g_free(g->name);
  g_strfreev(g->keys);
  g_strfreev(g->values);
  g_free(g);
}

WbConfig *
wb_config_new_defaults(void)
{
  WbConfig *cfg = g_new0(WbConfig, 1);

  cfg->queues = g_ptr_array_new_with_free_func(queue_config_free);
  cfg->agents = g_ptr_array_new_with_free_func(agent_config_free);
  cfg->shifts = g_ptr_array_new_with_free_func(shift_config_free);
  cfg->alert_groups = g_ptr_array_new_with_free_func(config_group_free);
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    g_autoptr(GError) error = NULL;
    if (!apply_key(cfg, &keys[i], keys[i].def, &error))
      g_critical("config: default of [%s] %s is invalid: %s", keys[i].group, keys[i].key,
                 error->message);
  }
  return cfg;
}

void
wb_config_free(WbConfig *cfg)
{
  if (cfg == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    if (keys[i].type == TYPE_STRING || keys[i].type == TYPE_BANDS)
      g_free(*(char **)field(cfg, &keys[i]));
    else if (keys[i].type == TYPE_LIST)
      g_strfreev(*(char ***)field(cfg, &keys[i]));
  }
  g_ptr_array_unref(cfg->queues);
  g_ptr_array_unref(cfg->agents);
  g_ptr_array_unref(cfg->shifts);
  g_ptr_array_unref(cfg->alert_groups);
  g_free(cfg);
}

gboolean
wb_config_set(WbConfig *cfg, const char *group, const char *key, const char *value, GError **error)
{
  const KeyDef *k = find_key(group, key);
  if (k == NULL) {
    g_set_error(error, WB_CONFIG_ERROR, WB_CONFIG_ERROR_UNKNOWN_KEY,
                "unknown configuration key [%s] %s", group, key);
    return FALSE;
  }
  return apply_key(cfg, k, value, error);
}

const char *const wb_config_kpi_override_keys[] = {
    "sl_threshold_s", "sl_variant", "sl_exclude_short_abandons", "short_abandon_s", NULL};

gboolean
wb_config_kpi_override(WbKpiSettings *settings, const char *key, const char *value, GError **error)
{
  gboolean known = FALSE;
  for (const char *const *k = wb_config_kpi_override_keys; *k != NULL; k++)
    known |= strcmp(*k, key) == 0;
  const KeyDef *def = find_key("kpi", key);
  if (!known || def == NULL) {
    g_set_error(error, WB_CONFIG_ERROR, WB_CONFIG_ERROR_UNKNOWN_KEY,
                "%s is not a service-level setting", key);
    return FALSE;
  }
  g_autoptr(WbConfig) scratch = wb_config_new_defaults();
  scratch->kpi = *settings;
  if (!apply_key(scratch, def, value, error))
    return FALSE;
  *settings = scratch->kpi;
  return TRUE;
}

static WbQueueConfig *
queue_entry(WbConfig *cfg, const char *key, gboolean create)
{
  for (guint i = 0; i < cfg->queues->len; i++) {
    WbQueueConfig *q = g_ptr_array_index(cfg->queues, i);
    if (strcmp(q->key, key) == 0)
      return q;
  }
  if (!create)
    return NULL;
  WbQueueConfig *q = g_new0(WbQueueConfig, 1);
  q->key = g_strdup(key);
  q->kpi = cfg->kpi;
  q->target_answer_rate = cfg->target_answer_rate;
  q->target_service_level = cfg->target_service_level;
  q->wrapup_reasons = g_strdupv(cfg->wrapup_reasons);
  g_ptr_array_add(cfg->queues, q);
  return q;
}

static WbAgentConfig *
agent_entry(const WbConfig *cfg, const char *key)
{
  for (guint i = 0; i < cfg->agents->len; i++) {
    WbAgentConfig *a = g_ptr_array_index(cfg->agents, i);
    if (strcmp(a->key, key) == 0)
      return a;
  }
  return NULL;
}

static gboolean
load_queue_group(WbConfig *cfg, GKeyFile *kf, const char *group, GError **error)
{
  WbQueueConfig *q = queue_entry(cfg, group + strlen("queue."), TRUE);
  g_auto(GStrv) names = g_key_file_get_keys(kf, group, NULL, NULL);

  for (char **n = names; n != NULL && *n != NULL; n++) {
    g_autofree char *v = g_key_file_get_string(kf, group, *n, error);
    if (v == NULL)
      return FALSE;
    if (strcmp(*n, "name") == 0) {
      g_free(q->name);
      q->name = g_strdup(v);
      continue;
    }
    /* The per-queue KPI keys share the [kpi] keys' parser and bounds. */
    const KeyDef *k = find_key("kpi", *n);
    gboolean is_queue_key = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(queue_keys); i++)
      is_queue_key |= strcmp(queue_keys[i], *n) == 0;
    if (k == NULL || !is_queue_key) {
      g_set_error(error, WB_CONFIG_ERROR, WB_CONFIG_ERROR_UNKNOWN_KEY, "unknown key [%s] %s", group,
                  *n);
      return FALSE;
    }
    g_autoptr(WbConfig) scratch = wb_config_new_defaults();
    scratch->kpi = q->kpi;
    scratch->target_answer_rate = q->target_answer_rate;
    scratch->target_service_level = q->target_service_level;
    if (!apply_key(scratch, k, v, error)) {
      g_prefix_error(error, "[%s]: ", group);
      return FALSE;
    }
    q->kpi = scratch->kpi;
    q->target_answer_rate = scratch->target_answer_rate;
    q->target_service_level = scratch->target_service_level;
    if (strcmp(*n, "wrapup_reasons") == 0) {
      g_strfreev(q->wrapup_reasons);
      q->wrapup_reasons = g_strdupv(scratch->wrapup_reasons);
    }
  }
  return TRUE;
}

static gboolean
load_agent_group(WbConfig *cfg, GKeyFile *kf, const char *group, GError **error)
{
  const char *key = group + strlen("agent.");
  WbAgentConfig *a = agent_entry(cfg, key);
  g_auto(GStrv) names = g_key_file_get_keys(kf, group, NULL, NULL);

  if (a == NULL) {
    a = g_new0(WbAgentConfig, 1);
    a->key = g_strdup(key);
    a->aliases = g_new0(char *, 1);
    g_ptr_array_add(cfg->agents, a);
  }
  for (char **n = names; n != NULL && *n != NULL; n++) {
    g_autofree char *v = g_key_file_get_string(kf, group, *n, error);
    if (v == NULL)
      return FALSE;
    if (strcmp(*n, "name") == 0) {
      g_free(a->name);
      a->name = g_strdup(v);
    } else if (strcmp(*n, "aliases") == 0) {
      g_strfreev(a->aliases);
      a->aliases = split_list(v);
    } else {
      g_set_error(error, WB_CONFIG_ERROR, WB_CONFIG_ERROR_UNKNOWN_KEY, "unknown key [%s] %s", group,
                  *n);
      return FALSE;
    }
  }
  return TRUE;
}

/* "08:00" -> 480; "24:00" only where allowed (an end). */
static gboolean
parse_time_of_day(const char *group, const char *key, const char *text, gboolean end, gint *out,
                  GError **error)
{
  int h = 0, m = 0, n = 0;
  if (sscanf(text, "%2d:%2d%n", &h, &m, &n) != 2 || text[n] != '\0' || h < 0 || m < 0 || m > 59 ||
      h * 60 + m > (end ? 24 * 60 : 24 * 60 - 1)) {
    g_set_error(error, WB_CONFIG_ERROR, WB_CONFIG_ERROR_INVALID,
                "[%s] %s: '%s' is not a time of day (HH:MM, 00:00..%s)", group, key, text,
                end ? "24:00" : "23:59");
    return FALSE;
  }
  *out = h * 60 + m;
  return TRUE;
}

/* The keys of a [shift.CODE] group that are times of day; the ends may be 24:00. */
static const struct {
  const char *key;
  gboolean end;
} shift_times[] = {
    {"start", FALSE},     {"end", TRUE},           {"summer_start", FALSE},
    {"summer_end", TRUE}, {"winter_start", FALSE}, {"winter_end", TRUE},
};

static gboolean
load_shift_group(WbConfig *cfg, GKeyFile *kf, const char *group, GError **error)
{
  const char *code = group + strlen("shift.");
  g_auto(GStrv) names = g_key_file_get_keys(kf, group, NULL, NULL);
  g_autofree char *label = NULL, *role = NULL;
  gint times[G_N_ELEMENTS(shift_times)];

  for (gsize i = 0; i < G_N_ELEMENTS(times); i++)
    times[i] = -1;
  for (char **n = names; n != NULL && *n != NULL; n++) {
    g_autofree char *raw = g_key_file_get_string(kf, group, *n, error);
    if (raw == NULL)
      return FALSE;
    const char *v = g_strstrip(raw);
    gssize t = -1;
    for (gsize i = 0; i < G_N_ELEMENTS(shift_times); i++)
      if (strcmp(*n, shift_times[i].key) == 0)
        t = (gssize)i;
    if (t >= 0) {
      if (!parse_time_of_day(group, *n, v, shift_times[t].end, &times[t], error))
        return FALSE;
    } else if (strcmp(*n, "role") == 0) {
      g_free(role);
      role = *v != '\0' ? g_strdup(v) : NULL;
    } else if (strcmp(*n, "label") == 0) {
      g_free(label);
      label = *v != '\0' ? g_strdup(v) : NULL;
    } else {
      g_set_error(error, WB_CONFIG_ERROR, WB_CONFIG_ERROR_UNKNOWN_KEY, "unknown key [%s] %s", group,
                  *n);
      return FALSE;
    }
  }
  /* Each season takes its own hours where given, else start and end: a
   * template that differs by season needs no plain start or end. */
  gint start = times[0], end = times[1];
  gint summer_start = times[2] >= 0 ? times[2] : start, summer_end = times[3] >= 0 ? times[3] : end;
  gint winter_start = times[4] >= 0 ? times[4] : start, winter_end = times[5] >= 0 ? times[5] : end;
  if (*code == '\0' || summer_start < 0 || summer_end < 0 || winter_start < 0 || winter_end < 0) {
    g_set_error(error, WB_CONFIG_ERROR, WB_CONFIG_ERROR_INVALID,
                "[%s]: a shift template needs a code, a start and an end (start and end, or "
                "summer_start, summer_end, winter_start and winter_end)",
                group);
    return FALSE;
  }
  WbShiftConfig *s = g_new0(WbShiftConfig, 1);
  s->code = g_strdup(code);
  s->label = g_steal_pointer(&label);
  s->role = g_steal_pointer(&role);
  s->start_min = start;
  s->end_min = end;
  s->summer_start_min = summer_start;
  s->summer_end_min = summer_end;
  s->winter_start_min = winter_start;
  s->winter_end_min = winter_end;
  g_ptr_array_add(cfg->shifts, s);
  return TRUE;
}

/* An [alert.NAME] group is kept as written; engine/alerts.c checks it
 * when the daemon starts (wb_alerts_rules). */
static gboolean
load_alert_group(WbConfig *cfg, GKeyFile *kf, const char *group, GError **error)
{
  g_auto(GStrv) names = g_key_file_get_keys(kf, group, NULL, NULL);
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);

  for (char **n = names; n != NULL && *n != NULL; n++) {
    char *v = g_key_file_get_string(kf, group, *n, error);
    if (v == NULL)
      return FALSE;
    g_ptr_array_add(values, g_strstrip(v));
  }
  g_ptr_array_add(values, NULL);
  WbConfigGroup *g = g_new0(WbConfigGroup, 1);
  g->name = g_strdup(group + strlen("alert."));
  g->keys = names != NULL ? g_steal_pointer(&names) : g_new0(char *, 1);
  g->values = (char **)g_ptr_array_free(g_steal_pointer(&values), FALSE);
  g_ptr_array_add(cfg->alert_groups, g);
  return TRUE;
}

/* One band of [coverage] minimum: "08:00-19:00=2". */
static gboolean
parse_band(const char *text, WbConfigBand *out, GError **error)
{
  int h1 = 0, m1 = 0, h2 = 0, m2 = 0, n = 0;
  long minimum = -1;
  const char *eq = strchr(text, '=');
  if (sscanf(text, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &n) == 4 && eq != NULL &&
      text + n == eq) {
    char *stop = NULL;
    minimum = strtol(eq + 1, &stop, 10);
    if (stop == eq + 1 || *stop != '\0')
      minimum = -1;
  }
  gint start = h1 * 60 + m1, end = h2 * 60 + m2;
  if (minimum < 0 || minimum > 1000 || h1 < 0 || m1 < 0 || m1 > 59 || h2 < 0 || m2 < 0 || m2 > 59 ||
      start > 24 * 60 - 1 || end > 24 * 60 || end == 0) {
    g_set_error(error, WB_CONFIG_ERROR, WB_CONFIG_ERROR_INVALID,
                "'%s' is not a band START-END=N (08:00-19:00=2; N 0..1000)", text);
    return FALSE;
  }
  *out = (WbConfigBand){start, end, (gint)minimum};
  return TRUE;
}

GArray *
wb_config_parse_bands(const char *text, GError **error)
{
  g_autoptr(GArray) bands = g_array_new(FALSE, FALSE, sizeof(WbConfigBand));
  g_auto(GStrv) parts = g_strsplit_set(text != NULL ? text : "", ";,", -1);

  for (char **p = parts; *p != NULL; p++) {
    g_autofree char *squeezed = g_strdup(*p);
    /* "08:00 - 19:00 = 2" reads the same. */
    char *w = squeezed;
    for (const char *r = *p; *r != '\0'; r++)
      if (!g_ascii_isspace(*r))
        *w++ = *r;
    *w = '\0';
    if (*squeezed == '\0')
      continue;
    WbConfigBand band;
    if (!parse_band(squeezed, &band, error))
      return NULL;
    g_array_append_val(bands, band);
  }
  return g_steal_pointer(&bands);
}

gboolean
wb_config_load_file(WbConfig *cfg, const char *path, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error)) {
    g_prefix_error(error, "%s: ", path);
    return FALSE;
  }

  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  /* Fixed keys first: [queue.NAME] groups inherit the [kpi] values. */
  for (int pass = 0; pass < 2; pass++) {
    for (char **g = groups; *g != NULL; g++) {
      gboolean named = g_str_has_prefix(*g, "queue.") || g_str_has_prefix(*g, "agent.") ||
                       g_str_has_prefix(*g, "shift.") || g_str_has_prefix(*g, "alert.");
      if ((pass == 0) == named)
        continue;
      gboolean ok = TRUE;
      if (g_str_has_prefix(*g, "queue.")) {
        ok = load_queue_group(cfg, kf, *g, error);
      } else if (g_str_has_prefix(*g, "agent.")) {
        ok = load_agent_group(cfg, kf, *g, error);
      } else if (g_str_has_prefix(*g, "shift.")) {
        ok = load_shift_group(cfg, kf, *g, error);
      } else if (g_str_has_prefix(*g, "alert.")) {
        ok = load_alert_group(cfg, kf, *g, error);
      } else {
        g_auto(GStrv) names = g_key_file_get_keys(kf, *g, NULL, NULL);
        for (char **n = names; ok && *n != NULL; n++) {
          g_autofree char *v = g_key_file_get_string(kf, *g, *n, error);
          ok = v != NULL && wb_config_set(cfg, *g, *n, v, error);
        }
      }
      if (!ok) {
        g_prefix_error(error, "%s: ", path);
        return FALSE;
      }
    }
  }
  return TRUE;
}

WbKpiSettings
wb_config_kpi_for_queue(const WbConfig *cfg, const char *queue)
{
  WbQueueConfig *q = queue != NULL ? queue_entry((WbConfig *)cfg, queue, FALSE) : NULL;
  return q != NULL ? q->kpi : cfg->kpi;
}

const char *
wb_config_queue_name(const WbConfig *cfg, const char *queue)
{
  WbQueueConfig *q = queue_entry((WbConfig *)cfg, queue, FALSE);
  return q != NULL && q->name != NULL ? q->name : queue;
}

const char *
wb_config_agent_name(const WbConfig *cfg, const char *agent)
{
  WbAgentConfig *a = agent_entry(cfg, agent);
  return a != NULL && a->name != NULL ? a->name : agent;
}

void
wb_config_add_agent(WbConfig *cfg, const char *key, const char *name)
{
  if (agent_entry(cfg, key) != NULL)
    return;
  WbAgentConfig *a = g_new0(WbAgentConfig, 1);
  a->key = g_strdup(key);
  a->name = g_strdup(name);
  a->aliases = g_new0(char *, 1);
  g_ptr_array_add(cfg->agents, a);
}

void
wb_config_add_queue(WbConfig *cfg, const char *key, const char *name)
{
  WbQueueConfig *q = queue_entry(cfg, key, FALSE);
  if (q == NULL) {
    q = queue_entry(cfg, key, TRUE);
    q->name = g_strdup(name);
  }
}

WbAgentMap *
wb_config_agent_map(const WbConfig *cfg)
{
  WbAgentMap *map = wb_agent_map_new();
  for (guint i = 0; i < cfg->agents->len; i++) {
    WbAgentConfig *a = g_ptr_array_index(cfg->agents, i);
    wb_agent_map_add(map, a->key, a->key);
    for (char **al = a->aliases; al != NULL && *al != NULL; al++)
      wb_agent_map_add(map, a->key, *al);
  }
  return map;
}

gboolean
wb_config_is_wrapup(const WbConfig *cfg, const char *queue, const char *reason)
{
  WbQueueConfig *q =
      queue != NULL && *queue != '\0' ? queue_entry((WbConfig *)cfg, queue, FALSE) : NULL;
  char **list = q != NULL ? q->wrapup_reasons : cfg->wrapup_reasons;

  if (reason == NULL || *reason == '\0')
    return FALSE;
  for (char **r = list; r != NULL && *r != NULL; r++)
    if (g_ascii_strcasecmp(*r, reason) == 0)
      return TRUE;
  return FALSE;
}

void
wb_config_targets(const WbConfig *cfg, const char *queue, gdouble *answer_rate,
                  gdouble *service_level)
{
  WbQueueConfig *q =
      queue != NULL && *queue != '\0' ? queue_entry((WbConfig *)cfg, queue, FALSE) : NULL;
  *answer_rate = q != NULL ? q->target_answer_rate : cfg->target_answer_rate;
  *service_level = q != NULL ? q->target_service_level : cfg->target_service_level;
}

static const char *
type_name(KeyType t)
{
  switch (t) {
  case TYPE_STRING: return "string";
  case TYPE_INT:
  case TYPE_INT64: return "integer";
  case TYPE_DOUBLE: return "number";
  case TYPE_BOOL: return "boolean";
  case TYPE_LIST: return "list (;)";
  case TYPE_VARIANT: return "variant";
  case TYPE_MONTH_DAY: return "MM-DD";
  case TYPE_BANDS: return "bands";
  }
  return "string";
}

char *
wb_config_docs_markdown(void)
{
  GString *s = g_string_new(NULL);
  const char *group = NULL;

  g_string_append(s, "# Configuration\n\n"
                     "<!-- Generated by `wallboardd --print-config-docs` from the table in "
                     "engine/config.c; a test keeps this file in step with it. -->\n\n"
                     "`wallboardd` reads one GKeyFile (`--config FILE`, e.g. "
                     "`/etc/wallboard/wallboard.conf`) over the embedded defaults below; it runs "
                     "with no file at all. Command-line flags override the file. Unknown keys "
                     "and values out of bounds stop the daemon at start with a message that "
                     "names them. `docs/wallboard.conf.example` is the same table as a commented "
                     "file.\n");
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    const KeyDef *k = &keys[i];
    if (g_strcmp0(group, k->group) != 0) {
      group = k->group;
      g_string_append_printf(s,
                             "\n## [%s]\n\n| key | type | default | meaning |\n"
                             "|---|---|---|---|\n",
                             group);
    }
    g_autofree char *bounds = NULL;
    if (k->type == TYPE_INT || k->type == TYPE_DOUBLE)
      bounds = g_strdup_printf(" (%g..%g)", k->min, k->max);
    g_string_append_printf(s, "| `%s` | %s%s | `%s` | %s |\n", k->key, type_name(k->type),
                           bounds != NULL ? bounds : "", k->def, k->help);
  }
  g_string_append(
      s, "\n## [queue.NAME]\n\nOne group per queue, NAME as the phone system writes it. "
         "`name` is the display name; `sl_threshold_s`, `sl_variant`, "
         "`sl_exclude_short_abandons` and `short_abandon_s` override the [kpi] values "
         "for that queue.\n\n```\n[queue.policy]\nname = 政策咨询\nsl_threshold_s = 20\n```\n"
         "\n## [agent.KEY]\n\nOne group per agent, KEY being the canonical agent key. "
         "`name` is the display name; `aliases` lists, ';'-separated, the other "
         "spellings sources use for this person (matched ignoring case). Without an "
         "alias, technology prefixes are dropped: `SIP/1001`, `PJSIP/1001`, "
         "`Local/1001@from-queue/n` and `Agent/1001` are all agent `1001`.\n\n"
         "```\n[agent.1001]\nname = 王丽\naliases = Sathish;Agent 1\n```\n"
         "\n## [shift.CODE]\n\nOne group per shift template of the roster, CODE being what "
         "planners write in a roster's cells or `template` column (`wallboardctl import "
         "roster`, docs/import-templates/README.md). `start` and `end` are local times of "
         "day, HH:MM; an `end` at or before `start` is on the next day (`24:00` is "
         "midnight). `role` (optional) is the role of the shift's staff when the roster "
         "names none; `label` (optional) is the display name, which a roster cell may "
         "also use.\n\n"
         "```\n[shift.早]\nlabel = 早班\nstart = 08:00\nend = 16:00\n```\n\n"
         "A template whose hours differ by season gives `summer_start`, `summer_end`, "
         "`winter_start` and `winter_end` (each defaults to `start` or `end`); the season "
         "of a shift is the season of its day ([roster] `summer_from`, `winter_from`).\n\n"
         "Without any [shift.CODE] group the tender's 7x24 rota applies: `白` (白班) "
         "08:00-17:30 in summer and 08:00-17:00 in winter, and `夜` (夜班) 19:00-08:00 the "
         "next day. Any [shift.CODE] group replaces both.\n\n"
         "```\n[shift.白]\nlabel = 白班\nstart = 08:00\nsummer_end = 17:30\n"
         "winter_end = 17:00\n\n[shift.夜]\nlabel = 夜班\nstart = 19:00\nend = 08:00\n```\n");
  g_string_append(s, wb_alerts_config_docs());
  return g_string_free(s, FALSE);
}

char *
wb_config_example_file(void)
{
  GString *s = g_string_new("# wallboard.conf: configuration of wallboardd.\n"
                            "# Every key is shown with its default, commented out. Generated by\n"
                            "# `wallboardd --print-config` from the table in engine/config.c.\n");
  const char *group = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    const KeyDef *k = &keys[i];
    if (g_strcmp0(group, k->group) != 0) {
      group = k->group;
      g_string_append_printf(s, "\n[%s]\n", group);
    }
    g_auto(GStrv) words = g_strsplit(k->help, " ", -1);
    gsize col = 0;
    g_string_append(s, "\n#");
    for (char **w = words; *w != NULL; w++) {
      if (col + strlen(*w) > 76) {
        g_string_append(s, "\n#");
        col = 0;
      }
      g_string_append_printf(s, " %s", *w);
      col += strlen(*w) + 1;
    }
    g_string_append_printf(s, "\n#%s = %s\n", k->key, k->def);
  }
  g_string_append(s, "\n# Display names and service-level settings per queue:\n"
                     "#[queue.policy]\n#name = 政策咨询\n#sl_threshold_s = 20\n"
                     "\n# Display names and source spellings per agent:\n"
                     "#[agent.1001]\n#name = 王丽\n#aliases = SIP/1001;Sathish\n"
                     "\n# Shift templates of the roster (wallboardctl import roster): a roster\n"
                     "# cell or template column names CODE (or the label); an end at or\n"
                     "# before the start is on the next day; summer_start, summer_end,\n"
                     "# winter_start and winter_end give hours that differ by season.\n"
                     "# Without any [shift.CODE] group: 白 (08:00-17:30 summer, 08:00-17:00\n"
                     "# winter) and 夜 (19:00-08:00), the tender's rota.\n"
                     "#[shift.早]\n#label = 早班\n#start = 08:00\n#end = 16:00\n"
                     "#[shift.中]\n#label = 中班\n#start = 16:00\n#end = 24:00\n"
                     "#[shift.夜]\n#label = 夜班\n#start = 00:00\n#end = 08:00\n");
  g_string_append(s, "\n# Alert rules (docs/alerts.md): the shipped ones run without any group;\n"
                     "# [alert.NAME] changes a shipped rule key by key, or adds one.\n"
                     "#[alert.waiting]\n#threshold = 8\n#clear = 3\n"
                     "#[alert.policy_sl]\n#metric = service_level\n#scope = queue:policy\n"
                     "#op = <\n#threshold = 0.7\n#clear = 0.75\n#for_s = 600\n#min_calls = 5\n"
                     "#quiet_hours = 22:00-07:00\n");
  return g_string_free(s, FALSE);
}

/* Copies, comparisons and single keys, for a reload of the file while the
 * daemon runs (engine/reload.h). A field added to one of the named
 * groups' structs must be added to its copy and equal functions here. */

static gboolean
strv_equal(char *const *a, char *const *b)
{
  if (a == NULL || b == NULL)
    return (a == NULL || *a == NULL) && (b == NULL || *b == NULL);
  return g_strv_equal((const char *const *)a, (const char *const *)b);
}

static gboolean
key_equal(const WbConfig *a, const WbConfig *b, const KeyDef *k)
{
  gconstpointer fa = G_STRUCT_MEMBER_P(a, k->offset);
  gconstpointer fb = G_STRUCT_MEMBER_P(b, k->offset);
  switch (k->type) {
  case TYPE_STRING:
  case TYPE_BANDS: return g_strcmp0(*(char *const *)fa, *(char *const *)fb) == 0;
  case TYPE_INT:
  case TYPE_MONTH_DAY: return *(const gint *)fa == *(const gint *)fb;
  case TYPE_INT64: return *(const gint64 *)fa == *(const gint64 *)fb;
  case TYPE_DOUBLE: return *(const gdouble *)fa == *(const gdouble *)fb;
  case TYPE_BOOL: return !*(const gboolean *)fa == !*(const gboolean *)fb;
  case TYPE_LIST: return strv_equal(*(char **const *)fa, *(char **const *)fb);
  case TYPE_VARIANT: return *(const WbSlVariant *)fa == *(const WbSlVariant *)fb;
  }
  return FALSE;
}

static void
key_copy(WbConfig *dst, const WbConfig *src, const KeyDef *k)
{
  gpointer fd = field(dst, k);
  gconstpointer fs = G_STRUCT_MEMBER_P(src, k->offset);
  switch (k->type) {
  case TYPE_STRING:
  case TYPE_BANDS:
    g_free(*(char **)fd);
    *(char **)fd = g_strdup(*(char *const *)fs);
    break;
  case TYPE_INT:
  case TYPE_MONTH_DAY: *(gint *)fd = *(const gint *)fs; break;
  case TYPE_INT64: *(gint64 *)fd = *(const gint64 *)fs; break;
  case TYPE_DOUBLE: *(gdouble *)fd = *(const gdouble *)fs; break;
  case TYPE_BOOL: *(gboolean *)fd = *(const gboolean *)fs; break;
  case TYPE_LIST:
    g_strfreev(*(char ***)fd);
    *(char ***)fd = g_strdupv(*(char **const *)fs);
    break;
  case TYPE_VARIANT: *(WbSlVariant *)fd = *(const WbSlVariant *)fs; break;
  }
}

static gboolean
kpi_equal(const WbKpiSettings *a, const WbKpiSettings *b)
{
  return a->sl_threshold_s == b->sl_threshold_s && a->sl_variant == b->sl_variant &&
         !a->sl_exclude_short_abandons == !b->sl_exclude_short_abandons &&
         a->short_abandon_s == b->short_abandon_s;
}

static const char *
queue_key(gconstpointer p)
{
  return ((const WbQueueConfig *)p)->key;
}

static gboolean
queue_equal(gconstpointer pa, gconstpointer pb)
{
  const WbQueueConfig *a = pa, *b = pb;
  return g_strcmp0(a->name, b->name) == 0 && kpi_equal(&a->kpi, &b->kpi) &&
         a->target_answer_rate == b->target_answer_rate &&
         a->target_service_level == b->target_service_level &&
         strv_equal(a->wrapup_reasons, b->wrapup_reasons);
}

static gpointer
queue_copy(gconstpointer p)
{
  const WbQueueConfig *s = p;
  WbQueueConfig *q = g_memdup2(s, sizeof *s);
  q->key = g_strdup(s->key);
  q->name = g_strdup(s->name);
  q->wrapup_reasons = g_strdupv(s->wrapup_reasons);
  return q;
}

static const char *
agent_key(gconstpointer p)
{
  return ((const WbAgentConfig *)p)->key;
}

static gboolean
agent_equal(gconstpointer pa, gconstpointer pb)
{
  const WbAgentConfig *a = pa, *b = pb;
  return g_strcmp0(a->name, b->name) == 0 && strv_equal(a->aliases, b->aliases);
}

static gpointer
agent_copy(gconstpointer p)
{
  const WbAgentConfig *s = p;
  WbAgentConfig *a = g_new0(WbAgentConfig, 1);
  a->key = g_strdup(s->key);
  a->name = g_strdup(s->name);
  a->aliases = g_strdupv(s->aliases);
  return a;
}

static const char *
shift_key(gconstpointer p)
{
  return ((const WbShiftConfig *)p)->code;
}

static gboolean
shift_equal(gconstpointer pa, gconstpointer pb)
{
  const WbShiftConfig *a = pa, *b = pb;
  return g_strcmp0(a->label, b->label) == 0 && g_strcmp0(a->role, b->role) == 0 &&
         a->start_min == b->start_min && a->end_min == b->end_min &&
         a->summer_start_min == b->summer_start_min && a->summer_end_min == b->summer_end_min &&
         a->winter_start_min == b->winter_start_min && a->winter_end_min == b->winter_end_min;
}

static gpointer
shift_copy(gconstpointer p)
{
  const WbShiftConfig *s = p;
  WbShiftConfig *c = g_memdup2(s, sizeof *s);
  c->code = g_strdup(s->code);
  c->label = g_strdup(s->label);
  c->role = g_strdup(s->role);
  return c;
}

static const char *
group_key(gconstpointer p)
{
  return ((const WbConfigGroup *)p)->name;
}

static gboolean
group_equal(gconstpointer pa, gconstpointer pb)
{
  const WbConfigGroup *a = pa, *b = pb;
  return strv_equal(a->keys, b->keys) && strv_equal(a->values, b->values);
}

static gpointer
group_copy(gconstpointer p)
{
  const WbConfigGroup *s = p;
  WbConfigGroup *g = g_new0(WbConfigGroup, 1);
  g->name = g_strdup(s->name);
  g->keys = g_strdupv(s->keys);
  g->values = g_strdupv(s->values);
  return g;
}

/* The families of named groups: [queue.NAME] and the others. */
typedef struct {
  const char *group; /* without the dot */
  gsize offset;      /* of the GPtrArray in WbConfig */
  const char *(*key)(gconstpointer);
  gboolean (*equal)(gconstpointer, gconstpointer);
  gpointer (*copy)(gconstpointer);
} Family;

static const Family families[] = {
    {"queue", OFF(queues), queue_key, queue_equal, queue_copy},
    {"agent", OFF(agents), agent_key, agent_equal, agent_copy},
    {"shift", OFF(shifts), shift_key, shift_equal, shift_copy},
    {"alert", OFF(alert_groups), group_key, group_equal, group_copy},
};

static GPtrArray *
family_array(const WbConfig *cfg, const Family *f)
{
  return G_STRUCT_MEMBER(GPtrArray *, cfg, f->offset);
}

static gint
family_find(GPtrArray *array, const Family *f, const char *name)
{
  for (guint i = 0; i < array->len; i++)
    if (g_strcmp0(f->key(g_ptr_array_index(array, i)), name) == 0)
      return (gint)i;
  return -1;
}

WbConfig *
wb_config_copy(const WbConfig *cfg)
{
  WbConfig *c = wb_config_new_defaults();
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
    key_copy(c, cfg, &keys[i]);
  for (gsize f = 0; f < G_N_ELEMENTS(families); f++) {
    GPtrArray *from = family_array(cfg, &families[f]);
    for (guint i = 0; i < from->len; i++)
      g_ptr_array_add(family_array(c, &families[f]), families[f].copy(g_ptr_array_index(from, i)));
  }
  return c;
}

static gint
name_cmp(gconstpointer a, gconstpointer b)
{
  return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

static void
family_changes(const WbConfig *a, const WbConfig *b, const Family *f, GPtrArray *out)
{
  GPtrArray *xa = family_array(a, f), *xb = family_array(b, f);
  g_autoptr(GPtrArray) names = g_ptr_array_new();
  for (guint i = 0; i < xa->len; i++)
    g_ptr_array_add(names, (gpointer)f->key(g_ptr_array_index(xa, i)));
  for (guint i = 0; i < xb->len; i++)
    if (family_find(xa, f, f->key(g_ptr_array_index(xb, i))) < 0)
      g_ptr_array_add(names, (gpointer)f->key(g_ptr_array_index(xb, i)));
  g_ptr_array_sort(names, name_cmp);
  for (guint i = 0; i < names->len; i++) {
    const char *name = g_ptr_array_index(names, i);
    gint ia = family_find(xa, f, name), ib = family_find(xb, f, name);
    if (ia < 0 || ib < 0 || !f->equal(g_ptr_array_index(xa, ia), g_ptr_array_index(xb, ib)))
      g_ptr_array_add(out, g_strconcat(f->group, ".", name, NULL));
  }
}

GPtrArray *
wb_config_changes(const WbConfig *a, const WbConfig *b)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
    if (!key_equal(a, b, &keys[i]))
      g_ptr_array_add(out, g_strconcat(keys[i].group, ".", keys[i].key, NULL));
  for (gsize f = 0; f < G_N_ELEMENTS(families); f++)
    family_changes(a, b, &families[f], out);
  return out;
}

gboolean
wb_config_copy_key(WbConfig *dst, const WbConfig *src, const char *name)
{
  const char *dot = strchr(name, '.');
  if (dot == NULL)
    return FALSE;
  g_autofree char *group = g_strndup(name, (gsize)(dot - name));
  const KeyDef *k = find_key(group, dot + 1);
  if (k != NULL) {
    key_copy(dst, src, k);
    return TRUE;
  }
  for (gsize f = 0; f < G_N_ELEMENTS(families); f++) {
    if (strcmp(families[f].group, group) != 0)
      continue;
    GPtrArray *xd = family_array(dst, &families[f]), *xs = family_array(src, &families[f]);
    gint id = family_find(xd, &families[f], dot + 1), is = family_find(xs, &families[f], dot + 1);
    if (id >= 0)
      g_ptr_array_remove_index(xd, (guint)id);
    if (is >= 0)
      g_ptr_array_add(xd, families[f].copy(g_ptr_array_index(xs, is)));
    return TRUE;
  }
  return FALSE;
}
