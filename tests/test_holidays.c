/* test_holidays.c: the holiday calendar, a holiday week with make-up days. */
#include "engine/workforce/holidays.h"
#include "testutil.h"

static WbHolidays *
shipped(void)
{
  g_autoptr(GError) error = NULL;
  const char *src = g_getenv("WB_SOURCE_DIR");
  g_autofree char *dir = g_build_filename(src != NULL ? src : ".", "data", "holidays-cn", NULL);
  WbHolidays *h = wb_holidays_new();
  ck_assert_msg(wb_holidays_load_dir(h, dir, &error), "%s", error ? error->message : "");
  return h;
}

static GDate
day(int y, int m, int d)
{
  GDate g;
  g_date_clear(&g, 1);
  g_date_set_dmy(&g, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
  return g;
}

START_TEST(test_spring_festival_2026)
{
  g_autoptr(WbHolidays) h = shipped();
  /* 2026: Feb 15-23 off, Sat Feb 14 and Sat Feb 28 worked; statutory are
   * New Year's Eve (Feb 16) and the first three days (Feb 17-19). */
  struct {
    int d;
    gboolean workday, statutory, makeup;
  } want[] = {
      {13, TRUE, FALSE, FALSE}, /* Friday */
      {14, TRUE, FALSE, TRUE},  /* Saturday, worked */
      {15, FALSE, FALSE, FALSE}, {16, FALSE, TRUE, FALSE},  {17, FALSE, TRUE, FALSE},
      {18, FALSE, TRUE, FALSE},  {19, FALSE, TRUE, FALSE},  {20, FALSE, FALSE, FALSE},
      {21, FALSE, FALSE, FALSE}, {22, FALSE, FALSE, FALSE}, {23, FALSE, FALSE, FALSE},
      {24, TRUE, FALSE, FALSE},  {28, TRUE, FALSE, TRUE},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
    GDate g = day(2026, 2, want[i].d);
    ck_assert_msg(wb_holidays_is_workday(h, &g) == want[i].workday, "Feb %d workday", want[i].d);
    ck_assert_msg(wb_holidays_is_statutory_holiday(h, &g) == want[i].statutory, "Feb %d statutory",
                  want[i].d);
    ck_assert_msg(wb_holidays_is_makeup_workday(h, &g) == want[i].makeup, "Feb %d make-up",
                  want[i].d);
  }
  GDate eve = day(2026, 2, 16);
  ck_assert_str_eq(wb_holidays_name(h, &eve), "春节");
  GDate plain = day(2026, 3, 10);
  ck_assert_ptr_null(wb_holidays_name(h, &plain));
}
END_TEST

START_TEST(test_statutory_counts)
{
  g_autoptr(WbHolidays) h = shipped();
  /* 11 statutory days a year until 2024, 13 from 2025. */
  int want[] = {11, 13, 13};
  for (int y = 2024; y <= 2026; y++) {
    int n = 0, off = 0;
    GDate g = day(y, 1, 1);
    while (g_date_get_year(&g) == y) {
      n += wb_holidays_is_statutory_holiday(h, &g);
      off += wb_holidays_is_day_off(h, &g);
      g_date_add_days(&g, 1);
    }
    ck_assert_msg(n == want[y - 2024], "%d: %d statutory days", y, n);
    ck_assert_int_gt(off, n);
    ck_assert(wb_holidays_year_known(h, y));
  }
  /* 2027's notice is not out yet: its days follow the week. */
  ck_assert(!wb_holidays_year_known(h, 2027));
  GDate newyear = day(2027, 1, 1);
  ck_assert(wb_holidays_is_workday(h, &newyear));
}
END_TEST

START_TEST(test_override)
{
  g_autoptr(WbHolidays) h = shipped();
  g_autofree char *dir = test_tmpdir();
  g_autofree char *path = g_build_filename(dir, "local.json", NULL);
  ck_assert(g_file_set_contents(
      path,
      "{\"days\":[{\"name\":\"元旦\",\"date\":\"2027-01-01\",\"isOffDay\":true,"
      "\"isStatutory\":true},{\"name\":\"调班\",\"date\":\"2026-03-07\",\"isOffDay\":false}]}",
      -1, NULL));
  g_autoptr(GError) error = NULL;
  ck_assert(wb_holidays_load_file(h, path, &error));
  GDate g = day(2027, 1, 1);
  ck_assert(wb_holidays_is_statutory_holiday(h, &g));
  ck_assert(!wb_holidays_is_workday(h, &g));
  g = day(2026, 3, 7); /* a Saturday made a working day locally */
  ck_assert(wb_holidays_is_makeup_workday(h, &g));

  ck_assert(g_file_set_contents(path, "{\"days\":[{\"date\":\"2026-13-01\",\"isOffDay\":true}]}",
                                -1, NULL));
  ck_assert(!wb_holidays_load_file(h, path, &error));
  ck_assert(strstr(error->message, "days[0]: no date") != NULL);
  test_rmtree(dir);
}
END_TEST

static Suite *
holidays_suite(void)
{
  Suite *s = suite_create("holidays");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_spring_festival_2026);
  tcase_add_test(tc, test_statutory_counts);
  tcase_add_test(tc, test_override);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(holidays_suite());
}
