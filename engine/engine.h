/* engine.h: the daemon's shared context.
 *
 * One per process, made by main.c and passed to the server, the API and the
 * topics: everything they read lives here, nothing in file-scope globals.
 */
#pragma once

#include <glib.h>

#include "collectors/collector.h"
#include "engine/bus.h"
#include "engine/clock.h"
#include "engine/config.h"
#include "engine/live.h"
#include "engine/store.h"

G_BEGIN_DECLS

typedef struct {
  WbConfig *cfg;
  GTimeZone *tz;
  WbClock clock;
  WbStore *store;
  WbLive *live;
  WbBus *bus;
  GPtrArray *collectors; /* WbCollector* */
  gboolean demo;
  gint64 started_us; /* monotonic */
  char *state_dir;
} WbEngine;

G_END_DECLS
