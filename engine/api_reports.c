/* api_reports.c: /api/v1/reports (engine/api_reports.h). */
#define G_LOG_DOMAIN "wb-api"

#include "engine/api_reports.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "engine/audit.h"
#include "engine/bus.h"
#include "engine/clock.h"
#include "engine/kpi_json.h"
#include "engine/report/reports.h"

#define RUNS_LISTED 100
#define FILES_PREFIX "/api/v1/reports/files/"

/* ---- GET /api/v1/reports ---- */

static void
run_json(JsonBuilder *b, GTimeZone *tz, const WbReportRun *run)
{
  json_builder_begin_object(b);
  wb_kpi_json_int(b, "id", run->id);
  wb_kpi_json_string(b, "kind", run->kind);
  wb_kpi_json_string(b, "period", run->period);
  wb_kpi_json_string(b, "trigger", run->trigger);
  wb_kpi_json_string_or_null(b, "requested_by", run->requested_by);
  wb_kpi_json_time_twin(b, tz, "started", run->started_ms);
  if (run->finished_ms >= 0) {
    wb_kpi_json_time_twin(b, tz, "finished", run->finished_ms);
  } else {
    wb_kpi_json_string_or_null(b, "finished", NULL);
    wb_kpi_json_string_or_null(b, "finished_ms", NULL);
  }
  wb_kpi_json_string(b, "status", run->status);
  wb_kpi_json_string_or_null(b, "error", run->error);
  json_builder_end_object(b);
}

static const char *
file_format(const char *name)
{
  const char *dot = strrchr(name, '.');
  return dot != NULL ? dot + 1 : "";
}

/* report.html, report.xlsx, report.json first, then the tables' CSVs. */
static gint
compare_files(gconstpointer a, gconstpointer b)
{
  const char *x = *(const char *const *)a, *y = *(const char *const *)b;
  gboolean rx = g_str_has_prefix(x, "report."), ry = g_str_has_prefix(y, "report.");
  if (rx != ry)
    return rx ? -1 : 1;
  return strcmp(x, y);
}

static void
files_json(JsonBuilder *b, const char *dir, const char *name)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *f;
  while (d != NULL && (f = g_dir_read_name(d)) != NULL)
    g_ptr_array_add(files, g_strdup(f));
  g_ptr_array_sort(files, compare_files);
  json_builder_set_member_name(b, "files");
  json_builder_begin_array(b);
  for (guint i = 0; i < files->len; i++) {
    const char *file = g_ptr_array_index(files, i);
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autofree char *url = g_strconcat(FILES_PREFIX, name, "/", file, NULL);
    GStatBuf st;
    json_builder_begin_object(b);
    wb_kpi_json_string(b, "name", file);
    wb_kpi_json_string(b, "format", file_format(file));
    wb_kpi_json_string(b, "url", url);
    wb_kpi_json_int(b, "bytes", g_stat(path, &st) == 0 ? st.st_size : 0);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

/* The newest done run of each period whose directory is there. */
static void
reports_json(JsonBuilder *b, GTimeZone *tz, GPtrArray *runs, const char *reports_dir)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  json_builder_set_member_name(b, "reports");
  json_builder_begin_array(b);
  for (guint i = 0; i < runs->len; i++) {
    const WbReportRun *run = g_ptr_array_index(runs, i);
    g_autofree char *name = wb_report_dir_name_of(run->kind, run->period);
    g_autofree char *dir = g_build_filename(reports_dir, name, NULL);
    WbReportKind kind;
    if (strcmp(run->status, "done") != 0 || g_hash_table_contains(seen, name) ||
        !g_file_test(dir, G_FILE_TEST_IS_DIR) || !wb_report_kind_from_name(run->kind, &kind))
      continue;
    g_hash_table_add(seen, g_strdup(name));
    json_builder_begin_object(b);
    wb_kpi_json_string(b, "name", name);
    wb_kpi_json_string(b, "kind", run->kind);
    wb_kpi_json_string(b, "period", run->period);
    g_autofree char *title = g_strdup_printf("%s %s", wb_report_kind_label_zh(kind), run->period);
    wb_kpi_json_string(b, "title", title);
    json_builder_set_member_name(b, "run");
    run_json(b, tz, run);
    files_json(b, dir, name);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

/* Each scheduled kind: its next period due, and whether it is made. */
static void
schedule_json(JsonBuilder *b, WbEngine *e, gint64 now)
{
  json_builder_set_member_name(b, "schedule");
  json_builder_begin_array(b);
  for (char **k = e->cfg->report_schedule; k != NULL && *k != NULL; k++) {
    WbReportKind kind;
    WbReportPeriod p;
    gboolean exists = FALSE;
    if (!wb_report_kind_from_name(*k, &kind) ||
        !wb_report_period_parse(kind, NULL, e->tz, now, &p, NULL) ||
        !wb_report_run_exists(e->store, &p, &exists, NULL))
      continue;
    json_builder_begin_object(b);
    wb_kpi_json_string(b, "kind", *k);
    wb_kpi_json_string(b, "period", p.text);
    wb_kpi_json_time_twin(b, e->tz, "due", wb_reports_due_ms(e->cfg, e->tz, &p));
    json_builder_set_member_name(b, "made");
    json_builder_add_boolean_value(b, exists);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

void
wb_api_reports_list(WbEngine *e, WbApiReply *out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = wb_report_runs_list(e->store, RUNS_LISTED, &error);
  if (runs == NULL) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  g_autofree char *fallback = g_build_filename(e->state_dir, "reports", NULL);
  const char *dir = e->reports != NULL ? wb_reports_dir(e->reports) : fallback;
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  reports_json(b, e->tz, runs, dir);
  json_builder_set_member_name(b, "runs");
  json_builder_begin_array(b);
  for (guint i = 0; i < runs->len; i++)
    run_json(b, e->tz, g_ptr_array_index(runs, i));
  json_builder_end_array(b);
  schedule_json(b, e, wb_clock_now_ms(&e->clock));
  json_builder_end_object(b);
  wb_api_reply_json(out, b);
}

/* ---- request bodies ---- */

static JsonObject *
body_object(const WbApiRequest *req, JsonParser *parser, const char *shape, WbApiReply *out)
{
  if (req->body == NULL || req->body_len == 0 ||
      !json_parser_load_from_data(parser, req->body, (gssize)req->body_len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
    wb_api_reply_error(out, 400, "expected a JSON object %s", shape);
    return NULL;
  }
  return json_node_get_object(json_parser_get_root(parser));
}

/* kind and period (period NULL: the last whole one, as on the command
 * line) into p; FALSE after a 400. */
static gboolean
parse_period(WbEngine *e, const char *kind_name, const char *text, WbReportPeriod *p,
             WbApiReply *out)
{
  WbReportKind kind;
  g_autoptr(GError) error = NULL;
  if (kind_name == NULL || !wb_report_kind_from_name(kind_name, &kind)) {
    wb_api_reply_error(out, 400,
                       "kind: expected daily, monthly, quarterly, annual or thematic, got '%s'",
                       kind_name != NULL ? kind_name : "");
    return FALSE;
  }
  if (text != NULL && *text == '\0')
    text = NULL;
  if (!wb_report_period_parse(kind, text, e->tz, wb_clock_now_ms(&e->clock), p, &error)) {
    wb_api_reply_error(out, 400, "%s", error->message);
    return FALSE;
  }
  return TRUE;
}

static const char *
caller_name(const WbApiCaller *caller)
{
  return caller != NULL && caller->user != NULL ? caller->user : "token";
}

/* ---- POST /api/v1/reports ---- */

void
wb_api_reports_run(WbEngine *e, const WbApiRequest *req, const WbApiCaller *caller, WbApiReply *out)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;
  g_autofree char *kind = NULL, *text = NULL;
  WbReportPeriod p;
  gboolean busy = FALSE;

  JsonObject *o = body_object(req, parser, "{\"kind\",\"period\"}", out);
  if (o == NULL || !wb_api_member_string(o, "kind", &kind, out) ||
      !wb_api_member_string(o, "period", &text, out) || !parse_period(e, kind, text, &p, out))
    return;
  if (e->reports == NULL) {
    wb_api_reply_error(out, 503, "reports are made by the daemon only");
    return;
  }
  if (!wb_reports_request(e->reports, &p, "request", caller_name(caller), &busy, &error)) {
    if (busy)
      wb_api_reply_error(out, 409, "%s %s is being made already", kind, p.text);
    else
      wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  g_autofree char *name = wb_report_dir_name(&p);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  wb_kpi_json_string(b, "name", name);
  wb_kpi_json_string(b, "kind", kind);
  wb_kpi_json_string(b, "period", p.text);
  wb_kpi_json_string(b, "status", "queued");
  json_builder_end_object(b);
  wb_api_reply_json(out, b);
  out->status = 202;
}

/* ---- GET /api/v1/reports/files/NAME/FILE ---- */

static const char *
content_type(const char *file)
{
  static const struct {
    const char *ext, *type;
  } types[] = {
      {".html", "text/html; charset=utf-8"},
      {".csv", "text/csv; charset=utf-8"},
      {".json", "application/json; charset=utf-8"},
      {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(types); i++)
    if (g_str_has_suffix(file, types[i].ext))
      return types[i].type;
  return NULL;
}

/* A file name of a report directory: report.* or a table's NAME.csv. */
static gboolean
file_name_valid(const char *file)
{
  if (*file == '\0' || *file == '.' || content_type(file) == NULL)
    return FALSE;
  for (const char *c = file; *c != '\0'; c++)
    if (!g_ascii_isalnum(*c) && *c != '_' && *c != '.' && *c != '-')
      return FALSE;
  return strstr(file, "..") == NULL;
}

void
wb_api_reports_file(WbEngine *e, const WbApiRequest *req, const WbApiCaller *caller,
                    WbApiReply *out)
{
  const char *rest = req->path + strlen(FILES_PREFIX);
  const char *slash = strchr(rest, '/');
  g_autofree char *name = slash != NULL ? g_strndup(rest, (gsize)(slash - rest)) : NULL;
  const char *file = slash != NULL ? slash + 1 : "";
  if (name == NULL || !wb_report_dir_name_valid(name) || !file_name_valid(file)) {
    wb_api_reply_error(out, 404, "no such report file: %s", req->path);
    return;
  }
  g_autofree char *fallback = g_build_filename(e->state_dir, "reports", NULL);
  const char *dir = e->reports != NULL ? wb_reports_dir(e->reports) : fallback;
  g_autofree char *path = g_build_filename(dir, name, file, NULL);
  char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents(path, &data, &len, NULL)) {
    wb_api_reply_error(out, 404, "no such report file: %s/%s", name, file);
    return;
  }
  g_autoptr(GError) error = NULL;
  g_autofree char *target = g_strdup_printf("%s/%s", name, file);
  if (!wb_audit_log(e->store, g_get_real_time() / 1000, caller_name(caller), WB_AUDIT_EXPORT,
                    target, "report download", req->remote, &error)) {
    /* An export that cannot be recorded is not given out. */
    g_free(data);
    wb_api_reply_error(out, 503, "the download was not recorded: %s", error->message);
    return;
  }
  out->status = 200;
  out->body = data;
  out->body_len = len;
  out->content_type = content_type(file);
  /* The HTML opens in the browser; the others are saved, under a name
   * that says which report they belong to. */
  if (!g_str_has_suffix(file, ".html"))
    out->disposition = g_strdup_printf("attachment; filename=\"%s-%s\"", name, file);
}

/* ---- the manager's text ---- */

static void
text_json(WbEngine *e, const WbReportPeriod *p, WbApiReply *out)
{
  g_autoptr(GError) error = NULL;
  WbReportText text;
  if (!wb_report_text_get(e->store, p, &text, &error)) {
    wb_api_reply_error(out, 500, "%s", error->message);
    return;
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  wb_kpi_json_string(b, "kind", wb_report_kind_name(p->kind));
  wb_kpi_json_string(b, "period", p->text);
  wb_kpi_json_string_or_null(b, "body", text.body);
  wb_kpi_json_string_or_null(b, "author", text.author);
  if (text.updated_ms >= 0) {
    wb_kpi_json_time_twin(b, e->tz, "updated", text.updated_ms);
  } else {
    wb_kpi_json_string_or_null(b, "updated", NULL);
    wb_kpi_json_string_or_null(b, "updated_ms", NULL);
  }
  json_builder_end_object(b);
  wb_report_text_clear(&text);
  wb_api_reply_json(out, b);
}

void
wb_api_reports_text(WbEngine *e, GHashTable *query, WbApiReply *out)
{
  WbReportPeriod p;
  if (parse_period(e, g_hash_table_lookup(query, "kind"), g_hash_table_lookup(query, "period"), &p,
                   out))
    text_json(e, &p, out);
}

void
wb_api_reports_text_set(WbEngine *e, const WbApiRequest *req, const WbApiCaller *caller,
                        WbApiReply *out)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;
  g_autofree char *kind = NULL, *text = NULL, *body = NULL;
  WbReportPeriod p;

  if (caller == NULL || caller->user == NULL) {
    wb_api_reply_error(out, 403, "the text needs a named user: log in as a person");
    return;
  }
  JsonObject *o = body_object(req, parser, "{\"kind\",\"period\",\"body\"}", out);
  if (o == NULL || !wb_api_member_string(o, "kind", &kind, out) ||
      !wb_api_member_string(o, "period", &text, out) ||
      !wb_api_member_string(o, "body", &body, out) || !parse_period(e, kind, text, &p, out))
    return;
  if (body != NULL && g_utf8_strlen(body, -1) > WB_REPORT_TEXT_MAX) {
    wb_api_reply_error(out, 400, "body: at most %d characters", WB_REPORT_TEXT_MAX);
    return;
  }
  g_autofree char *stripped = g_strstrip(g_strdup(body != NULL ? body : ""));
  gint64 now = g_get_real_time() / 1000;
  g_autofree char *target = wb_report_dir_name(&p);
  /* Written at once, outside the batch of ingested events. */
  if (!wb_bus_flush(e->bus, &error) ||
      !wb_report_text_set(e->store, &p, stripped, caller->user, now, &error) ||
      !wb_audit_log(e->store, now, caller->user, WB_AUDIT_REPORT_TEXT, target,
                    *stripped == '\0' ? "removed" : "written", req->remote, &error)) {
    wb_api_reply_error(out, 503, "the text was not stored, send it again: %s", error->message);
    return;
  }
  text_json(e, &p, out);
}
