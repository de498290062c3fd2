/* attendance.c: rostered shifts judged against presence. */
#define G_LOG_DOMAIN "attendance"

#include "engine/workforce/attendance.h"

#include <math.h>
#include <string.h>

#include "engine/clock.h"
#include "engine/store_private.h"
#include "engine/workforce/presence.h"

#define MIN_MS G_GINT64_CONSTANT(60000)
#define DAY_MS G_GINT64_CONSTANT(86400000)
/* No shift is longer: how far before a window a shift overlapping it may
 * start. */
#define SHIFT_MAX_MS (2 * DAY_MS)

static const char sql_shifts[] =
    "SELECT r.agent, r.start_ms, r.end_ms, r.role, r.template, s.name FROM roster r"
    " LEFT JOIN staff s ON s.agent = r.agent"
    " WHERE r.start_ms >= ?1 AND r.start_ms < ?2 AND r.end_ms > ?3"
    " ORDER BY r.start_ms, r.agent";
static const char sql_staff[] = "SELECT agent, name, status, updated_ms FROM staff";

static const char *const status_names[WB_SHIFT_STATUS_COUNT] = {
    [WB_SHIFT_UPCOMING] = "upcoming", [WB_SHIFT_ON_DUTY] = "on_duty", [WB_SHIFT_AWAY] = "away",
    [WB_SHIFT_ABSENT] = "absent",     [WB_SHIFT_DONE] = "done",
};

const char *
wb_shift_status_name(WbShiftStatus status)
{
  return (int)status >= 0 && status < WB_SHIFT_STATUS_COUNT ? status_names[status] : "upcoming";
}

void
wb_attendance_rules_default(WbAttendanceRules *rules)
{
  rules->late_grace_min = 5;
  rules->early_grace_min = 5;
  rules->absent_after_min = 30;
  rules->long_absence_days = 3;
}

void
wb_shift_attendance_free(WbShiftAttendance *shift)
{
  if (shift == NULL)
    return;
  g_free(shift->agent);
  g_free(shift->name);
  g_free(shift->role);
  g_free(shift->template_code);
  g_free(shift);
}

void
wb_attendance_summary_free(WbAttendanceSummary *summary)
{
  if (summary == NULL)
    return;
  g_free(summary->agent);
  g_free(summary->name);
  g_free(summary->status);
  g_free(summary);
}

void
wb_attendance_judge(WbShiftAttendance *shift, const GPtrArray *spans,
                    const WbAttendanceRules *rules, gint64 now_ms)
{
  gint64 start = shift->start_ms, end = shift->end_ms;
  /* Only the part of the shift up to now is rostered yet. */
  gint64 upto = MIN(end, now_ms);
  gint64 first = -1, last = -1;
  gboolean seen =
      upto > start && wb_presence_bounds(spans, shift->agent, start, upto, &first, &last);

  shift->rostered_ms = MAX(0, upto - start);
  shift->present_ms = upto > start ? wb_presence_overlap_ms(spans, shift->agent, start, upto) : 0;
  shift->first_in_ms = seen ? first : -1;
  shift->last_out_ms = seen ? last : -1;
  shift->late = seen && first > start + rules->late_grace_min * MIN_MS;
  shift->late_ms = shift->late ? first - start : 0;
  /* Early leave is known only once the shift is over. */
  shift->early_leave = seen && now_ms >= end && last < end - rules->early_grace_min * MIN_MS;
  shift->early_ms = shift->early_leave ? end - last : 0;
  shift->absent = !seen && now_ms >= MIN(start + rules->absent_after_min * MIN_MS, end);

  if (now_ms < start)
    shift->status = WB_SHIFT_UPCOMING;
  else if (shift->absent)
    shift->status = WB_SHIFT_ABSENT;
  else if (now_ms >= end)
    shift->status = WB_SHIFT_DONE;
  else if (seen && last >= now_ms) /* spans end at now while they last */
    shift->status = WB_SHIFT_ON_DUTY;
  else
    shift->status = WB_SHIFT_AWAY;
}

static char *
column_text(sqlite3_stmt *st, int i)
{
  const char *s = (const char *)sqlite3_column_text(st, i);
  return s != NULL && *s != '\0' ? g_strdup(s) : NULL;
}

static gboolean
step_failed(int rc, const char *what, GError **error)
{
  if (rc == SQLITE_DONE)
    return FALSE;
  g_set_error(error, WB_STORE_ERROR, rc, "attendance: reading %s failed: %s", what,
              sqlite3_errstr(rc));
  return TRUE;
}

/* The shifts of the window, unjudged, and the presence around them. */
static gboolean
load(WbStore *store, gint64 from_ms, gint64 to_ms, gboolean overlapping, gint64 now_ms,
     GPtrArray **shifts_out, GPtrArray **spans_out, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, sql_shifts, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, overlapping ? from_ms - SHIFT_MAX_MS : from_ms);
  sqlite3_bind_int64(st, 2, to_ms);
  sqlite3_bind_int64(st, 3, from_ms);
  g_autoptr(GPtrArray) shifts =
      g_ptr_array_new_with_free_func((GDestroyNotify)wb_shift_attendance_free);
  gint64 lo = from_ms, hi = to_ms;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *agent = (const char *)sqlite3_column_text(st, 0);
    if (agent == NULL)
      continue;
    WbShiftAttendance *s = g_new0(WbShiftAttendance, 1);
    s->agent = g_strdup(agent);
    s->start_ms = sqlite3_column_int64(st, 1);
    s->end_ms = sqlite3_column_int64(st, 2);
    s->role = column_text(st, 3);
    s->template_code = column_text(st, 4);
    s->name = column_text(st, 5);
    lo = MIN(lo, s->start_ms);
    hi = MAX(hi, s->end_ms);
    g_ptr_array_add(shifts, s);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (step_failed(rc, "the roster", error))
    return FALSE;
  /* A day either side: first_in and last_out reach outside the shifts. */
  GPtrArray *spans = wb_presence_spans(store, lo - DAY_MS, hi + DAY_MS, now_ms, error);
  if (spans == NULL)
    return FALSE;
  *shifts_out = g_steal_pointer(&shifts);
  *spans_out = spans;
  return TRUE;
}

GPtrArray *
wb_attendance_shifts(WbStore *store, const WbAttendanceRules *rules, gint64 from_ms, gint64 to_ms,
                     gboolean overlapping, gint64 now_ms, GError **error)
{
  GPtrArray *shifts = NULL;
  g_autoptr(GPtrArray) spans = NULL;
  if (!load(store, from_ms, to_ms, overlapping, now_ms, &shifts, &spans, error))
    return NULL;
  for (guint i = 0; i < shifts->len; i++)
    wb_attendance_judge(g_ptr_array_index(shifts, i), spans, rules, now_ms);
  return shifts;
}

void
wb_attendance_holiday_ms(const WbShiftAttendance *shift, const GPtrArray *spans,
                         const WbHolidays *holidays, GTimeZone *tz, gint64 from_ms, gint64 to_ms,
                         gint64 now_ms, gint64 *statutory_ms, gint64 *rest_day_ms)
{
  gint64 upto = MIN(MIN(shift->end_ms, now_ms), to_ms);
  gint64 day_end;
  *statutory_ms = 0;
  *rest_day_ms = 0;
  /* A night shift's hours after midnight are the next day's. */
  for (gint64 day = wb_day_start_ms(tz, shift->start_ms); day < upto; day = day_end) {
    day_end = wb_day_end_ms(tz, day);
    gint64 a = MAX(MAX(shift->start_ms, day), from_ms), b = MIN(upto, day_end);
    if (b <= a)
      continue;
    GDate date;
    wb_day_of(tz, day, &date);
    if (wb_holidays_is_statutory_holiday(holidays, &date))
      *statutory_ms += wb_presence_overlap_ms(spans, shift->agent, a, b);
    else if (!wb_holidays_is_workday(holidays, &date))
      *rest_day_ms += wb_presence_overlap_ms(spans, shift->agent, a, b);
  }
}

static WbAttendanceSummary *
summary_get(GHashTable *by_agent, const char *agent)
{
  WbAttendanceSummary *s = g_hash_table_lookup(by_agent, agent);
  if (s == NULL) {
    s = g_new0(WbAttendanceSummary, 1);
    s->agent = g_strdup(agent);
    s->long_absence_since_ms = -1;
    s->adherence = NAN;
    g_hash_table_insert(by_agent, s->agent, s);
  }
  return s;
}

typedef struct {
  guint count;
  gint64 since_ms;
} Run;

/* The run of absent shifts each agent is in at the end: shifts in start
 * order; one not decided yet (upcoming, or not in yet within
 * absent_after_min) neither adds to a run nor ends it. agent -> Run. */
static GHashTable *
absence_runs(GPtrArray *shifts)
{
  GHashTable *runs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  for (guint i = 0; i < shifts->len; i++) {
    const WbShiftAttendance *sh = g_ptr_array_index(shifts, i);
    Run *r = g_hash_table_lookup(runs, sh->agent);
    if (r == NULL) {
      r = g_new0(Run, 1);
      g_hash_table_insert(runs, sh->agent, r);
    }
    if (sh->absent) {
      if (r->count++ == 0)
        r->since_ms = sh->start_ms;
    } else if (sh->first_in_ms >= 0) {
      r->count = 0;
    }
  }
  return runs;
}

static void
apply_run(WbAttendanceSummary *s, GHashTable *runs, const WbAttendanceRules *rules)
{
  const Run *r = g_hash_table_lookup(runs, s->agent);
  if (r == NULL)
    return;
  s->absent_run = r->count;
  /* Leave, when the staff table says so, is the better reason. */
  if (r->count >= (guint)rules->long_absence_days && !s->long_absence) {
    s->long_absence = TRUE;
    s->long_absence_reason = "absent";
    s->long_absence_since_ms = r->since_ms;
  }
}

/* Names and statuses from the staff table; active and on-leave staff are
 * listed even without shifts; leave is a long absence of its own. */
static gboolean
add_staff(WbStore *store, GHashTable *by_agent, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, sql_staff, error);
  if (st == NULL)
    return FALSE;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *agent = (const char *)sqlite3_column_text(st, 0);
    const char *status = (const char *)sqlite3_column_text(st, 2);
    if (agent == NULL)
      continue;
    gboolean leave = g_strcmp0(status, "leave") == 0;
    WbAttendanceSummary *s = g_hash_table_lookup(by_agent, agent);
    if (s == NULL && (leave || g_strcmp0(status, "active") == 0))
      s = summary_get(by_agent, agent);
    if (s == NULL)
      continue;
    g_free(s->name);
    s->name = column_text(st, 1);
    g_free(s->status);
    s->status = g_strdup(status);
    if (leave) {
      /* The staff table keeps the time of the record that says so. */
      s->long_absence = TRUE;
      s->long_absence_reason = "leave";
      s->long_absence_since_ms = sqlite3_column_int64(st, 3);
    }
  }
  sqlite3_reset(st);
  return !step_failed(rc, "staff", error);
}

static gint
compare_summaries(gconstpointer a, gconstpointer b)
{
  const WbAttendanceSummary *x = *(WbAttendanceSummary *const *)a;
  const WbAttendanceSummary *y = *(WbAttendanceSummary *const *)b;
  return strcmp(x->agent, y->agent);
}

GPtrArray *
wb_attendance_summaries(WbStore *store, const WbAttendanceRules *rules, const WbHolidays *holidays,
                        GTimeZone *tz, gint64 from_ms, gint64 to_ms, gint64 now_ms, GError **error)
{
  /* The absence run is as of the period's end: look back from there. */
  gint64 ref = MIN(to_ms, now_ms);
  gint64 since = MIN(from_ms, ref - WB_ATTENDANCE_LOOKBACK_DAYS * DAY_MS);
  g_autoptr(GPtrArray) shifts = NULL;
  g_autoptr(GPtrArray) spans = NULL;
  if (!load(store, since, to_ms, TRUE, now_ms, &shifts, &spans, error))
    return NULL;

  g_autoptr(GHashTable) by_agent = g_hash_table_new(g_str_hash, g_str_equal);
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)wb_attendance_summary_free);
  for (guint i = 0; i < shifts->len; i++) {
    WbShiftAttendance *sh = g_ptr_array_index(shifts, i);
    wb_attendance_judge(sh, spans, rules, now_ms);
    if (holidays != NULL && sh->end_ms > from_ms) {
      gint64 statutory, rest_day;
      wb_attendance_holiday_ms(sh, spans, holidays, tz, from_ms, to_ms, now_ms, &statutory,
                               &rest_day);
      if (statutory + rest_day > 0 || sh->start_ms >= from_ms) {
        WbAttendanceSummary *s = summary_get(by_agent, sh->agent);
        s->statutory_ms += statutory;
        s->rest_day_ms += rest_day;
      }
    }
    if (sh->start_ms < from_ms)
      continue;
    WbAttendanceSummary *s = summary_get(by_agent, sh->agent);
    s->shifts++;
    s->late += sh->late;
    s->early_leave += sh->early_leave;
    s->absent += sh->absent;
    s->rostered_ms += sh->rostered_ms;
    s->present_ms += sh->present_ms;
  }
  if (!add_staff(store, by_agent, error)) {
    g_ptr_array_unref(out);
    return NULL;
  }
  /* Runs may begin before the period; agents rostered only before it are
   * listed only if on the staff. */
  g_autoptr(GHashTable) runs = absence_runs(shifts);

  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, by_agent);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    WbAttendanceSummary *s = value;
    apply_run(s, runs, rules);
    if (s->rostered_ms > 0)
      s->adherence = (gdouble)s->present_ms / (gdouble)s->rostered_ms;
    g_ptr_array_add(out, s);
  }
  g_ptr_array_sort(out, compare_summaries);
  return out;
}

const char *
wb_attendance_docs_markdown(void)
{
  return "\n## Attendance and holidays\n\n"
         "**Presence** (在岗) is the union of two kinds of evidence "
         "(`engine/workforce/presence.c`); either alone is enough:\n\n"
         "- *Punches* of the time clock: an `in` lasts until the next `out`. Clocks that do not "
         "know the direction (ZKTeco exports state 255 for every punch, stored as `unknown`) "
         "are paired alternately in, out, in, out; pairing by calendar day would cut a night "
         "shift (19:00 to 08:00) in two. Pairing starts afresh after a gap of more than 14 h "
         "(any day off), so a missed punch does not flip the pairs after it; presses less than "
         "5 minutes after the previous one are one press. An `in` with no `out` within 14 h "
         "ends 14 h after it (a night shift is 13 h); an `out` with no `in` says nothing.\n"
         "- *Agent sessions* of the phone system: `agent.login` until `agent.logout` of the "
         "same agent, per queue as the live model counts them (logged in while logged in to "
         "any queue; a logout without a queue ends them all). A session still open ends at "
         "now.\n\n"
         "Nothing after now is presence. **Each rostered shift** (the `roster` table) is judged "
         "against it, with the `[attendance]` settings:\n\n"
         "- **late** (迟到): the first presence that overlaps the shift starts more than "
         "`late_grace_min` (default 5) minutes after the shift's start; `late_s` = first in "
         "- start. Not known (`null`) before any presence.\n"
         "- **early leave** (早退): the last presence that overlaps the shift ends more than "
         "`early_grace_min` (default 5) minutes before its end; `early_leave_s` = end - last "
         "out. Decided once the shift has ended (`null` before).\n"
         "- **absent** (缺勤): no presence at all during the shift, once `absent_after_min` "
         "(default 30) minutes of it have passed or it has ended.\n"
         "- **status** now: `upcoming` (not begun), `on_duty` (begun, present now), `away` "
         "(begun, not present now, not absent: not in yet, or stepped out), `absent`, `done` "
         "(ended, with presence in it).\n"
         "- `first_in` and `last_out` are the edges of the presence that overlaps the shift, "
         "as far as it reaches outside it (in at 07:50 for an 08:00 start); `last_out` is now "
         "while the agent is still present.\n\n"
         "**Per agent over a period** (`/api/v1/attendance`), over the shifts that *start* in "
         "the period (a night shift belongs to the day it begins on):\n\n"
         "- **adherence** (排班遵从度) = minutes in the rostered state / rostered minutes. *In "
         "the rostered state* means present (punched in or logged in) during a rostered "
         "shift, whatever the phone state (a pause is still present); presence outside the "
         "shifts does not count. Rostered minutes are those up to now. `null` when nothing "
         "was rostered.\n"
         "- **long absence** (长期缺勤): absent on `long_absence_days` (default 3) rostered "
         "shifts running, up to the period's end or now if earlier (shifts not decided yet "
         "neither lengthen nor end the run; the run is looked for at most 62 days back): "
         "`{\"reason\":\"absent\",\"since\":start of the run's first shift}`. A staff member "
         "whose status is `leave` is a long absence too: `{\"reason\":\"leave\",\"since\":the "
         "time of the staff record that says so}`. The status is today's.\n"
         "- Listed: every agent with a shift starting in the period, and every staff member "
         "`active` or on `leave`.\n\n"
         "**Holidays** (`engine/workforce/holidays.c`): the State Council's notices as "
         "shipped in `data/holidays-cn` (`YYYY.json` of every year, `statutory.json`; "
         "`[holidays] data_dir`), then a local file (`[holidays] file`) in the `YYYY.json` "
         "format, whose days replace the shipped days of the same dates:\n\n"
         "```\n"
         "{\"days\":[{\"date\":\"2026-10-10\",\"isOffDay\":true,\"name\":\"本地调休\"},\n"
         "          {\"date\":\"2026-10-08\",\"isOffDay\":false,\"name\":\"国庆节\"},\n"
         "          "
         "{\"date\":\"2026-12-24\",\"isOffDay\":true,\"name\":\"…\",\"isStatutory\":true}]}\n"
         "```\n\n"
         "`date` and `isOffDay` are required; `isStatutory` says whether a day off is a "
         "statutory holiday (left out: a shipped day keeps its mark, a new day is not "
         "statutory; a working day never is). A file that does not parse stops the answer "
         "with an error naming the file and the day.\n\n"
         "- **is_workday**: not a day off by notice, and Monday to Friday or a make-up working "
         "day. **is_statutory_holiday** (法定节假日): a day off that `statutory.json` (or the "
         "local file) lists as statutory, paid at 300 % when worked. **is_makeup_workday** "
         "(调休上班): a Saturday or Sunday made a working day.\n"
         "- **holiday hours** (节假日工作时长) per person: presence within rostered shifts on "
         "statutory holidays (`statutory`, 300 %), and on the other days that are not working "
         "days (`rest_day`, 200 %: weekends that are no make-up day, and the moved days of a "
         "break). Presence outside the roster is not counted: holiday work is work the roster "
         "asked for. A make-up working day counts as an ordinary day. Shifts are split at "
         "local midnight and each part goes to its own day and to the period that holds that "
         "day: the 8 hours after midnight of a night shift into 1 October are October's "
         "statutory hours though the shift is September's. Hours to the hundredth, with the "
         "seconds beside (`statutory_s`, `rest_day_s`). Whether rest-day hours are paid or "
         "given back as time off is for the payroll; both are reported.\n\n"
         "Check, run as tests (`tests/test_attendance.c`, `tests/integration/"
         "test_attendance.py`): National Day 2026 (1-3 October statutory, 4-7 October moved "
         "days off, Saturday 10 October a make-up day). An agent on the night of 30 September "
         "(19:00-08:00), on 3 October 08:00-17:00, on 4 October 08:00-17:00 leaving at 12:00, "
         "on 10 October 08:00-17:00 and on Sunday 11 October 08:00-12:00, present throughout "
         "otherwise: October has 4 shifts, 31 h rostered, 26 h present, adherence 0.8387, one "
         "early leave, 17 h statutory (8 + 9), 8 h rest day (4 + 4); with a local file that "
         "gives 10 October off, 17 h rest day.\n";
}
