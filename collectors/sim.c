/* sim.c: the demo traffic file (sim.h): keeps a run of the generator
 * (simgen.c) going in a real queue_log file. It resumes from the sidecar
 * PATH.sim, checks the file against a regenerated run, and appends as
 * simulated time passes.
 */
#define G_LOG_DOMAIN "sim"

#include "collectors/sim.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "collectors/simgen.h"

G_DEFINE_QUARK(wb_sim_error, wb_sim_error)

/* ---- the file -------------------------------------------------------------- */

#define SIDECAR_GROUP "sim"
#define MAX_RESUME_AGE_MS (31 * (gint64)86400000)
#define CATCHUP_STEP_S 3600    /* catch up an hour at a time: bounded buffer */
#define PENDING_MAX (16 << 20) /* give up once this much could not be written */
#define TICK_MS 200

struct WbSim {
  char *path;
  guint64 seed;
  double speed;
  GTimeZone *tz;
  guint history_days;
  int fd;
  gint64 file_size; /* what a failed write is cut back to */
  WbSimGen *gen;
  gint64 done_s;    /* the generator has run every event before this */
  GString *pending; /* whole lines generated, not yet written */
  gint64 anchor_sim_ms;
  gint64 anchor_mono_us;
  GSource *timer;
  gboolean failing; /* the last write failed: warn once per streak */
};

/* The end of the file: where a resumed run picks up. */
typedef struct {
  gint64 size;
  gint64 last_s;   /* stamp of the last line, -1 when empty */
  gboolean usable; /* ends in a newline and its last line has a stamp */
} FileTail;

static gboolean
parse_stamp(const char *line, gsize len, gint64 *out)
{
  gint64 value = 0;
  gsize i = 0;
  for (; i < len && g_ascii_isdigit(line[i]) && i < 12; i++)
    value = value * 10 + (line[i] - '0');
  if (i == 0 || i >= len || line[i] != '|')
    return FALSE;
  *out = value;
  return TRUE;
}

static int
read_at(int fd, char *buf, gsize len, gint64 offset)
{
  while (len > 0) {
    ssize_t n = pread(fd, buf, len, offset);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    if (n == 0)
      return -EIO; /* shrank under us */
    buf += n;
    len -= (gsize)n;
    offset += n;
  }
  return 0;
}

/* Reads the last line's stamp, with ever larger chunks from the end until
 * the chunk holds the whole line. */
static int
tail_scan(int fd, FileTail *tail)
{
  for (gsize want = 4096;; want *= 4) {
    gsize len = (gsize)MIN((gint64)want, tail->size);
    g_autofree char *buf = g_malloc(len);
    int rc = read_at(fd, buf, len, tail->size - (gint64)len);
    if (rc < 0)
      return rc;
    if (buf[len - 1] != '\n')
      return 0; /* a line cut short */
    const char *nl = len >= 2 ? memrchr(buf, '\n', len - 1) : NULL;
    if (!nl && (gint64)len < tail->size)
      continue;
    gsize start = nl ? (gsize)(nl - buf) + 1 : 0;
    tail->usable = parse_stamp(buf + start, len - start, &tail->last_s);
    return 0;
  }
}

static gboolean
tail_read(const char *path, FileTail *tail, GError **error)
{
  *tail = (FileTail){0, -1, FALSE};
  int fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0 && errno == ENOENT)
    return TRUE;
  struct stat st;
  int rc = fd < 0 || fstat(fd, &st) < 0 ? -errno : 0;
  if (rc == 0) {
    tail->size = st.st_size;
    if (tail->size > 0)
      rc = tail_scan(fd, tail);
  }
  if (fd >= 0)
    close(fd);
  if (rc < 0) {
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-rc), "cannot read %s: %s", path,
                g_strerror(-rc));
    return FALSE;
  }
  return TRUE;
}

/* Regenerates from the origin to check that the file holds exactly the
 * first lines of the run, byte for byte, and collects the lines of its last
 * second that it lacks. */
typedef struct {
  int fd;
  char *buf;
  gsize len;
  gsize pos;
  gint64 left; /* bytes of the file not yet compared */
  gboolean equal;
  GString *rest;
} ResumeCheck;

enum { RESUME_CHUNK = 64 * 1024 };

static gboolean
resume_compare(ResumeCheck *check, const char *line, gsize len)
{
  while (len > 0) {
    if (check->pos == check->len) {
      gsize want = (gsize)MIN((gint64)RESUME_CHUNK, check->left);
      ssize_t n;
      do
        n = read(check->fd, check->buf, want);
      while (n < 0 && errno == EINTR);
      if (n <= 0)
        return FALSE;
      check->len = (gsize)n;
      check->pos = 0;
    }
    gsize part = MIN(len, check->len - check->pos);
    if (memcmp(check->buf + check->pos, line, part) != 0)
      return FALSE;
    check->pos += part;
    check->left -= (gint64)part;
    line += part;
    len -= part;
  }
  return TRUE;
}

static void
resume_check_line(gint64 ts_s, const char *line, gsize len, gpointer data)
{
  ResumeCheck *check = data;
  (void)ts_s;
  if (!check->equal)
    return;
  if (check->left == 0)
    g_string_append_len(check->rest, line, (gssize)len);
  else if ((gint64)len > check->left || !resume_compare(check, line, len))
    check->equal = FALSE;
}

static gboolean
sim_resume(WbSim *sim, const FileTail *tail, gint64 origin_ms)
{
  int fd = g_open(sim->path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return FALSE;
  g_autofree char *buf = g_malloc(RESUME_CHUNK);
  ResumeCheck check = {fd, buf, 0, 0, tail->size, TRUE, sim->pending};
  g_autoptr(WbSimGen) gen = wb_sim_gen_new(sim->seed, sim->tz, wb_sim_floor_div(origin_ms, 1000));
  wb_sim_gen_run_until(gen, tail->last_s + 1, resume_check_line, &check);
  close(fd);
  if (!check.equal || check.left != 0) {
    g_string_truncate(sim->pending, 0);
    return FALSE;
  }
  sim->gen = g_steal_pointer(&gen);
  sim->done_s = tail->last_s + 1;
  return TRUE;
}

static char *
sidecar_path(const WbSim *sim)
{
  return g_strconcat(sim->path, ".sim", NULL);
}

/* Why the file cannot be continued from the sidecar, or NULL if it can. */
static const char *
sidecar_check(const WbSim *sim, gint64 anchor_ms, gint64 *origin_ms)
{
  g_autofree char *path = sidecar_path(sim);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) error = NULL;
  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error))
    return "no readable sidecar";
  guint64 seed = g_key_file_get_uint64(kf, SIDECAR_GROUP, "seed", &error);
  if (!error)
    *origin_ms = g_key_file_get_int64(kf, SIDECAR_GROUP, "origin_ms", &error);
  if (error)
    return "sidecar incomplete";
  if (seed != sim->seed)
    return "seed changed";
  g_autofree char *tz = g_key_file_get_string(kf, SIDECAR_GROUP, "tz", NULL);
  if (tz && g_strcmp0(tz, g_time_zone_get_identifier(sim->tz)) != 0)
    return "time zone changed";
  if (*origin_ms > anchor_ms)
    return "origin in the future";
  if (anchor_ms - *origin_ms > MAX_RESUME_AGE_MS)
    return "origin older than 31 days";
  return NULL;
}

static gboolean
sidecar_save(const WbSim *sim, gint64 origin_ms, GError **error)
{
  g_autofree char *path = sidecar_path(sim);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(origin_ms / 1000);
  g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, sim->tz);
  g_autofree char *origin = g_date_time_format_iso8601(local);
  g_key_file_set_comment(kf, NULL, NULL,
                         " Demo traffic state: the queue_log beside this file is regenerated"
                         "\n from this seed and origin on every start.",
                         NULL);
  g_key_file_set_uint64(kf, SIDECAR_GROUP, "seed", sim->seed);
  g_key_file_set_int64(kf, SIDECAR_GROUP, "origin_ms", origin_ms);
  g_key_file_set_string(kf, SIDECAR_GROUP, "origin", origin);
  g_key_file_set_string(kf, SIDECAR_GROUP, "tz", g_time_zone_get_identifier(sim->tz));
  g_autoptr(GError) file_error = NULL;
  if (g_key_file_save_to_file(kf, path, &file_error))
    return TRUE;
  /* GLib's message names the file and the system's reason */
  g_set_error_literal(error, G_IO_ERROR, g_io_error_from_file_error(file_error->code),
                      file_error->message);
  return FALSE;
}

/* Moves a file that cannot be continued out of the way (the tailer follows
 * renames) and starts a run at today's local midnight. */
static gboolean
sim_begin(WbSim *sim, const FileTail *tail, const char *why, gint64 real_now_ms, GError **error)
{
  if (tail->size > 0) {
    g_autofree char *old = g_strconcat(sim->path, ".1", NULL);
    if (g_rename(sim->path, old) < 0) {
      int saved = errno;
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot rename %s to %s: %s",
                  sim->path, old, g_strerror(saved));
      return FALSE;
    }
    g_message("%s: %s, moved to %s", sim->path, why, old);
  }
  gint64 origin_ms = wb_sim_local_midnight_ms(
      sim->tz, real_now_ms - (gint64)MIN(sim->history_days, 30) * 86400000);
  if (!sidecar_save(sim, origin_ms, error))
    return FALSE;
  sim->gen = wb_sim_gen_new(sim->seed, sim->tz, wb_sim_floor_div(origin_ms, 1000));
  sim->done_s = wb_sim_floor_div(origin_ms, 1000);
  return TRUE;
}

static gboolean
sim_open_file(WbSim *sim, GError **error)
{
  sim->fd = g_open(sim->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  struct stat st;
  if (sim->fd < 0 || fstat(sim->fd, &st) < 0) {
    int saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot open %s: %s", sim->path,
                g_strerror(saved));
    return FALSE;
  }
  sim->file_size = st.st_size;
  return TRUE;
}

static int
write_all(int fd, const char *buf, gsize len, gsize *written)
{
  *written = 0;
  while (*written < len) {
    ssize_t n = write(fd, buf + *written, len - *written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    *written += (gsize)n;
  }
  return 0;
}

static gboolean
sim_flush(WbSim *sim, GError **error)
{
  if (sim->pending->len == 0)
    return TRUE;
  gsize written;
  int rc = write_all(sim->fd, sim->pending->str, sim->pending->len, &written);
  if (rc < 0) {
    /* the file must not end in half a line: cut back what did get written */
    if (written > 0 && ftruncate(sim->fd, sim->file_size) < 0)
      g_warning("%s: cannot cut back a partial write: %s", sim->path, g_strerror(errno));
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-rc), "cannot write %s: %s", sim->path,
                g_strerror(-rc));
    return FALSE;
  }
  sim->file_size += (gint64)sim->pending->len;
  g_string_truncate(sim->pending, 0);
  return TRUE;
}

static void
pending_append(gint64 ts_s, const char *line, gsize len, gpointer data)
{
  (void)ts_s;
  g_string_append_len(data, line, (gssize)len);
}

/* Writes every line stamped at or before sim_now_ms, an hour at a time. */
static gboolean
sim_advance(WbSim *sim, gint64 sim_now_ms, GError **error)
{
  gint64 until_s = wb_sim_floor_div(sim_now_ms, 1000) + 1;
  if (!sim_flush(sim, error))
    return FALSE;
  while (sim->done_s < until_s) {
    gint64 step = MIN(sim->done_s + CATCHUP_STEP_S, until_s);
    wb_sim_gen_run_until(sim->gen, step, pending_append, sim->pending);
    sim->done_s = step;
    if (!sim_flush(sim, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
sim_tick(gpointer data)
{
  WbSim *sim = data;
  g_autoptr(GError) error = NULL;
  if (sim_advance(sim, wb_sim_now_ms(sim), &error)) {
    if (sim->failing)
      g_message("%s: writing again", sim->path);
    sim->failing = FALSE;
    return G_SOURCE_CONTINUE;
  }
  if (!sim->failing)
    g_warning("%s", error->message);
  sim->failing = TRUE;
  if (sim->pending->len < PENDING_MAX)
    return G_SOURCE_CONTINUE;
  g_warning("%s: demo traffic stopped, %" G_GSIZE_FORMAT " bytes could not be written", sim->path,
            sim->pending->len);
  g_source_unref(sim->timer);
  sim->timer = NULL;
  return G_SOURCE_REMOVE;
}

/* Positions the generator: resumes the file or starts a new one. */
static gboolean
sim_open(WbSim *sim, gint64 real_now_ms, GError **error)
{
  FileTail tail;
  if (!tail_read(sim->path, &tail, error))
    return FALSE;
  gint64 anchor_ms = MAX(real_now_ms, tail.last_s * 1000);
  gint64 origin_ms = 0;
  const char *why = sidecar_check(sim, anchor_ms, &origin_ms);
  if (!why && tail.size == 0)
    why = "empty";
  if (!why && !tail.usable)
    why = "its last line is cut short or unreadable";
  if (!why && !sim_resume(sim, &tail, origin_ms))
    why = "its content is not this run's";
  if (why) {
    anchor_ms = real_now_ms;
    if (!sim_begin(sim, &tail, why, real_now_ms, error))
      return FALSE;
  }
  sim->anchor_sim_ms = anchor_ms;
  return sim_open_file(sim, error);
}

WbSim *
wb_sim_start(const WbSimOptions *opts, GError **error)
{
  g_return_val_if_fail(opts != NULL && opts->path != NULL, NULL);
  if (!(opts->speed >= 0.1)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "%s: simulation speed %g is below 0.1", opts->path, opts->speed);
    return NULL;
  }
  g_autoptr(WbSim) sim = g_new0(WbSim, 1);
  sim->fd = -1;
  sim->path = g_strdup(opts->path);
  sim->seed = opts->seed;
  sim->speed = opts->speed;
  sim->history_days = opts->history_days;
  sim->tz = opts->tz ? g_time_zone_ref(opts->tz) : g_time_zone_new_local();
  sim->pending = g_string_new(NULL);
  /* the only two looks at the clocks: where simulated time starts, and
   * the steady clock it runs on from there */
  gint64 real_now_ms = g_get_real_time() / 1000;
  sim->anchor_mono_us = g_get_monotonic_time();
  if (!sim_open(sim, real_now_ms, error) || !sim_advance(sim, sim->anchor_sim_ms, error))
    return NULL;
  sim->timer = g_timeout_source_new(TICK_MS);
  g_source_set_name(sim->timer, "wb-sim");
  g_source_set_callback(sim->timer, sim_tick, sim, NULL);
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default();
  g_source_attach(sim->timer, context);
  return g_steal_pointer(&sim);
}

gint64
wb_sim_now_ms(WbSim *sim)
{
  g_return_val_if_fail(sim != NULL, 0);
  gint64 elapsed_us = g_get_monotonic_time() - sim->anchor_mono_us;
  return sim->anchor_sim_ms + (gint64)((double)elapsed_us * sim->speed / 1000.0);
}

void
wb_sim_stop(WbSim *sim)
{
  if (!sim || !sim->timer)
    return;
  g_source_destroy(sim->timer);
  g_source_unref(sim->timer);
  sim->timer = NULL;
  g_autoptr(GError) error = NULL;
  if (!sim_flush(sim, &error))
    g_warning("%s", error->message);
}

void
wb_sim_free(WbSim *sim)
{
  if (!sim)
    return;
  wb_sim_stop(sim);
  if (sim->fd >= 0)
    close(sim->fd);
  wb_sim_gen_free(sim->gen);
  if (sim->pending)
    g_string_free(sim->pending, TRUE);
  if (sim->tz)
    g_time_zone_unref(sim->tz);
  g_free(sim->path);
  g_free(sim);
}
