/* live.h: the live model: calls, queues and agents now.
 *
 * Fed with events in the order they were stored, it keeps every call's
 * queue entries (the `calls` rows) and every agent's state, and tells a
 * listener what changed: a `calls` row (before and after, so aggregates can
 * take the old version out and put the new one in), an agent state that
 * ended (an `agent_states` row), a ring that went unanswered. Views of today
 * are computed from the kept calls with the KPI module, so the wallboard
 * and the REST API agree.
 *
 * It tolerates what real queue_log files hold: events of calls it never saw
 * enter (counted as orphans), repeated lines (duplicates), timestamps that go
 * backwards (each call is keyed by its id, never by time).
 */
#pragma once

#include <glib.h>

#include "engine/clock.h"
#include "engine/config.h"
#include "engine/event.h"
#include "engine/kpi.h"

G_BEGIN_DECLS

typedef struct WbLive WbLive;

/* A `calls` row changed. The merged records are the call's total-scope
 * record (wb_call_merge) before and after; *_before are NULL for a new
 * entry or a new call. */
typedef struct {
  const WbCallRecord *entry_before;
  const WbCallRecord *entry_after;
  const WbCallRecord *merged_before;
  const WbCallRecord *merged_after;
} WbCallChange;

/* A period an agent spent in one state: a row of `agent_states`. */
typedef struct {
  const char *agent;
  WbAgentState state;
  const char *reason; /* the pause reason for paused and acw, else "" */
  gint64 start_ms;
  gint64 end_ms;
} WbAgentSpan;

typedef struct {
  void (*call_changed)(const WbCallChange *change, gpointer user_data);
  void (*agent_span)(const WbAgentSpan *span, gpointer user_data);
  void (*ring_noanswer)(const char *agent, const char *queue, gint64 ts_ms, gpointer user_data);
} WbLiveListener;

typedef struct {
  guint64 applied;
  guint64 orphans;    /* events of calls never seen entering a queue */
  guint64 duplicates; /* events that repeat what the model already knows */
} WbLiveStats;

/* cfg and tz are borrowed and must outlive the model. The model prunes itself every
 * WB_LIVE_PRUNE_EVERY events, so a backfill of millions of calls keeps
 * memory flat. It keeps ended calls for WB_LIVE_KEEP_MS of data time. */
#define WB_LIVE_PRUNE_EVERY 100000
#define WB_LIVE_KEEP_MS (50 * 3600 * 1000LL)
WbLive *wb_live_new(const WbConfig *cfg, GTimeZone *tz);
void wb_live_free(WbLive *live);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbLive, wb_live_free)

/* listener is copied; NULL removes it. */
void wb_live_set_listener(WbLive *live, const WbLiveListener *listener, gpointer user_data);
void wb_live_apply(WbLive *live, const WbEvent *ev);
/* Drops calls ended WB_LIVE_KEEP_MS before the newest event (open ones
 * after a week) and callers not heard from for a day. */
void wb_live_prune(WbLive *live);
/* Grows with every change, so publishers can skip unchanged views. */
guint64 wb_live_version(WbLive *live);
void wb_live_stats(WbLive *live, WbLiveStats *out);

/* The state each agent is in now, as a span ending at now_ms (agents whose
 * state began before anything was seen are left out). */
typedef void (*WbLiveSpanFunc)(const WbAgentSpan *span, gpointer user_data);
void wb_live_foreach_open_span(WbLive *live, gint64 now_ms, WbLiveSpanFunc func,
                               gpointer user_data);

typedef struct {
  char queue[WB_EVENT_ID_MAX]; /* "" for the total */
  const char *name;
  WbKpi kpi;
  gint waiting;
  gdouble longest_wait_s; /* 0 when nobody waits */
} WbQueueView;

typedef struct {
  char agent[WB_EVENT_ID_MAX];
  const char *name;
  WbAgentState state;
  char reason[WB_EVENT_TEXT_MAX];
  gint64 since_ms;
  gint calls;        /* answered today */
  gdouble aht_s;     /* NAN without handled calls */
  GPtrArray *queues; /* const char*, queues logged in */
} WbAgentView;

typedef struct {
  gint64 now_ms;
  gint64 from_ms; /* today: local midnight */
  gint64 to_ms;   /* the next midnight */
  WbQueueView total;
  GArray *queues; /* WbQueueView */
  GArray *agents; /* WbAgentView */
  guint agents_by_state[WB_AGENT_STATE_COUNT];
} WbLiveView;

WbLiveView *wb_live_view(WbLive *live, gint64 now_ms);
/* The same with the KPIs of the calls that entered in [from_ms, to_ms)
 * instead of today's (the alerts' last 15 minutes); waiting and states
 * are those of now_ms. Only the calls the model keeps count. */
WbLiveView *wb_live_view_window(WbLive *live, gint64 now_ms, gint64 from_ms, gint64 to_ms);
void wb_live_view_free(WbLiveView *view);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbLiveView, wb_live_view_free)

G_END_DECLS
