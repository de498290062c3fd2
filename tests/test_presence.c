/* test_presence.c: presence from punches and agent sessions. */
#include "engine/records.h"
#include "engine/store.h"
#include "engine/workforce/presence.h"
#include "testutil.h"

#define MIN_MS G_GINT64_CONSTANT(60000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)
/* Any origin will do: presence does not look at calendar days. */
#define T0 G_GINT64_CONSTANT(1790000000000)
/* Day d (0, 1, …) at h:m after T0. */
#define AT(d, h, m) (T0 + (d)*DAY_MS + (h)*HOUR_MS + (m)*MIN_MS)

/* Events from source "test", each committed. */
static void
fixture_init(TestStore *f)
{
  test_store_init(f);
  f->source = "test";
}

static GPtrArray *
spans(TestStore *f, gint64 from, gint64 to, gint64 now)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *s = wb_presence_spans(f->store, from, to, now, &error);
  ck_assert_msg(s != NULL, "%s", error ? error->message : "");
  return s;
}

/* "agent from-to sources;" in minutes after T0, for one-line comparisons. */
static char *
describe(GPtrArray *s)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < s->len; i++) {
    const WbPresenceSpan *p = g_ptr_array_index(s, i);
    g_string_append_printf(out, "%s %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT " %u;", p->agent,
                           (p->from_ms - T0) / MIN_MS, (p->to_ms - T0) / MIN_MS, p->sources);
  }
  return g_string_free(out, FALSE);
}

static void
assert_spans(TestStore *f, gint64 from, gint64 to, gint64 now, const char *want)
{
  g_autoptr(GPtrArray) s = spans(f, from, to, now);
  g_autofree char *got = describe(s);
  ck_assert_str_eq(got, want);
}

START_TEST(test_punch_in_out)
{
  TestStore f;
  fixture_init(&f);
  test_store_punch(&f, "1001", AT(1, 8, 0), "in");
  test_store_punch(&f, "1001", AT(1, 17, 30), "out");
  /* An out with no in says nothing; a second in while in changes nothing. */
  test_store_punch(&f, "1002", AT(1, 7, 0), "out");
  test_store_punch(&f, "1002", AT(1, 8, 0), "in");
  test_store_punch(&f, "1002", AT(1, 9, 0), "in");
  test_store_punch(&f, "1002", AT(1, 12, 0), "out");
  assert_spans(&f, AT(0, 0, 0), AT(3, 0, 0), AT(5, 0, 0), "1001 1920-2490 1;1002 1920-2160 1;");
  /* Clipped to the window. */
  assert_spans(&f, AT(1, 10, 0), AT(1, 11, 0), AT(5, 0, 0), "1001 2040-2100 1;1002 2040-2100 1;");
  /* Nothing after now is presence: still in at 10:00. */
  assert_spans(&f, AT(0, 0, 0), AT(3, 0, 0), AT(1, 10, 0), "1001 1920-2040 1;1002 1920-2040 1;");
  test_store_clear(&f);
}
END_TEST

START_TEST(test_unknown_direction_night_shifts)
{
  TestStore f;
  fixture_init(&f);
  /* Two night shifts, 19:00 to 08:00, with a double press at 08:01 that
   * must not open a new span. Pairing by calendar day would cut them. */
  test_store_punch(&f, "1003", AT(1, 18, 55), "unknown");
  test_store_punch(&f, "1003", AT(2, 8, 5), "unknown");
  test_store_punch(&f, "1003", AT(2, 8, 6), "unknown");
  test_store_punch(&f, "1003", AT(2, 18, 50), "unknown");
  test_store_punch(&f, "1003", AT(3, 8, 0), "unknown");
  assert_spans(&f, AT(0, 0, 0), AT(5, 0, 0), AT(6, 0, 0), "1003 2575-3365 1;1003 4010-4800 1;");
  /* The out after the window's end still closes the span in it. */
  assert_spans(&f, AT(1, 0, 0), AT(2, 0, 0), AT(6, 0, 0), "1003 2575-2880 1;");
  test_store_clear(&f);
}
END_TEST

START_TEST(test_missed_punch_capped)
{
  TestStore f;
  fixture_init(&f);
  /* Day 1 the out is missed: the in ends 14 h later, and day 2's punches
   * (more than 14 h after) pair afresh instead of flipping. */
  test_store_punch(&f, "1004", AT(1, 8, 0), "unknown");
  test_store_punch(&f, "1004", AT(2, 8, 0), "unknown");
  test_store_punch(&f, "1004", AT(2, 17, 0), "unknown");
  /* A known in with no out, and now far later: capped as well. */
  test_store_punch(&f, "1005", AT(1, 9, 0), "in");
  assert_spans(&f, AT(0, 0, 0), AT(4, 0, 0), AT(6, 0, 0),
               "1004 1920-2760 1;1004 3360-3900 1;1005 1980-2820 1;");
  /* The window's start does not change the pairing (lookback). */
  assert_spans(&f, AT(2, 12, 0), AT(4, 0, 0), AT(6, 0, 0), "1004 3600-3900 1;");
  /* An in still open: ends at now when now is within the cap. */
  assert_spans(&f, AT(2, 0, 0), AT(4, 0, 0), AT(2, 10, 0), "1004 3360-3480 1;");
  test_store_clear(&f);
}
END_TEST

START_TEST(test_sessions_and_merge)
{
  TestStore f;
  fixture_init(&f);
  /* Logged in to two queues; out once the last queue is left. */
  test_store_agent(&f, WB_EVENT_AGENT_LOGIN, "1001", AT(1, 9, 0), "visa");
  test_store_agent(&f, WB_EVENT_AGENT_LOGIN, "1001", AT(1, 9, 5), "policy");
  test_store_agent(&f, WB_EVENT_AGENT_LOGOUT, "1001", AT(1, 12, 0), "visa");
  test_store_agent(&f, WB_EVENT_AGENT_LOGOUT, "1001", AT(1, 13, 0), "policy");
  /* Punched 08:00 to 12:30: one span 08:00 to 13:00 from both. */
  test_store_punch(&f, "1001", AT(1, 8, 0), "in");
  test_store_punch(&f, "1001", AT(1, 12, 30), "out");
  /* A logout without a queue ends every queue; a login still open ends now. */
  test_store_agent(&f, WB_EVENT_AGENT_LOGIN, "1002", AT(1, 10, 0), "visa");
  test_store_agent(&f, WB_EVENT_AGENT_LOGIN, "1002", AT(1, 10, 0), "policy");
  test_store_agent(&f, WB_EVENT_AGENT_LOGOUT, "1002", AT(1, 11, 0), NULL);
  test_store_agent(&f, WB_EVENT_AGENT_LOGIN, "1002", AT(1, 14, 0), NULL);
  assert_spans(&f, AT(0, 0, 0), AT(3, 0, 0), AT(1, 16, 0),
               "1001 1920-2220 3;1002 2040-2100 2;1002 2280-2400 2;");

  g_autoptr(GPtrArray) s = spans(&f, AT(0, 0, 0), AT(3, 0, 0), AT(1, 16, 0));
  ck_assert(wb_presence_at(s, "1001", AT(1, 8, 0)));
  ck_assert(!wb_presence_at(s, "1001", AT(1, 13, 0)));
  ck_assert(!wb_presence_at(s, "1002", AT(1, 12, 0)));
  ck_assert(wb_presence_at(s, "1002", AT(1, 15, 59)));
  ck_assert(!wb_presence_at(s, "9999", AT(1, 10, 0)));
  /* 1002 in 10:30-15:00: 30 min + 60 min. */
  ck_assert_int_eq(wb_presence_overlap_ms(s, "1002", AT(1, 10, 30), AT(1, 15, 0)), 90 * MIN_MS);
  gint64 first = 0, last = 0;
  ck_assert(wb_presence_bounds(s, "1002", AT(1, 10, 30), AT(1, 15, 0), &first, &last));
  ck_assert_int_eq(first, AT(1, 10, 0));
  ck_assert_int_eq(last, AT(1, 16, 0));
  ck_assert(!wb_presence_bounds(s, "1002", AT(1, 11, 0), AT(1, 14, 0), &first, &last));
  test_store_clear(&f);
}
END_TEST

static Suite *
presence_suite(void)
{
  Suite *s = suite_create("presence");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_punch_in_out);
  tcase_add_test(tc, test_unknown_direction_night_shifts);
  tcase_add_test(tc, test_missed_punch_capped);
  tcase_add_test(tc, test_sessions_and_merge);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(presence_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
