/* ingest_ws.h: WebSocket protocol ingest.v1, a continuous feed of events
 * (docs/protocol.md).
 *
 * The sender authenticates with its ingest key (Authorization: Bearer at
 * the handshake, or a first message {"op":"hello","token":KEY}), then sends
 * text messages, each a body as POST /api/v1/events takes. Every message is
 * committed, then answered in order with {"t":"result","seq":n,…}. A
 * sender that does not read its answers is stopped from sending (flow
 * control), so memory per connection stays bounded.
 */
#pragma once

#include <libwebsockets.h>

#include "engine/engine.h"

G_BEGIN_DECLS

/* Fills the lws protocol entry for ingest.v1; engine is borrowed. */
void wb_ingest_ws_protocol(WbEngine *engine, struct lws_protocols *out);

G_END_DECLS
