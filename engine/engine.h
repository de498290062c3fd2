/* engine.h: the engine's shared context.
 *
 * One per process, made by wallboardd or wallboardctl and passed to the
 * server, the API and the topics: everything they read lives here, nothing
 * in file-scope globals. wb_engine_open opens the parts in order (state
 * directory, store, live model, bus) and wb_engine_clear closes them.
 */
#pragma once

#include <glib.h>

#include "collectors/collector.h"
#include "collectors/ingest.h"
#include "engine/bus.h"
#include "engine/clock.h"
#include "engine/config.h"
#include "engine/live.h"
#include "engine/store.h"
#include "rrd/archive.h"

G_BEGIN_DECLS

typedef struct {
  WbConfig *cfg;
  GTimeZone *tz;
  WbClock clock;
  WbStore *store;
  WbLive *live;
  WbBus *bus;
  WbRrdArchive *rrd;         /* NULL when [rrd] enabled is false */
  struct WbAlerts *alerts;   /* the daemon's alert rules (engine/alerts.h); NULL elsewhere */
  struct WbReports *reports; /* the daemon's report runs (engine/report/reports.h); NULL
                                elsewhere */
  struct WbTopics *topics;   /* the server's WebSocket topics (engine/topics.h); NULL
                                elsewhere */
  GPtrArray *collectors;     /* WbCollector* */
  WbIngest *ingest;          /* the JSON ingest API's collector, in collectors */
  gboolean demo;
  guint logins_checking; /* passwords being checked on worker threads (api_auth.c) */
  gint64 started_us;     /* monotonic */
  char *state_dir;
  int lock_fd; /* held by the one writer of the state directory */
} WbEngine;

/* The state directory: [store] state_dir, $STATE_DIRECTORY, ./wallboard-state. */
char *wb_engine_state_dir(const WbConfig *cfg);
/* Opens everything after e->cfg (and e->state_dir, if set). A writer takes
 * the state directory's lock: one daemon or import at a time. */
gboolean wb_engine_open(WbEngine *e, gboolean writer, GError **error);
/* Rebuilds the live model from the store (e->clock says what today is). */
gboolean wb_engine_rebuild(WbEngine *e, GError **error);
/* Has every polling collector read what its sources hold now. */
void wb_engine_read_sources(WbEngine *e);
void wb_engine_clear(WbEngine *e);

G_END_DECLS
