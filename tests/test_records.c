/* test_records.c: record events -> their tables, whatever the order. */
#include "engine/records.h"
#include "engine/store.h"
#include "testutil.h"

static WbEvent
make(WbEventType type, gint64 ts_ms)
{
  WbEvent ev;
  wb_event_init(&ev, type);
  ev.ts_ms = ts_ms;
  return ev;
}

static void
assert_rows(TestStore *f, const char *sql, const char *want)
{
  g_autofree char *got = test_dump_sql(f->db, sql);
  ck_assert_str_eq(got, want);
}

static WbEvent
workorder(WbEventType type, gint64 ts, const char *status)
{
  WbEvent ev = make(type, ts);
  WB_EVENT_SET(&ev, id, "WO-1", -1);
  if (status != NULL)
    WB_EVENT_SET(&ev, status, status, -1);
  return ev;
}

START_TEST(test_workorder_out_of_order)
{
  TestStore f;
  test_store_init(&f);
  const char *sql = "SELECT id, origin, category, status, opened_ms, due_ms, closed_ms,"
                    " updated_ms FROM workorders";

  WbEvent close = workorder(WB_EVENT_WORKORDER_CLOSE, 3000, NULL);
  test_store_put(&f, &close);
  assert_rows(&f, sql, "WO-1|NULL|NULL|closed|NULL|NULL|3000|3000|\n");
  WbEvent update = workorder(WB_EVENT_WORKORDER_UPDATE, 2000, "assigned");
  WB_EVENT_SET(&update, category, "签注", -1);
  test_store_put(&f, &update);
  WbEvent open = workorder(WB_EVENT_WORKORDER_OPEN, 1000, NULL);
  WB_EVENT_SET(&open, origin, "12345_city", -1);
  WB_EVENT_SET(&open, category, "护照", -1);
  open.end_ms = 9000;
  test_store_put(&f, &open);
  /* Older events fill what is missing and change nothing newer: the close
   * stays, the category is the update's, the origin and due the open's. */
  assert_rows(&f, sql, "WO-1|12345_city|签注|closed|1000|9000|3000|3000|\n");
  /* A newer status reopens it. */
  WbEvent reopen = workorder(WB_EVENT_WORKORDER_UPDATE, 4000, "reopened");
  test_store_put(&f, &reopen);
  assert_rows(&f, sql, "WO-1|12345_city|签注|reopened|1000|9000|NULL|4000|\n");
  test_store_clear(&f);
}
END_TEST

START_TEST(test_staff_newer_wins)
{
  TestStore f;
  test_store_init(&f);
  WbEvent left = make(WB_EVENT_STAFF_RECORD, 2000);
  WB_EVENT_SET(&left, agent, "1001", -1);
  WB_EVENT_SET(&left, name, "张伟", -1);
  WB_EVENT_SET(&left, status, "left", -1);
  left.end_ms = 1500;
  test_store_put(&f, &left);
  WbEvent old = make(WB_EVENT_STAFF_RECORD, 1000);
  WB_EVENT_SET(&old, agent, "1001", -1);
  WB_EVENT_SET(&old, name, "张伟", -1);
  test_store_put(&f, &old);
  const char *sql = "SELECT agent, name, status, hired_ms, left_ms, updated_ms FROM staff";
  assert_rows(&f, sql, "1001|张伟|left|NULL|1500|2000|\n");
  WbEvent back = make(WB_EVENT_STAFF_RECORD, 3000);
  WB_EVENT_SET(&back, agent, "1001", -1);
  WB_EVENT_SET(&back, name, "张伟", -1);
  test_store_put(&f, &back);
  /* No status means active. */
  assert_rows(&f, sql, "1001|张伟|active|NULL|NULL|3000|\n");
  test_store_clear(&f);
}
END_TEST

static WbEvent
shift(gint64 ts, gint64 start, const char *status)
{
  WbEvent ev = make(WB_EVENT_ROSTER_SHIFT, ts);
  WB_EVENT_SET(&ev, agent, "1001", -1);
  WB_EVENT_SET(&ev, kind, "早班", -1);
  ev.start_ms = start;
  ev.end_ms = start + 8 * 3600000;
  if (status != NULL)
    WB_EVENT_SET(&ev, status, status, -1);
  return ev;
}

START_TEST(test_roster_cancel)
{
  TestStore f;
  test_store_init(&f);
  const char *sql = "SELECT agent, start_ms, end_ms, template FROM roster ORDER BY start_ms";
  WbEvent a = shift(1000, 100000, NULL), b = shift(1000, 200000, NULL);
  test_store_put(&f, &a);
  test_store_put(&f, &b);
  WbEvent cancel = shift(2000, 100000, "cancelled");
  test_store_put(&f, &cancel);
  assert_rows(&f, sql, "1001|200000|29000000|早班|\n");
  /* A cancel older than the shift it names leaves it. */
  WbEvent again = shift(3000, 100000, NULL), stale = shift(2500, 100000, "cancelled");
  test_store_put(&f, &again);
  test_store_put(&f, &stale);
  assert_rows(&f, sql, "1001|100000|28900000|早班|\n1001|200000|29000000|早班|\n");
  test_store_clear(&f);
}
END_TEST

START_TEST(test_call_classes_and_punches)
{
  TestStore f;
  test_store_init(&f);
  WbEvent survey = make(WB_EVENT_CALL_SURVEY, 5000);
  WB_EVENT_SET(&survey, call_id, "c1", -1);
  survey.value = 4;
  test_store_put(&f, &survey);
  WbEvent classify = make(WB_EVENT_CALL_CLASSIFY, 4000);
  WB_EVENT_SET(&classify, call_id, "c1", -1);
  WB_EVENT_SET(&classify, category, "出入境证件", -1);
  WB_EVENT_SET(&classify, kind, "咨询", -1);
  test_store_put(&f, &classify);
  assert_rows(&f,
              "SELECT call_id, category, request_type, channel, classified_ms, satisfaction,"
              " surveyed_ms FROM call_classes",
              "c1|出入境证件|咨询|NULL|4000|4.0|5000|\n");

  for (int i = 0; i < 3; i++) {
    WbEvent p = make(WB_EVENT_STAFF_PUNCH, i < 2 ? 7000 : 7001);
    WB_EVENT_SET(&p, agent, "1001", -1);
    WB_EVENT_SET(&p, device, "zkteco-1", -1);
    test_store_put(&f, &p);
  }
  /* An exact double punch is one row; a second later is another. */
  assert_rows(&f, "SELECT agent, ts_ms, device, direction FROM punches ORDER BY ts_ms",
              "1001|7000|zkteco-1|unknown|\n1001|7001|zkteco-1|unknown|\n");
  test_store_clear(&f);
}
END_TEST

static void
collect(const WbEvent *ev, gpointer user_data)
{
  g_array_append_val((GArray *)user_data, *ev);
}

START_TEST(test_replay_keeps_fields)
{
  TestStore f;
  test_store_init(&f);
  WbEvent acd = make(WB_EVENT_ACD_SNAPSHOT, 1000);
  WB_EVENT_SET(&acd, queue, "q1", -1);
  acd.position = 4;
  acd.wait_ms = 61000;
  acd.count_a = 7;
  acd.count_b = 2;
  test_store_put(&f, &acd);
  WbEvent exam = make(WB_EVENT_EXAM_RECORD, 2000);
  WB_EVENT_SET(&exam, agent, "1002", -1);
  WB_EVENT_SET(&exam, kind, "业务知识", -1);
  exam.start_ms = 1500;
  exam.value = 87.5;
  test_store_put(&f, &exam);

  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) got = g_array_new(FALSE, TRUE, sizeof(WbEvent));
  ck_assert(wb_store_replay(f.store, 0, 100, collect, got, &error));
  ck_assert_uint_eq(got->len, 2);
  WbEvent *a = &g_array_index(got, WbEvent, 0);
  ck_assert_int_eq(a->type, WB_EVENT_ACD_SNAPSHOT);
  ck_assert_int_eq(a->position, 4);
  ck_assert_int_eq(a->wait_ms, 61000);
  ck_assert_int_eq(a->count_a, 7);
  ck_assert_int_eq(a->count_b, 2);
  WbEvent *e = &g_array_index(got, WbEvent, 1);
  ck_assert_str_eq(e->kind, "业务知识");
  ck_assert_int_eq(e->start_ms, 1500);
  ck_assert_double_eq(e->value, 87.5);
  assert_rows(&f, "SELECT * FROM acd_snapshots", "api:test|q1|1000|4|61000|7|2|\n");
  assert_rows(&f, "SELECT * FROM exams", "1002|1500|业务知识|87.5|\n");
  test_store_clear(&f);
}
END_TEST

static Suite *
records_suite(void)
{
  Suite *s = suite_create("records");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_workorder_out_of_order);
  tcase_add_test(tc, test_staff_newer_wins);
  tcase_add_test(tc, test_roster_cancel);
  tcase_add_test(tc, test_call_classes_and_punches);
  tcase_add_test(tc, test_replay_keeps_fields);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(records_suite());
}
