/* test_kpi.c: KPI arithmetic on hand-computed fixtures and the published
 * checks of DESIGN.md section 5. */
#include <math.h>

#include "engine/kpi.h"
#include "testutil.h"

#define EPS 1e-9

static WbKpiSettings
settings(int threshold_s, WbSlVariant variant, gboolean exclude_short)
{
  WbKpiSettings s = {
      .sl_threshold_s = threshold_s,
      .sl_variant = variant,
      .sl_exclude_short_abandons = exclude_short,
      .short_abandon_s = 5,
  };
  return s;
}

static WbCallRecord
answered(gint64 wait_s, gint64 talk_s)
{
  WbCallRecord c = {.outcome = WB_OUTCOME_COMPLETED,
                    .wait_ms = wait_s * 1000,
                    .talk_ms = talk_s * 1000,
                    .enqueue_ms = 1000,
                    .answer_ms = 2000,
                    .end_ms = 3000};
  return c;
}

static WbCallRecord
abandoned(gint64 wait_s)
{
  WbCallRecord c = {.outcome = WB_OUTCOME_ABANDONED,
                    .wait_ms = wait_s * 1000,
                    .enqueue_ms = 1000,
                    .end_ms = 2000};
  return c;
}

static void
add_n(WbKpiCounts *k, int n, WbCallRecord c, const WbKpiSettings *s)
{
  for (int i = 0; i < n; i++)
    wb_kpi_add(k, &c, s);
}

/* 50 answered within 30 s and 80 later, no abandons: 38.5 %. */
START_TEST(test_published_check_1)
{
  const WbSlVariant variants[] = {WB_SL_ANSWERED, WB_SL_IGNORE_ABANDONS, WB_SL_OFFERED,
                                  WB_SL_POSITIVE_ABANDONS};
  for (gsize v = 0; v < G_N_ELEMENTS(variants); v++) {
    WbKpiSettings s = settings(30, variants[v], FALSE);
    WbKpiCounts k = {0};
    add_n(&k, 50, answered(30, 100), &s); /* exactly T is within */
    add_n(&k, 80, answered(31, 100), &s);
    WbKpi kpi;
    wb_kpi_finish(&k, &s, &kpi);
    ck_assert_double_eq_tol(kpi.service_level, 50.0 / 130.0, EPS);
    ck_assert_double_eq_tol(round(kpi.service_level * 1000) / 10, 38.5, EPS);
  }
}
END_TEST

/* 200 answered within 20 s, 100 later, 50 short abandons, 50 later
 * abandons; variant offered without short abandons: 200 / (400 - 50). */
START_TEST(test_published_check_2)
{
  WbKpiSettings s = settings(20, WB_SL_OFFERED, TRUE);
  WbKpiCounts k = {0};
  add_n(&k, 200, answered(20, 60), &s);
  add_n(&k, 100, answered(45, 60), &s);
  add_n(&k, 50, abandoned(5), &s); /* short: at most short_abandon_s */
  add_n(&k, 50, abandoned(90), &s);
  WbKpi kpi;
  wb_kpi_finish(&k, &s, &kpi);
  ck_assert_double_eq_tol(kpi.service_level, 200.0 / 350.0, EPS);
  ck_assert_double_eq_tol(round(kpi.service_level * 10000) / 100, 57.14, EPS);
  ck_assert_int_eq(k.offered, 400);
  ck_assert_int_eq(k.short_abandons, 50);
  ck_assert_int_eq(k.abandoned, 100);
  /* Short abandons still count as offered and abandoned: only the
   * service level leaves them out. */
  ck_assert_double_eq_tol(kpi.answer_rate, 300.0 / 400.0, EPS);
}
END_TEST

/* One mixed set, every variant by hand. Threshold 15 s:
 *  answered: 6 within (waits 0,5,10,15,15,15), 2 later (16, 40)
 *  abandoned: 1 short (3 s), 1 within T (12 s), 2 later (20, 60)
 *  offered 12, answered 8, abandoned 4. */
static void
mixed(WbKpiCounts *k, const WbKpiSettings *s)
{
  const gint64 within[] = {0, 5, 10, 15, 15, 15};
  for (gsize i = 0; i < G_N_ELEMENTS(within); i++) {
    WbCallRecord c = answered(within[i], 100 + (gint64)i * 10);
    wb_kpi_add(k, &c, s);
  }
  WbCallRecord late1 = answered(16, 200), late2 = answered(40, 300);
  wb_kpi_add(k, &late1, s);
  wb_kpi_add(k, &late2, s);
  const gint64 ab[] = {3, 12, 20, 60};
  for (gsize i = 0; i < G_N_ELEMENTS(ab); i++) {
    WbCallRecord c = abandoned(ab[i]);
    wb_kpi_add(k, &c, s);
  }
}

typedef struct {
  WbSlVariant variant;
  gboolean exclude_short;
  gdouble expected;
} VariantCase;

static const VariantCase variant_cases[] = {
    {WB_SL_ANSWERED, FALSE, 6.0 / 8.0},
    {WB_SL_ANSWERED, TRUE, 6.0 / 8.0},
    {WB_SL_OFFERED, FALSE, 6.0 / 12.0},
    {WB_SL_OFFERED, TRUE, 6.0 / 11.0},
    /* offered minus abandoned within T (3 s and 12 s) */
    {WB_SL_IGNORE_ABANDONS, FALSE, 6.0 / 10.0},
    /* the short abandon is gone already; 12 s remains within T */
    {WB_SL_IGNORE_ABANDONS, TRUE, 6.0 / 10.0},
    {WB_SL_POSITIVE_ABANDONS, FALSE, (6.0 + 2.0) / 12.0},
    {WB_SL_POSITIVE_ABANDONS, TRUE, (6.0 + 1.0) / 11.0},
};

START_TEST(test_variants)
{
  const VariantCase *vc = &variant_cases[_i];
  WbKpiSettings s = settings(15, vc->variant, vc->exclude_short);
  WbKpiCounts k = {0};
  mixed(&k, &s);
  WbKpi kpi;
  wb_kpi_finish(&k, &s, &kpi);
  ck_assert_msg(fabs(kpi.service_level - vc->expected) < EPS, "%s%s: %f, expected %f",
                wb_sl_variant_name(vc->variant), vc->exclude_short ? " -short" : "",
                kpi.service_level, vc->expected);
}
END_TEST

START_TEST(test_means)
{
  WbKpiSettings s = settings(15, WB_SL_ANSWERED, FALSE);
  WbKpiCounts k = {0};
  mixed(&k, &s);
  WbKpi kpi;
  wb_kpi_finish(&k, &s, &kpi);
  ck_assert_int_eq(k.offered, 12);
  ck_assert_int_eq(k.answered, 8);
  ck_assert_int_eq(k.abandoned, 4);
  ck_assert_int_eq(k.short_abandons, 1);
  ck_assert_int_eq(k.handled, 8);
  ck_assert_double_eq_tol(kpi.answer_rate, 8.0 / 12.0, EPS);
  /* ASA: (0+5+10+15+15+15+16+40) / 8 */
  ck_assert_double_eq_tol(kpi.asa_s, 116.0 / 8.0, EPS);
  /* AHT: talk 100..150 step 10, 200, 300 */
  ck_assert_double_eq_tol(kpi.aht_s, (100 + 110 + 120 + 130 + 140 + 150 + 200 + 300) / 8.0, EPS);
  ck_assert_double_eq_tol(kpi.avg_abandon_wait_s, (3 + 12 + 20 + 60) / 4.0, EPS);
}
END_TEST

START_TEST(test_aht_includes_acw_and_excludes_open_calls)
{
  WbKpiSettings s = settings(15, WB_SL_ANSWERED, FALSE);
  WbKpiCounts k = {0};
  WbCallRecord a = answered(5, 100);
  a.acw_ms = 20000;
  WbCallRecord talking = answered(5, 0);
  talking.outcome = WB_OUTCOME_CONNECTED;
  talking.end_ms = 0;
  wb_kpi_add(&k, &a, &s);
  wb_kpi_add(&k, &talking, &s);
  WbKpi kpi;
  wb_kpi_finish(&k, &s, &kpi);
  ck_assert_int_eq(k.answered, 2);
  ck_assert_int_eq(k.handled, 1);
  ck_assert_double_eq_tol(kpi.aht_s, 120.0, EPS);
  ck_assert_double_eq_tol(kpi.asa_s, 5.0, EPS);
}
END_TEST

START_TEST(test_no_calls_is_null)
{
  for (int v = 0; v < WB_SL_VARIANT_COUNT; v++) {
    WbKpiSettings s = settings(15, (WbSlVariant)v, FALSE);
    WbKpiCounts k = {0};
    WbKpi kpi;
    wb_kpi_finish(&k, &s, &kpi);
    ck_assert(isnan(kpi.service_level));
    ck_assert(isnan(kpi.answer_rate));
    ck_assert(isnan(kpi.asa_s));
    ck_assert(isnan(kpi.aht_s));
    ck_assert(isnan(kpi.avg_abandon_wait_s));
  }
  /* Only abandons: answered-based values stay null, never 100 % or 0. */
  WbKpiSettings s = settings(15, WB_SL_ANSWERED, FALSE);
  WbKpiCounts k = {0};
  add_n(&k, 3, abandoned(30), &s);
  WbKpi kpi;
  wb_kpi_finish(&k, &s, &kpi);
  ck_assert(isnan(kpi.service_level));
  ck_assert(isnan(kpi.asa_s));
  ck_assert_double_eq_tol(kpi.answer_rate, 0.0, EPS);
  ck_assert_double_eq_tol(kpi.avg_abandon_wait_s, 30.0, EPS);
}
END_TEST

START_TEST(test_waiting_and_lost)
{
  WbKpiSettings s = settings(15, WB_SL_OFFERED, FALSE);
  WbKpiCounts k = {0};
  WbCallRecord waiting = {.outcome = WB_OUTCOME_WAITING, .enqueue_ms = 1000};
  WbCallRecord lost = {.outcome = WB_OUTCOME_LOST, .wait_ms = 8000, .enqueue_ms = 1000};
  WbCallRecord ok = answered(4, 60);
  wb_kpi_add(&k, &waiting, &s);
  wb_kpi_add(&k, &lost, &s);
  wb_kpi_add(&k, &ok, &s);
  WbKpi kpi;
  wb_kpi_finish(&k, &s, &kpi);
  ck_assert_int_eq(k.offered, 3);
  ck_assert_int_eq(k.lost, 1);
  ck_assert_int_eq(k.abandoned, 0);
  /* The waiting call has no outcome yet; the lost one was not answered. */
  ck_assert_double_eq_tol(kpi.service_level, 1.0 / 2.0, EPS);
  ck_assert_double_eq_tol(kpi.answer_rate, 1.0 / 3.0, EPS);
}
END_TEST

static WbCallRecord
entry(const char *call, int seq, const char *queue, gint64 enqueue_s, WbOutcome outcome,
      gint64 wait_s, gint64 talk_s)
{
  WbCallRecord c = {.seq = seq,
                    .enqueue_ms = enqueue_s * 1000,
                    .outcome = outcome,
                    .wait_ms = wait_s * 1000,
                    .talk_ms = talk_s * 1000};
  g_strlcpy(c.call_id, call, sizeof(c.call_id));
  g_strlcpy(c.queue, queue, sizeof(c.queue));
  if (outcome != WB_OUTCOME_WAITING)
    c.end_ms = c.enqueue_ms + (wait_s + talk_s) * 1000;
  if (outcome == WB_OUTCOME_COMPLETED)
    c.answer_ms = c.enqueue_ms + wait_s * 1000;
  return c;
}

/* A call that times out of one queue and is answered in another counts once
 * per queue and once in the total, with its whole wait. */
START_TEST(test_call_through_two_queues)
{
  WbCallRecord e[2] = {
      entry("c1", 0, "policy", 1000, WB_OUTCOME_ABANDONED, 12, 0),
      entry("c1", 1, "progress", 1013, WB_OUTCOME_COMPLETED, 7, 90),
  };
  e[0].abandon_reason = WB_ABANDON_TIMEOUT;
  WbCallRecord m;
  wb_call_merge(e, 2, &m);
  ck_assert_int_eq(m.outcome, WB_OUTCOME_COMPLETED);
  ck_assert_int_eq(m.wait_ms, 19000);
  ck_assert_int_eq(m.talk_ms, 90000);
  ck_assert_int_eq(m.enqueue_ms, 1000000);

  WbKpiSettings s = settings(15, WB_SL_ANSWERED, FALSE);
  WbKpiScope total, policy, progress;
  WbScope t, p, q;
  ck_assert(wb_scope_parse("total", &t));
  ck_assert(wb_scope_parse("queue:policy", &p));
  ck_assert(wb_scope_parse("queue:progress", &q));
  wb_kpi_scope_init(&total, &t, 0, G_MAXINT64, &s);
  wb_kpi_scope_init(&policy, &p, 0, G_MAXINT64, &s);
  wb_kpi_scope_init(&progress, &q, 0, G_MAXINT64, &s);
  wb_kpi_scope_add_call(&total, e, 2);
  wb_kpi_scope_add_call(&policy, e, 2);
  wb_kpi_scope_add_call(&progress, e, 2);
  ck_assert_int_eq(total.counts.offered, 1);
  ck_assert_int_eq(total.counts.answered, 1);
  ck_assert_int_eq(total.counts.abandoned, 0);
  ck_assert_int_eq(total.counts.sl_answered_within, 0); /* 19 s in all > 15 */
  ck_assert_int_eq(policy.counts.offered, 1);
  ck_assert_int_eq(policy.counts.abandoned, 1);
  ck_assert_int_eq(progress.counts.offered, 1);
  ck_assert_int_eq(progress.counts.sl_answered_within, 1);
}
END_TEST

/* A call belongs to the window in which it entered the queue, even when it
 * is answered and ended in the next one. */
START_TEST(test_window_attribution)
{
  WbKpiSettings s = settings(15, WB_SL_ANSWERED, FALSE);
  /* Enters at 23:59:50 of a window ending at 86400 s, answered after 30 s. */
  WbCallRecord late = entry("c2", 0, "policy", 86390, WB_OUTCOME_COMPLETED, 30, 100);
  WbCallRecord next = entry("c3", 0, "policy", 86400, WB_OUTCOME_COMPLETED, 1, 100);
  WbKpiScope day1, day2;
  WbScope total = {.kind = WB_SCOPE_TOTAL};
  wb_kpi_scope_init(&day1, &total, 0, 86400 * 1000LL, &s);
  wb_kpi_scope_init(&day2, &total, 86400 * 1000LL, 2 * 86400 * 1000LL, &s);
  wb_kpi_scope_add_call(&day1, &late, 1);
  wb_kpi_scope_add_call(&day1, &next, 1);
  wb_kpi_scope_add_call(&day2, &late, 1);
  wb_kpi_scope_add_call(&day2, &next, 1);
  ck_assert_int_eq(day1.counts.offered, 1);
  ck_assert_int_eq(day1.counts.answered, 1);
  ck_assert_int_eq(day2.counts.offered, 1);
  ck_assert_int_eq(day2.counts.sl_answered_within, 1);
}
END_TEST

START_TEST(test_definitions_registry)
{
  gsize n = 0;
  const WbKpiDefinition *d = wb_kpi_definitions(&n);
  const char *required[] = {"offered",        "answered",      "abandoned",
                            "short_abandons", "answer_rate",   "service_level",
                            "asa_s",          "aht_s",         "avg_abandon_wait_s",
                            "waiting",        "longest_wait_s"};
  for (gsize r = 0; r < G_N_ELEMENTS(required); r++) {
    gboolean found = FALSE;
    for (gsize i = 0; i < n; i++)
      if (strcmp(d[i].key, required[r]) == 0) {
        found = TRUE;
        ck_assert(*d[i].label_zh != '\0' && *d[i].label_en != '\0' && *d[i].formula != '\0');
      }
    ck_assert_msg(found, "no definition for %s", required[r]);
  }
}
END_TEST

START_TEST(test_docs_in_step)
{
  const char *src = g_getenv("WB_SOURCE_DIR");
  g_autofree char *path = g_build_filename(src != NULL ? src : ".", "docs", "kpi.md", NULL);
  g_autofree char *text = NULL;
  ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "missing %s", path);
  g_autofree char *now = wb_kpi_docs_markdown();
  ck_assert_msg(strcmp(text, now) == 0, "docs/kpi.md is stale: run wallboardd --print-kpi-docs");
}
END_TEST

START_TEST(test_transfers_and_repeats)
{
  WbKpiSettings s = settings(15, WB_SL_ANSWERED, FALSE);
  WbKpiCounts k = {0};
  WbCallRecord plain = answered(5, 60);
  WbCallRecord moved = answered(5, 60);
  moved.outcome = WB_OUTCOME_TRANSFERRED;
  /* Caller known: first call, again after 1 h, again after 20 h; and one
   * withheld number, which the rates leave out. */
  WbCallRecord first = plain, soon = plain, later = plain, hidden = plain;
  g_strlcpy(first.caller_hash, "h1", sizeof(first.caller_hash));
  first.prev_call_gap_ms = -1;
  g_strlcpy(soon.caller_hash, "h1", sizeof(soon.caller_hash));
  soon.prev_call_gap_ms = 3600 * 1000LL;
  g_strlcpy(later.caller_hash, "h1", sizeof(later.caller_hash));
  later.prev_call_gap_ms = 20 * 3600 * 1000LL;
  hidden.prev_call_gap_ms = -1;
  wb_kpi_add(&k, &first, &s);
  wb_kpi_add(&k, &soon, &s);
  wb_kpi_add(&k, &later, &s);
  wb_kpi_add(&k, &hidden, &s);
  wb_kpi_add(&k, &moved, &s);
  WbKpi kpi;
  wb_kpi_finish(&k, &s, &kpi);
  ck_assert_int_eq(k.transferred, 1);
  ck_assert_double_eq_tol(kpi.transfer_rate, 1.0 / 5.0, EPS);
  ck_assert_int_eq(k.with_caller, 3);
  ck_assert_double_eq_tol(kpi.repeat_rate_2h, 1.0 / 3.0, EPS);
  ck_assert_double_eq_tol(kpi.repeat_rate_24h, 2.0 / 3.0, EPS);
  /* Exactly 2 h is within 2 h. */
  WbCallRecord edge = soon;
  edge.prev_call_gap_ms = WB_REPEAT_SHORT_MS;
  WbKpiCounts e = {0};
  wb_kpi_add(&e, &edge, &s);
  ck_assert_int_eq(e.repeat_short, 1);
}
END_TEST

START_TEST(test_signed_add_takes_back)
{
  WbKpiSettings s = settings(15, WB_SL_OFFERED, TRUE);
  WbKpiCounts k = {0}, zero = {0};
  WbCallRecord a = answered(9, 100), b = abandoned(3);
  a.acw_ms = 5000;
  a.ring_noanswers = 2;
  wb_kpi_add_signed(&k, &a, &s, 1);
  wb_kpi_add_signed(&k, &b, &s, 1);
  wb_kpi_add_signed(&k, &a, &s, -1);
  wb_kpi_add_signed(&k, &b, &s, -1);
  ck_assert_mem_eq(&k, &zero, sizeof(k));
}
END_TEST

START_TEST(test_occupancy_and_utilisation)
{
  WbAgentTime t = {0};
  t.state_ms[WB_AGENT_ON_CALL] = 3000 * 1000LL;
  t.state_ms[WB_AGENT_ACW] = 600 * 1000LL;
  t.state_ms[WB_AGENT_AVAILABLE] = 2400 * 1000LL;
  t.state_ms[WB_AGENT_PAUSED] = 900 * 1000LL;   /* not in occupancy */
  t.state_ms[WB_AGENT_OFFLINE] = 3600 * 1000LL; /* not logged in */
  ck_assert_double_eq_tol(wb_kpi_occupancy(&t), 3600.0 / 6000.0, EPS);
  ck_assert_int_eq(wb_agent_time_logged_in_ms(&t), 6900 * 1000LL);
  WbKpi kpi;
  WbKpiCounts k = {0};
  WbKpiSettings s = settings(15, WB_SL_ANSWERED, FALSE);
  wb_kpi_finish(&k, &s, &kpi);
  wb_kpi_set_time(&kpi, &t, 0);
  ck_assert(isnan(kpi.utilisation)); /* no roster yet: null, not 0 or 100 % */
  wb_kpi_set_time(&kpi, &t, 8 * 3600 * 1000LL);
  ck_assert_double_eq_tol(kpi.utilisation, 6900.0 / 28800.0, EPS);
  WbAgentTime idle = {0};
  ck_assert(isnan(wb_kpi_occupancy(&idle)));
}
END_TEST

START_TEST(test_scope_parse)
{
  WbScope sc;
  char text[80];
  ck_assert(wb_scope_parse(NULL, &sc) && sc.kind == WB_SCOPE_TOTAL);
  ck_assert(wb_scope_parse("queue:policy", &sc) && sc.kind == WB_SCOPE_QUEUE);
  ck_assert_str_eq(sc.key, "policy");
  ck_assert(wb_scope_parse("agent:8001", &sc) && sc.kind == WB_SCOPE_AGENT);
  wb_scope_format(&sc, text, sizeof(text));
  ck_assert_str_eq(text, "agent:8001");
  ck_assert(!wb_scope_parse("queue:", &sc));
  ck_assert(!wb_scope_parse("team", &sc));
  /* An agent's scope holds the calls that agent answered. */
  WbCallRecord e[2] = {answered(5, 60), answered(5, 90)};
  g_strlcpy(e[0].agent, "8001", sizeof(e[0].agent));
  g_strlcpy(e[1].agent, "8002", sizeof(e[1].agent));
  WbKpiSettings s = settings(15, WB_SL_ANSWERED, FALSE);
  WbKpiScope agent;
  ck_assert(wb_scope_parse("agent:8002", &sc));
  wb_kpi_scope_init(&agent, &sc, 0, G_MAXINT64, &s);
  wb_kpi_scope_add_call(&agent, e, 2);
  ck_assert_int_eq(agent.counts.answered, 1);
  ck_assert_int_eq(agent.counts.handle_ms, 90000);
}
END_TEST

static Suite *
kpi_suite(void)
{
  Suite *s = suite_create("kpi");
  TCase *tc = tcase_create("kpi");
  tcase_add_test(tc, test_published_check_1);
  tcase_add_test(tc, test_published_check_2);
  tcase_add_loop_test(tc, test_variants, 0, G_N_ELEMENTS(variant_cases));
  tcase_add_test(tc, test_means);
  tcase_add_test(tc, test_aht_includes_acw_and_excludes_open_calls);
  tcase_add_test(tc, test_no_calls_is_null);
  tcase_add_test(tc, test_waiting_and_lost);
  tcase_add_test(tc, test_call_through_two_queues);
  tcase_add_test(tc, test_window_attribution);
  tcase_add_test(tc, test_definitions_registry);
  tcase_add_test(tc, test_transfers_and_repeats);
  tcase_add_test(tc, test_signed_add_takes_back);
  tcase_add_test(tc, test_occupancy_and_utilisation);
  tcase_add_test(tc, test_scope_parse);
  tcase_add_test(tc, test_docs_in_step);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(kpi_suite());
}
