/* ctl_report.c: wallboardctl report KIND [--period P] [--out DIR]
 * [--scheduled]: a management report (engine/report/report.h). */
#define G_LOG_DOMAIN "wallboardctl"

#include "engine/ctl.h"

#include <unistd.h>

#include "engine/clock.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/report/report.h"

typedef struct {
  const char *kind;
  const char *period;
} Progress;

static void
show_progress(const char *what, gpointer data)
{
  const Progress *p = data;
  g_printerr("%s %s: %s…\n", p->kind, p->period, what);
}

/* --out: the outputs in that directory, no run recorded (an export). */
static int
write_to(WbStore *store, const WbConfig *cfg, GTimeZone *tz, const WbReportPeriod *period,
         const char *out, Progress *progress)
{
  g_autoptr(GError) error = NULL;
  if (progress != NULL)
    show_progress("reading the store", progress);
  g_autoptr(WbReport) report = wb_report_make(store, cfg, tz, period, &error);
  if (report == NULL) {
    g_printerr("wallboardctl: report: %s\n", error->message);
    return 1;
  }
  if (progress != NULL)
    show_progress("writing", progress);
  if (!wb_report_write_all(report, out, &error)) {
    g_printerr("wallboardctl: report: %s\n", error->message);
    return 1;
  }
  g_print("%s\n", out);
  return 0;
}

int
wb_ctl_report(const char *config, const char *state_dir, const char *kind_name,
              const char *period_text, const char *out_dir, gboolean scheduled)
{
  g_autoptr(GError) error = NULL;
  WbReportKind kind;

  if (!wb_report_kind_from_name(kind_name, &kind)) {
    g_printerr("wallboardctl: report: KIND is daily, monthly, quarterly, annual or thematic\n");
    return 2;
  }
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(WbConfig) cfg = wb_ctl_config(config, state_dir, &tz);
  if (cfg == NULL)
    return 1;
  WbClock clock = {.rate = 1.0};
  WbReportPeriod period;
  if (!wb_report_period_parse(kind, period_text, tz, wb_clock_now_ms(&clock), &period, &error)) {
    g_printerr("wallboardctl: report: --%s\n", error->message);
    return 2;
  }
  g_autofree char *dir = wb_engine_state_dir(cfg);
  g_autofree char *db = g_build_filename(dir, "wallboard.db", NULL);
  if (!g_file_test(db, G_FILE_TEST_IS_REGULAR)) {
    g_printerr("wallboardctl: report: no database %s\n", db);
    return 1;
  }
  Progress progress = {kind_name, period.text};
  Progress *shown = isatty(STDERR_FILENO) ? &progress : NULL;
  /* Its own connection, beside a running daemon. */
  g_autoptr(WbStore) store = wb_store_open(db, &error);
  if (store == NULL) {
    g_printerr("wallboardctl: report: %s\n", error->message);
    return 1;
  }
  if (out_dir != NULL)
    return write_to(store, cfg, tz, &period, out_dir, shown);
  gboolean exists = FALSE;
  if (scheduled && !wb_report_run_exists(store, &period, &exists, &error)) {
    g_printerr("wallboardctl: report: %s\n", error->message);
    return 1;
  }
  if (exists) {
    g_printerr("%s %s: already made, nothing to do\n", kind_name, period.text);
    return 0;
  }
  g_autofree char *reports = g_build_filename(dir, "reports", NULL);
  g_autofree char *out = wb_report_produce(
      store, cfg, tz, &period, reports, scheduled ? "timer" : "command", g_get_user_name(),
      shown != NULL ? show_progress : NULL, shown, NULL, &error);
  if (out == NULL) {
    g_printerr("wallboardctl: report: %s\n", error->message);
    return 1;
  }
  g_print("%s\n", out);
  return 0;
}
