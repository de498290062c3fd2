/* live_json.c: the live object, for /api/v1/live and the topics. */
#define G_LOG_DOMAIN "api"

#include "engine/live_json.h"

#include "engine/alerts.h"
#include "engine/kpi_json.h"

static void
add_queue_view(JsonBuilder *b, WbEngine *e, const WbLiveView *v, const WbQueueView *q)
{
  json_builder_begin_object(b);
  if (q->queue[0] != '\0') {
    g_autofree char *scope = g_strconcat("queue:", q->queue, NULL);
    wb_kpi_json_string(b, "scope", scope);
    wb_kpi_json_string(b, "queue", q->queue);
  } else {
    wb_kpi_json_string(b, "scope", "total");
  }
  wb_kpi_json_string(b, "name", q->name);
  wb_kpi_json_time(b, e->tz, "from", v->from_ms);
  wb_kpi_json_time(b, e->tz, "to", v->to_ms);
  wb_kpi_json_members(b, &q->kpi, q->queue[0] != '\0' ? WB_SCOPE_QUEUE : WB_SCOPE_TOTAL, NULL);
  gdouble ar, sl;
  wb_config_targets(e->cfg, q->queue, &ar, &sl);
  json_builder_set_member_name(b, "targets");
  json_builder_begin_object(b);
  wb_kpi_json_number(b, "answer_rate", ar);
  wb_kpi_json_number(b, "service_level", sl);
  json_builder_end_object(b);
  wb_kpi_json_int(b, "waiting", q->waiting);
  wb_kpi_json_number(b, "longest_wait_s", q->longest_wait_s);
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
    wb_kpi_json_string(b, "agent", a->agent);
    wb_kpi_json_string(b, "name", a->name);
    wb_kpi_json_string(b, "state", wb_agent_state_name(a->state));
    wb_kpi_json_string(b, "reason", a->reason);
    if (a->since_ms > 0) {
      wb_kpi_json_time(b, e->tz, "since", a->since_ms);
      wb_kpi_json_int(b, "since_ms", a->since_ms);
    } else {
      json_builder_set_member_name(b, "since");
      json_builder_add_null_value(b);
      json_builder_set_member_name(b, "since_ms");
      json_builder_add_null_value(b);
    }
    wb_kpi_json_int(b, "calls", a->calls);
    wb_kpi_json_number(b, "aht_s", a->aht_s);
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
add_board(JsonBuilder *b, WbEngine *e, const WbLiveView *v)
{
  g_autofree char *day = wb_day_format(e->tz, v->now_ms);
  wb_kpi_json_string(b, "day", day);
  wb_kpi_json_string(b, "timezone", e->cfg->timezone);
  json_builder_set_member_name(b, "targets");
  json_builder_begin_object(b);
  wb_kpi_json_number(b, "answer_rate", e->cfg->target_answer_rate);
  wb_kpi_json_number(b, "service_level", e->cfg->target_service_level);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "state_bands_s");
  json_builder_begin_array(b);
  for (char **s = e->cfg->state_bands_s; s != NULL && *s != NULL; s++)
    json_builder_add_int_value(b, g_ascii_strtoll(*s, NULL, 10));
  json_builder_end_array(b);
  json_builder_set_member_name(b, "total");
  add_queue_view(b, e, v, &v->total);
  json_builder_set_member_name(b, "queues");
  json_builder_begin_array(b);
  for (guint i = 0; i < v->queues->len; i++)
    add_queue_view(b, e, v, &g_array_index(v->queues, WbQueueView, i));
  json_builder_end_array(b);
  json_builder_set_member_name(b, "agents_by_state");
  json_builder_begin_object(b);
  for (int s = 0; s < WB_AGENT_STATE_COUNT; s++)
    wb_kpi_json_int(b, wb_agent_state_name((WbAgentState)s), v->agents_by_state[s]);
  json_builder_end_object(b);
  wb_alerts_banner_json(e->alerts, b);
}

char *
wb_live_json(WbEngine *e, const WbLiveView *v, WbLiveJsonPart part)
{
  g_autoptr(JsonBuilder) b = json_builder_new();

  json_builder_begin_object(b);
  wb_kpi_json_time(b, e->tz, "ts", v->now_ms);
  wb_kpi_json_int(b, "ts_ms", v->now_ms);
  json_builder_set_member_name(b, "demo");
  json_builder_add_boolean_value(b, e->demo);
  wb_kpi_json_number(b, "clock_rate", e->clock.rate > 0 ? e->clock.rate : 1.0);
  if (part != WB_LIVE_JSON_AGENTS)
    add_board(b, e, v);
  if (part != WB_LIVE_JSON_WALLBOARD)
    add_agents(b, e, v);
  json_builder_end_object(b);
  return wb_kpi_json_to_string(b);
}
