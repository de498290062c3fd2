/* event.c: names of event types and enums, caller-number protection. */
#define G_LOG_DOMAIN "event"

#include "engine/event.h"

#include <sodium.h>
#include <string.h>

static const char *const event_type_names[WB_EVENT_TYPE_COUNT] = {
    [WB_EVENT_NONE] = "none",
    [WB_EVENT_CALL_ENQUEUE] = "call.enqueue",
    [WB_EVENT_CALL_RING_NOANSWER] = "call.ring_noanswer",
    [WB_EVENT_CALL_ANSWER] = "call.answer",
    [WB_EVENT_CALL_END] = "call.end",
    [WB_EVENT_CALL_ABANDON] = "call.abandon",
    [WB_EVENT_CALL_TRANSFER] = "call.transfer",
    [WB_EVENT_AGENT_LOGIN] = "agent.login",
    [WB_EVENT_AGENT_LOGOUT] = "agent.logout",
    [WB_EVENT_AGENT_PAUSE] = "agent.pause",
    [WB_EVENT_AGENT_UNPAUSE] = "agent.unpause",
    [WB_EVENT_SOURCE_RESTART] = "source.restart",
    [WB_EVENT_SOURCE_SYNC] = "source.sync",
    [WB_EVENT_CALL_CLASSIFY] = "call.classify",
    [WB_EVENT_CALL_SURVEY] = "call.survey",
    [WB_EVENT_ACD_SNAPSHOT] = "acd.snapshot",
    [WB_EVENT_STAFF_PUNCH] = "staff.punch",
    [WB_EVENT_ROSTER_SHIFT] = "roster.shift",
    [WB_EVENT_STAFF_RECORD] = "staff.record",
    [WB_EVENT_TRAINING_RECORD] = "training.record",
    [WB_EVENT_EXAM_RECORD] = "exam.record",
    [WB_EVENT_QA_SCORE] = "qa.score",
    [WB_EVENT_WORKORDER_OPEN] = "workorder.open",
    [WB_EVENT_WORKORDER_UPDATE] = "workorder.update",
    [WB_EVENT_WORKORDER_CLOSE] = "workorder.close",
    [WB_EVENT_COMPLAINT_OPEN] = "complaint.open",
    [WB_EVENT_COMPLAINT_CLOSE] = "complaint.close",
};

static const char *const abandon_reason_names[WB_ABANDON_REASON_COUNT] = {
    [WB_ABANDON_ABANDON] = "abandon",   [WB_ABANDON_TIMEOUT] = "timeout",
    [WB_ABANDON_EMPTY] = "empty",       [WB_ABANDON_KEY] = "key",
    [WB_ABANDON_WITHDRAW] = "withdraw",
};

static const char *const ended_by_names[WB_ENDED_BY_COUNT] = {
    [WB_ENDED_BY_CALLER] = "caller",
    [WB_ENDED_BY_AGENT] = "agent",
    [WB_ENDED_BY_TRANSFER] = "transfer",
    [WB_ENDED_BY_SYSTEM] = "system",
};

static int
name_index(const char *const *names, int count, const char *name)
{
  if (name == NULL)
    return -1;
  for (int i = 0; i < count; i++)
    if (names[i] != NULL && strcmp(names[i], name) == 0)
      return i;
  return -1;
}

const char *
wb_event_type_name(WbEventType type)
{
  if ((int)type < 0 || type >= WB_EVENT_TYPE_COUNT)
    return "none";
  return event_type_names[type];
}

WbEventType
wb_event_type_from_name(const char *name)
{
  int i = name_index(event_type_names, WB_EVENT_TYPE_COUNT, name);
  return i < 0 ? WB_EVENT_NONE : (WbEventType)i;
}

const char *
wb_abandon_reason_name(WbAbandonReason reason)
{
  if ((int)reason < 0 || reason >= WB_ABANDON_REASON_COUNT)
    return "abandon";
  return abandon_reason_names[reason];
}

WbAbandonReason
wb_abandon_reason_from_name(const char *name)
{
  int i = name_index(abandon_reason_names, WB_ABANDON_REASON_COUNT, name);
  return i < 0 ? WB_ABANDON_ABANDON : (WbAbandonReason)i;
}

const char *
wb_ended_by_name(WbEndedBy ended_by)
{
  if ((int)ended_by < 0 || ended_by >= WB_ENDED_BY_COUNT)
    return "caller";
  return ended_by_names[ended_by];
}

WbEndedBy
wb_ended_by_from_name(const char *name)
{
  int i = name_index(ended_by_names, WB_ENDED_BY_COUNT, name);
  return i < 0 ? WB_ENDED_BY_CALLER : (WbEndedBy)i;
}

void
wb_event_init(WbEvent *ev, WbEventType type)
{
  memset(ev, 0, sizeof(*ev));
  ev->type = type;
}

void
wb_event_set_str(char *field, gsize field_size, const char *value, gssize len)
{
  if (value == NULL) {
    field[0] = '\0';
    return;
  }
  gsize n = len < 0 ? strlen(value) : (gsize)len;
  if (n >= field_size) {
    /* Cut on a character boundary so the field stays valid UTF-8. */
    n = field_size - 1;
    while (n > 0 && ((guchar)value[n] & 0xC0) == 0x80)
      n--;
  }
  memcpy(field, value, n);
  field[n] = '\0';
}

void
wb_caller_mask(const char *raw, char *out, gsize out_size)
{
  char digits[WB_CALLER_RAW_MAX];
  gsize n = 0;

  /* Mask the digits only: "+86 138-1234-5678" and "13812345678" give the
   * same mask, and a caller id name never reaches the mask. */
  for (const char *p = raw; p != NULL && *p != '\0' && n < sizeof(digits) - 1; p++)
    if (g_ascii_isdigit(*p))
      digits[n++] = *p;
  digits[n] = '\0';

  if (n == 0) {
    g_strlcpy(out, "", out_size);
  } else if (n >= 7) {
    g_snprintf(out, out_size, "%.3s****%s", digits, digits + n - 4);
  } else if (n >= 3) {
    g_snprintf(out, out_size, "%.*s**", (int)(n - 2), digits);
  } else {
    g_strlcpy(out, "**", out_size);
  }
}

void
wb_caller_hash(const guint8 *key, gsize key_len, const char *raw, char *out, gsize out_size)
{
  guint8 digest[16];

  if (raw == NULL || raw[0] == '\0') {
    g_strlcpy(out, "", out_size);
    return;
  }
  /* Keyed BLAKE2b: equal numbers give equal hashes under one install's key,
   * and a stolen database cannot be reversed by hashing all numbers. */
  crypto_generichash(digest, sizeof(digest), (const guint8 *)raw, strlen(raw), key, key_len);
  sodium_bin2hex(out, out_size, digest, sizeof(digest));
}
