/* attendance.h: the roster against presence (DESIGN.md section 5:
 * attendance, adherence; REQUIREMENTS: "flag long absences", "total each
 * person's holiday hours worked").
 *
 * Every rostered shift (the roster table) is judged against the spans of
 * engine/workforce/presence.h: late, left early, absent, and where it
 * stands now. Per agent and period: counts, adherence, a long-absence flag
 * and the hours worked on holidays. docs/kpi.md, "Attendance and
 * holidays", gives the definitions.
 */
#pragma once

#include <glib.h>

#include "engine/store.h"
#include "engine/workforce/holidays.h"

G_BEGIN_DECLS

/* The [attendance] settings, in minutes and shifts. */
typedef struct {
  gint late_grace_min;
  gint early_grace_min;
  gint absent_after_min;
  gint long_absence_days;
} WbAttendanceRules;

/* The defaults of the configuration table: 5, 5, 30, 3. */
void wb_attendance_rules_default(WbAttendanceRules *rules);

/* Where a shift stands at now. */
typedef enum {
  WB_SHIFT_UPCOMING = 0, /* not begun */
  WB_SHIFT_ON_DUTY,      /* begun, not ended, present now */
  WB_SHIFT_AWAY,         /* begun, not ended, not present now, not (yet) absent */
  WB_SHIFT_ABSENT,       /* no presence in it, and absent_after_min of it passed */
  WB_SHIFT_DONE,         /* ended, with presence in it */
  WB_SHIFT_STATUS_COUNT
} WbShiftStatus;

const char *wb_shift_status_name(WbShiftStatus status);

typedef struct {
  char *agent;
  char *name; /* the staff table's, or NULL */
  char *role;
  char *template_code;
  gint64 start_ms;
  gint64 end_ms;
  WbShiftStatus status;
  /* The first and last presence overlapping the shift, as far as it
   * reaches outside it (07:50 for an 08:00 start); -1 when none. last_out
   * is now while the agent is still present. */
  gint64 first_in_ms;
  gint64 last_out_ms;
  gboolean late;
  gint64 late_ms; /* first_in - start, when late; else 0 */
  /* Decided once the shift has ended. */
  gboolean early_leave;
  gint64 early_ms; /* end - last_out, when early; else 0 */
  gboolean absent;
  gint64 rostered_ms; /* of the shift, up to now */
  gint64 present_ms;  /* presence within the rostered part */
} WbShiftAttendance;

void wb_shift_attendance_free(WbShiftAttendance *shift);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbShiftAttendance, wb_shift_attendance_free)

/* Judges one shift (agent, start_ms and end_ms set) against presence spans
 * (wb_presence_spans over a window that holds the shift): fills every
 * field from status on. */
void wb_attendance_judge(WbShiftAttendance *shift, const GPtrArray *spans,
                         const WbAttendanceRules *rules, gint64 now_ms);

/* The judged shifts that overlap [from_ms, to_ms) (overlapping TRUE: a
 * night shift begun the evening before is on today's list) or that start
 * in it (FALSE: each shift in one period only), by start then agent.
 * GPtrArray of WbShiftAttendance*, or NULL with error. */
GPtrArray *wb_attendance_shifts(WbStore *store, const WbAttendanceRules *rules, gint64 from_ms,
                                gint64 to_ms, gboolean overlapping, gint64 now_ms, GError **error);

/* One agent over a period: the shifts that start in it; holiday hours of
 * the days in it. */
typedef struct {
  char *agent;
  char *name;   /* staff table, or NULL */
  char *status; /* staff table's active, leave, left, reserve; or NULL */
  guint shifts;
  guint late;
  guint early_leave;
  guint absent;
  gint64 rostered_ms;
  gint64 present_ms;
  gdouble adherence; /* present / rostered; NAN when nothing was rostered */
  /* Long absence as of the period's end (or now, if earlier). */
  gboolean long_absence;
  const char *long_absence_reason; /* "absent" or "leave" (static) */
  gint64 long_absence_since_ms;    /* -1 when not known */
  guint absent_run;                /* consecutive absent shifts up to then */
  /* Presence within rostered shifts on statutory holidays (paid 300 %)
   * and on other days off: weekends that are no make-up working day and
   * the moved days of a break (200 %). */
  gint64 statutory_ms;
  gint64 rest_day_ms;
} WbAttendanceSummary;

void wb_attendance_summary_free(WbAttendanceSummary *summary);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbAttendanceSummary, wb_attendance_summary_free)

/* Holiday hours of one shift within [from_ms, to_ms): its presence within
 * the rostered part up to now, split at local midnights of tz, each day
 * taken as holidays says (a night shift's hours after midnight are the
 * next day's, and in the next day's period). */
void wb_attendance_holiday_ms(const WbShiftAttendance *shift, const GPtrArray *spans,
                              const WbHolidays *holidays, GTimeZone *tz, gint64 from_ms,
                              gint64 to_ms, gint64 now_ms, gint64 *statutory_ms,
                              gint64 *rest_day_ms);

/* Per agent over [from_ms, to_ms): every agent with a shift starting in it,
 * and every staff member active or on leave, by agent key. The long-absence
 * run looks back at most WB_ATTENDANCE_LOOKBACK_DAYS. GPtrArray of
 * WbAttendanceSummary*, or NULL with error. */
#define WB_ATTENDANCE_LOOKBACK_DAYS 62
GPtrArray *wb_attendance_summaries(WbStore *store, const WbAttendanceRules *rules,
                                   const WbHolidays *holidays, GTimeZone *tz, gint64 from_ms,
                                   gint64 to_ms, gint64 now_ms, GError **error);

/* The section "Attendance and holidays" of docs/kpi.md. */
const char *wb_attendance_docs_markdown(void);

G_END_DECLS
