/* ami_parse.h: the Asterisk Manager Interface wire format, and one
 * message to events.
 *
 * No I/O and no clock (the caller says what now is), so the unit tests
 * exercise all of it: a reader that splits the server's bytes into
 * messages (input-formats.md 2.1, quirk 18), and the mapping of one message
 * of Asterisk 1.8 to 22 (input-formats.md 2.2-2.3) to WbEvents with stable
 * identities. What several messages mean together (why a caller left, who
 * left during a gap) is the collector's (ami.h).
 */
#pragma once

#include <glib.h>

#include "collectors/collector.h"

G_BEGIN_DECLS

/* Longest line kept (Asterisk reads at most 1024 bytes per line, but writes
 * longer ones); a longer line is skipped, counted and quarantined. */
#define WB_AMI_LINE_MAX 8192
/* Most header lines in one message; the rest of a longer one is skipped. */
#define WB_AMI_HEADERS_MAX 512

/* ---- the wire format: bytes to messages ---- */

typedef struct WbAmiMessage WbAmiMessage;

void wb_ami_message_free(WbAmiMessage *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbAmiMessage, wb_ami_message_free)

/* The value of the first header named `key` (case-insensitive), or NULL. */
const char *wb_ami_message_get(const WbAmiMessage *m, const char *key);
/* The value of the n-th header named `key` (headers may repeat), or NULL. */
const char *wb_ami_message_get_nth(const WbAmiMessage *m, const char *key, guint n);
guint wb_ami_message_n_headers(const WbAmiMessage *m);
/* The output of a `Response: Follows` message (lines joined with '\n',
 * without `--END COMMAND--`), or NULL for other messages. */
const char *wb_ami_message_body(const WbAmiMessage *m);
/* Why the message cannot be read (a line without ':', too many headers), or
 * NULL. */
const char *wb_ami_message_malformed(const WbAmiMessage *m);
/* Lines longer than WB_AMI_LINE_MAX that were dropped from the message. */
guint wb_ami_message_n_skipped(const WbAmiMessage *m);
/* The message as text, at most `max` bytes (for the quarantine). */
char *wb_ami_message_text(const WbAmiMessage *m, gsize max);

/* Splits a byte stream into messages: lines end in LF or CRLF, a message
 * ends at an empty line, `Response: Follows` output runs to
 * `--END COMMAND--`. With `banner`, the first line is the server's banner,
 * kept apart. */
typedef struct WbAmiReader WbAmiReader;
WbAmiReader *wb_ami_reader_new(gboolean banner);
void wb_ami_reader_free(WbAmiReader *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WbAmiReader, wb_ami_reader_free)
void wb_ami_reader_feed(WbAmiReader *r, const char *data, gsize len);
/* The next complete message, or NULL until more bytes come. */
WbAmiMessage *wb_ami_reader_next(WbAmiReader *r);
/* The banner line once read (without its line end), else NULL. */
const char *wb_ami_reader_banner(const WbAmiReader *r);

/* ---- one message to events ---- */

typedef enum {
  WB_AMI_EVENTS,    /* events[0 .. n_events) filled */
  WB_AMI_RESPONSE,  /* an answer to an action */
  WB_AMI_IGNORED,   /* a known event with no meaning for KPIs */
  WB_AMI_UNKNOWN,   /* an event name we do not know: skipped */
  WB_AMI_MALFORMED, /* quarantined: see reason */
  WB_AMI_LEAVE,     /* QueueCallerLeave / Leave: see events[0] */
  WB_AMI_STATUS,    /* VarSet QUEUESTATUS of channel call_id: see status */
  WB_AMI_HANGUP,    /* the channel call_id is gone */
  WB_AMI_BOOTED,    /* FullyBooted: see uptime_s */
  /* A caller waiting now, in the answer to QueueStatus: call_id, queue,
   * position and wait_ms. */
  WB_AMI_QUEUE_ENTRY,
  WB_AMI_QUEUE_STATUS_COMPLETE, /* the end of that answer, at ts_ms */
} WbAmiResult;

typedef struct {
  WbAmiResult result;
  int n_events;
  WbEvent events[2];  /* QueueMemberAdded with Paused: 1 gives two */
  const char *reason; /* static text, for MALFORMED */
  char name[64];      /* the Event or Response value */
  gint64 ts_ms;       /* the Timestamp header, else now_ms */
  gboolean has_ts;    /* the message carried a Timestamp */
  gboolean varset;    /* a VarSet event (any variable) */
  /* The Uniqueid header of any message (the channel it is about); for
   * LEAVE, events[0] is the call.abandon the exit gives if no agent
   * answers, and queue its queue. */
  char call_id[WB_EVENT_ID_MAX];
  char queue[WB_EVENT_ID_MAX];
  char status[32]; /* STATUS: the value of QUEUESTATUS */
  gint64 uptime_s; /* BOOTED: Uptime, or -1 */
  gint32 position; /* QUEUE_ENTRY: Position, or -1 */
  gint64 wait_ms;  /* QUEUE_ENTRY: Wait (seconds in AMI), or -1 */
} WbAmiParsed;

/* Reads one message. Events get `source`, their time (Timestamp header,
 * else now_ms) and a source_pos that is a stable hash of the event's
 * identity (ami_parse.c, "Identity"). QueueCallerAbandon gives call.abandon with
 * reason abandon: telling a timeout or an emptied queue needs the messages
 * that follow, which the collector watches. */
void wb_ami_message_parse(const WbAmiMessage *m, WbAgentMap *agents, const char *source,
                          gint64 now_ms, WbAmiParsed *out);
/* The same from the text of one message (tests): it need not end with its
 * empty line. */
void wb_ami_parse_message(const char *text, gssize len, WbAgentMap *agents, const char *source,
                          gint64 now_ms, WbAmiParsed *out);

/* The source.restart of a server that started at start_s (epoch seconds,
 * from FullyBooted's Uptime): identified by that start, so hearing of the
 * same boot again is refused as a duplicate. */
void wb_ami_restart_event(WbEvent *ev, const char *source, gint64 start_s);

/* A source.sync of the round at ts_ms (event.h): with a call_id, "this
 * caller still waits in queue"; with call_id "", the round's sweep. Its
 * source_pos hashes "source.sync", ts_ms, call_id and queue, so the same
 * round sent again is refused as a duplicate. */
void wb_ami_sync_event(WbEvent *ev, const char *source, gint64 ts_ms, const char *call_id,
                       const char *queue);

G_END_DECLS
