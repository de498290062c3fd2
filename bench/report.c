/* report.c: how long a monthly management report takes over a month of
 * 1,000,000 calls, against the sqlite3 command-line program running the
 * same aggregations on the same database file in the same invocation.
 *
 * A state directory is filled first through the store (not counted): --calls
 * calls in October 2026 (Asia/Shanghai), and a tenth as many in September,
 * the month a monthly report compares with. An arrival profile by hour and
 * weekday (the National Day week quieter), five queues, ten agents, about
 * 10 % abandoned and 3 % transferred to a second queue, a category on 85 % of
 * calls and a survey on 30 % of answered ones, agents' state periods, rings
 * not answered, QA checks, complaints and 12345 work orders. Then, best of
 * --runs runs each, taken in turn:
 *
 *   (A) the report as `wallboardctl report monthly --period 2026-10` makes
 *       it: wb_store_open, wb_report_build, wb_report_write_all (or
 *       wb_report_write_csv alone while another writer fails: the output
 *       says which), wb_store_free;
 *   (B) `sqlite3 -batch -bail DB < baseline.sql > /dev/null`, TZ set to the
 *       centre's zone: the aggregations the report performs, as SQL (total
 *       KPIs of the month, the month before and a year before, per queue,
 *       per agent with state times and rings, hour x weekday, category x day
 *       for the month and the month before and the topics from them, work
 *       orders, quality).
 *
 * An untimed first run of each checks that they agree: the script's first
 * line (the month's offered, answered and abandoned calls) must be the
 * report's summary. Prints the seconds of every run, the best of each, the
 * ratio (A)/(B) and PASS or OVER against the target. Exits 0 whatever the
 * figures; non-zero on errors or when the two disagree.
 */
#define G_LOG_DOMAIN "bench"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bench/bench_machine.h"
#include "bench/bench_dir.h"
#include "engine/config.h"
#include "engine/kpi.h"
#include "engine/live.h"
#include "engine/report/report.h"
#include "engine/store.h"
#include "engine/store_private.h"

#ifndef WB_BENCH_BUILDTYPE
#define WB_BENCH_BUILDTYPE "unknown"
#endif

#define TIMEZONE "Asia/Shanghai"
#define MONTH "2026-10"
#define TARGET_RATIO 1.5
/* The month before holds 1/PREVIOUS_DIVISOR of the calls: enough for the
 * previous period's KPIs and the rising topics, not a second month to
 * load. */
#define PREVIOUS_DIVISOR 10
#define N_AGENTS 10
#define ABANDON_P 0.10
#define LOST_P 0.002
#define TRANSFER_P 0.03 /* of answered calls */
#define CLASSIFIED_P 0.85
#define SURVEYED_P 0.30 /* of answered calls */
#define RING_NOANSWER_P 0.03
#define WITHHELD_P 0.05
#define CALLERS_PER_CALL 0.4 /* distinct numbers: some call again */
#define QA_PER_AGENT_DAY 2
#define COMPLAINTS_PER_DAY 1.5
#define WORKORDERS_PER_DAY 100
#define DAY_MS (86400000LL)
#define HOUR_MS (3600000LL)
#define SPAN_LOOKBACK_MS (8 * DAY_MS) /* as engine/store.c looks back */
#define STATE_DIR_NAME "state"
#define OUT_DIR_NAME "out"
#define SCRIPT_NAME "baseline.sql"
#define CHECK_OUT_NAME "baseline.out"
#define ERR_NAME "baseline.err"

extern char **environ;

#define BENCH_ERROR (bench_error_quark())
GQuark bench_error_quark(void);
G_DEFINE_QUARK(wb_bench_error, bench_error)
typedef enum {
  BENCH_ERROR_FAILED,
  BENCH_ERROR_CHECK,
} BenchError;

typedef struct {
  gint64 calls;
  gint64 runs;
  gint64 seed;
  char *sqlite3;
  gboolean no_baseline;
  char *dir;
  gboolean keep;
} Options;

/* ---- the traffic ---------------------------------------------------------- */

static const struct {
  const char *key;
  double weight;
} queues[] = {
    {"policy", 40}, {"progress", 25}, {"visa", 18}, {"foreign", 10}, {"complaint", 7},
};

/* Calls by hour of the day, a 7 x 24 hotline. */
static const double hour_weight[24] = {2,  1,  1,  1,  1,  2,  4, 8, 14, 18, 19, 17,
                                       12, 14, 17, 16, 14, 11, 8, 6, 5,  4,  3,  2};
/* Monday first. */
static const double weekday_weight[7] = {1.10, 1.05, 1.0, 1.0, 0.95, 0.6, 0.5};
#define GOLDEN_WEEK_WEIGHT 0.7 /* 1-7 October */

/* Weights this month and the month before: some topics rise. */
static const struct {
  const char *name;
  double now, prev;
} categories[] = {
    {"护照办理", 18, 17},     {"往来港澳通行证", 15, 15}, {"往来台湾通行证", 6, 6},
    {"签注办理", 10, 11},     {"外国人签证", 9, 6},       {"外国人居留许可", 5, 5},
    {"办证进度查询", 12, 12}, {"预约服务", 7, 9},         {"口岸通关", 6, 3},
    {"永久居留", 2, 2},       {"边境管理", 1, 1},         {"政策咨询", 4, 5},
    {"投诉举报", 1.5, 1},     {"网上办事", 3, 2},         {"证件遗失补办", 1.5, 2},
    {"出入境证件", 2, 2},
};

static const char *const workorder_origins[] = {"12345_province", "12345_city", "direct"};

typedef struct {
  GRand *rand;
  WbStore *store;
  GTimeZone *tz;
  gint64 next_id;                 /* the call id's running number */
  gint64 ring_pos;                /* source_pos of the ring events */
  gint64 offline_since[N_AGENTS]; /* the end of each agent's last shift */
  /* what went in */
  gint64 calls, entries, abandoned, transferred, classified, surveyed, rings, spans, qa, complaints,
      workorders;
} Gen;

static double
uniform(Gen *g, double lo, double hi)
{
  return g_rand_double_range(g->rand, lo, hi);
}

static gboolean
chance(Gen *g, double p)
{
  return g_rand_double(g->rand) < p;
}

static double
exponential(Gen *g, double mean)
{
  return -mean * log(1.0 - g_rand_double(g->rand));
}

static guint
pick(Gen *g, const double *weights, guint n)
{
  double sum = 0;
  for (guint i = 0; i < n; i++)
    sum += weights[i];
  double u = g_rand_double(g->rand) * sum;
  for (guint i = 0; i < n; i++) {
    if (u < weights[i])
      return i;
    u -= weights[i];
  }
  return n - 1;
}

static void
agent_key(guint i, char *out, gsize size)
{
  g_snprintf(out, size, "%u", 8001 + i);
}

static int
compare_ms(const void *a, const void *b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
  return x < y ? -1 : x > y;
}

/* n arrival times in [from_ms, from_ms + days), by day and hour weight,
 * sorted. Asia/Shanghai has no daylight saving: an hour is 3,600 s. */
static gint64 *
arrivals(Gen *g, gint64 from_ms, gint days, gint64 n)
{
  g_autofree double *cum = g_new(double, (gsize)days * 24);
  double sum = 0;
  for (gint d = 0; d < days; d++) {
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc((from_ms + d * DAY_MS) / 1000);
    g_autoptr(GDateTime) t = g_date_time_to_timezone(utc, g->tz);
    double w = weekday_weight[g_date_time_get_day_of_week(t) - 1];
    if (g_date_time_get_month(t) == 10 && g_date_time_get_day_of_month(t) <= 7)
      w *= GOLDEN_WEEK_WEIGHT;
    for (int h = 0; h < 24; h++)
      cum[d * 24 + h] = (sum += w * hour_weight[h]);
  }
  gint64 *out = g_new(gint64, n);
  for (gint64 i = 0; i < n; i++) {
    double u = g_rand_double(g->rand) * sum;
    gsize lo = 0, hi = (gsize)days * 24 - 1;
    while (lo < hi) {
      gsize mid = (lo + hi) / 2;
      if (cum[mid] <= u)
        lo = mid + 1;
      else
        hi = mid;
    }
    out[i] = from_ms + (gint64)lo * HOUR_MS + g_rand_int_range(g->rand, 0, (gint32)HOUR_MS);
  }
  qsort(out, n, sizeof(gint64), compare_ms);
  return out;
}

static const char sql_class[] =
    "INSERT INTO call_classes (call_id, category, request_type, channel, classified_ms,"
    " satisfaction, surveyed_ms) VALUES (?1, ?2, ?3, 'phone', ?4, ?5, ?6)";

static gboolean
put_class(Gen *g, const WbCallRecord *c, const double *weights, GError **error)
{
  gboolean classified = chance(g, CLASSIFIED_P);
  gboolean surveyed = wb_call_is_answered(c) && chance(g, SURVEYED_P);
  if (!classified && !surveyed)
    return TRUE;
  sqlite3_stmt *st = wb_store_statement(g->store, sql_class, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_text(st, 1, c->call_id, -1, SQLITE_STATIC);
  if (classified) {
    const char *cat = categories[pick(g, weights, G_N_ELEMENTS(categories))].name;
    sqlite3_bind_text(st, 2, cat, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, chance(g, 0.9) ? "consult" : "help", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, c->end_ms + 30000);
    g->classified++;
  }
  if (surveyed) {
    static const double score_weights[] = {3, 5, 12, 30, 50}; /* 1 to 5 */
    sqlite3_bind_double(st, 5, 1 + pick(g, score_weights, G_N_ELEMENTS(score_weights)));
    sqlite3_bind_int64(st, 6, c->end_ms + 60000);
    g->surveyed++;
  }
  return wb_store_run(g->store, st, "put call class", error);
}

static gboolean
put_ring(Gen *g, const WbCallRecord *c, GError **error)
{
  WbEvent ev;
  char agent[16];
  wb_event_init(&ev, WB_EVENT_CALL_RING_NOANSWER);
  agent_key((guint)g_rand_int_range(g->rand, 0, N_AGENTS), agent, sizeof(agent));
  WB_EVENT_SET(&ev, source, "bench", -1);
  ev.source_pos = ++g->ring_pos;
  ev.ts_ms = c->enqueue_ms + 15000;
  WB_EVENT_SET(&ev, call_id, c->call_id, -1);
  WB_EVENT_SET(&ev, queue, c->queue, -1);
  WB_EVENT_SET(&ev, agent, agent, -1);
  ev.ring_ms = 15000;
  g->rings++;
  return wb_store_append_event(g->store, &ev, error) >= 0;
}

/* One call from its arrival: one queue entry, or two when an agent
 * transfers it to another queue. */
static gboolean
put_call(Gen *g, gint64 at_ms, guint n_callers, const double *cat_weights, GError **error)
{
  double qw[G_N_ELEMENTS(queues)];
  for (gsize i = 0; i < G_N_ELEMENTS(queues); i++)
    qw[i] = queues[i].weight;
  WbCallRecord c = {0};
  g_snprintf(c.call_id, sizeof(c.call_id), "%010" G_GINT64_FORMAT ".%07" G_GINT64_FORMAT,
             at_ms / 1000, ++g->next_id);
  guint q = pick(g, qw, G_N_ELEMENTS(queues));
  g_strlcpy(c.queue, queues[q].key, sizeof(c.queue));
  if (!chance(g, WITHHELD_P)) {
    guint caller = (guint)g_rand_int_range(g->rand, 0, (gint32)n_callers);
    g_snprintf(c.caller_hash, sizeof(c.caller_hash), "%016" G_GINT64_MODIFIER "x",
               (guint64)caller * G_GUINT64_CONSTANT(0x9E3779B97F4A7C15));
    g_snprintf(c.caller_mask, sizeof(c.caller_mask), "1%02u****%04u", 30 + caller % 60,
               caller % 10000);
  }
  c.enqueue_ms = at_ms;
  c.position = g_rand_int_range(g->rand, 1, 6);
  c.prev_call_gap_ms = -1;
  double u = g_rand_double(g->rand);
  gboolean transfer = FALSE;
  if (u < ABANDON_P) {
    c.outcome = WB_OUTCOME_ABANDONED;
    c.abandon_reason = chance(g, 0.95) ? WB_ABANDON_ABANDON : WB_ABANDON_TIMEOUT;
    c.wait_ms = c.abandon_reason == WB_ABANDON_TIMEOUT ? 300000 : (gint64)exponential(g, 45000);
    c.end_ms = at_ms + c.wait_ms;
    g->abandoned++;
  } else if (u < ABANDON_P + LOST_P) {
    c.outcome = WB_OUTCOME_LOST;
    c.wait_ms = (gint64)uniform(g, 1000, 60000);
  } else {
    agent_key((guint)g_rand_int_range(g->rand, 0, N_AGENTS), c.agent, sizeof(c.agent));
    c.wait_ms = MIN((gint64)exponential(g, 18000), 290000);
    c.answer_ms = at_ms + c.wait_ms;
    c.talk_ms = (gint64)uniform(g, 40000, 600000);
    c.acw_ms = (gint64)uniform(g, 15000, 90000);
    c.end_ms = c.answer_ms + c.talk_ms;
    transfer = chance(g, TRANSFER_P);
    c.outcome = transfer ? WB_OUTCOME_TRANSFERRED : WB_OUTCOME_COMPLETED;
    c.ended_by =
        transfer ? WB_ENDED_BY_TRANSFER : (chance(g, 0.7) ? WB_ENDED_BY_CALLER : WB_ENDED_BY_AGENT);
    if (chance(g, RING_NOANSWER_P)) {
      c.ring_noanswers = 1;
      if (!put_ring(g, &c, error))
        return FALSE;
    }
  }
  if (!wb_store_put_call(g->store, &c, error) || !put_class(g, &c, cat_weights, error))
    return FALSE;
  g->calls++;
  g->entries++;
  if (!transfer)
    return TRUE;
  /* The second entry: another queue, another agent, answered. */
  WbCallRecord t = c;
  t.seq = 1;
  g_strlcpy(t.queue, queues[(q + 1) % G_N_ELEMENTS(queues)].key, sizeof(t.queue));
  agent_key((guint)g_rand_int_range(g->rand, 0, N_AGENTS), t.agent, sizeof(t.agent));
  t.enqueue_ms = c.end_ms;
  t.wait_ms = (gint64)exponential(g, 10000);
  t.answer_ms = t.enqueue_ms + t.wait_ms;
  t.talk_ms = (gint64)uniform(g, 40000, 400000);
  t.acw_ms = (gint64)uniform(g, 15000, 90000);
  t.end_ms = t.answer_ms + t.talk_ms;
  t.ring_noanswers = 0;
  t.outcome = WB_OUTCOME_COMPLETED;
  t.ended_by = WB_ENDED_BY_CALLER;
  g->entries++;
  g->transferred++;
  return wb_store_put_call(g->store, &t, error);
}

static gboolean
put_span(Gen *g, const char *agent, WbAgentState state, const char *reason, gint64 start,
         gint64 end, GError **error)
{
  WbAgentSpan span = {agent, state, reason, start, end};
  g->spans++;
  return wb_store_put_span(g->store, &span, error);
}

/* A shift of 8 hours a day per agent, on three rotating starts: available,
 * on a call and after-call work in turn, a 15-minute break every two hours,
 * offline in between. */
static gboolean
put_agent_day(Gen *g, guint a, gint day, gint64 day_ms, gint64 *offline_since, GError **error)
{
  char agent[16];
  agent_key(a, agent, sizeof(agent));
  gint64 start = day_ms + ((a + (guint)day) % 3) * 8 * HOUR_MS;
  gint64 end = start + 8 * HOUR_MS, t = start, next_break = start + 2 * HOUR_MS;
  if (!put_span(g, agent, WB_AGENT_OFFLINE, "", *offline_since, start, error))
    return FALSE;
  while (t < end) {
    gint64 step[3] = {(gint64)uniform(g, 30000, 300000), (gint64)uniform(g, 60000, 480000),
                      (gint64)uniform(g, 15000, 90000)};
    static const WbAgentState states[3] = {WB_AGENT_AVAILABLE, WB_AGENT_ON_CALL, WB_AGENT_ACW};
    for (int s = 0; s < 3 && t < end; s++) {
      gint64 to = MIN(t + step[s], end);
      if (!put_span(g, agent, states[s], "", t, to, error))
        return FALSE;
      t = to;
    }
    if (t >= next_break && t + 15 * 60000 < end) {
      if (!put_span(g, agent, WB_AGENT_PAUSED, "休息", t, t + 15 * 60000, error))
        return FALSE;
      t += 15 * 60000;
      next_break += 2 * HOUR_MS;
    }
  }
  *offline_since = end;
  return TRUE;
}

static const char sql_qa[] = "INSERT OR REPLACE INTO qa (agent, ts_ms, call_id, inspector, score)"
                             " VALUES (?1, ?2, ?3, 'inspector', ?4)";
static const char sql_complaint[] = "INSERT INTO complaints (id, agent, category, opened_ms, "
                                    "closed_ms) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_workorder[] =
    "INSERT INTO workorders (id, origin, category, status, opened_ms, due_ms, closed_ms,"
    " updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

static gboolean
put_qa(Gen *g, const char *agent, gint64 at_ms, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(g->store, sql_qa, error);
  if (st == NULL)
    return FALSE;
  char call_id[32];
  g_snprintf(call_id, sizeof(call_id), "qa-%" G_GINT64_FORMAT, ++g->qa);
  sqlite3_bind_text(st, 1, agent, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, at_ms);
  sqlite3_bind_text(st, 3, call_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_double(st, 4, round(uniform(g, 60, 100)));
  return wb_store_run(g->store, st, "put qa", error);
}

static gboolean
put_complaint(Gen *g, gint64 at_ms, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(g->store, sql_complaint, error);
  if (st == NULL)
    return FALSE;
  char id[32], agent[16];
  g_snprintf(id, sizeof(id), "cp-%" G_GINT64_FORMAT, ++g->complaints);
  agent_key((guint)g_rand_int_range(g->rand, 0, N_AGENTS), agent, sizeof(agent));
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, agent, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, "服务态度", -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, at_ms);
  sqlite3_bind_int64(st, 5, at_ms + 2 * DAY_MS);
  return wb_store_run(g->store, st, "put complaint", error);
}

/* Due in 5 days; 85 % closed, one in ten of those late. */
static gboolean
put_workorder(Gen *g, gint64 at_ms, const double *cat_weights, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(g->store, sql_workorder, error);
  if (st == NULL)
    return FALSE;
  static const double origin_weights[] = {55, 35, 10};
  char id[32];
  g_snprintf(id, sizeof(id), "wo-%" G_GINT64_FORMAT, ++g->workorders);
  gint64 due = at_ms + 5 * DAY_MS;
  gboolean closed = chance(g, 0.85);
  gint64 closed_ms = closed ? at_ms + (gint64)(chance(g, 0.1) ? uniform(g, 5.1, 9) * DAY_MS
                                                              : uniform(g, 0.2, 4.9) * DAY_MS)
                            : 0;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, workorder_origins[pick(g, origin_weights, 3)], -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, categories[pick(g, cat_weights, G_N_ELEMENTS(categories))].name, -1,
                    SQLITE_STATIC);
  sqlite3_bind_text(st, 4, closed ? "closed" : "open", -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, at_ms);
  sqlite3_bind_int64(st, 6, due);
  if (closed)
    sqlite3_bind_int64(st, 7, closed_ms);
  else
    sqlite3_bind_null(st, 7);
  sqlite3_bind_int64(st, 8, closed ? closed_ms : at_ms);
  return wb_store_run(g->store, st, "put workorder", error);
}

static gboolean
put_records(Gen *g, gint64 from_ms, gint days, const double *cat_weights, GError **error)
{
  for (gint d = 0; d < days; d++) {
    gint64 day_ms = from_ms + d * DAY_MS;
    for (guint a = 0; a < N_AGENTS; a++) {
      char agent[16];
      agent_key(a, agent, sizeof(agent));
      if (g->offline_since[a] == 0)
        g->offline_since[a] = day_ms;
      if (!put_agent_day(g, a, d, day_ms, &g->offline_since[a], error))
        return FALSE;
      for (int k = 0; k < QA_PER_AGENT_DAY; k++)
        if (!put_qa(g, agent, day_ms + (gint64)uniform(g, 9, 17) * HOUR_MS, error))
          return FALSE;
    }
    gint n = (gint)(COMPLAINTS_PER_DAY + uniform(g, -1, 1) + 0.5);
    for (gint k = 0; k < n; k++)
      if (!put_complaint(g, day_ms + (gint64)uniform(g, 0, DAY_MS), error))
        return FALSE;
    for (gint k = 0; k < WORKORDERS_PER_DAY; k++)
      if (!put_workorder(g, day_ms + (gint64)uniform(g, 0, DAY_MS), cat_weights, error))
        return FALSE;
  }
  return TRUE;
}

/* A month from local midnight from_ms: n calls and the month's records. */
static gboolean
put_month(Gen *g, gint64 from_ms, gint days, gint64 n, gboolean previous, GError **error)
{
  double cat_weights[G_N_ELEMENTS(categories)];
  for (gsize i = 0; i < G_N_ELEMENTS(categories); i++)
    cat_weights[i] = previous ? categories[i].prev : categories[i].now;
  g_autofree gint64 *times = arrivals(g, from_ms, days, n);
  guint n_callers = (guint)MAX(1, n * CALLERS_PER_CALL);
  for (gint64 i = 0; i < n; i++)
    if (!put_call(g, times[i], n_callers, cat_weights, error))
      return FALSE;
  return put_records(g, from_ms, days, cat_weights, error);
}

static gboolean
generate(const char *db_path, GTimeZone *tz, const WbReportPeriod *period, const Options *opt,
         Gen *g, GError **error)
{
  g_autoptr(WbStore) store = wb_store_open(db_path, error);
  if (store == NULL)
    return FALSE;
  g->store = store;
  g->tz = tz;
  g->rand = g_rand_new_with_seed((guint32)opt->seed);
  gint prev_days = (gint)((period->prev_to_ms - period->prev_from_ms + DAY_MS / 2) / DAY_MS);
  /* One transaction: the store's writes, no commit until the end. */
  gboolean ok = put_month(g, period->prev_from_ms, prev_days, MAX(1, opt->calls / PREVIOUS_DIVISOR),
                          TRUE, error) &&
                put_month(g, period->from_ms, period->days, opt->calls, FALSE, error) &&
                wb_store_commit(store, error);
  g_rand_free(g->rand);
  g->rand = NULL;
  g->store = NULL;
  if (!ok)
    wb_store_rollback(store);
  return ok;
}

/* ---- the baseline's script ------------------------------------------------ */

#define ANSWERED "outcome IN ('connected', 'completed', 'transferred')"

/* The total KPIs of [from, to): the entries of every call with one in the
 * window, merged per call as the total scope merges them (answered if any
 * entry was, the last entry's outcome), counted at the first entry. */
static void
sql_total(GString *s, gint64 from, gint64 to, const WbKpiSettings *k)
{
  gint64 sl = (gint64)k->sl_threshold_s * 1000, sh = (gint64)k->short_abandon_s * 1000;
  g_string_append_printf(
      s,
      "WITH m AS (SELECT max(seq), outcome, total(" ANSWERED ") > 0 AS ans,"
      " total(seq = 0 AND enqueue_ms >= %1$" G_GINT64_FORMAT " AND enqueue_ms < %2$" G_GINT64_FORMAT
      ") > 0 AS here, sum(wait_ms) AS wait_ms, sum(talk_ms + acw_ms) AS handle_ms,"
      " sum(ring_noanswers) AS rna, caller_hash, prev_call_gap_ms AS gap FROM calls"
      " WHERE call_id IN (SELECT call_id FROM calls WHERE enqueue_ms >= %1$" G_GINT64_FORMAT
      " AND enqueue_ms < %2$" G_GINT64_FORMAT ") GROUP BY call_id)\n"
      "SELECT count(*), total(ans), total(NOT ans AND outcome = 'abandoned'),"
      " total(NOT ans AND outcome = 'abandoned' AND wait_ms <= %3$" G_GINT64_FORMAT "),"
      " total(NOT ans AND outcome = 'lost'), total(ans AND outcome <> 'connected'),"
      " total(CASE WHEN ans THEN wait_ms END),"
      " total(CASE WHEN NOT ans AND outcome = 'abandoned' THEN wait_ms END),"
      " total(CASE WHEN ans AND outcome <> 'connected' THEN handle_ms END),"
      " total(ans AND wait_ms <= %4$" G_GINT64_FORMAT "),"
      " total(NOT ans AND outcome = 'abandoned' AND wait_ms <= %4$" G_GINT64_FORMAT "),"
      " total(outcome = 'transferred'), total(caller_hash IS NOT NULL),"
      " total(caller_hash IS NOT NULL AND gap BETWEEN 0 AND %5$" G_GINT64_FORMAT "),"
      " total(caller_hash IS NOT NULL AND gap BETWEEN 0 AND %6$" G_GINT64_FORMAT "), total(rna)"
      " FROM m WHERE here;\n",
      from, to, sh, sl, (gint64)WB_REPEAT_SHORT_MS, (gint64)WB_REPEAT_LONG_MS);
}

/* The KPI sums of the entries of a group (a queue's, an agent's). */
static void
sql_entry_sums(GString *s, const WbKpiSettings *k)
{
  gint64 sl = (gint64)k->sl_threshold_s * 1000, sh = (gint64)k->short_abandon_s * 1000;
  g_string_append_printf(
      s,
      "count(*), total(" ANSWERED "), total(outcome = 'abandoned'),"
      " total(outcome = 'abandoned' AND wait_ms <= %1$" G_GINT64_FORMAT "),"
      " total(outcome = 'lost'), total(outcome IN ('completed', 'transferred')),"
      " total(CASE WHEN " ANSWERED " THEN wait_ms END),"
      " total(CASE WHEN outcome = 'abandoned' THEN wait_ms END),"
      " total(CASE WHEN outcome IN ('completed', 'transferred') THEN talk_ms + acw_ms END),"
      " total(" ANSWERED " AND wait_ms <= %2$" G_GINT64_FORMAT "),"
      " total(outcome = 'abandoned' AND wait_ms <= %2$" G_GINT64_FORMAT "),"
      " total(outcome = 'transferred'), total(caller_hash IS NOT NULL),"
      " total(caller_hash IS NOT NULL AND prev_call_gap_ms BETWEEN 0 AND %3$" G_GINT64_FORMAT "),"
      " total(caller_hash IS NOT NULL AND prev_call_gap_ms BETWEEN 0 AND %4$" G_GINT64_FORMAT "),"
      " total(ring_noanswers)",
      sh, sl, (gint64)WB_REPEAT_SHORT_MS, (gint64)WB_REPEAT_LONG_MS);
}

/* A period's categories by local day, kept for the topics. */
static void
sql_categories(GString *s, const char *table, gint64 from, gint64 to)
{
  g_string_append_printf(
      s,
      "CREATE TEMP TABLE %1$s AS SELECT cc.category AS category,"
      " date(c.enqueue_ms / 1000, 'unixepoch', 'localtime') AS day, count(*) AS n"
      " FROM calls c JOIN call_classes cc ON cc.call_id = c.call_id"
      " WHERE c.seq = 0 AND c.enqueue_ms >= %2$" G_GINT64_FORMAT
      " AND c.enqueue_ms < %3$" G_GINT64_FORMAT
      " AND cc.category IS NOT NULL AND cc.category <> '' GROUP BY 1, 2;\n"
      "SELECT * FROM %1$s ORDER BY category, day;\n",
      table, from, to);
}

/* Replaces ?1 and ?2 of the report's own statements by the period. */
static void
sql_bound(GString *s, const char *sql, gint64 from, gint64 to)
{
  g_autofree char *f = g_strdup_printf("%" G_GINT64_FORMAT, from);
  g_autofree char *t = g_strdup_printf("%" G_GINT64_FORMAT, to);
  for (const char *p = sql; *p != '\0'; p++) {
    if (p[0] == '?' && (p[1] == '1' || p[1] == '2')) {
      g_string_append(s, p[1] == '1' ? f : t);
      p++;
    } else {
      g_string_append_c(s, *p);
    }
  }
  g_string_append(s, ";\n");
}

/* The work orders and quality statements of engine/report/report.c. */
static const char workorder_sql[] =
    "SELECT origin,"
    " SUM(opened_ms >= ?1 AND opened_ms < ?2),"
    " SUM(closed_ms >= ?1 AND closed_ms < ?2),"
    " SUM(closed_ms >= ?1 AND closed_ms < ?2 AND due_ms IS NOT NULL AND closed_ms <= due_ms),"
    " SUM((closed_ms IS NULL OR closed_ms >= ?2) AND opened_ms < ?2"
    "     AND due_ms IS NOT NULL AND due_ms < ?2)"
    " FROM workorders WHERE origin LIKE '12345%' GROUP BY origin ORDER BY origin";
static const char quality_sql[] =
    "WITH q AS (SELECT agent, COUNT(*) AS n, AVG(score) AS mean FROM qa"
    "           WHERE ts_ms >= ?1 AND ts_ms < ?2 GROUP BY agent),"
    " cp AS (SELECT agent, COUNT(*) AS n FROM complaints"
    "        WHERE opened_ms >= ?1 AND opened_ms < ?2 AND agent IS NOT NULL GROUP BY agent),"
    " s AS (SELECT c.agent, COUNT(*) AS n, AVG(cc.satisfaction) AS mean"
    "       FROM calls c JOIN call_classes cc ON cc.call_id = c.call_id"
    "       WHERE c.enqueue_ms >= ?1 AND c.enqueue_ms < ?2 AND c.answer_ms IS NOT NULL"
    "       AND c.agent IS NOT NULL AND cc.satisfaction IS NOT NULL GROUP BY c.agent),"
    " a AS (SELECT agent FROM q UNION SELECT agent FROM cp UNION SELECT agent FROM s)"
    " SELECT a.agent AS agent, q.n, q.mean, cp.n, s.n, s.mean, 0 AS centre FROM a"
    " LEFT JOIN q ON q.agent = a.agent LEFT JOIN cp ON cp.agent = a.agent"
    " LEFT JOIN s ON s.agent = a.agent"
    " UNION ALL SELECT '', (SELECT COUNT(*) FROM qa WHERE ts_ms >= ?1 AND ts_ms < ?2),"
    " (SELECT AVG(score) FROM qa WHERE ts_ms >= ?1 AND ts_ms < ?2),"
    " (SELECT COUNT(*) FROM complaints WHERE opened_ms >= ?1 AND opened_ms < ?2),"
    " (SELECT COUNT(*) FROM calls c JOIN call_classes cc ON cc.call_id = c.call_id"
    "  WHERE c.seq = 0 AND c.enqueue_ms >= ?1 AND c.enqueue_ms < ?2"
    "  AND cc.satisfaction IS NOT NULL),"
    " (SELECT AVG(cc.satisfaction) FROM calls c JOIN call_classes cc ON cc.call_id = c.call_id"
    "  WHERE c.seq = 0 AND c.enqueue_ms >= ?1 AND c.enqueue_ms < ?2"
    "  AND cc.satisfaction IS NOT NULL), 1"
    " ORDER BY centre, agent";

/* The aggregations of wb_report_build as one script. The first statement's
 * first three columns are the month's offered, answered and abandoned
 * calls (checked against the report). */
static char *
baseline_script(const WbReportPeriod *p, const WbKpiSettings *k)
{
  GString *s = g_string_new("");
  gint64 f = p->from_ms, t = p->to_ms;
  /* summary: the month, the month before, a year before */
  sql_total(s, f, t, k);
  sql_total(s, p->prev_from_ms, p->prev_to_ms, k);
  sql_total(s, p->year_from_ms, p->year_to_ms, k);
  /* queues */
  g_string_append(s, "SELECT queue, ");
  sql_entry_sums(s, k);
  g_string_append_printf(s,
                         " FROM calls WHERE enqueue_ms >= %" G_GINT64_FORMAT
                         " AND enqueue_ms < %" G_GINT64_FORMAT " GROUP BY queue ORDER BY queue;\n",
                         f, t);
  /* agents: answered entries, state times clipped to the month, rings */
  g_string_append(s, "SELECT agent, ");
  sql_entry_sums(s, k);
  g_string_append_printf(s,
                         " FROM calls WHERE enqueue_ms >= %" G_GINT64_FORMAT
                         " AND enqueue_ms < %" G_GINT64_FORMAT
                         " AND agent IS NOT NULL AND " ANSWERED " GROUP BY agent ORDER BY agent;\n",
                         f, t);
  g_string_append_printf(
      s,
      "SELECT agent, state, coalesce(reason, ''), sum(min(end_ms, %2$" G_GINT64_FORMAT
      ") - max(start_ms, %1$" G_GINT64_FORMAT ")) FROM agent_states"
      " WHERE start_ms >= %3$" G_GINT64_FORMAT " AND start_ms < %2$" G_GINT64_FORMAT
      " AND end_ms > %1$" G_GINT64_FORMAT " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;\n",
      f, t, (gint64)(f - SPAN_LOOKBACK_MS));
  g_string_append_printf(s,
                         "SELECT agent, count(*) FROM events WHERE type = 'call.ring_noanswer'"
                         " AND ts_ms >= %" G_GINT64_FORMAT " AND ts_ms < %" G_GINT64_FORMAT
                         " GROUP BY agent;\n",
                         f, t);
  /* hour x weekday of the calls' first entries, local time */
  g_string_append_printf(
      s,
      "SELECT strftime('%%w', enqueue_ms / 1000, 'unixepoch', 'localtime') AS wd,"
      " strftime('%%H', enqueue_ms / 1000, 'unixepoch', 'localtime') AS h, count(*) FROM calls"
      " WHERE seq = 0 AND enqueue_ms >= %" G_GINT64_FORMAT " AND enqueue_ms < %" G_GINT64_FORMAT
      " GROUP BY wd, h ORDER BY wd, h;\n",
      f, t);
  /* category x day, the month and the month before; topics from them */
  sql_categories(s, "cat_now", f, t);
  sql_categories(s, "cat_prev", p->prev_from_ms, p->prev_to_ms);
  g_string_append(s, "WITH n AS (SELECT category, sum(n) AS n FROM cat_now GROUP BY category),"
                     " pv AS (SELECT category, sum(n) AS n FROM cat_prev GROUP BY category)"
                     " SELECT n.category, n.n, coalesce(pv.n, 0), n.n - coalesce(pv.n, 0) AS rise,"
                     " n.n * 1.0 / (SELECT sum(n) FROM n) FROM n LEFT JOIN pv USING (category)"
                     " ORDER BY n.n DESC, n.category;\n"
                     "WITH n AS (SELECT category, sum(n) AS n FROM cat_now GROUP BY category),"
                     " pv AS (SELECT category, sum(n) AS n FROM cat_prev GROUP BY category)"
                     " SELECT n.category, n.n, coalesce(pv.n, 0), n.n - coalesce(pv.n, 0) AS rise"
                     " FROM n LEFT JOIN pv USING (category) WHERE rise > 0"
                     " ORDER BY rise DESC, n.n DESC, n.category LIMIT 10;\n");
  /* work orders, quality: the report's own statements */
  sql_bound(s, workorder_sql, f, t);
  sql_bound(s, quality_sql, f, t);
  return g_string_free(s, FALSE);
}

/* ---- measuring --------------------------------------------------------------- */

static double
rusage_seconds(const struct rusage *ru)
{
  return ru->ru_utime.tv_sec + ru->ru_stime.tv_sec +
         (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
}

static double
cpu_seconds(void)
{
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? rusage_seconds(&ru) : 0.0;
}

static gint64
peak_rss_kb(void)
{
  g_autofree char *status = NULL;
  if (g_file_get_contents("/proc/self/status", &status, NULL, NULL)) {
    const char *hwm = strstr(status, "\nVmHWM:");
    if (hwm != NULL)
      return g_ascii_strtoll(hwm + strlen("\nVmHWM:"), NULL, 10);
  }
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* Resets VmHWM to the current RSS (Linux >= 4.0), the freed heap handed
 * back first, so that a run's peak is its own. */
static void
reset_peak_rss(void)
{
  malloc_trim(0);
  int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  if (write(fd, "5", 1) != 1)
    g_debug("clear_refs: %s", g_strerror(errno));
  close(fd);
}

typedef struct {
  double wall_s, cpu_s;
  double build_s, write_s; /* (A) only */
  gint64 peak_kb;
} Timing;

static int
compare_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double
median(const Timing *t, guint n)
{
  g_autofree double *v = g_new(double, n);
  for (guint i = 0; i < n; i++)
    v[i] = t[i].wall_s;
  qsort(v, n, sizeof(double), compare_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double
least_cpu(const Timing *t, guint n)
{
  double v = t[0].cpu_s;
  for (guint i = 1; i < n; i++)
    v = MIN(v, t[i].cpu_s);
  return v;
}

static guint
best(const Timing *t, guint n)
{
  guint b = 0;
  for (guint i = 1; i < n; i++)
    if (t[i].wall_s < t[b].wall_s)
      b = i;
  return b;
}

/* ---- (A) the report ------------------------------------------------------------ */

typedef enum {
  WRITE_ALL, /* wb_report_write_all */
  WRITE_CSV, /* wb_report_write_csv: another writer failed */
} WriteMode;

typedef struct {
  const char *db_path;
  const char *out_dir;
  const WbConfig *cfg;
  GTimeZone *tz;
  const WbReportPeriod *period;
  WriteMode mode;
  char *write_all_error; /* why write_all was not timed */
  guint tables;
  gint64 offered, answered, abandoned; /* the summary, for the check */
} ReportRun;

static gint64
summary_value(const WbReport *r, const char *metric)
{
  const WbReportTable *t = wb_report_table(r, "summary");
  gint row = t != NULL ? wb_report_table_find_row(t, metric) : -1;
  gint col = t != NULL ? wb_report_table_column(t, "value") : -1;
  if (row < 0 || col < 0)
    return -1;
  const WbReportCell *c = wb_report_table_cell(t, (guint)row, (guint)col);
  return c->type == WB_REPORT_CELL_INT ? c->i : -1;
}

static gboolean
write_outputs(ReportRun *rr, const WbReport *report, gboolean first, GError **error)
{
  if (first) {
    /* The first run picks what the runs write: everything while every
     * writer works, else the CSV files alone. */
    g_autoptr(GError) local = NULL;
    if (wb_report_write_all(report, rr->out_dir, &local)) {
      rr->mode = WRITE_ALL;
      return TRUE;
    }
    rr->mode = WRITE_CSV;
    rr->write_all_error = g_strdup(local->message);
  }
  if (rr->mode == WRITE_ALL)
    return wb_report_write_all(report, rr->out_dir, error);
  return wb_report_write_csv(report, rr->out_dir, error);
}

static gboolean
run_report(ReportRun *rr, gboolean first, Timing *out, GError **error)
{
  reset_peak_rss();
  double cpu0 = cpu_seconds();
  gint64 t0 = g_get_monotonic_time();
  g_autoptr(WbStore) store = wb_store_open(rr->db_path, error);
  if (store == NULL)
    return FALSE;
  g_autoptr(WbReport) report = wb_report_build(store, rr->cfg, rr->tz, rr->period, error);
  if (report == NULL)
    return FALSE;
  gint64 t1 = g_get_monotonic_time();
  if (!write_outputs(rr, report, first, error))
    return FALSE;
  gint64 t2 = g_get_monotonic_time();
  rr->tables = report->tables->len;
  rr->offered = summary_value(report, "offered");
  rr->answered = summary_value(report, "answered");
  rr->abandoned = summary_value(report, "abandoned");
  g_clear_pointer(&report, wb_report_free);
  g_clear_pointer(&store, wb_store_free);
  out->wall_s = (g_get_monotonic_time() - t0) / 1e6;
  out->cpu_s = cpu_seconds() - cpu0;
  out->build_s = (t1 - t0) / 1e6;
  out->write_s = (t2 - t1) / 1e6;
  out->peak_kb = peak_rss_kb();
  return TRUE;
}

/* ---- (B) sqlite3 ---------------------------------------------------------------- */

typedef struct {
  const char *sqlite3;
  const char *db_path;
  const char *script_path;
  const char *err_path;
  char **envp; /* environ with TZ set to the centre's zone */
} BaselineRun;

static gboolean
spawn_failed(int rc, const char *what, GError **error)
{
  g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "%s: %s", what, g_strerror(rc));
  return FALSE;
}

static gboolean
baseline_exited(const BaselineRun *b, int status, GError **error)
{
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return TRUE;
  g_autofree char *err = NULL;
  g_file_get_contents(b->err_path, &err, NULL, NULL);
  g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "%s failed (status %d): %s", b->sqlite3,
              status, err != NULL ? g_strstrip(err) : "");
  return FALSE;
}

/* `sqlite3 -batch -bail DB < script > out`, timed to its exit; CPU and
 * peak memory are the child's own (wait4). */
static gboolean
run_baseline(const BaselineRun *b, const char *out_path, Timing *out, GError **error)
{
  char *argv[] = {(char *)b->sqlite3, "-batch", "-bail", (char *)b->db_path, NULL};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, b->script_path, O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path, O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, b->err_path, O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  pid_t pid;
  struct rusage ru;
  int status = 0;
  gint64 t0 = g_get_monotonic_time();
  int rc = posix_spawn(&pid, b->sqlite3, &fa, NULL, argv, b->envp);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    return spawn_failed(rc, b->sqlite3, error);
  while (wait4(pid, &status, 0, &ru) < 0)
    if (errno != EINTR)
      return spawn_failed(errno, "wait4", error);
  out->wall_s = (g_get_monotonic_time() - t0) / 1e6;
  out->cpu_s = rusage_seconds(&ru);
  out->peak_kb = ru.ru_maxrss;
  return baseline_exited(b, status, error);
}

/* The script's first line: offered|answered|abandoned|… of the month. */
static gboolean
check_same(const char *check_out, const ReportRun *rr, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents(check_out, &text, NULL, error))
    return FALSE;
  g_auto(GStrv) fields = g_strsplit(text, "|", 4);
  gint64 v[3] = {-1, -1, -1};
  for (int i = 0; i < 3 && fields[0] != NULL && fields[i] != NULL; i++)
    v[i] = (gint64)g_ascii_strtod(fields[i], NULL);
  if (v[0] == rr->offered && v[1] == rr->answered && v[2] == rr->abandoned)
    return TRUE;
  g_set_error(error, BENCH_ERROR, BENCH_ERROR_CHECK,
              "the report and sqlite3 disagree: offered %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
              ", answered %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT ", abandoned %" G_GINT64_FORMAT
              "/%" G_GINT64_FORMAT,
              rr->offered, v[0], rr->answered, v[1], rr->abandoned, v[2]);
  return FALSE;
}

/* ---- printing ------------------------------------------------------------------ */

/* The first line `sqlite3 --version` prints, or NULL. */
static char *
sqlite3_program_version(const char *sqlite3)
{
  const char *argv[] = {sqlite3, "--version", NULL};
  g_autofree char *out = NULL;
  if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                    NULL, NULL) ||
      out == NULL)
    return NULL;
  return g_strndup(out, strcspn(out, " \n"));
}

static gint64
file_size(const char *path)
{
  GStatBuf st;
  return g_stat(path, &st) == 0 ? (gint64)st.st_size : -1;
}

static void
print_header(const Options *opt, const char *dir, const WbReportPeriod *p, const Gen *g,
             const char *db_path, double gen_s)
{
  g_autofree char *cpu = bench_machine_cpu_model();
  g_autofree char *prog = opt->sqlite3 != NULL ? sqlite3_program_version(opt->sqlite3) : NULL;
  g_print("report: a monthly report against the sqlite3 command line on the same database\n");
  g_print("machine: %s, %ld online cores, %.1f GB RAM, load average %.2f; SQLite %s, sqlite3 "
          "program %s; build %s\n",
          cpu, sysconf(_SC_NPROCESSORS_ONLN), bench_machine_mem_total_kib() * 1024 / 1e9,
          bench_machine_load_average(), sqlite3_libversion(), prog != NULL ? prog : "-",
          WB_BENCH_BUILDTYPE);
  g_print("data: %" G_GINT64_FORMAT " calls in %s (%d days, %s) and %" G_GINT64_FORMAT
          " in the month before; %" G_GINT64_FORMAT " calls, %" G_GINT64_FORMAT
          " queue entries in all\n",
          opt->calls, p->text, p->days, TIMEZONE, MAX(1, opt->calls / PREVIOUS_DIVISOR), g->calls,
          g->entries);
  g_print("      %.1f %% abandoned, %.1f %% transferred, %.1f %% with a category, %" G_GINT64_FORMAT
          " surveys, %" G_GINT64_FORMAT " rings not answered, %" G_GUINT64_FORMAT
          " queues, %d agents,\n",
          100.0 * g->abandoned / MAX(g->calls, 1), 100.0 * g->transferred / MAX(g->calls, 1),
          100.0 * g->classified / MAX(g->calls, 1), g->surveyed, g->rings,
          (guint64)G_N_ELEMENTS(queues), N_AGENTS);
  g_print("      %" G_GINT64_FORMAT " agent state periods, %" G_GINT64_FORMAT
          " QA checks, %" G_GINT64_FORMAT " complaints, %" G_GINT64_FORMAT " work orders\n",
          g->spans, g->qa, g->complaints, g->workorders);
  g_print("database: %.1f MB (%s); made in %.2f s (not counted); work dir %s%s\n",
          file_size(db_path) / 1e6, db_path, gen_s, dir,
          opt->keep ? " (kept)" : " (removed afterwards)");
}

static void
print_runs(const char *name, const Timing *t, guint n, gboolean report)
{
  for (guint i = 0; i < n; i++) {
    g_print("%-26s %3u %8.3f %8.3f %9.1f", name, i + 1, t[i].wall_s, t[i].cpu_s,
            t[i].peak_kb / 1024.0);
    if (report)
      g_print("   build %.3f + write %.3f", t[i].build_s, t[i].write_s);
    g_print("\n");
  }
}

static void
print_results(const Options *opt, const ReportRun *rr, const Timing *a, const Timing *b, guint n)
{
  if (rr->mode == WRITE_ALL)
    g_print("outputs: report.html, report.xlsx and %u CSV files (wb_report_write_all)\n\n",
            rr->tables);
  else
    g_print("outputs: %u CSV files only (wb_report_write_csv); wb_report_write_all failed: %s\n\n",
            rr->tables, rr->write_all_error);
  g_print("%-26s %3s %8s %8s %9s\n", "phase", "run", "wall s", "cpu s", "peak MiB");
  print_runs("(A) report", a, n, TRUE);
  if (b != NULL)
    print_runs("(B) sqlite3 script", b, n, FALSE);
  guint ba = best(a, n);
  g_print(
      "\n(A) report: best %.3f s (build %.3f s, write %.3f s), median %.3f s, least CPU %.3f s\n",
      a[ba].wall_s, a[ba].build_s, a[ba].write_s, median(a, n), least_cpu(a, n));
  if (b == NULL) {
    g_print("(B) sqlite3: not run (%s)\n",
            opt->no_baseline ? "--no-baseline" : "no sqlite3 program found");
    return;
  }
  guint bb = best(b, n);
  double ratio = a[ba].wall_s / b[bb].wall_s;
  g_print("(B) sqlite3: best %.3f s, median %.3f s, least CPU %.3f s\n", b[bb].wall_s, median(b, n),
          least_cpu(b, n));
  g_print("ratio (A)/(B), best of %u: %.2f (median %.2f, by least CPU time %.2f); target %.1f\n", n,
          ratio, median(a, n) / median(b, n), least_cpu(a, n) / least_cpu(b, n), TARGET_RATIO);
  g_print("%s (A)/(B) <= %.1f: %.2f\n", ratio <= TARGET_RATIO ? "PASS" : "OVER", TARGET_RATIO,
          ratio);
}

/* ---- main ---------------------------------------------------------------------- */

typedef struct {
  char *state_dir, *db_path, *out_dir, *script_path, *check_out, *err_path;
} Paths;

static void
paths_init(Paths *p, const char *dir)
{
  p->state_dir = g_build_filename(dir, STATE_DIR_NAME, NULL);
  p->db_path = g_build_filename(p->state_dir, "wallboard.db", NULL);
  p->out_dir = g_build_filename(dir, OUT_DIR_NAME, NULL);
  p->script_path = g_build_filename(dir, SCRIPT_NAME, NULL);
  p->check_out = g_build_filename(dir, CHECK_OUT_NAME, NULL);
  p->err_path = g_build_filename(dir, ERR_NAME, NULL);
}

static void
paths_clear(Paths *p)
{
  g_free(p->state_dir);
  g_free(p->db_path);
  g_free(p->out_dir);
  g_free(p->script_path);
  g_free(p->check_out);
  g_free(p->err_path);
}

/* An untimed run of each, checked against each other, then --runs timed
 * runs of each in turn. */
static gboolean
run_all(const Options *opt, ReportRun *rr, BaselineRun *br, Timing *a, Timing *b,
        const char *check_out, GError **error)
{
  Timing warm;
  if (!run_report(rr, TRUE, &warm, error))
    return FALSE;
  if (br != NULL &&
      (!run_baseline(br, check_out, &warm, error) || !check_same(check_out, rr, error)))
    return FALSE;
  for (guint i = 0; i < (guint)opt->runs; i++) {
    if (!run_report(rr, FALSE, &a[i], error))
      return FALSE;
    if (br != NULL && !run_baseline(br, "/dev/null", &b[i], error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
run_bench(const Options *opt, const char *dir, GError **error)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier(TIMEZONE);
  g_autoptr(WbConfig) cfg = wb_config_new_defaults();
  WbReportPeriod period;
  if (tz == NULL) {
    g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "time zone %s not found", TIMEZONE);
    return FALSE;
  }
  if (!wb_report_period_parse(WB_REPORT_MONTHLY, MONTH, tz, 0, &period, error))
    return FALSE;
  Paths p;
  paths_init(&p, dir);
  gboolean ok = g_mkdir_with_parents(p.state_dir, 0700) == 0;
  if (!ok)
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s",
                p.state_dir, g_strerror(errno));
  Gen g = {0};
  gint64 t0 = g_get_monotonic_time();
  ok = ok && generate(p.db_path, tz, &period, opt, &g, error);
  g_autofree char *script = baseline_script(&period, &cfg->kpi);
  ok = ok && g_file_set_contents(p.script_path, script, -1, error);
  if (ok)
    print_header(opt, dir, &period, &g, p.db_path, (g_get_monotonic_time() - t0) / 1e6);

  ReportRun rr = {p.db_path, p.out_dir, cfg, tz, &period};
  g_auto(GStrv) envp = g_environ_setenv(g_get_environ(), "TZ", TIMEZONE, TRUE);
  BaselineRun br = {opt->sqlite3, p.db_path, p.script_path, p.err_path, envp};
  gboolean with_baseline = opt->sqlite3 != NULL && !opt->no_baseline;
  g_autofree Timing *a = g_new0(Timing, opt->runs);
  g_autofree Timing *b = g_new0(Timing, opt->runs);
  ok = ok && run_all(opt, &rr, with_baseline ? &br : NULL, a, b, p.check_out, error);
  if (ok) {
    if (with_baseline)
      g_print("check: the report and sqlite3 agree: %" G_GINT64_FORMAT " offered, %" G_GINT64_FORMAT
              " answered, %" G_GINT64_FORMAT " abandoned in %s\n",
              rr.offered, rr.answered, rr.abandoned, period.text);
    print_results(opt, &rr, a, with_baseline ? b : NULL, (guint)opt->runs);
  }
  g_free(rr.write_all_error);
  paths_clear(&p);
  return ok;
}

static gboolean
parse_options(int argc, char **argv, Options *opt, GError **error)
{
  GOptionEntry entries[] = {
      {"calls", 0, 0, G_OPTION_ARG_INT64, &opt->calls,
       "Calls in the reported month (default 1000000)", "N"},
      {"runs", 0, 0, G_OPTION_ARG_INT64, &opt->runs,
       "Timed runs of each, the best counts (default 3)", "N"},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &opt->seed, "Seed of the generated month", "S"},
      {"sqlite3", 0, 0, G_OPTION_ARG_FILENAME, &opt->sqlite3,
       "The sqlite3 program (default: sqlite3 in PATH)", "PATH"},
      {"no-baseline", 0, 0, G_OPTION_ARG_NONE, &opt->no_baseline, "Run the report alone", NULL},
      {"dir", 0, 0, G_OPTION_ARG_FILENAME, &opt->dir,
       "Work directory, new or empty (default: a fresh temporary directory)", "DIR"},
      {"keep", 0, 0, G_OPTION_ARG_NONE, &opt->keep, "Keep the work directory", NULL},
      G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("- a monthly report against the sqlite3 command line");
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, error))
    return FALSE;
  if (opt->calls < 1 || opt->runs < 1) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "--calls and --runs must be at least 1");
    return FALSE;
  }
  char *found = g_find_program_in_path(opt->sqlite3 != NULL ? opt->sqlite3 : "sqlite3");
  g_free(opt->sqlite3);
  opt->sqlite3 = found;
  return TRUE;
}

int
main(int argc, char **argv)
{
  Options opt = {.calls = 1000000, .runs = 3, .seed = 1};
  g_autoptr(GError) error = NULL;

  if (!parse_options(argc, argv, &opt, &error)) {
    g_printerr("report: %s\n", error->message);
    return 2;
  }
  gboolean created = FALSE;
  g_autofree char *dir = bench_dir_make(opt.dir, "wb-bench-report-XXXXXX", &created, &error);
  gboolean ok = dir != NULL && run_bench(&opt, dir, &error);
  if (!ok)
    g_printerr("report: %s\n", error->message);
  if (dir != NULL && !opt.keep)
    bench_dir_remove("report", dir, created);
  g_free(opt.sqlite3);
  g_free(opt.dir);
  return ok ? 0 : 1;
}
