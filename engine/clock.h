/* clock.h: the engine's notion of now, days and time text.
 *
 * The engine asks its clock, never the system, what time it is: in the demo
 * with a speed-up, now is the simulation's time. Days begin at local
 * midnight in the centre's time zone.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef gint64 (*WbClockFunc)(gpointer user_data);

typedef struct {
  WbClockFunc func; /* NULL: the system's real time */
  gpointer user_data;
  gdouble rate; /* clock seconds per real second, for pages that tick */
} WbClock;

gint64 wb_clock_now_ms(const WbClock *clock);

/* Local midnight at or before `ms`, and the next one. */
gint64 wb_day_start_ms(GTimeZone *tz, gint64 ms);
gint64 wb_day_end_ms(GTimeZone *tz, gint64 ms);

/* The local calendar day of ms. */
void wb_day_of(GTimeZone *tz, gint64 ms, GDate *out);
/* Local midnight of a calendar day (year, month 1-12, day 1-31). */
gint64 wb_day_midnight_ms(GTimeZone *tz, gint year, gint month, gint day);

/* "2026-11-28T09:30:00.250+08:00" */
char *wb_time_format(GTimeZone *tz, gint64 ms);
/* "2026-11-28" */
char *wb_day_format(GTimeZone *tz, gint64 ms);
/* ISO-8601 with or without offset (without: in tz), a date alone (its
 * local midnight), epoch milliseconds, or a spreadsheet's local
 * "2026/11/28 8:00" (also with '-' or '.', with or without seconds). */
gboolean wb_time_parse(GTimeZone *tz, const char *text, gint64 *out_ms);

G_END_DECLS
