/* test_import.c: record files (CSV, ZKTeco attlog.dat) -> events. */
#include <sqlite3.h>

#include "collectors/import.h"
#include "engine/clock.h"
#include "engine/engine.h"
#include "testutil.h"

#define BOM "\xEF\xBB\xBF"

/* The templates of the example configuration, and one across midnight. */
static const WbImportShift shifts[] = {
    {"早", "早班", NULL, 8 * 60, 16 * 60},
    {"中", "中班", NULL, 16 * 60, 24 * 60},
    {"夜", "夜班", "night_agent", 0, 8 * 60},
    {"N", "大夜班", NULL, 22 * 60, 6 * 60},
};

typedef struct {
  TestSink sink;
  GTimeZone *tz;
  WbAgentMap *agents;
  WbImportOptions opts;
  WbImportResult r;
  GError *error;
  gint64 file_ms;
} Run;

static void
run_init(Run *x)
{
  memset(x, 0, sizeof(*x));
  test_sink_init(&x->sink);
  x->tz = g_time_zone_new_identifier("Asia/Shanghai");
  x->agents = wb_agent_map_new();
  /* A ZKTeco PIN and a staff number that are someone's alias. */
  wb_agent_map_add(x->agents, "1005", "5");
  wb_agent_map_add(x->agents, "1005", "GH005");
  x->opts = (WbImportOptions){
      .sink = &x->sink.sink,
      .agents = x->agents,
      .tz = x->tz,
      .shifts = shifts,
      .n_shifts = G_N_ELEMENTS(shifts),
  };
  wb_import_result_init(&x->r);
  ck_assert(wb_time_parse(x->tz, "2026-11-28 12:00", &x->file_ms));
}

static void
run_clear(Run *x)
{
  wb_import_result_clear(&x->r);
  g_clear_error(&x->error);
  wb_agent_map_free(x->agents);
  g_time_zone_unref(x->tz);
  test_sink_clear(&x->sink);
}

/* Imports text (len -1: a string) as a file; a fresh result and list of
 * received events each time. */
static gboolean
run(Run *x, WbImportKind kind, const char *text, gssize len)
{
  wb_import_result_clear(&x->r);
  wb_import_result_init(&x->r);
  g_clear_error(&x->error);
  /* What the sink remembers as stored stays. */
  test_sink_reset_received(&x->sink);
  return wb_import_bytes(kind, "test.csv", text, len < 0 ? strlen(text) : (gsize)len, x->file_ms,
                         &x->opts, &x->r, &x->error);
}

static WbEvent *
event_at(Run *x, guint i)
{
  ck_assert_uint_lt(i, x->sink.events->len);
  return &g_array_index(x->sink.events, WbEvent, i);
}

static gint64
at(Run *x, const char *local)
{
  gint64 ms = 0;
  ck_assert_msg(wb_time_parse(x->tz, local, &ms), "%s", local);
  return ms;
}

static void
assert_rejected(Run *x, guint i, guint row, const char *reason)
{
  ck_assert_uint_lt(i, x->r.rejected->len);
  const WbImportRejected *r = &g_array_index(x->r.rejected, WbImportRejected, i);
  ck_assert_uint_eq(r->row, row);
  ck_assert_msg(strstr(r->reason, reason) != NULL, "row %u: '%s' lacks '%s'", row, r->reason,
                reason);
  /* Quarantined too, with its row number. */
  ck_assert_int_eq(g_array_index(x->sink.quarantine_lines, gint64, i), row);
  ck_assert_str_eq(g_ptr_array_index(x->sink.reasons, i), r->reason);
}

static void
assert_error(Run *x, const char *text)
{
  ck_assert_ptr_nonnull(x->error);
  ck_assert_msg(strstr(x->error->message, text) != NULL, "'%s' lacks '%s'", x->error->message,
                text);
  ck_assert_uint_eq(x->sink.events->len, 0);
}

START_TEST(test_kind_names)
{
  for (int k = 0; k < WB_IMPORT_KIND_COUNT; k++) {
    WbImportKind back;
    ck_assert(wb_import_kind_from_name(wb_import_kind_name((WbImportKind)k), &back));
    ck_assert_int_eq(back, k);
  }
  WbImportKind none;
  ck_assert(!wb_import_kind_from_name("queue_log", &none));
}
END_TEST

START_TEST(test_staff_good_and_bad_rows)
{
  Run x;
  run_init(&x);
  ck_assert(run(&x, WB_IMPORT_STAFF,
                "staff,name,role,status,hired,left,备注\n"
                "1001,王丽,agent,active,2024-03-01,,新人\n"
                "1002,\"张,伟\",team_lead,gone,2023-01-01,,\n"
                ",李娜,agent,active,,,\n"
                "1003,李娜,agent,left,2022/9/1,2026-10-31,\n"
                "1004,赵敏,agent,active,yesterday,,\n"
                "1005,孙强,agent,left,2026-10-01,2026-09-01,\n"
                "GH005,孙强,agent,active,2024-01-01,,\n",
                -1));
  ck_assert_uint_eq(x.r.rows, 7);
  ck_assert_uint_eq(x.r.stored, 3);
  ck_assert_uint_eq(x.r.rejected->len, 4);
  assert_rejected(&x, 0, 3, "status: 'gone' is not one of active, leave, left, reserve");
  assert_rejected(&x, 1, 4, "staff: required for staff.record");
  assert_rejected(&x, 2, 6, "hired: 'yesterday' is not a date");
  assert_rejected(&x, 3, 7, "left: earlier than hired");
  ck_assert_uint_eq(x.r.ignored->len, 1);
  ck_assert_str_eq(g_ptr_array_index(x.r.ignored, 0), "备注");

  WbEvent *e = event_at(&x, 0);
  ck_assert_int_eq(e->type, WB_EVENT_STAFF_RECORD);
  ck_assert_str_eq(e->source, "import:staff");
  ck_assert_str_eq(e->agent, "1001");
  ck_assert_str_eq(e->name, "王丽");
  ck_assert_int_eq(e->start_ms, at(&x, "2024-03-01"));
  /* No time column: the file's time. */
  ck_assert_int_eq(e->ts_ms, x.file_ms);
  e = event_at(&x, 1);
  ck_assert_str_eq(e->status, "left");
  ck_assert_int_eq(e->start_ms, at(&x, "2022-09-01"));
  ck_assert_int_eq(e->end_ms, at(&x, "2026-10-31"));
  /* A staff number that is someone's alias is that someone. */
  ck_assert_str_eq(event_at(&x, 2)->agent, "1005");
  ck_assert(e->source_pos >= 0 && e->source_pos != event_at(&x, 0)->source_pos);
  run_clear(&x);
}
END_TEST

START_TEST(test_chinese_headers_and_ts)
{
  Run x;
  run_init(&x);
  ck_assert(run(&x, WB_IMPORT_STAFF,
                "工号,姓名,岗位,状态,时间\n1001,王丽,班长,active,2026-11-01 09:00\n", -1));
  ck_assert_uint_eq(x.r.stored, 1);
  ck_assert_uint_eq(x.r.ignored->len, 0);
  ck_assert_str_eq(event_at(&x, 0)->role, "班长");
  ck_assert_int_eq(event_at(&x, 0)->ts_ms, at(&x, "2026-11-01 09:00"));
  run_clear(&x);
}
END_TEST

START_TEST(test_file_level_errors)
{
  Run x;
  run_init(&x);
  ck_assert(!run(&x, WB_IMPORT_STAFF, "name,role\n王丽,agent\n", -1));
  assert_error(&x, "missing column: staff (工号)");
  ck_assert(!run(&x, WB_IMPORT_QA, "staff,score\n1001,90\n", -1));
  assert_error(&x, "missing column: ts (时间)");
  ck_assert(!run(&x, WB_IMPORT_PUNCHES, "staff,direction\n1001,in\n", -1));
  assert_error(&x, "missing column: ts (时间)");
  ck_assert(!run(&x, WB_IMPORT_TRAINING, "staff,date\n1001,2026-11-01\n", -1));
  assert_error(&x, "missing column: kind (培训类型), hours (学时)");
  ck_assert(!run(&x, WB_IMPORT_WORKORDERS, "id,status\nA1,open\n", -1));
  assert_error(&x, "missing column: opened (受理时间)");
  ck_assert(!run(&x, WB_IMPORT_STAFF, "staff,工号\n1001,1001\n", -1));
  assert_error(&x, "columns A ('staff') and B ('工号') are the same");
  ck_assert(!run(&x, WB_IMPORT_STAFF, "\n\n", -1));
  assert_error(&x, "no header row");
  ck_assert(!run(&x, WB_IMPORT_ROSTER, "staff,role\n1001,agent\n", -1));
  assert_error(&x, "start (开始时间) and end (结束时间), or date (日期) and template");
  ck_assert(!run(&x, WB_IMPORT_STAFF, "\xFF\xFF\xFF\xFF", 4));
  assert_error(&x, "neither UTF-8 nor GBK/GB18030");
  ck_assert(!run(&x, WB_IMPORT_STAFF, BOM "staff\n\xC0\x80\n", -1));
  assert_error(&x, "byte-order mark but is not UTF-8");
  /* Header only: nothing to do, nothing wrong. */
  ck_assert(run(&x, WB_IMPORT_STAFF, "staff,name\r\n", -1));
  ck_assert_uint_eq(x.r.rows, 0);
  /* Nothing went anywhere for the failed files. */
  ck_assert_uint_eq(x.sink.reasons->len, 0);

  g_autofree char *missing = g_build_filename(g_get_tmp_dir(), "wbtest-no-such-file.csv", NULL);
  ck_assert(!wb_import_file(WB_IMPORT_STAFF, missing, &x.opts, &x.r, &x.error));
  assert_error(&x, "wbtest-no-such-file.csv");
  run_clear(&x);
}
END_TEST

START_TEST(test_csv_quoting_and_row_numbers)
{
  Run x;
  run_init(&x);
  /* Doubled quotes, a newline inside quotes (one spreadsheet row), CRLF,
   * blank lines (spreadsheet rows too) and a row with an unquoted comma. */
  ck_assert(run(&x, WB_IMPORT_STAFF,
                "staff,name,role\r\n"
                "1001,\"王\"\"丽\"\"\",\"agent\r\nsecond line\"\r\n"
                "\r\n"
                "1002,张伟,agent\r\n"
                "1003,李,娜,agent\r\n"
                ",,\r\n"
                "1004,赵敏,\"team,lead\"",
                -1));
  ck_assert_uint_eq(x.r.rows, 4);
  ck_assert_uint_eq(x.r.stored, 3);
  ck_assert_str_eq(event_at(&x, 0)->name, "王\"丽\"");
  ck_assert_str_eq(event_at(&x, 0)->role, "agent\r\nsecond line");
  ck_assert_str_eq(event_at(&x, 2)->role, "team,lead");
  assert_rejected(&x, 0, 5, "4 cells where the header has 3");
  run_clear(&x);
}
END_TEST

START_TEST(test_delimiters)
{
  Run x;
  run_init(&x);
  ck_assert(
      run(&x, WB_IMPORT_EXAMS, "staff\tdate\tarea\tscore\n1001\t2026-11-25\t政策\t92.5\n", -1));
  ck_assert_uint_eq(x.r.stored, 1);
  ck_assert(strstr(x.r.format, "TAB-separated") != NULL);
  ck_assert(event_at(&x, 0)->value == 92.5);
  ck_assert(run(&x, WB_IMPORT_EXAMS, "staff;date;area;score\n1002;2026-11-25;政策;88\n", -1));
  ck_assert_uint_eq(x.r.stored, 1);
  ck_assert(strstr(x.r.format, "semicolon-separated") != NULL);
  ck_assert(event_at(&x, 0)->value == 88);
  run_clear(&x);
}
END_TEST

/* Excel's encodings: GBK from Chinese Excel, UTF-8 with a BOM, and the
 * "Unicode text" of UTF-16LE with a BOM, TAB-separated. */
START_TEST(test_encodings)
{
  static const char utf8[] =
      "工号,姓名,岗位,状态\r\n1001,王丽,话务员,active\r\n1002,张伟,班长,辞退\r\n";
  Run x;
  run_init(&x);

  gsize gbk_len = 0;
  g_autofree char *gbk = g_convert(utf8, -1, "GBK", "UTF-8", NULL, &gbk_len, NULL);
  ck_assert_ptr_nonnull(gbk);
  ck_assert(!g_utf8_validate(gbk, (gssize)gbk_len, NULL));
  ck_assert(run(&x, WB_IMPORT_STAFF, gbk, (gssize)gbk_len));
  ck_assert_str_eq(x.r.format, "CSV, GB18030, comma-separated");
  ck_assert_uint_eq(x.r.stored, 1);
  ck_assert_str_eq(event_at(&x, 0)->name, "王丽");
  ck_assert_str_eq(event_at(&x, 0)->role, "话务员");
  assert_rejected(&x, 0, 3, "status: '辞退' is not one of active, leave, left, reserve");

  g_autofree char *bom = g_strconcat(BOM, utf8, NULL);
  ck_assert(run(&x, WB_IMPORT_STAFF, bom, -1));
  ck_assert_str_eq(x.r.format, "CSV, UTF-8 with BOM, comma-separated");
  /* The same row in another encoding is the same event. */
  ck_assert_uint_eq(x.r.stored, 0);
  ck_assert_uint_eq(x.r.already, 1);

  g_autofree char *tabbed = g_strdelimit(g_strdup(utf8), ",", '\t');
  gsize u16_len = 0;
  g_autofree char *u16 = g_convert(tabbed, -1, "UTF-16LE", "UTF-8", NULL, &u16_len, NULL);
  ck_assert_ptr_nonnull(u16);
  g_autofree char *with_bom = g_malloc(u16_len + 2);
  memcpy(with_bom, "\xFF\xFE", 2);
  memcpy(with_bom + 2, u16, u16_len);
  ck_assert(run(&x, WB_IMPORT_STAFF, with_bom, (gssize)u16_len + 2));
  ck_assert_str_eq(x.r.format, "CSV, UTF-16LE, TAB-separated");
  ck_assert_uint_eq(x.r.rows, 2);
  ck_assert_uint_eq(x.r.already, 1);
  ck_assert_uint_eq(x.r.rejected->len, 1);
  run_clear(&x);
}
END_TEST

START_TEST(test_roster_long)
{
  Run x;
  run_init(&x);
  ck_assert(run(&x, WB_IMPORT_ROSTER,
                "staff,date,template,start,end,role,status,姓名\n"
                "1001,2026-12-01,早,,,,,王丽\n"
                "1002,2026/12/1,中班,,,team_lead,,张伟\n"
                "1003,2026-12-01,,22:00,06:00,agent,,李娜\n"
                "1004,,夜,2026-12-02 00:00,2026-12-02 08:00,,,赵敏\n"
                "1005,2026-12-01,晚,,,,,孙强\n"
                "1006,2026-12-01,,,,,,周杰\n"
                "1007,,,2026-12-01 08:00,2026-12-01 07:00,,,吴芳\n"
                "1008,2026-12-01,早,,,,cancelled,郑华\n",
                -1));
  ck_assert_uint_eq(x.r.rows, 8);
  ck_assert_uint_eq(x.r.stored, 5);
  ck_assert_uint_eq(x.r.ignored->len, 0);
  assert_rejected(&x, 0, 6, "template: '晚' is not a shift template");
  assert_rejected(&x, 1, 7, "template: required with a date");
  assert_rejected(&x, 2, 8, "end: must be later than start");

  WbEvent *e = event_at(&x, 0);
  ck_assert_int_eq(e->type, WB_EVENT_ROSTER_SHIFT);
  ck_assert_int_eq(e->start_ms, at(&x, "2026-12-01 08:00"));
  ck_assert_int_eq(e->end_ms, at(&x, "2026-12-01 16:00"));
  ck_assert_str_eq(e->kind, "早");
  /* A template named by its label; 24:00 is the next midnight. */
  e = event_at(&x, 1);
  ck_assert_str_eq(e->kind, "中");
  ck_assert_str_eq(e->role, "team_lead");
  ck_assert_int_eq(e->start_ms, at(&x, "2026-12-01 16:00"));
  ck_assert_int_eq(e->end_ms, at(&x, "2026-12-02 00:00"));
  /* Times of day on a date; the end before the start is the next day. */
  e = event_at(&x, 2);
  ck_assert_int_eq(e->start_ms, at(&x, "2026-12-01 22:00"));
  ck_assert_int_eq(e->end_ms, at(&x, "2026-12-02 06:00"));
  /* Full times; the template gives the role. */
  e = event_at(&x, 3);
  ck_assert_int_eq(e->start_ms, at(&x, "2026-12-02 00:00"));
  ck_assert_str_eq(e->role, "night_agent");
  ck_assert_str_eq(event_at(&x, 4)->status, "cancelled");
  run_clear(&x);
}
END_TEST

START_TEST(test_roster_grid)
{
  Run x;
  run_init(&x);
  ck_assert(run(&x, WB_IMPORT_ROSTER,
                "工号,姓名,2026-12-01,2026/12/2,2026年12月3日,合计\n"
                "1001,王丽,早,早,休,2\n"
                "1002,张伟,中,off,N,2\n"
                "1003,李娜,夜,晚,X,2\n"
                "1004,赵敏,,,,0\n"
                ",周杰,早,,,1\n",
                -1));
  ck_assert_uint_eq(x.r.rows, 5);
  ck_assert_uint_eq(x.r.stored, 4);
  ck_assert_uint_eq(x.r.events, 4);
  ck_assert(strstr(x.r.format, "one column per day") != NULL);
  /* A row error names every bad cell by day and column. */
  assert_rejected(&x, 0, 4,
                  "2026-12-02 (column D): '晚' is not a shift template ([shift.CODE] in the "
                  "configuration); 2026-12-03 (column E): 'X' is not a shift template");
  assert_rejected(&x, 1, 6, "staff: required for roster.shift");
  ck_assert_uint_eq(x.r.ignored->len, 1);
  ck_assert_str_eq(g_ptr_array_index(x.r.ignored, 0), "合计");

  WbEvent *e = event_at(&x, 1);
  ck_assert_str_eq(e->agent, "1001");
  ck_assert_int_eq(e->start_ms, at(&x, "2026-12-02 08:00"));
  e = event_at(&x, 3);
  ck_assert_str_eq(e->agent, "1002");
  ck_assert_str_eq(e->kind, "N");
  ck_assert_int_eq(e->start_ms, at(&x, "2026-12-03 22:00"));
  ck_assert_int_eq(e->end_ms, at(&x, "2026-12-04 06:00"));
  ck_assert_int_eq(e->ts_ms, x.file_ms);

  ck_assert(!run(&x, WB_IMPORT_ROSTER, "staff,start,2026-12-01\n1001,,早\n", -1));
  assert_error(&x, "use one layout");
  ck_assert(!run(&x, WB_IMPORT_ROSTER, "staff,2026-12-01,2026-12-1\n1001,早,早\n", -1));
  assert_error(&x, "the same day");
  /* A year no roster has (here the first, whose midnight in the centre's
   * zone falls before any time a clock can hold) is not a day column. */
  ck_assert(run(&x, WB_IMPORT_ROSTER, "staff,0001-01-01,2026-12-01\n1001,休,早\n", -1));
  ck_assert_uint_eq(x.r.ignored->len, 1);
  ck_assert_str_eq(g_ptr_array_index(x.r.ignored, 0), "0001-01-01");
  ck_assert_uint_eq(x.r.events, 1);
  run_clear(&x);
}
END_TEST

START_TEST(test_punches_csv)
{
  Run x;
  run_init(&x);
  ck_assert(run(&x, WB_IMPORT_PUNCHES,
                "staff,ts,direction,device\n"
                "1001,2026-12-01 07:52:10,in,door-1\n"
                "1001,2026-12-01 07:52:11,in,door-1\n"
                "1001,2026-12-01 07:52:10,in,door-1\n"
                "1002,,in,door-1\n"
                "1003,2026-12-01 08:01,sideways,door-1\n"
                "5,2026-12-01T16:00:00+08:00,out,door-2\n",
                -1));
  ck_assert_uint_eq(x.r.rows, 6);
  /* A double punch a second apart is two; the same line twice, one. */
  ck_assert_uint_eq(x.r.stored, 3);
  ck_assert_uint_eq(x.r.repeated, 1);
  assert_rejected(&x, 0, 5, "ts: required for staff.punch");
  assert_rejected(&x, 1, 6, "direction: 'sideways' is not one of in, out, unknown");
  ck_assert_str_eq(event_at(&x, 2)->agent, "1005");
  ck_assert_str_eq(event_at(&x, 2)->origin, "out");
  ck_assert_int_eq(event_at(&x, 2)->ts_ms, at(&x, "2026-12-01 16:00"));
  run_clear(&x);
}
END_TEST

START_TEST(test_zkteco_lines)
{
  Run x;
  run_init(&x);
  /* Out of order, a double punch, an exact duplicate, every state, a PIN
   * that is an alias, a bad line. */
  ck_assert(run(&x, WB_IMPORT_PUNCHES,
                "        7\t2016-11-15 08:00:00\t1\t0\t1\t0\r\n"
                "        7\t2016-11-15 07:59:59\t1\t1\t1\t0\r\n"
                "        7\t2016-11-15 08:00:00\t1\t0\t1\t0\r\n"
                "       12\t2016-11-15 09:00:00\t2\t2\t1\t0\r\n"
                "       12\t2016-11-15 09:01:00\t2\t3\t1\t0\r\n"
                "       12\t2016-11-15 09:02:00\t2\t4\t1\t0\r\n"
                "       12\t2016-11-15 09:03:00\t2\t5\t1\t0\r\n"
                "        5\t2016-11-15 10:00:00\t1\t255\t1\t0\r\n"
                "\r\n"
                "        8\t2016-13-45 10:00:00\t1\t0\t1\t0\r\n",
                -1));
  ck_assert_str_eq(x.r.format, "ZKTeco attendance log (attlog.dat)");
  ck_assert_uint_eq(x.r.rows, 9);
  ck_assert_uint_eq(x.r.stored, 7);
  ck_assert_uint_eq(x.r.repeated, 1);
  assert_rejected(&x, 0, 10, "time: '2016-13-45 10:00:00' is not a time");
  static const struct {
    const char *agent, *time, *direction, *device;
  } want[] = {
      {"7", "2016-11-15 08:00:00", "in", "zkteco-1"},
      {"7", "2016-11-15 07:59:59", "out", "zkteco-1"},
      {"12", "2016-11-15 09:00:00", "out", "zkteco-2"},
      {"12", "2016-11-15 09:01:00", "in", "zkteco-2"},
      {"12", "2016-11-15 09:02:00", "in", "zkteco-2"},
      {"12", "2016-11-15 09:03:00", "out", "zkteco-2"},
      {"1005", "2016-11-15 10:00:00", "unknown", "zkteco-1"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
    WbEvent *e = event_at(&x, (guint)i);
    ck_assert_int_eq(e->type, WB_EVENT_STAFF_PUNCH);
    ck_assert_str_eq(e->agent, want[i].agent);
    ck_assert_int_eq(e->ts_ms, at(&x, want[i].time));
    ck_assert_str_eq(e->origin, want[i].direction);
    ck_assert_str_eq(e->device, want[i].device);
  }
  run_clear(&x);
}
END_TEST

/* Runs awk over a file; its output as an integer. */
static gint64
awk_count(const char *program, const char *path)
{
  const char *argv[] = {"awk", "-F\t", program, path, NULL};
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  gint status = 0;
  ck_assert_msg(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
                             &status, &error),
                "awk: %s", error != NULL ? error->message : "");
  ck_assert(g_spawn_check_wait_status(status, NULL));
  return g_ascii_strtoll(out, NULL, 10);
}

/* The real export: every count checked against awk's reading of it. */
START_TEST(test_zkteco_sample)
{
  Run x;
  run_init(&x);
  g_autofree char *path = test_sample("zkteco-attlog.dat");
  ck_assert_msg(wb_import_file(WB_IMPORT_PUNCHES, path, &x.opts, &x.r, &x.error), "%s",
                x.error != NULL ? x.error->message : "");

  gint64 lines = awk_count("/[^ \\t\\r]/ { n++ } END { print n }", path);
  gint64 distinct = awk_count("{ sub(/\\r$/, \"\"); if (!seen[$0]++) n++ } END { print n }", path);
  gint64 pins =
      awk_count("{ p = $1; gsub(/ /, \"\", p); if (!seen[p]++) n++ } END { print n }", path);
  gint64 pin4 =
      awk_count("{ p = $1; gsub(/ /, \"\", p); if (p == \"4\") n++ } END { print n }", path);
  gint64 unknown =
      awk_count("$4 != 0 && $4 != 1 && $4 != 2 && $4 != 3 && $4 != 4 && $4 != 5 { n++ } "
                "END { print n + 0 }",
                path);
  ck_assert_int_gt(lines, 0);
  ck_assert_str_eq(x.r.format, "ZKTeco attendance log (attlog.dat)");
  ck_assert_uint_eq(x.r.rows, (guint)lines);
  ck_assert_uint_eq(x.r.rejected->len, 0);
  ck_assert_uint_eq(x.r.stored, (guint)distinct);
  ck_assert_uint_eq(x.r.repeated, (guint)(lines - distinct));

  g_autoptr(GHashTable) agents = g_hash_table_new(g_str_hash, g_str_equal);
  guint n_pin4 = 0, n_unknown = 0;
  for (guint i = 0; i < x.sink.events->len; i++) {
    WbEvent *e = event_at(&x, i);
    g_hash_table_add(agents, e->agent);
    n_pin4 += strcmp(e->agent, "4") == 0;
    n_unknown += strcmp(e->origin, "unknown") == 0;
    ck_assert_str_eq(e->device, "zkteco-1");
    ck_assert_str_eq(e->source, "import:punches");
  }
  /* PIN 5 is an alias of 1005 here: the same number of people. */
  ck_assert_uint_eq(g_hash_table_size(agents), (guint)pins);
  ck_assert(g_hash_table_contains(agents, "1005"));
  ck_assert_uint_eq(n_pin4, (guint)pin4);
  ck_assert_uint_eq(n_unknown, (guint)unknown);
  /* The first line: "        5\t2016-11-15 07:07:29\t1\t255\t1\t0". */
  ck_assert_int_eq(event_at(&x, 0)->ts_ms, at(&x, "2016-11-15 07:07:29"));

  /* Again: nothing new. */
  g_array_set_size(x.sink.events, 0);
  wb_import_result_clear(&x.r);
  wb_import_result_init(&x.r);
  ck_assert(wb_import_file(WB_IMPORT_PUNCHES, path, &x.opts, &x.r, &x.error));
  ck_assert_uint_eq(x.r.stored, 0);
  ck_assert_uint_eq(x.r.already, (guint)distinct);
  run_clear(&x);
}
END_TEST

START_TEST(test_training_exams_qa_classifications)
{
  Run x;
  run_init(&x);
  ck_assert(run(&x, WB_IMPORT_TRAINING,
                "staff,date,kind,hours\n1001,2026-11-20,出入境政策,2\n1002,2026-11-20,政策,two\n",
                -1));
  ck_assert_uint_eq(x.r.stored, 1);
  assert_rejected(&x, 0, 3, "hours: 'two' is not a number >= 0");
  ck_assert_int_eq(event_at(&x, 0)->start_ms, at(&x, "2026-11-20"));
  ck_assert(event_at(&x, 0)->value == 2);

  ck_assert(run(&x, WB_IMPORT_EXAMS, "工号,日期,考试科目,分数\n1001,2026-11-25,证件政策,-3\n", -1));
  assert_rejected(&x, 0, 2, "score: '-3' is not a number >= 0");

  ck_assert(run(&x, WB_IMPORT_QA,
                "staff,ts,call_id,score,inspector\n"
                "1001,2026-11-27 10:15,1795912345.101,95,赵敏\n"
                "1002,,1795912345.102,80,赵敏\n",
                -1));
  ck_assert_uint_eq(x.r.stored, 1);
  assert_rejected(&x, 0, 3, "ts: required for qa.score");
  WbEvent *e = event_at(&x, 0);
  ck_assert_int_eq(e->type, WB_EVENT_QA_SCORE);
  ck_assert_int_eq(e->ts_ms, at(&x, "2026-11-27 10:15"));
  ck_assert_str_eq(e->device, "赵敏");
  ck_assert_str_eq(e->call_id, "1795912345.101");

  ck_assert(run(&x, WB_IMPORT_CLASSIFICATIONS,
                "call_id,category,request_type,channel\n"
                "1795912345.101,护照,咨询,电话\n"
                "1795912345.102,,咨询,电话\n",
                -1));
  ck_assert_uint_eq(x.r.stored, 1);
  assert_rejected(&x, 0, 3, "category: required for call.classify");
  e = event_at(&x, 0);
  ck_assert_int_eq(e->type, WB_EVENT_CALL_CLASSIFY);
  ck_assert_str_eq(e->category, "护照");
  ck_assert_str_eq(e->kind, "咨询");
  ck_assert_str_eq(e->origin, "电话");
  run_clear(&x);
}
END_TEST

START_TEST(test_workorders)
{
  Run x;
  run_init(&x);
  ck_assert(run(&x, WB_IMPORT_WORKORDERS,
                "id,origin,category,due,status,opened,closed\n"
                "GD001,12345_province,护照,2026-12-04 17:00,closed,2026-11-27 09:12,"
                "2026-11-27 15:40\n"
                "GD002,12345_city,签注,2026-12-04 17:00,in_progress,2026-11-27 10:05,\n"
                "GD003,direct,签证,,,2026-11-27 11:30,\n"
                "GD004,hotline,签证,,,2026-11-27 11:30,\n"
                "GD005,direct,签证,,,,\n"
                "GD006,direct,签证,,closed,2026-11-27 11:30,2026-11-26 11:30\n",
                -1));
  ck_assert_uint_eq(x.r.rows, 6);
  ck_assert_uint_eq(x.r.events, 5);
  ck_assert_uint_eq(x.r.stored, 5);
  assert_rejected(&x, 0, 5, "origin: 'hotline' is not one of 12345_province, 12345_city, direct");
  assert_rejected(&x, 1, 6, "opened: required");
  assert_rejected(&x, 2, 7, "closed: earlier than opened");

  WbEvent *e = event_at(&x, 0);
  ck_assert_int_eq(e->type, WB_EVENT_WORKORDER_OPEN);
  ck_assert_int_eq(e->ts_ms, at(&x, "2026-11-27 09:12"));
  ck_assert_str_eq(e->status, "");
  ck_assert_int_eq(e->end_ms, at(&x, "2026-12-04 17:00"));
  e = event_at(&x, 1);
  ck_assert_int_eq(e->type, WB_EVENT_WORKORDER_CLOSE);
  ck_assert_int_eq(e->ts_ms, at(&x, "2026-11-27 15:40"));
  ck_assert_str_eq(e->status, "closed");
  e = event_at(&x, 3);
  ck_assert_int_eq(e->type, WB_EVENT_WORKORDER_UPDATE);
  ck_assert_str_eq(e->status, "in_progress");
  ck_assert_int_eq(e->ts_ms, x.file_ms);
  /* No status and no close: the open alone. */
  ck_assert_int_eq(event_at(&x, 4)->type, WB_EVENT_WORKORDER_OPEN);
  ck_assert_str_eq(event_at(&x, 4)->id, "GD003");
  run_clear(&x);
}
END_TEST

/* ---- through the engine: a second import changes nothing ---- */

static char *
dump_tables(const char *db)
{
  static const char *const queries[] = {
      "SELECT count(*) FROM events",
      "SELECT * FROM staff ORDER BY agent",
      "SELECT * FROM roster ORDER BY agent, start_ms",
      "SELECT * FROM punches ORDER BY agent, ts_ms, device",
      "SELECT * FROM training ORDER BY agent, date_ms, kind",
      "SELECT * FROM exams ORDER BY agent, date_ms, area",
      "SELECT * FROM qa ORDER BY agent, ts_ms, call_id",
      "SELECT * FROM workorders ORDER BY id",
      "SELECT * FROM call_classes ORDER BY call_id",
  };
  sqlite3 *conn = NULL;
  GString *out = g_string_new(NULL);
  ck_assert_int_eq(sqlite3_open_v2(db, &conn, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  for (gsize q = 0; q < G_N_ELEMENTS(queries); q++) {
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(conn, queries[q], -1, &st, NULL), SQLITE_OK);
    g_string_append_printf(out, "-- %s\n", queries[q]);
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(st); i++) {
        const char *v = (const char *)sqlite3_column_text(st, i);
        g_string_append_printf(out, "%s|", v != NULL ? v : "NULL");
      }
      g_string_append_c(out, '\n');
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(conn);
  return g_string_free(out, FALSE);
}

static gint64
count_rows(const char *db, const char *table)
{
  g_autofree char *sql = g_strdup_printf("SELECT count(*) FROM %s", table);
  sqlite3 *conn = NULL;
  sqlite3_stmt *st = NULL;
  ck_assert_int_eq(sqlite3_open_v2(db, &conn, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_prepare_v2(conn, sql, -1, &st, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
  gint64 n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(conn);
  return n;
}

static const struct {
  WbImportKind kind;
  const char *text;
} store_files[] = {
    {WB_IMPORT_STAFF, "staff,name,status\n1001,王丽,active\n1002,张伟,gone\n"},
    {WB_IMPORT_ROSTER, "staff,2026-12-01,2026-12-02\n1001,早,夜\n1002,中,晚\n"},
    {WB_IMPORT_PUNCHES, "        5\t2016-11-15 07:07:29\t1\t255\t1\t0\r\n"
                        "        5\t2016-11-15 07:07:29\t1\t255\t1\t0\r\n"
                        "        4\t2016-11-15 07:07:35\t1\t0\t1\t0\r\n"},
    {WB_IMPORT_TRAINING, "staff,date,kind,hours\n1001,2026-11-20,政策,2\n"},
    {WB_IMPORT_EXAMS, "staff,date,area,score\n1001,2026-11-25,政策,92\n"},
    {WB_IMPORT_QA, "staff,ts,call_id,score\n1001,2026-11-27 10:15,c1,95\n"},
    {WB_IMPORT_WORKORDERS, "id,status,opened,closed\nGD1,closed,2026-11-27 09:00,"
                           "2026-11-27 10:00\nGD2,in_progress,2026-11-27 09:30,\n"},
    {WB_IMPORT_CLASSIFICATIONS, "call_id,category\nc1,护照\n"},
};

/* Imports every file through the engine's bus, as wallboardctl does;
 * returns the events stored. */
static guint
import_all(WbEngine *e, const char *dir, GTimeZone *tz)
{
  WbImportOptions opts = {
      .sink = wb_bus_sink(e->bus), .tz = tz, .shifts = shifts, .n_shifts = G_N_ELEMENTS(shifts)};
  guint stored = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(store_files); i++) {
    g_autofree char *path = g_build_filename(dir, wb_import_kind_name(store_files[i].kind), NULL);
    WbImportResult r;
    wb_import_result_init(&r);
    g_autoptr(GError) error = NULL;
    ck_assert_msg(wb_import_file(store_files[i].kind, path, &opts, &r, &error), "%s",
                  error != NULL ? error->message : "");
    ck_assert(wb_bus_flush(e->bus, &error));
    stored += r.stored;
    wb_import_result_clear(&r);
  }
  return stored;
}

START_TEST(test_second_import_changes_nothing)
{
  g_autofree char *dir = test_tmpdir();
  g_autofree char *db = g_build_filename(dir, "wallboard.db", NULL);
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier("Asia/Shanghai");
  WbEngine e = {.lock_fd = -1, .clock = {.rate = 1.0}};
  g_autoptr(GError) error = NULL;

  e.cfg = wb_config_new_defaults();
  ck_assert(wb_config_set(e.cfg, "rrd", "enabled", "false", NULL));
  e.state_dir = g_strdup(dir);
  ck_assert_msg(wb_engine_open(&e, TRUE, &error), "%s", error != NULL ? error->message : "");
  for (gsize i = 0; i < G_N_ELEMENTS(store_files); i++) {
    g_autofree char *path = g_build_filename(dir, wb_import_kind_name(store_files[i].kind), NULL);
    ck_assert(g_file_set_contents(path, store_files[i].text, -1, NULL));
  }

  /* staff 1, roster 2, punches 2 (one line twice), training, exams, qa 1
   * each, work orders 2 + 2, classification 1. */
  ck_assert_uint_eq(import_all(&e, dir, tz), 13);
  g_autofree char *first = dump_tables(db);
  ck_assert_int_eq(count_rows(db, "events"), 13);
  ck_assert_int_eq(count_rows(db, "staff"), 1);
  ck_assert_int_eq(count_rows(db, "roster"), 2);
  ck_assert_int_eq(count_rows(db, "punches"), 2);
  ck_assert_int_eq(count_rows(db, "training") + count_rows(db, "exams") + count_rows(db, "qa"), 3);
  ck_assert_int_eq(count_rows(db, "workorders"), 2);
  ck_assert_int_eq(count_rows(db, "call_classes"), 1);
  ck_assert_int_eq(count_rows(db, "quarantine"), 2);

  /* The same files again. (Quarantine takes the rejected rows again:
   * wallboardctl leaves out those it already holds.) */
  ck_assert_uint_eq(import_all(&e, dir, tz), 0);
  g_autofree char *second = dump_tables(db);
  ck_assert_str_eq(second, first);
  wb_engine_clear(&e);
  wb_config_free(e.cfg);
  test_rmtree(dir);
}
END_TEST

static Suite *
import_suite(void)
{
  Suite *s = suite_create("import");
  TCase *tc = tcase_create("import");
  tcase_add_test(tc, test_kind_names);
  tcase_add_test(tc, test_staff_good_and_bad_rows);
  tcase_add_test(tc, test_chinese_headers_and_ts);
  tcase_add_test(tc, test_file_level_errors);
  tcase_add_test(tc, test_csv_quoting_and_row_numbers);
  tcase_add_test(tc, test_delimiters);
  tcase_add_test(tc, test_encodings);
  tcase_add_test(tc, test_roster_long);
  tcase_add_test(tc, test_roster_grid);
  tcase_add_test(tc, test_punches_csv);
  tcase_add_test(tc, test_zkteco_lines);
  tcase_add_test(tc, test_zkteco_sample);
  tcase_add_test(tc, test_training_exams_qa_classifications);
  tcase_add_test(tc, test_workorders);
  tcase_add_test(tc, test_second_import_changes_nothing);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(import_suite());
}
