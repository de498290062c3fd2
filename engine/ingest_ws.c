/* ingest_ws.c: the ingest.v1 WebSocket protocol. */
#define G_LOG_DOMAIN "ingest"

#include "engine/ingest_ws.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "engine/api.h"
#include "engine/auth.h"
#include "engine/kpi_json.h"
#include "engine/ws_close.h"

/* Answers waiting to be written before the sender is made to wait. */
#define PENDING_MAX 16
#define KEY_MAX 256

typedef struct {
  char *source; /* "api:LABEL" once authenticated */
  GByteArray *rx;
  GQueue *out; /* char* frames, oldest first */
  gint64 seq;  /* messages received */
  gboolean close_after;
  gboolean paused;
  WbWsClose close;
} Session;

static void
queue_frame(struct lws *wsi, Session *s, char *frame)
{
  g_queue_push_tail(s->out, frame);
  if (!s->paused && g_queue_get_length(s->out) >= PENDING_MAX) {
    s->paused = TRUE;
    lws_rx_flow_control(wsi, 0);
  }
  lws_callback_on_writable(wsi);
}

static gboolean
authenticate(WbEngine *e, Session *s, const char *key)
{
  g_autofree char *label = wb_auth_ingest_label(e->store, key);
  if (label == NULL)
    return FALSE;
  g_free(s->source);
  s->source = wb_ingest_source_name(label);
  return TRUE;
}

/* Before the key: only a hello is understood. */
static void
hello(WbEngine *e, struct lws *wsi, Session *s, const char *msg, gsize len)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  const char *token = NULL;

  /* White space alone parses to no root at all. */
  if (json_parser_load_from_data(parser, msg, (gssize)len, NULL) &&
      json_parser_get_root(parser) != NULL &&
      JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    if (g_strcmp0(json_object_get_string_member_with_default(o, "op", NULL), "hello") == 0)
      token = json_object_get_string_member_with_default(o, "token", NULL);
  }
  if (token == NULL) {
    s->close_after = TRUE;
    queue_frame(wsi, s,
                wb_kpi_json_frame("error", "error", "send {\"op\":\"hello\",\"token\":KEY} first"));
    return;
  }
  if (!authenticate(e, s, token)) {
    s->close_after = TRUE;
    queue_frame(wsi, s, wb_kpi_json_frame("error", "error", "not a valid ingest key"));
    return;
  }
  queue_frame(wsi, s, wb_kpi_json_frame("welcome", "source", s->source));
}

static void
message(WbEngine *e, struct lws *wsi, Session *s, const char *msg, gsize len)
{
  if (s->source == NULL) {
    hello(e, wsi, s, msg, len);
    return;
  }
  WbIngestResult result;
  WbApiReply reply = {0};
  wb_ingest_result_init(&result);
  wb_ingest_body(e->ingest, s->source, "ingest.v1", msg, len, &result);
  wb_api_ingest_reply(e, &result, ++s->seq, &reply);
  wb_ingest_result_clear(&result);
  queue_frame(wsi, s, g_steal_pointer(&reply.body));
}

static int
writeable(struct lws *wsi, Session *s)
{
  g_autofree char *frame = g_queue_pop_head(s->out);
  if (frame == NULL)
    return wb_ws_close_write(&s->close, wsi);
  gsize len = strlen(frame);
  g_autofree guint8 *buf = g_malloc(LWS_PRE + len);
  memcpy(buf + LWS_PRE, frame, len);
  if (lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len)
    return -1;
  if (g_queue_is_empty(s->out) && s->close_after) {
    wb_ws_close_request(&s->close, wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, "key");
    return 0;
  }
  if (s->paused && g_queue_get_length(s->out) < PENDING_MAX / 2) {
    s->paused = FALSE;
    lws_rx_flow_control(wsi, 1);
  }
  if (!g_queue_is_empty(s->out))
    lws_callback_on_writable(wsi);
  return 0;
}

static void
session_clear(Session *s)
{
  g_clear_pointer(&s->source, g_free);
  g_clear_pointer(&s->rx, g_byte_array_unref);
  if (s->out != NULL)
    g_queue_free_full(g_steal_pointer(&s->out), g_free);
}

static int
ingest_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len)
{
  const struct lws_protocols *proto = lws_get_protocol(wsi);
  WbEngine *e = proto != NULL ? proto->user : NULL;
  Session *s = user;
  char auth[KEY_MAX];

  if (e == NULL || s == NULL)
    return 0;
  switch (reason) {
  case LWS_CALLBACK_ESTABLISHED:
    s->rx = g_byte_array_new();
    s->out = g_queue_new();
    if (lws_hdr_copy(wsi, auth, sizeof(auth), WSI_TOKEN_HTTP_AUTHORIZATION) > 0 &&
        g_ascii_strncasecmp(auth, "Bearer ", 7) == 0 && authenticate(e, s, g_strstrip(auth + 7)))
      queue_frame(wsi, s, wb_kpi_json_frame("welcome", "source", s->source));
    break;
  case LWS_CALLBACK_CLOSED: session_clear(s); break;
  case LWS_CALLBACK_RECEIVE:
    if (s->rx == NULL)
      return -1;
    if (wb_ws_close_requested(&s->close))
      break;
    if (s->rx->len + len > (gsize)e->cfg->max_body_bytes) {
      g_byte_array_set_size(s->rx, 0);
      wb_ws_close_request(&s->close, wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "size");
      break;
    }
    g_byte_array_append(s->rx, in, (guint)len);
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
      break;
    message(e, wsi, s, (const char *)s->rx->data, s->rx->len);
    g_byte_array_set_size(s->rx, 0);
    break;
  case LWS_CALLBACK_SERVER_WRITEABLE: return writeable(wsi, s);
  default: break;
  }
  return 0;
}

void
wb_ingest_ws_protocol(WbEngine *engine, struct lws_protocols *out)
{
  memset(out, 0, sizeof(*out));
  out->name = "ingest.v1";
  out->callback = ingest_ws_callback;
  out->per_session_data_size = sizeof(Session);
  out->rx_buffer_size = 16 * 1024;
  out->user = engine;
}
