/* ami_parse.c: the Asterisk Manager Interface wire format and the mapping
 * of one message to events. Pure: no I/O, no clock; the mapping keeps no
 * state between messages. The connection, the caller exits that need
 * several messages, and the collector are in ami.c.
 *
 * Wire: one banner line (`Asterisk Call Manager/x.y`), then messages of
 * `Key: Value` lines ended by an empty line; LF or CRLF; keys compared
 * without case; headers may repeat. A `Response: Follows` body is free text
 * up to `--END COMMAND--`. Every buffer is bounded: a line longer than
 * WB_AMI_LINE_MAX is skipped (and quarantined), a message keeps at most
 * WB_AMI_HEADERS_MAX headers.
 *
 * Identity. AMI has no offsets, so an event's source_pos is a hash of what
 * the event is: the canonical event name, then, in a fixed order, the values
 * of Timestamp, Uniqueid, DestUniqueid, Queue, the member's names, Agent,
 * the positions and counts, HoldTime, TalkTime, RingTime, Reason, Paused,
 * PausedReason, LastPause, LoginTime, CallsTaken, LastCall, and the index of
 * the event within the message; SHA-256, first 63 bits. The same message
 * received again, after a reconnect or from a replaying proxy, gives the same
 * hash, and the store's unique (source, source_pos) refuses it. Nothing of
 * the connection (time of receipt, message number) goes in. With
 * `timestampevents = yes` the microsecond Timestamp makes every identity
 * distinct; without it, two events alike in every header listed (two
 * identical AgentRingNoAnswer of one call by one member with equal RingTime
 * in Asterisk 11) count once. acd.snapshot, from a poll, is identified by its
 * queue and time of receipt.
 */
#define G_LOG_DOMAIN "ami"

#include "collectors/ami_parse.h"

#include <string.h>

#define RAW_MAX 65536  /* bytes of a message kept for the quarantine */
#define BODY_MAX 65536 /* bytes of a Follows body kept */
#define END_COMMAND "--END COMMAND--"

/* ---- messages ---- */

typedef struct {
  gsize key; /* offsets into strings */
  gsize value;
} Header;

struct WbAmiMessage {
  GString *raw;     /* the lines as received, '\n'-terminated, bounded */
  GString *strings; /* key\0value\0 … */
  GArray *headers;  /* Header */
  GString *body;    /* Response: Follows output, or NULL */
  const char *malformed;
  guint n_skipped;
};

static WbAmiMessage *
message_new(void)
{
  WbAmiMessage *m = g_new0(WbAmiMessage, 1);
  m->raw = g_string_new(NULL);
  m->strings = g_string_new(NULL);
  m->headers = g_array_new(FALSE, FALSE, sizeof(Header));
  return m;
}

void
wb_ami_message_free(WbAmiMessage *m)
{
  if (m == NULL)
    return;
  g_string_free(m->raw, TRUE);
  g_string_free(m->strings, TRUE);
  g_array_unref(m->headers);
  if (m->body != NULL)
    g_string_free(m->body, TRUE);
  g_free(m);
}

const char *
wb_ami_message_get_nth(const WbAmiMessage *m, const char *key, guint n)
{
  for (guint i = 0; i < m->headers->len; i++) {
    const Header *h = &g_array_index(m->headers, Header, i);
    if (g_ascii_strcasecmp(m->strings->str + h->key, key) == 0 && n-- == 0)
      return m->strings->str + h->value;
  }
  return NULL;
}

const char *
wb_ami_message_get(const WbAmiMessage *m, const char *key)
{
  return wb_ami_message_get_nth(m, key, 0);
}

guint
wb_ami_message_n_headers(const WbAmiMessage *m)
{
  return m->headers->len;
}

const char *
wb_ami_message_body(const WbAmiMessage *m)
{
  return m->body != NULL ? m->body->str : NULL;
}

const char *
wb_ami_message_malformed(const WbAmiMessage *m)
{
  return m->malformed;
}

guint
wb_ami_message_n_skipped(const WbAmiMessage *m)
{
  return m->n_skipped;
}

char *
wb_ami_message_text(const WbAmiMessage *m, gsize max)
{
  return g_strndup(m->raw->str, MIN(m->raw->len, max));
}

static void
raw_append(WbAmiMessage *m, const char *line, gsize len)
{
  if (m->raw->len + len + 1 > RAW_MAX)
    return;
  g_string_append_len(m->raw, line, len);
  g_string_append_c(m->raw, '\n');
}

static void
add_header(WbAmiMessage *m, const char *key, gsize key_len, const char *value, gsize value_len)
{
  Header h = {.key = m->strings->len};
  g_string_append_len(m->strings, key, key_len);
  g_string_append_c(m->strings, '\0');
  h.value = m->strings->len;
  g_string_append_len(m->strings, value, value_len);
  g_string_append_c(m->strings, '\0');
  g_array_append_val(m->headers, h);
}

/* One `Key: Value` line; spaces around both are dropped. */
static void
message_add_line(WbAmiMessage *m, const char *line, gsize len)
{
  const char *colon = memchr(line, ':', len);

  raw_append(m, line, len);
  if (m->headers->len >= WB_AMI_HEADERS_MAX) {
    m->malformed = m->malformed != NULL ? m->malformed : "more than 512 header lines";
    return;
  }
  if (colon == NULL || colon == line) {
    m->malformed = m->malformed != NULL ? m->malformed : "line without 'Key:'";
    return;
  }
  const char *k = line, *ke = colon, *v = colon + 1, *ve = line + len;
  while (k < ke && g_ascii_isspace(*k))
    k++;
  while (ke > k && g_ascii_isspace(ke[-1]))
    ke--;
  while (v < ve && g_ascii_isspace(*v))
    v++;
  while (ve > v && g_ascii_isspace(ve[-1]))
    ve--;
  add_header(m, k, ke - k, v, ve - v);
}

/* ---- the reader ---- */

typedef enum {
  FOLLOWS_NONE,
  FOLLOWS_HEADERS, /* after `Response: Follows`: Privilege, ActionID */
  FOLLOWS_BODY,
} FollowsState;

struct WbAmiReader {
  GByteArray *buf; /* bytes not yet split into lines */
  gboolean want_banner;
  char *banner;
  gboolean skipping; /* inside an over-long line, dropping to its end */
  WbAmiMessage *cur; /* being assembled */
  FollowsState follows;
  guint follows_blanks; /* empty lines inside a body, not yet placed */
  GQueue done;          /* complete WbAmiMessage* */
};

WbAmiReader *
wb_ami_reader_new(gboolean banner)
{
  WbAmiReader *r = g_new0(WbAmiReader, 1);
  r->buf = g_byte_array_new();
  r->want_banner = banner;
  g_queue_init(&r->done);
  return r;
}

void
wb_ami_reader_free(WbAmiReader *r)
{
  if (r == NULL)
    return;
  g_byte_array_unref(r->buf);
  g_free(r->banner);
  wb_ami_message_free(r->cur);
  g_queue_clear_full(&r->done, (GDestroyNotify)wb_ami_message_free);
  g_free(r);
}

const char *
wb_ami_reader_banner(const WbAmiReader *r)
{
  return r->banner;
}

WbAmiMessage *
wb_ami_reader_next(WbAmiReader *r)
{
  return g_queue_pop_head(&r->done);
}

static WbAmiMessage *
reader_cur(WbAmiReader *r)
{
  if (r->cur == NULL)
    r->cur = message_new();
  return r->cur;
}

static void
reader_finish(WbAmiReader *r)
{
  if (r->cur != NULL)
    g_queue_push_tail(&r->done, r->cur);
  r->cur = NULL;
  r->follows = FOLLOWS_NONE;
  r->follows_blanks = 0;
}

static void
reader_skip(WbAmiReader *r)
{
  static const char note[] = "<line longer than 8192 bytes skipped>";
  WbAmiMessage *m = reader_cur(r);
  m->n_skipped++;
  raw_append(m, note, sizeof(note) - 1);
}

static void
body_append(WbAmiMessage *m, const char *line, gsize len)
{
  if (m->body == NULL)
    m->body = g_string_new(NULL);
  if (m->body->len + len + 1 > BODY_MAX) {
    m->n_skipped++;
    return;
  }
  if (m->body->len > 0)
    g_string_append_c(m->body, '\n');
  g_string_append_len(m->body, line, len);
}

static gboolean
starts_with_key(const char *line, gsize len, const char *key)
{
  gsize n = strlen(key);
  return len > n && line[n] == ':' && g_ascii_strncasecmp(line, key, n) == 0;
}

static void reader_line(WbAmiReader *r, const char *line, gsize len);

/* A line of a `Response: Follows` message. Asterisk ends the output with
 * `--END COMMAND--` (sometimes on the output's last line); should the marker
 * be missing, an empty line followed by `Event:` or `Response:` ends it. */
static void
follows_line(WbAmiReader *r, const char *line, gsize len)
{
  WbAmiMessage *m = r->cur;
  gsize end_len = strlen(END_COMMAND);

  if (len >= end_len && memcmp(line + len - end_len, END_COMMAND, end_len) == 0) {
    if (len > end_len)
      body_append(m, line, len - end_len);
    reader_finish(r);
    return;
  }
  if (len == 0) {
    r->follows_blanks++;
    return;
  }
  if (r->follows_blanks > 0 &&
      (starts_with_key(line, len, "Event") || starts_with_key(line, len, "Response"))) {
    reader_finish(r);
    reader_line(r, line, len);
    return;
  }
  if (r->follows == FOLLOWS_HEADERS && r->follows_blanks == 0 &&
      (starts_with_key(line, len, "Privilege") || starts_with_key(line, len, "ActionID"))) {
    message_add_line(m, line, len);
    return;
  }
  r->follows = FOLLOWS_BODY;
  for (; r->follows_blanks > 0; r->follows_blanks--)
    body_append(m, "", 0);
  body_append(m, line, len);
  raw_append(m, line, len);
}

static void
reader_line(WbAmiReader *r, const char *line, gsize len)
{
  if (r->want_banner) {
    r->banner = g_strndup(line, len);
    r->want_banner = FALSE;
    return;
  }
  if (r->follows != FOLLOWS_NONE) {
    follows_line(r, line, len);
    return;
  }
  if (len == 0) {
    /* Empty lines between messages are nothing. */
    if (r->cur != NULL)
      reader_finish(r);
    return;
  }
  WbAmiMessage *m = reader_cur(r);
  message_add_line(m, line, len);
  if (m->headers->len == 1 && g_ascii_strcasecmp(m->strings->str, "Response") == 0 &&
      g_ascii_strcasecmp(wb_ami_message_get(m, "Response"), "Follows") == 0) {
    r->follows = FOLLOWS_HEADERS;
    m->body = g_string_new(NULL);
  }
}

void
wb_ami_reader_feed(WbAmiReader *r, const char *data, gsize len)
{
  gsize start = 0;

  g_byte_array_append(r->buf, (const guint8 *)data, len);
  while (start < r->buf->len) {
    const char *p = (const char *)r->buf->data + start;
    gsize avail = r->buf->len - start;
    const char *nl = memchr(p, '\n', avail);
    if (nl == NULL) {
      /* No line end yet: keep at most one line's worth. */
      if (r->skipping) {
        start = r->buf->len;
      } else if (avail > WB_AMI_LINE_MAX) {
        reader_skip(r);
        r->skipping = TRUE;
        start = r->buf->len;
      }
      break;
    }
    gsize n = nl - p;
    if (r->skipping) {
      r->skipping = FALSE;
    } else if (n > WB_AMI_LINE_MAX) {
      reader_skip(r);
    } else {
      reader_line(r, p, n > 0 && p[n - 1] == '\r' ? n - 1 : n);
    }
    start += n + 1;
  }
  g_byte_array_remove_range(r->buf, 0, start);
}

/* ---- one message to events ---- */

typedef enum {
  KIND_JOIN,
  KIND_LEAVE,
  KIND_ABANDON,
  KIND_RING_NOANSWER,
  KIND_CONNECT,
  KIND_COMPLETE,
  KIND_MEMBER_ADDED,
  KIND_MEMBER_REMOVED,
  KIND_MEMBER_PAUSE,
  KIND_AGENT_LOGIN,
  KIND_AGENT_LOGOFF,
  KIND_SUMMARY,
  KIND_VARSET,
  KIND_HANGUP,
  KIND_BOOTED,
  KIND_QUEUE_ENTRY,
  KIND_STATUS_COMPLETE,
  KIND_IGNORED,
  KIND_UNKNOWN,
} Kind;

typedef struct {
  const char *name;
  Kind kind;
} KindName;

/* Names are matched without case (1.8 wrote Agentlogin). The first name of
 * each kind is the canonical one that goes into identities. Ignored: queue
 * events with nothing for KPIs (AgentCalled, AgentDump, member status and
 * penalty, the queues and members of the QueueStatus list) and the common
 * channel, bridge, dialplan and system events that `Events: on` brings. */
/* clang-format off */
static const KindName kinds[] = {
  {"QueueCallerJoin", KIND_JOIN},
  {"Join", KIND_JOIN},
  {"QueueCallerLeave", KIND_LEAVE},
  {"Leave", KIND_LEAVE},
  {"QueueCallerAbandon", KIND_ABANDON},
  {"AgentRingNoAnswer", KIND_RING_NOANSWER},
  {"AgentConnect", KIND_CONNECT},
  {"AgentComplete", KIND_COMPLETE},
  {"QueueMemberAdded", KIND_MEMBER_ADDED},
  {"QueueMemberRemoved", KIND_MEMBER_REMOVED},
  {"QueueMemberPause", KIND_MEMBER_PAUSE},
  {"QueueMemberPaused", KIND_MEMBER_PAUSE},
  {"AgentLogin", KIND_AGENT_LOGIN},
  {"AgentCallbackLogin", KIND_AGENT_LOGIN},
  {"AgentLogoff", KIND_AGENT_LOGOFF},
  {"AgentCallbackLogoff", KIND_AGENT_LOGOFF},
  {"QueueSummary", KIND_SUMMARY},
  {"VarSet", KIND_VARSET},
  {"Hangup", KIND_HANGUP},
  {"FullyBooted", KIND_BOOTED},
  {"QueueEntry", KIND_QUEUE_ENTRY},
  {"QueueStatusComplete", KIND_STATUS_COMPLETE},
  {"AgentCalled", KIND_IGNORED}, {"AgentDump", KIND_IGNORED}, {"QueueMemberStatus", KIND_IGNORED},
  {"QueueMemberPenalty", KIND_IGNORED}, {"QueueMemberRinginuse", KIND_IGNORED},
  {"QueueParams", KIND_IGNORED}, {"QueueMember", KIND_IGNORED},
  {"QueueSummaryComplete", KIND_IGNORED},
  {"Newchannel", KIND_IGNORED}, {"Newstate", KIND_IGNORED}, {"Newexten", KIND_IGNORED},
  {"NewCallerid", KIND_IGNORED}, {"NewConnectedLine", KIND_IGNORED},
  {"NewAccountCode", KIND_IGNORED}, {"Rename", KIND_IGNORED}, {"HangupRequest", KIND_IGNORED},
  {"SoftHangupRequest", KIND_IGNORED}, {"HangupHandlerPush", KIND_IGNORED},
  {"HangupHandlerPop", KIND_IGNORED}, {"HangupHandlerRun", KIND_IGNORED},
  {"DialBegin", KIND_IGNORED}, {"DialState", KIND_IGNORED}, {"DialEnd", KIND_IGNORED},
  {"Dial", KIND_IGNORED}, {"BridgeCreate", KIND_IGNORED}, {"BridgeEnter", KIND_IGNORED},
  {"BridgeLeave", KIND_IGNORED}, {"BridgeDestroy", KIND_IGNORED}, {"BridgeMerge", KIND_IGNORED},
  {"BridgeVideoSourceUpdate", KIND_IGNORED}, {"Bridge", KIND_IGNORED}, {"Link", KIND_IGNORED},
  {"Unlink", KIND_IGNORED}, {"Masquerade", KIND_IGNORED}, {"LocalBridge", KIND_IGNORED},
  {"LocalOptimizationBegin", KIND_IGNORED}, {"LocalOptimizationEnd", KIND_IGNORED},
  {"MusicOnHoldStart", KIND_IGNORED}, {"MusicOnHoldStop", KIND_IGNORED},
  {"MusicOnHold", KIND_IGNORED}, {"Hold", KIND_IGNORED}, {"Unhold", KIND_IGNORED},
  {"BlindTransfer", KIND_IGNORED}, {"AttendedTransfer", KIND_IGNORED}, {"Transfer", KIND_IGNORED},
  {"DTMFBegin", KIND_IGNORED}, {"DTMFEnd", KIND_IGNORED}, {"DTMF", KIND_IGNORED},
  {"MixMonitorStart", KIND_IGNORED}, {"MixMonitorStop", KIND_IGNORED},
  {"AGIExecStart", KIND_IGNORED}, {"AGIExecEnd", KIND_IGNORED}, {"AsyncAGIStart", KIND_IGNORED},
  {"AsyncAGIExec", KIND_IGNORED}, {"AsyncAGIEnd", KIND_IGNORED}, {"UserEvent", KIND_IGNORED},
  {"Cdr", KIND_IGNORED}, {"CEL", KIND_IGNORED}, {"RTCPSent", KIND_IGNORED},
  {"RTCPReceived", KIND_IGNORED}, {"PeerStatus", KIND_IGNORED}, {"ContactStatus", KIND_IGNORED},
  {"DeviceStateChange", KIND_IGNORED}, {"ExtensionStatus", KIND_IGNORED},
  {"PresenceStateChange", KIND_IGNORED}, {"Registry", KIND_IGNORED}, {"Reload", KIND_IGNORED},
  {"Shutdown", KIND_IGNORED}, {"SuccessfulAuth", KIND_IGNORED}, {"ChallengeSent", KIND_IGNORED},
  {"InvalidPassword", KIND_IGNORED}, {"ChallengeResponseFailed", KIND_IGNORED},
  {"FailedACL", KIND_IGNORED}, {"InvalidAccountID", KIND_IGNORED},
  {"RequestBadFormat", KIND_IGNORED}, {"RequestNotAllowed", KIND_IGNORED},
};
/* clang-format on */

static Kind
lookup_kind(const char *name, const char **canonical)
{
  for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
    if (g_ascii_strcasecmp(kinds[i].name, name) == 0) {
      /* The first entry of this kind is its canonical name. */
      gsize first = i;
      while (first > 0 && kinds[first - 1].kind == kinds[i].kind)
        first--;
      *canonical = kinds[first].name;
      return kinds[i].kind;
    }
  *canonical = name;
  return KIND_UNKNOWN;
}

/* The headers that make an event what it is, in a fixed order. */
static const char *const identity_keys[] = {
    "Timestamp", "Uniqueid",  "DestUniqueid", "Queue",    "MemberName",       "Interface",
    "Location",  "Member",    "Agent",        "Position", "OriginalPosition", "Count",
    "HoldTime",  "TalkTime",  "RingTime",     "Reason",   "Paused",           "PausedReason",
    "LastPause", "LoginTime", "CallsTaken",   "LastCall",
};

/* A stable 63-bit hash of an event's identity (see the top of the file).
 * `extra` adds what the headers lack (the time of a polled snapshot). */
/* The first 63 bits of a SHA-256: a source_pos. */
static gint64
checksum_pos(GChecksum *sum)
{
  guint8 digest[32];
  gsize len = sizeof(digest);
  guint64 h = 0;

  g_checksum_get_digest(sum, digest, &len);
  for (int i = 0; i < 8; i++)
    h = (h << 8) | digest[i];
  return (gint64)(h >> 1);
}

static gint64
identity_hash(const WbAmiMessage *m, const char *canonical, int sub, gint64 extra)
{
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  char tail[48];

  g_checksum_update(sum, (const guchar *)canonical, strlen(canonical) + 1);
  for (gsize i = 0; m != NULL && i < G_N_ELEMENTS(identity_keys); i++) {
    const char *v = wb_ami_message_get(m, identity_keys[i]);
    guchar tag = (guchar)(i + 1);
    if (v == NULL)
      continue;
    g_checksum_update(sum, &tag, 1);
    g_checksum_update(sum, (const guchar *)v, strlen(v) + 1);
  }
  g_snprintf(tail, sizeof(tail), "#%d#%" G_GINT64_FORMAT, sub, extra);
  g_checksum_update(sum, (const guchar *)tail, strlen(tail));
  return checksum_pos(sum);
}

static void
malformed(WbAmiParsed *out, const char *reason)
{
  out->result = WB_AMI_MALFORMED;
  out->n_events = 0;
  out->reason = reason;
}

/* An integer header. Absent: -1 (or FALSE when required); present but not
 * an integer: FALSE. */
static gboolean
header_int(const WbAmiMessage *m, const char *key, gboolean required, gint64 *out)
{
  const char *v = wb_ami_message_get(m, key);
  gint64 n;

  *out = -1;
  if (v == NULL || *v == '\0')
    return !required;
  if (!g_ascii_string_to_signed(v, 10, -1, G_MAXINT64 / 1000, &n, NULL))
    return FALSE;
  *out = n;
  return TRUE;
}

/* `Timestamp: 1700000000.123456` (timestampevents = yes, and Ping answers). */
static gboolean
parse_timestamp(const WbAmiMessage *m, WbAmiParsed *out)
{
  const char *v = wb_ami_message_get(m, "Timestamp");
  gint64 secs = 0, ms = 0;
  int digits = 0;
  const char *p = v;

  if (v == NULL)
    return TRUE;
  for (; g_ascii_isdigit(*p) && p - v < 12; p++)
    secs = secs * 10 + (*p - '0');
  if (p == v)
    return FALSE;
  if (*p == '.')
    for (p++; g_ascii_isdigit(*p); p++)
      if (digits < 3) {
        ms = ms * 10 + (*p - '0');
        digits++;
      }
  for (; digits < 3; digits++)
    ms *= 10;
  if (*p != '\0' || secs < 946684800 || secs >= 4102444800)
    return FALSE;
  out->ts_ms = secs * 1000 + ms;
  out->has_ts = TRUE;
  return TRUE;
}

static WbEvent *
new_event(WbAmiParsed *out, const WbAmiMessage *m, const char *source, const char *canonical,
          WbEventType type)
{
  int sub = out->n_events;
  WbEvent *ev = &out->events[out->n_events++];

  wb_event_init(ev, type);
  ev->ts_ms = out->ts_ms;
  WB_EVENT_SET(ev, source, source, -1);
  ev->source_pos = identity_hash(m, canonical, sub, 0);
  ev->wait_ms = ev->ring_ms = ev->talk_ms = -1;
  return ev;
}

/* The member's key: its name where it has one, else its interface. */
static gboolean
member_key(const WbAmiMessage *m, WbAgentMap *agents, char *out, gsize size)
{
  static const char *const keys[] = {"MemberName", "Interface", "Location", "Member"};

  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    const char *v = wb_ami_message_get(m, keys[i]);
    if (v == NULL || *v == '\0')
      continue;
    wb_agent_map_lookup(agents, v, -1, out, size);
    if (*out != '\0')
      return TRUE;
  }
  return FALSE;
}

static void
set_caller(WbEvent *ev, const char *cid)
{
  static const char *const hidden[] = {"<unknown>", "unknown", "anonymous", "restricted", "NONE"};

  if (cid == NULL || *cid == '\0')
    return;
  for (gsize i = 0; i < G_N_ELEMENTS(hidden); i++)
    if (g_ascii_strcasecmp(cid, hidden[i]) == 0)
      return;
  WB_EVENT_SET(ev, caller_raw, cid, -1);
}

/* Caller-side events need the caller's Uniqueid and the queue. */
static WbEvent *
call_event(WbAmiParsed *out, const WbAmiMessage *m, WbAgentMap *agents, const char *source,
           const char *canonical, WbEventType type, gboolean need_member)
{
  const char *uid = wb_ami_message_get(m, "Uniqueid");
  const char *queue = wb_ami_message_get(m, "Queue");

  if (uid == NULL || *uid == '\0' || queue == NULL || *queue == '\0') {
    malformed(out, "queue event without Uniqueid or Queue");
    return NULL;
  }
  WbEvent *ev = new_event(out, m, source, canonical, type);
  WB_EVENT_SET(ev, call_id, uid, -1);
  WB_EVENT_SET(ev, queue, queue, -1);
  if (need_member && !member_key(m, agents, ev->agent, sizeof(ev->agent))) {
    malformed(out, "agent event without MemberName or Interface");
    return NULL;
  }
  return ev;
}

static gint64
secs_to_ms(gint64 s)
{
  return s < 0 ? -1 : s * 1000;
}

static gint32
clamp_position(gint64 v)
{
  return (gint32)CLAMP(v, 0, G_MAXINT32);
}

static void
parse_join(WbAmiParsed *out, const WbAmiMessage *m, WbEvent *ev)
{
  gint64 pos;
  if (!header_int(m, "Position", FALSE, &pos)) {
    malformed(out, "QueueCallerJoin: Position is not a number");
    return;
  }
  ev->position = clamp_position(pos);
  set_caller(ev, wb_ami_message_get(m, "CallerIDNum"));
}

static void
parse_abandon(WbAmiParsed *out, const WbAmiMessage *m, WbEvent *ev)
{
  gint64 hold, pos, opos;
  if (!header_int(m, "HoldTime", TRUE, &hold) || !header_int(m, "Position", FALSE, &pos) ||
      !header_int(m, "OriginalPosition", FALSE, &opos)) {
    malformed(out, "QueueCallerAbandon: HoldTime or a position is not a number");
    return;
  }
  ev->wait_ms = secs_to_ms(hold);
  ev->position = clamp_position(opos >= 0 ? opos : pos);
  ev->abandon_reason = WB_ABANDON_ABANDON;
}

static void
parse_connect(WbAmiParsed *out, const WbAmiMessage *m, WbEvent *ev)
{
  gint64 hold, ring;
  if (!header_int(m, "HoldTime", TRUE, &hold) || !header_int(m, "RingTime", FALSE, &ring)) {
    malformed(out, "AgentConnect: HoldTime or RingTime is not a number");
    return;
  }
  ev->wait_ms = secs_to_ms(hold);
  ev->ring_ms = secs_to_ms(ring);
}

/* AgentComplete: Reason caller, agent or transfer (Asterisk writes no
 * other; anything else is taken as the caller's hang-up). */
static void
parse_complete(WbAmiParsed *out, const WbAmiMessage *m, WbEvent *ev)
{
  gint64 hold, talk;
  const char *reason = wb_ami_message_get(m, "Reason");

  if (!header_int(m, "HoldTime", TRUE, &hold) || !header_int(m, "TalkTime", TRUE, &talk)) {
    malformed(out, "AgentComplete: HoldTime or TalkTime missing or not a number");
    return;
  }
  ev->wait_ms = secs_to_ms(hold);
  ev->talk_ms = secs_to_ms(talk);
  ev->ended_by = WB_ENDED_BY_CALLER;
  if (g_ascii_strcasecmp(reason != NULL ? reason : "", "agent") == 0) {
    ev->ended_by = WB_ENDED_BY_AGENT;
  } else if (g_ascii_strcasecmp(reason != NULL ? reason : "", "transfer") == 0) {
    ev->ended_by = WB_ENDED_BY_TRANSFER;
    ev->type = WB_EVENT_CALL_TRANSFER;
  }
}

/* QueueCallerLeave gives a prototype call.abandon (reason key) that the
 * collector emits only if no agent answers (top of the file). */
static void
parse_leave(WbAmiParsed *out, const WbAmiMessage *m, WbEvent *ev)
{
  gint64 pos;
  if (!header_int(m, "Position", FALSE, &pos)) {
    malformed(out, "QueueCallerLeave: Position is not a number");
    return;
  }
  ev->position = clamp_position(pos);
  ev->abandon_reason = WB_ABANDON_KEY;
  out->result = WB_AMI_LEAVE;
  g_strlcpy(out->queue, ev->queue, sizeof(out->queue));
}

static void
parse_call(WbAmiParsed *out, const WbAmiMessage *m, Kind kind, WbAgentMap *agents,
           const char *source, const char *canonical)
{
  static const WbEventType types[] = {
      [KIND_JOIN] = WB_EVENT_CALL_ENQUEUE,    [KIND_LEAVE] = WB_EVENT_CALL_ABANDON,
      [KIND_ABANDON] = WB_EVENT_CALL_ABANDON, [KIND_RING_NOANSWER] = WB_EVENT_CALL_RING_NOANSWER,
      [KIND_CONNECT] = WB_EVENT_CALL_ANSWER,  [KIND_COMPLETE] = WB_EVENT_CALL_END,
  };
  gboolean need_member =
      kind == KIND_RING_NOANSWER || kind == KIND_CONNECT || kind == KIND_COMPLETE;
  WbEvent *ev = call_event(out, m, agents, source, canonical, types[kind], need_member);

  if (ev == NULL)
    return;
  switch (kind) {
  case KIND_JOIN: parse_join(out, m, ev); break;
  case KIND_LEAVE: parse_leave(out, m, ev); break;
  case KIND_ABANDON: parse_abandon(out, m, ev); break;
  case KIND_RING_NOANSWER:
    /* Milliseconds here, unlike AgentConnect's seconds. */
    if (!header_int(m, "RingTime", FALSE, &ev->ring_ms))
      malformed(out, "AgentRingNoAnswer: RingTime is not a number");
    break;
  case KIND_CONNECT: parse_connect(out, m, ev); break;
  default: parse_complete(out, m, ev); break;
  }
}

static gboolean
parse_paused(const char *v, gboolean *paused)
{
  if (v == NULL)
    return FALSE;
  if (strcmp(v, "1") == 0 || g_ascii_strcasecmp(v, "true") == 0 ||
      g_ascii_strcasecmp(v, "yes") == 0) {
    *paused = TRUE;
    return TRUE;
  }
  if (strcmp(v, "0") == 0 || g_ascii_strcasecmp(v, "false") == 0 ||
      g_ascii_strcasecmp(v, "no") == 0) {
    *paused = FALSE;
    return TRUE;
  }
  return FALSE;
}

static const char *
pause_reason(const WbAmiMessage *m)
{
  const char *r = wb_ami_message_get(m, "PausedReason");
  return r != NULL ? r : wb_ami_message_get(m, "Reason");
}

/* Queue member events: per queue, the member by name or interface. */
static void
parse_member(WbAmiParsed *out, const WbAmiMessage *m, Kind kind, WbAgentMap *agents,
             const char *source, const char *canonical)
{
  const char *queue = wb_ami_message_get(m, "Queue");
  gboolean paused = FALSE;
  WbEventType type = kind == KIND_MEMBER_REMOVED ? WB_EVENT_AGENT_LOGOUT : WB_EVENT_AGENT_LOGIN;

  if (kind == KIND_MEMBER_PAUSE) {
    if (!parse_paused(wb_ami_message_get(m, "Paused"), &paused)) {
      malformed(out, "QueueMemberPause: Paused is not 1 or 0");
      return;
    }
    type = paused ? WB_EVENT_AGENT_PAUSE : WB_EVENT_AGENT_UNPAUSE;
  }
  WbEvent *ev = new_event(out, m, source, canonical, type);
  if (!member_key(m, agents, ev->agent, sizeof(ev->agent))) {
    malformed(out, "member event without MemberName or Interface");
    return;
  }
  WB_EVENT_SET(ev, queue, queue, -1);
  if (kind == KIND_MEMBER_PAUSE)
    WB_EVENT_SET(ev, reason, pause_reason(m), -1);
  if (kind == KIND_MEMBER_ADDED && parse_paused(wb_ami_message_get(m, "Paused"), &paused) &&
      paused) {
    /* Added paused: a login and a pause, as queue_log's ADDMEMBER|PAUSED. */
    WbEvent *pause = new_event(out, m, source, canonical, WB_EVENT_AGENT_PAUSE);
    WbEvent *login = &out->events[0];
    gint64 pos = pause->source_pos;
    *pause = *login;
    pause->type = WB_EVENT_AGENT_PAUSE;
    pause->source_pos = pos;
    WB_EVENT_SET(pause, reason, pause_reason(m), -1);
  }
}

/* app_agent_pool (12+) and chan_agent (≤11): `Agent: 1001`. */
static void
parse_agent(WbAmiParsed *out, const WbAmiMessage *m, Kind kind, WbAgentMap *agents,
            const char *source, const char *canonical)
{
  const char *agent = wb_ami_message_get(m, "Agent");
  WbEvent *ev = new_event(out, m, source, canonical,
                          kind == KIND_AGENT_LOGIN ? WB_EVENT_AGENT_LOGIN : WB_EVENT_AGENT_LOGOUT);

  if (agent != NULL)
    wb_agent_map_lookup(agents, agent, -1, ev->agent, sizeof(ev->agent));
  if (ev->agent[0] == '\0')
    malformed(out, "AgentLogin/AgentLogoff without Agent");
}

/* QueueSummary: Callers, LongestHoldTime (s), LoggedIn, Available. */
static void
parse_summary(WbAmiParsed *out, const WbAmiMessage *m, const char *source)
{
  const char *queue = wb_ami_message_get(m, "Queue");
  gint64 callers, longest, logged_in, available;

  if (queue == NULL || *queue == '\0') {
    malformed(out, "QueueSummary without Queue");
    return;
  }
  if (!header_int(m, "Callers", TRUE, &callers) ||
      !header_int(m, "LongestHoldTime", FALSE, &longest) ||
      !header_int(m, "LoggedIn", TRUE, &logged_in) ||
      !header_int(m, "Available", TRUE, &available)) {
    malformed(out, "QueueSummary: a count is missing or not a number");
    return;
  }
  WbEvent *ev = &out->events[out->n_events++];
  wb_event_init(ev, WB_EVENT_ACD_SNAPSHOT);
  ev->ts_ms = out->ts_ms;
  WB_EVENT_SET(ev, source, source, -1);
  WB_EVENT_SET(ev, queue, queue, -1);
  ev->source_pos = identity_hash(m, "QueueSummary", 0, out->ts_ms);
  ev->position = clamp_position(callers);
  ev->wait_ms = longest < 0 ? 0 : longest * 1000;
  ev->count_a = clamp_position(logged_in);
  ev->count_b = clamp_position(available);
  ev->ring_ms = ev->talk_ms = -1;
}

static void
parse_varset(WbAmiParsed *out, const WbAmiMessage *m)
{
  const char *var = wb_ami_message_get(m, "Variable");
  const char *value = wb_ami_message_get(m, "Value");

  out->varset = TRUE;
  out->result = WB_AMI_IGNORED;
  if (var == NULL || g_ascii_strcasecmp(var, "QUEUESTATUS") != 0 || out->call_id[0] == '\0')
    return;
  out->result = WB_AMI_STATUS;
  g_strlcpy(out->status, value != NULL ? value : "", sizeof(out->status));
}

/* QueueEntry: a caller waiting now. Position and Wait only inform; a
 * number that is not one leaves them unknown rather than losing the
 * entry, which says the caller is still there. */
static void
parse_queue_entry(WbAmiParsed *out, const WbAmiMessage *m)
{
  const char *queue = wb_ami_message_get(m, "Queue");
  gint64 pos, wait;

  if (out->call_id[0] == '\0' || queue == NULL || *queue == '\0') {
    malformed(out, "QueueEntry without Uniqueid or Queue");
    return;
  }
  out->result = WB_AMI_QUEUE_ENTRY;
  g_strlcpy(out->queue, queue, sizeof(out->queue));
  out->position = header_int(m, "Position", FALSE, &pos) && pos >= 0 ? clamp_position(pos) : -1;
  out->wait_ms = header_int(m, "Wait", FALSE, &wait) ? secs_to_ms(wait) : -1;
}

static void
parse_event(WbAmiParsed *out, const WbAmiMessage *m, const char *event, WbAgentMap *agents,
            const char *source)
{
  const char *canonical;
  Kind kind = lookup_kind(event, &canonical);

  out->result = WB_AMI_EVENTS;
  switch (kind) {
  case KIND_JOIN:
  case KIND_LEAVE:
  case KIND_ABANDON:
  case KIND_RING_NOANSWER:
  case KIND_CONNECT:
  case KIND_COMPLETE: parse_call(out, m, kind, agents, source, canonical); break;
  case KIND_MEMBER_ADDED:
  case KIND_MEMBER_REMOVED:
  case KIND_MEMBER_PAUSE: parse_member(out, m, kind, agents, source, canonical); break;
  case KIND_AGENT_LOGIN:
  case KIND_AGENT_LOGOFF: parse_agent(out, m, kind, agents, source, canonical); break;
  case KIND_SUMMARY: parse_summary(out, m, source); break;
  case KIND_VARSET: parse_varset(out, m); break;
  case KIND_HANGUP: out->result = out->call_id[0] != '\0' ? WB_AMI_HANGUP : WB_AMI_IGNORED; break;
  case KIND_BOOTED:
    out->result = WB_AMI_BOOTED;
    if (!header_int(m, "Uptime", FALSE, &out->uptime_s))
      out->uptime_s = -1;
    break;
  case KIND_QUEUE_ENTRY: parse_queue_entry(out, m); break;
  case KIND_STATUS_COMPLETE: out->result = WB_AMI_QUEUE_STATUS_COMPLETE; break;
  case KIND_IGNORED: out->result = WB_AMI_IGNORED; break;
  case KIND_UNKNOWN: out->result = WB_AMI_UNKNOWN; break;
  }
}

void
wb_ami_message_parse(const WbAmiMessage *m, WbAgentMap *agents, const char *source, gint64 now_ms,
                     WbAmiParsed *out)
{
  const char *event = wb_ami_message_get(m, "Event");
  const char *response = wb_ami_message_get(m, "Response");
  const char *uid = wb_ami_message_get(m, "Uniqueid");

  memset(out, 0, sizeof(*out));
  out->ts_ms = now_ms;
  out->uptime_s = -1;
  out->position = -1;
  out->wait_ms = -1;
  g_strlcpy(out->call_id, uid != NULL ? uid : "", sizeof(out->call_id));
  g_strlcpy(out->name, event != NULL ? event : response != NULL ? response : "", sizeof(out->name));
  if (m->malformed != NULL) {
    malformed(out, m->malformed);
    return;
  }
  if (!parse_timestamp(m, out)) {
    malformed(out, "Timestamp is not epoch seconds in 2000-2099");
    return;
  }
  if (event == NULL) {
    if (response != NULL)
      out->result = WB_AMI_RESPONSE;
    else if (m->headers->len == 0)
      out->result = WB_AMI_IGNORED; /* only skipped lines */
    else
      malformed(out, "neither Event nor Response");
    return;
  }
  parse_event(out, m, event, agents, source);
}

void
wb_ami_restart_event(WbEvent *ev, const char *source, gint64 start_s)
{
  wb_event_init(ev, WB_EVENT_SOURCE_RESTART);
  ev->ts_ms = start_s * 1000;
  WB_EVENT_SET(ev, source, source, -1);
  ev->source_pos = identity_hash(NULL, "FullyBooted", 0, start_s);
  ev->wait_ms = ev->ring_ms = ev->talk_ms = -1;
}

void
wb_ami_sync_event(WbEvent *ev, const char *source, gint64 ts_ms, const char *call_id,
                  const char *queue)
{
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  char ts[32];
  const char *parts[] = {"source.sync", ts, call_id, queue};

  g_snprintf(ts, sizeof(ts), "%" G_GINT64_FORMAT, ts_ms);
  /* Each part with its NUL, so that no two lists hash alike. */
  for (gsize i = 0; i < G_N_ELEMENTS(parts); i++)
    g_checksum_update(sum, (const guchar *)parts[i], strlen(parts[i]) + 1);
  wb_event_init(ev, WB_EVENT_SOURCE_SYNC);
  ev->ts_ms = ts_ms;
  WB_EVENT_SET(ev, source, source, -1);
  WB_EVENT_SET(ev, call_id, call_id, -1);
  WB_EVENT_SET(ev, queue, queue, -1);
  ev->source_pos = checksum_pos(sum);
  ev->position = -1;
  ev->wait_ms = ev->ring_ms = ev->talk_ms = -1;
}

void
wb_ami_parse_message(const char *text, gssize len, WbAgentMap *agents, const char *source,
                     gint64 now_ms, WbAmiParsed *out)
{
  g_autoptr(WbAmiReader) r = wb_ami_reader_new(FALSE);
  gsize n = len < 0 ? strlen(text) : (gsize)len;

  wb_ami_reader_feed(r, text, n);
  /* The message need not end with its empty line. */
  wb_ami_reader_feed(r, "\r\n\r\n", 4);
  g_autoptr(WbAmiMessage) m = wb_ami_reader_next(r);
  if (m == NULL) {
    /* Unfinished (a `Response: Follows` without its end): nothing to
     * read, with the same defaults as a parsed message. */
    memset(out, 0, sizeof(*out));
    out->result = WB_AMI_IGNORED;
    out->ts_ms = now_ms;
    out->uptime_s = -1;
    out->position = -1;
    out->wait_ms = -1;
    return;
  }
  wb_ami_message_parse(m, agents, source, now_ms, out);
}
