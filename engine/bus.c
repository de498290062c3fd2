/* bus.c: collectors -> privacy -> store -> live model. */
#define G_LOG_DOMAIN "bus"

#include "engine/bus.h"

#include <sodium.h>
#include <string.h>

struct WbBus {
  WbSink sink; /* first: the sink callbacks cast back to the bus */
  WbStore *store;
  WbLive *live;
  GBytes *caller_key;
  gboolean replaying;
  guint flush_id;
  WbBusStats stats;
};

static void
note_error(WbBus *bus, const GError *error)
{
  bus->stats.store_errors++;
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
  wb_live_apply(bus->live, ev);
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
  if (!wb_store_maybe_commit(bus->store, &error))
    note_error(bus, error);
}

static gboolean
sink_resume(WbSink *sink, const char *source, WbPosition *out)
{
  WbBus *bus = (WbBus *)sink;
  return wb_store_load_position(bus->store, source, out);
}

static void
on_call_changed(const WbCallRecord *call, gpointer user_data)
{
  WbBus *bus = user_data;
  g_autoptr(GError) error = NULL;

  if (bus->replaying)
    return;
  if (!wb_store_put_call(bus->store, call, &error))
    note_error(bus, error);
}

WbBus *
wb_bus_new(WbStore *store, WbLive *live, GBytes *caller_key)
{
  WbBus *bus = g_new0(WbBus, 1);
  bus->sink.event = sink_event;
  bus->sink.quarantine = sink_quarantine;
  bus->sink.checkpoint = sink_checkpoint;
  bus->sink.resume = sink_resume;
  bus->store = store;
  bus->live = live;
  bus->caller_key = g_bytes_ref(caller_key);
  wb_live_set_call_func(live, on_call_changed, bus);
  return bus;
}

void
wb_bus_free(WbBus *bus)
{
  if (bus == NULL)
    return;
  if (bus->flush_id != 0)
    g_source_remove(bus->flush_id);
  wb_live_set_call_func(bus->live, NULL, NULL);
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
  if (wb_store_commit(bus->store, &local))
    return TRUE;
  note_error(bus, local);
  g_propagate_error(error, local);
  return FALSE;
}

static gboolean
on_flush(gpointer data)
{
  WbBus *bus = data;
  g_autoptr(GError) error = NULL;

  if (wb_store_pending(bus->store))
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
