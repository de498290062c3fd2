/* api_alerts.c: GET /api/v1/alerts and POST /api/v1/alerts/ID/ack. */
#define G_LOG_DOMAIN "api"

#include "engine/api_alerts.h"

#include <string.h>

#include "engine/alerts.h"
#include "engine/kpi_json.h"

void
wb_api_alerts_list(WbEngine *e, GHashTable *query, WbApiReply *out)
{
  gint64 now = wb_clock_now_ms(&e->clock);
  gint64 from, to;
  g_autoptr(GError) error = NULL;

  if (e->alerts == NULL) {
    wb_api_reply_error(out, 503, "alerts are evaluated by the daemon only");
    return;
  }
  if (!wb_api_param_time(e, query, "from", wb_day_start_ms(e->tz, now), &from, out) ||
      !wb_api_param_time(e, query, "to", wb_day_end_ms(e->tz, now), &to, out))
    return;
  if (from >= to) {
    wb_api_reply_error(out, 400, "from must be earlier than to");
    return;
  }
  const char *state = g_hash_table_lookup(query, "state");
  if (state != NULL && *state != '\0' && strcmp(state, "all") != 0 && strcmp(state, "open") != 0) {
    wb_api_reply_error(out, 400, "state: expected all or open, got '%s'", state);
    return;
  }
  gboolean open_only = state != NULL && strcmp(state, "open") == 0;
  char *body = wb_alerts_json(e->alerts, from, to, open_only, -1, &error);
  if (body == NULL) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  out->status = 200;
  out->body = body;
}

void
wb_api_alerts_ack_id(WbEngine *e, gint64 id, const char *user, const char *remote, WbApiReply *out)
{
  g_autoptr(GError) error = NULL;
  gint64 now = wb_clock_now_ms(&e->clock);

  if (user == NULL || *user == '\0') {
    wb_api_reply_error(out, 403,
                       "acknowledging needs a named user: log in as a person, a program's token "
                       "has no name");
    return;
  }
  if (e->alerts == NULL) {
    wb_api_reply_error(out, 503, "alerts are evaluated by the daemon only");
    return;
  }
  /* What was ingested commits first: the acknowledgement and its audit
   * row then stand on their own. */
  if (e->bus != NULL && !wb_bus_flush(e->bus, &error)) {
    wb_api_reply_error(out, 503, "the store is failing: %s", error->message);
    return;
  }
  if (!wb_alerts_ack(e->alerts, id, user, remote, now, &error)) {
    guint status = g_error_matches(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_NOT_FOUND) ? 404
                   : g_error_matches(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_ACKED)   ? 409
                                                                                      : 500;
    wb_api_reply_error(out, status, "%s", error->message);
    return;
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  wb_kpi_json_int(b, "id", id);
  wb_kpi_json_time_twin(b, e->tz, "acked", now);
  wb_kpi_json_string(b, "acked_by", user);
  json_builder_end_object(b);
  wb_api_reply_json(out, b);
}

void
wb_api_alerts_ack(WbEngine *e, const WbApiRequest *req, const WbApiCaller *caller, WbApiReply *out)
{
  gint64 id = wb_api_path_id(req->path, "/api/v1/alerts/");
  if (caller->user != NULL && id < 0) {
    wb_api_reply_error(out, 404, "no such alert: %s", req->path);
    return;
  }
  wb_api_alerts_ack_id(e, id, caller->user, req->remote, out);
}
