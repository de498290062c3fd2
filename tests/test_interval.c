/* test_interval.c: interval boundaries, attribution and delta upkeep. */
#include "collectors/queuelog.h"
#include "engine/clock.h"
#include "engine/interval.h"
#include "engine/live.h"
#include "testutil.h"

typedef struct {
  WbConfig *cfg;
  GTimeZone *tz;
  WbLive *live;
  WbIntervals *iv;
  GHashTable *rows; /* "size|scope|start" -> WbIntervalRow*, as flushed */
} Fixture;

static void
on_change(const WbCallChange *c, gpointer data)
{
  wb_intervals_call_change(((Fixture *)data)->iv, c);
}

static void
on_span(const WbAgentSpan *s, gpointer data)
{
  wb_intervals_agent_span(((Fixture *)data)->iv, s);
}

static void
on_rna(const char *agent, const char *queue, gint64 ts, gpointer data)
{
  (void)queue;
  wb_intervals_ring_noanswer(((Fixture *)data)->iv, agent, ts);
}

static void
fixture_init(Fixture *f)
{
  static const WbLiveListener listener = {on_change, on_span, on_rna};
  f->cfg = wb_config_new_defaults();
  f->tz = g_time_zone_new_identifier("Asia/Shanghai");
  f->live = wb_live_new(f->cfg, f->tz);
  f->iv = wb_intervals_new(f->cfg, f->tz, NULL, NULL);
  f->rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  wb_live_set_listener(f->live, &listener, f);
}

static void
fixture_clear(Fixture *f)
{
  wb_live_free(f->live);
  wb_intervals_free(f->iv);
  wb_config_free(f->cfg);
  g_time_zone_unref(f->tz);
  g_hash_table_unref(f->rows);
}

static gboolean
keep_row(const WbIntervalRow *row, gpointer data)
{
  Fixture *f = data;
  char *key = g_strdup_printf("%d|%s|%" G_GINT64_FORMAT, row->key.size_min, row->key.scope,
                              row->key.start_ms);
  g_hash_table_replace(f->rows, key, g_memdup2(row, sizeof(*row)));
  return TRUE;
}

static void
feed(Fixture *f, const char *const *lines)
{
  for (; *lines != NULL; lines++) {
    WbQueuelogLine out;
    wb_queuelog_parse_line(NULL, "pbx", *lines, strlen(*lines), &out);
    ck_assert_msg(out.result == WB_QUEUELOG_EVENTS, "%s", *lines);
    for (int i = 0; i < out.n_events; i++) {
      /* A caller hash as the bus would make it. */
      if (out.events[i].caller_raw[0] != '\0')
        g_strlcpy(out.events[i].caller_hash, out.events[i].caller_raw,
                  sizeof(out.events[i].caller_hash));
      wb_live_apply(f->live, &out.events[i]);
    }
  }
  ck_assert(wb_intervals_flush(f->iv, keep_row, f));
  wb_intervals_committed(f->iv);
}

static gint64
t(Fixture *f, const char *iso)
{
  gint64 ms;
  ck_assert(wb_time_parse(f->tz, iso, &ms));
  return ms;
}

static const WbIntervalRow *
row(Fixture *f, gint size, const char *scope, const char *start_iso)
{
  g_autofree char *key = g_strdup_printf("%d|%s|%" G_GINT64_FORMAT, size, scope, t(f, start_iso));
  const WbIntervalRow *r = g_hash_table_lookup(f->rows, key);
  ck_assert_msg(r != NULL, "no row %s", key);
  return r;
}

static char *
line(Fixture *f, const char *iso, const char *rest)
{
  return g_strdup_printf("%" G_GINT64_FORMAT "|%s", t(f, iso) / 1000, rest);
}

START_TEST(test_boundaries)
{
  Fixture f;
  fixture_init(&f);
  /* Asia/Shanghai: intervals begin at local quarter hours and midnight. */
  ck_assert_int_eq(wb_interval_start(f.tz, 15, t(&f, "2026-03-31T09:14:59")),
                   t(&f, "2026-03-31T09:00:00"));
  ck_assert_int_eq(wb_interval_start(f.tz, 15, t(&f, "2026-03-31T09:15:00")),
                   t(&f, "2026-03-31T09:15:00"));
  ck_assert_int_eq(wb_interval_start(f.tz, 30, t(&f, "2026-03-31T09:44:00")),
                   t(&f, "2026-03-31T09:30:00"));
  ck_assert_int_eq(wb_interval_start(f.tz, 60, t(&f, "2026-03-31T23:59:59")),
                   t(&f, "2026-03-31T23:00:00"));
  ck_assert_int_eq(wb_interval_start(f.tz, 1440, t(&f, "2026-03-31T23:59:59")),
                   t(&f, "2026-03-31T00:00:00"));
  /* Month end: the next day is the first of the month. */
  ck_assert_int_eq(wb_interval_end(f.tz, 1440, t(&f, "2026-03-31T00:00:00")),
                   t(&f, "2026-04-01T00:00:00"));
  ck_assert_int_eq(wb_interval_end(f.tz, 15, t(&f, "2026-03-31T23:45:00")),
                   t(&f, "2026-04-01T00:00:00"));
  ck_assert(wb_interval_size_valid(30));
  ck_assert(!wb_interval_size_valid(20));
  /* A zone with a clock change: the short day has 23 hours. */
  g_autoptr(GTimeZone) berlin = g_time_zone_new_identifier("Europe/Berlin");
  gint64 day;
  ck_assert(wb_time_parse(berlin, "2026-03-29T00:00:00", &day));
  ck_assert_int_eq(wb_interval_end(berlin, 1440, day) - day, 23 * 3600 * 1000LL);
  fixture_clear(&f);
}
END_TEST

/* Times are only those with a local date (found by tests/fuzz/fuzz_query):
 * an epoch number too large for one, or past int64, is refused, not kept
 * to overflow later; what parses formats back to the same time, before
 * 1970 too. */
START_TEST(test_time_parse_bounds)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier("Asia/Shanghai");
  gint64 ms = 7;
  ck_assert(!wb_time_parse(tz, "1798250400000400000", &ms));
  ck_assert(!wb_time_parse(tz, "99999999999999999999", &ms));
  /* 10000-01-01T07:00 in Shanghai: no local date. */
  ck_assert(!wb_time_parse(tz, "9999-12-31T23:00:00Z", &ms));
  ck_assert_int_eq(ms, 7);
  ck_assert(wb_time_parse(tz, "1795824000000", &ms));
  ck_assert_int_eq(ms, G_GINT64_CONSTANT(1795824000000));
  /* 1.5 s before 1970: 07:59:58.500 in Shanghai. */
  ck_assert(wb_time_parse(tz, "-000001500", &ms));
  ck_assert_int_eq(ms, -1500);
  g_autofree char *text = wb_time_format(tz, ms);
  ck_assert_str_eq(text, "1970-01-01T07:59:58.500+08:00");
  gint64 again = 0;
  ck_assert(wb_time_parse(tz, text, &again));
  ck_assert_int_eq(again, -1500);
  /* Shanghai's local mean time, +08:05:43, is written in UTC. */
  ck_assert(wb_time_parse(tz, "1013-11-29", &ms));
  g_autofree char *lmt = wb_time_format(tz, ms);
  ck_assert_str_eq(lmt, "1013-11-28T15:54:17.000+00:00");
  ck_assert(wb_time_parse(tz, lmt, &again));
  ck_assert_int_eq(again, ms);
  /* Years before 1000 in four digits. */
  ck_assert(wb_time_parse(tz, "0016-11-28T08:00:00Z", &ms));
  g_autofree char *early = wb_time_format(tz, ms);
  ck_assert_str_eq(early, "0016-11-28T08:00:00.000+00:00");
  g_autofree char *early_day = wb_day_format(tz, ms);
  ck_assert_str_eq(early_day, "0016-11-28");
  ck_assert(wb_time_parse(tz, early, &again));
  ck_assert_int_eq(again, ms);
}
END_TEST

/* A call that enters at 09:14:50 and is answered and ended after 09:15
 * belongs to the 09:00 quarter, and counts once however often it changes. */
START_TEST(test_call_belongs_to_entry_interval)
{
  Fixture f;
  fixture_init(&f);
  g_autofree char *l1 =
      line(&f, "2026-03-31T09:14:50", "1.1|policy|NONE|ENTERQUEUE||13800000001|1");
  g_autofree char *l2 = line(&f, "2026-03-31T09:15:02", "1.1|policy|8001|RINGNOANSWER|5000");
  g_autofree char *l3 = line(&f, "2026-03-31T09:15:10", "1.1|policy|8002|CONNECT|20|1.2|3");
  g_autofree char *l4 = line(&f, "2026-03-31T09:18:10", "1.1|policy|8002|COMPLETECALLER|20|180|1");
  const char *lines[] = {l1, l2, l3, l4, NULL};
  feed(&f, lines);

  const WbIntervalRow *q = row(&f, 15, "queue:policy", "2026-03-31T09:00:00");
  ck_assert_int_eq(q->counts.offered, 1);
  ck_assert_int_eq(q->counts.answered, 1);
  ck_assert_int_eq(q->counts.handled, 1);
  ck_assert_int_eq(q->counts.answered_wait_ms, 20000);
  ck_assert_int_eq(q->counts.handle_ms, 180000);
  ck_assert_int_eq(q->counts.sl_answered_within, 0); /* 20 s > 15 s */
  ck_assert_int_eq(q->counts.ring_noanswers, 1);
  ck_assert_int_eq(q->sl_threshold_s, 15);
  /* Nothing in the next quarter, though the call was answered there. */
  g_autofree char *next =
      g_strdup_printf("15|queue:policy|%" G_GINT64_FORMAT, t(&f, "2026-03-31T09:15:00"));
  ck_assert(g_hash_table_lookup(f.rows, next) == NULL ||
            ((WbIntervalRow *)g_hash_table_lookup(f.rows, next))->counts.offered == 0);
  /* The answering agent's row and the total agree; the agent who let it
   * ring has the ring, in the quarter it rang. */
  const WbIntervalRow *a = row(&f, 15, "agent:8002", "2026-03-31T09:00:00");
  ck_assert_int_eq(a->counts.answered, 1);
  ck_assert_int_eq(row(&f, 15, "agent:8001", "2026-03-31T09:15:00")->time.ring_noanswers, 1);
  ck_assert_int_eq(row(&f, 60, "total", "2026-03-31T09:00:00")->counts.offered, 1);
  ck_assert_int_eq(row(&f, 1440, "total", "2026-03-31T00:00:00")->counts.handled, 1);
  fixture_clear(&f);
}
END_TEST

/* Agent time split across intervals and midnight; the sizes agree. */
START_TEST(test_agent_time_split)
{
  Fixture f;
  fixture_init(&f);
  g_autofree char *l1 = line(&f, "2026-03-31T23:40:00", "MANAGER|policy|PJSIP/8003|ADDMEMBER|");
  g_autofree char *l2 = line(&f, "2026-04-01T00:10:00", "NONE|policy|8003|PAUSE|小休");
  g_autofree char *l3 = line(&f, "2026-04-01T00:25:00", "NONE|policy|8003|UNPAUSE|");
  const char *lines[] = {l1, l2, l3, NULL};
  feed(&f, lines);

  /* available 23:40 .. 00:10: 5 min in the 23:30 quarter, 15 in 23:45, 10
   * in 00:00; paused 00:10 .. 00:25. */
  const char *scope = "agent:8003";
  ck_assert_int_eq(row(&f, 15, scope, "2026-03-31T23:30:00")->time.state_ms[WB_AGENT_AVAILABLE],
                   5 * 60000);
  ck_assert_int_eq(row(&f, 15, scope, "2026-03-31T23:45:00")->time.state_ms[WB_AGENT_AVAILABLE],
                   15 * 60000);
  ck_assert_int_eq(row(&f, 15, scope, "2026-04-01T00:00:00")->time.state_ms[WB_AGENT_AVAILABLE],
                   10 * 60000);
  ck_assert_int_eq(row(&f, 15, scope, "2026-04-01T00:00:00")->time.state_ms[WB_AGENT_PAUSED],
                   5 * 60000);
  ck_assert_int_eq(row(&f, 15, scope, "2026-04-01T00:15:00")->time.state_ms[WB_AGENT_PAUSED],
                   10 * 60000);
  ck_assert_int_eq(row(&f, 1440, scope, "2026-03-31T00:00:00")->time.state_ms[WB_AGENT_AVAILABLE],
                   20 * 60000);
  ck_assert_int_eq(row(&f, 1440, scope, "2026-04-01T00:00:00")->time.state_ms[WB_AGENT_AVAILABLE],
                   10 * 60000);
  ck_assert_int_eq(row(&f, 60, "total", "2026-04-01T00:00:00")->time.state_ms[WB_AGENT_PAUSED],
                   15 * 60000);
  fixture_clear(&f);
}
END_TEST

typedef struct {
  Fixture *f;
  WbKpiCounts by_size[WB_INTERVAL_SIZE_COUNT];
} Sums;

static void
sum_rows(gpointer key, gpointer value, gpointer data)
{
  (void)key;
  Sums *s = data;
  const WbIntervalRow *r = value;
  if (strcmp(r->key.scope, "total") != 0)
    return;
  for (int i = 0; i < WB_INTERVAL_SIZE_COUNT; i++)
    if (wb_interval_sizes[i] == r->key.size_min)
      wb_kpi_counts_sum(&s->by_size[i], &r->counts);
}

/* A real day through the model: every size sums to the same totals, and
 * those equal the KPI of the day computed from the calls. */
START_TEST(test_sizes_agree_with_calls)
{
  Fixture f;
  fixture_init(&f);
  g_autofree char *path = test_sample("asterisk-production.queue_log");
  g_autofree char *text = NULL;
  ck_assert(g_file_get_contents(path, &text, NULL, NULL));
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l != NULL; l++) {
    WbQueuelogLine out;
    wb_queuelog_parse_line(NULL, "pbx", *l, strlen(*l), &out);
    for (int i = 0; out.result == WB_QUEUELOG_EVENTS && i < out.n_events; i++)
      wb_live_apply(f.live, &out.events[i]);
  }
  wb_intervals_flush(f.iv, keep_row, &f);
  Sums s = {&f};
  g_hash_table_foreach(f.rows, sum_rows, &s);
  for (int i = 0; i < WB_INTERVAL_SIZE_COUNT; i++) {
    ck_assert_int_eq(s.by_size[i].offered, 50);
    ck_assert_int_eq(s.by_size[i].answered, 49);
    ck_assert_int_eq(s.by_size[i].abandoned, 1);
    ck_assert_int_eq(s.by_size[i].sl_answered_within, 36);
    ck_assert_int_eq(s.by_size[i].answered_wait_ms, 962000);
    ck_assert_int_eq(s.by_size[i].handle_ms, 3072000);
    ck_assert_int_eq(s.by_size[i].ring_noanswers, 18);
  }
  fixture_clear(&f);
}
END_TEST

/* Rows not in memory are loaded before deltas apply. */
static gboolean
load_stored(const WbIntervalKey *key, WbIntervalRow *out, gpointer data)
{
  (void)data;
  if (key->size_min != 15 || strcmp(key->scope, "queue:policy") != 0)
    return FALSE;
  memset(out, 0, sizeof(*out));
  out->counts.offered = 7;
  return TRUE;
}

START_TEST(test_loaded_rows_accumulate)
{
  Fixture f;
  fixture_init(&f);
  wb_intervals_free(f.iv);
  f.iv = wb_intervals_new(f.cfg, f.tz, load_stored, NULL);
  g_autofree char *l1 =
      line(&f, "2026-03-31T10:01:00", "2.1|policy|NONE|ENTERQUEUE||13800000002|1");
  const char *lines[] = {l1, NULL};
  feed(&f, lines);
  ck_assert_int_eq(row(&f, 15, "queue:policy", "2026-03-31T10:00:00")->counts.offered, 8);
  ck_assert_int_eq(row(&f, 30, "queue:policy", "2026-03-31T10:00:00")->counts.offered, 1);
  ck_assert_int_eq(wb_intervals_dirty(f.iv), 0);
  fixture_clear(&f);
}
END_TEST

static Suite *
interval_suite(void)
{
  Suite *s = suite_create("interval");
  TCase *tc = tcase_create("interval");
  tcase_add_test(tc, test_boundaries);
  tcase_add_test(tc, test_time_parse_bounds);
  tcase_add_test(tc, test_call_belongs_to_entry_interval);
  tcase_add_test(tc, test_agent_time_split);
  tcase_add_test(tc, test_sizes_agree_with_calls);
  tcase_add_test(tc, test_loaded_rows_accumulate);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  return test_run_suite(interval_suite());
}
