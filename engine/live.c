/* live.c: calls, queues and agents now: the model. Views are in
 * live_view.c. */
#define G_LOG_DOMAIN "live"

#include <string.h>

#include "engine/live_private.h"

/* Earlier calls remembered per caller, for repeat-call rates. */
#define CALLER_HISTORY 8

static void
call_free(gpointer p)
{
  LiveCall *c = p;
  g_array_unref(c->entries);
  if (c->synced_ms != NULL)
    g_array_unref(c->synced_ms);
  g_free(c);
}

static void
agent_free(gpointer p)
{
  LiveAgent *a = p;
  g_hash_table_unref(a->queues);
  g_free(a);
}

WbLive *
wb_live_new(const WbConfig *cfg, GTimeZone *tz)
{
  WbLive *live = g_new0(WbLive, 1);
  live->cfg = cfg;
  live->tz = tz;
  live->calls = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, call_free);
  live->agents = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, agent_free);
  live->callers =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_array_unref);
  return live;
}

void
wb_live_free(WbLive *live)
{
  if (live == NULL)
    return;
  g_hash_table_unref(live->calls);
  g_hash_table_unref(live->agents);
  g_hash_table_unref(live->callers);
  g_free(live);
}

void
wb_live_set_listener(WbLive *live, const WbLiveListener *listener, gpointer user_data)
{
  if (listener != NULL)
    live->listener = *listener;
  else
    memset(&live->listener, 0, sizeof(live->listener));
  live->listener_data = user_data;
}

guint64
wb_live_version(WbLive *live)
{
  return live->version;
}

void
wb_live_stats(WbLive *live, WbLiveStats *out)
{
  *out = live->stats;
}

/* ---- call changes ---- */

/* What a call looked like before a change, so that listeners can take the
 * old version out of their sums. */
typedef struct {
  gboolean new_entry;
  gboolean new_call;
  WbCallRecord entry;
  WbCallRecord merged;
} Before;

static void
before_take(const LiveCall *c, gint32 seq, Before *b)
{
  b->new_call = c->entries->len == 0;
  b->new_entry = seq >= (gint32)c->entries->len;
  if (!b->new_entry)
    b->entry = g_array_index(c->entries, WbCallRecord, seq);
  if (!b->new_call)
    wb_call_merge((const WbCallRecord *)c->entries->data, c->entries->len, &b->merged);
}

static void
changed(WbLive *live, const LiveCall *c, gint32 seq, const Before *b)
{
  if (live->listener.call_changed == NULL)
    return;
  WbCallRecord merged;
  wb_call_merge((const WbCallRecord *)c->entries->data, c->entries->len, &merged);
  WbCallChange change = {
      .entry_before = b->new_entry ? NULL : &b->entry,
      .entry_after = &g_array_index(c->entries, WbCallRecord, seq),
      .merged_before = b->new_call ? NULL : &b->merged,
      .merged_after = &merged,
  };
  live->listener.call_changed(&change, live->listener_data);
}

static LiveCall *
call_get(WbLive *live, const char *call_id, gboolean create)
{
  LiveCall *c = g_hash_table_lookup(live->calls, call_id);
  if (c == NULL && create) {
    c = g_new0(LiveCall, 1);
    g_strlcpy(c->call_id, call_id, sizeof(c->call_id));
    c->entries = g_array_new(FALSE, TRUE, sizeof(WbCallRecord));
    g_hash_table_insert(live->calls, c->call_id, c);
  }
  return c;
}

/* The latest entry of the call in that queue, or -1. */
static gint32
entry_in_queue(const LiveCall *c, const char *queue)
{
  if (c == NULL)
    return -1;
  for (guint i = c->entries->len; i-- > 0;)
    if (strcmp(g_array_index(c->entries, WbCallRecord, i).queue, queue) == 0)
      return (gint32)i;
  return -1;
}

static WbCallRecord *
entry(LiveCall *c, gint32 seq)
{
  return &g_array_index(c->entries, WbCallRecord, seq);
}

/* ---- agents ---- */

static LiveAgent *
agent_get(WbLive *live, const char *key)
{
  if (key == NULL || *key == '\0')
    return NULL;
  LiveAgent *a = g_hash_table_lookup(live->agents, key);
  if (a == NULL) {
    a = g_new0(LiveAgent, 1);
    g_strlcpy(a->key, key, sizeof(a->key));
    a->queues = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(live->agents, a->key, a);
  }
  return a;
}

static gboolean
agent_logged_in(const LiveAgent *a)
{
  return a->all_queues || a->implicit || g_hash_table_size(a->queues) > 0;
}

/* Ends a running after-call work period: its time goes to the call. */
static void
agent_close_acw(WbLive *live, LiveAgent *a, gint64 ts_ms)
{
  if (a->acw_call_id[0] == '\0')
    return;
  LiveCall *c = call_get(live, a->acw_call_id, FALSE);
  gint32 seq = a->acw_call_seq;
  a->acw_call_id[0] = '\0';
  if (c == NULL || seq < 0 || (guint)seq >= c->entries->len || ts_ms <= a->acw_start_ms)
    return;
  Before b;
  before_take(c, seq, &b);
  entry(c, seq)->acw_ms += ts_ms - a->acw_start_ms;
  changed(live, c, seq, &b);
}

static void
emit_span(WbLive *live, const LiveAgent *a, gint64 end_ms)
{
  if (live->listener.agent_span == NULL || a->since_ms <= 0 || end_ms <= a->since_ms)
    return;
  WbAgentSpan span = {
      .agent = a->key,
      .state = a->state,
      .reason = a->state_reason,
      .start_ms = a->since_ms,
      .end_ms = end_ms,
  };
  live->listener.agent_span(&span, live->listener_data);
}

/* Works out the agent's state from what is known; a change of state, or of
 * pause reason, ends the previous state's span. */
static void
agent_resolve(WbLive *live, LiveAgent *a, gint64 ts_ms)
{
  WbAgentState s;

  if (a->call_id[0] != '\0')
    s = WB_AGENT_ON_CALL;
  else if (!agent_logged_in(a))
    s = WB_AGENT_OFFLINE;
  else if (a->paused)
    s = a->wrapup ? WB_AGENT_ACW : WB_AGENT_PAUSED;
  else
    s = WB_AGENT_AVAILABLE;
  const char *reason = s == WB_AGENT_PAUSED || s == WB_AGENT_ACW ? a->reason : "";

  if (s == WB_AGENT_ACW && a->acw_call_id[0] == '\0' && a->last_call_id[0] != '\0' &&
      !a->last_call_acw_done) {
    /* Wrap-up after a call belongs to that call's handling time. */
    g_strlcpy(a->acw_call_id, a->last_call_id, sizeof(a->acw_call_id));
    a->acw_call_seq = a->last_call_seq;
    a->acw_start_ms = ts_ms;
    a->last_call_acw_done = TRUE;
  } else if (s != WB_AGENT_ACW) {
    agent_close_acw(live, a, ts_ms);
  }
  if (s != a->state || strcmp(reason, a->state_reason) != 0 || a->since_ms <= 0) {
    emit_span(live, a, ts_ms);
    a->state = s;
    g_strlcpy(a->state_reason, reason, sizeof(a->state_reason));
    a->since_ms = ts_ms;
  }
}

static void
apply_agent(WbLive *live, const WbEvent *ev)
{
  LiveAgent *a = agent_get(live, ev->agent);
  if (a == NULL)
    return;
  const char *queue = ev->queue[0] != '\0' ? g_intern_string(ev->queue) : NULL;

  switch (ev->type) {
  case WB_EVENT_AGENT_LOGIN:
    if (queue != NULL)
      g_hash_table_add(a->queues, (gpointer)queue);
    else
      a->all_queues = TRUE;
    break;
  case WB_EVENT_AGENT_LOGOUT:
    if (queue != NULL)
      g_hash_table_remove(a->queues, queue);
    if (queue == NULL || g_hash_table_size(a->queues) == 0) {
      g_hash_table_remove_all(a->queues);
      a->all_queues = FALSE;
      a->implicit = FALSE;
      a->paused = FALSE;
      a->reason[0] = '\0';
    }
    break;
  case WB_EVENT_AGENT_PAUSE:
    if (a->paused && strcmp(a->reason, ev->reason) == 0)
      return; /* PAUSEALL then one PAUSE per queue: one pause */
    if (a->paused)
      agent_close_acw(live, a, ev->ts_ms);
    a->paused = TRUE;
    g_strlcpy(a->reason, ev->reason, sizeof(a->reason));
    a->wrapup = wb_config_is_wrapup(live->cfg, ev->queue, a->reason);
    break;
  case WB_EVENT_AGENT_UNPAUSE:
    if (!a->paused && agent_logged_in(a))
      return;
    a->paused = FALSE;
    a->reason[0] = '\0';
    break;
  default: return;
  }
  agent_resolve(live, a, ev->ts_ms);
  live->version++;
}

static void
agent_start_call(WbLive *live, const char *key, const WbCallRecord *e, gint64 ts_ms)
{
  LiveAgent *a = agent_get(live, key);
  if (a == NULL)
    return;
  if (!agent_logged_in(a))
    a->implicit = TRUE;
  agent_close_acw(live, a, ts_ms);
  if (e != NULL) {
    g_strlcpy(a->call_id, e->call_id, sizeof(a->call_id));
    a->call_seq = e->seq;
  } else {
    /* A call we never saw enter: the agent is busy all the same. */
    g_strlcpy(a->call_id, "?", sizeof(a->call_id));
    a->call_seq = -1;
  }
  agent_resolve(live, a, ts_ms);
}

static void
agent_end_call(WbLive *live, const char *key, const WbCallRecord *e, gint64 ts_ms)
{
  LiveAgent *a = agent_get(live, key);
  if (a == NULL)
    return;
  a->call_id[0] = '\0';
  if (e != NULL) {
    g_strlcpy(a->last_call_id, e->call_id, sizeof(a->last_call_id));
    a->last_call_seq = e->seq;
    a->last_call_acw_done = FALSE;
  }
  agent_resolve(live, a, ts_ms);
}

void
wb_live_foreach_open_span(WbLive *live, gint64 now_ms, WbLiveSpanFunc func, gpointer user_data)
{
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init(&it, live->agents);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    const LiveAgent *a = value;
    if (a->since_ms <= 0 || now_ms <= a->since_ms)
      continue;
    WbAgentSpan span = {a->key, a->state, a->state_reason, a->since_ms, now_ms};
    func(&span, user_data);
  }
}

/* ---- callers ---- */

/* Time since this caller's latest earlier call, and remember this one. */
static gint64
caller_gap(WbLive *live, const char *hash, gint64 enqueue_ms)
{
  if (hash[0] == '\0')
    return -1;
  GArray *times = g_hash_table_lookup(live->callers, hash);
  if (times == NULL) {
    times = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_hash_table_insert(live->callers, g_strdup(hash), times);
  }
  /* Kept sorted: lines out of time order still find the call before. */
  gint64 gap = -1;
  guint at = times->len;
  while (at > 0 && g_array_index(times, gint64, at - 1) > enqueue_ms)
    at--;
  if (at > 0)
    gap = enqueue_ms - g_array_index(times, gint64, at - 1);
  g_array_insert_val(times, at, enqueue_ms);
  if (times->len > CALLER_HISTORY)
    g_array_remove_index(times, 0);
  return gap;
}

/* ---- calls ---- */

static void
apply_enqueue(WbLive *live, const WbEvent *ev)
{
  LiveCall *c = call_get(live, ev->call_id, TRUE);
  gint32 last = entry_in_queue(c, ev->queue);

  /* A repeated ENTERQUEUE line: the call already waits there, or the line
   * is older than the end of its last visit (a re-entry comes after it). */
  if (last >= 0) {
    const WbCallRecord *l = entry(c, last);
    if (l->outcome == WB_OUTCOME_WAITING || l->outcome == WB_OUTCOME_CONNECTED ||
        ev->ts_ms <= l->end_ms) {
      live->stats.duplicates++;
      return;
    }
  }
  WbCallRecord e = {0};
  g_strlcpy(e.call_id, ev->call_id, sizeof(e.call_id));
  g_strlcpy(e.queue, ev->queue, sizeof(e.queue));
  e.seq = (gint32)c->entries->len;
  e.enqueue_ms = ev->ts_ms;
  e.position = ev->position;
  e.outcome = WB_OUTCOME_WAITING;
  if (c->entries->len == 0) {
    c->first_enqueue_ms = ev->ts_ms;
    c->source = g_intern_string(ev->source);
    g_strlcpy(e.caller_hash, ev->caller_hash, sizeof(e.caller_hash));
    g_strlcpy(e.caller_mask, ev->caller_mask, sizeof(e.caller_mask));
    e.prev_call_gap_ms = caller_gap(live, e.caller_hash, e.enqueue_ms);
  } else {
    /* The same caller in another queue: one call, one repeat test. */
    const WbCallRecord *first = entry(c, 0);
    g_strlcpy(e.caller_hash, first->caller_hash, sizeof(e.caller_hash));
    g_strlcpy(e.caller_mask, first->caller_mask, sizeof(e.caller_mask));
    e.prev_call_gap_ms = first->prev_call_gap_ms;
  }
  Before b;
  before_take(c, e.seq, &b);
  g_array_append_val(c->entries, e);
  changed(live, c, e.seq, &b);
}

static void
apply_answer(WbLive *live, const WbEvent *ev)
{
  LiveCall *c = call_get(live, ev->call_id, FALSE);
  gint32 seq = entry_in_queue(c, ev->queue);

  if (seq < 0 || entry(c, seq)->outcome != WB_OUTCOME_WAITING) {
    if (seq < 0) {
      live->stats.orphans++;
      agent_start_call(live, ev->agent, NULL, ev->ts_ms);
    } else {
      live->stats.duplicates++;
    }
    return;
  }
  Before b;
  before_take(c, seq, &b);
  WbCallRecord *e = entry(c, seq);
  e->outcome = WB_OUTCOME_CONNECTED;
  e->answer_ms = ev->ts_ms;
  e->wait_ms = ev->wait_ms >= 0 ? ev->wait_ms : MAX(ev->ts_ms - e->enqueue_ms, 0);
  g_strlcpy(e->agent, ev->agent, sizeof(e->agent));
  changed(live, c, seq, &b);
  agent_start_call(live, ev->agent, e, ev->ts_ms);
}

static void
apply_end(WbLive *live, const WbEvent *ev)
{
  LiveCall *c = call_get(live, ev->call_id, FALSE);
  gint32 seq = entry_in_queue(c, ev->queue);
  WbOutcome o = seq >= 0 ? entry(c, seq)->outcome : WB_OUTCOME_COUNT;

  if (o != WB_OUTCOME_CONNECTED && o != WB_OUTCOME_WAITING) {
    if (seq < 0) {
      live->stats.orphans++;
      agent_end_call(live, ev->agent, NULL, ev->ts_ms);
    } else {
      live->stats.duplicates++;
    }
    return;
  }
  Before b;
  before_take(c, seq, &b);
  WbCallRecord *e = entry(c, seq);
  gint64 talk = ev->talk_ms >= 0 ? ev->talk_ms : 0;
  if (e->outcome == WB_OUTCOME_WAITING) {
    /* The CONNECT line is missing: the end line says enough. */
    e->answer_ms = ev->ts_ms - talk;
    e->wait_ms = ev->wait_ms >= 0 ? ev->wait_ms : MAX(e->answer_ms - e->enqueue_ms, 0);
    g_strlcpy(e->agent, ev->agent, sizeof(e->agent));
  } else if (ev->talk_ms < 0) {
    talk = MAX(ev->ts_ms - e->answer_ms, 0);
  }
  e->outcome = ev->type == WB_EVENT_CALL_TRANSFER ? WB_OUTCOME_TRANSFERRED : WB_OUTCOME_COMPLETED;
  e->end_ms = ev->ts_ms;
  e->talk_ms = talk;
  e->ended_by = ev->ended_by;
  if (e->agent[0] == '\0')
    g_strlcpy(e->agent, ev->agent, sizeof(e->agent));
  changed(live, c, seq, &b);
  agent_end_call(live, e->agent, e, ev->ts_ms);
}

static void
apply_abandon(WbLive *live, const WbEvent *ev)
{
  LiveCall *c = call_get(live, ev->call_id, FALSE);
  gint32 seq = entry_in_queue(c, ev->queue);

  if (seq < 0 || entry(c, seq)->outcome != WB_OUTCOME_WAITING) {
    /* Asterisk before 15 could write EXITEMPTY or ABANDON twice. */
    if (seq < 0)
      live->stats.orphans++;
    else
      live->stats.duplicates++;
    return;
  }
  Before b;
  before_take(c, seq, &b);
  WbCallRecord *e = entry(c, seq);
  e->outcome = WB_OUTCOME_ABANDONED;
  e->abandon_reason = ev->abandon_reason;
  e->end_ms = ev->ts_ms;
  e->wait_ms = ev->wait_ms >= 0 ? ev->wait_ms : MAX(ev->ts_ms - e->enqueue_ms, 0);
  changed(live, c, seq, &b);
}

static void
apply_ring_noanswer(WbLive *live, const WbEvent *ev)
{
  LiveCall *c = call_get(live, ev->call_id, FALSE);
  gint32 seq = entry_in_queue(c, ev->queue);

  /* The agent let it ring whatever we know of the call. */
  if (ev->agent[0] != '\0' && live->listener.ring_noanswer != NULL)
    live->listener.ring_noanswer(ev->agent, ev->queue, ev->ts_ms, live->listener_data);
  if (seq < 0) {
    live->stats.orphans++;
    return;
  }
  if (entry(c, seq)->outcome != WB_OUTCOME_WAITING) {
    live->stats.duplicates++;
    return;
  }
  Before b;
  before_take(c, seq, &b);
  entry(c, seq)->ring_noanswers++;
  changed(live, c, seq, &b);
}

/* A waiting entry whose caller left unseen at ts: offered, neither
 * answered nor abandoned (a restart, a resync after a gap). */
static void
end_lost(WbLive *live, LiveCall *c, gint32 i, gint64 ts)
{
  WbCallRecord *e = entry(c, i);
  Before b;
  before_take(c, i, &b);
  e->outcome = WB_OUTCOME_LOST;
  e->end_ms = ts;
  e->wait_ms = ts - e->enqueue_ms;
  changed(live, c, i, &b);
}

/* The phone system restarted: what it had in progress is gone. */
static void
apply_restart(WbLive *live, const WbEvent *ev)
{
  GHashTableIter it;
  gpointer value;
  const char *source = g_intern_string(ev->source);

  g_hash_table_iter_init(&it, live->calls);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    LiveCall *c = value;
    if (c->source != source)
      continue;
    for (guint i = 0; i < c->entries->len; i++) {
      WbCallRecord *e = entry(c, (gint32)i);
      gboolean waiting = e->outcome == WB_OUTCOME_WAITING && ev->ts_ms >= e->enqueue_ms;
      gboolean talking = e->outcome == WB_OUTCOME_CONNECTED && ev->ts_ms >= e->answer_ms;
      if (waiting) {
        end_lost(live, c, (gint32)i, ev->ts_ms);
        continue;
      }
      if (!talking)
        continue;
      Before b;
      before_take(c, (gint32)i, &b);
      e->end_ms = ev->ts_ms;
      e->outcome = WB_OUTCOME_COMPLETED;
      e->talk_ms = ev->ts_ms - e->answer_ms;
      e->ended_by = WB_ENDED_BY_SYSTEM;
      changed(live, c, (gint32)i, &b);
    }
  }
  g_hash_table_iter_init(&it, live->agents);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    LiveAgent *a = value;
    if (a->call_id[0] != '\0') {
      a->call_id[0] = '\0';
      agent_resolve(live, a, ev->ts_ms);
    }
  }
}

/* source.sync with a call: the phone system says the call still waits
 * (in ev->queue, or in any queue when it names none). */
static void
apply_sync_confirm(WbLive *live, const WbEvent *ev)
{
  LiveCall *c = call_get(live, ev->call_id, FALSE);

  /* A caller who entered while we were not listening: we never saw the
   * entry, so there is nothing to keep (nor to count as offered). */
  if (c == NULL || c->source != g_intern_string(ev->source)) {
    live->stats.orphans++;
    return;
  }
  if (c->synced_ms == NULL)
    c->synced_ms = g_array_new(FALSE, TRUE, sizeof(gint64));
  g_array_set_size(c->synced_ms, c->entries->len);
  for (guint i = 0; i < c->entries->len; i++) {
    const WbCallRecord *e = entry(c, (gint32)i);
    if (e->outcome == WB_OUTCOME_WAITING &&
        (ev->queue[0] == '\0' || strcmp(e->queue, ev->queue) == 0))
      g_array_index(c->synced_ms, gint64, i) = ev->ts_ms;
  }
}

/* source.sync without a call, the sweep: a call of that source still
 * waiting, which entered before the round and was not confirmed in it,
 * left while we were not listening. How (answered, abandoned) is unknown,
 * so it ends as lost, as at a restart: offered, neither answered nor
 * abandoned. A call in talk is left alone: QueueStatus lists only callers
 * waiting, so it cannot tell a call in talk from one that ended; its end
 * comes with AgentComplete, or a restart, or pruning. */
static void
apply_sync_sweep(WbLive *live, const WbEvent *ev)
{
  GHashTableIter it;
  gpointer value;
  const char *source = g_intern_string(ev->source);

  g_hash_table_iter_init(&it, live->calls);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    LiveCall *c = value;
    if (c->source != source)
      continue;
    for (guint i = 0; i < c->entries->len; i++) {
      WbCallRecord *e = entry(c, (gint32)i);
      gboolean confirmed = c->synced_ms != NULL && i < c->synced_ms->len &&
                           g_array_index(c->synced_ms, gint64, i) == ev->ts_ms;
      if (e->outcome != WB_OUTCOME_WAITING || e->enqueue_ms >= ev->ts_ms || confirmed)
        continue;
      end_lost(live, c, (gint32)i, ev->ts_ms);
    }
  }
}

void
wb_live_apply(WbLive *live, const WbEvent *ev)
{
  live->stats.applied++;
  live->latest_ts_ms = MAX(live->latest_ts_ms, ev->ts_ms);
  if (++live->since_prune >= WB_LIVE_PRUNE_EVERY) {
    live->since_prune = 0;
    wb_live_prune(live);
  }
  switch (ev->type) {
  case WB_EVENT_CALL_ENQUEUE: apply_enqueue(live, ev); break;
  case WB_EVENT_CALL_RING_NOANSWER: apply_ring_noanswer(live, ev); break;
  case WB_EVENT_CALL_ANSWER: apply_answer(live, ev); break;
  case WB_EVENT_CALL_END:
  case WB_EVENT_CALL_TRANSFER: apply_end(live, ev); break;
  case WB_EVENT_CALL_ABANDON: apply_abandon(live, ev); break;
  case WB_EVENT_SOURCE_RESTART: apply_restart(live, ev); break;
  case WB_EVENT_SOURCE_SYNC:
    if (ev->call_id[0] != '\0')
      apply_sync_confirm(live, ev);
    else
      apply_sync_sweep(live, ev);
    break;
  case WB_EVENT_AGENT_LOGIN:
  case WB_EVENT_AGENT_LOGOUT:
  case WB_EVENT_AGENT_PAUSE:
  case WB_EVENT_AGENT_UNPAUSE: apply_agent(live, ev); return;
  default: return;
  }
  live->version++;
}

static gboolean
call_open(const LiveCall *c)
{
  for (guint i = 0; i < c->entries->len; i++) {
    WbOutcome o = g_array_index(c->entries, WbCallRecord, i).outcome;
    if (o == WB_OUTCOME_WAITING || o == WB_OUTCOME_CONNECTED)
      return TRUE;
  }
  return FALSE;
}

/* The last time anything happened to the call. */
static gint64
call_last_ms(const LiveCall *c)
{
  gint64 last = c->first_enqueue_ms;
  for (guint i = 0; i < c->entries->len; i++) {
    const WbCallRecord *e = &g_array_index(c->entries, WbCallRecord, i);
    last = MAX(last, MAX(e->enqueue_ms, e->end_ms));
  }
  return last;
}

void
wb_live_prune(WbLive *live)
{
  /* By the time of the data, not the clock: what is dropped depends only on
   * the events, so a backfill and a live run drop the same calls. Two days
   * keep today and yesterday for the views. */
  gint64 closed_horizon = live->latest_ts_ms - WB_LIVE_KEEP_MS;
  gint64 open_horizon = live->latest_ts_ms - 7 * 86400 * 1000LL;
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init(&it, live->calls);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    LiveCall *c = value;
    gint64 last = call_last_ms(c);
    /* Open calls are kept a week: their end may still come. */
    if (call_open(c) ? last < open_horizon : last < closed_horizon)
      g_hash_table_iter_remove(&it);
  }
  /* A caller silent for longer than the repeat window is forgotten. */
  gint64 horizon = live->latest_ts_ms - WB_REPEAT_LONG_MS - 3600 * 1000LL;
  g_hash_table_iter_init(&it, live->callers);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    GArray *times = value;
    if (g_array_index(times, gint64, times->len - 1) < horizon)
      g_hash_table_iter_remove(&it);
  }
}
