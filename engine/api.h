/* api.h: the REST routes and the JSON shapes (docs/protocol.md).
 *
 * Independent of libwebsockets: the server hands over method, path, query
 * and token and sends back the reply, so routes are testable on their own.
 */
#pragma once

#include <glib.h>

#include "engine/engine.h"
#include "engine/live.h"

G_BEGIN_DECLS

typedef struct {
  guint status;
  char *body; /* JSON */
} WbApiReply;

void wb_api_reply_clear(WbApiReply *reply);

/* Parses "a=1&b=x" fragments (already URL-decoded by the server) into a
 * name -> value table. A repeated name keeps its first value. */
GHashTable *wb_api_query_new(const char *const *fragments, gsize n);

void wb_api_handle(WbEngine *engine, const char *method, const char *path, GHashTable *query,
                   const char *token, WbApiReply *out);

G_END_DECLS
