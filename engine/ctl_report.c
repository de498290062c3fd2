/* ctl_report.c: wallboardctl report KIND [--period P] [--out DIR]: the
 * tables of a management report (engine/report.h), one CSV each. */
#define G_LOG_DOMAIN "wallboardctl"

#include "engine/ctl.h"

#include <unistd.h>

#include "engine/clock.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/report.h"

int
wb_ctl_report(const char *config, const char *state_dir, const char *kind_name,
              const char *period_text, const char *out_dir)
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
  gboolean tty = isatty(STDERR_FILENO);
  if (tty)
    g_printerr("%s %s: reading the store…\n", kind_name, period.text);
  /* Its own connection, beside a running daemon: it only reads. */
  g_autoptr(WbStore) store = wb_store_open(db, &error);
  g_autoptr(WbReport) report =
      store != NULL ? wb_report_build(store, cfg, tz, &period, &error) : NULL;
  if (report == NULL) {
    g_printerr("wallboardctl: report: %s\n", error->message);
    return 1;
  }
  g_autofree char *sub = g_strdup_printf("%s-%s", kind_name, period.text);
  g_autofree char *out =
      out_dir != NULL ? g_strdup(out_dir) : g_build_filename(dir, "reports", sub, NULL);
  if (tty)
    g_printerr("%s %s: writing %u tables…\n", kind_name, period.text, report->tables->len);
  if (!wb_report_write_csv(report, out, &error)) {
    g_printerr("wallboardctl: report: %s\n", error->message);
    return 1;
  }
  g_print("%s\n", out);
  return 0;
}
