/* alerts.h: live alerts for the supervisor (DESIGN.md section 8,
 * docs/alerts.md).
 *
 * A rule watches one metric in one scope (or every scope of a kind,
 * "agent:*"): when `value OP threshold` has held for for_s seconds the
 * rule raises an alert; a raised alert clears once the value is back past
 * the clear threshold (hysteresis: not at the threshold itself) for
 * clear_for_s seconds, or when the scope stops reporting the metric (the
 * agent left after-call work, the work order was closed). Raised and
 * cleared alerts are rows of `alerts`; an open row is picked up again
 * after a restart, never raised twice.
 *
 * Rules ship enabled (wb_alerts_default_rules); an [alert.NAME] group of
 * the configuration changes the default of that NAME key by key, or adds
 * a rule. The engine (wb_alerts_collect) samples every metric from the
 * live model, the store and the collectors; the rule state itself only
 * sees samples (wb_alerts_observe), so it is testable with a fake clock.
 */
#pragma once

#include <glib.h>

#include "engine/config.h"
#include "engine/engine.h"
#include "engine/store.h"

G_BEGIN_DECLS

#define WB_ALERTS_ERROR (wb_alerts_error_quark())
GQuark wb_alerts_error_quark(void);
typedef enum {
  WB_ALERTS_ERROR_INVALID,   /* a bad rule */
  WB_ALERTS_ERROR_NOT_FOUND, /* no alert with that id */
  WB_ALERTS_ERROR_ACKED,     /* already acknowledged */
} WbAlertsError;

typedef enum { WB_ALERT_LT, WB_ALERT_LE, WB_ALERT_GT, WB_ALERT_GE } WbAlertOp;
typedef enum { WB_ALERT_INFO, WB_ALERT_WARNING, WB_ALERT_CRITICAL } WbAlertSeverity;

const char *wb_alert_op_name(WbAlertOp op);
const char *wb_alert_severity_name(WbAlertSeverity s);

typedef struct {
  char *name;
  char *metric;
  char *scope; /* "total", "queue:NAME", "queue:*", "agent:*", "*", … */
  WbAlertOp op;
  gdouble threshold;
  gdouble clear;
  /* threshold and clear relative to the scope's target (service level):
   * "target", "target+0.05". */
  gboolean threshold_target, clear_target;
  gint for_s;
  gint clear_for_s;
  WbAlertSeverity severity;
  gint quiet_start_min; /* -1: no quiet hours */
  gint quiet_end_min;
  gint min_calls; /* window metrics: fewer calls offered give no sample */
  gboolean enabled;
} WbAlertRule;

void wb_alert_rule_free(WbAlertRule *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbAlertRule, wb_alert_rule_free)

/* The metrics, with what they measure (docs/alerts.md). */
typedef struct {
  const char *name;
  const char *label;
  const char *unit; /* "", "s", "min", "%" (a 0..1 fraction shown as percent) */
} WbAlertMetric;
const WbAlertMetric *wb_alert_metrics(guint *n);

/* The rules that ship, enabled, as a GPtrArray of WbAlertRule*;
 * threshold "target" is resolved against cfg where a scope is known. */
GPtrArray *wb_alerts_default_rules(void);
/* The default rules with the [alert.NAME] groups of cfg applied, or NULL
 * with an error naming the group and key. */
GPtrArray *wb_alerts_rules(const WbConfig *cfg, GError **error);

/* Whether ts_ms falls in the rule's quiet hours (local time of tz). */
gboolean wb_alert_rule_quiet_at(const WbAlertRule *r, GTimeZone *tz, gint64 ts_ms);

typedef struct WbAlerts WbAlerts;

/* Loads the rules and the alerts still open in the store (closing those
 * whose rule is gone). store, cfg and tz are borrowed. */
WbAlerts *wb_alerts_new(WbStore *store, const WbConfig *cfg, GTimeZone *tz, gint64 now_ms,
                        GError **error);
void wb_alerts_free(WbAlerts *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbAlerts, wb_alerts_free)

const GPtrArray *wb_alerts_rule_list(WbAlerts *a);

/* One reading of a metric in one scope. subject names the scope for
 * people ("张三", "全部队列"); target is the scope's target for rules
 * relative to it (NAN: none). */
typedef struct {
  const char *scope;
  const char *subject;
  gdouble value;
  gdouble target;
  gint64 calls; /* window metrics: calls offered in the window (min_calls) */
} WbAlertSample;

/* Every reading of metric now: scopes missing from samples have no value
 * (their pending state ends, their raised alerts clear). Metrics not
 * observed keep their state. Raises and clears are written to the store;
 * FALSE when a write failed (the state stays, the next round tries
 * again). */
gboolean wb_alerts_observe(WbAlerts *a, gint64 now_ms, const char *metric,
                           const WbAlertSample *samples, guint n, GError **error);

/* Grows with every raise, clear and acknowledgement. */
guint64 wb_alerts_version(WbAlerts *a);
/* How many alerts are open now. */
guint wb_alerts_open_count(WbAlerts *a);

/* The wallboard's alert banner, as members of b's open object: "alerts",
 * the open alerts (id, rule, scope, severity, raised, message, acked),
 * the most severe first, then the newest, at most WB_ALERTS_BANNER_MAX;
 * "alerts_open", how many are open in all. a NULL: none. The wallboard
 * topic and /api/v1/live carry it, for a display token: messages name a
 * queue or an agent, as the board itself does, never a caller. */
#define WB_ALERTS_BANNER_MAX 10
void wb_alerts_banner_json(WbAlerts *a, JsonBuilder *b);

/* Acknowledges alert id in user's name and writes the audit row. */
gboolean wb_alerts_ack(WbAlerts *a, gint64 id, const char *user, const char *remote, gint64 now_ms,
                       GError **error);

/* The JSON object {"alerts":[…]} of alerts raised in [from_ms, to_ms) or
 * still open (open_only: only those), newest first; also_cleared_since_ms
 * >= 0 adds the alerts cleared since then (the topic's snapshot). */
char *wb_alerts_json(WbAlerts *a, gint64 from_ms, gint64 to_ms, gboolean open_only,
                     gint64 also_cleared_since_ms, GError **error);

/* Samples every metric from the engine and observes it: the live model's
 * every call, the store's (staffing, roster, work orders) every
 * WB_ALERTS_SLOW_MS, the disk every WB_ALERTS_DISK_MS. */
#define WB_ALERTS_SLOW_MS 30000
#define WB_ALERTS_DISK_MS 60000
void wb_alerts_collect(WbAlerts *a, WbEngine *e, gint64 now_ms);
/* Collects every second on the thread-default main context. */
void wb_alerts_start(WbAlerts *a, WbEngine *e);

/* The [alert.NAME] section of docs/configuration.md. */
const char *wb_alerts_config_docs(void);

G_END_DECLS
