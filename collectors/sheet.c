/* sheet.c: spreadsheet text (CSV, Unicode text) -> rows of cells, with libcsv. */
#define G_LOG_DOMAIN "import"

#include "collectors/sheet.h"

#include <csv.h>
#include <string.h>

#include "collectors/import.h"

static void
row_free(gpointer p)
{
  WbSheetRow *r = p;
  g_ptr_array_unref(r->cells);
  g_free(r);
}

const char *
wb_sheet_cell(const WbSheetRow *row, guint i)
{
  return i < row->cells->len ? g_ptr_array_index(row->cells, i) : "";
}

gboolean
wb_sheet_row_blank(const WbSheetRow *row)
{
  for (guint i = 0; i < row->cells->len; i++)
    for (const char *c = g_ptr_array_index(row->cells, i); *c != '\0'; c++)
      if (!g_ascii_isspace(*c))
        return FALSE;
  return TRUE;
}

void
wb_sheet_column_name(guint index, char *out, gsize size)
{
  char tmp[8];
  int n = 0;
  for (guint i = index + 1; i > 0 && n < (int)sizeof(tmp); i = (i - 1) / 26)
    tmp[n++] = (char)('A' + (i - 1) % 26);
  gsize j = 0;
  while (n > 0 && j + 1 < size)
    out[j++] = tmp[--n];
  out[j] = '\0';
}

char *
wb_sheet_decode(const void *data, gsize len, gsize *out_len, const char **encoding, GError **error)
{
  const guint8 *bytes = data;
  const char *text = data;
  const char *from = "GB18030";
  gsize skip = 0;

  if (len >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0) {
    if (!g_utf8_validate_len(text + 3, len - 3, NULL)) {
      g_set_error(error, WB_IMPORT_ERROR, WB_IMPORT_ERROR_ENCODING,
                  "starts with a UTF-8 byte-order mark but is not UTF-8 text");
      return NULL;
    }
    *encoding = "UTF-8 with BOM";
    *out_len = len - 3;
    return g_strndup(text + 3, len - 3);
  }
  if (len >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE) {
    from = "UTF-16LE";
    skip = 2;
  } else if (len >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF) {
    from = "UTF-16BE";
    skip = 2;
  } else if (g_utf8_validate_len(text, len, NULL)) {
    *encoding = "UTF-8";
    *out_len = len;
    return g_strndup(text, len);
  }

  GError *local = NULL;
  char *out = g_convert(text + skip, (gssize)(len - skip), "UTF-8", from, NULL, out_len, &local);
  if (out == NULL) {
    g_set_error(error, WB_IMPORT_ERROR, WB_IMPORT_ERROR_ENCODING,
                "%s: %s (save it as CSV UTF-8, or as Unicode text)",
                skip > 0 ? "not UTF-16 text" : "neither UTF-8 nor GBK/GB18030 text",
                local->message);
    g_error_free(local);
    return NULL;
  }
  *encoding = from;
  return out;
}

char
wb_sheet_delimiter(const char *text, gsize len)
{
  const char *p = text, *end = text + len;
  while (p < end && (*p == '\r' || *p == '\n'))
    p++;
  const char *eol = memchr(p, '\n', (gsize)(end - p));
  gsize n = eol != NULL ? (gsize)(eol - p) : (gsize)(end - p);
  if (memchr(p, ',', n) != NULL)
    return ',';
  if (memchr(p, '\t', n) != NULL)
    return '\t';
  if (memchr(p, ';', n) != NULL)
    return ';';
  return ',';
}

typedef struct {
  GPtrArray *rows;  /* WbSheetRow* */
  GPtrArray *cells; /* of the record being read */
  guint line;       /* spreadsheet rows seen */
  gboolean prev_cr;
} Reader;

static void
on_field(void *data, size_t len, void *user_data)
{
  Reader *r = user_data;
  g_ptr_array_add(r->cells, data != NULL ? g_strndup(data, len) : g_strdup(""));
}

/* A record ends, or (CSV_REPALL_NL) a line break outside a record: a blank
 * line is a spreadsheet row, the LF of a CRLF is not. */
static void
on_record(int c, void *user_data)
{
  Reader *r = user_data;
  if (r->cells->len == 0) {
    if (c == '\n' && r->prev_cr) {
      r->prev_cr = FALSE;
      return;
    }
    r->line++;
    r->prev_cr = c == '\r';
    return;
  }
  WbSheetRow *row = g_new0(WbSheetRow, 1);
  row->row_no = ++r->line;
  row->cells = g_steal_pointer(&r->cells);
  g_ptr_array_add(r->rows, row);
  r->cells = g_ptr_array_new_with_free_func(g_free);
  r->prev_cr = c == '\r';
}

GPtrArray *
wb_sheet_read(const char *text, gsize len, char delimiter, GError **error)
{
  struct csv_parser p;
  Reader r = {
      .rows = g_ptr_array_new_with_free_func(row_free),
      .cells = g_ptr_array_new_with_free_func(g_free),
  };
  if (csv_init(&p, CSV_REPALL_NL) != 0) {
    g_set_error(error, WB_IMPORT_ERROR, WB_IMPORT_ERROR_READ, "csv_init failed");
    g_ptr_array_unref(r.rows);
    g_ptr_array_unref(r.cells);
    return NULL;
  }
  csv_set_delim(&p, (unsigned char)delimiter);
  gboolean ok = csv_parse(&p, text, len, on_field, on_record, &r) == len;
  if (!ok)
    g_set_error(error, WB_IMPORT_ERROR, WB_IMPORT_ERROR_READ, "CSV: %s",
                csv_strerror(csv_error(&p)));
  csv_fini(&p, on_field, on_record, &r);
  csv_free(&p);
  g_ptr_array_unref(r.cells);
  if (!ok)
    g_clear_pointer(&r.rows, g_ptr_array_unref);
  return r.rows;
}

char *
wb_sheet_row_text(const WbSheetRow *row, char delimiter)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < row->cells->len; i++) {
    const char *cell = g_ptr_array_index(row->cells, i);
    if (i > 0)
      g_string_append_c(s, delimiter);
    if (strpbrk(cell, "\"\r\n") == NULL && strchr(cell, delimiter) == NULL) {
      g_string_append(s, cell);
      continue;
    }
    g_string_append_c(s, '"');
    for (const char *c = cell; *c != '\0'; c++) {
      if (*c == '"')
        g_string_append_c(s, '"');
      g_string_append_c(s, *c);
    }
    g_string_append_c(s, '"');
  }
  return g_string_free(s, FALSE);
}
