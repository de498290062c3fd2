/* uvloop.h: a libuv loop that runs inside a GLib main context.
 *
 * libwebsockets serves its connections on this loop. GLib keeps the
 * descriptors of its sources in a list that it walks to add and to remove
 * one, and lws changes a connection's descriptor twice for every frame it
 * sends (wait for writable, then stop): with lws on the GLib loop a
 * broadcast to N sessions costs O(N^2). libuv keeps them in epoll, where a
 * change costs the same whatever N. GLib sees one descriptor, libuv's
 * epoll set, and runs the loop when it is ready or a libuv timer is due;
 * everything still runs on the main thread.
 */
#pragma once

#include <glib.h>
#include <uv.h>

G_BEGIN_DECLS

typedef struct WbUvLoop WbUvLoop;

/* Attaches a new libuv loop to ctx (NULL: the global default context). */
WbUvLoop *wb_uv_loop_new(GMainContext *ctx, GError **error);
uv_loop_t *wb_uv_loop_get(WbUvLoop *l);
/* Runs the loop until nothing is left on it (at most 100 rounds); TRUE if
 * nothing is. */
gboolean wb_uv_loop_drain(WbUvLoop *l);
/* Runs the loop until the handles still closing have closed, then closes
 * it. Every user of the loop must have stopped its handles before. */
void wb_uv_loop_free(WbUvLoop *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbUvLoop, wb_uv_loop_free)

G_END_DECLS
