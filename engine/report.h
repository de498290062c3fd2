/* report.h: the data of the management reports (DESIGN.md section 9).
 *
 * A report is a list of named tables, each with Chinese titles and column
 * labels and rows of typed cells, so that one writer per format (CSV here;
 * HTML and XLSX walk the same structures) needs to know nothing of what a
 * table means. Building reads the store only, through the connection it is
 * given, which must be the caller's own: reports run off the loop thread.
 * docs/reports.md describes every table.
 */
#pragma once

#include <glib.h>

#include "engine/config.h"
#include "engine/store.h"

G_BEGIN_DECLS

#define WB_REPORT_ERROR (wb_report_error_quark())
GQuark wb_report_error_quark(void);

typedef enum {
  WB_REPORT_DAILY,
  WB_REPORT_MONTHLY,
  WB_REPORT_QUARTERLY,
  WB_REPORT_ANNUAL,
  WB_REPORT_THEMATIC, /* any run of whole days */
  WB_REPORT_KIND_COUNT
} WbReportKind;

const char *wb_report_kind_name(WbReportKind kind);
const char *wb_report_kind_label_zh(WbReportKind kind);
gboolean wb_report_kind_from_name(const char *name, WbReportKind *out);

/* A report's period: [from_ms, to_ms) from local midnight to local
 * midnight, with the period before it and the same period a year before. */
typedef struct {
  WbReportKind kind;
  char text[32]; /* canonical: 2026-11-28, 2026-11, 2026-Q4, 2026,
                    2026-11-01..2026-11-15 (both days included) */
  gint64 from_ms, to_ms;
  gint64 prev_from_ms, prev_to_ms;
  gint64 year_from_ms, year_to_ms;
  gint days;
} WbReportPeriod;

/* Parses text for kind in tz; text NULL: the last whole period before
 * now_ms (thematic reports need a text). */
gboolean wb_report_period_parse(WbReportKind kind, const char *text, GTimeZone *tz, gint64 now_ms,
                                WbReportPeriod *out, GError **error);

typedef enum {
  WB_REPORT_CELL_NULL = 0, /* no data: empty in CSV, never 0 */
  WB_REPORT_CELL_INT,
  WB_REPORT_CELL_REAL, /* rates are fractions 0..1, durations seconds */
  WB_REPORT_CELL_TEXT,
} WbReportCellType;

typedef struct {
  WbReportCellType type;
  gint64 i;
  gdouble d;
  char *s;
} WbReportCell;

typedef struct {
  char *name;     /* machine name, also the CSV file's name */
  char *title_zh; /* 表名 */
  guint n_columns;
  char **column_names; /* n_columns each */
  char **column_labels_zh;
  GArray *cells; /* WbReportCell, row by row */
} WbReportTable;

static inline guint
wb_report_table_rows(const WbReportTable *t)
{
  return t->n_columns > 0 ? t->cells->len / t->n_columns : 0;
}

static inline const WbReportCell *
wb_report_table_cell(const WbReportTable *t, guint row, guint col)
{
  return &g_array_index(t->cells, WbReportCell, row * t->n_columns + col);
}

/* The column of that name, or -1. */
gint wb_report_table_column(const WbReportTable *t, const char *name);
/* The first row whose column 0 is the text key, or -1. */
gint wb_report_table_find_row(const WbReportTable *t, const char *key);

typedef struct {
  WbReportPeriod period;
  char *title_zh;
  GPtrArray *tables; /* WbReportTable*, in reading order */
} WbReport;

/* Builds every table of the period from the store. */
WbReport *wb_report_build(WbStore *store, const WbConfig *cfg, GTimeZone *tz,
                          const WbReportPeriod *period, GError **error);
void wb_report_free(WbReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbReport, wb_report_free)

const WbReportTable *wb_report_table(const WbReport *report, const char *name);

/* One CSV per table, NAME.csv in dir (made if missing): UTF-8 with a BOM
 * so that spreadsheet programs set to Chinese read it, a header row of the
 * Chinese labels then rows of values, CRLF line ends as RFC 4180 has them. */
gboolean wb_report_write_csv(const WbReport *report, const char *dir, GError **error);

G_END_DECLS
