/* report.c: the tables of the management reports (engine/report.h). */
#define G_LOG_DOMAIN "wb-report"

#include "engine/report/report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/clock.h"
#include "engine/kpi.h"
#include "engine/query.h"
#include "engine/report/report_private.h"
#include "engine/store_private.h"

G_DEFINE_QUARK(wb - report - error - quark, wb_report_error)

#define DAY_MS (86400000LL)
#define HOT_TOPICS 10

static const char *const kind_names[WB_REPORT_KIND_COUNT] = {"daily", "monthly", "quarterly",
                                                             "annual", "thematic"};
static const char *const kind_labels[WB_REPORT_KIND_COUNT] = {"日报", "月报", "季报", "年报",
                                                              "专题报告"};

const char *
wb_report_kind_name(WbReportKind kind)
{
  return kind < WB_REPORT_KIND_COUNT ? kind_names[kind] : "unknown";
}

const char *
wb_report_kind_label_zh(WbReportKind kind)
{
  return kind < WB_REPORT_KIND_COUNT ? kind_labels[kind] : "报告";
}

gboolean
wb_report_kind_from_name(const char *name, WbReportKind *out)
{
  for (int k = 0; k < WB_REPORT_KIND_COUNT; k++)
    if (name != NULL && strcmp(name, kind_names[k]) == 0) {
      *out = (WbReportKind)k;
      return TRUE;
    }
  return FALSE;
}

/* ---- periods ---- */

static gint64
local_ms(GTimeZone *tz, int y, int m, int d)
{
  /* Month and day past their end roll over, so callers may step freely. */
  while (m > 12) {
    m -= 12;
    y++;
  }
  while (m < 1) {
    m += 12;
    y--;
  }
  g_autoptr(GDateTime) first = g_date_time_new(tz, y, m, 1, 0, 0, 0);
  g_autoptr(GDateTime) t = g_date_time_add_days(first, d - 1);
  return g_date_time_to_unix(t) * 1000;
}

static void
ymd_of(GTimeZone *tz, gint64 ms, int *y, int *m, int *d)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(ms / 1000);
  g_autoptr(GDateTime) t = g_date_time_to_timezone(utc, tz);
  g_date_time_get_ymd(t, y, m, d);
}

static gboolean
parse_date(const char *s, int *y, int *m, int *d)
{
  char tail = 0;
  if (sscanf(s, "%4d-%2d-%2d%c", y, m, d, &tail) != 3 || *m < 1 || *m > 12 || *d < 1)
    return FALSE;
  return *y >= 1970 && *y <= 9999 && *d <= g_date_get_days_in_month((GDateMonth)*m, (GDateYear)*y);
}

static gboolean
bad_period(WbReportKind kind, const char *text, GError **error)
{
  static const char *const forms[WB_REPORT_KIND_COUNT] = {"YYYY-MM-DD", "YYYY-MM", "YYYY-Qn",
                                                          "YYYY", "YYYY-MM-DD..YYYY-MM-DD"};
  g_set_error(error, WB_REPORT_ERROR, 0, "period: '%s' is not a %s period (%s)",
              text != NULL ? text : "", wb_report_kind_name(kind), forms[kind]);
  return FALSE;
}

gboolean
wb_report_period_parse(WbReportKind kind, const char *text, GTimeZone *tz, gint64 now_ms,
                       WbReportPeriod *out, GError **error)
{
  int y = 0, m = 1, d = 1, y2 = 0, m2 = 0, d2 = 0, q = 0;
  char tail = 0;

  memset(out, 0, sizeof(*out));
  out->kind = kind;
  if (text == NULL) {
    /* The last whole period: the one that holds yesterday's start, ended;
     * the annual review's, see below. */
    int ny, nm, nd;
    ymd_of(tz, now_ms, &ny, &nm, &nd);
    switch (kind) {
    case WB_REPORT_DAILY: ymd_of(tz, local_ms(tz, ny, nm, nd - 1), &y, &m, &d); break;
    case WB_REPORT_MONTHLY: ymd_of(tz, local_ms(tz, ny, nm - 1, 1), &y, &m, &d); break;
    case WB_REPORT_QUARTERLY:
      ymd_of(tz, local_ms(tz, ny, (nm - 1) / 3 * 3 + 1 - 3, 1), &y, &m, &d);
      break;
    /* The annual review is due by the end of December (the tender's):
     * from 1 December the year in progress is the one to review. */
    case WB_REPORT_ANNUAL: y = nm == 12 ? ny : ny - 1; break;
    default:
      g_set_error(error, WB_REPORT_ERROR, 0, "period: a thematic report needs one");
      return FALSE;
    }
  } else if (kind == WB_REPORT_DAILY) {
    if (!parse_date(text, &y, &m, &d))
      return bad_period(kind, text, error);
  } else if (kind == WB_REPORT_MONTHLY) {
    if (sscanf(text, "%4d-%2d%c", &y, &m, &tail) != 2 || m < 1 || m > 12 || y < 1970)
      return bad_period(kind, text, error);
  } else if (kind == WB_REPORT_QUARTERLY) {
    if (sscanf(text, "%4d-Q%1d%c", &y, &q, &tail) != 2 || q < 1 || q > 4 || y < 1970)
      return bad_period(kind, text, error);
    m = (q - 1) * 3 + 1;
  } else if (kind == WB_REPORT_ANNUAL) {
    if (sscanf(text, "%4d%c", &y, &tail) != 1 || y < 1970)
      return bad_period(kind, text, error);
  } else {
    const char *dots = strstr(text, "..");
    g_autofree char *first = dots != NULL ? g_strndup(text, dots - text) : NULL;
    if (dots == NULL || !parse_date(first, &y, &m, &d) || !parse_date(dots + 2, &y2, &m2, &d2))
      return bad_period(kind, text, error);
  }

  int months = 0; /* the period's length in months, or 0 for days */
  switch (kind) {
  case WB_REPORT_DAILY:
    g_snprintf(out->text, sizeof(out->text), "%04d-%02d-%02d", y, m, d);
    out->from_ms = local_ms(tz, y, m, d);
    out->to_ms = local_ms(tz, y, m, d + 1);
    break;
  case WB_REPORT_MONTHLY:
    months = 1;
    g_snprintf(out->text, sizeof(out->text), "%04d-%02d", y, m);
    break;
  case WB_REPORT_QUARTERLY:
    months = 3;
    m = (m - 1) / 3 * 3 + 1;
    g_snprintf(out->text, sizeof(out->text), "%04d-Q%d", y, (m - 1) / 3 + 1);
    break;
  case WB_REPORT_ANNUAL:
    months = 12;
    m = 1;
    g_snprintf(out->text, sizeof(out->text), "%04d", y);
    break;
  default:
    g_snprintf(out->text, sizeof(out->text), "%04d-%02d-%02d..%04d-%02d-%02d", y, m, d, y2, m2, d2);
    out->from_ms = local_ms(tz, y, m, d);
    out->to_ms = local_ms(tz, y2, m2, d2 + 1);
    if (out->to_ms <= out->from_ms || out->to_ms - out->from_ms > 366 * DAY_MS) {
      g_set_error(error, WB_REPORT_ERROR, 0,
                  "period: '%s': the first day must come before the last, at most 366 days", text);
      return FALSE;
    }
    break;
  }
  if (months > 0) {
    out->from_ms = local_ms(tz, y, m, 1);
    out->to_ms = local_ms(tz, y, m + months, 1);
    out->prev_from_ms = local_ms(tz, y, m - months, 1);
    out->prev_to_ms = out->from_ms;
    out->year_from_ms = local_ms(tz, y - 1, m, 1);
    out->year_to_ms = local_ms(tz, y - 1, m + months, 1);
  } else {
    /* Days: the same number of days just before; a year back, the same
     * dates (29 February falls on 1 March). */
    int fy, fm, fd, ty, tm, td;
    ymd_of(tz, out->from_ms, &fy, &fm, &fd);
    ymd_of(tz, out->to_ms, &ty, &tm, &td);
    gint64 n = (out->to_ms - out->from_ms + DAY_MS / 2) / DAY_MS;
    out->prev_from_ms = local_ms(tz, fy, fm, fd - (int)n);
    out->prev_to_ms = out->from_ms;
    out->year_from_ms = local_ms(tz, fy - 1, fm, fd);
    out->year_to_ms = local_ms(tz, ty - 1, tm, td);
  }
  out->days = (int)((out->to_ms - out->from_ms + DAY_MS / 2) / DAY_MS);
  return TRUE;
}

/* ---- tables ---- */

WbReportTable *
wb_report_table_new(const char *name, const char *title_zh, const char *const *cols, guint n)
{
  WbReportTable *t = g_new0(WbReportTable, 1);
  t->name = g_strdup(name);
  t->title_zh = g_strdup(title_zh);
  t->n_columns = n;
  t->column_names = g_new0(char *, n + 1);
  t->column_labels_zh = g_new0(char *, n + 1);
  for (guint i = 0; i < n; i++) {
    t->column_names[i] = g_strdup(cols[2 * i]);
    t->column_labels_zh[i] = g_strdup(cols[2 * i + 1]);
  }
  t->cells = g_array_new(FALSE, TRUE, sizeof(WbReportCell));
  return t;
}

void
wb_report_table_free(gpointer p)
{
  WbReportTable *t = p;
  for (guint i = 0; i < t->cells->len; i++)
    g_free(g_array_index(t->cells, WbReportCell, i).s);
  g_array_unref(t->cells);
  g_strfreev(t->column_names);
  g_strfreev(t->column_labels_zh);
  g_free(t->name);
  g_free(t->title_zh);
  g_free(t);
}

void
wb_report_put_int(WbReportTable *t, gint64 v)
{
  WbReportCell c = {.type = WB_REPORT_CELL_INT, .i = v};
  g_array_append_val(t->cells, c);
}

/* NAN is "no data". */
void
wb_report_put_real(WbReportTable *t, gdouble v)
{
  WbReportCell c = {.type = isnan(v) ? WB_REPORT_CELL_NULL : WB_REPORT_CELL_REAL, .d = v};
  g_array_append_val(t->cells, c);
}

void
wb_report_put_text(WbReportTable *t, const char *s)
{
  WbReportCell c = {.type = s != NULL ? WB_REPORT_CELL_TEXT : WB_REPORT_CELL_NULL,
                    .s = g_strdup(s)};
  g_array_append_val(t->cells, c);
}

void
wb_report_put_null(WbReportTable *t)
{
  WbReportCell c = {.type = WB_REPORT_CELL_NULL};
  g_array_append_val(t->cells, c);
}

gint
wb_report_table_column(const WbReportTable *t, const char *name)
{
  for (guint i = 0; i < t->n_columns; i++)
    if (strcmp(t->column_names[i], name) == 0)
      return (gint)i;
  return -1;
}

gint
wb_report_table_find_row(const WbReportTable *t, const char *key)
{
  for (guint r = 0; r < wb_report_table_rows(t); r++) {
    const WbReportCell *c = wb_report_table_cell(t, r, 0);
    if (c->type == WB_REPORT_CELL_TEXT && strcmp(c->s, key) == 0)
      return (gint)r;
  }
  return -1;
}

/* Rates are fractions whatever their column: by name here, by the row's
 * unit in a table that has one (the summary, whose rows mix kinds). */
WbReportFormat
wb_report_cell_format(const WbReportTable *t, guint row, guint col)
{
  const char *name = t->column_names[col];
  gint unit_col = wb_report_table_column(t, "unit");
  if (unit_col >= 0 && (guint)unit_col != col && strcmp(name, "metric") != 0 &&
      strcmp(name, "label") != 0) {
    const WbReportCell *u = wb_report_table_cell(t, row, (guint)unit_col);
    if (u->type != WB_REPORT_CELL_TEXT)
      return WB_REPORT_FORMAT_NUMBER;
    if (strcmp(u->s, "ratio") == 0)
      return WB_REPORT_FORMAT_PERCENT;
    /* The summary's units are docs/kpi.md's: "seconds". */
    if (strcmp(u->s, "s") == 0 || strcmp(u->s, "seconds") == 0)
      return WB_REPORT_FORMAT_SECONDS;
    return WB_REPORT_FORMAT_NUMBER;
  }
  return wb_report_column_format(name);
}

WbReportFormat
wb_report_column_format(const char *name)
{
  static const char *const percent_suffixes[] = {"_rate",     "service_level", "share",
                                                 "growth",    "retention",     "compliance",
                                                 "adherence", "occupancy",     "utilisation"};
  for (gsize i = 0; i < G_N_ELEMENTS(percent_suffixes); i++)
    if (g_str_has_suffix(name, percent_suffixes[i]))
      return WB_REPORT_FORMAT_PERCENT;
  if (g_str_has_suffix(name, "_s"))
    return WB_REPORT_FORMAT_SECONDS;
  return WB_REPORT_FORMAT_NUMBER;
}

const WbReportTable *
wb_report_table(const WbReport *report, const char *name)
{
  for (guint i = 0; i < report->tables->len; i++) {
    const WbReportTable *t = g_ptr_array_index(report->tables, i);
    if (strcmp(t->name, name) == 0)
      return t;
  }
  return NULL;
}

void
wb_report_free(WbReport *report)
{
  if (report == NULL)
    return;
  g_ptr_array_unref(report->tables);
  g_free(report->title_zh);
  g_free(report->centre_zh);
  g_free(report->rectification);
  g_free(report);
}

/* ---- the calls of a window, in one pass ---- */

typedef struct {
  const WbConfig *cfg;
  GTimeZone *tz;
  gint64 from_ms, to_ms;
  WbKpiScope total;
  GHashTable *queues; /* name -> WbKpiScope* (NULL when only the total is wanted) */
  gint64 *heat;       /* [7 * 24] offered by weekday (Monday first) and hour; NULL: not wanted */
} Pass;

static void
pass_call(const WbCallRecord *entries, guint n, gpointer user_data)
{
  Pass *p = user_data;
  wb_kpi_scope_add_call(&p->total, entries, n);
  if (p->queues == NULL || p->heat == NULL)
    return;
  for (guint i = 0; i < n; i++) {
    /* Each queue once per call: its scope counts all the call's entries in
     * it. */
    gboolean seen = FALSE;
    for (guint j = 0; j < i && !seen; j++)
      seen = strcmp(entries[j].queue, entries[i].queue) == 0;
    if (seen)
      continue;
    WbKpiScope *q = g_hash_table_lookup(p->queues, entries[i].queue);
    if (q == NULL) {
      WbScope scope = {.kind = WB_SCOPE_QUEUE};
      g_strlcpy(scope.key, entries[i].queue, sizeof(scope.key));
      WbKpiSettings s = wb_config_kpi_for_queue(p->cfg, scope.key);
      q = g_new0(WbKpiScope, 1);
      wb_kpi_scope_init(q, &scope, p->from_ms, p->to_ms, &s);
      g_hash_table_insert(p->queues, g_strdup(scope.key), q);
    }
    wb_kpi_scope_add_call(q, entries, n);
  }
  /* Offered as the total counts it: the call's first entry in the window. */
  if (entries[0].enqueue_ms >= p->from_ms && entries[0].enqueue_ms < p->to_ms) {
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(entries[0].enqueue_ms / 1000);
    g_autoptr(GDateTime) t = g_date_time_to_timezone(utc, p->tz);
    p->heat[(g_date_time_get_day_of_week(t) - 1) * 24 + g_date_time_get_hour(t)]++;
  }
}

static gboolean
run_pass(WbStore *store, Pass *p, GError **error)
{
  WbScope total = {.kind = WB_SCOPE_TOTAL};
  wb_kpi_scope_init(&p->total, &total, p->from_ms, p->to_ms, &p->cfg->kpi);
  return wb_store_foreach_call(store, p->from_ms, p->to_ms, pass_call, p, error);
}

static gboolean
total_kpi(WbStore *store, const WbConfig *cfg, GTimeZone *tz, gint64 from_ms, gint64 to_ms,
          WbKpi *out, GError **error)
{
  Pass p = {.cfg = cfg, .tz = tz, .from_ms = from_ms, .to_ms = to_ms};
  if (!run_pass(store, &p, error))
    return FALSE;
  wb_kpi_finish(&p.total.counts, &cfg->kpi, out);
  return TRUE;
}

/* ---- (1) summary ---- */

typedef struct {
  const char *key;
  gboolean count; /* a count of calls, else a rate or a duration */
} Metric;

static const Metric summary_metrics[] = {
    {"offered", TRUE},
    {"answered", TRUE},
    {"abandoned", TRUE},
    {"short_abandons", TRUE},
    {"lost", TRUE},
    {"handled", TRUE},
    {"transferred", TRUE},
    {"answer_rate", FALSE},
    {"service_level", FALSE},
    {"asa_s", FALSE},
    {"aht_s", FALSE},
    {"avg_abandon_wait_s", FALSE},
    {"transfer_rate", FALSE},
    {"repeat_rate_2h", FALSE},
    {"repeat_rate_24h", FALSE},
};

static gdouble
metric_value(const WbKpi *k, const char *key)
{
  const WbKpiCounts *c = &k->counts;
  static const struct {
    const char *key;
    gsize count_off;
  } counts[] = {
      {"offered", G_STRUCT_OFFSET(WbKpiCounts, offered)},
      {"answered", G_STRUCT_OFFSET(WbKpiCounts, answered)},
      {"abandoned", G_STRUCT_OFFSET(WbKpiCounts, abandoned)},
      {"short_abandons", G_STRUCT_OFFSET(WbKpiCounts, short_abandons)},
      {"lost", G_STRUCT_OFFSET(WbKpiCounts, lost)},
      {"handled", G_STRUCT_OFFSET(WbKpiCounts, handled)},
      {"transferred", G_STRUCT_OFFSET(WbKpiCounts, transferred)},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(counts); i++)
    if (strcmp(key, counts[i].key) == 0)
      return (gdouble)G_STRUCT_MEMBER(gint64, c, counts[i].count_off);
  if (strcmp(key, "answer_rate") == 0)
    return k->answer_rate;
  if (strcmp(key, "service_level") == 0)
    return k->service_level;
  if (strcmp(key, "asa_s") == 0)
    return k->asa_s;
  if (strcmp(key, "aht_s") == 0)
    return k->aht_s;
  if (strcmp(key, "avg_abandon_wait_s") == 0)
    return k->avg_abandon_wait_s;
  if (strcmp(key, "transfer_rate") == 0)
    return k->transfer_rate;
  if (strcmp(key, "repeat_rate_2h") == 0)
    return k->repeat_rate_2h;
  return k->repeat_rate_24h;
}

static const WbKpiDefinition *
definition(const char *key)
{
  gsize n = 0;
  const WbKpiDefinition *d = wb_kpi_definitions(&n);
  for (gsize i = 0; i < n; i++)
    if (strcmp(d[i].key, key) == 0)
      return &d[i];
  return NULL;
}

static void
put_metric(WbReportTable *t, const Metric *m, gdouble v)
{
  if (m->count)
    wb_report_put_int(t, (gint64)v);
  else
    wb_report_put_real(t, v);
}

static WbReportTable *
summary_table(const WbConfig *cfg, const WbKpi *now, const WbKpi *prev, const WbKpi *year)
{
  static const char *const cols[] = {"metric",   "指标",        "label",   "名称",     "unit",
                                     "单位",     "value",       "本期",    "target",   "目标",
                                     "previous", "上期",        "change",  "环比变化", "last_year",
                                     "去年同期", "year_change", "同比变化"};
  WbReportTable *t = WB_REPORT_TABLE("summary", "总体指标", cols);
  gdouble target_ar = NAN, target_sl = NAN;
  wb_config_targets(cfg, NULL, &target_ar, &target_sl);
  for (gsize i = 0; i < G_N_ELEMENTS(summary_metrics); i++) {
    const Metric *m = &summary_metrics[i];
    const WbKpiDefinition *d = definition(m->key);
    gdouble v = metric_value(now, m->key), p = metric_value(prev, m->key),
            y = metric_value(year, m->key);
    wb_report_put_text(t, m->key);
    wb_report_put_text(t, d != NULL ? d->label_zh : m->key);
    wb_report_put_text(t, d != NULL ? d->unit : NULL);
    put_metric(t, m, v);
    wb_report_put_real(t, strcmp(m->key, "answer_rate") == 0     ? target_ar
                          : strcmp(m->key, "service_level") == 0 ? target_sl
                                                                 : NAN);
    put_metric(t, m, p);
    /* A change of counts is in calls; of rates, in points of the fraction. */
    wb_report_put_real(t, v - p);
    put_metric(t, m, y);
    wb_report_put_real(t, v - y);
  }
  return t;
}

/* ---- (2) per queue, (3) per agent ---- */

static const char *const kpi_cols[] = {
    "offered", "呼入人工量",      "answered",        "接通量",        "abandoned",
    "放弃量",  "answer_rate",     "人工接通率",      "service_level", "N秒接通率",
    "asa_s",   "平均应答时长",    "aht_s",           "平均处理时长",  "transfer_rate",
    "转接率",  "repeat_rate_24h", "24小时重复来电率"};

static void
put_kpi_row(WbReportTable *t, const WbKpi *k)
{
  wb_report_put_int(t, k->counts.offered);
  wb_report_put_int(t, k->counts.answered);
  wb_report_put_int(t, k->counts.abandoned);
  wb_report_put_real(t, k->answer_rate);
  wb_report_put_real(t, k->service_level);
  wb_report_put_real(t, k->asa_s);
  wb_report_put_real(t, k->aht_s);
  wb_report_put_real(t, k->transfer_rate);
  wb_report_put_real(t, k->repeat_rate_24h);
}

static WbReportTable *
kpi_table(const char *name, const char *title, const char *key_col, const char *key_label,
          const char *const *extra, guint n_extra)
{
  g_autoptr(GPtrArray) cols = g_ptr_array_new();
  g_ptr_array_add(cols, (gpointer)key_col);
  g_ptr_array_add(cols, (gpointer)key_label);
  g_ptr_array_add(cols, "name");
  g_ptr_array_add(cols, "名称");
  for (gsize i = 0; i < G_N_ELEMENTS(kpi_cols); i++)
    g_ptr_array_add(cols, (gpointer)kpi_cols[i]);
  for (guint i = 0; i < 2 * n_extra; i++)
    g_ptr_array_add(cols, (gpointer)extra[i]);
  return wb_report_table_new(name, title, (const char *const *)cols->pdata, cols->len / 2);
}

static int
compare_keys(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const WbQueueConfig *
queue_config(const WbConfig *cfg, const char *key)
{
  for (guint i = 0; i < cfg->queues->len; i++) {
    const WbQueueConfig *q = g_ptr_array_index(cfg->queues, i);
    if (strcmp(q->key, key) == 0)
      return q;
  }
  return NULL;
}

static WbReportTable *
queue_table(const WbConfig *cfg, GHashTable *queues)
{
  static const char *const extra[] = {"target_answer_rate", "接通率目标", "target_service_level",
                                      "N秒接通率目标"};
  WbReportTable *t = kpi_table("queues", "分队列指标", "queue", "队列", extra, 2);
  guint n = 0;
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array(queues, &n);
  qsort(keys, n, sizeof(gpointer), compare_keys);
  for (guint i = 0; i < n; i++) {
    const char *key = keys[i];
    WbKpiScope *q = g_hash_table_lookup(queues, key);
    const WbQueueConfig *qc = queue_config(cfg, key);
    WbKpi k;
    wb_kpi_finish(&q->counts, &q->settings, &k);
    wb_report_put_text(t, key);
    wb_report_put_text(t, qc != NULL && qc->name != NULL ? qc->name : key);
    put_kpi_row(t, &k);
    gdouble ar = NAN, sl = NAN;
    wb_config_targets(cfg, key, &ar, &sl);
    wb_report_put_real(t, ar);
    wb_report_put_real(t, sl);
  }
  return t;
}

static const char *
agent_name(const WbConfig *cfg, const char *key)
{
  for (guint i = 0; i < cfg->agents->len; i++) {
    const WbAgentConfig *a = g_ptr_array_index(cfg->agents, i);
    if (strcmp(a->key, key) == 0 && a->name != NULL)
      return a->name;
  }
  return key;
}

static WbReportTable *
agent_table(const WbConfig *cfg, GPtrArray *results)
{
  static const char *const extra[] = {"logged_in_s", "登录时长",       "occupancy",
                                      "占用率",      "ring_noanswers", "振铃未接次数"};
  WbReportTable *t = kpi_table("agents", "坐席指标", "agent", "坐席", extra, 3);
  for (guint i = 0; i < results->len; i++) {
    const WbQueryResult *r = g_ptr_array_index(results, i);
    wb_report_put_text(t, r->scope.key);
    wb_report_put_text(t, agent_name(cfg, r->scope.key));
    put_kpi_row(t, &r->kpi);
    wb_report_put_int(t, wb_agent_time_logged_in_ms(&r->kpi.time) / 1000);
    wb_report_put_real(t, r->kpi.occupancy);
    wb_report_put_int(t, r->kpi.time.ring_noanswers);
  }
  return t;
}

/* ---- (4) hour by weekday ---- */

static WbReportTable *
hour_heat_table(const gint64 *heat)
{
  static const char *const days[] = {"周一", "周二", "周三", "周四", "周五", "周六", "周日"};
  g_autoptr(GPtrArray) cols = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(cols, g_strdup("weekday"));
  g_ptr_array_add(cols, g_strdup("星期"));
  for (int h = 0; h < 24; h++) {
    g_ptr_array_add(cols, g_strdup_printf("h%02d", h));
    g_ptr_array_add(cols, g_strdup_printf("%02d时", h));
  }
  g_ptr_array_add(cols, g_strdup("total"));
  g_ptr_array_add(cols, g_strdup("合计"));
  WbReportTable *t = wb_report_table_new("heat_hour_weekday", "呼入量热力图（时段×星期）",
                                         (const char *const *)cols->pdata, cols->len / 2);
  for (int d = 0; d < 7; d++) {
    gint64 sum = 0;
    wb_report_put_text(t, days[d]);
    for (int h = 0; h < 24; h++) {
      wb_report_put_int(t, heat[d * 24 + h]);
      sum += heat[d * 24 + h];
    }
    wb_report_put_int(t, sum);
  }
  return t;
}

/* ---- (5) category by day, (6) hot topics ---- */

static const char *const category_sql =
    "SELECT cc.category, c.enqueue_ms FROM calls c JOIN call_classes cc ON cc.call_id = c.call_id"
    " WHERE c.seq = 0 AND c.enqueue_ms >= ?1 AND c.enqueue_ms < ?2"
    " AND cc.category IS NOT NULL AND cc.category <> ''";

/* category -> gint64[days + 1]: per day, then the sum. */
static GHashTable *
categories(WbStore *store, GTimeZone *tz, gint64 from_ms, gint64 to_ms, gint days, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, category_sql, error);
  if (st == NULL)
    return NULL;
  g_autoptr(GHashTable) out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  sqlite3_bind_int64(st, 1, from_ms);
  sqlite3_bind_int64(st, 2, to_ms);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *cat = (const char *)sqlite3_column_text(st, 0);
    gint64 ms = sqlite3_column_int64(st, 1);
    gint64 *v = g_hash_table_lookup(out, cat);
    if (v == NULL) {
      v = g_new0(gint64, days + 1);
      g_hash_table_insert(out, g_strdup(cat), v);
    }
    /* Whole local days from the first midnight; the half day absorbs a
     * daylight-saving hour where the zone has one. */
    gint64 day = (wb_day_start_ms(tz, ms) - from_ms + DAY_MS / 2) / DAY_MS;
    day = CLAMP(day, 0, days - 1);
    v[day]++;
    v[days]++;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    g_set_error(error, WB_REPORT_ERROR, 0, "categories: %s", sqlite3_errstr(rc));
    return NULL;
  }
  return g_steal_pointer(&out);
}

typedef struct {
  const char *category;
  gint64 now, prev;
} Topic;

static int
compare_topics_count(gconstpointer a, gconstpointer b)
{
  const Topic *x = a, *y = b;
  if (x->now != y->now)
    return x->now > y->now ? -1 : 1;
  return strcmp(x->category, y->category);
}

static int
compare_topics_rise(gconstpointer a, gconstpointer b)
{
  const Topic *x = a, *y = b;
  gint64 dx = x->now - x->prev, dy = y->now - y->prev;
  if (dx != dy)
    return dx > dy ? -1 : 1;
  return compare_topics_count(a, b);
}

static GArray *
topics(GHashTable *now, GHashTable *prev, gint days, gint prev_days)
{
  GArray *out = g_array_new(FALSE, TRUE, sizeof(Topic));
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, now);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    gint64 *p = g_hash_table_lookup(prev, key);
    Topic t = {key, ((gint64 *)value)[days], p != NULL ? p[prev_days] : 0};
    g_array_append_val(out, t);
  }
  return out;
}

static WbReportTable *
category_heat_table(GTimeZone *tz, const WbReportPeriod *period, GArray *by_count, GHashTable *now)
{
  g_autoptr(GPtrArray) cols = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(cols, g_strdup("category"));
  g_ptr_array_add(cols, g_strdup("诉求分类"));
  for (gint d = 0; d < period->days; d++) {
    int y, m, dd;
    ymd_of(tz, period->from_ms + (gint64)d * DAY_MS + DAY_MS / 2, &y, &m, &dd);
    g_ptr_array_add(cols, g_strdup_printf("%04d-%02d-%02d", y, m, dd));
    g_ptr_array_add(cols, g_strdup_printf("%d月%d日", m, dd));
  }
  g_ptr_array_add(cols, g_strdup("total"));
  g_ptr_array_add(cols, g_strdup("合计"));
  WbReportTable *t = wb_report_table_new("heat_category_day", "诉求分类热力图（分类×日）",
                                         (const char *const *)cols->pdata, cols->len / 2);
  for (guint i = 0; i < by_count->len; i++) {
    const Topic *tp = &g_array_index(by_count, Topic, i);
    const gint64 *v = g_hash_table_lookup(now, tp->category);
    wb_report_put_text(t, tp->category);
    for (gint d = 0; d <= period->days; d++)
      wb_report_put_int(t, v[d]);
  }
  return t;
}

static const char *const topic_cols[] = {"category", "诉求分类", "rank",   "排名",     "calls",
                                         "本期来电", "share",    "占比",   "previous", "上期来电",
                                         "change",   "增量",     "growth", "增长率"};

static void
put_topic(WbReportTable *t, const Topic *tp, gint rank, gint64 total)
{
  wb_report_put_text(t, tp->category);
  wb_report_put_int(t, rank);
  wb_report_put_int(t, tp->now);
  wb_report_put_real(t, total > 0 ? (gdouble)tp->now / (gdouble)total : NAN);
  wb_report_put_int(t, tp->prev);
  wb_report_put_int(t, tp->now - tp->prev);
  /* A topic new this period has no growth rate: it rose from nothing. */
  wb_report_put_real(t, tp->prev > 0 ? (gdouble)(tp->now - tp->prev) / (gdouble)tp->prev : NAN);
}

static void
hot_topic_tables(GArray *list, WbReportTable **top, WbReportTable **rising)
{
  gint64 total = 0;
  for (guint i = 0; i < list->len; i++)
    total += g_array_index(list, Topic, i).now;
  *top = WB_REPORT_TABLE("hot_topics", "热点诉求（本期前十）", topic_cols);
  g_array_sort(list, compare_topics_count);
  for (guint i = 0; i < list->len && i < HOT_TOPICS; i++)
    put_topic(*top, &g_array_index(list, Topic, i), (gint)i + 1, total);
  *rising = WB_REPORT_TABLE("rising_topics", "集中性热点诉求（较上期增长最快）", topic_cols);
  g_autoptr(GArray) copy = g_array_copy(list);
  g_array_sort(copy, compare_topics_rise);
  gint rank = 0;
  for (guint i = 0; i < copy->len && rank < HOT_TOPICS; i++) {
    const Topic *tp = &g_array_index(copy, Topic, i);
    if (tp->now <= tp->prev)
      break;
    put_topic(*rising, tp, ++rank, total);
  }
  g_array_sort(list, compare_topics_count);
}

/* ---- (7) 12345 work orders ---- */

/* Received: opened in the period. Closed: closed in the period; on time:
 * by its due time. Overdue: open at the period's end past its due time. */
static const char *const workorder_sql =
    "SELECT origin,"
    " SUM(opened_ms >= ?1 AND opened_ms < ?2),"
    " SUM(closed_ms >= ?1 AND closed_ms < ?2),"
    " SUM(closed_ms >= ?1 AND closed_ms < ?2 AND due_ms IS NOT NULL AND closed_ms <= due_ms),"
    " SUM((closed_ms IS NULL OR closed_ms >= ?2) AND opened_ms < ?2"
    "     AND due_ms IS NOT NULL AND due_ms < ?2)"
    " FROM workorders WHERE origin LIKE '12345%' GROUP BY origin ORDER BY origin";

static WbReportTable *
workorder_table(WbStore *store, const WbReportPeriod *period, GError **error)
{
  static const char *const cols[] = {"origin",       "来源",       "received",       "受理",
                                     "closed",       "办结",       "closed_on_time", "按时办结",
                                     "on_time_rate", "按时办结率", "overdue",        "超期未办结"};
  sqlite3_stmt *st = wb_store_statement(store, workorder_sql, error);
  if (st == NULL)
    return NULL;
  WbReportTable *t = WB_REPORT_TABLE("workorders", "12345工单", cols);
  gint64 sum[4] = {0};
  sqlite3_bind_int64(st, 1, period->from_ms);
  sqlite3_bind_int64(st, 2, period->to_ms);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    wb_report_put_text(t, (const char *)sqlite3_column_text(st, 0));
    gint64 v[4];
    for (int i = 0; i < 4; i++) {
      v[i] = sqlite3_column_int64(st, i + 1);
      sum[i] += v[i];
    }
    wb_report_put_int(t, v[0]);
    wb_report_put_int(t, v[1]);
    wb_report_put_int(t, v[2]);
    wb_report_put_real(t, v[1] > 0 ? (gdouble)v[2] / (gdouble)v[1] : NAN);
    wb_report_put_int(t, v[3]);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    wb_report_table_free(t);
    g_set_error(error, WB_REPORT_ERROR, 0, "workorders: %s", sqlite3_errstr(rc));
    return NULL;
  }
  wb_report_put_text(t, "total");
  wb_report_put_int(t, sum[0]);
  wb_report_put_int(t, sum[1]);
  wb_report_put_int(t, sum[2]);
  wb_report_put_real(t, sum[1] > 0 ? (gdouble)sum[2] / (gdouble)sum[1] : NAN);
  wb_report_put_int(t, sum[3]);
  return t;
}

/* ---- (8) quality ---- */

/* Per agent: QA checks made in the period, complaints opened in it, and
 * the surveys of the calls the agent answered in it. '' is the centre. */
static const char *const quality_sql =
    "WITH q AS (SELECT agent, COUNT(*) AS n, AVG(score) AS mean FROM qa"
    "           WHERE ts_ms >= ?1 AND ts_ms < ?2 GROUP BY agent),"
    " cp AS (SELECT agent, COUNT(*) AS n FROM complaints"
    "        WHERE opened_ms >= ?1 AND opened_ms < ?2 AND agent IS NOT NULL GROUP BY agent),"
    " s AS (SELECT c.agent, COUNT(*) AS n, AVG(cc.satisfaction) AS mean"
    "       FROM calls c JOIN call_classes cc ON cc.call_id = c.call_id"
    "       WHERE c.enqueue_ms >= ?1 AND c.enqueue_ms < ?2 AND c.answer_ms IS NOT NULL"
    "       AND c.agent IS NOT NULL AND cc.satisfaction IS NOT NULL GROUP BY c.agent),"
    " a AS (SELECT agent FROM q UNION SELECT agent FROM cp UNION SELECT agent FROM s)"
    " SELECT a.agent AS agent, q.n, q.mean, cp.n, s.n, s.mean, 0 AS centre FROM a"
    " LEFT JOIN q ON q.agent = a.agent LEFT JOIN cp ON cp.agent = a.agent"
    " LEFT JOIN s ON s.agent = a.agent"
    " UNION ALL SELECT '', (SELECT COUNT(*) FROM qa WHERE ts_ms >= ?1 AND ts_ms < ?2),"
    " (SELECT AVG(score) FROM qa WHERE ts_ms >= ?1 AND ts_ms < ?2),"
    " (SELECT COUNT(*) FROM complaints WHERE opened_ms >= ?1 AND opened_ms < ?2),"
    " (SELECT COUNT(*) FROM calls c JOIN call_classes cc ON cc.call_id = c.call_id"
    "  WHERE c.seq = 0 AND c.enqueue_ms >= ?1 AND c.enqueue_ms < ?2"
    "  AND cc.satisfaction IS NOT NULL),"
    " (SELECT AVG(cc.satisfaction) FROM calls c JOIN call_classes cc ON cc.call_id = c.call_id"
    "  WHERE c.seq = 0 AND c.enqueue_ms >= ?1 AND c.enqueue_ms < ?2"
    "  AND cc.satisfaction IS NOT NULL), 1"
    " ORDER BY centre, agent";

static void
put_nullable(WbReportTable *t, sqlite3_stmt *st, int col, gboolean real)
{
  if (sqlite3_column_type(st, col) == SQLITE_NULL)
    wb_report_put_null(t);
  else if (real)
    wb_report_put_real(t, sqlite3_column_double(st, col));
  else
    wb_report_put_int(t, sqlite3_column_int64(st, col));
}

static WbReportTable *
quality_table(WbStore *store, const WbConfig *cfg, const WbReportPeriod *period, GError **error)
{
  static const char *const cols[] = {
      "agent",      "坐席",       "name", "姓名",    "qa_checks",    "质检次数",     "qa_mean",
      "质检平均分", "complaints", "投诉", "surveys", "满意度评价数", "satisfaction", "平均满意度"};
  sqlite3_stmt *st = wb_store_statement(store, quality_sql, error);
  if (st == NULL)
    return NULL;
  WbReportTable *t = WB_REPORT_TABLE("quality", "服务质量", cols);
  sqlite3_bind_int64(st, 1, period->from_ms);
  sqlite3_bind_int64(st, 2, period->to_ms);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *agent = (const char *)sqlite3_column_text(st, 0);
    gboolean centre = agent[0] == '\0';
    wb_report_put_text(t, centre ? "total" : agent);
    wb_report_put_text(t, centre ? "全中心" : agent_name(cfg, agent));
    put_nullable(t, st, 1, FALSE);
    put_nullable(t, st, 2, TRUE);
    put_nullable(t, st, 3, FALSE);
    put_nullable(t, st, 4, FALSE);
    put_nullable(t, st, 5, TRUE);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    wb_report_table_free(t);
    g_set_error(error, WB_REPORT_ERROR, 0, "quality: %s", sqlite3_errstr(rc));
    return NULL;
  }
  return t;
}

/* ---- the report ---- */

static gboolean
add_topics(WbReport *r, WbStore *store, GTimeZone *tz, const WbReportPeriod *period, GError **error)
{
  gint prev_days = (gint)((period->prev_to_ms - period->prev_from_ms + DAY_MS / 2) / DAY_MS);
  g_autoptr(GHashTable) now =
      categories(store, tz, period->from_ms, period->to_ms, period->days, error);
  g_autoptr(GHashTable) prev = now != NULL ? categories(store, tz, period->prev_from_ms,
                                                        period->prev_to_ms, prev_days, error)
                                           : NULL;
  if (prev == NULL)
    return FALSE;
  g_autoptr(GArray) list = topics(now, prev, period->days, prev_days);
  WbReportTable *top = NULL, *rising = NULL;
  hot_topic_tables(list, &top, &rising);
  g_ptr_array_add(r->tables, category_heat_table(tz, period, list, now));
  g_ptr_array_add(r->tables, top);
  g_ptr_array_add(r->tables, rising);
  return TRUE;
}

WbReport *
wb_report_build(WbStore *store, const WbConfig *cfg, GTimeZone *tz, const WbReportPeriod *period,
                GError **error)
{
  g_autoptr(WbReport) r = g_new0(WbReport, 1);
  r->period = *period;
  r->title_zh = g_strdup_printf("%s %s", wb_report_kind_label_zh(period->kind), period->text);
  r->centre_zh = g_strdup(cfg->report_centre_name);
  r->generated_ms = g_get_real_time() / 1000;
  r->tables = g_ptr_array_new_with_free_func(wb_report_table_free);

  gint64 heat[7 * 24] = {0};
  g_autoptr(GHashTable) queues = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  Pass p = {.cfg = cfg,
            .tz = tz,
            .from_ms = period->from_ms,
            .to_ms = period->to_ms,
            .queues = queues,
            .heat = heat};
  WbKpi now, prev, year;
  if (!run_pass(store, &p, error) ||
      !total_kpi(store, cfg, tz, period->prev_from_ms, period->prev_to_ms, &prev, error) ||
      !total_kpi(store, cfg, tz, period->year_from_ms, period->year_to_ms, &year, error))
    return NULL;
  wb_kpi_finish(&p.total.counts, &cfg->kpi, &now);
  g_ptr_array_add(r->tables, summary_table(cfg, &now, &prev, &year));
  g_ptr_array_add(r->tables, queue_table(cfg, queues));

  /* Agents as the API has them; a report has no live model, so states
   * still open when it runs are not counted. */
  g_autoptr(GPtrArray) agents =
      wb_query_agents(store, cfg, NULL, period->to_ms, period->from_ms, period->to_ms, error);
  if (agents == NULL)
    return NULL;
  g_ptr_array_add(r->tables, agent_table(cfg, agents));
  g_ptr_array_add(r->tables, hour_heat_table(heat));
  if (!add_topics(r, store, tz, period, error))
    return NULL;
  WbReportTable *t = workorder_table(store, period, error);
  if (t == NULL)
    return NULL;
  g_ptr_array_add(r->tables, t);
  if ((t = quality_table(store, cfg, period, error)) == NULL)
    return NULL;
  g_ptr_array_add(r->tables, t);
  if (!wb_report_add_people(r, store, cfg, tz, r->generated_ms, error))
    return NULL;
  return g_steal_pointer(&r);
}
