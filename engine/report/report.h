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

typedef enum {
  WB_REPORT_FORMAT_NUMBER,
  WB_REPORT_FORMAT_PERCENT, /* a fraction 0..1 shown as 87.5 % */
  WB_REPORT_FORMAT_SECONDS, /* a duration in seconds */
} WbReportFormat;

/* How a cell's number is meant to be shown by the HTML and XLSX writers:
 * from its column's name (…_rate, service_level, share, growth,
 * retention, compliance, adherence, occupancy, utilisation: a fraction; …_s: seconds), or, in a
 * table with a "unit" column, from its row's unit ("ratio"; "s" or
 * "seconds"). */
WbReportFormat wb_report_cell_format(const WbReportTable *t, guint row, guint col);
/* The same by a column's name alone. */
WbReportFormat wb_report_column_format(const char *name);

/* The column of that name, or -1. */
gint wb_report_table_column(const WbReportTable *t, const char *name);
/* The first row whose column 0 is the text key, or -1. */
gint wb_report_table_find_row(const WbReportTable *t, const char *key);

typedef struct {
  WbReportPeriod period;
  char *title_zh;      /* 月报 2026-11 */
  char *centre_zh;     /* [report] centre_name */
  gint64 generated_ms; /* when it was built */
  char *rectification; /* the manager's problems and rectification text
                          for this period (plain text, may hold newlines),
                          or NULL when none was written */
  GPtrArray *tables;   /* WbReportTable*, in reading order */
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

/* One self-contained HTML file at path: inline styles and SVG heat maps
 * and charts, Chinese labels, A4 print styles, no external resource. */
gboolean wb_report_write_html(const WbReport *report, const char *path, GError **error);

/* One XLSX workbook at path: a sheet per table, numbers as numbers with
 * percent and duration formats, the Chinese labels as the header row. */
gboolean wb_report_write_xlsx(const WbReport *report, const char *path, GError **error);

/* The report as JSON at path: {"title","centre","period":{…},"generated",
 * "rectification","tables":[{"name","title","columns":[{"name","label",
 * "format"}],"rows":[[…]]}]}, cells as numbers, strings or null. The
 * manager page draws its heat maps from it. */
gboolean wb_report_write_json(const WbReport *report, const char *path, GError **error);

/* Every output of a report in dir (made if missing): report.html,
 * report.xlsx, report.json and one CSV per table. */
gboolean wb_report_write_all(const WbReport *report, const char *dir, GError **error);

/* ---- runs: engine/report/report_run.c ---- */

/* A report's directory under the reports directory: "monthly-2026-11",
 * "thematic-2026-11-01_2026-11-15". */
char *wb_report_dir_name(const WbReportPeriod *period);
char *wb_report_dir_name_of(const char *kind, const char *period);
/* Whether name can be such a directory (letters, digits, '-', '.', '_';
 * no "..", no '/'): what a download may name. */
gboolean wb_report_dir_name_valid(const char *name);
/* Removes dir and the files in it (no deeper); TRUE if it is not there. */
gboolean wb_report_remove_dir(const char *dir, GError **error);

/* A run of the report_runs table. */
typedef struct {
  gint64 id;
  char *kind;
  char *period;
  char *trigger;      /* "command", "timer", "schedule" or "request" */
  char *requested_by; /* the user who asked, or NULL */
  gint64 started_ms;
  gint64 finished_ms; /* -1 while running */
  char *status;       /* "running", "done", "failed" */
  char *dir;          /* the outputs' directory once done */
  char *error;        /* why it failed */
} WbReportRun;

void wb_report_run_free(WbReportRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbReportRun, wb_report_run_free)

gint64 wb_report_run_begin(WbStore *store, const WbReportPeriod *period, const char *trigger,
                           const char *requested_by, gint64 now_ms, GError **error);
/* failure NULL: done, with its directory. */
gboolean wb_report_run_end(WbStore *store, gint64 id, const char *dir, const GError *failure,
                           gint64 now_ms, GError **error);
/* Runs of the daemon (schedule, request) still "running" after it
 * stopped are failed as interrupted. */
gboolean wb_report_runs_interrupted(WbStore *store, gint64 now_ms, GError **error);
/* Whether the period has a run done or under way. */
gboolean wb_report_run_exists(WbStore *store, const WbReportPeriod *period, gboolean *out,
                              GError **error);
/* Newest first, at most limit. */
GPtrArray *wb_report_runs_list(WbStore *store, guint limit, GError **error);
WbReportRun *wb_report_run_get(WbStore *store, gint64 id, GError **error);

/* The manager's problems-and-rectification text of a period. */
typedef struct {
  char *body;   /* NULL: none written */
  char *author; /* the user who wrote it last */
  gint64 updated_ms;
} WbReportText;

gboolean wb_report_text_get(WbStore *store, const WbReportPeriod *period, WbReportText *out,
                            GError **error);
void wb_report_text_clear(WbReportText *text);
/* body empty or NULL: the text is removed. */
gboolean wb_report_text_set(WbStore *store, const WbReportPeriod *period, const char *body,
                            const char *author, gint64 now_ms, GError **error);

/* wb_report_build with the period's text as report->rectification: the
 * report as every output prints it. */
WbReport *wb_report_make(WbStore *store, const WbConfig *cfg, GTimeZone *tz,
                         const WbReportPeriod *period, GError **error);

typedef void (*WbReportProgressFunc)(const char *what, gpointer user_data);

/* Builds the report of period, with the period's text, writes every output
 * to reports_dir/NAME (wb_report_dir_name), replacing the previous run's
 * as a whole, and records the run. The directory, or NULL with error (the
 * run recorded as failed). *run_id: the run's id, or -1. */
char *wb_report_produce(WbStore *store, const WbConfig *cfg, GTimeZone *tz,
                        const WbReportPeriod *period, const char *reports_dir, const char *trigger,
                        const char *requested_by, WbReportProgressFunc func, gpointer data,
                        gint64 *run_id, GError **error);

G_END_DECLS
