/* store.c: SQLite storage with batched, position-carrying transactions. */
#define G_LOG_DOMAIN "store"

#include "engine/store.h"
#include "engine/store_private.h"

#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

G_DEFINE_QUARK(wb_store_error, wb_store_error)

/* Numbered migrations: migrations[i] takes the schema from version i to
 * i + 1. Never edit a shipped step; append a new one. */
static const char *const migrations[] = {
    /* 1: the foundation tables. */
    "CREATE TABLE sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  source_id INTEGER NOT NULL REFERENCES sources(id),"
    "  source_pos INTEGER NOT NULL,"
    "  ts_ms INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  call_id TEXT, queue TEXT, agent TEXT,"
    "  caller_hash TEXT, caller_mask TEXT,"
    "  position INTEGER, wait_ms INTEGER, ring_ms INTEGER, talk_ms INTEGER,"
    "  abandon_reason TEXT, ended_by TEXT, reason TEXT, target TEXT,"
    "  UNIQUE (source_id, source_pos));"
    "CREATE INDEX events_ts ON events(ts_ms);"
    "CREATE TABLE calls ("
    "  call_id TEXT NOT NULL, seq INTEGER NOT NULL,"
    "  queue TEXT NOT NULL, agent TEXT,"
    "  caller_hash TEXT, caller_mask TEXT,"
    "  enqueue_ms INTEGER NOT NULL, answer_ms INTEGER, end_ms INTEGER,"
    "  wait_ms INTEGER NOT NULL, talk_ms INTEGER NOT NULL, acw_ms INTEGER NOT NULL,"
    "  ring_noanswers INTEGER NOT NULL, position INTEGER,"
    "  outcome TEXT NOT NULL, abandon_reason TEXT, ended_by TEXT,"
    "  category TEXT,"
    "  PRIMARY KEY (call_id, seq));"
    "CREATE INDEX calls_enqueue ON calls(enqueue_ms);"
    "CREATE TABLE collector_positions ("
    "  source TEXT PRIMARY KEY, inode INTEGER, generation INTEGER NOT NULL,"
    "  offset INTEGER NOT NULL, line_no INTEGER NOT NULL,"
    "  head_len INTEGER NOT NULL, head_hash INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
    "CREATE TABLE quarantine ("
    "  id INTEGER PRIMARY KEY, source TEXT NOT NULL, file TEXT, line_no INTEGER,"
    "  reason TEXT NOT NULL, line BLOB, read_ms INTEGER NOT NULL);"
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value BLOB);"
    "CREATE TABLE tokens ("
    "  token_hash TEXT PRIMARY KEY, role TEXT NOT NULL, label TEXT,"
    "  created_ms INTEGER NOT NULL);",
    /* 2: repeat calls, agent state periods, interval aggregates. Events lose
     * their time index, a fifth of the cost of every insert: replay reads the
     * newest events by id, and only rings are looked up by time. */
    /* calls is kept in the order of its key, one B-tree instead of two. */
    "CREATE TABLE calls2 ("
    "  call_id TEXT NOT NULL, seq INTEGER NOT NULL,"
    "  queue TEXT NOT NULL, agent TEXT,"
    "  caller_hash TEXT, caller_mask TEXT,"
    "  enqueue_ms INTEGER NOT NULL, answer_ms INTEGER, end_ms INTEGER,"
    "  wait_ms INTEGER NOT NULL, talk_ms INTEGER NOT NULL, acw_ms INTEGER NOT NULL,"
    "  ring_noanswers INTEGER NOT NULL, position INTEGER,"
    "  outcome TEXT NOT NULL, abandon_reason TEXT, ended_by TEXT,"
    "  category TEXT, prev_call_gap_ms INTEGER,"
    "  PRIMARY KEY (call_id, seq)) WITHOUT ROWID;"
    "INSERT INTO calls2 SELECT *, NULL FROM calls;"
    "DROP TABLE calls;"
    "ALTER TABLE calls2 RENAME TO calls;"
    "CREATE INDEX calls_enqueue ON calls(enqueue_ms);"
    "DROP INDEX events_ts;"
    "CREATE INDEX events_rings ON events(ts_ms) WHERE type = 'call.ring_noanswer';"
    "CREATE TABLE agent_states ("
    "  start_ms INTEGER NOT NULL, agent TEXT NOT NULL, end_ms INTEGER NOT NULL,"
    "  state TEXT NOT NULL, reason TEXT,"
    "  PRIMARY KEY (start_ms, agent)) WITHOUT ROWID;"
    "CREATE TABLE intervals ("
    "  size_min INTEGER NOT NULL, scope TEXT NOT NULL, start_ms INTEGER NOT NULL,"
    "  sl_threshold_s INTEGER NOT NULL,"
    "  offered INTEGER NOT NULL, answered INTEGER NOT NULL, abandoned INTEGER NOT NULL,"
    "  short_abandons INTEGER NOT NULL, lost INTEGER NOT NULL, handled INTEGER NOT NULL,"
    "  answered_wait_ms INTEGER NOT NULL, abandoned_wait_ms INTEGER NOT NULL,"
    "  handle_ms INTEGER NOT NULL, sl_resolved INTEGER NOT NULL, sl_answered INTEGER NOT NULL,"
    "  sl_answered_within INTEGER NOT NULL, sl_abandoned_within INTEGER NOT NULL,"
    "  transferred INTEGER NOT NULL, with_caller INTEGER NOT NULL,"
    "  repeat_2h INTEGER NOT NULL, repeat_24h INTEGER NOT NULL, ring_noanswers INTEGER NOT NULL,"
    "  offline_ms INTEGER NOT NULL, available_ms INTEGER NOT NULL, ringing_ms INTEGER NOT NULL,"
    "  on_call_ms INTEGER NOT NULL, acw_ms INTEGER NOT NULL, paused_ms INTEGER NOT NULL,"
    "  agent_ring_noanswers INTEGER NOT NULL,"
    "  PRIMARY KEY (size_min, scope, start_ms)) WITHOUT ROWID;",
    /* 3: the floor's other records. Events of the new types keep their
     * fields in `extra` (JSON); the tables below are derived from them in
     * the same transaction (engine/records.c). A call's category lives in
     * call_classes, keyed by call_id alone: a classification may arrive
     * before the call's queue events, and `calls` rows are rewritten. */
    "ALTER TABLE events ADD COLUMN extra TEXT;"
    "CREATE TABLE staff ("
    "  agent TEXT PRIMARY KEY, name TEXT, role TEXT, status TEXT NOT NULL,"
    "  hired_ms INTEGER, left_ms INTEGER, updated_ms INTEGER NOT NULL);"
    "CREATE TABLE roster ("
    "  agent TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,"
    "  role TEXT, template TEXT, updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (agent, start_ms)) WITHOUT ROWID;"
    "CREATE INDEX roster_start ON roster(start_ms);"
    "CREATE TABLE punches ("
    "  agent TEXT NOT NULL, ts_ms INTEGER NOT NULL, device TEXT NOT NULL,"
    "  direction TEXT NOT NULL,"
    "  PRIMARY KEY (agent, ts_ms, device)) WITHOUT ROWID;"
    "CREATE INDEX punches_ts ON punches(ts_ms);"
    "CREATE TABLE training ("
    "  agent TEXT NOT NULL, date_ms INTEGER NOT NULL, kind TEXT NOT NULL,"
    "  hours REAL NOT NULL,"
    "  PRIMARY KEY (agent, date_ms, kind)) WITHOUT ROWID;"
    "CREATE TABLE exams ("
    "  agent TEXT NOT NULL, date_ms INTEGER NOT NULL, area TEXT NOT NULL,"
    "  score REAL NOT NULL,"
    "  PRIMARY KEY (agent, date_ms, area)) WITHOUT ROWID;"
    "CREATE TABLE qa ("
    "  agent TEXT NOT NULL, ts_ms INTEGER NOT NULL, call_id TEXT NOT NULL,"
    "  inspector TEXT NOT NULL, score REAL NOT NULL,"
    "  PRIMARY KEY (agent, ts_ms, call_id, inspector)) WITHOUT ROWID;"
    "CREATE TABLE workorders ("
    "  id TEXT PRIMARY KEY, origin TEXT, category TEXT, status TEXT NOT NULL,"
    "  opened_ms INTEGER, due_ms INTEGER, closed_ms INTEGER, updated_ms INTEGER NOT NULL);"
    "CREATE TABLE complaints ("
    "  id TEXT PRIMARY KEY, agent TEXT, category TEXT,"
    "  opened_ms INTEGER, closed_ms INTEGER);"
    "CREATE TABLE acd_snapshots ("
    "  source TEXT NOT NULL, queue TEXT NOT NULL, ts_ms INTEGER NOT NULL,"
    "  waiting INTEGER NOT NULL, longest_wait_ms INTEGER NOT NULL,"
    "  logged_in INTEGER NOT NULL, available INTEGER NOT NULL,"
    "  PRIMARY KEY (source, queue, ts_ms)) WITHOUT ROWID;"
    "CREATE TABLE call_classes ("
    "  call_id TEXT PRIMARY KEY, category TEXT, request_type TEXT, channel TEXT,"
    "  classified_ms INTEGER, satisfaction REAL, surveyed_ms INTEGER);",
    /* 4: agent sessions (engine/workforce/presence.c) are read from the
     * login and logout events alone; a partial index keeps that read from
     * scanning every call event. */
    ("CREATE INDEX events_agent_sessions ON events(ts_ms)"
     " WHERE type IN ('agent.login','agent.logout');"),
    /* 5: named accounts and their sessions, the audit trail, alerts, and the
     * supervisor's handover notes and incident log (DESIGN.md sections 8
     * and 10). Passwords are Argon2id strings (crypto_pwhash_str); a
     * session is stored as the hash of its cookie, never the cookie. */
    "CREATE TABLE users ("
    "  name TEXT PRIMARY KEY, display_name TEXT, role TEXT NOT NULL,"
    "  password_hash TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0,"
    "  locked_until_ms INTEGER, disabled INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL, changed_ms INTEGER NOT NULL);"
    "CREATE TABLE sessions ("
    "  id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    "  last_seen_ms INTEGER NOT NULL);"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, actor TEXT, action TEXT NOT NULL,"
    "  target TEXT, detail TEXT, remote TEXT);"
    "CREATE INDEX audit_ts ON audit(ts_ms);"
    "CREATE TABLE alerts ("
    "  id INTEGER PRIMARY KEY, rule TEXT NOT NULL, scope TEXT NOT NULL,"
    "  severity TEXT NOT NULL, raised_ms INTEGER NOT NULL, cleared_ms INTEGER,"
    "  value REAL, threshold REAL, message TEXT NOT NULL,"
    "  acked_ms INTEGER, acked_by TEXT);"
    "CREATE INDEX alerts_raised ON alerts(raised_ms);"
    "CREATE TABLE notes ("
    "  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, ts_ms INTEGER NOT NULL,"
    "  author TEXT NOT NULL, title TEXT, body TEXT NOT NULL, severity TEXT,"
    "  closed_ms INTEGER, closed_by TEXT);"
    "CREATE INDEX notes_kind_ts ON notes(kind, ts_ms);",
    /* 6: management reports (DESIGN.md section 9): every run, whoever
     * started it, and the manager's problems-and-rectification text of a
     * report's period, which each run of that period prints. */
    "CREATE TABLE report_runs ("
    "  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, period TEXT NOT NULL,"
    "  trigger TEXT NOT NULL, requested_by TEXT, started_ms INTEGER NOT NULL,"
    "  finished_ms INTEGER, status TEXT NOT NULL, dir TEXT, error TEXT);"
    "CREATE INDEX report_runs_period ON report_runs(kind, period, started_ms);"
    "CREATE TABLE report_texts ("
    "  kind TEXT NOT NULL, period TEXT NOT NULL, body TEXT NOT NULL, author TEXT,"
    "  updated_ms INTEGER NOT NULL, PRIMARY KEY (kind, period));"
    /* Calls stored before the time since the caller's previous call was
     * kept get it now, as the live model reckons it: from the first queue
     * entry of the caller's latest earlier call; every entry of a call
     * carries its first entry's. */
    "WITH firsts AS ("
    "  SELECT call_id, enqueue_ms - LAG(enqueue_ms) OVER ("
    "    PARTITION BY caller_hash ORDER BY enqueue_ms) AS gap"
    "  FROM calls WHERE seq = 0 AND caller_hash IS NOT NULL AND caller_hash <> '')"
    "UPDATE calls SET prev_call_gap_ms = firsts.gap FROM firsts"
    " WHERE calls.call_id = firsts.call_id AND calls.prev_call_gap_ms IS NULL;",
};

/* The columns of `intervals` after the key, in the order of WbKpiCounts
 * and WbAgentTime, which are plain runs of gint64. */
#define INTERVAL_COUNTS 18
#define INTERVAL_TIMES (WB_AGENT_STATE_COUNT + 1)
G_STATIC_ASSERT(sizeof(WbKpiCounts) == INTERVAL_COUNTS * sizeof(gint64));
G_STATIC_ASSERT(sizeof(WbAgentTime) == INTERVAL_TIMES * sizeof(gint64));

typedef enum {
  STMT_INSERT_EVENT,
  STMT_PUT_CALL,
  STMT_QUARANTINE,
  STMT_PUT_POSITION,
  STMT_GET_POSITION,
  STMT_GET_SOURCE,
  STMT_ADD_SOURCE,
  STMT_PUT_SPAN,
  STMT_PUT_INTERVAL,
  STMT_GET_INTERVAL,
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_COUNT
} StmtId;

static const char *const stmt_sql[STMT_COUNT] = {
    [STMT_INSERT_EVENT] =
        "INSERT OR IGNORE INTO events (source_id, source_pos, ts_ms, type, call_id, queue,"
        " agent, caller_hash, caller_mask, position, wait_ms, ring_ms, talk_ms,"
        " abandon_reason, ended_by, reason, target, extra)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [STMT_PUT_CALL] =
        "INSERT OR REPLACE INTO calls (call_id, seq, queue, agent, caller_hash, caller_mask,"
        " enqueue_ms, answer_ms, end_ms, wait_ms, talk_ms, acw_ms, ring_noanswers, position,"
        " outcome, abandon_reason, ended_by, prev_call_gap_ms)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [STMT_QUARANTINE] = "INSERT INTO quarantine (source, file, line_no, reason, line, read_ms)"
                        " VALUES (?,?,?,?,?,?)",
    [STMT_PUT_POSITION] =
        "INSERT OR REPLACE INTO collector_positions (source, inode, generation, offset,"
        " line_no, head_len, head_hash, updated_ms) VALUES (?,?,?,?,?,?,?,?)",
    [STMT_GET_POSITION] = "SELECT inode, generation, offset, line_no, head_len, head_hash"
                          " FROM collector_positions WHERE source = ?",
    [STMT_GET_SOURCE] = "SELECT id FROM sources WHERE name = ?",
    [STMT_ADD_SOURCE] = "INSERT INTO sources (name) VALUES (?)",
    [STMT_PUT_SPAN] = "INSERT OR REPLACE INTO agent_states (agent, start_ms, end_ms, state, reason)"
                      " VALUES (?,?,?,?,?)",
    [STMT_PUT_INTERVAL] = "INSERT OR REPLACE INTO intervals VALUES (?,?,?,?,"
                          " ?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, ?,?,?,?,?,?,?)",
    [STMT_GET_INTERVAL] =
        "SELECT * FROM intervals WHERE size_min = ? AND scope = ? AND start_ms = ?",
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
};

struct WbStore {
  sqlite3 *db;
  char *path;
  sqlite3_stmt *stmt[STMT_COUNT];
  gboolean in_tx;
  guint batch_events;     /* commit when this many events are pending */
  guint pending;          /* events, calls and lines written in the open batch */
  GHashTable *source_ids; /* name -> id */
  char last_source[WB_EVENT_SOURCE_MAX];
  gint64 last_source_id;
  /* Newest interval start stored per "size\037scope": a later one cannot
   * be in the table, so looking for it costs no query. */
  GHashTable *interval_max;
  GHashTable *positions;  /* source -> const WbPosition* (owned by collectors) */
  GHashTable *statements; /* static SQL text -> sqlite3_stmt* (store_private.h) */
  WbStoreStats stats;
};

static gboolean
sql_fail(WbStore *store, GError **error, const char *what)
{
  g_set_error(error, WB_STORE_ERROR, sqlite3_errcode(store->db), "store: %s failed: %s", what,
              sqlite3_errmsg(store->db));
  return FALSE;
}

static gboolean
exec(WbStore *store, const char *sql, GError **error)
{
  char *msg = NULL;
  if (sqlite3_exec(store->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    g_set_error(error, WB_STORE_ERROR, sqlite3_errcode(store->db), "store: %.60s… failed: %s", sql,
                msg != NULL ? msg : sqlite3_errmsg(store->db));
    sqlite3_free(msg);
    return FALSE;
  }
  return TRUE;
}

static gboolean
step_done(WbStore *store, sqlite3_stmt *st, const char *what, GError **error)
{
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return sql_fail(store, error, what);
  return TRUE;
}

int
wb_store_schema_version(WbStore *store)
{
  sqlite3_stmt *st = NULL;
  int v = -1;
  if (sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return v;
}

static gboolean
migrate(WbStore *store, GError **error)
{
  int version = wb_store_schema_version(store);
  int target = (int)G_N_ELEMENTS(migrations);

  if (version < 0)
    return sql_fail(store, error, "reading user_version");
  if (version > target) {
    g_set_error(error, WB_STORE_ERROR, 0,
                "store: %s has schema version %d, newer than this program's %d", store->path,
                version, target);
    return FALSE;
  }
  for (int v = version; v < target; v++) {
    g_autofree char *sql = g_strdup_printf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;",
                                           migrations[v], v + 1);
    if (!exec(store, sql, error)) {
      exec(store, "ROLLBACK", NULL);
      g_prefix_error(error, "migration %d: ", v + 1);
      return FALSE;
    }
    g_message("store: %s migrated to schema version %d", store->path, v + 1);
  }
  return TRUE;
}

static char *
interval_max_key(gint size_min, const char *scope)
{
  return g_strdup_printf("%d\037%s", size_min, scope);
}

static gboolean
load_interval_max(WbStore *store, GError **error)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if (sqlite3_prepare_v2(store->db,
                         "SELECT size_min, scope, max(start_ms) FROM intervals"
                         " GROUP BY size_min, scope",
                         -1, &st, NULL) != SQLITE_OK)
    return sql_fail(store, error, "prepare interval index");
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    gint64 max = sqlite3_column_int64(st, 2);
    g_hash_table_insert(
        store->interval_max,
        interval_max_key(sqlite3_column_int(st, 0), (const char *)sqlite3_column_text(st, 1)),
        g_memdup2(&max, sizeof(max)));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return sql_fail(store, error, "interval index");
  return TRUE;
}

static void
finalize_statement(gpointer st)
{
  sqlite3_finalize(st);
}

WbStore *
wb_store_open(const char *path, GError **error)
{
  g_autoptr(WbStore) store = g_new0(WbStore, 1);

  store->path = g_strdup(path);
  store->batch_events = 1000;
  store->source_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  store->positions = g_hash_table_new(g_str_hash, g_str_equal);
  store->interval_max = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  store->statements =
      g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, finalize_statement);
  if (sqlite3_open_v2(path, &store->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      NULL) != SQLITE_OK) {
    g_set_error(error, WB_STORE_ERROR, 0, "store: cannot open %s: %s", path,
                store->db != NULL ? sqlite3_errmsg(store->db) : "out of memory");
    return NULL;
  }
  sqlite3_busy_timeout(store->db, WB_STORE_BUSY_MS);
  /* Debian's SQLite makes WAL connections synchronous=FULL: NORMAL is safe
   * against a crash of this process and 10x faster per commit. */
  if (!exec(store, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", error) ||
      !migrate(store, error))
    return NULL;
  for (int i = 0; i < STMT_COUNT; i++)
    if (sqlite3_prepare_v3(store->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &store->stmt[i],
                           NULL) != SQLITE_OK) {
      sql_fail(store, error, "prepare");
      return NULL;
    }
  if (!load_interval_max(store, error))
    return NULL;
  return g_steal_pointer(&store);
}

void
wb_store_free(WbStore *store)
{
  if (store == NULL)
    return;
  if (store->in_tx) {
    g_autoptr(GError) error = NULL;
    if (!wb_store_commit(store, &error))
      g_warning("%s", error->message);
  }
  for (int i = 0; i < STMT_COUNT; i++)
    sqlite3_finalize(store->stmt[i]);
  g_hash_table_unref(store->statements);
  if (store->db != NULL)
    sqlite3_close(store->db);
  g_hash_table_unref(store->source_ids);
  g_hash_table_unref(store->positions);
  g_hash_table_unref(store->interval_max);
  g_free(store->path);
  g_free(store);
}

void
wb_store_set_batch(WbStore *store, guint batch_events)
{
  store->batch_events = MAX(batch_events, 1);
}

void
wb_store_set_busy_timeout(WbStore *store, int ms)
{
  sqlite3_busy_timeout(store->db, ms);
}

static gint64
source_id_lookup(WbStore *store, const char *name, GError **error)
{
  gpointer hit = g_hash_table_lookup(store->source_ids, name);
  if (hit != NULL)
    return GPOINTER_TO_SIZE(hit);

  sqlite3_stmt *st = store->stmt[STMT_GET_SOURCE];
  gint64 id = -1;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW)
    id = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (id < 0) {
    st = store->stmt[STMT_ADD_SOURCE];
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (!step_done(store, st, "insert source", error))
      return -1;
    id = sqlite3_last_insert_rowid(store->db);
  }
  g_hash_table_insert(store->source_ids, g_strdup(name), GSIZE_TO_POINTER(id));
  return id;
}

static gboolean
ensure_tx(WbStore *store, GError **error)
{
  if (store->in_tx)
    return TRUE;
  if (!step_done(store, store->stmt[STMT_BEGIN], "BEGIN", error))
    return FALSE;
  store->in_tx = TRUE;
  return TRUE;
}

static gint64
source_id(WbStore *store, const char *name, GError **error)
{
  /* Runs of events come from one source: compare before hashing a path. */
  if (store->last_source_id > 0 && strcmp(store->last_source, name) == 0)
    return store->last_source_id;
  gint64 id = source_id_lookup(store, name, error);
  if (id > 0) {
    g_strlcpy(store->last_source, name, sizeof(store->last_source));
    store->last_source_id = id;
  }
  return id;
}

static void
bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
  if (s != NULL && *s != '\0')
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

static void
bind_ms_or_null(sqlite3_stmt *st, int i, gint64 v)
{
  if (v >= 0)
    sqlite3_bind_int64(st, i, v);
  else
    sqlite3_bind_null(st, i);
}

/* ---- the fields of the floor's other records, as JSON in `extra` ---- */

#define EXTRA_STR(f)                                                                               \
  {                                                                                                \
#f, G_STRUCT_OFFSET(WbEvent, f), sizeof(((WbEvent *)0)->f)                                     \
  }
static const struct {
  const char *name;
  glong offset;
  gsize size;
} extra_strs[] = {
    EXTRA_STR(id),   EXTRA_STR(name),     EXTRA_STR(role),   EXTRA_STR(status),
    EXTRA_STR(kind), EXTRA_STR(category), EXTRA_STR(origin), EXTRA_STR(device),
};

static char *
extra_encode(const WbEvent *ev)
{
  if (!wb_event_is_record(ev->type))
    return NULL;
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  for (gsize i = 0; i < G_N_ELEMENTS(extra_strs); i++) {
    const char *v = G_STRUCT_MEMBER_P(ev, extra_strs[i].offset);
    if (*v != '\0') {
      json_builder_set_member_name(b, extra_strs[i].name);
      json_builder_add_string_value(b, v);
    }
  }
  const struct {
    const char *name;
    gint64 value;
  } ints[] = {{"start_ms", ev->start_ms},
              {"end_ms", ev->end_ms},
              {"count_a", ev->count_a},
              {"count_b", ev->count_b}};
  for (gsize i = 0; i < G_N_ELEMENTS(ints); i++)
    if (ints[i].value != 0) {
      json_builder_set_member_name(b, ints[i].name);
      json_builder_add_int_value(b, ints[i].value);
    }
  if (ev->value != 0) {
    json_builder_set_member_name(b, "value");
    json_builder_add_double_value(b, ev->value);
  }
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return json_to_string(root, FALSE);
}

static void
extra_decode(WbEvent *ev, const char *json)
{
  g_autoptr(JsonNode) root = json_from_string(json, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
    return;
  JsonObject *o = json_node_get_object(root);
  for (gsize i = 0; i < G_N_ELEMENTS(extra_strs); i++)
    if (json_object_has_member(o, extra_strs[i].name))
      wb_event_set_str(G_STRUCT_MEMBER_P(ev, extra_strs[i].offset), extra_strs[i].size,
                       json_object_get_string_member_with_default(o, extra_strs[i].name, ""), -1);
  ev->start_ms = json_object_get_int_member_with_default(o, "start_ms", 0);
  ev->end_ms = json_object_get_int_member_with_default(o, "end_ms", 0);
  ev->count_a = (gint32)json_object_get_int_member_with_default(o, "count_a", 0);
  ev->count_b = (gint32)json_object_get_int_member_with_default(o, "count_b", 0);
  ev->value = json_object_get_double_member_with_default(o, "value", 0);
}

sqlite3_stmt *
wb_store_statement(WbStore *store, const char *sql, GError **error)
{
  sqlite3_stmt *st = g_hash_table_lookup(store->statements, sql);
  if (st != NULL)
    return st;
  if (sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
    sql_fail(store, error, "prepare");
    return NULL;
  }
  g_hash_table_insert(store->statements, (gpointer)sql, st);
  return st;
}

gboolean
wb_store_run(WbStore *store, sqlite3_stmt *st, const char *what, GError **error)
{
  if (!ensure_tx(store, error) || !step_done(store, st, what, error))
    return FALSE;
  store->pending++;
  return TRUE;
}

void
wb_store_bind_text(sqlite3_stmt *st, int i, const char *s)
{
  bind_text_or_null(st, i, s);
}

int
wb_store_append_event(WbStore *store, const WbEvent *ev, GError **error)
{
  gint64 sid = source_id(store, ev->source, error);
  if (sid < 0 || !ensure_tx(store, error))
    return -1;

  sqlite3_stmt *st = store->stmt[STMT_INSERT_EVENT];
  gboolean is_call = (ev->type >= WB_EVENT_CALL_ENQUEUE && ev->type <= WB_EVENT_CALL_TRANSFER) ||
                     ev->type == WB_EVENT_ACD_SNAPSHOT;
  sqlite3_bind_int64(st, 1, sid);
  sqlite3_bind_int64(st, 2, ev->source_pos);
  sqlite3_bind_int64(st, 3, ev->ts_ms);
  sqlite3_bind_text(st, 4, wb_event_type_name(ev->type), -1, SQLITE_STATIC);
  bind_text_or_null(st, 5, ev->call_id);
  bind_text_or_null(st, 6, ev->queue);
  bind_text_or_null(st, 7, ev->agent);
  bind_text_or_null(st, 8, ev->caller_hash);
  bind_text_or_null(st, 9, ev->caller_mask);
  if (is_call)
    sqlite3_bind_int(st, 10, ev->position);
  bind_ms_or_null(st, 11, is_call ? ev->wait_ms : -1);
  bind_ms_or_null(st, 12, is_call ? ev->ring_ms : -1);
  bind_ms_or_null(st, 13, is_call ? ev->talk_ms : -1);
  bind_text_or_null(st, 14,
                    ev->type == WB_EVENT_CALL_ABANDON ? wb_abandon_reason_name(ev->abandon_reason)
                                                      : NULL);
  bind_text_or_null(st, 15,
                    ev->type == WB_EVENT_CALL_END || ev->type == WB_EVENT_CALL_TRANSFER
                        ? wb_ended_by_name(ev->ended_by)
                        : NULL);
  bind_text_or_null(st, 16, ev->reason);
  bind_text_or_null(st, 17, ev->target);
  g_autofree char *extra = extra_encode(ev);
  bind_text_or_null(st, 18, extra);
  if (!step_done(store, st, "insert event", error))
    return -1;
  if (sqlite3_changes(store->db) == 0) {
    store->stats.duplicates++;
    return 0;
  }
  store->stats.events++;
  store->pending++;
  return 1;
}

gboolean
wb_store_has_event(WbStore *store, const char *source, gint64 source_pos)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *st =
      wb_store_statement(store,
                         "SELECT 1 FROM events e JOIN sources s ON s.id = e.source_id"
                         " WHERE s.name = ? AND e.source_pos = ?",
                         &error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, source_pos);
  gboolean found = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return found;
}

gboolean
wb_store_put_call(WbStore *store, const WbCallRecord *c, GError **error)
{
  if (!ensure_tx(store, error))
    return FALSE;
  sqlite3_stmt *st = store->stmt[STMT_PUT_CALL];
  sqlite3_bind_text(st, 1, c->call_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, c->seq);
  sqlite3_bind_text(st, 3, c->queue, -1, SQLITE_STATIC);
  bind_text_or_null(st, 4, c->agent);
  bind_text_or_null(st, 5, c->caller_hash);
  bind_text_or_null(st, 6, c->caller_mask);
  sqlite3_bind_int64(st, 7, c->enqueue_ms);
  bind_ms_or_null(st, 8, c->answer_ms > 0 ? c->answer_ms : -1);
  bind_ms_or_null(st, 9, c->end_ms > 0 ? c->end_ms : -1);
  sqlite3_bind_int64(st, 10, c->wait_ms);
  sqlite3_bind_int64(st, 11, c->talk_ms);
  sqlite3_bind_int64(st, 12, c->acw_ms);
  sqlite3_bind_int(st, 13, c->ring_noanswers);
  sqlite3_bind_int(st, 14, c->position);
  sqlite3_bind_text(st, 15, wb_outcome_name(c->outcome), -1, SQLITE_STATIC);
  bind_text_or_null(st, 16,
                    c->outcome == WB_OUTCOME_ABANDONED ? wb_abandon_reason_name(c->abandon_reason)
                                                       : NULL);
  bind_text_or_null(st, 17,
                    c->end_ms > 0 && wb_call_is_answered(c) ? wb_ended_by_name(c->ended_by) : NULL);
  bind_ms_or_null(st, 18, c->prev_call_gap_ms);
  return step_done(store, st, "put call", error);
}

gboolean
wb_store_quarantine(WbStore *store, const WbQuarantined *q, GError **error)
{
  if (!ensure_tx(store, error))
    return FALSE;
  sqlite3_stmt *st = store->stmt[STMT_QUARANTINE];
  sqlite3_bind_text(st, 1, q->source, -1, SQLITE_STATIC);
  bind_text_or_null(st, 2, q->file);
  sqlite3_bind_int64(st, 3, q->line_no);
  sqlite3_bind_text(st, 4, q->reason, -1, SQLITE_STATIC);
  sqlite3_bind_blob(st, 5, q->line, (int)q->line_len, SQLITE_STATIC);
  sqlite3_bind_int64(st, 6, q->ts_ms);
  if (!step_done(store, st, "insert quarantine", error))
    return FALSE;
  store->stats.quarantined++;
  store->pending++;
  return TRUE;
}

void
wb_store_note_position(WbStore *store, const WbPosition *pos)
{
  g_hash_table_replace(store->positions, (gpointer)pos->source, (gpointer)pos);
}

gboolean
wb_store_load_position(WbStore *store, const char *source, WbPosition *out)
{
  sqlite3_stmt *st = store->stmt[STMT_GET_POSITION];
  gboolean found = FALSE;

  sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) {
    memset(out, 0, sizeof(*out));
    g_strlcpy(out->source, source, sizeof(out->source));
    out->inode = sqlite3_column_int64(st, 0);
    out->generation = sqlite3_column_int64(st, 1);
    out->offset = sqlite3_column_int64(st, 2);
    out->line_no = sqlite3_column_int64(st, 3);
    out->head_len = sqlite3_column_int64(st, 4);
    out->head_hash = sqlite3_column_int64(st, 5);
    found = TRUE;
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return found;
}

static gboolean
write_positions(WbStore *store, GError **error)
{
  GHashTableIter it;
  gpointer value;
  gint64 now_ms = g_get_real_time() / 1000;

  g_hash_table_iter_init(&it, store->positions);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    const WbPosition *p = value;
    sqlite3_stmt *st = store->stmt[STMT_PUT_POSITION];
    sqlite3_bind_text(st, 1, p->source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, p->inode);
    sqlite3_bind_int64(st, 3, p->generation);
    sqlite3_bind_int64(st, 4, p->offset);
    sqlite3_bind_int64(st, 5, p->line_no);
    sqlite3_bind_int64(st, 6, p->head_len);
    sqlite3_bind_int64(st, 7, p->head_hash);
    sqlite3_bind_int64(st, 8, now_ms);
    if (!step_done(store, st, "put position", error))
      return FALSE;
  }
  return TRUE;
}

gboolean
wb_store_pending(WbStore *store)
{
  return store->in_tx || g_hash_table_size(store->positions) > 0;
}

/* Drops the open batch after a failure, so the next one starts clean. A
 * source row made in it is gone with it; positions are noted again by the
 * next checkpoints. */
static void
abort_batch(WbStore *store)
{
  if (store->in_tx)
    exec(store, "ROLLBACK", NULL);
  store->in_tx = FALSE;
  store->pending = 0;
  g_hash_table_remove_all(store->source_ids);
  store->last_source_id = 0;
  g_hash_table_remove_all(store->positions);
}

void
wb_store_rollback(WbStore *store)
{
  abort_batch(store);
}

static const gdouble commit_bounds[WB_STORE_COMMIT_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                               0.05,  0.1,    0.25,  0.5,  1.0};

const gdouble *
wb_store_commit_bounds(void)
{
  return commit_bounds;
}

/* A histogram of commit durations, for /metrics: what the disk costs. */
static void
note_commit_duration(WbStoreStats *stats, gdouble seconds)
{
  guint i = 0;
  while (i < WB_STORE_COMMIT_BUCKETS && seconds > commit_bounds[i])
    i++;
  stats->commit_buckets[i]++;
  stats->commit_seconds += seconds;
}

gboolean
wb_store_commit(WbStore *store, GError **error)
{
  gint64 start = g_get_monotonic_time();

  if (!store->in_tx && g_hash_table_size(store->positions) == 0)
    return TRUE;
  if (!ensure_tx(store, error) || !write_positions(store, error) ||
      !step_done(store, store->stmt[STMT_COMMIT], "COMMIT", error)) {
    abort_batch(store);
    return FALSE;
  }
  store->in_tx = FALSE;
  store->pending = 0;
  g_hash_table_remove_all(store->positions);
  store->stats.commits++;
  store->stats.last_commit_us = g_get_monotonic_time() - start;
  note_commit_duration(&store->stats, store->stats.last_commit_us / 1e6);
  return TRUE;
}

gboolean
wb_store_batch_full(WbStore *store)
{
  return store->pending >= store->batch_events;
}

static void
column_str(sqlite3_stmt *st, int i, char *out, gsize size)
{
  const char *s = (const char *)sqlite3_column_text(st, i);
  g_strlcpy(out, s != NULL ? s : "", size);
}

static gint64
column_ms(sqlite3_stmt *st, int i)
{
  return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

#define REPLAY_SCAN_MAX 10000000

static gint64
query_int(WbStore *store, const char *sql, gint64 arg, gint64 fallback)
{
  sqlite3_stmt *st = NULL;
  gint64 v = fallback;
  if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, arg);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
      v = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  return v;
}

gboolean
wb_store_replay(WbStore *store, gint64 since_ms, gint64 min_events, WbStoreEventFunc func,
                gpointer user_data, GError **error)
{
  sqlite3_stmt *st = NULL;
  const char *sql =
      "SELECT s.name, e.source_pos, e.ts_ms, e.type, e.call_id, e.queue, e.agent,"
      " e.caller_hash, e.caller_mask, e.position, e.wait_ms, e.ring_ms, e.talk_ms,"
      " e.abandon_reason, e.ended_by, e.reason, e.target, e.extra"
      " FROM events e JOIN sources s ON s.id = e.source_id WHERE e.id >= ? ORDER BY e.id";
  gint64 max_id = query_int(store, "SELECT max(id) FROM events WHERE ?1 = ?1", 0, 0);
  gint64 start = MAX(max_id - min_events + 1, 1);
  /* Events are not indexed by time: recent ones are looked for among the
   * newest REPLAY_SCAN_MAX only, a bounded scan by id. */
  sqlite3_stmt *probe = NULL;
  if (sqlite3_prepare_v2(store->db,
                         "SELECT min(id) FROM events WHERE id >= ?1 AND id < ?2 AND ts_ms >= ?3",
                         -1, &probe, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(probe, 1, MAX(max_id - REPLAY_SCAN_MAX, 1));
    sqlite3_bind_int64(probe, 2, start);
    sqlite3_bind_int64(probe, 3, since_ms);
    if (sqlite3_step(probe) == SQLITE_ROW && sqlite3_column_type(probe, 0) != SQLITE_NULL)
      start = MIN(start, sqlite3_column_int64(probe, 0));
  }
  sqlite3_finalize(probe);

  if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
    return sql_fail(store, error, "prepare replay");
  sqlite3_bind_int64(st, 1, start);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    WbEvent ev;
    char name[32];
    wb_event_init(&ev, WB_EVENT_NONE);
    column_str(st, 0, ev.source, sizeof(ev.source));
    ev.source_pos = sqlite3_column_int64(st, 1);
    ev.ts_ms = sqlite3_column_int64(st, 2);
    column_str(st, 3, name, sizeof(name));
    ev.type = wb_event_type_from_name(name);
    column_str(st, 4, ev.call_id, sizeof(ev.call_id));
    column_str(st, 5, ev.queue, sizeof(ev.queue));
    column_str(st, 6, ev.agent, sizeof(ev.agent));
    column_str(st, 7, ev.caller_hash, sizeof(ev.caller_hash));
    column_str(st, 8, ev.caller_mask, sizeof(ev.caller_mask));
    ev.position = sqlite3_column_int(st, 9);
    ev.wait_ms = column_ms(st, 10);
    ev.ring_ms = column_ms(st, 11);
    ev.talk_ms = column_ms(st, 12);
    column_str(st, 13, name, sizeof(name));
    ev.abandon_reason = wb_abandon_reason_from_name(name);
    column_str(st, 14, name, sizeof(name));
    ev.ended_by = wb_ended_by_from_name(name);
    column_str(st, 15, ev.reason, sizeof(ev.reason));
    column_str(st, 16, ev.target, sizeof(ev.target));
    if (sqlite3_column_type(st, 17) != SQLITE_NULL)
      extra_decode(&ev, (const char *)sqlite3_column_text(st, 17));
    func(&ev, user_data);
  }
  if (rc != SQLITE_DONE) {
    sql_fail(store, error, "replay");
    sqlite3_finalize(st);
    return FALSE;
  }
  sqlite3_finalize(st);
  return TRUE;
}

static void
read_call_row(sqlite3_stmt *st, WbCallRecord *c)
{
  char name[32];

  memset(c, 0, sizeof(*c));
  column_str(st, 0, c->call_id, sizeof(c->call_id));
  c->seq = sqlite3_column_int(st, 1);
  column_str(st, 2, c->queue, sizeof(c->queue));
  column_str(st, 3, c->agent, sizeof(c->agent));
  column_str(st, 4, c->caller_hash, sizeof(c->caller_hash));
  column_str(st, 5, c->caller_mask, sizeof(c->caller_mask));
  c->enqueue_ms = sqlite3_column_int64(st, 6);
  c->answer_ms = MAX(column_ms(st, 7), 0);
  c->end_ms = MAX(column_ms(st, 8), 0);
  c->wait_ms = sqlite3_column_int64(st, 9);
  c->talk_ms = sqlite3_column_int64(st, 10);
  c->acw_ms = sqlite3_column_int64(st, 11);
  c->ring_noanswers = sqlite3_column_int(st, 12);
  c->position = sqlite3_column_int(st, 13);
  column_str(st, 14, name, sizeof(name));
  c->outcome = wb_outcome_from_name(name);
  column_str(st, 15, name, sizeof(name));
  c->abandon_reason = wb_abandon_reason_from_name(name);
  column_str(st, 16, name, sizeof(name));
  c->ended_by = wb_ended_by_from_name(name);
  c->prev_call_gap_ms = column_ms(st, 17);
}

gboolean
wb_store_foreach_call(WbStore *store, gint64 from_ms, gint64 to_ms, WbStoreCallFunc func,
                      gpointer user_data, GError **error)
{
  sqlite3_stmt *st = NULL;
  /* Every entry of each call that has one in the window: the total counts a
   * call at its first entry, a queue at its own. */
  const char *sql =
      "SELECT call_id, seq, queue, agent, caller_hash, caller_mask, enqueue_ms, answer_ms,"
      " end_ms, wait_ms, talk_ms, acw_ms, ring_noanswers, position, outcome,"
      " abandon_reason, ended_by, prev_call_gap_ms FROM calls"
      " WHERE call_id IN (SELECT call_id FROM calls WHERE enqueue_ms >= ?1 AND enqueue_ms < ?2)"
      " ORDER BY call_id, seq";

  if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
    return sql_fail(store, error, "prepare calls query");
  sqlite3_bind_int64(st, 1, from_ms);
  sqlite3_bind_int64(st, 2, to_ms);
  g_autoptr(GArray) entries = g_array_new(FALSE, TRUE, sizeof(WbCallRecord));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    WbCallRecord c;
    read_call_row(st, &c);
    if (entries->len > 0 &&
        strcmp(g_array_index(entries, WbCallRecord, 0).call_id, c.call_id) != 0) {
      func((const WbCallRecord *)entries->data, entries->len, user_data);
      g_array_set_size(entries, 0);
    }
    g_array_append_val(entries, c);
  }
  if (entries->len > 0)
    func((const WbCallRecord *)entries->data, entries->len, user_data);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return sql_fail(store, error, "calls query");
  return TRUE;
}

GBytes *
wb_store_get_setting(WbStore *store, const char *key)
{
  sqlite3_stmt *st = NULL;
  GBytes *value = NULL;

  if (sqlite3_prepare_v2(store->db, "SELECT value FROM settings WHERE key = ?", -1, &st, NULL) !=
      SQLITE_OK)
    return NULL;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW)
    value = g_bytes_new(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0));
  sqlite3_finalize(st);
  return value;
}

/* Runs one statement outside the batch (settings and tokens are rare and
 * must be durable at once). */
static gboolean
run_now(WbStore *store, sqlite3_stmt *st, const char *what, GError **error)
{
  GError *local = NULL;
  if (store->in_tx && !wb_store_commit(store, &local)) {
    g_propagate_error(error, local);
    sqlite3_finalize(st);
    return FALSE;
  }
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return sql_fail(store, error, what);
  return TRUE;
}

gboolean
wb_store_set_setting(WbStore *store, const char *key, GBytes *value, GError **error)
{
  sqlite3_stmt *st = NULL;
  gsize len = 0;
  gconstpointer data = g_bytes_get_data(value, &len);

  if (sqlite3_prepare_v2(store->db, "INSERT OR REPLACE INTO settings (key, value) VALUES (?,?)", -1,
                         &st, NULL) != SQLITE_OK)
    return sql_fail(store, error, "prepare setting");
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_blob(st, 2, data, (int)len, SQLITE_STATIC);
  return run_now(store, st, "put setting", error);
}

static char *
token_hash(const char *token)
{
  return g_compute_checksum_for_string(G_CHECKSUM_SHA256, token, -1);
}

gboolean
wb_store_add_token(WbStore *store, const char *token, const char *role, const char *label,
                   GError **error)
{
  sqlite3_stmt *st = NULL;
  g_autofree char *hash = token_hash(token);

  if (sqlite3_prepare_v2(store->db,
                         "INSERT INTO tokens (token_hash, role, label, created_ms)"
                         " VALUES (?,?,?,?)",
                         -1, &st, NULL) != SQLITE_OK)
    return sql_fail(store, error, "prepare token");
  sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, label, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, g_get_real_time() / 1000);
  return run_now(store, st, "insert token", error);
}

char *
wb_store_check_token(WbStore *store, const char *token, char **label)
{
  sqlite3_stmt *st = NULL;
  char *role = NULL;

  if (token == NULL || *token == '\0')
    return NULL;
  g_autofree char *hash = token_hash(token);
  /* Looking up a hash leaks nothing useful through timing: an attacker
   * would need a preimage of the stored hash, not a prefix of the token. */
  if (sqlite3_prepare_v2(store->db, "SELECT role, label FROM tokens WHERE token_hash = ?", -1, &st,
                         NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) {
    role = g_strdup((const char *)sqlite3_column_text(st, 0));
    if (label != NULL)
      *label = g_strdup((const char *)sqlite3_column_text(st, 1));
  }
  sqlite3_finalize(st);
  return role;
}

gint64
wb_store_remove_tokens(WbStore *store, const char *role, const char *label, GError **error)
{
  sqlite3_stmt *st = NULL;

  if (sqlite3_prepare_v2(store->db, "DELETE FROM tokens WHERE role = ? AND label = ?", -1, &st,
                         NULL) != SQLITE_OK) {
    sql_fail(store, error, "prepare token removal");
    return -1;
  }
  sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, label, -1, SQLITE_STATIC);
  if (!run_now(store, st, "remove tokens", error))
    return -1;
  return sqlite3_changes(store->db);
}

gboolean
wb_store_foreach_token(WbStore *store, WbStoreTokenFunc func, gpointer user_data, GError **error)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if (sqlite3_prepare_v2(store->db,
                         "SELECT role, label, created_ms FROM tokens ORDER BY role, label", -1, &st,
                         NULL) != SQLITE_OK)
    return sql_fail(store, error, "prepare token list");
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    func((const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
         sqlite3_column_int64(st, 2), user_data);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return sql_fail(store, error, "token list");
  return TRUE;
}

void
wb_store_stats(WbStore *store, WbStoreStats *out)
{
  *out = store->stats;
}

gint64
wb_store_count(WbStore *store, const char *table)
{
  static const char *const allowed[] = {
      "events",        "calls",        "quarantine",  "collector_positions",
      "agent_states",  "intervals",    "tokens",      "sources",
      "staff",         "roster",       "punches",     "training",
      "exams",         "qa",           "workorders",  "complaints",
      "acd_snapshots", "call_classes", "report_runs", "report_texts"};
  sqlite3_stmt *st = NULL;
  gint64 n = -1;

  for (gsize i = 0; i < G_N_ELEMENTS(allowed); i++) {
    if (strcmp(allowed[i], table) != 0)
      continue;
    g_autofree char *sql = g_strdup_printf("SELECT count(*) FROM %s", table);
    if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  return n;
}

gboolean
wb_store_put_span(WbStore *store, const WbAgentSpan *span, GError **error)
{
  if (!ensure_tx(store, error))
    return FALSE;
  sqlite3_stmt *st = store->stmt[STMT_PUT_SPAN];
  sqlite3_bind_text(st, 1, span->agent, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, span->start_ms);
  sqlite3_bind_int64(st, 3, span->end_ms);
  sqlite3_bind_text(st, 4, wb_agent_state_name(span->state), -1, SQLITE_STATIC);
  bind_text_or_null(st, 5, span->reason);
  return step_done(store, st, "put agent state", error);
}

gboolean
wb_store_put_interval(WbStore *store, const WbIntervalRow *row, GError **error)
{
  if (!ensure_tx(store, error))
    return FALSE;
  sqlite3_stmt *st = store->stmt[STMT_PUT_INTERVAL];
  const gint64 *counts = (const gint64 *)&row->counts;
  const gint64 *times = (const gint64 *)&row->time;
  int col = 1;
  sqlite3_bind_int(st, col++, row->key.size_min);
  sqlite3_bind_text(st, col++, row->key.scope, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, col++, row->key.start_ms);
  sqlite3_bind_int(st, col++, row->sl_threshold_s);
  for (int i = 0; i < INTERVAL_COUNTS; i++)
    sqlite3_bind_int64(st, col++, counts[i]);
  for (int i = 0; i < INTERVAL_TIMES; i++)
    sqlite3_bind_int64(st, col++, times[i]);
  g_autofree char *key = interval_max_key(row->key.size_min, row->key.scope);
  gint64 *max = g_hash_table_lookup(store->interval_max, key);
  if (max == NULL)
    g_hash_table_insert(store->interval_max, g_steal_pointer(&key),
                        g_memdup2(&row->key.start_ms, sizeof(gint64)));
  else if (*max < row->key.start_ms)
    *max = row->key.start_ms;
  return step_done(store, st, "put interval", error);
}

static void
read_interval_row(sqlite3_stmt *st, WbIntervalRow *row)
{
  gint64 *counts = (gint64 *)&row->counts;
  gint64 *times = (gint64 *)&row->time;
  int col = 0;

  memset(row, 0, sizeof(*row));
  row->key.size_min = sqlite3_column_int(st, col++);
  column_str(st, col++, row->key.scope, sizeof(row->key.scope));
  row->key.start_ms = sqlite3_column_int64(st, col++);
  row->sl_threshold_s = sqlite3_column_int(st, col++);
  for (int i = 0; i < INTERVAL_COUNTS; i++)
    counts[i] = sqlite3_column_int64(st, col++);
  for (int i = 0; i < INTERVAL_TIMES; i++)
    times[i] = sqlite3_column_int64(st, col++);
}

gboolean
wb_store_get_interval(WbStore *store, const WbIntervalKey *key, WbIntervalRow *out)
{
  sqlite3_stmt *st = store->stmt[STMT_GET_INTERVAL];
  gboolean found = FALSE;
  g_autofree char *max_key = interval_max_key(key->size_min, key->scope);
  gint64 *max = g_hash_table_lookup(store->interval_max, max_key);

  /* A backfill or a new day asks for rows that cannot exist yet. */
  if (max == NULL || key->start_ms > *max)
    return FALSE;
  sqlite3_bind_int(st, 1, key->size_min);
  sqlite3_bind_text(st, 2, key->scope, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, key->start_ms);
  if (sqlite3_step(st) == SQLITE_ROW) {
    read_interval_row(st, out);
    found = TRUE;
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return found;
}

gboolean
wb_store_foreach_interval(WbStore *store, gint size_min, const char *scope, gint64 from_ms,
                          gint64 to_ms, WbStoreIntervalFunc func, gpointer user_data,
                          GError **error)
{
  sqlite3_stmt *st = NULL;
  const char *sql = "SELECT * FROM intervals WHERE size_min = ? AND scope = ?"
                    " AND start_ms >= ? AND start_ms < ? ORDER BY start_ms";
  int rc;

  if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
    return sql_fail(store, error, "prepare intervals query");
  sqlite3_bind_int(st, 1, size_min);
  sqlite3_bind_text(st, 2, scope, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, from_ms);
  sqlite3_bind_int64(st, 4, to_ms);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    WbIntervalRow row;
    read_interval_row(st, &row);
    func(&row, user_data);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return sql_fail(store, error, "intervals query");
  return TRUE;
}

/* Longest a state period is looked back for: a weekend offline. */
#define SPAN_LOOKBACK_MS (8 * 86400 * 1000LL)

gboolean
wb_store_foreach_agent_span(WbStore *store, const char *agent, gint64 from_ms, gint64 to_ms,
                            WbStoreSpanFunc func, gpointer user_data, GError **error)
{
  sqlite3_stmt *st = NULL;
  const char *sql = "SELECT agent, state, reason, start_ms, end_ms FROM agent_states"
                    " WHERE start_ms >= ?1 AND start_ms < ?3 AND end_ms > ?2"
                    " AND (?4 IS NULL OR agent = ?4) ORDER BY start_ms, agent";
  int rc;

  if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
    return sql_fail(store, error, "prepare agent states query");
  sqlite3_bind_int64(st, 1, from_ms - SPAN_LOOKBACK_MS);
  sqlite3_bind_int64(st, 2, from_ms);
  sqlite3_bind_int64(st, 3, to_ms);
  if (agent != NULL)
    sqlite3_bind_text(st, 4, agent, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    char key[WB_EVENT_ID_MAX], state[32], reason[WB_EVENT_TEXT_MAX];
    column_str(st, 0, key, sizeof(key));
    column_str(st, 1, state, sizeof(state));
    column_str(st, 2, reason, sizeof(reason));
    WbAgentSpan span = {key, wb_agent_state_from_name(state), reason, sqlite3_column_int64(st, 3),
                        sqlite3_column_int64(st, 4)};
    func(&span, user_data);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return sql_fail(store, error, "agent states query");
  return TRUE;
}

gboolean
wb_store_ring_noanswers(WbStore *store, const char *queue, gint64 from_ms, gint64 to_ms,
                        GHashTable *per_agent, gint64 *total, GError **error)
{
  sqlite3_stmt *st = NULL;
  const char *sql = "SELECT agent, count(*) FROM events WHERE type = 'call.ring_noanswer'"
                    " AND ts_ms >= ?1 AND ts_ms < ?2 AND (?3 IS NULL OR queue = ?3)"
                    " GROUP BY agent";
  int rc;

  *total = 0;
  if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
    return sql_fail(store, error, "prepare ring-no-answer query");
  sqlite3_bind_int64(st, 1, from_ms);
  sqlite3_bind_int64(st, 2, to_ms);
  if (queue != NULL)
    sqlite3_bind_text(st, 3, queue, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *agent = (const char *)sqlite3_column_text(st, 0);
    gint64 n = sqlite3_column_int64(st, 1);
    *total += n;
    if (per_agent != NULL && agent != NULL)
      g_hash_table_insert(per_agent, g_strdup(agent), g_memdup2(&n, sizeof(n)));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return sql_fail(store, error, "ring-no-answer query");
  return TRUE;
}

gint64
wb_store_max_event_id(WbStore *store)
{
  return query_int(store, "SELECT max(id) FROM events WHERE ?1 = ?1", 0, 0);
}

gboolean
wb_store_event_span(WbStore *store, gint64 after_id, gint64 *first_ms, gint64 *last_ms)
{
  sqlite3_stmt *st = NULL;
  gboolean found = FALSE;

  /* A range of ids, read in id order: no time index needed. */
  if (sqlite3_prepare_v2(store->db, "SELECT min(ts_ms), max(ts_ms) FROM events WHERE id > ?", -1,
                         &st, NULL) != SQLITE_OK)
    return FALSE;
  sqlite3_bind_int64(st, 1, after_id);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
    *first_ms = sqlite3_column_int64(st, 0);
    *last_ms = sqlite3_column_int64(st, 1);
    found = TRUE;
  }
  sqlite3_finalize(st);
  return found;
}

GPtrArray *
wb_store_interval_scopes(WbStore *store, gint size_min, gint64 from_ms, gint64 to_ms)
{
  sqlite3_stmt *st = NULL;
  GPtrArray *scopes = g_ptr_array_new_with_free_func(g_free);

  if (sqlite3_prepare_v2(store->db,
                         "SELECT DISTINCT scope FROM intervals WHERE size_min = ?"
                         " AND start_ms >= ? AND start_ms < ? ORDER BY scope",
                         -1, &st, NULL) != SQLITE_OK)
    return scopes;
  sqlite3_bind_int(st, 1, size_min);
  sqlite3_bind_int64(st, 2, from_ms);
  sqlite3_bind_int64(st, 3, to_ms);
  while (sqlite3_step(st) == SQLITE_ROW)
    g_ptr_array_add(scopes, g_strdup((const char *)sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  return scopes;
}
