/* sampler.h: the KPI sampler that feeds the RRD archive.
 *
 * Every 10 s (WB_RRD_STEP_S) of the engine's clock it takes one view of the
 * live model and writes a sample per scope: calls waiting, longest wait,
 * agents by state, today's service level, and the calls offered, answered
 * and abandoned since the previous sample. Samples are written once a minute
 * per file, many values per update.
 *
 * History has no 10-second view to take: a backfill writes one sample per
 * 15-minute interval from the `intervals` rows instead (counts, agent time
 * as the average number of agents in each state, the day's running service
 * level; waiting and longest wait unknown).
 */
#pragma once

#include <glib.h>

#include "engine/engine.h"
#include "rrd/archive.h"

G_BEGIN_DECLS

typedef struct WbSampler WbSampler;

/* e and archive are borrowed. */
WbSampler *wb_sampler_new(WbEngine *e, WbRrdArchive *archive);
void wb_sampler_free(WbSampler *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbSampler, wb_sampler_free)

/* Samples on a timer of the thread-default main context. */
void wb_sampler_start(WbSampler *s);
void wb_sampler_stop(WbSampler *s);
/* Takes the sample of the step that holds now_ms, if not taken yet. */
void wb_sampler_tick(WbSampler *s, gint64 now_ms);
/* Writes what is queued. */
gboolean wb_sampler_flush(WbSampler *s, GError **error);

/* Fills the archive for the intervals holding [from_ms, to_ms) from the
 * stored rows, whole intervals but never past now_ms, so that live samples
 * follow on. */
gboolean wb_sampler_backfill(WbRrdArchive *archive, WbStore *store, const WbConfig *cfg,
                             GTimeZone *tz, gint64 from_ms, gint64 to_ms, gint64 now_ms,
                             GError **error);

G_END_DECLS
