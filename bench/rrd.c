/* rrd.c: what keeping the RRD archive costs, against the stock rrdtool
 * command run in the same invocation on copies of the same files.
 *
 * About 1,000 series (data-source values) updated every 10 s of simulated
 * time: with the archive's 12 data sources per file that is 84 files (1,008
 * series) for --series 1000. The files are made first through the archive
 * (not counted), then --hours of data are written three ways:
 *
 *   (A) the archive as the engine drives it: wb_rrd_archive_add per file and
 *       step, wb_rrd_archive_flush every 6 steps (once a minute per file);
 *   (B) the same with one flush per simulated hour;
 *   (C) `rrdtool update FILE TS:v1:…:v12`, one process per sample and file
 *       (posix_spawn + waitpid), on fresh copies of the first
 *       --baseline-files files: one process per sample is slow, so (C) runs
 *       on a subset and is scaled per sample to all files.
 *
 * (A) and (C) write the same hour into equal files; the benchmark fetches
 * both back and checks that they hold the same values. Prints CPU seconds
 * (getrusage: self, plus children for (C)) and wall seconds, CPU per hour of
 * data and per series value, and the ratio. Exits 0 whatever the figures;
 * non-zero on errors or when the files differ.
 */
#define G_LOG_DOMAIN "bench"

#include <errno.h>
#include <gio/gio.h>
#include <math.h>
#include <rrd.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bench/bench_machine.h"
#include "bench/bench_dir.h"
#include "rrd/archive.h"

#ifndef WB_BENCH_BUILDTYPE
#define WB_BENCH_BUILDTYPE "unknown"
#endif

/* The engine's cadence (engine/sampler.h): a sample per file every step,
 * written once a minute. */
#define STEPS_PER_FLUSH 6
#define STEPS_PER_HOUR (3600 / WB_RRD_STEP_S)
/* A fixed start, aligned to the step: 2026-01-01 00:00 UTC. */
#define T0_S G_GINT64_CONSTANT(1767225600)
#define TEMPLATE_DIR_NAME "archive"
#define BASELINE_DIR_NAME "rrdtool"

extern char **environ;

#define BENCH_ERROR (bench_error_quark())
GQuark bench_error_quark(void);
G_DEFINE_QUARK(wb_bench_error, bench_error)
typedef enum {
  BENCH_ERROR_FAILED,
  BENCH_ERROR_CHECK,
} BenchError;

typedef struct {
  gint64 series;
  gdouble hours;
  gint64 baseline_files;
  char *rrdtool;
  char *dir;
  gboolean keep;
} Options;

/* ---- measuring ------------------------------------------------------------ */

static double
rusage_seconds(int who)
{
  struct rusage ru;
  if (getrusage(who, &ru) != 0)
    return 0.0;
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

typedef struct {
  const char *name;
  guint files;
  guint64 steps;
  guint64 updates; /* update calls (A, B) or processes (C) */
  gint64 wall_us;
  double cpu_s;      /* self + children */
  double children_s; /* of cpu_s */
  /* while running */
  gint64 start_us;
  double start_self_s, start_children_s;
} Phase;

static void
phase_begin(Phase *p, const char *name, guint files, guint64 steps)
{
  p->name = name;
  p->files = files;
  p->steps = steps;
  p->start_self_s = rusage_seconds(RUSAGE_SELF);
  p->start_children_s = rusage_seconds(RUSAGE_CHILDREN);
  p->start_us = g_get_monotonic_time();
}

static void
phase_end(Phase *p, guint64 updates)
{
  p->wall_us = g_get_monotonic_time() - p->start_us;
  p->children_s = rusage_seconds(RUSAGE_CHILDREN) - p->start_children_s;
  p->cpu_s = rusage_seconds(RUSAGE_SELF) - p->start_self_s + p->children_s;
  p->updates = updates;
}

/* Samples (one per file and step) and series values (12 per sample). */
static guint64
phase_samples(const Phase *p)
{
  return (guint64)p->files * p->steps;
}

static guint64
phase_values(const Phase *p)
{
  return phase_samples(p) * WB_RRD_DS_COUNT;
}

/* CPU seconds per hour of data for `files` files, from this phase's cost
 * per sample. */
static double
phase_cpu_per_hour(const Phase *p, guint files)
{
  guint64 n = phase_samples(p);
  return n > 0 ? p->cpu_s / n * files * STEPS_PER_HOUR : 0.0;
}

static double
phase_wall_per_hour(const Phase *p, guint files)
{
  guint64 n = phase_samples(p);
  return n > 0 ? p->wall_us / 1e6 / n * files * STEPS_PER_HOUR : 0.0;
}

/* ---- the data ----------------------------------------------------------------- */

/* A deterministic sample for file f at step k: what a busy queue looks like,
 * in values that print exactly in "%.6g" (both writers format alike). */
static void
make_sample(guint f, guint64 k, gint64 t, WbRrdSample *s)
{
  guint64 h = (k * 2654435761u + f * 40503u) % 1000u;

  memset(s, 0, sizeof(*s)); /* span_s 0: one step */
  s->ts_s = t;
  s->v[WB_RRD_WAITING] = (double)(h % 13);
  s->v[WB_RRD_LONGEST_WAIT] = (double)(h % 13) * 7;
  s->v[WB_RRD_AVAILABLE] = (double)(h % 9);
  s->v[WB_RRD_RINGING] = (double)(h % 3);
  s->v[WB_RRD_ON_CALL] = (double)(20 + h % 11);
  s->v[WB_RRD_ACW] = (double)(h % 5);
  s->v[WB_RRD_PAUSED] = 2;
  s->v[WB_RRD_OFFLINE] = 10;
  s->v[WB_RRD_OFFERED] = (double)(h % 7);
  s->v[WB_RRD_ANSWERED] =
      s->v[WB_RRD_OFFERED] > 0 && h % 2 == 1 ? s->v[WB_RRD_OFFERED] - 1 : s->v[WB_RRD_OFFERED];
  s->v[WB_RRD_ABANDONED] = s->v[WB_RRD_OFFERED] - s->v[WB_RRD_ANSWERED];
  s->v[WB_RRD_SERVICE_LEVEL] = (double)(70 + h % 30) / 100;
}

/* "TS:v1:…:v12" as a script would pass it to rrdtool update. */
static void
format_update(const WbRrdSample *s, GString *out)
{
  char num[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_printf(out, "%" G_GINT64_FORMAT, s->ts_s);
  for (int i = 0; i < WB_RRD_DS_COUNT; i++) {
    g_string_append_c(out, ':');
    if (isnan(s->v[i]))
      g_string_append_c(out, 'U');
    else
      g_string_append(out, g_ascii_formatd(num, sizeof(num), "%.6g", s->v[i]));
  }
}

/* "queue:q0007": a queue per file, names of equal length. */
static char *
scope_of(guint f)
{
  return g_strdup_printf("queue:q%04u", f);
}

/* ---- the files ----------------------------------------------------------------- */

/* Makes each file through the archive with a first sample at T0_S. */
static gboolean
create_files(const char *dir, guint files, GError **error)
{
  g_autoptr(WbRrdArchive) a = wb_rrd_archive_new(dir, NULL, error);
  if (a == NULL)
    return FALSE;
  for (guint f = 0; f < files; f++) {
    g_autofree char *scope = scope_of(f);
    WbRrdSample s;
    make_sample(f, 0, T0_S, &s);
    wb_rrd_archive_add(a, scope, &s);
  }
  return wb_rrd_archive_flush(a, error);
}

static gboolean
copy_files(const char *from_dir, const char *to_dir, guint files, GPtrArray *paths, GError **error)
{
  g_autoptr(WbRrdArchive) from = wb_rrd_archive_new(from_dir, NULL, error);
  if (from == NULL || g_mkdir_with_parents(to_dir, 0700) != 0) {
    if (from != NULL)
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s",
                  to_dir, g_strerror(errno));
    return FALSE;
  }
  for (guint f = 0; f < files; f++) {
    g_autofree char *scope = scope_of(f);
    g_autofree char *src_path = wb_rrd_archive_path(from, scope);
    g_autofree char *name = g_path_get_basename(src_path);
    char *dst_path = g_build_filename(to_dir, name, NULL);
    g_ptr_array_add(paths, dst_path);
    g_autoptr(GFile) src = g_file_new_for_path(src_path);
    g_autoptr(GFile) dst = g_file_new_for_path(dst_path);
    if (!g_file_copy(src, dst, G_FILE_COPY_NONE, NULL, NULL, NULL, error))
      return FALSE;
  }
  return TRUE;
}

/* ---- (A) and (B): the archive --------------------------------------------------- */

/* Writes steps [first, first + steps) of every file, flushing every
 * `per_flush` steps and after the last. */
static gboolean
run_archive(const char *dir, guint files, guint64 first, guint64 steps, guint64 per_flush,
            WbRrdStats *stats, GError **error)
{
  g_autoptr(WbRrdArchive) a = wb_rrd_archive_new(dir, NULL, error);
  if (a == NULL)
    return FALSE;
  g_autoptr(GPtrArray) scopes = g_ptr_array_new_with_free_func(g_free);
  for (guint f = 0; f < files; f++)
    g_ptr_array_add(scopes, scope_of(f));
  for (guint64 k = first; k < first + steps; k++) {
    gint64 t = T0_S + (gint64)k * WB_RRD_STEP_S;
    for (guint f = 0; f < files; f++) {
      WbRrdSample s;
      make_sample(f, k, t, &s);
      wb_rrd_archive_add(a, g_ptr_array_index(scopes, f), &s);
    }
    if ((k - first + 1) % per_flush == 0 && !wb_rrd_archive_flush(a, error))
      return FALSE;
  }
  if (!wb_rrd_archive_flush(a, error))
    return FALSE;
  wb_rrd_archive_stats(a, stats);
  if (stats->values != (guint64)files * steps || stats->skipped_backwards != 0 ||
      stats->errors != 0) {
    g_set_error(error, BENCH_ERROR, BENCH_ERROR_CHECK,
                "the archive wrote %" G_GUINT64_FORMAT " samples of %" G_GUINT64_FORMAT
                " (%" G_GUINT64_FORMAT " skipped, %" G_GUINT64_FORMAT " errors)",
                stats->values, (guint64)files * steps, stats->skipped_backwards, stats->errors);
    return FALSE;
  }
  return TRUE;
}

/* ---- (C): rrdtool update, one process per sample ---------------------------------- */

static gboolean
rrdtool_update(const char *rrdtool, const char *path, const char *update, GError **error)
{
  char *argv[] = {(char *)rrdtool, "update", (char *)path, (char *)update, NULL};
  pid_t pid;
  int status = 0;
  int rc = posix_spawn(&pid, rrdtool, NULL, NULL, argv, environ);

  if (rc != 0) {
    g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "cannot run %s: %s", rrdtool,
                g_strerror(rc));
    return FALSE;
  }
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "waitpid: %s", g_strerror(errno));
      return FALSE;
    }
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "%s update %s %s failed (status %d)",
                rrdtool, path, update, status);
    return FALSE;
  }
  return TRUE;
}

/* Steps [first, first + steps) of each file, a process per sample, files
 * taken in turn within a step as the engine takes them. */
static gboolean
run_rrdtool(const char *rrdtool, GPtrArray *paths, guint64 first, guint64 steps, guint64 *processes,
            GError **error)
{
  g_autoptr(GString) update = g_string_sized_new(128);

  *processes = 0;
  for (guint64 k = first; k < first + steps; k++) {
    gint64 t = T0_S + (gint64)k * WB_RRD_STEP_S;
    for (guint f = 0; f < paths->len; f++) {
      WbRrdSample s;
      make_sample(f, k, t, &s);
      format_update(&s, update);
      if (!rrdtool_update(rrdtool, g_ptr_array_index(paths, f), update->str, error))
        return FALSE;
      ++*processes;
    }
  }
  return TRUE;
}

/* ---- the check ----------------------------------------------------------------- */

static gboolean
fetch_all(const char *path, gint64 from_s, gint64 to_s, rrd_value_t **data, unsigned long *rows,
          unsigned long *ds_count, GError **error)
{
  time_t start = (time_t)from_s, end = (time_t)to_s;
  unsigned long step = WB_RRD_STEP_S;
  char **names = NULL;

  rrd_clear_error();
  if (rrd_fetch_r(path, "AVERAGE", &start, &end, &step, ds_count, &names, data) != 0) {
    g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "rrd_fetch_r %s failed: %s", path,
                rrd_get_error());
    rrd_clear_error();
    return FALSE;
  }
  for (unsigned long i = 0; i < *ds_count; i++)
    rrd_freemem(names[i]);
  rrd_freemem(names);
  /* Row i ends at start + (i + 1) * step; rrd_fetch_r may give a row past
   * to_s, which only (A)'s file, written on by (B), has. */
  *rows = step > 0 && to_s > start ? (unsigned long)((to_s - start) / (time_t)step) : 0;
  return TRUE;
}

static gboolean
same_value(rrd_value_t a, rrd_value_t b)
{
  if (isnan(a) || isnan(b))
    return isnan(a) && isnan(b);
  return fabs(a - b) <= 1e-9 * MAX(1.0, fabs(a));
}

/* (A) and (C) wrote the same steps into equal files: the 10-second archive
 * of each pair must hold the same values, and some of them known. */
static gboolean
check_same(const char *archive_dir, GPtrArray *baseline_paths, guint64 steps, GError **error)
{
  g_autoptr(WbRrdArchive) a = wb_rrd_archive_new(archive_dir, NULL, error);
  if (a == NULL)
    return FALSE;
  gint64 from = T0_S, to = T0_S + (gint64)steps * WB_RRD_STEP_S;
  for (guint f = 0; f < baseline_paths->len; f++) {
    g_autofree char *scope = scope_of(f);
    g_autofree char *ours = wb_rrd_archive_path(a, scope);
    rrd_value_t *x = NULL, *y = NULL;
    unsigned long nx = 0, ny = 0, dx = 0, dy = 0;
    gboolean ok = fetch_all(ours, from, to, &x, &nx, &dx, error) &&
                  fetch_all(g_ptr_array_index(baseline_paths, f), from, to, &y, &ny, &dy, error);
    guint64 known = 0, differ = 0;
    for (unsigned long i = 0; ok && nx == ny && dx == dy && i < nx * dx; i++) {
      known += !isnan(x[i]);
      differ += !same_value(x[i], y[i]);
    }
    if (x != NULL)
      rrd_freemem(x);
    if (y != NULL)
      rrd_freemem(y);
    if (!ok)
      return FALSE;
    if (nx != ny || dx != dy || differ > 0 || known < steps / 2) {
      g_set_error(error, BENCH_ERROR, BENCH_ERROR_CHECK,
                  "%s and its rrdtool copy differ: %lu/%lu rows, %" G_GUINT64_FORMAT
                  " values differ, %" G_GUINT64_FORMAT " known",
                  ours, nx, ny, differ, known);
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- the report ------------------------------------------------------------------ */

static gint64
file_size(const char *path)
{
  GStatBuf st;
  return g_stat(path, &st) == 0 ? (gint64)st.st_size : -1;
}

static void
print_phase(const Phase *p, guint files)
{
  g_print("%-44s %5u %9" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %8.2f %8.2f %10.2f %9.2f\n",
          p->name, p->files, p->updates, phase_values(p), p->wall_us / 1e6, p->cpu_s,
          phase_cpu_per_hour(p, files), phase_values(p) > 0 ? p->cpu_s * 1e6 / phase_values(p) : 0);
}

typedef struct {
  guint files;
  guint baseline_files;
  guint64 steps;
  double create_wall_s, create_cpu_s;
  gint64 file_bytes;
  Phase a, b, c;
  WbRrdStats stats_a, stats_b;
  gboolean have_baseline;
} Run;

static void
print_report(const Options *opt, const Run *r)
{
  double hours = (double)r->steps / STEPS_PER_HOUR;
  g_print("%-44s %5s %9s %10s %8s %8s %10s %9s\n", "phase", "files", "updates", "values", "wall s",
          "cpu s", "cpu s/h", "cpu us/v");
  print_phase(&r->a, r->files);
  print_phase(&r->b, r->files);
  if (r->have_baseline)
    print_phase(&r->c, r->files);
  g_print("\n(cpu s/h: CPU seconds per hour of data for all %u files; cpu us/v: per series "
          "value)\n\n",
          r->files);
  g_print("per hour of data (%" G_GUINT64_FORMAT " series values), CPU seconds:\n",
          (guint64)r->files * WB_RRD_DS_COUNT * STEPS_PER_HOUR);
  g_print("  (A) archive, flush once a minute   %9.3f  (%.2f s wall, %" G_GUINT64_FORMAT
          " update calls of %.0f samples)\n",
          phase_cpu_per_hour(&r->a, r->files), phase_wall_per_hour(&r->a, r->files),
          r->stats_a.updates,
          r->stats_a.updates > 0 ? (double)r->stats_a.values / r->stats_a.updates : 0.0);
  g_print("  (B) archive, flush once an hour    %9.3f  (%.2f s wall, %" G_GUINT64_FORMAT
          " update calls of %.0f samples)\n",
          phase_cpu_per_hour(&r->b, r->files), phase_wall_per_hour(&r->b, r->files),
          r->stats_b.updates,
          r->stats_b.updates > 0 ? (double)r->stats_b.values / r->stats_b.updates : 0.0);
  /* (A) and (B) write the same samples in different numbers of calls: what
   * a call costs, and what a sample in it costs. */
  if (r->stats_a.updates > r->stats_b.updates && phase_samples(&r->a) > 0) {
    double per_call = (r->a.cpu_s - r->b.cpu_s) / (double)(r->stats_a.updates - r->stats_b.updates);
    double per_sample = (r->b.cpu_s - per_call * r->stats_b.updates) / phase_samples(&r->b);
    g_print("      from (A) and (B): %.0f us of CPU per update call, %.1f us per sample of %d "
            "values in it\n",
            per_call * 1e6, per_sample * 1e6, WB_RRD_DS_COUNT);
  }
  if (!r->have_baseline) {
    g_print("  (C) rrdtool update: not run (%s)\n",
            opt->baseline_files == 0 ? "--baseline-files 0" : "no rrdtool program");
    return;
  }
  double c = phase_cpu_per_hour(&r->c, r->files);
  g_print("  (C) rrdtool update per sample      %9.3f  (%.2f s wall; measured on %u of %u "
          "files, %.2f ms CPU per process of which %.2f ms in rrdtool, scaled per sample)\n",
          c, phase_wall_per_hour(&r->c, r->files), r->c.files, r->files,
          r->c.updates > 0 ? r->c.cpu_s * 1e3 / r->c.updates : 0.0,
          r->c.updates > 0 ? r->c.children_s * 1e3 / r->c.updates : 0.0);
  double a = phase_cpu_per_hour(&r->a, r->files), b = phase_cpu_per_hour(&r->b, r->files);
  g_print("\nratio (A)/(C) by CPU: %.4f (rrdtool update per sample takes %.0f times the CPU)\n",
          c > 0 ? a / c : 0.0, a > 0 ? c / a : 0.0);
  g_print("ratio (B)/(C) by CPU: %.4f (%.0f times)\n", c > 0 ? b / c : 0.0, b > 0 ? c / b : 0.0);
  g_print("share of one core: (A) %.3f %%, (C) %.1f %% (CPU per hour of data / 3600 s)\n", a / 36.0,
          c / 36.0);
  g_print("(A) and (C) files hold the same values (10-second archive, %u files, %.2f h)\n",
          r->c.files, hours);
}

static void
print_header(const Options *opt, const char *dir, const Run *r)
{
  g_autofree char *cpu = bench_machine_cpu_model();
  g_print("rrd: the RRD archive's updates against rrdtool update per sample\n");
  g_print("machine: %s, %ld online cores, load average %.2f; librrd %s; build %s\n", cpu,
          sysconf(_SC_NPROCESSORS_ONLN), bench_machine_load_average(), rrd_strversion(),
          WB_BENCH_BUILDTYPE);
  g_print("data: %u series (%u files of %d data sources, for --series %" G_GINT64_FORMAT
          "), %" G_GUINT64_FORMAT " steps of %d s = %.2f h of data per phase\n",
          r->files * WB_RRD_DS_COUNT, r->files, WB_RRD_DS_COUNT, opt->series, r->steps,
          WB_RRD_STEP_S, (double)r->steps / STEPS_PER_HOUR);
  g_print("files: made through the archive in %.2f s wall, %.2f s CPU (not counted), %.1f MB "
          "each; work dir %s%s\n",
          r->create_wall_s, r->create_cpu_s, r->file_bytes / 1e6, dir,
          opt->keep ? " (kept)" : " (removed afterwards)");
  if (r->have_baseline)
    g_print("baseline: %s, one process per sample, on copies of %u of the %u files\n\n",
            opt->rrdtool, r->baseline_files, r->files);
  else
    g_print("baseline: not run\n\n");
}

/* ---- main ------------------------------------------------------------------------- */

static gboolean
run_bench(const Options *opt, const char *dir, GError **error)
{
  Run r = {0};
  g_autofree char *archive_dir = g_build_filename(dir, TEMPLATE_DIR_NAME, NULL);
  g_autofree char *baseline_dir = g_build_filename(dir, BASELINE_DIR_NAME, NULL);
  g_autoptr(GPtrArray) baseline_paths = g_ptr_array_new_with_free_func(g_free);

  r.files = (guint)((opt->series + WB_RRD_DS_COUNT - 1) / WB_RRD_DS_COUNT);
  r.steps = (guint64)MAX(round(opt->hours * STEPS_PER_HOUR), STEPS_PER_FLUSH);
  r.baseline_files = (guint)MIN((gint64)r.files, opt->baseline_files);
  r.have_baseline = r.baseline_files > 0 && opt->rrdtool != NULL;

  Phase create;
  phase_begin(&create, "create", r.files, 1);
  if (!create_files(archive_dir, r.files, error))
    return FALSE;
  phase_end(&create, r.files);
  r.create_wall_s = create.wall_us / 1e6;
  r.create_cpu_s = create.cpu_s;
  {
    g_autoptr(WbRrdArchive) a = wb_rrd_archive_new(archive_dir, NULL, error);
    if (a == NULL)
      return FALSE;
    g_autofree char *first = wb_rrd_archive_path(a, "queue:q0000");
    r.file_bytes = file_size(first);
  }
  /* The copies hold what (A) starts from: the first sample only. */
  if (r.have_baseline &&
      !copy_files(archive_dir, baseline_dir, r.baseline_files, baseline_paths, error))
    return FALSE;
  print_header(opt, dir, &r);

  /* Steps 1 … steps, then steps + 1 … 2 steps in the same files. */
  phase_begin(&r.a, "(A) archive, flush every 6 steps (1 min)", r.files, r.steps);
  if (!run_archive(archive_dir, r.files, 1, r.steps, STEPS_PER_FLUSH, &r.stats_a, error))
    return FALSE;
  phase_end(&r.a, r.stats_a.updates);
  phase_begin(&r.b, "(B) archive, flush every 360 steps (1 h)", r.files, r.steps);
  if (!run_archive(archive_dir, r.files, 1 + r.steps, r.steps, STEPS_PER_HOUR, &r.stats_b, error))
    return FALSE;
  phase_end(&r.b, r.stats_b.updates);
  if (r.have_baseline) {
    guint64 processes = 0;
    phase_begin(&r.c, "(C) rrdtool update, a process per sample", r.baseline_files, r.steps);
    if (!run_rrdtool(opt->rrdtool, baseline_paths, 1, r.steps, &processes, error))
      return FALSE;
    phase_end(&r.c, processes);
    if (!check_same(archive_dir, baseline_paths, r.steps, error))
      return FALSE;
  }
  print_report(opt, &r);
  return TRUE;
}

static gboolean
parse_options(int argc, char **argv, Options *opt, GError **error)
{
  GOptionEntry entries[] = {
      {"series", 0, 0, G_OPTION_ARG_INT64, &opt->series,
       "Series to update, rounded up to whole files of 12 (default 1000)", "N"},
      {"hours", 0, 0, G_OPTION_ARG_DOUBLE, &opt->hours,
       "Hours of data per phase, in 10-second steps (default 1)", "H"},
      {"baseline-files", 0, 0, G_OPTION_ARG_INT64, &opt->baseline_files,
       "Files the rrdtool baseline updates, scaled to all (default 10; 0: none)", "N"},
      {"rrdtool", 0, 0, G_OPTION_ARG_FILENAME, &opt->rrdtool,
       "The rrdtool program (default: rrdtool in PATH)", "PATH"},
      {"dir", 0, 0, G_OPTION_ARG_FILENAME, &opt->dir,
       "Work directory, new or empty (default: a fresh temporary directory)", "DIR"},
      {"keep", 0, 0, G_OPTION_ARG_NONE, &opt->keep, "Keep the work directory", NULL},
      G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("- RRD archive updates against rrdtool update per sample");
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, error))
    return FALSE;
  /* (A) and (B) write 2 × --hours into the files: the check reads (A)'s
   * back from the 10-second archive, which spans 2 days. */
  if (opt->series < 1 || opt->hours <= 0 || opt->hours > 24 || opt->baseline_files < 0) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "--series at least 1, --hours above 0 and at most 24, --baseline-files 0 or "
                "more");
    return FALSE;
  }
  if (opt->rrdtool == NULL)
    opt->rrdtool = g_find_program_in_path("rrdtool");
  else if (!g_path_is_absolute(opt->rrdtool)) {
    char *found = g_find_program_in_path(opt->rrdtool);
    g_free(opt->rrdtool);
    opt->rrdtool = found;
  }
  return TRUE;
}

int
main(int argc, char **argv)
{
  Options opt = {.series = 1000, .hours = 1.0, .baseline_files = 10};
  g_autoptr(GError) error = NULL;

  if (!parse_options(argc, argv, &opt, &error)) {
    g_printerr("rrd: %s\n", error->message);
    return 2;
  }
  gboolean created = FALSE;
  g_autofree char *dir = bench_dir_make(opt.dir, "wb-bench-rrd-XXXXXX", &created, &error);
  gboolean ok = dir != NULL && run_bench(&opt, dir, &error);
  if (!ok)
    g_printerr("rrd: %s\n", error->message);
  if (dir != NULL && !opt.keep)
    bench_dir_remove("rrd", dir, created);
  g_free(opt.rrdtool);
  g_free(opt.dir);
  return ok ? 0 : 1;
}
