/* api.c: REST routes under /api/v1/ and /healthz. */
#define G_LOG_DOMAIN "api"

#include "engine/api.h"
#include "engine/api_attendance.h"
#include "engine/api_auth.h"
#include "engine/api_notes.h"
#include "engine/api_reports.h"
#include "engine/api_alerts.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "engine/auth.h"
#include "engine/interval.h"
#include "engine/kpi_json.h"
#include "engine/live_json.h"
#include "engine/metrics.h"
#include "engine/query.h"
#include "engine/users.h"
#include "engine/workforce/coverage.h"
#include "engine/workforce/stability.h"
#include "engine/workforce/training.h"
#include "engine/workforce/staffing.h"
#include "wb-build-config.h"

/* At most this many intervals in one answer (a year of hours). */
#define INTERVALS_MAX 9000

void
wb_api_reply_clear(WbApiReply *reply)
{
  g_clear_pointer(&reply->body, g_free);
  g_clear_pointer(&reply->set_cookie, g_free);
  g_clear_pointer(&reply->disposition, g_free);
  reply->content_type = NULL;
  reply->body_len = 0;
  reply->status = 0;
  g_clear_pointer(&reply->later, wb_api_later_drop);
}

/* Main loop only: held by the route until it answers and by the server
 * until the answer is handed over or the client goes. */
struct WbApiLater {
  guint ref;
  WbApiLaterFunc func;
  gpointer data;
  gboolean waited;   /* the server has called wait or drop */
  gboolean answered; /* reply holds an answer not yet handed over */
  WbApiReply reply;
};

static void
later_unref(WbApiLater *l)
{
  if (--l->ref > 0)
    return;
  wb_api_reply_clear(&l->reply);
  g_free(l);
}

/* Hands the kept answer to the server, whose part then ends. */
static void
later_hand_over(WbApiLater *l)
{
  WbApiLaterFunc func = l->func;
  l->func = NULL;
  l->answered = FALSE;
  func(&l->reply, l->data);
  wb_api_reply_clear(&l->reply);
  later_unref(l);
}

WbApiLater *
wb_api_later_new(WbApiReply *out)
{
  WbApiLater *l = g_new0(WbApiLater, 1);
  l->ref = 2;
  g_assert(out->later == NULL);
  out->later = l;
  return l;
}

void
wb_api_later_answer(WbApiLater *l, WbApiReply *reply)
{
  g_return_if_fail(!l->answered && reply->later == NULL);
  /* Kept only while the server may still want it. */
  if (l->func != NULL || !l->waited) {
    l->reply = *reply;
    l->answered = TRUE;
  } else {
    wb_api_reply_clear(reply);
  }
  memset(reply, 0, sizeof(*reply));
  if (l->func != NULL)
    later_hand_over(l);
  later_unref(l);
}

void
wb_api_later_wait(WbApiLater *l, WbApiLaterFunc func, gpointer data)
{
  g_return_if_fail(!l->waited);
  l->waited = TRUE;
  l->func = func;
  l->data = data;
  if (l->answered)
    later_hand_over(l);
}

void
wb_api_later_drop(WbApiLater *l)
{
  /* After the hand-over the server holds nothing to drop. */
  g_return_if_fail(!l->waited || l->func != NULL);
  l->waited = TRUE;
  l->func = NULL;
  wb_api_reply_clear(&l->reply);
  l->answered = FALSE;
  later_unref(l);
}

GHashTable *
wb_api_query_new(const char *const *fragments, gsize n)
{
  GHashTable *q = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

  for (gsize i = 0; i < n; i++) {
    const char *f = fragments[i];
    const char *eq = strchr(f, '=');
    g_autofree char *name = eq != NULL ? g_strndup(f, eq - f) : g_strdup(f);
    if (*name == '\0' || g_hash_table_contains(q, name))
      continue;
    g_autofree char *value = g_strdup(eq != NULL ? eq + 1 : "");
    /* Query strings turn '+' into ' '; nothing we take contains a space,
     * and "+08:00" offsets must survive an unencoded '+'. */
    g_strdelimit(value, " ", '+');
    g_hash_table_insert(q, g_steal_pointer(&name), g_steal_pointer(&value));
  }
  return q;
}

void
wb_api_reply_error(WbApiReply *out, guint status, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);

  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  g_autofree char *valid = g_utf8_make_valid(msg, -1);
  wb_kpi_json_string(b, "error", valid);
  json_builder_end_object(b);
  out->status = status;
  out->body = wb_kpi_json_to_string(b);
}

/* Member name of o as a string, stripped: NULL when absent or null; FALSE
 * after a 400 when it is something else. */
gboolean
wb_api_member_string(JsonObject *o, const char *name, char **value, WbApiReply *out)
{
  *value = NULL;
  JsonNode *n = json_object_get_member(o, name);
  if (n == NULL || JSON_NODE_HOLDS_NULL(n))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
    wb_api_reply_error(out, 400, "%s: expected a string", name);
    return FALSE;
  }
  *value = g_strstrip(g_strdup(json_node_get_string(n)));
  return TRUE;
}

gint64
wb_api_path_id(const char *path, const char *prefix)
{
  if (!g_str_has_prefix(path, prefix))
    return -1;
  const char *p = path + strlen(prefix);
  const char *slash = strchr(p, '/');
  if (slash == NULL || slash == p)
    return -1;
  g_autofree char *digits = g_strndup(p, slash - p);
  guint64 id;
  if (!g_ascii_string_to_unsigned(digits, 10, 1, G_MAXINT64, &id, NULL))
    return -1;
  return (gint64)id;
}

void
wb_api_reply_json(WbApiReply *out, JsonBuilder *b)
{
  out->status = 200;
  out->body = wb_kpi_json_to_string(b);
}

/* ---- parameters ---- */

gboolean
wb_api_param_time(WbEngine *e, GHashTable *query, const char *name, gint64 def, gint64 *out,
                  WbApiReply *reply)
{
  const char *text = g_hash_table_lookup(query, name);
  if (text == NULL || *text == '\0') {
    *out = def;
    return TRUE;
  }
  if (!wb_time_parse(e->tz, text, out)) {
    wb_api_reply_error(reply, 400, "%s: not an ISO-8601 date-time or epoch milliseconds: '%s'",
                       name, text);
    return FALSE;
  }
  return TRUE;
}

/* from and to, by default today. */
static gboolean
param_window(WbEngine *e, GHashTable *query, gint64 *from, gint64 *to, WbApiReply *reply)
{
  gint64 now = wb_clock_now_ms(&e->clock);
  if (!wb_api_param_time(e, query, "from", wb_day_start_ms(e->tz, now), from, reply) ||
      !wb_api_param_time(e, query, "to", wb_day_end_ms(e->tz, now), to, reply))
    return FALSE;
  if (*from >= *to) {
    wb_api_reply_error(reply, 400, "from must be earlier than to");
    return FALSE;
  }
  return TRUE;
}

static gboolean
param_scope(GHashTable *query, WbScope *scope, WbApiReply *reply)
{
  const char *text = g_hash_table_lookup(query, "scope");
  if (!wb_scope_parse(text, scope)) {
    wb_api_reply_error(reply, 400, "scope: expected total, queue:NAME or agent:KEY, got '%s'",
                       text);
    return FALSE;
  }
  return TRUE;
}

/* What has been ingested is committed before it is counted, so answers
 * cover everything the wallboard has shown. A failed commit is logged by
 * the bus; the answer then comes from what is committed. */
static void
commit_first(WbEngine *e)
{
  g_autoptr(GError) error = NULL;
  wb_bus_flush(e->bus, &error);
}

/* ---- routes ---- */

static void
route_live(WbEngine *e, WbApiReply *out)
{
  g_autoptr(WbLiveView) v = wb_live_view(e->live, wb_clock_now_ms(&e->clock));
  out->status = 200;
  out->body = wb_live_json(e, v, WB_LIVE_JSON_ALL);
}

/* The scope's service-level settings, with what the request asks instead
 * (sl_variant=offered, sl_threshold_s=20, …): numbers to compare with
 * another tool's, labelled as asked. */
static gboolean
param_settings(WbEngine *e, GHashTable *query, const WbScope *scope, WbKpiSettings *out,
               WbApiReply *reply)
{
  *out = wb_query_settings(e->cfg, scope);
  for (const char *const *k = wb_config_kpi_override_keys; *k != NULL; k++) {
    const char *v = g_hash_table_lookup(query, *k);
    g_autoptr(GError) error = NULL;
    if (v != NULL && !wb_config_kpi_override(out, *k, v, &error)) {
      wb_api_reply_error(reply, 400, "%s", error->message);
      return FALSE;
    }
  }
  return TRUE;
}

static void
route_kpi(WbEngine *e, GHashTable *query, WbApiReply *out)
{
  WbScope scope;
  WbKpiSettings settings;
  gint64 from, to;
  WbQueryResult r;
  g_autoptr(GError) error = NULL;

  if (!param_scope(query, &scope, out) || !param_window(e, query, &from, &to, out) ||
      !param_settings(e, query, &scope, &settings, out))
    return;
  commit_first(e);
  if (!wb_query_kpi(e->store, e->cfg, e->live, wb_clock_now_ms(&e->clock), &scope, from, to,
                    &settings, &r, &error)) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  wb_kpi_json_result(b, &r, e->cfg, e->tz);
  wb_query_result_clear(&r);
  wb_api_reply_json(out, b);
}

static void
route_agents(WbEngine *e, GHashTable *query, WbApiReply *out)
{
  gint64 from, to;
  gint64 now = wb_clock_now_ms(&e->clock);
  g_autoptr(GError) error = NULL;

  if (!param_window(e, query, &from, &to, out))
    return;
  commit_first(e);
  g_autoptr(GPtrArray) results = wb_query_agents(e->store, e->cfg, e->live, now, from, to, &error);
  if (results == NULL) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  /* Each agent's KPIs for the window beside the state it is in now. */
  g_autoptr(WbLiveView) v = wb_live_view(e->live, now);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  wb_kpi_json_time(b, e->tz, "from", from);
  wb_kpi_json_time(b, e->tz, "to", to);
  json_builder_set_member_name(b, "agents");
  json_builder_begin_array(b);
  for (guint i = 0; i < results->len; i++) {
    const WbQueryResult *r = g_ptr_array_index(results, i);
    const WbAgentView *now_state = NULL;
    for (guint k = 0; k < v->agents->len; k++)
      if (strcmp(g_array_index(v->agents, WbAgentView, k).agent, r->scope.key) == 0)
        now_state = &g_array_index(v->agents, WbAgentView, k);
    json_builder_begin_object(b);
    wb_kpi_json_string(b, "agent", r->scope.key);
    wb_kpi_json_string(b, "name", wb_config_agent_name(e->cfg, r->scope.key));
    wb_kpi_json_string(b, "state",
                       wb_agent_state_name(now_state ? now_state->state : WB_AGENT_OFFLINE));
    wb_kpi_json_string(b, "reason", now_state ? now_state->reason : "");
    if (now_state != NULL && now_state->since_ms > 0)
      wb_kpi_json_time(b, e->tz, "since", now_state->since_ms);
    wb_kpi_json_members(b, &r->kpi, WB_SCOPE_AGENT, r->pause_ms);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  wb_api_reply_json(out, b);
}

typedef struct {
  GArray *rows; /* WbIntervalRow */
} IntervalRows;

static void
collect_interval(const WbIntervalRow *row, gpointer user_data)
{
  g_array_append_val(((IntervalRows *)user_data)->rows, *row);
}

static void
route_intervals(WbEngine *e, GHashTable *query, WbApiReply *out)
{
  WbScope scope;
  gint64 from, to;
  char scope_text[WB_SCOPE_TEXT_MAX];
  const char *size_text = g_hash_table_lookup(query, "size");
  gint size = size_text != NULL ? (gint)g_ascii_strtoll(size_text, NULL, 10) : 15;
  g_autoptr(GError) error = NULL;

  if (!wb_interval_size_valid(size)) {
    wb_api_reply_error(out, 400, "size: expected 15, 30, 60 or 1440 minutes, got '%s'", size_text);
    return;
  }
  if (!param_scope(query, &scope, out) || !param_window(e, query, &from, &to, out))
    return;
  from = wb_interval_start(e->tz, size, from);
  gint64 count = size >= 1440 ? (to - from) / 86400000 + 1 : (to - from) / (size * 60000LL) + 1;
  if (count > INTERVALS_MAX) {
    wb_api_reply_error(out, 400, "%" G_GINT64_FORMAT " intervals asked for; at most %d: widen size",
                       count, INTERVALS_MAX);
    return;
  }
  commit_first(e);
  wb_scope_format(&scope, scope_text, sizeof(scope_text));
  IntervalRows rows = {g_array_new(FALSE, TRUE, sizeof(WbIntervalRow))};
  if (!wb_store_foreach_interval(e->store, size, scope_text, from, to, collect_interval, &rows,
                                 &error)) {
    g_array_unref(rows.rows);
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  WbKpiSettings settings =
      scope.kind == WB_SCOPE_QUEUE ? wb_config_kpi_for_queue(e->cfg, scope.key) : e->cfg->kpi;
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  wb_kpi_json_string(b, "scope", scope_text);
  wb_kpi_json_int(b, "size_min", size);
  wb_kpi_json_time(b, e->tz, "from", from);
  wb_kpi_json_time(b, e->tz, "to", to);
  json_builder_set_member_name(b, "intervals");
  json_builder_begin_array(b);
  /* Every interval of the window, stored or not: a quiet interval is a row
   * of zeros and nulls, not a gap in a report. */
  guint next = 0;
  for (gint64 start = from; start < to; start = wb_interval_end(e->tz, size, start)) {
    WbIntervalRow row = {0};
    if (next < rows.rows->len &&
        g_array_index(rows.rows, WbIntervalRow, next).key.start_ms == start)
      row = g_array_index(rows.rows, WbIntervalRow, next++);
    WbKpiSettings s = settings;
    if (row.sl_threshold_s > 0)
      s.sl_threshold_s = row.sl_threshold_s; /* what the stored counts mean */
    WbKpi kpi;
    wb_kpi_finish(&row.counts, &s, &kpi);
    if (scope.kind != WB_SCOPE_QUEUE) {
      wb_kpi_set_time(&kpi, &row.time, 0);
      kpi.offline_known = FALSE;
    }
    json_builder_begin_object(b);
    wb_kpi_json_time(b, e->tz, "start", start);
    wb_kpi_json_time(b, e->tz, "end", wb_interval_end(e->tz, size, start));
    wb_kpi_json_members(b, &kpi, scope.kind, NULL);
    json_builder_end_object(b);
  }
  g_array_unref(rows.rows);
  json_builder_end_array(b);
  json_builder_end_object(b);
  wb_api_reply_json(out, b);
}

static const char *
series_unit(WbRrdDs ds)
{
  switch (ds) {
  case WB_RRD_LONGEST_WAIT: return "seconds";
  case WB_RRD_SERVICE_LEVEL: return "ratio";
  case WB_RRD_WAITING:
  case WB_RRD_OFFERED:
  case WB_RRD_ANSWERED:
  case WB_RRD_ABANDONED: return "calls";
  default: return "agents";
  }
}

static void
route_series(WbEngine *e, GHashTable *query, WbApiReply *out)
{
  WbScope scope;
  WbRrdDs ds;
  WbRrdSeries series;
  gint64 from, to;
  char scope_text[WB_SCOPE_TEXT_MAX];
  const char *metric = g_hash_table_lookup(query, "metric");
  const char *cf = g_hash_table_lookup(query, "cf");
  const char *res = g_hash_table_lookup(query, "resolution");
  g_autoptr(GError) error = NULL;

  if (e->rrd == NULL) {
    wb_api_reply_error(out, 404, "the RRD archive is switched off ([rrd] enabled = false)");
    return;
  }
  if (!wb_rrd_ds_from_name(metric, &ds)) {
    wb_api_reply_error(out, 400,
                       "metric: expected a data source such as offered, service_level or "
                       "waiting, got '%s'",
                       metric);
    return;
  }
  if (cf == NULL)
    cf = "AVERAGE";
  if (strcmp(cf, "AVERAGE") != 0 && strcmp(cf, "MIN") != 0 && strcmp(cf, "MAX") != 0) {
    wb_api_reply_error(out, 400, "cf: expected AVERAGE, MIN or MAX, got '%s'", cf);
    return;
  }
  gint64 resolution = res != NULL ? g_ascii_strtoll(res, NULL, 10) : 0;
  if (res != NULL && resolution <= 0) {
    wb_api_reply_error(out, 400, "resolution: expected seconds, got '%s'", res);
    return;
  }
  if (!param_scope(query, &scope, out) || !param_window(e, query, &from, &to, out))
    return;
  wb_scope_format(&scope, scope_text, sizeof(scope_text));
  /* Samples waiting to be written belong in the answer. */
  if (!wb_rrd_archive_flush(e->rrd, &error))
    g_clear_error(&error);
  if (!wb_rrd_archive_fetch(e->rrd, scope_text, ds, cf, from / 1000, to / 1000, resolution, &series,
                            &error)) {
    wb_api_reply_error(out, g_error_matches(error, WB_RRD_ERROR, 1) ? 404 : 500, "%s",
                       error->message);
    return;
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  wb_kpi_json_string(b, "metric", wb_rrd_ds_name(ds));
  wb_kpi_json_string(b, "scope", scope_text);
  wb_kpi_json_string(b, "cf", cf);
  wb_kpi_json_string(b, "unit", series_unit(ds));
  wb_kpi_json_int(b, "step_s", series.step_s);
  wb_kpi_json_time(b, e->tz, "from", series.start_s * 1000);
  wb_kpi_json_time(b, e->tz, "to", (series.start_s + series.n * series.step_s) * 1000);
  json_builder_set_member_name(b, "points");
  json_builder_begin_array(b);
  for (guint i = 0; i < series.n; i++) {
    json_builder_begin_array(b);
    json_builder_add_int_value(b, (series.start_s + (gint64)(i + 1) * series.step_s) * 1000);
    if (isnan(series.values[i]))
      json_builder_add_null_value(b);
    else
      json_builder_add_double_value(b, round(series.values[i] * 10000.0) / 10000.0);
    json_builder_end_array(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  wb_rrd_series_clear(&series);
  wb_api_reply_json(out, b);
}

/* Minutes short of the minimum in a window, and the rota's own gaps
 * (engine/workforce/coverage.h). */
static void
route_coverage(WbEngine *e, GHashTable *query, WbApiReply *out)
{
  gint64 from, to;
  g_autoptr(GError) error = NULL;

  if (!param_window(e, query, &from, &to, out))
    return;
  if (to - from > WB_COVERAGE_MAX_DAYS * 86400000LL) {
    wb_api_reply_error(out, 400, "to: at most %d days after from", WB_COVERAGE_MAX_DAYS);
    return;
  }
  commit_first(e);
  g_autoptr(WbCoverage) c =
      wb_coverage_check(e->store, e->cfg, e->tz, from, to, wb_clock_now_ms(&e->clock), &error);
  if (c == NULL) {
    wb_api_reply_error(
        out, g_error_matches(error, WB_COVERAGE_ERROR, WB_COVERAGE_ERROR_WINDOW) ? 400 : 500, "%s",
        error->message);
    return;
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  wb_coverage_json(b, c, e->cfg, e->tz);
  wb_api_reply_json(out, b);
}

static void
route_definitions(WbApiReply *out)
{
  gsize n = 0;
  const WbKpiDefinition *defs = wb_kpi_definitions(&n);
  g_autoptr(JsonBuilder) b = json_builder_new();

  json_builder_begin_object(b);
  json_builder_set_member_name(b, "kpis");
  json_builder_begin_array(b);
  for (gsize i = 0; i < n; i++) {
    json_builder_begin_object(b);
    wb_kpi_json_string(b, "key", defs[i].key);
    wb_kpi_json_string(b, "unit", defs[i].unit);
    wb_kpi_json_string(b, "label_zh", defs[i].label_zh);
    wb_kpi_json_string(b, "label_en", defs[i].label_en);
    wb_kpi_json_string(b, "formula", defs[i].formula);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "states");
  json_builder_begin_array(b);
  for (int s = 0; s < WB_AGENT_STATE_COUNT; s++) {
    json_builder_begin_object(b);
    wb_kpi_json_string(b, "key", wb_agent_state_name((WbAgentState)s));
    wb_kpi_json_string(b, "label_zh", wb_agent_state_label_zh((WbAgentState)s));
    wb_kpi_json_string(b, "label_en", wb_agent_state_label_en((WbAgentState)s));
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  wb_api_reply_json(out, b);
}

static void
add_collector_stats(JsonBuilder *b, WbEngine *e)
{
  json_builder_set_member_name(b, "collectors");
  json_builder_begin_array(b);
  for (guint i = 0; e->collectors != NULL && i < e->collectors->len; i++) {
    WbCollector *c = g_ptr_array_index(e->collectors, i);
    for (guint k = 0; k < c->ops->n_sources(c); k++) {
      WbCollectorStats st;
      c->ops->stats(c, k, &st);
      json_builder_begin_object(b);
      wb_kpi_json_string(b, "kind", c->ops->name);
      wb_kpi_json_string(b, "source", c->ops->source(c, k));
      wb_kpi_json_int(b, "lines", st.lines);
      wb_kpi_json_int(b, "events", st.events);
      wb_kpi_json_int(b, "duplicates", st.duplicates);
      wb_kpi_json_int(b, "quarantined", st.quarantined);
      wb_kpi_json_int(b, "blank", st.blank);
      wb_kpi_json_int(b, "ignored", st.ignored);
      wb_kpi_json_int(b, "unknown", st.unknown);
      wb_kpi_json_int(b, "nul_bytes", st.nul_bytes);
      wb_kpi_json_int(b, "rotations", st.rotations);
      wb_kpi_json_int(b, "truncations", st.truncations);
      /* Only for sources that hold a connection (AMI): a file has none. */
      if (st.connected >= 0) {
        json_builder_set_member_name(b, "connected");
        json_builder_add_boolean_value(b, st.connected > 0);
      }
      json_builder_end_object(b);
    }
  }
  json_builder_end_array(b);
}

/* Why /healthz fails (docs/protocol.md): empty when all is well. */
static void
add_problems(JsonBuilder *b, GPtrArray *problems)
{
  json_builder_set_member_name(b, "problems");
  json_builder_begin_array(b);
  for (guint i = 0; i < problems->len; i++) {
    const WbMetricsProblem *p = g_ptr_array_index(problems, i);
    json_builder_begin_object(b);
    wb_kpi_json_string(b, "check", p->check);
    wb_kpi_json_string(b, "subject", p->subject);
    wb_kpi_json_string(b, "message", p->message);
    if (!isnan(p->silent_s)) {
      wb_kpi_json_number(b, "silent_s", p->silent_s);
      wb_kpi_json_number(b, "limit_s", p->limit_s);
    }
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

static void
route_healthz(WbEngine *e, WbApiReply *out)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  WbStoreStats ss;
  WbBusStats bs;
  WbLiveStats ls;
  g_autoptr(GPtrArray) problems = wb_metrics_problems(e);

  wb_store_stats(e->store, &ss);
  wb_bus_stats(e->bus, &bs);
  wb_live_stats(e->live, &ls);
  json_builder_begin_object(b);
  wb_kpi_json_string(b, "status", problems->len == 0 ? "ok" : "failing");
  add_problems(b, problems);
  wb_kpi_json_string(b, "version", WB_VERSION);
  wb_kpi_json_number(b, "uptime_s", (g_get_monotonic_time() - e->started_us) / 1e6);
  json_builder_set_member_name(b, "demo");
  json_builder_add_boolean_value(b, e->demo);
  add_collector_stats(b, e);
  json_builder_set_member_name(b, "store");
  json_builder_begin_object(b);
  wb_kpi_json_int(b, "commits", ss.commits);
  wb_kpi_json_int(b, "events", ss.events);
  wb_kpi_json_int(b, "duplicates", ss.duplicates);
  wb_kpi_json_int(b, "quarantined", ss.quarantined);
  wb_kpi_json_number(b, "last_commit_ms", ss.last_commit_us / 1000.0);
  wb_kpi_json_int(b, "errors", bs.store_errors);
  wb_kpi_json_int(b, "errors_since_commit", bs.errors_since_commit);
  wb_kpi_json_int(b, "held", bs.held);
  wb_kpi_json_int(b, "dropped", bs.dropped);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "live");
  json_builder_begin_object(b);
  wb_kpi_json_int(b, "applied", ls.applied);
  wb_kpi_json_int(b, "orphans", ls.orphans);
  wb_kpi_json_int(b, "duplicates", ls.duplicates);
  json_builder_end_object(b);
  json_builder_end_object(b);
  wb_api_reply_json(out, b);
  /* A monitor (load balancer, systemd, Prometheus's blackbox) reads the
   * status alone. */
  if (problems->len > 0)
    out->status = 503;
}

static void
route_metrics(WbEngine *e, WbApiReply *out)
{
  out->status = 200;
  out->body = wb_metrics_text(e, wb_clock_now_ms(&e->clock));
  out->body_len = strlen(out->body);
  out->content_type = WB_METRICS_CONTENT_TYPE;
}

static void
route_events(WbEngine *e, const WbApiRequest *req, WbApiReply *out)
{
  g_autofree char *label = wb_auth_ingest_label(e->store, req->token);
  if (label == NULL) {
    wb_api_reply_error(out, 401,
                       "an ingest key is required (Authorization: Bearer KEY; wallboardctl key add "
                       "SOURCE makes one)");
    return;
  }
  if (req->body == NULL || req->body_len == 0) {
    wb_api_reply_error(out, 400, "no events in the body (one JSON object, an array, or NDJSON)");
    return;
  }
  g_autofree char *source = wb_ingest_source_name(label);
  WbIngestResult result;
  wb_ingest_result_init(&result);
  wb_ingest_body(e->ingest, source, "POST /api/v1/events", req->body, req->body_len, &result);
  wb_api_ingest_reply(e, &result, -1, out);
  wb_ingest_result_clear(&result);
}

void
wb_api_ingest_reply(WbEngine *e, const WbIngestResult *result, gint64 seq, WbApiReply *out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new();

  json_builder_begin_object(b);
  if (!wb_bus_flush(e->bus, &error)) {
    g_autofree char *msg = g_strdup_printf(
        "not stored yet, send again (a repeat of an event_id is stored once): %s", error->message);
    if (seq >= 0) {
      wb_kpi_json_string(b, "t", "error");
      wb_kpi_json_int(b, "seq", seq);
    }
    wb_kpi_json_string(b, "error", msg);
    json_builder_end_object(b);
    wb_api_reply_json(out, b);
    out->status = 503;
    return;
  }
  gboolean none = result->accepted + result->duplicates == 0;
  if (seq >= 0) {
    wb_kpi_json_string(b, "t", "result");
    wb_kpi_json_int(b, "seq", seq);
  }
  if (none)
    wb_kpi_json_string(b, "error", "no event accepted");
  wb_kpi_json_int(b, "accepted", result->accepted);
  wb_kpi_json_int(b, "duplicates", result->duplicates);
  json_builder_set_member_name(b, "rejected");
  json_builder_begin_array(b);
  for (guint i = 0; i < result->rejected->len; i++) {
    const WbIngestReject *r = &g_array_index(result->rejected, WbIngestReject, i);
    json_builder_begin_object(b);
    wb_kpi_json_int(b, "line", r->line);
    if (r->event_id != NULL)
      wb_kpi_json_string(b, "event_id", r->event_id);
    wb_kpi_json_string(b, "error", r->error);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  wb_api_reply_json(out, b);
  if (none)
    out->status = 400;
}

/* Staffing now: the forecast, the required agents and who is on duty. */
static void
route_staffing(WbEngine *e, WbApiReply *out)
{
  gint64 now = wb_clock_now_ms(&e->clock);
  g_autoptr(GError) error = NULL;

  commit_first(e);
  g_autoptr(WbLiveView) view = wb_live_view(e->live, now);
  g_autoptr(WbStaffing) s = wb_staffing_compute(e->store, e->cfg, e->tz, view, now, &error);
  if (s == NULL) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  out->status = 200;
  out->body = wb_staffing_json(s, e->cfg, e->tz);
}

/* ---- stability and training (engine/workforce/stability.h, training.h) ---- */

static void
stability_members(JsonBuilder *b, GTimeZone *tz, const WbStabilityResult *r)
{
  wb_kpi_json_time_twin(b, tz, "from", r->from_ms);
  wb_kpi_json_time_twin(b, tz, "to", r->to_ms);
  wb_kpi_json_bool_or_null(b, "complete", TRUE, r->complete);
  wb_kpi_json_int(b, "days", r->days);
  wb_kpi_json_int(b, "headcount_start", r->headcount_start);
  wb_kpi_json_int(b, "headcount_end", r->headcount_end);
  wb_kpi_json_int(b, "hires", r->hires);
  wb_kpi_json_int(b, "leavers", r->leavers);
  wb_kpi_json_int(b, "leavers_from_start", r->leavers_from_start);
  wb_kpi_json_number(b, "stability", r->stability);
  wb_kpi_json_number(b, "target", r->target);
  wb_kpi_json_bool_or_null(b, "meets_target", !isnan(r->stability), r->stability >= r->target);
  wb_kpi_json_number(b, "average_headcount", r->average_headcount);
  wb_kpi_json_number(b, "attrition", r->attrition);
  wb_kpi_json_int(b, "establishment", r->establishment);
  wb_kpi_json_int(b, "vacancy_days", r->vacancy_days);
  wb_kpi_json_int(b, "replaced", r->replaced);
  wb_kpi_json_number(b, "mean_days_to_replace", r->mean_days_to_replace);
  json_builder_set_member_name(b, "leaver_list");
  json_builder_begin_array(b);
  for (guint i = 0; i < r->leaver_list->len; i++) {
    const WbStabilityLeaver *l = g_ptr_array_index(r->leaver_list, i);
    json_builder_begin_object(b);
    wb_kpi_json_string(b, "agent", l->agent);
    wb_kpi_json_string_or_null(b, "name", l->name);
    wb_kpi_json_string_or_null(b, "role", l->role);
    wb_kpi_json_time_twin(b, tz, "left", l->left_ms);
    wb_kpi_json_string_or_null(b, "replaced_by", l->replaced_by);
    if (l->replaced_by != NULL) {
      wb_kpi_json_time_twin(b, tz, "replaced", l->replaced_ms);
      wb_kpi_json_int(b, "days_to_replace", l->days_to_replace);
    } else {
      wb_kpi_json_string_or_null(b, "replaced", NULL);
      wb_kpi_json_string_or_null(b, "replaced_ms", NULL);
      wb_kpi_json_string_or_null(b, "days_to_replace", NULL);
    }
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

/* Stability of a period as one object, named after the period. */
static gboolean
stability_object(WbEngine *e, const WbStabilityPeriod *p, gint64 now, JsonBuilder *b,
                 GError **error)
{
  WbStabilityResult r;
  if (!wb_stability_compute(e->store, e->tz, wb_stability_period_start_ms(e->tz, p),
                            wb_stability_period_end_ms(e->tz, p), now,
                            e->cfg->stability_establishment, e->cfg->stability_target, &r, error))
    return FALSE;
  g_autofree char *name = wb_stability_period_format(p);
  json_builder_begin_object(b);
  wb_kpi_json_string(b, "period", name);
  stability_members(b, e->tz, &r);
  json_builder_end_object(b);
  wb_stability_result_clear(&r);
  return TRUE;
}

static void
on_post_roles(JsonBuilder *b, const WbOnPost *p)
{
  wb_kpi_json_int(b, "headcount", p->headcount);
  wb_kpi_json_int(b, "person_days", p->person_days);
  json_builder_set_member_name(b, "roles");
  json_builder_begin_array(b);
  for (guint i = 0; i < p->roles->len; i++) {
    const WbOnPostRole *r = g_ptr_array_index(p->roles, i);
    json_builder_begin_object(b);
    wb_kpi_json_string_or_null(b, "role", r->role);
    wb_kpi_json_int(b, "headcount", r->headcount);
    wb_kpi_json_int(b, "person_days", r->person_days);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

/* The billing basis: each month of the period, then the period's total
 * (distinct persons over the whole period, person-days summed). */
static gboolean
on_post_object(WbEngine *e, const WbStabilityPeriod *p, gint64 now, JsonBuilder *b, GError **error)
{
  gint64 from = wb_stability_period_start_ms(e->tz, p);
  gint64 to = wb_stability_period_end_ms(e->tz, p);
  WbOnPost total;

  json_builder_begin_object(b);
  json_builder_set_member_name(b, "months");
  json_builder_begin_array(b);
  for (gint64 start = from; start < to;) {
    WbStabilityPeriod m = wb_stability_period_of(e->tz, WB_STABILITY_MONTH, start);
    gint64 end = wb_stability_period_end_ms(e->tz, &m);
    WbOnPost month;
    if (!wb_stability_on_post(e->store, e->tz, start, end, now, &month, error))
      return FALSE;
    g_autofree char *name = wb_stability_period_format(&m);
    json_builder_begin_object(b);
    wb_kpi_json_string(b, "month", name);
    wb_kpi_json_time_twin(b, e->tz, "from", start);
    wb_kpi_json_time_twin(b, e->tz, "to", end);
    wb_kpi_json_bool_or_null(b, "complete", TRUE, end <= now);
    on_post_roles(b, &month);
    json_builder_set_member_name(b, "people");
    json_builder_begin_array(b);
    for (guint i = 0; i < month.people->len; i++) {
      const WbOnPostPerson *x = g_ptr_array_index(month.people, i);
      json_builder_begin_object(b);
      wb_kpi_json_string(b, "agent", x->agent);
      wb_kpi_json_string_or_null(b, "name", x->name);
      wb_kpi_json_string_or_null(b, "role", x->role);
      wb_kpi_json_int(b, "days", x->days);
      json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    wb_stability_on_post_clear(&month);
    start = end;
  }
  json_builder_end_array(b);
  if (!wb_stability_on_post(e->store, e->tz, from, to, now, &total, error))
    return FALSE;
  json_builder_set_member_name(b, "total");
  json_builder_begin_object(b);
  on_post_roles(b, &total);
  json_builder_end_object(b);
  wb_stability_on_post_clear(&total);
  json_builder_end_object(b);
  return TRUE;
}

static void
route_stability(WbEngine *e, GHashTable *query, WbApiReply *out)
{
  gint64 now = wb_clock_now_ms(&e->clock);
  const char *text = g_hash_table_lookup(query, "period");
  WbStabilityPeriod p = wb_stability_period_of(e->tz, WB_STABILITY_MONTH, now);
  static const char *const kinds[] = {"month", "quarter", "year"};
  g_autoptr(GError) error = NULL;

  if (text != NULL && *text != '\0' && !wb_stability_period_parse(text, &p)) {
    wb_api_reply_error(out, 400, "period: expected YYYY-MM, YYYY-Qn or YYYY, got '%s'", text);
    return;
  }
  commit_first(e);
  WbStabilityResult r;
  gint64 from = wb_stability_period_start_ms(e->tz, &p);
  gint64 to = wb_stability_period_end_ms(e->tz, &p);
  if (!wb_stability_compute(e->store, e->tz, from, to, now, e->cfg->stability_establishment,
                            e->cfg->stability_target, &r, &error)) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  g_autofree char *name = wb_stability_period_format(&p);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  wb_kpi_json_string(b, "period", name);
  wb_kpi_json_string(b, "kind", kinds[p.kind]);
  stability_members(b, e->tz, &r);
  wb_stability_result_clear(&r);
  json_builder_set_member_name(b, "on_post");
  gboolean ok = on_post_object(e, &p, now, b, &error);
  /* The month, quarter and year that hold the period's last day (today,
   * if sooner), each to date. */
  gint64 ref = MIN(to - 1, now);
  json_builder_set_member_name(b, "to_date");
  json_builder_begin_object(b);
  for (gsize k = 0; ok && k < G_N_ELEMENTS(kinds); k++) {
    WbStabilityPeriod q = wb_stability_period_of(e->tz, (WbStabilityKind)k, ref);
    json_builder_set_member_name(b, kinds[k]);
    ok = stability_object(e, &q, now, b, &error);
  }
  if (!ok) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  json_builder_end_object(b);
  json_builder_end_object(b);
  wb_api_reply_json(out, b);
}

static void
training_person(JsonBuilder *b, GTimeZone *tz, const WbTrainingPerson *x)
{
  json_builder_begin_object(b);
  wb_kpi_json_string(b, "agent", x->agent);
  wb_kpi_json_string_or_null(b, "name", x->name);
  wb_kpi_json_string_or_null(b, "role", x->role);
  if (x->has_first_call) {
    wb_kpi_json_time_twin(b, tz, "first_call", x->first_call_ms);
  } else {
    wb_kpi_json_string_or_null(b, "first_call", NULL);
    wb_kpi_json_string_or_null(b, "first_call_ms", NULL);
  }
  json_builder_set_member_name(b, "induction");
  json_builder_begin_object(b);
  wb_kpi_json_int(b, "classroom_days", x->classroom_days);
  wb_kpi_json_int(b, "hands_on_days", x->hands_on_days);
  wb_kpi_json_int(b, "field_days", x->field_days);
  wb_kpi_json_int(b, "days", x->induction_days);
  wb_kpi_json_bool_or_null(b, "compliant", x->has_first_call, x->induction_ok);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "in_service");
  json_builder_begin_object(b);
  wb_kpi_json_int(b, "count", x->in_service);
  wb_kpi_json_bool_or_null(b, "compliant", x->whole_month, x->in_service_ok);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "exam");
  json_builder_begin_object(b);
  wb_kpi_json_int(b, "count", x->exams);
  wb_kpi_json_number(b, "score", x->exam_score);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "safety");
  json_builder_begin_object(b);
  wb_kpi_json_int(b, "count", x->safety);
  wb_kpi_json_bool_or_null(b, "compliant", TRUE, x->safety_ok);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "entry_exam");
  json_builder_begin_object(b);
  wb_kpi_json_int(b, "areas_passed", x->entry_areas_passed);
  wb_kpi_json_bool_or_null(b, "compliant", x->has_first_call, x->entry_exam_ok);
  json_builder_end_object(b);
  wb_kpi_json_bool_or_null(b, "compliant", TRUE, x->compliant);
  json_builder_end_object(b);
}

static void
route_training(WbEngine *e, GHashTable *query, WbApiReply *out)
{
  gint64 now = wb_clock_now_ms(&e->clock);
  const char *text = g_hash_table_lookup(query, "month");
  WbStabilityPeriod p = wb_stability_period_of(e->tz, WB_STABILITY_MONTH, now);
  WbTrainingRules rules;
  WbTrainingMonth m;
  g_autoptr(GError) error = NULL;

  if (text != NULL && *text != '\0' &&
      (!wb_stability_period_parse(text, &p) || p.kind != WB_STABILITY_MONTH)) {
    wb_api_reply_error(out, 400, "month: expected YYYY-MM, got '%s'", text);
    return;
  }
  commit_first(e);
  wb_training_rules_from_config(e->cfg, &rules);
  gint64 from = wb_stability_period_start_ms(e->tz, &p);
  gint64 to = wb_stability_period_end_ms(e->tz, &p);
  if (!wb_training_month(e->store, e->tz, &rules, from, to, now, &m, &error)) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  g_autofree char *name = wb_stability_period_format(&p);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  wb_kpi_json_string(b, "month", name);
  wb_kpi_json_time_twin(b, e->tz, "from", from);
  wb_kpi_json_time_twin(b, e->tz, "to", to);
  json_builder_set_member_name(b, "rules");
  json_builder_begin_object(b);
  wb_kpi_json_int(b, "induction_days", rules.induction_days);
  wb_kpi_json_int(b, "induction_classroom_days", rules.classroom_days);
  wb_kpi_json_int(b, "induction_hands_on_days", rules.hands_on_days);
  wb_kpi_json_int(b, "induction_field_days", rules.field_days);
  wb_kpi_json_int(b, "in_service_per_month", rules.in_service_per_month);
  wb_kpi_json_int(b, "safety_per_year", rules.safety_per_year);
  wb_kpi_json_int(b, "entry_exam_areas", rules.entry_exam_areas);
  wb_kpi_json_number(b, "exam_pass_score", rules.exam_pass_score);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "people");
  json_builder_begin_array(b);
  for (guint i = 0; i < m.people->len; i++)
    training_person(b, e->tz, g_ptr_array_index(m.people, i));
  json_builder_end_array(b);
  json_builder_set_member_name(b, "non_compliant");
  json_builder_begin_object(b);
  wb_kpi_json_int(b, "induction", m.short_induction);
  wb_kpi_json_int(b, "in_service", m.short_in_service);
  wb_kpi_json_int(b, "safety", m.short_safety);
  wb_kpi_json_int(b, "entry_exam", m.short_entry_exam);
  wb_kpi_json_int(b, "any", m.any);
  json_builder_end_object(b);
  json_builder_end_object(b);
  wb_training_month_clear(&m);
  wb_api_reply_json(out, b);
}

/* What a route needs: nothing; any reader's token or session (display
 * and up); a supervisor, manager or admin (people's records); an auditor
 * or admin (the audit trail); an admin (accounts); an ingest key. By token
 * or by session alike (DESIGN.md section 10, docs/security.md). */
typedef enum { OPEN, DISPLAY, SUPERVISOR, MANAGER, AUDIT, ADMIN, INGEST } Need;

static const char *const need_names[] = {"open",  "display", "supervisor", "manager",
                                         "audit", "admin",   "ingest"};

typedef enum {
  ROUTE_HEALTHZ,
  ROUTE_METRICS,
  ROUTE_DEFINITIONS,
  ROUTE_LIVE,
  ROUTE_KPI,
  ROUTE_INTERVALS,
  ROUTE_AGENTS,
  ROUTE_SERIES,
  ROUTE_EVENTS,
  ROUTE_STABILITY,
  ROUTE_TRAINING,
  ROUTE_STAFFING,
  ROUTE_COVERAGE,
  ROUTE_ROSTER,
  ROUTE_ATTENDANCE,
  ROUTE_HOLIDAYS,
  ROUTE_NOTES,
  ROUTE_NOTES_ADD,
  ROUTE_NOTE_CLOSE,
  ROUTE_LOGIN,
  ROUTE_LOGOUT,
  ROUTE_ME,
  ROUTE_AUDIT,
  ROUTE_USERS,
  ROUTE_ROUTES,
  ROUTE_ALERTS,
  ROUTE_ALERT_ACK,
  ROUTE_REPORTS,
  ROUTE_REPORTS_RUN,
  ROUTE_REPORT_FILE,
  ROUTE_REPORT_TEXT,
  ROUTE_REPORT_TEXT_SET,
} RouteId;

static const struct {
  const char *path;
  Need need;
  gboolean post; /* takes POST, else GET and HEAD */
} routes[] = {
    [ROUTE_HEALTHZ] = {"/healthz", OPEN, FALSE},
    [ROUTE_METRICS] = {"/metrics", OPEN, FALSE},
    [ROUTE_DEFINITIONS] = {"/api/v1/definitions", OPEN, FALSE},
    [ROUTE_LIVE] = {"/api/v1/live", DISPLAY, FALSE},
    [ROUTE_KPI] = {"/api/v1/kpi", DISPLAY, FALSE},
    [ROUTE_INTERVALS] = {"/api/v1/intervals", DISPLAY, FALSE},
    [ROUTE_AGENTS] = {"/api/v1/agents", DISPLAY, FALSE},
    [ROUTE_SERIES] = {"/api/v1/series", DISPLAY, FALSE},
    [ROUTE_EVENTS] = {"/api/v1/events", INGEST, TRUE},
    [ROUTE_STABILITY] = {"/api/v1/stability", SUPERVISOR, FALSE},
    [ROUTE_TRAINING] = {"/api/v1/training", SUPERVISOR, FALSE},
    [ROUTE_STAFFING] = {"/api/v1/staffing", DISPLAY, FALSE},
    [ROUTE_COVERAGE] = {"/api/v1/coverage", SUPERVISOR, FALSE},
    [ROUTE_ROSTER] = {"/api/v1/roster", SUPERVISOR, FALSE},
    [ROUTE_ATTENDANCE] = {"/api/v1/attendance", SUPERVISOR, FALSE},
    [ROUTE_HOLIDAYS] = {"/api/v1/holidays", DISPLAY, FALSE},
    [ROUTE_NOTES] = {"/api/v1/notes", SUPERVISOR, FALSE},
    [ROUTE_NOTES_ADD] = {"/api/v1/notes", SUPERVISOR, TRUE},
    [ROUTE_NOTE_CLOSE] = {"/api/v1/notes/*/close", SUPERVISOR, TRUE},
    [ROUTE_LOGIN] = {"/api/v1/auth/login", OPEN, TRUE},
    [ROUTE_LOGOUT] = {"/api/v1/auth/logout", OPEN, TRUE},
    [ROUTE_ME] = {"/api/v1/auth/me", DISPLAY, FALSE},
    [ROUTE_AUDIT] = {"/api/v1/audit", AUDIT, FALSE},
    [ROUTE_USERS] = {"/api/v1/users", ADMIN, FALSE},
    [ROUTE_ROUTES] = {"/api/v1/routes", OPEN, FALSE},
    [ROUTE_ALERTS] = {"/api/v1/alerts", SUPERVISOR, FALSE},
    [ROUTE_ALERT_ACK] = {"/api/v1/alerts/*/ack", SUPERVISOR, TRUE},
    [ROUTE_REPORTS] = {"/api/v1/reports", MANAGER, FALSE},
    [ROUTE_REPORTS_RUN] = {"/api/v1/reports", MANAGER, TRUE},
    [ROUTE_REPORT_FILE] = {"/api/v1/reports/files/*/*", MANAGER, FALSE},
    [ROUTE_REPORT_TEXT] = {"/api/v1/reports/text", MANAGER, FALSE},
    [ROUTE_REPORT_TEXT_SET] = {"/api/v1/reports/text", MANAGER, TRUE},
};

/* Every route with its method and what it needs: the access table that
 * tests hold against theirs, so a new route cannot go unchecked. */
static void
route_routes(WbApiReply *out)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "routes");
  json_builder_begin_array(b);
  for (gsize i = 0; i < G_N_ELEMENTS(routes); i++) {
    json_builder_begin_object(b);
    wb_kpi_json_string(b, "path", routes[i].path);
    wb_kpi_json_string(b, "method", routes[i].post ? "POST" : "GET");
    wb_kpi_json_string(b, "need", need_names[routes[i].need]);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  wb_api_reply_json(out, b);
}

/* Whether role may use a route that needs need (need not OPEN, INGEST). */
static gboolean
role_meets(WbRole role, Need need)
{
  switch (need) {
  case SUPERVISOR: return wb_users_role_supervises(role);
  case MANAGER: return role == WB_ROLE_MANAGER || role == WB_ROLE_ADMIN;
  case AUDIT: return wb_users_role_audits(role);
  case ADMIN: return role == WB_ROLE_ADMIN;
  default: return role != WB_ROLE_NONE;
  }
}

/* path against a route's: equal, or with one trailing '/'; a '*' segment
 * of the route's stands for any one non-empty segment (an id). */
static gboolean
path_matches(const char *route, const char *path)
{
  while (*route != '\0') {
    if (*route == '*') {
      const char *end = path;
      while (*end != '\0' && *end != '/')
        end++;
      if (end == path)
        return FALSE;
      path = end;
      route++;
    } else if (*route++ != *path++) {
      return FALSE;
    }
  }
  return *path == '\0' || strcmp(path, "/") == 0;
}

static gboolean
method_allowed(gsize route, const char *method)
{
  return routes[route].post ? strcmp(method, "POST") == 0
                            : strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

void
wb_api_handle(WbEngine *e, const WbApiRequest *req, WbApiReply *out)
{
  gssize found = -1;
  const char *method = req->method;
  const char *path = req->path;
  GHashTable *query = req->query;

  memset(out, 0, sizeof(*out));
  /* A path may have a GET and a POST route: the one taking the method. */
  for (gsize i = 0; i < G_N_ELEMENTS(routes); i++)
    if (path_matches(routes[i].path, path) && (found < 0 || method_allowed(i, method)))
      found = (gssize)i;
  if (found < 0) {
    wb_api_reply_error(out, 404, "no such resource: %s", path);
    return;
  }
  if (!method_allowed(found, method)) {
    gboolean get = FALSE, post = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(routes); i++)
      if (strcmp(routes[i].path, routes[found].path) == 0)
        *(routes[i].post ? &post : &get) = TRUE;
    wb_api_reply_error(out, 405, "%s takes %s, not %s", routes[found].path,
                       get && post ? "GET or POST"
                       : post      ? "POST"
                                   : "GET",
                       method);
    return;
  }
  /* Who asks, by token or session cookie; routes that act in someone's
   * name take &caller (caller.user is NULL for a token). */
  WbApiCaller caller = {WB_ROLE_NONE, NULL};
  g_autofree char *user = NULL;
  Need need = routes[found].need;
  if (need != OPEN && need != INGEST) {
    WbUsersPolicy policy;
    wb_users_policy_from_config(e->cfg, &policy);
    caller.role = wb_users_caller(e->store, &policy, req->token, req->session,
                                  g_get_real_time() / 1000, &user);
    caller.user = user;
    if (caller.role == WB_ROLE_NONE) {
      wb_api_reply_error(out, 401,
                         "a token (Authorization: Bearer TOKEN) or a login session is required");
      return;
    }
    if (!role_meets(caller.role, need)) {
      wb_api_reply_error(out, 403, "%s needs %s, not %s", routes[found].path,
                         need == SUPERVISOR ? "a supervisor, manager or admin"
                         : need == MANAGER  ? "a manager or admin"
                         : need == AUDIT    ? "an auditor or admin"
                         : need == ADMIN    ? "an admin"
                                            : "a display token",
                         wb_auth_role_name(caller.role));
      return;
    }
  }
  switch ((RouteId)found) {
  case ROUTE_HEALTHZ: route_healthz(e, out); break;
  case ROUTE_METRICS: route_metrics(e, out); break;
  case ROUTE_DEFINITIONS: route_definitions(out); break;
  case ROUTE_LIVE: route_live(e, out); break;
  case ROUTE_KPI: route_kpi(e, query, out); break;
  case ROUTE_INTERVALS: route_intervals(e, query, out); break;
  case ROUTE_AGENTS: route_agents(e, query, out); break;
  case ROUTE_SERIES: route_series(e, query, out); break;
  case ROUTE_EVENTS: route_events(e, req, out); break;
  case ROUTE_STABILITY: route_stability(e, query, out); break;
  case ROUTE_TRAINING: route_training(e, query, out); break;
  case ROUTE_STAFFING: route_staffing(e, out); break;
  case ROUTE_COVERAGE: route_coverage(e, query, out); break;
  case ROUTE_ROSTER: wb_api_roster(e, query, out); break;
  case ROUTE_ATTENDANCE: wb_api_attendance(e, query, out); break;
  case ROUTE_HOLIDAYS: wb_api_holidays(e, query, out); break;
  case ROUTE_NOTES: wb_api_notes_list(e, query, out); break;
  case ROUTE_NOTES_ADD: wb_api_notes_add(e, req, &caller, out); break;
  case ROUTE_NOTE_CLOSE: wb_api_notes_close(e, req, &caller, out); break;
  case ROUTE_LOGIN: wb_api_login(e, req, out); break;
  case ROUTE_LOGOUT: wb_api_logout(e, req, out); break;
  case ROUTE_ME: wb_api_me(e, &caller, out); break;
  case ROUTE_AUDIT: wb_api_audit(e, query, out); break;
  case ROUTE_USERS: wb_api_users(e, out); break;
  case ROUTE_ROUTES: route_routes(out); break;
  case ROUTE_ALERTS: wb_api_alerts_list(e, query, out); break;
  case ROUTE_ALERT_ACK: wb_api_alerts_ack(e, req, &caller, out); break;
  case ROUTE_REPORTS: wb_api_reports_list(e, out); break;
  case ROUTE_REPORTS_RUN: wb_api_reports_run(e, req, &caller, out); break;
  case ROUTE_REPORT_FILE: wb_api_reports_file(e, req, &caller, out); break;
  case ROUTE_REPORT_TEXT: wb_api_reports_text(e, query, out); break;
  case ROUTE_REPORT_TEXT_SET: wb_api_reports_text_set(e, req, &caller, out); break;
  }
}
