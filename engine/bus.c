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
  WbBusStats stats;
};

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

/* Writes the derived rows of the batch, then commits it with the
 * collectors' positions. */
static gboolean
commit(WbBus *bus, GError **error)
{
  GHashTableIter it;
  gpointer value;

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
  g_hash_table_remove_all(bus->calls);
  g_array_set_size(bus->spans, 0);
  wb_intervals_forget(bus->intervals, FALSE);
  return TRUE;

failed:
  /* What memory holds no longer matches the store: interval rows are
   * loaded again from what is committed. */
  wb_store_rollback(bus->store);
  wb_intervals_forget(bus->intervals, TRUE);
  g_hash_table_remove_all(bus->calls);
  g_array_set_size(bus->spans, 0);
  return FALSE;
}

/* ---- the collectors' sink ---- */

static gboolean
sink_event(WbSink *sink, WbEvent *ev)
{
  WbBus *bus = (WbBus *)sink;
  g_autoptr(GError) error = NULL;

  protect_caller(bus, ev);
  int rc = wb_store_append_event(bus->store, ev, &error);
  if (rc < 0) {
    note_error(bus, error);
    return FALSE;
  }
  if (rc == 0)
    return FALSE;
  if (!wb_event_is_record(ev->type)) {
    wb_live_apply(bus->live, ev);
    return TRUE;
  }
  /* A record the table cannot take is still an event kept: the failure
   * is counted and logged, and the batch goes on. */
  if (!wb_records_apply(bus->store, ev, &error))
    note_error(bus, error);
  return TRUE;
}

static void
sink_quarantine(WbSink *sink, const WbQuarantined *q)
{
  WbBus *bus = (WbBus *)sink;
  g_autoptr(GError) error = NULL;

  g_debug("quarantine: %s line %" G_GINT64_FORMAT ": %s", q->file, q->line_no, q->reason);
  if (!wb_store_quarantine(bus->store, q, &error))
    note_error(bus, error);
}

static void
sink_checkpoint(WbSink *sink, const WbPosition *pos)
{
  WbBus *bus = (WbBus *)sink;
  g_autoptr(GError) error = NULL;

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

  if (!wb_store_pending(bus->store) && g_hash_table_size(bus->calls) == 0 && bus->spans->len == 0 &&
      wb_intervals_dirty(bus->intervals) == 0)
    return TRUE;
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
}
