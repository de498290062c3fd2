/* training.c: induction, in-service, safety and exam compliance. */
#define G_LOG_DOMAIN "training"

#include "engine/workforce/training.h"

#include <math.h>
#include <string.h>

#include "engine/store_private.h"

void
wb_training_rules_from_config(const WbConfig *cfg, WbTrainingRules *out)
{
  out->classroom = (const char *const *)cfg->training_induction_classroom;
  out->hands_on = (const char *const *)cfg->training_induction_hands_on;
  out->field = (const char *const *)cfg->training_induction_field;
  out->safety = (const char *const *)cfg->training_safety;
  out->induction_days = cfg->training_induction_days;
  out->classroom_days = cfg->training_induction_classroom_days;
  out->hands_on_days = cfg->training_induction_hands_on_days;
  out->field_days = cfg->training_induction_field_days;
  out->in_service_per_month = cfg->training_in_service_per_month;
  out->safety_per_year = cfg->training_safety_per_year;
  out->entry_exam_areas = cfg->training_entry_exam_areas;
  out->exam_pass_score = cfg->training_exam_pass_score;
}

static gboolean
listed(const char *const *names, const char *kind)
{
  for (gsize i = 0; names != NULL && names[i] != NULL; i++)
    if (*names[i] != '\0' && g_str_has_prefix(kind, names[i]))
      return TRUE;
  return FALSE;
}

WbTrainingClass
wb_training_classify(const WbTrainingRules *rules, const char *kind)
{
  if (kind == NULL)
    return WB_TRAINING_IN_SERVICE;
  if (listed(rules->classroom, kind))
    return WB_TRAINING_CLASSROOM;
  if (listed(rules->hands_on, kind))
    return WB_TRAINING_HANDS_ON;
  if (listed(rules->field, kind))
    return WB_TRAINING_FIELD;
  if (listed(rules->safety, kind))
    return WB_TRAINING_SAFETY;
  return WB_TRAINING_IN_SERVICE;
}

static gboolean
is_induction(WbTrainingClass c)
{
  return c == WB_TRAINING_CLASSROOM || c == WB_TRAINING_HANDS_ON || c == WB_TRAINING_FIELD;
}

static void
person_free(gpointer p)
{
  WbTrainingPerson *x = p;
  g_free(x->agent);
  g_free(x->name);
  g_free(x->role);
  g_free(x);
}

static char *
column_text(sqlite3_stmt *st, int i)
{
  const char *s = (const char *)sqlite3_column_text(st, i);
  return s != NULL && *s != '\0' ? g_strdup(s) : NULL;
}

static gboolean
step_failed(sqlite3_stmt *st, int rc, const char *what, GError **error)
{
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return FALSE;
  g_set_error(error, WB_STORE_ERROR, 0, "training: reading %s failed: %s", what,
              sqlite3_errstr(rc));
  return TRUE;
}

/* On the staff some day of [?1, ?2): hired before the end, not left by
 * the start (a left without a date left when the record said so). */
static const char sql_people[] =
    "SELECT agent, name, role,"
    " (hired_ms IS NULL OR hired_ms <= ?1)"
    " AND coalesce(left_ms, CASE WHEN status = 'left' THEN updated_ms END, ?2) >= ?2"
    " FROM staff WHERE status <> 'reserve'"
    " AND (hired_ms IS NULL OR hired_ms < ?2)"
    " AND coalesce(left_ms, CASE WHEN status = 'left' THEN updated_ms END, ?2) > ?1"
    " ORDER BY agent";
/* answer_ms >= enqueue_ms: the bound on enqueue_ms lets the index help. */
static const char sql_first_calls[] =
    "SELECT agent, min(answer_ms) FROM calls WHERE enqueue_ms < ?1 AND answer_ms < ?1"
    " AND agent IS NOT NULL GROUP BY agent";
static const char sql_training[] =
    "SELECT agent, date_ms, kind FROM training WHERE date_ms < ?1 ORDER BY agent, date_ms";
static const char sql_exams[] =
    "SELECT agent, date_ms, area, score FROM exams WHERE date_ms < ?1 ORDER BY agent, date_ms";

static gboolean
load_people(WbStore *store, gint64 from_ms, gint64 to_ms, GPtrArray *people, GHashTable *by_agent,
            GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, sql_people, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, from_ms);
  sqlite3_bind_int64(st, 2, to_ms);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    WbTrainingPerson *x = g_new0(WbTrainingPerson, 1);
    x->agent = g_strdup((const char *)sqlite3_column_text(st, 0));
    x->name = column_text(st, 1);
    x->role = column_text(st, 2);
    x->whole_month = sqlite3_column_int(st, 3) != 0;
    x->exam_score = NAN;
    g_ptr_array_add(people, x);
    g_hash_table_insert(by_agent, x->agent, x);
  }
  return !step_failed(st, rc, "staff", error);
}

static gboolean
load_first_calls(WbStore *store, gint64 limit_ms, GHashTable *by_agent, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, sql_first_calls, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, limit_ms);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    WbTrainingPerson *x = g_hash_table_lookup(by_agent, sqlite3_column_text(st, 0));
    if (x != NULL && sqlite3_column_type(st, 1) != SQLITE_NULL) {
      x->has_first_call = TRUE;
      x->first_call_ms = sqlite3_column_int64(st, 1);
    }
  }
  return !step_failed(st, rc, "calls", error);
}

/* Distinct local days: records come by agent and date, so a day already
 * counted is the last one seen. */
typedef struct {
  const char *agent;
  gint64 last[WB_TRAINING_SAFETY + 1];
  gint64 last_any;
} DayTracker;

static void
count_induction(WbTrainingPerson *x, DayTracker *t, WbTrainingClass c, gint64 day_ms)
{
  gint *days[] = {[WB_TRAINING_CLASSROOM] = &x->classroom_days,
                  [WB_TRAINING_HANDS_ON] = &x->hands_on_days,
                  [WB_TRAINING_FIELD] = &x->field_days};
  if (t->last[c] != day_ms) {
    t->last[c] = day_ms;
    (*days[c])++;
  }
  if (t->last_any != day_ms) {
    t->last_any = day_ms;
    x->induction_days++;
  }
}

static gint64
local_day_start(GTimeZone *tz, gint64 ms)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(ms / 1000);
  g_autoptr(GDateTime) local = g_date_time_to_timezone(t, tz);
  g_autoptr(GDateTime) midnight =
      g_date_time_new(tz, g_date_time_get_year(local), g_date_time_get_month(local),
                      g_date_time_get_day_of_month(local), 0, 0, 0);
  return g_date_time_to_unix(midnight) * 1000;
}

static gint64
year_start(GTimeZone *tz, gint64 ms)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(ms / 1000);
  g_autoptr(GDateTime) local = g_date_time_to_timezone(t, tz);
  g_autoptr(GDateTime) jan1 = g_date_time_new(tz, g_date_time_get_year(local), 1, 1, 0, 0, 0);
  return g_date_time_to_unix(jan1) * 1000;
}

static gboolean
scan_training(WbStore *store, GTimeZone *tz, const WbTrainingRules *rules, gint64 from_ms,
              gint64 limit_ms, GHashTable *by_agent, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, sql_training, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, limit_ms);
  gint64 jan1 = year_start(tz, from_ms);
  DayTracker t = {NULL};
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *agent = (const char *)sqlite3_column_text(st, 0);
    WbTrainingPerson *x = g_hash_table_lookup(by_agent, agent);
    if (x == NULL)
      continue;
    if (t.agent != x->agent) {
      memset(&t, 0, sizeof(t));
      t.agent = x->agent;
      for (gsize i = 0; i < G_N_ELEMENTS(t.last); i++)
        t.last[i] = G_MININT64;
      t.last_any = G_MININT64;
    }
    gint64 date_ms = sqlite3_column_int64(st, 1);
    WbTrainingClass c = wb_training_classify(rules, (const char *)sqlite3_column_text(st, 2));
    if (is_induction(c)) {
      if (!x->has_first_call || date_ms < x->first_call_ms)
        count_induction(x, &t, c, local_day_start(tz, date_ms));
      continue;
    }
    if (date_ms >= from_ms)
      x->in_service++;
    if (c == WB_TRAINING_SAFETY && date_ms >= jan1)
      x->safety++;
  }
  return !step_failed(st, rc, "training", error);
}

static gboolean
scan_exams(WbStore *store, const WbTrainingRules *rules, gint64 from_ms, gint64 limit_ms,
           GHashTable *by_agent, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, sql_exams, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, limit_ms);
  /* agent -> set of areas passed before the first call */
  g_autoptr(GHashTable) passed =
      g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_hash_table_unref);
  g_autoptr(GHashTable) sums = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    WbTrainingPerson *x = g_hash_table_lookup(by_agent, sqlite3_column_text(st, 0));
    if (x == NULL)
      continue;
    gint64 date_ms = sqlite3_column_int64(st, 1);
    const char *area = (const char *)sqlite3_column_text(st, 2);
    gdouble score = sqlite3_column_double(st, 3);
    gboolean entry = !x->has_first_call || date_ms < x->first_call_ms;
    if (entry && score >= rules->exam_pass_score && area != NULL) {
      GHashTable *areas = g_hash_table_lookup(passed, x->agent);
      if (areas == NULL) {
        areas = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_hash_table_insert(passed, x->agent, areas);
      }
      g_hash_table_add(areas, g_strdup(area));
    }
    /* Before any call, an exam is both: there is no other score to show. */
    if (date_ms >= from_ms && (!x->has_first_call || !entry)) {
      gdouble *sum = g_hash_table_lookup(sums, x->agent);
      if (sum == NULL) {
        sum = g_new0(gdouble, 1);
        g_hash_table_insert(sums, x->agent, sum);
      }
      *sum += score;
      x->exams++;
    }
  }
  if (step_failed(st, rc, "exams", error))
    return FALSE;
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, by_agent);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    WbTrainingPerson *x = value;
    GHashTable *areas = g_hash_table_lookup(passed, key);
    gdouble *sum = g_hash_table_lookup(sums, key);
    x->entry_areas_passed = areas != NULL ? (gint)g_hash_table_size(areas) : 0;
    x->exam_score = sum != NULL ? *sum / x->exams : NAN;
  }
  return TRUE;
}

static void
judge(const WbTrainingRules *rules, WbTrainingMonth *m)
{
  for (guint i = 0; i < m->people->len; i++) {
    WbTrainingPerson *x = g_ptr_array_index(m->people, i);
    x->induction_ok =
        x->induction_days >= rules->induction_days && x->classroom_days >= rules->classroom_days &&
        x->hands_on_days >= rules->hands_on_days && x->field_days >= rules->field_days;
    x->in_service_ok = x->in_service >= rules->in_service_per_month;
    x->safety_ok = x->safety >= rules->safety_per_year;
    x->entry_exam_ok = x->entry_areas_passed >= rules->entry_exam_areas;
    gboolean induction_bad = x->has_first_call && !x->induction_ok;
    gboolean entry_bad = x->has_first_call && !x->entry_exam_ok;
    m->short_induction += induction_bad;
    m->short_entry_exam += entry_bad;
    gboolean in_service_bad = x->whole_month && !x->in_service_ok;
    m->short_in_service += in_service_bad;
    m->short_safety += !x->safety_ok;
    x->compliant = !induction_bad && !entry_bad && !in_service_bad && x->safety_ok;
    m->any += !x->compliant;
  }
}

gboolean
wb_training_month(WbStore *store, GTimeZone *tz, const WbTrainingRules *rules, gint64 from_ms,
                  gint64 to_ms, gint64 now_ms, WbTrainingMonth *out, GError **error)
{
  memset(out, 0, sizeof(*out));
  out->from_ms = from_ms;
  out->to_ms = to_ms;
  out->people = g_ptr_array_new_with_free_func(person_free);
  /* Records dated today count; later ones are plans, not training. */
  gint64 limit_ms = MIN(to_ms, MAX(from_ms, now_ms + 1));
  g_autoptr(GHashTable) by_agent = g_hash_table_new(g_str_hash, g_str_equal);

  if (!load_people(store, from_ms, to_ms, out->people, by_agent, error) ||
      !load_first_calls(store, limit_ms, by_agent, error) ||
      !scan_training(store, tz, rules, from_ms, limit_ms, by_agent, error) ||
      !scan_exams(store, rules, from_ms, limit_ms, by_agent, error)) {
    wb_training_month_clear(out);
    return FALSE;
  }
  judge(rules, out);
  return TRUE;
}

void
wb_training_month_clear(WbTrainingMonth *m)
{
  g_clear_pointer(&m->people, g_ptr_array_unref);
}

/* ---- docs ---- */

/* clang-format off */
static const char docs_markdown[] =
  "\n## Training compliance\n\n"
  "From `training` and `exams` records (their kind and area are the centre's own text) "
  "and each person's first answered call (`calls`); `GET /api/v1/training?month=YYYY-MM` "
  "(docs/protocol.md), configuration `[training]`.\n\n"
  "- **Kinds**: `[training] induction_classroom`, `induction_hands_on`, "
  "`induction_field` and `safety` list the centre's names (defaults 岗前培训-理论, "
  "岗前培训-课堂, 入职培训-理论; 岗前培训-实操, 入职培训-实操; 岗前培训-跟岗, "
  "岗前培训-现场, 入职培训-跟岗; 安全培训, 信息安全培训, 消防安全). A kind equal to a "
  "listed name or starting with one is of that class (岗前培训-理论（政策法规） is "
  "classroom); the first list that matches wins, in that order. Every other kind is "
  "in-service training, and so is safety training. A bare 岗前培训 matches no list: name "
  "the part of induction.\n"
  "- **Induction** counts distinct local days before the first call the person answered; "
  "a record dated the day of the first call counts. Before any call, all induction so "
  "far. The tender asks at least 5 days, 3 classroom, 2 hands-on and 2 field practice, "
  "which add up to 7: we read four minimums that must all hold, >= 3 classroom days, >= "
  "2 hands-on days, >= 2 field-practice days and >= 5 distinct days in all, where a day "
  "of two kinds (at the desk in the morning, beside an agent in the afternoon) counts "
  "for both kinds but once in the total. Each figure is configurable.\n"
  "- **Entry exam**: distinct areas scored at least `exam_pass_score` (60) in exams "
  "dated before the first call (the day of the first call included); at least "
  "`entry_exam_areas` (5).\n"
  "- Induction and the entry exam are judged once the person has answered a call: "
  "before, `compliant` is `null` (still in training, not in breach).\n"
  "- **In-service training**: trainings dated in the month that are not induction, at "
  "least `in_service_per_month` (1). Judged for persons on the staff the whole month: "
  "the month of joining (induction) or of leaving gives `null`.\n"
  "- **Monthly exam score**: the mean of the month's exams that are not entry exams "
  "(for a person with no call yet, all the month's exams); `null` without any. It feeds "
  "the appraisal: no pass mark applies.\n"
  "- **Safety training**: safety trainings in the calendar year up to the month's end, at "
  "least `safety_per_year` (2). Before December, short means still due this year.\n"
  "- **Who**: everyone on the staff some day of the month, reserve excepted. "
  "`non_compliant` counts the persons breaking each rule, and `any` those breaking at "
  "least one. Records dated after today do not count yet.\n";
/* clang-format on */

const char *
wb_training_docs_markdown(void)
{
  return docs_markdown;
}
