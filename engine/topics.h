/* topics.h: WebSocket protocol wallboard.v1 (docs/protocol.md).
 *
 * Each topic is one versioned, latest-wins frame, rebuilt at most every
 * update_ms from the live model. A session remembers the version it last
 * sent per topic; when the socket can take more it gets the newest frame,
 * so a slow client skips states and memory per session stays bounded.
 */
#pragma once

#include <libwebsockets.h>

#include "engine/engine.h"

G_BEGIN_DECLS

typedef enum {
  WB_TOPIC_WALLBOARD = 0,
  WB_TOPIC_AGENTS,
  WB_TOPIC_STAFFING,
  WB_TOPIC_ALERTS,
  WB_TOPIC_COUNT
} WbTopicId;

const char *wb_topic_name(WbTopicId id);

typedef struct WbTopics WbTopics;

WbTopics *wb_topics_new(WbEngine *engine);
void wb_topics_free(WbTopics *topics);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbTopics, wb_topics_free)

/* Fills the lws protocol entry for wallboard.v1; its user pointer is the
 * topics object. */
void wb_topics_protocol(WbTopics *topics, struct lws_protocols *out);
/* Starts the rebuild and heartbeat timers for this context. */
void wb_topics_start(WbTopics *topics, struct lws_context *context);
void wb_topics_stop(WbTopics *topics);
/* Rebuilds topics whose content changed; returns how many changed. */
guint wb_topics_refresh(WbTopics *topics, gboolean force);
guint wb_topics_sessions(WbTopics *topics);

G_END_DECLS
