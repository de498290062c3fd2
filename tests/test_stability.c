/* test_stability.c: stability, vacancy days, replacements and on-post
 * person-days, with numbers worked out by hand. */
#include <math.h>

#include "engine/records.h"
#include "engine/store.h"
#include "engine/workforce/stability.h"
#include "testutil.h"

/* hired / left: local dates as y*10000+m*100+d, 0 for none. */
static void
staff(TestStore *f, const char *agent, const char *role, const char *status, gint hired, gint left)
{
  gint64 ts = test_local_ms(f->tz, 2026, 1, 1, 0, 0) + f->pos; /* each record newer than the last */
  test_store_staff(f, agent, role, status, ts, hired, left);
}

static void
session(TestStore *f, const char *agent, gint64 login_ms, gint64 logout_ms)
{
  test_store_agent(f, WB_EVENT_AGENT_LOGIN, agent, login_ms, "policy");
  test_store_agent(f, WB_EVENT_AGENT_LOGOUT, agent, logout_ms, "policy");
}

static void
compute(TestStore *f, const char *period, gint64 now_ms, gint establishment, WbStabilityResult *r)
{
  g_autoptr(GError) error = NULL;
  WbStabilityPeriod p;
  ck_assert(wb_stability_period_parse(period, &p));
  ck_assert_msg(wb_stability_compute(f->store, f->tz, wb_stability_period_start_ms(f->tz, &p),
                                     wb_stability_period_end_ms(f->tz, &p), now_ms, establishment,
                                     0.8, r, &error),
                "%s", error ? error->message : "");
}

/* The tender's team: a team manager, a QA/trainer, eight agents, all on
 * the staff since 2025. */
static void
tender_team(TestStore *f)
{
  staff(f, "1000", "team_manager", "active", 20250101, 0);
  staff(f, "1001", "qa_trainer", "active", 20250101, 0);
  for (int i = 2; i < 10; i++) {
    char key[8];
    g_snprintf(key, sizeof(key), "10%02d", i);
    staff(f, key, "agent", "active", 20250101, 0);
  }
}

START_TEST(test_period_parse)
{
  WbStabilityPeriod p;
  ck_assert(wb_stability_period_parse("2026-11", &p));
  ck_assert_int_eq(p.kind, WB_STABILITY_MONTH);
  ck_assert_int_eq(p.year, 2026);
  ck_assert_int_eq(p.index, 11);
  ck_assert(wb_stability_period_parse("2026-q4", &p));
  ck_assert_int_eq(p.kind, WB_STABILITY_QUARTER);
  ck_assert_int_eq(p.index, 4);
  g_autofree char *name = wb_stability_period_format(&p);
  ck_assert_str_eq(name, "2026-Q4");
  ck_assert(wb_stability_period_parse("2026", &p));
  ck_assert_int_eq(p.kind, WB_STABILITY_YEAR);
  const char *bad[] = {"",       "26-11",    "2026-13", "2026-00", "2026-Q5", "2026-11-01",
                       "2026-1", "November", "2026-Q0", "2026x",   "9999",    "1969"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    ck_assert_msg(!wb_stability_period_parse(bad[i], &p), "%s", bad[i]);
  ck_assert(!wb_stability_period_parse(NULL, &p));

  /* Q4 2026 runs from local midnight of 1 October to that of 1 January. */
  GTimeZone *tz = g_time_zone_new_identifier("Asia/Shanghai");
  ck_assert(wb_stability_period_parse("2026-Q4", &p));
  ck_assert_int_eq(wb_stability_period_start_ms(tz, &p), 1790784000000LL); /* 10-01 00:00+08 */
  ck_assert_int_eq(wb_stability_period_end_ms(tz, &p), 1798732800000LL);   /* 01-01 00:00+08 */
  WbStabilityPeriod q = wb_stability_period_of(tz, WB_STABILITY_QUARTER, 1798732800000LL - 1);
  ck_assert_int_eq(q.year, 2026);
  ck_assert_int_eq(q.index, 4);
  g_time_zone_unref(tz);
}
END_TEST

/* Ten on the staff; agent 1003 leaves on 10 November (the 10th is the
 * first day without them), 1010 is hired on the 25th. November: 9 days
 * of 10, 15 days of 9 (the 10th to the 24th), 6 days of 10.
 *   stability = (10 - 1) / 10 = 0.9
 *   vacancy days = 15 x (10 - 9) = 15
 *   average headcount = (9x10 + 15x9 + 6x10) / 30 = 285 / 30 = 9.5
 *   attrition = 1 / 9.5 = 0.105263
 *   days to replace = 25 - 10 = 15 */
START_TEST(test_leaver_and_replacement)
{
  TestStore f;
  test_store_init(&f);
  tender_team(&f);
  staff(&f, "1003", "agent", "left", 20250101, 20261110);
  staff(&f, "1010", "agent", "active", 20261125, 0);

  WbStabilityResult r;
  compute(&f, "2026-11", test_local_ms(f.tz, 2026, 12, 5, 12, 0), 10, &r);
  ck_assert(r.complete);
  ck_assert_int_eq(r.days, 30);
  ck_assert_int_eq(r.from_ms, test_local_ms(f.tz, 2026, 11, 1, 0, 0));
  ck_assert_int_eq(r.to_ms, test_local_ms(f.tz, 2026, 12, 1, 0, 0));
  ck_assert_int_eq(r.headcount_start, 10);
  ck_assert_int_eq(r.headcount_end, 10);
  ck_assert_int_eq(r.hires, 1);
  ck_assert_int_eq(r.leavers, 1);
  ck_assert_int_eq(r.leavers_from_start, 1);
  ck_assert_double_eq_tol(r.stability, 0.9, 1e-12);
  ck_assert_int_eq(r.vacancy_days, 15);
  ck_assert_double_eq_tol(r.average_headcount, 9.5, 1e-12);
  ck_assert_double_eq_tol(r.attrition, 1 / 9.5, 1e-12);
  ck_assert_int_eq(r.replaced, 1);
  ck_assert_double_eq_tol(r.mean_days_to_replace, 15, 1e-12);
  ck_assert_uint_eq(r.leaver_list->len, 1);
  WbStabilityLeaver *l = g_ptr_array_index(r.leaver_list, 0);
  ck_assert_str_eq(l->agent, "1003");
  ck_assert_str_eq(l->role, "agent");
  ck_assert_int_eq(l->left_ms, test_local_ms(f.tz, 2026, 11, 10, 0, 0));
  ck_assert_str_eq(l->replaced_by, "1010");
  ck_assert_int_eq(l->replaced_ms, test_local_ms(f.tz, 2026, 11, 25, 0, 0));
  ck_assert_int_eq(l->days_to_replace, 15);
  wb_stability_result_clear(&r);

  /* The same month on the 20th, to date: 20 days, the 10th to the 20th
   * vacant (11 days), nobody hired yet, so not replaced. */
  compute(&f, "2026-11", test_local_ms(f.tz, 2026, 11, 20, 9, 0), 10, &r);
  ck_assert(!r.complete);
  ck_assert_int_eq(r.days, 20);
  ck_assert_int_eq(r.to_ms, test_local_ms(f.tz, 2026, 11, 21, 0, 0));
  ck_assert_int_eq(r.headcount_end, 9);
  ck_assert_int_eq(r.hires, 0);
  ck_assert_int_eq(r.vacancy_days, 11);
  ck_assert_double_eq_tol(r.stability, 0.9, 1e-12);
  ck_assert_int_eq(r.replaced, 0);
  ck_assert(isnan(r.mean_days_to_replace));
  l = g_ptr_array_index(r.leaver_list, 0);
  ck_assert_ptr_null(l->replaced_by);
  ck_assert_int_eq(l->days_to_replace, -1);
  wb_stability_result_clear(&r);

  /* October: nobody left, nobody missing. */
  compute(&f, "2026-10", test_local_ms(f.tz, 2026, 12, 5, 12, 0), 10, &r);
  ck_assert_double_eq_tol(r.stability, 1.0, 1e-12);
  ck_assert_int_eq(r.vacancy_days, 0);
  ck_assert_uint_eq(r.leaver_list->len, 0);
  wb_stability_result_clear(&r);

  /* The quarter on 5 December: 1 Oct .. 5 Dec = 31 + 30 + 5 = 66 days. */
  compute(&f, "2026-Q4", test_local_ms(f.tz, 2026, 12, 5, 12, 0), 10, &r);
  ck_assert(!r.complete);
  ck_assert_int_eq(r.days, 66);
  ck_assert_int_eq(r.headcount_start, 10);
  ck_assert_double_eq_tol(r.stability, 0.9, 1e-12);
  ck_assert_int_eq(r.vacancy_days, 15);
  /* (66 x 10 - 15) / 66 */
  ck_assert_double_eq_tol(r.average_headcount, 645.0 / 66, 1e-12);
  wb_stability_result_clear(&r);

  /* An establishment of 12: every day is 2 short, 3 on the vacant days:
   * 30 x 2 + 15 = 75. */
  compute(&f, "2026-11", test_local_ms(f.tz, 2026, 12, 5, 12, 0), 12, &r);
  ck_assert_int_eq(r.vacancy_days, 75);
  wb_stability_result_clear(&r);
  test_store_clear(&f);
}
END_TEST

/* Who counts: reserve never; no hire date means always; a leaver hired
 * within the period is a leaver but not one of the starting headcount;
 * a replacement must have the same role; a hire replaces one leaver. */
START_TEST(test_who_counts)
{
  TestStore f;
  test_store_init(&f);
  staff(&f, "2001", "agent", "active", 0, 0);             /* since always */
  staff(&f, "2002", "agent", "left", 20250101, 20260305); /* leaves 5 March */
  staff(&f, "2003", "agent", "left", 20250101, 20260320); /* leaves 20 March */
  staff(&f, "2004", "qa_trainer", "active", 20250101, 0); /* stays */
  staff(&f, "2005", "agent", "reserve", 20250101, 0);     /* reserve pool */
  staff(&f, "2006", "qa_trainer", "active", 20260310, 0); /* wrong role to replace */
  staff(&f, "2007", "agent", "left", 20260310, 20260315); /* hired and gone in March */
  staff(&f, "2008", "agent", "active", 20260312, 0);      /* replaces 2002 (7 days) */
  staff(&f, "2009", "agent", "active", 20260401, 0);      /* replaces 2003 (12 days) */

  WbStabilityResult r;
  compute(&f, "2026-03", test_local_ms(f.tz, 2026, 6, 1, 0, 0), 4, &r);
  /* At the start: 2001, 2002, 2003, 2004 = 4; of them 2002 and 2003 left. */
  ck_assert_int_eq(r.headcount_start, 4);
  ck_assert_int_eq(r.leavers, 3);
  ck_assert_int_eq(r.leavers_from_start, 2);
  ck_assert_double_eq_tol(r.stability, 0.5, 1e-12);
  ck_assert_int_eq(r.hires, 3);
  /* End of March: 2001, 2004, 2006, 2008 = 4. */
  ck_assert_int_eq(r.headcount_end, 4);
  /* Vacancy with 4 posts: only the 5th to the 9th are short (3 on the
   * staff); from the 10th 2006 and 2007 are there. */
  ck_assert_int_eq(r.vacancy_days, 5);
  /* Leavers by day of leaving, each taking the first unused hire of the
   * same role on or after that day: 2002 (5th) takes 2007 (hired the
   * 10th; 2006 is a qa_trainer); 2007 (15th) takes 2009 (1 April: 2008
   * came on the 12th, before 2007 left); 2003 (20th) finds none. */
  ck_assert_uint_eq(r.leaver_list->len, 3);
  WbStabilityLeaver *l = g_ptr_array_index(r.leaver_list, 0);
  ck_assert_str_eq(l->agent, "2002");
  ck_assert_str_eq(l->replaced_by, "2007");
  ck_assert_int_eq(l->days_to_replace, 5);
  l = g_ptr_array_index(r.leaver_list, 1);
  ck_assert_str_eq(l->agent, "2007");
  ck_assert_str_eq(l->replaced_by, "2009");
  ck_assert_int_eq(l->days_to_replace, 17);
  l = g_ptr_array_index(r.leaver_list, 2);
  ck_assert_str_eq(l->agent, "2003");
  ck_assert_ptr_null(l->replaced_by);
  ck_assert_int_eq(l->days_to_replace, -1);
  ck_assert_int_eq(r.replaced, 2);
  ck_assert_double_eq_tol(r.mean_days_to_replace, 11, 1e-12);
  wb_stability_result_clear(&r);

  /* Long before: only 2001, whose hire date is unknown, was there. */
  compute(&f, "2024-06", test_local_ms(f.tz, 2026, 6, 1, 0, 0), 10, &r);
  ck_assert_int_eq(r.headcount_start, 1);
  ck_assert_double_eq_tol(r.stability, 1.0, 1e-12);
  wb_stability_result_clear(&r);
  test_store_clear(&f);

  /* No one at the start: stability is unknown, not 100 %. */
  test_store_init(&f);
  staff(&f, "3001", "agent", "active", 20260601, 0);
  compute(&f, "2026-05", test_local_ms(f.tz, 2026, 7, 1, 0, 0), 1, &r);
  ck_assert_int_eq(r.headcount_start, 0);
  ck_assert(isnan(r.stability));
  ck_assert(isnan(r.attrition));
  ck_assert_int_eq(r.vacancy_days, 31);
  wb_stability_result_clear(&r);
  test_store_clear(&f);
}
END_TEST

/* Below target: five on the staff on 1 February, two leave in the
 * month: 3 / 5 = 0.6. */
START_TEST(test_below_target)
{
  TestStore f;
  test_store_init(&f);
  staff(&f, "1", "agent", "active", 20250101, 0);
  staff(&f, "2", "agent", "active", 20250101, 0);
  staff(&f, "3", "agent", "active", 20250101, 0);
  staff(&f, "4", "agent", "left", 20250101, 20260202);
  /* Left without a date: the record's time, 1 January 2026, is the day
   * of leaving. */
  staff(&f, "5", "agent", "left", 20250101, 0);
  staff(&f, "6", "agent", "left", 20250101, 20260227);
  WbStabilityResult r;
  compute(&f, "2026-02", test_local_ms(f.tz, 2026, 3, 2, 0, 0), 5, &r);
  ck_assert_int_eq(r.headcount_start, 5);
  ck_assert_int_eq(r.leavers, 2);
  ck_assert_double_eq_tol(r.stability, 0.6, 1e-12);
  ck_assert_double_eq_tol(r.target, 0.8, 1e-12);
  /* 1 day of 5, 25 days of 4 (2nd..26th), 2 days of 3: 0 + 25 + 4. */
  ck_assert_int_eq(r.vacancy_days, 29);
  ck_assert_int_eq(r.headcount_end, 3);
  wb_stability_result_clear(&r);

  /* The year to 2 March: 31 + 28 + 2 days. On 1 January 5 is gone
   * already, so of the five at the start 4 and 6 left: 3 / 5; three
   * leavers in all. */
  compute(&f, "2026", test_local_ms(f.tz, 2026, 3, 2, 0, 0), 5, &r);
  ck_assert_int_eq(r.days, 61);
  ck_assert_int_eq(r.headcount_start, 5);
  ck_assert_int_eq(r.leavers, 3);
  ck_assert_int_eq(r.leavers_from_start, 2);
  ck_assert_double_eq_tol(r.stability, 0.6, 1e-12);
  wb_stability_result_clear(&r);
  test_store_clear(&f);
}
END_TEST

static const WbOnPostRole *
role_of(const WbOnPost *p, const char *role)
{
  for (guint i = 0; i < p->roles->len; i++) {
    const WbOnPostRole *r = g_ptr_array_index(p->roles, i);
    if (g_strcmp0(r->role, role) == 0)
      return r;
  }
  ck_abort_msg("no role %s", role ? role : "(none)");
  return NULL;
}

static void
on_post(TestStore *f, gint64 from, gint64 to, gint64 now, WbOnPost *out)
{
  g_autoptr(GError) error = NULL;
  ck_assert_msg(wb_stability_on_post(f->store, f->tz, from, to, now, out, &error), "%s",
                error ? error->message : "");
}

/* Person-days by role and the quarter's summary:
 *   2001 agent: day shifts 2 and 3 Nov, one on 30 Oct;
 *   2002 agent: a night shift 2 Nov 19:00 - 3 Nov 08:00 (present on both
 *               days) and a login on 3 Nov (the same day again);
 *   2003 qa_trainer: logged in on 5 Nov and on 1 Dec;
 *   2004 agent: never present; 2005 not in the register: punched 6 Nov.
 * November: agent 2 persons 4 days, qa_trainer 1 and 1, no role 1 and 1.
 * October: agent 1 and 1. December: qa_trainer 1 and 1.
 * Quarter: agent 2 persons 5 days, qa_trainer 1 and 2, no role 1 and 1. */
START_TEST(test_person_days)
{
  TestStore f;
  test_store_init(&f);
  staff(&f, "2001", "agent", "active", 20250101, 0);
  staff(&f, "2002", "agent", "active", 20250101, 0);
  staff(&f, "2003", "qa_trainer", "active", 20250101, 0);
  staff(&f, "2004", "agent", "active", 20250101, 0);
  test_store_punch(&f, "2001", test_local_ms(f.tz, 2026, 10, 30, 8, 0), "in");
  test_store_punch(&f, "2001", test_local_ms(f.tz, 2026, 10, 30, 17, 30), "out");
  test_store_punch(&f, "2001", test_local_ms(f.tz, 2026, 11, 2, 8, 0), "in");
  test_store_punch(&f, "2001", test_local_ms(f.tz, 2026, 11, 2, 17, 30), "out");
  test_store_punch(&f, "2001", test_local_ms(f.tz, 2026, 11, 3, 7, 55), "in");
  test_store_punch(&f, "2001", test_local_ms(f.tz, 2026, 11, 3, 17, 30), "out");
  test_store_punch(&f, "2002", test_local_ms(f.tz, 2026, 11, 2, 19, 0), "in");
  test_store_punch(&f, "2002", test_local_ms(f.tz, 2026, 11, 3, 8, 0), "out");
  session(&f, "2002", test_local_ms(f.tz, 2026, 11, 3, 9, 0),
          test_local_ms(f.tz, 2026, 11, 3, 10, 0));
  session(&f, "2003", test_local_ms(f.tz, 2026, 11, 5, 9, 0),
          test_local_ms(f.tz, 2026, 11, 5, 12, 0));
  session(&f, "2003", test_local_ms(f.tz, 2026, 12, 1, 9, 0),
          test_local_ms(f.tz, 2026, 12, 1, 12, 0));
  test_store_punch(&f, "2005", test_local_ms(f.tz, 2026, 11, 6, 8, 0), "in");
  test_store_punch(&f, "2005", test_local_ms(f.tz, 2026, 11, 6, 17, 0), "out");

  gint64 now = test_local_ms(f.tz, 2026, 12, 10, 0, 0);
  gint64 oct = test_local_ms(f.tz, 2026, 10, 1, 0, 0), nov = test_local_ms(f.tz, 2026, 11, 1, 0, 0);
  gint64 dec = test_local_ms(f.tz, 2026, 12, 1, 0, 0), jan = test_local_ms(f.tz, 2027, 1, 1, 0, 0);
  WbOnPost p;

  on_post(&f, nov, dec, now, &p);
  ck_assert_int_eq(p.headcount, 4);
  ck_assert_int_eq(p.person_days, 6);
  ck_assert_uint_eq(p.roles->len, 3);
  /* By role name, no role last. */
  ck_assert_str_eq(((WbOnPostRole *)g_ptr_array_index(p.roles, 0))->role, "agent");
  ck_assert_str_eq(((WbOnPostRole *)g_ptr_array_index(p.roles, 1))->role, "qa_trainer");
  ck_assert_ptr_null(((WbOnPostRole *)g_ptr_array_index(p.roles, 2))->role);
  ck_assert_int_eq(role_of(&p, "agent")->headcount, 2);
  ck_assert_int_eq(role_of(&p, "agent")->person_days, 4);
  ck_assert_int_eq(role_of(&p, "qa_trainer")->headcount, 1);
  ck_assert_int_eq(role_of(&p, "qa_trainer")->person_days, 1);
  ck_assert_int_eq(role_of(&p, NULL)->headcount, 1);
  ck_assert_int_eq(role_of(&p, NULL)->person_days, 1);
  WbOnPostPerson *x = g_ptr_array_index(p.people, 1);
  ck_assert_str_eq(x->agent, "2002");
  ck_assert_int_eq(x->days, 2);
  wb_stability_on_post_clear(&p);

  on_post(&f, oct, nov, now, &p);
  ck_assert_int_eq(p.headcount, 1);
  ck_assert_int_eq(role_of(&p, "agent")->person_days, 1);
  wb_stability_on_post_clear(&p);

  on_post(&f, dec, jan, now, &p);
  ck_assert_int_eq(p.headcount, 1);
  ck_assert_int_eq(role_of(&p, "qa_trainer")->person_days, 1);
  wb_stability_on_post_clear(&p);

  on_post(&f, oct, jan, now, &p);
  ck_assert_int_eq(p.headcount, 4);
  ck_assert_int_eq(p.person_days, 8);
  ck_assert_int_eq(role_of(&p, "agent")->headcount, 2);
  ck_assert_int_eq(role_of(&p, "agent")->person_days, 5);
  ck_assert_int_eq(role_of(&p, "qa_trainer")->headcount, 1);
  ck_assert_int_eq(role_of(&p, "qa_trainer")->person_days, 2);
  ck_assert_int_eq(role_of(&p, NULL)->person_days, 1);
  wb_stability_on_post_clear(&p);

  /* Asked on 3 November at noon: nothing after now is presence. */
  on_post(&f, nov, dec, test_local_ms(f.tz, 2026, 11, 3, 12, 0), &p);
  ck_assert_int_eq(p.headcount, 2);
  ck_assert_int_eq(p.person_days, 4);
  wb_stability_on_post_clear(&p);
  test_store_clear(&f);
}
END_TEST

static Suite *
suite(void)
{
  Suite *s = suite_create("stability");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_period_parse);
  tcase_add_test(tc, test_leaver_and_replacement);
  tcase_add_test(tc, test_who_counts);
  tcase_add_test(tc, test_below_target);
  tcase_add_test(tc, test_person_days);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(suite());
}
