/* test_alerts.c: the alert rules on scripted metric values with a fake
 * clock: every shipped rule raises after its duration and clears with
 * hysteresis, quiet hours, acknowledgement, and a restart that picks up
 * the open alerts. */
#include <math.h>

#include "engine/alerts.h"
#include "engine/store_private.h"
#include "testutil.h"

#define S_MS 1000LL
#define MIN_MS (60 * S_MS)
#define HOUR_MS (60 * MIN_MS)

/* 2026-11-28 10:00 in Shanghai (UTC+8). */
#define WED_10 1795831200000LL

typedef struct {
  TestStore t;
  WbConfig *cfg;
  WbAlerts *a;
} Fixture;

static void
fixture_init(Fixture *f, const char *config)
{
  g_autoptr(GError) error = NULL;
  test_store_init(&f->t);
  f->cfg = wb_config_new_defaults();
  if (config != NULL) {
    g_autofree char *path = g_build_filename(f->t.dir, "wallboard.conf", NULL);
    ck_assert(g_file_set_contents(path, config, -1, NULL));
    ck_assert_msg(wb_config_load_file(f->cfg, path, &error), "%s", error ? error->message : "");
  }
  f->a = wb_alerts_new(f->t.store, f->cfg, f->t.tz, WED_10, &error);
  ck_assert_msg(f->a != NULL, "%s", error ? error->message : "");
}

static void
fixture_clear(Fixture *f)
{
  wb_alerts_free(f->a);
  wb_config_free(f->cfg);
  test_store_clear(&f->t);
}

/* One sample of metric in scope (n = 0: no sample at all). */
static void
observe(Fixture *f, gint64 now, const char *metric, const char *scope, gdouble value, gint n)
{
  g_autoptr(GError) error = NULL;
  WbAlertSample x = {scope, "subject", value, 0.8, 20};
  ck_assert_msg(wb_alerts_observe(f->a, now, metric, &x, (guint)n, &error), "%s",
                error ? error->message : "");
}

static gint64
count_rows(Fixture *f, const char *where)
{
  g_autofree char *sql = g_strdup_printf("SELECT count(*) FROM alerts WHERE %s", where);
  sqlite3 *db = NULL;
  test_store_commit(&f->t);
  ck_assert_int_eq(sqlite3_open_v2(f->t.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
  gint64 n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

/* Each shipped rule with a value past its threshold, one between the
 * threshold and the clear threshold (or at the threshold), and a calm one.
 * Samples carry target 0.8 and 20 calls. */
typedef struct {
  const char *rule, *metric, *scope;
  gdouble bad, between, calm;
  gint for_s, clear_for_s;
  gboolean band; /* clear differs from threshold: `between` keeps it raised */
} Shipped;

static const Shipped shipped[] = {
    {"service_level", "service_level", "total", 0.70, 0.80, 0.86, 900, 300, TRUE},
    {"waiting", "waiting", "total", 6, 5, 2, 30, 30, TRUE},
    {"longest_wait", "longest_wait_s", "total", 61, 60, 30, 0, 30, TRUE},
    {"acw_long", "acw_s", "agent:1001", 121, 120, 10, 0, 0, FALSE},
    {"paused_long", "paused_s", "agent:1002", 901, 900, 10, 0, 0, FALSE},
    {"shift_uncovered", "shift_uncovered_min", "agent:1003", 10, 9.9, 0, 0, 0, FALSE},
    {"staffing_short", "staffing_gap", "total", 1, 0, -1, 600, 300, FALSE},
    {"abandon_spike", "abandon_rate", "total", 0.16, 0.10, 0.08, 300, 300, TRUE},
    {"workorder_due", "workorder_due_min", "workorder:WO-1", 120, 121, 600, 0, 0, FALSE},
    {"collector_silent", "collector_silent_s", "collector:queue_log", 3601, 3600, 5, 0, 0, FALSE},
    {"collector_down", "collector_down_s", "collector:ami", 61, 60, 0, 0, 0, FALSE},
    {"disk_low", "disk_free_pct", "disk", 0.04, 0.07, 0.08, 60, 60, TRUE},
    {"store_errors", "store_errors", "store", 1, 0, 0, 0, 0, FALSE},
    {"rrd_errors", "rrd_errors", "rrd", 1, 0, 0, 0, 0, FALSE},
};

START_TEST(test_shipped_rules)
{
  /* The table covers every shipped rule, with its numbers. */
  g_autoptr(GPtrArray) rules = wb_alerts_default_rules();
  ck_assert_uint_eq(rules->len, G_N_ELEMENTS(shipped));
  for (guint i = 0; i < rules->len; i++) {
    const WbAlertRule *r = g_ptr_array_index(rules, i);
    ck_assert_str_eq(r->name, shipped[i].rule);
    ck_assert_str_eq(r->metric, shipped[i].metric);
    ck_assert_int_eq(r->for_s, shipped[i].for_s);
    ck_assert_int_eq(r->clear_for_s, shipped[i].clear_for_s);
    ck_assert(r->enabled);
  }
}
END_TEST

START_TEST(test_rule_raises_and_clears)
{
  Fixture f;
  const Shipped *s = &shipped[_i];
  fixture_init(&f, NULL);
  gint64 t = WED_10;
  g_autofree char *where = g_strdup_printf("rule = '%s' AND scope = '%s'", s->rule, s->scope);
  g_autofree char *open = g_strdup_printf("%s AND cleared_ms IS NULL", where);

  /* A calm value raises nothing. */
  observe(&f, t, s->metric, s->scope, s->calm, 1);
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 0);
  /* Past the threshold: raised after for_s, not a second before. */
  observe(&f, t, s->metric, s->scope, s->bad, 1);
  if (s->for_s > 0) {
    ck_assert_uint_eq(wb_alerts_open_count(f.a), 0);
    observe(&f, t + s->for_s * S_MS - S_MS, s->metric, s->scope, s->bad, 1);
    ck_assert_uint_eq(wb_alerts_open_count(f.a), 0);
  }
  t += s->for_s * S_MS;
  observe(&f, t, s->metric, s->scope, s->bad, 1);
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 1);
  ck_assert_int_eq(count_rows(&f, open), 1);
  guint64 v = wb_alerts_version(f.a);

  if (s->band) {
    /* Back at the threshold, not past the clear threshold: still raised,
     * however long. */
    observe(&f, t + S_MS, s->metric, s->scope, s->between, 1);
    observe(&f, t + HOUR_MS, s->metric, s->scope, s->between, 1);
    ck_assert_uint_eq(wb_alerts_open_count(f.a), 1);
    ck_assert_uint_eq(wb_alerts_version(f.a), v);
    t += HOUR_MS;
  }
  /* Calm: cleared after clear_for_s. */
  t += S_MS;
  observe(&f, t, s->metric, s->scope, s->calm, 1);
  if (s->clear_for_s > 0) {
    ck_assert_uint_eq(wb_alerts_open_count(f.a), 1);
    /* A relapse restarts the clear time. */
    observe(&f, t + S_MS, s->metric, s->scope, s->bad, 1);
    t += 2 * S_MS;
    observe(&f, t, s->metric, s->scope, s->calm, 1);
    observe(&f, t + s->clear_for_s * S_MS - S_MS, s->metric, s->scope, s->calm, 1);
    ck_assert_uint_eq(wb_alerts_open_count(f.a), 1);
    t += s->clear_for_s * S_MS;
    observe(&f, t, s->metric, s->scope, s->calm, 1);
  }
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 0);
  ck_assert_int_eq(count_rows(&f, open), 0);
  ck_assert_int_eq(count_rows(&f, where), 1);
  g_autofree char *cleared = g_strdup_printf("%s AND cleared_ms = %" G_GINT64_FORMAT, where, t);
  ck_assert_int_eq(count_rows(&f, cleared), 1);

  /* Raised again, then the scope stops reporting (the agent left the
   * state, the work order closed): cleared at once. */
  t += HOUR_MS;
  observe(&f, t, s->metric, s->scope, s->bad, 1);
  observe(&f, t + s->for_s * S_MS, s->metric, s->scope, s->bad, 1);
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 1);
  observe(&f, t + s->for_s * S_MS + S_MS, s->metric, s->scope, 0, 0);
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 0);
  ck_assert_int_eq(count_rows(&f, where), 2);
  fixture_clear(&f);
}
END_TEST

/* A dip under the threshold before for_s restarts the wait. */
START_TEST(test_pending_restarts)
{
  Fixture f;
  fixture_init(&f, NULL);
  observe(&f, WED_10, "waiting", "total", 8, 1);
  observe(&f, WED_10 + 29 * S_MS, "waiting", "total", 8, 1);
  observe(&f, WED_10 + 30 * S_MS, "waiting", "total", 5, 1); /* not > 5 */
  observe(&f, WED_10 + 31 * S_MS, "waiting", "total", 8, 1);
  observe(&f, WED_10 + 60 * S_MS, "waiting", "total", 8, 1);
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 0);
  observe(&f, WED_10 + 61 * S_MS, "waiting", "total", 8, 1);
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 1);
  /* Other scopes of the metric are not watched by a total rule. */
  observe(&f, WED_10 + 62 * S_MS, "waiting", "queue:policy", 50, 1);
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 0);
  fixture_clear(&f);
}
END_TEST

/* A window rule judges nothing on fewer calls than min_calls. */
START_TEST(test_min_calls)
{
  Fixture f;
  fixture_init(&f, NULL);
  g_autoptr(GError) error = NULL;
  WbAlertSample few = {"total", "全部队列", 0.5, NAN, 9};
  for (gint64 t = 0; t <= 300; t += 60)
    ck_assert(wb_alerts_observe(f.a, WED_10 + t * S_MS, "abandon_rate", &few, 1, &error));
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 0);
  WbAlertSample enough = {"total", "全部队列", 0.5, NAN, 10};
  ck_assert(wb_alerts_observe(f.a, WED_10 + 400 * S_MS, "abandon_rate", &enough, 1, &error));
  ck_assert(wb_alerts_observe(f.a, WED_10 + 700 * S_MS, "abandon_rate", &enough, 1, &error));
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 1);
  /* A service level rule needs the scope's target. */
  WbAlertSample no_target = {"total", "全部队列", 0.1, NAN, 50};
  ck_assert(wb_alerts_observe(f.a, WED_10, "service_level", &no_target, 1, &error));
  ck_assert(wb_alerts_observe(f.a, WED_10 + HOUR_MS, "service_level", &no_target, 1, &error));
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 1);
  fixture_clear(&f);
}
END_TEST

START_TEST(test_config_overrides)
{
  Fixture f;
  fixture_init(&f, "[alert.waiting]\nthreshold = 8\nclear = 3\nfor_s = 0\nclear_for_s = 0\n\n"
                   "[alert.acw_long]\nenabled = false\n\n"
                   "[alert.policy_waiting]\nmetric = waiting\nscope = queue:*\nop = >=\n"
                   "threshold = 4\nseverity = critical\n");
  const GPtrArray *rules = wb_alerts_rule_list(f.a);
  ck_assert_uint_eq(rules->len, G_N_ELEMENTS(shipped) + 1);
  observe(&f, WED_10, "waiting", "total", 8, 1);
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 0);
  observe(&f, WED_10, "waiting", "total", 9, 1);
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 1);
  observe(&f, WED_10 + S_MS, "waiting", "total", 4, 1); /* above clear 3: stays */
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 1);
  observe(&f, WED_10 + 2 * S_MS, "waiting", "total", 3, 1);
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 0);
  observe(&f, WED_10, "acw_s", "agent:1001", 1000, 1);
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 0);
  /* The new rule: every queue, clearing where it raised (below 4). */
  g_autoptr(GError) error = NULL;
  WbAlertSample q[] = {{"queue:policy", "政策咨询", 4, NAN, 0}, {"queue:visa", "签证", 3, NAN, 0}};
  ck_assert(wb_alerts_observe(f.a, WED_10 + 3 * S_MS, "waiting", q, 2, &error));
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 1);
  ck_assert_int_eq(count_rows(&f, "rule = 'policy_waiting' AND scope = 'queue:policy' AND "
                                  "severity = 'critical' AND threshold = 4"),
                   1);
  q[0].value = 3.5;
  ck_assert(wb_alerts_observe(f.a, WED_10 + 4 * S_MS, "waiting", q, 2, &error));
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 0);
  fixture_clear(&f);
}
END_TEST

static void
expect_bad_config(const char *config, const char *needle)
{
  TestStore t;
  g_autoptr(GError) error = NULL;
  test_store_init(&t);
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  g_autofree char *path = g_build_filename(t.dir, "wallboard.conf", NULL);
  ck_assert(g_file_set_contents(path, config, -1, NULL));
  ck_assert_msg(wb_config_load_file(cfg, path, &error), "%s", error ? error->message : "");
  g_autoptr(GPtrArray) rules = wb_alerts_rules(cfg, &error);
  ck_assert_ptr_null(rules);
  ck_assert_msg(strstr(error->message, needle) != NULL, "%s", error->message);
  test_store_clear(&t);
}

START_TEST(test_bad_config)
{
  expect_bad_config("[alert.waiting]\ncolour = red\n", "unknown key [alert.waiting] colour");
  expect_bad_config("[alert.waiting]\nclear = 9\n", "[alert.waiting] clear: 9");
  expect_bad_config("[alert.x]\nmetric = bogus\nthreshold = 1\n", "[alert.x] metric: 'bogus'");
  expect_bad_config("[alert.x]\nmetric = waiting\n", "needs a metric, a scope and a threshold");
  expect_bad_config("[alert.waiting]\nquiet_hours = 22:00\n", "[alert.waiting] quiet_hours");
  expect_bad_config("[alert.waiting]\nop = =\n", "[alert.waiting] op");
}
END_TEST

/* Quiet hours keep an alert silent, not hidden. */
START_TEST(test_quiet_hours)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  fixture_init(&f, "[alert.waiting]\nfor_s = 0\nquiet_hours = 22:00-07:00\n");
  const WbAlertRule *r = NULL;
  for (guint i = 0; i < wb_alerts_rule_list(f.a)->len; i++)
    if (strcmp(((WbAlertRule *)g_ptr_array_index(wb_alerts_rule_list(f.a), i))->name, "waiting") ==
        0)
      r = g_ptr_array_index(wb_alerts_rule_list(f.a), i);
  ck_assert_ptr_nonnull(r);
  gint64 day = WED_10 - 10 * HOUR_MS; /* local midnight */
  ck_assert(wb_alert_rule_quiet_at(r, f.t.tz, day + 22 * HOUR_MS));
  ck_assert(wb_alert_rule_quiet_at(r, f.t.tz, day + 6 * HOUR_MS + 59 * MIN_MS));
  ck_assert(!wb_alert_rule_quiet_at(r, f.t.tz, day + 7 * HOUR_MS));
  ck_assert(!wb_alert_rule_quiet_at(r, f.t.tz, day + 21 * HOUR_MS + 59 * MIN_MS));

  /* Raised at 23:00 (quiet) and at 10:00 in a queue (sounded). */
  observe(&f, day + 23 * HOUR_MS, "waiting", "total", 9, 1);
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 1);
  g_autofree char *json = wb_alerts_json(f.a, day, day + 24 * HOUR_MS, FALSE, -1, &error);
  ck_assert_ptr_nonnull(json);
  ck_assert_ptr_nonnull(strstr(json, "\"quiet\":true,\"sound\":false"));
  ck_assert_msg(strstr(json, "\"raised\":\"2026-11-28T23:00:00.000+08:00\"") != NULL, "%s", json);
  ck_assert_ptr_nonnull(strstr(json, "\"state\":\"open\""));
  ck_assert_ptr_nonnull(strstr(json, "\"open\":1"));
  fixture_clear(&f);

  fixture_init(&f, "[alert.waiting]\nfor_s = 0\nquiet_hours = 22:00-07:00\n");
  observe(&f, WED_10, "waiting", "total", 9, 1);
  g_autofree char *day_json = wb_alerts_json(f.a, day, day + 24 * HOUR_MS, FALSE, -1, &error);
  ck_assert_ptr_nonnull(strstr(day_json, "\"quiet\":false,\"sound\":true"));
  ck_assert_ptr_nonnull(strstr(day_json, "\"message\":\"排队等待: subject 9 (> 5)\""));
  fixture_clear(&f);
}
END_TEST

START_TEST(test_ack)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  fixture_init(&f, NULL);
  observe(&f, WED_10, "longest_wait_s", "total", 75, 1);
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 1);
  guint64 v = wb_alerts_version(f.a);
  ck_assert(!wb_alerts_ack(f.a, 99, "wang", NULL, WED_10, &error));
  ck_assert(g_error_matches(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_NOT_FOUND));
  g_clear_error(&error);
  ck_assert_msg(wb_alerts_ack(f.a, 1, "wang", "127.0.0.1", WED_10 + MIN_MS, &error), "%s",
                error ? error->message : "");
  ck_assert_uint_gt(wb_alerts_version(f.a), v);
  ck_assert(!wb_alerts_ack(f.a, 1, "li", NULL, WED_10 + 2 * MIN_MS, &error));
  ck_assert(g_error_matches(error, WB_ALERTS_ERROR, WB_ALERTS_ERROR_ACKED));
  ck_assert_int_eq(count_rows(&f, "id = 1 AND acked_by = 'wang' AND acked_ms = 1795831260000"), 1);
  /* The audit row says who, what and from where. */
  sqlite3_stmt *st =
      wb_store_statement(f.t.store,
                         "SELECT count(*) FROM audit WHERE actor = 'wang' AND action = 'alert_ack'"
                         " AND target = 'alert:1' AND remote = '127.0.0.1'",
                         &error);
  ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
  ck_assert_int_eq(sqlite3_column_int64(st, 0), 1);
  sqlite3_reset(st);
  /* Acknowledged alerts stay open until calm, and no longer sound. */
  g_autofree char *json = wb_alerts_json(f.a, WED_10, WED_10 + HOUR_MS, TRUE, -1, &error);
  ck_assert_ptr_nonnull(strstr(json, "\"acked_by\":\"wang\",\"quiet\":false,\"sound\":false"));
  fixture_clear(&f);
}
END_TEST

/* After a restart an open alert goes on: not raised twice, cleared as
 * before; one of a rule since removed is closed. */
START_TEST(test_restart)
{
  Fixture f;
  g_autoptr(GError) error = NULL;
  fixture_init(&f, "[alert.extra]\nmetric = waiting\nscope = queue:*\nthreshold = 1\n");
  observe(&f, WED_10, "longest_wait_s", "total", 75, 1);
  WbAlertSample q = {"queue:visa", "签证", 3, NAN, 0};
  ck_assert(wb_alerts_observe(f.a, WED_10, "waiting", &q, 1, &error));
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 2);
  test_store_commit(&f.t);
  wb_alerts_free(f.a);
  wb_config_free(f.cfg);

  f.cfg = wb_config_new_defaults();
  f.a = wb_alerts_new(f.t.store, f.cfg, f.t.tz, WED_10 + MIN_MS, &error);
  ck_assert_msg(f.a != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 1);
  ck_assert_int_eq(count_rows(&f, "rule = 'extra' AND cleared_ms = 1795831260000"), 1);
  observe(&f, WED_10 + 2 * MIN_MS, "longest_wait_s", "total", 80, 1);
  ck_assert_int_eq(count_rows(&f, "rule = 'longest_wait'"), 1);
  observe(&f, WED_10 + 3 * MIN_MS, "longest_wait_s", "total", 10, 1);
  observe(&f, WED_10 + 3 * MIN_MS + 30 * S_MS, "longest_wait_s", "total", 10, 1);
  ck_assert_uint_eq(wb_alerts_open_count(f.a), 0);
  ck_assert_int_eq(count_rows(&f, "rule = 'longest_wait' AND id = 1 AND cleared_ms IS NOT NULL"),
                   1);
  /* A new raise takes the next id. */
  observe(&f, WED_10 + HOUR_MS, "longest_wait_s", "total", 61, 1);
  ck_assert_int_eq(count_rows(&f, "rule = 'longest_wait' AND id = 3 AND cleared_ms IS NULL"), 1);
  fixture_clear(&f);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("alerts");
  TCase *tc = tcase_create("alerts");
  tcase_add_test(tc, test_shipped_rules);
  tcase_add_loop_test(tc, test_rule_raises_and_clears, 0, G_N_ELEMENTS(shipped));
  tcase_add_test(tc, test_pending_restarts);
  tcase_add_test(tc, test_min_calls);
  tcase_add_test(tc, test_config_overrides);
  tcase_add_test(tc, test_bad_config);
  tcase_add_test(tc, test_quiet_hours);
  tcase_add_test(tc, test_ack);
  tcase_add_test(tc, test_restart);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
