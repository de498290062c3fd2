/* training.h: training and exam compliance per person (DESIGN.md
 * section 5; docs/kpi.md "Training compliance").
 *
 * training.kind and exams.area are the centre's own free text. Kinds are
 * classified by the [training] lists: a kind equal to a listed name, or
 * starting with one ("岗前培训-理论（政策）" is classroom induction), is of
 * that class; the first list that matches wins, in the order classroom,
 * hands-on, field, safety. Every kind that is not induction is in-service
 * training, safety included.
 *
 * Induction counts distinct days before the person's first answered call
 * (a record dated the day of the first call counts); a day may count for
 * two kinds (hands-on at the desk and field practice on the floor) but
 * once in the total. Exams dated before the first call are entry exams;
 * the monthly exam score is the mean of the month's other exams (all of
 * them for a person who has not answered a call yet).
 */
#pragma once

#include <glib.h>

#include "engine/config.h"
#include "engine/store.h"

G_BEGIN_DECLS

typedef enum {
  WB_TRAINING_IN_SERVICE, /* none of the lists */
  WB_TRAINING_CLASSROOM,
  WB_TRAINING_HANDS_ON,
  WB_TRAINING_FIELD,
  WB_TRAINING_SAFETY, /* in-service too */
} WbTrainingClass;

/* The rules; lists are borrowed (NULL-terminated kind names). */
typedef struct {
  const char *const *classroom;
  const char *const *hands_on;
  const char *const *field;
  const char *const *safety;
  gint induction_days; /* distinct days of any induction kind */
  gint classroom_days;
  gint hands_on_days;
  gint field_days;
  gint in_service_per_month;
  gint safety_per_year;
  gint entry_exam_areas;
  gdouble exam_pass_score;
} WbTrainingRules;

/* The rules of [training], borrowing cfg's lists. */
void wb_training_rules_from_config(const WbConfig *cfg, WbTrainingRules *out);
WbTrainingClass wb_training_classify(const WbTrainingRules *rules, const char *kind);

typedef struct {
  char *agent;
  char *name;
  char *role;
  gboolean has_first_call; /* answered a call before the month's end */
  gint64 first_call_ms;
  gint classroom_days, hands_on_days, field_days, induction_days;
  gboolean induction_ok;  /* every minimum holds */
  gboolean whole_month;   /* on the staff every day of the month */
  gint in_service;        /* trainings in the month that are not induction */
  gboolean in_service_ok; /* judged only for whole_month: a month of joining is induction's */
  gint exams;             /* the month's exams that are not entry exams */
  gdouble exam_score;     /* their mean; NAN without any */
  gint safety;            /* safety trainings in the calendar year up to the month's end */
  gboolean safety_ok;
  gint entry_areas_passed; /* distinct areas scored >= the pass mark before the first call */
  gboolean entry_exam_ok;
  gboolean compliant; /* breaks none of the rules that apply */
} WbTrainingPerson;

typedef struct {
  gint64 from_ms;
  gint64 to_ms;
  GPtrArray *people; /* WbTrainingPerson*, by agent */
  /* Who breaks a rule. Induction and entry exams are judged once a person
   * has answered a call (before that, they are still in training);
   * in-service training in a month the person was on the staff throughout. */
  gint short_induction;
  gint short_in_service;
  gint short_safety;
  gint short_entry_exam;
  gint any; /* persons breaking at least one */
} WbTrainingMonth;

/* Compliance of everyone on the staff (not reserve) some day of the month
 * [from_ms, to_ms), with records up to min(to_ms, now_ms). */
gboolean wb_training_month(WbStore *store, GTimeZone *tz, const WbTrainingRules *rules,
                           gint64 from_ms, gint64 to_ms, gint64 now_ms, WbTrainingMonth *out,
                           GError **error);
void wb_training_month_clear(WbTrainingMonth *m);

/* The "Training compliance" section of docs/kpi.md. */
const char *wb_training_docs_markdown(void);

G_END_DECLS
