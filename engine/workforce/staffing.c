/* staffing.c: forecast, required agents and who is at work now. */
#define G_LOG_DOMAIN "staffing"

#include "engine/workforce/staffing.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/clock.h"
#include "engine/interval.h"
#include "engine/kpi_json.h"
#include "engine/store_private.h"
#include "engine/workforce/presence.h"
#include "engine/workforce/roster.h"

/* Statements are cached by the address of their text (wb_store_statement). */
static const char sql_day_has_data[] =
    "SELECT 1 FROM intervals WHERE size_min = ?1 AND scope = 'total'"
    " AND start_ms >= ?2 AND start_ms < ?3 LIMIT 1";
static const char sql_interval[] = "SELECT offered, handled, handle_ms FROM intervals"
                                   " WHERE size_min = ?1 AND scope = 'total' AND start_ms = ?2";
/* A call that entered several queues is one call, as in the total. */
static const char sql_calls[] =
    "SELECT count(DISTINCT call_id) FROM calls WHERE enqueue_ms >= ?1 AND enqueue_ms < ?2";
/* Shifts are shorter than two days: the bound lets the start index work. */
static const char sql_roster_now[] =
    "SELECT agent, start_ms, end_ms, role, template FROM roster"
    " WHERE start_ms <= ?1 AND start_ms > ?1 - 172800000 AND end_ms > ?1"
    " ORDER BY start_ms, agent";
static const char sql_staff[] = "SELECT name, role FROM staff WHERE agent = ?1";

/* ---- the forecast rule ---- */

void
wb_staffing_forecast(const WbStaffingEvidence *ev, WbStaffingForecast *out)
{
  gdouble live_rate = ev->recent * ev->length_min / 60.0; /* last hour's pace, per interval */
  gboolean history = ev->history_days > 0 && !isnan(ev->history);

  out->trend = NAN;
  if (history) {
    gdouble trend = 1.0;
    if (!isnan(ev->recent_history) && ev->recent_history > 0)
      trend = CLAMP(ev->recent / ev->recent_history, WB_STAFFING_TREND_MIN, WB_STAFFING_TREND_MAX);
    out->trend = trend;
  }
  if (ev->current) {
    gdouble f = CLAMP(ev->elapsed, 0.0, 1.0);
    /* The calls so far, projected: unknown before any time has passed. */
    out->live = f > 0 ? ev->offered_so_far / f : NAN;
    gdouble rest = history ? ev->history * out->trend : live_rate;
    out->offered = ev->offered_so_far + (1.0 - f) * rest;
  } else {
    out->live = live_rate;
    out->offered = history ? ev->history * out->trend : live_rate;
  }
  out->method = history ? "blend" : "live";
}

gint
wb_staffing_interval_min(const WbConfig *cfg)
{
  gint m = cfg->staffing_interval_min;
  return m >= 60 ? 60 : m >= 30 ? 30 : 15;
}

/* ---- store reads ---- */

static gboolean
step_fail(sqlite3_stmt *st, const char *what, GError **error)
{
  g_set_error(error, WB_STORE_ERROR, 0, "staffing: %s: %s", what,
              sqlite3_errmsg(sqlite3_db_handle(st)));
  sqlite3_reset(st);
  return FALSE;
}

typedef struct {
  WbStore *store;
  GTimeZone *tz;
  gint size_min;
} Ctx;

/* The same local time `days` days earlier (a wall-clock shift, not 24 h
 * steps: right across a change of UTC offset). */
static gint64
days_before(GTimeZone *tz, gint64 ms, gint days)
{
  gint64 s = ms / 1000;
  if (ms % 1000 < 0)
    s--;
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(s);
  g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, tz);
  g_autoptr(GDateTime) before = g_date_time_add_days(local, -days);
  return g_date_time_to_unix(before) * 1000 + (ms - s * 1000);
}

static gboolean
day_has_data(Ctx *c, gint64 ms, gboolean *out, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(c->store, sql_day_has_data, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int(st, 1, c->size_min);
  sqlite3_bind_int64(st, 2, wb_day_start_ms(c->tz, ms));
  sqlite3_bind_int64(st, 3, wb_day_end_ms(c->tz, ms));
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return step_fail(st, "intervals of a day", error);
  *out = rc == SQLITE_ROW;
  sqlite3_reset(st);
  return TRUE;
}

/* Adds the total row of the interval starting at start_ms (none: nothing). */
static gboolean
add_interval(Ctx *c, gint64 start_ms, gint64 *offered, gint64 *handled, gint64 *handle_ms,
             GError **error)
{
  sqlite3_stmt *st = wb_store_statement(c->store, sql_interval, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int(st, 1, c->size_min);
  sqlite3_bind_int64(st, 2, start_ms);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return step_fail(st, "interval row", error);
  if (rc == SQLITE_ROW) {
    *offered += sqlite3_column_int64(st, 0);
    *handled += sqlite3_column_int64(st, 1);
    *handle_ms += sqlite3_column_int64(st, 2);
  }
  sqlite3_reset(st);
  return TRUE;
}

static gboolean
count_calls(Ctx *c, gint64 from_ms, gint64 to_ms, gint64 *out, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(c->store, sql_calls, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, from_ms);
  sqlite3_bind_int64(st, 2, to_ms);
  if (sqlite3_step(st) != SQLITE_ROW)
    return step_fail(st, "calls of the last hour", error);
  *out = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return TRUE;
}

/* The interval [from_ms, to_ms) on the last same weekdays with data: its
 * mean offered into ev, its handling time into *handled and *handle_ms. */
static gboolean
interval_history(Ctx *c, gint64 from_ms, WbStaffingEvidence *ev, gint64 *handled, gint64 *handle_ms,
                 GError **error)
{
  gint64 offered = 0;
  ev->history_days = 0;
  for (gint k = 1; k <= WB_STAFFING_LOOKBACK_WEEKS && ev->history_days < WB_STAFFING_HISTORY_DAYS;
       k++) {
    gint64 start = days_before(c->tz, from_ms, 7 * k);
    gboolean has = FALSE;
    if (!day_has_data(c, start, &has, error))
      return FALSE;
    if (!has)
      continue;
    if (!add_interval(c, start, &offered, handled, handle_ms, error))
      return FALSE;
    ev->history_days++;
  }
  ev->history = ev->history_days > 0 ? (gdouble)offered / ev->history_days : NAN;
  return TRUE;
}

/* The last hour before now_ms, today and on the last same weekdays. */
static gboolean
recent(Ctx *c, gint64 now_ms, gdouble *today, gdouble *history, GError **error)
{
  gint64 n = 0, sum = 0;
  gint days = 0;
  if (!count_calls(c, now_ms - WB_STAFFING_RECENT_MS, now_ms, &n, error))
    return FALSE;
  *today = (gdouble)n;
  for (gint k = 1; k <= WB_STAFFING_LOOKBACK_WEEKS && days < WB_STAFFING_HISTORY_DAYS; k++) {
    gint64 then = days_before(c->tz, now_ms, 7 * k);
    gboolean has = FALSE;
    if (!day_has_data(c, then, &has, error))
      return FALSE;
    if (!has)
      continue;
    if (!count_calls(c, then - WB_STAFFING_RECENT_MS, then, &n, error))
      return FALSE;
    sum += n;
    days++;
  }
  *history = days > 0 ? (gdouble)sum / days : NAN;
  return TRUE;
}

static gboolean
interval_compute(Ctx *c, const WbConfig *cfg, WbStaffingInterval *out, gint64 now_ms,
                 gdouble recent_today, gdouble recent_history, GError **error)
{
  WbStaffingEvidence *ev = &out->evidence;
  gint64 handled = 0, handle_ms = 0;

  ev->length_min = (gdouble)(out->to_ms - out->from_ms) / 60000.0;
  ev->current = out->from_ms <= now_ms && now_ms < out->to_ms;
  ev->recent = recent_today;
  ev->recent_history = recent_history;
  if (ev->current) {
    gint64 so_far = 0, h = 0, hm = 0;
    if (!add_interval(c, out->from_ms, &so_far, &h, &hm, error))
      return FALSE;
    ev->offered_so_far = (gdouble)so_far;
    ev->elapsed = (gdouble)(now_ms - out->from_ms) / (gdouble)(out->to_ms - out->from_ms);
  }
  if (!interval_history(c, out->from_ms, ev, &handled, &handle_ms, error))
    return FALSE;
  wb_staffing_forecast(ev, &out->forecast);

  out->aht_from_history = handled > 0;
  out->aht_s =
      handled > 0 ? (gdouble)handle_ms / 1000.0 / (gdouble)handled : cfg->staffing_default_aht_s;
  out->erlang_input = (WbErlangInput){
      .calls = out->forecast.offered,
      .period_s = ev->length_min * 60.0,
      .aht_s = out->aht_s,
      .target_sl = cfg->target_service_level,
      .within_s = cfg->kpi.sl_threshold_s,
      .max_occupancy = cfg->staffing_max_occupancy,
      .shrinkage = cfg->staffing_shrinkage,
  };
  /* A target of 0 is met by anybody: Erlang C's least N is still the one
   * that keeps the queue finite and the occupancy in bounds. */
  out->required_known =
      wb_erlang_required(&out->erlang_input, WB_STAFFING_AGENTS_MAX, &out->erlang);
  return TRUE;
}

/* ---- people ---- */

static void
person_free(gpointer p)
{
  WbStaffingPerson *person = p;
  g_free(person->agent);
  g_free(person->name);
  g_free(person->role);
  g_free(person->shift);
  g_free(person->shift_label);
  g_free(person);
}

static void
shift_free(gpointer p)
{
  WbStaffingShift *shift = p;
  g_free(shift->code);
  g_free(shift->label);
  g_free(shift);
}

void
wb_staffing_free(WbStaffing *s)
{
  if (s == NULL)
    return;
  g_clear_pointer(&s->shifts, g_ptr_array_unref);
  g_clear_pointer(&s->on_duty, g_ptr_array_unref);
  g_free(s);
}

/* What a roster template code is called: its template's label (a
 * configured [shift.CODE], or the tender's 白 and 夜), else the code. */
static const char *
shift_label(const WbConfig *cfg, const char *code)
{
  const WbShiftConfig *sc = *code != '\0' ? wb_roster_template_find(cfg, code) : NULL;
  return sc != NULL && sc->label != NULL && *sc->label != '\0' ? sc->label : code;
}

static gboolean
staff_record(WbStore *store, const char *agent, char **name, char **role, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, sql_staff, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_text(st, 1, agent, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return step_fail(st, "staff", error);
  if (rc == SQLITE_ROW) {
    const char *n = (const char *)sqlite3_column_text(st, 0);
    const char *r = (const char *)sqlite3_column_text(st, 1);
    *name = n != NULL && *n != '\0' ? g_strdup(n) : NULL;
    *role = r != NULL && *r != '\0' ? g_strdup(r) : NULL;
  }
  sqlite3_reset(st);
  return TRUE;
}

static WbStaffingPerson *
person_find(GPtrArray *people, const char *agent)
{
  for (guint i = 0; i < people->len; i++) {
    WbStaffingPerson *p = g_ptr_array_index(people, i);
    if (strcmp(p->agent, agent) == 0)
      return p;
  }
  return NULL;
}

static WbStaffingShift *
shift_find(GPtrArray *shifts, const char *code)
{
  for (guint i = 0; i < shifts->len; i++) {
    WbStaffingShift *sh = g_ptr_array_index(shifts, i);
    if (strcmp(sh->code, code) == 0)
      return sh;
  }
  return NULL;
}

/* Roster rows covering now: one person each (the first row wins if rows
 * overlap), and the shifts they belong to. */
static gboolean
add_rostered(WbStaffing *s, WbStore *store, const WbConfig *cfg, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, sql_roster_now, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, s->now_ms);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *agent = (const char *)sqlite3_column_text(st, 0);
    gint64 from = sqlite3_column_int64(st, 1), to = sqlite3_column_int64(st, 2);
    const char *role = (const char *)sqlite3_column_text(st, 3);
    const char *code = (const char *)sqlite3_column_text(st, 4);
    if (agent == NULL || person_find(s->on_duty, agent) != NULL)
      continue;
    if (code == NULL)
      code = "";
    WbStaffingPerson *p = g_new0(WbStaffingPerson, 1);
    p->agent = g_strdup(agent);
    p->role = role != NULL && *role != '\0' ? g_strdup(role) : NULL;
    p->shift = g_strdup(code);
    p->shift_label = g_strdup(shift_label(cfg, code));
    p->rostered = TRUE;
    g_ptr_array_add(s->on_duty, p);

    WbStaffingShift *sh = shift_find(s->shifts, code);
    if (sh == NULL) {
      sh = g_new0(WbStaffingShift, 1);
      sh->code = g_strdup(code);
      sh->label = g_strdup(shift_label(cfg, code));
      sh->from_ms = from;
      sh->to_ms = to;
      g_ptr_array_add(s->shifts, sh);
    }
    sh->from_ms = MIN(sh->from_ms, from);
    sh->to_ms = MAX(sh->to_ms, to);
    sh->rostered++;
  }
  if (rc != SQLITE_DONE)
    return step_fail(st, "roster", error);
  sqlite3_reset(st);
  s->rostered = (gint)s->on_duty->len;
  return TRUE;
}

static gint
shift_cmp(gconstpointer a, gconstpointer b)
{
  const WbStaffingShift *x = *(WbStaffingShift *const *)a;
  const WbStaffingShift *y = *(WbStaffingShift *const *)b;
  if (x->from_ms != y->from_ms)
    return x->from_ms < y->from_ms ? -1 : 1;
  return strcmp(x->code, y->code);
}

static gint
person_cmp(gconstpointer a, gconstpointer b)
{
  const WbStaffingPerson *x = *(WbStaffingPerson *const *)a;
  const WbStaffingPerson *y = *(WbStaffingPerson *const *)b;
  return strcmp(x->agent, y->agent);
}

/* The rostered come first in roster order; the present who are not
 * rostered follow by agent key. */
static void
add_present(WbStaffing *s, GPtrArray *spans, const WbLiveView *view, const WbConfig *cfg)
{
  guint rostered = s->on_duty->len;
  /* Presence is tested a millisecond before now: spans end at now. */
  gint64 at = s->now_ms - 1;

  for (guint i = 0; i < spans->len; i++) {
    const WbPresenceSpan *span = g_ptr_array_index(spans, i);
    if (!wb_presence_at(spans, span->agent, at) || person_find(s->on_duty, span->agent) != NULL)
      continue;
    WbStaffingPerson *p = g_new0(WbStaffingPerson, 1);
    p->agent = g_strdup(span->agent);
    g_ptr_array_add(s->on_duty, p);
  }
  for (guint i = 0; view != NULL && i < view->agents->len; i++) {
    const WbAgentView *a = &g_array_index(view->agents, WbAgentView, i);
    if (a->state == WB_AGENT_OFFLINE || person_find(s->on_duty, a->agent) != NULL)
      continue;
    WbStaffingPerson *p = g_new0(WbStaffingPerson, 1);
    p->agent = g_strdup(a->agent);
    g_ptr_array_add(s->on_duty, p);
  }
  /* Sort only the tail: g_ptr_array_sort would move the rostered. */
  if (s->on_duty->len > rostered + 1)
    qsort(s->on_duty->pdata + rostered, s->on_duty->len - rostered, sizeof(gpointer),
          (int (*)(const void *, const void *))person_cmp);

  for (guint i = 0; i < s->on_duty->len; i++) {
    WbStaffingPerson *p = g_ptr_array_index(s->on_duty, i);
    p->state = WB_AGENT_OFFLINE;
    for (guint k = 0; view != NULL && k < view->agents->len; k++) {
      const WbAgentView *a = &g_array_index(view->agents, WbAgentView, k);
      if (strcmp(a->agent, p->agent) == 0)
        p->state = a->state;
    }
    /* Logged in is present, whatever the time clock says. */
    p->present = wb_presence_at(spans, p->agent, at) || p->state != WB_AGENT_OFFLINE;
    if (p->present)
      s->present++;
    if (p->state != WB_AGENT_OFFLINE && p->state != WB_AGENT_PAUSED)
      s->on_phones++;
    if (p->present && p->rostered) {
      WbStaffingShift *sh = shift_find(s->shifts, p->shift);
      if (sh != NULL)
        sh->present++;
    }
  }
  (void)cfg;
}

static gboolean
add_names(WbStaffing *s, WbStore *store, const WbConfig *cfg, GError **error)
{
  for (guint i = 0; i < s->on_duty->len; i++) {
    WbStaffingPerson *p = g_ptr_array_index(s->on_duty, i);
    g_autofree char *name = NULL;
    g_autofree char *role = NULL;
    if (!staff_record(store, p->agent, &name, &role, error))
      return FALSE;
    if (name == NULL)
      name = g_strdup(wb_config_agent_name(cfg, p->agent));
    p->name = g_steal_pointer(&name);
    if (p->role == NULL)
      p->role = g_steal_pointer(&role);
  }
  return TRUE;
}

WbStaffing *
wb_staffing_compute(WbStore *store, const WbConfig *cfg, GTimeZone *tz, const WbLiveView *view,
                    gint64 now_ms, GError **error)
{
  g_autoptr(WbStaffing) s = g_new0(WbStaffing, 1);
  Ctx c = {store, tz, wb_staffing_interval_min(cfg)};
  gdouble recent_today = 0, recent_history = NAN;

  s->now_ms = now_ms;
  s->size_min = c.size_min;
  s->shifts = g_ptr_array_new_with_free_func(shift_free);
  s->on_duty = g_ptr_array_new_with_free_func(person_free);

  s->current.from_ms = wb_interval_start(tz, c.size_min, now_ms);
  s->current.to_ms = wb_interval_end(tz, c.size_min, s->current.from_ms);
  s->next.from_ms = s->current.to_ms;
  s->next.to_ms = wb_interval_end(tz, c.size_min, s->next.from_ms);
  if (!recent(&c, now_ms, &recent_today, &recent_history, error) ||
      !interval_compute(&c, cfg, &s->current, now_ms, recent_today, recent_history, error) ||
      !interval_compute(&c, cfg, &s->next, now_ms, recent_today, recent_history, error))
    return NULL;

  /* Presence over the last minute is enough to know who is present now:
   * the presence module looks back for the punch or login that opened it. */
  g_autoptr(GPtrArray) spans = wb_presence_spans(store, now_ms - 60000, now_ms, now_ms, error);
  if (spans == NULL || !add_rostered(s, store, cfg, error))
    return NULL;
  add_present(s, spans, view, cfg);
  g_ptr_array_sort(s->shifts, shift_cmp);
  if (!add_names(s, store, cfg, error))
    return NULL;
  return g_steal_pointer(&s);
}

/* ---- JSON ---- */

static void
json_bool(JsonBuilder *b, const char *name, gboolean v)
{
  json_builder_set_member_name(b, name);
  json_builder_add_boolean_value(b, v);
}

/* An Erlang figure that has no finite value (ASA of a queue that never
 * empties) or belongs to no staffing is null. */
static void
json_figure(JsonBuilder *b, const char *name, gboolean known, gdouble v)
{
  wb_kpi_json_number(b, name, known && isfinite(v) ? v : NAN);
}

static void
json_interval(JsonBuilder *b, GTimeZone *tz, const WbStaffingInterval *iv)
{
  const WbStaffingEvidence *ev = &iv->evidence;
  json_builder_begin_object(b);
  wb_kpi_json_time_twin(b, tz, "from", iv->from_ms);
  wb_kpi_json_time_twin(b, tz, "to", iv->to_ms);
  if (ev->current)
    wb_kpi_json_number(b, "elapsed", ev->elapsed);
  json_builder_set_member_name(b, "forecast");
  json_builder_begin_object(b);
  wb_kpi_json_number(b, "offered", iv->forecast.offered);
  if (ev->current)
    wb_kpi_json_number(b, "offered_so_far", ev->offered_so_far);
  wb_kpi_json_number(b, "history", ev->history);
  wb_kpi_json_int(b, "history_days", ev->history_days);
  wb_kpi_json_number(b, "live", iv->forecast.live);
  wb_kpi_json_number(b, "recent", ev->recent);
  wb_kpi_json_number(b, "trend", iv->forecast.trend);
  wb_kpi_json_number(b, "aht_s", iv->aht_s);
  wb_kpi_json_string(b, "aht_source", iv->aht_from_history ? "history" : "default");
  wb_kpi_json_string(b, "method", iv->forecast.method);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "required");
  if (iv->required_known)
    json_builder_add_int_value(b, iv->erlang.agents);
  else
    json_builder_add_null_value(b);
  json_builder_set_member_name(b, "scheduled");
  if (iv->required_known)
    json_builder_add_int_value(b, iv->erlang.scheduled);
  else
    json_builder_add_null_value(b);
  wb_kpi_json_number(b, "traffic_erlangs", iv->erlang.traffic);
  json_figure(b, "service_level", iv->required_known, iv->erlang.service_level);
  json_figure(b, "asa_s", iv->required_known, iv->erlang.asa_s);
  json_figure(b, "occupancy", iv->required_known, iv->erlang.occupancy);
  /* Erlang C lets no caller hang up: the real queue needs at most this. */
  json_bool(b, "upper_bound", TRUE);
  json_builder_end_object(b);
}

char *
wb_staffing_json(const WbStaffing *s, const WbConfig *cfg, GTimeZone *tz)
{
  g_autoptr(JsonBuilder) b = json_builder_new();

  json_builder_begin_object(b);
  wb_kpi_json_time_twin(b, tz, "ts", s->now_ms);
  wb_kpi_json_int(b, "size_min", s->size_min);
  json_builder_set_member_name(b, "target");
  json_builder_begin_object(b);
  wb_kpi_json_number(b, "service_level", cfg->target_service_level);
  wb_kpi_json_int(b, "threshold_s", cfg->kpi.sl_threshold_s);
  wb_kpi_json_number(b, "max_occupancy", cfg->staffing_max_occupancy);
  wb_kpi_json_number(b, "shrinkage", cfg->staffing_shrinkage);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "interval");
  json_interval(b, tz, &s->current);
  json_builder_set_member_name(b, "next_interval");
  json_interval(b, tz, &s->next);
  wb_kpi_json_int(b, "rostered", s->rostered);
  wb_kpi_json_int(b, "present", s->present);
  wb_kpi_json_int(b, "on_phones", s->on_phones);

  json_builder_set_member_name(b, "shifts");
  json_builder_begin_array(b);
  for (guint i = 0; i < s->shifts->len; i++) {
    const WbStaffingShift *sh = g_ptr_array_index(s->shifts, i);
    json_builder_begin_object(b);
    wb_kpi_json_string_or_null(b, "code", *sh->code != '\0' ? sh->code : NULL);
    wb_kpi_json_string_or_null(b, "label", *sh->label != '\0' ? sh->label : NULL);
    wb_kpi_json_time_twin(b, tz, "from", sh->from_ms);
    wb_kpi_json_time_twin(b, tz, "to", sh->to_ms);
    wb_kpi_json_int(b, "rostered", sh->rostered);
    wb_kpi_json_int(b, "present", sh->present);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);

  json_builder_set_member_name(b, "on_duty");
  json_builder_begin_array(b);
  for (guint i = 0; i < s->on_duty->len; i++) {
    const WbStaffingPerson *p = g_ptr_array_index(s->on_duty, i);
    json_builder_begin_object(b);
    wb_kpi_json_string(b, "agent", p->agent);
    wb_kpi_json_string(b, "name", p->name);
    wb_kpi_json_string_or_null(b, "role", p->role);
    wb_kpi_json_string_or_null(b, "shift", p->rostered && *p->shift != '\0' ? p->shift : NULL);
    wb_kpi_json_string_or_null(b, "shift_label",
                               p->rostered && *p->shift_label != '\0' ? p->shift_label : NULL);
    json_bool(b, "rostered", p->rostered);
    json_bool(b, "present", p->present);
    wb_kpi_json_string(b, "state", wb_agent_state_name(p->state));
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  return wb_kpi_json_to_string(b);
}

/* ---- docs ---- */

const char *
wb_staffing_docs_markdown(void)
{
  return "\n## Staffing (人员配置)\n\n"
         "Are there enough people for the calls now and in the next interval? "
         "`engine/workforce/staffing.c`, answered by `GET /api/v1/staffing` and the WebSocket "
         "topic `staffing`, shown on the wallboard as 需要 / 在岗 / 接线 (DESIGN.md section 5, "
         "\"staffing\").\n\n"
         "- **Interval**: `[staffing] interval_min` (15, 30 or 60 minutes, default 30) on the "
         "centre's clock from local midnight; the current interval holds now, the next one "
         "follows it.\n"
         "- **History** of an interval: the mean calls offered (total scope) in the same "
         "interval on the last four same weekdays that have data, looking back at most eight "
         "weeks. A day has data when the `intervals` table holds any row of that size for it "
         "(the system was running); such a day without a row for the interval counts 0 calls, "
         "a day without data is skipped. Holidays are not treated apart.\n"
         "- **Trend**: calls offered in the last hour against the mean of the same hour on "
         "those days, clamped to 0.5-2 so that one busy or quiet hour cannot more than double "
         "or halve the plan; 1 when that hour of the history had no call.\n"
         "- **Current interval**, with a share f of it gone and o calls offered so far: "
         "`live` = o / f (the calls so far projected to the whole interval) is blended with "
         "the history by the elapsed share: forecast = f x live + (1 - f) x history x trend = "
         "o + (1 - f) x history x trend. Early in the interval the history carries the "
         "forecast, at its end the calls that came. Without history the rest of the interval "
         "runs at the last hour's pace: o + (1 - f) x calls of the last hour x interval / 60 "
         "min (`method` `live`).\n"
         "- **Next interval**: history x trend; without history the last hour's pace "
         "(`live` = calls of the last hour x interval / 60 min).\n"
         "- **AHT**: handle time / handled calls of the history's intervals, else "
         "`[staffing] default_aht_s` (180 s) (`aht_source` says which).\n"
         "- **Required** (需要): Erlang C's least number of agents that answers "
         "`[kpi] target_service_level` of the forecast within `[kpi] sl_threshold_s` seconds "
         "with an occupancy of at most `[staffing] max_occupancy` (0.85); at least 1. Erlang C "
         "assumes that no caller hangs up: with abandons the real queue needs fewer, so "
         "required is an **upper bound**. **Scheduled** = required / (1 - `[staffing] "
         "shrinkage`), rounded up: the people to roster when breaks, training and meetings "
         "take that share of paid time.\n"
         "- **Rostered**: people with a roster row covering now (one each, however many rows). "
         "**Present** (在岗): people punched in or logged in to the phone system now "
         "(`engine/workforce/presence.h`), rostered or not; logged in counts as present "
         "whatever the time clock says. **On the phones** (接线): present people logged in "
         "and not paused (available, ringing, on a call or in after-call work). The "
         "wallboard shows present in red when it is below required.\n"
         "- **Shifts** under way: the roster rows covering now, by template, named by the "
         "template's label (`[shift.CODE] label`, or the tender's 白班 and 夜班, "
         "`engine/workforce/roster.h`), else its code; **on duty**: the rostered (by shift start, "
         "then "
         "key) and then the present who are not rostered, each with name, role, shift, "
         "present or not and phone state.\n\n"
         "Published check, run as a test (`tests/test_staffing.c`): a history of 100 calls "
         "in a 30-minute interval with an AHT of 180 s and 80 % within 20 s requires 14 agents "
         "(service level 0.88835), 20 scheduled with 30 % shrinkage.\n";
}
