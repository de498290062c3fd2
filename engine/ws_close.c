/* ws_close.c: the server's close of a WebSocket, started from WRITEABLE. */
#include "engine/ws_close.h"

#include <string.h>

void
wb_ws_close_request(WbWsClose *c, struct lws *wsi, guint16 status, const char *reason)
{
  if (c->status != 0)
    return;
  c->status = status;
  g_strlcpy(c->reason, reason, sizeof(c->reason));
  lws_callback_on_writable(wsi);
}

gboolean
wb_ws_close_requested(const WbWsClose *c)
{
  return c->status != 0;
}

int
wb_ws_close_write(WbWsClose *c, struct lws *wsi)
{
  if (c->status == 0 || c->started)
    return 0;
  c->started = TRUE;
  lws_close_reason(wsi, (enum lws_close_status)c->status, (unsigned char *)c->reason,
                   strlen(c->reason));
  /* lws sends the close frame at the next writable, waits for the peer's
   * answer and ends the connection; the wsi stays valid until then. */
  lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_SYNC);
  return 0;
}
