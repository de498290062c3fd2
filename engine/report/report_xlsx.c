/* report_xlsx.c: a management report as one XLSX workbook
 * (engine/report/report.h), written with libxlsxwriter.
 *
 * The first sheet, 封面, is the cover: centre, title, period, when it was
 * made, the list of sheets and the rectification text. Then one sheet per
 * table, named after the table's machine name (the CSV file's name, so
 * that the two outputs are found by the same name): row 1 the Chinese
 * title, row 2 the Chinese labels, then the rows, numbers as numbers.
 * Nothing here knows what a table means except the heat maps, which get a
 * colour scale. docs/reports.md ("XLSX") describes the layout.
 */
#define G_LOG_DOMAIN "wb-report"

#include "engine/report/report.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define COVER_SHEET "封面"
#define TITLE_ROW 0
#define LABEL_ROW 1
#define FIRST_DATA_ROW 2
/* Excel's limits: a cell holds at most 32767 characters. */
#define CELL_CHARS_MAX 32767
/* Column widths in Excel's units (about one Latin digit each); a CJK
 * character takes about two. */
#define WIDTH_MIN 6.0
#define WIDTH_MAX 60.0
#define WIDTH_PAD 2.0

typedef struct {
  const char *path; /* what the caller asked for, named in errors */
  lxw_workbook *book;
  lxw_format *title;   /* a sheet's first row */
  lxw_format *heading; /* the cover's centre name */
  lxw_format *label;   /* column labels: bold, shaded, frozen above the rows */
  lxw_format *key;     /* the cover's left-hand labels */
  lxw_format *wrap;    /* long text */
  lxw_format *link;
  lxw_format *percent, *seconds, *plain;
} Xlsx;

static gboolean
lxw_check(const Xlsx *x, lxw_error rc, const char *what, GError **error)
{
  if (rc == LXW_NO_ERROR)
    return TRUE;
  g_set_error(error, WB_REPORT_ERROR, 0, "%s: %s: %s", x->path, what, lxw_strerror(rc));
  return FALSE;
}

/* ---- sheet names ---- */

/* Excel refuses []:*?/\ in a sheet name, a name that starts or ends with
 * an apostrophe, more than 31 characters and two names equal but for
 * case. Machine names never meet any of that; a future one still gets a
 * valid, unique name: the offending characters as '_', cut to fit, and
 * "_2", "_3"... on a repeat. */
static char *
sheet_name_clean(const char *name, glong max_chars)
{
  g_autoptr(GString) s = g_string_new(NULL);
  glong n = 0;
  for (const char *p = name; *p != '\0' && n < max_chars; p = g_utf8_next_char(p), n++) {
    gunichar c = g_utf8_get_char(p);
    if (c < 0x80 && strchr("[]:*?/\\", (int)c) != NULL)
      g_string_append_c(s, '_');
    else
      g_string_append_unichar(s, c);
  }
  while (s->len > 0 && s->str[0] == '\'')
    g_string_erase(s, 0, 1);
  while (s->len > 0 && s->str[s->len - 1] == '\'')
    g_string_truncate(s, s->len - 1);
  if (s->len == 0)
    g_string_assign(s, "table");
  return g_string_free(g_steal_pointer(&s), FALSE);
}

static char *
sheet_name_unique(GHashTable *used, const char *name)
{
  for (guint n = 1;; n++) {
    g_autofree char *suffix = n == 1 ? g_strdup("") : g_strdup_printf("_%u", n);
    g_autofree char *base = sheet_name_clean(name, LXW_SHEETNAME_MAX - (glong)strlen(suffix));
    char *candidate = g_strconcat(base, suffix, NULL);
    char *folded = g_utf8_casefold(candidate, -1);
    if (g_hash_table_add(used, folded))
      return candidate;
    g_free(candidate);
  }
}

/* ---- cells ---- */

/* Display width of text in Excel's units: its longest line, CJK
 * characters counting two. */
static gdouble
text_width(const char *s)
{
  gdouble best = 0, line = 0;
  for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (c == '\n') {
      best = MAX(best, line);
      line = 0;
      continue;
    }
    line += g_unichar_iswide(c) ? 2 : 1;
  }
  return MAX(best, line);
}

static void
widen(gdouble *width, gdouble w)
{
  *width = MAX(*width, CLAMP(w + WIDTH_PAD, WIDTH_MIN, WIDTH_MAX));
}

/* Text cut to what a cell holds: a longer string is an lxw error. */
static lxw_error
put_string(lxw_worksheet *sheet, lxw_row_t row, lxw_col_t col, const char *s, lxw_format *format)
{
  if (g_utf8_strlen(s, -1) <= CELL_CHARS_MAX)
    return worksheet_write_string(sheet, row, col, s, format);
  g_autofree char *cut = g_utf8_substring(s, 0, CELL_CHARS_MAX);
  return worksheet_write_string(sheet, row, col, cut, format);
}

/* A REAL cell's format, and how wide it shows: a fraction as 87.5%,
 * seconds with one decimal, anything else with two. */
static lxw_format *
number_format(const Xlsx *x, const WbReportTable *t, guint row, guint col, gdouble v,
              gdouble *shown_width)
{
  char buf[64];
  lxw_format *format = x->plain;
  switch (wb_report_cell_format(t, row, col)) {
  case WB_REPORT_FORMAT_PERCENT:
    g_snprintf(buf, sizeof(buf), "%.1f%%", v * 100);
    format = x->percent;
    break;
  case WB_REPORT_FORMAT_SECONDS:
    g_snprintf(buf, sizeof(buf), "%.1f", v);
    format = x->seconds;
    break;
  default: g_snprintf(buf, sizeof(buf), "%.2f", v); break;
  }
  *shown_width = (gdouble)strlen(buf);
  return format;
}

/* One cell: INT and REAL as numbers (REAL in its column's format), TEXT
 * as a string, NULL (and a REAL that is not finite, which XLSX cannot
 * hold) left empty: no data, never 0. */
static lxw_error
put_cell(const Xlsx *x, lxw_worksheet *sheet, const WbReportTable *t, guint row, guint col,
         gdouble *width)
{
  const WbReportCell *c = wb_report_table_cell(t, row, col);
  lxw_row_t r = (lxw_row_t)(FIRST_DATA_ROW + row);
  char buf[64];
  switch (c->type) {
  case WB_REPORT_CELL_INT:
    g_snprintf(buf, sizeof(buf), "%" G_GINT64_FORMAT, c->i);
    widen(width, (gdouble)strlen(buf));
    return worksheet_write_number(sheet, r, (lxw_col_t)col, (double)c->i, NULL);
  case WB_REPORT_CELL_REAL: {
    if (!isfinite(c->d))
      return LXW_NO_ERROR;
    gdouble shown = 0;
    lxw_format *format = number_format(x, t, row, col, c->d, &shown);
    widen(width, shown);
    return worksheet_write_number(sheet, r, (lxw_col_t)col, c->d, format);
  }
  case WB_REPORT_CELL_TEXT:
    if (c->s == NULL || c->s[0] == '\0')
      return LXW_NO_ERROR;
    widen(width, text_width(c->s));
    return put_string(sheet, r, (lxw_col_t)col, c->s, strchr(c->s, '\n') ? x->wrap : NULL);
  default: return LXW_NO_ERROR;
  }
}

/* ---- sheets ---- */

static gboolean
is_heat_map(const WbReportTable *t)
{
  return strcmp(t->name, "heat_hour_weekday") == 0 || strcmp(t->name, "heat_category_day") == 0;
}

/* A heat map's cells between its key column and its total, shaded white
 * (fewest) through yellow to red (most), as the HTML report draws them. */
static lxw_error
heat_scale(lxw_worksheet *sheet, const WbReportTable *t)
{
  guint rows = wb_report_table_rows(t);
  gint total = wb_report_table_column(t, "total");
  guint last = total > 1 ? (guint)total - 1 : t->n_columns - 1;
  if (rows == 0 || last < 1)
    return LXW_NO_ERROR;
  lxw_conditional_format scale = {
      .type = LXW_CONDITIONAL_3_COLOR_SCALE,
      .min_rule_type = LXW_CONDITIONAL_RULE_TYPE_MINIMUM,
      .min_color = 0xFFFFFF,
      .mid_rule_type = LXW_CONDITIONAL_RULE_TYPE_PERCENTILE,
      .mid_value = 50,
      .mid_color = 0xFFEB84,
      .max_rule_type = LXW_CONDITIONAL_RULE_TYPE_MAXIMUM,
      .max_color = 0xF8696B,
  };
  return worksheet_conditional_format_range(sheet, FIRST_DATA_ROW, 1, FIRST_DATA_ROW + rows - 1,
                                            (lxw_col_t)last, &scale);
}

static lxw_worksheet *
add_sheet(const Xlsx *x, const char *name, GError **error)
{
  if (!lxw_check(x, workbook_validate_sheet_name(x->book, name), name, error))
    return NULL;
  lxw_worksheet *sheet = workbook_add_worksheet(x->book, name);
  if (sheet == NULL)
    g_set_error(error, WB_REPORT_ERROR, 0, "%s: %s: cannot add the sheet", x->path, name);
  return sheet;
}

/* A4 landscape, as wide as a page, the labels repeated on every page. */
static lxw_error
print_setup(lxw_worksheet *sheet)
{
  worksheet_set_paper(sheet, 9);
  worksheet_set_landscape(sheet);
  worksheet_fit_to_pages(sheet, 1, 0);
  return worksheet_repeat_rows(sheet, LABEL_ROW, LABEL_ROW);
}

static gboolean
write_table(const Xlsx *x, const WbReportTable *t, const char *name, GError **error)
{
  lxw_worksheet *sheet = add_sheet(x, name, error);
  if (sheet == NULL)
    return FALSE;
  lxw_error rc = worksheet_set_row(sheet, TITLE_ROW, 22, NULL);
  if (rc == LXW_NO_ERROR)
    rc = worksheet_write_string(sheet, TITLE_ROW, 0, t->title_zh, x->title);
  g_autofree gdouble *width = g_new0(gdouble, MAX(t->n_columns, 1));
  for (guint c = 0; c < t->n_columns && rc == LXW_NO_ERROR; c++) {
    widen(&width[c], text_width(t->column_labels_zh[c]));
    rc = worksheet_write_string(sheet, LABEL_ROW, (lxw_col_t)c, t->column_labels_zh[c], x->label);
  }
  guint rows = wb_report_table_rows(t);
  for (guint r = 0; r < rows && rc == LXW_NO_ERROR; r++)
    for (guint c = 0; c < t->n_columns && rc == LXW_NO_ERROR; c++)
      rc = put_cell(x, sheet, t, r, c, &width[c]);
  for (guint c = 0; c < t->n_columns && rc == LXW_NO_ERROR; c++)
    rc = worksheet_set_column(sheet, (lxw_col_t)c, (lxw_col_t)c, width[c], NULL);
  if (rc == LXW_NO_ERROR && is_heat_map(t))
    rc = heat_scale(sheet, t);
  if (rc == LXW_NO_ERROR)
    rc = print_setup(sheet);
  /* The labels and each row's key stay in view while scrolling. */
  worksheet_freeze_panes(sheet, FIRST_DATA_ROW, 1);
  return lxw_check(x, rc, name, error);
}

/* The report holds no time zone, but its period starts at a local
 * midnight of the centre's, which gives that zone's offset from UTC.
 * Where a zone keeps summer time the offset may be an hour off the one of
 * the moment shown; the instant is still right, as the offset is printed
 * with it. */
static GTimeZone *
period_zone(const WbReportPeriod *p)
{
  gint64 offset = ((-(p->from_ms / 1000)) % 86400 + 86400) % 86400;
  if (offset > 14 * 3600)
    offset -= 86400;
  return g_time_zone_new_offset((gint32)offset);
}

static char *
local_text(GTimeZone *tz, gint64 ms, const char *format)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(ms / 1000);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_timezone(utc, tz) : NULL;
  return local != NULL ? g_date_time_format(local, format) : g_strdup("");
}

static lxw_error
cover_pair(const Xlsx *x, lxw_worksheet *sheet, lxw_row_t row, const char *key, const char *value)
{
  lxw_error rc = worksheet_write_string(sheet, row, 0, key, x->key);
  return rc != LXW_NO_ERROR ? rc : put_string(sheet, row, 1, value, NULL);
}

/* The sheets, each a link to its first cell, with its table's title. */
static lxw_error
cover_sheets(const Xlsx *x, lxw_worksheet *sheet, lxw_row_t *row, const WbReport *report,
             char *const *names)
{
  lxw_error rc = worksheet_write_string(sheet, *row, 0, "工作表", x->label);
  if (rc == LXW_NO_ERROR)
    rc = worksheet_write_string(sheet, *row, 1, "表名", x->label);
  (*row)++;
  for (guint i = 0; i < report->tables->len && rc == LXW_NO_ERROR; i++, (*row)++) {
    const WbReportTable *t = g_ptr_array_index(report->tables, i);
    g_auto(GStrv) quoted = g_strsplit(names[i], "'", -1);
    g_autofree char *escaped = g_strjoinv("''", quoted);
    g_autofree char *url = g_strdup_printf("internal:'%s'!A1", escaped);
    rc = worksheet_write_url_opt(sheet, *row, 0, url, x->link, names[i], t->title_zh);
    if (rc == LXW_NO_ERROR)
      rc = put_string(sheet, *row, 1, t->title_zh, NULL);
  }
  return rc;
}

/* The rectification text, a row per line; "（未填写）" when none. */
static lxw_error
cover_rectification(const Xlsx *x, lxw_worksheet *sheet, lxw_row_t row, const char *text)
{
  lxw_error rc = worksheet_write_string(sheet, row++, 0, "存在问题及整改情况", x->label);
  g_autofree char *trimmed = g_strstrip(g_strdup(text != NULL ? text : ""));
  if (trimmed[0] == '\0')
    return rc != LXW_NO_ERROR ? rc : worksheet_write_string(sheet, row, 0, "（未填写）", NULL);
  g_auto(GStrv) lines = g_strsplit(trimmed, "\n", -1);
  for (guint i = 0; lines[i] != NULL && rc == LXW_NO_ERROR; i++, row++) {
    g_strchomp(lines[i]); /* CR of CRLF */
    if (lines[i][0] != '\0')
      rc = put_string(sheet, row, 0, lines[i], NULL);
  }
  return rc;
}

static gboolean
write_cover(const Xlsx *x, const WbReport *report, char *const *names, GError **error)
{
  lxw_worksheet *sheet = add_sheet(x, COVER_SHEET, error);
  if (sheet == NULL)
    return FALSE;
  const WbReportPeriod *p = &report->period;
  g_autoptr(GTimeZone) tz = period_zone(p);
  g_autofree char *first = local_text(tz, p->from_ms, "%Y-%m-%d");
  /* Midday of the last day: clear of any summer-time shift of midnight. */
  g_autofree char *last = local_text(tz, p->to_ms - 12 * 3600 * 1000LL, "%Y-%m-%d");
  g_autofree char *dates = g_strdup_printf("%s 至 %s（共 %d 天）", first, last, p->days);
  g_autofree char *made = local_text(tz, report->generated_ms, "%Y-%m-%d %H:%M:%S UTC%:z");

  lxw_row_t row = 0;
  lxw_error rc = worksheet_set_row(sheet, 0, 26, NULL);
  if (rc == LXW_NO_ERROR)
    rc = put_string(sheet, row++, 0, report->centre_zh ? report->centre_zh : "", x->heading);
  if (rc == LXW_NO_ERROR)
    rc = worksheet_set_row(sheet, row, 22, NULL);
  if (rc == LXW_NO_ERROR)
    rc = put_string(sheet, row++, 0, report->title_zh ? report->title_zh : "", x->title);
  row++;
  if (rc == LXW_NO_ERROR)
    rc = cover_pair(x, sheet, row++, "统计周期", p->text);
  if (rc == LXW_NO_ERROR)
    rc = cover_pair(x, sheet, row++, "起止日期", dates);
  if (rc == LXW_NO_ERROR)
    rc = cover_pair(x, sheet, row++, "生成时间", made);
  row++;
  if (rc == LXW_NO_ERROR)
    rc = cover_sheets(x, sheet, &row, report, names);
  row++;
  if (rc == LXW_NO_ERROR)
    rc = cover_rectification(x, sheet, row, report->rectification);
  if (rc == LXW_NO_ERROR)
    rc = worksheet_set_column(sheet, 0, 0, 22, NULL);
  if (rc == LXW_NO_ERROR)
    rc = worksheet_set_column(sheet, 1, 1, 50, NULL);
  if (rc == LXW_NO_ERROR) {
    worksheet_set_paper(sheet, 9);
    worksheet_activate(sheet);
  }
  return lxw_check(x, rc, COVER_SHEET, error);
}

static void
add_formats(Xlsx *x)
{
  x->heading = workbook_add_format(x->book);
  format_set_bold(x->heading);
  format_set_font_size(x->heading, 16);
  x->title = workbook_add_format(x->book);
  format_set_bold(x->title);
  format_set_font_size(x->title, 14);
  x->label = workbook_add_format(x->book);
  format_set_bold(x->label);
  format_set_bg_color(x->label, 0xDDEBF7);
  format_set_bottom(x->label, LXW_BORDER_THIN);
  format_set_text_wrap(x->label);
  format_set_align(x->label, LXW_ALIGN_VERTICAL_CENTER);
  x->key = workbook_add_format(x->book);
  format_set_bold(x->key);
  x->wrap = workbook_add_format(x->book);
  format_set_text_wrap(x->wrap);
  format_set_align(x->wrap, LXW_ALIGN_VERTICAL_TOP);
  x->link = workbook_add_format(x->book);
  format_set_underline(x->link, LXW_UNDERLINE_SINGLE);
  format_set_font_color(x->link, LXW_COLOR_BLUE);
  x->percent = workbook_add_format(x->book);
  format_set_num_format(x->percent, "0.0%");
  x->seconds = workbook_add_format(x->book);
  format_set_num_format(x->seconds, "0.0");
  x->plain = workbook_add_format(x->book);
  format_set_num_format(x->plain, "0.00");
}

static gboolean
write_book(Xlsx *x, const WbReport *report, GError **error)
{
  lxw_doc_properties props = {
      .title = report->title_zh,
      .company = report->centre_zh,
      .created = (time_t)(report->generated_ms / 1000),
  };
  if (!lxw_check(x, workbook_set_properties(x->book, &props), "properties", error))
    return FALSE;
  add_formats(x);
  g_autoptr(GHashTable) used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add(used, g_utf8_casefold(COVER_SHEET, -1));
  g_auto(GStrv) names = g_new0(char *, report->tables->len + 1);
  for (guint i = 0; i < report->tables->len; i++) {
    const WbReportTable *t = g_ptr_array_index(report->tables, i);
    names[i] = sheet_name_unique(used, t->name);
  }
  if (!write_cover(x, report, names, error))
    return FALSE;
  for (guint i = 0; i < report->tables->len; i++)
    if (!write_table(x, g_ptr_array_index(report->tables, i), names[i], error))
      return FALSE;
  return TRUE;
}

static gboolean
errno_error(const char *path, const char *what, int e, GError **error)
{
  g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s: %s", path, what,
              g_strerror(e));
  return FALSE;
}

/* Written to the disk before the rename, so that the name never points at
 * a half-written file, even after a crash. */
static gboolean
sync_file(const char *path, GError **error)
{
  int fd = g_open(path, O_RDONLY, 0);
  if (fd < 0 || fsync(fd) != 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    return errno_error(path, "fsync", e, error);
  }
  close(fd);
  return TRUE;
}

gboolean
wb_report_write_xlsx(const WbReport *report, const char *path, GError **error)
{
  /* A hidden temporary name in the same directory, renamed over path at
   * the end: a reader sees the old workbook or the new, never half one. */
  g_autofree char *dir = g_path_get_dirname(path);
  g_autofree char *base = g_path_get_basename(path);
  g_autofree char *tmp_name = g_strdup_printf(".%s.XXXXXX", base);
  g_autofree char *tmp = g_build_filename(dir, tmp_name, NULL);
  int fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0666);
  if (fd < 0)
    return errno_error(path, "cannot create a temporary file", errno, error);
  close(fd);

  Xlsx x = {.path = path, .book = workbook_new(tmp)};
  if (x.book == NULL) {
    g_unlink(tmp);
    return lxw_check(&x, LXW_ERROR_MEMORY_MALLOC_FAILED, "workbook", error);
  }
  if (!write_book(&x, report, error)) {
    lxw_workbook_free(x.book);
    g_unlink(tmp);
    return FALSE;
  }
  /* Closing writes the file, and frees the workbook whatever happens. */
  if (!lxw_check(&x, workbook_close(x.book), "close", error) || !sync_file(tmp, error)) {
    g_unlink(tmp);
    return FALSE;
  }
  if (g_rename(tmp, path) != 0) {
    int e = errno;
    g_unlink(tmp);
    return errno_error(path, "rename", e, error);
  }
  return TRUE;
}
