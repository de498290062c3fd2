/* graph.c: PNG and SVG graphs of one scope's RRD file, drawn by librrd's
 * rrd_graph_v into memory ("-" as the file name: the image comes back as
 * the "image" blob of the info list, src/rrd_graph.c of rrdtool 1.7). */
#define G_LOG_DOMAIN "rrd"

#include "rrd/graph.h"

#include <rrd.h>
#include <string.h>

#include "rrd/archive.h"

G_DEFINE_QUARK(wb_rrd_graph_error, wb_rrd_graph_error)

/* The one file-scope variable of the module. rrd_graph_v is not documented
 * as thread-safe: it keeps its own state per call, but goes through
 * pango/fontconfig, cairo and librrd's time parsing, which share state
 * within the process. The lock must be global because what it guards is:
 * every caller, whatever object it holds, draws through the same library.
 * Graphs are rare (reports, an operator's request) and take milliseconds to
 * seconds, so drawing one at a time costs little. */
static GMutex graph_lock;

/* Lines, in the order of the metrics: distinguishable on paper and screen. */
static const char *const colours[WB_RRD_GRAPH_MAX_METRICS] = {
    "1f77b4", "d62728", "2ca02c", "ff7f0e", "9467bd", "8c564b", "e377c2", "17becf",
};

/* Steps a graph may take when the caller names none: the archive's own
 * resolutions (10 s, 1 min, 15 min, 1 h) and round multiples of them. */
static const gint64 nice_steps[] = {10, 60, 300, 900, 3600, 86400, 7 * 86400};

#define MIN_WIDTH 100
#define MAX_WIDTH 4000
#define MIN_HEIGHT 50
#define MAX_HEIGHT 2000

static guint
width_of(const WbRrdGraphOptions *o)
{
  return o->width > 0 ? o->width : WB_RRD_GRAPH_WIDTH;
}

static guint
height_of(const WbRrdGraphOptions *o)
{
  return o->height > 0 ? o->height : WB_RRD_GRAPH_HEIGHT;
}

static guint
metric_count(const WbRrdGraphOptions *o)
{
  guint n = 0;
  while (n < WB_RRD_GRAPH_MAX_METRICS && o->metrics[n] != NULL)
    n++;
  return n;
}

gint64
wb_rrd_graph_step(const WbRrdGraphOptions *o)
{
  gint64 span = MAX(o->to_s - o->from_s, 1);
  guint width = width_of(o);
  /* rrd_graph draws at least span / width seconds per point (one point per
   * pixel), whatever it is told: ask for no less. */
  gint64 least = (span + width - 1) / width;

  if (o->step_s > 0)
    return MAX(o->step_s, least);
  for (gsize i = 0; i < G_N_ELEMENTS(nice_steps); i++)
    if (nice_steps[i] >= least)
      return nice_steps[i];
  return (least + 86400 - 1) / 86400 * 86400;
}

/* rrd_graph splits its arguments at ':' unless escaped with '\'. */
static char *
escape_colons(const char *text)
{
  GString *s = g_string_sized_new(strlen(text) + 8);
  for (const char *p = text; *p != '\0'; p++) {
    if (*p == ':')
      g_string_append_c(s, '\\');
    g_string_append_c(s, *p);
  }
  return g_string_free(s, FALSE);
}

static gboolean
check_options(const WbRrdGraphOptions *o, GError **error)
{
  guint n = metric_count(o);
  const char *what = NULL;

  if (o->rrd_dir == NULL || *o->rrd_dir == '\0')
    what = "no RRD directory given";
  else if (o->scope == NULL || *o->scope == '\0')
    what = "no scope given";
  else if (n == 0)
    what = "no metric given";
  else if (o->to_s <= o->from_s)
    what = "the end is not after the start";
  else if (o->from_s <= 0)
    what = "the start is not a time";
  else if (o->step_s < 0 || (o->step_s > 0 && o->step_s < WB_RRD_STEP_S))
    what = "the step is shorter than the archive's";
  else if (width_of(o) < MIN_WIDTH || width_of(o) > MAX_WIDTH || height_of(o) < MIN_HEIGHT ||
           height_of(o) > MAX_HEIGHT)
    what = "the size is out of bounds (width 100 to 4000, height 50 to 2000 pixels)";
  if (what != NULL) {
    g_set_error(error, WB_RRD_GRAPH_ERROR, WB_RRD_GRAPH_ERROR_INVALID, "rrd graph: %s", what);
    return FALSE;
  }
  if (o->cf != NULL && g_strcmp0(o->cf, "AVERAGE") != 0 && g_strcmp0(o->cf, "MIN") != 0 &&
      g_strcmp0(o->cf, "MAX") != 0) {
    g_set_error(error, WB_RRD_GRAPH_ERROR, WB_RRD_GRAPH_ERROR_INVALID,
                "rrd graph: unknown consolidation '%s' (AVERAGE, MIN or MAX)", o->cf);
    return FALSE;
  }
  if (o->format != NULL && g_ascii_strcasecmp(o->format, "PNG") != 0 &&
      g_ascii_strcasecmp(o->format, "SVG") != 0) {
    g_set_error(error, WB_RRD_GRAPH_ERROR, WB_RRD_GRAPH_ERROR_INVALID,
                "rrd graph: unknown format '%s' (PNG or SVG)", o->format);
    return FALSE;
  }
  for (guint i = 0; i < n; i++) {
    WbRrdDs ds;
    if (!wb_rrd_ds_from_name(o->metrics[i], &ds)) {
      g_set_error(error, WB_RRD_GRAPH_ERROR, WB_RRD_GRAPH_ERROR_INVALID,
                  "rrd graph: unknown metric '%s'", o->metrics[i]);
      return FALSE;
    }
  }
  return TRUE;
}

/* The scope's file, named as the archive names it. */
static char *
file_of(const WbRrdGraphOptions *o, GError **error)
{
  /* The archive would make a missing directory: that is not for a reader. */
  if (!g_file_test(o->rrd_dir, G_FILE_TEST_IS_DIR)) {
    g_set_error(error, WB_RRD_GRAPH_ERROR, WB_RRD_GRAPH_ERROR_NOT_FOUND,
                "rrd graph: no RRD directory %s", o->rrd_dir);
    return NULL;
  }
  g_autoptr(WbRrdArchive) archive = wb_rrd_archive_new(o->rrd_dir, NULL, error);
  if (archive == NULL)
    return NULL;
  char *path = wb_rrd_archive_path(archive, o->scope);
  if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error(error, WB_RRD_GRAPH_ERROR, WB_RRD_GRAPH_ERROR_NOT_FOUND,
                "rrd graph: no data for %s yet (no file %s)", o->scope, path);
    g_free(path);
    return NULL;
  }
  return path;
}

static void
add_arg(GPtrArray *args, const char *arg)
{
  g_ptr_array_add(args, g_strdup(arg));
}

static void add_arg_printf(GPtrArray *args, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
add_arg_printf(GPtrArray *args, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_ptr_array_add(args, g_strdup_vprintf(format, ap));
  va_end(ap);
}

/* The arguments of `rrdtool graph - …`: one DEF per metric, a CDEF that
 * makes counts per step and the service level a percentage, one LINE each. */
static GPtrArray *
graph_args(const WbRrdGraphOptions *o, const char *path)
{
  GPtrArray *args = g_ptr_array_new_with_free_func(g_free);
  const char *font = o->font != NULL ? o->font : WB_RRD_GRAPH_FONT;
  const char *cf = o->cf != NULL ? o->cf : "AVERAGE";
  g_autofree char *format = g_ascii_strup(o->format != NULL ? o->format : "PNG", -1);
  g_autofree char *file = escape_colons(path);
  gint64 step = wb_rrd_graph_step(o);

  add_arg(args, "graph"); /* argv[0]: rrd_graph_v's options start after it */
  add_arg(args, "-");     /* in memory */
  add_arg(args, "--imgformat");
  add_arg(args, format);
  add_arg(args, "--start");
  add_arg_printf(args, "%" G_GINT64_FORMAT, o->from_s);
  add_arg(args, "--end");
  add_arg_printf(args, "%" G_GINT64_FORMAT, o->to_s);
  add_arg(args, "--step");
  add_arg_printf(args, "%" G_GINT64_FORMAT, step);
  add_arg(args, "--width");
  add_arg_printf(args, "%u", width_of(o));
  add_arg(args, "--height");
  add_arg_printf(args, "%u", height_of(o));
  add_arg(args, "--font");
  add_arg_printf(args, "DEFAULT:10:%s", font);
  add_arg(args, "--font");
  add_arg_printf(args, "TITLE:12:%s", font);
  /* Every metric is 0 or more; plain numbers, no "k" in a report. */
  add_arg(args, "--lower-limit");
  add_arg(args, "0");
  add_arg(args, "--units-exponent");
  add_arg(args, "0");
  add_arg(args, "--disable-rrdtool-tag");
  if (o->title != NULL && *o->title != '\0') {
    add_arg(args, "--title");
    add_arg(args, o->title);
  }
  if (o->vertical_label != NULL && *o->vertical_label != '\0') {
    add_arg(args, "--vertical-label");
    add_arg(args, o->vertical_label);
  }
  if (o->daemon_addr != NULL && *o->daemon_addr != '\0') {
    add_arg(args, "--daemon");
    add_arg(args, o->daemon_addr);
  }
  for (guint i = 0; i < metric_count(o); i++) {
    WbRrdDs ds = WB_RRD_WAITING;
    wb_rrd_ds_from_name(o->metrics[i], &ds);
    add_arg_printf(args, "DEF:d%u=%s:%s:%s", i, file, o->metrics[i], cf);
    if (wb_rrd_ds_is_count(ds))
      /* ABSOLUTE: stored as calls per second, averaged over whatever step
       * the archive or the graph consolidated to. Times the graph's step is
       * calls per step. */
      add_arg_printf(args, "CDEF:v%u=d%u,%" G_GINT64_FORMAT ",*", i, i, step);
    else if (ds == WB_RRD_SERVICE_LEVEL)
      add_arg_printf(args, "CDEF:v%u=d%u,100,*", i, i);
    else
      add_arg_printf(args, "CDEF:v%u=d%u", i, i);
    /* "legend=" keeps a label that happens to read like an option (STACK,
     * dashes, key=value) a label. */
    g_autofree char *label = escape_colons(o->labels[i] != NULL ? o->labels[i] : o->metrics[i]);
    add_arg_printf(args, "LINE2:v%u#%s:legend=%s", i, colours[i], label);
  }
  return args;
}

/* cairo draws an SVG's text as glyph outlines: the title is kept as the
 * document's <title> too, for search and screen readers. */
static GBytes *
svg_with_title(GBytes *svg, const char *title)
{
  gsize len = 0;
  const char *data = g_bytes_get_data(svg, &len);
  const char *root = g_strstr_len(data, (gssize)len, "<svg");
  const char *end = root != NULL ? memchr(root, '>', len - (gsize)(root - data)) : NULL;

  if (end == NULL || title == NULL || *title == '\0')
    return g_bytes_ref(svg);
  gsize head = (gsize)(end + 1 - data);
  g_autofree char *escaped = g_markup_escape_text(title, -1);
  GString *out = g_string_sized_new(len + strlen(escaped) + 32);
  g_string_append_len(out, data, (gssize)head);
  g_string_append_printf(out, "\n<title>%s</title>", escaped);
  g_string_append_len(out, data + head, (gssize)(len - head));
  return g_string_free_to_bytes(out);
}

/* The image of rrd_graph_v's info list. */
static GBytes *
image_of(rrd_info_t *info)
{
  for (rrd_info_t *i = info; i != NULL; i = i->next)
    if (i->type == RD_I_BLO && strcmp(i->key, "image") == 0)
      return g_bytes_new(i->value.u_blo.ptr, i->value.u_blo.size);
  return NULL;
}

/* rrd_graph_v under the lock; its error text is read on this thread (librrd
 * keeps it per thread). */
static GBytes *
draw(GPtrArray *args, const char *scope, GError **error)
{
  GBytes *image = NULL;

  g_mutex_lock(&graph_lock);
  rrd_clear_error();
  rrd_info_t *info = rrd_graph_v((int)args->len, (char **)args->pdata);
  if (info == NULL) {
    const char *msg = rrd_get_error();
    g_set_error(error, WB_RRD_GRAPH_ERROR, WB_RRD_GRAPH_ERROR_FAILED,
                "rrd graph: rrd_graph_v(%s) failed: %s", scope,
                msg != NULL && *msg != '\0' ? msg : "unknown error");
    rrd_clear_error();
  } else {
    image = image_of(info);
    rrd_info_free(info);
    if (image == NULL)
      g_set_error(error, WB_RRD_GRAPH_ERROR, WB_RRD_GRAPH_ERROR_FAILED,
                  "rrd graph: rrd_graph_v(%s) returned no image", scope);
  }
  g_mutex_unlock(&graph_lock);
  return image;
}

GBytes *
wb_rrd_graph_render(const WbRrdGraphOptions *o, GError **error)
{
  g_return_val_if_fail(o != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  if (!check_options(o, error))
    return NULL;
  g_autofree char *path = file_of(o, error);
  if (path == NULL)
    return NULL;
  g_autoptr(GPtrArray) args = graph_args(o, path);
  g_autoptr(GBytes) image = draw(args, o->scope, error);
  if (image == NULL)
    return NULL;
  if (o->format != NULL && g_ascii_strcasecmp(o->format, "SVG") == 0)
    return svg_with_title(image, o->title);
  return g_steal_pointer(&image);
}

/* ---- in a worker thread ---- */

/* The options with every string owned: nothing is borrowed across threads. */
typedef struct {
  WbRrdGraphOptions o;
  GPtrArray *strings;
} GraphJob;

static void
graph_job_free(gpointer p)
{
  GraphJob *job = p;
  g_ptr_array_unref(job->strings);
  g_free(job);
}

static const char *
job_keep(GraphJob *job, const char *text)
{
  if (text == NULL)
    return NULL;
  char *copy = g_strdup(text);
  g_ptr_array_add(job->strings, copy);
  return copy;
}

static GraphJob *
graph_job_new(const WbRrdGraphOptions *o)
{
  GraphJob *job = g_new0(GraphJob, 1);
  job->strings = g_ptr_array_new_with_free_func(g_free);
  job->o = *o;
  job->o.rrd_dir = job_keep(job, o->rrd_dir);
  job->o.scope = job_keep(job, o->scope);
  for (guint i = 0; i < WB_RRD_GRAPH_MAX_METRICS; i++) {
    job->o.metrics[i] = job_keep(job, o->metrics[i]);
    job->o.labels[i] = job_keep(job, o->labels[i]);
  }
  job->o.cf = job_keep(job, o->cf);
  job->o.format = job_keep(job, o->format);
  job->o.title = job_keep(job, o->title);
  job->o.vertical_label = job_keep(job, o->vertical_label);
  job->o.font = job_keep(job, o->font);
  job->o.daemon_addr = job_keep(job, o->daemon_addr);
  return job;
}

static void
render_in_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GraphJob *job = task_data;
  GError *error = NULL;
  (void)source;
  (void)cancellable;

  /* A drawing cannot be stopped once begun; one cancelled while it waited
   * for the pool never starts. */
  if (g_task_return_error_if_cancelled(task))
    return;
  GBytes *image = wb_rrd_graph_render(&job->o, &error);
  if (image == NULL)
    g_task_return_error(task, error);
  else
    g_task_return_pointer(task, image, (GDestroyNotify)g_bytes_unref);
}

void
wb_rrd_graph_render_async(const WbRrdGraphOptions *o, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail(o != NULL);

  g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
  g_task_set_source_tag(task, wb_rrd_graph_render_async);
  g_task_set_name(task, "wb_rrd_graph_render");
  g_task_set_task_data(task, graph_job_new(o), graph_job_free);
  g_task_run_in_thread(task, render_in_thread);
}

GBytes *
wb_rrd_graph_render_finish(GAsyncResult *result, GError **error)
{
  g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
  g_return_val_if_fail(g_async_result_is_tagged(result, wb_rrd_graph_render_async), NULL);

  return g_task_propagate_pointer(G_TASK(result), error);
}
