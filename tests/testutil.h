/* testutil.h: helpers shared by the Check unit tests. */
#pragma once

#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "collectors/collector.h"
#include "engine/event.h"
#include "engine/records.h"
#include "engine/store.h"

/* A sink that keeps what it is given, as the bus would store it. */
typedef struct {
  WbSink sink;
  GArray *events;           /* WbEvent */
  GPtrArray *reasons;       /* quarantine reasons */
  GArray *quarantine_lines; /* gint64 line numbers */
  GHashTable *seen;         /* "source|pos": duplicates refused like the store */
  GHashTable *positions;    /* source -> WbPosition* (copies, as committed) */
} TestSink;

static inline gboolean
test_sink_event(WbSink *sink, WbEvent *ev)
{
  TestSink *t = (TestSink *)sink;
  char *key = g_strdup_printf("%s|%" G_GINT64_FORMAT, ev->source, ev->source_pos);
  if (!g_hash_table_add(t->seen, key))
    return FALSE;
  g_array_append_val(t->events, *ev);
  return TRUE;
}

static inline void
test_sink_quarantine(WbSink *sink, const WbQuarantined *q)
{
  TestSink *t = (TestSink *)sink;
  g_ptr_array_add(t->reasons, g_strdup(q->reason));
  g_array_append_val(t->quarantine_lines, q->line_no);
}

static inline void
test_sink_checkpoint(WbSink *sink, const WbPosition *pos)
{
  TestSink *t = (TestSink *)sink;
  WbPosition *copy = g_memdup2(pos, sizeof(*pos));
  g_hash_table_replace(t->positions, g_strdup(pos->source), copy);
}

static inline gboolean
test_sink_resume(WbSink *sink, const char *source, WbPosition *out)
{
  TestSink *t = (TestSink *)sink;
  WbPosition *p = g_hash_table_lookup(t->positions, source);
  if (p == NULL)
    return FALSE;
  *out = *p;
  return TRUE;
}

static inline void
test_sink_init(TestSink *t)
{
  memset(t, 0, sizeof(*t));
  t->sink.event = test_sink_event;
  t->sink.quarantine = test_sink_quarantine;
  t->sink.checkpoint = test_sink_checkpoint;
  t->sink.resume = test_sink_resume;
  t->events = g_array_new(FALSE, TRUE, sizeof(WbEvent));
  t->reasons = g_ptr_array_new_with_free_func(g_free);
  t->quarantine_lines = g_array_new(FALSE, TRUE, sizeof(gint64));
  t->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  t->positions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

/* Forgets what was received but keeps positions and the duplicate filter,
 * as a restarted daemon does. */
static inline void
test_sink_reset_received(TestSink *t)
{
  g_array_set_size(t->events, 0);
  g_ptr_array_set_size(t->reasons, 0);
  g_array_set_size(t->quarantine_lines, 0);
}

static inline void
test_sink_clear(TestSink *t)
{
  g_array_unref(t->events);
  g_ptr_array_unref(t->reasons);
  g_array_unref(t->quarantine_lines);
  g_hash_table_unref(t->seen);
  g_hash_table_unref(t->positions);
}

static inline guint
test_count_type(TestSink *t, WbEventType type)
{
  guint n = 0;
  for (guint i = 0; i < t->events->len; i++)
    n += g_array_index(t->events, WbEvent, i).type == type;
  return n;
}

static inline char *
test_sample(const char *name)
{
  const char *dir = g_getenv("WB_SAMPLES_DIR");
  return g_build_filename(dir != NULL ? dir : "tests/data/samples", name, NULL);
}

static inline char *
test_tmpdir(void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp("wbtest-XXXXXX", &error);
  ck_assert_msg(dir != NULL, "mkdtemp: %s", error != NULL ? error->message : "?");
  return dir;
}

static inline void
test_rmtree(const char *dir)
{
  GDir *d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
    char *p = g_build_filename(dir, name, NULL);
    if (g_file_test(p, G_FILE_TEST_IS_DIR))
      test_rmtree(p);
    else
      g_unlink(p);
    g_free(p);
  }
  if (d != NULL)
    g_dir_close(d);
  g_rmdir(dir);
}

static inline void
test_append(const char *path, const char *text)
{
  FILE *f = fopen(path, "ab");
  ck_assert_ptr_nonnull(f);
  fwrite(text, 1, strlen(text), f);
  fclose(f);
}

static inline int
test_run_suite(Suite *s)
{
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}

/* Rows of a query on db, as "a|b|\n" lines ("NULL" for nulls). */
static inline char *
test_dump_sql(const char *db, const char *sql)
{
  sqlite3 *conn = NULL;
  sqlite3_stmt *st = NULL;
  GString *out = g_string_new(NULL);

  ck_assert_int_eq(sqlite3_open_v2(db, &conn, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_prepare_v2(conn, sql, -1, &st, NULL), SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(st); i++) {
      const char *v = (const char *)sqlite3_column_text(st, i);
      g_string_append_printf(out, "%s|", v != NULL ? v : "NULL");
    }
    g_string_append_c(out, '\n');
  }
  sqlite3_finalize(st);
  sqlite3_close(conn);
  return g_string_free(out, FALSE);
}

/* Asia/Shanghai (UTC+8, no summer time), the zone the tests' dates are in. */
static inline GTimeZone *
test_shanghai(void)
{
  GTimeZone *tz = g_time_zone_new_identifier("Asia/Shanghai");
  ck_assert_ptr_nonnull(tz);
  return tz;
}

/* Epoch ms of a local time in tz. */
static inline gint64
test_local_ms(GTimeZone *tz, gint y, gint m, gint d, gint hh, gint mm)
{
  g_autoptr(GDateTime) t = g_date_time_new(tz, y, m, d, hh, mm, 0);
  return g_date_time_to_unix(t) * 1000;
}

/* Epoch ms of a local time in Shanghai. */
static inline gint64
test_shanghai_ms(gint y, gint m, gint d, gint hh, gint mm)
{
  g_autoptr(GTimeZone) tz = test_shanghai();
  return test_local_ms(tz, y, m, d, hh, mm);
}

/* Epoch ms of a local date written y*10000+m*100+d, at hh:mm in tz. */
static inline gint64
test_date_ms(GTimeZone *tz, gint date, gint hh, gint mm)
{
  return test_local_ms(tz, date / 10000, date / 100 % 100, date % 100, hh, mm);
}

/* A store in a fresh temporary directory that takes events as the bus
 * does: stored, then applied to the record tables. */
typedef struct {
  char *dir;
  char *db; /* DIR/wallboard.db */
  WbStore *store;
  GTimeZone *tz;      /* Asia/Shanghai */
  const char *source; /* set on every event put; "api:test" */
  gboolean batch;     /* TRUE: puts wait for test_store_commit; FALSE: each commits */
  gint64 pos;         /* the last source_pos given */
} TestStore;

static inline void
test_store_init(TestStore *s)
{
  g_autoptr(GError) error = NULL;
  memset(s, 0, sizeof(*s));
  s->dir = test_tmpdir();
  s->db = g_build_filename(s->dir, "wallboard.db", NULL);
  s->store = wb_store_open(s->db, &error);
  ck_assert_msg(s->store != NULL, "%s", error != NULL ? error->message : "");
  s->tz = test_shanghai();
  s->source = "api:test";
  s->batch = FALSE;
  s->pos = 0;
}

static inline void
test_store_clear(TestStore *s)
{
  wb_store_free(s->store);
  g_time_zone_unref(s->tz);
  test_rmtree(s->dir);
  g_free(s->db);
  g_free(s->dir);
}

static inline void
test_store_commit(TestStore *s)
{
  g_autoptr(GError) error = NULL;
  ck_assert_msg(wb_store_commit(s->store, &error), "%s", error ? error->message : "");
}

/* Stores ev under the next position of s->source and applies it; commits
 * unless s->batch. */
static inline void
test_store_put(TestStore *s, WbEvent *ev)
{
  g_autoptr(GError) error = NULL;
  WB_EVENT_SET(ev, source, s->source, -1);
  ev->source_pos = ++s->pos;
  ck_assert_int_eq(wb_store_append_event(s->store, ev, &error), 1);
  ck_assert_msg(wb_records_apply(s->store, ev, &error), "%s", error ? error->message : "");
  if (!s->batch)
    test_store_commit(s);
}

/* A clock-in or -out of agent at the door; direction "in", "out" or
 * "unknown". */
static inline void
test_store_punch(TestStore *s, const char *agent, gint64 ts_ms, const char *direction)
{
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_STAFF_PUNCH);
  ev.ts_ms = ts_ms;
  WB_EVENT_SET(&ev, agent, agent, -1);
  WB_EVENT_SET(&ev, device, "door", -1);
  WB_EVENT_SET(&ev, origin, direction, -1);
  test_store_put(s, &ev);
}

/* An agent event (login, logout, pause...) of agent, on queue unless NULL. */
static inline void
test_store_agent(TestStore *s, WbEventType type, const char *agent, gint64 ts_ms, const char *queue)
{
  WbEvent ev;
  wb_event_init(&ev, type);
  ev.ts_ms = ts_ms;
  WB_EVENT_SET(&ev, agent, agent, -1);
  if (queue != NULL)
    WB_EVENT_SET(&ev, queue, queue, -1);
  test_store_put(s, &ev);
}

/* A staff record stamped ts_ms; hired and left are local dates in s->tz
 * written y*10000+m*100+d, 0 for none. */
static inline void
test_store_staff(TestStore *s, const char *agent, const char *role, const char *status,
                 gint64 ts_ms, gint hired, gint left)
{
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_STAFF_RECORD);
  ev.ts_ms = ts_ms;
  WB_EVENT_SET(&ev, agent, agent, -1);
  WB_EVENT_SET(&ev, role, role, -1);
  WB_EVENT_SET(&ev, status, status, -1);
  if (hired != 0)
    ev.start_ms = test_date_ms(s->tz, hired, 0, 0);
  if (left != 0)
    ev.end_ms = test_date_ms(s->tz, left, 0, 0);
  test_store_put(s, &ev);
}
