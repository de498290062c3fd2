/* queuelog.c: tails queue_log files.
 *
 * Reads in 64 KiB blocks and splits on '\n'; only complete lines are
 * consumed, so a line Asterisk is still writing waits for its newline. After
 * each line the position (generation, byte offset, line number) goes to the
 * sink, which commits it with the line's events: a restart resumes at the
 * first line not committed. Rotation is noticed at end of file:
 *   - rename (logrotate create): the path names another inode; the old file
 *     has been read to its end, the new one starts a new generation;
 *   - truncation (copytruncate): the file is shorter than our offset, or its
 *     first bytes changed; it is read again from the start as a new
 *     generation.
 * A file rotated while the daemon was down is found by its inode in the same
 * directory and read to its end first.
 */
#define G_LOG_DOMAIN "queuelog"

#include "collectors/queuelog.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_BLOCK (64 * 1024)
#define HEAD_MAX 256
/* Lines per file per tick, and time per tick, before yielding to the loop,
 * so that a backlog of millions of lines never holds up the WebSocket
 * clients and requests (libwebsockets ends a request that has waited 5 s
 * for its answer), however slow the machine. */
#define LINES_PER_TICK 20000
#define TICK_US (20 * G_TIME_SPAN_MILLISECOND)

typedef struct {
  char *path;
  char *source;
  int fd;
  WbPosition pos;       /* consumed so far; what gets checkpointed */
  gboolean have_resume; /* pos came from the store, file not yet matched */
  GByteArray *buf;      /* bytes read past pos.offset, not yet a full line */
  gboolean skipping;    /* inside an over-long line, dropping to its newline */
  gboolean missing_logged;
  WbCollectorStats stats;
  GByteArray *scratch; /* a line with its NUL bytes removed */
} Tail;

typedef struct {
  WbCollector base;
  WbSink *sink;
  WbAgentMap *agents;
  GPtrArray *tails; /* Tail* */
  guint timer_id;
  guint idle_id;
  guint poll_ms;
  gint64 deadline_us; /* of the tick being read; 0: none */
} Queuelog;

static void
tail_close(Tail *t)
{
  if (t->fd >= 0)
    close(t->fd);
  t->fd = -1;
}

static void
tail_free(gpointer p)
{
  Tail *t = p;
  tail_close(t);
  g_byte_array_unref(t->buf);
  g_byte_array_unref(t->scratch);
  g_free(t->path);
  g_free(t->source);
  g_free(t);
}

char *
wb_queuelog_source_name(const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_commandline_arg(path);
  g_autofree char *abs = g_file_get_path(file);
  return g_strconcat("queue_log:", abs != NULL ? abs : path, NULL);
}

static gint64
head_hash(const guint8 *data, gsize len)
{
  /* FNV-1a: only compares a file's first bytes with themselves later. */
  guint64 h = 1469598103934665603ULL;
  for (gsize i = 0; i < len; i++) {
    h ^= data[i];
    h *= 1099511628211ULL;
  }
  return (gint64)(h >> 1);
}

/* Hash of the first `len` bytes of the open file; -1 if it has fewer. */
static gint64
file_head_hash(int fd, gsize len)
{
  guint8 head[HEAD_MAX];

  if (len == 0)
    return 0;
  ssize_t n = pread(fd, head, len, 0);
  if (n != (ssize_t)len)
    return -1;
  return head_hash(head, len);
}

/* Keep the head fingerprint up to date while the file is still short. */
static void
tail_update_head(Tail *t)
{
  if (t->pos.head_len >= HEAD_MAX || t->fd < 0)
    return;
  gsize len = (gsize)MIN(t->pos.offset, (gint64)HEAD_MAX);
  if (len <= (gsize)t->pos.head_len)
    return;
  gint64 h = file_head_hash(t->fd, len);
  if (h >= 0) {
    t->pos.head_len = len;
    t->pos.head_hash = h;
  }
}

static void
tail_new_generation(Tail *t)
{
  t->pos.generation++;
  t->pos.offset = 0;
  t->pos.line_no = 0;
  t->pos.head_len = 0;
  t->pos.head_hash = 0;
  g_byte_array_set_size(t->buf, 0);
  t->skipping = FALSE;
}

static void
quarantine(Queuelog *q, Tail *t, gint64 line_no, const char *reason, const char *line, gsize len)
{
  WbQuarantined qr = {
      .source = t->source,
      .file = t->path,
      .line_no = line_no,
      .reason = reason,
      .line = line,
      .line_len = MIN(len, (gsize)WB_QUEUELOG_LINE_MAX),
      .ts_ms = g_get_real_time() / 1000,
  };
  t->stats.quarantined++;
  q->sink->quarantine(q->sink, &qr);
}

/* Handles one complete line that starts at byte `start` of the generation. */
static void
tail_line(Queuelog *q, Tail *t, const char *line, gsize len, gint64 start)
{
  WbQueuelogLine parsed;
  gint64 line_no = t->pos.line_no + 1;

  t->stats.lines++;
  t->stats.last_event_ms = g_get_real_time() / 1000;
  if (memchr(line, '\0', len) != NULL) {
    /* NUL runs are what an unclean shutdown leaves before the next line. */
    g_byte_array_set_size(t->scratch, 0);
    for (gsize i = 0; i < len; i++)
      if (line[i] != '\0')
        g_byte_array_append(t->scratch, (const guint8 *)&line[i], 1);
      else
        t->stats.nul_bytes++;
    line = (const char *)t->scratch->data;
    len = t->scratch->len;
  }

  wb_queuelog_parse_line(q->agents, t->source, line, len, &parsed);
  switch (parsed.result) {
  case WB_QUEUELOG_BLANK: t->stats.blank++; break;
  case WB_QUEUELOG_IGNORED: t->stats.ignored++; break;
  case WB_QUEUELOG_UNKNOWN: t->stats.unknown++; break;
  case WB_QUEUELOG_MALFORMED: quarantine(q, t, line_no, parsed.reason, line, len); break;
  case WB_QUEUELOG_EVENTS:
    for (int i = 0; i < parsed.n_events; i++) {
      WbEvent *ev = &parsed.events[i];
      ev->source_pos = WB_SOURCE_POS(t->pos.generation, start, i);
      if (q->sink->event(q->sink, ev))
        t->stats.events++;
      else
        t->stats.duplicates++;
    }
    break;
  }
}

static gboolean
tick_over(Queuelog *q)
{
  return q->deadline_us > 0 && g_get_monotonic_time() >= q->deadline_us;
}

/* Consumes the complete lines in t->buf; returns how many. t->pos moves
 * line by line, so each checkpoint names exactly what has been consumed. */
/* Consumes the complete lines in t->buf, and with flush_partial a last
 * line without its newline. Without flush_partial it stops, leaving lines
 * in t->buf, once the tick's time is up (after one line at least). */
static guint
tail_consume(Queuelog *q, Tail *t, gboolean flush_partial)
{
  guint lines = 0;
  gsize done = 0;
  const char *data = (const char *)t->buf->data;
  gsize len = t->buf->len;
  gint64 base = t->pos.offset;

  while (done < len) {
    if (!flush_partial && lines > 0 && tick_over(q))
      break;
    const char *nl = memchr(data + done, '\n', len - done);
    gsize line_len = nl != NULL ? (gsize)(nl - (data + done)) : len - done;

    if (t->skipping) {
      /* The rest of an over-long line, already quarantined. */
      done += line_len + (nl != NULL ? 1 : 0);
      t->pos.offset = base + done;
      if (nl == NULL)
        break;
      t->skipping = FALSE;
      t->pos.line_no++;
      q->sink->checkpoint(q->sink, &t->pos);
      continue;
    }
    if (nl == NULL && !flush_partial) {
      if (line_len < WB_QUEUELOG_LINE_MAX)
        break; /* wait for the newline */
      quarantine(q, t, t->pos.line_no + 1, "line longer than 64 KiB", data + done, line_len);
      t->skipping = TRUE;
      done = len;
      t->pos.offset = base + done;
      break;
    }
    if (line_len >= WB_QUEUELOG_LINE_MAX)
      quarantine(q, t, t->pos.line_no + 1, "line longer than 64 KiB", data + done, line_len);
    else
      tail_line(q, t, data + done, line_len, base + done);
    done += line_len + (nl != NULL ? 1 : 0);
    t->pos.offset = base + done;
    t->pos.line_no++;
    lines++;
    q->sink->checkpoint(q->sink, &t->pos);
  }
  t->stats.bytes += done;
  g_byte_array_remove_range(t->buf, 0, done);
  return lines;
}

/* Finds a file in the directory of `path` with the given inode: where
 * logrotate renamed our file while we were not running. */
static char *
find_rotated(const char *path, gint64 inode)
{
  g_autofree char *dir = g_path_get_dirname(path);
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;

  if (d == NULL || inode <= 0)
    return NULL;
  while ((name = g_dir_read_name(d)) != NULL) {
    g_autofree char *full = g_build_filename(dir, name, NULL);
    struct stat st;
    if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && (gint64)st.st_ino == inode)
      return g_steal_pointer(&full);
  }
  return NULL;
}

static int
open_file(const char *path, struct stat *st)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (fstat(fd, st) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Reads a file that was rotated away while we were down, from the stored
 * offset to its end, in the stored generation. */
static void
drain_rotated(Queuelog *q, Tail *t, const char *old_path)
{
  struct stat st;
  int fd = open_file(old_path, &st);

  if (fd < 0)
    return;
  g_message("queue_log: %s was rotated to %s while stopped; reading its rest", t->path, old_path);
  t->fd = fd;
  if (lseek(fd, t->pos.offset, SEEK_SET) == t->pos.offset) {
    guint8 block[READ_BLOCK];
    ssize_t n;
    while ((n = read(fd, block, sizeof(block))) > 0) {
      g_byte_array_append(t->buf, block, n);
      tail_consume(q, t, FALSE);
    }
    tail_consume(q, t, TRUE);
  }
  tail_close(t);
}

/* Opens the path; decides whether the stored position still applies. */
static gboolean
tail_open(Queuelog *q, Tail *t)
{
  struct stat st;
  int fd = open_file(t->path, &st);

  if (fd < 0) {
    if (!t->missing_logged)
      g_message("queue_log: waiting for %s: %s", t->path, g_strerror(errno));
    t->missing_logged = TRUE;
    return FALSE;
  }
  t->missing_logged = FALSE;

  if (t->have_resume) {
    t->have_resume = FALSE;
    gboolean same_inode = (gint64)st.st_ino == t->pos.inode;
    gboolean head_ok = file_head_hash(fd, t->pos.head_len) == t->pos.head_hash;
    if (same_inode && st.st_size >= t->pos.offset && head_ok) {
      t->fd = fd;
      lseek(fd, t->pos.offset, SEEK_SET);
      return TRUE;
    }
    if (!same_inode) {
      g_autofree char *old = find_rotated(t->path, t->pos.inode);
      if (old != NULL)
        drain_rotated(q, t, old);
      t->stats.rotations++;
    } else {
      t->stats.truncations++;
    }
    tail_new_generation(t);
  }
  t->fd = fd;
  t->pos.inode = (gint64)st.st_ino;
  lseek(fd, t->pos.offset, SEEK_SET);
  return TRUE;
}

/* Before reading: was the file cut (copytruncate)? Checked first, so
 * bytes of a rewritten file are never read from the old offset. */
static void
tail_check_truncation(Tail *t)
{
  struct stat st;

  if (fstat(t->fd, &st) != 0)
    return;
  gint64 have = t->pos.offset + t->buf->len;
  if (st.st_size >= have &&
      (t->pos.head_len == 0 || file_head_hash(t->fd, t->pos.head_len) == t->pos.head_hash))
    return;
  g_message("queue_log: %s was truncated; reading it again from the start", t->path);
  t->stats.truncations++;
  tail_new_generation(t);
  lseek(t->fd, 0, SEEK_SET);
}

/* At end of file: does the path name another file now (rename)? TRUE if
 * it followed to the new file. */
static gboolean
tail_check_rename(Queuelog *q, Tail *t)
{
  struct stat path_st, fd_st;

  if (fstat(t->fd, &fd_st) != 0 || stat(t->path, &path_st) != 0 || path_st.st_ino == fd_st.st_ino)
    return FALSE;
  /* The old file is read to its end; a line left without its newline will
   * never be finished, so it is taken as it is. */
  tail_consume(q, t, TRUE);
  g_message("queue_log: %s was rotated; following the new file", t->path);
  t->stats.rotations++;
  tail_close(t);
  tail_new_generation(t);
  return tail_open(q, t);
}

/* Reads up to LINES_PER_TICK lines; returns TRUE if the file has more now. */
static gboolean
tail_read(Queuelog *q, Tail *t)
{
  guint8 block[READ_BLOCK];
  guint lines = 0;
  gboolean eof = FALSE;

  if (t->fd < 0 && !tail_open(q, t))
    return FALSE;
  tail_check_truncation(t);
  /* Lines left by a tick whose time ran out go before any new read. */
  if (t->buf->len > 0 && memchr(t->buf->data, '\n', t->buf->len) != NULL) {
    lines += tail_consume(q, t, FALSE);
    if (tick_over(q)) {
      tail_update_head(t);
      return TRUE;
    }
  }
  while (lines < LINES_PER_TICK && !tick_over(q)) {
    ssize_t n = read(t->fd, block, sizeof(block));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      g_warning("queue_log: read(%s) failed: %s", t->path, g_strerror(errno));
      tail_close(t);
      return FALSE;
    }
    if (n == 0) {
      eof = TRUE;
      break;
    }
    g_byte_array_append(t->buf, block, n);
    lines += tail_consume(q, t, FALSE);
  }
  tail_update_head(t);
  if (!eof)
    return TRUE;
  /* After a rename the new file may already hold lines: read on. */
  return tail_check_rename(q, t);
}

/* Files are read in the order given: a later file waits until the earlier
 * ones are at their end, so rotated files replay in order. */
static gboolean
queuelog_tick(Queuelog *q)
{
  gboolean more = FALSE;

  q->deadline_us = g_get_monotonic_time() + TICK_US;
  for (guint i = 0; i < q->tails->len && !more; i++)
    more = tail_read(q, g_ptr_array_index(q->tails, i));
  q->deadline_us = 0;
  return more;
}

static gboolean
on_idle(gpointer data)
{
  Queuelog *q = data;
  if (queuelog_tick(q))
    return G_SOURCE_CONTINUE;
  q->idle_id = 0;
  return G_SOURCE_REMOVE;
}

/* One slice now; a backlog goes on in an idle source. */
static void
read_slice(Queuelog *q)
{
  if (q->idle_id == 0 && queuelog_tick(q))
    q->idle_id = g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, on_idle, q, NULL);
}

static gboolean
on_timer(gpointer data)
{
  read_slice(data);
  return G_SOURCE_CONTINUE;
}

static void
queuelog_read_now(WbCollector *c)
{
  read_slice((Queuelog *)c);
}

gboolean
wb_queuelog_step(WbCollector *c)
{
  return queuelog_tick((Queuelog *)c);
}

guint64
wb_queuelog_poll(WbCollector *c)
{
  Queuelog *q = (Queuelog *)c;
  guint64 before = 0, after = 0;

  for (guint i = 0; i < q->tails->len; i++)
    before += ((Tail *)g_ptr_array_index(q->tails, i))->stats.lines;
  while (queuelog_tick(q))
    ;
  for (guint i = 0; i < q->tails->len; i++)
    after += ((Tail *)g_ptr_array_index(q->tails, i))->stats.lines;
  return after - before;
}

static void
queuelog_stop(WbCollector *c)
{
  Queuelog *q = (Queuelog *)c;
  if (q->timer_id != 0)
    g_source_remove(q->timer_id);
  if (q->idle_id != 0)
    g_source_remove(q->idle_id);
  q->timer_id = q->idle_id = 0;
}

static guint
queuelog_n_sources(WbCollector *c)
{
  return ((Queuelog *)c)->tails->len;
}

static const char *
queuelog_source(WbCollector *c, guint i)
{
  Tail *t = g_ptr_array_index(((Queuelog *)c)->tails, i);
  return t->source;
}

static void
queuelog_stats(WbCollector *c, guint i, WbCollectorStats *out)
{
  Tail *t = g_ptr_array_index(((Queuelog *)c)->tails, i);
  *out = t->stats;
}

static gboolean
queuelog_catching_up(WbCollector *c)
{
  /* The idle source runs only while a read left more to read. */
  return ((Queuelog *)c)->idle_id != 0;
}

static void
queuelog_free(WbCollector *c)
{
  Queuelog *q = (Queuelog *)c;
  queuelog_stop(c);
  g_ptr_array_unref(q->tails);
  g_free(q);
}

static const WbCollectorOps queuelog_ops = {
    .name = "queue_log",
    .stop = queuelog_stop,
    .n_sources = queuelog_n_sources,
    .source = queuelog_source,
    .stats = queuelog_stats,
    .catching_up = queuelog_catching_up,
    .read_now = queuelog_read_now,
    .free = queuelog_free,
};

WbCollector *
wb_queuelog_start(const WbQueuelogOptions *opts, GError **error)
{
  Queuelog *q = g_new0(Queuelog, 1);

  q->base.ops = &queuelog_ops;
  q->sink = opts->sink;
  q->agents = opts->agents;
  q->poll_ms = opts->poll_ms > 0 ? opts->poll_ms : 50;
  q->tails = g_ptr_array_new_with_free_func(tail_free);
  for (const char *const *p = opts->paths; p != NULL && *p != NULL; p++) {
    if (**p == '\0') {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "queue_log: empty file name");
      queuelog_free(&q->base);
      return NULL;
    }
    Tail *t = g_new0(Tail, 1);
    t->fd = -1;
    t->path = g_strdup(*p);
    t->source = wb_queuelog_source_name(*p);
    t->buf = g_byte_array_sized_new(READ_BLOCK);
    t->scratch = g_byte_array_new();
    t->stats.connected = -1; /* a file: no connection to be down */
    g_strlcpy(t->pos.source, t->source, sizeof(t->pos.source));
    t->have_resume = q->sink->resume(q->sink, t->source, &t->pos);
    g_ptr_array_add(q->tails, t);
  }
  q->timer_id = g_timeout_add(q->poll_ms, on_timer, q);
  /* Catch up at once rather than after the first poll interval. */
  q->idle_id = g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, on_idle, q, NULL);
  return &q->base;
}
