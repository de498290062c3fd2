/* queuelog_parse.c: one queue_log line to events.
 *
 * Layout: epoch|callid|queue|agent|EVENT|data1|data2|… with no escaping, so a
 * `|` inside data shifts fields. Fixed-arity events are read from the left
 * and extra fields ignored; ATTENDEDTRANSFER and BLINDTRANSFER are read from
 * the right, free text (pause reasons, withdraw info) takes the rest of the
 * line. A field an older Asterisk did not write is "not given" (-1), not an
 * error; a field that is there but is not a number is malformed.
 */
#define G_LOG_DOMAIN "queuelog"

#include <string.h>

#include "collectors/queuelog.h"

#define MAX_FIELDS 24

/* Fields of one line as slices of it; the line is not modified. */
typedef struct {
  const char *line;
  gsize len;
  int n;
  const char *start[MAX_FIELDS];
  gsize flen[MAX_FIELDS];
} Fields;

typedef enum {
  KIND_ENTERQUEUE,
  KIND_RINGNOANSWER,
  KIND_CONNECT,
  KIND_COMPLETECALLER,
  KIND_COMPLETEAGENT,
  KIND_TRANSFER,
  KIND_BLINDTRANSFER,
  KIND_ATTENDEDTRANSFER,
  KIND_ABANDON,
  KIND_EXITEMPTY,
  KIND_EXITWITHTIMEOUT,
  KIND_EXITWITHKEY,
  KIND_WITHDRAW,
  KIND_ADDMEMBER,
  KIND_REMOVEMEMBER,
  KIND_AGENTLOGIN,
  KIND_AGENTLOGOFF,
  KIND_PAUSE,
  KIND_UNPAUSE,
  KIND_PAUSEALL,
  KIND_UNPAUSEALL,
  KIND_QUEUESTART,
  KIND_IGNORED,
} Kind;

typedef struct {
  const char *name;
  Kind kind;
} KindName;

/* Events that carry nothing for KPIs or agent state: RINGCANCELED is followed
 * by the caller's own ABANDON; AGENTDUMP and SYSCOMPAT leave the caller
 * waiting; the rest are configuration, dialplan or third-party markers. */
static const KindName kinds[] = {
    {"ENTERQUEUE", KIND_ENTERQUEUE},
    {"RINGNOANSWER", KIND_RINGNOANSWER},
    {"CONNECT", KIND_CONNECT},
    {"COMPLETECALLER", KIND_COMPLETECALLER},
    {"COMPLETEAGENT", KIND_COMPLETEAGENT},
    {"TRANSFER", KIND_TRANSFER},
    {"BLINDTRANSFER", KIND_BLINDTRANSFER},
    {"ATTENDEDTRANSFER", KIND_ATTENDEDTRANSFER},
    {"ABANDON", KIND_ABANDON},
    {"EXITEMPTY", KIND_EXITEMPTY},
    {"EXITWITHTIMEOUT", KIND_EXITWITHTIMEOUT},
    {"EXITWITHKEY", KIND_EXITWITHKEY},
    {"WITHDRAW", KIND_WITHDRAW},
    {"ADDMEMBER", KIND_ADDMEMBER},
    {"REMOVEMEMBER", KIND_REMOVEMEMBER},
    {"AGENTLOGIN", KIND_AGENTLOGIN},
    {"AGENTCALLBACKLOGIN", KIND_AGENTLOGIN},
    {"AGENTLOGOFF", KIND_AGENTLOGOFF},
    {"AGENTCALLBACKLOGOFF", KIND_AGENTLOGOFF},
    {"PAUSE", KIND_PAUSE},
    {"UNPAUSE", KIND_UNPAUSE},
    {"PAUSEALL", KIND_PAUSEALL},
    {"UNPAUSEALL", KIND_UNPAUSEALL},
    {"QUEUESTART", KIND_QUEUESTART},
    {"CONFIGRELOAD", KIND_IGNORED},
    {"RINGCANCELED", KIND_IGNORED},
    {"AGENTDUMP", KIND_IGNORED},
    {"SYSCOMPAT", KIND_IGNORED},
    {"PENALTY", KIND_IGNORED},
    {"RINGINUSE", KIND_IGNORED},
    {"OUTCALL", KIND_IGNORED},
    {"DID", KIND_IGNORED},
    {"INFO", KIND_IGNORED},
    {"CALLSTATUS", KIND_IGNORED},
    {"PAUSEREASON", KIND_IGNORED},
    {"HEARTBEAT", KIND_IGNORED},
};

static void
split(const char *line, gsize len, Fields *f)
{
  const char *p = line;
  const char *end = line + len;

  f->line = line;
  f->len = len;
  f->n = 0;
  while (f->n < MAX_FIELDS) {
    const char *bar = memchr(p, '|', end - p);
    f->start[f->n] = p;
    if (bar == NULL) {
      f->flen[f->n++] = end - p;
      return;
    }
    f->flen[f->n++] = bar - p;
    p = bar + 1;
  }
  /* More fields than we index: the last slot takes the rest of the line. */
  f->flen[MAX_FIELDS - 1] = end - f->start[MAX_FIELDS - 1];
}

static gboolean
field_is(const Fields *f, int i, const char *s)
{
  gsize n = strlen(s);
  return i < f->n && f->flen[i] == n && memcmp(f->start[i], s, n) == 0;
}

static gboolean
field_empty(const Fields *f, int i)
{
  return i >= f->n || f->flen[i] == 0;
}

/* Parses a non-negative integer field. FALSE if present but not a number. */
static gboolean
field_int(const Fields *f, int i, gint64 *out)
{
  gint64 v = 0;

  if (i >= f->n || f->flen[i] == 0) {
    *out = -1;
    return TRUE;
  }
  const char *s = f->start[i];
  gsize n = f->flen[i];
  while (n > 0 && s[n - 1] == ' ')
    n--;
  if (n == 0 || n > 15)
    return FALSE;
  for (gsize k = 0; k < n; k++) {
    if (!g_ascii_isdigit(s[k]))
      return FALSE;
    v = v * 10 + (s[k] - '0');
  }
  *out = v;
  return TRUE;
}

/* Data field k (0-based) counted from the right of the line. */
static int
from_right(const Fields *f, int k)
{
  return f->n - 1 - k;
}

static gboolean
parse_ts(const Fields *f, gint64 *ts_ms)
{
  const char *s = f->start[0];
  gsize n = f->flen[0];
  gint64 secs = 0;
  gsize k = 0;

  for (; k < n && g_ascii_isdigit(s[k]); k++) {
    if (k >= 12)
      return FALSE;
    secs = secs * 10 + (s[k] - '0');
  }
  if (k == 0)
    return FALSE;
  gint64 ms = 0;
  if (k < n && s[k] == '.') {
    /* Not what Asterisk writes, but QueueLog() replays sometimes do. */
    int digits = 0;
    for (k++; k < n && g_ascii_isdigit(s[k]); k++)
      if (digits < 3) {
        ms = ms * 10 + (s[k] - '0');
        digits++;
      }
    while (digits++ < 3)
      ms *= 10;
  }
  if (k != n)
    return FALSE;
  /* 2000-01-01 .. 2100-01-01: anything else is a corrupted line. */
  if (secs < 946684800 || secs >= 4102444800)
    return FALSE;
  *ts_ms = secs * 1000 + ms;
  return TRUE;
}

static Kind
lookup_kind(const Fields *f)
{
  for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
    if (field_is(f, 4, kinds[i].name))
      return kinds[i].kind;
  return (Kind)-1;
}

static void
malformed(WbQueuelogLine *out, const char *reason)
{
  out->result = WB_QUEUELOG_MALFORMED;
  out->n_events = 0;
  out->reason = reason;
}

/* The text from field i to the end of the line, trailing `|` removed. */
static void
rest_of_line(const Fields *f, int i, char *dst, gsize dst_size)
{
  if (i >= f->n) {
    dst[0] = '\0';
    return;
  }
  const char *s = f->start[i];
  gsize n = (f->line + f->len) - s;
  while (n > 0 && s[n - 1] == '|')
    n--;
  wb_event_set_str(dst, dst_size, s, n);
}

static WbEvent *
new_event(WbQueuelogLine *out, const Fields *f, WbAgentMap *agents, const char *source,
          gint64 ts_ms, WbEventType type)
{
  WbEvent *ev = &out->events[out->n_events++];

  wb_event_init(ev, type);
  ev->ts_ms = ts_ms;
  WB_EVENT_SET(ev, source, source, -1);
  if (!field_is(f, 1, "NONE"))
    WB_EVENT_SET(ev, call_id, f->start[1], f->flen[1]);
  if (!field_is(f, 2, "NONE"))
    WB_EVENT_SET(ev, queue, f->start[2], f->flen[2]);
  wb_agent_map_lookup(agents, f->start[3], f->flen[3], ev->agent, sizeof(ev->agent));
  ev->wait_ms = ev->ring_ms = ev->talk_ms = -1;
  return ev;
}

static gint64
secs_to_ms(gint64 s)
{
  return s < 0 ? -1 : s * 1000;
}

/* A call event needs a real call id and queue, or it cannot be attributed. */
static gboolean
call_fields_ok(const Fields *f, WbQueuelogLine *out)
{
  static const char *const not_calls[] = {"NONE", "MANAGER", "CLI", "REALTIME"};

  for (gsize i = 0; i < G_N_ELEMENTS(not_calls); i++)
    if (field_is(f, 1, not_calls[i])) {
      malformed(out, "call event without a call id");
      return FALSE;
    }
  if (field_empty(f, 1)) {
    malformed(out, "call event without a call id");
    return FALSE;
  }
  if (field_empty(f, 2) || field_is(f, 2, "NONE")) {
    malformed(out, "call event without a queue");
    return FALSE;
  }
  return TRUE;
}

static void
parse_enqueue(const Fields *f, WbEvent *ev, WbQueuelogLine *out)
{
  gint64 pos;

  /* url|callerid|origposition[|calleridname]; 1.2-1.6 wrote url|callerid. */
  if (!field_int(f, 7, &pos)) {
    malformed(out, "ENTERQUEUE: position is not a number");
    return;
  }
  ev->position = pos < 0 ? 0 : (gint32)MIN(pos, G_MAXINT32);
  if (f->n > 6 && f->flen[6] > 0) {
    const char *cid = f->start[6];
    gsize n = f->flen[6];
    static const char *const hidden[] = {"unknown", "anonymous", "restricted", "NONE"};
    gboolean is_hidden = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(hidden); i++)
      if (n == strlen(hidden[i]) && g_ascii_strncasecmp(cid, hidden[i], n) == 0)
        is_hidden = TRUE;
    if (!is_hidden)
      WB_EVENT_SET(ev, caller_raw, cid, n);
  }
}

static void
parse_connect(const Fields *f, WbEvent *ev, WbQueuelogLine *out)
{
  gint64 hold, ring;

  /* holdtime[|bridged uniqueid[|ringtime]]: ringtime in seconds here. */
  if (!field_int(f, 5, &hold) || hold < 0) {
    malformed(out, "CONNECT: holdtime is missing or not a number");
    return;
  }
  if (!field_int(f, 7, &ring)) {
    malformed(out, "CONNECT: ringtime is not a number");
    return;
  }
  ev->wait_ms = secs_to_ms(hold);
  ev->ring_ms = secs_to_ms(ring);
}

static void
parse_complete(const Fields *f, WbEvent *ev, WbQueuelogLine *out, WbEndedBy by)
{
  gint64 hold, talk, pos;

  if (!field_int(f, 5, &hold) || !field_int(f, 6, &talk) || !field_int(f, 7, &pos) || talk < 0) {
    malformed(out, "COMPLETE: holdtime or calltime missing or not a number");
    return;
  }
  ev->wait_ms = secs_to_ms(hold);
  ev->talk_ms = secs_to_ms(talk);
  ev->position = pos < 0 ? 0 : (gint32)MIN(pos, G_MAXINT32);
  ev->ended_by = by;
}

/* BLINDTRANSFER exten|context|hold|call|pos, ATTENDEDTRANSFER with 5 or 6
 * data fields, old TRANSFER exten|context[|hold|call[|pos]]. */
static void
parse_transfer(const Fields *f, Kind kind, WbEvent *ev, WbQueuelogLine *out)
{
  gint64 hold = -1, talk = -1;
  char target[WB_EVENT_TEXT_MAX];

  if (kind == KIND_TRANSFER) {
    if (!field_int(f, 7, &hold) || !field_int(f, 8, &talk)) {
      malformed(out, "TRANSFER: holdtime or calltime is not a number");
      return;
    }
    g_snprintf(target, sizeof(target), "%.*s@%.*s", (int)MIN(f->flen[5], 60), f->start[5],
               f->n > 6 ? (int)MIN(f->flen[6], 60) : 0, f->n > 6 ? f->start[6] : "");
  } else {
    gint64 pos;
    if (f->n < 5 + 5) {
      malformed(out, "TRANSFER: fewer than 5 data fields");
      return;
    }
    if (!field_int(f, from_right(f, 0), &pos) || !field_int(f, from_right(f, 1), &talk) ||
        !field_int(f, from_right(f, 2), &hold)) {
      malformed(out, "TRANSFER: holdtime, calltime or position is not a number");
      return;
    }
    /* The target sits between the event and the three numbers. */
    const char *s = f->start[5];
    const char *e = f->start[from_right(f, 2)] - 1;
    wb_event_set_str(target, sizeof(target), s, e - s);
  }
  ev->wait_ms = secs_to_ms(hold);
  ev->talk_ms = secs_to_ms(talk);
  ev->ended_by = WB_ENDED_BY_TRANSFER;
  WB_EVENT_SET(ev, target, target, -1);
}

/* ABANDON, EXITEMPTY, EXITWITHTIMEOUT: position|origposition|waittime (some
 * old EXITWITHTIMEOUT paths wrote position only); EXITWITHKEY: key first;
 * WITHDRAW: withdraw info after the wait. */
static void
parse_abandon(const Fields *f, Kind kind, WbEvent *ev, WbQueuelogLine *out)
{
  int first = kind == KIND_EXITWITHKEY ? 6 : 5;
  gint64 pos, opos, wait;

  if (!field_int(f, first, &pos) || !field_int(f, first + 1, &opos) ||
      !field_int(f, first + 2, &wait)) {
    malformed(out, "caller exit: position or waittime is not a number");
    return;
  }
  ev->position = (gint32)MIN(opos >= 0 ? opos : MAX(pos, 0), G_MAXINT32);
  ev->wait_ms = secs_to_ms(wait);
  switch (kind) {
  case KIND_EXITEMPTY: ev->abandon_reason = WB_ABANDON_EMPTY; break;
  case KIND_EXITWITHTIMEOUT: ev->abandon_reason = WB_ABANDON_TIMEOUT; break;
  case KIND_EXITWITHKEY: ev->abandon_reason = WB_ABANDON_KEY; break;
  case KIND_WITHDRAW:
    ev->abandon_reason = WB_ABANDON_WITHDRAW;
    rest_of_line(f, first + 3, ev->reason, sizeof(ev->reason));
    break;
  default: ev->abandon_reason = WB_ABANDON_ABANDON; break;
  }
}

static void
parse_call(const Fields *f, Kind kind, WbAgentMap *agents, const char *source, gint64 ts_ms,
           WbQueuelogLine *out)
{
  static const WbEventType types[] = {
      [KIND_ENTERQUEUE] = WB_EVENT_CALL_ENQUEUE,
      [KIND_RINGNOANSWER] = WB_EVENT_CALL_RING_NOANSWER,
      [KIND_CONNECT] = WB_EVENT_CALL_ANSWER,
      [KIND_COMPLETECALLER] = WB_EVENT_CALL_END,
      [KIND_COMPLETEAGENT] = WB_EVENT_CALL_END,
      [KIND_TRANSFER] = WB_EVENT_CALL_TRANSFER,
      [KIND_BLINDTRANSFER] = WB_EVENT_CALL_TRANSFER,
      [KIND_ATTENDEDTRANSFER] = WB_EVENT_CALL_TRANSFER,
      [KIND_ABANDON] = WB_EVENT_CALL_ABANDON,
      [KIND_EXITEMPTY] = WB_EVENT_CALL_ABANDON,
      [KIND_EXITWITHTIMEOUT] = WB_EVENT_CALL_ABANDON,
      [KIND_EXITWITHKEY] = WB_EVENT_CALL_ABANDON,
      [KIND_WITHDRAW] = WB_EVENT_CALL_ABANDON,
  };

  if (!call_fields_ok(f, out))
    return;
  WbEvent *ev = new_event(out, f, agents, source, ts_ms, types[kind]);
  switch (kind) {
  case KIND_ENTERQUEUE: parse_enqueue(f, ev, out); break;
  case KIND_RINGNOANSWER:
    if (!field_int(f, 5, &ev->ring_ms))
      malformed(out, "RINGNOANSWER: ringtime is not a number");
    break;
  case KIND_CONNECT: parse_connect(f, ev, out); break;
  case KIND_COMPLETECALLER: parse_complete(f, ev, out, WB_ENDED_BY_CALLER); break;
  case KIND_COMPLETEAGENT: parse_complete(f, ev, out, WB_ENDED_BY_AGENT); break;
  case KIND_TRANSFER:
  case KIND_BLINDTRANSFER:
  case KIND_ATTENDEDTRANSFER: parse_transfer(f, kind, ev, out); break;
  default: parse_abandon(f, kind, ev, out); break;
  }
}

static void
parse_agent(const Fields *f, Kind kind, WbAgentMap *agents, const char *source, gint64 ts_ms,
            WbQueuelogLine *out)
{
  WbEventType type;

  switch (kind) {
  case KIND_ADDMEMBER:
  case KIND_AGENTLOGIN: type = WB_EVENT_AGENT_LOGIN; break;
  case KIND_REMOVEMEMBER:
  case KIND_AGENTLOGOFF: type = WB_EVENT_AGENT_LOGOUT; break;
  case KIND_PAUSE:
  case KIND_PAUSEALL: type = WB_EVENT_AGENT_PAUSE; break;
  default: type = WB_EVENT_AGENT_UNPAUSE; break;
  }
  WbEvent *ev = new_event(out, f, agents, source, ts_ms, type);
  if (ev->agent[0] == '\0') {
    malformed(out, "agent event without an agent");
    return;
  }
  /* The call id column of member events is a channel or MANAGER, not a call. */
  ev->call_id[0] = '\0';
  if (kind == KIND_PAUSEALL || kind == KIND_UNPAUSEALL || kind == KIND_AGENTLOGIN ||
      kind == KIND_AGENTLOGOFF)
    ev->queue[0] = '\0';
  if (type == WB_EVENT_AGENT_PAUSE || type == WB_EVENT_AGENT_UNPAUSE)
    rest_of_line(f, 5, ev->reason, sizeof(ev->reason));
  if (kind == KIND_ADDMEMBER && field_is(f, 5, "PAUSED")) {
    /* Added paused (AMI/realtime, and dynamic members since Asterisk 23). */
    WbEvent *pause = &out->events[out->n_events++];
    *pause = *ev;
    pause->type = WB_EVENT_AGENT_PAUSE;
  }
}

void
wb_queuelog_parse_line(WbAgentMap *agents, const char *source, const char *line, gsize len,
                       WbQueuelogLine *out)
{
  Fields f;
  gint64 ts_ms;

  out->n_events = 0;
  out->reason = NULL;
  out->event_name[0] = '\0';
  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
    len--;
  if (len == 0) {
    out->result = WB_QUEUELOG_BLANK;
    return;
  }
  split(line, len, &f);
  if (f.n < 5) {
    malformed(out, "fewer than 5 fields");
    return;
  }
  if (!parse_ts(&f, &ts_ms)) {
    malformed(out, "timestamp is not epoch seconds in 2000-2099");
    return;
  }
  if (f.flen[4] == 0) {
    malformed(out, "empty event name");
    return;
  }
  wb_event_set_str(out->event_name, sizeof(out->event_name), f.start[4], f.flen[4]);

  Kind kind = lookup_kind(&f);
  out->result = WB_QUEUELOG_EVENTS;
  if ((int)kind < 0) {
    out->result = WB_QUEUELOG_UNKNOWN;
  } else if (kind == KIND_IGNORED) {
    out->result = WB_QUEUELOG_IGNORED;
  } else if (kind == KIND_QUEUESTART) {
    new_event(out, &f, agents, source, ts_ms, WB_EVENT_SOURCE_RESTART);
    out->events[0].agent[0] = '\0';
  } else if (kind <= KIND_WITHDRAW) {
    parse_call(&f, kind, agents, source, ts_ms, out);
  } else {
    parse_agent(&f, kind, agents, source, ts_ms, out);
  }
}
