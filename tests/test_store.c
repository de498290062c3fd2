/* test_store.c: schema, idempotence, positions committed with their events,
 * what a crash in the middle of a batch leaves, and a store that cannot
 * commit for a while (a full disk). */
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collectors/queuelog.h"
#include "engine/bus.h"
#include "engine/store.h"
#include "engine/store_private.h"
#include "testutil.h"

/* Longer than the bus waits between two attempts at a failed batch. */
#define RETRY_WAIT_US (1100 * 1000)

typedef struct {
  char *dir;
  char *db;
  WbConfig *cfg;
  GTimeZone *tz;
} Fixture;

static void
fixture_init(Fixture *f)
{
  f->dir = test_tmpdir();
  f->db = g_build_filename(f->dir, "wallboard.db", NULL);
  f->cfg = wb_config_new_defaults();
  f->tz = g_time_zone_new_utc();
}

static void
fixture_clear(Fixture *f)
{
  test_rmtree(f->dir);
  g_free(f->dir);
  g_free(f->db);
  wb_config_free(f->cfg);
  g_time_zone_unref(f->tz);
}

static WbStore *
open_store(const char *path)
{
  g_autoptr(GError) error = NULL;
  WbStore *s = wb_store_open(path, &error);
  ck_assert_msg(s != NULL, "%s", error != NULL ? error->message : "?");
  return s;
}

/* All rows of a table as one text, for comparing two databases. */

static void
exec_sql(const char *db, const char *sql)
{
  sqlite3 *conn = NULL;
  ck_assert_int_eq(sqlite3_open(db, &conn), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(conn, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(conn);
}

/* Ingests files through the real bus into the store at db; returns lines. */
static guint64
ingest(Fixture *f, const char *const *paths)
{
  g_autoptr(WbStore) store = open_store(f->db);
  g_autoptr(WbLive) live = wb_live_new(f->cfg, f->tz);
  g_autoptr(GBytes) key = g_bytes_new_static("0123456789abcdef0123456789abcdef", 32);
  g_autoptr(WbBus) bus = wb_bus_new(store, live, f->cfg, f->tz, key);
  g_autoptr(GError) error = NULL;
  g_autoptr(WbAgentMap) map = wb_agent_map_new();
  WbQueuelogOptions o = {.paths = paths, .sink = wb_bus_sink(bus), .agents = map, .poll_ms = 1000};

  ck_assert(wb_bus_replay(bus, 0, 0, NULL, &error));
  WbCollector *c = wb_queuelog_start(&o, &error);
  ck_assert_ptr_nonnull(c);
  guint64 n = wb_queuelog_poll(c);
  ck_assert_msg(wb_bus_flush(bus, &error), "%s", error != NULL ? error->message : "");
  wb_collector_free(c);
  return n;
}

START_TEST(test_schema)
{
  Fixture f;
  fixture_init(&f);
  {
    g_autoptr(WbStore) s = open_store(f.db);
    ck_assert_int_eq(wb_store_schema_version(s), 6);
  }
  g_autoptr(WbStore) s = open_store(f.db);
  ck_assert_int_eq(wb_store_schema_version(s), 6);
  g_autofree char *mode = test_dump_sql(f.db, "PRAGMA journal_mode");
  ck_assert_str_eq(mode, "wal|\n");
  const char *tables[] = {"events",       "calls",        "collector_positions",
                          "quarantine",   "agent_states", "intervals",
                          "staff",        "roster",       "punches",
                          "training",     "exams",        "qa",
                          "workorders",   "complaints",   "acd_snapshots",
                          "call_classes", "report_runs",  "report_texts"};
  for (gsize i = 0; i < G_N_ELEMENTS(tables); i++)
    ck_assert_int_eq(wb_store_count(s, tables[i]), 0);
  fixture_clear(&f);
}
END_TEST

START_TEST(test_newer_schema_refused)
{
  Fixture f;
  fixture_init(&f);
  wb_store_free(open_store(f.db));
  exec_sql(f.db, "PRAGMA user_version = 99");
  g_autoptr(GError) error = NULL;
  WbStore *s = wb_store_open(f.db, &error);
  ck_assert_ptr_null(s);
  ck_assert(strstr(error->message, "99") != NULL);
  fixture_clear(&f);
}
END_TEST

START_TEST(test_event_roundtrip_and_unique)
{
  Fixture f;
  fixture_init(&f);
  g_autoptr(WbStore) s = open_store(f.db);
  g_autoptr(GError) error = NULL;
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_CALL_END);
  WB_EVENT_SET(&ev, source, "src", -1);
  ev.source_pos = 42;
  ev.ts_ms = 1700000000123;
  WB_EVENT_SET(&ev, call_id, "1.1", -1);
  WB_EVENT_SET(&ev, queue, "policy", -1);
  WB_EVENT_SET(&ev, agent, "8001", -1);
  ev.wait_ms = 5000;
  ev.talk_ms = 60000;
  ev.ring_ms = -1;
  ev.ended_by = WB_ENDED_BY_AGENT;
  ck_assert_int_eq(wb_store_append_event(s, &ev, &error), 1);
  ck_assert_int_eq(wb_store_append_event(s, &ev, &error), 0);
  ev.source_pos = 43;
  ck_assert_int_eq(wb_store_append_event(s, &ev, &error), 1);
  ck_assert(wb_store_commit(s, &error));
  ck_assert_int_eq(wb_store_count(s, "events"), 2);
  g_autofree char *row =
      test_dump_sql(f.db, "SELECT s.name, source_pos, ts_ms, type, call_id, queue,"
                          " agent, wait_ms, ring_ms, talk_ms, ended_by, abandon_reason"
                          " FROM events JOIN sources s ON s.id = source_id"
                          " ORDER BY events.id LIMIT 1");
  ck_assert_str_eq(row,
                   "src|42|1700000000123|call.end|1.1|policy|8001|5000|NULL|60000|agent|NULL|\n");
  fixture_clear(&f);
}
END_TEST

static void
collect_event(const WbEvent *ev, gpointer user_data)
{
  g_array_append_val((GArray *)user_data, *ev);
}

START_TEST(test_replay_order_and_fields)
{
  Fixture f;
  fixture_init(&f);
  g_autoptr(WbStore) s = open_store(f.db);
  g_autoptr(GError) error = NULL;
  const gint64 ts[] = {3000, 1000, 2000}; /* stored order is replay order */
  for (int i = 0; i < 3; i++) {
    WbEvent ev;
    wb_event_init(&ev, i == 0 ? WB_EVENT_CALL_ABANDON : WB_EVENT_AGENT_PAUSE);
    WB_EVENT_SET(&ev, source, "src", -1);
    ev.source_pos = i;
    ev.ts_ms = ts[i];
    WB_EVENT_SET(&ev, call_id, i == 0 ? "9.9" : "", -1);
    WB_EVENT_SET(&ev, queue, "q", -1);
    WB_EVENT_SET(&ev, agent, i == 0 ? "" : "8002", -1);
    WB_EVENT_SET(&ev, reason, i == 0 ? "" : "小休", -1);
    ev.abandon_reason = WB_ABANDON_KEY;
    ev.wait_ms = i == 0 ? 7000 : -1;
    ck_assert_int_eq(wb_store_append_event(s, &ev, &error), 1);
  }
  ck_assert(wb_store_commit(s, &error));
  g_autoptr(GArray) got = g_array_new(FALSE, FALSE, sizeof(WbEvent));
  /* ts >= 1500 starts at the first of them: stored order, not time order. */
  ck_assert(wb_store_replay(s, 1500, 0, collect_event, got, &error));
  ck_assert_int_eq(got->len, 3);
  g_array_remove_index(got, 1);
  WbEvent *a = &g_array_index(got, WbEvent, 0);
  ck_assert_int_eq(a->ts_ms, 3000);
  ck_assert_int_eq(a->type, WB_EVENT_CALL_ABANDON);
  ck_assert_int_eq(a->abandon_reason, WB_ABANDON_KEY);
  ck_assert_int_eq(a->wait_ms, 7000);
  ck_assert_str_eq(a->call_id, "9.9");
  WbEvent *b = &g_array_index(got, WbEvent, 1);
  ck_assert_int_eq(b->ts_ms, 2000);
  ck_assert_str_eq(b->reason, "小休");
  ck_assert_str_eq(b->agent, "8002");
  /* Nothing recent: still the last min_events events. */
  g_autoptr(GArray) tail = g_array_new(FALSE, FALSE, sizeof(WbEvent));
  ck_assert(wb_store_replay(s, 9999, 2, collect_event, tail, &error));
  ck_assert_int_eq(tail->len, 2);
  ck_assert_int_eq(g_array_index(tail, WbEvent, 0).ts_ms, 1000);
  g_autoptr(GArray) none = g_array_new(FALSE, FALSE, sizeof(WbEvent));
  ck_assert(wb_store_replay(s, 9999, 0, collect_event, none, &error));
  ck_assert_int_eq(none->len, 0);
  fixture_clear(&f);
}
END_TEST

/* The same input twice gives the same rows. */
START_TEST(test_idempotent_ingest)
{
  Fixture f;
  fixture_init(&f);
  g_autofree char *p1 = test_sample("asterisk-production.queue_log");
  g_autofree char *p2 = test_sample("freepbx-edited-fixture.queue_log");
  const char *paths[] = {p1, p2, NULL};
  const char *events_sql = "SELECT * FROM events ORDER BY id";
  const char *calls_sql = "SELECT * FROM calls ORDER BY call_id, seq";

  ck_assert_int_eq(ingest(&f, paths), 168 + 23);
  g_autofree char *events1 = test_dump_sql(f.db, events_sql);
  g_autofree char *calls1 = test_dump_sql(f.db, calls_sql);
  ck_assert_int_gt(strlen(calls1), 0);

  /* Resumed: nothing new is read. */
  ck_assert_int_eq(ingest(&f, paths), 0);
  /* Positions forgotten: every line is read again, and refused. */
  exec_sql(f.db, "DELETE FROM collector_positions");
  ck_assert_int_eq(ingest(&f, paths), 168 + 23);
  g_autofree char *events2 = test_dump_sql(f.db, events_sql);
  g_autofree char *calls2 = test_dump_sql(f.db, calls_sql);
  ck_assert_str_eq(events1, events2);
  ck_assert_str_eq(calls1, calls2);

  /* No raw caller number was stored. */
  g_autofree char *raw =
      test_dump_sql(f.db, "SELECT count(*) FROM events WHERE caller_hash LIKE '%0700000001%'"
                          " OR caller_mask = '0700000001'");
  ck_assert_str_eq(raw, "0|\n");
  g_autofree char *masked = test_dump_sql(
      f.db, "SELECT DISTINCT caller_mask FROM calls WHERE call_id = '1770799347.2652'");
  ck_assert_str_eq(masked, "070****0001|\n");
  fixture_clear(&f);
}
END_TEST

/* A crash in the middle of a batch: the child ingests and dies before its
 * commit; what the parent finds is consistent, and a resumed ingest gives
 * every event exactly once. */
START_TEST(test_crash_mid_batch)
{
  Fixture f;
  fixture_init(&f);
  g_autofree char *path = g_build_filename(f.dir, "queue_log", NULL);
  GString *text = g_string_new(NULL);
  for (int i = 0; i < 2500; i++)
    g_string_append_printf(text, "%d|%d.%d|q|NONE|ENTERQUEUE||138%08d|1\n", 1700000000 + i,
                           1700000000, i, i);
  g_assert_true(g_file_set_contents(path, text->str, text->len, NULL));
  g_string_free(text, TRUE);
  const char *paths[] = {path, NULL};

  pid_t pid = fork();
  if (pid == 0) {
    g_autoptr(GError) error = NULL;
    WbStore *store = wb_store_open(f.db, &error);
    WbLive *live = wb_live_new(f.cfg, f.tz);
    GBytes *key = g_bytes_new_static("0123456789abcdef0123456789abcdef", 32);
    WbBus *bus = wb_bus_new(store, live, f.cfg, f.tz, key);
    WbAgentMap *map = wb_agent_map_new();
    wb_store_set_batch(store, 1000);
    WbQueuelogOptions o = {
        .paths = paths, .sink = wb_bus_sink(bus), .agents = map, .poll_ms = 1000};
    WbCollector *c = wb_queuelog_start(&o, &error);
    wb_queuelog_poll(c);
    /* 2500 events: 2 full batches committed, the third still open. */
    _exit(0);
  }
  int status = 0;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  {
    g_autoptr(WbStore) s = open_store(f.db);
    gint64 events = wb_store_count(s, "events");
    ck_assert_int_ge(events, 2000);
    ck_assert_int_lt(events, 2500);
    WbPosition pos;
    g_autofree char *source = wb_queuelog_source_name(path);
    ck_assert(wb_store_load_position(s, source, &pos));
    /* The position names exactly the lines whose events are stored. */
    ck_assert_int_eq(pos.line_no, events);
    ck_assert_int_eq(wb_store_count(s, "calls"), events);
  }
  ingest(&f, paths);
  g_autoptr(WbStore) s = open_store(f.db);
  ck_assert_int_eq(wb_store_count(s, "events"), 2500);
  ck_assert_int_eq(wb_store_count(s, "calls"), 2500);
  fixture_clear(&f);
}
END_TEST

/* Calls [from, to) of a queue_log: each enters, is answered and ends. */
static void
append_calls(const char *path, int from, int to)
{
  g_autoptr(GString) text = g_string_new(NULL);
  for (int i = from; i < to; i++) {
    gint64 t = 1700000000 + i * 60;
    g_string_append_printf(text, "%" G_GINT64_FORMAT "|c%d|q|NONE|ENTERQUEUE||138%08d|1\n", t, i,
                           i % 50);
    g_string_append_printf(text, "%" G_GINT64_FORMAT "|c%d|q|PJSIP/80%02d|CONNECT|%d|x%d|2\n",
                           t + 5 + i % 20, i, i % 7, 5 + i % 20, i);
    g_string_append_printf(text, "%" G_GINT64_FORMAT "|c%d|q|PJSIP/80%02d|COMPLETECALLER|%d|%d|1\n",
                           t + 40, i, i % 7, 5 + i % 20, 35 - i % 20);
  }
  FILE *fp = fopen(path, "a");
  ck_assert_ptr_nonnull(fp);
  ck_assert_int_eq(fwrite(text->str, 1, text->len, fp), text->len);
  fclose(fp);
}

/* Caps (or uncaps) the store's size at what it is now: SQLITE_FULL. */
static void
limit_pages(WbStore *store, gboolean on)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *st = wb_store_statement(
      store, on ? "PRAGMA max_page_count = 1" : "PRAGMA max_page_count = 1073741823", &error);
  ck_assert_ptr_nonnull(st);
  ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
  sqlite3_reset(st);
}

/* The disk fills up while calls come in: the live model goes on, every
 * commit fails, and once space is back everything read meanwhile is
 * stored once, in order, with its derived rows: the tables equal those of
 * an uninterrupted ingest of the same file. */
START_TEST(test_full_disk_holds_batch)
{
  Fixture f;
  fixture_init(&f);
  g_autofree char *path = g_build_filename(f.dir, "queue_log", NULL);
  g_autofree char *source = wb_queuelog_source_name(path);
  const char *paths[] = {path, NULL};
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(WbStore) store = open_store(f.db);
    g_autoptr(WbLive) live = wb_live_new(f.cfg, f.tz);
    g_autoptr(GBytes) key = g_bytes_new_static("0123456789abcdef0123456789abcdef", 32);
    g_autoptr(WbBus) bus = wb_bus_new(store, live, f.cfg, f.tz, key);
    g_autoptr(WbAgentMap) map = wb_agent_map_new();
    WbQueuelogOptions o = {
        .paths = paths, .sink = wb_bus_sink(bus), .agents = map, .poll_ms = 1000};
    WbBusStats bs;
    WbLiveStats ls;

    append_calls(path, 0, 200);
    g_autoptr(WbCollector) c = wb_queuelog_start(&o, &error);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(wb_queuelog_poll(c), 600);
    ck_assert(wb_bus_flush(bus, &error));
    ck_assert_int_eq(wb_store_count(store, "events"), 600);

    limit_pages(store, TRUE);
    append_calls(path, 200, 400);
    ck_assert_int_eq(wb_queuelog_poll(c), 600);
    ck_assert(!wb_bus_flush(bus, &error));
    g_clear_error(&error);
    wb_bus_stats(bus, &bs);
    ck_assert(bs.commit_failed);
    ck_assert_uint_eq(bs.held, 600);
    /* The live model counted them all the same. */
    wb_live_stats(live, &ls);
    ck_assert_uint_eq(ls.applied, 1200);

    /* A sender's event while failing: new once, then a duplicate of the
     * held batch; an event already stored is a duplicate too. */
    WbEvent punch;
    wb_event_init(&punch, WB_EVENT_STAFF_PUNCH);
    WB_EVENT_SET(&punch, source, "api:door", -1);
    WB_EVENT_SET(&punch, agent, "8001", -1);
    WB_EVENT_SET(&punch, origin, "in", -1);
    punch.source_pos = 7;
    punch.ts_ms = 1700030000000;
    WbSink *sink = wb_bus_sink(bus);
    ck_assert(sink->event(sink, &punch));
    ck_assert(!sink->event(sink, &punch));
    WbEvent old;
    wb_event_init(&old, WB_EVENT_CALL_ENQUEUE);
    WB_EVENT_SET(&old, source, source, -1);
    WB_EVENT_SET(&old, call_id, "c0", -1);
    WB_EVENT_SET(&old, queue, "q", -1);
    old.ts_ms = 1700000000000;
    ck_assert(!sink->event(sink, &old));
    ck_assert_int_eq(wb_store_count(store, "events"), 600);

    /* Retries are spaced: asked again at once, the flush fails without
     * trying. */
    limit_pages(store, FALSE);
    ck_assert(!wb_bus_flush(bus, &error));
    g_clear_error(&error);
    g_usleep(RETRY_WAIT_US);
    ck_assert_msg(wb_bus_flush(bus, &error), "%s", error != NULL ? error->message : "");
    wb_bus_stats(bus, &bs);
    ck_assert(!bs.commit_failed);
    ck_assert_uint_eq(bs.held, 0);
    ck_assert_int_eq(wb_store_count(store, "events"), 1201);
    ck_assert_int_eq(wb_store_count(store, "punches"), 1);

    append_calls(path, 400, 500);
    ck_assert_int_eq(wb_queuelog_poll(c), 300);
    ck_assert(wb_bus_flush(bus, &error));
    WbPosition pos;
    ck_assert(wb_store_load_position(store, source, &pos));
    ck_assert_int_eq(pos.line_no, 1500);
  }

  /* The same file, never interrupted. */
  g_autofree char *other = g_build_filename(f.dir, "other.db", NULL);
  g_autofree char *db = g_steal_pointer(&f.db);
  f.db = g_strdup(other);
  ck_assert_int_eq(ingest(&f, paths), 1500);
  const char *queries[] = {
      ("SELECT source_pos, ts_ms, type, call_id, agent, wait_ms, talk_ms FROM events"
       " WHERE type LIKE 'call.%' ORDER BY id"),
      "SELECT * FROM calls ORDER BY call_id, seq",
      "SELECT * FROM intervals ORDER BY 1, 2, 3",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(queries); i++) {
    g_autofree char *got = test_dump_sql(db, queries[i]);
    g_autofree char *want = test_dump_sql(other, queries[i]);
    ck_assert_int_gt(strlen(want), 1000);
    ck_assert_msg(strcmp(got, want) == 0, "%s differs", queries[i]);
  }
  g_free(f.db);
  f.db = g_steal_pointer(&db);
  fixture_clear(&f);
}
END_TEST

START_TEST(test_quarantine_rows)
{
  Fixture f;
  fixture_init(&f);
  g_autofree char *path = g_build_filename(f.dir, "queue_log", NULL);
  g_assert_true(g_file_set_contents(path,
                                    "1700000000|1.1|q|NONE|ENTERQUEUE||1|1\n"
                                    "broken \xff line\n"
                                    "1700000001|1.1|q|SIP/1|CONNECT|x|y|z\n",
                                    -1, NULL));
  const char *paths[] = {path, NULL};
  ingest(&f, paths);
  g_autofree char *rows =
      test_dump_sql(f.db, "SELECT file, line_no, reason, hex(line) FROM quarantine"
                          " ORDER BY id");
  g_autofree char *expected = g_strdup_printf(
      "%s|2|fewer than 5 fields|62726F6B656E20FF206C696E65|\n"
      "%s|3|CONNECT: holdtime is missing or not a number|%s|\n",
      path, path, "313730303030303030317C312E317C717C5349502F317C434F4E4E4543547C787C797C7A");
  ck_assert_str_eq(rows, expected);
  fixture_clear(&f);
}
END_TEST

START_TEST(test_tokens_and_settings)
{
  Fixture f;
  fixture_init(&f);
  g_autoptr(WbStore) s = open_store(f.db);
  g_autoptr(GError) error = NULL;
  ck_assert(wb_store_add_token(s, "secret-token", "display", "tv", &error));
  g_autofree char *role = wb_store_check_token(s, "secret-token", NULL);
  ck_assert_str_eq(role, "display");
  ck_assert_ptr_null(wb_store_check_token(s, "secret-tokeN", NULL));
  ck_assert_ptr_null(wb_store_check_token(s, "", NULL));
  /* Only the hash is kept. */
  g_autofree char *rows =
      test_dump_sql(f.db, "SELECT count(*) FROM tokens WHERE token_hash LIKE '%secret%'");
  ck_assert_str_eq(rows, "0|\n");
  g_autoptr(GBytes) v = g_bytes_new_static("\x01\x02", 2);
  ck_assert(wb_store_set_setting(s, "k", v, &error));
  g_autoptr(GBytes) got = wb_store_get_setting(s, "k");
  ck_assert(g_bytes_equal(v, got));
  ck_assert_ptr_null(wb_store_get_setting(s, "missing"));
  fixture_clear(&f);
}
END_TEST

static Suite *
store_suite(void)
{
  Suite *s = suite_create("store");
  TCase *tc = tcase_create("store");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_schema);
  tcase_add_test(tc, test_newer_schema_refused);
  tcase_add_test(tc, test_event_roundtrip_and_unique);
  tcase_add_test(tc, test_replay_order_and_fields);
  tcase_add_test(tc, test_idempotent_ingest);
  tcase_add_test(tc, test_crash_mid_batch);
  tcase_add_test(tc, test_full_disk_holds_batch);
  tcase_add_test(tc, test_quarantine_rows);
  tcase_add_test(tc, test_tokens_and_settings);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(store_suite());
}
