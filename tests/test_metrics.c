/* test_metrics.c: the Prometheus text format (escaping, values), the
 * exposition of a fresh engine, and the silent collector check of
 * /healthz against the collector_silent rule's limit. */
#include <math.h>

#include "engine/engine.h"
#include "engine/metrics.h"
#include "testutil.h"

static char *
escaped_label(const char *value)
{
  GString *s = g_string_new(NULL);
  wb_metrics_escape_label(s, value);
  return g_string_free(s, FALSE);
}

static char *
escaped_help(const char *value)
{
  GString *s = g_string_new(NULL);
  wb_metrics_escape_help(s, value);
  return g_string_free(s, FALSE);
}

static char *
formatted(gdouble v)
{
  GString *s = g_string_new(NULL);
  wb_metrics_append_value(s, v);
  return g_string_free(s, FALSE);
}

START_TEST(test_escape)
{
  struct {
    const char *in, *label, *help;
  } cases[] = {
      {"policy", "policy", "policy"},
      {"a\\b", "a\\\\b", "a\\\\b"},
      {"say \"hi\"", "say \\\"hi\\\"", "say \"hi\""},
      {"two\nlines", "two\\nlines", "two\\nlines"},
      {"\\\"\n", "\\\\\\\"\\n", "\\\\\"\\n"},
      {"出入境政策", "出入境政策", "出入境政策"},
      {"", "", ""},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *label = escaped_label(cases[i].in);
    g_autofree char *help = escaped_help(cases[i].in);
    ck_assert_str_eq(label, cases[i].label);
    ck_assert_str_eq(help, cases[i].help);
  }
  /* Not UTF-8: replaced, so the text stays readable. */
  g_autofree char *bad = escaped_label("q\xff");
  ck_assert(g_utf8_validate(bad, -1, NULL));
  ck_assert(g_str_has_prefix(bad, "q"));
  g_autofree char *none = escaped_label(NULL);
  ck_assert_str_eq(none, "");
}
END_TEST

START_TEST(test_values)
{
  struct {
    gdouble v;
    const char *text;
  } cases[] = {
      {0, "0"},
      {3, "3"},
      {-2, "-2"},
      {0.0025, "0.0025"},
      {0.1, "0.1"},
      {1.0 / 3, "0.3333333333333333"},
      {1e-7, "1e-07"},
      {123456789012.0, "123456789012"},
      {NAN, "NaN"},
      {INFINITY, "+Inf"},
      {-INFINITY, "-Inf"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *t = formatted(cases[i].v);
    ck_assert_str_eq(t, cases[i].text);
  }
}
END_TEST

/* ---- an engine with a fake queue_log source ---- */

typedef struct {
  WbCollector base;
  gint64 last_ms;
} Fake;

static guint
fake_n(WbCollector *c)
{
  (void)c;
  return 1;
}

static const char *
fake_source(WbCollector *c, guint i)
{
  (void)c;
  (void)i;
  return "queue_log:/var/log/asterisk/queue_log";
}

static void
fake_stats(WbCollector *c, guint i, WbCollectorStats *out)
{
  (void)i;
  memset(out, 0, sizeof(*out));
  out->lines = 7;
  out->events = 6;
  out->quarantined = 1;
  out->last_event_ms = ((Fake *)c)->last_ms;
  out->connected = -1;
}

static void
fake_free(WbCollector *c)
{
  g_free(c);
}

static const WbCollectorOps fake_ops = {
    .name = "queue_log",
    .n_sources = fake_n,
    .source = fake_source,
    .stats = fake_stats,
    .free = fake_free,
};

typedef struct {
  char *dir;
  WbEngine e;
  Fake *fake;
} Engine;

/* [alert.collector_silent] threshold = 5, for_s = 2: silent past 7 s. */
static void
engine_open(Engine *x)
{
  g_autoptr(GError) error = NULL;
  memset(x, 0, sizeof(*x));
  x->dir = test_tmpdir();
  g_autofree char *conf = g_build_filename(x->dir, "wallboard.conf", NULL);
  ck_assert(
      g_file_set_contents(conf, "[alert.collector_silent]\nthreshold = 5\nfor_s = 2\n", -1, NULL));
  x->e.lock_fd = -1;
  x->e.cfg = wb_config_new_defaults();
  ck_assert_msg(wb_config_load_file(x->e.cfg, conf, &error), "%s", error ? error->message : "");
  x->e.state_dir = g_build_filename(x->dir, "state", NULL);
  ck_assert_msg(wb_engine_open(&x->e, TRUE, &error), "%s", error ? error->message : "");
  /* Started a minute ago. */
  x->e.started_us = g_get_monotonic_time() - 60 * G_USEC_PER_SEC;
  x->fake = g_new0(Fake, 1);
  x->fake->base.ops = &fake_ops;
  g_ptr_array_add(x->e.collectors, x->fake);
}

static void
engine_close(Engine *x)
{
  wb_engine_clear(&x->e);
  wb_config_free(x->e.cfg);
  test_rmtree(x->dir);
  g_free(x->dir);
}

START_TEST(test_silent_collector)
{
  Engine x;
  engine_open(&x);
  gint64 wall_ms = g_get_real_time() / 1000;

  /* 5 s silent: within the limit. The ingest API is never silent. */
  x.fake->last_ms = wall_ms - 5000;
  g_autoptr(GPtrArray) ok = wb_metrics_problems(&x.e);
  ck_assert_uint_eq(ok->len, 0);

  /* 20 s: past 5 + 2. */
  x.fake->last_ms = wall_ms - 20000;
  g_autoptr(GPtrArray) bad = wb_metrics_problems(&x.e);
  ck_assert_uint_eq(bad->len, 1);
  const WbMetricsProblem *p = g_ptr_array_index(bad, 0);
  ck_assert_str_eq(p->check, "collector_silent");
  ck_assert_str_eq(p->subject, "queue_log:/var/log/asterisk/queue_log");
  ck_assert(p->silent_s >= 20 && p->silent_s < 30);
  ck_assert(p->limit_s == 7);

  /* Never a line: silent since the start, a minute ago. */
  x.fake->last_ms = 0;
  g_autoptr(GPtrArray) never = wb_metrics_problems(&x.e);
  ck_assert_uint_eq(never->len, 1);
  p = g_ptr_array_index(never, 0);
  ck_assert(p->silent_s >= 60 && p->silent_s < 70);
  engine_close(&x);
}
END_TEST

START_TEST(test_text)
{
  Engine x;
  engine_open(&x);
  x.fake->last_ms = g_get_real_time() / 1000 - 3000;
  g_autofree char *text = wb_metrics_text(&x.e, g_get_real_time() / 1000);
  const char *want[] = {
      "# TYPE wallboard_collector_lines_total counter\n",
      "wallboard_collector_lines_total{kind=\"queue_log\","
      "source=\"queue_log:/var/log/asterisk/queue_log\"} 7\n",
      "wallboard_collector_quarantined_total{kind=\"queue_log\","
      "source=\"queue_log:/var/log/asterisk/queue_log\"} 1\n",
      "wallboard_calls_offered_today{queue=\"_total\"} 0\n",
      "wallboard_answer_rate_today{queue=\"_total\"} NaN\n",
      "wallboard_store_failing 0\n",
      "wallboard_store_held_events 0\n",
      "wallboard_store_dropped_events_total 0\n",
      "wallboard_store_commit_duration_seconds_bucket{le=\"0.0025\"} ",
      "wallboard_store_commit_duration_seconds_bucket{le=\"+Inf\"} ",
      "wallboard_agents{state=\"paused\"} 0\n",
      "wallboard_alerts_open{severity=\"critical\"} 0\n",
      "wallboard_websocket_sessions 0\n",
      "# TYPE wallboard_report_runs gauge\n",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(want); i++)
    ck_assert_msg(strstr(text, want[i]) != NULL, "missing %s in\n%s", want[i], text);
  /* A source with a connection reports it; a file does not. */
  ck_assert(strstr(text, "wallboard_collector_connected{") == NULL);
  engine_close(&x);
}
END_TEST

static Suite *
metrics_suite(void)
{
  Suite *s = suite_create("metrics");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_escape);
  tcase_add_test(tc, test_values);
  tcase_add_test(tc, test_silent_collector);
  tcase_add_test(tc, test_text);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(metrics_suite());
}
