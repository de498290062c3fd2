/* coverage.h: is every minute of every day staffed (DESIGN.md section 5,
 * "coverage")?
 *
 * For each minute of a window: how many people the roster plans, how many
 * of those were present (engine/workforce/presence.h), and the minimum of
 * the minute's band of the day ([coverage] minimum). A minute counts who
 * is rostered, or present, at its first instant; one person rostered twice
 * at once counts once. A gap is a maximal run of minutes short of the
 * minimum: kind "rostered" where the roster plans too few, kind "present"
 * (the past only) where too few of the rostered were there. docs/kpi.md
 * states the definitions.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "engine/config.h"
#include "engine/store.h"
#include "engine/workforce/roster.h"

G_BEGIN_DECLS

#define WB_COVERAGE_ERROR (wb_coverage_error_quark())
GQuark wb_coverage_error_quark(void);
typedef enum {
  WB_COVERAGE_ERROR_WINDOW, /* empty, or longer than WB_COVERAGE_MAX_DAYS */
  WB_COVERAGE_ERROR_CONFIG, /* [coverage] minimum does not parse */
} WbCoverageError;

/* The longest window one check takes (a quarter and a bit). */
#define WB_COVERAGE_MAX_DAYS 93

typedef enum {
  WB_COVERAGE_ROSTERED = 0,
  WB_COVERAGE_PRESENT,
} WbCoverageKind;

/* "rostered", "present". */
const char *wb_coverage_kind_name(WbCoverageKind kind);

typedef struct {
  WbCoverageKind kind;
  gint64 from_ms;
  gint64 to_ms; /* the end of the gap's last minute */
  gint minutes;
  gint required; /* the highest minimum of its minutes */
  gint rostered; /* the fewest rostered at one of its minutes */
  gint present;  /* the fewest present at one of its past minutes; -1: all future */
} WbCoverageGap;

typedef struct {
  gint64 from_ms; /* whole minutes: from rounded down, to up */
  gint64 to_ms;
  gint64 now_ms;
  guint n_minutes;
  GArray *minimum;   /* WbConfigBand, as configured */
  guint16 *required; /* per minute of the window */
  guint16 *rostered;
  guint16 *present; /* 0 from now on */
  GArray *gaps;     /* WbCoverageGap, by from_ms, rostered before present */
} WbCoverage;

void wb_coverage_free(WbCoverage *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbCoverage, wb_coverage_free)

/* Coverage of [from_ms, to_ms) from given roster rows (WbRosterShift*)
 * and presence spans (WbPresenceSpan*, may be NULL: nobody present).
 * Minutes at or after now_ms have no presence gaps. */
WbCoverage *wb_coverage_compute(const WbConfig *cfg, GTimeZone *tz, gint64 from_ms, gint64 to_ms,
                                gint64 now_ms, const GPtrArray *roster, const GPtrArray *spans,
                                GError **error);
/* The same from the store's roster table and presence evidence. */
WbCoverage *wb_coverage_check(WbStore *store, const WbConfig *cfg, GTimeZone *tz, gint64 from_ms,
                              gint64 to_ms, gint64 now_ms, GError **error);
/* The templates alone on one day, as if one person worked each template's
 * shift of that day and of the day before (the night that ends in the
 * morning): where the rota itself leaves the day short. */
WbCoverage *wb_coverage_of_templates(const WbConfig *cfg, GTimeZone *tz, const GDate *day,
                                     GError **error);

/* A gap of the templates alone in a season, on the clock of any day of it
 * (the season's templates every day, one person each). */
typedef struct {
  gint start_min; /* 0..1439 */
  gint end_min;   /* start_min < end_min <= start_min + 1440; past 1440: the next day */
  gint required;
  gint rostered;
} WbCoverageDayGap;

/* GArray of WbCoverageDayGap by start_min; a gap across midnight is one. */
GArray *wb_coverage_template_gaps(const WbConfig *cfg, WbRosterSeason season, GError **error);

/* The coverage section of docs/kpi.md: the definitions above in words. */
const char *wb_coverage_docs_markdown(void);

/* The object GET /api/v1/coverage answers (docs/protocol.md). */
void wb_coverage_json(JsonBuilder *b, const WbCoverage *c, const WbConfig *cfg, GTimeZone *tz);

G_END_DECLS
