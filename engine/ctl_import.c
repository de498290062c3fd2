/* ctl_import.c: wallboardctl import KIND FILE... [--dry-run], the floor's
 * record files (collectors/import.h) into the store. */
#define G_LOG_DOMAIN "wallboardctl"

#include "engine/ctl.h"

#include <sqlite3.h>
#include <string.h>

#include "collectors/import.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/workforce/roster.h"

/* Exit statuses (docs/import-templates/README.md). */
enum { EXIT_OK = 0, EXIT_FILE_ERROR = 1, EXIT_USAGE = 2, EXIT_ROWS_REJECTED = 3 };

/* The sink an import writes to: the bus's, or in a dry run none. Beside
 * it, a read-only connection to the database answers what is stored
 * already: a dry run reports which events a real run would find there, and
 * a row rejected again, the same way, is not quarantined twice. A dry run
 * takes no lock and writes nothing; without a database, every event is
 * new. */
typedef struct {
  WbSink sink; /* first: the callbacks cast back */
  WbSink *bus; /* NULL in a dry run */
  sqlite3 *db; /* read-only, or NULL */
  sqlite3_stmt *has_event;
  sqlite3_stmt *has_quarantined;
  sqlite3_stmt *shifts;
} ImportSink;

/* The templates of an import: the importer's view and the configuration's,
 * index for index. */
typedef struct {
  const WbConfig *cfg;
  const WbShiftConfig *const *templates;
  const WbImportShift *shifts;
  guint n;
} Templates;

/* A template's hours on the shift's date: the season's
 * (engine/workforce/roster.h). */
static void
season_hours(const WbImportShift *shift, int year, int month, int day, gint *start_min,
             gint *end_min, gpointer user_data)
{
  const Templates *t = user_data;
  gsize i = (gsize)(shift - t->shifts);
  GDate date;

  if (i >= t->n || !g_date_valid_dmy((GDateDay)day, (GDateMonth)month, (GDateYear)year))
    return;
  g_date_clear(&date, 1);
  g_date_set_dmy(&date, (GDateDay)day, (GDateMonth)month, (GDateYear)year);
  wb_roster_template_hours(t->cfg, t->templates[i], &date, start_min, end_min);
}

static gboolean
lookup(sqlite3_stmt *st)
{
  gboolean found = st != NULL && sqlite3_step(st) == SQLITE_ROW;
  if (st != NULL) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
  return found;
}

static gboolean
sink_event(WbSink *sink, WbEvent *ev)
{
  ImportSink *s = (ImportSink *)sink;
  if (s->bus != NULL)
    return s->bus->event(s->bus, ev);
  if (s->has_event == NULL)
    return TRUE;
  sqlite3_bind_text(s->has_event, 1, ev->source, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s->has_event, 2, ev->source_pos);
  return !lookup(s->has_event);
}

static void
sink_quarantine(WbSink *sink, const WbQuarantined *q)
{
  ImportSink *s = (ImportSink *)sink;
  if (s->bus == NULL)
    return;
  if (s->has_quarantined != NULL) {
    sqlite3_stmt *st = s->has_quarantined;
    sqlite3_bind_text(st, 1, q->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, q->file, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, q->line_no);
    sqlite3_bind_text(st, 4, q->reason, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, q->line, (int)q->line_len, SQLITE_STATIC);
    if (lookup(st))
      return;
  }
  s->bus->quarantine(s->bus, q);
}

static void
sink_checkpoint(WbSink *sink, const WbPosition *pos)
{
  (void)sink;
  (void)pos;
}

static gboolean
sink_resume(WbSink *sink, const char *source, WbPosition *out)
{
  (void)sink;
  (void)source;
  (void)out;
  return FALSE;
}

/* The shifts stored before this file (WbImportStoredShifts), from the
 * committed store: the file's own shifts are what it plans anyway. */
static gboolean
stored_shifts(const char *agent, gint64 from_ms, gint64 to_ms, gint64 as_of_ms, GArray *out,
              gpointer user_data)
{
  ImportSink *s = user_data;
  sqlite3_stmt *st = s->shifts;
  if (st == NULL)
    return TRUE; /* no store yet: nothing stored */
  sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, from_ms);
  sqlite3_bind_int64(st, 3, to_ms);
  sqlite3_bind_int64(st, 4, as_of_ms);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    gint64 pair[2] = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1)};
    g_array_append_vals(out, pair, 2);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) {
    g_printerr("wallboardctl: import: cannot read the stored roster (%s): no shift is cancelled\n",
               sqlite3_errstr(rc));
    return FALSE;
  }
  return TRUE;
}

static void
sink_open(ImportSink *s, WbSink *bus, const char *state_dir)
{
  static const char has_event[] = "SELECT 1 FROM events WHERE source_id ="
                                  " (SELECT id FROM sources WHERE name = ?1) AND source_pos = ?2";
  static const char has_quarantined[] =
      "SELECT 1 FROM quarantine WHERE source = ?1 AND file = ?2 AND line_no = ?3"
      " AND reason = ?4 AND line = ?5";
  static const char shifts[] = "SELECT start_ms, end_ms FROM roster WHERE agent = ?1"
                               " AND start_ms >= ?2 AND start_ms < ?3 AND updated_ms <= ?4"
                               " ORDER BY start_ms";
  g_autofree char *path = g_build_filename(state_dir, "wallboard.db", NULL);

  *s =
      (ImportSink){.sink = {sink_event, sink_quarantine, sink_checkpoint, sink_resume}, .bus = bus};
  if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
    return;
  if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(s->db, has_event, -1, &s->has_event, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(s->db, has_quarantined, -1, &s->has_quarantined, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(s->db, shifts, -1, &s->shifts, NULL) != SQLITE_OK) {
    g_printerr("wallboardctl: import: %s: %s: cannot tell which rows are already there\n", path,
               s->db != NULL ? sqlite3_errmsg(s->db) : "cannot open");
    sqlite3_finalize(s->has_event);
    sqlite3_finalize(s->has_quarantined);
    sqlite3_finalize(s->shifts);
    s->has_event = s->has_quarantined = s->shifts = NULL;
  }
}

static void
sink_close(ImportSink *s)
{
  sqlite3_finalize(s->has_event);
  sqlite3_finalize(s->has_quarantined);
  sqlite3_finalize(s->shifts);
  sqlite3_close(s->db);
}

static void
print_result(const char *path, const WbImportResult *r, gboolean dry_run)
{
  guint rejected = r->rejected->len;

  g_print("%s: %u rows", path, r->rows);
  if (r->events != r->rows - rejected)
    g_print(" (%u events)", r->events);
  g_print(", %u %s, %u already stored", r->stored, dry_run ? "new" : "stored", r->already);
  if (r->repeated > 0)
    g_print(", %u repeated in the file", r->repeated);
  if (r->cancelled > 0)
    g_print(", %u stored shift(s) %s (no longer in the file)", r->cancelled,
            dry_run ? "to cancel" : "cancelled");
  g_print(", %u rejected\n", rejected);
  if (r->format != NULL)
    g_print("  read as %s\n", r->format);
  for (guint i = 0; i < rejected; i++) {
    const WbImportRejected *x = &g_array_index(r->rejected, WbImportRejected, i);
    g_print("  row %u: %s\n", x->row, x->reason);
  }
  if (r->ignored->len > 0) {
    g_print("  ignored columns: ");
    for (guint i = 0; i < r->ignored->len; i++)
      g_print("%s%s", i > 0 ? ", " : "", (const char *)g_ptr_array_index(r->ignored, i));
    g_print("\n");
  }
}

static int
usage(void)
{
  g_autoptr(GString) kinds = g_string_new(NULL);
  for (int k = 0; k < WB_IMPORT_KIND_COUNT; k++)
    g_string_append_printf(kinds, "%s%s", k > 0 ? ", " : "", wb_import_kind_name((WbImportKind)k));
  g_printerr("wallboardctl: usage: import KIND FILE... [--dry-run], KIND one of %s "
             "(or queue_log)\n",
             kinds->str);
  return EXIT_USAGE;
}

int
wb_ctl_import(const char *config, const char *state_dir, gboolean dry_run, char **args, int n)
{
  WbImportKind kind;
  g_autoptr(GError) error = NULL;

  if (n < 2 || !wb_import_kind_from_name(args[0], &kind))
    return usage();
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  if ((config != NULL && !wb_config_load_file(cfg, config, &error)) ||
      (state_dir != NULL && !wb_config_set(cfg, "store", "state_dir", state_dir, &error))) {
    g_printerr("wallboardctl: %s\n", error->message);
    return EXIT_FILE_ERROR;
  }
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier(cfg->timezone);
  if (tz == NULL) {
    g_printerr("wallboardctl: [kpi] timezone: unknown time zone '%s'\n", cfg->timezone);
    return EXIT_FILE_ERROR;
  }
  g_autoptr(WbAgentMap) agents = wb_config_agent_map(cfg);
  /* The templates in effect (the tender's without [shift.CODE] groups);
   * their hours are the season's of each shift's date. */
  guint n_shifts = 0;
  const WbShiftConfig *const *templates = wb_roster_templates(cfg, &n_shifts);
  g_autofree WbImportShift *shifts = g_new0(WbImportShift, n_shifts + 1);
  for (guint i = 0; i < n_shifts; i++) {
    const WbShiftConfig *s = templates[i];
    shifts[i] = (WbImportShift){s->code, s->label, s->role, s->summer_start_min, s->summer_end_min};
  }
  Templates by_season = {cfg, templates, shifts, n_shifts};

  WbEngine e = {.lock_fd = -1, .cfg = cfg, .clock = {.rate = 1.0}};
  ImportSink sink;
  g_autofree char *dir = wb_engine_state_dir(cfg);
  if (!dry_run) {
    e.started_us = g_get_monotonic_time();
    if (!wb_engine_open(&e, TRUE, &error)) {
      g_printerr("wallboardctl: import: %s\n", error->message);
      wb_engine_clear(&e);
      return EXIT_FILE_ERROR;
    }
  }
  sink_open(&sink, dry_run ? NULL : wb_bus_sink(e.bus), dir);
  WbImportOptions opts = {
      .sink = &sink.sink,
      .agents = agents,
      .tz = tz,
      .shifts = shifts,
      .n_shifts = n_shifts,
      .shift_hours = season_hours,
      .shift_hours_data = &by_season,
      .stored_shifts = stored_shifts,
      .stored_shifts_data = &sink,
  };

  int rc = EXIT_OK;
  guint rejected = 0;
  for (int i = 1; i < n; i++) {
    WbImportResult r;
    wb_import_result_init(&r);
    WbBusStats before = {0}, after = {0};
    if (!dry_run)
      wb_bus_stats(e.bus, &before);
    /* One transaction per file: a file is stored whole or not at all. A
     * store that failed an event would make the counts lie: the file goes
     * back out. */
    gboolean ok = wb_import_file(kind, args[i], &opts, &r, &error);
    if (ok && !dry_run) {
      wb_bus_stats(e.bus, &after);
      if (after.store_errors != before.store_errors) {
        wb_store_rollback(e.store);
        g_set_error(&error, WB_STORE_ERROR, 0, "%s: %s; nothing of it stored", args[i],
                    after.last_error);
        ok = FALSE;
      } else if (!wb_bus_flush(e.bus, &error)) {
        g_prefix_error(&error, "%s: ", args[i]);
        ok = FALSE;
      }
    }
    if (ok) {
      print_result(args[i], &r, dry_run);
      rejected += r.rejected->len;
    } else {
      g_printerr("wallboardctl: import: %s\n", error->message);
      g_clear_error(&error);
      rc = EXIT_FILE_ERROR;
    }
    wb_import_result_clear(&r);
  }
  if (dry_run)
    g_print("dry run: nothing stored\n");
  else if (rejected > 0)
    g_print("rejected rows are kept in the quarantine table of %s/wallboard.db\n", dir);
  sink_close(&sink);
  if (!dry_run)
    wb_engine_clear(&e);
  return rc != EXIT_OK ? rc : rejected > 0 ? EXIT_ROWS_REJECTED : EXIT_OK;
}
