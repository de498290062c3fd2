/* test_report.c: a generated November 2026 (and its October, and one day
 * of November 2025) with known volumes, categories, work orders and
 * quality records, and the report tables worked out by hand. */
#include <math.h>

#include "engine/report/report.h"
#include "engine/report/reports.h"
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
  /* From 1 December the annual review is the year in progress's. */
  ck_assert(wb_report_period_parse(WB_REPORT_ANNUAL, NULL, tz, test_local_ms(tz, 2026, 12, 1, 4, 0),
                                   &p, NULL));
  ck_assert_str_eq(p.text, "2026");
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

static void
roster_shift(TestStore *t, const char *agent, gint64 start, gint64 end)
{
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_ROSTER_SHIFT);
  ev.ts_ms = start - 7 * 24 * 3600 * SEC_MS;
  WB_EVENT_SET(&ev, agent, agent, -1);
  WB_EVENT_SET(&ev, kind, "D", -1);
  WB_EVENT_SET(&ev, role, "agent", -1);
  ev.start_ms = start;
  ev.end_ms = end;
  test_store_put(t, &ev);
}

/* November 2026 of three people: s1 (agent) rostered 08:00-17:00 on the
 * 2nd, in at 08:20 and out at 17:00; s2 (agent) leaves on the 15th and is
 * not replaced; s3 (team lead) hired on the 20th, rostered on the 21st
 * and never comes. [coverage] minimum is one person round the clock. */
START_TEST(test_people_tables)
{
  TestStore t;
  g_autoptr(GError) error = NULL;
  test_store_init(&t);
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  gint64 stamp = test_local_ms(t.tz, 2026, 10, 1, 9, 0);
  test_store_staff(&t, "s1", "agent", "active", stamp, 20260101, 0);
  test_store_staff(&t, "s2", "agent", "left", stamp, 20260101, 20261115);
  test_store_staff(&t, "s3", "team_lead", "active", stamp, 20261120, 0);
  roster_shift(&t, "s1", test_local_ms(t.tz, 2026, 11, 2, 8, 0),
               test_local_ms(t.tz, 2026, 11, 2, 17, 0));
  roster_shift(&t, "s3", test_local_ms(t.tz, 2026, 11, 21, 8, 0),
               test_local_ms(t.tz, 2026, 11, 21, 17, 0));
  test_store_punch(&t, "s1", test_local_ms(t.tz, 2026, 11, 2, 8, 20), "in");
  test_store_punch(&t, "s1", test_local_ms(t.tz, 2026, 11, 2, 17, 0), "out");
  test_store_commit(&t);
  WbReportPeriod p;
  ck_assert(wb_report_period_parse(WB_REPORT_MONTHLY, "2026-11", t.tz, 0, &p, NULL));
  g_autoptr(WbReport) r = wb_report_build(t.store, cfg, t.tz, &p, &error);
  ck_assert_msg(r != NULL, "%s", error ? error->message : "");

  /* On post: s1 on one day; s3 never came, so is not billed. */
  ck_assert_int_eq(int_at(r, "headcount", "agent", "headcount"), 1);
  ck_assert_int_eq(int_at(r, "headcount", "agent", "person_days"), 1);
  ck_assert_int_lt(wb_report_table_find_row(wb_report_table(r, "headcount"), "team_lead"), 0);
  ck_assert_int_eq(int_at(r, "headcount", "合计", "person_days"), 1);

  /* Two at the start, one of them gone: 50 %, against the 80 % target. */
  ck_assert_int_eq(int_at(r, "stability", "headcount_start", "value"), 2);
  ck_assert_int_eq(int_at(r, "stability", "leavers", "value"), 1);
  ck_assert_int_eq(int_at(r, "stability", "hires", "value"), 1);
  ck_assert_double_eq_tol(real_at(r, "stability", "stability", "value"), 0.5, 1e-9);
  ck_assert_double_eq_tol(real_at(r, "stability", "stability", "target"), 0.8, 1e-9);
  const WbReportTable *st = wb_report_table(r, "stability");
  gint row = wb_report_table_find_row(st, "stability");
  ck_assert_int_eq(
      wb_report_cell_format(st, (guint)row, (guint)wb_report_table_column(st, "value")),
      WB_REPORT_FORMAT_PERCENT);
  ck_assert_str_eq(cell(r, "leavers", "s2", "left")->s, "2026-11-15");
  ck_assert(null_at(r, "leavers", "s2", "replaced_by"));

  /* s1 late by 20 minutes, present 8 h 40 of 9 h; s3 absent. */
  ck_assert_int_eq(int_at(r, "attendance", "s1", "late"), 1);
  ck_assert_int_eq(int_at(r, "attendance", "s1", "absent"), 0);
  ck_assert_double_eq_tol(real_at(r, "attendance", "s1", "rostered_h"), 9.0, 1e-9);
  ck_assert_double_eq_tol(real_at(r, "attendance", "s1", "adherence"), 520.0 / 540.0, 1e-9);
  ck_assert_int_eq(int_at(r, "attendance", "s3", "absent"), 1);

  /* Round the clock for one person: uncovered from the month's start to
   * s1's shift, and again after it. */
  const WbReportTable *gaps = wb_report_table(r, "coverage_gaps");
  ck_assert_uint_ge(wb_report_table_rows(gaps), 2);
  ck_assert_str_eq(wb_report_table_cell(gaps, 0, 0)->s, "排班不足");
  ck_assert_str_eq(wb_report_table_cell(gaps, 0, 1)->s, "2026-11-01 00:00");
  ck_assert_str_eq(wb_report_table_cell(gaps, 0, 2)->s, "2026-11-02 08:00");

  /* The month's training row: s1, s2 and s3 were on the staff. */
  ck_assert_int_eq(int_at(r, "training", "2026-11", "people"), 3);
  ck_assert_uint_eq(wb_report_table_rows(wb_report_table(r, "training_people")), 3);
  g_clear_pointer(&r, wb_report_free);
  test_store_clear(&t);
}
END_TEST

/* Runs and the manager's text in the store; names a download may use;
 * when the schedule makes each kind. */
START_TEST(test_runs_and_text)
{
  TestStore t;
  g_autoptr(GError) error = NULL;
  test_store_init(&t);
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  WbReportPeriod p, q;
  ck_assert(wb_report_period_parse(WB_REPORT_MONTHLY, "2026-10", t.tz, 0, &p, NULL));
  ck_assert(wb_report_period_parse(WB_REPORT_QUARTERLY, "2026-Q3", t.tz, 0, &q, NULL));

  gboolean exists = TRUE;
  ck_assert(wb_report_run_exists(t.store, &p, &exists, &error));
  ck_assert(!exists);
  gint64 a = wb_report_run_begin(t.store, &p, "schedule", NULL, 1000, &error);
  gint64 b = wb_report_run_begin(t.store, &q, "request", "mgr", 2000, &error);
  ck_assert_int_gt(b, a);
  ck_assert(wb_report_run_exists(t.store, &p, &exists, &error) && exists);
  g_autoptr(GError) failure = g_error_new(WB_REPORT_ERROR, 0, "disk full");
  ck_assert(wb_report_run_end(t.store, a, NULL, failure, 1500, &error));
  /* A failed run does not count as made: the schedule tries again. */
  ck_assert(wb_report_run_exists(t.store, &p, &exists, &error));
  ck_assert(!exists);
  /* The daemon stopped while q's run was under way. */
  ck_assert(wb_report_runs_interrupted(t.store, 3000, &error));
  g_autoptr(GPtrArray) runs = wb_report_runs_list(t.store, 10, &error);
  ck_assert_uint_eq(runs->len, 2);
  const WbReportRun *r0 = g_ptr_array_index(runs, 0), *r1 = g_ptr_array_index(runs, 1);
  ck_assert_str_eq(r0->period, "2026-Q3");
  ck_assert_str_eq(r0->status, "failed");
  ck_assert(strstr(r0->error, "interrupted") != NULL);
  ck_assert_str_eq(r0->requested_by, "mgr");
  ck_assert_int_eq(r0->finished_ms, 3000);
  ck_assert_str_eq(r1->error, "disk full");
  ck_assert(r1->requested_by == NULL);

  WbReportText text;
  ck_assert(wb_report_text_get(t.store, &p, &text, &error));
  ck_assert(text.body == NULL);
  ck_assert_int_eq(text.updated_ms, -1);
  ck_assert(wb_report_text_set(t.store, &p, "问题一\n整改一", "mgr", 5000, &error));
  ck_assert(wb_report_text_set(t.store, &p, "问题二", "boss", 6000, &error));
  ck_assert(wb_report_text_get(t.store, &p, &text, &error));
  ck_assert_str_eq(text.body, "问题二");
  ck_assert_str_eq(text.author, "boss");
  ck_assert_int_eq(text.updated_ms, 6000);
  wb_report_text_clear(&text);
  /* Another period's text is its own; an empty one removes it. */
  ck_assert(wb_report_text_get(t.store, &q, &text, &error) && text.body == NULL);
  ck_assert(wb_report_text_set(t.store, &p, "", "boss", 7000, &error));
  ck_assert(wb_report_text_get(t.store, &p, &text, &error) && text.body == NULL);

  g_autofree char *name = wb_report_dir_name(&q);
  ck_assert_str_eq(name, "quarterly-2026-Q3");
  ck_assert(wb_report_dir_name_valid(name));
  WbReportPeriod th;
  ck_assert(
      wb_report_period_parse(WB_REPORT_THEMATIC, "2026-11-01..2026-11-15", t.tz, 0, &th, NULL));
  g_autofree char *th_name = wb_report_dir_name(&th);
  ck_assert_str_eq(th_name, "thematic-2026-11-01_2026-11-15");
  ck_assert(wb_report_dir_name_valid(th_name));
  ck_assert(!wb_report_dir_name_valid("thematic-2026-11-01..2026-11-15"));
  ck_assert(!wb_report_dir_name_valid("../etc"));
  ck_assert(!wb_report_dir_name_valid("monthly/2026"));
  ck_assert(!wb_report_dir_name_valid("-2026"));
  ck_assert(!wb_report_dir_name_valid(""));

  /* Due: the day after the period, at [report] schedule_hour (2); the
   * annual review on 1 December of its year. */
  ck_assert_int_eq(wb_reports_due_ms(cfg, t.tz, &p), test_local_ms(t.tz, 2026, 11, 1, 2, 0));
  WbReportPeriod y;
  ck_assert(wb_report_period_parse(WB_REPORT_ANNUAL, "2026", t.tz, 0, &y, NULL));
  ck_assert_int_eq(wb_reports_due_ms(cfg, t.tz, &y), test_local_ms(t.tz, 2026, 12, 1, 2, 0));
  test_store_clear(&t);
}
END_TEST

/* The time since the caller's previous call is stored with each call: a
 * report (which reads stored calls, not the live model) counts repeats. */
START_TEST(test_repeat_calls)
{
  TestStore t;
  g_autoptr(GError) error = NULL;
  test_store_init(&t);
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  static const struct {
    const char *id, *hash;
    int hour;
    gint64 gap_ms;
  } calls[] = {{"r1", "h1", 10, -1}, {"r2", "h1", 11, 3600 * SEC_MS}, {"r3", "h2", 12, -1}};
  for (gsize i = 0; i < G_N_ELEMENTS(calls); i++) {
    WbCallRecord c = {0};
    g_strlcpy(c.call_id, calls[i].id, sizeof(c.call_id));
    g_strlcpy(c.queue, "policy", sizeof(c.queue));
    g_strlcpy(c.caller_hash, calls[i].hash, sizeof(c.caller_hash));
    c.enqueue_ms = test_local_ms(t.tz, 2026, 11, 2, calls[i].hour, 0);
    c.wait_ms = 30 * SEC_MS;
    c.end_ms = c.enqueue_ms + c.wait_ms;
    c.outcome = WB_OUTCOME_ABANDONED;
    c.prev_call_gap_ms = calls[i].gap_ms;
    ck_assert(wb_store_put_call(t.store, &c, &error));
  }
  test_store_commit(&t);
  WbReportPeriod p;
  ck_assert(wb_report_period_parse(WB_REPORT_DAILY, "2026-11-02", t.tz, 0, &p, NULL));
  g_autoptr(WbReport) r = wb_report_build(t.store, cfg, t.tz, &p, &error);
  ck_assert_msg(r != NULL, "%s", error ? error->message : "");
  ck_assert_double_eq_tol(real_at(r, "summary", "repeat_rate_2h", "value"), 1.0 / 3, 1e-9);
  ck_assert_double_eq_tol(real_at(r, "summary", "repeat_rate_24h", "value"), 1.0 / 3, 1e-9);
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
  tcase_add_test(tc, test_people_tables);
  tcase_add_test(tc, test_runs_and_text);
  tcase_add_test(tc, test_repeat_calls);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
