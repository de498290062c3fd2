/* metrics.c: GET /metrics in the Prometheus text format, and the problems
 * that make GET /healthz fail. */
#define G_LOG_DOMAIN "metrics"

#include "engine/metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/alerts.h"
#include "engine/kpi.h"
#include "engine/live.h"
#include "engine/store_private.h"
#include "engine/topics.h"
#include "wb-build-config.h"

/* ---- the text format ---- */

void
wb_metrics_escape_label(GString *out, const char *value)
{
  g_autofree char *valid = g_utf8_make_valid(value != NULL ? value : "", -1);
  for (const char *p = valid; *p != '\0'; p++) {
    switch (*p) {
    case '\\': g_string_append(out, "\\\\"); break;
    case '"': g_string_append(out, "\\\""); break;
    case '\n': g_string_append(out, "\\n"); break;
    default: g_string_append_c(out, *p); break;
    }
  }
}

void
wb_metrics_escape_help(GString *out, const char *text)
{
  for (const char *p = text; *p != '\0'; p++) {
    switch (*p) {
    case '\\': g_string_append(out, "\\\\"); break;
    case '\n': g_string_append(out, "\\n"); break;
    default: g_string_append_c(out, *p); break;
    }
  }
}

/* The shortest decimal that reads back as value: 0.0025, not
 * 0.0025000000000000001. */
static const char *
shortest(char *buf, gsize size, gdouble value)
{
  for (int digits = 15; digits < 17; digits++) {
    char format[8];
    g_snprintf(format, sizeof(format), "%%.%dg", digits);
    g_ascii_formatd(buf, size, format, value);
    if (g_ascii_strtod(buf, NULL) == value)
      return buf;
  }
  return g_ascii_formatd(buf, size, "%.17g", value);
}

void
wb_metrics_append_value(GString *out, gdouble value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (isnan(value))
    g_string_append(out, "NaN");
  else if (isinf(value))
    g_string_append(out, value > 0 ? "+Inf" : "-Inf");
  else
    g_string_append(out, shortest(buf, sizeof(buf), value));
}

/* The HELP and TYPE lines of a family. */
static void
family(GString *s, const char *name, const char *type, const char *help)
{
  g_string_append_printf(s, "# HELP %s ", name);
  wb_metrics_escape_help(s, help);
  g_string_append_printf(s, "\n# TYPE %s %s\n", name, type);
}

/* One sample: name, then label name/value pairs ending with NULL. */
static void sample(GString *s, const char *name, gdouble value, ...) G_GNUC_NULL_TERMINATED;

static void
sample(GString *s, const char *name, gdouble value, ...)
{
  va_list ap;
  const char *label;
  gboolean first = TRUE;

  g_string_append(s, name);
  va_start(ap, value);
  while ((label = va_arg(ap, const char *)) != NULL) {
    const char *v = va_arg(ap, const char *);
    g_string_append_printf(s, "%s%s=\"", first ? "{" : ",", label);
    wb_metrics_escape_label(s, v);
    g_string_append_c(s, '"');
    first = FALSE;
  }
  va_end(ap);
  g_string_append(s, first ? " " : "} ");
  wb_metrics_append_value(s, value);
  g_string_append_c(s, '\n');
}

/* ---- the process ---- */

static gdouble
resident_bytes(void)
{
  g_autofree char *text = NULL;
  unsigned long size = 0, resident = 0;
  if (!g_file_get_contents("/proc/self/statm", &text, NULL, NULL) ||
      sscanf(text, "%lu %lu", &size, &resident) != 2)
    return NAN;
  return (gdouble)resident * (gdouble)sysconf(_SC_PAGESIZE);
}

static void
add_process(GString *s, WbEngine *e)
{
  family(s, "wallboard_build_info", "gauge", "Always 1; the version of the running daemon.");
  sample(s, "wallboard_build_info", 1, "version", WB_VERSION, NULL);
  family(s, "wallboard_uptime_seconds", "gauge", "Seconds since the daemon started.");
  sample(s, "wallboard_uptime_seconds", (g_get_monotonic_time() - e->started_us) / 1e6, NULL);
  family(s, "wallboard_resident_memory_bytes", "gauge",
         "Resident memory of the daemon (/proc/self/statm).");
  sample(s, "wallboard_resident_memory_bytes", resident_bytes(), NULL);
}

/* ---- collectors ---- */

gdouble
wb_metrics_collector_silence_s(WbEngine *e, gint64 last_event_ms)
{
  gint64 wall_ms = g_get_real_time() / 1000;
  gint64 started_ms = wall_ms - (g_get_monotonic_time() - e->started_us) / 1000;
  return MAX(wall_ms - MAX(last_event_ms, started_ms), 0) / 1000.0;
}

typedef struct {
  const char *name, *type, *help;
} Family;

enum { C_LINES, C_EVENTS, C_DUPLICATES, C_QUARANTINED, C_AGE, C_CONNECTED, C_COUNT };

static const Family collector_families[C_COUNT] = {
    {"wallboard_collector_lines_total", "counter", "Lines read by a collector source."},
    {"wallboard_collector_events_total", "counter", "Events a collector source gave."},
    {"wallboard_collector_duplicates_total", "counter",
     "Events of a collector source already stored (read again)."},
    {"wallboard_collector_quarantined_total", "counter",
     "Lines of a collector source that did not parse, kept aside."},
    {"wallboard_collector_last_event_age_seconds", "gauge",
     "Seconds since a collector source's last line or event (since the start when none): what "
     "the collector_silent alert rule watches."},
    {"wallboard_collector_connected", "gauge",
     "1 while a network collector source (AMI) is connected and logged in, else 0."},
};

static gdouble
collector_value(WbEngine *e, int which, const WbCollectorStats *st)
{
  switch (which) {
  case C_LINES: return (gdouble)st->lines;
  case C_EVENTS: return (gdouble)st->events;
  case C_DUPLICATES: return (gdouble)st->duplicates;
  case C_QUARANTINED: return (gdouble)st->quarantined;
  case C_AGE: return wb_metrics_collector_silence_s(e, st->last_event_ms);
  default: return st->connected > 0 ? 1 : 0;
  }
}

static void
add_collectors(GString *s, WbEngine *e)
{
  for (int f = 0; f < C_COUNT; f++) {
    family(s, collector_families[f].name, collector_families[f].type, collector_families[f].help);
    for (guint i = 0; e->collectors != NULL && i < e->collectors->len; i++) {
      WbCollector *c = g_ptr_array_index(e->collectors, i);
      guint n = c->ops->n_sources != NULL ? c->ops->n_sources(c) : 0;
      for (guint k = 0; k < n; k++) {
        WbCollectorStats st = {0};
        c->ops->stats(c, k, &st);
        /* A file has no connection to report. */
        if (f == C_CONNECTED && st.connected < 0)
          continue;
        sample(s, collector_families[f].name, collector_value(e, f, &st), "kind", c->ops->name,
               "source", c->ops->source(c, k), NULL);
      }
    }
  }
}

/* ---- store, archive, topics ---- */

static void
add_commit_histogram(GString *s, const WbStoreStats *ss)
{
  const char *name = "wallboard_store_commit_duration_seconds";
  const gdouble *bounds = wb_store_commit_bounds();
  char le[G_ASCII_DTOSTR_BUF_SIZE];
  guint64 cumulative = 0;

  family(s, name, "histogram", "Durations of the store's SQLite commits.");
  for (guint i = 0; i <= WB_STORE_COMMIT_BUCKETS; i++) {
    cumulative += ss->commit_buckets[i];
    if (i < WB_STORE_COMMIT_BUCKETS)
      shortest(le, sizeof(le), bounds[i]);
    else
      g_strlcpy(le, "+Inf", sizeof(le));
    sample(s, "wallboard_store_commit_duration_seconds_bucket", (gdouble)cumulative, "le", le,
           NULL);
  }
  sample(s, "wallboard_store_commit_duration_seconds_sum", ss->commit_seconds, NULL);
  sample(s, "wallboard_store_commit_duration_seconds_count", (gdouble)cumulative, NULL);
}

static void
add_store(GString *s, WbEngine *e)
{
  WbStoreStats ss;
  WbBusStats bs = {0};

  wb_store_stats(e->store, &ss);
  if (e->bus != NULL)
    wb_bus_stats(e->bus, &bs);
  family(s, "wallboard_store_commits_total", "counter", "Batches committed to the store.");
  sample(s, "wallboard_store_commits_total", (gdouble)ss.commits, NULL);
  family(s, "wallboard_store_events_total", "counter", "Events inserted into the store.");
  sample(s, "wallboard_store_events_total", (gdouble)ss.events, NULL);
  family(s, "wallboard_store_duplicates_total", "counter",
         "Events refused by the store as already stored.");
  sample(s, "wallboard_store_duplicates_total", (gdouble)ss.duplicates, NULL);
  family(s, "wallboard_store_quarantined_total", "counter", "Lines written to the quarantine.");
  sample(s, "wallboard_store_quarantined_total", (gdouble)ss.quarantined, NULL);
  family(s, "wallboard_store_errors_total", "counter", "Failed store writes and commits.");
  sample(s, "wallboard_store_errors_total", (gdouble)bs.store_errors, NULL);
  family(s, "wallboard_store_failing", "gauge",
         "1 while the store cannot commit (failures since the last good commit), else 0.");
  sample(s, "wallboard_store_failing", bs.errors_since_commit > 0 || bs.commit_failed ? 1 : 0,
         NULL);
  family(s, "wallboard_store_held_events", "gauge",
         "Events kept in memory while the store cannot commit; stored once it can.");
  sample(s, "wallboard_store_held_events", bs.held, NULL);
  family(s, "wallboard_store_dropped_events_total", "counter",
         "Events dropped because too many were held while the store could not commit.");
  sample(s, "wallboard_store_dropped_events_total", (gdouble)bs.dropped, NULL);
  family(s, "wallboard_store_last_commit_duration_seconds", "gauge",
         "Duration of the last SQLite commit.");
  sample(s, "wallboard_store_last_commit_duration_seconds", ss.last_commit_us / 1e6, NULL);
  add_commit_histogram(s, &ss);
}

static void
add_rrd(GString *s, WbEngine *e)
{
  /* Without an archive ([rrd] enabled = false) the families stay empty. */
  WbRrdStats rs = {0};
  if (e->rrd != NULL)
    wb_rrd_archive_stats(e->rrd, &rs);
  family(s, "wallboard_rrd_updates_total", "counter", "Update calls to the RRD archive.");
  if (e->rrd != NULL)
    sample(s, "wallboard_rrd_updates_total", (gdouble)rs.updates, NULL);
  family(s, "wallboard_rrd_errors_total", "counter", "Failed RRD updates.");
  if (e->rrd != NULL)
    sample(s, "wallboard_rrd_errors_total", (gdouble)rs.errors, NULL);
  family(s, "wallboard_rrd_skipped_total", "counter",
         "RRD samples skipped as not later than the file's last (a clock that went back).");
  if (e->rrd != NULL)
    sample(s, "wallboard_rrd_skipped_total", (gdouble)rs.skipped_backwards, NULL);
}

static void
add_topics(GString *s, WbEngine *e)
{
  WbTopicsStats ts = {0};
  if (e->topics != NULL)
    wb_topics_stats(e->topics, &ts);
  family(s, "wallboard_websocket_sessions", "gauge", "Open wallboard.v1 WebSocket sessions.");
  sample(s, "wallboard_websocket_sessions", ts.sessions, NULL);
  family(s, "wallboard_topic_subscribers", "gauge", "Sessions subscribed to a topic.");
  for (int i = 0; i < WB_TOPIC_COUNT; i++)
    sample(s, "wallboard_topic_subscribers", ts.subscribers[i], "topic",
           wb_topic_name((WbTopicId)i), NULL);
  family(s, "wallboard_topic_updates_total", "counter",
         "Frames a topic has built (each replaces the previous: latest wins, no queue).");
  for (int i = 0; i < WB_TOPIC_COUNT; i++)
    sample(s, "wallboard_topic_updates_total", (gdouble)ts.updates[i], "topic",
           wb_topic_name((WbTopicId)i), NULL);
}

/* ---- the live KPIs ---- */

#define TOTAL_QUEUE "_total"

enum {
  K_WAITING,
  K_LONGEST,
  K_OFFERED,
  K_ANSWERED,
  K_ABANDONED,
  K_ANSWER_RATE,
  K_SERVICE_LEVEL,
  K_ASA,
  K_AHT,
  K_COUNT
};

static const Family kpi_families[K_COUNT] = {
    {"wallboard_calls_waiting", "gauge", "Calls waiting in the queue now."},
    {"wallboard_longest_wait_seconds", "gauge", "Longest wait of a call waiting now (0: none)."},
    {"wallboard_calls_offered_today", "gauge", "Calls offered since local midnight."},
    {"wallboard_calls_answered_today", "gauge", "Calls answered since local midnight."},
    {"wallboard_calls_abandoned_today", "gauge", "Calls abandoned since local midnight."},
    {"wallboard_answer_rate_today", "gauge", "Answered / offered today, 0..1 (NaN: no calls)."},
    {"wallboard_service_level_today", "gauge",
     "Service level today, 0..1, by the queue's settings (NaN: no calls)."},
    {"wallboard_asa_seconds_today", "gauge",
     "Average speed of answer today, seconds (NaN: no calls answered)."},
    {"wallboard_aht_seconds_today", "gauge",
     "Average handling time today, seconds (NaN: no calls handled)."},
};

static gdouble
kpi_value(int which, const WbQueueView *q)
{
  switch (which) {
  case K_WAITING: return q->waiting;
  case K_LONGEST: return q->longest_wait_s;
  case K_OFFERED: return (gdouble)q->kpi.counts.offered;
  case K_ANSWERED: return (gdouble)q->kpi.counts.answered;
  case K_ABANDONED: return (gdouble)q->kpi.counts.abandoned;
  case K_ANSWER_RATE: return q->kpi.answer_rate;
  case K_SERVICE_LEVEL: return q->kpi.service_level;
  case K_ASA: return q->kpi.asa_s;
  default: return q->kpi.aht_s;
  }
}

static void
add_live(GString *s, WbEngine *e, gint64 now_ms)
{
  g_autoptr(WbLiveView) v = wb_live_view(e->live, now_ms);

  for (int f = 0; f < K_COUNT; f++) {
    family(s, kpi_families[f].name, kpi_families[f].type, kpi_families[f].help);
    /* The total first, as queue="_total": rates cannot be summed. */
    for (guint i = 0; i <= v->queues->len; i++) {
      const WbQueueView *q = i == 0 ? &v->total : &g_array_index(v->queues, WbQueueView, i - 1);
      sample(s, kpi_families[f].name, kpi_value(f, q), "queue", i == 0 ? TOTAL_QUEUE : q->queue,
             NULL);
    }
  }
  family(s, "wallboard_agents", "gauge", "Agents in each state now.");
  for (int st = 0; st < WB_AGENT_STATE_COUNT; st++)
    sample(s, "wallboard_agents", v->agents_by_state[st], "state",
           wb_agent_state_name((WbAgentState)st), NULL);
}

/* ---- alerts and reports, from their tables ---- */

static const char sql_alerts_open[] =
    "SELECT severity, count(*) FROM alerts WHERE cleared_ms IS NULL GROUP BY severity";

static void
add_alerts(GString *s, WbEngine *e)
{
  gint64 n[WB_ALERT_CRITICAL + 1] = {0};
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *st = wb_store_statement(e->store, sql_alerts_open, &error);

  family(s, "wallboard_alerts_open", "gauge", "Alerts raised and not cleared, by severity.");
  if (st == NULL) {
    g_warning("alerts: %s", error->message);
    return;
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *sev = (const char *)sqlite3_column_text(st, 0);
    for (int i = 0; i <= WB_ALERT_CRITICAL; i++)
      if (g_strcmp0(sev, wb_alert_severity_name((WbAlertSeverity)i)) == 0)
        n[i] += sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  for (int i = 0; i <= WB_ALERT_CRITICAL; i++)
    sample(s, "wallboard_alerts_open", (gdouble)n[i], "severity",
           wb_alert_severity_name((WbAlertSeverity)i), NULL);
}

static const char sql_report_runs[] =
    "SELECT kind, status, count(*) FROM report_runs GROUP BY kind, status ORDER BY kind, status";

static void
add_reports(GString *s, WbEngine *e)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *st = wb_store_statement(e->store, sql_report_runs, &error);

  family(s, "wallboard_report_runs", "gauge", "Report runs kept, by kind and status.");
  if (st == NULL) {
    g_warning("report runs: %s", error->message);
    return;
  }
  while (sqlite3_step(st) == SQLITE_ROW)
    sample(s, "wallboard_report_runs", (gdouble)sqlite3_column_int64(st, 2), "kind",
           (const char *)sqlite3_column_text(st, 0), "status",
           (const char *)sqlite3_column_text(st, 1), NULL);
  sqlite3_reset(st);
}

char *
wb_metrics_text(WbEngine *e, gint64 now_ms)
{
  GString *s = g_string_sized_new(16384);
  add_process(s, e);
  add_collectors(s, e);
  add_store(s, e);
  add_rrd(s, e);
  add_topics(s, e);
  add_live(s, e, now_ms);
  add_alerts(s, e);
  add_reports(s, e);
  return g_string_free(s, FALSE);
}

/* ---- health ---- */

void
wb_metrics_problem_free(WbMetricsProblem *p)
{
  if (p == NULL)
    return;
  g_free(p->subject);
  g_free(p->message);
  g_free(p);
}

static gboolean
scope_matches(const char *pattern, const char *scope)
{
  if (strcmp(pattern, "*") == 0 || strcmp(pattern, "collector:*") == 0)
    return TRUE;
  return strcmp(pattern, scope) == 0;
}

/* Whether a rule on collector_silent_s finds the source silent: the same
 * rules, thresholds and for_s as the alerts, so /healthz and the
 * `collector_silent` alert agree (quiet hours aside: they spare people on
 * the floor, not a monitor). *limit_s: the lowest limit that applies,
 * NAN when none does. */
static gboolean
silent_by_rules(const GPtrArray *rules, const char *source, gdouble silent_s, gdouble *limit_s)
{
  g_autofree char *scope = g_strconcat("collector:", source, NULL);
  gboolean silent = FALSE;

  *limit_s = NAN;
  for (guint i = 0; rules != NULL && i < rules->len; i++) {
    const WbAlertRule *r = g_ptr_array_index(rules, i);
    if (!r->enabled || r->threshold_target || strcmp(r->metric, "collector_silent_s") != 0 ||
        (r->op != WB_ALERT_GT && r->op != WB_ALERT_GE) || !scope_matches(r->scope, scope))
      continue;
    /* The alert needs the condition to hold for for_s more seconds, and
     * silence grows one second a second. */
    gdouble limit = r->threshold + r->for_s;
    if (isnan(*limit_s) || limit < *limit_s)
      *limit_s = limit;
    if (r->op == WB_ALERT_GT ? silent_s > limit : silent_s >= limit)
      silent = TRUE;
  }
  return silent;
}

static void
check_collectors(WbEngine *e, GPtrArray *problems)
{
  g_autoptr(GPtrArray) own = NULL;
  const GPtrArray *rules = NULL;

  if (e->alerts != NULL) {
    rules = wb_alerts_rule_list(e->alerts);
  } else {
    g_autoptr(GError) error = NULL;
    own = wb_alerts_rules(e->cfg, &error);
    if (own == NULL)
      own = wb_alerts_default_rules();
    rules = own;
  }
  for (guint i = 0; e->collectors != NULL && i < e->collectors->len; i++) {
    WbCollector *c = g_ptr_array_index(e->collectors, i);
    /* The JSON ingest API waits for others to send: silence is no fault. */
    if ((gpointer)c == (gpointer)e->ingest)
      continue;
    guint n = c->ops->n_sources != NULL ? c->ops->n_sources(c) : 0;
    for (guint k = 0; k < n; k++) {
      WbCollectorStats st = {0};
      c->ops->stats(c, k, &st);
      const char *source = c->ops->source(c, k);
      gdouble silent_s = wb_metrics_collector_silence_s(e, st.last_event_ms), limit_s;
      if (!silent_by_rules(rules, source, silent_s, &limit_s))
        continue;
      WbMetricsProblem *p = g_new0(WbMetricsProblem, 1);
      p->check = "collector_silent";
      p->subject = g_strdup(source);
      p->message = g_strdup_printf("%s %s: nothing for %.0f s (limit %.0f s)", c->ops->name, source,
                                   silent_s, limit_s);
      p->silent_s = silent_s;
      p->limit_s = limit_s;
      g_ptr_array_add(problems, p);
    }
  }
}

static void
check_store(WbEngine *e, GPtrArray *problems)
{
  WbBusStats bs;
  if (e->bus == NULL)
    return;
  wb_bus_stats(e->bus, &bs);
  if (bs.errors_since_commit == 0 && !bs.commit_failed)
    return;
  WbMetricsProblem *p = g_new0(WbMetricsProblem, 1);
  p->check = "store";
  p->subject = g_strdup("store");
  g_autofree char *held =
      bs.held > 0 ? g_strdup_printf(" (%u events held in memory until it can)", bs.held) : NULL;
  p->message = g_strdup_printf(
      "%" G_GUINT64_FORMAT " failure(s) since the last good commit%s%s: %s", bs.errors_since_commit,
      bs.commit_failed ? ", the last commit failed" : "", held != NULL ? held : "", bs.last_error);
  p->silent_s = p->limit_s = NAN;
  g_ptr_array_add(problems, p);
}

GPtrArray *
wb_metrics_problems(WbEngine *e)
{
  GPtrArray *problems = g_ptr_array_new_with_free_func((GDestroyNotify)wb_metrics_problem_free);
  check_collectors(e, problems);
  check_store(e, problems);
  return problems;
}
