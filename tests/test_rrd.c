/* test_rrd.c: the RRD archive against the stock rrdtool, restarts, clocks
 * that go backwards, and the sampler and its backfill. */
#include <math.h>

#include "collectors/queuelog.h"
#include "engine/engine.h"
#include "engine/interval.h"
#include "engine/sampler.h"
#include "rrd/archive.h"
#include "testutil.h"

#define T0 1767225600 /* 2026-01-01T00:00:00Z, a multiple of the step */

static WbRrdSample
sample(gint64 ts, gdouble waiting, gdouble offered)
{
  WbRrdSample s = {.ts_s = ts};
  for (int i = 0; i < WB_RRD_DS_COUNT; i++)
    s.v[i] = NAN;
  s.v[WB_RRD_WAITING] = waiting;
  s.v[WB_RRD_OFFERED] = offered;
  s.v[WB_RRD_SERVICE_LEVEL] = 0.75;
  return s;
}

static char *
run(const char *const *argv)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  ck_assert_msg(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                             &status, &error),
                "%s", error != NULL ? error->message : "");
  ck_assert_msg(g_spawn_check_wait_status(status, NULL), "%s: %s", argv[0], err);
  return g_steal_pointer(&out);
}

START_TEST(test_layout_readable_by_rrdtool)
{
  g_autofree char *dir = test_tmpdir();
  g_autoptr(GError) error = NULL;
  g_autoptr(WbRrdArchive) a = wb_rrd_archive_new(dir, NULL, &error);
  ck_assert_ptr_nonnull(a);
  for (int i = 1; i <= 30; i++) {
    WbRrdSample s = sample(T0 + i * 10, i % 4, 2);
    wb_rrd_archive_add(a, "total", &s);
  }
  ck_assert_msg(wb_rrd_archive_flush(a, &error), "%s", error ? error->message : "");
  g_autofree char *path = wb_rrd_archive_path(a, "total");
  ck_assert(g_str_has_suffix(path, "/total.rrd"));

  const char *info[] = {"rrdtool", "info", path, NULL};
  g_autofree char *text = run(info);
  ck_assert(strstr(text, "step = 10\n") != NULL);
  ck_assert(strstr(text, "last_update = 1767225900\n") != NULL);
  for (int d = 0; d < WB_RRD_DS_COUNT; d++) {
    g_autofree char *ds = g_strdup_printf("ds[%s].type = \"%s\"", wb_rrd_ds_name((WbRrdDs)d),
                                          wb_rrd_ds_is_count((WbRrdDs)d) ? "ABSOLUTE" : "GAUGE");
    ck_assert_msg(strstr(text, ds) != NULL, "missing %s", ds);
  }
  /* AVERAGE, MIN and MAX at 10 s for 2 days, 1 min for 14 days, 15 min for
   * 2 years, 1 h for 10 years. */
  const char *rras[] = {"rra[0].cf = \"AVERAGE\"",  "rra[0].rows = 17280",
                        "rra[0].pdp_per_row = 1",   "rra[1].rows = 20160",
                        "rra[1].pdp_per_row = 6",   "rra[2].pdp_per_row = 90",
                        "rra[3].pdp_per_row = 360", "rra[4].cf = \"MIN\"",
                        "rra[8].cf = \"MAX\"",      "ds[waiting].minimal_heartbeat = 1200"};
  for (gsize r = 0; r < G_N_ELEMENTS(rras); r++)
    ck_assert_msg(strstr(text, rras[r]) != NULL, "missing %s", rras[r]);

  /* rrdtool fetch sees what was written: the gauge as it was, the count
   * as a rate (2 calls in 10 s = 0.2/s). */
  g_autofree char *start = g_strdup_printf("%d", T0 + 100);
  g_autofree char *end = g_strdup_printf("%d", T0 + 200);
  const char *fetch[] = {"rrdtool", "fetch", path, "AVERAGE", "-r", "10",
                         "-s",      start,   "-e", end,       NULL};
  g_autofree char *rows = run(fetch);
  g_autofree char *line = g_strdup_printf("%d: 3.0000000000e+00", T0 + 110);
  ck_assert_msg(strstr(rows, line) != NULL, "no '%s' in\n%s", line, rows);
  ck_assert(strstr(rows, "2.0000000000e-01") != NULL);

  /* Our fetch: the same values, counts per step. */
  WbRrdSeries s;
  ck_assert(wb_rrd_archive_fetch(a, "total", WB_RRD_WAITING, "AVERAGE", T0 + 100, T0 + 200, 10, &s,
                                 &error));
  ck_assert_int_eq(s.step_s, 10);
  ck_assert_int_eq(s.start_s, T0 + 100);
  /* Rows for (start, end], and rrdtool's one past the end. */
  ck_assert_int_ge(s.n, 10);
  ck_assert_double_eq_tol(s.values[0], 11 % 4, 1e-9);
  wb_rrd_series_clear(&s);
  ck_assert(wb_rrd_archive_fetch(a, "total", WB_RRD_OFFERED, "AVERAGE", T0 + 100, T0 + 200, 10, &s,
                                 &error));
  ck_assert_double_eq_tol(s.values[3], 2.0, 1e-9);
  wb_rrd_series_clear(&s);
  /* A coarser archive: 1-minute rows, 12 calls a minute. */
  ck_assert(wb_rrd_archive_fetch(a, "total", WB_RRD_OFFERED, "AVERAGE", T0 + 60, T0 + 240, 60, &s,
                                 &error));
  ck_assert_int_eq(s.step_s, 60);
  ck_assert_double_eq_tol(s.values[0], 12.0, 1e-9);
  wb_rrd_series_clear(&s);
  /* No file for a scope never written. */
  ck_assert(!wb_rrd_archive_fetch(a, "queue:none", WB_RRD_WAITING, "AVERAGE", T0, T0 + 100, 10, &s,
                                  &error));
  ck_assert(g_error_matches(error, WB_RRD_ERROR, 1));
  test_rmtree(dir);
}
END_TEST

START_TEST(test_restart_and_backwards_clock)
{
  g_autofree char *dir = test_tmpdir();
  g_autoptr(GError) error = NULL;
  {
    g_autoptr(WbRrdArchive) a = wb_rrd_archive_new(dir, NULL, &error);
    for (int i = 1; i <= 6; i++) {
      WbRrdSample s = sample(T0 + i * 10, 1, 0);
      wb_rrd_archive_add(a, "queue:政策咨询", &s);
    }
    ck_assert(wb_rrd_archive_flush(a, &error));
    g_autofree char *path = wb_rrd_archive_path(a, "queue:政策咨询");
    ck_assert(g_str_has_suffix(path, "/queue-%E6%94%BF%E7%AD%96%E5%92%A8%E8%AF%A2.rrd"));
  }
  /* A new process continues the same file after its last update... */
  g_autoptr(WbRrdArchive) a = wb_rrd_archive_new(dir, NULL, &error);
  ck_assert_int_eq(wb_rrd_archive_last(a, "queue:政策咨询"), T0 + 60);
  WbRrdSample back = sample(T0 + 40, 9, 0); /* ...and refuses the past */
  WbRrdSample same = sample(T0 + 60, 9, 0);
  WbRrdSample next = sample(T0 + 70, 5, 0);
  wb_rrd_archive_add(a, "queue:政策咨询", &back);
  wb_rrd_archive_add(a, "queue:政策咨询", &same);
  wb_rrd_archive_add(a, "queue:政策咨询", &next);
  ck_assert_msg(wb_rrd_archive_flush(a, &error), "%s", error ? error->message : "");
  WbRrdStats st;
  wb_rrd_archive_stats(a, &st);
  ck_assert_int_eq(st.skipped_backwards, 2);
  ck_assert_int_eq(st.values, 1);
  WbRrdSeries s;
  ck_assert(wb_rrd_archive_fetch(a, "queue:政策咨询", WB_RRD_WAITING, "AVERAGE", T0 + 30, T0 + 70,
                                 10, &s, &error));
  ck_assert_double_eq_tol(s.values[0], 1.0, 1e-9); /* T0+40 kept its first value */
  ck_assert_double_eq_tol(s.values[3], 5.0, 1e-9);
  wb_rrd_series_clear(&s);
  test_rmtree(dir);
}
END_TEST

/* ---- the sampler ---- */

typedef struct {
  WbEngine e;
  char *dir;
  gint64 now_ms;
} Engine;

static gint64
fixed_clock(gpointer data)
{
  return ((Engine *)data)->now_ms;
}

static void
engine_open(Engine *x)
{
  g_autoptr(GError) error = NULL;
  memset(x, 0, sizeof(*x));
  x->dir = test_tmpdir();
  x->e.lock_fd = -1;
  x->e.cfg = wb_config_new_defaults();
  g_assert_true(wb_config_set(x->e.cfg, "kpi", "timezone", "UTC", NULL));
  x->e.state_dir = g_strdup(x->dir);
  x->e.clock.func = fixed_clock;
  x->e.clock.user_data = x;
  ck_assert_msg(wb_engine_open(&x->e, TRUE, &error), "%s", error ? error->message : "");
}

static void
engine_close(Engine *x)
{
  wb_engine_clear(&x->e);
  wb_config_free(x->e.cfg);
  test_rmtree(x->dir);
  g_free(x->dir);
}

static void
feed(Engine *x, const char *text)
{
  g_autofree char *path = g_build_filename(x->dir, "queue_log", NULL);
  test_append(path, text);
  const char *paths[] = {path, NULL};
  WbQueuelogOptions o = {
      .paths = paths, .sink = wb_bus_sink(x->e.bus), .agents = NULL, .poll_ms = 1000};
  g_autoptr(GError) error = NULL;
  g_autoptr(WbCollector) c = wb_queuelog_start(&o, &error);
  c->ops->stop(c);
  wb_queuelog_poll(c);
  ck_assert(wb_bus_flush(x->e.bus, &error));
}

START_TEST(test_sampler_counts_since_previous)
{
  Engine x;
  engine_open(&x);
  g_autoptr(WbSampler) s = wb_sampler_new(&x.e, x.e.rrd);
  g_autoptr(GError) error = NULL;
  g_autofree char *lines1 = g_strdup_printf("%d|1.1|policy|NONE|ENTERQUEUE||13800000001|1\n"
                                            "%d|MANAGER|policy|PJSIP/8001|ADDMEMBER|\n",
                                            T0 + 3, T0 + 1);
  feed(&x, lines1);
  /* The first sample has no "since": its counts are unknown. */
  x.now_ms = (T0 + 12) * 1000LL;
  wb_sampler_tick(s, x.now_ms);
  g_autofree char *lines2 = g_strdup_printf("%d|2.1|policy|NONE|ENTERQUEUE||13800000002|1\n"
                                            "%d|3.1|policy|NONE|ENTERQUEUE||13800000003|1\n"
                                            "%d|1.1|policy|8001|CONNECT|12|1.2|1\n",
                                            T0 + 14, T0 + 15, T0 + 15);
  feed(&x, lines2);
  x.now_ms = (T0 + 21) * 1000LL;
  wb_sampler_tick(s, x.now_ms);
  wb_sampler_tick(s, x.now_ms + 500); /* same step: nothing more */
  ck_assert(wb_sampler_flush(s, &error));

  WbRrdSeries v;
  ck_assert(wb_rrd_archive_fetch(x.e.rrd, "queue:policy", WB_RRD_OFFERED, "AVERAGE", T0, T0 + 20,
                                 10, &v, &error));
  ck_assert_int_ge(v.n, 2);
  ck_assert(isnan(v.values[0]));
  ck_assert_double_eq_tol(v.values[1], 2.0, 1e-9);
  wb_rrd_series_clear(&v);
  ck_assert(wb_rrd_archive_fetch(x.e.rrd, "total", WB_RRD_WAITING, "AVERAGE", T0, T0 + 20, 10, &v,
                                 &error));
  ck_assert_double_eq_tol(v.values[0], 1.0, 1e-9);
  ck_assert_double_eq_tol(v.values[1], 2.0, 1e-9);
  wb_rrd_series_clear(&v);
  ck_assert(wb_rrd_archive_fetch(x.e.rrd, "agent:8001", WB_RRD_ON_CALL, "AVERAGE", T0, T0 + 20, 10,
                                 &v, &error));
  ck_assert_double_eq_tol(v.values[0], 0.0, 1e-9);
  ck_assert_double_eq_tol(v.values[1], 1.0, 1e-9);
  wb_rrd_series_clear(&v);
  ck_assert(wb_rrd_archive_fetch(x.e.rrd, "queue:policy", WB_RRD_ON_CALL, "AVERAGE", T0, T0 + 20,
                                 10, &v, &error));
  ck_assert_double_eq_tol(v.values[1], 1.0, 1e-9);
  wb_rrd_series_clear(&v);
  engine_close(&x);
}
END_TEST

START_TEST(test_backfill_from_intervals)
{
  Engine x;
  engine_open(&x);
  g_autoptr(GError) error = NULL;
  /* Three calls in the 00:00 quarter, one in 00:30; nothing at 00:15. */
  g_autofree char *lines = g_strdup_printf("%d|1.1|policy|NONE|ENTERQUEUE||13800000001|1\n"
                                           "%d|1.1|policy|8001|CONNECT|5|1.2|1\n"
                                           "%d|1.1|policy|8001|COMPLETECALLER|5|60|1\n"
                                           "%d|2.1|policy|NONE|ENTERQUEUE||13800000002|1\n"
                                           "%d|2.1|policy|NONE|ABANDON|1|1|30\n"
                                           "%d|3.1|policy|NONE|ENTERQUEUE||13800000003|1\n"
                                           "%d|3.1|policy|8001|CONNECT|40|3.2|1\n"
                                           "%d|3.1|policy|8001|COMPLETECALLER|40|60|1\n"
                                           "%d|4.1|policy|NONE|ENTERQUEUE||13800000004|1\n",
                                           T0 + 60, T0 + 65, T0 + 125, T0 + 200, T0 + 230, T0 + 300,
                                           T0 + 340, T0 + 400, T0 + 1900);
  feed(&x, lines);
  ck_assert(wb_sampler_backfill(x.e.rrd, x.e.store, x.e.cfg, x.e.tz, (T0 + 60) * 1000LL,
                                (T0 + 1901) * 1000LL, (T0 + 86400) * 1000LL, &error));
  /* Whole intervals, never past now: the last sample ends at 00:45. */
  ck_assert_int_eq(wb_rrd_archive_last(x.e.rrd, "total"), T0 + 2700);
  WbRrdSeries v;
  ck_assert(wb_rrd_archive_fetch(x.e.rrd, "queue:policy", WB_RRD_OFFERED, "AVERAGE", T0, T0 + 2700,
                                 900, &v, &error));
  ck_assert_int_eq(v.step_s, 900);
  ck_assert_int_ge(v.n, 3);
  ck_assert_double_eq_tol(v.values[0], 3.0, 1e-9);
  ck_assert_double_eq_tol(v.values[1], 0.0, 1e-9);
  ck_assert_double_eq_tol(v.values[2], 1.0, 1e-9);
  wb_rrd_series_clear(&v);
  /* The day's service level so far, 1 of 2 answered within 15 s. */
  ck_assert(wb_rrd_archive_fetch(x.e.rrd, "total", WB_RRD_SERVICE_LEVEL, "AVERAGE", T0, T0 + 900,
                                 900, &v, &error));
  ck_assert_double_eq_tol(v.values[0], 0.5, 1e-9);
  wb_rrd_series_clear(&v);
  engine_close(&x);
}
END_TEST

START_TEST(test_backfill_stops_at_now)
{
  Engine x;
  engine_open(&x);
  g_autoptr(GError) error = NULL;
  g_autofree char *lines =
      g_strdup_printf("%d|1.1|policy|NONE|ENTERQUEUE||13800000001|1\n", T0 + 100);
  feed(&x, lines);
  /* Data of "today": the archive stops at now, not at the day's end, so
   * the live sampler can go on at the next step. */
  ck_assert(wb_sampler_backfill(x.e.rrd, x.e.store, x.e.cfg, x.e.tz, (T0 + 100) * 1000LL,
                                (T0 + 101) * 1000LL, (T0 + 400) * 1000LL, &error));
  ck_assert_int_eq(wb_rrd_archive_last(x.e.rrd, "total"), T0 + 400);
  engine_close(&x);
}
END_TEST

START_TEST(test_backfill_of_future_data_ends)
{
  Engine x;
  engine_open(&x);
  g_autoptr(GError) error = NULL;
  /* A call dated a day after now (a phone system's clock set wrong): the
   * archive fills up to now and stops; the future rows wait for their
   * time instead of holding the backfill in a loop. */
  g_autofree char *lines = g_strdup_printf("%d|1.1|policy|NONE|ENTERQUEUE||13800000001|1\n"
                                           "%d|2.1|policy|NONE|ENTERQUEUE||13800000002|1\n",
                                           T0 + 100, T0 + 100 + 86400);
  feed(&x, lines);
  ck_assert(wb_sampler_backfill(x.e.rrd, x.e.store, x.e.cfg, x.e.tz, (T0 + 100) * 1000LL,
                                (T0 + 86501) * 1000LL, (T0 + 400) * 1000LL, &error));
  ck_assert_int_eq(wb_rrd_archive_last(x.e.rrd, "total"), T0 + 400);
  engine_close(&x);
}
END_TEST

static Suite *
rrd_suite(void)
{
  Suite *s = suite_create("rrd");
  TCase *tc = tcase_create("rrd");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_layout_readable_by_rrdtool);
  tcase_add_test(tc, test_restart_and_backwards_clock);
  tcase_add_test(tc, test_sampler_counts_since_previous);
  tcase_add_test(tc, test_backfill_from_intervals);
  tcase_add_test(tc, test_backfill_stops_at_now);
  tcase_add_test(tc, test_backfill_of_future_data_ends);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(rrd_suite());
}
