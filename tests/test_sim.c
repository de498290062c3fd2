/* test_sim.c: the demo traffic generator (collectors/sim.c).
 *
 * The generator is checked as a phone system would be by the people who read
 * its queue_log: every line well formed and in order, every call ending once,
 * staff logged in per the rota, traffic shaped like the hotline's. The file
 * side is checked by cutting files at awkward places and restarting: the
 * result must always be one uninterrupted run.
 */
#include "collectors/sim.h"

#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#define DAY_MS ((gint64)86400000)
#define HOUR_MS ((gint64)3600000)

/* ---- helpers --------------------------------------------------------------- */

static GTimeZone *
shanghai(void)
{
  GTimeZone *tz = g_time_zone_new_identifier("Asia/Shanghai");
  return tz ? tz : g_time_zone_new_offset(8 * 3600);
}

static gint64
local_ms(GTimeZone *tz, int year, int month, int day, int hour, int minute)
{
  g_autoptr(GDateTime) dt = g_date_time_new(tz, year, month, day, hour, minute, 0);
  return g_date_time_to_unix(dt) * 1000;
}

static void
append_line(const char *line, gsize len, gpointer data)
{
  g_string_append_len(data, line, (gssize)len);
}

static GString *
generate(guint64 seed, GTimeZone *tz, gint64 origin_ms, gint64 from_ms, gint64 to_ms)
{
  GString *out = g_string_new(NULL);
  wb_sim_generate(seed, tz, origin_ms, from_ms, to_ms, append_line, out);
  return out;
}

/* One parsed queue_log line. */
typedef struct {
  gint64 ts;
  char **field; /* callid, queue, agent, event, data... from index 1 */
  guint n;
} Line;

/* All lines of a text, parsed. */
typedef struct {
  GArray *array; /* of Line */
  Line *line;
  guint len;
} Lines;

static void
lines_free(Lines *lines)
{
  for (guint i = 0; i < lines->len; i++)
    g_strfreev(lines->line[i].field);
  g_array_unref(lines->array);
  g_free(lines);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Lines, lines_free)

static Lines *
parse(const GString *text)
{
  Lines *lines = g_new0(Lines, 1);
  lines->array = g_array_new(FALSE, FALSE, sizeof(Line));
  const char *p = text->str, *end = text->str + text->len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (gsize)(end - p));
    ck_assert_msg(nl != NULL, "last line has no newline");
    g_autofree char *line = g_strndup(p, (gsize)(nl - p));
    Line l = {0};
    l.field = g_strsplit(line, "|", -1);
    l.n = g_strv_length(l.field);
    ck_assert_msg(l.n >= 6, "too few fields: %s", line);
    l.ts = g_ascii_strtoll(l.field[0], NULL, 10);
    g_array_append_val(lines->array, l);
    p = nl + 1;
  }
  lines->line = (Line *)lines->array->data;
  lines->len = lines->array->len;
  return lines;
}

#define LINE(lines, i) (&(lines)->line[(i)])
#define EVENT(l) ((l)->field[4])
#define IS(l, name) (strcmp(EVENT(l), (name)) == 0)

static gboolean
is_agent_key(const char *key)
{
  gsize n;
  const WbSimAgent *agents = wb_sim_agents(&n);
  for (gsize i = 0; i < n; i++)
    if (strcmp(agents[i].key, key) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_queue_key(const char *key)
{
  gsize n;
  const WbSimQueue *queues = wb_sim_queues(&n);
  for (gsize i = 0; i < n; i++)
    if (strcmp(queues[i].key, key) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_uniqueid(const char *s)
{
  return g_regex_match_simple("^[0-9]{10}\\.[0-9]+$", s, 0, 0);
}

static GString *
read_file(const char *path)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  ck_assert_msg(g_file_get_contents(path, &contents, &len, &error), "%s",
                error ? error->message : "");
  return g_string_new_len(contents, (gssize)len);
}

static void
write_file(const char *path, const char *contents, gsize len)
{
  g_autoptr(GError) error = NULL;
  ck_assert_msg(g_file_set_contents(path, contents, (gssize)len, &error), "%s",
                error ? error->message : "");
}

static gint64
last_stamp(const GString *text)
{
  ck_assert(text->len > 0 && text->str[text->len - 1] == '\n');
  const char *start = text->str + text->len - 1;
  while (start > text->str && start[-1] != '\n')
    start--;
  return g_ascii_strtoll(start, NULL, 10);
}

/* ---- the tables ------------------------------------------------------------ */

START_TEST(test_tables)
{
  gsize n_agents, n_queues;
  const WbSimAgent *agents = wb_sim_agents(&n_agents);
  const WbSimQueue *queues = wb_sim_queues(&n_queues);
  ck_assert_uint_eq(n_agents, 9);
  ck_assert_uint_eq(n_queues, 2);
  for (gsize i = 0; i < n_agents; i++) {
    g_autofree char *key = g_strdup_printf("%zu", 8001 + i);
    ck_assert_str_eq(agents[i].key, key);
    ck_assert_str_eq(agents[i].role, i == 8 ? "lead" : "agent");
    ck_assert(g_utf8_validate(agents[i].name, -1, NULL) && agents[i].name[0]);
  }
  ck_assert_str_eq(queues[0].key, "policy");
  ck_assert_str_eq(queues[0].name, "政策咨询");
  ck_assert_str_eq(queues[1].key, "progress");
  ck_assert_str_eq(queues[1].name, "办证进度查询");
}
END_TEST

/* ---- determinism ----------------------------------------------------------- */

START_TEST(test_deterministic)
{
  g_autoptr(GTimeZone) tz = shanghai();
  gint64 origin = local_ms(tz, 2025, 3, 10, 0, 0);
  g_autoptr(GString) a = generate(7, tz, origin, origin, origin + DAY_MS);
  g_autoptr(GString) b = generate(7, tz, origin, origin, origin + DAY_MS);
  g_autoptr(GString) c = generate(8, tz, origin, origin, origin + DAY_MS);
  ck_assert_uint_gt(a->len, 10000);
  ck_assert(g_string_equal(a, b));
  ck_assert(!g_string_equal(a, c));
}
END_TEST

/* Any split of a window gives the same lines: what resuming relies on. */
static const gint64 split_points_ms[] = {
    0,
    1,
    999,
    1000,
    8 * HOUR_MS,
    8 * HOUR_MS + 1,
    10 * HOUR_MS + 12345,
    17 * HOUR_MS + 1800000,
    DAY_MS - 1,
    DAY_MS,
};

START_TEST(test_split_window)
{
  g_autoptr(GTimeZone) tz = shanghai();
  gint64 origin = local_ms(tz, 2025, 7, 1, 0, 0);
  gint64 cut = origin + split_points_ms[_i];
  g_autoptr(GString) whole = generate(3, tz, origin, origin, origin + DAY_MS + HOUR_MS);
  g_autoptr(GString) first = generate(3, tz, origin, origin, cut);
  g_autoptr(GString) second = generate(3, tz, origin, cut, origin + DAY_MS + HOUR_MS);
  g_string_append_len(first, second->str, (gssize)second->len);
  ck_assert(g_string_equal(whole, first));
}
END_TEST

START_TEST(test_window_bounds)
{
  g_autoptr(GTimeZone) tz = shanghai();
  gint64 origin = local_ms(tz, 2025, 7, 1, 0, 0);
  gint64 from = origin + 9 * HOUR_MS + 500, to = origin + 10 * HOUR_MS + 500;
  g_autoptr(GString) text = generate(3, tz, origin, from, to);
  g_autoptr(Lines) lines = parse(text);
  ck_assert_uint_gt(lines->len, 50);
  for (guint i = 0; i < lines->len; i++) {
    ck_assert_int_ge(LINE(lines, i)->ts * 1000, from);
    ck_assert_int_lt(LINE(lines, i)->ts * 1000, to);
  }
}
END_TEST

/* ---- line format ----------------------------------------------------------- */

typedef enum { ID_NONE, ID_MANAGER, ID_CALL } CallidKind;

static const struct {
  const char *event;
  guint data_fields;
  CallidKind callid;
  gboolean by_agent; /* agent column is a member, else NONE */
} line_kinds[] = {
    {"QUEUESTART", 1, ID_NONE, FALSE},     {"ADDMEMBER", 1, ID_MANAGER, TRUE},
    {"REMOVEMEMBER", 1, ID_MANAGER, TRUE}, {"PAUSE", 1, ID_NONE, TRUE},
    {"UNPAUSE", 1, ID_NONE, TRUE},         {"ENTERQUEUE", 3, ID_CALL, FALSE},
    {"RINGNOANSWER", 1, ID_CALL, TRUE},    {"CONNECT", 3, ID_CALL, TRUE},
    {"COMPLETECALLER", 3, ID_CALL, TRUE},  {"COMPLETEAGENT", 3, ID_CALL, TRUE},
    {"BLINDTRANSFER", 5, ID_CALL, TRUE},   {"ABANDON", 3, ID_CALL, FALSE},
    {"EXITEMPTY", 3, ID_CALL, FALSE},      {"EXITWITHTIMEOUT", 3, ID_CALL, FALSE},
};

static void
check_line(const Line *l)
{
  for (gsize k = 0; k < G_N_ELEMENTS(line_kinds); k++) {
    if (!IS(l, line_kinds[k].event))
      continue;
    ck_assert_uint_eq(l->n, 5 + line_kinds[k].data_fields);
    const char *callid = l->field[1];
    switch (line_kinds[k].callid) {
    case ID_NONE: ck_assert_str_eq(callid, "NONE"); break;
    case ID_MANAGER: ck_assert_str_eq(callid, "MANAGER"); break;
    case ID_CALL: ck_assert_msg(is_uniqueid(callid), "bad callid %s", callid); break;
    }
    if (IS(l, "QUEUESTART"))
      ck_assert_str_eq(l->field[2], "NONE");
    else
      ck_assert_msg(is_queue_key(l->field[2]), "bad queue %s", l->field[2]);
    if (line_kinds[k].by_agent)
      ck_assert_msg(is_agent_key(l->field[3]), "bad agent %s", l->field[3]);
    else
      ck_assert_str_eq(l->field[3], "NONE");
    return;
  }
  ck_abort_msg("unexpected event %s", EVENT(l));
}

START_TEST(test_line_format)
{
  g_autoptr(GTimeZone) tz = shanghai();
  gint64 origin = local_ms(tz, 2025, 4, 28, 0, 0);
  g_autoptr(GString) text = generate(11, tz, origin, origin, origin + 7 * DAY_MS);
  g_autoptr(Lines) lines = parse(text);
  ck_assert_str_eq(EVENT(LINE(lines, 0)), "QUEUESTART");
  ck_assert_int_eq(LINE(lines, 0)->ts * 1000, origin);
  for (guint i = 0; i < lines->len; i++) {
    const Line *l = LINE(lines, i);
    ck_assert_msg(g_regex_match_simple("^[0-9]{10}$", l->field[0], 0, 0), "bad epoch %s",
                  l->field[0]);
    if (i > 0)
      ck_assert_int_ge(l->ts, LINE(lines, i - 1)->ts);
    check_line(l);
    if (IS(l, "ENTERQUEUE")) {
      ck_assert_str_eq(l->field[5], "");
      ck_assert_msg(g_regex_match_simple("^1[3-9][0-9]{9}$", l->field[6], 0, 0), "caller %s",
                    l->field[6]);
      /* the IVR runs 3-8 s between the channel's creation and the queue */
      gint64 ivr = l->ts - g_ascii_strtoll(l->field[1], NULL, 10);
      ck_assert_int_ge(ivr, 3);
      ck_assert_int_le(ivr, 8);
    }
    if (IS(l, "RINGNOANSWER"))
      ck_assert_str_eq(l->field[5], "15000");
  }
}
END_TEST

/* ---- calls ----------------------------------------------------------------- */

typedef struct {
  gint64 enter;
  gint64 connect; /* 0 until answered */
  int orig_pos;
  gboolean ended;
} CallTrack;

static void
check_end_fields(const Line *l, const CallTrack *call)
{
  guint d = 5; /* first data field */
  if (IS(l, "BLINDTRANSFER"))
    d += 2;
  ck_assert_int_eq(g_ascii_strtoll(l->field[d], NULL, 10), call->connect - call->enter);
  ck_assert_int_eq(g_ascii_strtoll(l->field[d + 1], NULL, 10), l->ts - call->connect);
  ck_assert_int_eq(atoi(l->field[d + 2]), call->orig_pos);
}

static void
track_call(GHashTable *calls, const Line *l)
{
  CallTrack *call = g_hash_table_lookup(calls, l->field[1]);
  if (IS(l, "ENTERQUEUE")) {
    ck_assert_msg(call == NULL, "%s entered twice", l->field[1]);
    call = g_new0(CallTrack, 1);
    call->enter = l->ts;
    call->orig_pos = atoi(l->field[7]);
    g_hash_table_insert(calls, g_strdup(l->field[1]), call);
    return;
  }
  ck_assert_msg(call && !call->ended, "%s %s without an open call", l->field[1], EVENT(l));
  if (IS(l, "RINGNOANSWER")) {
    ck_assert(!call->connect);
  } else if (IS(l, "CONNECT")) {
    ck_assert(!call->connect);
    call->connect = l->ts;
    ck_assert_int_eq(g_ascii_strtoll(l->field[5], NULL, 10), l->ts - call->enter);
    ck_assert(is_uniqueid(l->field[6]));
  } else if (IS(l, "COMPLETECALLER") || IS(l, "COMPLETEAGENT") || IS(l, "BLINDTRANSFER")) {
    ck_assert_msg(call->connect, "%s ended talking without CONNECT", l->field[1]);
    check_end_fields(l, call);
    call->ended = TRUE;
  } else {
    /* ABANDON, EXITEMPTY, EXITWITHTIMEOUT: position|origpos|wait */
    ck_assert(!call->connect);
    ck_assert_int_ge(atoi(l->field[5]), 1);
    ck_assert_int_eq(atoi(l->field[6]), call->orig_pos);
    ck_assert_int_eq(g_ascii_strtoll(l->field[7], NULL, 10), l->ts - call->enter);
    if (IS(l, "EXITWITHTIMEOUT"))
      ck_assert_int_eq(l->ts - call->enter, 300);
    call->ended = TRUE;
  }
}

START_TEST(test_calls_end_once)
{
  g_autoptr(GTimeZone) tz = shanghai();
  gint64 origin = local_ms(tz, 2025, 8, 4, 0, 0), end = origin + 3 * DAY_MS;
  g_autoptr(GString) text = generate(5, tz, origin, origin, end);
  g_autoptr(Lines) lines = parse(text);
  g_autoptr(GHashTable) calls = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < lines->len; i++) {
    const Line *l = LINE(lines, i);
    if (strcmp(l->field[1], "NONE") != 0 && strcmp(l->field[1], "MANAGER") != 0)
      track_call(calls, l);
  }
  GHashTableIter iter;
  gpointer key, value;
  guint open = 0;
  g_hash_table_iter_init(&iter, calls);
  while (g_hash_table_iter_next(&iter, &key, &value)) {
    CallTrack *call = value;
    if (call->ended)
      continue;
    /* only calls that could still be waiting or talking at the end */
    ck_assert_msg(call->enter * 1000 > end - 1600 * 1000, "%s never ended", (char *)key);
    open++;
  }
  ck_assert_uint_gt(g_hash_table_size(calls), 900);
  ck_assert_uint_lt(open, 10);
}
END_TEST

/* ---- agents ---------------------------------------------------------------- */

typedef struct {
  gboolean member[2];
  const char *paused[2]; /* reason, or NULL */
  const char *on_call;   /* callid */
} AgentTrack;

static int
queue_index(const char *key)
{
  return strcmp(key, "policy") == 0 ? 0 : 1;
}

static void
track_agent(GHashTable *agents, const Line *l)
{
  AgentTrack *agent = g_hash_table_lookup(agents, l->field[3]);
  if (!agent) {
    agent = g_new0(AgentTrack, 1);
    g_hash_table_insert(agents, g_strdup(l->field[3]), agent);
  }
  int q = queue_index(l->field[2]);
  if (IS(l, "ADDMEMBER")) {
    ck_assert(!agent->member[q]);
    agent->member[q] = TRUE;
  } else if (IS(l, "REMOVEMEMBER")) {
    ck_assert(agent->member[q] && !agent->on_call && !agent->paused[q]);
    agent->member[q] = FALSE;
  } else if (IS(l, "PAUSE")) {
    ck_assert(agent->member[q] && !agent->paused[q] && !agent->on_call);
    agent->paused[q] = l->field[5];
  } else if (IS(l, "UNPAUSE")) {
    ck_assert(agent->paused[q] && strcmp(agent->paused[q], l->field[5]) == 0);
    agent->paused[q] = NULL;
  } else if (IS(l, "CONNECT")) {
    ck_assert_msg(agent->member[q] && !agent->paused[q] && !agent->on_call,
                  "%s connected while unavailable", l->field[3]);
    agent->on_call = l->field[1];
  } else if (IS(l, "RINGNOANSWER")) {
    ck_assert(agent->member[q] && !agent->paused[q] && !agent->on_call);
  } else if (!IS(l, "ENTERQUEUE") && !IS(l, "QUEUESTART")) {
    ck_assert_str_eq(agent->on_call, l->field[1]);
    agent->on_call = NULL;
  }
}

START_TEST(test_agent_states)
{
  g_autoptr(GTimeZone) tz = shanghai();
  gint64 origin = local_ms(tz, 2025, 11, 3, 0, 0);
  g_autoptr(GString) text = generate(9, tz, origin, origin, origin + 7 * DAY_MS);
  g_autoptr(Lines) lines = parse(text);
  g_autoptr(GHashTable) agents = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) reasons = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < lines->len; i++) {
    const Line *l = LINE(lines, i);
    if (strcmp(l->field[3], "NONE") != 0)
      track_agent(agents, l);
    if (IS(l, "PAUSE"))
      g_hash_table_add(reasons, l->field[5]);
  }
  ck_assert_uint_eq(g_hash_table_size(agents), 9);
  const char *expected[] = {"小休", "用餐", "培训", WB_SIM_WRAPUP_REASON};
  for (gsize i = 0; i < G_N_ELEMENTS(expected); i++)
    ck_assert_msg(g_hash_table_contains(reasons, expected[i]), "no pause %s", expected[i]);
  ck_assert_uint_eq(g_hash_table_size(reasons), G_N_ELEMENTS(expected));
}
END_TEST

/* Who is logged in (to any queue) as the lines go by. */
static void
update_logged_in(GHashTable *logged_in, const Line *l)
{
  if (IS(l, "ADDMEMBER"))
    g_hash_table_add(logged_in, l->field[3]);
  else if (IS(l, "REMOVEMEMBER"))
    g_hash_table_remove(logged_in, l->field[3]);
}

static const struct {
  int year, month, day;
  int gap_start_min; /* the day shift ends */
} gaps[] = {
    {2025, 6, 10, 17 * 60 + 30}, /* summer, a Tuesday */
    {2025, 9, 30, 17 * 60 + 30}, /* the last summer day */
    {2025, 10, 1, 17 * 60},      /* the first winter day */
    {2026, 1, 17, 17 * 60},      /* winter, a Saturday */
};

START_TEST(test_evening_gap)
{
  g_autoptr(GTimeZone) tz = shanghai();
  gint64 origin = local_ms(tz, gaps[_i].year, gaps[_i].month, gaps[_i].day, 0, 0);
  gint64 gap_start = origin + gaps[_i].gap_start_min * 60000, gap_end = origin + 19 * HOUR_MS;
  g_autoptr(GString) text = generate(21, tz, origin, origin, origin + DAY_MS);
  g_autoptr(Lines) lines = parse(text);
  g_autoptr(GHashTable) logged_in = g_hash_table_new(g_str_hash, g_str_equal);
  g_autoptr(GHashTable) stranded = g_hash_table_new(g_str_hash, g_str_equal);
  guint exitempty = 0, adds_at_gap_end = 0;
  for (guint i = 0; i < lines->len; i++) {
    const Line *l = LINE(lines, i);
    gint64 ms = l->ts * 1000;
    update_logged_in(logged_in, l);
    if (IS(l, "ADDMEMBER")) {
      ck_assert_msg(ms < gap_start || ms >= gap_end, "login in the gap");
      adds_at_gap_end += ms == gap_end;
    }
    /* after the shift's last calls nobody is left until the night shift */
    if (ms >= gap_start + 25 * 60000 && ms < gap_end)
      ck_assert_uint_eq(g_hash_table_size(logged_in), 0);
    if (IS(l, "ENTERQUEUE") && g_hash_table_size(logged_in) == 0)
      g_hash_table_add(stranded, l->field[1]);
    if (g_hash_table_contains(stranded, l->field[1]) && !IS(l, "ENTERQUEUE")) {
      ck_assert_str_eq(EVENT(l), "EXITEMPTY");
      exitempty++;
    }
  }
  ck_assert_uint_gt(exitempty, 5);
  ck_assert_uint_eq(exitempty, g_hash_table_size(stranded));
  ck_assert_uint_ge(adds_at_gap_end, 2); /* at least one night agent, both queues */
}
END_TEST

static gboolean
is_wrapup(const Line *l, const char *event)
{
  /* one line per queue: look at the policy queue's */
  return IS(l, event) && strcmp(l->field[5], WB_SIM_WRAPUP_REASON) == 0 &&
         strcmp(l->field[2], "policy") == 0;
}

START_TEST(test_wrapup)
{
  g_autoptr(GTimeZone) tz = shanghai();
  gint64 origin = local_ms(tz, 2025, 5, 12, 0, 0);
  g_autoptr(GString) text = generate(13, tz, origin, origin, origin + 5 * DAY_MS);
  g_autoptr(Lines) lines = parse(text);
  g_autoptr(GHashTable) started = g_hash_table_new(g_str_hash, g_str_equal);
  guint handled = 0, wrapups = 0;
  for (guint i = 0; i < lines->len; i++) {
    const Line *l = LINE(lines, i);
    if (IS(l, "COMPLETECALLER") || IS(l, "COMPLETEAGENT") || IS(l, "BLINDTRANSFER"))
      handled++;
    if (is_wrapup(l, "PAUSE")) {
      /* wrap-up follows the agent's call, in the same second */
      const Line *call_end = LINE(lines, i - 1);
      ck_assert_int_eq(call_end->ts, l->ts);
      ck_assert_str_eq(call_end->field[3], l->field[3]);
      ck_assert(g_str_has_prefix(EVENT(call_end), "COMPLETE") || IS(call_end, "BLINDTRANSFER"));
      g_hash_table_insert(started, l->field[3], GSIZE_TO_POINTER((gsize)l->ts));
      wrapups++;
    } else if (is_wrapup(l, "UNPAUSE")) {
      gint64 since = (gint64)GPOINTER_TO_SIZE(g_hash_table_lookup(started, l->field[3]));
      ck_assert_int_ge(l->ts - since, 20);
      ck_assert_int_le(l->ts - since, 90);
      g_hash_table_remove(started, l->field[3]);
    }
  }
  ck_assert_uint_gt(handled, 1000);
  ck_assert_msg(wrapups * 10 > handled * 3 && wrapups * 10 < handled * 5,
                "%u wrap-ups for %u calls", wrapups, handled);
}
END_TEST

/* ---- traffic shape --------------------------------------------------------- */

START_TEST(test_traffic_profile)
{
  g_autoptr(GTimeZone) tz = shanghai();
  gint64 monday = local_ms(tz, 2025, 3, 3, 0, 0);
  g_autoptr(GString) text = generate(17, tz, monday, monday, monday + 14 * DAY_MS);
  g_autoptr(Lines) lines = parse(text);
  guint weekday_hour[24] = {0}, by_day[14] = {0}, policy = 0, calls = 0, repeats = 0;
  g_autoptr(GHashTable) callers_today = g_hash_table_new(g_str_hash, g_str_equal);
  int today = 0;
  for (guint i = 0; i < lines->len; i++) {
    const Line *l = LINE(lines, i);
    if (!IS(l, "ENTERQUEUE"))
      continue;
    int day = (int)((l->ts * 1000 - monday) / DAY_MS);
    if (day != today)
      g_hash_table_remove_all(callers_today);
    today = day;
    if (day % 7 < 5) {
      g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(l->ts);
      g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, tz);
      weekday_hour[g_date_time_get_hour(local)]++;
    }
    by_day[day]++;
    policy += strcmp(l->field[2], "policy") == 0;
    calls++;
    repeats += !g_hash_table_add(callers_today, l->field[6]);
  }
  /* per weekday (10 of them): 40-55 calls an hour at the peaks, 1-3 at night */
  guint peak = weekday_hour[9] + weekday_hour[10], night = weekday_hour[2] + weekday_hour[3];
  ck_assert_msg(peak > 10 * night + 200, "peak %u night %u", peak, night);
  ck_assert_msg(weekday_hour[10] >= 10 * 40 && weekday_hour[10] <= 10 * 60, "%u at 10 h",
                weekday_hour[10]);
  ck_assert_msg(night <= 2 * 10 * 3, "%u at 2-4 h", night);
  ck_assert_uint_gt(weekday_hour[10], weekday_hour[12]); /* the lunch dip */
  ck_assert_uint_gt(weekday_hour[15], weekday_hour[12]);
  ck_assert_uint_gt(weekday_hour[9], weekday_hour[7] * 4); /* the steep rise from 8 */
  /* weekends about 60 % of weekdays */
  guint weekday = 0, weekend = 0;
  for (int d = 0; d < 14; d++)
    *(d % 7 < 5 ? &weekday : &weekend) += by_day[d];
  double ratio = (weekend / 4.0) / (weekday / 10.0);
  ck_assert_msg(ratio > 0.45 && ratio < 0.75, "weekend/weekday %.2f", ratio);
  ck_assert_uint_gt(policy * 100, calls * 65);
  ck_assert_uint_lt(policy * 100, calls * 75);
  ck_assert_msg(repeats * 100 > calls * 4 && repeats * 100 < calls * 12, "%u repeats of %u",
                repeats, calls);
}
END_TEST

/* ---- the file -------------------------------------------------------------- */

typedef struct {
  char *dir;
  char *path;
  char *sidecar;
  char *rotated;
  GTimeZone *tz;
} Fixture;

static void
fixture_free(Fixture *fx)
{
  g_unlink(fx->path);
  g_unlink(fx->sidecar);
  g_unlink(fx->rotated);
  g_rmdir(fx->dir);
  g_free(fx->dir);
  g_free(fx->path);
  g_free(fx->sidecar);
  g_free(fx->rotated);
  g_time_zone_unref(fx->tz);
  g_free(fx);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Fixture, fixture_free)

static Fixture *
fixture_new(void)
{
  Fixture *fx = g_new0(Fixture, 1);
  g_autoptr(GError) error = NULL;
  fx->dir = g_dir_make_tmp("test_sim-XXXXXX", &error);
  ck_assert_msg(fx->dir != NULL, "%s", error ? error->message : "");
  fx->path = g_build_filename(fx->dir, "queue_log", NULL);
  fx->sidecar = g_strconcat(fx->path, ".sim", NULL);
  fx->rotated = g_strconcat(fx->path, ".1", NULL);
  fx->tz = shanghai();
  return fx;
}

static WbSim *
start(Fixture *fx, guint64 seed, double speed)
{
  WbSimOptions opts = {.path = fx->path, .seed = seed, .speed = speed, .tz = fx->tz};
  g_autoptr(GError) error = NULL;
  WbSim *sim = wb_sim_start(&opts, &error);
  ck_assert_msg(sim != NULL, "%s", error ? error->message : "");
  return sim;
}

static void
write_sidecar(Fixture *fx, guint64 seed, gint64 origin_ms)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) error = NULL;
  g_key_file_set_uint64(kf, "sim", "seed", seed);
  g_key_file_set_int64(kf, "sim", "origin_ms", origin_ms);
  g_key_file_set_string(kf, "sim", "tz", g_time_zone_get_identifier(fx->tz));
  ck_assert_msg(g_key_file_save_to_file(kf, fx->sidecar, &error), "%s", error->message);
}

static void
read_sidecar(Fixture *fx, guint64 *seed, gint64 *origin_ms)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) error = NULL;
  ck_assert_msg(g_key_file_load_from_file(kf, fx->sidecar, G_KEY_FILE_NONE, &error), "%s",
                error->message);
  *seed = g_key_file_get_uint64(kf, "sim", "seed", NULL);
  *origin_ms = g_key_file_get_int64(kf, "sim", "origin_ms", NULL);
}

static gint64
today_midnight_ms(GTimeZone *tz)
{
  g_autoptr(GDateTime) now = g_date_time_new_now(tz);
  return local_ms(tz, g_date_time_get_year(now), g_date_time_get_month(now),
                  g_date_time_get_day_of_month(now), 0, 0);
}

/* The file must be exactly the run from the sidecar's origin up to its last
 * line, and reach at least `at_least_ms`. */
static void
assert_one_run(Fixture *fx, guint64 seed, gint64 at_least_ms)
{
  guint64 sidecar_seed;
  gint64 origin;
  read_sidecar(fx, &sidecar_seed, &origin);
  ck_assert_uint_eq(sidecar_seed, seed);
  g_autoptr(GString) file = read_file(fx->path);
  gint64 last = last_stamp(file);
  g_autoptr(GString) expected = generate(seed, fx->tz, origin, origin, (last + 1) * 1000);
  ck_assert_msg(g_string_equal(file, expected), "file (%zu bytes) is not one run (%zu bytes)",
                file->len, expected->len);
  /* nothing that was due is missing: the next line would be after the end */
  g_autoptr(GString) next = generate(seed, fx->tz, origin, (last + 1) * 1000, at_least_ms + 1);
  ck_assert_msg(next->len == 0, "lines due by now are missing: %s", next->str);
}

START_TEST(test_first_start_and_restart)
{
  g_autoptr(Fixture) fx = fixture_new();
  gint64 before = g_get_real_time() / 1000;
  WbSim *sim = start(fx, 99, 1.0);
  ck_assert_int_ge(wb_sim_now_ms(sim), before);
  ck_assert_int_le(wb_sim_now_ms(sim), g_get_real_time() / 1000 + 1000);
  wb_sim_free(sim);
  guint64 seed;
  gint64 origin;
  read_sidecar(fx, &seed, &origin);
  ck_assert_int_eq(origin, today_midnight_ms(fx->tz));
  g_autoptr(GString) first = read_file(fx->path);
  ck_assert(g_str_has_prefix(first->str, "1"));
  ck_assert(strstr(first->str, "|NONE|NONE|NONE|QUEUESTART|\n") != NULL);
  assert_one_run(fx, 99, before);

  sim = start(fx, 99, 1.0);
  wb_sim_stop(sim);
  wb_sim_stop(sim); /* twice is harmless */
  wb_sim_free(sim);
  ck_assert(!g_file_test(fx->rotated, G_FILE_TEST_EXISTS));
  assert_one_run(fx, 99, before);
}
END_TEST

/* Where a previous run's file may have been left: the sidecar's origin
 * relative to today and how much of the run the file holds. */
typedef enum {
  CUT_AFTER_LINES,     /* the first n lines */
  CUT_INSIDE_A_SECOND, /* between two lines of one second, after n lines */
  CUT_AFTER_SECOND,    /* at the end of the second of line n */
} CutKind;

static const struct {
  int origin_days_ago;
  CutKind kind;
  guint n;
} cuts[] = {
    {0, CUT_AFTER_LINES, 1},        {0, CUT_AFTER_LINES, 2},     {0, CUT_INSIDE_A_SECOND, 100},
    {1, CUT_INSIDE_A_SECOND, 1500}, {2, CUT_AFTER_SECOND, 2000}, {30, CUT_INSIDE_A_SECOND, 25000},
};

/* Byte length of the first lines of a run, per the cut. */
static gsize
cut_length(const GString *run, CutKind kind, guint n)
{
  g_autoptr(Lines) lines = parse(run);
  ck_assert_uint_gt(lines->len, n + 2);
  guint keep = n;
  if (kind == CUT_INSIDE_A_SECOND)
    while (LINE(lines, keep)->ts != LINE(lines, keep - 1)->ts)
      keep++;
  if (kind == CUT_AFTER_SECOND)
    while (LINE(lines, keep)->ts == LINE(lines, keep - 1)->ts)
      keep++;
  gsize offset = 0;
  for (guint i = 0; i < keep; i++)
    offset = (gsize)(strchr(run->str + offset, '\n') - run->str) + 1;
  return offset;
}

START_TEST(test_resume_cut)
{
  g_autoptr(Fixture) fx = fixture_new();
  gint64 origin = today_midnight_ms(fx->tz) - cuts[_i].origin_days_ago * DAY_MS;
  g_autoptr(GString) run = generate(4, fx->tz, origin, origin, origin + 31 * DAY_MS);
  gsize len = cut_length(run, cuts[_i].kind, cuts[_i].n);
  write_file(fx->path, run->str, len);
  write_sidecar(fx, 4, origin);

  gint64 before = g_get_real_time() / 1000;
  gint64 t0 = g_get_monotonic_time();
  WbSim *sim = start(fx, 4, 1.0);
  gint64 took_us = g_get_monotonic_time() - t0;
  wb_sim_free(sim);
  ck_assert_msg(took_us < 10 * G_USEC_PER_SEC, "resuming took %.1f s", took_us / 1e6);
  ck_assert(!g_file_test(fx->rotated, G_FILE_TEST_EXISTS));
  assert_one_run(fx, 4, before);
}
END_TEST

static gboolean
quit_loop(gpointer loop)
{
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

/* A file ahead of real time (a fast run) is continued from its last line,
 * and the timer appends as simulated time passes. */
START_TEST(test_timer_appends)
{
  g_autoptr(Fixture) fx = fixture_new();
  gint64 origin = today_midnight_ms(fx->tz);
  gint64 ahead = g_get_real_time() / 1000 + 6 * HOUR_MS;
  g_autoptr(GString) run = generate(6, fx->tz, origin, origin, ahead);
  write_file(fx->path, run->str, run->len);
  write_sidecar(fx, 6, origin);

  WbSim *sim = start(fx, 6, 3600.0);
  ck_assert_int_ge(wb_sim_now_ms(sim), last_stamp(run) * 1000);
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  g_timeout_add(900, quit_loop, loop);
  g_main_loop_run(loop);
  gint64 sim_now = wb_sim_now_ms(sim);
  ck_assert_int_ge(sim_now, last_stamp(run) * 1000 + 1800 * 1000);
  wb_sim_stop(sim);
  g_autoptr(GString) file = read_file(fx->path);
  ck_assert(g_str_has_prefix(file->str, run->str));
  /* ticks ran: the file holds what was due at the last tick, a fifth of a
   * second (720 simulated seconds) or so before */
  assert_one_run(fx, 6, sim_now - 1000 * 1000);
  wb_sim_free(sim);

  sim = start(fx, 6, 1.0);
  ck_assert_int_ge(wb_sim_now_ms(sim), last_stamp(file) * 1000);
  wb_sim_free(sim);
  assert_one_run(fx, 6, sim_now - 1000 * 1000);
}
END_TEST

typedef enum {
  OLD_OTHER_SEED,
  OLD_TOO_OLD,
  OLD_EDITED,
  OLD_PARTIAL_LINE,
  OLD_NO_SIDECAR,
  OLD_TOO_LONG,
} OldFile;

START_TEST(test_rotation)
{
  g_autoptr(Fixture) fx = fixture_new();
  OldFile what = (OldFile)_i;
  gint64 today = today_midnight_ms(fx->tz);
  gint64 origin = what == OLD_TOO_OLD ? today - 40 * DAY_MS : today - DAY_MS;
  g_autoptr(GString) old = generate(1, fx->tz, origin, origin, origin + 20 * HOUR_MS);
  if (what == OLD_EDITED)
    old->str[old->len / 2] = old->str[old->len / 2] == '1' ? '2' : '1';
  if (what == OLD_PARTIAL_LINE)
    g_string_truncate(old, old->len - 3);
  if (what == OLD_TOO_LONG) /* a line the run does not have, at its last second */
    g_string_append_printf(old, "%" G_GINT64_FORMAT "|NONE|NONE|NONE|QUEUESTART|\n",
                           last_stamp(old));
  write_file(fx->path, old->str, old->len);
  if (what != OLD_NO_SIDECAR)
    write_sidecar(fx, 1, origin);

  guint64 seed = what == OLD_OTHER_SEED ? 2 : 1;
  wb_sim_free(start(fx, seed, 1.0));
  g_autoptr(GString) rotated = read_file(fx->rotated);
  ck_assert(g_string_equal(rotated, old));
  guint64 sidecar_seed;
  gint64 new_origin;
  read_sidecar(fx, &sidecar_seed, &new_origin);
  ck_assert_int_eq(new_origin, today);
  g_autoptr(GString) file = read_file(fx->path);
  g_autofree char *boot =
      g_strdup_printf("%" G_GINT64_FORMAT "|NONE|NONE|NONE|QUEUESTART|\n", today / 1000);
  ck_assert(g_str_has_prefix(file->str, boot));
  assert_one_run(fx, seed, 0);
}
END_TEST

START_TEST(test_bad_options)
{
  g_autoptr(Fixture) fx = fixture_new();
  g_autoptr(GError) error = NULL;
  WbSimOptions slow = {.path = fx->path, .seed = 1, .speed = 0.05, .tz = fx->tz};
  ck_assert(wb_sim_start(&slow, &error) == NULL);
  ck_assert(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
  g_clear_error(&error);

  g_autofree char *missing = g_build_filename(fx->dir, "no-such-dir", "queue_log", NULL);
  WbSimOptions nowhere = {.path = missing, .seed = 1, .speed = 1, .tz = fx->tz};
  ck_assert(wb_sim_start(&nowhere, &error) == NULL);
  ck_assert(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
  ck_assert_msg(strstr(error->message, "no-such-dir") != NULL, "%s", error->message);
}
END_TEST

/* A disk that is full: the error names the file and the reason. */
START_TEST(test_write_error)
{
  if (!g_file_test("/dev/full", G_FILE_TEST_EXISTS))
    return;
  g_autoptr(Fixture) fx = fixture_new();
  ck_assert_int_eq(symlink("/dev/full", fx->path), 0);
  WbSimOptions opts = {.path = fx->path, .seed = 1, .speed = 1, .tz = fx->tz};
  g_autoptr(GError) error = NULL;
  ck_assert(wb_sim_start(&opts, &error) == NULL);
  ck_assert(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE));
  ck_assert_msg(strstr(error->message, fx->path) != NULL, "%s", error->message);
}
END_TEST

/* ---- runner ---------------------------------------------------------------- */

static Suite *
sim_suite(void)
{
  Suite *s = suite_create("sim");
  TCase *gen = tcase_create("generator");
  tcase_set_timeout(gen, 120);
  tcase_add_test(gen, test_tables);
  tcase_add_test(gen, test_deterministic);
  tcase_add_loop_test(gen, test_split_window, 0, G_N_ELEMENTS(split_points_ms));
  tcase_add_test(gen, test_window_bounds);
  tcase_add_test(gen, test_line_format);
  tcase_add_test(gen, test_calls_end_once);
  tcase_add_test(gen, test_agent_states);
  tcase_add_loop_test(gen, test_evening_gap, 0, G_N_ELEMENTS(gaps));
  tcase_add_test(gen, test_wrapup);
  tcase_add_test(gen, test_traffic_profile);
  suite_add_tcase(s, gen);

  TCase *file = tcase_create("file");
  tcase_set_timeout(file, 120);
  tcase_add_test(file, test_first_start_and_restart);
  tcase_add_loop_test(file, test_resume_cut, 0, G_N_ELEMENTS(cuts));
  tcase_add_test(file, test_timer_appends);
  tcase_add_loop_test(file, test_rotation, OLD_OTHER_SEED, OLD_TOO_LONG + 1);
  tcase_add_test(file, test_bad_options);
  tcase_add_test(file, test_write_error);
  suite_add_tcase(s, file);
  return s;
}

int
main(void)
{
  SRunner *runner = srunner_create(sim_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? 0 : 1;
}
