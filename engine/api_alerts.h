/* api_alerts.h: alerts in the REST API (docs/protocol.md, docs/alerts.md).
 * engine/api.c routes and checks the role (supervisor and up); these read
 * the `alerts` table and acknowledge.
 *
 *   GET  /api/v1/alerts?from=&to=&state=all|open   newest first
 *   POST /api/v1/alerts/ID/ack                     acknowledged by the caller
 *
 * Acknowledging needs a named user (a logged-in person): the audit trail
 * records who. A program's token gets 403.
 */
#pragma once

#include <glib.h>

#include "engine/api.h"
#include "engine/engine.h"

G_BEGIN_DECLS

void wb_api_alerts_list(WbEngine *e, GHashTable *query, WbApiReply *out);
/* req->path is /api/v1/alerts/ID/ack. */
void wb_api_alerts_ack(WbEngine *e, const WbApiRequest *req, const WbApiCaller *caller,
                       WbApiReply *out);
/* The same acknowledgement for the WebSocket's {"op":"ack"} and the REST
 * route: status 200, 403, 404, 409 or 500 with out's body. */
void wb_api_alerts_ack_id(WbEngine *e, gint64 id, const char *user, const char *remote,
                          WbApiReply *out);

G_END_DECLS
