/* live.c: calls, queues and agents now. */
#define G_LOG_DOMAIN "live"

#include "engine/live.h"

#include <math.h>
#include <string.h>

#include "engine/clock.h"

/* A call "waiting" for longer than this lost its exit line (a crash of the
 * phone system without QUEUESTART): it is not shown as waiting now. */
#define STALE_WAIT_MS (12 * 3600 * 1000LL)

typedef struct {
  char call_id[WB_EVENT_ID_MAX];
  const char *source; /* interned: a restart of that source ends the call */
  GArray *entries;    /* WbCallRecord, by seq */
  gint64 first_enqueue_ms;
} Call;

typedef struct {
  char key[WB_EVENT_ID_MAX];
  GHashTable *queues;  /* interned queue names logged in */
  gboolean all_queues; /* logged in without a queue (AGENTLOGIN) */
  gboolean implicit;   /* never logged in, but took calls: a static member */
  gboolean paused;
  char reason[WB_EVENT_TEXT_MAX];
  WbAgentState state;
  gint64 since_ms;
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
} Agent;

struct WbLive {
  const WbConfig *cfg;
  GTimeZone *tz;
  const WbClock *clock;
  guint64 since_prune;
  GHashTable *calls;  /* call_id -> Call* */
  GHashTable *agents; /* key -> Agent* */
  WbLiveCallFunc call_func;
  gpointer call_data;
  guint64 version;
  WbLiveStats stats;
};

static const char *const state_names[WB_AGENT_STATE_COUNT] = {"offline", "available", "ringing",
                                                              "on_call", "acw",       "paused"};
static const char *const state_zh[WB_AGENT_STATE_COUNT] = {"离线",   "空闲",     "振铃",
                                                           "通话中", "话后整理", "暂停"};
static const char *const state_en[WB_AGENT_STATE_COUNT] = {"Offline", "Available",       "Ringing",
                                                           "On call", "After-call work", "Paused"};

const char *
wb_agent_state_name(WbAgentState s)
{
  return (int)s >= 0 && s < WB_AGENT_STATE_COUNT ? state_names[s] : "offline";
}

const char *
wb_agent_state_label_zh(WbAgentState s)
{
  return (int)s >= 0 && s < WB_AGENT_STATE_COUNT ? state_zh[s] : "离线";
}

const char *
wb_agent_state_label_en(WbAgentState s)
{
  return (int)s >= 0 && s < WB_AGENT_STATE_COUNT ? state_en[s] : "Offline";
}

static void
call_free(gpointer p)
{
  Call *c = p;
  g_array_unref(c->entries);
  g_free(c);
}

static void
agent_free(gpointer p)
{
  Agent *a = p;
  g_hash_table_unref(a->queues);
  g_free(a);
}

WbLive *
wb_live_new(const WbConfig *cfg, GTimeZone *tz, const WbClock *clock)
{
  WbLive *live = g_new0(WbLive, 1);
  live->cfg = cfg;
  live->tz = tz;
  live->clock = clock;
  live->calls = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, call_free);
  live->agents = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, agent_free);
  return live;
}

void
wb_live_free(WbLive *live)
{
  if (live == NULL)
    return;
  g_hash_table_unref(live->calls);
  g_hash_table_unref(live->agents);
  g_free(live);
}

void
wb_live_set_call_func(WbLive *live, WbLiveCallFunc func, gpointer user_data)
{
  live->call_func = func;
  live->call_data = user_data;
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

static void
emit(WbLive *live, const WbCallRecord *c)
{
  if (live->call_func != NULL)
    live->call_func(c, live->call_data);
}

/* ---- agents ---- */

static Agent *
agent_get(WbLive *live, const char *key)
{
  if (key == NULL || *key == '\0')
    return NULL;
  Agent *a = g_hash_table_lookup(live->agents, key);
  if (a == NULL) {
    a = g_new0(Agent, 1);
    g_strlcpy(a->key, key, sizeof(a->key));
    a->queues = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(live->agents, a->key, a);
  }
  return a;
}

static gboolean
agent_logged_in(const Agent *a)
{
  return a->all_queues || a->implicit || g_hash_table_size(a->queues) > 0;
}

static WbCallRecord *
entry_at(WbLive *live, const char *call_id, gint32 seq)
{
  Call *c = g_hash_table_lookup(live->calls, call_id);
  if (c == NULL || seq < 0 || (guint)seq >= c->entries->len)
    return NULL;
  return &g_array_index(c->entries, WbCallRecord, seq);
}

/* Ends a running after-call work period: its time goes to the call. */
static void
agent_close_acw(WbLive *live, Agent *a, gint64 ts_ms)
{
  if (a->acw_call_id[0] == '\0')
    return;
  WbCallRecord *e = entry_at(live, a->acw_call_id, a->acw_call_seq);
  if (e != NULL && ts_ms > a->acw_start_ms) {
    e->acw_ms += ts_ms - a->acw_start_ms;
    emit(live, e);
  }
  a->acw_call_id[0] = '\0';
}

static void
agent_resolve(WbLive *live, Agent *a, gint64 ts_ms)
{
  WbAgentState s;

  if (a->call_id[0] != '\0')
    s = WB_AGENT_ON_CALL;
  else if (!agent_logged_in(a))
    s = WB_AGENT_OFFLINE;
  else if (a->paused)
    s = wb_config_is_wrapup(live->cfg, a->reason) ? WB_AGENT_ACW : WB_AGENT_PAUSED;
  else
    s = WB_AGENT_AVAILABLE;

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
  if (s != a->state) {
    a->state = s;
    a->since_ms = ts_ms;
  }
}

static void
apply_agent(WbLive *live, const WbEvent *ev)
{
  Agent *a = agent_get(live, ev->agent);
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
    if (a->state == WB_AGENT_PAUSED || a->state == WB_AGENT_ACW)
      a->state = WB_AGENT_OFFLINE; /* a new reason restarts the clock */
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

/* ---- calls ---- */

static Call *
call_get(WbLive *live, const char *call_id, gboolean create)
{
  Call *c = g_hash_table_lookup(live->calls, call_id);
  if (c == NULL && create) {
    c = g_new0(Call, 1);
    g_strlcpy(c->call_id, call_id, sizeof(c->call_id));
    c->entries = g_array_new(FALSE, TRUE, sizeof(WbCallRecord));
    g_hash_table_insert(live->calls, c->call_id, c);
  }
  return c;
}

/* The latest entry of the call in that queue. */
static WbCallRecord *
entry_in_queue(Call *c, const char *queue)
{
  if (c == NULL)
    return NULL;
  for (guint i = c->entries->len; i-- > 0;) {
    WbCallRecord *e = &g_array_index(c->entries, WbCallRecord, i);
    if (strcmp(e->queue, queue) == 0)
      return e;
  }
  return NULL;
}

static void
apply_enqueue(WbLive *live, const WbEvent *ev)
{
  Call *c = call_get(live, ev->call_id, TRUE);
  WbCallRecord *last = entry_in_queue(c, ev->queue);

  /* A repeated ENTERQUEUE line: the call already waits there, or the line
   * is older than the end of its last visit (a re-entry comes after it). */
  if (last != NULL && (last->outcome == WB_OUTCOME_WAITING ||
                       last->outcome == WB_OUTCOME_CONNECTED || ev->ts_ms <= last->end_ms)) {
    live->stats.duplicates++;
    return;
  }
  WbCallRecord e = {0};
  g_strlcpy(e.call_id, ev->call_id, sizeof(e.call_id));
  g_strlcpy(e.queue, ev->queue, sizeof(e.queue));
  e.seq = (gint32)c->entries->len;
  e.enqueue_ms = ev->ts_ms;
  e.position = ev->position;
  e.outcome = WB_OUTCOME_WAITING;
  if (ev->caller_hash[0] != '\0') {
    g_strlcpy(e.caller_hash, ev->caller_hash, sizeof(e.caller_hash));
    g_strlcpy(e.caller_mask, ev->caller_mask, sizeof(e.caller_mask));
  } else if (c->entries->len > 0) {
    WbCallRecord *first = &g_array_index(c->entries, WbCallRecord, 0);
    g_strlcpy(e.caller_hash, first->caller_hash, sizeof(e.caller_hash));
    g_strlcpy(e.caller_mask, first->caller_mask, sizeof(e.caller_mask));
  }
  if (c->entries->len == 0) {
    c->first_enqueue_ms = ev->ts_ms;
    c->source = g_intern_string(ev->source);
  }
  g_array_append_val(c->entries, e);
  emit(live, &g_array_index(c->entries, WbCallRecord, e.seq));
}

static void
agent_start_call(WbLive *live, const char *key, const WbCallRecord *e, gint64 ts_ms)
{
  Agent *a = agent_get(live, key);
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
  Agent *a = agent_get(live, key);
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

static void
apply_answer(WbLive *live, const WbEvent *ev)
{
  WbCallRecord *e = entry_in_queue(call_get(live, ev->call_id, FALSE), ev->queue);

  if (e == NULL || e->outcome != WB_OUTCOME_WAITING) {
    if (e == NULL)
      live->stats.orphans++;
    else
      live->stats.duplicates++;
    if (e == NULL)
      agent_start_call(live, ev->agent, NULL, ev->ts_ms);
    return;
  }
  e->outcome = WB_OUTCOME_CONNECTED;
  e->answer_ms = ev->ts_ms;
  e->wait_ms = ev->wait_ms >= 0 ? ev->wait_ms : MAX(ev->ts_ms - e->enqueue_ms, 0);
  g_strlcpy(e->agent, ev->agent, sizeof(e->agent));
  agent_start_call(live, ev->agent, e, ev->ts_ms);
  emit(live, e);
}

static void
apply_end(WbLive *live, const WbEvent *ev)
{
  WbCallRecord *e = entry_in_queue(call_get(live, ev->call_id, FALSE), ev->queue);

  if (e == NULL || (e->outcome != WB_OUTCOME_CONNECTED && e->outcome != WB_OUTCOME_WAITING)) {
    if (e == NULL)
      live->stats.orphans++;
    else
      live->stats.duplicates++;
    if (e == NULL)
      agent_end_call(live, ev->agent, NULL, ev->ts_ms);
    return;
  }
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
  emit(live, e);
  agent_end_call(live, e->agent, e, ev->ts_ms);
}

static void
apply_abandon(WbLive *live, const WbEvent *ev)
{
  WbCallRecord *e = entry_in_queue(call_get(live, ev->call_id, FALSE), ev->queue);

  if (e == NULL || e->outcome != WB_OUTCOME_WAITING) {
    /* Asterisk before 15 could write EXITEMPTY or ABANDON twice. */
    if (e == NULL)
      live->stats.orphans++;
    else
      live->stats.duplicates++;
    return;
  }
  e->outcome = WB_OUTCOME_ABANDONED;
  e->abandon_reason = ev->abandon_reason;
  e->end_ms = ev->ts_ms;
  e->wait_ms = ev->wait_ms >= 0 ? ev->wait_ms : MAX(ev->ts_ms - e->enqueue_ms, 0);
  emit(live, e);
}

static void
apply_ring_noanswer(WbLive *live, const WbEvent *ev)
{
  WbCallRecord *e = entry_in_queue(call_get(live, ev->call_id, FALSE), ev->queue);
  if (e == NULL) {
    live->stats.orphans++;
    return;
  }
  if (e->outcome != WB_OUTCOME_WAITING) {
    live->stats.duplicates++;
    return;
  }
  e->ring_noanswers++;
  emit(live, e);
}

/* The phone system restarted: what it had in progress is gone. */
static void
apply_restart(WbLive *live, const WbEvent *ev)
{
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init(&it, live->calls);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    Call *c = value;
    if (c->source != g_intern_string(ev->source))
      continue;
    for (guint i = 0; i < c->entries->len; i++) {
      WbCallRecord *e = &g_array_index(c->entries, WbCallRecord, i);
      if (e->outcome == WB_OUTCOME_WAITING && ev->ts_ms >= e->enqueue_ms) {
        e->outcome = WB_OUTCOME_LOST;
        e->end_ms = ev->ts_ms;
        e->wait_ms = ev->ts_ms - e->enqueue_ms;
        emit(live, e);
      } else if (e->outcome == WB_OUTCOME_CONNECTED && ev->ts_ms >= e->answer_ms) {
        e->outcome = WB_OUTCOME_COMPLETED;
        e->end_ms = ev->ts_ms;
        e->talk_ms = ev->ts_ms - e->answer_ms;
        e->ended_by = WB_ENDED_BY_SYSTEM;
        emit(live, e);
      }
    }
  }
  g_hash_table_iter_init(&it, live->agents);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    Agent *a = value;
    if (a->call_id[0] != '\0') {
      a->call_id[0] = '\0';
      agent_resolve(live, a, ev->ts_ms);
    }
  }
}

void
wb_live_apply(WbLive *live, const WbEvent *ev)
{
  live->stats.applied++;
  if (++live->since_prune >= WB_LIVE_PRUNE_EVERY) {
    live->since_prune = 0;
    wb_live_prune(live, wb_clock_now_ms(live->clock));
  }
  switch (ev->type) {
  case WB_EVENT_CALL_ENQUEUE: apply_enqueue(live, ev); break;
  case WB_EVENT_CALL_RING_NOANSWER: apply_ring_noanswer(live, ev); break;
  case WB_EVENT_CALL_ANSWER: apply_answer(live, ev); break;
  case WB_EVENT_CALL_END:
  case WB_EVENT_CALL_TRANSFER: apply_end(live, ev); break;
  case WB_EVENT_CALL_ABANDON: apply_abandon(live, ev); break;
  case WB_EVENT_SOURCE_RESTART: apply_restart(live, ev); break;
  case WB_EVENT_AGENT_LOGIN:
  case WB_EVENT_AGENT_LOGOUT:
  case WB_EVENT_AGENT_PAUSE:
  case WB_EVENT_AGENT_UNPAUSE: apply_agent(live, ev); return;
  default: return;
  }
  live->version++;
}

static gboolean
call_open(const Call *c)
{
  for (guint i = 0; i < c->entries->len; i++) {
    WbOutcome o = g_array_index(c->entries, WbCallRecord, i).outcome;
    if (o == WB_OUTCOME_WAITING || o == WB_OUTCOME_CONNECTED)
      return TRUE;
  }
  return FALSE;
}

void
wb_live_prune(WbLive *live, gint64 now_ms)
{
  gint64 yesterday = wb_day_start_ms(live->tz, wb_day_start_ms(live->tz, now_ms) - 1);
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init(&it, live->calls);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    Call *c = value;
    /* Open calls are kept a week: their end may still come. */
    if (c->first_enqueue_ms < yesterday &&
        (!call_open(c) || c->first_enqueue_ms < now_ms - 7 * 86400 * 1000LL))
      g_hash_table_iter_remove(&it);
  }
}

/* ---- views ---- */

typedef struct {
  WbKpiCounts counts;
  WbKpiSettings settings;
  gint waiting;
  gint64 longest_wait_ms;
} ScopeAcc;

typedef struct {
  gint calls;
  WbKpiCounts counts;
} AgentAcc;

static ScopeAcc *
queue_acc(GHashTable *accs, const WbConfig *cfg, const char *queue)
{
  ScopeAcc *acc = g_hash_table_lookup(accs, queue);
  if (acc == NULL) {
    acc = g_new0(ScopeAcc, 1);
    acc->settings = wb_config_kpi_for_queue(cfg, queue);
    g_hash_table_insert(accs, g_strdup(queue), acc);
  }
  return acc;
}

static void
finish_scope(const ScopeAcc *acc, const char *queue, const char *name, WbQueueView *out)
{
  memset(out, 0, sizeof(*out));
  g_strlcpy(out->queue, queue, sizeof(out->queue));
  out->name = name;
  wb_kpi_finish(&acc->counts, &acc->settings, &out->kpi);
  out->waiting = acc->waiting;
  out->longest_wait_s = acc->longest_wait_ms / 1000.0;
}

static int
compare_queue_views(gconstpointer a, gconstpointer b)
{
  return strcmp(((const WbQueueView *)a)->queue, ((const WbQueueView *)b)->queue);
}

static int
compare_agent_views(gconstpointer a, gconstpointer b)
{
  return strcmp(((const WbAgentView *)a)->agent, ((const WbAgentView *)b)->agent);
}

static void
agent_view_clear(gpointer p)
{
  WbAgentView *v = p;
  if (v->queues != NULL)
    g_ptr_array_unref(v->queues);
}

/* One pass over the kept calls fills the total, every queue and every
 * agent's counts for today. */
static void
scan_calls(WbLive *live, WbLiveView *view, ScopeAcc *total, GHashTable *queues, GHashTable *agents)
{
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init(&it, live->calls);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    Call *c = value;
    gboolean waits = FALSE;
    gint64 waited = 0;
    for (guint i = 0; i < c->entries->len; i++) {
      const WbCallRecord *e = &g_array_index(c->entries, WbCallRecord, i);
      if (e->outcome == WB_OUTCOME_WAITING && e->enqueue_ms > view->now_ms - STALE_WAIT_MS) {
        ScopeAcc *q = queue_acc(queues, live->cfg, e->queue);
        gint64 w = MAX(view->now_ms - e->enqueue_ms, 0);
        q->waiting++;
        q->longest_wait_ms = MAX(q->longest_wait_ms, w);
        waits = TRUE;
        waited = MAX(waited, w);
      }
      if (e->enqueue_ms < view->from_ms || e->enqueue_ms >= view->to_ms)
        continue;
      wb_kpi_add(&queue_acc(queues, live->cfg, e->queue)->counts, e,
                 &queue_acc(queues, live->cfg, e->queue)->settings);
      if (e->agent[0] != '\0' && wb_call_is_answered(e)) {
        AgentAcc *a = g_hash_table_lookup(agents, e->agent);
        if (a == NULL) {
          a = g_new0(AgentAcc, 1);
          g_hash_table_insert(agents, g_strdup(e->agent), a);
        }
        a->calls++;
        wb_kpi_add(&a->counts, e, &live->cfg->kpi);
      }
    }
    if (waits) {
      total->waiting++;
      total->longest_wait_ms = MAX(total->longest_wait_ms, waited);
    }
    if (c->entries->len > 0 && c->first_enqueue_ms >= view->from_ms &&
        c->first_enqueue_ms < view->to_ms) {
      WbCallRecord merged;
      wb_call_merge((const WbCallRecord *)c->entries->data, c->entries->len, &merged);
      wb_kpi_add(&total->counts, &merged, &total->settings);
    }
  }
}

static void
fill_agents(WbLive *live, WbLiveView *view, GHashTable *agent_accs)
{
  GHashTableIter it;
  gpointer value;
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

  g_hash_table_iter_init(&it, live->agents);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    Agent *a = value;
    WbAgentView v = {0};
    g_strlcpy(v.agent, a->key, sizeof(v.agent));
    v.name = wb_config_agent_name(live->cfg, a->key);
    v.state = a->state;
    g_strlcpy(v.reason, a->paused ? a->reason : "", sizeof(v.reason));
    v.since_ms = a->since_ms;
    v.queues = g_ptr_array_new();
    GHashTableIter qi;
    gpointer q;
    g_hash_table_iter_init(&qi, a->queues);
    while (g_hash_table_iter_next(&qi, &q, NULL))
      g_ptr_array_add(v.queues, q);
    g_ptr_array_sort(v.queues, (GCompareFunc)g_strcmp0);
    g_array_append_val(view->agents, v);
    g_hash_table_add(seen, a->key);
  }
  /* Configured agents that never appeared are offline, not missing. */
  for (guint i = 0; i < live->cfg->agents->len; i++) {
    WbAgentConfig *ac = g_ptr_array_index(live->cfg->agents, i);
    if (g_hash_table_contains(seen, ac->key))
      continue;
    WbAgentView v = {0};
    g_strlcpy(v.agent, ac->key, sizeof(v.agent));
    v.name = ac->name != NULL ? ac->name : ac->key;
    v.state = WB_AGENT_OFFLINE;
    v.queues = g_ptr_array_new();
    g_array_append_val(view->agents, v);
  }
  for (guint i = 0; i < view->agents->len; i++) {
    WbAgentView *v = &g_array_index(view->agents, WbAgentView, i);
    AgentAcc *acc = g_hash_table_lookup(agent_accs, v->agent);
    WbKpi k;
    v->calls = acc != NULL ? acc->calls : 0;
    wb_kpi_finish(acc != NULL ? &acc->counts : &(WbKpiCounts){0}, &live->cfg->kpi, &k);
    v->aht_s = k.aht_s;
    view->agents_by_state[v->state]++;
  }
  g_array_sort(view->agents, compare_agent_views);
}

WbLiveView *
wb_live_view(WbLive *live, gint64 now_ms)
{
  WbLiveView *view = g_new0(WbLiveView, 1);
  g_autoptr(GHashTable) queues = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) agents = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  ScopeAcc total = {.settings = live->cfg->kpi};

  view->now_ms = now_ms;
  view->from_ms = wb_day_start_ms(live->tz, now_ms);
  view->to_ms = wb_day_end_ms(live->tz, now_ms);
  view->queues = g_array_new(FALSE, TRUE, sizeof(WbQueueView));
  view->agents = g_array_new(FALSE, TRUE, sizeof(WbAgentView));
  g_array_set_clear_func(view->agents, agent_view_clear);

  /* Configured queues show even before their first call. */
  for (guint i = 0; i < live->cfg->queues->len; i++)
    queue_acc(queues, live->cfg, ((WbQueueConfig *)g_ptr_array_index(live->cfg->queues, i))->key);
  scan_calls(live, view, &total, queues, agents);

  finish_scope(&total, "", "全部队列", &view->total);
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, queues);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    WbQueueView qv;
    finish_scope(value, key, wb_config_queue_name(live->cfg, key), &qv);
    g_array_append_val(view->queues, qv);
  }
  g_array_sort(view->queues, compare_queue_views);
  /* Names point into the config or interned strings, never into `queues`. */
  for (guint i = 0; i < view->queues->len; i++) {
    WbQueueView *qv = &g_array_index(view->queues, WbQueueView, i);
    qv->name = g_intern_string(wb_config_queue_name(live->cfg, qv->queue));
  }
  fill_agents(live, view, agents);
  return view;
}

void
wb_live_view_free(WbLiveView *view)
{
  if (view == NULL)
    return;
  g_array_unref(view->queues);
  g_array_unref(view->agents);
  g_free(view);
}
