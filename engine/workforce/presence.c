/* presence.c: spans of presence from punches and agent sessions.
 *
 * Punches: an "in" lasts until the next "out". Time clocks that do not
 * know the direction (ZKTeco exports state 255 for every punch, stored as
 * "unknown") are paired alternately in, out, in, out: pairing by calendar
 * day would cut a night shift (19:00 to 08:00) in two. A missed punch
 * would flip every later pair, so pairing starts afresh after a gap longer
 * than the cap, which every day off provides. An "in" that finds no "out"
 * within the cap ends at the cap.
 *
 * Agent sessions: agent.login .. agent.logout of the same agent, per
 * queue as the live model counts them (engine/live.c): logged in while
 * logged in to any queue; a logout without a queue ends them all. A
 * session still open ends at now.
 */
#define G_LOG_DOMAIN "presence"

#include "engine/workforce/presence.h"

#include <string.h>

#include "engine/store_private.h"

/* The partial index events_agent_sessions (store migration 4) is used
 * only when the query repeats its condition word for word. */
static const char sql_sessions[] = "SELECT agent, ts_ms, type, queue FROM events"
                                   " WHERE type IN ('agent.login','agent.logout') AND ts_ms < ?1"
                                   " ORDER BY agent, ts_ms, id";
static const char sql_punches[] = "SELECT agent, ts_ms, direction FROM punches"
                                  " WHERE ts_ms >= ?1 AND ts_ms < ?2 ORDER BY agent, ts_ms, device";

typedef struct {
  gint64 from_ms;
  gint64 to_ms;
  guint sources;
} Raw;

typedef struct {
  gint64 from_ms;
  gint64 to_ms;
  gint64 now_ms;
  GHashTable *raw; /* agent -> GArray of Raw */
} Collect;

void
wb_presence_span_free(WbPresenceSpan *span)
{
  if (span == NULL)
    return;
  g_free(span->agent);
  g_free(span);
}

static void
add_raw(Collect *c, const char *agent, gint64 from_ms, gint64 to_ms, guint sources)
{
  /* Clip to the window and to now: nothing after now is presence. */
  from_ms = MAX(from_ms, c->from_ms);
  to_ms = MIN(to_ms, MIN(c->to_ms, c->now_ms));
  if (to_ms <= from_ms)
    return;
  GArray *a = g_hash_table_lookup(c->raw, agent);
  if (a == NULL) {
    a = g_array_new(FALSE, FALSE, sizeof(Raw));
    g_hash_table_insert(c->raw, g_strdup(agent), a);
  }
  Raw r = {from_ms, to_ms, sources};
  g_array_append_val(a, r);
}

/* One agent's punches, in time order, through the pairing rules above. */
typedef struct {
  gint64 open_ms; /* the pending in, or -1 */
  gint64 last_ms; /* the previous punch, or -1 */
} Pairing;

static void
pairing_close(Collect *c, const char *agent, Pairing *p, gint64 end_ms)
{
  if (p->open_ms < 0)
    return;
  add_raw(c, agent, p->open_ms, MIN(end_ms, p->open_ms + WB_PRESENCE_PUNCH_CAP_MS),
          WB_PRESENCE_PUNCH);
  p->open_ms = -1;
}

static void
pairing_punch(Collect *c, const char *agent, Pairing *p, gint64 ts_ms, const char *direction)
{
  gboolean fresh = p->last_ms < 0 || ts_ms - p->last_ms > WB_PRESENCE_PUNCH_CAP_MS;
  gboolean bounce = p->last_ms >= 0 && ts_ms - p->last_ms < WB_PRESENCE_PUNCH_DEBOUNCE_MS;
  p->last_ms = ts_ms;

  if (g_strcmp0(direction, "in") == 0) {
    /* An in while in: the earlier one stands, unless it is past the cap. */
    if (p->open_ms >= 0 && ts_ms - p->open_ms > WB_PRESENCE_PUNCH_CAP_MS)
      pairing_close(c, agent, p, ts_ms);
    if (p->open_ms < 0)
      p->open_ms = ts_ms;
    return;
  }
  if (g_strcmp0(direction, "out") == 0) {
    pairing_close(c, agent, p, ts_ms); /* an out with no in says nothing */
    return;
  }
  /* Unknown direction: a second press moments after the first is one. */
  if (bounce)
    return;
  if (fresh)
    pairing_close(c, agent, p, ts_ms);
  if (p->open_ms < 0)
    p->open_ms = ts_ms;
  else
    pairing_close(c, agent, p, ts_ms);
}

static gboolean
collect_punches(WbStore *store, Collect *c, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, sql_punches, error);
  if (st == NULL)
    return FALSE;
  /* Look back far enough to find a gap that starts the pairing afresh;
   * look ahead for the out of an in before the window's end. */
  sqlite3_bind_int64(st, 1, c->from_ms - WB_PRESENCE_PUNCH_LOOKBACK_MS);
  sqlite3_bind_int64(st, 2, MIN(c->to_ms + WB_PRESENCE_PUNCH_CAP_MS, c->now_ms));
  g_autofree char *agent = NULL;
  Pairing p = {-1, -1};
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *who = (const char *)sqlite3_column_text(st, 0);
    if (who == NULL)
      continue;
    if (agent == NULL || strcmp(agent, who) != 0) {
      if (agent != NULL)
        pairing_close(c, agent, &p, c->now_ms);
      g_free(agent);
      agent = g_strdup(who);
      p = (Pairing){-1, -1};
    }
    pairing_punch(c, agent, &p, sqlite3_column_int64(st, 1),
                  (const char *)sqlite3_column_text(st, 2));
  }
  if (agent != NULL)
    pairing_close(c, agent, &p, c->now_ms);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) {
    g_set_error(error, WB_STORE_ERROR, rc, "presence: reading punches failed: %s",
                sqlite3_errstr(rc));
    return FALSE;
  }
  return TRUE;
}

/* One agent's login state: the queues logged in to. */
typedef struct {
  GHashTable *queues; /* queue -> itself */
  gboolean all;       /* logged in without a queue: all of them */
  gint64 since_ms;
} Session;

static gboolean
session_on(const Session *s)
{
  return s->all || g_hash_table_size(s->queues) > 0;
}

static void
session_event(Collect *c, const char *agent, Session *s, gint64 ts_ms, gboolean login,
              const char *queue)
{
  gboolean was = session_on(s);
  gboolean has_queue = queue != NULL && *queue != '\0';
  if (login) {
    if (has_queue)
      g_hash_table_add(s->queues, g_strdup(queue));
    else
      s->all = TRUE;
    if (!was)
      s->since_ms = ts_ms;
    return;
  }
  if (has_queue)
    g_hash_table_remove(s->queues, queue);
  if (!has_queue || g_hash_table_size(s->queues) == 0) {
    g_hash_table_remove_all(s->queues);
    s->all = FALSE;
  }
  if (was && !session_on(s))
    add_raw(c, agent, s->since_ms, ts_ms, WB_PRESENCE_LOGIN);
}

static gboolean
collect_sessions(WbStore *store, Collect *c, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, sql_sessions, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, MIN(c->to_ms, c->now_ms));
  g_autofree char *agent = NULL;
  g_autoptr(GHashTable) queues = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  Session s = {queues, FALSE, 0};
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *who = (const char *)sqlite3_column_text(st, 0);
    if (who == NULL || *who == '\0')
      continue;
    if (agent == NULL || strcmp(agent, who) != 0) {
      if (agent != NULL && session_on(&s))
        add_raw(c, agent, s.since_ms, c->now_ms, WB_PRESENCE_LOGIN);
      g_free(agent);
      agent = g_strdup(who);
      g_hash_table_remove_all(queues);
      s.all = FALSE;
    }
    const char *type = (const char *)sqlite3_column_text(st, 2);
    session_event(c, agent, &s, sqlite3_column_int64(st, 1), g_strcmp0(type, "agent.login") == 0,
                  (const char *)sqlite3_column_text(st, 3));
  }
  if (agent != NULL && session_on(&s))
    add_raw(c, agent, s.since_ms, c->now_ms, WB_PRESENCE_LOGIN);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) {
    g_set_error(error, WB_STORE_ERROR, rc, "presence: reading agent sessions failed: %s",
                sqlite3_errstr(rc));
    return FALSE;
  }
  return TRUE;
}

static gint
compare_raw(gconstpointer a, gconstpointer b)
{
  const Raw *x = a, *y = b;
  return x->from_ms < y->from_ms ? -1 : x->from_ms > y->from_ms ? 1 : 0;
}

static gint
compare_agents(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One agent's evidence, sorted and merged where it overlaps or touches. */
static void
merge_agent(GPtrArray *out, const char *agent, GArray *raw)
{
  g_array_sort(raw, compare_raw);
  WbPresenceSpan *cur = NULL;
  for (guint i = 0; i < raw->len; i++) {
    const Raw *r = &g_array_index(raw, Raw, i);
    if (cur != NULL && r->from_ms <= cur->to_ms) {
      cur->to_ms = MAX(cur->to_ms, r->to_ms);
      cur->sources |= r->sources;
      continue;
    }
    cur = g_new0(WbPresenceSpan, 1);
    cur->agent = g_strdup(agent);
    cur->from_ms = r->from_ms;
    cur->to_ms = r->to_ms;
    cur->sources = r->sources;
    g_ptr_array_add(out, cur);
  }
}

GPtrArray *
wb_presence_spans(WbStore *store, gint64 from_ms, gint64 to_ms, gint64 now_ms, GError **error)
{
  g_autoptr(GHashTable) raw =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_array_unref);
  Collect c = {from_ms, to_ms, now_ms, raw};
  if (!collect_punches(store, &c, error) || !collect_sessions(store, &c, error))
    return NULL;

  g_autoptr(GPtrArray) agents = g_ptr_array_new();
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, raw);
  while (g_hash_table_iter_next(&it, &key, NULL))
    g_ptr_array_add(agents, key);
  g_ptr_array_sort(agents, compare_agents);
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)wb_presence_span_free);
  for (guint i = 0; i < agents->len; i++) {
    const char *agent = g_ptr_array_index(agents, i);
    merge_agent(out, agent, g_hash_table_lookup(raw, agent));
  }
  return out;
}

gboolean
wb_presence_at(const GPtrArray *spans, const char *agent, gint64 ts_ms)
{
  for (guint i = 0; spans != NULL && i < spans->len; i++) {
    const WbPresenceSpan *s = g_ptr_array_index(spans, i);
    if (s->from_ms <= ts_ms && ts_ms < s->to_ms && strcmp(s->agent, agent) == 0)
      return TRUE;
  }
  return FALSE;
}

gint64
wb_presence_overlap_ms(const GPtrArray *spans, const char *agent, gint64 from_ms, gint64 to_ms)
{
  gint64 total = 0;
  for (guint i = 0; spans != NULL && i < spans->len; i++) {
    const WbPresenceSpan *s = g_ptr_array_index(spans, i);
    if (s->to_ms <= from_ms || s->from_ms >= to_ms || strcmp(s->agent, agent) != 0)
      continue;
    total += MIN(s->to_ms, to_ms) - MAX(s->from_ms, from_ms);
  }
  return total;
}

gboolean
wb_presence_bounds(const GPtrArray *spans, const char *agent, gint64 from_ms, gint64 to_ms,
                   gint64 *first_ms, gint64 *last_ms)
{
  gboolean found = FALSE;
  for (guint i = 0; spans != NULL && i < spans->len; i++) {
    const WbPresenceSpan *s = g_ptr_array_index(spans, i);
    if (s->to_ms <= from_ms || s->from_ms >= to_ms || strcmp(s->agent, agent) != 0)
      continue;
    if (!found && first_ms != NULL)
      *first_ms = s->from_ms;
    if (last_ms != NULL)
      *last_ms = s->to_ms;
    found = TRUE;
  }
  return found;
}
