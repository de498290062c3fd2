/* reports.h: the daemon's management reports: runs off the loop thread,
 * one at a time, on request (POST /api/v1/reports) and on the in-daemon
 * schedule ([report] schedule), each recorded in report_runs
 * (engine/report/report.h, DESIGN.md section 9).
 *
 * A run opens its own connection to the store and reads its own copy of
 * the configuration, taken when it was asked for: a reload of the
 * daemon's configuration never changes what a run under way reads.
 */
#pragma once

#include <glib.h>

#include "engine/engine.h"
#include "engine/report/report.h"

G_BEGIN_DECLS

typedef struct WbReports WbReports;

/* Checks [report] schedule; fails runs the daemon left "running". */
WbReports *wb_reports_new(WbEngine *engine, GError **error);
/* Reads [report] schedule of cfg (a reload's); r NULL only checks it.
 * FALSE with an error naming the bad kind, the schedule unchanged. */
gboolean wb_reports_set_schedule(WbReports *r, const WbConfig *cfg, GError **error);
/* Checks the schedule now and then every minute on the loop. */
void wb_reports_start(WbReports *reports);
/* Waits for the run under way; queued ones are dropped. */
void wb_reports_free(WbReports *reports);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbReports, wb_reports_free)

/* Queues a run of period; FALSE when one of the same period is queued or
 * under way (*busy TRUE), or the queue failed (error). */
gboolean wb_reports_request(WbReports *reports, const WbReportPeriod *period, const char *trigger,
                            const char *requested_by, gboolean *busy, GError **error);
/* Whether a run of the period is queued or under way. */
gboolean wb_reports_busy(WbReports *reports, const WbReportPeriod *period);
/* The reports directory: <state-dir>/reports. */
const char *wb_reports_dir(const WbReports *reports);

/* When the scheduled run of period is due: after [report] schedule_hour of
 * the day after the period's end; the annual review's on 1 December of
 * its year. */
gint64 wb_reports_due_ms(const WbConfig *cfg, GTimeZone *tz, const WbReportPeriod *period);

G_END_DECLS
