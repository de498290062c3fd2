/* test_report_xlsx.c: the XLSX writer on a small report made by hand: the
 * workbook is a zip whose parts hold the sheets named by the rule of
 * docs/reports.md, numbers as numbers and no cell for "no data"; failures
 * name the path and leave any older file in place. The full comparison
 * with the CSV tables is tests/integration/test_report_xlsx.py. */
#include <gio/gio.h>

#include <xlsxwriter.h>

#include "engine/report/report_private.h"
#include "testutil.h"

/* 2026-11-01 00:00 in Asia/Shanghai. */
#define NOV_1_MS (1793462400000LL)

static WbReport *
sample_report(void)
{
  WbReport *r = g_new0(WbReport, 1);
  r->period.kind = WB_REPORT_MONTHLY;
  g_strlcpy(r->period.text, "2026-11", sizeof(r->period.text));
  r->period.from_ms = NOV_1_MS;
  r->period.to_ms = NOV_1_MS + 30 * WB_REPORT_DAY_MS;
  r->period.days = 30;
  r->title_zh = g_strdup("月报 2026-11");
  r->centre_zh = g_strdup("12367服务热线");
  r->generated_ms = NOV_1_MS + 30 * WB_REPORT_DAY_MS + 3600 * 1000LL;
  r->rectification = g_strdup("夜间接通率偏低\r\n增加夜班人手");
  r->tables = g_ptr_array_new_with_free_func(wb_report_table_free);

  static const char *const queue_cols[] = {"queue",       "队列",   "offered", "呼入量",
                                           "answer_rate", "接通率", "asa_s",   "平均应答时长"};
  WbReportTable *t = WB_REPORT_TABLE("queues", "分队列指标", queue_cols);
  wb_report_put_text(t, "policy");
  wb_report_put_int(t, 10);
  wb_report_put_real(t, 0.9);
  wb_report_put_real(t, 5.0);
  wb_report_put_text(t, "visa");
  wb_report_put_int(t, 2);
  wb_report_put_null(t); /* no data: no cell */
  wb_report_put_real(t, NAN);
  g_ptr_array_add(r->tables, t);

  /* Names Excel would refuse: too long (twice the same 31 characters),
   * and with a colon. */
  static const char *const one_col[] = {"key", "键"};
  const char *odd[] = {"a_table_name_much_longer_than_thirty_one",
                       "a_table_name_much_longer_than_thirty_two", "x:y"};
  for (gsize i = 0; i < G_N_ELEMENTS(odd); i++) {
    t = WB_REPORT_TABLE(odd[i], "其他", one_col);
    wb_report_put_text(t, "k");
    g_ptr_array_add(r->tables, t);
  }
  return r;
}

static guint32
le32(const guint8 *p)
{
  return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

static guint16
le16(const guint8 *p)
{
  return (guint16)(p[0] | p[1] << 8);
}

/* One member of a zip, found through its central directory, inflated;
 * NULL when there is no such member. */
static char *
zip_member(const guint8 *zip, gsize len, const char *name)
{
  ck_assert_uint_ge(len, 22);
  gsize end = len - 22;
  while (end > 0 && le32(zip + end) != 0x06054b50)
    end--;
  ck_assert_uint_eq(le32(zip + end), 0x06054b50);
  guint entries = le16(zip + end + 10);
  gsize at = le32(zip + end + 16);
  for (guint i = 0; i < entries; i++) {
    ck_assert_uint_le(at + 46, len);
    ck_assert_uint_eq(le32(zip + at), 0x02014b50);
    guint method = le16(zip + at + 10);
    gsize csize = le32(zip + at + 20);
    gsize nlen = le16(zip + at + 28);
    gsize skip = 46 + nlen + le16(zip + at + 30) + le16(zip + at + 32);
    gsize local = le32(zip + at + 42);
    if (nlen != strlen(name) || memcmp(zip + at + 46, name, nlen) != 0) {
      at += skip;
      continue;
    }
    gsize data = local + 30 + le16(zip + local + 26) + le16(zip + local + 28);
    ck_assert_uint_le(data + csize, len);
    if (method == 0)
      return g_strndup((const char *)zip + data, csize);
    ck_assert_uint_eq(method, 8); /* deflate */
    g_autoptr(GError) error = NULL;
    g_autoptr(GInputStream) raw = g_memory_input_stream_new_from_data(zip + data, csize, NULL);
    g_autoptr(GZlibDecompressor) z = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_RAW);
    g_autoptr(GInputStream) in = g_converter_input_stream_new(raw, G_CONVERTER(z));
    g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
    gssize n = g_output_stream_splice(out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error);
    ck_assert_msg(n >= 0, "%s: %s", name, error ? error->message : "");
    g_output_stream_write_all(out, "", 1, NULL, NULL, NULL); /* a terminating NUL */
    return g_memory_output_stream_steal_data(G_MEMORY_OUTPUT_STREAM(out));
  }
  return NULL;
}

static guint
count_entries(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  guint n = 0;
  while (d != NULL && g_dir_read_name(d) != NULL)
    n++;
  return n;
}

START_TEST(test_workbook)
{
  g_autoptr(WbReport) r = sample_report();
  g_autofree char *dir = g_dir_make_tmp("wb-xlsx-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "report.xlsx", NULL);
  g_autoptr(GError) error = NULL;
  ck_assert_msg(wb_report_write_xlsx(r, path, &error), "%s", error ? error->message : "");
  /* Written again over itself: the rename replaces the old file. */
  ck_assert_msg(wb_report_write_xlsx(r, path, &error), "%s", error ? error->message : "");
  ck_assert_uint_eq(count_entries(dir), 1); /* no temporary file left */

  g_autofree char *data = NULL;
  gsize len = 0;
  ck_assert(g_file_get_contents(path, &data, &len, NULL));
  ck_assert_uint_ge(len, 4);
  ck_assert(memcmp(data, "PK\x03\x04", 4) == 0);
  const guint8 *zip = (const guint8 *)data;

  /* The cover first, then the tables by machine name: cut to 31
   * characters, the repeat with "_2" in 29 + 2, the colon as '_'. */
  g_autofree char *book = zip_member(zip, len, "xl/workbook.xml");
  ck_assert_ptr_nonnull(book);
  const char *sheets[] = {"封面", "queues", "a_table_name_much_longer_than_t",
                          "a_table_name_much_longer_than_2", "x_y"};
  const char *at = book;
  for (gsize i = 0; i < G_N_ELEMENTS(sheets); i++) {
    g_autofree char *tag = g_strdup_printf("<sheet name=\"%s\"", sheets[i]);
    const char *found = strstr(at, tag);
    ck_assert_msg(found != NULL, "%s not after the sheets before it in %s", tag, book);
    at = found;
  }
  ck_assert_ptr_null(zip_member(zip, len, "xl/worksheets/sheet6.xml"));

  /* queues: numbers as numbers; visa's rate and speed have no cell. */
  g_autofree char *queues = zip_member(zip, len, "xl/worksheets/sheet2.xml");
  ck_assert_ptr_nonnull(queues);
  ck_assert_ptr_nonnull(strstr(queues, "<c r=\"B3\"><v>10</v></c>"));
  ck_assert_ptr_nonnull(strstr(queues, "<c r=\"C3\" s=\"")); /* a format: the percent */
  ck_assert_ptr_nonnull(strstr(queues, "<v>0.9</v></c>"));
  ck_assert_ptr_nonnull(strstr(queues, "<c r=\"B4\"><v>2</v></c>"));
  ck_assert_ptr_null(strstr(queues, "r=\"C4\""));
  ck_assert_ptr_null(strstr(queues, "r=\"D4\""));
  ck_assert_ptr_nonnull(strstr(queues, "<pane xSplit=\"1\" ySplit=\"2\""));
  g_autofree char *styles = zip_member(zip, len, "xl/styles.xml");
  ck_assert_ptr_nonnull(strstr(styles, "formatCode=\"0.0%\""));

  /* The cover's text: the period's days in the centre's zone, and the
   * rectification a line a row. */
  g_autofree char *strings = zip_member(zip, len, "xl/sharedStrings.xml");
  ck_assert_ptr_nonnull(strstr(strings, "2026-11-01 至 2026-11-30（共 30 天）"));
  ck_assert_ptr_nonnull(strstr(strings, "2026-12-01 01:00:00 UTC+08:00"));
  ck_assert_ptr_nonnull(strstr(strings, "<t>夜间接通率偏低</t>"));
  ck_assert_ptr_nonnull(strstr(strings, "<t>增加夜班人手</t>"));
  ck_assert_ptr_null(strstr(strings, "（未填写）"));

  g_unlink(path);
  g_rmdir(dir);
}
END_TEST

START_TEST(test_no_rectification)
{
  g_autoptr(WbReport) r = sample_report();
  g_clear_pointer(&r->rectification, g_free);
  g_autofree char *dir = g_dir_make_tmp("wb-xlsx-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "r.xlsx", NULL);
  g_autoptr(GError) error = NULL;
  ck_assert_msg(wb_report_write_xlsx(r, path, &error), "%s", error ? error->message : "");
  g_autofree char *data = NULL;
  gsize len = 0;
  ck_assert(g_file_get_contents(path, &data, &len, NULL));
  g_autofree char *strings = zip_member((const guint8 *)data, len, "xl/sharedStrings.xml");
  ck_assert_ptr_nonnull(strstr(strings, "（未填写）"));
  g_unlink(path);
  g_rmdir(dir);
}
END_TEST

START_TEST(test_errors)
{
  g_autoptr(WbReport) r = sample_report();
  g_autofree char *dir = g_dir_make_tmp("wb-xlsx-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;

  /* A directory that is not there, and one that is a file (which even
   * root cannot write into). */
  g_autofree char *missing = g_build_filename(dir, "missing", "report.xlsx", NULL);
  ck_assert(!wb_report_write_xlsx(r, missing, &error));
  ck_assert_ptr_nonnull(error);
  ck_assert_msg(strstr(error->message, missing) != NULL, "%s", error->message);
  g_clear_error(&error);
  g_autofree char *file = g_build_filename(dir, "file", NULL);
  ck_assert(g_file_set_contents(file, "x", 1, NULL));
  g_autofree char *under_file = g_build_filename(file, "report.xlsx", NULL);
  ck_assert(!wb_report_write_xlsx(r, under_file, &error));
  ck_assert_msg(strstr(error->message, under_file) != NULL, "%s", error->message);
  g_clear_error(&error);

  /* libxlsxwriter's own refusal, a table wider than Excel's 16384
   * columns: its message, the old file untouched, nothing left behind. */
  g_autofree char *path = g_build_filename(dir, "report.xlsx", NULL);
  ck_assert(g_file_set_contents(path, "old", 3, NULL));
  g_autofree const char **cols = g_new0(const char *, 2 * (LXW_COL_MAX + 1));
  for (guint i = 0; i < 2 * (LXW_COL_MAX + 1); i++)
    cols[i] = "c";
  g_ptr_array_add(r->tables, wb_report_table_new("wide", "宽表", cols, LXW_COL_MAX + 1));
  ck_assert(!wb_report_write_xlsx(r, path, &error));
  ck_assert_msg(strstr(error->message, path) != NULL, "%s", error->message);
  ck_assert_msg(strstr(error->message, lxw_strerror(LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE)), "%s",
                error->message);
  g_autofree char *kept = NULL;
  ck_assert(g_file_get_contents(path, &kept, NULL, NULL));
  ck_assert_str_eq(kept, "old");
  ck_assert_uint_eq(count_entries(dir), 2); /* file and report.xlsx */

  g_unlink(path);
  g_unlink(file);
  g_rmdir(dir);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("report_xlsx");
  TCase *tc = tcase_create("report_xlsx");
  tcase_add_test(tc, test_workbook);
  tcase_add_test(tc, test_no_rectification);
  tcase_add_test(tc, test_errors);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
