/* staffing.h: live staffing (DESIGN.md section 5, "staffing").
 *
 * For the current staffing interval and the next ([staffing] interval_min):
 * a forecast of the calls offered, the agents Erlang C requires for it,
 * and who is at work now: rostered (a roster row covers now), present
 * (punched in or logged in, rostered or not) and on the phones (logged in
 * and neither paused nor offline in the live model).
 *
 * The forecast (docs/kpi.md, "Staffing"):
 *   history  the mean offered of the same interval on the last four same
 *            weekdays that have data (a day has data when the `intervals`
 *            table holds any total row of that day), looking back at most
 *            WB_STAFFING_LOOKBACK_WEEKS weeks; a day with data but no row
 *            for the interval counts as 0 calls.
 *   trend    calls offered in the last hour against the mean of the same
 *            hour on those days, clamped to [0.5, 2]; 1 when that hour of
 *            the history had no call.
 *   current  elapsed share f of the interval, o calls offered so far:
 *            live = o / f (the calls so far projected to the full length);
 *            forecast = f * live + (1 - f) * history * trend
 *                     = o + (1 - f) * history * trend.
 *            Without history the rest of the interval runs at the last
 *            hour's rate: forecast = o + (1 - f) * last hour's calls * L / 60.
 *   next     live = the last hour's calls * L / 60;
 *            forecast = history * trend, or live without history.
 * AHT is the history's (handle time / handled calls of those intervals),
 * else [staffing] default_aht_s. Required agents are Erlang C's for the
 * forecast against [kpi] target_service_level within sl_threshold_s and
 * [staffing] max_occupancy; scheduled adds [staffing] shrinkage. Erlang C
 * ignores callers who hang up: required is an upper bound.
 */
#pragma once

#include <glib.h>

#include "engine/config.h"
#include "engine/live.h"
#include "engine/store.h"
#include "engine/workforce/erlang.h"

G_BEGIN_DECLS

#define WB_STAFFING_HISTORY_DAYS 4
#define WB_STAFFING_LOOKBACK_WEEKS 8
#define WB_STAFFING_TREND_MIN 0.5
#define WB_STAFFING_TREND_MAX 2.0
/* The window of the live rate and of the trend. */
#define WB_STAFFING_RECENT_MS (3600 * 1000LL)
/* Erlang C looks no further: a forecast beyond it has no required number. */
#define WB_STAFFING_AGENTS_MAX 1000

/* What one interval's forecast is made of. NAN marks what is unknown. */
typedef struct {
  gdouble length_min;
  gboolean current;       /* the interval now under way */
  gdouble elapsed;        /* share of it gone, 0..1 (current only) */
  gdouble offered_so_far; /* calls offered in it so far (current only) */
  gdouble history;        /* mean offered on the history days; NAN: no day */
  gint history_days;      /* days the mean is over */
  gdouble recent;         /* calls offered in the last hour */
  gdouble recent_history; /* mean of the same hour on the history days; NAN: no day */
} WbStaffingEvidence;

typedef struct {
  gdouble offered;    /* the forecast */
  gdouble live;       /* the live estimate; NAN when none (current interval at its start) */
  gdouble trend;      /* the factor applied to the history; NAN when not used */
  const char *method; /* "blend" (history and live), "live" (no history) */
} WbStaffingForecast;

/* The rule above, on its own: the unit tests' entry and the docs' formula. */
void wb_staffing_forecast(const WbStaffingEvidence *ev, WbStaffingForecast *out);

typedef struct {
  gint64 from_ms;
  gint64 to_ms;
  WbStaffingEvidence evidence;
  WbStaffingForecast forecast;
  gdouble aht_s;
  gboolean aht_from_history;
  gboolean required_known; /* FALSE: no staffing up to WB_STAFFING_AGENTS_MAX meets the target */
  WbErlangInput erlang_input;
  WbErlangResult erlang; /* agents: required; scheduled: with shrinkage */
} WbStaffingInterval;

/* One person on duty: rostered now, or present now, or both. */
typedef struct {
  char *agent;
  char *name;        /* staff register, else [agent.KEY] name, else the key */
  char *role;        /* the roster row's, else the register's; NULL if neither */
  char *shift;       /* roster template code; NULL when not rostered now */
  char *shift_label; /* the template's label (wb_roster_template_find), else the code */
  gboolean rostered;
  gboolean present;
  WbAgentState state; /* in the live model now */
} WbStaffingPerson;

/* The shifts under way: roster rows covering now, grouped by template. */
typedef struct {
  char *code; /* "" for rows without a template */
  char *label;
  gint64 from_ms; /* earliest start and latest end of its rows covering now */
  gint64 to_ms;
  gint rostered;
  gint present;
} WbStaffingShift;

typedef struct {
  gint64 now_ms;
  gint size_min;
  WbStaffingInterval current;
  WbStaffingInterval next;
  gint rostered;
  gint present;
  gint on_phones;
  GPtrArray *shifts;  /* WbStaffingShift*, by start then code */
  GPtrArray *on_duty; /* WbStaffingPerson*: rostered (by shift start, agent), then the rest */
} WbStaffing;

void wb_staffing_free(WbStaffing *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbStaffing, wb_staffing_free)

/* The interval size [staffing] interval_min stands for: 15, 30 or 60. */
gint wb_staffing_interval_min(const WbConfig *cfg);

/* Everything above at now_ms, from the store (intervals, calls, roster,
 * staff, punches and agent sessions) and the live view (states now; NULL:
 * everybody offline). Reads only; NULL with error when a query fails. */
WbStaffing *wb_staffing_compute(WbStore *store, const WbConfig *cfg, GTimeZone *tz,
                                const WbLiveView *view, gint64 now_ms, GError **error);

/* The staffing section of docs/kpi.md: the rule above in words. */
const char *wb_staffing_docs_markdown(void);

/* The object of GET /api/v1/staffing and of the `staffing` topic
 * (docs/protocol.md): aggregates and names, no attendance detail. */
char *wb_staffing_json(const WbStaffing *s, const WbConfig *cfg, GTimeZone *tz);

G_END_DECLS
