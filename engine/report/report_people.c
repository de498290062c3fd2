/* report_people.c: the workforce tables of a management report: on-post
 * headcount (the billing basis), stability and leavers, attendance,
 * coverage gaps and training compliance (engine/report/report_private.h).
 * Each reads the store through engine/workforce/, as the APIs do, so a
 * report and the supervisor page never disagree. */
#define G_LOG_DOMAIN "wb-report"

#include <math.h>
#include <string.h>

#include "engine/clock.h"
#include "engine/report/report_private.h"
#include "engine/workforce/attendance.h"
#include "engine/workforce/coverage.h"
#include "engine/workforce/holidays.h"
#include "engine/workforce/stability.h"
#include "engine/workforce/training.h"

#define HOUR_MS (3600000.0)

/* "2026-11-28 17:30", local. */
static char *
local_minute(GTimeZone *tz, gint64 ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(ms / 1000);
  g_autoptr(GDateTime) local = g_date_time_to_timezone(dt, tz);
  return g_date_time_format(local, "%Y-%m-%d %H:%M");
}

static void
put_day(WbReportTable *t, GTimeZone *tz, gint64 ms)
{
  g_autofree char *s = ms >= 0 ? wb_day_format(tz, ms) : NULL;
  wb_report_put_text(t, s);
}

/* ---- on-post headcount by role ---- */

static WbReportTable *
headcount_table(WbStore *store, GTimeZone *tz, const WbReportPeriod *p, gint64 now_ms,
                GError **error)
{
  static const char *const cols[] = {"role",     "岗位",        "headcount",
                                     "在岗人数", "person_days", "在岗人天"};
  WbOnPost on;
  if (!wb_stability_on_post(store, tz, p->from_ms, p->to_ms, now_ms, &on, error))
    return NULL;
  WbReportTable *t = WB_REPORT_TABLE("headcount", "在岗人数（按岗位，结算依据）", cols);
  for (guint i = 0; i < on.roles->len; i++) {
    const WbOnPostRole *r = g_ptr_array_index(on.roles, i);
    wb_report_put_text(t, r->role != NULL ? r->role : "未登记岗位");
    wb_report_put_int(t, r->headcount);
    wb_report_put_int(t, r->person_days);
  }
  wb_report_put_text(t, "合计");
  wb_report_put_int(t, on.headcount);
  wb_report_put_int(t, on.person_days);
  wb_stability_on_post_clear(&on);
  return t;
}

/* ---- stability and leavers ---- */

static void
put_measure(WbReportTable *t, const char *key, const char *label, const char *unit, gdouble v,
            gdouble target)
{
  wb_report_put_text(t, key);
  wb_report_put_text(t, label);
  wb_report_put_text(t, unit);
  if (strcmp(unit, "ratio") == 0 || strcmp(unit, "d") == 0)
    wb_report_put_real(t, v);
  else
    wb_report_put_int(t, (gint64)v);
  wb_report_put_real(t, target);
}

static WbReportTable *
stability_table(const WbStabilityResult *r)
{
  static const char *const cols[] = {"metric", "指标",  "label", "名称",   "unit",
                                     "单位",   "value", "本期",  "target", "目标"};
  WbReportTable *t = WB_REPORT_TABLE("stability", "队伍稳定性", cols);
  put_measure(t, "establishment", "编制人数", "persons", r->establishment, NAN);
  put_measure(t, "headcount_start", "期初在册人数", "persons", r->headcount_start, NAN);
  put_measure(t, "headcount_end", "期末在册人数", "persons", r->headcount_end, NAN);
  put_measure(t, "hires", "新入职", "persons", r->hires, NAN);
  put_measure(t, "leavers", "离职", "persons", r->leavers, NAN);
  put_measure(t, "stability", "队伍稳定率", "ratio", r->stability, r->target);
  put_measure(t, "attrition", "流失率", "ratio", r->attrition, NAN);
  put_measure(t, "vacancy_days", "空岗人天", "d", (gdouble)r->vacancy_days, NAN);
  put_measure(t, "replaced", "已补员", "persons", r->replaced, NAN);
  put_measure(t, "mean_days_to_replace", "平均补员天数", "d", r->mean_days_to_replace, NAN);
  return t;
}

static WbReportTable *
leavers_table(const WbStabilityResult *r, GTimeZone *tz)
{
  static const char *const cols[] = {"agent",
                                     "工号",
                                     "name",
                                     "姓名",
                                     "role",
                                     "岗位",
                                     "left",
                                     "离职日期",
                                     "replaced_by",
                                     "接替人",
                                     "days_to_replace",
                                     "补员天数"};
  WbReportTable *t = WB_REPORT_TABLE("leavers", "离职与补员", cols);
  for (guint i = 0; i < r->leaver_list->len; i++) {
    const WbStabilityLeaver *l = g_ptr_array_index(r->leaver_list, i);
    wb_report_put_text(t, l->agent);
    wb_report_put_text(t, l->name);
    wb_report_put_text(t, l->role);
    put_day(t, tz, l->left_ms);
    wb_report_put_text(t, l->replaced_by);
    if (l->days_to_replace >= 0)
      wb_report_put_int(t, l->days_to_replace);
    else
      wb_report_put_null(t);
  }
  return t;
}

/* ---- attendance ---- */

static WbReportTable *
attendance_table(WbStore *store, const WbConfig *cfg, GTimeZone *tz, const WbReportPeriod *p,
                 gint64 now_ms, GError **error)
{
  static const char *const cols[] = {"agent",        "工号",
                                     "name",         "姓名",
                                     "shifts",       "排班班次",
                                     "late",         "迟到",
                                     "early_leave",  "早退",
                                     "absent",       "缺勤",
                                     "rostered_h",   "排班小时",
                                     "present_h",    "在岗小时",
                                     "adherence",    "排班遵从率",
                                     "long_absence", "长期缺勤",
                                     "statutory_h",  "法定节假日在岗小时",
                                     "rest_day_h",   "休息日在岗小时"};
  WbAttendanceRules rules = {
      .late_grace_min = cfg->attendance_late_grace_min,
      .early_grace_min = cfg->attendance_early_grace_min,
      .absent_after_min = cfg->attendance_absent_after_min,
      .long_absence_days = cfg->attendance_long_absence_days,
  };
  g_autoptr(WbHolidays) holidays =
      wb_holidays_open(cfg->holidays_data_dir, cfg->holidays_file, error);
  if (holidays == NULL)
    return NULL;
  g_autoptr(GPtrArray) list =
      wb_attendance_summaries(store, &rules, holidays, tz, p->from_ms, p->to_ms, now_ms, error);
  if (list == NULL)
    return NULL;
  WbReportTable *t = WB_REPORT_TABLE("attendance", "考勤", cols);
  for (guint i = 0; i < list->len; i++) {
    const WbAttendanceSummary *s = g_ptr_array_index(list, i);
    wb_report_put_text(t, s->agent);
    wb_report_put_text(t, s->name);
    wb_report_put_int(t, s->shifts);
    wb_report_put_int(t, s->late);
    wb_report_put_int(t, s->early_leave);
    wb_report_put_int(t, s->absent);
    wb_report_put_real(t, (gdouble)s->rostered_ms / HOUR_MS);
    wb_report_put_real(t, (gdouble)s->present_ms / HOUR_MS);
    wb_report_put_real(t, s->adherence);
    wb_report_put_text(t, !s->long_absence                               ? NULL
                          : strcmp(s->long_absence_reason, "leave") == 0 ? "休假"
                                                                         : "缺勤");
    wb_report_put_real(t, (gdouble)s->statutory_ms / HOUR_MS);
    wb_report_put_real(t, (gdouble)s->rest_day_ms / HOUR_MS);
  }
  return t;
}

/* ---- coverage gaps ---- */

static void
put_gaps(WbReportTable *t, GTimeZone *tz, const WbCoverage *c)
{
  for (guint i = 0; i < c->gaps->len; i++) {
    const WbCoverageGap *g = &g_array_index(c->gaps, WbCoverageGap, i);
    g_autofree char *from = local_minute(tz, g->from_ms);
    g_autofree char *to = local_minute(tz, g->to_ms);
    wb_report_put_text(t, g->kind == WB_COVERAGE_ROSTERED ? "排班不足" : "在岗不足");
    wb_report_put_text(t, from);
    wb_report_put_text(t, to);
    wb_report_put_int(t, g->minutes);
    wb_report_put_int(t, g->required);
    wb_report_put_int(t, g->rostered);
    if (g->present >= 0)
      wb_report_put_int(t, g->present);
    else
      wb_report_put_null(t);
  }
}

/* In windows of at most a month: the check holds a count per minute. */
static WbReportTable *
coverage_table(WbStore *store, const WbConfig *cfg, GTimeZone *tz, const WbReportPeriod *p,
               gint64 now_ms, GError **error)
{
  static const char *const cols[] = {"kind",     "类型",     "from",    "开始",     "to",
                                     "结束",     "minutes",  "分钟",    "required", "最低要求",
                                     "rostered", "排班人数", "present", "在岗人数"};
  g_autoptr(WbReportTable) t = WB_REPORT_TABLE("coverage_gaps", "排班覆盖缺口（7×24小时）", cols);
  for (gint64 from = p->from_ms; from < p->to_ms;) {
    WbStabilityPeriod m = wb_stability_period_of(tz, WB_STABILITY_MONTH, from);
    gint64 to = MIN(wb_stability_period_end_ms(tz, &m), p->to_ms);
    g_autoptr(WbCoverage) c = wb_coverage_check(store, cfg, tz, from, to, now_ms, error);
    if (c == NULL)
      return NULL;
    put_gaps(t, tz, c);
    from = to;
  }
  return g_steal_pointer(&t);
}

/* ---- training ---- */

static void
put_training_month(WbReportTable *t, const char *month, const WbTrainingMonth *m)
{
  gint people = (gint)m->people->len;
  wb_report_put_text(t, month);
  wb_report_put_int(t, people);
  wb_report_put_int(t, m->short_induction);
  wb_report_put_int(t, m->short_in_service);
  wb_report_put_int(t, m->short_safety);
  wb_report_put_int(t, m->short_entry_exam);
  wb_report_put_int(t, m->any);
  wb_report_put_real(t, people > 0 ? (gdouble)(people - m->any) / people : NAN);
}

static void
put_training_people(WbReportTable *t, const WbTrainingMonth *m)
{
  for (guint i = 0; i < m->people->len; i++) {
    const WbTrainingPerson *x = g_ptr_array_index(m->people, i);
    wb_report_put_text(t, x->agent);
    wb_report_put_text(t, x->name);
    wb_report_put_text(t, x->role);
    wb_report_put_int(t, x->induction_days);
    wb_report_put_int(t, x->in_service);
    wb_report_put_real(t, x->exam_score);
    wb_report_put_int(t, x->safety);
    wb_report_put_text(t, x->compliant ? "是" : "否");
  }
}

/* A row per calendar month of the period; the people of its last month. */
static gboolean
training_tables(WbReport *r, WbStore *store, const WbConfig *cfg, GTimeZone *tz, gint64 now_ms,
                GError **error)
{
  static const char *const cols[] = {"month",
                                     "月份",
                                     "people",
                                     "人数",
                                     "short_induction",
                                     "岗前培训不足",
                                     "short_in_service",
                                     "在岗培训不足",
                                     "short_safety",
                                     "安全培训不足",
                                     "short_entry_exam",
                                     "上岗考试未通过",
                                     "any",
                                     "不合规人数",
                                     "compliance",
                                     "培训合规率"};
  static const char *const people_cols[] = {
      "agent",          "工号",         "name",       "姓名",         "role",       "岗位",
      "induction_days", "岗前培训天数", "in_service", "本月在岗培训", "exam_score", "月考平均分",
      "safety",         "本年安全培训", "compliant",  "合规"};
  WbTrainingRules rules;
  wb_training_rules_from_config(cfg, &rules);
  g_autoptr(WbReportTable) months = WB_REPORT_TABLE("training", "培训合规（按月）", cols);
  g_autoptr(WbReportTable) people = NULL;
  const WbReportPeriod *p = &r->period;
  for (gint64 from = p->from_ms; from < p->to_ms;) {
    WbStabilityPeriod mp = wb_stability_period_of(tz, WB_STABILITY_MONTH, from);
    gint64 start = wb_stability_period_start_ms(tz, &mp);
    gint64 end = wb_stability_period_end_ms(tz, &mp);
    WbTrainingMonth m;
    if (!wb_training_month(store, tz, &rules, start, end, now_ms, &m, error))
      return FALSE;
    g_autofree char *name = wb_stability_period_format(&mp);
    put_training_month(months, name, &m);
    if (end >= p->to_ms) {
      g_autofree char *title = g_strdup_printf("培训与考试明细（%s）", name);
      people =
          wb_report_table_new("training_people", title, people_cols, G_N_ELEMENTS(people_cols) / 2);
      put_training_people(people, &m);
    }
    wb_training_month_clear(&m);
    from = end;
  }
  g_ptr_array_add(r->tables, g_steal_pointer(&months));
  if (people != NULL)
    g_ptr_array_add(r->tables, g_steal_pointer(&people));
  return TRUE;
}

gboolean
wb_report_add_people(WbReport *r, WbStore *store, const WbConfig *cfg, GTimeZone *tz, gint64 now_ms,
                     GError **error)
{
  const WbReportPeriod *p = &r->period;
  WbReportTable *t = headcount_table(store, tz, p, now_ms, error);
  if (t == NULL)
    return FALSE;
  g_ptr_array_add(r->tables, t);

  WbStabilityResult s;
  if (!wb_stability_compute(store, tz, p->from_ms, p->to_ms, now_ms, cfg->stability_establishment,
                            cfg->stability_target, &s, error))
    return FALSE;
  g_ptr_array_add(r->tables, stability_table(&s));
  g_ptr_array_add(r->tables, leavers_table(&s, tz));
  wb_stability_result_clear(&s);

  if ((t = attendance_table(store, cfg, tz, p, now_ms, error)) == NULL)
    return FALSE;
  g_ptr_array_add(r->tables, t);
  if ((t = coverage_table(store, cfg, tz, p, now_ms, error)) == NULL)
    return FALSE;
  g_ptr_array_add(r->tables, t);
  return training_tables(r, store, cfg, tz, now_ms, error);
}
