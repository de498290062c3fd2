/* interval.h: 15, 30 and 60-minute and daily aggregates (`intervals`).
 *
 * Kept up to date as calls and agents change: a changed call is taken out
 * of its interval as it was and put back as it is, so a row is always the
 * sum of its calls as known now, and final once its last call has ended.
 * Call metrics belong to the interval in which the call entered the queue;
 * logged-in agent time is split across the intervals a state spans (offline
 * time is not kept per interval). Intervals begin at local midnight in the
 * centre's time zone.
 *
 * Rows live in memory while they change and are handed to the store when
 * it commits; a row not in memory is loaded from the store first, so late
 * events for an old interval still add up.
 */
#pragma once

#include <glib.h>

#include "engine/config.h"
#include "engine/kpi.h"
#include "engine/live.h"

G_BEGIN_DECLS

#define WB_INTERVAL_SIZE_COUNT 4
/* Interval sizes in minutes; a day is 1440 (a local calendar day). */
extern const gint wb_interval_sizes[WB_INTERVAL_SIZE_COUNT];
gboolean wb_interval_size_valid(gint size_min);

#define WB_SCOPE_TEXT_MAX (WB_EVENT_ID_MAX + 8)

typedef struct {
  gint size_min;
  gint64 start_ms;
  char scope[WB_SCOPE_TEXT_MAX]; /* "total", "queue:NAME", "agent:KEY" */
} WbIntervalKey;

typedef struct {
  WbIntervalKey key;
  gint sl_threshold_s; /* the threshold the service-level counts use */
  WbKpiCounts counts;
  WbAgentTime time;
} WbIntervalRow;

/* Start of the interval of size_min minutes that holds ts_ms, and its end. */
gint64 wb_interval_start(GTimeZone *tz, gint size_min, gint64 ts_ms);
gint64 wb_interval_end(GTimeZone *tz, gint size_min, gint64 start_ms);

typedef struct WbIntervals WbIntervals;

/* Fills *out with the stored row of key; FALSE if there is none. */
typedef gboolean (*WbIntervalLoadFunc)(const WbIntervalKey *key, WbIntervalRow *out,
                                       gpointer user_data);

/* cfg and tz are borrowed. */
WbIntervals *wb_intervals_new(const WbConfig *cfg, GTimeZone *tz, WbIntervalLoadFunc load,
                              gpointer user_data);
void wb_intervals_free(WbIntervals *iv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbIntervals, wb_intervals_free)

void wb_intervals_call_change(WbIntervals *iv, const WbCallChange *change);
void wb_intervals_agent_span(WbIntervals *iv, const WbAgentSpan *span);
void wb_intervals_ring_noanswer(WbIntervals *iv, const char *agent, gint64 ts_ms);

/* Hands each row changed since the last commit to func; stops and returns
 * FALSE if func does. The rows stay changed until wb_intervals_committed,
 * so that a batch whose commit failed writes them again. */
typedef gboolean (*WbIntervalRowFunc)(const WbIntervalRow *row, gpointer user_data);
gboolean wb_intervals_flush(WbIntervals *iv, WbIntervalRowFunc func, gpointer user_data);
/* The rows handed over are stored: they count as clean, and clean rows are
 * forgotten when memory holds more than it needs. */
void wb_intervals_committed(WbIntervals *iv);
guint wb_intervals_dirty(WbIntervals *iv);

G_END_DECLS
