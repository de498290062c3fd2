/* fuzz_ingest.c: the JSON ingest (POST /api/v1/events, ingest.v1).
 *
 * The input is a request body. Every event the sink gets is checked, every
 * refusal must say why, and sending the same body again (a client's retry)
 * must store nothing new.
 */
#include "collectors/ingest.h"
#include "fuzz_common.h"

#define SOURCE "api:fuzz"
/* 2026-11-28T08:00:00+08:00 */
#define T0_MS G_GINT64_CONSTANT(1795824000000)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static GTimeZone *tz;

static gint64
fixed_now(gpointer user_data)
{
  (void)user_data;
  return T0_MS + 3600 * 1000;
}

static const WbClock clock_fixed = {.func = fixed_now, .rate = 1.0};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  fuzz_quiet_logs();
  tz = g_time_zone_new_identifier("Asia/Shanghai");
  FUZZ_ASSERT(tz != NULL);
  return 0;
}

static void
check_result(const WbIngestResult *r, const FuzzSink *sink)
{
  FUZZ_ASSERT(r->accepted == sink->taken);
  FUZZ_ASSERT(r->accepted + r->duplicates == sink->calls);
  FUZZ_ASSERT(r->rejected->len == sink->quarantined);
  for (guint i = 0; i < r->rejected->len; i++) {
    const WbIngestReject *j = &g_array_index(r->rejected, WbIngestReject, i);
    FUZZ_ASSERT(j->line >= 1);
    FUZZ_ASSERT(j->error != NULL && j->error[0] != '\0');
    FUZZ_ASSERT(g_utf8_validate(j->error, -1, NULL));
    FUZZ_ASSERT(j->event_id == NULL || g_utf8_validate(j->event_id, -1, NULL));
  }
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
  FuzzSink sink;
  fuzz_sink_init(&sink, SOURCE, TRUE);
  WbAgentMap *map = wb_agent_map_new();
  wb_agent_map_add(map, "1001", "张伟");
  WbIngest *ingest = wb_ingest_new(&sink.sink, &clock_fixed, tz, map);
  const char *body = (const char *)data;

  WbIngestResult first;
  wb_ingest_result_init(&first);
  wb_ingest_body(ingest, SOURCE, "fuzz", body, size, &first);
  check_result(&first, &sink);

  /* The retry: the same events, all already stored. */
  fuzz_sink_reset_counts(&sink);
  WbIngestResult again;
  wb_ingest_result_init(&again);
  wb_ingest_body(ingest, SOURCE, "fuzz", body, size, &again);
  check_result(&again, &sink);
  FUZZ_ASSERT(again.accepted == 0);
  FUZZ_ASSERT(again.duplicates == first.accepted + first.duplicates);
  FUZZ_ASSERT(again.rejected->len == first.rejected->len);

  wb_ingest_result_clear(&first);
  wb_ingest_result_clear(&again);
  wb_collector_free(wb_ingest_collector(ingest));
  fuzz_sink_clear(&sink);
  return 0;
}
