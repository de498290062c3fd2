/* roster.c: shift templates by date, and the roster table. */
#define G_LOG_DOMAIN "roster"

#include "engine/workforce/roster.h"

#include <string.h>

#include "engine/store_private.h"

/* The tender's rota (REQUIREMENTS.md): "summer day 08:00-17:30, winter day
 * 08:00-17:00, night 19:00-08:00 next day". Alone they leave 17:30-19:00
 * (summer) and 17:00-19:00 (winter) uncovered, which the coverage check
 * shows until a bridging shift is rostered. */
static const WbShiftConfig default_shifts[] = {
    {
        .code = "白",
        .label = "白班",
        .start_min = 8 * 60,
        .end_min = -1,
        .summer_start_min = 8 * 60,
        .summer_end_min = 17 * 60 + 30,
        .winter_start_min = 8 * 60,
        .winter_end_min = 17 * 60,
    },
    {
        .code = "夜",
        .label = "夜班",
        .start_min = 19 * 60,
        .end_min = 8 * 60,
        .summer_start_min = 19 * 60,
        .summer_end_min = 8 * 60,
        .winter_start_min = 19 * 60,
        .winter_end_min = 8 * 60,
    },
};
static const WbShiftConfig *const default_templates[] = {&default_shifts[0], &default_shifts[1]};

/* Shifts last at most a day (engine/event_fields.c): a shift that overlaps
 * a window starts at most this long before it. */
#define SHIFT_MAX_MS (24 * 3600 * 1000LL)

static const char sql_roster[] = "SELECT agent, start_ms, end_ms, role, template FROM roster"
                                 " WHERE start_ms < ?2 AND start_ms >= ?1 - ?3 AND end_ms > ?1"
                                 " ORDER BY start_ms, agent";

const char *
wb_roster_season_name(WbRosterSeason season)
{
  return season == WB_ROSTER_WINTER ? "winter" : "summer";
}

WbRosterSeason
wb_roster_season(const WbConfig *cfg, const GDate *day)
{
  gint md = g_date_get_month(day) * 100 + g_date_get_day(day);
  gint summer = cfg->summer_from, winter = cfg->winter_from;
  gboolean is_summer = summer < winter ? md >= summer && md < winter : md >= summer || md < winter;
  return is_summer ? WB_ROSTER_SUMMER : WB_ROSTER_WINTER;
}

const WbShiftConfig *const *
wb_roster_templates(const WbConfig *cfg, guint *n)
{
  if (cfg->shifts->len > 0) {
    *n = cfg->shifts->len;
    return (const WbShiftConfig *const *)cfg->shifts->pdata;
  }
  *n = G_N_ELEMENTS(default_templates);
  return default_templates;
}

const WbShiftConfig *
wb_roster_template_find(const WbConfig *cfg, const char *code)
{
  guint n = 0;
  const WbShiftConfig *const *t = wb_roster_templates(cfg, &n);

  if (code == NULL || *code == '\0')
    return NULL;
  /* A code before a label: a label may be spelt like another's code. */
  for (guint i = 0; i < n; i++)
    if (g_ascii_strcasecmp(t[i]->code, code) == 0)
      return t[i];
  for (guint i = 0; i < n; i++)
    if (g_strcmp0(t[i]->label, code) == 0)
      return t[i];
  return NULL;
}

void
wb_roster_template_season_hours(const WbShiftConfig *shift, WbRosterSeason season, gint *start_min,
                                gint *end_min)
{
  gboolean winter = season == WB_ROSTER_WINTER;
  gint start = winter ? shift->winter_start_min : shift->summer_start_min;
  gint end = winter ? shift->winter_end_min : shift->summer_end_min;
  if (end <= start)
    end += 24 * 60;
  *start_min = start;
  *end_min = end;
}

void
wb_roster_template_hours(const WbConfig *cfg, const WbShiftConfig *shift, const GDate *day,
                         gint *start_min, gint *end_min)
{
  wb_roster_template_season_hours(shift, wb_roster_season(cfg, day), start_min, end_min);
}

gint64
wb_roster_local_ms(GTimeZone *tz, const GDate *day, gint minutes)
{
  /* By the calendar, then the wall clock: a day of a clock change has 23
   * or 25 hours, and 08:00 is 08:00 whatever happened at night. */
  GDate d = *day;
  g_date_add_days(&d, (guint)(minutes / (24 * 60)));
  minutes %= 24 * 60;
  g_autoptr(GDateTime) t = g_date_time_new(tz, g_date_get_year(&d), g_date_get_month(&d),
                                           g_date_get_day(&d), minutes / 60, minutes % 60, 0);
  if (t == NULL) /* beyond GDateTime's years: the UTC calendar will do */
    return ((gint64)g_date_get_julian(&d) - 719163) * 86400000LL + minutes * 60000LL;
  return g_date_time_to_unix(t) * 1000;
}

static WbRosterTemplate
template_on(const WbConfig *cfg, GTimeZone *tz, const WbShiftConfig *shift, const GDate *day)
{
  gint start = 0, end = 0;
  wb_roster_template_hours(cfg, shift, day, &start, &end);
  return (WbRosterTemplate){shift, wb_roster_local_ms(tz, day, start),
                            wb_roster_local_ms(tz, day, end)};
}

gboolean
wb_roster_template_for(const WbConfig *cfg, GTimeZone *tz, const char *code, const GDate *day,
                       gint64 *start_ms, gint64 *end_ms)
{
  const WbShiftConfig *shift = wb_roster_template_find(cfg, code);
  if (shift == NULL)
    return FALSE;
  WbRosterTemplate t = template_on(cfg, tz, shift, day);
  *start_ms = t.start_ms;
  *end_ms = t.end_ms;
  return TRUE;
}

GArray *
wb_roster_templates_on(const WbConfig *cfg, GTimeZone *tz, const GDate *day)
{
  guint n = 0;
  const WbShiftConfig *const *t = wb_roster_templates(cfg, &n);
  GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(WbRosterTemplate), n);

  for (guint i = 0; i < n; i++) {
    WbRosterTemplate r = template_on(cfg, tz, t[i], day);
    g_array_append_val(out, r);
  }
  return out;
}

gboolean
wb_roster_template_at(const WbConfig *cfg, GTimeZone *tz, gint64 ts_ms, WbRosterTemplate *out)
{
  GDate today, yesterday;
  gboolean found = FALSE;

  wb_day_of(tz, ts_ms, &today);
  yesterday = today;
  g_date_subtract_days(&yesterday, 1);
  const GDate *days[] = {&yesterday, &today};
  for (gsize d = 0; d < G_N_ELEMENTS(days); d++) {
    g_autoptr(GArray) on = wb_roster_templates_on(cfg, tz, days[d]);
    for (guint i = 0; i < on->len; i++) {
      const WbRosterTemplate *t = &g_array_index(on, WbRosterTemplate, i);
      if (t->start_ms <= ts_ms && ts_ms < t->end_ms && (!found || t->start_ms > out->start_ms)) {
        *out = *t;
        found = TRUE;
      }
    }
  }
  return found;
}

void
wb_roster_shift_free(WbRosterShift *shift)
{
  if (shift == NULL)
    return;
  g_free(shift->agent);
  g_free(shift->role);
  g_free(shift->template_code);
  g_free(shift);
}

static char *
column_text(sqlite3_stmt *st, int col)
{
  const unsigned char *s = sqlite3_column_text(st, col);
  return s != NULL && *s != '\0' ? g_strdup((const char *)s) : NULL;
}

GPtrArray *
wb_roster_load(WbStore *store, gint64 from_ms, gint64 to_ms, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, sql_roster, error);
  if (st == NULL)
    return NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)wb_roster_shift_free);
  sqlite3_bind_int64(st, 1, from_ms);
  sqlite3_bind_int64(st, 2, to_ms);
  sqlite3_bind_int64(st, 3, SHIFT_MAX_MS);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    WbRosterShift *s = g_new0(WbRosterShift, 1);
    s->agent = g_strdup((const char *)sqlite3_column_text(st, 0));
    s->start_ms = sqlite3_column_int64(st, 1);
    s->end_ms = sqlite3_column_int64(st, 2);
    s->role = column_text(st, 3);
    s->template_code = column_text(st, 4);
    g_ptr_array_add(rows, s);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    g_set_error(error, WB_STORE_ERROR, rc, "roster: sqlite3_step(select roster) failed: %s",
                sqlite3_errstr(rc));
    return NULL;
  }
  return g_steal_pointer(&rows);
}
