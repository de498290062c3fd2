/* ctl_coverage.c: wallboardctl coverage [--from D] [--to D] [--json]: the
 * minutes short of the minimum (engine/workforce/coverage.h), as GET
 * /api/v1/coverage answers them. */
#define G_LOG_DOMAIN "wallboardctl"

#include "engine/ctl.h"

#include <json-glib/json-glib.h>

#include "engine/clock.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/kpi_json.h"
#include "engine/workforce/coverage.h"

/* "2026-07-01 17:30" */
static char *
local_text(GTimeZone *tz, gint64 ms)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(ms / 1000);
  g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, tz);
  return g_date_time_format(local, "%Y-%m-%d %H:%M");
}

static char *
clock_text(gint minutes, gboolean end)
{
  if (!(end && minutes == 24 * 60))
    minutes %= 24 * 60;
  return g_strdup_printf("%02d:%02d", minutes / 60, minutes % 60);
}

static void
print_templates(const WbConfig *cfg)
{
  guint n = 0;
  const WbShiftConfig *const *t = wb_roster_templates(cfg, &n);

  g_print("the rota alone (one person per template):\n");
  for (int s = 0; s < WB_ROSTER_SEASON_COUNT; s++) {
    WbRosterSeason season = (WbRosterSeason)s;
    gint from = season == WB_ROSTER_SUMMER ? cfg->summer_from : cfg->winter_from;
    g_autoptr(GString) line = g_string_new(NULL);
    g_string_append_printf(line, "  %s from %02d-%02d:", wb_roster_season_name(season), from / 100,
                           from % 100);
    for (guint i = 0; i < n; i++) {
      gint start = 0, end = 0;
      wb_roster_template_season_hours(t[i], season, &start, &end);
      g_autofree char *a = clock_text(start, FALSE), *b = clock_text(end, TRUE);
      g_string_append_printf(line, "%s %s %s-%s", i > 0 ? "," : "", t[i]->code, a, b);
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) gaps = wb_coverage_template_gaps(cfg, season, &error);
    g_string_append(line, gaps != NULL && gaps->len > 0 ? "; short " : "; no gap");
    for (guint i = 0; gaps != NULL && i < gaps->len; i++) {
      const WbCoverageDayGap *g = &g_array_index(gaps, WbCoverageDayGap, i);
      g_autofree char *a = clock_text(g->start_min, FALSE), *b = clock_text(g->end_min, TRUE);
      g_string_append_printf(line, "%s%s-%s", i > 0 ? ", " : "", a, b);
    }
    g_print("%s\n", line->str);
  }
}

static void
print_table(const WbCoverage *c, const WbConfig *cfg, GTimeZone *tz)
{
  g_autofree char *from = local_text(tz, c->from_ms), *to = local_text(tz, c->to_ms);
  g_print("coverage %s .. %s, minimum %s\n", from, to, cfg->coverage_minimum);
  if (c->gaps->len == 0)
    g_print("no gap: every minute has its minimum rostered and, until now, present\n");
  else
    g_print("%-16s  %-16s  %7s  %-8s  %8s  %8s  %7s\n", "FROM", "TO", "MINUTES", "KIND", "REQUIRED",
            "ROSTERED", "PRESENT");
  for (guint i = 0; i < c->gaps->len; i++) {
    const WbCoverageGap *g = &g_array_index(c->gaps, WbCoverageGap, i);
    g_autofree char *a = local_text(tz, g->from_ms), *b = local_text(tz, g->to_ms);
    g_autofree char *present = g->present < 0 ? g_strdup("—") : g_strdup_printf("%d", g->present);
    g_print("%-16s  %-16s  %7d  %-8s  %8d  %8d  %7s\n", a, b, g->minutes,
            wb_coverage_kind_name(g->kind), g->required, g->rostered, present);
  }
  print_templates(cfg);
}

int
wb_ctl_coverage(const char *config, const char *state_dir, const char *from_text,
                const char *to_text, gboolean json)
{
  g_autoptr(GError) error = NULL;

  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(WbConfig) cfg = wb_ctl_config(config, state_dir, &tz);
  if (cfg == NULL)
    return 1;
  WbClock clock = {.rate = 1.0};
  gint64 now = wb_clock_now_ms(&clock);
  gint64 from = wb_day_start_ms(tz, now), to = wb_day_end_ms(tz, now);
  if ((from_text != NULL && !wb_time_parse(tz, from_text, &from)) ||
      (to_text != NULL && !wb_time_parse(tz, to_text, &to)) || from >= to) {
    g_printerr("wallboardctl: --from/--to: dates or ISO-8601 times, from before to\n");
    return 2;
  }
  if (to - from > WB_COVERAGE_MAX_DAYS * 86400000LL) {
    g_printerr("wallboardctl: --to: at most %d days after --from\n", WB_COVERAGE_MAX_DAYS);
    return 2;
  }
  /* The store as it is, beside a running daemon: no lock, nothing written
   * (the daemon commits at least every [store] flush_ms). */
  g_autofree char *dir = wb_engine_state_dir(cfg);
  g_autofree char *db = g_build_filename(dir, "wallboard.db", NULL);
  if (!g_file_test(db, G_FILE_TEST_IS_REGULAR)) {
    g_printerr("wallboardctl: coverage: no database %s\n", db);
    return 1;
  }
  g_autoptr(WbStore) store = wb_store_open(db, &error);
  g_autoptr(WbCoverage) c =
      store != NULL ? wb_coverage_check(store, cfg, tz, from, to, now, &error) : NULL;
  if (c == NULL) {
    g_printerr("wallboardctl: coverage: %s\n", error->message);
    return 1;
  }
  if (json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    wb_coverage_json(b, c, cfg, tz);
    g_autofree char *text = wb_kpi_json_to_string(b);
    g_print("%s\n", text);
  } else {
    print_table(c, cfg, tz);
  }
  return 0;
}
