/* api_reports.h: the management reports in the REST API
 * (docs/protocol.md, docs/reports.md). engine/api.c routes and checks the
 * role (manager or admin); these read the runs and files and queue runs.
 *
 *   GET  /api/v1/reports                      reports made, runs, schedule
 *   POST /api/v1/reports {"kind","period"}    a run queued (202)
 *   GET  /api/v1/reports/files/NAME/FILE      a report's file (audited)
 *   GET  /api/v1/reports/text?kind=&period=   the manager's text
 *   POST /api/v1/reports/text {"kind","period","body"}
 */
#pragma once

#include <glib.h>

#include "engine/api.h"
#include "engine/engine.h"

G_BEGIN_DECLS

/* Longest problems-and-rectification text, in characters. */
#define WB_REPORT_TEXT_MAX 20000

void wb_api_reports_list(WbEngine *e, WbApiReply *out);
void wb_api_reports_run(WbEngine *e, const WbApiRequest *req, const WbApiCaller *caller,
                        WbApiReply *out);
void wb_api_reports_file(WbEngine *e, const WbApiRequest *req, const WbApiCaller *caller,
                         WbApiReply *out);
void wb_api_reports_text(WbEngine *e, GHashTable *query, WbApiReply *out);
void wb_api_reports_text_set(WbEngine *e, const WbApiRequest *req, const WbApiCaller *caller,
                             WbApiReply *out);

G_END_DECLS
