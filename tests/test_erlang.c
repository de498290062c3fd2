/* test_erlang.c: Erlang C against the published figures (DESIGN.md 5). */
#include "engine/workforce/erlang.h"
#include "testutil.h"

#include <math.h>

static const WbErlangInput published = {
    .calls = 100,
    .period_s = 1800,
    .aht_s = 180,
    .target_sl = 0.8,
    .within_s = 20,
    .max_occupancy = 1,
    .shrinkage = 0,
};

START_TEST(test_published_check)
{
  WbErlangResult r;
  ck_assert(wb_erlang_required(&published, 1000, &r));
  ck_assert_int_eq(r.agents, 14);
  ck_assert_double_eq_tol(r.traffic, 10.0, 1e-12);
  ck_assert_double_eq_tol(r.p_wait, 0.1741319, 5e-8);
  ck_assert_double_eq_tol(r.service_level, 0.88835, 5e-6);
  ck_assert_double_eq_tol(r.asa_s, 7.836, 5e-4);
  ck_assert_double_eq_tol(r.occupancy, 0.714, 5e-4);

  wb_erlang_eval(&published, 11, &r);
  ck_assert_double_eq_tol(r.service_level, 0.3896138, 5e-8);
  /* 13 agents fall just short of 80 %: 14 is the least. */
  wb_erlang_eval(&published, 13, &r);
  ck_assert_double_lt(r.service_level, 0.8);
}
END_TEST

START_TEST(test_limits)
{
  WbErlangResult r;
  /* As many agents as erlangs: the queue never empties. */
  wb_erlang_eval(&published, 10, &r);
  ck_assert_double_eq(r.p_wait, 1);
  ck_assert_double_eq(r.service_level, 0);
  ck_assert(isinf(r.asa_s));
  /* No calls: nobody waits. */
  WbErlangInput quiet = published;
  quiet.calls = 0;
  ck_assert(wb_erlang_required(&quiet, 10, &r));
  ck_assert_int_eq(r.agents, 1);
  ck_assert_double_eq(r.service_level, 1);
  /* A maximum occupancy can ask for more than the service level does. */
  WbErlangInput calm = published;
  calm.max_occupancy = 0.65;
  ck_assert(wb_erlang_required(&calm, 1000, &r));
  ck_assert_int_eq(r.agents, 16); /* 10 / 16 = 0.625; 15 would be 0.667 */
  /* Shrinkage: 14 on the phones need 18 scheduled at 20 %. */
  WbErlangInput shrunk = published;
  shrunk.shrinkage = 0.2;
  ck_assert(wb_erlang_required(&shrunk, 1000, &r));
  ck_assert_int_eq(r.scheduled, 18);
  shrunk.shrinkage = 0.3;
  wb_erlang_eval(&shrunk, 14, &r);
  ck_assert_int_eq(r.scheduled, 20);
  /* Not reachable within the cap. */
  ck_assert(!wb_erlang_required(&published, 12, &r));
}
END_TEST

START_TEST(test_large_traffic_is_stable)
{
  /* Factorials would overflow long before this; the recursion does not. */
  WbErlangInput big = published;
  big.calls = 100000;
  WbErlangResult r;
  ck_assert(wb_erlang_required(&big, 100000, &r));
  ck_assert(isfinite(r.p_wait));
  ck_assert_double_ge(r.service_level, 0.8);
  ck_assert_int_gt(r.agents, (gint)r.traffic);
  ck_assert_int_lt(r.agents, (gint)(r.traffic * 1.05));
}
END_TEST

START_TEST(test_validation)
{
  WbErlangInput bad = published;
  g_autoptr(GError) error = NULL;
  ck_assert(wb_erlang_input_valid(&published, NULL));
  bad.target_sl = 1.5;
  ck_assert(!wb_erlang_input_valid(&bad, &error));
  ck_assert_str_eq(error->message, "target must be a fraction in (0, 1)");
  bad = published;
  bad.aht_s = 0;
  ck_assert(!wb_erlang_input_valid(&bad, NULL));
}
END_TEST

static Suite *
erlang_suite(void)
{
  Suite *s = suite_create("erlang");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_published_check);
  tcase_add_test(tc, test_limits);
  tcase_add_test(tc, test_large_traffic_is_stable);
  tcase_add_test(tc, test_validation);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(erlang_suite());
}
