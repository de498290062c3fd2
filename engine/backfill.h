/* backfill.h: history in at full speed, through the same path as live.
 *
 * A backfill reads queue_log files to their end through the engine's bus:
 * the same parser, store, live model and derived rows as the daemon, only
 * in larger batches and without waiting for new lines. The same file fed
 * live or backfilled gives the same rows. A file backfilled and then tailed
 * by the daemon resumes where the backfill stopped.
 */
#pragma once

#include <glib.h>

#include "engine/engine.h"

G_BEGIN_DECLS

/* Events per transaction for a backfill: large batches, few commits. */
#define WB_BACKFILL_BATCH 50000

typedef struct {
  guint64 bytes_total; /* of the files when the backfill began */
  guint64 bytes_done;
  guint64 lines;
  guint64 events;
  guint64 duplicates; /* events already stored */
  guint64 quarantined;
  gint64 calls;       /* `calls` rows the backfill added */
  gint64 first_ts_ms; /* the time span of the events it stored */
  gint64 last_ts_ms;
  guint64 rrd_samples; /* RRD samples written for that span */
  gint64 elapsed_us;
} WbBackfillProgress;

typedef void (*WbBackfillProgressFunc)(const WbBackfillProgress *progress, gpointer user_data);

/* e must be open as the writer, its live model rebuilt. progress, if not
 * NULL, is called every tenth of a second or so; summary gets the totals.
 * The RRD archive (if the engine keeps one) is filled for the span of the
 * events stored, from their interval rows. */
gboolean wb_backfill_queuelog(WbEngine *e, const char *const *paths, guint batch_events,
                              WbBackfillProgressFunc progress, gpointer user_data,
                              WbBackfillProgress *summary, GError **error);

G_END_DECLS
