/* api.h: the REST routes and the JSON shapes (docs/protocol.md).
 *
 * Independent of libwebsockets: the server hands over method, path, query
 * and token and sends back the reply, so routes are testable on their own.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "engine/auth.h"
#include "engine/engine.h"
#include "engine/live.h"

G_BEGIN_DECLS

typedef struct WbApiLater WbApiLater;

typedef struct {
  guint status;
  char *body;       /* JSON, or a file's bytes when content_type is set */
  char *set_cookie; /* a Set-Cookie header's value, or NULL */
  /* A file (a report's download): its type, its length (body need not
   * end in NUL) and a Content-Disposition value, or NULL. */
  const char *content_type; /* static; NULL: JSON */
  gsize body_len;
  char *disposition;
  /* Set by a route whose answer comes later (work off the main loop):
   * the rest of the reply is then empty. */
  WbApiLater *later;
} WbApiReply;

/* Frees the reply's parts; a later answer still due is dropped. */
void wb_api_reply_clear(WbApiReply *reply);

/* An answer that comes later. The route calls wb_api_later_new (which sets
 * out->later) and, on the main loop once its work is done, answers with
 * wb_api_later_answer exactly once. The server calls wb_api_later_wait,
 * or wb_api_later_drop when the client has gone; func then never runs.
 * func may take the reply's parts (setting them NULL). */
typedef void (*WbApiLaterFunc)(WbApiReply *reply, gpointer data);

WbApiLater *wb_api_later_new(WbApiReply *out);
void wb_api_later_answer(WbApiLater *later, WbApiReply *reply);
void wb_api_later_wait(WbApiLater *later, WbApiLaterFunc func, gpointer data);
void wb_api_later_drop(WbApiLater *later);
/* A JSON error {"error": message} with status; the message is made valid
 * UTF-8 (parameters echo what the client sent). */
void wb_api_reply_error(WbApiReply *out, guint status, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* 200 with the builder's JSON. */
void wb_api_reply_json(WbApiReply *out, JsonBuilder *b);
/* The time parameter name of query (ISO-8601, a date, epoch ms) into *out,
 * def when absent or empty; FALSE after a 400 naming it. */
gboolean wb_api_param_time(WbEngine *e, GHashTable *query, const char *name, gint64 def,
                           gint64 *out, WbApiReply *reply);

/* Member name of a request body's object as a stripped copy, NULL when
 * absent or null; FALSE after a 400 naming it when it is not a string. */
gboolean wb_api_member_string(JsonObject *o, const char *name, char **value, WbApiReply *out);
/* The positive integer ID of a path PREFIX/ID/…, or -1 (not one). */
gint64 wb_api_path_id(const char *path, const char *prefix);

/* Parses "a=1&b=x" fragments (already URL-decoded by the server) into a
 * name -> value table. A repeated name keeps its first value. */
GHashTable *wb_api_query_new(const char *const *fragments, gsize n);

typedef struct {
  const char *method;
  const char *path;
  GHashTable *query;
  const char *token; /* Authorization: Bearer, or ?token= */
  const char *body;  /* NULL when the request has none */
  gsize body_len;
  const char *session; /* the session cookie's value, or NULL */
  const char *remote;  /* the client's address, for the audit trail */
} WbApiRequest;

/* Who asks: filled by wb_api_handle from the token or the session before a
 * route runs, for the routes that act in someone's name (acknowledging
 * an alert, writing a note). user is NULL for a token. */
typedef struct {
  WbRole role;
  const char *user;
} WbApiCaller;

void wb_api_handle(WbEngine *engine, const WbApiRequest *req, WbApiReply *out);

/* The reply to a batch of ingested events (POST /api/v1/events, and the
 * ingest.v1 WebSocket): commits it first, so what it calls accepted is
 * stored. Sets status 200, 400 (nothing accepted) or 503 (store failed).
 * A WebSocket's reply (seq >= 0) also carries "t" ("result" or "error")
 * and the message's "seq". */
void wb_api_ingest_reply(WbEngine *engine, const WbIngestResult *result, gint64 seq,
                         WbApiReply *out);

G_END_DECLS
