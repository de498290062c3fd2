/* testutil.h: helpers shared by the Check unit tests. */
#pragma once

#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "collectors/collector.h"
#include "engine/event.h"

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
