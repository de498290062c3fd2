/* sampler.c: live views into the RRD archive, and history from intervals. */
#define G_LOG_DOMAIN "sampler"

#include "engine/sampler.h"

#include <math.h>
#include <string.h>

#include "engine/interval.h"

/* Samples per file per update call: one minute of 10-second steps. */
#define FLUSH_EVERY 6
#define INTERVAL_MIN 15

/* Today's counts at the previous sample, to write the calls since. */
typedef struct {
  gint64 day_ms;
  gint64 offered, answered, abandoned;
} Counts;

/* How far back a gap in the archive is filled from intervals at start. */
#define GAP_FILL_MAX_MS (14 * 86400 * 1000LL)

struct WbSampler {
  WbEngine *e;
  WbRrdArchive *archive;
  gboolean gap_filled;
  gint64 last_step_s;
  guint since_flush;
  guint timer_id;
  GHashTable *counts; /* scope -> Counts* */
};

static void
sample_init(WbRrdSample *s, gint64 ts_s)
{
  s->ts_s = ts_s;
  s->span_s = 0;
  for (int i = 0; i < WB_RRD_DS_COUNT; i++)
    s->v[i] = NAN;
}

static const WbRrdDs state_ds[WB_AGENT_STATE_COUNT] = {
    [WB_AGENT_OFFLINE] = WB_RRD_OFFLINE, [WB_AGENT_AVAILABLE] = WB_RRD_AVAILABLE,
    [WB_AGENT_RINGING] = WB_RRD_RINGING, [WB_AGENT_ON_CALL] = WB_RRD_ON_CALL,
    [WB_AGENT_ACW] = WB_RRD_ACW,         [WB_AGENT_PAUSED] = WB_RRD_PAUSED,
};

/* Calls since the previous sample; unknown at the first one, which would
 * otherwise carry the whole day so far. A new day starts from zero. */
static void
set_counts(WbSampler *s, const char *scope, gint64 day_ms, gint64 offered, gint64 answered,
           gint64 abandoned, WbRrdSample *out)
{
  Counts *c = g_hash_table_lookup(s->counts, scope);
  if (c == NULL) {
    c = g_new0(Counts, 1);
    *c = (Counts){day_ms, offered, answered, abandoned};
    g_hash_table_insert(s->counts, g_strdup(scope), c);
    return;
  }
  if (c->day_ms != day_ms)
    *c = (Counts){day_ms, 0, 0, 0};
  out->v[WB_RRD_OFFERED] = MAX(offered - c->offered, 0);
  out->v[WB_RRD_ANSWERED] = MAX(answered - c->answered, 0);
  out->v[WB_RRD_ABANDONED] = MAX(abandoned - c->abandoned, 0);
  *c = (Counts){day_ms, offered, answered, abandoned};
}

static void
sample_queue(WbSampler *s, const WbLiveView *v, const WbQueueView *q, const char *scope,
             gint64 ts_s)
{
  WbRrdSample out;
  sample_init(&out, ts_s);
  out.v[WB_RRD_WAITING] = q->waiting;
  out.v[WB_RRD_LONGEST_WAIT] = q->longest_wait_s;
  out.v[WB_RRD_SERVICE_LEVEL] = q->kpi.service_level;
  set_counts(s, scope, v->from_ms, q->kpi.counts.offered, q->kpi.counts.answered,
             q->kpi.counts.abandoned, &out);
  /* Agents by state: all for the total, those logged in to the queue for a
   * queue. */
  for (int st = 0; st < WB_AGENT_STATE_COUNT; st++)
    out.v[state_ds[st]] = 0;
  for (guint i = 0; i < v->agents->len; i++) {
    const WbAgentView *a = &g_array_index(v->agents, WbAgentView, i);
    gboolean in = q->queue[0] == '\0';
    for (guint k = 0; !in && k < a->queues->len; k++)
      in = strcmp(g_ptr_array_index(a->queues, k), q->queue) == 0;
    if (in)
      out.v[state_ds[a->state]] += 1;
  }
  wb_rrd_archive_add(s->archive, scope, &out);
}

static void
sample_agent(WbSampler *s, const WbLiveView *v, const WbAgentView *a, gint64 ts_s)
{
  char scope[WB_EVENT_ID_MAX + 8];
  WbRrdSample out;

  g_snprintf(scope, sizeof(scope), "agent:%s", a->agent);
  sample_init(&out, ts_s);
  for (int st = 0; st < WB_AGENT_STATE_COUNT; st++)
    out.v[state_ds[st]] = a->state == (WbAgentState)st ? 1 : 0;
  set_counts(s, scope, v->from_ms, 0, a->calls, 0, &out);
  out.v[WB_RRD_OFFERED] = out.v[WB_RRD_ABANDONED] = NAN; /* a queue's, not an agent's */
  wb_rrd_archive_add(s->archive, scope, &out);
}

static gboolean
collectors_caught_up(WbEngine *e)
{
  for (guint i = 0; e->collectors != NULL && i < e->collectors->len; i++) {
    WbCollector *c = g_ptr_array_index(e->collectors, i);
    if (c->ops->catching_up != NULL && c->ops->catching_up(c))
      return FALSE;
  }
  return TRUE;
}

/* What happened while nothing sampled (the daemon stopped, or a demo's
 * history written at its first start) is in the intervals: fill the gap
 * from them, up to the step before the first live sample. */
static void
fill_gap(WbSampler *s, gint64 step_s)
{
  WbEngine *e = s->e;
  gint64 last_ms = wb_rrd_archive_last(s->archive, "total") * 1000;
  gint64 from = MAX(last_ms, step_s * 1000 - GAP_FILL_MAX_MS);
  gint64 to = (step_s - WB_RRD_STEP_S) * 1000;
  g_autoptr(GError) error = NULL;

  if (to - from <= WB_RRD_HEARTBEAT_S * 1000LL)
    return;
  if (!wb_bus_flush(e->bus, &error) ||
      !wb_sampler_backfill(s->archive, e->store, e->cfg, e->tz, from, to, to, &error)) {
    g_warning("rrd: filling the archive from intervals failed: %s", error->message);
    return;
  }
  g_message("rrd: filled the archive from intervals since %" G_GINT64_FORMAT, from / 1000);
}

void
wb_sampler_tick(WbSampler *s, gint64 now_ms)
{
  gint64 step_s = now_ms / 1000 / WB_RRD_STEP_S * WB_RRD_STEP_S;
  g_autoptr(GError) error = NULL;

  if (step_s <= s->last_step_s)
    return;
  /* While a backlog is read, a view of now is a view of the past. */
  if (!s->gap_filled) {
    if (!collectors_caught_up(s->e))
      return;
    fill_gap(s, step_s);
    s->gap_filled = TRUE;
  }
  s->last_step_s = step_s;
  g_autoptr(WbLiveView) v = wb_live_view(s->e->live, now_ms);
  sample_queue(s, v, &v->total, "total", step_s);
  for (guint i = 0; i < v->queues->len; i++) {
    const WbQueueView *q = &g_array_index(v->queues, WbQueueView, i);
    g_autofree char *scope = g_strconcat("queue:", q->queue, NULL);
    sample_queue(s, v, q, scope, step_s);
  }
  for (guint i = 0; i < v->agents->len; i++)
    sample_agent(s, v, &g_array_index(v->agents, WbAgentView, i), step_s);
  if (++s->since_flush >= FLUSH_EVERY && !wb_sampler_flush(s, &error))
    g_warning("%s", error->message);
}

gboolean
wb_sampler_flush(WbSampler *s, GError **error)
{
  s->since_flush = 0;
  return wb_rrd_archive_flush(s->archive, error);
}

static gboolean
on_tick(gpointer data)
{
  WbSampler *s = data;
  wb_sampler_tick(s, wb_clock_now_ms(&s->e->clock));
  return G_SOURCE_CONTINUE;
}

WbSampler *
wb_sampler_new(WbEngine *e, WbRrdArchive *archive)
{
  WbSampler *s = g_new0(WbSampler, 1);
  s->e = e;
  s->archive = archive;
  s->counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  /* The first sample is written at once: the files exist from the start. */
  s->since_flush = FLUSH_EVERY - 1;
  return s;
}

void
wb_sampler_start(WbSampler *s)
{
  /* Every second: a step is taken within a second of its start, whatever
   * the demo's clock speed. */
  if (s->timer_id == 0)
    s->timer_id = g_timeout_add_seconds(1, on_tick, s);
}

void
wb_sampler_stop(WbSampler *s)
{
  if (s->timer_id != 0)
    g_source_remove(s->timer_id);
  s->timer_id = 0;
}

void
wb_sampler_free(WbSampler *s)
{
  if (s == NULL)
    return;
  wb_sampler_stop(s);
  g_hash_table_unref(s->counts);
  g_free(s);
}

/* ---- history ---- */

typedef struct {
  GArray *rows; /* WbIntervalRow, by start */
} Rows;

static void
keep_row(const WbIntervalRow *row, gpointer data)
{
  g_array_append_val(((Rows *)data)->rows, *row);
}

/* The sample of one 15-minute interval; day holds the day's counts so far. */
static void
interval_sample(const WbScope *which, const WbIntervalRow *row, const WbKpiCounts *day,
                const WbKpiSettings *settings, gint64 start, gint64 end, WbRrdSample *s)
{
  sample_init(s, end / 1000);
  s->span_s = (end - start) / 1000;
  s->v[WB_RRD_ANSWERED] = row->counts.answered;
  if (which->kind != WB_SCOPE_AGENT) {
    s->v[WB_RRD_OFFERED] = row->counts.offered;
    s->v[WB_RRD_ABANDONED] = row->counts.abandoned;
    s->v[WB_RRD_SERVICE_LEVEL] = wb_kpi_service_level(day, settings);
  }
  if (which->kind == WB_SCOPE_QUEUE)
    return;
  /* The average number of agents in each state over the interval. */
  gdouble len = (gdouble)(end - start);
  gdouble logged = 0;
  for (int st = WB_AGENT_OFFLINE + 1; st < WB_AGENT_STATE_COUNT; st++) {
    s->v[state_ds[st]] = row->time.state_ms[st] / len;
    logged += s->v[state_ds[st]];
  }
  if (which->kind == WB_SCOPE_AGENT)
    s->v[WB_RRD_OFFLINE] = MAX(1.0 - logged, 0.0);
}

/* One scope's history: every interval of each day that has data, quiet
 * ones as zeros, so no gap inside a day is longer than the heartbeat; days
 * without data stay unknown. */
static gboolean
backfill_scope(WbRrdArchive *archive, WbStore *store, const WbConfig *cfg, GTimeZone *tz,
               const char *scope, gint64 from_ms, gint64 to_ms, gint64 cap_ms, GError **error)
{
  WbScope which;
  g_autoptr(GArray) rows = g_array_new(FALSE, TRUE, sizeof(WbIntervalRow));
  Rows collect = {rows};

  if (!wb_scope_parse(scope, &which))
    return TRUE; /* not a scope of ours: nothing to draw */
  if (!wb_store_foreach_interval(store, INTERVAL_MIN, scope, from_ms, to_ms, keep_row, &collect,
                                 error))
    return FALSE;
  WbKpiSettings settings =
      which.kind == WB_SCOPE_QUEUE ? wb_config_kpi_for_queue(cfg, which.key) : cfg->kpi;
  guint next = 0, queued = 0;
  while (next < rows->len) {
    gint64 first = g_array_index(rows, WbIntervalRow, next).key.start_ms;
    /* Never past the data's last interval, nor past now: the live sampler
     * writes on from there. Rows from then on (events dated in the future
     * by a wrong clock) have no place in the archive yet. */
    if (first >= cap_ms)
      break;
    gint64 day = wb_day_start_ms(tz, first);
    gint64 day_end = MIN(wb_day_end_ms(tz, day), cap_ms);
    WbKpiCounts so_far = {0};
    for (gint64 start = day; start < day_end;) {
      gint64 end = MIN(wb_interval_end(tz, INTERVAL_MIN, start), cap_ms);
      WbIntervalRow row = {0};
      if (next < rows->len && g_array_index(rows, WbIntervalRow, next).key.start_ms == start)
        row = g_array_index(rows, WbIntervalRow, next++);
      wb_kpi_counts_sum(&so_far, &row.counts);
      WbRrdSample s;
      interval_sample(&which, &row, &so_far, &settings, start, end, &s);
      wb_rrd_archive_add(archive, scope, &s);
      start = end;
    }
    /* Rows of a day already passed (not on a 15-minute start) are skipped. */
    while (next < rows->len && g_array_index(rows, WbIntervalRow, next).key.start_ms < day_end)
      next++;
    if ((queued += 96) >= 4096) {
      queued = 0;
      if (!wb_rrd_archive_flush(archive, error))
        return FALSE;
    }
  }
  return wb_rrd_archive_flush(archive, error);
}

gboolean
wb_sampler_backfill(WbRrdArchive *archive, WbStore *store, const WbConfig *cfg, GTimeZone *tz,
                    gint64 from_ms, gint64 to_ms, gint64 now_ms, GError **error)
{
  gint64 from = wb_interval_start(tz, INTERVAL_MIN, from_ms);
  gint64 last = wb_interval_start(tz, INTERVAL_MIN, MAX(to_ms - 1, from));
  gint64 cap = MIN(wb_interval_end(tz, INTERVAL_MIN, last), now_ms);
  g_autoptr(GPtrArray) scopes = wb_store_interval_scopes(store, INTERVAL_MIN, from, to_ms);

  for (guint i = 0; i < scopes->len; i++)
    if (!backfill_scope(archive, store, cfg, tz, g_ptr_array_index(scopes, i), from, to_ms, cap,
                        error))
      return FALSE;
  return TRUE;
}
