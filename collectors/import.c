/* import.c: record files (CSV, ZKTeco attlog.dat) -> events. */
#define G_LOG_DOMAIN "import"

#include "collectors/import.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "collectors/sheet.h"
#include "engine/clock.h"
#include "engine/event_fields.h"

G_DEFINE_QUARK(wb_import_error, wb_import_error)

/* What a quarantined row keeps of an overlong row. */
#define QUARANTINE_ROW_MAX 4096

typedef struct {
  const char *name;
  WbEventType type;
  /* A score or a punch happens at a time: stamped with the file's time
   * instead, the same row saved again would count twice. */
  gboolean ts_required;
} KindDef;

static const KindDef kinds[WB_IMPORT_KIND_COUNT] = {
    [WB_IMPORT_STAFF] = {"staff", WB_EVENT_STAFF_RECORD, FALSE},
    [WB_IMPORT_ROSTER] = {"roster", WB_EVENT_ROSTER_SHIFT, FALSE},
    [WB_IMPORT_PUNCHES] = {"punches", WB_EVENT_STAFF_PUNCH, TRUE},
    [WB_IMPORT_TRAINING] = {"training", WB_EVENT_TRAINING_RECORD, FALSE},
    [WB_IMPORT_EXAMS] = {"exams", WB_EVENT_EXAM_RECORD, FALSE},
    [WB_IMPORT_QA] = {"qa", WB_EVENT_QA_SCORE, TRUE},
    [WB_IMPORT_WORKORDERS] = {"workorders", WB_EVENT_WORKORDER_OPEN, FALSE},
    [WB_IMPORT_CLASSIFICATIONS] = {"classifications", WB_EVENT_CALL_CLASSIFY, FALSE},
};

const char *
wb_import_kind_name(WbImportKind kind)
{
  return (int)kind >= 0 && kind < WB_IMPORT_KIND_COUNT ? kinds[kind].name : "?";
}

gboolean
wb_import_kind_from_name(const char *name, WbImportKind *out)
{
  for (int k = 0; k < WB_IMPORT_KIND_COUNT; k++)
    if (g_strcmp0(kinds[k].name, name) == 0) {
      *out = (WbImportKind)k;
      return TRUE;
    }
  return FALSE;
}

void
wb_import_result_init(WbImportResult *r)
{
  memset(r, 0, sizeof(*r));
  r->rejected = g_array_new(FALSE, TRUE, sizeof(WbImportRejected));
  r->ignored = g_ptr_array_new_with_free_func(g_free);
}

void
wb_import_result_clear(WbImportResult *r)
{
  for (guint i = 0; r->rejected != NULL && i < r->rejected->len; i++)
    g_free(g_array_index(r->rejected, WbImportRejected, i).reason);
  g_clear_pointer(&r->rejected, g_array_unref);
  g_clear_pointer(&r->ignored, g_ptr_array_unref);
  g_clear_pointer(&r->format, g_free);
}

/* ---- columns ---- */

typedef enum {
  COL_IGNORED = 0,
  COL_FIELD,  /* an event field */
  COL_TS,     /* the event's time */
  COL_DATE,   /* roster, long layout: the day of a template's shift */
  COL_OPENED, /* workorders: workorder.open at this time */
  COL_CLOSED, /* workorders: workorder.close at this time */
  COL_NAME,   /* roster: the person's name, for the planner's eyes only */
  COL_DAY,    /* roster, grid layout: one day, a template code per cell */
} ColRole;

/* Columns that are not event fields, and the kinds that take them. */
static const struct {
  const char *name, *zh;
  ColRole role;
  int kind; /* -1: every kind */
} extra_columns[] = {
    {"ts", "时间", COL_TS, -1},
    {"date", "日期", COL_DATE, WB_IMPORT_ROSTER},
    {"name", "姓名", COL_NAME, WB_IMPORT_ROSTER},
    {"opened", "受理时间", COL_OPENED, WB_IMPORT_WORKORDERS},
    {"closed", "办结时间", COL_CLOSED, WB_IMPORT_WORKORDERS},
};

typedef struct {
  ColRole role;
  const WbEventField *field;
  int year, month, day; /* COL_DAY */
  char *header;
  gboolean has_data; /* an ignored column without a header that holds values */
} Column;

typedef struct {
  WbImportKind kind;
  const KindDef *def;
  const WbImportOptions *opts;
  const char *name;
  char source[WB_EVENT_SOURCE_MAX];
  gint64 file_ms;
  WbImportResult *out;
  GHashTable *positions; /* gint64 source_pos of this file's events */
  GArray *events;        /* WbEvent: what the row at hand gives */
  char delim;
  Column *cols;
  guint n_cols;
  gboolean grid;
  /* Roster: what the file plans per person and day ("agent\x1fday_ms" to
   * a PlanDay), and the rest cells of the grid row at hand. */
  GHashTable *plan;
  GArray *row_rest_days; /* gint64 local midnights */
  char row_agent[WB_EVENT_ID_MAX];
} Import;

typedef struct {
  char *agent;
  gint64 day_ms;  /* local midnight */
  GArray *starts; /* gint64: the shifts the file gives that day */
} PlanDay;

static void
plan_day_free(gpointer p)
{
  PlanDay *d = p;
  g_free(d->agent);
  g_array_unref(d->starts);
  g_free(d);
}

static gboolean
blank(const char *s)
{
  for (; *s != '\0'; s++)
    if (!g_ascii_isspace(*s))
      return FALSE;
  return TRUE;
}

/* A grid header: "2026-12-01", "2026/12/1", "2026.12.1" or "2026年12月1日". */
/* A roster's day: years outside 1971-9998 are not a roster's and would
 * leave the range a GDateTime can hold once moved to the centre's zone. */
static gboolean
valid_day(int y, int m, int d)
{
  return y >= 1971 && y <= 9998 && m >= 1 && m <= 12 && d >= 1 && d <= 31 &&
         g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y);
}

static gboolean
parse_day_header(const char *text, int *y, int *m, int *d)
{
  int n = 0;
  char s1 = 0, s2 = 0;
  if (sscanf(text, "%4d%c%2d%c%2d%n", y, &s1, m, &s2, d, &n) == 5 && s1 == s2 &&
      (s1 == '-' || s1 == '/' || s1 == '.') && text[n] == '\0')
    return valid_day(*y, *m, *d);
  if (sscanf(text, "%4d年%2d月%2d日%n", y, m, d, &n) == 3 && text[n] == '\0')
    return valid_day(*y, *m, *d);
  return FALSE;
}

static gboolean
header_is(const char *header, const char *name, const char *zh)
{
  return g_ascii_strcasecmp(header, name) == 0 || strcmp(header, zh) == 0;
}

static void
describe_column(GString *s, const Column *c)
{
  if (c->role == COL_FIELD) {
    g_string_append_printf(s, "%s (%s)", c->field->name, c->field->zh);
    return;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(extra_columns); i++)
    if (extra_columns[i].role == c->role)
      g_string_append_printf(s, "%s (%s)", extra_columns[i].name, extra_columns[i].zh);
}

static gboolean
same_column(const Column *a, const Column *b)
{
  if (a->role != b->role || a->role == COL_IGNORED)
    return FALSE;
  if (a->role == COL_FIELD)
    return a->field == b->field;
  if (a->role == COL_DAY)
    return a->year == b->year && a->month == b->month && a->day == b->day;
  return TRUE;
}

static int
find_column(const Import *im, ColRole role, const char *field)
{
  for (guint i = 0; i < im->n_cols; i++)
    if (im->cols[i].role == role && (field == NULL || strcmp(im->cols[i].field->name, field) == 0))
      return (int)i;
  return -1;
}

static void
name_missing(GString *missing, const char *name, const char *zh)
{
  g_string_append_printf(missing, "%s%s (%s)", missing->len > 0 ? ", " : "", name, zh);
}

/* What each header cell means; errors for the file as a whole. */
static gboolean
map_header(Import *im, const WbSheetRow *header, GError **error)
{
  im->n_cols = header->cells->len;
  im->cols = g_new0(Column, im->n_cols);
  for (guint i = 0; i < im->n_cols; i++) {
    Column *c = &im->cols[i];
    c->header = g_strstrip(g_strdup(wb_sheet_cell(header, i)));
    if (*c->header == '\0')
      continue;
    for (gsize k = 0; k < G_N_ELEMENTS(extra_columns) && c->role == COL_IGNORED; k++)
      if ((extra_columns[k].kind < 0 || extra_columns[k].kind == (int)im->kind) &&
          header_is(c->header, extra_columns[k].name, extra_columns[k].zh))
        c->role = extra_columns[k].role;
    guint n = 0;
    const WbEventField *fields = wb_event_fields(im->def->type, &n);
    for (guint k = 0; k < n && c->role == COL_IGNORED; k++)
      if (header_is(c->header, fields[k].name, fields[k].zh)) {
        c->role = COL_FIELD;
        c->field = &fields[k];
      }
    if (c->role == COL_IGNORED && im->kind == WB_IMPORT_ROSTER &&
        parse_day_header(c->header, &c->year, &c->month, &c->day))
      c->role = COL_DAY;
    if (c->role == COL_IGNORED) {
      g_ptr_array_add(im->out->ignored, g_strdup(c->header));
      continue;
    }
    for (guint j = 0; j < i; j++)
      if (same_column(&im->cols[j], c)) {
        char a[8], b[8];
        wb_sheet_column_name(j, a, sizeof(a));
        wb_sheet_column_name(i, b, sizeof(b));
        g_autoptr(GString) what = g_string_new(NULL);
        describe_column(what, c);
        g_set_error(error, WB_IMPORT_ERROR, WB_IMPORT_ERROR_COLUMNS,
                    "columns %s ('%s') and %s ('%s') are the same: %s", a, im->cols[j].header, b,
                    c->header, c->role == COL_DAY ? "the same day" : what->str);
        return FALSE;
      }
    im->grid |= c->role == COL_DAY;
  }

  g_autoptr(GString) missing = g_string_new(NULL);
  if (im->kind == WB_IMPORT_ROSTER && im->grid) {
    if (find_column(im, COL_FIELD, "start") >= 0 || find_column(im, COL_FIELD, "end") >= 0 ||
        find_column(im, COL_DATE, NULL) >= 0) {
      g_set_error(error, WB_IMPORT_ERROR, WB_IMPORT_ERROR_COLUMNS,
                  "both day columns (a grid) and start, end or date columns: use one layout");
      return FALSE;
    }
    if (find_column(im, COL_FIELD, "staff") < 0)
      name_missing(missing, "staff", "工号");
  } else if (im->kind == WB_IMPORT_ROSTER) {
    if (find_column(im, COL_FIELD, "staff") < 0)
      name_missing(missing, "staff", "工号");
    gboolean times =
        find_column(im, COL_FIELD, "start") >= 0 && find_column(im, COL_FIELD, "end") >= 0;
    gboolean by_template =
        find_column(im, COL_DATE, NULL) >= 0 && find_column(im, COL_FIELD, "template") >= 0;
    if (!times && !by_template)
      g_string_append_printf(missing,
                             "%sstart (开始时间) and end (结束时间), or date (日期) and template "
                             "(班次), or one column per day",
                             missing->len > 0 ? ", " : "");
  } else {
    guint n = 0;
    const WbEventField *fields = wb_event_fields(im->def->type, &n);
    for (guint k = 0; k < n; k++)
      if (fields[k].required && find_column(im, COL_FIELD, fields[k].name) < 0)
        name_missing(missing, fields[k].name, fields[k].zh);
    if (im->kind == WB_IMPORT_WORKORDERS && find_column(im, COL_OPENED, NULL) < 0)
      name_missing(missing, "opened", "受理时间");
    if (im->def->ts_required && find_column(im, COL_TS, NULL) < 0)
      name_missing(missing, "ts", "时间");
  }
  if (missing->len > 0) {
    g_set_error(error, WB_IMPORT_ERROR, WB_IMPORT_ERROR_COLUMNS, "missing column: %s",
                missing->str);
    return FALSE;
  }
  return TRUE;
}

/* ---- one row -> events ---- */

static gboolean
fail(GError **error, const char *what, const char *text, const char *why)
{
  g_autofree char *shown = g_utf8_make_valid(text, MIN(strlen(text), 60));
  g_set_error(error, WB_IMPORT_ERROR, 0, "%s: '%s' %s", what, shown, why);
  return FALSE;
}

static gboolean
parse_time(const Import *im, const char *what, const char *cell, gint64 *out, GError **error)
{
  g_autofree char *text = g_strstrip(g_strdup(cell));
  if (wb_time_parse(im->opts->tz, text, out))
    return TRUE;
  return fail(error, what, text, "is not a time (ISO-8601, 2026-11-28 08:00)");
}

/* "08:00", "8:30", "24:00": minutes after midnight. */
static gboolean
parse_hhmm(const char *text, gint *out)
{
  int h = 0, m = 0, n = 0;
  if (sscanf(text, "%2d:%2d%n", &h, &m, &n) != 2 || text[n] != '\0' || h < 0 || m < 0 || m > 59 ||
      h * 60 + m > 24 * 60)
    return FALSE;
  *out = h * 60 + m;
  return TRUE;
}

/* Local wall-clock time `minutes` after the midnight of a day. */
static gint64
local_ms(GTimeZone *tz, int year, int month, int day, gint minutes)
{
  g_autoptr(GDateTime) midnight = g_date_time_new(tz, year, month, day, 0, 0, 0);
  g_autoptr(GDateTime) then = g_date_time_add_days(midnight, minutes / (24 * 60));
  minutes %= 24 * 60;
  g_autoptr(GDateTime) t =
      g_date_time_new(tz, g_date_time_get_year(then), g_date_time_get_month(then),
                      g_date_time_get_day_of_month(then), minutes / 60, minutes % 60, 0);
  return g_date_time_to_unix(t) * 1000;
}

/* A shift from start to end minutes of a day, end at or before start
 * meaning the next day. */
static void
set_shift_times(const Import *im, WbEvent *ev, WbFieldSet *seen, int y, int m, int d,
                gint start_min, gint end_min)
{
  if (end_min <= start_min)
    end_min += 24 * 60;
  wb_event_field_set_number(ev, wb_event_field_find(ev->type, "start"),
                            (gdouble)local_ms(im->opts->tz, y, m, d, start_min), seen, NULL);
  wb_event_field_set_number(ev, wb_event_field_find(ev->type, "end"),
                            (gdouble)local_ms(im->opts->tz, y, m, d, end_min), seen, NULL);
}

/* A template's hours on a day: by date where the options know how. */
static void
shift_hours(const Import *im, const WbImportShift *s, int y, int m, int d, gint *start_min,
            gint *end_min)
{
  *start_min = s->start_min;
  *end_min = s->end_min;
  if (im->opts->shift_hours != NULL)
    im->opts->shift_hours(s, y, m, d, start_min, end_min, im->opts->shift_hours_data);
}

static const WbImportShift *
find_shift(const Import *im, const char *code)
{
  for (guint i = 0; i < im->opts->n_shifts; i++) {
    const WbImportShift *s = &im->opts->shifts[i];
    if (g_ascii_strcasecmp(s->code, code) == 0 || g_strcmp0(s->label, code) == 0)
      return s;
  }
  return NULL;
}

static gboolean
is_rest(const char *code)
{
  static const char *const rest[] = {"休", "休息", "off", "rest", "-"};
  for (gsize i = 0; i < G_N_ELEMENTS(rest); i++)
    if (g_ascii_strcasecmp(code, rest[i]) == 0)
      return TRUE;
  return *code == '\0';
}

/* The bit of a field in a WbFieldSet. */
static WbFieldSet
field_bit(WbEventType type, const char *name)
{
  const WbEventField *f = wb_event_field_find(type, name);
  return f != NULL ? (WbFieldSet)1 << (f - wb_event_fields(type, NULL)) : 0;
}

static void
apply_template_role(WbEvent *ev, const WbImportShift *s)
{
  if (ev->role[0] == '\0' && s->role != NULL)
    WB_EVENT_SET(ev, role, s->role, -1);
}

/* Sets the event fields of the row's columns. For a roster with a date
 * column, start and end may be times of day ("08:00"): they are kept in
 * *start_min / *end_min. */
static gboolean
set_fields(const Import *im, const WbSheetRow *row, WbEvent *ev, WbFieldSet *seen, gint *start_min,
           gint *end_min, GError **error)
{
  for (guint i = 0; i < im->n_cols; i++) {
    const Column *c = &im->cols[i];
    if (c->role != COL_FIELD)
      continue;
    const char *cell = wb_sheet_cell(row, i);
    if (start_min != NULL &&
        (strcmp(c->field->name, "start") == 0 || strcmp(c->field->name, "end") == 0)) {
      g_autofree char *t = g_strstrip(g_strdup(cell));
      gint *slot = c->field->name[0] == 's' ? start_min : end_min;
      if (parse_hhmm(t, slot))
        continue;
    }
    if (!wb_event_field_set_text(ev, c->field, cell, im->opts->tz, im->opts->agents, seen, error))
      return FALSE;
  }
  return TRUE;
}

/* The event time of a row: its ts cell, else (if it may) the file's. */
static gboolean
row_ts(const Import *im, const WbSheetRow *row, gint64 *out, GError **error)
{
  int ts = find_column(im, COL_TS, NULL);
  const char *cell = ts >= 0 ? wb_sheet_cell(row, (guint)ts) : "";
  if (!blank(cell))
    return parse_time(im, "ts", cell, out, error);
  if (im->def->ts_required) {
    g_set_error(error, WB_IMPORT_ERROR, 0, "ts: required for %s",
                wb_event_type_name(im->def->type));
    return FALSE;
  }
  *out = im->file_ms;
  return TRUE;
}

static gboolean
roster_long_row(const Import *im, const WbSheetRow *row, WbEvent *ev, GError **error)
{
  WbFieldSet seen = 0;
  gint start_min = -1, end_min = -1;
  int date_col = find_column(im, COL_DATE, NULL);
  const char *date_cell = date_col >= 0 ? wb_sheet_cell(row, (guint)date_col) : "";
  gboolean dated = !blank(date_cell);

  wb_event_init(ev, WB_EVENT_ROSTER_SHIFT);
  if (!set_fields(im, row, ev, &seen, dated ? &start_min : NULL, dated ? &end_min : NULL, error) ||
      !row_ts(im, row, &ev->ts_ms, error))
    return FALSE;
  if (dated) {
    gint64 day_ms = 0;
    g_autofree char *text = g_strstrip(g_strdup(date_cell));
    if (!wb_time_parse(im->opts->tz, text, &day_ms))
      return fail(error, "date", text, "is not a date (2026-11-28)");
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(day_ms / 1000);
    g_autoptr(GDateTime) day = g_date_time_to_timezone(utc, im->opts->tz);
    int y = g_date_time_get_year(day), m = g_date_time_get_month(day);
    int d = g_date_time_get_day_of_month(day);
    gboolean has_start = start_min >= 0 || (seen & field_bit(ev->type, "start"));
    gboolean has_end = end_min >= 0 || (seen & field_bit(ev->type, "end"));
    if (!has_start && !has_end) {
      if (ev->kind[0] == '\0') {
        g_set_error(error, WB_IMPORT_ERROR, 0,
                    "template: required with a date (or give start and end)");
        return FALSE;
      }
      const WbImportShift *s = find_shift(im, ev->kind);
      if (s == NULL)
        return fail(error, "template", ev->kind,
                    "is not a shift template ([shift.CODE] in the configuration)");
      WB_EVENT_SET(ev, kind, s->code, -1);
      apply_template_role(ev, s);
      shift_hours(im, s, y, m, d, &start_min, &end_min);
    }
    if (start_min >= 0 && end_min >= 0)
      set_shift_times(im, ev, &seen, y, m, d, start_min, end_min);
    else if (start_min >= 0 || end_min >= 0) {
      /* One a time of day, the other a full time: both must be full. */
      g_set_error(error, WB_IMPORT_ERROR, 0,
                  "start, end: both times of day (08:00) or both full times");
      return FALSE;
    }
  }
  if (ev->kind[0] != '\0') {
    const WbImportShift *s = find_shift(im, ev->kind);
    if (s != NULL)
      apply_template_role(ev, s);
  }
  return wb_event_fields_check(ev, seen, error);
}

/* A grid row: a shift per day cell. A bad cell rejects the row, whose
 * reason names every bad cell by day and column. */
static gboolean
roster_grid_row(Import *im, const WbSheetRow *row, GError **error)
{
  WbEvent base;
  WbFieldSet seen = 0;
  g_autoptr(GString) bad = g_string_new(NULL);

  wb_event_init(&base, WB_EVENT_ROSTER_SHIFT);
  if (!set_fields(im, row, &base, &seen, NULL, NULL, error) || !row_ts(im, row, &base.ts_ms, error))
    return FALSE;
  if (!(seen & field_bit(base.type, "staff"))) {
    g_set_error(error, WB_IMPORT_ERROR, 0, "staff: required for roster.shift");
    return FALSE;
  }
  g_strlcpy(im->row_agent, base.agent, sizeof(im->row_agent));
  for (guint i = 0; i < im->n_cols; i++) {
    const Column *c = &im->cols[i];
    if (c->role != COL_DAY)
      continue;
    g_autofree char *code = g_strstrip(g_strdup(wb_sheet_cell(row, i)));
    if (is_rest(code)) {
      gint64 midnight = local_ms(im->opts->tz, c->year, c->month, c->day, 0);
      g_array_append_val(im->row_rest_days, midnight);
      continue;
    }
    char letters[8];
    wb_sheet_column_name(i, letters, sizeof(letters));
    const WbImportShift *s = find_shift(im, code);
    if (s == NULL) {
      g_autofree char *shown = g_utf8_make_valid(code, MIN(strlen(code), 60));
      g_string_append_printf(bad,
                             "%s%04d-%02d-%02d (column %s): '%s' is not a shift template "
                             "([shift.CODE] in the configuration)",
                             bad->len > 0 ? "; " : "", c->year, c->month, c->day, letters, shown);
      continue;
    }
    WbEvent ev = base;
    WbFieldSet ev_seen = seen;
    WB_EVENT_SET(&ev, kind, s->code, -1);
    apply_template_role(&ev, s);
    gint start_min = 0, end_min = 0;
    shift_hours(im, s, c->year, c->month, c->day, &start_min, &end_min);
    set_shift_times(im, &ev, &ev_seen, c->year, c->month, c->day, start_min, end_min);
    GError *local = NULL;
    if (!wb_event_fields_check(&ev, ev_seen, &local)) {
      g_string_append_printf(bad, "%s%04d-%02d-%02d (column %s): %s", bad->len > 0 ? "; " : "",
                             c->year, c->month, c->day, letters, local->message);
      g_error_free(local);
      continue;
    }
    g_array_append_val(im->events, ev);
  }
  if (bad->len > 0) {
    g_set_error_literal(error, WB_IMPORT_ERROR, 0, bad->str);
    return FALSE;
  }
  return TRUE;
}

static gboolean
workorder_row(Import *im, const WbSheetRow *row, GError **error)
{
  WbEvent base;
  WbFieldSet seen = 0;
  gint64 opened = 0, closed = 0, updated = 0;
  int opened_col = find_column(im, COL_OPENED, NULL);
  int closed_col = find_column(im, COL_CLOSED, NULL);
  const char *closed_cell = closed_col >= 0 ? wb_sheet_cell(row, (guint)closed_col) : "";
  const char *opened_cell = wb_sheet_cell(row, (guint)opened_col);

  wb_event_init(&base, WB_EVENT_WORKORDER_OPEN);
  if (!set_fields(im, row, &base, &seen, NULL, NULL, error) ||
      !wb_event_fields_check(&base, seen, error))
    return FALSE;
  if (blank(opened_cell)) {
    g_set_error(error, WB_IMPORT_ERROR, 0, "opened: required (受理时间)");
    return FALSE;
  }
  if (!parse_time(im, "opened", opened_cell, &opened, error) ||
      (!blank(closed_cell) && !parse_time(im, "closed", closed_cell, &closed, error)) ||
      !row_ts(im, row, &updated, error))
    return FALSE;
  if (!blank(closed_cell) && closed < opened) {
    g_set_error(error, WB_IMPORT_ERROR, 0, "closed: earlier than opened");
    return FALSE;
  }

  /* Opened, it was open; what the row says of it now is the close or an
   * update as of the export. */
  WbEvent ev = base;
  ev.ts_ms = opened;
  ev.status[0] = '\0';
  g_array_append_val(im->events, ev);
  if (!blank(closed_cell)) {
    ev = base;
    ev.type = WB_EVENT_WORKORDER_CLOSE;
    ev.ts_ms = closed;
    g_array_append_val(im->events, ev);
  } else if (base.status[0] != '\0') {
    ev = base;
    ev.type = WB_EVENT_WORKORDER_UPDATE;
    ev.ts_ms = updated;
    g_array_append_val(im->events, ev);
  }
  return TRUE;
}

/* Fills im->events with what the row gives, or fails with the reason. */
static gboolean
csv_row(Import *im, const WbSheetRow *row, GError **error)
{
  for (guint i = im->n_cols; i < row->cells->len; i++)
    if (!blank(g_ptr_array_index(row->cells, i))) {
      g_set_error(error, WB_IMPORT_ERROR, 0,
                  "%u cells where the header has %u (a value with a '%c' in it needs quotes)",
                  row->cells->len, im->n_cols, im->delim);
      return FALSE;
    }
  if (im->kind == WB_IMPORT_ROSTER && im->grid)
    return roster_grid_row(im, row, error);
  if (im->kind == WB_IMPORT_WORKORDERS)
    return workorder_row(im, row, error);

  WbEvent ev;
  if (im->kind == WB_IMPORT_ROSTER) {
    if (!roster_long_row(im, row, &ev, error))
      return FALSE;
  } else {
    WbFieldSet seen = 0;
    wb_event_init(&ev, im->def->type);
    if (!set_fields(im, row, &ev, &seen, NULL, NULL, error) || !row_ts(im, row, &ev.ts_ms, error) ||
        !wb_event_fields_check(&ev, seen, error))
      return FALSE;
  }
  g_array_append_val(im->events, ev);
  return TRUE;
}

/* ---- events out ---- */

static void
hash_text(crypto_generichash_state *st, const char *text)
{
  crypto_generichash_update(st, (const guint8 *)text, strlen(text) + 1);
}

/* 63 bits of a hash of the event's type, time and every field in a
 * canonical form: the same row gives the same position, so the store's
 * unique (source, source_pos) refuses it a second time; any change to it
 * gives another. */
static gint64
event_pos(const WbEvent *ev)
{
  crypto_generichash_state st;
  guint8 h[8];
  char num[G_ASCII_DTOSTR_BUF_SIZE];
  guint n = 0;
  const WbEventField *fields = wb_event_fields(ev->type, &n);

  crypto_generichash_init(&st, NULL, 0, sizeof(h));
  hash_text(&st, wb_event_type_name(ev->type));
  g_snprintf(num, sizeof(num), "%" G_GINT64_FORMAT, ev->ts_ms);
  hash_text(&st, num);
  for (guint i = 0; i < n; i++) {
    const WbEventField *f = &fields[i];
    hash_text(&st, f->name);
    switch (f->kind) {
    case WB_FIELD_TEXT:
    case WB_FIELD_AGENT:
    case WB_FIELD_CALLER: hash_text(&st, G_STRUCT_MEMBER_P(ev, f->offset)); continue;
    case WB_FIELD_NUMBER:
      g_ascii_dtostr(num, sizeof(num), G_STRUCT_MEMBER(gdouble, ev, f->offset));
      break;
    default:
      if (f->size == sizeof(gint32))
        g_snprintf(num, sizeof(num), "%d", (int)G_STRUCT_MEMBER(gint32, ev, f->offset));
      else
        g_snprintf(num, sizeof(num), "%" G_GINT64_FORMAT, G_STRUCT_MEMBER(gint64, ev, f->offset));
      break;
    }
    hash_text(&st, num);
  }
  crypto_generichash_final(&st, h, sizeof(h));
  guint64 v = 0;
  for (gsize i = 0; i < sizeof(h); i++)
    v = v << 8 | h[i];
  return (gint64)(v & G_MAXINT64);
}

static void
reject(Import *im, guint row_no, const char *text, const char *reason)
{
  WbImportRejected r = {row_no, g_strdup(reason)};
  g_array_append_val(im->out->rejected, r);
  WbQuarantined q = {
      .source = im->source,
      .file = im->name,
      .line_no = row_no,
      .reason = reason,
      .line = text,
      .line_len = MIN(strlen(text), QUARANTINE_ROW_MAX),
      .ts_ms = g_get_real_time() / 1000,
  };
  im->opts->sink->quarantine(im->opts->sink, &q);
}

/* ---- a roster file is the plan of the days it covers ---- */

static gint64
local_midnight(GTimeZone *tz, gint64 ms)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(ms / 1000);
  g_autoptr(GDateTime) t = g_date_time_to_timezone(utc, tz);
  return local_ms(tz, g_date_time_get_year(t), g_date_time_get_month(t),
                  g_date_time_get_day_of_month(t), 0);
}

static PlanDay *
plan_day(Import *im, const char *agent, gint64 day_ms)
{
  g_autofree char *key = g_strdup_printf("%s\x1f%" G_GINT64_FORMAT, agent, day_ms);
  PlanDay *d = g_hash_table_lookup(im->plan, key);
  if (d == NULL) {
    d = g_new0(PlanDay, 1);
    d->agent = g_strdup(agent);
    d->day_ms = day_ms;
    d->starts = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_hash_table_insert(im->plan, g_steal_pointer(&key), d);
  }
  return d;
}

/* A good row's shifts and rest days, into the plan. A cancelling row
 * plans nothing: it removes one shift and leaves the others of its day. */
static void
plan_row(Import *im)
{
  const char *agent = NULL;
  for (guint i = 0; i < im->events->len; i++) {
    const WbEvent *ev = &g_array_index(im->events, WbEvent, i);
    agent = ev->agent;
    if (strcmp(ev->status, "cancelled") == 0)
      continue;
    PlanDay *d = plan_day(im, ev->agent, local_midnight(im->opts->tz, ev->start_ms));
    g_array_append_val(d->starts, ev->start_ms);
  }
  if (agent == NULL)
    agent = im->row_agent;
  for (guint i = 0; agent != NULL && *agent != '\0' && i < im->row_rest_days->len; i++)
    plan_day(im, agent, g_array_index(im->row_rest_days, gint64, i));
}

static gint
plan_day_cmp(gconstpointer a, gconstpointer b)
{
  const PlanDay *x = *(PlanDay *const *)a, *y = *(PlanDay *const *)b;
  int c = strcmp(x->agent, y->agent);
  return c != 0 ? c : x->day_ms < y->day_ms ? -1 : x->day_ms > y->day_ms;
}

static gboolean
planned(const PlanDay *d, gint64 start_ms)
{
  for (guint i = 0; i < d->starts->len; i++)
    if (g_array_index(d->starts, gint64, i) == start_ms)
      return TRUE;
  return FALSE;
}

static gint64 event_pos(const WbEvent *ev);

/* After the rows: each stored shift of a planned person and day that the
 * file does not give is cancelled, as of the file's time (a change stored
 * later wins). */
static void
cancel_unplanned(Import *im)
{
  if (im->opts->stored_shifts == NULL || g_hash_table_size(im->plan) == 0)
    return;
  g_autoptr(GPtrArray) days = g_ptr_array_new();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, im->plan);
  while (g_hash_table_iter_next(&it, NULL, &value))
    g_ptr_array_add(days, value);
  g_ptr_array_sort(days, plan_day_cmp);
  g_autoptr(GArray) stored = g_array_new(FALSE, FALSE, sizeof(gint64));
  for (guint i = 0; i < days->len; i++) {
    const PlanDay *d = g_ptr_array_index(days, i);
    g_array_set_size(stored, 0);
    gint64 next = local_midnight(im->opts->tz, d->day_ms + 36 * 3600 * 1000);
    if (!im->opts->stored_shifts(d->agent, d->day_ms, next, im->file_ms, stored,
                                 im->opts->stored_shifts_data))
      return;
    for (guint k = 0; k + 1 < stored->len; k += 2) {
      gint64 start = g_array_index(stored, gint64, k);
      if (planned(d, start))
        continue;
      WbEvent ev;
      wb_event_init(&ev, WB_EVENT_ROSTER_SHIFT);
      WB_EVENT_SET(&ev, agent, d->agent, -1);
      WB_EVENT_SET(&ev, status, "cancelled", -1);
      WB_EVENT_SET(&ev, source, im->source, -1);
      ev.start_ms = start;
      ev.end_ms = g_array_index(stored, gint64, k + 1);
      ev.ts_ms = im->file_ms;
      ev.source_pos = event_pos(&ev);
      if (im->opts->sink->event(im->opts->sink, &ev))
        im->out->cancelled++;
    }
  }
}

/* The row's events to the sink, or the row to quarantine. */
static void
emit(Import *im, guint row_no, const char *text, gboolean ok, const GError *error)
{
  im->out->rows++;
  if (!ok) {
    reject(im, row_no, text, error->message);
    return;
  }
  if (im->kind == WB_IMPORT_ROSTER)
    plan_row(im);
  for (guint i = 0; i < im->events->len; i++) {
    WbEvent *ev = &g_array_index(im->events, WbEvent, i);
    WB_EVENT_SET(ev, source, im->source, -1);
    ev->source_pos = event_pos(ev);
    im->out->events++;
    gint64 *pos = g_new(gint64, 1);
    *pos = ev->source_pos;
    if (!g_hash_table_add(im->positions, pos))
      im->out->repeated++;
    else if (im->opts->sink->event(im->opts->sink, ev))
      im->out->stored++;
    else
      im->out->already++;
  }
}

static gboolean
import_csv(Import *im, const char *text, gsize len, const char *encoding, GError **error)
{
  im->delim = wb_sheet_delimiter(text, len);
  g_autoptr(GPtrArray) rows = wb_sheet_read(text, len, im->delim, error);
  if (rows == NULL)
    return FALSE;
  guint first = 0;
  while (first < rows->len && wb_sheet_row_blank(g_ptr_array_index(rows, first)))
    first++;
  if (first == rows->len) {
    g_set_error(error, WB_IMPORT_ERROR, WB_IMPORT_ERROR_COLUMNS,
                "no header row: the file is empty");
    return FALSE;
  }
  if (!map_header(im, g_ptr_array_index(rows, first), error))
    return FALSE;
  const char *delim_name = im->delim == '\t' ? "TAB" : im->delim == ';' ? "semicolon" : "comma";
  im->out->format = g_strdup_printf("CSV, %s, %s-separated%s", encoding, delim_name,
                                    im->kind != WB_IMPORT_ROSTER ? ""
                                    : im->grid                   ? ", one column per day"
                                                                 : ", one row per shift");

  for (guint i = first + 1; i < rows->len; i++) {
    const WbSheetRow *row = g_ptr_array_index(rows, i);
    if (wb_sheet_row_blank(row))
      continue;
    for (guint c = 0; c < im->n_cols && c < row->cells->len; c++)
      im->cols[c].has_data |= !blank(g_ptr_array_index(row->cells, c));
    g_autoptr(GError) local = NULL;
    g_array_set_size(im->events, 0);
    g_array_set_size(im->row_rest_days, 0);
    im->row_agent[0] = '\0';
    gboolean ok = csv_row(im, row, &local);
    g_autofree char *text_row = ok ? NULL : wb_sheet_row_text(row, im->delim);
    emit(im, row->row_no, text_row != NULL ? text_row : "", ok, local);
  }
  for (guint c = 0; c < im->n_cols; c++)
    if (im->cols[c].role == COL_IGNORED && *im->cols[c].header == '\0' && im->cols[c].has_data) {
      char letters[8];
      wb_sheet_column_name(c, letters, sizeof(letters));
      g_ptr_array_add(im->out->ignored, g_strdup_printf("column %s (no header)", letters));
    }
  if (im->kind == WB_IMPORT_ROSTER)
    cancel_unplanned(im);
  return TRUE;
}

/* ---- ZKTeco attlog.dat ---- */

/* "YYYY-MM-DD HH:MM:SS" */
static gboolean
attlog_time_shape(const char *s)
{
  static const char shape[] = "dddd-dd-dd dd:dd:dd";
  for (gsize i = 0; i < sizeof(shape) - 1; i++)
    if (shape[i] == 'd' ? !g_ascii_isdigit(s[i]) : s[i] != shape[i])
      return FALSE;
  return TRUE;
}

/* A terminal's USB export: no header, lines of six TAB-separated fields,
 * the PIN right-aligned with spaces, then local time. */
static gboolean
looks_like_attlog(const char *text)
{
  while (*text == '\r' || *text == '\n')
    text++;
  const char *eol = strpbrk(text, "\r\n");
  g_autofree char *line = eol != NULL ? g_strndup(text, (gsize)(eol - text)) : g_strdup(text);
  g_auto(GStrv) f = g_strsplit(line, "\t", -1);
  if (g_strv_length(f) != 6)
    return FALSE;
  g_strstrip(f[0]);
  if (*f[0] == '\0' || strchr(f[0], ' ') != NULL)
    return FALSE;
  return strlen(f[1]) == 19 && attlog_time_shape(f[1]);
}

/* In/out state (the fourth field): 0 check-in, 1 check-out, 2 break-out,
 * 3 break-in, 4 overtime-in, 5 overtime-out; 255 and others: none set. */
static const char *
attlog_direction(const char *state)
{
  if (strcmp(state, "0") == 0 || strcmp(state, "3") == 0 || strcmp(state, "4") == 0)
    return "in";
  if (strcmp(state, "1") == 0 || strcmp(state, "2") == 0 || strcmp(state, "5") == 0)
    return "out";
  return "unknown";
}

static gboolean
attlog_line(Import *im, char **f, WbEvent *ev, GError **error)
{
  WbFieldSet seen = 0;
  guint n = g_strv_length(f);

  wb_event_init(ev, WB_EVENT_STAFF_PUNCH);
  if (n < 2) {
    g_set_error(error, WB_IMPORT_ERROR, 0,
                "not a ZKTeco attendance line (PIN, time, device, state, verify, work code)");
    return FALSE;
  }
  for (guint i = 0; i < n; i++)
    g_strstrip(f[i]);
  if (!wb_event_field_set_text(ev, wb_event_field_find(ev->type, "staff"), f[0], im->opts->tz,
                               im->opts->agents, &seen, error))
    return FALSE;
  if (!attlog_time_shape(f[1]) || strlen(f[1]) != 19 ||
      !wb_time_parse(im->opts->tz, f[1], &ev->ts_ms))
    return fail(error, "time", f[1], "is not a time (YYYY-MM-DD HH:MM:SS)");
  /* Several terminals may share one file: the device id tells them apart. */
  g_autofree char *device =
      n > 2 && *f[2] != '\0' ? g_strconcat("zkteco-", f[2], NULL) : g_strdup("zkteco");
  WB_EVENT_SET(ev, device, device, -1);
  WB_EVENT_SET(ev, origin, attlog_direction(n > 3 ? f[3] : ""), -1);
  return wb_event_fields_check(ev, seen, error);
}

static gboolean
import_attlog(Import *im, const char *text)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

  im->out->format = g_strdup("ZKTeco attendance log (attlog.dat)");
  for (guint i = 0; lines[i] != NULL; i++) {
    char *line = lines[i];
    gsize len = strlen(line);
    if (len > 0 && line[len - 1] == '\r')
      line[len - 1] = '\0';
    if (blank(line))
      continue;
    g_autoptr(GError) local = NULL;
    g_auto(GStrv) f = g_strsplit(line, "\t", -1);
    WbEvent ev;
    g_array_set_size(im->events, 0);
    gboolean ok = attlog_line(im, f, &ev, &local);
    if (ok)
      g_array_append_val(im->events, ev);
    emit(im, i + 1, line, ok, local);
  }
  return TRUE;
}

/* ---- files ---- */

gboolean
wb_import_bytes(WbImportKind kind, const char *name, const void *data, gsize len, gint64 file_ms,
                const WbImportOptions *opts, WbImportResult *out, GError **error)
{
  g_return_val_if_fail((int)kind >= 0 && kind < WB_IMPORT_KIND_COUNT, FALSE);
  if (len > WB_IMPORT_MAX_BYTES) {
    g_set_error(error, WB_IMPORT_ERROR, WB_IMPORT_ERROR_READ,
                "%s: larger than %d MiB: split it into several files", name,
                WB_IMPORT_MAX_BYTES / (1024 * 1024));
    return FALSE;
  }
  const char *encoding = NULL;
  gsize text_len = 0;
  g_autofree char *text = wb_sheet_decode(data, len, &text_len, &encoding, error);
  if (text == NULL) {
    g_prefix_error(error, "%s: ", name);
    return FALSE;
  }

  Import im = {
      .kind = kind,
      .def = &kinds[kind],
      .opts = opts,
      .name = name,
      .file_ms = file_ms,
      .out = out,
      .positions = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL),
      .events = g_array_new(FALSE, TRUE, sizeof(WbEvent)),
      .plan = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, plan_day_free),
      .row_rest_days = g_array_new(FALSE, FALSE, sizeof(gint64)),
  };
  g_snprintf(im.source, sizeof(im.source), "import:%s", kinds[kind].name);
  gboolean ok = TRUE;
  if (kind == WB_IMPORT_PUNCHES && looks_like_attlog(text))
    ok = import_attlog(&im, text);
  else
    ok = import_csv(&im, text, text_len, encoding, error);
  if (!ok)
    g_prefix_error(error, "%s: ", name);
  for (guint i = 0; i < im.n_cols; i++)
    g_free(im.cols[i].header);
  g_free(im.cols);
  g_hash_table_unref(im.positions);
  g_array_unref(im.events);
  g_hash_table_unref(im.plan);
  g_array_unref(im.row_rest_days);
  return ok;
}

gboolean
wb_import_file(WbImportKind kind, const char *path, const WbImportOptions *opts,
               WbImportResult *out, GError **error)
{
  struct stat st;
  g_autofree char *data = NULL;
  gsize len = 0;

  if (stat(path, &st) != 0) {
    int saved = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: %s", path,
                g_strerror(saved));
    return FALSE;
  }
  if (st.st_size > WB_IMPORT_MAX_BYTES) {
    g_set_error(error, WB_IMPORT_ERROR, WB_IMPORT_ERROR_READ,
                "%s: larger than %d MiB: split it into several files", path,
                WB_IMPORT_MAX_BYTES / (1024 * 1024));
    return FALSE;
  }
  if (!g_file_get_contents(path, &data, &len, error))
    return FALSE;
  /* Rows without a time of their own happened by the export. */
  gint64 file_ms = (gint64)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
  return wb_import_bytes(kind, path, data, len, file_ms, opts, out, error);
}
