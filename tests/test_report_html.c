/* test_report_html.c: the HTML report of a report built by hand (November
 * 2026 in Asia/Shanghai, tables with known cells), written, read back and
 * checked: self-contained, escaped, numbers as formatted, the heat maps'
 * cells carrying their exact values, the rectification text. */
#include <check.h>
#include <glib/gstdio.h>
#include <string.h>

#include "engine/report/report.h"
#include "engine/report/report_private.h"

/* ---- building tables by hand ---- */

/* cols: n name, label pairs */
static WbReportTable *
add_table(WbReport *r, const char *name, const char *title, const char *const *cols, guint n)
{
  WbReportTable *t = wb_report_table_new(name, title, cols, n);
  g_ptr_array_add(r->tables, t);
  return t;
}

static const char *const weekdays[] = {"周一", "周二", "周三", "周四", "周五", "周六", "周日"};

/* The hour map's cell of weekday d, hour h: distinct, with zeros. */
static gint64
heat_value(int d, int h)
{
  return h < 6 ? 0 : (gint64)(d * 100 + h);
}

static void
add_summary(WbReport *r)
{
  static const char *const cols[] = {"metric", "指标", "label",  "名称", "unit",   "单位",
                                     "value",  "本期", "target", "目标", "change", "环比变化"};
  WbReportTable *t = add_table(r, "summary", "总体指标", cols, G_N_ELEMENTS(cols) / 2);
  /* answer rate 87.5 % against 90 %: not met, two points down */
  wb_report_put_text(t, "answer_rate"), wb_report_put_text(t, "人工接通率"),
      wb_report_put_text(t, "ratio");
  wb_report_put_real(t, 0.875), wb_report_put_real(t, 0.9), wb_report_put_real(t, -0.02);
  /* service level 95 % against 80 %: met */
  wb_report_put_text(t, "service_level"), wb_report_put_text(t, "N秒接通率"),
      wb_report_put_text(t, "ratio");
  wb_report_put_real(t, 0.95), wb_report_put_real(t, 0.8), wb_report_put_real(t, 0.031);
  wb_report_put_text(t, "asa_s"), wb_report_put_text(t, "平均应答时长"), wb_report_put_text(t, "s");
  wb_report_put_real(t, 9.44), wb_report_put_real(t, 20),
      wb_report_put_real(t, -1.5); /* a wait: at most 20 s, met */
  wb_report_put_text(t, "offered"), wb_report_put_text(t, "呼入人工量"),
      wb_report_put_text(t, "calls");
  wb_report_put_int(t, 1234), wb_report_put_null(t), wb_report_put_real(t, 34);
}

static void
add_agents(WbReport *r)
{
  static const char *const cols[] = {"agent",       "坐席",     "name",    "名称",
                                     "answer_rate", "接通率",   "aht_s",   "平均处理时长",
                                     "logged_in_s", "登录时长", "qa_mean", "质检平均分"};
  WbReportTable *t = add_table(r, "agents", "坐席指标", cols, G_N_ELEMENTS(cols) / 2);
  wb_report_put_text(t, "8001"), wb_report_put_text(t, "王丽"), wb_report_put_null(t),
      wb_report_put_real(t, 100.0), wb_report_put_int(t, 576000);
  wb_report_put_real(t, 87.25);
  wb_report_put_text(t, "total"), wb_report_put_text(t, "全中心"), wb_report_put_real(t, 0.5),
      wb_report_put_real(t, 59.96), wb_report_put_int(t, 3599), wb_report_put_real(t, 90);
}

static void
add_heat(WbReport *r)
{
  g_autoptr(GPtrArray) cols = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(cols, g_strdup("weekday"));
  g_ptr_array_add(cols, g_strdup("星期"));
  for (int h = 0; h < 24; h++) {
    g_ptr_array_add(cols, g_strdup_printf("h%02d", h));
    g_ptr_array_add(cols, g_strdup_printf("%02d时", h));
  }
  g_ptr_array_add(cols, g_strdup("total"));
  g_ptr_array_add(cols, g_strdup("合计"));
  WbReportTable *t = add_table(r, "heat_hour_weekday", "呼入量热力图（时段×星期）",
                               (const char *const *)cols->pdata, cols->len / 2);
  for (int d = 0; d < 7; d++) {
    gint64 sum = 0;
    wb_report_put_text(t, weekdays[d]);
    for (int h = 0; h < 24; h++) {
      wb_report_put_int(t, heat_value(d, h));
      sum += heat_value(d, h);
    }
    wb_report_put_int(t, sum);
  }
}

static void
add_categories(WbReport *r)
{
  static const char *const cols[] = {"category",   "诉求分类", "2026-11-01", "11月1日",
                                     "2026-11-02", "11月2日",  "total",      "合计"};
  WbReportTable *t =
      add_table(r, "heat_category_day", "诉求分类热力图（分类×日）", cols, G_N_ELEMENTS(cols) / 2);
  wb_report_put_text(t, "签证"), wb_report_put_int(t, 7), wb_report_put_int(t, 3),
      wb_report_put_int(t, 10);
  wb_report_put_text(t, "a<&>b"), wb_report_put_int(t, 0), wb_report_put_int(t, 2),
      wb_report_put_int(t, 2);
  static const char *const topic_cols[] = {"category", "诉求分类", "rank",  "排名",
                                           "calls",    "本期来电", "share", "占比"};
  t = add_table(r, "hot_topics", "热点诉求（本期前十）", topic_cols, G_N_ELEMENTS(topic_cols) / 2);
  wb_report_put_text(t, "签证"), wb_report_put_int(t, 1), wb_report_put_int(t, 10),
      wb_report_put_real(t, 10.0 / 12);
  wb_report_put_text(t, "a<&>b"), wb_report_put_int(t, 2), wb_report_put_int(t, 2),
      wb_report_put_real(t, 2.0 / 12);
  /* A table no writer knows by name, and one with no rows. */
  static const char *const other_cols[] = {"shift", "班次", "growth", "增长率"};
  t = add_table(r, "staffing", "排班与人力", other_cols, G_N_ELEMENTS(other_cols) / 2);
  wb_report_put_text(t, "白班"), wb_report_put_real(t, 0.25);
  wb_report_put_text(t, "夜班"), wb_report_put_real(t, -0.0001);
  add_table(r, "workorders", "12345工单", other_cols, G_N_ELEMENTS(other_cols) / 2);
}

static WbReport *
make_report(const char *rectification)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier("Asia/Shanghai");
  ck_assert_ptr_nonnull(tz);
  WbReport *r = g_new0(WbReport, 1);
  ck_assert_msg(wb_report_period_parse(WB_REPORT_MONTHLY, "2026-11", tz, 0, &r->period, &error),
                "%s", error ? error->message : "");
  r->title_zh = g_strdup("月报 2026-11");
  r->centre_zh = g_strdup("陕西省12367出入境服务热线");
  /* 2026-12-01 08:30 in Shanghai */
  g_autoptr(GDateTime) gen = g_date_time_new(tz, 2026, 12, 1, 8, 30, 0);
  r->generated_ms = g_date_time_to_unix(gen) * 1000;
  r->rectification = g_strdup(rectification);
  r->tables = g_ptr_array_new_with_free_func(wb_report_table_free);
  add_summary(r);
  add_agents(r);
  add_heat(r);
  add_categories(r);
  return r;
}

/* Writes r to a fresh directory and returns the page's text. */
static char *
write_page(const WbReport *r)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("wb-report-html-XXXXXX", &error);
  ck_assert_ptr_nonnull(dir);
  g_autofree char *path = g_build_filename(dir, "report.html", NULL);
  ck_assert_msg(wb_report_write_html(r, path, &error), "%s", error ? error->message : "");
  char *text = NULL;
  ck_assert(g_file_get_contents(path, &text, NULL, &error));
  ck_assert(g_utf8_validate(text, -1, NULL));
  g_unlink(path);
  g_rmdir(dir);
  return text;
}

static guint
count(const char *hay, const char *needle)
{
  guint n = 0;
  for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
    n++;
  return n;
}

/* The text of the first element starting with open, up to close. */
static char *
segment(const char *html, const char *open, const char *close)
{
  const char *a = strstr(html, open);
  ck_assert_msg(a != NULL, "no %s", open);
  const char *b = strstr(a, close);
  ck_assert_msg(b != NULL, "no %s after %s", close, open);
  return g_strndup(a, (gsize)(b - a));
}

#define HAS(html, s) ck_assert_msg(strstr(html, s) != NULL, "missing: %s", s)
#define HAS_NOT(html, s) ck_assert_msg(strstr(html, s) == NULL, "present: %s", s)

START_TEST(test_self_contained)
{
  g_autoptr(WbReport) r = make_report(NULL);
  g_autofree char *html = write_page(r);
  ck_assert(g_str_has_prefix(html, "<!DOCTYPE html>\n<html lang=\"zh-CN\">"));
  HAS(html, "<meta charset=\"utf-8\">");
  g_autofree char *lower = g_ascii_strdown(html, -1);
  static const char *const forbidden[] = {"http", "src=",    "<link",     "@import",
                                          "url(", "<script", "@font-face"};
  for (gsize i = 0; i < G_N_ELEMENTS(forbidden); i++)
    HAS_NOT(lower, forbidden[i]);
  HAS(html, "\"Noto Sans CJK SC\",\"Noto Sans SC\",\"Source Han Sans SC\",\"Microsoft YaHei\","
            "sans-serif");
  /* A4 print styles: page size, landscape for the wide tables, the header
   * row repeated on each page. */
  HAS(html, "@page{size:A4;");
  HAS(html, "@page wide{size:A4 landscape;");
  HAS(html, "thead{display:table-header-group}");
  ck_assert_uint_eq(count(html, "<section class=\"table wide\""), 1); /* the hour map: 26 */
}
END_TEST

START_TEST(test_cover_and_contents)
{
  g_autoptr(WbReport) r = make_report(NULL);
  g_autofree char *html = write_page(r);
  HAS(html, "<title>陕西省12367出入境服务热线 月报 2026-11</title>");
  HAS(html, "<h1>月报 2026-11</h1>");
  HAS(html, "2026年11月1日 至 2026年11月30日（共 30 天）");
  HAS(html, "2026-12-01 08:30（UTC+08:00）");
  /* contents: every table in order, then the rectification */
  g_autofree char *toc = segment(html, "<nav class=\"toc\">", "</nav>");
  const char *a = strstr(toc, "href=\"#t-summary\">总体指标");
  const char *b = strstr(toc, "href=\"#t-heat_hour_weekday\"");
  const char *c = strstr(toc, "href=\"#t-workorders\">12345工单");
  const char *d = strstr(toc, "href=\"#rectification\">问题与整改");
  ck_assert(a != NULL && b > a && c > b && d > c);
  HAS(html, "<section class=\"table\" id=\"t-summary\">\n<h2><span class=\"no\">1</span>总体指标");
  HAS(html, "<th scope=\"col\" data-column=\"value\">本期</th>");
}
END_TEST

START_TEST(test_numbers)
{
  g_autoptr(WbReport) r = make_report(NULL);
  g_autofree char *html = write_page(r);
  /* answer rate 0.875 against 0.9: 87.5 %, not met (class and symbol);
   * service level 0.95 against 0.8: met */
  HAS(html, "<td class=\"num unmet\">87.5%<span class=\"mark\" title=\"未达标，目标 90.0%\">✗ "
            "未达标</span></td>");
  HAS(html, "<td class=\"num met\">95.0%<span class=\"mark\" title=\"达标，目标 80.0%\">✓ "
            "达标</span></td>");
  /* changes of rates in points, signed; of counts, signed */
  HAS(html, "<td class=\"num\">-2.0个百分点</td>");
  HAS(html, "<td class=\"num\">+3.1个百分点</td>");
  HAS(html, "<td class=\"num\">+34</td>");
  /* seconds: under a minute with a tenth, then m:ss, then h:mm:ss */
  HAS(html, "<td class=\"num met\">9.4 秒<span class=\"mark\" title=\"达标，目标 20.0 秒\">✓ "
            "达标</span></td>");
  /* units in Chinese */
  HAS(html, "<td class=\"text\">%</td>");
  HAS_NOT(html, ">ratio<");
  HAS(html, "<td class=\"text\">秒</td>");
  HAS(html, "<td class=\"text\">次</td>");
  HAS(html, "<td class=\"num\">-1.5 秒</td>");
  HAS(html, "<td class=\"num\">1:40</td>");
  HAS(html, "<td class=\"num\">1:00</td>"); /* 59.96 s rounds to a minute */
  HAS(html, "<td class=\"num\">160:00:00</td>");
  HAS(html, "<td class=\"num\">59:59</td>");
  /* plain numbers: integers whole, reals with at most two decimals */
  HAS(html, "<td class=\"num\">1234</td>");
  HAS(html, "<td class=\"num\">87.25</td>");
  HAS(html, "<td class=\"num\">90</td>");
  /* no data: an em dash, never 0 */
  HAS(html, "<td class=\"none\">—</td>");
  /* a growth rate is a signed percent; what rounds to 0 has no sign */
  HAS(html, "<td class=\"num\">+25.0%</td>");
  HAS(html, "<td class=\"num\">0.0%</td>");
  /* the total row */
  HAS(html, "<tr class=\"total\"><td class=\"text\">合计</td><td class=\"text\">全中心</td>"
            "<td class=\"num\">50.0%</td>");
  /* a table with no rows */
  g_autofree char *wo = segment(html, "id=\"t-workorders\"", "</section>");
  HAS(wo, "<p class=\"empty\">本期无数据。</p>");
  HAS_NOT(wo, "<table");
}
END_TEST

START_TEST(test_escaping)
{
  g_autoptr(WbReport) r = make_report("整改：<script>alert(1)</script> & \"引号\"");
  g_autofree char *html = write_page(r);
  HAS_NOT(html, "a<&>b");
  HAS(html, "<td class=\"text\">a&lt;&amp;&gt;b</td>");
  HAS(html, "data-row=\"a&lt;&amp;&gt;b\"");
  HAS(html, "<title>a&lt;&amp;&gt;b：2（16.7%）</title>");
  HAS_NOT(html, "<script>");
  HAS(html, "<p>整改：&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;引号&quot;</p>");
}
END_TEST

START_TEST(test_hour_heat_map)
{
  g_autoptr(WbReport) r = make_report(NULL);
  g_autofree char *html = write_page(r);
  g_autofree char *svg =
      segment(html, "<svg class=\"heat\" data-table=\"heat_hour_weekday\"", "</svg>");
  ck_assert_uint_eq(count(svg, "<rect class=\"cell"), 168);
  ck_assert_uint_eq(count(svg, "data-value=\""), 168);
  for (int d = 0; d < 7; d++)
    for (int h = 0; h < 24; h++) {
      g_autofree char *want = g_strdup_printf(
          "data-row=\"%s\" data-column=\"h%02d\" data-value=\"%" G_GINT64_FORMAT "\"><title>%s "
          "%02d时：%" G_GINT64_FORMAT "</title>",
          weekdays[d], h, heat_value(d, h), weekdays[d], h, heat_value(d, h));
      HAS(svg, want);
    }
  /* the largest cell is the darkest colour of the scale, a zero the lightest */
  HAS(svg, "fill=\"#08306b\" data-row=\"周日\" data-column=\"h23\" data-value=\"623\"");
  HAS(svg, "fill=\"#f7fbff\" data-row=\"周一\" data-column=\"h00\" data-value=\"0\"");
  /* a legend from 0 to the largest value */
  HAS(svg, "<g class=\"legend\"");
  ck_assert_uint_eq(count(svg, "<rect class=\"swatch\""), 6);
  HAS(svg, ">623</text>");
  /* the total column is not drawn */
  HAS_NOT(svg, "data-column=\"total\"");
}
END_TEST

START_TEST(test_category_heat_map_and_bars)
{
  g_autoptr(WbReport) r = make_report(NULL);
  g_autofree char *html = write_page(r);
  g_autofree char *svg =
      segment(html, "<svg class=\"heat\" data-table=\"heat_category_day\"", "</svg>");
  ck_assert_uint_eq(count(svg, "<rect class=\"cell"), 4);
  HAS(svg, "data-row=\"签证\" data-column=\"2026-11-01\" data-value=\"7\"><title>签证 "
           "11月1日：7</title>");
  HAS(svg, "data-row=\"a&lt;&amp;&gt;b\" data-column=\"2026-11-02\" data-value=\"2\">");
  /* legend steps from 0 to the largest, 7, none twice */
  HAS(svg, ">0</text>\n<rect class=\"swatch\"");
  ck_assert_uint_eq(count(svg, "<rect class=\"swatch\""), 6);
  g_autofree char *legend = segment(svg, "<g class=\"legend\"", "</g>");
  static const char *const steps[] = {">0<", ">1<", ">3<", ">4<", ">6<", ">7<"};
  for (gsize i = 0; i < G_N_ELEMENTS(steps); i++)
    ck_assert_uint_eq(count(legend, steps[i]), 1);
  g_autofree char *bars = segment(html, "<svg class=\"bars\" data-table=\"hot_topics\"", "</svg>");
  ck_assert_uint_eq(count(bars, "<rect class=\"bar\""), 2);
  /* the longest bar is the full width, the other in proportion: 2/10 */
  HAS(bars, "width=\"460\" height=\"18\" fill=\"#2171b5\" data-row=\"签证\" data-value=\"10\">"
            "<title>签证：10（83.3%）</title>");
  HAS(bars, "width=\"92\" height=\"18\"");
  /* no chart for a table not known by name */
  g_autofree char *staffing = segment(html, "id=\"t-staffing\"", "</section>");
  HAS_NOT(staffing, "<svg");
}
END_TEST

/* A map whose largest value is 1: two swatches, 0 and 1, not six. */
START_TEST(test_small_legend)
{
  g_autoptr(WbReport) r = make_report(NULL);
  g_ptr_array_set_size(r->tables, 0);
  static const char *const cols[] = {"category", "诉求分类",   "2026-11-01",
                                     "11月1日",  "2026-11-02", "11月2日"};
  WbReportTable *t =
      add_table(r, "heat_category_day", "诉求分类热力图（分类×日）", cols, G_N_ELEMENTS(cols) / 2);
  wb_report_put_text(t, "签证"), wb_report_put_int(t, 0), wb_report_put_int(t, 1);
  g_autofree char *html = write_page(r);
  g_autofree char *legend = segment(html, "<g class=\"legend\"", "</g>");
  ck_assert_uint_eq(count(legend, "<rect class=\"swatch\""), 2);
  HAS(html, "<g class=\"months\" fill=\"#1f2933\">\n<text x=\"34\" y=\"14\">11月</text>\n</g>");
  /* labels 34 px (2 glyphs of 12 + 10), swatches 48 apart; the legend under
   * the one row below the month and day rows: 34 + 22 + 12, its labels 26
   * lower */
  HAS(legend, "fill=\"#f7fbff\"/><text x=\"34\" y=\"94\">0</text>");
  HAS(legend, "fill=\"#08306b\"/><text x=\"82\" y=\"94\">1</text>");
}
END_TEST

START_TEST(test_rectification)
{
  g_autoptr(WbReport) blank = make_report(NULL);
  g_autofree char *html = write_page(blank);
  g_autofree char *sec = segment(html, "<section class=\"rectification\"", "</section>");
  HAS(sec, "<h2><span class=\"no\">8</span>问题与整改</h2>");
  HAS(sec, "<p class=\"placeholder\">（未填写）</p>");

  g_autoptr(WbReport) r = make_report("一、夜班接通率未达标。\r\n\n二、增加夜班人员。\n");
  g_autofree char *html2 = write_page(r);
  g_autofree char *sec2 = segment(html2, "<section class=\"rectification\"", "</section>");
  HAS(sec2, "<p>一、夜班接通率未达标。</p>\n<p>二、增加夜班人员。</p>\n");
  HAS_NOT(sec2, "未填写");
  ck_assert_uint_eq(count(sec2, "<p>"), 2);
}
END_TEST

START_TEST(test_write_error)
{
  g_autoptr(WbReport) r = make_report(NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("wb-report-html-XXXXXX", &error);
  ck_assert_ptr_nonnull(dir);
  /* Its directory is a regular file: no one, not even root, writes there. */
  g_autofree char *file = g_build_filename(dir, "plain", NULL);
  ck_assert(g_file_set_contents(file, "x", 1, NULL));
  g_autofree char *path = g_build_filename(file, "report.html", NULL);
  ck_assert(!wb_report_write_html(r, path, &error));
  ck_assert_ptr_nonnull(error);
  ck_assert(error->domain == G_FILE_ERROR);
  ck_assert_msg(strstr(error->message, "report.html") != NULL, "%s", error->message);
  g_unlink(file);
  g_rmdir(dir);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("report_html");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_self_contained);
  tcase_add_test(tc, test_cover_and_contents);
  tcase_add_test(tc, test_numbers);
  tcase_add_test(tc, test_escaping);
  tcase_add_test(tc, test_hour_heat_map);
  tcase_add_test(tc, test_category_heat_map_and_bars);
  tcase_add_test(tc, test_small_legend);
  tcase_add_test(tc, test_rectification);
  tcase_add_test(tc, test_write_error);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
