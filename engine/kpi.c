/* kpi.c: call KPI definitions (DESIGN.md section 5).
 *
 * "Within X seconds" is a wait of at most X seconds, everywhere.
 */
#define G_LOG_DOMAIN "kpi"

#include "engine/kpi.h"

#include <math.h>
#include <string.h>

#include "engine/workforce/attendance.h"
#include "engine/workforce/coverage.h"
#include "engine/workforce/staffing.h"
#include "engine/workforce/stability.h"
#include "engine/workforce/training.h"

static const char *const outcome_names[WB_OUTCOME_COUNT] = {
    [WB_OUTCOME_WAITING] = "waiting",     [WB_OUTCOME_CONNECTED] = "connected",
    [WB_OUTCOME_COMPLETED] = "completed", [WB_OUTCOME_TRANSFERRED] = "transferred",
    [WB_OUTCOME_ABANDONED] = "abandoned", [WB_OUTCOME_LOST] = "lost",
};

const char *
wb_outcome_name(WbOutcome outcome)
{
  if ((int)outcome < 0 || outcome >= WB_OUTCOME_COUNT)
    return "waiting";
  return outcome_names[outcome];
}

WbOutcome
wb_outcome_from_name(const char *name)
{
  for (int i = 0; i < WB_OUTCOME_COUNT; i++)
    if (name != NULL && strcmp(outcome_names[i], name) == 0)
      return (WbOutcome)i;
  return WB_OUTCOME_WAITING;
}

static const char *const state_names[WB_AGENT_STATE_COUNT] = {"offline", "available", "ringing",
                                                              "on_call", "acw",       "paused"};
static const char *const state_zh[WB_AGENT_STATE_COUNT] = {"离线",   "空闲",     "振铃",
                                                           "通话中", "话后整理", "暂停"};
static const char *const state_en[WB_AGENT_STATE_COUNT] = {"Offline", "Available",       "Ringing",
                                                           "On call", "After-call work", "Paused"};

const char *
wb_agent_state_name(WbAgentState s)
{
  return (int)s >= 0 && s < WB_AGENT_STATE_COUNT ? state_names[s] : "offline";
}

WbAgentState
wb_agent_state_from_name(const char *name)
{
  for (int i = 0; i < WB_AGENT_STATE_COUNT; i++)
    if (g_strcmp0(state_names[i], name) == 0)
      return (WbAgentState)i;
  return WB_AGENT_OFFLINE;
}

const char *
wb_agent_state_label_zh(WbAgentState s)
{
  return (int)s >= 0 && s < WB_AGENT_STATE_COUNT ? state_zh[s] : state_zh[0];
}

const char *
wb_agent_state_label_en(WbAgentState s)
{
  return (int)s >= 0 && s < WB_AGENT_STATE_COUNT ? state_en[s] : state_en[0];
}

gboolean
wb_scope_parse(const char *text, WbScope *out)
{
  memset(out, 0, sizeof(*out));
  if (text == NULL || *text == '\0' || strcmp(text, "total") == 0) {
    out->kind = WB_SCOPE_TOTAL;
    return TRUE;
  }
  const char *key = NULL;
  if (g_str_has_prefix(text, "queue:")) {
    out->kind = WB_SCOPE_QUEUE;
    key = text + 6;
  } else if (g_str_has_prefix(text, "agent:")) {
    out->kind = WB_SCOPE_AGENT;
    key = text + 6;
  }
  if (key == NULL || *key == '\0' || strlen(key) >= sizeof(out->key))
    return FALSE;
  g_strlcpy(out->key, key, sizeof(out->key));
  return TRUE;
}

void
wb_scope_format(const WbScope *scope, char *out, gsize size)
{
  switch (scope->kind) {
  case WB_SCOPE_QUEUE: g_snprintf(out, size, "queue:%s", scope->key); break;
  case WB_SCOPE_AGENT: g_snprintf(out, size, "agent:%s", scope->key); break;
  default: g_strlcpy(out, "total", size); break;
  }
}

void
wb_call_merge(const WbCallRecord *entries, guint n, WbCallRecord *out)
{
  g_return_if_fail(n > 0);

  *out = entries[0];
  out->wait_ms = 0;
  out->talk_ms = 0;
  out->acw_ms = 0;
  out->ring_noanswers = 0;
  out->answer_ms = 0;
  gboolean answered = FALSE;
  for (guint i = 0; i < n; i++) {
    const WbCallRecord *e = &entries[i];
    if (!answered)
      out->wait_ms += e->wait_ms;
    out->talk_ms += e->talk_ms;
    out->acw_ms += e->acw_ms;
    out->ring_noanswers += e->ring_noanswers;
    if (wb_call_is_answered(e) && !answered) {
      answered = TRUE;
      out->answer_ms = e->answer_ms;
      g_strlcpy(out->agent, e->agent, sizeof(out->agent));
    }
  }
  const WbCallRecord *last = &entries[n - 1];
  out->end_ms = last->end_ms;
  out->ended_by = last->ended_by;
  out->abandon_reason = last->abandon_reason;
  if (!answered) {
    out->outcome = last->outcome;
  } else if (last->outcome == WB_OUTCOME_WAITING || last->outcome == WB_OUTCOME_CONNECTED) {
    /* Answered, then back in a queue or still talking: not ended yet. */
    out->outcome = WB_OUTCOME_CONNECTED;
    out->end_ms = 0;
  } else if (wb_call_is_answered(last)) {
    out->outcome = last->outcome;
  } else {
    /* Answered in one queue, later left another unanswered: the caller was
     * served, the call counts as answered and ended. */
    out->outcome = WB_OUTCOME_COMPLETED;
  }
}

gboolean
wb_kpi_is_short_abandon(const WbCallRecord *c, const WbKpiSettings *s)
{
  return c->outcome == WB_OUTCOME_ABANDONED && c->wait_ms <= (gint64)s->short_abandon_s * 1000;
}

void
wb_kpi_add_signed(WbKpiCounts *k, const WbCallRecord *c, const WbKpiSettings *s, int sign)
{
  gint64 threshold_ms = (gint64)s->sl_threshold_s * 1000;
  gboolean is_short = wb_kpi_is_short_abandon(c, s);

  k->offered += sign;
  k->ring_noanswers += sign * c->ring_noanswers;
  if (c->caller_hash[0] != '\0') {
    k->with_caller += sign;
    if (c->prev_call_gap_ms >= 0 && c->prev_call_gap_ms <= WB_REPEAT_SHORT_MS)
      k->repeat_short += sign;
    if (c->prev_call_gap_ms >= 0 && c->prev_call_gap_ms <= WB_REPEAT_LONG_MS)
      k->repeat_long += sign;
  }
  if (wb_call_is_answered(c)) {
    k->answered += sign;
    k->answered_wait_ms += sign * c->wait_ms;
    if (c->outcome != WB_OUTCOME_CONNECTED) {
      k->handled += sign;
      k->handle_ms += sign * (c->talk_ms + c->acw_ms);
    }
    if (c->outcome == WB_OUTCOME_TRANSFERRED)
      k->transferred += sign;
  } else if (c->outcome == WB_OUTCOME_ABANDONED) {
    k->abandoned += sign;
    k->abandoned_wait_ms += sign * c->wait_ms;
    if (is_short)
      k->short_abandons += sign;
  } else if (c->outcome == WB_OUTCOME_LOST) {
    k->lost += sign;
  }

  /* A call still waiting has no service-level outcome yet. */
  if (c->outcome == WB_OUTCOME_WAITING || (is_short && s->sl_exclude_short_abandons))
    return;
  k->sl_resolved += sign;
  if (wb_call_is_answered(c)) {
    k->sl_answered += sign;
    if (c->wait_ms <= threshold_ms)
      k->sl_answered_within += sign;
  } else if (c->outcome == WB_OUTCOME_ABANDONED && c->wait_ms <= threshold_ms) {
    k->sl_abandoned_within += sign;
  }
}

void
wb_kpi_add(WbKpiCounts *k, const WbCallRecord *c, const WbKpiSettings *s)
{
  wb_kpi_add_signed(k, c, s, 1);
}

void
wb_kpi_counts_sum(WbKpiCounts *into, const WbKpiCounts *k)
{
  /* Every member is a gint64 sum. */
  gint64 *dst = (gint64 *)into;
  const gint64 *src = (const gint64 *)k;
  for (gsize i = 0; i < sizeof(*k) / sizeof(gint64); i++)
    dst[i] += src[i];
}

void
wb_agent_time_sum(WbAgentTime *into, const WbAgentTime *t)
{
  for (int i = 0; i < WB_AGENT_STATE_COUNT; i++)
    into->state_ms[i] += t->state_ms[i];
  into->ring_noanswers += t->ring_noanswers;
}

gint64
wb_agent_time_logged_in_ms(const WbAgentTime *t)
{
  gint64 sum = 0;
  for (int i = WB_AGENT_OFFLINE + 1; i < WB_AGENT_STATE_COUNT; i++)
    sum += t->state_ms[i];
  return sum;
}

void
wb_kpi_scope_init(WbKpiScope *scope, const WbScope *which, gint64 from_ms, gint64 to_ms,
                  const WbKpiSettings *settings)
{
  memset(scope, 0, sizeof(*scope));
  scope->scope = *which;
  scope->from_ms = from_ms;
  scope->to_ms = to_ms;
  scope->settings = *settings;
}

void
wb_kpi_scope_add_call(WbKpiScope *scope, const WbCallRecord *entries, guint n)
{
  if (n == 0)
    return;
  if (scope->scope.kind == WB_SCOPE_TOTAL) {
    if (entries[0].enqueue_ms < scope->from_ms || entries[0].enqueue_ms >= scope->to_ms)
      return;
    WbCallRecord merged;
    wb_call_merge(entries, n, &merged);
    wb_kpi_add(&scope->counts, &merged, &scope->settings);
    return;
  }
  for (guint i = 0; i < n; i++) {
    const WbCallRecord *e = &entries[i];
    const char *field = scope->scope.kind == WB_SCOPE_QUEUE ? e->queue : e->agent;
    if (strcmp(field, scope->scope.key) == 0 && e->enqueue_ms >= scope->from_ms &&
        e->enqueue_ms < scope->to_ms)
      wb_kpi_add(&scope->counts, e, &scope->settings);
  }
}

static gdouble
ratio(gint64 num, gint64 den)
{
  return den > 0 ? (gdouble)num / (gdouble)den : NAN;
}

gdouble
wb_kpi_service_level(const WbKpiCounts *k, const WbKpiSettings *s)
{
  switch (s->sl_variant) {
  case WB_SL_OFFERED: return ratio(k->sl_answered_within, k->sl_resolved);
  case WB_SL_IGNORE_ABANDONS:
    return ratio(k->sl_answered_within, k->sl_resolved - k->sl_abandoned_within);
  case WB_SL_POSITIVE_ABANDONS:
    return ratio(k->sl_answered_within + k->sl_abandoned_within, k->sl_resolved);
  case WB_SL_ANSWERED:
  default: return ratio(k->sl_answered_within, k->sl_answered);
  }
}

void
wb_kpi_finish(const WbKpiCounts *k, const WbKpiSettings *s, WbKpi *out)
{
  out->counts = *k;
  out->settings = *s;
  out->answer_rate = ratio(k->answered, k->offered);
  out->service_level = wb_kpi_service_level(k, s);
  out->asa_s = ratio(k->answered_wait_ms, k->answered) / 1000.0;
  out->aht_s = ratio(k->handle_ms, k->handled) / 1000.0;
  out->avg_abandon_wait_s = ratio(k->abandoned_wait_ms, k->abandoned) / 1000.0;
  out->transfer_rate = ratio(k->transferred, k->handled);
  out->repeat_rate_2h = ratio(k->repeat_short, k->with_caller);
  out->repeat_rate_24h = ratio(k->repeat_long, k->with_caller);
  out->has_time = FALSE;
  memset(&out->time, 0, sizeof(out->time));
  out->occupancy = NAN;
  out->utilisation = NAN;
}

gdouble
wb_kpi_occupancy(const WbAgentTime *t)
{
  gint64 busy = t->state_ms[WB_AGENT_ON_CALL] + t->state_ms[WB_AGENT_ACW];
  return ratio(busy, busy + t->state_ms[WB_AGENT_AVAILABLE]);
}

void
wb_kpi_set_time(WbKpi *kpi, const WbAgentTime *t, gint64 rostered_ms)
{
  kpi->has_time = TRUE;
  kpi->offline_known = TRUE;
  kpi->time = *t;
  kpi->occupancy = wb_kpi_occupancy(t);
  kpi->utilisation = ratio(wb_agent_time_logged_in_ms(t), rostered_ms);
}

/* clang-format off */
static const WbKpiDefinition definitions[] = {
  {"offered", "calls", "呼入人工量", "Offered",
   "calls that entered a queue in the window (counted at queue entry)"},
  {"answered", "calls", "接通量", "Answered", "offered calls answered by an agent"},
  {"abandoned", "calls", "放弃量", "Abandoned",
   "offered calls that left the queue unanswered: abandon, timeout, empty, key, withdraw"},
  {"short_abandons", "calls", "短时放弃量", "Short abandons",
   "abandoned with a wait of at most short_abandon_s seconds"},
  {"lost", "calls", "中断量", "Lost",
   "calls that were waiting when the phone system restarted, or that left the queue "
   "while their events were not received (how is not known)"},
  {"handled", "calls", "处理完成量", "Handled", "answered calls that have ended"},
  {"answer_rate", "ratio", "人工接通率", "Answer rate", "answered / offered"},
  {"service_level", "ratio", "N秒接通率", "Service level",
   "variant answered: answered within T / answered; offered: answered within T / "
   "offered; ignore_abandons: answered within T / (offered - abandoned within T); "
   "positive_abandons: (answered within T + abandoned within T) / offered. Counts "
   "calls whose outcome is known; optionally without short abandons"},
  {"asa_s", "seconds", "平均应答时长", "ASA",
   "total queue wait of answered calls / answered"},
  {"aht_s", "seconds", "平均处理时长", "AHT",
   "(talk + hold + after-call work) / handled calls"},
  {"avg_abandon_wait_s", "seconds", "平均放弃等待时长", "Average abandon wait",
   "total queue wait of abandoned calls / abandoned"},
  {"transferred", "calls", "转接量", "Transferred", "answered calls transferred away"},
  {"transfer_rate", "ratio", "转接率", "Transfer rate", "transferred / handled"},
  {"repeat_rate_2h", "ratio", "2小时重复来电率", "Repeat-call rate (2 h)",
   "calls whose caller's previous call entered a queue at most 2 h earlier / calls with a known number"},
  {"repeat_rate_24h", "ratio", "24小时重复来电率", "Repeat-call rate (24 h)",
   "the same within 24 h"},
  {"ring_noanswers", "count", "振铃未接次数", "Ring-no-answers",
   "times an agent was rung and did not answer"},
  {"occupancy", "ratio", "占用率", "Occupancy",
   "(talk + after-call work) / (talk + after-call work + available), over logged-in, "
   "unpaused time"},
  {"utilisation", "ratio", "利用率", "Utilisation",
   "logged-in time / rostered time (null until a roster is held)"},
  {"state_s", "seconds", "状态时长", "Time in state",
   "seconds in each agent state (offline, available, ringing, on_call, acw, paused); "
   "pauses also by reason"},
  {"waiting", "calls", "排队等待", "Calls waiting", "calls in a queue now"},
  {"longest_wait_s", "seconds", "最长等待", "Longest wait",
   "wait so far of the call that has waited longest now"},
};
/* clang-format on */

const WbKpiDefinition *
wb_kpi_definitions(gsize *n)
{
  *n = G_N_ELEMENTS(definitions);
  return definitions;
}

char *
wb_kpi_docs_markdown(void)
{
  GString *s = g_string_new(
      "# KPI definitions\n\n"
      "<!-- Generated by `wallboardd --print-kpi-docs` from the registry in engine/kpi.c;"
      " a test keeps this file in step with it. -->\n\n"
      "One definition each, in `engine/kpi.c`, used by the wallboard, the REST API and the "
      "reports alike (DESIGN.md section 5).\n\n"
      "- **Within X seconds** means a wait of at most X seconds (<= X), everywhere.\n"
      "- **Attribution.** A call belongs to the window in which it entered the queue; a "
      "window's figures are final once its last call has ended. A call that enters several "
      "queues counts once per queue and once in the total; in the total its wait is the sum "
      "of its queue waits up to the answer.\n"
      "- **No calls** gives `null` (shown as \"—\"), never 0 or 100 %.\n"
      "- **Service level** counts the calls whose outcome is known: a call still waiting "
      "joins when it is answered or leaves. The variant (`[kpi] sl_variant`) and threshold "
      "(`[kpi] sl_threshold_s`, default 15 s, per GB/T 33358) are labelled on every value, "
      "and can be set per queue.\n"
      "- **Lost** calls were waiting when the phone system restarted (queue_log "
      "`QUEUESTART`, AMI `FullyBooted`), or left the queue while the AMI connection was "
      "down (the `QueueStatus` at the next login no longer lists them): offered, not "
      "answered, not abandoned.\n"
      "- **AHT** counts talk plus after-call work: a pause whose reason is listed in "
      "`[kpi] wrapup_reasons`, started after a call, belongs to that call. queue_log does "
      "not record hold time.\n\n"
      "| key | unit | 中文 | English | definition |\n|---|---|---|---|---|\n");
  for (gsize i = 0; i < G_N_ELEMENTS(definitions); i++)
    g_string_append_printf(s, "| `%s` | %s | %s | %s | %s |\n", definitions[i].key,
                           definitions[i].unit, definitions[i].label_zh, definitions[i].label_en,
                           definitions[i].formula);
  g_string_append(s, "\nPublished checks, run as tests (`tests/test_kpi.c`): 50 answered "
                     "within 30 s and 80 later, no abandons: 38.5 % (`answered` or "
                     "`ignore_abandons`); 200 answered within 20 s, 100 later, 50 short "
                     "abandons, 50 later abandons, variant `offered` without short "
                     "abandons: 200 / (400 - 50) = 57.14 %.\n");
  /* The people side's definitions, each from its module. */
  g_string_append(s, wb_staffing_docs_markdown());
  g_string_append(s, wb_coverage_docs_markdown());
  g_string_append(s, wb_attendance_docs_markdown());
  g_string_append(s, wb_stability_docs_markdown());
  g_string_append(s, wb_training_docs_markdown());
  return g_string_free(s, FALSE);
}
