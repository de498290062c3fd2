/* api.c: REST routes under /api/v1/ and /healthz. */
#define G_LOG_DOMAIN "api"

#include "engine/api.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "engine/auth.h"
#include "wb-build-config.h"

void
wb_api_reply_clear(WbApiReply *reply)
{
  g_clear_pointer(&reply->body, g_free);
  reply->status = 0;
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

static char *
builder_to_string(JsonBuilder *b)
{
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, root);
  return json_generator_to_data(gen, NULL);
}

static void reply_error(WbApiReply *out, guint status, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void
reply_error(WbApiReply *out, guint status, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);

  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "error");
  /* Parameters echo user input: keep the reply valid UTF-8 whatever came. */
  g_autofree char *valid = g_utf8_make_valid(msg, -1);
  json_builder_add_string_value(b, valid);
  json_builder_end_object(b);
  out->status = status;
  out->body = builder_to_string(b);
}

static void
add_number(JsonBuilder *b, const char *name, gdouble v)
{
  json_builder_set_member_name(b, name);
  if (isnan(v)) {
    json_builder_add_null_value(b);
  } else {
    /* Four decimals are more than any wallboard or report shows, and keep
     * frames short and stable. */
    json_builder_add_double_value(b, round(v * 10000.0) / 10000.0);
  }
}

static void
add_int(JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, v);
}

static void
add_string(JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name(b, name);
  json_builder_add_string_value(b, v != NULL ? v : "");
}

static void
add_time(JsonBuilder *b, WbEngine *e, const char *name, gint64 ms)
{
  g_autofree char *text = wb_time_format(e->tz, ms);
  add_string(b, name, text);
}

/* The members of a KPI object (docs/protocol.md), into an open object. */
static void
add_kpi_members(JsonBuilder *b, const WbKpi *k)
{
  add_int(b, "offered", k->counts.offered);
  add_int(b, "answered", k->counts.answered);
  add_int(b, "abandoned", k->counts.abandoned);
  add_int(b, "short_abandons", k->counts.short_abandons);
  add_int(b, "lost", k->counts.lost);
  add_int(b, "handled", k->counts.handled);
  add_number(b, "answer_rate", k->answer_rate);
  json_builder_set_member_name(b, "service_level");
  json_builder_begin_object(b);
  add_number(b, "value", k->service_level);
  add_int(b, "threshold_s", k->settings.sl_threshold_s);
  add_string(b, "variant", wb_sl_variant_name(k->settings.sl_variant));
  json_builder_set_member_name(b, "excludes_short_abandons");
  json_builder_add_boolean_value(b, k->settings.sl_exclude_short_abandons);
  json_builder_end_object(b);
  add_number(b, "asa_s", k->asa_s);
  add_number(b, "aht_s", k->aht_s);
  add_number(b, "avg_abandon_wait_s", k->avg_abandon_wait_s);
}

static void
add_queue_view(JsonBuilder *b, WbEngine *e, const WbLiveView *v, const WbQueueView *q,
               const char *scope)
{
  json_builder_begin_object(b);
  add_string(b, "scope", scope);
  if (q->queue[0] != '\0')
    add_string(b, "queue", q->queue);
  add_string(b, "name", q->name);
  add_time(b, e, "from", v->from_ms);
  add_time(b, e, "to", v->to_ms);
  add_kpi_members(b, &q->kpi);
  add_int(b, "waiting", q->waiting);
  add_number(b, "longest_wait_s", q->longest_wait_s);
  json_builder_end_object(b);
}

static void
add_agents(JsonBuilder *b, WbEngine *e, const WbLiveView *v)
{
  json_builder_set_member_name(b, "agents");
  json_builder_begin_array(b);
  for (guint i = 0; i < v->agents->len; i++) {
    const WbAgentView *a = &g_array_index(v->agents, WbAgentView, i);
    json_builder_begin_object(b);
    add_string(b, "agent", a->agent);
    add_string(b, "name", a->name);
    add_string(b, "state", wb_agent_state_name(a->state));
    add_string(b, "reason", a->reason);
    if (a->since_ms > 0) {
      add_time(b, e, "since", a->since_ms);
      add_int(b, "since_ms", a->since_ms);
    } else {
      json_builder_set_member_name(b, "since");
      json_builder_add_null_value(b);
      json_builder_set_member_name(b, "since_ms");
      json_builder_add_null_value(b);
    }
    add_int(b, "calls", a->calls);
    add_number(b, "aht_s", a->aht_s);
    json_builder_set_member_name(b, "queues");
    json_builder_begin_array(b);
    for (guint k = 0; k < a->queues->len; k++)
      json_builder_add_string_value(b, g_ptr_array_index(a->queues, k));
    json_builder_end_array(b);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

static void
add_live_header(JsonBuilder *b, WbEngine *e, const WbLiveView *v)
{
  add_time(b, e, "ts", v->now_ms);
  add_int(b, "ts_ms", v->now_ms);
  json_builder_set_member_name(b, "demo");
  json_builder_add_boolean_value(b, e->demo);
  add_number(b, "clock_rate", e->clock.rate > 0 ? e->clock.rate : 1.0);
}

char *
wb_api_live_json(WbEngine *e, const WbLiveView *v, WbApiLivePart part)
{
  g_autoptr(JsonBuilder) b = json_builder_new();

  json_builder_begin_object(b);
  add_live_header(b, e, v);
  if (part != WB_API_LIVE_AGENTS) {
    g_autofree char *day = wb_day_format(e->tz, v->now_ms);
    add_string(b, "day", day);
    add_string(b, "timezone", e->cfg->timezone);
    json_builder_set_member_name(b, "targets");
    json_builder_begin_object(b);
    add_number(b, "answer_rate", e->cfg->target_answer_rate);
    add_number(b, "service_level", e->cfg->target_service_level);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "state_bands_s");
    json_builder_begin_array(b);
    for (char **s = e->cfg->state_bands_s; s != NULL && *s != NULL; s++)
      json_builder_add_int_value(b, g_ascii_strtoll(*s, NULL, 10));
    json_builder_end_array(b);
    json_builder_set_member_name(b, "total");
    add_queue_view(b, e, v, &v->total, "total");
    json_builder_set_member_name(b, "queues");
    json_builder_begin_array(b);
    for (guint i = 0; i < v->queues->len; i++) {
      const WbQueueView *q = &g_array_index(v->queues, WbQueueView, i);
      g_autofree char *scope = g_strconcat("queue:", q->queue, NULL);
      add_queue_view(b, e, v, q, scope);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "agents_by_state");
    json_builder_begin_object(b);
    for (int s = 0; s < WB_AGENT_STATE_COUNT; s++)
      add_int(b, wb_agent_state_name((WbAgentState)s), v->agents_by_state[s]);
    json_builder_end_object(b);
  }
  if (part != WB_API_LIVE_WALLBOARD)
    add_agents(b, e, v);
  json_builder_end_object(b);
  return builder_to_string(b);
}

static void
route_live(WbEngine *e, WbApiReply *out)
{
  g_autoptr(WbLiveView) v = wb_live_view(e->live, wb_clock_now_ms(&e->clock));
  out->status = 200;
  out->body = wb_api_live_json(e, v, WB_API_LIVE_ALL);
}

static gboolean
param_time(WbEngine *e, GHashTable *query, const char *name, gint64 def, gint64 *out,
           WbApiReply *reply)
{
  const char *text = g_hash_table_lookup(query, name);
  if (text == NULL || *text == '\0') {
    *out = def;
    return TRUE;
  }
  if (!wb_time_parse(e->tz, text, out)) {
    reply_error(reply, 400, "%s: not an ISO-8601 date-time or epoch milliseconds: '%s'", name,
                text);
    return FALSE;
  }
  return TRUE;
}

typedef struct {
  WbKpiScope scope;
} KpiQuery;

static void
kpi_query_add(const WbCallRecord *entries, guint n, gpointer user_data)
{
  KpiQuery *q = user_data;
  wb_kpi_scope_add_call(&q->scope, entries, n);
}

static void
route_kpi(WbEngine *e, GHashTable *query, WbApiReply *out)
{
  gint64 now = wb_clock_now_ms(&e->clock);
  gint64 from, to;
  const char *scope = g_hash_table_lookup(query, "scope");
  const char *queue = NULL;
  g_autoptr(GError) error = NULL;

  if (scope == NULL || *scope == '\0')
    scope = "total";
  if (g_str_has_prefix(scope, "queue:") && scope[6] != '\0') {
    queue = scope + 6;
  } else if (strcmp(scope, "total") != 0) {
    reply_error(out, 400, "scope: expected total or queue:NAME, got '%s'", scope);
    return;
  }
  if (!param_time(e, query, "from", wb_day_start_ms(e->tz, now), &from, out) ||
      !param_time(e, query, "to", wb_day_end_ms(e->tz, now), &to, out))
    return;
  if (from >= to) {
    reply_error(out, 400, "from must be earlier than to");
    return;
  }

  /* What has been ingested is committed before it is counted, so the
   * answer covers everything the wallboard has shown. A failed commit is
   * logged by the bus; the query then answers from what is committed. */
  if (!wb_bus_flush(e->bus, &error))
    g_clear_error(&error);

  WbKpiSettings settings = queue != NULL ? wb_config_kpi_for_queue(e->cfg, queue) : e->cfg->kpi;
  KpiQuery q;
  wb_kpi_scope_init(&q.scope, queue, from, to, &settings);
  if (!wb_store_foreach_call(e->store, from, to, kpi_query_add, &q, &error)) {
    reply_error(out, 500, "%s", error->message);
    return;
  }
  WbKpi kpi;
  wb_kpi_finish(&q.scope.counts, &settings, &kpi);

  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  add_string(b, "scope", scope);
  add_string(b, "name", queue != NULL ? wb_config_queue_name(e->cfg, queue) : "全部队列");
  add_time(b, e, "from", from);
  add_time(b, e, "to", to);
  add_kpi_members(b, &kpi);
  json_builder_end_object(b);
  out->status = 200;
  out->body = builder_to_string(b);
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
    add_string(b, "key", defs[i].key);
    add_string(b, "unit", defs[i].unit);
    add_string(b, "label_zh", defs[i].label_zh);
    add_string(b, "label_en", defs[i].label_en);
    add_string(b, "formula", defs[i].formula);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "states");
  json_builder_begin_array(b);
  for (int s = 0; s < WB_AGENT_STATE_COUNT; s++) {
    json_builder_begin_object(b);
    add_string(b, "key", wb_agent_state_name((WbAgentState)s));
    add_string(b, "label_zh", wb_agent_state_label_zh((WbAgentState)s));
    add_string(b, "label_en", wb_agent_state_label_en((WbAgentState)s));
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  out->status = 200;
  out->body = builder_to_string(b);
}

static void
route_healthz(WbEngine *e, WbApiReply *out)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  WbStoreStats ss;
  WbBusStats bs;
  WbLiveStats ls;

  wb_store_stats(e->store, &ss);
  wb_bus_stats(e->bus, &bs);
  wb_live_stats(e->live, &ls);
  json_builder_begin_object(b);
  add_string(b, "status", "ok");
  add_string(b, "version", WB_VERSION);
  add_number(b, "uptime_s", (g_get_monotonic_time() - e->started_us) / 1e6);
  json_builder_set_member_name(b, "demo");
  json_builder_add_boolean_value(b, e->demo);
  json_builder_set_member_name(b, "collectors");
  json_builder_begin_array(b);
  for (guint i = 0; e->collectors != NULL && i < e->collectors->len; i++) {
    WbCollector *c = g_ptr_array_index(e->collectors, i);
    for (guint k = 0; k < c->ops->n_sources(c); k++) {
      WbCollectorStats st;
      c->ops->stats(c, k, &st);
      json_builder_begin_object(b);
      add_string(b, "kind", c->ops->name);
      add_string(b, "source", c->ops->source(c, k));
      add_int(b, "lines", st.lines);
      add_int(b, "events", st.events);
      add_int(b, "duplicates", st.duplicates);
      add_int(b, "quarantined", st.quarantined);
      add_int(b, "blank", st.blank);
      add_int(b, "ignored", st.ignored);
      add_int(b, "unknown", st.unknown);
      add_int(b, "nul_bytes", st.nul_bytes);
      add_int(b, "rotations", st.rotations);
      add_int(b, "truncations", st.truncations);
      json_builder_end_object(b);
    }
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "store");
  json_builder_begin_object(b);
  add_int(b, "commits", ss.commits);
  add_int(b, "events", ss.events);
  add_int(b, "duplicates", ss.duplicates);
  add_int(b, "quarantined", ss.quarantined);
  add_number(b, "last_commit_ms", ss.last_commit_us / 1000.0);
  add_int(b, "errors", bs.store_errors);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "live");
  json_builder_begin_object(b);
  add_int(b, "applied", ls.applied);
  add_int(b, "orphans", ls.orphans);
  add_int(b, "duplicates", ls.duplicates);
  json_builder_end_object(b);
  json_builder_end_object(b);
  out->status = 200;
  out->body = builder_to_string(b);
}

void
wb_api_handle(WbEngine *e, const char *method, const char *path, GHashTable *query,
              const char *token, WbApiReply *out)
{
  typedef enum { OPEN, DISPLAY } Need;
  static const struct {
    const char *path;
    Need need;
  } routes[] = {
      {"/healthz", OPEN},
      {"/api/v1/definitions", OPEN},
      {"/api/v1/live", DISPLAY},
      {"/api/v1/kpi", DISPLAY},
  };
  gssize found = -1;

  out->status = 0;
  out->body = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS(routes); i++) {
    gsize n = strlen(routes[i].path);
    if (strncmp(path, routes[i].path, n) == 0 && (path[n] == '\0' || strcmp(path + n, "/") == 0))
      found = (gssize)i;
  }
  if (found < 0) {
    reply_error(out, 404, "no such resource: %s", path);
    return;
  }
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    reply_error(out, 405, "%s takes GET, not %s", routes[found].path, method);
    return;
  }
  if (routes[found].need == DISPLAY && wb_auth_role(e->store, token) == WB_ROLE_NONE) {
    reply_error(out, 401, "a display token is required (Authorization: Bearer TOKEN)");
    return;
  }
  switch (found) {
  case 0: route_healthz(e, out); break;
  case 1: route_definitions(out); break;
  case 2: route_live(e, out); break;
  default: route_kpi(e, query, out); break;
  }
}
