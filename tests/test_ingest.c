/* test_ingest.c: JSON events -> WbEvents, with the reasons for refusals. */
#include "collectors/ingest.h"
#include "engine/event_fields.h"
#include "testutil.h"

/* 2026-11-28T08:00:00+08:00 */
#define T0_MS G_GINT64_CONSTANT(1795824000000)

typedef struct {
  TestSink sink;
  WbClock clock;
  GTimeZone *tz;
  WbIngest *ingest;
  WbIngestResult result;
} Fixture;

static gint64
fixed_now(gpointer user_data)
{
  (void)user_data;
  return T0_MS + 3600 * 1000;
}

static void
fixture_init(Fixture *f)
{
  test_sink_init(&f->sink);
  f->clock = (WbClock){.func = fixed_now, .rate = 1.0};
  f->tz = g_time_zone_new_identifier("Asia/Shanghai");
  WbAgentMap *map = wb_agent_map_new();
  wb_agent_map_add(map, "1001", "张伟");
  f->ingest = wb_ingest_new(&f->sink.sink, &f->clock, f->tz, map);
  wb_ingest_result_init(&f->result);
}

static void
fixture_clear(Fixture *f)
{
  wb_ingest_result_clear(&f->result);
  wb_collector_free(wb_ingest_collector(f->ingest));
  g_time_zone_unref(f->tz);
  test_sink_clear(&f->sink);
}

static void
send(Fixture *f, const char *body)
{
  wb_ingest_result_clear(&f->result);
  wb_ingest_result_init(&f->result);
  wb_ingest_body(f->ingest, "api:test", "test", body, strlen(body), &f->result);
}

static const WbEvent *
event_at(Fixture *f, guint i)
{
  ck_assert_uint_gt(f->sink.events->len, i);
  return &g_array_index(f->sink.events, WbEvent, i);
}

static const char *
reject_error(Fixture *f, guint i)
{
  ck_assert_uint_gt(f->result.rejected->len, i);
  return g_array_index(f->result.rejected, WbIngestReject, i).error;
}

static guint
reject_line(Fixture *f, guint i)
{
  ck_assert_uint_gt(f->result.rejected->len, i);
  return g_array_index(f->result.rejected, WbIngestReject, i).line;
}

START_TEST(test_call_events)
{
  Fixture f;
  fixture_init(&f);
  send(&f, "{\"event_id\":\"e1\",\"type\":\"call.enqueue\",\"ts\":\"2026-11-28T08:00:00+08:00\","
           "\"call_id\":\"c1\",\"queue\":\"签证\",\"caller\":\"13812345678\",\"position\":2}\n"
           "{\"event_id\":\"e2\",\"type\":\"call.answer\",\"ts\":\"2026-11-28T08:00:09+08:00\","
           "\"call_id\":\"c1\",\"queue\":\"签证\",\"agent\":\"张伟\",\"wait_ms\":9000,"
           "\"ring_ms\":3000}\n"
           "{\"event_id\":\"e3\",\"type\":\"call.end\",\"ts\":1795824189000,\"call_id\":\"c1\","
           "\"queue\":\"签证\",\"agent\":\"SIP/1001\",\"wait_ms\":9000,\"talk_ms\":180000,"
           "\"ended_by\":\"agent\"}\n"
           "{\"event_id\":\"e4\",\"type\":\"call.abandon\",\"ts\":\"2026-11-28 08:05\","
           "\"call_id\":\"c2\",\"queue\":\"签证\",\"wait_ms\":31000,\"reason\":\"timeout\"}\n");
  ck_assert_uint_eq(f.result.accepted, 4);
  ck_assert_uint_eq(f.result.rejected->len, 0);

  const WbEvent *e = event_at(&f, 0);
  ck_assert_int_eq(e->type, WB_EVENT_CALL_ENQUEUE);
  ck_assert_int_eq(e->ts_ms, T0_MS);
  ck_assert_str_eq(e->source, "api:test");
  ck_assert_str_eq(e->queue, "签证");
  ck_assert_str_eq(e->caller_raw, "13812345678");
  ck_assert_int_eq(e->position, 2);
  e = event_at(&f, 1);
  /* The agent map turns a member name into the agent key. */
  ck_assert_str_eq(e->agent, "1001");
  ck_assert_int_eq(e->wait_ms, 9000);
  ck_assert_int_eq(e->ring_ms, 3000);
  e = event_at(&f, 2);
  ck_assert_int_eq(e->ts_ms, T0_MS + 189000);
  ck_assert_str_eq(e->agent, "1001");
  ck_assert_int_eq(e->talk_ms, 180000);
  ck_assert_int_eq(e->ended_by, WB_ENDED_BY_AGENT);
  e = event_at(&f, 3);
  /* A time without offset is local ([kpi] timezone). */
  ck_assert_int_eq(e->ts_ms, T0_MS + 300000);
  ck_assert_int_eq(e->abandon_reason, WB_ABANDON_TIMEOUT);
  /* Each event id is its own position; the same id is the same position. */
  ck_assert_int_ne(event_at(&f, 0)->source_pos, event_at(&f, 1)->source_pos);
  ck_assert_int_ge(event_at(&f, 0)->source_pos, 0);
  fixture_clear(&f);
}
END_TEST

START_TEST(test_record_events)
{
  Fixture f;
  fixture_init(&f);
  send(&f,
       "[{\"event_id\":\"r1\",\"type\":\"roster.shift\",\"ts\":\"2026-11-28T07:00:00+08:00\","
       "\"staff\":\"1001\",\"start\":\"2026-11-29 08:00\",\"end\":\"2026-11-29T16:00:00+08:00\","
       "\"role\":\"agent\",\"template\":\"早班\"},"
       "{\"event_id\":\"r2\",\"type\":\"staff.record\",\"ts\":\"2026-11-28T07:00:00+08:00\","
       "\"staff\":\"1002\",\"name\":\"李娜\",\"role\":\"supervisor\",\"status\":\"休假\","
       "\"hired\":\"2021-03-01\"},"
       "{\"event_id\":\"r3\",\"type\":\"acd.snapshot\",\"ts\":\"2026-11-28T08:30:00+08:00\","
       "\"queue\":\"q1\",\"waiting\":3,\"longest_wait_ms\":42000,\"logged_in\":6,"
       "\"available\":1},"
       "{\"event_id\":\"r4\",\"type\":\"training.record\",\"ts\":\"2026-11-28T07:00:00+08:00\","
       "\"staff\":\"1001\",\"date\":\"2026-11-20\",\"kind\":\"政策法规\",\"hours\":2.5},"
       "{\"event_id\":\"r5\",\"type\":\"workorder.open\",\"ts\":\"2026-11-28T08:10:00+08:00\","
       "\"id\":\"WO-7\",\"origin\":\"12345_province\",\"category\":\"签注\","
       "\"due\":\"2026-12-03T17:00:00+08:00\"},"
       "{\"event_id\":\"r6\",\"type\":\"call.classify\",\"ts\":\"2026-11-28T08:04:00+08:00\","
       "\"call_id\":\"c1\",\"category\":\"出入境证件\",\"request_type\":\"咨询\","
       "\"channel\":\"phone\"},"
       "{\"event_id\":\"r7\",\"type\":\"qa.score\",\"ts\":\"2026-11-28T09:00:00+08:00\","
       "\"staff\":\"1001\",\"call_id\":\"c1\",\"score\":96,\"inspector\":\"王芳\"}]");
  ck_assert_uint_eq(f.result.rejected->len, 0);
  ck_assert_uint_eq(f.result.accepted, 7);

  const WbEvent *e = event_at(&f, 0);
  ck_assert_int_eq(e->type, WB_EVENT_ROSTER_SHIFT);
  ck_assert_str_eq(e->agent, "1001");
  ck_assert_int_eq(e->start_ms, T0_MS + 86400000);
  ck_assert_int_eq(e->end_ms, T0_MS + 86400000 + 8 * 3600000);
  ck_assert_str_eq(e->kind, "早班");
  e = event_at(&f, 1);
  ck_assert_str_eq(e->name, "李娜");
  /* The Chinese word staff write is taken for the value it means. */
  ck_assert_str_eq(e->status, "leave");
  g_autoptr(GDateTime) hired = g_date_time_new(f.tz, 2021, 3, 1, 0, 0, 0);
  ck_assert_int_eq(e->start_ms, g_date_time_to_unix(hired) * 1000);
  e = event_at(&f, 2);
  ck_assert_int_eq(e->position, 3);
  ck_assert_int_eq(e->wait_ms, 42000);
  ck_assert_int_eq(e->count_a, 6);
  ck_assert_int_eq(e->count_b, 1);
  e = event_at(&f, 3);
  ck_assert_double_eq(e->value, 2.5);
  ck_assert_str_eq(e->kind, "政策法规");
  e = event_at(&f, 4);
  ck_assert_str_eq(e->id, "WO-7");
  ck_assert_str_eq(e->origin, "12345_province");
  e = event_at(&f, 5);
  ck_assert_str_eq(e->category, "出入境证件");
  ck_assert_str_eq(e->kind, "咨询");
  ck_assert_str_eq(e->origin, "phone");
  e = event_at(&f, 6);
  ck_assert_double_eq(e->value, 96);
  ck_assert_str_eq(e->device, "王芳");
  fixture_clear(&f);
}
END_TEST

START_TEST(test_every_type_has_fields)
{
  /* Every type a sender may use has a field table, and every field name is
   * unique within its type. */
  for (int t = WB_EVENT_CALL_ENQUEUE; t < WB_EVENT_TYPE_COUNT; t++) {
    if (t == WB_EVENT_SOURCE_RESTART || t == WB_EVENT_SOURCE_SYNC)
      continue;
    guint n = 0;
    const WbEventField *fields = wb_event_fields((WbEventType)t, &n);
    ck_assert_msg(n > 0, "%s has no fields", wb_event_type_name((WbEventType)t));
    ck_assert_uint_le(n, 32);
    for (guint i = 0; i < n; i++)
      for (guint k = i + 1; k < n; k++)
        ck_assert_str_ne(fields[i].name, fields[k].name);
  }
}
END_TEST

/* What only a collector knows (a restart, what a phone system still has
 * waiting) cannot be sent: it would end other sources' calls. */
START_TEST(test_collector_types_refused)
{
  Fixture f;
  fixture_init(&f);
  send(&f, "{\"event_id\":\"r\",\"type\":\"source.restart\",\"ts\":1795824000000}\n"
           "{\"event_id\":\"s\",\"type\":\"source.sync\",\"ts\":1795824000000}\n");
  ck_assert_uint_eq(f.result.accepted, 0);
  ck_assert_uint_eq(f.result.rejected->len, 2);
  ck_assert_str_eq(reject_error(&f, 0), "type: 'source.restart' is not an event type");
  ck_assert_str_eq(reject_error(&f, 1), "type: 'source.sync' is not an event type");
  WbEvent ev;
  wb_event_init(&ev, WB_EVENT_SOURCE_SYNC);
  g_autoptr(GError) error = NULL;
  ck_assert(!wb_event_fields_check(&ev, 0, &error));
  ck_assert_ptr_nonnull(strstr(error->message, "cannot be sent"));
  fixture_clear(&f);
}
END_TEST

START_TEST(test_refusals)
{
  Fixture f;
  fixture_init(&f);
  send(
      &f,
      /* 1 */
      "not json\n"
      /* 2 */ "{\"type\":\"call.enqueue\",\"ts\":1795824000000,\"call_id\":\"c\",\"queue\":\"q\"}\n"
      /* 3 */ "{\"event_id\":\"x3\",\"type\":\"call.bogus\",\"ts\":1795824000000}\n"
      /* 4 */ "{\"event_id\":\"x4\",\"type\":\"call.enqueue\",\"call_id\":\"c\",\"queue\":\"q\"}\n"
      /* 5 */
      "{\"event_id\":\"x5\",\"type\":\"call.enqueue\",\"ts\":1795824000000,\"call_id\":\"c\","
      "\"queue\":\"q\",\"wait\":3}\n"
      /* 6 */
      "{\"event_id\":\"x6\",\"type\":\"staff.record\",\"ts\":1795824000000,\"staff\":\"1\","
      "\"status\":\"gone\"}\n"
      /* 7 */
      "{\"event_id\":\"x7\",\"type\":\"call.answer\",\"ts\":1795824000000,\"call_id\":\"c\","
      "\"queue\":\"q\",\"agent\":\"1\",\"wait_ms\":-5}\n"
      /* 8 */
      "{\"event_id\":\"x8\",\"type\":\"call.answer\",\"ts\":\"2026-11-29T08:00:00+08:00\","
      "\"call_id\":\"c\",\"queue\":\"q\",\"agent\":\"1\"}\n"
      /* 9 */
      "{\"event_id\":\"x9\",\"type\":\"roster.shift\",\"ts\":1795824000000,\"staff\":\"1\","
      "\"start\":\"2026-11-29 16:00\",\"end\":\"2026-11-29 08:00\"}\n"
      /* 10 */ "\n"
      /* 11 */
      "{\"event_id\":\"ok\",\"type\":\"agent.login\",\"ts\":1795824000000,\"agent\":\"1\"}\n"
      /* 12 */
      "{\"event_id\":\"x12\",\"type\":\"call.survey\",\"ts\":1795824000000,\"call_id\":\"c\","
      "\"score\":\"five\"}\n"
      /* 13 */
      "{\"event_id\":\"x13\",\"type\":\"call.end\",\"ts\":1795824000000,\"call_id\":\"c\","
      "\"queue\":\"q\",\"agent\":\"1\",\"talk_ms\":1.5}\n"
      /* 14 */
      "{\"event_id\":\"x14\",\"type\":\"workorder.open\",\"ts\":1795824000000,\"id\":\"w\","
      "\"origin\":\"12345\"}\n"
      /* 15 */ "[1,2]\n");
  ck_assert_uint_eq(f.result.accepted, 1);
  ck_assert_uint_eq(f.result.rejected->len, 13);
  static const struct {
    guint line;
    const char *error;
  } want[] = {
      {1, "not JSON"},
      {2, "event_id: required"},
      {3, "type: 'call.bogus' is not an event type"},
      {4, "ts: required"},
      {5, "wait: not a field of call.enqueue"},
      {6, "status: 'gone' is not one of active, leave, left, reserve"},
      {7, "wait_ms: must be a whole number >= 0"},
      {8, "ts: in the future"},
      {9, "end: must be later than start"},
      {12, "score: 'five' is not a number >= 0"},
      {13, "talk_ms: must be a whole number >= 0"},
      {14, "origin: '12345' is not one of 12345_province, 12345_city, direct"},
      {15, "an event must be a JSON object"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
    ck_assert_uint_eq(reject_line(&f, (guint)i), want[i].line);
    ck_assert_msg(g_str_has_prefix(reject_error(&f, (guint)i), want[i].error),
                  "line %u: '%s' does not start with '%s'", want[i].line,
                  reject_error(&f, (guint)i), want[i].error);
  }
  /* Each refusal is kept in quarantine with its line number. */
  ck_assert_uint_eq(f.sink.quarantine_lines->len, 13);
  ck_assert_int_eq(g_array_index(f.sink.quarantine_lines, gint64, 8), 9);
  ck_assert_str_eq(g_array_index(f.result.rejected, WbIngestReject, 5).event_id, "x6");
  fixture_clear(&f);
}
END_TEST

START_TEST(test_duplicates)
{
  Fixture f;
  fixture_init(&f);
  const char *body =
      "{\"event_id\":\"d1\",\"type\":\"agent.pause\",\"ts\":1795824000000,\"agent\":\"1\","
      "\"reason\":\"午餐\"}\r\n"
      "{\"event_id\":\"d2\",\"type\":\"agent.unpause\",\"ts\":1795824060000,\"agent\":\"1\"}\r\n";
  send(&f, body);
  ck_assert_uint_eq(f.result.accepted, 2);
  ck_assert_str_eq(event_at(&f, 0)->reason, "午餐");
  send(&f, body);
  ck_assert_uint_eq(f.result.accepted, 0);
  ck_assert_uint_eq(f.result.duplicates, 2);
  /* The same ids from another source are other events. */
  wb_ingest_result_clear(&f.result);
  wb_ingest_result_init(&f.result);
  wb_ingest_body(f.ingest, "api:other", "test", body, strlen(body), &f.result);
  ck_assert_uint_eq(f.result.accepted, 2);

  WbCollector *c = wb_ingest_collector(f.ingest);
  ck_assert_uint_eq(c->ops->n_sources(c), 2);
  WbCollectorStats st;
  c->ops->stats(c, 0, &st);
  ck_assert_str_eq(c->ops->source(c, 0), "api:test");
  ck_assert_uint_eq(st.events, 2);
  ck_assert_uint_eq(st.duplicates, 2);
  fixture_clear(&f);
}
END_TEST

START_TEST(test_one_object_over_lines)
{
  Fixture f;
  fixture_init(&f);
  send(&f, "{\n  \"event_id\": \"p1\",\n  \"type\": \"complaint.open\",\n"
           "  \"ts\": \"2026-11-28T00:00:00Z\",\n  \"id\": \"TS-1\",\n  \"staff\": \"1001\",\n"
           "  \"category\": \"态度\"\n}\n");
  ck_assert_uint_eq(f.result.accepted, 1);
  ck_assert_str_eq(event_at(&f, 0)->id, "TS-1");
  ck_assert_str_eq(event_at(&f, 0)->category, "态度");
  /* Two values on a line are not taken as one. */
  send(&f, "{\"event_id\":\"c1\",\"type\":\"agent.login\",\"ts\":1795824000000,"
           "\"agent\":\"1\"}{\"event_id\":\"c2\",\"type\":\"agent.login\","
           "\"ts\":1795824000000,\"agent\":\"2\"}\n");
  ck_assert_uint_eq(f.result.accepted, 0);
  ck_assert_str_eq(reject_error(&f, 0), "more than one JSON value (send one event per line)");
  /* Not UTF-8: one refusal for the whole body. */
  send(&f, "{\"event_id\":\"\xff\"}");
  ck_assert_uint_eq(f.result.rejected->len, 1);
  ck_assert_str_eq(reject_error(&f, 0), "the body is not valid UTF-8");
  fixture_clear(&f);
}
END_TEST

START_TEST(test_field_limits)
{
  Fixture f;
  fixture_init(&f);
  g_autofree char *longq = g_strnfill(80, 'q');
  g_autofree char *body = g_strdup_printf("{\"event_id\":\"l1\",\"type\":\"agent.login\","
                                          "\"ts\":1795824000000,\"agent\":\"1\",\"queue\":\"%s\"}",
                                          longq);
  send(&f, body);
  ck_assert_uint_eq(f.result.rejected->len, 1);
  ck_assert_str_eq(reject_error(&f, 0), "queue: longer than 63 bytes");
  ck_assert(wb_ingest_label_valid("acd-2.east_1"));
  ck_assert(!wb_ingest_label_valid("a b"));
  ck_assert(!wb_ingest_label_valid(""));
  g_autofree char *name = wb_ingest_source_name("qa");
  ck_assert_str_eq(name, "api:qa");
  fixture_clear(&f);
}
END_TEST

START_TEST(test_docs_in_step)
{
  const char *src = g_getenv("WB_SOURCE_DIR");
  g_autofree char *path = g_build_filename(src != NULL ? src : ".", "docs", "events.md", NULL);
  g_autofree char *text = NULL;
  ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "missing %s", path);
  g_autofree char *now = wb_event_fields_docs_markdown();
  ck_assert_msg(strcmp(text, now) == 0,
                "docs/events.md is stale: run wallboardd --print-event-docs");
  /* Every type a sender may use is described. */
  for (int t = WB_EVENT_CALL_ENQUEUE; t < WB_EVENT_TYPE_COUNT; t++) {
    if (t == WB_EVENT_SOURCE_RESTART || t == WB_EVENT_SOURCE_SYNC)
      continue;
    g_autofree char *head = g_strdup_printf("## `%s`\n\n", wb_event_type_name((WbEventType)t));
    const char *at = strstr(now, head);
    ck_assert_msg(at != NULL && at[strlen(head)] != '\n' && at[strlen(head)] != '(',
                  "%s is not described", wb_event_type_name((WbEventType)t));
  }
}
END_TEST

/* A body of white space alone holds no JSON value: one refusal that says
 * so, and nothing to the sink (found by tests/fuzz/fuzz_ingest). */
START_TEST(test_blank_body)
{
  const char *bodies[] = {"", " ", "\n", " \r\n\t "};
  for (gsize i = 0; i < G_N_ELEMENTS(bodies); i++) {
    Fixture f;
    fixture_init(&f);
    send(&f, bodies[i]);
    ck_assert_uint_eq(f.result.accepted, 0);
    ck_assert_uint_eq(f.sink.events->len, 0);
    ck_assert_uint_eq(f.result.rejected->len, 1);
    ck_assert_uint_eq(reject_line(&f, 0), 1);
    ck_assert_str_eq(reject_error(&f, 0),
                     "no events in the body (one JSON object, an array, or NDJSON)");
    ck_assert_uint_eq(f.sink.reasons->len, 1);
    ck_assert_str_eq(g_ptr_array_index(f.sink.reasons, 0), reject_error(&f, 0));
    fixture_clear(&f);
  }
}
END_TEST

/* json-glib takes octal escapes, which are not JSON: "\615" would put
 * the byte 0x8D into a field, and its parse error quotes such a string
 * decoded (found by tests/fuzz/fuzz_ingest). */
START_TEST(test_escape_not_utf8)
{
  Fixture f;
  fixture_init(&f);
  send(&f, "{\"event_id\":\"o1\",\"type\":\"agent.login\",\"ts\":1795824000000,"
           "\"agent\":\"x\\615y\"}\n"
           "{\"event_id\":\"o2\",\"ts\":\"yes\\\\\\615,\"talk_\\s\":310}\n");
  ck_assert_uint_eq(f.result.accepted, 0);
  ck_assert_uint_eq(f.sink.events->len, 0);
  ck_assert_uint_eq(f.result.rejected->len, 2);
  ck_assert_str_eq(reject_error(&f, 0),
                   "a string is not valid UTF-8 once unescaped (an escape that is not JSON?)");
  ck_assert_uint_eq(reject_line(&f, 1), 2);
  ck_assert(strstr(reject_error(&f, 1), "not JSON: ") == reject_error(&f, 1));
  ck_assert(g_utf8_validate(reject_error(&f, 1), -1, NULL));
  for (guint i = 0; i < f.sink.reasons->len; i++)
    ck_assert(g_utf8_validate(g_ptr_array_index(f.sink.reasons, i), -1, NULL));
  fixture_clear(&f);
}
END_TEST

static Suite *
ingest_suite(void)
{
  Suite *s = suite_create("ingest");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_call_events);
  tcase_add_test(tc, test_record_events);
  tcase_add_test(tc, test_every_type_has_fields);
  tcase_add_test(tc, test_refusals);
  tcase_add_test(tc, test_collector_types_refused);
  tcase_add_test(tc, test_duplicates);
  tcase_add_test(tc, test_one_object_over_lines);
  tcase_add_test(tc, test_field_limits);
  tcase_add_test(tc, test_docs_in_step);
  tcase_add_test(tc, test_blank_body);
  tcase_add_test(tc, test_escape_not_utf8);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(ingest_suite());
}
