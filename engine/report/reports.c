/* reports.c: the daemon's report runs and their schedule
 * (engine/report/reports.h). */
#define G_LOG_DOMAIN "wb-report"

#include "engine/report/reports.h"

#include <string.h>

#include "engine/clock.h"
#include "engine/store_private.h"

#define SCHEDULE_CHECK_S 60

struct WbReports {
  WbEngine *engine;
  char *db_path;
  char *dir;
  GThreadPool *pool; /* one thread: runs one after another */
  GMutex lock;
  GHashTable *busy; /* "kind-period" queued or under way */
  gboolean schedule[WB_REPORT_KIND_COUNT];
  guint timer;
};

typedef struct {
  WbReportPeriod period;
  char *trigger;
  char *requested_by;
  /* The configuration when the run was asked for: a reload (SIGHUP)
   * replaces the daemon's while the run reads its own. */
  WbConfig *cfg;
} Job;

static void
job_free(Job *job)
{
  g_free(job->trigger);
  g_free(job->requested_by);
  wb_config_free(job->cfg);
  g_free(job);
}

static void
run_job(gpointer data, gpointer user_data)
{
  Job *job = data;
  WbReports *r = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = wb_report_dir_name(&job->period);
  gint64 t0 = g_get_monotonic_time();

  g_autoptr(WbStore) store = wb_store_open(r->db_path, &error);
  g_autofree char *out =
      store != NULL ? wb_report_produce(store, job->cfg, r->engine->tz, &job->period, r->dir,
                                        job->trigger, job->requested_by, NULL, NULL, NULL, &error)
                    : NULL;
  if (out != NULL)
    g_message("report %s (%s) written in %.1f s: %s", name, job->trigger,
              (gdouble)(g_get_monotonic_time() - t0) / 1e6, out);
  else
    g_warning("report %s (%s) failed: %s", name, job->trigger, error->message);
  g_mutex_lock(&r->lock);
  g_hash_table_remove(r->busy, name);
  g_mutex_unlock(&r->lock);
  job_free(job);
}

gboolean
wb_reports_busy(WbReports *r, const WbReportPeriod *period)
{
  g_autofree char *name = wb_report_dir_name(period);
  g_mutex_lock(&r->lock);
  gboolean busy = g_hash_table_contains(r->busy, name);
  g_mutex_unlock(&r->lock);
  return busy;
}

gboolean
wb_reports_request(WbReports *r, const WbReportPeriod *period, const char *trigger,
                   const char *requested_by, gboolean *busy, GError **error)
{
  char *name = wb_report_dir_name(period);
  *busy = FALSE;
  g_mutex_lock(&r->lock);
  if (g_hash_table_contains(r->busy, name)) {
    g_mutex_unlock(&r->lock);
    g_free(name);
    *busy = TRUE;
    return FALSE;
  }
  g_hash_table_add(r->busy, name);
  g_mutex_unlock(&r->lock);
  Job *job = g_new0(Job, 1);
  job->period = *period;
  job->trigger = g_strdup(trigger);
  job->requested_by = g_strdup(requested_by);
  job->cfg = wb_config_copy(r->engine->cfg);
  if (!g_thread_pool_push(r->pool, job, error)) {
    g_mutex_lock(&r->lock);
    g_hash_table_remove(r->busy, name);
    g_mutex_unlock(&r->lock);
    job_free(job);
    return FALSE;
  }
  return TRUE;
}

const char *
wb_reports_dir(const WbReports *r)
{
  return r->dir;
}

gint64
wb_reports_due_ms(const WbConfig *cfg, GTimeZone *tz, const WbReportPeriod *period)
{
  gint64 day = period->to_ms;
  if (period->kind == WB_REPORT_ANNUAL) {
    g_autoptr(GDateTime) from = g_date_time_new_from_unix_utc(period->from_ms / 1000);
    g_autoptr(GDateTime) local = g_date_time_to_timezone(from, tz);
    day = wb_day_midnight_ms(tz, g_date_time_get_year(local), 12, 1);
  }
  return day + (gint64)cfg->report_schedule_hour * 3600000;
}

/* A period without a single call has nothing to report (a new install,
 * a centre not yet open). */
static gboolean
has_calls(WbStore *store, gint64 from_ms, gint64 to_ms)
{
  static const char *const sql =
      "SELECT 1 FROM calls WHERE enqueue_ms >= ?1 AND enqueue_ms < ?2 LIMIT 1";
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *st = wb_store_statement(store, sql, &error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, from_ms);
  sqlite3_bind_int64(st, 2, to_ms);
  gboolean found = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_reset(st);
  return found;
}

static void
check_kind(WbReports *r, WbReportKind kind, gint64 now)
{
  WbEngine *e = r->engine;
  g_autoptr(GError) error = NULL;
  WbReportPeriod p;
  gboolean exists = FALSE, busy = FALSE;
  if (!wb_report_period_parse(kind, NULL, e->tz, now, &p, &error) ||
      now < wb_reports_due_ms(e->cfg, e->tz, &p) || wb_reports_busy(r, &p) ||
      !has_calls(e->store, p.from_ms, p.to_ms))
    return;
  if (!wb_report_run_exists(e->store, &p, &exists, &error)) {
    g_warning("report schedule: %s", error->message);
    return;
  }
  if (!exists && !wb_reports_request(r, &p, "schedule", NULL, &busy, &error) && !busy)
    g_warning("report schedule: %s", error->message);
}

static gboolean
on_schedule(gpointer data)
{
  WbReports *r = data;
  gint64 now = wb_clock_now_ms(&r->engine->clock);
  for (int k = 0; k < WB_REPORT_KIND_COUNT; k++)
    if (r->schedule[k])
      check_kind(r, (WbReportKind)k, now);
  return G_SOURCE_CONTINUE;
}

void
wb_reports_start(WbReports *r)
{
  on_schedule(r);
  r->timer = g_timeout_add_seconds(SCHEDULE_CHECK_S, on_schedule, r);
}

gboolean
wb_reports_set_schedule(WbReports *r, const WbConfig *cfg, GError **error)
{
  gboolean schedule[WB_REPORT_KIND_COUNT] = {FALSE};
  for (char **k = cfg->report_schedule; k != NULL && *k != NULL; k++) {
    WbReportKind kind;
    if (!wb_report_kind_from_name(*k, &kind) || kind == WB_REPORT_THEMATIC) {
      g_set_error(error, WB_REPORT_ERROR, 0,
                  "[report] schedule: '%s' is not daily, monthly, quarterly or annual", *k);
      return FALSE;
    }
    schedule[kind] = TRUE;
  }
  if (r != NULL)
    memcpy(r->schedule, schedule, sizeof schedule);
  return TRUE;
}

WbReports *
wb_reports_new(WbEngine *e, GError **error)
{
  g_autoptr(WbReports) r = g_new0(WbReports, 1);
  g_mutex_init(&r->lock);
  r->engine = e;
  r->busy = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  r->db_path = g_build_filename(e->state_dir, "wallboard.db", NULL);
  r->dir = g_build_filename(e->state_dir, "reports", NULL);
  if (!wb_reports_set_schedule(r, e->cfg, error))
    return NULL;
  r->pool = g_thread_pool_new_full(run_job, r, (GDestroyNotify)job_free, 1, FALSE, error);
  if (r->pool == NULL)
    return NULL;
  g_autoptr(GError) local = NULL;
  if (!wb_report_runs_interrupted(e->store, g_get_real_time() / 1000, &local))
    g_warning("report runs: %s", local->message);
  return g_steal_pointer(&r);
}

void
wb_reports_free(WbReports *r)
{
  if (r == NULL)
    return;
  if (r->timer != 0)
    g_source_remove(r->timer);
  if (r->pool != NULL)
    g_thread_pool_free(r->pool, TRUE, TRUE);
  g_hash_table_unref(r->busy);
  g_mutex_clear(&r->lock);
  g_free(r->db_path);
  g_free(r->dir);
  g_free(r);
}
