/* alerts_collect.c: the metrics the alert rules watch, sampled from the
 * engine (docs/alerts.md says what each one measures). */
#define G_LOG_DOMAIN "alerts"

#include <math.h>
#include <string.h>
#include <sys/statvfs.h>

#include "engine/alerts.h"
#include "engine/alerts_private.h"
#include "engine/live.h"
#include "engine/metrics.h"
#include "rrd/archive.h"
#include "engine/store_private.h"
#include "engine/workforce/staffing.h"

/* The window of service_level and abandon_rate. */
#define WINDOW_MS (15 * 60 * 1000LL)
/* store_errors counts the failures of this last stretch. */
#define STORE_ERRORS_MS (10 * 60 * 1000LL)
/* Work orders due further ahead than this are not read. */
#define WORKORDER_AHEAD_MS (24 * 3600 * 1000LL)

typedef struct {
  GArray *samples;    /* WbAlertSample */
  GStringChunk *text; /* the samples' strings */
} Batch;

static void
batch_init(Batch *b)
{
  b->samples = g_array_new(FALSE, TRUE, sizeof(WbAlertSample));
  b->text = g_string_chunk_new(1024);
}

static void
batch_clear(Batch *b)
{
  g_array_unref(b->samples);
  g_string_chunk_free(b->text);
}

static void
batch_add(Batch *b, const char *scope, const char *subject, gdouble value, gdouble target,
          gint64 calls)
{
  WbAlertSample x = {g_string_chunk_insert(b->text, scope),
                     g_string_chunk_insert(b->text, subject != NULL ? subject : scope), value,
                     target, calls};
  g_array_append_val(b->samples, x);
}

static void
batch_observe(WbAlerts *a, Batch *b, const char *metric, gint64 now_ms)
{
  g_autoptr(GError) error = NULL;
  if (!wb_alerts_observe(a, now_ms, metric, (const WbAlertSample *)b->samples->data,
                         b->samples->len, &error))
    g_warning("%s: %s", metric, error->message);
  g_array_set_size(b->samples, 0);
}

static void
queue_scope(const WbQueueView *q, char *out, gsize size)
{
  if (q->queue[0] == '\0')
    g_strlcpy(out, "total", size);
  else
    g_snprintf(out, size, "queue:%s", q->queue);
}

/* waiting and longest wait now, per queue and in total. */
static void
collect_queues(WbAlerts *a, const WbLiveView *view, gint64 now_ms)
{
  Batch waiting, longest;
  char scope[WB_EVENT_ID_MAX + 8];
  batch_init(&waiting);
  batch_init(&longest);
  for (guint i = 0; i <= view->queues->len; i++) {
    const WbQueueView *q = i == 0 ? &view->total : &g_array_index(view->queues, WbQueueView, i - 1);
    queue_scope(q, scope, sizeof(scope));
    batch_add(&waiting, scope, q->name, q->waiting, NAN, 0);
    batch_add(&longest, scope, q->name, q->longest_wait_s, NAN, 0);
  }
  batch_observe(a, &waiting, "waiting", now_ms);
  batch_observe(a, &longest, "longest_wait_s", now_ms);
  batch_clear(&waiting);
  batch_clear(&longest);
}

/* Service level and abandon rate of the calls that entered in the last
 * WINDOW_MS, against each scope's target. */
static void
collect_window(WbAlerts *a, WbEngine *e, gint64 now_ms)
{
  g_autoptr(WbLiveView) w = wb_live_view_window(e->live, now_ms, now_ms - WINDOW_MS, now_ms + 1);
  Batch sl, ab;
  char scope[WB_EVENT_ID_MAX + 8];
  batch_init(&sl);
  batch_init(&ab);
  for (guint i = 0; i <= w->queues->len; i++) {
    const WbQueueView *q = i == 0 ? &w->total : &g_array_index(w->queues, WbQueueView, i - 1);
    gdouble target_ar = NAN, target_sl = NAN;
    wb_config_targets(e->cfg, i == 0 ? NULL : q->queue, &target_ar, &target_sl);
    queue_scope(q, scope, sizeof(scope));
    const WbKpiCounts *c = &q->kpi.counts;
    batch_add(&sl, scope, q->name, q->kpi.service_level, target_sl, c->offered);
    batch_add(&ab, scope, q->name, c->offered > 0 ? (gdouble)c->abandoned / c->offered : NAN, NAN,
              c->offered);
  }
  batch_observe(a, &sl, "service_level", now_ms);
  batch_observe(a, &ab, "abandon_rate", now_ms);
  batch_clear(&sl);
  batch_clear(&ab);
}

/* Seconds each agent has been in after-call work, or paused, so far. */
static void
collect_agents(WbAlerts *a, const WbLiveView *view, gint64 now_ms)
{
  Batch acw, paused;
  char scope[WB_EVENT_ID_MAX + 8];
  batch_init(&acw);
  batch_init(&paused);
  for (guint i = 0; i < view->agents->len; i++) {
    const WbAgentView *v = &g_array_index(view->agents, WbAgentView, i);
    if (v->since_ms <= 0 || (v->state != WB_AGENT_ACW && v->state != WB_AGENT_PAUSED))
      continue;
    g_snprintf(scope, sizeof(scope), "agent:%s", v->agent);
    batch_add(v->state == WB_AGENT_ACW ? &acw : &paused, scope, v->name,
              MAX(now_ms - v->since_ms, 0) / 1000.0, NAN, 0);
  }
  batch_observe(a, &acw, "acw_s", now_ms);
  batch_observe(a, &paused, "paused_s", now_ms);
  batch_clear(&acw);
  batch_clear(&paused);
}

/* Staffing now: agents short of the required, and who is rostered on a
 * shift under way but not present (minutes since the shift began). */
static void
collect_staffing(WbAlerts *a, WbEngine *e, const WbLiveView *view, gint64 now_ms)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WbStaffing) s = wb_staffing_compute(e->store, e->cfg, e->tz, view, now_ms, &error);
  if (s == NULL) {
    /* The states stay as they are until a read succeeds. */
    g_warning("staffing: %s", error->message);
    return;
  }
  Batch gap, uncovered;
  batch_init(&gap);
  batch_init(&uncovered);
  if (s->current.required_known)
    batch_add(&gap, "total", "全部队列", s->current.erlang.agents - s->present, NAN, 0);
  for (guint i = 0; i < s->on_duty->len; i++) {
    const WbStaffingPerson *p = g_ptr_array_index(s->on_duty, i);
    if (!p->rostered || p->present || p->shift == NULL)
      continue;
    gint64 start = -1;
    for (guint k = 0; k < s->shifts->len; k++) {
      const WbStaffingShift *sh = g_ptr_array_index(s->shifts, k);
      if (strcmp(sh->code, p->shift) == 0)
        start = sh->from_ms;
    }
    if (start < 0)
      continue;
    g_autofree char *scope = g_strconcat("agent:", p->agent, NULL);
    g_autofree char *subject = g_strdup_printf("%s (%s)", p->name, p->shift_label);
    batch_add(&uncovered, scope, subject, MAX(now_ms - start, 0) / 60000.0, NAN, 0);
  }
  batch_observe(a, &gap, "staffing_gap", now_ms);
  batch_observe(a, &uncovered, "shift_uncovered_min", now_ms);
  batch_clear(&gap);
  batch_clear(&uncovered);
}

static const char sql_workorders[] =
    "SELECT id, origin, due_ms FROM workorders"
    " WHERE closed_ms IS NULL AND coalesce(status, '') <> 'closed' AND due_ms IS NOT NULL"
    "   AND origin LIKE '12345%' AND due_ms < ?1 ORDER BY due_ms LIMIT 1000";

/* Open work orders from the 12345 platforms: minutes until they are due
 * (negative once overdue). */
static void
collect_workorders(WbAlerts *a, WbEngine *e, gint64 now_ms)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *st = wb_store_statement(e->store, sql_workorders, &error);
  if (st == NULL) {
    g_warning("work orders: %s", error->message);
    return;
  }
  Batch due;
  batch_init(&due);
  sqlite3_bind_int64(st, 1, now_ms + WORKORDER_AHEAD_MS);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(st, 0);
    const char *origin = (const char *)sqlite3_column_text(st, 1);
    g_autofree char *scope = g_strconcat("workorder:", id, NULL);
    g_autofree char *subject = g_strdup_printf("%s (%s)", id, origin);
    batch_add(&due, scope, subject, (sqlite3_column_int64(st, 2) - now_ms) / 60000.0, NAN, 0);
  }
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    batch_observe(a, &due, "workorder_due_min", now_ms);
  else
    g_warning("work orders: reading failed");
  batch_clear(&due);
}

/* Each source of each collector: seconds since its last line or event
 * (or since the daemon started), and for a network source seconds
 * disconnected. The JSON ingest API waits for others to send: its silence
 * is no fault. */
static void
collect_collectors(WbAlerts *a, WbEngine *e, GHashTable *down_since, gint64 now_ms)
{
  gint64 wall_ms = g_get_real_time() / 1000;
  Batch silent, down;
  batch_init(&silent);
  batch_init(&down);
  for (guint i = 0; e->collectors != NULL && i < e->collectors->len; i++) {
    WbCollector *c = g_ptr_array_index(e->collectors, i);
    if ((gpointer)c == (gpointer)e->ingest)
      continue;
    guint n = c->ops->n_sources != NULL ? c->ops->n_sources(c) : 0;
    for (guint k = 0; k < n; k++) {
      WbCollectorStats st = {0};
      c->ops->stats(c, k, &st);
      const char *source = c->ops->source(c, k);
      g_autofree char *scope = g_strconcat("collector:", source, NULL);
      /* The same measure as /healthz's, so both agree. */
      batch_add(&silent, scope, source, wb_metrics_collector_silence_s(e, st.last_event_ms), NAN,
                0);
      if (st.connected != 0) {
        g_hash_table_remove(down_since, source);
        continue;
      }
      gint64 *since = g_hash_table_lookup(down_since, source);
      if (since == NULL) {
        since = g_new(gint64, 1);
        *since = wall_ms;
        g_hash_table_insert(down_since, g_strdup(source), since);
      }
      batch_add(&down, scope, source, (wall_ms - *since) / 1000.0, NAN, 0);
    }
  }
  batch_observe(a, &silent, "collector_silent_s", now_ms);
  batch_observe(a, &down, "collector_down_s", now_ms);
  batch_clear(&silent);
  batch_clear(&down);
}

static void
collect_disk(WbAlerts *a, WbEngine *e, gint64 now_ms)
{
  struct statvfs fs;
  Batch disk;
  if (e->state_dir == NULL || statvfs(e->state_dir, &fs) != 0 || fs.f_blocks == 0)
    return;
  batch_init(&disk);
  batch_add(&disk, "disk", e->state_dir, (gdouble)fs.f_bavail / (gdouble)fs.f_blocks, NAN, 0);
  batch_observe(a, &disk, "disk_free_pct", now_ms);
  batch_clear(&disk);
}

/* Adds the failures counted since the last look (a counter that only
 * grows) to the window of pairs and returns those of the last
 * STORE_ERRORS_MS. */
static gint64
window_errors(GArray *pairs, gboolean *known, guint64 *last_total, guint64 total, gint64 now_ms)
{
  if (!*known) {
    *known = TRUE;
    *last_total = total;
  }
  if (total > *last_total) {
    gint64 pair[2] = {now_ms, (gint64)(total - *last_total)};
    g_array_append_vals(pairs, pair, 2);
    *last_total = total;
  }
  while (pairs->len >= 2 && g_array_index(pairs, gint64, 0) <= now_ms - STORE_ERRORS_MS)
    g_array_remove_range(pairs, 0, 2);
  gint64 n = 0;
  for (guint i = 1; i < pairs->len; i += 2)
    n += g_array_index(pairs, gint64, i);
  return n;
}

static void
observe_count(WbAlerts *a, const char *scope, const char *metric, gint64 n, gint64 now_ms)
{
  Batch batch;
  batch_init(&batch);
  batch_add(&batch, scope, scope, (gdouble)n, NAN, 0);
  batch_observe(a, &batch, metric, now_ms);
  batch_clear(&batch);
}

/* Failed commits of the last STORE_ERRORS_MS (the bus counts them since
 * the start). */
static void
collect_store(WbAlerts *a, WbEngine *e, WbAlertsCollectState *cs, gint64 now_ms)
{
  WbBusStats bs;
  wb_bus_stats(e->bus, &bs);
  guint64 before = cs->errors_total;
  gboolean known = cs->errors_known;
  gint64 n = window_errors(cs->store_errors, &cs->errors_known, &cs->errors_total, bs.store_errors,
                           now_ms);
  /* The failure may have dropped alert rows of the batch. */
  if (known && cs->errors_total > before)
    wb_alerts_resync(a, now_ms);
  observe_count(a, "store", "store_errors", n, now_ms);
}

/* Failed RRD updates of the last STORE_ERRORS_MS: the trends stop while
 * the live figures go on, so nobody would notice otherwise. */
static void
collect_rrd(WbAlerts *a, WbEngine *e, WbAlertsCollectState *cs, gint64 now_ms)
{
  WbRrdStats rs;
  wb_rrd_archive_stats(e->rrd, &rs);
  gint64 n = window_errors(cs->rrd_errors, &cs->rrd_known, &cs->rrd_total, rs.errors, now_ms);
  observe_count(a, "rrd", "rrd_errors", n, now_ms);
}

void
wb_alerts_collect(WbAlerts *a, WbEngine *e, gint64 now_ms)
{
  g_autoptr(WbLiveView) view = wb_live_view(e->live, now_ms);
  WbAlertsCollectState *cs = wb_alerts_collect_state(a);

  collect_queues(a, view, now_ms);
  collect_window(a, e, now_ms);
  collect_agents(a, view, now_ms);
  collect_collectors(a, e, cs->down_since, now_ms);
  if (e->bus != NULL)
    collect_store(a, e, cs, now_ms);
  if (e->rrd != NULL)
    collect_rrd(a, e, cs, now_ms);
  if (cs->slow_at_ms == 0 || now_ms - cs->slow_at_ms >= WB_ALERTS_SLOW_MS ||
      now_ms < cs->slow_at_ms) {
    cs->slow_at_ms = now_ms;
    collect_staffing(a, e, view, now_ms);
    collect_workorders(a, e, now_ms);
  }
  if (cs->disk_at_ms == 0 || now_ms - cs->disk_at_ms >= WB_ALERTS_DISK_MS ||
      now_ms < cs->disk_at_ms) {
    cs->disk_at_ms = now_ms;
    collect_disk(a, e, now_ms);
  }
}

static gboolean
on_tick(gpointer data)
{
  WbEngine *e = data;
  if (e->alerts != NULL)
    wb_alerts_collect(e->alerts, e, wb_clock_now_ms(&e->clock));
  return G_SOURCE_CONTINUE;
}

void
wb_alerts_start(WbAlerts *a, WbEngine *e)
{
  WbAlertsCollectState *cs = wb_alerts_collect_state(a);
  if (cs->timer_id == 0)
    cs->timer_id = g_timeout_add_seconds(1, on_tick, e);
}
