/* server.h: libwebsockets on the engine's GLib main loop (DESIGN.md section 6).
 *
 * One lws context on a libuv loop that runs inside the GLib one (uvloop.h
 * says why not lws' GLib loop): static dashboards, the REST routes of api.c
 * and the WebSocket topics of topics.c, all on the loop thread.
 */
#pragma once

#include <glib.h>

#include "engine/engine.h"

G_BEGIN_DECLS

#define WB_SERVER_ERROR (wb_server_error_quark())
GQuark wb_server_error_quark(void);

typedef struct WbServer WbServer;

/* Starts listening on [server] listen. */
WbServer *wb_server_start(WbEngine *engine, GMainLoop *loop, GError **error);
/* The base URL it listens on, e.g. "http://127.0.0.1:8080/". */
const char *wb_server_url(WbServer *server);
/* Begins an orderly close of every connection; `done` runs on the loop once
 * libwebsockets has let go of everything. */
void wb_server_stop(WbServer *server, GSourceFunc done, gpointer user_data);
void wb_server_free(WbServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbServer, wb_server_free)

G_END_DECLS
