/* backfill.c: queue_log history through the live path, in large batches. */
#define G_LOG_DOMAIN "backfill"

#include "engine/backfill.h"

#include <errno.h>
#include <sys/stat.h>

#include "collectors/queuelog.h"
#include "engine/sampler.h"

#define PROGRESS_EVERY_US 100000

static void
sum_stats(WbCollector *c, WbBackfillProgress *p)
{
  p->bytes_done = p->lines = p->events = p->duplicates = p->quarantined = 0;
  for (guint i = 0; i < c->ops->n_sources(c); i++) {
    WbCollectorStats st;
    c->ops->stats(c, i, &st);
    p->bytes_done += st.bytes;
    p->lines += st.lines;
    p->events += st.events;
    p->duplicates += st.duplicates;
    p->quarantined += st.quarantined;
  }
}

gboolean
wb_backfill_queuelog(WbEngine *e, const char *const *paths, guint batch_events,
                     WbBackfillProgressFunc progress, gpointer user_data,
                     WbBackfillProgress *summary, GError **error)
{
  WbBackfillProgress p = {0};
  gint64 start = g_get_monotonic_time();
  gint64 calls_before = wb_store_count(e->store, "calls");
  gint64 last_id_before = wb_store_max_event_id(e->store);
  g_autoptr(WbAgentMap) agents = wb_config_agent_map(e->cfg);

  for (const char *const *path = paths; *path != NULL; path++) {
    struct stat st;
    if (stat(*path, &st) != 0) {
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", *path,
                  g_strerror(errno));
      return FALSE;
    }
    p.bytes_total += st.st_size;
  }
  WbQueuelogOptions opts = {
      .paths = paths,
      .sink = wb_bus_sink(e->bus),
      .agents = agents,
      .poll_ms = 1000,
  };
  g_autoptr(WbCollector) c = wb_queuelog_start(&opts, error);
  if (c == NULL)
    return FALSE;
  /* Driven from here, not by its timers. */
  c->ops->stop(c);
  wb_store_set_batch(e->store, batch_events);

  gint64 last_report = start;
  gboolean more = TRUE;
  while (more) {
    more = wb_queuelog_step(c);
    gint64 now = g_get_monotonic_time();
    if (progress != NULL && now - last_report >= PROGRESS_EVERY_US) {
      sum_stats(c, &p);
      p.elapsed_us = now - start;
      progress(&p, user_data);
      last_report = now;
    }
  }
  gboolean ok = wb_bus_flush(e->bus, error);
  wb_store_set_batch(e->store, (guint)e->cfg->batch_events);
  sum_stats(c, &p);
  p.calls = wb_store_count(e->store, "calls") - calls_before;
  if (ok && wb_store_event_span(e->store, last_id_before, &p.first_ts_ms, &p.last_ts_ms) &&
      e->rrd != NULL) {
    WbRrdStats before, after;
    wb_rrd_archive_stats(e->rrd, &before);
    /* Up to the end of the last interval that holds data. */
    ok = wb_sampler_backfill(e->rrd, e->store, e->cfg, e->tz, p.first_ts_ms, p.last_ts_ms + 1,
                             wb_clock_now_ms(&e->clock), error);
    wb_rrd_archive_stats(e->rrd, &after);
    p.rrd_samples = after.values - before.values;
  }
  p.elapsed_us = g_get_monotonic_time() - start;
  if (progress != NULL)
    progress(&p, user_data);
  if (summary != NULL)
    *summary = p;
  return ok;
}
