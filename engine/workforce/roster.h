/* roster.h: shift templates by date, and the roster as stored (DESIGN.md
 * section 5, "roster and coverage").
 *
 * A template ([shift.CODE], engine/config.h) names a shift's hours; they
 * may differ by season, the season being that of the shift's day ([roster]
 * summer_from, winter_from). Without any [shift.CODE] group the tender's
 * rota applies: 白 (白班) 08:00-17:30 in summer and 08:00-17:00 in winter,
 * 夜 (夜班) 19:00-08:00 the next day. Days are local calendar days of the
 * centre's time zone; a shift belongs to the day it starts.
 */
#pragma once

#include <glib.h>

#include "engine/config.h"
#include "engine/store.h"

G_BEGIN_DECLS

typedef enum { WB_ROSTER_SUMMER = 0, WB_ROSTER_WINTER, WB_ROSTER_SEASON_COUNT } WbRosterSeason;

/* "summer", "winter". */
const char *wb_roster_season_name(WbRosterSeason season);
/* The season of a day: summer from summer_from until the day before
 * winter_from, winter the rest of the year (summer all year if the two
 * are the same day). */
WbRosterSeason wb_roster_season(const WbConfig *cfg, const GDate *day);

/* The templates in effect, *n of them: the configured ones, or the
 * tender's two. Borrowed: they live as long as cfg. */
const WbShiftConfig *const *wb_roster_templates(const WbConfig *cfg, guint *n);
/* A template by code (ASCII case ignored) or label; NULL if none. */
const WbShiftConfig *wb_roster_template_find(const WbConfig *cfg, const char *code);
/* A template's hours in a season, in minutes after the local midnight of
 * the shift's day: 0 <= *start_min < *end_min <= *start_min + 1440 (an
 * end past 1440 is on the next day). */
void wb_roster_template_season_hours(const WbShiftConfig *shift, WbRosterSeason season,
                                     gint *start_min, gint *end_min);
/* The same for the season of day. */
void wb_roster_template_hours(const WbConfig *cfg, const WbShiftConfig *shift, const GDate *day,
                              gint *start_min, gint *end_min);

/* The shift of template `code` (or label) on day, as times. FALSE if no
 * template has that code. */
gboolean wb_roster_template_for(const WbConfig *cfg, GTimeZone *tz, const char *code,
                                const GDate *day, gint64 *start_ms, gint64 *end_ms);

typedef struct {
  const WbShiftConfig *shift; /* borrowed, see wb_roster_templates */
  gint64 start_ms;
  gint64 end_ms;
} WbRosterTemplate;

/* Each template's shift that starts on day, in template order: a GArray
 * of WbRosterTemplate. */
GArray *wb_roster_templates_on(const WbConfig *cfg, GTimeZone *tz, const GDate *day);
/* The template shift under way at ts_ms (begun that day or the day
 * before), the latest begun if several; FALSE if none is. */
gboolean wb_roster_template_at(const WbConfig *cfg, GTimeZone *tz, gint64 ts_ms,
                               WbRosterTemplate *out);

/* A row of the roster table. */
typedef struct {
  char *agent;
  gint64 start_ms;
  gint64 end_ms;
  char *role;          /* NULL if none */
  char *template_code; /* NULL if none */
} WbRosterShift;

void wb_roster_shift_free(WbRosterShift *shift);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbRosterShift, wb_roster_shift_free)

/* The rostered shifts that overlap [from_ms, to_ms), unclipped, by start
 * then agent: a GPtrArray of WbRosterShift* that frees them, or NULL with
 * error. */
GPtrArray *wb_roster_load(WbStore *store, gint64 from_ms, gint64 to_ms, GError **error);

/* The time `minutes` of wall clock after the local midnight of day
 * (minutes may pass 1440: a later day). */
gint64 wb_roster_local_ms(GTimeZone *tz, const GDate *day, gint minutes);

G_END_DECLS
