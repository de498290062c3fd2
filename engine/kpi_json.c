/* kpi_json.c: the KPI object's JSON shape. */
#define G_LOG_DOMAIN "kpi"

#include "engine/kpi_json.h"

#include <math.h>

#include "engine/clock.h"

void
wb_kpi_json_number(JsonBuilder *b, const char *name, gdouble v)
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

void
wb_kpi_json_int(JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, v);
}

void
wb_kpi_json_string(JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name(b, name);
  json_builder_add_string_value(b, v != NULL ? v : "");
}

void
wb_kpi_json_time(JsonBuilder *b, GTimeZone *tz, const char *name, gint64 ms)
{
  g_autofree char *text = wb_time_format(tz, ms);
  wb_kpi_json_string(b, name, text);
}

void
wb_kpi_json_time_twin(JsonBuilder *b, GTimeZone *tz, const char *name, gint64 ms)
{
  g_autofree char *twin = g_strconcat(name, "_ms", NULL);
  if (ms < 0) {
    json_builder_set_member_name(b, name);
    json_builder_add_null_value(b);
    json_builder_set_member_name(b, twin);
    json_builder_add_null_value(b);
    return;
  }
  wb_kpi_json_time(b, tz, name, ms);
  wb_kpi_json_int(b, twin, ms);
}

void
wb_kpi_json_string_or_null(JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name(b, name);
  if (v != NULL)
    json_builder_add_string_value(b, v);
  else
    json_builder_add_null_value(b);
}

void
wb_kpi_json_bool_or_null(JsonBuilder *b, const char *name, gboolean known, gboolean v)
{
  json_builder_set_member_name(b, name);
  if (known)
    json_builder_add_boolean_value(b, v);
  else
    json_builder_add_null_value(b);
}

char *
wb_kpi_json_to_string(JsonBuilder *b)
{
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, root);
  return json_generator_to_data(gen, NULL);
}

char *
wb_kpi_json_frame(const char *t, const char *key, const char *value)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  wb_kpi_json_string(b, "t", t);
  wb_kpi_json_string(b, key, value);
  json_builder_end_object(b);
  return wb_kpi_json_to_string(b);
}

static void
null_member(JsonBuilder *b, const char *name)
{
  json_builder_set_member_name(b, name);
  json_builder_add_null_value(b);
}

/* A count, or null where it does not apply to the scope. */
static void
count_member(JsonBuilder *b, const char *name, gint64 v, gboolean applies)
{
  if (applies)
    wb_kpi_json_int(b, name, v);
  else
    null_member(b, name);
}

static void
time_members(JsonBuilder *b, const WbKpi *k, GHashTable *pause_ms)
{
  wb_kpi_json_number(b, "occupancy", k->occupancy);
  wb_kpi_json_number(b, "utilisation", k->utilisation);
  wb_kpi_json_number(b, "logged_in_s", wb_agent_time_logged_in_ms(&k->time) / 1000.0);
  json_builder_set_member_name(b, "state_s");
  json_builder_begin_object(b);
  for (int s = 0; s < WB_AGENT_STATE_COUNT; s++)
    wb_kpi_json_number(b, wb_agent_state_name((WbAgentState)s),
                       s == WB_AGENT_OFFLINE && !k->offline_known ? NAN
                                                                  : k->time.state_ms[s] / 1000.0);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "pause_s");
  json_builder_begin_object(b);
  if (pause_ms != NULL) {
    g_autoptr(GList) reasons =
        g_list_sort(g_hash_table_get_keys(pause_ms), (GCompareFunc)g_strcmp0);
    for (GList *l = reasons; l != NULL; l = l->next)
      wb_kpi_json_number(b, l->data, *(gint64 *)g_hash_table_lookup(pause_ms, l->data) / 1000.0);
  }
  json_builder_end_object(b);
}

void
wb_kpi_json_members(JsonBuilder *b, const WbKpi *k, WbScopeKind kind, GHashTable *pause_ms)
{
  /* Queue-side figures belong to queues and the total; an agent only
   * answers calls. */
  gboolean queue_side = kind != WB_SCOPE_AGENT;

  count_member(b, "offered", k->counts.offered, queue_side);
  wb_kpi_json_int(b, "answered", k->counts.answered);
  count_member(b, "abandoned", k->counts.abandoned, queue_side);
  count_member(b, "short_abandons", k->counts.short_abandons, queue_side);
  count_member(b, "lost", k->counts.lost, queue_side);
  wb_kpi_json_int(b, "handled", k->counts.handled);
  wb_kpi_json_int(b, "transferred", k->counts.transferred);
  wb_kpi_json_number(b, "answer_rate", queue_side ? k->answer_rate : NAN);
  json_builder_set_member_name(b, "service_level");
  json_builder_begin_object(b);
  wb_kpi_json_number(b, "value", queue_side ? k->service_level : NAN);
  wb_kpi_json_int(b, "threshold_s", k->settings.sl_threshold_s);
  wb_kpi_json_string(b, "variant", wb_sl_variant_name(k->settings.sl_variant));
  json_builder_set_member_name(b, "excludes_short_abandons");
  json_builder_add_boolean_value(b, k->settings.sl_exclude_short_abandons);
  json_builder_end_object(b);
  wb_kpi_json_number(b, "asa_s", k->asa_s);
  wb_kpi_json_number(b, "aht_s", k->aht_s);
  wb_kpi_json_number(b, "avg_abandon_wait_s", queue_side ? k->avg_abandon_wait_s : NAN);
  wb_kpi_json_number(b, "transfer_rate", k->transfer_rate);
  wb_kpi_json_number(b, "repeat_rate_2h", k->repeat_rate_2h);
  wb_kpi_json_number(b, "repeat_rate_24h", k->repeat_rate_24h);
  wb_kpi_json_int(b, "ring_noanswers",
                  kind == WB_SCOPE_AGENT ? k->time.ring_noanswers : k->counts.ring_noanswers);
  if (k->has_time)
    time_members(b, k, pause_ms);
}

void
wb_kpi_json_result(JsonBuilder *b, const WbQueryResult *r, const WbConfig *cfg, GTimeZone *tz)
{
  char scope[WB_EVENT_ID_MAX + 8];

  wb_scope_format(&r->scope, scope, sizeof(scope));
  json_builder_begin_object(b);
  wb_kpi_json_string(b, "scope", scope);
  switch (r->scope.kind) {
  case WB_SCOPE_QUEUE:
    wb_kpi_json_string(b, "queue", r->scope.key);
    wb_kpi_json_string(b, "name", wb_config_queue_name(cfg, r->scope.key));
    break;
  case WB_SCOPE_AGENT:
    wb_kpi_json_string(b, "agent", r->scope.key);
    wb_kpi_json_string(b, "name", wb_config_agent_name(cfg, r->scope.key));
    break;
  default: wb_kpi_json_string(b, "name", "全部队列"); break;
  }
  wb_kpi_json_time(b, tz, "from", r->from_ms);
  wb_kpi_json_time(b, tz, "to", r->to_ms);
  wb_kpi_json_members(b, &r->kpi, r->scope.kind, r->pause_ms);
  json_builder_end_object(b);
}
