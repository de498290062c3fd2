/* report_html_private.h: what the HTML report's page (report_html.c) and
 * its inline SVG charts (report_svg.c) share. Everything appended here is
 * already escaped for HTML text and attribute values. */
#pragma once

#include "engine/report/report.h"

G_BEGIN_DECLS

/* "No data" as a cell shows it: an em dash, never 0. */
#define WB_REPORT_HTML_NONE "\xE2\x80\x94"

/* s escaped for text and for a double-quoted attribute value. */
void wb_report_html_escape(GString *out, const char *s);

/* The cell as a reader sees it (not escaped): NULL cells "—", fractions as
 * percent with one decimal, durations as "9.4 秒", "m:ss" or "h:mm:ss",
 * changes signed; see docs/reports.md, section HTML. */
char *wb_report_html_cell_text(const WbReportTable *t, guint row, guint col);

/* The cell's number as written in data-value: exact, locale-free; "" for
 * a cell with no number. */
char *wb_report_html_cell_raw(const WbReportTable *t, guint row, guint col);

/* A heat map of t: one row per table row (labelled by column 0), one cell
 * per numeric column but "total", a colour scale legend, every cell a
 * rect.cell with data-value and a <title> with its exact value. */
void wb_report_svg_heat_map(GString *out, const WbReportTable *t);

/* Horizontal bars of column value_col, labelled by column 0, one per row. */
void wb_report_svg_bars(GString *out, const WbReportTable *t, const char *value_col);

G_END_DECLS
