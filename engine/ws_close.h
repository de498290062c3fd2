/* ws_close.h: a WebSocket closed by the server, with a status and reason.
 *
 * lws' documented way is lws_close_reason() and -1 from the callback.
 * Debian's libwebsockets is built with _DEBUG, and on libuv such a build
 * closes a connection a second time right after a callback returned -1 (a
 * self test in lws_service_fd_tsi), which cuts the close handshake short:
 * the peer sees the connection end without a status (1006). So the close
 * is started from the WRITEABLE callback with lws_set_timeout(...,
 * LWS_TO_KILL_SYNC), which takes lws' own close path (close frame, then the
 * peer's answer or a 5 s timeout) without that second call.
 */
#pragma once

#include <glib.h>
#include <libwebsockets.h>

G_BEGIN_DECLS

typedef struct {
  guint16 status; /* 0: no close asked for */
  gboolean started;
  char reason[24];
} WbWsClose;

/* Asks for a close: it starts at the next WRITEABLE, after what the caller
 * still writes before calling wb_ws_close_write(). */
void wb_ws_close_request(WbWsClose *c, struct lws *wsi, guint16 status, const char *reason);
/* TRUE once a close was asked for: what the peer sends is ignored. */
gboolean wb_ws_close_requested(const WbWsClose *c);
/* In WRITEABLE: starts the close once it is asked for. Returns what the
 * callback returns. */
int wb_ws_close_write(WbWsClose *c, struct lws *wsi);

G_END_DECLS
