/* notify.c: sd_notify messages and the watchdog (engine/notify.h). */
#define G_LOG_DOMAIN "wb-notify"

#include "engine/notify.h"

#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <time.h>

struct WbNotify {
  gboolean active;
  guint64 ping_us;
  guint ping_id;
  guint status_id;
  WbNotifyStatusFunc status_func;
  gpointer status_data;
};

static void
notify_send(WbNotify *n, const char *text)
{
  if (n == NULL || !n->active)
    return;
  int r = sd_notify(0, text);
  if (r < 0)
    g_debug("sd_notify: %s", g_strerror(-r));
}

WbNotify *
wb_notify_new(void)
{
  WbNotify *n = g_new0(WbNotify, 1);
  const char *sock = g_getenv("NOTIFY_SOCKET");
  n->active = sock != NULL && *sock != '\0';
  uint64_t usec = 0;
  /* WATCHDOG_PID, when set, must name this process: a helper it starts
   * does not ping in its name. */
  if (n->active && sd_watchdog_enabled(0, &usec) > 0)
    n->ping_us = usec / 2;
  return n;
}

void
wb_notify_free(WbNotify *n)
{
  if (n == NULL)
    return;
  if (n->ping_id != 0)
    g_source_remove(n->ping_id);
  if (n->status_id != 0)
    g_source_remove(n->status_id);
  g_free(n);
}

gboolean
wb_notify_active(const WbNotify *n)
{
  return n != NULL && n->active;
}

guint64
wb_notify_ping_us(const WbNotify *n)
{
  return n != NULL ? n->ping_us : 0;
}

/* On the main loop: a loop that no longer runs its timers no longer
 * pings, which is what the watchdog is for. */
static gboolean
on_ping(gpointer data)
{
  notify_send(data, "WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

void
wb_notify_status(WbNotify *n)
{
  if (n == NULL || !n->active || n->status_func == NULL)
    return;
  g_autofree char *text = n->status_func(n->status_data);
  g_autofree char *line = g_strconcat("STATUS=", text, NULL);
  notify_send(n, line);
}

static gboolean
on_status(gpointer data)
{
  wb_notify_status(data);
  return G_SOURCE_CONTINUE;
}

void
wb_notify_start(WbNotify *n, guint status_s, WbNotifyStatusFunc func, gpointer user_data)
{
  if (n == NULL || !n->active)
    return;
  n->status_func = func;
  n->status_data = user_data;
  if (n->ping_us > 0 && n->ping_id == 0) {
    notify_send(n, "WATCHDOG=1");
    n->ping_id = g_timeout_add((guint)MAX(n->ping_us / 1000, 1), on_ping, n);
  }
  if (func != NULL && status_s > 0 && n->status_id == 0)
    n->status_id = g_timeout_add_seconds(status_s, on_status, n);
}

void
wb_notify_ready(WbNotify *n)
{
  notify_send(n, "READY=1");
}

/* systemd 253 and later take MONOTONIC_USEC with RELOADING=1
 * (Type=notify-reload); older ones ignore it. */
void
wb_notify_reloading(WbNotify *n)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  g_autofree char *text =
      g_strdup_printf("RELOADING=1\nMONOTONIC_USEC=%" G_GUINT64_FORMAT,
                      (guint64)ts.tv_sec * G_USEC_PER_SEC + (guint64)ts.tv_nsec / 1000);
  notify_send(n, text);
}

void
wb_notify_stopping(WbNotify *n)
{
  notify_send(n, "STOPPING=1");
}
