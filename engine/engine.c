/* engine.c: opening and closing the engine's parts in the right order, for
 * wallboardd and wallboardctl alike. */
#define G_LOG_DOMAIN "engine"

#include "engine/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <unistd.h>

#include "engine/auth.h"

#define CALLER_KEY_BYTES 32

/* Enough of the stored stream to rebuild what the live model shows: today
 * and yesterday, and the calls still open and agents' states, which the last
 * million events hold (a few seconds' replay at most). Older calls are read
 * from the store when asked for. */
#define REPLAY_MIN_EVENTS 1000000

char *
wb_engine_state_dir(const WbConfig *cfg)
{
  if (cfg->state_dir != NULL && *cfg->state_dir != '\0')
    return g_strdup(cfg->state_dir);
  const char *systemd = g_getenv("STATE_DIRECTORY");
  if (systemd != NULL && *systemd != '\0') {
    /* StateDirectory= may list several, ':'-separated: the first is ours. */
    g_auto(GStrv) dirs = g_strsplit(systemd, ":", 2);
    return g_strdup(dirs[0]);
  }
  return g_build_filename(g_get_current_dir(), "wallboard-state", NULL);
}

static GBytes *
caller_key(WbStore *store, GError **error)
{
  GBytes *key = wb_store_get_setting(store, "caller_key");
  if (key != NULL && g_bytes_get_size(key) == CALLER_KEY_BYTES)
    return key;
  g_clear_pointer(&key, g_bytes_unref);
  guint8 raw[CALLER_KEY_BYTES];
  randombytes_buf(raw, sizeof(raw));
  key = g_bytes_new(raw, sizeof(raw));
  sodium_memzero(raw, sizeof(raw));
  if (!wb_store_set_setting(store, "caller_key", key, error)) {
    g_bytes_unref(key);
    return NULL;
  }
  return key;
}

/* One writer per state directory: the daemon, or an import. */
static gboolean
take_lock(WbEngine *e, GError **error)
{
  g_autofree char *path = g_build_filename(e->state_dir, "wallboard.lock", NULL);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot open %s: %s", path,
                g_strerror(errno));
    return FALSE;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int saved = errno;
    close(fd);
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                "%s is in use by another wallboardd or import (%s); stop it first", e->state_dir,
                g_strerror(saved));
    return FALSE;
  }
  e->lock_fd = fd;
  return TRUE;
}

gboolean
wb_engine_open(WbEngine *e, gboolean writer, GError **error)
{
  e->lock_fd = -1;
  if (e->state_dir == NULL)
    e->state_dir = wb_engine_state_dir(e->cfg);
  if (g_mkdir_with_parents(e->state_dir, 0700) != 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s",
                e->state_dir, g_strerror(errno));
    return FALSE;
  }
  if (writer && !take_lock(e, error))
    return FALSE;
  e->tz = g_time_zone_new_identifier(e->cfg->timezone);
  if (e->tz == NULL) {
    g_set_error(error, WB_CONFIG_ERROR, WB_CONFIG_ERROR_INVALID,
                "[kpi] timezone: unknown time zone '%s'", e->cfg->timezone);
    return FALSE;
  }
  g_autofree char *db = g_build_filename(e->state_dir, "wallboard.db", NULL);
  e->store = wb_store_open(db, error);
  if (e->store == NULL)
    return FALSE;
  wb_store_set_batch(e->store, (guint)e->cfg->batch_events);
  g_autoptr(GBytes) key = caller_key(e->store, error);
  if (key == NULL)
    return FALSE;
  g_autofree char *token = wb_auth_ensure_display_token(e->store, e->state_dir, error);
  if (token == NULL)
    return FALSE;
  e->live = wb_live_new(e->cfg, e->tz);
  e->bus = wb_bus_new(e->store, e->live, e->cfg, e->tz, key);
  if (e->cfg->rrd_enabled) {
    g_autofree char *dir = e->cfg->rrd_dir != NULL && *e->cfg->rrd_dir != '\0'
                               ? g_strdup(e->cfg->rrd_dir)
                               : g_build_filename(e->state_dir, "rrd", NULL);
    e->rrd = wb_rrd_archive_new(dir, e->cfg->rrd_daemon, error);
    if (e->rrd == NULL)
      return FALSE;
  }
  e->collectors = g_ptr_array_new_with_free_func((GDestroyNotify)wb_collector_free);
  e->ingest = wb_ingest_new(wb_bus_sink(e->bus), &e->clock, e->tz, wb_config_agent_map(e->cfg));
  g_ptr_array_add(e->collectors, wb_ingest_collector(e->ingest));
  return TRUE;
}

gboolean
wb_engine_rebuild(WbEngine *e, GError **error)
{
  gint64 now = wb_clock_now_ms(&e->clock);
  gint64 since = wb_day_start_ms(e->tz, wb_day_start_ms(e->tz, now) - 1);
  guint64 n = 0;
  gint64 t0 = g_get_monotonic_time();

  if (!wb_bus_replay(e->bus, since, REPLAY_MIN_EVENTS, &n, error))
    return FALSE;
  g_info("live: rebuilt from %" G_GUINT64_FORMAT " stored events in %.1f ms", n,
         (g_get_monotonic_time() - t0) / 1000.0);
  return TRUE;
}

void
wb_engine_read_sources(WbEngine *e)
{
  for (guint i = 0; e->collectors != NULL && i < e->collectors->len; i++) {
    WbCollector *c = g_ptr_array_index(e->collectors, i);
    if (c->ops->read_now != NULL)
      c->ops->read_now(c);
  }
}

void
wb_engine_clear(WbEngine *e)
{
  /* Collectors go after the store's last commit, which reads their
   * positions (see WbSink.checkpoint). */
  g_clear_pointer(&e->bus, wb_bus_free);
  g_clear_pointer(&e->store, wb_store_free);
  if (e->rrd != NULL) {
    g_autoptr(GError) error = NULL;
    if (!wb_rrd_archive_flush(e->rrd, &error))
      g_warning("%s", error->message);
    g_clear_pointer(&e->rrd, wb_rrd_archive_free);
  }
  e->ingest = NULL; /* freed with the collectors */
  g_clear_pointer(&e->collectors, g_ptr_array_unref);
  g_clear_pointer(&e->live, wb_live_free);
  g_clear_pointer(&e->tz, g_time_zone_unref);
  g_clear_pointer(&e->state_dir, g_free);
  if (e->lock_fd >= 0)
    close(e->lock_fd);
  e->lock_fd = -1;
}
