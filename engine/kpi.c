/* kpi.c: call KPI definitions (DESIGN.md section 5).
 *
 * "Within X seconds" is a wait of at most X seconds, everywhere.
 */
#define G_LOG_DOMAIN "kpi"

#include "engine/kpi.h"

#include <math.h>
#include <string.h>

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
wb_kpi_add(WbKpiCounts *k, const WbCallRecord *c, const WbKpiSettings *s)
{
  gint64 threshold_ms = (gint64)s->sl_threshold_s * 1000;
  gboolean is_short = wb_kpi_is_short_abandon(c, s);

  k->offered++;
  if (wb_call_is_answered(c)) {
    k->answered++;
    k->answered_wait_ms += c->wait_ms;
    if (c->outcome != WB_OUTCOME_CONNECTED) {
      k->handled++;
      k->handle_ms += c->talk_ms + c->acw_ms;
    }
  } else if (c->outcome == WB_OUTCOME_ABANDONED) {
    k->abandoned++;
    k->abandoned_wait_ms += c->wait_ms;
    if (is_short)
      k->short_abandons++;
  } else if (c->outcome == WB_OUTCOME_LOST) {
    k->lost++;
  }

  /* A call still waiting has no service-level outcome yet. */
  if (c->outcome == WB_OUTCOME_WAITING || (is_short && s->sl_exclude_short_abandons))
    return;
  k->sl_resolved++;
  if (wb_call_is_answered(c)) {
    k->sl_answered++;
    if (c->wait_ms <= threshold_ms)
      k->sl_answered_within++;
  } else if (c->outcome == WB_OUTCOME_ABANDONED && c->wait_ms <= threshold_ms) {
    k->sl_abandoned_within++;
  }
}

void
wb_kpi_scope_init(WbKpiScope *scope, const char *queue, gint64 from_ms, gint64 to_ms,
                  const WbKpiSettings *settings)
{
  memset(scope, 0, sizeof(*scope));
  scope->queue = queue;
  scope->from_ms = from_ms;
  scope->to_ms = to_ms;
  scope->settings = *settings;
}

void
wb_kpi_scope_add_call(WbKpiScope *scope, const WbCallRecord *entries, guint n)
{
  if (n == 0)
    return;
  if (scope->queue == NULL) {
    if (entries[0].enqueue_ms < scope->from_ms || entries[0].enqueue_ms >= scope->to_ms)
      return;
    WbCallRecord merged;
    wb_call_merge(entries, n, &merged);
    wb_kpi_add(&scope->counts, &merged, &scope->settings);
    return;
  }
  for (guint i = 0; i < n; i++)
    if (strcmp(entries[i].queue, scope->queue) == 0 && entries[i].enqueue_ms >= scope->from_ms &&
        entries[i].enqueue_ms < scope->to_ms)
      wb_kpi_add(&scope->counts, &entries[i], &scope->settings);
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
   "calls that were waiting when the phone system restarted"},
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
      "`QUEUESTART`): offered, not answered, not abandoned.\n"
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
  return g_string_free(s, FALSE);
}
