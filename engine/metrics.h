/* metrics.h: monitoring of the running daemon (docs/protocol.md, GET
 * /metrics and GET /healthz).
 *
 * /metrics is the Prometheus text exposition (format 0.0.4) of aggregates
 * only: collectors, store, archive, WebSocket topics, the live KPIs per
 * queue and in total, agents per state (never per agent), open alerts,
 * report runs and the process. /healthz fails while a problem of
 * wb_metrics_problems stands: a collector silent past the limit of the
 * `collector_silent` alert rule, or a store that cannot commit.
 */
#pragma once

#include <glib.h>

#include "engine/engine.h"

G_BEGIN_DECLS

#define WB_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The exposition text of the engine now (now_ms: the engine's clock). */
char *wb_metrics_text(WbEngine *e, gint64 now_ms);

/* Appends a label value escaped as the format wants (\\, \", \n). */
void wb_metrics_escape_label(GString *out, const char *value);
/* Appends a HELP text escaped as the format wants (\\, \n). */
void wb_metrics_escape_help(GString *out, const char *text);
/* Appends a sample value: shortest exact decimal, NaN, +Inf or -Inf. */
void wb_metrics_append_value(GString *out, gdouble value);

/* One reason /healthz fails. */
typedef struct {
  const char *check; /* "collector_silent" or "store" */
  char *subject;     /* the collector's source, or "store" */
  char *message;
  gdouble silent_s; /* collector_silent: seconds without a line or event; NAN otherwise */
  gdouble limit_s;  /* collector_silent: the rule's limit; NAN otherwise */
} WbMetricsProblem;

void wb_metrics_problem_free(WbMetricsProblem *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbMetricsProblem, wb_metrics_problem_free)

/* What makes the daemon unhealthy now, as WbMetricsProblem*: empty when
 * all is well. */
GPtrArray *wb_metrics_problems(WbEngine *e);

/* Seconds since a collector source's last line or event, or since the
 * daemon started when it has had none: what the `collector_silent` rule
 * watches and what /metrics shows as its last event age. */
gdouble wb_metrics_collector_silence_s(WbEngine *e, gint64 last_event_ms);

G_END_DECLS
