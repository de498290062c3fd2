/* notify.h: the daemon's messages to systemd (sd_notify, DESIGN.md
 * section 11).
 *
 * Under a Type=notify unit systemd passes NOTIFY_SOCKET: the daemon says
 * READY=1 once it serves, STATUS= lines with its load, RELOADING=1 and
 * READY=1 around a reload, STOPPING=1 on shutdown, and WATCHDOG=1 from a
 * timer on the main loop at half of WatchdogSec, so a loop that hangs
 * stops pinging and systemd restarts the service. Without NOTIFY_SOCKET
 * (started by hand, in tests) every call does nothing.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct WbNotify WbNotify;

/* Builds the STATUS= text; g_free'd. */
typedef char *(*WbNotifyStatusFunc)(gpointer user_data);

/* Reads NOTIFY_SOCKET and the watchdog's interval (WATCHDOG_USEC, for
 * this process per WATCHDOG_PID). */
WbNotify *wb_notify_new(void);
void wb_notify_free(WbNotify *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbNotify, wb_notify_free)

/* Whether systemd listens (NOTIFY_SOCKET set). */
gboolean wb_notify_active(const WbNotify *n);
/* The watchdog ping interval in microseconds, half of WATCHDOG_USEC;
 * 0 without a watchdog. */
guint64 wb_notify_ping_us(const WbNotify *n);

/* Starts the watchdog pings and a STATUS= line from func every status_s
 * seconds, on the thread-default main context. */
void wb_notify_start(WbNotify *n, guint status_s, WbNotifyStatusFunc func, gpointer user_data);
/* Sends a STATUS= line now. */
void wb_notify_status(WbNotify *n);

void wb_notify_ready(WbNotify *n);
void wb_notify_reloading(WbNotify *n);
void wb_notify_stopping(WbNotify *n);

G_END_DECLS
