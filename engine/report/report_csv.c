/* report_csv.c: a management report as one CSV per table
 * (engine/report/report.h). */
#define G_LOG_DOMAIN "wb-report"

#include "engine/report/report.h"

#include <errno.h>
#include <string.h>

static void
csv_field(GString *out, const char *s)
{
  if (strpbrk(s, ",\"\r\n") == NULL) {
    g_string_append(out, s);
    return;
  }
  g_string_append_c(out, '"');
  for (const char *c = s; *c != '\0'; c++) {
    if (*c == '"')
      g_string_append_c(out, '"');
    g_string_append_c(out, *c);
  }
  g_string_append_c(out, '"');
}

static void
csv_cell(GString *out, const WbReportCell *c)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  switch (c->type) {
  case WB_REPORT_CELL_INT: g_string_append_printf(out, "%" G_GINT64_FORMAT, c->i); break;
  case WB_REPORT_CELL_REAL:
    /* Locale-free and round-trip exact; spreadsheets read it as a number. */
    g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.6g", c->d));
    break;
  case WB_REPORT_CELL_TEXT: csv_field(out, c->s); break;
  default: break;
  }
}

gboolean
wb_report_write_csv(const WbReport *report, const char *dir, GError **error)
{
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", dir, g_strerror(e));
    return FALSE;
  }
  for (guint i = 0; i < report->tables->len; i++) {
    const WbReportTable *t = g_ptr_array_index(report->tables, i);
    g_autoptr(GString) out = g_string_new("\xEF\xBB\xBF");
    for (guint c = 0; c < t->n_columns; c++) {
      if (c > 0)
        g_string_append_c(out, ',');
      csv_field(out, t->column_labels_zh[c]);
    }
    g_string_append(out, "\r\n");
    for (guint row = 0; row < wb_report_table_rows(t); row++) {
      for (guint c = 0; c < t->n_columns; c++) {
        if (c > 0)
          g_string_append_c(out, ',');
        csv_cell(out, wb_report_table_cell(t, row, c));
      }
      g_string_append(out, "\r\n");
    }
    g_autofree char *name = g_strconcat(t->name, ".csv", NULL);
    g_autofree char *path = g_build_filename(dir, name, NULL);
    if (!g_file_set_contents(path, out->str, (gssize)out->len, error))
      return FALSE;
  }
  return TRUE;
}
