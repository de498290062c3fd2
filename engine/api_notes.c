/* api_notes.c: /api/v1/notes, the handover notes and the incident log. */
#define G_LOG_DOMAIN "api"

#include "engine/api_notes.h"

#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

#include "engine/bus.h"
#include "engine/clock.h"
#include "engine/kpi_json.h"
#include "engine/store_private.h"

#define KIND_HANDOVER "handover"
#define KIND_INCIDENT "incident"
/* An incident's severity when the writer names none. */
#define SEVERITY_DEFAULT "warning"

/* The columns every answer shows, with the author's and the closer's
 * display names from the accounts (NULL for a name no longer there). */
#define NOTE_COLUMNS                                                                               \
  "SELECT n.id, n.kind, n.ts_ms, n.author, u.display_name, n.title, n.body, n.severity,"           \
  " n.closed_ms, n.closed_by, c.display_name"                                                      \
  " FROM notes n LEFT JOIN users u ON u.name = n.author LEFT JOIN users c ON c.name = n.closed_by"

/* The window's notes, and the incidents still open from before it: an
 * open incident stays in view, whatever its age, until someone closes it. */
static const char SQL_LIST[] =
    NOTE_COLUMNS " WHERE (?1 IS NULL OR n.kind = ?1) AND n.ts_ms < ?3"
                 " AND (n.ts_ms >= ?2 OR (n.kind = 'incident' AND n.closed_ms IS NULL))"
                 " ORDER BY n.ts_ms DESC, n.id DESC";
static const char SQL_ONE[] = NOTE_COLUMNS " WHERE n.id = ?1";
static const char SQL_ADD[] =
    "INSERT INTO notes (kind, ts_ms, author, title, body, severity) VALUES (?,?,?,?,?,?)";
static const char SQL_CLOSE[] =
    "UPDATE notes SET closed_ms = ?1, closed_by = ?2 WHERE id = ?3 AND closed_ms IS NULL";

static const char *const severities[] = {"info", "warning", "critical", NULL};

static gboolean
kind_valid(const char *kind)
{
  return g_strcmp0(kind, KIND_HANDOVER) == 0 || g_strcmp0(kind, KIND_INCIDENT) == 0;
}

static const char *
column_text(sqlite3_stmt *st, int i)
{
  return (const char *)sqlite3_column_text(st, i);
}

static gint64
column_ms(sqlite3_stmt *st, int i)
{
  return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

/* One row of NOTE_COLUMNS as a JSON object. */
static void
note_json(JsonBuilder *b, GTimeZone *tz, sqlite3_stmt *st)
{
  json_builder_begin_object(b);
  wb_kpi_json_int(b, "id", sqlite3_column_int64(st, 0));
  wb_kpi_json_string(b, "kind", column_text(st, 1));
  wb_kpi_json_time_twin(b, tz, "ts", sqlite3_column_int64(st, 2));
  wb_kpi_json_string(b, "author", column_text(st, 3));
  wb_kpi_json_string_or_null(b, "author_name", column_text(st, 4));
  wb_kpi_json_string_or_null(b, "title", column_text(st, 5));
  wb_kpi_json_string(b, "body", column_text(st, 6));
  wb_kpi_json_string_or_null(b, "severity", column_text(st, 7));
  wb_kpi_json_time_twin(b, tz, "closed", column_ms(st, 8));
  wb_kpi_json_string_or_null(b, "closed_by", column_text(st, 9));
  wb_kpi_json_string_or_null(b, "closed_by_name", column_text(st, 10));
  json_builder_end_object(b);
}

static void
reply_store_error(WbApiReply *out, const char *what)
{
  wb_api_reply_error(out, 503, "the note was not stored, send it again: %s failed", what);
}

/* Steps st (bound) and resets it, outside any batch: the batch of events
 * is committed first, so the statement commits on its own at once. */
static gboolean
run_now(WbEngine *e, sqlite3_stmt *st)
{
  g_autoptr(GError) error = NULL;
  if (!wb_bus_flush(e->bus, &error)) {
    g_warning("notes: the open batch did not commit: %s", error->message);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return FALSE;
  }
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    g_warning("notes: %s", sqlite3_errmsg(sqlite3_db_handle(st)));
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE;
}

/* 200 (or status) with the note id as stored; 404 when there is none. */
static void
reply_note(WbEngine *e, gint64 id, guint status, WbApiReply *out)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *st = wb_store_statement(e->store, SQL_ONE, &error);
  if (st == NULL) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  sqlite3_bind_int64(st, 1, id);
  if (sqlite3_step(st) != SQLITE_ROW) {
    sqlite3_reset(st);
    wb_api_reply_error(out, 404, "no such note: %" G_GINT64_FORMAT, id);
    return;
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  note_json(b, e->tz, st);
  sqlite3_reset(st);
  wb_api_reply_json(out, b);
  out->status = status;
}

/* ---- GET /api/v1/notes ---- */

void
wb_api_notes_list(WbEngine *e, GHashTable *query, WbApiReply *out)
{
  gint64 now = wb_clock_now_ms(&e->clock);
  const char *kind = g_hash_table_lookup(query, "kind");
  gint64 from, to;
  g_autoptr(GError) error = NULL;

  if (kind != NULL && *kind == '\0')
    kind = NULL;
  if (kind != NULL && !kind_valid(kind)) {
    wb_api_reply_error(out, 400, "kind: expected handover or incident, got '%s'", kind);
    return;
  }
  /* By default today and the six days before it. */
  if (!wb_api_param_time(e, query, "from", wb_day_start_ms(e->tz, now - 6 * 86400000LL), &from,
                         out) ||
      !wb_api_param_time(e, query, "to", wb_day_end_ms(e->tz, now), &to, out))
    return;
  if (from >= to) {
    wb_api_reply_error(out, 400, "from must be earlier than to");
    return;
  }
  if (to - from > WB_NOTES_WINDOW_MAX_DAYS * 86400000LL) {
    wb_api_reply_error(out, 400, "to: at most %d days after from", WB_NOTES_WINDOW_MAX_DAYS);
    return;
  }
  sqlite3_stmt *st = wb_store_statement(e->store, SQL_LIST, &error);
  if (st == NULL) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  wb_store_bind_text(st, 1, kind);
  sqlite3_bind_int64(st, 2, from);
  sqlite3_bind_int64(st, 3, to);

  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  wb_kpi_json_string_or_null(b, "kind", kind);
  wb_kpi_json_time_twin(b, e->tz, "from", from);
  wb_kpi_json_time_twin(b, e->tz, "to", to);
  json_builder_set_member_name(b, "notes");
  json_builder_begin_array(b);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    note_json(b, e->tz, st);
  json_builder_end_array(b);
  json_builder_end_object(b);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) {
    wb_api_reply_error(out, 500, "notes: %s", sqlite3_errmsg(sqlite3_db_handle(st)));
    return;
  }
  wb_api_reply_json(out, b);
}

/* ---- POST /api/v1/notes ---- */

/* The caller's name, or a 403: a note has an author, a token has none. */
static gboolean
named_caller(const WbApiCaller *caller, WbApiReply *out)
{
  if (caller == NULL || caller->user == NULL || *caller->user == '\0') {
    wb_api_reply_error(out, 403,
                       "a note needs a named user: log in as a person, a program's token has no "
                       "name");
    return FALSE;
  }
  return TRUE;
}

static gboolean
length_ok(const char *name, const char *text, glong max, WbApiReply *out)
{
  if (text != NULL && g_utf8_strlen(text, -1) > max) {
    wb_api_reply_error(out, 400, "%s: at most %ld characters", name, max);
    return FALSE;
  }
  return TRUE;
}

void
wb_api_notes_add(WbEngine *e, const WbApiRequest *req, const WbApiCaller *caller, WbApiReply *out)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;
  g_autofree char *kind = NULL, *title = NULL, *body = NULL, *severity = NULL;

  if (!named_caller(caller, out))
    return;
  if (req->body == NULL || req->body_len == 0 ||
      !json_parser_load_from_data(parser, req->body, (gssize)req->body_len, &error) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
    wb_api_reply_error(out, 400,
                       "expected a JSON object {\"kind\",\"title\",\"body\",\"severity\"}");
    return;
  }
  JsonObject *o = json_node_get_object(json_parser_get_root(parser));
  if (!wb_api_member_string(o, "kind", &kind, out) ||
      !wb_api_member_string(o, "title", &title, out) ||
      !wb_api_member_string(o, "body", &body, out) ||
      !wb_api_member_string(o, "severity", &severity, out))
    return;
  if (!kind_valid(kind)) {
    wb_api_reply_error(out, 400, "kind: expected handover or incident, got '%s'",
                       kind != NULL ? kind : "");
    return;
  }
  if (body == NULL || *body == '\0') {
    wb_api_reply_error(out, 400, "body: the note's text is missing");
    return;
  }
  if (!length_ok("body", body, WB_NOTES_BODY_MAX, out) ||
      !length_ok("title", title, WB_NOTES_TITLE_MAX, out))
    return;
  if (severity != NULL && *severity == '\0')
    g_clear_pointer(&severity, g_free);
  if (strcmp(kind, KIND_HANDOVER) == 0 && severity != NULL) {
    wb_api_reply_error(out, 400, "severity: only an incident has one");
    return;
  }
  if (strcmp(kind, KIND_INCIDENT) == 0) {
    if (severity == NULL)
      severity = g_strdup(SEVERITY_DEFAULT);
    if (!g_strv_contains(severities, severity)) {
      wb_api_reply_error(out, 400, "severity: expected info, warning or critical, got '%s'",
                         severity);
      return;
    }
  }

  sqlite3_stmt *st = wb_store_statement(e->store, SQL_ADD, &error);
  if (st == NULL) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, wb_clock_now_ms(&e->clock));
  sqlite3_bind_text(st, 3, caller->user, -1, SQLITE_TRANSIENT);
  wb_store_bind_text(st, 4, title);
  sqlite3_bind_text(st, 5, body, -1, SQLITE_TRANSIENT);
  wb_store_bind_text(st, 6, severity);
  if (!run_now(e, st)) {
    reply_store_error(out, "insert");
    return;
  }
  gint64 id = sqlite3_last_insert_rowid(sqlite3_db_handle(st));
  g_info("note %" G_GINT64_FORMAT " (%s) by %s", id, kind, caller->user);
  reply_note(e, id, 201, out);
}

/* ---- POST /api/v1/notes/ID/close ---- */

void
wb_api_notes_close(WbEngine *e, const WbApiRequest *req, const WbApiCaller *caller, WbApiReply *out)
{
  g_autoptr(GError) error = NULL;
  gint64 id = wb_api_path_id(req->path, "/api/v1/notes/");

  if (!named_caller(caller, out))
    return;
  if (id < 0) {
    wb_api_reply_error(out, 404, "no such note: %s", req->path);
    return;
  }
  sqlite3_stmt *one = wb_store_statement(e->store, SQL_ONE, &error);
  sqlite3_stmt *close = wb_store_statement(e->store, SQL_CLOSE, &error);
  if (one == NULL || close == NULL) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  sqlite3_bind_int64(one, 1, id);
  if (sqlite3_step(one) != SQLITE_ROW) {
    sqlite3_reset(one);
    wb_api_reply_error(out, 404, "no such note: %" G_GINT64_FORMAT, id);
    return;
  }
  g_autofree char *kind = g_strdup(column_text(one, 1));
  gint64 closed_ms = column_ms(one, 8);
  g_autofree char *closed_by = g_strdup(column_text(one, 9));
  sqlite3_reset(one);
  if (strcmp(kind, KIND_INCIDENT) != 0) {
    wb_api_reply_error(
        out, 400, "note %" G_GINT64_FORMAT " is a %s note: only an incident is closed", id, kind);
    return;
  }
  if (closed_ms >= 0) {
    g_autofree char *when = wb_time_format(e->tz, closed_ms);
    wb_api_reply_error(out, 409, "incident %" G_GINT64_FORMAT " was closed by %s at %s", id,
                       closed_by != NULL ? closed_by : "?", when);
    return;
  }
  sqlite3_bind_int64(close, 1, wb_clock_now_ms(&e->clock));
  sqlite3_bind_text(close, 2, caller->user, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(close, 3, id);
  if (!run_now(e, close)) {
    reply_store_error(out, "update");
    return;
  }
  g_info("incident %" G_GINT64_FORMAT " closed by %s", id, caller->user);
  reply_note(e, id, 200, out);
}
