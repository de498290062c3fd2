/* event_fields.c: field tables per event type, and parsing their values. */
#define G_LOG_DOMAIN "event"

#include "engine/event_fields.h"

#include <math.h>
#include <string.h>

#include "engine/clock.h"

G_DEFINE_QUARK(wb_event_field_error, wb_event_field_error)

#define F(name, zh, kind, member, req, choices)                                                    \
  {                                                                                                \
    name, zh, kind, G_STRUCT_OFFSET(WbEvent, member), sizeof(((WbEvent *)0)->member), req, choices \
  }
#define REQ TRUE
#define OPT FALSE

static const char *const directions[] = {"in|上班|签到|进", "out|下班|签退|出", "unknown|未知",
                                         NULL};
static const char *const staff_statuses[] = {"active|在职|在岗", "leave|休假|请假|产假|病假",
                                             "left|离职", "reserve|储备", NULL};
static const char *const shift_statuses[] = {"scheduled|排班", "cancelled|取消", NULL};
static const char *const origins[] = {"12345_province|省12345|省级12345",
                                      "12345_city|市12345|市级12345", "direct|直接|本线", NULL};

#define CALL_ID(req) F("call_id", "通话编号", WB_FIELD_TEXT, call_id, req, NULL)
#define QUEUE(req) F("queue", "队列", WB_FIELD_TEXT, queue, req, NULL)
#define AGENT(req) F("agent", "坐席", WB_FIELD_AGENT, agent, req, NULL)
#define STAFF(req) F("staff", "工号", WB_FIELD_AGENT, agent, req, NULL)
#define WAIT_MS F("wait_ms", "等待毫秒", WB_FIELD_MS, wait_ms, OPT, NULL)
#define RING_MS F("ring_ms", "振铃毫秒", WB_FIELD_MS, ring_ms, OPT, NULL)
#define TALK_MS F("talk_ms", "通话毫秒", WB_FIELD_MS, talk_ms, OPT, NULL)
#define POSITION F("position", "排队位置", WB_FIELD_COUNT, position, OPT, NULL)
#define END_OF_FIELDS                                                                              \
  {                                                                                                \
    NULL, NULL, 0, 0, 0, FALSE, NULL                                                               \
  }

static const WbEventField f_enqueue[] = {
    CALL_ID(REQ), QUEUE(REQ), F("caller", "主叫号码", WB_FIELD_CALLER, caller_raw, OPT, NULL),
    POSITION, END_OF_FIELDS};
static const WbEventField f_ring_noanswer[] = {CALL_ID(REQ), QUEUE(REQ), AGENT(REQ), RING_MS,
                                               END_OF_FIELDS};
static const WbEventField f_answer[] = {CALL_ID(REQ), QUEUE(REQ), AGENT(REQ),
                                        WAIT_MS,      RING_MS,    END_OF_FIELDS};
static const WbEventField f_end[] = {
    CALL_ID(REQ), QUEUE(REQ), AGENT(REQ),
    WAIT_MS,      TALK_MS,    F("ended_by", "挂机方", WB_FIELD_ENDED_BY, ended_by, OPT, NULL),
    END_OF_FIELDS};
static const WbEventField f_abandon[] = {
    CALL_ID(REQ),
    QUEUE(REQ),
    WAIT_MS,
    POSITION,
    F("reason", "原因", WB_FIELD_ABANDON, abandon_reason, OPT, NULL),
    END_OF_FIELDS};
static const WbEventField f_transfer[] = {
    CALL_ID(REQ), QUEUE(REQ),
    AGENT(REQ),   F("target", "转接目标", WB_FIELD_TEXT, target, OPT, NULL),
    WAIT_MS,      TALK_MS,
    END_OF_FIELDS};
static const WbEventField f_classify[] = {
    CALL_ID(REQ), F("category", "分类", WB_FIELD_TEXT, category, REQ, NULL),
    F("request_type", "诉求类型", WB_FIELD_TEXT, kind, OPT, NULL),
    F("channel", "渠道", WB_FIELD_TEXT, origin, OPT, NULL), END_OF_FIELDS};
static const WbEventField f_survey[] = {
    CALL_ID(REQ), F("score", "满意度", WB_FIELD_NUMBER, value, REQ, NULL), END_OF_FIELDS};
static const WbEventField f_agent[] = {AGENT(REQ), QUEUE(OPT), END_OF_FIELDS};
static const WbEventField f_pause[] = {
    AGENT(REQ), QUEUE(OPT), F("reason", "原因", WB_FIELD_TEXT, reason, OPT, NULL), END_OF_FIELDS};
static const WbEventField f_acd[] = {
    QUEUE(REQ),
    F("waiting", "排队数", WB_FIELD_COUNT, position, REQ, NULL),
    F("longest_wait_ms", "最长等待毫秒", WB_FIELD_MS, wait_ms, OPT, NULL),
    F("logged_in", "签入数", WB_FIELD_COUNT, count_a, OPT, NULL),
    F("available", "空闲数", WB_FIELD_COUNT, count_b, OPT, NULL),
    END_OF_FIELDS};
static const WbEventField f_punch[] = {
    STAFF(REQ), F("direction", "方向", WB_FIELD_TEXT, origin, OPT, directions),
    F("device", "设备", WB_FIELD_TEXT, device, OPT, NULL), END_OF_FIELDS};
static const WbEventField f_shift[] = {
    STAFF(REQ),
    F("start", "开始时间", WB_FIELD_TIME, start_ms, REQ, NULL),
    F("end", "结束时间", WB_FIELD_TIME, end_ms, REQ, NULL),
    F("role", "岗位", WB_FIELD_TEXT, role, OPT, NULL),
    F("template", "班次", WB_FIELD_TEXT, kind, OPT, NULL),
    F("status", "状态", WB_FIELD_TEXT, status, OPT, shift_statuses),
    END_OF_FIELDS};
static const WbEventField f_staff[] = {
    STAFF(REQ),
    F("name", "姓名", WB_FIELD_TEXT, name, OPT, NULL),
    F("role", "岗位", WB_FIELD_TEXT, role, OPT, NULL),
    F("status", "状态", WB_FIELD_TEXT, status, OPT, staff_statuses),
    F("hired", "入职日期", WB_FIELD_DATE, start_ms, OPT, NULL),
    F("left", "离职日期", WB_FIELD_DATE, end_ms, OPT, NULL),
    END_OF_FIELDS};
static const WbEventField f_training[] = {
    STAFF(REQ), F("date", "日期", WB_FIELD_DATE, start_ms, REQ, NULL),
    F("kind", "培训类型", WB_FIELD_TEXT, kind, REQ, NULL),
    F("hours", "学时", WB_FIELD_NUMBER, value, REQ, NULL), END_OF_FIELDS};
static const WbEventField f_exam[] = {
    STAFF(REQ), F("date", "日期", WB_FIELD_DATE, start_ms, REQ, NULL),
    F("area", "考试科目", WB_FIELD_TEXT, kind, REQ, NULL),
    F("score", "分数", WB_FIELD_NUMBER, value, REQ, NULL), END_OF_FIELDS};
static const WbEventField f_qa[] = {
    STAFF(REQ), CALL_ID(OPT), F("score", "分数", WB_FIELD_NUMBER, value, REQ, NULL),
    F("inspector", "质检员", WB_FIELD_TEXT, device, OPT, NULL), END_OF_FIELDS};
static const WbEventField f_workorder[] = {
    F("id", "工单编号", WB_FIELD_TEXT, id, REQ, NULL),
    F("origin", "来源", WB_FIELD_TEXT, origin, OPT, origins),
    F("category", "分类", WB_FIELD_TEXT, category, OPT, NULL),
    F("due", "办结时限", WB_FIELD_TIME, end_ms, OPT, NULL),
    F("status", "状态", WB_FIELD_TEXT, status, OPT, NULL),
    END_OF_FIELDS};
static const WbEventField f_complaint[] = {
    F("id", "投诉编号", WB_FIELD_TEXT, id, REQ, NULL), STAFF(OPT),
    F("category", "分类", WB_FIELD_TEXT, category, OPT, NULL), END_OF_FIELDS};
static const WbEventField f_none[] = {END_OF_FIELDS};

static const WbEventField *const fields_of[WB_EVENT_TYPE_COUNT] = {
    [WB_EVENT_NONE] = f_none,
    [WB_EVENT_CALL_ENQUEUE] = f_enqueue,
    [WB_EVENT_CALL_RING_NOANSWER] = f_ring_noanswer,
    [WB_EVENT_CALL_ANSWER] = f_answer,
    [WB_EVENT_CALL_END] = f_end,
    [WB_EVENT_CALL_ABANDON] = f_abandon,
    [WB_EVENT_CALL_TRANSFER] = f_transfer,
    [WB_EVENT_AGENT_LOGIN] = f_agent,
    [WB_EVENT_AGENT_LOGOUT] = f_agent,
    [WB_EVENT_AGENT_PAUSE] = f_pause,
    [WB_EVENT_AGENT_UNPAUSE] = f_pause,
    [WB_EVENT_SOURCE_RESTART] = f_none,
    [WB_EVENT_SOURCE_SYNC] = f_none,
    [WB_EVENT_CALL_CLASSIFY] = f_classify,
    [WB_EVENT_CALL_SURVEY] = f_survey,
    [WB_EVENT_ACD_SNAPSHOT] = f_acd,
    [WB_EVENT_STAFF_PUNCH] = f_punch,
    [WB_EVENT_ROSTER_SHIFT] = f_shift,
    [WB_EVENT_STAFF_RECORD] = f_staff,
    [WB_EVENT_TRAINING_RECORD] = f_training,
    [WB_EVENT_EXAM_RECORD] = f_exam,
    [WB_EVENT_QA_SCORE] = f_qa,
    [WB_EVENT_WORKORDER_OPEN] = f_workorder,
    [WB_EVENT_WORKORDER_UPDATE] = f_workorder,
    [WB_EVENT_WORKORDER_CLOSE] = f_workorder,
    [WB_EVENT_COMPLAINT_OPEN] = f_complaint,
    [WB_EVENT_COMPLAINT_CLOSE] = f_complaint,
};

const WbEventField *
wb_event_fields(WbEventType type, guint *n_fields)
{
  const WbEventField *f = (int)type >= 0 && type < WB_EVENT_TYPE_COUNT ? fields_of[type] : f_none;
  guint n = 0;
  while (f[n].name != NULL)
    n++;
  if (n_fields != NULL)
    *n_fields = n;
  return f;
}

const WbEventField *
wb_event_field_find(WbEventType type, const char *name)
{
  for (const WbEventField *f = wb_event_fields(type, NULL); f->name != NULL; f++)
    if (strcmp(f->name, name) == 0 || strcmp(f->zh, name) == 0)
      return f;
  return NULL;
}

static void
mark(WbEventType type, const WbEventField *f, WbFieldSet *seen)
{
  const WbEventField *first = wb_event_fields(type, NULL);
  if (seen != NULL)
    *seen |= (WbFieldSet)1 << (f - first);
}

/* "name: 'text' why" */
static gboolean
fail(GError **error, const WbEventField *f, const char *text, const char *why)
{
  g_autofree char *shown = g_utf8_make_valid(text, MIN(strlen(text), 60));
  g_set_error(error, WB_EVENT_FIELD_ERROR, 0, "%s: '%s' %s", f->name, shown, why);
  return FALSE;
}

/* A choice is "value" or "value|别名|…": the value is stored, the Chinese
 * words that staff write in spreadsheets are taken for it. */
static const char *
choice_value(const char *choice, char *buf, gsize size)
{
  const char *bar = strchr(choice, '|');
  if (bar == NULL)
    return choice;
  g_strlcpy(buf, choice, MIN(size, (gsize)(bar - choice) + 1));
  return buf;
}

static const char *
in_choices(const char *const *choices, const char *text, char *buf, gsize size)
{
  for (; *choices != NULL; choices++) {
    g_auto(GStrv) words = g_strsplit(*choices, "|", -1);
    for (char **w = words; *w != NULL; w++)
      if (strcmp(*w, text) == 0)
        return choice_value(*choices, buf, size);
  }
  return NULL;
}

static char *
choices_list(const char *const *choices, const char *sep)
{
  GString *s = g_string_new(NULL);
  char buf[64];
  for (const char *const *c = choices; *c != NULL; c++)
    g_string_append_printf(s, "%s%s", c == choices ? "" : sep, choice_value(*c, buf, sizeof(buf)));
  return g_string_free(s, FALSE);
}

static gboolean
set_string(WbEvent *ev, const WbEventField *f, const char *text, GError **error)
{
  char *field = G_STRUCT_MEMBER_P(ev, f->offset);
  char buf[64];
  if (f->choices != NULL) {
    const char *value = in_choices(f->choices, text, buf, sizeof(buf));
    if (value == NULL) {
      g_autofree char *list = choices_list(f->choices, ", ");
      g_autofree char *why = g_strconcat("is not one of ", list, NULL);
      return fail(error, f, text, why);
    }
    text = value;
  }
  gsize len = strlen(text);
  if (len >= f->size) {
    g_set_error(error, WB_EVENT_FIELD_ERROR, 0, "%s: longer than %" G_GSIZE_FORMAT " bytes",
                f->name, f->size - 1);
    return FALSE;
  }
  memcpy(field, text, len + 1);
  return TRUE;
}

/* A whole number >= 0 from text, for durations and counts. */
static gboolean
parse_count(const char *text, gint64 *out)
{
  char *end = NULL;
  if (!g_ascii_isdigit(*text))
    return FALSE;
  gint64 v = g_ascii_strtoll(text, &end, 10);
  if (*end != '\0' || v < 0)
    return FALSE;
  *out = v;
  return TRUE;
}

static gboolean
set_int(WbEvent *ev, const WbEventField *f, gint64 v, GError **error)
{
  if (f->size == sizeof(gint32)) {
    if (v > G_MAXINT32) {
      g_set_error(error, WB_EVENT_FIELD_ERROR, 0, "%s: too large", f->name);
      return FALSE;
    }
    G_STRUCT_MEMBER(gint32, ev, f->offset) = (gint32)v;
  } else {
    G_STRUCT_MEMBER(gint64, ev, f->offset) = v;
  }
  return TRUE;
}

gboolean
wb_event_field_set_text(WbEvent *ev, const WbEventField *f, const char *text, GTimeZone *tz,
                        WbAgentMap *map, WbFieldSet *seen, GError **error)
{
  g_autofree char *trimmed = g_strstrip(g_strdup(text));
  gint64 v = 0;
  int i;

  if (*trimmed == '\0')
    return TRUE;
  switch (f->kind) {
  case WB_FIELD_TEXT:
  case WB_FIELD_CALLER:
    if (!set_string(ev, f, trimmed, error))
      return FALSE;
    break;
  case WB_FIELD_AGENT: {
    char key[WB_EVENT_ID_MAX];
    if (strlen(trimmed) >= sizeof(key))
      return fail(error, f, trimmed, "is too long");
    wb_agent_map_lookup(map, trimmed, -1, key, sizeof(key));
    if (*key == '\0')
      return fail(error, f, trimmed, "names no agent");
    if (!set_string(ev, f, key, error))
      return FALSE;
    break;
  }
  case WB_FIELD_TIME:
  case WB_FIELD_DATE:
    if (!wb_time_parse(tz, trimmed, &v))
      return fail(error, f, trimmed,
                  f->kind == WB_FIELD_DATE ? "is not a date (2026-11-28)"
                                           : "is not a time (ISO-8601, 2026-11-28 08:00)");
    if (f->kind == WB_FIELD_DATE)
      v = wb_day_start_ms(tz, v);
    G_STRUCT_MEMBER(gint64, ev, f->offset) = v;
    break;
  case WB_FIELD_MS:
  case WB_FIELD_COUNT:
    if (!parse_count(trimmed, &v))
      return fail(error, f, trimmed, "is not a whole number >= 0");
    if (!set_int(ev, f, v, error))
      return FALSE;
    break;
  case WB_FIELD_NUMBER: {
    char *end = NULL;
    gdouble d = g_ascii_strtod(trimmed, &end);
    if (*end != '\0' || !isfinite(d) || d < 0)
      return fail(error, f, trimmed, "is not a number >= 0");
    G_STRUCT_MEMBER(gdouble, ev, f->offset) = d;
    break;
  }
  case WB_FIELD_ABANDON:
    i = (int)wb_abandon_reason_from_name(trimmed);
    if (strcmp(wb_abandon_reason_name((WbAbandonReason)i), trimmed) != 0)
      return fail(error, f, trimmed, "is not one of abandon, timeout, empty, key, withdraw");
    ev->abandon_reason = (WbAbandonReason)i;
    break;
  case WB_FIELD_ENDED_BY:
    i = (int)wb_ended_by_from_name(trimmed);
    if (strcmp(wb_ended_by_name((WbEndedBy)i), trimmed) != 0 || i == WB_ENDED_BY_SYSTEM)
      return fail(error, f, trimmed, "is not one of caller, agent, transfer");
    ev->ended_by = (WbEndedBy)i;
    break;
  }
  mark(ev->type, f, seen);
  return TRUE;
}

gboolean
wb_event_field_set_number(WbEvent *ev, const WbEventField *f, gdouble value, WbFieldSet *seen,
                          GError **error)
{
  switch (f->kind) {
  case WB_FIELD_NUMBER:
    if (!isfinite(value) || value < 0) {
      g_set_error(error, WB_EVENT_FIELD_ERROR, 0, "%s: must be a number >= 0", f->name);
      return FALSE;
    }
    G_STRUCT_MEMBER(gdouble, ev, f->offset) = value;
    break;
  case WB_FIELD_MS:
  case WB_FIELD_COUNT:
  case WB_FIELD_TIME:
  case WB_FIELD_DATE:
    if (!isfinite(value) || value < 0 || value != floor(value) || value > 9.0e15) {
      g_set_error(error, WB_EVENT_FIELD_ERROR, 0, "%s: must be a whole number >= 0", f->name);
      return FALSE;
    }
    if (!set_int(ev, f, (gint64)value, error))
      return FALSE;
    break;
  default:
    g_set_error(error, WB_EVENT_FIELD_ERROR, 0, "%s: must be a string", f->name);
    return FALSE;
  }
  mark(ev->type, f, seen);
  return TRUE;
}

gboolean
wb_event_fields_check(const WbEvent *ev, WbFieldSet seen, GError **error)
{
  guint n = 0;
  const WbEventField *fields = wb_event_fields(ev->type, &n);

  if (ev->type == WB_EVENT_NONE || ev->type == WB_EVENT_SOURCE_RESTART ||
      ev->type == WB_EVENT_SOURCE_SYNC) {
    g_set_error(error, WB_EVENT_FIELD_ERROR, 0, "type: '%s' cannot be sent",
                wb_event_type_name(ev->type));
    return FALSE;
  }
  for (guint i = 0; i < n; i++)
    if (fields[i].required && !(seen & ((WbFieldSet)1 << i))) {
      g_set_error(error, WB_EVENT_FIELD_ERROR, 0, "%s: required for %s", fields[i].name,
                  wb_event_type_name(ev->type));
      return FALSE;
    }
  if (ev->type == WB_EVENT_ROSTER_SHIFT && ev->end_ms <= ev->start_ms) {
    g_set_error(error, WB_EVENT_FIELD_ERROR, 0, "end: must be later than start");
    return FALSE;
  }
  if (ev->type == WB_EVENT_ROSTER_SHIFT && ev->end_ms - ev->start_ms > 24 * 3600 * 1000) {
    g_set_error(error, WB_EVENT_FIELD_ERROR, 0, "end: a shift lasts at most 24 hours");
    return FALSE;
  }
  if (ev->type == WB_EVENT_STAFF_RECORD && ev->end_ms != 0 && ev->start_ms != 0 &&
      ev->end_ms < ev->start_ms) {
    g_set_error(error, WB_EVENT_FIELD_ERROR, 0, "left: earlier than hired");
    return FALSE;
  }
  return TRUE;
}

static const char *const type_docs[WB_EVENT_TYPE_COUNT] = {
    [WB_EVENT_CALL_ENQUEUE] = "A caller enters a queue.",
    [WB_EVENT_CALL_RING_NOANSWER] = "An agent was rung and did not answer.",
    [WB_EVENT_CALL_ANSWER] = "An agent answers; `wait_ms` is the time in the queue.",
    [WB_EVENT_CALL_END] = "A connected call ends.",
    [WB_EVENT_CALL_ABANDON] = "The caller leaves the queue without an agent.",
    [WB_EVENT_CALL_TRANSFER] = "A connected call is transferred away; it ends for this queue.",
    [WB_EVENT_AGENT_LOGIN] = "An agent logs in (to one queue, or all).",
    [WB_EVENT_AGENT_LOGOUT] = "An agent logs out.",
    [WB_EVENT_AGENT_PAUSE] = "An agent pauses; a reason listed in `[kpi] wrapup_reasons` is "
                             "after-call work.",
    [WB_EVENT_AGENT_UNPAUSE] = "An agent is available again.",
    [WB_EVENT_CALL_CLASSIFY] = "The agent's disposition of a call: what it was about (hot "
                               "topics, heat maps).",
    [WB_EVENT_CALL_SURVEY] = "The caller's satisfaction score after the call.",
    [WB_EVENT_ACD_SNAPSHOT] = "Statistics of a queue as another ACD sees them, now.",
    [WB_EVENT_STAFF_PUNCH] = "An attendance punch (time clock).",
    [WB_EVENT_ROSTER_SHIFT] = "A planned shift; `status` `cancelled` removes the shift that "
                              "starts at `start`.",
    [WB_EVENT_STAFF_RECORD] = "A person of the staff register; the newest record wins.",
    [WB_EVENT_TRAINING_RECORD] = "Training attended.",
    [WB_EVENT_EXAM_RECORD] = "An exam result.",
    [WB_EVENT_QA_SCORE] = "A quality inspection score, of a call or of the agent.",
    [WB_EVENT_WORKORDER_OPEN] = "A work order is received (from the 12345 hotline or "
                                "directly); `due` is its deadline.",
    [WB_EVENT_WORKORDER_UPDATE] = "A work order changes status or details.",
    [WB_EVENT_WORKORDER_CLOSE] = "A work order is closed.",
    [WB_EVENT_COMPLAINT_OPEN] = "A complaint about an agent or the service is received.",
    [WB_EVENT_COMPLAINT_CLOSE] = "A complaint is settled.",
};

static const char *
kind_format(WbFieldKind kind)
{
  switch (kind) {
  case WB_FIELD_TEXT: return "text";
  case WB_FIELD_AGENT: return "agent key (aliases of `[agent.KEY]` apply)";
  case WB_FIELD_CALLER: return "phone number (stored hashed and masked)";
  case WB_FIELD_TIME: return "time";
  case WB_FIELD_DATE: return "date";
  case WB_FIELD_MS: return "milliseconds, whole, >= 0";
  case WB_FIELD_COUNT: return "whole number >= 0";
  case WB_FIELD_NUMBER: return "number >= 0";
  case WB_FIELD_ABANDON: return "`abandon`, `timeout`, `empty`, `key` or `withdraw`";
  case WB_FIELD_ENDED_BY: return "`caller`, `agent` or `transfer`";
  }
  return "";
}

char *
wb_event_fields_docs_markdown(void)
{
  GString *s = g_string_new(
      "# Event types and their fields\n\n"
      "<!-- Generated by `wallboardd --print-event-docs` from the tables in "
      "engine/event_fields.c; a test keeps this file in step with them. -->\n\n"
      "Every event another system sends (`POST /api/v1/events`, WebSocket `ingest.v1`, see "
      "[protocol.md](protocol.md)) and every row a file import reads (`wallboardctl import`, "
      "see [import-templates](import-templates/README.md)) is one of these types, with these "
      "fields. JSON members and CSV columns have the same names; a CSV column may also carry "
      "the Chinese header. Over the API every event also has `event_id` (unique per source: "
      "a retry with the same id is stored once), `type` and `ts` (when it happened).\n\n"
      "- **time**: ISO-8601 (`2026-11-28T09:30:00+08:00`; without an offset it is local time "
      "of `[kpi] timezone`), epoch milliseconds, or a spreadsheet's `2026/11/28 9:30`.\n"
      "- **date**: `2026-11-28` (or `2026/11/28`), the local day.\n"
      "- A field given as `null` or an empty string is absent. A field that is not listed "
      "for the type refuses the event, so a misspelt name is never silently dropped.\n");
  for (int t = WB_EVENT_CALL_ENQUEUE; t < WB_EVENT_TYPE_COUNT; t++) {
    if (t == WB_EVENT_SOURCE_RESTART || t == WB_EVENT_SOURCE_SYNC)
      continue;
    guint n = 0;
    const WbEventField *fields = wb_event_fields((WbEventType)t, &n);
    g_string_append_printf(
        s, "\n## `%s`\n\n%s\n\n| field | 中文 | format | required |\n|---|---|---|---|\n",
        wb_event_type_name((WbEventType)t), type_docs[t]);
    for (guint i = 0; i < n; i++) {
      const WbEventField *f = &fields[i];
      g_autofree char *format = NULL;
      if (f->choices != NULL) {
        GString *list = g_string_new(NULL);
        for (const char *const *c = f->choices; *c != NULL; c++) {
          g_auto(GStrv) words = g_strsplit(*c, "|", -1);
          g_string_append_printf(list, "%s`%s`", c == f->choices ? "" : ", ", words[0]);
          if (words[1] != NULL) {
            g_autofree char *zh = g_strjoinv(", ", words + 1);
            g_string_append_printf(list, " (%s)", zh);
          }
        }
        format = g_string_free(list, FALSE);
      } else if (f->kind == WB_FIELD_TEXT) {
        format = g_strdup_printf("text, at most %" G_GSIZE_FORMAT " bytes", f->size - 1);
      } else {
        format = g_strdup(kind_format(f->kind));
      }
      g_string_append_printf(s, "| `%s` | %s | %s | %s |\n", f->name, f->zh, format,
                             f->required ? "yes" : "");
    }
  }
  return g_string_free(s, FALSE);
}
