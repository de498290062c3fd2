/* kpi.h: the one definition of every call KPI (DESIGN.md section 5).
 *
 * A KPI is a pure function of call records (the rows of `calls`) and the
 * settings of its scope. The wallboard, the REST API and the reports all go
 * through wb_kpi_add and wb_kpi_finish, so one question gets one answer.
 */
#pragma once

#include <glib.h>

#include "engine/config.h"
#include "engine/event.h"

G_BEGIN_DECLS

typedef enum {
  WB_OUTCOME_WAITING = 0, /* in the queue now */
  WB_OUTCOME_CONNECTED,   /* answered, talking */
  WB_OUTCOME_COMPLETED,   /* answered and ended */
  WB_OUTCOME_TRANSFERRED, /* answered and transferred away */
  WB_OUTCOME_ABANDONED,   /* left the queue unanswered (any abandon reason) */
  WB_OUTCOME_LOST,        /* the phone system restarted while it waited */
  WB_OUTCOME_COUNT
} WbOutcome;

const char *wb_outcome_name(WbOutcome outcome);
WbOutcome wb_outcome_from_name(const char *name);

/* One queue entry of one call: a row of `calls`. A call that enters two
 * queues has two records (seq 0 and 1); the total scope merges them. */
typedef struct {
  char call_id[WB_EVENT_ID_MAX];
  gint32 seq;
  char queue[WB_EVENT_ID_MAX];
  char agent[WB_EVENT_ID_MAX];
  char caller_hash[WB_CALLER_HASH_MAX];
  char caller_mask[WB_CALLER_MASK_MAX];
  gint64 enqueue_ms;
  gint64 answer_ms; /* 0: not answered */
  gint64 end_ms;    /* 0: not ended */
  gint64 wait_ms;   /* queue wait until answer or exit; while waiting: 0 */
  gint64 talk_ms;
  gint64 acw_ms; /* after-call work by the answering agent */
  gint32 ring_noanswers;
  gint32 position;
  WbOutcome outcome;
  WbAbandonReason abandon_reason;
  WbEndedBy ended_by;
} WbCallRecord;

static inline gboolean
wb_call_is_answered(const WbCallRecord *c)
{
  return c->outcome == WB_OUTCOME_CONNECTED || c->outcome == WB_OUTCOME_COMPLETED ||
         c->outcome == WB_OUTCOME_TRANSFERRED;
}

/* Merges the queue entries of one call (in seq order) into the record the
 * total scope counts: entered at its first entry, answered if any entry was,
 * waited the sum of its queue waits up to the answer. */
void wb_call_merge(const WbCallRecord *entries, guint n, WbCallRecord *out);

/* Running sums over call records; add calls, then finish. */
typedef struct {
  gint64 offered;
  gint64 answered;
  gint64 abandoned;
  gint64 short_abandons;
  gint64 lost;
  gint64 handled;          /* answered and ended: the AHT base */
  gint64 answered_wait_ms; /* sum of waits of answered calls */
  gint64 abandoned_wait_ms;
  gint64 handle_ms; /* talk + hold + after-call work of handled calls */
  /* Service level, over calls whose outcome is known, short abandons
   * already left out when the settings say so. */
  gint64 sl_resolved;
  gint64 sl_answered;
  gint64 sl_answered_within;
  gint64 sl_abandoned_within;
} WbKpiCounts;

void wb_kpi_add(WbKpiCounts *k, const WbCallRecord *c, const WbKpiSettings *s);
gboolean wb_kpi_is_short_abandon(const WbCallRecord *c, const WbKpiSettings *s);

/* The KPIs of one scope over [from_ms, to_ms), fed call by call. */
typedef struct {
  const char *queue; /* NULL: the total */
  gint64 from_ms, to_ms;
  WbKpiSettings settings;
  WbKpiCounts counts;
} WbKpiScope;

void wb_kpi_scope_init(WbKpiScope *scope, const char *queue, gint64 from_ms, gint64 to_ms,
                       const WbKpiSettings *settings);
/* Adds one call, given as all its queue entries in seq order: the total
 * counts it if its first entry is in the window, a queue each of its own
 * entries in the window. */
void wb_kpi_scope_add_call(WbKpiScope *scope, const WbCallRecord *entries, guint n);

/* A finished KPI set. Rates are fractions 0..1, durations seconds; NAN
 * stands for "no calls" and is written as JSON null, never as 0 or 100 %. */
typedef struct {
  WbKpiCounts counts;
  WbKpiSettings settings;
  gdouble answer_rate;
  gdouble service_level;
  gdouble asa_s;
  gdouble aht_s;
  gdouble avg_abandon_wait_s;
} WbKpi;

void wb_kpi_finish(const WbKpiCounts *k, const WbKpiSettings *s, WbKpi *out);
gdouble wb_kpi_service_level(const WbKpiCounts *k, const WbKpiSettings *s);

/* The registry: one entry per KPI, with labels and formula, for the API
 * (/api/v1/definitions), the docs and the pages. */
typedef struct {
  const char *key;
  const char *unit;
  const char *label_zh;
  const char *label_en;
  const char *formula;
} WbKpiDefinition;

const WbKpiDefinition *wb_kpi_definitions(gsize *n);
/* docs/kpi.md, made from the registry. */
char *wb_kpi_docs_markdown(void);

G_END_DECLS
