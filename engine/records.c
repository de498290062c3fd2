/* records.c: events of the floor's other records -> their tables. */
#define G_LOG_DOMAIN "records"

#include "engine/records.h"

#include "engine/store_private.h"

/* Newer-wins upserts: `updated_ms` is the event time of what a row holds,
 * so events that arrive out of order settle on the same row. */
static const char sql_classify[] =
    "INSERT INTO call_classes (call_id, category, request_type, channel, classified_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (call_id) DO UPDATE SET"
    " category = excluded.category, request_type = excluded.request_type,"
    " channel = excluded.channel, classified_ms = excluded.classified_ms"
    " WHERE classified_ms IS NULL OR excluded.classified_ms >= classified_ms";
static const char sql_survey[] =
    "INSERT INTO call_classes (call_id, satisfaction, surveyed_ms) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (call_id) DO UPDATE SET"
    " satisfaction = excluded.satisfaction, surveyed_ms = excluded.surveyed_ms"
    " WHERE surveyed_ms IS NULL OR excluded.surveyed_ms >= surveyed_ms";
static const char sql_acd[] =
    "INSERT OR REPLACE INTO acd_snapshots (source, queue, ts_ms, waiting, longest_wait_ms,"
    " logged_in, available) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char sql_punch[] =
    "INSERT OR IGNORE INTO punches (agent, ts_ms, device, direction) VALUES (?1, ?2, ?3, ?4)";
static const char sql_shift[] =
    "INSERT INTO roster (agent, start_ms, end_ms, role, template, updated_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (agent, start_ms) DO UPDATE SET"
    " end_ms = excluded.end_ms, role = excluded.role, template = excluded.template,"
    " updated_ms = excluded.updated_ms WHERE excluded.updated_ms >= updated_ms";
static const char sql_shift_cancel[] =
    "DELETE FROM roster WHERE agent = ?1 AND start_ms = ?2 AND updated_ms <= ?3";
static const char sql_staff[] =
    "INSERT INTO staff (agent, name, role, status, hired_ms, left_ms, updated_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (agent) DO UPDATE SET"
    " name = excluded.name, role = excluded.role, status = excluded.status,"
    " hired_ms = excluded.hired_ms, left_ms = excluded.left_ms,"
    " updated_ms = excluded.updated_ms WHERE excluded.updated_ms >= updated_ms";
static const char sql_training[] =
    "INSERT OR REPLACE INTO training (agent, date_ms, kind, hours) VALUES (?1, ?2, ?3, ?4)";
static const char sql_exam[] =
    "INSERT OR REPLACE INTO exams (agent, date_ms, area, score) VALUES (?1, ?2, ?3, ?4)";
static const char sql_qa[] = "INSERT OR REPLACE INTO qa (agent, ts_ms, call_id, inspector, score)"
                             " VALUES (?1, ?2, ?3, ?4, ?5)";
/* A work order's fields come from whichever event carries them; its status
 * from the newest. A status other than closed, newer than the close,
 * reopens it. */
static const char sql_workorder[] =
    "INSERT INTO workorders (id, origin, category, status, opened_ms, due_ms, closed_ms,"
    " updated_ms) VALUES (?1, ?2, ?3, coalesce(?4, 'open'), ?5, ?6, ?7, ?8)"
    " ON CONFLICT (id) DO UPDATE SET"
    " origin = CASE WHEN excluded.updated_ms >= updated_ms"
    "   THEN coalesce(?2, origin) ELSE coalesce(origin, ?2) END,"
    " category = CASE WHEN excluded.updated_ms >= updated_ms"
    "   THEN coalesce(?3, category) ELSE coalesce(category, ?3) END,"
    " due_ms = CASE WHEN excluded.updated_ms >= updated_ms"
    "   THEN coalesce(?6, due_ms) ELSE coalesce(due_ms, ?6) END,"
    " opened_ms = CASE WHEN opened_ms IS NULL THEN ?5 WHEN ?5 IS NULL THEN opened_ms"
    "   ELSE min(opened_ms, ?5) END,"
    " closed_ms = CASE WHEN excluded.updated_ms < updated_ms THEN closed_ms"
    "   WHEN ?7 IS NOT NULL THEN ?7 WHEN coalesce(?4, status) = 'closed' THEN closed_ms END,"
    " status = CASE WHEN excluded.updated_ms >= updated_ms THEN coalesce(?4, status)"
    "   ELSE status END,"
    " updated_ms = max(updated_ms, excluded.updated_ms)";
static const char sql_complaint[] =
    "INSERT INTO complaints (id, agent, category, opened_ms, closed_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET"
    " agent = coalesce(?2, agent), category = coalesce(?3, category),"
    " opened_ms = coalesce(?4, opened_ms), closed_ms = coalesce(?5, closed_ms)";

static void
bind_ms(sqlite3_stmt *st, int i, gint64 ms, gboolean present)
{
  if (present)
    sqlite3_bind_int64(st, i, ms);
  else
    sqlite3_bind_null(st, i);
}

static gboolean
apply_workorder(WbStore *store, const WbEvent *ev, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, sql_workorder, error);
  if (st == NULL)
    return FALSE;
  const char *status = ev->status;
  if (*status == '\0' && ev->type == WB_EVENT_WORKORDER_CLOSE)
    status = "closed";
  wb_store_bind_text(st, 1, ev->id);
  wb_store_bind_text(st, 2, ev->origin);
  wb_store_bind_text(st, 3, ev->category);
  wb_store_bind_text(st, 4, status);
  bind_ms(st, 5, ev->ts_ms, ev->type == WB_EVENT_WORKORDER_OPEN);
  bind_ms(st, 6, ev->end_ms, ev->end_ms != 0);
  bind_ms(st, 7, ev->ts_ms, ev->type == WB_EVENT_WORKORDER_CLOSE);
  sqlite3_bind_int64(st, 8, ev->ts_ms);
  return wb_store_run(store, st, "work order", error);
}

static gboolean
apply_shift(WbStore *store, const WbEvent *ev, GError **error)
{
  gboolean cancel = g_strcmp0(ev->status, "cancelled") == 0;
  sqlite3_stmt *st = wb_store_statement(store, cancel ? sql_shift_cancel : sql_shift, error);
  if (st == NULL)
    return FALSE;
  wb_store_bind_text(st, 1, ev->agent);
  sqlite3_bind_int64(st, 2, ev->start_ms);
  if (cancel) {
    sqlite3_bind_int64(st, 3, ev->ts_ms);
  } else {
    sqlite3_bind_int64(st, 3, ev->end_ms);
    wb_store_bind_text(st, 4, ev->role);
    wb_store_bind_text(st, 5, ev->kind);
    sqlite3_bind_int64(st, 6, ev->ts_ms);
  }
  return wb_store_run(store, st, "roster shift", error);
}

gboolean
wb_records_apply(WbStore *store, const WbEvent *ev, GError **error)
{
  const char *sql = NULL;

  switch (ev->type) {
  case WB_EVENT_WORKORDER_OPEN:
  case WB_EVENT_WORKORDER_UPDATE:
  case WB_EVENT_WORKORDER_CLOSE: return apply_workorder(store, ev, error);
  case WB_EVENT_ROSTER_SHIFT: return apply_shift(store, ev, error);
  case WB_EVENT_CALL_CLASSIFY: sql = sql_classify; break;
  case WB_EVENT_CALL_SURVEY: sql = sql_survey; break;
  case WB_EVENT_ACD_SNAPSHOT: sql = sql_acd; break;
  case WB_EVENT_STAFF_PUNCH: sql = sql_punch; break;
  case WB_EVENT_STAFF_RECORD: sql = sql_staff; break;
  case WB_EVENT_TRAINING_RECORD: sql = sql_training; break;
  case WB_EVENT_EXAM_RECORD: sql = sql_exam; break;
  case WB_EVENT_QA_SCORE: sql = sql_qa; break;
  case WB_EVENT_COMPLAINT_OPEN:
  case WB_EVENT_COMPLAINT_CLOSE: sql = sql_complaint; break;
  default: return TRUE;
  }
  sqlite3_stmt *st = wb_store_statement(store, sql, error);
  if (st == NULL)
    return FALSE;

  switch (ev->type) {
  case WB_EVENT_CALL_CLASSIFY:
    wb_store_bind_text(st, 1, ev->call_id);
    wb_store_bind_text(st, 2, ev->category);
    wb_store_bind_text(st, 3, ev->kind);
    wb_store_bind_text(st, 4, ev->origin);
    sqlite3_bind_int64(st, 5, ev->ts_ms);
    break;
  case WB_EVENT_CALL_SURVEY:
    wb_store_bind_text(st, 1, ev->call_id);
    sqlite3_bind_double(st, 2, ev->value);
    sqlite3_bind_int64(st, 3, ev->ts_ms);
    break;
  case WB_EVENT_ACD_SNAPSHOT:
    wb_store_bind_text(st, 1, ev->source);
    wb_store_bind_text(st, 2, ev->queue);
    sqlite3_bind_int64(st, 3, ev->ts_ms);
    sqlite3_bind_int(st, 4, ev->position);
    sqlite3_bind_int64(st, 5, ev->wait_ms);
    sqlite3_bind_int(st, 6, ev->count_a);
    sqlite3_bind_int(st, 7, ev->count_b);
    break;
  case WB_EVENT_STAFF_PUNCH:
    wb_store_bind_text(st, 1, ev->agent);
    sqlite3_bind_int64(st, 2, ev->ts_ms);
    sqlite3_bind_text(st, 3, ev->device, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, *ev->origin != '\0' ? ev->origin : "unknown", -1, SQLITE_STATIC);
    break;
  case WB_EVENT_STAFF_RECORD:
    wb_store_bind_text(st, 1, ev->agent);
    wb_store_bind_text(st, 2, ev->name);
    wb_store_bind_text(st, 3, ev->role);
    sqlite3_bind_text(st, 4, *ev->status != '\0' ? ev->status : "active", -1, SQLITE_STATIC);
    bind_ms(st, 5, ev->start_ms, ev->start_ms != 0);
    bind_ms(st, 6, ev->end_ms, ev->end_ms != 0);
    sqlite3_bind_int64(st, 7, ev->ts_ms);
    break;
  case WB_EVENT_TRAINING_RECORD:
  case WB_EVENT_EXAM_RECORD:
    wb_store_bind_text(st, 1, ev->agent);
    sqlite3_bind_int64(st, 2, ev->start_ms);
    sqlite3_bind_text(st, 3, ev->kind, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 4, ev->value);
    break;
  case WB_EVENT_QA_SCORE:
    wb_store_bind_text(st, 1, ev->agent);
    sqlite3_bind_int64(st, 2, ev->ts_ms);
    sqlite3_bind_text(st, 3, ev->call_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, ev->device, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 5, ev->value);
    break;
  case WB_EVENT_COMPLAINT_OPEN:
  case WB_EVENT_COMPLAINT_CLOSE:
    wb_store_bind_text(st, 1, ev->id);
    wb_store_bind_text(st, 2, ev->agent);
    wb_store_bind_text(st, 3, ev->category);
    bind_ms(st, 4, ev->ts_ms, ev->type == WB_EVENT_COMPLAINT_OPEN);
    bind_ms(st, 5, ev->ts_ms, ev->type == WB_EVENT_COMPLAINT_CLOSE);
    break;
  default: break;
  }
  return wb_store_run(store, st, wb_event_type_name(ev->type), error);
}
