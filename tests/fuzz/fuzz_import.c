/* fuzz_import.c: the record files of `wallboardctl import` (collectors/
 * import.c): the spreadsheet reader (CSV, TAB, semicolon; UTF-8, GBK,
 * UTF-16), every kind's columns and rows, a roster's grid layout, and the
 * ZKTeco attlog.dat of the punches kind.
 *
 * The first byte chooses the kind, the rest is the file. A file refused as
 * a whole sends nothing; a rejected row says why; the same file imported
 * again stores nothing new.
 */
#include "collectors/import.h"
#include "fuzz_common.h"

/* 2026-11-28T08:00:00+08:00: when the file was exported. */
#define FILE_MS G_GINT64_CONSTANT(1795824000000)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static GTimeZone *tz;
static WbAgentMap *agents;

static const WbImportShift shifts[] = {
    {"早", "早班", NULL, 8 * 60, 16 * 60},
    {"中", "中班", NULL, 16 * 60, 24 * 60},
    {"夜", "夜班", "night_agent", 0, 8 * 60},
    {"N", "大夜班", NULL, 22 * 60, 6 * 60},
};

/* Summer hours for the day shift, as a [shift.CODE] season would give. */
static void
shift_hours(const WbImportShift *shift, int year, int month, int day, gint *start_min,
            gint *end_min, gpointer user_data)
{
  (void)year;
  (void)day;
  (void)user_data;
  *start_min = shift->start_min;
  *end_min = shift->end_min;
  if (month >= 5 && month <= 9 && strcmp(shift->code, "早") == 0)
    *start_min = 7 * 60 + 30;
}

/* The store's shifts: one from 08:00 to 16:00 on each day asked about, for
 * agents whose key starts with a digit below 5, so a roster file can
 * cancel some. */
static gboolean
stored_shifts(const char *agent, gint64 from_ms, gint64 to_ms, gint64 as_of_ms, GArray *out,
              gpointer user_data)
{
  (void)as_of_ms;
  (void)user_data;
  FUZZ_ASSERT(agent != NULL && from_ms < to_ms);
  if (agent[0] < '0' || agent[0] >= '5')
    return TRUE;
  gint64 start = from_ms + 8 * 3600 * 1000, end = from_ms + 16 * 3600 * 1000;
  if (start < to_ms) {
    g_array_append_val(out, start);
    g_array_append_val(out, end);
  }
  return TRUE;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  fuzz_quiet_logs();
  tz = g_time_zone_new_identifier("Asia/Shanghai");
  FUZZ_ASSERT(tz != NULL);
  agents = wb_agent_map_new();
  wb_agent_map_add(agents, "1001", "张伟");
  wb_agent_map_add(agents, "1002", "7");
  return 0;
}

static void
check_result(gboolean ok, const GError *error, const WbImportResult *r, const FuzzSink *sink)
{
  if (!ok) {
    FUZZ_ASSERT(error != NULL && error->message != NULL && error->message[0] != '\0');
    FUZZ_ASSERT(sink->calls == 0);
    return;
  }
  FUZZ_ASSERT(error == NULL);
  FUZZ_ASSERT(r->format != NULL);
  FUZZ_ASSERT(r->stored + r->already + r->repeated == r->events);
  FUZZ_ASSERT(sink->taken == r->stored + r->cancelled);
  FUZZ_ASSERT(r->rejected->len <= r->rows);
  FUZZ_ASSERT(r->rejected->len == sink->quarantined);
  guint last = 0;
  for (guint i = 0; i < r->rejected->len; i++) {
    const WbImportRejected *j = &g_array_index(r->rejected, WbImportRejected, i);
    FUZZ_ASSERT(j->reason != NULL && j->reason[0] != '\0');
    FUZZ_ASSERT(g_utf8_validate(j->reason, -1, NULL));
    FUZZ_ASSERT(j->row >= 1 && j->row >= last);
    last = j->row;
  }
  for (guint i = 0; r->ignored != NULL && i < r->ignored->len; i++)
    FUZZ_ASSERT(g_ptr_array_index(r->ignored, i) != NULL);
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
  if (size < 1)
    return 0;
  WbImportKind kind = data[0] % WB_IMPORT_KIND_COUNT;
  g_autofree char *source = g_strdup_printf("import:%s", wb_import_kind_name(kind));
  FuzzSink sink;
  fuzz_sink_init(&sink, source, TRUE);
  WbImportOptions opts = {
      .sink = &sink.sink,
      .agents = agents,
      .tz = tz,
      .shifts = shifts,
      .n_shifts = G_N_ELEMENTS(shifts),
      .shift_hours = (data[0] & 0x80) ? shift_hours : NULL,
      .stored_shifts = (data[0] & 0x40) ? stored_shifts : NULL,
  };

  WbImportResult first;
  wb_import_result_init(&first);
  g_autoptr(GError) error = NULL;
  gboolean ok =
      wb_import_bytes(kind, "fuzz.csv", data + 1, size - 1, FILE_MS, &opts, &first, &error);
  check_result(ok, error, &first, &sink);

  /* Imported again: the same rows, nothing new. */
  fuzz_sink_reset_counts(&sink);
  WbImportResult again;
  wb_import_result_init(&again);
  g_autoptr(GError) error2 = NULL;
  gboolean ok2 =
      wb_import_bytes(kind, "fuzz.csv", data + 1, size - 1, FILE_MS, &opts, &again, &error2);
  FUZZ_ASSERT(ok == ok2);
  check_result(ok2, error2, &again, &sink);
  if (ok) {
    FUZZ_ASSERT(again.stored == 0 && again.cancelled == 0);
    FUZZ_ASSERT(again.events == first.events && again.rows == first.rows);
    FUZZ_ASSERT(again.rejected->len == first.rejected->len);
  }

  wb_import_result_clear(&first);
  wb_import_result_clear(&again);
  fuzz_sink_clear(&sink);
  return 0;
}
