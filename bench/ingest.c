/* ingest.c: how fast a queue_log backfill goes, against two baselines run in
 * the same invocation on the same file.
 *
 *   (a) reading and splitting lines only: read() in 64 KiB blocks + memchr;
 *   (b) bare SQLite: one row per line in WAL + synchronous=NORMAL, batched
 *       transactions, one persistent prepared statement, no index;
 *   (c) the full import, opened and driven as `wallboardctl import` does.
 *
 * The input is a queue_log of the demo hotline from wb_sim_generate, at least
 * --events lines long. A parse-only pass (the collector's line parser over
 * the same reader) tells how many events the import must store, and how much
 * of (c) is parsing. Prints wall and CPU seconds, events per second and peak
 * RSS for each phase, the ratio (c)/(b), and a PASS or MISS line per target.
 * Exits 0 whether targets hold or not; non-zero on errors or when the import
 * stored other than it should.
 */
#define G_LOG_DOMAIN "bench"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bench/bench_machine.h"
#include "bench/bench_dir.h"
#include "collectors/queuelog.h"
#include "collectors/sim.h"
#include "engine/backfill.h"
#include "engine/engine.h"

#ifndef WB_BENCH_BUILDTYPE
#define WB_BENCH_BUILDTYPE "unknown"
#endif

#define READ_BLOCK (64 * 1024)
#define READ_BUFFER (2 * READ_BLOCK) /* a block plus the line it cut */
#define WRITE_CHUNK (1 << 20)
/* Rows per transaction of the bare SQLite baseline (b). */
#define BASELINE_BATCH 50000
/* Events per batch of the import (c): what `wallboardctl import` uses. */
#define IMPORT_BATCH WB_BACKFILL_BATCH
#define TARGET_EVENTS_PER_S 1000000.0
#define TARGET_RATIO 0.5
#define SIM_TIMEZONE "Asia/Shanghai"
#define SIM_FIRST_DAYS 7 /* generated first, to learn the lines per day */
#define SIM_MARGIN 1.01  /* the rest is sized for 1 % more than needed */
#define QUEUE_LOG_NAME "queue_log"
#define BASELINE_DB_NAME "baseline.db"
#define STATE_DIR_NAME "state"

#define BENCH_ERROR (bench_error_quark())
GQuark bench_error_quark(void);
G_DEFINE_QUARK(wb_bench_error, bench_error)
typedef enum {
  BENCH_ERROR_FAILED,
  BENCH_ERROR_CHECK,
} BenchError;

typedef struct {
  gint64 events;
  char *dir;
  gboolean keep;
  gint64 seed;
} Options;

/* ---- measuring ------------------------------------------------------------ */

typedef struct {
  const char *name;
  guint64 count; /* events (lines for (a) and (b)) */
  gint64 wall_us;
  double cpu_s;
  gint64 peak_kb;
  gboolean peak_reset; /* peak_kb is this phase's own peak */
  /* while running */
  gint64 start_us;
  double start_cpu_s;
} Phase;

static double
cpu_seconds(void)
{
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0)
    return 0.0;
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Peak resident set size in KiB: VmHWM, else getrusage's ru_maxrss. */
static gint64
peak_rss_kb(void)
{
  g_autofree char *status = NULL;
  if (g_file_get_contents("/proc/self/status", &status, NULL, NULL)) {
    const char *hwm = strstr(status, "\nVmHWM:");
    if (hwm != NULL)
      return g_ascii_strtoll(hwm + strlen("\nVmHWM:"), NULL, 10);
  }
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* Resets VmHWM to the current RSS (Linux >= 4.0), so that each phase's peak
 * is its own, less what earlier phases left resident; the heap they freed is
 * handed back first. FALSE where that is not possible. */
static gboolean
reset_peak_rss(void)
{
  malloc_trim(0);
  int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  gboolean ok = write(fd, "5", 1) == 1;
  close(fd);
  return ok;
}

static void
phase_begin(Phase *p, const char *name)
{
  p->name = name;
  p->peak_reset = reset_peak_rss();
  p->start_cpu_s = cpu_seconds();
  p->start_us = g_get_monotonic_time();
}

static void
phase_end(Phase *p, guint64 count)
{
  p->wall_us = g_get_monotonic_time() - p->start_us;
  p->cpu_s = cpu_seconds() - p->start_cpu_s;
  p->peak_kb = peak_rss_kb();
  p->count = count;
}

static double
per_second(guint64 count, double seconds)
{
  return seconds > 0 ? count / seconds : 0.0;
}

static double
phase_rate_wall(const Phase *p)
{
  return per_second(p->count, p->wall_us / 1e6);
}

static double
phase_rate_cpu(const Phase *p)
{
  return per_second(p->count, p->cpu_s);
}

/* CPU nanoseconds per item. */
static double
phase_cpu_ns(const Phase *p)
{
  return p->count > 0 ? p->cpu_s * 1e9 / p->count : 0.0;
}

/* ---- reading lines ---------------------------------------------------------- */

/* read() in 64 KiB blocks and memchr('\n'): the reader of (a), (b) and the
 * parse pass. A line cut by a block end is moved to the front first. */
typedef struct {
  int fd;
  char buf[READ_BUFFER];
  gsize start, end;
  gboolean eof;
} LineReader;

static int
line_reader_open(LineReader *r, const char *path)
{
  r->fd = open(path, O_RDONLY | O_CLOEXEC);
  r->start = r->end = 0;
  r->eof = FALSE;
  return r->fd < 0 ? -errno : 0;
}

static void
line_reader_close(LineReader *r)
{
  if (r->fd >= 0)
    close(r->fd);
  r->fd = -1;
}

static int
line_reader_fill(LineReader *r)
{
  memmove(r->buf, r->buf + r->start, r->end - r->start);
  r->end -= r->start;
  r->start = 0;
  if (r->end == sizeof(r->buf))
    return -E2BIG; /* a line longer than the buffer */
  gsize want = MIN((gsize)READ_BLOCK, sizeof(r->buf) - r->end);
  for (;;) {
    ssize_t n = read(r->fd, r->buf + r->end, want);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    if (n == 0)
      r->eof = TRUE;
    r->end += (gsize)n;
    return 0;
  }
}

/* The next line without its '\n': 1, 0 at the end, -errno on failure. */
static inline int
line_reader_next(LineReader *r, const char **line, gsize *len)
{
  for (;;) {
    const char *head = r->buf + r->start;
    const char *nl = memchr(head, '\n', r->end - r->start);
    if (nl != NULL) {
      *line = head;
      *len = (gsize)(nl - head);
      r->start += *len + 1;
      return 1;
    }
    if (r->eof) {
      if (r->start == r->end)
        return 0;
      *line = head; /* the last line has no '\n' */
      *len = r->end - r->start;
      r->start = r->end;
      return 1;
    }
    int rc = line_reader_fill(r);
    if (rc < 0)
      return rc;
  }
}

static gboolean
reader_error(int rc, const char *path, GError **error)
{
  g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(-rc), "reading %s: %s", path,
              g_strerror(-rc));
  return FALSE;
}

/* ---- the input -------------------------------------------------------------- */

typedef struct {
  int fd;
  GString *pending;
  guint64 lines;
  guint64 bytes;
  int write_errno; /* the first failure; later lines are dropped */
} GenOutput;

static int
write_all(int fd, const char *data, gsize len)
{
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    data += n;
    len -= (gsize)n;
  }
  return 0;
}

static void
gen_output_flush(GenOutput *out)
{
  if (out->write_errno == 0 && out->pending->len > 0)
    out->write_errno = -write_all(out->fd, out->pending->str, out->pending->len);
  g_string_truncate(out->pending, 0);
}

static void
gen_output_line(const char *line, gsize len, gpointer user_data)
{
  GenOutput *out = user_data;
  g_string_append_len(out->pending, line, (gssize)len);
  out->lines++;
  out->bytes += len;
  if (out->pending->len >= WRITE_CHUNK)
    gen_output_flush(out);
}

/* Local midnight `days` days after origin. */
static gint64
day_ms(GDateTime *origin, gint days)
{
  g_autoptr(GDateTime) dt = g_date_time_add_days(origin, days);
  return g_date_time_to_unix(dt) * 1000;
}

/* Days to add for `missing` more lines at the rate seen so far. */
static gint
more_days(guint64 lines, gint days, guint64 missing)
{
  double per_day = lines > 0 ? (double)lines / days : 1.0;
  return (gint)(missing / per_day * SIM_MARGIN) + 1;
}

/* Writes the demo hotline's queue_log from a fixed local midnight until the
 * file holds at least `want` lines, in whole days. wb_sim_generate replays
 * the run from its origin on every call, so it is called few times: a first
 * week, then what the rate seen says is left (and again if short). */
static gboolean
generate_input(const char *path, guint64 seed, guint64 want, guint64 *lines, guint64 *bytes,
               gint *days, GError **error)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier(SIM_TIMEZONE);
  if (tz == NULL) {
    g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "time zone %s not found", SIM_TIMEZONE);
    return FALSE;
  }
  g_autoptr(GDateTime) origin = g_date_time_new(tz, 2019, 1, 1, 0, 0, 0);
  g_autoptr(GString) pending = g_string_sized_new(WRITE_CHUNK + 4096);
  GenOutput out = {.fd = -1, .pending = pending};
  out.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out.fd < 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s", path,
                g_strerror(errno));
    return FALSE;
  }
  gint64 origin_ms = day_ms(origin, 0);
  gint done = 0, to = SIM_FIRST_DAYS;
  while (out.lines < want && out.write_errno == 0) {
    wb_sim_generate(seed, tz, origin_ms, day_ms(origin, done), day_ms(origin, to), gen_output_line,
                    &out);
    done = to;
    if (out.lines < want)
      to += more_days(out.lines, done, want - out.lines);
  }
  gen_output_flush(&out);
  int close_errno = close(out.fd) != 0 ? errno : 0;
  int failed = out.write_errno != 0 ? out.write_errno : close_errno;
  if (failed != 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(failed), "writing %s: %s", path,
                g_strerror(failed));
    return FALSE;
  }
  *lines = out.lines;
  *bytes = out.bytes;
  *days = done;
  return TRUE;
}

/* ---- (a) read and split ------------------------------------------------------ */

static gboolean
run_read_split(const char *path, guint64 *lines, GError **error)
{
  g_autofree LineReader *r = g_new(LineReader, 1);
  const char *line;
  gsize len;
  guint64 n = 0;
  int rc = line_reader_open(r, path);

  while (rc >= 0 && (rc = line_reader_next(r, &line, &len)) > 0)
    n++;
  line_reader_close(r);
  if (rc < 0)
    return reader_error(rc, path, error);
  *lines = n;
  return TRUE;
}

/* ---- parse pass: what the import must store ----------------------------------- */

typedef struct {
  guint64 lines;
  guint64 events;
  guint64 event_lines; /* lines that give at least one event */
  guint64 ignored;     /* blank, ignored and unknown */
  guint64 malformed;
} ParseCounts;

static void
count_parsed(ParseCounts *c, const WbQueuelogLine *parsed)
{
  c->lines++;
  switch (parsed->result) {
  case WB_QUEUELOG_EVENTS:
    c->events += (guint64)parsed->n_events;
    c->event_lines += parsed->n_events > 0;
    break;
  case WB_QUEUELOG_MALFORMED: c->malformed++; break;
  case WB_QUEUELOG_BLANK:
  case WB_QUEUELOG_IGNORED:
  case WB_QUEUELOG_UNKNOWN: c->ignored++; break;
  }
}

/* The collector's own line parser over every line, with the default
 * configuration's agent map, as the import parses them. */
static gboolean
run_parse(const char *path, ParseCounts *counts, GError **error)
{
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  g_autoptr(WbAgentMap) agents = wb_config_agent_map(cfg);
  g_autofree char *source = wb_queuelog_source_name(path);
  g_autofree LineReader *r = g_new(LineReader, 1);
  g_autofree WbQueuelogLine *parsed = g_new(WbQueuelogLine, 1);
  ParseCounts c = {0};
  const char *line;
  gsize len;
  int rc = line_reader_open(r, path);

  while (rc >= 0 && (rc = line_reader_next(r, &line, &len)) > 0) {
    wb_queuelog_parse_line(agents, source, line, len, parsed);
    count_parsed(&c, parsed);
  }
  line_reader_close(r);
  if (rc < 0)
    return reader_error(rc, path, error);
  *counts = c;
  return TRUE;
}

/* ---- (b) bare SQLite ---------------------------------------------------------- */

static gboolean
sql_failed(sqlite3 *db, const char *what, GError **error)
{
  g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "baseline: %s failed: %s", what,
              db != NULL ? sqlite3_errmsg(db) : "out of memory");
  return FALSE;
}

static gboolean
sql_exec(sqlite3 *db, const char *sql, GError **error)
{
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return sql_failed(db, sql, error);
  return TRUE;
}

/* Epoch seconds at the start of a queue_log line, in ms (0 if none). */
static gint64
line_ts_ms(const char *line, gsize len)
{
  gint64 s = 0;
  for (gsize i = 0; i < len && i < 12 && g_ascii_isdigit(line[i]); i++)
    s = s * 10 + (line[i] - '0');
  return s * 1000;
}

static gboolean
insert_line(sqlite3 *db, sqlite3_stmt *st, const char *line, gsize len, GError **error)
{
  sqlite3_bind_int64(st, 1, line_ts_ms(line, len));
  sqlite3_bind_text(st, 2, line, (int)len, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE)
    return sql_failed(db, "sqlite3_step(insert)", error);
  return TRUE;
}

static gboolean
insert_all(sqlite3 *db, sqlite3_stmt *st, const char *path, guint64 *rows, GError **error)
{
  g_autofree LineReader *r = g_new(LineReader, 1);
  const char *line;
  gsize len;
  guint64 n = 0;
  int rc = line_reader_open(r, path);

  if (rc >= 0 && !sql_exec(db, "BEGIN IMMEDIATE", error)) {
    line_reader_close(r);
    return FALSE;
  }
  while (rc >= 0 && (rc = line_reader_next(r, &line, &len)) > 0) {
    if (!insert_line(db, st, line, len, error))
      break;
    if (++n % BASELINE_BATCH == 0 && !sql_exec(db, "COMMIT; BEGIN IMMEDIATE", error))
      break;
  }
  line_reader_close(r);
  if (rc < 0)
    return reader_error(rc, path, error);
  if (rc > 0) /* stopped on an SQL error */
    return FALSE;
  *rows = n;
  return sql_exec(db, "COMMIT", error);
}

static gboolean
baseline_fill(sqlite3 *db, const char *path, guint64 *rows, GError **error)
{
  sqlite3_stmt *st = NULL;

  if (!sql_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", error) ||
      !sql_exec(db, "CREATE TABLE events (id INTEGER PRIMARY KEY, ts_ms INTEGER, line TEXT)",
                error))
    return FALSE;
  if (sqlite3_prepare_v3(db, "INSERT INTO events (ts_ms, line) VALUES (?1, ?2)", -1,
                         SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
    return sql_failed(db, "sqlite3_prepare_v3(insert)", error);
  gboolean ok = insert_all(db, st, path, rows, error);
  sqlite3_finalize(st);
  return ok;
}

/* One row per line into a fresh database, committed every BASELINE_BATCH
 * rows; the close (and its checkpoint) is part of it, as in (c). */
static gboolean
run_baseline(const char *db_path, const char *path, guint64 *rows, GError **error)
{
  sqlite3 *db = NULL;
  /* One thread, as the store's writer: no per-call mutex either. */
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(db_path, &db, flags, NULL) != SQLITE_OK) {
    sql_failed(db, "sqlite3_open_v2", error);
    sqlite3_close(db);
    return FALSE;
  }
  gboolean ok = baseline_fill(db, path, rows, error);
  if (sqlite3_close(db) != SQLITE_OK && ok)
    ok = sql_failed(db, "sqlite3_close", error);
  return ok;
}

/* ---- (c) the full import ------------------------------------------------------ */

/* As `wallboardctl --state-dir DIR import queue_log FILE` does (engine/ctl.c):
 * default configuration with [store] state_dir set, writer open, live model
 * rebuilt, backfill, close. */
static gboolean
run_import(const char *state_dir, const char *path, WbBackfillProgress *summary, GError **error)
{
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  WbEngine e = {.cfg = cfg, .lock_fd = -1};
  const char *const paths[] = {path, NULL};

  if (!wb_config_set(cfg, "store", "state_dir", state_dir, error))
    return FALSE;
  e.clock.rate = 1.0;
  e.started_us = g_get_monotonic_time();
  gboolean ok = wb_engine_open(&e, TRUE, error) && wb_engine_rebuild(&e, error) &&
                wb_backfill_queuelog(&e, paths, IMPORT_BATCH, NULL, NULL, summary, error);
  wb_engine_clear(&e);
  return ok;
}

typedef struct {
  gint64 events, calls, intervals, agent_states, quarantine;
} StoredCounts;

static gboolean
count_rows(sqlite3 *db, const char *table, gint64 *out, GError **error)
{
  g_autofree char *sql = g_strdup_printf("SELECT count(*) FROM %s", table);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    return sql_failed(db, sql, error);
  gboolean ok = sqlite3_step(st) == SQLITE_ROW;
  if (ok)
    *out = sqlite3_column_int64(st, 0);
  else
    sql_failed(db, sql, error);
  sqlite3_finalize(st);
  return ok;
}

/* What the import left on disk, read back after it closed. */
static gboolean
count_stored(const char *state_dir, StoredCounts *c, GError **error)
{
  g_autofree char *path = g_build_filename(state_dir, "wallboard.db", NULL);
  sqlite3 *db = NULL;
  gboolean ok = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK;
  if (!ok)
    sql_failed(db, path, error);
  ok = ok && count_rows(db, "events", &c->events, error) &&
       count_rows(db, "calls", &c->calls, error) &&
       count_rows(db, "intervals", &c->intervals, error) &&
       count_rows(db, "agent_states", &c->agent_states, error) &&
       count_rows(db, "quarantine", &c->quarantine, error);
  sqlite3_close(db);
  return ok;
}

/* The import must store one event per event the parser gives, all of them
 * new, and quarantine exactly the malformed lines. */
static gboolean
check_import(const ParseCounts *parsed, const WbBackfillProgress *s, const StoredCounts *stored,
             GError **error)
{
  if (s->lines == parsed->lines && s->events == parsed->events &&
      (guint64)stored->events == parsed->events && s->duplicates == 0 &&
      s->quarantined == parsed->malformed && (guint64)stored->quarantine == parsed->malformed)
    return TRUE;
  g_set_error(error, BENCH_ERROR, BENCH_ERROR_CHECK,
              "import stored other than it should: lines %" G_GUINT64_FORMAT
              " (file %" G_GUINT64_FORMAT "), events reported %" G_GUINT64_FORMAT
              " stored %" G_GINT64_FORMAT " (parser gives %" G_GUINT64_FORMAT
              "), duplicates %" G_GUINT64_FORMAT ", quarantined %" G_GUINT64_FORMAT
              " (malformed lines %" G_GUINT64_FORMAT ")",
              s->lines, parsed->lines, s->events, stored->events, parsed->events, s->duplicates,
              s->quarantined, parsed->malformed);
  return FALSE;
}

/* ---- the report ---------------------------------------------------------------- */

static void
print_header(const Options *opt, const char *dir, guint64 lines, guint64 bytes, gint days,
             double gen_s)
{
  g_autofree char *cpu = bench_machine_cpu_model();
  g_print("ingest: queue_log backfill against reading alone and bare SQLite\n");
  g_print("machine: %s, %ld online cores, load average %.2f; SQLite %s; build %s\n", cpu,
          sysconf(_SC_NPROCESSORS_ONLN), bench_machine_load_average(), sqlite3_libversion(),
          WB_BENCH_BUILDTYPE);
  g_print("input: %" G_GUINT64_FORMAT " queue_log lines (%.1f MB), seed %" G_GINT64_FORMAT
          ", %d days of the demo hotline from 2019-01-01 (%s)\n",
          lines, bytes / 1e6, opt->seed, days, SIM_TIMEZONE);
  g_print("generated in %.2f s (not counted); work dir %s%s\n", gen_s, dir,
          opt->keep ? " (kept)" : " (removed afterwards)");
  g_print("batches: (b) %d rows per transaction, (c) %d events per batch\n\n", BASELINE_BATCH,
          IMPORT_BATCH);
}

static void
print_phase(const Phase *p)
{
  g_print("%-34s %12" G_GUINT64_FORMAT " %8.2f %8.2f %12.0f %12.0f %9.1f%s\n", p->name, p->count,
          p->wall_us / 1e6, p->cpu_s, phase_rate_wall(p), phase_rate_cpu(p), p->peak_kb / 1024.0,
          p->peak_reset ? "" : " (process)");
}

static void
print_table(const Phase *a, const Phase *parse, const Phase *b, const Phase *c)
{
  g_print("%-34s %12s %8s %8s %12s %12s %9s\n", "phase", "events", "wall s", "cpu s", "events/s",
          "events/s cpu", "peak MiB");
  print_phase(a);
  print_phase(b);
  print_phase(c);
  print_phase(parse);
  g_print("\n");
}

static void
print_stored(const ParseCounts *parsed, const WbBackfillProgress *s, const StoredCounts *stored)
{
  g_print("(c) stored %" G_GINT64_FORMAT " events from %" G_GUINT64_FORMAT
          " lines (%" G_GUINT64_FORMAT " lines give an event, %" G_GUINT64_FORMAT
          " none, %" G_GUINT64_FORMAT " malformed): as the parser says, none twice\n",
          stored->events, s->lines, parsed->event_lines, parsed->ignored, parsed->malformed);
  g_print("(c) rows: calls %" G_GINT64_FORMAT ", intervals %" G_GINT64_FORMAT
          ", agent_states %" G_GINT64_FORMAT ", quarantine %" G_GINT64_FORMAT
          "; backfill alone %.2f s\n\n",
          stored->calls, stored->intervals, stored->agent_states, stored->quarantine,
          s->elapsed_us / 1e6);
}

/* CPU per event of (c), split by what the other phases cost per line. */
static void
print_profile(const Phase *a, const Phase *parse, const Phase *b, const Phase *c)
{
  double total = phase_cpu_ns(c);
  double read = phase_cpu_ns(a);
  double parsing = MAX(phase_cpu_ns(parse) - read, 0.0);
  double row = MAX(phase_cpu_ns(b) - read, 0.0);
  double rest = total - read - parsing - row;
  double pct = total > 0 ? 100.0 / total : 0.0;

  g_print("where (c) spends its CPU, per event (from the phases above):\n");
  g_print("  %7.0f ns  (c) in all\n", total);
  g_print("  %7.0f ns  %5.1f %%  reading and splitting, as (a)\n", read, read * pct);
  g_print("  %7.0f ns  %5.1f %%  parsing the line, as the parse pass less (a)\n", parsing,
          parsing * pct);
  g_print("  %7.0f ns  %5.1f %%  one bare SQLite row, as (b) less (a)\n", row, row * pct);
  g_print("  %7.0f ns  %5.1f %%  the rest: caller hashing, the events row's columns and\n"
          "                      indexes, the live model, calls/agent_states/intervals rows\n\n",
          rest, rest * pct);
}

static void
print_verdicts(const Phase *b, const Phase *c)
{
  double wall = phase_rate_wall(c), cpu = phase_rate_cpu(c);
  double ratio = phase_rate_wall(b) > 0 ? wall / phase_rate_wall(b) : 0.0;
  gboolean fast = wall >= TARGET_EVENTS_PER_S && cpu >= TARGET_EVENTS_PER_S;

  g_print("ratio (c)/(b): %.3f (by CPU time %.3f)\n", ratio,
          phase_rate_cpu(b) > 0 ? cpu / phase_rate_cpu(b) : 0.0);
  g_print("%s (c) >= %.0f events/s on one core: %.0f events/s wall, %.0f by CPU time\n",
          fast ? "PASS" : "MISS", TARGET_EVENTS_PER_S, wall, cpu);
  g_print("%s (c)/(b) >= %.2f: %.3f\n", ratio >= TARGET_RATIO ? "PASS" : "MISS", TARGET_RATIO,
          ratio);
}

/* ---- main ---------------------------------------------------------------------- */

static gboolean
parse_options(int argc, char **argv, Options *opt, GError **error)
{
  GOptionEntry entries[] = {
      {"events", 0, 0, G_OPTION_ARG_INT64, &opt->events,
       "Lines of queue_log to generate, at least (default 5000000)", "N"},
      {"dir", 0, 0, G_OPTION_ARG_FILENAME, &opt->dir,
       "Work directory, new or empty (default: a fresh temporary directory)", "DIR"},
      {"keep", 0, 0, G_OPTION_ARG_NONE, &opt->keep, "Keep the work directory", NULL},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &opt->seed, "Seed of the generated traffic", "S"},
      G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("- queue_log import speed against its baselines");
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, error))
    return FALSE;
  if (opt->events < 1) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--events must be at least 1");
    return FALSE;
  }
  return TRUE;
}

typedef struct {
  char *dir;
  char *queue_log;
  char *baseline_db;
  char *state_dir;
  guint64 lines;
  Phase a, parse, b, c;
  ParseCounts parsed;
  WbBackfillProgress summary;
  StoredCounts stored;
} Run;

static gboolean
run_phases(Run *run, GError **error)
{
  guint64 n = 0;

  phase_begin(&run->a, "(a) read + split lines");
  if (!run_read_split(run->queue_log, &n, error))
    return FALSE;
  phase_end(&run->a, n);
  if (n != run->lines) {
    g_set_error(error, BENCH_ERROR, BENCH_ERROR_CHECK,
                "read %" G_GUINT64_FORMAT " lines, generated %" G_GUINT64_FORMAT, n, run->lines);
    return FALSE;
  }
  phase_begin(&run->b, "(b) bare SQLite, row per line");
  if (!run_baseline(run->baseline_db, run->queue_log, &n, error))
    return FALSE;
  phase_end(&run->b, n);
  phase_begin(&run->c, "(c) full import");
  if (!run_import(run->state_dir, run->queue_log, &run->summary, error))
    return FALSE;
  phase_end(&run->c, run->summary.events);
  phase_begin(&run->parse, "    parse pass (no target)");
  if (!run_parse(run->queue_log, &run->parsed, error))
    return FALSE;
  phase_end(&run->parse, run->parsed.lines);
  return count_stored(run->state_dir, &run->stored, error) &&
         check_import(&run->parsed, &run->summary, &run->stored, error);
}

static gboolean
run_bench(const Options *opt, const char *dir, GError **error)
{
  Run run = {0};
  g_autofree char *queue_log = g_build_filename(dir, QUEUE_LOG_NAME, NULL);
  g_autofree char *baseline_db = g_build_filename(dir, BASELINE_DB_NAME, NULL);
  g_autofree char *state_dir = g_build_filename(dir, STATE_DIR_NAME, NULL);
  guint64 bytes = 0;
  gint days = 0;

  gint64 t0 = g_get_monotonic_time();
  if (!generate_input(queue_log, (guint64)opt->seed, (guint64)opt->events, &run.lines, &bytes,
                      &days, error))
    return FALSE;
  print_header(opt, dir, run.lines, bytes, days, (g_get_monotonic_time() - t0) / 1e6);
  run.queue_log = queue_log;
  run.baseline_db = baseline_db;
  run.state_dir = state_dir;
  if (!run_phases(&run, error))
    return FALSE;
  print_table(&run.a, &run.parse, &run.b, &run.c);
  print_stored(&run.parsed, &run.summary, &run.stored);
  print_profile(&run.a, &run.parse, &run.b, &run.c);
  print_verdicts(&run.b, &run.c);
  return TRUE;
}

int
main(int argc, char **argv)
{
  Options opt = {.events = 5000000, .seed = 1};
  g_autoptr(GError) error = NULL;

  if (!parse_options(argc, argv, &opt, &error)) {
    g_printerr("ingest: %s\n", error->message);
    return 2;
  }
  g_autofree char *requested = opt.dir;
  gboolean created = FALSE;
  g_autofree char *dir = bench_dir_make(requested, "wb-bench-ingest-XXXXXX", &created, &error);
  if (dir == NULL) {
    g_printerr("ingest: %s\n", error->message);
    return 1;
  }
  gboolean ok = run_bench(&opt, dir, &error);
  if (!ok)
    g_printerr("ingest: %s\n", error->message);
  if (!opt.keep)
    bench_dir_remove("ingest", dir, created);
  return ok ? 0 : 1;
}
