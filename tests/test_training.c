/* test_training.c: training kinds, induction before the first call,
 * in-service training, safety trainings and exams, worked by hand. */
#include <math.h>

#include "engine/config.h"
#include "engine/records.h"
#include "engine/store.h"
#include "engine/workforce/training.h"
#include "testutil.h"

typedef struct {
  TestStore t;
  WbConfig *cfg;
  WbTrainingRules rules;
} Fixture;

static void
fixture_init(Fixture *f)
{
  test_store_init(&f->t);
  f->cfg = wb_config_new_defaults();
  wb_training_rules_from_config(f->cfg, &f->rules);
}

static void
fixture_clear(Fixture *f)
{
  wb_config_free(f->cfg);
  test_store_clear(&f->t);
}

static void
staff(Fixture *f, const char *agent, const char *role, const char *status, gint hired, gint left)
{
  gint64 ts = test_date_ms(f->t.tz, 20200101, 0, 0) + f->t.pos;
  test_store_staff(&f->t, agent, role, status, ts, hired, left);
}

static void
training(Fixture *f, const char *agent, gint date, const char *kind)
{
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_TRAINING_RECORD);
  ev.ts_ms = test_date_ms(f->t.tz, date, 18, 0);
  WB_EVENT_SET(&ev, agent, agent, -1);
  WB_EVENT_SET(&ev, kind, kind, -1);
  ev.start_ms = test_date_ms(f->t.tz, date, 0, 0);
  ev.value = 4;
  test_store_put(&f->t, &ev);
}

static void
exam(Fixture *f, const char *agent, gint date, const char *area, gdouble score)
{
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_EXAM_RECORD);
  ev.ts_ms = test_date_ms(f->t.tz, date, 18, 0);
  WB_EVENT_SET(&ev, agent, agent, -1);
  WB_EVENT_SET(&ev, kind, area, -1);
  ev.start_ms = test_date_ms(f->t.tz, date, 0, 0);
  ev.value = score;
  test_store_put(&f->t, &ev);
}

static void
answered(Fixture *f, const char *call_id, const char *agent, gint64 answer_ms)
{
  g_autoptr(GError) error = NULL;
  WbCallRecord c = {0};
  g_strlcpy(c.call_id, call_id, sizeof(c.call_id));
  g_strlcpy(c.queue, "policy", sizeof(c.queue));
  g_strlcpy(c.agent, agent, sizeof(c.agent));
  c.enqueue_ms = answer_ms - 10000;
  c.answer_ms = answer_ms;
  c.end_ms = answer_ms + 120000;
  c.wait_ms = 10000;
  c.talk_ms = 120000;
  c.outcome = WB_OUTCOME_COMPLETED;
  c.prev_call_gap_ms = -1;
  ck_assert(wb_store_put_call(f->t.store, &c, &error));
  test_store_commit(&f->t);
}

START_TEST(test_classify)
{
  Fixture f;
  fixture_init(&f);
  const struct {
    const char *kind;
    WbTrainingClass want;
  } cases[] = {
      {"岗前培训-理论", WB_TRAINING_CLASSROOM},
      {"岗前培训-理论（出入境政策）", WB_TRAINING_CLASSROOM},
      {"入职培训-理论", WB_TRAINING_CLASSROOM},
      {"岗前培训-实操", WB_TRAINING_HANDS_ON},
      {"岗前培训-跟岗（夜班）", WB_TRAINING_FIELD},
      {"岗前培训-现场", WB_TRAINING_FIELD},
      {"安全培训", WB_TRAINING_SAFETY},
      {"安全培训-消防", WB_TRAINING_SAFETY},
      {"消防安全演练", WB_TRAINING_SAFETY},
      {"信息安全培训", WB_TRAINING_SAFETY},
      /* Not listed: in-service, even a bare 岗前培训. */
      {"岗前培训", WB_TRAINING_IN_SERVICE},
      {"出入境政策更新", WB_TRAINING_IN_SERVICE},
      {"理论岗前培训-理论", WB_TRAINING_IN_SERVICE},
      {"", WB_TRAINING_IN_SERVICE},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    ck_assert_msg(wb_training_classify(&f.rules, cases[i].kind) == cases[i].want, "%s",
                  cases[i].kind);
  ck_assert(wb_training_classify(&f.rules, NULL) == WB_TRAINING_IN_SERVICE);

  /* The centre's own names, from the configuration. */
  g_autoptr(GError) error = NULL;
  ck_assert(wb_config_set(f.cfg, "training", "induction_classroom", "课堂; 理论", &error));
  ck_assert(wb_config_set(f.cfg, "training", "safety", "安全", &error));
  wb_training_rules_from_config(f.cfg, &f.rules);
  ck_assert(wb_training_classify(&f.rules, "理论学习") == WB_TRAINING_CLASSROOM);
  ck_assert(wb_training_classify(&f.rules, "岗前培训-理论") == WB_TRAINING_IN_SERVICE);
  ck_assert(wb_training_classify(&f.rules, "安全生产") == WB_TRAINING_SAFETY);
  fixture_clear(&f);
}
END_TEST

static const WbTrainingPerson *
person(const WbTrainingMonth *m, const char *agent)
{
  for (guint i = 0; i < m->people->len; i++) {
    const WbTrainingPerson *x = g_ptr_array_index(m->people, i);
    if (strcmp(x->agent, agent) == 0)
      return x;
  }
  return NULL;
}

/* The month of November 2026, seen on 5 December:
 * 3001 agent, hired 1 Oct, first call 14 Oct 10:00. Induction: classroom
 *      8, 9, 10 Oct; hands-on 11 and 12; field 12 and 13 (the 12th counts
 *      for both, once in the total): 3 + 2 + 2, 6 days: met. A classroom
 *      day on 20 Oct, after the first call, is not induction. Entry exams:
 *      five areas passed (信息安全 failed at 50, then passed at 70).
 *      November: 出入境政策更新 and 安全培训-消防 (in-service 2); exams 90
 *      and 80 (85); safety in 2026: 1 (the one of 2 Dec is after the
 *      month): short of 2.
 * 3002 agent, hired 1 Feb, first call 13 Oct. Induction 2 classroom, 2
 *      hands-on, 1 field, 5 days: short. Entry: 3 areas passed (59.5
 *      fails, 60 passes). November: no in-service training at all. Safety
 *      in March and June: 2, met. One exam in November: 70.
 * 3003 agent, hired 20 Nov, no call yet: 2 classroom days so far, still
 *      in training: induction and entry exam not judged, in-service not
 *      judged in the month of joining; no safety training: short. His
 *      exam of 24 Nov is his only score: 88.
 * 3004 team manager since 2020, never on the phones: one in-service
 *      training, two safety trainings in 2026 (one of 2025 does not
 *      count): compliant.
 * 3005 reserve, 3006 left in October: not listed. 3007 left on 15 Nov:
 *      listed, in-service not judged, no safety training: short.
 * Non-compliant: induction 1, entry exam 1, in-service 1, safety 3
 * (3001, 3003, 3007); any 4. */
START_TEST(test_november)
{
  Fixture f;
  fixture_init(&f);
  staff(&f, "3001", "agent", "active", 20261001, 0);
  staff(&f, "3002", "agent", "active", 20260201, 0);
  staff(&f, "3003", "agent", "active", 20261120, 0);
  staff(&f, "3004", "team_manager", "active", 20200101, 0);
  staff(&f, "3005", "agent", "reserve", 20250101, 0);
  staff(&f, "3006", "agent", "left", 20240101, 20261015);
  staff(&f, "3007", "agent", "left", 20240101, 20261115);

  training(&f, "3001", 20261008, "岗前培训-理论");
  training(&f, "3001", 20261009, "岗前培训-理论");
  training(&f, "3001", 20261010, "岗前培训-理论");
  training(&f, "3001", 20261011, "岗前培训-实操");
  training(&f, "3001", 20261012, "岗前培训-实操");
  training(&f, "3001", 20261012, "岗前培训-跟岗（夜班）");
  training(&f, "3001", 20261013, "岗前培训-跟岗");
  training(&f, "3001", 20261020, "岗前培训-理论");
  training(&f, "3001", 20261103, "出入境政策更新");
  training(&f, "3001", 20261118, "安全培训-消防");
  training(&f, "3001", 20261202, "安全培训");
  exam(&f, "3001", 20261010, "政策法规", 80);
  exam(&f, "3001", 20261011, "业务系统", 75);
  exam(&f, "3001", 20261012, "服务规范", 90);
  exam(&f, "3001", 20261012, "信息安全", 50);
  exam(&f, "3001", 20261013, "信息安全", 70);
  exam(&f, "3001", 20261013, "沟通技巧", 65);
  exam(&f, "3001", 20261120, "政策法规", 90);
  exam(&f, "3001", 20261125, "服务规范", 80);
  answered(&f, "c1", "3001", test_date_ms(f.t.tz, 20261014, 10, 0));
  answered(&f, "c2", "3001", test_date_ms(f.t.tz, 20261101, 9, 0));

  training(&f, "3002", 20260310, "安全培训");
  training(&f, "3002", 20260610, "消防安全演练");
  training(&f, "3002", 20261008, "岗前培训-理论");
  training(&f, "3002", 20261009, "岗前培训-理论");
  training(&f, "3002", 20261010, "岗前培训-实操");
  training(&f, "3002", 20261011, "岗前培训-实操");
  training(&f, "3002", 20261012, "岗前培训-跟岗");
  exam(&f, "3002", 20261012, "政策法规", 70);
  exam(&f, "3002", 20261012, "业务系统", 60);
  exam(&f, "3002", 20261012, "服务规范", 59.5);
  exam(&f, "3002", 20261012, "沟通技巧", 90);
  exam(&f, "3002", 20261120, "政策法规", 70);
  answered(&f, "c3", "3002", test_date_ms(f.t.tz, 20261013, 9, 0));

  training(&f, "3003", 20261123, "岗前培训-理论");
  training(&f, "3003", 20261124, "岗前培训-理论");
  exam(&f, "3003", 20261124, "政策法规", 88);

  training(&f, "3004", 20251201, "安全培训");
  training(&f, "3004", 20260105, "安全培训");
  training(&f, "3004", 20260705, "信息安全培训");
  training(&f, "3004", 20261110, "管理培训");
  exam(&f, "3004", 20261125, "服务规范", 88);

  training(&f, "3005", 20261105, "出入境政策更新");

  g_autoptr(GError) error = NULL;
  WbTrainingMonth m;
  ck_assert_msg(wb_training_month(f.t.store, f.t.tz, &f.rules, test_date_ms(f.t.tz, 20261101, 0, 0),
                                  test_date_ms(f.t.tz, 20261201, 0, 0),
                                  test_date_ms(f.t.tz, 20261205, 12, 0), &m, &error),
                "%s", error ? error->message : "");
  ck_assert_uint_eq(m.people->len, 5);
  ck_assert_ptr_null(person(&m, "3005"));
  ck_assert_ptr_null(person(&m, "3006"));

  const WbTrainingPerson *x = person(&m, "3001");
  ck_assert(x->has_first_call);
  ck_assert_int_eq(x->first_call_ms, test_date_ms(f.t.tz, 20261014, 10, 0));
  ck_assert_int_eq(x->classroom_days, 3);
  ck_assert_int_eq(x->hands_on_days, 2);
  ck_assert_int_eq(x->field_days, 2);
  ck_assert_int_eq(x->induction_days, 6);
  ck_assert(x->induction_ok);
  ck_assert_int_eq(x->entry_areas_passed, 5);
  ck_assert(x->entry_exam_ok);
  ck_assert(x->whole_month);
  ck_assert_int_eq(x->in_service, 2);
  ck_assert(x->in_service_ok);
  ck_assert_int_eq(x->exams, 2);
  ck_assert_double_eq_tol(x->exam_score, 85, 1e-12);
  ck_assert_int_eq(x->safety, 1);
  ck_assert(!x->safety_ok);
  ck_assert(!x->compliant);

  x = person(&m, "3002");
  ck_assert_int_eq(x->classroom_days, 2);
  ck_assert_int_eq(x->hands_on_days, 2);
  ck_assert_int_eq(x->field_days, 1);
  ck_assert_int_eq(x->induction_days, 5);
  ck_assert(!x->induction_ok);
  ck_assert_int_eq(x->entry_areas_passed, 3);
  ck_assert(!x->entry_exam_ok);
  ck_assert_int_eq(x->in_service, 0);
  ck_assert(!x->in_service_ok);
  ck_assert_int_eq(x->safety, 2);
  ck_assert(x->safety_ok);
  ck_assert_int_eq(x->exams, 1);
  ck_assert_double_eq_tol(x->exam_score, 70, 1e-12);

  x = person(&m, "3003");
  ck_assert(!x->has_first_call);
  ck_assert_int_eq(x->classroom_days, 2);
  ck_assert_int_eq(x->induction_days, 2);
  ck_assert(!x->whole_month);
  ck_assert_int_eq(x->entry_areas_passed, 1);
  ck_assert_int_eq(x->exams, 1);
  ck_assert_double_eq_tol(x->exam_score, 88, 1e-12);
  ck_assert_int_eq(x->safety, 0);
  ck_assert(!x->compliant);

  x = person(&m, "3004");
  ck_assert(!x->has_first_call);
  ck_assert_int_eq(x->in_service, 1);
  ck_assert_int_eq(x->safety, 2);
  ck_assert(x->compliant);

  x = person(&m, "3007");
  ck_assert(!x->whole_month);
  ck_assert(isnan(x->exam_score));
  ck_assert_int_eq(x->exams, 0);

  ck_assert_int_eq(m.short_induction, 1);
  ck_assert_int_eq(m.short_entry_exam, 1);
  ck_assert_int_eq(m.short_in_service, 1);
  ck_assert_int_eq(m.short_safety, 3);
  ck_assert_int_eq(m.any, 4);
  wb_training_month_clear(&m);

  /* December, seen on 5 December: 3001's safety training of the 2nd is
   * his second of the year; records after today do not count yet. */
  training(&f, "3001", 20261220, "安全培训");
  ck_assert(wb_training_month(f.t.store, f.t.tz, &f.rules, test_date_ms(f.t.tz, 20261201, 0, 0),
                              test_date_ms(f.t.tz, 20270101, 0, 0),
                              test_date_ms(f.t.tz, 20261205, 12, 0), &m, &error));
  x = person(&m, "3001");
  ck_assert_int_eq(x->safety, 2);
  ck_assert(x->safety_ok);
  ck_assert_int_eq(x->in_service, 1);
  ck_assert_ptr_null(person(&m, "3007"));
  wb_training_month_clear(&m);
  fixture_clear(&f);
}
END_TEST

/* Induction dated the day of the first call counts (the first call came
 * later that day); with no call yet, all induction so far counts. */
START_TEST(test_induction_before_first_call)
{
  Fixture f;
  fixture_init(&f);
  staff(&f, "4001", "agent", "active", 20261101, 0);
  training(&f, "4001", 20261102, "岗前培训-理论");
  training(&f, "4001", 20261103, "岗前培训-理论");
  training(&f, "4001", 20261104, "岗前培训-实操");
  training(&f, "4001", 20261105, "岗前培训-跟岗");
  training(&f, "4001", 20261106, "岗前培训-理论");
  training(&f, "4001", 20261106, "岗前培训-实操");
  training(&f, "4001", 20261106, "岗前培训-跟岗");
  g_autoptr(GError) error = NULL;
  WbTrainingMonth m;
  gint64 nov = test_date_ms(f.t.tz, 20261101, 0, 0), dec = test_date_ms(f.t.tz, 20261201, 0, 0);

  /* On the 6th at 08:00, no call yet: 5 days (3 classroom, 2, 2). */
  ck_assert(wb_training_month(f.t.store, f.t.tz, &f.rules, nov, dec,
                              test_date_ms(f.t.tz, 20261106, 8, 0), &m, &error));
  const WbTrainingPerson *x = person(&m, "4001");
  ck_assert(!x->has_first_call);
  ck_assert_int_eq(x->induction_days, 5);
  ck_assert(x->induction_ok);
  ck_assert_int_eq(m.short_induction, 0);
  wb_training_month_clear(&m);

  /* First call on the 6th at 14:00: the 6th still counts. */
  answered(&f, "c1", "4001", test_date_ms(f.t.tz, 20261106, 14, 0));
  ck_assert(wb_training_month(f.t.store, f.t.tz, &f.rules, nov, dec,
                              test_date_ms(f.t.tz, 20261110, 8, 0), &m, &error));
  x = person(&m, "4001");
  ck_assert(x->has_first_call);
  ck_assert_int_eq(x->classroom_days, 3);
  ck_assert(x->induction_ok);
  /* Five entry areas are needed; none was taken: judged now, short. */
  ck_assert_int_eq(m.short_entry_exam, 1);
  wb_training_month_clear(&m);

  /* A call on the 5th instead: only the 2nd to the 4th were before it. */
  answered(&f, "c0", "4001", test_date_ms(f.t.tz, 20261105, 9, 0));
  ck_assert(wb_training_month(f.t.store, f.t.tz, &f.rules, nov, dec,
                              test_date_ms(f.t.tz, 20261110, 8, 0), &m, &error));
  x = person(&m, "4001");
  ck_assert_int_eq(x->first_call_ms, test_date_ms(f.t.tz, 20261105, 9, 0));
  ck_assert_int_eq(x->classroom_days, 2);
  ck_assert_int_eq(x->hands_on_days, 1);
  ck_assert_int_eq(x->field_days, 1); /* the 5th itself counts */
  ck_assert_int_eq(x->induction_days, 4);
  ck_assert(!x->induction_ok);
  ck_assert_int_eq(m.short_induction, 1);
  wb_training_month_clear(&m);
  fixture_clear(&f);
}
END_TEST

/* Each minimum on its own: every person answered a first call on
 * 20 November, after induction from the 2nd.
 *   5001: 3 classroom, 2 hands-on, 2 field on 5 days (the 5th and 6th
 *         both hands-on and field): met.
 *   5002: 3 classroom, 2 hands-on, 1 field, 6 days: field short.
 *   5003: 3 classroom days each also hands-on and field: 3 days in all,
 *         short of 5 though every kind has its days.
 *   5004: 2 classroom, 2 hands-on, 2 field on 6 days: classroom short.
 *   5005: 3 classroom, 1 hands-on, 2 field: hands-on short. */
START_TEST(test_induction_minimums)
{
  Fixture f;
  fixture_init(&f);
  const struct {
    const char *agent;
    const char *plan; /* per day from the 2nd: C classroom, H hands-on, F field, '-' none */
    gint days;
    gboolean ok;
  } cases[] = {
      {"5001", "C C C HF HF", 5, TRUE},  {"5002", "C C C H H F", 6, FALSE},
      {"5003", "CHF CHF CHF", 3, FALSE}, {"5004", "C C H H F F", 6, FALSE},
      {"5005", "C C C H F F", 6, FALSE},
  };
  const char *kinds[] = {['C'] = "岗前培训-理论", ['H'] = "岗前培训-实操", ['F'] = "岗前培训-跟岗"};
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    staff(&f, cases[i].agent, "agent", "active", 20261101, 0);
    g_auto(GStrv) days = g_strsplit(cases[i].plan, " ", -1);
    for (gint d = 0; days[d] != NULL; d++)
      for (const char *k = days[d]; *k != '\0'; k++)
        training(&f, cases[i].agent, 20261102 + d, kinds[(int)*k]);
    char call_id[16];
    g_snprintf(call_id, sizeof(call_id), "c%s", cases[i].agent);
    answered(&f, call_id, cases[i].agent, test_date_ms(f.t.tz, 20261120, 9, 0));
  }
  g_autoptr(GError) error = NULL;
  WbTrainingMonth m;
  ck_assert(wb_training_month(f.t.store, f.t.tz, &f.rules, test_date_ms(f.t.tz, 20261101, 0, 0),
                              test_date_ms(f.t.tz, 20261201, 0, 0),
                              test_date_ms(f.t.tz, 20261205, 0, 0), &m, &error));
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    const WbTrainingPerson *x = person(&m, cases[i].agent);
    ck_assert_int_eq(x->induction_days, cases[i].days);
    ck_assert_msg(x->induction_ok == cases[i].ok, "%s", cases[i].agent);
  }
  ck_assert_int_eq(m.short_induction, 4);
  wb_training_month_clear(&m);
  fixture_clear(&f);
}
END_TEST

static Suite *
suite(void)
{
  Suite *s = suite_create("training");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_classify);
  tcase_add_test(tc, test_november);
  tcase_add_test(tc, test_induction_before_first_call);
  tcase_add_test(tc, test_induction_minimums);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(suite());
}
