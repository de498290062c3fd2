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

/* A client's message, read but not yet judged (tokens, roles and whether
 * a topic may be read are the session's business). */
typedef enum { WB_CLIENT_HELLO, WB_CLIENT_ACK } WbClientOp;

typedef struct {
  WbClientOp op;
  char *token;         /* hello: the token, "" when none */
  GArray *topics;      /* hello: gint WbTopicId per name given, -1 unknown */
  char *unknown_topic; /* hello: the first unknown name (valid UTF-8, cut), or NULL */
  gint64 alert;        /* ack: the alert id, 0 when it is not one */
} WbClientMessage;

/* Reads {"op":"hello",…} or {"op":"ack",…}. FALSE, with *error the reason
 * the session sends back, when it is not JSON, not an object or no known
 * op. */
gboolean wb_topics_parse_client(const char *text, gsize len, WbClientMessage *out, char **error);
void wb_client_message_clear(WbClientMessage *m);

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

/* For /metrics. A topic keeps one latest frame, never a queue: a session
 * behind gets the newest and skips the rest, so there is no depth to
 * report beyond who reads what and how often it changed. */
typedef struct {
  guint sessions;                    /* WebSocket sessions open */
  guint subscribers[WB_TOPIC_COUNT]; /* sessions whose hello named the topic */
  guint64 updates[WB_TOPIC_COUNT];   /* frames built since the start */
} WbTopicsStats;
void wb_topics_stats(WbTopics *topics, WbTopicsStats *out);

G_END_DECLS
