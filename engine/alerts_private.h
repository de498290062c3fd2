/* alerts_private.h: what alerts_collect.c keeps between rounds inside the
 * alerts object. Not a public contract. */
#pragma once

#include "engine/alerts.h"

G_BEGIN_DECLS

typedef struct {
  gint64 slow_at_ms;      /* last read of the store's metrics */
  gint64 disk_at_ms;      /* last look at the disk */
  gboolean errors_known;  /* errors_total has been read once */
  guint64 errors_total;   /* the bus's failed commits when last read */
  GArray *store_errors;   /* gint64 pairs: ts_ms, failures then */
  gboolean rrd_known;     /* rrd_total has been read once */
  guint64 rrd_total;      /* the RRD archive's failed updates when last read */
  GArray *rrd_errors;     /* gint64 pairs: ts_ms, failures then */
  GHashTable *down_since; /* collector source -> gint64* wall ms first seen down */
  guint timer_id;
} WbAlertsCollectState;

WbAlertsCollectState *wb_alerts_collect_state(WbAlerts *a);
/* Makes the rules' states agree with the alerts table again, after a
 * failed commit of the store. */
void wb_alerts_resync(WbAlerts *a, gint64 now_ms);

G_END_DECLS
