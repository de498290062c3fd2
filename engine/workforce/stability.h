/* stability.h: staff stability (人员稳定率) and on-post headcount
 * (DESIGN.md section 5; docs/kpi.md "Stability and headcount").
 *
 * Who is on the staff on a day comes from the staff register (`staff`):
 * a person counts from the local day of `hired` up to, not including, the
 * local day of `left` (leaving on the 10th: not counted from the 10th).
 * Reserve-pool members (status reserve) are not on the staff. A person
 * without `hired` has been on the staff since before any period; a person
 * of status left without `left` left on the day of the record that said
 * so. The register holds each person's newest status, not its history.
 *
 * Stability over a period = (headcount at start - leavers of those) /
 * headcount at start; attrition = leavers / average daily headcount;
 * vacancy days = sum over the days of max(0, establishment - headcount).
 * A period that has not ended counts its days up to today ("to date").
 *
 * On-post headcount, the billing basis ("paid per actual on-post staff"):
 * a person-day is a local day on which the person was present (punched in
 * or logged in, engine/workforce/presence.h), whatever the register says.
 */
#pragma once

#include <glib.h>

#include "engine/store.h"

G_BEGIN_DECLS

typedef enum {
  WB_STABILITY_MONTH,
  WB_STABILITY_QUARTER,
  WB_STABILITY_YEAR,
} WbStabilityKind;

typedef struct {
  WbStabilityKind kind;
  gint year;
  gint index; /* month 1..12, quarter 1..4; 0 for a year */
} WbStabilityPeriod;

/* "2026-11", "2026-Q4" (or q4), "2026". FALSE if text is none of them. */
gboolean wb_stability_period_parse(const char *text, WbStabilityPeriod *out);
/* The period's name as parsed above. */
char *wb_stability_period_format(const WbStabilityPeriod *p);
/* The period of a kind that holds the local day of ms. */
WbStabilityPeriod wb_stability_period_of(GTimeZone *tz, WbStabilityKind kind, gint64 ms);
/* Local midnight of the period's first day, and of the day after its last. */
gint64 wb_stability_period_start_ms(GTimeZone *tz, const WbStabilityPeriod *p);
gint64 wb_stability_period_end_ms(GTimeZone *tz, const WbStabilityPeriod *p);

/* A person who left in the period, and who replaced them: the first
 * person of the same role hired on or after the day of leaving who has
 * not replaced an earlier leaver. */
typedef struct {
  char *agent;
  char *name;
  char *role; /* NULL if the register has none */
  gint64 left_ms;
  char *replaced_by; /* NULL: not yet replaced */
  gint64 replaced_ms;
  gint days_to_replace; /* -1: not yet replaced */
} WbStabilityLeaver;

typedef struct {
  gint64 from_ms;
  gint64 to_ms; /* end of the days counted: the period's end, or today's */
  gboolean complete;
  gint days;
  gint establishment;
  gdouble target;
  gint headcount_start;
  gint headcount_end; /* on the last day counted */
  gint hires;
  gint leavers;              /* everyone who left in the period */
  gint leavers_from_start;   /* of those on the staff at the start */
  gdouble stability;         /* NAN when headcount_start is 0 */
  gdouble average_headcount; /* NAN without days */
  gdouble attrition;         /* NAN when average_headcount is 0 or NAN */
  gint64 vacancy_days;
  gint replaced;
  gdouble mean_days_to_replace; /* NAN when none replaced */
  GPtrArray *leaver_list;       /* WbStabilityLeaver*, by day of leaving */
} WbStabilityResult;

/* Stability over [from_ms, to_ms) (local midnights) as of now_ms: days
 * after today are not counted. */
gboolean wb_stability_compute(WbStore *store, GTimeZone *tz, gint64 from_ms, gint64 to_ms,
                              gint64 now_ms, gint establishment, gdouble target,
                              WbStabilityResult *out, GError **error);
void wb_stability_result_clear(WbStabilityResult *r);

/* Present persons and person-days of one role in a window. */
typedef struct {
  char *role; /* NULL: no role in the register */
  gint headcount;
  gint64 person_days;
} WbOnPostRole;

typedef struct {
  char *agent;
  char *name; /* from the register; NULL if none */
  char *role;
  gint days;
} WbOnPostPerson;

typedef struct {
  gint64 from_ms;
  gint64 to_ms;
  gint headcount; /* distinct persons present at least one day */
  gint64 person_days;
  GPtrArray *roles;  /* WbOnPostRole*, by role name, no role last */
  GPtrArray *people; /* WbOnPostPerson*, by role then agent */
} WbOnPost;

/* On-post headcount and person-days over [from_ms, to_ms) as of now_ms. */
gboolean wb_stability_on_post(WbStore *store, GTimeZone *tz, gint64 from_ms, gint64 to_ms,
                              gint64 now_ms, WbOnPost *out, GError **error);
void wb_stability_on_post_clear(WbOnPost *p);

/* The "Stability and headcount" section of docs/kpi.md. */
const char *wb_stability_docs_markdown(void);

G_END_DECLS
