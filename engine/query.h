/* query.h: KPIs of any scope over any window, from the store.
 *
 * Call metrics come from the `calls` rows whose queue entry falls in the
 * window; agent time from the `agent_states` rows that overlap it, clipped
 * to it, plus the states agents are in now (from the live model, when one is
 * given); ring-no-answers from the stored events. The REST API and
 * wallboardctl both answer through here.
 */
#pragma once

#include <glib.h>

#include "engine/config.h"
#include "engine/kpi.h"
#include "engine/live.h"
#include "engine/store.h"

G_BEGIN_DECLS

typedef struct {
  WbScope scope;
  gint64 from_ms;
  gint64 to_ms;
  WbKpi kpi;
  GHashTable *pause_ms; /* reason -> gint64* ms paused (agent and total scopes) */
} WbQueryResult;

void wb_query_result_clear(WbQueryResult *r);

/* live may be NULL (then states still open are not counted). now_ms bounds
 * the open states. settings NULL: the scope's configured service-level
 * settings; else these (a variant or threshold asked for). */
gboolean wb_query_kpi(WbStore *store, const WbConfig *cfg, WbLive *live, gint64 now_ms,
                      const WbScope *scope, gint64 from_ms, gint64 to_ms,
                      const WbKpiSettings *settings, WbQueryResult *out, GError **error);
/* The scope's configured service-level settings. */
WbKpiSettings wb_query_settings(const WbConfig *cfg, const WbScope *scope);

/* One result per agent seen in the window (calls, states or rings) or
 * configured; a GPtrArray of WbQueryResult*, sorted by agent key. */
GPtrArray *wb_query_agents(WbStore *store, const WbConfig *cfg, WbLive *live, gint64 now_ms,
                           gint64 from_ms, gint64 to_ms, GError **error);

G_END_DECLS
