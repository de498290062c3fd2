/* report_run.c: a report made from start to end, and its record: the
 * outputs in one directory, every run in `report_runs`, the manager's
 * text in `report_texts` (engine/report/report.h). Everything here uses
 * the connection it is given and is safe off the loop thread with one of
 * its own. */
#define G_LOG_DOMAIN "wb-report"

#include "engine/report/report.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "engine/store_private.h"

gboolean
wb_report_write_all(const WbReport *report, const char *dir, GError **error)
{
  g_autofree char *html = g_build_filename(dir, "report.html", NULL);
  g_autofree char *xlsx = g_build_filename(dir, "report.xlsx", NULL);
  g_autofree char *json = g_build_filename(dir, "report.json", NULL);
  return wb_report_write_csv(report, dir, error) && wb_report_write_json(report, json, error) &&
         wb_report_write_html(report, html, error) && wb_report_write_xlsx(report, xlsx, error);
}

char *
wb_report_dir_name_of(const char *kind, const char *period)
{
  /* A thematic period's ".." would read as a climb out of the directory. */
  g_auto(GStrv) parts = g_strsplit(period, "..", -1);
  g_autofree char *text = g_strjoinv("_", parts);
  return g_strdup_printf("%s-%s", kind, text);
}

char *
wb_report_dir_name(const WbReportPeriod *period)
{
  return wb_report_dir_name_of(wb_report_kind_name(period->kind), period->text);
}

gboolean
wb_report_dir_name_valid(const char *name)
{
  gboolean dash = FALSE;
  if (name == NULL || *name == '\0' || strlen(name) > 64 || strstr(name, "..") != NULL)
    return FALSE;
  for (const char *c = name; *c != '\0'; c++) {
    if (*c == '-' && !dash && c != name)
      dash = TRUE;
    else if (!g_ascii_isalnum(*c) && *c != '-' && *c != '.' && *c != '_')
      return FALSE;
  }
  return dash;
}

/* ---- runs ---- */

#define SQL_RUN_BEGIN                                                                              \
  "INSERT INTO report_runs (kind, period, trigger, requested_by, started_ms, status)"              \
  " VALUES (?1, ?2, ?3, ?4, ?5, 'running')"
#define SQL_RUN_END                                                                                \
  "UPDATE report_runs SET finished_ms = ?2, status = ?3, dir = ?4, error = ?5 WHERE id = ?1"
#define SQL_RUN_COLUMNS                                                                            \
  "SELECT id, kind, period, trigger, requested_by, started_ms, finished_ms, status, dir, error"    \
  " FROM report_runs"
#define SQL_RUN_LIST SQL_RUN_COLUMNS " ORDER BY started_ms DESC, id DESC LIMIT ?1"
#define SQL_RUN_ONE SQL_RUN_COLUMNS " WHERE id = ?1"
#define SQL_RUN_DONE                                                                               \
  "SELECT 1 FROM report_runs WHERE kind = ?1 AND period = ?2 AND status IN ('done', 'running')"    \
  " LIMIT 1"
#define SQL_RUN_INTERRUPT                                                                          \
  "UPDATE report_runs SET status = 'failed', finished_ms = ?1,"                                    \
  " error = 'interrupted: the daemon stopped during the run'"                                      \
  " WHERE status = 'running' AND trigger IN ('schedule', 'request')"

static gboolean
fail_sql(sqlite3_stmt *st, GError **error)
{
  g_set_error(error, WB_REPORT_ERROR, 0, "report runs: %s", sqlite3_errmsg(sqlite3_db_handle(st)));
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return FALSE;
}

static gboolean
step_done(sqlite3_stmt *st, GError **error)
{
  if (sqlite3_step(st) != SQLITE_DONE)
    return fail_sql(st, error);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return TRUE;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
  if (s != NULL)
    sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

gint64
wb_report_run_begin(WbStore *store, const WbReportPeriod *period, const char *trigger,
                    const char *requested_by, gint64 now_ms, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, SQL_RUN_BEGIN, error);
  if (st == NULL)
    return -1;
  bind_text(st, 1, wb_report_kind_name(period->kind));
  bind_text(st, 2, period->text);
  bind_text(st, 3, trigger);
  bind_text(st, 4, requested_by);
  sqlite3_bind_int64(st, 5, now_ms);
  if (!step_done(st, error))
    return -1;
  return sqlite3_last_insert_rowid(sqlite3_db_handle(st));
}

gboolean
wb_report_run_end(WbStore *store, gint64 id, const char *dir, const GError *failure, gint64 now_ms,
                  GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, SQL_RUN_END, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, now_ms);
  bind_text(st, 3, failure == NULL ? "done" : "failed");
  bind_text(st, 4, dir);
  bind_text(st, 5, failure != NULL ? failure->message : NULL);
  return step_done(st, error);
}

gboolean
wb_report_runs_interrupted(WbStore *store, gint64 now_ms, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, SQL_RUN_INTERRUPT, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, now_ms);
  return step_done(st, error);
}

gboolean
wb_report_run_exists(WbStore *store, const WbReportPeriod *period, gboolean *out, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, SQL_RUN_DONE, error);
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, wb_report_kind_name(period->kind));
  bind_text(st, 2, period->text);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return fail_sql(st, error);
  *out = rc == SQLITE_ROW;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return TRUE;
}

void
wb_report_run_free(WbReportRun *run)
{
  if (run == NULL)
    return;
  g_free(run->kind);
  g_free(run->period);
  g_free(run->trigger);
  g_free(run->requested_by);
  g_free(run->status);
  g_free(run->dir);
  g_free(run->error);
  g_free(run);
}

static char *
column_dup(sqlite3_stmt *st, int i)
{
  return g_strdup((const char *)sqlite3_column_text(st, i));
}

static WbReportRun *
run_of_row(sqlite3_stmt *st)
{
  WbReportRun *run = g_new0(WbReportRun, 1);
  run->id = sqlite3_column_int64(st, 0);
  run->kind = column_dup(st, 1);
  run->period = column_dup(st, 2);
  run->trigger = column_dup(st, 3);
  run->requested_by = column_dup(st, 4);
  run->started_ms = sqlite3_column_int64(st, 5);
  run->finished_ms = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 6);
  run->status = column_dup(st, 7);
  run->dir = column_dup(st, 8);
  run->error = column_dup(st, 9);
  return run;
}

GPtrArray *
wb_report_runs_list(WbStore *store, guint limit, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, SQL_RUN_LIST, error);
  if (st == NULL)
    return NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func((GDestroyNotify)wb_report_run_free);
  sqlite3_bind_int64(st, 1, limit);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_ptr_array_add(list, run_of_row(st));
  if (rc != SQLITE_DONE) {
    fail_sql(st, error);
    return NULL;
  }
  sqlite3_reset(st);
  return g_steal_pointer(&list);
}

WbReportRun *
wb_report_run_get(WbStore *store, gint64 id, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, SQL_RUN_ONE, error);
  if (st == NULL)
    return NULL;
  sqlite3_bind_int64(st, 1, id);
  WbReportRun *run = sqlite3_step(st) == SQLITE_ROW ? run_of_row(st) : NULL;
  sqlite3_reset(st);
  if (run == NULL)
    g_set_error(error, WB_REPORT_ERROR, 0, "no report run %" G_GINT64_FORMAT, id);
  return run;
}

/* ---- the manager's text ---- */

#define SQL_TEXT_GET                                                                               \
  "SELECT body, author, updated_ms FROM report_texts WHERE kind = ?1 AND period = ?2"
#define SQL_TEXT_SET                                                                               \
  "INSERT INTO report_texts (kind, period, body, author, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5)"  \
  " ON CONFLICT (kind, period) DO UPDATE SET body = ?3, author = ?4, updated_ms = ?5"
#define SQL_TEXT_DELETE "DELETE FROM report_texts WHERE kind = ?1 AND period = ?2"

gboolean
wb_report_text_get(WbStore *store, const WbReportPeriod *period, WbReportText *out, GError **error)
{
  memset(out, 0, sizeof(*out));
  out->updated_ms = -1;
  sqlite3_stmt *st = wb_store_statement(store, SQL_TEXT_GET, error);
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, wb_report_kind_name(period->kind));
  bind_text(st, 2, period->text);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return fail_sql(st, error);
  if (rc == SQLITE_ROW) {
    out->body = column_dup(st, 0);
    out->author = column_dup(st, 1);
    out->updated_ms = sqlite3_column_int64(st, 2);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return TRUE;
}

void
wb_report_text_clear(WbReportText *text)
{
  g_clear_pointer(&text->body, g_free);
  g_clear_pointer(&text->author, g_free);
}

gboolean
wb_report_text_set(WbStore *store, const WbReportPeriod *period, const char *body,
                   const char *author, gint64 now_ms, GError **error)
{
  gboolean blank = body == NULL || *body == '\0';
  sqlite3_stmt *st = wb_store_statement(store, blank ? SQL_TEXT_DELETE : SQL_TEXT_SET, error);
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, wb_report_kind_name(period->kind));
  bind_text(st, 2, period->text);
  if (!blank) {
    bind_text(st, 3, body);
    bind_text(st, 4, author);
    sqlite3_bind_int64(st, 5, now_ms);
  }
  return step_done(st, error);
}

/* ---- a whole run ---- */

static void
progress(WbReportProgressFunc func, gpointer data, const char *what)
{
  if (func != NULL)
    func(what, data);
}

/* The system call on path just failed: its errno as a GError; FALSE. */
static gboolean
set_errno_error(GError **error, const char *path)
{
  int e = errno;
  g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path, g_strerror(e));
  return FALSE;
}

/* Into a fresh directory beside the old one, then swapped in: a reader
 * of the previous run's files never sees half of the new one's. */
static gboolean
write_swap(const WbReport *report, const char *dir, GError **error)
{
  g_autofree char *fresh = g_strconcat(dir, ".new", NULL);
  g_autofree char *old = g_strconcat(dir, ".old", NULL);
  if (!wb_report_remove_dir(fresh, error) || !wb_report_remove_dir(old, error) ||
      !wb_report_write_all(report, fresh, error))
    return FALSE;
  if (g_file_test(dir, G_FILE_TEST_IS_DIR) && rename(dir, old) != 0) {
    return set_errno_error(error, dir);
  }
  if (rename(fresh, dir) != 0) {
    return set_errno_error(error, dir);
  }
  return wb_report_remove_dir(old, error);
}

gboolean
wb_report_remove_dir(const char *dir, GError **error)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  if (d == NULL)
    return TRUE;
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    g_autofree char *path = g_build_filename(dir, name, NULL);
    if (g_unlink(path) != 0) {
      return set_errno_error(error, path);
    }
  }
  if (g_rmdir(dir) != 0) {
    return set_errno_error(error, dir);
  }
  return TRUE;
}

WbReport *
wb_report_make(WbStore *store, const WbConfig *cfg, GTimeZone *tz, const WbReportPeriod *period,
               GError **error)
{
  g_autoptr(WbReport) report = wb_report_build(store, cfg, tz, period, error);
  WbReportText text;
  if (report == NULL || !wb_report_text_get(store, period, &text, error))
    return NULL;
  report->rectification = g_steal_pointer(&text.body);
  wb_report_text_clear(&text);
  return g_steal_pointer(&report);
}

static char *
produce(WbStore *store, const WbConfig *cfg, GTimeZone *tz, const WbReportPeriod *period,
        const char *reports_dir, WbReportProgressFunc func, gpointer data, GError **error)
{
  progress(func, data, "reading the store");
  g_autoptr(WbReport) report = wb_report_make(store, cfg, tz, period, error);
  if (report == NULL)
    return NULL;
  g_autofree char *name = wb_report_dir_name(period);
  g_autofree char *dir = g_build_filename(reports_dir, name, NULL);
  if (g_mkdir_with_parents(reports_dir, 0750) != 0) {
    set_errno_error(error, reports_dir);
    return NULL;
  }
  g_autofree char *what = g_strdup_printf("writing %u tables", report->tables->len);
  progress(func, data, what);
  if (!write_swap(report, dir, error))
    return NULL;
  return g_steal_pointer(&dir);
}

char *
wb_report_produce(WbStore *store, const WbConfig *cfg, GTimeZone *tz, const WbReportPeriod *period,
                  const char *reports_dir, const char *trigger, const char *requested_by,
                  WbReportProgressFunc func, gpointer data, gint64 *run_id, GError **error)
{
  gint64 id =
      wb_report_run_begin(store, period, trigger, requested_by, g_get_real_time() / 1000, error);
  if (run_id != NULL)
    *run_id = id;
  if (id < 0)
    return NULL;
  g_autoptr(GError) failure = NULL;
  g_autofree char *dir = produce(store, cfg, tz, period, reports_dir, func, data, &failure);
  g_autoptr(GError) record = NULL;
  if (!wb_report_run_end(store, id, dir, failure, g_get_real_time() / 1000, &record))
    g_warning("report %s %s: the run was not recorded: %s", wb_report_kind_name(period->kind),
              period->text, record->message);
  if (failure != NULL) {
    g_propagate_error(error, g_steal_pointer(&failure));
    return NULL;
  }
  return g_steal_pointer(&dir);
}
