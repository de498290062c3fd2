/* report_private.h: how the report's modules build tables
 * (engine/report/report.h), shared by report.c and report_people.c. */
#pragma once

#include "engine/report/report.h"

G_BEGIN_DECLS

#define WB_REPORT_DAY_MS (86400000LL)

/* cols: n name, Chinese label pairs. */
WbReportTable *wb_report_table_new(const char *name, const char *title_zh, const char *const *cols,
                                   guint n);
#define WB_REPORT_TABLE(name, title, cols)                                                         \
  wb_report_table_new(name, title, cols, G_N_ELEMENTS(cols) / 2)
void wb_report_table_free(gpointer table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbReportTable, wb_report_table_free)

void wb_report_put_int(WbReportTable *t, gint64 v);
void wb_report_put_real(WbReportTable *t, gdouble v);     /* NAN: no data */
void wb_report_put_text(WbReportTable *t, const char *s); /* NULL: no data */
void wb_report_put_null(WbReportTable *t);

/* The workforce tables of the period (staffing, attendance, coverage,
 * stability, training), appended to report->tables; as of now_ms. */
gboolean wb_report_add_people(WbReport *report, WbStore *store, const WbConfig *cfg, GTimeZone *tz,
                              gint64 now_ms, GError **error);

G_END_DECLS
