/* fanout_bare.c: the baseline of bench/fanout. A bare libwebsockets
 * broadcast server on its own poll loop: it accepts `wallboard.v1`
 * sessions, answers any client message with a snapshot frame, and for every
 * line read on standard input raises a counter and sends every subscribed
 * session one update frame of --frame-bytes bytes that carries it, at most
 * one every --window-ms (latest wins, as the daemon's topics do). Nothing
 * else: no store, no live model, no JSON library. It writes its port to
 * --port-file once it listens, and exits at the end of standard input or on
 * SIGTERM.
 */
#define G_LOG_DOMAIN "bench"

#include <errno.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib.h>

/* The client's hello is small; one read buffer covers it. */
#define RX_BUFFER 4096
/* The padding character of a frame: plain ASCII, nothing to escape. */
#define PAD_CHAR 'x'

typedef struct {
  gboolean subscribed;
  guint64 sent; /* frame number last sent; 0: none */
  gboolean snapshot_due;
} Session;

typedef struct {
  struct lws_context *context;
  const struct lws_protocols *protocol;
  gsize frame_bytes;
  gint64 window_us;
  /* Written by the reader thread, read by the service loop. */
  gint lines_read;
  gint input_done;
  /* Service loop only. */
  guint64 counter;  /* lines broadcast so far */
  guint64 frame_no; /* grows with every frame built */
  guint8 *update;   /* LWS_PRE + frame_bytes */
  guint8 *snapshot;
  gsize update_len, snapshot_len;
  gint64 last_broadcast_us;
  gboolean pending;
  lws_sorted_usec_list_t sul;
} Bare;

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
  (void)sig;
  stopping = 1;
}

/* `{"t":KIND,"topic":"wallboard","seq":N,"data":{"total":{"offered":C},
 * "pad":"xxx…"}}`, padded to frame_bytes: the daemon's frame's size, with
 * its counter where the client looks for it. */
static gsize
frame_build(Bare *b, guint8 *buf, const char *kind)
{
  char *out = (char *)buf + LWS_PRE;
  int head = g_snprintf(out, b->frame_bytes + 1,
                        "{\"t\":\"%s\",\"topic\":\"wallboard\",\"seq\":%" G_GUINT64_FORMAT
                        ",\"data\":{\"total\":{\"offered\":%" G_GUINT64_FORMAT "},\"pad\":\"",
                        kind, b->frame_no, b->counter);
  gsize len = (gsize)head;
  const gsize tail = 3; /* "}} */
  if (len + tail < b->frame_bytes) {
    memset(out + len, PAD_CHAR, b->frame_bytes - tail - len);
    len = b->frame_bytes - tail;
  }
  memcpy(out + len, "\"}}", tail);
  return len + tail;
}

static void
rebuild_frames(Bare *b)
{
  b->frame_no++;
  b->update_len = frame_build(b, b->update, "update");
  b->snapshot_len = frame_build(b, b->snapshot, "snapshot");
}

static void
broadcast(Bare *b)
{
  b->counter = (guint64)g_atomic_int_get(&b->lines_read);
  rebuild_frames(b);
  b->last_broadcast_us = g_get_monotonic_time();
  b->pending = FALSE;
  if (b->protocol != NULL)
    lws_callback_on_writable_all_protocol(b->context, b->protocol);
}

static void
on_window(lws_sorted_usec_list_t *sul)
{
  Bare *b = lws_container_of(sul, Bare, sul);
  broadcast(b);
}

/* New lines: broadcast now, or at the end of the window that is open. */
static void
lines_arrived(Bare *b)
{
  if ((guint64)g_atomic_int_get(&b->lines_read) == b->counter || b->pending)
    return;
  gint64 wait = b->last_broadcast_us + b->window_us - g_get_monotonic_time();
  if (wait <= 0) {
    broadcast(b);
    return;
  }
  b->pending = TRUE;
  lws_sul_schedule(b->context, 0, &b->sul, on_window, wait);
}

static int
write_frame(struct lws *wsi, guint8 *buf, gsize len)
{
  return lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len ? -1 : 0;
}

static int
bare_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  struct lws_context *ctx = lws_get_context(wsi);
  Bare *b = lws_context_user(ctx);
  Session *s = user;
  (void)in;
  (void)len;

  switch (reason) {
  case LWS_CALLBACK_EVENT_WAIT_CANCELLED: lines_arrived(b); break;
  case LWS_CALLBACK_ESTABLISHED:
    b->protocol = lws_get_protocol(wsi);
    memset(s, 0, sizeof(*s));
    break;
  case LWS_CALLBACK_RECEIVE:
    /* Any message counts as the hello: the next frame is a snapshot. */
    if (!s->subscribed) {
      s->subscribed = TRUE;
      s->snapshot_due = TRUE;
      lws_callback_on_writable(wsi);
    }
    break;
  case LWS_CALLBACK_SERVER_WRITEABLE:
    if (!s->subscribed)
      break;
    if (s->snapshot_due) {
      s->snapshot_due = FALSE;
      s->sent = b->frame_no;
      return write_frame(wsi, b->snapshot, b->snapshot_len);
    }
    if (s->sent < b->frame_no) {
      s->sent = b->frame_no;
      return write_frame(wsi, b->update, b->update_len);
    }
    break;
  default: break;
  }
  return 0;
}

/* Counts lines of standard input and wakes the service loop for each read. */
static gpointer
reader_thread(gpointer data)
{
  Bare *b = data;
  char buf[4096];
  ssize_t n;
  while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
    gint lines = 0;
    for (ssize_t i = 0; i < n; i++)
      lines += buf[i] == '\n';
    if (lines > 0) {
      g_atomic_int_add(&b->lines_read, lines);
      lws_cancel_service(b->context);
    }
  }
  g_atomic_int_set(&b->input_done, 1);
  lws_cancel_service(b->context);
  return NULL;
}

/* As many descriptors as the hard limit allows: one per session. */
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
write_port(const char *path, int port, GError **error)
{
  g_autofree char *tmp = g_strdup_printf("%s.tmp", path);
  g_autofree char *text = g_strdup_printf("%d\n", port);
  if (!g_file_set_contents(tmp, text, -1, error))
    return FALSE;
  if (rename(tmp, path) != 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "rename %s: %s", path,
                g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

int
main(int argc, char **argv)
{
  g_autofree char *port_file = NULL;
  gint frame_bytes = 1024, window_ms = 250;
  GOptionEntry entries[] = {
      {"port-file", 0, 0, G_OPTION_ARG_FILENAME, &port_file, "Write the port here", "PATH"},
      {"frame-bytes", 0, 0, G_OPTION_ARG_INT, &frame_bytes, "Bytes per frame (default 1024)", "N"},
      {"window-ms", 0, 0, G_OPTION_ARG_INT, &window_ms,
       "At most one update per this many ms (default 250)", "MS"},
      G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) octx = g_option_context_new("- bare WebSocket broadcast server");
  g_autoptr(GError) error = NULL;
  g_option_context_add_main_entries(octx, entries, NULL);
  if (!g_option_context_parse(octx, &argc, &argv, &error) || port_file == NULL ||
      frame_bytes < 128 || frame_bytes > 1 << 20 || window_ms < 0) {
    g_printerr("fanout_bare: %s\n",
               error != NULL
                   ? error->message
                   : "--port-file is needed, --frame-bytes 128..1048576, --window-ms >= 0");
    return 2;
  }

  raise_fd_limit();
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);

  Bare b = {.frame_bytes = (gsize)frame_bytes, .window_us = window_ms * 1000LL};
  b.update = g_malloc(LWS_PRE + b.frame_bytes + 1);
  b.snapshot = g_malloc(LWS_PRE + b.frame_bytes + 1);
  rebuild_frames(&b);

  static struct lws_protocols protocols[] = {
      {"http", lws_callback_http_dummy, 0, 0, 0, NULL, 0},
      {"wallboard.v1", bare_callback, sizeof(Session), RX_BUFFER, 0, NULL, 0},
      {NULL, NULL, 0, 0, 0, NULL, 0}};
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof(info));
  info.port = 0;
  info.iface = "127.0.0.1";
  info.protocols = protocols;
  info.user = &b;
  lws_set_log_level(LLL_ERR, NULL);
  b.context = lws_create_context(&info);
  if (b.context == NULL) {
    g_printerr("fanout_bare: cannot create the lws context\n");
    return 1;
  }
  struct lws_vhost *vh = lws_get_vhost_by_name(b.context, "default");
  int port = vh != NULL ? lws_get_vhost_listen_port(vh) : -1;
  if (port <= 0 || !write_port(port_file, port, &error)) {
    g_printerr("fanout_bare: %s\n", error != NULL ? error->message : "no listening port");
    lws_context_destroy(b.context);
    return 1;
  }
  GThread *reader = g_thread_new("stdin", reader_thread, &b);
  while (!stopping && !g_atomic_int_get(&b.input_done))
    if (lws_service(b.context, 0) < 0)
      break;
  /* On a signal the reader may still be blocked in read() and may wake the
   * loop later: leave without tearing the context down under it. */
  if (!g_atomic_int_get(&b.input_done))
    _exit(0);
  g_thread_join(reader);
  lws_sul_cancel(&b.sul);
  lws_context_destroy(b.context);
  g_free(b.update);
  g_free(b.snapshot);
  return 0;
}
