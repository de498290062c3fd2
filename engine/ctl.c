/* ctl.c: wallboardctl, the command line of the engine.
 *
 *   wallboardctl [--state-dir DIR] [--config FILE] import queue_log FILE...
 *   wallboardctl [--state-dir DIR] [--config FILE] kpi [--scope S] [--from T] [--to T] [--json]
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
#include <unistd.h>

#include "engine/backfill.h"
#include "engine/engine.h"
#include "engine/kpi_json.h"
#include "engine/query.h"
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
}

static const char usage[] =
    "COMMAND\n\n"
    "Commands:\n"
    "  import queue_log FILE...   backfill Asterisk queue_log files (oldest first)\n"
    "  kpi                        KPIs of a scope over a window (default: total, today)";

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

  if (n < 2 || strcmp(args[0], "queue_log") != 0) {
    g_printerr("wallboardctl: usage: import queue_log FILE...\n");
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
      {"scope", 0, 0, G_OPTION_ARG_STRING, &o.scope, "kpi: total, queue:NAME or agent:KEY", "S"},
      {"from", 0, 0, G_OPTION_ARG_STRING, &o.from, "kpi: start (ISO-8601), default today", "T"},
      {"to", 0, 0, G_OPTION_ARG_STRING, &o.to, "kpi: end (ISO-8601), default tomorrow", "T"},
      {"sl-variant", 0, 0, G_OPTION_ARG_STRING, &o.sl_variant,
       "kpi: service-level variant instead of the configured one", "V"},
      {"sl-threshold-s", 0, 0, G_OPTION_ARG_STRING, &o.sl_threshold_s,
       "kpi: service-level threshold instead of the configured one", "S"},
      {"short-abandon-s", 0, 0, G_OPTION_ARG_STRING, &o.short_abandon_s,
       "kpi: short-abandon limit instead of the configured one", "S"},
      {"sl-exclude-short-abandons", 0, 0, G_OPTION_ARG_NONE, &o.sl_exclude_short_abandons,
       "kpi: leave short abandons out of the service level", NULL},
      {"json", 0, 0, G_OPTION_ARG_NONE, &o.json, "kpi: the API's JSON object", NULL},
      {"version", 0, 0, G_OPTION_ARG_NONE, &o.version, "Print the version and exit", NULL},
      {NULL},
  };

  setlocale(LC_ALL, "");
  g_log_set_writer_func(log_writer, NULL, NULL);
  if (sodium_init() < 0)
    return 1;
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
  } else if (argc >= 2 && strcmp(argv[1], "kpi") == 0) {
    rc = cmd_kpi(&o);
  } else {
    g_autofree char *help = g_option_context_get_help(ctx, TRUE, NULL);
    g_printerr("%s", help);
  }
  options_clear(&o);
  return rc;
}
