/* interval.c: interval aggregates, kept by delta. */
#define G_LOG_DOMAIN "interval"

#include "engine/interval.h"

#include <string.h>

#include "engine/clock.h"

const gint wb_interval_sizes[WB_INTERVAL_SIZE_COUNT] = {15, 30, 60, 1440};

/* Rows kept in memory before clean ones are let go. */
#define ROWS_KEPT 20000

/* How a row is found: the scope is an interned string, so finding a row
 * costs no string work. */
typedef struct {
  gint size_min;
  gint64 start_ms;
  const char *scope;
} Probe;

typedef struct {
  Probe probe;
  WbIntervalRow row;
  gboolean dirty;
} Slot;

/* The local day last looked up: nearly every event falls in it, and
 * working out a local midnight costs a GDateTime. */
typedef struct {
  gint64 start;
  gint64 end;
} DayCache;

struct WbIntervals {
  const WbConfig *cfg;
  GTimeZone *tz;
  DayCache day;
  WbIntervalLoadFunc load;
  gpointer load_data;
  GHashTable *slots; /* Probe* (inside the slot) -> Slot* */
  GPtrArray *dirty;  /* Slot*, each once */
  /* Scope names by kind: queue name or agent key -> "queue:NAME" or
   * "agent:KEY", one copy each, so rows are found by pointer. */
  GHashTable *queue_scopes;
  GHashTable *agent_scopes;
  char *total_scope;
};

gboolean
wb_interval_size_valid(gint size_min)
{
  for (int i = 0; i < WB_INTERVAL_SIZE_COUNT; i++)
    if (wb_interval_sizes[i] == size_min)
      return TRUE;
  return FALSE;
}

static void
day_lookup(GTimeZone *tz, DayCache *cache, gint64 ts_ms)
{
  if (cache->end > cache->start && ts_ms >= cache->start && ts_ms < cache->end)
    return;
  cache->start = wb_day_start_ms(tz, ts_ms);
  cache->end = wb_day_end_ms(tz, ts_ms);
}

static gint64
start_in_day(const DayCache *day, gint size_min, gint64 ts_ms)
{
  if (size_min >= 1440)
    return day->start;
  gint64 size_ms = (gint64)size_min * 60000;
  return day->start + (ts_ms - day->start) / size_ms * size_ms;
}

static gint64
end_in_day(const DayCache *day, gint size_min, gint64 start_ms)
{
  if (size_min >= 1440)
    return day->end;
  /* A short day (a clock change) ends its last interval early. */
  return MIN(start_ms + (gint64)size_min * 60000, day->end);
}

gint64
wb_interval_start(GTimeZone *tz, gint size_min, gint64 ts_ms)
{
  DayCache day = {0};
  day_lookup(tz, &day, ts_ms);
  return start_in_day(&day, size_min, ts_ms);
}

gint64
wb_interval_end(GTimeZone *tz, gint size_min, gint64 start_ms)
{
  DayCache day = {0};
  day_lookup(tz, &day, start_ms);
  return end_in_day(&day, size_min, start_ms);
}

static guint
probe_hash(gconstpointer p)
{
  const Probe *k = p;
  return g_direct_hash(k->scope) ^ (guint)(k->start_ms / 60000) ^ ((guint)k->size_min << 24);
}

static gboolean
probe_equal(gconstpointer a, gconstpointer b)
{
  const Probe *x = a, *y = b;
  return x->scope == y->scope && x->start_ms == y->start_ms && x->size_min == y->size_min;
}

/* The one copy of a scope's name, made on first use. */
static const char *
scope_name(GHashTable *names, const char *prefix, const char *key)
{
  const char *name = g_hash_table_lookup(names, key);
  if (name == NULL) {
    char *full = g_strconcat(prefix, key, NULL);
    g_hash_table_insert(names, g_strdup(key), full);
    name = full;
  }
  return name;
}

WbIntervals *
wb_intervals_new(const WbConfig *cfg, GTimeZone *tz, WbIntervalLoadFunc load, gpointer user_data)
{
  WbIntervals *iv = g_new0(WbIntervals, 1);
  iv->cfg = cfg;
  iv->tz = tz;
  iv->load = load;
  iv->load_data = user_data;
  iv->slots = g_hash_table_new_full(probe_hash, probe_equal, NULL, g_free);
  iv->dirty = g_ptr_array_new();
  iv->queue_scopes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  iv->agent_scopes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  iv->total_scope = g_strdup("total");
  return iv;
}

void
wb_intervals_free(WbIntervals *iv)
{
  if (iv == NULL)
    return;
  g_ptr_array_unref(iv->dirty);
  g_hash_table_unref(iv->slots);
  g_hash_table_unref(iv->queue_scopes);
  g_hash_table_unref(iv->agent_scopes);
  g_free(iv->total_scope);
  g_free(iv);
}

/* The row of (size, interval of ts, scope), loaded or made on first use,
 * and marked changed. */
static Slot *
slot_for(WbIntervals *iv, gint size_min, gint64 ts_ms, const char *scope)
{
  day_lookup(iv->tz, &iv->day, ts_ms);
  Probe probe = {size_min, start_in_day(&iv->day, size_min, ts_ms), scope};
  Slot *s = g_hash_table_lookup(iv->slots, &probe);
  if (s == NULL) {
    WbIntervalKey key = {.size_min = size_min, .start_ms = probe.start_ms};
    g_strlcpy(key.scope, scope, sizeof(key.scope));
    s = g_new0(Slot, 1);
    if (iv->load == NULL || !iv->load(&key, &s->row, iv->load_data))
      memset(&s->row, 0, sizeof(s->row));
    s->row.key = key;
    s->probe = probe;
    g_hash_table_insert(iv->slots, &s->probe, s);
  }
  if (!s->dirty) {
    s->dirty = TRUE;
    g_ptr_array_add(iv->dirty, s);
  }
  return s;
}

/* Adds a change of counts to the rows of every size that hold ts. */
static void
apply_delta(WbIntervals *iv, const char *scope, gint64 ts_ms, const WbKpiCounts *d,
            gint threshold_s)
{
  for (int i = 0; i < WB_INTERVAL_SIZE_COUNT; i++) {
    Slot *s = slot_for(iv, wb_interval_sizes[i], ts_ms, scope);
    wb_kpi_counts_sum(&s->row.counts, d);
    s->row.sl_threshold_s = threshold_s;
  }
}

/* What a call record contributes to an agent's rows: the calls the agent
 * answered. */
static const char *
answering_agent(const WbCallRecord *c)
{
  return c != NULL && c->agent[0] != '\0' && wb_call_is_answered(c) ? c->agent : NULL;
}

/* A change is taken out as it was and put in as it is, in one delta per
 * scope: the entry's queue, its answering agent, and the call's total. */
void
wb_intervals_call_change(WbIntervals *iv, const WbCallChange *change)
{
  const WbCallRecord *before = change->entry_before, *after = change->entry_after;
  WbKpiSettings qs = wb_config_kpi_for_queue(iv->cfg, after->queue);
  const WbKpiSettings *gs = &iv->cfg->kpi;
  WbKpiCounts d = {0};

  if (before != NULL)
    wb_kpi_add_signed(&d, before, &qs, -1);
  wb_kpi_add_signed(&d, after, &qs, 1);
  apply_delta(iv, scope_name(iv->queue_scopes, "queue:", after->queue), after->enqueue_ms, &d,
              qs.sl_threshold_s);

  const char *was = answering_agent(before), *is = answering_agent(after);
  if (was != NULL) {
    WbKpiCounts out = {0};
    wb_kpi_add_signed(&out, before, gs, -1);
    if (is != NULL && strcmp(was, is) == 0) {
      wb_kpi_add_signed(&out, after, gs, 1);
      is = NULL; /* both in one */
    }
    apply_delta(iv, scope_name(iv->agent_scopes, "agent:", was), before->enqueue_ms, &out,
                gs->sl_threshold_s);
  }
  if (is != NULL) {
    WbKpiCounts in = {0};
    wb_kpi_add_signed(&in, after, gs, 1);
    apply_delta(iv, scope_name(iv->agent_scopes, "agent:", is), after->enqueue_ms, &in,
                gs->sl_threshold_s);
  }

  WbKpiCounts t = {0};
  if (change->merged_before != NULL)
    wb_kpi_add_signed(&t, change->merged_before, gs, -1);
  wb_kpi_add_signed(&t, change->merged_after, gs, 1);
  apply_delta(iv, iv->total_scope, change->merged_after->enqueue_ms, &t, gs->sl_threshold_s);
}

/* Adds [from, to) of one state to the intervals it overlaps. */
static void
add_time(WbIntervals *iv, const char *scope, WbAgentState state, gint64 from, gint64 to)
{
  for (int i = 0; i < WB_INTERVAL_SIZE_COUNT; i++) {
    gint size = wb_interval_sizes[i];
    for (gint64 t = from; t < to;) {
      day_lookup(iv->tz, &iv->day, t);
      gint64 start = start_in_day(&iv->day, size, t);
      gint64 end = MIN(end_in_day(&iv->day, size, start), to);
      if (end <= t) /* cannot happen with a sane zone; never loop forever */
        break;
      Slot *s = slot_for(iv, size, t, scope);
      s->row.time.state_ms[state] += end - t;
      t = end;
    }
  }
}

void
wb_intervals_agent_span(WbIntervals *iv, const WbAgentSpan *span)
{
  /* Logged-in time only: offline time makes no KPI, and an agent's nights
   * off would fill every quarter hour with a row. */
  if (span->end_ms <= span->start_ms || span->state == WB_AGENT_OFFLINE)
    return;
  add_time(iv, scope_name(iv->agent_scopes, "agent:", span->agent), span->state, span->start_ms,
           span->end_ms);
  /* The team's time, for the centre's occupancy. */
  add_time(iv, iv->total_scope, span->state, span->start_ms, span->end_ms);
}

/* Queues and the total count rings by call (in the calls' counts); an
 * agent's rings are counted when they happened. */
void
wb_intervals_ring_noanswer(WbIntervals *iv, const char *agent, gint64 ts_ms)
{
  const char *scope = scope_name(iv->agent_scopes, "agent:", agent);

  for (int i = 0; i < WB_INTERVAL_SIZE_COUNT; i++)
    slot_for(iv, wb_interval_sizes[i], ts_ms, scope)->row.time.ring_noanswers++;
}

gboolean
wb_intervals_flush(WbIntervals *iv, WbIntervalRowFunc func, gpointer user_data)
{
  for (guint i = 0; i < iv->dirty->len; i++) {
    Slot *s = g_ptr_array_index(iv->dirty, i);
    if (!func(&s->row, user_data))
      return FALSE;
  }
  return TRUE;
}

guint
wb_intervals_dirty(WbIntervals *iv)
{
  return iv->dirty->len;
}

static gboolean
slot_is_clean(gpointer key, gpointer value, gpointer user_data)
{
  (void)key;
  (void)user_data;
  return !((Slot *)value)->dirty;
}

void
wb_intervals_committed(WbIntervals *iv)
{
  for (guint i = 0; i < iv->dirty->len; i++)
    ((Slot *)g_ptr_array_index(iv->dirty, i))->dirty = FALSE;
  g_ptr_array_set_size(iv->dirty, 0);
  if (g_hash_table_size(iv->slots) > ROWS_KEPT)
    g_hash_table_foreach_remove(iv->slots, slot_is_clean, NULL);
}
