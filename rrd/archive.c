/* archive.c: RRD files per scope, created on first need, updated in
 * batches, fetched for the series API. */
#define G_LOG_DOMAIN "rrd"

#include "rrd/archive.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <rrd.h>
#include <rrd_client.h>
#include <string.h>

G_DEFINE_QUARK(wb_rrd_error, wb_rrd_error)

static const struct {
  const char *name;
  gboolean count;
  const char *max; /* upper bound for rrdtool, "U" for none */
} ds_table[WB_RRD_DS_COUNT] = {
    [WB_RRD_WAITING] = {"waiting", FALSE, "U"},
    [WB_RRD_LONGEST_WAIT] = {"longest_wait_s", FALSE, "U"},
    [WB_RRD_AVAILABLE] = {"available", FALSE, "U"},
    [WB_RRD_RINGING] = {"ringing", FALSE, "U"},
    [WB_RRD_ON_CALL] = {"on_call", FALSE, "U"},
    [WB_RRD_ACW] = {"acw", FALSE, "U"},
    [WB_RRD_PAUSED] = {"paused", FALSE, "U"},
    [WB_RRD_OFFLINE] = {"offline", FALSE, "U"},
    [WB_RRD_OFFERED] = {"offered", TRUE, "U"},
    [WB_RRD_ANSWERED] = {"answered", TRUE, "U"},
    [WB_RRD_ABANDONED] = {"abandoned", TRUE, "U"},
    [WB_RRD_SERVICE_LEVEL] = {"service_level", FALSE, "1"},
};

/* Archives: steps per row and rows, for each of AVERAGE, MIN and MAX. */
static const struct {
  int steps;
  int rows;
} rra_table[] = {
    {1, 2 * 24 * 360},      /* 10 s for 2 days */
    {6, 14 * 24 * 60},      /* 1 min for 14 days */
    {90, 2 * 366 * 24 * 4}, /* 15 min for 2 years */
    {360, 10 * 366 * 24},   /* 1 h for 10 years */
};

static const char *const cfs[] = {"AVERAGE", "MIN", "MAX"};

typedef struct {
  char *path;
  gint64 last_s;       /* newest time written or queued */
  gint64 first_span_s; /* what the first queued sample covers */
  GPtrArray *pending;  /* "ts:v:v:…" strings */
} File;

struct WbRrdArchive {
  char *dir;
  char *daemon;      /* rrdcached address or NULL */
  GHashTable *files; /* scope -> File* */
  WbRrdStats stats;
};

const char *
wb_rrd_ds_name(WbRrdDs ds)
{
  return (int)ds >= 0 && ds < WB_RRD_DS_COUNT ? ds_table[ds].name : "";
}

gboolean
wb_rrd_ds_from_name(const char *name, WbRrdDs *out)
{
  for (int i = 0; i < WB_RRD_DS_COUNT; i++)
    if (g_strcmp0(ds_table[i].name, name) == 0) {
      *out = (WbRrdDs)i;
      return TRUE;
    }
  return FALSE;
}

gboolean
wb_rrd_ds_is_count(WbRrdDs ds)
{
  return (int)ds >= 0 && ds < WB_RRD_DS_COUNT && ds_table[ds].count;
}

static gboolean
rrd_fail(GError **error, const char *what, const char *path)
{
  const char *msg = rrd_get_error();
  g_set_error(error, WB_RRD_ERROR, 0, "rrd: %s %s failed: %s", what, path,
              msg != NULL && *msg != '\0' ? msg : "unknown error");
  rrd_clear_error();
  return FALSE;
}

static void
file_free(gpointer p)
{
  File *f = p;
  g_ptr_array_unref(f->pending);
  g_free(f->path);
  g_free(f);
}

WbRrdArchive *
wb_rrd_archive_new(const char *dir, const char *daemon_addr, GError **error)
{
  if (g_mkdir_with_parents(dir, 0750) != 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "rrd: cannot create %s: %s",
                dir, g_strerror(errno));
    return NULL;
  }
  WbRrdArchive *a = g_new0(WbRrdArchive, 1);
  a->dir = g_strdup(dir);
  a->files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, file_free);
  if (daemon_addr != NULL && *daemon_addr != '\0') {
    rrd_clear_error();
    if (rrdc_connect(daemon_addr) != 0) {
      rrd_fail(error, "connecting to rrdcached at", daemon_addr);
      wb_rrd_archive_free(a);
      return NULL;
    }
    a->daemon = g_strdup(daemon_addr);
  }
  return a;
}

void
wb_rrd_archive_free(WbRrdArchive *a)
{
  if (a == NULL)
    return;
  if (a->daemon != NULL)
    rrdc_disconnect();
  g_hash_table_unref(a->files);
  g_free(a->daemon);
  g_free(a->dir);
  g_free(a);
}

/* "queue:政策" -> "queue-%E6%94%BF%E7%AD%96.rrd": any scope a safe file name. */
char *
wb_rrd_archive_path(WbRrdArchive *a, const char *scope)
{
  GString *name = g_string_new(NULL);
  for (const guchar *p = (const guchar *)scope; *p != '\0'; p++) {
    if (*p == ':')
      g_string_append_c(name, '-');
    else if (g_ascii_isalnum(*p) || *p == '_' || *p == '.' || *p == '-')
      g_string_append_c(name, (char)*p);
    else
      g_string_append_printf(name, "%%%02X", *p);
  }
  g_string_append(name, ".rrd");
  char *path = g_build_filename(a->dir, name->str, NULL);
  g_string_free(name, TRUE);
  return path;
}

static gboolean
create_file(const char *path, gint64 first_s, GError **error)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);

  for (int i = 0; i < WB_RRD_DS_COUNT; i++)
    g_ptr_array_add(args, g_strdup_printf("DS:%s:%s:%d:0:%s", ds_table[i].name,
                                          ds_table[i].count ? "ABSOLUTE" : "GAUGE",
                                          WB_RRD_HEARTBEAT_S, ds_table[i].max));
  for (gsize c = 0; c < G_N_ELEMENTS(cfs); c++)
    for (gsize r = 0; r < G_N_ELEMENTS(rra_table); r++)
      g_ptr_array_add(
          args, g_strdup_printf("RRA:%s:0.5:%d:%d", cfs[c], rra_table[r].steps, rra_table[r].rows));
  rrd_clear_error();
  /* The file starts where the first sample's time begins, so that sample
   * fills its steps. */
  if (rrd_create_r(path, WB_RRD_STEP_S, (time_t)first_s, (int)args->len,
                   (const char **)args->pdata) != 0)
    return rrd_fail(error, "create", path);
  g_info("rrd: created %s", path);
  return TRUE;
}

static File *
file_for(WbRrdArchive *a, const char *scope)
{
  File *f = g_hash_table_lookup(a->files, scope);
  if (f != NULL)
    return f;
  f = g_new0(File, 1);
  f->path = wb_rrd_archive_path(a, scope);
  f->pending = g_ptr_array_new_with_free_func(g_free);
  if (g_file_test(f->path, G_FILE_TEST_EXISTS)) {
    /* A restart continues the same file after its last update. */
    rrd_clear_error();
    time_t last = rrd_last_r(f->path);
    f->last_s = last > 0 ? (gint64)last : 0;
    rrd_clear_error();
  }
  g_hash_table_insert(a->files, g_strdup(scope), f);
  a->stats.files = g_hash_table_size(a->files);
  return f;
}

gint64
wb_rrd_archive_last(WbRrdArchive *a, const char *scope)
{
  return file_for(a, scope)->last_s;
}

void
wb_rrd_archive_add(WbRrdArchive *a, const char *scope, const WbRrdSample *sample)
{
  File *f = file_for(a, scope);

  if (sample->ts_s <= f->last_s) {
    /* A clock stepped back, or a backfill of a span already written: the
     * archive only grows forwards. */
    if (a->stats.skipped_backwards++ == 0)
      g_message("rrd: %s: sample at %" G_GINT64_FORMAT " not after %" G_GINT64_FORMAT
                "; skipped (counted from now on)",
                f->path, sample->ts_s, f->last_s);
    return;
  }
  if (f->pending->len == 0)
    f->first_span_s = sample->span_s > 0 ? sample->span_s : WB_RRD_STEP_S;
  GString *u = g_string_sized_new(128);
  g_string_append_printf(u, "%" G_GINT64_FORMAT, sample->ts_s);
  for (int i = 0; i < WB_RRD_DS_COUNT; i++) {
    if (isnan(sample->v[i]) || isinf(sample->v[i])) {
      g_string_append(u, ":U");
    } else {
      char num[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append_c(u, ':');
      g_string_append(u, g_ascii_formatd(num, sizeof(num), "%.6g", sample->v[i]));
    }
  }
  g_ptr_array_add(f->pending, g_string_free(u, FALSE));
  f->last_s = sample->ts_s;
}

static gboolean
write_file(WbRrdArchive *a, File *f, GError **error)
{
  int rc;

  if (f->pending->len == 0)
    return TRUE;
  if (!g_file_test(f->path, G_FILE_TEST_EXISTS)) {
    gint64 first = g_ascii_strtoll(g_ptr_array_index(f->pending, 0), NULL, 10);
    if (!create_file(f->path, first - f->first_span_s, error))
      return FALSE;
  }
  rrd_clear_error();
  if (a->daemon != NULL)
    rc = rrdc_update(f->path, (int)f->pending->len, (const char *const *)f->pending->pdata);
  else
    rc = rrd_update_r(f->path, NULL, (int)f->pending->len, (const char **)f->pending->pdata);
  a->stats.updates++;
  if (rc != 0)
    return rrd_fail(error, "update", f->path);
  a->stats.values += f->pending->len;
  return TRUE;
}

gboolean
wb_rrd_archive_flush(WbRrdArchive *a, GError **error)
{
  GHashTableIter it;
  gpointer value;
  gboolean ok = TRUE;

  g_hash_table_iter_init(&it, a->files);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    File *f = value;
    GError *local = NULL;
    if (!write_file(a, f, &local)) {
      a->stats.errors++;
      if (ok)
        g_propagate_error(error, local);
      else
        g_error_free(local);
      ok = FALSE;
    }
    /* Written or refused, a batch is not tried twice: a broken file must
     * not hold every later sample in memory. */
    g_ptr_array_set_size(f->pending, 0);
  }
  return ok;
}

void
wb_rrd_archive_stats(WbRrdArchive *a, WbRrdStats *out)
{
  *out = a->stats;
}

void
wb_rrd_series_clear(WbRrdSeries *s)
{
  g_clear_pointer(&s->values, g_free);
  s->n = 0;
}

gboolean
wb_rrd_archive_fetch(WbRrdArchive *a, const char *scope, WbRrdDs ds, const char *cf, gint64 from_s,
                     gint64 to_s, gint64 resolution_s, WbRrdSeries *out, GError **error)
{
  g_autofree char *path = wb_rrd_archive_path(a, scope);
  time_t start = (time_t)from_s, end = (time_t)to_s;
  unsigned long step = resolution_s > 0 ? (unsigned long)resolution_s : 1;
  unsigned long ds_count = 0;
  char **names = NULL;
  rrd_value_t *data = NULL;

  memset(out, 0, sizeof(*out));
  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    g_set_error(error, WB_RRD_ERROR, 1, "rrd: no data for %s yet", scope);
    return FALSE;
  }
  /* What rrdcached holds back would be missing from the file. */
  rrd_clear_error();
  if (a->daemon != NULL && rrdc_flush(path) != 0)
    return rrd_fail(error, "flush", path);
  if (rrd_fetch_r(path, cf, &start, &end, &step, &ds_count, &names, &data) != 0)
    return rrd_fail(error, "fetch", path);

  out->start_s = start;
  out->step_s = (gint64)step;
  /* rrd_fetch returns rows for (start, end], one per step. */
  out->n = step > 0 ? (guint)((end - start) / (time_t)step) : 0;
  out->values = g_new(gdouble, MAX(out->n, 1));
  for (guint i = 0; i < out->n; i++) {
    gdouble v = data[i * ds_count + ds];
    out->values[i] = wb_rrd_ds_is_count(ds) && !isnan(v) ? v * (gdouble)step : v;
  }
  for (unsigned long i = 0; i < ds_count; i++)
    rrd_freemem(names[i]);
  rrd_freemem(names);
  rrd_freemem(data);
  return TRUE;
}
