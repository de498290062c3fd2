/* bus.h: where events go.
 *
 * The bus is the collectors' sink. For each event it hides the caller
 * number (hash and mask, raw digits wiped), stores it, and only if it is new
 * hands it to the live model, whose changed `calls` rows go into the same
 * batch. Positions and quarantined lines join the batch too, which the bus
 * commits every flush interval.
 */
#pragma once

#include <glib.h>

#include "collectors/collector.h"
#include "engine/live.h"
#include "engine/store.h"

G_BEGIN_DECLS

typedef struct WbBus WbBus;

typedef struct {
  guint64 store_errors;
  char last_error[256];
} WbBusStats;

/* store and live are borrowed. caller_key is the install's secret for
 * caller hashes (copied). */
WbBus *wb_bus_new(WbStore *store, WbLive *live, GBytes *caller_key);
void wb_bus_free(WbBus *bus);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbBus, wb_bus_free)

WbSink *wb_bus_sink(WbBus *bus);
/* Rebuilds the live model from the stored events since since_ms, and at
 * least the last min_events of them (calls still open, agents' states),
 * writing nothing: the rows it derives are already stored. */
gboolean wb_bus_replay(WbBus *bus, gint64 since_ms, gint64 min_events, guint64 *n_events,
                       GError **error);
/* Commits every flush_ms on the thread-default main context. */
void wb_bus_start_flush(WbBus *bus, guint flush_ms);
gboolean wb_bus_flush(WbBus *bus, GError **error);
void wb_bus_stats(WbBus *bus, WbBusStats *out);

G_END_DECLS
