/* ingest.c: JSON events from other systems -> the sink. */
#define G_LOG_DOMAIN "ingest"

#include "collectors/ingest.h"

#include <sodium.h>
#include <string.h>

#include "engine/event_fields.h"

G_DEFINE_QUARK(wb_ingest_error, wb_ingest_error)

#define EVENT_ID_MAX 128
/* An event stamped further ahead than this of the engine's clock is
 * refused: the live model would take it for now. */
#define FUTURE_SLACK_MS (5 * 60 * 1000)
/* What a quarantined line keeps of an overlong line. */
#define QUARANTINE_LINE_MAX 4096

typedef struct {
  char *name;
  WbCollectorStats stats;
} Source;

struct WbIngest {
  WbCollector collector; /* first: the ops cast back */
  WbSink *sink;
  const WbClock *clock;
  GTimeZone *tz;
  WbAgentMap *map;
  GPtrArray *sources; /* Source*, in order of first use */
};

void
wb_ingest_result_init(WbIngestResult *r)
{
  r->accepted = r->duplicates = 0;
  r->rejected = g_array_new(FALSE, TRUE, sizeof(WbIngestReject));
}

void
wb_ingest_result_clear(WbIngestResult *r)
{
  for (guint i = 0; r->rejected != NULL && i < r->rejected->len; i++) {
    WbIngestReject *x = &g_array_index(r->rejected, WbIngestReject, i);
    g_free(x->event_id);
    g_free(x->error);
  }
  g_clear_pointer(&r->rejected, g_array_unref);
}

gboolean
wb_ingest_label_valid(const char *label)
{
  gsize n = label != NULL ? strlen(label) : 0;
  if (n == 0 || n > 64)
    return FALSE;
  for (const char *p = label; *p != '\0'; p++)
    if (!g_ascii_isalnum(*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

char *
wb_ingest_source_name(const char *label)
{
  return g_strconcat("api:", label, NULL);
}

static Source *
source_get(WbIngest *in, const char *name)
{
  for (guint i = 0; i < in->sources->len; i++) {
    Source *s = g_ptr_array_index(in->sources, i);
    if (strcmp(s->name, name) == 0)
      return s;
  }
  Source *s = g_new0(Source, 1);
  s->name = g_strdup(name);
  /* Senders connect to us, each request on its own: no connection of the
   * source's to be down. */
  s->stats.connected = -1;
  g_ptr_array_add(in->sources, s);
  return s;
}

/* ---- one object -> one event ---- */

/* The event id, hashed: 63 bits, so a retry of the same id is refused by
 * the store's unique (source, source_pos). */
static gint64
event_pos(const char *event_id)
{
  guint8 h[8];
  guint64 v = 0;
  crypto_generichash(h, sizeof(h), (const guint8 *)event_id, strlen(event_id), NULL, 0);
  for (int i = 0; i < 8; i++)
    v = v << 8 | h[i];
  return (gint64)(v & G_MAXINT64);
}

static gboolean
set_member(WbIngest *in, WbEvent *ev, const WbEventField *f, JsonNode *value, WbFieldSet *seen,
           GError **error)
{
  if (JSON_NODE_HOLDS_NULL(value))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE(value)) {
    g_set_error(error, WB_INGEST_ERROR, 0, "%s: must be a string or a number", f->name);
    return FALSE;
  }
  GType t = json_node_get_value_type(value);
  if (t == G_TYPE_STRING)
    return wb_event_field_set_text(ev, f, json_node_get_string(value), in->tz, in->map, seen,
                                   error);
  if (t == G_TYPE_INT64 || t == G_TYPE_DOUBLE)
    return wb_event_field_set_number(ev, f, json_node_get_double(value), seen, error);
  g_set_error(error, WB_INGEST_ERROR, 0, "%s: must be a string or a number", f->name);
  return FALSE;
}

static gboolean
decode_ts(WbIngest *in, JsonNode *value, gint64 *out, GError **error)
{
  if (value == NULL || JSON_NODE_HOLDS_NULL(value)) {
    g_set_error(error, WB_INGEST_ERROR, 0, "ts: required");
    return FALSE;
  }
  GType t = JSON_NODE_HOLDS_VALUE(value) ? json_node_get_value_type(value) : G_TYPE_NONE;
  if (t == G_TYPE_INT64) {
    *out = json_node_get_int(value);
  } else if (t != G_TYPE_STRING || !wb_time_parse(in->tz, json_node_get_string(value), out)) {
    g_set_error(error, WB_INGEST_ERROR, 0,
                "ts: not an ISO-8601 time (2026-11-28T09:30:00+08:00) or epoch milliseconds");
    return FALSE;
  }
  if (*out <= 0) {
    g_set_error(error, WB_INGEST_ERROR, 0, "ts: before 1970");
    return FALSE;
  }
  if (*out > wb_clock_now_ms(in->clock) + FUTURE_SLACK_MS) {
    g_set_error(error, WB_INGEST_ERROR, 0, "ts: in the future (clocks out of step?)");
    return FALSE;
  }
  return TRUE;
}

/* TRUE if every string and member name under node is valid UTF-8. The
 * body was checked before parsing, but json-glib also takes escapes that
 * are not JSON: "\615" is the byte 0x8D, "\0" ends the string. */
static gboolean
text_valid(JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT(node)) {
    JsonObjectIter it;
    const char *name;
    JsonNode *value;
    json_object_iter_init(&it, json_node_get_object(node));
    while (json_object_iter_next(&it, &name, &value))
      if (!g_utf8_validate(name, -1, NULL) || !text_valid(value))
        return FALSE;
  } else if (JSON_NODE_HOLDS_ARRAY(node)) {
    JsonArray *a = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(a); i++)
      if (!text_valid(json_array_get_element(a, i)))
        return FALSE;
  } else if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING) {
    return g_utf8_validate(json_node_get_string(node), -1, NULL);
  }
  return TRUE;
}

gboolean
wb_ingest_decode(WbIngest *in, JsonNode *node, const char *source, WbEvent *ev, GError **error)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
    g_set_error(error, WB_INGEST_ERROR, 0, "an event must be a JSON object");
    return FALSE;
  }
  if (!text_valid(node)) {
    g_set_error(error, WB_INGEST_ERROR, 0,
                "a string is not valid UTF-8 once unescaped (an escape that is not JSON?)");
    return FALSE;
  }
  JsonObject *o = json_node_get_object(node);
  const char *event_id = json_object_get_string_member_with_default(o, "event_id", NULL);
  const char *type_name = json_object_get_string_member_with_default(o, "type", NULL);
  if (event_id == NULL || *event_id == '\0' || strlen(event_id) > EVENT_ID_MAX) {
    g_set_error(error, WB_INGEST_ERROR, 0,
                "event_id: required, a string of 1 to %d bytes unique per source", EVENT_ID_MAX);
    return FALSE;
  }
  WbEventType type = wb_event_type_from_name(type_name);
  /* What only a collector can know (a restart, a resynchronisation) is
   * not for senders. */
  if (type == WB_EVENT_NONE || type == WB_EVENT_SOURCE_RESTART || type == WB_EVENT_SOURCE_SYNC) {
    const char *t = type_name != NULL ? type_name : "";
    g_autofree char *shown = g_utf8_make_valid(t, MIN(strlen(t), 40));
    g_set_error(error, WB_INGEST_ERROR, 0, "type: '%s' is not an event type", shown);
    return FALSE;
  }
  wb_event_init(ev, type);
  WB_EVENT_SET(ev, source, source, -1);
  ev->source_pos = event_pos(event_id);
  if (!decode_ts(in, json_object_get_member(o, "ts"), &ev->ts_ms, error))
    return FALSE;

  WbFieldSet seen = 0;
  JsonObjectIter it;
  const char *name;
  JsonNode *value;
  json_object_iter_init(&it, o);
  while (json_object_iter_next(&it, &name, &value)) {
    if (strcmp(name, "event_id") == 0 || strcmp(name, "type") == 0 || strcmp(name, "ts") == 0)
      continue;
    const WbEventField *f = wb_event_field_find(type, name);
    /* Only the English names on the wire: the Chinese ones are headers. */
    if (f == NULL || strcmp(f->name, name) != 0) {
      g_autofree char *shown = g_utf8_make_valid(name, MIN(strlen(name), 40));
      g_set_error(error, WB_INGEST_ERROR, 0, "%s: not a field of %s", shown, type_name);
      return FALSE;
    }
    if (!set_member(in, ev, f, value, &seen, error))
      return FALSE;
  }
  return wb_event_fields_check(ev, seen, error);
}

/* ---- a body of events ---- */

static void
reject(WbIngest *in, Source *s, const char *via, guint line, JsonNode *node, const char *text,
       gsize text_len, const char *why, WbIngestResult *out)
{
  /* json-glib's messages quote the text, escapes decoded: keep it UTF-8. */
  g_autofree char *valid = g_utf8_make_valid(why, -1);
  why = valid;
  WbIngestReject r = {.line = line, .error = g_strdup(why)};
  if (node != NULL && JSON_NODE_HOLDS_OBJECT(node)) {
    const char *id =
        json_object_get_string_member_with_default(json_node_get_object(node), "event_id", NULL);
    if (id != NULL)
      r.event_id = g_utf8_make_valid(id, MIN(strlen(id), EVENT_ID_MAX));
  }
  g_array_append_val(out->rejected, r);
  s->stats.quarantined++;

  g_autofree char *owned = NULL;
  if (text == NULL && node != NULL) {
    owned = json_to_string(node, FALSE);
    text = owned;
    text_len = strlen(owned);
  }
  WbQuarantined q = {
      .source = s->name,
      .file = via,
      .line_no = line,
      .reason = why,
      .line = text,
      .line_len = MIN(text_len, QUARANTINE_LINE_MAX),
      .ts_ms = g_get_real_time() / 1000,
  };
  in->sink->quarantine(in->sink, &q);
}

static void
one(WbIngest *in, Source *s, const char *via, guint line, JsonNode *node, const char *text,
    gsize text_len, WbIngestResult *out)
{
  g_autoptr(GError) error = NULL;
  WbEvent ev;

  s->stats.lines++;
  if (!wb_ingest_decode(in, node, s->name, &ev, &error)) {
    reject(in, s, via, line, node, text, text_len, error->message, out);
    return;
  }
  if (in->sink->event(in->sink, &ev)) {
    out->accepted++;
    s->stats.events++;
  } else {
    out->duplicates++;
    s->stats.duplicates++;
  }
  s->stats.last_event_ms = g_get_real_time() / 1000;
}

/* json-glib takes the first of several concatenated values and ignores
 * the rest; these find where a value ends, so nothing is dropped silently.
 * Returns the offset just after the first value of text, or -1 if the text
 * ends inside it. */
static gssize
json_value_end(const char *text, gsize len)
{
  gsize i = 0;
  int depth = 0;
  gboolean in_string = FALSE;

  while (i < len && g_ascii_isspace(text[i]))
    i++;
  if (i == len)
    return -1;
  if (text[i] != '{' && text[i] != '[' && text[i] != '"') {
    while (i < len && !g_ascii_isspace(text[i]) && text[i] != '{' && text[i] != '[')
      i++;
    return (gssize)i;
  }
  for (; i < len; i++) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"' && (in_string = FALSE, depth == 0))
        return (gssize)i + 1;
    } else if (c == '"') {
      in_string = TRUE;
    } else if (c == '{' || c == '[') {
      depth++;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return (gssize)i + 1;
    }
  }
  return -1;
}

static gboolean
blank(const char *text, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isspace(text[i]))
      return FALSE;
  return TRUE;
}

/* Parses text as exactly one JSON value. */
static JsonNode *
parse_one(const char *text, gsize len, char **why)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) error = NULL;
  gssize end = json_value_end(text, len);

  if (!json_parser_load_from_data(parser, text, (gssize)len, &error)) {
    /* "<data>:1:3: Parse error: …" -> "1:3: …" */
    const char *msg =
        g_str_has_prefix(error->message, "<data>:") ? error->message + 7 : error->message;
    *why = g_strdup_printf("not JSON: %s", msg);
    return NULL;
  }
  if (end > 0 && !blank(text + end, len - (gsize)end)) {
    *why = g_strdup("more than one JSON value (send one event per line)");
    return NULL;
  }
  /* json-glib takes white space alone as a document without a value. */
  JsonNode *root = json_parser_get_root(parser);
  if (root == NULL) {
    *why = g_strdup("no events in the body (one JSON object, an array, or NDJSON)");
    return NULL;
  }
  return json_node_copy(root);
}

static void
lines(WbIngest *in, Source *s, const char *via, const char *body, gsize len, WbIngestResult *out)
{
  const char *p = body, *end = body + len;
  guint line = 0;

  while (p < end) {
    const char *nl = memchr(p, '\n', end - p);
    const char *stop = nl != NULL ? nl : end;
    const char *text = p;
    gsize n = stop - p;
    line++;
    p = nl != NULL ? nl + 1 : end;
    if (blank(text, n)) {
      s->stats.blank++;
      continue;
    }
    g_autofree char *why = NULL;
    g_autoptr(JsonNode) node = parse_one(text, n, &why);
    if (node == NULL) {
      s->stats.lines++;
      reject(in, s, via, line, NULL, text, n, why, out);
      continue;
    }
    one(in, s, via, line, node, text, n, out);
  }
}

void
wb_ingest_body(WbIngest *in, const char *source, const char *via, const char *body, gsize len,
               WbIngestResult *out)
{
  Source *s = source_get(in, source);
  g_autofree char *why = NULL;

  s->stats.bytes += len;
  if (!g_utf8_validate_len(body, len, NULL)) {
    s->stats.lines++;
    reject(in, s, via, 1, NULL, body, len, "the body is not valid UTF-8", out);
    return;
  }
  gsize skip = 0;
  while (skip < len && g_ascii_isspace(body[skip]))
    skip++;
  const char *nl = memchr(body + skip, '\n', len - skip);
  gsize first_len = nl != NULL ? (gsize)(nl - body) : len;
  gssize first_end = json_value_end(body, first_len);

  /* An array of objects; one object spread over lines (its first line
   * does not close it); else NDJSON. */
  if (skip < len && body[skip] != '[' && first_end > 0) {
    lines(in, s, via, body, len, out);
    return;
  }
  g_autoptr(JsonNode) root = parse_one(body, len, &why);
  if (root == NULL) {
    s->stats.lines++;
    reject(in, s, via, 1, NULL, body, len, why, out);
    return;
  }
  if (JSON_NODE_HOLDS_ARRAY(root)) {
    JsonArray *a = json_node_get_array(root);
    for (guint i = 0; i < json_array_get_length(a); i++)
      one(in, s, via, i + 1, json_array_get_element(a, i), NULL, 0, out);
    return;
  }
  one(in, s, via, 1, root, body, len, out);
}

/* ---- the collector face ---- */

static WbIngest *
from_collector(WbCollector *c)
{
  return (WbIngest *)c;
}

static void
ingest_stop(WbCollector *c)
{
  (void)c;
}

static guint
ingest_n_sources(WbCollector *c)
{
  return from_collector(c)->sources->len;
}

static const char *
ingest_source(WbCollector *c, guint i)
{
  return ((Source *)g_ptr_array_index(from_collector(c)->sources, i))->name;
}

static void
ingest_stats(WbCollector *c, guint i, WbCollectorStats *out)
{
  *out = ((Source *)g_ptr_array_index(from_collector(c)->sources, i))->stats;
}

static gboolean
ingest_catching_up(WbCollector *c)
{
  (void)c;
  return FALSE;
}

static void
source_free(gpointer p)
{
  Source *s = p;
  g_free(s->name);
  g_free(s);
}

static void
ingest_free(WbCollector *c)
{
  WbIngest *in = from_collector(c);
  g_ptr_array_unref(in->sources);
  wb_agent_map_free(in->map);
  g_free(in);
}

static const WbCollectorOps ingest_ops = {
    .name = "ingest",
    .stop = ingest_stop,
    .n_sources = ingest_n_sources,
    .source = ingest_source,
    .stats = ingest_stats,
    .catching_up = ingest_catching_up,
    .free = ingest_free,
};

WbIngest *
wb_ingest_new(WbSink *sink, const WbClock *clock, GTimeZone *tz, WbAgentMap *map)
{
  WbIngest *in = g_new0(WbIngest, 1);
  in->collector.ops = &ingest_ops;
  in->sink = sink;
  in->clock = clock;
  in->tz = tz;
  in->map = map;
  in->sources = g_ptr_array_new_with_free_func(source_free);
  return in;
}

WbCollector *
wb_ingest_collector(WbIngest *in)
{
  return &in->collector;
}
