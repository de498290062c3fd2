/* test_report.c: a generated November 2026 (and its October, and one day
 * of November 2025) with known volumes, categories, work orders and
 * quality records, and the report tables worked out by hand. */
#include <math.h>

#include "engine/report.h"
#include "testutil.h"

#define SEC_MS 1000LL

typedef struct {
  TestStore t;
  WbConfig *cfg;
} Fixture;

static void
put_call(Fixture *f, const char *id, const char *queue, const char *agent, gint64 at,
         gboolean answered)
{
  g_autoptr(GError) error = NULL;
  WbCallRecord c = {0};
  g_strlcpy(c.call_id, id, sizeof(c.call_id));
  g_strlcpy(c.queue, queue, sizeof(c.queue));
  c.enqueue_ms = at;
  c.prev_call_gap_ms = -1;
  if (answered) {
    g_strlcpy(c.agent, agent, sizeof(c.agent));
    c.wait_ms = 5 * SEC_MS;
    c.answer_ms = at + c.wait_ms;
    c.talk_ms = 100 * SEC_MS;
    c.end_ms = c.answer_ms + c.talk_ms;
    c.outcome = WB_OUTCOME_COMPLETED;
  } else {
    c.wait_ms = 40 * SEC_MS;
    c.end_ms = at + c.wait_ms;
    c.outcome = WB_OUTCOME_ABANDONED;
  }
  ck_assert_msg(wb_store_put_call(f->t.store, &c, &error), "%s", error ? error->message : "");
}

static void
classify(Fixture *f, const char *id, const char *category, gint64 at)
{
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_CALL_CLASSIFY);
  ev.ts_ms = at;
  WB_EVENT_SET(&ev, call_id, id, -1);
  WB_EVENT_SET(&ev, category, category, -1);
  test_store_put(&f->t, &ev);
}

static void
survey(Fixture *f, const char *id, gdouble score, gint64 at)
{
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_CALL_SURVEY);
  ev.ts_ms = at;
  WB_EVENT_SET(&ev, call_id, id, -1);
  ev.value = score;
  test_store_put(&f->t, &ev);
}

static void
qa(Fixture *f, const char *agent, const char *id, gdouble score, gint64 at)
{
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_QA_SCORE);
  ev.ts_ms = at;
  WB_EVENT_SET(&ev, agent, agent, -1);
  WB_EVENT_SET(&ev, call_id, id, -1);
  WB_EVENT_SET(&ev, device, "inspector", -1);
  ev.value = score;
  test_store_put(&f->t, &ev);
}

/* A work order opened at `opened` due at `due`, closed at `closed` (0: not). */
static void
workorder(Fixture *f, const char *id, const char *origin, gint64 opened, gint64 due, gint64 closed)
{
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_WORKORDER_OPEN);
  ev.ts_ms = opened;
  ev.end_ms = due;
  WB_EVENT_SET(&ev, id, id, -1);
  WB_EVENT_SET(&ev, origin, origin, -1);
  WB_EVENT_SET(&ev, status, "open", -1);
  test_store_put(&f->t, &ev);
  if (closed == 0)
    return;
  wb_event_init(&ev, WB_EVENT_WORKORDER_CLOSE);
  ev.ts_ms = closed;
  WB_EVENT_SET(&ev, id, id, -1);
  WB_EVENT_SET(&ev, origin, origin, -1);
  WB_EVENT_SET(&ev, status, "closed", -1);
  test_store_put(&f->t, &ev);
}

static gint64
at(Fixture *f, int y, int m, int d, int hh, int mm)
{
  return test_local_ms(f->t.tz, y, m, d, hh, mm);
}

/* November 2026 begins on a Sunday. Every day: two calls to "policy"
 * answered by a1 at 10:00 and 10:30. Every Monday (2, 9, 16, 23, 30): one
 * call to "visa" abandoned at 09:15. The 10:00 calls of days 1-10 are
 * 出入境证件, of days 11-30 签证; the Monday calls 政策咨询. October:
 * one answered call a day, days 1-25 签证 and 26-31 出入境证件. November
 * 2025: three calls on the 5th. */
static void
fixture_init(Fixture *f)
{
  test_store_init(&f->t);
  f->cfg = wb_config_new_defaults();
  char id[32];
  for (int d = 1; d <= 30; d++) {
    g_snprintf(id, sizeof(id), "n%02d-a", d);
    put_call(f, id, "policy", "a1", at(f, 2026, 11, d, 10, 0), TRUE);
    classify(f, id, d <= 10 ? "出入境证件" : "签证", at(f, 2026, 11, d, 11, 0));
    g_snprintf(id, sizeof(id), "n%02d-b", d);
    put_call(f, id, "policy", "a1", at(f, 2026, 11, d, 10, 30), TRUE);
    if (d % 7 == 2) {
      g_snprintf(id, sizeof(id), "n%02d-m", d);
      put_call(f, id, "visa", NULL, at(f, 2026, 11, d, 9, 15), FALSE);
      classify(f, id, "政策咨询", at(f, 2026, 11, d, 11, 0));
    }
  }
  for (int d = 1; d <= 31; d++) {
    g_snprintf(id, sizeof(id), "o%02d", d);
    put_call(f, id, "policy", "a1", at(f, 2026, 10, d, 10, 0), TRUE);
    classify(f, id, d <= 25 ? "签证" : "出入境证件", at(f, 2026, 10, d, 11, 0));
  }
  for (int i = 0; i < 3; i++) {
    g_snprintf(id, sizeof(id), "y%d", i);
    put_call(f, id, "policy", "a1", at(f, 2025, 11, 5, 10, i), TRUE);
  }
  /* Satisfaction 5, 4, 3, 4 on a1's calls: mean 4. */
  survey(f, "n01-a", 5, at(f, 2026, 11, 1, 12, 0));
  survey(f, "n02-a", 4, at(f, 2026, 11, 2, 12, 0));
  survey(f, "n03-a", 3, at(f, 2026, 11, 3, 12, 0));
  survey(f, "n04-b", 4, at(f, 2026, 11, 4, 12, 0));
  qa(f, "a1", "n01-a", 90, at(f, 2026, 11, 5, 9, 0));
  qa(f, "a1", "n02-a", 80, at(f, 2026, 11, 6, 9, 0));
  qa(f, "a2", "x", 70, at(f, 2026, 11, 7, 9, 0));
  qa(f, "a2", "o01", 10, at(f, 2026, 10, 7, 9, 0)); /* October: not counted */
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_COMPLAINT_OPEN);
  ev.ts_ms = at(f, 2026, 11, 9, 9, 0);
  WB_EVENT_SET(&ev, id, "c1", -1);
  WB_EVENT_SET(&ev, agent, "a1", -1);
  test_store_put(&f->t, &ev);
  /* Province: on time, late, overdue at the month's end, open but not
   * yet due. City: opened in October, closed late in November. Direct:
   * not a 12345 order. */
  workorder(f, "w1", "12345_province", at(f, 2026, 11, 3, 9, 0), at(f, 2026, 11, 10, 9, 0),
            at(f, 2026, 11, 8, 9, 0));
  workorder(f, "w2", "12345_province", at(f, 2026, 11, 5, 9, 0), at(f, 2026, 11, 12, 9, 0),
            at(f, 2026, 11, 20, 9, 0));
  workorder(f, "w3", "12345_province", at(f, 2026, 11, 25, 9, 0), at(f, 2026, 11, 28, 9, 0), 0);
  workorder(f, "w4", "12345_province", at(f, 2026, 11, 28, 9, 0), at(f, 2026, 12, 5, 9, 0), 0);
  workorder(f, "w5", "direct", at(f, 2026, 11, 4, 9, 0), at(f, 2026, 11, 6, 9, 0), 0);
  workorder(f, "w6", "12345_city", at(f, 2026, 10, 20, 9, 0), at(f, 2026, 10, 30, 9, 0),
            at(f, 2026, 11, 2, 9, 0));
  test_store_commit(&f->t);
}

static void
fixture_clear(Fixture *f)
{
  wb_config_free(f->cfg);
  test_store_clear(&f->t);
}

static WbReport *
build(Fixture *f, WbReportKind kind, const char *text)
{
  g_autoptr(GError) error = NULL;
  WbReportPeriod p;
  ck_assert_msg(wb_report_period_parse(kind, text, f->t.tz, 0, &p, &error), "%s",
                error ? error->message : "");
  WbReport *r = wb_report_build(f->t.store, f->cfg, f->t.tz, &p, &error);
  ck_assert_msg(r != NULL, "%s", error ? error->message : "");
  return r;
}

static const WbReportCell *
cell(const WbReport *r, const char *table, const char *row, const char *col)
{
  const WbReportTable *t = wb_report_table(r, table);
  ck_assert_msg(t != NULL, "no table %s", table);
  gint ri = wb_report_table_find_row(t, row), ci = wb_report_table_column(t, col);
  ck_assert_msg(ri >= 0 && ci >= 0, "%s: no cell %s/%s", table, row, col);
  return wb_report_table_cell(t, (guint)ri, (guint)ci);
}

static gint64
int_at(const WbReport *r, const char *table, const char *row, const char *col)
{
  const WbReportCell *c = cell(r, table, row, col);
  ck_assert_msg(c->type == WB_REPORT_CELL_INT, "%s %s/%s is not an integer", table, row, col);
  return c->i;
}

static gdouble
real_at(const WbReport *r, const char *table, const char *row, const char *col)
{
  const WbReportCell *c = cell(r, table, row, col);
  ck_assert_msg(c->type == WB_REPORT_CELL_REAL, "%s %s/%s is not a number", table, row, col);
  return c->d;
}

static gboolean
null_at(const WbReport *r, const char *table, const char *row, const char *col)
{
  return cell(r, table, row, col)->type == WB_REPORT_CELL_NULL;
}

START_TEST(test_periods)
{
  g_autoptr(GTimeZone) tz = test_shanghai();
  g_autoptr(GError) error = NULL;
  WbReportPeriod p;
  gint64 now = test_local_ms(tz, 2026, 11, 28, 15, 0);

  ck_assert(wb_report_period_parse(WB_REPORT_QUARTERLY, "2026-Q4", tz, now, &p, NULL));
  ck_assert_int_eq(p.from_ms, test_local_ms(tz, 2026, 10, 1, 0, 0));
  ck_assert_int_eq(p.to_ms, test_local_ms(tz, 2027, 1, 1, 0, 0));
  ck_assert_int_eq(p.prev_from_ms, test_local_ms(tz, 2026, 7, 1, 0, 0));
  ck_assert_int_eq(p.year_from_ms, test_local_ms(tz, 2025, 10, 1, 0, 0));
  ck_assert_int_eq(p.days, 92);
  /* Defaults: the last whole period before now. */
  ck_assert(wb_report_period_parse(WB_REPORT_MONTHLY, NULL, tz, now, &p, NULL));
  ck_assert_str_eq(p.text, "2026-10");
  ck_assert(wb_report_period_parse(WB_REPORT_QUARTERLY, NULL, tz, now, &p, NULL));
  ck_assert_str_eq(p.text, "2026-Q3");
  ck_assert(wb_report_period_parse(WB_REPORT_DAILY, NULL, tz, now, &p, NULL));
  ck_assert_str_eq(p.text, "2026-11-27");
  ck_assert(wb_report_period_parse(WB_REPORT_ANNUAL, NULL, tz, now, &p, NULL));
  ck_assert_str_eq(p.text, "2025");
  ck_assert(wb_report_period_parse(WB_REPORT_MONTHLY, NULL, tz,
                                   test_local_ms(tz, 2026, 1, 10, 0, 0), &p, NULL));
  ck_assert_str_eq(p.text, "2025-12");
  /* Monthly: the previous month; January's is December. */
  ck_assert(wb_report_period_parse(WB_REPORT_MONTHLY, "2026-01", tz, now, &p, NULL));
  ck_assert_int_eq(p.prev_from_ms, test_local_ms(tz, 2025, 12, 1, 0, 0));
  ck_assert_int_eq(p.days, 31);
  /* Thematic: the 15 days before, and the same dates a year back. */
  ck_assert(
      wb_report_period_parse(WB_REPORT_THEMATIC, "2026-11-01..2026-11-15", tz, now, &p, NULL));
  ck_assert_int_eq(p.days, 15);
  ck_assert_int_eq(p.to_ms, test_local_ms(tz, 2026, 11, 16, 0, 0));
  ck_assert_int_eq(p.prev_from_ms, test_local_ms(tz, 2026, 10, 17, 0, 0));
  ck_assert_int_eq(p.year_to_ms, test_local_ms(tz, 2025, 11, 16, 0, 0));
  const char *bad[][2] = {{"monthly", "2026-13"},   {"monthly", "2026-11x"},
                          {"quarterly", "2026-Q5"}, {"daily", "2026-02-30"},
                          {"annual", "26"},         {"thematic", "2026-11-15..2026-11-01"},
                          {"thematic", NULL}};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    WbReportKind kind;
    ck_assert(wb_report_kind_from_name(bad[i][0], &kind));
    ck_assert_msg(!wb_report_period_parse(kind, bad[i][1], tz, now, &p, &error), "%s", bad[i][1]);
    ck_assert(g_str_has_prefix(error->message, "period"));
    g_clear_error(&error);
  }
}
END_TEST

START_TEST(test_monthly_tables)
{
  Fixture f;
  fixture_init(&f);
  g_autoptr(WbReport) r = build(&f, WB_REPORT_MONTHLY, "2026-11");

  /* (1) 60 answered + 5 abandoned; October 31; November 2025 3. */
  ck_assert_int_eq(int_at(r, "summary", "offered", "value"), 65);
  ck_assert_int_eq(int_at(r, "summary", "offered", "previous"), 31);
  ck_assert_int_eq(int_at(r, "summary", "offered", "last_year"), 3);
  ck_assert_double_eq_tol(real_at(r, "summary", "offered", "change"), 34, 1e-9);
  ck_assert_int_eq(int_at(r, "summary", "abandoned", "value"), 5);
  ck_assert_double_eq_tol(real_at(r, "summary", "answer_rate", "value"), 60.0 / 65, 1e-9);
  ck_assert_double_eq_tol(real_at(r, "summary", "answer_rate", "previous"), 1, 1e-9);
  ck_assert_double_eq_tol(real_at(r, "summary", "answer_rate", "target"), f.cfg->target_answer_rate,
                          1e-9);
  ck_assert_double_eq_tol(real_at(r, "summary", "asa_s", "value"), 5, 1e-9);
  ck_assert_double_eq_tol(real_at(r, "summary", "aht_s", "value"), 100, 1e-9);
  ck_assert(null_at(r, "summary", "aht_s", "target"));

  /* (2), (3) */
  ck_assert_int_eq(int_at(r, "queues", "policy", "offered"), 60);
  ck_assert_int_eq(int_at(r, "queues", "visa", "abandoned"), 5);
  ck_assert_double_eq_tol(real_at(r, "queues", "visa", "answer_rate"), 0, 1e-9);
  ck_assert(null_at(r, "queues", "visa", "aht_s"));
  ck_assert_int_eq(int_at(r, "agents", "a1", "answered"), 60);

  /* (4) Monday 09:00: the 5 abandoned calls; 10:00 twice a day, on 5
   * Sundays and Mondays, 4 of each other weekday. */
  const WbReportTable *heat = wb_report_table(r, "heat_hour_weekday");
  ck_assert_int_eq(wb_report_table_rows(heat), 7);
  ck_assert_int_eq(int_at(r, "heat_hour_weekday", "周一", "h09"), 5);
  ck_assert_int_eq(int_at(r, "heat_hour_weekday", "周一", "h10"), 10);
  ck_assert_int_eq(int_at(r, "heat_hour_weekday", "周日", "h10"), 10);
  ck_assert_int_eq(int_at(r, "heat_hour_weekday", "周二", "h10"), 8);
  ck_assert_int_eq(int_at(r, "heat_hour_weekday", "周二", "h09"), 0);
  ck_assert_int_eq(int_at(r, "heat_hour_weekday", "周六", "total"), 8);
  gint64 sum = 0;
  for (guint row = 0; row < 7; row++)
    for (guint h = 1; h <= 24; h++)
      sum += wb_report_table_cell(heat, row, h)->i;
  ck_assert_int_eq(sum, 65);

  /* (5) */
  ck_assert_int_eq(int_at(r, "heat_category_day", "出入境证件", "2026-11-01"), 1);
  ck_assert_int_eq(int_at(r, "heat_category_day", "出入境证件", "2026-11-11"), 0);
  ck_assert_int_eq(int_at(r, "heat_category_day", "签证", "2026-11-11"), 1);
  ck_assert_int_eq(int_at(r, "heat_category_day", "签证", "2026-11-30"), 1);
  ck_assert_int_eq(int_at(r, "heat_category_day", "政策咨询", "2026-11-02"), 1);
  ck_assert_int_eq(int_at(r, "heat_category_day", "政策咨询", "2026-11-03"), 0);
  ck_assert_int_eq(int_at(r, "heat_category_day", "签证", "total"), 20);
  ck_assert_int_eq(wb_report_table(r, "heat_category_day")->n_columns, 1 + 30 + 1);

  /* (6) 签证 20 (25 before), 出入境证件 10 (6), 政策咨询 5 (none). */
  ck_assert_int_eq(int_at(r, "hot_topics", "签证", "rank"), 1);
  ck_assert_int_eq(int_at(r, "hot_topics", "出入境证件", "rank"), 2);
  ck_assert_int_eq(int_at(r, "hot_topics", "政策咨询", "rank"), 3);
  ck_assert_double_eq_tol(real_at(r, "hot_topics", "签证", "share"), 20.0 / 35, 1e-9);
  ck_assert_int_eq(int_at(r, "hot_topics", "签证", "previous"), 25);
  ck_assert_int_eq(wb_report_table_rows(wb_report_table(r, "rising_topics")), 2);
  ck_assert_int_eq(int_at(r, "rising_topics", "政策咨询", "rank"), 1);
  ck_assert(null_at(r, "rising_topics", "政策咨询", "growth"));
  ck_assert_int_eq(int_at(r, "rising_topics", "出入境证件", "change"), 4);
  ck_assert_double_eq_tol(real_at(r, "rising_topics", "出入境证件", "growth"), 4.0 / 6, 1e-9);

  /* (7) */
  ck_assert_int_eq(int_at(r, "workorders", "12345_province", "received"), 4);
  ck_assert_int_eq(int_at(r, "workorders", "12345_province", "closed"), 2);
  ck_assert_int_eq(int_at(r, "workorders", "12345_province", "closed_on_time"), 1);
  ck_assert_int_eq(int_at(r, "workorders", "12345_province", "overdue"), 1);
  ck_assert_int_eq(int_at(r, "workorders", "12345_city", "received"), 0);
  ck_assert_int_eq(int_at(r, "workorders", "12345_city", "closed"), 1);
  ck_assert_int_eq(int_at(r, "workorders", "total", "closed"), 3);
  ck_assert_double_eq_tol(real_at(r, "workorders", "total", "on_time_rate"), 1.0 / 3, 1e-9);
  ck_assert_int_eq(wb_report_table_find_row(wb_report_table(r, "workorders"), "direct"), -1);

  /* (8) */
  ck_assert_int_eq(int_at(r, "quality", "a1", "qa_checks"), 2);
  ck_assert_double_eq_tol(real_at(r, "quality", "a1", "qa_mean"), 85, 1e-9);
  ck_assert_int_eq(int_at(r, "quality", "a1", "complaints"), 1);
  ck_assert_int_eq(int_at(r, "quality", "a1", "surveys"), 4);
  ck_assert_double_eq_tol(real_at(r, "quality", "a1", "satisfaction"), 4, 1e-9);
  ck_assert(null_at(r, "quality", "a2", "satisfaction"));
  ck_assert_double_eq_tol(real_at(r, "quality", "a2", "qa_mean"), 70, 1e-9);
  ck_assert_int_eq(int_at(r, "quality", "total", "qa_checks"), 3);
  ck_assert_double_eq_tol(real_at(r, "quality", "total", "qa_mean"), 80, 1e-9);
  fixture_clear(&f);
}
END_TEST

START_TEST(test_daily_and_csv)
{
  Fixture f;
  fixture_init(&f);
  g_autoptr(WbReport) r = build(&f, WB_REPORT_DAILY, "2026-11-02");
  g_autoptr(GError) error = NULL;

  /* Monday 2 November: two answered, one abandoned; the day before two. */
  ck_assert_int_eq(int_at(r, "summary", "offered", "value"), 3);
  ck_assert_int_eq(int_at(r, "summary", "offered", "previous"), 2);
  ck_assert_int_eq(int_at(r, "summary", "offered", "last_year"), 0);
  ck_assert(null_at(r, "summary", "answer_rate", "last_year"));
  ck_assert_int_eq(wb_report_table(r, "heat_category_day")->n_columns, 3);

  g_autofree char *dir = g_build_filename(f.t.dir, "out", NULL);
  ck_assert_msg(wb_report_write_csv(r, dir, &error), "%s", error ? error->message : "");
  g_autofree char *path = g_build_filename(dir, "summary.csv", NULL);
  g_autofree char *text = NULL;
  ck_assert(g_file_get_contents(path, &text, NULL, NULL));
  ck_assert(g_str_has_prefix(text, "\xEF\xBB\xBF指标,名称,单位,本期,目标,上期,"));
  ck_assert_msg(strstr(text, "\r\noffered,呼入人工量,calls,3,,2,1,0,3\r\n") != NULL, "%s", text);
  g_autofree char *q = g_build_filename(dir, "quality.csv", NULL);
  ck_assert(g_file_test(q, G_FILE_TEST_IS_REGULAR));
  fixture_clear(&f);
}
END_TEST

/* A call that re-entered the same queue: one call offered to the centre,
 * two entries offered to the queue, never counted twice over. */
START_TEST(test_queue_reentry)
{
  TestStore t;
  g_autoptr(GError) error = NULL;
  test_store_init(&t);
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  gint64 t0 = test_local_ms(t.tz, 2026, 11, 2, 10, 0);
  for (int seq = 0; seq < 2; seq++) {
    WbCallRecord c = {0};
    g_strlcpy(c.call_id, "r1", sizeof(c.call_id));
    g_strlcpy(c.queue, "policy", sizeof(c.queue));
    c.seq = seq;
    c.enqueue_ms = t0 + seq * 60 * SEC_MS;
    c.wait_ms = 30 * SEC_MS;
    c.end_ms = c.enqueue_ms + c.wait_ms;
    c.outcome = seq == 0 ? WB_OUTCOME_TRANSFERRED : WB_OUTCOME_ABANDONED;
    c.prev_call_gap_ms = -1;
    ck_assert(wb_store_put_call(t.store, &c, &error));
  }
  test_store_commit(&t);
  WbReportPeriod p;
  ck_assert(wb_report_period_parse(WB_REPORT_DAILY, "2026-11-02", t.tz, 0, &p, NULL));
  g_autoptr(WbReport) r = wb_report_build(t.store, cfg, t.tz, &p, &error);
  ck_assert_msg(r != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq(int_at(r, "summary", "offered", "value"), 1);
  ck_assert_int_eq(int_at(r, "queues", "policy", "offered"), 2);
  ck_assert_int_eq(int_at(r, "heat_hour_weekday", "周一", "total"), 1);
  g_clear_pointer(&r, wb_report_free);
  test_store_clear(&t);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("report");
  TCase *tc = tcase_create("report");
  tcase_add_test(tc, test_periods);
  tcase_add_test(tc, test_monthly_tables);
  tcase_add_test(tc, test_daily_and_csv);
  tcase_add_test(tc, test_queue_reentry);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
