/* bus.h: where events go.
 *
 * The bus is the collectors' sink. For each event it hides the caller
 * number (hash and mask, raw digits wiped), stores it, and only if it is new
 * hands it to the live model. What the model derives (`calls` rows, ended
 * agent states, interval aggregates) is collected and written once per
 * batch, just before the commit that also carries the collectors' positions
 * and quarantined lines: a batch is whole or absent, derived rows included.
 */
#pragma once

#include <glib.h>

#include "collectors/collector.h"
#include "engine/config.h"
#include "engine/interval.h"
#include "engine/live.h"
#include "engine/store.h"

G_BEGIN_DECLS

typedef struct WbBus WbBus;

typedef struct {
  guint64 store_errors;
  /* Failures since the last good commit, and whether the last commit
   * attempt failed: the store cannot commit now (/healthz). */
  guint64 errors_since_commit;
  gboolean commit_failed;
  /* Events kept in memory until the store can commit them again, and
   * those dropped because too many were kept. */
  guint held;
  guint64 dropped;
  char last_error[256];
} WbBusStats;

/* store, live, cfg and tz are borrowed. caller_key is the install's secret
 * for caller hashes (referenced). */
WbBus *wb_bus_new(WbStore *store, WbLive *live, const WbConfig *cfg, GTimeZone *tz,
                  GBytes *caller_key);
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
/* Writes the batch's derived rows and commits it. After a failed commit
 * the events read meanwhile are held (live model updated, store not) and
 * the whole batch is tried again, at most once a second: a flush asked for
 * sooner fails at once. */
gboolean wb_bus_flush(WbBus *bus, GError **error);
/* Lets the next flush try at once (the last one, at shutdown). */
void wb_bus_retry_now(WbBus *bus);
void wb_bus_stats(WbBus *bus, WbBusStats *out);

G_END_DECLS
