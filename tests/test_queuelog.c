/* test_queuelog.c: the queue_log parser and tailer against every event,
 * version difference and quirk of input-formats.md, and the real samples. */
#include <glib/gstdio.h>
#include <unistd.h>

#include "collectors/queuelog.h"
#include "testutil.h"

static void
parse(WbAgentMap *map, const char *line, WbQueuelogLine *out)
{
  wb_queuelog_parse_line(map, "test", line, strlen(line), out);
}

/* ---- one line, one expectation ---- */

typedef struct {
  const char *line;
  WbQueuelogResult result;
  WbEventType type;
  const char *call_id, *queue, *agent;
  gint64 wait_ms, ring_ms, talk_ms;
  int extra; /* per case: position, abandon reason or ended_by */
} Case;

/* clang-format off */
static const Case cases[] = {
  /* ENTERQUEUE of 1.8+ (url|cid|pos), 1.2-1.6 (url|cid), with cid name (20.14+) */
  {"1770799353|1770799347.2652|comenzi|NONE|ENTERQUEUE||0700000001|1", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_ENQUEUE, "1770799347.2652", "comenzi", "", -1, -1, -1, 1},
  {"1200000000|1200000000.1|q1|NONE|ENTERQUEUE||5551234", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_ENQUEUE, "1200000000.1", "q1", "", -1, -1, -1, 0},
  {"1750000000|1750000000.9|q1|NONE|ENTERQUEUE||13812345678|3|Zhang|San", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_ENQUEUE, "1750000000.9", "q1", "", -1, -1, -1, 3},
  /* systemname-prefixed call id */
  {"1706420300|mainserverdss-1706420300.0|500|NONE|ENTERQUEUE||1000|1", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_ENQUEUE, "mainserverdss-1706420300.0", "500", "", -1, -1, -1, 1},
  /* RINGNOANSWER in ms */
  {"1770799935|1770799905.2658|comenzi|SIP/telefon5|RINGNOANSWER|25000", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_RING_NOANSWER, "1770799905.2658", "comenzi", "telefon5", -1, 25000, -1, 0},
  /* CONNECT of 1.6+ (hold|uid|ring s), 1.4 (hold|uid), 1.2 (hold) */
  {"1770799361|1770799347.2652|comenzi|SIP/telefon5|CONNECT|8|1770799353.2653|8",
   WB_QUEUELOG_EVENTS, WB_EVENT_CALL_ANSWER, "1770799347.2652", "comenzi", "telefon5", 8000,
   8000, -1, 0},
  {"1200000010|1200000000.1|q1|Agent/1001|CONNECT|10|1200000000.2", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_ANSWER, "1200000000.1", "q1", "1001", 10000, -1, -1, 0},
  {"1100000010|1100000000.1|q1|Agent/1001|CONNECT|10", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_ANSWER, "1100000000.1", "q1", "1001", 10000, -1, -1, 0},
  /* COMPLETECALLER / COMPLETEAGENT */
  {"1770800073|1770799884.2656|comenzi|SIP/telefon5|COMPLETECALLER|10|174|1",
   WB_QUEUELOG_EVENTS, WB_EVENT_CALL_END, "1770799884.2656", "comenzi", "telefon5", 10000, -1,
   174000, WB_ENDED_BY_CALLER},
  {"1770799397|1770799347.2652|comenzi|SIP/telefon5|COMPLETEAGENT|8|36|1", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_END, "1770799347.2652", "comenzi", "telefon5", 8000, -1, 36000,
   WB_ENDED_BY_AGENT},
  /* transfers: 12+ blind and attended (5 and 6 data fields), 1.6 TRANSFER */
  {"1700000100|1700000000.5|q1|PJSIP/1002|BLINDTRANSFER|8001|from-internal|12|80|2",
   WB_QUEUELOG_EVENTS, WB_EVENT_CALL_TRANSFER, "1700000000.5", "q1", "1002", 12000, -1, 80000,
   WB_ENDED_BY_TRANSFER},
  {"1700000100|1700000000.5|q1|PJSIP/1002|ATTENDEDTRANSFER|BRIDGE|abc-def|12|80|2",
   WB_QUEUELOG_EVENTS, WB_EVENT_CALL_TRANSFER, "1700000000.5", "q1", "1002", 12000, -1, 80000,
   WB_ENDED_BY_TRANSFER},
  {"1700000100|1700000000.5|q1|PJSIP/1002|ATTENDEDTRANSFER|LINK|PJSIP/a-1|PJSIP/b-2|12|80|2",
   WB_QUEUELOG_EVENTS, WB_EVENT_CALL_TRANSFER, "1700000000.5", "q1", "1002", 12000, -1, 80000,
   WB_ENDED_BY_TRANSFER},
  {"1300000100|1300000000.5|q1|SIP/1002|TRANSFER|8001|from-internal|12|80|2",
   WB_QUEUELOG_EVENTS, WB_EVENT_CALL_TRANSFER, "1300000000.5", "q1", "1002", 12000, -1, 80000,
   WB_ENDED_BY_TRANSFER},
  {"1150000100|1150000000.5|q1|SIP/1002|TRANSFER|8001|from-internal", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_TRANSFER, "1150000000.5", "q1", "1002", -1, -1, -1, WB_ENDED_BY_TRANSFER},
  /* caller exits */
  {"1658129459|1658129428.1048|500|NONE|ABANDON|1|1|28", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_ABANDON, "1658129428.1048", "500", "", 28000, -1, -1, WB_ABANDON_ABANDON},
  {"1700000050|1700000000.7|q1|NONE|EXITEMPTY|1|1|50", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_ABANDON, "1700000000.7", "q1", "", 50000, -1, -1, WB_ABANDON_EMPTY},
  {"1700000300|1700000000.7|q1|NONE|EXITWITHTIMEOUT|2|3|300", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_ABANDON, "1700000000.7", "q1", "", 300000, -1, -1, WB_ABANDON_TIMEOUT},
  {"1300000300|1300000000.7|q1|NONE|EXITWITHTIMEOUT|2", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_ABANDON, "1300000000.7", "q1", "", -1, -1, -1, WB_ABANDON_TIMEOUT},
  {"1700000030|1700000000.7|q1|NONE|EXITWITHKEY|15|2|3|30", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_ABANDON, "1700000000.7", "q1", "", 30000, -1, -1, WB_ABANDON_KEY},
  {"1200000030|1200000000.7|q1|NONE|EXITWITHKEY|1|2", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_ABANDON, "1200000000.7", "q1", "", -1, -1, -1, WB_ABANDON_KEY},
  {"1700000040|1700000000.7|q1|NONE|WITHDRAW|1|1|40|moved to|callback", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_ABANDON, "1700000000.7", "q1", "", 40000, -1, -1, WB_ABANDON_WITHDRAW},
  /* ABANDON written with an agent (caller gone when the agent answered) */
  {"1700000040|1700000000.8|q1|SIP/1001|ABANDON|1|1|12", WB_QUEUELOG_EVENTS,
   WB_EVENT_CALL_ABANDON, "1700000000.8", "q1", "1001", 12000, -1, -1, WB_ABANDON_ABANDON},
  /* members */
  {"1655723969|MANAGER|500|SIP/1001|ADDMEMBER|", WB_QUEUELOG_EVENTS, WB_EVENT_AGENT_LOGIN, "",
   "500", "1001", -1, -1, -1, 0},
  {"1655724041|MANAGER|500|SIP/1001|REMOVEMEMBER|", WB_QUEUELOG_EVENTS, WB_EVENT_AGENT_LOGOUT,
   "", "500", "1001", -1, -1, -1, 0},
  {"1700000000|1700000000.3|NONE|1001|AGENTLOGIN|PJSIP/1001-0001", WB_QUEUELOG_EVENTS,
   WB_EVENT_AGENT_LOGIN, "", "", "1001", -1, -1, -1, 0},
  {"1700000900|1700000000.3|NONE|1001|AGENTLOGOFF|PJSIP/1001-0001|900", WB_QUEUELOG_EVENTS,
   WB_EVENT_AGENT_LOGOUT, "", "", "1001", -1, -1, -1, 0},
  {"1200000000|1200000000.3|NONE|Agent/1127|AGENTCALLBACKLOGIN|1127@default",
   WB_QUEUELOG_EVENTS, WB_EVENT_AGENT_LOGIN, "", "", "1127", -1, -1, -1, 0},
  {"1655723969|NONE|NONE|Karthik|UNPAUSEALL|", WB_QUEUELOG_EVENTS, WB_EVENT_AGENT_UNPAUSE, "",
   "", "Karthik", -1, -1, -1, 0},
  {"1655723969|NONE|500|Karthik|PAUSE|Lunch", WB_QUEUELOG_EVENTS, WB_EVENT_AGENT_PAUSE, "",
   "500", "Karthik", -1, -1, -1, 0},
  {"1655723969|NONE|NONE|Karthik|PAUSEALL|Break", WB_QUEUELOG_EVENTS, WB_EVENT_AGENT_PAUSE, "",
   "", "Karthik", -1, -1, -1, 0},
  {"1546015415|1546015415.757927|201|Tania Lissete Flores Zavala|RINGNOANSWER|0",
   WB_QUEUELOG_EVENTS, WB_EVENT_CALL_RING_NOANSWER, "1546015415.757927", "201",
   "Tania Lissete Flores Zavala", -1, 0, -1, 0},
  {"1700000000|1700000000.4|q1|Local/101@from-queue/n|CONNECT|3|1700000000.5|2",
   WB_QUEUELOG_EVENTS, WB_EVENT_CALL_ANSWER, "1700000000.4", "q1", "101", 3000, 2000, -1, 0},
  /* system */
  {"1596191926|NONE|NONE|NONE|QUEUESTART|", WB_QUEUELOG_EVENTS, WB_EVENT_SOURCE_RESTART, "",
   "", "", -1, -1, -1, 0},
  {"1770772742|NONE|NONE|NONE|CONFIGRELOAD|", WB_QUEUELOG_IGNORED, WB_EVENT_NONE},
  {"1546015415|1546015415.757927|201|NONE|DID|+15556667775", WB_QUEUELOG_IGNORED,
   WB_EVENT_NONE},
  {"1658129431|1658129428.1048|500|NONE|DID|", WB_QUEUELOG_IGNORED, WB_EVENT_NONE},
  {"1700000000|1700000000.3|q1|1001|RINGCANCELED|4000", WB_QUEUELOG_IGNORED, WB_EVENT_NONE},
  {"1700000000|NONE|q1|SIP/1001|PENALTY|3", WB_QUEUELOG_IGNORED, WB_EVENT_NONE},
  {"1700000000|NONE|q1|NONE|HEARTBEAT|", WB_QUEUELOG_IGNORED, WB_EVENT_NONE},
  /* unknown and vendor events: skipped, counted */
  {"1700000000|1700000000.3|q1|1001|OUTDIAL|123", WB_QUEUELOG_UNKNOWN, WB_EVENT_NONE},
  {"1700000000|1700000000.3|q1|1001|MYEVENT", WB_QUEUELOG_UNKNOWN, WB_EVENT_NONE},
  /* blank */
  {"", WB_QUEUELOG_BLANK, WB_EVENT_NONE},
  {"\r", WB_QUEUELOG_BLANK, WB_EVENT_NONE},
  /* malformed: quarantined */
  {"garbage", WB_QUEUELOG_MALFORMED, WB_EVENT_NONE},
  {"1700000000|x|y|z", WB_QUEUELOG_MALFORMED, WB_EVENT_NONE},
  {"17000000xx|1.1|q|NONE|ENTERQUEUE||1|1", WB_QUEUELOG_MALFORMED, WB_EVENT_NONE},
  {"12|1.1|q|NONE|ENTERQUEUE||1|1", WB_QUEUELOG_MALFORMED, WB_EVENT_NONE},
  {"1700000000|1.1|q|NONE||x", WB_QUEUELOG_MALFORMED, WB_EVENT_NONE},
  {"1700000000|1.1|q|SIP/1|CONNECT|abc|1.2|3", WB_QUEUELOG_MALFORMED, WB_EVENT_NONE},
  {"1700000000|1.1|q|SIP/1|CONNECT|", WB_QUEUELOG_MALFORMED, WB_EVENT_NONE},
  {"1700000000|1.1|q|SIP/1|COMPLETECALLER|3|x|1", WB_QUEUELOG_MALFORMED, WB_EVENT_NONE},
  {"1700000000|NONE|q|NONE|ENTERQUEUE||1|1", WB_QUEUELOG_MALFORMED, WB_EVENT_NONE},
  {"1700000000|1.1|NONE|NONE|ENTERQUEUE||1|1", WB_QUEUELOG_MALFORMED, WB_EVENT_NONE},
  {"1700000000|1.1|q|SIP/1|RINGNOANSWER|soon", WB_QUEUELOG_MALFORMED, WB_EVENT_NONE},
  {"1700000000|1.1|q|NONE|ABANDON|1|1|forever", WB_QUEUELOG_MALFORMED, WB_EVENT_NONE},
  {"1700000000|1.1|q|SIP/1|BLINDTRANSFER|8001|ctx", WB_QUEUELOG_MALFORMED, WB_EVENT_NONE},
  {"1700000000|NONE|q|NONE|PAUSE|x", WB_QUEUELOG_MALFORMED, WB_EVENT_NONE},
};
/* clang-format on */

START_TEST(test_case)
{
  const Case *c = &cases[_i];
  WbQueuelogLine out;
  parse(NULL, c->line, &out);
  ck_assert_msg(out.result == c->result, "'%s': result %d, expected %d (%s)", c->line, out.result,
                c->result, out.reason != NULL ? out.reason : "");
  if (c->result == WB_QUEUELOG_MALFORMED) {
    ck_assert_ptr_nonnull(out.reason);
    return;
  }
  if (c->result != WB_QUEUELOG_EVENTS)
    return;
  ck_assert_int_ge(out.n_events, 1);
  const WbEvent *ev = &out.events[0];
  ck_assert_msg(ev->type == c->type, "'%s': type %s", c->line, wb_event_type_name(ev->type));
  ck_assert_str_eq(ev->call_id, c->call_id);
  ck_assert_str_eq(ev->queue, c->queue);
  ck_assert_str_eq(ev->agent, c->agent);
  ck_assert_str_eq(ev->source, "test");
  if (ev->type >= WB_EVENT_CALL_ENQUEUE && ev->type <= WB_EVENT_CALL_TRANSFER) {
    ck_assert_int_eq(ev->wait_ms, c->wait_ms);
    ck_assert_int_eq(ev->ring_ms, c->ring_ms);
    ck_assert_int_eq(ev->talk_ms, c->talk_ms);
  }
  if (ev->type == WB_EVENT_CALL_ENQUEUE)
    ck_assert_int_eq(ev->position, c->extra);
  if (ev->type == WB_EVENT_CALL_ABANDON)
    ck_assert_int_eq(ev->abandon_reason, c->extra);
  if (ev->type == WB_EVENT_CALL_END || ev->type == WB_EVENT_CALL_TRANSFER)
    ck_assert_int_eq(ev->ended_by, c->extra);
  ck_assert_int_eq(ev->ts_ms % 1000, 0);
}
END_TEST

START_TEST(test_fields_details)
{
  WbQueuelogLine out;

  /* Caller number taken raw here; the bus hashes it before storage. */
  parse(NULL, "1770799353|1770799347.2652|comenzi|NONE|ENTERQUEUE||0700000001|1", &out);
  ck_assert_str_eq(out.events[0].caller_raw, "0700000001");
  ck_assert_int_eq(out.events[0].ts_ms, 1770799353000LL);
  /* Restricted caller ids carry no number. */
  parse(NULL, "1770799353|1.2|q|NONE|ENTERQUEUE||anonymous|1", &out);
  ck_assert_str_eq(out.events[0].caller_raw, "");
  /* Pause reasons keep unescaped pipes; the trailing one goes. */
  parse(NULL, "1655723969|NONE|500|Karthik|PAUSE|Lunch|with|pipes|", &out);
  ck_assert_str_eq(out.events[0].reason, "Lunch|with|pipes");
  parse(NULL, "1700000000|NONE|q1|8001|PAUSE|话后整理", &out);
  ck_assert_str_eq(out.events[0].reason, "话后整理");
  /* Withdraw info with a pipe in it. */
  parse(NULL, "1700000040|1700000000.7|q1|NONE|WITHDRAW|1|1|40|moved to|callback", &out);
  ck_assert_str_eq(out.events[0].reason, "moved to|callback");
  /* Transfer targets: blind as exten|context, attended as written. */
  parse(NULL, "1700000100|1700000000.5|q1|PJSIP/1002|BLINDTRANSFER|8001|from-internal|12|80|2",
        &out);
  ck_assert_str_eq(out.events[0].target, "8001|from-internal");
  parse(NULL, "1300000100|1300000000.5|q1|SIP/1002|TRANSFER|8001|from-internal|12|80|2", &out);
  ck_assert_str_eq(out.events[0].target, "8001@from-internal");
  /* ADDMEMBER …|PAUSED: a login and a pause. */
  parse(NULL, "1700000000|MANAGER|q1|SIP/1001|ADDMEMBER|PAUSED", &out);
  ck_assert_int_eq(out.n_events, 2);
  ck_assert_int_eq(out.events[0].type, WB_EVENT_AGENT_LOGIN);
  ck_assert_int_eq(out.events[1].type, WB_EVENT_AGENT_PAUSE);
  ck_assert_str_eq(out.events[1].agent, "1001");
  /* Unknown events report their name for the counters. */
  parse(NULL, "1700000000|1.1|q1|1001|OUTDIAL|123", &out);
  ck_assert_str_eq(out.event_name, "OUTDIAL");
  /* CRLF line endings and trailing spaces. */
  parse(NULL, "1770799353|1770799347.2652|comenzi|NONE|ENTERQUEUE||0700000001|1\r", &out);
  ck_assert_int_eq(out.result, WB_QUEUELOG_EVENTS);
  ck_assert_int_eq(out.events[0].position, 1);
  /* Fractional timestamps from QueueLog() replays. */
  parse(NULL, "1700000000.250|1.1|q1|NONE|ENTERQUEUE||1|1", &out);
  ck_assert_int_eq(out.events[0].ts_ms, 1700000000250LL);
}
END_TEST

START_TEST(test_agent_map)
{
  g_autoptr(WbAgentMap) map = wb_agent_map_new();
  char key[WB_EVENT_ID_MAX];
  static const struct {
    const char *spelling, *key;
  } table[] = {
      {"SIP/1001", "1001"},
      {"PJSIP/1001", "1001"},
      {"IAX2/1001", "1001"},
      {"Sathish", "1001"},
      {"sathish", "1001"},
      {"SATHISH", "1001"},
      {"Agent 1", "1000"},
      {"SIP/1000", "1000"},
      {"Local/101@from-queue/n", "101"},
      {"Agent/1127", "1127"},
      {"Local/1127@callback-agent", "1127"},
      {"Paty Marin", "Paty Marin"},
      {"NONE", ""},
      {"", ""},
      {"  SIP/1003 ", "1003"},
      {"王丽", "8001"},
  };

  wb_agent_map_add(map, "1001", "Sathish");
  wb_agent_map_add(map, "1000", "Agent 1");
  wb_agent_map_add(map, "8001", "王丽");
  for (gsize i = 0; i < G_N_ELEMENTS(table); i++) {
    /* Twice: the second lookup comes from the cache and must agree. */
    for (int k = 0; k < 2; k++) {
      wb_agent_map_lookup(map, table[i].spelling, -1, key, sizeof(key));
      ck_assert_msg(strcmp(key, table[i].key) == 0, "%s -> '%s', expected '%s'", table[i].spelling,
                    key, table[i].key);
    }
  }
  /* Broken UTF-8 in a member name still gives a valid key. */
  wb_agent_map_lookup(map, "Jos\xe9", -1, key, sizeof(key));
  ck_assert(g_utf8_validate(key, -1, NULL));
}
END_TEST

/* ---- the real samples ---- */

typedef struct {
  const char *name;
  guint lines, events, ignored, blank, quarantined, nul_bytes;
  guint enqueue, answer, end, abandon, rna, restart, login, logout, pause, unpause;
} Sample;

/* Expected from the files' own event counts (SOURCES.txt and grep). */
/* clang-format off */
static const Sample samples[] = {
  {"asterisk-production.queue_log", 168, 167, 1, 0, 0, 0, 50, 49, 49, 1, 18, 0, 0, 0, 0, 0},
  {"freepbx-edited-fixture.queue_log", 23, 20, 1, 2, 0, 0, 8, 3, 6, 0, 3, 0, 0, 0, 0, 0},
  {"issabel-lab.queue_log-20220707", 69, 46, 23, 0, 0, 0, 0, 0, 0, 0, 0, 14, 8, 8, 0, 16},
  {"issabel-lab.queue_log-20220801", 543, 233, 310, 0, 0, 78, 30, 3, 3, 27, 1, 29, 35, 35, 0,
   70},
  {"issabel-lab.queue_log-20220901", 71, 49, 22, 0, 0, 0, 0, 0, 0, 0, 0, 13, 9, 9, 0, 18},
  {"issabel-lab.queue_log-20221005", 36, 20, 16, 0, 0, 156, 1, 0, 0, 1, 0, 14, 1, 1, 0, 2},
  {"issabel-lab.queue_log", 204, 60, 144, 0, 0, 78, 2, 0, 0, 2, 0, 28, 7, 7, 0, 14},
};
/* clang-format on */

static WbCollector *
start_tail(TestSink *sink, WbAgentMap *map, const char *const *paths)
{
  WbQueuelogOptions o = {.paths = paths, .sink = &sink->sink, .agents = map, .poll_ms = 1000};
  g_autoptr(GError) error = NULL;
  WbCollector *c = wb_queuelog_start(&o, &error);
  ck_assert_msg(c != NULL, "%s", error != NULL ? error->message : "?");
  return c;
}

START_TEST(test_real_sample)
{
  const Sample *s = &samples[_i];
  g_autofree char *path = test_sample(s->name);
  const char *paths[] = {path, NULL};
  g_autoptr(WbAgentMap) map = wb_agent_map_new();
  TestSink sink;
  WbCollectorStats st;

  test_sink_init(&sink);
  g_autoptr(WbCollector) c = start_tail(&sink, map, paths);
  ck_assert_int_eq(wb_queuelog_poll(c), s->lines);
  c->ops->stats(c, 0, &st);
  ck_assert_int_eq(st.lines, s->lines);
  ck_assert_int_eq(st.events, s->events);
  ck_assert_int_eq(st.ignored, s->ignored);
  ck_assert_int_eq(st.blank, s->blank);
  ck_assert_int_eq(st.quarantined, s->quarantined);
  ck_assert_int_eq(st.nul_bytes, s->nul_bytes);
  ck_assert_int_eq(st.unknown, 0);
  ck_assert_int_eq(test_count_type(&sink, WB_EVENT_CALL_ENQUEUE), s->enqueue);
  ck_assert_int_eq(test_count_type(&sink, WB_EVENT_CALL_ANSWER), s->answer);
  ck_assert_int_eq(test_count_type(&sink, WB_EVENT_CALL_END), s->end);
  ck_assert_int_eq(test_count_type(&sink, WB_EVENT_CALL_ABANDON), s->abandon);
  ck_assert_int_eq(test_count_type(&sink, WB_EVENT_CALL_RING_NOANSWER), s->rna);
  ck_assert_int_eq(test_count_type(&sink, WB_EVENT_SOURCE_RESTART), s->restart);
  ck_assert_int_eq(test_count_type(&sink, WB_EVENT_AGENT_LOGIN), s->login);
  ck_assert_int_eq(test_count_type(&sink, WB_EVENT_AGENT_LOGOUT), s->logout);
  ck_assert_int_eq(test_count_type(&sink, WB_EVENT_AGENT_PAUSE), s->pause);
  ck_assert_int_eq(test_count_type(&sink, WB_EVENT_AGENT_UNPAUSE), s->unpause);
  /* Every event has a unique position in its source. */
  ck_assert_int_eq(g_hash_table_size(sink.seen), s->events);
  test_sink_clear(&sink);
}
END_TEST

/* ---- tailing ---- */

typedef struct {
  char *dir;
  char *path;
  const char *paths[2];
  TestSink sink;
  WbAgentMap *map;
} Tail;

static void
tail_setup(Tail *t)
{
  t->dir = test_tmpdir();
  t->path = g_build_filename(t->dir, "queue_log", NULL);
  t->paths[0] = t->path;
  t->paths[1] = NULL;
  t->map = wb_agent_map_new();
  test_sink_init(&t->sink);
}

static void
tail_teardown(Tail *t)
{
  test_sink_clear(&t->sink);
  wb_agent_map_free(t->map);
  test_rmtree(t->dir);
  g_free(t->dir);
  g_free(t->path);
}

static char *
call_lines(int first, int n)
{
  GString *s = g_string_new(NULL);
  for (int i = first; i < first + n; i++)
    g_string_append_printf(s,
                           "%d|%d.1|q1|NONE|ENTERQUEUE||1380000%04d|1\n"
                           "%d|%d.1|q1|SIP/1001|CONNECT|5|%d.2|3\n"
                           "%d|%d.1|q1|SIP/1001|COMPLETECALLER|5|60|1\n",
                           1700000000 + i * 100, 1700000000 + i, i, 1700000005 + i * 100,
                           1700000000 + i, 1700000000 + i, 1700000065 + i * 100, 1700000000 + i);
  return g_string_free(s, FALSE);
}

START_TEST(test_partial_line_and_nul)
{
  Tail t;
  tail_setup(&t);
  g_autoptr(WbCollector) c = start_tail(&t.sink, t.map, t.paths);

  /* Nothing there yet: waited for, not an error. */
  ck_assert_int_eq(wb_queuelog_poll(c), 0);
  test_append(t.path, "1700000000|1.1|q1|NONE|ENTERQUEUE||1|1\n1700000005|1.1|q1|SIP/1");
  ck_assert_int_eq(wb_queuelog_poll(c), 1);
  /* The line being written is consumed only with its newline. */
  test_append(t.path, "001|CONNECT|5|1.2|3\n");
  ck_assert_int_eq(wb_queuelog_poll(c), 1);
  ck_assert_int_eq(t.sink.events->len, 2);
  ck_assert_str_eq(g_array_index(t.sink.events, WbEvent, 1).agent, "1001");
  /* A run of NUL bytes before a line, as an unclean shutdown leaves. */
  FILE *f = fopen(t.path, "ab");
  for (int i = 0; i < 70; i++)
    fputc(0, f);
  fputs("1700000065|1.1|q1|SIP/1001|COMPLETECALLER|5|60|1\n", f);
  fclose(f);
  ck_assert_int_eq(wb_queuelog_poll(c), 1);
  ck_assert_int_eq(t.sink.events->len, 3);
  WbCollectorStats st;
  c->ops->stats(c, 0, &st);
  ck_assert_int_eq(st.nul_bytes, 70);
  tail_teardown(&t);
}
END_TEST

/* A slow store: each event takes 2 ms. */
static gboolean
slow_sink_event(WbSink *sink, WbEvent *ev)
{
  g_usleep(2000);
  return test_sink_event(sink, ev);
}

/* A tick yields to the loop once its time is up, whatever the machine's
 * speed: the lines it read but did not reach wait in the buffer and go
 * first in the next tick; every line is read once, in order, and the
 * checkpointed position always names a whole line. */
START_TEST(test_tick_yields_on_time)
{
  Tail t;
  tail_setup(&t);
  t.sink.sink.event = slow_sink_event;
  g_autoptr(WbCollector) c = start_tail(&t.sink, t.map, t.paths);
  g_autofree char *text = call_lines(0, 100);
  test_append(t.path, text);

  ck_assert(wb_queuelog_step(c));
  guint first = t.sink.events->len;
  /* 300 events take at least 600 ms; the tick ends after the line that
   * passes its 20 ms (a slower machine only makes it stop sooner). */
  ck_assert_uint_ge(first, 1);
  ck_assert_uint_lt(first, 150);
  int ticks = 1;
  while (wb_queuelog_step(c))
    ticks++;
  ck_assert_int_gt(ticks, 2);
  ck_assert_uint_eq(t.sink.events->len, 300);
  for (guint i = 1; i < t.sink.events->len; i++)
    ck_assert_int_lt(g_array_index(t.sink.events, WbEvent, i - 1).source_pos,
                     g_array_index(t.sink.events, WbEvent, i).source_pos);
  WbCollectorStats st;
  c->ops->stats(c, 0, &st);
  ck_assert_int_eq(st.lines, 300);
  ck_assert_int_eq(st.bytes, (gint64)strlen(text));
  tail_teardown(&t);
}
END_TEST

START_TEST(test_quarantine_keeps_line_numbers)
{
  Tail t;
  tail_setup(&t);
  test_append(t.path, "1700000000|1.1|q1|NONE|ENTERQUEUE||1|1\n"
                      "not a queue_log line\n"
                      "\n"
                      "1700000005|1.1|q1|SIP/1001|CONNECT|five|1.2|3\n"
                      "1700000006|1.1|q1|SIP/1001|FUTUREEVENT|x\n"
                      "1700000065|1.1|q1|SIP/1001|COMPLETECALLER|5|60|1\n");
  g_autoptr(WbCollector) c = start_tail(&t.sink, t.map, t.paths);
  ck_assert_int_eq(wb_queuelog_poll(c), 6);
  ck_assert_int_eq(t.sink.quarantine_lines->len, 2);
  ck_assert_int_eq(g_array_index(t.sink.quarantine_lines, gint64, 0), 2);
  ck_assert_int_eq(g_array_index(t.sink.quarantine_lines, gint64, 1), 4);
  ck_assert_int_eq(t.sink.events->len, 2);
  WbCollectorStats st;
  c->ops->stats(c, 0, &st);
  ck_assert_int_eq(st.blank, 1);
  ck_assert_int_eq(st.unknown, 1);
  tail_teardown(&t);
}
END_TEST

START_TEST(test_over_long_line)
{
  Tail t;
  tail_setup(&t);
  GString *s =
      g_string_new("1700000000|1.1|q1|NONE|ENTERQUEUE||1|1\n1700000001|2.1|q1|NONE|PAUSE|");
  for (int i = 0; i < WB_QUEUELOG_LINE_MAX + 100; i++)
    g_string_append_c(s, 'x');
  g_string_append(s, "\n1700000002|3.1|q1|NONE|ENTERQUEUE||1|1\n");
  test_append(t.path, s->str);
  g_string_free(s, TRUE);
  g_autoptr(WbCollector) c = start_tail(&t.sink, t.map, t.paths);
  wb_queuelog_poll(c);
  ck_assert_int_eq(t.sink.events->len, 2);
  ck_assert_int_eq(t.sink.quarantine_lines->len, 1);
  ck_assert_int_eq(g_array_index(t.sink.quarantine_lines, gint64, 0), 2);
  tail_teardown(&t);
}
END_TEST

START_TEST(test_rotation_by_rename)
{
  Tail t;
  tail_setup(&t);
  g_autofree char *a = call_lines(0, 2);
  g_autofree char *b = call_lines(2, 2);
  g_autofree char *rotated = g_build_filename(t.dir, "queue_log-20260101", NULL);
  test_append(t.path, a);
  g_autoptr(WbCollector) c = start_tail(&t.sink, t.map, t.paths);
  ck_assert_int_eq(wb_queuelog_poll(c), 6);
  /* Lines written just before the rename are still read from the old file. */
  test_append(t.path, "1700009000|9.1|q1|NONE|ENTERQUEUE||1|1\n");
  ck_assert_int_eq(g_rename(t.path, rotated), 0);
  test_append(t.path, b);
  wb_queuelog_poll(c);
  ck_assert_int_eq(t.sink.events->len, 13);
  WbCollectorStats st;
  c->ops->stats(c, 0, &st);
  ck_assert_int_eq(st.rotations, 1);
  /* Events of both files have distinct positions even at equal offsets. */
  ck_assert_int_eq(g_hash_table_size(t.sink.seen), 13);
  tail_teardown(&t);
}
END_TEST

START_TEST(test_rotation_by_truncation)
{
  Tail t;
  tail_setup(&t);
  g_autofree char *a = call_lines(0, 3);
  g_autofree char *b = call_lines(3, 1);
  test_append(t.path, a);
  g_autoptr(WbCollector) c = start_tail(&t.sink, t.map, t.paths);
  wb_queuelog_poll(c);
  ck_assert_int_eq(t.sink.events->len, 9);
  /* copytruncate: same inode, emptied, then written again. */
  ck_assert_int_eq(truncate(t.path, 0), 0);
  wb_queuelog_poll(c);
  test_append(t.path, b);
  wb_queuelog_poll(c);
  ck_assert_int_eq(t.sink.events->len, 12);
  WbCollectorStats st;
  c->ops->stats(c, 0, &st);
  ck_assert_int_eq(st.truncations, 1);
  tail_teardown(&t);
}
END_TEST

START_TEST(test_truncation_and_regrowth_unseen)
{
  Tail t;
  tail_setup(&t);
  g_autofree char *a = call_lines(0, 2);
  g_autofree char *b = call_lines(10, 4); /* longer than a */
  test_append(t.path, a);
  g_autoptr(WbCollector) c = start_tail(&t.sink, t.map, t.paths);
  wb_queuelog_poll(c);
  ck_assert_int_eq(t.sink.events->len, 6);
  /* Truncated and refilled past the old size between two polls: only
   * the changed first bytes tell. */
  FILE *f = fopen(t.path, "wb"); /* same inode, emptied */
  fputs(b, f);
  fclose(f);
  wb_queuelog_poll(c);
  ck_assert_int_eq(t.sink.events->len, 18);
  WbCollectorStats st;
  c->ops->stats(c, 0, &st);
  ck_assert_int_eq(st.truncations, 1);
  ck_assert_int_eq(st.rotations, 0);
  tail_teardown(&t);
}
END_TEST

START_TEST(test_resume_after_restart)
{
  Tail t;
  tail_setup(&t);
  g_autofree char *a = call_lines(0, 2);
  g_autofree char *b = call_lines(2, 2);
  test_append(t.path, a);
  {
    g_autoptr(WbCollector) c = start_tail(&t.sink, t.map, t.paths);
    wb_queuelog_poll(c);
  }
  ck_assert_int_eq(t.sink.events->len, 6);
  test_append(t.path, b);
  test_sink_reset_received(&t.sink);
  /* A new collector resumes at the committed position: only the new lines. */
  g_autoptr(WbCollector) c = start_tail(&t.sink, t.map, t.paths);
  wb_queuelog_poll(c);
  ck_assert_int_eq(t.sink.events->len, 6);
  ck_assert_str_eq(g_array_index(t.sink.events, WbEvent, 0).call_id, "1700000002.1");
  tail_teardown(&t);
}
END_TEST

START_TEST(test_rotated_while_stopped)
{
  Tail t;
  tail_setup(&t);
  g_autofree char *a = call_lines(0, 2);
  g_autofree char *late = call_lines(2, 1);
  g_autofree char *b = call_lines(3, 2);
  g_autofree char *rotated = g_build_filename(t.dir, "queue_log.1", NULL);
  test_append(t.path, a);
  {
    g_autoptr(WbCollector) c = start_tail(&t.sink, t.map, t.paths);
    wb_queuelog_poll(c);
  }
  /* While stopped: more lines, rotation by rename, a new file. */
  test_append(t.path, late);
  ck_assert_int_eq(g_rename(t.path, rotated), 0);
  test_append(t.path, b);
  test_sink_reset_received(&t.sink);
  g_autoptr(WbCollector) c = start_tail(&t.sink, t.map, t.paths);
  wb_queuelog_poll(c);
  /* The rest of the rotated file first, then the new one: nothing lost. */
  ck_assert_int_eq(t.sink.events->len, 9);
  ck_assert_str_eq(g_array_index(t.sink.events, WbEvent, 0).call_id, "1700000002.1");
  ck_assert_str_eq(g_array_index(t.sink.events, WbEvent, 3).call_id, "1700000003.1");
  tail_teardown(&t);
}
END_TEST

START_TEST(test_files_read_in_order)
{
  g_autofree char *p1 = test_sample("issabel-lab.queue_log-20220707");
  g_autofree char *p2 = test_sample("issabel-lab.queue_log-20220801");
  const char *paths[] = {p1, p2, NULL};
  g_autoptr(WbAgentMap) map = wb_agent_map_new();
  TestSink sink;

  test_sink_init(&sink);
  g_autoptr(WbCollector) c = start_tail(&sink, map, paths);
  wb_queuelog_poll(c);
  ck_assert_int_eq(sink.events->len, 46 + 233);
  /* Every event of the first file comes before any of the second. */
  for (guint i = 0; i < sink.events->len; i++) {
    const WbEvent *ev = &g_array_index(sink.events, WbEvent, i);
    ck_assert_int_eq(g_str_has_suffix(ev->source, "20220707"), i < 46);
  }
  test_sink_clear(&sink);
}
END_TEST

static Suite *
queuelog_suite(void)
{
  Suite *s = suite_create("queuelog");
  TCase *tc = tcase_create("parse");
  tcase_add_loop_test(tc, test_case, 0, G_N_ELEMENTS(cases));
  tcase_add_test(tc, test_fields_details);
  tcase_add_test(tc, test_agent_map);
  suite_add_tcase(s, tc);
  tc = tcase_create("samples");
  tcase_add_loop_test(tc, test_real_sample, 0, G_N_ELEMENTS(samples));
  tcase_add_test(tc, test_files_read_in_order);
  suite_add_tcase(s, tc);
  tc = tcase_create("tail");
  tcase_add_test(tc, test_partial_line_and_nul);
  tcase_add_test(tc, test_tick_yields_on_time);
  tcase_add_test(tc, test_quarantine_keeps_line_numbers);
  tcase_add_test(tc, test_over_long_line);
  tcase_add_test(tc, test_rotation_by_rename);
  tcase_add_test(tc, test_rotation_by_truncation);
  tcase_add_test(tc, test_truncation_and_regrowth_unseen);
  tcase_add_test(tc, test_resume_after_restart);
  tcase_add_test(tc, test_rotated_while_stopped);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(queuelog_suite());
}
