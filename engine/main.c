/* main.c: wallboardd, the wallboard and KPI streaming daemon.
 *
 * Start-up order matters: the store is opened and the live model rebuilt
 * from it before any collector reads, so the first frame a TV gets already
 * holds today's numbers; the server listens last.
 */
#define G_LOG_DOMAIN "wallboardd"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/ami.h"
#include "collectors/queuelog.h"
#include "collectors/sim.h"
#include "engine/alerts.h"
#include "engine/audit.h"
#include "engine/auth.h"
#include "engine/demo.h"
#include "engine/engine.h"
#include "engine/event_fields.h"
#include "engine/notify.h"
#include "engine/reload.h"
#include "engine/report/reports.h"
#include "engine/sampler.h"
#include "engine/server.h"
#include "engine/topics.h"
#include "engine/workforce/holidays.h"
#include "wb-build-config.h"

#define PRUNE_INTERVAL_S 60
/* The audit trail's old rows are removed at start and then daily. */
#define AUDIT_PRUNE_INTERVAL_S 86400
/* How often systemd's STATUS= line (systemctl status) is renewed. */
#define NOTIFY_STATUS_S 5
/* How long the daemon's writes wait for another connection's lock. */
#define DAEMON_BUSY_MS 100

typedef struct Options Options;

typedef struct {
  WbEngine engine;
  const Options *opts; /* to read the configuration again on SIGHUP */
  WbNotify *notify;
  /* Configurations a reload replaced: kept until exit, as a module may
   * still hold a pointer into one (a queue's name in a built view). */
  GPtrArray *retired;
  guint64 status_events; /* events applied at the last STATUS= line */
  gint64 status_us;
  GMainLoop *loop;
  WbServer *server;
  WbSim *sim;
  WbSampler *sampler;
  WbAgentMap *agents;
  GLogLevelFlags log_limit;
  gboolean stopping;
  int exit_code;
} Daemon;

struct Options {
  char *config;
  char *listen;
  char *state_dir;
  char **queue_logs;
  gboolean demo;
  gboolean no_demo;
  gboolean print_config;
  gboolean print_config_docs;
  gboolean print_kpi_docs;
  gboolean print_event_docs;
  gboolean version;
};

static GLogWriterOutput
log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  Daemon *d = user_data;
  /* Lower levels have higher bits: G_LOG_LEVEL_DEBUG is the largest.
   * Atomic: report runs log from their thread while SIGHUP may change it. */
  if ((level & G_LOG_LEVEL_MASK) > (GLogLevelFlags)g_atomic_int_get((gint *)&d->log_limit))
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default(level, fields, n_fields, NULL);
}

static GLogLevelFlags
log_limit_from_name(const char *name)
{
  if (g_strcmp0(name, "debug") == 0)
    return G_LOG_LEVEL_DEBUG;
  if (g_strcmp0(name, "info") == 0)
    return G_LOG_LEVEL_INFO;
  if (g_strcmp0(name, "warning") == 0)
    return G_LOG_LEVEL_WARNING;
  return G_LOG_LEVEL_MESSAGE;
}

static gboolean
parse_options(int *argc, char ***argv, Options *o, GError **error)
{
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config, "Configuration file (GKeyFile)",
       "FILE"},
      {"listen", 'l', 0, G_OPTION_ARG_STRING, &o->listen, "Listen on HOST:PORT", "HOST:PORT"},
      {"state-dir", 's', 0, G_OPTION_ARG_FILENAME, &o->state_dir,
       "Directory for the database and tokens", "DIR"},
      {"queue-log", 'q', 0, G_OPTION_ARG_FILENAME_ARRAY, &o->queue_logs,
       "Asterisk queue_log file to tail (repeatable, read in order)", "PATH"},
      {"demo", 0, 0, G_OPTION_ARG_NONE, &o->demo, "Generate demo traffic", NULL},
      {"no-demo", 0, 0, G_OPTION_ARG_NONE, &o->no_demo, "No demo traffic", NULL},
      {"print-config", 0, 0, G_OPTION_ARG_NONE, &o->print_config,
       "Print the commented example configuration and exit", NULL},
      {"print-config-docs", 0, 0, G_OPTION_ARG_NONE, &o->print_config_docs,
       "Print docs/configuration.md and exit", NULL},
      {"print-kpi-docs", 0, 0, G_OPTION_ARG_NONE, &o->print_kpi_docs, "Print docs/kpi.md and exit",
       NULL},
      {"print-event-docs", 0, 0, G_OPTION_ARG_NONE, &o->print_event_docs,
       "Print docs/events.md and exit", NULL},
      {"version", 0, 0, G_OPTION_ARG_NONE, &o->version, "Print the version and exit", NULL},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("- wallboard and KPI streaming engine of the 12367 hotline");
  g_option_context_add_main_entries(ctx, entries, NULL);
  return g_option_context_parse(ctx, argc, argv, error);
}

static gboolean
apply_options(WbConfig *cfg, const Options *o, GError **error)
{
  if (o->config != NULL && !wb_config_load_file(cfg, o->config, error))
    return FALSE;
  if (o->listen != NULL && !wb_config_set(cfg, "server", "listen", o->listen, error))
    return FALSE;
  if (o->state_dir != NULL && !wb_config_set(cfg, "store", "state_dir", o->state_dir, error))
    return FALSE;
  if (o->queue_logs != NULL) {
    g_autofree char *joined = g_strjoinv(";", o->queue_logs);
    if (!wb_config_set(cfg, "queue_log", "paths", joined, error))
      return FALSE;
  }
  if (o->demo && o->no_demo) {
    g_set_error(error, WB_CONFIG_ERROR, WB_CONFIG_ERROR_INVALID,
                "--demo and --no-demo exclude each other");
    return FALSE;
  }
  if (o->demo || o->no_demo)
    cfg->demo = o->demo;
  return TRUE;
}

static gint64
sim_clock(gpointer user_data)
{
  return wb_sim_now_ms(user_data);
}

/* The demo's agents and queues, named unless the file names them. */
static void
add_demo_names(WbConfig *cfg)
{
  gsize n = 0;
  const WbSimAgent *agents = wb_sim_agents(&n);
  for (gsize i = 0; i < n; i++)
    wb_config_add_agent(cfg, agents[i].key, agents[i].name);
  const WbSimQueue *queues = wb_sim_queues(&n);
  for (gsize i = 0; i < n; i++)
    wb_config_add_queue(cfg, queues[i].key, queues[i].name);
}

static gboolean
start_demo(Daemon *d, GPtrArray *paths, GError **error)
{
  WbEngine *e = &d->engine;

  add_demo_names(e->cfg);

  g_autofree char *dir = g_build_filename(e->state_dir, "demo", NULL);
  if (g_mkdir_with_parents(dir, 0700) != 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s", dir,
                g_strerror(errno));
    return FALSE;
  }
  g_autofree char *path = g_build_filename(dir, "queue_log", NULL);
  WbSimOptions opts = {
      .path = path,
      .seed = (guint64)e->cfg->demo_seed,
      .speed = e->cfg->demo_speed,
      .tz = e->tz,
      /* A week and a day: the trend compares today with the same weekday
       * of last week. */
      .history_days = 8,
  };
  d->sim = wb_sim_start(&opts, error);
  if (d->sim == NULL)
    return FALSE;
  e->clock.func = sim_clock;
  e->clock.user_data = d->sim;
  e->clock.rate = e->cfg->demo_speed;
  /* The staff and the roster the simulated agents work to: a week ahead,
   * and back as far as the traffic's history. */
  if (!wb_demo_records(e, (guint64)e->cfg->demo_seed, wb_clock_now_ms(&e->clock), opts.history_days,
                       7, error))
    return FALSE;
  g_ptr_array_add(paths, g_steal_pointer(&path));
  g_message("demo: traffic of the 12367 hotline simulated (seed %" G_GINT64_FORMAT ", speed %gx)",
            e->cfg->demo_seed, e->cfg->demo_speed);
  return TRUE;
}

/* [ami] enabled: the manager-interface client, beside or instead of queue_log. */
static gboolean
start_ami(Daemon *d, GError **error)
{
  WbEngine *e = &d->engine;
  WbConfig *cfg = e->cfg;
  WbAmiAuth auth;

  if (!wb_ami_auth_from_name(cfg->ami_auth, &auth)) {
    g_set_error(error, WB_CONFIG_ERROR, WB_CONFIG_ERROR_INVALID,
                "[ami] auth: '%s' is not plain or md5", cfg->ami_auth);
    return FALSE;
  }
  if (d->agents == NULL)
    d->agents = wb_config_agent_map(cfg);
  WbAmiOptions ao = {
      .host = cfg->ami_host,
      .port = (guint16)cfg->ami_port,
      .username = cfg->ami_username,
      .secret = cfg->ami_secret,
      .auth = auth,
      .tls = cfg->ami_tls,
      .tls_ca = cfg->ami_tls_ca,
      .summary_s = (guint)cfg->ami_summary_s,
      .keepalive_s = (guint)cfg->ami_keepalive_s,
      .reconnect_max_s = (guint)cfg->ami_reconnect_max_s,
      .sink = wb_bus_sink(e->bus),
      .agents = d->agents,
  };
  WbCollector *c = wb_ami_start(&ao, error);
  if (c == NULL)
    return FALSE;
  g_ptr_array_add(e->collectors, c);
  g_message("collectors: AMI client for %s:%d as '%s'", cfg->ami_host, cfg->ami_port,
            cfg->ami_username);
  return TRUE;
}

static gboolean
start_collectors(Daemon *d, GError **error)
{
  WbEngine *e = &d->engine;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);

  for (char **p = e->cfg->queue_logs; p != NULL && *p != NULL; p++)
    g_ptr_array_add(paths, g_strdup(*p));
  if (e->demo && !start_demo(d, paths, error))
    return FALSE;
  if (e->cfg->ami_enabled && !start_ami(d, error))
    return FALSE;
  if (paths->len == 0) {
    if (!e->cfg->ami_enabled)
      g_message("collectors: no queue_log configured (--queue-log, [queue_log] paths)");
    return TRUE;
  }
  g_ptr_array_add(paths, NULL);
  if (d->agents == NULL)
    d->agents = wb_config_agent_map(e->cfg);
  WbQueuelogOptions qo = {
      .paths = (const char *const *)paths->pdata,
      .sink = wb_bus_sink(e->bus),
      .agents = d->agents,
      .poll_ms = (guint)e->cfg->poll_ms,
  };
  WbCollector *c = wb_queuelog_start(&qo, error);
  if (c == NULL)
    return FALSE;
  g_ptr_array_add(e->collectors, c);
  return TRUE;
}

static gboolean
on_prune(gpointer data)
{
  Daemon *d = data;
  wb_live_prune(d->engine.live);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_prune_audit(gpointer data)
{
  Daemon *d = data;
  WbEngine *e = &d->engine;
  g_autoptr(GError) error = NULL;
  gint64 before = g_get_real_time() / 1000 - e->cfg->auth_audit_keep_days * 86400000LL;
  gint64 n = wb_audit_prune(e->store, before, &error);
  if (n < 0)
    g_warning("audit: %s", error->message);
  else if (n > 0)
    g_message("audit: %" G_GINT64_FORMAT " rows older than %d days removed", n,
              e->cfg->auth_audit_keep_days);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_server_stopped(gpointer data)
{
  Daemon *d = data;
  g_main_loop_quit(d->loop);
  return G_SOURCE_REMOVE;
}

static void
stop_ingest(Daemon *d)
{
  WbEngine *e = &d->engine;
  g_autoptr(GError) error = NULL;

  if (d->sim != NULL)
    wb_sim_stop(d->sim);
  if (d->sampler != NULL) {
    wb_sampler_stop(d->sampler);
    if (!wb_sampler_flush(d->sampler, &error))
      g_warning("shutdown: RRD flush failed: %s", error->message);
    g_clear_error(&error);
  }
  for (guint i = 0; e->collectors != NULL && i < e->collectors->len; i++) {
    WbCollector *c = g_ptr_array_index(e->collectors, i);
    c->ops->stop(c);
  }
  if (e->bus != NULL) {
    wb_bus_retry_now(e->bus);
    if (!wb_bus_flush(e->bus, &error))
      g_warning("shutdown: final commit failed (file sources are read again from the last "
                "committed line at the next start): %s",
                error->message);
  }
}

static gboolean
on_signal(gpointer data)
{
  Daemon *d = data;

  if (d->stopping)
    return G_SOURCE_CONTINUE;
  d->stopping = TRUE;
  wb_notify_stopping(d->notify);
  g_message("shutting down: committing what was read, closing connections");
  stop_ingest(d);
  if (d->server != NULL)
    wb_server_stop(d->server, on_server_stopped, d);
  else
    g_main_loop_quit(d->loop);
  return G_SOURCE_CONTINUE;
}

/* The file and the command line again, as at start. */
static WbConfig *
load_config(Daemon *d, GError **error)
{
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  if (!apply_options(cfg, d->opts, error))
    return NULL;
  if (d->engine.demo)
    add_demo_names(cfg);
  return g_steal_pointer(&cfg);
}

static void
audit_reload(Daemon *d, const char *detail, const WbReloadChanges *c)
{
  WbEngine *e = &d->engine;
  g_autoptr(GError) error = NULL;
  gboolean ok = c != NULL ? wb_reload_audit(e, "SIGHUP", d->opts->config, c, &error)
                          : wb_audit_log(e->store, g_get_real_time() / 1000, "SIGHUP",
                                         WB_AUDIT_CONFIG, d->opts->config, detail, NULL, &error);
  if (!ok)
    g_warning("audit: %s", error->message);
}

/* SIGHUP: the configuration file again, applied without a restart
 * (engine/reload.h); a file that does not load leaves everything as it
 * was. */
static void
reload(Daemon *d)
{
  WbEngine *e = &d->engine;
  g_autoptr(GError) error = NULL;
  WbReloadChanges c = {0};

  g_autoptr(WbConfig) next = load_config(d, &error);
  if (next == NULL || !wb_reload_apply(e, next, &c, &error)) {
    g_warning("config reload: %s: the running configuration is kept", error->message);
    g_autofree char *detail = g_strconcat("rejected: ", error->message, NULL);
    audit_reload(d, detail, NULL);
    return;
  }
  g_ptr_array_add(d->retired, g_steal_pointer(&next));
  for (guint i = 0; i < c.restart->len; i++)
    g_warning("config reload: %s changed: needs a restart",
              (const char *)g_ptr_array_index(c.restart, i));
  g_atomic_int_set((gint *)&d->log_limit, (gint)log_limit_from_name(e->cfg->log_level));
  g_autofree char *detail = wb_reload_describe(&c);
  g_message("config reload: %s", detail);
  audit_reload(d, NULL, &c);
  wb_reload_changes_clear(&c);
}

static gboolean
on_reload(gpointer data)
{
  Daemon *d = data;

  if (d->stopping)
    return G_SOURCE_CONTINUE;
  wb_notify_reloading(d->notify);
  reload(d);
  wb_notify_ready(d->notify);
  wb_notify_status(d->notify);
  return G_SOURCE_CONTINUE;
}

/* systemctl status's line: the ingest rate since the last line, the
 * WebSocket sessions, the calls waiting in every queue. */
static char *
status_text(gpointer data)
{
  Daemon *d = data;
  WbEngine *e = &d->engine;
  WbLiveStats st;
  wb_live_stats(e->live, &st);
  gint64 now_us = g_get_monotonic_time();
  guint64 n = st.applied - d->status_events;
  gdouble span_s = (gdouble)(now_us - d->status_us) / 1e6;
  d->status_events = st.applied;
  d->status_us = now_us;
  g_autoptr(WbLiveView) view = wb_live_view(e->live, wb_clock_now_ms(&e->clock));
  return g_strdup_printf("ingest %.1f events/s (%" G_GUINT64_FORMAT " in %.1f s), sessions %u, "
                         "calls waiting %d",
                         span_s > 0 ? (gdouble)n / span_s : 0.0, n, span_s,
                         e->topics != NULL ? wb_topics_sessions(e->topics) : 0,
                         view->total.waiting);
}

static void
notify_ready(Daemon *d)
{
  WbLiveStats st;
  wb_live_stats(d->engine.live, &st);
  d->status_events = st.applied;
  d->status_us = g_get_monotonic_time();
  wb_notify_start(d->notify, NOTIFY_STATUS_S, status_text, d);
  wb_notify_ready(d->notify);
  wb_notify_status(d->notify);
}

static void
write_url_file(Daemon *d)
{
  g_autofree char *path = g_build_filename(d->engine.state_dir, "wallboardd.url", NULL);
  g_autofree char *text = g_strconcat(wb_server_url(d->server), "\n", NULL);
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents(path, text, -1, &error))
    g_warning("cannot write %s: %s", path, error->message);
}

static void
daemon_clear(Daemon *d)
{
  WbEngine *e = &d->engine;

  g_clear_pointer(&d->notify, wb_notify_free);
  g_clear_pointer(&d->server, wb_server_free);
  g_clear_pointer(&d->sampler, wb_sampler_free);
  g_clear_pointer(&e->reports, wb_reports_free);
  g_clear_pointer(&e->alerts, wb_alerts_free);
  wb_engine_clear(e);
  g_clear_pointer(&d->sim, wb_sim_free);
  g_clear_pointer(&d->agents, wb_agent_map_free);
  g_clear_pointer(&e->cfg, wb_config_free);
  g_clear_pointer(&d->retired, g_ptr_array_unref);
  g_clear_pointer(&d->loop, g_main_loop_unref);
}

static int
run(Daemon *d)
{
  WbEngine *e = &d->engine;
  g_autoptr(GError) error = NULL;

  d->loop = g_main_loop_new(NULL, FALSE);
  d->notify = wb_notify_new();
  d->retired = g_ptr_array_new_with_free_func((GDestroyNotify)wb_config_free);
  e->started_us = g_get_monotonic_time();
  e->demo = e->cfg->demo;
  e->clock.rate = 1.0;
  /* Collectors only read once the loop runs, after the rebuild. */
  if (!wb_engine_open(e, TRUE, &error) || !start_collectors(d, &error) ||
      !wb_engine_rebuild(e, &error)) {
    g_printerr("wallboardd: %s\n", error->message);
    return 1;
  }
  /* Rules are checked before anything is served; open alerts go on. */
  e->alerts = wb_alerts_new(e->store, e->cfg, e->tz, wb_clock_now_ms(&e->clock), &error);
  if (e->alerts == NULL) {
    g_printerr("wallboardd: %s\n", error->message);
    stop_ingest(d);
    return 1;
  }
  e->reports = wb_reports_new(e, &error);
  if (e->reports == NULL) {
    g_printerr("wallboardd: %s\n", error->message);
    stop_ingest(d);
    return 1;
  }
  /* From here the store is written on the main loop, which must not wait
   * seconds for another process's lock (a wallboardctl import, a backup):
   * the wallboard would freeze. A commit that finds the database locked
   * fails at once; the bus holds its batch and writes it again a second
   * later (docs/reliability.md, "Faults"). */
  wb_store_set_busy_timeout(e->store, DAEMON_BUSY_MS);
  d->server = wb_server_start(e, d->loop, &error);
  if (d->server == NULL) {
    g_printerr("wallboardd: %s\n", error->message);
    stop_ingest(d);
    return 1;
  }
  write_url_file(d);
  wb_bus_start_flush(e->bus, (guint)e->cfg->flush_ms);
  wb_alerts_start(e->alerts, e);
  wb_reports_start(e->reports);
  g_timeout_add_seconds(PRUNE_INTERVAL_S, on_prune, d);
  on_prune_audit(d);
  g_timeout_add_seconds(AUDIT_PRUNE_INTERVAL_S, on_prune_audit, d);
  if (e->rrd != NULL) {
    d->sampler = wb_sampler_new(e, e->rrd);
    wb_sampler_start(d->sampler);
  }
  g_unix_signal_add(SIGINT, on_signal, d);
  g_unix_signal_add(SIGTERM, on_signal, d);
  g_unix_signal_add(SIGHUP, on_reload, d);
  notify_ready(d);
  if (e->demo) {
    g_autofree char *token_path = g_build_filename(e->state_dir, "display-token", NULL);
    g_autofree char *token = NULL;
    if (g_file_get_contents(token_path, &token, NULL, NULL))
      g_strstrip(token);
    g_print("wallboard: %swallboard/?token=%s\n", wb_server_url(d->server),
            token != NULL ? token : "");
  }
  g_main_loop_run(d->loop);

  g_autofree char *url_path = g_build_filename(e->state_dir, "wallboardd.url", NULL);
  g_unlink(url_path);
  g_message("stopped");
  return d->exit_code;
}

int
main(int argc, char **argv)
{
  Options o = {0};
  Daemon d = {.engine.lock_fd = -1, .opts = &o};
  g_autoptr(GError) error = NULL;

  setlocale(LC_ALL, "");
  if (sodium_init() < 0) {
    g_printerr("wallboardd: libsodium failed to initialise\n");
    return 1;
  }
  if (!parse_options(&argc, &argv, &o, &error)) {
    g_printerr("wallboardd: %s\n", error->message);
    return 2;
  }
  if (o.version) {
    g_print("wallboardd %s\n", WB_VERSION);
    return 0;
  }
  if (o.print_config || o.print_config_docs || o.print_kpi_docs || o.print_event_docs) {
    g_autofree char *text = o.print_config        ? wb_config_example_file()
                            : o.print_config_docs ? wb_config_docs_markdown()
                            : o.print_kpi_docs    ? wb_kpi_docs_markdown()
                                                  : wb_event_fields_docs_markdown();
    fputs(text, stdout);
    return 0;
  }
  d.engine.cfg = wb_config_new_defaults();
  if (!apply_options(d.engine.cfg, &o, &error)) {
    g_printerr("wallboardd: %s\n", error->message);
    daemon_clear(&d);
    return 2;
  }
  d.log_limit = log_limit_from_name(d.engine.cfg->log_level);
  g_log_set_writer_func(log_writer, &d, NULL);
  /* A mistyped [holidays] file should be seen at start, not first as an
   * error of the roster and attendance pages. */
  {
    g_autoptr(GError) cal_error = NULL;
    const WbConfig *cfg = d.engine.cfg;
    g_autoptr(WbHolidays) cal =
        wb_holidays_open(cfg->holidays_data_dir, cfg->holidays_file, &cal_error);
    if (cal == NULL)
      g_warning("%s: /api/v1/holidays, roster and attendance fail until it is fixed",
                cal_error->message);
  }

  int rc = run(&d);
  daemon_clear(&d);
  g_free(o.config);
  g_free(o.listen);
  g_free(o.state_dir);
  g_strfreev(o.queue_logs);
  return rc;
}
