/* interval.c: interval aggregates, kept by delta. */
#define G_LOG_DOMAIN "interval"

#include "engine/interval.h"

#include <string.h>

#include "engine/clock.h"

const gint wb_interval_sizes[WB_INTERVAL_SIZE_COUNT] = {15, 30, 60, 1440};

/* Rows kept in memory before clean ones are let go. */
#define ROWS_KEPT 20000

typedef struct {
  WbIntervalRow row;
  gboolean dirty;
} Slot;

struct WbIntervals {
  const WbConfig *cfg;
  GTimeZone *tz;
  WbIntervalLoadFunc load;
  gpointer load_data;
  GHashTable *slots; /* WbIntervalKey* (inside the slot) -> Slot* */
  GPtrArray *dirty;  /* Slot*, each once */
};

gboolean
wb_interval_size_valid(gint size_min)
{
  for (int i = 0; i < WB_INTERVAL_SIZE_COUNT; i++)
    if (wb_interval_sizes[i] == size_min)
      return TRUE;
  return FALSE;
}

gint64
wb_interval_start(GTimeZone *tz, gint size_min, gint64 ts_ms)
{
  gint64 day = wb_day_start_ms(tz, ts_ms);
  if (size_min >= 1440)
    return day;
  gint64 size_ms = (gint64)size_min * 60000;
  return day + (ts_ms - day) / size_ms * size_ms;
}

gint64
wb_interval_end(GTimeZone *tz, gint size_min, gint64 start_ms)
{
  gint64 day_end = wb_day_end_ms(tz, start_ms);
  if (size_min >= 1440)
    return day_end;
  /* A short day (a clock change) ends its last interval early. */
  return MIN(start_ms + (gint64)size_min * 60000, day_end);
}

static guint
key_hash(gconstpointer p)
{
  const WbIntervalKey *k = p;
  return g_str_hash(k->scope) ^ (guint)(k->start_ms / 60000) ^ ((guint)k->size_min << 24);
}

static gboolean
key_equal(gconstpointer a, gconstpointer b)
{
  const WbIntervalKey *x = a, *y = b;
  return x->size_min == y->size_min && x->start_ms == y->start_ms &&
         strcmp(x->scope, y->scope) == 0;
}

WbIntervals *
wb_intervals_new(const WbConfig *cfg, GTimeZone *tz, WbIntervalLoadFunc load, gpointer user_data)
{
  WbIntervals *iv = g_new0(WbIntervals, 1);
  iv->cfg = cfg;
  iv->tz = tz;
  iv->load = load;
  iv->load_data = user_data;
  iv->slots = g_hash_table_new_full(key_hash, key_equal, NULL, g_free);
  iv->dirty = g_ptr_array_new();
  return iv;
}

void
wb_intervals_free(WbIntervals *iv)
{
  if (iv == NULL)
    return;
  g_ptr_array_unref(iv->dirty);
  g_hash_table_unref(iv->slots);
  g_free(iv);
}

/* The row of (size, interval of ts, scope), loaded or made on first use,
 * and marked changed. */
static Slot *
slot_for(WbIntervals *iv, gint size_min, gint64 ts_ms, const char *scope)
{
  WbIntervalKey key = {.size_min = size_min,
                       .start_ms = wb_interval_start(iv->tz, size_min, ts_ms)};
  g_strlcpy(key.scope, scope, sizeof(key.scope));
  Slot *s = g_hash_table_lookup(iv->slots, &key);
  if (s == NULL) {
    s = g_new0(Slot, 1);
    if (iv->load == NULL || !iv->load(&key, &s->row, iv->load_data))
      memset(&s->row, 0, sizeof(s->row));
    s->row.key = key;
    g_hash_table_insert(iv->slots, &s->row.key, s);
  }
  if (!s->dirty) {
    s->dirty = TRUE;
    g_ptr_array_add(iv->dirty, s);
  }
  return s;
}

static void
add_call(WbIntervals *iv, const char *scope, const WbCallRecord *c, const WbKpiSettings *set,
         int sign)
{
  for (int i = 0; i < WB_INTERVAL_SIZE_COUNT; i++) {
    Slot *s = slot_for(iv, wb_interval_sizes[i], c->enqueue_ms, scope);
    wb_kpi_add_signed(&s->row.counts, c, set, sign);
    s->row.sl_threshold_s = set->sl_threshold_s;
  }
}

static void
entry_scopes(WbIntervals *iv, const WbCallRecord *e, int sign)
{
  char scope[WB_SCOPE_TEXT_MAX];
  WbKpiSettings queue_set = wb_config_kpi_for_queue(iv->cfg, e->queue);

  g_snprintf(scope, sizeof(scope), "queue:%s", e->queue);
  add_call(iv, scope, e, &queue_set, sign);
  /* An agent's interval holds the calls the agent answered. */
  if (e->agent[0] != '\0' && wb_call_is_answered(e)) {
    g_snprintf(scope, sizeof(scope), "agent:%s", e->agent);
    add_call(iv, scope, e, &iv->cfg->kpi, sign);
  }
}

void
wb_intervals_call_change(WbIntervals *iv, const WbCallChange *change)
{
  if (change->entry_before != NULL)
    entry_scopes(iv, change->entry_before, -1);
  entry_scopes(iv, change->entry_after, 1);
  if (change->merged_before != NULL)
    add_call(iv, "total", change->merged_before, &iv->cfg->kpi, -1);
  add_call(iv, "total", change->merged_after, &iv->cfg->kpi, 1);
}

/* Adds [from, to) of one state to the intervals it overlaps. */
static void
add_time(WbIntervals *iv, const char *scope, WbAgentState state, gint64 from, gint64 to)
{
  for (int i = 0; i < WB_INTERVAL_SIZE_COUNT; i++) {
    gint size = wb_interval_sizes[i];
    for (gint64 t = from; t < to;) {
      gint64 start = wb_interval_start(iv->tz, size, t);
      gint64 end = MIN(wb_interval_end(iv->tz, size, start), to);
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
  char scope[WB_SCOPE_TEXT_MAX];

  if (span->end_ms <= span->start_ms)
    return;
  g_snprintf(scope, sizeof(scope), "agent:%s", span->agent);
  add_time(iv, scope, span->state, span->start_ms, span->end_ms);
  /* The team's time, for the centre's occupancy. */
  add_time(iv, "total", span->state, span->start_ms, span->end_ms);
}

/* Queues and the total count rings by call (in the calls' counts); an
 * agent's rings are counted when they happened. */
void
wb_intervals_ring_noanswer(WbIntervals *iv, const char *agent, gint64 ts_ms)
{
  char scope[WB_SCOPE_TEXT_MAX];

  g_snprintf(scope, sizeof(scope), "agent:%s", agent);
  for (int i = 0; i < WB_INTERVAL_SIZE_COUNT; i++)
    slot_for(iv, wb_interval_sizes[i], ts_ms, scope)->row.time.ring_noanswers++;
}

gboolean
wb_intervals_flush(WbIntervals *iv, WbIntervalRowFunc func, gpointer user_data)
{
  guint done = 0;
  gboolean ok = TRUE;

  for (; done < iv->dirty->len; done++) {
    Slot *s = g_ptr_array_index(iv->dirty, done);
    if (!func(&s->row, user_data)) {
      ok = FALSE;
      break;
    }
    s->dirty = FALSE;
  }
  g_ptr_array_remove_range(iv->dirty, 0, done);
  return ok;
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
wb_intervals_forget(WbIntervals *iv, gboolean all)
{
  if (all) {
    g_ptr_array_set_size(iv->dirty, 0);
    g_hash_table_remove_all(iv->slots);
  } else if (g_hash_table_size(iv->slots) > ROWS_KEPT) {
    g_hash_table_foreach_remove(iv->slots, slot_is_clean, NULL);
  }
}
