/* live.h: the live model: calls, queues and agents now.
 *
 * Fed with events in the order they were stored, it keeps every call's
 * queue entries (the `calls` rows, which it hands to a sink as they change)
 * and every agent's state. Views of today are computed from the kept calls
 * with the KPI module, so the wallboard and the REST API agree.
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

typedef enum {
  WB_AGENT_OFFLINE = 0,
  WB_AGENT_AVAILABLE,
  WB_AGENT_RINGING,
  WB_AGENT_ON_CALL,
  WB_AGENT_ACW,
  WB_AGENT_PAUSED,
  WB_AGENT_STATE_COUNT
} WbAgentState;

const char *wb_agent_state_name(WbAgentState state);
const char *wb_agent_state_label_zh(WbAgentState state);
const char *wb_agent_state_label_en(WbAgentState state);

typedef struct WbLive WbLive;

/* Receives each `calls` row whenever it changes. */
typedef void (*WbLiveCallFunc)(const WbCallRecord *call, gpointer user_data);

typedef struct {
  guint64 applied;
  guint64 orphans;    /* events of calls never seen entering a queue */
  guint64 duplicates; /* events that repeat what the model already knows */
} WbLiveStats;

/* cfg, tz and clock are borrowed and must outlive the model; clock NULL is
 * the system's real time. The model prunes itself every
 * WB_LIVE_PRUNE_EVERY events, so a backfill of millions of calls keeps
 * memory flat. */
#define WB_LIVE_PRUNE_EVERY 100000
WbLive *wb_live_new(const WbConfig *cfg, GTimeZone *tz, const WbClock *clock);
void wb_live_free(WbLive *live);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbLive, wb_live_free)

void wb_live_set_call_func(WbLive *live, WbLiveCallFunc func, gpointer user_data);
void wb_live_apply(WbLive *live, const WbEvent *ev);
/* Drops ended calls that entered before yesterday's midnight. */
void wb_live_prune(WbLive *live, gint64 now_ms);
/* Grows with every change, so publishers can skip unchanged views. */
guint64 wb_live_version(WbLive *live);
void wb_live_stats(WbLive *live, WbLiveStats *out);

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
void wb_live_view_free(WbLiveView *view);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbLiveView, wb_live_view_free)

G_END_DECLS
