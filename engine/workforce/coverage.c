/* coverage.c: rostered and present against the minimum, minute by minute. */
#define G_LOG_DOMAIN "coverage"

#include "engine/workforce/coverage.h"

#include <string.h>

#include "engine/clock.h"
#include "engine/kpi_json.h"
#include "engine/workforce/presence.h"

G_DEFINE_QUARK(wb_coverage_error, wb_coverage_error)

#define MINUTE_MS 60000LL
#define DAY_MIN (24 * 60)

typedef struct {
  gint64 from_ms;
  gint64 to_ms;
} Span;

const char *
wb_coverage_kind_name(WbCoverageKind kind)
{
  return kind == WB_COVERAGE_PRESENT ? "present" : "rostered";
}

void
wb_coverage_free(WbCoverage *c)
{
  if (c == NULL)
    return;
  g_clear_pointer(&c->minimum, g_array_unref);
  g_clear_pointer(&c->gaps, g_array_unref);
  g_free(c->required);
  g_free(c->rostered);
  g_free(c->present);
  g_free(c);
}

static gint64
floor_div(gint64 a, gint64 b)
{
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static gint64
ceil_div(gint64 a, gint64 b)
{
  return -floor_div(-a, b);
}

/* The minimum of each minute of the day, from the bands; overlapping
 * bands take the larger. */
static void
day_minimum(const GArray *bands, guint16 out[DAY_MIN])
{
  memset(out, 0, DAY_MIN * sizeof(out[0]));
  for (guint i = 0; i < bands->len; i++) {
    const WbConfigBand *b = &g_array_index(bands, WbConfigBand, i);
    gint len = b->end_min - b->start_min;
    if (len <= 0)
      len += DAY_MIN;
    for (gint k = 0; k < len; k++) {
      guint16 *m = &out[(b->start_min + k) % DAY_MIN];
      *m = MAX(*m, (guint16)b->minimum);
    }
  }
}

static GArray *
parse_minimum(const WbConfig *cfg, GError **error)
{
  GArray *bands = wb_config_parse_bands(cfg->coverage_minimum, error);
  if (bands == NULL)
    g_prefix_error(error, "[coverage] minimum: ");
  return bands;
}

/* The local wall-clock minute of the day of ms: a day of a clock change
 * still has its bands at their hours. */
static gint
minute_of_day(GTimeZone *tz, gint64 ms)
{
  gint64 s = floor_div(ms, 1000);
  gint interval = g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, s);
  gint64 local = s + g_time_zone_get_offset(tz, interval);
  return (gint)(((floor_div(local, 60) % DAY_MIN) + DAY_MIN) % DAY_MIN);
}

/* Adds one to the minutes whose first instant lies in [from_ms, to_ms). */
static void
add_minutes(gint *diff, const WbCoverage *c, gint64 from_ms, gint64 to_ms)
{
  gint64 a = CLAMP(ceil_div(from_ms - c->from_ms, MINUTE_MS), 0, (gint64)c->n_minutes);
  gint64 b = CLAMP(ceil_div(to_ms - c->from_ms, MINUTE_MS), 0, (gint64)c->n_minutes);
  if (a < b) {
    diff[a]++;
    diff[b]--;
  }
}

static void
diff_to_counts(const gint *diff, guint n, guint16 *out)
{
  gint run = 0;
  for (guint i = 0; i < n; i++) {
    run += diff[i];
    out[i] = (guint16)MIN(run, G_MAXUINT16);
  }
}

static gint
span_cmp(gconstpointer a, gconstpointer b)
{
  const Span *x = a, *y = b;
  return x->from_ms < y->from_ms ? -1 : x->from_ms > y->from_ms;
}

/* agent -> GArray of Span, each sorted and merged: one person rostered
 * twice at once (a day shift and a bridging shift) is one person. */
static GHashTable *
roster_by_agent(const GPtrArray *roster)
{
  GHashTable *by_agent =
      g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_array_unref);
  for (guint i = 0; roster != NULL && i < roster->len; i++) {
    const WbRosterShift *s = g_ptr_array_index(roster, i);
    if (s->end_ms <= s->start_ms)
      continue;
    GArray *a = g_hash_table_lookup(by_agent, s->agent);
    if (a == NULL) {
      a = g_array_new(FALSE, FALSE, sizeof(Span));
      g_hash_table_insert(by_agent, s->agent, a);
    }
    Span span = {s->start_ms, s->end_ms};
    g_array_append_val(a, span);
  }
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, by_agent);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    GArray *a = value;
    g_array_sort(a, span_cmp);
    guint out = 0;
    for (guint i = 0; i < a->len; i++) {
      Span s = g_array_index(a, Span, i);
      Span *last = out > 0 ? &g_array_index(a, Span, out - 1) : NULL;
      if (last != NULL && s.from_ms <= last->to_ms)
        last->to_ms = MAX(last->to_ms, s.to_ms);
      else
        g_array_index(a, Span, out++) = s;
    }
    g_array_set_size(a, out);
  }
  return by_agent;
}

/* Adds the minutes an agent was both rostered and present: the
 * intersection of two sorted lists of disjoint spans. */
static void
add_present(gint *diff, const WbCoverage *c, const GArray *rostered, const GPtrArray *spans,
            guint first, guint last)
{
  guint i = 0, k = first;
  while (i < rostered->len && k < last) {
    const Span *r = &g_array_index(rostered, Span, i);
    const WbPresenceSpan *p = g_ptr_array_index(spans, k);
    gint64 from = MAX(r->from_ms, p->from_ms), to = MIN(r->to_ms, p->to_ms);
    if (from < to)
      add_minutes(diff, c, from, to);
    if (r->to_ms < p->to_ms)
      i++;
    else
      k++;
  }
}

static void
count_present(WbCoverage *c, GHashTable *by_agent, const GPtrArray *spans)
{
  g_autofree gint *diff = g_new0(gint, c->n_minutes + 1);

  /* Spans come sorted by agent, then time: each agent's are a run. */
  for (guint k = 0; spans != NULL && k < spans->len;) {
    const WbPresenceSpan *p = g_ptr_array_index(spans, k);
    guint end = k + 1;
    while (end < spans->len &&
           strcmp(((const WbPresenceSpan *)g_ptr_array_index(spans, end))->agent, p->agent) == 0)
      end++;
    const GArray *rostered = g_hash_table_lookup(by_agent, p->agent);
    if (rostered != NULL)
      add_present(diff, c, rostered, spans, k, end);
    k = end;
  }
  diff_to_counts(diff, c->n_minutes, c->present);
}

static void
find_gaps(WbCoverage *c, WbCoverageKind kind, guint n_past)
{
  const guint16 *counts = kind == WB_COVERAGE_PRESENT ? c->present : c->rostered;
  guint limit = kind == WB_COVERAGE_PRESENT ? n_past : c->n_minutes;

  for (guint i = 0; i < limit;) {
    if (counts[i] >= c->required[i]) {
      i++;
      continue;
    }
    WbCoverageGap g = {kind, 0, 0, 0, 0, G_MAXINT, G_MAXINT};
    guint start = i;
    for (; i < limit && counts[i] < c->required[i]; i++) {
      g.required = MAX(g.required, c->required[i]);
      g.rostered = MIN(g.rostered, c->rostered[i]);
      if (i < n_past)
        g.present = MIN(g.present, c->present[i]);
    }
    g.from_ms = c->from_ms + start * MINUTE_MS;
    g.to_ms = c->from_ms + i * MINUTE_MS;
    g.minutes = (gint)(i - start);
    if (g.present == G_MAXINT)
      g.present = -1;
    g_array_append_val(c->gaps, g);
  }
}

static gint
gap_cmp(gconstpointer a, gconstpointer b)
{
  const WbCoverageGap *x = a, *y = b;
  if (x->from_ms != y->from_ms)
    return x->from_ms < y->from_ms ? -1 : 1;
  return (int)x->kind - (int)y->kind;
}

WbCoverage *
wb_coverage_compute(const WbConfig *cfg, GTimeZone *tz, gint64 from_ms, gint64 to_ms, gint64 now_ms,
                    const GPtrArray *roster, const GPtrArray *spans, GError **error)
{
  from_ms = floor_div(from_ms, MINUTE_MS) * MINUTE_MS;
  to_ms = ceil_div(to_ms, MINUTE_MS) * MINUTE_MS;
  if (to_ms <= from_ms || to_ms - from_ms > WB_COVERAGE_MAX_DAYS * DAY_MIN * MINUTE_MS) {
    g_set_error(error, WB_COVERAGE_ERROR, WB_COVERAGE_ERROR_WINDOW,
                "the window must be longer than nothing and at most %d days", WB_COVERAGE_MAX_DAYS);
    return NULL;
  }
  g_autoptr(GArray) minimum = parse_minimum(cfg, error);
  if (minimum == NULL)
    return NULL;
  g_autoptr(WbCoverage) c = g_new0(WbCoverage, 1);
  c->from_ms = from_ms;
  c->to_ms = to_ms;
  c->now_ms = now_ms;
  c->n_minutes = (guint)((to_ms - from_ms) / MINUTE_MS);
  c->minimum = g_steal_pointer(&minimum);
  c->required = g_new0(guint16, c->n_minutes);
  c->rostered = g_new0(guint16, c->n_minutes);
  c->present = g_new0(guint16, c->n_minutes);
  c->gaps = g_array_new(FALSE, FALSE, sizeof(WbCoverageGap));

  guint16 by_minute[DAY_MIN];
  day_minimum(c->minimum, by_minute);
  for (guint i = 0; i < c->n_minutes; i++)
    c->required[i] = by_minute[minute_of_day(tz, from_ms + i * MINUTE_MS)];

  g_autoptr(GHashTable) by_agent = roster_by_agent(roster);
  g_autofree gint *diff = g_new0(gint, c->n_minutes + 1);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, by_agent);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    const GArray *a = value;
    for (guint i = 0; i < a->len; i++)
      add_minutes(diff, c, g_array_index(a, Span, i).from_ms, g_array_index(a, Span, i).to_ms);
  }
  diff_to_counts(diff, c->n_minutes, c->rostered);
  count_present(c, by_agent, spans);

  /* Presence is known for the minutes begun before now. */
  guint n_past = (guint)CLAMP(ceil_div(now_ms - from_ms, MINUTE_MS), 0, (gint64)c->n_minutes);
  find_gaps(c, WB_COVERAGE_ROSTERED, n_past);
  find_gaps(c, WB_COVERAGE_PRESENT, n_past);
  g_array_sort(c->gaps, gap_cmp);
  return g_steal_pointer(&c);
}

WbCoverage *
wb_coverage_check(WbStore *store, const WbConfig *cfg, GTimeZone *tz, gint64 from_ms, gint64 to_ms,
                  gint64 now_ms, GError **error)
{
  if (to_ms <= from_ms || to_ms - from_ms > WB_COVERAGE_MAX_DAYS * DAY_MIN * MINUTE_MS) {
    g_set_error(error, WB_COVERAGE_ERROR, WB_COVERAGE_ERROR_WINDOW,
                "the window must be longer than nothing and at most %d days", WB_COVERAGE_MAX_DAYS);
    return NULL;
  }
  g_autoptr(GPtrArray) roster = wb_roster_load(store, from_ms, to_ms, error);
  if (roster == NULL)
    return NULL;
  /* Presence of the past part only: the rest is not known yet. */
  g_autoptr(GPtrArray) spans = NULL;
  if (now_ms > from_ms) {
    spans = wb_presence_spans(store, from_ms, to_ms, now_ms, error);
    if (spans == NULL)
      return NULL;
  }
  return wb_coverage_compute(cfg, tz, from_ms, to_ms, now_ms, roster, spans, error);
}

WbCoverage *
wb_coverage_of_templates(const WbConfig *cfg, GTimeZone *tz, const GDate *day, GError **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)wb_roster_shift_free);
  GDate before = *day;
  g_date_subtract_days(&before, 1);
  const GDate *days[] = {&before, day};

  for (gsize d = 0; d < G_N_ELEMENTS(days); d++) {
    g_autoptr(GArray) on = wb_roster_templates_on(cfg, tz, days[d]);
    for (guint i = 0; i < on->len; i++) {
      const WbRosterTemplate *t = &g_array_index(on, WbRosterTemplate, i);
      WbRosterShift *s = g_new0(WbRosterShift, 1);
      /* One person per shift: yesterday's night is not today's. */
      s->agent = g_strdup_printf("%s#%" G_GSIZE_FORMAT, t->shift->code, d);
      s->start_ms = t->start_ms;
      s->end_ms = t->end_ms;
      s->template_code = g_strdup(t->shift->code);
      g_ptr_array_add(rows, s);
    }
  }
  gint64 from = wb_roster_local_ms(tz, day, 0), to = wb_roster_local_ms(tz, day, DAY_MIN);
  /* Now at the start: a plan, nobody's presence. */
  return wb_coverage_compute(cfg, tz, from, to, from, rows, NULL, error);
}

static gint
day_gap_cmp(gconstpointer a, gconstpointer b)
{
  const WbCoverageDayGap *x = a, *y = b;
  return x->start_min - y->start_min;
}

GArray *
wb_coverage_template_gaps(const WbConfig *cfg, WbRosterSeason season, GError **error)
{
  g_autoptr(GArray) minimum = parse_minimum(cfg, error);
  if (minimum == NULL)
    return NULL;
  guint16 required[DAY_MIN], covered[DAY_MIN];
  day_minimum(minimum, required);
  memset(covered, 0, sizeof(covered));
  guint n = 0;
  const WbShiftConfig *const *t = wb_roster_templates(cfg, &n);
  for (guint i = 0; i < n; i++) {
    gint start = 0, end = 0;
    wb_roster_template_season_hours(t[i], season, &start, &end);
    for (gint m = start; m < end; m++)
      covered[m % DAY_MIN]++;
  }

  GArray *gaps = g_array_new(FALSE, FALSE, sizeof(WbCoverageDayGap));
  /* Around the clock from a minute that is not short, so that a gap
   * across midnight comes out whole. */
  gint first = -1;
  for (gint m = 0; m < DAY_MIN && first < 0; m++)
    if (covered[m] >= required[m])
      first = m;
  if (first < 0) {
    WbCoverageDayGap g = {0, DAY_MIN, 0, G_MAXINT};
    for (gint m = 0; m < DAY_MIN; m++) {
      g.required = MAX(g.required, required[m]);
      g.rostered = MIN(g.rostered, covered[m]);
    }
    g_array_append_val(gaps, g);
    return gaps;
  }
  for (gint k = 0; k < DAY_MIN;) {
    gint m = (first + k) % DAY_MIN;
    if (covered[m] >= required[m]) {
      k++;
      continue;
    }
    WbCoverageDayGap g = {m, m, 0, G_MAXINT};
    for (; k < DAY_MIN && covered[(first + k) % DAY_MIN] < required[(first + k) % DAY_MIN]; k++) {
      gint at = (first + k) % DAY_MIN;
      g.required = MAX(g.required, required[at]);
      g.rostered = MIN(g.rostered, covered[at]);
      g.end_min++;
    }
    g_array_append_val(gaps, g);
  }
  g_array_sort(gaps, day_gap_cmp);
  return gaps;
}

/* "08:00"; an end of 24:00 stays "24:00", a later one is the next day's. */
static void
json_clock(JsonBuilder *b, const char *name, gint minutes, gboolean end)
{
  if (!(end && minutes == DAY_MIN))
    minutes %= DAY_MIN;
  g_autofree char *text = g_strdup_printf("%02d:%02d", minutes / 60, minutes % 60);
  wb_kpi_json_string(b, name, text);
}

static void
json_count(JsonBuilder *b, const char *name, gint v)
{
  json_builder_set_member_name(b, name);
  if (v < 0)
    json_builder_add_null_value(b);
  else
    json_builder_add_int_value(b, v);
}

static void
json_month_day(JsonBuilder *b, const char *name, gint month_day)
{
  g_autofree char *text = g_strdup_printf("%02d-%02d", month_day / 100, month_day % 100);
  wb_kpi_json_string(b, name, text);
}

static void
json_season(JsonBuilder *b, const WbConfig *cfg, WbRosterSeason season)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) gaps = wb_coverage_template_gaps(cfg, season, &error);
  guint n = 0;
  const WbShiftConfig *const *t = wb_roster_templates(cfg, &n);
  gboolean summer = season == WB_ROSTER_SUMMER;

  json_builder_begin_object(b);
  wb_kpi_json_string(b, "season", wb_roster_season_name(season));
  json_month_day(b, "from", summer ? cfg->summer_from : cfg->winter_from);
  json_month_day(b, "to", summer ? cfg->winter_from : cfg->summer_from);
  json_builder_set_member_name(b, "shifts");
  json_builder_begin_array(b);
  for (guint i = 0; i < n; i++) {
    gint start = 0, end = 0;
    wb_roster_template_season_hours(t[i], season, &start, &end);
    json_builder_begin_object(b);
    wb_kpi_json_string(b, "code", t[i]->code);
    wb_kpi_json_string(b, "label", t[i]->label != NULL ? t[i]->label : t[i]->code);
    json_clock(b, "start", start, FALSE);
    json_clock(b, "end", end, TRUE);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "gaps");
  json_builder_begin_array(b);
  for (guint i = 0; gaps != NULL && i < gaps->len; i++) {
    const WbCoverageDayGap *g = &g_array_index(gaps, WbCoverageDayGap, i);
    json_builder_begin_object(b);
    json_clock(b, "from", g->start_min, FALSE);
    json_clock(b, "to", g->end_min, TRUE);
    wb_kpi_json_int(b, "minutes", g->end_min - g->start_min);
    wb_kpi_json_int(b, "required", g->required);
    wb_kpi_json_int(b, "rostered", g->rostered);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
}

void
wb_coverage_json(JsonBuilder *b, const WbCoverage *c, const WbConfig *cfg, GTimeZone *tz)
{
  json_builder_begin_object(b);
  wb_kpi_json_time_twin(b, tz, "from", c->from_ms);
  wb_kpi_json_time_twin(b, tz, "to", c->to_ms);
  wb_kpi_json_int(b, "minutes", c->n_minutes);
  json_builder_set_member_name(b, "minimum");
  json_builder_begin_array(b);
  for (guint i = 0; i < c->minimum->len; i++) {
    const WbConfigBand *band = &g_array_index(c->minimum, WbConfigBand, i);
    json_builder_begin_object(b);
    json_clock(b, "from", band->start_min, FALSE);
    json_clock(b, "to", band->end_min, TRUE);
    wb_kpi_json_int(b, "required", band->minimum);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "gaps");
  json_builder_begin_array(b);
  for (guint i = 0; i < c->gaps->len; i++) {
    const WbCoverageGap *g = &g_array_index(c->gaps, WbCoverageGap, i);
    json_builder_begin_object(b);
    wb_kpi_json_time_twin(b, tz, "from", g->from_ms);
    wb_kpi_json_time_twin(b, tz, "to", g->to_ms);
    wb_kpi_json_int(b, "minutes", g->minutes);
    wb_kpi_json_string(b, "kind", wb_coverage_kind_name(g->kind));
    wb_kpi_json_int(b, "required", g->required);
    wb_kpi_json_int(b, "rostered", g->rostered);
    json_count(b, "present", g->present);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "templates");
  json_builder_begin_array(b);
  for (int s = 0; s < WB_ROSTER_SEASON_COUNT; s++)
    json_season(b, cfg, (WbRosterSeason)s);
  json_builder_end_array(b);
  json_builder_end_object(b);
}

const char *
wb_coverage_docs_markdown(void)
{
  return "\n## Coverage (排班覆盖)\n\n"
         "Is every minute of every day staffed? `engine/workforce/coverage.c`, answered by "
         "`GET /api/v1/coverage` and `wallboardctl coverage` (DESIGN.md section 5, "
         "\"coverage\").\n\n"
         "- **Shift templates** (`[shift.CODE]`) give a shift's hours; `summer_start`, "
         "`summer_end`, `winter_start` and `winter_end` give hours that differ by season. "
         "Summer runs from `[roster] summer_from` (default 05-01) to the day before "
         "`winter_from` (default 10-01): the usual public-sector summer schedule (夏令作息), "
         "May to September. A shift belongs to the day it starts and takes that day's "
         "season: the night of 09-30 is a summer night. Without any `[shift.CODE]` group the "
         "tender's rota applies: 白 (白班) 08:00-17:30 in summer, 08:00-17:00 in winter, and "
         "夜 (夜班) 19:00-08:00 the next day. A roster import (`wallboardctl import roster`) "
         "gives a template's shift the hours of the shift's date.\n"
         "- **Minimum** (`[coverage] minimum`): the fewest people needed at each minute, per "
         "band of the day on the centre's clock, e.g. `08:00-19:00=2;19:00-08:00=1`. The "
         "default, `00:00-24:00=1`, is the tender's \"every period covered\": at least one "
         "person at every minute. Where bands overlap the larger minimum applies; a minute in "
         "no band needs nobody.\n"
         "- **Rostered** at a minute: the people whose roster shift (the `roster` table; a "
         "cancelled shift is gone from it) covers the minute's first instant. One person "
         "rostered twice at once (a day shift and a bridging shift) counts once.\n"
         "- **Present** at a minute: the rostered people present at its first instant, "
         "punched in or logged in to the phone system (`engine/workforce/presence.h`). "
         "Someone present but not rostered is not counted: cover is the planned cover that "
         "came. Known only for minutes begun before now.\n"
         "- **Gap**: a maximal run of minutes with rostered < minimum (kind `rostered`: the "
         "plan is short), and, for minutes begun before now, with present < minimum (kind "
         "`present`: the people were not there). The two are listed independently: a past "
         "minute short on the roster is short of presence too and is in both; a `present` "
         "gap alone means the plan was enough and someone was late, left early or was "
         "absent. A gap gives the highest minimum in it and the lowest rostered and present "
         "counts.\n"
         "- **The rota alone**: per season, the minutes of the day the templates leave "
         "short if one person worked every template every day. The tender's templates leave "
         "17:30-19:00 (summer) and 17:00-19:00 (winter) uncovered; the check shows those "
         "minutes on every day until a bridging shift (e.g. 17:00-20:00) is rostered, and in "
         "the rota alone until a bridging template is configured.\n"
         "- **Window**: whole minutes (`from` rounded down, `to` up), at most 93 days per "
         "request.\n\n"
         "Published checks, run as tests (`tests/test_coverage.c`): the tender's day and "
         "night shifts rostered on 2026-07-15 leave 17:30-19:00 short (90 minutes), on "
         "2026-01-15 17:00-19:00 (120 minutes); a bridging shift 17:00-20:00 closes either; "
         "with `08:00-19:00=2;19:00-08:00=1` the same roster plus the bridge is short "
         "08:00-17:00 and 17:30-19:00 (one rostered, two needed); 04-30 and 10-01 are winter "
         "days, 05-01 and 09-30 summer days.\n";
}
