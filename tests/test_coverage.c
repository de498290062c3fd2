/* test_coverage.c: shift templates by season, and the minute-by-minute
 * coverage check against the tender's rota (REQUIREMENTS.md: "these three
 * templates alone leave 17:30-19:00 (summer) and 17:00-19:00 (winter)
 * uncovered"). */
#include "collectors/import.h"
#include "engine/clock.h"
#include "engine/config.h"
#include "engine/records.h"
#include "engine/store.h"
#include "engine/workforce/coverage.h"
#include "engine/workforce/roster.h"
#include "testutil.h"

#define MIN_MS 60000LL

static gint64
at(GTimeZone *tz, const char *text)
{
  gint64 ms = 0;
  ck_assert_msg(wb_time_parse(tz, text, &ms), "bad time %s", text);
  return ms;
}

static GDate
day(int y, int m, int d)
{
  GDate date;
  g_date_clear(&date, 1);
  g_date_set_dmy(&date, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
  return date;
}

static WbConfig *
config_from(const char *text)
{
  g_autofree char *dir = test_tmpdir();
  g_autofree char *path = g_build_filename(dir, "wallboard.conf", NULL);
  g_autoptr(GError) error = NULL;
  ck_assert(g_file_set_contents(path, text, -1, NULL));
  WbConfig *cfg = wb_config_new_defaults();
  ck_assert_msg(wb_config_load_file(cfg, path, &error), "%s", error ? error->message : "");
  test_rmtree(dir);
  return cfg;
}

static void
add_row(GPtrArray *rows, const char *agent, gint64 start_ms, gint64 end_ms)
{
  WbRosterShift *s = g_new0(WbRosterShift, 1);
  s->agent = g_strdup(agent);
  s->start_ms = start_ms;
  s->end_ms = end_ms;
  g_ptr_array_add(rows, s);
}

/* A template's shift of a day, rostered for agent. */
static void
add_template(GPtrArray *rows, const WbConfig *cfg, GTimeZone *tz, const char *agent,
             const char *code, GDate date)
{
  gint64 start = 0, end = 0;
  ck_assert(wb_roster_template_for(cfg, tz, code, &date, &start, &end));
  add_row(rows, agent, start, end);
}

static GPtrArray *
rows_new(void)
{
  return g_ptr_array_new_with_free_func((GDestroyNotify)wb_roster_shift_free);
}

static void
assert_gap(const WbCoverage *c, guint i, WbCoverageKind kind, gint64 from_ms, gint64 to_ms,
           gint required, gint rostered, gint present)
{
  ck_assert_uint_gt(c->gaps->len, i);
  const WbCoverageGap *g = &g_array_index(c->gaps, WbCoverageGap, i);
  ck_assert_str_eq(wb_coverage_kind_name(g->kind), wb_coverage_kind_name(kind));
  ck_assert_int_eq(g->from_ms, from_ms);
  ck_assert_int_eq(g->to_ms, to_ms);
  ck_assert_int_eq(g->minutes, (to_ms - from_ms) / MIN_MS);
  ck_assert_int_eq(g->required, required);
  ck_assert_int_eq(g->rostered, rostered);
  ck_assert_int_eq(g->present, present);
}

/* Without [shift.CODE] groups: the tender's two templates, by season. */
START_TEST(test_default_templates)
{
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  guint n = 0;
  const WbShiftConfig *const *t = wb_roster_templates(cfg, &n);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(t[0]->code, "白");
  ck_assert_str_eq(t[0]->label, "白班");
  ck_assert_str_eq(t[1]->code, "夜");
  ck_assert_ptr_eq(wb_roster_template_find(cfg, "夜班"), t[1]);
  ck_assert_ptr_null(wb_roster_template_find(cfg, "早"));

  gint start = 0, end = 0;
  wb_roster_template_season_hours(t[0], WB_ROSTER_SUMMER, &start, &end);
  ck_assert_int_eq(start, 8 * 60);
  ck_assert_int_eq(end, 17 * 60 + 30);
  wb_roster_template_season_hours(t[0], WB_ROSTER_WINTER, &start, &end);
  ck_assert_int_eq(end, 17 * 60);
  /* The night ends the next morning: 19:00 + 13 h. */
  wb_roster_template_season_hours(t[1], WB_ROSTER_WINTER, &start, &end);
  ck_assert_int_eq(start, 19 * 60);
  ck_assert_int_eq(end, 24 * 60 + 8 * 60);

  /* Any [shift.CODE] group replaces both. */
  g_autoptr(WbConfig) own = config_from("[shift.早]\nstart = 08:00\nend = 16:00\n");
  t = wb_roster_templates(own, &n);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(t[0]->code, "早");
  ck_assert_ptr_null(wb_roster_template_find(own, "白"));
}
END_TEST

/* The rota alone, on the clock of any day of a season. */
START_TEST(test_template_gaps_by_season)
{
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  g_autoptr(GError) error = NULL;

  g_autoptr(GArray) summer = wb_coverage_template_gaps(cfg, WB_ROSTER_SUMMER, &error);
  ck_assert_uint_eq(summer->len, 1);
  const WbCoverageDayGap *g = &g_array_index(summer, WbCoverageDayGap, 0);
  ck_assert_int_eq(g->start_min, 17 * 60 + 30);
  ck_assert_int_eq(g->end_min, 19 * 60);
  ck_assert_int_eq(g->required, 1);
  ck_assert_int_eq(g->rostered, 0);

  g_autoptr(GArray) winter = wb_coverage_template_gaps(cfg, WB_ROSTER_WINTER, &error);
  ck_assert_uint_eq(winter->len, 1);
  g = &g_array_index(winter, WbCoverageDayGap, 0);
  ck_assert_int_eq(g->start_min, 17 * 60);
  ck_assert_int_eq(g->end_min, 19 * 60);

  /* A bridging template closes both. */
  g_autoptr(WbConfig) bridged =
      config_from("[shift.白]\nstart = 08:00\nsummer_end = 17:30\nwinter_end = 17:00\n"
                  "[shift.夜]\nstart = 19:00\nend = 08:00\n"
                  "[shift.桥]\nlabel = 衔接班\nstart = 17:00\nend = 20:00\n");
  g_autoptr(GArray) none_summer = wb_coverage_template_gaps(bridged, WB_ROSTER_SUMMER, &error);
  g_autoptr(GArray) none_winter = wb_coverage_template_gaps(bridged, WB_ROSTER_WINTER, &error);
  ck_assert_uint_eq(none_summer->len, 0);
  ck_assert_uint_eq(none_winter->len, 0);

  /* A gap across midnight is one gap: 23:00 to 08:00 the next day. */
  g_autoptr(WbConfig) evening = config_from("[shift.早]\nstart = 08:00\nend = 16:00\n"
                                            "[shift.中]\nstart = 16:00\nend = 23:00\n");
  g_autoptr(GArray) night = wb_coverage_template_gaps(evening, WB_ROSTER_SUMMER, &error);
  ck_assert_uint_eq(night->len, 1);
  g = &g_array_index(night, WbCoverageDayGap, 0);
  ck_assert_int_eq(g->start_min, 23 * 60);
  ck_assert_int_eq(g->end_min, 24 * 60 + 8 * 60);
}
END_TEST

/* The season changes on 05-01 and 10-01: the day before and the day of
 * each change, templates alone on that day. */
static const struct {
  int y, m, d;
  WbRosterSeason season;
  const char *day_end;  /* 白's end */
  const char *gap_from; /* the one gap of the day */
} switches[] = {
    {2026, 4, 30, WB_ROSTER_WINTER, "2026-04-30 17:00", "2026-04-30 17:00"},
    {2026, 5, 1, WB_ROSTER_SUMMER, "2026-05-01 17:30", "2026-05-01 17:30"},
    {2026, 9, 30, WB_ROSTER_SUMMER, "2026-09-30 17:30", "2026-09-30 17:30"},
    {2026, 10, 1, WB_ROSTER_WINTER, "2026-10-01 17:00", "2026-10-01 17:00"},
    {2024, 2, 29, WB_ROSTER_WINTER, "2024-02-29 17:00", "2024-02-29 17:00"},
    {2026, 12, 31, WB_ROSTER_WINTER, "2026-12-31 17:00", "2026-12-31 17:00"},
    {2026, 7, 15, WB_ROSTER_SUMMER, "2026-07-15 17:30", "2026-07-15 17:30"},
};

START_TEST(test_season_switch)
{
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  g_autoptr(GTimeZone) tz = test_shanghai();
  g_autoptr(GError) error = NULL;
  GDate date = day(switches[_i].y, switches[_i].m, switches[_i].d);

  ck_assert_int_eq(wb_roster_season(cfg, &date), switches[_i].season);
  gint64 start = 0, end = 0;
  ck_assert(wb_roster_template_for(cfg, tz, "白", &date, &start, &end));
  g_autofree char *d =
      g_strdup_printf("%04d-%02d-%02d", switches[_i].y, switches[_i].m, switches[_i].d);
  g_autofree char *eight = g_strconcat(d, " 08:00", NULL);
  g_autofree char *seven = g_strconcat(d, " 19:00", NULL);
  ck_assert_int_eq(start, at(tz, eight));
  ck_assert_int_eq(end, at(tz, switches[_i].day_end));
  ck_assert(!wb_roster_template_for(cfg, tz, "早", &date, &start, &end));

  g_autoptr(WbCoverage) c = wb_coverage_of_templates(cfg, tz, &date, &error);
  ck_assert_msg(c != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq(c->n_minutes, 24 * 60);
  ck_assert_uint_eq(c->gaps->len, 1);
  assert_gap(c, 0, WB_COVERAGE_ROSTERED, at(tz, switches[_i].gap_from), at(tz, seven), 1, 0, -1);
}
END_TEST

/* Other season boundaries, and a summer that wraps the new year. */
START_TEST(test_season_config)
{
  g_autoptr(WbConfig) cfg = config_from("[roster]\nsummer_from = 06-15\nwinter_from = 09-01\n");
  GDate d1 = day(2026, 6, 14), d2 = day(2026, 6, 15), d3 = day(2026, 8, 31), d4 = day(2026, 9, 1);
  ck_assert_int_eq(cfg->summer_from, 615);
  ck_assert_int_eq(wb_roster_season(cfg, &d1), WB_ROSTER_WINTER);
  ck_assert_int_eq(wb_roster_season(cfg, &d2), WB_ROSTER_SUMMER);
  ck_assert_int_eq(wb_roster_season(cfg, &d3), WB_ROSTER_SUMMER);
  ck_assert_int_eq(wb_roster_season(cfg, &d4), WB_ROSTER_WINTER);

  g_autoptr(WbConfig) south = config_from("[roster]\nsummer_from = 11-01\nwinter_from = 03-01\n");
  GDate jan = day(2027, 1, 10), feb29 = day(2028, 2, 29), mar = day(2028, 3, 1);
  ck_assert_int_eq(wb_roster_season(south, &jan), WB_ROSTER_SUMMER);
  ck_assert_int_eq(wb_roster_season(south, &feb29), WB_ROSTER_SUMMER);
  ck_assert_int_eq(wb_roster_season(south, &mar), WB_ROSTER_WINTER);
}
END_TEST

/* Bad values stop at load, naming the key. */
static const struct {
  const char *text;
  const char *must_mention;
} bad[] = {
    {"[roster]\nsummer_from = 13-01\n", "summer_from"},
    {"[roster]\nwinter_from = 02-30\n", "MM-DD"},
    {"[roster]\nwinter_from = October\n", "winter_from"},
    {"[coverage]\nminimum = 08:00-19:00\n", "START-END=N"},
    {"[coverage]\nminimum = 08:00-19:00=2;25:00-08:00=1\n", "25:00-08:00=1"},
    {"[coverage]\nminimum = 08:00-19:00=two\n", "[coverage] minimum"},
    {"[shift.白]\nstart = 08:00\nsummer_end = 17:30\n", "a start and an end"},
    {"[shift.白]\nstart = 08:00\nend = 17:00\nwinter_end = 17:61\n", "winter_end"},
};

START_TEST(test_bad_config)
{
  g_autofree char *dir = test_tmpdir();
  g_autofree char *path = g_build_filename(dir, "wallboard.conf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  ck_assert(g_file_set_contents(path, bad[_i].text, -1, NULL));
  ck_assert(!wb_config_load_file(cfg, path, &error));
  ck_assert_msg(strstr(error->message, bad[_i].must_mention) != NULL, "'%s' lacks '%s'",
                error->message, bad[_i].must_mention);
  test_rmtree(dir);
}
END_TEST

START_TEST(test_bands)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) b = wb_config_parse_bands(" 08:00 - 19:00 = 2 , 19:00-08:00=1;", &error);
  ck_assert_msg(b != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq(b->len, 2);
  const WbConfigBand *x = &g_array_index(b, WbConfigBand, 1);
  ck_assert_int_eq(x->start_min, 19 * 60);
  ck_assert_int_eq(x->end_min, 8 * 60);
  ck_assert_int_eq(x->minimum, 1);
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  ck_assert_str_eq(cfg->coverage_minimum, "00:00-24:00=1");
}
END_TEST

static void
put_shift(TestStore *f, const WbConfig *cfg, GTimeZone *tz, const char *agent, const char *code,
          GDate date)
{
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_ROSTER_SHIFT);
  ck_assert(wb_roster_template_for(cfg, tz, code, &date, &ev.start_ms, &ev.end_ms));
  ev.ts_ms = ev.start_ms - 86400000LL * 7;
  WB_EVENT_SET(&ev, agent, agent, -1);
  WB_EVENT_SET(&ev, kind, code, -1);
  test_store_put(f, &ev);
}

static void
put_times(TestStore *f, const char *agent, gint64 start_ms, gint64 end_ms)
{
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_ROSTER_SHIFT);
  ev.start_ms = start_ms;
  ev.end_ms = end_ms;
  ev.ts_ms = start_ms - 86400000LL;
  WB_EVENT_SET(&ev, agent, agent, -1);
  test_store_put(f, &ev);
}

/* The tender's rota on a summer and a winter day, rostered for real: day,
 * night, and the night before that ends in the morning. */
static const struct {
  int y, m, d;
  const char *day, *gap_from, *gap_to, *next;
} seasons[] = {
    {2026, 7, 15, "2026-07-15", "2026-07-15 17:30", "2026-07-15 19:00", "2026-07-16"},
    {2026, 1, 15, "2026-01-15", "2026-01-15 17:00", "2026-01-15 19:00", "2026-01-16"},
};

START_TEST(test_roster_day_and_night)
{
  TestStore f;
  test_store_init(&f);
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  g_autoptr(GTimeZone) tz = test_shanghai();
  g_autoptr(GError) error = NULL;
  GDate today = day(seasons[_i].y, seasons[_i].m, seasons[_i].d), yesterday = today;
  g_date_subtract_days(&yesterday, 1);
  gint64 from = at(tz, seasons[_i].day), to = at(tz, seasons[_i].next);
  gint64 before = from - 30 * 86400000LL; /* the check is a plan: no presence yet */

  put_shift(&f, cfg, tz, "1003", "夜", yesterday);
  put_shift(&f, cfg, tz, "1001", "白", today);
  put_shift(&f, cfg, tz, "1002", "夜", today);
  g_autoptr(GPtrArray) rows = wb_roster_load(f.store, from, to, &error);
  ck_assert_uint_eq(rows->len, 3);
  ck_assert_str_eq(((WbRosterShift *)g_ptr_array_index(rows, 0))->agent, "1003");
  ck_assert_str_eq(((WbRosterShift *)g_ptr_array_index(rows, 0))->template_code, "夜");

  g_autoptr(WbCoverage) c = wb_coverage_check(f.store, cfg, tz, from, to, before, &error);
  ck_assert_msg(c != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq(c->gaps->len, 1);
  assert_gap(c, 0, WB_COVERAGE_ROSTERED, at(tz, seasons[_i].gap_from), at(tz, seasons[_i].gap_to),
             1, 0, -1);
  /* 07:59 one (the night before), 08:00 one (the day shift). */
  ck_assert_int_eq(c->rostered[8 * 60 - 1], 1);
  ck_assert_int_eq(c->rostered[8 * 60], 1);
  ck_assert_int_eq(c->rostered[19 * 60], 1);

  /* A bridging shift 17:00-20:00 closes the gap. */
  put_times(&f, "1004", at(tz, seasons[_i].gap_to) - 2 * 3600000LL,
            at(tz, seasons[_i].gap_to) + 3600000LL);
  g_autoptr(WbCoverage) bridged = wb_coverage_check(f.store, cfg, tz, from, to, before, &error);
  ck_assert_uint_eq(bridged->gaps->len, 0);
  ck_assert_int_eq(bridged->rostered[19 * 60 + 30], 2);
  test_store_clear(&f);
}
END_TEST

/* A band that needs two shows where only one is rostered. */
START_TEST(test_band_minimum)
{
  g_autoptr(WbConfig) cfg = config_from("[coverage]\nminimum = 08:00-19:00=2;19:00-08:00=1\n");
  g_autoptr(GTimeZone) tz = test_shanghai();
  g_autoptr(GPtrArray) rows = rows_new();
  g_autoptr(GError) error = NULL;
  GDate today = day(2026, 7, 15), yesterday = day(2026, 7, 14);

  add_template(rows, cfg, tz, "1003", "夜", yesterday);
  add_template(rows, cfg, tz, "1001", "白", today);
  add_template(rows, cfg, tz, "1002", "夜", today);
  add_row(rows, "1004", at(tz, "2026-07-15 17:00"), at(tz, "2026-07-15 20:00"));
  g_autoptr(WbCoverage) c = wb_coverage_compute(cfg, tz, at(tz, "2026-07-15"), at(tz, "2026-07-16"),
                                                0, rows, NULL, &error);
  ck_assert_msg(c != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq(c->gaps->len, 2);
  assert_gap(c, 0, WB_COVERAGE_ROSTERED, at(tz, "2026-07-15 08:00"), at(tz, "2026-07-15 17:00"), 2,
             1, -1);
  assert_gap(c, 1, WB_COVERAGE_ROSTERED, at(tz, "2026-07-15 17:30"), at(tz, "2026-07-15 19:00"), 2,
             1, -1);
  ck_assert_int_eq(c->required[7 * 60 + 59], 1);
  ck_assert_int_eq(c->required[8 * 60], 2);

  /* Overlapping bands take the larger minimum. */
  g_autoptr(WbConfig) overlap = config_from("[coverage]\nminimum = 00:00-24:00=1,10:00-11:00=3\n");
  g_autoptr(WbCoverage) o = wb_coverage_compute(overlap, tz, at(tz, "2026-07-15"),
                                                at(tz, "2026-07-16"), 0, rows, NULL, &error);
  ck_assert_uint_eq(o->gaps->len, 1);
  assert_gap(o, 0, WB_COVERAGE_ROSTERED, at(tz, "2026-07-15 10:00"), at(tz, "2026-07-15 11:00"), 3,
             1, -1);
}
END_TEST

/* One person rostered twice at once counts once; a gap runs across
 * midnight as one. */
START_TEST(test_across_midnight)
{
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  g_autoptr(GTimeZone) tz = test_shanghai();
  g_autoptr(GPtrArray) rows = rows_new();
  g_autoptr(GError) error = NULL;

  add_row(rows, "1001", at(tz, "2026-07-15 08:00"), at(tz, "2026-07-15 17:30"));
  add_row(rows, "1001", at(tz, "2026-07-15 17:00"), at(tz, "2026-07-15 23:00"));
  add_row(rows, "1002", at(tz, "2026-07-16 08:00"), at(tz, "2026-07-16 23:00"));
  g_autoptr(WbCoverage) c = wb_coverage_compute(cfg, tz, at(tz, "2026-07-15"), at(tz, "2026-07-17"),
                                                0, rows, NULL, &error);
  ck_assert_uint_eq(c->n_minutes, 2 * 24 * 60);
  ck_assert_int_eq(c->rostered[17 * 60 + 10], 1);
  ck_assert_uint_eq(c->gaps->len, 3);
  assert_gap(c, 0, WB_COVERAGE_ROSTERED, at(tz, "2026-07-15 00:00"), at(tz, "2026-07-15 08:00"), 1,
             0, -1);
  assert_gap(c, 1, WB_COVERAGE_ROSTERED, at(tz, "2026-07-15 23:00"), at(tz, "2026-07-16 08:00"), 1,
             0, -1);
  assert_gap(c, 2, WB_COVERAGE_ROSTERED, at(tz, "2026-07-16 23:00"), at(tz, "2026-07-17 00:00"), 1,
             0, -1);

  /* A shift that starts in the middle of a minute counts from the next;
   * the window is whole minutes. */
  g_autoptr(GPtrArray) odd = rows_new();
  add_row(odd, "1001", at(tz, "2026-07-15 00:00:30"), at(tz, "2026-07-16 00:00"));
  g_autoptr(WbCoverage) o = wb_coverage_compute(
      cfg, tz, at(tz, "2026-07-15"), at(tz, "2026-07-15 23:59:30"), 0, odd, NULL, &error);
  ck_assert_uint_eq(o->n_minutes, 24 * 60);
  ck_assert_uint_eq(o->gaps->len, 1);
  assert_gap(o, 0, WB_COVERAGE_ROSTERED, at(tz, "2026-07-15 00:00"), at(tz, "2026-07-15 00:01"), 1,
             0, -1);
}
END_TEST

/* Asia/Shanghai keeps no daylight saving: every day has 1440 minutes and
 * the bands stay on the clock. A zone that does shows the same gap at the
 * same hour on its 23-hour day. */
START_TEST(test_days_and_zones)
{
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  g_autoptr(GTimeZone) tz = test_shanghai();
  g_autoptr(GTimeZone) berlin = g_time_zone_new_identifier("Europe/Berlin");
  g_autoptr(GError) error = NULL;
  GDate spring = day(2026, 3, 29); /* Europe's clocks go forward */

  for (GDate d = day(2026, 1, 1); g_date_get_year(&d) == 2026; g_date_add_days(&d, 1)) {
    gint64 start = wb_roster_local_ms(tz, &d, 0), end = wb_roster_local_ms(tz, &d, 24 * 60);
    ck_assert_int_eq(end - start, 86400000LL);
  }
  g_autoptr(WbCoverage) sh = wb_coverage_of_templates(cfg, tz, &spring, &error);
  ck_assert_uint_eq(sh->n_minutes, 24 * 60);
  g_autoptr(WbCoverage) be = wb_coverage_of_templates(cfg, berlin, &spring, &error);
  ck_assert_uint_eq(be->n_minutes, 23 * 60);
  ck_assert_uint_eq(be->gaps->len, 1);
  assert_gap(be, 0, WB_COVERAGE_ROSTERED, at(berlin, "2026-03-29T17:00:00+02:00"),
             at(berlin, "2026-03-29T19:00:00+02:00"), 1, 0, -1);
}
END_TEST

/* Presence: the past only, rostered people only. */
START_TEST(test_present)
{
  TestStore f;
  test_store_init(&f);
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  g_autoptr(GTimeZone) tz = test_shanghai();
  g_autoptr(GError) error = NULL;
  GDate today = day(2026, 7, 15), yesterday = day(2026, 7, 14);

  put_shift(&f, cfg, tz, "1003", "夜", yesterday);
  put_shift(&f, cfg, tz, "1001", "白", today);
  put_shift(&f, cfg, tz, "1002", "夜", today);
  test_store_punch(&f, "1003", at(tz, "2026-07-14 18:55"), "in");
  test_store_punch(&f, "1003", at(tz, "2026-07-15 08:05"), "out");
  test_store_punch(&f, "1001", at(tz, "2026-07-15 08:10"), "in");
  test_store_punch(&f, "1001", at(tz, "2026-07-15 16:00"), "out");
  /* Someone not rostered is no cover. */
  test_store_punch(&f, "1009", at(tz, "2026-07-15 07:00"), "in");
  test_store_punch(&f, "1009", at(tz, "2026-07-15 12:00"), "out");

  gint64 now = at(tz, "2026-07-15 17:45");
  g_autoptr(WbCoverage) c =
      wb_coverage_check(f.store, cfg, tz, at(tz, "2026-07-15"), at(tz, "2026-07-16"), now, &error);
  ck_assert_msg(c != NULL, "%s", error ? error->message : "");
  /* 1001 late 08:00-08:10 and gone from 16:00; the gap of the rota from
   * 17:30, present-short too until now (17:45). */
  ck_assert_uint_eq(c->gaps->len, 3);
  assert_gap(c, 0, WB_COVERAGE_PRESENT, at(tz, "2026-07-15 08:00"), at(tz, "2026-07-15 08:10"), 1,
             1, 0);
  assert_gap(c, 1, WB_COVERAGE_PRESENT, at(tz, "2026-07-15 16:00"), at(tz, "2026-07-15 17:45"), 1,
             0, 0);
  assert_gap(c, 2, WB_COVERAGE_ROSTERED, at(tz, "2026-07-15 17:30"), at(tz, "2026-07-15 19:00"), 1,
             0, 0);
  ck_assert_int_eq(c->present[7 * 60], 1);
  ck_assert_int_eq(c->present[8 * 60 + 10], 1);
  /* 19:00 on is the future: no presence gap though nobody is there. */
  ck_assert_int_eq(c->present[20 * 60], 0);
  test_store_clear(&f);
}
END_TEST

START_TEST(test_window_limit)
{
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  g_autoptr(GTimeZone) tz = test_shanghai();
  g_autoptr(GError) error = NULL;
  gint64 from = at(tz, "2026-07-01");

  g_autoptr(WbCoverage) ok =
      wb_coverage_compute(cfg, tz, from, from + 93 * 86400000LL, 0, NULL, NULL, &error);
  ck_assert_msg(ok != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq(ok->gaps->len, 1);
  g_autoptr(WbCoverage) long_ =
      wb_coverage_compute(cfg, tz, from, from + 94 * 86400000LL, 0, NULL, NULL, &error);
  ck_assert_ptr_null(long_);
  ck_assert(g_error_matches(error, WB_COVERAGE_ERROR, WB_COVERAGE_ERROR_WINDOW));
  g_clear_error(&error);
  ck_assert_ptr_null(wb_coverage_compute(cfg, tz, from, from, 0, NULL, NULL, &error));
}
END_TEST

/* The template under way at a time: the day's, or the night begun the day
 * before. */
START_TEST(test_template_at)
{
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  g_autoptr(GTimeZone) tz = test_shanghai();
  WbRosterTemplate t;

  ck_assert(wb_roster_template_at(cfg, tz, at(tz, "2026-07-15 03:00"), &t));
  ck_assert_str_eq(t.shift->code, "夜");
  ck_assert_int_eq(t.start_ms, at(tz, "2026-07-14 19:00"));
  ck_assert(wb_roster_template_at(cfg, tz, at(tz, "2026-07-15 17:29"), &t));
  ck_assert_str_eq(t.shift->code, "白");
  ck_assert(!wb_roster_template_at(cfg, tz, at(tz, "2026-07-15 17:30"), &t));
  ck_assert(!wb_roster_template_at(cfg, tz, at(tz, "2026-01-15 17:10"), &t));
}
END_TEST

/* The roster import takes a template's hours of the shift's day. */
static void
season_hours(const WbImportShift *shift, int year, int month, int d, gint *start_min, gint *end_min,
             gpointer user_data)
{
  const WbConfig *cfg = user_data;
  GDate date = day(year, month, d);
  wb_roster_template_hours(cfg, wb_roster_template_find(cfg, shift->code), &date, start_min,
                           end_min);
}

START_TEST(test_import_by_season)
{
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  g_autoptr(GTimeZone) tz = test_shanghai();
  g_autoptr(GError) error = NULL;
  TestSink sink;
  test_sink_init(&sink);
  guint n = 0;
  const WbShiftConfig *const *t = wb_roster_templates(cfg, &n);
  WbImportShift shifts[2];
  for (guint i = 0; i < n; i++)
    shifts[i] =
        (WbImportShift){t[i]->code, t[i]->label, t[i]->role, t[i]->start_min, t[i]->end_min};
  WbImportOptions opts = {.sink = &sink.sink,
                          .tz = tz,
                          .shifts = shifts,
                          .n_shifts = n,
                          .shift_hours = season_hours,
                          .shift_hours_data = cfg};
  const char *csv = "staff,2026-04-30,2026-05-01,2026-09-30,2026-10-01\n"
                    "1001,白,白班,白,白\n"
                    "1002,夜,休,夜,\n";
  WbImportResult r;
  wb_import_result_init(&r);
  ck_assert_msg(wb_import_bytes(WB_IMPORT_ROSTER, "grid.csv", csv, strlen(csv),
                                at(tz, "2026-04-01"), &opts, &r, &error),
                "%s", error ? error->message : "");
  ck_assert_uint_eq(r.rejected->len, 0);
  ck_assert_uint_eq(sink.events->len, 6);
  const char *ends[] = {"2026-04-30 17:00", "2026-05-01 17:30", "2026-09-30 17:30",
                        "2026-10-01 17:00"};
  guint day_shifts = 0;
  for (guint i = 0; i < sink.events->len; i++) {
    const WbEvent *ev = &g_array_index(sink.events, WbEvent, i);
    if (strcmp(ev->kind, "白") == 0) {
      ck_assert_int_eq(ev->end_ms, at(tz, ends[day_shifts]));
      day_shifts++;
    } else {
      ck_assert_str_eq(ev->kind, "夜");
      ck_assert_int_eq(ev->end_ms - ev->start_ms, 13 * 3600000LL);
    }
  }
  ck_assert_uint_eq(day_shifts, 4);
  wb_import_result_clear(&r);
  test_sink_clear(&sink);
}
END_TEST

static Suite *
coverage_suite(void)
{
  Suite *s = suite_create("coverage");
  TCase *tc = tcase_create("coverage");
  tcase_add_test(tc, test_default_templates);
  tcase_add_test(tc, test_template_gaps_by_season);
  tcase_add_loop_test(tc, test_season_switch, 0, G_N_ELEMENTS(switches));
  tcase_add_test(tc, test_season_config);
  tcase_add_loop_test(tc, test_bad_config, 0, G_N_ELEMENTS(bad));
  tcase_add_test(tc, test_bands);
  tcase_add_loop_test(tc, test_roster_day_and_night, 0, G_N_ELEMENTS(seasons));
  tcase_add_test(tc, test_band_minimum);
  tcase_add_test(tc, test_across_midnight);
  tcase_add_test(tc, test_days_and_zones);
  tcase_add_test(tc, test_present);
  tcase_add_test(tc, test_window_limit);
  tcase_add_test(tc, test_template_at);
  tcase_add_test(tc, test_import_by_season);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(coverage_suite());
}
