/* ctl.c: wallboardctl, the command line of the engine.
 *
 *   wallboardctl [--state-dir DIR] [--config FILE] import queue_log FILE...
 *   wallboardctl [--state-dir DIR] [--config FILE] import KIND FILE... [--dry-run]
 *   wallboardctl erlang --calls N --period SEC --aht SEC --target F --within SEC [--agents N]
 *                [--max-occupancy F] [--shrinkage F] [--json]
 *   wallboardctl [--state-dir DIR] [--config FILE] key add SOURCE | list | revoke SOURCE
 *   wallboardctl [--state-dir DIR] [--config FILE] user add NAME --role ROLE | passwd NAME |
 *                lock NAME | unlock NAME | list | token [LABEL]
 *   wallboardctl [--state-dir DIR] [--config FILE] kpi [--scope S] [--from T] [--to T] [--json]
 *   wallboardctl [--state-dir DIR] [--config FILE] coverage [--from D] [--to D] [--json]
 *   wallboardctl [--state-dir DIR] [--config FILE] graph [--scope S] --metric M[,M2...]
 *                [--from T] [--to T] [--cf AVERAGE|MIN|MAX] [--width W] [--height H]
 *                [--title TEXT] --out FILE.png|FILE.svg
 *
 * It opens the same state directory as wallboardd with the same code, so an
 * import is the daemon's ingest without the waiting, and kpi answers what
 * GET /api/v1/kpi answers.
 */
#define G_LOG_DOMAIN "wallboardctl"

#include <json-glib/json-glib.h>
#include <locale.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/backfill.h"
#include "engine/ctl.h"
#include "engine/engine.h"
#include "engine/kpi_json.h"
#include "engine/query.h"
#include "rrd/graph.h"
#include "wb-build-config.h"

typedef struct {
  char *state_dir;
  char *config;
  char *scope;
  char *from;
  char *to;
  char *sl_variant;
  char *sl_threshold_s;
  char *short_abandon_s;
  gboolean sl_exclude_short_abandons;
  gboolean json;
  gboolean version;
  gboolean dry_run; /* import */
  /* user */
  char *role;
  char *display_name;
  gboolean password_stdin;
  /* graph */
  char **metrics; /* each "M" or "M,M2,…" */
  char *cf;
  gint width;
  gint height;
  char *title;
  char *out;
  char *period; /* report */
  gboolean scheduled;
} Options;

static void
options_clear(Options *o)
{
  g_free(o->state_dir);
  g_free(o->config);
  g_free(o->scope);
  g_free(o->from);
  g_free(o->to);
  g_free(o->sl_variant);
  g_free(o->sl_threshold_s);
  g_free(o->short_abandon_s);
  g_strfreev(o->metrics);
  g_free(o->cf);
  g_free(o->title);
  g_free(o->out);
  g_free(o->period);
  g_free(o->role);
  g_free(o->display_name);
}

static const char usage[] =
    "COMMAND\n\n"
    "Commands:\n"
    "  import queue_log FILE...   backfill Asterisk queue_log files (oldest first)\n"
    "  import KIND FILE...        staff, roster, punches, training, exams, qa, workorders or\n"
    "                             classifications from CSV (punches also ZKTeco attlog.dat)\n"
    "  erlang --calls N --period S --aht S --target F --within S   what-if staffing\n"
    "  key add SOURCE | list | revoke SOURCE   keys of the JSON ingest API\n"
    "  token add ROLE LABEL | revoke ROLE LABEL   a program's token to read the API\n"
    "  user add NAME --role ROLE | passwd NAME | lock NAME | unlock NAME | list | token [LABEL]\n"
    "                             named accounts, the TVs' display tokens\n"
    "  kpi                        KPIs of a scope over a window (default: total, today)\n"
    "  coverage                   minutes short of the minimum staff (default: today)\n"
    "  report KIND [--period P] [--out DIR] [--scheduled]\n"
    "                             a management report (daily, monthly, quarterly, annual,\n"
    "                             thematic) in HTML, XLSX and CSV; default: the last whole\n"
    "                             period, into STATE-DIR/reports/KIND-PERIOD, recorded\n"
    "  graph --metric M --out F   PNG or SVG graph of the RRD archive (default: total, today)";

static gboolean
open_engine(WbEngine *e, const Options *o, gboolean writer, GError **error)
{
  e->lock_fd = -1;
  e->cfg = wb_config_new_defaults();
  if (o->config != NULL && !wb_config_load_file(e->cfg, o->config, error))
    return FALSE;
  if (o->state_dir != NULL && !wb_config_set(e->cfg, "store", "state_dir", o->state_dir, error))
    return FALSE;
  e->clock.rate = 1.0;
  e->started_us = g_get_monotonic_time();
  /* Today's live state (open calls, agents' states) as the daemon has it. */
  return wb_engine_open(e, writer, error) && wb_engine_rebuild(e, error);
}

static void
close_engine(WbEngine *e)
{
  wb_engine_clear(e);
  g_clear_pointer(&e->cfg, wb_config_free);
}

/* ---- import ---- */

static void
draw_progress(const WbBackfillProgress *p, gpointer user_data)
{
  (void)user_data;
  double done = p->bytes_total > 0 ? (double)p->bytes_done / (double)p->bytes_total : 1.0;
  double secs = p->elapsed_us / 1e6;
  double rate = secs > 0 ? p->events / secs : 0;
  double left = done > 0 && done < 1 ? secs / done * (1 - done) : 0;
  char bar[31];
  int filled = (int)(done * 30);

  for (int i = 0; i < 30; i++)
    bar[i] = i < filled ? '#' : '.';
  bar[30] = '\0';
  fprintf(stderr, "\r[%s] %5.1f%%  %9" G_GUINT64_FORMAT " events  %8.0f events/s  %d:%02d left ",
          bar, done * 100, p->events, rate, (int)left / 60, (int)left % 60);
  fflush(stderr);
}

static int
cmd_import(const Options *o, char **args, int n)
{
  WbEngine e = {.lock_fd = -1};
  WbBackfillProgress sum;
  g_autoptr(GError) error = NULL;

  if (n < 1 || strcmp(args[0], "queue_log") != 0)
    return wb_ctl_import(o->config, o->state_dir, o->dry_run, args, n);
  if (n < 2 || o->dry_run) {
    g_printerr("wallboardctl: usage: import queue_log FILE... (no --dry-run)\n");
    return 2;
  }
  g_autoptr(GPtrArray) paths = g_ptr_array_new();
  for (int i = 1; i < n; i++)
    g_ptr_array_add(paths, args[i]);
  g_ptr_array_add(paths, NULL);

  gboolean tty = isatty(STDERR_FILENO);
  if (!open_engine(&e, o, TRUE, &error) ||
      !wb_backfill_queuelog(&e, (const char *const *)paths->pdata, WB_BACKFILL_BATCH,
                            tty ? draw_progress : NULL, NULL, &sum, &error)) {
    if (tty)
      fputc('\n', stderr);
    g_printerr("wallboardctl: import: %s\n", error->message);
    close_engine(&e);
    return 1;
  }
  if (tty)
    fputc('\n', stderr);
  double secs = sum.elapsed_us / 1e6;
  g_print("imported %" G_GUINT64_FORMAT " lines: %" G_GUINT64_FORMAT " events, %" G_GINT64_FORMAT
          " calls, %" G_GUINT64_FORMAT " lines quarantined, %" G_GUINT64_FORMAT
          " events already stored, in %.1f s (%.0f events/s)\n",
          sum.lines, sum.events, sum.calls, sum.quarantined, sum.duplicates, secs,
          secs > 0 ? sum.events / secs : 0.0);
  if (sum.rrd_samples > 0)
    g_print("RRD archive filled with %" G_GUINT64_FORMAT " samples\n", sum.rrd_samples);
  if (sum.quarantined > 0)
    g_print("quarantined lines are kept in the quarantine table of %s/wallboard.db\n", e.state_dir);
  close_engine(&e);
  return 0;
}

/* ---- kpi ---- */

/* A value for the table: "—" for null, percentages for ratios. */
static char *
format_value(JsonNode *node, const char *unit)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL(node))
    return g_strdup("—");
  if (JSON_NODE_HOLDS_OBJECT(node))
    return NULL;
  double v = json_node_get_double(node);
  if (g_strcmp0(unit, "ratio") == 0)
    return g_strdup_printf("%.1f %%", v * 100);
  if (g_strcmp0(unit, "seconds") == 0)
    return g_strdup_printf("%.1f s", v);
  return g_strdup_printf("%.0f", v);
}

static void
print_table(JsonObject *o)
{
  gsize n = 0;
  const WbKpiDefinition *defs = wb_kpi_definitions(&n);

  g_print("%s  %s  %s .. %s\n", json_object_get_string_member(o, "scope"),
          json_object_get_string_member(o, "name"), json_object_get_string_member(o, "from"),
          json_object_get_string_member(o, "to"));
  for (gsize i = 0; i < n; i++) {
    JsonNode *node = json_object_get_member(o, defs[i].key);
    if (strcmp(defs[i].key, "service_level") == 0 && node != NULL) {
      JsonObject *sl = json_node_get_object(node);
      g_autofree char *v = format_value(json_object_get_member(sl, "value"), "ratio");
      g_print("  %-20s %-16s %10s  (%" G_GINT64_FORMAT " s, %s)\n", defs[i].key, defs[i].label_zh,
              v, json_object_get_int_member(sl, "threshold_s"),
              json_object_get_string_member(sl, "variant"));
      continue;
    }
    if (node == NULL)
      continue;
    g_autofree char *v = format_value(node, defs[i].unit);
    if (v != NULL)
      g_print("  %-20s %-16s %10s\n", defs[i].key, defs[i].label_zh, v);
  }
  const char *objects[] = {"state_s", "pause_s"};
  for (gsize k = 0; k < G_N_ELEMENTS(objects); k++) {
    if (!json_object_has_member(o, objects[k]))
      continue;
    JsonObject *sub = json_object_get_object_member(o, objects[k]);
    g_autoptr(GList) names = json_object_get_members(sub);
    for (GList *l = names; l != NULL; l = l->next)
      g_print("  %-20s %-16s %8.0f s\n", objects[k], (const char *)l->data,
              json_object_get_double_member(sub, l->data));
  }
}

static int
cmd_kpi(const Options *o)
{
  WbEngine e = {.lock_fd = -1};
  WbScope scope;
  WbQueryResult r;
  gint64 from, to;
  g_autoptr(GError) error = NULL;

  if (!wb_scope_parse(o->scope, &scope)) {
    g_printerr("wallboardctl: --scope: expected total, queue:NAME or agent:KEY\n");
    return 2;
  }
  if (!open_engine(&e, o, FALSE, &error)) {
    g_printerr("wallboardctl: %s\n", error->message);
    close_engine(&e);
    return 1;
  }
  gint64 now = wb_clock_now_ms(&e.clock);
  from = wb_day_start_ms(e.tz, now);
  to = wb_day_end_ms(e.tz, now);
  if ((o->from != NULL && !wb_time_parse(e.tz, o->from, &from)) ||
      (o->to != NULL && !wb_time_parse(e.tz, o->to, &to)) || from >= to) {
    g_printerr("wallboardctl: --from/--to: ISO-8601 times or epoch ms, from before to\n");
    close_engine(&e);
    return 2;
  }
  WbKpiSettings settings = wb_query_settings(e.cfg, &scope);
  const char *asked[][2] = {
      {"sl_variant", o->sl_variant},
      {"sl_threshold_s", o->sl_threshold_s},
      {"short_abandon_s", o->short_abandon_s},
      {"sl_exclude_short_abandons", o->sl_exclude_short_abandons ? "true" : NULL}};
  for (gsize i = 0; i < G_N_ELEMENTS(asked); i++)
    if (asked[i][1] != NULL &&
        !wb_config_kpi_override(&settings, asked[i][0], asked[i][1], &error)) {
      g_printerr("wallboardctl: %s\n", error->message);
      close_engine(&e);
      return 2;
    }
  if (!wb_query_kpi(e.store, e.cfg, e.live, now, &scope, from, to, &settings, &r, &error)) {
    g_printerr("wallboardctl: kpi: %s\n", error->message);
    close_engine(&e);
    return 1;
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  wb_kpi_json_result(b, &r, e.cfg, e.tz);
  wb_query_result_clear(&r);
  if (o->json) {
    g_autofree char *text = wb_kpi_json_to_string(b);
    g_print("%s\n", text);
  } else {
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    print_table(json_node_get_object(root));
  }
  close_engine(&e);
  return 0;
}

/* ---- graph ---- */

/* The configuration alone: a graph reads the RRD files, not the store, so
 * it works beside a running daemon and on a copy of its directory. */
static WbConfig *
graph_config(const Options *o, GError **error)
{
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  if (o->config != NULL && !wb_config_load_file(cfg, o->config, error))
    return NULL;
  if (o->state_dir != NULL && !wb_config_set(cfg, "store", "state_dir", o->state_dir, error))
    return NULL;
  return g_steal_pointer(&cfg);
}

/* [rrd] dir, or <state_dir>/rrd as the daemon has it (engine/engine.c). */
static char *
graph_rrd_dir(const WbConfig *cfg)
{
  if (cfg->rrd_dir != NULL && *cfg->rrd_dir != '\0')
    return g_strdup(cfg->rrd_dir);
  g_autofree char *state_dir = wb_engine_state_dir(cfg);
  return g_build_filename(state_dir, "rrd", NULL);
}

/* A metric's name in Chinese, from the KPI registry or the agent states:
 * the labels of the wallboard and the reports. */
static const char *
metric_label_zh(const char *metric)
{
  gsize n = 0;
  const WbKpiDefinition *defs = wb_kpi_definitions(&n);
  for (gsize i = 0; i < n; i++)
    if (strcmp(defs[i].key, metric) == 0)
      return defs[i].label_zh;
  for (int s = 0; s < WB_AGENT_STATE_COUNT; s++)
    if (strcmp(wb_agent_state_name((WbAgentState)s), metric) == 0)
      return wb_agent_state_label_zh((WbAgentState)s);
  return metric;
}

/* "5 分钟": a step in words, for the vertical label. */
static char *
step_text_zh(gint64 step_s)
{
  if (step_s % 86400 == 0)
    return g_strdup_printf("%" G_GINT64_FORMAT " 天", step_s / 86400);
  if (step_s % 3600 == 0)
    return g_strdup_printf("%" G_GINT64_FORMAT " 小时", step_s / 3600);
  if (step_s % 60 == 0)
    return g_strdup_printf("%" G_GINT64_FORMAT " 分钟", step_s / 60);
  return g_strdup_printf("%" G_GINT64_FORMAT " 秒", step_s);
}

/* The unit of a metric as drawn: counts per step, the service level in
 * percent, waits in seconds, agents, calls. */
static char *
metric_unit_zh(WbRrdDs ds, gint64 step_s)
{
  if (wb_rrd_ds_is_count(ds)) {
    g_autofree char *step = step_text_zh(step_s);
    return g_strdup_printf("来电数 / %s", step);
  }
  switch (ds) {
  case WB_RRD_SERVICE_LEVEL: return g_strdup("%");
  case WB_RRD_LONGEST_WAIT: return g_strdup("秒");
  case WB_RRD_WAITING: return g_strdup("来电数");
  default: return g_strdup("坐席数");
  }
}

/* The --metric options, split at commas, checked against the archive's
 * data sources. */
static gboolean
graph_metrics(const Options *o, GPtrArray *metrics, GError **error)
{
  for (char **m = o->metrics; m != NULL && *m != NULL; m++) {
    g_auto(GStrv) parts = g_strsplit(*m, ",", -1);
    for (char **p = parts; *p != NULL; p++) {
      const char *name = g_strstrip(*p);
      WbRrdDs ds;
      if (*name == '\0')
        continue;
      if (!wb_rrd_ds_from_name(name, &ds)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--metric: unknown metric '%s'", name);
        return FALSE;
      }
      if (metrics->len == WB_RRD_GRAPH_MAX_METRICS) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--metric: at most %d metrics in one graph", WB_RRD_GRAPH_MAX_METRICS);
        return FALSE;
      }
      g_ptr_array_add(metrics, g_strdup(name));
    }
  }
  if (metrics->len == 0) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "--metric: at least one of waiting, longest_wait_s, available, ringing, "
                "on_call, acw, paused, offline, offered, answered, abandoned, service_level");
    return FALSE;
  }
  return TRUE;
}

/* PNG or SVG, by the output file's extension. */
static const char *
graph_format(const char *out)
{
  const char *dot = out != NULL ? strrchr(out, '.') : NULL;
  if (dot != NULL && g_ascii_strcasecmp(dot, ".png") == 0)
    return "PNG";
  if (dot != NULL && g_ascii_strcasecmp(dot, ".svg") == 0)
    return "SVG";
  return NULL;
}

/* The vertical label: the metrics' units, each once, in their order. */
static char *
graph_vertical_label(const WbRrdGraphOptions *g, gint64 step_s)
{
  g_autoptr(GPtrArray) units = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < WB_RRD_GRAPH_MAX_METRICS && g->metrics[i] != NULL; i++) {
    WbRrdDs ds = WB_RRD_WAITING;
    wb_rrd_ds_from_name(g->metrics[i], &ds);
    char *unit = metric_unit_zh(ds, step_s);
    if (g_ptr_array_find_with_equal_func(units, unit, g_str_equal, NULL))
      g_free(unit);
    else
      g_ptr_array_add(units, unit);
  }
  g_ptr_array_add(units, NULL);
  return g_strjoinv(" · ", (char **)units->pdata);
}

/* "全部队列 呼入人工量、接通量 2026-11-28 00:00 – 2026-11-29 00:00" */
static char *
graph_title(const WbConfig *cfg, GTimeZone *tz, const WbScope *scope, GPtrArray *labels,
            gint64 from_ms, gint64 to_ms)
{
  const char *name = "全部队列";
  if (scope->kind == WB_SCOPE_QUEUE)
    name = wb_config_queue_name(cfg, scope->key);
  else if (scope->kind == WB_SCOPE_AGENT)
    name = wb_config_agent_name(cfg, scope->key);
  g_autoptr(GDateTime) from_utc = g_date_time_new_from_unix_utc(from_ms / 1000);
  g_autoptr(GDateTime) to_utc = g_date_time_new_from_unix_utc(to_ms / 1000);
  g_autoptr(GDateTime) from = g_date_time_to_timezone(from_utc, tz);
  g_autoptr(GDateTime) to = g_date_time_to_timezone(to_utc, tz);
  g_autofree char *from_text = g_date_time_format(from, "%Y-%m-%d %H:%M");
  g_autofree char *to_text = g_date_time_format(to, "%Y-%m-%d %H:%M");
  g_autoptr(GString) joined = g_string_new(NULL);
  for (guint i = 0; i < labels->len; i++)
    g_string_append_printf(joined, "%s%s", i > 0 ? "、" : "",
                           (const char *)g_ptr_array_index(labels, i));
  return g_strdup_printf("%s %s  %s – %s", name, joined->str, from_text, to_text);
}

static int
graph_fail(const char *what, const GError *error, int rc)
{
  g_printerr("wallboardctl: %s%s\n", what, error->message);
  return rc;
}

static int
cmd_graph(const Options *o)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) metrics = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func(g_free);
  WbScope scope;

  if (!wb_scope_parse(o->scope, &scope)) {
    g_printerr("wallboardctl: --scope: expected total, queue:NAME or agent:KEY\n");
    return 2;
  }
  if (!graph_metrics(o, metrics, &error))
    return graph_fail("", error, 2);
  const char *format = graph_format(o->out);
  if (format == NULL) {
    g_printerr("wallboardctl: --out: a file name ending in .png or .svg\n");
    return 2;
  }
  if (o->width < 0 || o->height < 0) {
    g_printerr("wallboardctl: --width/--height: pixels of the plot area\n");
    return 2;
  }
  g_autoptr(WbConfig) cfg = graph_config(o, &error);
  if (cfg == NULL)
    return graph_fail("", error, 1);
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier(cfg->timezone);
  if (tz == NULL) {
    g_printerr("wallboardctl: [kpi] timezone: unknown time zone '%s'\n", cfg->timezone);
    return 1;
  }
  WbClock clock = {.rate = 1.0};
  gint64 now = wb_clock_now_ms(&clock);
  gint64 from = wb_day_start_ms(tz, now), to = wb_day_end_ms(tz, now);
  if ((o->from != NULL && !wb_time_parse(tz, o->from, &from)) ||
      (o->to != NULL && !wb_time_parse(tz, o->to, &to)) || from >= to) {
    g_printerr("wallboardctl: --from/--to: ISO-8601 times or epoch ms, from before to\n");
    return 2;
  }
  /* rrd_graph draws its time axis in the process's local time: make that
   * the centre's, as --from and --to are. Safe here: no thread runs yet. */
  g_setenv("TZ", cfg->timezone, TRUE);
  tzset();

  char scope_text[WB_EVENT_ID_MAX + 8];
  wb_scope_format(&scope, scope_text, sizeof(scope_text));
  g_autofree char *rrd_dir = graph_rrd_dir(cfg);
  WbRrdGraphOptions g = {
      .rrd_dir = rrd_dir,
      .scope = scope_text,
      .cf = o->cf,
      .from_s = from / 1000,
      .to_s = (to + 999) / 1000,
      .width = (guint)o->width,
      .height = (guint)o->height,
      .format = format,
      .daemon_addr = cfg->rrd_daemon,
  };
  for (guint i = 0; i < metrics->len; i++) {
    g.metrics[i] = g_ptr_array_index(metrics, i);
    const char *zh = metric_label_zh(g.metrics[i]);
    g_ptr_array_add(labels, strcmp(g.metrics[i], "service_level") == 0
                                ? g_strdup_printf("%s (%%)", zh)
                                : g_strdup(zh));
    g.labels[i] = g_ptr_array_index(labels, i);
  }
  g_autofree char *vertical = graph_vertical_label(&g, wb_rrd_graph_step(&g));
  g_autofree char *title =
      o->title != NULL ? g_strdup(o->title) : graph_title(cfg, tz, &scope, labels, from, to);
  g.vertical_label = vertical;
  g.title = title;

  g_autoptr(GBytes) image = wb_rrd_graph_render(&g, &error);
  if (image == NULL)
    return graph_fail(
        "", error, g_error_matches(error, WB_RRD_GRAPH_ERROR, WB_RRD_GRAPH_ERROR_INVALID) ? 2 : 1);
  gsize len = 0;
  const char *data = g_bytes_get_data(image, &len);
  if (!g_file_set_contents(o->out, data, (gssize)len, &error))
    return graph_fail("--out: ", error, 1);
  g_print("%s: %s graph of %s, %s, %" G_GSIZE_FORMAT " bytes\n", o->out, format, scope_text, title,
          len);
  return 0;
}

/* A command line tool speaks through its output; only warnings and worse
 * go to stderr beside it. */
static GLogWriterOutput
log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  (void)user_data;
  if ((level & G_LOG_LEVEL_MASK) > G_LOG_LEVEL_WARNING)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default(level, fields, n_fields, NULL);
}

int
main(int argc, char **argv)
{
  Options o = {0};
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
      {"state-dir", 's', 0, G_OPTION_ARG_FILENAME, &o.state_dir, "State directory", "DIR"},
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o.config, "Configuration file", "FILE"},
      {"scope", 0, 0, G_OPTION_ARG_STRING, &o.scope, "kpi, graph: total, queue:NAME or agent:KEY",
       "S"},
      {"from", 0, 0, G_OPTION_ARG_STRING, &o.from,
       "kpi, graph, coverage: start (ISO-8601), default today", "T"},
      {"to", 0, 0, G_OPTION_ARG_STRING, &o.to,
       "kpi, graph, coverage: end (ISO-8601), default tomorrow", "T"},
      {"sl-variant", 0, 0, G_OPTION_ARG_STRING, &o.sl_variant,
       "kpi: service-level variant instead of the configured one", "V"},
      {"sl-threshold-s", 0, 0, G_OPTION_ARG_STRING, &o.sl_threshold_s,
       "kpi: service-level threshold instead of the configured one", "S"},
      {"short-abandon-s", 0, 0, G_OPTION_ARG_STRING, &o.short_abandon_s,
       "kpi: short-abandon limit instead of the configured one", "S"},
      {"sl-exclude-short-abandons", 0, 0, G_OPTION_ARG_NONE, &o.sl_exclude_short_abandons,
       "kpi: leave short abandons out of the service level", NULL},
      {"json", 0, 0, G_OPTION_ARG_NONE, &o.json, "kpi, coverage: the API's JSON object", NULL},
      {"metric", 'm', 0, G_OPTION_ARG_STRING_ARRAY, &o.metrics,
       "graph: metrics to draw, comma-separated or repeated (offered, service_level, …)", "M"},
      {"cf", 0, 0, G_OPTION_ARG_STRING, &o.cf, "graph: AVERAGE (default), MIN or MAX", "CF"},
      {"width", 0, 0, G_OPTION_ARG_INT, &o.width, "graph: plot width in pixels (800)", "W"},
      {"height", 0, 0, G_OPTION_ARG_INT, &o.height, "graph: plot height in pixels (300)", "H"},
      {"title", 0, 0, G_OPTION_ARG_STRING, &o.title, "graph: title instead of scope and metrics",
       "TEXT"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &o.out,
       "graph: output file, .png or .svg; report: write into this directory instead, unrecorded",
       "FILE"},
      {"period", 0, 0, G_OPTION_ARG_STRING, &o.period,
       "report: 2026-11-28, 2026-11, 2026-Q4, 2026 or 2026-11-01..2026-11-15", "P"},
      {"scheduled", 0, 0, G_OPTION_ARG_NONE, &o.scheduled,
       "report: run by a timer: nothing if the period already has a run", NULL},
      {"dry-run", 0, 0, G_OPTION_ARG_NONE, &o.dry_run,
       "import KIND: check the files and report, store nothing", NULL},
      {"role", 0, 0, G_OPTION_ARG_STRING, &o.role,
       "user add: display, supervisor, manager, admin or auditor", "ROLE"},
      {"display-name", 0, 0, G_OPTION_ARG_STRING, &o.display_name,
       "user add: the name shown for the account", "TEXT"},
      {"password-stdin", 0, 0, G_OPTION_ARG_NONE, &o.password_stdin,
       "user add, passwd: read the password from standard input", NULL},
      {"version", 0, 0, G_OPTION_ARG_NONE, &o.version, "Print the version and exit", NULL},
      {NULL},
  };

  setlocale(LC_ALL, "");
  g_log_set_writer_func(log_writer, NULL, NULL);
  if (sodium_init() < 0)
    return 1;
  /* erlang reads no state and takes options of its own. */
  if (argc >= 2 && strcmp(argv[1], "erlang") == 0)
    return wb_ctl_erlang(argc - 1, argv + 1);
  g_autoptr(GOptionContext) ctx = g_option_context_new(usage);
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    g_printerr("wallboardctl: %s\n", error->message);
    options_clear(&o);
    return 2;
  }
  int rc = 2;
  if (o.version) {
    g_print("wallboardctl %s\n", WB_VERSION);
    rc = 0;
  } else if (argc >= 2 && strcmp(argv[1], "import") == 0) {
    rc = cmd_import(&o, argv + 2, argc - 2);
  } else if (argc >= 2 && strcmp(argv[1], "key") == 0) {
    rc = wb_ctl_key(o.config, o.state_dir, argv + 2, argc - 2);
  } else if (argc >= 2 && strcmp(argv[1], "token") == 0) {
    rc = wb_ctl_token(o.config, o.state_dir, argv + 2, argc - 2);
  } else if (argc >= 2 && strcmp(argv[1], "user") == 0) {
    WbCtlUserOptions uo = {o.role, o.display_name, o.password_stdin};
    rc = wb_ctl_user(o.config, o.state_dir, &uo, argv + 2, argc - 2);
  } else if (argc >= 2 && strcmp(argv[1], "kpi") == 0) {
    rc = cmd_kpi(&o);
  } else if (argc >= 2 && strcmp(argv[1], "coverage") == 0) {
    rc = argc == 2 ? wb_ctl_coverage(o.config, o.state_dir, o.from, o.to, o.json) : 2;
    if (argc > 2)
      g_printerr("wallboardctl: coverage: unexpected argument '%s'\n", argv[2]);
  } else if (argc >= 2 && strcmp(argv[1], "report") == 0) {
    rc =
        argc == 3 ? wb_ctl_report(o.config, o.state_dir, argv[2], o.period, o.out, o.scheduled) : 2;
    if (argc != 3)
      g_printerr("wallboardctl: report: one KIND: daily, monthly, quarterly, annual or thematic\n");
  } else if (argc >= 2 && strcmp(argv[1], "graph") == 0) {
    rc = argc == 2 ? cmd_graph(&o) : 2;
    if (argc > 2)
      g_printerr("wallboardctl: graph: unexpected argument '%s'\n", argv[2]);
  } else {
    g_autofree char *help = g_option_context_get_help(ctx, TRUE, NULL);
    g_printerr("%s", help);
  }
  options_clear(&o);
  return rc;
}
