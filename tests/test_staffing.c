/* test_staffing.c: the forecast rule, Erlang C on the forecast, and who is
 * rostered, present and on the phones, worked out by hand. */
#include <math.h>

#include "engine/records.h"
#include "engine/store.h"
#include "engine/workforce/staffing.h"
#include "testutil.h"

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)
#define WEEK_MS (7 * DAY_MS)

/* Wednesday 2026-11-25 10:00 in Shanghai (UTC+8, no daylight saving). */
#define WED_10 1795831200000LL

typedef struct {
  TestStore t;
  WbConfig *cfg;
} Fixture;

static void
fixture_init(Fixture *f)
{
  test_store_init(&f->t);
  f->cfg = wb_config_new_defaults();
}

static void
fixture_clear(Fixture *f)
{
  wb_config_free(f->cfg);
  test_store_clear(&f->t);
}

static void
put_interval(Fixture *f, gint64 start, gint64 offered, gint64 handled, gint64 aht_s)
{
  g_autoptr(GError) error = NULL;
  WbIntervalRow row = {0};
  row.key.size_min = 30;
  row.key.start_ms = start;
  g_strlcpy(row.key.scope, "total", sizeof(row.key.scope));
  row.sl_threshold_s = 15;
  row.counts.offered = offered;
  row.counts.answered = handled;
  row.counts.handled = handled;
  row.counts.handle_ms = handled * aht_s * 1000;
  ck_assert_msg(wb_store_put_interval(f->t.store, &row, &error), "%s", error ? error->message : "");
}

/* n calls entering a queue in [from, from + span). */
static void
put_calls(Fixture *f, const char *tag, gint64 from, gint64 span, gint n)
{
  g_autoptr(GError) error = NULL;
  for (gint i = 0; i < n; i++) {
    WbCallRecord c = {0};
    g_snprintf(c.call_id, sizeof(c.call_id), "%s-%d", tag, i);
    g_strlcpy(c.queue, "policy", sizeof(c.queue));
    c.enqueue_ms = from + span * i / n;
    c.prev_call_gap_ms = -1;
    ck_assert_msg(wb_store_put_call(f->t.store, &c, &error), "%s", error ? error->message : "");
  }
}

static WbStaffing *
compute(Fixture *f, const WbLiveView *view, gint64 now)
{
  g_autoptr(GError) error = NULL;
  WbStaffing *s = wb_staffing_compute(f->t.store, f->cfg, f->t.tz, view, now, &error);
  ck_assert_msg(s != NULL, "%s", error ? error->message : "");
  return s;
}

#define assert_near(a, b)                                                                          \
  ck_assert_msg(fabs((a) - (b)) < 1e-9, "%s = %.12g, want %.12g", #a, (double)(a), (double)(b))

/* ---- the rule alone ---- */

START_TEST(test_rule)
{
  WbStaffingForecast out;

  /* A third of the interval gone, 40 calls so far, history 100, the last
   * hour 60 calls against 40 on the history days: trend 1.5;
   * 40 + 2/3 * 100 * 1.5 = 140, the live projection 40 / (1/3) = 120. */
  WbStaffingEvidence cur = {.length_min = 30,
                            .current = TRUE,
                            .elapsed = 1.0 / 3,
                            .offered_so_far = 40,
                            .history = 100,
                            .history_days = 4,
                            .recent = 60,
                            .recent_history = 40};
  wb_staffing_forecast(&cur, &out);
  assert_near(out.offered, 140);
  assert_near(out.live, 120);
  assert_near(out.trend, 1.5);
  ck_assert_str_eq(out.method, "blend");

  /* The next interval: history 70 times the trend; live is the last hour's
   * pace over 30 minutes. */
  WbStaffingEvidence next = {
      .length_min = 30, .history = 70, .history_days = 4, .recent = 60, .recent_history = 40};
  wb_staffing_forecast(&next, &out);
  assert_near(out.offered, 105);
  assert_near(out.live, 30);

  /* The trend is clamped to [0.5, 2], and 1 when the history's hour was empty. */
  next.recent = 200;
  wb_staffing_forecast(&next, &out);
  assert_near(out.trend, 2);
  assert_near(out.offered, 140);
  next.recent = 0;
  wb_staffing_forecast(&next, &out);
  assert_near(out.trend, 0.5);
  assert_near(out.offered, 35);
  next.recent = 12;
  next.recent_history = 0;
  wb_staffing_forecast(&next, &out);
  assert_near(out.trend, 1);
  assert_near(out.offered, 70);

  /* No history: the calls so far plus the last hour's pace for the rest:
   * 40 + 1/2 * 60 * 30 / 60 = 55. */
  WbStaffingEvidence none = {.length_min = 30,
                             .current = TRUE,
                             .elapsed = 0.5,
                             .offered_so_far = 40,
                             .history = NAN,
                             .recent = 60,
                             .recent_history = NAN};
  wb_staffing_forecast(&none, &out);
  assert_near(out.offered, 55);
  assert_near(out.live, 80);
  ck_assert(isnan(out.trend));
  ck_assert_str_eq(out.method, "live");
  /* At the very start nothing is projected yet. */
  none.elapsed = 0;
  none.offered_so_far = 0;
  wb_staffing_forecast(&none, &out);
  ck_assert(isnan(out.live));
  assert_near(out.offered, 30);
  none.current = FALSE;
  wb_staffing_forecast(&none, &out);
  assert_near(out.offered, 30);
  assert_near(out.live, 30);
}
END_TEST

/* ---- from the store ---- */

START_TEST(test_history_and_blend)
{
  Fixture f;
  fixture_init(&f);
  gint64 next = WED_10 + 30 * MIN_MS;

  /* Wednesdays before: weeks 1, 3, 4 and 5 have data; week 2 none (the
   * system was off); week 6 would be a fifth day with data: not used. */
  put_interval(&f, WED_10 - 1 * WEEK_MS, 90, 60, 150);
  put_interval(&f, WED_10 - 3 * WEEK_MS, 110, 120, 195);
  put_interval(&f, WED_10 - 4 * WEEK_MS, 100, 0, 0);
  put_interval(&f, WED_10 - 5 * WEEK_MS, 100, 0, 0);
  put_interval(&f, WED_10 - 6 * WEEK_MS, 1000, 1000, 600);
  /* Week 4 has data that day but no row for the next interval: 0 calls. */
  put_interval(&f, next - 1 * WEEK_MS, 60, 0, 0);
  put_interval(&f, next - 3 * WEEK_MS, 70, 0, 0);
  put_interval(&f, next - 5 * WEEK_MS, 90, 0, 0);
  /* Week 2 has 15-minute rows only: no day with data at this size. */
  {
    g_autoptr(GError) error = NULL;
    WbIntervalRow row = {0};
    row.key.size_min = 15;
    row.key.start_ms = WED_10 - 2 * WEEK_MS;
    g_strlcpy(row.key.scope, "total", sizeof(row.key.scope));
    row.counts.offered = 500;
    ck_assert(wb_store_put_interval(f.t.store, &row, &error));
  }
  /* Today so far: 40 calls in the current interval. */
  put_interval(&f, WED_10, 40, 0, 0);
  /* The last hour: 60 calls today, 40 on each history day. */
  gint64 now = WED_10 + 10 * MIN_MS;
  put_calls(&f, "today", now - HOUR_MS, HOUR_MS, 60);
  for (gint w = 1; w <= 5; w++) {
    g_autofree char *tag = g_strdup_printf("w%d", w);
    put_calls(&f, tag, now - w * WEEK_MS - HOUR_MS, HOUR_MS, w == 2 ? 0 : 40);
  }
  test_store_commit(&f.t);

  g_autoptr(WbStaffing) s = compute(&f, NULL, now);
  ck_assert_int_eq(s->size_min, 30);
  ck_assert_int_eq(s->current.from_ms, WED_10);
  ck_assert_int_eq(s->current.to_ms, next);
  /* Weeks 1, 3, 4 and 5: (90 + 110 + 100 + 100) / 4 = 100. */
  ck_assert_int_eq(s->current.evidence.history_days, 4);
  assert_near(s->current.evidence.history, 100);
  assert_near(s->current.evidence.offered_so_far, 40);
  assert_near(s->current.evidence.elapsed, 1.0 / 3);
  assert_near(s->current.evidence.recent, 60);
  /* The same hour on those days: 40 each; trend 60 / 40 = 1.5. */
  assert_near(s->current.evidence.recent_history, 40);
  assert_near(s->current.forecast.trend, 1.5);
  /* 40 + 2/3 * 100 * 1.5 = 140; the live projection 40 / (1/3) = 120. */
  assert_near(s->current.forecast.offered, 140);
  assert_near(s->current.forecast.live, 120);
  ck_assert_str_eq(s->current.forecast.method, "blend");
  /* AHT over the history's handled calls: (60 * 150 + 120 * 195) / 180 = 180. */
  ck_assert(s->current.aht_from_history);
  assert_near(s->current.aht_s, 180);
  /* The next interval: 60, 70, (no row: 0), 90 -> 55; * 1.5 = 82.5. */
  ck_assert_int_eq(s->next.evidence.history_days, 4);
  assert_near(s->next.evidence.history, 55);
  assert_near(s->next.forecast.offered, 82.5);
  assert_near(s->next.forecast.live, 30);
  ck_assert(!s->next.aht_from_history);
  assert_near(s->next.aht_s, f.cfg->staffing_default_aht_s);
  fixture_clear(&f);
}
END_TEST

START_TEST(test_no_history)
{
  Fixture f;
  fixture_init(&f);
  gint64 now = WED_10 + 15 * MIN_MS;
  put_interval(&f, WED_10, 20, 0, 0);
  put_calls(&f, "today", now - HOUR_MS, HOUR_MS, 48);
  test_store_commit(&f.t);
  g_autoptr(WbStaffing) s = compute(&f, NULL, now);
  ck_assert_int_eq(s->current.evidence.history_days, 0);
  ck_assert(isnan(s->current.evidence.history));
  ck_assert_str_eq(s->current.forecast.method, "live");
  /* 20 + 1/2 * 48 * 30 / 60 = 32; the next interval 24. */
  assert_near(s->current.forecast.offered, 32);
  assert_near(s->current.forecast.live, 40);
  assert_near(s->next.forecast.offered, 24);
  assert_near(s->current.aht_s, 180);
  ck_assert(!s->current.aht_from_history);
  fixture_clear(&f);
}
END_TEST

/* The published check: 100 calls per 30 min, AHT 180 s, 80 % in 20 s -> 14. */
START_TEST(test_required)
{
  Fixture f;
  fixture_init(&f);
  for (gint w = 1; w <= 4; w++) {
    put_interval(&f, WED_10 - w * WEEK_MS, 90 + 5 * w, 100, 180); /* 95 .. 110: mean 102.5 */
    put_interval(&f, WED_10 + 30 * MIN_MS - w * WEEK_MS, 100, 100, 180);
  }
  test_store_commit(&f.t);
  f.cfg->kpi.sl_threshold_s = 20;
  f.cfg->target_service_level = 0.8;
  f.cfg->staffing_max_occupancy = 0.85;
  f.cfg->staffing_shrinkage = 0.3;
  /* At 10:00 sharp: nothing has happened today, the history's last hour
   * was empty too: trend 1; the current interval is its history. */
  g_autoptr(WbStaffing) s = compute(&f, NULL, WED_10);
  assert_near(s->current.evidence.elapsed, 0);
  assert_near(s->current.forecast.trend, 1);
  assert_near(s->current.forecast.offered, 102.5);
  assert_near(s->next.forecast.offered, 100);
  assert_near(s->next.aht_s, 180);
  ck_assert(s->next.required_known);
  ck_assert_int_eq(s->next.erlang.agents, 14);
  /* 14 / (1 - 0.3) = 20 */
  ck_assert_int_eq(s->next.erlang.scheduled, 20);
  assert_near(round(s->next.erlang.service_level * 1e5) / 1e5, 0.88835);
  /* 102.5 calls need no more than 100 do here: 14 still meets 80 %. */
  ck_assert_int_eq(s->current.erlang.agents, 14);

  /* A 15-minute interval size is read from the config. */
  f.cfg->staffing_interval_min = 20; /* rounded down to 15 */
  ck_assert_int_eq(wb_staffing_interval_min(f.cfg), 15);
  f.cfg->staffing_interval_min = 60;
  ck_assert_int_eq(wb_staffing_interval_min(f.cfg), 60);
  fixture_clear(&f);
}
END_TEST

/* ---- people ---- */

static WbEvent
record(Fixture *f, WbEventType type, gint64 ts, const char *agent)
{
  WbEvent ev;
  wb_event_init(&ev, type);
  ev.ts_ms = ts;
  ev.source_pos = ++f->t.pos;
  WB_EVENT_SET(&ev, source, "api:test", -1);
  WB_EVENT_SET(&ev, agent, agent, -1);
  return ev;
}

static void
store_event(Fixture *f, WbLive *live, WbEvent *ev)
{
  g_autoptr(GError) error = NULL;
  ck_assert_int_eq(wb_store_append_event(f->t.store, ev, &error), 1);
  if (wb_event_is_record(ev->type))
    ck_assert_msg(wb_records_apply(f->t.store, ev, &error), "%s", error ? error->message : "");
  else
    wb_live_apply(live, ev);
}

static void
shift(Fixture *f, WbLive *live, const char *agent, gint64 start, gint64 end, const char *code)
{
  WbEvent ev = record(f, WB_EVENT_ROSTER_SHIFT, start - DAY_MS, agent);
  ev.start_ms = start;
  ev.end_ms = end;
  WB_EVENT_SET(&ev, role, "agent", -1);
  if (code != NULL)
    WB_EVENT_SET(&ev, kind, code, -1);
  store_event(f, live, &ev);
}

static void
punch(Fixture *f, WbLive *live, const char *agent, gint64 ts, const char *direction)
{
  WbEvent ev = record(f, WB_EVENT_STAFF_PUNCH, ts, agent);
  WB_EVENT_SET(&ev, device, "zk-1", -1);
  WB_EVENT_SET(&ev, origin, direction, -1);
  store_event(f, live, &ev);
}

static WbStaffingPerson *
person(WbStaffing *s, guint i)
{
  ck_assert_uint_lt(i, s->on_duty->len);
  return g_ptr_array_index(s->on_duty, i);
}

START_TEST(test_people)
{
  Fixture f;
  fixture_init(&f);
  g_autoptr(WbLive) live = wb_live_new(f.cfg, f.t.tz);
  gint64 now = WED_10 + 10 * MIN_MS;
  gint64 at8 = WED_10 - 2 * HOUR_MS;
  gint64 at17 = WED_10 + 7 * HOUR_MS + 30 * MIN_MS;
  g_autoptr(GError) error = NULL;
  g_autofree char *conf = g_build_filename(f.t.dir, "shifts.conf", NULL);
  g_file_set_contents(conf, "[shift.早]\nlabel = 白班\nstart = 08:00\nend = 17:30\n", -1, NULL);
  ck_assert_msg(wb_config_load_file(f.cfg, conf, &error), "%s", error ? error->message : "");

  /* Rostered now: 1001, 1002, 1003 on 早 from 08:00; 1005 without a
   * template from 09:00. Not now: 1006 ended at 09:00, 1007 tomorrow. */
  shift(&f, live, "1001", at8, at17, "早");
  shift(&f, live, "1002", at8, at17, "早");
  shift(&f, live, "1003", at8, at17, "早");
  shift(&f, live, "1005", at8 + HOUR_MS, at17, NULL);
  shift(&f, live, "1006", WED_10 - 4 * HOUR_MS, WED_10 - HOUR_MS, "早");
  shift(&f, live, "1007", at8 + DAY_MS, at17 + DAY_MS, "早");
  /* Present: 1001 punched in; 1002 punched in and out again; 1004 (not
   * rostered) punched in; 1003 logged in (no punch); 1005 logged in and
   * paused. */
  punch(&f, live, "1001", at8 - 5 * MIN_MS, "in");
  punch(&f, live, "1002", at8 - 5 * MIN_MS, "in");
  punch(&f, live, "1002", now - 30 * MIN_MS, "out");
  punch(&f, live, "1004", now - HOUR_MS, "in");
  WbEvent login = record(&f, WB_EVENT_AGENT_LOGIN, at8, "1003");
  WB_EVENT_SET(&login, queue, "policy", -1);
  store_event(&f, live, &login);
  login = record(&f, WB_EVENT_AGENT_LOGIN, at8 + HOUR_MS, "1005");
  WB_EVENT_SET(&login, queue, "policy", -1);
  store_event(&f, live, &login);
  WbEvent pause = record(&f, WB_EVENT_AGENT_PAUSE, now - MIN_MS, "1005");
  WB_EVENT_SET(&pause, reason, "培训", -1);
  store_event(&f, live, &pause);
  WbEvent staff = record(&f, WB_EVENT_STAFF_RECORD, WED_10 - WEEK_MS, "1001");
  WB_EVENT_SET(&staff, name, "张伟", -1);
  WB_EVENT_SET(&staff, role, "班长", -1);
  store_event(&f, live, &staff);
  test_store_commit(&f.t);

  g_autoptr(WbLiveView) view = wb_live_view(live, now);
  g_autoptr(WbStaffing) s = compute(&f, view, now);
  ck_assert_int_eq(s->rostered, 4);
  ck_assert_int_eq(s->present, 4);   /* 1001, 1003, 1004, 1005 */
  ck_assert_int_eq(s->on_phones, 1); /* 1003: 1005 is paused */

  ck_assert_uint_eq(s->on_duty->len, 5);
  WbStaffingPerson *p = person(s, 0);
  ck_assert_str_eq(p->agent, "1001");
  ck_assert_str_eq(p->name, "张伟");
  ck_assert_str_eq(p->role, "agent"); /* the roster row's role first */
  ck_assert_str_eq(p->shift, "早");
  ck_assert_str_eq(p->shift_label, "白班");
  ck_assert(p->rostered && p->present);
  ck_assert_int_eq(p->state, WB_AGENT_OFFLINE);
  p = person(s, 1);
  ck_assert_str_eq(p->agent, "1002");
  ck_assert(p->rostered && !p->present);
  p = person(s, 2);
  ck_assert_str_eq(p->agent, "1003");
  ck_assert_str_eq(p->name, "1003"); /* no name anywhere: the key */
  ck_assert(p->present);
  ck_assert_int_eq(p->state, WB_AGENT_AVAILABLE);
  p = person(s, 3);
  ck_assert_str_eq(p->agent, "1005");
  ck_assert_str_eq(p->shift, "");
  ck_assert(p->present);
  ck_assert_int_eq(p->state, WB_AGENT_PAUSED);
  p = person(s, 4);
  ck_assert_str_eq(p->agent, "1004");
  ck_assert(!p->rostered && p->present);
  ck_assert(p->shift == NULL);

  ck_assert_uint_eq(s->shifts->len, 2);
  WbStaffingShift *sh = g_ptr_array_index(s->shifts, 0);
  ck_assert_str_eq(sh->code, "早");
  ck_assert_str_eq(sh->label, "白班");
  ck_assert_int_eq(sh->from_ms, at8);
  ck_assert_int_eq(sh->to_ms, at17);
  ck_assert_int_eq(sh->rostered, 3);
  ck_assert_int_eq(sh->present, 2);
  sh = g_ptr_array_index(s->shifts, 1);
  ck_assert_str_eq(sh->code, "");
  ck_assert_int_eq(sh->rostered, 1);
  ck_assert_int_eq(sh->present, 1);

  /* The JSON carries the same, and names but no punch times. */
  g_autofree char *json = wb_staffing_json(s, f.cfg, f.t.tz);
  ck_assert_ptr_nonnull(strstr(json, "\"rostered\":4,\"present\":4,\"on_phones\":1"));
  ck_assert_ptr_nonnull(strstr(json, "\"name\":\"张伟\""));
  ck_assert_ptr_nonnull(strstr(json, "\"label\":\"白班\""));
  ck_assert_ptr_null(strstr(json, "punch"));

  /* After 1001 punches out, one fewer is present. */
  punch(&f, live, "1001", now + MIN_MS, "out");
  test_store_commit(&f.t);
  g_autoptr(WbLiveView) view2 = wb_live_view(live, now + 2 * MIN_MS);
  g_autoptr(WbStaffing) s2 = compute(&f, view2, now + 2 * MIN_MS);
  ck_assert_int_eq(s2->present, 3);
  fixture_clear(&f);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("staffing");
  TCase *tc = tcase_create("staffing");
  tcase_add_test(tc, test_rule);
  tcase_add_test(tc, test_history_and_blend);
  tcase_add_test(tc, test_no_history);
  tcase_add_test(tc, test_required);
  tcase_add_test(tc, test_people);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
