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
  /* What the phone system has waiting now, told after a gap in which its
   * events were not received (AMI does not replay them): one per caller
   * still waiting (call_id, queue: "this call still waits"), then one with
   * an empty call_id, the sweep: every call of the source still waiting
   * that entered before ts and was not confirmed at that same ts ends at
   * ts as lost (its exit is unknown). Calls in talk are left as they are.
   * Not in DESIGN.md's table; AMI's QueueStatus after a login needs it. */
  WB_EVENT_SOURCE_SYNC,
  WB_EVENT_CALL_CLASSIFY,
  WB_EVENT_CALL_SURVEY,
  WB_EVENT_ACD_SNAPSHOT,
  WB_EVENT_STAFF_PUNCH,
  WB_EVENT_ROSTER_SHIFT,
  WB_EVENT_STAFF_RECORD,
  WB_EVENT_TRAINING_RECORD,
  WB_EVENT_EXAM_RECORD,
  WB_EVENT_QA_SCORE,
  WB_EVENT_WORKORDER_OPEN,
  WB_EVENT_WORKORDER_UPDATE,
  WB_EVENT_WORKORDER_CLOSE,
  WB_EVENT_COMPLAINT_OPEN,
  WB_EVENT_COMPLAINT_CLOSE,
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

  /* The floor's other records (DESIGN.md section 3). `agent` is the staff
   * key; the fields below mean, per type:
   *   call.classify     call_id, category, kind = request type, origin = channel
   *   call.survey       call_id, value = satisfaction score
   *   acd.snapshot      queue, position = calls waiting, wait_ms = longest
   *                     wait, count_a = logged in, count_b = available
   *   staff.punch       agent, origin = direction (in, out, unknown), device
   *   roster.shift      agent, start_ms, end_ms, role, kind = shift template
   *   staff.record      agent, name, role, status (active, leave, left,
   *                     reserve), start_ms = hired, end_ms = left (0: not)
   *   training.record   agent, start_ms = date, kind, value = hours
   *   exam.record       agent, start_ms = date, kind = area, value = score
   *   qa.score          agent, call_id, value = score, device = inspector
   *   workorder.*       id, origin (12345_province, 12345_city, direct),
   *                     category, end_ms = due, status
   *   complaint.*       id, agent, category
   */
  char id[WB_EVENT_ID_MAX];
  char name[WB_EVENT_ID_MAX];
  char role[32];
  char status[32];
  char kind[WB_EVENT_ID_MAX];
  char category[WB_EVENT_ID_MAX];
  char origin[32];
  char device[WB_EVENT_ID_MAX];
  gint64 start_ms;
  gint64 end_ms;
  gdouble value;
  gint32 count_a;
  gint32 count_b;
} WbEvent;

/* Names used in storage, JSON and docs ("call.enqueue", …). */
const char *wb_event_type_name(WbEventType type);
WbEventType wb_event_type_from_name(const char *name);
const char *wb_abandon_reason_name(WbAbandonReason reason);
WbAbandonReason wb_abandon_reason_from_name(const char *name);
const char *wb_ended_by_name(WbEndedBy ended_by);
WbEndedBy wb_ended_by_from_name(const char *name);

/* TRUE for the floor's other records (call.classify and after): they go
 * to their tables (engine/records.c), not to the live call model. */
static inline gboolean
wb_event_is_record(WbEventType type)
{
  return type >= WB_EVENT_CALL_CLASSIFY && type < WB_EVENT_TYPE_COUNT;
}

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
