/* event.h: the event model (DESIGN.md section 3).
 *
 * Everything that happens is a WbEvent. Collectors turn a source into events;
 * the engine is a pure function of the event stream plus configuration. An
 * event is a plain value: fixed-size fields, no heap pointers, so it can be
 * copied, batched and replayed without ownership questions.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WB_EVENT_ID_MAX 64    /* call ids, queue names, agent keys */
#define WB_EVENT_TEXT_MAX 128 /* reasons, transfer targets */
#define WB_EVENT_SOURCE_MAX 256
#define WB_CALLER_HASH_MAX 33 /* 32 hex digits + NUL */
#define WB_CALLER_MASK_MAX 32
#define WB_CALLER_RAW_MAX 64

typedef enum {
  WB_EVENT_NONE = 0,
  WB_EVENT_CALL_ENQUEUE,
  WB_EVENT_CALL_RING_NOANSWER,
  WB_EVENT_CALL_ANSWER,
  WB_EVENT_CALL_END,
  WB_EVENT_CALL_ABANDON,
  WB_EVENT_CALL_TRANSFER,
  WB_EVENT_AGENT_LOGIN,
  WB_EVENT_AGENT_LOGOUT,
  WB_EVENT_AGENT_PAUSE,
  WB_EVENT_AGENT_UNPAUSE,
  /* The phone system (re)started: calls it had in progress are gone.
   * Not in DESIGN.md's table; queue_log's QUEUESTART needs it. */
  WB_EVENT_SOURCE_RESTART,
  WB_EVENT_TYPE_COUNT
} WbEventType;

/* Why a caller left the queue without an agent (call.abandon reason). */
typedef enum {
  WB_ABANDON_ABANDON = 0, /* hung up while waiting */
  WB_ABANDON_TIMEOUT,     /* queue timeout */
  WB_ABANDON_EMPTY,       /* no agents logged in (leaveempty) */
  WB_ABANDON_KEY,         /* left by pressing a key */
  WB_ABANDON_WITHDRAW,    /* withdrawn by the manager interface */
  WB_ABANDON_REASON_COUNT
} WbAbandonReason;

/* Who ended a connected call (call.end ended_by). */
typedef enum {
  WB_ENDED_BY_CALLER = 0,
  WB_ENDED_BY_AGENT,
  WB_ENDED_BY_TRANSFER,
  WB_ENDED_BY_SYSTEM, /* the phone system restarted mid-call */
  WB_ENDED_BY_COUNT
} WbEndedBy;

typedef struct {
  gint64 ts_ms; /* UTC epoch milliseconds, from the source */
  WbEventType type;
  char source[WB_EVENT_SOURCE_MAX]; /* collector instance */
  gint64 source_pos;                /* what makes ingest idempotent, unique per source */

  char call_id[WB_EVENT_ID_MAX];
  char queue[WB_EVENT_ID_MAX];
  char agent[WB_EVENT_ID_MAX]; /* canonical agent key */

  /* The caller number never travels further than the bus: collectors fill
   * caller_raw, the bus replaces it by caller_hash + caller_mask and wipes it. */
  char caller_raw[WB_CALLER_RAW_MAX];
  char caller_hash[WB_CALLER_HASH_MAX];
  char caller_mask[WB_CALLER_MASK_MAX];

  gint32 position;
  gint64 wait_ms;
  gint64 ring_ms;
  gint64 talk_ms;
  WbAbandonReason abandon_reason;
  WbEndedBy ended_by;
  char reason[WB_EVENT_TEXT_MAX]; /* pause reason */
  char target[WB_EVENT_TEXT_MAX]; /* transfer target */
} WbEvent;

/* Names used in storage, JSON and docs ("call.enqueue", …). */
const char *wb_event_type_name(WbEventType type);
WbEventType wb_event_type_from_name(const char *name);
const char *wb_abandon_reason_name(WbAbandonReason reason);
WbAbandonReason wb_abandon_reason_from_name(const char *name);
const char *wb_ended_by_name(WbEndedBy ended_by);
WbEndedBy wb_ended_by_from_name(const char *name);

/* Reset to an empty event of the given type. */
void wb_event_init(WbEvent *ev, WbEventType type);

/* Copy a string into a fixed field, truncating on a UTF-8 boundary. */
void wb_event_set_str(char *field, gsize field_size, const char *value, gssize len);
#define WB_EVENT_SET(ev, field, value, len)                                                        \
  wb_event_set_str((ev)->field, sizeof((ev)->field), (value), (len))

/* Caller-number protection: a keyed hash (same number, same hash, for
 * repeat-call rates) and a masked form for display ("138****5678"). */
void wb_caller_mask(const char *raw, char *out, gsize out_size);
void wb_caller_hash(const guint8 *key, gsize key_len, const char *raw, char *out, gsize out_size);

G_END_DECLS
