/* live_json.h: the live object of /api/v1/live and of the WebSocket topics
 * `wallboard` and `agents` (docs/protocol.md). */
#pragma once

#include "engine/engine.h"
#include "engine/live.h"

G_BEGIN_DECLS

typedef enum {
  WB_LIVE_JSON_ALL,
  WB_LIVE_JSON_WALLBOARD, /* without agents */
  WB_LIVE_JSON_AGENTS,    /* the header and agents only */
} WbLiveJsonPart;

char *wb_live_json(WbEngine *engine, const WbLiveView *view, WbLiveJsonPart part);

G_END_DECLS
