/* sheet.h: a spreadsheet saved as text, read back as rows of cells.
 *
 * What Excel and its kin write when asked for CSV or "Unicode text": UTF-8
 * with or without a byte-order mark, GBK from Chinese Excel, UTF-16 with a
 * byte-order mark; comma, TAB or semicolon between cells; quotes around
 * cells that hold separators, quotes or line breaks. Rows are numbered as
 * the spreadsheet shows them: the first line is row 1, blank lines count,
 * a line break inside quotes does not. Errors are in WB_IMPORT_ERROR.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint row_no;     /* the spreadsheet's row */
  GPtrArray *cells; /* char*, UTF-8, as written (not trimmed) */
} WbSheetRow;

/* The text as UTF-8 (NUL-terminated; *out_len without the NUL), and the
 * encoding it was read in: "UTF-8", "UTF-8 with BOM", "UTF-16LE",
 * "UTF-16BE" or "GB18030". A byte-order mark decides; else valid UTF-8 is
 * UTF-8; else it is read as GB18030, the superset of GBK. */
char *wb_sheet_decode(const void *data, gsize len, gsize *out_len, const char **encoding,
                      GError **error);
/* Comma, unless the first line has none but a TAB (Excel's Unicode text)
 * or a semicolon (Excel where the comma is the decimal point). */
char wb_sheet_delimiter(const char *text, gsize len);
/* The rows that hold cells (WbSheetRow*, freed with the array). */
GPtrArray *wb_sheet_read(const char *text, gsize len, char delimiter, GError **error);

/* Cell i, or "" past the end of the row. */
const char *wb_sheet_cell(const WbSheetRow *row, guint i);
/* TRUE if every cell is empty or white space. */
gboolean wb_sheet_row_blank(const WbSheetRow *row);
/* The row as one line of the file again, quoted where needed. */
char *wb_sheet_row_text(const WbSheetRow *row, char delimiter);
/* "A", …, "Z", "AA": the spreadsheet's name of column index (from 0). */
void wb_sheet_column_name(guint index, char *out, gsize size);

G_END_DECLS
