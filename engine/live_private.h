/* live_private.h: the live model's state, shared by live.c (the model) and
 * live_view.c (its views). Not a public contract. */
#pragma once

#include "engine/live.h"

/* A call "waiting" for longer than this lost its exit line (a crash of the
 * phone system without QUEUESTART): it is not shown as waiting now. */
#define WB_LIVE_STALE_WAIT_MS (12 * 3600 * 1000LL)

typedef struct {
  char call_id[WB_EVENT_ID_MAX];
  const char *source; /* interned: a restart of that source ends the call */
  GArray *entries;    /* WbCallRecord, by seq */
  gint64 first_enqueue_ms;
  /* gint64 per entry: the ts of the last source.sync that said it still
   * waits (a sweep at another ts is another round); NULL until one does. */
  GArray *synced_ms;
} LiveCall;

typedef struct {
  char key[WB_EVENT_ID_MAX];
  GHashTable *queues;  /* interned queue names logged in */
  gboolean all_queues; /* logged in without a queue (AGENTLOGIN) */
  gboolean implicit;   /* never logged in, but took calls: a static member */
  gboolean paused;
  gboolean wrapup;                /* the pause reason counts as after-call work */
  char reason[WB_EVENT_TEXT_MAX]; /* pause reason now */
  WbAgentState state;
  char state_reason[WB_EVENT_TEXT_MAX]; /* reason of the current state */
  gint64 since_ms;                      /* 0: state not known to have begun */
  /* The call being talked on, the last one ended, and the one whose
   * after-call work is running. */
  char call_id[WB_EVENT_ID_MAX];
  gint32 call_seq;
  char last_call_id[WB_EVENT_ID_MAX];
  gint32 last_call_seq;
  gboolean last_call_acw_done;
  char acw_call_id[WB_EVENT_ID_MAX];
  gint32 acw_call_seq;
  gint64 acw_start_ms;
} LiveAgent;

struct WbLive {
  const WbConfig *cfg;
  GTimeZone *tz;
  guint64 since_prune;
  GHashTable *calls;   /* call_id -> LiveCall* */
  GHashTable *agents;  /* key -> LiveAgent* */
  GHashTable *callers; /* caller hash -> GArray of gint64 first-entry times */
  gint64 latest_ts_ms; /* newest event time seen, for pruning callers */
  WbLiveListener listener;
  gpointer listener_data;
  guint64 version;
  WbLiveStats stats;
};
