/* test_ami.c: the AMI collector: the wire format (LF and CRLF, repeated
 * headers, Follows bodies, over-long lines), every queue event of Asterisk
 * 11 and 12+ to its WbEvent, the caller-exit rules (timeout, empty, key),
 * identities across a replay, and a real connection to a scripted server
 * (MD5 login, a drop in mid-message, a refused login). */
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "collectors/ami.h"
#include "collectors/ami_parse.h"
#include "testutil.h"

#define T0 "1741827600" /* 2025-03-13 01:00:00 UTC */

static void
parse(const char *text, WbAmiParsed *out)
{
  g_autoptr(WbAgentMap) map = wb_agent_map_new();
  wb_agent_map_add(map, "8003", "王丽");
  wb_ami_parse_message(text, -1, map, "ami:test", 42000, out);
}

/* ---- the wire format ---- */

static GPtrArray *
read_all(WbAmiReader *r)
{
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)wb_ami_message_free);
  WbAmiMessage *m;
  while ((m = wb_ami_reader_next(r)) != NULL)
    g_ptr_array_add(out, m);
  return out;
}

static char *
crlf(const char *text)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  return g_strjoinv("\r\n", lines);
}

static const char session_text[] = "Asterisk Call Manager/5.0.5\n"
                                   "Response: Success\n"
                                   "ActionID: wb-login-1\n"
                                   "Message: Authentication accepted\n"
                                   "\n"
                                   "Event: VarSet\n"
                                   "Privilege: dialplan,all\n"
                                   "Uniqueid: 1.1\n"
                                   "ChanVariable: A=1\n"
                                   "ChanVariable: B=2\n"
                                   "ChanVariable: C=x:y\n"
                                   "Variable: X\n"
                                   "Value: \n"
                                   "\n"
                                   "\n"
                                   "Response: Follows\n"
                                   "Privilege: Command\n"
                                   "HTTP Server Status:\n"
                                   "Prefix: \n"
                                   "Server Enabled and Bound to 127.0.0.1:8080\n"
                                   "\n"
                                   "Enabled URI's:\n"
                                   "/httpstatus => Asterisk HTTP General Status\n"
                                   "--END COMMAND--\n"
                                   "\n"
                                   "Event: FullyBooted\n"
                                   "Status: Fully Booted\n"
                                   "\n";

static void
check_session(GPtrArray *msgs, WbAmiReader *r)
{
  ck_assert_str_eq(wb_ami_reader_banner(r), "Asterisk Call Manager/5.0.5");
  ck_assert_uint_eq(msgs->len, 4);
  WbAmiMessage *m = g_ptr_array_index(msgs, 0);
  ck_assert_str_eq(wb_ami_message_get(m, "response"), "Success");
  ck_assert_str_eq(wb_ami_message_get(m, "MESSAGE"), "Authentication accepted");
  m = g_ptr_array_index(msgs, 1);
  ck_assert_str_eq(wb_ami_message_get(m, "ChanVariable"), "A=1");
  ck_assert_str_eq(wb_ami_message_get_nth(m, "chanvariable", 1), "B=2");
  ck_assert_str_eq(wb_ami_message_get_nth(m, "ChanVariable", 2), "C=x:y");
  ck_assert_ptr_null(wb_ami_message_get_nth(m, "ChanVariable", 3));
  ck_assert_str_eq(wb_ami_message_get(m, "Value"), "");
  m = g_ptr_array_index(msgs, 2);
  ck_assert_str_eq(wb_ami_message_get(m, "Response"), "Follows");
  ck_assert_str_eq(wb_ami_message_get(m, "Privilege"), "Command");
  ck_assert_ptr_null(wb_ami_message_get(m, "Prefix"));
  ck_assert_str_eq(wb_ami_message_body(m), "HTTP Server Status:\nPrefix: \nServer Enabled and "
                                           "Bound to 127.0.0.1:8080\n\nEnabled URI's:\n"
                                           "/httpstatus => Asterisk HTTP General Status");
  ck_assert_ptr_null(wb_ami_message_malformed(m));
  m = g_ptr_array_index(msgs, 3);
  ck_assert_str_eq(wb_ami_message_get(m, "Event"), "FullyBooted");
}

/* LF, CRLF, and CRLF fed one byte at a time read the same. */
START_TEST(test_reader_line_ends)
{
  g_autofree char *text_crlf = crlf(session_text);
  const char *texts[] = {session_text, text_crlf};

  for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
    g_autoptr(WbAmiReader) r = wb_ami_reader_new(TRUE);
    wb_ami_reader_feed(r, texts[i], strlen(texts[i]));
    g_autoptr(GPtrArray) msgs = read_all(r);
    check_session(msgs, r);
  }
  g_autoptr(WbAmiReader) r = wb_ami_reader_new(TRUE);
  g_autoptr(GPtrArray) msgs = g_ptr_array_new_with_free_func((GDestroyNotify)wb_ami_message_free);
  for (const char *p = text_crlf; *p != '\0'; p++) {
    wb_ami_reader_feed(r, p, 1);
    WbAmiMessage *m;
    while ((m = wb_ami_reader_next(r)) != NULL)
      g_ptr_array_add(msgs, m);
  }
  check_session(msgs, r);
}
END_TEST

/* A line longer than the bound is skipped, counted, and the rest of its
 * message kept; the buffer never holds more than a line. */
START_TEST(test_reader_over_long_line)
{
  g_autoptr(WbAmiReader) r = wb_ami_reader_new(FALSE);
  g_autoptr(GString) text = g_string_new("Event: QueueCallerJoin\r\nChanVariable: X=");

  for (int i = 0; i < 3 * WB_AMI_LINE_MAX; i++)
    g_string_append_c(text, 'a' + i % 26);
  g_string_append(text,
                  "\r\nQueue: q1\r\nUniqueid: 1.2\r\n\r\nEvent: Hangup\r\nUniqueid: 1.2\r\n\r\n");
  /* In pieces, so the long line is seen before its end. */
  for (gsize off = 0; off < text->len; off += 1000)
    wb_ami_reader_feed(r, text->str + off, MIN(1000, text->len - off));
  g_autoptr(GPtrArray) msgs = read_all(r);
  ck_assert_uint_eq(msgs->len, 2);
  WbAmiMessage *m = g_ptr_array_index(msgs, 0);
  ck_assert_uint_eq(wb_ami_message_n_skipped(m), 1);
  ck_assert_str_eq(wb_ami_message_get(m, "Queue"), "q1");
  ck_assert_str_eq(wb_ami_message_get(m, "Uniqueid"), "1.2");
  ck_assert_ptr_null(wb_ami_message_get(m, "ChanVariable"));
  ck_assert_uint_eq(wb_ami_message_n_skipped(g_ptr_array_index(msgs, 1)), 0);
}
END_TEST

START_TEST(test_reader_malformed)
{
  g_autoptr(WbAmiReader) r = wb_ami_reader_new(FALSE);
  g_autoptr(GString) many = g_string_new("Event: UserEvent\n");
  const char *bad = "Event: QueueCallerJoin\nthis line has no key\nQueue: q\n\n";

  wb_ami_reader_feed(r, bad, strlen(bad));
  for (int i = 0; i < WB_AMI_HEADERS_MAX + 5; i++)
    g_string_append_printf(many, "H%d: %d\n", i, i);
  g_string_append(many, "\n");
  wb_ami_reader_feed(r, many->str, many->len);
  g_autoptr(GPtrArray) msgs = read_all(r);
  ck_assert_uint_eq(msgs->len, 2);
  ck_assert_str_eq(wb_ami_message_malformed(g_ptr_array_index(msgs, 0)), "line without 'Key:'");
  ck_assert_str_eq(wb_ami_message_malformed(g_ptr_array_index(msgs, 1)),
                   "more than 512 header lines");
  ck_assert_uint_eq(wb_ami_message_n_headers(g_ptr_array_index(msgs, 1)), WB_AMI_HEADERS_MAX);
}
END_TEST

/* A Follows body without its marker ends where the next message begins. */
START_TEST(test_reader_follows_without_marker)
{
  g_autoptr(WbAmiReader) r = wb_ami_reader_new(FALSE);
  const char *text = "Response: Follows\r\nPrivilege: Command\r\nline one\r\n\r\n"
                     "Event: Hangup\r\nUniqueid: 9.9\r\n\r\n";

  wb_ami_reader_feed(r, text, strlen(text));
  g_autoptr(GPtrArray) msgs = read_all(r);
  ck_assert_uint_eq(msgs->len, 2);
  ck_assert_str_eq(wb_ami_message_body(g_ptr_array_index(msgs, 0)), "line one");
  ck_assert_str_eq(wb_ami_message_get(g_ptr_array_index(msgs, 1), "Uniqueid"), "9.9");
}
END_TEST

/* A text that holds no whole message reads as ignored, with the defaults
 * of a parsed one: now, and -1 for what it did not say (found by
 * tests/fuzz/fuzz_ami). */
START_TEST(test_parse_unfinished)
{
  WbAmiParsed p;
  parse("Response: Follows\r\nPrivilege: Command\r\n--ENDomplete\r\n\r\nbroken line\r\n", &p);
  ck_assert_int_eq(p.result, WB_AMI_IGNORED);
  ck_assert_int_eq(p.n_events, 0);
  ck_assert(!p.has_ts);
  ck_assert_int_eq(p.ts_ms, 42000);
  ck_assert_int_eq(p.uptime_s, -1);
  ck_assert_int_eq(p.position, -1);
  ck_assert_int_eq(p.wait_ms, -1);
}
END_TEST

/* The real captures (LF endings) split into the messages they hold. */
START_TEST(test_reader_samples)
{
  g_autofree char *path = test_sample("ami-session.txt");
  g_autofree char *text = NULL;
  gsize len;
  guint events = 0, responses = 0, follows = 0, completes = 0;

  ck_assert(g_file_get_contents(path, &text, &len, NULL));
  g_autoptr(WbAmiReader) r = wb_ami_reader_new(FALSE);
  wb_ami_reader_feed(r, text, len);
  g_autoptr(GPtrArray) msgs = read_all(r);
  for (guint i = 0; i < msgs->len; i++) {
    WbAmiMessage *m = g_ptr_array_index(msgs, i);
    WbAmiParsed p;
    wb_ami_message_parse(m, NULL, "ami:test", 1, &p);
    events += wb_ami_message_get(m, "Event") != NULL;
    responses += p.result == WB_AMI_RESPONSE;
    follows += wb_ami_message_body(m) != NULL;
    completes += p.result == WB_AMI_QUEUE_STATUS_COMPLETE;
    if (wb_ami_message_get(m, "Event") != NULL)
      ck_assert(p.result == WB_AMI_IGNORED || p.result == WB_AMI_QUEUE_STATUS_COMPLETE);
  }
  /* 3 QueueStatus answers of 7 or 8 events (QueueParams, 5 or 6
   * QueueMember, QueueStatusComplete); 9 responses: Login, 3 QueueStatus,
   * 2 ExtensionState, an Error, Ping and the Command's Follows. The
   * client's 8 actions are there too (neither Event nor Response). */
  ck_assert_uint_eq(events, 7 + 8 + 8);
  ck_assert_uint_eq(responses, 9);
  ck_assert_uint_eq(follows, 1);
  ck_assert_uint_eq(completes, 3);
}
END_TEST

/* ---- one message to events ---- */

typedef struct {
  const char *text;
  WbAmiResult result;
  WbEventType type;
  const char *call_id, *queue, *agent;
  gint64 wait_ms, ring_ms, talk_ms;
  int extra; /* position, abandon reason or ended_by */
} Case;

/* clang-format off */
static const Case cases[] = {
  /* 12+ caller events, with the channel snapshot */
  {"Event: QueueCallerJoin\nPrivilege: agent,all\nTimestamp: " T0 ".250000\n"
   "Channel: PJSIP/trunk-00000001\nChannelState: 6\nCallerIDNum: 13812345678\n"
   "CallerIDName: Zhang\nUniqueid: 1741827590.17\nLinkedid: 1741827590.17\nQueue: policy\n"
   "Position: 2\nCount: 2",
   WB_AMI_EVENTS, WB_EVENT_CALL_ENQUEUE, "1741827590.17", "policy", "", -1, -1, -1, 2},
  {"Event: QueueCallerAbandon\nTimestamp: " T0 "\nUniqueid: 1.5\nQueue: policy\nPosition: 1\n"
   "OriginalPosition: 3\nHoldTime: 31",
   WB_AMI_EVENTS, WB_EVENT_CALL_ABANDON, "1.5", "policy", "", 31000, -1, -1, 3},
  {"Event: AgentRingNoAnswer\nTimestamp: " T0 "\nUniqueid: 1.5\nQueue: policy\n"
   "MemberName: PJSIP/8001\nInterface: PJSIP/8001\nDestUniqueid: 1.6\nRingTime: 15000",
   WB_AMI_EVENTS, WB_EVENT_CALL_RING_NOANSWER, "1.5", "policy", "8001", -1, 15000, -1, 0},
  {"Event: AgentConnect\nTimestamp: " T0 "\nUniqueid: 1.5\nQueue: policy\nMemberName: 王丽\n"
   "Interface: PJSIP/8003\nHoldTime: 12\nRingTime: 3",
   WB_AMI_EVENTS, WB_EVENT_CALL_ANSWER, "1.5", "policy", "8003", 12000, 3000, -1, 0},
  {"Event: AgentComplete\nTimestamp: " T0 "\nUniqueid: 1.5\nQueue: policy\n"
   "MemberName: PJSIP/8001\nInterface: PJSIP/8001\nHoldTime: 12\nTalkTime: 95\nReason: caller",
   WB_AMI_EVENTS, WB_EVENT_CALL_END, "1.5", "policy", "8001", 12000, -1, 95000, WB_ENDED_BY_CALLER},
  {"Event: AgentComplete\nUniqueid: 1.5\nQueue: policy\nMemberName: PJSIP/8001\nHoldTime: 12\n"
   "TalkTime: 95\nReason: agent",
   WB_AMI_EVENTS, WB_EVENT_CALL_END, "1.5", "policy", "8001", 12000, -1, 95000, WB_ENDED_BY_AGENT},
  {"Event: AgentComplete\nUniqueid: 1.5\nQueue: policy\nMemberName: PJSIP/8001\nHoldTime: 12\n"
   "TalkTime: 95\nReason: transfer",
   WB_AMI_EVENTS, WB_EVENT_CALL_TRANSFER, "1.5", "policy", "8001", 12000, -1, 95000,
   WB_ENDED_BY_TRANSFER},
  /* QueueCallerLeave: a prototype exit, decided by what follows */
  {"Event: QueueCallerLeave\nTimestamp: " T0 "\nUniqueid: 1.5\nQueue: policy\nPosition: 1\n"
   "Count: 0",
   WB_AMI_LEAVE, WB_EVENT_CALL_ABANDON, "1.5", "policy", "", -1, -1, -1, 1},
  /* pre-12 names and headers (Asterisk 1.8/11) */
  {"Event: Join\nPrivilege: call,all\nChannel: SIP/trunk-0001\nCallerIDNum: 0291234567\n"
   "Queue: progress\nPosition: 1\nCount: 1\nUniqueid: 1300000000.4",
   WB_AMI_EVENTS, WB_EVENT_CALL_ENQUEUE, "1300000000.4", "progress", "", -1, -1, -1, 1},
  {"Event: Leave\nChannel: SIP/trunk-0001\nQueue: progress\nCount: 0\nPosition: 1\n"
   "Uniqueid: 1300000000.4",
   WB_AMI_LEAVE, WB_EVENT_CALL_ABANDON, "1300000000.4", "progress", "", -1, -1, -1, 1},
  {"Event: AgentConnect\nPrivilege: agent,all\nQueue: progress\nUniqueid: 1300000000.4\n"
   "Channel: SIP/1002-0002\nMember: SIP/1002\nMemberName: Agent 2\nHoldTime: 7\n"
   "BridgedChannel: 1300000000.5\nRingTime: 2",
   WB_AMI_EVENTS, WB_EVENT_CALL_ANSWER, "1300000000.4", "progress", "Agent 2", 7000, 2000, -1, 0},
  {"Event: AgentComplete\nQueue: progress\nUniqueid: 1300000000.4\nChannel: SIP/1002-0002\n"
   "Member: SIP/1002\nMemberName: \nHoldTime: 7\nTalkTime: 60\nReason: agent",
   WB_AMI_EVENTS, WB_EVENT_CALL_END, "1300000000.4", "progress", "1002", 7000, -1, 60000,
   WB_ENDED_BY_AGENT},
  /* agents: per queue, by member name, else interface or location */
  {"Event: QueueMemberAdded\nTimestamp: " T0 "\nQueue: policy\nMemberName: PJSIP/8001\n"
   "Interface: PJSIP/8001\nMembership: dynamic\nPaused: 0",
   WB_AMI_EVENTS, WB_EVENT_AGENT_LOGIN, "", "policy", "8001", -1, -1, -1, 0},
  {"Event: QueueMemberRemoved\nQueue: policy\nLocation: SIP/1001\nMemberName: SIP/1001",
   WB_AMI_EVENTS, WB_EVENT_AGENT_LOGOUT, "", "policy", "1001", -1, -1, -1, 0},
  {"Event: QueueMemberPause\nQueue: policy\nMemberName: 王丽\nInterface: PJSIP/8003\n"
   "Paused: 1\nPausedReason: 话后整理",
   WB_AMI_EVENTS, WB_EVENT_AGENT_PAUSE, "", "policy", "8003", -1, -1, -1, 0},
  {"Event: QueueMemberPaused\nQueue: policy\nLocation: Local/1003@from-queue/n\nMemberName: \n"
   "Paused: 0",
   WB_AMI_EVENTS, WB_EVENT_AGENT_UNPAUSE, "", "policy", "1003", -1, -1, -1, 0},
  {"Event: AgentLogin\nAgent: 1004\nChannel: PJSIP/1004-0001\nUniqueid: 5.5",
   WB_AMI_EVENTS, WB_EVENT_AGENT_LOGIN, "", "", "1004", -1, -1, -1, 0},
  {"Event: Agentlogoff\nAgent: 1004\nLogintime: 3600\nUniqueid: 5.5",
   WB_AMI_EVENTS, WB_EVENT_AGENT_LOGOUT, "", "", "1004", -1, -1, -1, 0},
  /* the ACD's own figures */
  {"Event: QueueSummary\nActionID: wb-summary-3\nQueue: policy\nLoggedIn: 5\nAvailable: 2\n"
   "Callers: 4\nHoldTime: 9\nTalkTime: 120\nLongestHoldTime: 47",
   WB_AMI_EVENTS, WB_EVENT_ACD_SNAPSHOT, "", "policy", "", 47000, -1, -1, 4},
  /* what is not an event for us */
  {"Event: QueueMemberStatus\nQueue: policy\nMemberName: PJSIP/8001\nStatus: 2",
   WB_AMI_IGNORED, WB_EVENT_NONE, NULL, NULL, NULL, 0, 0, 0, 0},
  {"Event: Newexten\nUniqueid: 1.5\nContext: default\nExtension: s",
   WB_AMI_IGNORED, WB_EVENT_NONE, NULL, NULL, NULL, 0, 0, 0, 0},
  {"Event: SomeVendorThing\nFoo: bar",
   WB_AMI_UNKNOWN, WB_EVENT_NONE, NULL, NULL, NULL, 0, 0, 0, 0},
  {"Response: Success\nActionID: wb-ping-2\nPing: Pong\nTimestamp: " T0 ".5",
   WB_AMI_RESPONSE, WB_EVENT_NONE, NULL, NULL, NULL, 0, 0, 0, 0},
  {"Event: VarSet\nUniqueid: 1.5\nVariable: QUEUESTATUS\nValue: TIMEOUT",
   WB_AMI_STATUS, WB_EVENT_NONE, NULL, NULL, NULL, 0, 0, 0, 0},
  {"Event: Hangup\nUniqueid: 1.5\nCause: 16",
   WB_AMI_HANGUP, WB_EVENT_NONE, NULL, NULL, NULL, 0, 0, 0, 0},
  /* malformed: quarantined */
  {"Event: QueueCallerJoin\nQueue: policy\nPosition: 1",
   WB_AMI_MALFORMED, WB_EVENT_NONE, NULL, NULL, NULL, 0, 0, 0, 0},
  {"Event: AgentConnect\nUniqueid: 1.5\nQueue: policy\nMemberName: PJSIP/8001\nHoldTime: soon",
   WB_AMI_MALFORMED, WB_EVENT_NONE, NULL, NULL, NULL, 0, 0, 0, 0},
  {"Event: AgentComplete\nUniqueid: 1.5\nQueue: policy\nHoldTime: 1\nTalkTime: 2",
   WB_AMI_MALFORMED, WB_EVENT_NONE, NULL, NULL, NULL, 0, 0, 0, 0},
  {"Event: QueueMemberPause\nQueue: policy\nMemberName: PJSIP/8001\nPaused: maybe",
   WB_AMI_MALFORMED, WB_EVENT_NONE, NULL, NULL, NULL, 0, 0, 0, 0},
  {"Event: QueueCallerJoin\nTimestamp: yesterday\nUniqueid: 1.5\nQueue: policy",
   WB_AMI_MALFORMED, WB_EVENT_NONE, NULL, NULL, NULL, 0, 0, 0, 0},
  {"Message: hello",
   WB_AMI_MALFORMED, WB_EVENT_NONE, NULL, NULL, NULL, 0, 0, 0, 0},
};
/* clang-format on */

START_TEST(test_case)
{
  const Case *c = &cases[_i];
  WbAmiParsed p;
  g_autofree char *text = crlf(c->text);

  parse(_i % 2 == 0 ? c->text : text, &p);
  ck_assert_msg(p.result == c->result, "case %d: result %d, expected %d (%s)", _i, p.result,
                c->result, p.reason != NULL ? p.reason : "");
  if (c->type == WB_EVENT_NONE)
    return;
  ck_assert_int_ge(p.n_events, 1);
  const WbEvent *ev = &p.events[0];
  ck_assert_int_eq(ev->type, c->type);
  ck_assert_str_eq(ev->source, "ami:test");
  ck_assert_str_eq(ev->call_id, c->call_id);
  ck_assert_str_eq(ev->queue, c->queue);
  ck_assert_str_eq(ev->agent, c->agent);
  ck_assert_int_eq(ev->wait_ms, c->wait_ms);
  ck_assert_int_eq(ev->ring_ms, c->ring_ms);
  ck_assert_int_eq(ev->talk_ms, c->talk_ms);
  ck_assert_int_gt(ev->source_pos, 0);
  if (c->type == WB_EVENT_CALL_ENQUEUE || c->type == WB_EVENT_ACD_SNAPSHOT ||
      c->result == WB_AMI_LEAVE)
    ck_assert_int_eq(ev->position, c->extra);
  if (c->type == WB_EVENT_CALL_ABANDON && c->result == WB_AMI_EVENTS) {
    ck_assert_int_eq(ev->position, c->extra);
    ck_assert_int_eq(ev->abandon_reason, WB_ABANDON_ABANDON);
  }
  if (c->type == WB_EVENT_CALL_END || c->type == WB_EVENT_CALL_TRANSFER)
    ck_assert_int_eq(ev->ended_by, c->extra);
}
END_TEST

START_TEST(test_fields_details)
{
  WbAmiParsed p;

  /* Timestamp gives the time, else the time of receipt. */
  parse(cases[0].text, &p);
  ck_assert(p.has_ts);
  ck_assert_int_eq(p.events[0].ts_ms, 1741827600250);
  ck_assert_str_eq(p.events[0].caller_raw, "13812345678");
  parse(cases[8].text, &p);
  ck_assert(!p.has_ts);
  ck_assert_int_eq(p.events[0].ts_ms, 42000);
  ck_assert_str_eq(p.events[0].caller_raw, "0291234567");
  /* A hidden number is no number. */
  parse("Event: QueueCallerJoin\nUniqueid: 1.1\nQueue: q\nCallerIDNum: <unknown>", &p);
  ck_assert_str_eq(p.events[0].caller_raw, "");
  /* Pause reasons: PausedReason (12+), Reason (11). */
  parse(cases[14].text, &p);
  ck_assert_str_eq(p.events[0].reason, "话后整理");
  parse("Event: QueueMemberPaused\nQueue: q\nLocation: SIP/1001\nMemberName: Sathish\n"
        "Paused: 1\nReason: Lunch",
        &p);
  ck_assert_str_eq(p.events[0].agent, "Sathish");
  ck_assert_str_eq(p.events[0].reason, "Lunch");
  /* Added paused: a login and a pause, with distinct identities. */
  parse("Event: QueueMemberAdded\nQueue: q\nMemberName: PJSIP/8001\nPaused: 1\n"
        "PausedReason: Meeting",
        &p);
  ck_assert_int_eq(p.n_events, 2);
  ck_assert_int_eq(p.events[0].type, WB_EVENT_AGENT_LOGIN);
  ck_assert_int_eq(p.events[1].type, WB_EVENT_AGENT_PAUSE);
  ck_assert_str_eq(p.events[1].agent, "8001");
  ck_assert_str_eq(p.events[1].reason, "Meeting");
  ck_assert_int_ne(p.events[0].source_pos, p.events[1].source_pos);
  /* Snapshot: counts in position, count_a, count_b. */
  parse(cases[18].text, &p);
  ck_assert_int_eq(p.events[0].count_a, 5);
  ck_assert_int_eq(p.events[0].count_b, 2);
  ck_assert_int_eq(p.events[0].ts_ms, 42000);
  /* QUEUESTATUS and FullyBooted */
  parse(cases[23].text, &p);
  ck_assert_str_eq(p.status, "TIMEOUT");
  ck_assert_str_eq(p.call_id, "1.5");
  parse("Event: FullyBooted\nPrivilege: system,all\nUptime: 3600\nLastReload: 10\n"
        "Status: Fully Booted",
        &p);
  ck_assert_int_eq(p.result, WB_AMI_BOOTED);
  ck_assert_int_eq(p.uptime_s, 3600);
}
END_TEST

/* The identity: the same message gives the same source_pos whatever the
 * spelling of its keys and line ends; another event, another. */
START_TEST(test_identity)
{
  WbAmiParsed a, b, c;

  parse("Event: AgentRingNoAnswer\nUniqueid: 1.5\nQueue: q\nMemberName: PJSIP/8001\n"
        "DestUniqueid: 1.6\nRingTime: 15000",
        &a);
  parse("event: agentringnoanswer\r\nUNIQUEID: 1.5\r\nqueue: q\r\nmembername: PJSIP/8001\r\n"
        "destuniqueid: 1.6\r\nringtime: 15000",
        &b);
  parse("Event: AgentRingNoAnswer\nUniqueid: 1.5\nQueue: q\nMemberName: PJSIP/8001\n"
        "DestUniqueid: 1.7\nRingTime: 15000",
        &c);
  ck_assert_int_eq(a.events[0].source_pos, b.events[0].source_pos);
  ck_assert_int_ne(a.events[0].source_pos, c.events[0].source_pos);
  ck_assert_int_ge(a.events[0].source_pos, 0);
  /* Join and Leave of one caller differ. */
  parse("Event: Join\nUniqueid: 1.5\nQueue: q\nPosition: 1\nCount: 1", &a);
  parse("Event: Leave\nUniqueid: 1.5\nQueue: q\nPosition: 1\nCount: 1", &b);
  ck_assert_int_ne(a.events[0].source_pos, b.events[0].source_pos);
}
END_TEST

START_TEST(test_md5_key)
{
  /* md5("12345" "secret") */
  g_autofree char *key = wb_ami_md5_key("12345", "secret");
  g_autofree char *expect = g_compute_checksum_for_string(G_CHECKSUM_MD5, "12345secret", -1);
  ck_assert_str_eq(key, expect);
  ck_assert_uint_eq(strlen(key), 32);
}
END_TEST

/* ---- the collector, fed directly ---- */

typedef struct {
  TestSink sink;
  WbCollector *c;
  WbAgentMap *map;
} Fixture;

static void
fixture_init(Fixture *f)
{
  test_sink_init(&f->sink);
  f->map = wb_agent_map_new();
  WbAmiOptions o = {
      .host = "10.0.0.1",
      .port = 5038,
      .username = "wallboard",
      .secret = "s",
      .keepalive_s = 20,
      .reconnect_max_s = 60,
      .sink = &f->sink.sink,
      .agents = f->map,
      .offline = TRUE,
  };
  g_autoptr(GError) error = NULL;
  f->c = wb_ami_start(&o, &error);
  ck_assert_msg(f->c != NULL, "%s", error != NULL ? error->message : "");
}

static void
fixture_clear(Fixture *f)
{
  wb_collector_free(f->c);
  wb_agent_map_free(f->map);
  test_sink_clear(&f->sink);
}

static void
feed(Fixture *f, const char *text)
{
  g_autofree char *t = crlf(text);
  wb_ami_feed(f->c, t, strlen(t));
}

static const WbEvent *
last_of(Fixture *f, WbEventType type)
{
  for (guint i = f->sink.events->len; i > 0; i--) {
    const WbEvent *ev = &g_array_index(f->sink.events, WbEvent, i - 1);
    if (ev->type == type)
      return ev;
  }
  return NULL;
}

#define JOIN(uid, t)                                                                               \
  "Event: QueueCallerJoin\nTimestamp: " t "\nUniqueid: " uid "\nQueue: q\nPosition: 1\n"           \
  "Count: 1\n\n"
#define ABANDON(uid, t, hold)                                                                      \
  "Event: QueueCallerAbandon\nTimestamp: " t "\nUniqueid: " uid "\nQueue: q\nPosition: 1\n"        \
  "OriginalPosition: 1\nHoldTime: " hold "\n\n"
#define LEAVE(uid, t)                                                                              \
  "Event: QueueCallerLeave\nTimestamp: " t "\nUniqueid: " uid "\nQueue: q\nPosition: 1\n"          \
  "Count: 0\n\n"
#define STATUS(uid, t, value)                                                                      \
  "Event: VarSet\nTimestamp: " t "\nUniqueid: " uid "\nVariable: QUEUESTATUS\nValue: " value "\n"  \
  "\n"
#define VARSET(uid, t)                                                                             \
  "Event: VarSet\nTimestamp: " t "\nUniqueid: " uid "\nVariable: QUEUEPOSITION\nValue: 1\n\n"
#define PING(t) "Response: Success\nActionID: wb-ping-1\nPing: Pong\nTimestamp: " t "\n\n"

/* Timeout, emptied queue and hang-up all publish QueueCallerAbandon; the
 * VarSet QUEUESTATUS after the Leave tells them apart. */
START_TEST(test_exit_reasons)
{
  Fixture f;
  fixture_init(&f);
  feed(&f, JOIN("1.1", "1741827600") ABANDON("1.1", "1741827660", "60") LEAVE("1.1", "1741827660")
               VARSET("1.1", "1741827660") STATUS("1.1", "1741827660", "TIMEOUT"));
  const WbEvent *ev = last_of(&f, WB_EVENT_CALL_ABANDON);
  ck_assert_ptr_nonnull(ev);
  ck_assert_int_eq(ev->abandon_reason, WB_ABANDON_TIMEOUT);
  ck_assert_int_eq(ev->wait_ms, 60000);
  ck_assert_int_eq(ev->ts_ms, 1741827660000);

  feed(&f, JOIN("1.2", "1741827700") ABANDON("1.2", "1741827710", "10") LEAVE("1.2", "1741827710")
               STATUS("1.2", "1741827710", "LEAVEEMPTY"));
  ck_assert_int_eq(last_of(&f, WB_EVENT_CALL_ABANDON)->abandon_reason, WB_ABANDON_EMPTY);
  ck_assert_str_eq(last_of(&f, WB_EVENT_CALL_ABANDON)->call_id, "1.2");

  /* A hang-up: the channel's next event is no QUEUESTATUS. */
  feed(&f, JOIN("1.3", "1741827800") ABANDON("1.3", "1741827805", "5") LEAVE("1.3", "1741827805"));
  ck_assert_str_eq(last_of(&f, WB_EVENT_CALL_ABANDON)->call_id, "1.2");
  feed(&f, "Event: Hangup\nTimestamp: 1741827805\nUniqueid: 1.3\nCause: 16\n\n");
  ev = last_of(&f, WB_EVENT_CALL_ABANDON);
  ck_assert_str_eq(ev->call_id, "1.3");
  ck_assert_int_eq(ev->abandon_reason, WB_ABANDON_ABANDON);

  /* Older leave-empty: a Leave alone, then QUEUESTATUS; the wait comes from
   * the Join. */
  feed(&f, JOIN("1.4", "1741827900") LEAVE("1.4", "1741827920")
               STATUS("1.4", "1741827920", "LEAVEEMPTY"));
  ev = last_of(&f, WB_EVENT_CALL_ABANDON);
  ck_assert_str_eq(ev->call_id, "1.4");
  ck_assert_int_eq(ev->abandon_reason, WB_ABANDON_EMPTY);
  ck_assert_int_eq(ev->wait_ms, 20000);
  ck_assert_int_eq(ev->position, 1);

  /* A key: a Leave alone and nothing more, settled 10 s later on
   * Asterisk's clock (here a Ping answer's Timestamp). */
  feed(&f, JOIN("1.5", "1741828000")
               LEAVE("1.5", "1741828007") "Event: Newexten\nTimestamp: 1741828007\nUniqueid: "
                                          "1.5\n\n" PING("1741828016"));
  ck_assert_str_eq(last_of(&f, WB_EVENT_CALL_ABANDON)->call_id, "1.4");
  feed(&f, PING("1741828017.5"));
  ev = last_of(&f, WB_EVENT_CALL_ABANDON);
  ck_assert_str_eq(ev->call_id, "1.5");
  ck_assert_int_eq(ev->abandon_reason, WB_ABANDON_KEY);
  ck_assert_int_eq(ev->wait_ms, 7000);
  ck_assert_uint_eq(test_count_type(&f.sink, WB_EVENT_CALL_ABANDON), 5);
  fixture_clear(&f);
}
END_TEST

/* An answered call: Leave comes before AgentConnect, possibly seconds
 * before (an AGI on the caller's channel); no abandon is made of it. */
START_TEST(test_answered_after_leave)
{
  Fixture f;
  fixture_init(&f);
  feed(&f,
       JOIN("2.1", "1741827600")
           LEAVE("2.1", "1741827620") "Event: Newexten\nTimestamp: 1741827621\nUniqueid: "
                                      "2.1\nApplication: AGI\n\n" VARSET(
                                          "2.1",
                                          "1741827624") "Event: AgentConnect\nTimestamp: "
                                                        "1741827625\nUniqueid: 2.1\nQueue: q\n"
                                                        "MemberName: PJSIP/8001\nHoldTime: "
                                                        "20\nRingTime: 4\n\n"
                                                        "Event: AgentComplete\nTimestamp: "
                                                        "1741827700\nUniqueid: 2.1\nQueue: q\n"
                                                        "MemberName: PJSIP/8001\nHoldTime: "
                                                        "20\nTalkTime: 75\nReason: caller\n\n" PING(
                                                            "1741827800"));
  wb_ami_settle_all(f.c);
  ck_assert_uint_eq(test_count_type(&f.sink, WB_EVENT_CALL_ABANDON), 0);
  ck_assert_uint_eq(test_count_type(&f.sink, WB_EVENT_CALL_ANSWER), 1);
  ck_assert_uint_eq(test_count_type(&f.sink, WB_EVENT_CALL_END), 1);
  fixture_clear(&f);
}
END_TEST

/* A whole flow sent twice (a reconnect that resends): nothing counts
 * twice, held exits included. */
START_TEST(test_replay_counts_once)
{
  Fixture f;
  const char *flow = JOIN("3.1", "1741827600") ABANDON("3.1", "1741827630", "30")
      LEAVE("3.1", "1741827630") STATUS("3.1", "1741827630", "TIMEOUT") JOIN(
          "3.2",
          "1741827640") "Event: AgentRingNoAnswer\nTimestamp: 1741827655\nUniqueid: 3.2\nQueue: q\n"
                        "MemberName: PJSIP/8001\nRingTime: 15000\n\n" LEAVE(
                            "3.2",
                            "1741827660") "Event: AgentConnect\nTimestamp: 1741827660\nUniqueid: "
                                          "3.2\nQueue: q\n"
                                          "MemberName: PJSIP/8002\nHoldTime: 20\nRingTime: 5\n\n"
                                          "Event: QueueMemberPause\nTimestamp: 1741827670\nQueue: "
                                          "q\n"
                                          "MemberName: PJSIP/8002\nPaused: 1\nPausedReason: "
                                          "Wrapup\n\n";
  WbCollectorStats st;

  fixture_init(&f);
  feed(&f, flow);
  guint n = f.sink.events->len;
  ck_assert_uint_eq(n, 6);
  feed(&f, flow);
  wb_ami_settle_all(f.c);
  ck_assert_uint_eq(f.sink.events->len, n);
  f.c->ops->stats(f.c, 0, &st);
  ck_assert_uint_eq(st.events, 6);
  ck_assert_uint_eq(st.duplicates, 6);
  ck_assert_uint_eq(st.lines, 18);
  fixture_clear(&f);
}
END_TEST

START_TEST(test_counts_and_quarantine)
{
  Fixture f;
  WbCollectorStats st;

  fixture_init(&f);
  ck_assert_str_eq(f.c->ops->name, "ami");
  ck_assert_uint_eq(f.c->ops->n_sources(f.c), 1);
  ck_assert_str_eq(f.c->ops->source(f.c, 0), "ami:10.0.0.1:5038");
  ck_assert(!f.c->ops->catching_up(f.c));
  feed(&f, "Event: SomethingNew\nA: b\n\n"
           "Event: Newstate\nUniqueid: 1.1\n\n"
           "Event: QueueCallerJoin\nQueue: q\n\n"
           "Response: Success\nMessage: ok\n\n");
  f.c->ops->stats(f.c, 0, &st);
  ck_assert_uint_eq(st.lines, 4);
  ck_assert_uint_eq(st.unknown, 1);
  ck_assert_uint_eq(st.ignored, 1);
  ck_assert_uint_eq(st.quarantined, 1);
  ck_assert_uint_eq(f.sink.reasons->len, 1);
  ck_assert_str_eq(g_ptr_array_index(f.sink.reasons, 0), "queue event without Uniqueid or Queue");
  /* line_no is the message's number. */
  ck_assert_int_eq(g_array_index(f.sink.quarantine_lines, gint64, 0), 3);
  fixture_clear(&f);
}
END_TEST

/* FullyBooted with a shorter uptime than the run we knew: Asterisk
 * restarted, the calls it had are gone. */
START_TEST(test_restart_detected)
{
  Fixture f;
  fixture_init(&f);
  feed(&f,
       "Event: FullyBooted\nUptime: 100000\nStatus: Fully Booted\n\n" JOIN("4.1", "1741827600"));
  ck_assert_uint_eq(test_count_type(&f.sink, WB_EVENT_SOURCE_RESTART), 0);
  feed(&f, "Event: FullyBooted\nUptime: 99999\nStatus: Fully Booted\n\n");
  ck_assert_uint_eq(test_count_type(&f.sink, WB_EVENT_SOURCE_RESTART), 0);
  feed(&f, "Event: FullyBooted\nUptime: 5\nStatus: Fully Booted\n\n");
  ck_assert_uint_eq(test_count_type(&f.sink, WB_EVENT_SOURCE_RESTART), 1);
  const WbEvent *ev = last_of(&f, WB_EVENT_SOURCE_RESTART);
  ck_assert_int_le(ABS(ev->ts_ms - (g_get_real_time() / 1000 - 5000)), 2000);
  fixture_clear(&f);
}
END_TEST

#define STATUS_START                                                                               \
  "Response: Success\nActionID: wb-status-2\nEventList: start\nMessage: Queue status will "        \
  "follow\n\nEvent: QueueParams\nQueue: q\nCalls: 2\nActionID: wb-status-2\n\n"
#define ENTRY(uid, pos, wait)                                                                      \
  "Event: QueueEntry\nQueue: q\nPosition: " pos "\nChannel: PJSIP/trunk-1\nUniqueid: " uid         \
  "\nCallerIDNum: 13800000000\nWait: " wait "\nPriority: 0\nActionID: wb-status-2\n\n"
#define STATUS_COMPLETE(ts)                                                                        \
  "Event: QueueStatusComplete\n" ts "ActionID: wb-status-2\nEventList: Complete\nListItems: 3\n\n"

/* The events of type source.sync, in order. */
static GArray *
syncs(Fixture *f)
{
  GArray *out = g_array_new(FALSE, FALSE, sizeof(WbEvent));
  for (guint i = 0; i < f->sink.events->len; i++) {
    const WbEvent *ev = &g_array_index(f->sink.events, WbEvent, i);
    if (ev->type == WB_EVENT_SOURCE_SYNC)
      g_array_append_val(out, *ev);
  }
  return out;
}

/* After a login, QueueStatus says who waits now: one source.sync per
 * caller listed or whose exit is held back, then the sweep, all at the
 * time of QueueStatusComplete; the same round again is refused. */
START_TEST(test_sync_after_gap)
{
  Fixture f;
  fixture_init(&f);
  /* 5.1 left during a gap (never heard of again); 5.2 still waits; 5.3
   * has left the queue, held back: an agent may answer it yet. */
  feed(&f, JOIN("5.1", "1741827600") JOIN("5.2", "1741827610") JOIN("5.3", "1741827620")
               LEAVE("5.3", "1741827635"));
  /* 9.9 joined during the gap. */
  feed(&f, STATUS_START ENTRY("5.2", "1", "30") ENTRY("9.9", "2", "12")
               STATUS_COMPLETE("Timestamp: 1741827640.250000\n"));
  g_autoptr(GArray) got = syncs(&f);
  ck_assert_uint_eq(got->len, 4);
  const char *ids[] = {"5.2", "9.9", "5.3", ""};
  for (guint i = 0; i < got->len; i++) {
    const WbEvent *ev = &g_array_index(got, WbEvent, i);
    ck_assert_str_eq(ev->call_id, ids[i]);
    ck_assert_str_eq(ev->queue, i < 3 ? "q" : "");
    ck_assert_str_eq(ev->source, "ami:10.0.0.1:5038");
    ck_assert_int_eq(ev->ts_ms, 1741827640250);
    for (guint k = 0; k < i; k++)
      ck_assert_int_ne(ev->source_pos, g_array_index(got, WbEvent, k).source_pos);
  }
  /* The identity is the round's: made again, the same. */
  WbEvent again;
  wb_ami_sync_event(&again, "ami:10.0.0.1:5038", 1741827640250, "5.2", "q");
  ck_assert_int_eq(again.source_pos, g_array_index(got, WbEvent, 0).source_pos);
  wb_ami_sync_event(&again, "ami:10.0.0.1:5038", 1741827640251, "5.2", "q");
  ck_assert_int_ne(again.source_pos, g_array_index(got, WbEvent, 0).source_pos);
  feed(&f, "Event: AgentConnect\nTimestamp: 1741827641\nUniqueid: 5.3\nQueue: q\n"
           "MemberName: PJSIP/8001\nHoldTime: 21\nRingTime: 3\n\n");
  ck_assert_uint_eq(test_count_type(&f.sink, WB_EVENT_CALL_ANSWER), 1);
  ck_assert_uint_eq(test_count_type(&f.sink, WB_EVENT_CALL_ABANDON), 0);

  /* The collector's own table: 9.9 waits since 12 s before the round,
   * 5.1 is forgotten (its Leave has no Join to count a wait from). */
  feed(&f, LEAVE("9.9", "1741827650") STATUS("9.9", "1741827650", "TIMEOUT")
               LEAVE("5.1", "1741827651") STATUS("5.1", "1741827651", "LEAVEEMPTY"));
  const WbEvent *ev = last_of(&f, WB_EVENT_CALL_ABANDON);
  ck_assert_str_eq(ev->call_id, "5.1");
  ck_assert_int_eq(ev->wait_ms, -1);
  ck_assert_str_eq(g_array_index(f.sink.events, WbEvent, f.sink.events->len - 2).call_id, "9.9");
  ck_assert_int_eq(g_array_index(f.sink.events, WbEvent, f.sink.events->len - 2).wait_ms, 21750);

  /* The same round resent (a replaying proxy): stored once. */
  WbCollectorStats st;
  f.c->ops->stats(f.c, 0, &st);
  guint64 dups = st.duplicates;
  feed(&f, STATUS_START ENTRY("5.2", "1", "30") ENTRY("9.9", "2", "12")
               STATUS_COMPLETE("Timestamp: 1741827640.250000\n"));
  f.c->ops->stats(f.c, 0, &st);
  ck_assert_uint_eq(st.duplicates, dups + 3);
  g_autoptr(GArray) after = syncs(&f);
  ck_assert_uint_eq(after->len, 4);

  /* Without a Timestamp the round is at our clock. */
  feed(&f, STATUS_START ENTRY("5.2", "1", "80") STATUS_COMPLETE(""));
  g_autoptr(GArray) third = syncs(&f);
  ck_assert_uint_eq(third->len, 6);
  ev = &g_array_index(third, WbEvent, 5);
  ck_assert_str_eq(ev->call_id, "");
  ck_assert_int_le(ABS(ev->ts_ms - g_get_real_time() / 1000), 2000);
  ck_assert_int_eq(g_array_index(third, WbEvent, 4).ts_ms, ev->ts_ms);

  /* An entry that cannot be read: no sweep, it could end a caller who is
   * still there. */
  feed(&f, STATUS_START
       "Event: QueueEntry\nQueue: q\nPosition: 1\nActionID: wb-status-2\n\n" STATUS_COMPLETE(
           "Timestamp: 1741827700\n"));
  g_autoptr(GArray) fourth = syncs(&f);
  ck_assert_uint_eq(fourth->len, 6);
  f.c->ops->stats(f.c, 0, &st);
  ck_assert_uint_eq(st.quarantined, 1);
  /* The next round is whole again. */
  feed(&f, STATUS_START STATUS_COMPLETE("Timestamp: 1741827760\n"));
  g_autoptr(GArray) fifth = syncs(&f);
  ck_assert_uint_eq(fifth->len, 7);
  fixture_clear(&f);
}
END_TEST

/* ---- a real connection to a scripted server (a thread, blocking) ---- */

typedef struct {
  GSocket *listener;
  guint16 port;
  GThread *thread;
  GMutex lock;
  guint logins;   /* successful */
  guint refusals; /* failed logins */
  gint64 refusal_us[4];
  gboolean md5_ok;
} Server;

/* Reads one action (up to its empty line); NULL when the peer closed. */
static char *
server_read_action(GSocket *s)
{
  GString *buf = g_string_new(NULL);
  char c;
  while (strstr(buf->str, "\r\n\r\n") == NULL) {
    gssize n = g_socket_receive(s, &c, 1, NULL, NULL);
    if (n <= 0) {
      g_string_free(buf, TRUE);
      return NULL;
    }
    g_string_append_c(buf, c);
  }
  return g_string_free(buf, FALSE);
}

static char *
header(const char *action, const char *key)
{
  g_autofree char *needle = g_strconcat(key, ": ", NULL);
  const char *p = strstr(action, needle);
  if (p == NULL)
    return NULL;
  p += strlen(needle);
  return g_strndup(p, strcspn(p, "\r\n"));
}

static void
server_send_len(GSocket *s, const char *text, gsize len)
{
  while (len > 0) {
    gssize n = g_socket_send(s, text, len, NULL, NULL);
    if (n <= 0)
      return;
    text += n;
    len -= (gsize)n;
  }
}

static void
server_send(GSocket *s, const char *text)
{
  server_send_len(s, text, strlen(text));
}

/* Answers actions until the login is done; TRUE if it succeeded. */
static gboolean
server_login(Server *srv, GSocket *s, gboolean accept)
{
  server_send(s, "Asterisk Call Manager/9.0.0\r\n");
  for (;;) {
    g_autofree char *a = server_read_action(s);
    if (a == NULL)
      return FALSE;
    g_autofree char *id = header(a, "ActionID");
    if (strstr(a, "Action: Challenge") != NULL) {
      g_autofree char *r =
          g_strdup_printf("Response: Success\r\nActionID: %s\r\nChallenge: 840724128\r\n\r\n", id);
      server_send(s, r);
    } else if (strstr(a, "Action: Login") != NULL) {
      g_autofree char *key = header(a, "Key");
      g_autofree char *expect = wb_ami_md5_key("840724128", "pw");
      g_mutex_lock(&srv->lock);
      srv->md5_ok = g_strcmp0(key, expect) == 0;
      if (accept)
        srv->logins++;
      else
        srv->refusal_us[MIN(srv->refusals, 3u)] = g_get_monotonic_time(), srv->refusals++;
      g_mutex_unlock(&srv->lock);
      g_autofree char *r = g_strdup_printf(
          "Response: %s\r\nActionID: %s\r\nMessage: %s\r\n\r\n", accept ? "Success" : "Error", id,
          accept ? "Authentication accepted" : "Authentication failed");
      server_send(s, r);
      return accept;
    }
  }
}

#define SRV_JOIN JOIN("7.1", "1741827600")
#define SRV_RNA                                                                                    \
  "Event: AgentRingNoAnswer\nTimestamp: 1741827615\nUniqueid: 7.1\nQueue: q\n"                     \
  "MemberName: PJSIP/8001\nRingTime: 15000\n\n"
#define SRV_CONNECT                                                                                \
  "Event: AgentConnect\nTimestamp: 1741827620\nUniqueid: 7.1\nQueue: q\n"                          \
  "MemberName: PJSIP/8002\nHoldTime: 20\nRingTime: 5\n\n"

static gpointer
server_thread(gpointer data)
{
  Server *srv = data;
  g_autofree char *join = crlf(SRV_JOIN SRV_RNA);
  g_autofree char *connect = crlf(SRV_CONNECT);

  /* 1: logged in, two events and half of a third, then dropped. */
  GSocket *s = g_socket_accept(srv->listener, NULL, NULL);
  if (server_login(srv, s, TRUE)) {
    /* Read the QueueStatus, so that closing with unread input does not
     * reset the connection and lose what was sent. */
    g_free(server_read_action(s));
    server_send(s, join);
    server_send_len(s, connect, 40);
    g_usleep(200000);
  }
  g_socket_close(s, NULL);
  g_object_unref(s);
  /* 2 and 3: the password is refused twice. */
  for (int i = 0; i < 2; i++) {
    s = g_socket_accept(srv->listener, NULL, NULL);
    server_login(srv, s, FALSE);
    g_socket_close(s, NULL);
    g_object_unref(s);
  }
  /* 4: logged in; resends the last two events, then the whole third. */
  s = g_socket_accept(srv->listener, NULL, NULL);
  if (server_login(srv, s, TRUE)) {
    g_autofree char *rna = crlf(SRV_RNA);
    server_send(s, rna);
    server_send(s, connect);
    /* Answer Pings until the client goes. */
    for (char *a; (a = server_read_action(s)) != NULL; g_free(a)) {
      g_autofree char *id = header(a, "ActionID");
      g_autofree char *r = g_strdup_printf(
          "Response: Success\r\nActionID: %s\r\nPing: Pong\r\nTimestamp: 1741827621.0\r\n\r\n", id);
      server_send(s, r);
    }
  }
  g_socket_close(s, NULL);
  g_object_unref(s);
  return NULL;
}

static void
server_start(Server *srv)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
  g_autoptr(GError) error = NULL;

  g_mutex_init(&srv->lock);
  srv->listener =
      g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  ck_assert_msg(srv->listener != NULL, "%s", error != NULL ? error->message : "");
  ck_assert(g_socket_bind(srv->listener, addr, TRUE, &error));
  ck_assert(g_socket_listen(srv->listener, &error));
  g_autoptr(GSocketAddress) local = g_socket_get_local_address(srv->listener, &error);
  srv->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
  srv->thread = g_thread_new("fake-ami", server_thread, srv);
}

static gboolean
on_deadline(gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
server_logins(Server *srv, guint n)
{
  g_mutex_lock(&srv->lock);
  gboolean done = srv->logins >= n;
  g_mutex_unlock(&srv->lock);
  return done;
}

START_TEST(test_connection)
{
  g_autoptr(GMainContext) ctx = g_main_context_new();
  Server srv = {0};
  TestSink sink;
  gboolean timed_out = FALSE;

  g_main_context_push_thread_default(ctx);
  test_sink_init(&sink);
  server_start(&srv);
  WbAmiOptions o = {
      .host = "127.0.0.1",
      .port = srv.port,
      .username = "wallboard",
      .secret = "pw",
      .auth = WB_AMI_AUTH_MD5,
      .summary_s = 0,
      .keepalive_s = 1,
      .reconnect_max_s = 4,
      .sink = &sink.sink,
  };
  g_autoptr(GError) error = NULL;
  WbCollector *c = wb_ami_start(&o, &error);
  ck_assert_ptr_nonnull(c);
  GSource *deadline = g_timeout_source_new_seconds(30);
  g_source_set_callback(deadline, on_deadline, &timed_out, NULL);
  g_source_attach(deadline, ctx);
  /* Until the fourth session's events are in. */
  while (!timed_out &&
         !(server_logins(&srv, 2) && test_count_type(&sink, WB_EVENT_CALL_ANSWER) == 1))
    g_main_context_iteration(ctx, TRUE);
  ck_assert_msg(!timed_out, "timed out: %u logins", srv.logins);
  ck_assert(srv.md5_ok);
  ck_assert_uint_eq(srv.refusals, 2);
  /* Backoff: 1 s after the drop, then 2 s, then 4 s. */
  ck_assert_int_ge(srv.refusal_us[1] - srv.refusal_us[0], 1800000);
  /* The half-sent AgentConnect was dropped, not misread; the resent
   * AgentRingNoAnswer was refused as a duplicate. */
  ck_assert_uint_eq(sink.events->len, 3);
  ck_assert_uint_eq(test_count_type(&sink, WB_EVENT_CALL_RING_NOANSWER), 1);
  WbCollectorStats st;
  c->ops->stats(c, 0, &st);
  ck_assert_uint_eq(st.duplicates, 1);
  ck_assert_uint_eq(st.quarantined, 0);
  /* A Ping or two answered, then the collector goes. */
  timed_out = FALSE;
  GSource *wait = g_timeout_source_new(2500);
  g_source_set_callback(wait, on_deadline, &timed_out, NULL);
  g_source_attach(wait, ctx);
  while (!timed_out)
    g_main_context_iteration(ctx, TRUE);
  c->ops->stats(c, 0, &st);
  ck_assert_uint_eq(st.quarantined, 0);
  wb_collector_free(c);
  g_thread_join(srv.thread);
  /* Let the cancelled operations finish. */
  while (g_main_context_iteration(ctx, FALSE))
    ;
  g_source_destroy(deadline);
  g_source_unref(deadline);
  g_source_destroy(wait);
  g_source_unref(wait);
  g_object_unref(srv.listener);
  g_mutex_clear(&srv.lock);
  test_sink_clear(&sink);
  g_main_context_pop_thread_default(ctx);
}
END_TEST

START_TEST(test_bad_options)
{
  TestSink sink;
  g_autoptr(GError) error = NULL;
  WbAmiOptions o = {
      .host = "127.0.0.1", .port = 5038, .username = "", .secret = "x", .sink = &sink.sink};
  WbAmiAuth auth;

  test_sink_init(&sink);
  ck_assert_ptr_null(wb_ami_start(&o, &error));
  ck_assert_ptr_nonnull(strstr(error->message, "username"));
  g_clear_error(&error);
  o.username = "u";
  o.secret = "x\r\nAction: Originate";
  ck_assert_ptr_null(wb_ami_start(&o, &error));
  ck_assert(wb_ami_auth_from_name("MD5", &auth) && auth == WB_AMI_AUTH_MD5);
  ck_assert(!wb_ami_auth_from_name("sha1", &auth));
  test_sink_clear(&sink);
}
END_TEST

static Suite *
ami_suite(void)
{
  Suite *s = suite_create("ami");
  TCase *tc = tcase_create("wire");
  tcase_add_test(tc, test_reader_line_ends);
  tcase_add_test(tc, test_reader_over_long_line);
  tcase_add_test(tc, test_reader_malformed);
  tcase_add_test(tc, test_reader_follows_without_marker);
  tcase_add_test(tc, test_parse_unfinished);
  tcase_add_test(tc, test_reader_samples);
  suite_add_tcase(s, tc);
  tc = tcase_create("events");
  tcase_add_loop_test(tc, test_case, 0, G_N_ELEMENTS(cases));
  tcase_add_test(tc, test_fields_details);
  tcase_add_test(tc, test_identity);
  tcase_add_test(tc, test_md5_key);
  suite_add_tcase(s, tc);
  tc = tcase_create("collector");
  tcase_add_test(tc, test_exit_reasons);
  tcase_add_test(tc, test_answered_after_leave);
  tcase_add_test(tc, test_replay_counts_once);
  tcase_add_test(tc, test_counts_and_quarantine);
  tcase_add_test(tc, test_restart_detected);
  tcase_add_test(tc, test_sync_after_gap);
  tcase_add_test(tc, test_bad_options);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_connection);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(ami_suite());
}
