/* api_attendance.h: the roster, attendance and holiday routes of the REST
 * API (docs/protocol.md). engine/api.c routes and checks the token; these
 * build the answers.
 *
 *   GET /api/v1/roster?date=YYYY-MM-DD        a day's shifts and how they stand
 *   GET /api/v1/attendance?month=YYYY-MM      per agent over a period (or from, to)
 *   GET /api/v1/holidays?year=YYYY            the calendar's days of a year
 */
#pragma once

#include <glib.h>

#include "engine/api.h"
#include "engine/engine.h"

G_BEGIN_DECLS

void wb_api_roster(WbEngine *e, GHashTable *query, WbApiReply *out);
void wb_api_attendance(WbEngine *e, GHashTable *query, WbApiReply *out);
void wb_api_holidays(WbEngine *e, GHashTable *query, WbApiReply *out);

G_END_DECLS
