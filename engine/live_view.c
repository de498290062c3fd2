/* live_view.c: views of the live model: today's KPIs per queue and in
 * total, waiting calls, agents. One pass over the kept calls fills them all. */
#define G_LOG_DOMAIN "live"

#include <math.h>
#include <string.h>

#include "engine/live_private.h"

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

/* g_ptr_array_sort() passes pointers to the elements, not the strings. */
static int
compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
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
    LiveCall *c = value;
    gboolean waits = FALSE;
    gint64 waited = 0;
    for (guint i = 0; i < c->entries->len; i++) {
      const WbCallRecord *e = &g_array_index(c->entries, WbCallRecord, i);
      if (e->outcome == WB_OUTCOME_WAITING &&
          e->enqueue_ms > view->now_ms - WB_LIVE_STALE_WAIT_MS) {
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
    LiveAgent *a = value;
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
    g_ptr_array_sort(v.queues, compare_strings);
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
  return wb_live_view_window(live, now_ms, wb_day_start_ms(live->tz, now_ms),
                             wb_day_end_ms(live->tz, now_ms));
}

WbLiveView *
wb_live_view_window(WbLive *live, gint64 now_ms, gint64 from_ms, gint64 to_ms)
{
  WbLiveView *view = g_new0(WbLiveView, 1);
  g_autoptr(GHashTable) queues = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) agents = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  ScopeAcc total = {.settings = live->cfg->kpi};

  view->now_ms = now_ms;
  view->from_ms = from_ms;
  view->to_ms = to_ms;
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
