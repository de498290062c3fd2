/* test_attendance.c: shifts against presence, per-agent summaries, long
 * absences, holiday hours around National Day 2026 and the local holiday
 * file. */
#include <math.h>

#include "engine/records.h"
#include "engine/store.h"
#include "engine/workforce/attendance.h"
#include "engine/workforce/holidays.h"
#include "engine/workforce/presence.h"
#include "testutil.h"

#define MIN_MS G_GINT64_CONSTANT(60000)
#define HOUR_MS (60 * MIN_MS)

/* ---- judging one shift against hand-made spans ---- */

static GPtrArray *
spans_of(const char *agent, const gint64 *bounds, guint n)
{
  GPtrArray *a = g_ptr_array_new_with_free_func((GDestroyNotify)wb_presence_span_free);
  for (guint i = 0; i + 1 < n; i += 2) {
    WbPresenceSpan *s = g_new0(WbPresenceSpan, 1);
    s->agent = g_strdup(agent);
    s->from_ms = bounds[i];
    s->to_ms = bounds[i + 1];
    s->sources = WB_PRESENCE_PUNCH;
    g_ptr_array_add(a, s);
  }
  return a;
}

/* The 08:00-17:30 day shift of 2026-11-02 judged at now. */
static WbShiftAttendance
judge(const gint64 *bounds, guint n, gint64 now)
{
  WbAttendanceRules rules;
  wb_attendance_rules_default(&rules);
  g_autoptr(GPtrArray) spans = spans_of("1001", bounds, n);
  WbShiftAttendance s = {0};
  s.agent = (char *)"1001";
  s.start_ms = test_shanghai_ms(2026, 11, 2, 8, 0);
  s.end_ms = test_shanghai_ms(2026, 11, 2, 17, 30);
  wb_attendance_judge(&s, spans, &rules, now);
  return s;
}

START_TEST(test_judge_done)
{
  gint64 after = test_shanghai_ms(2026, 11, 3, 0, 0);
  /* In before the start, out after the end: nothing to say. */
  gint64 full[] = {test_shanghai_ms(2026, 11, 2, 7, 50), test_shanghai_ms(2026, 11, 2, 17, 40)};
  WbShiftAttendance s = judge(full, 2, after);
  ck_assert_int_eq(s.status, WB_SHIFT_DONE);
  ck_assert(!s.late && !s.early_leave && !s.absent);
  ck_assert_int_eq(s.first_in_ms, full[0]);
  ck_assert_int_eq(s.last_out_ms, full[1]);
  ck_assert_int_eq(s.rostered_ms, 570 * MIN_MS);
  ck_assert_int_eq(s.present_ms, 570 * MIN_MS);

  /* 12 min late, 10 min early: both past the 5-minute graces. */
  gint64 short_day[] = {test_shanghai_ms(2026, 11, 2, 8, 12),
                        test_shanghai_ms(2026, 11, 2, 17, 20)};
  s = judge(short_day, 2, after);
  ck_assert(s.late && s.early_leave && !s.absent);
  ck_assert_int_eq(s.late_ms, 12 * MIN_MS);
  ck_assert_int_eq(s.early_ms, 10 * MIN_MS);
  ck_assert_int_eq(s.present_ms, 548 * MIN_MS);
  /* Within the graces (4 min each way): neither. */
  gint64 grace[] = {test_shanghai_ms(2026, 11, 2, 8, 4), test_shanghai_ms(2026, 11, 2, 17, 26)};
  s = judge(grace, 2, after);
  ck_assert(!s.late && !s.early_leave);
  /* Out for lunch and back: present 08:00-12:00 and 13:00-17:30; the last
   * out is the second span's. */
  gint64 lunch[] = {test_shanghai_ms(2026, 11, 2, 8, 0), test_shanghai_ms(2026, 11, 2, 12, 0),
                    test_shanghai_ms(2026, 11, 2, 13, 0), test_shanghai_ms(2026, 11, 2, 17, 30)};
  s = judge(lunch, 4, after);
  ck_assert(!s.late && !s.early_leave);
  ck_assert_int_eq(s.present_ms, 510 * MIN_MS);
  ck_assert_int_eq(s.last_out_ms, lunch[3]);
  /* Nobody: absent, done. */
  s = judge(NULL, 0, after);
  ck_assert_int_eq(s.status, WB_SHIFT_ABSENT);
  ck_assert(s.absent && !s.late && !s.early_leave);
  ck_assert_int_eq(s.first_in_ms, -1);
  ck_assert_int_eq(s.present_ms, 0);
}
END_TEST

START_TEST(test_judge_today)
{
  /* Before the start. */
  WbShiftAttendance s = judge(NULL, 0, test_shanghai_ms(2026, 11, 2, 7, 0));
  ck_assert_int_eq(s.status, WB_SHIFT_UPCOMING);
  ck_assert_int_eq(s.rostered_ms, 0);
  /* 08:29, nobody yet: away, not yet absent; 08:30 (start + 30): absent. */
  s = judge(NULL, 0, test_shanghai_ms(2026, 11, 2, 8, 29));
  ck_assert_int_eq(s.status, WB_SHIFT_AWAY);
  ck_assert(!s.absent);
  s = judge(NULL, 0, test_shanghai_ms(2026, 11, 2, 8, 30));
  ck_assert_int_eq(s.status, WB_SHIFT_ABSENT);
  ck_assert(s.absent);
  /* In since 08:00 and still in at 12:00 (spans end at now): on duty,
   * early leave not known yet. */
  gint64 now = test_shanghai_ms(2026, 11, 2, 12, 0);
  gint64 in[] = {test_shanghai_ms(2026, 11, 2, 8, 0), now};
  s = judge(in, 2, now);
  ck_assert_int_eq(s.status, WB_SHIFT_ON_DUTY);
  ck_assert(!s.early_leave && !s.late);
  ck_assert_int_eq(s.rostered_ms, 4 * HOUR_MS);
  ck_assert_int_eq(s.present_ms, 4 * HOUR_MS);
  /* Left at 10:00: away. */
  gint64 left[] = {test_shanghai_ms(2026, 11, 2, 8, 0), test_shanghai_ms(2026, 11, 2, 10, 0)};
  s = judge(left, 2, now);
  ck_assert_int_eq(s.status, WB_SHIFT_AWAY);
  ck_assert_int_eq(s.present_ms, 2 * HOUR_MS);
  /* Came at 09:00, an hour late, not absent. */
  gint64 late[] = {test_shanghai_ms(2026, 11, 2, 9, 0), now};
  s = judge(late, 2, now);
  ck_assert_int_eq(s.status, WB_SHIFT_ON_DUTY);
  ck_assert(s.late && !s.absent);
  ck_assert_int_eq(s.late_ms, HOUR_MS);
}
END_TEST

/* ---- the store: roster, staff, punches ---- */

/* Events from source "test", committed together by test_store_commit. */
static void
fixture_init(TestStore *f)
{
  test_store_init(f);
  f->source = "test";
  f->batch = TRUE;
}

static void
staff(TestStore *f, const char *agent, const char *name, const char *status, gint64 ts)
{
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_STAFF_RECORD);
  ev.ts_ms = ts;
  WB_EVENT_SET(&ev, agent, agent, -1);
  WB_EVENT_SET(&ev, name, name, -1);
  WB_EVENT_SET(&ev, role, "agent", -1);
  WB_EVENT_SET(&ev, status, status, -1);
  test_store_put(f, &ev);
}

static void
shift(TestStore *f, const char *agent, gint64 start, gint64 end, const char *code)
{
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_ROSTER_SHIFT);
  ev.ts_ms = start - 7 * 24 * HOUR_MS;
  WB_EVENT_SET(&ev, agent, agent, -1);
  WB_EVENT_SET(&ev, kind, code, -1);
  WB_EVENT_SET(&ev, role, "agent", -1);
  ev.start_ms = start;
  ev.end_ms = end;
  test_store_put(f, &ev);
}

/* A day shift 08:00-17:00 of 2026-MM-DD. */
static void
day_shift(TestStore *f, const char *agent, int month, int day)
{
  shift(f, agent, test_shanghai_ms(2026, month, day, 8, 0),
        test_shanghai_ms(2026, month, day, 17, 0), "D");
}

static WbHolidays *
calendar(const char *override)
{
  g_autoptr(GError) error = NULL;
  const char *src = g_getenv("WB_SOURCE_DIR");
  g_autofree char *dir = g_build_filename(src != NULL ? src : ".", "data", "holidays-cn", NULL);
  WbHolidays *h = wb_holidays_open(dir, override, &error);
  ck_assert_msg(h != NULL, "%s", error ? error->message : "");
  return h;
}

/* National Day 2026: Oct 1-3 statutory (Thu-Sat), Oct 4-7 moved days off,
 * Sat Oct 10 a make-up working day, Sun Oct 11 an ordinary weekend day. */
static void
national_day(TestStore *f)
{
  staff(f, "2001", "王芳", "active", test_shanghai_ms(2026, 1, 5, 9, 0));
  staff(f, "2002", "李娜", "active", test_shanghai_ms(2026, 1, 5, 9, 0));
  staff(f, "2003", "张伟", "active", test_shanghai_ms(2026, 1, 5, 9, 0));
  staff(f, "2004", "刘洋", "leave", test_shanghai_ms(2026, 9, 15, 9, 0));
  staff(f, "2005", "陈静", "left", test_shanghai_ms(2026, 3, 1, 9, 0));

  /* 2001: the night of Sep 30 into Oct 1, punched by a clock that does
   * not know the direction; then four day shifts. */
  shift(f, "2001", test_shanghai_ms(2026, 9, 30, 19, 0), test_shanghai_ms(2026, 10, 1, 8, 0), "N");
  test_store_punch(f, "2001", test_shanghai_ms(2026, 9, 30, 18, 55), "unknown");
  test_store_punch(f, "2001", test_shanghai_ms(2026, 10, 1, 8, 5), "unknown");
  day_shift(f, "2001", 10, 3); /* statutory: 9 h */
  test_store_punch(f, "2001", test_shanghai_ms(2026, 10, 3, 7, 58), "unknown");
  test_store_punch(f, "2001", test_shanghai_ms(2026, 10, 3, 17, 2), "unknown");
  day_shift(f, "2001", 10, 4); /* moved day off: 4 h, left 5 h early */
  test_store_punch(f, "2001", test_shanghai_ms(2026, 10, 4, 7, 59), "unknown");
  test_store_punch(f, "2001", test_shanghai_ms(2026, 10, 4, 12, 0), "unknown");
  day_shift(f, "2001", 10, 10); /* make-up working day: none */
  test_store_punch(f, "2001", test_shanghai_ms(2026, 10, 10, 7, 55), "unknown");
  test_store_punch(f, "2001", test_shanghai_ms(2026, 10, 10, 17, 5), "unknown");
  shift(f, "2001", test_shanghai_ms(2026, 10, 11, 8, 0), test_shanghai_ms(2026, 10, 11, 12, 0),
        "H"); /* weekend: 4 h */
  test_store_punch(f, "2001", test_shanghai_ms(2026, 10, 11, 7, 50), "unknown");
  test_store_punch(f, "2001", test_shanghai_ms(2026, 10, 11, 12, 10), "unknown");

  /* 2002: in on Oct 1, then absent three rostered shifts running; a shift
   * still to come does not end the run. */
  for (int d = 1; d <= 4; d++)
    day_shift(f, "2002", 10, d);
  day_shift(f, "2002", 10, 25);
  test_store_punch(f, "2002", test_shanghai_ms(2026, 10, 1, 8, 0), "in");
  test_store_punch(f, "2002", test_shanghai_ms(2026, 10, 1, 17, 0), "out");

  /* 2003: absent, absent, in 20 min late, absent: three absences, a run
   * of one. */
  for (int d = 2; d <= 5; d++)
    day_shift(f, "2003", 10, d);
  test_store_punch(f, "2003", test_shanghai_ms(2026, 10, 4, 8, 20), "in");
  test_store_punch(f, "2003", test_shanghai_ms(2026, 10, 4, 17, 0), "out");
  test_store_commit(f);
}

static const WbAttendanceSummary *
find(GPtrArray *all, const char *agent)
{
  for (guint i = 0; i < all->len; i++) {
    const WbAttendanceSummary *s = g_ptr_array_index(all, i);
    if (strcmp(s->agent, agent) == 0)
      return s;
  }
  return NULL;
}

static GPtrArray *
summaries(TestStore *f, const WbHolidays *h, gint64 from, gint64 to, gint64 now)
{
  g_autoptr(GError) error = NULL;
  WbAttendanceRules rules;
  wb_attendance_rules_default(&rules);
  GPtrArray *all = wb_attendance_summaries(f->store, &rules, h, f->tz, from, to, now, &error);
  ck_assert_msg(all != NULL, "%s", error ? error->message : "");
  return all;
}

START_TEST(test_october_summaries)
{
  TestStore f;
  fixture_init(&f);
  national_day(&f);
  g_autoptr(WbHolidays) h = calendar(NULL);
  gint64 now = test_shanghai_ms(2026, 10, 20, 0, 0);
  g_autoptr(GPtrArray) all = summaries(&f, h, test_shanghai_ms(2026, 10, 1, 0, 0),
                                       test_shanghai_ms(2026, 11, 1, 0, 0), now);

  /* Listed: the rostered and the active or on-leave staff; 2005 has left. */
  ck_assert_uint_eq(all->len, 4);
  ck_assert_ptr_null(find(all, "2005"));

  /* 2001: the Sep 30 night is September's shift; October's four shifts
   * have 9 + 9 + 9 + 4 = 31 h rostered, 9 + 4 + 9 + 4 = 26 h present. */
  const WbAttendanceSummary *s = find(all, "2001");
  ck_assert_str_eq(s->name, "王芳");
  ck_assert_uint_eq(s->shifts, 4);
  ck_assert_uint_eq(s->late, 0);
  ck_assert_uint_eq(s->early_leave, 1);
  ck_assert_uint_eq(s->absent, 0);
  ck_assert_int_eq(s->rostered_ms, 31 * HOUR_MS);
  ck_assert_int_eq(s->present_ms, 26 * HOUR_MS);
  ck_assert_double_eq_tol(s->adherence, 26.0 / 31.0, 1e-9);
  ck_assert(!s->long_absence);
  /* Holiday hours by the day they fall on: Oct 1 00:00-08:00 of the night
   * shift (8 h) and Oct 3 (9 h) are statutory; Oct 4 (4 h, moved) and
   * Oct 11 (4 h, weekend) rest days; the make-up Saturday counts as a
   * working day. */
  ck_assert_int_eq(s->statutory_ms, 17 * HOUR_MS);
  ck_assert_int_eq(s->rest_day_ms, 8 * HOUR_MS);

  /* 2002: 4 shifts done, one to come; 9 of 36 h. Absent since Oct 2. */
  s = find(all, "2002");
  ck_assert_uint_eq(s->shifts, 5);
  ck_assert_uint_eq(s->absent, 3);
  ck_assert_int_eq(s->rostered_ms, 36 * HOUR_MS);
  ck_assert_int_eq(s->present_ms, 9 * HOUR_MS);
  ck_assert_double_eq_tol(s->adherence, 0.25, 1e-9);
  ck_assert(s->long_absence);
  ck_assert_str_eq(s->long_absence_reason, "absent");
  ck_assert_int_eq(s->long_absence_since_ms, test_shanghai_ms(2026, 10, 2, 8, 0));
  ck_assert_uint_eq(s->absent_run, 3);
  ck_assert_int_eq(s->statutory_ms, 9 * HOUR_MS);
  ck_assert_int_eq(s->rest_day_ms, 0);

  /* 2003: three absences, but not running: no flag. 08:20-17:00 present. */
  s = find(all, "2003");
  ck_assert_uint_eq(s->absent, 3);
  ck_assert_uint_eq(s->late, 1);
  ck_assert_uint_eq(s->absent_run, 1);
  ck_assert(!s->long_absence);
  ck_assert_int_eq(s->present_ms, 520 * MIN_MS);
  ck_assert_int_eq(s->rest_day_ms, 520 * MIN_MS); /* Oct 4, moved day off */

  /* 2004: on leave, no shift: flagged since the staff record, adherence
   * not defined. */
  s = find(all, "2004");
  ck_assert_uint_eq(s->shifts, 0);
  ck_assert(s->long_absence);
  ck_assert_str_eq(s->long_absence_reason, "leave");
  ck_assert_int_eq(s->long_absence_since_ms, test_shanghai_ms(2026, 9, 15, 9, 0));
  ck_assert(isnan(s->adherence));

  /* September holds the night shift: 5 h on Sep 30, a working day. */
  g_autoptr(GPtrArray) sep = summaries(&f, h, test_shanghai_ms(2026, 9, 1, 0, 0),
                                       test_shanghai_ms(2026, 10, 1, 0, 0), now);
  s = find(sep, "2001");
  ck_assert_uint_eq(s->shifts, 1);
  ck_assert_int_eq(s->rostered_ms, 13 * HOUR_MS);
  ck_assert_int_eq(s->present_ms, 13 * HOUR_MS);
  ck_assert_int_eq(s->statutory_ms, 0);
  ck_assert_int_eq(s->rest_day_ms, 0);
  test_store_clear(&f);
}
END_TEST

START_TEST(test_day_list)
{
  TestStore f;
  fixture_init(&f);
  national_day(&f);
  g_autoptr(GError) error = NULL;
  WbAttendanceRules rules;
  wb_attendance_rules_default(&rules);
  /* Oct 1 at 10:00: the night shift begun on Sep 30 is on the day's list
   * (overlapping), done; 2002 on duty. */
  gint64 now = test_shanghai_ms(2026, 10, 1, 10, 0);
  g_autoptr(GPtrArray) day =
      wb_attendance_shifts(f.store, &rules, test_shanghai_ms(2026, 10, 1, 0, 0),
                           test_shanghai_ms(2026, 10, 2, 0, 0), TRUE, now, &error);
  ck_assert_msg(day != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq(day->len, 2);
  const WbShiftAttendance *night = g_ptr_array_index(day, 0);
  ck_assert_str_eq(night->agent, "2001");
  ck_assert_str_eq(night->template_code, "N");
  ck_assert_int_eq(night->status, WB_SHIFT_DONE);
  ck_assert_int_eq(night->first_in_ms, test_shanghai_ms(2026, 9, 30, 18, 55));
  ck_assert_int_eq(night->last_out_ms, test_shanghai_ms(2026, 10, 1, 8, 5));
  const WbShiftAttendance *d = g_ptr_array_index(day, 1);
  ck_assert_str_eq(d->agent, "2002");
  ck_assert_str_eq(d->name, "李娜");
  ck_assert_int_eq(d->status, WB_SHIFT_ON_DUTY);
  ck_assert_int_eq(d->last_out_ms, now);
  /* Starting in the day only: not the night shift. */
  g_autoptr(GPtrArray) starting =
      wb_attendance_shifts(f.store, &rules, test_shanghai_ms(2026, 10, 1, 0, 0),
                           test_shanghai_ms(2026, 10, 2, 0, 0), FALSE, now, &error);
  ck_assert_uint_eq(starting->len, 1);
  test_store_clear(&f);
}
END_TEST

START_TEST(test_holiday_override)
{
  g_autofree char *dir = test_tmpdir();
  g_autofree char *path = g_build_filename(dir, "local.json", NULL);
  /* The centre gives Sat Oct 10 off instead of working it, and makes
   * Oct 8 a working day. */
  const char *json = "{\"year\":2026,\"days\":["
                     "{\"name\":\"本地调休\",\"date\":\"2026-10-10\",\"isOffDay\":true},"
                     "{\"name\":\"国庆节\",\"date\":\"2026-10-08\",\"isOffDay\":false}]}";
  ck_assert(g_file_set_contents(path, json, -1, NULL));
  g_autoptr(WbHolidays) h = calendar(path);
  GDate d;
  g_date_clear(&d, 1);
  g_date_set_dmy(&d, 10, G_DATE_OCTOBER, 2026);
  ck_assert(!wb_holidays_is_workday(h, &d));
  ck_assert(!wb_holidays_is_makeup_workday(h, &d));
  ck_assert(!wb_holidays_is_statutory_holiday(h, &d));
  ck_assert_str_eq(wb_holidays_name(h, &d), "本地调休");
  g_date_set_dmy(&d, 8, G_DATE_OCTOBER, 2026);
  ck_assert(wb_holidays_is_workday(h, &d));
  /* The shipped days the file does not name stay. */
  g_date_set_dmy(&d, 1, G_DATE_OCTOBER, 2026);
  ck_assert(wb_holidays_is_statutory_holiday(h, &d));

  /* 2001 worked Oct 10 08:00-17:00: now a rest day, 8 + 9 = 17 h. */
  TestStore f;
  fixture_init(&f);
  national_day(&f);
  g_autoptr(GPtrArray) all =
      summaries(&f, h, test_shanghai_ms(2026, 10, 1, 0, 0), test_shanghai_ms(2026, 11, 1, 0, 0),
                test_shanghai_ms(2026, 10, 20, 0, 0));
  const WbAttendanceSummary *s = find(all, "2001");
  ck_assert_int_eq(s->statutory_ms, 17 * HOUR_MS);
  ck_assert_int_eq(s->rest_day_ms, 17 * HOUR_MS);
  test_store_clear(&f);

  /* A file that is not the format is an error that names it. */
  ck_assert(g_file_set_contents(path, "{\"days\":[{\"date\":\"2026-10-10\"}]}", -1, NULL));
  g_autoptr(GError) error = NULL;
  const char *src = g_getenv("WB_SOURCE_DIR");
  g_autofree char *data = g_build_filename(src != NULL ? src : ".", "data", "holidays-cn", NULL);
  ck_assert_ptr_null(wb_holidays_open(data, path, &error));
  ck_assert_ptr_nonnull(strstr(error->message, "local.json"));
  ck_assert_ptr_nonnull(strstr(error->message, "isOffDay"));
  test_rmtree(dir);
}
END_TEST

static Suite *
attendance_suite(void)
{
  Suite *s = suite_create("attendance");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_judge_done);
  tcase_add_test(tc, test_judge_today);
  tcase_add_test(tc, test_october_summaries);
  tcase_add_test(tc, test_day_list);
  tcase_add_test(tc, test_holiday_override);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(attendance_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
