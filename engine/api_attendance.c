/* api_attendance.c: /api/v1/roster, /api/v1/attendance, /api/v1/holidays. */
#define G_LOG_DOMAIN "api"

#include "engine/api_attendance.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>

#include "engine/clock.h"
#include "engine/kpi_json.h"
#include "engine/workforce/attendance.h"
#include "engine/workforce/holidays.h"

/* Longest period /api/v1/attendance answers for: a year and a day. */
#define PERIOD_MAX_MS (367 * G_GINT64_CONSTANT(86400000))

/* ---- JSON members ---- */

static void
add_seconds(JsonBuilder *b, const char *name, gint64 ms)
{
  wb_kpi_json_number(b, name, (gdouble)ms / 1000.0);
}

/* Hours to the hundredth, and the seconds they come from. */
static void
add_holiday_hours(JsonBuilder *b, gint64 statutory_ms, gint64 rest_day_ms)
{
  json_builder_set_member_name(b, "holiday_hours");
  json_builder_begin_object(b);
  wb_kpi_json_number(b, "statutory", round((gdouble)statutory_ms / 36000.0) / 100.0);
  wb_kpi_json_number(b, "rest_day", round((gdouble)rest_day_ms / 36000.0) / 100.0);
  add_seconds(b, "statutory_s", statutory_ms);
  add_seconds(b, "rest_day_s", rest_day_ms);
  json_builder_end_object(b);
}

static void
add_day_facts(JsonBuilder *b, const WbHolidays *h, const GDate *day)
{
  char text[16];
  g_date_strftime(text, sizeof(text), "%Y-%m-%d", day);
  wb_kpi_json_string(b, "date", text);
  wb_kpi_json_string_or_null(b, "name", wb_holidays_name(h, day));
  wb_kpi_json_bool_or_null(b, "is_workday", TRUE, wb_holidays_is_workday(h, day));
  wb_kpi_json_bool_or_null(b, "is_statutory_holiday", TRUE,
                           wb_holidays_is_statutory_holiday(h, day));
  wb_kpi_json_bool_or_null(b, "is_makeup_workday", TRUE, wb_holidays_is_makeup_workday(h, day));
  wb_kpi_json_bool_or_null(b, "is_day_off", TRUE, wb_holidays_is_day_off(h, day));
}

/* ---- parameters ---- */

/* date=YYYY-MM-DD: that local day; by default today. */
static gboolean
param_date(WbEngine *e, GHashTable *query, gint64 now, gint64 *from, gint64 *to, WbApiReply *out)
{
  const char *text = g_hash_table_lookup(query, "date");
  int y, m, d;
  char tail;
  if (text == NULL || *text == '\0') {
    *from = wb_day_start_ms(e->tz, now);
  } else if (sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && y >= 1970 && y <= 9999 &&
             g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y)) {
    *from = wb_day_midnight_ms(e->tz, y, m, d);
  } else {
    wb_api_reply_error(out, 400, "date: expected YYYY-MM-DD, got '%s'", text);
    return FALSE;
  }
  *to = wb_day_end_ms(e->tz, *from);
  return TRUE;
}

/* month=YYYY-MM, or from and to; by default this month. */
static gboolean
param_period(WbEngine *e, GHashTable *query, gint64 now, gint64 *from, gint64 *to, WbApiReply *out)
{
  const char *month = g_hash_table_lookup(query, "month");
  const char *from_text = g_hash_table_lookup(query, "from");
  const char *to_text = g_hash_table_lookup(query, "to");
  gboolean has_from = from_text != NULL && *from_text != '\0';
  gboolean has_to = to_text != NULL && *to_text != '\0';
  int y, m;
  char tail;

  if (month != NULL && (has_from || has_to)) {
    wb_api_reply_error(out, 400, "month: give month or from and to, not both");
    return FALSE;
  }
  if (has_from || has_to) {
    if (!has_from || !has_to) {
      wb_api_reply_error(out, 400, "%s: from and to go together", has_from ? "to" : "from");
      return FALSE;
    }
    if (!wb_api_param_time(e, query, "from", 0, from, out) ||
        !wb_api_param_time(e, query, "to", 0, to, out))
      return FALSE;
    if (*from >= *to) {
      wb_api_reply_error(out, 400, "from must be earlier than to");
      return FALSE;
    }
    if (*to - *from > PERIOD_MAX_MS) {
      wb_api_reply_error(out, 400, "to: a period of at most 367 days, please");
      return FALSE;
    }
    return TRUE;
  }
  if (month == NULL) {
    GDate today;
    wb_day_of(e->tz, now, &today);
    y = g_date_get_year(&today);
    m = g_date_get_month(&today);
  } else if (sscanf(month, "%4d-%2d%c", &y, &m, &tail) != 2 || y < 1970 || y > 9999 || m < 1 ||
             m > 12) {
    wb_api_reply_error(out, 400, "month: expected YYYY-MM, got '%s'", month);
    return FALSE;
  }
  *from = wb_day_midnight_ms(e->tz, y, m, 1);
  *to = m == 12 ? wb_day_midnight_ms(e->tz, y + 1, 1, 1) : wb_day_midnight_ms(e->tz, y, m + 1, 1);
  return TRUE;
}

static void
rules_from_config(const WbConfig *cfg, WbAttendanceRules *rules)
{
  rules->late_grace_min = cfg->attendance_late_grace_min;
  rules->early_grace_min = cfg->attendance_early_grace_min;
  rules->absent_after_min = cfg->attendance_absent_after_min;
  rules->long_absence_days = cfg->attendance_long_absence_days;
}

static WbHolidays *
open_holidays(WbEngine *e, WbApiReply *out)
{
  g_autoptr(GError) error = NULL;
  WbHolidays *h = wb_holidays_open(e->cfg->holidays_data_dir, e->cfg->holidays_file, &error);
  if (h == NULL)
    wb_api_reply_error(out, 500, "%s", error->message);
  return h;
}

/* What has been ingested is committed before it is read. */
static void
commit_first(WbEngine *e)
{
  g_autoptr(GError) error = NULL;
  wb_bus_flush(e->bus, &error);
}

static const char *
agent_name(WbEngine *e, const char *agent, const char *staff_name)
{
  return staff_name != NULL ? staff_name : wb_config_agent_name(e->cfg, agent);
}

/* The [shift.CODE] label of a roster's template code, or NULL. */
static const char *
template_label(const WbConfig *cfg, const char *code)
{
  for (guint i = 0; code != NULL && cfg->shifts != NULL && i < cfg->shifts->len; i++) {
    const WbShiftConfig *sc = g_ptr_array_index(cfg->shifts, i);
    if (g_strcmp0(sc->code, code) == 0)
      return sc->label;
  }
  return NULL;
}

/* ---- routes ---- */

static void
add_shift(JsonBuilder *b, WbEngine *e, const WbShiftAttendance *s, gint64 now)
{
  gboolean seen = s->first_in_ms >= 0;
  gboolean ended = now >= s->end_ms;
  json_builder_begin_object(b);
  wb_kpi_json_string(b, "agent", s->agent);
  wb_kpi_json_string(b, "name", agent_name(e, s->agent, s->name));
  wb_kpi_json_string_or_null(b, "role", s->role);
  wb_kpi_json_string_or_null(b, "template", s->template_code);
  wb_kpi_json_string_or_null(b, "template_label", template_label(e->cfg, s->template_code));
  wb_kpi_json_time_twin(b, e->tz, "start", s->start_ms);
  wb_kpi_json_time_twin(b, e->tz, "end", s->end_ms);
  wb_kpi_json_string(b, "status", wb_shift_status_name(s->status));
  wb_kpi_json_time_twin(b, e->tz, "first_in", s->first_in_ms);
  wb_kpi_json_time_twin(b, e->tz, "last_out", s->last_out_ms);
  /* null while not known: late before any presence, early leave before
   * the end, both for an absent shift. */
  wb_kpi_json_bool_or_null(b, "late", seen, s->late);
  add_seconds(b, "late_s", s->late_ms);
  wb_kpi_json_bool_or_null(b, "early_leave", seen && ended, s->early_leave);
  add_seconds(b, "early_leave_s", s->early_ms);
  wb_kpi_json_bool_or_null(b, "absent", TRUE, s->absent);
  add_seconds(b, "rostered_s", s->rostered_ms);
  add_seconds(b, "present_s", s->present_ms);
  json_builder_end_object(b);
}

void
wb_api_roster(WbEngine *e, GHashTable *query, WbApiReply *out)
{
  gint64 now = wb_clock_now_ms(&e->clock);
  gint64 from, to;
  WbAttendanceRules rules;
  g_autoptr(GError) error = NULL;

  if (!param_date(e, query, now, &from, &to, out))
    return;
  g_autoptr(WbHolidays) holidays = open_holidays(e, out);
  if (holidays == NULL)
    return;
  commit_first(e);
  rules_from_config(e->cfg, &rules);
  g_autoptr(GPtrArray) shifts = wb_attendance_shifts(e->store, &rules, from, to, TRUE, now, &error);
  if (shifts == NULL) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  guint counts[WB_SHIFT_STATUS_COUNT] = {0};
  guint late = 0, early = 0;
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  GDate day;
  wb_day_of(e->tz, from, &day);
  add_day_facts(b, holidays, &day);
  wb_kpi_json_time_twin(b, e->tz, "from", from);
  wb_kpi_json_time_twin(b, e->tz, "to", to);
  wb_kpi_json_time_twin(b, e->tz, "now", now);
  json_builder_set_member_name(b, "shifts");
  json_builder_begin_array(b);
  for (guint i = 0; i < shifts->len; i++) {
    const WbShiftAttendance *s = g_ptr_array_index(shifts, i);
    add_shift(b, e, s, now);
    counts[s->status]++;
    late += s->late;
    early += s->early_leave;
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "counts");
  json_builder_begin_object(b);
  wb_kpi_json_int(b, "shifts", shifts->len);
  for (int st = 0; st < WB_SHIFT_STATUS_COUNT; st++)
    wb_kpi_json_int(b, wb_shift_status_name((WbShiftStatus)st), counts[st]);
  wb_kpi_json_int(b, "late", late);
  wb_kpi_json_int(b, "early_leave", early);
  json_builder_end_object(b);
  json_builder_end_object(b);
  wb_api_reply_json(out, b);
}

static void
add_adherence(JsonBuilder *b, gint64 rostered_ms, gint64 present_ms)
{
  wb_kpi_json_number(b, "adherence",
                     rostered_ms > 0 ? (gdouble)present_ms / (gdouble)rostered_ms : NAN);
}

static void
add_summary(JsonBuilder *b, WbEngine *e, const WbAttendanceSummary *s)
{
  json_builder_begin_object(b);
  wb_kpi_json_string(b, "agent", s->agent);
  wb_kpi_json_string(b, "name", agent_name(e, s->agent, s->name));
  wb_kpi_json_string_or_null(b, "status", s->status);
  wb_kpi_json_int(b, "shifts", s->shifts);
  wb_kpi_json_int(b, "late", s->late);
  wb_kpi_json_int(b, "early_leave", s->early_leave);
  wb_kpi_json_int(b, "absent", s->absent);
  add_seconds(b, "rostered_s", s->rostered_ms);
  add_seconds(b, "present_s", s->present_ms);
  add_adherence(b, s->rostered_ms, s->present_ms);
  wb_kpi_json_int(b, "absent_run", s->absent_run);
  json_builder_set_member_name(b, "long_absence");
  if (s->long_absence) {
    json_builder_begin_object(b);
    wb_kpi_json_string(b, "reason", s->long_absence_reason);
    wb_kpi_json_time_twin(b, e->tz, "since", s->long_absence_since_ms);
    json_builder_end_object(b);
  } else {
    json_builder_add_null_value(b);
  }
  add_holiday_hours(b, s->statutory_ms, s->rest_day_ms);
  json_builder_end_object(b);
}

void
wb_api_attendance(WbEngine *e, GHashTable *query, WbApiReply *out)
{
  gint64 now = wb_clock_now_ms(&e->clock);
  gint64 from, to;
  WbAttendanceRules rules;
  g_autoptr(GError) error = NULL;

  if (!param_period(e, query, now, &from, &to, out))
    return;
  g_autoptr(WbHolidays) holidays = open_holidays(e, out);
  if (holidays == NULL)
    return;
  commit_first(e);
  rules_from_config(e->cfg, &rules);
  g_autoptr(GPtrArray) agents =
      wb_attendance_summaries(e->store, &rules, holidays, e->tz, from, to, now, &error);
  if (agents == NULL) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  WbAttendanceSummary total = {0};
  guint long_absences = 0;
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  wb_kpi_json_time_twin(b, e->tz, "from", from);
  wb_kpi_json_time_twin(b, e->tz, "to", to);
  wb_kpi_json_time_twin(b, e->tz, "now", now);
  json_builder_set_member_name(b, "rules");
  json_builder_begin_object(b);
  wb_kpi_json_int(b, "late_grace_min", rules.late_grace_min);
  wb_kpi_json_int(b, "early_grace_min", rules.early_grace_min);
  wb_kpi_json_int(b, "absent_after_min", rules.absent_after_min);
  wb_kpi_json_int(b, "long_absence_days", rules.long_absence_days);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "agents");
  json_builder_begin_array(b);
  for (guint i = 0; i < agents->len; i++) {
    const WbAttendanceSummary *s = g_ptr_array_index(agents, i);
    add_summary(b, e, s);
    total.shifts += s->shifts;
    total.late += s->late;
    total.early_leave += s->early_leave;
    total.absent += s->absent;
    total.rostered_ms += s->rostered_ms;
    total.present_ms += s->present_ms;
    total.statutory_ms += s->statutory_ms;
    total.rest_day_ms += s->rest_day_ms;
    long_absences += s->long_absence;
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "totals");
  json_builder_begin_object(b);
  wb_kpi_json_int(b, "agents", agents->len);
  wb_kpi_json_int(b, "shifts", total.shifts);
  wb_kpi_json_int(b, "late", total.late);
  wb_kpi_json_int(b, "early_leave", total.early_leave);
  wb_kpi_json_int(b, "absent", total.absent);
  add_seconds(b, "rostered_s", total.rostered_ms);
  add_seconds(b, "present_s", total.present_ms);
  add_adherence(b, total.rostered_ms, total.present_ms);
  wb_kpi_json_int(b, "long_absences", long_absences);
  add_holiday_hours(b, total.statutory_ms, total.rest_day_ms);
  json_builder_end_object(b);
  json_builder_end_object(b);
  wb_api_reply_json(out, b);
}

void
wb_api_holidays(WbEngine *e, GHashTable *query, WbApiReply *out)
{
  gint64 now = wb_clock_now_ms(&e->clock);
  const char *text = g_hash_table_lookup(query, "year");
  GDate today;
  int year;
  char tail;

  wb_day_of(e->tz, now, &today);
  if (text == NULL || *text == '\0')
    year = g_date_get_year(&today);
  else if (sscanf(text, "%4d%c", &year, &tail) != 1 || year < 1970 || year > 9999) {
    wb_api_reply_error(out, 400, "year: expected YYYY, got '%s'", text);
    return;
  }
  g_autoptr(WbHolidays) h = open_holidays(e, out);
  if (h == NULL)
    return;
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  wb_kpi_json_int(b, "year", year);
  /* Without the year's notice only weekends are known. */
  wb_kpi_json_bool_or_null(b, "known", TRUE, wb_holidays_year_known(h, year));
  json_builder_set_member_name(b, "today");
  json_builder_begin_object(b);
  add_day_facts(b, h, &today);
  json_builder_end_object(b);
  /* The days the notices name: days off and make-up working days. */
  json_builder_set_member_name(b, "days");
  json_builder_begin_array(b);
  GDate day;
  g_date_clear(&day, 1);
  g_date_set_dmy(&day, 1, G_DATE_JANUARY, (GDateYear)year);
  while (g_date_get_year(&day) == year) {
    if (wb_holidays_is_day_off(h, &day) || wb_holidays_is_makeup_workday(h, &day) ||
        wb_holidays_name(h, &day) != NULL) {
      json_builder_begin_object(b);
      add_day_facts(b, h, &day);
      json_builder_end_object(b);
    }
    g_date_add_days(&day, 1);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  wb_api_reply_json(out, b);
}
