/* report_json.c: a management report as one JSON document
 * (engine/report/report.h), read by the manager page. */
#define G_LOG_DOMAIN "wb-report"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "engine/report/report.h"

static const char *const format_names[] = {"number", "percent", "seconds"};

/* A column's format; "unit" where the row's unit column decides (the
 * summary's and the stability table's mixed rows). */
static const char *
column_format(const WbReportTable *t, guint col)
{
  const char *name = t->column_names[col];
  if (wb_report_table_column(t, "unit") < 0)
    return format_names[wb_report_column_format(name)];
  if (strcmp(name, "metric") == 0 || strcmp(name, "label") == 0 || strcmp(name, "unit") == 0)
    return "number";
  return "unit";
}

static void
add_cell(JsonBuilder *b, const WbReportCell *c)
{
  switch (c->type) {
  case WB_REPORT_CELL_INT: json_builder_add_int_value(b, c->i); break;
  case WB_REPORT_CELL_REAL:
    if (isfinite(c->d))
      json_builder_add_double_value(b, c->d);
    else
      json_builder_add_null_value(b);
    break;
  case WB_REPORT_CELL_TEXT: json_builder_add_string_value(b, c->s); break;
  default: json_builder_add_null_value(b); break;
  }
}

static void
add_table(JsonBuilder *b, const WbReportTable *t)
{
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "name");
  json_builder_add_string_value(b, t->name);
  json_builder_set_member_name(b, "title");
  json_builder_add_string_value(b, t->title_zh);
  json_builder_set_member_name(b, "columns");
  json_builder_begin_array(b);
  for (guint c = 0; c < t->n_columns; c++) {
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, t->column_names[c]);
    json_builder_set_member_name(b, "label");
    json_builder_add_string_value(b, t->column_labels_zh[c]);
    json_builder_set_member_name(b, "format");
    json_builder_add_string_value(b, column_format(t, c));
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "rows");
  json_builder_begin_array(b);
  for (guint r = 0; r < wb_report_table_rows(t); r++) {
    json_builder_begin_array(b);
    for (guint c = 0; c < t->n_columns; c++)
      add_cell(b, wb_report_table_cell(t, r, c));
    json_builder_end_array(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
}

static void
add_string(JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name(b, name);
  if (v != NULL)
    json_builder_add_string_value(b, v);
  else
    json_builder_add_null_value(b);
}

gboolean
wb_report_write_json(const WbReport *report, const char *path, GError **error)
{
  const WbReportPeriod *p = &report->period;
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  add_string(b, "title", report->title_zh);
  add_string(b, "centre", report->centre_zh);
  json_builder_set_member_name(b, "period");
  json_builder_begin_object(b);
  add_string(b, "kind", wb_report_kind_name(p->kind));
  add_string(b, "text", p->text);
  json_builder_set_member_name(b, "from_ms");
  json_builder_add_int_value(b, p->from_ms);
  json_builder_set_member_name(b, "to_ms");
  json_builder_add_int_value(b, p->to_ms);
  json_builder_set_member_name(b, "days");
  json_builder_add_int_value(b, p->days);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "generated_ms");
  json_builder_add_int_value(b, report->generated_ms);
  add_string(b, "rectification", report->rectification);
  json_builder_set_member_name(b, "tables");
  json_builder_begin_array(b);
  for (guint i = 0; i < report->tables->len; i++)
    add_table(b, g_ptr_array_index(report->tables, i));
  json_builder_end_array(b);
  json_builder_end_object(b);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  json_generator_set_root(gen, root);
  gsize len = 0;
  g_autofree char *text = json_generator_to_data(gen, &len);
  return g_file_set_contents(path, text, (gssize)len, error);
}
