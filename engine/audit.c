/* audit.c: the audit trail, one row per security-relevant act. */
#define G_LOG_DOMAIN "audit"

#include "engine/audit.h"

#include "engine/store_private.h"

static gboolean
fail(sqlite3_stmt *st, GError **error, const char *what)
{
  g_set_error(error, WB_STORE_ERROR, 0, "audit: %s: %s", what,
              sqlite3_errmsg(sqlite3_db_handle(st)));
  sqlite3_reset(st);
  return FALSE;
}

gboolean
wb_audit_log(WbStore *store, gint64 ts_ms, const char *actor, const char *action,
             const char *target, const char *detail, const char *remote, GError **error)
{
  static const char sql[] = "INSERT INTO audit (ts_ms, actor, action, target, detail, remote)"
                            " VALUES (?,?,?,?,?,?)";
  /* The open batch of events is committed first: the row then stands on
   * its own and cannot be rolled back with a later batch. */
  if (!wb_store_commit(store, error))
    return FALSE;
  sqlite3_stmt *st = wb_store_statement(store, sql, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, ts_ms);
  wb_store_bind_text(st, 2, actor);
  sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
  wb_store_bind_text(st, 4, target);
  wb_store_bind_text(st, 5, detail);
  wb_store_bind_text(st, 6, remote);
  if (sqlite3_step(st) != SQLITE_DONE)
    return fail(st, error, "insert");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return TRUE;
}

gint64
wb_audit_prune(WbStore *store, gint64 before_ms, GError **error)
{
  static const char sql[] = "DELETE FROM audit WHERE ts_ms < ?";
  if (!wb_store_commit(store, error))
    return -1;
  sqlite3_stmt *st = wb_store_statement(store, sql, error);
  if (st == NULL)
    return -1;
  sqlite3_bind_int64(st, 1, before_ms);
  if (sqlite3_step(st) != SQLITE_DONE) {
    fail(st, error, "prune");
    return -1;
  }
  sqlite3_reset(st);
  return sqlite3_changes(sqlite3_db_handle(st));
}

static const char *
column_text(sqlite3_stmt *st, int i)
{
  return (const char *)sqlite3_column_text(st, i);
}

gboolean
wb_audit_foreach(WbStore *store, gint64 from_ms, gint64 to_ms, guint limit, WbAuditFunc fn,
                 gpointer user_data, gboolean *more, GError **error)
{
  static const char sql[] = "SELECT id, ts_ms, actor, action, target, detail, remote FROM audit"
                            " WHERE ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms, id LIMIT ?";
  sqlite3_stmt *st = wb_store_statement(store, sql, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, from_ms);
  sqlite3_bind_int64(st, 2, to_ms);
  /* One row past the limit says whether there are more. */
  sqlite3_bind_int64(st, 3, (gint64)limit + 1);
  guint n = 0;
  int rc;
  if (more != NULL)
    *more = FALSE;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n++ == limit) {
      if (more != NULL)
        *more = TRUE;
      break;
    }
    WbAuditRow row = {
        .id = sqlite3_column_int64(st, 0),
        .ts_ms = sqlite3_column_int64(st, 1),
        .actor = column_text(st, 2),
        .action = column_text(st, 3),
        .target = column_text(st, 4),
        .detail = column_text(st, 5),
        .remote = column_text(st, 6),
    };
    fn(&row, user_data);
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return fail(st, error, "read");
  sqlite3_reset(st);
  return TRUE;
}
