/* fanout.c: how wallboardd's `wallboard.v1` topics fan out to many
 * WebSocket sessions, against a bare libwebsockets broadcast server
 * (bench/fanout_bare.c) run in the same invocation.
 *
 * For each N of --sessions and each server in turn: start the server fresh,
 * read its RSS, open N sessions (at most CONNECT_INFLIGHT handshakes at a
 * time) that each say hello for the `wallboard` topic, wait for all
 * snapshots, let them idle and read the RSS again, then append ENTERQUEUE
 * lines to the daemon's queue_log (to the bare server: a line on its
 * standard input) at a steady rate, stamping the time of each write. Every
 * frame carries the day's offered calls, so the first frame a session gets
 * whose count reaches line k gives one latency sample: its arrival less the
 * write of line k. A frame that covers several lines gives one sample for
 * each. Prints p50, p99 and max latency, the server's CPU per delivered
 * message over the measured window, its RSS and RSS per idle session, the
 * ratios to the bare server and PASS or OVER against the targets. Exits 0
 * whether targets hold or not; non-zero when a session fails, or does not
 * see every line by the end of the run.
 */
#define G_LOG_DOMAIN "bench"

#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bench/bench_dir.h"
#include "bench/bench_machine.h"

#ifndef WB_BENCH_BUILDTYPE
#define WB_BENCH_BUILDTYPE "unknown"
#endif

/* Handshakes in flight at once: opening is staggered, not a burst of N. */
#define CONNECT_INFLIGHT 64
/* Time for all sessions to connect and get their snapshot: base + per session. */
#define CONNECT_BASE_S 20
#define CONNECT_PER_SESSION_MS 20
/* After the snapshots: sessions idle this long before the RSS is read. */
#define IDLE_S 3
/* After the last line: wait at most this long for every session to see it. */
#define DRAIN_MAX_S 15
/* A server has this long to listen, and to exit after being told to. */
#define START_TIMEOUT_S 30
/* Before the first RSS: wait for the server to be quiet (server_wait_quiet). */
#define QUIET_STEP_US 500000
#define QUIET_CPU_S 0.02
#define QUIET_ANON_KIB 64
#define QUIET_MAX_S 30
#define STOP_TIMEOUT_S 20
/* The service loop wakes at least this often to write lines that are due. */
#define TICK_US 2000
/* The client's read buffer: a wallboard frame (1.5 to 2 KB) in one piece. */
#define RX_BUFFER 8192
/* The frame size the bare server sends when no daemon run gave one. */
#define DEFAULT_FRAME_BYTES 1600
#define TARGET_P99_SESSIONS 1000
#define TARGET_P99_MARGIN_MS 50
#define TARGET_CPU_RATIO 1.5
#define TARGET_RSS_KIB 12.0
#define DEFAULT_UPDATE_MS 250 /* [server] update_ms: the coalescing window */
#define DEFAULT_POLL_MS 50    /* [queue_log] poll_ms */

#define BENCH_ERROR (bench_error_quark())
GQuark bench_error_quark(void);
G_DEFINE_QUARK(wb_bench_fanout_error, bench_error)

typedef enum { SERVER_DAEMON, SERVER_BARE, SERVER_COUNT } ServerKind;

static const char *const server_names[SERVER_COUNT] = {"wallboardd", "bare lws"};

typedef struct {
  char *sessions;
  double rate;
  double seconds;
  char *daemon;
  char *bare;
  gboolean no_bare;
} Options;

/* ---- the server process ------------------------------------------------------ */

typedef struct {
  ServerKind kind;
  char *dir;
  pid_t pid;
  int port;
  char *token;  /* the daemon's display token; "" for the bare server */
  int input_fd; /* where lines go: the queue_log (O_APPEND) or the bare server's stdin */
  long clk_tck;
} Server;

static void
server_clear(Server *s)
{
  if (s->input_fd >= 0)
    close(s->input_fd);
  s->input_fd = -1;
  g_clear_pointer(&s->token, g_free);
  if (s->dir != NULL)
    bench_dir_remove("fanout", s->dir, TRUE);
  g_clear_pointer(&s->dir, g_free);
}

static gboolean
errno_error(GError **error, const char *what, const char *path)
{
  int e = errno;
  g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s %s: %s", what, path,
              g_strerror(e));
  return FALSE;
}

/* fork + exec with stdout and stderr to dir/server.log and, for the bare
 * server, stdin from a pipe. The child inherits the raised fd limit. */
static gboolean
server_spawn(Server *s, char **argv, GError **error)
{
  g_autofree char *log_path = g_build_filename(s->dir, "server.log", NULL);
  int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int pipe_fds[2] = {-1, -1};
  if (log_fd < 0)
    return errno_error(error, "cannot create", log_path);
  if (s->kind == SERVER_BARE && pipe2(pipe_fds, O_CLOEXEC) != 0) {
    close(log_fd);
    return errno_error(error, "pipe for", argv[0]);
  }
  s->pid = fork();
  if (s->pid == 0) {
    if (pipe_fds[0] >= 0)
      dup2(pipe_fds[0], STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execv(argv[0], argv);
    _exit(127);
  }
  close(log_fd);
  if (pipe_fds[0] >= 0)
    close(pipe_fds[0]);
  if (s->pid < 0) {
    if (pipe_fds[1] >= 0)
      close(pipe_fds[1]);
    return errno_error(error, "fork for", argv[0]);
  }
  if (pipe_fds[1] >= 0)
    s->input_fd = pipe_fds[1];
  return TRUE;
}

/* Waits for a file the server writes once it listens; reads it. */
static char *
wait_for_file(Server *s, const char *name, GError **error)
{
  g_autofree char *path = g_build_filename(s->dir, name, NULL);
  gint64 deadline = g_get_monotonic_time() + START_TIMEOUT_S * G_USEC_PER_SEC;
  while (g_get_monotonic_time() < deadline) {
    char *text = NULL;
    if (g_file_get_contents(path, &text, NULL, NULL) && *g_strstrip(text) != '\0')
      return text;
    g_free(text);
    int status;
    if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
      s->pid = -1;
      g_set_error(error, BENCH_ERROR, 0, "%s exited before listening (log in %s)",
                  server_names[s->kind], s->dir);
      return NULL;
    }
    g_usleep(20000);
  }
  g_set_error(error, BENCH_ERROR, 0, "%s did not listen within %d s", server_names[s->kind],
              START_TIMEOUT_S);
  return NULL;
}

static gboolean
server_start(Server *s, ServerKind kind, const Options *opt, gsize frame_bytes, GError **error)
{
  memset(s, 0, sizeof(*s));
  s->kind = kind;
  s->pid = -1;
  s->input_fd = -1;
  s->clk_tck = sysconf(_SC_CLK_TCK);
  s->dir = g_dir_make_tmp("wb-bench-fanout-XXXXXX", error);
  if (s->dir == NULL)
    return FALSE;
  if (kind == SERVER_DAEMON) {
    g_autofree char *ql = g_build_filename(s->dir, "queue_log", NULL);
    s->input_fd = open(ql, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (s->input_fd < 0)
      return errno_error(error, "cannot create", ql);
    char *argv[] = {opt->daemon, "--no-demo",   "--listen", "127.0.0.1:0", "--state-dir",
                    s->dir,      "--queue-log", ql,         NULL};
    if (!server_spawn(s, argv, error))
      return FALSE;
    g_autofree char *url = wait_for_file(s, "wallboardd.url", error);
    if (url == NULL)
      return FALSE;
    const char *colon = strrchr(url, ':');
    s->port = colon != NULL ? atoi(colon + 1) : 0;
    g_autofree char *token_path = g_build_filename(s->dir, "display-token", NULL);
    if (!g_file_get_contents(token_path, &s->token, NULL, error))
      return FALSE;
    g_strstrip(s->token);
  } else {
    g_autofree char *port_file = g_build_filename(s->dir, "port", NULL);
    g_autofree char *bytes = g_strdup_printf("%" G_GSIZE_FORMAT, frame_bytes);
    g_autofree char *window = g_strdup_printf("%d", DEFAULT_UPDATE_MS);
    char *argv[] = {opt->bare, "--port-file", port_file, "--frame-bytes",
                    bytes,     "--window-ms", window,    NULL};
    if (!server_spawn(s, argv, error))
      return FALSE;
    g_autofree char *port = wait_for_file(s, "port", error);
    if (port == NULL)
      return FALSE;
    s->port = atoi(port);
    s->token = g_strdup("");
  }
  if (s->port <= 0) {
    g_set_error(error, BENCH_ERROR, 0, "%s: no port", server_names[kind]);
    return FALSE;
  }
  return TRUE;
}

/* SIGTERM for the daemon, end of input for the bare server; SIGKILL after
 * STOP_TIMEOUT_S. FALSE unless it exits with status 0 (a crash, or a
 * sanitizer's report); its directory, with the log, is then kept. */
static gboolean
server_stop(Server *s, GError **error)
{
  gboolean clean = TRUE;
  if (s->pid > 0) {
    if (s->kind == SERVER_BARE && s->input_fd >= 0) {
      close(s->input_fd);
      s->input_fd = -1;
    } else {
      kill(s->pid, SIGTERM);
    }
    gint64 deadline = g_get_monotonic_time() + STOP_TIMEOUT_S * G_USEC_PER_SEC;
    int status = 0;
    while (waitpid(s->pid, &status, WNOHANG) == 0) {
      if (g_get_monotonic_time() > deadline) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &status, 0);
        break;
      }
      g_usleep(20000);
    }
    s->pid = -1;
    clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!clean) {
      g_set_error(error, BENCH_ERROR, 0,
                  "%s did not exit cleanly (status 0x%x); log in %s/server.log",
                  server_names[s->kind], (unsigned)status, s->dir);
      g_clear_pointer(&s->dir, g_free); /* keep it */
    }
  }
  server_clear(s);
  return clean;
}

/* utime + stime of the server in seconds, from /proc/PID/stat. */
static double
server_cpu_s(const Server *s)
{
  g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)s->pid);
  g_autofree char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL))
    return -1.0;
  const char *p = strrchr(text, ')'); /* the command name may hold spaces */
  if (p == NULL)
    return -1.0;
  g_auto(GStrv) f = g_strsplit(p + 2, " ", 16);
  if (g_strv_length(f) < 13)
    return -1.0;
  /* After the name: state is field 3, utime 14, stime 15. */
  guint64 ticks = g_ascii_strtoull(f[11], NULL, 10) + g_ascii_strtoull(f[12], NULL, 10);
  return (double)ticks / (double)s->clk_tck;
}

typedef struct {
  gint64 rss_kib;  /* VmRSS */
  gint64 anon_kib; /* RssAnon: heap and stacks, without mapped files */
} Rss;

static gint64
status_kib(const char *status, const char *field)
{
  const char *p = strstr(status, field);
  return p != NULL ? g_ascii_strtoll(p + strlen(field), NULL, 10) : -1;
}

/* VmRSS and RssAnon of the server, from /proc/PID/status. */
static Rss
server_rss(const Server *s)
{
  g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)s->pid);
  g_autofree char *text = NULL;
  Rss r = {-1, -1};
  if (g_file_get_contents(path, &text, NULL, NULL)) {
    r.rss_kib = status_kib(text, "\nVmRSS:");
    r.anon_kib = status_kib(text, "\nRssAnon:");
  }
  return r;
}

/* The server's memory once its start-up work is over: the daemon creates
 * its RRD files (librrd builds each in memory first, tens of MB) and
 * computes its first topics after it listens. Quiet means less than
 * QUIET_CPU_S of CPU and QUIET_ANON_KIB of change in RssAnon over a
 * QUIET_STEP_US step, twice in a row; at most QUIET_MAX_S. */
static Rss
server_wait_quiet(const Server *s)
{
  gint64 deadline = g_get_monotonic_time() + QUIET_MAX_S * G_USEC_PER_SEC;
  Rss last = server_rss(s);
  double cpu = server_cpu_s(s);
  int quiet = 0;
  while (quiet < 2 && g_get_monotonic_time() < deadline) {
    g_usleep(QUIET_STEP_US);
    Rss now = server_rss(s);
    double cpu_now = server_cpu_s(s);
    gboolean still =
        cpu_now - cpu < QUIET_CPU_S && ABS(now.anon_kib - last.anon_kib) < QUIET_ANON_KIB;
    quiet = still ? quiet + 1 : 0;
    last = now;
    cpu = cpu_now;
  }
  return last;
}

/* Line k (1-based) to the server: an ENTERQUEUE of a new call, now, to the
 * daemon's queue_log; a line to the bare server's standard input. One
 * write() each, so the daemon never reads half a line. */
static gboolean
server_send_line(Server *s, guint k, GError **error)
{
  char line[160];
  int len;
  if (s->kind == SERVER_DAEMON)
    len = g_snprintf(line, sizeof(line),
                     "%" G_GINT64_FORMAT "|fanout.%u|policy|NONE|ENTERQUEUE||1380000%04u|1\n",
                     g_get_real_time() / G_USEC_PER_SEC, k, k % 10000);
  else
    len = g_snprintf(line, sizeof(line), "%u\n", k);
  if (write(s->input_fd, line, (size_t)len) != len)
    return errno_error(error, "writing a line to", server_names[s->kind]);
  return TRUE;
}

/* ---- the client --------------------------------------------------------------- */

typedef struct Run Run;

typedef struct {
  Run *run;
  struct lws *wsi;
  gboolean connecting, open, snapshot, failed;
  gint64 seen; /* highest counter seen in a frame */
  GByteArray *rx;
} Conn;

typedef struct {
  double connect_s;
  GArray *latency_us; /* guint32, one per session and line */
  guint64 missing;    /* session-lines never seen */
  guint64 messages;   /* frames delivered in the measured window */
  guint64 updates;    /* of them, wallboard updates */
  double window_s;
  double server_cpu_s;
  double client_cpu_s;
  Rss rss_before, rss_idle, rss_busy;
  double frame_bytes; /* mean size of an update frame */
  guint lines;
} Result;

struct Run {
  Server *server;
  guint n;
  struct lws_context *ctx;
  Conn *conns;
  guint started, inflight, snapshots, failures;
  char *hello;
  gint64 base;      /* the counter before the first line */
  gint64 *write_us; /* when line k+1 was written */
  guint written;
  gboolean measuring;
  gboolean closing; /* the client is shutting its sessions */
  guint64 messages, updates, update_bytes;
  Result *res;
  lws_sorted_usec_list_t tick;
};

static double
self_cpu_s(void)
{
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0)
    return 0.0;
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* The day's offered calls in a wallboard frame: "total":{… "offered":N. */
static gint64
frame_counter(const char *text)
{
  const char *total = strstr(text, "\"total\":{");
  const char *offered = total != NULL ? strstr(total, "\"offered\":") : NULL;
  return offered != NULL ? g_ascii_strtoll(offered + strlen("\"offered\":"), NULL, 10) : -1;
}

/* One whole frame: counts it and takes a latency sample for every line
 * it is the first of this session's frames to show. */
static void
conn_frame(Conn *c, const char *text, gsize len)
{
  Run *r = c->run;
  gint64 now = g_get_monotonic_time();
  gboolean snapshot = g_str_has_prefix(text, "{\"t\":\"snapshot\"");
  gboolean update = g_str_has_prefix(text, "{\"t\":\"update\"");

  if (r->measuring) {
    r->messages++;
    if (update) {
      r->updates++;
      r->update_bytes += len;
    }
  }
  if (!snapshot && !update)
    return;
  gint64 counter = frame_counter(text);
  if (snapshot && !c->snapshot) {
    c->snapshot = TRUE;
    c->seen = counter;
    r->snapshots++;
    return;
  }
  for (gint64 k = MAX(c->seen, r->base) + 1; k <= counter; k++) {
    gint64 i = k - r->base - 1;
    if (i < (gint64)r->written) {
      guint32 us = (guint32)MIN(now - r->write_us[i], (gint64)G_MAXUINT32);
      g_array_append_val(r->res->latency_us, us);
    }
  }
  c->seen = MAX(c->seen, counter);
}

static void
conn_receive(Conn *c, struct lws *wsi, const void *in, size_t len)
{
  gboolean whole = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
  if (whole && (c->rx == NULL || c->rx->len == 0)) {
    /* The usual case: the frame came in one piece; add the NUL in a copy. */
    g_autofree char *text = g_strndup(in, len);
    conn_frame(c, text, len);
    return;
  }
  if (c->rx == NULL)
    c->rx = g_byte_array_new();
  g_byte_array_append(c->rx, in, (guint)len);
  if (!whole)
    return;
  g_byte_array_append(c->rx, (const guint8 *)"", 1);
  conn_frame(c, (const char *)c->rx->data, c->rx->len - 1);
  g_byte_array_set_size(c->rx, 0);
}

static int
client_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  Conn *c = lws_get_opaque_user_data(wsi);
  (void)user;
  if (c == NULL)
    return 0;
  Run *r = c->run;

  switch (reason) {
  case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    g_printerr("fanout: session %ld: %s\n", (long)(c - r->conns),
               in != NULL ? (const char *)in : "connection error");
    c->failed = TRUE;
    c->wsi = NULL;
    r->failures++;
    if (c->connecting)
      r->inflight--;
    c->connecting = FALSE;
    break;
  case LWS_CALLBACK_CLIENT_ESTABLISHED:
    c->open = TRUE;
    c->connecting = FALSE;
    r->inflight--;
    lws_callback_on_writable(wsi);
    break;
  case LWS_CALLBACK_CLIENT_WRITEABLE: {
    gsize n = strlen(r->hello);
    g_autofree guint8 *buf = g_malloc(LWS_PRE + n);
    memcpy(buf + LWS_PRE, r->hello, n);
    if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
      return -1;
    break;
  }
  case LWS_CALLBACK_CLIENT_RECEIVE: conn_receive(c, wsi, in, len); break;
  case LWS_CALLBACK_CLIENT_CLOSED:
    if (c->open && !c->failed && !r->closing) {
      c->failed = TRUE;
      r->failures++;
      g_printerr("fanout: session %ld closed by the server\n", (long)(c - r->conns));
    }
    c->open = FALSE;
    c->wsi = NULL;
    break;
  default: break;
  }
  return 0;
}

static const struct lws_protocols client_protocols[] = {
    {"wallboard.v1", client_callback, 0, RX_BUFFER, 0, NULL, 0}, {NULL, NULL, 0, 0, 0, NULL, 0}};

/* Keeps lws_service() returning at least every TICK_US, so that lines are
 * written when due and phases change on time. */
static void
on_tick(lws_sorted_usec_list_t *sul)
{
  Run *r = lws_container_of(sul, Run, tick);
  lws_sul_schedule(r->ctx, 0, &r->tick, on_tick, TICK_US);
}

static void
open_more(Run *r)
{
  while (r->started < r->n && r->inflight < CONNECT_INFLIGHT) {
    Conn *c = &r->conns[r->started++];
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = r->ctx;
    ci.address = "127.0.0.1";
    ci.port = r->server->port;
    ci.path = "/";
    ci.host = "127.0.0.1";
    ci.origin = "127.0.0.1";
    ci.protocol = "wallboard.v1";
    ci.local_protocol_name = "wallboard.v1";
    ci.opaque_user_data = c;
    ci.pwsi = &c->wsi;
    c->run = r;
    c->connecting = TRUE;
    r->inflight++;
    if (lws_client_connect_via_info(&ci) == NULL && c->connecting) {
      /* Failed before any callback. */
      c->connecting = FALSE;
      c->failed = TRUE;
      r->inflight--;
      r->failures++;
    }
  }
}

/* Serves the sessions until done(r) or the deadline; FALSE on timeout. */
static gboolean
serve_until(Run *r, gint64 deadline_us, gboolean (*done)(Run *r))
{
  while (!done(r)) {
    if (g_get_monotonic_time() > deadline_us)
      return FALSE;
    lws_service(r->ctx, 0);
  }
  return TRUE;
}

static gboolean
all_snapshots(Run *r)
{
  open_more(r);
  return r->failures > 0 || r->snapshots == r->n;
}

static gboolean
never(Run *r)
{
  (void)r;
  return FALSE;
}

/* Whether every session has seen every line written. */
static gboolean
all_seen(Run *r)
{
  for (guint i = 0; i < r->n; i++)
    if (r->conns[i].seen < r->base + (gint64)r->written)
      return FALSE;
  return TRUE;
}

static gboolean
fail_sessions(Run *r, const char *when, GError **error)
{
  g_set_error(error, BENCH_ERROR, 0, "%s, %u sessions: %u of %u failed %s (%u snapshots)",
              server_names[r->server->kind], r->n, r->failures, r->started, when, r->snapshots);
  return FALSE;
}

/* Lines at opt->rate for opt->seconds, each stamped as it is written. */
static gboolean
write_lines(Run *r, const Options *opt, GError **error)
{
  guint lines = r->res->lines;
  gint64 t0 = g_get_monotonic_time();
  while (r->written < lines) {
    gint64 due = t0 + (gint64)(r->written * G_USEC_PER_SEC / opt->rate);
    if (g_get_monotonic_time() >= due) {
      r->write_us[r->written] = g_get_monotonic_time();
      if (!server_send_line(r->server, r->written + 1, error))
        return FALSE;
      r->written++;
      continue;
    }
    lws_service(r->ctx, 0);
    if (r->failures > 0)
      return fail_sessions(r, "while lines were written", error);
  }
  return TRUE;
}

static gboolean
measure(Run *r, const Options *opt, GError **error)
{
  Result *res = r->res;
  gint64 t0 = g_get_monotonic_time();
  double cpu0 = server_cpu_s(r->server), self0 = self_cpu_s();

  r->measuring = TRUE;
  if (!write_lines(r, opt, error))
    return FALSE;
  gboolean seen = serve_until(r, g_get_monotonic_time() + DRAIN_MAX_S * G_USEC_PER_SEC, all_seen);
  r->measuring = FALSE;
  res->window_s = (g_get_monotonic_time() - t0) / 1e6;
  res->server_cpu_s = server_cpu_s(r->server) - cpu0;
  res->client_cpu_s = self_cpu_s() - self0;
  res->rss_busy = server_rss(r->server);
  res->messages = r->messages;
  res->updates = r->updates;
  res->frame_bytes = r->updates > 0 ? (double)r->update_bytes / r->updates : 0.0;
  for (guint i = 0; i < r->n; i++)
    res->missing += (guint64)MAX(r->base + (gint64)r->written - r->conns[i].seen, 0);
  if (r->failures > 0)
    return fail_sessions(r, "while lines were written", error);
  if (!seen) {
    g_set_error(error, BENCH_ERROR, 0,
                "%s, %u sessions: %" G_GUINT64_FORMAT
                " session-lines not seen %d s after the last line",
                server_names[r->server->kind], r->n, res->missing, DRAIN_MAX_S);
    return FALSE;
  }
  /* Each session gives exactly one sample per line. */
  if (res->latency_us->len != (guint64)r->n * r->written) {
    g_set_error(error, BENCH_ERROR, 0, "%s, %u sessions: %u latency samples for %u lines",
                server_names[r->server->kind], r->n, res->latency_us->len, r->written);
    return FALSE;
  }
  return TRUE;
}

static gboolean
run_sessions(Run *r, const Options *opt, GError **error)
{
  Result *res = r->res;
  gint64 t0 = g_get_monotonic_time();
  gint64 limit = t0 + (CONNECT_BASE_S * 1000LL + (gint64)r->n * CONNECT_PER_SESSION_MS) * 1000;

  if (!serve_until(r, limit, all_snapshots) || r->failures > 0)
    return fail_sessions(r, "to connect and get a snapshot", error);
  res->connect_s = (g_get_monotonic_time() - t0) / 1e6;
  serve_until(r, g_get_monotonic_time() + IDLE_S * G_USEC_PER_SEC, never);
  if (r->failures > 0)
    return fail_sessions(r, "while idle", error);
  res->rss_idle = server_rss(r->server);
  /* Lines count from the highest count any session has seen: none were
   * written yet, so all sessions show the same. */
  r->base = 0;
  for (guint i = 0; i < r->n; i++)
    r->base = MAX(r->base, r->conns[i].seen);
  return measure(r, opt, error);
}

static void
raise_fd_limit(void)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static gboolean
run_one(const Options *opt, ServerKind kind, guint n, gsize frame_bytes, Result *res,
        GError **error)
{
  Server server;
  Run r = {.server = &server, .n = n, .res = res};
  gboolean ok = FALSE;

  memset(res, 0, sizeof(*res));
  res->lines = (guint)(opt->rate * opt->seconds + 0.5);
  res->latency_us = g_array_sized_new(FALSE, FALSE, sizeof(guint32), (guint)n * res->lines);
  if (!server_start(&server, kind, opt, frame_bytes, error)) {
    server_stop(&server, NULL);
    return FALSE;
  }
  res->rss_before = server_wait_quiet(&server);

  struct lws_context_creation_info info;
  memset(&info, 0, sizeof(info));
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = client_protocols;
  info.fd_limit_per_thread = n + 64;
  r.ctx = lws_create_context(&info);
  if (r.ctx == NULL) {
    g_set_error(error, BENCH_ERROR, 0, "cannot create the client's lws context");
    server_stop(&server, NULL);
    return FALSE;
  }
  r.conns = g_new0(Conn, n);
  r.write_us = g_new0(gint64, MAX(res->lines, 1u));
  r.hello = g_strdup_printf("{\"op\":\"hello\",\"token\":\"%s\",\"topics\":[\"wallboard\"]}",
                            server.token);
  lws_sul_schedule(r.ctx, 0, &r.tick, on_tick, TICK_US);
  ok = run_sessions(&r, opt, error);

  r.closing = TRUE;
  lws_sul_cancel(&r.tick);
  lws_context_destroy(r.ctx);
  /* The figures were taken before the stop: a server that fails to exit
   * cleanly is reported, with its log kept, but does not void them. */
  g_autoptr(GError) stop_error = NULL;
  if (!server_stop(&server, &stop_error))
    g_print("warning: %s\n", stop_error->message);
  for (guint i = 0; i < n; i++)
    if (r.conns[i].rx != NULL)
      g_byte_array_unref(r.conns[i].rx);
  g_free(r.conns);
  g_free(r.write_us);
  g_free(r.hello);
  return ok;
}

/* ---- the report ------------------------------------------------------------------ */

static int
cmp_u32(const void *a, const void *b)
{
  guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile in ms of a sorted array. */
static double
percentile_ms(GArray *sorted, double p)
{
  if (sorted->len == 0)
    return 0.0;
  gsize rank = (gsize)(p * sorted->len + 0.999999);
  gsize i = MIN(MAX(rank, 1u), sorted->len) - 1;
  return g_array_index(sorted, guint32, i) / 1000.0;
}

static double
cpu_per_message_us(const Result *r)
{
  return r->messages > 0 ? r->server_cpu_s * 1e6 / r->messages : 0.0;
}

/* The target's figure: what N idle sessions add to the server's anonymous
 * memory. VmRSS also counts pages of mapped files (the daemon writes its
 * RRD archive through mmap), which come and go with disk work. */
static double
rss_per_session_kib(const Result *r, guint n)
{
  return n > 0 ? (double)(r->rss_idle.anon_kib - r->rss_before.anon_kib) / n : 0.0;
}

static double
vmrss_per_session_kib(const Result *r, guint n)
{
  return n > 0 ? (double)(r->rss_idle.rss_kib - r->rss_before.rss_kib) / n : 0.0;
}

static void
print_header(const Options *opt)
{
  g_autofree char *cpu = bench_machine_cpu_model();
  g_print(
      "fanout: wallboard.v1 fan-out of wallboardd against a bare libwebsockets broadcast server\n");
  g_print("machine: %s, %ld online cores, %.1f GiB RAM, load average %.2f; libwebsockets %s; build "
          "%s\n",
          cpu, sysconf(_SC_NPROCESSORS_ONLN), bench_machine_mem_total_kib() / 1048576.0,
          bench_machine_load_average(), lws_get_library_version(), WB_BENCH_BUILDTYPE);
  g_print("load: %.0f lines in %.1f s (%.1f/s) per run, ENTERQUEUE of new calls; coalescing window "
          "%d ms ([server] update_ms), queue_log read every %d ms ([queue_log] poll_ms)\n",
          opt->rate * opt->seconds, opt->seconds, opt->rate, DEFAULT_UPDATE_MS, DEFAULT_POLL_MS);
  g_print("daemon: %s\nbare:   %s\n", opt->daemon, opt->no_bare ? "(not run)" : opt->bare);
}

static void
print_row_f(const char *label, int decimals, const Result *d, const Result *b, double vd, double vb,
            gboolean ratio)
{
  char a[32], c[32], q[32] = "";
  g_snprintf(a, sizeof(a), "%.*f", decimals, vd);
  g_snprintf(c, sizeof(c), "%.*f", decimals, vb);
  if (ratio && b != NULL && vb > 0)
    g_snprintf(q, sizeof(q), "%.2f", vd / vb);
  g_print("  %-34s %12s %12s %8s\n", label, d != NULL ? a : "-", b != NULL ? c : "-", q);
}

static void
print_table(guint n, const Result *d, const Result *b)
{
  g_print("\nN = %u sessions\n", n);
  g_print("  %-34s %12s %12s %8s\n", "", server_names[SERVER_DAEMON], server_names[SERVER_BARE],
          "ratio");
#define V(r, f) ((r) != NULL ? (double)(f) : 0.0)
  print_row_f("connect + snapshots s", 2, d, b, V(d, d->connect_s), V(b, b->connect_s), FALSE);
  print_row_f("latency samples", 0, d, b, V(d, d->latency_us->len), V(b, b->latency_us->len),
              FALSE);
  print_row_f("latency p50 ms", 1, d, b, V(d, percentile_ms(d->latency_us, 0.50)),
              V(b, percentile_ms(b->latency_us, 0.50)), TRUE);
  print_row_f("latency p99 ms", 1, d, b, V(d, percentile_ms(d->latency_us, 0.99)),
              V(b, percentile_ms(b->latency_us, 0.99)), TRUE);
  print_row_f("latency max ms", 1, d, b, V(d, percentile_ms(d->latency_us, 1.0)),
              V(b, percentile_ms(b->latency_us, 1.0)), TRUE);
  print_row_f("messages delivered", 0, d, b, V(d, d->messages), V(b, b->messages), TRUE);
  print_row_f("  of them updates", 0, d, b, V(d, d->updates), V(b, b->updates), FALSE);
  print_row_f("update frame bytes (mean)", 0, d, b, V(d, d->frame_bytes), V(b, b->frame_bytes),
              FALSE);
  print_row_f("measured window s", 2, d, b, V(d, d->window_s), V(b, b->window_s), FALSE);
  print_row_f("server CPU s", 2, d, b, V(d, d->server_cpu_s), V(b, b->server_cpu_s), TRUE);
  print_row_f("server CPU per message us", 2, d, b, V(d, cpu_per_message_us(d)),
              V(b, cpu_per_message_us(b)), TRUE);
  print_row_f("client CPU s (not counted)", 2, d, b, V(d, d->client_cpu_s), V(b, b->client_cpu_s),
              FALSE);
  print_row_f("VmRSS before sessions KiB", 0, d, b, V(d, d->rss_before.rss_kib),
              V(b, b->rss_before.rss_kib), FALSE);
  print_row_f("VmRSS with idle sessions KiB", 0, d, b, V(d, d->rss_idle.rss_kib),
              V(b, b->rss_idle.rss_kib), FALSE);
  print_row_f("VmRSS after the lines KiB", 0, d, b, V(d, d->rss_busy.rss_kib),
              V(b, b->rss_busy.rss_kib), FALSE);
  print_row_f("RssAnon before sessions KiB", 0, d, b, V(d, d->rss_before.anon_kib),
              V(b, b->rss_before.anon_kib), FALSE);
  print_row_f("RssAnon with idle sessions KiB", 0, d, b, V(d, d->rss_idle.anon_kib),
              V(b, b->rss_idle.anon_kib), FALSE);
  print_row_f("VmRSS per idle session KiB", 2, d, b, V(d, vmrss_per_session_kib(d, n)),
              V(b, vmrss_per_session_kib(b, n)), TRUE);
  print_row_f("RssAnon per idle session KiB", 2, d, b, V(d, rss_per_session_kib(d, n)),
              V(b, rss_per_session_kib(b, n)), TRUE);
#undef V
}

typedef struct {
  guint n;
  gboolean ran_daemon, ran_bare;
  Result daemon, bare;
} Row;

static void
print_verdicts(GArray *rows)
{
  gboolean p99_seen = FALSE;
  double window = DEFAULT_UPDATE_MS + TARGET_P99_MARGIN_MS;

  g_print("\ntargets:\n");
  for (guint i = 0; i < rows->len; i++) {
    Row *row = &g_array_index(rows, Row, i);
    if (!row->ran_daemon)
      continue;
    double p99 = percentile_ms(row->daemon.latency_us, 0.99);
    gboolean at_target = row->n == TARGET_P99_SESSIONS;
    p99_seen |= at_target;
    g_print("%s latency p99 <= %.0f ms (window %d + %d ms)%s at %u sessions: %.1f ms\n",
            p99 <= window ? "PASS" : "OVER", window, DEFAULT_UPDATE_MS, TARGET_P99_MARGIN_MS,
            at_target ? "" : " [target is at 1000]", row->n, p99);
  }
  if (!p99_seen)
    g_print("---- latency p99 at %d sessions: not run\n", TARGET_P99_SESSIONS);
  for (guint i = 0; i < rows->len; i++) {
    Row *row = &g_array_index(rows, Row, i);
    if (!row->ran_daemon || !row->ran_bare)
      continue;
    double d = cpu_per_message_us(&row->daemon), b = cpu_per_message_us(&row->bare);
    double ratio = b > 0 ? d / b : 0.0;
    if (row->daemon.server_cpu_s <= 0 || row->bare.server_cpu_s <= 0) {
      g_print("---- CPU per message at %u sessions: under one clock tick, not measured\n", row->n);
      continue;
    }
    g_print("%s CPU per message <= %.1fx bare at %u sessions: %.2f us / %.2f us = %.2fx\n",
            ratio <= TARGET_CPU_RATIO ? "PASS" : "OVER", TARGET_CPU_RATIO, row->n, d, b, ratio);
  }
  for (guint i = 0; i < rows->len; i++) {
    Row *row = &g_array_index(rows, Row, i);
    if (!row->ran_daemon)
      continue;
    double kib = rss_per_session_kib(&row->daemon, row->n);
    g_print("%s RSS per idle session <= %.0f KiB at %u sessions: %.2f KiB (RssAnon)\n",
            kib <= TARGET_RSS_KIB ? "PASS" : "OVER", TARGET_RSS_KIB, row->n, kib);
  }
}

/* ---- main ----------------------------------------------------------------------- */

static GArray *
parse_sessions(const char *text, GError **error)
{
  g_auto(GStrv) parts = g_strsplit(text, ",", -1);
  g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(guint));
  for (guint i = 0; parts[i] != NULL; i++) {
    guint64 v = 0;
    if (!g_ascii_string_to_unsigned(g_strstrip(parts[i]), 10, 1, 100000, &v, NULL)) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                  "--sessions: '%s' is not a number from 1 to 100000", parts[i]);
      return NULL;
    }
    guint n = (guint)v;
    g_array_append_val(out, n);
  }
  return g_steal_pointer(&out);
}

static gboolean
parse_options(int argc, char **argv, Options *opt, GError **error)
{
  GOptionEntry entries[] = {
      {"sessions", 0, 0, G_OPTION_ARG_STRING, &opt->sessions,
       "Session counts, comma-separated (default 100,1000,5000)", "N,N,…"},
      {"rate", 0, 0, G_OPTION_ARG_DOUBLE, &opt->rate, "queue_log lines per second (default 20)",
       "R"},
      {"seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt->seconds, "Seconds of lines per run (default 15)",
       "S"},
      {"daemon", 0, 0, G_OPTION_ARG_FILENAME, &opt->daemon, "The wallboardd to measure", "PATH"},
      {"bare", 0, 0, G_OPTION_ARG_FILENAME, &opt->bare, "The bare server (bench/fanout_bare)",
       "PATH"},
      {"no-bare", 0, 0, G_OPTION_ARG_NONE, &opt->no_bare, "Run the daemon alone", NULL},
      G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) ctx = g_option_context_new("- WebSocket fan-out against a bare server");
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, error))
    return FALSE;
  if (opt->daemon == NULL || (opt->bare == NULL && !opt->no_bare)) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--daemon and --bare are needed");
    return FALSE;
  }
  if (!(opt->rate > 0 && opt->rate <= 1000) || !(opt->seconds > 0 && opt->seconds <= 3600) ||
      opt->rate * opt->seconds < 1) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "--rate must be 0..1000, --seconds 0..3600, at least one line in all");
    return FALSE;
  }
  return TRUE;
}

static gboolean
run_all(const Options *opt, GArray *sessions, GArray *rows, GError **error)
{
  for (guint i = 0; i < sessions->len; i++) {
    Row row = {.n = g_array_index(sessions, guint, i)};
    g_array_append_val(rows, row);
    Row *r = &g_array_index(rows, Row, rows->len - 1);
    if (!run_one(opt, SERVER_DAEMON, r->n, 0, &r->daemon, error))
      return FALSE;
    r->ran_daemon = TRUE;
    if (!opt->no_bare) {
      gsize bytes =
          r->daemon.frame_bytes > 0 ? (gsize)(r->daemon.frame_bytes + 0.5) : DEFAULT_FRAME_BYTES;
      if (!run_one(opt, SERVER_BARE, r->n, bytes, &r->bare, error))
        return FALSE;
      r->ran_bare = TRUE;
    }
    g_array_sort(r->daemon.latency_us, cmp_u32);
    if (r->ran_bare)
      g_array_sort(r->bare.latency_us, cmp_u32);
    print_table(r->n, &r->daemon, r->ran_bare ? &r->bare : NULL);
  }
  return TRUE;
}

int
main(int argc, char **argv)
{
  Options opt = {.rate = 20, .seconds = 15};
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) sessions = NULL;

  if (!parse_options(argc, argv, &opt, &error) ||
      (sessions = parse_sessions(opt.sessions != NULL ? opt.sessions : "100,1000,5000", &error)) ==
          NULL) {
    g_printerr("fanout: %s\n", error->message);
    return 2;
  }
  raise_fd_limit();
  signal(SIGPIPE, SIG_IGN);
  lws_set_log_level(LLL_ERR, NULL);
  print_header(&opt);

  g_autoptr(GArray) rows = g_array_new(FALSE, TRUE, sizeof(Row));
  gboolean ok = run_all(&opt, sessions, rows, &error);
  if (ok)
    print_verdicts(rows);
  else
    g_printerr("fanout: %s\n", error->message);
  for (guint i = 0; i < rows->len; i++) {
    Row *row = &g_array_index(rows, Row, i);
    g_clear_pointer(&row->daemon.latency_us, g_array_unref);
    g_clear_pointer(&row->bare.latency_us, g_array_unref);
  }
  g_free(opt.sessions);
  g_free(opt.daemon);
  g_free(opt.bare);
  return ok ? 0 : 1;
}
