/* bus.c: collectors -> privacy -> store -> live model -> derived rows. */
#define G_LOG_DOMAIN "bus"

#include "engine/bus.h"

#include "engine/records.h"

#include <sodium.h>
#include <string.h>

struct WbBus {
  WbSink sink; /* first: the sink callbacks cast back to the bus */
  WbStore *store;
  WbLive *live;
  WbIntervals *intervals;
  GBytes *caller_key;
  gboolean replaying;
  guint flush_id;
  /* Derived rows changed in the open batch, written once each at commit:
   * a call's three or four events cost one `calls` write. */
  GHashTable *calls; /* "call_id\037seq" -> WbCallRecord* */
  GArray *spans;     /* WbAgentSpan with owned strings */
  /* The open batch as it came in, kept until it is committed: when a
   * commit fails, the store drops the batch but the collectors have moved
   * on, so the bus writes it again, whole, at the next attempt. */
  GPtrArray *held;        /* WbEvent*, in arrival order */
  GHashTable *held_keys;  /* "source\037source_pos" of held events */
  GPtrArray *held_lines;  /* WbQuarantined* with owned strings */
  GHashTable *positions;  /* source -> const WbPosition*, as noted */
  gboolean failing;       /* the held batch is not in the store */
  gint64 last_attempt_us; /* monotonic time of the last failed commit */
  WbBusStats stats;
};

/* While the store cannot commit, events wait in memory (about 1.3 KiB
 * each): 100,000 is days of a hotline's traffic. Beyond it they are
 * dropped and counted. A failed batch is tried again at most once per
 * RETRY_US, however often a flush is asked for. */
#define HOLD_MAX 100000
#define RETRY_US G_USEC_PER_SEC

static void
note_error(WbBus *bus, const GError *error)
{
  bus->stats.store_errors++;
  bus->stats.errors_since_commit++;
  /* One line per distinct failure, not one per event of a full disk. */
  if (strcmp(bus->stats.last_error, error->message) != 0)
    g_warning("%s", error->message);
  g_strlcpy(bus->stats.last_error, error->message, sizeof(bus->stats.last_error));
}

static void
protect_caller(WbBus *bus, WbEvent *ev)
{
  gsize key_len = 0;
  const guint8 *key = g_bytes_get_data(bus->caller_key, &key_len);

  if (ev->caller_raw[0] == '\0')
    return;
  wb_caller_mask(ev->caller_raw, ev->caller_mask, sizeof(ev->caller_mask));
  wb_caller_hash(key, key_len, ev->caller_raw, ev->caller_hash, sizeof(ev->caller_hash));
  sodium_memzero(ev->caller_raw, sizeof(ev->caller_raw));
}

/* ---- what the live model derives ---- */

static void
on_call_changed(const WbCallChange *change, gpointer user_data)
{
  WbBus *bus = user_data;
  const WbCallRecord *c = change->entry_after;

  if (bus->replaying)
    return;
  char key[WB_EVENT_ID_MAX + 16];
  g_snprintf(key, sizeof(key), "%s\037%d", c->call_id, c->seq);
  WbCallRecord *kept = g_hash_table_lookup(bus->calls, key);
  if (kept != NULL)
    *kept = *c;
  else
    g_hash_table_insert(bus->calls, g_strdup(key), g_memdup2(c, sizeof(*c)));
  wb_intervals_call_change(bus->intervals, change);
}

static void
span_clear(gpointer p)
{
  WbAgentSpan *s = p;
  g_free((char *)s->agent);
  g_free((char *)s->reason);
}

static void
on_agent_span(const WbAgentSpan *span, gpointer user_data)
{
  WbBus *bus = user_data;

  if (bus->replaying)
    return;
  WbAgentSpan copy = *span;
  copy.agent = g_strdup(span->agent);
  copy.reason = g_strdup(span->reason);
  g_array_append_val(bus->spans, copy);
  wb_intervals_agent_span(bus->intervals, span);
}

static void
on_ring_noanswer(const char *agent, const char *queue, gint64 ts_ms, gpointer user_data)
{
  WbBus *bus = user_data;
  (void)queue;
  if (!bus->replaying)
    wb_intervals_ring_noanswer(bus->intervals, agent, ts_ms);
}

static gboolean
load_interval(const WbIntervalKey *key, WbIntervalRow *out, gpointer user_data)
{
  WbBus *bus = user_data;
  return wb_store_get_interval(bus->store, key, out);
}

static gboolean
write_interval(const WbIntervalRow *row, gpointer user_data)
{
  WbBus *bus = user_data;
  g_autoptr(GError) error = NULL;
  if (wb_store_put_interval(bus->store, row, &error))
    return TRUE;
  note_error(bus, error);
  return FALSE;
}

static void
held_line_free(gpointer p)
{
  WbQuarantined *q = p;
  g_free((char *)q->source);
  g_free((char *)q->file);
  g_free((char *)q->reason);
  g_free((char *)q->line);
  g_free(q);
}

static char *
held_key(const WbEvent *ev)
{
  return g_strdup_printf("%s\037%" G_GINT64_FORMAT, ev->source, ev->source_pos);
}

/* Keeps a copy of an event of the open batch. */
static gboolean
hold(WbBus *bus, const WbEvent *ev)
{
  if (bus->held->len >= HOLD_MAX) {
    if (bus->stats.dropped++ == 0)
      g_critical("the store has not committed for %u events: later events are dropped until "
                 "it can (free disk space)",
                 HOLD_MAX);
    return FALSE;
  }
  g_ptr_array_add(bus->held, g_memdup2(ev, sizeof(*ev)));
  g_hash_table_add(bus->held_keys, held_key(ev));
  return TRUE;
}

static void
forget_batch(WbBus *bus)
{
  g_ptr_array_set_size(bus->held, 0);
  g_hash_table_remove_all(bus->held_keys);
  g_ptr_array_set_size(bus->held_lines, 0);
  g_hash_table_remove_all(bus->positions);
  g_hash_table_remove_all(bus->calls);
  g_array_set_size(bus->spans, 0);
}

/* The store dropped the open batch: from now on events are only held,
 * and the next flush writes the whole batch again. */
static void
start_failing(WbBus *bus)
{
  wb_store_rollback(bus->store);
  bus->failing = TRUE;
  bus->stats.commit_failed = TRUE;
  bus->last_attempt_us = g_get_monotonic_time();
}

/* Writes the held batch again into a fresh transaction, in the order it
 * came: events (and the records they carry), quarantined lines and the
 * collectors' positions. */
static gboolean
rewrite_batch(WbBus *bus, GError **error)
{
  GHashTableIter it;
  gpointer value;

  for (guint i = 0; i < bus->held->len; i++) {
    const WbEvent *ev = g_ptr_array_index(bus->held, i);
    g_autoptr(GError) local = NULL;
    int rc = wb_store_append_event(bus->store, ev, error);
    if (rc < 0)
      return FALSE;
    if (rc == 1 && wb_event_is_record(ev->type) && !wb_records_apply(bus->store, ev, &local))
      note_error(bus, local);
  }
  for (guint i = 0; i < bus->held_lines->len; i++)
    if (!wb_store_quarantine(bus->store, g_ptr_array_index(bus->held_lines, i), error))
      return FALSE;
  g_hash_table_iter_init(&it, bus->positions);
  while (g_hash_table_iter_next(&it, NULL, &value))
    wb_store_note_position(bus->store, value);
  return TRUE;
}

/* Writes the derived rows of the batch, then commits it with the
 * collectors' positions. On failure nothing is forgotten: the batch and
 * its derived rows are written again at the next attempt. */
static gboolean
commit(WbBus *bus, GError **error)
{
  GHashTableIter it;
  gpointer value;

  if (bus->failing && !rewrite_batch(bus, error))
    goto failed;
  g_hash_table_iter_init(&it, bus->calls);
  while (g_hash_table_iter_next(&it, NULL, &value))
    if (!wb_store_put_call(bus->store, value, error))
      goto failed;
  for (guint i = 0; i < bus->spans->len; i++)
    if (!wb_store_put_span(bus->store, &g_array_index(bus->spans, WbAgentSpan, i), error))
      goto failed;
  if (!wb_intervals_flush(bus->intervals, write_interval, bus)) {
    g_set_error(error, WB_STORE_ERROR, 0, "%s", bus->stats.last_error);
    goto failed;
  }
  if (!wb_store_commit(bus->store, error))
    goto failed;
  if (bus->failing)
    g_message("the store commits again: %u held events stored", bus->held->len);
  bus->failing = FALSE;
  forget_batch(bus);
  wb_intervals_committed(bus->intervals);
  return TRUE;

failed:
  start_failing(bus);
  return FALSE;
}

/* ---- the collectors' sink ---- */

/* A new event while the batch is only held: it is new if neither the
 * batch nor the store has it (the store can still be read). */
static gboolean
held_is_new(WbBus *bus, const WbEvent *ev)
{
  g_autofree char *key = held_key(ev);
  return !g_hash_table_contains(bus->held_keys, key) &&
         !wb_store_has_event(bus->store, ev->source, ev->source_pos);
}

static gboolean
sink_event(WbSink *sink, WbEvent *ev)
{
  WbBus *bus = (WbBus *)sink;
  g_autoptr(GError) error = NULL;

  protect_caller(bus, ev);
  if (!bus->failing) {
    int rc = wb_store_append_event(bus->store, ev, &error);
    if (rc == 0)
      return FALSE;
    if (rc < 0) {
      note_error(bus, error);
      g_clear_error(&error);
      start_failing(bus);
    }
  } else if (!held_is_new(bus, ev)) {
    return FALSE;
  }
  if (!hold(bus, ev))
    return FALSE;
  if (!wb_event_is_record(ev->type)) {
    wb_live_apply(bus->live, ev);
    return TRUE;
  }
  /* A record the table cannot take is still an event kept: the failure
   * is counted and logged, and the batch goes on. While failing, records
   * reach their tables when the batch is written again. */
  if (!bus->failing && !wb_records_apply(bus->store, ev, &error))
    note_error(bus, error);
  return TRUE;
}

static void
sink_quarantine(WbSink *sink, const WbQuarantined *q)
{
  WbBus *bus = (WbBus *)sink;
  g_autoptr(GError) error = NULL;

  g_debug("quarantine: %s line %" G_GINT64_FORMAT ": %s", q->file, q->line_no, q->reason);
  WbQuarantined *copy = g_new(WbQuarantined, 1);
  *copy = *q;
  copy->source = g_strdup(q->source);
  copy->file = g_strdup(q->file);
  copy->reason = g_strdup(q->reason);
  copy->line = g_memdup2(q->line, q->line_len);
  g_ptr_array_add(bus->held_lines, copy);
  if (bus->failing)
    return;
  if (!wb_store_quarantine(bus->store, q, &error)) {
    note_error(bus, error);
    start_failing(bus);
  }
}

static void
sink_checkpoint(WbSink *sink, const WbPosition *pos)
{
  WbBus *bus = (WbBus *)sink;
  g_autoptr(GError) error = NULL;

  g_hash_table_replace(bus->positions, (gpointer)pos->source, (gpointer)pos);
  if (bus->failing)
    return;
  wb_store_note_position(bus->store, pos);
  /* Only here, between lines, is a batch complete: commit when full. */
  if (wb_store_batch_full(bus->store))
    wb_bus_flush(bus, &error);
}

static gboolean
sink_resume(WbSink *sink, const char *source, WbPosition *out)
{
  WbBus *bus = (WbBus *)sink;
  return wb_store_load_position(bus->store, source, out);
}

WbBus *
wb_bus_new(WbStore *store, WbLive *live, const WbConfig *cfg, GTimeZone *tz, GBytes *caller_key)
{
  static const WbLiveListener listener = {
      .call_changed = on_call_changed,
      .agent_span = on_agent_span,
      .ring_noanswer = on_ring_noanswer,
  };
  WbBus *bus = g_new0(WbBus, 1);

  bus->sink.event = sink_event;
  bus->sink.quarantine = sink_quarantine;
  bus->sink.checkpoint = sink_checkpoint;
  bus->sink.resume = sink_resume;
  bus->store = store;
  bus->live = live;
  bus->caller_key = g_bytes_ref(caller_key);
  bus->intervals = wb_intervals_new(cfg, tz, load_interval, bus);
  bus->calls = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  bus->spans = g_array_new(FALSE, FALSE, sizeof(WbAgentSpan));
  g_array_set_clear_func(bus->spans, span_clear);
  bus->held = g_ptr_array_new_with_free_func(g_free);
  bus->held_keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  bus->held_lines = g_ptr_array_new_with_free_func(held_line_free);
  bus->positions = g_hash_table_new(g_str_hash, g_str_equal);
  wb_live_set_listener(live, &listener, bus);
  return bus;
}

void
wb_bus_free(WbBus *bus)
{
  if (bus == NULL)
    return;
  if (bus->flush_id != 0)
    g_source_remove(bus->flush_id);
  wb_live_set_listener(bus->live, NULL, NULL);
  wb_intervals_free(bus->intervals);
  g_hash_table_unref(bus->calls);
  g_array_unref(bus->spans);
  g_ptr_array_unref(bus->held);
  g_hash_table_unref(bus->held_keys);
  g_ptr_array_unref(bus->held_lines);
  g_hash_table_unref(bus->positions);
  g_bytes_unref(bus->caller_key);
  g_free(bus);
}

WbSink *
wb_bus_sink(WbBus *bus)
{
  return &bus->sink;
}

static void
replay_one(const WbEvent *ev, gpointer user_data)
{
  WbBus *bus = user_data;
  if (!wb_event_is_record(ev->type))
    wb_live_apply(bus->live, ev);
}

gboolean
wb_bus_replay(WbBus *bus, gint64 since_ms, gint64 min_events, guint64 *n_events, GError **error)
{
  WbLiveStats before, after;

  wb_live_stats(bus->live, &before);
  bus->replaying = TRUE;
  gboolean ok = wb_store_replay(bus->store, since_ms, min_events, replay_one, bus, error);
  bus->replaying = FALSE;
  wb_live_stats(bus->live, &after);
  if (n_events != NULL)
    *n_events = after.applied - before.applied;
  return ok;
}

gboolean
wb_bus_flush(WbBus *bus, GError **error)
{
  GError *local = NULL;

  if (!bus->failing && !wb_store_pending(bus->store) && g_hash_table_size(bus->calls) == 0 &&
      bus->spans->len == 0 && wb_intervals_dirty(bus->intervals) == 0)
    return TRUE;
  if (bus->failing && g_get_monotonic_time() - bus->last_attempt_us < RETRY_US) {
    g_set_error(error, WB_STORE_ERROR, 0, "the store cannot commit (%u events held): %s",
                bus->held->len, bus->stats.last_error);
    return FALSE;
  }
  if (commit(bus, &local)) {
    bus->stats.errors_since_commit = 0;
    bus->stats.commit_failed = FALSE;
    return TRUE;
  }
  bus->stats.commit_failed = TRUE;
  note_error(bus, local);
  g_propagate_error(error, local);
  return FALSE;
}

void
wb_bus_retry_now(WbBus *bus)
{
  bus->last_attempt_us = 0;
}

static gboolean
on_flush(gpointer data)
{
  WbBus *bus = data;
  g_autoptr(GError) error = NULL;

  wb_bus_flush(bus, &error);
  return G_SOURCE_CONTINUE;
}

void
wb_bus_start_flush(WbBus *bus, guint flush_ms)
{
  if (bus->flush_id != 0)
    g_source_remove(bus->flush_id);
  bus->flush_id = g_timeout_add(flush_ms, on_flush, bus);
}

void
wb_bus_stats(WbBus *bus, WbBusStats *out)
{
  *out = bus->stats;
  out->held = bus->failing ? bus->held->len : 0;
}
