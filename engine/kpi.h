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
  WB_OUTCOME_LOST,        /* the phone system restarted while it waited, or it
                             left unseen (source.sync) */
  WB_OUTCOME_COUNT
} WbOutcome;

const char *wb_outcome_name(WbOutcome outcome);
WbOutcome wb_outcome_from_name(const char *name);

/* What an agent is doing (DESIGN.md section 5, agent states). */
typedef enum {
  WB_AGENT_OFFLINE = 0,
  WB_AGENT_AVAILABLE,
  WB_AGENT_RINGING,
  WB_AGENT_ON_CALL,
  WB_AGENT_ACW,
  WB_AGENT_PAUSED,
  WB_AGENT_STATE_COUNT
} WbAgentState;

const char *wb_agent_state_name(WbAgentState state);
WbAgentState wb_agent_state_from_name(const char *name);
const char *wb_agent_state_label_zh(WbAgentState state);
const char *wb_agent_state_label_en(WbAgentState state);

/* How far back a caller's earlier call makes this one a repeat. */
#define WB_REPEAT_SHORT_MS (2 * 3600 * 1000LL)
#define WB_REPEAT_LONG_MS (24 * 3600 * 1000LL)

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
  /* Time since the same caller's previous call entered a queue; -1 when
   * there was none (or the number was withheld). */
  gint64 prev_call_gap_ms;
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
  gint64 transferred;
  /* Repeat calls, over calls whose number is known. */
  gint64 with_caller;
  gint64 repeat_short;   /* within WB_REPEAT_SHORT_MS of the previous */
  gint64 repeat_long;    /* within WB_REPEAT_LONG_MS */
  gint64 ring_noanswers; /* rings the calls' agents let go unanswered */
} WbKpiCounts;

/* Adds a call record (sign 1) or takes it back out (sign -1): a changed
 * record is taken out as it was and added as it is. */
void wb_kpi_add_signed(WbKpiCounts *k, const WbCallRecord *c, const WbKpiSettings *s, int sign);
void wb_kpi_add(WbKpiCounts *k, const WbCallRecord *c, const WbKpiSettings *s);
void wb_kpi_counts_sum(WbKpiCounts *into, const WbKpiCounts *k);

/* Where agents' time went, and the rings each let go unanswered (counted
 * when they happened, not by call). */
typedef struct {
  gint64 state_ms[WB_AGENT_STATE_COUNT];
  gint64 ring_noanswers;
} WbAgentTime;

void wb_agent_time_sum(WbAgentTime *into, const WbAgentTime *t);
/* (talk + after-call work) / (talk + after-call work + available). */
gdouble wb_kpi_occupancy(const WbAgentTime *t);
/* Logged-in time: every state but offline. */
gint64 wb_agent_time_logged_in_ms(const WbAgentTime *t);
gboolean wb_kpi_is_short_abandon(const WbCallRecord *c, const WbKpiSettings *s);

typedef enum {
  WB_SCOPE_TOTAL,
  WB_SCOPE_QUEUE,
  WB_SCOPE_AGENT,
} WbScopeKind;

/* "total", "queue:NAME" or "agent:KEY". */
typedef struct {
  WbScopeKind kind;
  char key[WB_EVENT_ID_MAX]; /* queue name or agent key */
} WbScope;

gboolean wb_scope_parse(const char *text, WbScope *out);
/* Writes "total", "queue:NAME", "agent:KEY". */
void wb_scope_format(const WbScope *scope, char *out, gsize size);

/* The KPIs of one scope over [from_ms, to_ms), fed call by call. */
typedef struct {
  WbScope scope;
  gint64 from_ms, to_ms;
  WbKpiSettings settings;
  WbKpiCounts counts;
} WbKpiScope;

void wb_kpi_scope_init(WbKpiScope *scope, const WbScope *which, gint64 from_ms, gint64 to_ms,
                       const WbKpiSettings *settings);
/* Adds one call, given as all its queue entries in seq order: the total
 * counts it if its first entry is in the window, a queue each of its own
 * entries in the window, an agent each entry it answered in the window. */
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
  gdouble transfer_rate;
  gdouble repeat_rate_2h;
  gdouble repeat_rate_24h;
  /* Agent time, for agent scopes and the team (total). */
  gboolean has_time;
  gboolean offline_known; /* interval rows keep logged-in time only */
  WbAgentTime time;
  gdouble occupancy;
  gdouble utilisation; /* NAN without rostered time */
} WbKpi;

void wb_kpi_finish(const WbKpiCounts *k, const WbKpiSettings *s, WbKpi *out);
/* Adds agent time to a finished KPI set; rostered_ms <= 0 leaves
 * utilisation null. */
void wb_kpi_set_time(WbKpi *kpi, const WbAgentTime *t, gint64 rostered_ms);
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
