/* test_graph.c: graphs of a day of synthetic samples written through the
 * archive, as PNG and SVG, in this thread and in a worker; what a missing
 * file, an unknown metric or a broken file give. */
#include <math.h>

#include "rrd/archive.h"
#include "rrd/graph.h"
#include "testutil.h"

/* 2023-11-14 00:00 UTC; a day of 10-second samples. */
#define DAY_START_S G_GINT64_CONSTANT(1699920000)
#define DAY_S 86400
#define SCOPE_TOTAL "total"
#define SCOPE_QUEUE "queue:政策咨询"
#define TITLE "12367 热线 呼入人工量 <总计> & 接通率"

typedef struct {
  char *dir;
  char *rrd_dir;
} Fixture;

/* Under LeakSanitizer (the clang-asan run of setup.sh): librrd 1.7.2 loses
 * a few strings per graph (sprintf_alloc in rrd_graph_v), and fontconfig,
 * pango and cairo keep caches for the life of the process. None of it is
 * ours; anything allocated outside these libraries is still reported. The
 * suppressions need whole stacks: the fast unwinder stops in libc's
 * vasprintf, before it reaches librrd. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
  return "fast_unwind_on_malloc=0";
}

const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
  return "leak:librrd.so\n"
         "leak:libfontconfig.so\n"
         "leak:libpango\n"
         "leak:libcairo.so\n";
}

/* A sample at t: a daily swell of calls, waits that follow it, a service
 * level between 70 and 95 %. */
static void
make_sample(GRand *rand, gint64 t, WbRrdSample *s)
{
  double hour = (double)((t - DAY_START_S) % DAY_S) / 3600.0;
  double load = 0.5 - 0.5 * cos((hour - 4) / 24 * 2 * G_PI); /* 0 at 4:00, 1 at 16:00 */

  memset(s, 0, sizeof(*s)); /* span_s 0: one step */
  for (int i = 0; i < WB_RRD_DS_COUNT; i++)
    s->v[i] = NAN;
  s->ts_s = t;
  s->v[WB_RRD_WAITING] = round(load * 12 * g_rand_double(rand));
  s->v[WB_RRD_LONGEST_WAIT] = s->v[WB_RRD_WAITING] * 8;
  s->v[WB_RRD_AVAILABLE] = round(20 - 15 * load);
  s->v[WB_RRD_RINGING] = g_rand_int_range(rand, 0, 3);
  s->v[WB_RRD_ON_CALL] = round(30 * load);
  s->v[WB_RRD_ACW] = round(5 * load);
  s->v[WB_RRD_PAUSED] = 2;
  s->v[WB_RRD_OFFLINE] = 10;
  s->v[WB_RRD_OFFERED] = g_rand_int_range(rand, 0, (gint32)(1 + 6 * load));
  s->v[WB_RRD_ANSWERED] = s->v[WB_RRD_OFFERED] * 0.9;
  s->v[WB_RRD_ABANDONED] = s->v[WB_RRD_OFFERED] - s->v[WB_RRD_ANSWERED];
  s->v[WB_RRD_SERVICE_LEVEL] = 0.95 - 0.25 * load;
}

/* A day of samples for two scopes, written as the engine writes them: a
 * flush every 6 samples. */
static void
fixture_init(Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed(12367);

  f->dir = test_tmpdir();
  f->rrd_dir = g_build_filename(f->dir, "rrd", NULL);
  g_autoptr(WbRrdArchive) a = wb_rrd_archive_new(f->rrd_dir, NULL, &error);
  ck_assert_msg(a != NULL, "%s", error != NULL ? error->message : "?");
  for (gint64 t = DAY_START_S + WB_RRD_STEP_S, n = 1; t <= DAY_START_S + DAY_S;
       t += WB_RRD_STEP_S, n++) {
    WbRrdSample s;
    make_sample(rand, t, &s);
    wb_rrd_archive_add(a, SCOPE_TOTAL, &s);
    wb_rrd_archive_add(a, SCOPE_QUEUE, &s);
    if (n % 6 == 0)
      ck_assert_msg(wb_rrd_archive_flush(a, &error), "%s", error->message);
  }
  ck_assert_msg(wb_rrd_archive_flush(a, &error), "%s", error->message);
  ck_assert_int_eq(wb_rrd_archive_last(a, SCOPE_TOTAL), DAY_START_S + DAY_S);
}

static void
fixture_clear(Fixture *f)
{
  test_rmtree(f->dir);
  g_free(f->dir);
  g_free(f->rrd_dir);
}

/* The day's counts and service level, labelled in Chinese. */
static WbRrdGraphOptions
day_options(const Fixture *f, const char *format)
{
  WbRrdGraphOptions o = {
      .rrd_dir = f->rrd_dir,
      .scope = SCOPE_TOTAL,
      .metrics = {"offered", "answered", "service_level"},
      .labels = {"呼入人工量", "接通量", "N秒接通率 (%)"},
      .from_s = DAY_START_S,
      .to_s = DAY_START_S + DAY_S,
      .width = 700,
      .height = 250,
      .format = format,
      .title = TITLE,
      .vertical_label = "来电数 / 15 分钟",
  };
  return o;
}

static GBytes *
render_ok(const WbRrdGraphOptions *o)
{
  g_autoptr(GError) error = NULL;
  GBytes *image = wb_rrd_graph_render(o, &error);
  ck_assert_msg(image != NULL, "%s", error != NULL ? error->message : "?");
  return image;
}

/* A PNG's width and height from its IHDR chunk. */
static void
png_size(GBytes *png, guint32 *width, guint32 *height)
{
  gsize len = 0;
  const guint8 *p = g_bytes_get_data(png, &len);
  ck_assert_uint_ge(len, 24);
  ck_assert_int_eq(memcmp(p, "\x89PNG\r\n\x1a\n", 8), 0);
  ck_assert_int_eq(memcmp(p + 12, "IHDR", 4), 0);
  *width = (guint32)p[16] << 24 | (guint32)p[17] << 16 | (guint32)p[18] << 8 | p[19];
  *height = (guint32)p[20] << 24 | (guint32)p[21] << 16 | (guint32)p[22] << 8 | p[23];
}

START_TEST(test_step)
{
  WbRrdGraphOptions o = {.from_s = DAY_START_S, .to_s = DAY_START_S + DAY_S};

  ck_assert_int_eq(wb_rrd_graph_step(&o), 300); /* 108 s a pixel at 800 */
  o.to_s = DAY_START_S + 3600;
  ck_assert_int_eq(wb_rrd_graph_step(&o), 10);
  o.to_s = DAY_START_S + 7 * DAY_S;
  ck_assert_int_eq(wb_rrd_graph_step(&o), 900);
  o.to_s = DAY_START_S + 30 * DAY_S;
  ck_assert_int_eq(wb_rrd_graph_step(&o), 3600);
  o.to_s = DAY_START_S + 365 * DAY_S;
  ck_assert_int_eq(wb_rrd_graph_step(&o), 86400);
  o.to_s = DAY_START_S + 20 * 365 * DAY_S; /* beyond a week a pixel: whole days */
  ck_assert_int_eq(wb_rrd_graph_step(&o), 10 * 86400);
  /* The caller's step, but never finer than a pixel. */
  o.to_s = DAY_START_S + DAY_S;
  o.step_s = 3600;
  ck_assert_int_eq(wb_rrd_graph_step(&o), 3600);
  o.step_s = 60;
  ck_assert_int_eq(wb_rrd_graph_step(&o), 108);
  o.width = 1440;
  ck_assert_int_eq(wb_rrd_graph_step(&o), 60);
}
END_TEST

START_TEST(test_png)
{
  Fixture f;
  fixture_init(&f);
  WbRrdGraphOptions o = day_options(&f, "PNG");
  g_autoptr(GBytes) png = render_ok(&o);
  guint32 width = 0, height = 0;

  png_size(png, &width, &height);
  /* The plot area plus axes, title and legend. */
  ck_assert_uint_gt(width, 700);
  ck_assert_uint_lt(width, 700 + 300);
  ck_assert_uint_gt(height, 250);
  ck_assert_uint_lt(height, 250 + 300);
  /* Lines, text and grid: far more than a blank canvas. */
  ck_assert_uint_gt(g_bytes_get_size(png), 10000);
  const char *keep = g_getenv("WB_TEST_GRAPH_KEEP");
  if (keep != NULL)
    ck_assert(g_file_set_contents(keep, g_bytes_get_data(png, NULL), (gssize)g_bytes_get_size(png),
                                  NULL));

  /* A queue with a Chinese name, its own file; lower-case format. */
  o.scope = SCOPE_QUEUE;
  o.format = "png";
  o.metrics[0] = "waiting";
  o.metrics[1] = "longest_wait_s";
  o.metrics[2] = NULL;
  o.labels[0] = "排队等待";
  o.labels[1] = "最长等待: 秒"; /* a ':' in a label is text */
  g_autoptr(GBytes) queue = render_ok(&o);
  png_size(queue, &width, &height);
  ck_assert_uint_gt(width, 700);
  fixture_clear(&f);
}
END_TEST

typedef struct {
  guint depth;
  gboolean root_is_svg;
  gboolean in_title;
  GString *title;
} SvgScan;

static void
svg_start(GMarkupParseContext *ctx, const char *name, const char **attr_names,
          const char **attr_values, gpointer user_data, GError **error)
{
  SvgScan *scan = user_data;
  (void)ctx;
  (void)attr_names;
  (void)attr_values;
  (void)error;
  if (scan->depth == 0)
    scan->root_is_svg = strcmp(name, "svg") == 0;
  if (scan->depth == 1 && strcmp(name, "title") == 0)
    scan->in_title = TRUE;
  scan->depth++;
}

static void
svg_end(GMarkupParseContext *ctx, const char *name, gpointer user_data, GError **error)
{
  SvgScan *scan = user_data;
  (void)ctx;
  (void)name;
  (void)error;
  scan->depth--;
  scan->in_title = FALSE;
}

static void
svg_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer user_data, GError **error)
{
  SvgScan *scan = user_data;
  (void)ctx;
  (void)error;
  if (scan->in_title)
    g_string_append_len(scan->title, text, (gssize)len);
}

START_TEST(test_svg)
{
  Fixture f;
  fixture_init(&f);
  WbRrdGraphOptions o = day_options(&f, "SVG");
  g_autoptr(GBytes) svg = render_ok(&o);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) title = g_string_new(NULL);
  SvgScan scan = {.title = title};
  GMarkupParser parser = {.start_element = svg_start, .end_element = svg_end, .text = svg_text};
  gsize len = 0;
  const char *data = g_bytes_get_data(svg, &len);

  ck_assert_uint_gt(len, 10000);
  ck_assert(g_str_has_prefix(data, "<?xml"));
  g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new(&parser, 0, &scan, NULL);
  ck_assert_msg(g_markup_parse_context_parse(ctx, data, (gssize)len, &error) &&
                    g_markup_parse_context_end_parse(ctx, &error),
                "%s", error != NULL ? error->message : "?");
  ck_assert(scan.root_is_svg);
  ck_assert_uint_eq(scan.depth, 0);
  ck_assert_str_eq(title->str, TITLE);
  fixture_clear(&f);
}
END_TEST

static void
assert_fails(const WbRrdGraphOptions *o, int code, const char *part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) image = wb_rrd_graph_render(o, &error);
  ck_assert_ptr_null(image);
  ck_assert_ptr_nonnull(error);
  ck_assert_msg(g_error_matches(error, WB_RRD_GRAPH_ERROR, code), "code %d: %s", error->code,
                error->message);
  ck_assert_msg(strstr(error->message, part) != NULL, "'%s' not in '%s'", part, error->message);
}

START_TEST(test_errors)
{
  Fixture f;
  fixture_init(&f);
  WbRrdGraphOptions o = day_options(&f, "PNG");

  o.scope = "queue:nobody";
  assert_fails(&o, WB_RRD_GRAPH_ERROR_NOT_FOUND, "no data for queue:nobody");
  o = day_options(&f, "PNG");
  g_autofree char *missing = g_build_filename(f.dir, "no-such-dir", NULL);
  o.rrd_dir = missing;
  assert_fails(&o, WB_RRD_GRAPH_ERROR_NOT_FOUND, "no RRD directory");
  ck_assert(!g_file_test(missing, G_FILE_TEST_EXISTS)); /* not made by a reader */
  o = day_options(&f, "PNG");
  o.metrics[1] = "answred";
  assert_fails(&o, WB_RRD_GRAPH_ERROR_INVALID, "unknown metric 'answred'");
  o = day_options(&f, "PNG");
  o.format = "GIF";
  assert_fails(&o, WB_RRD_GRAPH_ERROR_INVALID, "unknown format 'GIF'");
  o = day_options(&f, "PNG");
  o.cf = "LAST";
  assert_fails(&o, WB_RRD_GRAPH_ERROR_INVALID, "unknown consolidation");
  o = day_options(&f, "PNG");
  o.to_s = o.from_s;
  assert_fails(&o, WB_RRD_GRAPH_ERROR_INVALID, "end is not after");
  o = day_options(&f, "PNG");
  o.metrics[0] = NULL;
  assert_fails(&o, WB_RRD_GRAPH_ERROR_INVALID, "no metric");
  o = day_options(&f, "PNG");
  o.width = 20000;
  assert_fails(&o, WB_RRD_GRAPH_ERROR_INVALID, "size");

  /* A file librrd cannot read: its own message comes back. */
  g_autoptr(WbRrdArchive) a = wb_rrd_archive_new(f.rrd_dir, NULL, NULL);
  g_autofree char *broken = wb_rrd_archive_path(a, "queue:broken");
  ck_assert(g_file_set_contents(broken, "not an RRD file at all", -1, NULL));
  o = day_options(&f, "PNG");
  o.scope = "queue:broken";
  assert_fails(&o, WB_RRD_GRAPH_ERROR_FAILED, "rrd_graph_v(queue:broken) failed: ");
  /* ... and the next graph is not troubled by it. */
  o = day_options(&f, "PNG");
  g_autoptr(GBytes) png = render_ok(&o);
  ck_assert_uint_gt(g_bytes_get_size(png), 10000);
  fixture_clear(&f);
}
END_TEST

typedef struct {
  GMainLoop *loop;
  GThread *loop_thread;
  guint pending;
  GBytes *images[4];
  GError *errors[4];
  guint done;
} AsyncRun;

static void
rendered(GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncRun *run = user_data;
  (void)source;
  /* Delivered on the loop's thread, not the worker's. */
  ck_assert_ptr_eq(g_thread_self(), run->loop_thread);
  guint i = run->done++;
  run->images[i] = wb_rrd_graph_render_finish(result, &run->errors[i]);
  if (--run->pending == 0)
    g_main_loop_quit(run->loop);
}

START_TEST(test_async)
{
  Fixture f;
  fixture_init(&f);
  WbRrdGraphOptions o = day_options(&f, "PNG");
  g_autoptr(GBytes) expected = render_ok(&o);
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  AsyncRun run = {.loop = loop, .loop_thread = g_thread_self()};

  /* Four at once: the worker threads take turns at the graph lock. The
   * options are copied: the strings here are gone before any is drawn. */
  for (guint i = 0; i < G_N_ELEMENTS(run.images); i++) {
    WbRrdGraphOptions copy = o;
    g_autofree char *dir = g_strdup(f.rrd_dir);
    g_autofree char *title = g_strdup(TITLE);
    copy.rrd_dir = dir;
    copy.title = title;
    wb_rrd_graph_render_async(&copy, NULL, rendered, &run);
    memset(dir, 'x', strlen(dir));
    run.pending++;
  }
  g_main_loop_run(loop);
  ck_assert_uint_eq(run.done, G_N_ELEMENTS(run.images));
  for (guint i = 0; i < G_N_ELEMENTS(run.images); i++) {
    ck_assert_msg(run.images[i] != NULL, "%s", run.errors[i]->message);
    ck_assert(g_bytes_equal(run.images[i], expected));
    g_bytes_unref(run.images[i]);
  }

  /* An error arrives the same way. */
  o.scope = "queue:nobody";
  wb_rrd_graph_render_async(&o, NULL, rendered, &run);
  run.pending = 1;
  run.done = 0;
  g_main_loop_run(loop);
  ck_assert_ptr_null(run.images[0]);
  ck_assert(g_error_matches(run.errors[0], WB_RRD_GRAPH_ERROR, WB_RRD_GRAPH_ERROR_NOT_FOUND));
  g_clear_error(&run.errors[0]);

  /* Cancelled before it started: never drawn. */
  g_autoptr(GCancellable) cancel = g_cancellable_new();
  g_cancellable_cancel(cancel);
  o = day_options(&f, "PNG");
  wb_rrd_graph_render_async(&o, cancel, rendered, &run);
  run.pending = 1;
  run.done = 0;
  g_main_loop_run(loop);
  ck_assert_ptr_null(run.images[0]);
  ck_assert(g_error_matches(run.errors[0], G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error(&run.errors[0]);
  fixture_clear(&f);
}
END_TEST

static Suite *
graph_suite(void)
{
  Suite *s = suite_create("graph");
  TCase *tc = tcase_create("graph");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_step);
  tcase_add_test(tc, test_png);
  tcase_add_test(tc, test_svg);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_async);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(graph_suite());
}
