/* query.c: KPIs of any scope and window, from the store. */
#define G_LOG_DOMAIN "query"

#include "engine/query.h"

#include <string.h>

void
wb_query_result_clear(WbQueryResult *r)
{
  g_clear_pointer(&r->pause_ms, g_hash_table_unref);
}

static GHashTable *
new_ms_table(void)
{
  return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void
table_add_ms(GHashTable *t, const char *key, gint64 ms)
{
  gint64 *v = g_hash_table_lookup(t, key);
  if (v == NULL) {
    v = g_new0(gint64, 1);
    g_hash_table_insert(t, g_strdup(key), v);
  }
  *v += ms;
}

/* Adds the part of a span inside [from, to) to an agent's time. */
static void
add_span(WbAgentTime *time, GHashTable *pause_ms, const WbAgentSpan *span, gint64 from_ms,
         gint64 to_ms)
{
  gint64 start = MAX(span->start_ms, from_ms);
  gint64 end = MIN(span->end_ms, to_ms);
  if (end <= start)
    return;
  time->state_ms[span->state] += end - start;
  if ((span->state == WB_AGENT_PAUSED || span->state == WB_AGENT_ACW) && pause_ms != NULL)
    table_add_ms(pause_ms, span->reason != NULL && *span->reason != '\0' ? span->reason : "—",
                 end - start);
}

/* ---- one scope ---- */

typedef struct {
  WbKpiScope kpi;
  WbAgentTime time;
  GHashTable *pause_ms;
  const char *agent; /* NULL: every agent (the team) */
  gint64 from_ms, to_ms;
} One;

static void
one_call(const WbCallRecord *entries, guint n, gpointer user_data)
{
  One *o = user_data;
  wb_kpi_scope_add_call(&o->kpi, entries, n);
}

static void
one_span(const WbAgentSpan *span, gpointer user_data)
{
  One *o = user_data;
  if (o->agent == NULL || strcmp(o->agent, span->agent) == 0)
    add_span(&o->time, o->pause_ms, span, o->from_ms, o->to_ms);
}

static gboolean
add_agent_time(WbStore *store, WbLive *live, gint64 now_ms, One *o, GError **error)
{
  if (!wb_store_foreach_agent_span(store, o->agent, o->from_ms, o->to_ms, one_span, o, error))
    return FALSE;
  if (live != NULL && o->from_ms < now_ms)
    wb_live_foreach_open_span(live, MIN(now_ms, o->to_ms), one_span, o);
  return TRUE;
}

WbKpiSettings
wb_query_settings(const WbConfig *cfg, const WbScope *scope)
{
  return scope->kind == WB_SCOPE_QUEUE ? wb_config_kpi_for_queue(cfg, scope->key) : cfg->kpi;
}

gboolean
wb_query_kpi(WbStore *store, const WbConfig *cfg, WbLive *live, gint64 now_ms, const WbScope *scope,
             gint64 from_ms, gint64 to_ms, const WbKpiSettings *asked, WbQueryResult *out,
             GError **error)
{
  WbKpiSettings settings = asked != NULL ? *asked : wb_query_settings(cfg, scope);
  One o = {.from_ms = from_ms, .to_ms = to_ms};
  gint64 rna = 0;

  memset(out, 0, sizeof(*out));
  out->scope = *scope;
  out->from_ms = from_ms;
  out->to_ms = to_ms;
  wb_kpi_scope_init(&o.kpi, scope, from_ms, to_ms, &settings);
  if (!wb_store_foreach_call(store, from_ms, to_ms, one_call, &o, error))
    return FALSE;
  wb_kpi_finish(&o.kpi.counts, &settings, &out->kpi);
  if (scope->kind == WB_SCOPE_QUEUE)
    return TRUE;
  /* Agents and the team (total) have time; queues do not: an agent in two
   * queues is not half in each. */
  o.agent = scope->kind == WB_SCOPE_AGENT ? scope->key : NULL;
  o.pause_ms = new_ms_table();
  if (!add_agent_time(store, live, now_ms, &o, error)) {
    g_hash_table_unref(o.pause_ms);
    return FALSE;
  }
  if (scope->kind == WB_SCOPE_AGENT) {
    g_autoptr(GHashTable) per_agent = new_ms_table();
    if (!wb_store_ring_noanswers(store, NULL, from_ms, to_ms, per_agent, &rna, error)) {
      g_hash_table_unref(o.pause_ms);
      return FALSE;
    }
    gint64 *n = g_hash_table_lookup(per_agent, scope->key);
    rna = n != NULL ? *n : 0;
  }
  o.time.ring_noanswers = rna;
  wb_kpi_set_time(&out->kpi, &o.time, 0);
  out->pause_ms = o.pause_ms;
  return TRUE;
}

/* ---- every agent ---- */

typedef struct {
  const WbConfig *cfg;
  gint64 from_ms, to_ms;
  GHashTable *by_agent; /* key -> Acc* */
} Many;

typedef struct {
  WbKpiScope kpi;
  WbAgentTime time;
  GHashTable *pause_ms;
} Acc;

static void
acc_free(gpointer p)
{
  Acc *a = p;
  if (a->pause_ms != NULL)
    g_hash_table_unref(a->pause_ms);
  g_free(a);
}

static Acc *
acc_for(Many *m, const char *agent)
{
  Acc *a = g_hash_table_lookup(m->by_agent, agent);
  if (a == NULL) {
    a = g_new0(Acc, 1);
    WbScope scope = {.kind = WB_SCOPE_AGENT};
    g_strlcpy(scope.key, agent, sizeof(scope.key));
    wb_kpi_scope_init(&a->kpi, &scope, m->from_ms, m->to_ms, &m->cfg->kpi);
    a->pause_ms = new_ms_table();
    g_hash_table_insert(m->by_agent, g_strdup(agent), a);
  }
  return a;
}

static void
many_call(const WbCallRecord *entries, guint n, gpointer user_data)
{
  Many *m = user_data;
  for (guint i = 0; i < n; i++)
    if (entries[i].agent[0] != '\0' && wb_call_is_answered(&entries[i]) &&
        entries[i].enqueue_ms >= m->from_ms && entries[i].enqueue_ms < m->to_ms)
      wb_kpi_add(&acc_for(m, entries[i].agent)->kpi.counts, &entries[i], &m->cfg->kpi);
}

static void
many_span(const WbAgentSpan *span, gpointer user_data)
{
  Many *m = user_data;
  Acc *a = acc_for(m, span->agent);
  add_span(&a->time, a->pause_ms, span, m->from_ms, m->to_ms);
}

static int
compare_results(gconstpointer a, gconstpointer b)
{
  const WbQueryResult *x = *(WbQueryResult *const *)a, *y = *(WbQueryResult *const *)b;
  return strcmp(x->scope.key, y->scope.key);
}

static void
result_free(gpointer p)
{
  WbQueryResult *r = p;
  wb_query_result_clear(r);
  g_free(r);
}

GPtrArray *
wb_query_agents(WbStore *store, const WbConfig *cfg, WbLive *live, gint64 now_ms, gint64 from_ms,
                gint64 to_ms, GError **error)
{
  g_autoptr(GHashTable) by_agent = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, acc_free);
  g_autoptr(GHashTable) rna = new_ms_table();
  Many m = {cfg, from_ms, to_ms, by_agent};
  gint64 total = 0;

  if (!wb_store_foreach_call(store, from_ms, to_ms, many_call, &m, error) ||
      !wb_store_foreach_agent_span(store, NULL, from_ms, to_ms, many_span, &m, error) ||
      !wb_store_ring_noanswers(store, NULL, from_ms, to_ms, rna, &total, error))
    return NULL;
  if (live != NULL && from_ms < now_ms)
    wb_live_foreach_open_span(live, MIN(now_ms, to_ms), many_span, &m);
  for (guint i = 0; i < cfg->agents->len; i++)
    acc_for(&m, ((WbAgentConfig *)g_ptr_array_index(cfg->agents, i))->key);
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, rna);
  while (g_hash_table_iter_next(&it, &key, &value))
    acc_for(&m, key)->time.ring_noanswers = *(gint64 *)value;

  GPtrArray *out = g_ptr_array_new_with_free_func(result_free);
  g_hash_table_iter_init(&it, by_agent);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    Acc *a = value;
    WbQueryResult *r = g_new0(WbQueryResult, 1);
    r->scope = a->kpi.scope;
    r->from_ms = from_ms;
    r->to_ms = to_ms;
    wb_kpi_finish(&a->kpi.counts, &cfg->kpi, &r->kpi);
    wb_kpi_set_time(&r->kpi, &a->time, 0);
    r->pause_ms = g_steal_pointer(&a->pause_ms);
    g_ptr_array_add(out, r);
  }
  g_ptr_array_sort(out, compare_results);
  return out;
}
