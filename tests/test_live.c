/* test_live.c: the live model on scripted event streams and a real file. */
#include <math.h>
#include <stdio.h>

#include "collectors/queuelog.h"
#include "engine/clock.h"
#include "engine/live.h"
#include "testutil.h"

#define EPS 1e-6

typedef struct {
  WbConfig *cfg;
  GTimeZone *tz;
  WbLive *live;
  WbAgentMap *map;
  GHashTable *rows; /* "call_id/seq" -> WbCallRecord copy: the `calls` table */
} Model;

static void
on_call(const WbCallChange *change, gpointer user_data)
{
  Model *m = user_data;
  const WbCallRecord *c = change->entry_after;
  g_hash_table_replace(m->rows, g_strdup_printf("%s/%d", c->call_id, c->seq),
                       g_memdup2(c, sizeof(*c)));
}

static void
model_init(Model *m, const char *tz)
{
  m->cfg = wb_config_new_defaults();
  m->tz = g_time_zone_new_identifier(tz);
  m->live = wb_live_new(m->cfg, m->tz);
  m->map = wb_agent_map_new();
  m->rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  static const WbLiveListener listener = {.call_changed = on_call};
  wb_live_set_listener(m->live, &listener, m);
}

static void
model_clear(Model *m)
{
  wb_live_free(m->live);
  wb_config_free(m->cfg);
  g_time_zone_unref(m->tz);
  wb_agent_map_free(m->map);
  g_hash_table_unref(m->rows);
}

/* Feeds queue_log lines (one per string) through the real parser. */
static void
feed(Model *m, const char *const *lines)
{
  for (; *lines != NULL; lines++) {
    WbQueuelogLine out;
    wb_queuelog_parse_line(m->map, "pbx", *lines, strlen(*lines), &out);
    ck_assert_msg(out.result == WB_QUEUELOG_EVENTS, "not an event: %s", *lines);
    for (int i = 0; i < out.n_events; i++)
      wb_live_apply(m->live, &out.events[i]);
  }
}

static void
feed_file(Model *m, const char *name)
{
  g_autofree char *path = test_sample(name);
  g_autofree char *text = NULL;
  gsize len = 0;
  ck_assert(g_file_get_contents(path, &text, &len, NULL));
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l != NULL; l++) {
    WbQueuelogLine out;
    wb_queuelog_parse_line(m->map, "pbx", *l, strlen(*l), &out);
    for (int i = 0; out.result == WB_QUEUELOG_EVENTS && i < out.n_events; i++)
      wb_live_apply(m->live, &out.events[i]);
  }
}

static const WbAgentView *
agent(const WbLiveView *v, const char *key)
{
  for (guint i = 0; i < v->agents->len; i++)
    if (strcmp(g_array_index(v->agents, WbAgentView, i).agent, key) == 0)
      return &g_array_index(v->agents, WbAgentView, i);
  ck_abort_msg("no agent %s", key);
  return NULL;
}

static WbCallRecord *
row(Model *m, const char *key)
{
  WbCallRecord *c = g_hash_table_lookup(m->rows, key);
  ck_assert_msg(c != NULL, "no calls row %s", key);
  return c;
}

/* The production sample, checked against numbers computed from the file
 * with awk: 49 CONNECT lines, 36 with holdtime <= 15, holdtimes summing to
 * 962 s, calltimes to 3072 s, one ABANDON after 3 s. */
START_TEST(test_production_day)
{
  Model m;
  model_init(&m, "Europe/Bucharest");
  feed_file(&m, "asterisk-production.queue_log");
  gint64 now;
  ck_assert(wb_time_parse(m.tz, "2026-02-11T20:00:00", &now));
  g_autoptr(WbLiveView) v = wb_live_view(m.live, now);
  const WbKpi *k = &v->total.kpi;
  ck_assert_int_eq(k->counts.offered, 50);
  ck_assert_int_eq(k->counts.answered, 49);
  ck_assert_int_eq(k->counts.abandoned, 1);
  ck_assert_int_eq(k->counts.short_abandons, 1);
  ck_assert_double_eq_tol(k->answer_rate, 49.0 / 50.0, EPS);
  ck_assert_double_eq_tol(k->service_level, 36.0 / 49.0, EPS);
  ck_assert_double_eq_tol(k->asa_s, 962.0 / 49.0, EPS);
  ck_assert_double_eq_tol(k->aht_s, 3072.0 / 49.0, EPS);
  ck_assert_double_eq_tol(k->avg_abandon_wait_s, 3.0, EPS);
  ck_assert_int_eq(v->total.waiting, 0);
  ck_assert_int_eq(v->queues->len, 1);
  WbQueueView *q = &g_array_index(v->queues, WbQueueView, 0);
  ck_assert_str_eq(q->queue, "comenzi");
  ck_assert_int_eq(q->kpi.counts.offered, 50);
  /* Two agents, static members (never logged in), now idle. */
  ck_assert_int_eq(agent(v, "telefon5")->state, WB_AGENT_AVAILABLE);
  ck_assert_int_eq(agent(v, "telefon5")->calls + agent(v, "telefony")->calls, 49);
  ck_assert_int_eq(g_hash_table_size(m.rows), 50);
  /* The next day shows none of it. */
  g_autoptr(WbLiveView) next = wb_live_view(m.live, now + 86400 * 1000LL);
  ck_assert_int_eq(next->total.kpi.counts.offered, 0);
  ck_assert(isnan(next->total.kpi.service_level));
  model_clear(&m);
}
END_TEST

START_TEST(test_agent_states_and_acw)
{
  Model m;
  model_init(&m, "UTC");
  const char *lines[] = {
      "1700000000|MANAGER|q1|PJSIP/8001|ADDMEMBER|",
      "1700000010|NONE|q1|8001|PAUSE|小休",
      "1700000100|NONE|q1|8001|UNPAUSE|",
      "1700000200|1.1|q1|NONE|ENTERQUEUE||13812345678|1",
      "1700000206|1.1|q1|8001|CONNECT|6|1.2|2",
      NULL,
  };
  feed(&m, lines);
  g_autoptr(WbLiveView) v1 = wb_live_view(m.live, 1700000207000);
  ck_assert_int_eq(agent(v1, "8001")->state, WB_AGENT_ON_CALL);
  ck_assert_int_eq(agent(v1, "8001")->since_ms, 1700000206000);
  ck_assert_int_eq(v1->agents_by_state[WB_AGENT_ON_CALL], 1);

  const char *more[] = {
      "1700000306|1.1|q1|8001|COMPLETEAGENT|6|100|1",
      "1700000307|NONE|NONE|8001|PAUSEALL|话后整理",
      "1700000307|NONE|q1|8001|PAUSE|话后整理",
      NULL,
  };
  feed(&m, more);
  g_autoptr(WbLiveView) v2 = wb_live_view(m.live, 1700000310000);
  ck_assert_int_eq(agent(v2, "8001")->state, WB_AGENT_ACW);
  ck_assert_str_eq(agent(v2, "8001")->reason, "话后整理");
  ck_assert_int_eq(agent(v2, "8001")->since_ms, 1700000307000);

  const char *done[] = {"1700000347|NONE|q1|8001|UNPAUSE|", NULL};
  feed(&m, done);
  /* 40 s of wrap-up belong to the call: AHT = (100 + 40) / 1. */
  ck_assert_int_eq(row(&m, "1.1/0")->acw_ms, 40000);
  g_autoptr(WbLiveView) v3 = wb_live_view(m.live, 1700000350000);
  ck_assert_int_eq(agent(v3, "8001")->state, WB_AGENT_AVAILABLE);
  ck_assert_double_eq_tol(agent(v3, "8001")->aht_s, 140.0, EPS);
  ck_assert_double_eq_tol(v3->total.kpi.aht_s, 140.0, EPS);
  ck_assert_int_eq(agent(v3, "8001")->calls, 1);

  /* A plain pause shows its reason; a new reason restarts the clock. */
  const char *pause[] = {"1700000400|NONE|q1|8001|PAUSE|培训", "1700000500|NONE|q1|8001|PAUSE|用餐",
                         NULL};
  feed(&m, pause);
  g_autoptr(WbLiveView) v4 = wb_live_view(m.live, 1700000501000);
  ck_assert_int_eq(agent(v4, "8001")->state, WB_AGENT_PAUSED);
  ck_assert_str_eq(agent(v4, "8001")->reason, "用餐");
  ck_assert_int_eq(agent(v4, "8001")->since_ms, 1700000500000);
  ck_assert_int_eq(row(&m, "1.1/0")->acw_ms, 40000);

  const char *out[] = {"1700000600|MANAGER|q1|PJSIP/8001|REMOVEMEMBER|", NULL};
  feed(&m, out);
  g_autoptr(WbLiveView) v5 = wb_live_view(m.live, 1700000601000);
  ck_assert_int_eq(agent(v5, "8001")->state, WB_AGENT_OFFLINE);
  ck_assert_str_eq(agent(v5, "8001")->reason, "");
  model_clear(&m);
}
END_TEST

START_TEST(test_waiting_now)
{
  Model m;
  model_init(&m, "UTC");
  const char *lines[] = {
      "1700000000|1.1|policy|NONE|ENTERQUEUE||13800000001|1",
      "1700000010|2.1|policy|NONE|ENTERQUEUE||13800000002|2",
      "1700000020|3.1|progress|NONE|ENTERQUEUE||13800000003|1",
      "1700000030|2.1|policy|8002|CONNECT|20|2.2|1",
      NULL,
  };
  feed(&m, lines);
  g_autoptr(WbLiveView) v = wb_live_view(m.live, 1700000040000);
  ck_assert_int_eq(v->total.waiting, 2);
  ck_assert_double_eq_tol(v->total.longest_wait_s, 40.0, EPS);
  ck_assert_int_eq(v->queues->len, 2);
  const WbQueueView *policy = &g_array_index(v->queues, WbQueueView, 0);
  const WbQueueView *progress = &g_array_index(v->queues, WbQueueView, 1);
  ck_assert_str_eq(policy->queue, "policy");
  ck_assert_int_eq(policy->waiting, 1);
  ck_assert_double_eq_tol(policy->longest_wait_s, 40.0, EPS);
  ck_assert_int_eq(progress->waiting, 1);
  ck_assert_double_eq_tol(progress->longest_wait_s, 20.0, EPS);
  ck_assert_int_eq(v->total.kpi.counts.offered, 3);
  ck_assert_int_eq(v->total.kpi.counts.answered, 1);
  /* A call waiting half a day lost its exit line: not waiting now. */
  g_autoptr(WbLiveView) later = wb_live_view(m.live, 1700000000000 + 13 * 3600 * 1000LL);
  ck_assert_int_eq(later->total.waiting, 0);
  model_clear(&m);
}
END_TEST

START_TEST(test_duplicates_and_orphans)
{
  Model m;
  model_init(&m, "UTC");
  feed_file(&m, "freepbx-edited-fixture.queue_log");
  WbLiveStats st;
  wb_live_stats(m.live, &st);
  /* Six repeated ENTERQUEUE lines of a call already over. */
  ck_assert_int_eq(st.duplicates, 6);
  /* CONNECT and COMPLETE lines of calls whose entry is not in the file. */
  ck_assert_int_eq(st.orphans, 6);
  ck_assert_int_eq(g_hash_table_size(m.rows), 2);
  WbCallRecord *c = row(&m, "1546015415.757927/0");
  ck_assert_int_eq(c->outcome, WB_OUTCOME_COMPLETED);
  ck_assert_int_eq(c->ring_noanswers, 3);
  ck_assert_int_eq(c->talk_ms, 122000);
  ck_assert_str_eq(c->agent, "Paty Marin");
  model_clear(&m);
}
END_TEST

START_TEST(test_reentry_and_backwards_time)
{
  Model m;
  model_init(&m, "UTC");
  const char *lines[] = {
      /* Interleaved: a later call's lines before an earlier call's end. */
      "1700000000|1.1|q1|NONE|ENTERQUEUE||13800000001|1",
      "1700000100|2.1|q1|NONE|ENTERQUEUE||13800000002|1",
      "1700000005|1.1|q1|8001|CONNECT|5|1.2|1",
      "1700000101|2.1|q1|8002|CONNECT|1|2.2|1",
      "1700000090|1.1|q1|8001|COMPLETECALLER|5|85|1",
      /* Call 1 enters the queue again after its first visit. */
      "1700000200|1.1|q1|NONE|ENTERQUEUE||13800000001|1",
      "1700000230|1.1|q1|NONE|EXITWITHTIMEOUT|1|1|30",
      NULL,
  };
  feed(&m, lines);
  ck_assert_int_eq(row(&m, "1.1/0")->outcome, WB_OUTCOME_COMPLETED);
  ck_assert_int_eq(row(&m, "1.1/1")->outcome, WB_OUTCOME_ABANDONED);
  ck_assert_int_eq(row(&m, "1.1/1")->abandon_reason, WB_ABANDON_TIMEOUT);
  ck_assert_int_eq(row(&m, "2.1/0")->outcome, WB_OUTCOME_CONNECTED);
  g_autoptr(WbLiveView) v = wb_live_view(m.live, 1700000300000);
  /* Two calls in the total, the re-entry counted in the queue. */
  ck_assert_int_eq(v->total.kpi.counts.offered, 2);
  ck_assert_int_eq(v->total.kpi.counts.answered, 2);
  ck_assert_int_eq(g_array_index(v->queues, WbQueueView, 0).kpi.counts.offered, 3);
  model_clear(&m);
}
END_TEST

START_TEST(test_source_restart)
{
  Model m;
  model_init(&m, "UTC");
  const char *lines[] = {
      "1700000000|1.1|q1|NONE|ENTERQUEUE||13800000001|1",
      "1700000010|2.1|q1|NONE|ENTERQUEUE||13800000002|2",
      "1700000012|2.1|q1|8001|CONNECT|2|2.2|1",
      "1700000050|NONE|NONE|NONE|QUEUESTART|",
      NULL,
  };
  feed(&m, lines);
  ck_assert_int_eq(row(&m, "1.1/0")->outcome, WB_OUTCOME_LOST);
  ck_assert_int_eq(row(&m, "1.1/0")->wait_ms, 50000);
  ck_assert_int_eq(row(&m, "2.1/0")->outcome, WB_OUTCOME_COMPLETED);
  ck_assert_int_eq(row(&m, "2.1/0")->ended_by, WB_ENDED_BY_SYSTEM);
  ck_assert_int_eq(row(&m, "2.1/0")->talk_ms, 38000);
  g_autoptr(WbLiveView) v = wb_live_view(m.live, 1700000060000);
  ck_assert_int_eq(v->total.waiting, 0);
  ck_assert_int_eq(v->total.kpi.counts.lost, 1);
  ck_assert_int_eq(agent(v, "8001")->state, WB_AGENT_AVAILABLE);
  model_clear(&m);
}
END_TEST

/* Applies a source.sync of `source` at ts_ms (call_id NULL: the sweep). */
static void
sync_event(Model *m, const char *source, gint64 ts_ms, const char *call_id, const char *queue)
{
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_SOURCE_SYNC);
  ev.ts_ms = ts_ms;
  WB_EVENT_SET(&ev, source, source, -1);
  WB_EVENT_SET(&ev, call_id, call_id != NULL ? call_id : "", -1);
  WB_EVENT_SET(&ev, queue, queue != NULL ? queue : "", -1);
  wb_live_apply(m->live, &ev);
}

/* After a gap the phone system tells who still waits: the callers it
 * confirms keep waiting, the others of that source end as lost at the
 * round's time; calls in talk, later entries and other sources are left
 * alone; a second round needs its own confirmations. */
START_TEST(test_source_sync)
{
  Model m;
  model_init(&m, "UTC");
  const char *lines[] = {
      "1700000000|1.1|q1|NONE|ENTERQUEUE||13800000001|1",
      "1700000005|1.2|q1|NONE|ENTERQUEUE||13800000002|2",
      "1700000008|1.3|q2|NONE|ENTERQUEUE||13800000003|1",
      "1700000010|2.1|q1|NONE|ENTERQUEUE||13800000004|3",
      "1700000012|2.1|q1|8001|CONNECT|2|2.2|1",
      NULL,
  };
  feed(&m, lines);
  /* Another source's caller, waiting since before the round. */
  WbEvent other;
  wb_event_init(&other, WB_EVENT_CALL_ENQUEUE);
  other.ts_ms = 1700000001000;
  WB_EVENT_SET(&other, source, "ami:other:5038", -1);
  WB_EVENT_SET(&other, call_id, "9.1", -1);
  WB_EVENT_SET(&other, queue, "q1", -1);
  wb_live_apply(m.live, &other);

  /* Round 1 at 100 s: 1.2 still waits in q1, 1.3 in any queue; 7.7 is a
   * caller we never saw enter; a confirmation of 1.1 in the wrong queue
   * does not keep it. */
  gint64 t1 = 1700000100000;
  sync_event(&m, "pbx", t1, "1.2", "q1");
  sync_event(&m, "pbx", t1, "1.3", NULL);
  sync_event(&m, "pbx", t1, "7.7", "q1");
  sync_event(&m, "pbx", t1, "1.1", "q2");
  /* An entry after the round's time was not in its list: kept. */
  const char *late[] = {"1700000101|3.1|q1|NONE|ENTERQUEUE||13800000005|4", NULL};
  feed(&m, late);
  sync_event(&m, "pbx", t1, NULL, NULL);

  ck_assert_int_eq(row(&m, "1.1/0")->outcome, WB_OUTCOME_LOST);
  ck_assert_int_eq(row(&m, "1.1/0")->end_ms, t1);
  ck_assert_int_eq(row(&m, "1.1/0")->wait_ms, 100000);
  ck_assert_int_eq(row(&m, "1.2/0")->outcome, WB_OUTCOME_WAITING);
  ck_assert_int_eq(row(&m, "1.3/0")->outcome, WB_OUTCOME_WAITING);
  ck_assert_int_eq(row(&m, "2.1/0")->outcome, WB_OUTCOME_CONNECTED);
  ck_assert_int_eq(row(&m, "3.1/0")->outcome, WB_OUTCOME_WAITING);
  ck_assert_int_eq(row(&m, "9.1/0")->outcome, WB_OUTCOME_WAITING);
  ck_assert_ptr_null(g_hash_table_lookup(m.rows, "7.7/0"));
  g_autoptr(WbLiveView) v1 = wb_live_view(m.live, 1700000110000);
  ck_assert_int_eq(v1->total.waiting, 4); /* 1.2, 1.3, 3.1 and the other source's 9.1 */
  ck_assert_int_eq(agent(v1, "8001")->state, WB_AGENT_ON_CALL);
  /* Lost: offered, neither answered nor abandoned. */
  ck_assert_int_eq(v1->total.kpi.counts.offered, 6);
  ck_assert_int_eq(v1->total.kpi.counts.lost, 1);
  ck_assert_int_eq(v1->total.kpi.counts.abandoned, 0);
  ck_assert_int_eq(v1->total.kpi.counts.answered, 1);

  /* Round 2 at 200 s confirms only 3.1: the confirmations of round 1 do
   * not count. */
  gint64 t2 = 1700000200000;
  sync_event(&m, "pbx", t2, "3.1", "q1");
  sync_event(&m, "pbx", t2, NULL, NULL);
  ck_assert_int_eq(row(&m, "1.2/0")->outcome, WB_OUTCOME_LOST);
  ck_assert_int_eq(row(&m, "1.2/0")->wait_ms, 195000);
  ck_assert_int_eq(row(&m, "1.3/0")->outcome, WB_OUTCOME_LOST);
  ck_assert_int_eq(row(&m, "3.1/0")->outcome, WB_OUTCOME_WAITING);
  ck_assert_int_eq(row(&m, "9.1/0")->outcome, WB_OUTCOME_WAITING);
  ck_assert_int_eq(row(&m, "1.1/0")->end_ms, t1); /* ended once */
  /* An exit that comes after all (a resent event) changes nothing. */
  const char *again[] = {"1700000150|1.2|q1|NONE|ABANDON|2|2|145", NULL};
  feed(&m, again);
  ck_assert_int_eq(row(&m, "1.2/0")->outcome, WB_OUTCOME_LOST);
  g_autoptr(WbLiveView) v2 = wb_live_view(m.live, 1700000210000);
  ck_assert_int_eq(v2->total.waiting, 2);
  ck_assert_int_eq(v2->total.kpi.counts.offered, 6);
  ck_assert_int_eq(v2->total.kpi.counts.lost, 3);
  ck_assert_int_eq(v2->total.kpi.counts.abandoned, 0);
  ck_assert_int_eq(agent(v2, "8001")->state, WB_AGENT_ON_CALL);
  model_clear(&m);
}
END_TEST

START_TEST(test_configured_names_and_offline_agents)
{
  Model m;
  model_init(&m, "UTC");
  wb_config_add_agent(m.cfg, "8009", "周婷");
  wb_config_add_queue(m.cfg, "progress", "办证进度查询");
  g_autoptr(WbLiveView) v = wb_live_view(m.live, 1700000000000);
  ck_assert_int_eq(v->agents->len, 1);
  ck_assert_str_eq(agent(v, "8009")->name, "周婷");
  ck_assert_int_eq(agent(v, "8009")->state, WB_AGENT_OFFLINE);
  ck_assert_int_eq(v->queues->len, 1);
  ck_assert_str_eq(g_array_index(v->queues, WbQueueView, 0).name, "办证进度查询");
  ck_assert_int_eq(g_array_index(v->queues, WbQueueView, 0).kpi.counts.offered, 0);
  model_clear(&m);
}
END_TEST

START_TEST(test_prune_keeps_today_and_open_calls)
{
  Model m;
  model_init(&m, "UTC");
  const char *lines[] = {
      "1700000000|1.1|q1|NONE|ENTERQUEUE||13800000001|1",
      "1700000010|1.1|q1|NONE|ABANDON|1|1|10",
      "1700000020|2.1|q1|NONE|ENTERQUEUE||13800000002|1",
      NULL,
  };
  feed(&m, lines);
  /* Three days later in the data: the ended call goes, the open one stays a
   * week. */
  const char *later[] = {"1700259200|9.1|q1|NONE|ENTERQUEUE||13800000009|1", NULL};
  feed(&m, later);
  wb_live_prune(m.live);
  const char *end[] = {"1700000030|2.1|q1|NONE|ABANDON|1|1|10",
                       "1700000030|1.1|q1|8001|CONNECT|1|1.2|1", NULL};
  feed(&m, end);
  WbLiveStats st;
  wb_live_stats(m.live, &st);
  ck_assert_int_eq(row(&m, "2.1/0")->outcome, WB_OUTCOME_ABANDONED);
  ck_assert_int_eq(st.orphans, 1);
  model_clear(&m);
}
END_TEST

START_TEST(test_repeat_caller_gap)
{
  Model m;
  model_init(&m, "UTC");
  /* The caller hash stands in for the bus's keyed hash here. */
  const char *lines[] = {
      "1700000000|1.1|q1|NONE|ENTERQUEUE||13800000001|1",
      "1700003600|2.1|q1|NONE|ENTERQUEUE||13800000001|1",
      /* out of order: an earlier call of the same caller arrives late */
      "1699999000|3.1|q1|NONE|ENTERQUEUE||13800000001|1",
      "1700003700|4.1|q1|NONE|ENTERQUEUE||13800000002|1",
      /* the same call in a second queue keeps the call's gap */
      "1700003800|2.1|q2|NONE|ENTERQUEUE||13800000001|1",
      NULL,
  };
  for (const char *const *l = lines; *l != NULL; l++) {
    WbQueuelogLine out;
    wb_queuelog_parse_line(m.map, "pbx", *l, strlen(*l), &out);
    g_strlcpy(out.events[0].caller_hash, out.events[0].caller_raw,
              sizeof(out.events[0].caller_hash));
    wb_live_apply(m.live, &out.events[0]);
  }
  ck_assert_int_eq(row(&m, "1.1/0")->prev_call_gap_ms, -1);
  ck_assert_int_eq(row(&m, "2.1/0")->prev_call_gap_ms, 3600 * 1000LL);
  ck_assert_int_eq(row(&m, "3.1/0")->prev_call_gap_ms, -1);
  ck_assert_int_eq(row(&m, "4.1/0")->prev_call_gap_ms, -1);
  ck_assert_int_eq(row(&m, "2.1/1")->prev_call_gap_ms, 3600 * 1000LL);
  model_clear(&m);
}
END_TEST

static void
keep_span(const WbAgentSpan *span, gpointer data)
{
  g_ptr_array_add(data, g_strdup_printf("%s %s %s %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT,
                                        span->agent, wb_agent_state_name(span->state), span->reason,
                                        span->start_ms / 1000 - 1700000000,
                                        span->end_ms / 1000 - 1700000000));
}

START_TEST(test_agent_spans)
{
  Model m;
  model_init(&m, "UTC");
  g_autoptr(GPtrArray) spans = g_ptr_array_new_with_free_func(g_free);
  WbLiveListener listener = {.agent_span = keep_span};
  wb_live_set_listener(m.live, &listener, spans);
  const char *lines[] = {
      "1700000000|MANAGER|q1|PJSIP/8001|ADDMEMBER|",
      "1700000100|NONE|q1|8001|PAUSE|小休",
      "1700000200|NONE|q1|8001|PAUSE|培训",
      "1700000300|NONE|q1|8001|UNPAUSE|",
      "1700000310|1.1|q1|NONE|ENTERQUEUE||13800000001|1",
      "1700000312|1.1|q1|8001|CONNECT|2|1.2|1",
      "1700000400|1.1|q1|8001|COMPLETEAGENT|2|88|1",
      "1700000400|NONE|q1|8001|PAUSE|话后整理",
      "1700000430|NONE|q1|8001|UNPAUSE|",
      "1700000500|MANAGER|q1|PJSIP/8001|REMOVEMEMBER|",
      NULL,
  };
  feed(&m, lines);
  const char *expected[] = {
      "8001 available  0-100",   "8001 paused 小休 100-200", "8001 paused 培训 200-300",
      "8001 available  300-312", "8001 on_call  312-400",    "8001 acw 话后整理 400-430",
      "8001 available  430-500",
  };
  ck_assert_int_eq(spans->len, G_N_ELEMENTS(expected));
  for (guint i = 0; i < spans->len; i++)
    ck_assert_str_eq(g_ptr_array_index(spans, i), expected[i]);
  /* The state now is open: offline since 500. */
  g_autoptr(GPtrArray) open = g_ptr_array_new_with_free_func(g_free);
  wb_live_foreach_open_span(m.live, 1700000600000, keep_span, open);
  ck_assert_int_eq(open->len, 1);
  ck_assert_str_eq(g_ptr_array_index(open, 0), "8001 offline  500-600");
  model_clear(&m);
}
END_TEST

static Suite *
live_suite(void)
{
  Suite *s = suite_create("live");
  TCase *tc = tcase_create("live");
  tcase_add_test(tc, test_production_day);
  tcase_add_test(tc, test_agent_states_and_acw);
  tcase_add_test(tc, test_waiting_now);
  tcase_add_test(tc, test_duplicates_and_orphans);
  tcase_add_test(tc, test_reentry_and_backwards_time);
  tcase_add_test(tc, test_source_restart);
  tcase_add_test(tc, test_source_sync);
  tcase_add_test(tc, test_configured_names_and_offline_agents);
  tcase_add_test(tc, test_prune_keeps_today_and_open_calls);
  tcase_add_test(tc, test_repeat_caller_gap);
  tcase_add_test(tc, test_agent_spans);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(live_suite());
}
