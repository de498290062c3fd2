/* report_html.c: a management report as one self-contained HTML page
 * (engine/report/report.h): a cover with the contents, every table in
 * reading order, inline SVG charts (report_svg.c), the manager's problems
 * and rectification text, and A4 print styles. No script and no external
 * resource of any kind: the file is mailed, archived and printed as it is,
 * on machines without network access. */
#define G_LOG_DOMAIN "wb-report"

#include "engine/report/report_html_private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DAY_MS (86400000LL)
/* A table with more columns than this (the heat maps: 26 columns, one per
 * day of a month) is printed on an A4 landscape page in a smaller type;
 * past VERY_WIDE_COLUMNS (a quarter's or a year's days) in the smallest
 * type that still prints, its heat map being the readable form. */
#define WIDE_COLUMNS 16
#define VERY_WIDE_COLUMNS 40

void
wb_report_html_escape(GString *out, const char *s)
{
  g_autofree char *e = g_markup_escape_text(s, -1);
  g_string_append(out, e);
}

/* ---- cells ---- */

/* Changes are signed: "+3", "-1.2个百分点". */
static gboolean
signed_column(const char *name)
{
  return strcmp(name, "change") == 0 || g_str_has_suffix(name, "_change") ||
         strcmp(name, "growth") == 0;
}

/* Locale-free: the page is read in Chinese whatever the server's locale.
 * trim drops trailing zeros ("4.50" -> "4.5", "3.00" -> "3"). */
static void
append_fixed(GString *out, gdouble v, int decimals, gboolean trim)
{
  char fmt[8], buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_snprintf(fmt, sizeof(fmt), "%%.%df", decimals);
  g_ascii_formatd(buf, sizeof(buf), fmt, v);
  if (trim && strchr(buf, '.') != NULL) {
    char *end = buf + strlen(buf) - 1;
    while (*end == '0')
      *end-- = '\0';
    if (*end == '.')
      *end = '\0';
  }
  g_string_append(out, buf);
}

/* Under a minute with a tenth ("9.4 秒"); then m:ss ("1:40"); from an
 * hour h:mm:ss ("160:00:00", a month's logged-in time). */
static void
append_seconds(GString *out, gdouble s, gboolean whole)
{
  if (s < 59.95) {
    append_fixed(out, s, whole ? 0 : 1, FALSE);
    g_string_append(out, " 秒");
    return;
  }
  gint64 t = (gint64)llround(s);
  if (t < 3600)
    g_string_append_printf(out, "%d:%02d", (int)(t / 60), (int)(t % 60));
  else
    g_string_append_printf(out, "%" G_GINT64_FORMAT ":%02d:%02d", t / 3600, (int)(t / 60 % 60),
                           (int)(t % 60));
}

static gboolean
cell_number(const WbReportCell *c, gdouble *v)
{
  if (c->type == WB_REPORT_CELL_INT)
    *v = (gdouble)c->i;
  else if (c->type == WB_REPORT_CELL_REAL)
    *v = c->d;
  else
    return FALSE;
  return isfinite(*v);
}

char *
wb_report_html_cell_text(const WbReportTable *t, guint row, guint col)
{
  const WbReportCell *c = wb_report_table_cell(t, row, col);
  gdouble v = 0;
  if (c->type == WB_REPORT_CELL_TEXT)
    return g_strdup(c->s);
  if (!cell_number(c, &v))
    return g_strdup(WB_REPORT_HTML_NONE);
  const char *name = t->column_names[col];
  gboolean whole = c->type == WB_REPORT_CELL_INT;
  g_autoptr(GString) mag = g_string_new(NULL);
  switch (wb_report_cell_format(t, row, col)) {
  case WB_REPORT_FORMAT_PERCENT:
    append_fixed(mag, fabs(v) * 100.0, 1, FALSE);
    /* A change of a rate is in points; a growth rate is itself a percent. */
    g_string_append(mag, signed_column(name) && strcmp(name, "growth") != 0 ? "个百分点" : "%");
    break;
  case WB_REPORT_FORMAT_SECONDS: append_seconds(mag, fabs(v), whole); break;
  default:
    if (whole)
      g_string_append_printf(mag, "%" G_GUINT64_FORMAT,
                             c->i < 0 ? (guint64)0 - (guint64)c->i : (guint64)c->i);
    else
      append_fixed(mag, fabs(v), 2, TRUE);
    break;
  }
  /* What rounds to zero has no sign, so no "-0.0%". */
  gboolean zero = strpbrk(mag->str, "123456789") == NULL;
  const char *sign = zero ? "" : v < 0 ? "-" : signed_column(name) ? "+" : "";
  return g_strconcat(sign, mag->str, NULL);
}

char *
wb_report_html_cell_raw(const WbReportTable *t, guint row, guint col)
{
  const WbReportCell *c = wb_report_table_cell(t, row, col);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (c->type == WB_REPORT_CELL_INT)
    return g_strdup_printf("%" G_GINT64_FORMAT, c->i);
  if (c->type == WB_REPORT_CELL_REAL && isfinite(c->d))
    return g_strdup(g_ascii_formatd(buf, sizeof(buf), "%.10g", c->d));
  return g_strdup("");
}

/* The column holding the target a cell is held to, or -1: "target" for
 * "value" (the summary's rows), "target_NAME" for NAME (the queues). */
static gint
target_column(const WbReportTable *t, guint col)
{
  const char *name = t->column_names[col];
  if (strcmp(name, "value") == 0)
    return wb_report_table_column(t, "target");
  g_autofree char *target = g_strconcat("target_", name, NULL);
  return wb_report_table_column(t, target);
}

static gboolean
has_targets(const WbReportTable *t)
{
  for (guint c = 0; c < t->n_columns; c++)
    if (target_column(t, c) >= 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_total_row(const WbReportTable *t, guint row)
{
  const WbReportCell *c = wb_report_table_cell(t, row, 0);
  return c->type == WB_REPORT_CELL_TEXT && strcmp(c->s, "total") == 0;
}

/* What a target is held against: the row's metric key where the table has
 * one (the summary), else the column's name (target_NAME beside NAME). */
static const char *
target_subject(const WbReportTable *t, guint row, guint col)
{
  gint metric = wb_report_table_column(t, "metric");
  const WbReportCell *key = metric >= 0 ? wb_report_table_cell(t, row, (guint)metric) : NULL;
  return key != NULL && key->type == WB_REPORT_CELL_TEXT ? key->s : t->column_names[col];
}

/* Targets are minimums (answer rate, service level, stability), but for
 * the figures where less is better: waits and durations, abandons,
 * repeats, transfers, leavers, vacancies, overdue work. */
static gboolean
lower_is_better(const char *key)
{
  static const char *const parts[] = {"abandon", "repeat", "transfer", "attrition",
                                      "leaver",  "vacanc", "overdue",  "complaint"};
  if (g_str_has_suffix(key, "_s"))
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS(parts); i++)
    if (strstr(key, parts[i]) != NULL)
      return TRUE;
  return FALSE;
}

/* A value with a target is marked met or not met by class and by a
 * symbol with a word, so that neither colour nor a colour printer is
 * needed to read it. */
static void
write_mark(GString *out, const WbReportTable *t, guint row, guint col, const char **cls)
{
  gdouble v, target;
  gint tc = target_column(t, col);
  if (tc < 0 || !cell_number(wb_report_table_cell(t, row, col), &v) ||
      !cell_number(wb_report_table_cell(t, row, (guint)tc), &target))
    return;
  gboolean met =
      lower_is_better(target_subject(t, row, col)) ? v <= target + 1e-9 : v >= target - 1e-9;
  g_autofree char *target_text = wb_report_html_cell_text(t, row, (guint)tc);
  *cls = met ? "num met" : "num unmet";
  g_string_append_printf(out, "<span class=\"mark\" title=\"%s，目标 ", met ? "达标" : "未达标");
  wb_report_html_escape(out, target_text);
  g_string_append(out, met ? "\">✓ 达标</span>" : "\">✗ 未达标</span>");
}

/* The units of docs/kpi.md and the workforce tables in Chinese; any other
 * unit as it is. */
static const char *
unit_zh(const char *unit)
{
  static const char *const units[][2] = {{"calls", "次"},   {"count", "次"}, {"ratio", "%"},
                                         {"seconds", "秒"}, {"s", "秒"},     {"persons", "人"},
                                         {"d", "天"},       {"days", "天"},  {"h", "小时"},
                                         {"hours", "小时"}, {"min", "分钟"}, {"score", "分"}};
  for (gsize i = 0; i < G_N_ELEMENTS(units); i++)
    if (strcmp(unit, units[i][0]) == 0)
      return units[i][1];
  return unit;
}

/* A cell as the table shows it: besides the formatting of
 * wb_report_html_cell_text, a total row's key as 合计, units in Chinese. */
static char *
shown_text(const WbReportTable *t, guint row, guint col)
{
  const WbReportCell *c = wb_report_table_cell(t, row, col);
  if (col == 0 && is_total_row(t, row))
    return g_strdup("合计");
  if (c->type == WB_REPORT_CELL_TEXT && strcmp(t->column_names[col], "unit") == 0)
    return g_strdup(unit_zh(c->s));
  return wb_report_html_cell_text(t, row, col);
}

static void
write_cell(GString *out, const WbReportTable *t, guint row, guint col)
{
  const WbReportCell *c = wb_report_table_cell(t, row, col);
  const char *cls = c->type == WB_REPORT_CELL_TEXT   ? "text"
                    : c->type == WB_REPORT_CELL_NULL ? "none"
                                                     : "num";
  g_autofree char *text = shown_text(t, row, col);
  g_autoptr(GString) mark = g_string_new(NULL);
  write_mark(mark, t, row, col, &cls);
  g_string_append_printf(out, "<td class=\"%s\">", cls);
  wb_report_html_escape(out, text);
  g_string_append(out, mark->str);
  g_string_append(out, "</td>");
}

/* ---- page parts ---- */

static void
write_table(GString *out, const WbReportTable *t)
{
  guint rows = wb_report_table_rows(t);
  if (rows == 0) {
    g_string_append(out, "<p class=\"empty\">本期无数据。</p>\n");
    return;
  }
  g_string_append(out, "<div class=\"scroll\"><table class=\"data\" data-table=\"");
  wb_report_html_escape(out, t->name);
  g_string_append(out, "\">\n<thead><tr>");
  for (guint c = 0; c < t->n_columns; c++) {
    g_string_append(out, "<th scope=\"col\" data-column=\"");
    wb_report_html_escape(out, t->column_names[c]);
    g_string_append(out, "\">");
    wb_report_html_escape(out, t->column_labels_zh[c]);
    g_string_append(out, "</th>");
  }
  g_string_append(out, "</tr></thead>\n<tbody>\n");
  for (guint r = 0; r < rows; r++) {
    g_string_append(out, is_total_row(t, r) ? "<tr class=\"total\">" : "<tr>");
    for (guint c = 0; c < t->n_columns; c++)
      write_cell(out, t, r, c);
    g_string_append(out, "</tr>\n");
  }
  g_string_append(out, "</tbody></table></div>\n");
  if (has_targets(t))
    g_string_append(out, "<p class=\"note\">✓ 达标：本期不低于目标；✗ 未达标：低于目标；"
                         "— 无数据。</p>\n");
}

/* Special drawing only for the tables known by name; any other table is
 * shown as a table alone. */
static void
write_chart(GString *out, const WbReportTable *t)
{
  if (wb_report_table_rows(t) == 0)
    return;
  if (strcmp(t->name, "heat_hour_weekday") == 0 || strcmp(t->name, "heat_category_day") == 0)
    wb_report_svg_heat_map(out, t);
  else if (strcmp(t->name, "hot_topics") == 0)
    wb_report_svg_bars(out, t, "calls");
}

static void
write_section(GString *out, const WbReportTable *t, guint number)
{
  g_string_append(out, t->n_columns > VERY_WIDE_COLUMNS
                           ? "<section class=\"table wide very\" id=\"t-"
                       : t->n_columns > WIDE_COLUMNS ? "<section class=\"table wide\" id=\"t-"
                                                     : "<section class=\"table\" id=\"t-");
  wb_report_html_escape(out, t->name);
  g_string_append_printf(out, "\">\n<h2><span class=\"no\">%u</span>", number);
  wb_report_html_escape(out, t->title_zh);
  g_string_append(out, "</h2>\n");
  write_chart(out, t);
  write_table(out, t);
  g_string_append(out, "</section>\n");
}

static void
write_rectification(GString *out, const WbReport *r, guint number)
{
  g_string_append_printf(out,
                         "<section class=\"rectification\" id=\"rectification\">\n"
                         "<h2><span class=\"no\">%u</span>问题与整改</h2>\n",
                         number);
  gboolean any = FALSE;
  g_auto(GStrv) lines = g_strsplit(r->rectification != NULL ? r->rectification : "", "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    g_strstrip(lines[i]); /* also the \r of a text written on Windows */
    if (lines[i][0] == '\0')
      continue;
    g_string_append(out, "<p>");
    wb_report_html_escape(out, lines[i]);
    g_string_append(out, "</p>\n");
    any = TRUE;
  }
  if (!any)
    g_string_append(out, "<p class=\"placeholder\">（未填写）</p>\n");
  g_string_append(out, "</section>\n");
}

/* The period's first local day, read from its canonical text: the report
 * holds no time zone, and the text is the local calendar's own. */
static gboolean
period_first_day(const WbReportPeriod *p, GDate *out)
{
  int y = 0, m = 1, d = 1, q = 0;
  gboolean ok;
  switch (p->kind) {
  case WB_REPORT_MONTHLY: ok = sscanf(p->text, "%d-%d", &y, &m) == 2; break;
  case WB_REPORT_QUARTERLY:
    ok = sscanf(p->text, "%d-Q%d", &y, &q) == 2;
    m = (q - 1) * 3 + 1;
    break;
  case WB_REPORT_ANNUAL: ok = sscanf(p->text, "%d", &y) == 1; break;
  default: ok = sscanf(p->text, "%d-%d-%d", &y, &m, &d) == 3; break;
  }
  if (!ok || y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 ||
      d > g_date_get_days_in_month((GDateMonth)m, (GDateYear)y))
    return FALSE;
  g_date_clear(out, 1);
  g_date_set_dmy(out, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
  return TRUE;
}

static void
append_date(GString *out, const GDate *d)
{
  g_string_append_printf(out, "%d年%d月%d日", g_date_get_year(d), g_date_get_month(d),
                         g_date_get_day(d));
}

/* The generation time in the centre's zone: the zone's offset is where the
 * period's first local midnight (from_ms) falls against UTC midnight of
 * that date. A zone whose offset changed since (daylight saving) is shown
 * with the offset of the period's start, which the text says. */
static void
append_generated(GString *out, const WbReport *r, const GDate *first)
{
  GDate epoch;
  g_date_clear(&epoch, 1);
  g_date_set_dmy(&epoch, 1, G_DATE_JANUARY, 1970);
  gint64 offset_ms = (gint64)g_date_days_between(&epoch, first) * DAY_MS - r->period.from_ms;
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc((r->generated_ms + offset_ms) / 1000);
  if (t == NULL)
    return;
  g_autofree char *text = g_date_time_format(t, "%Y-%m-%d %H:%M");
  gint64 minutes = (offset_ms < 0 ? -offset_ms : offset_ms) / 60000;
  g_string_append_printf(out, "%s（UTC%c%02d:%02d）", text, offset_ms < 0 ? '-' : '+',
                         (int)(minutes / 60), (int)(minutes % 60));
}

static void
write_cover(GString *out, const WbReport *r)
{
  GDate first, last;
  if (!period_first_day(&r->period, &first)) {
    /* Not a canonical text: the UTC date is the best there is. */
    g_date_clear(&first, 1);
    g_date_set_time_t(&first, (time_t)(r->period.from_ms / 1000));
  }
  last = first;
  g_date_add_days(&last, (guint)MAX(r->period.days, 1) - 1);
  g_string_append(out, "<header class=\"cover\">\n<p class=\"centre\">");
  wb_report_html_escape(out, r->centre_zh != NULL ? r->centre_zh : "");
  g_string_append(out, "</p>\n<h1>");
  wb_report_html_escape(out, r->title_zh != NULL ? r->title_zh : "");
  g_string_append(out, "</h1>\n<dl>\n<dt>统计期间</dt><dd class=\"period\">");
  append_date(out, &first);
  g_string_append(out, " 至 ");
  append_date(out, &last);
  g_string_append_printf(out, "（共 %d 天）</dd>\n<dt>生成时间</dt><dd class=\"generated\">",
                         MAX(r->period.days, 1));
  append_generated(out, r, &first);
  g_string_append(out, "</dd>\n</dl>\n</header>\n");
}

static void
write_contents(GString *out, const WbReport *r)
{
  g_string_append(out, "<nav class=\"toc\">\n<h2>目录</h2>\n<ol>\n");
  for (guint i = 0; i < r->tables->len; i++) {
    const WbReportTable *t = g_ptr_array_index(r->tables, i);
    g_string_append(out, "<li><a href=\"#t-");
    wb_report_html_escape(out, t->name);
    g_string_append(out, "\">");
    wb_report_html_escape(out, t->title_zh);
    g_string_append(out, "</a></li>\n");
  }
  g_string_append(out, "<li><a href=\"#rectification\">问题与整改</a></li>\n</ol>\n</nav>\n");
}

/* Fonts by name only, never a web font: the page must open offline. The
 * CJK faces first, so that a machine with any of them shows no tofu. */
static const char style[] =
    ":root{--ink:#1f2933;--muted:#52606d;--line:#c3cbd5;--head:#e4ecf5;--accent:#1d4f91}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    "body{margin:0 auto;max-width:1240px;padding:24px;color:var(--ink);font-size:14px;"
    "line-height:1.5;font-family:\"Noto Sans CJK SC\",\"Noto Sans SC\",\"Source Han Sans SC\","
    "\"Microsoft YaHei\",sans-serif}\n"
    ".cover{padding:40px 0 24px;border-bottom:3px solid var(--accent);margin-bottom:16px}\n"
    ".cover .centre{font-size:18px;color:var(--muted);margin:0}\n"
    ".cover h1{font-size:32px;margin:8px 0 16px}\n"
    ".cover dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}\n"
    ".cover dt{color:var(--muted)}\n.cover dd{margin:0}\n"
    "nav.toc ol{columns:2;padding-left:1.8em}\n"
    "nav.toc a{color:inherit;text-decoration:none}\n"
    "h2{font-size:20px;border-left:5px solid var(--accent);padding-left:10px;margin:32px 0 12px}\n"
    "h2 .no{color:var(--muted);margin-right:.6em}\n"
    ".scroll{overflow-x:auto}\n"
    "table.data{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}\n"
    "table.data th,table.data td{border:1px solid var(--line);padding:3px 6px}\n"
    "table.data th{background:var(--head);font-weight:600;text-align:center}\n"
    "td.num,td.none{text-align:right;white-space:nowrap}\n"
    "td.none{color:var(--muted)}\n"
    "tr.total td{font-weight:700;background:#f3f5f8}\n"
    "td.met{background:#e6f4ea}\ntd.unmet{background:#fbe9e9}\n"
    ".mark{margin-left:.4em;font-size:12px;white-space:nowrap}\n"
    "td.met .mark{color:#1e6b34}\ntd.unmet .mark{color:#a61b1b;font-weight:700}\n"
    ".note,.empty,.placeholder{color:var(--muted)}\n"
    "figure.chart{margin:8px 0 16px}\n"
    "figure.chart svg{display:block;max-width:100%;height:auto}\n"
    "figure.chart figcaption{color:var(--muted);font-size:12px}\n"
    "section.wide table.data{font-size:11px}\n"
    "section.wide table.data th,section.wide table.data td{padding:2px 3px}\n"
    ".rectification p{text-indent:2em;margin:0 0 .6em}\n"
    "@page{size:A4;margin:15mm 12mm 16mm;"
    "@bottom-center{content:counter(page) \" / \" counter(pages);font-size:9pt;color:#52606d}}\n"
    "@page wide{size:A4 landscape;margin:12mm 10mm 14mm}\n"
    "@media print{\n"
    "body{max-width:none;padding:0;font-size:10pt}\n"
    ".front{break-after:page}\n"
    ".cover{padding-top:50mm;border-bottom-width:2px}\n"
    "h2{break-after:avoid;font-size:14pt}\n"
    "section.wide{page:wide}\n"
    ".scroll{overflow:visible}\n"
    "table.data{width:100%;font-size:8.5pt}\n"
    "section.wide table.data{table-layout:fixed;font-size:7pt}\n"
    "section.wide table.data th{word-break:break-all}\n"
    "section.very table.data{font-size:4.5pt}\n"
    "section.very table.data th,section.very table.data td{padding:0 1px}\n"
    "section.very table.data th{writing-mode:vertical-rl;white-space:nowrap;word-break:normal}\n"
    "section.wide table.data th:first-child{width:11%}\n"
    "thead{display:table-header-group}\n"
    "tr,figure.chart,.note{break-inside:avoid}\n"
    "figure.chart svg{width:100%;max-height:165mm}\n"
    "a{color:inherit;text-decoration:none}\n"
    "}\n";

static void
write_head(GString *out, const WbReport *r)
{
  g_string_append(out, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                       "<title>");
  wb_report_html_escape(out, r->centre_zh != NULL ? r->centre_zh : "");
  g_string_append_c(out, ' ');
  wb_report_html_escape(out, r->title_zh != NULL ? r->title_zh : "");
  g_string_append(out, "</title>\n<style>\n");
  g_string_append(out, style);
  g_string_append(out, "</style>\n</head>\n");
}

gboolean
wb_report_write_html(const WbReport *report, const char *path, GError **error)
{
  g_autoptr(GString) out = g_string_sized_new(256 * 1024);
  write_head(out, report);
  g_string_append(out, "<body>\n<div class=\"front\">\n");
  write_cover(out, report);
  write_contents(out, report);
  g_string_append(out, "</div>\n<main>\n");
  for (guint i = 0; i < report->tables->len; i++)
    write_section(out, g_ptr_array_index(report->tables, i), i + 1);
  write_rectification(out, report, report->tables->len + 1);
  g_string_append(out, "</main>\n</body>\n</html>\n");
  /* A temporary file renamed over the old: a reader never sees half a page. */
  return g_file_set_contents(path, out->str, (gssize)out->len, error);
}
