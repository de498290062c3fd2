/* ami.c: the Asterisk Manager Interface client: the connection (TCP or
 * TLS), login, keepalive and reconnection, the caller exits that take
 * several messages to tell, and the collector's ops. The wire format and
 * the mapping of one message to events are in ami_parse.c.
 *
 * Caller exits (read in apps/app_queue.c: leave_queue(), record_abandoned(),
 * try_calling(), queue_exec(), wait_our_turn(), Asterisk 11.25 to master).
 * Every queue exit publishes QueueCallerLeave (pre-12: Leave); an answered
 * call publishes it in try_calling() *before* AgentConnect. record_abandoned()
 * publishes QueueCallerAbandon, without a reason, on a hang-up, on every
 * timeout path (EXITWITHTIMEOUT) and, since 13.37/16.14/17.8/18.0, on every
 * leave-when-empty path (EXITEMPTY); before those releases a caller who was
 * not at the head when the queue emptied got only Leave. EXITWITHKEY never
 * calls record_abandoned(). After leave_queue(), set_queue_result() sets the
 * channel variable QUEUESTATUS (TIMEOUT, LEAVEEMPTY, WITHDRAW, …; nothing
 * after a hang-up or a key) on the same channel, so its VarSet follows the
 * Leave in the stream. So from the events alone:
 *   - QueueCallerAbandon then Leave: an abandon; the reason is timeout,
 *     empty or withdraw if a VarSet QUEUESTATUS of that Uniqueid says so,
 *     else abandon. It is held until the VarSet, another non-VarSet message
 *     of that channel after its Leave, or 2 s;
 *   - Leave with no QueueCallerAbandon before it: answered if AgentConnect
 *     follows; else an abandon with the reason QUEUESTATUS gives (old
 *     leave-empty), else `key`. Held until AgentConnect, the VarSet, a
 *     Hangup or new Join of that Uniqueid, or 10 s (agi/gosub run between
 *     Leave and AgentConnect).
 * The seconds run on Asterisk's clock (the Timestamp of the latest message,
 * Ping answers included) when the held event had one, and on the wall clock
 * in any case; the first to pass settles. The reason needs the `dialplan`
 * event class (VarSet); without it every exit with QueueCallerAbandon is
 * `abandon`. The counts (offered, abandoned, waits) do not depend on it.
 */
#define G_LOG_DOMAIN "ami"

#include "collectors/ami.h"

#include <gio/gio.h>
#include <stdarg.h>
#include <string.h>

#include "collectors/ami_parse.h"

#define READ_SIZE 16384
#define ABANDON_SETTLE_MS 2000
#define LEAVE_SETTLE_MS 10000
#define WAITING_MAX 20000
#define HEALTHY_US (60 * G_USEC_PER_SEC)
#define LOGIN_TIMEOUT_S 10
#define RESTART_SLACK_S 30
#define QUARANTINE_TEXT_MAX 4096

char *
wb_ami_md5_key(const char *challenge, const char *secret)
{
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_MD5);
  g_checksum_update(sum, (const guchar *)challenge, strlen(challenge));
  g_checksum_update(sum, (const guchar *)secret, strlen(secret));
  return g_strdup(g_checksum_get_string(sum));
}

/* ---- the collector ---- */

typedef enum {
  STATE_CONNECTING,
  STATE_BANNER,
  STATE_CHALLENGE,
  STATE_LOGIN,
  STATE_UP,
} State;

typedef struct Ami Ami;

/* One connection. Every pending GIO operation holds a reference; `ami` is
 * NULL once the session is closed, and callbacks then only let go. */
typedef struct {
  int ref;
  Ami *ami;
  GCancellable *cancel;
  GSocketConnection *conn;
  GIOStream *tls;                   /* over conn, with tls = true */
  GTlsCertificateFlags tls_refused; /* why the server's certificate was refused */
  GInputStream *in;
  GOutputStream *out;
  WbAmiReader *reader;
  guint8 rbuf[READ_SIZE];
  GQueue pending; /* GBytes* to write */
  GBytes *writing;
  State state;
  gboolean ping_outstanding;
  guint ticks;
  gint64 up_since_us;
  guint n_actions;
  gboolean refusal_logged;
  guint status_queues, status_members, status_callers;
} Session;

/* A caller who has joined a queue and not left it. */
typedef struct {
  gint64 join_ms;
  gint32 position;
} Waiting;

/* A caller listed by QueueStatus, waiting now. */
typedef struct {
  char call_id[WB_EVENT_ID_MAX];
  char queue[WB_EVENT_ID_MAX];
  gint64 wait_ms;
  gint32 position;
} Listed;

/* A caller exit held back until what follows tells its reason. */
typedef struct {
  WbEvent ev;
  gboolean from_leave; /* only QueueCallerLeave so far: AgentConnect may follow */
  gboolean left;       /* its QueueCallerLeave has been seen */
  gint64 ast_deadline_ms;
  gint64 wall_deadline_ms;
} Hold;

struct Ami {
  WbCollector base;
  WbSink *sink;
  WbAgentMap *agents;
  char *host;
  guint16 port;
  char *address; /* HOST:PORT, the quarantine's "file" */
  char *username;
  char *secret;
  WbAmiAuth auth;
  gboolean tls;
  char *tls_ca;         /* the file of tls_db, or NULL */
  GTlsDatabase *tls_db; /* the CA to trust, or NULL: the system's */
  guint summary_s;
  guint keepalive_s;
  guint reconnect_max_s;
  gboolean offline;
  gboolean stopped;
  char *source;
  GMainContext *context;
  GSocketClient *client;
  Session *session;
  guint backoff_s;
  GSource *reconnect_src;
  GSource *tick_src;
  GSource *summary_src;
  GSource *settle_src;
  WbAmiReader *offline_reader;
  WbPosition pos; /* generation: when Asterisk started (epoch s), 0: unknown */
  WbCollectorStats stats;
  GHashTable *waiting; /* "uid\037queue" -> Waiting* */
  GHashTable *holds;   /* uid -> Hold* */
  gint64 ast_now_ms;   /* Asterisk's clock: the Timestamp of the latest message */
  /* The round of the QueueStatus sent at login: the callers listed so far,
   * and whether one of them could not be read (then nothing is swept). */
  GArray *listed; /* Listed, at most WAITING_MAX */
  gboolean listed_broken;
};

static gint64
wall_ms(void)
{
  return g_get_real_time() / 1000;
}

static void
source_clear(GSource **src)
{
  if (*src == NULL)
    return;
  g_source_destroy(*src);
  g_source_unref(*src);
  *src = NULL;
}

static GSource *
add_timer(Ami *a, guint interval_ms, GSourceFunc fn)
{
  GSource *src = g_timeout_source_new(interval_ms);
  g_source_set_callback(src, fn, a, NULL);
  g_source_attach(src, a->context);
  return src;
}

static void
emit(Ami *a, WbEvent *ev)
{
  if (a->sink->event(a->sink, ev))
    a->stats.events++;
  else
    a->stats.duplicates++;
}

static void
quarantine(Ami *a, const char *reason, const char *text)
{
  WbQuarantined q = {
      .source = a->source,
      .file = a->address,
      .line_no = a->pos.line_no,
      .reason = reason,
      .line = text,
      .line_len = strlen(text),
      .ts_ms = wall_ms(),
  };
  a->stats.quarantined++;
  a->sink->quarantine(a->sink, &q);
}

/* ---- caller exits: waiting callers and held abandons ---- */

static char *
waiting_key(const char *call_id, const char *queue)
{
  return g_strconcat(call_id, "\037", queue, NULL);
}

/* Drops the longest-waiting entry when full: a caller whose exit we never
 * saw (a lost connection) must not grow the table for ever. */
static void
waiting_trim(Ami *a)
{
  GHashTableIter it;
  gpointer key, value, oldest = NULL;
  gint64 oldest_ms = G_MAXINT64;

  if (g_hash_table_size(a->waiting) < WAITING_MAX)
    return;
  g_hash_table_iter_init(&it, a->waiting);
  while (g_hash_table_iter_next(&it, &key, &value))
    if (((Waiting *)value)->join_ms < oldest_ms) {
      oldest_ms = ((Waiting *)value)->join_ms;
      oldest = key;
    }
  g_hash_table_remove(a->waiting, oldest);
}

static void
waiting_put(Ami *a, const WbEvent *ev)
{
  Waiting *w = g_new(Waiting, 1);
  w->join_ms = ev->ts_ms;
  w->position = ev->position;
  waiting_trim(a);
  g_hash_table_replace(a->waiting, waiting_key(ev->call_id, ev->queue), w);
}

/* Removes the caller; TRUE and *out if it was there. */
static gboolean
waiting_take(Ami *a, const char *call_id, const char *queue, Waiting *out)
{
  g_autofree char *key = waiting_key(call_id, queue);
  Waiting *w = g_hash_table_lookup(a->waiting, key);
  if (w == NULL)
    return FALSE;
  *out = *w;
  g_hash_table_remove(a->waiting, key);
  return TRUE;
}

static WbAbandonReason
reason_from_status(const char *status, WbAbandonReason fallback)
{
  if (g_ascii_strcasecmp(status, "TIMEOUT") == 0)
    return WB_ABANDON_TIMEOUT;
  if (g_ascii_strcasecmp(status, "LEAVEEMPTY") == 0 ||
      g_ascii_strcasecmp(status, "LEAVEUNAVAIL") == 0)
    return WB_ABANDON_EMPTY;
  if (g_ascii_strcasecmp(status, "WITHDRAW") == 0)
    return WB_ABANDON_WITHDRAW;
  return fallback;
}

/* Emits the held exit and forgets it. */
static void
hold_settle(Ami *a, const char *call_id)
{
  Hold *h = g_hash_table_lookup(a->holds, call_id);
  if (h == NULL)
    return;
  emit(a, &h->ev);
  g_hash_table_remove(a->holds, call_id);
}

static gboolean on_settle(gpointer data);

static void
hold_deadlines(Ami *a, Hold *h, const WbAmiParsed *p, gint64 window_ms)
{
  h->ast_deadline_ms = p->has_ts ? p->ts_ms + window_ms : G_MAXINT64;
  h->wall_deadline_ms = wall_ms() + window_ms;
  if (a->settle_src == NULL)
    a->settle_src = add_timer(a, 250, on_settle);
}

static Hold *
hold_new(Ami *a, const WbEvent *ev)
{
  Hold *h = g_new0(Hold, 1);
  h->ev = *ev;
  g_hash_table_replace(a->holds, g_strdup(ev->call_id), h);
  return h;
}

/* QueueCallerAbandon: held until its reason is known. */
static void
track_abandon(Ami *a, const WbEvent *ev, const WbAmiParsed *p)
{
  Hold *old = g_hash_table_lookup(a->holds, ev->call_id);
  gboolean left = FALSE;

  if (old != NULL && old->from_leave) {
    /* Asterisk 11 could publish Leave before the abandon. */
    left = TRUE;
    g_hash_table_remove(a->holds, ev->call_id);
  } else if (old != NULL) {
    hold_settle(a, ev->call_id);
  }
  Hold *h = hold_new(a, ev);
  h->left = left;
  hold_deadlines(a, h, p, ABANDON_SETTLE_MS);
}

/* QueueCallerLeave: after an abandon, the status comes next; alone, it may
 * still be answered. */
static void
track_leave(Ami *a, const WbAmiParsed *p)
{
  const WbEvent *proto = &p->events[0];
  Hold *h = g_hash_table_lookup(a->holds, p->call_id);
  Waiting w;
  gboolean known = waiting_take(a, proto->call_id, proto->queue, &w);

  if (h != NULL) {
    if (!h->from_leave && !h->left) {
      h->left = TRUE;
      hold_deadlines(a, h, p, ABANDON_SETTLE_MS);
    }
    return;
  }
  h = hold_new(a, proto);
  h->from_leave = h->left = TRUE;
  if (known) {
    h->ev.wait_ms = MAX(proto->ts_ms - w.join_ms, 0);
    h->ev.position = w.position;
  }
  hold_deadlines(a, h, p, LEAVE_SETTLE_MS);
}

static void
track_status(Ami *a, const WbAmiParsed *p)
{
  Hold *h = g_hash_table_lookup(a->holds, p->call_id);
  if (h == NULL)
    return;
  h->ev.abandon_reason = reason_from_status(p->status, h->ev.abandon_reason);
  hold_settle(a, p->call_id);
}

static void
track_event(Ami *a, WbEvent *ev, const WbAmiParsed *p)
{
  Hold *h = g_hash_table_lookup(a->holds, ev->call_id);
  Waiting w;

  switch (ev->type) {
  case WB_EVENT_CALL_ENQUEUE:
    /* Joining again: whatever was held for the caller is settled. */
    hold_settle(a, ev->call_id);
    waiting_put(a, ev);
    emit(a, ev);
    break;
  case WB_EVENT_CALL_ABANDON: track_abandon(a, ev, p); break;
  case WB_EVENT_CALL_ANSWER:
    if (h != NULL && h->from_leave)
      g_hash_table_remove(a->holds, ev->call_id);
    else if (h != NULL)
      hold_settle(a, ev->call_id);
    waiting_take(a, ev->call_id, ev->queue, &w);
    emit(a, ev);
    break;
  default: emit(a, ev); break;
  }
}

/* Any later message of a channel whose abandon and Leave were seen, other
 * than a VarSet, means QUEUESTATUS was not set: a plain abandon. */
static void
track_channel(Ami *a, const WbAmiParsed *p)
{
  Hold *h;

  if (p->varset || p->call_id[0] == '\0')
    return;
  h = g_hash_table_lookup(a->holds, p->call_id);
  if (h != NULL && !h->from_leave && h->left)
    hold_settle(a, p->call_id);
}

/* Settles what waited long enough, on Asterisk's clock or ours. */
static void
settle_due(Ami *a, gint64 now_ms)
{
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init(&it, a->holds);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    Hold *h = value;
    if (h->ast_deadline_ms <= a->ast_now_ms || h->wall_deadline_ms <= now_ms) {
      emit(a, &h->ev);
      g_hash_table_iter_remove(&it);
    }
  }
}

static gboolean
on_settle(gpointer data)
{
  Ami *a = data;
  settle_due(a, wall_ms());
  if (g_hash_table_size(a->holds) > 0)
    return G_SOURCE_CONTINUE;
  source_clear(&a->settle_src);
  return G_SOURCE_REMOVE;
}

void
wb_ami_settle_all(WbCollector *c)
{
  Ami *a = (Ami *)c;
  settle_due(a, G_MAXINT64);
}

/* FullyBooted tells how long Asterisk has run: if it started after the run
 * we knew, the calls it had are gone (source.restart, as QUEUESTART). */
static void
track_booted(Ami *a, const WbAmiParsed *p)
{
  gint64 start_s;

  if (p->uptime_s < 0)
    return;
  start_s = wall_ms() / 1000 - p->uptime_s;
  if (a->pos.generation > 0 && start_s <= a->pos.generation + RESTART_SLACK_S)
    return;
  if (a->pos.generation > 0) {
    WbEvent ev;
    g_message("ami: %s restarted %" G_GINT64_FORMAT " s ago; its calls in progress are closed",
              a->address, p->uptime_s);
    settle_due(a, G_MAXINT64);
    g_hash_table_remove_all(a->waiting);
    wb_ami_restart_event(&ev, a->source, start_s);
    emit(a, &ev);
  }
  a->pos.generation = start_s;
}

/* ---- resynchronisation: who is waiting after a gap ---- */

/* AMI does not replay what happened while the connection was down (or the
 * daemon stopped): a caller who left then would wait for ever on the
 * wallboard. So the QueueStatus sent at each login is a round: its
 * QueueEntry list is what Asterisk has waiting now, and at its
 * QueueStatusComplete (time T: its Timestamp if Asterisk gave one, else our
 * clock) the collector sends, all at T, one source.sync per caller listed,
 * one per caller whose exit it holds back (that exit is known and on its
 * way), then the sweep (event.h): the live model ends as lost every other
 * call of this source that waited since before T. The waiting table here is
 * reconciled the same way. */

static void
round_reset(Ami *a)
{
  g_array_set_size(a->listed, 0);
  a->listed_broken = FALSE;
}

static gboolean action_is(const char *id, const char *kind);

/* The answer to our QueueStatus (servers that do not echo ActionID
 * answer only us all the same). */
static gboolean
status_answer(const WbAmiMessage *m)
{
  const char *id = wb_ami_message_get(m, "ActionID");
  return id == NULL || action_is(id, "status");
}

static void
round_entry(Ami *a, const WbAmiParsed *p, const WbAmiMessage *m)
{
  if (!status_answer(m))
    return;
  if (a->listed->len >= WAITING_MAX) {
    /* Not all kept, so not all confirmed: sweeping would end callers
     * who are still there. */
    a->listed_broken = TRUE;
    return;
  }
  Listed l = {.wait_ms = p->wait_ms, .position = p->position};
  g_strlcpy(l.call_id, p->call_id, sizeof(l.call_id));
  g_strlcpy(l.queue, p->queue, sizeof(l.queue));
  g_array_append_val(a->listed, l);
}

static void
emit_sync(Ami *a, gint64 ts_ms, const char *call_id, const char *queue)
{
  WbEvent ev;
  wb_ami_sync_event(&ev, a->source, ts_ms, call_id, queue);
  emit(a, &ev);
}

static void
round_complete(Ami *a, const WbAmiParsed *p, const WbAmiMessage *m)
{
  g_autoptr(GHashTable) confirmed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  gint64 ts_ms = p->ts_ms;
  GHashTableIter it;
  gpointer key, value;
  guint gone = 0;

  if (!status_answer(m))
    return;
  if (a->listed_broken) {
    g_warning("ami: %s: the QueueStatus list could not be read whole; callers who left while "
              "the connection was down stay waiting until the next login",
              a->address);
    round_reset(a);
    return;
  }
  for (guint i = 0; i < a->listed->len; i++) {
    const Listed *l = &g_array_index(a->listed, Listed, i);
    char *k = waiting_key(l->call_id, l->queue);
    if (!g_hash_table_add(confirmed, k))
      continue; /* listed twice */
    emit_sync(a, ts_ms, l->call_id, l->queue);
    if (!g_hash_table_contains(a->waiting, k)) {
      /* Joined while we were not listening: its wait counts from when
       * Asterisk says it joined. */
      Waiting *w = g_new(Waiting, 1);
      w->join_ms = l->wait_ms >= 0 ? ts_ms - l->wait_ms : ts_ms;
      w->position = l->position;
      waiting_trim(a);
      g_hash_table_replace(a->waiting, g_strdup(k), w);
    }
  }
  g_hash_table_iter_init(&it, a->holds);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    const Hold *h = value;
    if (g_hash_table_add(confirmed, waiting_key(h->ev.call_id, h->ev.queue)))
      emit_sync(a, ts_ms, h->ev.call_id, h->ev.queue);
  }
  emit_sync(a, ts_ms, "", "");
  g_hash_table_iter_init(&it, a->waiting);
  while (g_hash_table_iter_next(&it, &key, &value))
    if (((Waiting *)value)->join_ms < ts_ms && !g_hash_table_contains(confirmed, key)) {
      g_hash_table_iter_remove(&it);
      gone++;
    }
  if (gone > 0)
    g_message("ami: %s: %u caller(s) left while the connection was down; how is not known, "
              "so they count as lost",
              a->address, gone);
  round_reset(a);
}

/* ---- messages from the server ---- */

static void session_response(Session *s, const WbAmiMessage *m);
static void session_status_event(Session *s, const WbAmiMessage *m, const char *name);

static void
handle_parsed(Ami *a, WbAmiParsed *p, const WbAmiMessage *m)
{
  switch (p->result) {
  case WB_AMI_EVENTS:
    for (int i = 0; i < p->n_events; i++)
      track_event(a, &p->events[i], p);
    break;
  case WB_AMI_LEAVE: track_leave(a, p); break;
  case WB_AMI_STATUS: track_status(a, p); break;
  case WB_AMI_HANGUP: hold_settle(a, p->call_id); break;
  case WB_AMI_BOOTED: track_booted(a, p); break;
  case WB_AMI_IGNORED: a->stats.ignored++; break;
  case WB_AMI_UNKNOWN:
    a->stats.unknown++;
    g_debug("ami: unknown event %s skipped", p->name);
    break;
  case WB_AMI_QUEUE_ENTRY: round_entry(a, p, m); break;
  case WB_AMI_QUEUE_STATUS_COMPLETE: round_complete(a, p, m); break;
  case WB_AMI_MALFORMED: {
    g_autofree char *text = wb_ami_message_text(m, QUARANTINE_TEXT_MAX);
    quarantine(a, p->reason, text);
    if (g_ascii_strcasecmp(p->name, "QueueEntry") == 0 && status_answer(m))
      a->listed_broken = TRUE;
    break;
  }
  case WB_AMI_RESPONSE: break;
  }
}

/* One message: counted, turned into events, the position checkpointed so
 * that a full batch can commit. */
static void
ami_message(Ami *a, Session *s, const WbAmiMessage *m)
{
  g_autofree WbAmiParsed *p = g_new(WbAmiParsed, 1);

  a->stats.lines++;
  a->pos.line_no++;
  a->stats.last_event_ms = wall_ms();
  if (wb_ami_message_n_skipped(m) > 0) {
    g_autofree char *text = wb_ami_message_text(m, QUARANTINE_TEXT_MAX);
    quarantine(a, "line longer than 8192 bytes skipped", text);
  }
  wb_ami_message_parse(m, a->agents, a->source, a->stats.last_event_ms, p);
  /* The latest, not the largest: a server that sends old events again
   * must not see them settled at once. */
  if (p->has_ts)
    a->ast_now_ms = p->ts_ms;
  track_channel(a, p);
  handle_parsed(a, p, m);
  if (s != NULL && p->result == WB_AMI_RESPONSE)
    session_response(s, m);
  else if (s != NULL && (p->result == WB_AMI_IGNORED || p->result == WB_AMI_QUEUE_ENTRY ||
                         p->result == WB_AMI_QUEUE_STATUS_COMPLETE))
    session_status_event(s, m, p->name);
  settle_due(a, a->stats.last_event_ms);
  a->sink->checkpoint(a->sink, &a->pos);
}

static void
ami_receive(Ami *a, Session *s, WbAmiReader *r)
{
  WbAmiMessage *m;

  while ((s == NULL || s->ami != NULL) && (m = wb_ami_reader_next(r)) != NULL) {
    ami_message(a, s, m);
    wb_ami_message_free(m);
  }
}

void
wb_ami_feed(WbCollector *c, const char *data, gsize len)
{
  Ami *a = (Ami *)c;

  if (a->offline_reader == NULL)
    a->offline_reader = wb_ami_reader_new(FALSE);
  a->stats.bytes += len;
  a->pos.offset += (gint64)len;
  wb_ami_reader_feed(a->offline_reader, data, len);
  ami_receive(a, NULL, a->offline_reader);
}

/* ---- the connection ---- */

static Session *
session_ref(Session *s)
{
  s->ref++;
  return s;
}

static void
session_unref(Session *s)
{
  if (--s->ref > 0)
    return;
  g_clear_object(&s->tls);
  g_clear_object(&s->conn);
  g_clear_object(&s->cancel);
  wb_ami_reader_free(s->reader);
  g_queue_clear_full(&s->pending, (GDestroyNotify)g_bytes_unref);
  g_clear_pointer(&s->writing, g_bytes_unref);
  g_free(s);
}

static void ami_connect(Ami *a);

static gboolean
on_reconnect(gpointer data)
{
  Ami *a = data;
  source_clear(&a->reconnect_src);
  ami_connect(a);
  return G_SOURCE_REMOVE;
}

/* Closes the session; unless stopped, the next attempt waits the backoff
 * (1 s, doubling to reconnect_max_s, back to 1 s after a healthy minute).
 * Returns the wait. */
static guint
session_close(Session *s)
{
  Ami *a = s->ami;
  guint delay = 0;

  if (a == NULL)
    return 0;
  s->ami = NULL;
  a->stats.connected = 0;
  g_cancellable_cancel(s->cancel);
  if (s->conn != NULL)
    g_socket_close(g_socket_connection_get_socket(s->conn), NULL);
  a->session = NULL;
  source_clear(&a->tick_src);
  source_clear(&a->summary_src);
  if (!a->stopped) {
    if (s->state == STATE_UP && g_get_monotonic_time() - s->up_since_us >= HEALTHY_US)
      a->backoff_s = 1;
    delay = a->backoff_s;
    a->backoff_s = MIN(a->backoff_s * 2, a->reconnect_max_s);
    a->reconnect_src = add_timer(a, delay * 1000, on_reconnect);
  }
  session_unref(s);
  return delay;
}

static void session_fail(Session *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Logs why the session ends and closes it. */
static void
session_fail(Session *s, const char *fmt, ...)
{
  Ami *a = s->ami;
  va_list args;

  if (a == NULL)
    return;
  va_start(args, fmt);
  g_autofree char *why = g_strdup_vprintf(fmt, args);
  va_end(args);
  g_autofree char *address = g_strdup(a->address);
  guint delay = session_close(s);
  g_warning("ami: %s: %s; trying again in %u s", address, why, delay);
}

static void session_write_next(Session *s);

static void
on_written(GObject *src, GAsyncResult *res, gpointer data)
{
  Session *s = data;
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish(G_OUTPUT_STREAM(src), res, NULL, &error);
  g_clear_pointer(&s->writing, g_bytes_unref);
  if (s->ami != NULL && error != NULL)
    session_fail(s, "write failed: %s", error->message);
  else if (s->ami != NULL)
    session_write_next(s);
  session_unref(s);
}

static void
session_write_next(Session *s)
{
  gsize len;

  if (s->writing != NULL || s->ami == NULL || g_queue_is_empty(&s->pending))
    return;
  s->writing = g_queue_pop_head(&s->pending);
  const void *data = g_bytes_get_data(s->writing, &len);
  g_output_stream_write_all_async(s->out, data, len, G_PRIORITY_DEFAULT, s->cancel, on_written,
                                  session_ref(s));
}

/* Sends one action; `kind` names its ActionID, by which the answer is
 * recognised. `fields` are the lines after Action and ActionID. */
static void
session_action(Session *s, const char *action, const char *kind, const char *fields)
{
  g_autofree char *text = g_strdup_printf("Action: %s\r\nActionID: wb-%s-%u\r\n%s\r\n", action,
                                          kind, ++s->n_actions, fields);
  gsize len = strlen(text);
  g_queue_push_tail(&s->pending, g_bytes_new_take(g_steal_pointer(&text), len));
  session_write_next(s);
}

static void
send_login(Session *s, const char *challenge)
{
  Ami *a = s->ami;
  g_autofree char *fields = NULL;

  if (challenge != NULL) {
    g_autofree char *key = wb_ami_md5_key(challenge, a->secret);
    fields = g_strdup_printf("AuthType: MD5\r\nUsername: %s\r\nKey: %s\r\nEvents: on\r\n",
                             a->username, key);
  } else {
    fields =
        g_strdup_printf("Username: %s\r\nSecret: %s\r\nEvents: on\r\n", a->username, a->secret);
  }
  s->state = STATE_LOGIN;
  session_action(s, "Login", "login", fields);
}

static void
send_summary(Session *s)
{
  session_action(s, "QueueSummary", "summary", "");
}

static gboolean
on_summary(gpointer data)
{
  Ami *a = data;
  if (a->session != NULL && a->session->state == STATE_UP)
    send_summary(a->session);
  return G_SOURCE_CONTINUE;
}

static void
logged_in(Session *s)
{
  Ami *a = s->ami;

  s->state = STATE_UP;
  s->up_since_us = g_get_monotonic_time();
  a->stats.connected = 1;
  g_message("ami: logged in to %s as '%s' (%s)", a->address, a->username,
            wb_ami_reader_banner(s->reader));
  /* A new round: what a list cut by the last connection held is void. */
  round_reset(a);
  session_action(s, "QueueStatus", "status", "");
  if (a->summary_s > 0) {
    send_summary(s);
    a->summary_src = add_timer(a, a->summary_s * 1000, on_summary);
  }
}

static gboolean
action_is(const char *id, const char *kind)
{
  gsize n = strlen(kind);
  return id != NULL && g_str_has_prefix(id, "wb-") && strncmp(id + 3, kind, n) == 0 &&
         id[3 + n] == '-';
}

static void
session_response(Session *s, const WbAmiMessage *m)
{
  const char *id = wb_ami_message_get(m, "ActionID");
  const char *message = wb_ami_message_get(m, "Message");
  gboolean ok = g_ascii_strcasecmp(wb_ami_message_get(m, "Response"), "Success") == 0;

  message = message != NULL ? message : "no reason given";
  /* Very old servers may not echo ActionID: answers come in order. */
  if (id == NULL && s->state == STATE_CHALLENGE)
    id = "wb-challenge-0";
  else if (id == NULL && s->state == STATE_LOGIN)
    id = "wb-login-0";
  if (action_is(id, "challenge")) {
    const char *challenge = wb_ami_message_get(m, "Challenge");
    if (!ok || challenge == NULL)
      session_fail(s, "MD5 challenge refused: %s", message);
    else
      send_login(s, challenge);
  } else if (action_is(id, "login")) {
    if (!ok)
      session_fail(s, "login as '%s' refused: %s", s->ami->username, message);
    else
      logged_in(s);
  } else if (action_is(id, "ping")) {
    s->ping_outstanding = FALSE;
  } else if (!ok && !s->refusal_logged && (action_is(id, "summary") || action_is(id, "status"))) {
    s->refusal_logged = TRUE;
    g_warning("ami: %s: %s refused: %s (is app_queue loaded?)", s->ami->address,
              action_is(id, "summary") ? "QueueSummary" : "QueueStatus", message);
  }
}

/* The answer to QueueStatus at login, logged as one line. */
static void
session_status_event(Session *s, const WbAmiMessage *m, const char *name)
{
  if (!action_is(wb_ami_message_get(m, "ActionID"), "status"))
    return;
  if (g_ascii_strcasecmp(name, "QueueParams") == 0)
    s->status_queues++;
  else if (g_ascii_strcasecmp(name, "QueueMember") == 0)
    s->status_members++;
  else if (g_ascii_strcasecmp(name, "QueueEntry") == 0)
    s->status_callers++;
  else if (g_ascii_strcasecmp(name, "QueueStatusComplete") == 0)
    g_message("ami: %s: %u queue(s), %u member(s), %u caller(s) waiting", s->ami->address,
              s->status_queues, s->status_members, s->status_callers);
}

static void
start_login(Session *s)
{
  const char *banner = wb_ami_reader_banner(s->reader);

  if (!g_str_has_prefix(banner, "Asterisk Call Manager/")) {
    session_fail(s, "not an Asterisk manager port: it said '%.80s'", banner);
    return;
  }
  if (s->ami->auth == WB_AMI_AUTH_MD5) {
    s->state = STATE_CHALLENGE;
    session_action(s, "Challenge", "challenge", "AuthType: MD5\r\n");
  } else {
    send_login(s, NULL);
  }
}

static void session_read(Session *s);

static void
on_read(GObject *src, GAsyncResult *res, gpointer data)
{
  Session *s = data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, &error);

  if (s->ami != NULL && n < 0)
    session_fail(s, "connection lost: %s", error->message);
  else if (s->ami != NULL && n == 0)
    session_fail(s, "the server closed the connection");
  if (s->ami == NULL) {
    session_unref(s);
    return;
  }
  Ami *a = s->ami;
  a->stats.bytes += (guint64)n;
  a->pos.offset += n;
  wb_ami_reader_feed(s->reader, (const char *)s->rbuf, (gsize)n);
  if (s->state == STATE_BANNER && wb_ami_reader_banner(s->reader) != NULL)
    start_login(s);
  ami_receive(a, s, s->reader);
  if (s->ami != NULL)
    session_read(s);
  session_unref(s);
}

static void
session_read(Session *s)
{
  g_input_stream_read_async(s->in, s->rbuf, sizeof(s->rbuf), G_PRIORITY_DEFAULT, s->cancel, on_read,
                            session_ref(s));
}

/* The stream is open (TCP, or TLS over it): the banner comes first. */
static void
session_begin(Session *s, GIOStream *stream)
{
  s->in = g_io_stream_get_input_stream(stream);
  s->out = g_io_stream_get_output_stream(stream);
  s->state = STATE_BANNER;
  session_read(s);
}

/* GIO says only "Unacceptable TLS certificate"; the flags say why, and
 * what to do about it. */
static char *
tls_refusal_text(const Ami *a, GTlsCertificateFlags flags)
{
  g_autoptr(GString) why = g_string_new(NULL);

  if (flags & G_TLS_CERTIFICATE_UNKNOWN_CA) {
    if (a->tls_ca != NULL)
      g_string_append_printf(why, "; not signed by the authority in [ami] tls_ca (%s)", a->tls_ca);
    else
      g_string_append(why, "; not signed by an authority the system trusts: set [ami] tls_ca "
                           "to the manager's certificate or to its CA's");
  }
  if (flags & G_TLS_CERTIFICATE_BAD_IDENTITY)
    g_string_append_printf(why, "; not issued for %s (its subjectAltName must name it)", a->host);
  if (flags & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    g_string_append(why, "; not valid yet (is the clock right?)");
  if (flags & G_TLS_CERTIFICATE_EXPIRED)
    g_string_append(why, "; expired");
  if (flags & G_TLS_CERTIFICATE_REVOKED)
    g_string_append(why, "; revoked");
  if (flags & G_TLS_CERTIFICATE_INSECURE)
    g_string_append(why, "; signed with an insecure algorithm");
  return g_strdup(why->str);
}

/* Called in the handshake when the certificate fails validation: refused
 * (never accepted on any ground but trust), the reasons kept for the log. */
static gboolean
on_accept_certificate(GTlsConnection *conn, GTlsCertificate *peer, GTlsCertificateFlags errors,
                      gpointer data)
{
  Session *s = data;
  (void)conn;
  (void)peer;
  s->tls_refused = errors;
  return FALSE;
}

static void
on_handshake(GObject *src, GAsyncResult *res, gpointer data)
{
  Session *s = data;
  g_autoptr(GError) error = NULL;
  gboolean ok = g_tls_connection_handshake_finish(G_TLS_CONNECTION(src), res, &error);

  if (s->ami != NULL && !ok) {
    g_autofree char *why = tls_refusal_text(s->ami, s->tls_refused);
    session_fail(s, "TLS handshake failed: %s%s", error->message, why);
  } else if (s->ami != NULL) {
    session_begin(s, s->tls);
  }
  session_unref(s);
}

/* TLS over the TCP connection, checked against the server's name as
 * configured (host), and against tls_ca's authority if set. */
static void
session_start_tls(Session *s)
{
  Ami *a = s->ami;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new(a->host, a->port);

  s->tls = g_tls_client_connection_new(G_IO_STREAM(s->conn), identity, &error);
  if (s->tls == NULL) {
    session_fail(s, "cannot start TLS: %s", error->message);
    return;
  }
  if (a->tls_db != NULL)
    g_tls_connection_set_database(G_TLS_CONNECTION(s->tls), a->tls_db);
  /* The handler dies with s->tls, which s owns: it never outlives s. */
  g_signal_connect(s->tls, "accept-certificate", G_CALLBACK(on_accept_certificate), s);
  g_tls_connection_handshake_async(G_TLS_CONNECTION(s->tls), G_PRIORITY_DEFAULT, s->cancel,
                                   on_handshake, session_ref(s));
}

static void
on_connected(GObject *src, GAsyncResult *res, gpointer data)
{
  Session *s = data;
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn =
      g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(src), res, &error);

  if (s->ami == NULL) {
    g_clear_object(&conn);
  } else if (conn == NULL) {
    session_fail(s, "cannot connect: %s", error->message);
  } else {
    s->conn = conn;
    if (s->ami->tls)
      session_start_tls(s);
    else
      session_begin(s, G_IO_STREAM(conn));
  }
  session_unref(s);
}

/* Every keepalive_s: no login yet after LOGIN_TIMEOUT_S, or no answer to
 * the last Ping, is a dead connection. */
static gboolean
on_tick(gpointer data)
{
  Ami *a = data;
  Session *s = a->session;

  if (s == NULL)
    return G_SOURCE_CONTINUE;
  s->ticks++;
  if (s->state != STATE_UP) {
    if (s->ticks * a->keepalive_s >= LOGIN_TIMEOUT_S)
      session_fail(s, "no login after %u s", s->ticks * a->keepalive_s);
  } else if (s->ping_outstanding) {
    session_fail(s, "no answer to Ping within %u s", a->keepalive_s);
  } else {
    s->ping_outstanding = TRUE;
    session_action(s, "Ping", "ping", "");
  }
  /* session_fail() removed this source if it closed the session. */
  return a->tick_src != NULL ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
ami_connect(Ami *a)
{
  Session *s = g_new0(Session, 1);

  s->ref = 1;
  s->ami = a;
  s->cancel = g_cancellable_new();
  s->reader = wb_ami_reader_new(TRUE);
  s->state = STATE_CONNECTING;
  g_queue_init(&s->pending);
  a->session = s;
  a->tick_src = add_timer(a, a->keepalive_s * 1000, on_tick);
  g_socket_client_connect_to_host_async(a->client, a->host, a->port, s->cancel, on_connected,
                                        session_ref(s));
}

/* ---- the ops table ---- */

static void
ami_stop(WbCollector *c)
{
  Ami *a = (Ami *)c;

  a->stopped = TRUE;
  /* What was held goes now, so the final commit has it. */
  settle_due(a, G_MAXINT64);
  if (a->session != NULL)
    session_close(a->session);
  source_clear(&a->reconnect_src);
  source_clear(&a->tick_src);
  source_clear(&a->summary_src);
  source_clear(&a->settle_src);
}

static guint
ami_n_sources(WbCollector *c)
{
  (void)c;
  return 1;
}

static const char *
ami_source(WbCollector *c, guint i)
{
  (void)i;
  return ((Ami *)c)->source;
}

static void
ami_stats(WbCollector *c, guint i, WbCollectorStats *out)
{
  (void)i;
  *out = ((Ami *)c)->stats;
}

static gboolean
ami_catching_up(WbCollector *c)
{
  /* AMI has no backlog: what arrives is now. */
  (void)c;
  return FALSE;
}

static void
ami_free(WbCollector *c)
{
  Ami *a = (Ami *)c;

  ami_stop(c);
  g_hash_table_unref(a->waiting);
  g_hash_table_unref(a->holds);
  g_array_unref(a->listed);
  wb_ami_reader_free(a->offline_reader);
  g_clear_object(&a->client);
  g_main_context_unref(a->context);
  g_free(a->host);
  g_free(a->address);
  g_free(a->username);
  g_free(a->secret);
  g_free(a->tls_ca);
  g_clear_object(&a->tls_db);
  g_free(a->source);
  g_free(a);
}

static const WbCollectorOps ami_ops = {
    .name = "ami",
    .stop = ami_stop,
    .n_sources = ami_n_sources,
    .source = ami_source,
    .stats = ami_stats,
    .catching_up = ami_catching_up,
    .free = ami_free,
};

gboolean
wb_ami_auth_from_name(const char *name, WbAmiAuth *out)
{
  if (g_ascii_strcasecmp(name, "plain") == 0)
    *out = WB_AMI_AUTH_PLAIN;
  else if (g_ascii_strcasecmp(name, "md5") == 0)
    *out = WB_AMI_AUTH_MD5;
  else
    return FALSE;
  return TRUE;
}

char *
wb_ami_source_name(const char *host, guint16 port)
{
  return g_strdup_printf("ami:%s:%u", host, port);
}

/* A value that goes into an action must not break its lines. */
static gboolean
check_field(const char *what, const char *value, GError **error)
{
  if (value != NULL && strpbrk(value, "\r\n") == NULL)
    return TRUE;
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
              "ami: %s is missing or holds a line break", what);
  return FALSE;
}

static gboolean
check_options(const WbAmiOptions *o, GError **error)
{
  if (o->host == NULL || *o->host == '\0' || o->port == 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "ami: host and port are required");
    return FALSE;
  }
  if (!check_field("username", o->username, error) || !check_field("secret", o->secret, error))
    return FALSE;
  if (*o->username == '\0') {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "ami: [ami] username is empty (manager.conf names the user)");
    return FALSE;
  }
  return TRUE;
}

/* With tls: GIO's TLS (glib-networking) is there, and the CA file, if
 * one is named, can be read; else the daemon would retry for ever. */
static gboolean
tls_setup(const WbAmiOptions *o, GTlsDatabase **db, GError **error)
{
  *db = NULL;
  if (!o->tls) {
    if (o->tls_ca != NULL && *o->tls_ca != '\0')
      g_warning("ami: [ami] tls_ca is set but tls is false: the connection is not encrypted");
    return TRUE;
  }
  if (!g_tls_backend_supports_tls(g_tls_backend_get_default())) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                "ami: [ami] tls = true, but GIO has no TLS support (install glib-networking)");
    return FALSE;
  }
  if (o->tls_ca == NULL || *o->tls_ca == '\0')
    return TRUE;
  *db = g_tls_file_database_new(o->tls_ca, error);
  if (*db == NULL) {
    g_prefix_error(error, "ami: [ami] tls_ca: %s: ", o->tls_ca);
    return FALSE;
  }
  return TRUE;
}

static gboolean
on_first_connect(gpointer data)
{
  Ami *a = data;
  source_clear(&a->reconnect_src);
  ami_connect(a);
  return G_SOURCE_REMOVE;
}

WbCollector *
wb_ami_start(const WbAmiOptions *opts, GError **error)
{
  GTlsDatabase *tls_db = NULL;

  if (!check_options(opts, error) || !tls_setup(opts, &tls_db, error))
    return NULL;
  Ami *a = g_new0(Ami, 1);
  a->base.ops = &ami_ops;
  a->sink = opts->sink;
  a->agents = opts->agents;
  a->host = g_strdup(opts->host);
  a->port = opts->port;
  a->address = g_strdup_printf("%s:%u", opts->host, opts->port);
  a->username = g_strdup(opts->username);
  a->secret = g_strdup(opts->secret);
  a->auth = opts->auth;
  a->tls = opts->tls;
  a->tls_db = tls_db;
  a->tls_ca = tls_db != NULL ? g_strdup(opts->tls_ca) : NULL;
  a->summary_s = opts->summary_s;
  a->keepalive_s = MAX(opts->keepalive_s, 1u);
  a->reconnect_max_s = MAX(opts->reconnect_max_s, 1u);
  a->backoff_s = 1;
  a->offline = opts->offline;
  a->source = wb_ami_source_name(opts->host, opts->port);
  a->context = g_main_context_ref_thread_default();
  a->waiting = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  a->holds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  a->listed = g_array_new(FALSE, FALSE, sizeof(Listed));
  if (!a->sink->resume(a->sink, a->source, &a->pos))
    memset(&a->pos, 0, sizeof(a->pos));
  g_strlcpy(a->pos.source, a->source, sizeof(a->pos.source));
  if (!a->offline) {
    /* Plain TCP: each session starts TLS itself (session_start_tls), to
     * give it tls_ca and to say why a certificate is refused. */
    a->client = g_socket_client_new();
    /* The manager port is reached directly: a proxy set for the web
     * (http_proxy, libproxy's desktop settings) must not take it over. */
    g_socket_client_set_enable_proxy(a->client, FALSE);
    /* Nothing connects before the loop runs (after the rebuild). */
    a->reconnect_src = add_timer(a, 0, on_first_connect);
  }
  return &a->base;
}
