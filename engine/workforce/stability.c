/* stability.c: staff stability, vacancies and on-post headcount. */
#define G_LOG_DOMAIN "stability"

#include "engine/workforce/stability.h"

#include "engine/clock.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/store_private.h"
#include "engine/workforce/presence.h"

/* ---- periods ---- */

gboolean
wb_stability_period_parse(const char *text, WbStabilityPeriod *out)
{
  if (text == NULL)
    return FALSE;
  gsize n = strlen(text);
  for (gsize i = 0; i < 4; i++)
    if (i >= n || !g_ascii_isdigit(text[i]))
      return FALSE;
  WbStabilityPeriod p = {WB_STABILITY_YEAR, (gint)g_ascii_strtoll(text, NULL, 10), 0};
  /* The period's end must be a date GLib can hold (years up to 9999). */
  if (p.year < 1970 || p.year > 9998)
    return FALSE;
  if (n == 4) {
    *out = p;
    return TRUE;
  }
  if (n == 7 && text[4] == '-' && g_ascii_isdigit(text[5]) && g_ascii_isdigit(text[6])) {
    p.kind = WB_STABILITY_MONTH;
    p.index = (text[5] - '0') * 10 + (text[6] - '0');
    if (p.index < 1 || p.index > 12)
      return FALSE;
  } else if (n == 7 && text[4] == '-' && (text[5] == 'Q' || text[5] == 'q') && text[6] >= '1' &&
             text[6] <= '4') {
    p.kind = WB_STABILITY_QUARTER;
    p.index = text[6] - '0';
  } else {
    return FALSE;
  }
  *out = p;
  return TRUE;
}

char *
wb_stability_period_format(const WbStabilityPeriod *p)
{
  switch (p->kind) {
  case WB_STABILITY_MONTH: return g_strdup_printf("%04d-%02d", p->year, p->index);
  case WB_STABILITY_QUARTER: return g_strdup_printf("%04d-Q%d", p->year, p->index);
  case WB_STABILITY_YEAR: break;
  }
  return g_strdup_printf("%04d", p->year);
}

WbStabilityPeriod
wb_stability_period_of(GTimeZone *tz, WbStabilityKind kind, gint64 ms)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(ms / 1000);
  g_autoptr(GDateTime) local = g_date_time_to_timezone(t, tz);
  gint month = g_date_time_get_month(local);
  WbStabilityPeriod p = {kind, g_date_time_get_year(local), 0};
  if (kind == WB_STABILITY_MONTH)
    p.index = month;
  else if (kind == WB_STABILITY_QUARTER)
    p.index = (month - 1) / 3 + 1;
  return p;
}

/* The first month of the period and how many months it has. */
static void
period_months(const WbStabilityPeriod *p, gint *first, gint *count)
{
  switch (p->kind) {
  case WB_STABILITY_MONTH: *first = p->index, *count = 1; return;
  case WB_STABILITY_QUARTER: *first = (p->index - 1) * 3 + 1, *count = 3; return;
  case WB_STABILITY_YEAR: break;
  }
  *first = 1;
  *count = 12;
}

gint64
wb_stability_period_start_ms(GTimeZone *tz, const WbStabilityPeriod *p)
{
  gint first, count;
  period_months(p, &first, &count);
  return wb_day_midnight_ms(tz, p->year, first, 1);
}

gint64
wb_stability_period_end_ms(GTimeZone *tz, const WbStabilityPeriod *p)
{
  gint first, count;
  period_months(p, &first, &count);
  gint next = first + count;
  return next > 12 ? wb_day_midnight_ms(tz, p->year + 1, next - 12, 1)
                   : wb_day_midnight_ms(tz, p->year, next, 1);
}

/* ---- days ---- */

/* Local days as Julian day numbers: consecutive integers, so a count of
 * days is a subtraction whatever the month lengths. */
static gint
local_day(GTimeZone *tz, gint64 ms)
{
  /* Floor division: times before 1970 stay on their own day. */
  gint64 s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(s);
  g_autoptr(GDateTime) local = g_date_time_to_timezone(t, tz);
  GDate d;
  g_date_clear(&d, 1);
  g_date_set_dmy(&d, (GDateDay)g_date_time_get_day_of_month(local),
                 (GDateMonth)g_date_time_get_month(local), (GDateYear)g_date_time_get_year(local));
  return (gint)g_date_get_julian(&d);
}

static gint64
day_start_ms(GTimeZone *tz, gint julian)
{
  GDate d;
  g_date_clear(&d, 1);
  g_date_set_julian(&d, (guint32)julian);
  return wb_day_midnight_ms(tz, g_date_get_year(&d), g_date_get_month(&d), g_date_get_day(&d));
}

/* ---- the register ---- */

typedef struct {
  char *agent;
  char *name;
  char *role;
  gboolean reserve;
  gboolean has_hired, has_left;
  gint64 hired_ms, left_ms;
  gint hired_day, left_day;
} Member;

static void
member_free(gpointer p)
{
  Member *m = p;
  g_free(m->agent);
  g_free(m->name);
  g_free(m->role);
  g_free(m);
}

static char *
column_text(sqlite3_stmt *st, int i)
{
  const char *s = (const char *)sqlite3_column_text(st, i);
  return s != NULL && *s != '\0' ? g_strdup(s) : NULL;
}

static const char sql_staff[] =
    "SELECT agent, name, role, status, hired_ms, left_ms, updated_ms FROM staff ORDER BY agent";

/* Every person of the register, reserve included (flagged). */
static GPtrArray *
load_register(WbStore *store, GTimeZone *tz, GError **error)
{
  sqlite3_stmt *st = wb_store_statement(store, sql_staff, error);
  if (st == NULL)
    return NULL;
  g_autoptr(GPtrArray) members = g_ptr_array_new_with_free_func(member_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Member *m = g_new0(Member, 1);
    m->agent = column_text(st, 0);
    if (m->agent == NULL)
      m->agent = g_strdup("");
    m->name = column_text(st, 1);
    m->role = column_text(st, 2);
    const char *status = (const char *)sqlite3_column_text(st, 3);
    m->reserve = g_strcmp0(status, "reserve") == 0;
    m->has_hired = sqlite3_column_type(st, 4) != SQLITE_NULL;
    m->hired_ms = sqlite3_column_int64(st, 4);
    m->has_left = sqlite3_column_type(st, 5) != SQLITE_NULL;
    m->left_ms = sqlite3_column_int64(st, 5);
    /* Left without a date: the record that said so is the best date known. */
    if (!m->has_left && g_strcmp0(status, "left") == 0) {
      m->has_left = TRUE;
      m->left_ms = sqlite3_column_int64(st, 6);
    }
    m->hired_day = m->has_hired ? local_day(tz, m->hired_ms) : 0;
    m->left_day = m->has_left ? local_day(tz, m->left_ms) : 0;
    g_ptr_array_add(members, m);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    g_set_error(error, WB_STORE_ERROR, 0, "stability: reading staff failed: %s",
                sqlite3_errstr(rc));
    return NULL;
  }
  return g_steal_pointer(&members);
}

static gboolean
on_staff(const Member *m, gint day)
{
  return !m->reserve && (!m->has_hired || m->hired_day <= day) &&
         (!m->has_left || day < m->left_day);
}

static gint
headcount(const GPtrArray *members, gint day)
{
  gint n = 0;
  for (guint i = 0; i < members->len; i++)
    n += on_staff(g_ptr_array_index(members, i), day);
  return n;
}

/* ---- replacements ---- */

static gint
by_left_day(gconstpointer a, gconstpointer b)
{
  const Member *x = *(Member *const *)a, *y = *(Member *const *)b;
  return x->left_day != y->left_day ? (x->left_day < y->left_day ? -1 : 1)
                                    : strcmp(x->agent, y->agent);
}

static gint
by_hired_day(gconstpointer a, gconstpointer b)
{
  const Member *x = *(Member *const *)a, *y = *(Member *const *)b;
  return x->hired_day != y->hired_day ? (x->hired_day < y->hired_day ? -1 : 1)
                                      : strcmp(x->agent, y->agent);
}

static void
leaver_free(gpointer p)
{
  WbStabilityLeaver *l = p;
  g_free(l->agent);
  g_free(l->name);
  g_free(l->role);
  g_free(l->replaced_by);
  g_free(l);
}

/* Pairs every leaver up to today, in order of leaving, with the first
 * unused hire of the same role on or after the day of leaving, over the
 * whole register: a hire replaces one leaver, whichever period asks.
 * Returns the leavers whose day of leaving is in [first_day, end_day). */
static GPtrArray *
match_replacements(GTimeZone *tz, const GPtrArray *members, gint today, gint first_day,
                   gint end_day)
{
  g_autoptr(GPtrArray) leavers = g_ptr_array_new();
  g_autoptr(GPtrArray) hires = g_ptr_array_new();
  for (guint i = 0; i < members->len; i++) {
    Member *m = g_ptr_array_index(members, i);
    if (m->reserve)
      continue;
    if (m->has_left && m->left_day <= today)
      g_ptr_array_add(leavers, m);
    if (m->has_hired && m->hired_day <= today)
      g_ptr_array_add(hires, m);
  }
  g_ptr_array_sort(leavers, by_left_day);
  g_ptr_array_sort(hires, by_hired_day);
  g_autofree gboolean *used = g_new0(gboolean, hires->len + 1);
  GPtrArray *out = g_ptr_array_new_with_free_func(leaver_free);

  for (guint i = 0; i < leavers->len; i++) {
    const Member *m = g_ptr_array_index(leavers, i);
    const Member *by = NULL;
    for (guint k = 0; k < hires->len && by == NULL; k++) {
      const Member *h = g_ptr_array_index(hires, k);
      if (!used[k] && h != m && h->hired_day >= m->left_day && g_strcmp0(h->role, m->role) == 0) {
        used[k] = TRUE;
        by = h;
      }
    }
    if (m->left_day < first_day || m->left_day >= end_day)
      continue;
    WbStabilityLeaver *l = g_new0(WbStabilityLeaver, 1);
    l->agent = g_strdup(m->agent);
    l->name = g_strdup(m->name);
    l->role = g_strdup(m->role);
    l->left_ms = day_start_ms(tz, m->left_day);
    l->days_to_replace = -1;
    if (by != NULL) {
      l->replaced_by = g_strdup(by->agent);
      l->replaced_ms = day_start_ms(tz, by->hired_day);
      l->days_to_replace = by->hired_day - m->left_day;
    }
    g_ptr_array_add(out, l);
  }
  return out;
}

/* ---- stability ---- */

gboolean
wb_stability_compute(WbStore *store, GTimeZone *tz, gint64 from_ms, gint64 to_ms, gint64 now_ms,
                     gint establishment, gdouble target, WbStabilityResult *out, GError **error)
{
  memset(out, 0, sizeof(*out));
  g_autoptr(GPtrArray) members = load_register(store, tz, error);
  if (members == NULL)
    return FALSE;

  gint first_day = local_day(tz, from_ms);
  gint end_day = local_day(tz, to_ms); /* to_ms is a midnight: the day after */
  gint today = local_day(tz, now_ms);
  /* Days after today have not happened: a period in progress is "to date". */
  gint count_end = MAX(first_day, MIN(end_day, today + 1));

  out->from_ms = day_start_ms(tz, first_day);
  out->to_ms = day_start_ms(tz, count_end);
  out->complete = end_day <= today;
  out->days = count_end - first_day;
  out->establishment = establishment;
  out->target = target;
  out->headcount_start = headcount(members, first_day);
  out->headcount_end = out->days > 0 ? headcount(members, count_end - 1) : out->headcount_start;

  for (guint i = 0; i < members->len; i++) {
    const Member *m = g_ptr_array_index(members, i);
    if (m->reserve)
      continue;
    if (m->has_hired && m->hired_day >= first_day && m->hired_day < count_end)
      out->hires++;
    if (m->has_left && m->left_day >= first_day && m->left_day < count_end) {
      out->leavers++;
      out->leavers_from_start += on_staff(m, first_day);
    }
  }
  out->stability =
      out->headcount_start > 0
          ? (gdouble)(out->headcount_start - out->leavers_from_start) / out->headcount_start
          : NAN;

  gint64 person_days = 0;
  for (gint day = first_day; day < count_end; day++) {
    gint n = headcount(members, day);
    person_days += n;
    out->vacancy_days += MAX(0, establishment - n);
  }
  out->average_headcount = out->days > 0 ? (gdouble)person_days / out->days : NAN;
  out->attrition =
      out->days > 0 && out->average_headcount > 0 ? out->leavers / out->average_headcount : NAN;

  out->leaver_list = match_replacements(tz, members, today, first_day, count_end);
  gint64 replace_days = 0;
  for (guint i = 0; i < out->leaver_list->len; i++) {
    const WbStabilityLeaver *l = g_ptr_array_index(out->leaver_list, i);
    if (l->days_to_replace >= 0) {
      out->replaced++;
      replace_days += l->days_to_replace;
    }
  }
  out->mean_days_to_replace = out->replaced > 0 ? (gdouble)replace_days / out->replaced : NAN;
  return TRUE;
}

void
wb_stability_result_clear(WbStabilityResult *r)
{
  g_clear_pointer(&r->leaver_list, g_ptr_array_unref);
}

/* ---- on post ---- */

static void
role_free(gpointer p)
{
  WbOnPostRole *r = p;
  g_free(r->role);
  g_free(r);
}

static void
person_free(gpointer p)
{
  WbOnPostPerson *x = p;
  g_free(x->agent);
  g_free(x->name);
  g_free(x->role);
  g_free(x);
}

/* Roles by name; people without a role last. */
static gint
compare_role(const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return (a == NULL) - (b == NULL);
  return strcmp(a, b);
}

static gint
by_role_then_agent(gconstpointer a, gconstpointer b)
{
  const WbOnPostPerson *x = *(WbOnPostPerson *const *)a, *y = *(WbOnPostPerson *const *)b;
  gint c = compare_role(x->role, y->role);
  return c != 0 ? c : strcmp(x->agent, y->agent);
}

/* Days on which each agent was present: spans come sorted by agent and
 * time and never overlap, so one agent's days only grow. */
static GPtrArray *
present_people(const GPtrArray *spans, GTimeZone *tz, GHashTable *register_by_agent)
{
  GPtrArray *people = g_ptr_array_new_with_free_func(person_free);
  WbOnPostPerson *cur = NULL;
  gint last_day = G_MININT;

  for (guint i = 0; i < spans->len; i++) {
    const WbPresenceSpan *s = g_ptr_array_index(spans, i);
    if (s->to_ms <= s->from_ms)
      continue;
    if (cur == NULL || strcmp(cur->agent, s->agent) != 0) {
      const Member *m = g_hash_table_lookup(register_by_agent, s->agent);
      cur = g_new0(WbOnPostPerson, 1);
      cur->agent = g_strdup(s->agent);
      cur->name = m != NULL ? g_strdup(m->name) : NULL;
      cur->role = m != NULL ? g_strdup(m->role) : NULL;
      g_ptr_array_add(people, cur);
      last_day = G_MININT;
    }
    gint first = MAX(local_day(tz, s->from_ms), last_day + 1);
    gint last = local_day(tz, s->to_ms - 1);
    if (last >= first) {
      cur->days += last - first + 1;
      last_day = last;
    }
  }
  g_ptr_array_sort(people, by_role_then_agent);
  return people;
}

gboolean
wb_stability_on_post(WbStore *store, GTimeZone *tz, gint64 from_ms, gint64 to_ms, gint64 now_ms,
                     WbOnPost *out, GError **error)
{
  memset(out, 0, sizeof(*out));
  out->from_ms = from_ms;
  out->to_ms = to_ms;
  g_autoptr(GPtrArray) members = load_register(store, tz, error);
  if (members == NULL)
    return FALSE;
  g_autoptr(GPtrArray) spans = wb_presence_spans(store, from_ms, to_ms, now_ms, error);
  if (spans == NULL) {
    g_prefix_error(error, "stability: ");
    return FALSE;
  }
  g_autoptr(GHashTable) by_agent = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < members->len; i++) {
    Member *m = g_ptr_array_index(members, i);
    g_hash_table_insert(by_agent, m->agent, m);
  }

  out->people = present_people(spans, tz, by_agent);
  out->roles = g_ptr_array_new_with_free_func(role_free);
  WbOnPostRole *role = NULL;
  for (guint i = 0; i < out->people->len; i++) {
    const WbOnPostPerson *x = g_ptr_array_index(out->people, i);
    if (x->days == 0)
      continue;
    if (role == NULL || compare_role(role->role, x->role) != 0) {
      role = g_new0(WbOnPostRole, 1);
      role->role = g_strdup(x->role);
      g_ptr_array_add(out->roles, role);
    }
    role->headcount++;
    role->person_days += x->days;
    out->headcount++;
    out->person_days += x->days;
  }
  return TRUE;
}

void
wb_stability_on_post_clear(WbOnPost *p)
{
  g_clear_pointer(&p->roles, g_ptr_array_unref);
  g_clear_pointer(&p->people, g_ptr_array_unref);
}

/* ---- docs ---- */

/* clang-format off */
static const char docs_markdown[] =
  "\n## Stability and headcount\n\n"
  "From the staff register (`staff`: `wallboardctl import staff`, or `staff.record` events) "
  "and presence; `GET /api/v1/stability?period=YYYY-MM|YYYY-Qn|YYYY` "
  "(docs/protocol.md), configuration `[stability]`. Periods are months, quarters and "
  "years of local days (`[kpi] timezone`).\n\n"
  "- **On the staff on a day**: from the local day of `hired` up to, not including, the "
  "local day of `left`: a person who leaves on the 10th is not counted from the 10th. "
  "Status `reserve` (储备) never counts: the reserve pool is not on post. Status `leave` "
  "counts: the post is held. Without `hired`: on the staff since before any period. "
  "Status `left` without `left`: gone from the day of the record that said so. The "
  "register keeps each person's newest record, not a history of statuses.\n"
  "- **headcount_start**: on the staff on the period's first day (a person hired that day "
  "counts); **headcount_end**: on its last day counted. **hires**: `hired` in the period. "
  "**leavers**: `left` in the period; **leavers_from_start**: those of them counted at "
  "the start.\n"
  "- **stability** (人员稳定率) = (headcount_start - leavers_from_start) / "
  "headcount_start, `null` when headcount_start is 0; **meets_target**: stability >= "
  "`[stability] target` (0.8, the tender's). Only the starting headcount's leavers "
  "count, so stability stays within 0..1: a person hired and gone within the period is a "
  "leaver (and in attrition) but does not lower it.\n"
  "- **average_headcount**: the mean of the daily headcount over the days; **attrition** "
  "= leavers / average_headcount.\n"
  "- **vacancy_days** = the sum over the days of max(0, establishment - headcount that "
  "day), establishment `[stability] establishment` (10, the tender's team).\n"
  "- **days_to_replace** of a leaver: days from the day of leaving to the `hired` day of "
  "the replacement, the first person of the same role hired on or after that day who has "
  "not replaced an earlier leaver (leavers in order of leaving, over the whole register; "
  "hires up to today). `null` while there is none; **mean_days_to_replace** over the "
  "period's replaced leavers.\n"
  "- **A period in progress** counts its days up to today (`complete` false, `to` the end "
  "of today): month, quarter or year to date. Leavers and hires dated after today do not "
  "count yet. Every answer also carries `to_date`: the month, quarter and year that hold "
  "the period's last day (today, if sooner), each to date.\n\n"
  "Check (`tests/test_stability.c`): ten on the staff, one leaves on 10 November, the "
  "replacement is hired on the 25th: November's stability 0.9, vacancy days 15 (the 10th "
  "to the 24th), average headcount 285 / 30 = 9.5, attrition 1 / 9.5 = 0.1053, days to "
  "replace 15.\n\n"
  "### On-post headcount and person-days\n\n"
  "The tender pays per actual on-post staff, assessed monthly and settled quarterly; "
  "this is the basis.\n\n"
  "- A **person-day** is a local day on which the person was present, punched in or "
  "logged in to the phones (`engine/workforce/presence.h`), at any time of the day: a "
  "night shift from 19:00 to 08:00 is on post on both days. Presence counts whatever the "
  "register says (a reserve member who covers a shift was on post); the role is the "
  "register's, `null` for a person not in it.\n"
  "- **headcount**: distinct persons with at least one person-day, per role and in all.\n"
  "- `on_post.months`: each month of the period; `on_post.total`: the whole period (for a "
  "quarter, the quarterly summary): distinct persons over the period, person-days "
  "summed.\n";
/* clang-format on */

const char *
wb_stability_docs_markdown(void)
{
  return docs_markdown;
}
