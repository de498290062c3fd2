/* topics.c: the wallboard.v1 WebSocket protocol. */
#define G_LOG_DOMAIN "topics"

#include "engine/topics.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "engine/live_json.h"
#include "engine/alerts.h"
#include "engine/api_alerts.h"
#include "engine/auth.h"
#include "engine/kpi_json.h"
#include "engine/users.h"
#include "engine/ws_close.h"
#include "engine/workforce/staffing.h"

/* A client message larger than this is not a hello: close the session. */
#define RX_MAX (16 * 1024)
/* Topics that depend on time (longest wait) are rebuilt at least this often. */
#define TICK_MS 1000
/* Staffing reads the store (intervals, roster, punches, sessions): it is
 * rebuilt every STAFFING_MS, and sooner, but not within STAFFING_MIN_MS of
 * the last build, when new events were stored (a login, a punch, a roster
 * change): never once per event. */
#define STAFFING_MS 5000
#define STAFFING_MIN_MS 1000

static const char *const topic_names[WB_TOPIC_COUNT] = {"wallboard", "agents", "staffing",
                                                        "alerts"};
/* The alerts topic shows the open alerts and those cleared this long ago
 * at most; it is rebuilt on every raise, clear and acknowledgement, and
 * every ALERTS_MS so that old ones drop off. */
#define ALERTS_RECENT_MS (3600 * 1000LL)
#define ALERTS_MS 60000

/* A frame with LWS_PRE bytes of headroom before the payload, as lws_write
 * wants; shared by every session that sends it. */
typedef struct {
  guint8 *buf;
  gsize len; /* payload bytes after the headroom */
} Frame;

typedef struct {
  guint64 seq;
  Frame snapshot; /* the first frame a session gets */
  Frame update;
} Topic;

struct WbTopics {
  WbEngine *engine;
  struct lws_context *context;
  const struct lws_protocols *protocol;
  Topic topics[WB_TOPIC_COUNT];
  guint64 built_version; /* live model version of the last build */
  gint64 built_at_us;
  gint64 staffing_at_us;   /* last staffing build */
  guint64 staffing_events; /* events stored at that build */
  guint64 heartbeat;       /* grows every heartbeat_s */
  Frame heartbeat_frame;
  guint refresh_id;
  guint heartbeat_id;
  guint sessions;
  guint subscribers[WB_TOPIC_COUNT];
  guint64 alerts_version; /* of the alerts at the last build */
  gint64 alerts_at_us;
};

typedef struct {
  gboolean hello;      /* a valid hello has been received */
  WbRole upgrade_role; /* of the upgrade's ?token= or session cookie */
  guint topics;        /* bitmask of WbTopicId */
  guint64 sent_seq[WB_TOPIC_COUNT];
  guint64 heartbeat_sent;
  char *control; /* one pending welcome or error frame */
  WbRole role;   /* of the last hello */
  char *user;    /* the logged-in person of the upgrade's session cookie, or NULL */
  char *cookie;  /* that session's cookie, checked again at each heartbeat */
  gboolean close_after_control;
  WbWsClose close;
  GByteArray *rx;
} Session;

const char *
wb_topic_name(WbTopicId id)
{
  return (int)id >= 0 && id < WB_TOPIC_COUNT ? topic_names[id] : "";
}

static void
frame_clear(Frame *f)
{
  g_clear_pointer(&f->buf, g_free);
  f->len = 0;
}

static void
frame_set(Frame *f, const char *text)
{
  gsize len = strlen(text);
  frame_clear(f);
  f->buf = g_malloc(LWS_PRE + len);
  memcpy(f->buf + LWS_PRE, text, len);
  f->len = len;
}

static void
topic_set(WbTopics *t, WbTopicId id, const char *data)
{
  Topic *topic = &t->topics[id];
  topic->seq++;
  g_autofree char *snap = g_strdup_printf(
      "{\"t\":\"snapshot\",\"topic\":\"%s\",\"seq\":%" G_GUINT64_FORMAT ",\"data\":%s}",
      topic_names[id], topic->seq, data);
  g_autofree char *upd = g_strdup_printf(
      "{\"t\":\"update\",\"topic\":\"%s\",\"seq\":%" G_GUINT64_FORMAT ",\"data\":%s}",
      topic_names[id], topic->seq, data);
  frame_set(&topic->snapshot, snap);
  frame_set(&topic->update, upd);
}

/* Rebuilds the staffing topic when it is due (see STAFFING_MS); `fresh`:
 * whenever events were stored since the last build (a new subscriber's
 * snapshot shows what is known now). view NULL: one is made. */
static guint
refresh_staffing(WbTopics *t, const WbLiveView *view, gint64 now_us, gboolean force, gboolean fresh)
{
  WbEngine *e = t->engine;
  WbStoreStats ss;
  g_autoptr(GError) error = NULL;
  g_autoptr(WbLiveView) own = NULL;

  wb_store_stats(e->store, &ss);
  gint64 since = now_us - t->staffing_at_us;
  gboolean news = ss.events != t->staffing_events;
  gboolean due = force || t->topics[WB_TOPIC_STAFFING].seq == 0 || since >= STAFFING_MS * 1000 ||
                 (news && (fresh || since >= STAFFING_MIN_MS * 1000));
  if (!due)
    return 0;
  t->staffing_at_us = now_us;
  t->staffing_events = ss.events;
  if (view == NULL)
    view = own = wb_live_view(e->live, wb_clock_now_ms(&e->clock));
  g_autoptr(WbStaffing) s =
      wb_staffing_compute(e->store, e->cfg, e->tz, view, view->now_ms, &error);
  if (s == NULL) {
    /* The last frame stays; the next build tries again. */
    g_warning("staffing: %s", error->message);
    return 0;
  }
  g_autofree char *data = wb_staffing_json(s, e->cfg, e->tz);
  topic_set(t, WB_TOPIC_STAFFING, data);
  return 1;
}

/* Rebuilds the alerts topic when an alert was raised, cleared or
 * acknowledged, and every ALERTS_MS. */
static guint
refresh_alerts(WbTopics *t, gint64 now_us, gboolean force)
{
  WbEngine *e = t->engine;
  g_autoptr(GError) error = NULL;

  if (e->alerts == NULL) {
    if (t->topics[WB_TOPIC_ALERTS].seq > 0)
      return 0;
    topic_set(t, WB_TOPIC_ALERTS, "{\"alerts\":[],\"open\":0}");
    return 1;
  }
  guint64 version = wb_alerts_version(e->alerts);
  if (!force && t->topics[WB_TOPIC_ALERTS].seq > 0 && version == t->alerts_version &&
      now_us - t->alerts_at_us < ALERTS_MS * 1000)
    return 0;
  gint64 now = wb_clock_now_ms(&e->clock);
  g_autofree char *data =
      wb_alerts_json(e->alerts, now, G_MAXINT64, TRUE, now - ALERTS_RECENT_MS, &error);
  if (data == NULL) {
    g_warning("alerts: %s", error->message);
    return 0;
  }
  t->alerts_version = version;
  t->alerts_at_us = now_us;
  topic_set(t, WB_TOPIC_ALERTS, data);
  return 1;
}

guint
wb_topics_refresh(WbTopics *t, gboolean force)
{
  WbEngine *e = t->engine;
  guint64 version = wb_live_version(e->live);
  gint64 now_us = g_get_monotonic_time();
  gboolean changed = version != t->built_version;
  gboolean tick = now_us - t->built_at_us >= TICK_MS * 1000;
  guint n = 0;

  n += refresh_alerts(t, now_us, force);
  if (!force && !changed && !tick) {
    if (n > 0 && t->context != NULL && t->protocol != NULL && t->sessions > 0)
      lws_callback_on_writable_all_protocol(t->context, t->protocol);
    return n;
  }
  g_autoptr(WbLiveView) view = wb_live_view(e->live, wb_clock_now_ms(&e->clock));
  g_autofree char *board = wb_live_json(e, view, WB_LIVE_JSON_WALLBOARD);
  topic_set(t, WB_TOPIC_WALLBOARD, board);
  n++;
  if (force || changed || t->topics[WB_TOPIC_AGENTS].seq == 0) {
    g_autofree char *agents = wb_live_json(e, view, WB_LIVE_JSON_AGENTS);
    topic_set(t, WB_TOPIC_AGENTS, agents);
    n++;
  }
  n += refresh_staffing(t, view, now_us, force, FALSE);
  t->built_version = version;
  t->built_at_us = now_us;
  if (t->context != NULL && t->protocol != NULL && t->sessions > 0)
    lws_callback_on_writable_all_protocol(t->context, t->protocol);
  return n;
}

static gboolean
on_refresh(gpointer data)
{
  WbTopics *t = data;
  /* A line written since the last poll would otherwise wait for that
   * poll and then for the next frame: read first, so that a line's delay
   * to the screen is at most one window (docs/performance.md). */
  wb_engine_read_sources(t->engine);
  wb_topics_refresh(t, FALSE);
  return G_SOURCE_CONTINUE;
}

static void
build_heartbeat(WbTopics *t)
{
  g_autofree char *text = g_strdup_printf("{\"t\":\"heartbeat\",\"ts_ms\":%" G_GINT64_FORMAT "}",
                                          wb_clock_now_ms(&t->engine->clock));
  frame_set(&t->heartbeat_frame, text);
}

static gboolean
on_heartbeat(gpointer data)
{
  WbTopics *t = data;
  t->heartbeat++;
  build_heartbeat(t);
  if (t->context != NULL && t->protocol != NULL && t->sessions > 0)
    lws_callback_on_writable_all_protocol(t->context, t->protocol);
  return G_SOURCE_CONTINUE;
}

WbTopics *
wb_topics_new(WbEngine *engine)
{
  WbTopics *t = g_new0(WbTopics, 1);
  t->engine = engine;
  build_heartbeat(t);
  return t;
}

void
wb_topics_stop(WbTopics *t)
{
  if (t->refresh_id != 0)
    g_source_remove(t->refresh_id);
  if (t->heartbeat_id != 0)
    g_source_remove(t->heartbeat_id);
  t->refresh_id = t->heartbeat_id = 0;
  t->context = NULL;
}

void
wb_topics_free(WbTopics *t)
{
  if (t == NULL)
    return;
  wb_topics_stop(t);
  for (int i = 0; i < WB_TOPIC_COUNT; i++) {
    frame_clear(&t->topics[i].snapshot);
    frame_clear(&t->topics[i].update);
  }
  frame_clear(&t->heartbeat_frame);
  g_free(t);
}

guint
wb_topics_sessions(WbTopics *t)
{
  return t->sessions;
}

void
wb_topics_stats(WbTopics *t, WbTopicsStats *out)
{
  memset(out, 0, sizeof(*out));
  out->sessions = t->sessions;
  for (int i = 0; i < WB_TOPIC_COUNT; i++) {
    out->subscribers[i] = t->subscribers[i];
    out->updates[i] = t->topics[i].seq;
  }
}

/* Counts a session's topics in (sign 1) or out (sign -1). */
static void
count_subscriber(WbTopics *t, guint mask, int sign)
{
  for (int i = 0; i < WB_TOPIC_COUNT; i++)
    if (mask & (1u << i))
      t->subscribers[i] = sign > 0 ? t->subscribers[i] + 1 : MAX(t->subscribers[i], 1u) - 1;
}

void
wb_topics_start(WbTopics *t, struct lws_context *context)
{
  t->context = context;
  wb_topics_refresh(t, TRUE);
  t->refresh_id = g_timeout_add(t->engine->cfg->update_ms, on_refresh, t);
  t->heartbeat_id = g_timeout_add_seconds(t->engine->cfg->heartbeat_s, on_heartbeat, t);
}

/* Whether role may subscribe to topic id: the TV's aggregates and names
 * to any reader; topics of people's data (alerts) to supervisor, manager
 * and admin (wb_users_role_supervises). */
static gboolean
topic_allowed(int id, WbRole role)
{
  if (id == WB_TOPIC_ALERTS)
    return wb_users_role_supervises(role);
  return role != WB_ROLE_NONE;
}

static void
session_error(Session *s, const char *message, gboolean close_after)
{
  g_free(s->control);
  s->control = wb_kpi_json_frame("error", "error", message);
  s->close_after_control = close_after;
}

static char *
welcome_frame(WbTopics *t, guint mask)
{
  GString *g = g_string_new("{\"t\":\"welcome\",\"topics\":[");
  gboolean first = TRUE;
  for (int i = 0; i < WB_TOPIC_COUNT; i++)
    if (mask & (1u << i)) {
      g_string_append_printf(g, "%s\"%s\"", first ? "" : ",", topic_names[i]);
      first = FALSE;
    }
  g_string_append_printf(g, "],\"heartbeat_s\":%d}", t->engine->cfg->heartbeat_s);
  return g_string_free(g, FALSE);
}

/* A string member, or "" when it is missing or of another type. */
static const char *
member_string(JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member(o, name);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return "";
  return json_node_get_string(n);
}

/* {"op":"ack","alert":ID}: as POST /api/v1/alerts/ID/ack, by the
 * session's logged-in person. The answer is {"t":"ack","alert":ID,
 * "acked_by":…} or an error frame; the alerts topic then shows it. */
static void
session_ack(WbTopics *t, Session *s, gint64 id)
{
  if (!s->hello || !wb_users_role_supervises(s->role)) {
    session_error(s, "ack needs a hello as a supervisor, manager or admin", FALSE);
    return;
  }
  if (id <= 0) {
    session_error(s, "ack: alert must be an alert id", FALSE);
    return;
  }
  WbApiReply reply = {0};
  wb_api_alerts_ack_id(t->engine, id, s->user, NULL, &reply);
  if (reply.status != 200) {
    g_autoptr(JsonParser) p = json_parser_new();
    const char *msg = "ack failed";
    if (json_parser_load_from_data(p, reply.body, -1, NULL) &&
        JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
      msg = json_object_get_string_member_with_default(
          json_node_get_object(json_parser_get_root(p)), "error", msg);
    session_error(s, msg, FALSE);
  } else {
    /* The name goes through the JSON builder: it is the user's text. */
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    wb_kpi_json_string(b, "t", "ack");
    wb_kpi_json_int(b, "alert", id);
    wb_kpi_json_string(b, "acked_by", s->user);
    json_builder_end_object(b);
    g_free(s->control);
    s->control = wb_kpi_json_to_string(b);
    s->close_after_control = FALSE;
  }
  wb_api_reply_clear(&reply);
  wb_topics_refresh(t, FALSE);
}

/* A hello: the token (or the upgrade's role) decides which topics may be
 * read; the first that may not, or is unknown, is refused by name. */
static void
session_hello(WbTopics *t, Session *s, const WbClientMessage *m)
{
  WbRole role = wb_auth_role(t->engine->store, m->token);
  if (role == WB_ROLE_NONE)
    role = s->upgrade_role;
  if (role == WB_ROLE_NONE) {
    session_error(s, "invalid token", TRUE);
    return;
  }
  guint mask = 0;
  for (guint i = 0; i < m->topics->len; i++) {
    gint id = g_array_index(m->topics, gint, i);
    if (id < 0) {
      g_autofree char *msg = g_strdup_printf("unknown topic '%s'", m->unknown_topic);
      session_error(s, msg, FALSE);
      return;
    }
    if (!topic_allowed(id, role)) {
      g_autofree char *msg =
          g_strdup_printf("topic '%s' needs a supervisor, manager or admin", topic_names[id]);
      session_error(s, msg, FALSE);
      return;
    }
    mask |= 1u << id;
  }
  if (mask == 0) {
    session_error(s, "hello names no topic", FALSE);
    return;
  }
  /* The snapshot shows what is known now, not the last periodic build. */
  wb_topics_refresh(t, FALSE);
  if (mask & (1u << WB_TOPIC_STAFFING))
    refresh_staffing(t, NULL, g_get_monotonic_time(), FALSE, TRUE);
  s->hello = TRUE;
  s->role = role;
  count_subscriber(t, s->topics, -1);
  count_subscriber(t, mask, 1);
  s->topics = mask;
  /* A second hello starts over with snapshots of the topics it names. */
  memset(s->sent_seq, 0, sizeof(s->sent_seq));
  s->heartbeat_sent = t->heartbeat;
  g_free(s->control);
  s->control = welcome_frame(t, mask);
  s->close_after_control = FALSE;
}

void
wb_client_message_clear(WbClientMessage *m)
{
  g_clear_pointer(&m->token, g_free);
  g_clear_pointer(&m->topics, g_array_unref);
  g_clear_pointer(&m->unknown_topic, g_free);
}

static void
parse_topics(JsonObject *o, WbClientMessage *out)
{
  JsonNode *list = json_object_get_member(o, "topics");
  JsonArray *topics =
      list != NULL && JSON_NODE_HOLDS_ARRAY(list) ? json_node_get_array(list) : NULL;
  for (guint i = 0; topics != NULL && i < json_array_get_length(topics); i++) {
    JsonNode *n = json_array_get_element(topics, i);
    const char *name = JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
                           ? json_node_get_string(n)
                           : "";
    gint id = -1;
    for (gint k = 0; k < WB_TOPIC_COUNT; k++)
      if (strcmp(topic_names[k], name) == 0)
        id = k;
    g_array_append_val(out->topics, id);
    if (id < 0 && out->unknown_topic == NULL) {
      /* Echoed in an error frame: short, and valid UTF-8 whatever came. */
      g_autofree char *cut = g_strndup(name, 40);
      out->unknown_topic = g_utf8_make_valid(cut, -1);
    }
  }
}

gboolean
wb_topics_parse_client(const char *text, gsize len, WbClientMessage *out, char **error)
{
  g_autoptr(JsonParser) parser = json_parser_new();

  memset(out, 0, sizeof(*out));
  *error = NULL;
  if (!json_parser_load_from_data(parser, text, (gssize)len, NULL)) {
    *error = g_strdup("message is not JSON");
    return FALSE;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
    *error = g_strdup("message is not a JSON object");
    return FALSE;
  }
  JsonObject *o = json_node_get_object(root);
  const char *op = member_string(o, "op");
  if (strcmp(op, "ack") == 0) {
    JsonNode *n = json_object_get_member(o, "alert");
    out->op = WB_CLIENT_ACK;
    if (n != NULL && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 &&
        json_node_get_int(n) > 0)
      out->alert = json_node_get_int(n);
    return TRUE;
  }
  if (strcmp(op, "hello") != 0) {
    *error = g_strdup("unknown op: expected hello or ack");
    return FALSE;
  }
  out->op = WB_CLIENT_HELLO;
  out->token = g_strdup(member_string(o, "token"));
  out->topics = g_array_new(FALSE, FALSE, sizeof(gint));
  parse_topics(o, out);
  return TRUE;
}

/* Handles one complete client message. */
static void
session_message(WbTopics *t, Session *s, const char *text, gsize len)
{
  WbClientMessage m;
  g_autofree char *error = NULL;

  if (!wb_topics_parse_client(text, len, &m, &error)) {
    session_error(s, error, FALSE);
    return;
  }
  if (m.op == WB_CLIENT_ACK) {
    session_ack(t, s, m.alert);
    wb_client_message_clear(&m);
    return;
  }
  session_hello(t, s, &m);
  wb_client_message_clear(&m);
}

static gboolean
session_alive(WbTopics *t, Session *s)
{
  WbUsersPolicy policy;
  wb_users_policy_from_config(t->engine->cfg, &policy);
  return wb_users_session(t->engine->store, &policy, s->cookie, g_get_real_time() / 1000, NULL) !=
         WB_ROLE_NONE;
}

static int
write_text(struct lws *wsi, guint8 *buf, gsize len)
{
  int n = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
  return n < (int)len ? -1 : 0;
}

/* Whether topic i has a frame the session has not had. */
static gboolean
topic_due(WbTopics *t, const Session *s, int i)
{
  const Topic *topic = &t->topics[i];
  return (s->topics & (1u << i)) && topic->seq > s->sent_seq[i] && topic->snapshot.buf != NULL;
}

/* Whether the session has a frame due: asking lws for another WRITEABLE
 * when it has none would cost two changes of the connection's poll events
 * for nothing, per session and frame. */
static gboolean
session_has_more(WbTopics *t, const Session *s)
{
  if (s->control != NULL)
    return TRUE;
  if (!s->hello)
    return FALSE;
  for (int i = 0; i < WB_TOPIC_COUNT; i++)
    if (topic_due(t, s, i))
      return TRUE;
  return s->heartbeat_sent < t->heartbeat;
}

/* One lws_write per WRITEABLE: the control frame, else the oldest topic that
 * has news, else a heartbeat. */
static int
session_writeable(WbTopics *t, struct lws *wsi, Session *s)
{
  if (wb_ws_close_requested(&s->close) && s->control == NULL)
    return wb_ws_close_write(&s->close, wsi);
  if (s->control != NULL) {
    gsize len = strlen(s->control);
    g_autofree guint8 *buf = g_malloc(LWS_PRE + len);
    memcpy(buf + LWS_PRE, s->control, len);
    g_clear_pointer(&s->control, g_free);
    if (write_text(wsi, buf, len) < 0)
      return -1;
    if (s->close_after_control) {
      wb_ws_close_request(&s->close, wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, "token");
      return 0;
    }
    if (session_has_more(t, s))
      lws_callback_on_writable(wsi);
    return 0;
  }
  if (!s->hello)
    return 0;
  for (int i = 0; i < WB_TOPIC_COUNT; i++) {
    Topic *topic = &t->topics[i];
    if (!topic_due(t, s, i))
      continue;
    Frame *f = s->sent_seq[i] == 0 ? &topic->snapshot : &topic->update;
    s->sent_seq[i] = topic->seq;
    if (write_text(wsi, f->buf, f->len) < 0)
      return -1;
    if (session_has_more(t, s))
      lws_callback_on_writable(wsi);
    return 0;
  }
  if (s->heartbeat_sent < t->heartbeat) {
    s->heartbeat_sent = t->heartbeat;
    /* A person's stream lasts as long as their session: logged out,
     * locked or idle too long, it ends within a heartbeat. */
    if (s->cookie != NULL && !session_alive(t, s)) {
      session_error(s, "session ended: log in again", TRUE);
      return session_writeable(t, wsi, s);
    }
    return write_text(wsi, t->heartbeat_frame.buf, t->heartbeat_frame.len);
  }
  return 0;
}

static int
topics_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  const struct lws_protocols *proto = lws_get_protocol(wsi);
  WbTopics *t = proto != NULL ? proto->user : NULL;
  Session *s = user;
  char buf[128];

  /* Only the session reasons below concern us, and they all carry a session;
   * anything else (or a session lws never set up) is left to lws. */
  if (t == NULL || s == NULL)
    return 0;

  switch (reason) {
  case LWS_CALLBACK_ESTABLISHED:
    t->sessions++;
    t->protocol = proto;
    s->rx = g_byte_array_new();
    {
      /* The browser sends the session cookie with the upgrade: a page of
       * a logged-in user subscribes without a token. */
      char cookie[128];
      size_t cookie_len = sizeof(cookie);
      gboolean has_cookie = lws_http_cookie_get(wsi, WB_USERS_COOKIE, cookie, &cookie_len) == 0;
      const char *v = lws_get_urlarg_by_name(wsi, "token=", buf, sizeof(buf));
      WbUsersPolicy policy;
      wb_users_policy_from_config(t->engine->cfg, &policy);
      s->upgrade_role = wb_users_caller(t->engine->store, &policy, v, has_cookie ? cookie : NULL,
                                        g_get_real_time() / 1000, &s->user);
      if (s->user != NULL)
        s->cookie = g_strdup(cookie);
    }
    break;
  case LWS_CALLBACK_CLOSED:
    if (t->sessions > 0)
      t->sessions--;
    count_subscriber(t, s->topics, -1);
    s->topics = 0;
    g_clear_pointer(&s->control, g_free);
    g_clear_pointer(&s->user, g_free);
    g_clear_pointer(&s->cookie, g_free);
    g_clear_pointer(&s->rx, g_byte_array_unref);
    break;
  case LWS_CALLBACK_RECEIVE:
    if (s->rx == NULL)
      return -1;
    if (wb_ws_close_requested(&s->close))
      break;
    if (s->rx->len + len > RX_MAX) {
      g_byte_array_set_size(s->rx, 0);
      wb_ws_close_request(&s->close, wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "size");
      break;
    }
    g_byte_array_append(s->rx, in, (guint)len);
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
      break;
    session_message(t, s, (const char *)s->rx->data, s->rx->len);
    g_byte_array_set_size(s->rx, 0);
    lws_callback_on_writable(wsi);
    break;
  case LWS_CALLBACK_SERVER_WRITEABLE: return session_writeable(t, wsi, s);
  default: break;
  }
  return 0;
}

void
wb_topics_protocol(WbTopics *t, struct lws_protocols *out)
{
  memset(out, 0, sizeof(*out));
  out->name = "wallboard.v1";
  out->callback = topics_callback;
  out->per_session_data_size = sizeof(Session);
  out->rx_buffer_size = 4096;
  out->user = t;
}
