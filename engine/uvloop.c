/* uvloop.c: a libuv loop as one GSource. */
#define G_LOG_DOMAIN "server"

#include "engine/uvloop.h"

#include <gio/gio.h>

typedef struct {
  GSource source;
  uv_loop_t *loop;
  gpointer fd_tag;
  gboolean watching; /* the epoll descriptor is polled by GLib */
} UvSource;

struct WbUvLoop {
  uv_loop_t loop;
  GSource *source;
};

/* A loop with nothing active never polls its epoll set, so a descriptor
 * left there ready would wake GLib for ever: watch it only while the loop
 * has something to run. */
static gboolean
loop_alive(UvSource *u)
{
  gboolean alive = uv_loop_alive(u->loop) != 0;
  if (alive != u->watching) {
    g_source_modify_unix_fd(&u->source, u->fd_tag, alive ? G_IO_IN : 0);
    u->watching = alive;
  }
  return alive;
}

static gboolean
uv_source_prepare(GSource *source, gint *timeout)
{
  UvSource *u = (UvSource *)source;

  if (!loop_alive(u)) {
    *timeout = -1;
    return FALSE;
  }
  /* The loop's clock is cached: bring it to now, or the next timer's
   * delay is counted from the last run and comes late. */
  uv_update_time(u->loop);
  *timeout = uv_backend_timeout(u->loop);
  return *timeout == 0;
}

static gboolean
uv_source_check(GSource *source)
{
  UvSource *u = (UvSource *)source;

  if (g_source_query_unix_fd(source, u->fd_tag) != 0)
    return TRUE;
  if (!u->watching)
    return FALSE;
  uv_update_time(u->loop);
  return uv_backend_timeout(u->loop) == 0;
}

static gboolean
uv_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
  UvSource *u = (UvSource *)source;
  (void)callback;
  (void)user_data;
  uv_run(u->loop, UV_RUN_NOWAIT);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs uv_source_funcs = {
    .prepare = uv_source_prepare,
    .check = uv_source_check,
    .dispatch = uv_source_dispatch,
};

WbUvLoop *
wb_uv_loop_new(GMainContext *ctx, GError **error)
{
  WbUvLoop *l = g_new0(WbUvLoop, 1);
  int rc = uv_loop_init(&l->loop);

  if (rc != 0) {
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-rc), "libuv loop: %s", uv_strerror(rc));
    g_free(l);
    return NULL;
  }
  l->source = g_source_new(&uv_source_funcs, sizeof(UvSource));
  UvSource *u = (UvSource *)l->source;
  u->loop = &l->loop;
  u->fd_tag = g_source_add_unix_fd(l->source, uv_backend_fd(&l->loop), 0);
  g_source_set_name(l->source, "libuv");
  g_source_attach(l->source, ctx);
  return l;
}

uv_loop_t *
wb_uv_loop_get(WbUvLoop *l)
{
  return &l->loop;
}

gboolean
wb_uv_loop_drain(WbUvLoop *l)
{
  /* Handles being closed finish on the loop: a few rounds end them. */
  for (int i = 0; i < 100 && uv_loop_alive(&l->loop); i++)
    uv_run(&l->loop, UV_RUN_NOWAIT);
  return !uv_loop_alive(&l->loop);
}

void
wb_uv_loop_free(WbUvLoop *l)
{
  if (l == NULL)
    return;
  wb_uv_loop_drain(l);
  g_source_destroy(l->source);
  g_source_unref(l->source);
  int rc = uv_loop_close(&l->loop);
  if (rc != 0) {
    /* A handle still open points into the loop: leave it allocated. */
    g_warning("libuv loop not closed: %s", uv_strerror(rc));
    return;
  }
  g_free(l);
}
