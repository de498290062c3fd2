/* fuzz_common.h: what the libFuzzer targets share: a sink that checks
 * every event it is given, and an assertion that survives NDEBUG.
 *
 * A broken invariant aborts, so libFuzzer keeps the input as a crash.
 */
#pragma once

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "engine/event.h"

#define FUZZ_ASSERT(cond)                                                                          \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);                 \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

/* Every fixed string field of an event ends inside the field. */
#define FUZZ_FIELD_OK(ev, field) (memchr((ev)->field, '\0', sizeof((ev)->field)) != NULL)

static inline gboolean
fuzz_event_fields_terminated(const WbEvent *ev)
{
  return FUZZ_FIELD_OK(ev, source) && FUZZ_FIELD_OK(ev, call_id) && FUZZ_FIELD_OK(ev, queue) &&
         FUZZ_FIELD_OK(ev, agent) && FUZZ_FIELD_OK(ev, caller_raw) &&
         FUZZ_FIELD_OK(ev, caller_hash) && FUZZ_FIELD_OK(ev, caller_mask) &&
         FUZZ_FIELD_OK(ev, reason) && FUZZ_FIELD_OK(ev, target) && FUZZ_FIELD_OK(ev, id) &&
         FUZZ_FIELD_OK(ev, name) && FUZZ_FIELD_OK(ev, role) && FUZZ_FIELD_OK(ev, status) &&
         FUZZ_FIELD_OK(ev, kind) && FUZZ_FIELD_OK(ev, category) && FUZZ_FIELD_OK(ev, origin) &&
         FUZZ_FIELD_OK(ev, device);
}

/* The text fields are valid UTF-8 (for sources that decode their input:
 * JSON and the record files; queue_log and AMI pass bytes through). */
static inline gboolean
fuzz_event_fields_utf8(const WbEvent *ev)
{
  const char *fields[] = {ev->source, ev->call_id, ev->queue,  ev->agent,    ev->caller_raw,
                          ev->reason, ev->target,  ev->id,     ev->name,     ev->role,
                          ev->status, ev->kind,    ev->origin, ev->category, ev->device};
  for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
    if (!g_utf8_validate(fields[i], -1, NULL))
      return FALSE;
  return TRUE;
}

/* Checks what every event must be, wherever it comes from: a type, its
 * fields terminated, the expected source. */
static inline void
fuzz_check_event(const WbEvent *ev, const char *source, gboolean utf8)
{
  FUZZ_ASSERT(ev->type > WB_EVENT_NONE && ev->type < WB_EVENT_TYPE_COUNT);
  FUZZ_ASSERT(wb_event_type_name(ev->type) != NULL);
  FUZZ_ASSERT(fuzz_event_fields_terminated(ev));
  FUZZ_ASSERT(ev->source[0] != '\0');
  if (source != NULL)
    FUZZ_ASSERT(strcmp(ev->source, source) == 0);
  FUZZ_ASSERT((guint)ev->abandon_reason < WB_ABANDON_REASON_COUNT);
  FUZZ_ASSERT((guint)ev->ended_by < WB_ENDED_BY_COUNT);
  if (utf8)
    FUZZ_ASSERT(fuzz_event_fields_utf8(ev));
}

/* A sink that checks each event and refuses a (source, source_pos) seen
 * before, as the store does. */
typedef struct {
  WbSink sink;
  const char *source; /* what every event's source must be, or NULL */
  gboolean utf8;
  GHashTable *seen; /* "source|pos" */
  guint calls;      /* event() calls */
  guint taken;      /* event() calls that returned TRUE */
  guint quarantined;
} FuzzSink;

static inline gboolean
fuzz_sink_event(WbSink *sink, WbEvent *ev)
{
  FuzzSink *f = (FuzzSink *)sink;
  fuzz_check_event(ev, f->source, f->utf8);
  f->calls++;
  char *key = g_strdup_printf("%s|%" G_GINT64_FORMAT, ev->source, ev->source_pos);
  if (!g_hash_table_add(f->seen, key))
    return FALSE;
  f->taken++;
  return TRUE;
}

static inline void
fuzz_sink_quarantine(WbSink *sink, const WbQuarantined *q)
{
  FuzzSink *f = (FuzzSink *)sink;
  FUZZ_ASSERT(q->reason != NULL && q->reason[0] != '\0');
  FUZZ_ASSERT(q->source != NULL);
  FUZZ_ASSERT(q->line_len == 0 || q->line != NULL);
  f->quarantined++;
}

static inline void
fuzz_sink_checkpoint(WbSink *sink, const WbPosition *pos)
{
  (void)sink;
  FUZZ_ASSERT(pos != NULL && memchr(pos->source, '\0', sizeof(pos->source)) != NULL);
}

static inline gboolean
fuzz_sink_resume(WbSink *sink, const char *source, WbPosition *out)
{
  (void)sink;
  (void)source;
  (void)out;
  return FALSE;
}

static inline void
fuzz_sink_init(FuzzSink *f, const char *source, gboolean utf8)
{
  memset(f, 0, sizeof(*f));
  f->sink.event = fuzz_sink_event;
  f->sink.quarantine = fuzz_sink_quarantine;
  f->sink.checkpoint = fuzz_sink_checkpoint;
  f->sink.resume = fuzz_sink_resume;
  f->source = source;
  f->utf8 = utf8;
  f->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

/* Counters back to zero; the duplicate filter stays (a second delivery of
 * the same input must find everything already there). */
static inline void
fuzz_sink_reset_counts(FuzzSink *f)
{
  f->calls = 0;
  f->taken = 0;
  f->quarantined = 0;
}

static inline void
fuzz_sink_clear(FuzzSink *f)
{
  g_clear_pointer(&f->seen, g_hash_table_unref);
}

static inline GLogWriterOutput
fuzz_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) == 0)
    return G_LOG_WRITER_HANDLED;
  g_log_writer_default(level, fields, n_fields, user_data);
  abort();
}

/* Quiets GLib's messages (a parser's warnings are not findings) but makes
 * criticals fatal: a g_return_if_fail that trips is a bug. Once per
 * process, from LLVMFuzzerInitialize. */
static inline void
fuzz_quiet_logs(void)
{
  g_log_set_writer_func(fuzz_log_writer, NULL, NULL);
}
