/* store.h: SQLite storage (DESIGN.md section 4).
 *
 * One writer connection in WAL mode with synchronous=NORMAL. Writes go into
 * an open BEGIN IMMEDIATE transaction that is committed every flush_ms or
 * batch_events events; the collectors' positions are written in the same
 * transaction as their events, so a crash at any instant loses nothing
 * committed and never counts an event twice.
 */
#pragma once

#include <glib.h>

#include "collectors/collector.h"
#include "engine/event.h"
#include "engine/interval.h"
#include "engine/kpi.h"
#include "engine/live.h"

G_BEGIN_DECLS

#define WB_STORE_ERROR (wb_store_error_quark())
GQuark wb_store_error_quark(void);

typedef struct WbStore WbStore;

#define WB_STORE_COMMIT_BUCKETS 10

typedef struct {
  guint64 commits;
  guint64 events;     /* inserted since open */
  guint64 duplicates; /* refused by the unique (source, source_pos) */
  guint64 quarantined;
  gint64 last_commit_us; /* duration of the last commit */
  /* Commit durations: commit_buckets[i] counts those of at most
   * wb_store_commit_bounds()[i] seconds and more than the bound before;
   * the last bucket those beyond every bound. */
  guint64 commit_buckets[WB_STORE_COMMIT_BUCKETS + 1];
  gdouble commit_seconds; /* sum of every commit's duration */
} WbStoreStats;

/* The WB_STORE_COMMIT_BUCKETS upper bounds of the commit duration
 * buckets, in seconds, ascending. */
const gdouble *wb_store_commit_bounds(void);

/* Opens or creates the database and brings its schema up to date. */
WbStore *wb_store_open(const char *path, GError **error);
void wb_store_free(WbStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbStore, wb_store_free)

void wb_store_set_batch(WbStore *store, guint batch_events);
/* How long a statement waits for another connection's write lock before
 * it fails as locked: WB_STORE_BUSY_MS from wb_store_open. */
#define WB_STORE_BUSY_MS 5000
void wb_store_set_busy_timeout(WbStore *store, int ms);
int wb_store_schema_version(WbStore *store);

/* Appends an event. Returns 1 if new, 0 if (source, source_pos) was already
 * stored, -1 with error set on failure. */
int wb_store_append_event(WbStore *store, const WbEvent *ev, GError **error);
/* TRUE if (source, source_pos) is stored. Only reads: it works when the
 * store cannot write. */
gboolean wb_store_has_event(WbStore *store, const char *source, gint64 source_pos);
/* Inserts or replaces the `calls` row of (call_id, seq). */
gboolean wb_store_put_call(WbStore *store, const WbCallRecord *c, GError **error);
gboolean wb_store_quarantine(WbStore *store, const WbQuarantined *q, GError **error);
/* Remembers where a collector stands; *pos is read at commit (see WbSink). */
void wb_store_note_position(WbStore *store, const WbPosition *pos);
gboolean wb_store_load_position(WbStore *store, const char *source, WbPosition *out);

/* TRUE once the open batch holds batch_events events. */
gboolean wb_store_batch_full(WbStore *store);
/* Commits whatever is pending; on failure the batch is rolled back. */
gboolean wb_store_commit(WbStore *store, GError **error);
/* Drops the open batch. */
void wb_store_rollback(WbStore *store);
gboolean wb_store_pending(WbStore *store);

/* Calls `func`, in the order they were stored, for a suffix of the stored
 * events long enough to hold every event with ts_ms >= since_ms and at least
 * the last min_events events. */
typedef void (*WbStoreEventFunc)(const WbEvent *ev, gpointer user_data);
gboolean wb_store_replay(WbStore *store, gint64 since_ms, gint64 min_events, WbStoreEventFunc func,
                         gpointer user_data, GError **error);

/* Calls `func` once per call that has a queue entry in [from_ms, to_ms),
 * with all its `calls` rows in seq order. Streams: memory stays flat
 * whatever the window. */
typedef void (*WbStoreCallFunc)(const WbCallRecord *entries, guint n, gpointer user_data);
gboolean wb_store_foreach_call(WbStore *store, gint64 from_ms, gint64 to_ms, WbStoreCallFunc func,
                               gpointer user_data, GError **error);

/* An ended agent state (`agent_states`) and an interval row (`intervals`),
 * written into the open batch. */
gboolean wb_store_put_span(WbStore *store, const WbAgentSpan *span, GError **error);
gboolean wb_store_put_interval(WbStore *store, const WbIntervalRow *row, GError **error);
/* The stored row of key, as the open batch sees it; FALSE if none. */
gboolean wb_store_get_interval(WbStore *store, const WbIntervalKey *key, WbIntervalRow *out);

typedef void (*WbStoreIntervalFunc)(const WbIntervalRow *row, gpointer user_data);
/* Rows of one size and scope starting in [from_ms, to_ms), in time order. */
gboolean wb_store_foreach_interval(WbStore *store, gint size_min, const char *scope, gint64 from_ms,
                                   gint64 to_ms, WbStoreIntervalFunc func, gpointer user_data,
                                   GError **error);

typedef void (*WbStoreSpanFunc)(const WbAgentSpan *span, gpointer user_data);
/* Stored agent states that overlap [from_ms, to_ms), of one agent or all
 * (agent NULL), by agent and start. */
gboolean wb_store_foreach_agent_span(WbStore *store, const char *agent, gint64 from_ms,
                                     gint64 to_ms, WbStoreSpanFunc func, gpointer user_data,
                                     GError **error);

/* Ring-no-answer events in [from_ms, to_ms), of one queue or all (NULL):
 * the total, and per agent key into per_agent (key -> gint64*) if given. */
gboolean wb_store_ring_noanswers(WbStore *store, const char *queue, gint64 from_ms, gint64 to_ms,
                                 GHashTable *per_agent, gint64 *total, GError **error);

/* The newest event id (0 if none), and the time span of the events after
 * an id: what an import brought. */
gint64 wb_store_max_event_id(WbStore *store);
gboolean wb_store_event_span(WbStore *store, gint64 after_id, gint64 *first_ms, gint64 *last_ms);
/* The scopes that have rows of a size in [from_ms, to_ms). */
GPtrArray *wb_store_interval_scopes(WbStore *store, gint size_min, gint64 from_ms, gint64 to_ms);

/* Small persistent values: the caller-hash key, … */
GBytes *wb_store_get_setting(WbStore *store, const char *key);
gboolean wb_store_set_setting(WbStore *store, const char *key, GBytes *value, GError **error);

/* Display tokens: stored as SHA-256 hashes only. */
gboolean wb_store_add_token(WbStore *store, const char *token, const char *role, const char *label,
                            GError **error);
/* Returns the role of a valid token, or NULL; its label into *label if
 * label is not NULL. */
char *wb_store_check_token(WbStore *store, const char *token, char **label);
/* Removes the tokens of a role and label; returns how many. */
gint64 wb_store_remove_tokens(WbStore *store, const char *role, const char *label, GError **error);
typedef void (*WbStoreTokenFunc)(const char *role, const char *label, gint64 created_ms,
                                 gpointer user_data);
gboolean wb_store_foreach_token(WbStore *store, WbStoreTokenFunc func, gpointer user_data,
                                GError **error);

void wb_store_stats(WbStore *store, WbStoreStats *out);
gint64 wb_store_count(WbStore *store, const char *table);

G_END_DECLS
